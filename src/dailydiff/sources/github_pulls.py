"""The pull requests of a window's commits, for both GitHub modes (API and clone).

One GraphQL request answers up to 100 commits: under ``repository(owner:, name:)`` one alias per commit,
``cN: object(oid: "<sha>") { ... on Commit { associatedPullRequests(first: 3) { nodes { … } } } }``. A
commit's answer is kept in the store's HTTP cache, for good once it is settled (a day old, and either
without a pull request or with a closed or merged one), so a second run asks nothing for it.

Without a token (GitHub's GraphQL API needs one) or where GraphQL is unavailable (a GitHub Enterprise
Server without it, an older schema) the REST lookups stand in, one or two requests per commit; an
unavailable endpoint is found out once and remembered for the rest of the process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from dailydiff.forges.github import ApiResponse, BadAnswer, GitHubHttp, ServerError
from dailydiff.models import PullRequest
from dailydiff.settings import GitHubSettings
from dailydiff.sources.base import request_body
from dailydiff.sources.budget import BATCH
from dailydiff.store import CachedResponse, Store

log = logging.getLogger("dailydiff.github")

PR_FIELDS = "number title body url state mergedAt baseRefName labels(first: 20) { nodes { name } }"
_SQUASH_RE = re.compile(r"\(#(\d+)\)\s*$")
_MERGE_PR_RE = re.compile(r"^Merge pull request #(\d+)\b")
_UNAVAILABLE: set[str] = set()  # GraphQL endpoints found unavailable in this process


class _Unknown:
    """A lookup that failed: no answer, not "no pull request"."""


_UNKNOWN = _Unknown()


def graphql_url(api_url: str) -> str:
    """https://api.github.com → https://api.github.com/graphql; https://HOST/api/v3 → https://HOST/api/graphql."""
    parts = urlsplit(api_url.rstrip("/"))
    path = parts.path
    path = path[: -len("/v3")] + "/graphql" if path.endswith("/api/v3") else path + "/graphql"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def batch_query(shas: Sequence[str]) -> str:
    """The GraphQL document for the pull requests of ``shas`` (at most BATCH)."""
    aliases = " ".join(
        f'c{n}: object(oid: "{sha}") {{ ... on Commit {{ associatedPullRequests(first: 3) '
        f"{{ nodes {{ {PR_FIELDS} }} }} }} }}"
        for n, sha in enumerate(shas)
    )
    return (
        f"query($owner: String!, $name: String!) {{ repository(owner: $owner, name: $name) {{ {aliases} }} }}"
    )


