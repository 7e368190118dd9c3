"""The LLM analyser: structured, budgeted, concurrent, accounted — and never silently broken.

Once per run, before the first request (as soon as the engine lists commits that will need one, beside
their fetch; for an endpoint the store knows nothing of, as the run starts, beside the reading), the
endpoint is asked what it is (``GET /models``: alive? its context size; llama.cpp's ``/props``), and, with
``response_mode = "auto"``, the strongest way it has to hold an answer to a schema is negotiated with a tiny
probe (it goes out with the first commits, first in line; those ask in json_object, the schema in the
prompt, until its answer is in); both are remembered per endpoint and model in the store, and so is, at the end of the run, what
the concurrency limit found there (analysis/limits.py): the next run starts from it. An endpoint
that does not answer that first GET, or that keeps timing out or failing (a circuit breaker), is left alone
for the rest of the run: every commit left fails at once with that reason.

Per commit: build a prompt that fits the context (budget.py, prompting.py), ask for JSON in the schema of
the commit's depth, validate (schema.py) and re-ask once with the validation error. A reply cut off at
the output limit is never used: it is retried with a larger allowance up to the model's cap, then at a
smaller depth. Whatever the model answers, a commit costs at most ``MAX_REQUESTS_PER_COMMIT`` requests
the server worked on (answered, timed out, cut off; retries of transport faults and 429s aside), then it
is reported failed (the pipeline falls back to the heuristic analysis). Failures are
``Analysis(status=failed)`` records; only errors that make every further call pointless (bad key, unknown
model or endpoint) raise ``AnalysisError`` — once, for the run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dailydiff.analysis.base import AnalysisRequest, OnResult, analyse_many
from dailydiff.analysis.budget import estimate_messages
from dailydiff.analysis.client import ChatClient, LLMCallError, Reply
from dailydiff.analysis.heuristic import heuristic_overview
from dailydiff.analysis.limits import AdaptiveLimit, Ticket
from dailydiff.analysis.prompting import Prompt, PromptBook, PromptTooLarge, safety_margin
from dailydiff.analysis.schema import (
    ASK_SCHEMA,
    OVERVIEW_SCHEMA,
    RESPONSE_MODES,
    REWRITE_SCHEMA,
    SCHEMA_VERSION,
    AnswerError,
    answer_schema,
    load_json,
    parse_answer,
    parse_ask,
    parse_overview,
    parse_rewrite,
    prompt_mode,
    response_format,
    sanitise_raw,
    schema_name,
)
from dailydiff.common.aio import run_sync
from dailydiff.common.holding import check_held
from dailydiff.common.http import HttpPolicy
from dailydiff.common.i18n import CHANGE_TYPE_LABELS
from dailydiff.common.secrets import unlocated
from dailydiff.errors import AnalysisError, StoreError
from dailydiff.models import (
    Analysis,
    AnalysisStatus,
    Insights,
    Level,
    Overview,
    ReportCommit,
    Usage,
)
from dailydiff.settings import LLMSettings, ModelProfile
from dailydiff.store import EndpointFacts, Store

log = logging.getLogger("dailydiff.llm")

T = TypeVar("T")
DEPTH_SHARE = {Level.HIGH: 1.0, Level.MEDIUM: 0.6, Level.LOW: 0.3}
SHALLOWER = {Level.HIGH: Level.MEDIUM, Level.MEDIUM: Level.LOW}
OVERVIEW_TOKENS = 1024
ASK_TOKENS = 768
NOTES_TOKENS = 4096  # a release's overview and a short line per entry
REWRITE_TOKENS = 256  # two short lists of search words
MAX_REQUESTS_PER_COMMIT = 3
REMEMBER_DAYS = 30  # a concurrency limit measured longer ago than this is found again
LOOP_PENALTY = 0.5  # frequency and presence penalty of the retry after a loop
OVERLOAD_RETRIES = 6
FIRST_TOKEN_STRETCH = 5  # a long prompt's first token may take at most this many request deadlines  # a request timed out under load goes again this many times at most
DEFAULT_CONTEXT = 32768  # until the server says, or its first context-length error does
PROBE_DEADLINE = 15.0  # the first GET /models: any live server answers it at once
PROBE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"verdict": {"type": "string", "enum": ["constrained"]}},
    "required": ["verdict"],
    "additionalProperties": False,
}
# The probe asks in words for something else than the schema: an answer in the schema's shape proves that
# the endpoint holds answers to it (one that ignores the response_format answers {"ok": true}).
PROBE_MESSAGES = [
    {
        "role": "system",
        "content": "You check that an endpoint answers with JSON. Answer only with a JSON object.",
    },
    {"role": "user", "content": 'Answer with the JSON object {"ok": true}.'},
]
PROBE_TOKENS = 48
FIRST = float("-inf")  # the priority of what the day waits on (escalations, the overview)
HIGH_LAST = 1e6  # first analyses at the high depth cannot be escalated: after the others


class UnusableAnswer(Exception):
    """The endpoint answered, but not with a usable answer (it looped, was cut off or was not the asked
    shape): a caller with something else to show shows that instead."""


class _Fatal(Exception):
    def __init__(self, error: LLMCallError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class CallStats:
    """What the endpoint did to us during one run (for the run summary and the benchmark)."""

    requests: int = 0
    rate_limited: int = 0
    retried: int = 0
    peak_concurrency: int = 0
    peak_limit: int = 0
    limit_decreases: int = 0
    overloads: int = 0  # timeouts while the server was loaded: the limit came down, the request went again
    dropped: int = 0  # streams the server ended unfinished for our next request: capped below, went again
    loops: int = 0  # answers stopped in the stream because they repeated themselves
    errors: dict[str, int] = field(default_factory=dict)
    in_flight_seconds: float = 0.0  # seconds × requests in flight, while there was work
    limit_seconds: float = 0.0  # seconds × the concurrency limit, over the same time

    @property
    def kept_busy(self) -> float:
        """The requests in flight as a share of the limit, time-weighted while there was work."""
        return self.in_flight_seconds / self.limit_seconds if self.limit_seconds > 0 else 1.0


@dataclass
class _Attempts:
    """One commit's requests: ``answered`` (those the server worked on) counts against
    MAX_REQUESTS_PER_COMMIT, ``usage`` adds up."""

    answered: int = 0
    usage: Usage = field(default_factory=Usage)
    priority: float = 0.0  # for the limit: lower gets a slot first

    @property
    def left(self) -> int:
        return MAX_REQUESTS_PER_COMMIT - self.answered


@dataclass(frozen=True)
class Negotiation:
    mode: str
    tried: list[str]  # "mode: what the endpoint said", for doctor and the log


async def negotiate_mode(
    ask: Callable[[list[dict[str, str]], dict[str, Any] | None, int], Awaitable[Reply]],
    modes: Sequence[str] = RESPONSE_MODES,
) -> Negotiation:
    """The strongest response mode the endpoint honours, found with tiny probe requests. A mode it rejects
    (the 400/500 naming response_format) or ignores (the answer is not in the schema's shape) is passed
    over; json_object and text cannot be checked that way and are taken when not rejected. Any other
    failure raises LLMCallError (nothing is remembered then)."""
    tried: list[str] = []
    for mode in modes:
        fmt = response_format(PROBE_SCHEMA, "endpoint_probe", mode)
        try:
            reply = await ask(PROBE_MESSAGES, fmt, PROBE_TOKENS)
        except LLMCallError as exc:
            # Only an answer about the format steps down: any other 400 (a parameter the model refuses)
            # would fail every mode alike, and "text" must not be remembered for it.
            if exc.kind == "unsupported_format":
                tried.append(f"{mode}: rejected ({str(exc)[:80]})")
                continue
            raise
        if mode in ("json_schema", "json_object_schema") and reply.finish_reason != "length":
            # (An answer cut off at the tiny allowance proves nothing either way: the mode is kept.)
            try:
                answer = load_json(reply.text)
            except AnswerError:
                answer = None
            if not isinstance(answer, dict) or answer.get("verdict") != "constrained":
                tried.append(f"{mode}: accepted but not applied")
                continue
        tried.append(f"{mode}: ok")
        return Negotiation(mode, tried)
    return Negotiation("text", tried)


def context_from(models: Any, props: Any, model: str) -> int | None:
    """The context size a server states: vLLM/SGLang ``max_model_len`` (OpenRouter/LM Studio spell it
    ``context_length``) for the model in ``/models``, or llama.cpp's ``n_ctx`` in ``/props``."""
    found = models.get("data") if isinstance(models, dict) else None
    entries: list[Any] = found if isinstance(found, list) else []
    for entry in entries:
        if not isinstance(entry, dict) or (entry.get("id") != model and len(entries) > 1):
            continue
        for key in ("max_model_len", "context_length", "max_context_length", "context_window"):
            value = entry.get(key)
            if isinstance(value, int) and value > 0:
                return value
    if isinstance(props, dict):
        settings = props.get("default_generation_settings")
        # The slot's context first: llama.cpp splits its context between its slots.
        for source in (settings if isinstance(settings, dict) else {}, props):
            value = source.get("n_ctx")
            if isinstance(value, int) and value > 0:
                return value
    return None


def escalation_order(request: AnalysisRequest) -> float:
    """A first analysis's place in the wait for a slot (lower first): the commits that may be escalated
    (below the high depth), the higher their rule score the sooner, so their deeper re-analyses overlap
    the first wave instead of adding one at the end; then the high ones. (A re-analysis goes before
    all of them: the day waits for it.)"""
    return -request.score.score + (HIGH_LAST if request.depth is Level.HIGH else 0.0)


def slots_from(props: Any) -> int | None:
    """How many requests a llama.cpp server works on at once (``/props`` ``total_slots``)."""
    value = props.get("total_slots") if isinstance(props, dict) else None
    return value if isinstance(value, int) and value > 0 else None


def price(profile: ModelProfile, prompt_tokens: int, completion_tokens: int) -> Usage:
    cost = (
        prompt_tokens * (profile.input_price or 0.0) + completion_tokens * (profile.output_price or 0.0)
    ) / 1e6
    return Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, cost=round(cost, 6))


