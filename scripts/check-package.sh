#!/usr/bin/env bash
# Builds the sdist and the wheel, checks their metadata and contents, installs the wheel into a fresh virtual
# environment outside the checkout and runs dailydiff from it: a report (zh and en; md, json, html), a site
# build, init and doctor. The release workflow runs this before publishing; .ci/run runs it too.
#   scripts/check-package.sh [DIST_DIR]     (default: a temporary directory; the release keeps dist/)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dist="${1:-$work/dist}"
mkdir -p "$dist"
say() { printf 'check-package: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

version="$("$python" -c 'import tomllib,sys; print(tomllib.load(open(sys.argv[1],"rb"))["project"]["version"])' "$root/pyproject.toml")"
say "building dailydiff $version (sdist and wheel)"
rm -f "$dist"/dailydiff-*
# setuptools reuses build/lib: a module deleted since the last build would still go into the wheel.
rm -rf "$root/build"
"$python" -m build --sdist --wheel --outdir "$dist" "$root" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "build"; }
wheel="$(ls "$dist"/dailydiff-"$version"-py3-none-any.whl)"
sdist="$(ls "$dist"/dailydiff-"$version".tar.gz)"
"$python" -m twine check --strict "$wheel" "$sdist" >&2 || fail "twine check (metadata)"

# Every file of the package in git is in the wheel: defaults, locales, prompts, templates, scaffold, py.typed.
( cd "$root" && git ls-files src/dailydiff ) | sed 's#^src/##' | grep -v '/__pycache__/' | sort >"$work/tracked"
"$python" - "$wheel" >"$work/wheel-files" <<'PY'
import sys, zipfile
for name in sorted(zipfile.ZipFile(sys.argv[1]).namelist()):
    if name.startswith("dailydiff/"):
        print(name)
PY
missing="$(comm -23 "$work/tracked" "$work/wheel-files")"
[ -z "$missing" ] || fail "files missing from the wheel: $(echo $missing)"
grep -qx 'dailydiff/py.typed' "$work/wheel-files" || fail "py.typed is not in the wheel"

# The sdist builds a wheel with the same files.
mkdir "$work/from-sdist"
"$python" -m build --wheel --outdir "$work/from-sdist" "$sdist" >"$work/build2.log" 2>&1 || { cat "$work/build2.log" >&2; fail "wheel from the sdist"; }
"$python" - "$wheel" "$work"/from-sdist/*.whl <<'PY' || fail "the sdist's wheel differs from the wheel"
import sys, zipfile
a, b = (set(zipfile.ZipFile(p).namelist()) for p in sys.argv[1:3])
if a != b:
    print("only in the wheel:", sorted(a - b), "only in the sdist's wheel:", sorted(b - a), file=sys.stderr)
    sys.exit(1)
PY
say "wheel and sdist carry the same $(wc -l <"$work/wheel-files") package files"

# A fresh virtual environment, not editable, with the working directory outside the checkout.
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$wheel" || fail "pip install of the wheel"
cd "$work"
bin="$work/venv/bin"
where="$("$bin/python" -c 'import dailydiff; print(dailydiff.__file__)')"
case "$where" in "$work/venv/"*) ;; *) fail "dailydiff imported from $where, not from the virtual environment";; esac
[ "$("$bin/dailydiff" --version)" = "dailydiff $version" ] || fail "--version is not $version"

# A fixture repository with fixed dates.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
git init -q -b main repo
for n in 1 2 3; do
  mkdir -p repo/src && printf 'def f%s():\n    return %s\n' "$n" "$n" >"repo/src/m$n.py"
  git -C repo add -A
  GIT_AUTHOR_DATE="2026-01-05T0$n:00:00+00:00" GIT_COMMITTER_DATE="2026-01-05T0$n:00:00+00:00" \
    git -C repo -c user.name=t -c user.email=t@example.com commit -q -m "feat: add f$n"
done
export DAILYDIFF_DATA_DIR="$work/data"
"$bin/dailydiff" report repo --date 2026-01-05 --tz UTC --lang zh --format md,json,html --output-dir out-zh --quiet
"$bin/dailydiff" report repo --date 2026-01-05 --tz UTC --lang en --format md,json,html --output-dir out-en --quiet
for lang in zh en; do
  for ext in md json html; do
    [ -s "out-$lang/2026/repo/2026-01-05.$ext" ] || fail "report --lang $lang wrote no $ext"
  done
done
grep -q 'feat: add f3' out-en/2026/repo/2026-01-05.md || fail "the English report lacks a commit"
"$bin/dailydiff" site build --output-dir site --quiet 2>/dev/null || "$bin/dailydiff" site build --output-dir site
[ -s site/index.html ] || fail "site build wrote no index.html"
mkdir project && (cd project && "$bin/dailydiff" init --repo ../repo 2>/dev/null)
grep -q "dailydiff==$version" project/.github/workflows/dailydiff.yml || fail "init did not pin $version"
(cd project && "$bin/dailydiff" doctor) >doctor.txt || { cat doctor.txt >&2; fail "doctor"; }
grep -q "✓ version: dailydiff $version" doctor.txt || { cat doctor.txt >&2; fail "doctor's version line"; }
say "ok: the wheel installs and runs report (zh, en; md, json, html), site build, init and doctor"
