"""Alerts as editions (pure): one commit that fired a ``[[watch]]`` topic, or several folded into one
message (a burst over ``max_per_hour``, or what quiet hours held).

An alert is short: the commit's title, level and types, the topic that fired and why, the summary when an
analysis exists, and the link. Every text from the commit or the analysis is untrusted: chat spans go
through ``one_line``, Markdown through ``md_inline``, JSON through ``output_tree`` (common/text.py).

Ledger keys (engine/deliver.py keys a delivery by the edition's ``UnitKey`` and the target):
``alert:<repo>@<sha>#<topic>`` for one alert — sent exactly once per commit, topic and target whoever
triggers it — and ``alerts:<publisher>#<hash of its alerts>`` for a folded message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from dailydiff.common import i18n
from dailydiff.common.text import md_inline, output_tree, safe_url
from dailydiff.models import Level
from dailydiff.render.chat import MARKS, Line, Message, Section, Span, commit_line, cut, one_line
from dailydiff.render.edition import Edition, UnitKey

WHY_CHARS = 300  # a reason quoted in a message (a diff line can be long)


@dataclass(frozen=True)
class AlertItem:
    """One commit × one topic that fired, with what its message says."""

    repo: str
    sha: str
    topic: str
    why: tuple[str, ...]
    title: str
    level: Level
    types: tuple[str, ...]
    summary: str
    url: str | None
    committed_at: dt.datetime
    date: dt.date  # the commit's day in its repository's timezone (the day report it belongs to)
    language: str
    timezone: str

    @property
    def ledger_repo(self) -> str:
        return f"alert:{self.repo}@{self.sha}#{self.topic}"

    @property
    def key(self) -> UnitKey:
        return UnitKey(self.ledger_repo, self.date, self.language)

    def as_data(self) -> dict[str, Any]:
        zone = ZoneInfo(self.timezone)
        return {"repo": self.repo, "sha": self.sha, "topic": self.topic, "why": list(self.why), "title": self.title,
                "level": self.level.value, "types": list(self.types), "summary": self.summary, "url": self.url,
                "committed_at": self.committed_at.astimezone(zone).isoformat()}  # fmt: skip


def alert_title(item: AlertItem) -> str:
    return str(i18n.words("alert", item.language)["title"]).format(
        rule=one_line(item.topic), repo=one_line(item.repo), title=cut(one_line(item.title) or "—", 120)
    )


def _facts(item: AlertItem) -> str:
    return str(i18n.words("alert", item.language)["line"]).format(
        level=f"{MARKS[item.level]} {item.level.value}", types=", ".join(item.types) or "—", sha=item.sha[:7]
    )


def _message(item: AlertItem) -> Message:
    W = i18n.words("alert", item.language)
    why: list[Line] = [
        (Span("• ", trusted=True), Span(cut(one_line(reason), WHY_CHARS))) for reason in item.why
    ]
    sections = [Section(str(W["why"]).format(rule=one_line(item.topic)), why)]
    if item.summary.strip():
        sections.append(Section(str(W["summary"]), [(Span(cut(one_line(item.summary), 600)),)]))
    link = safe_url(item.url)
    return Message(title=alert_title(item), counts=_facts(item), sections=sections, report_url=link,
                   language=item.language)  # fmt: skip


def _markdown(item: AlertItem) -> str:
    W = i18n.words("alert", item.language)
    lines = [f"# {md_inline(alert_title(item))}", "", md_inline(_facts(item)), ""]
    lines.append(f"**{md_inline(str(W['why']).format(rule=item.topic))}**")
    lines += [f"- {md_inline(cut(one_line(reason), WHY_CHARS))}" for reason in item.why]
    if item.summary.strip():
        lines += ["", f"**{md_inline(str(W['summary']))}**", "", md_inline(one_line(item.summary))]
    url = safe_url(item.url)
    if url:
        lines += ["", f"<{url}>"]
    return "\n".join(lines) + "\n"


def _json(body: dict[str, Any]) -> str:
    return json.dumps(output_tree(body), ensure_ascii=False, indent=2) + "\n"


def _values(key: UnitKey, repo: str, ext: str) -> dict[str, Any]:
    return {"year": f"{key.date.year:04d}", "month": f"{key.date.month:02d}", "day": f"{key.date.day:02d}",
            "date": key.date.isoformat(), "repo": repo, "repo_name": repo.rsplit("/", 1)[-1], "owner": "",
            "lang": key.language, "ext": ext}  # fmt: skip


def _path(key: UnitKey, fmt: str, _template: str) -> PurePosixPath:
    """Where a files target would keep it (alerts go to chat and webhooks; files update in place)."""
    name = hashlib.sha256(key.repo.encode()).hexdigest()[:16]
    return PurePosixPath("alerts", f"{key.date.year:04d}", f"{key.date.isoformat()}-{name}.{fmt}")


def alert_edition(item: AlertItem) -> Edition:
    """One commit that fired one topic."""
    key = item.key
    return Edition(
        "alert",
        key,
        alert_title(item),
        renderers={
            "md": partial(_markdown, item),
            "json": lambda: _json({"kind": "alert", **item.as_data()}),
        },
        values=partial(_values, key, item.repo),
        path=partial(_path, key),
        message=lambda _link, _most: _message(item),
        subject=alert_title(item),
        link=safe_url(item.url),
    )


def folded_key(target: str, items: Sequence[AlertItem], date: dt.date, language: str) -> UnitKey:
    shas = ",".join(sorted(i.ledger_repo for i in items))
    return UnitKey(f"alerts:{target}#{hashlib.sha256(shas.encode()).hexdigest()[:16]}", date, language)


def folded_edition(target: str, items: Sequence[AlertItem], *, quiet: str = "", most: int = 0,
                   date: dt.date, language: str) -> Edition:  # fmt: skip
    """Several alerts for one target as one message: a burst over ``most`` an hour, or what the quiet
    hours ``quiet`` held. Each alert is one line: its commit, the topic and the first reason."""
    W = i18n.words("alert", language)
    key = folded_key(target, items, date, language)
    title = (str(W["quiet_title"]).format(n=len(items), quiet=quiet) if quiet
             else str(W["folded_title"]).format(n=len(items), target=one_line(target), most=most))  # fmt: skip

    def line(item: AlertItem) -> tuple[Span, ...]:
        first = item.why[0] if item.why else ""
        return commit_line(item.level, item.title, item.url, item.sha, watch=[item.topic],
                           summary=first, repo=item.repo, language=language)  # fmt: skip

    def message(_link: str | None, _most: int) -> Message:
        return Message(title=title, counts=title, sections=[Section(str(W["folded"]), [line(i) for i in items])],
                       report_url=None, language=language)  # fmt: skip

    def markdown() -> str:
        lines = [f"# {md_inline(title)}", ""]
        for item in items:
            url = safe_url(item.url)
            text = f"[{md_inline(item.title or '—')}]({url})" if url else md_inline(item.title or "—")
            first = md_inline(cut(one_line(item.why[0]), WHY_CHARS)) if item.why else ""
            lines.append(f"- {MARKS[item.level]} {md_inline(item.repo)} · 👀 {md_inline(item.topic)} · {text} "
                         f"(`{item.sha[:7]}`) — {first}")  # fmt: skip
        return "\n".join(lines) + "\n"

    def data() -> str:
        return _json({"kind": "alerts", "reason": "quiet" if quiet else "burst", "title": title,
                      "alerts": [i.as_data() for i in items]})  # fmt: skip

    return Edition(
        "alerts",
        key,
        title,
        renderers={"md": markdown, "json": data},
        values=partial(_values, key, target),
        path=partial(_path, key),
        message=message,
        subject=title,
    )
