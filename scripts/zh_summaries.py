"""Do the Chinese rule-based summaries read as Chinese? Counts, over a directory of JSON day reports.

    dailydiff report CLONE --from 2026-04-01 --to 2026-07-31 --lang zh --format json -o DIR --analyzer heuristic
    python scripts/zh_summaries.py DIR [--sample 30 --en EN_DIR --markdown FILE]

A summary is counted as
- mostly English: more Latin letters than CJK characters once its code spans and its names (a title quoted
  in 「」, an author's name) are left out;
- a mention: an ``@name`` outside a code span (in a quoted title too), or a ``cc:`` line;
- a template heading: a PR template's section label (``Description:``, ``## Motivation``, ``Checklist``, a
  checkbox, FlashInfer's 📌/🔍/🚀 section marks);
- a cut word: an ellipsis ("…" or "...") outside its names — a summary is cut at a sentence or not at all
  (a quoted description, 「…」 marked as the pull request's words, may end in one: the quote says it goes on);
- a lone backtick: an odd number of backticks outside its code spans (a cut inside a code span).

With --en DIR (the same range built with --lang en) and --sample N it prints N summaries, spread over the
range, side by side as Markdown (--markdown FILE writes them there too).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
NAME = re.compile(r"「[^」]*」")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")
MENTION = re.compile(r"(?<![\w.`/])@[A-Za-z0-9][\w-]*|\bcc\s*:", re.I)
HEADING = re.compile(
    r"(?im)\b(description|motivation|modifications?|checklist|test plan|related issues?|summary by|"
    r"release notes?|reviewer notes?)\s*:|^#+\s|\[[ xX]\]|📌|🔍|🚀|🧪|⚡"
)
CUT = re.compile(r"…|\.\.\.")


def prose(summary: str) -> str:
    """A summary without its code spans and names."""
    return NAME.sub(" ", CODE_SPAN.sub(" ", summary))


def problems(summary: str) -> list[str]:
    found: list[str] = []
    text = prose(summary)
    if len(LATIN.findall(text)) > len(CJK.findall(text)):
        found.append("english")
    text = CODE_SPAN.sub(" ", summary)  # a quoted title is a name, yet it pings, heads or cuts as well
    if MENTION.search(text):
        found.append("mention")
    if HEADING.search(text):
        found.append("heading")
    if CUT.search(NAME.sub(" ", text)):
        found.append("cut")
    if CODE_SPAN.sub("", summary).count("`") % 2:
        found.append("lone_backtick")
    return found


def summaries(directory: Path) -> dict[str, tuple[str, str, str]]:
    """sha → (day, title, summary) for every analysed commit of every JSON day report under `directory`."""
    out: dict[str, tuple[str, str, str]] = {}
    for path in sorted(directory.rglob("*.json")):
        day = json.loads(path.read_text("utf-8"))
        for commit in day.get("commits", []):
            analysis = commit.get("analysis") or {}
            if analysis.get("summary"):
                out[commit["sha"]] = (day["date"], commit.get("title", ""), analysis["summary"])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--en", type=Path, help="the same range in English, for the side-by-side sample")
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--show", type=int, default=3, help="examples shown per problem")
    args = parser.parse_args()
    zh = summaries(args.directory)
    if not zh:
        print(f"no JSON day reports with summaries under {args.directory}", file=sys.stderr)
        return 1
    counts: dict[str, list[str]] = {k: [] for k in ("english", "mention", "heading", "cut", "lone_backtick")}
    for sha, (_day, _title, summary) in zh.items():
        for problem in problems(summary):
            counts[problem].append(sha)
    print(f"{len(zh)} summaries in {len({d for d, _, _ in zh.values()})} days")
    for problem, shas in counts.items():
        print(f"  {problem:14} {len(shas)}")
        for sha in shas[: args.show]:
            print(f"      {sha[:10]} {zh[sha][2][:160]!r}")
    if args.sample:
        en = summaries(args.en) if args.en else {}
        shas = sorted(zh, key=lambda s: (zh[s][0], s))
        step = max(len(shas) // args.sample, 1)
        picked = shas[::step][: args.sample]
        lines = ["| # | day | zh | en |", "|---|---|---|---|"]
        for n, sha in enumerate(picked, 1):
            cell = lambda text: text.replace("|", "\\|").replace("\n", " ")  # noqa: E731
            lines.append(
                f"| {n} | {zh[sha][0]} `{sha[:8]}` | {cell(zh[sha][2])} | {cell(en.get(sha, ('', '', ''))[2])} |"
            )
        table = "\n".join(lines)
        print(table)
        if args.markdown:
            args.markdown.write_text(table + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
