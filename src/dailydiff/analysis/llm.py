"""The LLM analyser: structured, budgeted, concurrent, accounted — and never silently broken.

Per commit: build a prompt that fits the context (budget.py, prompting.py), ask for JSON in the schema of
the commit's depth, validate (schema.py) and re-ask once with the validation error. A reply cut off at
the output limit is never used: it is retried with a larger allowance up to the model's cap, then at a
smaller depth, then reported failed (the pipeline falls back to the heuristic analysis). Failures are
``Analysis(status=failed)`` records; only errors that make every further call pointless (bad key, unknown
model or endpoint) raise ``AnalysisError`` — once, for the whole run.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dailydiff.analysis.base import AnalysisRequest, OnResult, analyse_many
from dailydiff.analysis.client import ChatClient, LLMCallError, Reply
from dailydiff.analysis.heuristic import heuristic_overview
from dailydiff.analysis.limits import AdaptiveLimit, backoff_delay
from dailydiff.analysis.prompting import Prompt, PromptBook, PromptTooLarge, safety_margin
from dailydiff.analysis.schema import (
    OVERVIEW_SCHEMA,
    SCHEMA_VERSION,
    AnswerError,
    answer_schema,
    parse_answer,
    parse_overview,
    response_format,
    sanitise_raw,
    schema_name,
)
from dailydiff.common.i18n import CHANGE_TYPE_LABELS
from dailydiff.errors import AnalysisError
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

T = TypeVar("T")
DEPTH_SHARE = {Level.HIGH: 1.0, Level.MEDIUM: 0.6, Level.LOW: 0.3}
SHALLOWER = {Level.HIGH: Level.MEDIUM, Level.MEDIUM: Level.LOW}
OVERVIEW_TOKENS = 1024


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
    limit_decreases: int = 0
    errors: dict[str, int] = field(default_factory=dict)


def price(profile: ModelProfile, prompt_tokens: int, completion_tokens: int) -> Usage:
    cost = (
        prompt_tokens * (profile.input_price or 0.0) + completion_tokens * (profile.output_price or 0.0)
    ) / 1e6
    return Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, cost=round(cost, 6))


class LLMAnalyzer:
    def __init__(self, settings: LLMSettings, api_key: str = "") -> None:
        self.settings = settings
        self.name = f"llm:{settings.model}"
        self.escalates = settings.escalation
        self.profile = settings.profile()
        self.prompts = PromptBook(settings.prompts_dir)
        self.stats = CallStats()
        self._api_key = api_key

    def fingerprint(self, depth: Level, language: str) -> str:
        mode = "js" if self.settings.response_mode == "json_schema" else "jo"
        return (
            f"llm:{self.settings.model}:p{self.prompts.template_hash(language)}:s{SCHEMA_VERSION}:{mode}:"
            f"{language}:{depth.value}"
        )

    def allowance(self, depth: Level) -> int:
        return max(128, int((self.profile.output_tokens or 2048) * DEPTH_SHARE[depth]))

    # the run's session ---------------------------------------------------------------------------

    @asynccontextmanager
    async def session(self) -> AsyncIterator[LLMSession]:
        """One client and one adaptive concurrency limit for the whole run: every analysis and overview
        of every repository and day at once shares them, so ``[llm] concurrency`` bounds the run."""
        limit = AdaptiveLimit(self.settings.concurrency)
        async with ChatClient(self.settings, self._api_key) as client:
            try:
                yield LLMSession(self, client, limit)
            finally:
                self.stats.peak_concurrency = max(self.stats.peak_concurrency, limit.peak_active)
                self.stats.limit_decreases += limit.decreases

    def analyse_many(self, requests: Sequence[AnalysisRequest], language: str, on_result: OnResult) -> None:
        """A batch outside any event loop (scripts, benchmarks); the engine awaits the session."""
        analyse_many(self, requests, language, on_result)

    def overview(self, commits: Sequence[ReportCommit], language: str) -> Overview:
        """One day's overview outside any event loop; the engine awaits the session."""

        async def main() -> Overview:
            async with self.session() as session:
                return await session.overview(commits, language)

        return _run(main())

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

    @property
    def in_flight(self) -> int:
        return self.limit.active

    def _session(self, language: str) -> _Session:
        if language not in self._by_language:
            self._by_language[language] = _Session(self.analyzer, self.client, self.limit, language)
        return self._by_language[language]

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
        if not analyzer.settings.overview or not by_model:
            return heuristic_overview(commits, language)
        try:
            return await self._overview(commits, language)
        except (LLMCallError, _Fatal, AnswerError, PromptTooLarge):
            return heuristic_overview(commits, language)

    async def _overview(self, commits: Sequence[ReportCommit], language: str) -> Overview:
        analyzer = self.analyzer
        allowance = min(OVERVIEW_TOKENS, analyzer.profile.output_tokens or OVERVIEW_TOKENS)
        lang = language if language in CHANGE_TYPE_LABELS else "en"
        mode = analyzer.settings.response_mode
        messages = analyzer.prompts.overview_messages(
            commits, language, mode, analyzer.profile.context_window or 0, allowance, CHANGE_TYPE_LABELS[lang],
        )  # fmt: skip
        fmt = response_format(OVERVIEW_SCHEMA, f"day_overview_v{SCHEMA_VERSION}", mode)
        reply = await self._session(language).call(messages, fmt, allowance)
        if reply.finish_reason == "length":
            raise AnswerError("the overview was cut off")
        parsed = parse_overview(reply.text)
        usage = price(analyzer.profile, reply.prompt_tokens, reply.completion_tokens)
        return Overview(
            highlights=parsed["highlights"], themes=parsed["themes"], producer=analyzer.name, usage=usage
        )


