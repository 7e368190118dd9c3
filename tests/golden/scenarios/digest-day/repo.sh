. "$(dirname "$0")/../lib.sh"
repo api
repo web
c api 2026-04-23T09:00:00Z "feat(api): add the batch endpoint" src/api/batch.py
c api 2026-04-23T10:00:00Z "fix(api): reject an empty batch" src/api/batch.py "Bob Byte" bob@example.com
c web 2026-04-23T11:00:00Z "feat(ui): show the batch progress" ui/progress.ts "Cy Coder" cy@example.org
