"""What a question says beyond its words: the time it is about ("between March and May", "8 月份",
"since April", "上个月"), the kind of change ("fixes", "CI or packaging", "回滚"), the hardware ("SM90",
"Hopper"), and its words as ideas in both languages (glossary.toml: 注意力 ↔ attention …).

A question becomes a list of concepts, each a set of index terms any of which counts (a group of the
glossary, a word's translations), and a time window. Pure: no I/O beyond reading the packaged glossary once.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources

from dailydiff.common.searchterms import is_stop_word, plain_width, singular_acronyms, terms
from dailydiff.search.timewords import read_time

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
KIND_WEIGHT = 1.5  # a kind of change asked for ("fixes", "回滚") is common, so rare by idf alone it is not


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
class _Glossary:
    groups: list[tuple[str, ...]]  # each group's index terms
    names: list[str]  # each group's first word
    kinds: frozenset[int]  # which groups are kinds of change
    by_term: dict[str, int]  # an index term → its group
    phrases: list[tuple[str, int]]  # multi-word and Chinese words (lower case), longest first
    stop_zh: list[str]
    narrower: dict[str, tuple[str, ...]]  # a word's index terms → the index terms of the kinds of it


@functools.cache
def glossary() -> _Glossary:
    from dailydiff.common.i18n import LANGUAGES, words

    data = tomllib.loads(resources.files("dailydiff").joinpath("search/glossary.toml").read_text("utf-8"))
    raw: list[tuple[str, list[str]]] = [("kind", g) for g in data["kinds"]]
    raw += [("term", g) for g in (*data["hardware"], *data["terms"])]
    # The reports' own change-type labels ("回滚" is what a zh report calls a revert, "重构" a refactor):
    # joined to the kind group that already names the type, or a kind of their own.
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
    groups: list[tuple[str, ...]] = []
    by_term: dict[str, int] = {}
    phrases: list[tuple[str, int]] = []
    kinds: set[int] = set()
    for index, (what, words_) in enumerate(raw):
        if what == "kind":
            kinds.add(index)
        found: dict[str, None] = {}
        for word in words_:
            single = terms(word)
            if single:
                found.setdefault(" ".join(single), None)
            chinese = re.search(f"[{_CJK}]", word)
            if len(single) == 1 and not chinese:
                by_term.setdefault(single[0], index)
            if chinese or re.search(r"[\s\-_/]", word.strip()):
                phrases.append((word.lower(), index))
        groups.append(tuple(found))
    phrases.sort(key=lambda p: -len(p[0]))
    narrower = {" ".join(terms(word)): tuple(dict.fromkeys(" ".join(terms(n)) for n in names))
                for word, names in data["narrower"].items()}  # fmt: skip
    return _Glossary(groups, [g[1][0] for g in raw], frozenset(kinds), by_term, phrases,
                     sorted(data["stop_zh"], key=len, reverse=True), narrower)  # fmt: skip


@functools.cache
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A glossary phrase as it stands in a question (an English one as whole words). Compiled when a question
    holds its text: a process asks one question, and compiling every phrase would cost more than the search."""
    if re.search(f"[{_CJK}]", phrase):
        return re.compile(re.escape(phrase))
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])")


# ---- words ------------------------------------------------------------------------------------------


def _phrase(word: str) -> str:
    """A word as one alternative of a concept: its index terms, space-separated (a phrase when several:
    the fields keep terms in order, so "context parallel" or "上下文并行" match only where they are written)."""
    return " ".join(terms(word))


