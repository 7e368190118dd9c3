"""`dailydiff eval`: endpoints side by side over one sample of commits, with the rules analyser's row first.

The sample comes from the stored history (levels and sizes in their stored proportions, the largest commits
included) or from a labelled set (analysis/evalsets/: commit ids and hand labels; the diffs come from the
user's clone). Every endpoint analyses every commit of the sample through the analyser a night uses (its
client, limits, validation and claim tracing), never through the store's analyses or reports: each answer is
kept in a cache of its own (``data_dir/eval``, one JSON line an answer, written as it lands), keyed by what
shapes it, so a second run asks only what it has not got (an endpoint added to the table, a commit added to
the sample) and an interrupted run keeps what finished.

What a row says (one ``Row`` an endpoint): answers that validated, the tracer's claims checked and supported
and the statements removed, agreement with the labels (types, level, facts), tokens, cost, latency per
request (median, p95) and failures by kind. Pure functions over the outcomes; the command (cli/eval.py) runs,
prints and writes.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from dailydiff.analysis.base import AnalysisRequest
from dailydiff.analysis.claims import commit_evidence, ground
from dailydiff.analysis.heuristic import HeuristicAnalyzer
from dailydiff.analysis.llm import LLMAnalyzer
from dailydiff.analysis.llm_call import price
from dailydiff.analysis.prompting import Prompt, PromptBook
from dailydiff.analysis.providers import provider_of
from dailydiff.errors import AnalysisError, ConfigError
from dailydiff.kinds import ChangeType
from dailydiff.models import Analysis, AnalysisStatus, Commit, Level, Score, known_sum
from dailydiff.scoring.rules import score_commit
from dailydiff.settings import LLMSettings, ModelProfile, Settings

log = logging.getLogger("dailydiff.eval")

RULES = "rules"
SHIPPED = "dailydiff.analysis.evalsets"
SIZE_BANDS = 4  # a sample keeps the stored share of each level × size quartile
CACHE_VERSION = 1
# The failures that are the model's answer (kept in the cache like an answer); the others (the endpoint down,
# refusing the key, timing out) are asked again by the next run.
ANSWERED_FAILURES = frozenset({"unparsed", "cut_off", "loop", "context"})
# An analysis's failure, by kind: the first pattern its error matches (a table, read in order).
FAILURE_KINDS: tuple[tuple[str, str], ...] = (
    ("refused", r"refused the API key|does not know model|\b40[134]\b"),
    ("unparsed", r"unparsed answer|not valid JSON|validation"),
    ("cut_off", r"cut off|output limit|no depth gave"),
    ("loop", r"repeated itself|loop"),
    ("timeout", r"timed? ?out|deadline"),
    ("context", r"context"),
    ("unavailable", r"left alone|unavailable|breaker|connection"),
    ("server", r"\b5\d\d\b|server"),
    ("rate_limited", r"429|rate"),
)


# the labelled set -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Labels:
    """One line of a labelled set: what a good analysis of the commit says."""

    repo: str
    sha: str
    change_types: tuple[str, ...]
    level: str
    facts: tuple[str, ...]  # each: alternatives separated by " | "; stated when any appears


def shipped_sets() -> list[str]:
    return sorted(p.name.removesuffix(".jsonl") for p in resources.files(SHIPPED).iterdir()
                  if p.name.endswith(".jsonl"))  # fmt: skip


def read_set(spec: str) -> list[Labels]:
    """The labelled set at path ``spec``, or the shipped set of that name (``flashinfer``)."""
    path = Path(spec)
    if path.is_file():
        text, where = path.read_text(encoding="utf-8"), str(path)
    elif spec in shipped_sets():
        text, where = resources.files(SHIPPED).joinpath(f"{spec}.jsonl").read_text(encoding="utf-8"), spec
    else:
        raise ConfigError(f"no labelled set {spec!r}",
                          f"give a JSONL file, or one of the shipped sets: {', '.join(shipped_sets())}")  # fmt: skip
    out = [
        _labels(line, f"{where}:{number}") for number, line in enumerate(text.splitlines(), 1) if line.strip()
    ]
    if not out:
        raise ConfigError(f"the labelled set {where} has no commits", "one JSON object a line")
    return out


def _labels(line: str, at: str) -> Labels:
    """One line of a labelled set (``at``: where it stands, for the error)."""
    types = {t.value for t in ChangeType}
    try:
        row = json.loads(line)
        labels = Labels(repo=str(row["repo"]), sha=str(row["sha"]).lower(),
                        change_types=tuple(row["change_types"]), level=str(row["level"]),
                        facts=tuple(str(f) for f in row.get("facts", [])))  # fmt: skip
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{at}: not a labelled commit ({exc})",
                          "each line: {\"repo\", \"sha\", \"change_types\", \"level\", \"facts\"}") from None  # fmt: skip
    wrong = [t for t in labels.change_types if t not in types]
    if (
        wrong
        or labels.level not in ("high", "medium", "low")
        or not re.fullmatch(r"[0-9a-f]{7,40}", labels.sha)
    ):
        raise ConfigError(f"{at}: {', '.join(wrong) or labels.level or labels.sha} is not a "
                          "change type, level or sha", f"change types: {', '.join(sorted(types))}")  # fmt: skip
    return labels


# the sample ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A commit of the sample: with its patches, its rule score (its depth, as a night asks it) and labels."""

    commit: Commit
    score: Score
    labels: Labels | None = None

    @classmethod
    def of(cls, commit: Commit, settings: Settings, labels: Labels | None = None) -> Item:
        """A commit scored as a night scores it (the rules' level is the depth it is asked at)."""
        return cls(commit, score_commit(commit, settings.scoring), labels)

    @property
    def size(self) -> int:
        return self.commit.stats.additions + self.commit.stats.deletions

    @property
    def key(self) -> str:
        """The commit and the depth it is asked at (the rules' level: other scoring weights, another answer)."""
        return f"{self.commit.repo}@{self.commit.sha}:{self.score.level.value}"

    @cached_property
    def request(self) -> AnalysisRequest:
        """The one request every endpoint is asked (one object: its prompts are built once, ``SharedPrompts``)."""
        return AnalysisRequest(commit=self.commit, score=self.score, depth=self.score.level)


