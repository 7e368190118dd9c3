"""A release's notes as an edition (pure): its files (``md`` — a Keep a Changelog section —, ``json``,
``html``, and ``release``, the forge's release body), its chat message and its mail, keyed in the delivery
ledger by repository and tag (``release:<repo>@<tag>``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from dailydiff.common import placeholders
from dailydiff.render.notes import NOTES_FORMATS, ReleaseNotes, render_notes, words
from dailydiff.settings.notes import NOTES_PATH_PLACEHOLDERS

if TYPE_CHECKING:  # the chat message and the edition where they are made: `notes` to stdout needs neither
    from dailydiff.render.chat import Message
    from dailydiff.render.edition import Edition
    from dailydiff.settings import Settings

LEDGER_PREFIX = "release:"


def tag_slug(tag: str) -> str:
    """A tag as a file name: what is not a word character, ``.``, ``+`` or ``-`` becomes ``_``."""
    return re.sub(r"[^\w.+-]", "_", tag).strip(".") or "_"


def ledger_repo(repo: str, tag: str) -> str:
    """The ledger's id of a release: no repository has it (a repository id never starts so)."""
    return f"{LEDGER_PREFIX}{repo}@{tag}"


def notes_values(notes: ReleaseNotes, ext: str = "md") -> dict[str, Any]:
    return {**placeholders.repo_values(notes.repo), "tag": tag_slug(notes.tag), "year": f"{notes.date.year:04d}",
            "lang": notes.language, "ext": ext, "date": notes.date.isoformat(), "tag_name": notes.tag,
            "total": notes.figures.commits}  # fmt: skip


def release_message(notes: ReleaseNotes, link: str | None, most: int) -> Message:
    """The chat message: the overview, then each group's lines (at most ``most`` in all)."""
    from dailydiff.render.chat import Line, Message, Section, Span, one_line

    w = words(notes.language)
    sections = [Section(w["overview"], [(Span(one_line(notes.overview)),)])] if notes.overview else []
    left = most
    for group, found in notes.grouped():
        shown = found[: max(0, left)]
        left -= len(shown)
        lines: list[Line] = [(Span(one_line(e.text), url=e.pr_url or e.commits[0].url, bold=True), Span(" ", trusted=True),
                  Span(e.commits[0].sha[:7], code=True, trusted=True)) for e in shown]  # fmt: skip
        sections.append(Section(f"{w[group]} ({len(found)})", lines, omitted=len(found) - len(shown)))
    counts = f"{notes.figures.commits} commits · {notes.base}..{notes.head}"
    return Message(title=w["title"].format(repo=notes.repo, tag=notes.tag), counts=counts, sections=sections,
                   report_url=link, language=notes.language)  # fmt: skip


def release_edition(notes: ReleaseNotes, settings: Settings) -> Edition:
    """A release's notes, for every target: files below ``[notes] path_template``, the message, the mail."""
    from dailydiff.render.edition import Edition, UnitKey

    renderers: dict[str, Callable[[], str]] = {
        fmt: partial(render_notes, notes, fmt) for fmt in NOTES_FORMATS
    }

    def path(fmt: str, _template: str) -> PurePosixPath:
        return placeholders.fill_path(settings.notes.path_template, notes_values(notes, fmt),
                                      NOTES_PATH_PLACEHOLDERS)  # fmt: skip

    title = words(notes.language)["title"].format(repo=notes.repo, tag=notes.tag)
    return Edition(
        "release",
        UnitKey(ledger_repo(notes.repo, notes.tag), notes.date, notes.language),
        title,
        renderers=renderers,
        values=lambda ext: notes_values(notes, ext),
        path=path,
        message=lambda link, most: release_message(notes, link, most),
        subject=title,
        link=None,  # the site has no page per release yet: no link to a page nobody writes
        empty="" if notes.entries else "no commits in the release",
    )


__all__ = ["LEDGER_PREFIX", "ledger_repo", "release_edition", "tag_slug"]
