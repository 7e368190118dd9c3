"""``Settings``: every section of the settings, for the commands that build, send or serve (settings/__init__.py
imports it at its first use). Its sections of runs, watches, digests, release notes and publishers are
models of their own modules; a command that only reads the store (``ReadSettings``) builds none of them."""

# Annotations are evaluated as Python evaluates them, not from text (no `from __future__ import annotations`):
# pydantic would compile each field's annotation at import, about 0.3 ms a model of every command's start.

from typing import Any

from pydantic import Field, model_validator

from dailydiff.settings import (
    AnalysisSettings,
    ForgeSettings,
    GitHubSettings,
    GitLabSettings,
    GitSettings,
    HasStore,
    LLMSettings,
    ReportSettings,
    ScoringSettings,
    SearchSettings,
    ServeSettings,
    SiteSettings,
    gitlab_project,
)
from dailydiff.settings.notes import NotesSettings
from dailydiff.settings.ops import (
    DigestEntry,
    RepoEntry,
    RunSettings,
    WatchTopic,
    WeeklySettings,
    check_digests,
    check_repos_and_topics,
)
from dailydiff.settings.publishers import PublishEntry, check_publisher_names


class Settings(HasStore):
    report: ReportSettings
    git: GitSettings
    github: GitHubSettings
    gitlab: GitLabSettings
    analysis: AnalysisSettings
    scoring: ScoringSettings
    llm: LLMSettings
    publish: list[PublishEntry] = Field(default_factory=list)
    site: SiteSettings
    serve: ServeSettings = Field(default_factory=ServeSettings)
    search: SearchSettings
    run: RunSettings
    weekly: WeeklySettings
    notes: NotesSettings = Field(default_factory=NotesSettings)
    repos: list[RepoEntry] = Field(default_factory=list)
    watch: list[WatchTopic] = Field(default_factory=list)
    digest: list[DigestEntry] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _gitlab_addresses(cls, data: Any) -> Any:
        """A [[repos]] `source` that is a project's address on the configured GitLab (gitlab.com unless
        ``[gitlab] api_url`` says another) is that GitLab project, as ``gitlab:group/project`` is."""
        gitlab, repos = (data.get("gitlab"), data.get("repos")) if isinstance(data, dict) else (None, None)
        api_url = gitlab.get("api_url") if isinstance(gitlab, dict) else None
        if not isinstance(api_url, str) or not isinstance(repos, list):
            return data
        fixed = [entry | {"source": gitlab_project(entry["source"], api_url) or entry["source"]}
                 if isinstance(entry, dict) and isinstance(entry.get("source"), str) else entry
                 for entry in repos]  # fmt: skip
        return {**data, "repos": fixed}

    def forge_source(self, spec: str) -> str:
        """A SOURCE as the sources read it: a project's address on the configured GitLab is
        ``gitlab:group/project``; anything else is left as it is."""
        return gitlab_project(spec, self.gitlab.api_url) or spec

    @model_validator(mode="after")
    def _cross_checks(self) -> "Settings":
        check_repos_and_topics(self.repos, self.watch)
        check_digests(self.digest)
        check_publisher_names(self.publish)
        return self

    def in_forge_mode(self, mode: str) -> "Settings":
        """Every forge's section read in ``mode`` (``api`` or ``clone``): a ``[[repos]]`` entry's `mode`
        applies to whichever forge its source is on."""
        forges = {name: section.model_copy(update={"mode": mode}) for name in type(self).model_fields
                  if isinstance(section := getattr(self, name), ForgeSettings)}  # fmt: skip
        return self.model_copy(update=forges)
