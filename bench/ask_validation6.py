"""The sixth validation set of bench/data/ask_questions_validation6.json: an eighth labelled set, beside the tune
and test halves of bench/ask_labels.py and the sets of bench/ask_validation.py to bench/ask_validation5.py,
written in the held-out tune half's style by another fresh hand after the ranking was tuned, from the two
repositories' git histories only (without looking at the held-out questions, at the other sets' questions or at
the ranking code), for measuring whether the tuning generalises to questions written after it.

    python bench/ask_validation6.py --flashinfer CLONE --vllm-ascend CLONE [--show]

The procedure is bench/ask_labels.py's: the question is written first, the way a team member asks it in chat;
its relevant commits are the non-merge commits of the default branch in the question's window (UTC days; the
repository's whole period when the question names no time) whose subject matches the case-insensitive regex
``match`` and not ``exclude``; ``broad`` when 8 or more are relevant, ``time`` when the question names a
window. Relative time words are read as of ``ASKED_ON``. Where a question asks what was reverted and re-landed,
the reverts and their re-lands are relevant, not the original commits. Every question is in the ``validation6``
split.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ask_labels import Q, derive

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "data" / "ask_questions_validation6.json"

# A bug fix, in a subject line (a lookahead, combined with the topic's own).
FIX = r"(?=.*(\bfix|bug|hotfix|crash|\bhang|deadlock|overflow|\boob\b|out-of-bounds|\bnan\b|\brace\b|leak|correct))"

# fmt: off
VALIDATION6: list[Q] = [
    # flashinfer-ai/flashinfer
    ("s01", "fi", "What happened in the all-reduce / comm code since May?",
     "2026-05-01", None, r"allreduce|all-reduce|all_reduce|all reduce|\(comm\)|^comm:|\bmnnvl\b", r"codeowner"),
    ("s02", "fi", "Which MLA decode changes went in between May and July?",
     "2026-05-01", "2026-07-31", r"^(?=.*\bmla\b)(?=.*decod)", None),
    ("s03", "fi", "flashinfer 对 DeepSeek V4 做了哪些支持？",
     None, None, r"dsv4|deepseek.?v4|\bds.?v4", None),
    ("s04", "fi", "What went in for SM120/SM121 (RTX Pro, DGX Spark) in July?",
     "2026-07-01", "2026-07-31", r"sm.?12[01x]|sm_12[01]|\bspark\b|gb10|geforce|\brtx\b", None),
    ("s05", "fi", "MXFP8 GEMM 相关的改动有哪些？",
     None, None, r"^(?=.*mxfp8)(?=.*(gemm|mm_mxfp8|matmul))", r"\bmoe\b"),
    ("s06", "fi", "What's been done on the RMSNorm / LayerNorm kernels this year?",
     None, None, r"rmsnorm|layernorm|layer norm|\(norm\)|\bnorms\b", None),
    ("s07", "fi", "What changed in the JIT / AOT jit-cache build since March?",
     "2026-03-01", None, r"\bjit\b|\baot\b|jit-cache|gencode|sccache", r"jit kernels"),
    ("s08", "fi", "XQA 内核有哪些修复和改进？",
     None, None, r"\bxqa\b", None),
    ("s09", "fi", "NVFP4 quantization kernel changes between May and August?",
     "2026-05-01", "2026-08-22", r"^(?=.*(nvfp4|fp4))(?=.*quantiz)", r"\bmoe\b|^docs"),
    ("s10", "fi", "What came in from b12x?",
     None, None, r"b12x", None),
    ("s11", "fi", "When was the CuTe DSL (nvidia-cutlass-dsl) dependency bumped?",
     None, None, r"^(?=.*(cutlass.?dsl|cute.?dsl))(?=.*(bump|upgrade|>=|\b4\.\d|dependency|install))", r"cubin"),
    ("s12", "fi", "6 月份测试和 CI 方面有哪些改动？",
     "2026-06-01", "2026-06-30", r"^tests?\b|\btests?:|\btest\b|\btests\b|\(ci\)|\bci\b", r"^feat"),
    ("s13", "fi", "Which fixes dealt with int32 overflow or 64-bit indexing?",
     None, None, r"\bu?int ?(32|64)|64-bit|32-bit|sym_int64|2\*\*31", None),
    ("s14", "fi", "Which releases were cut in July?",
     "2026-07-01", "2026-07-31", r"bump version|version to", None),
    ("s15", "fi", "What changed in the top-k kernels used for sparse attention (not MoE routing)?",
     None, None, r"top.?k", r"\bmoe\b|rout|sampling|top.?p|expert"),
    ("s16", "fi", "fmha_v2 有哪些改动？",
     None, None, r"fmha.?v2|fmhav2", r"codeowner"),
    ("s17", "fi", "What was done for Gemma 4 and head_dim 512?",
     None, None, r"gemma|head_?dim.?=?.?512|\bh512\b|qk=512", None),
    ("s18", "fi", "What TRT-LLM-gen attention (FMHA) work happened since June?",
     "2026-06-01", None, r"^(?=.*(trtllm.?gen|trt-llm.?gen|trtllmgen))(?=.*(fmha|attention|attn|decode|prefill|mla|kv))",
     r"\bmoe\b|^tests?:"),
    ("s19", "fi", "4 月份有哪些性能优化？",
     "2026-04-01", "2026-04-30", r"^perf|perf\(|\[perf|optimi[sz]|speed up|faster|vectoriz", r"revert"),
    ("s20", "fi", "Did anyone add video sparse / block-sparse attention?",
     None, None, r"block.?sparse|\bvsa\b|video sparse|\bbsa_", None),
    ("s21", "fi", "What work went into CUDA graph compatibility?",
     None, None, r"cuda.?graph|graph.?safe|graph-compatible", None),
    ("s22", "fi", "cuTile 后端是什么时候引入的，之后又有哪些改动？",
     None, None, r"cutile|cuda.?tile", None),
    ("s23", "fi", "What changed for diffusion models (WAN / DiT)?",
     None, None, r"\bwan\b|\bdit\b|diffusion", None),
    ("s24", "fi", "8 月份 dense GEMM 方面有哪些改动？",
     "2026-08-01", "2026-08-22", r"gemm(?!a)|mm_bf16|mm_fp4|\bbmm|gemv", r"\bmoe\b|code owner"),
    ("s25", "fi", "Which MoE activation functions were added since June (GeGLU, SiTU, Relu2 and the like)?",
     "2026-06-01", None, r"^(?=.*(geglu|gelu|situ|relu2|swiglu))(?=.*(moe|fused))", r"^docs|fix\(ci\)|quantization"),
    ("s26", "fi", "Who was added to CODEOWNERS this year?",
     None, None, r"codeowner|code owner|co-owner|commiter|committer", r"analyzer"),
    # vllm-project/vllm-ascend
    ("s27", "va", "Which 310P bugs were fixed in July?",
     "2026-07-01", "2026-07-31", r"^" + FIX + r"(?=.*(310p|300i|atlas 300|200i))", None),
    ("s28", "va", "Mooncake 连接器有哪些修复？",
     None, None, r"^" + FIX + r"(?=.*mooncake)", None),
    ("s29", "va", "What happened with the KV pool (AscendStore / MemCache) in July?",
     "2026-07-01", "2026-07-31", r"kv.?pool|ascendstore|ascend store|memcache", None),
    ("s30", "va", "Which model runner v2 (MRV2) features landed in August?",
     "2026-08-01", "2026-08-22", r"^(?=.*(mrv2|model.?runner.?v2))(?=.*(feature|support|adapt))", None),
    ("s31", "va", "Gemma4 是什么时候支持的？后续有哪些改动？",
     None, None, r"gemma.?4", None),
    ("s32", "va", "Which main2main upgrades to upstream vLLM happened since July?",
     "2026-07-01", None, r"main2main|adapt to vllm",
     r"\bfix|bugfix|revert|runner|refactor|fall back|default main2main model|auto main2main"),
    ("s33", "va", "7 月份 MTP 相关的修复有哪些？",
     "2026-07-01", "2026-07-31", r"^" + FIX + r"(?=.*\bmtp\b)", None),
    ("s34", "va", "What's the history of the SFA C8 work?",
     None, None, r"^(?=.*\bsfa\b)(?=.*\bc8\b)|sfa_c8", None),
    ("s35", "va", "What did the DSA work in August change?",
     "2026-08-01", "2026-08-22", r"\bdsa\b", None),
    ("s36", "va", "Step3.5 support?",
     None, None, r"step.?3", None),
    ("s37", "va", "6 月以来 ACL graph 相关的修复有哪些？",
     "2026-06-01", None, r"^" + FIX + r"(?=.*(acl.?graph|aclgraph|graph mode|full_decode_only|cudagraph|graph capture))", None),
    ("s38", "va", "What happened to FlashComm?",
     None, None, r"flashcomm|flash.?comm", None),
    ("s39", "va", "Which commits were reverted in July?",
     "2026-07-01", "2026-07-31", r"^\[revert\]|^revert|\brevert\b", r"slash command"),
    ("s40", "va", "MC2 和 token dispatcher 有哪些改动？",
     None, None, r"mc2|token.?dispatch", None),
    ("s41", "va", "What changed in the weekly tests since July?",
     "2026-07-01", None, r"weekly", None),
    ("s42", "va", "7 月以来 PD 分离（prefill/decode disaggregation）有哪些修复？",
     "2026-07-01", None, r"^" + FIX + r"(?=.*(disaggregat|\bp/d\b|\[pd\]|\bpd\b))", r"^\[doc\]|encoder"),
    ("s43", "va", "Which Eagle / Eagle3 speculative decoding bugs were fixed?",
     None, None, r"^" + FIX + r"(?=.*eagle)", r"gitleaks|fix formatting"),
    ("s44", "va", "6 月份 MXFP 量化（MXFP4/MXFP8）有哪些改动？",
     "2026-06-01", "2026-06-30", r"mxfp", None),
    ("s45", "va", "Which vision / VL / multimodal fixes went in?",
     None, None, r"^" + FIX + r"(?=.*(\bvl\b|vision|\bvit\b|multi.?modal|omni))", None),
    ("s46", "va", "Which GitHub Actions versions were bumped in August?",
     "2026-08-01", "2026-08-22", r"bump actions|actions/", None),
    ("s47", "va", "KV cache offload 相关的改动有哪些？",
     None, None, r"offload", r"weight offload"),
    ("s48", "va", "What RL-related features (weight reload, sleep mode, rl_config) came since June?",
     "2026-06-01", None, r"\brl\b|rlhf|reload|sleep.?mode|weight transfer|weight update|update config", None),
]
# fmt: on


def main() -> int:
    about = __doc__.split("\n\n", 2)[2].strip()
    return derive(VALIDATION6, lambda _qid: "validation6", about, None, OUT)


if __name__ == "__main__":
    raise SystemExit(main())