class _Session:
    """One run's shared state: the client, the concurrency limit, the language."""

    def __init__(
        self, analyzer: LLMAnalyzer, client: ChatClient, limit: AdaptiveLimit, language: str
    ) -> None:
        self.analyzer = analyzer
        self.settings = analyzer.settings
        self.profile = analyzer.profile
        self.client = client
        self.limit = limit
        self.language = language
        self.mode = self.settings.response_mode

    async def call(
        self, messages: list[dict[str, str]], fmt: dict[str, Any] | None, max_tokens: int
    ) -> Reply:
        """One completion with the retry policy: 429 → shrink and wait for Retry-After; 5xx, timeouts and
        lost connections → jittered exponential backoff; auth/not-found → fatal; anything else → raise."""
        stats = self.analyzer.stats
        transient = rate_hits = 0
        while True:
            generation = await self.limit.acquire()
            success = False
            try:
                stats.requests += 1
                reply = await self.client.complete(messages, fmt, max_tokens)
                success = True
                return reply
            except LLMCallError as error:
                stats.errors[error.kind] = stats.errors.get(error.kind, 0) + 1
                if error.kind in ("auth", "not_found"):
                    raise _Fatal(error) from None
                if error.kind == "rate_limited":
                    stats.rate_limited += 1
                    rate_hits += 1
                    if rate_hits > self.settings.rate_limit_retries:
                        raise
                    wait = error.retry_after
                    if wait is None:
                        wait = backoff_delay(min(rate_hits, 6), self.settings.retry_backoff)
                    await self.limit.rate_limited(generation, wait)
                    stats.retried += 1
                    continue
                if not error.retryable or transient >= self.settings.max_retries:
                    raise
                delay = error.retry_after if error.retry_after is not None else None
                transient += 1
                stats.retried += 1
            finally:
                await self.limit.release(success=success)
            await asyncio.sleep(
                delay if delay is not None else backoff_delay(transient - 1, self.settings.retry_backoff)
            )

    async def analyse(self, request: AnalysisRequest) -> tuple[AnalysisRequest, Analysis]:
        try:
            return request, await self._analyse(request)
        except (_Fatal, asyncio.CancelledError):
            raise
        # A bug or an answer shape we did not foresee: this commit fails (and falls back), not the run.
        except Exception as exc:
            return request, self._failed(request, f"unexpected {type(exc).__name__}: {exc}"[:300], Usage())

    def _failed(self, request: AnalysisRequest, error: str, usage: Usage, raw: str | None = None) -> Analysis:
        return Analysis(
            analyzer=self.analyzer.name,
            fingerprint=self.analyzer.fingerprint(request.depth, self.language),
            status=AnalysisStatus.FAILED,
            depth=request.depth,
            usage=usage,
            raw=sanitise_raw(raw) if raw and raw.strip() else None,
            error=error,
        )

    async def _analyse(self, request: AnalysisRequest) -> Analysis:
        usage = Usage()
        context_window = self.profile.context_window or 0
        cap = max(self.profile.max_output_tokens or 0, self.analyzer.allowance(Level.HIGH))
        shrunk = False
        error = ""
        depth: Level | None = request.depth
        while depth is not None:
            allowance = self.analyzer.allowance(depth)
            while True:
                try:
                    prompt = self.analyzer.prompts.analysis_prompt(
                        request, depth, self.language, self.mode, context_window, allowance
                    )
                except PromptTooLarge as exc:
                    error = error or str(exc)
                    break
                fmt = response_format(answer_schema(depth), schema_name(depth), self.mode)
                try:
                    reply = await self.call(prompt.messages, fmt, allowance)
                except LLMCallError as exc:
                    if exc.kind == "context_length" and not shrunk:
                        shrunk = True
                        context_window = self._smaller_window(prompt, exc, context_window)
                        continue
                    return self._failed(request, _describe(exc), usage)
                usage = usage + price(self.profile, reply.prompt_tokens, reply.completion_tokens)
                if reply.finish_reason == "length":
                    error = f"the answer was cut off at the {allowance}-token output limit"
                    if allowance < cap:
                        allowance = min(cap, allowance * 2)
                        continue
                    break
                return await self._validated(request, depth, prompt, reply, usage, context_window)
            depth = SHALLOWER.get(depth)
        return self._failed(request, f"{error}; no depth gave a complete answer", usage)

    def _smaller_window(self, prompt: Prompt, error: LLMCallError, window: int) -> int:
        """The context to retry a context-length 400 with: half the prompt, within the server's own limit."""
        target = prompt.tokens // 2
        if error.context_limit:
            target = min(target, int(error.context_limit * 0.8) - prompt.max_tokens)
        return max(0, target) + prompt.max_tokens + safety_margin(window)

    async def _validated(
        self, request: AnalysisRequest, depth: Level, prompt: Prompt, reply: Reply, usage: Usage, window: int
    ) -> Analysis:
        fmt = response_format(answer_schema(depth), schema_name(depth), self.mode)
        try:
            fields = parse_answer(reply.text, depth)
        except AnswerError as first:
            messages = self.analyzer.prompts.repair_messages(prompt, reply.text, str(first), self.language,
                                                             self.mode, window)  # fmt: skip
            try:
                again = await self.call(messages, fmt, prompt.max_tokens)
            except LLMCallError as exc:
                return self._failed(request, f"unparsed answer ({first}); re-ask failed: {_describe(exc)}", usage,
                                    raw=reply.text)  # fmt: skip
            usage = usage + price(self.profile, again.prompt_tokens, again.completion_tokens)
            if again.finish_reason == "length":
                return self._failed(request, f"unparsed answer ({first}); the re-asked answer was cut off", usage,
                                    raw=reply.text)  # fmt: skip
            try:
                fields = parse_answer(again.text, depth)
            except AnswerError as second:
                return self._failed(
                    request, f"unparsed answer: {second}", usage, raw=again.text or reply.text
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
            usage=usage,
        )


def _display_url(url: str) -> str:
    """The endpoint as shown in messages: no user:password@ and no query (either may carry a secret)."""
    return re.sub(r"//[^/@]*@", "//", url).split("?", 1)[0]


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on a fresh event loop; from inside a running loop (an ASGI app), on a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _describe(error: LLMCallError) -> str:
    names = {
        "rate_limited": "rate limited (429) after every retry",
        "server": "server error after every retry",
        "timeout": "no answer in time after every retry",
        "connection": "endpoint unreachable after every retry",
        "context_length": "prompt too long for the model even after shrinking it",
        "bad_request": "request rejected",
        "protocol": "unexpected answer",
    }
    return f"{names.get(error.kind, error.kind)}: {error}"


def dump_stats(stats: CallStats) -> str:
    return json.dumps(stats.__dict__, sort_keys=True)
