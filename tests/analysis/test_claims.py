"""The claims tracer (analysis/claims.py): each kind of claim found in prose, traced to what the model was
shown, forgiving where writing is and strict where facts are; unsupported sentences removed or marked."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dailydiff.analysis.claims import (
    Evidence,
    Section,
    cited,
    claims_in,
    commit_evidence,
    day_grounding,
    ground,
    sentences,
    trace,
    unsupported,
)
from dailydiff.analysis.heuristic import HeuristicAnalyzer
from dailydiff.models import (
    Analysis,
    Commit,
    FileChange,
    Grounding,
    Insights,
    Level,
    Person,
    PullRequest,
    Score,
    Stats,
)

NOW = dt.datetime(2026, 4, 24, tzinfo=dt.UTC)
EVIDENCE = Evidence(
    [
        Section("header", "flashinfer-ai/flashinfer 3f2a9c1d0e4b\n3 files, +1506/-20"),
        Section(
            "message",
            "perf(decode): 2.3x faster split-k for BatchDecodeWrapper (#1506)\n\nSets "
            "FLASHINFER_SPLIT_K=1 by default; adds --split-k to the benchmark. Requires v0.6.16.",
        ),
        Section(
            "pull request", "#2210 Faster decode\nperformance\nMeasured 35% lower latency on H100, 4 GB less."
        ),
        Section(
            "diff",
            "flashinfer/decode.py (modified, +12/-3)\n@@ -40,3 +40,5 @@ class BatchDecodeWrapper:\n"
            "     def plan(self, q):\n+        self._split_k = split_k_default()\n+        torch.cuda.synchronize()\n",
            path="flashinfer/decode.py",
        ),
        Section(
            "diff",
            "csrc/batch_decode.cu (modified, +1494/-17)\n@@ -1,1 +1,2 @@\n+namespace flashinfer::decode {\n",
            path="csrc/batch_decode.cu",
        ),
    ]
)


def _found_and_twin_flagged(text: str, invented: str, shown: Evidence) -> None:
    """Every claim of ``text`` is found in ``shown``; its invented twin still has one that is not."""
    traced = trace(text, shown)
    assert traced and all(c.where is not None for c in traced), traced
    assert [c for c in trace(invented, shown) if c.where is None], trace(invented, shown)


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(claim, kind.name) for claim, kind, _, _ in claims_in(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Edits `flashinfer/decode.py`.", [("flashinfer/decode.py", "code")]),
        (
            "Edits flashinfer/decode.py and decode.py.",
            [("flashinfer/decode.py", "path"), ("decode.py", "file")],
        ),
        ("Sets FLASHINFER_SPLIT_K and --split-k.", [("FLASHINFER_SPLIT_K", "env"), ("--split-k", "flag")]),
        ("See PR #1506 and 3f2a9c1d.", [("1506", "reference"), ("3f2a9c1d", "commit")]),
        ("Needs v0.6.16.", [("v0.6.16", "version")]),
        # an address is no version (held out 105: `127.0.0.1`)
        ("Binds 127.0.0.1 and 0.0.0.0, needs 1.2.3.4.", [("1.2.3.4", "version")]),
        (
            "35% lower, 2.3× faster, 4 GB less, 1,506 lines.",
            [("35", "percent"), ("2.3", "multiple"), ("4", "size"), ("1,506", "count")],
        ),
        (
            "Calls split_k_default() in BatchDecodeWrapper.plan via flashinfer::decode.",
            [
                ("split_k_default()", "call"),
                ("BatchDecodeWrapper.plan", "identifier"),
                ("flashinfer::decode", "identifier"),
            ],
        ),
        ("新增 `split_k_default`，提速 2.3 倍。", [("split_k_default", "code"), ("2.3", "multiple")]),
        ("修改了split_k_default函数", [("split_k_default", "identifier")]),
        # prose abbreviations, well-known names and small counts are not claims
        ("E.g. PyTorch and CuTe, i.e. two tests in 3 files.", []),
        # a term code divides by is no multiplier (held out 113)
        ("A single split is replicated len(mixer) // 2 times.", []),
        # a kind of one word is read in the words that hold its needs: a claim glued to Chinese text or to a code
        # span, and a digit of another script (no word of ASCII holds it) is none
        (
            "修改了foo_bar和`x/y.py`，另见 a/b/c.cu",
            [("foo_bar", "identifier"), ("x/y.py", "code"), ("a/b/c.cu", "path")],
        ),
        ("see `a`_b_c and d_e", [("_b_c", "identifier"), ("d_e", "identifier")]),
        ("数字１２３，见 ٣_٤", []),
        ("数字１２３", []),
    ],
)
def test_each_kind_of_claim_is_read_from_prose(text: str, expected: list[tuple[str, str]]) -> None:
    assert _kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The change is in decode.py.",  # a file name matches its path
        "It edits flashinfer-ai/flashinfer/decode.py.",  # the repository's name put in front
        "It is 2.3× faster.",  # 2.3x = 2.3×
        "提速 2.3 倍。",  # = 2.3 倍
        "Adds 1506 lines.",  # 1,506 = 1506 (here the header says +1506)
        "Touches `BatchDecodeWrapper.plan`.",  # a qualified name put together from its parts
        "Latency is 35 % lower.",
        "Sets `FLASHINFER_SPLIT_K=1`.",
        "Reported in pull request #2210.",
        "Needs 0.6.16.",
        "The `namespace flashinfer::decode` block.",
    ],
)
def test_forgiving_where_writing_is(text: str) -> None:
    traced = trace(text, EVIDENCE)
    assert traced and all(c.where is not None for c in traced), traced


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        ("Edits flashinfer/prefill.py.", "flashinfer/prefill.py"),
        ("Adds `split_k_heuristic`.", "split_k_heuristic"),
        ("Calls fused_moe_v2() now.", "fused_moe_v2()"),
        ("It is 3.1× faster.", "3.1"),
        ("Latency is 36% lower.", "36"),
        ("Fixes #9999.", "9999"),
        ("Sets FLASHINFER_SPLIT_Q.", "FLASHINFER_SPLIT_Q"),
        ("Needs v0.7.0.", "v0.7.0"),
        ("Cuts memory by 2 GB.", "2"),
        ("`BatchPrefillWrapper.plan` changes too.", "BatchPrefillWrapper.plan"),
        # a flag of one word is not found by the word: only as a flag or as the code that parses it
        ("Pass --plan to force it.", "--plan"),
    ],
)
def test_strict_where_facts_are(text: str, invented: str) -> None:
    traced = trace(text, EVIDENCE)
    assert [c.text for c in traced if c.where is None] == [invented]


def test_where_a_claim_was_found_is_named() -> None:
    where = {c.text: c.where for c in trace(
        "In flashinfer/decode.py, `split_k_default` (#2210) is 2.3x faster; FLASHINFER_SPLIT_K too.",
        EVIDENCE, located=True)}  # fmt: skip
    assert where == {
        "flashinfer/decode.py": "diff flashinfer/decode.py",
        "split_k_default": "diff flashinfer/decode.py:41",
        "2210": "pull request",
        "2.3": "message",
        "FLASHINFER_SPLIT_K": "message",
    }


def test_sentences_split_at_their_ends_and_join_back() -> None:
    text = "Uses torch.cuda.synchronize here. Then e.g. more! 第一句。第二句；end"
    parts = sentences(text)
    assert "".join(parts) == text
    assert parts == ["Uses torch.cuda.synchronize here. ", "Then e.g. more! ", "第一句。", "第二句；", "end"]


def test_a_sentence_does_not_end_inside_a_code_span_and_punctuation_alone_is_no_claim() -> None:
    """Held out 32: "(`... ,` spacing)" was cut after its "...", and " spacing) suggests " read as code."""
    text = "Code style (long lines, `... ,` spacing) suggests `make checkstyle` may fail. Next."
    assert sentences(text) == [text[:-5], "Next."]
    shown = Evidence([Section("diff", "Makefile\n+checkstyle:\n+\truff check .\n", "Makefile")])
    analysis = _analysis(risks=[text, "Code style (`... ,` spacing) suggests `make lint` may fail."])
    grounded = ground(analysis, shown, "repair", "en")
    assert grounded.risks == [text]
    assert grounded.grounding is not None and grounded.grounding.unverified == ["make lint"]


def test_a_code_span_of_one_letter_is_passed_over_and_pairs_its_own_backticks() -> None:
    """Held out 50: after `T` the closing "`" paired with the next opening, and ", so " was read as code."""
    text = "`OptimizersContainer` becomes `Generic[T]` with `T` bound to `Optimizer`, so `optimizers` is typed `List[T]`."
    assert [claim for claim, *_ in claims_in(text)] == [
        "OptimizersContainer", "Generic[T]", "Optimizer", "optimizers", "List[T]",
    ]  # fmt: skip
    assert [claim for claim, *_ in claims_in("With `T` bound to `Optimzer`.")] == ["Optimzer"]


def test_a_run_of_two_backticks_opens_only_a_span_closed_by_two() -> None:
    """A repair answer of held out 53 wrote `:class:`~a.B`` (an RST role in backticks): its "``" opened a span, and
    ", but the class is in " was read as code and removed; a span closed by two backticks is one (``x_y``)."""
    text = "It refers to `:class:`~torchtune.data.Llama2ChatTemplate``, but the class is in `torchtune.models.llama2`."
    assert [claim for claim, *_ in claims_in(text)] == [
        ":class:", "torchtune.data.Llama2ChatTemplate", "torchtune.models.llama2",
    ]  # fmt: skip
    assert [claim for claim, *_ in claims_in("RST writes ``max_seq_len`` and `T` and ``x``.")] == [
        "max_seq_len"
    ]
    shown = Evidence(
        [
            Section(
                "diff",
                "d.py\n+    See :class:`~torchtune.data.Llama2ChatTemplate`\n"
                "+from torchtune.models.llama2 import Llama2ChatTemplate\n",
                "d.py",
            )
        ]
    )
    assert unsupported(_analysis(summary=text), shown) == []
    assert unsupported(_analysis(summary=text.replace("llama2`", "llama3`")), shown) == [
        "torchtune.models.llama3"
    ]


def test_a_placeholder_or_a_slot_does_not_stand_for_what_the_prompt_lacks() -> None:
    """Every day folder replayed on round 54: a regex's `{7,40}` was found in any `${{ … }}` of a workflow, and
    `#include <numeric>` in any `#include`, both judged not shown (held out 33 and 36)."""
    shown = Evidence(
        [
            Section(
                "diff",
                'ci.yml (modified, +2/−0)\n+        run: echo "${{ github.sha }}"\n+#include <vector>\n',
                "ci.yml",
            )
        ]
    )
    for text in (
        "Validate it against `^[0-9a-f]{7,40}$` or `{7,40}`.",
        "Add `#include <numeric>` to the test.",
    ):
        assert [c.text for c in trace(text, shown) if c.where is None], text


def test_a_list_of_names_with_an_ellipsis_is_traced_not_raised() -> None:
    """Held out 51: `memory_peak/...(%)` split "..." at its dots into empty names, and finding an empty name raised
    IndexError: the whole analysis fell back to the rules."""
    shown = Evidence(
        [Section("diff", 'x.py (modified, +1/−0)\n+    f"memory_peak/active(%)": active_peak,\n', "x.py")]
    )
    traced = trace("Tags `memory_peak/...(%)` and `memory_peak/active(%)` are written.", shown)
    assert [c.text for c in traced] == ["memory_peak/...(%)", "memory_peak/active(%)"]


def _analysis(**fields: object) -> Analysis:
    base: dict[str, object] = {"analyzer": "llm:fake", "summary": "", "importance_reason": "Decode path."}
    return Analysis.model_validate({**base, **fields})


def test_repair_mode_removes_only_the_sentences_with_an_unsupported_claim() -> None:
    analysis = _analysis(
        summary="Split-k decode in flashinfer/decode.py is 2.3x faster. It also rewrites csrc/prefill.cu. "
        "Latency drops 35%.",
        risks=["Invented helper fused_moe_v2() may break.", "BatchDecodeWrapper callers see new defaults."],
        insights=Insights(performance="Saves 9 GB in `split_k_cache`."),
    )
    grounded = ground(analysis, EVIDENCE, "repair", "en")
    assert grounded.summary == "Split-k decode in flashinfer/decode.py is 2.3x faster. Latency drops 35%."
    assert grounded.risks == ["BatchDecodeWrapper callers see new defaults."]
    assert grounded.insights.performance == "(removed: not found in the diff)"
    g = grounded.grounding
    assert g is not None and g.action == "removed"
    assert g.unverified == ["csrc/prefill.cu", "9", "split_k_cache", "fused_moe_v2()"]
    assert g.checked == 8 and g.supported == 4
    assert len(g.removed) == 3 and g.published().removed == []


def test_mark_mode_keeps_and_marks_in_the_reports_language() -> None:
    analysis = _analysis(summary="改动了 `split_k_heuristic`。提速 2.3 倍。")
    grounded = ground(analysis, EVIDENCE, "mark", "zh")
    assert grounded.summary == "改动了 `split_k_heuristic`。 ⚠️ diff 中未见：split_k_heuristic提速 2.3 倍。"
    assert grounded.grounding is not None and grounded.grounding.action == "marked"


def test_a_supported_analysis_is_unchanged_byte_for_byte() -> None:
    analysis = _analysis(summary="Decode in flashinfer/decode.py is 2.3x faster.  ", risks=["None seen. "])
    grounded = ground(analysis, EVIDENCE, "repair", "en")
    assert grounded.summary == analysis.summary and grounded.risks == analysis.risks
    assert grounded.grounding == Grounding(
        checked=2, supported=2, action="none", claims=grounded.grounding.claims
    )


def test_tracing_a_rules_analysis_builds_no_validator() -> None:
    # The trace's figures are ours: built without validation, so the first trace of a process does not pay for
    # pydantic building the model's validator (and importing its plugins): ~20 ms of every rules day.
    script = (
        "from dailydiff.analysis.claims import Evidence, Section, ground, day_grounding\n"
        "from dailydiff.models import Analysis, Grounding, GroundingStats\n"
        "from pydantic._internal._mock_val_ser import MockValSer\n"
        "shown = Evidence([Section('diff', 'flashinfer/decode.py (modified, +1/-0)', path='flashinfer/decode.py')])\n"
        "a = ground(Analysis.model_construct(analyzer='heuristic', summary='Edits flashinfer/decode.py.'), shown,"
        " 'trace', 'en')\n"
        "day = day_grounding([a.grounding])\n"
        "assert (a.grounding.checked, a.grounding.supported, day.checked) == (1, 1, 1), a.grounding\n"
        "print(isinstance(Grounding.__pydantic_validator__, MockValSer),"
        " isinstance(GroundingStats.__pydantic_validator__, MockValSer))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True"]
    # plain defaults are still one list per instance
    first = Grounding.model_construct(checked=1)
    first.unverified.append("x")
    assert Grounding.model_construct().unverified == [] and Grounding().unverified == []


def test_off_traces_nothing() -> None:
    analysis = _analysis(summary="Edits csrc/prefill.cu.")
    assert ground(analysis, EVIDENCE, "off", "en") == analysis


def test_the_day_adds_up_its_analyses() -> None:
    day = day_grounding([
        Grounding(checked=10, supported=10),
        Grounding(checked=5, supported=3, unverified=["a", "b"], action="removed", repaired=0),
        Grounding(checked=6, supported=5, unverified=["c"], action="marked"),
        Grounding(checked=4, supported=4, action="repaired", repaired=2),
        None,
    ])  # fmt: skip
    assert (day.checked, day.supported, day.repaired, day.removed, day.marked) == (25, 22, 2, 2, 1)


def test_counts_the_diff_adds_up_are_supported_and_others_are_not() -> None:
    """The rules analyser says "Changes 37 lines of source", "csrc: 2 file(s), +30/−0": sums a reader of the
    diff makes (per folder, per kind of path, in all); a count the diff does not add up to is unsupported."""
    person = Person(name="Ada", email="ada@example.com")
    files = [FileChange(path="csrc/a.cu", additions=20, deletions=1, patch="@@ -1 +1 @@\n+x\n"),
             FileChange(path="csrc/b.cu", additions=10, deletions=6, patch="@@ -1 +1 @@\n+y\n"),
             FileChange(path="tests/test_a.py", additions=40, deletions=0, patch="@@ -1 +1 @@\n+z\n")]  # fmt: skip
    commit = Commit(repo="o/r", sha="a" * 40, author=person, committer=person, authored_at=NOW, committed_at=NOW,
                    message="feat: a", stats=Stats(additions=70, deletions=7, files=3), files=files)  # fmt: skip
    evidence = commit_evidence(commit)
    for text in (
        "Changes 37 lines of source.",
        "Changes 77 lines.",
        "csrc gets 30 lines.",
        "Adds 40 lines of tests.",
    ):
        assert all(c.where for c in trace(text, evidence)), text
    assert [c.text for c in trace("Changes 55 lines.", evidence) if c.where is None] == ["55"]


def test_a_files_own_count_of_lines_written_round_is_found() -> None:
    """Held out 42 (round 43): "passes.py 删除了约 130 行" for its −133, as a folder's count written round is."""
    person = Person(name="Ada", email="ada@example.com")
    files = [FileChange(path="g/passes.py", additions=7, deletions=133, patch="@@ -1 +1 @@\n-x\n"),
             FileChange(path="g/fsdp_passes.py", additions=206, deletions=50, patch="@@ -1 +1 @@\n+y\n")]  # fmt: skip
    commit = Commit(repo="o/r", sha="a" * 40, author=person, committer=person, authored_at=NOW, committed_at=NOW,
                    message="refactor: move", stats=Stats(additions=213, deletions=183, files=2), files=files)  # fmt: skip
    _found_and_twin_flagged(
        "passes.py 删除了约 130 行。", "passes.py 删除了约 150 行。", commit_evidence(commit)
    )


def test_a_hunks_own_count_of_added_lines_written_round_is_found() -> None:
    """Held out 88 (round 85): "新增约 290 行的 sch_dequantize_in_register_with_config" for a hunk of 293 added lines
    (`@@ -370,3 +374,296 @@`), in a file of 309; a count no hunk, file or folder adds up to is still flagged."""
    person = Person(name="Ada", email="ada@example.com")
    patch = "@@ -4,2 +4,3 @@\n a\n+b\n c\n@@ -370,3 +374,296 @@\n x\n" + "+y\n" * 293 + " z\n w\n"
    files = [FileChange(path="bitblas/gpu/matmul.py", additions=309, deletions=1, patch=patch)]
    commit = Commit(repo="o/r", sha="a" * 40, author=person, committer=person, authored_at=NOW, committed_at=NOW,
                    message="feat: simt", stats=Stats(additions=309, deletions=1, files=1), files=files)  # fmt: skip
    _found_and_twin_flagged("新增约 290 行的调度方法。", "新增约 250 行的调度方法。", commit_evidence(commit))


BODIES = json.loads((Path(__file__).parents[1] / "data" / "pr_bodies.json").read_text(encoding="utf-8"))[
    "bodies"
]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_rules_analyser_is_never_flagged_on_real_pull_request_bodies(language: str) -> None:
    """The rules say only what the commit says, so a claim they make that the tracer does not find is the
    tracer's false flag: over 42 real bodies (33 of flashinfer's squash merges), in the message and in the
    pull request, at every depth, none."""
    analyser = HeuristicAnalyzer()
    person = Person(name="Dev", email="dev@example.com")
    patch = "@@ -1,3 +1,9 @@\n import torch\n+def fused_moe_kernel(x):\n+    return x\n+class MoERunner:\n+    pass\n"
    files = [FileChange(path="flashinfer/fused_moe/core.py", additions=40, deletions=3, patch=patch),
             FileChange(path="tests/moe/test_core.py", additions=25, deletions=0, patch="@@ -0,0 +1 @@\n+def test_moe():\n"),
             FileChange(path="csrc/fused_moe/kernel.cu", additions=300, deletions=250, patch="@@ -1 +1 @@\n-int a;\n+int b;\n")]  # fmt: skip
    flagged = []
    checked = 0
    for row in BODIES:
        for in_pr in (False, True):
            message = row["title"] if in_pr else f"{row['title']}\n\n{row['body']}"
            pr = (
                PullRequest(number=4061, title=row["title"], body=row["body"], labels=["perf"])
                if in_pr
                else None
            )
            commit = Commit(repo="flashinfer-ai/flashinfer", sha="b" * 40, author=person, committer=person,
                            authored_at=NOW, committed_at=NOW, message=message, files=files, pr=pr,
                            stats=Stats(additions=365, deletions=253, files=3))  # fmt: skip
            for depth in Level:
                analysis = analyser.analyse(commit, Score(level=depth, score=6.0), depth, language)
                grounding = ground(analysis, commit_evidence(commit), "trace", language).grounding
                assert grounding is not None
                checked += grounding.checked
                flagged += [(row["title"][:40], claim) for claim in grounding.unverified]
    assert checked > 1000 and flagged == [], flagged


# What a capable model writes about what it was shown, and the tracer once flagged (a hand check of real
# answers to real flashinfer prompts): each kind is a row of claims.toml or of the matching rules, with the
# invented twin it must still flag.
SHOWN = Evidence(
    [
        Section(
            "message", "Revert PR 4122 (#4171)\n\nSee https://github.com/flashinfer-ai/flashinfer/issues/4375"
        ),
        Section(
            "pull request",
            "#4571 KDA\nFrom https://github.com/NVIDIA/TensorRT-LLM/pull/7072. Geomean `1.569460x/2.403220x`; "
            "+30.18% at 512 tokens; +5.10% and +9.02% at E=2048.\nremove front-padding for q/k/v/o tensors",
        ),
        Section(
            "diff",
            "csrc/a.cu (modified, +9/-0)\n+static_assert(SMEM_TOTAL == 227328);\n"
            '+  if (totalDynamicShmemSize > 48 * 1024) {\n+    TLLM_CHECK_WITH_INFO(ok, "");\n'
            "+    cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, n);\n"
            "+__global__ void TopKSamplingFromProbKernel(float* out);\n+struct HelixFifoInfo {};\n"
            '+    jit_specs.append(gen_moe_alltoall_module())\n+        f"flashinfer::xqa_input_{dtype}"\n'
            "+def decode_cp_a2a_init_workspace(): pass\n+    if has_w4afp8: pass\n"
            "+| 896 | 16 | 512 | 13.341 | 10.248 |\n+| 2048 | 32 | 65536 |\n",
            path="csrc/a.cu",
        ),
        Section("unseen files", "73 files, 71 more\ncsrc/b.cu\ncsrc/c.cu"),
    ]
)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        ("It reverts #4122.", "It reverts #4123."),  # "PR 4122" in the message
        ("Tracked in issue #4375.", "Tracked in issue #4376."),  # a link to the issue
        ("The fence comes from TensorRT-LLM PR #7072.", "The fence comes from TensorRT-LLM PR #7073."),
        (
            "About 1.57x over the direct route and 2.40x overall.",
            "About 1.58x over the direct route.",
        ),  # rounded
        ("Up to 30% faster.", "Up to 31% faster."),  # +30.18%, rounded
        ("Gains of 5%–9% at E=2048.", "Gains of 4%–9% at E=2048."),
        ("It holds 227,328 bytes of shared memory.", "It holds 227,329 bytes of shared memory."),  # code's
        ("At 512 tokens it takes 13.341us.", "At 512 tokens it takes 13.351us."),  # a table's cells
        ("Up to 65,536 tokens.", "Up to 65,537 tokens."),
        ("Above 48 KB it asks for more.", "Above 64 KB it asks for more."),  # 48 * 1024
        ("TLLM_CHECK guards the size.", "TLLM_ASSERT guards the size."),  # a name inside a longer one
        ("It sets MaxDynamicSharedMemorySize.", "It sets MaxStaticSharedMemorySize."),
        ("The TopK kernels and each FifoInfo.", "The TopKSampler kernels."),
        ("moe_alltoall is built apart.", "moe_alltoall_v2 is built apart."),
        ("Op names like flashinfer::xqa_... change.", "Op names like flashinfer::xqb_... change."),
        ("It adds _init_workspace.", "It adds _free_workspace."),
        ("For W4AFP8 weights.", "For W4A16 weights."),  # a format's name, in any letter case
        ("The q/k/v/out tensors.", "The q/k/z_proj/out tensors."),  # a list of names, not a path
        ("73 files are not shown.", "74 files are not shown."),  # the prompt's count of unseen files
    ],
)
def test_what_a_real_model_wrote_about_what_it_saw_is_found(text: str, invented: str) -> None:
    traced = trace(text, SHOWN)
    assert traced and all(c.where is not None for c in traced), traced
    assert [c for c in trace(invented, SHOWN) if c.where is None], trace(invented, SHOWN)


