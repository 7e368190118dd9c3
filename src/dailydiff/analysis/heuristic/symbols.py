"""The definitions a patch adds or removes (``+def f``, ``-class C``, ``+pub fn g``): their sign and name.

The scan reads every changed line of every patch, the rules' second cost after the bodies; a long run
has it done by the worker that reads the bodies (reader.py), and ``definitions`` takes what it found.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dailydiff.common.lazyre import lazy_compile

# A definition added or removed: searched in "\n" + the patch, a line start found as a literal newline (a
# "^" in multiline mode is tried at every character; a literal is skipped to by the regex engine), and a
# line only read on when a definition's keyword follows on it (the lookahead: most changed lines have none).
_DEF_RE = lazy_compile(
    r"\n([+-])(?=[\s\w()]*?(?:def|class|fn|func|function|struct|interface|enum)\s)"
    r"\s*(?:export\s+)?(?:pub(?:\(crate\))?\s+)?(?:async\s+)?(?:def|class|fn|func|function|struct|interface|enum)\s+([A-Za-z_]\w*)",
)
Definitions = list[tuple[str, str]]
_PRIMED: dict[str, Definitions] = {}  # by patch: found elsewhere, while an analysis uses them


def scan(patch: str) -> Definitions:
    """(sign, name) of each definition the patch adds ("+") or removes ("-"), in order."""
    return _DEF_RE.findall("\n" + patch)


def definitions(patch: str) -> Definitions:
    """``scan(patch)``, or what was found for it elsewhere (``primed``)."""
    found = _PRIMED.get(patch)
    return found if found is not None else scan(patch)


@contextmanager
def primed(found: list[tuple[str, Definitions]]) -> Iterator[None]:
    """While in it, ``definitions`` takes these patches' (``scan``'s, run elsewhere)."""
    _PRIMED.update(found)
    try:
        yield
    finally:
        for patch, _ in found:
            _PRIMED.pop(patch, None)
