"""Renderers: a registry from format name to a function DayReport → text.

The renderers load on first use (PEP 562): a command that renders no day (`notes`) does not pay for the
Markdown templates."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dailydiff.models import DayReport
    from dailydiff.render.json import load_report, render_json
    from dailydiff.render.markdown import render_markdown
    from dailydiff.settings import Settings

Renderer = Callable[["DayReport"], str]


def render_day_html(report: DayReport, **options: Any) -> str:
    """The day page as one self-contained file (render/html.py, imported on use: it loads the HTML
    sanitiser, which a Markdown-only run does not need)."""
    from dailydiff.render.html import render_day_html as render

    return render(report, **options)


def _renderers() -> dict[str, Renderer]:
    from dailydiff.render.json import render_json
    from dailydiff.render.markdown import render_markdown

    return {"md": render_markdown, "json": render_json, "html": render_day_html}


def renderers_for(settings: Settings) -> dict[str, Any]:
    """The renderers with the report settings applied (the user's templates, the TOC title width)."""
    from dailydiff.render.markdown import render_markdown

    md = partial(
        render_markdown,
        templates_dir=settings.report.templates_dir,
        toc_title_chars=settings.report.toc_title_chars,
        path_template=settings.report.path_template,
    )
    html = partial(
        render_day_html,
        templates_dir=settings.report.templates_dir,
        toc_title_chars=settings.report.toc_title_chars,
        site_title=settings.site.title,
    )
    return {**_renderers(), "md": md, "html": html}


_LAZY = {"load_report": "dailydiff.render.json", "render_json": "dailydiff.render.json",
         "render_markdown": "dailydiff.render.markdown"}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name == "RENDERERS":
        return _renderers()
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["RENDERERS", "load_report", "render_json", "render_markdown", "renderers_for"]
