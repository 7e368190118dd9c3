"""What makes a question's idea not required of a commit: one table of rules (``NOT_REQUIRED``), read by one
pass (``not_required``). An idea a rule finds is optional — it adds to a commit's score, no commit is
asked to hold it — or a side question, or asked not to be seen, or no idea at all. Pure."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from dailydiff.search.concepts import Concept, glossary

# What a name is of ("the b12x backend", "GLM 模型", "sampling kernels", "MXFP8 GEMM 的支持"): beside a name
# of its own, such a word says what kind of thing the name is, and a commit about the name that does not
# repeat it ("feat(moe): add SM120 W4A16 b12x kernels") is as much about it. It adds to a commit's score,
# no commit is asked to hold it; alone ("which backends changed?") it is the subject.
GENERIC_HEADS = frozenset({"kernel", "backend", "model", "support", "compat"})
GENERIC_WEIGHT = 0.7


def _generic_alone(c: Concept) -> bool:
    return not c.kind and not c.optional and bool(GENERIC_HEADS & set(c.terms))


def _heads_named(lowered: str, concepts: list[Concept]) -> set[int]:
    """The generic words a question says beside a name of their own (the name is asked, not the word)."""
    if not any(_generic_alone(c) for c in concepts) or all(_generic_alone(c) or c.kind for c in concepts):
        return set()
    heads = _head_terms()
    # "diffusion models (WAN / DiT)": the names are asked, the word is not; "the cudnn backend side (new ops,
    # paged prefill)" are examples of what it got, no names of it
    return {n for n, c in enumerate(concepts) if _generic_alone(c) and _names_of(c, heads)
            and all(" " not in t for t in _names_of(c, heads))}  # fmt: skip


def _heads_beside(lowered: str, concepts: list[Concept]) -> set[int]:
    """A generic word said beside the question's other ideas, with no name of its own in it."""
    if not any(_generic_alone(c) for c in concepts) or all(_generic_alone(c) or c.kind for c in concepts):
        return set()
    named = _heads_named(lowered, concepts)
    return {n for n, c in enumerate(concepts) if _generic_alone(c) and n not in named}


@functools.cache
def _head_terms() -> frozenset[str]:
    g = glossary()
    return frozenset(t for head in GENERIC_HEADS for t in g.groups[g.by_term[head]])


def _names_of(c: Concept, heads: frozenset[str]) -> tuple[str, ...]:
    return tuple(t for t in c.terms if t not in heads)


def _without_heads(c: Concept) -> Concept:
    heads = _head_terms()
    return replace(c, terms=_names_of(c, heads), own=tuple(t for t in c.own if t not in heads))


# A description of what the question asks about, after it: "the top-k kernels used for sparse attention",
# "用于稀疏注意力的 top-k 内核" (before it, in Chinese). It ends where the clause or a parenthesis does.
_DESCRIBED_RE = re.compile(r"\b(?:that\s+(?:are|is|were|was)\s+)?used\s+(?:for|in|by)\b|用于|用在")
_DESCRIPTION_END_RE = re.compile(r"[,，;；?？()（）]|\s[-–—]\s")


def _description(lowered: str, concepts: list[Concept]) -> tuple[int, int, int] | None:
    """Where a description's marker starts, and its words start and end ("used for …", "用于 … 的"); None
    when the question has none, or says nothing beside it (then it is what is asked)."""
    marker = _DESCRIBED_RE.search(lowered)
    if not marker:
        return None
    chinese = not marker.group().isascii()
    if chinese:  # "用于稀疏注意力的 top-k 内核": from the marker to "的"
        start, end = marker.end(), lowered.find("的", marker.end())
    else:
        start = marker.end()
        found = _DESCRIPTION_END_RE.search(lowered, start)
        end = found.start() if found else len(lowered)
    if end <= start:
        return None
    said = [_where(lowered, c) for c in concepts if not c.kind and not c.optional
            and not marker.start() <= _where(lowered, c) < end]  # fmt: skip
    if not any((p > end) if chinese else (0 <= p < marker.start()) for p in said):
        return None  # nothing is said beside the description: it is what is asked
    return marker.start(), start, end


def _described(lowered: str, concepts: list[Concept]) -> set[int]:
    """What a question says its subject is used for (a commit to the top-k kernels seldom says what they
    serve)."""
    found = _description(lowered, concepts)
    if found is None:
        return set()
    _marker, start, end = found
    return {n for n, c in enumerate(concepts)
            if start <= _where(lowered, c) < end and not c.kind and not c.optional}  # fmt: skip


