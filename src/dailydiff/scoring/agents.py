"""Which coding agent wrote a commit, if one did: read from its trailers and identities against one table
(agents.toml, data). Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache, lru_cache

from dailydiff.common.packaged import toml
from dailydiff.models import Commit

_TRAILER_RE = re.compile(r"^\s*([A-Za-z][A-Za-z-]*)\s*:\s*(.*?)\s*(?:<([^<>\s]*)>)?\s*$")


@dataclass(frozen=True)
class Agent:
    name: str
    emails: tuple[str, ...]
    names: frozenset[str]
    logins: frozenset[str]

    def matches(self, name: str, email: str, login: str | None = None) -> bool:
        email = email.strip().lower()
        return (
            " ".join(name.split()).lower() in self.names
            or (bool(email) and any(fnmatchcase(email, pattern) for pattern in self.emails))
            or (login or "").lower() in self.logins
        )


@dataclass(frozen=True)
class AgentTable:
    trailer_keys: frozenset[str]
    agents: tuple[Agent, ...]


@cache
def agent_table() -> AgentTable:
    data = toml("scoring/agents.toml")  # parsed once and kept between runs
    agents = tuple(
        Agent(
            row["name"],
            tuple(p.lower() for p in row.get("emails", [])),
            frozenset(n.lower() for n in row.get("names", [])),
            frozenset(n.lower() for n in row.get("logins", [])),
        )
        for row in data["agent"]
    )
    return AgentTable(frozenset(k.lower() for k in data["trailer_keys"]), agents)


def _trailers(message: str, keys: frozenset[str]) -> list[tuple[str, str]]:
    """(name, email) of the message's credit trailers (any line of the body: squash merges keep them
    inside)."""
    found = []
    for line in message.splitlines()[1:]:
        match = _TRAILER_RE.match(line)
        if match and match.group(1).lower() in keys:
            found.append((match.group(2), match.group(3) or ""))
    return found


def agent_of(commit: Commit) -> str | None:
    """The coding agent a commit's trailers, committer or author name, else None."""
    people = (commit.committer, commit.author)
    return _agent_of(commit.message, tuple((p.name, p.email, p.login) for p in people))


@lru_cache(maxsize=4096)
def _agent_of(message: str, people: tuple[tuple[str, str, str | None], ...]) -> str | None:
    """Remembered: a report's renderings ask it several times for each commit (its row, its mark, the
    count)."""
    table = agent_table()
    credits = list(people)
    credits += [(name, email, None) for name, email in _trailers(message, table.trailer_keys)]
    for agent in table.agents:
        if any(agent.matches(*credit) for credit in credits):
            return agent.name
    return None
