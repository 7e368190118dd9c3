"""The settings' light sections: where the store is, the search's section, and :class:`ReadSettings`, the
model of a command that only reads the store (`search`, `ask --no-llm`). Nothing here imports the models of
the publishers, runs or watches (settings/whole.py holds :class:`Settings` and them): a search never loads them.
"""

# Annotations are evaluated as Python evaluates them, not from text (no `from __future__ import annotations`):
# pydantic would compile each field's annotation at import, about 0.3 ms a model of every command's start.

from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dailydiff.common import storeurl
from dailydiff.settings.paths import data_path_of


class _Section(BaseModel):
    # defer_build: a model's validator is built when first used, not at import (start-up time).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class SearchSettings(_Section):
    embedding_model: str
    embedding_base_url: str
    embedding_batch: int = Field(ge=1, le=2048)
    embedding_timeout: float = Field(default=10.0, gt=0)
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
        return data_path_of(self.data_dir)


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
