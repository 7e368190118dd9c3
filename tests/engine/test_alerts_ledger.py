"""The alert ledger and fold, in process, against the local webhook receiver through the one ``deliver``:
the hourly most read across two looks, a failed alert retried through the ledger at the same URL, a folded
message that fails, the quiet hours' edges. What each test kills is named in its docstring (issue 86's review:
6 of 25 mutants of engine/alerts.py were killed)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from dailydiff.common.dates import DateSpec
from dailydiff.engine.alerts import FOLDED, alert_sends
from dailydiff.engine.deliver import DeliveryResult
from dailydiff.engine.outcome import UnitOutcome
from dailydiff.engine.runner import send_outcomes
from dailydiff.engine.runoptions import RunOptions
from dailydiff.models import Level
from dailydiff.publish.base import Publisher, Secrets
from dailydiff.publish.registry import build_publishers
from dailydiff.render.alert import AlertItem
from dailydiff.scoring.alerting import last_quiet_window, quiet_window
from dailydiff.settings import WatchTopic
from dailydiff.settings.publishers import PublishEntry
from dailydiff.store import DB_NAME, Store
from webhook_receiver import WebhookReceiver

UTC = dt.UTC
NOON = dt.datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path) as opened:
        yield opened


def _hook(hooks: WebhookReceiver) -> Publisher:
    entry = TypeAdapter(PublishEntry).validate_python(
        {"type": "webhook", "name": "hook", "url_env": "HOOK", "retries": 0}
    )
    return build_publishers([entry], Secrets({"HOOK": hooks.urls()["webhook"]}))[0]


def _item(n: int, at: dt.datetime, topic: str = "t") -> AlertItem:
    return AlertItem(repo="acme/widgets", sha=f"{n:040x}", topic=topic, why=("path src/**",), title=f"fix: {n}",
                     level=Level.HIGH, types=("bugfix",), summary="", url=None, committed_at=at, date=at.date(),
                     language="en", timezone="UTC")  # fmt: skip


@dataclass
class Sent:
    results: list[DeliveryResult]
    single: int
    folded: int
    held: int
    messages: int


def deliver_alerts(store: Store, items: Sequence[AlertItem], topics: Mapping[str, WatchTopic],
                   available: Sequence[Publisher], now: dt.datetime, **targets: Any) -> Sent:  # fmt: skip
    """The alert unit's pass: its editions (``alert_sends``), sent as the runner sends every unit's."""
    sends, held = alert_sends(store, items, topics, available, now, **targets)
    figures = {"single": 0, "folded": 0, "held": held, "messages": 0}
    outcome = UnitOutcome("alert", "alerts", "built", now.date(), figures=figures, sends=sends)
    send_outcomes([outcome], store, RunOptions(DateSpec(), secrets=Secrets({})))
    f = outcome.figures
    return Sent(outcome.publish, f["single"], f["folded"], f["held"], f["messages"])


def _look(
    store: Store, hook: Publisher, items: Sequence[AlertItem], now: dt.datetime, **topic: object
) -> Sent:
    watch = WatchTopic(name="t", paths=["**"], alert=["hook"], **topic)  # type: ignore[arg-type]
    return deliver_alerts(store, items, {"t": watch}, [hook], now)


def _alerts(hooks: WebhookReceiver) -> list[list[str]]:
    """Each message the receiver took: the shas it tells (one, or the folded ones)."""
    out = []
    for payload in hooks.received.get("generic", []):
        told = [payload] if payload["kind"] == "alert" else payload["alerts"]
        out.append([a["sha"] for a in told])
    return out


def _age_ledger(tmp_path: Path, hours: float) -> None:
    """Every ledger row as if written ``hours`` earlier (the hour is judged by the store's clock)."""
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        rows = db.execute("SELECT rowid, updated_at FROM delivery_ledger").fetchall()
        for rowid, updated in rows:
            moved = dt.datetime.fromisoformat(updated) - dt.timedelta(hours=hours)
            db.execute(
                "UPDATE delivery_ledger SET updated_at = ? WHERE rowid = ?", (moved.isoformat(), rowid)
            )


def test_the_hourly_most_is_read_across_two_looks_and_ends_with_the_hour(
    store: Store, hooks: WebhookReceiver, tmp_path: Path
) -> None:
    """max_per_hour = 2. Look 1: alerts 1 and 2 go singly. Look 2 in the same hour: alerts 3-5 are one folded
    message (the two singles of look 1 count). Look 3, same hour: alert 6 waits (one fold an hour). An hour
    later (the ledger aged): alert 6 goes singly. Kills: the recent rows read as none, folded rows counted as
    singles, the fold of the hour forgotten, `>= now - HOUR` turned into `>= now` or `<= now - HOUR`."""
    hook = _hook(hooks)
    items = [_item(n, NOON - dt.timedelta(minutes=60 - n)) for n in range(1, 7)]
    first = _look(store, hook, items[:2], NOON, max_per_hour=2)
    assert (first.single, first.folded, first.held) == (2, 0, 0)
    second = _look(store, hook, items[:5], NOON, max_per_hour=2)
    assert (second.single, second.folded, second.held) == (0, 3, 0)
    third = _look(store, hook, items, NOON, max_per_hour=2)
    assert (third.single, third.folded, third.held, third.messages) == (0, 0, 1, 0)
    assert _alerts(hooks) == [[items[0].sha], [items[1].sha], [i.sha for i in items[2:5]]]
    _age_ledger(tmp_path, 1.5)
    later = _look(store, hook, items, NOON + dt.timedelta(hours=1, minutes=30), max_per_hour=2)
    assert (later.single, later.messages) == (1, 1)
    assert _alerts(hooks)[-1] == [items[5].sha]
    rows = [store.delivery(i.ledger_repo, i.date, "en", hook.target) for i in items[2:5]]
    assert all(r is not None and r.content_hash.startswith(FOLDED) for r in rows)


def test_a_failed_alert_is_retried_through_the_ledger_at_the_same_url(
    store: Store, hooks: WebhookReceiver
) -> None:
    """The receiver answers 500 once, then recovers, at the same URL (one ledger target): the failed alert is a
    `failed` row, sent by the next look, once; the look after sends nothing. Kills: a failed row read as
    delivered (`owed` true only for no row), a failed send counted as sent."""
    hook = _hook(hooks)
    item = _item(1, NOON - dt.timedelta(minutes=5))
    hooks.script["generic"] = [500]
    down = _look(store, hook, [item], NOON)
    assert (down.single, down.messages) == (0, 0) and [r.status for r in down.results] == ["failed"]
    row = store.delivery(item.ledger_repo, item.date, "en", hook.target)
    assert row is not None and row.state == "failed"
    up = _look(store, hook, [item], NOON)
    assert (up.single, up.messages) == (1, 1) and _alerts(hooks) == [[item.sha]]
    again = _look(store, hook, [item], NOON)
    assert (again.single, again.messages, again.results) == (0, 0, [])
    assert len(hooks.arrived["generic"]) == 2  # the failed attempt and the retry: nothing more


def test_a_folded_message_that_fails_records_none_of_its_alerts_and_is_folded_again(
    store: Store, hooks: WebhookReceiver
) -> None:
    """max_per_hour = 1, three alerts: one single, the other two folded; the fold's send fails. Neither folded
    alert is recorded; the next look folds them again (the fold's failed row is not "this hour's fold") and
    then records both. Kills: the alerts recorded without looking at the fold's row, a failed fold counted."""
    hook = _hook(hooks)
    items = [_item(n, NOON - dt.timedelta(minutes=30 - n)) for n in range(1, 4)]
    hooks.script["generic"] = [200, 500]  # the single goes, the fold fails
    first = _look(store, hook, items, NOON, max_per_hour=1)
    assert (first.single, first.folded, first.messages) == (1, 0, 1)
    assert all(store.delivery(i.ledger_repo, i.date, "en", hook.target) is None for i in items[1:])
    second = _look(store, hook, items, NOON, max_per_hour=1)
    assert (second.single, second.folded, second.messages) == (0, 2, 1)
    assert _alerts(hooks)[-1] == [i.sha for i in items[1:]]
    assert all(
        (row := store.delivery(i.ledger_repo, i.date, "en", hook.target)) is not None
        and row.content_hash.startswith(FOLDED)
        for i in items[1:]
    )


@pytest.mark.parametrize(
    ("hour", "minute", "second", "quiet"),
    [(21, 59, 59, False), (22, 0, 0, True), (6, 59, 59, True), (7, 0, 0, False)],
)
def test_quiet_hours_start_at_22_00_and_end_before_07_00(
    hour: int, minute: int, second: int, quiet: bool
) -> None:
    """The window is [22:00, 07:00): kills `<=`/`<` swapped at either end of quiet_window."""
    at = dt.datetime(2026, 3, 2, hour, minute, second, tzinfo=UTC)
    assert (quiet_window("22:00-07:00", at, "UTC") is not None) is quiet


def test_the_quiet_window_that_ended_at_07_00_is_the_last_from_07_00_on() -> None:
    """At 07:00 sharp the night's window has ended (last_quiet_window gives it); a second before, the one of the
    night before. Kills `end <= local` turned into `end < local`."""
    seven = dt.datetime(2026, 3, 2, 7, tzinfo=UTC)
    assert last_quiet_window("22:00-07:00", seven, "UTC") == (dt.datetime(2026, 3, 1, 22, tzinfo=UTC), seven)
    before = last_quiet_window("22:00-07:00", seven - dt.timedelta(seconds=1), "UTC")
    assert before == (dt.datetime(2026, 2, 28, 22, tzinfo=UTC), dt.datetime(2026, 3, 1, 7, tzinfo=UTC))


def test_alerts_committed_at_22_00_and_07_00_sharp_are_held_and_not(
    store: Store, hooks: WebhookReceiver
) -> None:
    """At 07:00 the night ended: the alert committed at 22:00 sharp was quiet's (one message of what the night
    held), the one at 07:00 sharp is not (a single of its own). Kills the `window[0] <= committed_at <
    window[1]` edges of engine/alerts.py."""
    hook = _hook(hooks)
    night = dt.datetime(2026, 3, 1, 22, tzinfo=UTC)
    morning = dt.datetime(2026, 3, 2, 7, tzinfo=UTC)
    at_ten, at_seven = _item(1, night), _item(2, morning)
    sent = _look(store, hook, [at_ten, at_seven], morning, quiet="22:00-07:00")
    assert (sent.folded, sent.single) == (1, 1)
    kinds = [p["kind"] for p in hooks.received["generic"]]
    assert sorted(kinds) == ["alert", "alerts"]
    folded = next(p for p in hooks.received["generic"] if p["kind"] == "alerts")
    assert [a["sha"] for a in folded["alerts"]] == [at_ten.sha]


@pytest.fixture
def other() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


def _two(hooks: WebhookReceiver, other: WebhookReceiver) -> list[Publisher]:
    entries = [
        {"type": "webhook", "name": name, "url_env": name.upper(), "retries": 0} for name in ("hook", "other")
    ]
    secrets = Secrets({"HOOK": hooks.urls()["webhook"], "OTHER": other.urls()["webhook"]})
    return build_publishers([TypeAdapter(PublishEntry).validate_python(e) for e in entries], secrets)


def test_an_alert_goes_only_to_its_topic_s_targets_in_each_one_s_language(
    store: Store, hooks: WebhookReceiver, other: WebhookReceiver
) -> None:
    """The topic alerts `other` only, whose [[publish]] language is zh: `hook` gets nothing, and the alert's
    ledger row is other's, in zh. Kills: every publisher picked, the target's language not looked up or not
    applied (mutants of _by_target)."""
    publishers = _two(hooks, other)
    item = _item(1, NOON - dt.timedelta(minutes=5))
    topic = WatchTopic(name="t", paths=["**"], alert=["other"])
    sent = deliver_alerts(store, [item], {"t": topic}, publishers, NOON, targets={"other": ("zh", "")})
    assert (sent.single, sent.messages) == (1, 1)
    assert hooks.received.get("generic", []) == [] and len(other.received["generic"]) == 1
    row = store.delivery(item.ledger_repo, item.date, "zh", publishers[1].target)
    assert row is not None and row.state == "delivered"
    assert store.delivery(item.ledger_repo, item.date, "en", publishers[1].target) is None


def test_quiet_hours_hold_an_alert_for_every_target_and_send_nothing(
    store: Store, hooks: WebhookReceiver, other: WebhookReceiver
) -> None:
    """At 23:30, inside 22:00-07:00, an alert of 23:00 to two targets is held for each (held 2), nothing is
    sent. Kills: the topic's quiet hours not read, the quiet alerts sent anyway (`and` for `or`), held counted
    per target instead of in all."""
    publishers = _two(hooks, other)
    night = dt.datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    topic = WatchTopic(name="t", paths=["**"], alert=["hook", "other"], quiet="22:00-07:00")
    sent = deliver_alerts(
        store, [_item(1, night - dt.timedelta(minutes=30))], {"t": topic}, publishers, night
    )
    assert (sent.held, sent.single, sent.folded, sent.messages, sent.results) == (2, 0, 0, 0, [])
    assert hooks.received.get("generic", []) == [] and other.received.get("generic", []) == []


def test_one_look_with_a_single_and_a_burst_counts_both_messages(
    store: Store, hooks: WebhookReceiver
) -> None:
    """max_per_hour = 1 and three alerts in one look: one single, then one message folding two, titled by the
    hourly most. Kills: a fold's results or messages replacing the single's (`=` for `+=`), the fold told the
    wrong most, a burst titled as quiet hours."""
    hook = _hook(hooks)
    items = [_item(n, NOON - dt.timedelta(minutes=30 - n)) for n in range(1, 4)]
    sent = _look(store, hook, items, NOON, max_per_hour=1)
    assert (sent.single, sent.folded, sent.messages, len(sent.results)) == (1, 2, 2, 2)
    folded = hooks.received["generic"][-1]
    assert (folded["reason"], folded["title"]) == ("burst", "👀 2 alerts for hook (more than 1 an hour)")


def test_the_quiet_night_s_alerts_and_a_burst_are_two_folds_in_one_look(
    store: Store, hooks: WebhookReceiver
) -> None:
    """At 07:30 with max_per_hour = 1: the two alerts of the night are one message naming the quiet hours; of
    three alerts since 07:00 one goes singly and two are folded. Folded 4 in all, 3 messages. Kills: the quiet
    hours not passed to their fold, the second fold's count replacing the first's."""
    hook = _hook(hooks)
    morning = dt.datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
    night = [
        _item(n, dt.datetime(2026, 3, 1, 23, 0, tzinfo=UTC) + dt.timedelta(minutes=30 * n)) for n in (0, 1)
    ]
    burst = [
        _item(n, dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC) + dt.timedelta(minutes=5 * n)) for n in (2, 3, 4)
    ]
    sent = _look(store, hook, night + burst, morning, max_per_hour=1, quiet="22:00-07:00")
    assert (sent.folded, sent.single, sent.messages) == (4, 1, 3)
    reasons = sorted(
        (p["reason"], len(p["alerts"])) for p in hooks.received["generic"] if p["kind"] == "alerts"
    )
    assert reasons == [("burst", 2), ("quiet", 2)]
    quiet = next(p for p in hooks.received["generic"] if p.get("reason") == "quiet")
    assert "22:00-07:00" in quiet["title"], quiet["title"]


