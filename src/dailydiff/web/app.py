"""`dailydiff serve`: the static site's pages served from the store, plus a JSON API.

The site is the one `site build` writes (site/build.py ``make_site``: the same pages and feeds, the daily
digests included; a row this version cannot read gets a page saying so). It is laid out again only when
the store's reports or digests change (SQLite's ``data_version`` says when another connection wrote; a
hash per row says which changed), and pages are rendered on first request and cached until then.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from dailydiff.common.text import clean, output_tree
from dailydiff.errors import SearchIndexError
from dailydiff.models import DayReport, ReportCommit
from dailydiff.render.json import under_policy
from dailydiff.render.markdown import commit_anchors
from dailydiff.search import SearchResult
from dailydiff.search.hybrid import find_hybrid
from dailydiff.settings import Settings
from dailydiff.site import Site, make_site, read_rows, stored_digests
from dailydiff.store import Store, open_store
from dailydiff.store.search import SearchFilters

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".xml": "application/atom+xml; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
MAX_COMMITS = 500


@dataclass
class _State:
    version: int | None = None
    hashes: dict[tuple[str, dt.date, str], str] = field(default_factory=dict)
    digests: str = ""  # a hash of the stored digests
    reports: dict[tuple[str, dt.date, str], DayReport] = field(default_factory=dict)
    site: Site | None = None
    pages: dict[str, Callable[[], str]] = field(default_factory=dict)
    rendered: dict[str, tuple[bytes, str]] = field(default_factory=dict)


class SiteCache:
    """The reports of a store, the site laid out over them and the pages rendered so far."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._lock = threading.Lock()
        self._state = _State()
        self.reloads = 0

    def _refresh(self) -> _State:
        state = self._state
        version = self.store.data_version()
        if state.version == version and state.site is not None:
            return state
        rows = self.store.report_rows()
        hashes = {(r, d, lang): hashlib.sha256(data.encode()).hexdigest() for r, d, lang, data in rows}
        prefer = self.settings.site.language or self.settings.report.language
        digests = stored_digests(self.store, prefer)
        digest_hash = hashlib.sha256("".join(d.model_dump_json() for d in digests).encode()).hexdigest()
        if hashes != state.hashes or digest_hash != state.digests or state.site is None:
            state = self._rebuilt(state, version, rows, hashes, digests, digest_hash)
        else:
            state.version = version
        self._state = state
        return state

    def _rebuilt(self, state: _State, version: Any, rows: list[Any], hashes: dict[Any, str], digests: Any,
                 digest_hash: str) -> _State:  # fmt: skip
        """The site again, reading only the reports that changed."""
        kept = {key: old for key, old in state.reports.items() if state.hashes.get(key) == hashes.get(key)}
        fresh, unreadable = read_rows(row for row in rows if row[:3] not in kept)
        reports = {**kept, **{(r.repo, r.date, r.language): r for r in fresh}}
        # What the index, feeds and search need of each unchanged report is not made again.
        summaries = {k: v for k, v in state.site.summaries().items() if k in kept} if state.site else {}
        site = make_site(self.settings, list(reports.values()), digests=digests, unreadable=unreadable,
                         kept=summaries)  # fmt: skip
        self.reloads += 1
        return _State(version, hashes, digest_hash, reports, site, site.pages(), {})

    def page(self, path: str) -> tuple[bytes, str] | None:
        with self._lock:
            state = self._refresh()
            found = state.rendered.get(path)
            if found is None:
                render = state.pages.get(path)
                if render is None:
                    return None
                body = render().encode("utf-8")
                found = (body, hashlib.sha1(body).hexdigest())
                state.rendered[path] = found
            return found

    def search(self, question: str, filters: SearchFilters, limit: int) -> SearchResult:
        """The index's answer (store/search.py), on the store's one connection."""
        with self._lock:
            return find_hybrid(self.store, self.settings, question, filters, limit)

    def search_page(self, question: str, items: list[dict[str, Any]]) -> str:
        """The site's search page with the server's results in it (it works without JavaScript)."""
        site, _reports = self.snapshot()
        return site.render_search({"q": question, "hits": items})

    def snapshot(self) -> tuple[Site, list[DayReport]]:
        with self._lock:
            state = self._refresh()
            assert state.site is not None
            return state.site, list(state.reports.values())


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def _date_param(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _host_name(header: str) -> str:
    """The name in a Host header, without the port ("[::1]:8000" -> "[::1]")."""
    header = header.strip().lower()
    if header.startswith("["):
        return header.split("]", 1)[0] + "]"
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class _HostCheck:
    def __init__(self, app: Any, hosts: frozenset[str]) -> None:
        self.app, self.hosts = app, hosts

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            if _host_name(host) not in self.hosts:
                response = Response("unknown host\n", status_code=421, media_type="text/plain",
                                    headers=SECURITY_HEADERS)  # fmt: skip
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


API_PATHS = [
    "/api/reports",
    "/api/reports/<owner>/<name>/<date>[?lang=zh]",
    "/api/commits[?q=&repo=&date=&level=&limit=]",
    "/api/commits/<owner>/<name>/<sha>",
    "/api/search?q=[&repo=&from=&to=&type=&level=&topic=&path=&limit=]",
]


def create_app(
    cache: SiteCache,
    *,
    allowed_hosts: frozenset[str] = frozenset(),
    mcp: tuple[Any, Callable[[], Any]] | None = None,
) -> Starlette:
    """``allowed_hosts``: when given, other Host headers get 421 — a page of another site whose name was
    re-pointed at 127.0.0.1 (DNS rebinding) cannot read a local server's reports. ``mcp``: the MCP endpoint
    served at ``/mcp`` and the lifespan it needs (web/mcp.py ``http_endpoint``); None: ``/mcp`` is 404."""

    def _json(data: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(output_tree(data), status_code=status, headers=SECURITY_HEADERS)

    def _text(text: str, status: int) -> Response:
        return Response(text, status_code=status, media_type="text/plain", headers=SECURITY_HEADERS)

    def _not_found(what: str) -> JSONResponse:
        return _json({"error": f"{what} not found"}, 404)

    def page(request: Request) -> Response:
        path = request.path_params.get("path", "") or "index.html"
        if path.endswith("/"):
            path += "index.html"
        found = cache.page(path)
        if (
            found is None
            and not path.endswith(tuple(CONTENT_TYPES))
            and cache.page(path + "/index.html") is not None
        ):
            return RedirectResponse(request.url.path + "/", status_code=308)
        if found is None:
            return Response("<!doctype html><title>404</title><p>Not found. <a href=\"/\">Home</a></p>",
                            status_code=404, media_type="text/html", headers=SECURITY_HEADERS)  # fmt: skip
        body, etag = found
        headers = {**SECURITY_HEADERS, "ETag": f'"{etag}"', "Cache-Control": "no-cache"}
        if request.headers.get("if-none-match") == f'"{etag}"':
            return Response(status_code=304, headers=headers)
        suffix = "." + path.rsplit(".", 1)[-1] if "." in path else ""
        return Response(
            body, media_type=CONTENT_TYPES.get(suffix, "application/octet-stream"), headers=headers
        )

    def _day_index(site: Site) -> dict[tuple[str, str], Any]:
        return {(d.report.repo, d.report.date.isoformat()): d for d in site.days}

    def api_reports(request: Request) -> Response:
        site, reports = cache.snapshot()
        pages = _day_index(site)
        repo = request.query_params.get("repo")
        items = []
        for r in sorted(reports, key=lambda r: (r.repo, r.date, r.language)):
            if repo and r.repo != repo:
                continue
            day = pages.get((r.repo, r.date.isoformat()))
            items.append({
                "repo": r.repo, "date": r.date.isoformat(), "language": r.language,
                "total": r.stats.total, "high": r.stats.high, "medium": r.stats.medium, "low": r.stats.low,
                "page": "/" + day.path if day and day.report is r else None,
                "api": f"/api/reports/{r.repo}/{r.date.isoformat()}?lang={r.language}",
            })  # fmt: skip
        return _json({"reports": items})

    def _find(reports: list[DayReport], repo: str, date: str, lang: str | None) -> DayReport | None:
        matches = [r for r in reports if r.repo == repo and r.date.isoformat() == date]
        if lang:
            matches = [r for r in matches if r.language == lang]
        return matches[0] if matches else None

    def api_report(request: Request) -> Response:
        _site, reports = cache.snapshot()
        report = _find(reports, request.path_params["repo"], request.path_params["date"],
                       request.query_params.get("lang"))  # fmt: skip
        if report is None:
            return _not_found("report")
        body = under_policy(report).model_dump_json()
        return Response(body, media_type="application/json", headers=SECURITY_HEADERS)

    def _commit_item(site_pages: dict[tuple[str, str], Any], report: DayReport, anchors: dict[str, str],
                     rc: ReportCommit) -> dict[str, Any]:  # fmt: skip
        day = site_pages.get((report.repo, report.date.isoformat()))
        return {
            "repo": report.repo, "date": report.date.isoformat(), "language": report.language, "sha": rc.sha,
            "title": rc.title, "author": rc.author.name, "level": rc.level.value,
            "change_types": [t.value for t in rc.analysis.change_types] if rc.analysis else [],
            "summary": rc.analysis.summary if rc.analysis else "", "watch": rc.watch,
            "page": f"/{day.path}#{anchors[rc.sha]}" if day and day.report is report else None,
        }  # fmt: skip

    def api_commits(request: Request) -> Response:
        site, reports = cache.snapshot()
        pages = _day_index(site)
        q = request.query_params
        words = [w for w in (q.get("q") or "").lower().split() if w]
        try:
            limit = max(1, min(int(q.get("limit", "100")), MAX_COMMITS))
        except ValueError:
            return _json({"error": "limit must be a number"}, 400)
        items: list[dict[str, Any]] = []
        for report in sorted(reports, key=lambda r: (r.date, r.repo), reverse=True):
            if (q.get("repo") and report.repo != q["repo"]) or (
                q.get("date") and report.date.isoformat() != q["date"]
            ):
                continue
            if q.get("lang") and report.language != q["lang"]:
                continue
            anchors = commit_anchors(report.commits)
            for rc in report.commits:
                if q.get("level") and rc.level.value != q["level"]:
                    continue
                item = _commit_item(pages, report, anchors, rc)
                haystack = f"{item['title']}\n{item['author']}\n{item['summary']}\n{rc.sha}".lower()
                if all(w in haystack for w in words):
                    items.append(item)
            if len(items) >= limit:
                break
        return _json({"commits": items[:limit]})

    def api_commit(request: Request) -> Response:
        site, reports = cache.snapshot()
        repo, sha = request.path_params["repo"], request.path_params["sha"].lower()
        if len(sha) < 7:
            return _json({"error": "give at least 7 characters of the sha"}, 400)
        pages = _day_index(site)
        for report in sorted(reports, key=lambda r: r.date, reverse=True):
            if report.repo != repo:
                continue
            for rc in report.commits:
                if rc.sha.startswith(sha):
                    item = _commit_item(pages, report, commit_anchors(report.commits), rc)
                    item["commit"] = rc.model_dump(mode="json")
                    return _json(item)
        return _not_found("commit")

    def _search(request: Request) -> tuple[SearchResult, list[dict[str, Any]]] | Response:
        """The ranked commits for ?q= (and the filters), each with its page on this site; or the answer that
        says why not: 400 for a bad parameter, 503 while the search index is damaged (the rest of the site
        is served from the reports)."""
        api = request.url.path.startswith("/api/")
        q = request.query_params
        try:
            limit = max(1, min(int(q.get("limit", "20")), MAX_COMMITS))
            filters = SearchFilters(
                repos=tuple(q.getlist("repo")), date_from=_date_param(q.get("from")), date_to=_date_param(q.get("to")),
                change_types=tuple(q.getlist("type")), levels=tuple(q.getlist("level")),
                topics=tuple(q.getlist("topic")), path_glob=q.get("path", ""),
            )  # fmt: skip
        except ValueError as exc:
            return _json({"error": str(exc)}, 400) if api else _text(str(exc), 400)
        try:
            result = cache.search(q.get("q", ""), filters, limit)
        except SearchIndexError as exc:
            unavailable = f"search unavailable: {exc.message}; rebuild it with `dailydiff store reindex`"
            return _json({"error": unavailable}, 503) if api else _text(unavailable, 503)
        site, reports = cache.snapshot()
        pages = _day_index(site)
        by_day = {(r.repo, r.date.isoformat(), r.language): r for r in reports}
        items = []
        for rank, hit in enumerate(result.hits, 1):
            doc = hit.doc
            report = by_day.get((doc.repo, doc.date.isoformat(), doc.language))
            day = pages.get((doc.repo, doc.date.isoformat()))
            anchor = commit_anchors(report.commits).get(doc.sha) if report else None
            page = f"/{day.path}#{anchor}" if day and anchor and day.report is report else None
            items.append({"rank": rank, "repo": doc.repo, "sha": doc.sha, "date": doc.date.isoformat(),
                          "language": doc.language, "level": doc.level, "change_types": doc.change_types,
                          "title": clean(doc.title), "summary": clean(doc.summary), "url": doc.url or None, "page": page,
                          "score": round(hit.score, 4)})  # fmt: skip
        return result, items

    def api_search(request: Request) -> Response:
        found = _search(request)
        if isinstance(found, Response):
            return found
        result, items = found
        return _json({"question": result.question, "terms": result.terms, "indexed": result.indexed,
                      "commits": items})  # fmt: skip

    def search_page(request: Request) -> Response:
        found = _search(request)
        if isinstance(found, Response):
            return found
        result, items = found
        body = cache.search_page(result.question, items)
        return Response(
            body, media_type="text/html", headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"}
        )

    def api_unknown(request: Request) -> Response:
        return _json({"error": f"no API at {request.url.path}", "api": API_PATHS}, 404)

    async def http_error(request: Request, exc: Exception) -> Response:
        # Any other exception is a bug of ours: a 500, and nothing of it said.
        status, detail = (exc.status_code, exc.detail) if isinstance(exc, HTTPException) else (500, None)
        if request.url.path == "/api" or request.url.path.startswith("/api/"):
            return _json({"error": str(detail or "internal error")}, status)
        return Response(f"{status}\n", status_code=status, media_type="text/plain", headers=SECURITY_HEADERS)

    from dailydiff.web.hooks import hook_routes

    hook_paths, hooks = hook_routes(cache.settings, lambda: open_store(cache.settings))
    routes = [
        *hook_paths,  # POST /hooks/github, /hooks/gitlab
        Route("/api/reports", api_reports),
        Route("/api/reports/{repo:path}/{date}", api_report),
        Route("/api/commits", api_commits),
        Route("/api/commits/{repo:path}/{sha}", api_commit),
        Route("/api/search", api_search),
        Route("/search", search_page),
        Route("/api", api_unknown),
        Route("/api/{rest:path}", api_unknown),
        *([Route("/mcp", mcp[0])] if mcp else []),
        Route("/", page),
        Route("/{path:path}", page),
    ]
    middleware = [Middleware(_HostCheck, hosts=allowed_hosts)] if allowed_hosts else []
    handlers = {HTTPException: http_error, Exception: http_error}
    lifespan = _lifespan(mcp[1]) if mcp else None
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers, lifespan=lifespan)  # type: ignore[arg-type]
    app.state.hooks = hooks  # serve drains its pass on SIGTERM
    return app


def _lifespan(run: Callable[[], Any]) -> Callable[[Any], Any]:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(_app: Any) -> Any:
        async with run():
            yield

    return lifespan
