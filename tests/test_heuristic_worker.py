"""A long run's commits are analysed by a worker process (analysis/heuristic/worker.py): the analyses are
the ones the rules make in this process, and a short run starts no worker."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dailydiff.analysis.base import AnalysisRequest
from dailydiff.analysis.heuristic import HeuristicAnalyzer
from dailydiff.analysis.heuristic import worker as worker_module
from dailydiff.analysis.heuristic.worker import RulesWorker
from dailydiff.models import Analysis, Commit, FileChange, Level, Person, PullRequest, Score, Stats

BODIES = json.loads((Path(__file__).parent / "data" / "pr_bodies.json").read_text(encoding="utf-8"))["bodies"]
MOMENT = dt.datetime(2026, 4, 24, 3, 0, tzinfo=dt.UTC)
PERSON = Person(name="Dev", email="dev@example.com")
PATCHES = [
    "@@ -1,3 +1,6 @@\n-def old_name(a):\n+def new_name(a, b):\n+    return a\n+class Tiles:\n     pass\n",
    "@@ -0,0 +1,3 @@\n+pub fn run_kernel() {}\n+export async function load() {}\n+struct Plan {\n",
    "@@ -2,2 +2,2 @@\n-    x = 1\n+    x = 2\n",
]


def _commits() -> list[Commit]:
    commits = []
    for n, row in enumerate(BODIES * 2):
        in_pr = n >= len(BODIES)  # the second half: the body is the pull request's
        files = [
            FileChange(
                path=f"flashinfer/mod{k}/core.py", additions=3, deletions=1, patch=PATCHES[(n + k) % 3]
            )
            for k in range(1 + n % 3)
        ]
        commits.append(
            Commit(repo="flashinfer-ai/flashinfer", sha=f"{n:040x}", author=PERSON, committer=PERSON,
                   authored_at=MOMENT, committed_at=MOMENT,
                   message=row["title"] if in_pr else f"{row['title']}\n\n{row['body']}",
                   pr=PullRequest(number=n, title=row["title"], body=row["body"]) if in_pr else None,
                   files=files, stats=Stats(additions=3 * len(files), deletions=len(files), files=len(files)))
        )  # fmt: skip
    return commits


async def _through_session(
    commits: list[Commit], score: Score, backlog: int | None = None
) -> tuple[list[Analysis], int]:
    analyser = HeuristicAnalyzer()
    async with analyser.session() as session:
        # (the machine running the tests may be busy); by default the worker may be sent every commit at once
        session.worker = RulesWorker(when=lambda: True, backlog=backlog or len(commits))
        requests = [AnalysisRequest(commit=c, score=score, depth=score.level) for c in commits]
        start = worker_module.START_AT
        first = [await session.analyse(r, "en") for r in requests[:start]]  # the last of them starts it
        started = await session.worker.started()
        assert started == (len(requests) >= start)
        # then at once, as the engine asks: each commit a task of its own
        rest = await asyncio.gather(*(session.analyse(r, "en") for r in requests[start:]))
        return [*first, *rest], session.worker.analysed_there


def test_a_long_runs_analyses_are_the_ones_read_here() -> None:
    commits = _commits()
    assert len(commits) > worker_module.START_AT + 20
    score = Score(level=Level.MEDIUM, score=6.0)
    here = [HeuristicAnalyzer().analyse(c, score, score.level, "en") for c in commits]
    there, analysed_there = asyncio.run(_through_session(commits, score))
    assert analysed_there == len(commits) - worker_module.START_AT  # the worker analysed all the later ones
    assert [a.model_dump() for a in there] == [a.model_dump() for a in here]
    assert any(a.summary for a in here) and any("new_name" in json.dumps(a.model_dump()) for a in here)


def test_the_worker_works_out_each_analysed_commits_index_terms_as_this_process_would() -> None:
    """Beside each analysis the worker answers the index terms of the texts the store indexes for that commit
    (common/searchterms.py): the same terms as worked out here, taken by the index instead of working them
    out again; a commit's pull request and Chinese text included."""
    from dailydiff.common import searchterms

    commits = _commits()
    score = Score(level=Level.MEDIUM, score=6.0)
    searchterms._SEEDED.clear()
    there, _ = asyncio.run(_through_session(commits, score))
    seeded = dict(searchterms._SEEDED)
    searchterms._SEEDED.clear()
    later = commits[worker_module.START_AT :]  # the ones the worker analysed
    texts = [searchterms.commit_index_texts(c.message, c.pr, c.files, a)
             for c, a in zip(later, there[worker_module.START_AT :], strict=True)]  # fmt: skip
    wanted = {text: " ".join(searchterms.index_terms(text)) for t in texts for text in t.values() if text}
    assert seeded == wanted
    assert any(c.pr for c in later) and any(not t.isascii() for t in seeded)
    # the index takes a seeded text's terms as they came
    searchterms.seed_index_terms({"fused moe kernel": "seeded"})
    try:
        assert searchterms.indexed_words("fused moe kernel") == "seeded"
        assert searchterms.indexed_words("fused moe kernel") == "fuse moe kernel"  # taken once
        assert searchterms.indexed_words("fused moe kernels") == "fuse moe kernel"
    finally:
        searchterms._SEEDED.clear()


