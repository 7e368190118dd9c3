"""The delivery module's pure and ledger pieces in-process, with exact details: the fast unit tests
`make mutation` runs against engine/deliver.py beside the in-process half of tests/test_deliver.py."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dailydiff.engine.deliver import (
    LEGACY_TARGET,
    DeliveryResult,
    claim_owner,
    configured_publishers,
    deliver,
    is_delivered,
    pick_publishers,
    stored_history,
)
from dailydiff.engine.printer import failure_error
from dailydiff.errors import ConfigError, OutputFullError, PartialPublishError, PublishError
from dailydiff.models import DayReport
from dailydiff.publish.base import RESENDS, PublishResult, Secrets, Status
from dailydiff.render.edition import Edition, day_edition
from dailydiff.settings import load_settings
from dailydiff.store import Store
from publish_reports import make_report
from test_deliver import SETTINGS, Counting, edition
from webhook_receiver import WebhookReceiver

AT = dt.datetime(2026, 1, 28, 9, 30, 15, tzinfo=dt.UTC)


def test_without_a_store_every_target_is_sent_and_nothing_recorded(tmp_path: Path) -> None:
    chat = Counting("chat", in_place=False)
    first = deliver(edition(make_report(2)), [chat], None)
    again = deliver(edition(make_report(2)), [chat], None)
    assert [(r.publisher, r.type, r.target, r.status) for r in first + again] == [
        ("chat", "counting", "counting:chat", "ok")] * 2  # fmt: skip
    assert len(chat.sent) == 2 and first[0].detail.startswith("sent")
    # No ledger: no hash recorded, nothing taken over.
    assert [(r.content_hash, r.recovered) for r in first + again] == [("", "")] * 2


def test_the_details_of_each_skip_are_exact(tmp_path: Path) -> None:
    chat, files = Counting("chat", in_place=False), Counting("files", in_place=True)
    report = make_report(3)
    with Store.open(tmp_path) as store:
        (sent,) = deliver(edition(report), [chat], store, now=lambda: AT)
        assert sent.status == "ok" and sent.recovered == "" and len(sent.content_hash) == 64
        row = store.delivery(report.repo, report.date, report.language, chat.target)
        assert row is not None and (row.state, row.content_hash, row.publisher) == (
            "delivered",
            sent.content_hash,
            "chat",
        )
        (skipped,) = deliver(edition(report), [chat], store)
        when = f"{row.updated_at:%Y-%m-%d %H:%M}"
        assert (skipped.status, skipped.detail) == (
            "skipped",
            f"already delivered at {when} UTC (--force sends it again)",
        )
        assert skipped.content_hash == sent.content_hash
        deliver(edition(report), [files], store)
        (same,) = deliver(edition(report), [files], store)
        frow = store.delivery(report.repo, report.date, report.language, files.target)
        assert (
            frow is not None
            and same.detail == f"unchanged since delivered at {frow.updated_at:%Y-%m-%d %H:%M} UTC"
        )
        assert (same.content_hash, same.target) == (
            frow.content_hash,
            files.target,
        )  # what it holds, and where
        assert (sent.target, skipped.target) == (chat.target, chat.target)
        assert is_delivered(store, edition(report).key, [chat, files])
        assert not is_delivered(store, edition(make_report(3, language="en")).key, [chat])
        later = Counting("later", in_place=False)
        assert not is_delivered(store, edition(report).key, [chat, later])


def test_a_live_claim_is_named_with_its_time_and_a_failed_delivery_is_not_delivered(tmp_path: Path) -> None:
    chat, mail = Counting("chat", in_place=False), Counting("mail", in_place=False, fail=True)
    report = make_report(3)
    key = (report.repo, report.date, report.language, chat.target)
    with Store.open(tmp_path) as store:
        store.claim_delivery(*key, publisher="chat", content_hash="h", owner="elsewhere:1:x", seen=None)
        row = store.delivery(*key)
        assert row is not None
        (live,) = deliver(edition(report), [chat], store, claim_timeout=600)
        assert live.detail == f"being delivered by another process (claimed at {row.claimed_at:%H:%M:%S} UTC)"
        assert live.content_hash == "h"
        (failed,) = deliver(edition(report), [mail], store)
        assert failed.status == "failed" and not is_delivered(store, edition(report).key, [mail])
        stale_at = row.claimed_at + dt.timedelta(seconds=601)
        (taken,) = deliver(edition(report), [chat], store, claim_timeout=600, now=lambda: stale_at)
        assert taken.status == "ok" and taken.recovered == (
            f"retrying an interrupted delivery to chat (claimed at {row.claimed_at:%Y-%m-%d %H:%M:%S} UTC; "
            f"claimed 601s ago, over claim_timeout 600s)")  # fmt: skip
        assert is_delivered(store, edition(report).key, [chat])


def test_the_exact_claim_timeout_is_still_live(tmp_path: Path) -> None:
    chat = Counting("chat", in_place=False)
    report = make_report(3)
    key = (report.repo, report.date, report.language, chat.target)
    with Store.open(tmp_path) as store:
        store.claim_delivery(*key, publisher="chat", content_hash="h", owner="elsewhere:1:x", seen=None)
        row = store.delivery(*key)
        assert row is not None
        at_limit = row.claimed_at + dt.timedelta(seconds=600)
        (live,) = deliver(edition(report), [chat], store, claim_timeout=600, now=lambda: at_limit)
        assert live.status == "skipped" and chat.sent == []


def test_a_skip_empty_target_records_an_empty_day_without_sending(tmp_path: Path) -> None:
    quiet = Counting("quiet", in_place=False)
    quiet.skip_empty = True
    empty = make_report(0)
    with Store.open(tmp_path) as store:
        (result,) = deliver(edition(empty), [quiet], store)
        assert result.as_dict() == {"publisher": "quiet", "type": "counting", "status": "skipped",
                                    "detail": "no commits that day, nothing sent (skip_empty)"}  # fmt: skip
        assert quiet.sent == [] and is_delivered(store, edition(empty).key, [quiet])
        (busy,) = deliver(edition(make_report(2, language="en")), [quiet], store)
        assert busy.status == "ok" and len(quiet.sent) == 1


def result(name: str, status: str) -> DeliveryResult:
    return DeliveryResult(name, "t", f"t:{name}", status, "")


def test_the_exit_for_publisher_failures() -> None:
    assert failure_error([result("a", "ok"), result("b", "skipped")]) is None
    assert failure_error([]) is None
    partial = failure_error([result("b", "failed"), result("a", "ok"), result("c", "failed")])
    assert isinstance(partial, PartialPublishError) and partial.exit_code == 8
    assert partial.message == "2 of 3 publish step(s) failed (b, c)"
    every = failure_error([PublishResult("x", "t", Status.FAILED, "down"), result("x", "failed")])
    assert type(every) is PublishError and every.message == "2 of 2 publish step(s) failed (x)"
    assert "run the same command again" in every.hint


def test_a_result_as_a_summary_row() -> None:
    plain = DeliveryResult("chat", "slack", "slack:x", "ok", "sent")
    assert plain.as_dict() == {"publisher": "chat", "type": "slack", "status": "ok", "detail": "sent"}
    full = DeliveryResult.of(
        PublishResult("files", "files", Status.OK, "wrote", ("a.md",)), "files:/x", "d", "took over"
    )
    assert (full.target, full.content_hash, full.recovered) == ("files:/x", "d", "took over")
    assert full.as_dict() == {"publisher": "files", "type": "files", "status": "ok", "detail": "wrote",
                              "recovered": "took over", "paths": ["a.md"]}  # fmt: skip


def test_picking_and_naming_publishers() -> None:
    a, b = Counting("a", in_place=False), Counting("b", in_place=False)
    assert pick_publishers(None, "repos[1].publishers", [a, b]) == [a, b]
    assert pick_publishers(["b"], "repos[1].publishers", [a, b]) == [b]
    with pytest.raises(ConfigError) as unknown:
        pick_publishers(["b", "zz", "yy"], "repos[2].publishers", [a, b])
    assert unknown.value.message == "invalid setting 'repos[2].publishers': unknown publisher 'zz'"
    assert unknown.value.hint == "configured publishers: a, b"
    with pytest.raises(ConfigError, match="none \\(add \\[\\[publish\\]\\] entries"):
        pick_publishers(["a"], "digest[1].publishers", [])
    files = Counting("files", in_place=True)
    assert (
        configured_publishers([], Secrets({}), files) == [files]
        and configured_publishers([], Secrets({})) == []
    )


def test_history_is_the_stored_days_before_a_report(tmp_path: Path) -> None:
    report = make_report(2)
    with Store.open(tmp_path) as store:
        for back in (1, 3, 31):
            store.save_report(report.model_copy(update={"date": report.date - dt.timedelta(days=back)}))
        store.save_report(
            report.model_copy(update={"language": "en", "date": report.date - dt.timedelta(days=2)})
        )
    history = stored_history(lambda: Store.open(tmp_path), days=30)
    assert [r.date for r in history(report)] == [report.date - dt.timedelta(days=n) for n in (1, 3)]
    by_default = stored_history(lambda: Store.open(tmp_path))(report)  # the 30 days a chart's median reads
    assert [r.date for r in by_default] == [report.date - dt.timedelta(days=n) for n in (1, 3)]
    assert [r.date for r in stored_history(lambda: Store.open(tmp_path), days=31)(report)][
        -1
    ] == report.date - dt.timedelta(days=31)


def test_a_repository_names_its_publishers_and_an_unknown_one_is_refused_with_its_key() -> None:
    from dailydiff.engine.deliver import publishers_for
    from dailydiff.settings.ops import RepoEntry

    a, b = Counting("a", in_place=False), Counting("b", in_place=False)
    assert publishers_for(RepoEntry(source="x", publishers=["b"]), 2, [a, b]) == [b]
    assert publishers_for(RepoEntry(source="x"), 2, [a, b]) == [a, b]
    with pytest.raises(
        ConfigError,
        match=r"^invalid setting 'repos\[3\].publishers': unknown publisher 'c' — configured publishers: a, b$",
    ):
        publishers_for(RepoEntry(source="x", publishers=["c"]), 3, [a, b])


def test_the_hints_say_what_to_do() -> None:
    error = failure_error([result("a", "failed")])
    assert error is not None and error.hint == (
        "see the summary for each reason; fix it and run the same command again (what was delivered is not sent twice)")  # fmt: skip
    with pytest.raises(ConfigError) as none:
        pick_publishers(["a"], "digest[1].publishers", [])
    assert none.value.hint == (
        "configured publishers: none (add [[publish]] entries, or --output-dir for the files output)")  # fmt: skip


def test_a_full_disk_exits_74_and_names_only_the_outputs_whose_disk_is_full() -> None:
    full = DeliveryResult("files", "files", "files:/out", "failed", "no space left on device", full=True)
    error = failure_error([full, result("chat", "failed"), result("mail", "ok")])
    assert isinstance(error, OutputFullError) and error.exit_code == 74
    assert error.message == "2 of 3 publish step(s) failed; files could not be written"
    assert error.hint == (
        "free some space or fix the permissions (the summary says which), then run the same command again (what was delivered is not sent twice)")  # fmt: skip
    two = failure_error(
        [full, DeliveryResult("mirror", "files", "files:/m", "failed", "no space", full=True)]
    )
    assert (
        two is not None and two.message == "2 of 2 publish step(s) failed; files, mirror could not be written"
    )
    # A full disk is said only where a failure came from it.
    error = failure_error([result("chat", "failed"), result("mail", "ok")])
    assert type(error) is PartialPublishError and "full" not in error.message


def test_a_publish_entry_named_files_beside_the_files_output_is_refused(tmp_path: Path) -> None:
    # Settings refuse two [[publish]] entries of one name; the files output (--output-dir) joins later.
    def publish(*names: str) -> list[dict[str, str]]:
        return [{"type": "webhook", "url_env": "HOOK_URL", "name": n} for n in names]

    files = Counting("files", in_place=True)
    named_files = load_settings(environ={}, overrides={"publish": publish("files")}, cwd=tmp_path)
    with pytest.raises(ConfigError) as twice:
        configured_publishers(named_files.publish, Secrets({}), files)
    assert twice.value.message == "publisher name(s) used twice: files"
    assert twice.value.hint == "give the [[publish]] entry another name (`files` is the --output-dir output)"
    distinct = load_settings(environ={}, overrides={"publish": publish("team", "ops")}, cwd=tmp_path)
    assert [p.name for p in configured_publishers(distinct.publish, Secrets({}), files)] == [
        "files",
        "team",
        "ops",
    ]


def test_a_configured_publisher_sends_to_the_url_its_secret_names(tmp_path: Path) -> None:
    receiver = WebhookReceiver().start()
    try:
        settings = load_settings(
            environ={}, overrides={"publish": [{"type": "webhook", "url_env": "HOOK_URL"}]}, cwd=tmp_path
        )
        [hook] = configured_publishers(settings.publish, Secrets({"HOOK_URL": receiver.urls()["webhook"]}))
        with Store.open(tmp_path) as store:
            (sent,) = deliver(edition(make_report(2)), [hook], store)
        assert sent.status == "ok", sent.detail
        assert len(receiver.received["generic"]) == 1 and receiver.violations == []
    finally:
        receiver.stop()


def test_the_history_of_a_day_leaves_the_day_itself_out(tmp_path: Path) -> None:
    report = make_report(2)
    with Store.open(tmp_path) as store:
        for back in (0, 1):
            store.save_report(report.model_copy(update={"date": report.date - dt.timedelta(days=back)}))
    history = stored_history(lambda: Store.open(tmp_path), days=30)
    assert [r.date for r in history(report)] == [report.date - dt.timedelta(days=1)]


def legacy_store(tmp_path: Path, report: DayReport, *names: str) -> Store:
    """A store holding deliveries an earlier version recorded by publisher name (before the ledger)."""
    store = Store.open(tmp_path)
    for name in names:
        key = (report.repo, report.date, report.language, LEGACY_TARGET + name)
        assert store.claim_delivery(*key, publisher=name, content_hash="", owner="old", seen=None)
        assert store.finish_delivery(*key, owner="old", state="delivered", content_hash="", detail="sent")
    return store


def test_a_message_recorded_before_the_ledger_is_not_sent_again_but_an_in_place_target_is(
    tmp_path: Path,
) -> None:
    chat, issue = Counting("chat", in_place=False), Counting("issue", in_place=True)
    report = make_report(3)
    with legacy_store(tmp_path, report, "chat", "issue") as store:
        row = store.delivery(report.repo, report.date, report.language, LEGACY_TARGET + "chat")
        assert row is not None
        assert is_delivered(store, edition(report).key, [chat])
        assert not is_delivered(store, edition(report).key, [issue])  # it compares by itself: asked again
        skipped, sent = deliver(edition(report), [chat, issue], store)
        assert (skipped.status, skipped.detail, skipped.content_hash) == (
            "skipped",
            f"already delivered at {row.updated_at:%Y-%m-%d %H:%M} UTC "
            "(recorded before the delivery ledger; --force sends it again)",
            "",
        )
        assert sent.status == "ok" and (chat.sent, len(issue.sent)) == ([], 1)
        (forced,) = deliver(edition(report), [chat], store, force=True)
        assert forced.status == "ok" and len(chat.sent) == 1


def test_a_claim_held_by_another_thread_of_this_process_is_live_and_a_dead_process_is_named(
    tmp_path: Path,
) -> None:
    chat = Counting("chat", in_place=False)
    report = make_report(3)
    key = (report.repo, report.date, report.language, chat.target)
    host_and_pid = claim_owner().rsplit(":", 1)[0]
    with Store.open(tmp_path) as store:
        store.claim_delivery(
            *key, publisher="chat", content_hash="h", owner=f"{host_and_pid}:other", seen=None
        )
        (live,) = deliver(edition(report), [chat], store, claim_timeout=600)
        assert live.status == "skipped" and live.detail.startswith("being delivered by another process")
        assert chat.sent == []
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        other = make_report(4, language="en")
        gone = f"{host_and_pid.rsplit(':', 1)[0]}:{dead.pid}"
        store.claim_delivery(*(other.repo, other.date, other.language, chat.target), publisher="chat",
                             content_hash="h", owner=f"{gone}:tag", seen=None)  # fmt: skip
        (retried,) = deliver(edition(other), [chat], store, claim_timeout=600)
        row = store.delivery(other.repo, other.date, other.language, chat.target)
        assert row is not None and retried.status == "ok" and len(chat.sent) == 1
        assert retried.recovered.endswith(f"; its process ({gone}) is gone)")


def test_a_part_that_cannot_be_rendered_fails_its_target_only_with_the_secret_scrubbed(
    tmp_path: Path,
) -> None:
    password = "s3cret-pw-99"

    def history(report: DayReport) -> list[DayReport]:  # the mail's chart reads the stored days
        raise ConnectionError(f"cannot reach postgresql://app:{password}@db/x")

    mail, chat = Counting("mail", in_place=False), Counting("chat", in_place=False)
    mail.parts = ("mail",)
    secrets = Secrets({"PW": password})
    secrets.get("PW", "store password")
    with Store.open(tmp_path) as store:
        failed, sent = deliver(
            day_edition(make_report(2), SETTINGS, history), [mail, chat], store, secrets=secrets
        )
        assert failed.as_dict() == {"publisher": "mail", "type": "counting", "status": "failed",
                                    "detail": "cannot render the day: cannot reach postgresql://***@db/x"}  # fmt: skip
        assert sent.status == "ok" and mail.sent == [] and len(chat.sent) == 1
        report = make_report(2)
        assert (
            store.delivery(report.repo, report.date, report.language, mail.target) is None
        )  # tried next time
    assert failure_error([failed, sent]) is not None


def test_a_live_process_on_this_host_keeps_its_claim_and_is_sent_no_signal(tmp_path: Path) -> None:
    chat = Counting("chat", in_place=False)
    report = make_report(3)
    key = (report.repo, report.date, report.language, chat.target)
    # Its own default for every signal (a parent under nohup would leave SIGHUP ignored), and says so before
    # the claim is checked: a signal sent while Python starts could otherwise find SIGHUP still ignored.
    code = (
        "import signal, time\nfor s in (signal.SIGHUP, signal.SIGINT): signal.signal(s, signal.SIG_DFL)\n"
        "print('ready', flush=True)\ntime.sleep(120)"
    )
    live = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert live.stdout is not None and live.stdout.readline() == "ready\n"
        host = claim_owner().split(":", 1)[0]
        with Store.open(tmp_path) as store:
            store.claim_delivery(
                *key, publisher="chat", content_hash="h", owner=f"{host}:{live.pid}:tag", seen=None
            )
            (skipped,) = deliver(edition(report), [chat], store, claim_timeout=600)
        assert skipped.status == "skipped" and skipped.detail.startswith("being delivered by another process")
        assert chat.sent == []
    finally:
        live.terminate()  # SIGTERM after whatever the check sent: a SIGHUP pending would be taken first
        live.wait()
        live.stdout.close()
    assert live.returncode == -signal.SIGTERM  # the claim check only asked whether it lives


def test_a_target_on_a_full_disk_is_recorded_failed_and_the_command_exits_74(tmp_path: Path) -> None:
    files, chat = Counting("files", in_place=True, full=True), Counting("chat", in_place=False)
    report = make_report(2)
    with Store.open(tmp_path) as store:
        results = deliver(edition(report), [files, chat], store)
        assert [(r.status, r.full) for r in results] == [("failed", True), ("ok", False)]
        row = store.delivery(report.repo, report.date, report.language, files.target)
        assert (
            row is not None
            and row.state == "failed"
            and not is_delivered(store, edition(report).key, [files])
        )
    error = failure_error(results)
    assert isinstance(error, OutputFullError) and error.exit_code == 74
    assert error.message == "1 of 2 publish step(s) failed; files could not be written"


def test_a_claim_lost_in_every_round_is_skipped_as_claimed_elsewhere_and_nothing_is_sent(
    tmp_path: Path,
) -> None:
    import sqlite3

    from dailydiff.store import DB_NAME

    chat = Counting("chat", in_place=False)
    report = make_report(3)
    Store.open(tmp_path).close()
    # Every claim this process makes loses, as when other processes keep taking the row first: the
    # insert the ledger claims with is refused (a trigger, as a unique key refuses a second claim).
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute("CREATE TABLE tries (n INTEGER)")
    db.execute(
        "CREATE TRIGGER lose_claims BEFORE INSERT ON delivery_ledger "
        "BEGIN INSERT INTO tries VALUES (1); SELECT RAISE(IGNORE); END"
    )
    db.commit()
    db.close()
    with Store.open(tmp_path) as store:
        (lost,) = deliver(edition(report), [chat], store)
        assert lost.as_dict() == {"publisher": "chat", "type": "counting", "status": "skipped",
                                  "detail": "claimed by another process meanwhile"}  # fmt: skip
        assert lost.content_hash == edition(report).content_hash(chat.parts, chat.formats)
        assert (
            chat.sent == [] and store.delivery(report.repo, report.date, report.language, chat.target) is None
        )
    db = sqlite3.connect(tmp_path / DB_NAME)
    assert db.execute("SELECT COUNT(*) FROM tries").fetchone()[0] == 3  # three rounds, then it gives up
    db.close()


def test_a_claim_lost_after_a_stale_verdict_and_won_next_round_says_nothing_of_a_takeover(
    tmp_path: Path,
) -> None:
    """Round one finds a stale claim and loses its own claim to another process, which records a failure
    meanwhile; round two claims the failed delivery and sends it. What is sent is a retry of a failure, not
    a takeover: the result names no interrupted delivery."""
    chat = Counting("chat", in_place=False)
    report = make_report(3)
    key = (report.repo, report.date, report.language, chat.target)
    with Store.open(tmp_path) as store, Store.open(tmp_path) as other:
        store.claim_delivery(*key, publisher="chat", content_hash="h", owner="elsewhere:1:a", seen=None)

        def now() -> dt.datetime:  # while this process judges the claim, another takes it and fails
            seen = other.delivery(*key)
            if seen is not None and seen.state == "sending" and seen.claim_owner == "elsewhere:1:a":
                assert other.claim_delivery(
                    *key, publisher="chat", content_hash="h", owner="elsewhere:2:b", seen=seen
                )
                assert other.finish_delivery(
                    *key, owner="elsewhere:2:b", state="failed", content_hash="h", detail="x"
                )
            return dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)

        (sent,) = deliver(edition(report), [chat], store, claim_timeout=600, now=now)
        assert (sent.status, sent.recovered, sent.target) == ("ok", "", chat.target) and len(chat.sent) == 1
        row = store.delivery(*key)
        assert row is not None and (row.state, row.attempts) == ("delivered", 3)


def _ledger_day(store: Store, repo: str, day: int, target: str, state: str, publisher: str = "slack") -> None:
    """One day's delivery to ``target`` claimed and finished as ``state`` (the ledger's own calls)."""
    date = dt.date(2026, 1, day)
    seen = store.delivery(repo, date, "en", target)
    assert store.claim_delivery(repo, date, "en", target, publisher=publisher, content_hash="h", owner="me",
                                seen=seen)  # fmt: skip
    assert store.finish_delivery(repo, date, "en", target, owner="me", state=state, content_hash="h",
                                 detail=f"{state} on day {day}")  # fmt: skip


def _at(name: str, target: str) -> Counting:
    """A configured publisher ``name`` whose ledger target (its address's fingerprint) is ``target``."""
    publisher = Counting(name, in_place=False)
    publisher.target = target
    return publisher


def test_a_target_failing_alert_after_days_in_a_row_is_one_exact_line_per_language(tmp_path: Path) -> None:
    from dailydiff.engine.deliver import delivery_alerts as alerts_of

    configured = [_at("slack", "slack:team"), _at("discord", "discord:dev"), _at("email", "email:all"),
                  _at("hook\u202egnp.exe", "hook:x")]  # fmt: skip

    def delivery_alerts(store: Store, repos: list[str], days: int, language: str) -> list[str]:
        return [a.line for a in alerts_of(store, dict.fromkeys(repos, configured), days, language)]

    with Store.open(tmp_path) as store:
        for day, state in ((14, "failed"), (15, "delivered"), (16, "failed"), (17, "failed"), (18, "failed")):
            _ledger_day(store, "o/r", day, "slack:team", state)
        for day in (16, 17):  # two days only
            _ledger_day(store, "o/r", day, "discord:dev", "failed", "discord")
        for day in (16, 17, 18):  # another repository's, and a digest's
            _ledger_day(store, "o/other", day, "slack:team", "failed")
            _ledger_day(store, "digest:weekly", day, "email:all", "failed", "email")
        assert delivery_alerts(store, ["o/r"], 3, "en") == [
            "slack has failed to deliver o/r on 3 days in a row (2026-01-16 to 2026-01-18); run dailydiff doctor"
        ]  # the delivered day ended the older streak: 3 days, not 4; discord's 2 days are under the bar
        assert delivery_alerts(store, ["o/r"], 2, "zh") == [
            "discord 推送 o/r 已连续 2 天失败（2026-01-16 至 2026-01-17）；请运行 dailydiff doctor 查看",
            "slack 推送 o/r 已连续 3 天失败（2026-01-16 至 2026-01-18）；请运行 dailydiff doctor 查看",
        ]
        assert delivery_alerts(store, ["digest:weekly"], 3, "en") == [
            "email has failed to deliver digest weekly on 3 days in a row (2026-01-16 to 2026-01-18); "
            "run dailydiff doctor"
        ]
        # Each says which target of which ledger unit it is about: that target is never told it.
        both = dict.fromkeys(["o/r", "digest:weekly"], configured)
        assert [(a.repo, a.target) for a in alerts_of(store, both, 3, "en")] == [
            ("digest:weekly", "email:all"), ("o/r", "slack:team")]  # fmt: skip
        assert delivery_alerts(store, ["o/r"], 4, "en") == []  # the streak is shorter than alert_after
        assert delivery_alerts(store, ["o/r"], 0, "en") == []  # 0: never
        assert delivery_alerts(store, [], 1, "en") == []
        _ledger_day(store, "o/x", 18, "hook:x", "failed", "hook\u202egnp.exe")  # a name is shown clean
        assert delivery_alerts(store, ["o/x"], 1, "en") == [
            "hookgnp.exe has failed to deliver o/x on 1 day in a row (2026-01-18 to 2026-01-18); "
            "run dailydiff doctor"
        ]
        _ledger_day(store, "o/r", 19, "slack:team", "delivered")  # it works again: no line
        assert delivery_alerts(store, ["o/r"], 3, "en") == []


def test_a_streak_is_its_targets_own_and_only_a_target_configured_now_is_alerted_on(tmp_path: Path) -> None:
    """A streak belongs to a publisher's name at one address (the ledger's target, a fingerprint of it): the
    same name at another address (a replaced webhook, another machine's) neither ends it nor is told it."""
    from dailydiff.engine.deliver import delivery_alerts

    def alerts(store: Store, *configured: Counting) -> list[tuple[str, str, str]]:
        return [(a.repo, a.target, a.publisher) for a in delivery_alerts(store, {"o/r": configured}, 3, "en")]

    old, new = _at("slack", "slack:old"), _at("slack", "slack:new")
    with Store.open(tmp_path) as store:
        for day in (16, 17, 18):
            _ledger_day(store, "o/r", day, old.target, "failed")
        _ledger_day(store, "o/r", 18, new.target, "delivered")  # the same name at another address: it works
        assert alerts(store, old, _at("email", "email:all")) == [("o/r", "slack:old", "slack")]
        assert alerts(store, new) == []  # the old address is not configured here: not alerted on
        assert alerts(store) == [] and alerts(store, _at("email", "email:all")) == []  # slack removed
        assert alerts(store, _at("slack-2", old.target)) == []  # the address under another name: its own
        assert [(f.target, f.days) for f in store.failing_targets(3)] == [("slack:old", 3)]  # every streak
        _ledger_day(store, "o/r", 20, old.target, "failed")  # put back: the 19th (no row) left it alone
        assert [(f.target, f.days, f.since, f.last) for f in store.failing_targets(3)] == [
            ("slack:old", 4, dt.date(2026, 1, 16), dt.date(2026, 1, 20))]  # fmt: skip


def test_a_day_skipped_as_empty_is_not_sent_and_neither_ends_nor_continues_a_streak(tmp_path: Path) -> None:
    quiet = Counting("quiet", in_place=False)
    quiet.skip_empty = True
    empty = make_report(0)  # 2026-01-27
    with Store.open(tmp_path) as store:
        for day in (24, 25, 26):
            _ledger_day(store, empty.repo, day, quiet.target, "failed", "quiet")
        (skipped,) = deliver(edition(empty), [quiet], store)
        assert skipped.status == "skipped" and quiet.sent == []
        [failing] = store.failing_targets(3)
        assert (failing.days, failing.since, failing.last) == (3, dt.date(2026, 1, 24), dt.date(2026, 1, 26))
        quiet.skip_empty = False  # a day it was sent to and worked: the streak ends
        (sent,) = deliver(
            edition(make_report(0).model_copy(update={"date": dt.date(2026, 1, 28)})), [quiet], store
        )
        assert sent.status == "ok" and store.failing_targets(1) == []


def test_a_day_not_settled_waits_for_messages_and_is_shown_where_it_updates_in_place(tmp_path: Path) -> None:
    """A message target gets a day once it is final (no ledger row meanwhile: the run that finds it settled
    sends it, once); a target that updates in place shows it now; --force sends it anyway."""
    chat, files = Counting("chat", in_place=False), Counting("files", in_place=True)
    unsettled = make_report(3).model_copy(update={"partial": True})
    with Store.open(tmp_path) as store:
        waiting, shown = deliver(edition(unsettled), [chat, files], store)
        assert (waiting.status, waiting.detail) == (
            "waiting",
            "the day has not settled yet; sent once it is final",
        )
        assert (waiting.target, waiting.recovered, len(waiting.content_hash)) == (chat.target, "", 64)
        assert store.delivery(unsettled.repo, unsettled.date, unsettled.language, chat.target) is None
        assert (shown.status, chat.sent, len(files.sent)) == ("ok", [], 1)
        (again,) = deliver(edition(unsettled), [chat], store)
        assert again.status == "waiting" and chat.sent == []
        (forced,) = deliver(edition(unsettled), [chat], store, force=True)
        assert forced.status == "ok" and len(chat.sent) == 1
        other = Counting("other", in_place=False)
        (settled,) = deliver(edition(make_report(3)), [other], store)
        assert settled.status == "ok" and len(other.sent) == 1


class Resending(Counting):
    """A message target that notes, for each sending, how many times --force had sent it again (the count its
    id is made from) and can be made to fail."""

    def __init__(self) -> None:
        super().__init__("hook", in_place=False)
        self.counts: list[int] = []

    def send(self, edition: Edition) -> PublishResult:
        self.counts.append(RESENDS.get())
        return super().send(edition)


def test_force_over_a_delivered_day_counts_a_resend_and_a_retry_does_not(tmp_path: Path) -> None:
    hook = Resending()
    report = make_report(3)
    key = (report.repo, report.date, report.language, hook.target)
    with Store.open(tmp_path) as store:

        def resends() -> int:
            row = store.delivery(*key)
            assert row is not None
            return row.resends

        assert [r.status for r in deliver(edition(report), [hook], store)] == ["ok"] and resends() == 0
        assert [r.status for r in deliver(edition(report), [hook], store)] == ["skipped"] and resends() == 0
        assert [r.status for r in deliver(edition(report), [hook], store, force=True)] == ["ok"]
        assert resends() == 1
        hook.fail = True
        assert [r.status for r in deliver(edition(report), [hook], store, force=True)] == ["failed"]
        assert resends() == 2
        assert [r.status for r in deliver(edition(report), [hook], store, force=True)] == ["failed"]
        assert resends() == 2  # forced over a failed sending: the same message tried again
        hook.fail = False
        assert [r.status for r in deliver(edition(report), [hook], store)] == ["ok"] and resends() == 2
    assert hook.counts == [0, 1, 2, 2, 2] and RESENDS.get() == 0
