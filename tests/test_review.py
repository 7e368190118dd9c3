"""Regressions from the adversarial review: hostile input, odd repositories and error paths, each through
the code a user actually runs (CLI subprocesses, real git repositories, the fake GitHub API)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitrepo import CommitSpec, FileEdit, build_repo

ROOT = Path(__file__).resolve().parents[1]
UTC = dt.UTC
DAY = dt.datetime(2026, 3, 3, 4, 0, tzinfo=UTC)  # 2026-03-03 12:00 in Asia/Shanghai


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("DAILYDIFF_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "dailydiff", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)  # fmt: skip


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dailydiff: error: ") and " — " in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_git_url_credentials_never_reach_the_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = run("report", "https://alice:s3cret-pw@127.0.0.1:1/x.git", "-d", "2026-03-03",
                 "--data-dir", str(data))  # fmt: skip
    line = assert_one_line_error(result, 3)
    assert "s3cret-pw" not in line
    stored = b"".join(p.read_bytes() for p in data.glob("dailydiff.sqlite3*"))
    assert b"127.0.0.1:1/x.git" in stored  # the run is recorded…
    assert b"s3cret-pw" not in stored and b"alice" not in stored  # …without the user:password


@pytest.mark.parametrize("args", [["-d", "9999-12-31"], ["-d", "0001-01-01", "--tz", "Etc/GMT-14"],
                                  ["--from", "2026-01-01", "--to", "9999-12-31"]])  # fmt: skip
def test_dates_at_the_edge_of_time_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    result = run("report", str(repo), *args, "--data-dir", str(tmp_path / "data"))
    assert "out of range" in assert_one_line_error(result, 2)


def test_paths_with_newlines_and_backticks_stay_single_code_spans(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    edits = [FileEdit("we\nird.py", "a = 1\n"), FileEdit("tick`name.py", "b = 2\n")]
    build_repo(repo, [CommitSpec("feat: odd file names", DAY, edits=edits)])
    result = run("report", str(repo), "-d", "2026-03-03", "--lang", "en", "--analyzer", "heuristic",
                 "--data-dir", str(tmp_path / "data"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = result.stdout.split("**📋 Summary**：", 1)[1].split("\n\n", 2)[1]
    assert "`we ird.py`" in summary and "``tick`name.py``" in summary, summary
    assert "\\`" not in summary, summary  # no code span was torn apart and escaped


def test_unwritable_data_dir_and_summary_are_one_line_errors(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    blocker = tmp_path / "a file"
    blocker.write_text("not a directory\n")
    no_store = run("report", str(repo), "-d", "2026-03-03", "--data-dir", str(blocker / "data"))
    assert "cannot open the store" in assert_one_line_error(no_store, 4)
    data = tmp_path / "data dir"
    no_summary = run("report", str(repo), "-d", "2026-03-03", "-q", "--data-dir", str(data),
                     "--summary-json", str(blocker / "summary.json"))  # fmt: skip
    assert "cannot write" in assert_one_line_error(no_summary, 7)
    assert "feat: one" in no_summary.stdout  # the report itself was delivered…
    again = run("report", str(repo), "-d", "2026-03-03", "-q", "--data-dir", str(data), "--summary-json",
                str(tmp_path / "summary.json"))  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert '"cached": 1' in (tmp_path / "summary.json").read_text()  # …and its analysis kept in the store


def test_feed_and_markdown_survive_noncharacters_and_lone_surrogates() -> None:
    import xml.etree.ElementTree as ET

    from dailydiff.render import RENDERERS
    from dailydiff.render.feed import FeedEntry, render_atom
    from publish_reports import make_report

    report = make_report(2, high_every=1)  # a GitHub API answer may hold "\uffff" or "\udc80" escapes
    report.commits[0] = report.commits[0].model_copy(update={"message": "fix \uffff\ufffe\udc80 odd"})
    feed = render_atom([FeedEntry(report, "day.html")], title="t", key="all", self_href="feed.xml",
                       home_href="index.html", language="en")  # fmt: skip
    ET.fromstring(feed.encode("utf-8"))  # well-formed XML, encodable as UTF-8
    assert "fix  odd" in feed
    RENDERERS["md"](report).encode("utf-8")


def test_a_model_reply_with_a_lone_surrogate_escape_is_stored_and_rendered(tmp_path: Path) -> None:
    import json
    from typing import Any

    from dailydiff.render import RENDERERS
    from fake_llm import FakeLLM
    from llm_fixtures import make_repo, run_day, settings_for

    def answer(body: dict[str, Any]) -> str:
        schema = body["response_format"]["json_schema"]["schema"]
        reply: dict[str, Any] = {}
        for name, sub in schema["properties"].items():
            if sub.get("type") == "array" and "enum" in sub.get("items", {}):
                reply[name] = ["feature"]
            elif "enum" in sub:
                reply[name] = "high"
            elif sub.get("type") == "array":
                reply[name] = ["rocket \ud83d cut short"]
            elif sub.get("type") == "object":
                reply[name] = {key: "fine" for key in sub["properties"]}
            else:
                reply[name] = "rocket \ud83d cut short"
        return json.dumps(reply)  # "\ud83d" escaped, as a model that cut an emoji pair in half writes it

    repo = make_repo(tmp_path / "repo")
    with FakeLLM() as fake:
        fake.canned = answer
        outcome, md = run_day(repo, settings_for(fake, tmp_path / "data"))
    report = outcome.reports[0]
    assert report.stats.failed + report.stats.fallback == 0
    assert "rocket \ufffd cut short" in RENDERERS["json"](report)
    md.encode("utf-8")


def test_github_api_json_with_a_lone_surrogate_escape_decodes_to_storable_text() -> None:
    from dailydiff.sources.github_http import ApiResponse

    data = ApiResponse(
        200, {}, b'{"commit": {"message": "fix \\udc80 x"}, "files": [{"filename": "\\ud800"}]}'
    )
    assert data.json() == {"commit": {"message": "fix \ufffd x"}, "files": [{"filename": "\ufffd"}]}


def test_escape_sequences_from_a_server_never_reach_the_terminal(tmp_path: Path) -> None:
    from fake_llm import FakeLLM
    from llm_fixtures import make_repo

    repo = make_repo(tmp_path / "repo")
    with FakeLLM() as fake:  # its 404 quotes the model name we sent: text from a server, on our stderr
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
        env |= {"PYTHONPATH": str(ROOT / "src"), "DAILYDIFF_LLM_BASE_URL": fake.base_url,
                "DAILYDIFF_LLM_MODEL": "m\x1b]0;pwned\x07\x1b[2J\x9b31m", "DAILYDIFF_LLM_MAX_RETRIES": "0"}  # fmt: skip
        result = subprocess.run(
            [sys.executable, "-m", "dailydiff", "report", str(repo), "--date", "2026-01-27", "--tz", "UTC",
             "--analyzer", "llm", "--data-dir", str(tmp_path / "data"), "-o", str(tmp_path / "out")],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert "HTTP 404" in result.stderr, result.stderr
    assert "pwned" in result.stderr  # the text is shown…
    assert not set(result.stderr) & {"\x1b", "\x07", "\x9b"}  # …without its escape sequences


def test_doctor_never_shows_credentials_in_the_llm_base_url(tmp_path: Path) -> None:
    from fake_llm import FakeLLM

    build_repo(tmp_path / "good", [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    (tmp_path / "dailydiff.toml").write_text(
        '[[repos]]\nsource = "good"\nanalyzer = "llm"\n', encoding="utf-8"
    )
    with FakeLLM() as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
        for url in (fake.base_url.replace("//", "//proxyuser:proxy-pass-123@"), fake.base_url + "?key=q-456"):
            env |= {"PYTHONPATH": str(ROOT / "src"), "DAILYDIFF_LLM_BASE_URL": url,
                    "DAILYDIFF_LLM_MODEL": fake.model}  # fmt: skip
            done = subprocess.run([sys.executable, "-m", "dailydiff", "doctor", "--data-dir", str(tmp_path / "d")],
                                  env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
            output = done.stdout + done.stderr
            assert "llm: fake-model at http://127.0.0.1" in output, output
            assert "proxy-pass-123" not in output and "proxyuser" not in output and "q-456" not in output


def test_a_shallow_clone_missing_the_day_is_refused_not_silently_incomplete(tmp_path: Path) -> None:
    full = tmp_path / "full"
    build_repo(full, [CommitSpec(f"feat: day {i}", DAY + dt.timedelta(days=i), edits=[FileEdit(f"f{i}.py", "x\n")])
                      for i in range(3)])  # fmt: skip
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", full.as_uri(), str(shallow)], check=True, capture_output=True
    )
    for day in ("2026-03-03", "2026-03-05"):  # the lost day, and the cut commit's own day
        result = run("report", str(shallow), "-d", day, "--data-dir", str(tmp_path / "data"))
        assert "shallow clone" in assert_one_line_error(result, 3)
    later = run("report", str(shallow), "-d", "2026-03-06", "--data-dir", str(tmp_path / "data"))
    assert later.returncode == 0, later.stderr  # nothing of a later day is missing
    subprocess.run(["git", "fetch", "-q", "--unshallow"], cwd=shallow, check=True, capture_output=True)
    fixed = run("report", str(shallow), "-d", "2026-03-03", "--data-dir", str(tmp_path / "data"))
    assert fixed.returncode == 0 and "feat: day 0" in fixed.stdout, fixed.stderr


def test_a_week_at_the_edge_of_time_and_a_port_out_of_range_are_usage_errors(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    data = tmp_path / "data"
    assert run("report", str(repo), "-d", "2026-03-03", "-q", "--data-dir", str(data)).returncode == 0
    week = run("weekly", str(repo), "--week", "9999-W52", "--data-dir", str(data))
    assert "out of range" in assert_one_line_error(week, 2)
    serve = run("serve", "--port", "99999", "--data-dir", str(data))
    assert "cannot listen on 127.0.0.1:99999" in assert_one_line_error(serve, 2)


@pytest.mark.parametrize("text", ["=)-^.```http://x.y/<b>.`http://x.y/`", "&amp;http://x.y/```_<b>\n `éé- "])
def test_adjacent_code_spans_cannot_free_raw_html(text: str) -> None:
    from markdown_it import MarkdownIt

    from dailydiff.render.text import md_cell, md_inline

    tokens = (
        MarkdownIt("commonmark")
        .enable("table")
        .parse(f"#### {md_inline(text)}\n\n| a |\n| --- |\n| {md_cell(text)} |\n")
    )
    inline = [child.type for tok in tokens if tok.children for child in tok.children]
    assert "html_inline" not in inline and [t.type for t in tokens].count("td_open") == 1, md_inline(text)


def test_a_model_list_item_cannot_open_a_nested_list_or_code_block() -> None:
    from markdown_it import MarkdownIt

    from dailydiff.render.text import md_block

    html = MarkdownIt("commonmark").render(md_block("- -     #$-~~~\n- + x\n1. 2) y\n- 3.5x faster"))
    assert "<code>" not in html and html.count("<ul>") == 2 and html.count("<ol>") == 1, html
    assert "<li>-     #$-~~~</li>" in html and "<li>2) y</li>" in html and "<li>3.5x faster</li>" in html


def test_report_on_stdout_carries_no_terminal_control_sequences(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    title = "fix: \x1b]0;pwned\x07 title \x9b31m red \x1b[2J"
    build_repo(repo, [CommitSpec(title, DAY, author="Eve\x9b2J", edits=[FileEdit("a.py", "x = 1\n")])])
    result = run(
        "report", str(repo), "-d", "2026-03-03", "--lang", "en", "--data-dir", str(tmp_path / "data")
    )
    assert result.returncode == 0, result.stderr
    assert "pwned" in result.stdout and "red" in result.stdout
    assert not set(result.stdout + result.stderr) & {"\x1b", "\x07", "\x9b"}


def test_control_characters_in_author_fields_do_not_break_parsing(tmp_path: Path) -> None:
    repo = tmp_path / "repo"  # one such commit upstream would otherwise fail every report of the day
    spec = CommitSpec("feat: odd author", DAY, author="Eve\x1fMallory\x1e", email="eve\x1f@example.com",
                      edits=[FileEdit("a.py", "x = 1\n")])  # fmt: skip
    build_repo(
        repo, [spec, CommitSpec("fix: next", DAY + dt.timedelta(minutes=1), edits=[FileEdit("b.py", "y\n")])]
    )
    result = run(
        "report", str(repo), "-d", "2026-03-03", "--lang", "en", "--data-dir", str(tmp_path / "data")
    )
    assert result.returncode == 0, result.stderr
    assert "| EveMallory | [feat: odd author]" in result.stdout and "fix: next" in result.stdout


def test_commits_with_broken_dates_are_reported_not_fatal(tmp_path: Path) -> None:
    from gitrepo import git

    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: base", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    tree, parent = git(repo, "write-tree").strip(), git(repo, "rev-parse", "HEAD").strip()
    committed = int(DAY.timestamp()) + 60
    for bad in (
        "99999999999999 +0000",
        f"{committed} +9999",
        "notanumber +0000",
    ):  # as old or crafted commits have
        raw = (f"tree {tree}\nparent {parent}\nauthor A <a@example.com> {bad}\n"
               f"committer C <c@example.com> {committed} +0800\n\nfix: date {bad}\n")  # fmt: skip
        parent = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin", "--literally"], cwd=repo,
                                input=raw.encode(), capture_output=True, check=True).stdout.decode().strip()  # fmt: skip
    git(repo, "update-ref", "refs/heads/main", parent)
    result = run(
        "report", str(repo), "-d", "2026-03-03", "--lang", "en", "--data-dir", str(tmp_path / "data")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("fix: date ") >= 3 and "feat: base" in result.stdout


def test_a_type_change_keeps_every_later_file_with_its_own_patch(tmp_path: Path) -> None:
    from dailydiff.sources.git import GitSource
    from dailydiff.timewindow import day_window
    from gitrepo import commit, git

    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: base", DAY, edits=[FileEdit("a.txt", "a\n"), FileEdit("t.txt", "t\n"),
                                                               FileEdit("z.txt", "zz\n")])])  # fmt: skip
    (repo / "a.txt").unlink()
    (repo / "a.txt").symlink_to("t.txt")  # a file becomes a symlink: git prints two patch sections for it
    git(repo, "add", "-A")
    commit(
        repo,
        CommitSpec("fix: retarget", DAY + dt.timedelta(minutes=5), edits=[FileEdit("z.txt", "zz\nzz2\n")]),
    )
    source = GitSource.open(str(repo), tmp_path / "data")
    (latest, _) = source.commits(day_window(dt.date(2026, 3, 3), "Asia/Shanghai"))
    files = {f.path: f for f in latest.files}
    assert files["z.txt"].patch == "@@ -1 +1,2 @@\n zz\n+zz2"
    assert "-a" in (files["a.txt"].patch or "") and "+t.txt" in (files["a.txt"].patch or "")


def test_a_bare_repository_whose_head_names_no_branch_suggests_the_branches(tmp_path: Path) -> None:
    from gitrepo import git

    work = tmp_path / "work"
    build_repo(work, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])], branch="trunk")
    bare = tmp_path / "bare.git"
    subprocess.run(
        ["git", "init", "-q", "--bare", "-b", "master", str(bare)], check=True, capture_output=True
    )
    git(work, "push", "-q", str(bare), "trunk")
    result = run("report", str(bare), "-d", "2026-03-03", "--data-dir", str(tmp_path / "data"))
    assert "--branch" in assert_one_line_error(result, 3) and "trunk" in result.stderr
    fixed = run(
        "report", str(bare), "-d", "2026-03-03", "--branch", "trunk", "--data-dir", str(tmp_path / "data")
    )
    assert fixed.returncode == 0 and "feat: one" in fixed.stdout, fixed.stderr


def test_a_mirrored_url_keeps_no_credentials_in_the_data_dir(tmp_path: Path) -> None:
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from gitrepo import git

    work = tmp_path / "work"
    build_repo(work, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    served = tmp_path / "served"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(work), str(served / "repo.git")], check=True, capture_output=True
    )
    git(served / "repo.git", "update-server-info")  # git's "dumb" HTTP protocol: plain files

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://alice:s3cret-pw@127.0.0.1:{server.server_address[1]}/repo.git"
        data = tmp_path / "data"
        for _ in range(2):  # a clone, then a fetch
            result = run("report", url, "-d", "2026-03-03", "--name", "demo", "--data-dir", str(data))
            assert result.returncode == 0 and "feat: one" in result.stdout, result.stderr
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    leaks = [p for p in data.rglob("*") if p.is_file() and b"s3cret-pw" in p.read_bytes()]
    assert leaks == []


@pytest.mark.parametrize("name", ["..", "a/..", ".", " "])
def test_a_repository_name_that_would_misplace_files_is_refused_before_any_work(
    tmp_path: Path, name: str
) -> None:
    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    out = tmp_path / "out"
    result = run("report", str(repo), "-d", "2026-03-03", "--name", name, "--data-dir", str(tmp_path / "data"),
                 "-o", str(out))  # fmt: skip
    assert "not a usable repository name" in assert_one_line_error(result, 3)
    assert not out.exists()


def test_a_path_template_without_ext_cannot_overwrite_one_format_with_another(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    config = tmp_path / "dailydiff.toml"
    config.write_text('[report]\npath_template = "{date}.txt"\nformats = ["md", "json"]\n', encoding="utf-8")
    out = tmp_path / "out"
    args = ["report", str(repo), "-d", "2026-03-03", "--data-dir", str(tmp_path / "data"), "-o", str(out)]
    result = run(*args, "-c", str(config))
    assert "the same file" in assert_one_line_error(result, 7)
    config.write_text(
        '[report]\npath_template = "{date}.{ext}"\nformats = ["md", "json"]\n', encoding="utf-8"
    )
    flat = run(*args, "-c", str(config))
    assert flat.returncode == 0 and sorted(p.name for p in out.iterdir()) == [
        "2026-03-03.json",
        "2026-03-03.md",
    ]
    assert f"wrote 2 file(s) under {out}\n" in flat.stderr  # not a directory two levels above


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown the clone")
def test_a_clone_owned_by_another_user_names_the_safe_directory_fix(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    for path in [repo, *repo.rglob("*")]:
        os.chown(path, 65534, 65534, follow_symlinks=False)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull}  # no safe.directory from the machine
    result = subprocess.run([sys.executable, "-m", "dailydiff", "report", str(repo), "-d", "2026-03-03",
                             "--data-dir", str(tmp_path / "data")], capture_output=True, text=True, timeout=120,
                            env={**env, "PYTHONPATH": str(ROOT / "src")})  # fmt: skip
    line = assert_one_line_error(result, 3)
    assert "dubious ownership" in line and "safe.directory" in line and str(repo) in line


def test_a_git_too_old_for_since_as_filter_says_so(tmp_path: Path) -> None:
    import shutil

    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"  # git 2.34 answers the option it does not know like this
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do case "$a" in --since-as-filter*) '
                    f'echo "fatal: unrecognized argument: $a" >&2; exit 128;; esac; done\nexec {shutil.which("git")} "$@"\n')  # fmt: skip
    fake.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT / "src"),
    }
    result = subprocess.run([sys.executable, "-m", "dailydiff", "report", str(repo), "-d", "2026-03-03",
                             "--data-dir", str(tmp_path / "data")], capture_output=True, text=True, timeout=120,
                            env=env)  # fmt: skip
    assert "git 2.37 or later" in assert_one_line_error(result, 3)


def test_serve_on_loopback_answers_only_its_own_host_names(tmp_path: Path) -> None:
    import http.client
    import socket
    import time

    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: private work", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    data = tmp_path / "data"
    assert run("report", str(repo), "-d", "2026-03-03", "-q", "--data-dir", str(data)).returncode == 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "dailydiff", "serve", "--port", str(port), "--data-dir", str(data)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip

    def get(host: str) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/api/commits", headers={"Host": host})
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()

    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status, body = get(f"127.0.0.1:{port}")
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "serve did not start"
                time.sleep(0.1)
        assert status == 200 and "private work" in body
        assert get(f"localhost:{port}")[0] == 200
        rebound = get(f"attacker.example:{port}")  # a page whose name now resolves to 127.0.0.1
        assert rebound[0] == 421 and "private work" not in rebound[1]
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
