"""Regressions from the adversarial review: hostile text, secrets and error paths, through the code a user
actually runs (the CLI, real git repositories, the fake GitHub API and LLM)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitrepo import CommitSpec, FileEdit, build_repo
from netports import free_port
from required import missing
from reviewkit import DAY, ROOT, assert_one_line_error, run, run_process


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
    assert "cannot write" in assert_one_line_error(no_summary, 74)  # an output that cannot be written
    assert "feat: one" in no_summary.stdout  # the report itself was delivered…
    again = run("report", str(repo), "-d", "2026-03-03", "-q", "--data-dir", str(data), "--summary-json",
                str(tmp_path / "summary.json"))  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert '"cached": 1' in (tmp_path / "summary.json").read_text()  # …and its analysis kept in the store


def test_an_output_directory_that_cannot_be_written_exits_74(tmp_path: Path) -> None:
    # The README's exit codes: 74, the output could not be written (7 is a delivery that failed).
    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    blocker = tmp_path / "a file"
    blocker.write_text("not a directory\n")
    result = run("report", str(repo), "-d", "2026-03-03", "-q", "--data-dir", str(tmp_path / "data"),
                 "-o", str(blocker / "out"))  # fmt: skip
    assert "cannot write" in assert_one_line_error(result, 74)


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
    from dailydiff.forges.github import ApiResponse

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
        env |= {"DAILYDIFF_LLM_BASE_URL": fake.base_url,
                "DAILYDIFF_LLM_MODEL": "m\x1b]0;pwned\x07\x1b[2J\x9b31m", "DAILYDIFF_LLM_RETRIES": "0"}  # fmt: skip
        result = run("report", str(repo), "--date", "2026-01-27", "--tz", "UTC", "--analyzer", "llm",
                     "--data-dir", str(tmp_path / "data"), "-o", str(tmp_path / "out"), env=env)  # fmt: skip
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
            env |= {"DAILYDIFF_LLM_BASE_URL": url, "DAILYDIFF_LLM_MODEL": fake.model}
            done = run("doctor", "--data-dir", str(tmp_path / "d"), env=env, cwd=tmp_path)
            output = done.stdout + done.stderr
            assert "llm: fake-model at http://127.0.0.1" in output, output
            assert "proxy-pass-123" not in output and "proxyuser" not in output and "q-456" not in output


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

    from dailydiff.common.text import md_cell, md_inline

    tokens = (
        MarkdownIt("commonmark")
        .enable("table")
        .parse(f"#### {md_inline(text)}\n\n| a |\n| --- |\n| {md_cell(text)} |\n")
    )
    inline = [child.type for tok in tokens if tok.children for child in tok.children]
    assert "html_inline" not in inline and [t.type for t in tokens].count("td_open") == 1, md_inline(text)


def test_a_model_list_item_cannot_open_a_nested_list_or_code_block() -> None:
    from markdown_it import MarkdownIt

    from dailydiff.common.text import md_block

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


@pytest.mark.slow
def test_serve_on_loopback_answers_only_its_own_host_names(tmp_path: Path) -> None:
    import http.client
    import time

    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: private work", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    data = tmp_path / "data"
    assert run("report", str(repo), "-d", "2026-03-03", "-q", "--data-dir", str(data)).returncode == 0
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}  # a real server process, stopped as a user would
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


def test_summary_json_through_a_symlink_or_stdout_writes_through_it(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    real = tmp_path / "kept" / "summary.json"
    real.parent.mkdir()
    link = tmp_path / "summary.json"
    link.symlink_to(real)  # like /dev/stdout -> /proc/self/fd/1, which must never be replaced
    args = [
        "report",
        str(repo),
        "-d",
        "2026-03-03",
        "-q",
        "--data-dir",
        str(tmp_path / "data"),
        "-o",
        str(tmp_path / "o"),
    ]
    result = run(*args, "--summary-json", str(link))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and '"reports"' in real.read_text()
    piped = run_process(*args, "--summary-json", "/dev/stdout")  # the process's own stdout
    assert piped.returncode == 0 and '"reports"' in piped.stdout, piped.stderr


def test_a_full_disk_on_stdout_is_one_line_and_keeps_the_analyses(tmp_path: Path) -> None:
    if not Path("/dev/full").is_char_device():
        missing("/dev/full")
    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    data = tmp_path / "data"
    with open("/dev/full", "w") as full:
        result = run_process(
            "report", str(repo), "-d", "2026-03-03", "-q", "--data-dir", str(data), stdout=full
        )
    assert "No space left on device" in assert_one_line_error(result, 74)
    again = run(
        "report",
        str(repo),
        "-d",
        "2026-03-03",
        "--data-dir",
        str(data),
        "--summary-json",
        str(tmp_path / "s"),
    )
    assert again.returncode == 0 and '"cached": 1' in (tmp_path / "s").read_text()
