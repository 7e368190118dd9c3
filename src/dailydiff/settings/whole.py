"""The whole settings (:class:`Settings`) and the sections only it reads: report, git, the forges, analysis,
scoring, the LLM, the site, `serve`, and the publishers', runs' and watches' models (their own modules). Imported
at first use through the package (settings/__init__.py): a command that only reads the store never loads it.
"""

# Annotations are evaluated as Python evaluates them, not from text (no `from __future__ import annotations`):
# pydantic would compile each field's annotation at import, about 0.3 ms a model of every command's start.

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from dailydiff.settings.evaluation import EvalSettings
from dailydiff.settings.notes import NotesSettings
from dailydiff.settings.ops import (
    DigestEntry,
    RepoEntry,
    RunSettings,
    Timezone,
    WatchTopic,
    WeeklySettings,
    check_alert_targets,
    check_repos_and_topics,
    unique_names,
)
from dailydiff.settings.publishers import DayPath, EnvName, PublishEntry, entry_names
from dailydiff.settings.sections import HasStore, SearchSettings, _Section, gitlab_project

if TYPE_CHECKING:
    from dailydiff.common.http import HttpPolicy  # the sections' policies: built where a request goes out


class ReportSettings(_Section):
    timezone: Timezone
    language: Literal["zh", "en"]
    formats: list[Literal["md", "json", "html"]]
    path_template: DayPath
    templates_dir: str
    toc_title_chars: int


class GitSettings(_Section):
    branch: str
    all_branches: bool
    include_merges: bool
    max_patch_bytes: int
    forge: Literal["auto", "github", "gitlab", "gitea", "bitbucket"] = "auto"


class ForgeSettings(_Section):
    """What every forge's section has: where its API is, the token's variable, and the one HTTP client's
    limits (forges/base.py)."""

    api_url: str
    token_env: EnvName
    branch: str
    per_page: int = Field(ge=1, le=100)
    concurrency: int = Field(ge=1, le=64)
    max_retry_after: float = Field(ge=0)
    retries: int = Field(ge=0, le=20)
    backoff: float = Field(ge=0)
    connect_timeout: float = Field(gt=0)
    read_timeout: float = Field(gt=0)
    timeout: float = Field(gt=0)
    breaker_threshold: int = Field(ge=1)
    max_patch_bytes: int = Field(ge=1)
    mode: Literal["api", "clone"] = "api"

    def policy(self) -> "HttpPolicy":
        """The one outbound policy, as this forge's section sets it (a spent rate limit is asked again two
        times more than a failure)."""
        from dailydiff.common.http import HttpPolicy

        return HttpPolicy(timeout=self.timeout, connect_timeout=self.connect_timeout, read_timeout=self.read_timeout,
                          retries=self.retries, backoff=self.backoff, max_retry_after=self.max_retry_after,
                          breaker_threshold=self.breaker_threshold, rate_limit_retries=self.retries + 2)  # fmt: skip

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"must be an http(s) URL such as {cls._API_EXAMPLE}")
        return value.rstrip("/")

    _API_EXAMPLE: ClassVar[str] = "https://HOST/api"


class GitHubSettings(ForgeSettings):
    _API_EXAMPLE: ClassVar[str] = "https://api.github.com or https://HOST/api/v3"
    api_version: str
    pull_requests: bool
    pr_body_chars: int = Field(ge=0)
    git_url: str = ""

    @field_validator("git_url")
    @classmethod
    def _git_url(cls, value: str) -> str:
        value = value.strip()
        if value and ("{owner}" not in value or "{name}" not in value):
            raise ValueError("must contain {owner} and {name}, e.g. https://github.com/{owner}/{name}.git")
        if "@" in value.split("://", 1)[-1].split("/", 1)[0]:
            raise ValueError("must not hold credentials: the token is read from the environment")
        return value


class GitLabSettings(ForgeSettings):
    _API_EXAMPLE: ClassVar[str] = "https://gitlab.com/api/v4 or https://HOST/api/v4"
    merge_requests: bool
    mr_body_chars: int = Field(ge=0)


class AnalysisSettings(_Section):
    analyzer: Literal["heuristic", "llm", "auto"]
    max_failure_ratio: float
    grounding: Literal["repair", "mark", "off"]