class LLMAnalyzer:
    def __init__(self, settings: LLMSettings, api_key: str = "", store: Store | None = None,
                 *, policy: HttpPolicy | None = None) -> None:  # fmt: skip
        self.settings = settings
        # The one outbound policy (``[llm]``'s unless given): the client's timeouts, and the retries,
        # back-off and Retry-After rule of ``call``; the adaptive limit is this endpoint's hook in it.
        self.policy = policy or settings.policy()
        self.name = f"llm:{settings.model}"
        self.escalates = settings.escalation
        self.is_model = True
        self.profile = settings.profile()
        self.prompts = PromptBook(settings.prompts_dir)
        self.stats = CallStats()
        self._api_key = api_key
        self.store = store
        self.endpoint = _display_url(settings.base_url) or "https://api.openai.com/v1"
        # Shared by every session of the run: a dead endpoint stays dead for the day after too.
        self.breaker = self.policy.breaker(f"the LLM endpoint {self.endpoint}")
        self.mode: str | None = None if settings.response_mode == "auto" else settings.response_mode
        self.mode_source = "configured" if self.mode else ""
        self.context_window: int = self.profile.context_window or 0
        self.context_source = "configured" if self.context_window else ""
        self.prepared = False
        # False: the endpoint answers a streamed request with one JSON body (a server or proxy that ignores
        # ``stream``); its requests go unstreamed then, under the one total deadline.
        self.streams: bool | None = None
        self.known_endpoint = False  # the store had something on this endpoint and model at the start
        self.slots: int | None = None  # what the server says it works on at once (llama.cpp)
        self.prompt_rate = 0.0  # prompt tokens a second, the fastest an answer showed this run
        # The fastest first token a remembered run saw: the unloaded latency a queue is measured against.
        self.latency: float | None = None
        # Answered requests per commit this run: a deeper re-analysis spends what the first one left.
        self.answered: dict[tuple[str, str], int] = {}

    def fingerprint(self, depth: Level, language: str) -> str:
        # The response mode is not part of it: a negotiated (or changed) mode keeps finished analyses.
        return (
            f"llm:{self.settings.model}:p{self.prompts.template_hash(language)}:s{SCHEMA_VERSION}:"
            f"{language}:{depth.value}"
        )

    def learn(
        self,
        *,
        mode: str | None = None,
        context_window: int | None = None,
        streams: bool | None = None,
        source: str = "",
    ) -> None:
        """Remember what the endpoint showed, for this run and (in the store) for the next ones."""
        if mode is not None:
            self.mode, self.mode_source = mode, source or "negotiated"
        if context_window is not None:
            self.context_window, self.context_source = context_window, source or "discovered"
        if streams is not None:
            self.streams = streams
        if self.store is not None:
            self.store.save_llm_endpoint(
                self.endpoint, self.settings.model, EndpointFacts(mode, context_window, streams)
            )

    def remembered_limit(self) -> tuple[int | None, bool]:
        """Where this run's concurrency limit starts, from what the last runs at this endpoint and model
        measured (within ``REMEMBER_DAYS``): the most the server was found to admit at once, else where the
        last run left the limit; and whether that is a found ceiling (the limit then grows past it only
        gently). Nothing remembered: None (the configured concurrency, else ``DEFAULT_START``; a server
        that states its slots starts there). The prompt speed is taken too: a long first prompt on a slow
        server gets the time it needs."""
        if self.store is None:
            return None, False
        try:
            known = self.store.llm_endpoint(self.endpoint, self.settings.model)
        except StoreError as exc:  # derived data: never a reason to stop
            log.warning("the remembered facts of %s are unreadable (%s); measured again", self.endpoint, exc)
            return None, False
        self.known_endpoint = known is not None
        if known is None or known.measured_at is None:
            return None, False
        if dt.datetime.now(dt.UTC) - known.measured_at > dt.timedelta(days=REMEMBER_DAYS):
            return None, False
        self.prompt_rate = max(self.prompt_rate, known.prompt_rate or 0.0)
        self.latency = known.latency or None
        ceiling, limit = known.concurrency_ceiling, known.concurrency_limit
        if ceiling and (limit is None or limit <= ceiling):
            return ceiling, True
        # (A later run had more in flight than the ceiling an earlier one found: the server grew.)
        return limit, False

    def remember_limit(self, limit: AdaptiveLimit) -> None:
        """At the end of the session: where it left the limit, the ceiling it found, the fastest first token
        and the prompt speed, for the next run (only when the endpoint answered something)."""
        if self.store is None or limit.fastest is None:
            return
        facts = EndpointFacts(concurrency_limit=limit.proven, concurrency_ceiling=limit.ceiling,
                              latency=limit.fastest, prompt_rate=self.prompt_rate or None)  # fmt: skip
        try:
            self.store.save_llm_endpoint(self.endpoint, self.settings.model, facts)
        except StoreError as exc:
            log.warning("could not remember what %s showed (%s)", self.endpoint, exc)

    def saw_prompt(self, reply: Reply) -> None:
        """The prompt speed an answer shows (tokens to its first token, queue included: a cautious
        figure); the fastest seen is kept."""
        if reply.prompt_tokens > 0 and reply.first_token:
            self.prompt_rate = max(self.prompt_rate, reply.prompt_tokens / reply.first_token)

    def first_token_within(self, prompt_tokens: int, *, unmeasured: bool = False) -> float:
        """How long a prompt of ``prompt_tokens`` may take to its first token: the policy's request timeout
        (``request_deadline``); ``FIRST_TOKEN_STRETCH`` times it while the endpoint's speed is being measured
        (``unmeasured``: the first wave goes beside the mode probe, before any answer shows the speed); or
        twice what the server's measured prompt speed needs for it (a laptop at 20 tokens/s takes
        minutes over a 5k-token prompt, and a timeout would throw that work away), at most
        ``FIRST_TOKEN_STRETCH`` times the deadline."""
        deadline = self.policy.timeout
        if self.prompt_rate <= 0 and unmeasured and prompt_tokens > 0:
            return deadline * FIRST_TOKEN_STRETCH
        if self.prompt_rate <= 0 or prompt_tokens <= 0:
            return deadline
        return min(deadline * FIRST_TOKEN_STRETCH, max(deadline, 2 * prompt_tokens / self.prompt_rate))

    def allowance(self, depth: Level) -> int:
        return max(128, int((self.profile.output_tokens or 2048) * DEPTH_SHARE[depth]))

    # the run's session ---------------------------------------------------------------------------

    @asynccontextmanager
    async def session(self) -> AsyncIterator[LLMSession]:
        """One client and one adaptive concurrency limit for the whole run: every analysis and overview
        of every repository and day at once shares them, so ``[llm] concurrency`` bounds the run."""
        start, found = self.remembered_limit()
        limit = AdaptiveLimit(self.settings.concurrency, start=start, latency=self.latency)
        limit.slow_start = not found  # at a ceiling found before, more is only tried one at a time
        async with ChatClient(self.settings, self._api_key, policy=self.policy) as client:
            session = LLMSession(self, client, limit)
            if self.store is not None and self.mode is None and not self.known_endpoint:
                # Nothing known of this endpoint and model yet: this run will most likely ask it, and first
                # the mode probe, which goes now, beside the reading of the commits, not after it (the
                # probe's session language is no matter).
                session.expect("")
            try:
                yield session
            finally:
                if session.discovery is not None:
                    session.discovery.cancel()
                self.remember_limit(limit)
                self.stats.peak_concurrency = max(self.stats.peak_concurrency, limit.peak_active)
                self.stats.peak_limit = max(self.stats.peak_limit, limit.peak_limit)
                self.stats.in_flight_seconds += limit.in_flight_seconds
                self.stats.limit_seconds += limit.limit_seconds
                log.info("%s: %d requests, at most %d in flight, limit %d at its peak and %d at the end "
                         "(%d decreases, %d timeouts under load, %d streams dropped for the next request, %d "
                         "loops stopped); %.0f%% of the limit in flight while there was work", self.endpoint,
                         self.stats.requests, limit.peak_active, limit.peak_limit, int(limit.limit),
                         limit.decreases, self.stats.overloads, self.stats.dropped, self.stats.loops,
                         100 * limit.kept_busy)  # fmt: skip
                self.stats.limit_decreases += limit.decreases

    def analyse_many(self, requests: Sequence[AnalysisRequest], language: str, on_result: OnResult) -> None:
        """A batch outside any event loop (scripts, benchmarks); the engine awaits the session."""
        analyse_many(self, requests, language, on_result)

    def overview(self, commits: Sequence[ReportCommit], language: str) -> Overview:
        """One day's overview outside any event loop; the engine awaits the session."""

        async def main() -> Overview:
            async with self.session() as session:
                return await session.overview(commits, language)

        return run_sync(main())

    def ask(self, question: str, commit_lines: Sequence[str], language: str) -> tuple[str, Usage]:
        """`dailydiff ask`: one answer from the retrieved commits, through the run's client, limits and
        accounting; outside any event loop. Raises AnalysisError when the endpoint cannot answer."""

        async def main() -> tuple[str, Usage]:
            async with self.session() as session:
                return await session.ask(question, commit_lines, language)

        try:
            return run_sync(main())
        except (LLMCallError, AnswerError, PromptTooLarge) as exc:
            # The model answered, but it looped, was cut off or was not the asked shape: not the endpoint's
            # failure, and the caller has the retrieved commits to show instead.
            if isinstance(exc, AnswerError) or getattr(exc, "kind", "") == "loop":
                raise UnusableAnswer(str(exc)) from None
            raise AnalysisError(
                f"the LLM could not answer ({exc})", "try again, or ask with --no-llm"
            ) from None

    def notes(self, entries: Sequence[Any], audience: str, language: str, repo: str,
              tag: str) -> tuple[tuple[str, dict[int, str]], Usage]:  # fmt: skip
        """`dailydiff notes`: a release's overview and entry lines for ``audience``, in one request; outside
        any event loop. Raises UnusableAnswer or AnalysisError as ``ask`` does."""

        async def main() -> tuple[tuple[str, dict[int, str]], Usage]:
            async with self.session() as session:
                return await session.notes(entries, audience, language, repo, tag)

        try:
            return run_sync(main())
        except (LLMCallError, AnswerError, PromptTooLarge) as exc:
            if isinstance(exc, AnswerError) or getattr(exc, "kind", "") == "loop":
                raise UnusableAnswer(str(exc)) from None
            raise AnalysisError(f"the LLM could not write the notes ({exc})",
                                "try again, or use --analyzer heuristic") from None  # fmt: skip

    def rewrite(self, question: str, language: str) -> tuple[list[str], Usage]:
        """`dailydiff ask`: the question as search words in both languages; outside any event loop.
        Raises UnusableAnswer when the reply has none, AnalysisError when the endpoint cannot answer."""

        async def main() -> tuple[list[str], Usage]:
            async with self.session() as session:
                return await session.rewrite(question, language)

        try:
            return run_sync(main())
        except (LLMCallError, AnswerError, PromptTooLarge) as exc:
            if isinstance(exc, AnswerError) or getattr(exc, "kind", "") == "loop":
                raise UnusableAnswer(str(exc)) from None
            raise AnalysisError(
                f"the LLM could not rewrite the question ({exc})", "try again, or ask with --no-llm"
            ) from None

    def week(self, messages_for: Callable[[str], list[dict[str, str]]], language: str) -> tuple[str, Usage]:
        """A week's summary and themes (analysis/week.py): the reply's text and what it cost, outside any
        event loop. Raises UnusableAnswer or AnalysisError as ``ask`` does."""
        from dailydiff.analysis.week import WEEK_SCHEMA, WEEK_TOKENS

        async def main() -> tuple[str, Usage]:
            async with self.session() as session:
                return await session._one_answer(language, WEEK_TOKENS, WEEK_SCHEMA, "week",
                                                 "the week's summary was cut off", messages_for)  # fmt: skip

        try:
            return run_sync(main())
        except (LLMCallError, AnswerError, PromptTooLarge) as exc:
            if isinstance(exc, AnswerError) or getattr(exc, "kind", "") == "loop":
                raise UnusableAnswer(str(exc)) from None
            raise AnalysisError(f"the LLM could not write the week ({exc})", "try again later") from None

    def _fatal_error(self, error: LLMCallError) -> AnalysisError:
        where = _display_url(self.settings.base_url) or "the OpenAI API"
        if error.kind == "auth":
            return AnalysisError(
                f"the LLM endpoint {where} refused the API key ({error})",
                f"set {self.settings.api_key_env} to a valid key, or run with --analyzer heuristic",
            )
        return AnalysisError(
            f"the LLM endpoint {where} does not know model {self.settings.model!r}, or the URL is wrong ({error})",
            "check llm.model and llm.base_url (DAILYDIFF_LLM_MODEL, DAILYDIFF_LLM_BASE_URL)",
        )


