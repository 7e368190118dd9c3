"""The source seam: everything the engine may ask of a commit source, declared once.

A source has a ``repo`` id, an optional ``repo_url`` and ``commits(window) -> list[Commit]`` returning the
commits whose committer date is in ``[start, end)``. The rest of the protocol (streaming a window, the
look-back listing, its request spend, where a commit landed, the host whose request slots it shares) has
defaults in ``SourceBase``: a source overrides what it does better, and the engine asks every source the
same way, without probing for methods or naming a forge.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from dailydiff.errors import DailyDiffError, SourceError
from dailydiff.models import Commit, Window
from dailydiff.settings import ForgeSettings

if TYPE_CHECKING:
    from dailydiff.forges.base import RequestCounts  # its module imports httpx2: a forge's source only
    from dailydiff.sources.budget import RequestBudget
    from dailydiff.store import Store

Listed = list[tuple[str, dt.datetime]]  # (sha, committed_at)
# What ``stream`` is given: the listing, each commit, each commit seen but unreadable (sha, where it sits, why),
# a moment's local date (for a budget's whole days) and the slots that bound the requests in flight.
OnListed = Callable[[Listed], None]
OnCommit = Callable[[Commit], None]
OnUnreadable = Callable[[str, dt.datetime, str], None]
DayOf = Callable[[dt.datetime], dt.date]
Slots = asyncio.Semaphore | None


def ignore(*told: object) -> None:
    """A callback that wants nothing of what it is told."""


class CommitSource(Protocol):
    repo: str
    repo_url: str | None
    kind: str
    default_branch: str  # the branch read ("" when unknown); commits off it say which branch they are on

    @property
    def host(self) -> str:
        """The API host whose request slots and budget this source shares with the run's other sources of
        that host ("" for none: a local repository)."""
        ...

    @property
    def concurrency(self) -> int:
        """Requests this source's host may have in flight (the run's slots for ``host``)."""
        ...

    @property
    def knows_history(self) -> bool:
        """Whether ``landed`` tells where any commit landed without fetching a day (a local history)."""
        ...

    def commits(self, window: Window) -> list[Commit]: ...

    async def stream(self, window: Window, on_listed: OnListed, on_commit: OnCommit, *,
                     slots: Slots = None, budget: RequestBudget | None = None, day_of: DayOf | None = None,
                     on_unreadable: OnUnreadable = ignore) -> object:  # fmt: skip
        """Feed the window's commits to the caller as they arrive: ``on_listed`` once with every (sha,
        committed_at), then ``on_commit`` per commit; ``on_unreadable`` for each commit seen but unreadable
        (sha, where it sits, why). ``slots`` bound the requests in flight; with a ``budget`` (and ``day_of``)
        only the whole days that fit are fetched."""
        ...

    async def list_shas(self, windows: list[Window], *, slots: asyncio.Semaphore | None = None) -> Listed:
        """(sha, committed_at) of every commit in ``windows`` (days), without details: the cheap check
        for late commits."""
        ...

    def spend(self) -> dict[str, dict[str, int]]:
        """What this source's fetches asked of each API it uses, by API name (empty: no API)."""
        ...

    def landed(self, sha: str) -> tuple[str, dt.datetime] | None:
        """The full sha and committer date of the commit (a prefix of) ``sha`` names, or None (not in the
        history; or unknown when ``knows_history`` is false)."""
        ...


class SourceBase:
    """The defaults of the protocol for a source that only knows ``commits(window)``: the window is read
    at once on a worker thread, the look-back lists each day, and no API is spent."""

    kind: str = ""
    knows_history: bool = False
    # Commits of the last window the source saw but could not read: (sha, where it sits, why).
    unreadable: list[tuple[str, dt.datetime, str]] = []  # noqa: RUF012 (replaced, never mutated, on the class)

    @property
    def host(self) -> str:
        return ""

    @property
    def concurrency(self) -> int:
        return 0

    def commits(self, window: Window) -> list[Commit]:
        raise NotImplementedError

    async def stream(self, window: Window, on_listed: OnListed, on_commit: OnCommit, *,
                     slots: Slots = None, budget: RequestBudget | None = None, day_of: DayOf | None = None,
                     on_unreadable: OnUnreadable = ignore) -> object:  # fmt: skip
        commits = await asyncio.to_thread(self.commits, window)
        for sha, placed_at, reason in self.unreadable:
            on_unreadable(sha, placed_at, reason)
        on_listed([(c.sha, c.committed_at) for c in commits])
        for commit in commits:
            on_commit(commit)
        return commits

    async def list_shas(self, windows: list[Window], *, slots: asyncio.Semaphore | None = None) -> Listed:
        return [(c.sha, c.committed_at) for w in windows for c in await asyncio.to_thread(self.commits, w)]

    def spend(self) -> dict[str, dict[str, int]]:
        return {}

    def landed(self, sha: str) -> tuple[str, dt.datetime] | None:
        return None


@dataclass(frozen=True)
class SourceOptions:
    name: str | None = None
    branch: str = ""
    all_branches: bool = False


