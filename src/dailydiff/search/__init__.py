"""Questions over the whole stored history: `dailydiff search` ranks the reported commits a question
finds (store/search.py retrieves, rank.py orders), `dailydiff ask` answers from them (ask.py), citing only
commits that were retrieved."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dailydiff.common.lazyre import two_scripts
from dailydiff.common.searchterms import index_terms
from dailydiff.common.text import clean
from dailydiff.errors import SearchIndexError, UsageError
from dailydiff.kinds import ChangeType, Level
from dailydiff.search.rank import Hit, rank, type_terms
from dailydiff.search.understand import Concept, Understood, extra_concepts, understand
from dailydiff.store import Store
from dailydiff.store.search import SearchDoc, SearchFilters, encode_filters

CANDIDATES = 400  # what the backend hands to the ranking: enough that its own order does not decide
APART_CANDIDATES = 100  # more candidates for the ways a question's word is also written apart
EXTRA_WEIGHT = 0.5  # a model's search word counts half a word of the question
# A question is read up to MAX_QUESTION_CHARS characters, and each of its words (a run of letters, digits and
# marks; a Chinese run is many words) up to MAX_WORD_CHARS: what is read is bounded, so a question pasted
# whole (a log, a file) is answered as quickly as any other and never holds a server.
MAX_QUESTION_CHARS = 1000
MAX_WORD_CHARS = 100
_LONG_WORD_RE = two_scripts(
    rf"[^\s\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]{{{MAX_WORD_CHARS + 1},}}",
    rf"\S{{{MAX_WORD_CHARS + 1},}}",
)


@dataclass(frozen=True)
class SearchResult:
    question: str
    terms: list[str]
    filters: SearchFilters
    hits: list[Hit]
    indexed: int  # documents in the index (commits × languages)
    unknown_terms: list[str] = field(default_factory=list)  # terms no stored commit holds
    time_words: list[str] = field(default_factory=list)  # the question's words that chose the days searched
    repo_words: list[str] = field(default_factory=list)  # the question's words that chose the repositories
    put_last: list[str] = field(default_factory=list)  # the kinds of change the question asked not to see
    # The first and last day the index holds, looked up when days were chosen and nothing was found.
    span: tuple[dt.date, dt.date] | None = None
    capped: str = (
        ""  # what of the question was not read (its length, its words), in one line; "" when all was
    )


def bounded(question: str) -> tuple[str, str]:
    """The question as it is read (its first MAX_QUESTION_CHARS characters, each word cut to MAX_WORD_CHARS),
    and one line saying what was cut ("" when nothing was). Linear in the question's length."""
    said: list[str] = []
    total = len(question)
    longest = max((len(m.group()) for m in _LONG_WORD_RE.finditer(question)), default=0)
    if longest:
        said.append(f"a word of {longest:,} characters is read as its first {MAX_WORD_CHARS}")
        question = _LONG_WORD_RE.sub(lambda m: m.group()[:MAX_WORD_CHARS], question)
    if len(question) > MAX_QUESTION_CHARS:
        said.append(f"only the first {MAX_QUESTION_CHARS:,} of the question's {total:,} characters are read")
        question = question[:MAX_QUESTION_CHARS]
    return question, "; ".join(said)


def find(store: Store, question: str, filters: SearchFilters, limit: int = 10, today: dt.date | None = None,
         extra_words: Sequence[str] = (), chose: Callable[[SearchFilters], None] | None = None) -> SearchResult:  # fmt: skip
    """The ``limit`` best stored commits for ``question`` within ``filters``; a time the question names
    ("since April", "8 月份") narrows the days where ``filters`` leave them open. ``extra_words``: search
    words a model wrote for the question (`ask`), which add to a commit's score and are never required. An index that cannot be read, or is empty while the store has reported commits,
    is a SearchIndexError naming `dailydiff store reindex`; an empty question is a UsageError (it would list
    the newest commits as if they answered something). A question longer than the bounds is read cut
    (``capped`` says how). ``chose`` is told the filters searched within as soon as they are known (the
    vectors' side of a hybrid search scores the rows within them meanwhile, search/hybrid.py)."""
    if not question.strip():
        raise UsageError("the question is empty", 'ask something, e.g. dailydiff search "attention kernels"')
    question, capped = bounded(question)
    understood = _understood(question, today, extra_words)
    given, filters = filters, _with_time(filters, understood)
    before = filters
    understood, filters, repo_words = _named_repos(store, understood, filters)
    repo_words = repo_words if filters.repos != before.repos else []
    if chose is not None:
        chose(filters)
    together = _side_by_side(understood, question)
    total, counts = store.search_term_counts([*understood.terms, *(t for _, t in together)])
    understood = _written_together(understood, together, counts)
    terms = understood.terms
    if not total:  # an empty index over stored commits is not "nothing reported yet"
        _not_emptied(store)
    known = [t for t in terms if counts.get(t)]
    docs = store.search_candidates(known, filters, CANDIDATES) if (known or not terms) else []
    understood, docs = _with_written_apart(store, understood, filters, docs, counts)
    typed = _typed(store, understood) if docs else {}
    hits = rank(docs, understood.concepts, total, counts, limit, today, understood.phrases, typed)
    if "revert" in understood.kinds and _RELAND_RE.search(question):
        hits = _with_relands(store, hits, filters, limit, originals=bool(_ORIGINAL_RE.search(question)))
    return _result(
        store, question, understood, terms, given, filters, hits, total, counts, repo_words, capped
    )


