"""The one I/O seam to the model: an async OpenAI-compatible chat-completions client.

``complete(messages, response_format, max_tokens) -> Reply``. It makes exactly one HTTP request (the SDK's
own retries are off: retrying, backoff and concurrency are the analyser's policy) and turns every
failure into one of the ``LLMCallError`` kinds below. The API key is passed in by the caller, who reads it
from the environment; it never appears in an error message.
"""

from __future__ import annotations

import email.utils
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx2
import openai

from dailydiff.common.secrets import register, scrub
from dailydiff.settings import LLMSettings


@dataclass(frozen=True)
class Reply:
    text: str
    finish_reason: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


class LLMCallError(Exception):
    """A failed call. ``kind`` is one of: rate_limited, server, timeout, connection, auth, not_found,
    context_length, bad_request, protocol."""

    def __init__(self, kind: str, message: str, *, status: int | None = None, retry_after: float | None = None,
                 context_limit: int | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        self.context_limit = context_limit

    @property
    def retryable(self) -> bool:
        return self.kind in {"rate_limited", "server", "timeout", "connection"}


_CONTEXT_WORDS = re.compile(
    r"context.length|maximum context|context_length_exceeded|too many tokens|prompt is too long|"
    r"exceeds? (the )?(model'?s? )?(maximum|context)|input is too long",
    re.I,
)
_CONTEXT_LIMIT = re.compile(r"(?:maximum context length|context (?:length|window)) (?:is|of) (\d+)", re.I)


def retry_after_seconds(headers: Any, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(raw) if raw else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - (now if now is not None else time.time()))


def _message_of(exc: openai.APIStatusError, secret: str) -> str:
    body = exc.body
    text = ""
    if isinstance(body, dict):
        error = body.get("error", body)
        text = str(error.get("message", "")) if isinstance(error, dict) else str(error)
    text = text or str(exc.message)
    register(secret)  # a client built without settings (tests, doctor) still has its key scrubbed
    return " ".join(scrub(text).split())[:300]  # scrubbed before it is cut: no half secret survives


def classify_error(exc: Exception, secret: str = "") -> LLMCallError:
    """Map an SDK/transport exception to an LLMCallError kind."""
    if isinstance(exc, openai.APITimeoutError):
        return LLMCallError("timeout", "the endpoint did not answer in time")
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return LLMCallError("connection", f"cannot reach the endpoint ({type(cause).__name__})")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        message = _message_of(exc, secret)
        if status == 429:
            return LLMCallError("rate_limited", f"HTTP 429: {message}", status=status,
                                retry_after=retry_after_seconds(exc.response.headers))  # fmt: skip
        if status in (401, 403):
            # The server's text may quote part of the key; it is not repeated.
            return LLMCallError("auth", f"HTTP {status}", status=status)
        if status == 404:
            return LLMCallError("not_found", f"HTTP 404: {message}", status=status)
        if status in (400, 413, 422) and _CONTEXT_WORDS.search(message):
            match = _CONTEXT_LIMIT.search(message)
            return LLMCallError("context_length", f"HTTP {status}: {message}", status=status,
                                context_limit=int(match.group(1)) if match else None)  # fmt: skip
        if status >= 500 or status == 408:
            return LLMCallError("server", f"HTTP {status}: {message}", status=status,
                                retry_after=retry_after_seconds(exc.response.headers))  # fmt: skip
        return LLMCallError("bad_request", f"HTTP {status}: {message}", status=status)
    if isinstance(exc, openai.APIResponseValidationError | ValueError | KeyError | TypeError):
        return LLMCallError("protocol", f"unexpected answer from the endpoint ({type(exc).__name__})")
    raise exc


class ChatClient:
    """An async client bound to one event loop; use ``async with`` (it owns an HTTP connection pool)."""

    def __init__(self, settings: LLMSettings, api_key: str, *, connections: int | None = None) -> None:
        self.model = settings.model
        self.temperature = settings.temperature
        self.max_tokens_field = settings.max_tokens_field
        self._secret = api_key
        limits = httpx2.Limits(max_connections=connections or max(settings.concurrency, 1) + 2)
        self._http = httpx2.AsyncClient(
            timeout=httpx2.Timeout(settings.read_timeout, connect=settings.connect_timeout), limits=limits
        )
        self._sdk = openai.AsyncOpenAI(
            api_key=api_key or "not-needed",  # local servers accept any key; the SDK insists on one
            base_url=settings.base_url or None,
            max_retries=0,
            timeout=httpx2.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            http_client=self._http,
        )

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._sdk.close()
        await self._http.aclose()

    async def complete(
        self, messages: list[dict[str, str]], response_format: dict[str, Any] | None, max_tokens: int
    ) -> Reply:
        kwargs: dict[str, Any] = {self.max_tokens_field: max_tokens}
        if response_format is not None:
            kwargs["response_format"] = response_format
        if self.temperature >= 0:
            kwargs["temperature"] = self.temperature
        try:
            completion = await self._sdk.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                **kwargs,
            )
        except openai.OpenAIError as exc:
            raise classify_error(exc, self._secret) from None
        try:
            choice = completion.choices[0]
            text = choice.message.content or ""
            finish = choice.finish_reason or "stop"
        except (IndexError, AttributeError, TypeError):
            raise LLMCallError("protocol", "the endpoint's answer has no choices") from None
        usage = completion.usage
        return Reply(
            text=text,
            finish_reason=str(finish),
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        )
