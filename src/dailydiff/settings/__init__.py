"""Typed settings, built once at the entry point and passed down.

Layers, lowest first: the packaged ``defaults.toml`` < the user's TOML file < ``DAILYDIFF_*``
environment variables < command-line flags. Unknown keys and wrong types are errors that name the key.
"""

# Annotations are evaluated as Python evaluates them, not from text (no `from __future__ import annotations`):
# pydantic would compile each field's annotation at import, about 0.3 ms a model of every command's start.

import contextlib
import difflib
import functools
import os
import sys
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dailydiff.common import packaged, placeholders, secrets, storeurl
from dailydiff.common.timewindow import TIMEZONE_HINT, is_timezone
from dailydiff.errors import ConfigError
from dailydiff.settings import kept
from dailydiff.settings.described import describe
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
from dailydiff.settings.publishers import EnvName, PublishEntry, check_publisher_names

if TYPE_CHECKING:
    from dailydiff.common.http import HttpPolicy  # the sections' policies: built where a request goes out

ENV_PREFIX = "DAILYDIFF_"
GITHUB_TOKEN_ENVS = (
    "DAILYDIFF_GITHUB_TOKEN",
    "GITHUB_TOKEN",
)  # read in this order unless token_env names one
GITLAB_TOKEN_ENVS = ("DAILYDIFF_GITLAB_TOKEN", "GITLAB_TOKEN")  # the same, for [gitlab]
DEFAULT_CONFIG_NAME = "dailydiff.toml"
# DAILYDIFF_* variables read outside the settings: CI mode of the tests (and of the release workflow's
# installed wheel), tracebacks for bug reports, the tests' Chromium, golden files and screenshots to look at.
OTHER_ENVS = frozenset(
    {
        "DAILYDIFF_CI",
        "DAILYDIFF_CI_INSTALLED",
        "DAILYDIFF_DEBUG",
        "DAILYDIFF_CHROMIUM",
        "DAILYDIFF_REGENERATE_GOLDEN",
        "DAILYDIFF_ARTIFACTS",
        *GITHUB_TOKEN_ENVS,
        *GITLAB_TOKEN_ENVS,
    }
)


class _Section(BaseModel):
    # defer_build: a model's validator is built when first used, not at import (start-up time).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ReportSettings(_Section):
    timezone: str
    language: Literal["zh", "en"]
    formats: list[Literal["md", "json", "html"]]
    path_template: str
    templates_dir: str
    toc_title_chars: int

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if not is_timezone(value):
            raise ValueError(f"unknown timezone; {TIMEZONE_HINT}")
        return value

    @field_validator("path_template")
    @classmethod
    def _path(cls, value: str) -> str:
        return placeholders.check(value, placeholders.DAY_PATH_PLACEHOLDERS, path=True)


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


class ModelProfile(_Section):
    """Per-model limits and prices; unset fields take the [llm] defaults."""

    context_window: int | None = None
    output_tokens: int | None = None
    max_output_tokens: int | None = None
    input_price: float | None = None
    output_price: float | None = None


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
    models: dict[str, ModelProfile] = {}

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
        )


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
    mcp_token_env: EnvName = "DAILYDIFF_MCP_TOKEN"


class SearchSettings(_Section):
    embedding_model: str
    embedding_base_url: str
    embedding_batch: int = Field(ge=1, le=2048)
    fuse_languages: list[Literal["en", "zh"]]

    @field_validator("embedding_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise ValueError(
                "must be empty ([llm] base_url) or an http(s) URL such as http://127.0.0.1:8080/v1"
            )
        return value.rstrip("/")


class StoreSettings(_Section):
    url: str
    lease_seconds: float = Field(gt=0)
    lock_timeout: float = Field(gt=0)
    statement_timeout: float = Field(gt=0)
    reconnect_seconds: float = Field(ge=0)

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        if value.strip():
            try:
                storeurl.parse(value)
            except storeurl.StoreURLError as exc:
                raise ValueError(f"{exc} (empty: SQLite in data_dir)") from None
        return value


def gitlab_project(spec: str, api_url: str) -> str | None:
    """``gitlab:group/sub/project`` for a project's web address on the GitLab instance ``api_url`` is on
    (``https://HOST[/prefix]/group/sub/project[.git]``, anything from ``/-/`` on left out: a page of it);
    None for any other SOURCE, an address on another host included (a git URL, read from a clone)."""
    url, api = urlsplit(spec), urlsplit(api_url)
    if url.scheme not in ("http", "https") or not url.netloc or url.netloc.lower() != api.netloc.lower():
        return None
    prefix = api.path.rstrip("/").removesuffix("/api/v4")  # a GitLab under a path: https://HOST/gitlab/api/v4
    path = url.path.split("/-/", 1)[0].rstrip("/").removesuffix(".git")
    if not path.startswith(prefix + "/"):
        return None
    project = path[len(prefix) :].strip("/")
    return f"gitlab:{project}" if "/" in project and not url.query and not url.fragment else None


