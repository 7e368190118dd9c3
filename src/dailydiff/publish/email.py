"""Email over SMTP (STARTTLS, SSL or plain; optional login): multipart/alternative with the Markdown
report as plain text and the same report as HTML with inline styles (mail clients drop <style>).
``attach_charts`` adds trend charts: PNG parts the HTML shows by ``cid:`` (many clients strip inline SVG),
their numbers as tables in the HTML and as aligned text in the plain part."""

from __future__ import annotations

import html
import re
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from markdown_it import MarkdownIt

from dailydiff.common.i18n import words
from dailydiff.errors import PublishError
from dailydiff.models import DayReport
from dailydiff.publish.base import History, PublishResult, Secrets, Status, fill, report_link
from dailydiff.render.charts import MEDIAN_DAYS, PNG_WIDTH, Chart, day_against_median, figure_view, render_png
from dailydiff.settings.publishers import EmailEntry

STYLES = {
    "h1": "font-size:22px;margin:16px 0 8px;color:#111",
    "h2": "font-size:19px;margin:16px 0 8px;color:#111;border-bottom:1px solid #ddd;padding-bottom:4px",
    "h3": "font-size:16px;margin:14px 0 6px;color:#111",
    "h4": "font-size:15px;margin:12px 0 6px;color:#111",
    "p": "margin:6px 0;line-height:1.5",
    "table": "border-collapse:collapse;margin:8px 0;font-size:13px",
    "th": "border:1px solid #ccc;padding:4px 8px;background:#f4f4f4;text-align:left",
    "td": "border:1px solid #ccc;padding:4px 8px;vertical-align:top",
    "code": "font-family:Consolas,Menlo,monospace;background:#f4f4f4;padding:1px 4px;border-radius:3px",
    "pre": "background:#f4f4f4;padding:8px;overflow:auto;font-size:12px",
    "blockquote": "margin:8px 0;padding:4px 12px;border-left:4px solid #ddd;color:#444",
    "a": "color:#0969da",
    "hr": "border:0;border-top:1px solid #ddd;margin:16px 0",
    "ul": "margin:6px 0;padding-left:22px",
    "ol": "margin:6px 0;padding-left:22px",
}
_BODY_STYLE = "font-family:-apple-system,'Segoe UI','Microsoft YaHei',sans-serif;font-size:14px;color:#222"


