"""A Message as each chat service's payloads, split to the service's limits (pure).

Limits (from the services' documentation): WeCom group bot markdown ``content`` ≤ 4,096 UTF-8 bytes;
Discord ``content`` ≤ 2,000 characters; Slack ≤ 50 blocks per message, a section's text ≤ 3,000
characters, a header's ≤ 150; DingTalk custom robot markdown ≤ 20,000 bytes; Feishu/Lark custom bot
request body ≤ 20 KB; Microsoft Teams (Workflows or incoming webhook) message ≤ 28 KB. We stay a little under each. Lines are never cut: a day that does not fit one
message is split between lines (a section heading stays with its first line) into numbered parts;
beyond ``max_messages`` parts the remaining lines are summarised as "N more" with the report link.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dailydiff.render.chat import Line, Message, Span, Unit, cut, link_line, pack, shrink_line

WECOM_BYTES = 4096
DISCORD_CHARS = 2000
SLACK_SECTION_CHARS = 3000
SLACK_HEADER_CHARS = 150
SLACK_MAX_BLOCKS = 50
SLACK_MESSAGE_CHARS = 12000  # keeps one message readable; Slack itself truncates `text` at 40,000
DINGTALK_BYTES = 20000
FEISHU_BODY_BYTES = 20000
TEAMS_BODY_BYTES = 28 * 1000  # Teams: "the message size limit is 28 KB" (the whole request body)


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def utf16_size(text: str) -> int:
    """Characters as JavaScript counts them (Discord's clients): astral characters count twice."""
    return len(text.encode("utf-16-le")) // 2


# --- escaping --------------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\*_~`|>#\[\]()<])")
# Characters that open markup in DingTalk's and WeCom's Markdown (emphasis, links, HTML, tables, escapes).
# An underscore inside a word (`cake_mamba`, `fp8_e4m3`) opens no emphasis, and a lone tilde (a range's
# `~`) no strikethrough: neither puts a word in a code span.
_MARKUP = re.compile(r"[*\[\]<>\\]|~~|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|\|(?!$)|(?<!^)\|")
_TOKENS = re.compile(r"(\s+)")
_CODE_SPANS = re.compile(r"(`[^`\n]+`)")


def escape_markdown(text: str) -> str:
    """Backslash escapes for every character that opens Markdown (Discord, Teams)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def escape_discord(text: str) -> str:
    """Backslash escapes, except in the text's own code spans (nothing in one is markup: they stay code, as
    in Slack, DingTalk and WeCom); a zero-width space after @ so no @everyone / @role ever pings."""
    pieces = _CODE_SPANS.split(text)
    return "".join(piece if i % 2 else escape_markdown(piece) for i, piece in enumerate(pieces)).replace(
        "@", "@\u200b"
    )


def escape_slack(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_slack_mrkdwn(text: str) -> str:
    """Slack's mrkdwn has no escape for a backtick: the text's own code spans stay code, and a backtick
    outside them (a lone one in a title) becomes an apostrophe — else it pairs with the next code span of
    the message (the sha's) and turns everything between into code."""
    pieces = _CODE_SPANS.split(escape_slack(text))
    return "".join(piece if i % 2 else piece.replace("`", "'") for i, piece in enumerate(pieces))


def escape_code_spans(text: str) -> str:
    """DingTalk's and WeCom's Markdown dialects document no escape syntax, and text must stay copyable
    and ASCII (`jax_tvm_ffi`, `#3082`, `[Bugfix]`; no full-width look-alikes), so: a code span the text
    already has stays one (nothing in it is markup); elsewhere a word with a character that opens markup
    (``* [ ] < > \\``, ``~~``, ``_`` at a word's edge, or ``|`` beside other characters: a table row) goes in
    a code span, a word with a backtick in a double-backtick span. A lone ``|`` (a separator) and ``#`` (a
    heading needs it at the start of a line, and a chat line starts with our own marker) stay as they are."""
    out = []
    for i, piece in enumerate(_CODE_SPANS.split(text)):
        if i % 2:  # a code span of the text
            out.append(piece)
            continue
        for token in _TOKENS.split(piece):
            if "`" in token:
                token = f"`` {token} ``"
            elif _MARKUP.search(token):
                token = f"`{token}`"
            out.append(token)
    return "".join(out)


def escape_dingtalk(text: str) -> str:
    """DingTalk's Markdown subset has headings, quotes, emphasis, links, images and lists, but no code
    spans: a code span the text writes (an overview's `path`) would show its backticks, so one with nothing
    that opens markup is its content; the rest is escaped as WeCom's (which does render code spans)."""
    plain = _CODE_SPANS.sub(lambda m: m.group(0) if _MARKUP.search(m.group(0)) else m.group(0)[1:-1], text)
    return escape_code_spans(plain)


@dataclass(frozen=True)
class Style:
    escape: Callable[[str], str]
    link: Callable[[str, str], str]
    bold: Callable[[str], str]
    code: Callable[[str], str]
    heading: Callable[[str], str]
    title: Callable[[str], str]
    size: Callable[[str], int]
    joiner: str = "\n"


def render_line(line: Line, style: Style) -> str:
    out = []
    for span in line:
        text = style.escape(span.text)
        if span.code:
            text = style.code(span.text)
        elif span.url:
            text = style.link(text, span.url)
        elif span.bold:
            text = style.bold(text)
        if span.bold and span.url:
            text = style.bold(text)
        out.append(text)
    return "".join(out)


_MD_STYLE = dict(bold=lambda t: f"**{t}**", code=lambda t: f"`{t}`")
DISCORD = Style(escape=escape_discord, link=lambda t, u: f"[{t}](<{u}>)", heading=lambda t: f"**{t}**",
                title=lambda t: f"## {t}", size=utf16_size, **_MD_STYLE)  # type: ignore[arg-type]  # fmt: skip
WECOM = Style(escape=escape_code_spans, link=lambda t, u: f"[{t}]({u})", heading=lambda t: f"**{t}**",
              title=lambda t: f"### {t}", size=utf8_size, **_MD_STYLE)  # type: ignore[arg-type]  # fmt: skip
DINGTALK = Style(escape=escape_dingtalk, link=lambda t, u: f"[{t}]({u})", heading=lambda t: f"#### {t}",
                 title=lambda t: f"### {t}", size=utf8_size, joiner="\n\n", **_MD_STYLE)  # type: ignore[arg-type]  # fmt: skip
SLACK = Style(escape=escape_slack_mrkdwn, link=lambda t, u: f"<{u.replace('|', '%7C')}|{t.replace('|', '∣')}>",
              bold=lambda t: f"*{t}*", code=lambda t: f"`{t}`", heading=lambda t: f"*{t}*",
              title=lambda t: t, size=len)  # fmt: skip


def _units(digest: Message, render: Callable[[Line], str], heading: Callable[[str], str], counts: str,
           size: Callable[[str], int], line_limit: int) -> list[Unit]:  # fmt: skip
    # the counts line under the title, unless it would only say the title again (an addendum's is its title)
    units = [Unit(counts)] if digest.counts and digest.counts != digest.title else []
    for section in digest.sections:
        units.append(Unit(heading(section.title), keep_with_next=True))
        for i, line in enumerate(section.lines, 1):
            # the closing "N more" line of a section stands for the items it counts
            items = section.omitted if section.omitted and i == len(section.lines) else 1
            units.append(Unit(render(shrink_line(line, render, size, line_limit)), items=items))
    link = link_line(digest)
    if link is not None:
        units.append(Unit(render(link)))
    return units


def _limit_parts(parts: list[list[Unit]], max_messages: int, more: Unit, budget: int,
                 size: Callable[[str], int], joiner_size: int) -> list[list[Unit]]:  # fmt: skip
    """At most ``max_messages`` parts; the lines that do not fit are counted in a final "more" line."""
    if len(parts) <= max_messages:
        return parts
    kept = parts[:max_messages]
    dropped = sum(u.items for part in parts[max_messages:] for u in part)
    last = kept[-1]
    while last and sum(size(u.text) + joiner_size for u in last) + size(more.text) + joiner_size > budget:
        dropped += last.pop().items
    while last and last[-1].keep_with_next:
        last.pop()
    last.append(Unit(more.text.replace("{n}", str(dropped))))
    return kept


def text_messages(
    digest: Message, style: Style, budget: int, max_messages: int, line_limit: int | None = None
) -> list[str]:
    """The digest as one or more Markdown/mrkdwn texts, each within ``budget`` by ``style.size``."""
    words = digest.words()
    joiner_size = style.size(style.joiner)
    header_reserve = style.size(style.title(style.escape(digest.title) + words["part"].format(i=99, n=99)))
    body_budget = budget - header_reserve - joiner_size

    def render(line: Line) -> str:
        return render_line(line, style)

    limit = min(body_budget, line_limit or body_budget)
    units = _units(digest, render, lambda t: style.heading(style.escape(t)), style.escape(digest.counts),
                   style.size, limit)  # fmt: skip
    parts = pack(units, body_budget, style.size, joiner_size)
    more = Unit(render(_more_template(digest)))
    parts = _limit_parts(parts, max_messages, more, body_budget, style.size, joiner_size)
    messages = []
    for i, part in enumerate(parts, 1):
        marker = words["part"].format(i=i, n=len(parts)) if len(parts) > 1 else ""
        header = style.title(style.escape(digest.title) + marker)
        messages.append(style.joiner.join([header, *(u.text for u in part)]))
    return messages


def _more_template(digest: Message) -> Line:
    words = digest.words()
    key = "more" if digest.report_url else "more_no_link"
    return (Span(words[key], url=digest.report_url, trusted=True),)


# --- services --------------------------------------------------------------------------------------


def discord_payloads(digest: Message, max_messages: int) -> list[dict[str, Any]]:
    return [{"content": text, "allowed_mentions": {"parse": []}}
            for text in text_messages(digest, DISCORD, DISCORD_CHARS - 20, max_messages)]  # fmt: skip


def wecom_payloads(digest: Message, max_messages: int) -> list[dict[str, Any]]:
    return [{"msgtype": "markdown", "markdown": {"content": text}}
            for text in text_messages(digest, WECOM, WECOM_BYTES - 64, max_messages)]  # fmt: skip


def dingtalk_payloads(digest: Message, max_messages: int) -> list[dict[str, Any]]:
    title = cut(digest.title, 60)
    return [{"msgtype": "markdown", "markdown": {"title": title, "text": text}}
            for text in text_messages(digest, DINGTALK, DINGTALK_BYTES - 500, max_messages)]  # fmt: skip


def slack_payloads(digest: Message, max_messages: int) -> list[dict[str, Any]]:
    words = digest.words()
    texts = text_messages(
        digest, SLACK, SLACK_MESSAGE_CHARS, max_messages, line_limit=SLACK_SECTION_CHARS - 100
    )
    payloads = []
    for i, text in enumerate(texts, 1):
        lines = text.split("\n")
        marker = words["part"].format(i=i, n=len(texts)) if len(texts) > 1 else ""
        header = cut(digest.title, SLACK_HEADER_CHARS - len(marker) - 2) + marker
        sections = pack([Unit(line) for line in lines[1:]], SLACK_SECTION_CHARS - 50, len, 1)
        blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": header}}]
        for section in sections:
            body = "\n".join(u.text for u in section)
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body}})
        said = f"{header}: {digest.counts}" if digest.counts and digest.counts != digest.title else header
        payloads.append({"text": escape_slack(said), "blocks": blocks})
    return payloads


