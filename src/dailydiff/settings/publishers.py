"""The `[[publish]]` entries of the settings: one typed model per publisher `type`.

Secrets and webhook URLs (which are secrets too: whoever has a Slack or WeCom hook URL can post) are
never in the file, only the names of the environment variables that hold them (`url_env`,
`secret_env`, `token_env`, `password_env`). This module imports nothing but pydantic, the
template placeholders, the outbound policy and the secret registry so that the settings can use it without pulling in the publishers.
"""

# Annotations are evaluated as Python evaluates them, not from text (no `from __future__ import annotations`):
# pydantic would compile each field's annotation at import, about 0.3 ms a model of every command's start.

import re
from collections.abc import Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from dailydiff.common import placeholders, secrets
from dailydiff.common.timewindow import TIMEZONE_HINT, is_timezone

if TYPE_CHECKING:
    from dailydiff.common.http import HttpPolicy  # built where a delivery goes out

DEFAULT_PATH_TEMPLATE = "reports/{year}/{repo_name}/{date}.{ext}"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env_name(value: str) -> str:
    """An ``*_env`` setting names a variable. A value that cannot be a name (a webhook URL, a token) was
    put where its name belongs: refused, and kept a secret — the message names the key, never the value."""
    if value and (not _ENV_NAME.fullmatch(value) or secrets.looks_like_token(value)):
        secrets.register(value)
        raise ValueError(
            "must be the name of an environment variable (letters, digits, _), not its value: "
            "export the value as, e.g., MY_SECRET and write that name here"
        )
    return value


# The name of an environment variable that holds a secret ("" for none).
EnvName = Annotated[str, AfterValidator(_env_name)]
# A text with a day's placeholders ({repo_name}, {date} …), and the path template of a day's files, checked
# when read: an unknown placeholder is a TemplateError naming the valid ones.
DayText = Annotated[
    str, AfterValidator(lambda value: placeholders.check(value, placeholders.DAY_PLACEHOLDERS))
]
DayPath = Annotated[
    str,
    AfterValidator(lambda value: placeholders.check(value, placeholders.DAY_PATH_PLACEHOLDERS, path=True)),
]


class EntryBase(BaseModel):
    # defer_build: a model's validator is built when first used, not at import (start-up time).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    # A label for the run summary and --only; default: the type (numbered when a type repeats).
    name: str = ""
    # Seconds one HTTP request may take in all (connect, send and every read of the answer, however slowly
    # it comes), or one SMTP exchange (connect, TLS, login and the message); one past it counts as a timeout
    # and is retried, as a lost connection, a 429/5xx answer or a transient (4xx) SMTP reply are.
    timeout: float = Field(default=20.0, gt=0)
    # Seconds one delivery may take in all (every request, retry and wait of it): a receiver that answers
    # a byte at a time is cut off here and the delivery is recorded failed (the next run tries again).
    deadline: float = Field(default=120.0, gt=0)
    # Attempts after the first on 429/5xx/connection errors, and the first back-off in seconds (doubles).
    retries: int = Field(default=3, ge=0, le=10)
    backoff: float = Field(default=1.0, ge=0)
    # Longest wait honoured for a Retry-After header; a longer one fails the publisher instead.
    max_retry_after: float = Field(default=120.0, ge=0)
    # Alerts ([[watch]] alert) to this target: their language and the timezone of quiet hours; empty: the
    # repository's [report] language and timezone.
    language: Literal["", "zh", "en"] = ""
    timezone: str = ""

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if value and not is_timezone(value):
            raise ValueError(f"unknown timezone; {TIMEZONE_HINT}")
        return value

    # Who this target's weekly editions are written for ("engineer" or "stakeholder"); unset: [weekly] audience.
    audience: Literal["engineer", "stakeholder"] | None = None

    def policy(self) -> "HttpPolicy":
        """The one outbound policy, as this entry sets it: ``timeout`` bounds each request (and each of its
        steps), ``deadline`` the whole delivery."""
        from dailydiff.common.http import HttpPolicy

        return HttpPolicy(timeout=self.timeout, connect_timeout=self.timeout, read_timeout=self.timeout,
                          retries=self.retries, backoff=self.backoff, max_retry_after=self.max_retry_after,
                          deadline=self.deadline)  # fmt: skip


class FilesEntry(EntryBase):
    type: Literal["files"]
    # The directory the path template is relative to (relative: to the config file; default: its directory).
    directory: str = "."
    path_template: DayPath = DEFAULT_PATH_TEMPLATE
    formats: list[str] = Field(default_factory=lambda: ["md"])

    @model_validator(mode="before")
    @classmethod
    def _one_root(cls, data: Any) -> Any:
        """``directory = "reports"`` is the reports' root: the default template's own ``reports/`` is not
        added below it again (reports/2026/…, never reports/reports/2026/…)."""
        if isinstance(data, dict) and "path_template" not in data:
            root = placeholders.template_root(DEFAULT_PATH_TEMPLATE).parts
            if PurePath(str(data.get("directory", "."))).parts[-len(root) :] == root:
                return {**data, "path_template": DEFAULT_PATH_TEMPLATE.split("/", len(root))[-1]}
        return data


