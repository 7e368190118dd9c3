"""`dailydiff doctor` for the LLM endpoint: one tiny structured request, in the response mode the
analyser uses, whose answer must be the JSON asked for. The API key is sent, never shown."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from dailydiff.analysis import api_key, llm_configured
from dailydiff.analysis.client import ChatClient, LLMCallError
from dailydiff.analysis.llm import _display_url
from dailydiff.doctor.base import CheckResult, DoctorContext
from dailydiff.engine.plan import effective_settings
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
    "timeout": "the endpoint is slow or down: check it, or raise llm.read_timeout",
    "rate_limited": "the endpoint is rate-limiting: wait, or lower llm.concurrency",
}


def _uses_llm(settings: Settings) -> bool:
    entries = [effective_settings(settings, entry) for entry in settings.repos] or [settings]
    return any(
        s.analysis.analyzer == "llm" or (s.analysis.analyzer == "auto" and llm_configured(s)) for s in entries
    )


def _request(settings: Settings) -> list[dict[str, str]]:
    system = "You check that an endpoint answers with JSON. Answer only with a JSON object."
    if settings.llm.response_mode == "json_object":
        system += "\n\nThe object follows this schema:\n```json\n" + json.dumps(SCHEMA) + "\n```"
    return [{"role": "system", "content": system}, {"role": "user", "content": 'Answer {"ok": true}.'}]


async def _ask(settings: Settings, key: str) -> tuple[str, int]:
    mode = settings.llm.response_mode
    response_format: dict[str, Any] = (
        {"type": "json_schema", "json_schema": {"name": "doctor_check", "schema": SCHEMA, "strict": True}}
        if mode == "json_schema"
        else {"type": "json_object"}
    )
    async with ChatClient(settings.llm, key, connections=1) as client:
        reply = await client.complete(_request(settings), response_format, max_tokens=64)
    return reply.text, reply.prompt_tokens + reply.completion_tokens


def check_llm(ctx: DoctorContext) -> list[CheckResult]:
    settings = ctx.settings
    if settings is None or not _uses_llm(settings):
        return []
    llm = settings.llm
    if not llm.model:
        return [CheckResult(False, "llm", "an analyser is set to llm but no model is configured",
                            "set llm.model (or DAILYDIFF_LLM_MODEL), or use the heuristic analyser")]  # fmt: skip
    where = f"{llm.model} at {_display_url(llm.base_url) or 'the OpenAI API'}"
    try:
        text, tokens = asyncio.run(_ask(settings, api_key(settings)))
    except LLMCallError as exc:
        fix = FIXES.get(exc.kind, "check the [llm] settings").format(env=llm.api_key_env)
        return [CheckResult(False, "llm", f"{where}: {exc.kind}: {str(exc)[:200]}", fix)]
    try:
        answer = json.loads(text.strip())
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
        mode = llm.response_mode
        other = "json_object" if mode == "json_schema" else "json_schema"
        return [CheckResult(False, "llm", f"{where} did not answer the JSON asked for in {mode} mode",
                            f"try llm.response_mode = \"{other}\", or another model")]  # fmt: skip
    return [
        CheckResult(
            True, "llm", f"{where} answered a structured request ({llm.response_mode}, {tokens} tokens)"
        )
    ]
