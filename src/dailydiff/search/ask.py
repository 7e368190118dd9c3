"""Answers from retrieved commits: the prompt's commit list, the citation check, and the answer without an
LLM (the retrieved commits grouped by repository and month with their one-line summaries).

A citation is a short sha in brackets, ``[abc1234]``. Only a commit that was retrieved may be cited: a
line of an answer that cites anything else is dropped before the answer is shown, and counted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dailydiff.common.searchterms import is_chinese
from dailydiff.common.text import clean
from dailydiff.search.rank import Hit

CITATION_RE = re.compile(r"\[([0-9a-f]{7,40})\]")
SHORT = 7
PROMPT_SUMMARY_CHARS = 400
PROMPT_PATHS = 6


@dataclass(frozen=True)
class CheckedAnswer:
    text: str
    cited: list[str]  # short shas, in order of first citation
    dropped_lines: int  # lines that cited a commit that was not retrieved
    language_ok: bool


def short(sha: str) -> str:
    return sha[:SHORT]


def commit_lines(hits: Sequence[Hit], budget_chars: int) -> list[str]:
    """The retrieved commits as the prompt lists them, best first, within ``budget_chars``."""
    lines: list[str] = []
    used = 0
    for hit in hits:
        doc = hit.doc
        paths = ", ".join(doc.paths[:PROMPT_PATHS]) + (" …" if len(doc.paths) > PROMPT_PATHS else "")
        pr = f" (PR #{doc.pr_number})" if doc.pr_number else ""
        summary = clean(doc.summary)[:PROMPT_SUMMARY_CHARS]
        line = (f"[{short(doc.sha)}] {doc.repo} {doc.date.isoformat()} {doc.level}: {clean(doc.title)}{pr}"
                f"\n  summary: {summary}\n  paths: {paths}")  # fmt: skip
        if used + len(line) > budget_chars and lines:
            break
        lines.append(line)
        used += len(line) + 1
    return lines


def check_answer(text: str, hits: Sequence[Hit], question: str) -> CheckedAnswer:
    """Keep the lines whose every citation is a retrieved commit; say whether the language matches."""
    allowed = {short(h.doc.sha) for h in hits}
    kept: list[str] = []
    cited: list[str] = []
    dropped = 0
    for line in clean(text).strip().splitlines():
        found = [c[:SHORT] for c in CITATION_RE.findall(line)]
        if any(c not in allowed for c in found):
            dropped += 1
            continue
        for c in found:
            if c not in cited:
                cited.append(c)
        kept.append(CITATION_RE.sub(lambda m: f"[{m.group(1)[:SHORT]}]", line))
    answer = "\n".join(kept).strip()
    return CheckedAnswer(
        answer, cited, dropped, is_chinese(answer) == is_chinese(question) if answer else False
    )


# A kept answer (`ask` stores one per prompt): what each of its members must be for it to be shown.
_KEPT_SHAPE: dict[str, type | tuple[type, ...]] = {
    "answer": str, "cited": list, "dropped_lines": int, "language_ok": bool, "model": str,
}  # fmt: skip


def kept_answer(text: str) -> dict[str, Any] | None:
    """A kept answer read back, or None when it is not one this version can show (damaged, not JSON, or
    written in another shape): derived data, asked again rather than trusted or failed on."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or any(
        not isinstance(data.get(name), kind) or (kind is int and isinstance(data.get(name), bool))
        for name, kind in _KEPT_SHAPE.items()
    ):
        return None
    if not all(isinstance(c, str) and re.fullmatch(r"[0-9a-f]{7}", c) for c in data["cited"]):
        return None
    if "unusable" in data and not isinstance(data["unusable"], str):
        return None
    return data


def grouped(hits: Sequence[Hit]) -> list[tuple[str, list[tuple[str, list[Hit]]]]]:
    """The hits by repository, then by month, in the order of relevance: the repository and the month
    holding the best match first, each month's commits best first (the newest first among equals), so
    the listing's first commit is the search's."""
    order = {id(hit): n for n, hit in enumerate(hits)}  # the rank the search gave
    repos: dict[str, dict[str, list[Hit]]] = {}
    for hit in hits:
        month = hit.doc.date.strftime("%Y-%m")
        repos.setdefault(hit.doc.repo, {}).setdefault(month, []).append(hit)
    out: list[tuple[str, list[tuple[str, list[Hit]]]]] = []
    best = lambda group: min(order[id(h)] for h in group)  # noqa: E731
    for repo in sorted(repos, key=lambda r: min(best(m) for m in repos[r].values())):
        months = sorted(repos[repo].items(), key=lambda item: best(item[1]))
        out.append((repo, [(m, sorted(hs, key=lambda h: order[id(h)])) for m, hs in months]))
    return out
