"""The delivery module's pure and ledger pieces in-process, with exact details: the fast unit tests
`make mutation` runs against engine/deliver.py beside the in-process half of tests/test_deliver.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dailydiff.engine.deliver import (
    DeliveryResult,
    configured_publishers,
    deliver,
    failure_error,
    is_delivered,
    pick_publishers,
    stored_history,
)
from dailydiff.errors import ConfigError, PartialPublishError, PublishError
from dailydiff.publish.base import PublishResult, Secrets, Status
from dailydiff.store import Store
from publish_reports import make_report
from test_deliver import Counting, edition

AT = dt.datetime(2026, 1, 28, 9, 30, 15, tzinfo=dt.UTC)


def test_without_a_store_every_target_is_sent_and_nothing_recorded(tmp_path: Path) -> None:
    chat = Counting("chat", in_place=False)
    first = deliver(edition(make_report(2)), [chat], None)
    again = deliver(edition(make_report(2)), [chat], None)
    assert [(r.publisher, r.type, r.target, r.status) for r in first + again] == [
        ("chat", "counting", "counting:chat", "ok")] * 2  # fmt: skip
    assert len(chat.sent) == 2 and first[0].detail.startswith("sent")


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
        assert (result.status, result.detail) == (
            "skipped",
            "no commits that day, nothing sent (skip_empty)",
        )
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
