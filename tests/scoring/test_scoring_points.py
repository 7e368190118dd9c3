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


def test_level_thresholds_are_inclusive() -> None:
    from dailydiff.scoring.rules import level_of

    assert [level_of(s, WEIGHTS) for s in (9.5, 9.49, 5.0, 4.99)] == [Level.HIGH, Level.MEDIUM, Level.MEDIUM,
                                                                        Level.LOW]  # fmt: skip


def plain(message: str, sha: str = "a" * 40, **extra: object) -> Commit:
    people = {"author": ADA, "committer": ADA, **extra}
    return Commit(repo="o/sglang", sha=sha, parents=["b" * 40], authored_at=AT, committed_at=AT, message=message,
                  **people)  # type: ignore[arg-type]  # fmt: skip


def test_labels_name_kinds_once_in_order_with_their_prefixes_dropped() -> None:
    from dailydiff.models import PullRequest
    from dailydiff.scoring.rules import label_types

    labelled = plain("x", pr=PullRequest(number=1, labels=["Kind/Bug", "documentation", "bug", "unknown",
                                                               " type: feature "]))  # fmt: skip
    assert label_types(labelled) == ["bugfix", "docs", "feature"]
    assert label_types(plain("x")) == []


def test_a_bot_is_the_author_or_a_committer_known_by_login() -> None:
    from dailydiff.scoring.rules import bot_name

    actions = Person(name="GitHub", email="noreply@github.com", login="github-actions[bot]")
    assert bot_name(plain("x", committer=actions)) == "github-actions[bot]"
    assert bot_name(plain("x", committer=Person(name="renovate[bot]", email="x@example.com"))) is None
    assert (
        bot_name(plain("x", author=Person(name="  dependabot[bot] ", email="x@example.com")))
        == "dependabot[bot]"
    )


def test_what_a_revert_names_and_which_commit_it_finds() -> None:
    from dailydiff.models import PullRequest
    from dailydiff.scoring.rules import RevertTarget, find_reverted, revert_target

    body = 'Revert "feat: add x (#123)"\n\nThis reverts commit abcdef1234.'
    assert revert_target(plain(body)) == RevertTarget(
        sha="abcdef1234", pr_number=123, title="feat: add x (#123)"
    )
    assert revert_target(plain('Revert "feat: add x"')) == RevertTarget(title="feat: add x")
    assert revert_target(plain("feat: not a revert")) is None
    target = plain("feat: add x (#123)", sha="abcdef1234" + "0" * 30)
    by_pr = plain("fix: y", sha="c" * 40, pr=PullRequest(number=7))
    by_sha = plain(body, sha="d" * 40)
    assert find_reverted(by_sha, [by_sha, by_pr, target]) is target  # itself skipped, found by sha
    assert find_reverted(plain('Revert "fix: y"', sha="e" * 40), [target, by_pr]) is by_pr  # by title
    assert find_reverted(plain("Revert PR #7", sha="f" * 40), [target, by_pr]) is by_pr  # by pull request
    assert (
        find_reverted(plain('Revert "feat: add x (#123)"', sha="9" * 40), [by_pr, target]) is target
    )  # its PR
    assert find_reverted(target, [by_pr]) is None and find_reverted(plain('Revert "gone"'), [target]) is None


def test_paths_are_profiled_by_kind_with_generated_lines_left_out() -> None:
    from dailydiff.models import FileStatus
    from dailydiff.scoring.rules import profile_paths

    profile = profile_paths(plain("x", files=[
        FileChange(path="src/new.py", status=FileStatus.ADDED, additions=5),
        FileChange(path="src/pkg/__init__.py", status=FileStatus.ADDED, additions=2),
        FileChange(path="src/api/v1.py", additions=1, deletions=1),
        FileChange(path="yarn.lock", additions=100),
        FileChange(path="img/a.png", binary=True),
        FileChange(path="src/gen.py", generated=True, additions=7),
    ]))  # fmt: skip
    assert dict(profile.lines) == {"source": 9, "generated": 107, "asset": 0}
    assert dict(profile.files) == {"source": 3, "generated": 2, "asset": 1}
    assert profile.added_modules == ["src/new.py"] and profile.meaningful_lines == 9
    assert profile.public_api == ["src/pkg/__init__.py", "src/api/v1.py"]


def test_dependency_updates() -> None:
    from dailydiff.scoring.rules import is_dependency_update, release_version

    assert is_dependency_update(plain("Bump torch from 2.8 to 2.9"))
    assert is_dependency_update(plain("update x", author=Person(name="renovate[bot]", email="x@example.com")))
    assert not is_dependency_update(plain("update x"))
    assert release_version(plain("bump version to 0.6.9")) == "0.6.9"
    assert release_version(plain('Revert "bump version to 0.6.9"')) is None
