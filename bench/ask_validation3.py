"""The third validation set of bench/data/ask_questions_validation3.json: a fifth labelled set, beside the tune
and test halves of bench/ask_labels.py and the sets of bench/ask_validation.py and bench/ask_validation2.py,
written by a fresh hand from the two repositories' git histories only (without looking at the held-out
questions, at the other sets' questions or at the ranking code), for checking a ranking change on questions
whose writer's habits were not in view when it was made.

    python bench/ask_validation3.py --flashinfer CLONE --vllm-ascend CLONE [--show]

The procedure is bench/ask_labels.py's: the question is written first, the way a team member asks it in chat;
its relevant commits are the non-merge commits of the default branch in the question's window (UTC days; the
repository's whole period when the question names no time) whose subject matches the case-insensitive regex
``match`` and not ``exclude``; ``broad`` when 8 or more are relevant, ``time`` when the question names a
window. Relative time words are read as of ``ASKED_ON``. Every question is in the ``validation3`` split.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ask_labels import Q, derive

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "data" / "ask_questions_validation3.json"

# A bug fix, in a subject line (a lookahead, combined with the topic's own).
FIXED = r"\bfix|bug|hotfix|crash|\bhang|deadlock|overflow|\boob\b|out-of-bounds|\bnan\b|\brace\b|leak|correct"
FIX = rf"(?=.*({FIXED}))"
# Performance work, in a subject line (the same way).
PERF = r"(?=.*(perf|optimi[sz]|faster|speed|accelerat|latency|throughput|tune\b|tuning))"
# A new feature rather than a fix, in a subject line (the same way).
NEW = r"(?=.*(feat|\badd|support|enable|introduce|expose|implement|integrat|new\b))"

# fmt: off
VALIDATION3: list[Q] = [
    # flashinfer-ai/flashinfer
    ("x01", "fi", "gdn / gated delta rule kernels since july — decode, prefill, mtp, wy, cp delta rule variants?",
     "2026-07-01", None, r"\bgdn\b|gated.?delta|delta.?rule|\bwy\b", r"^docs?\b|^chore|bench|^test"),
    ("x02", "fi", "what's landed for kda (recurrent decode/prefill, packed decode, cute dsl prefill)?",
     None, None, r"\bkda\b|cake_kda|kimi k3 decode", r"codeowners"),
    ("x03", "fi", "mamba 的 selective state update (ssu) 这块都有哪些改动？包括 mtp、varlen、checkpointing、ssd 这些",
     None, None, r"mamba|selective.?state|\bssu\b|\bssd\b", r"^docs?\b|codeowners|benchmark|\btests?\b"),
    ("x04", "fi", "the radix top-k stream hang on rtx blackwell / spark — which pr fixed it?",
     None, None, r"multi-CTA radix top-k stream hangs", None),
    ("x05", "fi", "anything reverted in flashinfer between may and august?",
     "2026-05-01", "2026-08-22", r"\brevert", None),
    ("x06", "fi", "which changes got reverted and then re-landed later? (original pr, the revert, the reland)",
     None, None,
     r"lse in trtllm paged attn|\bsm.?107 (support|reland)|adds sm107|revert pr 4122|"
     r"fused moe non gated relu2|sharding support to scripts/task_run_unit_tests", None),
    ("x07", "fi", "sm107 (rubin) 的支持是什么时候加的？中间是不是被回滚过？",
     None, None, r"sm.?107|rubin|revert pr 4122", None),
    ("x08", "fi", "when did sm121 / gb10 (dgx spark) enablement land, and what got fixed for it?",
     None, None, r"sm.?121|\bgb10\b|dgx spark|sm12x family|arch 12\.1",
     r"unit test|\bci\b|\btest\b|^bench|^perf"),
    ("x09", "fi", "new moe stuff that landed in august — backends, activations, routing methods (no bugfixes pls)",
     "2026-08-01", "2026-08-22", NEW + r"(?=.*(moe|routing|expert))",
     FIXED + r"|^test|\bci\b|optimi|accelerat|sync .* to b12x|autotun"),
    ("x10", "fi", "sampling bugs fixed this year? (top-p search, sampling kernel races, nan inputs, gumbel)",
     None, None, FIX + r"(?=.*(sampl|gumbel))", r"^docs?\b|benchmark"),
    ("x11", "fi", "ci changes in august? workflows, runners, ci images, sccache etc",
     "2026-08-01", "2026-08-22",
     r"^ci\b|^ci:|\(ci\)|\bunit ci\b|docker ci|pr-test|ci triggering|ci image", None),
    ("x12", "fi", "test-side changes since july: new tests, test splits/sharding, faster test runs",
     "2026-07-01", None,
     r"^tests?(\(|:)|^perf\(test\)|^fix ?\(test\)|^fix/test|^test incidental|fuzzer|"
     r"^skip the deliberate-trap test|conformance coverage|prune legacy uts|prune moe tests|pytest node ids|"
     r"source tree files for two more moe_ep test files", r"^feat"),
    ("x13", "fi", "今年 flashinfer 都发了哪些版本？要 bump version 的那些 commit",
     None, None, r"bump version|update version to|release: bump", None),
    ("x14", "fi", "jit-cache / cubin wheel packaging changes (aot modules, wheel size, install helpers)?",
     None, None, r"jit-cache|jit cache|cubin (wheel|package|pypi|from)|\baot\b|wheel", None),
    ("x15", "fi", "doc updates in june? docstrings, rst pages, api docs",
     "2026-06-01", "2026-06-30", r"^docs?\b|^\[docs\]|docstring|\.rst\b", None),
    ("x16", "fi", "gemm perf work in q2 (mm_fp4, bf16 gemm, fp8 groupwise, tinygemm...)",
     "2026-04-01", "2026-06-30",
     r"(?=.*(perf|optimi[sz]|faster|speed))(?=.*(gemm|mm_fp4|mm_bf16|tinygemm|bmm|matmul))", r"\bmoe\b|\bfix\b"),
    ("x17", "fi", "moe 这边做过哪些 refactor？比如 routing 重构、runner / config 拆分之类的",
     None, None, r"(?=.*refactor)(?=.*(moe|routing))", r"^docs?\b"),
    ("x18", "fi", "anything deprecated? deprecation policy, deprecated params/apis, swapping out deprecated cute-dsl calls",
     None, None, r"deprecat", None),
    ("x19", "fi", "dependency bumps for cutlass / cute-dsl / cudnn / nvshmem / cccl?",
     None, None,
     r"(bump|upgrade|update|vendor|pin|install|floor).*(cutlass|cute.?dsl|cudnn|nvshmem|cccl|cuda.?tile|quack)|"
     r"cutlass dsl 4\.5 bump|dependency: update|nvshmem-cu12|migrate off apis removed",
     r"cubins|tactic heuristic|sequence strides|rubin pins"),
    ("x20", "fi", "xqa 8 月份有啥改动？",
     "2026-08-01", "2026-08-22", r"xqa", None),
    ("x21", "fi", "hopper (sm90) work since june — new kernels, fixes, tuning?",
     "2026-06-01", None, r"sm.?90\b|sm90|hopper", None),
    ("x22", "fi", "where did we fix int32 overflows / widen indices to int64?",
     None, None, r"int32|int64|64-bit|widen|uint32 underflow", r"^docs?\b"),
    ("x23", "fi", "6 月以来 autotuner 的 bug 修了哪些？内存泄漏、crash、cache 不对这种",
     "2026-06-01", None, FIX + r"(?=.*(auto.?tun|tactic))", r"^docs?\b|^revert|^test"),
    ("x24", "fi", "did the tinygemm2 hang (barrier sync issue) ever get fixed?",
     None, None, r"tinygemm.*(hang|barrier)", None),
    ("x25", "fi", "what changed in comm / allreduce in may?",
     "2026-05-01", "2026-05-31", r"all.?reduce|\bcomm\b|mnnvl|alltoall|all-to-all|\ba2a\b|allgather", None),
    ("x26", "fi", "new attention support for sm120 / rtx blackwell (fmha_v2, nvfp4 attention, sparse mla, hd512)?",
     None, None,
     r"(?=.*(feat|\badd|support|enable|introduce|expose|integrat|fmhav2 on))(?=.*(sm.?12|rtx|geforce|consumer blackwell))(?=.*(attention|attn|fmha|mla|xqa|msa|vsa|prefill|decode))",
     FIXED + r"|^test|\bskip\b|\bguard\b|gdn|kda|delta rule|\baot\b|wheel"),
    ("x27", "fi", "norm 类 kernel（rmsnorm / fused add rmsnorm / layernorm）有哪些改动？",
     None, None, r"rms.?norm|layer.?norm|fused_add_rmsnorm|\bnorm\b", r"norm routines|bench|unit test"),
    ("x28", "fi", "what got added on the cudnn backend side (new ops, paged prefill, override shape)?",
     None, None, r"(?=.*cudnn)" + NEW, FIXED + r"|^docs?\b|^test|xfail|docker"),
    ("x29", "fi", "that new hand-rolled all reduce kernel pr from this week?",
     "2026-08-16", "2026-08-22", r"custom all reduce kernel", None),
    ("x30", "fi", "上个月 gemm 相关的 bugfix 有哪些？",
     "2026-07-01", "2026-07-31", FIX + r"(?=.*(gemm|mm_fp4|mm_bf16|bmm|grouped.?mm|matmul))", r"\btest\b|bench|\bmoe\b"),
    # vllm-project/vllm-ascend
    ("x31", "va", "mega moe 在 vllm-ascend 上都做了啥？a3 支持、eplb、文档、修 bug 都算",
     None, None, r"mega.?moe", None),
    ("x32", "va", "310p fixes since july?",
     "2026-07-01", None, FIX + r"(?=.*(310p|300i|atlas inference))", r"^\[doc"),
    ("x33", "va", "6 月以后 ascend 950 (a5) 上新加了哪些 feature？只看新功能，不要 bugfix",
     "2026-06-01", None, r"(?=.*(950|\ba5\b))(?=.*(feature|feat\b|support|enable|add\b))",
     r"bug|fix|\[doc|^\[ci|^\[test|nightly"),
    ("x34", "va", "what got reverted in vllm-ascend last month?",
     "2026-07-01", "2026-07-31", r"\brevert", r"/revert slash command"),
    ("x35", "va", "the mc2 capacity / moe comm selection simplification got reverted — did it come back?",
     None, None, r"mc2 capacity and moe comm selection", None),
    ("x36", "va", "上周 ci 改了些啥？",
     "2026-08-16", "2026-08-22", r"^\[ci\]|^\[ci\]\[|\[ci\]\[e2e\]|bump actions/", None),
    ("x37", "va", "which test cases / test infra got added or changed in the last 2 weeks (e2e, ut, weekly cases)?",
     "2026-08-09", "2026-08-22", r"^\[test\]|^\[test \]|^\[ci\]\[test\]|^\[test\]\[", None),
    ("x38", "va", "deepseek v4 docs/tutorials — what doc updates were there?",
     None, None, r"(?=.*\[doc)(?=.*(deepseek.?v4|dsv4))", None),
    ("x39", "va", "CANN / torch_npu / triton-ascend 版本升级是哪些 pr？",
     None, None, r"(upgrade|bump|update).*(cann|torch.?npu|pta|triton.?ascend)", r"^\[doc\]|profiler"),
    ("x40", "va", "7 月份 vllm 版本对齐（main2main / 升级 vllm）的 pr 有哪些？",
     "2026-07-01", "2026-07-31",
     r"main2main|main2mian|m2m|upgrade vllm|vllm (drop|to)|adapt to vllm main|upgrade vllm to",
     r"eplb|scheduler|skill|bisect|fresh|spec_decode|recompute|releases/|workflow|runner|auto main2main job|refactor main2main"),
    ("x41", "va", "was npugraph_ex turned off on 310p? which pr",
     None, None, r"(?=.*npugraph_ex)(?=.*310p)", None),
    ("x42", "va", "minimax-m2 那些 patch 的清理（remove / trim patches）有哪些？",
     None, None, r"(?=.*minimax.?m2\b)(?=.*(remove|trim|drop))", r"^\[ci\]"),
    ("x43", "va", "mrv2 (model runner v2) new feature support in august? not bugfixes",
     "2026-08-01", "2026-08-22", r"(?=.*(mrv2|model.?runner.?v2|modelrunnerv2))(?=.*(feat|support|adapt))",
     r"bug|fix"),
    ("x44", "va", "310p 上做过哪些性能优化？（算子、moe routing、attention 之类）",
     None, None, r"(?=.*(310p|300i))" + PERF, r"^\[ci\]"),
    ("x45", "va", "which config options / env vars got removed or sunset?",
     None, None,
     r"(remove|drop|sunset|delete).*(env\b|env var|config option|additional config|flag|environment variable|"
     r"VLLM_ASCEND_ENABLE_CONTEXT_PARALLEL|ASCEND_BUFFER_POOL)|drop prefetch mlp env|remove weight prefetch config",
     r"^\[test|redundant env var in"),
    ("x46", "va", "mooncake connector 相关的 bug 修复有哪些？",
     None, None, FIX + r"(?=.*mooncake)", r"^\[doc|mooncakebackend|kv pool|launcher|bump"),
    ("x47", "va", "gemma4 support on ascend — when did it land and for which hw (a2/a3/a5)?",
     None, None, r"gemma.?4", r"^\[ci\]|^\[doc"),
    ("x48", "va", "deepseek v4 fixes specific to a2?",
     None, None, r"(?=.*\ba2\b)(?=.*(deepseek.?v4|dsv4|dsa compressor))", None),
]
# fmt: on


def main() -> int:
    about = __doc__.split("\n\n", 2)[2].strip()
    return derive(VALIDATION3, lambda _qid: "validation3", about, None, OUT)


if __name__ == "__main__":
    raise SystemExit(main())
