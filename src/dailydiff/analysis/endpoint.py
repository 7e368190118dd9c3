"""What an endpoint is: its context size and slots as it states them, the strongest response mode it
honours (found with a tiny probe), and how it is named in messages (never with a secret in it).

Used by the analyser's discovery (analysis/llm_session.py) and by `dailydiff doctor`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dailydiff.analysis.client import LLMCallError, Reply
from dailydiff.analysis.schema import RESPONSE_MODES, AnswerError, load_json, response_format, strict_object

DEFAULT_CONTEXT = 32768  # until the server says, or its first context-length error does
PROBE_DEADLINE = 15.0  # the first GET /models: any live server answers it at once
PROBE_SCHEMA = strict_object({"verdict": {"type": "string", "enum": ["constrained"]}})
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


def slots_from(props: Any) -> int | None:
    """How many requests a llama.cpp server works on at once (``/props`` ``total_slots``)."""
    value = props.get("total_slots") if isinstance(props, dict) else None
    return value if isinstance(value, int) and value > 0 else None


def nearby(url: str) -> bool:
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


def display_url(url: str) -> str:
    """The endpoint as shown in messages: no user:password@ and no query (either may carry a secret)."""
    return re.sub(r"//[^/@]*@", "//", url).split("?", 1)[0]


def describe(error: LLMCallError) -> str:
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