def sample(items: Sequence[Item], n: int) -> list[Item]:
    """``n`` of ``items`` as a night has them: each level × size band (quartiles of the changed lines) keeps
    its share (largest remainders), evenly spread over its sizes, and the largest commit is always in.
    Deterministic: the same history gives the same sample (and the cache answers it)."""
    if n >= len(items):
        return list(items)
    by_size = sorted(items, key=lambda i: (i.size, i.key))
    bands = [
        by_size[len(by_size) * b // SIZE_BANDS : len(by_size) * (b + 1) // SIZE_BANDS]
        for b in range(SIZE_BANDS)
    ]
    strata: dict[tuple[str, int], list[Item]] = {}
    for band, members in enumerate(bands):
        for item in members:
            strata.setdefault((item.score.level.value, band), []).append(item)
    largest = by_size[-1]
    quota = {k: n * len(v) / len(items) for k, v in strata.items()}
    take = {k: math.floor(q) for k, q in quota.items()}
    for k in sorted(quota, key=lambda k: (take[k] - quota[k], k))[: n - sum(take.values())]:
        take[k] += 1
    chosen: list[Item] = []
    for k, members in strata.items():
        count = take[k]
        # Evenly over the stratum's sizes, its largest last: the band of the largest commit keeps it.
        chosen += (
            [members[len(members) - 1 - (j * len(members)) // count] for j in range(count)] if count else []
        )
    if all(i.key != largest.key for i in chosen):
        smallest = min(range(len(chosen)), key=lambda at: (chosen[at].size, chosen[at].key))
        chosen[smallest] = largest
    return sorted(chosen, key=lambda i: (i.commit.committed_at, i.key))


# running an endpoint --------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One commit analysed by one endpoint: the analysis, and each request's seconds."""

    key: str
    analysis: Analysis
    latencies: list[float] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"v": CACHE_VERSION, "key": self.key, "latencies": self.latencies,
                           "analysis": self.analysis.model_dump(mode="json")}, ensure_ascii=False)  # fmt: skip

    @property
    def cacheable(self) -> bool:
        """An answer, or a failure that is the model's (not the endpoint's or the network's)."""
        ok = self.analysis.status is AnalysisStatus.OK
        return ok or failure_kind(self.analysis.error) in ANSWERED_FAILURES

    @classmethod
    def from_json(cls, line: str) -> Outcome | None:
        try:
            row = json.loads(line)
            if row.get("v") != CACHE_VERSION:
                return None
            return cls(key=row["key"], analysis=Analysis.model_validate(row["analysis"]),
                       latencies=[float(x) for x in row["latencies"]])  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return None


@dataclass
class Endpoint:
    """A row of the table: the rules (``settings`` None) or an LLM endpoint with its effective ``[llm]``."""

    name: str
    settings: LLMSettings | None = None
    api_key: str = ""
    grounding: str = ""

    @property
    def priced(self) -> bool:
        """Whether a price is set for its model (the rules cost nothing and need none)."""
        if self.settings is None:
            return True
        own = self.settings.models.get(self.settings.model)
        if own is not None and (own.input_price is not None or own.output_price is not None):
            return True  # (a model's price of 0 is set: free)
        profile = self.settings.profile()
        return bool(
            profile.input_price or profile.output_price or profile.cached_input_price or profile.windows
        )

    def cache_name(self, language: str) -> str:
        """What shapes an answer, hashed: endpoint, model, prompts, the settings an answer depends on."""
        if self.settings is None:
            return ""

        shaping = self.settings.model_dump(include={"base_url", "model", "response_mode", "temperature",
                                                    "max_tokens_field", "escalation", "output_tokens",
                                                    "max_output_tokens", "context_window"})  # fmt: skip
        analyzer = LLMAnalyzer(self.settings, "")
        shaping |= {"prompts": analyzer.fingerprint(Level.HIGH, language), "grounding": self.grounding}
        provider = provider_of(self.settings.base_url, self.settings.provider)
        if not (self.settings.stream and provider.streams_usage):
            shaping["streamed"] = (
                False  # unstreamed, a loop is not stopped: another answer (absent: streamed)
            )
        digest = hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:16]
        return f"{re.sub(r'[^A-Za-z0-9._-]', '_', self.name)}-{digest}.jsonl"