def _describing(lowered: str, concepts: list[Concept]) -> set[int]:
    """The word "used" ("用于") of a description: no idea of its own."""
    found = _description(lowered, concepts)
    if found is None:
        return set()
    marker, start, _end = found
    return {n for n, c in enumerate(concepts) if marker <= _where(lowered, c) < start}


# What a kind of change is made of, said after it: "test infra", "CI infrastructure", "test suites".
_KIND_HEADS = frozenset({"infra", "infrastructur", "suit", "har"})  # "har": "harness"


def _of_a_kind(lowered: str, concepts: list[Concept]) -> set[int]:
    """ "CI or test infra changes": a commit of the kind is what is asked, whether or not it says "infra"."""
    kinds = [c for c in concepts if c.kind]
    return {n for n, c in enumerate(concepts)
            if not c.kind and set(c.terms) <= _KIND_HEADS
            and any(re.search(rf"{re.escape(part.strip().lower())}\s*$", lowered[: _where(lowered, c)])
                    for k in kinds for part in k.source.split(" / "))}  # fmt: skip


# Words that say a thing is new ("which activation functions were added?"): many a commit that adds one says
# "support X", "feat: X" or only its name.
_ADDED = frozenset({"add", "introduc", "implement"})


def _added(lowered: str, concepts: list[Concept]) -> set[int]:
    """That a thing was added, when the question names the thing."""
    if not any(not c.kind and not set(c.terms) <= _ADDED for c in concepts):
        return set()
    return {n for n, c in enumerate(concepts) if not c.kind and set(c.terms) <= _ADDED}


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


def _asides(lowered: str, concepts: list[Concept]) -> set[int]:
    """The kinds of change asked in a clause after a question about the subject: "blackwell fmha - what went
    in and was any of it rolled back?", "SM120 上 nvfp4 MoE 是什么时候支持的？有没有回滚过？" (not "norm
    kernels - any fixes?": there the fixes are what is asked)."""
    subjects = [_where(lowered, c) for c in concepts if not c.kind and not c.optional]
    first = min((p for p in subjects if p >= 0), default=-1)
    if first < 0:
        return set()
    return {n for n, c in enumerate(concepts)
            if c.kind and _where(lowered, c) > first and _CLAUSE_BREAK_RE.search(lowered, first, _where(lowered, c))
            and _ASKED_RE.search(lowered, 0, _where(lowered, c))}  # fmt: skip


# Words that ask not to see a kind of change, just before its name: "not bugfix", "no fixes", "不要 bugfix".
_NOT_WORDS = r"not|no|non|without|excluding|except|exclude|minus"
_NOT_ZH = r"不要|不含|不包括|除了|排除|别看|不看"
_NOT_RE = re.compile(rf"(?:\b(?:{_NOT_WORDS})\s+(?:the\s+|any\s+)?|(?:{_NOT_ZH})\s*)$")


# A subject asked not to see, after a break: "top-k kernels (not MoE routing)", "attention, but not MLA",
# "除了 MoE" ("why is sampling not deterministic?" asks about determinism).
_NOT_SUBJECT_RE = re.compile(
    rf"(?:(?:^|[(（,，;；:：—–]|\bbut)\s*(?:{_NOT_WORDS}|other than)\s+(?:the\s+|any\s+)?|(?:{_NOT_ZH})\s*)$"
)


NOT_FIRST_RE = re.compile(rf"\s*(?:(?:{_NOT_WORDS})\b|{_NOT_ZH})", re.I)


def _excluded(lowered: str, concepts: list[Concept]) -> set[int]:
    """The kinds of change a question asks not to see ("only new features, no bugfix"), and the subjects:
    "top-k kernels (not MoE routing)" asks for no commit about MoE routing, whose ideas follow one another
    after the "not" with nothing but spaces between."""
    chosen: set[int] = set()
    end = -1  # where the last excluded subject's words end: a subject said right after it is excluded too
    for n, concept in enumerate(concepts):
        for part in concept.source.split(" / "):
            where = lowered.find(part.strip().lower())
            if where <= 0:
                continue
            follows = not concept.kind and 0 <= end <= where and not lowered[end:where].strip()
            before = lowered[max(0, where - 24) : where]
            if follows or (_NOT_RE if concept.kind else _NOT_SUBJECT_RE).search(before):
                chosen.add(n)
                end = -1 if concept.kind else where + len(part.strip())
                break
    return chosen


def _saying_not(lowered: str, concepts: list[Concept]) -> set[int]:
    """The "not" of a question that asks not to see something: no idea of its own."""
    if not any(c.excluded for c in concepts):
        return set()
    return {n for n, c in enumerate(concepts) if not c.kind and _NOT_RE.fullmatch(c.source.lower() + " ")}


