"""The MCP tools ``list_changes`` and ``get_commit``: the analysed commits of a dated window, filtered, in one
documented and versioned shape whatever the filters (web/mcp.py registers them, over stdio and HTTP).

Shape ``dailydiff.changes/1`` (``list_changes``)::

    {"schema": "dailydiff.changes/1",
     "filters": {"repository": [...], "since": "YYYY-MM-DD"|null, "until": ..., "path": str|null,
                 "level": [...], "type": [...], "author": str|null, "agent": str|null},
     "fields": [the fields each commit has], "limit": n, "capped": bool, "note": str|null,
     "commits": [{"repository", "sha", "date", "title", "level", "type": [...], "summary", "risks": [...],
                  "links": {"commit": url|null, "pull_request": url|null}, ...the extra fields asked for}],
     "next_cursor": str|null}

Every commit has exactly the fields listed (an absent value is null or an empty list), so a client reads
one shape. ``fields`` adds any of EXTRA_FIELDS. A ``limit`` above MAX_LIMIT is capped, and the answer says
so (``capped``, ``note``). ``next_cursor`` continues the listing where the page ended. Nothing carries a
secret (every answer goes through the one scrub) or where the store is.

``get_commit`` (shape ``dailydiff.commit/1``): one commit with the default fields and author, time, pull
request and agent; ``detail = analysis`` adds the whole analysis, ``diffstat`` the files changed (no patch).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import itertools
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from dailydiff.common.text import clean
from dailydiff.errors import UsageError
from dailydiff.models import ChangeType, Level, ReportCommit
from dailydiff.scoring.agents import agent_of as named
from dailydiff.search import parse_date
from dailydiff.store import Store
from dailydiff.store.changes import Change
from dailydiff.store.search import SearchFilters

SCHEMA = "dailydiff.changes/1"
COMMIT_SCHEMA = "dailydiff.commit/1"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
DEFAULT_FIELDS = ("repository", "sha", "date", "title", "level", "type", "summary", "risks", "links")
EXTRA_FIELDS = ("author", "agent", "committed_at", "language", "importance", "impact", "pull_request", "watch",
                "paths", "stats")  # fmt: skip
MAX_PATHS = 50  # a commit's paths listed at most (a vendored tree touches thousands)
DETAILS = ("summary", "analysis", "diffstat")


def agent_of(commit: ReportCommit) -> str | None:
    """The coding agent that wrote ``commit`` (the one table, scoring/agents.toml), lower-cased, or None."""
    found = commit.agent or named(commit)
    return found.lower() if found else None


def _words(value: str | Sequence[str] | None) -> list[str]:
    """A filter given as one value, a comma-separated text or a list."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [w.strip() for item in items for w in str(item).split(",") if w.strip()]


def _checked(values: list[str], allowed: Sequence[str], name: str) -> list[str]:
    wrong = [v for v in values if v.lower() not in allowed]
    if wrong:
        raise UsageError(
            f"{name} {wrong[0]!r} is not one of {', '.join(allowed)}", f"give {name} as one of them"
        )
    return [v.lower() for v in values]