class HasStore(_Section):
    """What every command's settings say: where the store is (``[store] url``, else the SQLite file in
    ``data_dir``)."""

    data_dir: str
    store: StoreSettings

    @property
    def data_path(self) -> Path:
        if self.data_dir:
            return Path(self.data_dir).expanduser()
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(base) / "dailydiff"


class _NamesOnly(_Section):
    """Names read from a section a command does not otherwise read: a value that is no text (or a table that
    is none) reads as no name; the commands that read the section report it."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _texts(cls, data: Any) -> dict[str, str]:
        return (
            {key: value for key, value in data.items() if isinstance(value, str)}
            if isinstance(data, dict)
            else {}
        )


class _SecretNames(_NamesOnly):
    token_env: str = ""
    api_key_env: str = ""
    url_env: str = ""
    secret_env: str = ""
    password_env: str = ""


class _ServeNames(_NamesOnly):
    mcp_token_env: str = ""


class _LLMNames(_SecretNames):
    base_url: str = ""


class _RepoSource(_NamesOnly):
    source: str = ""


class ReadSettings(HasStore):
    """The settings of a command that only reads the store (`search`, `ask --no-llm`): where the store is,
    checked from the same layers as :class:`Settings` with the same one-line errors, and the variables the
    other sections name (their secrets are scrubbed from every line, and they are not taken for typos).
    Nothing else is checked: a bad value there is reported by the commands that read it (`doctor`, `run`),
    and the whole model's validator, about 20 ms of each search to build, is not built."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)
    github: _SecretNames = Field(default_factory=_SecretNames)
    gitlab: _SecretNames = Field(default_factory=_SecretNames)
    llm: _LLMNames = Field(default_factory=_LLMNames)
    serve: _ServeNames = Field(default_factory=_ServeNames)
    search: SearchSettings | None = None
    publish: list[_SecretNames] = Field(default_factory=list)
    repos: list[_RepoSource] = Field(default_factory=list)

    @field_validator("publish", "repos", mode="before")
    @classmethod
    def _entries(cls, value: Any) -> list[Any]:
        return value if isinstance(value, list) else []


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


L = TypeVar("L", Settings, ReadSettings)


def defaults_text() -> str:
    return resources.files("dailydiff").joinpath("settings/defaults.toml").read_text(encoding="utf-8")


@functools.cache
def _defaults() -> dict[str, Any]:
    """The packaged defaults, parsed once per process (a command reads them for its settings and again to
    check its ``DAILYDIFF_*`` variables). Never changed: the layers are merged into new dicts."""
    return packaged.toml("settings/defaults.toml")


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # a settings file's: the packaged defaults are read back parsed (common/packaged.py)

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found", "check the --config path") from None
    except IsADirectoryError:
        raise ConfigError(
            f"config file {path} is a directory", "pass the settings file, e.g. dailydiff.toml"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"config file {path} is not text (not UTF-8)", "pass the TOML settings file, e.g. dailydiff.toml"
        ) from None
    except PermissionError:
        raise ConfigError(
            f"cannot read config file {path}: permission denied", "check its permissions"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file {path}: {exc.strerror or exc}", "check the --config path"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}", "fix the syntax") from None


# One spelling per setting: the outbound policy's settings are spelt as in a [[publish]] entry (and as
# common/http.py's HttpPolicy) in every section. The spellings before it, by section: still read (users'
# configs and DAILYDIFF_* variables), each said once as deprecated.
_FORGE_SPELLINGS = {"request_deadline": "timeout", "max_retries": "retries", "retry_base_delay": "backoff",
                    "max_rate_limit_wait": "max_retry_after"}  # fmt: skip
RESPELT: dict[str, dict[str, str]] = {
    "github": _FORGE_SPELLINGS,
    "gitlab": _FORGE_SPELLINGS,
    "llm": {"request_deadline": "timeout", "max_retries": "retries", "retry_backoff": "backoff"},
}
_said_respelt: set[str] = set()