@pytest.mark.parametrize(
    "text",
    [
        "No change on most shapes (+0.0x%).",
        "Shapes 1x8K x32K and 1×8K×64K.",
        "A pool over 2^31 bytes.",
        "它修正了 RoPE 使用的位置索引。",  # a term any reader of a kernel library knows (held out 20)
        "The docs are reStructuredText.",  # a format's name (held out 21)
        "0 times a weight is still 0.",  # a product, not a multiplier (held out 23)
        "The new path runs on arch 10x/11x only.",  # SM families (held out 24)
        "It pads to 16 x 32 (2-byte) or 16 x 64 (1-byte) tiles.",  # a shape (held out 35)
        "The KleidiAI kernels; the BibTeX entry.",  # a library any reader knows, a format (held out 35)
        "The ops save to a per-API/device/dtype file.",  # a prose list (held out 36)
        "约第 912 行处的调用现在传入 strides。",  # a line's number, not a count of lines (held out 38)
        "The test runs FSDP 4 x PP 2.",  # degrees of parallelism (held out 39)
        'It registers SomeLayoutType; call quantize(m, "some_name"); a Frozen<ClassName>.',  # placeholders (held out 37 to 39)
        "The docs are reST; scores from the EleutherAI harness.",  # a format, an organisation (held out 54, 57)
        "Both warps issue 128-bit copies.",  # the verb, a size after it (held out 82)
        "It takes round(2x)/2 below 2.",  # a product in a call (held out 84)
        "Add an assertion that 32 % bits == 0.",  # a modulo (held out 87)
        "It fails because -1 % 2 == 1 in Python.",  # a modulo of two numbers (held out 117)
        "It parses it with the same comma/`=` splitter.",  # a word before a code span (held out 98)
    ],
)
def test_what_is_not_a_claim_is_not_read_as_one(text: str) -> None:
    assert _kinds(text) == []


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        (
            "It writes with st.global.b8/b16/v2.b32.",
            "It writes with st.global.b8/b16/b64.",
        ),  # a list of names
        ("Its NonExec trait.", "Its NonCopy trait."),  # a part of `CopyAtomNonExec2DGather4TmaLoadType`
        (
            "The helper flashinfer/gdn_kernels/dtype_compat.as_bf16 converts them.",
            "The helper flashinfer/gdn_kernels/dtype_compat.as_fp16 converts them.",
        ),
        ("cuTile wins at 16 tokens or fewer.", "cuTile wins at 8 tokens or fewer."),  # "ntok ≤ 16"
        ("The test uses only 7 tokens.", "The test uses only 9 tokens."),  # "num_tokens = 7"
    ],
)
def test_what_a_real_model_wrote_is_found_held_out_round(text: str, invented: str) -> None:
    shown = Evidence(
        [
            Section("pull request", "#4300 fp8\ncuTile **wins at ntok ≤ 16** (1.00–1.10×)"),
            Section(
                "diff",
                "tests/test_route.py (added, +2/-0)\n+    num_tokens = 7\n",
                path="tests/test_route.py",
            ),
            Section(
                "diff",
                "flashinfer/gdn_kernels/dtype_compat.py (added, +9/-0)\n+def as_bf16(*xs):\n"
                "+    st.global.b8 [$1], fp8_pair;\n+    .reg .b16 p01;\n+    st.global.v2.b32 [$8], {lo, hi};\n"
                '+    "CopyAtomNonExec2DGather4TmaLoadType",\n',
                path="flashinfer/gdn_kernels/dtype_compat.py",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        ("The width is inter_size, not 2x.", "The width is inter_size, not 5x."),  # "inter_size * 2"
        ("A pure, lru_cached function.", "A pure, lru_evicted function."),  # `@lru_cache`
        ("At 8 tokens per rank BF16 takes 633.9 us.", "At 16 tokens per rank BF16 takes 633.9 us."),
    ],
)
def test_what_a_real_model_wrote_is_found_fourth_round(text: str, invented: str) -> None:
    """The false flags of the held-out rounds: a multiplier as code writes it, a name inflected as a word, and a
    number of tokens in a table whose first column counts them."""
    shown = Evidence(
        [
            Section(
                "pull request",
                "| tok/rank | bf16 p50 (us) | mxfp8 (vs bf16) | deepgemm\nfp8 (vs bf16) |\n|---|---|---|---|\n"
                "| 4 | 610.2 | 270.0 (3.26x) | 160.0 (3.81x) |\n| 8 | 633.9 | 275.5 (3.30x) | 171.5 (3.70x) |\n\n"
                "| 16 | unrelated table |\n",
            ),
            Section(
                "diff",
                'csrc/moe.cu (modified, +2/-1)\n-  << "(num_experts, inter_size * 2, hidden_size)";\n'
                "+@lru_cache(maxsize=None)\n+def _candidate_tactics_cached(world_size):\n",
                path="csrc/moe.cu",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        ("From 98.66 ms down to 17.43 ms.", "From 98.70 ms down to 17.43 ms."),  # a table's us, in ms
        ("About 1.36x at N=2560.", "About 1.37x at N=2560."),  # 1.355x, rounded half up
        ("It adds about 4,000 lines.", "It adds about 5,000 lines."),  # +4043, within 2%
        ("Registered as TunableRunners.", "Registered as TunableFactories."),  # `class …(TunableRunner)`
        ("The SM90 MegaMoE checks.", "The SM90 GigaMoE checks."),  # `push_style_megamoe`
        ("Tensors aligned to 16 bytes.", "Tensors aligned to 64 bytes."),  # an alignment of 16
        ("The tests read shim/runner.py.", "The tests read shim/loader.py."),  # ("shim", "runner.py")
        ("Both moe_gemm_mxfp8_nt and moe_gemm_fp8_nt.", "Both moe_gemm_nvfp4_nt and moe_gemm_fp8_nt."),
        ("Names now hold all three (qk_pv_out).", "Names now hold all three (qk_out_pv)."),
    ],
)
def test_what_a_real_model_wrote_is_found_fifth_round(text: str, invented: str) -> None:
    """The false flags of the fourth held-out round: a figure in the next unit or rounded half up, a round count
    within 2%, a name inflected or inside a longer one in another case, an alignment's bytes, a path code puts
    together, a brace list and a format string's template written out."""
    shown = Evidence(
        [
            Section("header", "flashinfer-ai/flashinfer 1234abc\n5 files, +4043/-0"),
            Section(
                "pull request",
                "| bs | seqlen | old (us) | new (us) | speedup |\n|---|---|---|---|---|\n"
                "| 1024 | 1024 | 98662.79 | 17425.83 | 5.66x |\n\n| 24 | 12.919 | 9.532 | 1.355x |\n"
                "Entry: `moe_gemm_{fp8,mxfp8}_nt(a, b)`\n",
            ),
            Section(
                "diff",
                "flashinfer/gemm.py (modified, +9/-0)\n+class CuteDSLSplitKRunner(TunableRunner):\n"
                '+    for name, tensor, align in (("a", a, 32), ("b_descale", b_descale, 16)):\n'
                '+        raise ValueError(f"requires a {align}-byte aligned {name}")\n'
                '+    runner = _package_source("shim", "runner.py")\n'
                '+PACKAGE = "flashinfer.moe_ep.kernel_src.sm90.push_style_megamoe"\n'
                '+    dtype_str = f"{qk_str}_{pv_str}_{out_str}"\n',
                path="flashinfer/gemm.py",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        ("Run tests/moe_ep/test_ep_compute.py first.", "Run tests/moe_ep/test_ep_memory.py first."),
        ("Instead of a fixed 2 bytes per element.", "Instead of a fixed 4 bytes per element."),
        ("Defaults: 64 tokens, 256 experts.", "Defaults: 32 tokens, 256 experts."),  # num_tokens: int = 64
        ("With 16 tokens from the command line.", "With 8 tokens from the command line."),  # default=16
        ("It still imports from src.xxx and common.xxx.", "It still imports from core.xxx and common.xxx."),
        ("Run it with --routine mm_fp8.", "Run it with --backend mm_fp8."),  # args.routine == "mm_fp8"
    ],
)
def test_what_a_real_model_wrote_is_found_sixth_round(text: str, invented: str) -> None:
    """The false flags of the fifth held-out round: a folder and a file name shown apart, a factor of a size
    computed in code, a number of tokens annotated or defaulted, a module written as a pattern."""
    shown = Evidence(
        [
            Section(
                "pull request",
                "- **Tests**: `tests/moe_ep/` — correctness\n(`test_ep_compute.py`, `test_ep_ht.py`)",
            ),
            Section(
                "diff",
                "flashinfer/comm/ar.py (modified, +3/-1)\n-    required_comm_size = allreduce_in.numel() * 2 * world_size\n"
                "+    num_tokens: int = 64,\n"
                '+@click.option("--num-tokens", type=int, default=16, show_default=True)\n'
                " from src.iket_compat import iket\n-from common.megamoe_constants import Nvfp4BlockSize\n"
                '+    elif args.routine == "mm_fp8":\n',
                path="flashinfer/comm/ar.py",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        ("The workspace is ...*4 bytes.", "The workspace is ...*6 bytes."),  # ``… * 4`` bytes
        ("约 6000 行内核代码。", "约 8000 行内核代码。"),  # +6459: a count the diff gives, within 10%
        ("The tests gain about 210 lines.", "The tests gain about 260 lines."),  # tests/: +212
        ("It now takes 8 GB per job.", "It now takes 16 GB per job."),  # MEM_AVAILABLE_GB / … echo 8
        ("It tunes the CuteDSL tile size.", "It tunes the CuteTRT tile size."),  # `CuteDslMoEWrapper`
    ],
)
def test_what_a_real_model_wrote_is_found_eighth_round(text: str, invented: str) -> None:
    """The false flags of the seventh held-out round: a unit after code's closing backticks, a round count of
    what the diff gives, a unit a name carries, a name in another letter case inside a longer one."""
    shown = Evidence(
        [
            Section("header", "o/r 1234abc\n9 files, +6459/-81"),
            Section(
                "pull request",
                "Formula: ``B * H * (rank + 1) * 4`` bytes\n`CuteDslMoEWrapper.__init__` pre-allocates",
            ),
            Section(
                "diff",
                "ci/build.sh (modified, +1/-1)\n"
                '+MAX_JOBS=$(( MEM_AVAILABLE_GB / $([ "$(uname -m)" = "aarch64" ] && echo 8 || echo 8) ))\n',
                path="ci/build.sh",
            ),
        ],
        figures=[6459, 81, 9, 212, 6540],
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        ("A serving gain of 0.6% to 0.8%.", "A serving gain of 0.6% to 0.9%."),  # 1.006004x, 1.007661x
        ("Up to 32% faster.", "Up to 35% faster."),  # 1.32x
        ("It is a 5% regression.", "It is a 7% regression."),  # 0.95x
        ("Run it with --nproc_per_node=4）。", "Run it with --nproc_per_node=8）。"),
        ("At 1 token the median is 0.049 ms.", "At 2 tokens the median is 0.049 ms."),  # --num_tokens 1
        ("About 550 lines move out.", "About 650 lines move out."),  # −556
        ("It reuses flashinfer/gemm/routergemm.py.", "It reuses flashinfer/gemm/tinygemm.py."),
        ("It parses --routine=VALUE now.", "It parses --backend=VALUE now."),  # `--routine` shown
    ],
)
def test_what_a_real_model_wrote_is_found_ninth_round(text: str, invented: str) -> None:
    """The false flags of the eighth held-out round: a multiplier as a percentage, a flag's value before Chinese
    punctuation, a command line's number of tokens, a figure cut to round, a module its neighbour imports."""
    shown = Evidence(
        [
            Section(
                "pull request",
                "| C1 | 1.006004x | 1.007661x |\n| batch-1 | 1.32x |\n| silu m=16 | 0.95x |\n"
                ': "${TORCHRUN_PREFIX:=torchrun --nproc_per_node=4}"\n'
                "$ python3 bench.py --routine moe --num_tokens 1 --hidden_size 2048\nmedian time 0.049 ms\n"
                "# required when pool_size * slot_stride * sizeof(elt) exceeds 2^31\n",
            ),
            Section(
                "diff",
                "flashinfer/gemm/gemm_base.py (modified, +18/-556)\n+from .routergemm import get_tinygemm2_module\n",
                path="flashinfer/gemm/gemm_base.py",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        ("约 −1900/+1050 行的改动。", "约 −1900/+1200 行的改动。"),  # round figures of +1054/−1909
        ("About 1,900 lines go.", "About 2,100 lines go."),
        ("About 1,900 lines go.", "About 2,000 lines go."),  # 1,909 rounds to 2,000 too: not close enough
    ],
)
def test_a_round_figure_of_a_shown_one_is_found(text: str, invented: str) -> None:
    shown = Evidence(
        [Section("diff", "flashinfer/kda.py (modified, +1054/−1909)\n+x = 1\n", path="flashinfer/kda.py")]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        ("About 75 lines are removed.", "About 85 lines are removed."),  # the diff's −76 (round 123)
        ("About 75 lines are removed.", "About 65 lines are removed."),  # 76 rounds to 75, not 65
    ],
)
def test_a_count_rounded_to_five_of_a_figure_the_diff_gives_is_found(text: str, invented: str) -> None:
    shown = Evidence([Section("diff", "+x = 1\n", path="a.py")], figures=[2, 3, 76])
    _found_and_twin_flagged(text, invented, shown)


def test_a_figure_in_thousands_is_not_a_path() -> None:
    assert [kind for _, kind in _kinds("改动规模约 +13.8k/−3.5k 行。")] != ["path"]
    assert "path" not in [kind for _, kind in _kinds("About +13.8k/-3.5k lines.")]


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        ("It allows up to 1% mismatched elements.", "It allows up to 2% mismatched elements."),  # * 0.01
        ("Tolerances: 92.5 percent match.", "Tolerances: 93.5 percent match."),  # "percent": 0.925
        ("It allows up to 1% mismatched elements.", "It keeps 50% of the heads."),  # 0.5: not precise enough
        ("The table reports 10-45% gains.", "The table reports 10-46% gains."),  # "| improvement |" 1.45
        ("From 333 to 87 us at 4096.", "From 333 to 88 us at 4096."),  # 87.0 under "| Optimized, us |"
        (
            "It reuses flashinfer/artifacts.py.",
            "It reuses flashinfer/artifact.py.",
        ),  # from flashinfer.artifacts
        ("It needs flashinfer/cute_dsl/fp4_common.py.", "It needs flashinfer/cute_dsl/fp8_common.py."),
        ("`python -m flashinfer.aot` builds it.", "`python -m flashinfer.jit_aot` builds it."),
        (
            "Cubins: e6f22dcc.../batched_gemm-45beda1-ee6a802/.",
            "Cubins: e6f22dcc.../batched_gemm-45beda1-ee6a803/.",
        ),
        ("It takes E4M3 inputs.", "It takes E3M4 inputs."),  # torch.float8_e4m3fn
        ("list.remove raises if it is missing.", "list.discard raises if it is missing."),
        (
            "Calls to torch.ops.flashinfer.mla_rope_quantize break.",
            "Calls to torch.ops.flashinfer.mla_rope break.",
        ),
        ("It appends a local version (+cuXXX).", "It appends a local version (+rocmXXX)."),  # +cu129
        ("CI runs scripts/task_jit_run_tests_part1-5.sh.", "CI runs scripts/task_jit_run_tests_part1-6.sh."),
        ("download_file retries 4 times.", "download_file retries 5 times."),  # retries: int = 4
    ],
)
def test_what_a_real_model_wrote_is_found_tenth_round(text: str, invented: str) -> None:
    """The false flags of the tenth held-out round: a fraction for a percentage, a table's cell in its column's
    unit, a module imported by name, a command's words, a hash cut short, a format inside a dtype's name, a
    builtin's method, a torch op, a template, a count of retries."""
    shown = Evidence(
        [
            Section(
                "pull request",
                "| BS | Baseline, us | Optimized, us |\n| --- | --- | --- |\n| 4096 | 333 | 87.0 |\n\n"
                "+-------+-----------+-------------+\n| batch | fp16 (us) | improvement |\n"
                "+-------+-----------+-------------+\n| 8     | 14.45     | 1.10        |\n"
                "| 16    | 28.70     | 1.45        |\n",
            ),
            Section(
                "diff",
                "flashinfer/quantization/utils.py (added, +3/-0)\n+from ..cute_dsl.fp4_common import habs2\n"
                "+from flashinfer.artifacts import download_artifacts\n"
                "+    max_mismatched_elements=int(output.numel() * 0.01), dropout=0.5\n"
                '+    return {"atol": 0.1, "rtol": 0.85, "percent": 0.925}\n'
                "+dtypes = [torch.float8_e4m3fn, torch.float8_e5m2]\n"
                '+    system_includes.remove("$cuda_home/include")\n'
                '-    "flashinfer::mla_rope_quantize",\n'
                '+    path = "e6f22dcc3fdeb29ff87af2f4a2cb3d30b8d273e0/batched_gemm-45beda1-ee6a802/"\n'
                "+    # contains the CUDA version suffix: e.g. 0.3.1+cu129.\n"
                "+def download_file(url, retries: int = 4):\n",
                path="flashinfer/quantization/utils.py",
            ),
            Section(
                "diff",
                'flashinfer/aot.py (modified, +2/-0)\n+if __name__ == "__main__":\n',
                path="flashinfer/aot.py",
            ),
            Section(
                "unseen files", "\n".join(f"- scripts/task_jit_run_tests_part{n}.sh" for n in range(1, 6))
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


def test_a_module_imported_without_a_dot_is_one_of_the_importing_files_folder() -> None:
    """Held out 38 (round 42): `torchao/quantization/utils.py` for `from quantization.utils import` in a file of
    `torchao/`."""
    shown = Evidence(
        [
            Section(
                "diff",
                "torchao/_eval.py (modified, +1/-1)\n-from .utils import _MultiInput\n"
                "+from quantization.utils import _MultiInput\n",
                path="torchao/_eval.py",
            )
        ]
    )
    _found_and_twin_flagged(
        "The names live in torchao/quantization/utils.py.",
        "The names live in torchao/quantization/helpers.py.",
        shown,
    )


def test_a_multiple_of_is_not_a_multiplier() -> None:
    assert ("32", "multiple") not in _kinds("非 32 倍数的 72 专家情形。")
    assert ("32", "multiple") in _kinds("快了 32 倍。")


@pytest.mark.parametrize(
    ("claim", "line", "kept"),
    [
        ("INT64_MAX", "  int64_t limit = std::numeric_limits<int64_t>::max();", True),
        ("SPEC_DEC", "+    flags += ['-DSPEC_DEC=1']", False),  # glued to -D: not a whole part of a word
        ("cp.async", "using Copy = SM80_CP_ASYNC_CACHEGLOBAL; // cpasync", True),
        ("32", "constexpr int vec = 32 / sizeof(DType);", False),  # a number alone: any line holds one
        ("max_pages", "max_num_pages_per_seq   =   64", True),  # spaces aside
        ("vec_320", "constexpr int vec = 32 / sizeof(DType);", False),  # a number is whole: 32 is not 320
        ("mm_vec", "run_gemm(vec);", False),  # `mm` is not a part of `gemm`
        ("gemm_vec", "run_gemm(vec);", True),
        ("dynamic_tensor_spec", "for spec in tuning_config.dynamic_tensor_specs:", True),  # a plural
        ("dynamic_spec", "for spec in tuning_config.dynamic_tensor_specs:", True),
        ("tensor_spe", "for spec in tuning_config.dynamic_tensor_specs:", False),
        ("q/k/v/o", "Support fp8/fp4 qkvo scale, o_sf, o_sf offset test.", True),  # single letters together
        ("q/k/v/x", "Support fp8/fp4 qkvo scale, o_sf, o_sf offset test.", False),
        (
            "0.2.8",
            "=== flashinfer/tuning_configs/v0_2_8_trtllm_fused_moe_NVIDIA_B200.py (added, +116/-0)",
            True,
        ),
        (
            "0.2.9",
            "=== flashinfer/tuning_configs/v0_2_8_trtllm_fused_moe_NVIDIA_B200.py (added, +116/-0)",
            False,
        ),
        (
            "2.8",
            "=== flashinfer/tuning_configs/v0_2_8_trtllm_fused_moe_NVIDIA_B200.py (added, +116/-0)",
            False,
        ),
        ("DType_vec", "constexpr int vec = 32 / sizeof(DType);", False),  # not in its order
        ("INT32_MAX", "  int64_t limit = std::numeric_limits<int64_t>::max();", False),  # 32 is not in it
        ("max_pages", "max_num_pages_per_seq = 128", False),  # not a line it was shown
        ("pages_max", "max_num_pages_per_seq = 64", False),  # its pieces, not in its order
        ("SPEC_DEC", "DEC", False),  # a word is not a line
        ("flashinfer/fake.py", "+    flags += ['-DSPEC_DEC=1']", False),
        ("--backends", "Run it on a few backends.", False),  # a flag's dashes are a piece of it
        ("--backends", "+parser.add_argument('--backends', nargs='+')", True),
        ("0", "+        return 1, 0", False),  # one number alone: any line may hold it
        ("dist_epoch_<n>", '+        self._checkpoint_dir_prefix = "dist_epoch"', True),  # held out 54
        ("dist_step_<n>", '+        self._checkpoint_dir_prefix = "dist_epoch"', False),
        (
            "<think>/<answer>",
            '+    "<think>{cot}</think> <answer>{answer}</answer>"',
            True,
        ),  # held out 55: tags alone
        ("<think>/<reply>", '+    "<think>{cot}</think> <answer>{answer}</answer>"', False),
        ("-DSPEC_DEC", "+    flags += ['-DSPEC_DEC=1']", True),
    ],
)
def test_a_repair_keeps_a_claim_only_by_a_shown_line_that_carries_it(
    claim: str, line: str, kept: bool
) -> None:
    evidence = Evidence([
        Section("message", "kernel: cap pages"),
        Section("diff", "csrc/k.cu +4/-0\n@@ -0,0 +1,4 @@\n+  int64_t limit = std::numeric_limits<int64_t>::max();\n"
                "+constexpr int vec = 32 / sizeof(DType);\n+using Copy = SM80_CP_ASYNC_CACHEGLOBAL; // cpasync\n"
                "+max_num_pages_per_seq = 64\n+run_gemm(vec);\n+for spec in tuning_config.dynamic_tensor_specs:",
                path="csrc/k.cu"),
        Section("message", "Support fp8/fp4 qkvo scale, o_sf, o_sf offset test."),
        Section("diff", "=== flashinfer/tuning_configs/v0_2_8_trtllm_fused_moe_NVIDIA_B200.py (added, +116/-0)",
                path="flashinfer/tuning_configs/v0_2_8_trtllm_fused_moe_NVIDIA_B200.py"),
        Section("diff", "setup.py +1/-0\n@@ -9,0 +10,1 @@\n+    flags += ['-DSPEC_DEC=1']", path="setup.py"),
        Section("pull request", "Run it on a few backends."),
        Section("diff", "bench.py +1/-0\n@@ -1,0 +2,1 @@\n+parser.add_argument('--backends', nargs='+')",
                path="bench.py"),
        Section("diff", "c.py +4/-0\n@@ -1,0 +2,4 @@\n+        return 1, 0\n+        return 11, 0\n"
                '+        self._checkpoint_dir_prefix = "dist_epoch"\n'
                '+    "<think>{cot}</think> <answer>{answer}</answer>"', path="c.py"),
    ])  # fmt: skip
    found = cited([{"claim": claim, "line": line}, {"claim": "unasked", "line": line}], [claim], evidence)
    assert (claim in found) is kept and "unasked" not in found
    if kept:
        assert found[claim].startswith(("cited, diff ", "cited, message")), found


@pytest.mark.parametrize(
    ("claim", "line", "kept"),
    [
        ("80", "+        DEFAULT_OBJECT_STORE_MAX_MEMORY_BYTES = 80 * (10**9)", True),  # held out 71
        ("90", "+        DEFAULT_OBJECT_STORE_MAX_MEMORY_BYTES = 80 * (10**9)", False),
        ("min(h, 8)", "+  int warps_per_block = (h <= 8) ? h : 8;", True),  # held out 67
        ("min(w, 16)", "+  int warps_per_block = (h <= 8) ? h : 8;", False),
        ("16", "Changes: 1 files, +49/−65", False),  # held out 57: judged not shown
        ("decoder", "+    decorder = ScheduleGPipe(decode_stage, 1)", False),  # held out 60: judged not shown
        ("libtransformer_engine", "+find_library(TE_LIB NAMES transformer_engine)", True),  # held out 67
        ("1e-3", "+    b_q = b_q / (tl.sqrt(tl.sum(b_q * b_q) + 1e-6))", False),  # held out 73: every number
        ("2.5.0", "+    'torch>=2.4.0,<2.5.2',", False),  # held out 96: numbers alone, in their order
    ],
)
def test_a_repair_answer_keeps_a_claim_by_a_shown_line_that_writes_half_its_names(
    claim: str, line: str, kept: bool
) -> None:
    """A repair answer keeps a claim only to show it, and the line it copies need write only half of the claim's
    names and numbers; the lines a request for lines gets (``mark``) must carry the whole claim."""
    evidence = Evidence([
        Section("header", "Changes: 1 files, +49/−65"),
        Section("diff", "x.py +5/-0\n@@ -0,0 +1,5 @@\n+        DEFAULT_OBJECT_STORE_MAX_MEMORY_BYTES = 80 * (10**9)\n"
                "+  int warps_per_block = (h <= 8) ? h : 8;\n+    decorder = ScheduleGPipe(decode_stage, 1)\n"
                "+find_library(TE_LIB NAMES transformer_engine)\n+    b_q = b_q / (tl.sqrt(tl.sum(b_q * b_q) + 1e-6))\n"
                "+    'torch>=2.4.0,<2.5.2',\n", path="x.py"),
    ])  # fmt: skip
    said = [{"claim": claim, "line": line}]
    assert (claim in cited(said, [claim], evidence, repair=True)) is kept
    assert claim not in cited(said, [claim], evidence)


def test_a_claim_written_with_words_around_it_stands_for_the_one_listed() -> None:
    """Held out 73 and 74: the model keeps "10 GB of swap" and "`k k^T`" for the listed 10 and `k k^T`."""
    evidence = Evidence(
        [Section("diff", "x.yml +1/-0\n@@ -0,0 +1 @@\n+          swap-size-gb: 10\n", path="x.yml")]
    )
    said = [
        {"claim": "10 GB of swap", "line": "+          swap-size-gb: 10"},
        {"claim": "about 100 of them", "line": "+          swap-size-gb: 10"},
    ]
    assert list(cited(said, ["10", "swap-size", "12"], evidence, repair=True)) == ["10"]


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        (
            "Check how SPEC_DEC is now set in flashinfer/jit/xqa.py, since the fixed -DSPEC_DEC=0 was removed.",
            "Check how SPEC_ENC is now set in flashinfer/jit/xqa.py, since the fixed -DSPEC_ENC=0 was removed.",
        ),
        (
            "The change to flashinfer/jit/core.py adds CUTE_SM90_EXTENDED_MMA_SHAPES_ENABLED to sm90a flags.",
            "The change to flashinfer/jit/core.py adds CUTE_SM90_EXTENDED_MMA_SHAPES_DISABLED to sm90a flags.",
        ),
        (
            "Check the relaxed check (only sm_version 10x on an 11x device is added).",
            "Check the relaxed check (only sm_version 10x on an 11x device is 2x faster).",
        ),
        (
            "It doubles the per-thread vector width from 16 to 32 bytes (vec_size = 32 / sizeof(DType)).",
            "It doubles the per-thread vector width from 16 to 64 bytes (vec_size = 32 / sizeof(DType)).",
        ),
        (
            "The table shows 0.002714 to 0.002509 at 1 token and 0.007837 to 0.005782 at 128 tokens.",
            "The table shows 0.002714 to 0.002509 at 3 tokens and 0.007837 to 0.005782 at 128 tokens.",
        ),
        (
            "Avoid the overflow in the disable_split_kv path: INT64_MAX is multiplied by page_size.",
            "Avoid the overflow in the disable_split_kv path: INT32_MAX is multiplied by page_size.",
        ),
        (
            "Not shown: pytest.ini, the run_test_blackwell_*.sh scripts, the task_jit_run_tests_part*.sh scripts.",
            "Not shown: pytest.ini, the run_test_blackwell_*.sh scripts, the task_aot_run_tests_part*.sh scripts.",
        ),
        (
            "It keeps the MTP state in registers without shared-memory staging or cp.async.",
            "It keeps the MTP state in registers without shared-memory staging or cp.reduce.",
        ),
        (
            "改动覆盖 sampling.cuh 中的 softmax、top-k/top-p/min-p 采样。",
            "改动覆盖 sampling.cuh 中的 softmax、top-k/top-p/max-p 采样。",
        ),
    ],
)
def test_what_a_real_model_wrote_is_found_eleventh_round(text: str, invented: str) -> None:
    """The false flags of the eleventh held-out round: a compiler's define, an SM family, bytes over sizeof, a
    printed frame's first column, C's limits, a glob, a PTX name without its dot, a name list with "-" for "_"."""
    shown = Evidence(
        [
            Section(
                "message",
                "Speedup MLARopeQuantize by 20-35% (#1660)\n\n```\n    num_tokens  FlashInfer\n"
                "0          1.0    0.002714\n1          2.0    0.003126\n2          4.0    0.003328\n"
                "7        128.0    0.007837\n```\n\npr\n\n```\n    num_tokens  FlashInfer\n"
                "0          1.0    0.002509\n7        128.0    0.005782\n```\n"
                "* For mtp, store state in registers directly, without load/write to\n"
                "shared memory, and remove cpasync\n"
                "algorithm to improve top-k mask logits performance when K is small.\n",
            ),
            Section(
                "diff",
                "flashinfer/jit/xqa.py (modified, +12/−9)\n@@ -28,7 +28,6 @@ xqa_nvcc_flags = [\n"
                '     "-DUSE_CUSTOM_BARRIER=1",\n-    "-DSPEC_DEC=0",\n ]\n',
                path="flashinfer/jit/xqa.py",
            ),
            Section(
                "diff",
                "flashinfer/jit/core.py (modified, +4/−1)\n"
                '+sm90a_nvcc_flags = [\n+    "-gencode=arch=compute_90a,code=sm_90a",\n'
                '+    "-DCUTE_SM90_EXTENDED_MMA_SHAPES_ENABLED",\n+] + common_nvcc_flags\n',
                path="flashinfer/jit/core.py",
            ),
            Section(
                "diff",
                "csrc/moe_gemm.cu (modified, +3/−1)\n"
                "+                                 (inputs.gemm_config.sm_version / 10 == 10 && sm_ / 10 == 11),\n",
                path="csrc/moe_gemm.cu",
            ),
            Section(
                "diff",
                "include/flashinfer/pos_enc.cuh (modified, +2/−2)\n"
                "-    constexpr uint32_t vec_size = 16 / sizeof(DType);\n"
                "+    constexpr uint32_t vec_size = 32 / sizeof(DType);\n",
                path="include/flashinfer/pos_enc.cuh",
            ),
            Section(
                "diff",
                "include/flashinfer/attention/scheduler.cuh (modified, +20/−9)\n+  if (disable_split_kv) {\n"
                "+    kv_chunk_size = std::numeric_limits<int64_t>::max();\n   kv_chunk_size *= page_size;\n",
                path="include/flashinfer/attention/scheduler.cuh",
            ),
            Section(
                "diff",
                "include/flashinfer/sampling.cuh (modified, +137/−124)\n"
                "@@ -1077,6 +1074,7 @@ __global__ void MinPSamplingFromProbKernel(DType* probs, float* min_p_arr)\n"
                '+    print("top-p renorm probs")\n',
                path="include/flashinfer/sampling.cuh",
            ),
            Section(
                "unseen files",
                "- pytest.ini (budget)\n- scripts/run_test_blackwell_attention_kernels.sh (budget)\n"
                + "\n".join(f"- scripts/task_jit_run_tests_part{n}.sh (budget)" for n in range(1, 6)),
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


def test_a_power_of_2_or_an_sm_family_is_not_a_quantity() -> None:
    assert _kinds("Re-run MoE workloads with non-power-of-2 token counts under autotuning.") == []
    assert _kinds("Expect Phi-3 token sequences to differ.") == []  # a name's number (held out 56)
    assert _kinds("Expect 3 token sequences to differ.") == [("3", "size")]
    assert [
        k
        for k in _kinds("It adds SM10x/SM11x: 10x/11x GPUs, an 11x device, sm_version 10x.")
        if k[1] == "multiple"
    ] == []
    assert ("2", "size") in _kinds("It needs 2 tokens.")
    assert ("10", "multiple") in _kinds("It is 10x faster on 11x more GPUs than 12x.")


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        (
            "flashinfer/comm/trtllm_ar.py defines MAX_COMM_SIZE as INT32_MAX rounded down to 2 MB.",
            "flashinfer/comm/trtllm_ar.py defines MAX_COMM_SIZE as INT16_MAX rounded down to 2 MB.",
        ),
        (
            "It clamps to INT32_MAX, 2147483647 & ~((1 << 21) - 1).",
            "It clamps to INT64_MAX, 2147483647 & ~((1 << 21) - 1).",
        ),
        (
            "目前只附带了 FlashInfer 0.2.8 在 NVIDIA B200 上的一份配置。",
            "目前只附带了 FlashInfer 0.2.9 在 NVIDIA B200 上的一份配置。",
        ),
        ("AllReduce + RMSNorm fusion users", "AllGather + RMSNorm fusion users"),
        (
            "The PR says it adds tests for FP8/FP4 q/k/v/o scales, o_sf and the o_sf offset.",
            "The PR says it adds tests for FP8/FP4 q/k/v/p scales, o_sf and the o_sf offset.",
        ),
        (
            "gen_jit_spec used to pass --threads=min(os.cpu_count() or 4, 32) to nvcc.",
            "gen_jit_spec used to pass --threads=max(os.cpu_count() or 4, 32) to nvcc.",
        ),
        (
            "The parameter names of xqa() keep the camelCase of the underlying C++ code.",
            "The parameter names of xqa() keep the kvCachePages of the underlying C++ code.",
        ),
        (
            "It now takes only the first 'digits.digits' group of torch.__version__.",
            "It now takes only the first 'digits.digits' group of torch.__revision__.",
        ),
        (
            "Rename torch_major_version, since it holds major.minor.",
            "Rename torch_major_version, since it holds major.minor_version.",
        ),
        (
            "Ops whose tuning configs link several tensor dimensions in one dynamic_tensor_spec.",
            "Ops whose tuning configs link several tensor dimensions in one dynamic_shape_spec.",
        ),
        (
            "run now allocates the output as bfloat16 if the query dtype is 1 byte (FP8).",
            "run now allocates the output as bfloat16 if the query dtype is 4 bytes (FP8).",
        ),
    ],
)
def test_what_a_real_model_wrote_is_found_twelfth_round(text: str, invented: str) -> None:
    """The false flags of the twelfth held-out round: C's limit written MAX_INT32 or by its value, a version in a
    file's name, a CamelCase name's words in snake_case, letters listed with "/" written joined, a flag's value in
    an f-string's braces, words for a way of writing a name or a version, a plural name written singular, a dtype
    of N bytes as `itemsize == N`."""
    shown = Evidence(
        [
            Section(
                "message",
                "Fix `TypeError: cannot be converted to pointer` error in AR+RMSNorm.\n"
                "function. Support fp8/fp4 qkvo scale, o_sf, o_sf offset test.\n"
                "There was an issue in parsing the torch major version, so this PR fixes\n",
            ),
            Section(
                "diff",
                "flashinfer/comm/trtllm_ar.py (modified, +40/−5)\n"
                "+MAX_COMM_SIZE = 2147483647 & ~((1 << 21) - 1)  # MAX_INT32 rounded down to 2MB\n"
                "@@ -610,7 +610,7 @@ def trtllm_create_ipc_workspace_for_all_reduce_fusion(\n",
                path="flashinfer/comm/trtllm_ar.py",
            ),
            Section(
                "diff",
                "flashinfer/tuning_configs/v0_2_8_trtllm_fused_moe_NVIDIA_B200.py (added, +116/−0)\n",
                path="flashinfer/tuning_configs/v0_2_8_trtllm_fused_moe_NVIDIA_B200.py",
            ),
            Section(
                "diff",
                "flashinfer/jit/core.py (modified, +1/−1)\n@@ -167,7 +167,7 @@ def gen_jit_spec(\n"
                '-        f"--threads={min(os.cpu_count() or 4, 32)}",\n'
                "+        f\"--threads={os.environ.get('FLASHINFER_NVCC_THREADS', '1')}\",\n",
                path="flashinfer/jit/core.py",
            ),
            Section(
                "diff",
                "flashinfer/jit/cpp_ext.py (modified, +2/−1)\n"
                '-    if Version(re.split(r"\\+.*", torch.__version__)[0]) >= Version("2.9"):\n'
                '+    torch_major_version = re.split(r"(\\d+\\.\\d+)", torch.__version__)[1]\n',
                path="flashinfer/jit/cpp_ext.py",
            ),
            Section(
                "diff",
                "flashinfer/xqa.py (added, +200/−0)\n+def xqa(\n+    multiProcessorCount: int,\n",
                path="flashinfer/xqa.py",
            ),
            Section(
                "diff",
                "flashinfer/autotuner.py (modified, +5/−4)\n         for spec in tuning_config.dynamic_tensor_specs:\n",
                path="flashinfer/autotuner.py",
            ),
            Section(
                "diff",
                "flashinfer/prefill.py (modified, +14/−2)\n         if out is None:\n"
                "+            out_dtype = torch.bfloat16 if q.dtype.itemsize == 1 else q.dtype\n",
                path="flashinfer/prefill.py",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        (
            "JIT 模块名从 fp4_quantization 变为 fp4_quantization_100/90，检查 AOT 包和缓存是否相应更新",
            "JIT 模块名从 fp4_quantization 变为 fp4_quantization_110/90，检查 AOT 包和缓存是否相应更新",
        ),
        (
            "A GB200 benchmark for DeepSeek-style MLA that reaches about 4.8 TB/s (around 60% of peak).",
            "A GB200 benchmark for DeepSeek-style MLA that reaches about 4.8 TB/s (around 97% of peak).",
        ),
        (
            "The PR's GB200 MLA figures rise from about 87 GB/s at 1 token.",
            "The PR's GB200 MLA figures rise from about 870 GB/s at 1 token.",
        ),
        (
            "Check that NVSHMEM_LIBRARY_PATH holds both libnvshmem_device for linking and libnvshmem_host.so.",
            "Check that NVSHMEM_LIBRARY_PATH holds both libnvshmem_fabric for linking and libnvshmem_host.so.",
        ),
        (
            "The PR's GB200 MLA figures rise from about 87 GB/s at 1 token.",
            "The PR's GB200 MLA figures rise from about 87 GB/s at 2 tokens.",
        ),
    ],
)
def test_what_a_real_model_wrote_is_found_thirteenth_round(text: str, invented: str) -> None:
    """The false flags of the thirteenth held-out round: a name an f-string builds from an argument a call
    passes as a literal, a library named as the linker's -l flag names it, and the cells of a table a program
    printed, its columns aligned with spaces, in their header's unit (tokens, GB/s, a percentage)."""
    shown = Evidence(
        [
            Section(
                "message",
                "Theoretical Peak Memory Bandwidth: 7928.06 GB/s\n\n\n"
                + "=" * 100
                + "\n  MLA: 128 Q heads, 1 K head, 64+512 dims (DeepSeek-style)\n"
                + "=" * 100
                + "\nTokens     Time (ms)    BW (GB/s)    BW% (Peak)     TFLOPs\n"
                + "-" * 70
                + "\n1          0.00258      86.53        1.1            0.010\n"
                "32         0.00381      1873.82      23.6           0.208\n"
                "2048       0.09590      4766.09      60.1           0.529\n"
                "4096       0.19031      4803.27      60.6           0.533\n\n",
            ),
            Section(
                "diff",
                "flashinfer/fp4_quantization.py (modified, +34/−11)\n"
                "-def gen_fp4_quantization_module() -> JitSpec:\n"
                "+def gen_fp4_quantization_sm100_module() -> JitSpec:\n"
                '+    return gen_fp4_quantization_module(sm100a_nvcc_flags, "100")\n+\n+\n'
                "+def gen_fp4_quantization_sm90_module() -> JitSpec:\n"
                '+    return gen_fp4_quantization_module(sm90a_nvcc_flags, "90")\n+\n+\n'
                "+def gen_fp4_quantization_module(nvcc_flags: List[str], device_arch: str) -> JitSpec:\n"
                '     return gen_jit_spec(\n-        "fp4_quantization",\n+        f"fp4_quantization_{device_arch}",\n'
                "@@ -75,7 +83,7 @@ def gen_fp4_quantization_module() -> JitSpec:\n",
                path="flashinfer/fp4_quantization.py",
            ),
            Section(
                "diff",
                "flashinfer/comm/nvshmem.py (modified, +20/−8)\n"
                '+        + ["-lnvshmem_device"]\n+        + shlex.split(os.environ.get("NVSHMEM_LDFLAGS", ""))\n'
                '-    lib_path = nvshmem_lib_path / "libnvshmem_host.so"\n'
                '+    lib_dirs = os.environ.get("NVSHMEM_LIBRARY_PATH")\n',
                path="flashinfer/comm/nvshmem.py",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


def test_the_evidence_adds_up_its_figures_only_when_a_count_is_looked_up() -> None:
    asked: list[int] = []

    def added_up() -> list[int]:
        asked.append(1)
        return [1234]

    shown = Evidence([Section("diff", "x.py +1200/-34\n+foo_bar = 1", path="x.py")], added_up)
    assert [c.where for c in trace("It sets `foo_bar` in x.py.", shown)] == ["found", "found"]
    assert asked == []  # no count: nothing added up
    assert [(c.text, c.where) for c in trace("It changes 1234 lines.", shown)] == [("1234", "found")]
    assert [(c.text, c.where) for c in trace("It changes 1233 lines.", shown)] == [("1233", None)]
    assert asked == [1]  # once


def test_a_claim_the_text_shows_works_out_none_of_the_evidences_costly_views() -> None:
    """The diff's sums, its tables' cells and the names it writes short cost the most on a large diff: a number
    or a name the text shows (a name in another letter case too) is found without them."""
    text = "+| n | ms |\n+|---|---|\n+| 1024 | 87.0 |\n+moe_{fp8,bf16}_nt = 2048\n+cutedslmoe = 3\n"
    shown = Evidence([Section("diff", text, path="a.py")], lambda: [5])
    traced = trace("It reads 1024 tokens, 2048 lines and 87.0 ms in CuteDslMoE.", shown)
    assert [(c.text, c.where) for c in traced] == [
        ("1024", "found"),
        ("2048", "found"),
        ("87.0", "found"),
        ("CuteDslMoE", "found"),
    ]
    assert not {"figures", "cells", "decimals", "expanded"} & set(vars(shown))


def test_texts_traced_joined_give_each_texts_own_claims() -> None:
    texts = [
        "Adds `plan()` in flashinfer/decode.py, 2.3x faster (#1506).",
        "Sets FLASHINFER_SPLIT_K=1 and --split-k; 35% lower latency, 4 GB less.",
        "No claim here.",
        "BatchDecodeWrapper.plan calls split_k_default() over 1506 lines, v0.6.16.",
    ]
    joined, at, expected = "\n\x00\n".join(texts), 0, []
    for text in texts:
        expected += [(claim, kind.name, start + at, end + at) for claim, kind, start, end in claims_in(text)]
        at += len(text) + 3
    assert len(expected) >= 12
    assert [(claim, kind.name, start, end) for claim, kind, start, end in claims_in(joined)] == expected


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        (
            'SoftmaxOp now calls get_sampling_module().softmax with a cached 1 MiB "softmax_workspace" buffer.',
            'SoftmaxOp now calls get_sampling_module().softmax with a cached 2 MiB "softmax_workspace" buffer.',
        ),
        (  # a size the code writes in elements: 128 Mi int32 entries are 512 MiB only by working it out
            "Each wrapper now allocates 128 * 1024 * 1024 int32 entries (128 MiB of entries).",
            "Each wrapper now allocates 128 * 1024 * 1024 int32 entries (512 MiB).",
        ),
        (
            "The new IntFastDiv.h/RoutingKernel.cuh/RoutingKernelTopK.cuh headers are left out.",
            "The new IntFastDiv.h/RoutingKernel.cuh/RoutingKernelTopP.cuh headers are left out.",
        ),
        (
            "The precompiled DeepGEMM cubins and their kernel_map.json are taken from the latest upload.",
            "The precompiled DeepGEMM cubins and their kernel_index.json are taken from the latest upload.",
        ),
    ],
)
def test_what_a_real_model_wrote_is_found_held_out_14(text: str, invented: str) -> None:
    """The false flags of the fourteenth held-out round: a size the code writes as a product of literals
    (1 MiB: `1024 * 1024`), file names joined by "/" (each shown), a file's name code puts together from a
    quoted stem and a quoted extension (`cubin_prefix + "kernel_map"`, `f"{indice_path}.json"`)."""
    shown = Evidence(
        [
            Section(
                "diff",
                "flashinfer/logits_processor/operators.py (modified, +93/−5)\n"
                "@@ -75,7 +89,17 @@ class SoftmaxOp(Op):\n"
                "-        probs = get_sampling_module().softmax(tensor.data)\n"
                "+        workspace_buffer = _get_cache_buf(\n"
                '+            "softmax_workspace", 1024 * 1024, tensor.data.device\n+        )\n',
                path="flashinfer/logits_processor/operators.py",
            ),
            Section(
                "diff",
                "flashinfer/decode.py (modified, +8/−4)\n"
                "             (8 * 1024 * 1024,), dtype=torch.uint8, device=self.device\n"
                "-                (4 * 1024 * 1024,), dtype=torch.int32, device=self.device\n"
                "+                (128 * 1024 * 1024,), dtype=torch.int32, device=self.device\n",
                path="flashinfer/decode.py",
            ),
            Section(
                "diff",
                "flashinfer/deep_gemm.py (modified, +5/−3)\n"
                '         cubin_prefix = f"{_artifact_hash}/deep-gemm/"\n'
                '         indice_path = cubin_prefix + "kernel_map"\n'
                '-        get_cubin(indice_path, self.sha256, file_extension=".json")\n'
                '         path = FLASHINFER_CACHE_DIR / "cubins" / f"{indice_path}.json"\n',
                path="flashinfer/deep_gemm.py",
            ),
            Section(
                "unseen files",
                "- include/flashinfer/trtllm/fused_moe/IntFastDiv.h (budget)\n"
                "- include/flashinfer/trtllm/fused_moe/RoutingKernel.cuh (budget)\n"
                "- include/flashinfer/trtllm/fused_moe/RoutingKernelTopK.cuh (budget)\n",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


def test_a_kind_of_file_is_not_a_file_name() -> None:
    """A kind of file ("non-.rst files", held out 14) names no file; a file's name with a dash inside still is one."""
    assert _kinds("So a few non-.rst files, possibly docstrings, may also have been edited.") == []
    assert _kinds("It edits run-tests.sh and conf.rst.") == [("run-tests.sh", "file"), ("conf.rst", "file")]


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        (  # a name git cut at the end of a hunk header (its 80 bytes of function context), written whole
            "The loop in BatchMLAPageAttentionKernel now waits for the pipeline.",
            "The loop in BatchMLAPageAttentionKernel now waits for the pipeline in BatchMLADecodeKernel.",
        ),
        (  # a constant's `k` prefix and letter case
            "The new kernels run on sm_100f, sm_100 and sm_103.",
            "The new kernels run on sm_100f, sm_100 and sm_120.",
        ),
        (  # a table's header, a blank line, then its rule: the column is still the header's (speedup: x)
            "The reported speedups grow with seqLenQ, up to about 5x at seqLenQ 8.",
            "The reported speedups grow with seqLenQ, up to about 7x at seqLenQ 8.",
        ),
        (  # C's float limits are C++'s `std::numeric_limits<float>`
            "x is multiplied by kSCALE = 1 - FLT_EPSILON.",
            "x is multiplied by kSCALE = 1 - DBL_EPSILON.",
        ),
        (  # snake_case for a camelCase name, a member's with its `m` prefix
            "Only when head_dim_qk equals head_dim_v and no swizzle is needed.",
            "Only when head_dim_qk equals head_dim_vo and no swizzle is needed.",
        ),
        (  # a CamelCase part after an acronym (`RoPE`)
            "如果某条调用路径使用无符号 IdType，跳过逻辑会失效。",
            "如果某条调用路径使用无符号 PosType，跳过逻辑会失效。",
        ),
        (  # a glob for the ends of names the unseen files list
            "The routing_*.cu files are modified but not shown.",
            "The gating_*.cu files are modified but not shown.",
        ),
    ],
)
def test_what_a_real_model_wrote_is_found_held_out_15(text: str, invented: str) -> None:
    """The false flags of the fifteenth held-out round, each in the lines of its real prompt."""
    shown = Evidence(
        [
            Section(
                "diff",
                "include/flashinfer/attention/mla_fa2.cuh (modified, +10/−9)\n"
                "@@ -649,14 +649,15 @@ __global__ __launch_bounds__(KTraits::NUM_THREADS) void "
                "BatchMLAPageAttentionKer\n"
                "   // BatchMLADecode is not this kernel\n",
                path="include/flashinfer/attention/mla_fa2.cuh",
            ),
            Section(
                "pull request",
                "| test case | median_time_ms | median_time_ms (opt) | speedup |\n\n"
                "|------------------------------------------|----------------|----------------------|----------|\n"
                "| GPT-OSS-fp8_e4m3-batchSize16-seqLenQ8 | 0.332 | 0.065 | 5.11 |\n"
                "| GPT-OSS-fp8_e4m3-batchSize32-seqLenQ8 | 0.647 | 0.126 | 5.13 |\n",
            ),
            Section(
                "diff",
                "csrc/trtllm_fmha_kernel_launcher.cu (modified, +12/−3)\n"
                "+  if (sm == kSM_100f || sm == kSM_100 || sm == kSM_103) {\n"
                "+  constexpr float kSCALE = 1.0f - cuda::std::numeric_limits<float>::epsilon();\n"
                "+                               options.mHeadDimQk == options.mHeadDimV && !swizzleKv};\n"
                "     const RoPEIdType pos = pos_ids[idx];\n"
                "+  if (params.mMaxSeqLenQ >= 1 &&\n",
                path="csrc/trtllm_fmha_kernel_launcher.cu",
            ),
            Section(
                "unseen files",
                "- csrc/fused_moe/trtllm_backend/trtllm_fused_moe_routing_common.cu (budget)\n"
                "- csrc/fused_moe/trtllm_backend/trtllm_fused_moe_routing_deepseek.cu (budget)\n",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        (  # a unit in another letter case ("99kb per sm")
            "MLA 模板支持共享内存只有约 99KB/SM 的 sm89 GPU。",
            "MLA 模板支持共享内存只有约 64KB/SM 的 sm89 GPU。",
        ),
        (  # digits grouped by `_` (Python's `12_000_000`), a megabyte of 10**6 bytes
            "It sizes a roughly 12 MB workspace.",
            "It sizes a roughly 16 MB workspace.",
        ),
        (  # a name a comment writes with a capital first letter
            "The flags tensor is [buffer_ptr, clear_ptr, buffer_size, counter].",
            "The flags tensor is [buffer_ptr, clear_ptr, buffer_size, flush_ptr].",
        ),
    ],
)
def test_what_a_real_model_wrote_is_found_held_out_16(text: str, invented: str) -> None:
    """The false flags of the sixteenth held-out round, each in the lines of its real prompt."""
    shown = Evidence(
        [
            Section(
                "pull request",
                "sm89 has small shared memory size (99kb per sm), so we have to further reduce\n",
            ),
            Section(
                "diff",
                "flashinfer/comm/trtllm_mnnvl_ar.py (added, +120/−0)\n"
                "+    TARGET_WORKSPACE_SIZE_BYTES = 12_000_000\n"
                "+    # [Buffer_ptr, Clear_ptr, Buffer_size, atomic access counter]\n",
                path="flashinfer/comm/trtllm_mnnvl_ar.py",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        (  # the last factor of a product the text quotes is no size of its own
            "It is 2 only if max_smem_per_sm exceeds 16 * HEAD_DIM * sizeof(DTypeIn) * 16 bytes.",
            "It is 2 only if max_smem_per_sm exceeds 16 * HEAD_DIM * sizeof(DTypeIn) bytes, about 64 KB.",
        ),
        (  # a snake_case name a constant writes in capitals
            "Run the prefill tests with head_dim 256.",
            "Run the prefill tests with head_dim 256 and page_size 16.",
        ),
        (  # a length of a query counts tokens
            "Short query lengths (17 to 32 tokens per request) run faster.",
            "Short query lengths (17 to 48 tokens per request) run faster.",
        ),
        (  # a table's "Token Count" column, its cell a bound
            "A single-block kernel runs for 4 tokens or fewer.",
            "A single-block kernel runs for 8 tokens or fewer.",
        ),
        (  # a name's words written apart
            "Corrects the logits_cap description in the docstrings.",
            "Corrects the logits_cap and attn_scale descriptions in the docstrings.",
        ),
        (  # an exception's words written apart
            "The annotations raised a TypeError on Python 3.8.",
            "The annotations raised a NameError on Python 3.8.",
        ),
    ],
)
def test_what_a_real_model_wrote_is_found_held_out_17(text: str, invented: str) -> None:
    """The false flags of the seventeenth held-out round, each in the lines of its real prompt."""
    shown = Evidence(
        [
            Section(
                "message",
                "doc: fix the description of logits cap in docstring (#299)\n\n"
                "bugfix: fix the python 3.8 type error (#486)\n\n"
                "(possibly) accelerate the cases where query length was within (16, 32].\n",
            ),
            Section(
                "pull request",
                "Depending on token count, different code paths are selected:\n\n"
                "| Token Count | Code Path |\n\n"
                "|--------------------|----------------------------------------------------------------|\n"
                "| ≤ 4 | Single-block kernel (fuses all steps incl. topK) |\n"
                "| ≤ cluster capacity | Single-cluster kernel (uses distributed smem,\n",
            ),
            Section(
                "diff",
                "include/flashinfer/prefill.cuh (modified, +3/−3)\n"
                "+    const int num_ctas_per_sm = max_smem_per_sm > (16 * HEAD_DIM * sizeof(DTypeIn) * 16) ? 2: 1;\n",
                path="include/flashinfer/prefill.cuh",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        (  # `::` for `.`, in another letter case
            "It adds a Boost.Math dependency.",
            "It adds a Boost.Multiprecision dependency.",
        ),
        (  # a keyword's words written apart in a comment
            "A test of the paged prefill with return_lse=True.",
            "A test of the paged prefill with return_lse=True and return_attn=True.",
        ),
        (  # a length, with no word for what it counts
            "Prefill with 17 to 32 tokens a request runs faster.",
            "Prefill with 17 to 64 tokens a request runs faster.",
        ),
        (  # a builtin type's method, called
            "The sm90 arguments are a dict.copy() of the base ones.",
            "The sm90 arguments are a dict.setdefault() of the base ones.",
        ),
        (  # a release line where a release of it is
            "The v0.2 release post is linked.",
            "The v0.3 release post is linked.",
        ),
    ],
)
def test_what_a_real_model_wrote_is_found_held_out_18(text: str, invented: str) -> None:
    """The false flags of the eighteenth held-out round, each in the lines of its real prompt."""
    shown = Evidence(
        [
            Section(
                "message",
                "#518 adds 2x2 warp layout which cause some numerical error for query\nlength between (16, 32].\n"
                "Blog](https://flashinfer.ai/2024/12/16/flashinfer-v02-release.html). v0.1.6...v0.2.0\n"
                "logical 16/32-KiB intermediate. That leaves less than 128 KiB mapped\n",
            ),
            Section(
                "diff",
                "CMakeLists.txt (modified, +9/−2)\n"
                "+  target_link_libraries(decode_kernels PRIVATE Boost::math)\n"
                "+      ElementPV lse = __log2f(tTMEM_LOADVrS(kIdxFinalRowSum)) +\n"
                "+                      params.scale_softmax_log2 * tTMEM_LOADVrS(kIdxFinalRowMax);\n"
                "+        True,  # return LSE\n"
                "-    extra_compile_args_sm90 = extra_compile_args.copy()\n",
                path="CMakeLists.txt",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        (  # a copy's direction as CUDA names it
            "Callers passing host-side arrays now avoid a D2H copy and a sync.",
            "Callers passing host-side arrays now avoid an H2D copy and a sync.",
        ),
        (  # an escape glued to what follows it in a regular expression
            "The stray `\\t` (a tab) before `torch` is removed.",
            "The stray `\\n` (a line break) before `torch` is removed.",
        ),
        (  # a tensor's method, called on a tensor
            "Tensor.numpy() itself depends on numpy.",
            "Tensor.tolist() itself depends on numpy.",
        ),
        (  # a name the title writes plural, in lower case
            "Slots past kv_len are zero-filled instead of whatever is in the page, which could be NaN.",
            "Slots past kv_len are zero-filled instead of whatever is in the page, which could be NaN or NegInf.",
        ),
        (  # a PTX instruction, a part of a constant's name
            "Check any other cp.async-based K/V loaders for the same missing zero fill.",
            "Check any other cp.reduce-based K/V loaders for the same missing zero fill.",
        ),
        (  # prose names joined by "/", one of them written singular
            "A macro dispatches over all eight score/bias/expert-weight combinations.",
            "A macro dispatches over all eight score/bias/expert-scale combinations.",
        ),
        (  # "/" before a Chinese word is "or", not a folder's
            "按 kv_len 选择算法（默认的 multi-CTA/过滤算法和新的 cluster 算法）。",
            "按 kv_len 选择算法（默认的 multi-CTA/ 过滤算法和新的 cluster 算法）。",
        ),
        (  # a change type the instructions list, echoed
            "It is a ci_build change of kv_len only.",
            "It is a ci_deploy change of kv_len only.",
        ),
    ],
)
def test_what_a_real_model_wrote_is_found_held_out_19(text: str, invented: str) -> None:
    """The false flags of the nineteenth held-out round, each in the lines of its real prompt."""
    shown = Evidence(
        [
            Section(
                "message",
                "bugfix: fix potential issues of FA3 template loading nans for PageAttention (#945)\n"
                "that it's faster than both the multi-cta topk algorithm and\n"
                "After this change, for deepseek mode, now logits is always fp32, bias\n",
            ),
            Section(
                "diff",
                "csrc/x.cu (modified, +9/−2)\n"
                "+          cudaMemcpyDeviceToHost, stream));\n"
                '+    pattern = r"flashinfer-([0-9.]+)\\+cu(\\d+)\\torch([0-9.]+)-"\n'
                "+    np.testing.assert_allclose(o.cpu().numpy(), o_two_level.cpu().numpy(), rtol=1e-3)\n"
                "+  kv_len = 3;\n"
                "+  using GmemCopyAtomKV = cute::Copy_Atom<SM80_CP_ASYNC_CACHEGLOBAL_ZFILL<AlignmentTypeKV>,\n"
                "+    routingData.mDtypeScore = btg::Dtype::Fp32;  // for DeepSeek, the score is currently always fp32\n"
                "+                     static_cast<int*>(permuted_idx_to_token_idx->data), expert_weights->data,\n",
                path="csrc/x.cu",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        (  # a count of one-byte elements is that many bytes
            "The 8-element fp8 versions copied a single element instead of 8 bytes.",
            "The 8-element fp8 versions copied a single element instead of 16 bytes.",
        ),
        (  # an architecture as a bound on __CUDA_ARCH__
            "在 sm_80 和 sm_90 上分别运行批量预填充的正确性测试。",
            "在 sm_80 和 sm_100 上分别运行批量预填充的正确性测试。",
        ),
        (  # a module imported, as its file
            "Packaging is expected to generate _build_meta.py.",
            "Packaging is expected to generate _build_info.py.",
        ),
        (  # a constant's words in another style, an acronym in mixed case among them
            "pos_encoding_mode 取值变为 NONE/ROPE_LLAMA/ALIBI。",
            "pos_encoding_mode 取值变为 NONE/ROPE_YARN/ALIBI。",
        ),
        (  # names whose short parts the title joins by "/"
            "paged_kv_t::get_k_ptr and get_v_ptr read page pointers.",
            "paged_kv_t::get_k_ptr and get_o_ptr read page pointers.",
        ),
        (  # a dotted name, a part of a constant's
            "It fits the registration pattern, so it works with torch.compile.",
            "It fits the registration pattern, so it works with torch.export.",
        ),
    ],
)
def test_what_a_real_model_wrote_is_found_held_out_20(text: str, invented: str) -> None:
    """The false flags of the twentieth held-out round, each in the lines of its real prompt."""
    shown = Evidence(
        [
            Section(
                "message", "bugfix: fix the behavior of `get_k/v_ptr` for `PageStorage::kPointers` (#165)\n"
            ),
            Section(
                "diff",
                "include/flashinfer/page.cuh (modified, +9/−2)\n"
                "@@ -232,7 +232,7 @@ struct paged_kv_t {\n"
                " struct vec_t<half, 1> {\n"
                "+  FLASHINFER_INLINE void cast_load(const T *ptr);\n"
                "+  // __nv_fp8_e4m3 x 8\n"
                "+#if (!defined(__CUDA_ARCH__) || (__CUDA_ARCH__ >= 800))\n"
                "+#if (!defined(__CUDA_ARCH__) || (__CUDA_ARCH__ >= 900))\n"
                "+    from ._build_meta import __version__ as __version__\n"
                "+  if constexpr (pos_encoding_mode == PosEncodingMode::kRoPELlama) {\n"
                "@@ -40,6 +40,7 @@ TORCH_COMPILE_FNS = [\n",
                path="include/flashinfer/page.cuh",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        (  # a factor of a product with a name is not a multiplier
            "decoding_kernel 以 32 × head_dim/32 个线程运行。",
            "decoding_kernel 以 32 × head_dim/32 个线程运行，快 2.5×。",
        ),
        (  # a dtype's size compared, an unsigned literal
            "When the element size is 1 byte, the fp8 path is taken.",
            "When the element size is 2 bytes, the fp8 path is taken.",
        ),
        (  # a size in bytes written out
            "Dynamic shared memory stays within 48 KB to keep occupancy.",
            "Dynamic shared memory stays within 64 KB to keep occupancy.",
        ),
        (  # a count of tokens in the list a flag takes
            "CuteDSL trails TRTLLM at 1–8 tokens.",
            "CuteDSL trails TRTLLM at 1–6 tokens.",
        ),
    ],
)
def test_what_a_real_model_wrote_is_found_held_out_21(text: str, invented: str) -> None:
    """The false flags of the twenty-first held-out round, each in the lines of its real prompt."""
    shown = Evidence(
        [
            Section("message", "Use smem <= 49152 to increase occupancy.\n"),
            Section(
                "diff",
                "include/flashinfer/decode.cuh (modified, +9/−2)\n"
                "+template <uint32_t head_dim> __global__ void decoding_kernel(float *x) {\n"
                "+  dim3 nthrs = dim3(32, head_dim / 32);\n"
                "+    if (sizeof_dtype == 1U) {  // fp8\n"
                "+$ python benchmarks/bench_moe_deepseek.py --num-tokens 1,2,4,8,16,32,64\n"
                "+DeepSeek-V3 MoE Benchmark: CuteDSL vs CUTLASS vs TRTLLM (EP=1)\n",
                path="include/flashinfer/decode.cuh",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        (  # a list of names, each a part of a name in another letter case
            "src/test_page.cu covers fp16/bf16/fp32/fp8.",
            "src/test_page.cu covers fp16/bf16/fp32/fp4.",
        ),
        (  # a name's part shaped like a commit id
            "The helpers (init_states, compute_qk, f16f16f16 MMA) move to a new header.",
            "The helpers (init_states, compute_qk, f16f16f32 MMA) move to a new header.",
        ),
    ],
)
def test_what_a_real_model_wrote_is_found_held_out_22(text: str, invented: str) -> None:
    """The false flags of the twenty-second held-out round, each in the lines of its real prompt."""
    shown = Evidence(
        [
            Section(
                "diff",
                "src/test_page.cu (modified, +9/−2)\n"
                "+TEST(FlashInferCorrectnessTest, AppendPagedKVKernelCorrectnessTestFP16) {\n"
                "+TEST(FlashInferCorrectnessTest, AppendPagedKVKernelCorrectnessTestBF16) {\n"
                "+TEST(FlashInferCorrectnessTest, AppendPagedKVKernelCorrectnessTestFP32) {\n"
                "+  TestAppendPagedKVKernelCorrectness<__nv_fp8_e4m3>();\n"
                "+  init_states<num_frags_x, num_frags_y>(o_frag, m, d);\n"
                "+  compute_qk<num_frags_x>(&qo_smem, &k_smem);\n"
                "+ mma::mma_sync_m16n16k16_row_col_f16f16f16<MMAMode::kInit>((uint32_t*)x_frag[fx][fz],\n",
                path="src/test_page.cu",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        (  # a number on the line of a name of bytes
            "With a source size of 0, cp.async writes 16 bytes of zeros into shared memory.",
            "With a source size of 0, cp.async writes 32 bytes of zeros into shared memory.",
        ),
        (  # a count's name, its words after a number
            "Llama 3.2 3B has num_qo_heads = 24 and num_kv_heads = 8.",
            "Llama 3.2 3B has num_q_heads = 24 and num_kv_heads = 8.",
        ),
        (  # a glob of a constant a compiler's -D defines
            "Build with the CUTLASS_ENABLE_GDC_FOR_SM* flags.",
            "Build with the CUTLASS_ENABLE_PDL_FOR_SM* flags.",
        ),
    ],
)
def test_what_a_real_model_wrote_is_found_held_out_23(text: str, invented: str) -> None:
    """The false flags of the twenty-third held-out round, each in the lines of its real prompt."""
    shown = Evidence(
        [
            Section("message", "Llama 3.2 3B comes with 24 qo heads and 8 kv heads.\n"),
            Section(
                "diff",
                "include/flashinfer/cp_async.cuh (modified, +9/−2)\n"
                "+  int src_in_bytes = predicate ? 16 : 0;\n"
                '+    "-DCUTLASS_ENABLE_GDC_FOR_SM100=1",\n',
                path="include/flashinfer/cp_async.cuh",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        (  # files whose names differ in a number, the numbers joined by "/"
            "It adds hopper/flash_fwd_hdim64/128/256_bf16_sm90.cu.",
            "It adds hopper/flash_fwd_hdim64/128/512_bf16_sm90.cu.",
        ),
    ],
)
def test_what_a_real_model_wrote_is_found_held_out_24(text: str, invented: str) -> None:
    """The false flags of the twenty-fourth held-out round (flash-attention), each in the lines of its real prompt."""
    shown = Evidence(
        [
            Section(
                "header",
                "new_module: hopper/flash_fwd_hdim128_bf16_sm90.cu, hopper/flash_fwd_hdim256_bf16_sm90.cu, "
                "hopper/flash_fwd_hdim64_bf16_sm90.cu (+1.5)\n",
            ),
            Section(
                "diff",
                "flash_attn/cute/interface.py (modified, +9/−2)\n+    elif arch // 10 in [10, 11]:\n",
                path="flash_attn/cute/interface.py",
            ),
        ]
    )
    _found_and_twin_flagged(text, invented, shown)


def test_a_name_is_found_by_its_words_only_as_a_whole() -> None:
    """`s_q` is not "s q" (a name's words are read apart only when they hold four letters or more), and a name of
    two words is not a part of a longer one in another style: `merge_state` is not `MergeStateKernel`'s, `row_sum`
    not `kIdxFinalRowSum`'s (held out 18 counts the last a false flag: the formula shown is the one the model
    wrote); nor one of three in a member's or a kernel's name (`final_row_sum`, `merge_state_in_place`: held out 23
    counts `MergeStateInPlaceKernel` not shown); nor names a path's hyphen joins (`finetune_llm` is not
    `/tmp/finetune-llm`: held out 7 of torchtune counts it not shown)."""
    shown = Evidence(
        [
            Section(
                "diff",
                "x.cu (modified, +2/−1)\n+ s q k v\n+ row sum\n+ MergeStateKernel<<<1, 2>>>(kIdxFinalRowSum);\n"
                "+ MergeStateInPlaceKernel<<<1, 2>>>();\n"
                "+ nixl_ep/handle.py: paged_run(), sm107, max_size, /tmp/finetune-llm\n",
                path="x.cu",
            )
        ]
    )
    text = (
        "It scales s_q and row_sum, merge_state, merge_state_in_place and final_row_sum; NixlEpHandle, split_kv, "
        "_paged_run, sm_107, ax_size, finetune_llm."
    )
    assert [c.text for c in trace(text, shown) if c.where is None] == [
        "s_q",
        "merge_state",
        "merge_state_in_place",
        "final_row_sum",
        "NixlEpHandle",
        "split_kv",
        "_paged_run",
        "ax_size",
        "finetune_llm",
    ]


@pytest.mark.parametrize(
    ("text", "invented", "line"),
    [
        # --- held out 25 and 26 (and three of 24) ---
        # a snake_case name in other words of a longer snake_case name, a word of it plural
        (
            "It masks columns past seqlen_k.",
            "It masks columns past seqlen_q.",
            "if col0 >= seqlenk_col_limit:",
        ),
        (
            "The varlen path reads seqlen_k.",
            "The varlen path reads seqlen_q.",
            'raise TypeError("cu_seqlens_k")',
        ),
        (
            "Hopper forward with v_new.",
            "Hopper forward with q_new.",
            "params.tma_load_V_new.get_tma_tensor(shape)",
        ),
        ("Run the tests with pack_gqa.", "Run the tests with pack_mqa.", "# seqlen_q_packgqa > tile_m"),
        (
            "Flex-style score_mod callables.",
            "Flex-style score_fn callables.",
            "def create_softcap_scoremod(val):",
        ),
        # a count's `n` for `num_`
        (
            "It checks nheads_k.",
            "It checks nheads_v.",
            "assert qkv.shape[2] == num_heads_q + 2 * num_heads_k",
        ),
        # FlexAttention by its short name
        (
            "Users of the FlexAttention path.",
            "Users of the SageAttention path.",
            "[CuTe,Flex] Wire up interface",
        ),
        # a flag's value an f-string writes, its default quoted
        (
            "It no longer passes --offload-arch=native.",
            "It no longer passes --offload-arch=gfx90a.",
            'archs = os.getenv("GPU_ARCHS", "native")\ncc_flag = [f"--offload-arch={arch}" for arch in archs]',
        ),
        # --- held out 27 and 28 ---
        # a dotted name glued inside a longer one
        (
            "The non-TMA path uses cp.async.",
            "The non-TMA path uses cp.reduce.",
            "cpasync_producer_group = Group(",
        ),
        # a percentage a float literal writes
        (
            "以前达到 SM 数的 80% 就返回 1。",
            "以前达到 SM 数的 70% 就返回 1。",
            "if (blocks >= 0.8f * num_SMs) { return 1; }",
        ),
        # names that differ in a number, the numbers joined by "/"
        (
            "It adds gfx1100/1101/1201.",
            "It adds gfx1100/1101/1300.",
            'archs = ["gfx1100", "gfx1101", "gfx1201"]',
        ),
        (
            "Kernels for hdim64/96/128.",
            "Kernels for hdim64/96/256.",
            "run_mha_bwd_hdim64(); run_mha_bwd_hdim96(); run_mha_bwd_hdim128();",
        ),
        # `hdim` for a head's dimension
        (
            "Only when hdimV is 512.",
            "Only when hdimQ is 512.",
            "MmaPV_use_RS = kHeadDim == 64 && kHeadDimV == 512;",
        ),
        # a name git cut at the end of a hunk header, five letters or more
        (
            "It changes mha_bwd.",
            "It changes mha_fwd.",
            "@@ -1528,7 +1532,7 @@ std::tuple<Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor> mha_b",
        ),
        # --- held out 29 ---
        # a name written as a template, its choices in braces
        (
            "它删除了 hopper/instantiations/flash_fwd_hdim{128,192,256}_*_packgqa_sm80.cu 文件。",
            "它删除了 hopper/instantiations/flash_fwd_hdim{128,192,512}_*_packgqa_sm80.cu 文件。",
            "=== hopper/instantiations/flash_fwd_hdim128_bf16_packgqa_sm80.cu (removed, +0/−12)\n"
            "=== hopper/instantiations/flash_fwd_hdim192_bf16_packgqa_sm80.cu (removed, +0/−12)\n"
            "=== hopper/instantiations/flash_fwd_hdim256_fp16_packgqa_sm80.cu (removed, +0/−12)",
        ),
        (
            "Flags are bumped with `red.{relaxed,release}.gpu.global.add.s32`.",
            "Flags are bumped with `red.{relaxed,seqcst}.gpu.global.add.s32`.",
            '"red.relaxed.gpu.global.add.s32 [$0], $1;",\n+"red.release.gpu.global.add.s32 [$0], $1;",',
        ),
        # numbers joined by "/" after a name's letters, the letters written for each
        (
            "It adds sinks on sm90/sm100/sm110.",
            "It adds sinks on sm90/sm100/sm130.",
            "[Cute, bwd, sm90/100/110] Support learnable sink in backward (#2706)",
        ),
        # a function a module holds, called by its name alone
        (
            "It is now bound through functools.partial.",
            "It is now bound through functools.reduce.",
            "mma_one_m_block_all = partial(",
        ),
        # a head's dimension as `hdim`
        (
            "Test where head_dim_v differs.",
            "Test where head_dim_qk differs.",
            "(self.tile_n, self.tile_hdimv),",
        ),
        # the template the code writes for a brace list (found before the round too: the replay caught a first
        # version of it flagging this)
        (
            "It generates files with the suffixes _ragged_kernel_mask_{0,1,2}.cu.",
            "It generates files with the suffixes _ragged_kernel_tile_{0,1,2}.cu.",
            '*[f"_ragged_kernel_mask_{mask_mode}.cu" for mask_mode in [0, 1, 2]],',
        ),
        # --- held out 30 ---
        # a brace list the evidence writes as it is
        (
            "改为 `pile/gpt3{s,m,l,xl}-flash-rotary`。",
            "改为 `pile/gpt3{s,m,l,xxl}-flash-rotary`。",
            "To train with rotary embedding, run the experiments `pile/gpt3{s,m,l,xl}-flash-rotary`.",
        ),
        # a number before a name x, not a multiplier
        (
            "For checkpoint_lvl 2 x is re-gathered.",
            "For checkpoint_lvl 2 x is re-gathered, 3x faster.",
            "elif checkpoint_lvl == 2:",
        ),
        # a file's name alone, the end of a module's dotted name
        (
            "Whether gpt.py reads it is not shown.",
            "Whether bert.py reads it is not shown.",
            "from flash_attn.models.gpt import GPTLMHeadModel",
        ),
        # names any reader knows for what the code or the text writes out
        (
            "It moves from TorchScript to a CUDA extension.",
            "It moves from TorchDynamo to a CUDA extension.",
            "@torch.jit.script",
        ),
        (
            "The citation becomes the NeurIPS form.",
            "The citation becomes the CoNLL form.",
            "booktitle={Advances in Neural Information Processing Systems},",
        ),
        # --- held out 31 ---
        # a size with the unit's first letter alone
        (
            "It allocates a 32 MB workspace on Hopper and 4 MB on others.",
            "It allocates a 32 MB workspace on Hopper and 8 MB on others.",
            "[FusedDense] Set workspace size to 32M for Hopper and 4M for others",
        ),
        # the letters written before each number of a list joined by "/"
        (
            "It adds cu102/cu113/cu116-Linux.sh.",
            "It adds cu102/cu113/cu118-Linux.sh.",
            "=== .github/workflows/cuda/cu102-Linux.sh (added, +15/−0)\n"
            "=== .github/workflows/cuda/cu113-Linux.sh (added, +15/−0)\n"
            "=== .github/workflows/cuda/cu116-Linux.sh (added, +15/−0)",
        ),
        # a placeholder for a template's slot
        (
            "It echoes the version before it becomes ubuntuXXXX.",
            "It echoes the version before it becomes debianXXXX.",
            "OS=ubuntu${OS_VERSION}",
        ),
        # a dtype as C++ writes it
        (
            "Cast cu_seqlens to torch.int32.",
            "Cast cu_seqlens to torch.int16.",
            "TORCH_CHECK(cu_seqlens.dtype() == torch::kInt32);",
        ),
        # --- held out 32 (Liger-Kernel) ---
        # a call quoted with fewer arguments than the code gives it, a string among them
        (
            'The `deprecate_kwarg("num_logits_to_keep")` decorator is dropped.',
            'The `deprecate_kwarg("num_tokens_to_keep")` decorator is dropped.',
            '@deprecate_kwarg("num_logits_to_keep", version="4.50", new_name="logits_to_keep")',
        ),
        # a name of three words or more inside a longer CamelCase name
        (
            "使用 apply_liger_kernel_to_paligemma 且开启 fused_linear_cross_entropy 训练的用户",
            "使用 apply_liger_kernel_to_paligemma 且开启 fused_linear_cross_loss 训练的用户",
            "from liger_kernel.transformers import apply_liger_kernel_to_paligemma, LigerFusedLinearCrossEntropyLoss",
        ),
        # a multiplier code sets on the line of a name of a multiplier
        (
            "It sizes blocks with an 8x forward or 12x backward memory multiplier.",
            "It sizes blocks with an 8x forward or 16x backward memory multiplier.",
            "memory_multiplier = 8.0 if is_forward else 12.0",
        ),
        # a path written through a variable the evidence sets (a Makefile's)
        (
            "A new target runs every benchmark/scripts/benchmark_*.py.",
            "A new target runs every benchmark/tools/benchmark_*.py.",
            "BENCHMARK_DIR = benchmark/scripts\n+BENCHMARK_SCRIPTS = $(wildcard $(BENCHMARK_DIR)/benchmark_*.py)",
        ),
        # a CSV row with its unit in a cell: a measure rounded
        (
            "At BT=1024 full takes 111 ms against 26 ms.",
            "At BT=1024 full takes 111 ms against 27 ms.",
            "fused_linear_jsd,liger,full,speed,ms,BT,B x T,1024,111.16019439697266,111.1601,111.1601,{},H100,0.3.1\n"
            "+fused_linear_jsd,torch,full,speed,ms,BT,B x T,1024,25.977184295654297,25.968,25.989,{},H100,0.3.1",
        ),
        # --- held out 33 (Liger-Kernel) ---
        # names joined by "/" in a code span, each shown (as a part of a longer name too)
        (
            "It renames `logits_atol/logits_rtol`.",
            "It renames `logits_atol/logits_ktol`.",
            '"model_name, loss_atol, logits_atol, logits_rtol, param_atol",',
        ),
        (
            "It adds `vespo_k_pos/lambda_pos/k_neg/lambda_neg`.",
            "It adds `vespo_k_pos/lambda_pos/k_neg/mu_neg`.",
            "vespo_k_pos=2.0, vespo_lambda_pos=3.0, vespo_k_neg=3.0, vespo_lambda_neg=2.0",
        ),
        # a Makefile's target run by `make`
        (
            "Run `make test-convergence` locally.",
            "Run `make test-divergence` locally.",
            "@@ -5,7 +5,16 @@ all: checkstyle test test-convergence",
        ),
        # a path by the end of a module's dotted name
        (
            "It imports ops/softmax.py.",
            "It imports ops/softmin.py.",
            "from liger_kernel.ops.softmax import _softmax",
        ),
        # a name's words in prose, plural
        (
            "It may raise ImportError.",
            "It may raise ImportWarning.",
            "# kernels and avoid potential import errors.",
        ),
        # a file's name that git cut at the end of a hunk header
        (
            "It reads all_benchmark_data.csv.",
            "It reads all_results_data.csv.",
            '@@ -13,6 +13,12 @@ DATA_PATH = os.path.abspath(os.path.join(os.path.dirname(__file__), "data/all_be',
        ),
        # a size or a time on the line of a name that carries its unit, or times a name of the unit
        ("It caps the cache at 4 GiB.", "It caps the cache at 8 GiB.", "default_limit = 4 * gib"),
        (
            "A 10 ms cooldown.",
            "A 20 ms cooldown.",
            "std::chrono::milliseconds(std::max(10, tuner_cooldown_ms()))",
        ),
        (
            "Each element takes at least 4 bytes.",
            "Each element takes at least 2 bytes.",
            "dtype_size = max(dtype_size, 4)",
        ),
        # --- held out 34 (pytorch/ao) ---
        # a CamelCase name of three words or more in a longer snake_case name
        (
            "OptimState4bit keeps its c10d ops.",
            "OptimState2bit keeps its c10d ops.",
            "@@ -183,8 +183,8 @@ _optim_state_4bit_c10d_ops = [",
        ),
        (
            "The Float8Tensor tests run.",
            "The Float8Scale tests run.",
            "python test/quantization/quantize_/workflows/float8/test_float8_tensor.py",
        ),
        # pull requests a title lists without "#"
        ("It lands #3894 and #3887.", "It lands #3894 and #3895.", "Land 3894, 3887, 3884, 3883 into main"),
        # --- held out 35 (pytorch/ao) ---
        # a name a template builds, its number a slot in it: an f-string's, C's stringized macro parameter
        (
            "It registers torchao::_linear_fp_act_1bit_weight through _linear_fp_act_7bit_weight.",
            "It registers torchao::_linear_fp_act_1bit_weight through _linear_fp_act_8bit_weight.",
            "TORCH_LIBRARY_FRAGMENT(torchao, m) {\n+for nbit in range(1, 8):\n+"
            '    @impl(torchao_lib, f"_linear_fp_act_{nbit}bit_weight", "Meta")',
        ),
        (
            "New torchao::_pack_8bit_act_Nbit_weight_with_lut ops, called as torch.ops.torchao._pack_8bit_act_Nbit_weight_with_lut.",
            "New torchao::_pack_8bit_act_Nbit_weight_with_scale ops.",
            'TORCH_LIBRARY_FRAGMENT(torchao, m) {  // torch.ops.torchao\n+      "_pack_8bit_act_" #weight_nbit "bit_weight_with_lut", \\',
        ),
        # a family of names written with `N` for their number, two of it shown
        (
            "否则沿用原来的 intNmm 内核。",
            "否则沿用原来的 uintNmm 内核。",
            "- func: int7mm\n+   file: int5mm.metal",
        ),
        # a glob over the modules a dotted import names
        (
            "If the old torchao/prototype/low_bit_optim/subclass_*.py files still exist, imports differ.",
            "If the old torchao/prototype/lowbit_optim/subclass_*.py files still exist, imports differ.",
            "-from torchao.prototype.low_bit_optim.subclass_4bit import OptimState4bit",
        ),
        # a path whose folder is written as a package's dotted name
        (
            "torchao.quantization.prototype/__init__.py is restored.",
            "torchao.quantization.prototypes/__init__.py is restored.",
            "public_api: torchao/quantization/prototype/__init__.py (+1.5)",
        ),
        # an enum's member the evidence names in words, the enum shown with another member
        (
            "If you use ScalingType.DELAYED, move to ScalingType.DYNAMIC.",
            "If you use ScalingType.DEFERRED, move to ScalingType.DYNAMIC.",
            "# Future deprecation warning for delayed scaling\n+    x != ScalingType.DYNAMIC",
        ),
        # an issue a TODO names
        ("Track issue 1945.", "Track issue 1946.", "# TODO(1945): remove this config option"),
        # --- held out 36 (pytorch/ao, 2024) ---
        # a file in another letter case (the model corrects it; a sentence starts with it)
        (
            "Fix the include to <ATen/Parallel.h>.",
            "Fix the include to <ATen/Parallelism.h>.",
            "#include <Aten/Parallel.h>",
        ),
        (
            "Generate.py's results shift.",
            "Generator.py's results shift.",
            "=== torchao/_models/llama/generate.py (modified, +11/−59)",
        ),
        # a dtype by its other name in PyTorch
        (
            "So .to(torch.float16) does nothing.",
            "So .to(torch.bfloat16) does nothing.",
            "x = torch.randn(N, IC, device=device, dtype=torch.half)",
        ),
        # a name CMake builds from a value it compares the name with
        (
            "add_compile_options comes after add_library(torchao_ops_executorch STATIC).",
            "add_compile_options comes after add_library(torchao_ops_aten STATIC).",
            'elseif(TORCHAO_OP_TARGET STREQUAL "executorch")\n+  add_library(torchao_ops_${TORCHAO_OP_TARGET} STATIC)'
            "\n+add_compile_options(-Wall)",
        ),
        # a pull request a link's query names
        (
            "It turns a failing run for PR #962 green.",
            "It turns a failing run for PR #963 green.",
            "This just makes https://github.com/pytorch/ao/actions/runs/11293700323/job/31428383947?pr=962 green",
        ),
        # a test class named for what it tests
        (
            "The float8 scaled_mm test passes again.",
            "The float8 scaled_gemm test passes again.",
            "class TestScaledMM:",
        ),
        # --- held out 37 (pytorch/ao, 2024) ---
        # a family of names written with `N` for their number, at a name's end or before its extension
        (
            "Pass torch.uintN instead.",
            "Pass torch.intN instead.",
            "Use `torch.uint1` to `torch.uint7` for Uintx",
        ),
        (
            "Every uintN.h changes.",
            "Every intN.h changes.",
            "#include <bitpacking/uint1.h>\n+#include <bitpacking/uint6.h>",
        ),
        # a range of numbers in braces
        (
            "It registers torchao::_linear_fp_act_{1..2}bit_weight.out.",
            "It registers torchao::_linear_fp_act_{1..3}bit_weight.out.",
            'EXECUTORCH_LIBRARY(torchao, "_linear_fp_act_1bit_weight.out", f<1>);\n+'
            'EXECUTORCH_LIBRARY(torchao, "_linear_fp_act_2bit_weight.out", f<2>);',
        ),
        (
            "New torchao::_embedding_{1..6}bit ops.",
            "New torchao::_embedding_{1..6}byte ops.",
            'TORCH_LIBRARY_FRAGMENT(torchao, m) {\n+    getattr(torch.ops.torchao, f"_embedding_{nbit}bit"),',
        ),
        (
            "New torchao::_embedding_{1..6}bit.out ops.",
            "New torchao::_embedding_{1..6}byte.out ops.",
            'TORCH_LIBRARY_FRAGMENT(torchao, m) {\n+      torchao, "_embedding_" #weight_nbit "bit.out", _op_out)',
        ),
        # the sizes a sum of `sizeof`s comes to
        (
            "The header grows from 16 bytes to 64 bytes.",
            "The header grows from 16 bytes to 96 bytes.",
            "-    static_assert(sizeof(format) + sizeof(params) == 16);\n+"
            "+    static_assert(sizeof(magic) + sizeof(format) + sizeof(params) == 64);",
        ),
        # a static library CMake adds, by its file's name
        (
            "Link libtorchao_ops_executorch.a whole.",
            "Link libtorchao_ops_aten.a whole.",
            "add_library(torchao_ops_executorch STATIC)",
        ),
        # a release's `.0` left out in a name
        (
            "Check whether 2.5.0 itself is included.",
            "Check whether 2.6.0 itself is included.",
            "from torchao.utils import TORCH_VERSION_AFTER_2_5",
        ),
        # --- round 37 (the close calls of held out 36 and 37) ---
        # a long name the prompt misspells, corrected by the model: a letter left out, two letters swapped
        (
            "Re-run test/integration/test_integration.py.",
            "Re-run test/integration/test_integrations.py.",
            "python test/integration/test_integraton.py",
        ),
        (
            "BlockSparse gains block_sparse_weight.",
            "BlockSparse gains block_sparse_weights_v2.",
            "I also added a block_sparse_wieght function to the BlockSparse subclass",
        ),
        # a GitHub Action by its repository and ref, the path inside it left out
        (
            "It uses `pytorch/test-infra@main` unpinned.",
            "It uses `pytorch/test-infra@v2` unpinned.",
            "uses: pytorch/test-infra/.github/actions/setup-miniconda@main",
        ),
        # a word of a list of operations inflected where the prompt has it
        (
            "The transpose/slice/view handlers read tensor_impl.",
            "The transpose/slice/reshape handlers read tensor_impl.",
            "assert not w_tensor_impl.transposed\n+    aten.slice.Tensor(self.int_data)\n+    self.scale.view(-1)",
        ),
        # --- held out 38 (pytorch/ao, 2023-11 to 2024-06) ---
        # a date's format in letters for strftime's codes
        (
            "It moves to the YYYY.MM.DD scheme.",
            "It moves to the YYYY.DD.MM scheme.",
            "current_date = datetime.now().strftime('%Y.%m.%d')",
        ),
        # NaN for what `isnan` tests
        ("The NaN assertion syncs.", "The NaNGuard assertion syncs.", "assert torch.isnan(input).sum() == 0"),
        # a pre-release's 0 left out
        ("0.0.2a is 0.0.2a0.", "0.0.2a is 0.0.3a0.", "version='0.0.2a',"),
        # libraries listed with "/" without their `lib`
        (
            "The wheel excludes libtorch/c10/cudart.",
            "The wheel excludes libtorch/c10/cublas.",
            "--exclude libtorch.so --exclude libc10.so --exclude libcudart.so.12",
        ),
        # --- held out 41 (flashinfer 2023-07 to 2025-07, torchtitan 2026-03 and 04) ---
        # a count of tokens a chunk's size sets
        (
            "The KV-chunk search starts from 4 tokens instead of 8.",
            "The KV-chunk search starts from 2 tokens instead of 8.",
            "int suggested_kv_chunk_size = 4;",
        ),
        # a multiplier code sets on the line of a name of a ratio
        (
            "图像 token 数按 8 倍自编码器下采样计算。",
            "图像 token 数按 4 倍自编码器下采样计算。",
            "LATENT_CHANNELS, IMAGE_LATENT_SIZE_RATIO = 16, 8",
        ),
        # a pull request a title recreates, without its "#"
        (
            "It recreates PR #2753.",
            "It recreates PR #2754.",
            "[Recreate of 2753] [graph_trainer] Replace trace_module",
        ),
        # a copy's direction in its words
        (
            "It keeps the blocking D2H sync.",
            "It keeps the blocking H2D sync.",
            "# NOTE: this would incur a device-to-host sync",
        ),
        # a word of a name written short
        (
            "The grad_out passes through.",
            "The grad_inp passes through.",
            "    return grad_output, None, grad_src",
        ),
        (
            "It fixes the run with dp_shard 4 and TP 2.",
            "It fixes the run with dp_replicate 4 and TP 2.",
            "--compile.mode aot --parallelism.data_parallel_shard_degree 4 --parallelism.tensor_parallel_degree 2",
        ),
        # --- round 42 (held out 38 and 41, SmolLM2 on llama-cpp-python's server) ---
        # a file's name with its words parted otherwise
        (
            "moe-microkernel.py (10 files)",
            "moe-macrokernel.py (10 files)",
            "- flashinfer/fused_moe/cute_dsl/blackwell_sm12x/moe_micro_kernel.py (budget)",
        ),
        # a special method as the builtin that calls it, its class shown
        (
            "Consider making Config.__repr__ tolerant of unset fields.",
            "Consider making Config.__hash__ tolerant of unset fields.",
            "repr() on the model config, which fails because Embedding.Config has",
        ),
        # --- round 43 (held out 42) ---
        # a dotted name in a "/" list, by its parts
        (
            "Check that the adapters still map experts.w1/w2/w3.",
            "Check that the adapters still map experts.w1/w2/w4.",
            "        self.w1 = nn.Parameter(self.w2, self.w3)  # group tokens and pass that to experts forward",
        ),
        # --- round 44 (held out 42) ---
        # an f-string's slot by its name
        (
            'It fakeifies each input under LocalSource("input_i").',
            'It fakeifies each input under LocalSource("input_j").',
            '    source = LocalSource(input_name)  # _fakeify_input(fake_mode, a, input_name=f"input_{i}")',
        ),
        # --- round 45 (held out 43, pytorch/torchtitan 2025-10 to 2026-02) ---
        # a dotted flag (a config's section and field) as code reads the config, or as its class declares it
        (
            "Users enabling --compile.enable.",
            "Users enabling --compile.fullgraph.",
            "    if job_config.compile.enable:",
        ),
        (
            "Set --training.seed and --training.deterministic.",
            "Set --training.seed and --training.determinism.",
            "@@ -263,15 +263,6 @@ class Training:\n-    seed: int | None = None\n-    deterministic: bool = False",
        ),
        (
            "Set --debug.seed.",
            "Set --debug.steps.",
            "class Debug:\n+    seed: int | None = None\n+\n+class Job:\n+    steps: int = 1",
        ),
        (
            "Use --checkpoint.enable and --compile.components=loss.",
            "Use --checkpoint.enable and --compile.components=optimizer.",
            "Seed checkpoint loading requires checkpoint.enable to be True; pass `--compile.components=model,loss`.",
        ),
        # --- round 46 (held out 44, pytorch/torchtitan 2025-07 and 2025-08) ---
        # a config's section and field as a name or a flag, its class named in CamelCase
        (
            "Set fault_tolerance.process_group or --fault_tolerance.sync_steps.",
            "Set fault_tolerance.process_grp or --fault_tolerance.sync_steps.",
            '@@ -606,6 +606,17 @@ class FaultTolerance:\n+    process_group: str = "gloo"\n+    sync_steps: int = 5',
        ),
        # a percentage a factor is set to as a fraction
        ("The LR decays to 10% of peak.", "The LR decays to 20% of peak.", "min_lr_factor = 0.1"),
        # a file run as a module
        (
            "It replaces integration_tests_ft.py.",
            "It replaces integration_tests_dp.py.",
            "        python -m tests.integration_tests_ft artifacts-to-be-uploaded --ngpu 8",
        ),
        # --- round 47 (held out 46, pytorch/torchtitan 2025-05 and 2025-06) ---
        # a count of GPUs is no multiplier; a name's optional capital in parentheses
        (
            "It runs on 8x H100 and is 2x faster.",
            "It runs on 8x H100 and is 3x faster.",
            "+name: 8 GPU Integration Test at H100 (2x)",
        ),
        (
            "Users training with Adam/AdamW.",
            "Users training with Adam/AdaGrad.",
            "Make `betas` and `weight_decay` Adam(W) hyperparameters configurable",
        ),
        # --- round 48 (held out 47, Liger-Kernel 2025 and 2026) ---
        # a test module named without its .py; a formula's subscript in braces
        (
            "Re-run test_jsd.py and test_fused_linear_jsd.py on NPU.",
            "Re-run test_jsd.py and test_fused_linear_kl.py on NPU.",
            "I tested test_jsd,test_fused_linear_jsd by following method and all passed",
        ),
        (
            "It computes mask_0 over the scores.",
            "It computes mask_1 over the scores.",
            "        out = mask_{0}(conv2d(softmax(mask_{-\\inf}(scores))))",
        ),
        # --- round 49 (close calls of held out 43 and 44) ---
        # two letters joined before a name's rest, each shown with it; a plural name for its words in the singular
        (
            "Other models with qk_norm may do the same.",
            "Other models with qv_norm may do the same.",
            '    "attention.q_norm": SequenceParallel(sequence_dim=2), "attention.k_norm": SequenceParallel()',
        ),
        (
            "Check with TORCH_LOGS that graph_breaks are gone.",
            "Check with TORCH_LOGS that graph_splits are gone.",
            "TORCH_LOGS llama4: Avoid staticmethod nested graph break for MoE compile",
        ),
        # FlexAttention by its short name glued; a name inflected with "-ing"
        (
            "It covers FlexAttention + FSDP.",
            "It covers FlashInferAttention + FSDP.",
            "Add test for dsv3 with flexattn + fsdp",
        ),
        (
            "A fix to the aot_eager_autobucketing backend.",
            "A fix to the aot_eager_autotuning backend.",
            "[Reland] Fix SimpleFSDP aot_eager_autobucket (#1965)",
        ),
        # a range of tokens that ends at the number
        (
            "It has 12 buckets of 64 tokens.",
            "It has 12 buckets of 32 tokens.",
            "    {  # tokens: [1, 64]",
        ),
        # --- round 50 (held out 48, pytorch/torchtitan 2025-09 and 2025-11) ---
        # a package's __init__.py by the package imported; a time printed in parts, rounded
        (
            "Its torchtitan/experiments/qwen3/__init__.py is not changed.",
            "Its torchtitan/experiments/qwen4/__init__.py is not changed.",
            "-import torchtitan.experiments.qwen3",
        ),
        (
            "Backward takes 1.96ms against 1.56ms.",
            "Backward takes 1.97ms against 1.56ms.",
            "| Backward   | 1ms 955us 916ns  | 1ms 558us 747ns    |",
        ),
        # --- round 55 (held out 53, pytorch/torchtune 2024-06, 2024-08 and 2024-10) ---
        # an f-string's slots written as the model writes them, its suffix added by `.with_suffix`; `**` any folders
        (
            "Shards are saved as `hf_model_{cpt_idx}_{epoch}.pt`.",
            "Shards are saved as `hf_model_{cpt_idx}_{epoch}.bin`.",
            '                    self._output_dir, f"hf_model_{cpt_idx}_{epoch}"\n+                ).with_suffix(".pt")',
        ),
        (
            'Traces are named `worker_name=f"r0-{year}-{month}-{day}-{hour}-{minute}"`.',
            'Traces are named `worker_name=f"r1-{year}-{month}-{day}-{hour}-{minute}"`.',
            '        worker_name=f"r0-{now.year}-{now.month}-{now.day}-{now.hour}-{now.minute}",',
        ),
        (
            "Every `recipes/configs/**.yaml` changes.",
            "Every `recipes/configs/**.json` changes.",
            "=== recipes/configs/code_llama2/7B_lora_single_device.yaml (modified, +1/−1)",
        ),
        # --- round 54 (held out 52, pytorch/torchtune 2024-07 and 2024-09) ---
        # a version bound; a date's format with one-letter month and day; a function by its file; the number a
        # percentage's name is set to; a dimension times a name in backticks is no multiplier
        (
            "The check is `>= 2.4.0` now.",
            "The check is `>= 2.5.0` now.",
            '    if not utils.torch_version_ge("2.4.0"):',
        ),
        (
            "It must match `YYYY.M.D` after the split.",
            "It must match `YYYY.M` after the split.",
            '    return datetime.strptime(ao_version_str.split("+")[0], "%Y.%m.%d")',
        ),
        (
            "It lets `torchtune/utils/_generation.py:generate` decode.",
            "It lets `torchtune/utils/_generation.py:sample` decode.",
            "torchtune/utils/_generation.py (modified)\n@@ -120,9 +120,10 @@ def generate(\n+    x = 1",
        ),
        (
            "A warning is raised above 60% of system memory.",
            "A warning is raised above 70% of system memory.",
            "        self.virtual_memory_safe_pct = (\n+            60  # we should not exceed this percentage of memory",
        ),
        (
            "Tying the output to the 128,256 x `embed_dim` embedding.",
            "Tying the output to the 128,256 x `embed_size` embedding.",
            "            vocab_size=128_256,\n+            embed_dim=2048,",
        ),
        # --- round 53 (held out 51, pytorch/torchtitan 2024-02, 2024-03, 2024-05 to 2024-08, 2024-10, 2024-12) ---
        # a shell script's positional parameter; a family of names the code's template builds, by `N`; a part
        # written as `<placeholder>`; an underscore slipped into a long name; TensorBoard by its short name
        (
            "The directory is read from `$1`.",
            "The directory is read from `$2`.",
            "TRAINER_DIR=${1:-/home/$USER/local/torchtitan}",
        ),
        (
            "Each rank writes to its own `rank_N` folder.",
            "Each rank writes to its own `ranks_N` folder.",
            '            rank_str = f"rank_{torch.distributed.get_rank()}"',
        ),
        (
            "Logs go under `dump_folder/save_tb_folder/<timestamp>` now.",
            "Logs go under `dump_folder/save_profile_folder/<timestamp>` now.",
            "     dump_dir = config.job.dump_folder\n+    log_dir = os.path.join(dump_dir, save_tb_folder, datetime_str)",
        ),
        (
            "A step counts once `<folder>/step-N/.metadata` exists.",
            "A step counts once `<folder>/step-N/.checkpoint` exists.",
            '                 match = re.search(r"step-(\\d+)", filename)\n'
            '+                metadata_probe = os.path.join(self.folder, filename, ".metadata")',
        ),
        (
            "Run `python ./tests/integration_tests.py <output_dir>` instead.",
            "Run `python ./tests/run_tests.py <output_dir>` instead.",
            "        python ./tests/integration_tests.py artifacts-to-be-uploaded --ngpu 4",
        ),
        (
            "A TODO blames `DeviceMesh.__getitem__` for it.",
            "A TODO blames `DeviceMesh.__setitem__` for it.",
            "        # TODO: this leads to an error in `DeviceMesh.__get_item__` which I believe is a bug in DeviceMesh",
        ),
        (
            "TensorBoard logs went missing.",
            "TensorFlow logs went missing.",
            "    save_tb_folder = config.metrics.save_tb_folder",
        ),
        # --- round 52 (held out 50, pytorch/torchtitan 2024-04, 2025-02 and 2025-03) ---
        # a call or a keyword with a literal (`True`) the diff need not show; a slot named as the model names it
        (
            "It is what `get_num_params(..., exclude_embedding=True)` counts.",
            "It is what `get_num_params(..., exclude_embeddings=True)` counts.",
            "+def get_num_params(model: torch.nn.Module, exclude_embedding: bool = False) -> int:",
        ),
        (
            "Only parameters with `requires_grad=True` are kept.",
            "Only parameters with `requires_gradient=True` are kept.",
            "+            params = [p for p in model.parameters() if p.requires_grad]",
        ),
        (
            "It renames the configs to `llama2_7b/13b/70b.toml`.",
            "It renames the configs to `llama2_7b/13b/80b.toml`.",
            "=== train_configs/llama2_13b.toml ← train_configs/llama_13b.toml (renamed, +2/−2)\n"
            "=== train_configs/llama2_70b.toml ← train_configs/llama_70b.toml (renamed, +2/−2)\n"
            "=== train_configs/llama2_7b.toml ← train_configs/llama_7b.toml (renamed, +2/−2)",
        ),
        (
            "The logo is pinned to commit `bcac1570`.",
            "The logo is pinned to commit `bcac1571`.",
            '+  srcset="https://github.com/pytorch/torchtitan/blob/bcac1570a7cc47554f934d057e0f9aea9ae6fd08/assets/a.jpg"',
        ),
        (
            "Each rank logs to its own `rank_{rank}` folder.",
            "Each rank logs to its own `ranks_{rank}` folder.",
            '             base_log_dir, f"rank_{torch.distributed.get_rank()}"',
        ),
        # --- round 51 (held out 49, pytorch/torchtitan 2025-04) ---
        # a name an f-string builds from a method's argument; a dotted flag's section as code names its config; a
        # CamelCase name in the plural, or a class's, for the snake_case name or the class shown
        (
            "It registers gate_proj_weight.",
            "It registers gate_bias_weight.",
            '    def combine_experts(self, submod_name: str):\n+        self.register_parameter(f"{submod_name}_weight", w)'
            '\n+        self.combine_experts("gate_proj")',
        ),
        (
            "Configs that set --parallelism.pipeline_parallel_layers_per_stage.",
            "Configs that set --parallelism.pipeline_parallel_stages_per_layer.",
            "-        parallelism_config.pipeline_parallel_layers_per_stage,",
        ),
        (
            "Custom functions in TrainSpecs and forks.",
            "Custom functions in TrainSpots and forks.",
            "             if self.train_spec.build_metrics_processor_fn is None",
        ),
        (
            "They are registered as nn.Parameters.",
            "They are registered as nn.Buffers.",
            "        self.register_parameter(name, nn.Parameter(combined_weight))",
        ),
        # --- round 56 (held out 54 and 55, pytorch/torchtune 2024-11 to 2025-03) ---
        # code written with other spaces or brackets; a setting and its literal as code sets or tests it
        (
            "It flattens to `[b*s, d]` before quantizing.",
            "It flattens to `[b*s, e]` before quantizing.",
            "    # Quantize - shape [b * s, d]",
        ),
        (
            "The ids come back as `(b, s)`.",
            "The ids come back as `(s, d)`.",  # a part of a longer one
            "    # Reshape to original - [b, s, d] and [b, s]",
        ),
        (
            "Without a process group it returns `(1, 0)`.",
            "Without a process group it returns `(0, 1)`.",
            "        return 1, 0",
        ),
        (
            "Decoding with `y=None` now works.",
            "Decoding with `x=None` now works.",
            "    if y is None:",
        ),
        (
            "It defaults to `q=None`.",
            "It defaults to `q=0`.",
            "    q: Optional[torch.Tensor] = None,",
        ),
        # --- round 57 (held out 54 and 55) ---
        # a `<placeholder>` glued to a name's part; a template cut short; a standard module's name; a folder by
        # its constant; a model's size in its name
        (
            "Checkpoints go to `dist_epoch_<n>` folders.",
            "Checkpoints go to `dist_step_<n>` folders.",
            '        self._checkpoint_dir_prefix = "dist_epoch"',
        ),
        (
            "Workers are named `r{rank}-...` by start time.",
            "Workers are named `w{rank}-...` by start time.",
            '        worker_name=f"r{rank}-{now.year}-{now.month}-{now.day}",',
        ),
        (
            "The path becomes a `pathlib.Path` first.",
            "The path becomes a `pathlib.PurePath` first.",
            "                image_path = Path(image_path)",
        ),
        (
            "It reads `tests/assets/tiny_bpe_merges.txt`.",
            "It reads `tests/data/tiny_bpe_merges.txt`.",
            '        return clip_tokenizer(tests.ASSETS / "tiny_bpe_merges.txt")',
        ),
        (
            "Builders for the `9b` and `27b` models.",
            "Builders for the `9b` and `70b` models.",
            "from ._model_builders import gemma2_2b, gemma2_9b, gemma2_27b",
        ),
        (
            "Checkpoints are saved under `dist_epoch_{epoch}`, the first in `dist_epoch_1`.",
            "Checkpoints are saved under `dist_step_{epoch}`, the first in `dist_epoch_2`.",
            '        self._checkpoint_dir_prefix = "dist_epoch"\n+        path = f"{self._checkpoint_dir_prefix}_{epoch}"'
            '\n+        first = f"{checkpointer._checkpoint_dir_prefix}_1"',
        ),
        # --- round 59 (held out 57 and 58, torchtune 2025-06 to 2025-08, pytorch/torchchat 2024-11 and 2024-12) ---
        (
            "It rejected 2.3.0 before.",
            "It rejected 2.4.0 before.",
            '    if not torch_version or (torch_version <= "2.3"):',
        ),
        # --- held out 59 (pytorch/torchchat 2024-08 and 2024-10): the repair removed it, a real claim ---
        (
            "It moves the pin to `91298923`.",
            "It moves the pin to `91298924`.",
            "91298923a0076c1b41059efb6dad2876426e4b03",
        ),
        # --- round 60 (held out 59's clear false flags) ---
        (
            "Other readers of `args.num_samples` are not shown.",
            "Other readers of `args.num_beams` are not shown.",
            '            "--num-samples",',
        ),
        # --- round 61 (held out 60, pytorch/torchchat 2024-09 and 2025-01) ---
        (
            "Parts carrying a `data:...;base64,` string are decoded.",
            "Parts carrying a `data:...;base32,` string are decoded.",
            '        "image_url": f"data:image/{extension};base64,{base64_encoded}",',
        ),
        (
            'Search for code reading `transformer_args["text"].xxx` attributes.',
            'Search for code reading `transformer_args["vision"].xxx` attributes.',
            '        max_seq_length = model.config.transformer_args["text"].max_seq_length',
        ),
        (
            "It fails to load an ExecuTorch program.",
            "It fails to load a TorchServe program.",
            '        raise RuntimeError(f"Failed to load ET compiled {builder_args.pte_path}")',
        ),
        # --- round 62 (held out 61, pytorch/torchtune 2024-02 and 2024-05) ---
        (
            "Example commands use the `--override key=value` syntax.",
            "Example commands use the `--overrides key=value` syntax.",
            "tune finetune_llm --config alpaca_llama2_finetune --override device=cuda",
        ),
        (
            "It parses `acc` or `acc_norm` from stdout.",
            "It parses `acc` or `acc_mean` from stdout.",
            r'    search = re.search(r"acc(?:_norm)?\s*\|?\s*([\d.]+)", out.strip())',
        ),
        (
            "The tests' `unittest.mock.patch` targets move.",
            "The tests' `unittest.mock.patched` targets move.",
            '@patch("torchtune.datasets._slimorca.load_dataset")',
        ),
        # --- round 63 (held out 62, pytorch/torchtune 2024-01 and pytorch/torchchat 2025-02 to 2025-05) ---
        (
            "日志写入 `log_<时间戳>.txt`。",
            "日志写入 `err_<时间戳>.txt`。",
            '        self._file_name = self.log_dir / f"log_{unix_timestamp}.txt"',
        ),
        (
            "It pins `torch==2.7.0.dev20250310+cpu` for the NPU.",
            "It pins `torch==2.7.0.dev20250311+cpu` for the NPU.",
            '    torch=="2.7.0.dev20250310+cpu"',
        ),
        # --- round 64 (held out 63, pytorch/torchtune 2024-03 and 2024-04; ExecuTorch of held out 59 and 60) ---
        (
            "参数名以 `模块名.lora` 开头。",
            "参数名以 `模块名.lorb` 开头。",
            'is_lora_param = lambda x: any([".".join([k, "lora"]) in x for k in lora_modules])',
        ),
        (
            "Replace `full_bf16=True/False` in configs.",
            "Replace `full_fp16=True/False` in configs.",
            "full_bf16: False",
        ),
        (
            "A test passes an unknown `--b 3` flag.",
            "A test passes an unknown `--b 4` flag.",
            '                ["--config", "test.yaml", "--b", "3"],',
        ),
        (
            "It accepts a raw string with `{placeholders}`.",
            "It accepts a raw string with `{replacements}`.",
            "    template (str): class name of template, or string with placeholders",
        ),
        (
            "Class names follow a `<Method>Recipe<SingleDevice|Distributed>` pattern.",
            "Class names follow a `<Method>Recipe<SingleGPU|Distributed>` pattern.",
            "class FullFinetuneRecipeDistributed:\n+class LoRAFinetuneRecipeSingleDevice:",
        ),
        (
            "Docs go to the bucket under `pytorch/torchtune/<PR number>`.",
            "Docs go to the bucket under `pytorch/torchtitan/<PR number>`.",
            "          s3-prefix: pytorch/torchtune/${{ github.event.pull_request.number }}",
        ),
        (
            "The tokens are the same (`[1, 1788, 2643, 13, ..., 2]`).",
            "The tokens are the same (`[1, 1788, 2643, 14, ..., 2]`).",
            "            [1, 1788, 2643, 13, 1792, 9508, 13, 465, 22137, 2933, 2]",
        ),
        (
            "It fixes the ExecuTorch export.",
            "It fixes the TorchServe export.",
            "* fix bugs for gguf and et in new model",
        ),
        # --- round 65 (held out 64, pytorch/torchtune 2024-04) ---
        (
            "Embeddings are scaled by `sqrt(hidden_dim)`.",
            "Embeddings are scaled by `sqrt(head_dim)`.",
            "        h = h * torch.tensor(hidden_dim**0.5, dtype=h.dtype)",
        ),
        (
            "It lists the 15 shards `pytorch_model-000XX-of-00015.bin`.",
            "It lists the 15 shards `pytorch_model-000XX-of-00016.bin`.",
            "      pytorch_model-00001-of-00015.bin,",
        ),
        # --- round 66 (held out 65, huggingface/peft 2025-07 and 2025-08) ---
        (
            "The benchmark's config sets `r=8`.",
            "The benchmark's config sets `r=16`.",
            '    "r": 8,',
        ),
        (
            "A CUDA tensor now shows `(CUDA 0)`, scripts that match `(CUDA n)` break.",
            "A CUDA tensor now shows `[CUDA 0]`, an XPU one `(XPU 0)`.",
            'device_str = "" if not p.is_cuda else f" ({device_type.upper()} {p.get_device()})"',
        ),
        (
            "The kernel is stored as `(r, r, k, 1)`.",
            "The kernel is stored as `(r, q, k, 1)`.",
            "    # We pass (r, r, kernel_size, 1) in order to be compatible with the 2d assumptions made",
        ),
        # --- round 67 (held out 66, vllm-project/llm-compressor 2025-07 and 2025-08) ---
        (
            "It drops the exclusions `torch!=1.10,!=1.11` and `accelerate!=1.1.0`.",
            "It drops the exclusions `torch!=1.10,!=1.12` and `accelerate!=1.2.0`.",
            '        "torch>=1.7.0,!=1.10,!=1.11",\n-        "accelerate>=0.20.3,!=1.1.0",',
        ),
        # --- round 68 (held out 67, NVIDIA/TransformerEngine 2025-09 and 2025-10) ---
        (
            "The kernels use `min(h, 8)` warps per block, at least `max(h, 8)` threads.",
            "The kernels use `min(h, 16)` warps per block, at least `max(h, 16)` threads.",
            "  int warps_per_block = (h <= 8) ? h : 8;\n+  int threads = (h >= 8) ? h : 8;",
        ),
        (
            "It finds `libtransformer_engine` through `TE_LIB_PATH`.",
            "It finds `libtransformer_common` through `TE_LIB_PATH`.",
            'find_library(TE_LIB NAMES transformer_engine PATHS "${TE_LIB_PATH}/.." ${TE_LIB_PATH} ENV TE_LIB_PATH REQUIRED)',
        ),
        (
            "Either input is a `Float8Quantizer`.",
            "Either input is a `Float16Quantizer`.",
            "  if (IsFloat8Quantizers(quantizer.ptr()) && is_per_tensor_scaling_input)",
        ),
        # --- round 69 (held out 68, huggingface/trl 2025-05 and 2025-06-01 to 06-10) ---
        (
            "The key is `profiling/Time taken: <TrainerClass>.<name>`.",
            "The key is `profiling/Time spent: <TrainerClass>.<name>`.",
            '        profiling_metrics = {f"profiling/Time taken: {trainer.__class__.__name__}.{name}": duration}',
        ),
        (
            "vLLM keeps 30% of each GPU by default.",
            "vLLM keeps 40% of each GPU by default.",
            "    vllm_gpu_memory_utilization: float = field(\n+        default=0.3,",
        ),
        (
            "vLLM keeps 30% of each GPU by default.",
            "vLLM keeps 35% of each GPU by default.",
            "        vllm_gpu_memory_utilization (`float`, *optional*, defaults to `0.3`):",
        ),
        # --- round 70 (held out 69, deepspeedai/DeepSpeed 2025-02 and 2025-03) ---
        (
            "Check that the flags are `compute_100`/`sm_100`.",
            "Check that the flags are `compute_120`/`sm_120`.",
            "    # the architecture should be `100`\n+    args.append(f'-gencode=arch=compute_{num},code=sm_{num}')",
        ),
        (
            "The launcher forwards `TCCL`-prefixed variables.",
            "The launcher forwards `TCXL`-prefixed variables.",
            "        self._communication_backend_name = 'tccl'",
        ),
        (
            "Models with special sharding: Yuan2 and ChatGLM.",
            "Models with special sharding: Yuan2 and ChatGPT.",
            "    # chatGLM2, chatGLM2",
        ),
        (
            "Linking against cuRAND blocked the extension on ROCm.",
            "Linking against cuSPARSE blocked the extension on ROCm.",
            "            return ['-lcurand']",
        ),
        # --- round 71 (held out 71 and 72, InternLM/lmdeploy 2025-08 and huggingface/accelerate 2025-04 to 05) ---
        (
            "Models whose config has `head_dim: null`.",
            "Models whose config has `hidden_dim: null`.",
            "    head_dim=None,",
        ),
        (
            "Stream a request with `include_usage: true`.",
            "Stream a request with `include_usage: false`.",
            "        if (res.finish_reason and request.stream_options and request.stream_options.include_usage):",
        ),
        (
            "The saved file has `override_linear_precision: [false, false, false]`.",
            "The saved file has `override_linear_precision: [false, true, false]`.",
            '  fp8_config["override_linear_precision"] = (False, False, False)',
        ),
        (
            "The server gains `POST /sleep` and `?level=`.",
            "The server gains `GET /sleep` and `?tags=`.",
            "@router.post('/sleep', dependencies=[Depends(check_api_key)])\n+    level = raw_request.query_params.get('level', '1')",
        ),
        (
            "It sits after the 2025 `<details>` block.",
            "It sits after the 2025 `<table>` block.",
            "<details close>",
        ),
        (
            "The torch pin is relaxed to `>=2.4.0,<=2.6.0`.",
            "The torch pin is relaxed to `>=2.4.0,<=2.7.0`.",
            "torch<=2.6.0,>=2.4.0",
        ),
        (
            "The object store takes 30% of host memory, capped at 80 GB.",
            "The object store takes 40% of host memory, capped at 90 GB.",
            "    DEFAULT_OBJECT_STORE_MAX_MEMORY_BYTES = 80 * (10**9)\n"
            "+    ratio = float(os.getenv('RAY_DEFAULT_OBJECT_STORE_MEMORY_PROPORTION', '0.3'))",
        ),
        (
            "It fails after the engine is woken up more than 30 times.",
            "It fails after the engine is woken up more than 40 times.",
            "fix stream assert error when wakeup 30+ times (#3883)",
        ),
        (
            "Use `@find_executable_batch_size(reduce_batch_size_fn=...)`.",
            "Use `@find_executable_batch_size(shrink_batch_size_fn=...)`.",
            "def find_executable_batch_size(function: callable = None, reduce_batch_size_fn: callable = None):",
        ),
        (
            "It changes outputs for Qwen and InternLM.",
            "It changes outputs for Qwen and InternVL.",
            "class InternLM2Model(nn.Module):",
        ),
        # --- round 72 (held out 73 and 74, fla-org/flash-linear-attention 2025-07 and ModelTC/lightllm 2025-04) ---
        (
            "Run the tests with `use_qk_l2norm_in_kernel=True`.",
            # a qualified name is not its last part in capitals (the replay after round 72: pytorch/ao 2024-11)
            "Run the tests with `use_qk_l2norm_in_kernel=True`; consider `torch.utils.use_qk_l2norm_in_kernel`.",
            "    if USE_QK_L2NORM_IN_KERNEL:\n+    from torch import utils",
        ),
        ("It adds 10 GB of swap.", "It adds 12 GB of swap.", "          swap-size-gb: 10"),
        (
            "Only text tokens are scaled by `sqrt(hidden_size)`.",
            "Only text tokens are scaled by `sqrt(head_dim)`.",
            '        self.embed_scale = torch.tensor(network_config["hidden_size"] ** 0.5)',
        ),
        # --- round 73 (held out 73: a kernel's formula written in mathematics) ---
        (
            "The state now adds `k v^T` after the decay.",
            "The state now adds `k w^T` after the decay.",
            "            b_h += b_k[:, None] * b_v",
        ),
        (
            "It builds `k k^T` and `q·k` in one pass.",
            "It builds `k k^T` and `q·r` in one pass.",
            "        b_A = tl.dot(b_k, tl.trans(b_k)) + tl.dot(b_q, tl.trans(b_k))",
        ),
        (
            "The decay is `exp(g_i - g_j)`, now masked.",
            "The decay is `exp(a_i - a_j)`, now masked.",
            "        b_g_diff = b_g[:, None] - b_g[None, :]",
        ),
        (
            "The gate scales the state by `diag(exp(gk))`.",
            "The gate scales the state by `diag(exp(gv))`.",
            "            b_gk = exp(tl.load(p_gk).to(tl.float32))",
        ),
        (
            "The kernel stores `-x` for the padding.",
            "The kernel stores `-z` for the padding.",
            "        tl.store(y + base_offset, -b_x, mask=m_d)",
        ),
        (
            # a method of a name is not a function of mathematics (`torch.exp`), a number is shown
            "It calls `torch.exp(x)` on `x * 1024`.",
            "It calls `torch.sqrt(x)` on `x * 2048`.",
            "    y = torch.exp(x) * 1024",
        ),
        # --- round 73 (held out 74: a route by the handler the code names for it) ---
        (
            "Requests to `/v1/chat/completions` and `POST /generate` now validate the images.",
            "Requests to `/v1/completions` and `POST /generate` now validate the images.",
            "@@ -231,6 +236,37 @@ async def chat_completions(request: ChatCompletionRequest, raw_request: Request)\n"
            "+async def generate(request: Request) -> Response:",
        ),
        # --- round 74 (held out 76, tile-ai/tilelang 2025-06 and 2025-07) ---
        (
            # a name after a string's escape (`\\t`)
            "It calls `cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, ...)` before the launch.",
            "It calls `cudaDeviceSetLimit(cudaLimitPersistingL2CacheSizeMax, ...)` before the launch.",
            '    code += "\\tcudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, {2});\\n"',
        ),
        ("Finite inputs get `0x1000` added.", "Finite inputs get `0x2000` added.", "    x += 0x1000u;"),
        (
            "Masked scores become `-inf`.",
            "Masked scores become `-nan`.",
            "        acc_s[i, j] = T.if_then_else(mask, acc_s[i, j], -T.infinity(accum_dtype))",
        ),
        (
            "The group size is capped by `domain[last]`.",
            "The group size is capped by `extent[last]`.",
            "      group_size = min(group_size, domain[domain.size() - 1]);",
        ),
        (
            "It raises `num_stages` from 0 to 2 in the decode example.",
            "It raises `num_warps` from 0 to 2 in the decode example.",
            "Changed the number of stages in the pipelined loop from 0 to 2",
        ),
        # --- round 75 (held out 77, ROCm/aiter 2025-09) ---
        (
            "It fixes the issue 922 complaint that `MAX_JOBS` was overridden.",
            "It fixes the issue 923 complaint that `MAX_JOBS` was overridden.",
            "* [fix]: issue922 MAX_JOBS is overridden heuristicly",
        ),
        (
            "Each rank takes about `ceil(token_num / dp_size)` tokens.",
            "Each rank takes about `ceil(token_num / tp_size)` tokens.",
            "    per_dp_token = (token_num + dp_size - 1) // dp_size",
        ),
        (
            "Any case with `m < 16` or `k < 512` hits `assert 0`.",
            "Any case with `m < 32` or `k < 512` hits `assert 0`.",
            '    if m >= 16 and k >= 512 and dtype == dtypes.bf16:\n+    else:\n+        assert 0, "asm kernel only"',
        ),
        # --- round 76 (held out 78, deepseek-ai/DeepEP 2025-06 and 2025-07) ---
        (
            # a mask is no name (`xffffffff`), and is found as it is
            "The barrier now waits with `__all_sync(0xffffffff, ...)`.",
            "The barrier now waits with `__all_sync(0xfffffffe, ...)`.",
            "        if (__all_sync(0xffffffff, value <= 0))",
        ),
        (
            "Senders write from a 16 KiB-per-warp buffer.",
            "Senders write from a 32 KiB-per-warp buffer.",
            "    constexpr int kNumTMABytesPerWarp = 16384;",
        ),
        # --- round 77 (held out 79, mlc-ai/xgrammar 2026-05 to 2026-07) ---
        (
            # a name code puts together by adding strings, its number's slot by its first letter
            "The fallback reuses the same `case_i` rule names.",
            "The fallback reuses the same `case_j` rule names.",
            '    auto option_result = Parse(option, "case_" + std::to_string(idx));',
        ),
        (
            # a part by the string its name is set to
            "It fired on the first occupied root_i name.",
            "It fired on the first occupied rule_i name.",
            '      std::string rule_prefix = "root_";\n+        std::string new_rule_name = rule_prefix + std::to_string(i);',
        ),
        (
            # a part by its name
            "Each pattern property gets a rule rule_name_pp_i.",
            "Each pattern property gets a rule rule_name_pr_i.",
            '        std::string value = CreateRule(pp.schema, rule_name + "_pp_" + std::to_string(i));',
        ),
        (
            # a pattern put together, its slot by its first letter
            "New branches emit startInt\\.0{1,p} or startInt\\.\\d{1,p}.",
            "New branches emit startInt\\.0{2,p} or startInt\\.\\d{1,q}.",
            '      parts.push_back(std::to_string(startInt) + "\\\\.0{1," + std::to_string(precision) + "}");\n'
            '+      parts.push_back(std::to_string(startInt) + "\\\\.\\\\d{1," + std::to_string(precision) + "}");',
        ),
        (
            # a term of a sum is no multiplier
            "The loop runs at most NumRules()+1 times.",
            "The loop runs at most 2 times.",
            "    for (int iteration = 0; iteration <= grammar_->NumRules(); ++iteration) {",
        ),
        # --- round 78 (held out 80, unslothai/unsloth 2026-04) ---
        (
            # a string's Unicode escape glued to the word after it
            "它只把 \\u202F 改成小写十六进制写法。",
            "它只把 \\u202E 改成小写十六进制写法。",
            '            "Section\\u00a01\\r\\n\\r\\nBody\\ftext\\u202Fhere"',
        ),
        # --- round 79 (held out 81, mlc-ai/mlc-llm 2025-08 to 2026-07) ---
        (
            # a flag as an options object's attribute
            "Running with --print-version prints the version and exits.",
            "Running with --print-versions prints the version and exits.",
            "    if opt.print_version:",
        ),
        (
            # `Xxx` for a part of a name
            "Keep an alias XxxForCasualLM = XxxForCausalLM for a while.",
            "Keep an alias XxxForCasualML = XxxForCausalML for a while.",
            '    "MistralForCasualLM": mistral,\n-    #     "architectures": ["Phi3ForCausalLM"],',
        ),
        # --- round 80 (held out 82, pytorch/helion and Dao-AILab/quack 2025-08) ---
        (
            # an f-string's slot filled with its name's string, in capitals
            "Set QUACK_CACHE_DIR to move the cache.",
            "Set QUACK_CACHE_PATH to move the cache.",
            'PACKAGE_NAME = "quack"\n+    os.getenv(f"{PACKAGE_NAME.upper()}_CACHE_DIR", "").strip()',
        ),
        # --- round 81 (held out 83, ModelCloud/GPTQModel 2025-08 and LMCache/LMCache 2024-06) ---
        (
            # a call one slip of the pen from the prompt's
            "Since then DecoderLayer.forward() no longer returns a tuple.",
            "Since then DecoderLayer.backward() no longer returns a tuple.",
            "    # after transformers 4.54, some model's DecodeLayer.forward() no longer returns tuple",
        ),
        (
            "Prefix caching works when seq.num_computed_tokens() is not zero.",
            "Prefix caching works when seq.num_computing_tokens() is not zero.",
            "work with vllm's prefix caching -- when seq.num_coomputed_tokens() is not zero",
        ),
        # --- round 83 (held out 86, huggingface/text-generation-inference 2025-04/05, bitsandbytes 2025-05) ---
        (
            # a name's words a hyphen parts, in prose
            "Run a generation with top_k and top_p set.",
            "Run a generation with top_n and top_q set.",
            "    [`LogitsProcessor`] that performs top-k, i.e. restricting\n+    that performs top-p, i.e. restricting",
        ),
        # --- round 84 (held out 87, state-spaces/mamba 2025-08 to 10, huggingface/optimum-quanto 2024-09) ---
        (
            # gigabytes the prompt writes as megabytes, the unit in the key's name
            "It reserves 20 GB and a 1 GB swap file.",
            "It reserves 20 GB and a 2 GB swap file.",
            "          temp-reserve-mb: 20480\n+          swap-size-mb: 1024",
        ),
        # --- round 85 (held out 88, microsoft/BitBLAS 2024-09/10, huggingface/kernels 2025-01/02) ---
        (
            # a factor of a formula the text writes, after "=" (not a multiplier)
            "From warp_size, threads = 32 x warps per block.",
            "From warp_size, threads = 32 x warps per block, 2.5x faster.",
            "    warp_size = 32\n+        threads = warp_size * num_warps",
        ),
        # --- round 86 (held out 89, neuralmagic/compressed-tensors 2025-05/06, thu-ml/SageAttention 2024-10/11) ---
        (
            # an f-string's slot filled with a string code compares the name with
            "It registers input_scale for FP4 inputs.",
            "It registers output_scale for FP4 inputs.",
            '    if base_name == "input":\n+        scale_name = f"{base_name}_scale"',
        ),
        (
            # tokens as a block of a kernel sets them
            "Tokens are padded to a multiple of 64 tokens.",
            "Tokens are padded to a multiple of 128 tokens.",
            "  constexpr int CTA_SIZE = 64;",
        ),
        # --- round 87 (held out 90, facebookresearch/xformers 2024-08, NVIDIA/TensorRT-Model-Optimizer 2025-08/09) ---
        (
            # a version code writes as a tuple
            "It needs flash-attn 2.5.7 or newer.",
            "It needs flash-attn 2.5.8 or newer.",
            "-            FLASH_VER_MIN = (2, 5, 7)",
        ),
        # --- round 88 (held out 91, casper-hansen/AutoAWQ 2023-11/12, microsoft/MInference 2024-07) ---
        (
            # a version whose numbers code sets by name, the lines a hunk shows apart
            "MInference moves from 0.1.2 to 0.1.3.",
            "MInference moves from 0.1.2 to 0.1.4.",
            '@@ -5,7 +5,7 @@ _MAJOR = "0"\n _MINOR = "1"\n \n # Increment this version for bug fixes\n-_PATCH = "2"\n+_PATCH = "3"',
        ),
        # --- round 89 (held out 92, pytorch-labs/gpt-fast 2024-02/03, pytorch-labs/attention-gym 2024-07/08) ---
        (
            # an f-string's slot filled with either string of a conditional
            "Its __name__ is tanh_softcap_<cap> or tanh_softcap_approx_<cap>.",
            "Its __name__ is tanh_softcap_<cap> or tanh_softcap_exact_<cap>.",
            '    prefix = "tanh_softcap_approx" if approx else "tanh_softcap"\n+    tanh_softcap.__name__ = f"{prefix}_{soft_cap}"',
        ),
        (
            # files joined by "/", each a module the code imports
            "Either add the GPTQ.py/eval.py dependencies or remove the mode.",
            "Either add the GPTQ.py/evals.py dependencies or remove the mode.",
            "    from GPTQ import GenericGPTQRunner, InputRecorder\n+    from eval import get_task_dict, evaluate",
        ),
        # --- round 91 (held out 93 to 96: karpathy/llm.c, Lightning-AI/litgpt, turboderp/exllamav2, mosaicml/llm-foundry) ---
        (
            # names whose extension the last one writes
            "It updates the full/lora/qlora.yaml configs.",
            "It updates the full/lora/adapter.yaml configs.",
            "config_hub/finetune/phi-2/full.yaml config_hub/finetune/phi-2/lora.yaml config_hub/finetune/phi-2/qlora.yaml",
        ),
        (
            # a range of numbers after a name's letters
            "It adds the frames examples/media/test_video_01..03.png.",
            "It adds the frames examples/media/test_video_01..04.png.",
            "examples/media/test_video_01.png examples/media/test_video_02.png examples/media/test_video_03.png",
        ),
        (
            # a range of numbers written from the top down (it raised IndexError before)
            "It registers `_linear_{3..1}bit`.",
            "It registers `_linear_{4..1}bit`.",
            "    _linear_1bit, _linear_2bit, _linear_3bit",
        ),
        # --- round 92 (held out 98: lm-evaluation-harness, axolotl, OpenRLHF, lighteval 2025-03) ---
        (
            # tokens a name of them "is" in a comment
            "Generations were cut to vLLM's default 16 tokens.",
            "Generations were cut to vLLM's default 32 tokens.",
            "        # VLLM max_tokens is 16 by default, however the pipeline expect the max_tokens to be None",
        ),
        (
            # an f-string's slot a loop fills over a range up to a name set to a number
            "It reads options A–J from option_0..option_9.",
            "It reads options A–J from option_10..option_19.",
            "max_opt_num = 10\n+def format_cot_example(example):\n+    for i in range(max_opt_num):\n"
            '+        opt = example[f"option_{i}"]',
        ),
        # round 93 (held out 98): a flag as the attribute an object keeps of it, or as a message names the setting
        (
            "Run it without --packing_samples.",
            "Run it without --packed_samples.",
            "-                if not self.packing_samples:",
        ),
        (
            "Users should decide whether to use --apply_chat_template.",
            "Users should decide whether to use --use_chat_template.",
            '"Instruct model detected. Recommend setting `apply_chat_template` (optionally `fewshot_as_multiturn`)."',
        ),
        # an object's attribute by the class it is named after
        (
            "Code that still reads strategy.ring_attn_rank0_group breaks.",
            "Code that still reads strategy.ring_attn_rank1_group breaks.",
            "@@ -93,13 +93,6 @@ class DeepspeedStrategy(ABC):\n-        self.ring_attn_rank0_group = new_group(",
        ),
        # a glob's `*` filled with one part of a name
        (
            "Test a Ray launch with RAY_EXPERIMENTAL_NOSET_CUDA_VISIBLE_DEVICES.",
            "Test a Ray launch with RAY_EXPERIMENTAL_NOSET_CUDA_DEVICE_ORDER.",
            "Current approach is error-prone when RAY_EXPERIMENTAL_NOSET_*_VISIBLE_DEVICES",
        ),
        # an f-string's slot filled with a word the prompt shows, upper-cased
        (
            "If you set OPENAI_BASE_URL, move it to base_url.",
            "If you set AZURE_BASE_URL, move it to base_url.",
            '-        self.base_url = os.getenv(f"{self.provider.upper()}_BASE_URL", None)\n'
            '                     "logprobs": return_logits if self.provider == "openai" else None,',
        ),
        # a CamelCase name ending in an acronym as the snake_case name it opens
        (
            "It changes the prompts of MadinahQA.",
            "It changes the prompts of MedinaQA.",
            "+def madinah_qa_pfn(line, task_name: str = None):",
        ),
        # a module's file by the YAML tag that loads a function from it
        (
            "utils.py is not in this diff.",
            "metrics.py is not in this diff.",
            "+metric_list:\n+  - metric: !function utils.rouge1",
        ),
        # round 94 (held out 99): an f-string of one slot filled with a word the prompt shows
        (
            "It sets ltx2_refine_image_crf.",
            "It sets ltx2_refine_image_qp.",
            '+                kwargs[f"ltx2_refine_{key}"] = refine[key]\n+            "image_crf": 18,',
        ),
        # a snake_case flag by its name, however the prompt writes it
        (
            "Runs with --save_safetensors and --recompute_method keep working.",
            "Runs with --save_safetensor and --recompute_method keep working.",
            "fix qwen3_vl recompute_method block\n+        if getattr(self.args, 'save_safetensors', True):",
        ),
        # a value whose key gives its unit in brackets, rounded
        (
            "Training peaks at about 58 GiB and 27 GiB.",
            "Training peaks at about 58 GiB and 29 GiB.",
            "+ {'memory(GiB)': 58.02, 'train_speed(iter/s)': 0.1}\n+ {'memory(GiB)': 26.93}",
        ),
        # torch.distributed by the name code imports it as
        (
            "torch.distributed.new_group must be called by all processes.",
            "torch.distributed.new_subgroups must be called by all processes.",
            "+                self.ring_rank0_group = dist.new_group(ranks=ring_rank0)",
        ),
    ],
)
def test_what_a_real_model_wrote_is_found_in_its_prompt_line(text: str, invented: str, line: str) -> None:
    """The false flags of the held-out rounds from the twenty-fifth on (flash-attention, Liger-Kernel), each in the
    lines of its real prompt, with an invented twin still flagged."""
    _found_and_twin_flagged(
        text, invented, Evidence([Section("diff", f"x.py (modified, +9/−2)\n+{line}\n", "x.py")])
    )


def test_files_of_one_folder_joined_by_a_slash_are_found_each_in_it() -> None:
    """Round 77 (held out 79): `cpp/testing.cc/testing.h` is `cpp/testing.cc` and `cpp/testing.h`, each a file the
    diff shows; a file of another folder, or not shown, is not."""
    evidence = Evidence(
        [Section("diff", f"{p} (modified, +1/−1)\n+x\n", p) for p in ("cpp/testing.cc", "cpp/testing.h")]
    )
    found = {c.text: c.where is not None for c in trace(
        "It moves out of cpp/testing.cc/testing.h, then cpp/testing.cc/testing.hh and src/testing.cc/testing.h.",
        evidence,
    )}  # fmt: skip
    assert found == {"cpp/testing.cc/testing.h": True, "cpp/testing.cc/testing.hh": False,
                     "src/testing.cc/testing.h": False}  # fmt: skip


def test_a_name_two_slots_side_by_side_write_is_not_found_by_its_digits() -> None:
    """The replay after round 70: `sm_87` (held out 47 judged it not shown) is neither `f"sm_{major}{minor}"` filled
    with 8 and 7 nor a slot filled with the file header's count of 87 lines."""
    diff = 'x.py (modified, +87/−0)\n+    return _BY_CC.get((major, minor), f"sm_{major}{minor}")\n'
    traced = trace("Check `sm_87` (Orin).", Evidence([Section("diff", diff, "x.py")]))
    assert [c.where for c in traced] == [None]


def test_a_standard_modules_name_is_left_out_only_where_the_code_calls_or_subscripts_the_rest() -> None:
    """Round 57 took `pathlib.Path` for `Path(p)`; the replay of the earlier rounds showed the rest found as a word
    (`exists`, `cache`) took names judged not shown: the rest must be written as code uses it."""
    diff = (
        "+    image_path = Path(image_path)\n+    def f(x: List[int]):\n+    if path.exists():  # the cache\n"
        '+@patch("x.load")\n+    def run(self):\n'
    )
    evidence = Evidence([Section("diff", diff, "x.py")])
    text = (
        "It uses `pathlib.Path`, `typing.List`, `os.path.exists`, `functools.cache`, `unittest.mock.patch` and"
        " `subprocess.run`."
    )
    assert {c.text: c.where is not None for c in trace(text, evidence)} == {
        "pathlib.Path": True,
        "typing.List": True,
        "os.path.exists": False,
        "functools.cache": False,
        "unittest.mock.patch": True,  # a module's module (held out 61)
        "subprocess.run": False,  # the diff defines a `run`, it does not call one
    }


def test_a_name_cut_short_is_found_on_a_removed_line_and_in_a_filled_f_string() -> None:
    """Held out 59: a pin's old hash cut short with `...` on the diff's `-` line, and a route's `/v1/...` built
    by an f-string from `OPENAI_API_VERSION = "v1"`; each twin is not shown."""
    shown = Evidence(
        [
            Section(
                "diff",
                "install/.pins/torchao-pin.txt (modified, +1/-1)\n@@ -1 +1 @@\n-63cb7a9857654784f726fec75c0dc36167094d8a\n"
                '+ae3e7c6854195c5d1a1ef16a08bb1ae2a2c6a3e7\nserver.py (modified, +2/-1)\n+OPENAI_API_VERSION = "v1"\n'
                '+    @app.route(f"/{OPENAI_API_VERSION}/chat", methods=["POST"])\n',
                "install/.pins/torchao-pin.txt",
            )
        ]
    )
    _found_and_twin_flagged(
        "The pin moves from `63cb7a98...` to `ae3e7c68...`; routes move to `/v1/...`.",
        "The pin moves from `63cb7a99...` to `ae3e7c68...`; routes move to `/v2/...`.",
        shown,
    )


def test_a_flag_a_cli_makes_of_a_typed_parameter_is_found_and_no_other_colon_finds_one() -> None:
    """Round 91 (held out 94, Lightning-AI/litgpt): jsonargparse makes `--checkpoint_dir` of a function's
    `checkpoint_dir: Path`; a statement's colon (`in device:`), a key of YAML (`name: Lint`) and a method's first
    parameter (`self, config: Config`, torchtitan's `--config` judged not shown) are no flag's declaration."""
    diff = (
        '+    checkpoint_dir: Path,\n+    batch_size: Union[int, str] = 1,\n+    elif "cpu" in device:\n'
        "+      - name: Lint\n+    def __init__(self, config: Config):\n"
    )
    evidence = Evidence([Section("diff", diff, "x.py")])
    found = {c.text: c.where is not None for c in trace(
        "Pass --checkpoint_dir, --batch_size auto, --device mps, --name x and --config.", evidence
    )}  # fmt: skip
    assert found == {"--checkpoint_dir": True, "--batch_size": True, "--device": False, "--name": False,
                     "--config": False}  # fmt: skip


def test_a_flag_of_one_word_is_not_an_attribute_of_that_name() -> None:
    """Round 93: `--packing_samples` is the `self.packing_samples` an object keeps of its arguments, but `--config`
    is not `self.config` nor a message's `config` (held out 39 judged it not shown): a word that common names
    anything."""
    shown = Evidence([Section("diff", "x.py (modified, +2/−1)\n+        self.config = config  # see `config`\n"
                                      "+        if not self.packing_samples:\n", "x.py")])  # fmt: skip
    found = {c.text: c.where is not None for c in trace("Run --config with --packing_samples.", shown)}
    assert found == {"--config": False, "--packing_samples": True}


@pytest.mark.parametrize(
    ("text", "invented", "shown"),
    [
        # held out 100 (kvcache-ai/Mooncake): gflags reads `--protocol` as `FLAGS_protocol`, declares `--port`
        ("Pass --protocol rdma.", "Pass --transport rdma.", '+  if (FLAGS_protocol == "nvlink") {\n'),
        ("--port is deprecated.", "--rpc_port is deprecated.", '+DEFINE_int32(port, 50051, "Deprecated");\n'),
        # held out 100 (hiyouga/LLaMA-Factory): a number in a list is the list's, not a thousands' group
        (
            "no_proxy now holds 127.0.0.1.",
            "no_proxy now holds 127.0.0.2.",
            '+    os.environ["no_proxy"] = "localhost,127.0.0.1,0.0.0.0"\n',
        ),
        ("It supports 2.1.0.", "It supports 2.1.1.", "+SUPPORTED = (1.0.0,2.1.0,2.2.0)\n"),
    ],
)
def test_a_gflags_flag_and_a_number_in_a_list_are_found(text: str, invented: str, shown: str) -> None:
    _found_and_twin_flagged(text, invented, Evidence([Section("diff", shown, path="a.cc")], lambda: []))


def test_a_power_that_is_a_factor_of_a_product_is_not_a_size_alone() -> None:
    """`1024**3` alone is 1 GiB in bytes; as a factor (`2 * 1024**3`, `80 * (10**9)`) it is not a size of its own."""
    evidence = Evidence([Section("diff", "+    LIMIT = 80 * (10**9)\n+    cap = 2 * 1024**3\n", path="a.py")])
    assert [c.where for c in trace("It keeps 1 GB free.", evidence)] == [None]
    assert [c.where for c in trace("It keeps 80 GB and 2 GiB free.", evidence)] == ["found", "found"]


@pytest.mark.parametrize(
    ("text", "invented", "shown"),
    [
        # held out 102 (NVIDIA/cutlass): a version a header's macros spell, one number a line
        (
            "The version moves off 4.3.5.",
            "The version moves off 4.3.6.",
            "-#define CUTLASS_MAJOR 4\n-#define CUTLASS_MINOR 3\n-#define CUTLASS_PATCH 5\n",
        ),
        # held out 102 (pytorch/torchrec): a family of names a concatenation builds, `N` for its number
        (
            "It compares sparse.ebc.embedding_bags.table_N.weight across ranks.",
            "It compares sparse.ebc.embedding_bags.tables_N.weight across ranks.",
            '+    key = "sparse.ebc.embedding_bags.table_" + str(table_id) + ".weight"\n',
        ),
        # held out 102 (huggingface/diffusers): an attribute on an instance, the code's `self.` the model's `pipe.`
        (
            "Callers reading pipe.tokenizer_max_length now fail.",
            "Callers reading pipe.tokenizer_min_length now fail.",
            "-        self.tokenizer_max_length = 256 + self.user_prompt_begin_id\n",
        ),
        # held out 102 (vllm-project/vllm-ascend): two names the text parts by " / ", in bold
        (
            "It is built by CMake/setup.py.",
            "It is built by CMake/setup.cfg.",
            "+integrated into the build (**CMake** / **setup.py** as applicable in this tree)\n",
        ),
        # held out 102 (pytorch/torchrec): a class an abbreviation names, its capitals the abbreviation's letters
        (
            "Dynamic sharding now runs under DistributedModelParallel.",
            "Dynamic sharding now runs under DistributedDataParallel.",
            "+Dynamic sharding with DMP\n",
        ),
        (  # in backticks: a code claim
            "Dynamic sharding now runs under `DistributedModelParallel`.",
            "Dynamic sharding now runs under `DistributedDataParallel`.",
            "+Dynamic sharding with DMP\n",
        ),
        # held out 102b (huggingface/lerobot): a percentage a product's factor writes
        (
            "Workers are capped at 70% of the CPU cores.",
            "Workers are capped at 60% of the CPU cores.",
            "+    by_cpu = math.floor(cpu_cores * 0.7)\n",
        ),
        # held out 102b (meta-llama/llama-stack): a type's placeholder
        (
            "Defaults become `X | None`.",
            "Defaults become `X | Missing`.",
            "+    max_tokens: int | None = None\n",
        ),
        # held out 102b (NVIDIA/NeMo-RL): a family of paths, `N` for the number two of them show
        (
            "Results land in step_N/config.json.",
            "Results land in step_N/model.json.",
            "+    results/grpo/step_170/config.json\n-    step_0/config.json\n",
        ),
        # held out 102b (alibaba/ROLL): a version by its digits after the package's name
        (
            "It needs torch 2.8.0.",
            "It needs torch 2.9.0.",
            "+(fix): set VLLM_USE_FLASHINFER_SAMPLER=0 for torch 280.\n",
        ),
        # held out 102b (vllm-project/vllm-omni): a time in seconds a sleep is given
        (
            "The loop sleeps 5 ms when idle.",
            "The loop sleeps 50 ms when idle.",
            "+            time.sleep(0.005)\n",
        ),
        # held out 102b: an exception by its message, a library by its abbreviation or its API (rows of spellings)
        (
            "It raised an AttributeError.",
            "It raised a KeyError.",
            "+fix: InferenceRouter has no attribute formatter\n",
        ),
        (
            "Spans go to OpenTelemetry.",
            "Spans go to OpenMetrics.",
            '+    OTEL_SERVICE_NAME: str = "llama-stack"\n',
        ),
        ("It seeks with OpenCV.", "It seeks with OpenGL.", "+    cap.set(cv2.CAP_PROP_POS_MSEC, t)\n"),
        (
            "A Next.js route proxies it.",
            "A Nuxt.js route proxies it.",
            '+import { NextRequest, NextResponse } from "next/server";\n',
        ),
        (
            "Each worker sets CUDA_VISIBLE_DEVICES.",
            "Each worker sets HIP_VISIBLE_DEVICES.",
            "+    resources={cvd_tag: 1}\n",
        ),
        (
            "The OpenAPI spec gains a schema.",
            "The GraphQL spec gains a schema.",
            "+        $ref: '#/components/schemas/VectorStore'\n",
        ),
        # held out 102c (vllm-project/guidellm): a flag a CLI builds from a quoted alias with an f-string
        (
            "Pass --constraint to stop early.",
            "Pass --limit to stop early.",
            '+    constraints: dict = Field(json_schema_extra={"argument_alias": "constraint"})\n'
            "+        option_name = f\"--{cli_name.replace('_', '-')}\"\n",
        ),
        # a flag a CLI makes of a parameter whose type is a union
        (
            "--data-collator is gone.",
            "--data-sampler is gone.",
            '-    data_collator: Callable | Literal["generative"] | None = None,\n',
        ),
        # held out 102c (NVIDIA/NeMo-Skills): two files whose names differ in their last word, joined by "/"
        (
            "See example-local/slurm.yaml.",
            "See example-local/pbs.yaml.",
            "cluster_configs/example-local.yaml\ncluster_configs/example-slurm.yaml\n",
        ),
        # held out 102d (NVIDIA/nvidia-resiliency-ext): a flag as argparse names it for the code; (intel/neural-compressor)
        # a flag's value a shell script's `case` reads and compares
        (
            "Callers read args.base_url.",
            "Callers read args.api_url.",
            "-    parser.add_argument('--base_url', type=str)\n",
        ),
        (
            "Run it with --topology=wan_fp8.",
            "Run it with --topology=wan_int8.",
            '+    --topology=*)\n+        topology=$(echo $var |cut -f2 -d=)\n+if [ "${topology}" = "wan_fp8" ]; then\n',
        ),
        # held out 103: flags a message lists with "/" between the words that differ
        (
            "It drops --enable-mongo-job.",
            "It drops --enable-kafka-job.",
            "drop the --enable-k8s/mongo/redis-job flags\n",
        ),
        # names joined by "/" as another language's code writes them (camelCase)
        (
            "It overrides max_tokens/temperature/top_p/n.",
            "It overrides max_tokens/temperature/top_k/n.",
            "+type BatchOverrides = { maxTokens?: number; temperature?: number; topP?: number; n?: number };\n",
        ),
        # a metric by its name and the suffix the text says its series take
        (
            "Dashboards read agent_memory_registered_total.",
            "Dashboards read agent_memory_registered_count.",
            "+// a gauge shares its name with its counter, written with the `_total` suffix\n"
            '+registerGauge("agent_memory_registered", "Memory registered");\n',
        ),
        # names an f-string builds from a loop over a literal tuple
        (
            "It checks libucp/libuct/libucs/libucm.",
            "It checks libucp/libuct/libucs/libucx.",
            '+    for lib in ("ucp", "uct", "ucs", "ucm"):\n'
            '+        pattern = re.compile(rf"(^|/)[^/]*\\.libs/lib{lib}-{escaped_suffix}")\n',
        ),
        # a library by the name its build gives it
        (
            "It links libnixl_common.",
            "It links libnixl_core.",
            "+nixl_common_lib = shared_library('nixl_common',\n+    'nixl_log.cpp',\n",
        ),
        # tokens a JSON payload caps, tries a loop bounds
        (
            "Probes are capped at 3 tokens.",
            "Probes are capped at 4 tokens.",
            '+                return {"prompt": "Hello", "max_tokens": 3}\n',
        ),
        (
            "The update is retried up to 3 times.",
            "The update is retried up to 5 times.",
            "+\tfor retries := 0; retries < 3; retries++ {\n",
        ),
        # values joined by "/", each a number the code sets
        (
            "The probe's 240s/10s/3 are removed.",
            "The probe's 240s/15s/3 are removed.",
            "-            InitialDelaySeconds: 240,\n-            PeriodSeconds: 10,\n-            FailureThreshold: 3,\n",
        ),
        # a field's path as another language's code writes it, on one line
        (
            "It compares spec.resources.requests.storage.",
            "It compares spec.resources.limits.storage.",
            "+\tactualSize := pvc.Spec.Resources.Requests[corev1.ResourceStorage]\n",
        ),
        # an element of a list, by the list's name in the singular
        (
            "It stops once guide.is_finished() holds.",
            "It stops once guide.is_done() holds.",
            "+            if not self._guides[i].is_finished():\n",
        ),
        # held out 104: a flag as Go's flag package and clap declare it
        (
            "It adds --ray-root-dir.",
            "It adds --ray-home-dir.",
            '+\tflag.StringVar(&rayRootDir, "ray-root-dir", "", "")\n',
        ),
        (
            "It reads --tls-key.",
            "It reads --tls-cert.",
            "+    #[arg(long)]\n+    pub(crate) tls_key: Option<String>,\n",
        ),
        # a flag's value the text writes with a placeholder (`--suite=path.csv`)
        ("Run it with --suite=out.csv.", "Run it with --suite=out.json.", "Suite (`--suite=path.csv`)\n"),
        # a bound written 2^56−1 is a formula, no size of 1 byte; an 8-byte header; a backoff's first millisecond; a
        # length in characters
        (
            "FrameWrite rejects bodies longer than 2^56−1 bytes.",
            "FrameWrite rejects bodies longer than 2^56−1 bytes and 9 KB.",
            "+impl FrameWrite {\n+        if len > (1 << 56) - 1 {\n",
        ),
        (
            "The header is 8 bytes.",
            "The header is 9 bytes.",
            "+/// An 8-byte header: [tag: 1B][len: 7B BE]\n",
        ),
        (
            "It backs off from 1 ms.",
            "It backs off from 2 ms.",
            "+    .with_initial_interval(Duration::from_millis(1))\n",
        ),
        (
            "Labels of up to 63 bytes are stored inline.",
            "Labels of up to 64 bytes are stored inline.",
            "+/// up to 63 characters\n",
        ),
        # a range's first number takes its last one's unit ("5-95%")
        (
            "It flags tests that fail between 5% and 95% of the time.",
            "It flags tests that fail between 7% and 95% of the time.",
            "intermittent failures (5-95% failure rate)\n",
        ),
        # a test class named for what it tests, after another word
        (
            "It adds an all_gather test.",
            "It adds an all_scatter test.",
            "@@ -1,3 +1,9 @@ class TestTensorclassAllGather:\n",
        ),
        # a glob of what Rust's format! writes, its `{}` a slot
        (
            "It writes bench_tok_*.json files.",
            "It writes bench_vocab_*.json files.",
            '+    let p = dir.join(format!("bench_tok_{size}_{special_tokens}_{}.json", id));\n',
        ),
        # a library by its spec's other name, a compiler by its guard
        (
            "It regenerates the OpenAPI spec.",
            "It regenerates the GraphQL schema.",
            "=== proto/swagger/cluster.swagger.json\n",
        ),
        (
            "It skips __post_init__ under torch.compile.",
            "It skips __post_init__ under torch.jit.script.",
            "+    if not is_compiling():\n+        self.__post_init__()\n",
        ),
        # held out 105: words a link's slug writes with hyphens
        (
            "It needs the weights_only default.",
            "It needs the mmap_only default.",
            "Context: https://dev-discuss.pytorch.org/t/torch-load-is-flipped-to-use-weights-only-true-by-default/2573\n",
        ),
        # two adjacent string literals, joined as Python joins them
        (
            "The warning reads MultiheadAttentionThe documentation.",
            "The warning reads MultiheadAttentionSee documentation.",
            '+            "We encourage you to migrate to PyTorch native MultiheadAttention"\n'
            '+            "The documentation is available in https://docs.pytorch.org/"\n',
        ),
        # a dotted key in angle brackets, a placeholder for the slot the code fills
        (
            "It streams to `http://localhost:<http.proxy_port>`.",
            "It streams to `http://remotehost:<http.proxy_port>`.",
            '+                proxy_url = f"http://localhost:{proxy_port}"\n',
        ),
        # a project named after its file (`llama.cpp`), as code names it without the dot
        (
            "It accepts a list for the llama.cpp constructor.",
            "It accepts a list for the whisper.cpp constructor.",
            "=== python/llguidance/llamacpp.py (modified, +4/-1)\n",
        ),
        # a Rust macro's call with an argument left out
        (
            "It rejects sizes below `offset_of!(token_lens)`.",
            "It rejects sizes below `offset_of!(token_ids)`.",
            "+    let min_size = std::mem::offset_of!(LlgTokenizerInitV2, token_lens);\n",
        ),
        # a time in words, a dtype's size in a table of sizes, an abbreviation by its words, a version in a file's name
        (
            "It lowers the switch interval from about 5 ms.",
            "It lowers the switch interval from about 6 ms.",
            "+    # the default thread switch interval is 5 milliseconds\n",
        ),
        (
            "It adds them to _SIZE (1 byte).",
            "It adds them to _SIZE (3 byte).",
            "@@ -397,7 +399,9 @@ _SIZE = {\n+    _float8_e4m3fnuz: 1,\n",
        ),
        (
            "The prompt lists DoS among the risks.",
            "The prompt lists ReDoS among the risks.",
            "+  - Denial of service: algorithmic complexity, resource exhaustion\n",
        ),
        (
            "It adds the v0.3 config contract proposal.",
            "It adds the v0.4 config contract proposal.",
            "- website/docs/proposals/unified-config-contract-v0-3.md (budget)\n",
        ),
        # a dtype by its short name; a method of a standard Rust type, by its call; PyO3 by its types
        (
            "It computes in torch.float64.",
            "It computes in torch.float32.",
            "+torch_group_norm_high_precision_fp64 = functools.partial(group_norm, compute='fp64')\n",
        ),
        (
            "Iterator::zip takes any iterable.",
            "Iterator::chain takes any iterable.",
            "-    .zip(a2.prefix_items.into_iter())\n+    .zip(a2.prefix_items)\n",
        ),
        (
            "The bindings are PyO3 functions.",
            "The bindings are PyCapsule functions.",
            "+pub(crate) fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {\n",
        ),
        # held out 106: a size in bytes written in hexadecimal
        (
            "The method pool defaults to 8 MiB.",
            "The method pool defaults to 16 MiB.",
            '+    method_pool_size="0x00800000"\n',
        ),
        # flags by a glob of their names, a count of bytes on the line of `nbytes`, a flag as a namespace of arguments
        # holds it
        (
            "It adds --calib and --eval pairs.",
            "It adds --calib and --test pairs.",
            "Split --tasks/--limit into --calib_* and --eval_* flag pairs\n",
        ),
        (
            "An empty buffer gets 4 bytes.",
            "An empty buffer gets 5 bytes.",
            "+    buf_desc.size = nbytes > 0 ? nbytes : 4;\n",
        ),
        (
            "It adds --chat-template-args.",
            "It adds --chat-template-kwargs.",
            "+    if self.model_provider.cli_args.chat_template_args:\n",
        ),
        (
            "It honours --mask-prompt.",
            "It honours --mask-output.",
            "+    args = types.SimpleNamespace(\n+        train=True, mask_prompt=True\n+    )\n",
        ),
        # a CMake option as `-D` sets it; a fraction a name with a call before it is multiplied by
        (
            "Build with `-DMLX_BUILD_METAL=OFF`.",
            "Build with `-DMLX_BUILD_CUDA=OFF`.",
            "+set(MLX_BUILD_METAL OFF)\n",
        ),
        (
            "It falls back below 60% of the vector memory.",
            "It falls back below 70% of the vector memory.",
            "+    if size < pltpu.get_tpu_info().vmem_capacity_bytes * 0.6:\n",
        ),
        # an op as Python's module names it (`mx.tile`), by its C++ function or class
        (
            "It fixes `mx.tile` and `mx.divmod`.",
            "It fixes `mx.tile` and `mx.floor_divide`.",
            "@@ -1349,7 +1349,8 @@ array tile(\n@@ -54,6 +54,7 @@ void DivMod::eval_cpu(\n",
        ),
        # a format in a Chinese word and a word no diff need show; a path with `x/y` for any names
        (
            "它解析 `函数名[ARGS]{JSON}` 格式。",
            "它解析 `函数名[CALL]{JSON}` 格式。",
            '+_tool_call_regex = re.compile(r"\\s*(\\w+)\\[ARGS\\]\\s*(\\{.*\\})")\n',
        ),
        (
            "It reads `hf://datasets/x/y/data/`.",
            "It reads `hf://models/x/y/data/`.",
            '+    "hf://datasets/author/dataset/data/"\n',
        ),
        # held out 107: a crate's name as Cargo writes it, with a hyphen
        (
            "It enables hf_xet's smoke tests.",
            "It enables git_xet's smoke tests.",
            '+smoke-test = "test --features xet-core/smoke-test,hf-xet/smoke-test"\n',
        ),
        # a name's words in prose, the first inflected ("pushing to hub")
        (
            "It adds max_shard_size to push_to_hub.",
            "It adds max_shard_size to pull_from_hub.",
            "- updated IterableDataset to support max_shard_size for pushing to hub\n",
        ),
        # a library by its module's short name, Hydra's store by its call, Cargo's flag by its table, an op by the
        # library that defines it
        (
            "The TensorFlow formatter changes.",
            "The TensorFlowLite formatter changes.",
            '+class TFFormatter(TensorFormatter[Mapping, "tf.Tensor", Mapping]):\n',
        ),
        (
            "It is stored in the ConfigStore as 'trackio'.",
            "It is stored in the ConfigRegistry as 'trackio'.",
            '+    cs.store(group="logger", name="trackio", node=TrackioLoggerConfig)\n',
        ),
        ("Build it with --features python.", "Build it with --all-features.", "+[features]\n+python = []\n"),
        (
            "It adds torch.ops.xla.quantized_matmul_int8.",
            "It adds torch.ops.xla.quantized_matmul_int4.",
            '+XLA_LIB.define(\n+    "quantized_matmul_int8(Tensor x, Tensor w) -> Tensor"\n+)\n',
        ),
        # held out 108: a size in bytes as a shift (`1 << 26`, `32 * (1 << 20)`), an environment variable as the
        # project's getter reads it without its prefix
        (
            "It uses 128 blocks from 64 MiB and splits allgather at 32 MB.",
            "It uses 128 blocks from 96 MiB and splits allgather at 48 MB.",
            "+      if (inputSize >= (1 << 26)) {\n-    if (messageSize <= 32 * (1 << 20)) {\n",
        ),
        (
            "Set NVFUSER_MULTIDEVICE_DISABLE_SKIP to run them.",
            "Set NVFUSER_MULTIDEVICE_ENABLE_SKIP to run them.",
            '+  if (getNvFuserEnv("MULTIDEVICE_DISABLE_SKIP")) {\n',
        ),
        # held out 109: a metric's series with its labels, a script run from its folder, a module path a message
        # wraps at a hyphen
        (
            "It counts `datalayer_extract_errors_total{source_type,extractor_type}`.",
            "It counts `datalayer_extract_errors_total{source_type,plugin_type}`.",
            '+\t\t\tName: "datalayer_extract_errors_total",\n+\t\t[]string{"source_type", "extractor_type"},\n',
        ),
        (
            "The step runs tests/unit_tests/run_accuracy_test.sh again.",
            "The step runs tests/unit_tests/run_lm_eval_test.sh again.",
            "+              cd /workspace/vllm-gaudi/tests/unit_tests &&\n+              ./run_accuracy_test.sh\n",
        ),
        (
            "Imports no longer point at sigs.k8s.io/gateway-api-inference-extension/ packages.",
            "Imports no longer point at sigs.k8s.io/gateway-api-inference-scheduler/ packages.",
            "across with their original imports pointing at sigs.k8s.io/gateway-api-\ninference-extension/{cmd,pkg}.\n",
        ),
        # held out 110: a loop's bound as a count of times, a date's placeholder, TensorFlow as "TF", a Rust crate
        # by its package's hyphenated folder, CUDA targets as CMake writes them
        (
            "It no longer loops up to 50 times.",
            "It no longer loops up to 60 times.",
            "-        for _ in range(50):\n-            await asyncio.sleep(0.5)\n",
        ),
        (
            "It rewrites the `.. deprecated:: DATE` directives.",
            "It rewrites the `.. versionadded:: DATE` directives.",
            "-        .. deprecated:: 2026-03-09\n+        **Deprecated (2026-03-09):**\n",
        ),
        (
            "It fixes a crash on the TensorFlow backend.",
            "It fixes a crash on the PaddlePaddle backend.",
            "Fix Gemma3n TF backend .fit() crash with GQA\n",
        ),
        (
            "Public API of candle_core::Device (new method)",
            "Public API of candle_core::Stream (new method)",
            "diff --git a/candle-core/src/device.rs b/candle-core/src/device.rs\n@@ -1,3 +1,4 @@ impl Device {\n",
        ),
        (
            "The wheels ship cubins up to sm_90 plus compute_90 PTX.",
            "The wheels ship cubins up to sm_100 plus compute_100 PTX.",
            '+    $cudaArchs = "75-real;80-real;86-real;89-real;90-real;90-virtual"\n',
        ),
        # held out 111: a plural in "-ies" written singular, a TypeScript module imported without its extension, a
        # class's field by `this.`, Next.js as "nextJS"
        (
            "It moves the package to a devDependency.",
            "It moves the package to a peerDependency.",
            '-  "dependencies": {\n+  "devDependencies": {\n',
        ),
        (
            "The test now covers src/llm_chat.ts.",
            "The test now covers src/llm_engine.ts.",
            'import { LLMChatPipeline } from "../src/llm_chat";\n',
        ),
        (
            "It resets this.kvCache on reload.",
            "It resets this.kvStore on reload.",
            "+  private kvCache?: KVCache;\n",
        ),
        (
            "Next.js apps need the new config.",
            "Nuxt.js apps need the new config.",
            "+# Fix for nextJS projects\n",
        ),
        # round 111, from the hand checks of every held-out set: a flag of two words or more by its words joined as
        # code or a title joins them (a field, a Go flag's string, a fix's title), in any letter case
        (
            "Training with --mtp-num-layers and context parallelism.",
            "Training with --mtp-num-heads and context parallelism.",
            "+                             self.config.mtp_num_layers,\n",
        ),
        (
            "Use --runtime-class-name to choose the backend.",
            "Use --runtime-class-path to choose the backend.",
            '+\tflag.StringVar(&runtimeClassName, "runtime-class-name", "", "")\n',
        ),
        (
            "It fixes --recompute_method block for Qwen3-VL.",
            "It fixes --recompute_granularity block for Qwen3-VL.",
            "[bugfix] fix qwen3_vl Recompute-Method block (#8414)\n",
        ),
        # round 112, from held out 113: a multiplier a scale is set to
        (
            "The tolerance is 2x the BF16 default.",
            "The tolerance is 3x the BF16 default.",
            "+    tol_scale = 2.0  # requires slightly more tolerance than default\n",
        ),
        # a name whose number fills a template's placeholder
        (
            "It picks global_step100 over global_step20.",
            "It picks global_epoch100 over global_step20.",
            'checkpoints are stored under "global_step{N}/mp_rank_00_model_states.pt" where N is the step.\n',
        ),
        # a flag shown with another value, the claim's value one the code names
        (
            "Try --train_module.schedule.type=cos_with_warmup.",
            "Try --train_module.schedule.type=linear_with_warmup.",
            'For example, `--train_module.schedule.type=half_cos_with_warmup`.\n+@Scheduler.register("cos_with_warmup")\n',
        ),
        # an object named for its class in snake case, and the class's member
        (
            "Scripts that use launch_config.beaker break.",
            "Scripts that use launch_config.client break.",
            "@@ -370,26 +395,6 @@ class BeakerLaunchConfig(Config):\n-    @property\n-    def beaker(self) -> Beaker:\n",
        ),
        # a product's name in lower case inside a longer name: before its version, after `lib`
        (
            "The job runs on AlmaLinux.",
            "The job runs on RockyLinux.",
            "+      image: build/cuda12_x64_almalinux8_gcc14:20251017.1\n",
        ),
        (
            "The script also checks for cuSPARSELt.",
            "The script also checks for cuSOLVERMp.",
            '+  [ -f "$CUDA_HOME/lib64/libcusparseLt.so" ] &&\n',
        ),
        # round 113, from held out 114 and 115: a number with Python's digit separators
        (
            "It caps prompts at 5,000 tokens.",
            "It caps prompts at 6,000 tokens.",
            "+    max_prompt_tokens = 5_000\n",
        ),
        # a version put together from its fields, its pre-release too
        (
            "The version is now 0.8.0rc0.",
            "The version is now 0.8.0rc2.",
            ' MAJOR = 0\n-MINOR = 7\n+MINOR = 8\n PATCH = 0\n-PRE_RELEASE = "rc1"\n+PRE_RELEASE = "rc0"\n',
        ),
        # a module's file by a dotted path a string names
        (
            "FluxDiT lives in flux_dit.py.",
            "FluxDiT lives in flux_mmdit.py.",
            '+        "model_class": "diffsynth.models.flux_dit.FluxDiT",\n',
        ),
        # a temporary file's glob by the prefix and suffix it is made with
        (
            "Each start leaves a prime_rl_logging_*.json file behind.",
            "Each start leaves a prime_rl_config_*.json file behind.",
            '+    fd, path_str = tempfile.mkstemp(prefix="prime_rl_logging_", suffix=".json")\n',
        ),
        # gigabytes a limit in GiB leaves
        (
            "The example keeps 5 GB of GPU memory free.",
            "The example keeps 6 GB of GPU memory free.",
            '+    vram_limit=torch.cuda.mem_get_info("cuda")[1] / (1024 ** 3) - 5,\n',
        ),
        # round 114, from held out 116 and 117: a library by the name Cargo links it with
        (
            "It needs libhf3fs_api_shared.so.",
            "It needs libhf3fs_api_static.so.",
            '     println!("cargo::rustc-link-lib=hf3fs_api_shared");\n',
        ),
        # a size in bytes a length is compared with
        (
            "It only holds if the type is exactly 10 bytes.",
            "It only holds if the type is exactly 12 bytes.",
            "-  if (offset + 10 > key.size()) {\n",
        ),
        (
            "Buffers under 16 bytes are rejected.",
            "Buffers under 32 bytes are rejected.",
            "+    if len(buf) < 16:\n",
        ),
        # a percentage a comment says is a proportion
        (
            "默认只对约 20% 的层做激活重计算。",
            "默认只对约 30% 的层做激活重计算。",
            "+    checkpoint=0.2,  # proportion of layers for activation checkpointing\n",
        ),
        # round 115, from held out 118: a flag as an object of the arguments' class reads it, or the class itself
        (
            "The --temperature default no longer wins.",
            "The --top-k default no longer wins.",
            "-    def compose(self, payload: Dict, param: Arguments):\n+        _set('temperature', param.temperature)\n",
        ),
        (
            "Pass --number 5.",
            "Pass --count 5.",
            "@@ -110,8 +124,7 @@ class Arguments(BaseArgument):\n-        n = self.number if isinstance(self.number, int) else 0\n",
        ),
        # from held out 102b: a family of folders by one of them
        (
            "Scripts that look for step_N/config.json break.",
            "Scripts that look for step_N/metadata.json break.",
            "-        --config results/grpo/step_170/config.json \\\n",
        ),
        # round 116, from held out 119: a name with a placeholder, the code joining its parts
        (
            "它把梯度存进 `_<field>_grad`。",
            "它把梯度存进 `_<field>_adjoint`。",
            '+        grad_attr = "_" + field + "_grad"\n',
        ),
        # a slice between two shown expressions
        (
            "Blocks of row r live in `offsets[r]:offsets[r+1]`.",
            "Blocks of row r live in `indptr[r]:indptr[r+1]`.",
            "+          indices of row ``r`` are ``offsets[r]`` and\n+          ``offsets[r+1]``, respectively.\n",
        ),
        # a name a template writes with a counter of the same name in its slot
        (
            "It resumes from global_step_5.",
            "It resumes from global_epoch_5.",
            '+        path = os.path.join(save_path, f"global_step_{self.global_steps}")\n',
        ),
        # from held out 120: a count of repeats a YAML key sets
        (
            "The benchmark is repeated 5 times.",
            "The benchmark is repeated 6 times.",
            "+  num_repeats: 5\n",
        ),
        # a line of code with its string cut to a placeholder in quotes
        (
            "The test writes `$v2 = ... 'xxx'`.",
            "The test writes `$v3 = ... 'xxx'`.",
            "+    $v2 = ... 'Generate the company name'\n",
        ),
        # a placeholder alone, a template's slot of its name
        (
            "The message now ends with the flow's `<id>`.",
            "The message now ends with the flow's `<uid>`.",
            '+            msg += f" (flow `{flow_config.id}`)"\n',
        ),
        # round 117, from held out 121 and 122: a module a `from … import` names
        (
            "That code is in qwix/contrib/calibration.py, which is not shown.",
            "That code is in qwix/contrib/smoothing.py, which is not shown.",
            "+from qwix._src.core import qarray\n+from qwix.contrib import calibration\n",
        ),
        # a name after "non-"
        (
            "Check which non-llama.cpp kwargs now reach the loop.",
            "Check which non-vllm.cpp kwargs now reach the loop.",
            "fix(rerank/llama.cpp): honor flat launch kwargs\n",
        ),
        # the bytes of a bytes literal
        (
            'Now it strips b"data: " (6 bytes) first.',
            'Now it strips b"data: " (7 bytes) first.',
            '+            if chunk.startswith(b"data: "):\n',
        ),
        # round 118, from held out 123 to 126: a prefix cut with "..."
        (
            "It leaves SSH (`git@...`) URLs alone.",
            "It leaves SSH (`svn@...`) URLs alone.",
            "+        if url.startswith('git@'):\n",
        ),
        # an object named for the class the code constructs, and a keyword of the call
        (
            "Callers that read commit_info.oid now see 'no-op'.",
            "Callers that read commit_info.sha now see 'no-op'.",
            "+            return CommitInfo(\n+                commit_url='',\n+                oid='no-op',\n+            )\n",
        ),
        # a time C++'s chrono writes by its unit
        (
            "It slept 1 ms per poll.",
            "It slept 2 ms per poll.",
            "-  std::this_thread::sleep_for(std::chrono::milliseconds(1));\n",
        ),
        # an environment variable a macro builds from the project's prefix and a quoted name
        (
            "Users who set NCCL_CREATE_THREAD_CONTEXT=1 are affected.",
            "Users who set NCCL_CREATE_PROXY_CONTEXT=1 are affected.",
            ' NCCL_PARAM(CreateThreadContext, "CREATE_THREAD_CONTEXT", 0);\n',
        ),
        # round 119, from held out 127 and 128: a flag the code reads only when it is there
        (
            "The new --genlap flag switches it on.",
            "The new --genlip flag switches it on.",
            '+    if getattr(args, "genlap", False):\n',
        ),
        # a class's method named as a file's extension
        (
            "VisionTransformer.lock now takes pooler_in_head.",
            "TextTransformer.lock now takes pooler_in_head.",
            "@@ -746,38 +746,42 @@ class VisionTransformer(nn.Module):\n"
            "+    def lock(self, unlocked_groups: int = 0, pooler_in_head: bool = True):\n",
        ),
        # a placeholder of two letters for a template's two slots
        (
            "Scripts that match the +cuXY suffix need an update.",
            "Scripts that match the +rocmXY suffix need an update.",
            '+    version = version + f"+cu{cuda_version_major}{cuda_version_minor}"\n',
        ),
        # round 120, from held out 130 to 135: a size given to a name with the unit inside it
        (
            "Llama 2 70B needed 3×48 GB.",
            "Llama 2 70B needed 3×64 GB.",
            "-                gpu_count=3,\n-                memory_gb_per_gpu=48,\n",
        ),
        # a multiplier written before its number
        (
            "批大小可以提高约 2 倍。",
            "批大小可以提高约 4 倍。",
            "+P.S. Using Flash Attention also allows you to drastically increase the batch size (x2 in my case)\n",
        ),
        # a path an inner call gives the first part of
        (
            "The key file is written at user.dir/key_file.json.",
            "The key file is written at user.home/key_file.json.",
            '+        keyFilePath = Paths.get(System.getProperty("user.dir"), "key_file.json").toString();\n',
        ),
        # a dotted flag for a key of its section in a TOML config
        (
            "It sets --training.context_len to 2048.",
            "It sets --training.context_size to 2048.",
            "@@ -9,6 +9,7 @@ print_args = true\n [training]\n batch_size = 32\n+context_len = 2048\n",
        ),
        # round 121, from held out 136 to 139: a pull request of the repository a sync's title cites
        (
            "The Vulkan backend gains POOL_1D (upstream PR 25431).",
            "The Vulkan backend gains POOL_1D (upstream PR 25432).",
            "vulkan: add POOL_1D op (llama/25431)\n",
        ),
        # a time with its spread before its unit
        (
            "It ran at about 61 ms/token.",
            "It ran at about 42 ms/token.",
            "    AVG Latency: 61.32 ± 5.51 ms/token\n",
        ),
        # a count of tokens a sum in the text comes to
        (
            "208 frames give 27 tokens.",
            "208 frames give 26 tokens.",
            "original Qwen keeps:\n```\n13 + 13 + 1 = 27\n```\n",
        ),
        # a path the code joins to a variable named for its folder
        (
            "It still reads vae_decoder_path/config.json.",
            "It still reads vae_encoder_path/config.json.",
            '+    : m_config(vae_decoder_path / "config.json") {\n',
        ),
        # round 122, from held out 140 to 145: a range a uniform draw takes, as percentages
        (
            "The needle lands between 10% and 90% of the text.",
            "The needle lands between 20% and 90% of the text.",
            "+    needle_position = random.uniform(0.1, 0.9)\n",
        ),
        # a division before "times" is no multiplier
        (
            "The scale is amax/6 times s_global_enc.",
            "The scale is 7 times s_global_enc.",
            "+    float s_local_dec = amax / 6.0f * s_global_enc;\n",
        ),
        # a dtype's size in bytes, the code returning it beside the dtype
        (
            "I64 maps to np.int64 (8 bytes).",
            "I64 maps to np.int64 (4 bytes).",
            '+    elif dt == "I64": return torch.long, np.int64, 8\n',
        ),
        # a flag with the default its declaration gives
        (
            "Pass --total-batch-size=524288 to get the old behaviour.",
            "Pass --total-batch-size=262144 to get the old behaviour.",
            '-parser.add_argument("--total-batch-size", type=int, default=524288, help="total batch size")\n',
        ),
        # a path the code joins to a variable named for its folder, by a call
        (
            "It returns early when dst/config.json exists.",
            "It returns early when src/config.json exists.",
            '+    if os.path.exists(os.path.join(dst, "config.json")):\n',
        ),
        # round 123, from held out 146 to 152: a percentage a rate's name is set to as a fraction
        (
            "Long sequences are sampled at a 10% rate.",
            "Long sequences are sampled at a 20% rate.",
            "+_LONG_SEQ_RATE = 0.1\n",
        ),
        # files that differ in a part after a "-", the parts joined by "/"
        (
            "It adds qwen3-vl-2b/4b-eagle3-mrope.json.",
            "It adds qwen3-vl-2b/7b-eagle3-mrope.json.",
            "- configs/qwen3-vl-2b-eagle3-mrope.json (budget)\n- configs/qwen3-vl-4b-eagle3-mrope.json (budget)\n",
        ),
        # round 124, from held out 153 to 162: a version of four numbers, its last a zero, written without it
        (
            "The version goes from 3.4.14 to 3.4.15.",
            "The version goes from 3.4.14 to 3.4.16.",
            "-  VERSION 3.4.14.0\n+  VERSION 3.4.15.0\n",
        ),
        # a flag read from a parser's result named otherwise than `args`
        (
            "Passing --dashboard with --performance now fails.",
            "Passing --dashboard with --accuracy now fails.",
            "+    if parsed.dashboard and parsed.performance:\n",
        ),
        # bytes per element: a number times a name before the unit
        (
            "The kernel uses about 26 bytes per dim element.",
            "The kernel uses about 28 bytes per dim element.",
            "+    // The kernel allocates ~26*dim bytes of UB\n",
        ),
        # a percentage a table of values in percent gives
        (
            "MobileBert's threshold is widened to 3%.",
            "MobileBert's threshold is widened to 5%.",
            "+# Per-model tolerance (percent) for the parity check.\n"
            '+UNBACKED_PARITY_THRESHOLDS = {"MobileBertForMaskedLM": 3.0}\n',
        ),
        # round 125, from held out 141 to 166: a size as a count times a constant named for the unit, and a bytes
        # literal's characters times it
        (
            "The test sends 100 requests of 1MB of spaces and allows 32 MB of growth.",
            "The test sends 100 requests of 1MB of spaces and allows 64 MB of growth.",
            '+        max_rss_growth_bytes = 32 * MB\n+        body = gzip.compress(b" " * MB)\n',
        ),
        # a time in a printed table whose unit the prose before it gives, the cell marked for a footnote
        (
            "One baseline cell shows an implausible 5 us with an asterisk.",
            "One baseline cell shows an implausible 7 us with an asterisk.",
            "Backward kernel time in us, positive = faster.\n\n```\n   T      D    baseline   optimized\n"
            "  10    128         605          89\n  10    128           5(*)      184\n```\n",
        ),
        # a flag read from a function's keyword arguments
        (
            "Exports with --qlinear 8w keep working.",
            "Exports with --qembedding 8w keep working.",
            '+    qlinear_config = kwargs.get("qlinear", None)\n',
        ),
        # a dotted call written as a verb
        (
            "It resolves the directory and torch.loads only that rank's file.",
            "It resolves the directory and torch.saves only that rank's file.",
            "+    optimizer_data = torch.load(optimizer_path, map_location=device)\n",
        ),
        # a name's prefix with its trailing underscore, for the names that start with it
        (
            "Check that the hc_attn_ tensors are in the compiled shards.",
            "Check that the hc_ffn_ tensors are in the compiled shards.",
            '+        key: str,  # e.g. "layers.{idx}.hc_attn"; tensors at "{key}_fn" etc.\n',
        ),
        # round 126, from held out 167 to 171: a glob's `*` for an f-string's slot of any expression
        (
            "Scripts that look for profile_trace_rank_*.json files break.",
            "Scripts that look for profile_dump_rank_*.json files break.",
            '+    profile_file = f"{self.config.output_directory}/profile_trace_rank_{get_world_group().rank}.json"\n',
        ),
        # a tool and a file joined by "/" for prose's "or"
        (
            "It is an opt-in build option for the pip/setup.py path.",
            "It is an opt-in build option for the pip/build.py path.",
            "Install it with pip install -v .\n=== setup.py (modified, +5/-1)\n",
        ),
        # not a multiplier: a shape's dimension divided ("M x N/2 x L")
        (
            "`sample_c` is the M x N/2 x L SwiGLU output.",
            "`sample_d` is the M x N/2 x L SwiGLU output.",
            "+        # the SwiGLU output\n+        self._check_tensor_shape(self.sample_c, (m, n // 2, l))\n",
        ),
        # round 127, from held out 172 to 175: an absl flag with a value its declaration lists, its default, or a
        # string the code writes
        (
            "Pass --tpu_trace_mode=TRACE_ONLY_XLA to keep the old trace.",
            "Pass --tpu_trace_mode=TRACE_ALL to keep the old trace.",
            'flags.DEFINE_enum(\n    "tpu_trace_mode",\n-    "TRACE_ONLY_XLA",\n+    None,\n'
            '    ["TRACE_ONLY_HOST", "TRACE_ONLY_XLA"],\n',
        ),
        (
            "Pass --straggler_detection=false to turn it off.",
            "Pass --straggler_detection=never to turn it off.",
            'flags.DEFINE_boolean(\n    "straggler_detection",\n-    False,\n+    True,\n',
        ),
        (
            "Pass --route_type=finetune for SFT jobs.",
            "Pass --route_type=pretrain for SFT jobs.",
            '+    FINETUNE = "finetune"\n+        flags.DEFINE_enum(\n+            "route_type",\n+            None,\n',
        ),
        # a family of flags written as a glob
        (
            "New flags: --scaling_metric_* for the autoscaler.",
            "New flags: --scaling_limit_* for the autoscaler.",
            '+            "(and optional --scaling_metric_type / --scaling_metric_target_type).",\n',
        ),
        # bytes: the number set on the line under a comment that counts bytes
        (
            "Each lane moves 4 bytes a step.",
            "Each lane moves 8 bytes a step.",
            "+  // 128 bytes per iteration\n+  constexpr auto kGranularity = 4;\n",
        ),
        # tokens: a constant a length is compared with
        (
            "It used a DIFF_THRESHOLD of 2 tokens.",
            "It used a DIFF_THRESHOLD of 3 tokens.",
            "-DIFF_THRESHOLD = 2\n-        result = len(tokenizer.encode(self.message))\n"
            "-            assert abs(result - self.input_len) <= DIFF_THRESHOLD\n",
        ),
        # GiB on the line of a name in GB; a power of a number in bytes
        (
            "Host memory/16 capped at 32 GiB.",
            "Host memory/16 capped at 64 GiB.",
            "+        premapped_buffer_size_gb = min(round_up_to_power_of_2(host_memory // 16), 32)\n",
        ),
        (
            "The buffer defaults to 1 GB.",
            "The buffer defaults to 2 GB.",
            "+    PYNCCL_MAX_BUFFER_SIZE = EnvMem(1024**3)\n",
        ),
        # a multiplier a quotient is compared with
        (
            "It applies when kv_seq_len is at least 4 times the sliding window.",
            "It applies when kv_seq_len is at least 8 times the sliding window.",
            "+    if kv_seq_len / sliding.sliding_window_size >= 4.0:\n",
        ),
        # round 128, from held out 176 to 182 and older sets: a size a keyword argument named for memory or disk gives
        (
            "Every task gets 8 GB of memory and 10 GB of disk.",
            "Every task gets 4 GB of memory and 10 GB of disk.",
            "+                resources=vf.Resources(cpu=4, memory=8, disk=10),\n",
        ),
        # the bytes of dynamic shared memory a launch passes
        (
            "The launch passes 0 bytes of dynamic shared memory.",
            "The launch passes 1 byte of dynamic shared memory.",
            "+        /*block=*/1, 1, 1,\n+        /*dynamic_shared_mem=*/0,\n",
        ),
        # a version's pre-release part
        (
            "Where the rc0.dev0 suffix is set is not visible.",
            "Where the rc1.dev0 suffix is set is not visible.",
            "Version bump to `0.7.0rc0.dev0` (#703)\n",
        ),
        # an MLIR shaped type's element type, and an MLIR float type by its short name
        (
            "An argument of type f4E2M1FN becomes a TensorRT input.",
            "An argument of type f4E3M0FN becomes a TensorRT input.",
            "+func.func @fp4_dequantize(%arg0: tensor<10x80xf4E2M1FN>) -> tensor<10x80xf32>{\n",
        ),
        (
            "It also accepts f8E4M3FN inputs.",
            "It also accepts f8E5M2 inputs.",
            "+         elType.isUnsignedInteger(8) || isa<Float8E4M3FNType>(elType) ||\n",
        ),
        # a list's name after "non-" is the name
        (
            "Other non-llm/tool/workflow events are skipped.",
            "Other non-llm/tool/pipeline events are skipped.",
            "+            if event_type == IntermediateStepType.LLM_END:\n+                tool_calls = []\n"
            "+    # a workflow start payload\n",
        ),
        # a list's word written short (`sync`: `synchronize`, `claims.toml`'s `short`), or a noun for its verb
        # (`reduction`: `reduce`)
        (
            "It wraps stream create/destroy/sync.",
            "It wraps stream create/destroy/flush.",
            "+StatusOr<uintptr_t> createCUDAStream() {\n+Status destroyCUDAStream(uintptr_t stream) {\n"
            "+Status synchronizeCUDAStream(uintptr_t stream) {\n",
        ),
        (
            "Kernels using tma load/store/prefetch/reduction change.",
            "Kernels using tma load/store/prefetch/gather change.",
            "+  static inline void load_async(ST &dst,\n+  static inline void store_async(\n"
            '+  static inline void prefetch(ST &dst,\n+                "cp.reduce.async.bulk.tensor.5d"\n',
        ),
        # a package's `__init__.py` by the package's dotted name, where the evidence writes an `__init__.py`
        (
            "Check that cuda/bench/cuXY/__init__.py is installed.",
            "Check that cuda/bench/cuXY/version.py is installed.",
            "+# Fix editable installs by making cuda.bench.cuXY an importable package.\n"
            '+set(_pkg_init "${_pkg_dir}/__init__.py")\n',
        ),
        # round 129, from held out 183 to 186: a flag a CLI's own helper declares by its quoted name
        (
            "The help text of the --json flag is reworded.",
            "The help text of the --yaml flag is reworded.",
            '+JSON = _bool_flag("json", "json", "Output as machine-readable JSON.")\n',
        ),
        # a size with its decimals cut, a cell of a table wrapped over lines under a column in GB
        (
            "It used about 28 GB of memory.",
            "It used about 30 GB of memory.",
            "| engine | frames | batch_size | batch_mode\n| gpus | gpu_mem_GB | step_time_s\n| --- | --- | --- | ---\n"
            "| --- | --- | --- |\n| primus | 121 | 8 | local_accum | 8 | 28.330 | 14.330000 |\n",
        ),
        # a count of tokens code writes as a product
        (
            "It scores completions of up to 4096 tokens.",
            "It scores completions of up to 8192 tokens.",
            "+            max_tokens=1024 * 4,\n",
        ),
        # round 130, from held out 187 to 190: a count of tokens written short ("0 tok")
        (
            "Before, a log with 0 tokens was written.",
            "Before, a log with 5 tokens was written.",
            "Progress reported `0 tok` and 5 turns.\n",
        ),
        # "N times" a sampling count or a count's constant gives
        (
            "AIME 2025 is sampled 32 times per question.",
            "AIME 2025 is sampled 16 times per question.",
            "+        n=32,\n+        max_out_len=16384,\n",
        ),
        (
            "A pattern counts if it occurs more than 20 times.",
            "A pattern counts if it occurs more than 32 times.",
            "+MIN_PATTERN_COUNT = 20\n+WINDOW = 32\n",
        ),
        # round 131, from held out 191 to 194: a pull request's number under a key that names it
        (
            "The entry is appended after a record for PR #1740.",
            "The entry is appended after a record for PR #1741.",
            '+    "pullRequestNo": 1740,\n+    "id": 1751,\n',
        ),
        # a multiplier a name of a multiplier is declared with its type
        (
            "LLM groups are capped at min(max_llm_wait_tasks, 2 x weight) admitted tasks.",
            "LLM groups are capped at min(max_llm_wait_tasks, 3 x weight) admitted tasks.",
            "+LLM_GROUP_ADMISSION_BACKLOG_MULTIPLIER: int = 2\n+MAX_GROUPS: int = 3\n+    max_llm_wait_tasks: int = 8\n",
        ),
        # a size compared with a call given its unit
        (
            "For TSVs larger than 1 GB it builds a local copy.",
            "For TSVs larger than 2 GB it builds a local copy.",
            "+        if file_size(data_path, 'GB') > 1:\n+            retries = 2\n",
        ),
        # a percentage as a fraction in a list of weights
        (
            "20% of the score comes from following the instruction.",
            "30% of the score comes from following the instruction.",
            "+                        weight = [0, 0.8, 0.2]\n",
        ),
        # round 132, from held out 195 to 197: a count of tokens a YAML key sets
        (
            "Generation is capped at 16 tokens.",
            "Generation is capped at 32 tokens.",
            "+generation_kwargs:\n+  max_new_tokens: 16\n+  temperature: 0\n+  top_k: 32\n",
        ),
        # a percentage as the fraction a call's result is multiplied by
        (
            "The thread count is set to max(20% of effective cores, 4).",
            "The thread count is set to max(10% of effective cores, 4).",
            '+    "threads": int(max(SystemResourceProbe().get_effective_cores() * 0.2, 4)),\n',
        ),
    ],
)
def test_what_a_held_out_set_flagged_but_its_prompt_shows_is_found(
    text: str, invented: str, shown: str
) -> None:
    """Rounds 99 to 132: each kind of false flag of held out 102a to 197, and an invented twin still flagged."""
    _found_and_twin_flagged(text, invented, Evidence([Section("diff", shown, path="src/a.py")], lambda: []))


@pytest.mark.parametrize(
    ("text", "invented", "shown"),
    [
        # held out 101 (FlagGems): a source layout's module imported without its `src/`
        (
            "It adds src/flag_gems/ops/index_add.py.",
            "It adds src/flag_gems/ops/index_put.py.",
            "+from flag_gems.ops.index_add import index_add, index_add_\n",
        ),
        # a file a regular expression escapes
        (
            "pyproject.toml is excluded.",
            "setup.cfg is excluded.",
            "+# --exclude-files 'pyproject\\.toml|uv\\.lock'\n",
        ),
        # an op as Python calls what a C++ library defines (round 98)
        (
            "It adds torch.ops.flag_gems.exponential_.",
            "It adds torch.ops.flag_gems.bernoulli_.",
            '+TORCH_LIBRARY(flag_gems, m) {\n+  m.def("exponential_(Tensor(a!) self, float lambd=1) -> Tensor(a!)");\n'
            '+  m.def("bernoulli(Tensor self) -> Tensor");\n',
        ),
        # a path put together after a call that names the folders before it
        (
            "It loads src/flag_gems/ops/sum.py.",
            "It loads src/flag_gems/ops/max.py.",
            '+  auto path = utils::get_flag_gems_src_path() / "ops" / "sum.py";\n',
        ),
    ],
)
def test_a_path_by_its_module_its_regular_expression_or_its_parts_is_found(
    text: str, invented: str, shown: str
) -> None:
    _found_and_twin_flagged(text, invented, Evidence([Section("diff", shown, path="lib/a.cpp")], lambda: []))
