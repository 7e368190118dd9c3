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
from collections.abc import Callable, Iterable
from urllib.parse import quote, urlsplit

MASK = "***"


class _Pattern:
    """A regular expression compiled when first used: a command scrubs a few lines and most of the patterns
    below never run (compiling them all at import cost several milliseconds of every command's start)."""

    __slots__ = ("_compiled", "_source")

    def __init__(self, source: str) -> None:
        self._source = source
        self._compiled: re.Pattern[str] | None = None

    def _get(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self._source)  # two threads may both compile it: the same pattern
        return self._compiled

    def search(self, text: str) -> re.Match[str] | None:
        return self._get().search(text)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self._get().fullmatch(text)

    def sub(self, replacement: str | Callable[[re.Match[str]], str], text: str) -> str:
        return self._get().sub(replacement, text)


_TOKEN_SHAPES = _Pattern(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|sk-[A-Za-z0-9_-]{16,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{16,})"
)
# (needles, pattern, replacement), applied after the registered values, in this order. A pattern runs
# only when one of its needles is in the lower-cased text: most text (titles, labels) has none, and the
# scrub runs on every value an output template writes.
_PATTERNS: tuple[tuple[tuple[str, ...], _Pattern, str], ...] = (
    # An echoed header, as text, JSON or a Python repr: the value goes, the header's name stays. After an
    # auth scheme any value goes; without one, a value that looks like a credential (a digit, or 16
    # characters), so that a commit titled "Authorization: header parsing" keeps its words.
    (
        ("authoriz", "api-key", "auth-token", "private-token", "cookie"),
        _Pattern(
            r"(?i)\b((?:proxy-)?authorization|x-api-key|api-key|x-auth-token|private-token|set-cookie|cookie)"
            r"([\"']?\s*[:=]\s*[\"']?)"
            r"(?:((?:bearer|token|basic|digest)\s+)[^\s\"',;}\\]+|(?=[^\s\"',;}\\]*\d|[^\s\"',;}\\]{16})[^\s\"',;}\\]+)"
        ),
        rf"\1\2\3{MASK}",
    ),
    # Credentials after an auth scheme anywhere ("Bearer sk-…", "token ghp_…"); words without a digit
    # ("Bearer authentication") are prose, not credentials.
    (
        ("bearer", "basic"),
        _Pattern(r"(?i)\b(bearer|basic)\s+(?=[^\s\"',;]*\d)[A-Za-z0-9._~+/=-]{8,}"),
        rf"\1 {MASK}",
    ),
    (("token",), _Pattern(r"(?i)\b(token)\s+(?=[^\s\"',;]*\d)[A-Za-z0-9._~+/=-]{16,}"), rf"\1 {MASK}"),
    # Well-known token shapes.
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "sk-", "xox", "glpat-"), _TOKEN_SHAPES, MASK),
    # user:password@ (or a bare token@) in a URL.
    # (The "//" is matched, not looked behind for: a literal start is searched for, not tried at every
    # character; a match holds no "/", so the next one's "//" is never inside it.)
    (("//",), _Pattern(r"//[^/@\s\"'<>]+@"), f"//{MASK}@"),
    # Credential query parameters (webhook keys and tokens, signatures). A value ends at a backslash too,
    # here and in the headers above: the store scrubs JSON text, where `\"` closes a quoted URL.
    (
        ("=",),
        _Pattern(
            r"(?i)([?&](?:access_token|token|key|api_key|apikey|api-key|sig|sign|signature|secret|password"
            r"|passwd|auth)=)[^&#\s\"'<>\\]+"
        ),
        rf"\1{MASK}",
    ),
    # SMTP AUTH lines carry base64 of the login and password.
    (
        ("auth",),
        _Pattern(r"(?i)\b(AUTH\s+(?:PLAIN|LOGIN|XOAUTH2|CRAM-MD5))\s+[A-Za-z0-9+/=]{4,}"),
        rf"\1 {MASK}",
    ),
)
# A closer look, in the lower-cased text, before the patterns whose needles ordinary text holds ("author"
# in every report, "token" in ML commits): a match of the pattern has these there (the letters of "auth"
# and "token" are their own lower case, and a lower-cased space is a space), so text without them is left
# unread by the pattern, which tries every word start.
_ANY = _Pattern("")
_GATES: dict[_Pattern, _Pattern] = {
    # (a credential after "token ": 16 characters with no space, a digit among them; the gate starts with a
    # literal, which the regex engine skips to, where the pattern is tried at every word start)
    _PATTERNS[2][1]: _Pattern(r"token\s+(?=[^\s\"',;]*\d)\S{16}"),
    _PATTERNS[-1][1]: _Pattern(r"auth\s"),
}
_TRIGGER = _Pattern("|".join(re.escape(n) for needles, _, _ in _PATTERNS for n in needles))


