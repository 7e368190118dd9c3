"""The LLM analyser's session: one client and one concurrency limit for the run, per-language sessions
over them, the discovery of what the endpoint is (once per run), and one commit's analysis (budgeted
prompt, schema, validation, re-ask, cut-off and loop paths). analysis/llm.py has the policy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from dailydiff.analysis.base import AnalysisRequest
from dailydiff.analysis.budget import estimate_messages
from dailydiff.analysis.claims import analyses_evidence, cited, ground, ground_texts, unsupported
from dailydiff.analysis.client import ChatClient, LLMCallError, Reply, whole_reply
from dailydiff.analysis.endpoint import (
    DEFAULT_CONTEXT,
    PROBE_DEADLINE,
    PROBE_MESSAGES,
    PROBE_SCHEMA,
    PROBE_TOKENS,
    context_from,
    describe,
    nearby,
    negotiate_mode,
    slots_from,
)
from dailydiff.analysis.heuristic import heuristic_overview
from dailydiff.analysis.limits import AdaptiveLimit
from dailydiff.analysis.llm_call import (
    FIRST,
    MAX_REQUESTS_PER_COMMIT,
    AnalyzerState,
    Attempts,
    Caller,
    Fatal,
    price,
)
from dailydiff.analysis.prompting import Prompt, PromptTooLarge, safety_margin
from dailydiff.analysis.providers import PROVIDERS, provider_shown
from dailydiff.analysis.schema import (
    ASK_SCHEMA,
    CITE_SCHEMA,
    NOTES_SCHEMA,
    OVERVIEW_SCHEMA,
    RESPONSE_MODES,
    REWRITE_SCHEMA,
    SCHEMA_VERSION,
    AnswerError,
    answer_schema,
    load_json,
    parse_answer,
    parse_ask,
    parse_notes,
    parse_overview,
    parse_rewrite,
    prompt_mode,
    response_format,
    sanitise_raw,
    schema_name,
)
from dailydiff.common.i18n import CHANGE_TYPE_LABELS
from dailydiff.common.secrets import unlocated
from dailydiff.models import Analysis, AnalysisStatus, Insights, Level, Overview, ReportCommit, Usage

log = logging.getLogger("dailydiff.llm")

SHALLOWER = {Level.HIGH: Level.MEDIUM, Level.MEDIUM: Level.LOW}
OVERVIEW_TOKENS = 1024
ASK_TOKENS = 768
NOTES_TOKENS = 4096  # a release's overview and a short line per entry
REWRITE_TOKENS = 256  # two short lists of search words
LOOP_PENALTY = 0.5  # frequency and presence penalty of the retry after a loop
# A prompt the server counted below this share of our estimate, by this many tokens or more, was cut short.
TRUNCATED_SHARE = 0.5
TRUNCATED_GAP = 1024
HIGH_LAST = 1e6  # first analyses at the high depth cannot be escalated: after the others
_DEAD = object()
# While the mode probe is out, the first commits ask in json_object holding the schema (the `schema` member:
# a grammar where the server has one, llama-cpp-python and llama.cpp) with the schema written into the prompt
# too (a server that ignores the member still gets it in words); one that rejects it waits for the probe.
FIRST_WAVE = "first_wave"


def _prompt_mode(mode: str) -> str:
    return "json_object" if mode == FIRST_WAVE else prompt_mode(mode)


def escalation_order(request: AnalysisRequest) -> float:
    """A first analysis's place in the wait for a slot (lower first): the commits that may be escalated
    (below the high depth), the higher their rule score the sooner, so their deeper re-analyses overlap
    the first wave instead of adding one at the end; then the high ones. (A re-analysis goes before
    all of them: the day waits for it.)"""
    return -request.score.score + (HIGH_LAST if request.depth is Level.HIGH else 0.0)


class LLMSession:
    """The analyser seam's session: per-language ``_Session``s over one client and one limit."""

    def __init__(self, analyzer: AnalyzerState, client: ChatClient, limit: AdaptiveLimit) -> None:
        self.analyzer = analyzer
        self.client = client
        self.limit = limit
        self._by_language: dict[str, _Session] = {}
        self.discovery: asyncio.Future[None] | None = None  # what the endpoint is: asked once per run
        self.contact: asyncio.Future[None] | None = None  # its first part: alive? its context and slots
        self.commits_coming = False  # a day's commits will ask: a canary goes before them

    def peers_left(self, freed: int | None = None) -> None:
        """Other workers of a shared plan stopped holding units: the slots they held at this endpoint are free,
        ``freed`` more of them this worker's where the workers said their shares (analysis/limits.py)."""
        before = int(self.limit.limit)
        self.limit.peers_left(freed)
        if freed is None:
            log.debug("%s: the other workers are done; the limit (%d) looks for the slots they held",
                      self.analyzer.endpoint, before)  # fmt: skip
        else:
            log.debug("%s: the other workers are done; the limit takes %d of the slots they held: %d → %d",
                      self.analyzer.endpoint, freed, before, int(self.limit.limit))  # fmt: skip

    @property
    def in_flight(self) -> int:
        return self.limit.active

    @property
    def capacity(self) -> int | None:
        return int(self.limit.limit)

    def _session(self, language: str) -> _Session:
        if language not in self._by_language:
            self._by_language[language] = _Session(self, language)
        return self._by_language[language]

    def expect(self, language: str) -> None:
        """Requests are coming (commits listed that have no stored analysis): ask what the endpoint is and
        load the client now, beside the fetch of their details, not in front of the first analysis."""
        self.commits_coming = True
        self._session(language).discover()

    async def analyse(self, request: AnalysisRequest, language: str) -> Analysis:
        try:
            _, analysis = await self._session(language).analyse(request)
        except Fatal as fatal:
            raise self.analyzer._fatal_error(fatal.error) from None
        return analysis

    # batch mode (analysis/batch.py): the same prompt and the same answer handling, another way to send

    async def batch_line(
        self, request: AnalysisRequest, language: str
    ) -> tuple[Prompt, dict[str, Any]] | None:
        """The commit's first request as a Batch API line's body, with its prompt; None: not to be batched."""
        try:
            return await self._session(language).batch_line(request)
        except Fatal as fatal:
            raise self.analyzer._fatal_error(fatal.error) from None

    async def batch_answered(
        self, request: AnalysisRequest, language: str, prompt: Prompt, completion: Any
    ) -> Analysis | None:
        """A batch's answer read as a synchronous one is; None: unusable, to be asked synchronously."""
        try:
            return await self._session(language).batch_answered(request, prompt, completion)
        except Fatal as fatal:
            raise self.analyzer._fatal_error(fatal.error) from None

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
        except (LLMCallError, Fatal, AnswerError, PromptTooLarge):
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
        attempts = Attempts(priority=FIRST)  # the day's last request: nothing waits on anything else
        reply = await session.call(messages, fmt, allowance, attempts, estimate=estimate_messages(messages))
        if reply.finish_reason == "length":
            raise AnswerError("the overview was cut off")
        parsed = parse_overview(reply.text)
        # Traced against what it read: the analyses' titles and summaries as they were sent.
        evidence = analyses_evidence(m["content"] for m in messages if m["role"] == "user")
        lines = [("h", line) for line in parsed["highlights"]] + [("t", line) for line in parsed["themes"]]
        kept, grounding = ground_texts(
            {i: text for i, (_, text) in enumerate(lines)}, evidence, analyzer.grounding, language
        )
        told = [(lines[i][0], text) for i, text in kept.items() if text]
        return Overview(highlights=[t for k, t in told if k == "h"], themes=[t for k, t in told if k == "t"],
                        producer=analyzer.name, usage=attempts.usage, grounding=grounding)  # fmt: skip

    async def ask(self, question: str, commit_lines: Sequence[str], language: str) -> tuple[str, Usage]:
        text, usage = await self._one_answer(
            language, ASK_TOKENS, ASK_SCHEMA, "ask", "the answer was cut off",
            lambda mode: self.analyzer.prompts.ask_messages(question, commit_lines, language, mode),
        )  # fmt: skip
        return parse_ask(text), usage

    async def notes(self, entries: Sequence[Any], audience: str, language: str, repo: str,
                    tag: str) -> tuple[tuple[str, dict[int, str]], Usage]:  # fmt: skip
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
            attempts = Attempts()
            reply = await session.call(
                messages, fmt, allowance, attempts, estimate=estimate_messages(messages)
            )
        except Fatal as fatal:
            raise analyzer._fatal_error(fatal.error) from None
        if reply.finish_reason == "length":
            raise AnswerError(cut_off)
        return reply.text, attempts.usage