def _segment_concepts(
    text: str, groups: dict[int, str], singles: dict[str, str], joins: dict[str, str]
) -> None:
    g = glossary()
    lowered = text.lower()

    def take(found: re.Match[str], index: int) -> str:
        groups.setdefault(index, found.group(0))
        return " "

    # A name written in camel case ("MiniMax", "DeepSeek") is indexed as its parts where commits write it
    # so and as one word where they write it "Minimax": the question's word stands for both.
    camel: dict[str, str] = {}
    for word in re.findall(r"[A-Za-z][A-Za-z0-9]*", text):
        parts, whole = terms(word), terms(word.lower())
        if len(parts) > 1 and len(whole) == 1:
            camel.setdefault(whole[0], " ".join(parts))
    for phrase, index in g.phrases:
        if phrase in lowered:
            lowered = _phrase_pattern(phrase).sub(lambda m, i=index: take(m, i), lowered)  # type: ignore[misc]
    for stop in g.stop_zh:
        lowered = lowered.replace(stop, " ")
    for token in _hyphens_apart(re.findall(rf"[{_CJK}]+|[a-z0-9]+(?:[._\-][a-z0-9]+)*", lowered)):
        if re.match(f"[{_CJK}]", token):
            if len(token) > 1:
                for term in terms(token):
                    singles.setdefault(term, token)
            continue
        if is_stop_word(token):
            continue
        if re.search(r"[._\-]", token):  # an identifier, a version, "top-k": its terms in order, or joined
            joined = "".join(re.split(r"[._\-]", token))
            group = g.by_term.get(_phrase(joined))
            if group is not None:
                groups.setdefault(group, token)
            else:
                singles.setdefault(_phrase(token), token)
                if "-" in token and joined.isalnum():
                    joins.setdefault(_phrase(token), _phrase(joined))
            continue
        for term in terms(token):
            if is_stop_word(term) and not token.endswith("ly"):  # "weekly" tests are not "a week"
                continue
            group = g.by_term.get(term)
            if group is not None:
                groups.setdefault(group, token)
                if term in camel:  # "RMSNorm" is its group's "rmsnorm" and the titles' "rms norm"
                    joins.setdefault(term, camel[term])
            else:
                singles.setdefault(term, token)
                if term in camel:
                    joins.setdefault(term, camel[term])
                elif _PLURAL_NAME_RE.fullmatch(term):  # "gpus": the stemmer keeps it, titles say "GPUs" (gpu)
                    joins.setdefault(term, term[:-1])


# A lower-case plural the stemmer leaves whole ("gpus", "llms", "npus"): an upper-case name's plural, which
# the index holds as the name ("GPUs" is "gpu").
_PLURAL_NAME_RE = re.compile(r"[a-z]{2,}[a-rt-z]s")


def _hyphens_apart(tokens: list[str]) -> list[str]:
    """A hyphenated word made of the glossary's words and question words ("Hopper-specific", "MoE-related")
    is those words; any other ("top-k", "all-reduce") stays one name."""
    g = glossary()
    out: list[str] = []
    for token in tokens:
        parts = token.split("-")
        if (
            len(parts) > 1
            and not re.search(r"[._]", token)
            and g.by_term.get(_phrase("".join(parts))) is None
            and all(is_stop_word(p) or g.by_term.get(_phrase(p)) is not None for p in parts)
            and not all(is_stop_word(p) for p in parts)
        ):
            out.extend(parts)
        else:
            out.append(token)
    return out


def _with_narrower(concept: Concept, narrower: dict[str, tuple[str, ...]]) -> Concept:
    more = [n for t in concept.terms for n in narrower.get(t, ()) if n not in concept.terms]
    return replace(concept, terms=(*concept.terms, *dict.fromkeys(more))) if more else concept


def _own(source: str, joins: dict[str, str]) -> tuple[str, ...]:
    """The names a question wrote for a glossary idea: its words, and their camel-case parts as titles write
    them ("RMSNorm": "rmsnorm" and "rms norm")."""
    word = _phrase(source)
    return (word, joins[word]) if word in joins else (word,)


def _segment(text: str) -> list[Concept]:
    g = glossary()
    groups: dict[int, str] = {}
    singles: dict[str, str] = {}
    joins: dict[str, str] = {}  # "top k" → "topk": a hyphenated word is written both ways
    _segment_concepts(text, groups, singles, joins)
    # A kind of change is one idea whatever word names it ("rolled back" asks for commits that say "Revert").
    concepts = [Concept(g.groups[i], KIND_WEIGHT if i in g.kinds else 1.0, source,
                        g.groups[i] if i in g.kinds else _own(source, joins), kind=i in g.kinds)
                for i, source in groups.items()]  # fmt: skip
    covered = {t for c in concepts for t in c.terms}
    for term, source in singles.items():
        if term not in covered:
            both = (term, joins[term]) if term in joins else (term,)
            concepts.append(Concept(both, 1.0, source, both))
    # In the question's order: what parentheses name belongs to the word just before them.
    lowered = text.lower()
    return sorted(concepts, key=lambda c: lowered.find(c.source) % (len(lowered) + 1))


