"""Patterns that name CJK ranges, matched without them on ASCII text (common/lazyre.py ``two_scripts``): every
pair the search modules declare matches ASCII text alike, and an English question compiles none of the CJK
ranges (a search process's start: bench/search_scale.py)."""

from __future__ import annotations

import importlib
import random
import re
import string

import pytest

from dailydiff.common.lazyre import _TwoScripts, two_scripts

MODULES = ["dailydiff.common.searchterms", "dailydiff.search", "dailydiff.search.understand"]
# Runs of the characters the patterns care about: words, identifiers, slashes, punctuation, long runs.
PIECES = ["moe", "FP8", "sm120", "top-k", "a.b_c", "kv/cache", " / ", "  ", "(x)", "*", "-", ".", ",", "x" * 130,
          "Qwen3MoE", "v0.5.1", "!", "?", "\t", "\n", "deepseek-v3/r1"]  # fmt: skip


def _texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    pool = PIECES + list(string.printable)
    return ["".join(rng.choice(pool) for _ in range(rng.randint(0, 12))) for _ in range(count)]


def _declared() -> list[_TwoScripts]:
    for name in MODULES:
        importlib.import_module(name)
    return list(_TwoScripts.made)


def test_the_search_modules_declare_their_cjk_patterns_in_two_scripts() -> None:
    patterns = {p.pattern for p in _declared()}
    assert len(patterns) >= 5  # the token reader, the long-word bound, the question's words, slashes, phrases


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_pair_matches_ascii_text_as_the_whole_pattern_does(seed: int) -> None:
    for declared in _declared():
        whole = re.compile(declared.pattern)
        for text in _texts(seed, 400):
            assert text.isascii()
            assert declared.findall(text) == whole.findall(text), (declared, text)
            assert declared.split(text) == whole.split(text), (declared, text)
            assert declared.sub("#", text) == whole.sub("#", text), (declared, text)
            assert [m.span() for m in declared.finditer(text)] == [m.span() for m in whole.finditer(text)]
            got, want = declared.search(text), whole.search(text)
            assert (got and got.span()) == (want and want.span()), (declared, text)


def test_non_ascii_text_is_matched_by_the_whole_pattern() -> None:
    pattern = two_scripts(r"[一-鿿]+|[a-z]+", r"[a-z]+")
    assert pattern.findall("moe 路由 fix") == ["moe", "路由", "fix"]
    assert pattern.findall("moe routing") == ["moe", "routing"]


_PROBE = """
import datetime as dt, json, sys
from dailydiff.common.lazyre import _TwoScripts
from dailydiff.search import find  # noqa: F401  (every module of a search's question reading)
from dailydiff.search.understand import understand
from dailydiff.common.searchterms import is_chinese, terms
text = sys.argv[1]
understood = understand(text, dt.date(2026, 4, 1))
is_chinese(text), terms(text)
print(json.dumps({"terms": understood.terms, "whole": sorted(p.pattern for p in _TwoScripts.made if vars(p.whole).get("findall")),
                  "ascii": sorted(p.pattern for p in _TwoScripts.made if vars(p.ascii).get("findall"))}))
"""


def _read(question: str) -> dict[str, list[str]]:
    import json
    import subprocess
    import sys
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "src"
    done = subprocess.run([sys.executable, "-c", _PROBE, question], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"})  # fmt: skip
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_an_english_question_compiles_only_the_ascii_side() -> None:
    from dailydiff.common import searchterms

    english = _read("which commits fixed races in topk / moe routing (sm120)?")
    assert "topk" in english["terms"] and len(english["ascii"]) >= 3
    # Only the token reader's whole pattern, for the glossary's Chinese words (read once per process).
    assert english["whole"] == [searchterms._TOKEN_RE.pattern]
    chinese = _read("注意力后端的 moe 路由")
    assert len(chinese["whole"]) >= 3 and any("moe" in t for t in chinese["terms"])