def test_a_worker_behind_leaves_the_next_commits_to_this_process() -> None:
    """Every later commit asked at once: the worker is sent ``backlog`` of them, the others are analysed here
    (a worker that falls behind does not hold the last days back), and every analysis is the same."""
    commits = _commits()
    score = Score(level=Level.MEDIUM, score=6.0)
    here = [HeuristicAnalyzer().analyse(c, score, score.level, "en") for c in commits]
    there, analysed_there = asyncio.run(_through_session(commits, score, backlog=4))
    assert analysed_there == 4
    assert [a.model_dump() for a in there] == [a.model_dump() for a in here]


def test_a_short_run_starts_no_worker() -> None:
    score = Score(level=Level.LOW, score=1.0)
    commits = _commits()[: worker_module.START_AT - 1]
    _, analysed_there = asyncio.run(_through_session(commits, score))
    assert analysed_there == 0


def test_a_worker_that_ends_leaves_the_analyses_here() -> None:
    commits = _commits()
    score = Score(level=Level.MEDIUM, score=6.0)
    here = [HeuristicAnalyzer().analyse(c, score, score.level, "en") for c in commits]

    async def run() -> tuple[list[Analysis], int]:
        async with HeuristicAnalyzer().session() as session:
            session.worker = RulesWorker(when=lambda: True)
            requests = [AnalysisRequest(commit=c, score=score, depth=score.level) for c in commits]
            start = worker_module.START_AT
            first = [await session.analyse(r, "en") for r in requests[:start]]
            assert await session.worker.started()
            assert session.worker._worker is not None
            process = session.worker._worker.result().process
            process.kill()  # killed, as the kernel's out-of-memory killer would
            await process.wait()
            rest = await asyncio.gather(*(session.analyse(r, "en") for r in requests[start:]))
            return [*first, *rest], session.worker.analysed_there

    there, analysed_there = asyncio.run(asyncio.wait_for(run(), 60))
    assert analysed_there == 0
    assert [a.model_dump() for a in there] == [a.model_dump() for a in here]


def test_a_busy_machine_starts_no_worker() -> None:
    score = Score(level=Level.LOW, score=1.0)
    commits = _commits()

    async def run() -> tuple[list[Analysis], int, bool]:
        async with HeuristicAnalyzer().session() as session:
            session.worker = RulesWorker(when=lambda: False)  # no core to spare
            requests = [AnalysisRequest(commit=c, score=score, depth=score.level) for c in commits]
            analyses = [await session.analyse(r, "en") for r in requests]
            return analyses, session.worker.analysed_there, await session.worker.started()

    analyses, analysed_there, started = asyncio.run(run())
    assert (analysed_there, started) == (0, False)
    assert [a.model_dump() for a in analyses] == [
        HeuristicAnalyzer().analyse(c, score, score.level, "en").model_dump() for c in commits
    ]


# A worker that reads its requests slowly (the rules' pace on a busy core) and answers each with its key.
SLOW_READER = """
import pickle, sys, time
stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
while header := stdin.read(8):
    key, _ = pickle.loads(stdin.read(int.from_bytes(header, "big")))
    time.sleep(0.05)
    answer = pickle.dumps((key, key))
    stdout.write(len(answer).to_bytes(8, "big") + answer)
    stdout.flush()
"""