def _respelt(layer: Mapping[str, Any], where: str, said: list[str]) -> dict[str, Any]:
    """``layer`` (a config file's, the flags') with the old spellings of ``RESPELT`` under today's (the new
    one wins where both are given); each old one found is added to ``said``."""
    out = dict(layer)
    for section, names in RESPELT.items():
        values = layer.get(section)
        if not isinstance(values, Mapping) or not names.keys() & values.keys():
            continue
        values = dict(values)
        for old, new in names.items():
            if old in values:
                values.setdefault(new, values.pop(old))
                said.append(f"[{section}] {old} (in {where}) is deprecated: spell it {new}")
        out[section] = values
    return out


def _respelt_env(layer: dict[str, Any], defaults: Mapping[str, Any], environ: Mapping[str, str],
                 said: list[str]) -> dict[str, Any]:  # fmt: skip
    """The environment layer with the old spellings' variables (DAILYDIFF_GITHUB_MAX_RETRIES) read too."""
    for section, names in RESPELT.items():
        for old, new in names.items():
            env = f"{ENV_PREFIX}{section}_{old}".upper()
            if env in environ:
                values = layer.setdefault(section, {})
                values.setdefault(new, _parse_env_value(environ[env], defaults[section][new]))
                said.append(f"{env} is deprecated: spell it {ENV_PREFIX}{section.upper()}_{new.upper()}")
    return layer


def _say_respelt(said: list[str]) -> None:
    """Each deprecated spelling in one line on stderr, once per process."""
    for line in said:
        if line not in _said_respelt:
            _said_respelt.add(line)
            sys.stderr.write(f"dailydiff: warning: {line}\n")


