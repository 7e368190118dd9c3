"""The eighth validation set of bench/data/ask_questions_validation8.json: a tenth labelled set, beside the tune
and test halves of bench/ask_labels.py and the sets of bench/ask_validation.py to bench/ask_validation7.py,
written in the held-out tune half's style by another fresh hand after the ranking was tuned, two English questions
to one Chinese, from the two repositories' git histories only (without looking at the held-out questions, at the
other sets' questions beyond the sixth and seventh sets' lists, which it does not repeat, or at the ranking code),
for measuring whether the tuning generalises to questions written after it.

    python bench/ask_validation8.py --flashinfer CLONE --vllm-ascend CLONE [--show]

The procedure is bench/ask_labels.py's: the question is written first, the way a team member asks it in chat;
its relevant commits are the non-merge commits of the default branch in the question's window (UTC days; the
repository's whole period when the question names no time) whose subject matches the case-insensitive regex
``match`` and not ``exclude``; ``broad`` when 8 or more are relevant, ``time`` when the question names a
window. Relative time words are read as of ``ASKED_ON``. Every question is in the ``validation8`` split.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ask_labels import Q, derive

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "data" / "ask_questions_validation8.json"

# A bug fix, in a subject line (a lookahead, combined with the topic's own).
FIX = r"(?=.*(\bfix|bug|hotfix|crash|\bhang|deadlock|overflow|\boob\b|out-of-bounds|\bnan\b|\brace\b|leak|correct))"

# fmt: off
VALIDATION8: list[Q] = [
# flashinfer (2026-01-01..2026-08-22)
("t01", "fi", "What's the history of the MNNVL (multi-node NVLink) code?", None, None, r"mnnvl", None),
("t02", "fi", "What was done specifically for SM103 (B300 / GB300)?", None, None, r"sm103|b300", None),
("t03", "fi", "When did Nemotron support (the non-gated Relu2 MoE) land, and wasn't it reverted at some point?", None, None, r"nemotron", None),
("t04", "fi", "Which versions were released in Q2?", "2026-04-01", "2026-06-30", r"bump version|version to", None),
("t05", "fi", "Which MoE bugs were fixed in August?", "2026-08-01", "2026-08-31", FIX + r"(?=.*(moe|expert))", r"^refactor"),
("t06", "fi", "When was the Claude Code workflow added, and what happened to it since?", None, None, r"claude", None),
("t07", "fi", "What changed in the trtllm-gen fused MoE before April?", None, "2026-03-31", r"trtllm.?gen.*moe|moe.*trtllm.?gen|trtllm.*moe", None),
("t08", "fi", "What happened to the FA2 / FA3 attention backends?", None, None, r"\bfa[23]\b", None),
("t09", "fi", "Which tests got skipped or xfailed, and on which GPUs?", None, None, r"xfail|(?=.*\bskip)(?=.*\btests?\b)", r"skip.?softmax"),
("t10", "fi", "What's new in the BF16 GEMM (mm_bf16) path?", None, None, r"bf16.*gemm|gemm.*bf16|mm_bf16", None),
("t11", "fi", "Which fixes touched the quantization kernels (fp4_quantize, mxfp8_quantize and the like)?", None, None, FIX + r"(?=.*quantiz)", r"allreduce|gemm test"),
("t12", "fi", "What benchmark changes went in since May?", "2026-05-01", None, r"benchmark|\bbench\b", None),
("t13", "fi", "Which changes were about compile time or torch.compile?", None, None, r"compile.?time|compilation.?time|torch\.compile|precompile|parallel compilation|compilation batch", None),
("t14", "fi", "What did the cubin / artifactory side see (updated cubins, artifact pins)?", None, None, r"cubin|artifactory|artifact", None),
("t15", "fi", "What was done for Thor (SM110)?", None, None, r"\bthor\b|sm110", None),
("t16", "fi", "Which workspace or memory fixes went in (OOM, scratch buffers, leaks)?", None, None, FIX + r"(?=.*(workspace|\boom\b|out of memory|memory|leak|scratch))", r"shared.?memory|illegal memory|memory bandwidth|v-scratch|^docs"),
("t17", "fi", "7 月份 GDN / KDA 这类线性注意力内核做了哪些性能优化？", "2026-07-01", "2026-07-31", r"(?=.*(perf|optimi|faster|speed))(?=.*(gdn|kda|delta.?rule|\bwy\b))", None),
("t18", "fi", "1 月到 2 月采样（sampling）和 top-k 相关的改动有哪些？", "2026-01-01", "2026-02-28", r"sampling|top.?[kp]\b|gumbel|topk", None),
("t19", "fi", "FP8 blockscale / groupwise 相关的改动有哪些？", None, None, r"groupwise|blockwise|(?=.*fp8)(?=.*block.?scale)", None),
("t20", "fi", "trtllm paged attention 的 lse 支持是什么时候加的？是不是回滚过又重新合入了？", None, None, r"lse in trtllm paged", None),
("t21", "fi", "4 月份修了哪些 bug？", "2026-04-01", "2026-04-30", FIX, None),
("t22", "fi", "mm_fp4（FP4 GEMM）有哪些改动？", None, None, r"mm_fp4|\bfp4\b.{0,25}gemm|gemm_fp4|nvfp4 (dense )?gemm", r"attention|svdquant"),
("t23", "fi", "6 月以来 CUTLASS fused MoE 后端有哪些改动？", "2026-06-01", None, r"cutlass.*moe|moe.*cutlass", None),
("t24", "fi", "DGX Spark（SM121 / GB10）在 5 月以后有哪些修复？", "2026-05-01", None, FIX + r"(?=.*(spark|sm121|gb10))", None),
# vllm-ascend (2026-03-01..2026-08-22)
("t25", "va", "Which W8A8 quantization fixes went in since June?", "2026-06-01", None, FIX + r"(?=.*w8a8)", None),
("t26", "va", "What changed in the FIA (fused infer attention) path?", None, None, r"\bfia\b|fused.?infer", None),
("t27", "va", "What profiling support was added or fixed?", None, None, r"profil", r"hardware profiles"),
("t28", "va", "What's been done for pooling / embedding / reranker models?", None, None, r"pooling model|pooling function|rerank|embedding.?\d|-embedding|_embedding|embedding model", r"kv pool|rotary|rope|merge_multimodal"),
("t29", "va", "What Qwen3.5 (397B) work happened in July?", "2026-07-01", "2026-07-31", r"qwen3.?5|397b", None),
("t30", "va", "Which DeepSeek V3 / V3.2 bugs were fixed since April?", "2026-04-01", None, FIX + r"(?=.*(deepseek.?v3|dsv3))", None),
("t31", "va", "What went in for suffix / ngram speculative decoding and the acceptance rate?", None, None, r"suffix|ngram|acceptance", r"\.py suffix"),
("t32", "va", "When was async scheduling touched?", None, None, r"async.?sched", None),
("t33", "va", "Which timeouts were raised or fixed (CI jobs, server start-up, KV transfer)?", None, None, r"timeout", None),
("t34", "va", "Which commits were cherry-picked or backported?", None, None, r"cherry.?pick|backport", r"\[CI\]|command"),
("t35", "va", "Which 310P features (not bug fixes) were added between March and May?", "2026-03-01", "2026-05-31", r"310p", r"\bfix|bug|error|revert|issue|\[CI\]|\[Doc|\[Test\]|\bCI\b|\bUT\b"),
("t36", "va", "What's been done for GLM-4.x models (GLM-4.5 / 4.6 / 4.7)?", None, None, r"glm.?4", None),
("t37", "va", "What changed in the AscendC custom kernels under csrc?", None, None, r"\bascendc\b|csrc", r"\[CI\]|cache"),
("t38", "va", "Which MLA attention changes went in?", None, None, r"\bmla\b", None),
("t39", "va", "Which lint / typo / code-style cleanups happened in Q2?", "2026-04-01", "2026-06-30", r"lint|ruff|typo|\bformat(ting)?\b|code.?style|style:", r"nz format|data format"),
("t40", "va", "What sampling changes went in (sampler, top-k/top-p, penalties)?", None, None, r"sampl|top.?[kp]\b|penalt", r"top-k index|gating_topk"),
("t41", "va", "layerwise（逐层）KV 传输和 KV pool 相关的改动有哪些？", None, None, r"layerwise", None),
("t42", "va", "5 月以来新增或更新了哪些部署教程（tutorial）？", "2026-05-01", None, r"tutorial", r"translat"),
("t43", "va", "Qwen3-Next 有哪些改动？", None, None, r"qwen3.?next", None),
("t44", "va", "torch.compile / fullgraph 相关的改动有哪些？", None, None, r"torch.?compile|fullgraph|compilationconfig|compilation (backend|config|support|cache)|start compilation", None),
("t45", "va", "显存（OOM / 内存）相关的问题修复有哪些？", None, None, FIX + r"(?=.*(\boom\b|out of memory|memory))", None),
("t46", "va", "6 月份做了哪些性能优化？", "2026-06-01", "2026-06-30", r"perf|optimi[sz]|speed.?up|faster|accelerat", r"^\[CI\]|^\[Doc\]|perf baseline"),
("t47", "va", "权重加载（weight loading）相关的修复有哪些？", None, None, FIX + r"(?=.*(weight.?load|load.*weight))", None),
("t48", "va", "Qwen3 MoE（30B-A3B / 235B）相关的改动有哪些？", None, None, r"qwen3.?moe|30b|235b|a3b", None),
]
# fmt: on


def main() -> int:
    about = __doc__.split("\n\n", 2)[2].strip()
    return derive(VALIDATION8, lambda _qid: "validation8", about, None, OUT)


if __name__ == "__main__":
    raise SystemExit(main())