def test_an_alert_that_failed_singly_then_goes_in_a_fold_is_recorded_folded(
    store: Store, hooks: WebhookReceiver
) -> None:
    """Look 1 (max 2): A goes, B fails (a `failed` row). Look 2 (max 1, the hour spent): B and C are folded;
    B's failed row is taken over and recorded folded like C's new one, so look 3 sends nothing. Kills: the
    fold recording an alert without its row (`seen` not read, or read for another key), skipping a failed
    row as if delivered."""
    hook = _hook(hooks)
    a, b, c = (_item(n, NOON - dt.timedelta(minutes=30 - n)) for n in range(1, 4))
    hooks.script["generic"] = [200, 500]
    first = _look(store, hook, [a, b], NOON, max_per_hour=2)
    assert (first.single, [r.status for r in first.results]) == (1, ["ok", "failed"])
    second = _look(store, hook, [a, b, c], NOON, max_per_hour=1)
    assert (second.single, second.folded, second.messages) == (0, 2, 1)
    for item in (b, c):
        row = store.delivery(item.ledger_repo, item.date, "en", hook.target)
        assert row is not None and row.state == "delivered" and row.content_hash.startswith(FOLDED), row
    third = _look(store, hook, [a, b, c], NOON, max_per_hour=1)
    assert (third.single, third.folded, third.held, third.messages) == (0, 0, 0, 0)


