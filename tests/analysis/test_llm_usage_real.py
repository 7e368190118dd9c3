"""Token counts as the real llama.cpp servers count them (SmolLM2, tests/llama_server.py), through their
provider profiles (``[llm] provider``, analysis/providers.py).

llama-cpp-python's server (0.3.x) sends no ``usage`` in a streamed answer, ``stream_options`` or not; its whole
answers carry it: with ``provider = "llama-cpp-python"`` its requests go unstreamed and a reply's tokens are
the server's own. llama.cpp's llama-server sends its usage in a stream's last event only, so an answer stopped
part-way (a loop) had no prompt count: with ``provider = "llama.cpp"`` every event carries its timings, and
the stopped answer still has the server's count (the profile is found from its GET /models). Each server's own figure, the oracle, is a plain unstreamed
POST of the same messages (greedy: temperature 0).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from dailydiff.analysis.client import ChatClient, LLMCallError, Reply
from dailydiff.analysis.providers import provider_shown
from llama_server import MODEL, SEED, native_server
from test_llm_real_server import newcomer

pytestmark = pytest.mark.llm_server

COUNT = [{"role": "user", "content": "Count from 1 to 50, one number per line, and nothing else."}]
# An answer SmolLM2 falls into a loop on at temperature 0 (the client stops it: repetition.py).
LOOPING = [{"role": "user", "content": "List the word banana 100 times, one per line."}]


@pytest.fixture(scope="module")
def native(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with native_server(tmp_path_factory.mktemp("native"), seed=SEED) as base_url:
        yield base_url


def whole_usage(base_url: str, messages: list[dict[str, str]], max_tokens: int) -> dict[str, Any]:
    """The server's own count: an unstreamed POST's usage."""
    body = {"model": MODEL, "messages": messages, "max_tokens": max_tokens, "temperature": 0.0}
    answer = httpx2.post(base_url + "/chat/completions", json=body, timeout=300).json()
    return answer["usage"]


def complete(
    base_url: str, tmp_path: Path, provider: str, messages: list[dict[str, str]], tokens: int
) -> Any:
    """One request through the client with ``provider``: its Reply, or the LLMCallError it raised."""
    settings = newcomer(base_url, tmp_path, provider=provider)

    async def one() -> Reply | BaseException:
        async with ChatClient(settings.llm, "") as client:
            (outcome,) = await asyncio.gather(
                client.complete(messages, None, tokens, temperature=0.0), return_exceptions=True
            )
            return outcome

    return asyncio.run(one())


def test_llama_cpp_python_streams_no_usage_and_its_profile_counts_the_servers_tokens(
    real_server: tuple[str, Path], tmp_path: Path
) -> None:
    base_url, _ = real_server
    body = {"model": MODEL, "messages": COUNT, "max_tokens": 5, "temperature": 0.0, "stream": True,
            "stream_options": {"include_usage": True}}  # fmt: skip
    events = [
        json.loads(line[5:])
        for line in httpx2.post(base_url + "/chat/completions", json=body, timeout=300).text.splitlines()
        if line.startswith("data:") and line[5:].strip() != "[DONE]"
    ]
    assert events and not any(e.get("usage") for e in events)  # the quirk: asked for, no usage streamed
    # Its GET /models names no owner of ours ("me"): the profile is the user's to set.
    assert provider_shown(httpx2.get(base_url + "/models", timeout=30).json()) is None
    own = whole_usage(base_url, COUNT, 5)
    reply = complete(base_url, tmp_path, "llama-cpp-python", COUNT, 5)
    assert isinstance(reply, Reply), reply
    assert (reply.prompt_tokens, reply.completion_tokens) == (own["prompt_tokens"], own["completion_tokens"])
    assert reply.prompt_tokens > 20 and reply.finish_reason == "length"


def test_llama_server_counts_the_prompt_of_an_answer_stopped_in_a_loop(native: str, tmp_path: Path) -> None:
    # Its GET /models says "llamacpp": the profile is found without being set (provider = "auto").
    shown = provider_shown(httpx2.get(native + "/models", timeout=30).json())
    assert shown is not None and shown.name == "llama.cpp"
    own = whole_usage(native, LOOPING, 1)
    stopped = complete(native, tmp_path, "llama.cpp", LOOPING, 400)
    assert isinstance(stopped, LLMCallError) and stopped.kind == "loop", stopped
    assert stopped.prompt_tokens == own["prompt_tokens"] > 20
    # What its cache served of that prompt (the oracle's request had just evaluated it), and the tokens it
    # had written when the loop was stopped.
    assert stopped.cached_tokens is not None and 0 < stopped.cached_tokens <= stopped.prompt_tokens
    assert 0 < stopped.tokens < 400
