"""Benchmark: how often the rule-based change types agree with what a model said.

    python3 bench/change_types.py [--dev-set PATH] [--misses N]

Data:
- the dev set: 5,911 sgl-project/sglang commits with the change types DeepSeek gave them in the old
  tool's reports (``shared/data/sglang_change_types.jsonl.gz``, title only). Commits up to 2026-05-31 are
  the part the rules were tuned on; June–July 2026 is held out and was not looked at while tuning.
- ``bench/data/flashinfer_change_types.json``: 130 flashinfer-ai/flashinfer commits (June–July 2026)
  with their changed paths, labelled by hand by the developer (not the old tool's labels), also held out.

Agreement = our primary (first) type is one of the model's types. The model's labels are mapped to our
vocabulary: 配置调整 → config or ci_build, 架构变更 → refactor, 兼容性调整 → bugfix; the rest one to one.
The old tool asked its model for a restricted set at low importance (no 功能增强 / Bug修复 / 性能优化 at
all: a low fix is 重构 there), so rows are split by the model's importance: medium/high rows used the full
vocabulary and are the headline; low rows are shown apart, raw and projected onto that restricted set.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dailydiff.models import Commit, FileChange, Person  # noqa: E402
from dailydiff.scoring.rules import commit_types  # noqa: E402

LABELS = {
    "功能增强": {"feature"}, "Bug修复": {"bugfix"}, "性能优化": {"performance"}, "重构": {"refactor"},
    "文档更新": {"docs"}, "测试修改": {"test"}, "配置调整": {"config", "ci_build"}, "依赖更新": {"dependency"},
    "安全修复": {"security"}, "回滚": {"revert"}, "架构变更": {"refactor"}, "其他": {"other"},
    "兼容性调整": {"bugfix"},
}  # fmt: skip
# What the old tool's low-importance vocabulary calls each of our types.
LOW_PROJECTION = {"feature": "refactor", "bugfix": "refactor", "performance": "refactor"}
HELD_OUT_FROM = "2026-06-01"
PERSON = Person(name="dev", email="dev@example.com")
MOMENT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _find_dev_set() -> Path | None:
    for base in (ROOT, *ROOT.parents):
        candidate = base / "shared" / "data" / "sglang_change_types.jsonl.gz"
        if candidate.exists():
            return candidate
    return None


def commit_of(title: str, paths: list[str] | None = None, repo: str = "o/r") -> Commit:
    files = [FileChange(path=p, additions=1) for p in paths or []]
    return Commit(repo=repo, sha="0" * 40, author=PERSON, committer=PERSON, authored_at=MOMENT,
                  committed_at=MOMENT, message=title, files=files)  # fmt: skip


def ours(title: str, paths: list[str] | None = None, repo: str = "o/r") -> list[str]:
    return [t.value for t in commit_types(commit_of(title, paths, repo))]


def agreement(rows: list[tuple[list[str], set[str], str]]) -> tuple[float, float]:
    """(primary agrees, any of ours agrees) over (ours, theirs, title) rows."""
    if not rows:
        return 0.0, 0.0
    primary = sum(1 for mine, theirs, _ in rows if mine[0] in theirs)
    anywhere = sum(1 for mine, theirs, _ in rows if set(mine) & theirs)
    return primary / len(rows), anywhere / len(rows)


def line(name: str, rows: list[tuple[list[str], set[str], str]]) -> str:
    primary, anywhere = agreement(rows)
    return f"{name:<52} n={len(rows):>5}  primary {primary:6.1%}  any {anywhere:6.1%}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev-set", type=Path, default=_find_dev_set())
    parser.add_argument("--misses", type=int, default=0, help="print N misses of the tuning part")
    args = parser.parse_args()

    if args.dev_set is None or not args.dev_set.exists():
        print("sglang dev set not found (shared/data/sglang_change_types.jsonl.gz): pass --dev-set PATH")
    else:
        with gzip.open(args.dev_set, "rt", encoding="utf-8") as handle:
            data = [json.loads(text) for text in handle]
        parts: dict[str, list[tuple[list[str], set[str], str]]] = {}
        for row in data:
            theirs = set().union(*(LABELS.get(label, {label}) for label in row["change_types"]))
            split = "held-out" if row["date"] >= HELD_OUT_FROM else "tuning"
            depth = "low" if row["level"] == "low" else "medium/high"
            mine = ours(row["title"], repo="sgl-project/sglang")
            parts.setdefault(f"{split} {depth}", []).append((mine, theirs, row["title"]))
        print(f"sglang, title only ({args.dev_set.name}; held out from {HELD_OUT_FROM}):")
        for name in ("tuning medium/high", "held-out medium/high", "tuning low", "held-out low"):
            rows = parts.get(name, [])
            print("  " + line(name, rows))
            if name.endswith("low"):
                projected = [([LOW_PROJECTION.get(t, t) for t in m], th, ti) for m, th, ti in rows]
                print("  " + line(name + ", projected on the low vocabulary", projected))
        everything = [row for rows in parts.values() for row in rows]
        print("  " + line("all 5,911 (raw)", everything))
        if args.misses:
            confusion = Counter((m[0], "/".join(sorted(th))) for m, th, _ in parts["tuning medium/high"]
                                if m[0] not in th)  # fmt: skip
            print("  most frequent misses (ours → theirs):", confusion.most_common(12))
            misses = [(ti, m, th) for m, th, ti in parts["tuning medium/high"] if m[0] not in th]
            for title, mine, theirs in misses[: args.misses]:
                print(f"    {mine} vs {sorted(theirs)}: {title}")

    labelled = json.loads((ROOT / "bench" / "data" / "flashinfer_change_types.json").read_text("utf-8"))
    repo = labelled["repo"]
    title_rows = [(ours(c["title"], repo=repo), set(c["types"]), c["title"]) for c in labelled["commits"]]
    path_rows = [
        (ours(c["title"], c["paths"], repo), set(c["types"]), c["title"]) for c in labelled["commits"]
    ]
    print("flashinfer (held out, labelled by hand):")
    print("  " + line("title only", title_rows))
    print("  " + line("title + paths", path_rows))
    if args.misses:
        for mine, theirs, title in path_rows:
            if mine[0] not in theirs:
                print(f"    {mine} vs {sorted(theirs)}: {title}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
