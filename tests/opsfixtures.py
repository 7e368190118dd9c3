"""Fixtures for `dailydiff run`: several real git repositories (built fast with ``git fast-import``) whose
commits match two watch topics by construction, and a config that follows them.

The expected topics of every commit come from the generator's own rules below, independently of
src/dailydiff/watch.py, so the tests check the matcher against what the commits were built to be.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import clirun

REPO_ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
FIRST_DAY = dt.date(2026, 1, 5)
DAYS = 7

WATCH_TOML = """
[[watch]]
name = "security"
keywords = ["security", "CVE"]

[[watch]]
name = "kernels"
paths = ["src/*/kernels/**"]
authors = ["grace@example.com"]
"""


@dataclass
class FixtureCommit:
    sha: str = ""
    date: dt.date = FIRST_DAY
    title: str = ""
    author: str = ""
    topics: list[str] = field(default_factory=list)


def cli_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), "NO_COLOR": "1", **extra}


def dailydiff(
    *args: str | Path, cwd: Path, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command in-process (tests/clirun.py); ``check`` fails the test on a non-zero exit."""
    result = clirun.dailydiff(*args, cwd=cwd, env=cli_env(**(env or {})))
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stderr}")
    return result


def _git(repo: Path, *args: str, data: bytes | None = None) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}
    result = subprocess.run(["git", *args], cwd=repo, env=env, input=data, capture_output=True, check=True)
    return result.stdout.decode()


def build_fixture_repo(path: Path, index: int, per_day: int) -> list[FixtureCommit]:
    """``per_day`` commits on each of the DAYS days from FIRST_DAY (Asia/Shanghai), with a known topic set."""
    path.mkdir(parents=True)
    _git(path, "init", "-q", "-b", "main")
    stream = bytearray()
    commits: list[FixtureCommit] = []
    mark = 0
    for offset in range(DAYS):
        day = FIRST_DAY + dt.timedelta(days=offset)
        for k in range(per_day):
            mark += 1
            moment = dt.datetime.combine(day, dt.time(8 + k % 14, (7 * k) % 60), tzinfo=SHANGHAI)
            security = (offset + k + index) % 4 == 0
            kernels_path = (offset * k + index) % 3 == 1
            grace = (offset + 2 * k) % 5 == 0
            topics = [t for t, hit in (("security", security), ("kernels", kernels_path or grace)) if hit]
            # Decoys: near misses that must not match.
            kind = ["feat", "fix", "perf", "refactor"][(offset + k) % 4]
            subject = (
                "harden security checks" if security else ["improve insecurity docs", "tune scheduler"][k % 2]
            )
            title = f"{kind}: {subject} r{index}d{offset}k{k}"
            module = f"src/m{index}/kernels/op{k}.py" if kernels_path else f"src/m{index}/core/mod{k}.py"
            decoy = f"docs/kernels/notes{k}.md"
            author = ("Grace", "grace@example.com") if grace else ("Ada Lovelace", "grace@example.com.evil")
            message = f"{title}\n\nBody of {title}.\n".encode()
            files = {module: f"value = {offset * 100 + k}\n" * (1 + k % 5), decoy: f"notes {offset} {k}\n"}
            stamp = f"{int(moment.timestamp())} +0800"
            stream += f"commit refs/heads/main\nmark :{mark}\n".encode()
            person = f"{author[0]} <{author[1]}> {stamp}"
            stream += f"author {person}\ncommitter {person}\n".encode()
            stream += f"data {len(message)}\n".encode() + message + b"\n"
            for file_path, content in files.items():
                body = content.encode()
                stream += f"M 100644 inline {file_path}\ndata {len(body)}\n".encode() + body + b"\n"
            commits.append(FixtureCommit(date=day, title=title, author=author[0], topics=topics))
    stream += b"done\n"
    marks = path.resolve() / ".git" / "marks"
    _git(path, "fast-import", "--quiet", "--done", f"--export-marks={marks}", data=bytes(stream))
    shas = dict(line.split() for line in marks.read_text().splitlines())
    for number, fixture_commit in enumerate(commits, 1):
        fixture_commit.sha = shas[f":{number}"]
    _git(path, "reset", "-q", "--hard", "main")
    return commits


def build_workspace(
    root: Path, repos: int = 3, per_day: int = 3, extra_toml: str = "", last_by_url: bool = False
) -> dict[str, list[FixtureCommit]]:
    """``repos`` fixture repositories under root/repos and root/dailydiff.toml following them (the last one
    by a file:// URL, cloned into the data directory, when ``last_by_url``)."""
    expected: dict[str, list[FixtureCommit]] = {}
    entries = []
    for index in range(repos):
        name = f"proj{index}"
        expected[name] = build_fixture_repo(root / "repos" / name, index, per_day)
        source = f"repos/{name}"
        if last_by_url and index == repos - 1:
            source = (root / "repos" / name).resolve().as_uri()
        entries.append(f'[[repos]]\nsource = "{source}"\nname = "{name}"\n')
    (root / "dailydiff.toml").write_text(
        'data_dir = "data"\n\n[report]\nformats = ["md", "json"]\n\n'
        + "\n".join(entries)
        + WATCH_TOML
        + extra_toml,
        encoding="utf-8",
    )
    return expected


def run_args(output: str = "out") -> list[str]:
    last = FIRST_DAY + dt.timedelta(days=DAYS - 1)
    return ["run", "--from", FIRST_DAY.isoformat(), "--to", last.isoformat(), "--output-dir", output]


def leftover_temporaries(out_dir: Path) -> list[Path]:
    """The temporary files a killed writer left (``.NAME.*.tmp``, publish/files.py's atomic_write): a part
    of a report that never became one. The next run leaves a young one alone (another process may be
    writing it) and removes it once it is an hour old."""
    return sorted(p for p in out_dir.rglob(".*.tmp") if p.is_file())


def outputs(out_dir: Path) -> dict[str, str]:
    """Every output file's text, with the one line that holds the generation time left out (and, in JSON,
    the generation time and the per-run counters). A killed writer's temporary file is not an output."""
    import json

    texts = {}
    temporaries = set(leftover_temporaries(out_dir))
    for path in sorted(out_dir.rglob("*")):
        if not path.is_file() or path in temporaries:
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            data = json.loads(text)
            data.pop("generated_at", None)
            data.pop("run", None)
            text = json.dumps(data, sort_keys=True)
        else:
            text = "\n".join(
                line for line in text.splitlines() if "dailydiff" not in line or "生成" not in line
            )
        texts[str(path.relative_to(out_dir))] = text
    return texts
