"""How many units a run builds at once (engine/room.py): as many as keep the model's limit busy, a fixed number
by hand or without a model; and end to end, a run whose endpoint has room keeps more requests in flight than a
fixed four units would."""

from __future__ import annotations

import asyncio
from pathlib import Path

from dailydiff.analysis import make_analyzer
from dailydiff.common.dates import DateSpec
from dailydiff.engine.room import CEILING, FIRST_GUESS, FLOOR, LEAST_EXPECTED, PRIOR_UNITS, ROUNDS, UnitRoom
from dailydiff.engine.runoptions import RunOptions
from dailydiff.engine.stream import Engine
from dailydiff.store import Store
from fake_llm import FakeLLM
from llm_fixtures import settings_for
from opsfixtures import FIRST_DAY, build_workspace, dailydiff


async def _settle() -> None:
    """Every task woken so far has run (a seated waiter wakes the next on its own turn)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def _seat_all(room: UnitRoom, wanted: int) -> tuple[list[object], list[asyncio.Task[object]]]:
    """Asks for ``wanted`` seats; returns those taken at once and the tasks still waiting."""
    tasks = [asyncio.create_task(room.enter()) for _ in range(wanted)]
    await _settle()
    return [t.result() for t in tasks if t.done()], [t for t in tasks if not t.done()]


def test_a_fixed_room_seats_that_many_and_the_next_when_one_leaves() -> None:
    async def main() -> None:
        room = UnitRoom(2)
        seated, waiting = await _seat_all(room, 3)
        assert (len(seated), len(waiting), room.running) == (2, 1, 2)
        room.leave(seated[0])  # type: ignore[arg-type]
        await _settle()
        assert waiting[0].done() and room.running == 2
        assert room.most == 2

    asyncio.run(main())


def test_without_a_model_the_room_holds_its_floor() -> None:
    async def main() -> None:
        room = UnitRoom()  # capacity: None (the rules, or no session opened yet)
        seated, waiting = await _seat_all(room, FLOOR + 3)
        assert (len(seated), len(waiting)) == (FLOOR, 3)
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)

    asyncio.run(main())


def test_a_limit_known_without_a_unit_leaving_seats_the_waiting_units_once_woken() -> None:
    async def main() -> None:
        room = UnitRoom()
        limit: int | None = None  # no model session yet: the floor
        room.capacity = lambda: limit
        seated, waiting = await _seat_all(room, FLOOR + 4)
        assert (len(seated), len(waiting)) == (FLOOR, 4)
        limit = 8  # a session opened: its limit is known, and nobody has left
        await _settle()
        assert not any(t.done() for t in waiting)  # nothing looks at the room by itself…
        room.wake()
        await _settle()
        assert all(t.done() for t in waiting) and room.running == FLOOR + 4  # …until it is woken

    asyncio.run(main())


def test_a_run_seats_the_units_waiting_for_room_once_its_models_session_opens(tmp_path: Path) -> None:
    """The engine's first model session wakes the room: the units past ``FLOOR`` start while the first ones
    still fetch, not when they end."""

    async def main() -> None:
        with FakeLLM() as fake, Store.open(tmp_path) as store:
            settings = settings_for(fake, tmp_path)
            async with Engine(store, RunOptions(DateSpec())) as engine:
                seated, waiting = await _seat_all(engine.room, FLOOR + 4)
                assert (len(seated), len(waiting)) == (FLOOR, 4)
                await engine.session_for(make_analyzer("llm", settings, store))
                await _settle()
                assert all(t.done() for t in waiting), engine.room.capacity()

    asyncio.run(main())


def test_the_room_grows_with_the_limit_and_counts_what_units_have_asked() -> None:
    async def main() -> None:
        room = UnitRoom()
        limit = 8
        room.capacity = lambda: limit
        # Fresh units are expected to ask FIRST_GUESS requests each: ROUNDS × limit of them fit.
        fits = int(ROUNDS * limit / FIRST_GUESS)
        seated, waiting = await _seat_all(room, fits + 4)
        assert len(seated) == fits and room.fresh == fits
        # Each seated unit asks one request (in its own context): a fresh unit is now counted by what it
        # asked, one instead of two, so room for more opens.
        for seat in seated:
            with room.seated(seat):  # type: ignore[arg-type]
                room.asked()
        assert not any(t.done() for t in waiting)  # asking alone wakes no one
        room.answered()  # an answer does: 7 asked, and 2 for each fresh unit, stay below 2 × 8 for four more
        await _settle()
        assert all(t.done() for t in waiting) and room.fresh == 4
        # The limit dropping closes the room to new units until requests are answered.
        limit = 2
        late = asyncio.create_task(room.enter())
        await _settle()
        assert not late.done()
        late.cancel()
        await asyncio.gather(late, return_exceptions=True)
        assert room.peak <= CEILING

    asyncio.run(main())


def test_a_cancelled_waiter_passes_its_turn_on() -> None:
    async def main() -> None:
        room = UnitRoom(1)
        first = await room.enter()
        second = asyncio.create_task(room.enter())
        third = asyncio.create_task(room.enter())
        await asyncio.sleep(0)
        second.cancel()
        room.leave(first)
        await asyncio.gather(second, return_exceptions=True)
        await _settle()
        assert third.done() and room.running == 1

    asyncio.run(main())


def test_the_mean_a_unit_asks_comes_from_the_units_finished() -> None:
    async def main() -> None:
        room = UnitRoom()
        room.capacity = lambda: 4
        for asked in (0, 10, 2, 4):
            seat = await room.enter()
            with room.seated(seat):
                for _ in range(asked):
                    room.asked()
                    room.answered()
            room.leave(seat)
        # (0 + 10 + 2 + 4 + the first guess for PRIOR_UNITS units) / (4 + PRIOR_UNITS)
        expected = (16 + FIRST_GUESS * PRIOR_UNITS) / (4 + PRIOR_UNITS)
        assert room.expected() == expected
        unused = await room.enter()
        room.leave(unused, built=False)  # a seat given back unused is not a unit that asked nothing
        assert room.expected() == expected
        for _ in range(100):  # units that ask nothing (days without commits) still count for one request
            room.leave(await room.enter())
        assert room.expected() == LEAST_EXPECTED

    asyncio.run(main())


def _peak_in_flight(tmp_path: Path, run_toml: str) -> tuple[int, int]:
    build_workspace(tmp_path, repos=12, per_day=1, extra_toml=f'\n[analysis]\nanalyzer = "llm"\n{run_toml}')
    with FakeLLM(latency=0.4) as fake:
        env = {"DAILYDIFF_LLM_BASE_URL": fake.base_url, "DAILYDIFF_LLM_MODEL": fake.model,
               "DAILYDIFF_LLM_RESPONSE_MODE": "json_schema"}  # fmt: skip
        dailydiff("run", "--date", FIRST_DAY.isoformat(), cwd=tmp_path, env=env)
        return fake.peak_active, len(fake.analysis_requests())


def test_a_run_builds_as_many_units_at_once_as_the_endpoint_has_room_for(tmp_path: Path) -> None:
    """Twelve repositories of one commit a day: four units at once (the old fixed number, and the number
    set by hand here) keep at most four requests in flight; by default the run starts more units while the
    endpoint's limit (8 on a first run) has room."""
    found, analyses = _peak_in_flight(tmp_path / "found", "")
    by_hand, _ = _peak_in_flight(tmp_path / "by-hand", "\n[run]\nconcurrency = 4\n")
    assert analyses == 12
    assert by_hand <= 4 < found