def _result(store: Store, question: str, understood: Understood, terms: list[str], given: SearchFilters, filters: SearchFilters,
            hits: list[Hit], total: int, counts: dict[str, int], repo_words: list[str], capped: str) -> SearchResult:  # fmt: skip
    """What a search found, with what it says of the question: the ideas no commit holds, the time words that
    chose the days, the days stored (when nothing was found within those asked), the ideas put last."""
    unknown = [c.source for c in understood.concepts if not any(counts.get(t) for t in c.terms)]
    chose_days = filters.date_from != given.date_from or filters.date_to != given.date_to
    span = store.search_span() if not hits and total and (filters.date_from or filters.date_to) else None
    put_last = [c.source for c in understood.concepts if c.excluded]
    return SearchResult(question, terms, filters, hits, total, unknown,
                        understood.time_words if chose_days else [], span=span, repo_words=repo_words,
                        put_last=put_last, capped=capped)  # fmt: skip


def _understood(question: str, today: dt.date | None, extra_words: Sequence[str]) -> Understood:
    understood = understand(question, today or dt.date.today())
    if extra_words:
        extra = extra_concepts(list(extra_words), understood, EXTRA_WEIGHT)
        understood = replace(understood, concepts=[*understood.concepts, *extra])
    return understood


def _not_emptied(store: Store) -> None:
    """An index found empty: a SearchIndexError when the store has reported commits it lacks."""
    problem = store.search_health()
    if problem:
        raise SearchIndexError(
            f"the search index of the store at {store.location} is empty: {problem}",
            "rebuild it from the stored reports: dailydiff store reindex",
        )


def _typed(store: Store, understood: Understood) -> dict[str, int]:
    """The kinds of change the question asks for, as the index writes them → the documents typed so."""
    asked = [t for t in ChangeType if any(c.kind and type_terms(t) in c.terms for c in understood.concepts)]
    return {type_terms(t): n for t, n in store.search_type_counts(asked).items()} if asked else {}


def _with_written_apart(
    store: Store,
    understood: Understood,
    filters: SearchFilters,
    docs: list[SearchDoc],
    counts: dict[str, int],
) -> tuple[Understood, list[SearchDoc]]:
    """The question's words as the candidates' titles also write them apart, and the candidates those find
    (``counts`` gains their counts): "moe" is also "MoE" (indexed "mo e"), "deepseek" "DeepSeek", "topk"
    "top-k"."""
    apart = _written_apart(docs, understood)
    if not apart:
        return understood, docs
    understood = replace(understood, concepts=[_with_apart(c, apart) for c in understood.concepts])
    more = sorted({v for vs in apart.values() for v in vs})
    counts.update(store.search_term_counts(more)[1])
    have = {(d.repo, d.sha, d.language) for d in docs}
    docs = docs + [d for d in store.search_candidates(more, filters, APART_CANDIDATES)
                   if (d.repo, d.sha, d.language) not in have]  # fmt: skip
    return understood, docs


def _named_repos(
    store: Store, understood: Understood, filters: SearchFilters
) -> tuple[Understood, SearchFilters, list[str]]:
    """A repository the question names by its name ("what did flashinfer release this year?") is where to
    search (unless the filters say where), not a word its commits must hold: most of its commits never say
    their own name."""
    names: dict[str, list[str]] = {
        c.terms[0]: [] for c in understood.concepts if not c.kind and len(c.terms) <= 2
    }
    named = _repos_named(store, names) if names else {}
    if not named:
        return understood, filters, []
    concepts = [c for c in understood.concepts if c.kind or c.terms[0] not in named]
    words = [c.source for c in understood.concepts if not c.kind and c.terms[0] in named]
    if not filters.repos:
        filters = replace(filters, repos=tuple(sorted({r for repos in named.values() for r in repos})))
    return replace(understood, concepts=concepts), filters, words


