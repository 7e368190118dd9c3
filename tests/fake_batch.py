"""A fake OpenAI-compatible Batch API on a FakeLLM's server (real HTTP on 127.0.0.1): ``POST /v1/files``
(multipart, as the SDK uploads), ``POST /v1/batches``, ``GET /v1/batches/{id}``, ``POST
/v1/batches/{id}/cancel`` and ``GET /v1/files/{id}/content``. Each line of a batch is answered by the
FakeLLM itself (its knobs apply), once the batch has run ``delay`` seconds; its requests are recorded with
``batch`` set to the batch's id. ``GET /v1/batches`` lists them, newest first, paginated as OpenAI does
(``limit``, ``after``, ``has_more``).

    with FakeLLM() as fake:
        api = BatchAPI.on(fake)
        api.delay = 0.5
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from fake_llm import FakeLLM

_PATHS = re.compile(r"^/v1/(files|batches)(/[^/]+)?(/content|/cancel)?$")


@dataclass
class BatchAPI:
    fake: FakeLLM
    # -- knobs ----------------------------------------------------------------------------------------
    delay: float = 0.0  # seconds from a batch's creation to its end
    never: bool = False  # a batch never ends by itself (in_progress until cancelled)
    expire_every: int = 0  # every Nth line is left unanswered: the batch ends "expired", those in the errors
    error_every: int = 0  # every Nth line is an error line (its request refused), in the error file
    # The answer to a batch's creation waits for this (the batch exists meanwhile): a client killed while it
    # waits made a batch it never heard of.
    hold_create: threading.Event | None = None
    # -- records --------------------------------------------------------------------------------------
    files: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)  # batch ids, in order
    cancelled: list[str] = field(default_factory=list)
    polls: int = 0
    listed: int = 0  # pages of the batch list asked for

    @classmethod
    def on(cls, fake: FakeLLM) -> BatchAPI:
        api = cls(fake)
        fake.batch_api = api
        return api

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._started: dict[str, float] = {}

    def serves(self, path: str) -> bool:
        return _PATHS.match(path) is not None

    def lines_of(self, batch_id: str) -> list[dict[str, Any]]:
        batch = self.batches[batch_id]
        return [json.loads(line) for line in self.files[batch["input_file_id"]].decode().splitlines() if line]

    # the endpoints ----------------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Any, raw: bytes) -> tuple[int, str, bytes]:
        """(status, content type, body) of one request."""
        path, _, query = path.partition("?")
        kind, ident, action = _PATHS.match(path.rstrip("/")).groups()  # type: ignore[union-attr]
        ident = (ident or "").lstrip("/")
        if kind == "batches" and method == "POST" and not ident:
            with self._lock:
                created = self._create(json.loads(raw))
            if self.hold_create is not None:
                self.hold_create.wait(60)
            return self._json(200, created)
        with self._lock:
            if kind == "files" and method == "POST" and not ident:
                return self._json(200, self._upload(headers, raw))
            if kind == "files" and method == "GET" and action == "/content" and ident in self.files:
                return 200, "application/octet-stream", self.files[ident]
            if kind == "batches" and method == "GET" and not ident:
                return self._json(200, self._list(dict(parse_qsl(query))))
            if kind == "batches" and ident in self.batches:
                if method == "POST" and action == "/cancel":
                    self.cancelled.append(ident)
                    if self.batches[ident]["status"] not in ("completed", "expired", "failed"):
                        self.batches[ident]["status"] = "cancelled"
                    return self._json(200, self.batches[ident])
                if method == "GET" and not action:
                    self.polls += 1
                    return self._json(200, self._advance(ident))
        return self._json(404, {"error": {"message": f"no such {kind}", "type": "invalid_request_error"}})

    def _json(self, status: int, body: dict[str, Any]) -> tuple[int, str, bytes]:
        return status, "application/json", json.dumps(body).encode()

    def _list(self, query: dict[str, str]) -> dict[str, Any]:
        newest = list(reversed(self.created))
        start = newest.index(query["after"]) + 1 if query.get("after") in newest else 0
        page = newest[start : start + int(query.get("limit", 20))]
        self.listed += 1
        return {"object": "list", "data": [self.batches[b] for b in page], "first_id": page[0] if page else None,
                "last_id": page[-1] if page else None, "has_more": start + len(page) < len(newest)}  # fmt: skip

    def _upload(self, headers: Any, raw: bytes) -> dict[str, Any]:
        boundary = re.search(r"boundary=([^;]+)", headers.get("Content-Type", "")).group(1).strip('"')  # type: ignore[union-attr]
        data = b""
        purpose = ""
        for part in raw.split(b"--" + boundary.encode()):
            head, _, content = part.partition(b"\r\n\r\n")
            content = content.removesuffix(b"\r\n")
            if b'name="file"' in head:
                data = content
            elif b'name="purpose"' in head:
                purpose = content.decode()
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = data
        return {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                "filename": "input.jsonl", "purpose": purpose, "status": "processed"}  # fmt: skip

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        batch_id = f"batch-{len(self.batches) + 1}"
        self.batches[batch_id] = {
            "id": batch_id, "object": "batch", "endpoint": body["endpoint"], "input_file_id": body["input_file_id"],
            "completion_window": body["completion_window"], "status": "in_progress", "created_at": int(time.time()),
            "output_file_id": None, "error_file_id": None, "request_counts": {"total": 0, "completed": 0, "failed": 0},
        }  # fmt: skip
        self.created.append(batch_id)
        self._started[batch_id] = time.monotonic()
        return self.batches[batch_id]

    def _advance(self, batch_id: str) -> dict[str, Any]:
        batch = self.batches[batch_id]
        if batch["status"] != "in_progress" or self.never:
            return batch
        if time.monotonic() - self._started[batch_id] < self.delay:
            return batch
        outputs, errors = [], []
        for number, line in enumerate(self.lines_of(batch_id), 1):
            key = line["custom_id"]
            if self.expire_every and number % self.expire_every == 0:
                errors.append({"id": f"req-{number}", "custom_id": key, "response": None,
                               "error": {"code": "batch_expired", "message": "not run within the window"}})  # fmt: skip
                continue
            if self.error_every and number % self.error_every == 0:
                errors.append({"id": f"req-{number}", "custom_id": key, "response": {"status_code": 500,
                               "request_id": f"req-{number}", "body": {"error": {"message": "server error"}}},
                               "error": None})  # fmt: skip
                continue
            status, _, answer = self.fake.answer_line(line["body"], batch_id)
            outputs.append({"id": f"req-{number}", "custom_id": key, "error": None,
                            "response": {"status_code": status, "request_id": f"req-{number}", "body": answer}})  # fmt: skip
        expired = any(e["error"] and e["error"]["code"] == "batch_expired" for e in errors)
        for name, lines in (("output_file_id", outputs), ("error_file_id", errors)):
            if lines:
                file_id = f"file-{len(self.files) + 1}"
                self.files[file_id] = "".join(json.dumps(x) + "\n" for x in lines).encode()
                batch[name] = file_id
        batch["status"] = "expired" if expired else "completed"
        batch["request_counts"] = {"total": len(outputs) + len(errors), "completed": len(outputs),
                                   "failed": len(errors)}  # fmt: skip
        return batch
