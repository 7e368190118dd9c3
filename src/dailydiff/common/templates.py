"""The one Jinja environment builder, for every template we render: reports and digests in Markdown,
the site and weekly pages in HTML, the prompts.

Always: undefined variables are errors, the user's templates directory is searched before ours, blocks do
not leave blank lines. Per format: HTML is autoescaped; Markdown gets the escaping filters for untrusted
text (``md_inline``, ``md_cell``, ``md_block``); outputs (Markdown and HTML, not prompts) pass every
``{{ value }}`` through the output policy — no control character, no registered secret — on its way out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jinja2
from markupsafe import Markup

from dailydiff.common.text import md_block, md_cell, md_inline, output_text
from dailydiff.errors import UserTemplateError

Format = Literal["md", "html", "prompt"]

_FILTERS: dict[Format, dict[str, Callable[..., Any]]] = {
    "md": {"md_inline": md_inline, "md_cell": md_cell, "md_block": md_block},
    "html": {},
    "prompt": {},
}


def output_value(value: Any) -> Any:
    """What every ``{{ value }}`` of an output template becomes: text without control characters or
    secrets (already escaped markup stays markup); anything else (numbers, undefined) is left to Jinja."""
    if isinstance(value, Markup):
        return Markup(output_text(str(value)))
    if isinstance(value, str):
        return output_text(value)
    return value


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs, so a command does not compile the report template each time
    it starts (Jinja's per-user cache directory; a changed template is recompiled). Skipped when the
    directory cannot be read or written."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


_USER_TEMPLATE_HINT = (
    "fix it (see the built-in one of that name), or empty templates_dir for the built-in templates"
)


def _user_error(
    filename: str | None, templates_dir: str, exc: jinja2.TemplateError
) -> UserTemplateError | None:
    """A failure in one of the user's own templates is theirs to fix: one line naming the file."""
    if not templates_dir or not filename:
        return None
    try:
        inside = Path(filename).resolve().is_relative_to(Path(templates_dir).resolve())
    except OSError:
        return None
    return (
        UserTemplateError(f"your template {filename} failed: {exc}", _USER_TEMPLATE_HINT) if inside else None
    )


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Errors in the user's templates (``templates_dir``) become UserTemplateError; ours stay internal errors."""

    templates_dir = ""

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute`` as Jinja looks it up (the attribute, else the item), but a plain dict's key
        straight away: Jinja's way goes through a failed attribute lookup, an exception for every cell of
        a table (most of a 365-row page's cost). Same result: a dict has no attribute but ``dir(dict)``'s."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def get_template(self, *args: Any, **kwargs: Any) -> jinja2.Template:
        try:
            return super().get_template(*args, **kwargs)
        except jinja2.TemplateSyntaxError as exc:
            raise (_user_error(exc.filename, self.templates_dir, exc) or exc) from None


class _Template(jinja2.Template):
    def render(self, *args: Any, **kwargs: Any) -> str:
        try:
            return super().render(*args, **kwargs)
        except jinja2.TemplateError as exc:
            assert isinstance(self.environment, _Environment)  # the one that makes these templates
            error = _user_error(self.filename, self.environment.templates_dir, exc)
            if error is None:
                raise
            raise error from None


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    try:
        return _BytecodeCache(pattern="__dailydiff_%s.cache")
    except (OSError, RuntimeError):  # no private temporary directory to be had
        return None


def environment(
    fmt: Format,
    package_dir: str,
    templates_dir: str = "",
    *,
    filters: Mapping[str, Callable[..., Any]] | None = None,
) -> jinja2.Environment:
    """The environment for templates of ``fmt`` under ``dailydiff/<package_dir>``, with the user's
    ``templates_dir`` (if any) searched first. Cached: the same arguments give the same environment."""
    return _environment(fmt, package_dir, templates_dir, tuple(sorted((filters or {}).items())))


@lru_cache(maxsize=16)
def _environment(
    fmt: Format, package_dir: str, templates_dir: str, filters: tuple[tuple[str, Callable[..., Any]], ...]
) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir:
        loaders.append(jinja2.FileSystemLoader(templates_dir))
    loaders.append(jinja2.PackageLoader("dailydiff", package_dir))
    env = _Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=fmt == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=fmt != "prompt",
        finalize=None if fmt == "prompt" else output_value,
        bytecode_cache=_bytecode_cache(),
    )
    env.templates_dir = templates_dir
    env.template_class = _Template
    env.filters.update(_FILTERS[fmt])
    env.filters.update(dict(filters))
    return env