class ScoringSettings(_Section):
    high_threshold: float
    medium_threshold: float
    size_weight: float
    size_cap: float
    feature: float
    bugfix: float
    performance: float
    refactor: float
    security: float
    revert: float
    breaking: float
    docs: float
    test: float
    ci_build: float
    dependency: float
    config: float
    chore: float
    core_source: float
    new_module: float
    public_api: float
    only_tests: float
    only_docs: float
    only_ci: float
    dependency_files: float
    many_files: float
    security_words: float
    release: float
    bot: float


class PriceWindow(_Section):
    """A time of day with its own prices (a provider's off-peak hours): ``hours = "16:30-00:30"``, UTC, the
    end past midnight when it is earlier than the start; unset prices are the model's."""

    hours: str
    input_price: float | None = Field(default=None, ge=0)
    output_price: float | None = Field(default=None, ge=0)
    cached_input_price: float | None = Field(default=None, ge=0)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        if window_minutes(value) is None:
            raise ValueError('must be "HH:MM-HH:MM" in UTC, e.g. "16:30-00:30"')
        return value

    def covers(self, minute: int) -> bool:
        """The minute of the UTC day ``minute`` is inside the window."""
        start, end = window_minutes(self.hours) or (0, 0)
        return start <= minute < end if start < end else minute >= start or minute < end


def window_minutes(hours: str) -> tuple[int, int] | None:
    """``"16:30-00:30"`` as the minutes of the day it starts and ends at, or None."""
    import re

    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", hours)
    if not match:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if max(h1, h2) > 24 or max(m1, m2) > 59:
        return None
    return (h1 * 60 + m1) % 1440, (h2 * 60 + m2) % 1440


def deadline_form(value: str) -> tuple[str, float] | None:
    """``[llm] batch_deadline`` read: ("clock", minute of the day) for "06:30", ("seconds", n) for "5400"."""
    import re

    text = str(value).strip()
    clock = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if clock:
        hours, minutes = int(clock[1]), int(clock[2])
        return ("clock", hours * 60.0 + minutes) if hours < 24 and minutes < 60 else None
    try:
        seconds = float(text)
    except ValueError:
        return None
    return ("seconds", seconds) if seconds >= 0 else None


class ModelProfile(_Section):
    """Per-model limits and prices; unset fields take the [llm] defaults."""

    context_window: int | None = None
    output_tokens: int | None = None
    max_output_tokens: int | None = None
    input_price: float | None = None
    output_price: float | None = None
    cached_input_price: float | None = None  # a prompt token the endpoint's cache served; unset: input_price
    windows: list[PriceWindow] = Field(default_factory=list)

    def rates(self, at: "dt.datetime") -> tuple[float, float, float]:
        """USD per million input, output and cached input tokens for a request at ``at`` (UTC windows)."""
        minute = at.astimezone(dt.UTC).hour * 60 + at.astimezone(dt.UTC).minute
        window = next((w for w in self.windows if w.covers(minute)), None)
        given = (
            window.input_price if window else None,
            window.output_price if window else None,
            window.cached_input_price if window else None,
        )
        input_price = given[0] if given[0] is not None else self.input_price or 0.0
        output_price = given[1] if given[1] is not None else self.output_price or 0.0
        cached = given[2] if given[2] is not None else self.cached_input_price
        if cached is None:  # a window's own input price, else the model's, for a token the cache served
            cached = input_price
        return input_price, output_price, cached


