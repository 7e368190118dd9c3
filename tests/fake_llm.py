"""A fake OpenAI-compatible chat-completions server: real HTTP on 127.0.0.1, in a thread.

It answers from the request itself: the JSON Schema in ``response_format`` (json_schema mode) or the one
described in the system prompt (json_object mode), so an answer has exactly the fields asked for. Knobs
(attributes, changeable while it runs) play the ways real endpoints fail. It counts requests and records
every request body (prompts included).

    with FakeLLM() as fake:
        fake.latency = 0.1
        ... base_url=fake.base_url ...
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Canned = Callable[[dict[str, Any]], str | None]


@dataclass
class Recorded:
    body: dict[str, Any]
    authorization: str
    status: int = 200
    started: float = 0.0

    @property
    def messages(self) -> list[dict[str, str]]:
        return list(self.body.get("messages", []))

    @property
    def prompt_text(self) -> str:
        return "\n".join(m.get("content", "") for m in self.messages)

    @property
    def is_repair(self) -> bool:
        return any(m.get("role") == "assistant" for m in self.messages)

    @property
    def is_overview(self) -> bool:
        return "highlights" in json.dumps(_schema_of(self.body) or {})

    @property
    def depth(self) -> str | None:
        match = re.search(
            r"commit_analysis_(high|medium|low)", json.dumps(self.body.get("response_format", {}))
        )
        if match:
            return match.group(1)
        schema = _schema_of(self.body) or {}
        props = schema.get("properties", {})
        if "insights" in props:
            return "high"
        if "impact" in props:
            return "medium"
        return "low" if "summary" in props else None


@dataclass
class FakeLLM:
    model: str = "fake-model"
    # -- knobs ------------------------------------------------------------------------------------
    latency: float = 0.0  # seconds before each answer
    concurrency_limit: int | None = None  # requests in flight above this get 429
    retry_after: str = "1"  # Retry-After header value sent with 429
    fail_status: int = 500
    fail_first: int = 0  # the first N requests answer fail_status
    fail_always: bool = False
    hang_first: int = 0  # the first N requests never answer (until the client gives up)
    malformed: str = ""  # "once": first answer of each conversation is broken JSON; "always"
    repairable: bool = False  # answers wrapped in a ```json fence with trailing commas
    think: bool = False  # a <think>…</think> preamble before every answer
    length_below: int | None = None  # finish_reason "length" (answer cut in half) when max_tokens < this
    length_always: bool = False
    context_limit: int | None = None  # 400 context-length when prompt tokens + max_tokens exceed this
    api_key: str | None = None  # when set, any other bearer token gets 401
    echo_auth: bool = False  # error bodies (401 and fail_status) quote the request's Authorization header
    importance: str | None = None  # importance in answers (default: the depth asked for)
    canned: Canned | None = None  # return text to answer with it instead of the generated JSON
    # -- records ----------------------------------------------------------------------------------
    requests: list[Recorded] = field(default_factory=list)
    peak_active: int = 0
    rejected_429: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ----------------------------------------------------------------------------------

    def start(self) -> FakeLLM:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def count(self) -> int:
        return len(self.requests)

    def analysis_requests(self) -> list[Recorded]:
        return [r for r in self.requests if not r.is_overview]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.peak_active = 0
            self.rejected_429 = 0

    # answering ----------------------------------------------------------------------------------

    def _handle(self, body: dict[str, Any], authorization: str) -> tuple[int, dict[str, str], dict[str, Any]]:
        record = Recorded(body=body, authorization=authorization, started=time.monotonic())
        with self._lock:
            self.requests.append(record)
            index = len(self.requests)
            if self.concurrency_limit is not None and self._active >= self.concurrency_limit:
                self.rejected_429 += 1
                record.status = 429
                return (
                    429,
                    {"Retry-After": self.retry_after},
                    _error("Rate limit reached", "rate_limit_exceeded"),
                )
            self._active += 1
            self.peak_active = max(self.peak_active, self._active)
        try:
            return self._answer(record, index)
        finally:
            with self._lock:
                self._active -= 1

    def _echo(self, record: Recorded) -> str:
        """What a careless proxy adds to an error: the request's credentials, as a header and bare."""
        if not self.echo_auth:
            return ""
        key = record.authorization.removeprefix("Bearer ")
        return f" (request had Authorization: {record.authorization}; key {key})"

    def _answer(self, record: Recorded, index: int) -> tuple[int, dict[str, str], dict[str, Any]]:
        body = record.body
        if self.api_key is not None and record.authorization != f"Bearer {self.api_key}":
            record.status = 401
            return (
                401,
                {},
                _error(
                    "Incorrect API key provided: " + (self._echo(record) or record.authorization[-8:]),
                    "invalid_api_key",
                ),
            )
        if body.get("model") != self.model:
            record.status = 404
            return 404, {}, _error(f"The model `{body.get('model')}` does not exist", "model_not_found")
        if index <= self.hang_first:
            record.status = 599  # never answered (the client gives up first)
            self._stop.wait(60)
            return 500, {}, _error("server stopped", "stopped")
        if self._stop.wait(self.latency) if self.latency else False:
            return 500, {}, _error("server stopped", "stopped")
        if self.fail_always or index <= self.fail_first:
            record.status = self.fail_status
            return self.fail_status, {}, _error("upstream exploded" + self._echo(record), "server_error")
        prompt_tokens = len(record.prompt_text) // 3 + 8 * len(record.messages)
        max_tokens = int(body.get("max_tokens") or body.get("max_completion_tokens") or 4096)
        if self.context_limit is not None and prompt_tokens + max_tokens > self.context_limit:
            record.status = 400
            message = (
                f"This model's maximum context length is {self.context_limit} tokens. However, you requested "
                f"{prompt_tokens + max_tokens} tokens. Please reduce the length of the messages."
            )
            return 400, {}, _error(message, "context_length_exceeded")
        content = self.canned(body) if self.canned is not None else None
        if content is None:
            content = json.dumps(_fill(_schema_of(body) or {}, _context(record, self)), ensure_ascii=False)
            if self.repairable:
                content = (
                    "Here you go:\n```json\n" + content.replace("}", ",}").replace("],}", "]}") + "\n```"
                )
            if self.malformed == "always" or (self.malformed == "once" and not record.is_repair):
                content = '{"change_types": ["feature"], "summary": "broken \'JSON\' here" "importance": }'
        if self.think:
            content = '<think>Let me look at the diff. {"not": "the answer"}</think>\n' + content
        finish = "stop"
        if self.length_always or (self.length_below is not None and max_tokens < self.length_below):
            content = content[: max(1, len(content) // 2)]
            finish = "length"
        answer = {
            "id": f"chatcmpl-{index}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": len(content) // 3 + 1,
                "total_tokens": prompt_tokens + len(content) // 3 + 1,
            },
        }
        return 200, {}, answer


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


def _schema_of(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        schema = fmt.get("json_schema", {}).get("schema")
        return schema if isinstance(schema, dict) else None
    for message in body.get("messages", []):
        if message.get("role") != "system":
            continue
        match = re.search(r"```json\s*\n(.*?)```", message.get("content", ""), re.S)
        if match:
            try:
                found = json.loads(match.group(1))
            except json.JSONDecodeError:
                return None
            return found if isinstance(found, dict) else None
    return None


def _context(record: Recorded, fake: FakeLLM) -> dict[str, str]:
    text = record.messages[1]["content"] if len(record.messages) > 1 else ""
    match = re.search(r"<commit_message>\n(.*?)\n", text)
    return {
        "title": match.group(1) if match else "the day",
        "importance": fake.importance or record.depth or "medium",
    }


def _fill(schema: dict[str, Any], ctx: dict[str, str], key: str = "") -> Any:
    if "enum" in schema:
        options = schema["enum"]
        return ctx["importance"] if key == "importance" and ctx["importance"] in options else options[0]
    kind = schema.get("type")
    if kind == "object":
        return {name: _fill(sub, ctx, name) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        items = schema.get("items", {})
        if key == "change_types":
            return ["feature", "performance"]
        count = 3 if key == "highlights" else 2
        return [_fill(items, ctx, f"{key}[{i}]") for i in range(count)]
    if kind == "string":
        return f"{key} of “{ctx['title']}”"
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # a client that gave up (timeout) closes its socket mid-answer: expected here


class _Handler(BaseHTTPRequestHandler):
    owner: FakeLLM
    protocol_version = "HTTP/1.1"
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, {}, _error("not found", "not_found"))
            return
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            self._send(400, {}, _error("invalid JSON body", "invalid_json"))
            return
        status, headers, answer = self.owner._handle(body, self.headers.get("Authorization", ""))
        self._send(status, headers, answer)

    def _send(self, status: int, headers: dict[str, str], answer: dict[str, Any]) -> None:
        data = json.dumps(answer, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
