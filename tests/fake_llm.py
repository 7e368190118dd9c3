"""A fake OpenAI-compatible chat-completions server: real HTTP on 127.0.0.1, in a thread.

It answers from the request itself: the JSON Schema in ``response_format`` (json_schema mode) or the one
described in the system prompt (json_object mode), so an answer has exactly the fields asked for. Knobs
(attributes, changeable while it runs) play the ways real endpoints fail. It counts requests and records
every request body (prompts included). A request with ``stream: true`` is answered as server-sent events,
a token (about three characters) per chunk, as llama.cpp and OpenAI stream. Laptop servers queue rather
than refuse: ``slots`` serves that many at once and keeps the rest waiting (200, only later), like
llama.cpp's ``--parallel N``; ``slow_above`` halves its speed while more than that many are in flight.

    with FakeLLM() as fake:
        fake.latency = 0.1
        ... base_url=fake.base_url ...
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from localserver import LocalServer

Canned = Callable[[dict[str, Any]], str | None]


@dataclass
class Recorded:
    body: dict[str, Any]
    authorization: str
    status: int = 200
    started: float = 0.0
    loop_from: int | None = None  # the token a looping answer began to repeat at
    ended: float = 0.0  # when the answer was sent (streamed: its last event)
    asked: int = 0  # its place among the requests that are not probes (0: a probe)
    prompt_tokens: int = 0  # the usage the answer reported (0: not answered)
    completion_tokens: int = 0
    cached_tokens: int = 0  # what the fake's prefix cache served of its prompt
    invented: list[str] = field(default_factory=list)  # claims an `invent` answer made up
    batch: str = ""  # the batch (fake_batch.py) whose line this was; "": a request of its own

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
        return "highlights" in json.dumps(_schema_of(self.body, True) or {})

    @property
    def is_probe(self) -> bool:
        return (
            "endpoint_probe" in json.dumps(self.body.get("response_format"))
            or "verdict" in json.dumps(self.body.get("response_format"))
            or '{"ok": true}' in self.prompt_text
        )

    @property
    def depth(self) -> str | None:
        match = re.search(
            r"commit_analysis_(high|medium|low)", json.dumps(self.body.get("response_format", {}))
        )
        if match:
            return match.group(1)
        schema = _schema_of(self.body, True) or {}
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
    slots: int | None = None  # requests worked on at once; the rest wait their turn
    state_slots: bool = True  # /props states `slots` (as llama.cpp does); False: a server that does not say
    prompt_rate: float | None = None  # prompt tokens a second: a longer prompt waits longer (a laptop)
    slow_above: int | None = None  # half speed while more than this many are in flight (see _work)
    token_delay: float = 0.0  # seconds between two streamed tokens
    ignore_stream: bool = (
        False  # `stream: true` is answered with one application/json body (a buffering proxy)
    )
    # A streamed answer repeats itself after this share of its text, to max_tokens; loop_times answers.
    loop_after: float | None = None
    loop_times: int = 1 << 30
    loop_unit: str = "and again the same words, "  # what a looping answer repeats
    retry_after: str = "1"  # Retry-After header value sent with 429
    fail_status: int = 500
    fail_first: int = 0  # the first N requests answer fail_status
    fail_first_asked: int = (
        0  # the first N requests that are not probes (nor the run's canary) answer fail_status
    )
    fail_retry_after: str | None = None  # the Retry-After header of those answers (None: not sent)
    fail_always: bool = False
    hang_first: int = 0  # the first N requests never answer (until the client gives up)
    hang_after: int | None = None  # every request after the first N (probes aside) never answers (until stop)
    hang_all: bool = False  # nothing is ever answered, GET /models included (a dead endpoint)
    drip: float | None = None  # every answer (GETs included) is sent one byte per `drip` seconds
    die_mid_body: bool = False  # every answer stops half-way through its body (connection closed)
    faults_on_gets: bool = True  # drip and die_mid_body apply to GET /models and /props too
    # A stream that ends early: after this many tokens it is over (connection closed, no finish reason, no
    # [DONE]), as llama-cpp-python's server ends one now and then; for the first `end_early_times` streams
    # (probes aside).
    end_early_after: int | None = None
    end_early_times: int = 1 << 30
    reject_formats: dict[str, int] = field(default_factory=dict)  # response mode -> status rejecting it
    honour_schema_member: bool = False  # json_object + `schema` is held to that schema (llama-cpp-python)
    max_model_len: int | None = None  # stated in GET /v1/models (vLLM, SGLang)
    n_ctx: int | None = None  # stated in GET /props (llama.cpp server); None: /props is 404
    context_style: str = "openai"  # wording of the context-length error: "openai" or "llama"
    malformed: str = ""  # "once": first answer of each conversation is broken JSON; "always"
    repairable: bool = False  # answers wrapped in a ```json fence with trailing commas
    think: bool = False  # a <think>…</think> preamble before every answer
    length_below: int | None = None  # finish_reason "length" (answer cut in half) when max_tokens < this
    length_always: bool = False
    context_limit: int | None = None  # 400 context-length when prompt tokens + max_tokens exceed this
    api_key: str | None = None  # when set, any other bearer token gets 401
    echo_auth: bool = False  # error bodies (401 and fail_status) quote the request's Authorization header
    importance: str | None = None  # importance in answers (default: the depth asked for)
    # The first `overlap` requests (format probes aside) are held until that many are in flight together (a barrier, broken
    # after 10 s): a test shows concurrency by the overlap itself, not by timing.
    overlap: int = 0
    escalate: Callable[[str], bool] | None = None  # commit titles answered "high" whatever the depth
    canned: Canned | None = None  # return text to answer with it instead of the generated JSON
    # -- providers as they are (issue 83) ----------------------------------------------------------
    blank_first: int = (
        0  # the first N answers that are not probes are "" with finish_reason "stop" (DeepSeek)
    )
    keep_alive: float = 0.0  # a stream's first seconds are `: keep-alive` lines and blank ones (DeepSeek)
    json_word_required: bool = False  # json_object needs the word "json" in a message, else 400 (DashScope)
    thinking_default: bool = (
        False  # thinks (billed) unless `enable_thinking: false` is sent (DashScope Qwen3)
    )
    # Where usage says what the cache served: "deepseek" (prompt_cache_hit/miss_tokens), "openai"
    # (prompt_tokens_details.cached_tokens), "null" (prompt_tokens_details: null, vLLM without the flag).
    cache_field: str = ""
    stream_usage: bool = (
        True  # False: a stream ends with no usage, whatever is asked (llama-cpp-python's server)
    )
    # llama.cpp's llama-server: `timings_per_token` is a member it knows, and asked, every streamed token's
    # event carries its timings (prompt_n evaluated, cache_n from its cache, predicted_n so far).
    timings: bool = False
    owned_by: str = "fake"  # GET /v1/models' owned_by ("llamacpp": llama-server's)
    cache_block: int = 64  # the cache serves whole blocks of this many tokens of a prefix seen before
    truncate_at: int | None = (
        None  # the prompt is cut to this many tokens, silently (Ollama's runtime context)
    )
    echo_model: str = ""  # the model id answers carry (the version behind the alias); empty: the model asked
    # This share of analysis answers (spread evenly: 0.3 is the 4th, 7th and 10th of every ten) gets, in each
    # text field, a sentence naming a path, a function, a percentage and a pull request the prompt never had.
    invent: float = 0.0
    batch_api: Any = None  # a fake_batch.BatchAPI serving /v1/files and /v1/batches here (BatchAPI.on)
    # -- records ----------------------------------------------------------------------------------
    requests: list[Recorded] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # why each request refused as malformed (400) was
    gets: list[str] = field(default_factory=list)  # paths of GET requests
    peak_active: int = 0
    peak_active_by_key: dict[str, int] = field(default_factory=dict)  # per Authorization (one per client)
    rejected_429: int = 0
    streamed: list[tuple[int, int]] = field(default_factory=list)  # (tokens sent, token the loop began at)
    billed: list[dict[str, Any]] = field(default_factory=list)  # each answer's usage, as a provider bills it

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._active_by_key: dict[str, int] = {}
        self._held = 0  # requests so far that are not format probes (counted as they come: no rescan)
        self._answers = 0  # analysis answers so far (the `invent` knob's count)
        self._barrier: threading.Barrier | None = None
        self._slots: threading.Semaphore | None = None
        self._stop = threading.Event()
        self._server: LocalServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ----------------------------------------------------------------------------------

    def start(self) -> FakeLLM:
        fake = self
        self._slots = threading.Semaphore(self.slots) if self.slots else None

        class Handler(_Handler):
            owner = fake

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
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

    def __exit__(self, kind: object, *exc: object) -> None:
        self.stop()
        # dailydiff never sends a request a real endpoint refuses as malformed: one that did fails the
        # test that made it (were it only answered 400, a client could fall back and pass unnoticed).
        assert kind is not None or not self.invalid, f"malformed chat-completions requests: {self.invalid}"

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def overlapped(self) -> bool:
        """The first `overlap` requests were in flight together."""
        return self._barrier is not None and not self._barrier.broken

    @property
    def count(self) -> int:
        return len(self.requests)

    @property
    def tokens_in(self) -> int:
        """Prompt tokens of every answer sent but the probes' (the canary and the mode probe go before a run's
        commits, once: not the cost of analysing one)."""
        return sum(r.prompt_tokens for r in self.requests if not r.is_probe)

    @property
    def tokens_out(self) -> int:
        return sum(r.completion_tokens for r in self.requests if not r.is_probe)

    def seconds(self) -> list[float]:
        """Each answered request's time in the server, from its arrival to its last byte."""
        return [r.ended - r.started for r in self.requests if r.status == 200 and r.ended]

    @property
    def not_probes(self) -> int:
        """Requests but the probes (the canary, the mode probe)."""
        return sum(not r.is_probe for r in self.requests)

    def analysis_requests(self) -> list[Recorded]:
        return [r for r in self.requests if not r.is_overview and not r.is_probe]

    def title_of(self, record: Recorded) -> str:
        """The title of the commit a request analyses ("the day" for an overview)."""
        return _context(record, self)["title"]

    def per_commit(self) -> dict[str, int]:
        """Analysis requests per commit title (probes and overviews left out)."""
        counts: dict[str, int] = {}
        for record in self.analysis_requests():
            title = self.title_of(record)
            counts[title] = counts.get(title, 0) + 1
        return counts

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._held = 0
            self.gets.clear()
            self.peak_active = 0
            self.rejected_429 = 0
            self.streamed.clear()

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
            self._active_by_key[authorization] = self._active_by_key.get(authorization, 0) + 1
            self.peak_active_by_key[authorization] = max(
                self.peak_active_by_key.get(authorization, 0), self._active_by_key[authorization]
            )
            if self.overlap and self._barrier is None:
                self._barrier = threading.Barrier(self.overlap)
            self._held += not record.is_probe  # a format probe is made alone, first
            held = self._held
            barrier = self._barrier if not record.is_probe and held <= self.overlap else None
            record.asked = 0 if record.is_probe else held
        if self._slots is not None:
            self._slots.acquire()  # released by the handler once the answer is sent
        try:
            if barrier is not None:
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait(timeout=10)
            return self._answer(record, index)
        finally:
            record.ended = time.monotonic()
            with self._lock:
                self._active -= 1
                self._active_by_key[authorization] -= 1

    def answer_line(self, body: dict[str, Any], batch: str) -> tuple[int, dict[str, str], dict[str, Any]]:
        """A Batch API line's request answered as a request of its own is (fake_batch.py)."""
        status, headers, answer = self._handle(body, "")
        if self._slots is not None and status != 429:
            self._slots.release()
        with self._lock:
            for record in reversed(self.requests):
                if record.body is body:
                    record.batch = batch
                    break
        return status, headers, answer

    def _echo(self, record: Recorded) -> str:
        """What a careless proxy adds to an error: the request's credentials, as a header and bare."""
        if not self.echo_auth:
            return ""
        key = record.authorization.removeprefix("Bearer ")
        return f" (request had Authorization: {record.authorization}; key {key})"

    def _invented(self, record: Recorded, content: str) -> str:
        """``content`` with a made-up sentence in each text field, for this share of the answers (of those
        with text: not `grounding = "mark"`'s reply of lines alone)."""
        try:
            answer = json.loads(content)
        except json.JSONDecodeError:
            return content
        if isinstance(answer, dict) and set(answer) == {"shown"}:
            return content
        with self._lock:
            self._answers += 1
            n = self._answers
        if int(n * self.invent) == int((n - 1) * self.invent):
            return content
        claims = [f"src/ghost/phantom_{n}.cu", f"ghost_dispatch_{n}()", f"{30 + n}%", f"#{90000 + n}"]
        record.invented = claims
        sentence = f"It also rewrites `{claims[0]}` and `{claims[1]}`, {claims[2]} faster ({claims[3]})."
        return json.dumps(_invent_into(answer, sentence), ensure_ascii=False)

    def _work(self, seconds: float) -> bool:
        """Spend ``seconds`` of work on a request: with ``slow_above``, at half speed whenever more than
        that many are in flight (the server shares what it can do between them), so every request that
        overlaps a crowd is slowed for as long as it does. True: the server was stopped meanwhile."""
        if self.slow_above is None:
            return self._stop.wait(seconds) if seconds else False
        left = seconds
        while left > 0:
            with self._lock:
                speed = 0.5 if self._active > self.slow_above else 1.0
            began = time.monotonic()
            if self._stop.wait(min(left / speed, 0.01)):
                return True
            left -= (time.monotonic() - began) * speed
        return False

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
        # The members this server knows beyond OpenAI's (DashScope's thinking switch, llama.cpp's timings).
        own = {"enable_thinking"} if self.thinking_default else set()
        own |= {"timings_per_token"} if self.timings else set()
        problem = invalid_request({k: v for k, v in body.items() if k not in own})
        said_json = any("json" in str(m.get("content", "")).lower() for m in body.get("messages", []))
        if problem is None and self.json_word_required and _mode_of(body) == "json_object" and not said_json:
            record.status = 400
            words = "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."
            return 400, {}, _error(words, "invalid_parameter_error")
        if problem is not None:
            record.status = 400
            with self._lock:
                self.invalid.append(problem)
            return 400, {}, _error(problem, "invalid_request_error")
        if body.get("model") != self.model:
            record.status = 404
            return 404, {}, _error(f"The model `{body.get('model')}` does not exist", "model_not_found")
        mode = _mode_of(body)
        if mode in self.reject_formats:
            record.status = self.reject_formats[mode]
            fmt_type = (body.get("response_format") or {}).get("type")
            return (
                record.status,
                {},
                _error(
                    f"1 validation error: response_format.type Input should be 'text' or 'json_object' [input: {fmt_type!r}]"
                    if record.status >= 500
                    else "This response_format type is unavailable now",
                    "invalid_request_error",
                ),
            )
        if index <= self.hang_first or (self.hang_after is not None and record.asked > self.hang_after):
            record.status = 599  # never answered (the client gives up first)
            self._stop.wait(60)
            return 500, {}, _error("server stopped", "stopped")
        tokens = len(record.prompt_text) // 3 + 8 * len(record.messages)
        if self._work(self.latency + (tokens / self.prompt_rate if self.prompt_rate else 0.0)):
            return 500, {}, _error("server stopped", "stopped")
        if self.fail_always or index <= self.fail_first or 0 < record.asked <= self.fail_first_asked:
            record.status = self.fail_status
            asked = {"Retry-After": self.fail_retry_after} if self.fail_retry_after is not None else {}
            return self.fail_status, asked, _error("upstream exploded" + self._echo(record), "server_error")
        prompt_tokens = len(record.prompt_text) // 3 + 8 * len(record.messages)
        if self.truncate_at is not None:
            prompt_tokens = min(prompt_tokens, self.truncate_at)
        max_tokens = int(body.get("max_tokens") or body.get("max_completion_tokens") or 4096)
        if self.context_limit is not None and prompt_tokens + max_tokens > self.context_limit:
            record.status = 400
            message = (
                f"This model's maximum context length is {self.context_limit} tokens. However, you requested "
                f"{prompt_tokens + max_tokens} tokens. Please reduce the length of the messages."
            )
            if self.context_style == "llama":
                message = f"Requested tokens ({prompt_tokens + max_tokens}) exceed context window of {self.context_limit}"
            return 400, {}, _error(message, "context_length_exceeded")
        content = self.canned(body) if self.canned is not None else None
        if content is None:
            schema = _schema_of(body, self.honour_schema_member)
            # No schema anywhere (a probe whose format the server ignores): answer what the words asked for.
            content = (
                json.dumps(_fill(schema, _context(record, self)), ensure_ascii=False)
                if schema
                else '{"ok": true}'
            )
            if self.repairable:
                content = (
                    "Here you go:\n```json\n" + content.replace("}", ",}").replace("],}", "]}") + "\n```"
                )
            if self.malformed == "always" or (self.malformed == "once" and not record.is_repair):
                content = '{"change_types": ["feature"], "summary": "broken \'JSON\' here" "importance": }'
        if self.invent and not record.is_probe and not record.is_overview and content.startswith("{"):
            content = self._invented(record, content)
        if self.think:
            content = '<think>Let me look at the diff. {"not": "the answer"}</think>\n' + content
        if record.asked and not record.is_repair:
            with self._lock:
                blank, self.blank_first = self.blank_first > 0, self.blank_first - (self.blank_first > 0)
            content = "" if blank else content
        reasoning = ""
        if self.thinking_default and body.get("enable_thinking") is not False:
            reasoning = "Let me think about this diff step by step. " * 20
        finish = "stop"
        looped = sum(1 for r in self.requests if r.loop_from is not None)
        if (
            self.loop_after is not None
            and body.get("stream")
            and looped < self.loop_times
            and not record.is_probe
        ):
            cut = int(len(content) * self.loop_after)
            content = content[:cut] + self.loop_unit * (max_tokens * 3 // len(self.loop_unit) + 1)
            content, finish = content[: max_tokens * 3], "length"
            record.loop_from = cut // 3
        if self.length_always or (self.length_below is not None and max_tokens < self.length_below):
            content = content[: max(1, len(content) // 2)]
            finish = "length"
        completion_tokens = len(content) // 3 + 1 + len(reasoning) // 3
        usage: dict[str, Any] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        cached = self._cached(record, prompt_tokens)
        if self.cache_field == "deepseek":
            usage.update(prompt_cache_hit_tokens=cached, prompt_cache_miss_tokens=prompt_tokens - cached)
        elif self.cache_field == "openai":
            usage["prompt_tokens_details"] = {"cached_tokens": cached}
        elif self.cache_field == "null":
            usage["prompt_tokens_details"] = None
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if reasoning:
            message["reasoning_content"] = reasoning
        record.prompt_tokens, record.completion_tokens = prompt_tokens, completion_tokens
        record.cached_tokens = cached
        answer = {
            "id": f"chatcmpl-{index}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.echo_model or self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage,
        }
        billed_cache = cached if self.cache_field in ("deepseek", "openai") else 0
        with self._lock:
            self.billed.append({"prompt": prompt_tokens, "cached": billed_cache, "completion": completion_tokens,
                                "at": time.time(), "probe": record.is_probe})  # fmt: skip
        return 200, {}, answer

    def _cached(self, record: Recorded, prompt_tokens: int) -> int:
        """The prompt tokens a provider's prefix cache serves: the longest prefix this request's messages
        share with an earlier answered request's, in whole blocks (DeepSeek's 64 tokens; three characters a
        token here)."""
        text = json.dumps(record.messages, ensure_ascii=False)
        with self._lock:
            earlier = [json.dumps(r.messages, ensure_ascii=False) for r in self.requests
                       if r is not record and r.status == 200]  # fmt: skip
        best = max((_shared_prefix(text, other) for other in earlier), default=0)
        return min(prompt_tokens, (best // 3) // self.cache_block * self.cache_block)


# The chat-completions request as OpenAI documents it (and vLLM, SGLang, llama.cpp and DeepSeek accept):
# what a real server answers 400 to, a request here is refused for too.
_PARAMETERS = {
    "model", "messages", "response_format", "max_tokens", "max_completion_tokens", "temperature", "top_p",
    "stream", "stream_options", "stop", "seed", "n", "presence_penalty", "frequency_penalty", "logit_bias",
    "user", "tools", "tool_choice", "parallel_tool_calls", "logprobs", "top_logprobs", "metadata", "store",
    "reasoning_effort", "service_tier",
}  # fmt: skip
_ROLES = {"system", "developer", "user", "assistant", "tool"}
_SCHEMA_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def invalid_request(body: Any) -> str | None:
    """Why a real chat-completions endpoint would refuse ``body`` (400), or None."""
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    unknown = sorted(set(body) - _PARAMETERS)
    if unknown:
        return f"Unrecognized request argument supplied: {', '.join(unknown)}"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            return f"messages[{i}].role must be one of {sorted(_ROLES)}"
        content = message.get("content")
        parts_ok = isinstance(content, list) and all(
            isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
            for p in content
        )
        if not (isinstance(content, str) or parts_ok or (content is None and message.get("tool_calls"))):
            return f"messages[{i}].content must be a string or an array of text parts"
    for name in ("max_tokens", "max_completion_tokens", "n", "seed"):
        if name in body and (
            not isinstance(body[name], int) or isinstance(body[name], bool) or body[name] < 1
        ):
            return f"'{name}' must be a positive integer"
    if "temperature" in body and not (_number(body["temperature"]) and 0 <= body["temperature"] <= 2):
        return "'temperature' must be a number from 0 to 2"
    if "top_p" in body and not (_number(body["top_p"]) and 0 <= body["top_p"] <= 1):
        return "'top_p' must be a number from 0 to 1"
    if "stream" in body and not isinstance(body["stream"], bool):
        return "'stream' must be a boolean"
    if "stream_options" in body and not body.get("stream"):
        return "'stream_options' is only allowed when 'stream' is true"
    stop = body.get("stop")
    if stop is not None and not (
        isinstance(stop, str)
        or (isinstance(stop, list) and len(stop) <= 4 and all(isinstance(x, str) for x in stop))
    ):
        return "'stop' must be a string or up to 4 strings"
    return _invalid_format(body.get("response_format"))


def _invalid_format(fmt: Any) -> str | None:
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
        return "response_format.type must be one of 'text', 'json_object', 'json_schema'"
    extra = set(fmt) - {"type", "json_schema", "schema"}
    if extra or (fmt["type"] != "json_schema" and "json_schema" in fmt):
        return f"response_format has unexpected members {sorted(extra or {'json_schema'})}"
    if "schema" in fmt and (fmt["type"] != "json_object" or not isinstance(fmt["schema"], dict)):
        return "response_format.schema is llama.cpp's member of a json_object format, and must be an object"
    if fmt["type"] == "json_schema":
        spec = fmt.get("json_schema")
        if not isinstance(spec, dict) or not _SCHEMA_NAME.fullmatch(str(spec.get("name", ""))):
            return "response_format.json_schema.name is required: 1-64 of a-z, A-Z, 0-9, _ and -"
        if set(spec) - {"name", "schema", "strict", "description"}:
            return f"response_format.json_schema has unexpected members {sorted(set(spec) - {'name', 'schema', 'strict', 'description'})}"
        if not isinstance(spec.get("schema"), dict) or spec["schema"].get("type") != "object":
            return "response_format.json_schema.schema must be a JSON Schema of an object"
        if "strict" in spec and not isinstance(spec["strict"], bool):
            return "response_format.json_schema.strict must be a boolean"
        if spec.get("strict"):
            return _not_strict(spec["schema"], "schema")
    return None


def _not_strict(schema: Any, where: str) -> str | None:
    """OpenAI's structured outputs refuse a strict schema with an object that allows more keys or leaves
    a property out of `required`."""
    if isinstance(schema, list):
        return next((p for i, s in enumerate(schema) if (p := _not_strict(s, f"{where}[{i}]"))), None)
    if not isinstance(schema, dict):
        return None
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            return f"Invalid schema for response_format: {where}: 'additionalProperties' must be false"
        if sorted(schema.get("required", [])) != sorted(schema.get("properties", {})):
            return f"Invalid schema for response_format: {where}: 'required' must list every property"
    return next((p for k, v in schema.items() if (p := _not_strict(v, f"{where}.{k}"))), None)


def _shared_prefix(one: str, other: str) -> int:
    """How many characters two strings share from their start."""
    n = min(len(one), len(other))
    return next((i for i in range(n) if one[i] != other[i]), n)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


def _mode_of(body: dict[str, Any]) -> str:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return "json_schema"
    if fmt.get("type") == "json_object":
        return "json_object_schema" if "schema" in fmt else "json_object"
    return "text"


def _schema_of(body: dict[str, Any], schema_member: bool = False) -> dict[str, Any] | None:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        schema = fmt.get("json_schema", {}).get("schema")
        return schema if isinstance(schema, dict) else None
    if schema_member and fmt.get("type") == "json_object" and isinstance(fmt.get("schema"), dict):
        return dict(fmt["schema"])
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
    title = match.group(1) if match else "the day"
    if fake.escalate is not None and match and fake.escalate(title):
        return {"title": title, "importance": "high"}
    return {"title": title, "importance": fake.importance or record.depth or "medium"}


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


def _invent_into(value: Any, sentence: str) -> Any:
    if isinstance(value, str) and value:
        return f"{value} {sentence}"
    if isinstance(value, list):
        return [_invent_into(v, sentence) for v in value]
    if isinstance(value, dict):
        return {
            k: v if k in ("change_types", "importance") else _invent_into(v, sentence)
            for k, v in value.items()
        }
    return value


class _Server(LocalServer):
    daemon_threads = True
    # A real server's backlog: socketserver's 5 drops the connections of a burst, and the client's
    # TCP stack tries again a second later (a pause no real server adds).
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # a client that gave up (timeout) closes its socket mid-answer: expected here


class _Handler(BaseHTTPRequestHandler):
    owner: FakeLLM
    protocol_version = "HTTP/1.1"
    timeout = 30
    # Buffered: an answer's headers go out with its body (or first event) in one write, as a real server
    # sends them. Written apart, Nagle's algorithm holds the body until the client's delayed ACK of the
    # headers comes (40 ms an answer on Linux), a pause no real server adds. Streams and drips still
    # flush every event and byte.
    wbufsize = -1

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        fake = self.owner
        path = self.path.split("?", 1)[0].rstrip("/")
        with fake._lock:
            fake.gets.append(path)
        if fake.hang_all:
            fake._stop.wait(60)
            return
        if fake.batch_api is not None and fake.batch_api.serves(path):
            self._raw(*fake.batch_api.handle("GET", self.path, self.headers, b""))
            return
        if path == "/v1/models":
            entry: dict[str, Any] = {"id": fake.model, "object": "model", "owned_by": fake.owned_by}
            if fake.max_model_len is not None:
                entry["max_model_len"] = fake.max_model_len
            self._send(200, {}, {"object": "list", "data": [entry]}, faults=fake.faults_on_gets)
        elif path == "/props" and (fake.n_ctx is not None or (fake.slots is not None and fake.state_slots)):
            props: dict[str, Any] = {"total_slots": fake.slots or 1}
            if fake.n_ctx is not None:
                props["default_generation_settings"] = {"n_ctx": fake.n_ctx}
            self._send(200, {}, props, faults=fake.faults_on_gets)
        else:
            self._send(404, {}, _error("not found", "not_found"), faults=fake.faults_on_gets)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.owner.hang_all:
            with self.owner._lock:
                self.owner.requests.append(Recorded(body={}, authorization="", status=599))
            self.owner._stop.wait(60)
            return
        api = self.owner.batch_api
        if api is not None and api.serves(self.path.split("?", 1)[0].rstrip("/")):
            self._raw(*api.handle("POST", self.path.split("?", 1)[0].rstrip("/"), self.headers, raw))
            return
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, {}, _error("not found", "not_found"))
            return
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            self._send(400, {}, _error("invalid JSON body", "invalid_json"))
            return
        fake = self.owner
        status = 429  # until answered: no slot is held
        try:
            status, headers, answer = fake._handle(body, self.headers.get("Authorization", ""))
            if status == 200 and body.get("stream") and not fake.ignore_stream:
                self._stream(answer, body)
            else:
                self._send(status, headers, answer)
        finally:
            if fake._slots is not None and status != 429:
                fake._slots.release()

    def _stream(self, answer: dict[str, Any], body: dict[str, Any]) -> None:
        """The answer as server-sent events, a token (three characters) per chunk; the usage last when
        the request asked for it (``stream_options.include_usage``)."""
        fake = self.owner
        choice = answer["choices"][0]
        content = choice["message"]["content"]
        base = {"id": answer["id"], "object": "chat.completion.chunk", "created": answer["created"],
                "model": answer["model"]}  # fmt: skip
        record = fake.requests[-1]
        for r in reversed(fake.requests):
            if r.body is body:
                record = r
                break
        sent = 0

        def event(payload: dict[str, Any]) -> None:
            self.wfile.write(b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n")
            self.wfile.flush()

        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self.close_connection = True
            if fake.die_mid_body or fake.drip is not None:  # the faults of _send, on the stream's bytes
                tokens = [content[i : i + 3] for i in range(0, len(content), 3)]
                events = [{**base, "choices": [{"index": 0, "delta": {"content": t}, "finish_reason": None}]}
                          for t in tokens]  # fmt: skip
                data = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
                if fake.die_mid_body:
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    return
                for i in range(len(data)):
                    if fake._stop.wait(fake.drip or 0):
                        break
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                return
            began = time.monotonic()
            while time.monotonic() - began < fake.keep_alive:  # held under load: keep-alive lines only
                self.wfile.write(b": keep-alive\n\n" if sent % 2 else b"\n")
                self.wfile.flush()
                sent += 1
                if fake._stop.wait(0.05):
                    return
            sent = 0
            reasoning = choice["message"].get("reasoning_content", "")
            for start in range(0, len(reasoning), 12):
                delta = {"reasoning_content": reasoning[start : start + 12]}
                event({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
            with fake._lock:
                ends_early = (
                    fake.end_early_after is not None and fake.end_early_times > 0 and not record.is_probe
                )
                fake.end_early_times -= ends_early
            # Tokens are due on a fixed schedule from the first (a server generates at its own pace): a
            # late wake-up on a loaded machine delays one token, not every token after it.
            first_at = 0.0
            for start in range(0, len(content), 3):
                if sent and fake.token_delay:
                    due = first_at + sent * fake.token_delay
                    if fake._stop.wait(max(0.0, due - time.monotonic())):
                        break
                elif not sent:
                    first_at = time.monotonic()
                delta = {"content": content[start : start + 3]}
                if not sent:
                    delta["role"] = "assistant"
                timed = {}
                if fake.timings and body.get("timings_per_token"):
                    timed = {"timings": {"prompt_n": record.prompt_tokens - record.cached_tokens,
                                         "cache_n": record.cached_tokens, "predicted_n": sent + 1}}  # fmt: skip
                event({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}], **timed})
                sent += 1
                if ends_early and sent >= (fake.end_early_after or 0):
                    return  # over: the connection closes without a finish reason
            event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]})
            if fake.stream_usage and (body.get("stream_options") or {}).get("include_usage"):
                event({**base, "choices": [], "usage": answer["usage"]})
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with fake._lock:
                fake.streamed.append((sent, record.loop_from if record.loop_from is not None else -1))
            record.ended = time.monotonic()

    def _raw(self, status: int, content_type: str, data: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send(
        self, status: int, headers: dict[str, str], answer: dict[str, Any], faults: bool = True
    ) -> None:
        data = json.dumps(answer, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            fake = self.owner
            if fake.die_mid_body and faults:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if fake.drip is not None and faults:
                for i in range(len(data)):
                    if fake._stop.wait(fake.drip):
                        break
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                return
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