class LLMSettings(_Section):
    base_url: str
    model: str
    api_key_env: EnvName
    response_mode: Literal["auto", "json_schema", "json_object_schema", "json_object", "text"]
    concurrency: int = Field(ge=0)  # 0: found by measurement
    stream: bool
    retries: int
    rate_limit_retries: int
    max_retry_after: float = Field(ge=0)
    backoff: float
    connect_timeout: float = Field(gt=0)
    read_timeout: float = Field(gt=0)
    timeout: float = Field(gt=0)
    breaker_threshold: int = Field(ge=1)
    temperature: float
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"]
    escalation: bool
    overview: bool
    prompts_dir: str
    context_window: int = Field(ge=0)  # 0: discovered from the server
    output_tokens: int
    max_output_tokens: int
    input_price: float
    output_price: float
    price: float = Field(default=0.0, ge=0)  # per million tokens, input and output alike
    service_tier: str = ""  # sent as it is where set (OpenAI's "flex": batch prices, slower)
    provider: Literal["auto", "deepseek", "dashscope", "openai", "llama.cpp", "llama-cpp-python", "other"] = (
        "auto"  # auto: from the host
    )
    thinking: bool = False  # a provider's thinking mode (billed); off unless set
    batch: bool = False  # a run's first analyses through the endpoint's Batch API (analysis/batch.py)
    batch_deadline: str = "06:00"  # "HH:MM" in the report's timezone, or seconds from the batch's start
    models: dict[str, ModelProfile] = Field(default_factory=dict)

    @field_validator("batch_deadline", mode="before")
    @classmethod
    def _batch_deadline(cls, value: object) -> str:
        value = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        if not isinstance(value, str) or deadline_form(value) is None:
            raise ValueError(
                'must be a time of day "HH:MM" (the report\'s timezone) or seconds, e.g. "06:30"'
            )
        return value

    # The longest back-off between retries the endpoint did not time itself, in seconds.
    BACKOFF_CAP: ClassVar[float] = 30.0

    def policy(self) -> "HttpPolicy":
        """The one outbound policy, as ``[llm]`` sets it."""
        from dailydiff.common.http import HttpPolicy

        return HttpPolicy(timeout=self.timeout, connect_timeout=self.connect_timeout,
                          read_timeout=self.read_timeout, retries=self.retries, backoff=self.backoff,
                          backoff_cap=self.BACKOFF_CAP, max_retry_after=self.max_retry_after,
                          breaker_threshold=self.breaker_threshold,
                          rate_limit_retries=self.rate_limit_retries)  # fmt: skip

    @property
    def priced(self) -> bool:
        """A price is set (``price``, or input/output prices): costs mean something."""
        profile = self.profile()
        return bool(profile.input_price or profile.output_price)

    def profile(self, model: str | None = None) -> ModelProfile:
        """The limits and prices of ``model`` (default: the configured model), defaults filled in."""
        own = self.models.get(model or self.model, ModelProfile())
        return ModelProfile(
            context_window=own.context_window or self.context_window,
            output_tokens=own.output_tokens or self.output_tokens,
            max_output_tokens=own.max_output_tokens or self.max_output_tokens,
            input_price=(self.input_price or self.price) if own.input_price is None else own.input_price,
            output_price=(self.output_price or self.price) if own.output_price is None else own.output_price,
            cached_input_price=own.cached_input_price,
            windows=own.windows,
        )

    @field_validator("base_url")
    @classmethod
    def _llm_url(cls, value: str) -> str:
        """An OpenAI-compatible server's address: http(s), with a host (and a port that is a number)."""
        from urllib.parse import urlsplit

        if not value:
            return value  # no LLM configured: the rules analyse
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (raises on a port that is no number)
        except ValueError:
            raise ValueError("is not a URL: use http(s)://HOST[:PORT]/v1") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host, such as http://127.0.0.1:8080/v1") from None
        return value


class SiteSettings(_Section):
    output_dir: str
    title: str
    base_url: str
    language: Literal["", "zh", "en"]
    feed_entries: int
    templates_dir: str
    charts: bool
    host: str
    port: int

    @field_validator("base_url")
    @classmethod
    def _http_base(cls, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise ValueError("must be empty or an http(s) URL such as https://example.org/reports/")
        return value


class ServeSettings(_Section):
    """`dailydiff serve`'s push hooks (web/hooks.py) and its MCP endpoint (/mcp)."""

    webhook_secret_env: EnvName = ""
    max_body: int = Field(default=1_048_576, ge=1024)
    drain_seconds: float = Field(default=60.0, ge=0)
    mcp_token_env: EnvName = "DAILYDIFF_MCP_TOKEN"


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
    eval: EvalSettings = Field(default_factory=EvalSettings)
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
        unique_names((digest.name for digest in self.digest), "digest", "digest")
        # Two publishers of one name could not be told apart (--only, the summary, the delivery ledger).
        unique_names(
            entry_names(self.publish), "publish", "publisher name", "; give each [[publish]] its own name"
        )
        self.eval.check_keys(set(LLMSettings.model_fields))
        check_alert_targets(self.watch, entry_names(self.publish))
        return self

    def in_forge_mode(self, mode: str) -> "Settings":
        """Every forge's section read in ``mode`` (``api`` or ``clone``): a ``[[repos]]`` entry's `mode`
        applies to whichever forge its source is on."""
        forges = {name: section.model_copy(update={"mode": mode}) for name in type(self).model_fields
                  if isinstance(section := getattr(self, name), ForgeSettings)}  # fmt: skip
        return self.model_copy(update=forges)
