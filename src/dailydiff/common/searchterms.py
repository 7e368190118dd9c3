"""The words of the search index: one function turns any text (a title, a path, an analysis, a question) into
index terms, so the store's index (SQLite FTS5, PostgreSQL tsvector) and the ranking see the same terms.

- Latin words are lowercased and stemmed from three letters on (Snowball's English stemmer: "backends" and
  "backend" meet, so do "ops" and "op"); identifiers split at ``_``, ``-``, ``.``, ``/`` and camelCase, so
  ``fused_moe.py`` gives ``fuse moe py``; an upper-case name's plural or version ("APIs", "DSv4") and a short
  mixed-case name ("MoE") stay one word. The index also holds a numbered name's name ("GLM5" is "glm glm5"),
  so a question for "GLM" finds every version of it (``index_terms``).
- Chinese (and Japanese, Korean) runs become overlapping character bigrams — the usual way to index text
  without spaces — so "注意力后端" matches "注意力" and "后端": no dictionary, nothing downloaded.
- Questions lose their question words ("what", "which", "changed", "哪些") before they become terms.

Pure: no I/O; the stemmer is imported on first use.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from dailydiff.common.lazyre import lazy_compile, two_scripts

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN_RE = two_scripts(rf"[{_CJK}]+|[A-Za-z0-9]+", r"[A-Za-z0-9]+")
# camelCase splits before an upper-case letter that starts a word ("fusedMoe", "HTTPServer", "FP4Quant",
# "Qwen3MoE"); not inside an upper-case run that a plural "s" or a version "v4" follows ("APIs", "DSv4" are
# one word each).
_CAMEL_RE = re.compile(
    r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z](?!s(?![a-z]))(?!v\d)[a-z])|(?<=[0-9])(?=[A-Z][a-z])"
)
_PREFIX_RE = re.compile(r"[a-z]{1,2}")
_ACRONYM_RE = re.compile(r"[A-Z]{2,}[0-9]*")
_SINGLE_CAPITAL_RE = re.compile(r"[A-Z]")
_SHORT_WORD_RE = re.compile(r"[A-Z][a-z]{1,2}")
_ACRONYM_PLURAL_RE = re.compile(r"[A-Z]{2,}s")  # "GPUs", "IDs": the plural of an upper-case name
_ACRONYM_PLURAL_WORD_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2,})s(?![A-Za-z0-9])")
# A version's "v" before its dotted number is no part of it ("v0.25" is the "0.25.0" a title writes).
# (The "v" is matched before what precedes it is looked at: most characters are no "v".)
_VERSION_V_RE = re.compile(r"[vV](?<![A-Za-z0-9][vV])(?=\d+\.\d)")
_CJK_RE = lazy_compile(rf"[{_CJK}]")

# Words a question is made of but a commit is not found by. Kept short: a word that could name a change
# ("add", "remove", "fix", "support", "api") stays.
_STOP_EN = frozenset(
    [
        "a",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "done",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "since",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "up",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "within",
        "would",
        "you",
        "your",
        "about",
        "after",
        "before",
        "between",
        "during",
        "over",
        "under",
        "via",
        "all",
        "also",
        "just",
        "only",
        "some",
        "such",
        "there's",
        "what's",
        "changed",
        "change",
        "changes",
        "commit",
        "commits",
        "happened",
        "happen",
        "did",
        "show",
        "side",
        "tell",
        "list",
        "give",
        "find",
        "anything",
        "something",
        "thing",
        "things",
        "ever",
        "last",
        "recent",
        "recently",
        "latest",
        "new",
        # what a question says of a change that a commit does not: "what landed", "which work went in"
        "happened",
        "history",
        "landed",
        "went",
        "go",
        "done",
        "work",
        "worked",
        "get",
        "got",
        "came",
        "come",
        "dealt",
        "deal",
        "touched",
        "touch",
        "specific",
        "related",
        "around",
        "afterwards",
        "later",
        "month",
        "months",
        "year",
        "week",
        "half",
        "second",
        "improved",
        "kind",
        "area",
        "areas",
        "team",
        "people",
        "followed",
        "follow",
        "made",
        "arrive",
        "arrived",
        "arrival",
        "pr",
        "prs",
        "story",
        "summarize",
        "summarise",
        "summary",
        "overview",
        "news",
        "happening",
        "status",
        "written",
        "progress",
        "update",
        "updates",
        "issue",
        "issues",
        "problem",
        "problems",
        # what stands for the things a question names ("the flaky ones", "comm stuff")
        "one",
        "ones",
        "stuff",
        "please",
        "pls",
        "across",
        "land",
        "lands",
        "built",  # "what was built for X": made, not a build change
    ]
)


@functools.cache
def _stemmer() -> object:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


# Irregular forms the stemmer cannot bring to their word ("indices" is "indic" to it, "index" "index").
_IRREGULAR = {
    "indices": "index",
    "matrices": "matrix",
    "vertices": "vertex",
    "built": "build",
    "rebuilt": "rebuild",
    "broke": "break",
    "broken": "break",
    "ran": "run",
}


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_stemmer().stemWord(_IRREGULAR.get(word, word)))  # type: ignore[attr-defined]


def plain_width(text: str) -> str:
    """Full-width letters and digits as ASCII ("ＦＰ８", "７月" as "FP8", "7月": some Chinese input methods
    write them so), by Unicode's compatibility normalisation (NFKC)."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def singular_acronyms(text: str) -> str:
    """An upper-case name's plural written as its name ("GPUs" -> "GPU"), for text about to be lowercased
    (a lowercased "gpus" no longer shows it is one: the stemmer keeps it)."""
    return _ACRONYM_PLURAL_WORD_RE.sub(r"\1", text)