class Cache:
    """An endpoint's answers: one JSON line each, appended as it lands (flushed: Ctrl-C loses nothing
    finished). Derived data: a damaged line is skipped with one warning, never a reason to stop."""

    def __init__(self, directory: Path | None, name: str) -> None:
        self.path = directory / name if directory is not None and name else None
        self.known: dict[str, Outcome] = {}
        self._made = False
        if self.path is None or not self.path.exists():
            return
        damaged = 0
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            outcome = Outcome.from_json(line) if line.strip() else None
            if outcome is None:
                damaged += line.strip() != ""
                continue
            self.known[outcome.key] = outcome
        if damaged:
            log.warning("%s: %d damaged line(s) skipped; those commits are asked again", self.path, damaged)

    def add(self, outcome: Outcome) -> None:
        if not outcome.cacheable:
            return
        self.known[outcome.key] = outcome
        if self.path is None:
            return
        if not self._made:  # (once, not at every answer)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._made = True
        with self.path.open("a", encoding="utf-8") as out:
            out.write(outcome.to_json() + "\n")


# Each request's seconds go to the commit whose task made it (the session's discovery is started before
# any commit's task, so its probe is no commit's).
_LATENCIES: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "eval_latencies", default=None
)


def _timed(complete: Callable[..., Any], asked: asyncio.Event) -> Callable[..., Any]:
    async def timed(*args: Any, **kwargs: Any) -> Any:
        asked.set()
        began = time.monotonic()
        try:
            return await complete(*args, **kwargs)
        finally:
            seconds = _LATENCIES.get()
            if seconds is not None:
                seconds.append(round(time.monotonic() - began, 4))

    return timed


class SharedPrompts(PromptBook):
    """The prompt book of every endpoint with the same templates (``prompts_dir``): a commit's prompt at a
    depth, mode, context and allowance is built once, for whichever endpoint asks first (its diff selection,
    text and evidence are the same for all; the evidence's folded text is then worked out once too)."""

    def __init__(self, prompts_dir: str = "") -> None:
        super().__init__(prompts_dir)
        self._built: dict[tuple[int, Level, str, str, int, int], tuple[AnalysisRequest, Prompt]] = {}

    def analysis_prompt(self, request: AnalysisRequest, depth: Level, language: str, mode: str,
                        context_window: int, max_tokens: int) -> Prompt:  # fmt: skip
        # By the request object (``Item.request``, kept here with its prompt: its id is not reused meanwhile).
        key = (id(request), depth, language, mode, context_window, max_tokens)
        if key not in self._built:
            built = super().analysis_prompt(request, depth, language, mode, context_window, max_tokens)
            self._built[key] = (request, built)
        return self._built[key][1]


