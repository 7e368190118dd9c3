"""Chat and generic webhooks against the local receiver: payloads, signatures, splitting, retries."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from dailydiff.engine.deliver import deliver
from dailydiff.models import DayReport
from dailydiff.publish.base import Secrets, Status
from dailydiff.publish.registry import attempt, build_publishers
from dailydiff.render import RENDERERS
from dailydiff.settings.publishers import PublishEntry
from dailydiff.store import Store
from netports import free_port
from publish_reports import edition, make_report, no_live_markup
from webhook_receiver import WebhookReceiver

FEISHU_SECRET = "SEC-feishu-canary-7f3a"
DINGTALK_SECRET = "SECdingtalk-canary-91b2"
WEBHOOK_SECRET = "generic-canary-secret-55"
HOOK_TOKEN = "hooktoken-canary-0c0ffee"
REPORT_URL = "https://reports.example.com/{year}/{repo_name}/{date}.html"
SERVICES = ("feishu", "dingtalk", "wecom", "slack", "discord", "webhook")


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(feishu_secret=FEISHU_SECRET, dingtalk_secret=DINGTALK_SECRET,
                             webhook_secret=WEBHOOK_SECRET).start()  # fmt: skip
    yield server
    server.stop()


def environ(receiver: WebhookReceiver) -> dict[str, str]:
    env = {f"{s.upper()}_URL": url for s, url in receiver.urls(HOOK_TOKEN).items()}
    env |= {
        "FEISHU_SECRET": FEISHU_SECRET,
        "DINGTALK_SECRET": DINGTALK_SECRET,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    return env


def entries(services: tuple[str, ...] = SERVICES, **extra: Any) -> list[Any]:
    adapter = TypeAdapter(PublishEntry)
    out = []
    for service in services:
        data: dict[str, Any] = {"type": service, "url_env": f"{service.upper()}_URL", "report_url": REPORT_URL,
                                "backoff": 0.01, **extra}  # fmt: skip
        if service in ("feishu", "dingtalk", "webhook"):
            data["secret_env"] = f"{service.upper()}_SECRET"
        out.append(adapter.validate_python(data))
    return out


def run(report: DayReport, env: dict[str, str], services: tuple[str, ...] = SERVICES, **extra: Any):
    secrets = Secrets(env)
    publishers = build_publishers(entries(services, **extra), secrets)
    return publishers, [attempt(p, edition(report), secrets) for p in publishers]


def test_every_service_receives_exactly_the_expected_payload_signed(receiver: WebhookReceiver) -> None:
    report = make_report(2, high_every=2, language="en")
    report = report.model_copy(update={"overview": report.overview.model_copy(
        update={"highlights": ["Scheduler <rework>"], "themes": ["perf"]})})  # fmt: skip
    env = environ(receiver)
    _, results = run(report, env)
    assert [r.status for r in results] == [Status.OK] * len(SERVICES), results
    assert receiver.violations == []
    # Each service got one message, and it tells what the report says — checked against the report's
    # facts, not against the publisher's own payloads (the receiver checked shape, limits and signature).
    assert {k: len(v) for k, v in receiver.received.items()} == dict.fromkeys(
        ("generic" if s == "webhook" else s for s in SERVICES), 1
    )
    for service, (payload,) in receiver.received.items():
        text = " ".join(strings(payload))
        assert "2026-01-27" in text and "sglang" in text, service
        assert ("0000aaa" in text or "0000aaaa" in text) and "Scheduler" in text, service
        assert "reports.example.com/2026/sglang/2026-01-27.html" in text, service
    link = "https://reports.example.com/2026/sglang/2026-01-27.html"
    high = "0000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    assert receiver.received["discord"] == [{
        "content": (
            "## Daily update report \\(2026-01-27\\) · sgl-project/sglang\n"
            "2 commits \\| 🔴 high 1 \\| 🟡 medium 0 \\| 🟢 low 1 \\| 📐 rule-based 2 \\| +0/−0 lines\n"
            "**🧭 Day overview**\n• Scheduler \\<rework\\>\nThemes: perf\n**🔴 High importance \\(1\\)**\n"
            "🔴 **[\\[Feature\\] commit 0: \\<b\\>bold\\</b\\> & \\<!channel\\> @\u200beveryone \\(\\#17000\\)]"
            f"(<https://github.com/sgl-project/sglang/commit/{high}>)** `0000aaa` — 本次提交改进了调度器与内存池的交互，"
            "\\[x\\]\\(javascript:alert\\(1\\)\\) \\*star\\* \\_u\\_ \\~s\\~ `tick` \\| pipe 本次提交改进了调度器与内存池的交互，"
            "\\[x\\]\\(javascript:alert\\(1\\)\\) \\*star…\n"
            f"**[📄 Full report](<{link}>)**"
        ),
        "allowed_mentions": {"parse": []},
    }]  # fmt: skip
    wecom = receiver.received["wecom"][0]["markdown"]["content"]
    assert wecom.startswith(
        "### Daily update report (2026-01-27) · sgl-project/sglang\n2 commits | 🔴 high 1"
    )
    assert f"[📄 Full report]({link})" in wecom and "[x](javascript:alert(1))`" in wecom
    assert no_live_markup(wecom)
    feishu = receiver.received["feishu"][0]
    assert feishu["msg_type"] == "post" and feishu["content"]["post"]["en_us"]["title"].startswith(
        "Daily update"
    )
    generic = receiver.received["generic"][0]
    assert generic["repo"] == "sgl-project/sglang" and generic["report_url"] == link
    assert [c["sha"] for c in generic["commits"]] == [high]


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value (keys aside)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_the_generic_webhook_signs_in_the_configured_header(receiver: WebhookReceiver) -> None:
    receiver.signature_header = "X-Hub-Signature-256"
    _, results = run(make_report(3), environ(receiver), ("webhook",), signature_header="X-Hub-Signature-256")
    assert results[0].status is Status.OK and receiver.violations == [], receiver.violations
    assert len(receiver.received["generic"]) == 1
    # Signed in the default header instead, the receiver that reads the configured one refuses it.
    _, results = run(make_report(3), environ(receiver), ("webhook",))
    assert results[0].status is Status.FAILED
    assert receiver.violations == ["generic: bad signature in X-Hub-Signature-256"]


def test_wrong_secret_fails_with_the_reason_and_no_secret(receiver: WebhookReceiver) -> None:
    env = environ(receiver) | {"FEISHU_SECRET": "wrong-canary-secret", "DINGTALK_SECRET": "wrong-canary-secret",
                               "WEBHOOK_SECRET": "wrong-canary-secret"}  # fmt: skip
    _, results = run(make_report(3), env, ("feishu", "dingtalk", "webhook", "slack"))
    status = {r.publisher: r for r in results}
    assert status["slack"].status is Status.OK
    for name in ("feishu", "dingtalk", "webhook"):
        assert status[name].status is Status.FAILED
        assert "rejected" in status[name].detail or "HTTP 400" in status[name].detail
        for secret in ("wrong-canary-secret", HOOK_TOKEN):
            assert secret not in status[name].detail
    assert "sign match fail" in status["feishu"].detail and "sign not match" in status["dingtalk"].detail


def test_150_commit_day_every_part_is_received_within_limits(receiver: WebhookReceiver) -> None:
    report = make_report(150, high_every=2, watch_every=7)
    publishers, results = run(report, environ(receiver), max_messages=50)
    assert all(r.status is Status.OK for r in results), results
    assert receiver.violations == []
    for publisher in publishers:
        key = "generic" if publisher.type == "webhook" else publisher.type
        expected = publisher.payloads(edition(report))  # type: ignore[attr-defined]
        assert len(receiver.received[key]) == len(expected), key
        if publisher.type in ("discord", "wecom"):
            assert len(expected) > 1  # really split
        text = json.dumps(receiver.received[key], ensure_ascii=False)
        high_and_watch = [rc for rc in report.commits if rc.level.value == "high" or rc.watch]
        for rc in high_and_watch:  # every listed commit arrived somewhere (nothing summarised at 50 parts)
            assert rc.sha in text, (key, rc.sha)


def test_150_commit_day_summarised_to_ten_messages_loses_nothing_silently(receiver: WebhookReceiver) -> None:
    report = make_report(150, high_every=2, watch_every=7)
    _, results = run(report, environ(receiver), ("discord", "wecom"))
    assert all(r.status is Status.OK for r in results) and receiver.violations == []
    listed = sum(1 for rc in report.commits if rc.level.value == "high" or rc.watch)
    for key in ("discord", "wecom"):
        parts = receiver.received[key]
        assert len(parts) <= 10
        text = json.dumps(parts, ensure_ascii=False)
        shown = len(set(re.findall(r"`([0-9a-f]{4}aaa)`", text)))
        more = sum(int(n) for n in re.findall(r"另有 (\d+) 条", text))
        assert shown + more == listed  # every listed commit shown, or counted as left out
        assert (
            "https://reports.example.com/2026/sglang/2026-01-27.html"
            in parts[-1]["content" if key == "discord" else "markdown"].__str__()
        )


def test_retries_on_429_honour_retry_after_and_on_5xx(receiver: WebhookReceiver) -> None:
    receiver.script = {"slack": [429], "discord": [503, 502]}
    receiver.retry_after = "1"
    # A delivery's deadline (10 s here) cuts whatever it is waiting for: a runaway back-off would fail it, so
    # both succeeding is the bound (an outcome, not a timing: a loaded machine needs 1 s and a little).
    _, results = run(make_report(3), environ(receiver), ("slack", "discord"), deadline=10)
    assert [r.status for r in results] == [Status.OK, Status.OK], results
    slack_hits = receiver.hits["slack"]
    assert slack_hits[1] - slack_hits[0] >= 0.95  # waited as asked, not the 0.01 s back-off
    assert len(receiver.hits["discord"]) == 3


def test_persistent_5xx_fails_after_the_configured_attempts(receiver: WebhookReceiver) -> None:
    receiver.script = {"wecom": [500, 500, 500]}
    _, results = run(make_report(3), environ(receiver), ("wecom",), retries=2)
    assert results[0].status is Status.FAILED
    assert "HTTP 500" in results[0].detail and "3 attempts" in results[0].detail
    assert HOOK_TOKEN not in results[0].detail


def test_a_down_service_fails_alone(receiver: WebhookReceiver) -> None:
    dead = free_port()
    env = environ(receiver) | {"SLACK_URL": f"http://127.0.0.1:{dead}/services/T/B/{HOOK_TOKEN}"}
    _, results = run(make_report(3), env, ("slack", "discord"), retries=1)
    assert results[0].status is Status.FAILED and "cannot reach http://127.0.0.1" in results[0].detail
    assert HOOK_TOKEN not in results[0].detail
    assert results[1].status is Status.OK


def test_missing_environment_variable_names_it(receiver: WebhookReceiver) -> None:
    _, results = run(make_report(3), {}, ("discord",))
    assert results[0].status is Status.FAILED
    assert "DISCORD_URL" in results[0].detail and "not set" in results[0].detail


def test_generic_webhook_can_send_the_whole_report(receiver: WebhookReceiver) -> None:
    report = make_report(5)
    _, results = run(report, environ(receiver), ("webhook",), payload="report")
    assert results[0].status is Status.OK
    assert receiver.raw["generic"][0] == RENDERERS["json"](report).encode()
    assert DayReport.model_validate(receiver.received["generic"][0]) == report


def test_a_retry_after_longer_than_allowed_fails_at_once(receiver: WebhookReceiver) -> None:
    receiver.script = {"discord": [429]}
    receiver.retry_after = "3600"
    started = time.monotonic()
    _, results = run(make_report(3), environ(receiver), ("discord",), max_retry_after=60)
    assert results[0].status is Status.FAILED and "asks to wait 3600s" in results[0].detail
    assert len(receiver.hits["discord"]) == 1  # not asked again
    assert time.monotonic() - started < 60  # failed before the 60 s max_retry_after it did not wait


@pytest.mark.parametrize("bad", [f"https://127.0.0.1:abc/services/{HOOK_TOKEN}",
                                 f"https://hooks.\x1b[31mexample.com\x00/{HOOK_TOKEN}"])  # fmt: skip
def test_a_malformed_webhook_url_fails_alone_without_quoting_it(receiver: WebhookReceiver, bad: str) -> None:
    env = environ(receiver) | {"SLACK_URL": bad}
    _, results = run(make_report(3), env, ("slack", "discord"), retries=0)
    assert results[0].status is Status.FAILED and "not a valid http(s) URL" in results[0].detail, results[0]
    assert HOOK_TOKEN not in results[0].detail and "\x1b" not in results[0].detail
    assert results[1].status is Status.OK


def test_a_success_status_whose_answer_is_not_json_says_what_came_back(receiver: WebhookReceiver) -> None:
    # Feishu reports its refusals in a 200's JSON body: a 200 with anything else (a proxy's page, a wrong
    # URL) is not taken as delivered, and the message quotes what the service answered, never the key.
    receiver.script = {"feishu": [200]}  # the receiver answers b"scripted"
    _, results = run(make_report(3), environ(receiver), ("feishu",))
    assert results[0].status is Status.FAILED
    assert "an answer that is not JSON: HTTP 200 'scripted'" in results[0].detail, results[0].detail
    assert HOOK_TOKEN not in results[0].detail


class KeyedReceiver(WebhookReceiver):
    """The receiver, keeping each request's ``Idempotency-Key`` (None when it has none)."""

    def __init__(self) -> None:
        super().__init__(webhook_secret=WEBHOOK_SECRET)
        self.keys: list[str | None] = []

    def handle(self, target: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], bytes]:
        self.keys.append({k.lower(): v for k, v in headers.items()}.get("idempotency-key"))
        return super().handle(target, headers, raw)