def _repos_named(store: Store, names: dict[str, list[str]]) -> dict[str, list[str]]:
    """The question's ``names`` (terms → []) that name stored repositories, with those repositories."""
    for repo in store.search_repos():
        for name in {repo, repo.rpartition("/")[2]}:
            said = " ".join(index_terms(name))
            if said in names:
                names[said].append(repo)
    named = {term: repos for term, repos in names.items() if repos}
    # "vllm-ascend PRs that upgraded vllm", both followed: the longer name is where; "vllm" stays an idea
    return {term: repos for term, repos in named.items()
            if not any(other != term and f" {term} " in f" {other} " for other in named)}  # fmt: skip


# A question that asks what came back after a revert ("re-landed", "reapplied", "重新合入"), not only what
# was reverted.
_RELAND_RE = re.compile(r"re-?land|re-?appl|landed again|重新合|合回来|再次合入|重新提|重新引入|加回来", re.I)
# A question that also asks for the change a revert undid ("the original PR, the revert, the reland").
_ORIGINAL_RE = re.compile(r"\boriginals?\b|原始|最初|原来的|原先的|原 ?pr", re.I)
# A title's leading tags ("[Revert][BugFix] "), and a quoted title after them.
_TAGS_RE = re.compile(r"^\s*(?:\[[^\]]*\]\s*)+")
_QUOTED_RE = re.compile(r"^\s*[\"“'](.+?)(?:[\"”']|…|\.\.\.|$)")
# The share of a reverted title's words a commit repeats to be that change (or its re-land).
SAME_CHANGE = 0.75


def reverted_title(title: str) -> str | None:
    """What a revert undid, as its title quotes it: ``Revert "<title>"``, ``[Revert] Revert "<title>"``,
    ``[BugFix] Revert "<title>" (#1)``, ``[Revert] "<title>"``; None for any other title."""
    tags = _TAGS_RE.match(title)
    rest = title[tags.end() :] if tags else title
    said = re.match(r"\s*revert\b:?", rest, re.I)
    if said:
        rest = rest[said.end() :]
    elif not (tags and "revert" in tags.group(0).lower()):
        return None
    quoted = _QUOTED_RE.match(rest)
    return quoted.group(1) if quoted else None


def _words(title: str) -> set[str]:
    """A title's words without its tags, conventional prefix and pull request ("[BugFix] fix(moe): … (#1)"),
    as the rule-based analyser reads a title."""
    from dailydiff.scoring.rules import parse_title

    return set(index_terms(parse_title(title).subject))


def _same_change(reverted: set[str], title: str) -> bool:
    words = _words(title)
    shared = len(reverted & words)
    return shared >= SAME_CHANGE * len(reverted) and shared >= SAME_CHANGE * len(words)


def _with_relands(
    store: Store, hits: list[Hit], filters: SearchFilters, limit: int, originals: bool = False
) -> list[Hit]:
    """A question about what was rolled back and re-landed gets each revert with its re-land beside it (the
    first later commit that says the reverted title again, however it is called: "…, fixed", "Reapply …");
    the reverts that came back come first, the others follow. The change a revert undid (the last earlier
    commit that says its title) is shown before it when the question asks for the ``originals``; otherwise
    the revert's own title quotes it."""
    pairs: list[Hit] = []
    lone: list[Hit] = []
    for hit in hits:
        quoted = reverted_title(hit.doc.title)
        reverted = _words(quoted) if quoted else set()
        reland = _reland(store, hit, reverted, filters) if len(reverted) >= 3 else None
        if reland is None:
            lone.append(hit)
            continue
        original = _reland(store, hit, reverted, filters, before=True) if originals else None
        pairs += [Hit(original, hit.score, ("original",))] if original else []
        pairs += [hit, Hit(reland, hit.score, ("reland",))]
    shown: set[tuple[str, str]] = set()
    out: list[Hit] = []
    for hit in (*pairs, *lone):
        if (hit.doc.repo, hit.doc.sha) not in shown:
            shown.add((hit.doc.repo, hit.doc.sha))
            out.append(hit)
    return out[:limit]


