"""The fifth validation set of bench/data/ask_questions_validation5.json: a seventh labelled set, beside the tune
and test halves of bench/ask_labels.py and the sets of bench/ask_validation.py to bench/ask_validation4.py,
written by another fresh hand after the ranking was tuned, from the two repositories' git histories only (without
looking at the held-out questions, at the other sets' questions or at the ranking code), for measuring whether
the tuning generalises to questions written after it.

    python bench/ask_validation5.py --flashinfer CLONE --vllm-ascend CLONE [--show]

The procedure is bench/ask_labels.py's: the question is written first, the way a team member asks it in chat;
its relevant commits are the non-merge commits of the default branch in the question's window (UTC days; the
repository's whole period when the question names no time) whose subject matches the case-insensitive regex
``match`` and not ``exclude``; ``broad`` when 8 or more are relevant, ``time`` when the question names a
window. Relative time words are read as of ``ASKED_ON``. Where a question asks what was reverted and re-landed,
the reverts and their re-lands are relevant, not the original commits. Every question is in the ``validation5``
split.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ask_labels import Q, derive

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "data" / "ask_questions_validation5.json"

# A bug fix, in a subject line (a lookahead, combined with the topic's own).
FIX = r"(?=.*(\bfix|bug|hotfix|crash|\bhang|deadlock|overflow|\boob\b|out-of-bounds|\bnan\b|\brace\b|leak|correct))"

# fmt: off
VALIDATION5: list[Q] = [
    ("z01", "fi", "what GDN (gated delta net) kernel work went in during july? prefill/decode/mtp/cp",
     "2026-07-01", "2026-07-31", r"\bgdn\b|gated.?delta|delta.?rule", r"^docs"),
    ("z02", "fi", "SM107 / Rubin support — when did it land and did it get rolled back?",
     None, None, r"adds sm107 support|revert pr 4122|sm 107 reland|regressions from #4280", None),
    ("z03", "fi", "flashinfer 八月份 CI 流水线相关的改动有哪些？",
     "2026-08-01", "2026-08-22",
     r"^ci[:(]|\(ci\)|\bci\b|pr-test|spot instances|sccache|junit", r"^feat\(moe|^refactor\(moe"),
    ("z04", "fi", "version bumps between april and june?",
     "2026-04-01", "2026-06-30", r"bump version|version bump|release v?0\.\d", None),
    ("z05", "fi", "Which documentation changes landed in June 2026 (docstrings, rst pages, api docs)?",
     "2026-06-01", "2026-06-30", r"^docs?[:(]|docstring|\.rst|documentation|\bdocs\b", None),
    ("z06", "fi", "KDA 这块（Kimi delta attention）都加了哪些 kernel？prefill、decode、SM100 系列共享之类的",
     None, None, r"kda\b|kimi k3 decode", r"codeowners"),
    ("z07", "fi", "fp8 gemm fixes?",
     None, None, FIX + r"(?=.*fp8)(?=.*(gemm|\bbmm|\bmm_|groupwise|blockwise))", r"moe|fmha|attention"),
    ("z08", "fi", "which changes were reverted between april and july, and which of those came back later?",
     "2026-04-01", "2026-07-31", r"\brevert|\breland|add back\b", None),
    ("z09", "fi", "moe_ep 的后端有哪些：SM90 push/pull、SM100 MegaMoE、NIXL-EP 之类",
     None, None, r"moe_ep|mega-?moe|moe-ep|\bep api|nixl-ep|nccl-ep", r"codeowners|owners for|missing source tree"),
    ("z10", "fi", "sampling bugs fixed this year (top-k / top-p / sampling kernels)",
     None, None, FIX + r"(?=.*(sampling|top-?k|top-?p|filteredtopk))", r"moe|^docs"),
    ("z11", "fi", "What went in for DeepSeek V4: sparse MLA, hash routing, HCA?",
     None, None, r"dsv4|deepseek.?v4|\bhca\b", None),
    ("z12", "fi", "SM120 上 FMHAv2 支持了哪些东西",
     None, None, r"(?=.*(fmha.?v2))(?=.*(sm120|sm12x))", None),
    ("z13", "fi", "someone fixed softmax going to garbage when the mask pushes scores hugely negative?",
     None, None, r"extreme negative logits", None),
    ("z14", "fi", "is there a way to see which source revision of flashinfer got loaded, in the logs?",
     None, None, r"commit hash on import", None),
    ("z15", "fi", "moe perf work in august",
     "2026-08-01", "2026-08-22",
     r"(?=.*(perf|optimi|speed|faster|accelerat|reduce compile))(?=.*(moe|expert|routing|megamoe))", None),
    ("z16", "fi", "GLM 相关的改动（GLM-5 router gemm、routing 之类）",
     None, None, r"\bglm", None),
    ("z17", "fi", "autotuner changes in july: cache keys, blocklist, cross-rank sync, leak fixes",
     "2026-07-01", "2026-07-31", r"autotun", r"codeowner|^docs|^bench"),
    ("z18", "fi", "通信（allreduce / all-to-all / mnnvl）这块修了哪些 bug",
     None, None, FIX + r"(?=.*(\bcomm\b|comm\)|all-?reduce|mnnvl|a2a|all-?to-?all|nvshmem))", r"ci harness"),
    ("z19", "fi", "anything MLA in may?",
     "2026-05-01", "2026-05-31", r"mla", None),
    ("z20", "fi", "packaging changes since april: jit-cache / cubin wheels, AOT modules, package deps, nightly publishing",
     "2026-04-01", None,
     r"wheel|jit-cache|\baot\b|cubin (pypi|index)|pypi|nightly release|release publishing|package dependenc|tile dependency|"
     r"build_backend|cutlass-dsl\[cu13\]|default install|editable/source installs", r"pip cache|bare print"),
    ("z21", "fi", "test suite housekeeping in july — splits, sharding, pruning, flaky fixes",
     "2026-07-01", "2026-07-31", r"\btests?\b|fuzzer", r"^feat|bf16 weight preparation"),
    ("z22", "fi", "Gemma 的 head_dim 512 支持做到哪了",
     None, None, r"head_?dim.{0,12}512|headdim=512|\bh512\b|qk=512|256/512", None),
    ("z23", "fi", "Qwen related kernels (qwen3-next / qwen3.5 GDN)?",
     None, None, r"qwen", r"codeowner"),
    ("z24", "va", "Ascend 950 (A5) feature support added in june — what landed?",
     "2026-06-01", "2026-06-30", r"(?=.*(feature|support|add))(?=.*(\ba5\b|950))", r"\[doc\]|bugfix|\bfix"),
    ("z25", "va", "a5 nightly multi test 八月被 revert 又加回来了？是哪几个",
     "2026-08-01", "2026-08-22", r"revert \"\[ci\] add a5 nightly multi|add a5 nightly multi test \(#14295", None),
    ("z26", "va", "What was reverted or re-applied in vllm-ascend in March?",
     "2026-03-01", "2026-03-31", r"revert|reapply|re-land|reland|re-pull", None),
    ("z27", "va", "DeepSeek V3.2 / DSA 相关的 bug 修复",
     None, None, FIX + r"(?=.*(v3\.2|dsv3\.2|dsv32|\bdsa\b|ds3\.2))", r"^\[ci\]|\[doc"),
    ("z28", "va", "qwen3.5 fixes in june?",
     "2026-06-01", "2026-06-30", FIX + r"(?=.*(qwen3\.5|qwen3_5|qwen35|qwen 3\.5))", r"^\[ci\]"),
    ("z29", "va", "GLM-5 work: support, perf, fixes",
     None, None, r"glm.?5", r"\[(ci|doc|test|release)\]"),
    ("z30", "va", "Kimi K2 相关的改动有哪些",
     None, None, r"kimi", None),
    ("z31", "va", "MiniMax M3 support on NPU — what landed (model core, VL, sparse attention, perf)?",
     None, None, r"minimax.?m3", None),
    ("z32", "va", "docs updates in july",
     "2026-07-01", "2026-07-31", r"\[doc|\bdocs?\b|tutorial|readme", None),
    ("z33", "va", "八月份 CI 改了啥",
     "2026-08-01", "2026-08-22", r"\[ci\]|\bci\b", None),
    ("z34", "va", "release notes preparation for each rc since may",
     "2026-05-01", None, r"release.?notes?|release info|release docs|release documentation", None),
    ("z35", "va", "MoE perf optimizations (mc2, gmm, dispatch/combine) in may-june",
     "2026-05-01", "2026-06-30",
     r"(?=.*(perf|optimi|speed|accelerat))(?=.*(moe|mc2|gmm|dispatch|combine|expert|eplb))", r"revert|^\[ci\]|^\[doc"),
    ("z36", "va", "mooncake 相关的改动和修复",
     None, None, r"mooncake", None),
    ("z37", "va", "eagle / mtp spec decode fixes in april",
     "2026-04-01", "2026-04-30", FIX + r"(?=.*(eagle|\bmtp\b|spec.?decod|speculative|draft))", r"fix formatting|eplb"),
    ("z38", "va", "上个月 main2main 相关的改动：升级 vllm commit、workflow 调整、修复",
     "2026-07-01", "2026-07-31", r"main2main", None),
    ("z39", "fi", "is there a fix for top-k hanging on RTX Pro / DGX Spark class cards?",
     None, None, r"top-k stream hangs", None),
    ("z40", "va", "950 机器上按拓扑把进程绑到固定核，这个是哪几个 PR 做的？",
     None, None, r"(?=.*cpu binding)(?=.*950)", None),
]
# fmt: on


def main() -> int:
    about = __doc__.split("\n\n", 2)[2].strip()
    return derive(VALIDATION5, lambda _qid: "validation5", about, None, OUT)


if __name__ == "__main__":
    raise SystemExit(main())