class IncompleteFetch(SourceError):
    """Some commits of the window could not be fetched. ``commits`` holds the ones that were (stored),
    ``failed`` maps each missing sha to its reason; nothing bad was cached, so the next run completes it."""

    def __init__(self, commits: list[Commit], failed: dict[str, str], total: int) -> None:
        reasons: dict[str, list[str]] = {}
        for sha, reason in failed.items():
            reasons.setdefault(reason, []).append(sha[:7])
        first, shas = next(iter(reasons.items()))
        more = f" (and {len(reasons) - 1} other reason(s))" if len(reasons) > 1 else ""
        super().__init__(
            f"{len(failed)} of {total} commits could not be fetched ({', '.join(shas[:5])}"
            f"{'…' if len(shas) > 5 else ''}: {first}){more}; {len(commits)} fetched and stored",
            "run again later: only the missing commits are asked for again",
        )
        self.commits = commits
        self.failed = failed


MALFORMED = (ValueError, KeyError, TypeError, AttributeError)  # what reading an unexpected answer raises


def fetched(store: Store | None, keys: list[str], results: list[Commit | BaseException],
            malformed: Callable[[BaseException], DailyDiffError], bad: type[DailyDiffError], *,
            name_malformed: bool = True) -> list[Commit]:  # fmt: skip
    """A forge's fetched commits (``results``, of the commits ``keys`` in order), or the error that says
    which failed, what was fetched stored first. Bad answers only (``bad``, the forge's): those commits fail, listed
    (IncompleteFetch). Else the first of our errors (``name_malformed``: a malformed answer as ours) says
    how many were fetched."""
    done = [r for r in results if isinstance(r, Commit)]
    errors = [r for r in results if isinstance(r, BaseException)]
    if not errors:
        return done
    # Keep what was fetched: stored commits survive, and their details sit in the HTTP cache.
    if store is not None and done:
        store.save_commits(done)
    if all(isinstance(e, (bad, *MALFORMED)) for e in errors):
        raise IncompleteFetch(done, _why_failed(keys, results, malformed), len(keys))
    first = next((e for e in errors if isinstance(e, DailyDiffError)), errors[0])
    raise _told(malformed(first) if name_malformed and isinstance(first, MALFORMED) else first,
                f"{len(done)} of {len(keys)} commits fetched and stored")  # fmt: skip


def _why_failed(keys: list[str], results: list[Commit | BaseException],
                malformed: Callable[[BaseException], DailyDiffError]) -> dict[str, str]:  # fmt: skip
    """Each failed commit's reason: its bad answer's message, or a malformed answer's as ours."""
    return {key: (r.message if isinstance(r, DailyDiffError) else malformed(r).message)
            for key, r in zip(keys, results, strict=True) if isinstance(r, BaseException)}  # fmt: skip


def _told(error: BaseException, fetched: str) -> BaseException:
    """Our error saying also what was ``fetched``; any other error as it is."""
    if not isinstance(error, DailyDiffError):
        return error
    told = type(error)(f"{error.message}; {fetched}", error.hint)
    told.__suppress_context__ = True
    return told


def check_repo_id(repo: str) -> None:
    """A repository id names files and pages (``{repo_name}``, ``repos/<slug>/``): no empty, ``.`` or
    ``..`` part, so two repositories never share a directory and none escapes it."""
    if any(part.strip() in {"", ".", ".."} for part in repo.split("/")):
        raise SourceError(
            f"{repo!r} is not a usable repository name",
            "pass --name (or `name` in [[repos]]): owner/name or a plain name, without empty, '.' or '..' parts",
        )


# What every forge's source shapes the same way ----------------------------------------------------------

_HTML_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)


def clip_patch(patch: str | None, limit: int) -> tuple[str | None, bool]:
    """A patch cut to ``limit`` bytes at a line boundary, and whether it was cut."""
    if patch is None or len(patch.encode()) <= limit:
        return patch, False
    clipped = patch.encode()[:limit].decode("utf-8", errors="ignore")
    return clipped[: clipped.rfind("\n") + 1 or len(clipped)], True


def request_body(text: str, limit: int) -> str:
    """A pull or merge request's description for the prompt and the report: its template comments left
    out, line ends made plain, cut to ``limit`` characters with an ellipsis."""
    body = _HTML_COMMENT_RE.sub("", text).replace("\r\n", "\n").strip()
    return body[:limit].rstrip() + "…" if len(body) > limit else body


def utc_time(text: str) -> dt.datetime:
    """An API's ISO 8601 moment (``Z`` or an offset) as an aware datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso_z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ForgeSource(SourceBase):
    """What a forge's source tells the engine from its settings section and its clients' counts: its API
    host (the run's request slots for it), its concurrency, and what its fetches spent."""

    settings: ForgeSettings
    counts: list[RequestCounts]

    @property
    def host(self) -> str:
        return self.settings.api_url

    @property
    def concurrency(self) -> int:
        return self.settings.concurrency

    def spend(self) -> dict[str, dict[str, int]]:
        from dailydiff.forges.base import RequestCounts

        total = RequestCounts()
        for counts in self.counts:
            total.add(counts)
        return {self.kind: total.as_dict()}
