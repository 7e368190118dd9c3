"""Chinese rule-based summaries read as Chinese (issue 63): the title's action and topics said in Chinese,
English only as a quoted title, no template residue, no mention, no cut word.

The measure is scripts/zh_summaries.py's, the one the acceptance over flashinfer's history was counted with."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dailydiff.analysis.heuristic import HeuristicAnalyzer
from dailydiff.models import Commit, FileChange, Level, PullRequest, Score, Stats
from test_heuristic_summary import BODIES, MOMENT, PERSON

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from zh_summaries import problems


def _commit(title: str, body: str, *, in_pr: bool = False) -> Commit:
    files = [FileChange(path="flashinfer/fused_moe/core.py", additions=12, deletions=3)]
    return Commit(repo="flashinfer-ai/flashinfer", sha="b" * 40, author=PERSON, committer=PERSON,
                  authored_at=MOMENT, committed_at=MOMENT, message=title if in_pr else f"{title}\n\n{body}",
                  files=files, stats=Stats(additions=12, deletions=3, files=1),
                  pr=PullRequest(number=1, title=title, body=body) if in_pr else None)  # fmt: skip


def _zh(commit: Commit, depth: Level = Level.MEDIUM) -> str:
    return HeuristicAnalyzer().analyse(commit, Score(level=depth, score=6.0), depth, "zh").summary


@pytest.mark.parametrize("depth", [Level.LOW, Level.MEDIUM, Level.HIGH])
@pytest.mark.parametrize("in_pr", [False, True])
def test_every_real_body_gives_a_chinese_summary_without_residue(depth: Level, in_pr: bool) -> None:
    for row in BODIES:
        summary = _zh(_commit(row["title"], row["body"], in_pr=in_pr), depth)
        assert problems(summary) == [], (row["source"], summary)


def test_the_title_action_and_topics_are_said_in_chinese() -> None:
    summary = _zh(_commit("[moe] Fix fused MoE autotuning hangs on SM120 (#3227)", "Long English body."))
    assert summary.startswith(
        "修复「fused MoE autotuning hangs on SM120」，涉及融合、混合专家、自动调优、卡死。"
    ), summary
    assert (
        "拉取请求的描述原文：「Long English body.」" in summary
    )  # the description, quoted as the PR's words
    # a title without an action the table knows is named by its change type
    summary = _zh(_commit("fix(moe): fused MoE autotuning hangs on SM120 (#3227)", ""))
    assert summary.startswith("Bug修复：「fused MoE autotuning hangs on SM120」"), summary
    # a title without an action the table knows is named by its change type
    summary = _zh(_commit("feat: offline tactics blocklist for GPU-aware autotuner pruning (#2997)", ""))
    assert summary.startswith("功能增强：「offline tactics blocklist for GPU-aware autotuner pruning」"), (
        summary
    )


def test_mentions_cc_lines_and_template_labels_never_reach_a_chinese_summary() -> None:
    body = "📌 Description:\nadd SM 103 support. cc: @b8zhong, @Fridge003\n\n## 🚀 Pull Request Checklist\n- [x] tests"
    summary = _zh(_commit("Add @qsang-nv as a code owner for attention  Description:", body))
    assert summary.startswith("新增「qsang-nv as a code owner for attention」"), summary
    assert "@" not in summary and "cc" not in summary and "Description" not in summary, summary


def test_a_title_github_cut_is_made_whole_from_the_body_else_cut_before_the_cut_word() -> None:
    continued = _commit("fix: One sided MOE A2A warp token policy hangs in some cases, disable… (#3371)",
                        "… this option as it is never beneficial\n\nMore words.")  # fmt: skip
    summary = _zh(continued)
    assert "disable this option as it is never beneficial」" in summary and "…" not in summary, summary
    glued = _commit(
        "docs: document MAX_JOBS env var and its interaction with FLASHINFER_N… (#3060)", "…VCC_THREADS"
    )
    assert "「MAX_JOBS env var and its interaction with FLASHINFER_NVCC_THREADS」" in _zh(glued)
    cut = _commit("feat: BF16 state recovery/decode kernel with per-request K and f… (#3720)", "Body.")
    summary = _zh(cut)
    assert "「BF16 state recovery/decode kernel with per-request K」" in summary, summary


def test_a_chinese_body_is_kept() -> None:
    summary = _zh(_commit("Fix the scheduler", "修复调度器在空批次时的崩溃问题。"))
    assert "修复调度器在空批次时的崩溃问题。" in summary, summary


def test_no_stray_space_after_a_list_that_ends_in_chinese() -> None:
    """Issue 63: "等 7 项 了解新能力的用法" (59 times in 122 days): a phrase's space after {files} is for a
    code span, not for a list ending in "项"."""
    import re

    from dailydiff.models import FileStatus

    files = [
        FileChange(path=f"csrc/kernels/k{i}.cu", additions=40, status=FileStatus.ADDED) for i in range(4)
    ]
    commit = Commit(repo="o/r", sha="c" * 40, author=PERSON, committer=PERSON, authored_at=MOMENT,
                    committed_at=MOMENT, message="feat: add four kernels", files=files,
                    stats=Stats(additions=160, deletions=0, files=4))  # fmt: skip
    analysis = HeuristicAnalyzer().analyse(commit, Score(level=Level.HIGH, score=9.0), Level.HIGH, "zh")
    said = [*analysis.recommendations, *analysis.risks]
    assert any("等 4 项" in line for line in said), said
    assert not [line for line in said if re.search(r"项 [\u4e00-\u9fff]", line)], said
