"""The MCP tools `list_changes` and `get_commit`, driven by the official SDK's client as an assistant drives
them: over stdio (`dailydiff mcp`, a subprocess) and over streamable HTTP at `dailydiff serve`'s /mcp behind
the bearer token. What they list is checked against a direct SQL query of the store; the shape is one
whatever the filters; a page continues with its cursor; a huge limit is capped and says so; no token or a
wrong one is 401; without the token's variable /mcp is off."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
import pytest

from gitrepo import CommitSpec, FileEdit, build_repo
from opsfixtures import REPO_ROOT, dailydiff

UTC = dt.UTC
REPO = "flashinfer-ai/flashinfer"
TOKEN = "mcp-test-token-5f1c2e9a77"
SPECS = [
    CommitSpec("feat(csrc): add a fused paged attention kernel for the decode backend",
               dt.datetime(2026, 4, 2, 9, tzinfo=UTC),
               edits=[FileEdit("csrc/attention/decode.cu", "__global__ void k(){ int a = 1; }\n" * 400),
                      FileEdit("csrc/attention/decode.h", "int k();\n" * 50)]),
    CommitSpec("fix(csrc): guard the sampling kernel against an out-of-bounds read",
               dt.datetime(2026, 4, 3, 9, tzinfo=UTC), edits=[FileEdit("csrc/sampling.cu", "__global__ void s(){}\n" * 30)]),
    CommitSpec("docs: explain the wheel layout", dt.datetime(2026, 4, 3, 11, tzinfo=UTC),
               edits=[FileEdit("docs/index.md", "hi\n" * 10)]),
    CommitSpec("feat(python): a new public API for top-k sampling with a breaking signature change",
               dt.datetime(2026, 4, 4, 9, tzinfo=UTC),
               edits=[FileEdit("flashinfer/sampling.py", "def top_k(x):\n    return x\n" * 300)],
               author="Claude", email="noreply@anthropic.com"),
    CommitSpec("feat(csrc): add a grouped GEMM kernel for the MoE layers", dt.datetime(2026, 4, 10, 9, tzinfo=UTC),
               edits=[FileEdit("csrc/gemm/grouped.cu", "__global__ void g(){ int b = 2; }\n" * 450)]),
    CommitSpec("perf(csrc): rewrite the prefill kernel's tiling", dt.datetime(2026, 5, 1, 9, tzinfo=UTC),
               edits=[FileEdit("csrc/prefill.cu", "__global__ void p(){ }\n" * 500)]),
]  # fmt: skip
APRIL = {"since": "2026-04-01", "until": "2026-04-30"}
FILTERED = {**APRIL, "path": "csrc/**", "level": "high"}


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("mcp-changes")
    build_repo(tmp / "flashinfer", SPECS)
    dailydiff("report", str(tmp / "flashinfer"), "--from", "2026-04-01", "--to", "2026-05-01", "--tz", "UTC",
              "--lang", "en", "--name", REPO, "--data-dir", str(tmp / "data"), "--quiet", cwd=tmp)  # fmt: skip
    return tmp / "data"


def direct(
    data: Path, since: str, until: str, level: str | None = None, under: str | None = None
) -> list[str]:
    """The store's own answer: its search rows of the window, by a query written here."""
    sql = "SELECT sha FROM search_docs WHERE repo = ? AND date >= ? AND date <= ?"
    args: list[str] = [REPO, since, until]
    if level:
        sql += " AND level = ?"
        args.append(level)
    if under:
        sql += " AND (char(10) || paths) LIKE ?"
        args.append(f"%{chr(10)}{under}/%")
    with sqlite3.connect(data / "dailydiff.sqlite3") as db:
        return [r[0] for r in db.execute(sql + " ORDER BY date DESC, committed_at DESC, sha", args)]


def _env(data: Path) -> dict[str, str]:
    return {"PYTHONPATH": str(REPO_ROOT / "src"), "HOME": str(data.parent), "PATH": os.environ["PATH"],
            "DAILYDIFF_DATA_DIR": str(data), "NO_COLOR": "1"}  # fmt: skip


def _text(result: Any) -> str:
    return "\n".join(getattr(part, "text", "") for part in result.content)


