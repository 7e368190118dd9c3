"""`dailydiff mcp`: the store as a Model Context Protocol server, driven by the official SDK's own stdio
client against the real command (a subprocess), as an assistant would: the tools listed, a search, a day's
report, a digest, the repositories; bad input is one line; a PostgreSQL store's password reaches no result
and no error."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from gitrepo import CommitSpec, FileEdit, build_repo
from opsfixtures import REPO_ROOT, dailydiff

UTC = dt.UTC
DAY1, DAY2 = dt.date(2026, 3, 2), dt.date(2026, 4, 14)
SPECS = [
    CommitSpec("feat(attention): add a paged KV cache for the decode backend",
               dt.datetime(2026, 3, 2, 9, tzinfo=UTC),
               edits=[FileEdit("flashinfer/attention/decode.py", "def decode():\n    return 1\n" * 30)]),
    CommitSpec("fix(sampling): guard top-p search against NaN logits", dt.datetime(2026, 3, 2, 11, tzinfo=UTC),
               edits=[FileEdit("flashinfer/sampling.py", "def top_p():\n    return 2\n" * 20)]),
    CommitSpec("修复注意力后端在长序列下的越界访问", dt.datetime(2026, 4, 14, 8, tzinfo=UTC),
               edits=[FileEdit("flashinfer/attention/prefill.py", "def prefill():\n    return 4\n" * 25)]),
]  # fmt: skip
TOOLS = {"search", "ask", "report", "digest", "repositories", "list_changes", "get_commit"}


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Path, list[str]]:
    repo = tmp_path / "flashinfer"
    shas = build_repo(repo, SPECS)
    data = tmp_path / "data"
    for day in (DAY1, DAY2):
        dailydiff("report", str(repo), "--date", day.isoformat(), "--tz", "UTC", "--lang", "en",
                  "--name", "flashinfer-ai/flashinfer", "--data-dir", str(data), "--quiet", cwd=tmp_path)  # fmt: skip
    return data, shas


def _session(tmp_path: Path, env: dict[str, str], body: Callable[[Any], Awaitable[None]]) -> None:
    """Run ``body`` with a connected SDK client of `dailydiff mcp` (started as an assistant starts it)."""
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    server = StdioServerParameters(
        command=sys.executable, args=["-m", "dailydiff", "mcp"], cwd=str(tmp_path),
        env={"PYTHONPATH": str(REPO_ROOT / "src"), "HOME": str(tmp_path), "PATH": os.environ["PATH"], **env},
    )  # fmt: skip

    async def main() -> None:
        async with Client(server) as client:
            await body(client)

    anyio.run(main)


def _text(result: Any) -> str:
    return "\n".join(getattr(part, "text", "") for part in result.content)


def test_an_assistant_lists_the_tools_searches_and_reads_a_day(
    stored: tuple[Path, list[str]], tmp_path: Path
) -> None:
    data, shas = stored
    seen: dict[str, Any] = {}

    async def body(client: Any) -> None:
        tools = (await client.list_tools()).tools
        seen["tools"] = {t.name: t for t in tools}
        found = await client.call_tool("search", {"question": "注意力 since April"})
        seen["search"] = json.loads(_text(found))
        seen["report"] = await client.call_tool(
            "report", {"repository": "flashinfer-ai/flashinfer", "date": "2026-03-02"}
        )
        seen["digest"] = await client.call_tool("digest", {"date": "2026-03-02"})
        seen["repos"] = json.loads(_text(await client.call_tool("repositories", {})))
        seen["ask"] = json.loads(
            _text(await client.call_tool("ask", {"question": "what changed in sampling?"}))
        )
        seen["bad"] = await client.call_tool("search", {"question": "x", "since": "April"})
        seen["missing"] = await client.call_tool(
            "report", {"repository": "flashinfer-ai/flashinfer", "date": "2026-05-01"}
        )

    _session(tmp_path, {"DAILYDIFF_DATA_DIR": str(data)}, body)
    assert set(seen["tools"]) == TOOLS
    assert all(t.annotations and t.annotations.read_only_hint for t in seen["tools"].values())
    assert [c["sha"] for c in seen["search"]["commits"]] == [shas[2]]  # the question's time and language
    report = _text(seen["report"])
    assert not seen["report"].is_error and "add a paged KV cache for the decode backend" in report
    assert "guard top-p search against NaN logits" in report and "越界" not in report  # that day only
    assert not seen["digest"].is_error and "flashinfer-ai/flashinfer" in _text(seen["digest"])
    assert seen["repos"] == [{"repo": "flashinfer-ai/flashinfer", "first": "2026-03-02", "last": "2026-04-14",
                              "days": 2, "languages": ["en"]}]  # fmt: skip
    assert seen["ask"]["answer"] is None and "no LLM model is configured" in seen["ask"]["no_answer_because"]
    assert f"[{shas[1][:7]}]" in seen["ask"]["listing"]
    bad = _text(seen["bad"])
    assert seen["bad"].is_error and "'April' is not a date" in bad and "YYYY-MM-DD" in bad and "\n" not in bad
    missing = _text(seen["missing"])
    assert seen["missing"].is_error and "no report of flashinfer-ai/flashinfer on 2026-05-01" in missing
    assert "Traceback" not in bad + missing


@pytest.mark.slow
def test_a_postgres_password_reaches_no_tool_result_or_error(
    stored: tuple[Path, list[str]], tmp_path: Path, pg_url: str
) -> None:
    from dailydiff.store import Store
    from pgserver import PASSWORD

    data, _shas = stored
    with Store.open(data) as local, Store.connect(pg_url) as shared:
        local.copy_to(shared)
    unreachable = pg_url.rsplit("@", 1)[0] + "@127.0.0.1:1/nowhere"  # the same password, no server
    texts: list[str] = []

    async def body(client: Any) -> None:
        calls = [("search", {"question": "attention"}), ("ask", {"question": "what changed in attention?"}),
                 ("report", {"repository": "flashinfer-ai/flashinfer", "date": "2026-03-02"}),
                 ("report", {"repository": "flashinfer-ai/flashinfer", "date": "2026-01-01"}),
                 ("digest", {"date": "2026-03-02"}), ("repositories", {}),
                 ("search", {"question": "x", "level": ["urgent"]})]  # fmt: skip
        for name, arguments in calls:
            result = await client.call_tool(name, arguments)
            texts.append(f"{name} error={result.is_error}: {_text(result)}")

    _session(tmp_path, {"DAILYDIFF_STORE_URL": pg_url}, body)
    assert sum("error=False" in t for t in texts) == 5, texts  # real results from the shared store
    assert "add a paged KV cache" in texts[2]
    _session(tmp_path, {"DAILYDIFF_STORE_URL": unreachable}, body)
    assert all("error=True" in t for t in texts[7:]), texts[7:]  # the store cannot be reached: one line each
    assert all(PASSWORD not in t for t in texts), [t for t in texts if PASSWORD in t]


def test_without_the_mcp_package_it_says_what_to_install(tmp_path: Path) -> None:
    import subprocess

    shadow = tmp_path / "shadow" / "mcp"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('no mcp here')\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": f"{shadow.parent}{os.pathsep}{REPO_ROOT / 'src'}"}
    done = subprocess.run([sys.executable, "-m", "dailydiff", "mcp"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "dailydiff: error: the MCP server needs the mcp package — install it: pip install 'dailydiff[mcp]'"
    ], done.stderr


class _Wire:
    """`dailydiff mcp` as a subprocess, spoken to in the protocol's own JSON-RPC lines (the SDK's client hides
    the process, and this test signals it and watches it end)."""

    def __init__(self, tmp_path: Path, data: Path) -> None:
        import subprocess

        from mcp.types import LATEST_PROTOCOL_VERSION

        env = {"PYTHONPATH": str(REPO_ROOT / "src"), "HOME": str(tmp_path), "PATH": os.environ["PATH"],
               "DAILYDIFF_DATA_DIR": str(data)}  # fmt: skip
        self.process = subprocess.Popen([sys.executable, "-m", "dailydiff", "mcp"], cwd=tmp_path, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        self.ids = 0
        self.call("initialize", {"protocolVersion": LATEST_PROTOCOL_VERSION, "capabilities": {},
                                 "clientInfo": {"name": "test", "version": "1"}})  # fmt: skip
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()

    def call(self, method: str, params: dict[str, Any], within: float = 30.0) -> tuple[dict[str, Any], float]:
        """The answer to one request and how long it took; the test fails when none comes ``within``."""
        import selectors
        import time

        self.ids += 1
        started = time.monotonic()
        self.send({"jsonrpc": "2.0", "id": self.ids, "method": method, "params": params})
        assert self.process.stdout is not None
        with selectors.DefaultSelector() as waiting:
            waiting.register(self.process.stdout, selectors.EVENT_READ)
            while True:
                left = started + within - time.monotonic()
                assert left > 0 and waiting.select(left), f"no answer to {method} within {within} s"
                answer = json.loads(self.process.stdout.readline())
                if answer.get("id") == self.ids:
                    return answer, time.monotonic() - started

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


def test_a_huge_question_never_holds_the_server_and_sigterm_or_a_gone_client_stops_it(
    stored: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """A 200 KB question is answered (read within its bounds, said in the result) and the next call too; then
    SIGTERM ends the server, and a server whose client closed its end ends by itself (issue 64: a 200 KB
    question got no answer in 120 s, every later call timed out, and SIGTERM was ignored)."""
    import signal
    import subprocess
    import time

    data, shas = stored
    wire = _Wire(tmp_path, data)
    try:
        huge = "guard top-p search against NaN logits " + "x" * 200_000
        answer, took = wire.call("tools/call", {"name": "search", "arguments": {"question": huge}}, within=20)
        found = json.loads(answer["result"]["content"][0]["text"])
        assert found["capped"] == "a word of 200,000 characters is read as its first 100"
        assert found["commits"][0]["sha"] == shas[1]
        answer, next_took = wire.call("tools/call", {"name": "repositories", "arguments": {}}, within=20)
        assert "flashinfer-ai/flashinfer" in answer["result"]["content"][0]["text"]
        wire.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        wire.process.wait(timeout=20)
        stopped = time.monotonic() - started
        assert wire.process.returncode == 143 and wire.process.stderr is not None
        assert wire.process.stderr.read().decode().strip().splitlines()[-1] == "dailydiff: stopped by SIGTERM"
        print(
            f"200 KB question answered in {took:.2f} s, the next call in {next_took:.2f} s; SIGTERM stopped it in {stopped:.2f} s"
        )
    finally:
        wire.close()
    gone = _Wire(tmp_path, data)
    try:
        assert gone.process.stdin is not None
        started = time.monotonic()
        gone.process.stdin.close()  # the assistant went away
        gone.process.wait(timeout=20)
        print(f"a server whose client went away ended in {time.monotonic() - started:.2f} s")
    except subprocess.TimeoutExpired:
        raise AssertionError("the server outlived its client") from None
    finally:
        gone.close()


def test_an_empty_question_is_an_error_and_one_matching_nothing_an_empty_result_that_says_so(
    stored: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """Issue 63: `search {"question": ""}` answered with every newest commit (18 KB)."""
    data, _shas = stored
    seen: dict[str, Any] = {}

    async def body(client: Any) -> None:
        seen["empty"] = await client.call_tool("search", {"question": ""})
        seen["nothing"] = await client.call_tool("search", {"question": "quantum teleportation"})

    _session(tmp_path, {"DAILYDIFF_DATA_DIR": str(data)}, body)
    assert seen["empty"].is_error and "the question is empty" in _text(seen["empty"])
    nothing = json.loads(_text(seen["nothing"]))
    assert not seen["nothing"].is_error and nothing["commits"] == []
    assert (
        nothing["nothing_found"]
        == "no stored commit matches 'quantum teleportation' (searched 3 indexed commits)"
    )
