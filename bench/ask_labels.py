"""The held-out labelled set of bench/data/ask_questions_heldout.json: questions as a team member writes
them, over two real repositories' histories, with the relevant commits found by a fixed git-log procedure.

    python bench/ask_labels.py --flashinfer /path/to/flashinfer --vllm-ascend /path/to/vllm-ascend

Procedure (written down before any tuning, and the same for every question):

1. The question is written first, in English or in Chinese, the way a person asks it (time words, kind
   words, hardware names, no search syntax).
2. Its relevant commits are the non-merge commits of the repository's default branch whose committer date
   falls in the question's window (UTC days; a question without a time scope gets the repository's whole
   period) and whose subject line (first line of the message) matches the question's case-insensitive Perl
   regex ``match`` and not its ``exclude``. The shell equivalent is recorded next to each question:
   ``git log --no-merges --since=… --until=… --format='%h %s' | grep -iP 'match' | grep -viP 'exclude'``.
3. ``kinds``: ``broad`` when 8 or more commits are relevant, ``time`` when the question names a time window.
4. The tune/test split is fixed by ``random.Random(SEED)`` over the question ids, half each, before any
   ranking change is made; the ranking is tuned on ``tune`` only.

This script re-derives every question's relevant commits from a clone (it never edits a question) and
writes the JSON; run it again after changing a question and the diff shows what moved.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "data" / "ask_questions_heldout.json"
SEED = 44
ASKED_ON = "2026-08-23"  # the day after the histories end: relative time words are read from it
REPOS = {
    "fi": ("flashinfer-ai/flashinfer", "2026-01-01", "2026-08-22"),
    "va": ("vllm-project/vllm-ascend", "2026-03-01", "2026-08-22"),
}

# (id, repo key, question, since, until, match, exclude); since/until None = the repository's period.
Q = tuple[str, str, str, str | None, str | None, str, str | None]
# fmt: off
QUESTIONS: list[Q] = [
    # flashinfer-ai/flashinfer
    ("fi01", "fi", "Which commits worked on the top-k kernels (filtered top-k, radix, multi-CTA)?",
     None, None, r"top.?k|topk", r"routing|router|\bmoe\b|sigmoid|routed"),
    ("fi02", "fi", "What changed in sampling between March and June?",
     "2026-03-01", "2026-06-30", r"sampl|top.?p\b", None),
    ("fi03", "fi", "What happened to MoE routing since May?",
     "2026-05-01", None, r"routing|router", None),
    ("fi04", "fi", "Which changes were rolled back, and which were re-landed afterwards?",
     None, None, r"^revert|\brevert\b|re-?land", None),
    ("fi05", "fi", "When did Hopper get FP8 KV cache support for MLA?",
     None, None, r"^(?=.*(sm90|hopper))(?=.*mla)(?=.*fp8)", None),
    ("fi06", "fi", "6 月以来 Hopper（SM90）上有哪些改动？",
     "2026-06-01", None, r"sm90|hopper", None),
    ("fi07", "fi", "SM120/SM121（DGX Spark）上 MoE 的修复有哪些？",
     None, None, r"^(?=.*(sm12|spark|b12x))(?=.*moe)(?=.*(fix|bug|restore))", None),
    ("fi08", "fi", "What CI, docker, release or packaging changes happened in July?",
     "2026-07-01", "2026-07-31", r"\bci\b|docker|workflow|wheel|packag|release|bump|codeowners|nightly", None),
    ("fi09", "fi", "How was the autotuner improved between April and June?",
     "2026-04-01", "2026-06-30", r"autotun", None),
    ("fi10", "fi", "GDN 解码（decode）内核有哪些改动？",
     None, None, r"^(?=.*gdn)(?=.*decode)", None),
    ("fi11", "fi", "Which fixes addressed illegal memory access or out-of-bounds reads?",
     None, None, r"illegal memory|\bima\b|out-of-bounds|out of bounds|\boob\b", None),
    ("fi12", "fi", "4 月到 6 月之间 NVFP4 量化方面有哪些工作？",
     "2026-04-01", "2026-06-30", r"nvfp4", None),
    ("fi13", "fi", "When were the KDA (Kimi delta attention) kernels added and what followed?",
     None, None, r"\bkda\b", None),
    ("fi14", "fi", "Mamba 相关的内核有哪些变化？",
     None, None, r"mamba|selective.state|ssu\b", None),
    ("fi15", "fi", "What did the MLA kernels get in August?",
     "2026-08-01", "2026-08-31", r"\bmla\b", None),
    ("fi16", "fi", "3 月以来 cuDNN 后端有哪些改动？",
     "2026-03-01", None, r"cudnn", None),
    ("fi17", "fi", "Which commits dealt with PDL (programmatic dependent launch)?",
     None, None, r"\bpdl\b|programmatic dependent|\bgdc\b", None),
    ("fi18", "fi", "7 月份文档方面有哪些更新？",
     "2026-07-01", "2026-07-31", r"^docs|docs\(|document", None),
    ("fi19", "fi", "What changed in the XQA decode kernel?",
     None, None, r"xqa", None),
    ("fi20", "fi", "7 月份通信相关（all-reduce、all-to-all、MNNVL）有什么改动？",
     "2026-07-01", "2026-07-31", r"\bcomm\b|comm\)|allreduce|all-reduce|mnnvl|all-to-all|alltoall", None),
    ("fi21", "fi", "Which commits touched JIT compilation since April?",
     "2026-04-01", None, r"\bjit\b", None),
    ("fi22", "fi", "稀疏注意力方面有哪些提交？",
     None, None, r"sparse", None),
    ("fi23", "fi", "When was 0.6.13 released?",
     None, None, r"0\.6\.13", None),
    ("fi24", "fi", "What work went into CuTe DSL fused MoE since July?",
     "2026-07-01", None, r"^(?=.*(cute.?dsl|cutedsl))(?=.*moe)", None),
    ("fi25", "fi", "DeepSeek V4 的支持有哪些提交？",
     None, None, r"dsv4|deepseek.?v4", None),
    ("fi26", "fi", "Which commits changed paged KV cache or page table handling?",
     None, None, r"page.?table|paged|page.?size", None),
    ("fi27", "fi", "FP8 KV cache 的支持是什么时候加的？",
     None, None, r"fp8 kv|kv.{0,12}fp8", None),
    ("fi28", "fi", "What Blackwell (SM100/SM103) specific changes landed in August?",
     "2026-08-01", None, r"sm100|sm103|sm10x|blackwell", None),
    ("fi29", "fi", "2 月份有哪些基准测试（benchmark）方面的改动？",
     "2026-02-01", "2026-02-28", r"bench", None),
    ("fi30", "fi", "8 月份 MoE EP（mega-MoE）有哪些改动？",
     "2026-08-01", "2026-08-31", r"moe_ep|mega.?moe", None),
    ("fi31", "fi", "5 月以来 MoE 路由有哪些改动？",
     "2026-05-01", None, r"routing|router", r"bench"),
    ("fi32", "fi", "3 月到 6 月采样内核有哪些修复？",
     "2026-03-01", "2026-06-30", r"^(?=.*(sampl|top.?p\b|top.?k))(?=.*(fix|bug|race|hang))", r"routing|moe"),
    # vllm-project/vllm-ascend
    ("va01", "va", "Which changes were reverted or re-applied between March and May?",
     "2026-03-01", "2026-05-31", r"revert|reapply|rollback|roll back|re-?land", None),
    ("va02", "va", "6 月份回滚了哪些改动？",
     "2026-06-01", "2026-06-30", r"revert|reapply|rollback|roll back|re-?land", None),
    ("va03", "va", "What was done for the Atlas 310P in the second half of July?",
     "2026-07-16", "2026-07-31", r"310p", None),
    ("va04", "va", "6 月以来 EPLB（专家负载均衡）有哪些改动？",
     "2026-06-01", None, r"eplb", None),
    ("va05", "va", "Which MTP fixes landed in April?",
     "2026-04-01", "2026-04-30", r"^(?=.*mtp)(?=.*(fix|bug))", None),
    ("va06", "va", "7 月以来 Mooncake 相关有哪些改动？",
     "2026-07-01", None, r"mooncake", None),
    ("va07", "va", "When were CANN and torch_npu upgraded?",
     None, None, r"^(?=.*(cann|torch.?npu|\bpta\b))(?=.*(upgrade|update|bump))", None),
    ("va08", "va", "LoRA 支持有哪些进展？",
     None, None, r"lora", None),
    ("va09", "va", "What changed in rejection sampling and the sampler since June?",
     "2026-06-01", None, r"sampl", r"example"),
    ("va10", "va", "8 月份 DeepSeek V4 有哪些修复？",
     "2026-08-01", "2026-08-31", r"^(?=.*(dsv4|deepseek.?v4))(?=.*(fix|bug))", None),
    ("va11", "va", "Which Ascend950 (A5) changes landed in June?",
     "2026-06-01", "2026-06-30", r"ascend950|\ba5\b", None),
    ("va12", "va", "8 月份上下文并行（PCP/DCP）有哪些改动？",
     "2026-08-01", None, r"\bpcp\b|\bdcp\b|context parallel", None),
    ("va13", "va", "Which commits touched W4A8 quantization since July?",
     "2026-07-01", None, r"w4a8", None),
    ("va14", "va", "6 月以来 Kimi 模型相关的提交有哪些？",
     "2026-06-01", None, r"kimi", None),
    ("va15", "va", "What happened to KV pooling (layerwise KV pool) in July?",
     "2026-07-01", "2026-07-31", r"kv.?pool", None),
    ("va16", "va", "7 月份文档翻译有哪些提交？",
     "2026-07-01", "2026-07-31", r"translat", None),
    ("va17", "va", "What was done for GLM-5 between March and May?",
     "2026-03-01", "2026-05-31", r"glm.?5", None),
    ("va18", "va", "MiniMax 模型有哪些修复？",
     None, None, r"^(?=.*minimax)(?=.*(fix|bug))", None),
    ("va19", "va", "Which Triton kernels or Triton changes came in May?",
     "2026-05-01", "2026-05-31", r"triton", None),
    ("va20", "va", "6 月份 Eagle3 推测解码相关改动有哪些？",
     "2026-06-01", "2026-06-30", r"eagle", None),
    ("va21", "va", "What happened with ACL graph mode in April?",
     "2026-04-01", "2026-04-30", r"aclgraph|acl graph|graph mode|npugraph", None),
    ("va22", "va", "RoPE（旋转位置编码）相关的改动",
     None, None, r"rope\b|rotary|mrope", None),
    ("va23", "va", "Which model runner v2 (MRV2) commits landed in July?",
     "2026-07-01", "2026-07-31", r"mrv2|model.?runner.?v2", None),
    ("va24", "va", "3 月到 4 月 W8A8 量化有哪些改动？",
     "2026-03-01", "2026-04-30", r"w8a8", None),
    ("va25", "va", "What fixes went into prefill/decode disaggregation and KV connectors since July?",
     "2026-07-01", None, r"^(?=.*(disagg|\bpd\b|connector))(?=.*(fix|bug))", None),
    ("va26", "va", "8 月份 nightly 测试有哪些变化？",
     "2026-08-01", "2026-08-31", r"nightly", None),
    ("va27", "va", "DSA / SFA sparse attention changes in July",
     "2026-07-01", "2026-07-31", r"\bsfa\b|\bdsa\b|dsa_cp|sfa_", None),
    ("va28", "va", "xlite 相关的提交有哪些？",
     None, None, r"xlite", None),
    ("va29", "va", "Which fixes dealt with out-of-memory or memory leaks?",
     None, None, r"\boom\b|out of memory|memory leak|\bleak", None),
    ("va30", "va", "8 月份 DFlash / DSpark 推测解码做了哪些工作？",
     "2026-08-01", None, r"dspark|dflash", None),
    ("va31", "va", "Qwen3 的精度问题修复有哪些？",
     None, None, r"^(?=.*qwen3)(?=.*(precision|accuracy))", None),
    ("va32", "va", "5 月份量化相关的修复有哪些？",
     "2026-05-01", "2026-05-31", r"^(?=.*(quant|w8a8|w4a8|w4a16|c8\b))(?=.*(fix|bug))", None),
]
# fmt: on


def shell(since: str, until: str, match: str, exclude: str | None) -> str:
    command = (f"git log --no-merges --since={since}T00:00:00Z --until={until}T23:59:59Z --format='%h %s'"
               f" | grep -iP '{match}'")  # fmt: skip
    return command + (f" | grep -viP '{exclude}'" if exclude else "")


def relevant(clone: Path, since: str, until: str, match: str, exclude: str | None) -> list[tuple[str, str]]:
    out = subprocess.run(
        ["git", "-C", str(clone), "log", "--no-merges", f"--since={since}T00:00:00Z",
         f"--until={until}T23:59:59Z", "--format=%H %s"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    found = []
    for line in out.splitlines():
        sha, _, subject = line.partition(" ")
        if re.search(match, subject, re.I) and not (exclude and re.search(exclude, subject, re.I)):
            found.append((sha[:9], subject))
    return found


def derive(
    questions: list[Q], split_of: Callable[[str], str], about: str, seed: int | None, out: Path
) -> int:
    """Each question's relevant commits re-derived from the clones named on the command line, written to
    ``out`` with its split (``split_of(id)``); the command line of this script and of ask_validation.py."""
    parser = argparse.ArgumentParser(description=f"re-derive {out.name} from clones of the two repositories")
    parser.add_argument("--flashinfer", type=Path, required=True)
    parser.add_argument("--vllm-ascend", type=Path, required=True)
    parser.add_argument("--show", action="store_true", help="print each question's commits")
    args = parser.parse_args()
    clones = {"fi": args.flashinfer, "va": args.vllm_ascend}
    items = []
    for qid, key, question, since, until, match, exclude in questions:
        name, first, last = REPOS[key]
        window = (since if since and since > first else first, until if until and until < last else last)
        found = relevant(clones[key], window[0], window[1], match, exclude)
        kinds = (["broad"] if len(found) >= 8 else []) + (["time"] if since or until else [])
        items.append({"id": qid, "repo": name, "language": "zh" if re.search(r"[\u4e00-\u9fff]", question) else "en",
                      "q": question, "kinds": kinds, "split": split_of(qid),
                      "git_log": shell(window[0], window[1], match, exclude),
                      "relevant": [sha for sha, _ in found]})  # fmt: skip
        if args.show:
            print(f"{qid} {len(found):3d} {question}")
            for sha, subject in found:
                print(f"      {sha} {subject[:100]}")
    data = {
        "about": about,
        "seed": seed,
        "asked_on": ASKED_ON,  # "in March", "上个月" are read as of this day
        "repositories": {name: {"from": first, "to": last} for name, first, last in REPOS.values()},
        "questions": items,
    }
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    zh = sum(1 for i in items if i["language"] == "zh")
    broad = sum(1 for i in items if "broad" in i["kinds"])
    timed = sum(1 for i in items if "time" in i["kinds"])
    print(f"{len(items)} questions ({zh} Chinese, {broad} broad, {timed} time-scoped) -> {out}")
    return 0


def main() -> int:
    order = [q[0] for q in QUESTIONS]
    random.Random(SEED).shuffle(order)
    tune = set(order[: len(order) // 2])
    about = __doc__.split("Procedure", 1)[1].split("This script", 1)[0].strip(" :\n")
    return derive(QUESTIONS, lambda qid: "tune" if qid in tune else "test", about, SEED, OUT)


if __name__ == "__main__":
    raise SystemExit(main())