async def run_all(endpoints: Sequence[Endpoint], todo: Mapping[str, Sequence[Item]], language: str, store: Any,
                  on_done: Callable[[str, Outcome], None]) -> None:  # fmt: skip
    """Every endpoint over the items it has to do, side by side, each at its own concurrency (its session's
    limit bounds its requests in flight); each outcome handed to ``on_done`` as it lands. The endpoints
    with the same templates share one prompt book; the rules' row waits until every endpoint's first request
    is out (it then fills the wait for the answers, not the start)."""
    books: dict[str, SharedPrompts] = {}
    models = [e for e in endpoints if e.settings is not None and todo.get(e.name)]
    asked = {e.name: asyncio.Event() for e in models}
    rows = [_llm_row(e, todo[e.name], language, store, on_done, books, asked[e.name]) for e in models]
    rows += [_rules_row(e, todo[e.name], language, on_done, list(asked.values())) for e in endpoints
             if e.settings is None and todo.get(e.name)]  # fmt: skip
    await asyncio.gather(*rows)


async def _rules_row(endpoint: Endpoint, items: Sequence[Item], language: str,
                     on_done: Callable[[str, Outcome], None], after: Sequence[asyncio.Event]) -> None:  # fmt: skip
    for event in after:
        await event.wait()
    async with HeuristicAnalyzer().session() as rules:
        for item in items:
            # A commit at a time between the endpoints' work: the row never holds the loop for long (answers
            # streaming in, the next requests go meanwhile).
            await asyncio.sleep(0)
            began = time.monotonic()
            analysis = await rules.analyse(item.request, language)
            # Traced as a night traces it (engine/analysing.py): counted, never cut; `off`: not traced.
            if endpoint.grounding != "off":
                analysis = ground(analysis, commit_evidence(item.commit), "trace", language)
            on_done(endpoint.name, Outcome(item.key, analysis, [round(time.monotonic() - began, 4)]))


async def _llm_row(endpoint: Endpoint, items: Sequence[Item], language: str, store: Any,
                   on_done: Callable[[str, Outcome], None], books: dict[str, SharedPrompts],
                   asked: asyncio.Event) -> None:  # fmt: skip
    """``asked`` is set at the endpoint's first request (or once it has none to make)."""
    assert endpoint.settings is not None
    try:
        analyzer = LLMAnalyzer(endpoint.settings, endpoint.api_key, store, grounding=endpoint.grounding)
        prompts_dir = endpoint.settings.prompts_dir
        analyzer.prompts = books.setdefault(prompts_dir, SharedPrompts(prompts_dir))
        async with analyzer.session() as session:
            # Measured at the client: every request's own seconds, whatever waited for a slot before it.
            session.client.complete = _timed(session.client.complete, asked)  # type: ignore[method-assign]
            # The endpoint contacted (the client built, GET /models answered) before the first commit goes: the
            # client's own start is no request's latency. Its failure is each commit's (they say it).
            session.expect(language)
            if session.contact is not None:
                await asyncio.gather(asyncio.shield(session.contact), return_exceptions=True)
            asked.set()  # (an endpoint that could not be reached makes none)

            async def one(item: Item) -> None:
                latencies: list[float] = []
                _LATENCIES.set(latencies)
                try:
                    analysis = await session.analyse(item.request, language)
                except AnalysisError as exc:  # a refused key, an unknown model: this endpoint's row says so
                    analysis = Analysis(analyzer=analyzer.name, status=AnalysisStatus.FAILED, error=str(exc))
                on_done(endpoint.name, Outcome(item.key, analysis, latencies))

            await asyncio.gather(*(one(item) for item in items))
    finally:
        asked.set()


