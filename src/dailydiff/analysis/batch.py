"""Batch mode (``[llm] batch = true``): a run's first analyses through the endpoint's OpenAI-compatible Batch
API (the ``openai`` SDK's ``files`` and ``batches``), at the price a night that can wait pays (half, at
DashScope and OpenAI).

The commits the run asks about (those without a stored analysis) are gathered for a moment, written as one
JSONL of chat-completion requests — each line keyed by ``custom_id``, the commit and the fingerprint its
analysis is cached by — uploaded, and sent as one batch; its row is kept in the store until its answers are
read, so a run stopped meanwhile picks it up next time instead of sending it again. The row is written before
the batch is created, keyed by the uploaded file (``upload:<file id>``) and named once the provider answers:
a run killed between the two finds the batch through the provider's list (by its input file), and one
killed before the creation sends the commits again. A batch no run asks for again is cancelled and
forgotten once its completion window has passed. The batch is polled
until it is done or ``[llm] batch_deadline``; each answer then goes through the session's own answer
handling (parsed, re-asked once when unparsed, its claims traced, its provenance kept), and what it did not
answer by then (a line that errored or expired, a batch still running, an endpoint without a Batch API) is
asked synchronously by the usual path, so the night is delivered on time. Escalations and the overview are
asked after it, synchronously, by the usual path too.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo

from dailydiff.analysis.base import AnalysisRequest
from dailydiff.analysis.llm_session import LLMSession
from dailydiff.analysis.prompting import Prompt
from dailydiff.common.secrets import scrub
from dailydiff.models import Analysis
from dailydiff.settings import Settings
from dailydiff.settings.whole import deadline_form
from dailydiff.store import Store

log = logging.getLogger("dailydiff.llm")

GATHER = 1.0  # seconds with no new commit before the gathered ones go (a run lists its commits in a burst)
FIRST_POLL, LAST_POLL = 0.2, 60.0  # seconds between two looks at the batch: doubling from the first
ENDED = frozenset({"completed", "failed", "expired", "cancelled"})
CHAT: Final = "/v1/chat/completions"
WINDOW = dt.timedelta(hours=24)  # the completion window asked for: by then the provider has ended the batch
CLOCKS_APART = dt.timedelta(hours=1)  # ours and the provider's, at most, when its list is read back in time
UPLOADED = "upload:"  # a row's id until the provider has named its batch: this and the input file's id
# A clock deadline that passed less than this long ago has passed (a run after it asks synchronously at
# once); one further back is the next day's (a run at 23:00 with "06:30" waits until the morning).
PASSED = dt.timedelta(hours=6)


def batch_deadline(setting: str, timezone: str, now: dt.datetime) -> dt.datetime:
    """``[llm] batch_deadline`` as a moment: seconds from ``now``, or the time of day in ``timezone``."""
    kind, amount = deadline_form(setting) or ("seconds", 0.0)
    if kind == "seconds":
        return now + dt.timedelta(seconds=amount)
    local = now.astimezone(ZoneInfo(timezone))
    at = local.replace(hour=int(amount) // 60, minute=int(amount) % 60, second=0, microsecond=0)
    return at if at > local - PASSED else at + dt.timedelta(days=1)


def custom_id(request: AnalysisRequest, fingerprint: str) -> str:
    """A batch line's key: the commit and the fingerprint its analysis is stored under."""
    return f"{request.commit.repo}@{request.commit.sha}#{fingerprint}"


@dataclass
class _Line:
    request: AnalysisRequest
    language: str
    prompt: Prompt
    body: dict[str, Any]
    answer: asyncio.Future[Any]  # the line's response body; None: ask synchronously
    # Its answer has been read (parsed, traced, re-asked where needed) and handed on to be stored: only then
    # is the batch forgotten, so a run stopped before that picks the batch up again.
    read: asyncio.Event = field(default_factory=asyncio.Event)


