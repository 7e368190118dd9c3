"""Issue 20: one edition per unit, one deliver for every unit kind — Microsoft Teams on the seam, the
publishers' total deadline, the failure gate stored once, weekly digests delivered."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

from PIL import Image
from pydantic import TypeAdapter

from dailydiff.engine.deliver import deliver
from dailydiff.publish.base import Secrets
from dailydiff.publish.registry import build_publishers
from dailydiff.settings.publishers import PublishEntry
from dailydiff.store import Store
from opsfixtures import FIRST_DAY, build_workspace, dailydiff
from publish_reports import edition, make_report
from webhook_receiver import LIMITS, WebhookReceiver

LAST_DAY = FIRST_DAY + dt.timedelta(days=6)  # FIRST_DAY is a Monday: one whole ISO week


# -- the publishers' total deadline ------------------------------------------------------------------


class DrippingServer:
    """Reads a request, then answers one byte a second (``healthy``: answers at once) — a receiver that
    per-read timeouts never cut off."""

    def __init__(self) -> None:
        self.healthy = False
        self.received: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/services/T0/B0/drip"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
            while len(body) < length:
                body += conn.recv(65536)
            answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
            if self.healthy:
                self.received.append(body)
                conn.sendall(answer)
                return
            try:
                for byte in answer * 50:
                    conn.sendall(bytes([byte]))
                    time.sleep(1.0)
            except OSError:  # the client gave up
                return

    def close(self) -> None:
        self.sock.close()


def test_a_dripping_receiver_is_cut_off_at_the_deadline_recorded_failed_and_delivered_once_later(
    tmp_path: Path,
) -> None:
    server = DrippingServer()
    entry = TypeAdapter(PublishEntry).validate_python(
        {"type": "slack", "url_env": "HOOK", "timeout": 2, "deadline": 5, "retries": 2, "backoff": 0.1}
    )
    secrets = Secrets({"HOOK": server.url})
    (slack,) = build_publishers([entry], secrets)
    reports = [make_report(3), make_report(4).model_copy(update={"date": dt.date(2026, 1, 28)})]
    try:
        with Store.open(tmp_path) as store:
            for report in reports:
                started = time.monotonic()
                (result,) = deliver(edition(report), [slack], store, secrets=secrets)
                took = time.monotonic() - started
                assert took < 6.0, took  # each delivery ends by its deadline, whatever the receiver does
                assert result.status == "failed" and "\n" not in result.detail
                assert "deadline of 5s" in result.detail, result.detail
                row = store.deliveries(report.repo, report.date, report.language)[slack.target]
                assert row.state == "failed"
            server.healthy = True
            again = [deliver(edition(r), [slack], store, secrets=secrets)[0].status for r in reports]
            assert again == ["ok", "ok"] and len(server.received) == 2
            assert [deliver(edition(r), [slack], store, secrets=secrets)[0].status for r in reports] == [
                "skipped",
                "skipped",
            ]
            assert len(server.received) == 2  # delivered once each
    finally:
        server.close()


# -- Microsoft Teams, on the seam ----------------------------------------------------------------------


def test_teams_cards_are_valid_adaptive_cards_within_the_size_limit_for_a_big_day() -> None:
    hooks = WebhookReceiver().start()
    entry = TypeAdapter(PublishEntry).validate_python({"type": "teams", "url_env": "HOOK", "retries": 0})
    secrets = Secrets({"HOOK": hooks.urls()["teams"]})
    (teams,) = build_publishers([entry], secrets)
    report = make_report(150, high_every=2, watch_every=7)
    try:
        result = teams.send(edition(report))
    finally:
        hooks.stop()
    assert hooks.violations == [] and result.status.value == "ok"
    cards = hooks.raw["teams"]
    assert len(cards) > 1 and all(len(raw) <= LIMITS["teams_message_bytes"] for raw in cards)
    texts = [b["text"] for raw in cards for b in json.loads(raw)["attachments"][0]["content"]["body"]]
    assert any(re.search(r"[(（]2/", t) for t in texts)  # parts are numbered
    assert not any("<b>" in t for t in texts)  # untrusted markup is escaped, not rendered


WEEK_TOML = """
[weekly]
publishers = ["slack", "teams", "mail"]
weekday = "sunday"

[[digest]]
name = "team"
publishers = ["teams"]

[[publish]]
type = "slack"
url_env = "HOOK_SLACK"
retries = 0

