"""The validation set of bench/data/ask_questions_validation.json: a third labelled set, beside the tune and
test halves of bench/ask_labels.py, written from the two repositories' git histories only (without looking
at the held-out questions or at the ranking code), for checking a ranking change before the test half.

    python bench/ask_validation.py --flashinfer CLONE --vllm-ascend CLONE [--show]

The procedure is bench/ask_labels.py's: the question is written first, the way a team member asks it in chat;
its relevant commits are the non-merge commits of the default branch in the question's window (UTC days; the
repository's whole period when the question names no time) whose subject matches the case-insensitive regex
``match`` and not ``exclude``; ``broad`` when 8 or more are relevant, ``time`` when the question names a
window. Relative time words are read as of ``ASKED_ON``. Every question is in the ``validation`` split.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ask_labels import derive

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "data" / "ask_questions_validation.json"

# A fix, in a subject line (used inside a lookahead with the topic's own lookahead).
FIX = r"(?=.*(\bfix|\bbug|hotfix|crash|hang|overflow|correct|repair|restore|guard|\boob\b|\bnan\b))"

# (id, repo key, question, since, until, match, exclude); since/until None = the repository's period.
Q = tuple[str, str, str, str | None, str | None, str, str | None]
# fmt: off
VALIDATION: list[Q] = [
    # flashinfer, English
    ("v01", "fi", "What changed in the GDN (gated delta net) kernels between April and June?",
     "2026-04-01", "2026-06-30", r"\bgdn\b|gated.?delta|delta.rule", r"commi?t?ter|codeowner|\bdocs[(:]|\bbench"),
    ("v02", "fi", "sm120 / DGX Spark support that went in in May?",
     "2026-05-01", "2026-05-31", r"sm.?12[01x]|sm120|spark|gb10|geforce", r"unit test ci|ci unit tests"),
    ("v03", "fi", "anything new in the mamba (SSU / SSD) kernels this year?",
     "2026-01-01", None, r"mamba|selective.state|\bssu\b|\bssd\b", r"codeowner|rename tests/"),
    ("v04", "fi", "What happened with the KDA kernels in August?",
     "2026-08-01", "2026-08-22", r"kda\b|kimi k3 decode", r"codeowner"),
    ("v05", "fi", "autotuner bug fixes in the first half of the year",
     "2026-01-01", "2026-06-30", r"^(?=.*autotun)" + FIX, None),
    ("v06", "fi", "Which sampling kernel bugs were fixed this year?",
     None, None, r"^(?=.*(sampling|top.?p\b|gumbel))" + FIX, None),
    ("v07", "fi", "What's been done on the MoE all-to-all (A2A) communication?",
     None, None, r"\ba2a\b|all.?to.?all|alltoall", r"ulysses|\bdcp"),
    ("v08", "fi", "When did the MegaMoE kernel get integrated into moe_ep?",
     None, None, r"megamoe kernel integration", None),
    ("v09", "fi", "when did the Hopper FP8 mega-MoE backends for moe_ep land?",
     None, None, r"(sm90|hopper).*(push|pull).*fp8|(push|pull).style fp8 mega", None),
    ("v10", "fi", "DeepSeek sparse MLA (V3.2 / V4): what went in for it?",
     None, None, r"dsv4|deepseek.?v4|sparse mla", r"routing"),
    ("v11", "fi", "what was added for Gemma models?",
     None, None, r"gemma", None),
    ("v12", "fi", "nvfp4 quantization fixes",
     None, None, r"^(?=.*fp4)(?=.*quant)" + FIX, None),
    ("v13", "fi", "Which docs were updated in June?",
     "2026-06-01", "2026-06-30", r"\bdocs?[(:]|\[docs\]|document|docstring", None),
    ("v14", "fi", "Anything reverted since April?",
     "2026-04-01", "2026-08-22", r"\brevert", None),
    ("v15", "fi", "When did the version go to 0.6.13?",
     None, None, r"bump version to 0\.6\.13", None),
    ("v16", "fi", "what happened on the CI side this month?",
     "2026-08-01", "2026-08-31", r"\bci\b|\(ci\)|workflow|docker|nightly release|spot instances|sharding|test_path", None),
    ("v17", "fi", "when did the cuTile backend come in, and what uses it?",
     None, None, r"cutile", None),
    ("v18", "fi", "xqa bug fixes since May?",
     "2026-05-01", "2026-08-22", r"^(?=.*xqa)" + FIX, r"skip reason|reference tests"),
    ("v19", "fi", "Which SM103 (B300) specific changes were made?",
     None, None, r"sm.?103", None),
    ("v20", "fi", "When did Rubin / SM107 support land?",
     None, None, r"sm.?107|rubin|revert pr 4122", None),
    ("v21", "fi", "Were there integer overflow bugs (int32 indexing) fixed in the kernels?",
     None, None, r"int32|int64|64-bit|32-bit overflow|uint32 underflow", None),
    ("v22", "fi", "any hang or deadlock fixes so far in Q3?",
     "2026-07-01", "2026-09-30", r"\bhang|deadlock|livelock", None),
    ("v23", "fi", "What LoRA support exists in the MoE kernels?",
     None, None, r"lora", None),
    ("v24", "fi", "MLA decode changes between March and May",
     "2026-03-01", "2026-05-31", r"^(?=.*mla)(?=.*decod)", None),
    ("v25", "fi", "FP8 attention on Hopper: what was improved or fixed?",
     None, None, r"^(?=.*(sm90|hopper|fa3))(?=.*(fp8|e4m3))", r"moe|gemm"),
    ("v26", "fi", "MoE performance work in August",
     "2026-08-01", "2026-08-22", r"^(?=.*(moe|routing))(?=.*(perf|optimi|faster|speed|accelerat))", None),
    # flashinfer, Chinese
    ("v27", "fi", "今年以来 b12x 后端都做了哪些事？",
     "2026-01-01", None, r"b12x", None),
    ("v28", "fi", "5 月到 7 月 allreduce 相关的改动有哪些",
     "2026-05-01", "2026-07-31", r"all.?reduce|\bar fusion", None),
    ("v29", "fi", "今年以来 MoE 路由（routing）方面修了哪些 bug？",
     "2026-01-01", None, r"^(?=.*(routing|route))" + FIX, r"autotun|route the missing|routed"),
    ("v30", "fi", "哪些提交加了 MXFP8 GEMM 的支持？",
     None, None, r"^(?=.*mxfp8)(?=.*(gemm|\bmm\b|mm_mxfp8|bmm))", r"\bmoe\b|\btest:|test pass"),
    ("v31", "fi", "7 月以来 top-k 相关的改动",
     "2026-07-01", None, r"top.?k", r"moe|routing|expert|routed"),
    ("v32", "fi", "RMSNorm 相关的内核有哪些更新？",
     None, None, r"rms.?norm", None),
    # vllm-ascend, English
    ("v33", "va", "What changed for the Ascend 950 in July?",
     "2026-07-01", "2026-07-31", r"ascend.?950|\ba5\b", None),
    ("v34", "va", "310P fixes in April",
     "2026-04-01", "2026-04-30", r"^(?=.*310p)" + FIX, None),
    ("v35", "va", "What changed in EPLB since June?",
     "2026-06-01", None, r"eplb|flashlb|swift balancer", r"mooncake port|\.yaml"),
    ("v36", "va", "MTP / eagle speculative decoding fixes last month?",
     "2026-07-01", "2026-07-31", r"^(?=.*(\bmtp\b|eagle|spec.?decod|speculative|draft))" + FIX, None),
    ("v37", "va", "When did main move to vLLM v0.25?",
     None, None, r"upgrade vllm to v?0\.25", None),
    ("v38", "va", "When was MiniMax-M2.5 first supported on NPU?",
     None, None, r"support minimax.?m2\.5", None),
    # vllm-ascend, Chinese
    ("v39", "va", "上个月 DeepSeek 相关的修复有哪些？",
     "2026-07-01", "2026-07-31", r"^(?=.*(deepseek|dsv3|ds.?v3|dsv4|ds.?v4))" + FIX, None),
    ("v40", "va", "上个月 Mooncake 连接器有哪些改动？",
     "2026-07-01", "2026-07-31", r"mooncake", None),
    ("v41", "va", "今年以来 GLM 模型相关的修复",
     "2026-01-01", None, r"^(?=.*glm)" + FIX, r"\[doc\]"),
    ("v42", "va", "7 月 P/D 分离修了哪些问题？",
     "2026-07-01", "2026-07-31", r"^(?=.*(\bp/d\b|disaggreg|\bpd\b))" + FIX, None),
    ("v43", "va", "今年下半年有哪些提交被回滚了？",
     "2026-07-01", "2026-12-31", r"(^|\s)\[?revert|\]\s*revert", None),
    ("v44", "va", "第二季度 Qwen3.5 相关的性能优化",
     "2026-04-01", "2026-06-30", r"^(?=.*qwen3\.?5|.*qwen3_5)(?=.*(perf|optimi|speed|accelerat|fus))", r"\[ci\]|\[bugfix\]"),
]
# fmt: on


def main() -> int:
    about = __doc__.split("\n\n", 2)[2].strip()
    return derive(VALIDATION, lambda _qid: "validation", about, None, OUT)


if __name__ == "__main__":
    raise SystemExit(main())
