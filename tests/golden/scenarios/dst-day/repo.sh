. "$(dirname "$0")/../lib.sh"
repo proj
c proj 2026-03-07T23:59:00-05:00 "chore: the day before" a.txt
c proj 2026-03-08T00:00:00-05:00 "feat: at midnight" src/a.py
c proj 2026-03-08T01:59:00-05:00 "fix: a minute before the clocks jump" src/b.py
c proj 2026-03-08T03:00:00-04:00 "fix: the first minute after the jump" src/c.py
c proj 2026-03-08T23:59:00-04:00 "perf: the last minute of a 23-hour day" src/d.py
c proj 2026-03-09T00:00:00-04:00 "chore: the day after" b.txt