def test_the_generic_webhook_names_each_message_with_an_idempotency_key() -> None:
    """The same message sent again (the store went away before its delivery was recorded) carries the same
    key; another day, or the same day to another target (the whole report), another one."""
    receiver = KeyedReceiver().start()
    try:
        env = environ(receiver)
        for report, extra in ((make_report(3), {}), (make_report(3), {}), (make_report(4), {}),
                              (make_report(3), {"payload": "report"})):  # fmt: skip
            _, results = run(report, env, ("webhook",), **extra)
            assert results[0].status is Status.OK, results[0].detail
    finally:
        receiver.stop()
    first, again, other_day, other_target = receiver.keys
    assert first and re.fullmatch(r"[0-9a-f]{32}", first), first
    assert again == first and len({first, other_day, other_target}) == 3, receiver.keys


def test_a_message_sent_again_by_force_has_a_key_of_its_own_and_a_retried_one_keeps_its_key(
    tmp_path: Path,
) -> None:
    """`--force` sends a delivered day again on purpose: a receiver that drops the keys it has seen must not
    drop it. A sending that failed and is tried again by the next run is the same message: the same key."""
    receiver = KeyedReceiver().start()
    try:
        secrets = Secrets(environ(receiver))
        (hook,) = build_publishers(entries(("webhook",), retries=0), secrets)
        report = make_report(3)
        with Store.open(tmp_path) as store:

            def send(**kwargs: Any) -> list[str]:
                return [r.status for r in deliver(edition(report), [hook], store, secrets=secrets, **kwargs)]

            assert send() == ["ok"]
            assert send() == ["skipped"]  # delivered: nothing sent, no key
            assert send(force=True) == ["ok"]
            receiver.script = {"generic": [500]}
            assert send(force=True) == ["failed"]  # the third sending fails …
            assert send() == ["ok"]  # … and the next run sends it
    finally:
        receiver.stop()
    first, forced, failed, retried = receiver.keys
    assert len({first, forced, failed}) == 3 and retried == failed, receiver.keys
