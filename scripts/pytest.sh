#!/usr/bin/env bash
# Runs the test suite; pytest's exit code 5 ("no tests collected") fails the run instead of passing.
set -u
# Bytecode is cached, whatever the shell says: the tests start hundreds of `python -m dailydiff` processes,
# and with PYTHONDONTWRITEBYTECODE set and no __pycache__ (a fresh clone) each one would compile every
# module it imports again. The checkout's code is compiled once, up front, with all cores.
export PYTHONDONTWRITEBYTECODE=
python3 -m compileall -q -j 0 src tests >/dev/null
# The tests' files on a RAM disk where there is room (as tests/pgserver.py does for PostgreSQL): durability
# is not under test, and every report file, SQLite commit and site build would otherwise wait on the disk's
# fsync (~4 ms apiece on this machine's virtual disk, hundreds per file). TMPDIR set by the caller wins.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] \
  && [ "$(df -Pk /dev/shm | awk 'NR==2 {print $4}')" -gt $((8 * 1024 * 1024)) ]; then
  export TMPDIR=/dev/shm
fi
python3 -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$rc"
