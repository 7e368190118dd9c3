. "$(dirname "$0")/../lib.sh"
repo proj
c proj 2026-04-13T09:00:00Z "feat(core): add the scheduler" src/core/scheduler.py
c proj 2026-04-14T09:00:00Z "fix(core): stop the planner leaking" src/core/planner.py "Bob Byte" bob@example.com
c proj 2026-04-15T09:00:00Z 'Revert "feat(core): add the scheduler"' src/core/scheduler.py
c proj 2026-04-16T09:00:00Z "docs: the scheduler guide" docs/scheduler.md
c proj 2026-04-18T09:00:00Z "perf(io): faster reads" src/io/read.py "Cy Coder" cy@example.org
c proj 2026-04-19T22:00:00Z "fix(io): flush on close" src/io/files.py
