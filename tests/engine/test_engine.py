"""One engine for `report` and `run`: the same flags, the same figures everywhere, and Ctrl-C that stops at
once, keeps what was analysed and resumes without asking again."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from clirun import dailydiff, default_sigint, watched_exit
from dailydiff.cli.app import app
from dailydiff.cli.options import SHARED
from dailydiff.models import DayReport
from dailydiff.store import Store
from dailyrepos import build_daily_repo
from fake_llm import FakeLLM
from llm_fixtures import DAY, make_repo

SRC = Path(__file__).resolve().parents[2] / "src"
PRICES = '[llm.models."fake-model"]\ninput_price = 2.0\noutput_price = 8.0\n'


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("engine") / "repo")


def _params(command: str) -> dict[str, Any]:
    click_app = typer.main.get_command(app)
    cmd = click_app.commands[command]  # type: ignore[attr-defined]
    return {p.name: p for p in cmd.params}


def test_report_and_run_take_the_same_shared_flags_and_name_their_values() -> None:
    report, run = _params("report"), _params("run")
    assert set(SHARED) <= set(report) and set(SHARED) <= set(run)
    both = (set(report) & set(run)) - {"help"}
    assert both == {*SHARED, "output_dir"}, sorted(both)  # --output-dir: each says where its files go

    def shape(p: Any) -> tuple[Any, ...]:
        return (tuple(p.opts), tuple(p.secondary_opts), p.metavar, p.help, p.default, p.is_flag)

    for name in SHARED:
        assert shape(report[name]) == shape(run[name]), name
    runner = CliRunner()
    for command in ("report", "run"):
        text = runner.invoke(app, [command, "--help"], terminal_width=200).output
        assert not re.search(r"<(str|int|path|list\[str\]|bool)>", text), text
        for metavar in ("DATE", "DIR", "FORMATS", "FILE", "TZ", "LANG"):
            assert metavar in text, (command, metavar)


def _env(fake: FakeLLM, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
    env.update(PYTHONPATH=str(SRC), DAILYDIFF_LLM_BASE_URL=fake.base_url, DAILYDIFF_LLM_MODEL=fake.model,
               DAILYDIFF_LLM_BACKOFF="0.01", DAILYDIFF_LLM_RETRIES="0",
               DAILYDIFF_LLM_RESPONSE_MODE="json_schema", **extra)  # fmt: skip
    return env


def _cli(*args: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A command in-process (tests/clirun.py): what it prints and exits with is the point, not the process
    (the SIGINT test below starts a real one)."""
    return dailydiff(*args, cwd=cwd, env=env)


def _stats_line(md: str) -> str:
    return next(line for line in md.splitlines() if line.startswith("> "))


def _assert_figures_agree(md: str, report: DayReport, figures: dict[str, Any], stderr: str) -> None:
    s = report.stats
    assert s.fallback >= 1 and s.prompt_tokens > 0 and s.cost > 0  # the faults happened, tokens were priced
    line = _stats_line(md)
    assert f"🔢 tokens of this day {s.prompt_tokens}+{s.completion_tokens}" in line
    assert f"💰 cost of this day ${s.cost:.4f}" in line
    assert f"⚠️ fallback {s.fallback} | ❌ failed analyses {s.failed}" in line
    # The run's own figures (what it spent) are the report's on a fresh run.
    assert (report.run.prompt_tokens, report.run.completion_tokens) == (s.prompt_tokens, s.completion_tokens)
    assert round(report.run.cost, 4) == round(s.cost, 4)
    assert (report.run.fallback, report.run.failed) == (s.fallback, s.failed)
    assert (figures["prompt_tokens"], figures["completion_tokens"]) == (s.prompt_tokens, s.completion_tokens)
    assert round(figures["cost"], 4) == round(s.cost, 4)
    assert (figures["fallback"], figures["failed"]) == (s.fallback, s.failed)
    assert (figures["day_prompt_tokens"], figures["day_completion_tokens"]) == (
        s.prompt_tokens,
        s.completion_tokens,
    )
    assert round(figures["day_cost"], 4) == round(s.cost, 4)
    words = f"this run: analysed {report.run.analysed}, cached {report.run.cached}, fallback {s.fallback}, failed {s.failed}"
    assert words in stderr, stderr
    run_spent = f"tokens {report.run.prompt_tokens}+{report.run.completion_tokens}"
    assert run_spent in stderr or not report.run.prompt_tokens, stderr
    assert f"of the day: tokens {s.prompt_tokens}+{s.completion_tokens}, ${s.cost:.4f}" in stderr, stderr