class GitHubEntry(EntryBase):
    # owner/name of the repository that receives the report (not the reported one).
    repository: str
    api_url: str = "https://api.github.com"
    token_env: EnvName = "GITHUB_TOKEN"
    # Link to the full report in messages/trimmed bodies: {year} {month} {date} {repo} {repo_name} {owner} {ext}.
    report_url: DayText = ""
    # Send nothing for a day without commits (the day still counts as delivered).
    skip_empty: bool = False

    @field_validator("repository")
    @classmethod
    def _owner_name(cls, value: str) -> str:
        if value.count("/") != 1 or not all(value.split("/")):
            raise ValueError("use owner/name")
        return value


class GitHubContentsEntry(GitHubEntry):
    type: Literal["github-contents"]
    branch: str = ""  # empty: the repository's default branch
    path_template: DayPath = DEFAULT_PATH_TEMPLATE
    formats: list[str] = Field(default_factory=lambda: ["md"])
    message_template: DayText = "Report: {repo_name} - {date}"
    committer_name: str = ""
    committer_email: str = ""


class GitHubIssueEntry(GitHubEntry):
    type: Literal["github-issue"]
    title_template: DayText = "Daily report: {repo} - {date}"
    labels: list[str] = Field(default_factory=lambda: ["dailydiff"])
    # Bodies over GitHub's 65,536 characters: "comments" continues in comments, "trim" cuts at a section
    # boundary and links to report_url.
    overflow: Literal["comments", "trim"] = "comments"
    # How many pages (100 issues each, newest first) are searched for the day's existing issue.
    search_pages: int = Field(default=10, ge=1)


class ChatEntry(EntryBase):
    url_env: EnvName
    secret_env: EnvName = ""
    report_url: DayText = ""
    # A day that does not fit one message goes out in at most this many; the rest is summarised
    # with a link to the full report.
    max_messages: int = Field(default=10, ge=1, le=50)
    # How many high-importance commits are listed (watch-topic commits first).
    max_commits: int = Field(default=100, ge=0)
    # No message for a day without commits (the files are still written; weekly and digests count it).
    skip_empty: bool = True


class ChatServiceEntry(ChatEntry):
    """A chat service's incoming webhook (Microsoft Teams: a Workflows "Post to a channel when a webhook request
    is received" or incoming webhook URL; the message is an Adaptive Card). One model for the services whose
    entry has nothing of its own, not one each: every command builds the settings' validator, every model in."""

    type: Literal["feishu", "dingtalk", "wecom", "slack", "discord", "teams"]


class WebhookEntry(ChatEntry):
    type: Literal["webhook"]
    # "report": the DayReport JSON; "summary": counts, overview and high-importance commits.
    payload: Literal["report", "summary"] = "summary"
    signature_header: str = "X-Dailydiff-Signature"


class EmailEntry(EntryBase):
    type: Literal["email"]
    host: str
    port: int = 0  # 0: 465 for ssl, 587 for starttls, 25 for none
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str = ""
    password_env: EnvName = ""
    # A CA bundle for a server with a private certificate (default: the system's).
    ca_file: str = ""
    sender: str
    recipients: list[str] = Field(min_length=1)
    subject_template: DayText = ""  # empty: the report language's subject (common/locale, [email] subject)
    report_url: DayText = ""
    # No e-mail for a day without commits (the files are still written; weekly and digests count it).
    skip_empty: bool = True


PublishEntry = Annotated[
    FilesEntry | GitHubContentsEntry | GitHubIssueEntry | ChatServiceEntry | WebhookEntry | EmailEntry,
    Field(discriminator="type"),
]

PUBLISH_TYPES: tuple[str, ...] = (
    "files",
    "github-contents",
    "github-issue",
    "feishu",
    "dingtalk",
    "wecom",
    "slack",
    "discord",
    "teams",
    "webhook",
    "email",
)


def entry_names(entries: Sequence[Any]) -> list[str]:
    """Each [[publish]] entry's name: its ``name``, else its type (``slack-2`` for a second one)."""
    names = []
    seen: dict[str, int] = {}
    for entry in entries:
        seen[entry.type] = seen.get(entry.type, 0) + 1
        names.append(
            entry.name or (entry.type if seen[entry.type] == 1 else f"{entry.type}-{seen[entry.type]}")
        )
    return names