_TEXT_BLOCK = {"type": "TextBlock", "wrap": True, "spacing": "Small"}
# What one TextBlock around a line adds to the body: its JSON, without the text.
_TEXT_BLOCK_BYTES = len(json.dumps({**_TEXT_BLOCK, "text": ""}, separators=(",", ":"))) + 1


def _teams_size(text: str) -> int:
    """What ``text`` costs in a card: each line is a TextBlock, its text a JSON string."""
    return sum(
        utf8_size(json.dumps(line, ensure_ascii=False)) + _TEXT_BLOCK_BYTES for line in text.split("\n")
    )


# Adaptive Card TextBlocks in Teams render a Markdown subset — bold, italic, lists, links — and show every
# other character as written (no headings, quotes, code or HTML): only the characters of that subset are
# backslash-escaped, so a title reads as written; a sha is plain text.
_TEAMS_MARKUP = re.compile(r"([\\*_\[\]])")
TEAMS = Style(escape=lambda t: _TEAMS_MARKUP.sub(r"\\\1", t), link=lambda t, u: f"[{t}]({u})",
              bold=lambda t: f"**{t}**", code=lambda t: t, heading=lambda t: f"**{t}**", title=lambda t: t,
              size=_teams_size)  # fmt: skip


def teams_payloads(message: Message, max_messages: int) -> list[dict[str, Any]]:
    """Microsoft Teams: each part an Adaptive Card (1.4) in a ``message`` with one attachment, its title
    a heading TextBlock and every line a TextBlock of its own; the full edition as an OpenUrl action."""
    payloads = []
    link = link_line(message)
    linked = render_line(link, TEAMS) if link is not None else None  # the action opens it: not twice
    for text in text_messages(message, TEAMS, TEAMS_BODY_BYTES - 3000, max_messages):
        title, *lines = text.split("\n")
        lines = [line for line in lines if line != linked]
        body = [{**_TEXT_BLOCK, "text": title, "size": "Medium", "weight": "Bolder"}]
        body += [{**_TEXT_BLOCK, "text": line} for line in lines]
        card: dict[str, Any] = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                                "type": "AdaptiveCard", "version": "1.4", "msteams": {"width": "Full"},
                                "body": body}  # fmt: skip
        if message.report_url:
            card["actions"] = [
                {"type": "Action.OpenUrl", "title": message.words()["full"], "url": message.report_url}
            ]
        payloads.append({"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]})  # fmt: skip
    return payloads


def feishu_text(span: Span) -> str:
    """A span's text as a Feishu post shows it: a post's text has no inline code, so a code span written in
    a text (an overview's `path`) is its content, without the backticks it would show."""
    return span.text if span.code else _CODE_SPANS.sub(lambda m: m.group(0).strip("`").strip(), span.text)


def _feishu_paragraph(line: Line) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = []
    for span in line:
        text = feishu_text(span)
        element: dict[str, Any] = {"tag": "a", "text": text, "href": span.url} if span.url else {
            "tag": "text", "text": text}  # fmt: skip
        if span.bold:
            element["style"] = ["bold"]
        elements.append(element)
    return elements


def feishu_payloads(digest: Message, max_messages: int) -> list[dict[str, Any]]:
    """Feishu/Lark "post" messages: structured rich text, so nothing in a commit can become markup."""
    words = digest.words()

    def render(line: Line) -> str:
        return json.dumps(_feishu_paragraph(line), ensure_ascii=False)

    def heading(title: str) -> str:
        return render((Span(title, bold=True, trusted=True),))

    budget = FEISHU_BODY_BYTES - 1000 - utf8_size(json.dumps(digest.title, ensure_ascii=False))
    units = _units(digest, render, heading, render((Span(digest.counts, trusted=True),)), utf8_size, budget)
    parts = pack(units, budget, utf8_size, 1)
    more = Unit(render(_more_template(digest)))
    parts = _limit_parts(parts, max_messages, more, budget, utf8_size, 1)
    payloads = []
    for i, part in enumerate(parts, 1):
        marker = words["part"].format(i=i, n=len(parts)) if len(parts) > 1 else ""
        content = [json.loads(u.text) for u in part]
        post = {"title": digest.title + marker, "content": content}
        key = "zh_cn" if digest.language == "zh" else "en_us"
        payloads.append({"msg_type": "post", "content": {"post": {key: post}}})
    return payloads
