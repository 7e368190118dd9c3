"""Email through a local aiosmtpd server: STARTTLS and implicit TLS, AUTH, multipart HTML + text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from dailydiff.engine.deliver import deliver
from dailydiff.publish.base import PublishResult, Secrets, Status
from dailydiff.publish.registry import attempt, build_publishers
from dailydiff.render import RENDERERS
from dailydiff.render.mail import markdown_to_html
from dailydiff.settings.publishers import PublishEntry
from dailydiff.store import Store
from publish_reports import edition, make_report
from smtp_server import SmtpServer, make_certificate

PASSWORD = "smtp-canary-pass-42"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    server = SmtpServer(*certificate, password=PASSWORD).start()
    yield server
    server.stop()


def send(server: SmtpServer, cert: Path, password: str = PASSWORD, **extra: Any) -> PublishResult:
    entry = TypeAdapter(PublishEntry).validate_python({
        "type": "email", "host": "127.0.0.1", "port": server.port, "ca_file": str(cert), "username": "reports",
        "password_env": "SMTP_PASSWORD", "sender": "dailydiff <bot@example.com>",
        "recipients": ["a@example.com", "b@example.com"], "timeout": 5,
        "report_url": "https://r.example.com/{date}.html", **extra,
    })  # fmt: skip
    secrets = Secrets({"SMTP_PASSWORD": password})
    report = make_report(4, high_every=2)
    return attempt(build_publishers([entry], secrets)[0], edition(report), secrets)


def test_starttls_auth_multipart(smtp: SmtpServer, certificate: tuple[Path, Path]) -> None:
    result = send(smtp, certificate[0])
    assert result.status is Status.OK and "sent to 2 recipient(s)" in result.detail, result
    (envelope,) = smtp.received
    assert envelope.recipients == ["a@example.com", "b@example.com"] and smtp.logins == ["reports"]
    message = envelope.message
    assert (
        message["Subject"] == "[dailydiff] sgl-project/sglang 2026-01-27：4 个提交，高重要度 2 个"
    )  # zh report
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    report = make_report(4, high_every=2)
    assert plain.startswith(
        "每日更新报告（2026-01-27）\n\nsgl-project/sglang\n\n🧭 今日概览\n\n- 调度器重构 <script>"
    )
    assert (
        "https://r.example.com/2026-01-27.html" in plain and "\\<" not in plain
    )  # text, not Markdown source
    assert RENDERERS["md"](report).startswith("# 每日更新报告（2026-01-27）")
    assert "<table style=" in html and '<h1 style="' in html and "<style" not in html
    assert "<script" not in html and "<b>bold</b>" not in html and "&lt;b&gt;bold" in html
    assert 'href="javascript' not in html


def test_implicit_tls(certificate: tuple[Path, Path]) -> None:
    server = SmtpServer(*certificate, password=PASSWORD, implicit_tls=True).start()
    try:
        result = send(server, certificate[0], security="ssl")
    finally:
        server.stop()
    assert result.status is Status.OK, result
    assert len(server.received) == 1


def test_wrong_password_fails_without_the_password(smtp: SmtpServer, certificate: tuple[Path, Path]) -> None:
    result = send(smtp, certificate[0], password="wrong-canary-pw")
    assert result.status is Status.FAILED and "refused the login" in result.detail
    assert "wrong-canary-pw" not in result.detail and smtp.received == []


def test_untrusted_certificate_is_refused(smtp: SmtpServer, certificate: tuple[Path, Path]) -> None:
    result = send(smtp, certificate[0], ca_file="")
    assert result.status is Status.FAILED and "TLS" in result.detail
    assert smtp.received == []


def test_markdown_to_html_escapes_raw_html_and_styles_inline() -> None:
    html = markdown_to_html(
        "# T\n\n<img src=x onerror=alert(1)> **b**\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n"
    )
    assert "<img" not in html and "&lt;img" in html
    assert '<td style="' in html and '<th style="' in html and "<strong>b</strong>" in html


def test_a_server_that_is_down_fails_with_the_address(certificate: tuple[Path, Path]) -> None:
    server = SmtpServer(*certificate, password=PASSWORD).start()
    server.stop()  # nothing listens on its port any more
    result = send(server, certificate[0])
    assert result.status is Status.FAILED
    assert f"cannot reach the SMTP server 127.0.0.1:{server.port}" in result.detail, result


def test_refused_recipients_are_named_and_the_others_still_get_it(
    smtp: SmtpServer, certificate: tuple[Path, Path]
) -> None:
    smtp.refuse = {"b@example.com"}
    result = send(smtp, certificate[0])
    assert result.status is Status.OK and result.detail.startswith(
        "sent to 1 recipient(s); refused: b@example.com"
    )
    assert [e.recipients for e in smtp.received] == [["a@example.com"]]
    smtp.refuse = {"a@example.com", "b@example.com"}
    every = send(smtp, certificate[0])
    assert every.status is Status.FAILED and "refused every recipient" in every.detail, every
    assert "a@example.com" in every.detail and "b@example.com" in every.detail and len(smtp.received) == 1


def test_security_none_sends_in_plain_text_without_tls_or_login(certificate: tuple[Path, Path]) -> None:
    server = SmtpServer(*certificate, plain=True).start()
    try:
        result = send(server, certificate[0], security="none", username="", password_env="", ca_file="")
    finally:
        server.stop()
    assert result.status is Status.OK, result
    assert [e.recipients for e in server.received] == [["a@example.com", "b@example.com"]]
    assert server.logins == []


def test_a_mail_sent_again_is_the_same_message_unless_forced(
    smtp: SmtpServer, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    """A mail whose sending could not be recorded is sent again by the next run under the same Message-ID, so
    the recipients' servers and clients keep one; `--force` sends another message, with an id of its own."""
    assert send(smtp, certificate[0]).status is Status.OK
    assert send(smtp, certificate[0]).status is Status.OK  # the same day, its first sending not recorded
    entry = TypeAdapter(PublishEntry).validate_python({
        "type": "email", "host": "127.0.0.1", "port": smtp.port, "ca_file": str(certificate[0]),
        "username": "reports", "password_env": "SMTP_PASSWORD", "sender": "bot@example.com",
        "recipients": ["a@example.com", "b@example.com"], "timeout": 5,
        "report_url": "https://r.example.com/{date}.html",
    })  # fmt: skip
    secrets = Secrets({"SMTP_PASSWORD": PASSWORD})
    (mail,) = build_publishers([entry], secrets)
    with Store.open(tmp_path) as store:
        for force in (False, False, True):  # sent, then skipped (delivered), then sent again on purpose
            deliver(edition(make_report(4, high_every=2)), [mail], store, secrets=secrets, force=force)
    ids = [envelope.message["Message-ID"] for envelope in smtp.received]
    assert len(ids) == 4 and re.fullmatch(r"<[0-9a-f]{32}@dailydiff>", ids[0]), ids
    assert ids[0] == ids[1] == ids[2] != ids[3], ids


