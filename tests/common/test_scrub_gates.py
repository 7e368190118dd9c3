"""The scrub looks closer before its slow patterns ("token", SMTP "AUTH") and finds a URL's credentials from
its "//": the same text comes out as from the patterns alone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dailydiff.common import secrets
from dailydiff.common.secrets import MASK, scrub

CASES = [
    "AUTH PLAIN dGVzdDp0ZXN0",
    "auth\tlogin dGVzdDp0ZXN0 then AUTH\nXOAUTH2 dXNlcj1h",
    "Token abcdefgh1234567890xyz",
    "token\nabc1234567890123456789",
    "TO\u212aEN 1234567890abcdefghij",  # a Kelvin sign is a "k" to a case-blind match
    "https://user:pass@host/x, ///x@y, //a//b@c, //a@//b@, s3://k@bucket",
    "the author of the tokenizer, with authentication tokens",
    "per-token 8-bit scales; token abcdefghijklmnop1; token ab;cdefghijklmnop12; token 1234567890abcde",
    "Token \u0130abcdefghijklmnop9 and token \u0661bcdefghijklmnopq",  # lower() lengthens İ; an Arabic digit
]


def _by_the_patterns_alone(text: str) -> str:
    lower = text.lower()
    for needles, pattern, replacement in secrets._PATTERNS:
        if any(n in lower for n in needles):
            text = pattern.sub(replacement, text)
    return text


def _looked_behind(text: str) -> str:
    """The URL rule as it was written before: the credentials after a "//" looked behind for."""
    return re.sub(r"(?<=//)[^/@\s\"'<>]+@", f"{MASK}@", text)


@pytest.mark.parametrize("text", CASES)
def test_the_gates_change_nothing(text: str) -> None:
    assert scrub(text) == _by_the_patterns_alone(text)
    assert MASK in scrub(text) or "author" in text


@pytest.mark.parametrize("text", [c for c in CASES if "//" in c])
def test_the_url_rule_masks_what_the_look_behind_did(text: str) -> None:
    url_rule = next(p for needles, p, _ in secrets._PATTERNS if needles == ("//",))
    assert url_rule.sub(f"//{MASK}@", text) == _looked_behind(text)


def test_what_the_gates_rely_on_holds_for_every_character() -> None:
    """A character a case-blind match takes for a letter of "token" or "auth" lower-cases to that letter,
    and a space's lower case is a space: the gates read the lower-cased text."""
    space = re.compile(r"\s")
    for letter in "tokenauh":
        blind = re.compile(f"(?i){letter}")
        assert all(chr(c).lower() == letter for c in range(sys.maxunicode + 1) if blind.fullmatch(chr(c)))
    assert all(space.fullmatch(chr(c).lower()) for c in range(sys.maxunicode + 1) if space.fullmatch(chr(c)))
    # the "token" gate's credential: a character that does not end it does not lower-case to one that does,
    # a digit stays a digit, and nothing lower-cases to nothing
    ends = re.compile(r"[\s\"',;]")
    for c in map(chr, range(sys.maxunicode + 1)):
        lower = c.lower()
        assert lower and (bool(ends.search(lower)) == bool(ends.fullmatch(c)))
        assert not re.fullmatch(r"\d", c) or lower == c


def test_the_patterns_are_compiled_when_a_text_needs_them() -> None:
    # Start-up: importing the scrub and scrubbing a plain line compile none of the credential patterns; a
    # text with a needle compiles what it needs, and scrubs as before.
    probe = ("import dailydiff.common.secrets as s; s.scrub('64 commits, 3 reused'); "
             "print(sum(p._compiled is not None for _, p, _ in s._PATTERNS)); "
             "print(s.scrub('Authorization: Bearer abc123def456'))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(Path(secrets.__file__).parents[2])})  # fmt: skip
    assert done.stdout.splitlines() == ["0", f"Authorization: Bearer {MASK}"]
