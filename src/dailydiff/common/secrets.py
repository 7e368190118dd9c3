"""Secrets scrubbed at one place.

Every secret the settings name (the GitHub token, the LLM key, webhook URLs and signing secrets, the SMTP
password, a store URL's password, credentials in a repository URL) is *registered* where the settings are
built; :func:`scrub` is applied on the way to every sink — the console, the log handler, store writes of
error texts, rendered outputs and publisher payloads. Besides the registered values it redacts, by
pattern, what looks like a credential whoever sent it: an echoed ``Authorization`` (or ``X-Api-Key``,
``Cookie``…) header, ``Bearer``/``Basic`` credentials, well-known token shapes (GitHub ``ghp_…``, OpenAI
``sk-…``, Slack ``xox…-``), a URL's ``user:password@`` and credential query parameters, SMTP ``AUTH``
lines. A server that echoes our request in an error body is therefore redacted like any other text.

The registry is one per process, like a CI runner's mask list: a sink that forgot to be handed a
collaborator would leak, and a registered value stays a secret for the rest of the process.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

MASK = "***"
_MIN_LENGTH = 4  # shorter values ("x", "1") would blank out ordinary text

# (needles, pattern, replacement), applied after the registered values, in this order. A pattern runs
# only when one of its needles is in the lower-cased text: most text (titles, labels) has none, and the
# scrub runs on every value an output template writes.
_PATTERNS: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    # An echoed header, as text, JSON or a Python repr: the value goes, the header's name stays. After an
    # auth scheme any value goes; without one, a value that looks like a credential (a digit, or 16
    # characters), so that a commit titled "Authorization: header parsing" keeps its words.
    (
        ("authoriz", "api-key", "auth-token", "private-token", "cookie"),
        re.compile(
            r"(?i)\b((?:proxy-)?authorization|x-api-key|api-key|x-auth-token|private-token|set-cookie|cookie)"
            r"([\"']?\s*[:=]\s*[\"']?)"
            r"(?:((?:bearer|token|basic|digest)\s+)[^\s\"',;}]+|(?=[^\s\"',;}]*\d|[^\s\"',;}]{16})[^\s\"',;}]+)"
        ),
        rf"\1\2\3{MASK}",
    ),
    # Credentials after an auth scheme anywhere ("Bearer sk-…", "token ghp_…"); words without a digit
    # ("Bearer authentication") are prose, not credentials.
    (
        ("bearer", "basic"),
        re.compile(r"(?i)\b(bearer|basic)\s+(?=[^\s\"',;]*\d)[A-Za-z0-9._~+/=-]{8,}"),
        rf"\1 {MASK}",
    ),
    (("token",), re.compile(r"(?i)\b(token)\s+(?=[^\s\"',;]*\d)[A-Za-z0-9._~+/=-]{16,}"), rf"\1 {MASK}"),
    # Well-known token shapes.
    (
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "sk-", "xox", "glpat-"),
        re.compile(
            r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|sk-[A-Za-z0-9_-]{16,}"
            r"|xox[abposr]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{16,})"
        ),
        MASK,
    ),
    # user:password@ (or a bare token@) in a URL.
    (("//",), re.compile(r"(?<=//)[^/@\s\"'<>]+@"), f"{MASK}@"),
    # Credential query parameters (webhook keys and tokens, signatures).
    (
        ("=",),
        re.compile(
            r"(?i)([?&](?:access_token|token|key|api_key|apikey|api-key|sig|sign|signature|secret|password"
            r"|passwd|auth)=)[^&#\s\"'<>]+"
        ),
        rf"\1{MASK}",
    ),
    # SMTP AUTH lines carry base64 of the login and password.
    (
        ("auth",),
        re.compile(r"(?i)\b(AUTH\s+(?:PLAIN|LOGIN|XOAUTH2|CRAM-MD5))\s+[A-Za-z0-9+/=]{4,}"),
        rf"\1 {MASK}",
    ),
)
_TRIGGER = re.compile("|".join(re.escape(n) for needles, _, _ in _PATTERNS for n in needles))


class SecretRegistry:
    """The secret values of this process, and the one scrub applied to everything that leaves it."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self._regex: re.Pattern[str] | None = None

    def register(self, value: str | None) -> None:
        """Remember ``value`` (and the forms it may be quoted in: URL-encoded, JSON-escaped; for a URL,
        the pieces of its path and query that look like ids or tokens)."""
        if not value:
            return
        value = value.strip()
        if len(value) < _MIN_LENGTH:
            return
        forms = {value, quote(value, safe=""), json.dumps(value, ensure_ascii=False)[1:-1]}
        if "://" in value:
            forms |= set(_url_pieces(value))
        with self._lock:
            new = {f for f in forms if len(f) >= _MIN_LENGTH} - self._values
            if new:
                self._values |= new
                self._regex = None

    def register_all(self, values: Iterable[str | None]) -> None:
        for value in values:
            self.register(value)

    def __contains__(self, value: object) -> bool:
        return value in self._values

    def scrub(self, text: str) -> str:
        """``text`` with every registered value and every credential-shaped piece replaced by ``***``."""
        if not text:
            return text
        regex = self._compiled()
        if regex is not None:
            text = regex.sub(MASK, text)
        lower = text.lower()
        if not _TRIGGER.search(lower):
            return text
        for needles, pattern, replacement in _PATTERNS:
            if any(needle in lower for needle in needles):
                text = pattern.sub(replacement, text)
        return text

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._regex is None and self._values:
                # Longest first: a URL goes whole before its pieces are looked for.
                ordered = sorted(self._values, key=len, reverse=True)
                self._regex = re.compile("|".join(re.escape(v) for v in ordered))
            return self._regex


def _url_pieces(url: str) -> list[str]:
    """The secret parts of a URL: its password, and the ids and tokens in its path and query (a Slack or
    WeCom hook URL is a secret in its path or query), not words such as "services" or "webhooks"."""
    try:
        parts = urlsplit(url)
        path, query, password = parts.path, parts.query, parts.password or ""
    except ValueError:  # malformed: everything after the scheme is secret
        return [url.split("://", 1)[1]]
    pieces = [password] if password else []
    for piece in (path, query, *re.split(r"[/&=?]", f"{path}?{query}")):
        if len(piece) >= 8 and (len(piece) >= 16 or any(c.isdigit() for c in piece)):
            pieces.append(piece)
    return pieces


REGISTRY = SecretRegistry()


def register(*values: str | None) -> None:
    """Register secret values with the process's registry (empty and very short values are ignored)."""
    REGISTRY.register_all(values)


def register_url_password(url: str | None) -> None:
    """Register the password (or bare token) in a URL's ``user:password@`` part, not the URL: a store URL
    or a repository's clone URL may be named in messages, its credentials may not."""
    if not url or "@" not in url:
        return
    try:
        parts = urlsplit(url)
        REGISTRY.register_all([parts.password, parts.username if parts.password is None else None])
    except ValueError:
        return


def scrub(text: str) -> str:
    """The one scrub: registered secrets and credential-shaped text replaced by ``***``."""
    return REGISTRY.scrub(text)