class LLMSession:
    """The analyser seam's session: per-language ``_Session``s over one client and one limit."""

    def __init__(self, analyzer: LLMAnalyzer, client: ChatClient, limit: AdaptiveLimit) -> None:
        self.analyzer = analyzer
        self.client = client
        self.limit = limit
        self._by_language: dict[str, _Session] = {}
        self.discovery: asyncio.Future[None] | None = None  # what the endpoint is: asked once per run
        self.contact: asyncio.Future[None] | None = None  # its first part: alive? its context and slots

    @property
    def in_flight(self) -> int:
        return self.limit.active

    def _session(self, language: str) -> _Session:
        if language not in self._by_language:
            self._by_language[language] = _Session(self, language)
        return self._by_language[language]

    def expect(self, language: str) -> None:
        """Requests are coming (commits listed that have no stored analysis): ask what the endpoint is and
        load the client now, beside the fetch of their details, not in front of the first analysis."""
        self._session(language).discover()

    async def analyse(self, request: AnalysisRequest, language: str) -> Analysis:
        try:
            _, analysis = await self._session(language).analyse(request)
        except _Fatal as fatal:
            raise self.analyzer._fatal_error(fatal.error) from None
        return analysis

    async def overview(self, commits: Sequence[ReportCommit], language: str) -> Overview:
        analyzer = self.analyzer
        by_model = [
            rc for rc in commits
            if rc.analysis is not None and rc.analysis.analyzer == analyzer.name and rc.analysis.status is AnalysisStatus.OK
        ]  # fmt: skip
        if not analyzer.settings.overview or not by_model or analyzer.breaker.opened:
            return heuristic_overview(commits, language)
        try:
            return await self._overview(commits, language)
        except (LLMCallError, _Fatal, AnswerError, PromptTooLarge):
            return heuristic_overview(commits, language)

    async def _overview(self, commits: Sequence[ReportCommit], language: str) -> Overview:
        analyzer = self.analyzer
        allowance = min(OVERVIEW_TOKENS, analyzer.profile.output_tokens or OVERVIEW_TOKENS)
        lang = language if language in CHANGE_TYPE_LABELS else "en"
        session = self._session(language)
        await session.prepare()
        messages = analyzer.prompts.overview_messages(
            commits, language, prompt_mode(session.mode), session.context_window, allowance,
            CHANGE_TYPE_LABELS[lang],
        )  # fmt: skip
        fmt = response_format(OVERVIEW_SCHEMA, f"day_overview_v{SCHEMA_VERSION}", session.mode)
        attempts = _Attempts(priority=FIRST)  # the day's last request: nothing waits on anything else
        reply = await session.call(messages, fmt, allowance, attempts, estimate=estimate_messages(messages))
        if reply.finish_reason == "length":
            raise AnswerError("the overview was cut off")
        parsed = parse_overview(reply.text)
        usage = attempts.usage
        return Overview(
            highlights=parsed["highlights"], themes=parsed["themes"], producer=analyzer.name, usage=usage
        )

    async def ask(self, question: str, commit_lines: Sequence[str], language: str) -> tuple[str, Usage]:
        text, usage = await self._one_answer(
            language, ASK_TOKENS, ASK_SCHEMA, "ask", "the answer was cut off",
            lambda mode: self.analyzer.prompts.ask_messages(question, commit_lines, language, mode),
        )  # fmt: skip
        return parse_ask(text), usage

    async def notes(self, entries: Sequence[Any], audience: str, language: str, repo: str,
                    tag: str) -> tuple[tuple[str, dict[int, str]], Usage]:  # fmt: skip
        from dailydiff.analysis.schema import NOTES_SCHEMA, parse_notes

        text, usage = await self._one_answer(
            language, NOTES_TOKENS, NOTES_SCHEMA, "release_notes", "the release notes were cut off",
            lambda mode: self.analyzer.prompts.notes_messages(entries, audience, language, mode, repo, tag),
        )  # fmt: skip
        return parse_notes(text), usage

    async def rewrite(self, question: str, language: str) -> tuple[list[str], Usage]:
        text, usage = await self._one_answer(
            language, REWRITE_TOKENS, REWRITE_SCHEMA, "rewrite", "the search words were cut off",
            lambda mode: self.analyzer.prompts.rewrite_messages(question, language, mode),
        )  # fmt: skip
        return parse_rewrite(text), usage

    async def _one_answer(
        self,
        language: str,
        tokens: int,
        schema: dict[str, Any],
        name: str,
        cut_off: str,
        messages_for: Callable[[str], list[dict[str, str]]],
    ) -> tuple[str, Usage]:
        """One structured request outside a day (`ask`, its question's rewrite): its text and what it cost."""
        analyzer = self.analyzer
        allowance = min(tokens, analyzer.profile.output_tokens or tokens)
        session = self._session(language)
        try:
            await session.prepare()
            messages = messages_for(prompt_mode(session.mode))
            fmt = response_format(schema, f"{name}_v{SCHEMA_VERSION}", session.mode)
            attempts = _Attempts()
            reply = await session.call(
                messages, fmt, allowance, attempts, estimate=estimate_messages(messages)
            )
        except _Fatal as fatal:
            raise analyzer._fatal_error(fatal.error) from None
        if reply.finish_reason == "length":
            raise AnswerError(cut_off)
        return reply.text, attempts.usage