# the table ---------------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    model: str
    commits: int = 0
    valid: int = 0
    checked: int = 0
    supported: int = 0
    removed: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    unreported_in: int = 0  # analyses whose endpoint sent no prompt-token count (a stream without usage)
    cached_tokens: int | None = None  # None: no answer said (unknown, not 0)
    requests: int = 0
    cost: float = 0.0
    priced: bool = True  # False: the endpoint has no price set (its cost is not known, not free)
    latency_p50: float | None = None
    latency_p95: float | None = None
    failures: dict[str, int] = field(default_factory=dict)
    agreement: dict[str, float | None] | None = None

    @property
    def supported_share(self) -> float | None:
        return self.supported / self.checked if self.checked else None

    def json(self, night: int) -> dict[str, Any]:
        out = {"name": self.name, "model": self.model, "commits": self.commits, "valid": self.valid,
               "checked": self.checked, "supported": self.supported, "removed": self.removed,
               "tokens_in": self.tokens_in, "tokens_in_unreported": self.unreported_in, "tokens_out": self.tokens_out,
               "cached_tokens": self.cached_tokens,
               "requests": self.requests, "cost": round(self.cost, 6), "priced": self.priced,
               "cost_per_commit": round(self.cost / self.commits, 6) if self.commits else None,
               "cost_per_night": round(self.cost / self.commits * night, 6) if self.commits else None,
               "latency_p50": self.latency_p50, "latency_p95": self.latency_p95, "failures": self.failures}  # fmt: skip
        if self.agreement is not None:
            out["agreement"] = self.agreement
        return out


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (a value that occurred), None of nothing."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def failure_kind(error: str | None) -> str:
    text = error or ""
    return next((kind for kind, pattern in FAILURE_KINDS if re.search(pattern, text, re.I)), "error")


def analysis_text(analysis: Analysis) -> str:
    """Everything an analysis says, as one text (what facts are looked for in)."""
    parts = [analysis.summary, analysis.importance_reason, *analysis.impact, analysis.insights.architecture,
             analysis.insights.performance, analysis.insights.security, *analysis.risks, *analysis.recommendations]  # fmt: skip
    return "\n".join(p for p in parts if p)


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", text).casefold()


def fact_stated(fact: str, text: str) -> bool:
    """A fact (alternatives separated by " | ") is stated when any alternative is in ``text``, any case; one
    that starts with a letter or digit only where a word starts (``lock`` is not in "block", ``256`` not in
    "1256"; ``quantiz`` is in "quantization")."""
    folded = _folded(text)
    for alt in (a.strip() for a in fact.split("|")):
        if alt and re.search(("(?<![0-9a-z_])" if alt[0].isascii() and alt[0].isalnum() else "")
                             + re.escape(_folded(alt)), folded):  # fmt: skip
            return True
    return False


def agreement(pairs: Sequence[tuple[Labels, Analysis]]) -> dict[str, float | None]:
    """Shares over the labelled commits an endpoint answered: its first change type among the labels'
    (``types``), its importance the labels' level (``level``), and the labels' facts its text states
    (``facts``, over all facts). A failed analysis counts as a miss."""
    if not pairs:
        return {"types": None, "level": None, "facts": None}
    types = level = facts = total_facts = 0
    for labels, analysis in pairs:
        ok = analysis.status is AnalysisStatus.OK
        first = analysis.change_types[0].value if ok and analysis.change_types else None
        types += first in labels.change_types
        level += ok and analysis.importance is not None and analysis.importance.value == labels.level
        text = analysis_text(analysis) if ok else ""
        facts += sum(fact_stated(f, text) for f in labels.facts)
        total_facts += len(labels.facts)
    return {"types": round(types / len(pairs), 3), "level": round(level / len(pairs), 3),
            "facts": round(facts / total_facts, 3) if total_facts else None}  # fmt: skip


def grounding_of(analysis: Analysis) -> tuple[int, int, int]:
    """The tracer's figures of an analysis: claims checked, supported, and the statements the repair could not
    save (removed from what is published; marked ones, ``grounding = "mark"``, are kept)."""
    grounding = analysis.grounding
    if grounding is None:
        return 0, 0, 0
    removed = len(grounding.removed) if grounding.action == "removed" else 0
    return grounding.checked, grounding.supported, removed