_CONNECTOR_RE = r"[,，、]|\b(?:or|and)\b|或者|以及|或|和|与|及"


def _listed(gap: str, before: Concept, after: Concept) -> bool:
    """Whether the text between two ideas joins them in a list: a comma, "or", "and", 、, 或, 和 and nothing
    else but other words for either ("测试、发布或打包": 发布 and 打包 are one idea)."""
    if not re.search(_CONNECTOR_RE, gap):
        return False
    for piece in re.split(_CONNECTOR_RE, gap):
        for stop in glossary().stop_zh if not piece.isascii() else ():
            piece = piece.replace(stop, " ")
        words = _phrase(piece)
        if words and words not in before.terms and words not in after.terms:
            return False
    return True


# Words that name a version change of whatever they follow: "dependency bumps" are dependency changes.
_BUMPS = frozenset({"bump", "bumps", "update", "updates", "upgrade", "upgrades"})


def _bumps(gap: str, before: Concept, after: Concept) -> bool:
    """Two kinds one after the other, the second a version change of the first ("dependency bumps", "CI
    upgrades"): one kind."""
    return before.kind and after.kind and not gap.strip() and after.source.lower() in _BUMPS


def _lists(text: str, concepts: list[Concept]) -> list[Concept]:
    """Ideas the question lists ("CI, test, release or packaging", "CANN and torch_npu", "测试、发布或打包")
    are alternatives: a commit holding any of them is asked for, not one holding all."""
    lowered = text.lower()
    placed = sorted(
        ((lowered.find(c.source), n, c) for n, c in enumerate(concepts) if c.source and c.source in lowered),
        key=lambda p: p[:2],
    )
    if len(placed) < 2:
        return concepts
    runs: list[list[Concept]] = [[placed[0][2]]]
    for (start, _, before), (next_start, _, after) in zip(placed, placed[1:], strict=False):
        gap = lowered[start + len(before.source) : next_start]
        if before.kind == after.kind and (_listed(gap, before, after) or _bumps(gap, before, after)):
            runs[-1].append(after)
        else:
            runs.append([after])
    if all(len(run) == 1 for run in runs):
        return concepts
    out = [run[0] if len(run) == 1 else _union(run) for run in runs]
    return out + [c for c in concepts if not any(c is p for _, _, p in placed)]


def _union(concepts: list[Concept]) -> Concept:
    merged = _merge(concepts)
    return replace(merged, weight=max(c.weight for c in concepts), kind=all(c.kind for c in concepts))


def _merge(concepts: list[Concept]) -> Concept:
    alternatives: dict[str, None] = {}
    for concept in concepts:
        alternatives.update(dict.fromkeys(concept.terms))
    own = tuple(dict.fromkeys(t for c in concepts for t in c.own))
    return Concept(tuple(alternatives), 1.0, " / ".join(c.source for c in concepts), own)


_PAREN_RE = re.compile(r"[(（]([^()（）]*)[)）]")
_SLASH_RE = re.compile(r"[\w\-.*㐀-鿿]+(?:\s*/\s*[\w\-.*㐀-鿿]+)+")


def _variants(text: str) -> list[Concept]:
    """What parentheses name: each item (split at commas, slashes, "or") one more name of the thing before
    them — a one-word item with its glossary names, several words as a phrase ("Kimi delta attention")."""
    found: list[Concept] = []
    for item in re.split(r"[,，、/;；]|\bor\b|或", text):
        for stop in (
            glossary().stop_zh if not item.isascii() else ()
        ):  # "dependabot 那些 bump": "那些" says nothing
            item = item.replace(stop, " ")
        item = " ".join(item.split())
        words = terms(item)
        if not words:
            continue
        single = _segment(item)
        if len(single) == 1 and (len(words) == 1 or len(single[0].terms) > 1):
            found.append(single[0])  # one word, or a glossary phrase ("DGX Spark", "专家负载均衡" is not)
        else:
            found.append(Concept((" ".join(words),), 1.0, item, ()))
    return found


