. "$(dirname "$0")/../lib.sh"
repo proj
c proj 2026-04-23T10:00:00+08:00 "feat: add parser" src/parser.py
c proj 2026-04-23T20:00:00+08:00 "fix: handle empty input" src/input.py
