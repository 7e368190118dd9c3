"""A question's ideas (``Concept``), what it was read as (``Understood``), and the glossary its words are
read by (glossary.toml: 注意力 ↔ attention …, the kinds of change, the hardware). Pure: no I/O beyond
reading the packaged glossary once."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field

from dailydiff.common.packaged import toml
from dailydiff.common.searchterms import terms

_HAN = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
)  # CJK ideographs: extension A, unified, compatibility
CJK = "".join(f"{chr(low)}-{chr(high)}" for low, high in _HAN)  # the ranges as a pattern's class holds them


def has_han(text: str) -> bool:
    """Whether ``text`` holds a CJK ideograph (as ``re.search(f"[{CJK}]", text)``, with no pattern to compile:
    a class of CJK ranges costs milliseconds to compile, and the glossary's few words are short)."""
    return not text.isascii() and any(low <= ord(c) <= high for c in text for low, high in _HAN)


@dataclass(frozen=True)
class Concept:
    """One idea of a question: any of ``terms`` counts for it (they are alternatives)."""

    terms: tuple[str, ...]
    weight: float = 1.0
    source: str = ""  # the question's words it came from
    own: tuple[str, ...] = ()  # the alternatives the question wrote itself (the rest are other names)
    optional: bool = False  # a model's extra search word: it adds to a score, no commit is asked to hold it
    kind: bool = False  # a kind of change ("fixes", "回滚"), not what the change is about
    # A kind asked in a clause of its own after the subject ("… and was any of it rolled back?"): a side
    # question, which counts for less than the subject it asks about.
    aside: bool = False
    # A kind the question asks not to see ("new features, not bugfixes", "不要 bugfix"), or a subject ("not MoE
    # routing"): the commits of that kind, or titled with that subject, come after the others.
    excluded: bool = False


@dataclass(frozen=True)
class Understood:
    concepts: list[Concept]
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    time_words: list[str] = field(default_factory=list)  # the question's words read as a time window
    kinds: list[str] = field(default_factory=list)  # the kinds of change asked for (their first word)
    phrases: list[str] = field(default_factory=list)  # runs of the question's words, as written, in order

    @property
    def terms(self) -> list[str]:
        seen: dict[str, None] = {}
        for concept in self.concepts:
            for term in () if concept.excluded else concept.terms:
                seen.setdefault(term, None)
        return list(seen)


@dataclass(frozen=True)
class Glossary:
    groups: list[tuple[str, ...]]  # each group's index terms
    names: list[str]  # each group's first word
    kinds: frozenset[int]  # which groups are kinds of change
    by_term: dict[str, int]  # an index term → its group
    phrases: list[tuple[str, int]]  # multi-word and Chinese words (lower case), longest first
    stop_zh: list[str]
    narrower: dict[str, tuple[str, ...]]  # a word's index terms → the index terms of the kinds of it


def _with_type_labels(raw: list[tuple[str, list[str]]]) -> None:
    """The reports' own change-type labels ("回滚" is what a zh report calls a revert, "重构" a refactor):
    joined to the kind group that already names the type, or a kind of their own."""
    from dailydiff.common.i18n import LANGUAGES, words

    labels = {lang: words("change_types", lang) for lang in LANGUAGES}
    for change_type in labels["en"]:
        if change_type in ("other", "chore"):
            continue  # "other" names nothing a question asks for
        names = [change_type.replace("_", " ")]
        names += [part for lang in LANGUAGES for part in labels[lang][change_type].split("/")]
        home = next((g for _, g in raw if any(n.lower() in g for n in names)), None)
        if home is not None:
            home.extend(n for n in names if n not in home)
        else:
            raw.append(("kind", names))


def _group(
    index: int, words_: list[str], by_term: dict[str, int], phrases: list[tuple[str, int]]
) -> tuple[str, ...]:
    """A glossary group's index terms; its one-term ASCII words into ``by_term``, its phrases and Chinese
    words into ``phrases``."""
    found: dict[str, None] = {}
    for word in words_:
        single = terms(word)
        if single:
            found.setdefault(" ".join(single), None)
        chinese = has_han(word)
        if len(single) == 1 and not chinese:
            by_term.setdefault(single[0], index)
        if chinese or re.search(r"[\s\-_/]", word.strip()):
            phrases.append((word.lower(), index))
    return tuple(found)


@functools.cache
def glossary() -> Glossary:
    """The glossary as its words are read: built from glossary.toml and the report locales' change-type
    labels."""
    data = toml("search/glossary.toml")
    # copies: the type labels are joined to them, and the parsed table is shared (common/packaged.py)
    raw: list[tuple[str, list[str]]] = [("kind", list(g)) for g in data["kinds"]]
    raw += [("term", list(g)) for g in (*data["hardware"], *data["terms"])]
    _with_type_labels(raw)
    groups: list[tuple[str, ...]] = []
    by_term: dict[str, int] = {}
    phrases: list[tuple[str, int]] = []
    kinds: set[int] = set()
    for index, (what, words_) in enumerate(raw):
        if what == "kind":
            kinds.add(index)
        groups.append(_group(index, words_, by_term, phrases))
    phrases.sort(key=lambda p: -len(p[0]))
    narrower = {" ".join(terms(word)): tuple(dict.fromkeys(" ".join(terms(n)) for n in names))
                for word, names in data["narrower"].items()}  # fmt: skip
    return Glossary(groups, [g[1][0] for g in raw], frozenset(kinds), by_term, phrases,
                     sorted(data["stop_zh"], key=len, reverse=True), narrower)  # fmt: skip