def test_an_alert_another_process_is_sending_is_not_recorded_by_the_fold(
    store: Store, hooks: WebhookReceiver
) -> None:
    """max_per_hour = 1; B is being sent by another process (its row `sending`, that process's claim) when
    the fold of B and C goes out: C is recorded folded, B's row is left to its claim. Kills: the `sending`
    check misspelt (B taken over), `continue` turned into `break` (C not recorded after B)."""
    hook = _hook(hooks)
    a, b, c = (_item(n, NOON - dt.timedelta(minutes=30 - n)) for n in range(1, 4))
    assert _look(store, hook, [a], NOON, max_per_hour=1).single == 1
    assert store.claim_delivery(b.ledger_repo, b.date, "en", hook.target, publisher="hook", content_hash="x",
                                owner="elsewhere:1:abc", seen=None)  # fmt: skip
    sent = _look(store, hook, [a, b, c], NOON, max_per_hour=1)
    assert sent.messages == 1
    row_b = store.delivery(b.ledger_repo, b.date, "en", hook.target)
    row_c = store.delivery(c.ledger_repo, c.date, "en", hook.target)
    assert row_b is not None and (row_b.state, row_b.claim_owner) == ("sending", "elsewhere:1:abc")
    assert row_c is not None and row_c.state == "delivered" and row_c.content_hash.startswith(FOLDED)


