"""Every commit, under its own name, every time (issue 22): settled and partial days, late commits and
their addendum, owner-qualified names, date limits, empty days, one set of figures, commits git cannot
read. Real git repositories, the local webhook receiver and SMTP server; the clock is [run] now
(DAILYDIFF_RUN_NOW), the documented test clock of the settings layer."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clirun import dailydiff
from dailydiff.store import Store
from gitrepo import CommitSpec, FileEdit, build_repo, commit
from smtp_server import SmtpServer, email_publish_toml, make_certificate
from webhook_receiver import WebhookReceiver

SH = ZoneInfo("Asia/Shanghai")
SRC = Path(__file__).resolve().parents[2] / "src"
D = dt.date(2026, 4, 23)
HOOK = "tok3n-late"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


def spec(message: str, moment: dt.datetime, path: str | None = None) -> CommitSpec:
    name = path or f"src/{message.split()[-1]}.py"
    return CommitSpec(message, moment, edits=[FileEdit(name, f"# {message}\nvalue = 1\n")])


@dataclass
class World:
    tmp: Path
    repo: Path
    hooks: WebhookReceiver
    smtp: SmtpServer
    env: dict[str, str]

    def workers(self, now: dt.datetime, plan: str, *args: str, count: int = 2) -> list[tuple[int, str, dict]]:
        """``count`` `dailydiff run --plan` processes at once, sharing the plan ``plan``: each one's exit code,
        stderr and JSON summary."""
        env = {**self.env, "DAILYDIFF_RUN_NOW": now.isoformat(), "PYTHONPATH": str(SRC), "NO_COLOR": "1"}
        started = []
        for n in range(count):
            summary, log = self.tmp / f"summary-{plan}-{n}.json", self.tmp / f"worker-{plan}-{n}.log"
            command = [sys.executable, "-m", "dailydiff", "run", "--output-dir", "out", "--summary-json",
                       str(summary), "--plan", plan, *args]  # fmt: skip
            with log.open("w") as err:
                started.append((subprocess.Popen(command, cwd=self.tmp, env=env, stdout=subprocess.DEVNULL,
                                                 stderr=err), summary, log))  # fmt: skip
        done = []
        for process, summary, log in started:
            try:
                code = process.wait(timeout=240)
            finally:
                process.kill()
            data = json.loads(summary.read_text(encoding="utf-8")) if summary.exists() else {}
            summary.unlink(missing_ok=True)
            done.append((code, log.read_text(errors="replace"), data))
        return done

    def message_targets(self) -> None:
        """Slack, Teams and the JSON webhook instead of DingTalk, beside e-mail."""
        config = self.tmp / "dailydiff.toml"
        text = config.read_text(encoding="utf-8").replace('type = "dingtalk"\nurl_env = "DINGTALK_URL"', (
            'type = "slack"\nurl_env = "SLACK_URL"\n\n[[publish]]\ntype = "teams"\nurl_env = "TEAMS_URL"\n'
            'retries = 0\n\n[[publish]]\ntype = "webhook"\nurl_env = "HOOK_URL"'))  # fmt: skip
        config.write_text(text, encoding="utf-8")
        urls = self.hooks.urls(HOOK)
        self.env |= {"SLACK_URL": urls["slack"], "TEAMS_URL": urls["teams"], "HOOK_URL": urls["webhook"]}

    def received(self) -> list[int]:
        chats = [len(self.hooks.received.get(s, [])) for s in ("slack", "teams", "generic")]
        return [*chats, len(self.mails())]

    def run(self, now: dt.datetime, *args: str) -> tuple[int, str, dict]:
        summary = self.tmp / "summary.json"
        env = {**self.env, "DAILYDIFF_RUN_NOW": now.isoformat()}
        result = dailydiff(
            "run", "--output-dir", "out", "--summary-json", str(summary), *args, cwd=self.tmp, env=env
        )
        data = json.loads(summary.read_text(encoding="utf-8")) if summary.exists() else {}
        summary.unlink(missing_ok=True)
        return result.returncode, result.stderr, data

    def report(self, day: dt.date, ext: str = "md") -> str:
        return (self.tmp / "out" / f"{day.year}" / "proj" / f"{day}.{ext}").read_text(encoding="utf-8")

    def mails(self) -> list[str]:
        return [str(e.message["Subject"]) for e in self.smtp.received]

    def chats(self) -> list[str]:
        return [json.dumps(p, ensure_ascii=False) for p in self.hooks.received.get("dingtalk", [])]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    repo = tmp_path / "proj"
    build_repo(repo, [spec("feat: add parser", at(D, 10)), spec("fix: handle empty input", at(D, 20))])
    cert, key = make_certificate(tmp_path)
    hooks = WebhookReceiver().start()
    smtp = SmtpServer(cert, key, password="smtp-pass").start()
    (tmp_path / "dailydiff.toml").write_text(
        f"""data_dir = "data"
