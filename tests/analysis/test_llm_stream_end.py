"""Issue 64 item 8: a streamed answer that ends before a finish reason is a partial answer from an endpoint
that answered — said so, and taken down the "cut off" path (asked again with the largest allowance, then
shallower) — never "endpoint unreachable", and never counted against the endpoint (its breaker)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dailydiff.analysis.llm_call import MAX_REQUESTS_PER_COMMIT
from fake_llm import FakeLLM
from llm_fixtures import make_repo, run_day, settings_for

COMMITS = 5


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("stream-end") / "repo")


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def test_a_stream_that_ends_early_once_is_asked_again_and_the_commit_is_analysed(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.end_early_after, fake.end_early_times = 4, 1  # the first analysis stream ends after 4 tokens
    settings = settings_for(fake, tmp_path, backoff=0.01, response_mode="json_schema", concurrency=1)
    outcome, _ = run_day(repo, settings)
    report = outcome.reports[0]
    assert (report.stats.failed, report.stats.fallback, report.run.analysed) == (0, 0, COMMITS)
    assert report.run.failures == []
    ended = [r for r in fake.analysis_requests() if r.body.get("stream")]
    # One commit was asked twice (the partial answer, then again with a larger allowance), the others once.
    assert len(ended) == COMMITS + 1
    counts = sorted(fake.per_commit().values())
    assert counts == [1] * (COMMITS - 1) + [2], counts
    again = max(fake.per_commit(), key=lambda title: fake.per_commit()[title])
    asked = [r.body["max_tokens"] for r in fake.analysis_requests() if fake.title_of(r) == again]
    assert asked[1] > asked[0], asked  # the cut-off path: the largest allowance the second time


def test_streams_that_always_end_early_say_so_and_leave_the_endpoint_in_use(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.end_early_after = 4  # every stream ends after 4 tokens
    settings = settings_for(fake, tmp_path, backoff=0.01, response_mode="json_schema", concurrency=1)
    outcome, _ = run_day(repo, settings)
    report = outcome.reports[0]
    assert report.stats.fallback == COMMITS
    said = " | ".join(report.run.failures)
    assert "its stream ended after 4 token(s) without a finish reason" in said, said
    assert "unreachable" not in said and "left alone" not in said, said
    # Every commit was asked (the breaker never opened), each within its cap of requests.
    per_commit = fake.per_commit()
    assert len(per_commit) == COMMITS and max(per_commit.values()) <= MAX_REQUESTS_PER_COMMIT, per_commit
    assert all(n >= 2 for n in per_commit.values()), per_commit  # asked again: the cut-off path
    for commit in report.commits:
        assert commit.analysis is not None and commit.analysis.error is not None
        assert "stream ended" in commit.analysis.error and "unreachable" not in commit.analysis.error


def test_a_stream_that_breaks_after_its_status_line_before_any_token_is_a_partial_answer(
    tmp_path: Path,
) -> None:
    """The endpoint sent ``200`` and its event-stream headers, then the connection broke (a chunked body
    cut off before its first event): it answered, so this is the "cut off" path's partial answer
    (``interrupted``), not "cannot reach the endpoint" (a failure before the status line)."""
    import asyncio
    import socket
    import threading

    from dailydiff.analysis.client import ChatClient, LLMCallError
    from dailydiff.settings import load_settings

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    posts: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                head = conn.recv(65536)
                if head.startswith(b"POST"):
                    posts.append(head)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                 b"Transfer-Encoding: chunked\r\n\r\n5\r\nda")  # fmt: skip
                else:  # GET /models: one model
                    body = b'{"object": "list", "data": [{"id": "m", "object": "model"}]}'
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))  # fmt: skip

    threading.Thread(target=serve, daemon=True).start()
    environ = {"DAILYDIFF_LLM_MODEL": "m", "DAILYDIFF_LLM_BASE_URL": f"http://127.0.0.1:{port}/v1"}
    settings = load_settings(environ=environ, cwd=tmp_path).llm

    async def ask() -> LLMCallError:
        async with ChatClient(settings, "") as client:
            try:
                await client.complete([{"role": "user", "content": "hi"}], None, 64)
            except LLMCallError as exc:
                return exc
        raise AssertionError("a broken stream was taken as an answer")

    try:
        error = asyncio.run(ask())
    finally:
        listener.close()
    assert posts, "the request never reached the server"
    assert error.kind == "interrupted", (error.kind, str(error))
    assert str(error).startswith("the endpoint answered, but its stream ended after 0 token(s)"), str(error)
    assert "cannot reach" not in str(error)
