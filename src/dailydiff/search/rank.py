"""Ranking the commits a question finds: text match (BM25 over the fields, a title counting most), how many
of the question's terms a commit holds, then importance and recency as tie-breakers.

Pure: it reads the index terms the store kept for each candidate, so SQLite and PostgreSQL rank alike.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from dailydiff.common.searchterms import terms
from dailydiff.search.understand import Concept
from dailydiff.store.search import FIELDS, SearchDoc

# How much a term counts in each field (BM25F): what a commit is called matters most, then where it
# changed things and what its pull request says.
FIELD_WEIGHTS: Mapping[str, float] = {
    "f_title": 3.0,
    "f_pr": 1.2,
    "f_paths": 2.0,
    "f_analysis": 0.5,
    "f_body": 0.3,
}
K1 = 1.2
B = 0.6
LEVEL_BOOST: Mapping[str, float] = {"high": 0.12, "medium": 0.05, "low": 0.0}
RECENCY_DAYS = 180.0  # the half-life of the recency boost
RECENCY_BOOST = 0.08
OTHER_NAME = 0.7  # a concept's other names (synonyms, translations) count less than the question's words
TITLE_BOOST = 2.0  # a title that names the question's ideas: what a commit is, not what it mentions
PHRASE_BOOST = 0.25  # a title that says a run of the question's words as written
KIND_FLOOR = 3.0  # a kind of change counts at most as much as the question's weightiest subject, or this
ASIDE = 0.3  # a kind asked on the side ("… and was any of it rolled back?") counts this much of that cap
IN_IDENTIFIER = 0.5  # a title naming an idea only inside an identifier ("enable_pdl") says it less
# A question asking only for a kind of change ("CI, test or release changes in July"): a title that starts
# with the kind ("ci: …", "test(moe): …", "[Revert] …", "bump version …") is of that kind before one that
# mentions it further on ("feat: … and add tests").
KIND_PREFIX = 0.5
EXCLUDED = (
    0.2  # a commit of a kind the question asks not to see ("new features, not bugfixes") counts this much
)
COVERAGE_BASE = (
    0.5  # a commit holding every idea of the question scores (0.5 + 1) / 0.5 = 3 times one holding none
)


@dataclass(frozen=True)
class Hit:
    doc: SearchDoc
    score: float
    matched: tuple[str, ...]  # the question's terms this commit holds
    also_in: tuple[str, ...] = ()  # the other repositories the store holds this commit under


def _weighted_tf(doc: SearchDoc, query: Sequence[str]) -> tuple[dict[str, float], float]:
    """Each query term's (or phrase's) frequency in the document, weighted by field, and the weighted
    length. The fields are the stored space-separated terms: counting ``" term "`` needs no split, and a
    phrase ``" a b "`` is its terms in order."""
    counts = dict.fromkeys(query, 0.0)
    length = 0.0
    for name in FIELDS:
        weight = FIELD_WEIGHTS[name]
        text = doc.fields.get(name, "")
        if not text:
            continue
        length += weight * (text.count(" ") + 1)
        padded = f" {text} "
        for term in query:
            found = padded.count(f" {term} ")
            if found:
                counts[term] += weight * found
    return counts, length


def _identifier_only(title: str) -> frozenset[str]:
    """The terms a raw title holds only as parts of snake_case identifiers ("pdl" of ``enable_pdl``), never
    as a word of their own: the commit names something built on the idea, not the idea."""
    inside: set[str] = set()
    alone: set[str] = set()
    for token in re.findall(r"[A-Za-z0-9]+(?:_+[A-Za-z0-9]+)*", title):
        (inside if "_" in token else alone).update(terms(token))
    return frozenset(inside - alone)


_TAGS_RE = re.compile(r"^\s*((?:\[[^\]]*\]\s*)+)(\S*)")


def _leading(title: str, first_word: str) -> frozenset[str]:
    """The words a title starts with: its first, or, after leading tags ("[BugFix][Ops] Revert …"), the
    tags' words and the first word after them."""
    tags = _TAGS_RE.match(title)
    if not tags:
        return frozenset((first_word,))
    return frozenset((*terms(tags.group(1)), *terms(tags.group(2))[:1]))


@functools.lru_cache(maxsize=256)
def type_terms(change_type: str) -> str:
    """A change type as the index writes it ("ci_build" is "ci build")."""
    return " ".join(terms(change_type.replace("_", " ")))


def _own_names(concept: Concept) -> tuple[str, ...]:
    """The names of an idea a title says it by as the question does: the question's own words, and their
    translations (a Chinese question's 精度 is "precision" in an English title); not the idea's other
    names in the question's own language (a question for "b12x" is not one for "SM120")."""
    if not concept.own:
        return concept.terms
    scripts = {t.isascii() for t in concept.own}
    return tuple(t for t in concept.terms if t in concept.own or t.isascii() not in scripts)


