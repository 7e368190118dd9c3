"""The ``[notes]`` section: release notes (`dailydiff notes`) and the release unit of `run`."""

# Annotations are evaluated as Python evaluates them, not from text (no `from __future__ import annotations`):
# pydantic would compile each field's annotation at import, about 0.3 ms a model of every command's start.

import re
from typing import Literal

from pydantic import Field, field_validator

from dailydiff.common import placeholders
from dailydiff.settings.sections import _Section

NOTES_PATH_PLACEHOLDERS = frozenset({"tag", "year", "repo_slug", "repo_name", "owner", "lang", "ext"})


class NotesSettings(_Section):
    on_tag: bool = False  # `run` builds the notes of every new tag and delivers them once per target
    draft: bool = True  # a forge release is created or updated as a draft; false publishes it
    release: bool = False  # `run` also creates or updates the forge release of each new tag
    tag_pattern: str = r"^v?\d"  # the tags that are releases (a regular expression)
    lookback_days: int = Field(default=7, ge=1, le=3650)  # a tag made this long ago or later is new
    audience: Literal["engineer", "user"] = "engineer"
    llm: Literal["auto", "always", "never"] = "auto"  # when the LLM writes the notes' overview and lines
    path_template: str = "{repo_name}/releases/{tag}.{ext}"

    @field_validator("tag_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @field_validator("path_template")
    @classmethod
    def _path(cls, value: str) -> str:
        return placeholders.check(value, NOTES_PATH_PLACEHOLDERS, path=True)