def test_an_answer_is_taken_as_it_lands_not_once_every_request_is_read() -> None:
    """Requests far larger than a pipe holds (a backfill's patches): each ask returns when its answer lands,
    not once the worker has read what was sent after it (the days then finish as the rules go, not at the
    end)."""

    async def run() -> int:
        worker = await worker_module._Worker.start_from(worker_module.RulesProcess.spawn(SLOW_READER))
        try:
            asks = [asyncio.create_task(worker.ask("x" * 200_000)) for _ in range(20)]  # 4 MB sent at once
            assert await asks[2] == 2
            unanswered = len(worker.waiting)  # asked, not answered yet, when the third answer was taken
            assert await asyncio.gather(*asks) == list(range(20))
        finally:
            await worker.close()
        return unanswered

    assert asyncio.run(asyncio.wait_for(run(), 60)) >= 10


def test_a_stopped_worker_is_ended_after_its_silence_and_its_commits_analysed_here() -> None:
    """A worker that stops answering (a real SIGSTOP) holds no analysis back for longer than ``silence``: it
    is killed, and the commits it held and the later ones are analysed here, the same as ever."""
    commits = _commits()[:20]
    score = Score(level=Level.MEDIUM, score=6.0)
    analyser = HeuristicAnalyzer()
    here = [analyser.analyse(c, score, score.level, "en") for c in commits]

    async def run() -> tuple[list[Analysis], int, float, int | None]:
        worker = RulesWorker(when=lambda: True, backlog=len(commits), silence=1.0)
        requests = [(c, score, score.level, "en") for c in commits]
        start = worker_module.START_AT
        try:
            first = [await worker.analyse(*r) or analyser.analyse(*r) for r in requests[:start]]
            assert await worker.started()
            assert worker._worker is not None
            process = worker._worker.result().process
            os.kill(process.pid, signal.SIGSTOP)
            began = time.monotonic()
            there = await asyncio.gather(*(worker.analyse(*r) for r in requests[start:]))
            waited = time.monotonic() - began
            rest = [a or analyser.analyse(*r) for r, a in zip(requests[start:], there, strict=True)]
        finally:
            await worker.close()
        return [*first, *rest], worker.analysed_there, waited, process.returncode

    analyses, analysed_there, waited, returncode = asyncio.run(asyncio.wait_for(run(), 60))
    assert analysed_there == 0  # it answered nothing once stopped
    assert 1.0 <= waited < 10
    assert [a.model_dump() for a in analyses] == [a.model_dump() for a in here]
    assert returncode == -signal.SIGKILL  # killed, and waited for


# A worker that answers each request with its key at once, whatever its size.
ECHO = """
import pickle, sys
stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
while header := stdin.read(8):
    key, _ = pickle.loads(stdin.read(int.from_bytes(header, "big")))
    answer = pickle.dumps((key, key))
    stdout.write(len(answer).to_bytes(8, "big") + answer)
    stdout.flush()
"""


def test_requests_reach_the_worker_and_answers_count_while_the_loop_is_busy() -> None:
    """The loop busy (here asleep, as when it stores or renders) neither keeps a request larger than a pipe
    holds from the worker nor its answer from counting: the worker is not waiting for the loop, and the
    requests it has answered are no longer ``waiting`` (else the engine, seeing it behind, would apply the
    rules itself)."""

    async def run() -> tuple[int, list[int]]:
        worker = await worker_module._Worker.start_from(worker_module.RulesProcess.spawn(ECHO))
        try:
            asks = [
                asyncio.create_task(worker.ask("x" * 1_000_000)) for _ in range(4)
            ]  # 4 MB, pipes hold 64 KB
            await asyncio.sleep(0)  # the asks are sent
            deadline = time.monotonic() + 20
            while worker.waiting and time.monotonic() < deadline:
                time.sleep(0.05)  # the loop does not run meanwhile
            unanswered = len(worker.waiting)
            return unanswered, await asyncio.gather(*asks)
        finally:
            await worker.close()

    unanswered, answers = asyncio.run(asyncio.wait_for(run(), 60))
    assert (unanswered, answers) == (0, [0, 1, 2, 3])


