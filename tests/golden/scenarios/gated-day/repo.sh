. "$(dirname "$0")/../lib.sh"
repo proj
c proj 2026-04-23T10:00:00Z "feat: add the scheduler" src/scheduler.py
c proj 2026-04-23T12:00:00Z "fix: close the queue" src/queue.py