def concept_idf(
    concept: Concept, total: int, doc_counts: Mapping[str, int], typed: Mapping[str, int] | None = None
) -> float:
    """How rare an idea is: its commonest alternative's count stands for how many documents hold any. A
    kind of change counts where it is found, in what the analyses typed (``typed``: a change type as the
    index writes it → its documents): "test" is in most commits' paths, a test change in few."""
    held = max((doc_counts.get(t, 0) for t in concept.terms), default=0)
    typed_so = max((typed.get(t, 0) for t in concept.terms), default=0) if concept.kind and typed else 0
    if typed_so:
        held = min(held, typed_so)
    return math.log(1 + (max(total, 1) - held + 0.5) / (held + 0.5))


@dataclass(frozen=True)
class _Asked:
    """What a question asks, worked out once for all its candidates: its ideas as weights, the kinds and
    subjects it asks not to see, and the best score a commit can reach."""

    concepts: list[Concept]
    idf: list[float]  # each idea's weight: its rarity, a kind capped by the question's subject
    names: list[dict[str, float]]  # each idea's names as weights (the question's own count most)
    own_names: list[tuple[str, ...]]
    alternatives: list[str]  # every name of every idea some document holds
    asked_kinds: frozenset[str]
    excluded: list[frozenset[str]]  # kinds asked not to see
    excluded_subjects: list[tuple[str, ...]]  # subjects asked not to see
    subject: float  # the weightiest subject's weight (0: the question asks only for kinds of change)
    best_possible: float

    @classmethod
    def of(cls, concepts: Sequence[Concept], total: int, doc_counts: Mapping[str, int],
           typed: Mapping[str, int] | None) -> _Asked:  # fmt: skip
        excluded, excluded_subjects = _excluded(concepts)
        concepts = [c for c in concepts if not c.excluded and any(doc_counts.get(t) for t in c.terms)]
        asked_kinds = frozenset(t for c in concepts if c.kind for t in c.terms)
        alternatives = _alternatives(concepts, doc_counts)
        idf, subject = _weights(concepts, total, doc_counts, typed)
        best_possible = sum(w for c, w in zip(concepts, idf, strict=True) if not c.optional) or 1.0
        return cls(concepts, idf, _names(concepts), [_own_names(c) for c in concepts], alternatives, asked_kinds,
                   excluded, excluded_subjects, subject, best_possible)  # fmt: skip


def _alternatives(concepts: Sequence[Concept], doc_counts: Mapping[str, int]) -> list[str]:
    """Every name of every idea some document holds."""
    return list(dict.fromkeys(t for c in concepts for t in c.terms if doc_counts.get(t)))


def _excluded(concepts: Sequence[Concept]) -> tuple[list[frozenset[str]], list[tuple[str, ...]]]:
    """The kinds and the subjects a question asks not to see."""
    return ([frozenset(c.terms) for c in concepts if c.excluded and c.kind],
            [c.terms for c in concepts if c.excluded and not c.kind])  # fmt: skip


def _names(concepts: Sequence[Concept]) -> list[dict[str, float]]:
    """What each concept needs per document, worked out once: its names as weights (its own names most)."""
    return [{t: (1.0 if t in c.own else OTHER_NAME) for t in c.terms} for c in concepts]


def _weights(
    concepts: Sequence[Concept], total: int, doc_counts: Mapping[str, int], typed: Mapping[str, int] | None
) -> tuple[list[float], float]:
    """Each idea's weight (its rarity; a kind capped by the question's subject), and the weightiest
    subject's (0 when the question asks only for kinds of change)."""
    idf = [concept_idf(c, total, doc_counts, typed) * c.weight for c in concepts]
    subjects = [w for c, w in zip(concepts, idf, strict=True) if not c.kind and not c.optional]
    subject = max(subjects, default=0.0)
    if subject:  # a kind of change asked for ("and was it rolled back?") never outweighs what it is about
        cap = max(subject, KIND_FLOOR)
        idf = [
            min(w, cap * (ASIDE if c.aside else 1.0)) if c.kind else w
            for c, w in zip(concepts, idf, strict=True)
        ]
    return idf, subject


def rank(
    docs: Sequence[SearchDoc],
    concepts: Sequence[Concept],
    total: int,
    doc_counts: Mapping[str, int],
    limit: int,
    today: dt.date | None = None,
    phrases: Sequence[str] = (),
    typed: Mapping[str, int] | None = None,
) -> list[Hit]:
    """The best ``limit`` of ``docs`` for the question's ``concepts``; one hit per commit (its best
    language wins). A concept's alternatives count together, once: a commit naming "SM90" and "Hopper"
    holds one idea, not two."""
    if not docs:
        return []
    asked = _Asked.of(concepts, total, doc_counts, typed)
    weighted = [_weighted_tf(doc, asked.alternatives) for doc in docs]
    average = sum(length for _, length in weighted) / len(weighted) or 1.0
    newest = today or max(doc.date for doc in docs)
    hits = [_hit(doc, tf, K1 * (1 - B + B * length / average), newest, asked, phrases)
            for doc, (tf, length) in zip(docs, weighted, strict=True)]  # fmt: skip
    hits.sort(key=lambda h: (-h.score, -h.doc.date.toordinal(), h.doc.repo, h.doc.sha))
    return _one_per_commit(hits, limit)