def test_a_worker_started_as_the_command_loads_analyses_from_the_first_commit(monkeypatch) -> None:
    """`report` of a long window starts the worker before the run (common/rulesprocess.py ``start_early``):
    the session takes it and sends it every commit from the first one, not from the ``START_AT``-th, and the
    analyses are the ones made here."""
    from dailydiff.common import rulesprocess

    monkeypatch.setattr(rulesprocess, "spare_core", lambda: True)
    commits = _commits()
    score = Score(level=Level.MEDIUM, score=6.0)
    here = [HeuristicAnalyzer().analyse(c, score, score.level, "en") for c in commits]

    async def run() -> tuple[list[Analysis], int]:
        rulesprocess.start_early()
        async with HeuristicAnalyzer().session() as session:
            session.worker.backlog = len(commits)  # (the machine running the tests may be busy)
            assert await session.worker.started()  # taken as the session opened
            requests = [AnalysisRequest(commit=c, score=score, depth=score.level) for c in commits]
            there = [await session.analyse(r, "en") for r in requests]
            return there, session.worker.analysed_there

    there, analysed_there = asyncio.run(asyncio.wait_for(run(), 60))
    assert analysed_there == len(commits)
    assert [a.model_dump() for a in there] == [a.model_dump() for a in here]
    assert rulesprocess.take_early() is None


def _python(program: str) -> str:
    """What ``program`` prints, run by a Python of its own."""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_worker_started_early_and_never_taken_is_ended_at_exit() -> None:
    """A run whose settings chose a model takes no rules worker: the one started as the command loaded is
    ended as the process exits, not left behind."""
    program = (
        "import sys\n"
        "from dailydiff.common import rulesprocess\n"
        "rulesprocess.spare_core = lambda: True\n"
        "rulesprocess.start_early()\n"
        "print(rulesprocess._early.pid, flush=True)\n"
    )
    pid = int(_python(program))
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:  # (reaped by its parent's exit)
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists()


def test_only_a_long_window_with_the_rules_starts_the_worker_early() -> None:
    from dailydiff.cli.direct import long_rules_window

    month = {"source": ".", "first": "2026-04-01", "last": "2026-04-30"}
    assert long_rules_window(month)
    assert long_rules_window({**month, "analyzer": "heuristic"})
    assert long_rules_window({**month, "analyzer": "auto"})  # the settings decide: a model leaves it unused
    assert not long_rules_window({**month, "analyzer": "llm"})
    assert not long_rules_window({**month, "first": "2026-04-25"})  # six days
    assert long_rules_window({**month, "first": "2026-04-24"})  # seven
    assert not long_rules_window({"source": ".", "date": "2026-04-30"})
    assert not long_rules_window({**month, "first": "yesterday"})  # typer says what is wrong with it


def test_the_worker_loads_the_rules_before_its_first_request() -> None:
    """The worker applies the rules once to a sample commit as it starts (served.py ``warm``): the Markdown
    parser and the patterns are loaded while it waits for the first commit, not in front of its answer."""
    program = (
        "import sys\n"
        "from dailydiff.analysis.heuristic.analyser import HeuristicAnalyzer\n"
        "from dailydiff.analysis.heuristic import body, served\n"
        "assert 'markdown_it' not in sys.modules\n"
        "served.warm(HeuristicAnalyzer())\n"
        "print('markdown_it' in sys.modules, body._parser.cache_info().currsize)\n"
    )
    assert _python(program).split() == ["True", "1"]


def test_a_core_is_spare_when_the_minute_average_still_counts_work_that_has_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last minute's load average takes a minute to forget the command before this one: where it says the
    cores are busy, the tasks running now decide (Linux's /proc/loadavg), and a core is spare when the others
    leave one besides this process's."""
    from dailydiff.common import rulesprocess

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    loadavg = tmp_path / "loadavg"
    monkeypatch.setattr(rulesprocess, "LOADAVG", str(loadavg))

    def machine(average: float, running: int | None) -> bool:
        monkeypatch.setattr(os, "getloadavg", lambda: (average, average, average))
        if running is None:
            loadavg.unlink(missing_ok=True)
        else:
            loadavg.write_text(f"{average:.2f} 1.00 0.90 {running}/345 6789\n", encoding="ascii")
        return rulesprocess.spare_core()

    assert machine(1.2, None)  # the average leaves half a core idle: spare, whatever runs now
    assert machine(1.9, 1)  # busy a minute ago, only this process now: spare
    assert not machine(1.9, 2)  # another task running now: not spare
    assert not machine(3.5, 3)
    assert not machine(1.9, None)  # nothing says what runs now: the average decides
    monkeypatch.setattr(rulesprocess, "LOADAVG", "/proc/loadavg")
    assert (rulesprocess.running_now() or 0) >= 1  # this machine's, this process running
