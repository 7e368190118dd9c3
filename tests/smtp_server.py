"""A local SMTP server (aiosmtpd) with STARTTLS or implicit TLS and AUTH, recording what it receives."""

from __future__ import annotations

import logging
import ssl
import subprocess
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from netports import free_port
from required import openssl

# aiosmtpd logs this for its own use of the attribute, whatever the authenticator does (aio-libs/aiosmtpd#347)
logging.getLogger("mail.log").addFilter(lambda record: "login_data is deprecated" not in record.getMessage())


def make_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl(), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class Envelope:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class SmtpServer:
    cert: Path
    key: Path
    username: str = "reports"
    password: str = ""
    implicit_tls: bool = False
    echo: str = ""  # "auth": a refused login quotes the login and password back; "data": the message is
    # refused (554) with the password quoted
    plain: bool = False  # no TLS offered at all (security = "none"), and so no AUTH
    refuse: set[str] = field(default_factory=set)  # recipients answered 550 at RCPT TO
    received: list[Envelope] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    def start(self) -> SmtpServer:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        server = self

        class Handler:
            async def handle_RCPT(self, smtp: Any, session: Any, envelope: Any, address: str,
                                  options: list[str]) -> str:  # fmt: skip
                if address in server.refuse:
                    return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
                if server.echo == "data":
                    return f"554 5.7.1 rejected; session was AUTH PLAIN with password {server.password}"
                message = message_from_bytes(envelope.content, policy=policy.default)
                server.received.append(Envelope(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
                return "250 Message accepted for delivery"

        def authenticator(smtp: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            if isinstance(data, LoginPassword):
                ok = data.login.decode() == self.username and data.password.decode() == self.password
                self.logins.append(data.login.decode())
                if self.echo == "auth" or (self.echo and not ok):
                    return AuthResult(success=False, handled=False, message=f"535 5.7.8 bad credentials "
                                      f"{data.login.decode()} / {data.password.decode()}")  # fmt: skip
                return AuthResult(success=ok, handled=False)
            return AuthResult(success=False, handled=False)

        self.port = free_port()
        # With implicit TLS aiosmtpd does not count the session as TLS-protected, so AUTH must be allowed
        # "without" TLS there; the whole connection is TLS anyway.
        kwargs: dict[str, Any] = {"authenticator": authenticator, "auth_require_tls": not self.implicit_tls}
        if self.plain:
            kwargs = {}
        elif self.implicit_tls:
            kwargs["ssl_context"] = context
        else:
            kwargs["tls_context"] = context
            kwargs["require_starttls"] = True
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **kwargs)
        if self.implicit_tls:  # the readiness probe must speak TLS too and trust our certificate
            self.controller.ssl_context = context
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def email_publish_toml(server: SmtpServer, password_env: str) -> str:
    """A `[[publish]]` e-mail entry that sends to ``server`` over STARTTLS with its certificate."""
    return f"""
[[publish]]
type = "email"
host = "127.0.0.1"
port = {server.port}
ca_file = "{server.cert}"
username = "{server.username}"
password_env = "{password_env}"
sender = "bot@example.com"
recipients = ["team@example.com"]
timeout = 5
"""
