. "$(dirname "$0")/../lib.sh"
repo widget
git -C widget remote add origin https://github.com/acme/widget.git
c widget 2026-03-01T08:00:00Z "Initial import" src/widget/core.py
git -C widget tag v1.0
c widget 2026-03-01T09:00:00Z "feat: add a streaming API (#10)" src/widget/stream.py "Bob Byte" 12+bobbyte@users.noreply.github.com
c widget 2026-03-01T10:00:00Z "fix(parser): handle empty input (#11)" src/widget/parser.py
printf 'requires-python = ">=3.9"\n' >widget/pyproject.toml
git -C widget add -A
GIT_AUTHOR_DATE=2026-03-01T11:00:00Z GIT_COMMITTER_DATE=2026-03-01T11:00:00Z git -C widget -c user.name="Ada Lovelace" \
  -c user.email=ada@example.com commit -q -m "feat!: drop Python 3.8 (#12)" -m "BREAKING CHANGE: Python 3.9 or later is required."
c widget 2026-03-01T12:00:00Z "docs: explain streaming (#13)" README.md
GIT_COMMITTER_NAME="Ada Lovelace" GIT_COMMITTER_EMAIL=ada@example.com GIT_COMMITTER_DATE=2026-03-01T13:00:00Z \
  git -C widget tag -a v1.1 -m "Version 1.1"
c widget 2026-03-02T09:00:00Z "feat: a progress bar (#14)" src/widget/progress.py
