# Sourced by each scenario's repo.sh: commits with fixed dates, by fixed people, no user config read.
set -euo pipefail
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 TZ=UTC LC_ALL=C

repo() {  # repo DIR: a new repository on main
  git init -q -b main "$1"
}

c() {  # c DIR WHEN MESSAGE PATH [AUTHOR EMAIL]: one commit adding a line to PATH, authored and committed WHEN
  local dir=$1 when=$2 message=$3 path=$4 author=${5:-Ada Lovelace} email=${6:-ada@example.com}
  mkdir -p "$dir/$(dirname "$path")"
  printf '%s\n' "$message" >>"$dir/$path"
  git -C "$dir" add -A
  GIT_AUTHOR_DATE=$when GIT_COMMITTER_DATE=$when git -C "$dir" -c user.name="$author" -c user.email="$email" \
    commit -q -m "$message"
}
