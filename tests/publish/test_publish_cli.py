"""`dailydiff report --publish` and `dailydiff publish` as a user runs them: every publisher against its
local server, idempotent GitHub publishing, partial failure, dry runs and secret canaries."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from clirun import dailydiff
from fake_github_publish import FakeGitHubPublish
from fixtures import build_sample_repo
from netports import free_port
from smtp_server import SmtpServer, make_certificate
from webhook_receiver import WebhookReceiver

CANARIES = {
    "GITHUB_TOKEN": "ghp-CANARY-token-a1b2c3",
    "FEISHU_SECRET": "CANARY-feishu-secret-d4",
    "DINGTALK_SECRET": "CANARY-dingtalk-secret-e5",
    "WEBHOOK_SECRET": "CANARY-webhook-secret-f6",
    "SMTP_PASSWORD": "CANARY-smtp-password-g7",
}
HOOK = "CANARY-hook-path-h8"
DATE = "2026-01-19"


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return dailydiff(*args, env={**os.environ, **env})


@dataclass
class World:
    repo: Path
    tmp: Path
    data: Path
    config: Path
    env: dict[str, str]
    github: FakeGitHubPublish
    hooks: WebhookReceiver
    smtp: SmtpServer

    def args(self, command: str, *extra: str) -> list[str]:
        return [command, str(self.repo), "--date", DATE, "--data-dir", str(self.data),
                "--config", str(self.config), *extra]  # fmt: skip


@dataclass
class Base:
    repo: Path
    data: Path
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    """The repository and its stored report of the day, shared; the servers are fresh for each test."""
    tmp = tmp_path_factory.mktemp("publish")
    repo = tmp / "sglang"
    build_sample_repo(repo)
    cert, key = make_certificate(tmp)
    built = run("report", str(repo), "--date", DATE, "--data-dir", str(tmp / "data"), "--quiet", env={})
    assert built.returncode == 0, built.stderr
    return Base(repo, tmp / "data", cert, key)


@pytest.fixture
def world(base: Base, tmp_path: Path) -> Iterator[World]:
    github = FakeGitHubPublish(token=CANARIES["GITHUB_TOKEN"]).start()
    hooks = WebhookReceiver(feishu_secret=CANARIES["FEISHU_SECRET"], dingtalk_secret=CANARIES["DINGTALK_SECRET"],
                            webhook_secret=CANARIES["WEBHOOK_SECRET"]).start()  # fmt: skip
    smtp = SmtpServer(base.cert, base.key, password=CANARIES["SMTP_PASSWORD"]).start()
    env = dict(CANARIES) | {f"{s.upper()}_URL": url for s, url in hooks.urls(HOOK).items()}
    chat = "\n".join(
        f'[[publish]]\ntype = "{s}"\nurl_env = "{s.upper()}_URL"\nbackoff = 0.01\nretries = 1\n'
        + (f'secret_env = "{s.upper()}_SECRET"\n' if s in ("feishu", "dingtalk", "webhook") else "")
        + 'report_url = "https://reports.example.com/{year}/{repo_name}/{date}.html"\n'
        for s in ("feishu", "dingtalk", "wecom", "slack", "discord", "webhook")
    )
    config = tmp_path / "dailydiff.toml"
    config.write_text(f"""
[[publish]]
type = "files"
directory = "{tmp_path / "site"}"
formats = ["md", "json"]

[[publish]]
type = "github-contents"
repository = "acme/reports"
api_url = "{github.url}"
backoff = 0.01

[[publish]]
type = "github-issue"
repository = "acme/reports"
api_url = "{github.url}"
backoff = 0.01

