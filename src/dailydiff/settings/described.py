"""A settings validation error described in one line: which key, where it was set, what is wrong."""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from dailydiff.settings.publishers import PUBLISH_TYPES


def _key_path(loc: tuple[int | str, ...]) -> str:
    """('repos', 1, 'source') -> 'repos[2].source': list positions count from 1, like entries in a file."""
    key = ""
    for part in loc:
        key += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def describe(
    exc: ValidationError,
    where: Callable[[tuple[str, ...]], str],
    root: type[BaseModel],
    defaults_text: Callable[[], str],
) -> str:
    """The first problem of ``exc`` in one line: the key (``repos[2].source``), where it was set
    (``where``), what is wrong, a "did you mean" for a misspelt key (the names valid under ``root``; a
    table of names to values is listed by the defaults), never a secret's value."""
    errors = exc.errors()
    first = errors[0]
    if first["type"] == "missing":  # a misspelt key is why a required one is missing: name the misspelling
        table = tuple(first["loc"][:-1])
        first = next(
            (e for e in errors if e["type"] == "extra_forbidden" and tuple(e["loc"][:-1]) == table), first
        )
    loc = tuple(str(part) for part in first["loc"])
    key = _key_path(first["loc"])
    if not key and first["type"] == "value_error":
        # A check across entries: its message already starts with the key (repos[2].watch: …), which says
        # where it was set (the whole model's location, empty, would say nothing).
        problem = first["msg"].removeprefix("Value error, ")
        named = re.match(r"[a-z_]+", problem)
        return f"invalid setting in {where((named.group(0),) if named else loc)}: {problem}"
    return f"invalid setting {key!r} in {where(loc)}: {_problem(first, loc, root, defaults_text)}"


def _problem(
    first: Any, loc: tuple[str, ...], root: type[BaseModel], defaults_text: Callable[[], str]
) -> str:
    """What is wrong with one setting, in words."""
    problem = (
        str(first["msg"]).removeprefix("Value error, ") if first["type"] == "value_error" else first["msg"]
    )
    if first["type"] == "extra_forbidden":
        close = difflib.get_close_matches(
            loc[-1], _known_keys(loc[:-1], root, defaults_text), n=1, cutoff=0.6
        )
        return "unknown setting" + (f"; did you mean {close[0]!r}?" if close else "")
    if first["type"] == "missing":
        return "missing"
    if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
        got = f"unknown type {first['ctx']['tag']!r}" if first["type"] == "union_tag_invalid" else "no type"
        return f"{got}; valid types: {', '.join(PUBLISH_TYPES)}"
    if "input" in first and not isinstance(first["input"], dict | list) and not _secret_setting(loc):
        return f"{problem} (got {first['input']!r})"
    return problem


def _secret_setting(loc: tuple[str, ...]) -> bool:
    """A setting whose value may be a secret, so is never quoted: a store URL (its password), an ``*_env``
    key that holds a value instead of a name."""
    return loc[:2] == ("store", "url") or (bool(loc) and loc[-1].endswith("_env"))


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Every settings model an annotation holds: ``list[Entry]``, ``A | B``, ``Annotated[...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _known_keys(loc: tuple[str, ...], root: type[BaseModel], defaults_text: Callable[[], str]) -> list[str]:
    """The setting names valid at ``loc`` (a table of the settings), for "did you mean" hints."""
    models: list[type[BaseModel]] = [root]
    for part in loc:
        if part.isdigit():
            continue  # an entry of a list: its type was taken with the list
        tagged = [
            m
            for m in models
            if part in typing.get_args(m.model_fields.get("type") and m.model_fields["type"].annotation)
        ]
        if tagged:  # a publisher entry is reported under its type: publish[1].slack.<key>
            models = tagged
            continue
        holders = [m for m in models if part in m.model_fields]
        if not holders:
            break
        found = _models_in(holders[0].model_fields[part].annotation)
        if not found:  # a table of names to values (weights, prices): the defaults list them
            return _default_names(loc, defaults_text)
        models = found
    return sorted({field.alias or name for m in models for name, field in m.model_fields.items()})


def _default_names(loc: tuple[str, ...], defaults_text: Callable[[], str]) -> list[str]:
    """The names the defaults give the table at ``loc``."""
    import tomllib  # an error's hint only

    node: Any = tomllib.loads(defaults_text())
    for key in loc:
        node = node.get(key, {}) if isinstance(node, Mapping) else {}
    return list(node) if isinstance(node, Mapping) else []
