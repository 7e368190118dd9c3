"""The security words are looked for in the lower-cased text, case-sensitively (scoring/rules.py): the same
words the case-blind pattern finds in the text itself, for any text."""

from __future__ import annotations

import re
import sys

import pytest

from dailydiff.scoring import rules
from dailydiff.scoring.rules import SECURITY_WORDS, security_words

TEXTS = [
    "Fix CVE-2024-12345 and GHSA-abcd-1234: a Path Traversal in the loader",
    "SECURITY: escape HTML in titles; prevent SQL Injection (sql injection) and an Auth Bypass",
    "Sanitize user-supplied file names; input sanitization of URLs; Denial of Service on long prompts",
    "Resource handling in the source tree; force the token layout; run compute-sanitizer and ASan",
    "\U0001f4cc Description\n\nA Vulnerability in the KV cache; credentials leaked in logs; XSS in the docs",
    "\u212aernel \u017fecurity fix, a DoS attack via \u0130nput sanitization; \u0131njection",  # folded letters
    "Ｃｓｒｆ, ÇSRF, csrf-token, xss_filter, RCE: rce.",
]


def _case_blind(text: str) -> list[str]:
    if rules._SAN.search(text):
        text = rules._SANITIZER_TOOLS.sub(" ", text)
    return sorted({m.group(0).lower() for m in SECURITY_WORDS.finditer(text)})


@pytest.mark.parametrize("text", TEXTS)
def test_the_words_are_the_case_blind_patterns(text: str) -> None:
    assert security_words(text) == _case_blind(text)
    assert security_words(text) or text.startswith("Resource")  # (words that only hold "rce" or "san")


def test_what_the_lower_cased_search_relies_on_holds_for_every_character() -> None:
    """Outside the characters that send a text to the case-blind pattern, a character lower-cases to one
    character that is a word character, a digit or a space exactly when it is, and a case-blind match takes
    it for an ASCII letter exactly when its lower case is that letter."""
    letters = {ch: re.compile(f"(?i){ch}") for ch in "abcdefghijklmnopqrstuvwxyz"}
    kinds = [re.compile(k) for k in (r"\w", r"\d", r"\s")]
    for c in map(chr, range(sys.maxunicode + 1)):
        if rules._FOLDS.match(c):
            continue
        lower = c.lower()
        assert len(lower) == 1, hex(ord(c))
        assert all(bool(k.match(c)) == bool(k.match(lower)) for k in kinds), hex(ord(c))
        if ord(c) > 127 or c.isupper():
            assert all(bool(letter.match(c)) == (lower == ch) for ch, letter in letters.items()), hex(ord(c))
