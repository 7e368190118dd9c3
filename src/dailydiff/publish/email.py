"""Email over SMTP (STARTTLS, SSL or plain; optional login): an edition's mail (render/mail.py: the
Markdown as plain text, the same as HTML with inline styles, charts as ``cid:`` images), addressed and
sent."""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import threading
import time
from email.message import EmailMessage
from email.utils import formatdate

from dailydiff.errors import PublishError
from dailydiff.publish.base import PublishResult, Secrets, Status, delivery_id, fill, link
from dailydiff.render.edition import Edition, Part
from dailydiff.settings.publishers import EmailEntry


def _shut_down(smtp: smtplib.SMTP) -> None:
    """Stop an SMTP exchange that is still running: a blocked read ends with an OSError."""
    if smtp.sock is not None:
        with contextlib.suppress(OSError):
            smtp.sock.shutdown(socket.SHUT_RDWR)


class EmailPublisher:
    type = "email"
    parts: tuple[Part, ...] = ("mail",)
    formats: tuple[str, ...] = ()
    updates_in_place = False

    @property
    def skip_empty(self) -> bool:
        return self.entry.skip_empty

    def __init__(self, entry: EmailEntry, name: str, secrets: Secrets) -> None:
        self.entry, self.name, self.secrets = entry, name, secrets
        self.target = f"email:{entry.host}:{entry.port}:{','.join(sorted(entry.recipients))}"

    def message(self, edition: Edition) -> EmailMessage:
        """The edition's mail, addressed. A day's subject follows ``subject_template`` when it is set."""
        template = self.entry.subject_template if edition.kind == "day" else ""
        subject = fill(template, edition, "subject") if template else ""
        message = edition.mail(link(self.entry.report_url, edition), subject).message()
        message["From"] = self.entry.sender
        message["To"] = ", ".join(self.entry.recipients)
        message["Date"] = formatdate(localtime=False)
        # The delivery's id: a mail sent again because its sending could not be recorded is the same message
        # to the recipients' servers and clients, which keep one; one sent again by --force is another.
        message["Message-ID"] = f"<{delivery_id(edition, self.target, self.parts, self.formats)}@dailydiff>"
        return message

    def preview(self, edition: Edition) -> str:
        message = self.message(edition)
        head = f"send via {self.entry.host}:{self._port()} ({self.entry.security}) to {', '.join(self.entry.recipients)}"
        return f"{head}\nSubject: {message['Subject']}\n\n{edition.markdown_now()}"

    def _port(self) -> int:
        return self.entry.port or {"ssl": 465, "starttls": 587, "none": 25}[self.entry.security]

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.entry.ca_file or None)

    def send(self, edition: Edition) -> PublishResult:
        message = self.message(edition)
        password = self.secrets.optional(self.entry.password_env, "SMTP password")
        where = f"{self.entry.host}:{self._port()}"
        started = time.monotonic()
        try:
            smtp: smtplib.SMTP
            if self.entry.security == "ssl":
                smtp = smtplib.SMTP_SSL(timeout=self.entry.timeout, context=self._context())
            else:
                smtp = smtplib.SMTP(timeout=self.entry.timeout)
            smtp._host = self.entry.host  # type: ignore[attr-defined]  # what TLS checks the certificate against
            # The whole exchange, greeting included, ends by the entry's deadline (smtplib's timeout is
            # per read): connected only once the watchdog runs.
            watchdog = threading.Timer(self.entry.deadline, _shut_down, (smtp,))
            watchdog.daemon = True
            watchdog.start()
            try:
                smtp.connect(self.entry.host, self._port())
                with smtp:
                    if self.entry.security == "starttls":
                        smtp.starttls(context=self._context())
                    if self.entry.username:
                        smtp.login(self.entry.username, password)
                    refused = smtp.send_message(message)
            finally:
                watchdog.cancel()
        except smtplib.SMTPAuthenticationError as exc:
            raise PublishError(f"the SMTP server {where} refused the login (code {exc.smtp_code})",
                               f"check username and ${self.entry.password_env}") from None  # fmt: skip
        except smtplib.SMTPRecipientsRefused as exc:
            raise PublishError(f"{where} refused every recipient ({', '.join(exc.recipients)})",
                               "check the recipients") from None  # fmt: skip
        except OSError as exc:  # SMTPException and SSLError are OSErrors too
            if time.monotonic() - started >= self.entry.deadline:
                raise PublishError(f"the SMTP server {where} did not finish within the deadline of "
                                   f"{self.entry.deadline:g}s", "check the server; the next run sends it") from None  # fmt: skip
            if isinstance(exc, smtplib.SMTPException):
                raise PublishError(
                    f"SMTP error from {where}: {type(exc).__name__}", "check the mail settings"
                ) from None
            if isinstance(exc, ssl.SSLError):
                raise PublishError(
                    f"TLS with {where} failed: {exc.reason}", "check security, port and ca_file"
                ) from None
            raise PublishError(f"cannot reach the SMTP server {where}: {exc.strerror or type(exc).__name__}",
                               "check host and port") from None  # fmt: skip
        sent = len(self.entry.recipients) - len(refused)
        detail = f"sent to {sent} recipient(s)" + (f"; refused: {', '.join(refused)}" if refused else "")
        return PublishResult(self.name, self.type, Status.OK, detail)