def _reland(
    store: Store, revert: Hit, reverted: set[str], filters: SearchFilters, before: bool = False
) -> SearchDoc | None:
    """The first commit after ``revert`` that says the reverted title again and is no revert itself (with
    ``before``: the last such commit before it, the change it undid)."""
    days = (None, revert.doc.date) if before else (revert.doc.date, None)
    near = replace(filters, repos=(revert.doc.repo,), date_from=days[0], date_to=days[1])
    found = [
        d for d in store.search_candidates(sorted(reverted), near, 40)
        if d.sha != revert.doc.sha and (d.committed_at < revert.doc.committed_at) == before
        and d.committed_at != revert.doc.committed_at
        and reverted_title(d.title) is None and _same_change(reverted, d.title)
    ]  # fmt: skip
    if not found:
        return None
    return (max if before else min)(found, key=lambda d: d.committed_at)


def _written_apart(docs: Sequence[SearchDoc], understood: Understood) -> dict[str, set[str]]:
    """The question's one-word terms that the candidates' titles also write as two or three words ("moe" as
    "mo e": a title saying "MoE"), found where the parts stand side by side and join into the term."""
    wanted = {t for t in understood.terms if " " not in t and len(t) >= 3 and t.isascii()}
    starts = {t[:n] for t in wanted for n in range(1, len(t))}
    found: dict[str, set[str]] = {}
    for doc in docs:
        words = doc.fields.get("f_title", "").split()
        for i, word in enumerate(words[:-1]):
            if word not in starts:
                continue
            for parts in (words[i : i + 2], words[i : i + 3]):
                if "".join(parts) in wanted and len(parts) > 1:
                    found.setdefault("".join(parts), set()).add(" ".join(parts))
    return found


def _side_by_side(understood: Understood, question: str) -> list[tuple[int, str]]:
    """Two one-word ideas the question writes side by side ("ACL graph"), by where the first stands, with
    the one word a commit may write them as ("aclgraph")."""
    lowered = " ".join(re.findall(r"[a-z0-9]+", question.lower()))
    concepts = understood.concepts
    out: list[tuple[int, str]] = []
    for at, (a, b) in enumerate(zip(concepts, concepts[1:], strict=False)):
        if a.kind or b.kind or a.optional or b.optional:
            continue
        first, second = a.source.lower(), b.source.lower()
        if first.isalnum() and second.isalnum() and first.isascii() and second.isascii():
            joined = index_terms(first + second)
            if f" {first} {second} " in f" {lowered} " and len(joined) == 1:
                out.append((at, joined[0]))
    return out


def _written_together(
    understood: Understood, together: list[tuple[int, str]], counts: dict[str, int]
) -> Understood:
    """ "ACL graph": a commit writing it as one word ("aclgraph") holds both ideas."""
    concepts = list(understood.concepts)
    for at, joined in together:
        if counts.get(joined):
            for i in (at, at + 1):
                if joined not in concepts[i].terms:
                    concepts[i] = replace(concepts[i], terms=(*concepts[i].terms, joined))
    return replace(understood, concepts=concepts)


def _with_apart(concept: Concept, apart: dict[str, set[str]]) -> Concept:
    extra = [v for t in concept.terms for v in sorted(apart.get(t, ())) if v not in concept.terms]
    if not extra:
        return concept
    own = [*concept.own, *(v for t in concept.own for v in sorted(apart.get(t, ())) if v not in concept.own)]
    return replace(concept, terms=(*concept.terms, *extra), own=tuple(own))


def _with_time(filters: SearchFilters, understood: Understood) -> SearchFilters:
    if filters.date_from or filters.date_to or not (understood.date_from or understood.date_to):
        return filters
    return replace(filters, date_from=understood.date_from, date_to=understood.date_to)


# ---- the shared edges of `search`, `ask`, the web API and the MCP server --------------------------------


def parse_date(text: str | None, flag: str, timezone: str = "UTC") -> dt.date | None:
    """A YYYY-MM-DD, ``today`` or ``yesterday`` (in ``timezone``) argument, as `report --date` takes it (None
    when not given), or one UsageError naming ``flag``."""
    if not text:
        return None
    from dailydiff.common.timewindow import parse_date as calendar_date

    try:
        return calendar_date(text, timezone)
    except UsageError:
        raise UsageError(
            f"{flag} {text!r} is not a date", "write it as YYYY-MM-DD, today or yesterday"
        ) from None


