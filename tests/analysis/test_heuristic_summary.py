"""Summaries of real pull-request bodies: template out, content in, as sentences, never cut mid-span.

tests/data/pr_bodies.json holds 33 real flashinfer-ai/flashinfer squash-merge messages and bodies written
from the actual templates of sglang, vLLM, PyTorch (ghstack, Phabricator) and Kubernetes."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from dailydiff.analysis.heuristic import HeuristicAnalyzer
from dailydiff.analysis.heuristic.body import body_gist
from dailydiff.common.text import md_inline
from dailydiff.models import Commit, FileChange, Level, Person, PullRequest, Score, Stats

BODIES = json.loads((Path(__file__).parents[1] / "data" / "pr_bodies.json").read_text(encoding="utf-8"))[
    "bodies"
]
MOMENT = dt.datetime(2026, 4, 24, 3, 0, tzinfo=dt.UTC)
PERSON = Person(name="Dev", email="dev@example.com")
MD = MarkdownIt("commonmark")
TEMPLATE_WORDS = re.compile(
    r"<!--|-->|📌|🔍|🚀|✅|🧪|Pull Request Checklist|Related Issues|Pre-commit Checks|Reviewer Notes|"
    r"Test Plan|Test Result|What type of PR|Release note|Motivation|Modifications|Checklist|"
    r"\[[ xX]\]|thanks? (you )?for (your )?(contribut|sending)|BEFORE SUBMITTING|FILL IN|Co-authored-by|"
    r"Signed-off-by|Pull Request resolved|Approved by|Differential Revision|/kind",
    re.I,
)


def _commit(row: dict[str, str], *, in_pr: bool = False) -> Commit:
    message = row["title"] if in_pr else f"{row['title']}\n\n{row['body']}"
    pr = PullRequest(number=1, title=row["title"], body=row["body"]) if in_pr else None
    files = [FileChange(path="flashinfer/fused_moe/core.py", additions=12, deletions=3)]
    return Commit(repo="flashinfer-ai/flashinfer", sha="a" * 40, author=PERSON, committer=PERSON,
                  authored_at=MOMENT, committed_at=MOMENT, message=message, files=files,
                  stats=Stats(additions=12, deletions=3, files=1), pr=pr)  # fmt: skip


def _summaries() -> list[tuple[str, str]]:
    analyser = HeuristicAnalyzer()
    score = Score(level=Level.MEDIUM, score=6.0)
    out = []
    for row in BODIES:
        for depth in (Level.LOW, Level.MEDIUM):
            for lang in ("en", "zh"):
                for in_pr in (False, True):
                    analysis = analyser.analyse(_commit(row, in_pr=in_pr), score, depth, lang)
                    out.append((row["source"], analysis.summary))
    return out


def _inline_tokens(text: str) -> list:  # type: ignore[type-arg]
    return [child for token in MD.parse(text) if token.children for child in token.children]


def test_the_bodies_cover_the_templates() -> None:
    sources = " ".join(row["source"] for row in BODIES)
    assert len(BODIES) >= 40
    for project in ("flashinfer-ai/flashinfer@", "sglang", "vllm", "pytorch", "kubernetes"):
        assert project in sources


def test_no_summary_carries_template_or_broken_markdown() -> None:
    """Acceptance item 1, over every summary of every body (both depths, both languages, in the commit
    message or only in the pull request)."""
    checked = 0
    for source, summary in _summaries():
        assert not TEMPLATE_WORDS.search(summary), (source, summary)
        tokens = _inline_tokens(summary)
        assert not [t for t in tokens if t.type == "html_inline"], (source, summary)
        # code spans balance: every backtick belongs to a code span markdown-it recognised
        assert all("`" not in t.content for t in tokens if t.type == "text"), (source, summary)
        # links keep their text, never a half link or a bracket left from one
        assert "](" not in summary and not [t for t in tokens if t.type == "link_open"], (source, summary)
        # and what the report prints (md_inline) parses to the same words, with no live link either
        rendered = _inline_tokens(md_inline(summary))
        assert not [t for t in rendered if t.type in ("link_open", "html_inline")], (source, summary)
        checked += 1
    assert checked == len(BODIES) * 8


@pytest.mark.parametrize("limit", [40, 90, 160, 250])
def test_cuts_fall_between_words_never_inside_a_code_span(limit: int) -> None:
    for row in BODIES:
        full = body_gist(row["body"], 100_000, title=row["title"])
        short = body_gist(row["body"], limit, title=row["title"])
        assert len(short) <= limit, (row["source"], short)
        if short == full or not short:
            continue
        kept = short.removesuffix("…")
        if kept.endswith(".") and full[len(kept) - 1 : len(kept)] == ":":
            kept = kept[:-1] + ":"  # "This PR includes two improvements:" whose list did not fit ends "."
        assert full.startswith(kept), (row["source"], short)
        assert short.endswith("…") or full[len(kept) : len(kept) + 1] in (" ", ""), (row["source"], short)
        if short.endswith("…"):
            assert full[len(kept)] in " ,;:—(" or kept.endswith(("`", ")")), (row["source"], short)
        tokens = _inline_tokens(short)
        assert all("`" not in t.content for t in tokens if t.type == "text"), (row["source"], short)


def _gist(source_part: str, title_part: str = "", limit: int = 400) -> str:
    row = next(r for r in BODIES if source_part in r["source"] and title_part in r["title"])
    return body_gist(row["body"], limit, title=row["title"])


def test_links_keep_their_text() -> None:
    gist = _gist("flashinfer-ai/flashinfer@", "optimize MXFP4xBF16 & INT4xFP8 CUTLASS MoE backend for SM90")
    assert gist.startswith("Port TensorRT-LLM PR #12451 to FlashInfer's `cutlass_fused_moe` SM90 path.")
    assert "http" not in gist
    assert _gist("flashinfer-ai/flashinfer@", "Revert GDN") == (
        "Revert GDN prefill regression introduced in flashinfer-ai/flashinfer#3742."
    )


def test_what_and_why_survive_each_template() -> None:
    assert _gist("sgl-project/sglang's .github", limit=200).startswith(
        "When an expert group receives no tokens, `per_token_group_quant_fp8` divides by a zero amax"
    )
    assert _gist("sglang's template, left unfilled") == ""
    assert _gist("squash merge of a PR without description") == (
        "support gpt-oss sink attention on npu; use npu_fused_infer_attention_score for the sliding-window layers."
    )
    assert _gist("vllm-project/vllm's .github").startswith("The Triton MLA decode kernel only accepted")
    assert "Test Plan" not in _gist("vllm-project/vllm's .github")
    assert _gist("vllm-project/vllm's older template") == ""
    assert _gist("ghstack").startswith("When `xnumel * rnumel` exceeds 2**31")
    assert _gist("pytorch/pytorch's .github").endswith("The nondeterministic path is unchanged.")
    assert _gist("kubernetes/kubernetes' .github").startswith("The image puller kept a back-off entry")
    assert "release" not in _gist("kubernetes/kubernetes' .github").lower()
    assert _gist("kubernetes/kubernetes' older").endswith("without editing every pod.")
    assert _gist("Phabricator").endswith("goes from 41 ms to 19 ms.")


def test_a_body_that_only_repeats_the_title_adds_nothing() -> None:
    assert _gist("flashinfer-ai/flashinfer@", "bump version to 0.6.14") == ""


def test_a_bot_summary_stands_in_only_when_the_author_wrote_nothing() -> None:
    assert _gist("flashinfer-ai/flashinfer@", "Revert PR 4122").startswith("Updated GPU architecture support")
    assert "CodeRabbit" not in _gist("flashinfer-ai/flashinfer@", "SiTU-GLU")
    assert _gist("flashinfer-ai/flashinfer@", "SiTU-GLU").startswith("Adds SiTU-GLU activation support")


def test_summary_reads_as_sentences() -> None:
    analyser = HeuristicAnalyzer()
    row = next(r for r in BODIES if "SiTU-GLU" in r["title"])
    summary = analyser.analyse(_commit(row), Score(level=Level.LOW, score=1.0), Level.LOW, "en").summary
    assert summary.startswith("Add SiTU-GLU activation to the CUTLASS fused-MoE backend. Adds SiTU-GLU")
    assert summary.endswith("Changes 1 file(s) (+12/−3), mostly in `flashinfer/fused_moe`.")


def _gemm_commit() -> Commit:
    """flashinfer's kind of kernel commit: an English title and body, three new modules, public entry points."""
    from dailydiff.models import FileStatus

    added, modified = FileStatus.ADDED, FileStatus.MODIFIED
    files = [
        FileChange(path="flashinfer/gemm/cute_dsl/w4a16.py", additions=300, status=added),
        FileChange(path="flashinfer/gemm/cute_dsl/kernels/w4a16_sm100.py", additions=500, status=added),
        FileChange(path="flashinfer/gemm/cute_dsl/utils.py", additions=80, status=added),
        FileChange(path="flashinfer/gemm/__init__.py", additions=3, status=modified),
        FileChange(path="include/flashinfer/gemm/api.h", additions=20, deletions=2, status=modified),
        FileChange(path="tests/gemm/test_w4a16.py", additions=120, status=added),
    ]
    message = (
        "sm100 cute_dsl w4a16 gemm (#3001)\n\n"
        "Add sm100 cute-dsl nvfp4 w4a16 gemm kernels with a faster epilogue for decode batches"
    )
    stats = Stats(additions=1023, deletions=2, files=len(files))
    return Commit(repo="flashinfer-ai/flashinfer", sha="a" * 40, author=PERSON, committer=PERSON,
                  authored_at=MOMENT, committed_at=MOMENT, message=message, files=files, stats=stats)  # fmt: skip


