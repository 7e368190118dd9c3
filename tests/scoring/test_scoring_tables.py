"""The scoring tables of scoring/rules.py, row by row: each prefix, tag, label and keyword with the kind of
change it names, written here from what the words mean (a commit titled `perf: …` is a performance
change), the weight each declared kind earns, the hardware tags, and the edges of the rules' predicates.
Part of `make mutation`'s rules set: its table mutants (scripts/table_mutation.py) change these rows."""

from __future__ import annotations

import pytest

from dailydiff.models import PullRequest
from dailydiff.scoring.rules import (
    has_strong_keyword,
    keyword_types,
    label_types,
    parse_title,
    score_commit,
)
from test_scoring_rules import WEIGHTS, _commit

PREFIXES = {
    "feature": ["feat", "feature", "add", "new"],
    "bugfix": ["fix", "bugfix", "hotfix", "bug"],
    "performance": ["perf", "performance", "opt", "optim"],
    "refactor": ["refactor", "refact", "cleanup", "clean"],
    "docs": ["docs", "doc", "documentation"],
    "test": ["test", "tests", "testing"],
    "ci_build": ["ci", "build", "release"],
    "chore": ["chore", "misc", "style"],
    "dependency": ["deps", "dep", "dependencies"],
    "security": ["security", "sec"],
    "config": ["config", "conf"],
}


@pytest.mark.parametrize(("prefix", "kind"), [(p, k) for k, ps in PREFIXES.items() for p in ps])
def test_each_conventional_prefix_declares_its_kind(prefix: str, kind: str) -> None:
    for title in (f"{prefix}: tidy the thing", f"{prefix.upper()}(core): tidy the thing"):
        info = parse_title(title)
        assert (info.types, info.subject) == ([kind], "tidy the thing"), title


def test_a_revert_prefix_is_a_revert_and_an_unknown_prefix_declares_nothing() -> None:
    assert parse_title("revert: the cache change").types == ["revert"]
    # After a tag the prefix is read as a conventional one (a leading "revert" is read before any tag).
    assert (parse_title("[Core] revert: the cache change").types, parse_title("[Core] revert: x").tags) == (
        ["revert"],
        ["Core"],
    )
    assert parse_title("wip: tidy the thing").types == []
    assert parse_title("kernel: tidy the thing").types == []


TAGS = {
    "bugfix": ["bugfix", "fix", "bug", "hotfix", "bug fix"],
    "docs": ["doc", "docs", "documentation", "readme"],
    "ci_build": ["ci", "build", "ci_build", "release", "docker", "ci fix", "nightly"],
    "feature": ["feature", "feat", "new model", "model", "new"],
    "performance": ["perf", "performance", "optimization", "opt", "speedup"],
    "refactor": ["refactor", "refactoring", "cleanup", "code cleanup"],
    "chore": ["minor", "chore", "misc", "style", "lint", "typo", "auto sync"],
    "test": ["test", "tests", "testing", "unittest"],
    "security": ["security"],
    "revert": ["revert"],
    "dependency": ["deps", "dependency", "dependencies"],
    "config": ["config"],
}


@pytest.mark.parametrize(("tag", "kind"), [(t, k) for k, ts in TAGS.items() for t in ts])
def test_each_bracket_tag_declares_its_kind(tag: str, kind: str) -> None:
    for title in (f"[{tag}] tidy the thing", f"[{tag.title()}]: tidy the thing"):
        info = parse_title(title)
        assert (info.types, info.tags) == ([kind], []), title


def test_an_unknown_tag_is_kept_as_a_tag_and_declares_nothing() -> None:
    info = parse_title("[Kernel][cd] tidy the thing")
    assert (info.types, info.tags) == ([], ["Kernel", "cd"])


LABELS = {
    **TAGS,
    "feature": [*TAGS["feature"], "enhancement", "new feature", "breaking-change", "breaking change"],
    "docs": [*TAGS["docs"], "documentation"],
    "dependency": [*TAGS["dependency"], "dependencies"],
    "bugfix": [*TAGS["bugfix"], "regression"],
    "performance": [*TAGS["performance"], "optimization"],
    "ci_build": [*TAGS["ci_build"], "ci/cd", "github_actions"],
    "refactor": [*TAGS["refactor"], "cleanup", "tech-debt"],
}


@pytest.mark.parametrize(("label", "kind"), [(la, k) for k, las in LABELS.items() for la in las])
def test_each_pull_request_label_names_its_kind(label: str, kind: str) -> None:
    for labels in ([label], [f"kind/{label}"], [f"Type: {label.upper()}", "needs-review"]):
        commit = _commit("Tidy the thing", pr=PullRequest(number=7, labels=labels))
        assert label_types(commit) == [kind], labels


def test_labels_that_name_no_kind_are_left_out_and_a_kind_is_named_once() -> None:
    commit = _commit("x", pr=PullRequest(number=7, labels=["needs-review", "bug", "kind/bug", "lgtm"]))
    assert label_types(commit) == ["bugfix"]
    assert label_types(_commit("x")) == []


