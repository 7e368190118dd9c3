"""The fourth validation set of bench/data/ask_questions_validation4.json: a sixth labelled set, beside the tune
and test halves of bench/ask_labels.py and the sets of bench/ask_validation.py, bench/ask_validation2.py and
bench/ask_validation3.py, written by another fresh hand from the two repositories' git histories only (without
looking at the held-out questions, at the other sets' questions or at the ranking code), for checking that the
recent ranking changes generalise to questions whose writer's habits were not in view when they were made.

    python bench/ask_validation4.py --flashinfer CLONE --vllm-ascend CLONE [--show]

The procedure is bench/ask_labels.py's: the question is written first, the way a team member asks it in chat;
its relevant commits are the non-merge commits of the default branch in the question's window (UTC days; the
repository's whole period when the question names no time) whose subject matches the case-insensitive regex
``match`` and not ``exclude``; ``broad`` when 8 or more are relevant, ``time`` when the question names a
window. Relative time words are read as of ``ASKED_ON``. Every question is in the ``validation4`` split.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ask_labels import Q, derive

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "data" / "ask_questions_validation4.json"

# A bug fix, in a subject line (a lookahead, combined with the topic's own).
FIX = r"(?=.*(\bfix|bug|hotfix|crash|\bhang|deadlock|overflow|\boob\b|out-of-bounds|\bnan\b|\brace\b|leak|correct))"
# CI / test infrastructure and packaging, in flashinfer's subject lines.
FI_CI = (r"^(ci|cicd|infra)\b|^ci\(|\(ci\)|\[ci|\bci\b|cicd|workflow|runners?\b|docker|spot|pre-commit|"
         r"codeowner|/bot\b|sccache")  # fmt: skip
FI_PACKAGING = (r"wheel|jit-cache|\baot\b|bump version|version to|release|\bpip\b|depend|pyproject|"
                r"submodule|build_backend|cutlass.?dsl.?4|cuda.?tile|cccl|nvshmem|nvidia-|package|install")  # fmt: skip
FI_TEST = (r"^tests?\b|^tests?[(:]|\btests?\b.*\b(split|shard|skip|xfail|prune|trim|flaky)|"
           r"\b(split|shard|skip|xfail|prune|trim)\b.*\btests?\b|unit.?tests?|fuzzer|test resource|test wall time|"
           r"test discovery")  # fmt: skip

# fmt: off
VALIDATION4: list[Q] = [
    # ---- flashinfer: broad questions over a kernel family and its variants ----
    ("y01", "fi", "what went into the sampling kernels this year (top-p, min-p, gumbel, logits processor)?",
     None, None, r"sampling|top.?p\b|top_p|min.?p\b|gumbel|logits.?processor",
     r"moe|rout|expert|benchmark|^docs|tolerance"),
    ("y02", "fi", "第二季度 norm 类的 kernel（rmsnorm、fused add rmsnorm、layernorm、rmsnorm+量化）都改了些啥？",
     "2026-04-01", "2026-06-30", r"norm\b|rmsnorm|layernorm|layer norm|\brms\b", r"renorm|^bench|\(bench\)"),
    ("y03", "fi", "dense gemm side in july/aug — mm_fp4, mm_bf16, mm_mxfp8, bmm_fp8, tinygemm — what changed?",
     "2026-07-01", "2026-08-22", r"mm_fp4|mm_bf16|mm_mxfp8|bmm_fp8|bmm_bf16|mm_fp8|dense gemm|tinygemm|\bgemm\b",
     r"\bmoe\b|grouped|code owner|^docs"),
    ("y04", "fi", "MoE 的激活函数（relu2、geglu、situ、swiglu-oai、gelu tanh）是什么时候一个个加进来的？",
     None, None, r"relu2|geglu|gelu.?tanh|geglu|\bsitu\b|situ-glu|swiglu.?oa|swiglustep|non.?gated|ungated",
     r"^revert|reciprocal|^fix|silent bug"),
    ("y05", "fi", "Q3 so far on the comm side: allreduce, all-to-all / a2a, mnnvl, ulysses — anything notable?",
     "2026-07-01", "2026-08-22",
     r"all.?reduce|all.?to.?all|alltoall|\ba2a\b|mnnvl|ulysses|\(comm\)|comm:|all.?gather|reduce.?scatter",
     r"codeowner|^docs"),
    ("y06", "fi", "GDN（gated delta rule）这块六七月份 prefill / decode / MTP 都做了哪些？",
     "2026-06-01", "2026-07-31", r"\bgdn\b|gated.?delta|delta.?rule|\bwy\b",
     r"^docs|commiter|bench"),
    ("y07", "fi", "MLA changes between may and july (cute-dsl decode, trtllm-gen, cutlass, sparse MLA)?",
     "2026-05-01", "2026-07-31", r"\bmla\b", None),
    ("y08", "fi", "第二季度 fmha_v2 有哪些改动？",
     "2026-04-01", "2026-06-30", r"fmha.?v2|fmhav2", None),
    ("y09", "fi", "上个季度 topk 算子（radix、filtered、deterministic、tie-break）相关的提交有哪些？",
     "2026-04-01", "2026-06-30", r"top.?k", r"moe|rout|expert|alltoall|a2a|sampling"),
    ("y10", "fi", "which fused MoE backends got work for SM120 desktop blackwell (b12x, cutlass, cute-dsl)?",
     None, None, r"(?=.*(moe|experts?\b))(?=.*(sm.?12|b12x|geforce|spark|rtx))", r"^revert"),
    # ---- flashinfer: CI, test, release, packaging in a month ----
    ("y11", "fi", "what CI or test infra changes happened in july?",
     "2026-07-01", "2026-07-31", FI_CI + "|" + FI_TEST, r"codeowner|code owner|autotun|fused_moe|^feat"),
    ("y12", "fi", "八月份 CI 方面有什么变化？",
     "2026-08-01", "2026-08-22", FI_CI, r"codeowner|\(moe\)"),
    ("y13", "fi", "which releases did we cut in july?",
     "2026-07-01", "2026-07-31", r"bump version|release", r"docs?\b.*release|release.*doc|release cuda"),
    ("y14", "fi", "五月份打包/发布相关（wheel、jit-cache、AOT、依赖）有哪些改动？",
     "2026-05-01", "2026-05-31", FI_PACKAGING, None),
    ("y15", "fi", "ci or packaging changes in february?",
     "2026-02-01", "2026-02-28", FI_CI + "|" + FI_PACKAGING, r"codeowner"),
    ("y16", "fi", "test-only changes in june — splitting, skipping, pruning tests etc?",
     "2026-06-01", "2026-06-30", FI_TEST, None),
    ("y17", "fi", "四月份有哪些测试或者 CI 的改动？",
     "2026-04-01", "2026-04-30", FI_CI + "|" + FI_TEST, r"codeowner|code owner"),
    # ---- flashinfer: reverted and re-landed ----
    ("y18", "fi", "which changes got reverted and then landed again later?",
     None, None,
     r"non gated relu2|^revert|reland|add back\b|lse in trtllm paged|sm ?107 support|missing gdc flags|enable gdc|"
     r"sharding support to scripts|filtering clusterdimz",
     r"^revert gdn|blackwell ultra|hide failed spot|skip autotuning"),
    ("y19", "fi", "二季度有哪些先被回滚、后来又重新合进来的改动？",
     "2026-04-01", "2026-06-30", r"lse in trtllm paged|reland|add back\b", None),
    ("y20", "fi", "anything reverted in july? did it come back?",
     "2026-07-01", "2026-07-31",
     r"revert|reland|sm ?107 support|skip autotuning for small token|gdn prefill regression", None),
    # ---- flashinfer: GPU generations ----
    ("y21", "fi", "SM107（Rubin）支持是什么时候加的？中间是不是回滚过？",
     None, None, r"sm ?107|rubin|revert pr 4122", None),
    ("y22", "fi", "when did spark / gb10 (sm121) support show up across the kernels?",
     None, None, r"sm.?121|spark|gb10|arch 12\.1", r"spark unit test|flaky test on spark"),
    ("y23", "fi", "B300 那代（SM103）专门做过哪些优化或修复？",
     None, None, r"sm.?103", r"sm100/sm103"),
    ("y24", "fi", "hopper (sm90) attention work since june — prefill, mla, xqa?",
     "2026-06-01", "2026-08-22",
     r"(?=.*(sm.?90|hopper))(?=.*(attention|prefill|decode|mla|fmha|xqa|fa3))", r"delta rule"),
    ("y25", "fi", "Thor（sm110）有没有相关的改动？",
     None, None, r"sm.?110|\bthor\b", None),
    # ---- flashinfer: narrow ----
    ("y26", "fi", "did the old nightly wheel uploads get turned off at some point?",
     None, None, r"legacy nightly", None),
    ("y27", "fi", "gumbel 采样数值不稳的问题修了吗？",
     None, None, r"gumbel", None),
    ("y28", "fi", "the block-sparse backend for video diffusion models — when did it land, and on which GPUs?",
     None, None, r"video sparse|\bvsa\b", None),
    ("y29", "fi", "今年修过哪些 int32 溢出 / 64 位寻址的问题？",
     None, None, r"int32 overflow|int32 element|overflow|int64|64-bit|widen", r"smem race|buffer overflow|underflow|filteredtopk"),
    ("y30", "fi", "kernel hangs / deadlocks fixed between march and may?",
     "2026-03-01", "2026-05-31", r"\bhang|deadlock|livelock|barrier (sync|bug)", None),
    # ---- vllm-ascend ----
    ("y31", "va", "A5（Ascend 950）的 nightly CI 是什么时候接上的？中间是不是回滚过一次？",
     None, None, r"(?=.*(\ba5\b|(?<![#\d])950(?!\d)))(?=.*(\[ci\]|nightly|pipeline))", None),
    ("y32", "va", "which 310p bugs got fixed in Q2?",
     "2026-04-01", "2026-06-30", r"(?=.*310p)" + FIX, r"^\[doc"),
    ("y33", "va", "上半年有哪些 PR 被 revert 之后又重新提了一遍？",
     None, "2026-06-30",
     r"mtp_proposer|auto-detect quantization format|w8a8c8 support in dsv3.2|restore pr-7029|"
     r"code start compilation for npugraph_ex|layerwise kv pooling",
     None),
    ("y34", "va", "what got reverted in july on vllm-ascend?",
     "2026-07-01", "2026-07-31", r"revert", r"/revert slash"),
    ("y35", "va", "github actions 版本升级（dependabot 那些 bump）从六月开始有哪些？",
     "2026-06-01", "2026-08-22", r"bump (actions|docker|runs-on|dorny)/", None),
    ("y36", "va", "release notes prepared in the last two months?",
     "2026-06-23", "2026-08-22", r"release (note|doc|info)|release version", None),
    ("y37", "va", "五月到七月 vllm 上游版本升级（main2main）做了几次？",
     "2026-05-01", "2026-07-31", r"upgrade.{0,12}vllm|vllm.{0,6}upgrade|main2main.{0,4}upgrade", r"eplb|^\[doc"),
    ("y38", "va", "docker image / dockerfile changes since june?",
     "2026-06-01", "2026-08-22", r"docker|\bimage\b", r"^\[doc|multimodal|image input|image_|images|image token"),
    ("y39", "va", "哪些改动是专门针对 A2 的？",
     None, None, r"\ba2\b", r"^\S*\[a2/a3\]|a2 and a3|on a2/a3|nightly-a2/a3|a2/a3 and a5|^\[doc|a3/a2"),
    ("y40", "va", "eplb work in Q2 (dynamic eplb, expert map, redundant experts)?",
     "2026-04-01", "2026-06-30", r"eplb", None),
    ("y41", "va", "Mooncake 版本升级之后是不是回退过？",
     None, None, r"(?=.*mooncake)(?=.*(bump|upgrade|revert))", None),
    ("y42", "va", "when did cpu pinning get supported on the 950?",
     None, None, r"(?=.*cpu binding)(?=.*(?<![#\d])950(?!\d))", None),
    ("y43", "va", "八月份新加了哪些 e2e / nightly / weekly 测试用例？",
     "2026-08-01", "2026-08-22",
     r"(?=.*(\be2e\b|test|case|nightly|weekly))(?=.*\b(add|adds|enable|new)\b)",
     r"^\[doc|^\[revert|^\[ops|post-processing|build_type"),
    ("y44", "va", "fixes this quarter for the drafter-based spec decode paths (eagle, dflash, dspark)?",
     "2026-07-01", "2026-08-22", r"(?=.*(eagle|dflash|dspark))" + FIX, r"^\[doc|gitleaks|by skip"),
    ("y45", "va", "第二季度 KV pool / KV 卸载（offload）方面有哪些改动？",
     "2026-04-01", "2026-06-30", r"kv.?pool|offload|kvpool", r"weight offload"),
    ("y46", "va", "PCP/DCP context-parallel fixes last month?",
     "2026-07-01", "2026-07-31", r"(?=.*(\bpcp\b|\bdcp\b|context.?parallel))" + FIX, r"^\[doc"),
    ("y47", "va", "dsv3.2 的 C8 精度问题后来是怎么解决的？",
     None, None, r"(?=.*(deepseek.?3\.2|dsv3\.2|deepseek.?v3\.2))(?=.*\bc8\b)(?=.*precision)", None),
    ("y48", "va", "七月份有哪些先 revert 又重新合回来的改动？",
     "2026-07-01", "2026-07-31",
     r"mc2 capacity|kvcache quant weight|main2main eplb|mooncake .{0,16}0\.3\.11|layerwise kv pooling with memcache",
     r"invalid gva"),
]
# fmt: on


def main() -> int:
    about = __doc__.split("\n\n", 2)[2].strip()
    return derive(VALIDATION4, lambda _qid: "validation4", about, None, OUT)


if __name__ == "__main__":
    raise SystemExit(main())
