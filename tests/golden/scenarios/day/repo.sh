. "$(dirname "$0")/../lib.sh"
repo proj
c proj 2026-04-23T09:05:00+08:00 "feat(parser): add a streaming parser" src/parser/stream.py
c proj 2026-04-23T11:40:00+08:00 "fix: handle empty input in parse_line" src/parser/line.py "Bob Byte" bob@example.com
c proj 2026-04-23T15:00:00+08:00 "docs: explain streaming" docs/streaming.md
c proj 2026-04-23T23:59:59+08:00 "test: cover the last second of the day" tests/test_parser.py
c proj 2026-04-24T00:00:00+08:00 "chore: the next day's first second" README.md
