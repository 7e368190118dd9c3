"""`search --agent` (and the MCP search tool's ``agent:yes``): only commits a coding agent wrote, read from
each hit's stored report (its trailers and committer, against scoring/agents.toml)."""

from __future__ import annotations

import dataclasses
import re

from dailydiff.scoring.agents import agent_of
from dailydiff.search import SearchResult, find
from dailydiff.store import Store
from dailydiff.store.search import SearchFilters

# `agent:yes` in a question (the MCP search tool, `search`): only commits a coding agent wrote.
AGENT_TOKEN_RE = re.compile(r"(?<!\S)agent:(yes|true|1)(?!\S)", re.IGNORECASE)

# Candidates ranked before the agent filter: the filter is applied after ranking, so it looks further down.
WIDER = 200


def find_by_agents(store: Store, question: str, filters: SearchFilters, limit: int = 10) -> SearchResult:
    """The ``limit`` best stored commits for ``question`` that a coding agent wrote."""
    result = find(store, question, filters, max(limit, WIDER))
    reports: dict[tuple[str, object, str], dict[str, str | None]] = {}
    kept = []
    for hit in result.hits:
        doc = hit.doc
        key = (doc.repo, doc.date, doc.language)
        if key not in reports:
            report = store.get_report(doc.repo, doc.date, doc.language)
            reports[key] = {rc.sha: agent_of(rc) for rc in report.commits} if report else {}
        if reports[key].get(doc.sha):
            kept.append(hit)
    return dataclasses.replace(result, hits=kept[:limit])


def find_matching(store: Store, question: str, filters: SearchFilters, limit: int = 10,
                  agents_only: bool = False) -> SearchResult:  # fmt: skip
    """``find``, or ``find_by_agents`` when ``agents_only`` or the question says ``agent:yes`` (the token is
    not searched for)."""
    asked = AGENT_TOKEN_RE.search(question) is not None
    if not (agents_only or asked):
        return find(store, question, filters, limit)
    return find_by_agents(store, " ".join(AGENT_TOKEN_RE.sub(" ", question).split()), filters, limit)