# One word of each keyword row, and whether it decides a title's primary kind (strong) or only adds one.
KEYWORDS = [
    ("revert", "reverts", True),
    ("bugfix", "crash", True),
    ("performance", "faster", True),
    ("refactor", "rename", True),
    ("feature", "implement", True),
    ("docs", "readme", True),
    ("dependency", "bump", False),
    ("refactor", "simplify", False),
    ("performance", "latency", False),
    ("bugfix", "avoid", False),
    ("config", "timeouts", False),
    ("test", "flaky", False),
    ("ci_build", "nightly", False),
    ("docs", "comments", False),
]


@pytest.mark.parametrize(("kind", "word", "strong"), KEYWORDS)
def test_each_keyword_names_its_kind_and_only_strong_ones_lead(kind: str, word: str, strong: bool) -> None:
    assert keyword_types(f"the {word} here") == [kind]
    assert has_strong_keyword(f"the {word} here") is strong
    # After a weak word of another kind: a strong word's kind goes first, a weak one's stays in its place.
    other = "bump" if kind != "dependency" else "flaky"
    other_kind = "dependency" if kind != "dependency" else "test"
    expected = [kind, other_kind] if strong else [other_kind, kind]
    assert keyword_types(f"{other} and {word}") == expected


@pytest.mark.parametrize("kind", [k for k in PREFIXES if k != "chore"] + ["chore", "revert"])
def test_each_declared_kind_earns_its_own_weight(kind: str) -> None:
    title = 'Revert "the cache change"' if kind == "revert" else f"{PREFIXES[kind][0]}: tidy the thing"
    # Every kind its own non-zero weight (the defaults give config 0, as a kind without a weight gets).
    kinds = [*PREFIXES, "revert"]
    weights = WEIGHTS.model_copy(update={k: 1.0 + i for i, k in enumerate(kinds)})
    score = score_commit(_commit(title, {"src/a.py": (3, 1)}), weights)
    assert score.signals[f"type:{kind}"] == 1.0 + kinds.index(kind)


HARDWARE = ["npu", "amd", "rocm", "cpu", "tpu", "xpu", "hpu", "gpu", "cuda", "intel", "nvidia", "ascend", "mlu",
            "musa", "hip", "metal", "mps", "gaudi", "b200", "h100", "h200", "blackwell", "hopper", "sm100", "sm90"]  # fmt: skip


@pytest.mark.parametrize("tag", HARDWARE)
def test_a_hardware_tag_is_named_among_the_reasons(tag: str) -> None:
    score = score_commit(_commit(f"[{tag.upper()}] tidy the kernel", {"src/a.py": (3, 1)}), WEIGHTS)
    assert f"hardware/area tag [{tag.upper()}]" in score.reasons
    assert not any("hardware" in r for r in score_commit(_commit("[Kernel] tidy it"), WEIGHTS).reasons)


def test_many_files_means_more_than_twenty() -> None:
    def signals(count: int) -> dict[str, float]:
        files = {f"src/m{i}.py": (1, 0) for i in range(count)}
        return score_commit(_commit("tidy the modules", files), WEIGHTS).signals

    assert "many_files" not in signals(20)
    assert signals(21)["many_files"] == WEIGHTS.many_files


def test_a_soft_first_word_is_left_out_before_the_keywords_are_read() -> None:
    assert keyword_types("tiny fix of the cache") == ["bugfix"]
    assert keyword_types("Minor: rename the option") == ["refactor"]


def test_explain_names_every_change_type_in_order() -> None:
    from dailydiff.scoring.rules import explain

    commit = _commit("[CI] fix flaky test_radix_cache", {"test/srt/test_radix_cache.py": (3, 1)})
    assert explain(commit, WEIGHTS).splitlines()[-1] == "  change types: test, bugfix, ci_build"


def test_rule_details_name_at_most_three_paths_and_the_commits_own_file_count() -> None:
    from dailydiff.models import FileStatus, Stats

    added = {f"src/pkg/m{i}.py": (5, 0) for i in range(4)}
    commit = _commit("feat: four modules", {**added, "src/pkg/__init__.py": (1, 0), "api/v1.py": (1, 0),
                                             "api/v2.py": (1, 0), "api/v3.py": (1, 0)})  # fmt: skip
    commit = commit.model_copy(update={
        "files": [f.model_copy(update={"status": FileStatus.ADDED}) if f.path in added else f for f in commit.files],
        "stats": Stats(additions=24, deletions=0, files=300),  # GitHub lists 300 files of a larger change
    })  # fmt: skip
    reasons = score_commit(commit, WEIGHTS).reasons
    assert [r for r in reasons if r.startswith("new_module:")] == [
        f"new_module: src/pkg/m0.py, src/pkg/m1.py, src/pkg/m2.py ({WEIGHTS.new_module:+g})"
    ]
    assert any(r.startswith("public_api: src/pkg/__init__.py, api/v1.py, api/v2.py (") for r in reasons), (
        reasons
    )
    assert any(r.startswith("size: 24 lines in 300 files (") for r in reasons), reasons
