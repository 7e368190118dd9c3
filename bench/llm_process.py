"""The fake LLM endpoint (tests/fake_llm.py) in a process of its own, for the benchmarks of a fleet.

A hosted provider does not share an interpreter with anything else the benchmark serves. In the benchmark's
own process the fake endpoint shared one GIL with the fake GitHub, its git front and the webhook receiver:
at 200 repositories a model request waited 6-7 ms there before the fake even recorded its start, on top of
its latency L, and every such wait counted against us. Here the fake runs in a child process (multiprocessing,
spawned), and the benchmark reads its records at the end of a night through a pipe:

    with EndpointProcess(latency=0.5, concurrency_limit=16) as llm:
        llm.base_url, llm.model                   # as FakeLLM's
        llm.reset(); llm.requests; llm.rejected_429; llm.peak_active
        llm.asked()                                # (commit title, depth) of each answered analysis
        llm.cpu()                                  # the endpoint process's CPU seconds so far

Its clock is the benchmark's: ``time.monotonic`` reads the system's CLOCK_MONOTONIC in every process, so a
record's ``started`` and ``ended`` compare with the night's start taken here.
"""

from __future__ import annotations

import multiprocessing
import resource
from multiprocessing.connection import Connection
from typing import Any

from fake_llm import FakeLLM, Recorded


def _serve(conn: Connection, knobs: dict[str, Any]) -> None:
    """The child: a FakeLLM answering on 127.0.0.1, and the parent's questions on ``conn`` until 'stop'."""
    llm = FakeLLM(**knobs).start()
    conn.send((llm.base_url, llm.model))
    try:
        while True:
            name, args = conn.recv()
            if name == "stop":
                break
            if name == "cpu":
                usage = resource.getrusage(resource.RUSAGE_SELF)
                conn.send(usage.ru_utime + usage.ru_stime)
                continue
            if name == "asked":  # each answered analysis request's commit title and depth, read here
                conn.send([(llm.title_of(r), r.depth) for r in llm.analysis_requests() if r.status == 200])
                continue
            value = getattr(llm, name)
            conn.send(value(*args) if callable(value) else value)
    finally:
        llm.stop()
        conn.send(list(llm.invalid))


class EndpointProcess:
    """FakeLLM's knobs and the records a benchmark reads, served from a process of its own."""

    def __init__(self, **knobs: Any) -> None:
        context = multiprocessing.get_context("spawn")  # not fork: the parent runs server threads already
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, knobs), daemon=True, name="fake-llm")
        self.base_url = self.model = ""

    def __enter__(self) -> EndpointProcess:
        self._process.start()
        if not self._conn.poll(60):
            raise RuntimeError("the fake LLM's process did not start within 60 s")
        self.base_url, self.model = self._conn.recv()
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        invalid: list[str] = []
        if self._process.is_alive():
            self._conn.send(("stop", ()))
            if self._conn.poll(30):
                invalid = self._conn.recv()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
        # As FakeLLM's own exit: a request a real endpoint refuses as malformed fails the benchmark.
        assert kind is not None or not invalid, f"malformed chat-completions requests: {invalid}"

    def _ask(self, name: str, *args: Any) -> Any:
        self._conn.send((name, args))
        return self._conn.recv()

    def reset(self) -> None:
        self._ask("reset")

    @property
    def requests(self) -> list[Recorded]:
        return list(self._ask("requests"))

    @property
    def rejected_429(self) -> int:
        return int(self._ask("rejected_429"))

    @property
    def peak_active(self) -> int:
        return int(self._ask("peak_active"))

    def asked(self) -> list[tuple[str, str | None]]:
        """(commit title, depth) of each answered analysis request (FakeLLM's ``title_of``, in its process)."""
        return list(self._ask("asked"))

    def cpu(self) -> float:
        return float(self._ask("cpu"))
