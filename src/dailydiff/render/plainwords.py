"""What a reader who does not read code is spared (pure): the words of a line that name code — a path, a file
name, an identifier, a call, a code span, a commit hash — taken out whole, never a piece of a word.

One table of token shapes (``TECHNICAL``), read by one pass: a token is a run of non-blank characters with
its surrounding punctuation set aside, and it goes when its core is of one of the shapes. A product or a
term written in mixed case (MoE, CuTe, W4A16, cuDNN, PyTorch, FlashInfer) is a word, not an identifier: only
a name of three capitalised parts or more (``BatchDecodeWrapper``) is. Used by `notes --audience user` and
every stakeholder edition; labels (change types, areas) are ours and never go through it.
"""

from __future__ import annotations

import re

# One row a shape; a token whose core (its surrounding punctuation set aside) fully matches one is dropped.
TECHNICAL: tuple[str, ...] = (
    r".*`.*",  # a code span, or a piece of one
    r"(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}",  # a commit hash
    r"[./~]*/\S*|\S+/\S+/\S+",  # an absolute or relative path, a path of two slashes or more
    r"[^/\s]*[._][^/\s]*/\S*|\S*/[^/\s]*[._]\S*",  # a path with a file name or an identifier in it
    r"[a-z0-9-]{3,}/[a-z0-9-]{3,}",  # a path of two lower-case names (lib/net; not "and/or", not "CI/Build")
    r"\S*\w\.(?:py|pyi|cu|cuh|cc|cpp|cxx|h|hpp|rs|go|ts|js|md|toml|ya?ml|json|txt|sh|cfg|ini|lock)",  # a file
    r"\w*[A-Za-z]\w*_\w+|_\w+",  # snake_case, SCREAMING_CASE, _private
    r"[a-z]+[A-Z][a-z]{2,}\w*",  # camelCase (not cuDNN, vLLM, macOS)
    r"(?:[A-Z][a-z0-9]+){3,}\w*|\w*(?:[A-Z][a-z]+){2,}[A-Z]{2,}\w*",  # a class name of three parts or more
    r"(?!\w+\((?:s|es)\))[\w.]+\(.*\)?",  # a call (not a plural's "signal(s)")
    r"(?=.*[A-Za-z])\w+(?:\.\w+){2,}|[a-z]\w+\.[a-z_]\w+",  # a dotted name (not 1.2.3, not e.g.)
    r"-{1,2}[a-z][\w-]*|\w+=\S*|\S*(?:::|->)\S*",  # a flag, an assignment, a C++ or Rust path
)
_SHAPE = re.compile("|".join(f"(?:{row})" for row in TECHNICAL))
_EDGE = "\"'“”‘’«»,;:!?*"  # what stands around a word in a sentence
_OPEN, _CLOSE = "([{", ")]}"
# A bracket a word went from and whose words all went (what is left holds no letter); a blank before a mark.
_GONE = "\x00"
_EMPTY_GROUP = re.compile(r"[(\[{][^()\[\]{}A-Za-z\u3400-\u9fff]*\x00[^()\[\]{}A-Za-z\u3400-\u9fff]*[)\]}]")
_SPACE_BEFORE = re.compile(r"\s+([,.;:!?)\]}])")
_DANGLING = re.compile(r"[\s,;:(\[{-]+$")


def is_technical(token: str) -> bool:
    """Whether a blank-separated token names code (its surrounding punctuation set aside)."""
    core = token.strip(_EDGE).lstrip(_OPEN + _EDGE)
    if core.endswith(".") and core.count(".") == 1:
        core = core[:-1]  # a sentence's stop
    if "(" not in core:
        core = core.rstrip(_CLOSE + _EDGE)
    return bool(core) and _SHAPE.fullmatch(core) is not None


def plain(text: str) -> str:
    """``text`` with every token that names code dropped whole, a bracket whose words all went dropped with
    them, and the blanks and punctuation they leave tidied."""
    kept = []
    for token in text.split():
        if not is_technical(token):
            kept.append(token)
            continue
        # the sentence's own brackets (those the token does not close itself) and stops stay
        unpaired = {c: max(token.count(c) - token.count(o), 0) for o, c in zip(_OPEN, _CLOSE, strict=True)}
        opened = "".join(
            o * max(token.count(o) - token.count(c), 0) for o, c in zip(_OPEN, _CLOSE, strict=True)
        )
        stop = token[-1] if token[-1] in ".,;:" and is_technical(token[:-1]) else ""
        kept.append(opened + _GONE + "".join(c * n for c, n in unpaired.items()) + stop)
    text = " ".join(kept)
    while (tidied := _EMPTY_GROUP.sub("", text)) != text:
        text = tidied
    text = _SPACE_BEFORE.sub(r"\1", " ".join(text.replace(_GONE, " ").split()))
    return _DANGLING.sub("", text).strip()
