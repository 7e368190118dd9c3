"""A PostgreSQL store's address, in either form libpq takes: a URL (``postgresql://USER:PASSWORD@HOST:PORT/DB``)
or a keyword DSN (``host=HOST port=PORT user=USER password=PASSWORD dbname=DB``).

Parsing is psycopg's (``conninfo_to_dict``, libpq's own parser), imported only when such a store is named.
Its error messages quote the text they failed on, password included, so none of them is shown: each
problem is described by the *part* that is wrong (the password, the host, the port, a key), never by its
value. The password is registered with the one scrub as soon as it is parsed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from dailydiff.common import secrets

SCHEMES = ("postgresql://", "postgres://")
_KEYWORD_START = re.compile(r"^\s*[A-Za-z_]+\s*=")
_KEY = re.compile(r"(?:^|\s)([A-Za-z_]+)\s*=")
FORMS = "a postgresql://USER@HOST:PORT/DB URL or a keyword DSN such as 'host=HOST dbname=DB user=USER'"

_IPV6 = "the host of the store URL is not a valid IPv6 address: write it in brackets, e.g. postgresql://[::1]:5432/DB"


class StoreURLError(ValueError):
    """A store URL that cannot be used; the message names the wrong part and holds no part of the password."""


@dataclass(frozen=True)
class StoreURL:
    conninfo: str  # what the driver is given, as written
    password: str  # decoded ("" when none is written)
    shown: str  # for messages: the address without its password


def is_postgres(text: str) -> bool:
    """Does ``text`` name a PostgreSQL store (a URL or a keyword DSN) rather than a SQLite file?"""
    return text.strip().lower().startswith(SCHEMES) or bool(_KEYWORD_START.match(text))


def parse(text: str) -> StoreURL:
    """Check a store address; raise :class:`StoreURLError` naming what is wrong (never the password)."""
    text = text.strip()
    secrets.register(written_password(text))  # before any check: a message must not show it either
    if text.lower().startswith(SCHEMES):
        _check_url_shape(text)
        fields = _libpq_fields(text, url=True)
        password = fields.get("password") if fields is not None else _url_password(text)
        shown = redact_url(text)
    elif _KEYWORD_START.match(text):
        fields = _libpq_fields(text, url=False)
        password = fields.get("password") if fields is not None else _keyword_password(text)
        shown = _redact_keywords(text, fields)
    else:
        raise StoreURLError(f"the store URL is in neither form libpq takes: use {FORMS}")
    if password:
        secrets.register(password)
    if fields is not None:
        _check_port(fields.get("port", ""))
    return StoreURL(conninfo=text, password=password or "", shown=shown)


def _check_url_shape(url: str) -> None:
    """What libpq would read differently from what the user meant: an ``@``, ``/``, ``?`` or ``#`` in the
    password (libpq takes the host from the first ``@`` and ends the authority at the first ``/``)."""
    rest = url.split("://", 1)[1]
    if rest.count("@") > 1:
        raise StoreURLError(
            "the user or password of the store URL holds an '@': percent-encode it as %40 "
            "(or use a keyword DSN: password='…')"
        )
    at = rest.find("@")
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    if at > end:
        raise StoreURLError(
            "the password of the store URL holds a '/', '?' or '#': percent-encode it "
            "(%2F, %3F, %23), or use a keyword DSN: password='…'"
        )
    if re.search(r"%(?![0-9A-Fa-f]{2})", rest[:at] if at >= 0 else ""):
        raise StoreURLError(
            "the password of the store URL holds a '%' that is not percent-encoded: write it as %25"
        )
    host = rest[at + 1 : end] if at >= 0 else rest[:end]
    if ("[" in host) != ("]" in host) or (host.count(":") > 1 and "[" not in host):
        raise StoreURLError(_IPV6)
    try:
        urlsplit(url).port  # noqa: B018  (raises on a bracketed host that is not an address)
    except ValueError as exc:
        if "IPv6" in str(exc):
            raise StoreURLError(_IPV6) from None
        raise StoreURLError("the port of the store URL is not a number from 1 to 65535") from None


def _libpq_fields(text: str, *, url: bool) -> dict[str, str] | None:
    """libpq's reading of ``text``, or None when psycopg is not installed (opening the store says so)."""
    try:
        from psycopg import ProgrammingError
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        return None
    try:
        return {k: str(v) for k, v in conninfo_to_dict(text).items()}
    except ProgrammingError as exc:
        raise StoreURLError(_describe(str(exc), text, url=url)) from None