def _env_layer(defaults: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """DAILYDIFF_<SECTION>_<KEY> for keys of the defaults' sections, DAILYDIFF_<KEY> for top-level keys.
    Values are parsed as TOML literals when they parse (numbers, booleans, lists), else taken as text."""
    layer: dict[str, Any] = {}
    for name, value in defaults.items():
        if isinstance(value, dict):
            for key in value:
                env = f"{ENV_PREFIX}{name}_{key}".upper()
                if env in environ:
                    layer.setdefault(name, {})[key] = _parse_env_value(environ[env], value[key])
        else:
            env = f"{ENV_PREFIX}{name}".upper()
            if env in environ:
                layer[name] = _parse_env_value(environ[env], value)
    return layer


def _env_names(defaults: Mapping[str, Any]) -> list[str]:
    """Every variable :func:`_env_layer` reads."""
    return [
        f"{ENV_PREFIX}{name}_{key}".upper() if isinstance(value, dict) else f"{ENV_PREFIX}{name}".upper()
        for name, value in defaults.items()
        for key in (value if isinstance(value, dict) else [name])
    ]


def unknown_environment(settings: Settings | ReadSettings, environ: Mapping[str, str]) -> str | None:
    """One warning naming every ``DAILYDIFF_*`` variable that nothing reads (a typo is otherwise silently
    ignored, where the same typo in the file is an error), with the closest known name."""
    if not any(n.upper().startswith(ENV_PREFIX) for n in environ):
        return None  # (most commands: nothing to look up)
    known = {*_env_names(_defaults()), *OTHER_ENVS}
    known |= {f"{ENV_PREFIX}{section}_{old}".upper() for section, names in RESPELT.items() for old in names}
    known |= set(_secret_envs(settings))  # what the *_env keys name, DAILYDIFF_ or not
    unknown = sorted(n for n in environ if n.upper().startswith(ENV_PREFIX) and n not in known)
    if not unknown:
        return None
    named = []
    for name in unknown:
        tails = {k[len(ENV_PREFIX) :]: k for k in known if k.startswith(ENV_PREFIX)}
        close = difflib.get_close_matches(name.upper()[len(ENV_PREFIX) :], sorted(tails), n=1, cutoff=0.75)
        named.append(f"{name} (did you mean {tails[close[0]]}?)" if close else name)
    return (
        f"unknown environment variable{'s' if len(named) > 1 else ''} {', '.join(named)} ignored — "
        f"settings are {ENV_PREFIX}<SECTION>_<KEY> (`dailydiff init` lists every setting)"
    )


def _parse_env_value(raw: str, default: Any) -> Any:
    if isinstance(default, str):
        return raw
    import tomllib

    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        if isinstance(default, list):
            return [part.strip() for part in raw.split(",") if part.strip()]
        return raw


def _has(layer: Mapping[str, Any], loc: tuple[str, ...]) -> bool:
    node: Any = layer
    for part in loc:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


@contextlib.contextmanager
def _no_pydantic_plugins() -> Iterator[None]:
    """The settings' validator is built (``defer_build``) without looking for pydantic plugins, as typer
    builds its options' adapters: the look is a scan of every installed package's entry points (about 10 ms
    of each command's start) for plugins dailydiff has no use for."""
    previous = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PYDANTIC_DISABLE_PLUGINS", None)
        else:
            os.environ["PYDANTIC_DISABLE_PLUGINS"] = previous


def load_settings(
    config_path: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Build the settings. ``overrides`` is a nested dict from flags (None values are ignored)."""
    return load_model(Settings, config_path, environ=environ, overrides=overrides, cwd=cwd)


def load_model(
    model: type[L],
    config_path: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    cwd: Path | None = None,
) -> L:
    """``model`` (:class:`Settings`, or :class:`ReadSettings` for a command that only reads the store) from
    the layers, as :func:`load_settings` builds it."""
    environ = os.environ if environ is None else environ
    defaults = _defaults()
    data = defaults
    source = "the defaults"
    if config_path is None:
        candidate = (cwd or Path.cwd()) / DEFAULT_CONFIG_NAME
        config_path = candidate if candidate.is_file() else None
    said: list[str] = []
    if config_path is not None:
        data = _merge(data, _respelt(_read_toml(config_path), str(config_path), said))
        source = str(config_path)
    env_layer = _respelt_env(_env_layer(defaults, environ), defaults, environ, said)
    data = _merge(data, env_layer)
    flags = _respelt(_drop_none(overrides or {}), "the command-line flags", said)
    if flags:
        data = _merge(data, flags)
    _say_respelt(said)

    def where(loc: tuple[str, ...]) -> str:
        if loc and _has(flags, loc):
            return "the command-line flags"
        if _has(env_layer, loc[:2]):
            return f"the environment variable {ENV_PREFIX}{'_'.join(loc[:2]).upper()}"
        return source

    key = kept.digest(model, data)
    settings = kept.load(model, key) if key else None  # the last run's, validated from the same data
    if settings is None:
        try:
            with _no_pydantic_plugins():
                settings = model.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(
                describe(exc, where, Settings, defaults_text),
                "fix it; `dailydiff init --defaults` lists every setting with its comment",
            ) from None
        if key and not _holds_secret(settings):
            kept.keep(settings, key)
    register_secrets(settings, environ)
    return settings


def _secret_envs(settings: Settings | ReadSettings) -> dict[str, str]:
    """The variables the ``*_env`` keys name, with the key that names each."""
    names = {settings.github.token_env: "github.token_env", settings.gitlab.token_env: "gitlab.token_env",
             settings.llm.api_key_env: "llm.api_key_env", settings.serve.mcp_token_env: "serve.mcp_token_env"}  # fmt: skip
    for i, entry in enumerate(settings.publish, 1):
        for field in ("url_env", "secret_env", "token_env", "password_env"):
            names[getattr(entry, field, "")] = f"publish[{i}].{field}"
    return {name: key for name, key in names.items() if name}


def named_secrets(settings: Settings | ReadSettings, environ: Mapping[str, str]) -> dict[str, str]:
    """Every secret these settings name, by where it comes from: the GitHub token, the LLM key, each
    publisher's webhook URL, signing secret, token and SMTP password (environment variables named by the
    ``*_env`` keys), and the password of a store URL or a repository URL."""
    names = {name: "" for name in (*GITHUB_TOKEN_ENVS, *GITLAB_TOKEN_ENVS)} | _secret_envs(settings)
    found = {
        f"{name} ({key})" if key else name: environ[name]
        for name, key in sorted(names.items())
        if name and environ.get(name, "").strip()
    }
    sources = [r.source for r in settings.repos]
    urls = {"store.url": settings.store.url} | {f"repos[{i}].source": s for i, s in enumerate(sources, 1)}
    for where, url in urls.items():
        password = storeurl.written_password(url)
        if password:
            found[f"the password in {where}"] = password
    return found


def _holds_secret(settings: Settings | ReadSettings) -> bool:
    """Whether a password or token is written in the settings themselves (a store URL's, a repository URL's
    user): such settings are never kept on disk (settings/kept.py)."""
    return bool(named_secrets(settings, {})) or any("@" in urlsplit(r.source).netloc for r in settings.repos)


def register_secrets(settings: Settings | ReadSettings, environ: Mapping[str, str]) -> None:
    """Every secret these settings name (:func:`named_secrets`), registered for the one scrub
    (common/secrets.py)."""
    secrets.register(*named_secrets(settings, environ).values())
    for repo in settings.repos:
        secrets.register_url_password(repo.source)  # a bare token as a URL's user


def _drop_none(mapping: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        if isinstance(value, Mapping):
            nested = _drop_none(value)
            if nested:
                out[key] = nested
        elif value is not None:
            out[key] = value
    return out