def markdown_to_html(text: str) -> str:
    """Our Markdown (untrusted parts already escaped) as HTML; raw HTML is never passed through."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(text)

    def style(token_list: list) -> None:  # type: ignore[type-arg]
        for token in token_list:
            if token.nesting >= 0 and token.tag in STYLES and token.type not in ("text",):
                token.attrSet("style", STYLES[token.tag])
            if token.children:
                style(token.children)

    style(tokens)
    tokens = _anchors_to_ids(tokens)
    body = md.renderer.render(tokens, md.options, {})
    return f'<!DOCTYPE html>\n<html><body style="{_BODY_STYLE}">\n{body}</body></html>\n'


_ANCHOR_LINE = re.compile(r'<a id="([a-z0-9-]+)"></a>')


def _anchors_to_ids(tokens: list) -> list:  # type: ignore[type-arg]
    """The report's own anchor lines (untrusted text can never produce one: its `<` is escaped) become
    ids on the heading that follows, so the contents links work in the mail and no tag shows as text."""
    out: list = []  # type: ignore[type-arg]
    pending: str | None = None
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if (
            token.type == "paragraph_open"
            and index + 2 < len(tokens)
            and tokens[index + 1].type == "inline"
            and _ANCHOR_LINE.fullmatch(tokens[index + 1].content.strip())
        ):
            pending = _ANCHOR_LINE.fullmatch(tokens[index + 1].content.strip()).group(1)  # type: ignore[union-attr]
            index += 3
            continue
        if pending and token.type == "heading_open":
            token.attrSet("id", pending)
            pending = None
        out.append(token)
        index += 1
    return out


def build_message(entry: EmailEntry, report: DayReport, rendered: Mapping[str, str]) -> EmailMessage:
    text = rendered["md"]
    url = report_link(entry.report_url, report)
    if url:
        text += f"\n\n{url}\n"
    message = EmailMessage()
    template = entry.subject_template or words("email", report.language)["subject"]
    subject = " ".join(fill(template, report, "subject").split())
    message["Subject"] = subject
    message["From"] = entry.sender
    message["To"] = ", ".join(entry.recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="dailydiff")
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(markdown_to_html(text), subtype="html", charset="utf-8")
    return message


def attach_charts(message: EmailMessage, charts: Sequence[Chart], width: int = PNG_WIDTH) -> EmailMessage:
    """Add ``charts`` to a message from ``build_message`` (or any text + HTML alternative): each one a
    PNG part related to the HTML, which shows it by ``cid:`` with its title, a text alternative and its
    numbers in a table; the plain-text part gets the same numbers. Returns the message, changed."""
    if not charts:
        return message
    plain_part, html_part = message.get_body(("plain",)), message.get_body(("html",))
    if plain_part is None or html_part is None:
        raise ValueError("attach_charts needs a message with a plain-text and an HTML part")
    language = charts[0].language
    heading = words("site", language)["trends"]
    images = []
    blocks = [f'<h2 style="{STYLES["h2"]}">{html.escape(heading)}</h2>']
    texts = [heading, ""]
    for chart in charts:
        cid = make_msgid(domain="dailydiff")
        images.append((cid, chart, render_png(chart, width=width)))
        blocks.append(_chart_html(chart, cid[1:-1], width))
        texts += [chart.title, chart.alt, "", chart.text_table(), ""]
    body = str(html_part.get_content())
    body = body.replace("</body>", "\n".join(blocks) + "\n</body>", 1)
    html_part.set_content(body, subtype="html", charset="utf-8")
    for cid, chart, png in images:
        html_part.add_related(png, maintype="image", subtype="png", cid=cid,
                              filename=f"{chart.key}.png", disposition="inline")  # fmt: skip
    plain = str(plain_part.get_content()).rstrip("\n") + "\n\n" + "\n".join(texts).rstrip() + "\n"
    plain_part.set_content(plain, subtype="plain", charset="utf-8")
    return message


def _chart_html(chart: Chart, cid: str, width: int) -> str:
    view = figure_view(chart, f"cid:{cid}", width=width)
    e = html.escape
    head = "".join(
        f'<th style="{STYLES["th"]}">{e(c)}</th>' for c in [view["label_header"], *view["columns"]]
    )
    rows = "".join(
        "<tr>" + f'<td style="{STYLES["td"]}">{e(label)}</td>'
        + "".join(f'<td style="{STYLES["td"]};text-align:right">{e(v)}</td>' for v in cells) + "</tr>"
        for label, cells in view["rows"]
    )  # fmt: skip
    return (
        f'<h3 style="{STYLES["h3"]}">{e(chart.title)}</h3>\n'
        f'<p style="{STYLES["p"]}"><img src="cid:{e(cid)}" alt="{e(chart.alt)}" width="{view["width"]}" '
        f'height="{view["height"]}" style="max-width:100%;height:auto;border:1px solid #ddd"></p>\n'
        f'<table style="{STYLES["table"]}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )


class EmailPublisher:
    type = "email"
    updates_in_place = False
    formats: tuple[str, ...] = ("md",)

    @property
    def skip_empty(self) -> bool:
        return self.entry.skip_empty

    uses_history = True

    def __init__(
        self, entry: EmailEntry, name: str, secrets: Secrets, history: History | None = None
    ) -> None:
        self.entry, self.name, self.secrets, self.history = entry, name, secrets, history
        self.target = f"email:{entry.host}:{entry.port}:{','.join(sorted(entry.recipients))}"

    def message(self, report: DayReport, rendered: Mapping[str, str]) -> EmailMessage:
        """The report's message; with the stored history, the day against the median of the 30 days
        before as a PNG the HTML shows by ``cid:`` (its numbers also in the text)."""
        message = build_message(self.entry, report, rendered)
        if self.history is not None and report.commits:
            attach_charts(message, [day_against_median(report, self.history(report), MEDIAN_DAYS)])
        return message

    def preview(self, report: DayReport, rendered: Mapping[str, str]) -> str:
        message = build_message(self.entry, report, rendered)
        head = f"send via {self.entry.host}:{self._port()} ({self.entry.security}) to {', '.join(self.entry.recipients)}"
        return f"{head}\nSubject: {message['Subject']}\n\n{rendered['md']}"

    def _port(self) -> int:
        return self.entry.port or {"ssl": 465, "starttls": 587, "none": 25}[self.entry.security]

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.entry.ca_file or None)

    def publish(self, report: DayReport, rendered: Mapping[str, str]) -> PublishResult:
        return self.send(self.message(report, rendered))

    def publish_message(self, subject: str, text: str, html_body: str | None = None) -> PublishResult:
        """Any message of ours (a daily digest across repositories): plain text (Markdown) and an HTML
        alternative (by default the Markdown rendered with inline styles, as report e-mails are)."""
        html_body = markdown_to_html(text) if html_body is None else html_body
        message = EmailMessage()
        message["Subject"] = " ".join(subject.split())
        message["From"] = self.entry.sender
        message["To"] = ", ".join(self.entry.recipients)
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="dailydiff")
        message.set_content(text, subtype="plain", charset="utf-8")
        message.add_alternative(html_body, subtype="html", charset="utf-8")
        return self.send(message)

    def send(self, message: EmailMessage) -> PublishResult:
        password = self.secrets.optional(self.entry.password_env, "SMTP password")
        where = f"{self.entry.host}:{self._port()}"
        try:
            smtp: smtplib.SMTP
            if self.entry.security == "ssl":
                smtp = smtplib.SMTP_SSL(self.entry.host, self._port(), timeout=self.entry.timeout,
                                        context=self._context())  # fmt: skip
            else:
                smtp = smtplib.SMTP(self.entry.host, self._port(), timeout=self.entry.timeout)
            with smtp:
                if self.entry.security == "starttls":
                    smtp.starttls(context=self._context())
                if self.entry.username:
                    smtp.login(self.entry.username, password)
                refused = smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise PublishError(f"the SMTP server {where} refused the login (code {exc.smtp_code})",
                               f"check username and ${self.entry.password_env}") from None  # fmt: skip
        except smtplib.SMTPRecipientsRefused as exc:
            raise PublishError(f"{where} refused every recipient ({', '.join(exc.recipients)})",
                               "check the recipients") from None  # fmt: skip
        except smtplib.SMTPException as exc:
            raise PublishError(
                f"SMTP error from {where}: {type(exc).__name__}", "check the mail settings"
            ) from None
        except ssl.SSLError as exc:
            raise PublishError(
                f"TLS with {where} failed: {exc.reason}", "check security, port and ca_file"
            ) from None
        except OSError as exc:
            raise PublishError(f"cannot reach the SMTP server {where}: {exc.strerror or type(exc).__name__}",
                               "check host and port") from None  # fmt: skip
        sent = len(self.entry.recipients) - len(refused)
        detail = f"sent to {sent} recipient(s)" + (f"; refused: {', '.join(refused)}" if refused else "")
        return PublishResult(self.name, self.type, Status.OK, detail)