# Where a question's examples start: "e.g.", "such as", "比如", "包括"; or, after the question proper ("…?",
# "…:", "… - "), a list ("ci changes in august? workflows, runners, ci images, sccache etc").
EXAMPLE_RE = re.compile(
    r"\b(?:e\.?g\.?|such as|for example|for instance|including|incl\.)(?!\w)|比如|例如|譬如|诸如|包括"
)
_HEAD_END_RE = re.compile(r"[?？:：]|\s[-–—]\s|[—–]")
_LISTED_RE = re.compile(r"[,，、/]|\betc\b|之类|这种|这类|等")
EXAMPLE_WEIGHT = 0.7


def _examples(lowered: str, concepts: list[Concept]) -> set[int]:
    """What a question gives as examples of what it asks ("moe refactors? e.g. routing, runner / config
    split", "deprecations? deprecation policy, deprecated params/apis"), when the question proper names what
    it asks ("what changed? attention, moe, gemm": the list is what is asked)."""
    start = -1
    marker = EXAMPLE_RE.search(lowered)
    for end in _HEAD_END_RE.finditer(lowered):
        if _LISTED_RE.search(lowered, end.end()) and re.search(r"\w", lowered[end.end() :]):
            start = end.start()
            break
    if marker and (start < 0 or marker.start() < start):
        start = marker.start()
    if start <= 0:
        return set()
    # by any of its names: "refactor" may be said before "重构"
    at = [_where(lowered, c, by_own=True) for c in concepts]
    if not any(0 <= p < start and not c.optional for p, c in zip(at, concepts, strict=True)):
        return set()
    return {n for n, (p, c) in enumerate(zip(at, concepts, strict=True)) if p >= start and not c.optional}


@dataclass(frozen=True)
class _NotRequired:
    """A rule for what makes some of a question's ideas not required of a commit: ``finds`` says which (by
    their place; it reads the question in lower case and the ideas as the rules before it left them), and
    what they become: ``weight`` times what they counted, ``optional`` (they add to a score, no commit is
    asked to hold them), an ``aside`` (a side question), ``excluded`` (listed last), ``dropped`` (no idea at
    all), or ``changed`` otherwise."""

    finds: Callable[[str, list[Concept]], set[int]]
    weight: float = 1.0
    optional: bool = True
    aside: bool = False
    excluded: bool = False
    dropped: bool = False
    changed: Callable[[Concept], Concept] | None = None

    def apply(self, concept: Concept) -> Concept:
        if self.changed is not None:
            return self.changed(concept)
        if self.aside:
            return replace(concept, aside=True)
        if self.excluded:
            return replace(concept, excluded=True, optional=True)
        return replace(concept, weight=concept.weight * self.weight, optional=self.optional)


# The one table: the rules in the order they are read, each over what the ones before it left. Rules that
# read the same state (a generic word's two cases, a description and its marker) stand in one step.
NOT_REQUIRED: tuple[tuple[_NotRequired, ...], ...] = (
    (_NotRequired(_of_a_kind, GENERIC_WEIGHT),),  # "CI or test infra changes": "infra"
    (_NotRequired(_added, GENERIC_WEIGHT),),  # "which activation functions were added?": "added"
    (  # "the b12x backend": "backend"; "diffusion models (WAN / DiT)": the names, not "models"
        _NotRequired(_heads_named, changed=_without_heads),
        _NotRequired(_heads_beside, GENERIC_WEIGHT),
    ),
    (  # "top-k kernels used for sparse attention": "sparse attention"; "used" is no idea
        _NotRequired(_described, EXAMPLE_WEIGHT),
        _NotRequired(_describing, dropped=True),
    ),
    (_NotRequired(_asides, optional=False, aside=True),),  # "… - what went in and was any of it rolled back?"
    (_NotRequired(_examples, EXAMPLE_WEIGHT),),  # "moe refactors? e.g. routing, runner"
    (_NotRequired(_excluded, excluded=True),),  # "new features, not bugfixes", "(not MoE routing)"
    (_NotRequired(_saying_not, dropped=True),),  # the "not" itself
)


def not_required(text: str, concepts: list[Concept]) -> list[Concept]:
    """The one pass over the table: each step's rules find their ideas, then what they found changes."""
    lowered = text.lower()
    for step in NOT_REQUIRED:
        found = [(rule, rule.finds(lowered, concepts)) for rule in step]
        out: list[Concept] = []
        for n, concept in enumerate(concepts):
            rule = next((rule for rule, chosen in found if n in chosen), None)
            if rule is None:
                out.append(concept)
            elif not rule.dropped:
                out.append(rule.apply(concept))
        concepts = out
    return concepts