class Batcher:
    """One per analyser and run: ``analyse(request, language)`` is the analysis from the batch, or None
    (asked synchronously by the caller)."""

    def __init__(self, session: LLMSession, store: Store, settings: Settings,
                 call: Callable[..., Awaitable[Any]]) -> None:  # fmt: skip
        self.session = session
        self.store = store
        self.call = call
        self.endpoint = session.analyzer.endpoint
        self.model = settings.llm.model
        self.deadline_setting = settings.llm.batch_deadline
        self.timezone = settings.report.timezone
        self.deadline: dt.datetime | None = None  # set when the run's first batch goes
        self._gathered: dict[str, _Line] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def analyse(self, request: AnalysisRequest, language: str) -> Analysis | None:
        line = await self.session.batch_line(request, language)
        if line is None:
            return None
        prompt, body = line
        key = custom_id(request, self.session.analyzer.fingerprint(request.depth, language))
        loop = asyncio.get_running_loop()
        pending = _Line(request, language, prompt, body, loop.create_future())
        self._gathered[key] = pending
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_later(GATHER, self._send_gathered)
        try:
            completion = await pending.answer
            if completion is None:
                return None
            return await self.session.batch_answered(request, language, prompt, completion)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # an answer shape not foreseen
            log.info("%s %s: the batch's answer could not be read (%s); asked synchronously",
                     request.commit.repo, request.commit.sha[:12], exc)  # fmt: skip
            return None
        finally:
            pending.read.set()

    def _send_gathered(self) -> None:
        lines, self._gathered, self._timer = self._gathered, {}, None
        task = asyncio.create_task(self._send(lines))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, lines: dict[str, _Line]) -> None:
        try:
            await self._batched(lines)
        except Exception as exc:  # no Batch API there (SGLang removed its), a refused upload: the usual path
            log.warning("%s: batch mode failed (%s); the %d commits are asked synchronously", self.endpoint,
                        scrub(str(exc))[:300], len(lines))  # fmt: skip
        finally:
            for line in lines.values():
                if not line.answer.done():
                    line.answer.set_result(None)

    async def _batched(self, lines: dict[str, _Line]) -> None:
        sdk = await self.session.client.openai()
        if self.deadline is None:
            self.deadline = batch_deadline(self.deadline_setting, self.timezone, dt.datetime.now(dt.UTC))
        waits = await self._left_open(sdk, lines)
        taken = {key for keys in waits.values() for key in keys}
        new = [key for key in lines if key not in taken]
        if new:
            data = "".join(
                json.dumps({"custom_id": key, "method": "POST", "url": CHAT, "body": lines[key].body}) + "\n"
                for key in new
            ).encode()
            uploaded = await sdk.files.create(file=("dailydiff-batch.jsonl", data), purpose="batch")
            placeholder = UPLOADED + uploaded.id
            await self.call(self.store.save_llm_batch, placeholder, self.endpoint, self.model, new)
            batch = await sdk.batches.create(
                input_file_id=uploaded.id, endpoint=CHAT, completion_window="24h"
            )
            await self.call(self.store.save_llm_batch, batch.id, self.endpoint, self.model, new, placeholder)
            waits[batch.id] = new
            log.info("%s: batch %s sent (%d commits); waited for until %s", self.endpoint, batch.id, len(new),
                     self.deadline.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d %H:%M %Z"))  # fmt: skip
        await asyncio.gather(*(self._collect(sdk, batch_id, keys, lines) for batch_id, keys in waits.items()))

    async def _left_open(self, sdk: Any, lines: dict[str, _Line]) -> dict[str, list[str]]:
        """The batches earlier runs left open that hold some of ``lines``: id -> those lines' keys (picked up,
        not sent again). A row whose batch the provider never made is forgotten (its lines are sent again);
        one that no run asked for within the completion window is cancelled and forgotten."""
        waits: dict[str, list[str]] = {}
        opened = await self.call(self.store.open_llm_batches, self.endpoint, self.model)
        now = dt.datetime.now(dt.UTC)
        for row_id, row in opened.items():
            batch_id: str | None = row_id
            if row_id.startswith(UPLOADED):  # stopped between the batch's creation and its name: ask the list
                batch_id = await _made_from(sdk, row_id.removeprefix(UPLOADED), row.created_at - CLOCKS_APART)
                if batch_id is not None:
                    await self.call(self.store.save_llm_batch, batch_id, self.endpoint, self.model,
                                    row.custom_ids, row_id)  # fmt: skip
            mine = [key for key in row.custom_ids if key in lines]
            if batch_id is not None and mine:
                waits[batch_id] = mine
                log.info("%s: batch %s, left open by an earlier run, picked up (%d of its %d requests)",
                         self.endpoint, batch_id, len(mine), len(row.custom_ids))  # fmt: skip
            elif (batch_id is None and mine) or now - row.created_at > WINDOW:
                if batch_id is not None:
                    with contextlib.suppress(Exception):  # (ended by now, as a rule)
                        await sdk.batches.cancel(batch_id)
                await self.call(self.store.close_llm_batch, batch_id or row_id)
                log.info("%s: batch %s, left open since %s, forgotten (%s)", self.endpoint, batch_id or row_id,
                         row.created_at.isoformat(timespec="minutes"),
                         "never made: its commits are sent again" if batch_id is None else "no run asked for it")  # fmt: skip
        return waits

    async def _collect(self, sdk: Any, batch_id: str, keys: list[str], lines: dict[str, _Line]) -> None:
        """The batch's answers handed to the commits waiting for them, once it has ended; at the deadline it
        is cancelled and they are asked synchronously."""
        assert self.deadline is not None
        wait = FIRST_POLL
        while True:
            batch = await sdk.batches.retrieve(batch_id)
            if batch.status in ENDED:
                break
            left = (self.deadline - dt.datetime.now(dt.UTC)).total_seconds()
            if left <= 0:
                log.warning("%s: batch %s is still %s at batch_deadline; its %d commits are asked synchronously",
                            self.endpoint, batch_id, batch.status, len(keys))  # fmt: skip
                with contextlib.suppress(Exception):  # it is given up either way
                    await sdk.batches.cancel(batch_id)
                await self.call(self.store.close_llm_batch, batch_id)
                _hand(lines, keys, {})
                return
            await asyncio.sleep(min(wait, left))
            wait = min(wait * 2, LAST_POLL)
        answers = await _answers(sdk, batch.output_file_id)
        given = _hand(lines, keys, answers)
        (log.info if len(given) == len(keys) else log.warning)(
            "%s: batch %s %s: %d of %d commits answered%s", self.endpoint, batch_id, batch.status, len(given),
            len(keys), "" if len(given) == len(keys) else "; the rest are asked synchronously",
        )  # fmt: skip
        await asyncio.gather(*(line.read.wait() for line in given))
        await self.call(self.store.close_llm_batch, batch_id)


async def _made_from(sdk: Any, file_id: str, since: dt.datetime) -> str | None:
    """The id of the batch the provider made from input file ``file_id``, from its list of batches (newest
    first, read back to ``since``); None: it made none."""
    async for batch in sdk.batches.list(limit=100):
        if batch.input_file_id == file_id:
            return str(batch.id)
        if batch.created_at < since.timestamp():
            break
    return None


def _hand(lines: dict[str, _Line], keys: list[str], answers: dict[str, Any]) -> list[_Line]:
    """Each waiting commit of ``keys`` gets its answer, or None (asked synchronously now); those answered."""
    given = []
    for key in keys:
        line = lines.get(key)
        if line is None or line.answer.done():
            continue
        line.answer.set_result(answers.get(key))
        if key in answers:
            given.append(line)
    return given


async def _answers(sdk: Any, file_id: str | None) -> dict[str, Any]:
    """The output file's good answers: custom id -> chat completion (an error line, or one with a status
    other than 200, is no answer: its commit is asked synchronously)."""
    if not file_id:
        return {}
    content = await sdk.files.content(file_id)
    found: dict[str, Any] = {}
    for text in content.text.splitlines():
        try:
            line = json.loads(text)
        except ValueError:
            continue
        response = line.get("response") if isinstance(line, dict) else None
        if isinstance(response, dict) and response.get("status_code") == 200 and not line.get("error"):
            found[str(line.get("custom_id"))] = response.get("body")
    return found
