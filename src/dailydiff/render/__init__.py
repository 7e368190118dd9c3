"""Renderers: a registry from format name to a function DayReport → text."""

from __future__ import annotations

from collections.abc import Callable

from ..models import DayReport
from .json import load_report, render_json
from .markdown import render_markdown

Renderer = Callable[[DayReport], str]

RENDERERS: dict[str, Renderer] = {"md": render_markdown, "json": render_json}

__all__ = ["RENDERERS", "load_report", "render_json", "render_markdown"]
