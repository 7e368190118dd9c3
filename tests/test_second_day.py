"""Issue 25 ("a second first day"): what still trips a newcomer. Each test is named after its item."""

from __future__ import annotations

import datetime as dt

import pytest

from dailydiff.analysis.heuristic.analyser import HeuristicAnalyzer
from dailydiff.common.i18n import change_type_labels
from dailydiff.models import ChangeType, Commit, FileChange, Person, Stats
from dailydiff.scoring.rules import commit_types, score_commit
from dailydiff.settings import load_settings

WEIGHTS = load_settings(None, environ={}).scoring
MOMENT = dt.datetime(2026, 4, 24, 6, 3, tzinfo=dt.UTC)
DEV = Person(name="Alex Yang", email="alex@example.com", login="alexy")


def make_commit(title: str, files: dict[str, tuple[int, int]] | None = None, *, body: str = "",
                repo: str = "flashinfer-ai/flashinfer", sha: str = "e" * 40,
                committed_at: dt.datetime = MOMENT) -> Commit:  # fmt: skip
    changes = [FileChange(path=p, additions=a, deletions=d) for p, (a, d) in (files or {}).items()]
    stats = Stats(additions=sum(c.additions for c in changes), deletions=sum(c.deletions for c in changes),
                  files=len(changes))  # fmt: skip
    return Commit(repo=repo, sha=sha, author=DEV, committer=DEV, authored_at=committed_at,
                  committed_at=committed_at, message=f"{title}\n\n{body}" if body else title, files=changes,
                  stats=stats)  # fmt: skip


# scoring --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "[CI] run unit tests under compute-sanitizer (#2201)",
        "Fix out-of-bounds read reported by AddressSanitizer in the sampling kernel",
        "build: add UBSan and ASan jobs (-fsanitize=address,undefined)",
        "ci: ThreadSanitizer job for the scheduler",
    ],
)
def test_sanitizer_tool_names_are_not_security_words(title: str) -> None:
    commit = make_commit(title, {"csrc/sampling.cu": (12, 3), ".github/workflows/ci.yml": (8, 0)},
                         body="Found with compute-sanitizer --tool memcheck.")  # fmt: skip
    score = score_commit(commit, WEIGHTS)
    assert "security_words" not in score.signals, score.reasons
    assert ChangeType.SECURITY not in commit_types(commit)
    analysis = HeuristicAnalyzer().analyse(commit, score, score.level, "en")
    assert analysis.insights.security == "" and ChangeType.SECURITY not in analysis.change_types


def test_sanitizing_input_is_still_a_security_word() -> None:
    commit = make_commit("Sanitize user-supplied paths against path traversal", {"src/io.py": (10, 2)})
    assert "security_words" in score_commit(commit, WEIGHTS).signals


@pytest.mark.parametrize(
    "title", ["bump version to 0.6.9 (#3123)", "release v0.7.0", "chore: bump version to 1.2.3"]
)
def test_a_version_bump_is_a_release(title: str) -> None:
    commit = make_commit(title, {"version.txt": (1, 1)})
    assert commit_types(commit) == [ChangeType.RELEASE]
    score = score_commit(commit, WEIGHTS)
    analysis = HeuristicAnalyzer().analyse(commit, score, score.level, "en")
    assert analysis.change_types == [ChangeType.RELEASE]
    assert (
        change_type_labels("en")["release"] == "Release" and change_type_labels("zh")["release"] == "版本发布"
    )
