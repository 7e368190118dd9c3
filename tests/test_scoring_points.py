"""The scoring table's arithmetic and the title's keywords, with every figure worked out by hand from the
default weights (size 0.7·log2(1 + lines) capped at 5, core source 2 × the source share, at least 25%):
fast unit tests `make mutation` runs against scoring/rules.py beside tests/test_scoring_rules.py."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from dailydiff.models import Commit, FileChange, Level, Person, Stats
from dailydiff.scoring.rules import fired_rules, has_strong_keyword, keyword_types, score_commit
from dailydiff.settings import load_settings

WEIGHTS = load_settings(environ={}).scoring
ADA = Person(name="Ada", email="ada@example.com")
AT = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def commit(title: str, files: dict[str, tuple[int, int]], author: Person = ADA) -> Commit:
    changes = [FileChange(path=p, additions=a, deletions=d, patch="+x\n") for p, (a, d) in files.items()]
    return Commit(repo="o/r", sha="a" * 40, parents=["b" * 40], author=author, committer=author, authored_at=AT,
                  committed_at=AT, message=title, files=changes,
                  stats=Stats(additions=sum(a for a, _ in files.values()), deletions=sum(d for _, d in files.values()),
                              files=len(changes)))  # fmt: skip


@pytest.mark.parametrize(
    ("title", "kinds", "strong"),
    [
        ("Fix flaky test", ["bugfix", "test"], True),  # the strong kind first, then the rest in order
        ("minor: fix typo in docs", ["bugfix", "docs"], True),  # a soft prefix is no word of the title
        ("use cache to rework loader", ["refactor"], True),  # a weak word, then a strong one of one kind
        ("add faster path", ["feature", "performance"], True),  # two strong kinds: the first one first
        ("faster add", ["performance", "feature"], True),
        ("tune latency", ["performance"], False),  # only a weak word
        ("Trivial - remove dead code and fix crash", ["refactor", "bugfix"], True),
        ("update docs and fix docs", ["docs", "bugfix"], True),
        ("update the readme", ["docs"], True),
        ("nothing to see here", [], False),
    ],
)
def test_keyword_kinds_and_their_order(title: str, kinds: list[str], strong: bool) -> None:
    assert keyword_types(title) == kinds
    assert has_strong_keyword(title) is strong


def size(lines: int) -> float:
    return round(min(5.0, 0.7 * math.log2(1 + lines)), 2)


@pytest.mark.parametrize(
    ("title", "files", "expected", "level"),
    [
        ("feat: x", {"src/a.py": (30, 0), "docs/x.md": (10, 0)},
         [("type", 3.0), ("size", size(40)), ("core_source", 2.0 * 30 / 40)], Level.MEDIUM),
        ("feat: x", {"src/a.py": (1, 0), "docs/x.md": (20, 0)},  # 1/21 of the lines: the 25% floor
         [("type", 3.0), ("size", size(21)), ("core_source", 0.5)], Level.MEDIUM),
        ("feat: big", {"src/a.py": (5000, 0)}, [("type", 3.0), ("size", 5.0), ("core_source", 2.0)], Level.HIGH),
        ("docs: x", {"docs/x.md": (10, 0)}, [("type", -3.0), ("size", size(10)), ("only_docs", -2.0)], Level.LOW),
        ("test: x", {"tests/test_a.py": (5, 0)}, [("type", -2.0), ("size", size(5)), ("only_tests", -1.0)],
         Level.LOW),
        ("chore: x", {"tests/test_a.py": (5, 0), "docs/a.md": (1, 0)}, [("type", -2.0), ("size", size(6))],
         Level.LOW),  # tests and docs: neither only-tests nor only-docs
        ("ci: x", {".github/workflows/a.yml": (3, 1), "Makefile": (1, 0)},
         [("type", -2.0), ("size", size(5)), ("only_ci", -1.5)], Level.LOW),
        ("release v1.2.0", {"docs/a.md": (1, 1)}, [("release", 6.0)], Level.MEDIUM),  # no size, no only-docs
        ("feat: x", {}, [("type", 3.0), ("size", 0.0)], Level.LOW),
    ],
)  # fmt: skip
def test_the_points_of_each_rule(title: str, files: dict[str, tuple[int, int]], expected: list[tuple[str, float]],
                                 level: Level) -> None:  # fmt: skip
    change = commit(title, files)
    assert [(rule.name, points) for rule, points, _ in fired_rules(change, WEIGHTS)] == expected
    score = score_commit(change, WEIGHTS)
    assert score.score == round(sum(points for _, points in expected), 2) and score.level is level


def test_a_merge_scores_nothing() -> None:
    merge = commit("Merge branch 'x'", {"src/a.py": (100, 0)}).model_copy(
        update={"parents": ["b" * 40, "c" * 40]}
    )
    score = score_commit(merge, WEIGHTS)
    assert (score.level, score.score, score.signals, score.reasons) == (
        Level.LOW, 0.0, {"merge": 0.0}, ["merge commit (not analysed)"])  # fmt: skip


@pytest.mark.parametrize(
    ("name", "email", "bot"),
    [
        ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", "dependabot[bot]"),
        ("renovate[bot]", "bot@renovateapp.com", "renovate[bot]"),
        ("Ada", "ada@example.com", None),
    ],
)
def test_a_bot_is_named_in_the_reasons(name: str, email: str, bot: str | None) -> None:
    change = commit(
        "chore(deps): bump x from 1.0 to 1.1", {"requirements.txt": (1, 1)}, Person(name=name, email=email)
    )
    fired = {rule.name: detail for rule, _, detail in fired_rules(change, WEIGHTS)}
    assert fired.get("bot") == bot
