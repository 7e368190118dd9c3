"""Email over SMTP (STARTTLS, SSL or plain; optional login): an edition's mail (render/mail.py: the
Markdown as plain text, the same as HTML with inline styles, charts as ``cid:`` images), addressed and
sent."""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from dailydiff.common.http import Again, GaveUp, Try, Watchdog
from dailydiff.errors import PublishError
from dailydiff.publish.base import PublishResult, Secrets, Status, delivery_id, fill, link
from dailydiff.settings.publishers import EmailEntry

if TYPE_CHECKING:  # the editions' types; render/ loads when an edition is built
    from dailydiff.render.edition import Edition, Part


class Watched(smtplib.SMTP):
    """An SMTP client whose sockets an attempt's watchdog can cut (common/http.py ``Watchdog``): smtplib's
    timeout is per read, so a server that drips its replies would hold it for ever otherwise."""

    def __init__(self, watchdog: Watchdog, **options: Any) -> None:
        self.watchdog = watchdog
        super().__init__(**options)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock: socket.socket = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        self.watchdog.sockets.append(sock)
        return sock

    def starttls(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        reply = super().starttls(*args, **kwargs)
        if self.sock is not None:  # the TLS socket took the plain one's place
            self.watchdog.sockets.append(self.sock)
        return reply


class WatchedSSL(Watched, smtplib.SMTP_SSL):
    pass


class EmailPublisher:
    type = "email"
    parts: tuple[Part, ...] = ("mail",)
    formats: tuple[str, ...] = ()
    updates_in_place = False
    one_writer = ""

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
        """The mail through the one send loop (common/http.py ``HttpPolicy.send``): each attempt — connect,
        TLS, login, the message — within the entry's ``timeout`` in all, tried again after a lost connection,
        a timeout or a transient (4xx) reply, all within its ``deadline``. Once the server has accepted the
        message, nothing that follows sends it again."""
        message = self.message(edition)
        password = self.secrets.optional(self.entry.password_env, "SMTP password")
        where = f"{self.entry.host}:{self._port()}"
        policy = self.entry.policy()
        notes: list[str] = []

        def once(attempt: Try) -> dict[str, tuple[int, bytes]]:
            kind = WatchedSSL if self.entry.security == "ssl" else Watched
            options: dict[str, Any] = {"timeout": attempt.seconds}
            if self.entry.security == "ssl":
                options["context"] = self._context()
            smtp = kind(attempt.watchdog, **options)
            smtp._host = self.entry.host  # type: ignore[attr-defined]  # what TLS checks the certificate against
            sent = False
            try:
                smtp.connect(self.entry.host, self._port())
                if self.entry.security == "starttls":
                    smtp.starttls(context=self._context())
                if self.entry.username:
                    smtp.login(self.entry.username, password)
                refused = smtp.send_message(message)
                sent = True
            except smtplib.SMTPAuthenticationError as exc:
                raise PublishError(f"the SMTP server {where} refused the login (code {exc.smtp_code})",
                                   f"check username and ${self.entry.password_env}") from None  # fmt: skip
            except smtplib.SMTPRecipientsRefused as exc:
                raise PublishError(f"{where} refused every recipient ({', '.join(exc.recipients)})",
                                   "check the recipients") from None  # fmt: skip
            except smtplib.SMTPResponseException as exc:
                if 400 <= exc.smtp_code < 500:  # transient: the server asks to try again later
                    raise Again(
                        f"the SMTP server {where} answered {exc.smtp_code} (try again later)"
                    ) from None
                raise PublishError(f"SMTP error from {where}: {type(exc).__name__}",
                                   "check the mail settings") from None  # fmt: skip
            except smtplib.SMTPNotSupportedError:
                raise PublishError(f"SMTP error from {where}: SMTPNotSupportedError",
                                   "check security and port") from None  # fmt: skip
            except OSError as exc:  # SMTPServerDisconnected and SSLError are OSErrors too
                # (smtplib turns a read's timeout into SMTPServerDisconnected: the timeout is its context)
                timed_out = isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)
                timed_out = timed_out or attempt.watchdog.fired
                if isinstance(exc, ssl.SSLError) and not timed_out:
                    raise PublishError(f"TLS with {where} failed: {exc.reason}",
                                       "check security, port and ca_file") from None  # fmt: skip
                raise Again(f"the SMTP server {where} timed out after {attempt.seconds:g}s" if timed_out else
                            f"cannot reach the SMTP server {where}: {exc.strerror or type(exc).__name__}") from None  # fmt: skip
            finally:
                if not sent:
                    smtp.close()
            why = ""
            try:
                smtp.quit()
            except OSError as exc:  # accepted already: what follows does not send it again
                why = type(exc).__name__
            finally:
                smtp.close()
            if attempt.watchdog.fired:  # cut while it ended the exchange (a reply cut short may still parse)
                why = "stalled"
            if why:
                notes.append(f"{where} accepted it but did not end the exchange ({why}); not sent again")
            return refused

        try:
            refused = policy.send(once)
        except GaveUp as stop:
            if stop.why == "spent":
                raise PublishError(f"the SMTP server {where} did not finish within the deadline of "
                                   f"{self.entry.deadline:g}s", "check the server; the next run sends it") from None  # fmt: skip
            attempts = max(1, stop.attempts)
            raise PublishError(f"{stop.problem} (after {attempts} attempt{'s' if attempts > 1 else ''})",
                               "check host and port; the next run sends it") from None  # fmt: skip
        sent = len(self.entry.recipients) - len(refused)
        detail = f"sent to {sent} recipient(s)" + (f"; refused: {', '.join(refused)}" if refused else "")
        return PublishResult(self.name, self.type, Status.OK, "; ".join([detail, *notes]))
