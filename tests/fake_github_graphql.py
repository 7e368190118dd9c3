"""The GraphQL and git sides of the fake GitHub.

GraphQL: a real GraphQL executor (graphql-core) over a schema cut from GitHub's, for what dailydiff asks:
``repository(owner:, name:) { cN: object(oid:) { ... on Commit { associatedPullRequests(first:) { nodes {
number title body url state mergedAt baseRefName labels(first:) { nodes { name } } } } } } }``. A query
naming a field GitHub does not have, or missing a required argument, is answered the way GitHub answers it:
200 with ``errors`` and no ``data``.

git: the smart HTTP protocol through ``git http-backend`` (the CGI that ships with git), so a clone-mode
client clones and fetches over real HTTP, with its token in a header the fake checks, and blob-filtered
(partial) clones and fetches of single objects work as on GitHub.
"""

from __future__ import annotations

import base64
import os
import subprocess
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fake_github import FakeGitHub

SDL = """
scalar GitObjectID
scalar DateTime
scalar URI

type Query {
  repository(owner: String!, name: String!): Repository
  rateLimit: RateLimit
}

type RateLimit { cost: Int! limit: Int! remaining: Int! resetAt: DateTime! }

type Repository {
  nameWithOwner: String!
  object(oid: GitObjectID, expression: String): GitObject
}

interface GitObject { oid: GitObjectID! }

type Commit implements GitObject {
  oid: GitObjectID!
  messageHeadline: String!
  associatedPullRequests(first: Int, last: Int): PullRequestConnection
}

type Tree implements GitObject { oid: GitObjectID! }

type PullRequestConnection { nodes: [PullRequest] totalCount: Int! }

enum PullRequestState { OPEN CLOSED MERGED }

type PullRequest {
  number: Int!
  title: String!
  body: String!
  url: URI!
  state: PullRequestState!
  mergedAt: DateTime
  baseRefName: String!
  labels(first: Int, last: Int): LabelConnection
}

type LabelConnection { nodes: [Label] totalCount: Int! }

type Label { name: String! }
"""


@cache
def _schema() -> Any:
    from graphql import build_schema

    return build_schema(SDL)


def answer_graphql(fake: FakeGitHub, body: bytes) -> tuple[int, dict[str, Any]]:
    """(status, JSON body) for a POST to /graphql."""
    import json

    from graphql import graphql_sync

    try:
        request = json.loads(body)
        query = request["query"]
        variables = request.get("variables") or None
    except (ValueError, KeyError, TypeError):
        return 400, {
            "message": "Problems parsing JSON",
            "documentation_url": "https://docs.github.com/graphql",
        }
    result = graphql_sync(_schema(), query, root_value=_Root(fake), variable_values=variables)
    data: dict[str, Any] = {}
    if result.errors:
        data["errors"] = [{"message": e.message, "locations": [loc._asdict() for loc in e.locations or []]}
                          for e in result.errors]  # fmt: skip
    if result.data is not None:
        data["data"] = result.data
    return 200, data


class _Root:
    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake

    def repository(self, info: Any, owner: str, name: str) -> dict[str, Any] | None:
        full = f"{owner}/{name}"
        repo = self.fake.repos.get(full)
        if repo is None:
            return None
        fake = self.fake

        def obj(info: Any, oid: str | None = None, expression: str | None = None) -> dict[str, Any] | None:
            sha = repo.resolve(oid or expression or "")
            if sha is None or (oid is not None and sha != oid):
                return None
            if (
                sha in fake.graphql_fail
            ):  # graphql-core answers it as GitHub does: null, and an error with a path
                raise RuntimeError(
                    "Something went wrong while executing your query. This may be the result of a timeout, "
                    "or it could be a GitHub bug."
                )
            pulls = [p for p in fake.pulls.get(full, []) if sha in (p.merge_commit_sha, *p.commits)]

            def associated(info: Any, first: int | None = None, last: int | None = None) -> dict[str, Any]:
                chosen = pulls[:first] if first is not None else pulls
                return {"totalCount": len(pulls), "nodes": [_pull(fake, full, p) for p in chosen]}

            return {
                "__typename": "Commit",
                "oid": sha,
                "messageHeadline": repo.meta(sha)["message"].split("\n", 1)[0],
                "associatedPullRequests": associated,
            }

        return {"nameWithOwner": full, "object": obj}


