"""The ``[eval]`` section: the endpoints `dailydiff eval` puts side by side (``[[eval.endpoints]]``)."""

# Annotations are evaluated as Python evaluates them, not from text (no `from __future__ import annotations`):
# pydantic would compile each field's annotation at import, about 0.3 ms a model of every command's start.

import re
from typing import Any, TypeVar

from pydantic import ConfigDict, Field, field_validator, model_validator

from dailydiff.settings.publishers import EnvName
from dailydiff.settings.sections import _Section

M = TypeVar("M", bound=_Section)  # [llm]'s model (settings/whole.py imports this module, not the other way)

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
RULES = "rules"  # the rules analyser's row: a name no entry may take


class EvalEndpoint(_Section):
    """One endpoint of the table: its name, where it is, and any key of ``[llm]`` (unset: ``[llm]``'s)."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    name: str
    base_url: str | None = None
    model: str | None = None
    api_key_env: EnvName | None = None

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not _NAME.fullmatch(value) or value == RULES:
            raise ValueError(f"{value!r}: letters, digits, . _ - (at most 64), and not {RULES!r}")
        return value

    def llm(self, base: M) -> M:
        """``[llm]`` with this entry's keys over it (checked as ``[llm]`` is)."""
        own: dict[str, Any] = {k: v for k, v in self.model_dump(exclude={"name"}).items() if v is not None}
        return type(base).model_validate({**base.model_dump(), **own})


class EvalSettings(_Section):
    sample: int = Field(default=50, ge=1, le=10_000)  # commits of the stored history, without --sample
    judge_claims: int = Field(default=40, ge=1, le=10_000)  # claims a --judge rules on at most
    endpoints: list[EvalEndpoint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> "EvalSettings":
        names = [e.name for e in self.endpoints]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"[[eval.endpoints]] names must differ: {', '.join(twice)} is used twice")
        return self

    def check_keys(self, llm_keys: set[str]) -> None:
        """Every key of every entry is ``name`` or a key of ``[llm]`` (Settings checks it: it knows [llm])."""
        for i, entry in enumerate(self.endpoints, 1):
            unknown = sorted(set(entry.model_extra or {}) - llm_keys)
            if unknown:
                raise ValueError(f"eval.endpoints[{i}]: unknown key(s) {', '.join(unknown)}: an entry takes "
                                 "name and the keys of [llm]")  # fmt: skip
