"""Who wrote the history before a release's range (its first-time contributors are the others), for `notes`.

The answer is kept in the store by the commit that history ends at (``notes-authors:v1:<commit>``): who
wrote a full history never changes. A store that has only the days has none, and git walks the history
(every commit before the range: on flashinfer about 2,600, 0.07 s of git's CPU) — the range's new
contributors (5 of v0.6.17's 32 authors, 20 of v0.6.16's 64) can only be told by the whole walk, which runs
on a thread of its own while the range is read.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AUTHORS_KEY = "notes-authors:v1:"  # + the commit whose history's authors the store keeps

SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def known_authors(cwd: Path | str, known: Sequence[str]) -> set[str]:
    """The e-mails and names of everyone with a commit in ``known`` (the history before the range), as
    ``ident`` gives them."""
    listed = subprocess.run(["git", "log", "--format=%ae%x00%an", *known, "--"], cwd=cwd, capture_output=True,
                            check=False, env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})  # fmt: skip
    text = listed.stdout.decode("utf-8", "replace").strip()
    plain = {part.strip().lower() for line in text.splitlines() for part in line.split("\0") if part.strip()}
    return {ident(part) for part in plain}


def ident(text: str) -> str:
    """A lowercased e-mail or name as the known authors hold it: a digest (the store keeps hex, which the
    secret scrub leaves as it is, and no address)."""
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class KnownAuthors:
    """Who wrote the history before a range: kept in the store by the commit that history ends at, else
    walked by git on a thread of its own and kept for the next call. ``get`` waits for it and gives its
    answer (or raises what it raised)."""

    key: str  # the store's key ('' : not kept)
    result: Callable[[], set[str]]
    kept: bool = False  # read from the store

    def get(self, store: Any) -> set[str]:
        known = self.result()
        if self.key and not self.kept and known:
            store.save_answer(self.key, json.dumps({"seen": sorted(known)}))
        return known


def kept_authors(text: str | None) -> set[str] | None:
    try:
        seen = json.loads(text)["seen"] if text else None
    except (ValueError, KeyError, TypeError):
        return None
    return {str(s) for s in seen} if isinstance(seen, list) and seen else None


def authors_of(cwd: Path | str, known: Sequence[str], known_commit: str, store: Any) -> KnownAuthors:
    """The authors of ``known``: the store's when it kept them for ``known_commit``, else ``known_authors``
    started now on a thread."""
    key = f"{AUTHORS_KEY}{known_commit}" if known_commit else ""
    kept = kept_authors(store.answer(key)) if key else None
    if kept is not None:
        return KnownAuthors(key, lambda: kept, kept=True)
    future: Future[set[str]] = Future()

    def walk() -> None:
        try:
            future.set_result(known_authors(cwd, known))
        except BaseException as exc:  # given to the reader, which raises it
            future.set_exception(exc)

    threading.Thread(target=walk, name="dailydiff-authors", daemon=True).start()
    return KnownAuthors(key, future.result)
