. "$(dirname "$0")/../lib.sh"
repo proj
c proj 2026-04-23T10:00:00Z "fix(auth): check the token's expiry" src/auth/token.py
c proj 2026-04-23T10:10:00Z "feat(auth): add the session store" src/auth/session.py "Bob Byte" bob@example.com
c proj 2026-04-23T10:20:00Z "fix(auth): rotate keys on logout" src/auth/keys.py
