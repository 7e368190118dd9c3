. "$(dirname "$0")/../lib.sh"
c proj 2026-04-23T23:50:00+08:00 "fix: made at 23:50, pushed at 02:30" src/late.py "Cy Coder" cy@example.org
