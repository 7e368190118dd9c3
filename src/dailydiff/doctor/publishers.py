"""`doctor` tries each `[[publish]]` target without sending anything to it.

A chat or webhook URL is asked with a ``HEAD`` through the publishers' own HTTP client (its timeouts, no
retry): any answer means something listens there (a service answers a HEAD to a webhook with 400, 404 or
405); a refused connection, an unknown host or silence is the ✗ the next `run` would meet on every
delivery. An SMTP server is greeted (``EHLO``, ``STARTTLS`` when asked for, ``NOOP``) and left with
``QUIT``; the `files` publisher's directory must exist or be creatable, and is not created; a GitHub
target's repository is read with its token, which must be allowed to push. One probe per publisher type: a
plain table.
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dailydiff.common.http import Again, GaveUp, Try
from dailydiff.doctor.base import CheckResult
from dailydiff.errors import DailyDiffError
from dailydiff.publish.base import describe_url
from dailydiff.publish.email import Watched, WatchedSSL
from dailydiff.publish.http import Http

Probe = Callable[[str, Any, float], CheckResult]


def _label(name: str) -> str:
    return f"publisher {name}"


def probe_http(name: str, entry: Any, deadline: float) -> CheckResult:
    url = os.environ.get(entry.url_env, "")
    where = describe_url(url)
    policy = entry.policy()
    quick = policy.but(retries=0, timeout=min(policy.timeout, deadline), deadline=deadline)
    try:
        with Http(entry, policy=quick) as http:
            response = http.request("HEAD", url)
    except DailyDiffError as exc:
        said = re.sub(r" \(after \d+ attempts?\)$", "", exc.message)  # one try, by design
        return CheckResult(False, _label(name), f"{said}; nothing was sent",
                           f"check that ${entry.url_env} holds the right URL and the service is up")  # fmt: skip
    status = response.status_code
    detail = f"{where} answers (HTTP {status} to a HEAD; nothing was sent)"
    if status in (404, 410):  # a webhook URL whose path the service does not know: it would refuse messages
        return CheckResult(True, _label(name), detail, f"check the URL in ${entry.url_env}", warning=True)
    return CheckResult(True, _label(name), detail)


def probe_smtp(name: str, entry: Any, deadline: float) -> CheckResult:
    """One attempt through the one send loop (common/http.py ``HttpPolicy.send``, no retry), its sockets
    under the attempt's watchdog as a delivery's are: a server that drips its greeting is cut at the
    deadline."""
    port = entry.port or {"ssl": 465, "starttls": 587, "none": 25}[entry.security]
    where = f"{entry.host}:{port}"
    context = ssl.create_default_context(cafile=entry.ca_file or None)
    policy = entry.policy()
    quick = policy.but(retries=0, timeout=min(policy.timeout, deadline), deadline=deadline)

    def once(attempt: Try) -> int:
        kind = WatchedSSL if entry.security == "ssl" else Watched
        kwargs: dict[str, Any] = {"context": context} if entry.security == "ssl" else {}
        smtp = kind(attempt.watchdog, timeout=attempt.seconds, **kwargs)
        smtp._host = entry.host  # type: ignore[attr-defined]  # what TLS checks the certificate against
        try:
            smtp.connect(entry.host, port)
            smtp.ehlo()
            if entry.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            code, _ = smtp.noop()
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
            return int(code)
        except (OSError, smtplib.SMTPException) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise Again(reason) from None
        finally:
            smtp.close()

    try:
        code = quick.send(once)
    except GaveUp as stop:
        return CheckResult(False, _label(name), f"cannot talk to the SMTP server {where} ({stop.problem or 'no time left'})",
                           "check host, port and security (ssl, starttls or none)")  # fmt: skip
    return CheckResult(True, _label(name), f"the SMTP server {where} answers (NOOP {code}; nothing was sent)")


def probe_files(name: str, entry: Any, deadline: float) -> CheckResult:
    directory = Path(entry.directory)
    existing = next((p for p in (directory, *directory.absolute().parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        return CheckResult(False, _label(name), f"{directory} cannot be written (at {existing})",
                           "set its `directory` to a writable place")  # fmt: skip
    state = "is writable" if existing == directory else f"can be created (under {existing})"
    return CheckResult(True, _label(name), f"{directory} {state}")


def probe_github(name: str, entry: Any, deadline: float) -> CheckResult:
    """The repository a GitHub publisher writes to, read once with its token (no retry): the token is
    accepted, the repository seen, and GitHub says the token may push to it (``permissions.push``)."""
    from dailydiff.publish.github import GitHubApi

    token = os.environ.get(entry.token_env, "")
    if not token:  # the publishers check names the variable
        return CheckResult(False, _label(name), f"${entry.token_env} is not set: {entry.repository} not tried",
                           "export the token (contents: write; issues: write for github-issue)")  # fmt: skip
    policy = entry.policy()
    quick = policy.but(retries=0, timeout=min(policy.timeout, deadline), deadline=deadline)
    try:
        with GitHubApi.opened(entry, token, policy=quick, limited=False) as api:
            _, repository = api.call("GET", "")
    except DailyDiffError as exc:
        said = re.sub(r" \(after \d+ attempts?\)$", "", exc.message)
        return CheckResult(False, _label(name), f"{said}; nothing was written", exc.hint or "check the token")
    where = f"{entry.repository} at {entry.api_url}"
    if not (repository or {}).get("permissions", {}).get("push", True):
        return CheckResult(False, _label(name), f"the token in ${entry.token_env} may read {where} but not write to it",
                           "give the token contents: write (issues: write for github-issue) on that repository")  # fmt: skip
    return CheckResult(
        True, _label(name), f"the token in ${entry.token_env} may write to {where} (nothing was written)"
    )


PROBES: dict[str, Probe] = {
    "feishu": probe_http,
    "dingtalk": probe_http,
    "wecom": probe_http,
    "slack": probe_http,
    "discord": probe_http,
    "teams": probe_http,
    "webhook": probe_http,
    "email": probe_smtp,
    "files": probe_files,
    "github-contents": probe_github,
    "github-issue": probe_github,
}


def probe_targets(entries: list[Any], names: list[str], deadline: float) -> list[CheckResult]:
    """One line per target a probe exists for, each tried without sending."""
    return [PROBES[entry.type](name, entry, deadline)
            for name, entry in zip(names, entries, strict=True) if entry.type in PROBES]  # fmt: skip