# Words that say what happened to a thing, not what it is: what parentheses name is never theirs.
_CHANGE_VERBS = frozenset({"add", "remov", "delet", "drop", "introduc", "land", "enabl", "disabl", "implement",
                           "got", "went"})  # fmt: skip


def _named_before(concepts: list[Concept], variants: list[Concept]) -> int:
    """The concept a parenthesis names variants of: the one that already knows some of them as its names
    ("Blackwell FMHA (SM100 / SM103)": Blackwell's), else the last one before it that is a thing, not a
    kind of change or what happened to it ("which GEMM variants got added in July (FP8 / FP4 / BF16)?")."""
    narrower = glossary().narrower

    def knows(concept: Concept, variant: Concept) -> bool:  # by a name of it, or of a kind of it
        names = set(_with_narrower(concept, narrower).terms)
        return any(t in names or any(word in names for word in t.split()) for t in variant.terms)

    best = max(range(len(concepts)), key=lambda at: (sum(knows(concepts[at], v) for v in variants), at))
    known = sum(knows(concepts[best], v) for v in variants)
    if not concepts[best].kind and known and 2 * known >= len(variants):
        return best
    things = [at for at, c in enumerate(concepts) if not c.kind and not set(c.terms) <= _CHANGE_VERBS]
    heads = [at for at in things if _GENERIC_HEADS & set(concepts[at].terms)]
    # what a generic word before them names ("MoE backends for SM120 (b12x, cutlass)": backends)
    return (heads or things or [len(concepts) - 1])[-1]


# Two words, a slash with spaces, two words: "config options / env vars".
_PAIRS_RE = re.compile(
    r"\b([A-Za-z][\w\-.]*\s+[A-Za-z][\w\-.]*)\s+/\s+([A-Za-z][\w\-.]*\s+[A-Za-z][\w\-.]*)\b"
)


def _is_phrase(words: str) -> bool:
    """Whether two words are one of the glossary's names ("env vars" is "environment variable")."""
    said = _phrase(words)
    return any(said == _phrase(phrase) for phrase, _ in glossary().phrases if " " in phrase)


def _generic(concept: Concept) -> bool:
    return bool(_GENERIC_HEADS & set(concept.terms))


def _named_mostly(concept: Concept, other: Concept) -> bool:
    """Whether ``other`` knows at least half the names the question wrote for ``concept``."""
    shared = len(set(concept.own) & set(other.terms))
    return bool(shared) and 2 * shared >= len(set(concept.own))


