"""A release's notes as the forge's release of its tag: a GitHub release created, or updated in place —
found again by its tag among the repository's releases (drafts included), never made twice. A draft unless
``[notes] draft = false``; a release a person has published is left alone unless that is set.

GitLab has no draft releases (a release is public once made; an "upcoming" one, released_at in the future,
is public too): a GitLab project's release is created or updated (``/projects/:id/releases[/:tag_name]``,
found again by its tag) only with ``[notes] draft = false``; with drafts asked for, it is refused, in one
line, before anything is sent."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from dailydiff.common.http import HttpPolicy
from dailydiff.common.secrets import scrub
from dailydiff.errors import PublishError, UsageError
from dailydiff.forges.base import url_path
from dailydiff.publish.base import PublishResult, Secrets, Status
from dailydiff.publish.github import GitHubApi
from dailydiff.publish.http import Http, Look
from dailydiff.render.edition import Edition, Part
from dailydiff.settings import GITHUB_TOKEN_ENVS, GITLAB_TOKEN_ENVS, Settings
from dailydiff.settings.publishers import EntryBase, GitHubEntry


@dataclass(frozen=True)
class _ForgeRelease:
    """The forge release of an edition's tag (the ``release`` file of a release edition: its body)."""

    repository: str  # owner/name on GitHub, group/…/name on GitLab
    api_url: str
    token_env: str
    secrets: Secrets
    name: str = "release"
    type: str = "release"
    parts: tuple[Part, ...] = ("files",)
    formats: tuple[str, ...] = ("release",)
    updates_in_place: bool = True
    one_writer: str = ""
    skip_empty: bool = True
    # The forge section's timeouts and retries ([github] / [gitlab]); None: a publisher entry's defaults.
    policy: HttpPolicy | None = None

    @property
    def target(self) -> str:
        return f"{self.type}:{self.api_url}/{self.repository}"


@dataclass(frozen=True)
class GitHubReleasePublisher(_ForgeRelease):
    draft: bool = True
    name: str = "github-release"
    type: str = "github-release"

    def preview(self, edition: Edition) -> str:
        verb = "draft" if self.draft else "published"
        return f"{self.name}: the {verb} release {edition.values()['tag_name']} of {self.repository}"

    def send(self, edition: Edition) -> PublishResult:
        tag = str(edition.values()["tag_name"])
        body = edition.files["release"]
        entry = GitHubEntry(repository=self.repository, api_url=self.api_url, token_env=self.token_env)
        with GitHubApi.opened(
            entry, self.secrets.get(self.token_env, "GitHub token"), policy=self.policy
        ) as api:
            existing = self._find(api, tag)
            if existing is None:
                _, made = api.call("POST", "/releases", body={"tag_name": tag, "name": tag, "body": body,
                                                              "draft": self.draft},
                                   look=lambda: self._find(api, tag))  # fmt: skip
                return PublishResult(self.name, self.type, Status.OK, f"created {_kind(made)} release {tag}: "
                                                                      f"{_url(made)}")  # fmt: skip
            if not existing.get("draft") and self.draft:
                return PublishResult(self.name, self.type, Status.SKIPPED,
                                     f"release {tag} is published already: left alone ([notes] draft = false "
                                     "updates it)")  # fmt: skip
            _, made = api.call("PATCH", f"/releases/{int(existing['id'])}",
                               body={"name": existing.get("name") or tag, "body": body, "draft": self.draft})  # fmt: skip
            return PublishResult(
                self.name, self.type, Status.OK, f"updated {_kind(made)} release {tag}: {_url(made)}"
            )

    @staticmethod
    def _find(api: GitHubApi, tag: str) -> dict[str, Any] | None:
        """The release of ``tag``: drafts are only in the list (GitHub's /releases/tags/ does not show them)."""
        return next(
            (r for r in api.items("/releases", "releases", pages=10) if r.get("tag_name") == tag), None
        )