@dataclass
class PullRequestFinder:
    repo: str  # owner/name
    settings: GitHubSettings
    repo_url: str
    store: Store | None = None

    async def find(
        self, http: GitHubHttp, commits: Sequence[tuple[str, str, dt.datetime]]
    ) -> dict[str, PullRequest | None]:
        """The pull request of each (sha, message, committed_at), or None; a commit whose lookup failed
        (GraphQL and REST) is left out: its pull request is unknown (``Commit.pr_unknown``)."""
        found: dict[str, PullRequest | None] = {}
        todo = []
        kept = self.store.http_get_many([self._key(c[0]) for c in commits]) if self.store is not None else {}
        for sha, message, committed_at in commits:
            cached = kept.get(self._key(sha))
            if cached is not None and cached.immutable:
                try:
                    node = json.loads(cached.body)
                    found[sha] = self._from_node(node) if node else None
                except (ValueError, TypeError, AttributeError, KeyError):  # a damaged row: asked again
                    todo.append((sha, message, committed_at))
                    continue
                http.counts.cache_hits += 1
            else:
                todo.append((sha, message, committed_at))
        url = graphql_url(self.settings.api_url)
        for start in range(0, len(todo), BATCH):
            chunk = todo[start : start + BATCH]
            answered = None if self.rest_only(http.token) else await self._batch(http, url, chunk)
            if answered is None:
                results = await asyncio.gather(*(self._rest(http, *c) for c in chunk))
                found.update(zip((c[0] for c in chunk), results, strict=True))
            else:
                found.update(answered)
        return found

    def rest_only(self, token: str | None) -> bool:
        """No GraphQL: GitHub's needs a token, and it may have been found unavailable. Each commit's pull
        request then costs REST requests."""
        return not token or graphql_url(self.settings.api_url) in _UNAVAILABLE

    def settled(self, shas: Sequence[str]) -> set[str]:
        """Those of the commits whose pull request is in the cache for good (asking costs nothing), in one
        query."""
        if self.store is None:
            return set()
        keys = {self._key(sha): sha for sha in shas}
        return {keys[key] for key in self.store.http_immutable(list(keys))}

    def _key(self, sha: str) -> str:
        # v2: answers kept before then may hold a null alias as "no pull request"; they are asked again.
        return f"GRAPHQL associatedPullRequests v2 {graphql_url(self.settings.api_url)} {self.repo} {sha}"

    async def _batch(
        self, http: GitHubHttp, url: str, chunk: Sequence[tuple[str, str, dt.datetime]]
    ) -> dict[str, PullRequest | None] | None:
        owner, name = self.repo.split("/", 1)
        payload = {"query": batch_query([c[0] for c in chunk]), "variables": {"owner": owner, "name": name}}
        response = await http.post_json(
            url, payload, allow=(401, 403, 404, 410, 422), check=_check_graphql, own_slot=True
        )
        data = response.json() if response.status == 200 else {}
        repository = (data.get("data") or {}).get("repository")
        if response.status != 200 or not isinstance(repository, dict):
            _unavailable(http.host, url, data, response.status)
            return None
        now = dt.datetime.now(dt.UTC)
        found: dict[str, PullRequest | None] = {}
        unresolved = _errored_aliases(data.get("errors"))
        missing = []
        answers = []
        for n, (sha, _, committed_at) in enumerate(chunk):
            commit = repository.get(f"c{n}")
            if not isinstance(commit, dict) or f"c{n}" in unresolved:
                # GitHub could not resolve it this time (a timeout, a commit not linked yet): not an answer
                missing.append(chunk[n])
                continue
            node = _merged_node(commit)
            found[sha] = self._from_node(node) if node else None
            answers.append(self._kept(sha, node, now - committed_at))
        if self.store is not None:
            self.store.http_put_many(answers)
        if missing:
            found.update(await self._by_rest(http, missing, len(chunk)))
        return found

    def _kept(self, sha: str, node: dict[str, Any] | None, age: dt.timedelta) -> tuple[str, CachedResponse]:
        """A commit's answer as the store keeps it. GitHub links a pushed commit to its pull request
        asynchronously: an answer is final once the commit is a day old and its pull request (if any) no
        longer open."""
        settled = age > dt.timedelta(days=1) and (node is None or node.get("state") != "OPEN")
        answer = CachedResponse(status=200, headers={}, body=json.dumps(node).encode(), etag=None,
                                last_modified=None, immutable=settled)  # fmt: skip
        return self._key(sha), answer

    async def _by_rest(
        self, http: GitHubHttp, missing: list[tuple[str, str, dt.datetime]], asked: int
    ) -> dict[str, PullRequest | None]:
        """The commits GraphQL left unresolved, looked up by REST (those that fail there too left out)."""
        http.counts.pr_rest_fallback += len(missing)
        log.debug("GraphQL left %d of %d commit(s) unresolved; looking them up by REST", len(missing), asked)
        results = await asyncio.gather(*(self._rest_or_unknown(http, *c) for c in missing))
        return {c[0]: pr for c, pr in zip(missing, results, strict=True) if not isinstance(pr, _Unknown)}

    async def _rest_or_unknown(
        self, http: GitHubHttp, sha: str, message: str, committed_at: dt.datetime
    ) -> PullRequest | _Unknown | None:
        """A commit's pull request by REST; when that fails too, ``_UNKNOWN`` — counted, and kept nowhere,
        so the next run asks again (a failed lookup is not "no pull request")."""
        try:
            return await self._rest(http, sha, message, committed_at)
        except (ServerError, BadAnswer) as exc:
            http.counts.pr_lookup_failed += 1
            log.warning("[%s] the pull request of %s could not be looked up (%s); the next run asks again",
                        self.repo, sha[:7], exc.message)  # fmt: skip
            return _UNKNOWN

    def _from_node(self, node: dict[str, Any]) -> PullRequest:
        labels = [
            str(label.get("name", "")) for label in (node.get("labels") or {}).get("nodes") or [] if label
        ]
        return self._pull(node, labels, node.get("url"))

    # REST, where GraphQL is unavailable ------------------------------------------------------------

    def _api(self, path: str) -> str:
        return f"{self.settings.api_url}/repos/{self.repo}{path}"

    async def _rest(
        self, http: GitHubHttp, sha: str, message: str, committed_at: dt.datetime
    ) -> PullRequest | None:
        title = message.split("\n", 1)[0]
        match = _SQUASH_RE.search(title) or _MERGE_PR_RE.match(title)
        if match:
            response = await http.get(self._api(f"/pulls/{match.group(1)}"), immutable=_closed, allow=(404,))
            if response.status == 200:
                return self._from_rest(response.json())
        # GitHub links a pushed commit to its pull request asynchronously: an empty answer is final only
        # once the commit is a day old; until then it is revalidated.
        settled = dt.datetime.now(dt.UTC) - committed_at > dt.timedelta(days=1)
        response = await http.get(
            self._api(f"/commits/{sha}/pulls"),
            immutable=lambda r: settled or r.body.strip() not in (b"", b"[]"),
            allow=(404, 422),
        )
        if response.status != 200:
            return None
        chosen = _chosen([p for p in response.json() if isinstance(p, dict)], sha)
        return self._from_rest(chosen) if chosen else None

    def _from_rest(self, data: dict[str, Any]) -> PullRequest:
        labels = [str(label.get("name", "")) for label in data.get("labels") or [] if isinstance(label, dict)]
        return self._pull(data, labels, data.get("html_url"))

    def _pull(self, data: dict[str, Any], labels: list[str], url: object) -> PullRequest:
        body = request_body(str(data.get("body") or ""), self.settings.pr_body_chars)
        number = int(data["number"])
        return PullRequest(
            number=number,
            title=str(data.get("title") or ""),
            body=body,
            labels=labels,
            url=str(url) if url else f"{self.repo_url}/pull/{number}",
        )


