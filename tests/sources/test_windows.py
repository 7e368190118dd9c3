"""Window exactness: the commits in each day's report are exactly those whose committer date falls on
that calendar day in the report's timezone — around midnight, across DST changes, with committer dates
out of order and rebased commits (author date ≠ committer date). Ground truth is computed here from the
scripted dates, independently of the code under test."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dailydiff.analysis import HeuristicAnalyzer
from dailydiff.common.timewindow import day_window, days
from dailydiff.settings import load_settings
from dailydiff.sources.git import GitSource
from dailydiff.store import Store
from engine_run import run_days
from gitrepo import CommitSpec, FileEdit, build_repo, git

ZONES = [
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "UTC",
    "America/Santiago",
]
# Days around DST changes in 2026 (Berlin 03-29 and 10-25, New York 03-08 and 11-01, Lord Howe 04-05 and
# 10-04, Santiago 04-05 and 09-06) plus ordinary days.
DAYS = [dt.date(2026, m, d) for m, d in [(3, 7), (3, 8), (3, 9), (3, 28), (3, 29), (3, 30), (4, 4), (4, 5),
                                         (4, 6), (9, 5), (9, 6), (10, 3), (10, 4), (10, 24), (10, 25),
                                         (10, 31), (11, 1), (11, 2)]]  # fmt: skip


def _moments(rng: random.Random) -> list[dt.datetime]:
    """Instants around every zone's midnights on the chosen days, plus random ones."""
    out: set[dt.datetime] = set()
    for zone_name in ZONES:
        zone = ZoneInfo(zone_name)
        for day in DAYS:
            midnight = day_window(day, zone).start  # only used to aim near the boundary
            for offset in (-3601, -60, -1, 0, 1, 59, 1800, 3600):
                out.add(midnight + dt.timedelta(seconds=offset))
    base = dt.datetime(2026, 3, 6, tzinfo=dt.UTC)
    for _ in range(60):
        out.add(base + dt.timedelta(seconds=rng.randrange(0, 245 * 86400)))
    moments = sorted(out)
    return [m.replace(microsecond=0) for m in moments]


@pytest.fixture(scope="module")
def scattered_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dt.datetime]]:
    rng = random.Random(20260121)
    moments = _moments(rng)
    rng.shuffle(moments)  # committer dates out of order along history
    specs = []
    for index, moment in enumerate(moments):
        rebased = index % 5 == 0
        specs.append(
            CommitSpec(
                message=f"change {index}",
                committed_at=moment,
                authored_at=moment - dt.timedelta(days=3, hours=5) if rebased else None,
                edits=[FileEdit(f"f{index % 7}.txt", f"{index}\n")] if index % 3 == 0 else [],
            )
        )
    path = tmp_path_factory.mktemp("scattered") / "repo"
    shas = build_repo(path, specs)
    return path, dict(zip(shas, moments, strict=True))


def _truth(truth: dict[str, dt.datetime], day: dt.date, zone: str) -> set[str]:
    tz = ZoneInfo(zone)
    return {sha for sha, moment in truth.items() if moment.astimezone(tz).date() == day}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    zone=st.sampled_from(ZONES),
    day=st.sampled_from(DAYS) | st.dates(dt.date(2026, 3, 1), dt.date(2026, 11, 10)),
)
def test_single_day_equals_ground_truth(
    scattered_repo: tuple[Path, dict[str, dt.datetime]], tmp_path: Path, zone: str, day: dt.date
) -> None:
    path, truth = scattered_repo
    source = GitSource.open(str(path), tmp_path)
    found = {c.sha for c in source.commits(day_window(day, zone))}
    assert found == _truth(truth, day, zone)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(zone=st.sampled_from(ZONES), start=st.sampled_from(DAYS), length=st.integers(1, 4))
def test_range_buckets_equal_ground_truth(
    scattered_repo: tuple[Path, dict[str, dt.datetime]],
    tmp_path_factory: pytest.TempPathFactory,
    zone: str,
    start: dt.date,
    length: int,
) -> None:
    path, truth = scattered_repo
    data = tmp_path_factory.mktemp("data")
    settings_ = load_settings(
        environ={}, overrides={"data_dir": str(data), "report": {"timezone": zone}}, cwd=data
    )
    dates = days(start, start + dt.timedelta(days=length - 1))
    with Store.open(data) as store:
        outcome = run_days(GitSource.open(str(path), data), dates, settings_, store, HeuristicAnalyzer())
    for day_outcome in outcome.days:
        report = day_outcome.report
        assert {rc.sha for rc in report.commits} == _truth(truth, report.date, zone), report.date
    all_found = [rc.sha for r in outcome.reports for rc in r.commits]
    assert len(all_found) == len(set(all_found)), "a commit was counted on two days"


def test_consecutive_windows_tile_time() -> None:
    for zone in ZONES:
        for day in DAYS:
            today, tomorrow = day_window(day, zone), day_window(day + dt.timedelta(days=1), zone)
            assert today.end == tomorrow.start
            hours = (today.end - today.start).total_seconds() / 3600
            assert hours in {23, 23.5, 24, 24.5, 25}, (zone, day, hours)


def test_dst_days_have_23_and_25_hours() -> None:
    berlin_spring = day_window(dt.date(2026, 3, 29), "Europe/Berlin")
    berlin_autumn = day_window(dt.date(2026, 10, 25), "Europe/Berlin")
    assert berlin_spring.end - berlin_spring.start == dt.timedelta(hours=23)
    assert berlin_autumn.end - berlin_autumn.start == dt.timedelta(hours=25)


def test_a_commit_on_several_branches_is_counted_once(tmp_path: Path) -> None:
    moment = dt.datetime(2026, 1, 19, 12, tzinfo=dt.UTC)
    path = tmp_path / "repo"
    shas = build_repo(
        path, [CommitSpec("base", moment), CommitSpec("shared", moment + dt.timedelta(hours=1))]
    )
    git(path, "branch", "feature")
    git(path, "branch", "release")
    source = GitSource.open(str(path), tmp_path, all_branches=True)
    found = [c.sha for c in source.commits(day_window(dt.date(2026, 1, 19), "UTC"))]
    assert sorted(found) == sorted(shas)