def test_a_folded_chinese_subject_keeps_its_spaces_and_the_text_part_is_text_not_markdown() -> None:
    """Issue 63: a long subject folded as "8个提交" (beside "11 个提交"); the text part was Markdown source
    with backslash escapes (LEFT\\_SLIDING\\_WINDOW, (\\#3578))."""
    from email import message_from_bytes
    from email import policy as email_policy

    from dailydiff.render.mail import build_mail

    subject = "[dailydiff] flashinfer-ai/flashinfer 2026-07-06：8 个提交，高重要度 2 个"
    markdown = ("# 每日更新报告\n\n<a id=\"c-1\"></a>\n\n#### Add LEFT\\_SLIDING\\_WINDOW mode (\\#3578)\n\n"
                "**📋 变更摘要**：新增「`LEFT_SLIDING_WINDOW` mode」。\n\n- [查看提交](https://example.com/c/1)\n")  # fmt: skip
    mail = build_mail(subject, markdown)
    raw = mail.message().as_bytes()
    assert max(len(line) for line in raw.splitlines()) <= 78
    parsed = message_from_bytes(raw, policy=email_policy.default)
    assert parsed["Subject"] == subject
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text == (
        "每日更新报告\n\nAdd LEFT_SLIDING_WINDOW mode (#3578)\n\n📋 变更摘要：新增「LEFT_SLIDING_WINDOW mode」。\n\n"
        "- 查看提交 <https://example.com/c/1>\n"
    )