def _unavailable(host: str, url: str, data: dict[str, Any], status: int) -> None:
    """GraphQL answered without the repository: said once, and not asked again in this process."""
    errors = "; ".join(str(e.get("message", ""))[:80] for e in data.get("errors") or [])
    log.info("GraphQL at %s is unavailable (%s); pull requests are looked up one commit at a time",
             host, errors or f"HTTP {status}")  # fmt: skip
    _UNAVAILABLE.add(url)


def _merged_node(commit: dict[str, Any]) -> dict[str, Any] | None:
    """A commit's pull request in a GraphQL answer: the merged one, else the first (None: none)."""
    nodes = [p for p in ((commit.get("associatedPullRequests") or {}).get("nodes") or []) if p]
    return next((p for p in nodes if p.get("state") == "MERGED"), nodes[0] if nodes else None)


def _chosen(pulls: list[dict[str, Any]], sha: str) -> dict[str, Any] | None:
    """The pull request a commit came from: the one that merged it, else a merged one, else the first."""
    merged = next((p for p in pulls if p.get("merge_commit_sha") == sha), None)
    return merged or next((p for p in pulls if p.get("merged_at")), None) or (pulls[0] if pulls else None)


def _errored_aliases(errors: object) -> set[str]:
    """The aliases (``cN``) a GraphQL answer's errors name in their ``path``: answered null, or in part."""
    if not isinstance(errors, list):
        return set()
    return {
        str(e["path"][1])
        for e in errors
        if isinstance(e, dict) and isinstance(e.get("path"), list) and len(e["path"]) > 1
    }


def _check_graphql(response: ApiResponse) -> None:
    """A GraphQL answer: an object with ``data`` or ``errors``."""
    data = response.json()
    if not isinstance(data, dict) or not ("data" in data or "errors" in data):
        raise TypeError("not a GraphQL answer")


def _closed(response: ApiResponse) -> bool:
    """A closed pull request is settled enough to keep; an open one is revalidated."""
    try:
        return response.json().get("state") == "closed"
    except (ValueError, AttributeError):
        return False
