"""Issue 20: one edition per unit, one deliver for every unit kind — Microsoft Teams on the seam, the
publishers' total deadline, the failure gate stored once, weekly digests delivered."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pydantic import TypeAdapter

from dailydiff.engine.deliver import deliver
from dailydiff.errors import PublishError
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
    """Reads a request, then answers one byte every 0.1 s (``healthy``: answers at once) — a receiver that
    per-read timeouts (0.5 s here) never cut off."""

    def __init__(self) -> None:
        self.healthy = False
        self.received: list[bytes] = []
        # Per dripped answer, the bytes sent before the client gave up (None: it read the whole answer).
        self.dripped: list[int | None] = []
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
        with conn, contextlib.suppress(OSError):  # OSError: the client gave up
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:  # the client gave up before its request was whole (a later test's thread)
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            declared = re.search(rb"(?i)content-length: *(\d+)", head)
            length = int(declared.group(1)) if declared else 0
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                body += chunk
            answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
            if self.healthy:
                self.received.append(body)
                conn.sendall(answer)
                return
            sent = 0
            try:
                for byte in answer * 500:  # 70 s of drip: only a deadline ends it
                    conn.sendall(bytes([byte]))
                    sent += 1
                    time.sleep(0.1)
            except OSError:  # the client gave up
                self.dripped.append(sent)
                return
            self.dripped.append(None)

    def close(self) -> None:
        # The thread blocked in accept() holds the socket: closed alone, it would go on listening until a
        # connection came (a later test's, in this process, was answered "ok" by it). shutdown() ends the
        # accept, and the socket with it.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "the dripping server's accept thread did not end"


def test_a_dripping_receiver_is_cut_off_at_the_deadline_recorded_failed_and_delivered_once_later(
    tmp_path: Path,
) -> None:
    server = DrippingServer()
    entry = TypeAdapter(PublishEntry).validate_python(
        {"type": "slack", "url_env": "HOOK", "timeout": 5, "deadline": 0.75, "retries": 2, "backoff": 0.1}
    )  # the request's own timeout is longer than the delivery's deadline: the deadline is what cuts
    secrets = Secrets({"HOOK": server.url})
    (slack,) = build_publishers([entry], secrets)
    reports = [make_report(3), make_report(4).model_copy(update={"date": dt.date(2026, 1, 28)})]
    try:
        with Store.open(tmp_path) as store:
            for report in reports:
                started = time.monotonic()
                (result,) = deliver(edition(report), [slack], store, secrets=secrets)
                took = time.monotonic() - started
                # Each delivery ends by its deadline, whatever the receiver does: the drip lasts 70 s, and
                # the bound leaves a loaded machine room. What was cut is asserted below.
                assert took < 20, took
                assert result.status == "failed" and "\n" not in result.detail
                assert "deadline of 0.75s" in result.detail, result.detail
                row = store.deliveries(report.repo, report.date, report.language)[slack.target]
                assert row.state == "failed"
            # Every dripped answer was given up by the client a few bytes in: at 10 bytes a second a 0.75 s
            # deadline reads some 8 (a whole answer is 7000). Counted by the server, whose writes a loaded
            # machine only slows: the bound leaves 1.75 s for the client's close to be scheduled.
            deadline = time.monotonic() + 10
            while len(server.dripped) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(server.dripped) >= 2 and None not in server.dripped, server.dripped
            assert all(sent is not None and sent < 25 for sent in server.dripped), server.dripped
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
    joined = "\n".join(
        texts
    )  # a link in commit text stays text: its brackets escaped (HTML is text in Teams)
    assert "\\[x\\](javascript" in joined and "[x](javascript" not in joined.replace("\\[x\\](javascript", "")


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


@dataclass
class WeekRun:
    root: Path
    hooks: WebhookReceiver
    mails: list[Any]
    returncode: int
    counts: tuple[int, int, int]  # slack, teams, mail after the first run
    rerun: tuple[int, int, int]
    forced: tuple[int, int, int]


@pytest.fixture(scope="module")
def week_run(tmp_path_factory: pytest.TempPathFactory) -> WeekRun:
    """3 repositories (one in English, in UTC) × the 7 days of 2026-W02, one [[digest]]; days and the
    digest go to Teams, the week to Slack, Teams and e-mail; `run` three times (again, then --force)."""
    from smtp_server import SmtpServer, make_certificate

    tmp_path = tmp_path_factory.mktemp("week")
    (tmp_path / "tls").mkdir()
    cert, key = make_certificate(tmp_path / "tls")
    server = SmtpServer(cert, key, password="pw").start()
    hooks = WebhookReceiver().start()
    build_workspace(tmp_path, repos=3, per_day=2, extra_toml=WEEK_TOML.format(port=server.port, cert=cert))
    config = tmp_path / "dailydiff.toml"
    text = re.sub(r'(name = "proj\d+"\n)', r'\1publishers = ["teams"]\n', config.read_text(encoding="utf-8"))
    text = text.replace('name = "proj2"\n', 'name = "proj2"\nlanguage = "en"\ntimezone = "UTC"\n')
    config.write_text(text, encoding="utf-8")
    env = {"HOOK_SLACK": hooks.urls()["slack"], "HOOK_TEAMS": hooks.urls()["teams"], "SMTP_PASSWORD": "pw",
           "DAILYDIFF_ANALYSIS_ANALYZER": "heuristic"}  # fmt: skip
    week = ["run", "--from", FIRST_DAY.isoformat(), "--to", LAST_DAY.isoformat()]

    def counted() -> tuple[int, int, int]:
        return (
            len(hooks.received.get("slack", [])),
            len(hooks.received.get("teams", [])),
            len(server.received),
        )

    try:
        first = dailydiff(*week, "--summary-json", "s.json", cwd=tmp_path, env=env)
        counts = counted()
        dailydiff(*week, cwd=tmp_path, env=env)
        rerun = counted()
        dailydiff(*week, "--force", cwd=tmp_path, env=env)
        forced = counted()
    finally:
        hooks.stop()
        server.stop()
    return WeekRun(tmp_path, hooks, list(server.received), first.returncode, counts, rerun, forced)


def test_run_delivers_each_week_once_per_target_and_days_digests_and_weeks_reach_teams(
    week_run: WeekRun,
) -> None:
    hooks, tmp_path, counts, rerun, forced = (week_run.hooks, week_run.root, week_run.counts, week_run.rerun,
                                              week_run.forced)  # fmt: skip
    assert week_run.returncode == 0 and hooks.violations == []
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
    message = week_run.mails[0].message
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 3  # the last eight weeks, the week by weekday, its change types
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


# -- one site builder; a digest never drops a repository ------------------------------------------------


def test_site_build_and_serve_give_one_page_set_and_every_digest_day_names_every_repository(
    week_run: WeekRun, tmp_path: Path
) -> None:
    import shutil

    import httpx2

    from dailydiff.publish import chat_formats
    from dailydiff.render.digest import load_digest
    from dailydiff.render.edition import digest_edition
    from dailydiff.settings import load_settings
    from dailydiff.site import MANIFEST
    from dailydiff.web import SiteCache, create_app
    from webserver import serving

    root = tmp_path / "copy"
    shutil.copytree(week_run.root / "data", root / "data")
    shutil.copy(week_run.root / "dailydiff.toml", root / "dailydiff.toml")
    settings = load_settings(root / "dailydiff.toml", environ={}, cwd=root)
    # A row this version cannot read: its page says so, every other page is built.
    import sqlite3

    from dailydiff.store import DB_NAME

    with sqlite3.connect(root / "data" / DB_NAME) as db:  # a row as a version this one cannot read wrote it
        db.execute(
            'UPDATE reports SET data = replace(data, \'"schema_version":1\', \'"schema_version":"next"\') '
            "WHERE repo = 'proj1' AND date = ?",
            (FIRST_DAY.isoformat(),),
        )
    built = dailydiff("site", "build", "-o", "site", cwd=root, env={})
    assert built.returncode == 0, built.stderr
    written = set(json.loads((root / "site" / MANIFEST).read_text(encoding="utf-8"))["pages"])
    assert {"digests.xml", "feed.xml"} <= written
    assert sum(p.startswith("digests/team/") for p in written) == 7
    assert sum("/weeks/" in p for p in written) == 3
    with Store.open(root / "data") as store:
        cache = SiteCache(store, settings)
        served = set(cache.snapshot()[0].pages())
        assert served == written  # one builder: the same pages and feeds
        unreadable = f"repos/proj1/{FIRST_DAY.isoformat()}.html"
        with serving(create_app(cache)) as base:
            answers = {
                path: httpx2.get(f"{base}/{path}")
                for path in sorted(written)
                if path.endswith((".html", ".xml"))
            }
        assert {p: a.status_code for p, a in answers.items() if a.status_code != 200} == {}
        assert "无法读取" in answers[unreadable].text and "validation error" in answers[unreadable].text
        assert (root / "site" / unreadable).read_text(encoding="utf-8") == answers[unreadable].text
        digests = [
            load_digest(store.get_digest(name, date, lang)[1]) for name, date, lang in store.list_digests()
        ]  # type: ignore[index]
    assert len(digests) == 7
    for digest in digests:
        edition = digest_edition(digest, settings)
        mail = edition.mail()
        outputs = {"md": edition.files["md"], "html": edition.files["html"], "mail text": mail.text,
                   "mail html": mail.html}  # fmt: skip
        for service in ("feishu", "dingtalk", "wecom", "slack", "discord", "teams"):
            payloads = getattr(chat_formats, f"{service}_payloads")(edition.message(), 10)
            outputs[service] = json.dumps(payloads, ensure_ascii=False)
        for where, text in outputs.items():
            assert all(f"proj{i}" in text for i in range(3)), (digest.date, where)
        assert {r.repo for r in digest.repos} == {"proj0", "proj1", "proj2"}


def test_the_digest_copy_under_output_dir_links_the_report_files_beside_it(
    week_run: WeekRun, tmp_path: Path
) -> None:
    import shutil

    root = tmp_path / "copy"
    for part in ("data", "repos"):
        shutil.copytree(week_run.root / part, root / part)
    shutil.copy(week_run.root / "dailydiff.toml", root / "dailydiff.toml")
    day = FIRST_DAY.isoformat()
    for i in range(3):  # the day's report files, as `report -o` writes them
        dailydiff("report", f"repos/proj{i}", "--date", day, "-o", "out", cwd=root,
                  env={"DAILYDIFF_ANALYSIS_ANALYZER": "heuristic"})  # fmt: skip
    dailydiff("digest", "--date", day, "-o", "out", "--format", "md,html", cwd=root, env={})
    digest = root / "out" / "digests" / "2026" / "team" / f"{day}.md"
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", digest.read_text(encoding="utf-8"))
    local = [link for link in links if not link.startswith("http")]
    assert local and all((digest.parent / link).resolve().is_file() for link in local), local


# -- the failure gate, computed once -------------------------------------------------------------------


def test_a_day_with_sixty_percent_failed_shows_one_gate_everywhere(tmp_path: Path) -> None:
    from dailydiff.engine.digests import build_digest_day
    from dailydiff.engine.outcome import day_outcome
    from dailydiff.engine.stages import gate
    from dailydiff.models import AnalysisStatus, Level
    from dailydiff.publish import chat_formats
    from dailydiff.render.edition import digest_edition
    from dailydiff.render.html import repo_slug
    from dailydiff.settings import load_settings
    from dailydiff.site import build_from_store

    settings = load_settings(environ={}, cwd=Path("/"), overrides={"report": {"language": "en"}})
    report = make_report(5, language="en")
    commits = [
        rc.model_copy(update={"analysis": rc.analysis.model_copy(update={"status": AnalysisStatus.FAILED})})  # type: ignore[union-attr]
        if i < 3 else rc
        for i, rc in enumerate(report.commits)
    ]  # fmt: skip
    stats = report.stats.model_copy(update={"failed": 3, "fallback": 0, "total": 5, "merges": 0})
    report = report.model_copy(update={"commits": commits, "stats": stats})
    with Store.open(tmp_path) as store:
        outcome = gate(report, settings, store)
        stored = store.get_report(report.repo, report.date, report.language)
        assert outcome.gated and stored is not None and stored.gate is not None
        assert (stored.gate.failed, stored.gate.analysable, stored.gate.gated) == (3, 5, True)
        entry = settings.model_copy(update={"digest": []})
        from dailydiff.settings import DigestEntry

        digest, _ = build_digest_day(store, entry, DigestEntry(name="team"), report.date)
        build_from_store(store, settings, tmp_path / "site")
    page = (
        tmp_path / "site" / "repos" / repo_slug(report.repo) / f"{report.date.isoformat()}.html"
    ).read_text(encoding="utf-8")
    shown = "60% (3/5)"
    day = edition(stored)
    assert shown in day.files["md"] and shown in day.files["html"] and shown in page
    assert shown in day.mail().text
    for service in ("feishu", "dingtalk", "wecom", "slack", "discord", "teams"):
        payloads = json.dumps(
            getattr(chat_formats, f"{service}_payloads")(day.message(), 10), ensure_ascii=False
        )
        assert shown in payloads.replace("\\", ""), service  # less the services' escapes
    (line,) = digest.repos
    assert line.gated and line.failed == 3
    assert "too many failed analyses" in digest_edition(digest, settings).files["md"]
    summary = day_outcome(report.repo, report.date, "gated", stored).as_dict()["gate"]
    assert (summary["gated"], summary["ratio"], summary["failed"], summary["analysable"]) == (True, 0.6, 3, 5)
    assert Level  # the same figures whatever the level mix


# -- chat look-alikes ------------------------------------------------------------------------------------

ASCII_MARKUP = [
    "[Bugfix] fix | pipe <b>bold</b> `tick` *star* _u_ ~s~ \\ back",
    "[x](javascript:alert(1)) a|b |---|",
]


def _english_day() -> Any:
    """An English day whose commit texts are ASCII full of markup characters (and long, to be split)."""
    report = make_report(200, high_every=1, watch_every=5, language="en")
    commits = []
    for i, rc in enumerate(report.commits):
        text = f"{ASCII_MARKUP[i % 2]} `code span {i} that must not be cut` and more words " * 3
        analysis = rc.analysis.model_copy(update={"summary": text})  # type: ignore[union-attr]
        commits.append(rc.model_copy(update={"message": f"{ASCII_MARKUP[i % 2]} #{i}", "analysis": analysis}))
    overview = report.overview.model_copy(update={"highlights": ["a | b [c] <d>"], "themes": ["x ~ y"]})
    return report.model_copy(update={"commits": commits, "overview": overview})


def _payload_texts(service: str, payload: dict[str, Any]) -> list[str]:
    if service == "dingtalk":
        return [payload["markdown"]["text"]]
    if service == "wecom":
        return [payload["markdown"]["content"]]
    if service == "discord":
        return [payload["content"]]
    return []


def test_no_full_width_look_alike_in_any_chat_payload_and_no_message_cut_inside_a_code_span() -> None:
    from markdown_it import MarkdownIt

    from dailydiff.publish import chat_formats

    day = edition(_english_day())
    parser = MarkdownIt("commonmark")
    for service in ("feishu", "dingtalk", "wecom", "slack", "discord", "teams"):
        payloads = getattr(chat_formats, f"{service}_payloads")(day.message(), 10)
        assert len(payloads) > 1, service  # long enough to be cut into parts
        text = json.dumps(payloads, ensure_ascii=False)
        wide = sorted({ch for ch in text if 0xFF00 <= ord(ch) <= 0xFFEF})
        assert wide == [], (service, wide)
        for message in _payload_texts(service, payloads[0]) + _payload_texts(service, payloads[-1]):
            tokens = [t for block in parser.parse(message) for t in (block.children or [])]
            assert not any(t.type == "link_open" and "javascript" in t.attrGet("href") for t in tokens)  # type: ignore[operator]
            if service in ("dingtalk", "wecom"):  # code spans carry the markup: every backtick pairs up
                assert not any("`" in t.content for t in tokens if t.type == "text"), (service, message)
                assert not any(t.type == "html_inline" for t in tokens), service


# -- every unit kind, every target ---------------------------------------------------------------------

ENTRIES: dict[str, dict[str, Any]] = {
    "files": {"directory": "out", "formats": ["md", "json", "html"]},
    "github-contents": {"repository": "acme/reports", "formats": ["md", "json"]},
    "github-issue": {"repository": "acme/reports"},
    "email": {"host": "127.0.0.1", "sender": "a@example.com", "recipients": ["b@example.com"]},
}


def _editions() -> dict[str, Any]:
    from dailydiff.render.digest import build_day_digest
    from dailydiff.render.edition import digest_edition, week_edition
    from dailydiff.render.week import IsoWeek
    from dailydiff.render.week import build_digest as build_week
    from publish_reports import SETTINGS

    report = make_report(6, high_every=2, watch_every=3, language="en")
    other = report.model_copy(update={"repo": "acme/other"})
    digest = build_day_digest("team", report.date, [report.repo, other.repo, "acme/quiet"],
                              {report.repo: report, other.repo: other}, language="en", timezone="UTC")  # fmt: skip
    iso = IsoWeek(year=2026, week=report.date.isocalendar()[1])
    week = build_week(report.repo, iso, {report.date: report}, timezone="UTC", language="en")
    return {
        "day": edition(report),
        "digest": digest_edition(digest, SETTINGS),
        "week": week_edition(week, SETTINGS),
    }


def test_every_unit_kind_can_be_sent_by_every_target_type(tmp_path: Path) -> None:
    from dailydiff.publish.registry import PUBLISHERS

    editions = _editions()
    week_page = editions["week"].files["html"]  # the standalone weekly HTML draws the week's charts
    assert week_page.count("<figure") == 2 and "data:image/svg+xml" in week_page
    for kind in ("feishu", "dingtalk", "wecom", "slack", "discord", "teams", "webhook"):
        ENTRIES.setdefault(kind, {"url_env": "HOOK"})
    assert set(ENTRIES) == set(PUBLISHERS)  # a new target type is added here, and so to every unit kind
    secrets = Secrets({"HOOK": "https://example.invalid/hook"})
    for kind, unit in editions.items():
        for target_type, fields in ENTRIES.items():
            fields = {**fields, "directory": str(tmp_path)} if target_type == "files" else fields
            entry = TypeAdapter(PublishEntry).validate_python({"type": target_type, **fields})
            (publisher,) = build_publishers([entry], secrets)
            assert publisher.preview(unit).strip(), (kind, target_type)
            assert len(unit.content_hash(publisher.parts, publisher.formats)) == 64
        sent = deliver(unit, [p for p in build_publishers([TypeAdapter(PublishEntry).validate_python(
            {"type": "files", "directory": str(tmp_path / kind), "formats": ["md", "json", "html"]})], secrets)],
            None)  # fmt: skip
        assert [r.status for r in sent] == ["ok"] and len(sent[0].paths) == 3, (kind, sent)


def test_every_target_type_sends_an_addendum_or_declares_it_gets_the_rebuilt_day(tmp_path: Path) -> None:
    """Issue 43: a late commit's addendum (render/edition.py) through every publisher type of the registry.
    A type that updates in place declares it gets the rebuilt day instead (engine/addendum.py sends it no
    addendum); every other type renders the addendum's parts, and the chat and JSON webhook types post it
    to the local receiver, which accepts it — the addendum lists the late commit, not the day again."""
    from dailydiff.models import LateCommit
    from dailydiff.publish.registry import PUBLISHERS
    from dailydiff.render.edition import addendum_edition
    from publish_reports import SETTINGS

    report = make_report(4, language="en")
    late, on_time = report.commits[0], report.commits[-1]
    report = report.model_copy(update={"late": [LateCommit(sha=late.sha, first_seen=late.committed_at)]})
    unit = addendum_edition(report, [late], SETTINGS)
    for kind in ("feishu", "dingtalk", "wecom", "slack", "discord", "teams", "webhook"):
        ENTRIES.setdefault(kind, {"url_env": "HOOK"})
    assert set(ENTRIES) == set(PUBLISHERS)
    receiver = WebhookReceiver().start()
    try:
        in_place, sent = [], []
        for target_type, fields in ENTRIES.items():
            fields = {**fields, "directory": str(tmp_path)} if target_type == "files" else fields
            for payload in ("summary", "report") if target_type == "webhook" else ("",):
                more = {"payload": payload} if payload else {}
                entry = TypeAdapter(PublishEntry).validate_python({"type": target_type, **fields, **more})
                secrets = Secrets({"HOOK": receiver.urls("tok3n-add").get(target_type, "")})
                (publisher,) = build_publishers([entry], secrets)
                if publisher.updates_in_place:
                    in_place.append(target_type)
                    continue
                preview = publisher.preview(unit)
                assert late.short_sha in preview and on_time.short_sha not in preview, (target_type, payload)
                assert len(unit.content_hash(publisher.parts, publisher.formats)) == 64
                if target_type != "email":  # its SMTP exchange: tests/test_late.py
                    [result] = deliver(unit, [publisher], None, secrets=secrets)
                    assert result.status == "ok", (target_type, payload, result.detail)
                    sent.append(target_type)
    finally:
        receiver.stop()
    assert sorted(in_place) == ["files", "github-contents", "github-issue"]
    assert receiver.violations == []
    assert sorted(receiver.received) == sorted({*sent} - {"webhook"} | {"generic"})
    for body in receiver.received["generic"]:  # both payload settings: the addendum's own JSON
        assert body["kind"] == "addendum" and [c["sha"] for c in body["late"]] == [late.sha]


# -- an incremental site -----------------------------------------------------------------------------------


def test_a_site_rebuild_writes_nothing_unchanged_and_a_new_day_rewrites_only_the_pages_it_changes(
    tmp_path: Path,
) -> None:
    from dailydiff.site import MANIFEST, Site, build_site
    from sitefixtures import many_reports

    reports = many_reports(2, 45, 6, seed=3)
    newest = max(r.date for r in reports)
    old = [r for r in reports if r.date < newest or r.repo != reports[0].repo]
    out = tmp_path / "site"
    first = build_site(Site.from_reports(old), out)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    texts = {p: p.read_bytes() for p in stamps}
    again = build_site(Site.from_reports(old), out)
    assert again.written == 0 and again.removed == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps  # the manifest too
    added = build_site(Site.from_reports(reports), out)
    changed = {
        str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and texts.get(p) != p.read_bytes()
    }
    assert added.written == len(changed - {MANIFEST}) > 0
    slug = next(s.slug for s in Site.from_reports(reports).repos if s.repo == reports[0].repo)
    day = f"repos/{slug}/{newest.isoformat()}.html"
    before = f"repos/{slug}/{(newest - dt.timedelta(days=1)).isoformat()}.html"
    assert {day, before, f"repos/{slug}/index.html", "index.html", "feed.xml"} <= changed
    untouched = [
        p
        for p in stamps
        if "/repos/" in str(p) and p.name.endswith(".html") and str(p.relative_to(out)) not in changed
    ]
    assert len(untouched) > 40  # older days (and the other repository's) were not rewritten
    assert first.pages == again.pages == added.pages - 3  # the new day: its page, its JSON and its chart


@pytest.mark.parametrize("jobs", [1, 2])
def test_pages_deleted_by_hand_are_written_again_by_the_next_build_and_nothing_else(
    tmp_path: Path, jobs: int
) -> None:
    """The manifest says what the last build wrote; the files present say what is still there: a page
    deleted since (a repository's day, chart and week; a site-wide page; an asset) is written again, in
    this process or by the writers of its repository."""
    from dailydiff.site import Site, build_site
    from sitefixtures import many_reports

    reports = many_reports(2, 10, 4, seed=5)
    out = tmp_path / "site"
    build_site(Site.from_reports(reports), out, jobs=jobs)
    texts = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    slug = Site.from_reports(reports).repos[1].slug
    gone = sorted(
        [
            out / "feed.xml",
            out / "assets" / "site.css",
            next((out / "repos" / slug).glob("20*.html")),
            next((out / "repos" / slug / "charts").glob("20*.svg")),
            next((out / "repos" / slug / "weeks").glob("*.html")),
        ]
    )
    for path in gone:
        path.unlink()
    again = build_site(Site.from_reports(reports), out, jobs=jobs)
    assert again.written == len(gone) and again.removed == 0
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == texts


def test_an_smtp_server_that_drips_is_cut_off_at_the_deadline(tmp_path: Path) -> None:
    server = socket.create_server(("127.0.0.1", 0))

    dripped: list[int] = []  # the bytes sent before the client gave up

    def drip() -> None:
        conn, _ = server.accept()
        sent = 0
        with conn:
            try:
                for byte in b"220 slow.example ESMTP\r\n" * 100:  # 240 s of drip: only a deadline ends it
                    conn.sendall(bytes([byte]))
                    sent += 1
                    time.sleep(0.1)  # each byte well within a read's timeout
            except OSError:
                dripped.append(sent)

    threading.Thread(target=drip, daemon=True).start()
    entry = TypeAdapter(PublishEntry).validate_python(
        {
            "type": "email",
            "host": "127.0.0.1",
            "port": server.getsockname()[1],
            "security": "none",
            "sender": "a@example.com",
            "recipients": ["b@example.com"],
            "timeout": 5,
            "deadline": 0.75,
        }
    )  # fmt: skip  (the exchange's own timeout is longer than the deadline: the deadline is what cuts)
    (mail,) = build_publishers([entry], Secrets({}))
    try:
        with Store.open(tmp_path) as store:
            started = time.monotonic()
            (result,) = deliver(edition(make_report(2)), [mail], store)
            took = time.monotonic() - started
    finally:
        server.close()
    assert took < 20, took  # the greeting drips for 240 s; a loaded machine has room
    deadline = time.monotonic() + 10
    while not dripped and time.monotonic() < deadline:
        time.sleep(0.05)
    # Cut a few bytes into the greeting (some 8 at 10 a second in 0.75 s; 2400 in all), counted by the
    # server (a loaded machine only slows its writes): 1.75 s of room for the client's close.
    assert dripped and dripped[0] < 25, dripped
    assert result.status == "failed" and "deadline of 0.75s" in result.detail and "\n" not in result.detail


def test_timeout_bounds_a_whole_request_against_a_dripping_receiver() -> None:
    """`timeout = 5` means what its comment says: one request ends within about 5 s however slowly the
    receiver drips (not only when a single read waits 5 s), well before the delivery's deadline."""
    from dailydiff.publish.http import Http

    server = DrippingServer()
    entry = TypeAdapter(PublishEntry).validate_python(
        {"type": "slack", "url_env": "HOOK", "timeout": 5, "retries": 0}
    )
    try:
        started = time.monotonic()
        with Http(entry) as http, pytest.raises(PublishError) as caught:
            http.request("POST", server.url, content=b"{}")
        took = time.monotonic() - started
        assert took < 6.0, took
        assert entry.deadline == 120.0  # the delivery's own bound is far away: the timeout did it
        assert "timed out after 5s" in caught.value.message
    finally:
        server.close()


# -- a delivery failing for days, said in every part of the next edition ------------------------------


def test_a_delivery_alert_is_one_line_in_every_format_and_service_in_english_and_escaped() -> None:
    from dailydiff.publish.chat_formats import (
        dingtalk_payloads,
        discord_payloads,
        feishu_payloads,
        slack_payloads,
        teams_payloads,
        wecom_payloads,
    )

    alert = "team*slack* has failed to deliver <o/r> on 3 days in a row (2026-01-24 to 2026-01-26); run dailydiff doctor"
    made = edition(make_report(3, language="en").model_copy(update={"alerts": [alert]}))
    md = made.markdown_now()  # what a mail or an issue says now
    assert md.count("> ⚠️ Delivery alert: team\\*slack\\* has failed to deliver") == 1, md[:600]
    # The files are the day's record: no send-time notice in any of them (a later run does not rewrite them).
    assert not any("Delivery alert" in made.files[fmt] for fmt in ("md", "html", "json"))
    assert made.files["md"] == edition(make_report(3, language="en")).files["md"]
    message = made.message()
    for render in (
        discord_payloads,
        wecom_payloads,
        dingtalk_payloads,
        slack_payloads,
        teams_payloads,
        feishu_payloads,
    ):
        body = json.dumps(render(message, 3), ensure_ascii=False)
        assert body.count("⚠️ Delivery alert") == 1 and "3 days in a row" in body and "2026-01-26" in body, (
            body
        )
    mail = made.mail()
    assert mail.text.count("Delivery alert") == 1 and "deliver &lt;o/r&gt; on 3 days in a row" in mail.html, (
        mail.html
    )
    assert "Delivery alert" not in edition(make_report(3, language="en")).markdown_now()


def test_each_target_is_sent_the_alerts_about_the_others_and_the_delivery_keeps_its_identity() -> None:
    from dailydiff.render.edition import Alert, day_edition
    from publish_reports import SETTINGS

    report = make_report(3, language="en")
    slack, mail = (Alert(report.repo, "slack:a", "slack", "slack has failed on 3 days"),
                   Alert(report.repo, "email:b", "mail", "mail has failed on 4 days"))  # fmt: skip
    made = day_edition(report, SETTINGS, alerts=[slack, mail])
    plain = day_edition(report, SETTINGS)

    def said(of: Any) -> list[str]:
        told = [of.markdown_now(), of.mail().text, of.mail().html, repr(of.message())]
        return [a.line for a in (slack, mail) if any(a.line in part for part in told)]

    told = [made.markdown_now(), made.mail().text, made.mail().html, repr(made.message())]
    assert all(a.line in part for a in (slack, mail) for part in told)  # a target of neither: both lines
    assert said(made.for_target("slack:a")) == ["mail has failed on 4 days"]  # never about itself
    assert said(made.for_target("email:b")) == ["slack has failed on 3 days"]
    assert said(made.for_target("files:x", recovered={"email:b"})) == ["slack has failed on 3 days"]
    assert made.for_target("email:b").report is not None and made.for_target("email:b").report.alerts == [
        "slack has failed on 3 days"
    ]  # what a JSON summary lists
    assert made.for_target("slack:a") is made.for_target("slack:a")  # rendered once per variant
    assert made.for_target("files:x").files is made.files  # files never carry alerts: shared
    # The delivery's identity (the ledger's hash, a message's id) is the same whatever the alerts say.
    for parts in (("chat",), ("mail",), ("files",), ("data",)):
        hashes = {e.content_hash(parts, ("md",)) for e in (made, made.for_target("slack:a"), plain)}
        assert len(hashes) == 1, parts