class _Session:
    """One run's shared state: the client, the concurrency limit, the language; what the endpoint is
    (mode, context) is found once per run and kept on the analyser."""

    def __init__(self, owner: LLMSession, language: str) -> None:
        self.owner = owner
        self.analyzer = analyzer = owner.analyzer
        self.settings = analyzer.settings
        self.policy = analyzer.policy
        self.profile = analyzer.profile
        self.client = owner.client
        self.limit = owner.limit
        self.language = language
        self.breaker = analyzer.breaker
        self._negotiating = asyncio.Lock()

    @property
    def mode(self) -> str:
        return self.analyzer.mode or "json_object"

    @property
    def context_window(self) -> int:
        return self.analyzer.context_window or DEFAULT_CONTEXT

    # what the endpoint is --------------------------------------------------------------------------

    async def prepare(self, *, mode: bool = True) -> None:
        """Once per run, before the first request: is the endpoint alive, how large is its context, which
        response mode does it honour. Remembered facts (store) and configured values are not asked again.
        Every request waits for the one discovery (its error, e.g. a refused key, reaches each); a commit's
        analysis (``mode=False``) only for its first part: the mode probe goes out with the first wave of
        commits, not a round before it (they ask in json_object, the schema in the prompt, until it is
        known)."""
        if self.analyzer.prepared and self.owner.discovery is None:
            return
        discovery = self.discover()
        contact = self.owner.contact
        await asyncio.shield(discovery if mode or contact is None else contact)

    def negotiating(self) -> bool:
        """The mode probe is still out (the endpoint's speed is not measured yet)."""
        discovery = self.owner.discovery
        return discovery is not None and not discovery.done()

    def discover(self) -> asyncio.Future[None]:
        """The run's discovery, started on first use (``LLMSession.expect`` starts it early)."""
        if self.owner.discovery is None:
            contact = self.owner.contact = asyncio.get_running_loop().create_future()
            discovery = self.owner.discovery = asyncio.ensure_future(self._discover_once())

            def settled(done: asyncio.Future[None]) -> None:
                # Awaited by the requests that follow; when none does (every analysis was stored), its error
                # is not one to report.
                failed = None if done.cancelled() else done.exception()
                if not contact.done():
                    if done.cancelled():
                        contact.cancel()
                    elif failed is not None:
                        contact.set_exception(failed)
                    else:
                        contact.set_result(None)
                contact.add_done_callback(lambda f: f.cancelled() or f.exception())

            discovery.add_done_callback(settled)
        return self.owner.discovery

    async def _discover_once(self) -> None:
        if self.analyzer.prepared:  # an earlier session of this analyser found it out
            return
        try:
            await self._discover()
        finally:
            self.analyzer.prepared = True

    async def _discover(self) -> None:
        analyzer = self.analyzer
        model = self.settings.model
        if analyzer.store is not None:
            known = analyzer.store.llm_endpoint(analyzer.endpoint, model)
            if known is not None:
                if analyzer.mode is None and known.response_mode in RESPONSE_MODES:
                    analyzer.mode, analyzer.mode_source = known.response_mode, "remembered"
                if not analyzer.context_window and known.context_window:
                    analyzer.context_window, analyzer.context_source = known.context_window, "remembered"
                if known.streams is False:
                    analyzer.streams = False
        models = await self._first_contact()
        if models is _DEAD:
            return
        props = None
        if context_from(models, None, model) is None:
            # llama.cpp's /props: its context and how many requests it works on at once (other servers
            # answer 404, which says nothing).
            try:
                props = await self.client.get_json("/props", root=True, deadline=PROBE_DEADLINE)
            except LLMCallError:
                props = None
        slots = slots_from(props)
        if slots:
            analyzer.slots = slots
            self.limit.start_at(slots)
        if not analyzer.context_window:
            found = context_from(models, props, model)
            if found:
                analyzer.learn(context_window=found, source="stated by the server")
        if self.owner.contact is not None and not self.owner.contact.done():
            self.owner.contact.set_result(None)  # the commits go now; the probe with them, first in line
        if analyzer.mode is None:
            try:
                found_mode = await negotiate_mode(
                    lambda m, f, t: self.call(m, f, t, _Attempts(priority=FIRST))
                )
            except LLMCallError as exc:
                log.warning("could not negotiate a response mode with %s (%s); using json_object",
                            analyzer.endpoint, exc)  # fmt: skip
                return
            log.info("%s %s: response mode %s (%s)", analyzer.endpoint, model, found_mode.mode,
                     "; ".join(found_mode.tried))  # fmt: skip
            analyzer.learn(mode=found_mode.mode)

    async def _first_contact(self) -> Any:
        """GET /models, twice at most within PROBE_DEADLINE each: a server that cannot answer that is
        not going to answer an analysis; the breaker opens at once."""
        error: LLMCallError | None = None
        for attempt in range(2):
            if attempt:
                await asyncio.sleep(1.0)  # a server restarting gets a moment
            try:
                models = await self.client.get_json("/models", deadline=PROBE_DEADLINE)
            except LLMCallError as exc:
                if exc.kind not in ("timeout", "connection"):
                    return None  # it answered (with an error page): alive, it says nothing about itself
                error = exc
                continue
            self.breaker.success()
            return models
        assert error is not None
        if self.breaker.trip(f"GET /models: {error}"):
            log.warning("%s", self.breaker.reason)
        return _DEAD

    # requests --------------------------------------------------------------------------------------

    async def call(
        self,
        messages: list[dict[str, str]],
        fmt: dict[str, Any] | None,
        max_tokens: int,
        attempts: _Attempts | None = None,
        *,
        estimate: int = 0,
        temperature: float | None = None,
        penalty: float = 0.0,
        slot: Ticket | None = None,
    ) -> Reply:
        """One completion with the retry policy: 429 → shrink and wait for Retry-After; a timeout while
        the server is loaded → shrink and try again (overload, not failure); 5xx, lost connections and a
        timeout at the lowest limit → jittered exponential backoff, and the breaker counts them;
        auth/not-found → fatal; anything else (a loop included) → raise. Every request is added to
        ``attempts``; one the server worked on (answered, timed out or cut off; not a transport fault, not
        a 429) is counted against the commit's cap, and none goes out past it; ``attempts.priority`` orders
        the wait for a slot (``slot``: one the caller already holds, for the first attempt)."""
        stats = self.analyzer.stats
        attempts = attempts if attempts is not None else _Attempts()
        transient = rate_hits = overloads = 0
        while True:
            if self.breaker.opened:
                if slot is not None:
                    self.limit.release(slot)
                raise LLMCallError("unavailable", self.breaker.reason)
            ticket = slot if slot is not None else await self.limit.acquire(attempts.priority)
            slot = None
            wait = 0.0
            try:
                if self.breaker.opened:
                    raise LLMCallError("unavailable", self.breaker.reason)
                check_held()  # a shared plan's unit taken over meanwhile: not one more request for it
                stats.requests += 1
                attempts.usage = attempts.usage + Usage(requests=1)
                started = self.breaker.now()
                if self.analyzer.streams is False:
                    self.client.stream = False  # it answers whole anyway: one total deadline, not three
                reply = await self.client.complete(
                    messages, fmt, max_tokens, temperature=temperature, penalty=penalty,
                    first_token_within=self.analyzer.first_token_within(estimate, unmeasured=self.negotiating()),
                )  # fmt: skip
                if self.client.answers_whole and self.analyzer.streams is not False:
                    log.warning("%s answers a streamed request with one JSON body (it ignores `stream`): "
                                "taken as it is, and its requests go unstreamed from now on (remembered; "
                                "[llm] stream = false says so in the config)", self.analyzer.endpoint)  # fmt: skip
                    self.analyzer.learn(streams=False)
            except LLMCallError as error:
                returned = False
                if error.kind == "unavailable":
                    self.limit.release(ticket)
                    raise
                stats.errors[error.kind] = stats.errors.get(error.kind, 0) + 1
                if error.kind in ("auth", "not_found"):
                    self.limit.release(ticket)
                    raise _Fatal(error) from None
                if error.kind == "rate_limited":
                    self.breaker.success()  # alive, only busy
                    stats.rate_limited += 1
                    rate_hits += 1
                    # The policy decides (its own count for 429s, a back-off one step longer); the limiter,
                    # this endpoint's hook, pauses the others for the wait.
                    retry = self.policy.after(rate_hits, asked=error.retry_after,
                                              retries=self.settings.rate_limit_retries,
                                              step=min(rate_hits, 6) + 1)  # fmt: skip
                    crowd = self.limit.rate_limited(ticket, retry.wait)
                    if retry.give_up:
                        raise
                    stats.retried += 1
                    if crowd:  # the others go on; only the refused request waits its Retry-After
                        await asyncio.sleep(retry.wait)
                    continue  # (alone: every new request waits out the pause, this one with them)
                if error.kind in ("interrupted", "timeout"):
                    # The server worked on it and the answer is lost: it counts against the commit's cap,
                    # and goes again only within it.
                    returned = True
                    attempts.answered += 1
                    loaded = (
                        self.limit.interrupted(ticket)
                        if error.kind == "interrupted"
                        else self.limit.timed_out(ticket)
                    )
                    if loaded:
                        # The server is queueing (or drops a stream for the next request): fewer in flight.
                        overloads += 1
                        if error.kind == "timeout":
                            stats.overloads += 1
                        else:
                            stats.dropped += 1
                        log.info("%s: %s with others in flight; the limit is %d now and the request goes "
                                 "again", self.analyzer.endpoint, error, int(self.limit.limit))  # fmt: skip
                        if attempts.left <= 0:
                            raise  # overload, not the endpoint's failure: the breaker is left alone
                        if overloads <= OVERLOAD_RETRIES:
                            stats.retried += 1
                            continue
                    if error.kind == "interrupted":
                        # The endpoint answered, in part: the caller's "cut off" path, not an outage (no
                        # transport retry, nothing counted against the endpoint).
                        self.breaker.success()
                        if error.tokens:
                            attempts.usage = attempts.usage + price(self.profile, 0, error.tokens)
                        raise
                if not returned:
                    self.limit.release(ticket)
                if not error.retryable:
                    self.breaker.success()  # it answered
                    attempts.answered += 1
                    if error.kind == "loop":
                        attempts.usage = attempts.usage + price(self.profile, 0, error.tokens)
                    raise
                if self.breaker.failure(f"{error.kind}: {error}", started, timed_out=error.kind == "timeout"):
                    log.warning("%s", self.breaker.reason)
                transient += 1
                retry = self.policy.after(transient, asked=error.retry_after, breaker=self.breaker)
                if retry.give_up == "breaker":
                    raise LLMCallError("unavailable", self.breaker.reason) from None
                if retry.give_up or attempts.left <= 0:  # (the commit's own cap of requests, besides)
                    raise
                wait = retry.wait
                stats.retried += 1
            except BaseException:
                self.limit.release(ticket)
                raise
            else:
                self.limit.release(ticket, first_token=reply.first_token, work=reply.prompt_work)
                self.analyzer.saw_prompt(reply)
                self.breaker.success()
                attempts.answered += 1
                attempts.usage = attempts.usage + price(
                    self.profile, reply.prompt_tokens, reply.completion_tokens
                )
                if reply.prompt_tokens and estimate:
                    attempts.usage = attempts.usage + Usage(estimated_prompt_tokens=estimate)
                return reply
            await asyncio.sleep(wait)

    # one commit ------------------------------------------------------------------------------------

    async def analyse(self, request: AnalysisRequest) -> tuple[AnalysisRequest, Analysis]:
        key = (request.commit.repo, request.commit.sha)
        priority = FIRST if key in self.analyzer.answered else escalation_order(request)
        attempts = _Attempts(answered=self.analyzer.answered.get(key, 0), priority=priority)
        try:
            return request, await self._analyse(request, attempts)
        except (_Fatal, asyncio.CancelledError):
            raise
        # A bug or an answer shape we did not foresee: this commit fails (and falls back), not the run.
        except Exception as exc:
            return request, self._failed(
                request, f"unexpected {type(exc).__name__}: {exc}"[:300], attempts.usage
            )
        finally:
            self.analyzer.answered[key] = attempts.answered

    def _failed(self, request: AnalysisRequest, error: str, usage: Usage, raw: str | None = None) -> Analysis:
        return Analysis(
            analyzer=self.analyzer.name,
            fingerprint=self.analyzer.fingerprint(request.depth, self.language),
            status=AnalysisStatus.FAILED,
            depth=request.depth,
            usage=usage,
            raw=sanitise_raw(raw) if raw and raw.strip() else None,
            error=unlocated(error),  # it is published (the JSON report): never where the endpoint is
        )

    async def _analyse(self, request: AnalysisRequest, attempts: _Attempts) -> Analysis:
        await self.prepare(mode=False)
        if self.breaker.opened:
            return self._failed(request, _describe(LLMCallError("unavailable", self.breaker.reason)), Usage())
        mode = self.mode
        known_mode = self.analyzer.mode is not None
        context_window = self.context_window
        cap = max(self.profile.max_output_tokens or 0, self.analyzer.allowance(Level.HIGH))
        shrunk = cooled = False
        temperature: float | None = None
        penalty = 0.0
        error = ""
        depth: Level | None = request.depth
        while depth is not None:
            allowance = self.analyzer.allowance(depth)
            while True:
                if attempts.left <= 0:
                    spent = f"stopped after {MAX_REQUESTS_PER_COMMIT} requests"
                    return self._failed(request, f"{error}; {spent}" if error else spent, attempts.usage)
                # The slot first, then the prompt: a day's commits do not all build theirs (milliseconds
                # each) before the first request goes; each is built when its request can go.
                slot = await self.limit.acquire(attempts.priority)
                if not known_mode:  # the probe may have answered while this waited for its slot
                    mode, known_mode = self.mode, self.analyzer.mode is not None
                try:
                    prompt = self.analyzer.prompts.analysis_prompt(
                        request, depth, self.language, prompt_mode(mode), context_window, allowance
                    )
                except PromptTooLarge as exc:
                    self.limit.release(slot)
                    error = error or str(exc)
                    break
                except BaseException:
                    self.limit.release(slot)
                    raise
                fmt = self._answer_format(depth, mode)
                try:
                    reply = await self.call(prompt.messages, fmt, allowance, attempts, estimate=prompt.tokens,
                                            temperature=temperature, penalty=penalty, slot=slot)  # fmt: skip
                except LLMCallError as exc:
                    if exc.kind == "loop" and not cooled:
                        # Once: smaller (the shallower depth, half the allowance), cooler, and penalised for
                        # repeating itself (measured on SmolLM2 against llama.cpp: cooler alone loops again).
                        cooled = True
                        self.analyzer.stats.loops += 1
                        log.warning("%s %s: %s; asked again smaller, cooler, penalised for repeats", request.commit.repo,
                                    request.commit.sha[:12], exc)  # fmt: skip
                        error = f"the first answer repeated itself ({exc})"
                        temperature = self.settings.temperature / 2 if self.settings.temperature > 0 else None
                        penalty = LOOP_PENALTY
                        depth = SHALLOWER.get(depth, depth)
                        allowance = max(128, min(allowance, self.analyzer.allowance(depth)) // 2)
                        continue
                    if exc.kind == "context_length" and not shrunk:
                        shrunk = True
                        context_window = self._smaller_window(prompt, exc, context_window)
                        continue
                    if exc.kind == "unsupported_format" and await self._renegotiate(mode):
                        mode = self.mode  # the endpoint changed since the mode was remembered
                        continue
                    if exc.kind != "interrupted":
                        return self._failed(request, _describe(exc), attempts.usage)
                    # A stream that ended early is a partial answer: the cut-off path below.
                    error = _describe(exc)
                else:
                    if reply.finish_reason != "length":
                        return await self._validated(request, depth, prompt, reply, attempts, context_window,
                                                     mode)  # fmt: skip
                    error = f"the answer was cut off at the {allowance}-token output limit"
                # A partial answer: once more with the largest allowance, then shallower.
                if allowance < cap:
                    # One retry, not a ladder: straight to the largest allowance the context affords.
                    allowance = min(cap, max(allowance * 2, context_window // 2))
                    continue
                break
            depth = SHALLOWER.get(depth)
        return self._failed(request, f"{error}; no depth gave a complete answer", attempts.usage)

    async def _renegotiate(self, rejected: str) -> bool:
        """A remembered or negotiated mode was rejected: find the next one the endpoint honours (once per
        mode and run; a configured mode is the user's word and stays)."""
        analyzer = self.analyzer
        if analyzer.mode_source == "configured" or rejected not in RESPONSE_MODES:
            return False
        await self.prepare()  # a probe still out (this request went before the mode was known) first
        async with self._negotiating:
            if analyzer.mode is not None and analyzer.mode != rejected:  # found meanwhile
                return True
            weaker = RESPONSE_MODES[RESPONSE_MODES.index(rejected) + 1 :]
            if not weaker:
                return False
            try:
                found = await negotiate_mode(lambda m, f, t: self.call(m, f, t, _Attempts()), weaker)
            except LLMCallError:
                return False
            log.info("%s %s: response mode %s now (%s)", analyzer.endpoint, self.settings.model, found.mode,
                     "; ".join(found.tried))  # fmt: skip
            analyzer.learn(mode=found.mode)
            return True

    def _smaller_window(self, prompt: Prompt, error: LLMCallError, window: int) -> int:
        """The context to retry a context-length error with: the server's own limit when it names it (and
        it is remembered for every later prompt), else half the prompt."""
        if error.context_limit:
            if error.context_limit < (self.analyzer.context_window or DEFAULT_CONTEXT):
                self.analyzer.learn(
                    context_window=error.context_limit, source="learnt from a context-length error"
                )
            return min(window, error.context_limit)
        return max(0, prompt.tokens // 2) + prompt.max_tokens + safety_margin(window)

    def _answer_format(self, depth: Level, mode: str) -> dict[str, Any] | None:
        """The response format of an answer at ``depth``: a server on this machine or network (llama.cpp,
        vLLM: grammars that honour ``minLength``) is held to a summary that is not empty."""
        schema = answer_schema(depth, held_summary=_nearby(self.settings.base_url))
        return response_format(schema, schema_name(depth), mode)

    async def _validated(
        self,
        request: AnalysisRequest,
        depth: Level,
        prompt: Prompt,
        reply: Reply,
        attempts: _Attempts,
        window: int,
        mode: str,
    ) -> Analysis:
        fmt = self._answer_format(depth, mode)
        try:
            fields = parse_answer(reply.text, depth)
        except AnswerError as first:
            if attempts.left <= 0:
                return self._failed(request, f"unparsed answer ({first}); stopped after "
                                    f"{MAX_REQUESTS_PER_COMMIT} requests", attempts.usage, raw=reply.text)  # fmt: skip
            messages = self.analyzer.prompts.repair_messages(prompt, reply.text, str(first), self.language,
                                                             prompt_mode(mode), window)  # fmt: skip
            try:
                again = await self.call(messages, fmt, prompt.max_tokens, attempts,
                                        estimate=estimate_messages(messages))  # fmt: skip
            except LLMCallError as exc:
                return self._failed(request, f"unparsed answer ({first}); re-ask failed: {_describe(exc)}",
                                    attempts.usage, raw=reply.text)  # fmt: skip
            if again.finish_reason == "length":
                return self._failed(request, f"unparsed answer ({first}); the re-asked answer was cut off",
                                    attempts.usage, raw=reply.text)  # fmt: skip
            try:
                fields = parse_answer(again.text, depth)
            except AnswerError as second:
                return self._failed(
                    request, f"unparsed answer: {second}", attempts.usage, raw=again.text or reply.text
                )
        return Analysis(
            analyzer=self.analyzer.name,
            fingerprint=self.analyzer.fingerprint(request.depth, self.language),
            status=AnalysisStatus.OK,
            depth=depth,
            change_types=fields["change_types"],
            importance=fields["importance"],
            importance_reason=fields["importance_reason"],
            summary=fields["summary"],
            impact=fields.get("impact", []),
            insights=Insights(**fields.get("insights", {})),
            risks=fields.get("risks", []),
            recommendations=fields.get("recommendations", []),
            unseen_files=prompt.selection.unseen_files,
            usage=attempts.usage,
        )


_DEAD = object()


def _nearby(url: str) -> bool:
    """An endpoint on this machine or a private network (a self-hosted model server)."""
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith((".local", ".lan", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def _display_url(url: str) -> str:
    """The endpoint as shown in messages: no user:password@ and no query (either may carry a secret)."""
    return re.sub(r"//[^/@]*@", "//", url).split("?", 1)[0]


def _describe(error: LLMCallError) -> str:
    names = {
        "rate_limited": "rate limited (429) after every retry",
        "server": "server error after every retry",
        "timeout": "no answer in time after every retry",
        "connection": "endpoint unreachable after every retry",
        "interrupted": "the answer was cut off (its stream ended early)",
        "context_length": "prompt too long for the model even after shrinking it",
        "unsupported_format": "the endpoint rejects the response format",
        "bad_request": "request rejected",
        "protocol": "unexpected answer",
        "loop": "the model repeated itself, twice",
    }
    if error.kind == "unavailable":  # the breaker's reason says it all, the same for every commit
        return str(error)
    return f"{names.get(error.kind, error.kind)}: {error}"
