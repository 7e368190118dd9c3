"""The failure gate and the pure pieces of a day's report (engine/stages.py), with figures worked out by
hand: the fast unit tests `make mutation` runs against the gate (end to end, the gate is in
tests/test_llm_analyzer.py and tests/test_run.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dailydiff.engine.stages import failure_ratio, gate, report_commit, report_stats, same_analyses
from dailydiff.models import (
    Analysis,
    AnalysisStatus,
    Commit,
    DayReport,
    FileChange,
    Gate,
    Level,
    Overview,
    Person,
    ReportStats,
    RunSummary,
    Score,
    Stats,
    Usage,
)
from dailydiff.settings import load_settings
from dailydiff.store import Store
from publish_reports import make_report

NOW = dt.datetime(2026, 1, 27, 3, tzinfo=dt.UTC)


def with_figures(failed: int, total: int = 4, *, fallback: int = 0, merges: int = 0, unfetched: int = 0,
                 marker: str = "") -> DayReport:  # fmt: skip
    report = make_report(total)
    return report.model_copy(update={
        "stats": ReportStats(total=total, failed=failed, fallback=fallback, merges=merges),
        "run": RunSummary(unfetched=[f"{i:040x}" for i in range(unfetched)]),
        "overview": Overview(highlights=[marker] if marker else []),
    })  # fmt: skip


def test_the_failure_ratio_counts_fallbacks_and_unfetched_commits_and_leaves_merges_out() -> None:
    assert failure_ratio(with_figures(1, 5, fallback=1, merges=1, unfetched=2)) == 4 / 6
    assert failure_ratio(with_figures(0, 0)) == 0.0
    assert failure_ratio(with_figures(0, 2, merges=2)) == 0.0


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "dailydiff.sqlite3") as opened:
        yield opened


SETTINGS = load_settings(environ={}, overrides={"analysis": {"max_failure_ratio": 0.5}})


def stored(store: Store) -> str:
    found = store.get_report("sgl-project/sglang", dt.date(2026, 1, 27), "zh")
    assert found is not None
    return found.overview.highlights[0]


def test_a_day_at_the_limit_passes_and_is_saved_with_its_verdict(store: Store) -> None:
    outcome = gate(with_figures(2, 4, marker="at the limit"), SETTINGS, store)  # 2/4 = 0.5, not over
    assert not outcome.gated and not outcome.kept_previous
    assert outcome.report.gate == Gate(failed=2, analysable=4, limit=0.5)
    assert stored(store) == "at the limit"
    saved = store.get_report("sgl-project/sglang", dt.date(2026, 1, 27), "zh")
    assert saved is not None and saved.gate == Gate(failed=2, analysable=4, limit=0.5)


def test_a_day_over_the_limit_is_gated_and_saved_when_nothing_better_is_stored(store: Store) -> None:
    outcome = gate(with_figures(3, 4, marker="first"), SETTINGS, store)
    assert outcome.gated and not outcome.kept_previous and outcome.report.gate is not None
    assert outcome.report.gate.gated and stored(store) == "first"
    worse = gate(with_figures(4, 4, marker="worse"), SETTINGS, store)  # 1.0 over 0.75 stored
    assert worse.gated and worse.kept_previous and worse.report.overview.highlights == ["first"]
    assert stored(store) == "first"
    same = gate(with_figures(3, 4, marker="as bad"), SETTINGS, store)  # not better, not worse: saved
    assert same.gated and not same.kept_previous and stored(store) == "as bad"


def test_a_one_commit_day_whose_only_analysis_failed_is_gated_and_one_merge_alone_is_not(
    store: Store,
) -> None:
    """The edge of the ratio's denominator: one analysable commit is a ratio (1/1), not the empty day's 0."""
    assert failure_ratio(with_figures(1, 1)) == 1.0
    assert failure_ratio(with_figures(0, 0, unfetched=1)) == 1.0  # the only commit could not be fetched
    outcome = gate(with_figures(1, 1, marker="one failed"), SETTINGS, store)
    assert outcome.gated and outcome.report.gate == Gate(failed=1, analysable=1, limit=0.5)
    assert (
        Gate(failed=0, analysable=0, limit=0.0).ratio == 0.0
        and not Gate(failed=0, analysable=0, limit=0.0).gated
    )
    merge = gate(with_figures(0, 1, merges=1, marker="a merge"), SETTINGS, store)
    assert not merge.gated and merge.report.gate == Gate(failed=0, analysable=0, limit=0.5)


def test_a_better_day_replaces_a_gated_one(store: Store) -> None:
    gate(with_figures(4, 4, marker="bad"), SETTINGS, store)
    better = gate(with_figures(3, 4, marker="better"), SETTINGS, store)
    assert better.gated and not better.kept_previous and stored(store) == "better"
    good = gate(with_figures(0, 4, marker="good"), SETTINGS, store)
    assert not good.gated and stored(store) == "good"


def test_a_verdict_stored_before_is_computed_again_with_todays_limit(store: Store) -> None:
    old = with_figures(3, 4).model_copy(update={"gate": Gate(failed=0, analysable=4, limit=0.5)})
    outcome = gate(old, SETTINGS, store)
    assert outcome.gated and outcome.report.gate == Gate(failed=3, analysable=4, limit=0.5)


PERSON = Person(name="Ada", email="ada@example.com")


def commit(sha: str, *, parents: int = 1, additions: int = 3, deletions: int = 1) -> Commit:
    return Commit(repo="o/r", sha=sha * 40, parents=["p" * 40] * parents, author=PERSON, committer=PERSON,
                  authored_at=NOW, committed_at=NOW, message=f"feat: {sha}\n\nbody",
                  stats=Stats(additions=additions, deletions=deletions, files=1),
                  files=[FileChange(path="a.py", patch="@@\n+x\n", additions=additions, deletions=deletions)])  # fmt: skip


def analysis(
    status: AnalysisStatus = AnalysisStatus.OK, importance: Level | None = Level.HIGH, **extra
) -> Analysis:
    return Analysis(analyzer=extra.pop("analyzer", "llm:m"), status=status, importance=importance,
                    fingerprint=extra.pop("fingerprint", "f1"), **extra)  # fmt: skip


def test_a_commit_in_a_report_takes_the_models_level_only_from_an_ok_analysis() -> None:
    low = Score(level=Level.LOW, score=1.0)
    assert report_commit(commit("a"), low, analysis()).level is Level.HIGH
    assert report_commit(commit("a"), low, analysis(AnalysisStatus.FALLBACK)).level is Level.LOW
    assert report_commit(commit("a"), low, analysis(AnalysisStatus.FAILED)).level is Level.LOW
    assert report_commit(commit("a"), low, analysis(importance=None)).level is Level.LOW
    assert report_commit(commit("a"), low, None).level is Level.LOW
    shown = report_commit(commit("a"), low, analysis(), watch=["security"])
    assert shown.watch == ["security"] and [f.patch for f in shown.files] == [None]  # patches dropped
    assert shown.title == "feat: a" and shown.score == low and shown.analysis == analysis()
    assert report_commit(commit("a"), low, None).watch == []


def test_the_statistics_line() -> None:
    low, high = Score(level=Level.LOW, score=1.0), Score(level=Level.HIGH, score=9.0)
    usage = Usage(prompt_tokens=10, completion_tokens=5, cost=0.5)
    commits = [
        report_commit(commit("a", additions=3, deletions=1), low, analysis(usage=usage)),  # high by the model
        report_commit(commit("b", additions=2), low, analysis(AnalysisStatus.FALLBACK, analyzer="heuristic")),
        report_commit(commit("c"), high, analysis(AnalysisStatus.FAILED, importance=None, raw="{broken")),
        report_commit(commit("d", parents=2, additions=50, deletions=50), Score(level=Level.MEDIUM, score=4.0), None),
    ]  # fmt: skip
    overview = Overview(usage=Usage(prompt_tokens=100, completion_tokens=20, cost=1.0))
    assert report_stats(commits, overview) == ReportStats(
        total=4, high=2, medium=1, low=1, merges=1, failed=1, fallback=1, heuristic=1, unparsed=1,
        prompt_tokens=110, completion_tokens=25, cost=1.5, additions=3 + 2 + 3, deletions=1 + 1 + 1,
    )  # fmt: skip
    assert report_stats(commits).prompt_tokens == 10 and report_stats([]) == ReportStats()


def test_same_analyses_compares_shas_fingerprints_and_statuses_in_order() -> None:
    low = Score(level=Level.LOW, score=1.0)
    a, b = report_commit(commit("a"), low, analysis()), report_commit(commit("b"), low, None)
    previous = make_report(1).model_copy(update={"commits": [a, b]})
    assert same_analyses(previous, [a, b])
    assert not same_analyses(previous, [b, a])
    assert not same_analyses(previous, [a])
    refingered = report_commit(commit("a"), low, analysis(fingerprint="f2"))
    assert not same_analyses(previous, [refingered, b])
    fell_back = report_commit(commit("a"), low, analysis(AnalysisStatus.FALLBACK))
    assert not same_analyses(previous, [fell_back, b])
    analysed = report_commit(commit("b"), low, analysis())
    assert not same_analyses(previous, [a, analysed])


def test_the_statistics_count_every_commit_after_one_without_an_analysis() -> None:
    low = Score(level=Level.LOW, score=1.0)
    broken = analysis(AnalysisStatus.FAILED, importance=None, raw="{broken")
    commits = [
        report_commit(commit("m", parents=2), low, None),  # first: nothing after it may be skipped
        report_commit(commit("n", parents=2), low, None),
        report_commit(commit("a"), low, broken),
        report_commit(commit("b"), low, broken),
        report_commit(commit("c"), low, analysis(AnalysisStatus.FALLBACK, analyzer="heuristic")),
        report_commit(commit("d"), low, analysis(AnalysisStatus.FALLBACK, analyzer="heuristic")),
    ]
    stats = report_stats(commits)
    assert (stats.merges, stats.failed, stats.unparsed, stats.fallback, stats.heuristic) == (2, 2, 2, 2, 2)


def test_a_gated_day_is_compared_with_a_stored_report_that_has_no_verdict_yet(store: Store) -> None:
    store.save_report(with_figures(1, 4, marker="older, unjudged"))  # stored before the gate was stored
    outcome = gate(with_figures(3, 4, marker="worse"), SETTINGS, store)
    assert outcome.kept_previous and stored(store) == "older, unjudged"


def test_the_days_own_figures_for_the_summary() -> None:
    from dailydiff.engine.stages import day_figures

    report = make_report(1).model_copy(
        update={
            "stats": ReportStats(
                total=1,
                prompt_tokens=120,
                completion_tokens=30,
                cost=0.12345678,
                replaced_prompt_tokens=50,
                replaced_completion_tokens=10,
            )
        }
    )
    assert day_figures(report) == {
        "day_prompt_tokens": 120,
        "day_completion_tokens": 30,
        "day_cost": 0.123457,
        "day_replaced_prompt_tokens": 50,
        "day_replaced_completion_tokens": 10,
        # the day's claims traced (none here: the report's analyses were made before tracing)
        "claims_checked": 0,
        "claims_supported": 0,
        "claims_repaired": 0,
        "claims_removed": 0,
        "claims_marked": 0,
    }