def test_the_last_quiet_window_is_today_s_when_it_ended_today_in_the_target_s_timezone() -> None:
    """A window that does not cross midnight ended today (12:00-13:00 at 14:00), judged in Shanghai's time, not
    the machine's. Kills: today skipped, the timezone not applied."""
    at = dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai
    shanghai = dt.timezone(dt.timedelta(hours=8))
    start, end = last_quiet_window("12:00-13:00", at, "Asia/Shanghai")  # type: ignore[misc]
    assert (start.astimezone(shanghai), end.astimezone(shanghai)) == (
        dt.datetime(2026, 3, 2, 12, tzinfo=shanghai),
        dt.datetime(2026, 3, 2, 13, tzinfo=shanghai),
    )


def test_a_topic_naming_an_unknown_target_is_refused_naming_its_setting(
    store: Store, hooks: WebhookReceiver
) -> None:
    from dailydiff.errors import ConfigError

    topic = WatchTopic(name="t", paths=["**"], alert=["nope"])
    with pytest.raises(ConfigError) as raised:
        deliver_alerts(store, [_item(1, NOON)], {"t": topic}, [_hook(hooks)], NOON)
    assert raised.value.message == "invalid setting 'watch 't' alert': unknown publisher 'nope'"


def test_quiet_hours_are_judged_in_the_target_s_timezone(store: Store, hooks: WebhookReceiver) -> None:
    """15:30 UTC is 23:30 in Shanghai, the target's timezone: its alert waits (in UTC it would go)."""
    at = dt.datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    topic = WatchTopic(name="t", paths=["**"], alert=["hook"], quiet="22:00-07:00")
    sent = deliver_alerts(store, [_item(1, at - dt.timedelta(minutes=10))], {"t": topic}, [_hook(hooks)], at,
                          targets={"hook": ("", "Asia/Shanghai")})  # fmt: skip
    assert (sent.held, sent.messages) == (1, 0)


