"""The request budget, pure: whole days, most recent first, GraphQL batches rounded up, and what other
repositories of the run reserved."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from dailydiff.sources.budget import RequestBudget, day_costs

D = [dt.date(2026, 4, d) for d in range(1, 6)]


def test_everything_fits_or_the_limit_is_unknown() -> None:
    costs = {D[0]: (10, 10), D[1]: (5, 5)}
    assert RequestBudget().admit("o/a", costs, 100) == {D[0], D[1]}
    assert RequestBudget().admit("o/a", costs, None) == {D[0], D[1]}  # no limit known: no budget


def test_whole_recent_days_until_one_does_not_fit(caplog: pytest.LogCaptureFixture) -> None:
    costs = {D[0]: (1, 1), D[1]: (50, 50), D[2]: (20, 20), D[3]: (30, 30)}
    budget = RequestBudget()
    with caplog.at_level(logging.WARNING, logger="dailydiff.github"):
        admitted = budget.admit("o/a", costs, 60)
    # newest first: D3 (30 + a GraphQL request) fits, D3+D2 (50 + 1) fits, + D1 (100 + 1) does not: stop there,
    # even though D0 alone would fit (days are left whole and in order, never a gap)
    assert admitted == {D[3], D[2]}
    assert budget.deferred["o/a"] == [D[0], D[1]]
    (record,) = caplog.records
    assert "need 103 GitHub requests but the token has 60 left" in record.getMessage()
    assert budget.reserved == 51


def test_other_repositories_reservations_count_until_released() -> None:
    budget = RequestBudget()
    assert budget.admit("o/a", {D[0]: (40, 0)}, 50) == {D[0]}
    assert budget.admit("o/b", {D[0]: (40, 0)}, 50) == set()  # 50 left, 40 of them promised to o/a
    budget.release(40)  # o/a is done: its spend is in the API's own count now
    assert budget.admit("o/c", {D[0]: (40, 0)}, 50) == {D[0]}


def test_day_costs_group_commits_by_their_day() -> None:
    at = [dt.datetime(2026, 4, 1, 23, tzinfo=dt.UTC), dt.datetime(2026, 4, 2, 1, tzinfo=dt.UTC)]
    dated = [("a", at[0]), ("b", at[1]), ("c", at[1])]
    shanghai = lambda moment: (moment + dt.timedelta(hours=8)).date()  # noqa: E731
    costs = day_costs(dated, shanghai, {"a": 1, "b": 0, "c": 1}, {"a": True, "b": True, "c": False})
    assert costs == {dt.date(2026, 4, 2): (2, 2)}  # all three are the 2nd in Shanghai


def test_mode_is_set_per_repository(tmp_path: object) -> None:
    from dailydiff.engine.jobs import plan_jobs
    from dailydiff.settings import load_settings

    settings = load_settings(
        environ={},
        overrides={"repos": [{"source": "octo/a", "mode": "clone"}, {"source": "octo/b"}]},
    )
    modes = {job.entry.source: job.settings.github.mode for job in plan_jobs(settings)}
    assert modes == {"octo/a": "clone", "octo/b": "api"}
    assert load_settings(environ={"DAILYDIFF_GITHUB_MODE": "clone"}).github.mode == "clone"


def test_the_count_a_fetch_saw_stands_for_the_next_while_it_is_fresh_and_roomy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [100.0]
    monkeypatch.setattr("dailydiff.sources.budget.time.monotonic", lambda: clock[0])
    budget = RequestBudget()
    costs = {D[0]: (30, 0)}
    assert budget.remembered(costs) is None  # nothing seen yet: ask
    assert not budget.spends({}) and not budget.spends({D[0]: (0, 0)}) and budget.spends(costs)
    budget.saw(None, 0)  # a fetch whose answers said nothing
    assert budget.seen is None
    budget.saw(4000, 5000)
    assert budget.remembered(costs) == 4000
    assert budget.admit("o/a", costs, budget.remembered(costs)) == {D[0]}
    assert budget.remembered(costs) == 4000  # in flight: the 30 are reserved (admit subtracts them)
    budget.release(30)
    assert budget.remembered(costs) == 3970  # spent since the count
    budget.admit("o/b", {D[0]: (3500, 0)}, 3970)
    assert budget.remembered(costs) is None  # 470 left besides what is reserved: under a tenth of 5000
    budget.release(3500)
    budget.saw(4900, 5000)  # a later fetch's count (the window was reset)
    assert budget.remembered(costs) == 4900
    assert budget.remembered({D[0]: (500, 0)}) is None  # 4900 is not ten times 500
    clock[0] += 61
    assert budget.remembered(costs) is None  # a minute old: other processes may have spent the token
