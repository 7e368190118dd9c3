"""Against the real llama-cpp-python server (SmolLM2-135M, 8k context), with the config a newcomer writes
(`base_url` and `model`, nothing else): every commit of a small day is analysed by the model, at most three
requests each, a re-run sends nothing, and doctor names the mode it negotiated. And `dailydiff ask`: whatever
the small model writes, every citation printed is a retrieved commit, the answer comes back in the question's
language (the model's, or the retrieved commits listed in that language when the model's is not), and asking
again sends nothing. In one file, so one server (and its warm prompt cache) serves them all.

Few and short on purpose (a 135M model on one thread of two shared cores: a request costs seconds, a
runaway answer minutes): two small commits, prompts of a few hundred tokens. Marked
``llm_server`` so the suite can be timed without them (``-m "not llm_server"``). No llama-cpp-python: they fail.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dailydiff.analysis.llm_call import MAX_REQUESTS_PER_COMMIT
from dailydiff.common.searchterms import is_chinese
from dailydiff.doctor.base import DoctorContext
from dailydiff.doctor.llm import check_llm
from dailydiff.models import AnalysisStatus, ReportCommit
from dailydiff.settings import Settings, load_settings
from dailydiff.store import Store
from gitrepo import CommitSpec, FileEdit, build_repo
from llama_server import MODEL, answered_or_loop_named, every_commit_counted
from llm_fixtures import run_day
from opsfixtures import dailydiff

pytestmark = pytest.mark.llm_server

POST = re.compile(r'"POST /v1/chat/completions HTTP/1\.1" (\d{3})')


def posts(log: Path) -> list[str]:
    return POST.findall(log.read_text(errors="replace"))


def newcomer(base_url: str, data_dir: Path, **llm: Any) -> Settings:
    """The newcomer's config; ``llm``: [llm] settings a test sets on top (named in its docstring)."""
    return load_settings(
        environ={"DAILYDIFF_LLM_MODEL": MODEL, "DAILYDIFF_LLM_BASE_URL": base_url},
        overrides={"data_dir": str(data_dir), "report": {"timezone": "UTC", "language": "en"},
                   **({"llm": llm} if llm else {})},
        cwd=data_dir,
    )  # fmt: skip


# The commits of small_day's day (its first commit is days earlier): two, so more than one is in flight.
DAY_COMMITS = 2


def small_day(path: Path) -> Path:
    at = dt.datetime(2026, 1, 27, 9, tzinfo=dt.UTC)
    build_repo(path, [
        CommitSpec("init", at - dt.timedelta(days=3), edits=[FileEdit("src/app.py", "def main():\n    return 0\n")]),
        CommitSpec("fix: return 1 when the input is empty", at,
                   edits=[FileEdit("src/app.py", "def main(args):\n    if not args:\n        return 1\n    return 0\n")]),
        CommitSpec("test: cover the empty input", at + dt.timedelta(hours=4),
                   edits=[FileEdit("tests/test_app.py", "from app import main\n\ndef test_empty():\n    assert main([]) == 1\n")]),
    ])  # fmt: skip
    return path


def test_every_commit_of_a_small_day_is_analysed_by_the_real_model(
    real_server: tuple[str, Path], tmp_path: Path
) -> None:
    base_url, log = real_server
    settings = newcomer(base_url, tmp_path / "data")
    assert settings.analysis.analyzer == "auto" and settings.llm.response_mode == "auto"
    repo = small_day(tmp_path / "repo")
    before = len(posts(log))
    outcome, _ = run_day(repo, settings, analyzer_name="auto")
    report = outcome.reports[0]
    statuses = [(rc.short_sha, rc.analysis.status if rc.analysis else None, rc.analysis and rc.analysis.error)
                for rc in report.commits]  # fmt: skip
    assert answered_or_loop_named(report.commits), statuses
    assert {
        rc.analysis.analyzer
        for rc in report.commits
        if rc.analysis and rc.analysis.status is AnalysisStatus.OK
    } == {f"llm:{MODEL}"}
    assert every_commit_counted(report, DAY_COMMITS), report.run
    assert 1 <= report.run.max_requests_per_commit <= MAX_REQUESTS_PER_COMMIT
    with Store.open(settings.data_path) as store:
        facts = store.llm_endpoint(base_url, MODEL)
    # json_schema is rejected (HTTP 500, once); the `schema` member of json_object is held by a grammar.
    assert facts is not None and facts.response_mode == "json_object_schema"
    assert report.overview.producer in (f"llm:{MODEL}", "heuristic")
    sent = posts(log)[before:]
    assert sent.count("500") == 1, sent
    print(f"real server: {len(sent)} requests, {report.run.max_requests_per_commit} at most per commit, "
          f"token estimate error {report.run.estimate_error}%, {report.run.duration_seconds:.0f}s, "
          f"overview by {report.overview.producer}")  # fmt: skip

    # A re-run asks nothing about the model's answers. What it asks again, at most the cap of requests each: a
    # commit that fell back (its answer looped twice), and a deeper re-analysis that failed (the model rated
    # the commit above the depth it was asked at, and the deeper answer looped: the first answer stands, the
    # deeper one is tried again); and the overview with them.
    answered = sum(1 for rc in report.commits if rc.analysis and rc.analysis.status is AnalysisStatus.OK)
    unfinished = [rc.short_sha for rc in report.commits if not finished(rc)]
    again, _ = run_day(repo, settings, analyzer_name="auto")
    asked_again = len(posts(log)) - before - len(sent)
    assert again.reports[0].run.cached >= answered
    if not unfinished:
        assert asked_again == 0
    else:
        assert asked_again <= len(unfinished) * MAX_REQUESTS_PER_COMMIT + 1, unfinished