[report]
formats = ["md", "json", "html"]
[analysis]
analyzer = "heuristic"
[[repos]]
source = "proj"

[[publish]]
type = "dingtalk"
url_env = "DINGTALK_URL"
retries = 0

{email_publish_toml(smtp, "SMTP_PASSWORD")}""",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
    env |= {"DINGTALK_URL": hooks.urls(HOOK)["dingtalk"], "SMTP_PASSWORD": "smtp-pass"}
    yield World(tmp_path, repo, hooks, smtp, env)
    smtp.stop()
    hooks.stop()


def test_a_partial_day_waits_for_chat_and_email_then_goes_once_settled_with_its_later_commits(
    world: World,
) -> None:
    """Issue 41, acceptance 4 (it replaces turn 9's "partial day then one addendum"): D at 23:00 is partial:
    its files show it marked, chat and e-mail get nothing; a commit dated D 23:30 and one dated D 22:00 pushed
    after the run; at D+1 03:00 D is settled and each target gets the whole day once, its later commits in it
    and no addendum (they are the day's own, not late); a further run sends nothing."""
    code, err, summary = world.run(at(D, 23), "--date", str(D))
    assert code == 0, err
    first_md = world.report(D)
    assert "**Partial**" in first_md or "**未完结**" in first_md
    assert json.loads(world.report(D, "json"))["partial"] is True
    assert 'class="partial"' in world.report(D, "html")
    assert world.chats() == [] and world.mails() == []
    held = [p for r in summary["repos"] for d in r["days"] for p in d["publish"] if p["status"] == "waiting"]
    assert len(held) == 2 and all("not settled yet" in p["detail"] for p in held), held
    with Store.open(world.tmp / "data") as store:
        stored = store.get_report("proj", D, "zh")
        assert stored is not None and stored.partial and stored.stats.total == 2

    late_a = commit(world.repo, spec("feat: late night tweak", at(D, 23, 30)))
    late_b = commit(world.repo, spec("docs: pushed after the run", at(D, 22)))
    code, err, summary = world.run(at(D + dt.timedelta(days=1), 3))  # `run` = yesterday = D
    assert code == 0, err
    md = world.report(D)
    assert "未完结" not in md and "Partial" not in md  # settled now: final
    assert late_a[:7] in md and late_b[:7] in md and "⏰" not in md
    data = json.loads(world.report(D, "json"))
    assert data["stats"]["total"] == 4 and "partial" not in data and not data.get("late")
    chats, mails = world.chats(), world.mails()
    assert len(chats) == 1 and len(mails) == 1  # the settled day, once, with all four commits
    assert "迟到" not in chats[0] and "4 个提交" in chats[0]

    code, err, summary = world.run(at(D + dt.timedelta(days=1), 3, 30))
    assert code == 0, err
    assert len(world.chats()) == 1 and len(world.mails()) == 1  # a further run sends nothing
    assert summary["totals"]["days_up_to_date"] == 1


def test_lookback_finds_a_late_commit_in_a_settled_delivered_day(world: World) -> None:
    """A settled, delivered day gets a commit later (committed before midnight, pushed at 02:30): the next
    day's run finds it in its look-back with one `git log`, rebuilds the day and sends one addendum."""
    code, err, _ = world.run(at(D + dt.timedelta(days=1), 2), "--date", str(D))
    assert code == 0, err
    assert len(world.chats()) == 1 and "Partial" not in world.report(D)
    late = commit(world.repo, spec("fix: made at 23:50, pushed at 02:30", at(D, 23, 50)))
    code, err, _ = world.run(at(D + dt.timedelta(days=2), 2))  # builds D+1; D is in the look-back
    assert code == 0, err
    assert "1 late commit(s)" in err and late[:7] in world.report(D)
    assert len(world.chats()) == 2 and "1 个迟到的提交" in world.chats()[1]
    assert len(world.mails()) == 2
    code, err, _ = world.run(at(D + dt.timedelta(days=2), 3))
    assert code == 0 and len(world.chats()) == 2 and len(world.mails()) == 2


def test_future_date_and_long_range_exit_2(world: World) -> None:
    """Acceptance 4 (exit codes): a future day, and a range over [run] max_days without --yes."""
    code, err, _ = world.run(at(D, 12), "--date", str(D + dt.timedelta(days=1)))
    assert code == 2 and "is in the future" in err and len(err.strip().splitlines()) == 1
    code, err, _ = world.run(at(D, 12), "--from", "2000-01-01", "--to", "2026-04-23")
    assert code == 2 and "9,610 days" in err and "--yes" in err
    assert not (world.tmp / "out").exists()


def test_no_message_for_empty_days(world: World) -> None:
    """Acceptance 5 (and skip_empty): over a 91-day run, chat and e-mail get a message only for days with
    commits; every day still has its files."""
    first = D - dt.timedelta(days=90)
    for offset in range(0, 91, 30):  # 4 days with one commit each
        commit(world.repo, spec(f"feat: change {offset}", at(first + dt.timedelta(days=offset), 12)))
    code, err, summary = world.run(at(D + dt.timedelta(days=1), 9), "--from", str(first), "--to", str(D))
    assert code == 0, err
    busy = {d["date"] for r in summary["repos"] for d in r["days"] if d.get("commits")}
    assert len(busy) == 4 and len(world.chats()) == 4 and len(world.mails()) == 4
    assert len(list((world.tmp / "out").rglob("*.md"))) == 91
    skipped = [
        p for r in summary["repos"] for d in r["days"] for p in d["publish"] if "skip_empty" in p["detail"]
    ]
    assert len(skipped) == 2 * 87
    code, err, summary = world.run(at(D + dt.timedelta(days=1), 10), "--from", str(first), "--to", str(D))
    assert summary["totals"]["days_up_to_date"] == 91 and len(world.chats()) == 4  # empty days count as done


def test_a_late_commit_reaches_webhook_slack_teams_and_email_as_an_addendum(world: World) -> None:
    """Issue 43 acceptance 3: a config with `webhook`, Slack, Teams, e-mail and files. A late commit is one
    addendum to each message target (the JSON webhook's lists the late commit), the files get the rebuilt
    day; exit 0, and the next run sends nothing."""
    world.message_targets()
    code, err, _ = world.run(at(D + dt.timedelta(days=1), 2), "--date", str(D))
    assert code == 0, err
    services = ("slack", "teams", "generic")
    assert [len(world.hooks.received.get(s, [])) for s in services] == [1, 1, 1] and len(world.mails()) == 1
    late = commit(world.repo, spec("fix: made at 23:50, pushed at 02:30", at(D, 23, 50)))
    code, err, summary = world.run(at(D + dt.timedelta(days=2), 2))
    assert code == 0, err
    assert world.hooks.violations == []
    assert [len(world.hooks.received.get(s, [])) for s in services] == [2, 2, 2] and len(world.mails()) == 2
    for service in ("slack", "teams"):
        assert late[:7] in json.dumps(world.hooks.received[service][1]), service
    # Said once (issue 63): Slack's fallback text is the title, not "TITLE: TITLE"; each delivery is one
    # line of the printer, which names its publisher once
    fallback = world.hooks.received["slack"][1]["text"]
    assert fallback.count("迟到的提交") == 1, fallback
    slack_lines = [line for line in err.splitlines() if "slack" in line]
    assert slack_lines and all(line.count("slack") == 1 for line in slack_lines), err
    addendum = world.hooks.received["generic"][1]
    assert addendum["kind"] == "addendum" and [c["sha"] for c in addendum["late"]] == [late]
    assert "1 个迟到的提交" in world.mails()[1] and late[:7] in world.report(D)
    publish = [p for r in summary["repos"] for d in r["days"] for p in d["publish"]]
    assert (
        sum(p["detail"].startswith("addendum (1 late commit(s))") and p["status"] == "ok" for p in publish)
        == 4
    )
    code, err, _ = world.run(at(D + dt.timedelta(days=2), 3))
    assert code == 0, err
    assert [len(world.hooks.received.get(s, [])) for s in services] == [2, 2, 2] and len(world.mails()) == 2


def test_an_addendum_whose_receivers_were_down_is_sent_once_by_the_next_run(world: World) -> None:
    """Issue 43 acceptance 1: every receiver down when the addendum goes out (Slack, Teams, the webhook answer
    500; the mail server refuses the password): the run says so and exits non-zero; receivers back, the
    next run sends the addendum once to each, the one after nothing."""
    world.message_targets()
    code, err, _ = world.run(at(D + dt.timedelta(days=1), 2), "--date", str(D))
    assert code == 0, err
    services = ("slack", "teams", "generic")
    late = commit(world.repo, spec("fix: made at 23:50, pushed at 02:30", at(D, 23, 50)))
    world.hooks.script.update({service: [500] * 5 for service in services})
    right = world.env["SMTP_PASSWORD"]
    world.env["SMTP_PASSWORD"] = "not-the-password"
    code, err, summary = world.run(at(D + dt.timedelta(days=2), 2))
    assert code in (7, 8), err
    assert [len(world.hooks.received.get(s, [])) for s in services] == [1, 1, 1] and len(world.mails()) == 1
    failed = [p for r in summary["repos"] for d in r["days"] for p in d["publish"] if p["status"] == "failed"]
    assert len(failed) == 4 and all(p["detail"].startswith("addendum") for p in failed), failed
    world.hooks.script.clear()
    world.env["SMTP_PASSWORD"] = right
    code, err, _ = world.run(at(D + dt.timedelta(days=2), 2, 30))
    assert code == 0, err
    assert [len(world.hooks.received.get(s, [])) for s in services] == [2, 2, 2] and len(world.mails()) == 2
    for service in services:
        assert late[:7] in json.dumps(world.hooks.received[service][1]), service
    assert "1 个迟到的提交" in world.mails()[1]
    code, err, _ = world.run(at(D + dt.timedelta(days=2), 3))
    assert code == 0, err
    assert [len(world.hooks.received.get(s, [])) for s in services] == [2, 2, 2] and len(world.mails()) == 2


def test_an_addendum_whose_receivers_were_down_is_sent_once_by_running_the_plan_again(
    world: World, pg_url: str
) -> None:
    """Issue 43 acceptance 1 under `--plan`, two worker processes on a real PostgreSQL: the day delivered by a
    plan, a late commit, every receiver down when the next night's plan finds it (its look-back is a unit of
    the plan, its addendum a unit that needs the look-back): the plan fails; receivers back, the same plan run again sends the addendum once to each of
    Slack, Teams, the webhook and e-mail; run again, and then a plain run, nothing more."""
    world.message_targets()
    world.env["DAILYDIFF_STORE_URL"] = pg_url
    first = world.workers(at(D + dt.timedelta(days=1), 2), f"nightly-{D}", "--date", str(D))
    assert [code for code, _, _ in first] == [0, 0], [err for _, err, _ in first]
    assert world.received() == [1, 1, 1, 1]
    late = commit(world.repo, spec("fix: made at 23:50, pushed at 02:30", at(D, 23, 50)))
    world.hooks.script.update({service: [500] * 100 for service in ("slack", "teams", "generic")})
    right = world.env["SMTP_PASSWORD"]
    world.env["SMTP_PASSWORD"] = "not-the-password"
    night = f"nightly-{D + dt.timedelta(days=1)}"  # yesterday's plan: its own day is empty
    down = world.workers(at(D + dt.timedelta(days=2), 2), night)
    codes = [code for code, _, _ in down]
    assert set(codes) <= {0, 7, 8} and set(codes) & {7, 8}, [err for _, err, _ in down]
    failed = [p for _, _, data in down for p in data.get("deliveries", []) if p["status"] == "failed"]
    assert len(failed) >= 4 and all(p["detail"].startswith("addendum") for p in failed), failed
    assert world.received() == [1, 1, 1, 1]
    with Store.connect(pg_url) as store:
        states = {s.unit: s.state for s in store.unit_states(night)}
    # The look-back built the day again; the addendum is a unit of its own that needs it: that one failed.
    assert states[f"look-back:proj {D + dt.timedelta(days=2)}"] == "done", states
    assert states[f"addendum:look-back:proj {D + dt.timedelta(days=2)}"] == "failed", states
    world.hooks.script.clear()
    world.env["SMTP_PASSWORD"] = right
    back = world.workers(at(D + dt.timedelta(days=2), 2, 30), night)
    assert [code for code, _, _ in back] == [0, 0], [err for _, err, _ in back]
    assert world.received() == [2, 2, 2, 2]
    for service in ("slack", "teams", "generic"):
        assert late[:7] in json.dumps(world.hooks.received[service][1]), service
    assert "1 个迟到的提交" in world.mails()[1]
    sent = [p for _, _, data in back for p in data.get("deliveries", []) if p["detail"].startswith("adden")]
    assert sorted(p["status"] for p in sent) == ["ok"] * 4, sent
    again = world.workers(at(D + dt.timedelta(days=2), 3), night)
    assert [code for code, _, _ in again] == [0, 0], [err for _, err, _ in again]
    code, err, _ = world.run(at(D + dt.timedelta(days=2), 3, 30))
    assert code == 0, err
    assert world.received() == [2, 2, 2, 2]


def test_a_day_another_plan_builds_again_sends_its_addendum(world: World, pg_url: str) -> None:
    """The addendum is a unit that needs its day, whatever plan names them: plan "a" delivers the day but
    Teams is down (the day unit fails, and its addendum unit with it); a late commit lands; plan "b" asks
    for the same day: the day is built again (Teams gets the whole day, late commit in it) and its
    addendum unit after it sends the late commit once to Slack, the webhook and e-mail, which had the day."""
    world.message_targets()
    world.env["DAILYDIFF_STORE_URL"] = pg_url
    world.hooks.script["teams"] = [500] * 100
    first = world.workers(at(D + dt.timedelta(days=1), 2), "a", "--date", str(D))
    assert sorted(code for code, _, _ in first)[-1] in (7, 8), [err for _, err, _ in first]
    assert world.received() == [1, 0, 1, 1]
    late = commit(world.repo, spec("fix: made at 23:50, pushed at 02:30", at(D, 23, 50)))
    world.hooks.script.clear()
    second = world.workers(at(D + dt.timedelta(days=1), 3), "b", "--date", str(D))
    assert [code for code, _, _ in second] == [0, 0], [err for _, err, _ in second]
    assert world.received() == [2, 1, 2, 2]
    for service in ("slack", "generic"):
        assert late[:7] in json.dumps(world.hooks.received[service][1]), service
    assert "1 个迟到的提交" in world.mails()[1]
    with Store.connect(pg_url) as store:
        states = {s.unit: s.state for s in store.unit_states("b")}
    assert states == {f"proj {D}": "done", f"addendum:proj {D}": "done"}, states


def test_a_sigterm_while_one_target_s_addendum_is_in_flight_leaves_the_others_to_the_next_run(
    world: World,
) -> None:
    """Issue 86 failure 1: Slack's addendum is in flight when the run takes a SIGTERM. Slack's finishes and is
    recorded; Teams, the webhook and e-mail are sent nothing by this run, and their late commits are not recorded
    as told: the next run sends each of them the addendum, once, and Slack nothing more."""
    world.message_targets()
    code, err, _ = world.run(at(D + dt.timedelta(days=1), 2), "--date", str(D))
    assert code == 0, err
    assert world.received() == [1, 1, 1, 1]
    late = commit(world.repo, spec("fix: made at 23:50, pushed at 02:30", at(D, 23, 50)))
    held = world.hooks.hold_next["slack"] = threading.Event()
    env = {**world.env, "DAILYDIFF_RUN_NOW": at(D + dt.timedelta(days=2), 2).isoformat(),
           "PYTHONPATH": str(SRC), "NO_COLOR": "1"}  # fmt: skip
    command = [sys.executable, "-m", "dailydiff", "run", "--output-dir", "out"]
    log = world.tmp / "stopped.log"
    with log.open("w") as err_file:
        process = subprocess.Popen(
            command, cwd=world.tmp, env=env, stdout=subprocess.DEVNULL, stderr=err_file
        )
    try:
        deadline = time.monotonic() + 120
        while len(world.hooks.arrived.get("slack", [])) < 2:  # the addendum reached Slack, which holds it
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        while "SIGTERM: stopping" not in log.read_text():  # taken, not only sent
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.02)
        held.set()  # Slack's answer comes now: after the stop was taken
        process.wait(timeout=120)
    finally:
        held.set()
        process.kill()
    stderr = log.read_text()
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert world.received() == [2, 1, 1, 1], stderr
    code, err, _ = world.run(at(D + dt.timedelta(days=2), 2, 30))
    assert code == 0, err
    assert world.received() == [2, 2, 2, 2], err
    for service in ("teams", "generic"):
        assert late[:7] in json.dumps(world.hooks.received[service][1]), service
    code, err, _ = world.run(at(D + dt.timedelta(days=2), 3))
    assert code == 0, err
    assert world.received() == [2, 2, 2, 2]


def test_a_files_only_day_stored_again_by_watch_gets_its_late_commits_from_the_next_run(world: World) -> None:
    """Issue 86 failure 4: a repository whose day goes to `files` only. The day is delivered, two commits land
    in it late, and `watch` (an alert topic) stores the day again with them, sent nowhere. The next `run`
    compares what the files target was sent with the day, not the store with git: the file gets all four
    commits; the run after it writes nothing."""
    config = world.tmp / "dailydiff.toml"
    config.write_text("""data_dir = "data"
[analysis]
analyzer = "heuristic"
[[repos]]
source = "proj"
publishers = ["files"]

[[watch]]
name = "everything"
paths = ["**"]
alert = ["hook"]

[[publish]]
type = "webhook"
name = "hook"
url_env = "HOOK_URL"
retries = 0
""", encoding="utf-8")  # fmt: skip
    world.env["HOOK_URL"] = world.hooks.urls(HOOK)["webhook"]
    code, err, _ = world.run(at(D + dt.timedelta(days=1), 2), "--date", str(D))
    assert code == 0, err
    assert "handle empty input" in world.report(D)
    late = [commit(world.repo, spec(f"fix: late {n}", at(D, 22 + n, 50))) for n in (0, 1)]
    env = {**world.env, "DAILYDIFF_RUN_NOW": at(D + dt.timedelta(days=1), 3).isoformat()}
    watched = dailydiff("watch", "--once", cwd=world.tmp, env=env)
    assert watched.returncode == 0, watched.stderr
    with Store.open(world.tmp / "data") as store:
        stored = store.get_report("proj", D, "zh")
        assert stored is not None and {c.sha for c in stored.commits} >= set(late)
    assert not any(sha[:7] in world.report(D) for sha in late)  # watch sends no day
    code, err, _ = world.run(at(D + dt.timedelta(days=2), 2))
    assert code == 0, err
    day = world.report(D)
    assert all(sha[:7] in day for sha in late) and "add parser" in day, day
    written = (world.tmp / "out" / f"{D.year}" / "proj" / f"{D}.md").stat().st_mtime_ns
    code, err, _ = world.run(at(D + dt.timedelta(days=2), 3))
    assert code == 0, err
    assert (world.tmp / "out" / f"{D.year}" / "proj" / f"{D}.md").stat().st_mtime_ns == written
