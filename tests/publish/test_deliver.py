"""The one delivery path: the ledger's claims and policy (in-process, at the publisher seam), and every
command that publishes, as a user runs them, counted at a real local receiver: `report --publish`, `run`
and `publish` send a day once, `--force` sends it again, the same exit codes for a failing publisher,
two `run` processes with a slow receiver, and a `run` killed mid-send."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dailydiff.engine.deliver import claim_owner
from dailydiff.engine.deliver import deliver as deliver_edition
from dailydiff.errors import OutputFullError
from dailydiff.models import DayReport
from dailydiff.publish.base import PublishResult, Status
from dailydiff.render.edition import Edition, day_edition
from dailydiff.settings import load_settings
from dailydiff.store import Store
from netports import free_port
from opsfixtures import FIRST_DAY, build_workspace, cli_env, dailydiff
from publish_reports import make_report
from webhook_receiver import WebhookReceiver

# -- the ledger, in-process ------------------------------------------------------------------------


class Counting:
    """A publisher at the seam that counts what it sends (a message target, or one that updates in place)."""

    type = "counting"
    parts = ("files",)
    formats = ("md",)

    def __init__(self, name: str, *, in_place: bool, fail: bool = False, full: bool = False) -> None:
        self.name = name
        self.target = f"counting:{name}"
        self.updates_in_place = in_place
        self.one_writer = ""
        self.skip_empty = False
        self.fail = fail
        self.full = full  # fails as a files output on a full disk does
        self.sent: list[str] = []

    def send(self, edition: Edition) -> PublishResult:
        if self.full:
            raise OutputFullError(f"no space left on the disk of {self.name}", "free some space")
        if self.fail:
            raise ConnectionError("receiver down")
        self.sent.append(edition.files["md"])
        return PublishResult(self.name, self.type, Status.OK, "sent")


SETTINGS = load_settings(environ={}, cwd=Path("/"))


def edition(report: DayReport) -> Edition:
    return day_edition(report, SETTINGS)


def deliver(report: DayReport, targets: list[Counting], store: Store, **kwargs: object) -> list[str]:
    results = deliver_edition(edition(report), targets, store, **kwargs)  # type: ignore[arg-type]
    return [r.status for r in results]


def test_a_delivery_is_claimed_once_between_two_connections(tmp_path: Path) -> None:
    with Store.open(tmp_path) as one, Store.open(tmp_path) as two:
        key = ("acme/app", dt.date(2026, 1, 27), "zh", "slack:x")
        assert one.claim_delivery(*key, publisher="slack", content_hash="h", owner="a", seen=None)
        assert not two.claim_delivery(*key, publisher="slack", content_hash="h", owner="b", seen=None)
        row = two.delivery(*key)
        assert row is not None and (row.state, row.claim_owner, row.version, row.resends) == (
            "sending",
            "a",
            1,
            0,
        )
        # Both decide on the same row: the conditional update lets one of them win.
        assert two.claim_delivery(*key, publisher="slack", content_hash="h", owner="b", seen=row)
        assert not one.claim_delivery(*key, publisher="slack", content_hash="h", owner="a", seen=row)
        # The loser's outcome is not recorded over the winner's claim.
        assert not one.finish_delivery(*key, owner="a", state="delivered", content_hash="h", detail="")
        assert two.finish_delivery(*key, owner="b", state="delivered", content_hash="h", detail="ok")
        done = one.delivery(*key)
        assert done is not None and (done.state, done.attempts, done.detail) == ("delivered", 2, "ok")


def test_delivered_once_changed_reports_only_in_place_and_force_sends_again(tmp_path: Path) -> None:
    chat, files = Counting("chat", in_place=False), Counting("files", in_place=True)
    report = make_report(3)
    with Store.open(tmp_path) as store:
        assert deliver(report, [chat, files], store) == ["ok", "ok"]
        assert deliver(report, [chat, files], store) == ["skipped", "skipped"]
        # A rebuild of the same day differs in its generation line only: nothing is sent.
        rebuilt = report.model_copy(update={"generated_at": dt.datetime(2026, 3, 1, tzinfo=dt.UTC)})
        assert deliver(rebuilt, [chat, files], store) == ["skipped", "skipped"]
        # A changed report replaces the delivered one where that is possible; a message is not sent twice.
        changed = make_report(5)
        assert deliver(changed, [chat, files], store) == ["skipped", "ok"]
        assert (len(chat.sent), len(files.sent)) == (1, 2)
        assert deliver(changed, [chat, files], store, force=True) == ["ok", "ok"]
        assert (len(chat.sent), len(files.sent)) == (2, 3)


def test_once_a_stop_is_taken_nothing_new_is_sent_and_the_next_command_sends_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGTERM taken (common/stopping.py) while a unit's deliveries run on its thread, where the loop's
    cancellation does not reach: nothing more is claimed or sent; the next command sends each message once,
    also one that was claimed when the stop came (its process is gone: the claim is taken over)."""
    import dailydiff.engine.deliver as delivery
    from dailydiff.common import stopping

    monkeypatch.setattr(stopping, "TAKEN", [])
    chat, mail = Counting("chat", in_place=False), Counting("mail", in_place=False)
    report = make_report(3)
    with Store.open(tmp_path) as store:
        stopping.TAKEN.append(15)
        results = deliver_edition(edition(report), [chat, mail], store)
        assert [(r.status, r.detail) for r in results] == [("skipped", delivery.STOPPING)] * 2
        assert (chat.sent, mail.sent) == ([], [])
        assert store.deliveries(report.repo, report.date, report.language) == {}  # nothing claimed
        # The stop comes between a claim and its send: claimed, not sent.
        stopping.TAKEN.clear()
        confirm = delivery.confirm_claim

        def stopped_meanwhile(*args: object) -> str:
            stopping.TAKEN.append(15)
            return confirm(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(delivery, "confirm_claim", stopped_meanwhile)
        assert deliver(report, [chat], store) == ["skipped"] and chat.sent == []
        monkeypatch.setattr(delivery, "confirm_claim", confirm)
        stopping.TAKEN.clear()  # the next command (a process of its own: the first one's claim is stale)
        gone = delivery.claim_owner().rsplit(":", 2)[0] + ":999999999:x"
        rows = store.deliveries(report.repo, report.date, report.language)
        [(target, row)] = rows.items()
        assert row.state == "sending"
        store.claim_delivery(report.repo, report.date, report.language, target, publisher=row.publisher,
                             content_hash=row.content_hash, owner=gone, seen=row)  # fmt: skip
        assert deliver(report, [chat, mail], store) == ["ok", "ok"]
        assert deliver(report, [chat, mail], store) == ["skipped", "skipped"]
        assert (len(chat.sent), len(mail.sent)) == (1, 1)


def test_a_failed_delivery_is_tried_again_and_nothing_else_is(tmp_path: Path) -> None:
    chat, mail = Counting("chat", in_place=False), Counting("mail", in_place=False, fail=True)
    report = make_report(3)
    with Store.open(tmp_path) as store:
        results = deliver_edition(edition(report), [chat, mail], store)
        assert [(r.status, "receiver down" in r.detail) for r in results] == [("ok", False), ("failed", True)]
        mail.fail = False
        assert deliver(report, [chat, mail], store) == ["skipped", "ok"]
        assert (len(chat.sent), len(mail.sent)) == (1, 1)
        rows = store.deliveries(report.repo, report.date, report.language)
        assert {(r.publisher, r.state, r.attempts) for r in rows.values()} == {
            ("chat", "delivered", 1), ("mail", "delivered", 2)
        }  # fmt: skip


def test_live_claims_are_skipped_stale_ones_retried_and_said(tmp_path: Path) -> None:
    chat = Counting("chat", in_place=False)
    report = make_report(3)
    key = (report.repo, report.date, report.language, chat.target)
    with Store.open(tmp_path) as store:
        # Another machine is sending it: skipped while the claim is younger than claim_timeout.
        store.claim_delivery(*key, publisher="chat", content_hash="h", owner="elsewhere:123:abcd", seen=None)
        (live,) = deliver_edition(edition(report), [chat], store, claim_timeout=600)
        assert live.status == "skipped" and "being delivered by another process" in live.detail
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=601)
        (stale,) = deliver_edition(edition(report), [chat], store, claim_timeout=600,
                                now=lambda: later)  # fmt: skip
        assert stale.status == "ok" and "over claim_timeout 600s" in stale.recovered
        assert stale.recovered.startswith("retrying an interrupted delivery to chat (claimed at ")
        # A process on this machine that is gone: retried at once, whatever the timeout.
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        other = make_report(4, language="en")
        other_key = (other.repo, other.date, other.language, chat.target)
        owner = claim_owner().rsplit(":", 2)[0] + f":{dead.pid}:dead"
        store.claim_delivery(*other_key, publisher="chat", content_hash="h", owner=owner, seen=None)
        (retried,) = deliver_edition(edition(other), [chat], store, claim_timeout=600)
        assert retried.status == "ok" and f":{dead.pid}) is gone" in retried.recovered
    assert len(chat.sent) == 2