def encode_cursor(key: Sequence[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps({"v": 1, "after": list(key)}).encode()).decode().rstrip("=")


def decode_cursor(text: str) -> list[str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        after = data["after"]
        if data.get("v") != 1 or len(after) != 4 or not all(isinstance(v, str) for v in after):
            raise ValueError(after)
        return list(after)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise UsageError(
            "cursor is not one list_changes gave", "call list_changes again without it"
        ) from None


def _links(change: Change) -> dict[str, str | None]:
    commit = change.commit
    return {"commit": commit.url or None, "pull_request": (commit.pr.url or None) if commit.pr else None}


def _item(change: Change, fields: Sequence[str]) -> dict[str, Any]:
    commit, analysis = change.commit, change.commit.analysis
    values: dict[str, Callable[[], Any]] = {
        "repository": lambda: change.repo,
        "sha": lambda: commit.sha,
        "date": lambda: change.date.isoformat(),
        "title": lambda: clean(commit.message.partition("\n")[0]),
        "level": lambda: commit.level.value,
        "type": lambda: [t.value for t in analysis.change_types] if analysis else [],
        "summary": lambda: clean(analysis.summary) if analysis else "",
        "risks": lambda: [clean(r) for r in analysis.risks] if analysis else [],
        "links": lambda: _links(change),
        "author": lambda: {"name": clean(commit.author.name), "login": commit.author.login},
        "agent": lambda: agent_of(commit),
        "committed_at": lambda: commit.committed_at.isoformat(),
        "language": lambda: change.language,
        "importance": lambda: clean(analysis.importance_reason) if analysis else "",
        "impact": lambda: [clean(i) for i in analysis.impact] if analysis else [],
        "pull_request": lambda: (
            {"number": commit.pr.number, "title": clean(commit.pr.title)} if commit.pr else None
        ),
        "watch": lambda: list(commit.watch),
        "paths": lambda: [f.path for f in commit.files[:MAX_PATHS]],
        "stats": lambda: {
            "files": len(commit.files),
            "additions": commit.stats.additions,
            "deletions": commit.stats.deletions,
        },
    }
    return {name: values[name]() for name in fields}


def _keep(authors: str | None, agent: str | None) -> Callable[[ReportCommit], bool] | None:
    """The checks only a commit's report can answer: the author (part of the name, e-mail or login) and the
    agent (yes, no, or its name)."""
    if not authors and not agent:
        return None
    who = (authors or "").lower()
    wanted = (agent or "").lower()

    def keep(commit: ReportCommit) -> bool:
        person = commit.author
        if who and not any(who in v.lower() for v in (person.name, person.email, person.login or "")):
            return False
        if wanted:
            found = agent_of(commit)
            return (
                (found is not None)
                if wanted == "yes"
                else (found is None)
                if wanted == "no"
                else found == wanted
            )
        return True

    return keep


def list_changes(store: Store, prefer: str, *, repository: str | Sequence[str] | None = None,
                 since: str | None = None, until: str | None = None, path: str | None = None,
                 level: str | Sequence[str] | None = None, type: str | Sequence[str] | None = None,
                 author: str | None = None, agent: str | None = None, fields: Sequence[str] | None = None,
                 limit: int = DEFAULT_LIMIT, cursor: str | None = None, timezone: str = "UTC") -> dict[str, Any]:  # fmt: skip
    """One page of ``list_changes`` (shape SCHEMA); ``prefer``: the language listed where a commit has
    several; ``timezone``: the one `today` and `yesterday` are read in."""
    first, last = _span(since, until, limit, timezone)
    levels = _checked(_words(level), [v.value for v in Level], "level")
    kinds = _checked(_words(type), [v.value for v in ChangeType], "type")
    extra = _checked(_words(fields), [*DEFAULT_FIELDS, *EXTRA_FIELDS], "field")
    shown = [*DEFAULT_FIELDS, *(f for f in EXTRA_FIELDS if f in extra)]
    repos = _words(repository)
    filters = SearchFilters(repos=tuple(repos), date_from=first, date_to=last, change_types=tuple(kinds),
                            levels=tuple(levels), path_glob=path or "")  # fmt: skip
    after = decode_cursor(cursor) if cursor else None
    page = min(limit, MAX_LIMIT)
    found = list(
        itertools.islice(
            store.list_changes(filters, prefer, after, _keep(author, (agent or "").strip() or None)), page + 1
        )
    )
    more = len(found) > page
    found = found[:page]
    capped = limit > MAX_LIMIT
    return {
        "schema": SCHEMA,
        "filters": _asked(repos, since, until, path, levels, kinds, author, agent),
        "fields": shown,
        "limit": page,
        "capped": capped,
        "note": f"limit {limit} is above the most a page holds, {MAX_LIMIT}: {MAX_LIMIT} are returned; "
        "next_cursor gives the rest"
        if capped
        else None,
        "commits": [_item(c, shown) for c in found],
        "next_cursor": encode_cursor(found[-1].key) if more else None,
    }


def _asked(repos: list[str], since: str | None, until: str | None, path: str | None, levels: list[str],
           kinds: list[str], author: str | None, agent: str | None) -> dict[str, Any]:  # fmt: skip
    """The filters as the page echoes them (one not given: None)."""
    return {"repository": repos, "since": since or None, "until": until or None, "path": path or None,
            "level": levels, "type": kinds, "author": author or None, "agent": agent or None}  # fmt: skip


def _span(
    since: str | None, until: str | None, limit: int, timezone: str
) -> tuple[dt.date | None, dt.date | None]:
    """The dates asked for (checked, with the limit)."""
    first, last = parse_date(since, "since", timezone), parse_date(until, "until", timezone)
    if first and last and first > last:
        raise UsageError(f"since {first} is after until {last}", "give since before until")
    if limit < 1:
        raise UsageError(f"limit {limit} is below 1", f"give a limit from 1 to {MAX_LIMIT}")
    return first, last


def _analysis(change: Change) -> dict[str, Any] | None:
    analysis = change.commit.analysis
    if analysis is None:
        return None
    insights = analysis.insights
    return {
        "analyzer": analysis.analyzer, "status": analysis.status.value,
        "change_types": [t.value for t in analysis.change_types],
        "importance": analysis.importance.value if analysis.importance else None,
        "importance_reason": clean(analysis.importance_reason), "summary": clean(analysis.summary),
        "impact": [clean(v) for v in analysis.impact], "risks": [clean(v) for v in analysis.risks],
        "recommendations": [clean(v) for v in analysis.recommendations],
        "insights": {"architecture": clean(insights.architecture), "performance": clean(insights.performance),
                     "security": clean(insights.security)},
    }  # fmt: skip


def _diffstat(change: Change) -> dict[str, Any]:
    commit = change.commit
    return {
        "files": [{"path": f.path, "previous_path": f.previous_path, "status": f.status.value,
                   "additions": f.additions, "deletions": f.deletions, "binary": f.binary,
                   "generated": f.generated} for f in commit.files],
        "additions": commit.stats.additions, "deletions": commit.stats.deletions, "changed": len(commit.files),
    }  # fmt: skip


def get_commit(store: Store, prefer: str, sha: str, repository: str | None = None,
               detail: str = "summary") -> dict[str, Any]:  # fmt: skip
    """One stored commit (shape COMMIT_SCHEMA) by its sha (7 characters or more)."""
    detail = _checked([detail or "summary"], DETAILS, "detail")[0]
    wanted = sha.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{7,64}", wanted):
        raise UsageError(f"sha {sha!r} is not a commit's sha", "give at least 7 of its hex characters")
    found = store.find_change(wanted, repository or None, prefer)
    if not found:
        where = f" in {repository}" if repository else ""
        raise UsageError(
            f"no stored commit{where} starts with {wanted}", "find it with list_changes or search"
        )
    if len(found) > 1:
        names = ", ".join(f"{c.repo}@{c.commit.sha[:12]}" for c in found[:5])
        raise UsageError(
            f"{wanted} is more than one stored commit ({names})", "give more of the sha or repository"
        )
    change = found[0]
    out: dict[str, Any] = {
        "schema": COMMIT_SCHEMA,
        "detail": detail,
        "commit": _item(
            change, [*DEFAULT_FIELDS, "author", "agent", "committed_at", "language", "pull_request"]
        ),
    }
    if detail == "analysis":
        out["analysis"] = _analysis(change)
    elif detail == "diffstat":
        out["diffstat"] = _diffstat(change)
    return out
