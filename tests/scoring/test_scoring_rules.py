"""Scoring rules on real titles: releases, reverts, bots and dependency updates, bracket tags, "overflow",
and the rule table that `report --explain SHA` prints."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dailydiff.models import ChangeType, Commit, FileChange, Level, Person, PullRequest, Stats
from dailydiff.scoring.rules import (
    RULES,
    commit_types,
    explain,
    find_reverted,
    release_version,
    revert_target,
    score_commit,
)
from dailydiff.settings import load_settings
from fixtures import build_sample_repo

WEIGHTS = load_settings(None, environ={}).scoring
MOMENT = dt.datetime(2026, 4, 24, 6, 3, tzinfo=dt.UTC)
DEV = Person(name="Alex Yang", email="alex@example.com", login="alexy")


def _commit(
    title: str,
    files: dict[str, tuple[int, int]] | None = None,
    *,
    body: str = "",
    repo: str = "flashinfer-ai/flashinfer",
    author: Person = DEV,
    sha: str = "e" * 40,
    pr: PullRequest | None = None,
) -> Commit:
    changes = [FileChange(path=p, additions=a, deletions=d) for p, (a, d) in (files or {}).items()]
    stats = Stats(additions=sum(c.additions for c in changes), deletions=sum(c.deletions for c in changes),
                  files=len(changes))  # fmt: skip
    message = f"{title}\n\n{body}" if body else title
    return Commit(repo=repo, sha=sha, author=author, committer=author, authored_at=MOMENT, committed_at=MOMENT,
                  message=message, files=changes, stats=stats, pr=pr)  # fmt: skip


# The real body of flashinfer's 0.6.14 bump: an API diff in the reviewer notes, full of words.
BUMP_BODY = """## Description

Bump version to 0.6.14 for release.

## Reviewer Notes

**API changes review** — breaking changes, if any, are listed below.