def _pull(fake: FakeGitHub, full: str, pull: Any) -> dict[str, Any]:
    def labels(info: Any, first: int | None = None, last: int | None = None) -> dict[str, Any]:
        names = pull.labels[:first] if first is not None else pull.labels
        return {"totalCount": len(pull.labels), "nodes": [{"name": n} for n in names]}

    return {
        "number": pull.number,
        "title": pull.title,
        "body": pull.body,
        "url": f"{fake.web_url}/{full}/pull/{pull.number}",
        "state": "MERGED" if pull.merged else ("CLOSED" if pull.state == "closed" else "OPEN"),
        "mergedAt": "2026-01-02T00:00:00Z" if pull.merged else None,
        "baseRefName": pull.base,
        "labels": labels,
    }


# git over smart HTTP ---------------------------------------------------------------------------------


def git_token_ok(fake: FakeGitHub, headers: dict[str, str]) -> bool:
    """What GitHub accepts for git over HTTPS: Basic with the token as password, or a Bearer token."""
    if fake.token is None:
        return True
    given = headers.get("authorization", "")
    if given == f"Bearer {fake.token}":
        return True
    if given.lower().startswith("basic "):
        try:
            _, _, password = base64.b64decode(given[6:]).decode().partition(":")
        except ValueError:
            return False
        return password == fake.token
    return False


def answer_git(
    fake: FakeGitHub,
    method: str,
    repo_path: Path,
    rest: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
) -> tuple[int, dict[str, str], bytes]:
    """Run ``git http-backend`` for one request on ``repo_path`` (a bare repository or a work tree's .git)."""
    git_dir = repo_path if (repo_path / "HEAD").is_file() else repo_path / ".git"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_PROJECT_ROOT": str(git_dir.parent),
        "PATH_INFO": f"/{git_dir.name}{rest}",
        "QUERY_STRING": query,
        "REQUEST_METHOD": method,
        "CONTENT_TYPE": headers.get("content-type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "GIT_HTTP_EXPORT_ALL": "1",
        "REMOTE_ADDR": "127.0.0.1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        # What GitHub allows: partial clones, and fetching any object by its id (a clone's missing blobs).
        "GIT_CONFIG_COUNT": "3",
        "GIT_CONFIG_KEY_0": "uploadpack.allowFilter",
        "GIT_CONFIG_VALUE_0": "true",
        "GIT_CONFIG_KEY_1": "uploadpack.allowAnySHA1InWant",
        "GIT_CONFIG_VALUE_1": "true",
        "GIT_CONFIG_KEY_2": "safe.directory",
        "GIT_CONFIG_VALUE_2": "*",
    }
    if "git-protocol" in headers:
        env["GIT_PROTOCOL"] = headers["git-protocol"]
    if "content-encoding" in headers:
        env["HTTP_CONTENT_ENCODING"] = headers["content-encoding"]
    # A backend that printed nothing at all is run again; after three, a 500 that says why, as a server whose
    # backend failed: never a 200 with nothing in it, which a client takes for a repository without commits
    # (the likely cause of one clone of a loaded machine's test run that came back without refs).
    for _attempt in range(3):
        result = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = result.stdout.partition(b"\r\n\r\n")
        if head:
            break
    else:
        why = result.stderr.decode("utf-8", "replace").strip() or f"exit {result.returncode}, no output"
        return 500, {"Content-Type": "text/plain"}, f"git http-backend failed: {why}".encode()
    status, extra = 200, {}
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.strip().split()[0])
        elif name:
            extra[name.strip()] = value.strip()
    return status, extra, payload