class SecretRegistry:
    """The secret values of this process, and the one scrub applied to everything that leaves it.

    A strong secret (a token, a long random password) is replaced wherever it appears. A weak one — shorter
    than 8 characters, or a word such as ``postgres`` — is replaced only where it stands as a secret (a
    URL's ``user:password@``, ``password=``/``"token": "…"``, a header's value): replacing every occurrence
    would blank the same word in ordinary text ("pip install 'dailydiff[postgres]'")."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._weak: set[str] = set()
        self._lock = threading.Lock()
        self._regex: re.Pattern[str] | None = None
        self._weak_regex: re.Pattern[str] | None = None

    def register(self, value: str | None) -> None:
        """Remember ``value`` (and the forms it may be quoted in: URL-encoded, JSON-escaped; for a URL,
        the pieces of its path and query that look like ids or tokens)."""
        if not value or not value.strip():
            return
        value = value.strip()
        forms = {value, quote(value, safe=""), json.dumps(value, ensure_ascii=False)[1:-1]}
        ids: set[str] = set()  # a hook URL's ids and tokens: chosen as ids (digits, or 16+ characters)
        if "://" in value:
            password, ids = _url_pieces(value)
            forms.add(password)
        strong = {f for f in forms if f and not is_weak(f)} | ids
        weak = {f for f in forms if f} - strong
        with self._lock:
            if strong - self._values:
                self._values |= strong
                self._regex = None
            if weak - self._weak:
                self._weak |= weak
                self._weak_regex = None

    def register_all(self, values: Iterable[str | None]) -> None:
        for value in values:
            self.register(value)

    def __contains__(self, value: object) -> bool:
        return value in self._values or value in self._weak

    def scrub(self, text: str) -> str:
        """``text`` with every registered value and every credential-shaped piece replaced by ``***``."""
        if not text:
            return text
        regex, weak = self._compiled()
        if regex is not None:
            text = regex.sub(MASK, text)
        if weak is not None:
            text = weak.sub(_mask_group, text)
        lower = text.lower()
        if not _TRIGGER.search(lower):
            return text
        for needles, pattern, replacement in _PATTERNS:
            if any(needle in lower for needle in needles) and _GATES.get(pattern, _ANY).search(lower):
                text = pattern.sub(replacement, text)
        return text

    def _compiled(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        regex, weak = self._regex, self._weak_regex  # compiled already (most calls): no lock
        if (regex is not None or not self._values) and (weak is not None or not self._weak):
            return regex, weak
        with self._lock:
            if self._regex is None and self._values:
                # Longest first: a URL goes whole before its pieces are looked for.
                ordered = sorted(self._values, key=len, reverse=True)
                self._regex = re.compile("|".join(re.escape(v) for v in ordered))
            if self._weak_regex is None and self._weak:
                self._weak_regex = _in_secret_places(sorted(self._weak, key=len, reverse=True))
            return self._regex, self._weak_regex


def is_weak(value: str) -> bool:
    """A secret too short or too word-like to be replaced wherever it appears (see :class:`SecretRegistry`):
    under 8 characters, or letters with at most a few digits or marks after them ("postgres", "admin123")."""
    return len(value) < _STRONG_LENGTH or bool(_WORDLIKE.fullmatch(value))


_STRONG_LENGTH = 8
_WORDLIKE = _Pattern(r"(?:[a-z]{1,12}|[A-Z][a-z]{0,11}|[A-Z]{1,12})[0-9!._-]{0,4}")


def _in_secret_places(values: list[str]) -> re.Pattern[str]:
    """Where a weak secret stands as a secret: after ``password=``/``token:`` (JSON-quoted or not, also in
    ``PGPASSWORD=``), after a credential header's name or auth scheme, as a query parameter's value, and
    in userinfo (``//user:S@``, ``//S@``, ``user:S@host``). The one named group that matched is the value."""
    value = "(?:" + "|".join(re.escape(v) for v in values) + ")"
    keys = r"(?:password|passwd|pwd|pass|secret|token|api[_-]?key|apikey|key|auth|credentials?)"
    headers = r"(?:(?:proxy-)?authorization|x-api-key|api-key|x-auth-token|private-token|cookie)"
    return re.compile(
        rf"(?i)(?:{keys}[\"']?\s*[:=]\s*[\"']?|{headers}[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|token|basic|digest)\s+)?"
        rf"|[?&][a-z_-]+=)(?P<assigned>{value})(?![\w])"
        rf"|(?<=//)(?:[^/@\s:\"'<>]*:)?(?P<userinfo>{value})(?=@)"
        rf"|(?<=[\w.-]:)(?P<password>{value})(?=@)"
    )


def _mask_group(match: re.Match[str]) -> str:
    name = next(n for n, v in match.groupdict().items() if v is not None)
    start, end = match.start(name) - match.start(), match.end(name) - match.start()
    text = match.group(0)
    return text[:start] + MASK + text[end:]


def _url_pieces(url: str) -> tuple[str, set[str]]:
    """The secret parts of a URL: its password, and the ids and tokens in its path and query (a Slack or
    WeCom hook URL is a secret in its path or query), not words such as "services" or "webhooks"."""
    try:
        parts = urlsplit(url)
        path, query, password = parts.path, parts.query, parts.password or ""
    except ValueError:  # malformed: everything after the scheme is secret
        return "", {url.split("://", 1)[1]}
    pieces = set()
    for piece in (path, query, *re.split(r"[/&=?]", f"{path}?{query}")):
        if len(piece) >= 8 and (len(piece) >= 16 or any(c.isdigit() for c in piece)):
            pieces.add(piece)
    return password, pieces


def looks_like_token(value: str) -> bool:
    """A credential rather than a name: a well-known token shape, or 16+ characters mixing upper- and
    lower-case letters and digits (a variable's name is words: GITHUB_TOKEN, slack_hook_2)."""
    if _TOKEN_SHAPES.search(value):
        return True
    return (
        len(value) >= 16
        and any(c.isdigit() for c in value)
        and any(c.isupper() for c in value)
        and any(c.islower() for c in value)
    )


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


# Where a server is: a URL, an IP address (v4, or v6 in brackets) or localhost with or without a port, a
# host name with a port, or a host name under a common top-level domain.
_LOCATIONS = _Pattern(
    r"(?i)\b[a-z][a-z0-9+.-]*://[^\s\"'<>()]+"
    r"|\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b|\[[0-9a-f:]+\](?::\d+)?|\blocalhost(?::\d+)?\b"
    r"|\b(?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*:\d+\b"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|ai|cn|dev|app|cloud|co|internal|local|lan)\b"
)
ENDPOINT = "<endpoint>"


def unlocated(text: str) -> str:
    """``text`` scrubbed and without any server's location (URL, host, address): an error that reaches a
    published report (a failed analysis's reason) never says where our model server is."""
    return _LOCATIONS.sub(ENDPOINT, scrub(text))
