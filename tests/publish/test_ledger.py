"""The delivery ledger between real processes, on both stores (SQLite and the real PostgreSQL of
tests/pgserver.py): a claim found stale while its holder finishes, and a live claim of another user's
process. Part of `make mutation`'s deliver and ledger sets: the mutated code runs in the child processes
too (they import the same `dailydiff` as the test, and inherit the mutant's environment)."""

from __future__ import annotations

import datetime as dt
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import dailydiff
from dailydiff.engine.deliver import claim_owner, deliver
from dailydiff.publish.base import PublishResult
from dailydiff.render.edition import Edition
from dailydiff.store import Store
from publish_reports import make_report
from test_deliver import Counting, edition

# The child's import path: the very `dailydiff` this test imported (under `make mutation`, the mutated
# copy), and tests/ for the report fixture.
PYTHONPATH = os.pathsep.join(
    [str(Path(dailydiff.__file__).resolve().parents[1]), str(Path(__file__).parents[1])]
)

# A second process delivering the same day to the same target (``counting:chat``), as another user when
# given one. Held ("hold"), it judges a `sending` claim by a ``now`` that says "deciding" and waits for a
# line, then judges the claim an hour later (stale by age, whoever holds it); otherwise by the store's
# clock. Prints its result as JSON and how many messages it sent.
SECOND = r"""
import datetime as dt, json, os, sys
from pathlib import Path
from dailydiff.engine.deliver import deliver
import dailydiff.publish.registry, dailydiff.store.interface  # deliver imports them where it delivers
from dailydiff.publish.base import PublishResult, Status
from dailydiff.render.edition import day_edition
from dailydiff.settings import load_settings
from dailydiff.store import Store
from publish_reports import make_report

location, drop_to, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "hold"

class Chat:
    name, type, target, parts, formats = "chat", "counting", "counting:chat", ("files",), ("md",)
    updates_in_place = skip_empty = False
    one_writer = ""
    sent = 0
    def send(self, edition):
        Chat.sent += 1
        return PublishResult("chat", "counting", Status.OK, "sent")

def now():
    print("deciding", flush=True)
    sys.stdin.readline()
    return dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)

report = make_report(3)
edition = day_edition(report, load_settings(environ={}, cwd=Path("/")))
edition.content_hash(Chat.parts, Chat.formats)  # rendered once: every lazy import done as root
with Store.connect(location) as store:
    store.clock()
    if drop_to:  # from here on another user, as a service account is (root may signal any process)
        os.setgid(drop_to)
        os.setuid(drop_to)
    (result,) = deliver(edition, [Chat()], store, claim_timeout=600, now=now if hold else None)
print(json.dumps({**result.as_dict(), "sent": Chat.sent}), flush=True)
"""


def start_second(location: str, drop_to: int = 0, *, hold: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SECOND, location, str(drop_to), "hold" if hold else "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": PYTHONPATH},
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "postgresql":
        yield str(request.getfixturevalue("pg_url"))
        return
    # A directory of its own any user may enter (pytest's tmp_path is root's alone): the EPERM test's
    # second process opens the store as another user.
    folder = Path(tempfile.mkdtemp(prefix="ddledger-"))
    folder.chmod(0o777)
    try:
        yield str(folder / "dailydiff.sqlite3")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Handshake(Counting):
    """The first process's target: while it sends, a second process finds its claim and decides on it."""

    def __init__(self, location: str) -> None:
        super().__init__("chat", in_place=False)
        self.location = location
        self.second: subprocess.Popen[str] | None = None

    def send(self, edition: Edition) -> PublishResult:
        self.second = start_second(self.location, hold=True)
        assert self.second.stdout is not None
        # The second process read this claim (state sending, this version) and now judges it.
        assert self.second.stdout.readline() == "deciding\n"
        return super().send(edition)


def test_a_claim_found_stale_while_its_holder_finishes_is_not_won_and_the_message_goes_once(
    location: str,
) -> None:
    """A stale verdict is taken on the row as it was: the holder's finish changes the row's version, so
    the conditional claim that follows loses and the second process sees the delivery done. (A finish that
    left the version alone let the second process win its claim and send the message again.)"""
    report = make_report(3)
    first = Handshake(location)
    with Store.connect(location) as store:
        (sent,) = deliver(edition(report), [first], store, claim_timeout=600)
        assert sent.status == "ok" and len(first.sent) == 1
        second = first.second
        assert second is not None and second.stdin is not None
        out, _ = second.communicate("go\n", timeout=120)  # the holder has finished: now judge the claim
        assert second.returncode == 0
        verdict = json.loads(out.splitlines()[-1])
        assert (verdict["status"], verdict["sent"]) == ("skipped", 0)
        assert verdict["detail"].startswith("already delivered at ")
        row = store.delivery(report.repo, report.date, report.language, first.target)
        assert row is not None and (row.state, row.attempts) == ("delivered", 1)


