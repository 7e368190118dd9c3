. "$(dirname "$0")/../lib.sh"
repo proj
c proj 2026-04-23T09:00:00Z "docs: a typo" docs/guide.md
c proj 2026-04-23T10:00:00Z "fix(auth): check the token's expiry" src/auth/token.py