@dataclass
class _Held:
    """What one document holds of a question's ideas, added up idea by idea."""

    text: float = 0.0
    matched: list[str] = field(default_factory=list)
    held: float = 0.0
    prefixed: bool = False  # the title starts with a kind of change asked for
    in_title: float = 0.0


def _frequency(concept: Concept, named: dict[str, float], tf: Mapping[str, float], types: set[str],
               titled: list[str]) -> float:  # fmt: skip
    """How much a document holds of an idea, its names weighted: of the kind asked when its report types it so
    or its title says so, not its message."""
    if concept.kind and not (types.intersection(concept.terms) or titled):
        return 0.0
    return sum(tf.get(t, 0.0) * w for t, w in named.items())


def _in_title(weight: float, titled: list[str], parts: frozenset[str], own: tuple[str, ...]) -> float:
    """An idea's weight as a title names it: as a word, not only inside an identifier; by its own name."""
    return (
        weight
        * (1.0 if any(t not in parts for t in titled) else IN_IDENTIFIER)
        * (1.0 if any(t in own for t in titled) else OTHER_NAME)
    )


def _doc_facts(
    doc: SearchDoc, first_word: str, asked: _Asked
) -> tuple[frozenset[str], set[str], frozenset[str]]:
    """A document's kinds its title leads with (when kinds are asked), its types, and the terms its title holds
    only inside identifiers."""
    leading = _leading(doc.title, first_word) if asked.asked_kinds else frozenset()
    parts = _identifier_only(doc.title) if "_" in doc.title else frozenset()
    return leading, {type_terms(t) for t in doc.change_types}, parts


def _held(doc: SearchDoc, tf: Mapping[str, float], norm: float, title: str, first_word: str,
          asked: _Asked) -> _Held:  # fmt: skip
    out = _Held()
    leading, types, parts = _doc_facts(doc, first_word, asked)
    for concept, weight, named, own in zip(
        asked.concepts, asked.idf, asked.names, asked.own_names, strict=True
    ):
        titled = [t for t in concept.terms if f" {t} " in title]
        if titled and not concept.optional:  # a title that names the idea: how, and by which name
            out.in_title += _in_title(weight, titled, parts, own)
        f = _frequency(concept, named, tf, types, titled)
        out.prefixed = out.prefixed or bool(concept.kind and f and leading.intersection(named))
        if not f:
            continue
        out.matched.extend(t for t in concept.terms if tf.get(t))
        out.held += 0.0 if concept.optional else weight
        out.text += weight * f * (K1 + 1) / (f + norm)
    return out


def _hit(doc: SearchDoc, tf: Mapping[str, float], norm: float, newest: dt.date, asked: _Asked,
         phrases: Sequence[str]) -> Hit:  # fmt: skip
    title = f" {doc.fields.get('f_title', '')} "
    first_word = title.split(maxsplit=1)[0] if title.strip() else ""
    held = _held(doc, tf, norm, title, first_word, asked)
    concepts = asked.concepts
    coverage = held.held / asked.best_possible if concepts else 1.0
    age = max((newest - doc.date).days, 0)
    boost = 1 + LEVEL_BOOST.get(doc.level, 0.0) + RECENCY_BOOST * 0.5 ** (age / RECENCY_DAYS)
    boost += TITLE_BOOST * held.in_title / asked.best_possible
    boost += KIND_PREFIX if held.prefixed and not asked.subject else 0.0  # (subject: the weightiest idea)
    said = sum(1 for p in phrases if f" {p} " in title)
    boost += PHRASE_BOOST * min(said, 2)
    score = (held.text * (COVERAGE_BASE + coverage) if concepts else 1.0) * boost
    if _unwanted(doc, title, first_word, asked):
        score *= EXCLUDED
    return Hit(doc, score, tuple(held.matched))


def _unwanted(doc: SearchDoc, title: str, first_word: str, asked: _Asked) -> bool:
    """Of a kind the question asks not to see (by its title, or its only kind), or titled with a subject it
    asks not to see."""
    types = {type_terms(t) for t in doc.change_types}
    unwanted = any(
        first_word in names or (types & names and not types & asked.asked_kinds) for names in asked.excluded
    )
    return unwanted or any(f" {t} " in title for names in asked.excluded_subjects for t in names)


def _one_per_commit(hits: list[Hit], limit: int) -> list[Hit]:
    """One hit per commit: its best language, and its best repository when the store holds it under two (a
    fork followed beside its upstream, one clone reported under two names); the others are named."""
    best: dict[str, Hit] = {}
    others: dict[str, list[str]] = {}
    for hit in hits:
        first = best.setdefault(hit.doc.sha, hit)
        if hit.doc.repo != first.doc.repo and hit.doc.repo not in others.setdefault(hit.doc.sha, []):
            others[hit.doc.sha].append(hit.doc.repo)
    shown = list(best.items())[:limit]
    return [replace(h, also_in=tuple(sorted(others[sha]))) if others.get(sha) else h for sha, h in shown]
