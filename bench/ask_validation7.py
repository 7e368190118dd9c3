"""The seventh validation set of bench/data/ask_questions_validation7.json: a ninth labelled set, beside the tune
and test halves of bench/ask_labels.py and the sets of bench/ask_validation.py to bench/ask_validation6.py,
written in the held-out tune half's style by another fresh hand after the ranking was tuned, English-heavy, from
the two repositories' git histories only (without looking at the held-out questions, at the other sets' questions
beyond the sixth set's list, which it does not repeat, or at the ranking code), for measuring whether the tuning
generalises to questions written after it.

    python bench/ask_validation7.py --flashinfer CLONE --vllm-ascend CLONE [--show]

The procedure is bench/ask_labels.py's: the question is written first, the way a team member asks it in chat;
its relevant commits are the non-merge commits of the default branch in the question's window (UTC days; the
repository's whole period when the question names no time) whose subject matches the case-insensitive regex
``match`` and not ``exclude``; ``broad`` when 8 or more are relevant, ``time`` when the question names a
window. Relative time words are read as of ``ASKED_ON``. Every question is in the ``validation7`` split.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ask_labels import Q, derive

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "data" / "ask_questions_validation7.json"

# A bug fix, in a subject line (a lookahead, combined with the topic's own).
FIX = r"(?=.*(\bfix|bug|hotfix|crash|\bhang|deadlock|overflow|\boob\b|out-of-bounds|\bnan\b|\brace\b|leak|correct))"

# fmt: off
VALIDATION7: list[Q] = [
    # flashinfer-ai/flashinfer
    ("v01", "fi", "Which hangs, deadlocks or livelocks got fixed?",
     None, None, r"\bhang|deadlock|livelock", None),
    ("v02", "fi", "What happened to GDN prefill (the chunked delta-rule and CP delta-rule prefill kernels)?",
     None, None, r"gdn.{0,20}prefill|prefill.{0,20}gdn|delta.rule.*prefill|cp delta rule|chunk_gated_delta_rule", None),
    ("v03", "fi", "When did the mHC (manifold hyper-connection) kernels come in?",
     None, None, r"\bmhc\b|hyper.?connection", None),
    ("v04", "fi", "What did the autotuner get in July?",
     "2026-07-01", "2026-07-31", r"autotun", None),
    ("v05", "fi", "flashinfer 里 MoE 的 LoRA 支持（LoRA delta、BGMV）是怎么做的？",
     None, None, r"lora|bgmv", None),
    ("v06", "fi", "Which versions were released in the first quarter?",
     "2026-01-01", "2026-03-31", r"bump version|bump.*version to|update version to", None),
    ("v07", "fi", "What changed in the Docker images the CI runs on?",
     None, None, r"docker", None),
    ("v08", "fi", "What did the CAKE backends (cake_kda, cake_tinygemm2 and co.) bring in August?",
     "2026-08-01", "2026-08-22", r"cake", None),
    ("v09", "fi", "tinygemm / router GEMM 这块有哪些改动？",
     None, None, r"tinygemm|router ?gemm|routergemm", None),
    ("v10", "fi", "What went into the unified MoE API (MoELayer, the unified runners and fuzzer) since June?",
     "2026-06-01", None, r"unified", r"gemm/bmm"),
    ("v11", "fi", "What has been done for MiniMax sparse attention (MSA)?",
     None, None, r"\bmsa\b|minimax sparse", None),
    ("v12", "fi", "NVFP4 KV cache 是什么时候支持的？后面又补了哪些？",
     None, None, r"nvfp4 kv|fp4 kv|nvfp4.*paged kv", None),
    ("v13", "fi", "Any sliding-window attention changes (SWA masks, left sliding window)?",
     None, None, r"sliding.?window|\bswa\b", None),
    ("v14", "fi", "When was skip-softmax attention added?",
     None, None, r"skip.?softmax", None),
    ("v15", "fi", "What speculative decoding / MTP support went into the kernels?",
     None, None, r"speculative|spec.?decod|\bmtp\b|draft.?mask", None),
    ("v16", "fi", "Is there SVDQuant support, and since when?",
     None, None, r"svdquant", None),
    ("v17", "fi", "W4A16 相关的内核（GEMM 和 MoE）有哪些改动？",
     None, None, r"w4a16", None),
    ("v18", "fi", "1 月份修了哪些 bug？",
     "2026-01-01", "2026-01-31", FIX, r"auto-fixing"),
    ("v19", "fi", "What changed in CI and the test infrastructure in August?",
     "2026-08-01", "2026-08-22",
     r"\bci\b|ci:|workflow|pr-test|docker|pytest|unit.?test|^tests?:|sharding|sccache|compute-sanitizer|junit", None),
    ("v20", "fi", "Which moe_ep / NIXL-EP / MegaMoE bugs were fixed?",
     None, None, FIX + r"(?=.*(moe_ep|nixl|nccl-ep|mega.?moe))", None),
    ("v21", "fi", "What was done to get things working on DGX Spark (SM121 / GB10) in February and March?",
     "2026-02-01", "2026-03-31", r"spark|sm ?121|gb10", None),
    ("v22", "fi", "What landed for Rubin (SM107)?",
     None, None, r"sm ?107|rubin", None),
    ("v23", "fi", "有哪些 NaN 相关的修复？",
     None, None, r"\bnan\b", None),
    ("v24", "fi", "Which Hopper (SM90) changes went in before June?",
     "2026-01-01", "2026-05-31", r"hopper|sm90", None),
    ("v25", "fi", "What was done for GLM models (GLM-5 routing, router GEMM)?",
     None, None, r"\bglm", None),
    ("v26", "fi", "What's new in API logging and the fi_trace tooling?",
     None, None, r"\btrace|api logging|loglevel", r"perfetto"),
    # vllm-project/vllm-ascend
    ("v27", "va", "What happened in the xlite backend?",
     None, None, r"xlite", None),
    ("v28", "va", "5 月份 DeepSeek V4 的适配做了哪些工作？",
     "2026-05-01", "2026-05-31", r"deepseek.?v4|dsv4", None),
    ("v29", "va", "When did MiniMax-M3 support land and what followed?",
     None, None, r"minimax.?m3", None),
    ("v30", "va", "Which vLLM patches were removed since July?",
     "2026-07-01", None, r"(remov|drop|obsolete|useless|unused|replace).*\bpatch|\bpatch.*(remov|drop)", r"^revert"),
    ("v31", "va", "Which custom ops were dropped since June?",
     "2026-06-01", None, r"(remov|drop|delete|\bdel\b|unused).*\b(ops?|operators?|kernels?)\b", None),
    ("v32", "va", "7 月以来中文文档翻译有哪些变化？",
     "2026-07-01", None, r"translat|chinese|\bcn\b", None),
    ("v33", "va", "Which GDN / gated-delta-rule ops (Qwen3.5, Qwen3-Next) were added or changed?",
     None, None, r"gdn|gated.?delta|delta.?rule|conv1d", None),
    ("v34", "va", "What CI tooling for chasing failures was added (auto-bisect, failure analysis, precise testing)?",
     None, None, r"bisect|failure analy|precise|accurate test coverage|coverage rate", None),
    ("v35", "va", "What was set up for the A3 560T cluster?",
     None, None, r"560t", None),
    ("v36", "va", "Qwen3.8 有哪些文档和测试？",
     None, None, r"qwen3\.8", None),
    ("v37", "va", "Which upstream vLLM upgrades happened between March and June?",
     "2026-03-01", "2026-06-30",
     r"main2main|upgrade vllm|vllm (commit|version) to|update vllm to|drop vl+m|drop .*support|vllm to v?0\.|upgrade .*vllm",
     r"fix|bug|skill|bisect|revert|recompute|kv pool"),
    ("v38", "va", "Which release notes went out since May?",
     "2026-05-01", None, r"release ?note|release doc", None),
    ("v39", "va", "What changed in the custom schedulers (recompute, balance, short-request-first)?",
     None, None, r"(recompute|balance|short.?request|custom|batch job aware).{0,12}schedul|shortrequestfirst|scheduler config", None),
    ("v40", "va", "6 月以来 Mamba / 混合注意力（hybrid）模型相关的改动有哪些？",
     "2026-06-01", None, r"mamba|hybrid", None),
    ("v41", "va", "What happened with npugraph_ex (the move off torchair)?",
     None, None, r"npugraph_ex|torchair", None),
    ("v42", "va", "Which prefix caching bugs were fixed?",
     None, None, FIX + r"(?=.*prefix.?cach)", None),
    ("v43", "va", "CPU 绑核（CPU binding）有哪些改动？",
     None, None, r"cpu.?binding|cpu slicing", None),
    ("v44", "va", "Which pipeline parallelism (PP) changes landed since May?",
     "2026-05-01", None, r"\bpp\b|pipeline.parallel", None),
    ("v45", "va", "Which tool-call and reasoning parser fixes or backports went in?",
     None, None, r"tool.?call|parser", None),
    ("v46", "va", "W4A8 量化有哪些改动？",
     None, None, r"w4a8", r"^\[(ci|test)\]|baseline"),
    ("v47", "va", "mega MoE 有哪些改动？",
     None, None, r"mega.?moe", None),
    ("v48", "va", "8 月份 Ascend 950（A5）上有哪些改动？",
     "2026-08-01", "2026-08-22", r"ascend.?950|\ba5\b|950dt|atlas 950", None),
]
# fmt: on


def main() -> int:
    about = __doc__.split("\n\n", 2)[2].strip()
    return derive(VALIDATION7, lambda _qid: "validation7", about, None, OUT)


if __name__ == "__main__":
    raise SystemExit(main())