def _concepts(text: str) -> tuple[list[Concept], list[str]]:
    """The question's concepts. What a question names in parentheses or with slashes are other names of
    the same thing or its variants ("上下文并行（PCP/DCP）", "top-k (filtered, radix)"): alternatives of
    the concept before them, not more ideas every commit must hold."""
    concepts: list[Concept] = []
    position = 0
    pieces: list[tuple[str, bool, int]] = []  # a piece, whether parentheses hold it, where it starts
    for found in _PAREN_RE.finditer(text):
        pieces.append((text[position : found.start()], False, position))
        # "(no bugfixes pls)", "…？（算子、attention 之类）", "(e.g. routing)": no other names of the word before
        aside = (_NOT_FIRST_RE.match(found.group(1)) or _EXAMPLE_RE.search(found.group(1).lower())
                 or re.search(r"[?？]\s*$", text[: found.start()]) or re.search(r"(?:\betc\.?|之类|这种|这类|等)\s*$", found.group(1)))  # fmt: skip
        pieces.append((found.group(1), not aside, found.start(1)))
        position = found.end()
    pieces.append((text[position:], False, position))
    for piece, inside, start in pieces:
        if inside and concepts:
            variants = _variants(piece)
            if variants:
                at = _named_before(concepts, variants)
                before = concepts[at - 1] if at else None
                if (len(variants) >= 2 and before and not before.kind and not concepts[at].kind
                        and not _generic(concepts[at]) and not _generic(before)
                        and re.search(rf"{re.escape(before.source)}\s+{re.escape(concepts[at].source)}\s*[(（]$",
                                      text[:start], re.I)):  # fmt: skip
                    # "custom schedulers (recompute, balance)": the kinds named are what is asked, whatever
                    # word tells them apart from others
                    concepts[at - 1] = replace(before, weight=before.weight * EXAMPLE_WEIGHT, optional=True)
                concepts[at] = _merge([concepts[at], *variants])
            continue
        found_here: list[Concept] = []
        rest = piece
        for pair in _PAIRS_RE.finditer(piece):  # "config options / env vars": two-word names, either one
            sides = [pair.group(1), pair.group(2)]
            if any(_is_phrase(side) for side in sides):
                named = [c for side in sides for c in _segment(side)]
                # "speculative decoding / MTP support": what both are, said after the second, is no name
                heads = [c for c in named[1:] if _generic(c)]
                found_here.append(_merge([c for c in named if not any(c is h for h in heads)]))
                found_here.extend(heads)
                rest = rest.replace(pair.group(0), " ", 1)
        for run in _SLASH_RE.findall(rest):
            letters = [part.strip() for part in run.split("/")]
            if all(len(part) == 1 and part.isalpha() for part in letters):  # "P/D", "I/O": one name
                joined = "".join(letters).lower()
                found_here.append(
                    _merge([*_segment(joined), Concept((_phrase(run),), 1.0, run, (_phrase(run),))])
                )
            elif (run.count("/") >= 2 or "*" in run) and not re.search(r"\s/|/\s", run):
                # a path ("csrc/fused_moe/*.cu"): the directories its glob names, in order
                path = _phrase(run.split("*", 1)[0])
                found_here.append(Concept((path,), 1.0, run, (path,)))
            else:
                parts = [c for part in run.split("/") for c in _segment(part)]
                if parts:
                    found_here.append(_merge(parts))
            rest = rest.replace(run, " ", 1)
        found_here = _lists(rest, _segment(rest)) + found_here
        if inside and concepts and found_here:
            concepts[-1] = _merge([concepts[-1], *found_here])
        else:
            concepts.extend(found_here)
    unique: dict[tuple[str, ...], Concept] = {}
    for concept in concepts:
        # one idea named twice ("P/D 分离": "pd" and "分离" are one glossary group; "PCP/DCP context-parallel":
        # the question's own words for one group) is one concept
        same = next((k for k, c in unique.items() if not c.kind and not concept.kind
                     and _generic(c) == _generic(concept)  # "backends (b12x …)" are not "SM120"
                     and (set(k) <= set(concept.terms) or set(concept.terms) <= set(k)
                          or _named_mostly(c, concept) or _named_mostly(concept, c))), None)  # fmt: skip
        if same is None:
            unique.setdefault(concept.terms, concept)
        else:
            unique[same] = _merge([unique[same], concept])
    # A word's narrower names are more names of it (not the other way round): "norm" finds "RMSNorm". Added
    # once the parentheses have found their word ("attention backends (FA2 / XQA)" are backends' names) and
    # the ideas are told apart ("MLA attention" asks for both).
    g = glossary()
    unique = {k: _with_narrower(c, g.narrower) for k, c in unique.items()}
    kinds = [
        g.names[i]
        for i, group in enumerate(g.groups)
        if i in g.kinds and any(set(group) <= set(c.terms) for c in unique.values())
    ]
    return list(unique.values()), kinds


def extra_concepts(words: list[str], understood: Understood, weight: float) -> list[Concept]:
    """Search words a model wrote for the question (``ask`` with an LLM): each one optional idea, its
    glossary names included; words the question already holds add nothing."""
    asked = set(understood.terms)
    out: dict[tuple[str, ...], Concept] = {}
    for word in words:
        found = _segment(word)
        if not found:
            continue
        merged = _with_narrower(_merge(found), glossary().narrower)
        fresh = tuple(t for t in merged.terms if t not in asked)
        if fresh and len(fresh) == len(merged.terms):
            out.setdefault(fresh, Concept(fresh, weight, word, merged.own, optional=True))
    return list(out.values())


