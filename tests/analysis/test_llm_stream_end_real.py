"""Issue 64 item 8 against the real llama-cpp-python server (SmolLM2, tests/llama_server.py): the server ends a
running stream as soon as another request waits for the model (its ``interrupt_requests``, on by default) —
``[DONE]`` without a finish reason. That is a partial answer from an endpoint that answered, said so and
taken down the "cut off" path, never "endpoint unreachable" (tests/test_llm_stream_end.py has the analyser's
side with the fake).

Deterministic: the second request goes once the server has taken the first (its access line is in the log)
and the first asks for far more tokens than the model writes before that (300, at tens of tokens a second),
greedily (temperature 0): the server is seeded but shared by the worker's files, so a sampled answer depends on
what they asked before it, and one in a while ended on its own before the second request came.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from dailydiff.analysis.client import ChatClient, LLMCallError, Reply
from dailydiff.analysis.endpoint import describe
from dailydiff.settings import load_settings
from llama_server import MODEL

pytestmark = pytest.mark.llm_server

LONG = [{"role": "user", "content": "Count from 1 to 300, one number per line, and nothing else."}]
SHORT = [{"role": "user", "content": "Say ok."}]


def taken(log: Path, before: int, timeout: float = 120.0) -> bool:
    """The server has answered a new POST's status line (its stream is under way) since ``before`` lines."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.read_text(errors="replace").count('"POST /v1/chat/completions') > before:
            return True
        time.sleep(0.05)
    return False


def test_a_stream_the_real_server_ends_for_the_next_request_is_a_partial_answer_not_an_outage(
    real_server: tuple[str, Path], tmp_path: Path
) -> None:
    base_url, log = real_server
    settings = load_settings(
        environ={"DAILYDIFF_LLM_MODEL": MODEL, "DAILYDIFF_LLM_BASE_URL": base_url},
        overrides={"data_dir": str(tmp_path)},
        cwd=tmp_path,
    )
    before = log.read_text(errors="replace").count('"POST /v1/chat/completions')

    async def scenario() -> tuple[BaseException | Reply, Reply]:
        async with ChatClient(settings.llm, "") as client:
            first = asyncio.ensure_future(client.complete(LONG, None, 300, temperature=0.0))
            assert await asyncio.to_thread(taken, log, before), "the server never took the first request"
            await asyncio.sleep(0.5)  # (the first under way at the model: its prompt, then its tokens)
            second = await client.complete(SHORT, None, 8)
            (ended,) = await asyncio.gather(first, return_exceptions=True)
            return ended, second

    ended, second = asyncio.run(scenario())
    assert isinstance(ended, LLMCallError), ended
    assert ended.kind == "interrupted", (ended.kind, str(ended))
    assert str(ended).startswith("the endpoint answered, but its stream ended after"), str(ended)
    said = describe(ended)  # what a commit's failure and the run summary say
    assert "cut off" in said and "unreachable" not in said and "broke off" not in said, said
    assert second.finish_reason in ("stop", "length") and second.text  # the next request is answered