class _Session(Caller):
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
        if self.analyzer.refused is not None:  # an earlier session's canary was refused: the run's answer
            raise Fatal(self.analyzer.refused)
        if self.analyzer.prepared and self.owner.discovery is None:
            return
        self.owner.commits_coming |= not mode
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

    def _remembered(self) -> None:
        """What the store remembers of the endpoint and model (its response mode, context, streaming)."""
        analyzer = self.analyzer
        store = analyzer.store
        known = store.llm_endpoint(analyzer.endpoint, self.settings.model) if store is not None else None
        if known is None:
            return
        if analyzer.mode is None and known.response_mode in RESPONSE_MODES:
            analyzer.mode, analyzer.mode_source = known.response_mode, "remembered"
        if not analyzer.context_window and known.context_window:
            analyzer.context_window, analyzer.context_source = known.context_window, "remembered"
        if known.streams is False:
            analyzer.streams = False

    async def _discover(self) -> None:
        analyzer = self.analyzer
        model = self.settings.model
        self._remembered()
        models = await self._first_contact()
        if models is _DEAD:
            return
        shown = provider_shown(models) if self.settings.provider == "auto" else None
        if shown is not None and self.client.provider == "other":  # a local server: its host said nothing
            self.client.adopt(shown)
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
        if analyzer.mode is not None:
            if not self.owner.commits_coming:  # one question (ask, notes): it is its own canary
                self._let_go()
                return
            await self._canary(PROBE_MESSAGES, response_format(PROBE_SCHEMA, "endpoint_probe", analyzer.mode),
                               PROBE_TOKENS)  # fmt: skip
            return
        try:
            # The mode probe's first request is the canary: the commits go once it has answered.
            found_mode = await negotiate_mode(self._canary)
        except LLMCallError as exc:
            log.warning("could not negotiate a response mode with %s (%s); using json_object",
                        analyzer.endpoint, exc)  # fmt: skip
            return
        log.info("%s %s: response mode %s (%s)", analyzer.endpoint, model, found_mode.mode,
                 "; ".join(found_mode.tried))  # fmt: skip
        analyzer.learn(mode=found_mode.mode)

    async def _canary(self, messages: list[dict[str, str]], fmt: dict[str, Any] | None, tokens: int) -> Reply:
        """A tiny request with the run's model, key and response mode before its commits go (and the mode
        probe's requests after it): a refused key, an unknown model or a configured mode the endpoint refuses
        stops the run after this one request (``Fatal``, kept on the analyser for its later sessions), not
        after the first wave. Any other answer, an error included, lets the commits go."""
        if self.analyzer.mode is None:  # the mode probe's requests, with the retry policy
            try:
                reply = await self.call(messages, fmt, tokens, Attempts(priority=FIRST))
            except Fatal as fatal:
                self.analyzer.refused = fatal.error
                raise
            except LLMCallError:
                self._let_go()
                raise
            self._let_go()
            return reply
        # The run's own mode: one attempt, no retry (a busy or failing endpoint is the commits' to find out).
        self.analyzer.stats.requests += 1
        if self.analyzer.streams is False:
            self.client.stream = False
        try:
            reply = await self.client.complete(messages, fmt, tokens)
        except LLMCallError as exc:
            configured = exc.kind == "unsupported_format" and self.analyzer.mode_source == "configured"
            if exc.kind in ("auth", "not_found") or configured:
                self.analyzer.refused = exc
                raise Fatal(exc) from None
            log.info("%s: the canary request failed (%s); the commits go", self.analyzer.endpoint, exc)
            reply = Reply("", "error")
        self.noticed_whole()
        self._let_go()
        return reply

    def _let_go(self) -> None:
        if self.owner.contact is not None and not self.owner.contact.done():
            self.owner.contact.set_result(None)  # the commits go now; the mode probe with them, first in line

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

    # one commit ------------------------------------------------------------------------------------

    async def analyse(self, request: AnalysisRequest) -> tuple[AnalysisRequest, Analysis]:
        key = (request.commit.repo, request.commit.sha)
        priority = FIRST if key in self.analyzer.answered else escalation_order(request)
        attempts = Attempts(answered=self.analyzer.answered.get(key, 0), priority=priority)
        try:
            return request, await self._analyse(request, attempts)
        except (Fatal, asyncio.CancelledError):
            raise
        # A bug or an answer shape we did not foresee: this commit fails (and falls back), not the run.
        except Exception as exc:
            return request, self._failed(
                request, f"unexpected {type(exc).__name__}: {exc}"[:300], attempts.usage
            )
        finally:
            self.analyzer.answered[key] = attempts.answered

    async def batch_line(self, request: AnalysisRequest) -> tuple[Prompt, dict[str, Any]] | None:
        await self.prepare()  # the canary first, and the endpoint's mode: a batch's lines cannot negotiate
        if self.breaker.opened:
            return None
        allowance = self.analyzer.allowance(request.depth)
        try:
            prompt = self.analyzer.prompts.analysis_prompt(
                request, request.depth, self.language, prompt_mode(self.mode), self.context_window, allowance
            )
        except PromptTooLarge:
            return None
        fmt = self._answer_format(request.depth, self.mode)
        return prompt, self.client.request_body(prompt.messages, fmt, allowance)

    async def batch_answered(
        self, request: AnalysisRequest, prompt: Prompt, completion: Any
    ) -> Analysis | None:
        """Parsed, re-asked once when unparsed, and its claims traced, as ``_analyse`` does with a reply; a
        blank, cut-off or cut-short answer is None (the synchronous path has the retries for those)."""
        try:
            reply = whole_reply(completion, 0.0)
        except LLMCallError:
            return None
        if (
            not reply.text.strip()
            or reply.finish_reason == "length"
            or self._cut_short(request, prompt, reply)
        ):
            return None
        key = (request.commit.repo, request.commit.sha)
        usage = price(self.profile, reply.prompt_tokens, reply.completion_tokens, reply.cached_tokens,
                      model_version=reply.model_version)  # fmt: skip
        share = PROVIDERS[self.client.provider].batch_share  # the Batch API's price
        usage = usage.model_copy(update={"cost": round(usage.cost * share, 6)})
        estimated = prompt.tokens if reply.prompt_tokens else 0
        attempts = Attempts(answered=1, usage=usage + Usage(requests=1, estimated_prompt_tokens=estimated))
        try:
            return await self._validated(request, request.depth, prompt, reply, attempts, self.context_window,
                                         self.mode)  # fmt: skip
        finally:
            self.analyzer.answered[key] = self.analyzer.answered.get(key, 0) + attempts.answered

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

    async def _analyse(self, request: AnalysisRequest, attempts: Attempts) -> Analysis:
        await self.prepare(mode=False)
        if self.breaker.opened:
            return self._failed(request, describe(LLMCallError("unavailable", self.breaker.reason)), Usage())
        mode = self._asking_mode()
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
                if mode == FIRST_WAVE:  # the probe may have answered while this waited for its slot
                    mode = self._asking_mode()
                try:
                    prompt = self.analyzer.prompts.analysis_prompt(
                        request, depth, self.language, _prompt_mode(mode), context_window, allowance
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
                        return self._failed(request, describe(exc), attempts.usage)
                    # A stream that ended early is a partial answer: the cut-off path below.
                    error = describe(exc)
                else:
                    if not shrunk and self._cut_short(request, prompt, reply):
                        shrunk = True
                        context_window = min(context_window, reply.prompt_tokens)
                        continue
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

    def _cut_short(self, request: AnalysisRequest, prompt: Prompt, reply: Reply) -> bool:
        """The server counted far fewer prompt tokens than were sent: it cut the prompt to its runtime context
        (Ollama's, often 4k), silently, and the answer is about a diff the model never saw whole. Said in one
        line; the context it kept is the budget from now on (remembered)."""
        counted, sent = reply.prompt_tokens, prompt.tokens
        if not counted or counted >= sent * TRUNCATED_SHARE or sent - counted < TRUNCATED_GAP:
            return False
        known = counted >= (self.analyzer.context_window or DEFAULT_CONTEXT)  # (sent before it was learnt)
        (log.info if known else log.warning)(
            "%s %s: %s counted %d prompt tokens of about %d sent: it cut the prompt short (its context is "
            "smaller than it says); the prompt is cut to fit and the commit asked again",
            request.commit.repo, request.commit.sha[:12], self.analyzer.endpoint, counted, sent)  # fmt: skip
        if not known:
            self.analyzer.learn(context_window=counted, source="learnt from a prompt the server cut short")
        return True

    def _asking_mode(self) -> str:
        """The mode a commit's request goes in: the endpoint's, or the first wave's while the probe is out."""
        return FIRST_WAVE if self.analyzer.mode is None and self.negotiating() else self.mode

    async def _renegotiate(self, rejected: str) -> bool:
        """A remembered or negotiated mode was rejected: find the next one the endpoint honours (once per
        mode and run; a configured mode is the user's word and stays)."""
        analyzer = self.analyzer
        if rejected == FIRST_WAVE:  # it went before the mode was known: in the mode the probe finds
            await self.prepare()
            return True
        if analyzer.mode_source == "configured" or rejected not in RESPONSE_MODES:
            return False
        async with self._negotiating:
            if analyzer.mode is not None and analyzer.mode != rejected:  # found meanwhile
                return True
            weaker = RESPONSE_MODES[RESPONSE_MODES.index(rejected) + 1 :]
            if not weaker:
                return False
            try:
                found = await negotiate_mode(lambda m, f, t: self.call(m, f, t, Attempts()), weaker)
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

    def _answer_format(
        self, depth: Level, mode: str, shown: bool = False, cite: bool = False
    ) -> dict[str, Any] | None:
        """The response format of an answer at ``depth``: a server on this machine or network (llama.cpp,
        vLLM: grammars that honour ``minLength``) is held to a summary that is not empty; ``shown``: a
        repair's, with the lines that show what it keeps; ``cite``: those lines alone (``mark``)."""
        schema = (
            CITE_SCHEMA
            if cite
            else answer_schema(depth, held_summary=nearby(self.settings.base_url), shown=shown)
        )
        name = "cited_claims" if cite else schema_name(depth) + "_repair" * shown
        return response_format(schema, name, "json_object_schema" if mode == FIRST_WAVE else mode)

    async def _validated(
        self,
        request: AnalysisRequest,
        depth: Level,
        prompt: Prompt,
        reply: Reply,
        attempts: Attempts,
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
                                                             _prompt_mode(mode), window)  # fmt: skip
            try:
                again = await self.call(messages, fmt, prompt.max_tokens, attempts,
                                        estimate=estimate_messages(messages))  # fmt: skip
            except LLMCallError as exc:
                return self._failed(request, f"unparsed answer ({first}); re-ask failed: {describe(exc)}",
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
            reply = again
        analysis = self._analysis(request, depth, prompt, fields, attempts)
        return await self._grounded(request, depth, prompt, reply.text, analysis, attempts, window, mode)

    def _analysis(self, request: AnalysisRequest, depth: Level, prompt: Prompt, fields: dict[str, Any],
                  attempts: Attempts) -> Analysis:  # fmt: skip
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
            usage=attempts.usage.model_copy(update=self._provenance()),
        )

    async def _grounded(self, request: AnalysisRequest, depth: Level, prompt: Prompt, answer: str,
                        analysis: Analysis, attempts: Attempts, window: int, mode: str) -> Analysis:  # fmt: skip
        """The analysis with its claims traced to what the model was shown (``[analysis] grounding``): claims
        nothing shown supports are put to the model once: with ``repair`` its new answer is traced again, with
        ``mark`` it may only show them by the lines that do (``cited``); what is still unsupported is removed
        (or marked) before anything is published."""
        grounding = self.analyzer.grounding
        if grounding == "off" or prompt.evidence is None:
            return analysis
        grounded = ground(analysis, prompt.evidence, grounding, self.language)  # one trace, with places
        missing = grounded.grounding.unverified if grounded.grounding else []
        if not (missing and attempts.left > 0):
            return grounded  # nothing to ask: as it may be published
        fixed, shown, cite = 0, {}, grounding == "mark"
        messages = self.analyzer.prompts.claims_messages(prompt, answer, missing, self.language,
                                                         _prompt_mode(mode), window, cite=cite)  # fmt: skip
        fmt = self._answer_format(depth, mode, shown=True, cite=cite)
        try:
            again = await self.call(
                messages, fmt, prompt.max_tokens, attempts, estimate=estimate_messages(messages)
            )
            if again.finish_reason != "length":
                if not cite:
                    rewritten = self._analysis(
                        request, depth, prompt, parse_answer(again.text, depth), attempts
                    )
                    still = set(unsupported(rewritten, prompt.evidence))
                    fixed = sum(claim not in still for claim in missing)  # written out; a cited claim stays
                    analysis = rewritten
                answered = load_json(again.text)
                said = answered.get("shown") if isinstance(answered, dict) else None
                shown = cited(said, missing, prompt.evidence, repair=not cite)
        except (LLMCallError, AnswerError) as exc:  # the first answer stands, its claims removed below
            log.info("%s %s: the %s of %d claims failed (%s)", request.commit.repo, request.commit.sha[:12],
                     "lines request" if cite else "repair", len(missing),
                     describe(exc) if isinstance(exc, LLMCallError) else exc)  # fmt: skip
        analysis = analysis.model_copy(update={"usage": attempts.usage.model_copy(update=self._provenance())})
        return ground(analysis, prompt.evidence, grounding, self.language, repaired=fixed, shown=shown)

    def _provenance(self) -> dict[str, str]:
        """What wrote an analysis, beside the model version its answers named: the prompt templates' hash and
        the provider profile its requests went out with."""
        return {
            "prompt_hash": self.analyzer.prompts.template_hash(self.language),
            "provider": self.client.provider,
        }
