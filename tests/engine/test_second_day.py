"""Issue 25 ("a second first day"): what still trips a newcomer. Each test is named after its item."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

import clirun
from dailydiff.analysis.heuristic.analyser import HeuristicAnalyzer
from dailydiff.common.i18n import change_type_labels
from dailydiff.common.timewindow import day_window
from dailydiff.models import ChangeType, Commit, FileChange, Person, Stats
from dailydiff.scoring.rules import commit_types, score_commit
from dailydiff.settings import load_settings
from fixtures import build_sample_repo
from gitrepo import git

WEIGHTS = load_settings(None, environ={}).scoring
MOMENT = dt.datetime(2026, 4, 24, 6, 3, tzinfo=dt.UTC)
DEV = Person(name="Alex Yang", email="alex@example.com", login="alexy")


def make_commit(title: str, files: dict[str, tuple[int, int]] | None = None, *, body: str = "",
                repo: str = "flashinfer-ai/flashinfer", sha: str = "e" * 40,
                committed_at: dt.datetime = MOMENT) -> Commit:  # fmt: skip
    changes = [FileChange(path=p, additions=a, deletions=d) for p, (a, d) in (files or {}).items()]
    stats = Stats(additions=sum(c.additions for c in changes), deletions=sum(c.deletions for c in changes),
                  files=len(changes))  # fmt: skip
    return Commit(repo=repo, sha=sha, author=DEV, committer=DEV, authored_at=committed_at,
                  committed_at=committed_at, message=f"{title}\n\n{body}" if body else title, files=changes,
                  stats=stats)  # fmt: skip


# scoring --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "[CI] run unit tests under compute-sanitizer (#2201)",
        "Fix out-of-bounds read reported by AddressSanitizer in the sampling kernel",
        "build: add UBSan and ASan jobs (-fsanitize=address,undefined)",
        "ci: ThreadSanitizer job for the scheduler",
    ],
)
def test_sanitizer_tool_names_are_not_security_words(title: str) -> None:
    commit = make_commit(title, {"csrc/sampling.cu": (12, 3), ".github/workflows/ci.yml": (8, 0)},
                         body="Found with compute-sanitizer --tool memcheck.")  # fmt: skip
    score = score_commit(commit, WEIGHTS)
    assert "security_words" not in score.signals, score.reasons
    assert ChangeType.SECURITY not in commit_types(commit)
    analysis = HeuristicAnalyzer().analyse(commit, score, score.level, "en")
    assert analysis.insights.security == "" and ChangeType.SECURITY not in analysis.change_types


def test_sanitizing_input_is_still_a_security_word() -> None:
    commit = make_commit("Sanitize user-supplied paths against path traversal", {"src/io.py": (10, 2)})
    assert "security_words" in score_commit(commit, WEIGHTS).signals


@pytest.mark.parametrize(
    "title", ["bump version to 0.6.9 (#3123)", "release v0.7.0", "chore: bump version to 1.2.3"]
)
def test_a_version_bump_is_a_release(title: str) -> None:
    commit = make_commit(title, {"version.txt": (1, 1)})
    assert commit_types(commit) == [ChangeType.RELEASE]
    score = score_commit(commit, WEIGHTS)
    analysis = HeuristicAnalyzer().analyse(commit, score, score.level, "en")
    assert analysis.change_types == [ChangeType.RELEASE]
    assert (
        change_type_labels("en")["release"] == "Release" and change_type_labels("zh")["release"] == "版本发布"
    )


# help and text --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("second-day") / "repo"
    build_sample_repo(repo)
    return repo


def cli(*args: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    from opsfixtures import dailydiff

    return dailydiff(*args, cwd=cwd, check=check)


def test_help_names_SOURCE_without_braces_and_h_works(tmp_path: Path) -> None:
    report = cli("report", "-h", cwd=tmp_path)
    assert report.stdout.startswith("Usage: dailydiff report [OPTIONS] SOURCE\n")
    assert "{" not in report.stdout.split("\n", 1)[0]
    assert "Usage: dailydiff store copy [OPTIONS] SRC DST" in cli("store", "copy", "-h", cwd=tmp_path).stdout
    assert "Usage: dailydiff weekly [OPTIONS] [SOURCE]" in cli("weekly", "-h", cwd=tmp_path).stdout
    assert "Commands" in cli("-h", cwd=tmp_path).stdout


def _tz_help(text: str) -> str:
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("--tz"))
    return " ".join(" ".join(lines[at : at + 2]).split())


def test_tz_help_shows_the_default_in_effect(tmp_path: Path) -> None:
    assert "[default: Asia/Shanghai]" in _tz_help(cli("report", "--help", cwd=tmp_path).stdout)
    (tmp_path / "dailydiff.toml").write_text('[report]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    for command in ("report", "run", "weekly", "digest"):
        assert "[default: Europe/Berlin]" in _tz_help(cli(command, "--help", cwd=tmp_path).stdout), command
    other = tmp_path / "other.toml"
    other.write_text('[report]\ntimezone = "America/New_York"\n', encoding="utf-8")
    assert "[default: America/New_York]" in _tz_help(cli("report", "-c", other, "-h", cwd=tmp_path).stdout)


def test_digest_takes_lang_and_tz(tmp_path: Path, sample: Path) -> None:
    config = tmp_path / "dailydiff.toml"
    config.write_text(
        f'[[repos]]\nsource = "{sample}"\n\n[[digest]]\nname = "team"\nrepos = ["*"]\n', encoding="utf-8"
    )
    data = tmp_path / "data"
    cli(
        "report",
        sample,
        "--date",
        "2026-01-19",
        "--tz",
        "UTC",
        "--lang",
        "en",
        "--data-dir",
        data,
        "-q",
        cwd=tmp_path,
    )
    digest = cli(
        "digest",
        "--date",
        "2026-01-19",
        "--lang",
        "en",
        "--tz",
        "UTC",
        "--data-dir",
        data,
        "-q",
        cwd=tmp_path,
    )
    assert "team" in digest.stdout and "commits" in digest.stdout.lower()
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in digest.stdout.split("##", 1)[0])  # an English digest
    wrong = cli(
        "digest", "--date", "2026-01-19", "--tz", "Mars/Base", "--data-dir", data, cwd=tmp_path, check=False
    )
    assert wrong.returncode == 2, wrong.stderr  # a usage error (README: exit codes)
    assert wrong.stderr.startswith("dailydiff: error: unknown timezone 'Mars/Base' — ")
    assert len(wrong.stderr.strip().splitlines()) == 1


def test_titles_render_inline_code_in_table_and_contents(tmp_path: Path, sample: Path) -> None:
    from markdown_it import MarkdownIt

    out = tmp_path / "out"
    cli("report", sample, "--date", "2026-01-19", "--tz", "Asia/Shanghai", "--lang", "en", "--format", "md,html",
        "-o", out, "--data-dir", tmp_path / "data", "-q", cwd=tmp_path)  # fmt: skip
    [md_file] = list(out.rglob("*.md"))
    [html_file] = list(out.rglob("*.html"))
    md = MarkdownIt("gfm-like", {"linkify": False})  # linkify needs linkify-it-py, which is not a dependency
    text = md_file.read_text(encoding="utf-8")
    contents = text.split("### 📋 Contents", 1)[1].split("<a id=", 1)[0]
    rendered = md.render(contents)
    assert "<code>code|pipe...</code>" in rendered and "<code>cuda-python</code>" in rendered
    assert "`" not in re.sub(r"<code>.*?</code>", "", rendered)  # no literal backtick left over
    table = md.render(text.split("### 📜 Commits", 1)[1].split("###", 1)[0])
    assert "<code>cuda-python</code>" in table and "<code>code|pipe</code>" in table
    page = html_file.read_text(encoding="utf-8")
    cells = re.findall(r'<td class="title">(.*?)</td>', page)
    toc = re.findall(r'<li data-sha="[0-9a-f]+"[^>]*><a href="#c-[0-9a-f]+">(.*?)</a></li>', page)
    headings = re.findall(r"<h3>(.*?)</h3>", page)
    for where in (cells, toc, headings):
        joined = " ".join(where)
        assert "<code>cuda-python</code>" in joined and "`" not in joined, where
        assert "&lt;script&gt;" in joined and "<script>" not in joined  # the rest stays escaped text
    assert any("<code>code|pipe...</code>" in entry for entry in toc)


def test_html_footer_is_in_the_reports_timezone(tmp_path: Path, sample: Path) -> None:
    out = tmp_path / "out"
    cli("report", sample, "--date", "2026-01-19", "--tz", "Asia/Shanghai", "--lang", "en", "--format", "html,md",
        "-o", out, "--data-dir", tmp_path / "data", "-q", cwd=tmp_path)  # fmt: skip
    [html_file] = list(out.rglob("*.html"))
    footer = re.search(r"Generated by dailydiff[^<]*", html_file.read_text(encoding="utf-8"))
    assert footer is not None
    assert "(UTC+08:00)" in footer.group(0) and " UTC<" not in footer.group(0) + "<", footer.group(0)
    [md_file] = list(out.rglob("*.md"))
    assert "(UTC+08:00)*" in md_file.read_text(encoding="utf-8")


def test_chinese_text_uses_chinese_list_punctuation(tmp_path: Path, sample: Path) -> None:
    data = tmp_path / "data"
    cli("report", sample, "--from", "2026-01-18", "--to", "2026-01-20", "--lang", "zh", "--data-dir", data, "-q",
        cwd=tmp_path)  # fmt: skip
    weekly = cli(
        "weekly", sample, "--week", "2026-W04", "--lang", "zh", "--data-dir", data, cwd=tmp_path
    ).stdout
    [types] = [line for line in weekly.splitlines() if "主要变更类型：" in line]
    assert "、" in types and ", " not in types, types
    [missing] = [line for line in weekly.splitlines() if "缺少" in line]
    assert "2026-01-21、2026-01-22" in missing and ", " not in missing


def test_missing_days_hint_tells_a_report_only_user_to_run_report(tmp_path: Path, sample: Path) -> None:
    data = tmp_path / "data"
    cli("report", sample, "--date", "2026-01-19", "--lang", "en", "--data-dir", data, "-q", cwd=tmp_path)
    weekly = cli(
        "weekly", sample, "--week", "2026-W04", "--lang", "en", "--data-dir", data, cwd=tmp_path
    ).stdout
    [hint] = [line for line in weekly.splitlines() if "have no report" in line]
    assert (
        f"dailydiff report {sample} --from 2026-01-20 --to 2026-01-25" in hint and "dailydiff run" not in hint
    )


# options honoured ----------------------------------------------------------------------------------


def test_format_json_or_html_without_output_dir_prints_that_format(tmp_path: Path, sample: Path) -> None:
    from dailydiff.models import DayReport

    data = tmp_path / "data"
    common = [
        "report",
        sample,
        "--date",
        "2026-01-19",
        "--tz",
        "Asia/Shanghai",
        "--lang",
        "en",
        "--data-dir",
        data,
        "-q",
    ]
    printed = cli(*common, "--format", "json", cwd=tmp_path).stdout
    assert DayReport.model_validate_json(printed).stats.total == 7
    page = cli(*common, "--format", "html", cwd=tmp_path).stdout
    assert page.lstrip().lower().startswith("<!doctype html>") and page.count("<html") == 1
    assert cli(*common, "--format", "md", cwd=tmp_path).stdout.startswith("# ")
    for refused, why in ((["--format", "md,json"], "stdout takes one format"),
                         (["--format", "html", "--date", "", "--from", "2026-01-18", "--to", "2026-01-19"], "one day")):  # fmt: skip
        args = [a for a in common if a not in ("--date", "2026-01-19")] + [
            a for a in refused if a != "--date" and a
        ]
        result = cli(*args, cwd=tmp_path, check=False)
        assert result.returncode == 2 and why in result.stderr and result.stdout == "", result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    # Several days of JSON: one document after the other (a JSON stream).
    many = cli(*[a for a in common if a not in ("--date", "2026-01-19")], "--from", "2026-01-18", "--to", "2026-01-19",
               "--format", "json", cwd=tmp_path).stdout  # fmt: skip
    decoder, at, dates = json.JSONDecoder(), 0, []
    while many[at:].strip():
        document, end = decoder.raw_decode(many, at + len(many[at:]) - len(many[at:].lstrip()))
        dates.append(document["date"])
        at = end
    assert dates == ["2026-01-18", "2026-01-19"]


def test_report_log_format_json_prints_json_logs(tmp_path: Path, sample: Path) -> None:
    data = tmp_path / "data"
    common = ["report", sample, "--date", "2026-01-19", "--tz", "UTC", "--lang", "en", "--data-dir", data]
    done = cli(*common, "--log-format", "json", "-o", tmp_path / "out", cwd=tmp_path)
    lines = done.stderr.strip().splitlines()
    records = [json.loads(line) for line in lines]  # every line is a JSON object
    assert any(" commits (" in r["message"] for r in records) and any(
        "wrote" in r["message"] for r in records
    )
    # A record names the repository by its id (the one the report and the store use), not by the path it
    # was read from; the path is its own field.
    named = [r for r in records if "repo" in r]
    assert named and {r["repo"] for r in named} == {"sgl-project/sglang"}, named
    assert {r.get("source") for r in named} == {str(sample)}, named
    refused = cli(*common, "--log-format", "json", "--tz", "Mars/Base", cwd=tmp_path, check=False)
    [error] = [json.loads(line) for line in refused.stderr.strip().splitlines()]
    assert refused.returncode == 2 and error["level"] == "error" and "Mars/Base" in error["message"]
    text = cli(*common, "-o", tmp_path / "out2", cwd=tmp_path).stderr
    assert " commits (" in text and not text.lstrip().startswith("{")


@pytest.mark.parametrize("command", ["report", "run"])
def test_summary_json_is_written_when_a_run_is_interrupted(tmp_path: Path, command: str) -> None:
    import signal
    import sys
    import time

    from clirun import default_sigint
    from fake_llm import FakeLLM
    from llm_fixtures import DAY, make_repo
    from opsfixtures import cli_env

    repo = make_repo(tmp_path / "repo")
    (tmp_path / "dailydiff.toml").write_text(
        f'[llm]\nconcurrency = 1\n[[repos]]\nsource = "{repo}"\nname = "demo"\n', encoding="utf-8"
    )
    summary = tmp_path / "summary.json"
    args = [command, *([str(repo)] if command == "report" else []), "--date", DAY.isoformat(), "--tz", "UTC",
            "--analyzer", "llm", "--data-dir", str(tmp_path / "data"), "--output-dir", str(tmp_path / "out"),
            "--summary-json", str(summary)]  # fmt: skip
    with FakeLLM(latency=0.6) as fake:
        env = {k: v for k, v in cli_env().items() if not k.startswith("DAILYDIFF_")}
        env.update(DAILYDIFF_LLM_BASE_URL=fake.base_url, DAILYDIFF_LLM_MODEL=fake.model,
                   DAILYDIFF_LLM_RETRIES="0", DAILYDIFF_LLM_RESPONSE_MODE="json_schema")  # fmt: skip
        with default_sigint():
            proc = subprocess.Popen([sys.executable, "-m", "dailydiff", *args], cwd=tmp_path, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while len(fake.requests) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(fake.requests) >= 2, "the command never reached the model"
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 130, err
    written = json.loads(summary.read_text(encoding="utf-8"))
    assert (
        written["status"] == "interrupted" and written["command"] == command and written["exit_code"] == 130
    )
    assert written["progress"]["days_total"] == 1 and written["progress"]["commits_total"] >= 2


# doctor ---------------------------------------------------------------------------------------------


def test_doctor_gives_each_check_a_short_deadline_and_a_hanging_llm_does_not_block(tmp_path: Path) -> None:
    """A fresh machine: no GitHub token, a repository on (a fake) GitHub, and an LLM endpoint that accepts
    connections and never answers (everything, or only the chat completions: GET /models answers), with
    180 s configured for an answer: doctor gives each check its own deadline (10 s unless `--deadline` says
    otherwise), ends within it and every line passes or says what to do.

    The two endpoints' doctors wait out their `--deadline` at the same time: the one whose endpoint answers
    nothing in this process (2 s), the other as a real process beside it (5 s: its check imports the LLM
    client first, on a possibly loaded machine, and must still reach its endpoint). Each says which deadline
    cut its check off; neither waits for the configured 180 s."""
    import subprocess
    import sys
    import time

    from fake_github import FakeGitHub
    from fake_llm import FakeLLM
    from opsfixtures import build_fixture_repo, cli_env, dailydiff

    build_fixture_repo(tmp_path / "demo", 0, per_day=1)
    (tmp_path / "dailydiff.toml").write_text(
        '[llm]\ntimeout = 180\nread_timeout = 180\n[[repos]]\nsource = "octo/demo"\nname = "demo"\n'
        'analyzer = "llm"\n', encoding="utf-8")  # fmt: skip
    with (
        FakeGitHub({"octo/demo": tmp_path / "demo"}) as github,
        FakeLLM(hang_all=True) as everything,
        FakeLLM(hang_first=10**6) as completions,
    ):

        def env(llm: FakeLLM) -> dict[str, str]:
            return {"DAILYDIFF_GITHUB_API_URL": github.url, "GITHUB_TOKEN": "", "DAILYDIFF_GITHUB_TOKEN": "",
                    "GH_TOKEN": "", "DAILYDIFF_LLM_BASE_URL": llm.base_url, "DAILYDIFF_LLM_MODEL": llm.model,
                    "DAILYDIFF_LLM_API_KEY": "sk-test"}  # fmt: skip

        command = [sys.executable, "-m", "dailydiff", "doctor", "--data-dir", str(tmp_path / "data-beside"),
                   "--deadline", "5"]  # fmt: skip
        started = time.monotonic()
        beside = subprocess.Popen(command, cwd=tmp_path, env=cli_env(**env(completions)), text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        here = dailydiff("doctor", "--data-dir", tmp_path / "data", "--deadline", "2", cwd=tmp_path, check=False,
                         env=env(everything))  # fmt: skip
        took_here = time.monotonic() - started
        stdout, _ = beside.communicate(timeout=120)
        took_beside = time.monotonic() - started
    print(f"doctor took {took_here:.1f} s here, {took_beside:.1f} s beside")
    # What was cut says which deadline held (the ✗ lines below: 2 s and 5 s, not doctor's default 10 s); the
    # times only show that nothing waited for the configured 180 s, with room for a loaded machine.
    assert took_here < 60, f"doctor took {took_here:.1f} s"
    assert took_beside < 90, f"doctor beside took {took_beside:.1f} s"
    assert "[default: 10.0" in dailydiff("doctor", "--help", cwd=tmp_path).stdout  # short unless told
    assert everything.gets and completions.gets  # each doctor asked its own endpoint
    for returncode, output, deadline in ((here.returncode, here.stdout, 2), (beside.returncode, stdout, 5)):
        lines = [line for line in output.splitlines() if line[:2] in ("✓ ", "✗ ", "! ")]
        assert any(line.startswith("✓ github: no token") for line in lines), output
        assert any(line.startswith("✓ repository demo") for line in lines), output
        [llm] = [line for line in lines if line.startswith("✗ llm")]
        assert llm.startswith(
            f"✗ llm: no answer within {deadline} s — fix: the endpoint accepts the connection"
        ), llm
        assert all(line.startswith("✓") or "— fix: " in line for line in lines), lines
        assert returncode == 1


def test_doctor_advice_for_a_github_secondary_rate_limit_is_not_about_the_token(tmp_path: Path) -> None:
    from fake_github import FakeGitHub
    from opsfixtures import build_fixture_repo, dailydiff

    build_fixture_repo(tmp_path / "demo", 0, per_day=1)
    (tmp_path / "dailydiff.toml").write_text(
        '[[repos]]\nsource = "octo/demo"\nname = "demo"\n', encoding="utf-8"
    )
    token = "ghp_secondary0123456789"
    with FakeGitHub({"octo/demo": tmp_path / "demo"}, token=token) as github:
        github.secondary_limit(42.0, count=10)
        env = {"DAILYDIFF_GITHUB_API_URL": github.url, "GITHUB_TOKEN": "", "DAILYDIFF_GITHUB_TOKEN": token}
        result = dailydiff("doctor", "--data-dir", tmp_path / "data", cwd=tmp_path, check=False, env=env)
    lines = [line for line in result.stdout.splitlines() if line.startswith("✗ ")]
    github_lines = [line for line in lines if line.startswith(("✗ github", "✗ repository demo"))]
    assert len(github_lines) == 2, result.stdout
    for line in github_lines:
        fix = line.split("— fix: ", 1)[1]
        assert "secondary rate limit" in fix and "wait 42 s" in fix, line
        assert "token was rejected" not in fix and "grant it access" not in fix and "api_url" not in fix
    assert token not in result.stdout + result.stderr


# --explain and --reanalyze ------------------------------------------------------------------------------


def test_explain_finds_the_commits_day_itself_and_builds_nothing(tmp_path: Path, sample: Path) -> None:
    from dailydiff.store import Store

    sha = git(sample, "log", "-1", "--format=%H", "--grep=Bugfix").strip()
    data = tmp_path / "data"
    # Without --date (yesterday would not hold it), with the full sha: the repository says when it landed.
    explained = cli("report", sample, "--explain", sha, "--data-dir", data, cwd=tmp_path)
    lines = explained.stdout.splitlines()
    assert lines[0] == "sgl-project/sglang: landed on 2026-01-19 (Asia/Shanghai)" and lines[1].startswith(
        sha[:12]
    )
    assert "score " in explained.stdout and "# " not in explained.stdout
    with Store.open(data) as store:
        assert (
            store.list_reports() == [] and store.runs() == [] and store.count_analyses() == 0
        )  # built nothing
    # From the store: a built day's level is shown; a wrong --date does not matter.
    cli("report", sample, "--date", "2026-01-19", "--lang", "en", "--data-dir", data, "-q", cwd=tmp_path)
    with Store.open(data) as store:
        runs = len(store.runs())
    again = cli("report", sample, "--explain", sha[:7], "--date", "2026-01-01", "--lang", "en", "--data-dir", data,
                cwd=tmp_path)  # fmt: skip
    assert again.stdout.splitlines()[0] == "sgl-project/sglang: landed on 2026-01-19 (Asia/Shanghai)"
    with Store.open(data) as store:
        assert len(store.runs()) == runs
    unknown = cli("report", sample, "--explain", "0123abc", "--data-dir", data, cwd=tmp_path, check=False)
    assert unknown.returncode == 2 and "no commit of sgl-project/sglang starts with it" in unknown.stderr
    assert "give more of the sha" not in unknown.stderr


def _llm_day(tmp_path: Path) -> tuple[Path, str, Path]:
    """A repository with a day of commits (llm_fixtures.DAY), its last commit of that day, a data directory."""
    from llm_fixtures import DAY, make_repo

    repo = make_repo(tmp_path / "repo")
    sha = git(repo, "log", "-1", "--format=%H", f"--until={DAY.isoformat()}T23:59:59Z").strip()
    return repo, sha, tmp_path / "data"


def _llm_report(fake: Any, repo: Path, data: Path) -> tuple[dict[str, str], list[str]]:
    """The environment and the `report` arguments that analyse ``repo`` with the fake LLM, in English."""
    from opsfixtures import cli_env

    env = {k: v for k, v in cli_env().items() if not k.startswith("DAILYDIFF_")}
    env.update(DAILYDIFF_LLM_BASE_URL=fake.base_url, DAILYDIFF_LLM_MODEL=fake.model,
               DAILYDIFF_LLM_RESPONSE_MODE="json_schema")  # fmt: skip
    return env, [
        "report",
        str(repo),
        "--tz",
        "UTC",
        "--lang",
        "en",
        "--analyzer",
        "llm",
        "--data-dir",
        str(data),
    ]


def test_reanalyze_analyses_one_commit_again_and_rebuilds_its_day(tmp_path: Path) -> None:
    from dailydiff.store import Store
    from fake_llm import FakeLLM
    from llm_fixtures import DAY

    repo, sha, data = _llm_day(tmp_path)
    with FakeLLM() as fake:
        env, common = _llm_report(fake, repo, data)
        first = clirun.dailydiff(*common, "--date", DAY.isoformat(), "-q", cwd=tmp_path, env=env)
        assert first.returncode == 0, first.stderr
        with Store.open(data) as store:
            report = store.get_report(repo.name, DAY, "en")
            assert report is not None and sha in {rc.sha for rc in report.commits}
        fake.reset()
        again = clirun.dailydiff(*common, "--reanalyze", sha[:10], cwd=tmp_path, env=env)
        assert again.returncode == 0, again.stderr
        asked = fake.analysis_requests()
    assert len(asked) == 1 and sha[:7] in asked[0].prompt_text  # that commit only, the others from the store
    assert f"re-analysing {sha[:12]}" in again.stderr and f"building {DAY}" in again.stderr
    assert again.stdout.startswith("# ") and DAY.isoformat() in again.stdout.splitlines()[0]
    both = clirun.dailydiff(*common, "--reanalyze", sha, "--explain", sha, cwd=tmp_path, env=env)
    assert both.returncode == 2 and "exclude each other" in both.stderr


def test_a_reanalysis_never_lowers_the_days_tokens_and_shows_the_spent_part_apart(tmp_path: Path) -> None:
    from dailydiff.store import Store
    from fake_llm import FakeLLM
    from llm_fixtures import DAY

    repo, sha, data = _llm_day(tmp_path)
    with FakeLLM() as fake:
        env, common = _llm_report(fake, repo, data)
        assert (
            clirun.dailydiff(*common, "--date", DAY.isoformat(), "-q", cwd=tmp_path, env=env).returncode == 0
        )
        with Store.open(data) as store:
            before = store.get_report(repo.name, DAY, "en")
        assert before is not None
        old = next(rc.analysis for rc in before.commits if rc.sha == sha)
        assert old is not None and old.usage.prompt_tokens > 0 and before.stats.replaced_prompt_tokens == 0
        again = clirun.dailydiff(*common, "--reanalyze", sha[:10], cwd=tmp_path, env=env)
        assert again.returncode == 0, again.stderr
        with Store.open(data) as store:
            after = store.get_report(repo.name, DAY, "en")
        assert after is not None
        # The new answer's tokens come on top of what the dropped one cost: the figure never drops.
        new = next(rc.analysis for rc in after.commits if rc.sha == sha)
        assert new is not None and new.usage.prompt_tokens > 0
        spent = (old.usage.prompt_tokens, old.usage.completion_tokens)
        assert (after.stats.replaced_prompt_tokens, after.stats.replaced_completion_tokens) == spent
        current = before.stats.prompt_tokens - old.usage.prompt_tokens + new.usage.prompt_tokens
        assert after.stats.prompt_tokens == current + spent[0] > before.stats.prompt_tokens
        assert f"(of them {spent[0]}+{spent[1]} spent on replaced analyses)" in again.stdout
        assert f"(of them {spent[0]}+{spent[1]} spent on replaced analyses)" in again.stderr
        # A second re-analysis adds the second answer's cost; a plain re-run changes nothing.
        clirun.dailydiff(*common, "--reanalyze", sha[:10], "-q", cwd=tmp_path, env=env)
        summary = tmp_path / "summary.json"
        clirun.dailydiff(
            *common, "--date", DAY.isoformat(), "--summary-json", str(summary), "-q", cwd=tmp_path, env=env
        )
        with Store.open(data) as store:
            third = store.get_report(repo.name, DAY, "en")
        assert third is not None
        assert third.stats.replaced_prompt_tokens == spent[0] + new.usage.prompt_tokens
        assert third.stats.prompt_tokens > after.stats.prompt_tokens
        totals = json.loads(summary.read_text())["totals"]
        assert totals["day_prompt_tokens"] == third.stats.prompt_tokens and totals["prompt_tokens"] == 0
        assert totals["day_replaced_prompt_tokens"] == third.stats.replaced_prompt_tokens


# branches ---------------------------------------------------------------------------------------------


def test_branch_names_are_shown_for_commits_off_the_default_branch(tmp_path: Path, sample: Path) -> None:
    from dailydiff.models import DayReport
    from dailydiff.render.chat import day_message
    from fixtures import at
    from gitrepo import CommitSpec, FileEdit, commit

    repo = tmp_path / "repo"
    git(tmp_path, "clone", "-q", str(sample), str(repo))
    git(repo, "checkout", "-q", "-b", "feature/kv-cache")
    side = commit(repo, CommitSpec("[Feature] paged KV cache for the `fp8` path", at(19, 12),
                                   edits=[FileEdit("python/sglang/srt/mem_cache/paged.py", "x = 1\n" * 300)]))  # fmt: skip
    git(repo, "checkout", "-q", "main")
    config = tmp_path / "dailydiff.toml"
    config.write_text('[[watch]]\nname = "kv"\nkeywords = ["KV cache"]\n', encoding="utf-8")
    out = tmp_path / "out"
    cli("report", repo, "--all-branches", "--date", "2026-01-19", "--lang", "en", "--format", "md,html,json",
        "-o", out, "--data-dir", tmp_path / "data", "-q", cwd=tmp_path)  # fmt: skip
    report = DayReport.model_validate_json(next(out.rglob("*.json")).read_text(encoding="utf-8"))
    assert report.branch == "main"
    branches = {rc.sha: rc.branches for rc in report.commits}
    assert branches[side] == ["feature/kv-cache"]
    assert all(b == ["main"] for sha, b in branches.items() if sha != side)  # never "HEAD"
    md = next(out.rglob("*.md")).read_text(encoding="utf-8")
    assert md.count("🌿") == 2  # the table row and the commit's meta line, for that commit only
    [row] = [line for line in md.splitlines() if line.startswith("| ") and "paged KV cache" in line]
    assert "🌿 `feature/kv-cache`" in row
    assert "| 🌿 branch `feature/kv-cache`" in md
    page = next(out.rglob("*.html")).read_text(encoding="utf-8")
    assert page.count("<code>feature/kv-cache</code>") == 2 and "<code>main</code>" not in page
    chat = day_message(report)
    spans = [span for section in chat.sections for line in section.lines for span in line]
    assert any(span.text == "feature/kv-cache" and span.code for span in spans)
    assert not any(span.text == "main" for span in spans)


def test_a_detached_head_clone_names_its_branch_not_HEAD(tmp_path: Path, sample: Path) -> None:
    from dailydiff.sources.git import GitSource

    repo = tmp_path / "ci-checkout"
    git(tmp_path, "clone", "-q", str(sample), str(repo))
    git(repo, "checkout", "-q", "--detach", "main")
    git(repo, "branch", "-q", "-D", "main")  # as actions/checkout leaves it: a detached HEAD, origin/main
    for all_branches in (False, True):
        source = GitSource.open(str(repo), tmp_path / "data", all_branches=all_branches)
        commits = source.commits(day_window(dt.date(2026, 1, 19), "Asia/Shanghai"))
        assert commits and {tuple(c.branches) for c in commits} == {("origin/main",)}, all_branches
        assert source.default_branch == "origin/main"


# reverts ----------------------------------------------------------------------------------------------


def _revert_repo(path: Path, remote: str | None) -> list[str]:
    from fixtures import at
    from gitrepo import CommitSpec, FileEdit, build_repo

    shas = build_repo(path, [
        CommitSpec("Initial import", at(10, 10), edits=[FileEdit("pkg/a.py", "x = 1\n"), FileEdit("pkg/c.py", "z = 1\n")]),
        CommitSpec("[Feature] old cache (#15000)", at(10, 11), edits=[FileEdit("pkg/c.py", "z = 2\n")]),
        CommitSpec("[Perf] fuse q, k norm (#17241)", at(18, 10), edits=[FileEdit("pkg/a.py", "x = 2\n")]),
    ])  # fmt: skip
    from gitrepo import commit

    body = "\n\nThis reverts commit {sha}."
    shas.append(commit(path, CommitSpec('Revert "[Perf] fuse q, k norm (#17241)"' + body.format(sha=shas[2]),
                                        at(19, 9), edits=[FileEdit("pkg/a.py", "x = 1\n")])))  # fmt: skip
    shas.append(commit(path, CommitSpec('Revert "[Feature] old cache (#15000)"' + body.format(sha=shas[1]),
                                        at(19, 10), edits=[FileEdit("pkg/c.py", "z = 1\n")])))  # fmt: skip
    if remote:
        git(path, "remote", "add", "origin", remote)
    return shas


@pytest.mark.parametrize(
    ("remote", "page"),
    [
        ("https://github.com/o/n.git", "https://github.com/o/n/commit/{sha}"),
        ("git@gitlab.com:group/n.git", "https://gitlab.com/group/n/-/commit/{sha}"),
        ("https://codeberg.org/o/n.git", "https://codeberg.org/o/n/commit/{sha}"),
        (None, ""),
    ],
)
def test_reverts_link_across_days_and_forges(tmp_path: Path, remote: str | None, page: str) -> None:
    from dailydiff.render import renderers_for
    from dailydiff.render.html import day_view
    from dailydiff.store import Store
    from fixtures import build_day_reports

    render_markdown = renderers_for(load_settings(None, environ={}))[
        "md"
    ]  # files laid out as {year}/{repo_name}/…
    repo = tmp_path / "repo"
    _, old, perf, revert, old_revert = _revert_repo(repo, remote)
    data = tmp_path / "data"
    day18, day19 = dt.date(2026, 1, 18), dt.date(2026, 1, 19)
    for days in ([day18], [day19]):  # the reverted commit's day first, then the revert's
        build_day_reports(repo, data, days, "en", MOMENT)
    with Store.open(data) as store:
        name = store.list_reports()[0][0]
        first, second = store.get_report(name, day18, "en"), store.get_report(name, day19, "en")
    assert first is not None and second is not None
    text19 = render_markdown(second)
    # The revert of a reported commit links to that day's report file, and that commit learnt "reverted by".
    assert f"↩️ Reverts [`{perf[:7]}`](2026-01-18.md#c-{perf[:7]})" in text19
    [undone] = [rc for rc in first.commits if rc.sha == perf]
    assert [r.sha for r in undone.reverted_by] == [revert]
    text18 = render_markdown(first)
    assert f"↩️ Reverted by [`{revert[:7]}`](2026-01-19.md#c-{revert[:7]})" in text18
    assert text18.count("Reverted by") == 1
    site = {c["sha"]: c for c in day_view(second, day_link=lambda d: f"{d}.html")["commits"]}
    assert site[revert]["reverts"]["href"] == f"2026-01-18.html#c-{perf[:7]}"
    # The revert of a commit never fetched (the 10th was not built): the forge's page, or the sha alone.
    line = next(x for x in text19.splitlines() if x.startswith("**SHA**") and old_revert[:7] in x)
    if page:
        assert f"↩️ Reverts [`{old[:7]}`]({page.format(sha=old)})" in line
    else:
        assert f"↩️ Reverts `{old[:7]}`" in line and "](" not in line.split("Reverts", 1)[1]


def test_reverts_link_when_the_revert_day_is_built_first(tmp_path: Path) -> None:
    from dailydiff.store import Store
    from fixtures import build_day_reports

    repo = tmp_path / "repo"
    _, _, perf, revert, _ = _revert_repo(repo, "https://github.com/o/n.git")
    data = tmp_path / "data"
    build_day_reports(repo, data, [dt.date(2026, 1, 19)], "en", MOMENT)
    build_day_reports(repo, data, [dt.date(2026, 1, 18)], "en", MOMENT)
    with Store.open(data) as store:
        first = store.get_report("o/n", dt.date(2026, 1, 18), "en")
        second = store.get_report("o/n", dt.date(2026, 1, 19), "en")
    assert first is not None and second is not None
    assert [r.sha for rc in first.commits if rc.sha == perf for r in rc.reverted_by] == [revert]
    [linked] = [rc.reverts for rc in second.commits if rc.sha == revert]
    assert linked is not None and linked.sha == perf and linked.date == dt.date(2026, 1, 18)


def test_an_add_then_revert_pair_is_one_highlight(tmp_path: Path) -> None:
    from fixtures import at, build_day_reports
    from gitrepo import CommitSpec, FileEdit, build_repo

    repo = tmp_path / "repo"
    build_repo(repo, [
        CommitSpec("Initial import", at(18, 10), edits=[FileEdit("src/core/a.py", "x = 1\n")]),
        CommitSpec("[Feature] speculative decoding for the scheduler (#2001)", at(19, 10),
                   edits=[FileEdit("src/core/spec.py", "def run(x):\n    return x\n" * 200)]),
        CommitSpec('Revert "[Feature] speculative decoding for the scheduler (#2001)" (#2002)', at(19, 15),
                   edits=[FileEdit("src/core/spec.py", None)]),
        CommitSpec("[Bugfix] fix nan in attention (#2003)", at(19, 16),
                   edits=[FileEdit("src/core/a.py", "x = 2\n")]),
    ])  # fmt: skip
    for language, word in (("en", "added and reverted the same day"), ("zh", "当天添加又回滚")):
        [report] = build_day_reports(
            repo, tmp_path / f"data-{language}", [dt.date(2026, 1, 19)], language, MOMENT
        )
        highlights = report.overview.highlights
        about = [h for h in highlights if "peculative decoding" in h]
        assert len(about) == 1 and word in about[0], highlights
        assert any("nan in attention" in h for h in highlights)


def test_chinese_report_and_chat_lists_use_chinese_punctuation(tmp_path: Path, sample: Path) -> None:
    from dailydiff.models import DayReport
    from dailydiff.render.chat import day_message

    (tmp_path / "dailydiff.toml").write_text(
        '[[watch]]\nname = "lora"\nkeywords = ["LoRA"]\n\n[[watch]]\nname = "overlap"\nkeywords = ["overlap"]\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    cli("report", sample, "--date", "2026-01-19", "--lang", "zh", "--format", "md,json", "-o", out,
        "--data-dir", tmp_path / "data", "-q", cwd=tmp_path)  # fmt: skip
    md = next(out.rglob("*.md")).read_text(encoding="utf-8")
    assert "**👀 关注**：lora、overlap" in md and "lora, overlap" not in md
    report = DayReport.model_validate_json(next(out.rglob("*.json")).read_text(encoding="utf-8"))
    texts = [span.text for section in day_message(report).sections for line in section.lines for span in line]
    assert "👀 lora、overlap · " in texts, texts


def test_weekly_digest_and_explain_formats_are_honoured_or_refused_in_one_line(
    tmp_path: Path, sample: Path
) -> None:
    data = tmp_path / "data"
    (tmp_path / "dailydiff.toml").write_text('[[digest]]\nname = "team"\nrepos = ["*"]\n', encoding="utf-8")
    cli("report", sample, "--date", "2026-01-19", "--lang", "en", "--data-dir", data, "-q", cwd=tmp_path)
    week = ["weekly", sample, "--week", "2026-W04", "--lang", "en", "--data-dir", data]
    printed = json.loads(cli(*week, "--format", "json", cwd=tmp_path).stdout)
    assert printed["week"] == "2026-W04"
    day = ["digest", "--date", "2026-01-19", "--lang", "en", "--data-dir", data]
    assert json.loads(cli(*day, "--format", "json", cwd=tmp_path).stdout)["name"] == "team"
    sha = git(sample, "log", "-1", "--format=%H", "--grep=Bugfix").strip()
    for args in ([*week, "--format", "md,json"], [*day, "--format", "md,html"],
                 ["report", sample, "--explain", sha, "-o", tmp_path / "out", "--data-dir", data]):  # fmt: skip
        refused = cli(*args, cwd=tmp_path, check=False)
        assert refused.returncode == 2 and refused.stdout == "", (args, refused.stdout)
        assert len(refused.stderr.strip().splitlines()) == 1 and refused.stderr.startswith(
            "dailydiff: error: "
        )
    assert not (tmp_path / "out").exists()