def row_of(name: str, model: str, outcomes: Iterable[Outcome], labels: dict[str, Labels], *,
           priced: bool = True, prices: ModelProfile | None = None) -> Row:  # fmt: skip
    """An endpoint's figures over its outcomes. Its cost is its tokens at ``prices`` (its model's, as configured
    when the table is made; None: the rules, free): the cache keeps tokens, so a price set or changed after the
    answers were cached prices them without asking again."""
    row = Row(name=name, model=model, priced=priced)
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    pairs: list[tuple[Labels, Analysis]] = []
    for outcome in outcomes:
        analysis = outcome.analysis
        row.commits += 1
        row.valid += analysis.status is AnalysisStatus.OK
        if analysis.status is not AnalysisStatus.OK:
            failures[failure_kind(analysis.error)] += 1
        checked, supported, removed = grounding_of(analysis)
        row.checked += checked
        row.supported += supported
        row.removed += removed
        usage = analysis.usage
        row.tokens_in += usage.prompt_tokens
        row.unreported_in += usage.requests > 0 and usage.prompt_tokens == 0
        row.tokens_out += usage.completion_tokens
        row.cached_tokens = known_sum(row.cached_tokens, usage.cached_tokens)
        row.requests += usage.requests
        latencies += outcome.latencies
        if outcome.key in labels:
            pairs.append((labels[outcome.key], analysis))
    if prices is not None:
        row.cost = price(prices, row.tokens_in, row.tokens_out, row.cached_tokens).cost
    row.latency_p50, row.latency_p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    row.failures = dict(sorted(failures.items()))
    row.agreement = agreement(pairs) if labels else None
    return row


def ranked(rows: Sequence[Row]) -> list[Row]:
    """The rules first, then the endpoints best first: the most answers valid and claims supported, then
    the most facts stated, then the cheapest, then the fastest."""

    def merit(row: Row) -> tuple[float, ...]:
        valid = row.valid / row.commits if row.commits else 0.0
        supported = row.supported_share if row.supported_share is not None else 1.0
        facts = (row.agreement or {}).get("facts") or 0.0
        return (-round(valid * supported, 3), -facts, row.cost, row.latency_p50 or 0.0)

    rules = [r for r in rows if r.name == RULES]
    return rules + sorted((r for r in rows if r.name != RULES), key=merit)


def words(language: str) -> dict[str, Any]:
    """The table's and the command's words in ``language`` (the locale files' ``[eval]``)."""
    from dailydiff.common.i18n import words as locale_words

    return locale_words("eval", language)


def _share(part: int, whole: int, nothing: str = "–") -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else nothing


def _money(value: float | None) -> str:
    return "–" if value is None else f"${value:.4f}"


def _cells(r: Row, night: int, h: dict[str, str], labelled: bool) -> list[str]:
    """An endpoint's row of the table."""
    data = r.json(night)
    latency = "–" if r.latency_p50 is None else f"{r.latency_p50:.2f} / {r.latency_p95:.2f}"
    failures = ", ".join(f"{k} {v}" for k, v in r.failures.items()) or h["none"]
    cached = h["unreported"] if r.cached_tokens is None else f"{r.cached_tokens:,}"
    cached = h["no_llm"] if r.name == RULES else cached
    costs = [_money(data[k]) if r.priced else h["no_price"] for k in ("cost_per_commit", "cost_per_night")]
    tokens_in = (
        h["unreported"] if r.unreported_in and not r.tokens_in
        else f"{r.tokens_in:,} ({h['some_unreported'].format(n=r.unreported_in)})" if r.unreported_in
        else f"{r.tokens_in:,}"
    )  # fmt: skip
    cells = [r.name, r.model, str(r.commits), _share(r.valid, r.commits), _share(r.supported, r.checked, h["no_claims"]),
             str(r.removed), f"{tokens_in} / {r.tokens_out:,} ({cached})", *costs, latency, failures]  # fmt: skip
    if labelled:
        a = r.agreement or {}
        cells += [
            f"{100 * v:.0f}%" if (v := a.get(k)) is not None else "–" for k in ("types", "level", "facts")
        ]
    return cells


def markdown(rows: Sequence[Row], language: str, night: int, what: str, notes: Sequence[str] = ()) -> str:
    h = words(language)
    labelled = any(r.agreement is not None for r in rows)
    head = [h["endpoint"], h["model"], h["commits"], h["valid"], h["supported"], h["removed"], h["tokens"],
            h["cost"], h["night"], h["latency"], h["failures"]] + ([h["types"], h["level"], h["facts"]] if labelled else [])  # fmt: skip
    lines = [f"## {h['title'].format(n=night, what=what)}", "", "| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]  # fmt: skip
    for r in rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(r, night, h, labelled)) + " |")
    lines += ["", h["legend"].format(n=night), *notes]
    return "\n".join(lines) + "\n"


def document(
    rows: Sequence[Row], language: str, night: int, what: str, extra: dict[str, Any]
) -> dict[str, Any]:
    return {"language": language, "sample": {"commits": night, "from": what}, **extra,
            "endpoints": [r.json(night) for r in rows]}  # fmt: skip
