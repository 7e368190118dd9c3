#!/usr/bin/env bash
# Runs the test suite; pytest's exit code 5 ("no tests collected") fails the run instead of passing.
set -u
python3 -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$rc"