def understand(question: str, today: dt.date) -> Understood:
    """The question's concepts and the time window it names."""
    question = singular_acronyms(plain_width(question))
    (first, last), time_words, rest = read_time(question, today)
    if time_words:  # a year left beside the time read ("2026 年第二季度") is part of it, no idea of its own
        rest = re.sub(r"(?<![\w.])(?:19|20)\d{2}(?:\s*年)?(?![\w.])", " ", rest)
    if "'" in rest or "’" in rest:  # "what's", "didn't": the word, not a word "s" every commit must hold
        rest = re.sub(r"(?<=[A-Za-z])['’](?:s|t|re|ve|ll|d)\b", "", rest)
    concepts, kinds = _concepts(rest)
    concepts = _excluded(
        rest,
        _examples(rest, _asides(rest, _described(rest, _generic_heads(_added(_of_a_kind(rest, concepts)))))),
    )
    kinds = [k for k in kinds if not any(c.excluded and k in c.terms for c in concepts)]
    return Understood(concepts, first, last, time_words, kinds, _phrases(rest))


# What a name is of ("the b12x backend", "GLM 模型", "sampling kernels", "MXFP8 GEMM 的支持"): beside a name
# of its own, such a word says what kind of thing the name is, and a commit about the name that does not
# repeat it ("feat(moe): add SM120 W4A16 b12x kernels") is as much about it. It adds to a commit's score,
# no commit is asked to hold it; alone ("which backends changed?") it is the subject.
_GENERIC_HEADS = frozenset({"kernel", "backend", "model", "support", "compat"})
GENERIC_WEIGHT = 0.7


def _generic_heads(concepts: list[Concept]) -> list[Concept]:
    def generic(c: Concept) -> bool:
        return not c.kind and not c.optional and bool(_GENERIC_HEADS & set(c.terms))

    if not any(generic(c) for c in concepts) or all(generic(c) or c.kind for c in concepts):
        return concepts
    g = glossary()
    heads = {t for head in _GENERIC_HEADS for t in g.groups[g.by_term[head]]}
    out: list[Concept] = []
    for c in concepts:
        named = tuple(t for t in c.terms if t not in heads)
        # "diffusion models (WAN / DiT)": the names are asked, the word is not; "the cudnn backend side (new
        # ops, paged prefill)" are examples of what it got, no names of it
        if generic(c) and named and all(" " not in t for t in named):
            out.append(replace(c, terms=named, own=tuple(t for t in c.own if t not in heads)))
        else:
            out.append(replace(c, weight=c.weight * GENERIC_WEIGHT, optional=True) if generic(c) else c)
    return out


# A description of what the question asks about, after it: "the top-k kernels used for sparse attention",
# "用于稀疏注意力的 top-k 内核" (before it, in Chinese). It ends where the clause or a parenthesis does.
_DESCRIBED_RE = re.compile(r"\b(?:that\s+(?:are|is|were|was)\s+)?used\s+(?:for|in|by)\b|用于|用在")
_DESCRIPTION_END_RE = re.compile(r"[,，;；?？()（）]|\s[-–—]\s")


def _described(text: str, concepts: list[Concept]) -> list[Concept]:
    """What a question says its subject is used for adds to a commit's score; no commit is asked to hold it
    (a commit to the top-k kernels seldom says what they serve). The word "used" is no idea of its own."""
    lowered = text.lower()
    marker = _DESCRIBED_RE.search(lowered)
    if not marker:
        return concepts
    chinese = not marker.group().isascii()
    if chinese:  # "用于稀疏注意力的 top-k 内核": from the marker to "的"
        start, end = marker.end(), lowered.find("的", marker.end())
    else:
        start = marker.end()
        found = _DESCRIPTION_END_RE.search(lowered, start)
        end = found.start() if found else len(lowered)
    if end <= start:
        return concepts

    def at(concept: Concept) -> int:
        return _where(lowered, concept)

    said = [at(c) for c in concepts if not c.kind and not c.optional and not marker.start() <= at(c) < end]
    if not any((p > end) if chinese else (0 <= p < marker.start()) for p in said):
        return concepts  # nothing is said beside the description: it is what is asked
    out: list[Concept] = []
    for c in concepts:
        if marker.start() <= at(c) < start:  # "used", "用于"
            continue
        if start <= at(c) < end and not c.kind and not c.optional:
            c = replace(c, weight=c.weight * EXAMPLE_WEIGHT, optional=True)
        out.append(c)
    return out


