"""The README's first command, as written, run in a repository whose commits of that day are known.

The command reports one date of "this repository". The test does not depend on which commits this
checkout happens to hold (a shallow CI clone, a fork, a rewritten history): it builds a repository with
commits on that date and around it, and runs the command there as a real process, as a user would.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from gitrepo import CommitSpec, FileEdit, build_repo

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = dt.timezone(dt.timedelta(hours=8))  # the default report timezone


def _first_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Two commands\n\n```bash\n(.*?)```", readme, re.S)
    assert block, "README lost its 'Two commands' section"
    lines = [line for line in block.group(1).splitlines() if line and not line.startswith("#")]
    assert len(lines) == 2 and lines[1] == "bash .ci/run"
    return lines[0]


def test_readme_main_command_reports_the_day_of_this_repository(tmp_path: Path) -> None:
    *install, command = _first_command().split(" && ")
    # a virtual environment first (issue 63: a system Python refuses pip installs, PEP 668); the install
    # step itself is what .ci/run exercises
    assert install == ["python3 -m venv .venv", ". .venv/bin/activate", "python -m pip install -e ."]
    args = shlex.split(command)
    assert args[:3] == ["dailydiff", "report", "."]
    day = dt.date.fromisoformat(args[args.index("--date") + 1])
    assert (
        args[args.index("--tz") + 1] == "Asia/Shanghai" and args[args.index("--lang") + 1] == "zh"
    )  # as SHANGHAI
    at = lambda hour, delta=0: dt.datetime.combine(day + dt.timedelta(days=delta), dt.time(hour), SHANGHAI)  # noqa: E731
    clone = tmp_path / "dailydiff"
    build_repo(clone, [
        CommitSpec("fix: the evening before", at(23, -1), edits=[FileEdit("src/a.py", "a = 0\n")]),
        CommitSpec("feat: parse the config once", at(0), edits=[FileEdit("src/a.py", "a = 1\n")]),
        CommitSpec("docs: explain the window", at(12), edits=[FileEdit("README.md", "# demo\n")]),
        CommitSpec("fix: keep the last minute", at(23), edits=[FileEdit("src/b.py", "b = 1\n")]),
        CommitSpec("feat: the morning after", at(0, 1), edits=[FileEdit("src/b.py", "b = 2\n")]),
    ])  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("DAILYDIFF_DEBUG", None)
    result = subprocess.run([sys.executable, "-m", "dailydiff", *args[1:]], cwd=clone, env=env,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    reports = sorted((clone / "reports").rglob("*.*"))
    assert [p.relative_to(clone).as_posix() for p in reports] == [
        f"reports/{day.year}/dailydiff/{day}.json",
        f"reports/{day.year}/dailydiff/{day}.md",
    ]  # the path the README promises
    markdown = reports[1].read_text(encoding="utf-8")
    assert markdown.startswith(f"# 每日更新报告（{day}）")
    titles = ["parse the config once", "explain the window", "keep the last minute"]
    assert all(title in markdown for title in titles), markdown
    assert "the evening before" not in markdown and "the morning after" not in markdown
    assert "本日共" in markdown and "本日没有提交" not in markdown
    summary = [line for line in result.stderr.splitlines() if str(day) in line]
    assert len(summary) == 1 and "3 commits" in summary[0], result.stderr  # the one-line summary per day