async def _call(client: Any, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, _text(result)
    return dict(json.loads(_text(result)))


async def _all_pages(client: Any, args: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await _call(client, "list_changes", {**args, **({"cursor": cursor} if cursor else {})})
        found += page["commits"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


async def _checks(client: Any, data: Path, seen: dict[str, Any]) -> None:
    """What both transports must answer alike."""
    names = {t.name for t in (await client.list_tools()).tools}
    assert {"list_changes", "get_commit", "search"} <= names
    filtered = await _call(client, "list_changes", FILTERED)
    unfiltered = await _call(client, "list_changes", APRIL)
    seen["filtered"] = [c["sha"] for c in filtered["commits"]]
    assert seen["filtered"] == direct(data, "2026-04-01", "2026-04-30", "high", "csrc")
    assert len(seen["filtered"]) == 2  # the two high csrc commits of April, not May's, not the python one
    assert [c["sha"] for c in unfiltered["commits"]] == direct(data, "2026-04-01", "2026-04-30")
    # one shape: the same keys at the top and in every commit, with and without filters
    assert filtered.keys() == unfiltered.keys() and filtered["schema"] == "dailydiff.changes/1"
    shapes = {tuple(c) for c in filtered["commits"] + unfiltered["commits"]}
    assert shapes == {("repository", "sha", "date", "title", "level", "type", "summary", "risks", "links")}
    # pages of one, continued by the cursor, give the same list
    paged = await _all_pages(client, {**APRIL, "limit": 1})
    assert [c["sha"] for c in paged] == [c["sha"] for c in unfiltered["commits"]]
    huge = await _call(client, "list_changes", {**APRIL, "limit": 100000})
    assert huge["capped"] is True and huge["limit"] == 100 and "100000" in huge["note"]
    assert not filtered["capped"] and filtered["note"] is None
    wider = await _call(
        client, "list_changes", {**APRIL, "agent": "yes", "fields": ["author", "agent", "paths"]}
    )
    assert [(c["author"]["name"], c["agent"], c["paths"]) for c in wider["commits"]] == [
        ("Claude", "claude", ["flashinfer/sampling.py"])
    ]
    no_agent = await _call(client, "list_changes", {**APRIL, "agent": "no"})
    assert len(no_agent["commits"]) == len(unfiltered["commits"]) - 1
    sha = seen["filtered"][0]
    one = await _call(client, "get_commit", {"sha": sha[:9], "detail": "diffstat"})
    assert one["commit"]["sha"] == sha and one["diffstat"]["files"][0]["path"].startswith("csrc/")
    analysis = await _call(client, "get_commit", {"sha": sha, "detail": "analysis"})
    assert analysis["analysis"]["change_types"] == filtered["commits"][0]["type"]
    bad = await client.call_tool("list_changes", {**APRIL, "cursor": "not-a-cursor"})
    assert bad.is_error and "cursor" in _text(bad) and "\n" not in _text(bad).strip()
    seen["texts"] = json.dumps([filtered, unfiltered, one, analysis])


def test_list_changes_over_stdio_match_the_store(stored: Path, tmp_path: Path) -> None:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    server = StdioServerParameters(command=sys.executable, args=["-m", "dailydiff", "mcp"], cwd=str(tmp_path),
                                   env=_env(stored))  # fmt: skip
    seen: dict[str, Any] = {}

    async def main() -> None:
        async with Client(server) as client:
            await _checks(client, stored, seen)

    anyio.run(main)
    assert str(stored) not in seen["texts"]  # never where the store is


def _until_answering(base: str, seconds: float = 30.0) -> None:
    """The server named its address once its socket was bound; wait until it answers there (a loaded
    machine may take a moment between the two)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(f"{base}/", timeout=5)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"nothing answers at {base}"
            time.sleep(0.05)


def _serve(data: Path, cwd: Path, env: dict[str, str], body: Callable[[str], Awaitable[None] | None]) -> str:
    """`dailydiff serve` (a real process) on a free port while ``body(url)`` runs; returns its stderr."""
    proc = subprocess.Popen([sys.executable, "-m", "dailydiff", "serve", "--port", "0"], cwd=cwd,
                            env={**_env(data), **env}, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        url = line.split("serving ", 1)[1].split("/", 3)[:3]
        base = "/".join(url)
        _until_answering(base)
        result = body(base)
        if result is not None:
            anyio.run(lambda: result)
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    return line + err


def test_list_changes_over_http_behind_the_bearer_token(stored: Path, tmp_path: Path) -> None:
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    seen: dict[str, Any] = {}

    async def body(base: str) -> None:
        hello = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}  # fmt: skip
        headers = {"Accept": "application/json, text/event-stream"}
        async with httpx.AsyncClient() as plain:
            seen["none"] = (await plain.post(f"{base}/mcp", json=hello, headers=headers)).status_code
            wrong = {**headers, "Authorization": "Bearer not-the-token"}
            seen["wrong"] = (await plain.post(f"{base}/mcp", json=hello, headers=wrong)).status_code

        bearer = httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        async with bearer as http, Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
            await _checks(client, stored, seen)

    started = time.monotonic()
    err = _serve(stored, tmp_path, {"DAILYDIFF_MCP_TOKEN": TOKEN}, lambda base: body(base))
    assert time.monotonic() - started < 60
    assert seen["none"] == 401 and seen["wrong"] == 401
    assert "MCP at /mcp" in err and TOKEN not in err and "Traceback" not in err
    assert str(stored) not in seen["texts"] and TOKEN not in seen["texts"]


def test_without_the_token_the_endpoint_is_off(stored: Path, tmp_path: Path) -> None:
    codes: list[int] = []

    def body(base: str) -> None:
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        codes.append(httpx.get(f"{base}/mcp", headers=bearer).status_code)
        codes.append(
            httpx.post(f"{base}/mcp", json={}, headers=bearer).status_code
        )  # a page's route: no POST
        codes.append(httpx.get(f"{base}/api/reports").status_code)

    err = _serve(stored, tmp_path, {}, body)
    assert codes == [404, 405, 200] and "MCP" not in err


def test_list_changes_reads_a_postgresql_store_alike(stored: Path, pg_url: str) -> None:
    from dailydiff.store import DB_NAME, Store
    from dailydiff.web.changes import get_commit, list_changes

    with Store.connect(stored / DB_NAME) as lite, Store.connect(pg_url) as pg:
        pg.save_reports(list(lite.iter_reports()))
        for args in (FILTERED, APRIL, {**APRIL, "limit": 2}):
            assert list_changes(pg, "en", **args) == list_changes(lite, "en", **args)  # type: ignore[arg-type]
        page = list_changes(pg, "en", **APRIL, limit=2)
        rest = list_changes(pg, "en", **APRIL, cursor=page["next_cursor"])
        shas = [c["sha"] for c in page["commits"] + rest["commits"]]
        assert shas == direct(stored, "2026-04-01", "2026-04-30")
        assert get_commit(pg, "en", shas[0][:8]) == get_commit(lite, "en", shas[0][:8])