def _width(text: str) -> int:
    return sum(2 if "\u3000" <= ch <= "\uffef" else 1 for ch in text if ch.isalpha())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_chinese_summary_ends_each_sentence_in_its_own_language_and_insights_are_not_path_lists(
    lang: str,
) -> None:
    analysis = HeuristicAnalyzer().analyse(
        _gemm_commit(), Score(level=Level.HIGH, score=9.0), Level.HIGH, lang
    )
    summary = analysis.summary
    # An English sentence never ends with "。" nor is glued to the next one.
    assert not re.search(r"[A-Za-z0-9)`]。|。[A-Za-z]", summary), summary
    if lang == "zh":  # said in Chinese, the English title quoted as a name
        assert summary.startswith(
            "功能增强：「sm100 cute_dsl w4a16 gemm」，涉及矩阵乘。拉取请求的描述原文：「Add sm100"
        ), summary
        assert "」。改动 6 个文件" in summary, summary
        assert summary.endswith("。"), summary
    else:
        assert summary.startswith("sm100 cute_dsl w4a16 gemm. Add sm100 cute-dsl nvfp4"), summary
    insights = analysis.insights
    assert insights.architecture, "three new modules are worth a word"
    sentences = insights.architecture.split("；" if lang == "zh" else "; ")  # its findings, joined
    for sentence in filter(None, [*sentences, insights.performance, insights.security]):
        spans = re.findall(r"`([^`]*)`", sentence)
        prose = re.sub(r"`[^`]*`", "", sentence)
        assert _width(prose) >= sum(len(s) for s in spans), sentence  # words, not a list of paths
    # Public entry points that change are a risk (said there), not an insight that lists them again.
    assert "api.h" not in insights.architecture and any("api.h" in risk for risk in analysis.risks)


@pytest.mark.parametrize("depth", [Level.LOW, Level.HIGH])
def test_a_long_english_body_is_cut_in_english_and_quoted_in_chinese(depth: Level) -> None:
    # The body is cut (at 200 or 400 characters) with "…" in English; a Chinese summary quotes the same words
    # as the pull request's (issue 85), cut inside the quote only: its own sentences are whole.
    body = " ".join(
        ["Add sm100 cute-dsl nvfp4 w4a16 gemm kernels with a faster epilogue for decode batches"] * 6
    )
    commit = _gemm_commit().model_copy(update={"message": f"sm100 cute_dsl w4a16 gemm (#3001)\n\n{body}"})
    summary = HeuristicAnalyzer().analyse(commit, Score(level=depth, score=9.0), depth, "zh").summary
    assert (
        "拉取请求的描述原文：「Add sm100 cute-dsl nvfp4 w4a16 gemm kernels with a faster epilogue" in summary
    )
    assert "…" not in re.sub(r"「[^」]*」", "", summary) and "改动 6 个文件（+1023/−2）" in summary, summary
    english = HeuristicAnalyzer().analyse(commit, Score(level=depth, score=9.0), depth, "en").summary
    assert "… Changes 6 file(s)" in english, english
