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
from dataclasses import replace

from dailydiff.common.lazyre import two_scripts
from dailydiff.common.searchterms import is_stop_word, plain_width, singular_acronyms, terms
from dailydiff.search.concepts import CJK, Concept, Understood, glossary
from dailydiff.search.optional import EXAMPLE_RE, EXAMPLE_WEIGHT, GENERIC_HEADS, NOT_FIRST_RE, not_required
from dailydiff.search.timewords import read_time

KIND_WEIGHT = 1.5  # a kind of change asked for ("fixes", "回滚") is common, so rare by idf alone it is not


@functools.cache
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A glossary phrase as it stands in a question (an English one as whole words). Compiled when a question
    holds its text: a process asks one question, and compiling every phrase would cost more than the search."""
    if not phrase.isascii() and re.search(f"[{CJK}]", phrase):
        return re.compile(re.escape(phrase))
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])")


# ---- words ------------------------------------------------------------------------------------------


def _phrase(word: str) -> str:
    """A word as one alternative of a concept: its index terms, space-separated (a phrase when several:
    the fields keep terms in order, so "context parallel" or "上下文并行" match only where they are written)."""
    return " ".join(terms(word))


# A question's words: a CJK run, or an ASCII word with its inner dots, hyphens and underscores.
_WORD_RE = two_scripts(rf"[{CJK}]+|[a-z0-9]+(?:[._\-][a-z0-9]+)*", r"[a-z0-9]+(?:[._\-][a-z0-9]+)*")


def _segment_concepts(
    text: str, groups: dict[int, str], singles: dict[str, str], joins: dict[str, str]
) -> None:
    g = glossary()
    lowered = text.lower()

    def take(found: re.Match[str], index: int) -> str:
        groups.setdefault(index, found.group(0))
        return " "

    camel = _camel_names(text)
    for phrase, index in g.phrases:
        if phrase in lowered:
            lowered = _phrase_pattern(phrase).sub(lambda m, i=index: take(m, i), lowered)  # type: ignore[misc]
    for stop in g.stop_zh:
        lowered = lowered.replace(stop, " ")
    for token in _hyphens_apart(_WORD_RE.findall(lowered)):
        if not token.isascii():  # a CJK run (the others are ASCII letters and digits)
            if len(token) > 1:
                for term in terms(token):
                    singles.setdefault(term, token)
            continue
        if is_stop_word(token):
            continue
        if re.search(r"[._\-]", token):  # an identifier, a version, "top-k": its terms in order, or joined
            _identifier(token, groups, singles, joins)
            continue
        for term in terms(token):
            if is_stop_word(term) and not token.endswith("ly"):  # "weekly" tests are not "a week"
                continue
            _term(term, token, camel, groups, singles, joins)


def _camel_names(text: str) -> dict[str, str]:
    """A name written in camel case ("MiniMax", "DeepSeek") is indexed as its parts where commits write it
    so and as one word where they write it "Minimax": the question's word stands for both."""
    camel: dict[str, str] = {}
    for word in re.findall(r"[A-Za-z][A-Za-z0-9]*", text):
        parts, whole = terms(word), terms(word.lower())
        if len(parts) > 1 and len(whole) == 1:
            camel.setdefault(whole[0], " ".join(parts))
    return camel


def _identifier(token: str, groups: dict[int, str], singles: dict[str, str], joins: dict[str, str]) -> None:
    """An identifier, a version, "top-k": its glossary group, else itself (and, hyphenated, its letters
    joined)."""
    joined = "".join(re.split(r"[._\-]", token))
    group = glossary().by_term.get(_phrase(joined))
    if group is not None:
        groups.setdefault(group, token)
        return
    singles.setdefault(_phrase(token), token)
    if "-" in token and joined.isalnum():
        joins.setdefault(_phrase(token), _phrase(joined))


def _term(term: str, token: str, camel: dict[str, str], groups: dict[int, str], singles: dict[str, str],
          joins: dict[str, str]) -> None:  # fmt: skip
    """One term of a question's word: its glossary group, else itself, with the other way titles write it."""
    group = glossary().by_term.get(term)
    if group is not None:
        groups.setdefault(group, token)
        if term in camel:  # "RMSNorm" is its group's "rmsnorm" and the titles' "rms norm"
            joins.setdefault(term, camel[term])
        return
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
    runs = _runs(lowered, placed)
    if all(len(run) == 1 for run in runs):
        return concepts
    out = [run[0] if len(run) == 1 else _union(run) for run in runs]
    return out + [c for c in concepts if not any(c is p for _, _, p in placed)]


def _runs(lowered: str, placed: list[tuple[int, int, Concept]]) -> list[list[Concept]]:
    """The placed ideas in runs of those the question lists one after another."""
    runs: list[list[Concept]] = [[placed[0][2]]]
    for (start, _, before), (next_start, _, after) in zip(placed, placed[1:], strict=False):
        gap = lowered[start + len(before.source) : next_start]
        if before.kind == after.kind and (_listed(gap, before, after) or _bumps(gap, before, after)):
            runs[-1].append(after)
        else:
            runs.append([after])
    return runs


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
_SLASH_RE = two_scripts(r"[\w\-.*㐀-鿿]+(?:\s*/\s*[\w\-.*㐀-鿿]+)+", r"[\w\-.*]+(?:\s*/\s*[\w\-.*]+)+")


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
    heads = [at for at in things if GENERIC_HEADS & set(concepts[at].terms)]
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
    return bool(GENERIC_HEADS & set(concept.terms))