@dataclass(frozen=True)
class GitLabReleasePublisher(_ForgeRelease):
    """A GitLab project's release of an edition's tag (never a draft: GitLab has none), made or updated."""

    name: str = "gitlab-release"
    type: str = "gitlab-release"

    def preview(self, edition: Edition) -> str:
        return f"{self.name}: the release {edition.values()['tag_name']} of {self.repository} (public)"

    def send(self, edition: Edition) -> PublishResult:
        tag = str(edition.values()["tag_name"])
        body = edition.files["release"]
        headers = {
            "PRIVATE-TOKEN": self.secrets.get(self.token_env, "GitLab token"),
            "Accept": "application/json",
        }
        base = f"{self.api_url.rstrip('/')}/projects/{quote(self.repository, safe='')}/releases"
        mine = f"{base}/{quote(tag, safe='')}"
        with Http(EntryBase(name=self.name), policy=self.policy) as http:

            def call(method: str, url: str, payload: Any = None, look: Look | None = None) -> tuple[int, Any]:
                response = http.request(method, url, headers=headers, json=payload, look=look)
                if response.status_code == 404 and method == "GET":
                    return 404, None
                if not 200 <= response.status_code < 300:
                    raise PublishError(f"GitLab answered {method} of release {tag} of {self.repository} with HTTP "
                                       f"{response.status_code}: {scrub(response.text)[:200]}",
                                       f"check the token in ${self.token_env} (scope api) and [gitlab] api_url")  # fmt: skip
                try:
                    return response.status_code, response.json()
                except ValueError:
                    raise PublishError(f"GitLab answered {method} {url_path(url)} with something that is not JSON",
                                       "check [gitlab] api_url") from None  # fmt: skip

            found, _ = call("GET", mine)
            if found == 404:
                # Tried again only once GitLab shows the release was not made (a 5xx after making it).
                _, made = call(
                    "POST",
                    base,
                    {"tag_name": tag, "name": tag, "description": body},
                    look=lambda: call("GET", mine)[1],
                )
                verb = "created"
            else:
                _, made = call("PUT", mine, {"description": body})
                verb = "updated"
        link = made.get("_links", {}).get("self", "") if isinstance(made, dict) else ""
        return PublishResult(
            self.name, self.type, Status.OK, f"{verb} the release {tag}: {link}".rstrip(": ")
        )


def _kind(release: Any) -> str:
    return "a draft" if isinstance(release, dict) and release.get("draft") else "the published"


def _url(release: Any) -> str:
    return str(release.get("html_url", "")) if isinstance(release, dict) else ""


def github_repository(repo_url: str | None) -> str:
    """owner/name of a repository's GitHub page."""
    parts = [p for p in urlsplit(repo_url or "").path.split("/") if p]
    if len(parts) != 2:
        raise UsageError("the repository's GitHub address is not known (its origin is not on GitHub)",
                         "set its remote origin to the GitHub repository")  # fmt: skip
    return "/".join(parts)


def gitlab_release_publisher(
    source: Any, settings: Settings, secrets: Secrets | None
) -> GitLabReleasePublisher:
    """The release of ``source``'s GitLab project (its origin's path, on the GitLab of ``[gitlab] api_url``):
    refused unless ``[notes] draft = false`` (GitLab has no drafts)."""
    if settings.notes.draft:
        raise UsageError(f"GitLab has no draft releases: {source.repo}'s release would be public at once",
                         "set [notes] draft = false to create or update it, or drop --publish / [notes] release")  # fmt: skip
    project = urlsplit(source.repo_url or "").path.strip("/").removesuffix(".git")
    if not project:
        raise UsageError(f"{source.repo}'s GitLab project is not known (its origin has no web address)",
                         "set its remote origin to the GitLab project")  # fmt: skip
    env = settings.gitlab.token_env or next(
        (n for n in GITLAB_TOKEN_ENVS if os.environ.get(n)), GITLAB_TOKEN_ENVS[-1]
    )
    return GitLabReleasePublisher(repository=project, api_url=settings.gitlab.api_url, token_env=env,
                                  secrets=secrets or Secrets(os.environ), policy=settings.gitlab.policy())  # fmt: skip


def release_publisher(
    source: Any, settings: Settings, secrets: Secrets | None
) -> GitHubReleasePublisher | GitLabReleasePublisher:
    """The forge release of ``source``'s repository (a git source whose origin is on GitHub or GitLab)."""
    if source.forge == "gitlab":
        return gitlab_release_publisher(source, settings, secrets)
    if source.forge != "github":
        raise UsageError(f"forge releases are made on GitHub and GitLab; {source.repo} is on {source.forge}",
                         "drop --publish / [notes] release")  # fmt: skip
    env = settings.github.token_env or next(
        (n for n in GITHUB_TOKEN_ENVS if os.environ.get(n)), GITHUB_TOKEN_ENVS[-1]
    )
    return GitHubReleasePublisher(repository=github_repository(source.repo_url), api_url=settings.github.api_url,
                                  token_env=env, secrets=secrets or Secrets(os.environ),
                                  draft=settings.notes.draft, policy=settings.github.policy())  # fmt: skip


__all__ = ["GitHubReleasePublisher", "GitLabReleasePublisher", "github_repository", "release_publisher"]