def test_messages_recorded_before_the_ledger_are_not_sent_again_after_the_upgrade(tmp_path: Path) -> None:
    import sqlite3

    from dailydiff.store import DB_NAME

    report = make_report(3)
    Store.open(tmp_path).close()
    # Turn the store back into what the previous version wrote: deliveries by publisher name (m002).
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.executescript("""
        DROP TABLE delivery_ledger;
        DROP TABLE llm_endpoints;
        DROP TABLE digests;
        DROP TABLE unit_claims;
        DROP TABLE unit_needs;
        DROP TABLE spent_usage;
        DROP TABLE search_answers;
        DROP TABLE search_fts;
        DROP TABLE search_docs;
        DROP INDEX IF EXISTS reports_stamps;
        DROP TABLE releases;
        DROP TABLE llm_batches;
        DROP INDEX IF EXISTS units_by_position;
        ALTER TABLE reports DROP COLUMN settings_digest;
        DELETE FROM migrations WHERE name >= 'm004';
        CREATE TABLE deliveries (repo TEXT NOT NULL, date TEXT NOT NULL, language TEXT NOT NULL,
            publisher TEXT NOT NULL, status TEXT NOT NULL, detail TEXT NOT NULL, delivered_at TEXT NOT NULL,
            PRIMARY KEY (repo, date, language, publisher));
    """)
    rows = [("chat", "ok"), ("mail", "failed"), ("issue", "ok")]
    db.executemany("INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, 'sent', '2026-01-28T01:00:00+00:00')",
                   [(report.repo, report.date.isoformat(), report.language, name, status) for name, status in rows])  # fmt: skip
    db.commit()
    db.close()
    chat, mail = Counting("chat", in_place=False), Counting("mail", in_place=False)
    issue = Counting("issue", in_place=True)  # updates in place: asked again, it compares by itself
    with Store.open(tmp_path) as store:
        assert "m004_delivery_ledger" in store.applied_migrations()
        results = deliver_edition(edition(report), [chat, mail, issue], store)
        assert [r.status for r in results] == ["skipped", "ok", "ok"]
        assert "recorded before the delivery ledger" in results[0].detail
        assert deliver(report, [chat, mail, issue], store, force=True) == ["ok", "ok", "ok"]
    assert (len(chat.sent), len(mail.sent), len(issue.sent)) == (1, 2, 2)


