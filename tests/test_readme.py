"""The README's first command, as written, on a fresh clone of this repository."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _first_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Two commands\n\n```bash\n(.*?)```", readme, re.S)
    assert block, "README lost its 'Two commands' section"
    lines = [line for line in block.group(1).splitlines() if line and not line.startswith("#")]
    assert len(lines) == 2 and lines[1] == "bash .ci/run"
    return lines[0]


def test_readme_main_command_on_a_fresh_clone(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    install, _, command = _first_command().partition(" && ")
    assert install == "python3 -m pip install -e ."  # the install step itself is what .ci/run exercises
    clone = tmp_path / "dailydiff"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    args = shlex.split(command)
    assert args[0] == "dailydiff"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run([sys.executable, "-m", "dailydiff", *args[1:]], cwd=clone, env=env,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    shallow = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"], cwd=clone, capture_output=True, text=True
    )
    if shallow.stdout.strip() == "true":
        # A depth-limited checkout cannot show the whole day: the command must say so, not report half of it.
        assert result.returncode == 3 and "shallow clone" in result.stderr, result.stderr
        return
    assert result.returncode == 0, result.stderr
    reports = sorted((clone / "reports").rglob("*.*"))
    assert [p.suffix for p in reports] == [".json", ".md"]
    markdown = reports[1].read_text(encoding="utf-8")
    assert markdown.startswith("# 每日更新报告（2026-11-21）")
    assert "本日共" in markdown and "本日没有提交" not in markdown  # the project's own commits of that day
