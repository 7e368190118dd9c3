"""`dailydiff doctor` for the LLM endpoint: what the server says about itself (its context size, the
requests it works on at once), and
tiny structured requests that find the response mode the analyser will use (``auto``: the strongest one
the endpoint honours; a configured mode: that one, checked). The API key is sent, never shown."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from dailydiff.analysis import analyzer_name, api_key
from dailydiff.analysis.client import ChatClient, LLMCallError
from dailydiff.analysis.endpoint import (
    PROBE_DEADLINE,
    PROBE_TOKENS,
    context_from,
    display_url,
    negotiate_mode,
    slots_from,
)
from dailydiff.analysis.schema import AnswerError, load_json, response_format
from dailydiff.doctor.base import CheckResult, DoctorContext
from dailydiff.engine.jobs import effective_settings
from dailydiff.settings import Settings

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"ok": {"type": "boolean"}},
    "required": ["ok"],
    "additionalProperties": False,
}
FIXES = {
    "auth": "the key was rejected: export a valid one as {env}",
    "not_found": "check llm.model (and llm.base_url): the endpoint does not know this model",
    "connection": "check llm.base_url and that the server is running",
    "timeout": "the endpoint is slow or down: check it, or raise llm.timeout",
    "rate_limited": "the endpoint is rate-limiting: wait, or lower llm.concurrency",
    "unsupported_format": 'the endpoint rejects this response mode: set llm.response_mode = "auto"',
}


@dataclass(frozen=True)
class Finding:
    mode: str
    how: str  # "negotiated: …" or "configured"
    context: str  # "8192 tokens (stated by the server)" …
    slots: str  # "1 slot (stated by the server); concurrency found by measurement" …
    answer: str  # the text of the answer to the check in that mode
    tokens: int
    whole: bool = False  # a streamed request was answered with one JSON body (the server ignores `stream`)


def _uses_llm(settings: Settings) -> bool:
    entries = [effective_settings(settings, entry) for entry in settings.repos] or [settings]
    return any(analyzer_name(s.analysis.analyzer, s) == "llm" for s in entries)


def _request(mode: str) -> list[dict[str, str]]:
    system = "You check that an endpoint answers with JSON. Answer only with a JSON object."
    if mode != "json_schema":
        system += "\n\nThe object follows this schema:\n```json\n" + json.dumps(SCHEMA) + "\n```"
    return [{"role": "system", "content": system}, {"role": "user", "content": 'Answer {"ok": true}.'}]


async def _context(client: ChatClient, settings: Settings, deadline: float) -> tuple[str, str]:
    """The context and the concurrency, as the analyser will find them."""
    models = await client.get_json("/models", deadline=min(PROBE_DEADLINE, deadline))
    props = None
    if context_from(models, None, settings.llm.model) is None:
        try:
            props = await client.get_json("/props", root=True, deadline=min(PROBE_DEADLINE, deadline))
        except LLMCallError:
            props = None
    slots = slots_from(props)
    stated = (
        f"{slots} slot{'s' if slots != 1 else ''} (stated by the server)" if slots else "slots not stated"
    )
    concurrency = settings.llm.concurrency
    how = (
        f"at most {concurrency} in flight (configured)" if concurrency else "concurrency found by measurement"
    )
    configured = settings.llm.profile().context_window
    if configured:
        return f"{configured} tokens (configured)", f"{stated}; {how}"
    found = context_from(models, props, settings.llm.model)
    if found is None:
        return "not stated by the server (learnt from its first context-length error)", f"{stated}; {how}"
    return f"{found} tokens (stated by the server)", f"{stated}; {how}"


async def _examine(settings: Settings, key: str, deadline: float) -> Finding:
    mode: str = settings.llm.response_mode
    async with ChatClient(settings.llm, key, connections=1) as client:
        context, slots = await _context(client, settings, deadline)
        how = "configured"
        if mode == "auto":
            found = await negotiate_mode(client.complete)
            mode, how = found.mode, "negotiated: " + "; ".join(found.tried)
        # Then the question every analysis asks, in that mode: an answer in the schema.
        fmt = response_format(SCHEMA, "doctor_check", mode)
        reply = await client.complete(_request(mode), fmt, max_tokens=PROBE_TOKENS)
        whole = client.answers_whole
    return Finding(
        mode, how, context, slots, reply.text, reply.prompt_tokens + reply.completion_tokens, whole
    )


def check_llm(ctx: DoctorContext) -> list[CheckResult]:
    settings = ctx.settings
    if settings is None or not _uses_llm(settings):
        return []
    llm = settings.llm
    if not llm.model:
        return [CheckResult(False, "llm", "an analyser is set to llm but no model is configured",
                            "set llm.model (or DAILYDIFF_LLM_MODEL), or use the heuristic analyser")]  # fmt: skip
    where = f"{llm.model} at {display_url(llm.base_url) or 'the OpenAI API'}"
    # doctor's own deadline, not a run's (which may give an answer minutes): a hung endpoint is a finding.
    bounded = llm.model_copy(update={key: min(getattr(llm, key), ctx.deadline)
                                     for key in ("timeout", "read_timeout", "connect_timeout")})  # fmt: skip
    try:
        found = asyncio.run(
            _examine(settings.model_copy(update={"llm": bounded}), api_key(settings), ctx.deadline)
        )
    except LLMCallError as exc:
        fix = FIXES.get(exc.kind, "check the [llm] settings").format(env=llm.api_key_env)
        return [CheckResult(False, "llm", f"{where}: {exc.kind}: {str(exc)[:200]}", fix)]
    try:
        answer = load_json(found.answer)
    except AnswerError:
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
        fix = (
            "try another model"
            if llm.response_mode == "auto"
            else 'set llm.response_mode = "auto", or try another model'
        )
        return [CheckResult(False, "llm", f"{where} did not answer the JSON asked for in response mode "
                            f"{found.mode} ({found.how})", fix)]  # fmt: skip
    streaming = ""
    if found.whole:
        # Understood either way; said, so the config says it too (and a proxy that buffers is no surprise).
        streaming = (
            "; it ignores `stream` and answers each request with one JSON body (taken as it is; "
            "set llm.stream = false to ask for that)"
        )
    if found.mode == "text":
        said = (
            f"{where}: no structured output at all; answers are parsed from plain text "
            f"(response mode text; {found.how})"
        )
    else:
        said = f"{where} answered a structured request in response mode {found.mode} ({found.how})"
    return [CheckResult(True, "llm", f"{said}; context {found.context}; {found.slots}{streaming}")]