def _named_mostly(concept: Concept, other: Concept) -> bool:
    """Whether ``other`` knows at least half the names the question wrote for ``concept``."""
    shared = len(set(concept.own) & set(other.terms))
    return bool(shared) and 2 * shared >= len(set(concept.own))


def _concepts(text: str) -> tuple[list[Concept], list[str]]:
    """The question's concepts. What a question names in parentheses or with slashes are other names of
    the same thing or its variants ("上下文并行（PCP/DCP）", "top-k (filtered, radix)"): alternatives of
    the concept before them, not more ideas every commit must hold."""
    concepts: list[Concept] = []
    for piece, inside, start in _pieces(text):
        if inside and concepts:
            _add_variants(concepts, _variants(piece), text[:start])
            continue
        found_here = _named_in(piece)
        if inside and concepts and found_here:
            concepts[-1] = _merge([concepts[-1], *found_here])
        else:
            concepts.extend(found_here)
    unique = _one_each(concepts)
    g = glossary()
    kinds = [
        g.names[i]
        for i, group in enumerate(g.groups)
        if i in g.kinds and any(set(group) <= set(c.terms) for c in unique)
    ]
    return unique, kinds


def _pieces(text: str) -> list[tuple[str, bool, int]]:
    """The question in pieces: each, whether parentheses hold it as other names of the word before them,
    and where it starts."""
    position = 0
    pieces: list[tuple[str, bool, int]] = []
    for found in _PAREN_RE.finditer(text):
        pieces.append((text[position : found.start()], False, position))
        # "(no bugfixes pls)", "…？（算子、attention 之类）", "(e.g. routing)": no other names of the word before
        aside = (NOT_FIRST_RE.match(found.group(1)) or EXAMPLE_RE.search(found.group(1).lower())
                 or re.search(r"[?？]\s*$", text[: found.start()]) or re.search(r"(?:\betc\.?|之类|这种|这类|等)\s*$", found.group(1)))  # fmt: skip
        pieces.append((found.group(1), not aside, found.start(1)))
        position = found.end()
    pieces.append((text[position:], False, position))
    return pieces


def _add_variants(concepts: list[Concept], variants: list[Concept], before_text: str) -> None:
    """What parentheses name joins the concept it names variants of (``before_text``: the question up to
    them)."""
    if not variants:
        return
    at = _named_before(concepts, variants)
    before = concepts[at - 1] if at else None
    if (len(variants) >= 2 and before and not before.kind and not concepts[at].kind
            and not _generic(concepts[at]) and not _generic(before)
            and re.search(rf"{re.escape(before.source)}\s+{re.escape(concepts[at].source)}\s*[(（]$",
                          before_text, re.I)):  # fmt: skip
        # "custom schedulers (recompute, balance)": the kinds named are what is asked, whatever word tells
        # them apart from others
        concepts[at - 1] = replace(before, weight=before.weight * EXAMPLE_WEIGHT, optional=True)
    concepts[at] = _merge([concepts[at], *variants])


def _named_in(piece: str) -> list[Concept]:
    """The ideas of a piece of the question: two-word names either side of a slash, names joined by slashes
    (a path, "P/D"), and the rest word by word, in lists."""
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
        found_here.extend(_slashed(run))
        rest = rest.replace(run, " ", 1)
    return _lists(rest, _segment(rest)) + found_here


def _slashed(run: str) -> list[Concept]:
    """Names joined by slashes: "P/D" (one name), a path ("csrc/fused_moe/*.cu"), or alternatives."""
    letters = [part.strip() for part in run.split("/")]
    if all(len(part) == 1 and part.isalpha() for part in letters):  # "P/D", "I/O": one name
        joined = "".join(letters).lower()
        return [_merge([*_segment(joined), Concept((_phrase(run),), 1.0, run, (_phrase(run),))])]
    if (run.count("/") >= 2 or "*" in run) and not re.search(r"\s/|/\s", run):
        # a path ("csrc/fused_moe/*.cu"): the directories its glob names, in order
        path = _phrase(run.split("*", 1)[0])
        return [Concept((path,), 1.0, run, (path,))]
    parts = [c for part in run.split("/") for c in _segment(part)]
    return [_merge(parts)] if parts else []


def _one_each(concepts: list[Concept]) -> list[Concept]:
    """One concept per idea, with its narrower names."""
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
    narrower = glossary().narrower
    return [_with_narrower(c, narrower) for c in unique.values()]


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
    concepts = not_required(rest, concepts)
    kinds = [k for k in kinds if not any(c.excluded and k in c.terms for c in concepts)]
    return Understood(concepts, first, last, time_words, kinds, _phrases(rest))


_PHRASE_BREAK_RE = two_scripts(r"[^\w\s\-.㐀-鿿]+|\s{2,}", r"[^\w\s\-.]+|\s{2,}")
_CJK_RUN3_RE = two_scripts(f"[{CJK}]{{3,}}", "(?!)")


def _phrases(text: str) -> list[str]:
    """The question's runs of two or more content words (a Chinese run as written, English words between
    question words): a commit that says them in this order says what was asked."""
    runs: list[str] = []
    for chunk in _PHRASE_BREAK_RE.split(text):
        for cjk in _CJK_RUN3_RE.findall(chunk):
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
