"""`dailydiff mcp`: the stored history for an assistant in an editor or a chat client, as a Model Context
Protocol server over stdio (the official ``mcp`` SDK, imported only here).

Tools: ``search`` and ``ask`` (the same retrieval and filters as the commands), ``report`` (a day's report
as Markdown), ``digest`` (a day across repositories) and ``repositories``. Read-only: nothing a tool does
changes a report, a digest or a delivery (``ask`` keeps an LLM's answer in the answer cache, as the command
does, so a re-ask costs nothing). Every result and every error goes through the one scrub, so no secret (a
store URL's password, a key) reaches the client; a failure is one line with what to do next.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from dailydiff import __version__
from dailydiff.common.searchterms import is_chinese
from dailydiff.common.secrets import scrub
from dailydiff.common.text import clean
from dailydiff.errors import DailyDiffError, UsageError
from dailydiff.render.digest import build_day_digest, load_digest, render_digest_markdown
from dailydiff.render.markdown import render_markdown
from dailydiff.search import filters_from, parse_date, result_json
from dailydiff.search.hybrid import retrieve
from dailydiff.settings import Settings
from dailydiff.store import Store, open_store
from dailydiff.web.changes import get_commit as one
from dailydiff.web.changes import list_changes as listing

T = TypeVar("T")
MAX_LIMIT = 50
# How long a tool call may take before it is given up (seconds): an answer by a model (``ask``: the rewrite
# and the answer, each with its own retries) takes longer than a read of the store.
DEFAULT_CALL_SECONDS = 60.0
CALL_SECONDS = {"ask": 600.0}
INSTRUCTIONS = (
    "dailydiff keeps daily reports of the commits of the repositories a team follows. Use `search` to find "
    "commits (it understands time words like 'since April' or '8 月份' and questions in English or Chinese), "
    "`ask` for an answer that cites commits, `report` for one repository's day, `digest` for a day across "
    "repositories, `repositories` for what is stored, `list_changes` for the analysed commits of a window of "
    "days (filtered by repository, path, level, type, author, agent; paginated) and `get_commit` for one "
    "commit. Every tool names its filters alike: repository, since, until, type, level, path. Dates are "
    "YYYY-MM-DD, today or yesterday."
)
# One value or several (`"high"` or `["high", "medium"]`), as every tool takes a filter.
Words = list[str] | str | None
# The filters' names in a tool's one-line errors (the command line's are --from, --to, --type, --level).
MCP_NAMES = {"since": "since", "until": "until", "type": "type", "level": "level"}


def _listed(value: Words) -> list[str] | None:
    return [value] if isinstance(value, str) else value


def _json(data: Any) -> str:
    return scrub(json.dumps(data, ensure_ascii=False, indent=1))


def build_server(
    settings: Settings, on_slow: Callable[[str], None] | None = None, upgrade_first: bool = False
) -> Any:
    """The MCP server over the store ``settings`` name; the store is opened for each call (a shared
    PostgreSQL store may restart between them). ``on_slow``: told before a slow upgrade of the store (never
    on stdout: it is the protocol). ``upgrade_first``: the store is opened (and upgraded, after a new
    version) at once, beside the handshake, so that an assistant's first call does not wait for it; a call
    made before it is done waits for it, and an error of it is the call's own."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations

    # WARNING: the SDK logs each refused call at INFO, in a rich console line on stderr (its one line is the answer)
    server = MCPServer(name="dailydiff", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")
    upgrade = threading.Thread(target=_open_once, args=(settings, on_slow), name="store-upgrade", daemon=True)
    if upgrade_first:
        upgrade.start()

    @contextmanager
    def store() -> Iterator[Store]:
        if upgrade.is_alive():
            upgrade.join()
        with open_store(settings, on_slow) as opened:
            yield opened

    def guarded(fn: Callable[..., str]) -> Callable[..., Awaitable[str]]:
        """A tool call in a thread of its own, bounded in time: one that runs over is answered with one line
        and left behind (the server answers the next call, and stops on SIGTERM or when its client goes)."""
        seconds = CALL_SECONDS.get(fn.__name__, DEFAULT_CALL_SECONDS)

        @functools.wraps(fn)
        async def call(*args: Any, **kwargs: Any) -> str:
            import anyio

            try:
                with anyio.fail_after(seconds):
                    done = await anyio.to_thread.run_sync(
                        functools.partial(fn, *args, **kwargs), abandon_on_cancel=True
                    )
                return scrub(done)
            except TimeoutError:
                raise ToolError(
                    f"{fn.__name__} took longer than {seconds:g} s and was given up: ask something narrower"
                ) from None
            except DailyDiffError as exc:
                raise ToolError(scrub(clean(str(exc)).replace("\n", " "))) from None
            except Exception as exc:  # an assistant gets one line, never a traceback or a secret
                raise ToolError(
                    scrub(f"dailydiff failed ({type(exc).__name__}: {exc})".replace("\n", " "))
                ) from None

        return call

    def filters(repository: Words, since: str | None, until: str | None, type: Words, level: Words, topic: Words,
                path: str | None) -> Any:  # fmt: skip
        return filters_from(_listed(repository), since, until, _listed(type), _listed(level), _listed(topic), path,
                            names=MCP_NAMES, timezone=settings.report.timezone)  # fmt: skip

    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    @server.tool(annotations=read_only)
    @guarded
    def search(
        question: str,
        repository: Words = None,
        since: str | None = None,
        until: str | None = None,
        type: Words = None,
        level: Words = None,
        topic: Words = None,
        path: str | None = None,
        limit: int = 10,
    ) -> str:
        """The stored commits that answer QUESTION best (titles, pull requests, paths, analyses), ranked,
        as JSON. Filters (as list_changes names them): repository (owner/name), since/until (YYYY-MM-DD, today
        or yesterday), type (feature, bugfix, ...), level (high, medium, low), topic, path (a glob like
        **/attention/*); `agent:yes` in the question: commits a coding agent wrote."""

        chosen = filters(repository, since, until, type, level, topic, path)

        with store() as opened:
            result = retrieve(opened, settings, question, chosen, max(1, min(limit, MAX_LIMIT)))
        return _json(result_json(result))

    @server.tool(annotations=read_only)
    @guarded
    def ask(
        question: str,
        repository: Words = None,
        since: str | None = None,
        until: str | None = None,
        type: Words = None,
        level: Words = None,
        topic: Words = None,
        path: str | None = None,
        limit: int = 12,
    ) -> str:
        """An answer to QUESTION from the stored history, citing the commits it rests on ([abc1234]), in the
        question's language, with the retrieved commits. Without a configured LLM, or when its answer cites
        no retrieved commit, the retrieved commits grouped by repository and month, and why."""
        from dailydiff.search.answer import answer_question, offline_listing, usable_answer, why_unusable

        chosen = filters(repository, since, until, type, level, topic, path)
        language = "zh" if is_chinese(question) else "en"
        with store() as opened:
            result, answer, why_not = answer_question(opened, settings, question, chosen,
                                                      max(1, min(limit, MAX_LIMIT)), language)  # fmt: skip
        usable = usable_answer(answer)
        out = {**result_json(result), "language": language}
        if usable and answer is not None:
            out["answer"] = answer["answer"]
            out["cited"] = answer["cited"]
        else:
            out["answer"] = None
            out["no_answer_because"] = why_not or (why_unusable(answer) if answer else "nothing was found")
            out["listing"] = offline_listing(result, language) if result.hits else ""
        return _json(out)

    @server.tool(annotations=read_only)
    @guarded
    def report(repository: str, date: str, language: str | None = None) -> str:
        """One repository's (owner/name) report of one day (YYYY-MM-DD, today or yesterday) as Markdown;
        language zh or en when both are stored (the first stored otherwise)."""

        repo = repository
        day = parse_date(date, "date", settings.report.timezone)
        assert day is not None
        with store() as opened:
            stored = [lang for r, d, lang in opened.list_reports(repo) if d == day]
            if not stored:
                days = [d for _, d, _ in opened.list_reports(repo)]
                hint = (
                    f"stored days of {repo}: {days[-1]} to {days[0]}"
                    if days
                    else "list them with `repositories`"
                )
                raise UsageError(f"no report of {repo} on {day}", hint)
            chosen = language if language in stored else stored[0]
            found = opened.get_report(repo, day, chosen)
        if found is None:
            raise UsageError(f"the report of {repo} on {day} cannot be read by this version", "rebuild it")
        return render_markdown(found)

    @server.tool(annotations=read_only)
    @guarded
    def digest(date: str, name: str | None = None, language: str | None = None) -> str:
        """A day (YYYY-MM-DD) across repositories as Markdown: the stored digest NAME when there is one,
        else one written by the rules from that day's stored reports (nothing is stored)."""

        day = parse_date(date, "date", settings.report.timezone)
        assert day is not None
        with store() as opened:
            for stored_name, stored_day, stored_language in opened.list_digests():
                if stored_day == day and name in (None, stored_name) and language in (None, stored_language):
                    row = opened.get_digest(stored_name, day, stored_language)
                    if row is not None:
                        return render_digest_markdown(load_digest(row[1]))
            rows = [(r, lang) for r, d, lang in opened.list_reports() if d == day]
            wanted = language or (rows[0][1] if rows else settings.report.language)
            reports = {}
            for repo, lang in rows:
                if lang == wanted and repo not in reports:
                    found = opened.get_report(repo, day, lang)
                    if found is not None:
                        reports[repo] = found
        if not reports:
            raise UsageError(f"no report is stored for {day}", "list the stored days with `repositories`")
        built = build_day_digest(name or "all", day, sorted(reports), reports, language=wanted,
                                 timezone=next(iter(reports.values())).timezone)  # fmt: skip
        return render_digest_markdown(built)

    @server.tool(annotations=read_only)
    @guarded
    def repositories() -> str:
        """The repositories with stored reports: first and last day, how many days, in which languages."""
        seen: dict[str, dict[str, Any]] = {}
        with store() as opened:
            for repo, day, language in opened.list_reports():
                entry = seen.setdefault(repo, {"repo": repo, "first": day, "last": day, "days": set(),
                                               "languages": set()})  # fmt: skip
                entry["first"] = min(entry["first"], day)
                entry["last"] = max(entry["last"], day)
                entry["days"].add(day)
                entry["languages"].add(language)
        return _json([{"repo": e["repo"], "first": e["first"].isoformat(), "last": e["last"].isoformat(),
                       "days": len(e["days"]), "languages": sorted(e["languages"])}
                      for e in seen.values()])  # fmt: skip

    @server.tool(annotations=read_only)
    @guarded
    def list_changes(
        since: str | None = None,
        until: str | None = None,
        repository: list[str] | str | None = None,
        path: str | None = None,
        level: list[str] | str | None = None,
        type: list[str] | str | None = None,
        author: str | None = None,
        agent: str | None = None,
        fields: list[str] | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> str:
        """The analysed commits from SINCE to UNTIL (YYYY-MM-DD, the days of their reports, both included),
        newest first, as JSON in one shape whatever the filters (schema dailydiff.changes/1): each commit's
        repository, sha, date, title, level, type, summary, risks and links; FIELDS adds any of author,
        agent, committed_at, language, importance, impact, pull_request, watch, paths, stats. Filters:
        repository (owner/name), path (a glob like csrc/**), level (high, medium, low), type (feature,
        fix, ...), author (part of a name, e-mail or login), agent (yes, no, or a name such as claude).
        LIMIT per page (at most 100: a larger one is capped and the answer says so); pass next_cursor as
        CURSOR for the next page."""
        with store() as opened:
            return _json(listing(opened, settings.report.language, repository=repository, since=since,
                                 until=until, path=path, level=level, type=type, author=author, agent=agent,
                                 fields=fields, limit=limit, cursor=cursor, timezone=settings.report.timezone))  # fmt: skip

    @server.tool(annotations=read_only)
    @guarded
    def get_commit(sha: str, repository: str | None = None, detail: str = "summary") -> str:
        """One stored commit by its sha (7 characters or more) as JSON (schema dailydiff.commit/1): the
        fields of list_changes with author, time and pull request; DETAIL analysis adds the whole analysis
        (impact, insights, recommendations), diffstat the files changed with their line counts."""
        with store() as opened:
            return _json(one(opened, settings.report.language, sha, repository, detail))

    _checked_arguments(server)
    return server


def _checked_arguments(server: Any) -> None:
    """A tool's arguments are checked as the command line checks its flags: a name the tool does not take
    (a filter that would be dropped without a word) or a value of the wrong kind is one line naming the
    tool's arguments — never pydantic's text."""
    from mcp.server.mcpserver.exceptions import ToolError
    from pydantic import ValidationError

    sdk_call = server.call_tool

    async def call_tool(name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        schema = next((t.input_schema for t in await server.list_tools() if t.name == name), None)
        takes = sorted((schema or {}).get("properties", {}))
        unknown = sorted(set(arguments) - set(takes)) if schema is not None else []
        if unknown:
            raise ToolError(f"{name} takes no argument {', '.join(map(repr, unknown))}; its arguments: "
                            f"{', '.join(takes)}")  # fmt: skip
        try:
            return await sdk_call(name, arguments, context)
        except ToolError as exc:
            if not isinstance(exc.__cause__, ValidationError):
                raise
            error = exc.__cause__.errors()[0]
            where = ".".join(str(part) for part in error["loc"]) or name
            raise ToolError(
                f"{name}: {where}: {error['msg'].lower()}; its arguments: {', '.join(takes)}"
            ) from None

    server.call_tool = call_tool


def _open_once(settings: Settings, on_slow: Callable[[str], None] | None) -> None:
    try:
        with open_store(settings, on_slow):
            pass
    except Exception:  # the first call opens the store again and says what is wrong, in one line
        pass


def serve_stdio(settings: Settings, on_slow: Callable[[str], None] | None = None) -> None:
    """Run the server over stdin/stdout until the client closes them; the store is upgraded at once.
    SIGTERM stops it at once: the SDK reads stdin in a thread that no cancellation reaches (a stop waited
    for the client's next line), and a read-only server has nothing in flight to finish (an answer being
    kept is one transaction, rolled back)."""
    import signal

    previous = signal.signal(signal.SIGTERM, _stop_now)
    try:
        build_server(settings, on_slow, upgrade_first=True).run("stdio")
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop_now(signum: int, frame: Any) -> None:
    import os
    import sys

    sys.stderr.write("dailydiff: stopped by SIGTERM\n")
    sys.stderr.flush()
    os._exit(128 + signum)


class BearerGate:
    """ASGI in front of the MCP endpoint: a request passes only with ``Authorization: Bearer TOKEN``
    (compared in constant time); any other gets 401 and says how to authenticate, never the token."""

    def __init__(self, app: Any, token: str) -> None:
        self.app, self.token = app, token.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        import hmac

        from starlette.responses import JSONResponse

        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            scheme, _, credential = given.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(credential.strip(), self.token):
                why = (
                    "a bearer token is needed" if not given else "the bearer token is not the one configured"
                )
                response = JSONResponse({"error": why}, status_code=401,
                                        headers={"WWW-Authenticate": 'Bearer realm="dailydiff"'})  # fmt: skip
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def http_endpoint(settings: Settings, token: str) -> tuple[Any, Callable[[], Any]]:
    """`dailydiff serve`'s ``/mcp``: the same tools over streamable HTTP (stateless, JSON answers) behind
    the bearer ``token``; returns the ASGI app to route ``/mcp`` to and the lifespan it needs running (the
    SDK's session manager). The Host header is checked by the site's own check (web/app.py)."""
    from mcp.server.transport_security import TransportSecuritySettings

    server = build_server(settings)
    app = server.streamable_http_app(
        streamable_http_path="/mcp", stateless_http=True, json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )  # fmt: skip
    return BearerGate(app, token), server.session_manager.run
