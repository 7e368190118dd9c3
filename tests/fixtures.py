"""Scripted fixture repositories with fixed dates, shared by the golden, report and CLI tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from gitrepo import CommitSpec, FileEdit, build_repo, commit, git

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """A moment on 2026-01-<day> in Shanghai time (the reports' default timezone)."""
    return dt.datetime(2026, 1, day, hour, minute, second, tzinfo=SHANGHAI)


PY_MODULE = "\n".join(f"def helper_{i}(x):\n    return x + {i}\n" for i in range(30))


def sample_specs() -> list[CommitSpec]:
    """A realistic day (2026-01-19) in the style of sglang, plus its neighbours."""
    return [
        CommitSpec("Initial import", at(18, 10), edits=[
            FileEdit("python/sglang/srt/layers/attention.py", PY_MODULE),
            FileEdit("python/sglang/srt/server_args.py", "class ServerArgs:\n    tp_size: int = 1\n"),
            FileEdit("README.md", "# sample\n"),
            FileEdit("pyproject.toml", '[project]\nname = "sample"\ndependencies = ["torch==2.8"]\n'),
            FileEdit("test/test_attention.py", "def test_a():\n    assert True\n"),
        ]),
        CommitSpec("[Feature] overlap LoRA weight loading with compute (#15512)\n\n"
                   "Load the next adapter's weights on a side stream while the current batch runs.\n\n"
                   "Co-authored-by: Someone <s@example.com>", at(19, 10, 43, 59), author="Glen Liu",
                   email="glen@example.com", edits=[
            FileEdit("python/sglang/srt/lora/overlap_loader.py",
                     "class OverlapLoader:\n    def load_async(self, name):\n        return name\n\n"
                     "def start_stream():\n    return None\n" + PY_MODULE),
            FileEdit("python/sglang/srt/server_args.py",
                     "class ServerArgs:\n    tp_size: int = 1\n    lora_overlap: bool = False\n"),
        ]),
        CommitSpec("[Bugfix] fix nan in fp8 attention when batch is empty (#17325)", at(19, 14, 6, 11),
                   author="yudian0504", email="y@example.com", edits=[
            FileEdit("python/sglang/srt/layers/attention.py", PY_MODULE.replace("return x + 3", "return (x or 0) + 3")),
            FileEdit("test/test_attention.py", "def test_a():\n    assert True\n\ndef test_empty():\n    assert 1\n"),
        ]),
        CommitSpec("[Doc] Update README with install steps", at(19, 8, 39, 20), author="Mick", email="m@example.com",
                   edits=[FileEdit("README.md", "# sample\n\n## Install\n\npip install sample\n")]),
        CommitSpec("[CI] Add partition to stage-b-test-large-1-gpu (11->12) (#17245)", at(19, 15, 19, 39),
                   author="Alison Shao", email="a@example.com",
                   edits=[FileEdit(".github/workflows/pr-test.yml", "jobs:\n  test:\n    partitions: 12\n")]),
        CommitSpec('Revert "[Perf] fuse q, k norm for Flux2Attention (#17241)" (#17332)', at(19, 15, 24, 11),
                   author="Xiaoyu Zhang", email="x@example.com",
                   authored_at=at(17, 9),  # rebased: authored two days before it landed
                   edits=[FileEdit("python/sglang/srt/layers/layernorm.py", "def apply_qk_norm(q, k):\n    return q, k\n")]),
        CommitSpec("chore(deps): bump torch to 2.9 | pin `cuda-python` <script>alert(1)</script>", at(19, 22, 10),
                   author="Dep|Bot <b>", email="bot@example.com",
                   edits=[FileEdit("pyproject.toml", '[project]\nname = "sample"\ndependencies = ["torch==2.9"]\n'),
                          FileEdit("uv.lock", "lock\n" * 400)]),
        CommitSpec("# not a heading __init__ [x](javascript:alert(1)) `code|pipe` \\ *star*", at(19, 23, 59, 59),
                   author="Ünïcødé 作者", email="u@example.com",
                   edits=[FileEdit("python/sglang/__init__.py", "__all__ = []\n"),
                          FileEdit("assets/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00binary")]),
        CommitSpec("Next day's first commit", at(20, 0, 0, 0), edits=[FileEdit("CHANGELOG.md", "x\n")]),
        CommitSpec("Late on the 18th, committed out of order", at(18, 23, 59, 59), edits=[
            FileEdit("python/sglang/srt/utils.py", "def util():\n    return 1\n")]),
    ]  # fmt: skip


def build_sample_repo(path: Path) -> list[str]:
    shas = build_repo(path, sample_specs())
    git(path, "remote", "add", "origin", "https://github.com/sgl-project/sglang.git")
    return shas


def add_merge(path: Path) -> str:
    """A side branch merged back with a merge commit on 2026-01-19."""
    git(path, "checkout", "-q", "-b", "side", "HEAD~3")
    commit(path, CommitSpec("side: small tweak", at(19, 16), edits=[FileEdit("side.txt", "s\n")]))
    git(path, "checkout", "-q", "main")
    env = {"GIT_COMMITTER_DATE": at(19, 17).isoformat(), "GIT_AUTHOR_DATE": at(19, 17).isoformat()}
    git(path, "merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side", env=env)
    return git(path, "rev-parse", "HEAD").strip()


def build_day_reports(repo: Path, data: Path, dates: list[dt.date], language: str, now: dt.datetime) -> list:  # type: ignore[type-arg]
    """Run the real pipeline (git source, heuristic analyser, SQLite store) over a fixture repository."""
    from dailydiff.analysis import HeuristicAnalyzer
    from dailydiff.settings import load_settings
    from dailydiff.sources.git import GitSource
    from dailydiff.store import Store
    from engine_run import run_days

    settings = load_settings(
        environ={}, overrides={"data_dir": str(data), "report": {"language": language}}, cwd=data.parent
    )
    with Store.open(data) as store:
        return run_days(
            GitSource.open(str(repo), data), dates, settings, store, HeuristicAnalyzer(), now=now
        ).reports