# -- every command, counted at a real receiver ---------------------------------------------------

PUBLISH_TOML = """
[[publish]]
type = "slack"
url_env = "SLACK_URL"
retries = 0

[[publish]]
type = "webhook"
url_env = "HOOK_URL"
retries = 0
"""
DAY = FIRST_DAY.isoformat()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.delay.clear()
    server.stop()


def hook_env(receiver: WebhookReceiver, slack: str | None = None) -> dict[str, str]:
    urls = receiver.urls()
    return {"SLACK_URL": slack or urls["slack"], "HOOK_URL": urls["webhook"]}


def counts(receiver: WebhookReceiver) -> dict[str, int]:
    return {service: len(bodies) for service, bodies in receiver.arrived.items()}


def dead_url() -> str:
    port = free_port()
    return f"http://127.0.0.1:{port}/slack/services/T/B/x"


REPORT = ("report", "repos/proj0", "--name", "proj0", "--date", DAY, "--publish", "--quiet")
PUBLISH = ("publish", "repos/proj0", "--name", "proj0", "--date", DAY)
RUN = ("run", "--date", DAY)


@pytest.mark.slow
def test_a_day_published_by_report_is_not_sent_again_by_run_or_publish_unless_forced(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    build_workspace(tmp_path, repos=1, per_day=2, extra_toml=PUBLISH_TOML)
    env = hook_env(receiver)
    dailydiff(*REPORT, cwd=tmp_path, env=env)
    assert counts(receiver) == {"slack": 1, "generic": 1}
    ran = dailydiff(*RUN, "--summary-json", "s.json", cwd=tmp_path, env=env)
    assert counts(receiver) == {"slack": 1, "generic": 1}, ran.stderr
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert [d["status"] for d in summary["repos"][0]["days"]] == ["up-to-date"]
    again = dailydiff(*PUBLISH, cwd=tmp_path, env=env)
    assert counts(receiver) == {"slack": 1, "generic": 1}
    assert again.stderr.count("skipped — already delivered at ") == 2
    dailydiff(*REPORT, cwd=tmp_path, env=env)  # built again: the same report, not sent again
    assert counts(receiver) == {"slack": 1, "generic": 1}
    dailydiff(*PUBLISH, "--force", cwd=tmp_path, env=env)
    assert counts(receiver) == {"slack": 2, "generic": 2}
    dailydiff(*RUN, "--force", cwd=tmp_path, env=env)
    assert counts(receiver) == {"slack": 3, "generic": 3}
    assert receiver.violations == []


@pytest.mark.slow
def test_a_failing_publisher_gives_the_same_exit_code_in_every_command(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    build_workspace(tmp_path, repos=1, per_day=2, extra_toml=PUBLISH_TOML)
    env = hook_env(receiver, slack=dead_url())  # slack is down, the webhook is up
    codes = {}
    for command in (REPORT, RUN, PUBLISH):
        result = dailydiff(*command, cwd=tmp_path, env=env, check=False)
        codes[command[0]] = result.returncode
        assert "1 of 2 publish step(s) failed (slack)" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert codes == {"report": 8, "run": 8, "publish": 8}
    assert counts(receiver) == {"generic": 1}  # delivered once; slack tried by each command
    only_slack = tmp_path / "slack.toml"
    only_slack.write_text(
        (tmp_path / "dailydiff.toml").read_text(encoding="utf-8").split('[[publish]]\ntype = "webhook"')[0],
        encoding="utf-8",
    )
    codes = {}
    for command in (REPORT, RUN, PUBLISH):
        result = dailydiff(*command, "--config", str(only_slack), cwd=tmp_path, env=env, check=False)
        codes[command[0]] = result.returncode
        assert "1 of 1 publish step(s) failed (slack)" in result.stderr, result.stderr
    assert codes == {"report": 7, "run": 7, "publish": 7}


def start_run(root: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "dailydiff", *args], cwd=root, env=cli_env(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


@pytest.mark.slow
def test_two_run_processes_with_a_slow_receiver_send_every_message_once(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    # The slack hook holds the first run's first message until the second run has finished: they overlap
    # for certain, however slow the machine, and the second finds that message being delivered.
    build_workspace(tmp_path, repos=1, per_day=2,
                    extra_toml=PUBLISH_TOML.replace("retries = 0", "retries = 0\ntimeout = 170", 1))  # fmt: skip
    held = receiver.hold_first["slack"] = threading.Event()
    days = [(FIRST_DAY + dt.timedelta(days=i)).isoformat() for i in range(3)]
    args = ("run", "--from", days[0], "--to", days[-1])
    first = start_run(tmp_path, hook_env(receiver), *args, "--summary-json", "s0.json")
    deadline = time.monotonic() + 90
    while not receiver.arrived.get("slack") and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    assert receiver.arrived.get("slack"), first.communicate()
    second = start_run(tmp_path, hook_env(receiver), *args, "--summary-json", "s1.json")
    try:
        outputs = [second.communicate(timeout=180)]
        assert first.poll() is None, "the first run did not wait for its held message"
    finally:
        held.set()
    outputs.insert(0, first.communicate(timeout=180))
    assert [first.returncode, second.returncode] == [0, 0], outputs
    summaries = [json.loads((tmp_path / f"s{i}.json").read_text(encoding="utf-8")) for i in range(2)]
    details = [[p["detail"] for day in s["repos"][0]["days"] for p in day["publish"]] for s in summaries]
    assert any(d.startswith("being delivered by another process") for d in details[1]), details
    # 3 days x 2 targets = 6 messages, each exactly once at the receiver.
    assert counts(receiver) == {"slack": 3, "generic": 3}, outputs
    for service in ("slack", "generic"):
        for day in days:
            assert sum(day.encode() in body for body in receiver.arrived[service]) == 1, (service, day)
    assert len(receiver.received["slack"]) == 3 and len(receiver.received["generic"]) == 3


@pytest.mark.slow
def test_a_run_killed_mid_send_is_retried_by_the_next_run_which_says_so(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    build_workspace(tmp_path, repos=1, per_day=2, extra_toml=PUBLISH_TOML)
    receiver.delay["slack"] = 60.0  # holds the request: the run is killed while it waits for the answer
    proc = start_run(tmp_path, hook_env(receiver), *RUN)
    deadline = time.monotonic() + 90
    while not receiver.arrived.get("slack") and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert receiver.arrived.get("slack"), proc.communicate()
    proc.kill()
    proc.communicate()
    receiver.delay.clear()
    assert counts(receiver) == {"slack": 1}  # the webhook comes after slack: never reached

    again = dailydiff(*RUN, cwd=tmp_path, env=hook_env(receiver))
    notes = [line for line in again.stderr.splitlines() if "retrying an interrupted delivery" in line]
    assert len(notes) == 1, again.stderr
    assert "to slack (claimed at " in notes[0] and ") is gone)" in notes[0]
    assert counts(receiver) == {"slack": 2, "generic": 1}  # the interrupted one again, the other once
    third = dailydiff(*RUN, cwd=tmp_path, env=hook_env(receiver))
    assert counts(receiver) == {"slack": 2, "generic": 1}
    assert "every day is up to date" in third.stderr
