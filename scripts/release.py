"""The release chores, one command each (the README's maintainer section shows them):

    python scripts/release.py prepare 0.2.0   # pyproject's version := 0.2.0; CHANGELOG's Unreleased
                                              # section becomes "## [0.2.0] - DATE" under a new empty one
    python scripts/release.py notes v0.2.0    # prints that version's CHANGELOG section; fails unless the
                                              # tag, pyproject's version and the section agree

The release workflow (.github/workflows/release.yml) runs `notes` on the pushed tag.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
CHANGELOG = ROOT / "CHANGELOG.md"
VERSION = re.compile(r"^\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?(?:\.post\d+)?$")  # PEP 440, release forms only
UNRELEASED = "## [Unreleased]"


def fail(message: str) -> None:
    print(f"release: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def project_version() -> str:
    return str(tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"])


def section(text: str, heading_prefix: str) -> str | None:
    """The body of the section whose heading starts with ``heading_prefix``, up to the next ``## ``."""
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if line.startswith(heading_prefix):
            body = []
            for later in lines[n + 1 :]:
                if later.startswith("## "):
                    break
                body.append(later)
            return "\n".join(body).strip("\n")
    return None


def prepare(version: str, today: dt.date) -> None:
    if not VERSION.match(version):
        fail(f"{version!r} is not a release version (like 1.2.3 or 1.2.3rc1)")
    changelog = CHANGELOG.read_text(encoding="utf-8")
    unreleased = section(changelog, UNRELEASED)
    if not unreleased:
        fail("the CHANGELOG's Unreleased section is empty: nothing to release")
    if f"## [{version}]" in changelog:
        fail(f"the CHANGELOG already has a section for {version}")
    changelog = changelog.replace(UNRELEASED, f"{UNRELEASED}\n\n## [{version}] - {today.isoformat()}", 1)
    CHANGELOG.write_text(changelog, encoding="utf-8")
    pyproject = PYPROJECT.read_text(encoding="utf-8")
    pyproject, count = re.subn(r'(?m)^version = "[^"]+"$', f'version = "{version}"', pyproject, count=1)
    if count != 1:
        fail("no `version = ...` line in pyproject.toml's [project]")
    PYPROJECT.write_text(pyproject, encoding="utf-8")
    print(
        f"pyproject.toml and CHANGELOG.md say {version}: commit them, then `git tag v{version}` and push it"
    )


def notes(tag: str) -> None:
    version = tag.removeprefix("refs/tags/").removeprefix("v")
    if not VERSION.match(version):
        fail(f"tag {tag!r} is not v<version>")
    if project_version() != version:
        fail(
            f"tag {tag} but pyproject.toml says {project_version()}: run `scripts/release.py prepare {version}`"
        )
    body = section(CHANGELOG.read_text(encoding="utf-8"), f"## [{version}]")
    if not body:
        fail(f"the CHANGELOG has no section (or an empty one) for {version}")
    print(body)


def main(argv: list[str]) -> None:
    if len(argv) == 2 and argv[0] == "prepare":
        prepare(argv[1], dt.date.today())
    elif len(argv) == 2 and argv[0] == "notes":
        notes(argv[1])
    else:
        fail("usage: release.py prepare VERSION | release.py notes TAG")


if __name__ == "__main__":
    main(sys.argv[1:])