def _describe(message: str, text: str, *, url: bool) -> str:
    """libpq's complaint in words that hold nothing the user wrote but keys."""
    if "IPv6" in message:
        return _IPV6
    if "percent-encoded" in message:
        return "the store URL has a '%' that is not percent-encoded: write it as %25"
    if "query parameter" in message or "invalid connection option" in message:
        name = (re.findall(r'"([^"]*)"', message) or [""])[-1]
        close = difflib.get_close_matches(name, _keywords(), n=1, cutoff=0.75)
        where = "query parameter" if url else "key"
        if close:  # a misspelt key: its name is the user's typo, not a value
            return f"the store URL has an unknown {where} {name!r}; did you mean {close[0]!r}?"
        return f"the store URL has a {where} libpq does not know (valid ones include {', '.join(_COMMON)})"
    if url:
        return f"the store URL could not be read: check its USER:PASSWORD@HOST:PORT/DB parts ({FORMS})"
    if "unterminated quoted string" in message:
        return (
            f"the quoted value of {_unclosed(text) or 'a key'} in the store DSN is not closed: end it with '"
        )
    key = _key_before(message, text)
    if "missing" in message and key:
        return (
            f"the value of {key} in the store DSN has a space or a quote: write it in single quotes, "
            f"{key}='…' (a quote or backslash inside as \\' or \\\\)"
        )
    return f"the store URL is in neither form libpq takes: use {FORMS}"


_COMMON = ("host", "port", "dbname", "user", "password", "sslmode", "connect_timeout")


def _keywords() -> list[str]:
    """libpq's connection keywords (only called once psycopg has parsed, so it is installed)."""
    from psycopg import pq

    return sorted(option.keyword.decode() for option in pq.Conninfo.get_defaults())


def _key_before(message: str, text: str) -> str:
    """The last known key written before the piece libpq stumbled on (or before the end)."""
    after = re.search(r'after "([^"]*)"', message)
    stop = text.rfind(after.group(1)) if after and after.group(1) in text else len(text)
    known = set(_keywords())
    keys = [m.group(1) for m in _KEY.finditer(text[:stop]) if m.group(1).lower() in known]
    return keys[-1] if keys else ""


def _unclosed(text: str) -> str:
    """The key whose quoted value has no closing quote."""
    position = 0
    while match := re.compile(r"(?:^|\s)([A-Za-z_]+)\s*=\s*'").search(text, position):
        closing = re.compile(r"(?:[^'\\]|\\.)*'").match(text, match.end())
        if closing is None:
            return match.group(1)
        position = closing.end()
    return ""


def _check_port(port: str) -> None:
    for part in port.split(","):
        if part and not (part.isdigit() and 0 < int(part) < 65536):
            raise StoreURLError("the port of the store URL is not a number from 1 to 65535")


def written_password(text: str) -> str:
    """The password as written, however malformed the rest: for a URL everything between the user's ':'
    and the last '@' (an unencoded '@' or '/' included)."""
    if "://" not in text:
        return _keyword_password(text)
    userinfo = text.split("://", 1)[1].rpartition("@")[0]
    return userinfo.partition(":")[2]


def _url_password(url: str) -> str:
    try:
        return unquote(urlsplit(url).password or "")
    except ValueError:
        return ""


def _keyword_password(text: str) -> str:
    match = re.search(r"(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", text)
    if not match:
        return ""
    value = match.group(1)
    return re.sub(r"\\(.)", r"\1", value[1:-1]) if value.startswith("'") else value


USERINFO_RE = re.compile(r"(\w://)[^/\s]*@")  # up to the last @ of the authority
_PASSWORD_PARAM_RE = re.compile(r"(password\s*=\s*)('[^']*'|[^\s&]+)", re.I)


def redact_url(text: str) -> str:
    """``postgresql://user:secret@host/db`` → ``postgresql://***@host/db``; ``password=…`` → ``password=***``.
    Every message that names a store location goes through this."""
    return _PASSWORD_PARAM_RE.sub(r"\1***", USERINFO_RE.sub(r"\1***@", text))


def _redact_keywords(text: str, fields: dict[str, str] | None) -> str:
    if fields is not None:
        order = ("host", "hostaddr", "port", "dbname", "user")
        keys = sorted(fields, key=lambda k: order.index(k) if k in order else len(order))
        return " ".join(f"{k}={'***' if _secret_key(k) else _quoted(fields[k])}" for k in keys)
    return redact_url(text)


def _secret_key(key: str) -> bool:
    return "password" in key or "secret" in key or key in ("scram_client_key", "scram_server_key")


def _quoted(value: str) -> str:
    return (
        value
        if value and not re.search(r"[\s'\\]", value)
        else "'" + re.sub(r"(['\\])", r"\\\1", value) + "'"
    )