{chat}
[[publish]]
type = "email"
host = "127.0.0.1"
port = {smtp.port}
ca_file = "{base.cert}"
username = "reports"
password_env = "SMTP_PASSWORD"
sender = "bot@example.com"
recipients = ["team@example.com"]
timeout = 5
""")
    # The stored report copied for each test: a delivery is kept by the hash of its target's URL, and a
    # receiver listening on a port an earlier test's used would find its deliveries already made.
    data = tmp_path / "stored"
    shutil.copytree(base.data, data)
    yield World(base.repo, tmp_path, data, config, env, github, hooks, smtp)
    smtp.stop()
    hooks.stop()
    github.stop()


def assert_no_canary(*texts: str) -> None:
    for text in texts:
        for canary in [*CANARIES.values(), HOOK]:
            assert canary not in text


def everything_written(world: World) -> str:
    chunks = []
    for path in [*world.tmp.rglob("*"), *world.data.rglob("*")]:
        if path.is_file() and path.suffix in (".md", ".json", ".sqlite3", ".sqlite3-wal", ""):
            chunks.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)


def test_report_publish_everywhere_then_publish_again_is_idempotent(world: World) -> None:
    first = run(
        *world.args("report", "--publish", "--summary-json", str(world.tmp / "s1.json")), env=world.env
    )
    assert first.returncode == 0, first.stderr
    rows = json.loads((world.tmp / "s1.json").read_text())["publish"]
    assert [(r["publisher"], r["status"]) for r in rows] == [
        ("files", "ok"), ("github-contents", "ok"), ("github-issue", "ok"), ("feishu", "ok"), ("dingtalk", "ok"),
        ("wecom", "ok"), ("slack", "ok"), ("discord", "ok"), ("webhook", "ok"), ("email", "ok"),
    ], rows  # fmt: skip
    assert world.hooks.violations == []
    assert {k: len(v) for k, v in world.hooks.received.items()} == {
        "feishu": 1, "dingtalk": 1, "wecom": 1, "slack": 1, "discord": 1, "generic": 1}  # fmt: skip
    assert len(world.smtp.received) == 1
    assert (world.tmp / "site" / "reports" / "2026" / "sglang" / f"{DATE}.md").is_file()
    assert [c["paths"] for c in world.github.commits] == [[f"reports/2026/sglang/{DATE}.md"]]
    assert world.github.commits[0]["message"] == f"Report: sglang - {DATE}"
    assert len(world.github.issues["acme/reports"]) == 1
    assert "✓ publish slack sgl-project/sglang 2026-01-19: ok" in first.stderr

    again = run(*world.args("publish", "--summary-json", str(world.tmp / "s2.json")), env=world.env)
    assert again.returncode == 0, again.stderr
    rows = {r["publisher"]: r for r in json.loads((world.tmp / "s2.json").read_text())["publish"]}
    assert rows["github-contents"]["status"] == "skipped" and "unchanged" in rows["github-contents"]["detail"]
    assert rows["github-issue"]["status"] == "skipped" and rows["files"]["status"] == "skipped"
    assert {name: row["status"] for name, row in rows.items()} == dict.fromkeys(rows, "skipped"), rows
    assert len(world.github.commits) == 1  # no second commit
    assert len(world.github.issues["acme/reports"]) == 1  # no second issue
    assert {k: len(v) for k, v in world.hooks.received.items()} == {
        "feishu": 1, "dingtalk": 1, "wecom": 1, "slack": 1, "discord": 1, "generic": 1}  # fmt: skip
    assert len(world.smtp.received) == 1  # no second mail
    assert_no_canary(first.stdout, first.stderr, again.stdout, again.stderr, everything_written(world))


def test_one_server_down_others_succeed_exit_code_partial(world: World) -> None:
    dead = free_port()
    env = world.env | {"SLACK_URL": f"http://127.0.0.1:{dead}/services/T/B/{HOOK}"}
    result = run(*world.args("publish", "--summary-json", str(world.tmp / "s3.json")), env=env)
    assert result.returncode == 8, result.stderr
    rows = {r["publisher"]: r for r in json.loads((world.tmp / "s3.json").read_text())["publish"]}
    assert rows["slack"]["status"] == "failed" and "cannot reach http://127.0.0.1" in rows["slack"]["detail"]
    assert all(r["status"] in ("ok", "skipped") for name, r in rows.items() if name != "slack")
    assert {k: len(v) for k, v in world.hooks.received.items()} == {
        "feishu": 1, "dingtalk": 1, "wecom": 1, "discord": 1, "generic": 1}  # fmt: skip
    assert len(world.smtp.received) == 1 and len(world.github.commits) == 1
    assert "✗ publish slack" in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("dailydiff: error: 1 of 10 publish step(s) failed (slack)")
    assert_no_canary(result.stdout, result.stderr, (world.tmp / "s3.json").read_text())


def test_everything_down_is_exit_7_and_secrets_stay_out(world: World) -> None:
    env = {k: "wrong-" + v for k, v in world.env.items() if k in CANARIES}
    env = world.env | env | {f"{s}_URL": f"http://127.0.0.1:1/x/{HOOK}" for s in
                             ("FEISHU", "DINGTALK", "WECOM", "SLACK", "DISCORD", "WEBHOOK")}  # fmt: skip
    result = run(
        *world.args("publish", "--only", "github-issue", "--only", "slack", "--only", "email"), env=env
    )
    assert result.returncode == 7, result.stderr
    assert result.stderr.count("✗ publish") == 3
    assert "HTTP 401" in result.stderr and "refused the login" in result.stderr
    assert_no_canary(result.stdout, result.stderr)


def _failed_before(world: World, name: str, target: str = "", days: tuple[int, ...] = (16, 17, 18)) -> str:
    """The ledger (of a store of its own: no other test's deliveries) says the publisher ``name`` failed on
    the three days before (or ``days``, as `doctor` sees them) at its target (or ``target``); the alert line
    the other targets are told."""
    import datetime as dt

    from dailydiff.publish.base import Secrets
    from dailydiff.publish.registry import build_publishers
    from dailydiff.settings import load_settings
    from dailydiff.store import Store

    world.data = world.tmp / "data"
    built = run("report", str(world.repo), "--date", DATE, "--data-dir", str(world.data), "--quiet", env={})
    assert built.returncode == 0, built.stderr
    settings = load_settings(world.config, environ=world.env)
    [now] = [p.target for p in build_publishers(settings.publish, Secrets(world.env)) if p.name == name]
    target = target or now
    with Store.open(world.data) as store:
        for day in days:
            date = dt.date(2026, 1, day)
            assert store.claim_delivery("sgl-project/sglang", date, "zh", target, publisher=name,
                                        content_hash="h", owner="me", seen=None)  # fmt: skip
            store.finish_delivery("sgl-project/sglang", date, "zh", target, owner="me", state="failed",
                                  content_hash="h", detail="HTTP 404: no such webhook")  # fmt: skip
    return (
        f"{name} 推送 sgl-project/sglang 已连续 {len(days)} 天失败（2026-01-{days[0]} 至 2026-01-{days[-1]}）；"
        "请运行 dailydiff doctor 查看"
    )


def _mail_text(world: World, index: int) -> str:
    """A received mail's text and HTML parts, decoded (its transfer encoding would hide any word)."""
    mail = world.smtp.received[index].message
    return "\n".join(
        p.get_content() for p in mail.walk() if p.get_content_type() in ("text/plain", "text/html")
    )


def test_a_target_failing_for_days_is_told_to_every_other_target_never_to_itself(world: World) -> None:
    # Slack failed on the three days before, and fails today too (every attempt answered 503).
    alert = _failed_before(world, "slack")
    world.hooks.script["slack"] = [503] * 5
    result = run(*world.args("report", "--publish", "-q"), env=world.env)
    assert result.returncode == 8, result.stderr
    world.hooks.script.clear()
    # Every other chat service, as its receiver got it (each in its own markup), the mail, the files, GitHub.
    for service in ("feishu", "dingtalk", "wecom", "discord"):
        body = json.dumps(world.hooks.received[service], ensure_ascii=False)
        assert "⚠️ 推送告警" in body and alert in body, (service, body[:2000])
    # Slack itself was never told about itself: what arrived there (and was refused) has no alert.
    tried = world.hooks.arrived["slack"]
    assert len(tried) == 2 and "slack" not in world.hooks.received
    assert not any("推送告警" in raw.decode() or "已连续" in raw.decode() for raw in tried), tried[0][:2000]
    assert world.hooks.received["generic"][0]["alerts"] == [alert]  # the summary's JSON: a list of its own
    assert world.hooks.violations == []
    mail = world.smtp.received[0].message
    parts = [p.get_content() for p in mail.walk() if p.get_content_type() in ("text/plain", "text/html")]
    assert len(parts) == 2 and all(alert in part for part in parts), parts
    assert f"⚠️ 推送告警：{alert}" in parts[0] and "> ⚠️" not in parts[0]  # the mail's text: text, not Markdown
    assert alert in world.github.issues["acme/reports"][0]["body"]
    # The line is said where people look, not kept: the day's files (its record, rewritten by no later run
    # for the alert's sake) and the stored day have no trace of it.
    for ext in ("md", "json"):
        assert (
            "推送告警"
            not in (world.tmp / "site" / "reports" / "2026" / "sglang" / f"{DATE}.{ext}").read_text()
        )
    # A streak shorter than alert_after (today's failure made it 4 days): no line.
    quiet = run(*world.args("publish", "--force", "-q"), env=world.env | {"DAILYDIFF_RUN_ALERT_AFTER": "5"})
    assert quiet.returncode == 0, quiet.stderr
    assert all(
        "已连续" not in json.dumps(world.hooks.received[s][-1], ensure_ascii=False)
        for s in world.hooks.received
    )
    assert len(world.smtp.received) == 2 and "推送告警" not in _mail_text(world, 1)


def test_a_failing_target_that_works_again_on_its_retry_is_a_normal_message_everywhere(world: World) -> None:
    # Slack failed on the three days before; today its first attempt is refused (503) and its retry in the
    # same run gets through: Slack works again. Its own message is a normal one, and the others are not told
    # it fails (it is sent first, so no target hears of a failure that ended in this very run).
    _failed_before(world, "slack")
    world.hooks.script["slack"] = [503]
    result = run(*world.args("report", "--publish", "-q"), env=world.env)
    assert result.returncode == 0, result.stderr
    assert len(world.hooks.arrived["slack"]) == 2 and len(world.hooks.received["slack"]) == 1
    for service in ("slack", "feishu", "dingtalk", "wecom", "discord", "generic"):
        body = json.dumps(world.hooks.received[service], ensure_ascii=False)
        assert "推送告警" not in body and "已连续" not in body, (service, body[:2000])
    assert "alerts" not in world.hooks.received["generic"][0]
    assert len(world.smtp.received) == 1 and "推送告警" not in _mail_text(world, 0)
    assert "推送告警" not in world.github.issues["acme/reports"][0]["body"]
    assert world.hooks.violations == []


def test_a_target_given_a_new_address_that_works_is_not_said_to_fail(world: World) -> None:
    # Slack's old webhook failed on the three days before (a revoked URL); SLACK_URL now names a new one that
    # works: the same publisher at another target. No message says Slack fails, Slack's own least of all.
    _failed_before(world, "slack", target="slack:sha256:0123456789abcdef")
    result = run(*world.args("report", "--publish", "-q"), env=world.env)
    assert result.returncode == 0, result.stderr
    for service in ("slack", "feishu", "dingtalk", "wecom", "discord", "generic"):
        body = json.dumps(world.hooks.received[service], ensure_ascii=False)
        assert "推送告警" not in body and "已连续" not in body, (service, body[:2000])
    assert len(world.smtp.received) == 1 and "推送告警" not in _mail_text(world, 0)


def _target_of(world: World, name: str, env: dict[str, str]) -> str:
    """The ledger target of the publisher ``name`` under ``env`` (its address's fingerprint)."""
    from dailydiff.publish.base import Secrets
    from dailydiff.publish.registry import build_publishers
    from dailydiff.settings import load_settings

    settings = load_settings(world.config, environ=env)
    [target] = [p.target for p in build_publishers(settings.publish, Secrets(env)) if p.name == name]
    return target


def _alerted(world: World, alert: str) -> list[str]:
    """The receivers whose newest message carries ``alert`` (chat services, the mail, the GitHub issue)."""
    told = [s for s, got in world.hooks.received.items() if alert in json.dumps(got[-1], ensure_ascii=False)]
    told += ["email"] if world.smtp.received and alert in _mail_text(world, -1) else []
    issues = world.github.issues.get("acme/reports", [])
    told += ["github-issue"] if issues and alert in issues[-1]["body"] else []
    return sorted(told)


def _doctor(world: World, config: Path, env: dict[str, str]) -> list[str]:
    result = run("doctor", "--config", str(config), "--data-dir", str(world.data), env=env)
    assert_no_canary(result.stdout, result.stderr)
    return [line for line in result.stdout.splitlines() if "deliveries" in line]


OTHERS = ["dingtalk", "discord", "email", "feishu", "generic", "github-issue", "wecom"]  # all but slack


def test_a_target_removed_from_the_config_is_not_alerted_on_and_put_back_its_streak_goes_on(
    world: World,
) -> None:
    alert = _failed_before(world, "slack")
    text = world.config.read_text()
    [entry] = [block for block in text.split("[[publish]]") if 'type = "slack"' in block]
    without = world.tmp / "without-slack.toml"
    without.write_text(text.replace("[[publish]]" + entry, ""))
    # Slack is no longer configured: no message names it, nor does doctor.
    gone = run(*dataclasses.replace(world, config=without).args("report", "--publish", "-q"), env=world.env)
    assert gone.returncode == 0, gone.stderr
    assert "slack" not in world.hooks.arrived and len(world.smtp.received) == 1
    assert _alerted(world, alert) == []
    assert _doctor(world, without, world.env) == []
    # Put back at the same address, and still failing: its streak goes on (the day it was not configured
    # was not attempted: neither a failure nor a success), so the others are told at once.
    assert _doctor(world, world.config, world.env) == [
        "✗ deliveries: slack has failed for sgl-project/sglang on 3 days in a row (2026-01-16 to 2026-01-18; "
        "last: HTTP 404: no such webhook) — fix: check the slack target; once it works, `dailydiff publish "
        "sgl-project/sglang --from 2026-01-16 --to 2026-01-18 --only slack` sends what it missed"
    ]
    world.hooks.script["slack"] = [503] * 5
    back = run(*world.args("publish", "--force", "-q"), env=world.env)
    assert back.returncode == 8, back.stderr
    assert _alerted(world, alert) == OTHERS
    assert_no_canary(gone.stdout, gone.stderr, back.stdout, back.stderr, everything_written(world))


def test_two_machines_with_their_own_slack_address_keep_a_streak_each(world: World) -> None:
    # A fleet sharing one store: machine A's SLACK_URL works, machine B's names a dead webhook. The same
    # publisher name at two addresses: B's failures are B's slack's, whatever A's slack delivered.
    dead = world.env | {"SLACK_URL": f"http://127.0.0.1:{free_port()}/services/T/B/{HOOK}"}
    mine, theirs = _target_of(world, "slack", dead), _target_of(world, "slack", world.env)
    assert mine != theirs and HOOK not in mine
    alert = _failed_before(world, "slack", target=mine)
    import datetime as dt

    from dailydiff.store import Store

    with Store.open(world.data) as store:  # machine A's slack delivered the day of B's last failure
        day = dt.date(2026, 1, 18)
        assert store.claim_delivery("sgl-project/sglang", day, "zh", theirs, publisher="slack", content_hash="h",
                                    owner="a", seen=None)  # fmt: skip
        store.finish_delivery("sgl-project/sglang", day, "zh", theirs, owner="a", state="delivered",
                              content_hash="h", detail="sent")  # fmt: skip
    result = run(*world.args("report", "--publish", "-q"), env=dead)  # machine B
    assert result.returncode == 8, result.stderr
    assert _alerted(world, alert) == OTHERS
    [line] = _doctor(world, world.config, dead)
    assert line.startswith("✗ deliveries: slack has failed for sgl-project/sglang on 4 days in a row "
                           "(2026-01-16 to 2026-01-19; last: cannot reach http://127.0.0.1"), line  # fmt: skip
    # Sent again to the mail alone (--only): slack is still configured, so the mail still names it.
    again = run(*world.args("publish", "--only", "email", "--force", "-q"), env=dead)
    assert again.returncode == 0 and len(world.smtp.received) == 2, again.stderr
    assert "slack 推送 sgl-project/sglang 已连续 4 天失败" in _mail_text(world, -1)
    assert_no_canary(result.stdout, result.stderr, again.stdout, again.stderr, everything_written(world))


def test_a_day_skipped_as_empty_neither_ends_nor_continues_a_failing_streak(world: World) -> None:
    alert = _failed_before(world, "slack", days=(14, 15, 16))
    # The 17th has no commits: slack (skip_empty, as chat is by default) is sent nothing that day. Not -q: a
    # failed publish step's reason (and how long it took) is in the run summary on stderr, which -q leaves out;
    # with the requests the fake GitHub was sent. (Once, in a full run under load, this exited 8 for a failed
    # github-contents step, its reason not shown.)
    empty = run("report", str(world.repo), "--date", "2026-01-17", "--data-dir", str(world.data), "--config",
                str(world.config), "--publish", env=world.env)  # fmt: skip
    assert empty.returncode == 0, f"{empty.stderr}\nthe fake GitHub was sent: {world.github.requests}"
    assert "publish slack sgl-project/sglang 2026-01-17: skipped — no commits that day" in empty.stderr, (
        empty.stderr
    )
    assert "slack" not in world.hooks.arrived
    world.hooks.script["slack"] = [503] * 5  # and on the 19th it fails again
    result = run(*world.args("report", "--publish", "-q"), env=world.env)
    assert result.returncode == 8, result.stderr
    assert _alerted(world, alert) == OTHERS
    [line] = _doctor(world, world.config, world.env)
    assert "slack has failed for sgl-project/sglang on 4 days in a row (2026-01-14 to 2026-01-19;" in line


def test_dry_run_prints_and_sends_nothing(world: World) -> None:
    result = run(*world.args("publish", "--dry-run"), env=world.env)
    assert result.returncode == 0, result.stderr
    assert (world.hooks.received, world.github.requests, world.smtp.received) == ({}, [], [])
    assert not (world.tmp / "site").exists()
    for name in ("files", "github-contents", "github-issue", "feishu", "slack", "email"):
        assert f"== {name} ({name}) ==" in result.stdout
    assert '"msgtype": "markdown"' in result.stdout and "to the URL in $SLACK_URL" in result.stdout
    assert_no_canary(result.stdout, result.stderr)


def test_missing_report_and_unknown_type(world: World) -> None:
    missing = run("publish", str(world.repo), "--date", "2026-01-10", "--data-dir", str(world.data),
                  "--config", str(world.config), env=world.env)  # fmt: skip
    assert missing.returncode == 7
    assert missing.stderr.startswith(
        "dailydiff: error: no stored zh report of sgl-project/sglang for 2026-01-10"
    )
    bad = world.tmp / "bad.toml"
    bad.write_text('[[publish]]\ntype = "slak"\nurl_env = "X"\n')
    result = run(*world.args("publish")[:-1], str(bad), env=world.env)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "unknown type 'slak'; valid types: files, github-contents, github-issue, feishu" in result.stderr


def test_report_publish_without_publishers_is_a_usage_error(world: World, tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    result = run("report", str(world.repo), "--date", DATE, "--data-dir", str(world.data), "--config", str(empty),
                 "--publish", env={})  # fmt: skip
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        "dailydiff: error: --publish needs [[publish]] entries in the settings — add some to dailydiff.toml"
    )