def _written_words(text: str) -> str:
    return _VERSION_V_RE.sub("", plain_width(text))


def _camel_parts(token: str) -> list[str]:
    """The words of a camelCase token; a capital, up to two small letters and a capital ("MoE", "NaN",
    "ViT", "TopK") is one name, not "Mo" and "E", and so is an upper-case name after a small prefix
    ("vLLM", "cuDNN")."""
    parts: list[str] = []
    for part in _CAMEL_RE.split(token):
        if parts and _SINGLE_CAPITAL_RE.fullmatch(part) and _SHORT_WORD_RE.fullmatch(parts[-1]):
            parts[-1] += part
        elif len(parts) == 1 and _PREFIX_RE.fullmatch(parts[0]) and _ACRONYM_RE.fullmatch(part):
            parts[0] += part  # "vLLM", "cuDNN", "nvFP4": a small prefix of an upper-case name is part of it
        else:
            parts.append(part)
    return parts


@functools.lru_cache(maxsize=65536)
def _latin(token: str) -> tuple[str, ...]:
    """A Latin-script token's terms (a token recurs: remembered, as the stems are)."""
    words = (
        (part[:-1] if _ACRONYM_PLURAL_RE.fullmatch(part) else part).lower() for part in _camel_parts(token)
    )
    return tuple(_stem(word) if word.isalpha() and len(word) > 2 else word for word in words if word)


def _cjk(run: str) -> Iterable[str]:
    if len(run) == 1:
        yield run
        return
    for i in range(len(run) - 1):
        yield run[i : i + 2]


@functools.lru_cache(maxsize=65536)
def _token_terms(token: str) -> tuple[str, ...]:
    """A token's terms: a CJK run's characters two by two, a Latin-script token's ``_latin`` terms."""
    return tuple(_cjk(token)) if _is_cjk_run(token) else _latin(token)


def _is_cjk_run(token: str) -> bool:
    """Whether a token of ``_TOKEN_RE`` is a CJK run (else it is ASCII letters and digits): no pattern to
    compile for it."""
    return not token.isascii()


def terms(text: str) -> list[str]:
    """The index terms of ``text``, in order, repeats kept (they count as term frequency)."""
    return list(itertools.chain.from_iterable(map(_token_terms, _TOKEN_RE.findall(_written_words(text)))))


# A name with its version or size run together ("GLM5", "Qwen3", "Llama3", "int32"): the index also holds the
# name alone, so a question for "GLM" or "Qwen" finds every version of it. Two letters are too few to be a
# name ("sm120", "fp8", "h100" stay whole).
_NUMBERED_NAME_RE = re.compile(r"([a-z]{3,})[0-9]{1,4}")


@functools.lru_cache(maxsize=65536)
def _index_token_terms(token: str) -> tuple[str, ...]:
    """A token's ``index_terms`` (a token recurs: remembered)."""
    out: list[str] = []
    for term in _token_terms(token):
        named = _NUMBERED_NAME_RE.fullmatch(term)
        if named:
            out.append(_stem(named.group(1)))
        out.append(term)
    return tuple(out)


def index_terms(text: str) -> list[str]:
    """The terms the index holds for ``text``: its ``terms``, each numbered name after the name alone (so the
    number still follows it: "qwen qwen3 5" is a phrase "qwen3 5")."""
    return list(
        itertools.chain.from_iterable(map(_index_token_terms, _TOKEN_RE.findall(_written_words(text))))
    )


# A commit's fields as the index holds them --------------------------------------------------------------

PR_BODY_CHARS = 2000  # a pull request's description (a commit's body) beyond this adds words, not meaning


def commit_index_texts(message: str, pr: Any, files: Iterable[Any], analysis: Any) -> dict[str, str]:
    """The text of each field the index holds for a commit (its title, pull request, paths, analysis and
    body), as the store indexes them (store/search.py)."""
    files = list(files)
    paths = [f.path for f in files] + [f.previous_path for f in files if f.previous_path]
    analysis_text = ""
    if analysis is not None:
        parts = [analysis.summary, analysis.importance_reason, *analysis.impact, analysis.insights.architecture,
                 analysis.insights.performance, analysis.insights.security, *analysis.risks,
                 *analysis.recommendations, *(c.value for c in analysis.change_types)]  # fmt: skip
        analysis_text = "\n".join(p for p in parts if p)
    title, _, body = message.partition("\n")
    pr_text = f"{pr.title}\n{' '.join(pr.labels)}\n{pr.body[:PR_BODY_CHARS]}" if pr else ""
    return {"f_title": title, "f_pr": pr_text, "f_paths": " ".join(paths), "f_analysis": analysis_text,
            "f_body": body[:PR_BODY_CHARS]}  # fmt: skip


def indexed_words(text: str) -> str:
    """``index_terms`` of ``text`` as the index stores them (space-separated)."""
    return " ".join(index_terms(text))


def is_stop_word(word: str) -> bool:
    """Whether an English word is one a question is made of but a commit is not found by."""
    return word.lower() in _STOP_EN


def is_chinese(text: str) -> bool:
    """Whether a question is written in Chinese (enough CJK characters to answer in Chinese)."""
    if text.isascii():
        return False
    cjk = len(_CJK_RE.findall(text))
    latin = sum(len(t) for t in re.findall(r"[A-Za-z]+", text))
    return cjk > 0 and cjk * 2 >= latin / 2