def test_a_live_claim_of_another_users_process_is_live_whoever_checks_it(location: str) -> None:
    """On this host a claim's process is asked whether it lives (signal 0). Root may signal any process;
    another user is refused (EPERM) for a process not its own, and that process is alive: its claim holds
    and nothing is sent a second time."""
    assert os.geteuid() == 0, "run as root (as .ci/run does): the test switches to another user"
    nobody = pwd.getpwnam("nobody")
    report = make_report(3)
    key = (report.repo, report.date, report.language, "counting:chat")
    host = claim_owner().split(":", 1)[0]
    theirs = subprocess.Popen(["sleep", "300"], user=nobody.pw_uid)  # a live process of another user
    try:
        with Store.connect(location) as store:
            store.claim_delivery(
                *key, publisher="chat", content_hash="h", owner=f"{host}:{theirs.pid}:t", seen=None
            )
            chat = Counting("chat", in_place=False)
            (ours,) = deliver(edition(report), [chat], store, claim_timeout=600)
            assert ours.status == "skipped" and ours.detail.startswith("being delivered by another process")
            assert chat.sent == [] and theirs.poll() is None
            # Now the claim is this (root's) process's, and another user's process checks it.
            seen = store.delivery(*key)
            assert seen is not None
            assert store.claim_delivery(
                *key, publisher="chat", content_hash="h", owner=claim_owner(), seen=seen
            )
            if not location.startswith("postgresql://"):
                for path in Path(location).parent.iterdir():
                    os.chown(path, nobody.pw_uid, nobody.pw_gid)
            second = start_second(location, drop_to=nobody.pw_uid)
            out, _ = second.communicate("", timeout=120)
            assert second.returncode == 0
            verdict = json.loads(out.splitlines()[-1])
            assert (verdict["status"], verdict["sent"]) == ("skipped", 0), verdict
            assert verdict["detail"].startswith("being delivered by another process")
            row = store.delivery(*key)
            assert row is not None and (row.state, row.attempts) == ("sending", 2)
    finally:
        theirs.kill()
        theirs.wait()


def test_a_second_process_takes_over_a_claim_whose_process_is_gone(location: str) -> None:
    """The other side of the two tests above, across processes: the holder is gone, its claim is taken
    over at once (not after claim_timeout) and the message is sent by the second process."""
    report = make_report(3)
    key = (report.repo, report.date, report.language, "counting:chat")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = claim_owner().split(":", 1)[0]
    with Store.connect(location) as store:
        store.claim_delivery(
            *key, publisher="chat", content_hash="h", owner=f"{host}:{gone.pid}:t", seen=None
        )
        second = start_second(location)
        # Judged by the store's clock: the claim is seconds old, under claim_timeout, and still taken over.
        out, _ = second.communicate("", timeout=120)
        verdict = json.loads(out.splitlines()[-1])
        assert (verdict["status"], verdict["sent"]) == ("ok", 1), verdict
        assert verdict["recovered"].endswith(f"; its process ({host}:{gone.pid}) is gone)")
        row = store.delivery(*key)
        assert row is not None and (row.state, row.attempts) == ("delivered", 2)


def test_a_finish_whose_session_the_server_ends_is_recorded_again_on_a_new_one(pg_url: str) -> None:
    """What was sent must be recorded: the server ends the session in the middle of the finish (as a
    restart does; here a trigger ends its own backend, once), and the record is made again, whole, on a new
    connection."""
    import psycopg

    key = ("o/r", dt.date(2026, 1, 27), "en", "chat")
    with Store.connect(pg_url) as store:
        assert store.claim_delivery(*key, publisher="chat", content_hash="h0", owner="me:1:t", seen=None)
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("CREATE SEQUENCE finish_cut")
            admin.execute(
                "CREATE FUNCTION cut_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF nextval('finish_cut') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF; "
                "RETURN NEW; END $$"
            )
            admin.execute(
                "CREATE TRIGGER cut_finish BEFORE UPDATE ON delivery_ledger FOR EACH ROW "
                "WHEN (NEW.state <> 'sending') EXECUTE FUNCTION cut_once()"
            )
        assert store.finish_delivery(
            *key, owner="me:1:t", state="delivered", content_hash="h1", detail="sent 1"
        )
        row = store.delivery(*key)
        assert row is not None
        assert (row.state, row.content_hash, row.detail, row.claim_owner) == (
            "delivered",
            "h1",
            "sent 1",
            "me:1:t",
        )
        with psycopg.connect(pg_url, autocommit=True) as admin:
            assert (
                admin.execute("SELECT last_value FROM finish_cut").fetchone()[0] == 2
            )  # cut once, made again