def finished(rc: ReportCommit) -> bool:
    """The model's answer stands at the depth it asked for: nothing is left for a re-run to ask."""
    analysis = rc.analysis
    if analysis is None or analysis.status is not AnalysisStatus.OK:
        return False
    escalated = analysis.depth.rank > rc.score.level.rank  # the deeper answer stands
    return escalated or analysis.importance is None or analysis.importance.rank <= analysis.depth.rank


def test_doctor_passes_and_names_the_mode_it_negotiated(
    real_server: tuple[str, Path], tmp_path: Path
) -> None:
    base_url, _ = real_server
    # The deadline is doctor's 10 s on a quiet machine; SmolLM2 sharing two loaded cores may need more.
    context = DoctorContext(
        config_path=None, base_dir=tmp_path, settings=newcomer(base_url, tmp_path), deadline=120
    )
    [result] = check_llm(context)
    assert result.ok, result.line()
    assert "response mode json_object_schema (negotiated: json_schema: rejected" in result.detail
    print(result.line())


# ask ------------------------------------------------------------------------------------------------

CITATION = re.compile(r"\[([0-9a-f]{7})\]")
DAY = dt.date(2026, 3, 2)


def _history(tmp_path: Path) -> tuple[Path, list[str]]:
    at = [dt.datetime(2026, 3, 2, h, tzinfo=dt.UTC) for h in (8, 10, 12, 14)]
    specs = [
        CommitSpec("feat(attention): paged KV cache for the decode kernel", at[0],
                   edits=[FileEdit("kernels/attention/decode.py", "def decode():\n    return 1\n")]),
        CommitSpec("perf(gemm): faster FP8 GEMM on SM120", at[1],
                   edits=[FileEdit("kernels/gemm/fp8.py", "def gemm():\n    return 2\n")]),
        CommitSpec("fix(attention): out-of-bounds read in the prefill kernel", at[2],
                   edits=[FileEdit("kernels/attention/prefill.py", "def prefill():\n    return 3\n")]),
        CommitSpec("docs: how to tune the sampling kernels", at[3],
                   edits=[FileEdit("docs/sampling.md", "# Sampling\n")]),
    ]  # fmt: skip
    repo = tmp_path / "kernels"
    shas = build_repo(repo, specs)
    data = tmp_path / "data"
    for lang in ("en", "zh"):
        dailydiff("report", str(repo), "--date", DAY.isoformat(), "--tz", "UTC", "--lang", lang,
                  "--analyzer", "heuristic", "--data-dir", str(data), "--quiet", cwd=tmp_path)  # fmt: skip
    return data, shas


def ask_on_a_real_server(base_url: str, requests: Callable[[], int], tmp_path: Path) -> None:
    """`ask` against a real llama.cpp server, in English and in Chinese: every citation (in the answer's text
    and in its list) is a commit this ask retrieved, what is printed first is in the question's language (the
    model's answer, or the retrieved commits listed in that language when the model's is not usable), and
    asking again sends nothing. ``requests``: how many chat requests the server has answered so far. What the
    small model writes is not judged: only what the tool guarantees whatever it writes."""
    data, shas = _history(tmp_path)
    env = {"DAILYDIFF_LLM_BASE_URL": base_url, "DAILYDIFF_LLM_MODEL": MODEL}
    for question in ("What changed in the attention kernels?", "注意力 attention 内核有哪些变化？"):
        before = requests()
        found = json.loads(
            dailydiff("ask", question, "--json", "--data-dir", str(data), cwd=tmp_path, env=env).stdout
        )
        asked = requests()
        assert asked > before  # the model was asked (negotiation included)
        retrieved = {c["sha"][:7] for c in found["commits"]}
        assert retrieved and retrieved <= {s[:7] for s in shas}, found
        assert found["llm"] is not None, found  # the model answered something, usable or not
        if found["answer"] is not None:  # a usable answer: it cites, only what was retrieved, in the language
            assert found["llm"]["cited"] and set(found["llm"]["cited"]) <= retrieved, found
            assert set(CITATION.findall(found["answer"])) <= retrieved, found
            assert is_chinese(found["answer"]) == is_chinese(question), found
        out = dailydiff("ask", question, "--data-dir", str(data), cwd=tmp_path, env=env).stdout
        assert requests() == asked  # the same question over the same history: no request the second time
        assert set(CITATION.findall(out)) <= retrieved, out
        first_line = out.strip().splitlines()[0]
        assert is_chinese(first_line) == is_chinese(question), out
        again = dailydiff("ask", question, "--data-dir", str(data), cwd=tmp_path, env=env)
        assert requests() == asked
        assert again.stdout == out


def test_answers_cite_only_retrieved_commits_in_the_question_language_and_are_asked_once(
    real_server: tuple[str, Path], tmp_path: Path
) -> None:
    base_url, log = real_server
    ask_on_a_real_server(base_url, lambda: len(posts(log)), tmp_path)