def _day_sum(report: DayReport) -> tuple[int, int, float]:
    """A day's tokens and cost as defined: the sum over its stored analyses and its overview."""
    usages = [c.analysis.usage for c in report.commits if c.analysis is not None] + [report.overview.usage]
    return (sum(u.prompt_tokens for u in usages), sum(u.completion_tokens for u in usages),
            round(sum(u.cost for u in usages), 6))  # fmt: skip


def test_tokens_cost_and_failure_counts_agree_in_markdown_json_summary_and_stderr(
    repo: Path, tmp_path: Path
) -> None:
    (tmp_path / "dailydiff.toml").write_text(
        PRICES + f'[[repos]]\nsource = "{repo}"\nname = "demo"\n', encoding="utf-8"
    )
    # Faults: the first request fails (one commit falls back to the rules), and the model rates every
    # commit high (each is analysed again, deeper: two requests a commit, under the cap of three; a broken
    # first answer on top would need four, which the cap refuses — see tests/test_llm_endpoints.py).
    with FakeLLM(fail_first_asked=1, importance="high") as fake:  # (the run's canary before it is answered)
        env = _env(fake)
        common = ["--date", DAY.isoformat(), "--tz", "UTC", "--lang", "en", "--analyzer", "llm",
                  "--format", "md,json,html"]  # fmt: skip
        done = _cli("report", repo, *common, "--data-dir", tmp_path / "d1", "--output-dir", tmp_path / "o1",
                    "--summary-json", tmp_path / "report.json", cwd=tmp_path, env=env)  # fmt: skip
        assert done.returncode == 0, done.stderr
        md = next((tmp_path / "o1").rglob("*.md")).read_text(encoding="utf-8")
        report = DayReport.model_validate_json(
            next((tmp_path / "o1").rglob("*.json")).read_text(encoding="utf-8")
        )
        summary = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
        assert summary["reports"][0]["escalated"] >= 1
        _assert_figures_agree(md, report, summary["reports"][0], done.stderr)
        assert summary["totals"]["prompt_tokens"] == report.stats.prompt_tokens
        html = next((tmp_path / "o1").rglob("*.html")).read_text(encoding="utf-8")
        assert f"🔢 tokens of this day {report.stats.prompt_tokens}+{report.stats.completion_tokens}" in html
        assert _day_sum(report) == (report.stats.prompt_tokens, report.stats.completion_tokens,
                                    round(report.stats.cost, 6))  # fmt: skip

        # A re-run: the failed analysis is tried again (the endpoint is fine now), the rest comes from the
        # store; the day's figures are again the sum of its stored analyses. A further re-run re-analyses
        # nothing: this run spends 0 and the day's tokens and cost do not move (built again with --force: without
        # it, a day that nothing changed is left as it is, tests/test_rerun.py).
        rerun: list[DayReport] = []
        for n in range(2):
            again = _cli("report", repo, *common, "--data-dir", tmp_path / "d1", "--output-dir", tmp_path / "o1",
                         "--summary-json", tmp_path / "again.json", *(["--force"] if n else []), cwd=tmp_path,
                         env=env)  # fmt: skip
            assert again.returncode == 0, again.stderr
            rerun.append(DayReport.model_validate_json(
                next((tmp_path / "o1").rglob("*.json")).read_text(encoding="utf-8")))  # fmt: skip
            day = rerun[-1]
            assert _day_sum(day) == (
                day.stats.prompt_tokens,
                day.stats.completion_tokens,
                round(day.stats.cost, 6),
            )
            again_md = next((tmp_path / "o1").rglob("*.md")).read_text(encoding="utf-8")
            assert f"💰 cost of this day ${day.stats.cost:.4f}" in again_md
            assert (
                f"of the day: tokens {day.stats.prompt_tokens}+{day.stats.completion_tokens}" in again.stderr
            )
        assert rerun[0].run.analysed == 1 and rerun[0].stats.fallback == 0  # the failed one, now analysed
        assert rerun[1].run.analysed == 0 and rerun[1].run.cost == 0 and rerun[1].run.prompt_tokens == 0
        cached = rerun[1].stats.total - rerun[1].stats.merges
        assert (
            rerun[1].run.cached == cached
            and f"this run: analysed 0, cached {cached}, fallback 0, failed 0" in again.stderr
        )
        assert (rerun[1].stats.prompt_tokens, rerun[1].stats.cost) == (
            rerun[0].stats.prompt_tokens,
            rerun[0].stats.cost,
        )

        fake.reset()
        fake.fail_first = len(fake.requests) + 1  # the same fault for the second command
        ran = _cli("run", *common, "--data-dir", tmp_path / "d2", "--output-dir", tmp_path / "o2",
                   "--summary-json", tmp_path / "run.json", cwd=tmp_path, env=env)  # fmt: skip
        assert ran.returncode == 0, ran.stderr
    md = next((tmp_path / "o2").rglob("*.md")).read_text(encoding="utf-8")
    report = DayReport.model_validate_json(
        next((tmp_path / "o2").rglob("*.json")).read_text(encoding="utf-8")
    )
    summary = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    [day] = summary["repos"][0]["days"]
    _assert_figures_agree(md, report, day, ran.stderr)
    totals = summary["totals"]
    assert (totals["prompt_tokens"], totals["completion_tokens"]) == (
        report.stats.prompt_tokens, report.stats.completion_tokens,
    )  # fmt: skip
    assert (totals["fallback"], totals["failed_analyses"]) == (report.stats.fallback, report.stats.failed)


