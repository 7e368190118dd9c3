"""Retrieval quality of `dailydiff search`/`ask` on real history: recall@10 and MRR over the labelled
questions of bench/data/ask_questions.json (flashinfer, 2026-01-01 to 2026-06-30).

    python bench/ask_eval.py --repo /path/to/flashinfer-clone [--data-dir DIR]
    python bench/ask_eval.py --heldout --data-dir DIR [--split test]
    python bench/ask_eval.py --heldout --validation --data-dir DIR
    python bench/ask_eval.py --heldout --validation2 --data-dir DIR
    python bench/ask_eval.py --heldout --validation3 --data-dir DIR
    python bench/ask_eval.py --heldout --validation4 --data-dir DIR
    python bench/ask_eval.py --heldout --validation5 --data-dir DIR
    python bench/ask_eval.py --heldout --validation6 --data-dir DIR
    python bench/ask_eval.py --heldout --validation7 --data-dir DIR
    python bench/ask_eval.py --heldout --validation8 --data-dir DIR
    python bench/ask_eval.py --pairs --data-dir DIR

--pairs asks each Chinese query of PAIRS and its English counterpart over the same store (built in Chinese
by the rules: flashinfer, 2026-01-01 to 2026-03-31) and prints how many of their top 10 they share.

--heldout scores bench/data/ask_questions_heldout.json (bench/ask_labels.py: 64 questions over flashinfer
and vllm-ascend, written before tuning) over a store holding both repositories' reports, each question
limited to its repository (as `--repo` does) and asked as of the set's `asked_on` day. Its recall@10 is
the share of the relevant commits in the top 10, out of at most 10 (a question with 20 relevant commits
scores 1.0 when its top 10 are all relevant); build its store with the heuristic analyser, e.g.
``dailydiff report CLONE --from … --to … --tz UTC --lang en|zh --analyzer heuristic --name owner/name``.
With --validation it scores bench/data/ask_questions_validation.json instead (bench/ask_validation.py: a
third set, written from the git history only, for checking a ranking change before the test half; --split
does not apply), the same way, over the same store; --validation2 scores bench/data/ask_questions_validation2.json
(bench/ask_validation2.py: a fourth set, written the same way) likewise, and --validation3
bench/data/ask_questions_validation3.json (bench/ask_validation3.py: a fifth set, by a fresh hand),
--validation4 bench/data/ask_questions_validation4.json (bench/ask_validation4.py: a sixth set, by another),
--validation5 bench/data/ask_questions_validation5.json (bench/ask_validation5.py: a seventh, written after tuning),
--validation6 bench/data/ask_questions_validation6.json (bench/ask_validation6.py: an eighth, in the tune style),
--validation7 bench/data/ask_questions_validation7.json (bench/ask_validation7.py: a ninth, English-heavy)
and --validation8 bench/data/ask_questions_validation8.json (bench/ask_validation8.py: a tenth, two thirds English).

Builds the reports of the period with the heuristic analyser, in English and in Chinese (once; a data
directory that has them is reused), then asks every question. Prints one line per question and the means.
Exit 1 when recall@10 is under --min-recall (default 0.8).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dailydiff.search import find  # noqa: E402
from dailydiff.store import Store  # noqa: E402
from dailydiff.store.search import SearchFilters  # noqa: E402

QUESTIONS = ROOT / "bench" / "data" / "ask_questions.json"
HELDOUT = ROOT / "bench" / "data" / "ask_questions_heldout.json"
VALIDATION = ROOT / "bench" / "data" / "ask_questions_validation.json"
VALIDATION2 = ROOT / "bench" / "data" / "ask_questions_validation2.json"
VALIDATION3 = ROOT / "bench" / "data" / "ask_questions_validation3.json"
VALIDATION4 = ROOT / "bench" / "data" / "ask_questions_validation4.json"
VALIDATION5 = ROOT / "bench" / "data" / "ask_questions_validation5.json"
VALIDATION6 = ROOT / "bench" / "data" / "ask_questions_validation6.json"
VALIDATION7 = ROOT / "bench" / "data" / "ask_questions_validation7.json"
VALIDATION8 = ROOT / "bench" / "data" / "ask_questions_validation8.json"


def build(repo: Path, data_dir: Path, first: str, last: str) -> None:
    for language in ("en", "zh"):
        command = [sys.executable, "-m", "dailydiff", "report", str(repo), "--from", first, "--to", last,
                   "--tz", "UTC", "--lang", language, "--analyzer", "heuristic", "--data-dir", str(data_dir),
                   "--output-dir", str(data_dir / f"out-{language}"), "--format", "json", "--quiet"]  # fmt: skip
        subprocess.run(command, check=True, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, help="a clone of flashinfer-ai/flashinfer")
    parser.add_argument("--data-dir", type=Path,
                        help="a data directory (built here when it has no store; by default a temporary one)")  # fmt: skip
    parser.add_argument("--min-recall", type=float, default=0.8)
    parser.add_argument("--from", dest="first", help="build from this day instead of the labelled period's")
    parser.add_argument("--to", dest="last", help="build up to this day instead of the labelled period's")
    parser.add_argument("--heldout", action="store_true", help="score the held-out set (see above)")
    parser.add_argument("--split", choices=["tune", "test", "all"], default="all")
    parser.add_argument("--validation", action="store_true", help="score the validation set (see above)")
    parser.add_argument("--validation2", action="store_true", help="score the second validation set")
    parser.add_argument("--validation3", action="store_true", help="score the third validation set")
    parser.add_argument("--validation4", action="store_true", help="score the fourth validation set")
    parser.add_argument("--validation5", action="store_true", help="score the fifth validation set")
    parser.add_argument("--validation6", action="store_true", help="score the sixth validation set")
    parser.add_argument("--validation7", action="store_true", help="score the seventh validation set")
    parser.add_argument("--validation8", action="store_true", help="score the eighth validation set")
    parser.add_argument("--quiet", action="store_true", help="only the summary lines")
    parser.add_argument("--pairs", action="store_true", help="top-10 overlap of Chinese/English queries")
    args = parser.parse_args()
    if args.pairs:
        if not (args.data_dir and (args.data_dir / "dailydiff.sqlite3").exists()):
            parser.error("--pairs needs --data-dir with a store")
        return pairs(args.data_dir)
    validations = (
        args.validation,
        args.validation2,
        args.validation3,
        args.validation4,
        args.validation5,
        args.validation6,
        args.validation7,
        args.validation8,
    )
    if args.heldout or any(validations):
        if not (args.data_dir and (args.data_dir / "dailydiff.sqlite3").exists()):
            parser.error("--heldout needs --data-dir with a store of both repositories' reports")
        return heldout(args)
    labels = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    if args.repo is None and not (args.data_dir and (args.data_dir / "dailydiff.sqlite3").exists()):
        parser.error("--repo is needed to build the store")
    with contextlib.ExitStack() as stack:  # a data directory of its own is removed at the end
        data_dir = args.data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ask-eval-")))
        return evaluate(args, labels, data_dir)


def evaluate(args: argparse.Namespace, labels: dict[str, Any], data_dir: Path) -> int:
    if not (data_dir / "dailydiff.sqlite3").exists():
        build(args.repo, data_dir, args.first or labels["from"], args.last or labels["to"])
    recalls: list[float] = []
    reciprocal: list[float] = []
    took: list[float] = []
    with Store.open(data_dir) as store:
        for item in labels["questions"]:
            started = time.perf_counter()
            result = find(store, item["q"], SearchFilters(), limit=100)
            took.append(time.perf_counter() - started)
            ranked = [hit.doc.sha for hit in result.hits]
            positions = sorted(
                n for n, sha in enumerate(ranked, 1) if any(sha.startswith(r) for r in item["relevant"])
            )
            found = sum(1 for p in positions if p <= 10)
            recall = found / len(item["relevant"])
            rr = 1 / positions[0] if positions else 0.0
            recalls.append(recall)
            reciprocal.append(rr)
            print(f"recall@10 {recall:4.2f}  rr {rr:4.2f}  ranks {positions[:8]!s:<28} {item['q'][:70]}")
    mean_recall = sum(recalls) / len(recalls)
    mrr = sum(reciprocal) / len(reciprocal)
    print(f"\n{len(recalls)} questions: recall@10 {mean_recall:.3f}, MRR {mrr:.3f}; "
          f"retrieval median {sorted(took)[len(took) // 2] * 1000:.1f} ms, max {max(took) * 1000:.1f} ms")  # fmt: skip
    return 0 if mean_recall >= args.min_recall else 1


PAIRS = [("注意力 内核", "attention kernel"), ("采样", "sampling"), ("量化", "quantization"),
         ("路由 专家", "routing expert"), ("回滚", "revert")]  # fmt: skip


def pairs(data_dir: Path) -> int:
    worst = 10
    with Store.open(data_dir) as store:
        for zh, en in PAIRS:
            tops = [[h.doc.sha for h in find(store, q, SearchFilters(), limit=10).hits] for q in (zh, en)]
            shared = len(set(tops[0]) & set(tops[1]))
            worst = min(worst, shared)
            print(f"{zh} / {en}: {len(tops[0])} and {len(tops[1])} found, {shared} of the top 10 shared")
    return 0 if worst >= 7 else 1


def _score(ranked: list[str], relevant: list[str]) -> tuple[float, float, list[int]]:
    positions = sorted(n for n, sha in enumerate(ranked, 1) if any(sha.startswith(r) for r in relevant))
    found = sum(1 for p in positions if p <= 10)
    return found / min(10, len(relevant)), (1 / positions[0] if positions else 0.0), positions


def heldout(args: argparse.Namespace) -> int:
    import datetime as dt

    sets = {
        "validation8": VALIDATION8,
        "validation7": VALIDATION7,
        "validation6": VALIDATION6,
        "validation5": VALIDATION5,
        "validation4": VALIDATION4,
        "validation3": VALIDATION3,
        "validation2": VALIDATION2,
        "validation": VALIDATION,
    }
    chosen_set = next((name for name in sets if getattr(args, name)), None)
    path = sets.get(chosen_set or "", HELDOUT)
    labels = json.loads(path.read_text(encoding="utf-8"))
    split_filter = "all" if chosen_set else args.split
    today = dt.date.fromisoformat(labels["asked_on"])
    rows: list[tuple[dict[str, Any], float, float]] = []
    took: list[float] = []
    with Store.open(args.data_dir) as store:
        for item in labels["questions"]:
            if split_filter != "all" and item["split"] != split_filter:
                continue
            started = time.perf_counter()
            result = find(store, item["q"], SearchFilters(repos=(item["repo"],)), limit=100, today=today)
            took.append(time.perf_counter() - started)
            recall, rr, positions = _score([h.doc.sha for h in result.hits], item["relevant"])
            rows.append((item, recall, rr))
            if not args.quiet:
                print(f"{item['id']} {item['split']:<4} r@10 {recall:4.2f} rr {rr:4.2f} "
                      f"n={len(item['relevant']):<2} ranks {positions[:6]!s:<24} {item['q'][:64]}")  # fmt: skip

    def line(name: str, chosen: list[tuple[dict[str, Any], float, float]]) -> None:
        if chosen:
            recall = sum(r for _, r, _ in chosen) / len(chosen)
            mrr = sum(rr for _, _, rr in chosen) / len(chosen)
            print(f"{name:<22} {len(chosen):3d} questions  recall@10 {recall:.3f}  MRR {mrr:.3f}")

    print()
    for split in (chosen_set,) if chosen_set else ("tune", "test"):
        for language in ("en", "zh", None):
            chosen = [r for r in rows if r[0]["split"] == split and language in (None, r[0]["language"])]
            line(f"{split} {language or 'all'}", chosen)
    for kind in ("broad", "time"):
        line(f"all {kind}", [r for r in rows if kind in r[0]["kinds"]])
    line("all", rows)
    print(f"retrieval median {sorted(took)[len(took) // 2] * 1000:.1f} ms, max {max(took) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
