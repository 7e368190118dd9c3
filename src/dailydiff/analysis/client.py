"""The one I/O seam to the model: an async OpenAI-compatible chat-completions client.

``complete(messages, response_format, max_tokens) -> Reply``. It makes exactly one HTTP request (the SDK's
own retries are off: retrying, backoff and concurrency are the analyser's policy) and turns every failure
into one of the ``LLMCallError`` kinds below.

The answer is streamed (``stream: true``, unless ``[llm] stream = false``), so its deadlines see progress:
the first token must come within ``timeout`` (the wait in the server's queue and the prompt's
evaluation; while another answer of ours moves, the wait is counted from its last move: a one-slot server
queues ours behind ours, and that is no stall), then no gap between tokens may exceed ``STALL`` seconds
(``read_timeout`` if lower), and the whole answer must end within ``timeout`` of its first token. An answer that falls into a loop
(repetition.py) is stopped in the stream: ``LLMCallError("loop")``. Unstreamed, one total deadline bounds
the request (connect, send and every read: httpx's timeouts are per read, and a server that drips a byte
at a time would reset them forever).
A server or proxy that ignores ``stream`` and answers a streamed request with one ``application/json``
completion is understood, not failed: the answer is taken whole (its wait is the first token's), and
``answers_whole`` says so (the analyser remembers it per endpoint and sends its requests unstreamed).
``get_json(path)`` reads what the server says about itself (``/models``, ``/props``) under a deadline. The API key is passed in by the caller, who reads it
from the environment; it never appears in an error message.

The streamed request is sent with the HTTP client itself (one POST, its events read here): the OpenAI SDK,
a second or more to import, is loaded only for answers not streamed — on a worker thread beside the run's
reading — so a run's first request does not wait for it.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx2

from dailydiff.analysis.limits import CEILING
from dailydiff.analysis.providers import Provider, provider_of, request_extras
from dailydiff.analysis.repetition import LoopWatch
from dailydiff.common.http import Again, GaveUp, HttpPolicy, Try, retry_after_seconds
from dailydiff.common.secrets import register, scrub
from dailydiff.settings import LLMSettings

if TYPE_CHECKING:
    import openai

STALL = 60.0  # seconds between two tokens of a streamed answer, at most


@dataclass(frozen=True)
class Reply:
    text: str
    finish_reason: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    first_token: float | None = None  # seconds from the request to the first token (streamed)
    prompt_work: float | None = None  # seconds the server says it spent on the prompt (llama.cpp timings)
    cached_tokens: int | None = None  # prompt tokens the server read from its cache; None: it does not say
    model_version: str = ""  # the model id the endpoint answered with


# Where providers report the prompt tokens their cache served: DeepSeek's top-level field, OpenAI's (and
# DashScope's, vLLM's with --enable-prompt-tokens-details, SGLang's with --enable-cache-report) details.
# A field that is absent or null says nothing: None, "unknown", never 0.
CACHED_FIELDS = (("prompt_cache_hit_tokens",), ("prompt_tokens_details", "cached_tokens"))


def usage_figures(usage: Any) -> tuple[int, int, int | None]:
    """Prompt, completion and cached tokens of a chat completion's ``usage`` (a dict or the SDK's object)."""
    if usage is not None and not isinstance(usage, dict):
        usage = usage.model_dump()  # the SDK's models are pydantic's
    usage = usage or {}
    cached: int | None = None
    for path in CACHED_FIELDS:
        value: Any = usage
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            cached = value
            break
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0), cached


def timings_figures(timings: Any) -> tuple[int, int, int | None]:
    """Prompt, completion and cached tokens of llama.cpp's ``timings`` (every streamed event's when asked
    with ``timings_per_token``): the prompt is what it evaluated (``prompt_n``) and what its cache held
    (``cache_n``)."""
    if not isinstance(timings, dict):
        return 0, 0, None
    cached, evaluated = timings.get("cache_n"), timings.get("prompt_n")
    if not isinstance(evaluated, int):
        return 0, int(timings.get("predicted_n") or 0), None
    hit = cached if isinstance(cached, int) else None
    return evaluated + (hit or 0), int(timings.get("predicted_n") or 0), hit


class LLMCallError(Exception):
    """A failed call. ``kind`` is one of: rate_limited, server, timeout, connection, auth, not_found,
    context_length, unsupported_format (the endpoint rejects the response_format: a capability answer,
    not a fault), bad_request, protocol, interrupted (a streamed answer ended before a finish reason: a partial answer,
    ``tokens`` it had streamed), loop (the streamed answer repeated itself and was stopped;
    ``tokens`` it had streamed by then). ``prompt_tokens`` and ``cached_tokens``: of an answer stopped
    part-way, what the server had counted by then (llama.cpp's timings), else 0 and None (not said)."""

    def __init__(self, kind: str, message: str, *, status: int | None = None, retry_after: float | None = None,
                 context_limit: int | None = None, tokens: int = 0, prompt_tokens: int = 0,
                 cached_tokens: int | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        self.context_limit = context_limit
        self.tokens = tokens
        self.prompt_tokens = prompt_tokens
        self.cached_tokens = cached_tokens

    @property
    def retryable(self) -> bool:
        return self.kind in {"rate_limited", "server", "timeout", "connection", "interrupted"}


_CONTEXT_WORDS = re.compile(
    r"context.length|maximum context|context_length_exceeded|too many tokens|prompt is too long|"
    r"exceeds? (the )?(model'?s? )?(maximum|context)|input is too long",
    re.I,
)
_CONTEXT_LIMIT = re.compile(
    r"(?:maximum context length|context (?:length|window)|max_model_len|n_ctx(?:_slot)?)\W{0,3}(?:is|of|=|:)?\s*"
    r"(\d{3,})",
    re.I,
)
# How servers reject a response_format they lack: llama-cpp-python ("Input should be 'text' or
# 'json_object'"), DeepSeek ("This response_format type is unavailable now"), vLLM/others naming the field.
_FORMAT_WORDS = re.compile(
    r"response_format|json_schema|'text' or 'json_object'|json_object|response format|structured output|"
    r"guided_json|grammar",
    re.I,
)


def _message_of(body: Any, fallback: str, secret: str) -> str:
    """The error's message in an error answer's JSON (``{"error": {"message": …}}``), scrubbed and cut."""
    text = ""
    if isinstance(body, dict):
        error = body.get("error", body)
        text = str(error.get("message", "")) if isinstance(error, dict) else str(error)
    text = text or fallback
    register(secret)  # a client built without settings (tests, doctor) still has its key scrubbed
    words = [word for word in scrub(text).split() if not _key_part(word, secret)]
    return " ".join(words)[:300]  # scrubbed before it is cut: no half secret survives


def _key_part(word: str, secret: str) -> bool:
    """A word of an error answer that quotes part of the key (OpenAI's "sk-proj-****abcd", DeepSeek's
    "****abcd"): a masked run, or four characters of the key in a row."""
    if "***" in word:
        return True
    return len(secret) >= 4 and any(secret[i : i + 4] in word for i in range(len(secret) - 3))


def context_limit_in(message: str) -> int | None:
    """The context size a context-length error names (OpenAI/vLLM "maximum context length is N",
    llama-cpp-python "exceed context window of N")."""
    match = _CONTEXT_LIMIT.search(message)
    return int(match.group(1)) if match else None


def status_error(status: int, message: str, headers: Mapping[str, str]) -> LLMCallError:
    """An error answer (HTTP ``status``, its scrubbed ``message``) as an LLMCallError kind."""
    if status == 429:
        return LLMCallError("rate_limited", f"HTTP 429: {message}", status=status,
                            retry_after=retry_after_seconds(headers))  # fmt: skip
    if status in (401, 403):
        # The endpoint's own words (the part of the key it may quote is left out: ``_message_of``).
        return LLMCallError("auth", f"HTTP {status}: {message}", status=status)
    if status == 404:
        return LLMCallError("not_found", f"HTTP 404: {message}", status=status)
    if status in (400, 413, 422, 500) and _CONTEXT_WORDS.search(message):
        return LLMCallError("context_length", f"HTTP {status}: {message}", status=status,
                            context_limit=context_limit_in(message))  # fmt: skip
    if status in (400, 422, 500, 501) and _FORMAT_WORDS.search(message):
        return LLMCallError("unsupported_format", f"HTTP {status}: {message}", status=status)
    if status >= 500 or status == 408:
        return LLMCallError("server", f"HTTP {status}: {message}", status=status,
                            retry_after=retry_after_seconds(headers))  # fmt: skip
    return LLMCallError("bad_request", f"HTTP {status}: {message}", status=status)


def transport_error(exc: httpx2.TransportError) -> LLMCallError:
    """A request that got no answer: no connection, or none in time."""
    if isinstance(exc, httpx2.TimeoutException):
        return LLMCallError("timeout", "the endpoint did not answer in time")
    return LLMCallError("connection", f"cannot reach the endpoint ({type(exc).__name__})")


def classify_error(exc: Exception, secret: str = "") -> LLMCallError:
    """Map an SDK/transport exception to an LLMCallError kind."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return LLMCallError("timeout", "the endpoint did not answer in time")
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return LLMCallError("connection", f"cannot reach the endpoint ({type(cause).__name__})")
    if isinstance(exc, openai.APIStatusError):
        message = _message_of(exc.body, str(exc.message), secret)
        return status_error(exc.status_code, message, exc.response.headers)
    if isinstance(exc, openai.APIResponseValidationError | ValueError | KeyError | TypeError):
        return LLMCallError("protocol", f"unexpected answer from the endpoint ({type(exc).__name__})")
    raise exc


def _ended_early(tokens: int, how: str = "") -> str:
    """What an answer whose stream ended before a finish reason is said to be: the endpoint answered."""
    closed = f", the connection closed ({how})" if how else ""
    return (
        f"the endpoint answered, but its stream ended after {tokens} token(s) without a finish reason{closed}"
    )


def _is_json(content_type: str) -> bool:
    """A JSON body (``application/json``, ``application/json; charset=utf-8``), not an event stream."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def whole_reply(completion: Any, seconds: float) -> Reply:
    """A chat completion sent whole (a raw JSON object, or the SDK's) as a Reply."""
    try:
        if not isinstance(completion, dict):
            completion = completion.model_dump()  # the SDK's models are pydantic's
        choice = completion["choices"][0]
        text = (choice.get("message") or {}).get("content") or ""
        finish = str(choice.get("finish_reason") or "stop")
        prompt, completion_tokens, cached = usage_figures(completion.get("usage"))
        return Reply(
            text=str(text),
            finish_reason=finish,
            prompt_tokens=prompt,
            completion_tokens=completion_tokens,
            first_token=seconds,
            cached_tokens=cached,
            model_version=str(completion.get("model") or ""),
        )
    except (IndexError, KeyError, AttributeError, TypeError, ValueError):
        raise LLMCallError("protocol", "the endpoint's answer has no choices") from None


@dataclass
class _Stream:
    """A streamed answer as it comes: its text, tokens, finish reason and the server's figures, and the end
    of its deadline (``timeout`` after the first token)."""

    began: float
    end: float
    text: str = ""
    chunks: int = 0
    first: float | None = None  # seconds from the request to the first token
    finish: str = ""
    usage: Any = None
    timings: Any = None
    model: str = ""
    spoke: bool = False  # a line came (keep-alive lines before the first event extend its wait)
    watch: LoopWatch = field(default_factory=LoopWatch)

    def take(self, chunk: dict[str, Any], now: float, deadline: float) -> bool | None:
        """One event: None when it has no choice (usage only), True when it brought the first token. An
        answer that repeats itself is stopped here (``loop``)."""
        self.usage = chunk.get("usage") or self.usage
        self.timings = chunk.get("timings") or self.timings
        self.model = str(chunk.get("model") or self.model)
        choices = chunk.get("choices") or []
        if not choices:
            return None
        choice = choices[0]
        delta = (choice.get("delta") or {}).get("content")
        self.finish = str(choice.get("finish_reason") or self.finish)
        if not delta:
            return False
        self.chunks += 1
        first = self.first is None
        if first:
            self.first, self.end = now - self.began, now + deadline
        self.text += delta
        if self.watch.seen(self.text):
            raise self.stopped("loop", f"the answer repeated a {self.watch.unit}-character unit and was "
                               f"stopped after {self.chunks} tokens")  # fmt: skip
        return first

    def figures(self) -> tuple[int, int, int | None]:
        """Prompt, completion and cached tokens as the server counted them: its usage, else its timings (an
        answer stopped part-way); completion tokens not counted are the tokens streamed."""
        prompt, completion, cached = usage_figures(self.usage)
        if not prompt:
            prompt, completion, cached = timings_figures(self.timings)
        return prompt, completion or self.chunks, cached

    def stopped(self, kind: str, message: str) -> LLMCallError:
        """A partial answer's error, with what the server had counted of it."""
        prompt, completion, cached = self.figures()
        return LLMCallError(kind, message, tokens=completion, prompt_tokens=prompt, cached_tokens=cached)

    def reply(self, now: float) -> Reply:
        if not self.finish:
            # llama-cpp-python's server drops a stream when another request comes in (and ends one now and
            # then): "interrupted", a partial answer
            raise self.stopped("interrupted", _ended_early(self.chunks))
        work = None
        if isinstance(self.timings, dict) and isinstance(self.timings.get("prompt_ms"), int | float):
            work = float(self.timings["prompt_ms"]) / 1000
        prompt, completion, cached = self.figures()
        return Reply(
            text=self.text,
            finish_reason=self.finish,
            prompt_tokens=prompt,
            completion_tokens=completion,
            first_token=self.first if self.first is not None else now - self.began,
            prompt_work=work,
            cached_tokens=cached,
            model_version=self.model,
        )


class ChatClient:
    """An async client bound to one event loop; use ``async with`` (it owns an HTTP connection pool)."""

    def __init__(self, settings: LLMSettings, api_key: str, *, connections: int | None = None,
                 policy: HttpPolicy | None = None) -> None:  # fmt: skip
        # The one outbound policy (``[llm]``'s unless given): timeouts and the request deadline here; its
        # retries, back-off and Retry-After rule in the analyser's call (analysis/llm.py).
        self.policy = policy = policy or settings.policy()
        self.model = settings.model
        self.temperature = settings.temperature
        self.max_tokens_field = settings.max_tokens_field
        self._settings = settings
        self.adopt(provider_of(settings.base_url, settings.provider))
        self.deadline = policy.timeout
        self.stall = min(STALL, policy.read_timeout)
        self._connect_timeout = policy.connect_timeout
        self._first_byte = min(policy.read_timeout, self.deadline)
        self.base_url = (settings.base_url or "https://api.openai.com/v1").rstrip("/")
        self._secret = api_key
        self._limits = httpx2.Limits(max_connections=connections or (settings.concurrency or CEILING) + 2)
        self._http_client: httpx2.AsyncClient | None = None  # built on a worker thread (``_ready``)
        self._building: asyncio.Future[None] | None = None
        self._sdk_client: openai.AsyncOpenAI | None = None
        url = httpx2.URL(self.base_url)
        self._chat_url = url.copy_with(path=url.path.rstrip("/") + "/chat/completions")
        # Local servers accept any key; the OpenAI SDK insists on one, and so the same is sent here.
        self._headers = {"Authorization": f"Bearer {api_key or 'not-needed'}", "Accept": "text/event-stream"}
        self._warm: asyncio.Future[None] | None = None
        # The server answered a streamed request with one JSON body (it ignores ``stream``).
        self.answers_whole = False
        # Our requests still waiting for their first token: their deadline timers and how long they wait.
        self._queued: dict[int, tuple[asyncio.Timeout, float]] = {}

    async def __aenter__(self) -> ChatClient:
        # The HTTP client's transport (httpcore, TLS) takes a few hundred milliseconds to import and build on
        # a busy machine, and the SDK's typed chat path (answers not streamed) as much again: a worker thread
        # does it while the run reads its commits.
        self._building = asyncio.ensure_future(asyncio.to_thread(self._build))
        if not self.stream:
            self._warm = asyncio.ensure_future(self._after_build(self._load_chat))
        return self

    def _build(self) -> None:
        if self._http_client is None:
            # A plain http:// endpoint (a local server) reads no CA bundle: on a busy machine that is most of
            # what the first request would wait for.
            plain = self._chat_url.scheme == "http"
            self._http_client = self.policy.async_client(limits=self._limits, tls=not plain)

    async def _after_build(self, load: Any) -> None:
        await self._ready()
        await asyncio.to_thread(load)

    async def _ready(self) -> None:
        """The HTTP client is built (on the worker thread ``__aenter__`` started, else here)."""
        if self._building is not None:
            await asyncio.shield(self._building)
        self._build()

    @property
    def _http(self) -> httpx2.AsyncClient:
        assert self._http_client is not None, "awaited _ready() first"
        return self._http_client

    @property
    def _sdk(self) -> openai.AsyncOpenAI:
        """The OpenAI SDK's client (answers not streamed), built on first use."""
        if self._sdk_client is None:
            import openai

            self._sdk_client = openai.AsyncOpenAI(
                api_key=self._secret or "not-needed",
                base_url=self._settings.base_url or None,
                max_retries=0,
                timeout=self.policy.timeouts(),
                http_client=self._http,
            )
        return self._sdk_client

    def _load_chat(self) -> None:
        self._sdk.chat.completions  # noqa: B018

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._loaded()
        if self._building is not None:
            await asyncio.gather(asyncio.shield(self._building), return_exceptions=True)
        if self._sdk_client is not None:
            await self._sdk_client.close()
        if self._http_client is not None:
            await self._http_client.aclose()

    async def _loaded(self) -> None:
        """The typed chat path is loaded (never two threads at it at once)."""
        if self._warm is not None:
            await asyncio.gather(asyncio.shield(self._warm), return_exceptions=True)

    async def complete(
        self,
        messages: list[dict[str, str]],
        response_format: dict[str, Any] | None,
        max_tokens: int,
        *,
        temperature: float | None = None,
        penalty: float = 0.0,
        first_token_within: float = 0.0,
    ) -> Reply:
        """One answer; ``temperature`` overrides the configured one, ``penalty`` (OpenAI's frequency and
        presence penalties) discourages repeating what the answer already said: a retry after a loop.
        Neither is sent where the temperature is left to the server (reasoning models reject both).
        ``first_token_within``: a longer wait for the first token than ``timeout`` (a long prompt
        on a slow server), streamed only."""
        kwargs = self._kwargs(response_format, max_tokens, temperature, penalty)
        await self._ready()
        if self.stream:
            # The first token: within the deadline and the read timeout (no byte comes before it), or the
            # longer wait a long prompt's measured speed needs.
            wait = first_token_within if first_token_within > self.deadline else self._first_byte
            return await self._streamed(messages, kwargs, wait)
        await self._loaded()
        import openai

        try:
            return await self._whole(messages, kwargs)
        except openai.OpenAIError as exc:
            raise classify_error(exc, self._secret) from None

    def _kwargs(self, response_format: dict[str, Any] | None, max_tokens: int, temperature: float | None = None,
                penalty: float = 0.0) -> dict[str, Any]:  # fmt: skip
        kwargs: dict[str, Any] = {self.max_tokens_field: max_tokens, **self.extras}
        if response_format is not None:
            kwargs["response_format"] = response_format
        warmth = self.temperature if temperature is None else temperature
        if warmth >= 0:
            kwargs["temperature"] = warmth
            if penalty > 0:
                kwargs["frequency_penalty"] = kwargs["presence_penalty"] = penalty
        return kwargs

    def request_body(
        self, messages: list[dict[str, str]], response_format: dict[str, Any] | None, max_tokens: int
    ) -> dict[str, Any]:
        """The body ``complete`` would send, unstreamed: a line of a Batch API's input file."""
        return {"model": self.model, "messages": messages, **self._kwargs(response_format, max_tokens)}

    def adopt(self, provider: Provider) -> None:
        """Send as ``provider``'s profile says: its request members, unstreamed where a stream would count
        no tokens."""
        settings = self._settings
        self.provider = provider.name
        self.extras = request_extras(provider, thinking=settings.thinking, service_tier=settings.service_tier)
        self.stream = settings.stream and provider.streams_usage

    async def openai(self) -> openai.AsyncOpenAI:
        """The OpenAI SDK's client over this one's connections (its ``files`` and ``batches``: batch mode)."""
        await self._ready()
        return self._sdk

    async def _whole(self, messages: list[dict[str, str]], kwargs: dict[str, Any]) -> Reply:
        began = asyncio.get_running_loop().time()
        extras = {key: kwargs.pop(key) for key in self.extras}
        try:
            async with asyncio.timeout(self.deadline):
                completion = await self._sdk.chat.completions.create(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    extra_body=extras or None,
                    # Unstreamed, nothing comes before the whole answer: its one read waits as long as the
                    # request may take (``read_timeout`` bounds a wait between a stream's tokens).
                    timeout=httpx2.Timeout(self.deadline, connect=self._connect_timeout),
                    **kwargs,
                )
        except TimeoutError:
            raise LLMCallError("timeout", f"no complete answer within {self.deadline:g}s") from None
        return whole_reply(completion, asyncio.get_running_loop().time() - began)

    def _progress(self, own: int) -> None:
        """One of our answers moved (tokens came, or it ended): the server is working, for us. A request of
        ours waiting for its first token meanwhile waits in the server's queue behind it, and that is no
        stall: its first-token deadline counts from now (a one-slot laptop server works through a long
        prompt of ours while the next one waits, and the wait must not time out)."""
        if not self._queued.keys() - {own}:
            return
        now = asyncio.get_running_loop().time()
        for key, (timer, wait) in self._queued.items():
            when = timer.when()
            if key != own and not timer.expired() and when is not None and now + wait - when > wait / 100:
                timer.reschedule(now + wait)

    async def _streamed(self, messages: list[dict[str, str]], kwargs: dict[str, Any], wait: float) -> Reply:
        loop = asyncio.get_running_loop()
        state = _Stream(began=loop.time(), end=loop.time() + self.deadline)
        body = {"model": self.model, "messages": messages, "stream": True,
                "stream_options": {"include_usage": True}, **kwargs}  # fmt: skip
        # The deadlines below bound every wait of the stream (the first token, a stall, the whole answer) and
        # see progress; the client's read timeout would not: it is left to them.
        request = self._http.build_request("POST", self._chat_url, json=body, headers=self._headers,
                                           timeout=httpx2.Timeout(None, connect=self._connect_timeout))  # fmt: skip
        me = id(body)
        try:
            async with asyncio.timeout(wait) as timer:
                self._queued[me] = (timer, wait)
                response = await self._opened(request)
                if _is_json(response.headers.get("content-type", "")):
                    # A server or proxy that ignores ``stream``: one complete answer, taken as it is.
                    return await self._taken_whole(response, me, state.began)
                try:
                    await self._read_events(response, state, timer, me)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise self._timed_out(state, wait) from None
        except (AttributeError, TypeError, ValueError):
            raise LLMCallError("protocol", "unexpected streamed answer from the endpoint") from None
        except httpx2.TransportError as exc:
            # The status line came (a failure before it is ``transport_error``): the endpoint answered, and its
            # stream ended early, with or without a token: a partial answer, not an outage.
            raise state.stopped("interrupted", _ended_early(state.chunks, type(exc).__name__)) from None
        finally:
            if self._queued.pop(me, None) is None:  # it had its first token: the server moved on from it
                self._progress(me)
        return state.reply(loop.time())

    async def _opened(self, request: httpx2.Request) -> httpx2.Response:
        """One POST (the SDK's typed ``create`` walks every parameter's annotations, a millisecond and a half
        per request), its events read here (one small JSON each: the SDK's typed chunks cost a millisecond
        apiece); an error answer raised as its kind."""
        try:
            response = await self._http.send(request, stream=True)
        except httpx2.TransportError as exc:
            raise transport_error(exc) from None
        if response.status_code >= 400:
            await self._refused(response)
        return response

    async def _taken_whole(self, response: httpx2.Response, me: int, began: float) -> Reply:
        try:
            whole = json.loads(await response.aread())
        finally:
            await response.aclose()
        self.answers_whole = True
        # Its work is done: our requests queued behind it count their wait from now (``_progress``).
        self._queued.pop(me, None)
        return whole_reply(whole, asyncio.get_running_loop().time() - began)

    async def _read_events(
        self, response: httpx2.Response, state: _Stream, timer: asyncio.Timeout, me: int
    ) -> None:
        """The stream's events into ``state``, a network read at a time: the events that came together (a
        burst of tokens) are taken in one pass, and the stall deadline is moved on once for them."""
        loop = asyncio.get_running_loop()
        rest = b""
        async for data in response.aiter_bytes():
            # Lines end with \n, \r\n or \r (a \r inside an event's JSON is escaped); the last piece waits for
            # the rest of its line.
            lines = (rest + data).replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
            rest = lines.pop()
            if self._take_lines(lines, state, timer, me, loop.time()):
                return
        if rest:
            self._take_lines([rest], state, timer, me, loop.time())

    def _take_lines(
        self, lines: list[bytes], state: _Stream, timer: asyncio.Timeout, me: int, now: float
    ) -> bool:
        """Lines of the stream into ``state``; True at ``[DONE]``."""
        done = False
        for line in lines:
            if not line.startswith(b"data:"):
                if not state.spoke:
                    self._held(state, timer)
                continue
            state.spoke = True
            data = line[5:].strip()
            if data == b"[DONE]":
                done = True
                break
            try:
                chunk = json.loads(data.decode("utf-8", "replace"))
            except ValueError:
                continue  # a cut-off event: the stream ends unfinished (``reply``) or goes on
            if "error" in chunk and not chunk.get("choices"):
                raise LLMCallError("server", f"the stream ended in an error: {str(chunk['error'])[:200]}")
            if state.take(chunk, now, self.deadline):
                del self._queued[me]
        if state.first is not None and not done:
            # Moved on once it lags by a hundredth of the stall allowed: once per burst of tokens, not per
            # token (a timer handle and a heap push apiece).
            due, when = min(now + self.stall, state.end), timer.when()
            if when is None or due < when or due - when > self.stall / 100:
                timer.reschedule(due)
                self._progress(me)
        return done

    def _held(self, state: _Stream, timer: asyncio.Timeout) -> None:
        """Blank lines or ``: keep-alive`` before any event (DeepSeek under load, for minutes): the server holds
        our request; the request's whole deadline bounds that wait, not the read timeout."""
        state.spoke = True
        when = timer.when()
        if when is not None and state.began + self.deadline > when:
            timer.reschedule(state.began + self.deadline)

    def _timed_out(self, state: _Stream, wait: float) -> LLMCallError:
        if state.first is None:
            return LLMCallError(
                "timeout", f"the endpoint did not answer in time (no first token within {wait:g}s)"
            )
        if asyncio.get_running_loop().time() >= state.end:
            return LLMCallError(
                "timeout", f"the answer did not end within {self.deadline:g}s of its first token"
            )
        return LLMCallError("timeout", f"the answer stalled for {self.stall:g}s after {state.chunks} tokens")

    async def _refused(self, response: httpx2.Response) -> None:
        """An error answer: read it (a little of it) and raise its LLMCallError kind."""
        try:
            content = await response.aread()
        except httpx2.TransportError:
            content = b""
        finally:
            await response.aclose()
        try:
            body = json.loads(content)
        except ValueError:
            body = None
        fallback = content[:300].decode("utf-8", "replace") or f"HTTP {response.status_code}"
        message = _message_of(body, fallback, self._secret)
        raise status_error(response.status_code, message, response.headers)

    async def get_json(self, path: str, *, root: bool = False, deadline: float | None = None) -> Any:
        """GET ``path`` under the base URL (or under the server's root: llama.cpp's ``/props``) and return
        its JSON, or None when the server answered but not with JSON (404, HTML…). Transport failures and
        the deadline raise LLMCallError (timeout / connection)."""
        base = re.sub(r"/v\d+$", "", self.base_url) if root else self.base_url
        headers = {"Authorization": f"Bearer {self._secret}"} if self._secret else {}
        limit = min(deadline or self.deadline, self.deadline)
        await self._ready()

        async def once(attempt: Try) -> httpx2.Response:
            try:
                async with attempt.within():
                    return await self._http.get(base + path, headers=headers)
            except TimeoutError:
                error = LLMCallError("timeout", f"GET {path} got no complete answer within {limit:g}s")
            except httpx2.TimeoutException:
                error = LLMCallError("timeout", f"GET {path} got no answer in time")
            except httpx2.TransportError as exc:
                error = LLMCallError("connection", f"cannot reach the endpoint ({type(exc).__name__})")
            raise Again(str(error), cause=error)

        try:
            # One attempt through the one send loop: the caller (the analyser's first contact) decides more.
            response = await self.policy.but(timeout=limit, retries=0).asend(once)
        except GaveUp as stop:
            assert stop.again is not None
            raise stop.again.cause from None
        if response.status_code >= 500:
            raise LLMCallError(
                "server", f"GET {path}: HTTP {response.status_code}", status=response.status_code
            )
        if response.status_code != 200:
            return None
        try:
            return json.loads(response.content)
        except ValueError:
            return None