def _interrupt(command: list[str], cwd: Path, env: dict[str, str], fake: FakeLLM, answered: int) -> None:
    """Start the command; once the fake has answered ``answered`` requests, those analyses are stored and
    the next request is held (the fake never answers it), send SIGINT. The command must exit without
    waiting for that answer: the fake holds it for 60 s, the client's own deadline is longer still."""
    fake.hang_after = answered
    with default_sigint():
        proc = subprocess.Popen([sys.executable, "-m", "dailydiff", *command], cwd=cwd, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while (
            len(fake.analysis_requests()) <= answered and time.monotonic() < deadline and proc.poll() is None
        ):
            time.sleep(0.02)
        assert len(fake.analysis_requests()) > answered, "the command never reached the model"
        while time.monotonic() < deadline and proc.poll() is None:
            with Store.open(cwd / "data") as store:
                if store.count_analyses() >= answered:
                    break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            pytest.fail("SIGINT did not stop the command: it waited for the held answer")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert fake.analysis_requests()[answered].status == 599  # the held request was never answered


@pytest.mark.parametrize("command", ["report", "run"])
def test_sigint_mid_analysis_exits_130_at_once_and_the_rerun_asks_only_for_what_was_not_finished(
    repo: Path, tmp_path: Path, command: str
) -> None:
    (tmp_path / "dailydiff.toml").write_text(
        f'[llm]\nconcurrency = 1\n[[repos]]\nsource = "{repo}"\nname = "demo"\n', encoding="utf-8"
    )
    args = [command, *([str(repo)] if command == "report" else []), "--date", DAY.isoformat(), "--tz", "UTC",
            "--analyzer", "llm", "--data-dir", str(tmp_path / "data"), "--output-dir", str(tmp_path / "out")]  # fmt: skip
    with FakeLLM() as fake:
        env = _env(fake, DAILYDIFF_LLM_TIMEOUT="300", DAILYDIFF_LLM_READ_TIMEOUT="300")
        _interrupt(args, tmp_path, env, fake, answered=2)
        with Store.open(tmp_path / "data") as store:
            finished = store.count_analyses()
        assert finished == 2  # every answered analysis was kept, and nothing else
        asked_before = {r.prompt_text for r in fake.analysis_requests()[:finished]}
        fake.reset()
        fake.hang_after = None
        again = _cli(*args, cwd=tmp_path, env=env)
        assert again.returncode == 0, again.stderr
    analyses = fake.analysis_requests()
    assert len(analyses) == 5 - finished  # nothing finished is asked again
    assert not {r.prompt_text for r in analyses} & asked_before
    assert len(list((tmp_path / "out").rglob("*.md"))) == 1


def test_the_stages_are_wired_in_the_engine_only() -> None:
    """Fetching, scoring, analysing, gating and delivering are called from the engine's day pipeline
    (engine/stream.py, its per-commit analysis stage, engine/analysing.py, and the day's assembly from a
    repository's pass, engine/repopass.py), nowhere else in the package
    (the analysers' own convenience wrappers aside); a release's commits that no day holds go through the
    day's analysis stage, not a copy of it."""
    import ast

    import dailydiff
    from sourcetree import parsed

    package = Path(dailydiff.__file__).parent
    stages = {"stream_commits", "score_commit", "fallback_analysis", "gate", "report_stats"}
    callers: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in stages:
                    callers.setdefault(name, set()).add(str(path.relative_to(package)))
    pipelines = {"engine/stream.py", "engine/analysing.py", "engine/repopass.py"}
    # `dailydiff eval` scores its sample as a night does, to ask each commit at the depth a night would; it
    # analyses it per endpoint and stores nothing (analysis/evaluation.py): the one other caller of the score.
    callers["score_commit"] = callers.get("score_commit", set()) - {"analysis/evaluation.py"}
    assert callers and all(where <= pipelines for where in callers.values()), callers
    stage_callers = {
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "analyse_commit"
    }
    assert stage_callers == {"engine/stream.py", "engine/release.py"}, stage_callers
    # The one deliver is the engine's: called by the engine's units (days, digests, weeks, stored days, with
    # the commands' own outputs), never by a command nor by a stage below the engine.
    delivering = {
        str(path.relative_to(package)).split("/")[0]
        for path in package.rglob("*.py")
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "deliver"
    }
    assert delivering == {"engine"}, delivering


def test_a_day_published_by_report_is_not_published_again_by_run_unless_forced(
    repo: Path, tmp_path: Path
) -> None:
    from webhook_receiver import WebhookReceiver

    (tmp_path / "dailydiff.toml").write_text(
        f'[[repos]]\nsource = "{repo}"\n\n[[publish]]\ntype = "webhook"\nurl_env = "HOOK_URL"\nretries = 0\n',
        encoding="utf-8",
    )
    hooks = WebhookReceiver().start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
        env.update(PYTHONPATH=str(SRC), HOOK_URL=hooks.urls()["webhook"])
        common = [
            "--date",
            DAY.isoformat(),
            "--tz",
            "UTC",
            "--analyzer",
            "heuristic",
            "--data-dir",
            tmp_path / "d",
        ]
        counts = []
        for args in (["report", repo, *common, "--publish"], ["run", *common], ["run", *common, "--force"]):
            done = _cli(*args, cwd=tmp_path, env=env)
            assert done.returncode == 0, done.stderr
            counts.append(len(hooks.received.get("generic", [])))
    finally:
        hooks.stop()
    assert counts == [1, 1, 2]  # one delivery path and one ledger for both commands; --force sends again


def test_run_flags_beat_the_repository_entry(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "dailydiff.toml").write_text(
        f'[[repos]]\nsource = "{repo}"\nname = "demo"\nlanguage = "zh"\ntimezone = "Asia/Tokyo"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")} | {"PYTHONPATH": str(SRC)}
    done = _cli("run", "--date", DAY.isoformat(), "--tz", "UTC", "--lang", "en", "--analyzer", "heuristic",
                "--format", "md,json", "--data-dir", tmp_path / "d", "--output-dir", tmp_path / "o",
                cwd=tmp_path, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = DayReport.model_validate_json(next((tmp_path / "o").rglob("*.json")).read_text(encoding="utf-8"))
    assert (report.language, report.timezone, report.analyzer) == ("en", "UTC", "heuristic")
    assert (
        next((tmp_path / "o").rglob("*.md")).read_text(encoding="utf-8").startswith("# Daily update report")
    )


def test_a_report_ends_once_its_days_are_written_without_tearing_its_modules_down(tmp_path: Path) -> None:
    """`report -o DIR` ends once its days are written and stored and the exit handlers have run (logging's, a
    coverage run's), with its exit code, without freeing what it holds object by object and tearing every
    module down: a tenth of a second of a month's backfill, on a loaded machine. A day whose patches were
    compressed on the store's thread leaves none running. A report that failed, or a profiled one, ends the
    normal way."""
    first = dt.date(2026, 1, 5)
    repo, data, out = tmp_path / "repo", tmp_path / "data", tmp_path / "out"
    total = build_daily_repo(repo, first, 2, per_day=2)
    (repo / "big.txt").write_text("".join(f"line {n} of a long file\n" for n in range(8000)))
    moment = f"{first + dt.timedelta(days=1)}T20:00:00+00:00"
    git_env = {**os.environ, "GIT_AUTHOR_DATE": moment, "GIT_COMMITTER_DATE": moment, "GIT_AUTHOR_NAME": "Ada",
               "GIT_AUTHOR_EMAIL": "ada@example.com", "GIT_COMMITTER_NAME": "Ada",
               "GIT_COMMITTER_EMAIL": "ada@example.com"}  # fmt: skip
    subprocess.run(["git", "-C", str(repo), "add", "big.txt"], check=True, env=git_env)
    subprocess.run(
        ["git", "-C", str(repo), "commit", "-q", "-m", "feat: a big file"], check=True, env=git_env
    )
    env = {**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1"}

    def report(source: Path) -> subprocess.CompletedProcess[str]:
        return watched_exit("report", str(source), "--from", str(first), "--to", str(first + dt.timedelta(days=1)),
                            "--tz", "UTC", "--analyzer", "heuristic", "-o", str(out), "--data-dir", str(data),
                            "--quiet", cwd=tmp_path, env=env)  # fmt: skip

    built = report(repo)
    assert built.returncode == 0 and built.stderr == "exit handlers ran\n"
    assert sorted(p.name for p in out.rglob("*.md")) == ["2026-01-05.md", "2026-01-06.md"]
    with Store.open(data) as store:
        assert store.count_commits() == total + 1  # the big one too: written before the store closed
    failed = report(tmp_path / "nowhere")
    assert failed.returncode == 3 and failed.stderr.endswith("exit handlers ran\ntorn down\n")
    profile = tmp_path / "report.prof"  # a profiled command ends the normal way: the profiler writes its file
    profiled = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "dailydiff", "report",
                               str(repo), "--date", str(first), "--tz", "UTC", "--analyzer", "heuristic",
                               "--data-dir", str(tmp_path / "profiled"), "--quiet"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert profiled.returncode == 0 and profile.stat().st_size > 0