```diff
+    output_dtype: Optional[torch.dtype] = None,
```"""


def test_a_version_bump_is_a_release_not_a_breaking_docs_or_dependency_change() -> None:
    commit = _commit("bump version to 0.6.9 (#3123)", {"version.txt": (1, 1)}, body=BUMP_BODY)
    score = score_commit(commit, WEIGHTS)
    assert release_version(commit) == "0.6.9"
    assert set(score.signals) == {"release"}
    assert "breaking" not in score.signals and "only_docs" not in score.signals
    assert score.level is Level.MEDIUM
    assert commit_types(commit) == [ChangeType.RELEASE]
    assert score.reasons == ["release: release 0.6.9 (+6)"]


@pytest.mark.parametrize(
    ("title", "repo", "version"),
    [
        ("bump version to 0.6.14 (#3752)", "flashinfer-ai/flashinfer", "0.6.14"),
        ("chore: bump sgl-kernel version to 0.3.21 (#16888)", "sgl-project/sglang", "0.3.21"),
        ("[model-gateway] release 0.3.1 (#16254)", "sgl-project/sglang", "0.3.1"),
        ("chore(main): release 0.2.0 (#476)", "flashinfer-ai/flashinfer", "0.2.0"),
        ("Release v2.9.0", "pytorch/pytorch", "2.9.0"),
        ("chore: bump mooncake version to 0.3.8.post1 (#16792)", "sgl-project/sglang", None),
        ("Upgrade aiter version (#16619)", "sgl-project/sglang", None),
        ("cli: support sglang version (#17250)", "sgl-project/sglang", None),
        ("fix: Release pr pypi fix (#17382)", "sgl-project/sglang", None),
    ],
)
def test_release_titles(title: str, repo: str, version: str | None) -> None:
    assert release_version(_commit(title, repo=repo)) == version


def test_a_named_dependency_bump_is_a_dependency_update() -> None:
    commit = _commit("chore: bump mooncake version to 0.3.8.post1 (#16792)", {"docker/Dockerfile": (1, 1)},
                     repo="sgl-project/sglang")  # fmt: skip
    assert commit_types(commit)[0] is ChangeType.DEPENDENCY
    assert "type:dependency" in score_commit(commit, WEIGHTS).signals


def test_a_revert_is_typed_revert_only_and_names_what_it_reverts() -> None:
    original = _commit("[Perf] fuse q, k norm for Flux2Attention (#17241)", {"python/sglang/a.py": (80, 5)},
                       sha="a" * 40, repo="sgl-project/sglang")  # fmt: skip
    revert = _commit('Revert "[Perf] fuse q, k norm for Flux2Attention (#17241)" (#17332)',
                     {"python/sglang/a.py": (5, 80)}, sha="b" * 40, repo="sgl-project/sglang")  # fmt: skip
    assert commit_types(revert) == [ChangeType.REVERT]
    assert "type:revert" in score_commit(revert, WEIGHTS).signals
    assert revert_target(revert) is not None and revert_target(revert).pr_number == 17241  # type: ignore[union-attr]
    assert find_reverted(revert, [revert, original]) is original
    # `git revert` names the sha; GitHub's revert button names the pull request
    by_sha = _commit('Revert "fuse q, k norm"', body=f"This reverts commit {'a' * 40}.", sha="c" * 40)
    assert find_reverted(by_sha, [original]) is original
    by_pr = _commit("Revert PR 4122 (#4171)", sha="d" * 40)
    target = _commit("feat: sharding (#9)", sha="f" * 40, pr=PullRequest(number=4122))
    assert find_reverted(by_pr, [by_pr, target]) is target
    assert find_reverted(original, [revert]) is None  # not a revert


def test_a_dependency_bot_commit_is_routine() -> None:
    bot = Person(name="dependabot[bot]", email="49699333+dependabot[bot]@users.noreply.github.com",
                 login="dependabot[bot]")  # fmt: skip
    commit = _commit(
        "Bump torch from 2.8.0 to 2.9.0 in /docker", {"docker/requirements.txt": (1, 1)}, author=bot
    )
    score = score_commit(commit, WEIGHTS)
    assert score.signals["bot"] == WEIGHTS.bot
    assert "type:dependency" in score.signals
    assert score.level is Level.LOW
    assert commit_types(commit) == [ChangeType.DEPENDENCY]
    pre_commit = _commit("[pre-commit.ci] pre-commit autoupdate", {".pre-commit-config.yaml": (2, 2)},
                         author=Person(name="pre-commit-ci[bot]", email="x@y"))  # fmt: skip
    assert commit_types(pre_commit)[0] is ChangeType.DEPENDENCY
    assert "bot" in score_commit(pre_commit, WEIGHTS).signals


def test_overflow_is_a_correctness_bug_not_security() -> None:
    commit = _commit("[Fix] Quick fix for int32 overflow in Mooncakes' send_kvcache_slice (#19076)",
                     {"python/sglang/srt/disaggregation/mooncake/conn.py": (4, 2)})  # fmt: skip
    assert "security_words" not in score_commit(commit, WEIGHTS).signals
    assert commit_types(commit)[0] is ChangeType.BUGFIX
    underflow = _commit("Fix 0/0 NaN in GLM52 routing renorm on sigmoid underflow (#3803)")
    assert "security_words" not in score_commit(underflow, WEIGHTS).signals
    real = _commit("Fix path traversal in the file loader (CVE-2026-1234)", {"python/loader.py": (10, 2)})
    assert "security_words" in score_commit(real, WEIGHTS).signals
    assert commit_types(real)[0] is ChangeType.SECURITY


@pytest.mark.parametrize(
    ("title", "files", "kind", "level"),
    [
        ("[Bugfix] Fix missing group arg in get dp buffer (#25585)", {"python/sglang/srt/dp.py": (3, 1)},
         "bugfix", Level.MEDIUM),
        ("[Kernel] Add FP8 KV cache support to the Triton MLA decode kernel (#24567)",
         {"vllm/attention/ops/triton_decode_attention.py": (180, 20), "vllm/v1/attention/mla.py": (30, 4)},
         "feature", Level.HIGH),
        ("[NPU] Support GPT-OSS on Ascend (#14197)", {"python/sglang/srt/layers/npu_attn.py": (60, 3)},
         "feature", Level.MEDIUM),
        ("[CI] Add partition to stage-b-test-large-1-gpu (11->12) (#17245)",
         {".github/workflows/pr-test.yml": (3, 1)}, "ci_build", Level.LOW),
        ("[Doc] update the install guide (#17100)", {"docs/get_started/install.md": (20, 4)}, "docs", Level.LOW),
    ],
)  # fmt: skip
def test_bracket_tags(title: str, files: dict[str, tuple[int, int]], kind: str, level: Level) -> None:
    score = score_commit(_commit(title, files, repo="sgl-project/sglang"), WEIGHTS)
    assert f"type:{kind}" in score.signals
    assert score.level is level, score.reasons


def test_the_word_breaking_in_a_body_is_not_a_breaking_change() -> None:
    body = "This fixes a breaking test in CI."
    assert "breaking" not in score_commit(_commit("fix: flaky test", body=body), WEIGHTS).signals
    footer = "Drops the old flag.\n\nBREAKING CHANGE: --legacy-attn is gone"
    assert "breaking" in score_commit(_commit("feat: drop legacy attention", body=footer), WEIGHTS).signals
    assert "breaking" in score_commit(_commit("feat!: drop python 3.8"), WEIGHTS).signals


def test_every_rule_says_when_it_fires_what_it_weighs_and_why() -> None:
    for rule in RULES:
        assert rule.predicate and rule.reason and rule.weight
    assert len({rule.name for rule in RULES}) == len(RULES)


def test_explain_lists_the_rules_that_fired_with_points_and_the_level() -> None:
    commit = _commit("[fix] fix blackwell gdn accuracy issue (#3156)",
                     {"flashinfer/gdn_kernels/blackwell/gdn.py": (1, 2), "tests/gdn/test_gdn.py": (1, 1)})  # fmt: skip
    text = explain(commit, WEIGHTS, Level.HIGH)
    assert "type" in text and "+2.50" in text and "[bugfix]" in text
    assert "size" in text and "core_source" in text and "only_tests" not in text
    score = score_commit(commit, WEIGHTS)
    assert f"score {score.score:g} → {score.level.value}" in text
    assert "level in the report: high" in text


# What `report --explain SHA` prints for a small fix, line by line: each rule that fired with its points, the
# weight it reads (a kind rule names the kind; the others add what they saw), why it exists, then the sum.
GDN_FIX = [
    "eeeeeeeeeeee [fix] fix blackwell gdn accuracy issue (#3156)",
    "  type          +2.50  [bugfix]  the title declares a kind of change: conventional prefix, [Tag], PR label "
    "or its first word (not for a release)",
    "                       why: features, fixes and performance matter more than docs, tests or CI",
    "  size          +1.81  [size_weight]  log2 of the changed lines, lockfiles/generated/vendored files left out, "
    "capped (not for a release) — 5 lines in 2 files",
    "                       why: bigger changes carry more risk and more news",
    "  core_source   +1.20  [core_source]  source files change (points scaled by their share of the lines, at least "
    "25%) — 1 source file",
    "                       why: behaviour changes live in source, not in docs or CI",
    "  score 5.51 → medium (medium ≥ 5, high ≥ 9.5)",
    "  change types: bugfix",
]


def test_explain_prints_every_fired_rule_its_points_and_the_sum_exactly() -> None:
    commit = _commit("[fix] fix blackwell gdn accuracy issue (#3156)",
                     {"flashinfer/gdn_kernels/blackwell/gdn.py": (1, 2), "tests/gdn/test_gdn.py": (1, 1)})  # fmt: skip
    assert explain(commit, WEIGHTS) == "\n".join(GDN_FIX) + "\n"
    assert explain(commit, WEIGHTS, Level.MEDIUM) == "\n".join(GDN_FIX) + "\n"  # the analyser agreed
    overruled = [*GDN_FIX, "  level in the report: high (the analyser's own judgement)"]
    assert explain(commit, WEIGHTS, Level.HIGH) == "\n".join(overruled) + "\n"
    docs = _commit("docs: typo", {"README.md": (1, 1)}, sha="d" * 40)
    lines = explain(docs, WEIGHTS).splitlines()  # the names column is as wide as the longest that fired
    assert lines[1].startswith("  type        -3.00  [docs]  the title declares") and " — " not in lines[1]
    assert lines[2] == " " * 21 + "why: features, fixes and performance matter more than docs, tests or CI"
    assert (
        lines[5]
        == "  only_docs   -2.00  [only_docs]  only documentation changes (not a release's version file)"
    )
    assert lines[7] == "  score -3.89 → low (medium ≥ 5, high ≥ 9.5)"


def test_explain_says_a_merge_commit_is_not_scored() -> None:
    merge = _commit("Merge pull request #12 from a/b", {"src/x.py": (9, 1)}).model_copy(
        update={"parents": ["a" * 40, "b" * 40]}
    )
    assert explain(merge, WEIGHTS, Level.HIGH) == (
        "eeeeeeeeeeee Merge pull request #12 from a/b\n"
        "  merge commit: not scored (its changes are in its parents)\n"
    )


def test_each_rule_names_its_weight_in_scoring() -> None:
    rules = {rule.name: rule for rule in RULES}
    assert rules["type"].weight == "<kind>"  # the kind's own weight (feature, bugfix, docs…)
    breaking = rules["breaking"]
    assert (breaking.predicate, breaking.weight, breaking.reason) == (
        "`type!:` in the title or a `BREAKING CHANGE:` footer",
        "breaking",
        "users must act",
    )
    assert all(rule.weight in type(WEIGHTS).model_fields for rule in RULES if rule.weight != "<kind>")


def test_report_explain_prints_the_table_for_one_commit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    build_sample_repo(repo)
    sha = subprocess.run(["git", "log", "-1", "--format=%H", "--grep=Bugfix"], cwd=repo,
                         capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    base = [sys.executable, "-m", "dailydiff", "report", str(repo), "--date", "2026-01-19", "--analyzer",
            "heuristic", "--data-dir", str(tmp_path / "data"), "-q"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    result = subprocess.run(
        [*base, "--explain", sha[:8]], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sgl-project/sglang: landed on 2026-01-19 (Asia/Shanghai)\n" + sha[:12])
    assert "score " in result.stdout and "→" in result.stdout
    assert "# " not in result.stdout  # the rule table instead of the report
    missing = subprocess.run(
        [*base, "--explain", "0000000"], capture_output=True, text=True, timeout=120, env=env
    )
    assert missing.returncode == 2
    assert (
        "no commit of sgl-project/sglang starts with it" in missing.stderr
        and "Traceback" not in missing.stderr
    )


def test_a_revert_links_to_the_reverted_commits_entry(tmp_path: Path) -> None:
    from dailydiff.render import render_markdown
    from fixtures import at, build_day_reports
    from gitrepo import CommitSpec, FileEdit, build_repo, git

    repo = tmp_path / "repo"
    shas = build_repo(repo, [
        CommitSpec("Initial import", at(18, 10), edits=[FileEdit("pkg/a.py", "x = 1\n")]),
        CommitSpec("[Perf] fuse q, k norm (#17241)", at(19, 10), edits=[FileEdit("pkg/a.py", "x = 2\n")]),
        CommitSpec('Revert "[Perf] fuse q, k norm (#17241)" (#17332)', at(19, 15),
                   edits=[FileEdit("pkg/a.py", "x = 1\n")]),
        CommitSpec('Revert "[Perf] fuse q, k norm, older (#16000)" (#17333)', at(19, 16),
                   edits=[FileEdit("pkg/b.py", "y = 1\n")]),
    ])  # fmt: skip
    git(repo, "remote", "add", "origin", "https://github.com/sgl-project/sglang.git")
    report = build_day_reports(repo, tmp_path / "data", [dt.date(2026, 1, 19)], "en", MOMENT)[0]
    text = render_markdown(report)
    reverted = shas[1]
    assert f"↩️ Reverts [`{reverted[:7]}`](#c-{reverted[:7]})" in text
    assert f'<a id="c-{reverted[:7]}"></a>' in text
    # the reverted commit of another day is linked on the forge
    assert "↩️ Reverts [`#16000`](https://github.com/sgl-project/sglang/pull/16000)" in text
    from dailydiff.render.html import day_view

    html_views = {c["sha"]: c for c in day_view(report)["commits"]}
    assert html_views[shas[2]]["reverts"] == {"text": reverted[:7], "href": f"#c-{reverted[:7]}"}
    revert = next(rc for rc in report.commits if rc.sha == shas[2])
    assert revert.analysis is not None and revert.analysis.change_types == [ChangeType.REVERT]


def test_a_medium_commit_names_a_changed_public_signature_and_a_kernel_change_without_tests() -> None:
    from dailydiff.analysis.heuristic import HeuristicAnalyzer
    from dailydiff.models import Score

    patch = (
        "@@ -10,3 +10,3 @@\n-def get_alibi_slopes(n_heads):\n+def get_alibi_slopes(n_heads, device=None):\n"
    )
    kernel = "@@ -1 +1 @@\n-  int idx = blockIdx.x;\n+  int64_t idx = blockIdx.x;\n"
    commit = _commit("fix: int64 offsets in alibi slopes (#2000)", {}).model_copy(update={"files": [
        FileChange(path="flashinfer/utils.py", additions=1, deletions=1, patch=patch),
        FileChange(path="csrc/alibi.cu", additions=1, deletions=1, patch=kernel),
    ]})  # fmt: skip
    analysis = HeuristicAnalyzer().analyse(commit, Score(level=Level.MEDIUM, score=6), Level.MEDIUM, "en")
    assert "signature of public `get_alibi_slopes`" in analysis.insights.architecture
    assert any("kernel code (`csrc/alibi.cu`) without touching any test" in r for r in analysis.risks)
    low = HeuristicAnalyzer().analyse(commit, Score(level=Level.LOW, score=2), Level.LOW, "en")
    assert low.impact == ["`csrc`: 1 file(s), +1/−1", "`flashinfer`: 1 file(s), +1/−1"]
    assert not low.risks and not low.insights.architecture


def test_source_points_follow_the_share_of_source_lines_and_never_fall_below_a_quarter() -> None:
    def core_source(files: dict[str, tuple[int, int]]) -> str:
        [line] = [
            ln for ln in explain(_commit("feat: parser", files), WEIGHTS).splitlines() if "core_source" in ln
        ]
        return line.split()[1]

    assert core_source({"src/parser.py": (1, 0), "docs/parser.md": (2, 0)}) == "+0.67"  # a third of 2.0
    assert core_source({"src/parser.py": (2, 0)}) == "+2.00"
    # A source file moved or re-moded (no changed lines) still counts a quarter, alone or beside docs.
    assert core_source({"src/parser.py": (0, 0)}) == "+0.50"
    assert core_source({"src/parser.py": (0, 0), "docs/parser.md": (2, 0)}) == "+0.50"
    third = explain(_commit("feat: parser", {"src/parser.py": (1, 0), "docs/parser.md": (2, 0)}), WEIGHTS)
    assert (
        "  score 5.07 → medium (medium ≥ 5, high ≥ 9.5)" in third
    )  # each rule's points rounded, then summed


def test_a_revert_names_its_pull_request_from_the_body_or_else_from_the_quoted_title() -> None:
    from dailydiff.scoring.rules import RevertTarget

    assert revert_target(_commit("Revert: bad idea")) == RevertTarget(
        sha=None, pr_number=None, title="bad idea"
    )
    quoted = _commit('Revert "feat: x (#99)"', body="Reverts org/repo#12")
    assert revert_target(quoted) == RevertTarget(sha=None, pr_number=12, title="feat: x (#99)")
    assert revert_target(_commit('Revert "feat: x (#99)"')) == RevertTarget(None, 99, "feat: x (#99)")
    reverted = _commit(
        "feat: x", sha="a" * 40, pr=PullRequest(number=12, title="feat: x", url="https://x/12")
    )
    other = _commit("feat: x", sha="b" * 40, pr=PullRequest(number=99, title="feat: x", url="https://x/99"))
    assert find_reverted(quoted, [other, reverted]) is reverted


@pytest.mark.parametrize(
    ("title", "files", "types"),
    [
        # Where a change happens (ci, chore, config) comes after what it does.
        ("chore: add retries to the fetcher", {"src/fetch.py": (5, 1)}, ["feature", "refactor"]),
        ("config: enable the cache by default", {"src/cache.py": (5, 1)}, ["feature", "config"]),
        # The paths say what it is: docs with their images, ci with the build, config alone; generated files
        # beside the docs change nothing.
        ("Fix typo in README", {"README.md": (1, 1), "assets/arch.png": (0, 0)}, ["docs", "bugfix"]),
        (
            "Fix the image build",
            {"Dockerfile": (2, 1), ".github/workflows/ci.yml": (1, 1)},
            ["ci_build", "bugfix"],
        ),
        ("Weekly sync", {"config/defaults.yaml": (1, 1)}, ["feature", "config"]),
        ("Update protos", {"proto/a_pb2.py": (50, 10), "docs/a.md": (1, 0)}, ["docs"]),
        # Two kinds from the words at most, three in all, a security fix first.
        ("fix: add a faster path and remove dead code", {"src/a.py": (5, 1)}, ["bugfix", "feature"]),
        (
            "config: fix CVE-2024-1234 and add the defaults",
            {"docs/a.md": (1, 1)},
            ["security", "docs", "bugfix"],
        ),
    ],
)
def test_change_types_in_their_order(title: str, files: dict[str, tuple[int, int]], types: list[str]) -> None:
    assert [t.value for t in commit_types(_commit(title, files))] == types


def test_a_pull_request_label_adds_its_kind_after_the_title() -> None:
    pr = PullRequest(number=3, title="fix: parser", url="https://x/3", labels=["kind/feature"])
    assert [t.value for t in commit_types(_commit("fix: parser", {"src/a.py": (5, 1)}, pr=pr))] == [
        "bugfix", "feature"]  # fmt: skip


def test_a_title_without_a_kind_gets_no_type_points_and_a_revert_tag_wins_over_another() -> None:
    plain = explain(_commit("Weekly sync", {"src/a.py": (1, 1)}), WEIGHTS)
    assert "  type " not in plain and "  score 3.11 → low" in plain
    assert score_commit(_commit("Weekly sync", {"src/a.py": (1, 1)}), WEIGHTS).reasons == [
        "size: 2 lines in 1 file (+1.11)", "core_source: 1 source file (+2)"]  # fmt: skip
    both = explain(_commit("[Feature] [Revert] x", {"src/a.py": (1, 1)}), WEIGHTS).splitlines()
    assert both[1].startswith("  type          +") and "[revert]" in both[1]


def test_the_score_and_its_reasons_name_each_rule_once_with_its_rounded_points() -> None:
    score = score_commit(_commit("[Blackwell] feat!: drop the sm80 path", {"src/a.py": (5, 1)}), WEIGHTS)
    assert score.reasons == ["type: feature (+3)", "breaking (+4)", "size: 6 lines in 1 file (+1.97)",
                             "core_source: 1 source file (+2)", "hardware/area tag [Blackwell]"]  # fmt: skip
    assert score.score == 10.97 and score.level is Level.HIGH
    gdn = score_commit(_commit("[fix] fix blackwell gdn accuracy issue (#3156)",
                               {"flashinfer/gdn_kernels/blackwell/gdn.py": (1, 2), "tests/gdn/test_gdn.py": (1, 1)}),
                       WEIGHTS)  # fmt: skip
    assert gdn.score == 5.51 and gdn.signals["size"] == 1.81


def test_security_words_are_lower_case_sorted_and_leave_sanitizer_names_out() -> None:
    from dailydiff.scoring.rules import security_words

    assert security_words("Fix an XSS in the renderer, found by AddressSanitizer; GHSA-abcd-1234") == [
        "ghsa-abcd-1234", "xss"]  # fmt: skip
    assert security_words("fix a leak found by AddressSanitizer") == []
    assert security_words("Patch CVE-2024-12345 (and cve-1999-0001)") == ["cve-1999-0001", "cve-2024-12345"]


@pytest.mark.parametrize(
    ("title", "repo", "version"),
    [
        ("bump tensorrt-llm version to 1.1.0", "NVIDIA/TensorRT-LLM", "1.1.0"),  # the project itself
        ("bump sgl-kernel version to 0.3.21", "sgl-project/sglang", "0.3.21"),  # one of its packages
        ("[Release] bump flashinfer-cubin version to 0.6.14", "flashinfer-ai/flashinfer", "0.6.14"),
        ("bump nvidia-modelopt to 0.33.0", "NVIDIA/TensorRT-LLM", None),  # a dependency named like the owner
        ("bump demo version to 1.2.0", "demo", "1.2.0"),  # a local repository, named without an owner
    ],
)
def test_a_named_version_bump_is_a_release_only_of_the_repository_itself(
    title: str, repo: str, version: str | None
) -> None:
    assert release_version(_commit(title, repo=repo)) == version


def test_a_revert_title_loses_one_revert_and_its_quotes() -> None:
    from dailydiff.scoring.rules import parse_title

    twice = parse_title('Revert "Revert "feat: add x""')
    assert (twice.types, twice.subject) == (["revert"], 'Revert "feat: add x"')
    quoted = parse_title('Revert "feat: add x (#99)" (#120)')
    assert (quoted.types, quoted.subject, quoted.pr_number) == (["revert", "feature"], "add x", 120)


def test_a_bracket_tag_of_several_names_gives_each_its_meaning() -> None:
    reasons = score_commit(_commit("[Bugfix/NPU] fix the kernel", {"src/a.py": (1, 1)}), WEIGHTS).reasons
    assert reasons[0] == "type: bugfix (+2.5)" and reasons[-1] == "hardware/area tag [NPU]"


@pytest.mark.parametrize(
    "title",
    [
        "[CI] Add NVIDIA Compute Sanitizer memcheck to the unit tests (#2210)",
        "fix: IMA/sanitizer errors in the trtllm-gen MoE routing kernel (#2288)",
        "ci: run both sanitize and racecheck jobs on the nightly runners",
        "perf: prefix cache injection for the decode attention path (#2301)",
        "test: fault injection for the allreduce fusion workspace (#2315)",
    ],
)
def test_debugging_tools_and_kernel_words_are_not_security_words(title: str) -> None:
    commit = _commit(title, {"csrc/fused_moe/routing.cu": (60, 20), "tests/moe/test_routing.py": (30, 4)})
    score = score_commit(commit, WEIGHTS)
    assert "security_words" not in score.signals, score.reasons
    assert not any("security" in reason for reason in score.reasons)


@pytest.mark.parametrize(
    ("title", "word"),
    [
        ("Fix SQL injection in the history search", "sql injection"),
        ("prevent prompt injection through commit messages", "prompt injection"),
        ("sanitize HTML in the chat preview", "sanitize html"),
        ("input sanitization for uploaded configs", "input sanitization"),
        ("Sanitize user-supplied paths against path traversal", "path traversal"),
    ],
)
def test_attacks_and_sanitising_what_an_attacker_sends_are_still_security_words(
    title: str, word: str
) -> None:
    commit = _commit(title, {"src/io.py": (10, 2)})
    score = score_commit(commit, WEIGHTS)
    assert "security_words" in score.signals and word in ", ".join(score.reasons), score.reasons