def test_overflow_held_for_two_targets_counts_both(
    store: Store, hooks: WebhookReceiver, other: WebhookReceiver
) -> None:
    """max_per_hour = 1 and this hour's fold sent already to both targets: the next alert waits for each (2)."""
    publishers = _two(hooks, other)
    topic = WatchTopic(name="t", paths=["**"], alert=["hook", "other"], max_per_hour=1)
    items = [_item(n, NOON - dt.timedelta(minutes=30 - n)) for n in range(1, 5)]
    first = deliver_alerts(store, items[:3], {"t": topic}, publishers, NOON)
    assert (first.single, first.folded) == (2, 4)
    later = deliver_alerts(store, items, {"t": topic}, publishers, NOON)
    assert (later.held, later.messages) == (2, 0)


def test_an_ended_quiet_window_is_folded_after_an_alert_another_topic_holds(
    store: Store, hooks: WebhookReceiver
) -> None:
    """At 23:30: topic `night` (22:00-07:00) holds Y; topic `lunch` (12:00-13:00) held X at 12:30, and its
    window has ended: X goes in one quiet message, whatever the order. Kills `continue` turned into `break`
    in _quiet_ended."""
    now = dt.datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    y, x = _item(1, now - dt.timedelta(minutes=30), "night"), _item(2, now.replace(hour=12), "lunch")
    topics = {"night": WatchTopic(name="night", paths=["**"], alert=["hook"], quiet="22:00-07:00"),
              "lunch": WatchTopic(name="lunch", paths=["**"], alert=["hook"], quiet="12:00-13:00")}  # fmt: skip
    sent = deliver_alerts(store, [y, x], topics, [_hook(hooks)], now)
    assert (sent.held, sent.folded, sent.single) == (1, 1, 0)
    assert [p["reason"] for p in hooks.received["generic"]] == ["quiet"]
