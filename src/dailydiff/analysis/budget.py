"""Token budgeting, pure: which parts of a commit's diff fit in a prompt.

The estimate is offline (no tokenizer download at run time): one token per CJK character plus one per
2.5 other characters, rounded up — a calibrated, slightly pessimistic default for BPE tokenizers.

Selection order: lockfiles, generated, vendored, minified and binary files are left out first; the rest
are taken whole by relevance (source, then config/build/CI/dependencies, then tests, then docs; larger
changes first). A patch that does not fit whole is clipped at a hunk boundary (its first hunks), never
inside a hunk. Everything left out is listed, with the reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from dailydiff.models import FileChange
from dailydiff.scoring.paths import PathKind, classify

_CJK = re.compile(
    r"[\u1100-\u11ff\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]"
)
_HUNK = re.compile(r"^@@ ", re.M)
_MINIFIED_LINE = 1000  # a file whose average line is longer than this is treated as minified

NON_CJK_CHARS_PER_TOKEN = 2.5
MESSAGE_OVERHEAD = 8  # per chat message (role, separators)

_RELEVANCE = {
    PathKind.SOURCE: 0,
    PathKind.CONFIG: 1,
    PathKind.BUILD: 1,
    PathKind.DEPENDENCY: 1,
    PathKind.CI: 2,
    PathKind.TEST: 3,
    PathKind.DOCS: 4,
    PathKind.ASSET: 5,
    PathKind.GENERATED: 6,
}


def estimate_tokens(text: str) -> int:
    if not text:
        return 0
    if text.isascii():  # most diffs: no CJK to count (str.isascii is a flag lookup, not a scan)
        return math.ceil(len(text) / NON_CJK_CHARS_PER_TOKEN)
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / NON_CJK_CHARS_PER_TOKEN)


def estimate_messages(messages: Sequence[dict[str, str]]) -> int:
    return sum(estimate_tokens(m.get("content", "")) + MESSAGE_OVERHEAD for m in messages)


@dataclass(frozen=True)
class FileBlock:
    path: str
    header: str  # "path (status, +a/−d)"
    patch: str  # whole or clipped at a hunk boundary
    hunks_shown: int
    hunks_total: int

    @property
    def clipped(self) -> bool:
        return self.hunks_shown < self.hunks_total


@dataclass(frozen=True)
class Omitted:
    path: str
    reason: str  # "generated", "binary", "no_patch", "budget", "minified"


@dataclass
class DiffSelection:
    blocks: list[FileBlock] = field(default_factory=list)
    omitted: list[Omitted] = field(default_factory=list)

    @property
    def unseen_files(self) -> list[str]:
        """Files the model did not see, and files it saw only in part."""
        partial = [f"{b.path} ({b.hunks_shown}/{b.hunks_total} hunks)" for b in self.blocks if b.clipped]
        return [o.path for o in self.omitted] + partial


def split_hunks(patch: str) -> list[str]:
    """A unified-diff patch as its hunks (each starting with ``@@``); text before the first hunk, if any,
    stays with the first one."""
    starts = [m.start() for m in _HUNK.finditer(patch)]
    if not starts:
        return [patch] if patch else []
    starts[0] = 0
    return [patch[a:b] for a, b in zip(starts, [*starts[1:], len(patch)], strict=True)]


def file_header(change: FileChange) -> str:
    moved = (
        f" ← {change.previous_path}" if change.previous_path and change.previous_path != change.path else ""
    )
    return f"{change.path}{moved} ({change.status.value}, +{change.additions}/−{change.deletions})"


def exclusion_reason(change: FileChange) -> str | None:
    if change.generated or classify(change.path) is PathKind.GENERATED:
        return "generated"
    if change.binary:
        return "binary"
    if not change.patch:
        return "no_patch"
    if len(change.patch) / (change.patch.count("\n") + 1) > _MINIFIED_LINE:
        return "minified"
    return None


def relevance_key(change: FileChange) -> tuple[int, int, str]:
    return (_RELEVANCE.get(classify(change.path), 5), -(change.additions + change.deletions), change.path)


def select_diff(files: Sequence[FileChange], budget_tokens: int) -> DiffSelection:
    """The patches that fit in ``budget_tokens`` (headers included), by relevance; the rest listed."""
    selection = DiffSelection()
    candidates: list[FileChange] = []
    for change in files:
        reason = exclusion_reason(change)
        if reason is None:
            candidates.append(change)
        else:
            selection.omitted.append(Omitted(change.path, reason))
    remaining = max(0, budget_tokens)
    for change in sorted(candidates, key=relevance_key):
        header = file_header(change)
        cost_header = estimate_tokens(header) + 4  # the fence and newlines around the patch
        patch = change.patch or ""
        hunks = split_hunks(patch)
        whole = cost_header + estimate_tokens(patch)
        if whole <= remaining:
            selection.blocks.append(FileBlock(change.path, header, patch, len(hunks), len(hunks)))
            remaining -= whole
            continue
        taken: list[str] = []
        cost = cost_header
        for hunk in hunks:
            hunk_cost = estimate_tokens(hunk)
            if cost + hunk_cost > remaining:
                break
            taken.append(hunk)
            cost += hunk_cost
        if taken:
            selection.blocks.append(FileBlock(change.path, header, "".join(taken), len(taken), len(hunks)))
            remaining -= cost
        else:
            selection.omitted.append(Omitted(change.path, "budget"))
    order = {c.path: i for i, c in enumerate(files)}
    selection.omitted.sort(key=lambda o: order.get(o.path, 0))
    return selection


def clip_text(text: str, budget_tokens: int, marker: str = "\n[…]") -> str:
    """Text cut at a line boundary (or a character, for one long line) to fit ``budget_tokens``."""
    if estimate_tokens(text) <= budget_tokens:
        return text
    if budget_tokens <= estimate_tokens(marker):
        return ""
    limit = budget_tokens - estimate_tokens(marker)
    kept: list[str] = []
    used = 0
    for line in text.splitlines(keepends=True):
        cost = estimate_tokens(line)
        if used + cost > limit:
            if not kept:  # one very long line: cut by characters (every char costs at most one token)
                kept.append(line[:limit])
            break
        kept.append(line)
        used += cost
    return "".join(kept).rstrip("\n") + marker