def _choices(values: list[str] | None, allowed: list[str], flag: str) -> list[str]:
    chosen = [v.strip() for value in values or [] for v in value.split(",") if v.strip()]
    wrong = [v for v in chosen if v not in allowed]
    if wrong:
        raise UsageError(f"unknown {flag} {wrong[0]!r}", f"choose from: {', '.join(allowed)}")
    return chosen


# What the command line calls each filter (the MCP tools call them since, until, type and level).
CLI_NAMES = {"since": "--from", "until": "--to", "type": "--type", "level": "--level"}


def filters_from(
    repo: list[str] | None, since: str | None, until: str | None, change_type: list[str] | None,
    level: list[str] | None, topic: list[str] | None, path: str | None, *,
    names: Mapping[str, str] = CLI_NAMES, timezone: str = "UTC",
) -> SearchFilters:  # fmt: skip
    first, last = parse_date(since, names["since"], timezone), parse_date(until, names["until"], timezone)
    if first and last and first > last:
        raise UsageError(f"{names['since']} {first} is after {names['until']} {last}", "swap them")
    return SearchFilters(
        repos=tuple(repo or ()),
        date_from=first,
        date_to=last,
        change_types=tuple(_choices(change_type, [c.value for c in ChangeType], names["type"])),
        levels=tuple(_choices(level, [v.value for v in Level], names["level"])),
        topics=tuple(topic or ()),
        path_glob=path or "",
    )


def hit_json(rank_no: int, hit: Hit) -> dict[str, Any]:
    doc = hit.doc
    return {"rank": rank_no, "repo": doc.repo, "sha": doc.sha, "date": doc.date.isoformat(),
            "language": doc.language, "level": doc.level, "change_types": doc.change_types,
            "topics": doc.topics, "title": clean(doc.title), "summary": clean(doc.summary),
            "url": doc.url or None, "pull_request": doc.pr_number, "paths": doc.paths,
            "score": round(hit.score, 4), "matched": list(hit.matched), "also_in": list(hit.also_in)}  # fmt: skip


def reading_notes(result: SearchResult) -> list[str]:
    """A line each for what the question's own words chose beyond its ideas: the days, the repositories, the
    kinds of change to put last (none when they chose nothing)."""
    notes: list[str] = [result.capped] if result.capped else []
    if result.time_words:
        first, last = result.filters.date_from, result.filters.date_to
        days = f"{first or 'the first day'} to {last or 'today'}"
        notes.append(f"searching {days} (read from {_said(result.time_words)}; --from/--to override)")
    if result.repo_words:
        notes.append(f"searching {', '.join(result.filters.repos)} only (read from {_said(result.repo_words)}; "
                     "--repo overrides)")  # fmt: skip
    if result.put_last:
        notes.append(f"listing {_said(result.put_last)} commits after the others (as the question asks)")
    return notes


def _said(words: Sequence[str]) -> str:
    return ", ".join(repr(clean(w)) for w in words)


def nothing_found(result: SearchResult) -> str:
    """Why a search found nothing, in one line with what to try next: an empty store, days chosen that the
    index does not hold ("上个月" over a history that ended before it), or words no commit of those days
    holds."""
    if not result.indexed:
        return "the store has no reported commits yet: build some first (dailydiff report / run)"
    first, last = result.filters.date_from, result.filters.date_to
    days = (
        f" from {first} to {last}"
        if first and last
        else f" since {first}"
        if first
        else f" up to {last}"
        if last
        else ""
    )
    found = f"no stored commit{days} matches {result.question!r}"
    if result.span is None:
        return f"{found} (searched {result.indexed} indexed commits)"
    held = f"the index holds {result.indexed} commits from {result.span[0]} to {result.span[1]}"
    outside = (first and first > result.span[1]) or (last and last < result.span[0])
    if outside:
        return f"{found}: {held}, none of them in those days; choose days with --from/--to"
    return f"{found}: {held}; other words, or wider days with --from/--to, may find some"


def result_json(result: SearchResult) -> dict[str, Any]:
    return {"question": result.question, "terms": result.terms, "unknown_terms": result.unknown_terms,
            "filters": json.loads(encode_filters(result.filters)), "time_words": result.time_words,
            "repo_words": result.repo_words, "put_last": result.put_last, "capped": result.capped or None,
            "indexed": result.indexed, "commits": [hit_json(n, h) for n, h in enumerate(result.hits, 1)],
            "nothing_found": None if result.hits else nothing_found(result)}  # fmt: skip