# What a kind of change is made of, said after it: "test infra", "CI infrastructure", "test suites".
_KIND_HEADS = frozenset({"infra", "infrastructur", "suit", "har"})  # "har": "harness"


def _of_a_kind(text: str, concepts: list[Concept]) -> list[Concept]:
    """ "CI or test infra changes": a commit of the kind is what is asked, whether or not it says "infra"."""
    lowered = text.lower()
    kinds = [c for c in concepts if c.kind]
    out: list[Concept] = []
    for c in concepts:
        if not c.kind and set(c.terms) <= _KIND_HEADS:
            where = _where(lowered, c)
            if any(re.search(rf"{re.escape(part.strip().lower())}\s*$", lowered[:where])
                   for k in kinds for part in k.source.split(" / ")):  # fmt: skip
                c = replace(c, weight=c.weight * GENERIC_WEIGHT, optional=True)
        out.append(c)
    return out


# Words that say a thing is new ("which activation functions were added?"): many a commit that adds one says
# "support X", "feat: X" or only its name.
_ADDED = frozenset({"add", "introduc", "implement"})


def _added(concepts: list[Concept]) -> list[Concept]:
    """That a thing was added adds to a commit's score; no commit is asked to say so, when the question
    names the thing."""
    if not any(not c.kind and not set(c.terms) <= _ADDED for c in concepts):
        return concepts
    return [replace(c, weight=c.weight * GENERIC_WEIGHT, optional=True) if not c.kind and set(c.terms) <= _ADDED
            else c for c in concepts]  # fmt: skip


# Where a question's clauses part: a comma, a question mark, a dash between words, "and was/did/were …".
_CLAUSE_BREAK_RE = re.compile(
    r"[,，;；?？]|\s[-–—]\s|\band\s+(?=(?:was|were|did|is|are|has|have|any|anything)\b)"
)


# A question asked before (about the subject): "what went in", "when did it land", "是什么时候支持的？".
_ASKED_RE = re.compile(r"[?？]|\b(?:what|when|which|how|where)\b|什么|哪些|哪个|何时|几时")


def _where(lowered: str, concept: Concept, by_own: bool = False) -> int:
    """Where the question (lower case) first says a concept: by the words it came from (and ``by_own``, by
    the names the question wrote for it); -1 when nowhere."""
    names = [part.strip().lower() for part in concept.source.split(" / ")] + (
        list(concept.own) if by_own else []
    )
    return min((p for p in (lowered.find(n) for n in names if n) if p >= 0), default=-1)


def _asides(text: str, concepts: list[Concept]) -> list[Concept]:
    """The kinds of change asked in a clause after a question about the subject: "blackwell fmha - what went
    in and was any of it rolled back?", "SM120 上 nvfp4 MoE 是什么时候支持的？有没有回滚过？" (not "norm
    kernels - any fixes?": there the fixes are what is asked)."""
    lowered = text.lower()

    def at(concept: Concept) -> int:
        return _where(lowered, concept)

    subjects = [at(c) for c in concepts if not c.kind and not c.optional]
    first = min((p for p in subjects if p >= 0), default=-1)
    if first < 0:
        return concepts
    out: list[Concept] = []
    for concept in concepts:
        where = at(concept)
        if (concept.kind and where > first and _CLAUSE_BREAK_RE.search(lowered, first, where)
                and _ASKED_RE.search(lowered, 0, where)):  # fmt: skip
            concept = replace(concept, aside=True)
        out.append(concept)
    return out


# Words that ask not to see a kind of change, just before its name: "not bugfix", "no fixes", "不要 bugfix".
_NOT_WORDS = r"not|no|non|without|excluding|except|exclude|minus"
_NOT_ZH = r"不要|不含|不包括|除了|排除|别看|不看"
_NOT_RE = re.compile(rf"(?:\b(?:{_NOT_WORDS})\s+(?:the\s+|any\s+)?|(?:{_NOT_ZH})\s*)$")


# A subject asked not to see, after a break: "top-k kernels (not MoE routing)", "attention, but not MLA",
# "除了 MoE" ("why is sampling not deterministic?" asks about determinism).
_NOT_SUBJECT_RE = re.compile(
    rf"(?:(?:^|[(（,，;；:：—–]|\bbut)\s*(?:{_NOT_WORDS}|other than)\s+(?:the\s+|any\s+)?|(?:{_NOT_ZH})\s*)$"
)


