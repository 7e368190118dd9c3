"""`dailydiff report owner/name` end to end against the fake GitHub API, and the token canary: it must
not appear in any output, error, log line or byte of the store."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from clirun import dailydiff
from fake_github import FakeGitHub, FakePull
from gitrepo import CommitSpec, FileEdit, build_repo

CANARY = "ghp_CANARYtoken0123456789CANARY"
CST = dt.timezone(dt.timedelta(hours=8))
REPO = "octo/demo"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("cli") / "demo"
    day = dt.datetime(2026, 1, 7, 9, 0, tzinfo=CST)
    shas = build_repo(
        path,
        [
            CommitSpec("feat: add parser (#5)", day, edits=[FileEdit("src/parser.py", "def parse():\n    return 1\n")]),
            CommitSpec("fix: parser | edge", day + dt.timedelta(hours=2), edits=[FileEdit("src/parser.py", "def parse():\n    return 2\n")]),
            CommitSpec("docs: readme", day + dt.timedelta(hours=3), edits=[FileEdit("README.md", "# Demo\n" * 4000)]),
        ],
    )  # fmt: skip
    return path, shas


@pytest.fixture
def fake(repo: tuple[Path, list[str]]) -> Iterator[FakeGitHub]:
    path, shas = repo
    with FakeGitHub({REPO: path}, token=CANARY) as server:
        server.add_pull(
            REPO, FakePull(5, "Add a parser", shas[0], body="Adds the parser.", labels=["feature"])
        )
        server.patch_limit_bytes = 10_000  # README.md's patch comes from the diff
        yield server


def run_cli(args: list[str], api_url: str, token: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if "TOKEN" not in k and not k.startswith("DAILYDIFF_")}
    env.update({"DAILYDIFF_GITHUB_API_URL": api_url, "GITHUB_TOKEN": token})
    return dailydiff(*args, env=env, cwd=cwd)


def store_texts(data_dir: Path) -> Iterator[bytes]:
    """Every byte of the store's files, and every compressed blob in it, decompressed."""
    for file in data_dir.rglob("*"):
        if file.is_file():
            yield file.read_bytes()
    db = sqlite3.connect(data_dir / "dailydiff.sqlite3")
    try:
        for table, column in [("http_cache", "body"), ("http_cache", "headers"), ("commits", "data"),
                              ("runs", "command"), ("runs", "summary"), ("reports", "data")]:  # fmt: skip
            for (value,) in db.execute(f"SELECT {column} FROM {table}"):
                raw = value if isinstance(value, bytes) else str(value).encode()
                try:
                    yield zlib.decompress(raw)
                except zlib.error:
                    yield raw
    finally:
        db.close()


def test_report_from_github_end_to_end_without_leaking_the_token(
    fake: FakeGitHub, repo: tuple[Path, list[str]], tmp_path: Path
) -> None:
    _, shas = repo
    data_dir, out = tmp_path / "data", tmp_path / "out"
    args = ["report", REPO, "--date", "2026-01-07", "--tz", "Asia/Shanghai", "--data-dir", str(data_dir),
            "-o", str(out), "--format", "md,json", "--summary-json", str(tmp_path / "summary.json")]  # fmt: skip
    result = run_cli(args, fake.url, CANARY, tmp_path)
    assert result.returncode == 0, result.stderr
    md = (out / "2026" / "demo" / "2026-01-07.md").read_text(encoding="utf-8")
    for sha in shas:
        assert f"({fake.web_url}/{REPO}/commit/{sha})" in md
    report = json.loads((out / "2026" / "demo" / "2026-01-07.json").read_text(encoding="utf-8"))
    assert report["repo"] == REPO and report["repo_url"] == f"{fake.web_url}/{REPO}"
    by_title = {c["title"]: c for c in report["commits"]}
    assert by_title["feat: add parser (#5)"]["pr"]["number"] == 5
    assert by_title["feat: add parser (#5)"]["pr"]["labels"] == ["feature"]
    assert all(r.headers["authorization"] == f"Bearer {CANARY}" for r in fake.requests)
    assert fake.count("diff") == 1

    # A second run: the details come from the store's cache; only the list is asked again (304).
    fake.reset_requests()
    again = run_cli(args, fake.url, CANARY, tmp_path)
    assert again.returncode == 0, again.stderr
    assert [(r.kind, r.status) for r in fake.requests] == [("list", 304)]

    # A bad token: one clear line, exit code 3, and still no token anywhere.
    fake.token = "another-token"
    bad = run_cli(args, fake.url, CANARY, tmp_path)
    assert bad.returncode == 3
    assert bad.stderr.strip().count("\n") == 0
    assert bad.stderr.startswith(
        "dailydiff: error: GitHub rejected the token (401 Bad credentials) — check the token"
    )

    outputs = [result.stdout, result.stderr, again.stdout, again.stderr, bad.stdout, bad.stderr]
    assert all(CANARY not in text for text in outputs)
    assert all(CANARY.encode() not in blob for blob in store_texts(data_dir))
    files = [*out.rglob("*"), tmp_path / "summary.json"]
    assert all(CANARY.encode() not in f.read_bytes() for f in files if f.is_file())


def test_cli_unknown_repository_is_one_clear_line(fake: FakeGitHub, tmp_path: Path) -> None:
    result = run_cli(
        ["report", "octo/nope", "--date", "2026-01-07", "--data-dir", str(tmp_path / "d")],
        fake.url,
        CANARY,
        tmp_path,
    )
    assert result.returncode == 3
    assert result.stderr == (
        f"dailydiff: error: repository octo/nope not found on 127.0.0.1:{fake.port}, or it is private — check the "
        "owner/name; for a private repository set GITHUB_TOKEN to a token that can read it\n"
    )
    assert [r.status for r in fake.requests] == [404]
