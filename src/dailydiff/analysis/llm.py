"""The LLM analyser: structured, budgeted, concurrent, accounted — and never silently broken.

Once per run (as soon as the engine lists commits that will need a request, beside their fetch; for an
endpoint the store knows nothing of, as the run starts, beside the reading), the endpoint is asked what it
is (``GET /models``: alive? its context size; llama.cpp's ``/props``), and, with ``response_mode = "auto"``,
the strongest way it has to hold an answer to a schema is negotiated with a tiny probe. The probe goes out
with the first commits, first in line (they ask in json_object holding the schema, the schema in the prompt
too, until its answer is in). Both are remembered per endpoint and model in the store, and so is, at the end of the run, what the
concurrency limit found there (analysis/limits.py): the next run starts from it. An endpoint that does not
answer that first GET, or that keeps timing out or failing (a circuit breaker), is left alone for the rest
of the run: every commit left fails at once with that reason.

The code: analysis/endpoint.py (what an endpoint states, the mode probe), analysis/llm_call.py (one
request with the retry policy), analysis/llm_session.py (the run's sessions, the discovery, one commit's
analysis); this module the analyser, what it keeps between runs, and the calls outside a day.

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

import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from dailydiff.analysis.base import AnalysisRequest, OnResult, analyse_many
from dailydiff.analysis.client import ChatClient, LLMCallError, Reply
from dailydiff.analysis.endpoint import display_url
from dailydiff.analysis.limits import AdaptiveLimit
from dailydiff.analysis.llm_call import CallStats
from dailydiff.analysis.llm_session import LLMSession
from dailydiff.analysis.prompting import PromptBook, PromptTooLarge
from dailydiff.analysis.schema import SCHEMA_VERSION, AnswerError
from dailydiff.analysis.week import WEEK_SCHEMA, WEEK_TOKENS
from dailydiff.common.aio import run_sync
from dailydiff.common.http import HttpPolicy
from dailydiff.errors import AnalysisError, EndpointRefused, StoreError
from dailydiff.models import Level, Overview, ReportCommit, Usage
from dailydiff.settings import LLMSettings
from dailydiff.store import EndpointFacts, Store

log = logging.getLogger("dailydiff.llm")
T = TypeVar("T")

DEPTH_SHARE = {Level.HIGH: 1.0, Level.MEDIUM: 0.6, Level.LOW: 0.3}
REMEMBER_DAYS = 30  # a concurrency limit measured longer ago than this is found again
FIRST_TOKEN_STRETCH = 5  # a long prompt's first token may take at most this many request deadlines


class UnusableAnswer(Exception):
    """The endpoint answered, but not with a usable answer (it looped, was cut off or was not the asked
    shape): a caller with something else to show shows that instead."""


class LLMAnalyzer:
    def __init__(self, settings: LLMSettings, api_key: str = "", store: Store | None = None,
                 *, policy: HttpPolicy | None = None, grounding: str = "repair") -> None:  # fmt: skip
        self.settings = settings
        # The one outbound policy (``[llm]``'s unless given): the client's timeouts, and the retries,
        # back-off and Retry-After rule of ``call``; the adaptive limit is this endpoint's hook in it.
        self.policy = policy or settings.policy()
        self.name = f"llm:{settings.model}"
        self.escalates = settings.escalation
        self.is_model = True
        self.profile = settings.profile()
        self.prompts = PromptBook(settings.prompts_dir)
        self.grounding = grounding  # [analysis] grounding: what is done with a claim nothing shown supports
        self.stats = CallStats()
        self._api_key = api_key
        self.store = store
        self.endpoint = display_url(settings.base_url) or "https://api.openai.com/v1"
        # Shared by every session of the run: a dead endpoint stays dead for the day after too.
        self.breaker = self.policy.breaker(f"the LLM endpoint {self.endpoint}")
        self.mode: str | None = None if settings.response_mode == "auto" else settings.response_mode
        self.mode_source = "configured" if self.mode else ""
        self.context_window: int = self.profile.context_window or 0
        self.context_source = "configured" if self.context_window else ""
        self.prepared = False
        # The canary's hard refusal (a key, a model, a configured mode): every later session of the run stops on it.
        self.refused: LLMCallError | None = None
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
        proven, ceiling = limit.to_remember()
        facts = EndpointFacts(concurrency_limit=proven, concurrency_ceiling=ceiling,
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
        # At a ceiling found before, more is only tried one a round, and only with a round of work waiting.
        limit = AdaptiveLimit(self.settings.concurrency, start=start, latency=self.latency,
                              known_ceiling=start if found else None)  # fmt: skip
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
                self.stats.peak_limit = max(self.stats.peak_limit, limit.peak_limit)
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

    async def _in_session(self, ask: Callable[[LLMSession], Awaitable[T]]) -> T:
        """``ask`` in a session of its own (outside any event loop; the engine awaits the run's)."""
        async with self.session() as session:
            return await ask(session)

    def overview(self, commits: Sequence[ReportCommit], language: str) -> Overview:
        """One day's overview outside any event loop; the engine awaits the session."""
        return run_sync(self._in_session(lambda session: session.overview(commits, language)))

    def ask(self, question: str, commit_lines: Sequence[str], language: str) -> tuple[str, Usage]:
        """`dailydiff ask`: one answer from the retrieved commits, through the run's client, limits and
        accounting; outside any event loop. Raises AnalysisError when the endpoint cannot answer."""
        asked = self._in_session(lambda session: session.ask(question, commit_lines, language))
        return _answered(asked, "answer", "try again, or ask with --no-llm")

    def notes(self, entries: Sequence[Any], audience: str, language: str, repo: str,
              tag: str) -> tuple[tuple[str, dict[int, str]], Usage]:  # fmt: skip
        """`dailydiff notes`: a release's overview and entry lines for ``audience``, in one request; outside
        any event loop. Raises UnusableAnswer or AnalysisError as ``ask`` does."""
        asked = self._in_session(lambda session: session.notes(entries, audience, language, repo, tag))
        return _answered(asked, "write the notes", "try again, or use --analyzer heuristic")

    def rewrite(self, question: str, language: str) -> tuple[list[str], Usage]:
        """`dailydiff ask`: the question as search words in both languages; outside any event loop.
        Raises UnusableAnswer when the reply has none, AnalysisError when the endpoint cannot answer."""
        asked = self._in_session(lambda session: session.rewrite(question, language))
        return _answered(asked, "rewrite the question", "try again, or ask with --no-llm")

    def week(self, messages_for: Callable[[str], list[dict[str, str]]], language: str) -> tuple[str, Usage]:
        """A week's summary and themes (analysis/week.py): the reply's text and what it cost, outside any
        event loop. Raises UnusableAnswer or AnalysisError as ``ask`` does."""
        asked = self._in_session(
            lambda session: session._one_answer(
                language, WEEK_TOKENS, WEEK_SCHEMA, "week", "the week's summary was cut off", messages_for
            )
        )
        return _answered(asked, "write the week", "try again later")

    def _fatal_error(self, error: LLMCallError) -> EndpointRefused:
        where = display_url(self.settings.base_url) or "the OpenAI API"
        if error.kind == "auth":
            return EndpointRefused(
                f"the LLM endpoint {where} refused the API key ({error})",
                f"set {self.settings.api_key_env} to a valid key, or run with --analyzer heuristic",
            )
        if error.kind == "unsupported_format":
            return EndpointRefused(
                f"the LLM endpoint {where} refuses response_mode {self.settings.response_mode!r} ({error})",
                'set [llm] response_mode = "auto" (DAILYDIFF_LLM_RESPONSE_MODE) to find what it accepts',
            )
        return EndpointRefused(
            f"the LLM endpoint {where} does not know model {self.settings.model!r}, or the URL is wrong ({error})",
            "check llm.model and llm.base_url (DAILYDIFF_LLM_MODEL, DAILYDIFF_LLM_BASE_URL)",
        )


def _answered(main: Coroutine[Any, Any, T], failed: str, next_step: str) -> T:
    """``main`` run outside any event loop. A model that answered, but looped, was cut off or was not the
    asked shape raises UnusableAnswer (not the endpoint's failure: the caller has the retrieved commits to
    show instead); any other failure AnalysisError, "the LLM could not ``failed``"."""
    try:
        return run_sync(main)
    except (LLMCallError, AnswerError, PromptTooLarge) as exc:
        if isinstance(exc, AnswerError) or (isinstance(exc, LLMCallError) and exc.kind == "loop"):
            raise UnusableAnswer(str(exc)) from None
        raise AnalysisError(f"the LLM could not {failed} ({exc})", next_step) from None