_NOT_FIRST_RE = re.compile(rf"\s*(?:(?:{_NOT_WORDS})\b|{_NOT_ZH})", re.I)


def _excluded(text: str, concepts: list[Concept]) -> list[Concept]:
    """The kinds of change a question asks not to see ("only new features, no bugfix"), and the subjects:
    "top-k kernels (not MoE routing)" asks for no commit about MoE routing, whose ideas follow one another
    after the "not" with nothing but spaces between."""
    lowered = text.lower()
    out: list[Concept] = []
    end = -1  # where the last excluded subject's words end: a subject said right after it is excluded too
    for concept in concepts:
        for part in concept.source.split(" / "):
            where = lowered.find(part.strip().lower())
            if where <= 0:
                continue
            follows = not concept.kind and 0 <= end <= where and not lowered[end:where].strip()
            before = lowered[max(0, where - 24) : where]
            if follows or (_NOT_RE if concept.kind else _NOT_SUBJECT_RE).search(before):
                concept = replace(concept, excluded=True, optional=True)
                end = -1 if concept.kind else where + len(part.strip())
                break
        out.append(concept)
    if not any(c.excluded for c in out):
        return out
    return [c for c in out if c.kind or not _NOT_RE.fullmatch(c.source.lower() + " ")]


# Where a question's examples start: "e.g.", "such as", "比如", "包括"; or, after the question proper ("…?",
# "…:", "… - "), a list ("ci changes in august? workflows, runners, ci images, sccache etc").
_EXAMPLE_RE = re.compile(
    r"\b(?:e\.?g\.?|such as|for example|for instance|including|incl\.)(?!\w)|比如|例如|譬如|诸如|包括"
)
_HEAD_END_RE = re.compile(r"[?？:：]|\s[-–—]\s|[—–]")
_LISTED_RE = re.compile(r"[,，、/]|\betc\b|之类|这种|这类|等")
EXAMPLE_WEIGHT = 0.7


def _examples(text: str, concepts: list[Concept]) -> list[Concept]:
    """What a question gives as examples of what it asks ("moe refactors? e.g. routing, runner / config
    split", "deprecations? deprecation policy, deprecated params/apis"): each adds to a commit's score, none
    is asked of every commit, when the question proper names what it asks."""
    lowered = text.lower()
    start = -1
    marker = _EXAMPLE_RE.search(lowered)
    for end in _HEAD_END_RE.finditer(lowered):
        if _LISTED_RE.search(lowered, end.end()) and re.search(r"\w", lowered[end.end() :]):
            start = end.start()
            break
    if marker and (start < 0 or marker.start() < start):
        start = marker.start()
    if start <= 0:
        return concepts

    def at(concept: Concept) -> int:  # by any of its names: "refactor" may be said before "重构"
        return _where(lowered, concept, by_own=True)

    if not any(0 <= at(c) < start and not c.optional for c in concepts):
        return concepts  # "what changed? attention, moe, gemm": the list is what is asked
    return [
        replace(c, weight=c.weight * EXAMPLE_WEIGHT, optional=True)
        if at(c) >= start and not c.optional
        else c
        for c in concepts
    ]


def _phrases(text: str) -> list[str]:
    """The question's runs of two or more content words (a Chinese run as written, English words between
    question words): a commit that says them in this order says what was asked."""
    runs: list[str] = []
    for chunk in re.split(r"[^\w\s\-.㐀-鿿]+|\s{2,}", text):
        for cjk in re.findall(f"[{_CJK}]{{3,}}", chunk):
            for stop in glossary().stop_zh:
                cjk = cjk.replace(stop, " ")
            runs.extend(" ".join(terms(part)) for part in cjk.split() if len(part) >= 3)
        words: list[str] = []
        for token in [*re.findall(r"[A-Za-z0-9][\w.\-]*", chunk), ""]:
            if token and not is_stop_word(token) and terms(token):
                words.extend(terms(token))
                continue
            if len(words) >= 2:
                runs.append(" ".join(words))
            words = []
    return list(dict.fromkeys(runs))
