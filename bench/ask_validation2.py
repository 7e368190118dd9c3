"""The second validation set of bench/data/ask_questions_validation2.json: a fourth labelled set, beside the tune
and test halves of bench/ask_labels.py and bench/ask_validation.py's set, written from the two repositories' git
histories only (without looking at the held-out questions or at the ranking code), for checking a ranking change
on questions that were not in view when it was made.

    python bench/ask_validation2.py --flashinfer CLONE --vllm-ascend CLONE [--show]

The procedure is bench/ask_labels.py's: the question is written first, the way a team member asks it in chat;
its relevant commits are the non-merge commits of the default branch in the question's window (UTC days; the
repository's whole period when the question names no time) whose subject matches the case-insensitive regex
``match`` and not ``exclude``; ``broad`` when 8 or more are relevant, ``time`` when the question names a
window. Relative time words are read as of ``ASKED_ON``. Every question is in the ``validation2`` split.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ask_labels import derive

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "data" / "ask_questions_validation2.json"

# A fix, in a subject line (used inside a lookahead with the topic's own lookahead).
FIX = r"(?=.*(\bfix|\bbug|hotfix|crash|hang|overflow|correct|repair|restore|guard|\boob\b|\bnan\b))"
# Performance work, in a subject line (the same way).
PERF = r"(?=.*(perf|optimi|faster|speed|accelerat|latency|throughput))"

# (id, repo key, question, since, until, match, exclude); since/until None = the repository's period.
Q = tuple[str, str, str, str | None, str | None, str, str | None]
# fmt: off
VALIDATION2: list[Q] = [
    # flashinfer, English
    ("w01", "fi", "attention backend changes in june? (fa2 / fa3 / trtllm-gen / cudnn / xqa)",
     "2026-06-01", "2026-06-30",
     r"attention|\battn|fmha|\bfa[23]\b|xqa|\bmla\b|batchprefill|prefill_with_kv|decode_with_kv", r"\bmoe\b|gemm(?!a)"),
    ("w02", "fi", "which new gemm variants got added in july (fp8 / fp4 / bf16 / grouped)?",
     "2026-07-01", "2026-07-31",
     r"^(?=.*(gemm|\bmm_|\bbmm|\bmm\b))(?=.*(\badd|support|new\b|introduc|feat|enable))", r"\bfix|\bmoe\b|revert|bmm1|benchmark"),
    ("w03", "fi", "what changed in the fused moe backends last month (cutlass / trtllm-gen / cute dsl)?",
     "2026-07-01", "2026-07-31", r"moe|experts?\b", r"lora|codeowner|owners|moe_ep|moe-ep|nixl|mnnvl|a2a|\bdocs?\b"),
    ("w04", "fi", "norm / rope / activation kernels - any fixes this year?",
     "2026-01-01", None,
     r"^(?=.*(rms.?norm|layer.?norm|\bnorm\b|\brope\b|rotary|activation|silu|gelu|swiglu|relu2?\b|act_and_mul))" + FIX,
     r"\bmoe\b|\(bench\)|fc1|weight and activ"),
    ("w05", "fi", "comm stuff (mnnvl, nvshmem, allgather, allreduce) in june-july",
     "2026-06-01", "2026-07-31", r"mnnvl|nvshmem|all.?gather|all.?reduce|\bcomm\b|\ba2a\b|all.?to.?all|nccl", r"codeowner"),
    ("w06", "fi", "jit / aot refactors in the first half of the year",
     "2026-01-01", "2026-06-30", r"^(?=.*(\bjit|\baot|jit.?cache|compil))(?=.*(refactor|clean|simplif|unif|restructur|move|rework))",
     None),
    ("w07", "fi", "mxfp4 / nvfp4 / mxfp8 kernels: what landed in july?",
     "2026-07-01", "2026-07-31", r"mxfp4|nvfp4|mxfp8|\bfp4\b", None),
    ("w08", "fi", "what ci changes happened in july?",
     "2026-07-01", "2026-07-31", r"\bci\b|\(ci\)|workflow|github action|spot instance|docker", None),
    ("w09", "fi", "release / packaging changes in june? wheels, pypi, nightly builds",
     "2026-06-01", "2026-06-30", r"release|wheel|pypi|packag|nightly|bump version|manylinux|sdist|jit.?cache", None),
    ("w10", "fi", "docker image updates since may?",
     "2026-05-01", None, r"docker|container|\bci images?\b|candidate images", None),
    ("w11", "fi", "test changes in aug - new tests, skips, flaky ones fixed?",
     "2026-08-01", "2026-08-31", r"^tests?[:(]|\btests?\b|\bskip|flaky|pytest|\bxfail", r"codeowner|^perf\("),
    ("w12", "fi", "which prs got reverted and then relanded?",
     None, None,
     r"relu2 nvfp4 & fp8 and support nemotron|lse in trtllm paged attn|sharding support to scripts/task_run|"
     r"revert pr 4122|sm 107 reland|gemm kernels produce nan under concurrency|enable gdc for cutlass gemm", None),
    ("w13", "fi", "anything reverted in q1?",
     "2026-01-01", "2026-03-31", r"\brevert", None),
    ("w14", "fi", "when did sm120 / sm121 support come to the moe kernels?",
     None, None, r"^(?=.*(sm.?12[01x]|sm12|spark|gb10|b12x))(?=.*(moe|expert))", None),
    ("w15", "fi", "blackwell fmha (sm100 / sm103) - what went in and was any of it rolled back?",
     None, None, r"^(?=.*(fmha|attention|\battn|prefill|decode|\bmla\b))(?=.*(blackwell|sm.?10[03x]|b200|b300|trtllm.?gen|cute.?dsl|cubin))",
     r"\bmoe\b|gemm(?!a)|sm.?12|consumer|spark|\btests?\b|xfail|sm.?107|gdn|kda|delta.rule|mamba|docs|benchmark|autotun"),
    ("w16", "fi", "hopper / sm90 fixes last month?",
     "2026-07-01", "2026-07-31", r"^(?=.*(sm.?90|hopper|\bfa3\b|wgmma|h100|h200))" + FIX, None),
    ("w17", "fi", "when did lse support land for the trtllm paged attn kernels?",
     None, None, r"lse in trtllm paged attn", None),
    ("w18", "fi", "which pr added relu2 to the cute dsl moe?",
     None, None, r"^(?=.*relu2)(?=.*cute.?dsl)", None),
    ("w19", "fi", "when did hopper mla get fp8 kv cache support?",
     None, None, r"^(?=.*fp8 kv)(?=.*(sm90|hopper))(?=.*mla)", None),
    # flashinfer, Chinese
    ("w20", "fi", "第二季度 GEMM 相关的性能优化有哪些？",
     "2026-04-01", "2026-06-30", r"^(?=.*(gemm|\bmm_|\bbmm|\bmm\b))" + PERF, None),
    ("w21", "fi", "上半年 attention 内核修了哪些 bug？",
     "2026-01-01", "2026-06-30", r"^(?=.*(attention|\battn|fmha|\bfa[23]\b|xqa|\bmla\b))" + FIX,
     r"^docs|docs\(|\btests?\b|\bskip|benchmark|^restore monolithic|\(aot\)"),
    ("w22", "fi", "今年以来 CuTe DSL 相关的重构有哪些？",
     "2026-01-01", None, r"^(?=.*cute.?dsl)(?=.*(refactor|clean|simplif|unif|restructur|rework))", r"future refactor"),
    ("w23", "fi", "8 月份文档有哪些更新",
     "2026-08-01", "2026-08-31", r"\bdocs?[(:]|\[docs?\]|document|docstring|readme", r"^ci:|\(ci\)"),
    ("w24", "fi", "上个月有哪些提交被 revert 了？后来又重新合入了吗？",
     "2026-07-01", "2026-07-31", r"\brevert|reland|re-land", None),
    ("w25", "fi", "SM120 上 nvfp4 MoE 是什么时候支持的？有没有回滚过？",
     None, None, r"^(?=.*(sm.?12[01x]|sm12|spark|gb10|b12x))(?=.*(nvfp4|\bfp4\b))(?=.*(moe|expert))", None),
    ("w26", "fi", "今年以来 sampling 相关的性能优化",
     "2026-01-01", None, r"^(?=.*(sampl|top.?k|top.?p\b|gumbel))" + PERF, r"moe|routing|^docs"),
    # vllm-ascend, English
    ("w27", "va", "quantization changes since may (w8a8 / w4a8 / mxfp8 / w4a4)?",
     "2026-05-01", None, r"quant|w8a8|w4a8|w4a4|w4a16|mxfp|\bc8\b|fp8|int8", None),
    ("w28", "va", "kv cache / prefix caching changes in june?",
     "2026-06-01", "2026-06-30", r"kv.?cache|prefix.?cach|kv.?pool|kvcache|\bkv\b", None),
    ("w29", "va", "what ci changes went in in june?",
     "2026-06-01", "2026-06-30", r"\[ci\]|\bci\b|workflow|nightly|runner", None),
    ("w30", "va", "release related commits this month?",
     "2026-08-01", "2026-08-31", r"release|changelog", None),
    ("w31", "va", "docker / image build changes since april?",
     "2026-04-01", None, r"docker|image build|build image|\bimages?\b|containerfile", r"multimodal|\bvl\b|image (input|token)|^\[doc"),
    ("w32", "va", "what got reverted and then re-landed in july?",
     "2026-07-01", "2026-07-31",
     r"main2main eplb|^(?!.*gva).*layerwise kv pool|kvcache quant weight related patches|mc2 capacity and moe comm", None),
    ("w33", "va", "qwen3.5 on 310p - when did it land, anything rolled back?",
     None, None, r"^(?=.*310p)(?=.*(qwen3\.?5|qwen 3\.5))", None),
    ("w34", "va", "when did we move to torch-npu 2.10?",
     None, None, r"torch.?npu to 2\.10\.0\s", None),
    # vllm-ascend, Chinese
    ("w35", "va", "第二季度量化相关的修复有哪些？",
     "2026-04-01", "2026-06-30", r"^(?=.*(quant|w8a8|w4a8|w4a4|mxfp|\bc8\b|int8|fp8))" + FIX, r"^\[ci\]"),
    ("w36", "va", "5 月到 7 月 MoE 方面的性能优化",
     "2026-05-01", "2026-07-31", r"^(?=.*(moe|experts?\b|\bep\b|dispatch|combine|\bmc2\b|gmm))" + PERF, None),
    ("w37", "va", "今年以来 attention 相关的重构",
     "2026-01-01", None, r"^(?=.*(attention|\battn|\bmla\b|\bsfa\b|\bdsa\b))(?=.*refactor)", None),
    ("w38", "va", "Ascend 950 是什么时候开始支持的？有没有回退过？",
     None, None, r"ascend.?950|\ba5\b", None),
    ("w39", "va", "3 月到 6 月有哪些改动被回滚后又重新合入了？",
     "2026-03-01", "2026-06-30",
     r"delete mtp_proposer|auto-detect quantization format|cache the code start compilation for npugraph_ex|"
     r"layerwise kv pool", None),
    ("w40", "va", "CANN 9.0 是哪个 PR 升级的？",
     None, None, r"cann(\(|\s)*(to\s*)?9\.0", r"\burl\b|readme"),
]
# fmt: on


def main() -> int:
    about = __doc__.split("\n\n", 2)[2].strip()
    return derive(VALIDATION2, lambda _qid: "validation2", about, None, OUT)


if __name__ == "__main__":
    raise SystemExit(main())