[[publish]]
type = "teams"
url_env = "HOOK_TEAMS"
retries = 0

[[publish]]
type = "email"
name = "mail"
host = "127.0.0.1"
port = {port}
ca_file = "{cert}"
username = "reports"
password_env = "SMTP_PASSWORD"
sender = "dailydiff <bot@example.com>"
recipients = ["team@example.com"]
"""


def _card_titles(hooks: WebhookReceiver) -> list[str]:
    return [
        json.loads(raw)["attachments"][0]["content"]["body"][0]["text"] for raw in hooks.raw.get("teams", [])
    ]


def _slack_headers(hooks: WebhookReceiver) -> list[str]:
    return [p["blocks"][0]["text"]["text"] for p in hooks.received.get("slack", [])]


def test_run_delivers_each_week_once_per_target_and_days_digests_and_weeks_reach_teams(
    tmp_path: Path,
) -> None:
    from smtp_server import SmtpServer, make_certificate

    (tmp_path / "tls").mkdir()
    cert, key = make_certificate(tmp_path / "tls")
    server = SmtpServer(cert, key, password="pw").start()
    hooks = WebhookReceiver().start()
    build_workspace(tmp_path, repos=3, per_day=2, extra_toml=WEEK_TOML.format(port=server.port, cert=cert))
    config = tmp_path / "dailydiff.toml"
    # Days go to Teams only; one repository reports in English, in UTC.
    text = re.sub(r'(name = "proj\d+"\n)', r'\1publishers = ["teams"]\n', config.read_text(encoding="utf-8"))
    text = text.replace('name = "proj2"\n', 'name = "proj2"\nlanguage = "en"\ntimezone = "UTC"\n')
    config.write_text(text, encoding="utf-8")
    env = {"HOOK_SLACK": hooks.urls()["slack"], "HOOK_TEAMS": hooks.urls()["teams"], "SMTP_PASSWORD": "pw",
           "DAILYDIFF_ANALYSIS_ANALYZER": "heuristic"}  # fmt: skip
    week = ["run", "--from", FIRST_DAY.isoformat(), "--to", LAST_DAY.isoformat()]
    try:
        first = dailydiff(*week, "--summary-json", "s.json", cwd=tmp_path, env=env)
        counts = (len(hooks.received["slack"]), len(hooks.received["teams"]), len(server.received))
        dailydiff(*week, cwd=tmp_path, env=env)
        rerun = (len(hooks.received["slack"]), len(hooks.received["teams"]), len(server.received))
        dailydiff(*week, "--force", cwd=tmp_path, env=env)
        forced = (len(hooks.received["slack"]), len(hooks.received["teams"]), len(server.received))
    finally:
        hooks.stop()
        server.stop()
    assert first.returncode == 0 and hooks.violations == []
    titles = _card_titles(hooks)
    weeks_in_teams = [t for t in titles if "2026-W02" in t]
    days_in_teams = [t for t in titles if "proj" in t and "2026-W02" not in t]
    digests_in_teams = [t for t in titles if t.startswith("team ·")]
    assert counts[0] == 3 and counts[2] == 3  # the week of each of 3 repositories, once to Slack and by mail
    assert len(weeks_in_teams) == 6 and len(set(weeks_in_teams)) == 3  # once, then once more with --force
    assert len(days_in_teams) >= 2 * 21 and len(digests_in_teams) == 2 * 7
    assert rerun == counts  # a re-run sends nothing
    assert forced[0] == 2 * counts[0] and forced[2] == 2 * counts[2]  # --force sends again
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert [w["week"] for w in summary["weeks"]] == ["2026-W02"] * 3
    # The mail carries the week's charts as cid: images that decode.
    message = server.received[0].message
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 2
    for part in images:
        assert f'src="cid:{part["Content-ID"].strip("<>")}"' in html
        picture = Image.open(io.BytesIO(part.get_content()))
        picture.load()
        assert picture.format == "PNG" and picture.size[0] > 100
    # Every digest-day names all three repositories in its card (the English, UTC one included).
    for raw in hooks.raw["teams"]:
        card: dict[str, Any] = json.loads(raw)["attachments"][0]["content"]
        if card["body"][0]["text"].startswith("team ·"):
            body = "\n".join(b["text"] for b in card["body"])
            assert all(f"proj{i}" in body for i in range(3)), body
