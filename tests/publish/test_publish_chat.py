"""The chat digest and its per-service payloads (pure): limits, splitting, escaping, order."""

from __future__ import annotations

import json
import re

import pytest

from dailydiff.publish import chat_formats as cf
from dailydiff.render.chat import cut, day_message
from publish_reports import make_report, no_live_markup
from webhook_receiver import LIMITS

URL = "https://reports.example.com/2026/sglang/2026-01-27.html"


def all_text(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False)


def test_cut_never_splits_a_character_sequence() -> None:
    text = "ab👩🏽‍💻cd"
    for limit in range(len(text) + 1):
        shortened = cut(text, limit)
        kept = shortened.removesuffix("…")
        assert text.startswith(kept)
        rest = text[len(kept) :]
        # the remainder never starts with a modifier, joiner or combining mark, nor follows a joiner
        assert not rest or (rest[0] not in "\u200d\ufe0f" and not 0x1F3FB <= ord(rest[0]) <= 0x1F3FF)
        assert not kept.endswith("\u200d")
    assert cut("e\u0301e\u0301", 1) == "e\u0301…" or cut("e\u0301e\u0301", 1) == "…"


def test_digest_lists_watch_topics_first_then_high_commits_with_link() -> None:
    report = make_report(12, high_every=3, watch_every=5)
    digest = day_message(report, URL)
    commits = digest.sections[-1].lines
    titles = ["".join(s.text for s in line) for line in commits]
    watched = [rc for rc in report.commits if rc.watch]
    assert watched and all("👀" in t for t in titles[: len(watched)])
    assert not any("👀" in t for t in titles[len(watched) :])
    high = [rc for rc in report.commits if rc.level.value == "high" and not rc.watch]
    assert len(commits) == len(watched) + len(high)
    assert digest.report_url == URL
    assert "本日共 12 个提交" in digest.counts


@pytest.mark.parametrize("max_messages", [10, 50])
def test_150_commit_day_fits_every_service(max_messages: int) -> None:
    report = make_report(150, high_every=2, watch_every=7)
    digest = day_message(report, URL)
    listed = len(digest.sections[-1].lines)
    for name, payloads in {
        "discord": cf.discord_payloads(digest, max_messages),
        "wecom": cf.wecom_payloads(digest, max_messages),
        "dingtalk": cf.dingtalk_payloads(digest, max_messages),
        "slack": cf.slack_payloads(digest, max_messages),
        "feishu": cf.feishu_payloads(digest, max_messages),
    }.items():
        assert 1 <= len(payloads) <= max_messages, name
        for payload in payloads:
            if name == "discord":
                assert len(payload["content"]) <= LIMITS["discord_content_chars"]
                assert cf.utf16_size(payload["content"]) <= LIMITS["discord_content_chars"]
            elif name == "wecom":
                assert len(payload["markdown"]["content"].encode()) <= LIMITS["wecom_content_bytes"]
            elif name == "dingtalk":
                assert len(payload["markdown"]["text"].encode()) <= LIMITS["dingtalk_text_bytes"]
            elif name == "slack":
                assert len(payload["blocks"]) <= LIMITS["slack_blocks"]
                assert len(payload["blocks"][0]["text"]["text"]) <= LIMITS["slack_header_chars"]
                assert all(
                    len(b["text"]["text"]) <= LIMITS["slack_section_chars"] for b in payload["blocks"][1:]
                )
            else:
                body = json.dumps(
                    {"timestamp": "1700000000", "sign": "x" * 44, **payload}, ensure_ascii=False
                )
                assert len(body.encode()) <= LIMITS["feishu_body_bytes"]
        text = "\n".join(all_text(p) for p in payloads)
        shown = len(re.findall(r'`[0-9a-f]{4}aaa`|"text": "[0-9a-f]{4}aaa"', text))
        more = re.search(r"另有 (\d+) 条", text)
        # every listed commit is either in a message or counted in the "N more" line — none vanishes
        assert shown + (int(more.group(1)) if more else 0) == listed, name
        if len(payloads) > 1:
            assert f"（{len(payloads)}/{len(payloads)}）" in text, name
        assert URL in text, name


def test_small_day_is_one_message_per_service() -> None:
    digest = day_message(make_report(4), URL)
    assert len(cf.discord_payloads(digest, 10)) == 1
    assert len(cf.wecom_payloads(digest, 10)) == 1
    assert len(cf.slack_payloads(digest, 10)) == 1
    assert len(cf.feishu_payloads(digest, 10)) == 1
    assert len(cf.dingtalk_payloads(digest, 10)) == 1


def test_untrusted_text_is_escaped_for_each_format() -> None:
    digest = day_message(make_report(4, high_every=1), URL)
    discord = cf.discord_payloads(digest, 10)[0]["content"]
    assert "@everyone" not in discord and "\\<b\\>" in discord and "\\[x\\]\\(javascript" in discord
    slack = json.dumps(cf.slack_payloads(digest, 10)[0], ensure_ascii=False)
    assert "<!channel>" not in slack and "&lt;!channel&gt;" in slack and "<b>" not in slack
    wecom = cf.wecom_payloads(digest, 10)[0]["markdown"]["content"]
    assert no_live_markup(wecom) and "[x](javascript" in wecom
    dingtalk = cf.dingtalk_payloads(digest, 10)[0]["markdown"]["text"]
    assert no_live_markup(dingtalk) and "<b>" in dingtalk  # shown, in a code span
    feishu = cf.feishu_payloads(digest, 10)[0]
    elements = [e for post in feishu["content"]["post"].values() for p in post["content"] for e in p]
    assert all(e["href"].startswith("https://") for e in elements if e["tag"] == "a")
    assert any("<b>bold</b>" in e["text"] for e in elements)  # structured: shown as text, never markup


def test_markup_stays_balanced_in_every_part() -> None:
    digest = day_message(make_report(150, high_every=2, watch_every=7), URL)
    for payload in cf.discord_payloads(digest, 50):
        content = payload["content"]
        unescaped = re.sub(r"\\.", "", content)
        assert unescaped.count("**") % 2 == 0
        assert unescaped.count("[") == unescaped.count("]")
        assert unescaped.count("`") % 2 == 0
    for payload in cf.wecom_payloads(digest, 50):
        content = payload["markdown"]["content"]
        assert content.count("**") % 2 == 0 and content.count("[") == content.count("]")


def test_a_shortened_chat_line_never_leaves_a_code_span_open() -> None:
    """Found by scripts/chat_audit.py: a heuristic summary cut to its 120 characters inside one of its code
    spans ("adds `helper_…") left a backtick open, and Slack showed the rest of the part as code."""
    from markdown_it import MarkdownIt

    summary = "Initial import. Changes 5 file(s) (+97/−0), mostly in `sglang/srt/layers`, `pyproject.toml`; adds `helper_0`, `helper_1`, `helper_2`."
    report = make_report(1, high_every=1, language="en")
    rc = report.commits[0]
    analysis = rc.analysis.model_copy(update={"summary": summary})  # type: ignore[union-attr]
    report = report.model_copy(
        update={"commits": [rc.model_copy(update={"message": "Initial import", "analysis": analysis})]}
    )
    parser = MarkdownIt("commonmark")
    spans = re.findall(r"`([^`]+)`", summary)
    for limit in range(len(summary)):
        shortened = cut(summary, limit)
        tokens = [t for b in parser.parse(shortened) for t in b.children or []]
        assert not any("`" in t.content for t in tokens if t.type == "text"), (limit, shortened)
        # The spans kept are the summary's, in order, whole; the last one may be cut short and closed ("…").
        code = [t.content for t in tokens if t.type == "code_inline"]
        whole = code[:-1] if code and code[-1].endswith("…") else code
        assert whole == spans[: len(whole)], (limit, shortened)
        if whole != code:
            assert spans[len(whole)].startswith(code[-1].removesuffix("…")), (limit, shortened)
        inside = [m for m in re.finditer(r"`([^`]+)`", summary) if m.start(1) < limit < m.end(1)]
        if inside:  # some of the span's text shows: kept, closed after the "…"
            assert code[-1] == summary[inside[0].start(1) : limit] + "…", (limit, shortened)
    (section,) = [
        b for b in cf.slack_payloads(day_message(report, URL), 10)[0]["blocks"][1:] if "helper_" in str(b)
    ]
    tokens = [t for b in parser.parse(section["text"]["text"]) for t in b.children or []]
    assert not any("`" in t.content for t in tokens if t.type == "text"), section["text"]["text"]
    # Cut at 120 characters: the sha's span, then the summary's first four, whole.
    assert [t.content for t in tokens if t.type == "code_inline"] == [rc.sha[:7], *spans[:4]]


def test_a_lone_backtick_in_a_commit_title_never_opens_code_in_slack() -> None:
    """Found by scripts/chat_audit.py: Slack's mrkdwn has no escape for a backtick, so a title's lone one
    ("a lone ` backtick") paired with the sha's code span after it and turned the line around it into code.
    A title's own code spans (`q|k`) stay code."""
    from markdown_it import MarkdownIt

    report = make_report(2, high_every=1, language="en")
    titles = ["[perf] a lone ` backtick before the sha", "[Fmha] fix `q_k` layout, then ``` three"]
    commits = [rc.model_copy(update={"message": t}) for rc, t in zip(report.commits, titles, strict=True)]
    message = day_message(report.model_copy(update={"commits": commits}), URL)
    (payload,) = cf.slack_payloads(message, 10)
    text = "\n".join(b["text"]["text"] for b in payload["blocks"][1:])
    tokens = [t for b in MarkdownIt("commonmark").parse(text) for t in b.children or []]
    assert not any("`" in t.content for t in tokens if t.type == "text"), text
    codes = [t.content for t in tokens if t.type == "code_inline"]
    assert "q_k" in codes and all(c in codes for c in (rc.sha[:7] for rc in commits))
    assert "a lone ' backtick before the sha" in text


def test_dingtalk_and_wecom_leave_plain_words_plain_and_markup_in_code() -> None:
    from dailydiff.render.chat import Message, Span

    line = (Span("🔴 ", trusted=True),
            Span("feat(cake_mamba): add fp8_e4m3 path for __init__ and ~~old~~ *x* 2026-01-19 ~ 2026-01-25"))  # fmt: skip
    for style in (cf.DINGTALK, cf.WECOM):
        text = cf.render_line(line, style)
        # A word's inner underscore opens no emphasis and a lone "~" no strikethrough: no code span for them.
        assert "feat(cake_mamba): add fp8_e4m3 path" in text and " 2026-01-19 ~ 2026-01-25" in text, text
        assert "`__init__`" in text and "`~~old~~`" in text and "`*x*`" in text, text  # these would be markup
        assert no_live_markup(text)
    week = Message(title="flashinfer-ai/flashinfer 周报 2026-01-19 ~ 2026-01-25", counts="3 个提交",
                   sections=[], report_url=None, language="zh")  # fmt: skip
    text = cf.dingtalk_payloads(week, 1)[0]["markdown"]["text"]
    assert text.splitlines()[0] == "### flashinfer-ai/flashinfer 周报 2026-01-19 ~ 2026-01-25", text


def test_a_days_themes_take_the_reports_colon() -> None:
    for language, label in (("zh", "主题："), ("en", "Themes: ")):
        message = day_message(make_report(4, language=language), URL)
        lines = [cf.render_line(line, cf.WECOM) for section in message.sections for line in section.lines]
        themed = [line for line in lines if label.strip() in line]
        assert themed and all(line.startswith(label) for line in themed), themed


def test_a_titles_and_summarys_own_code_spans_stay_code_in_discord() -> None:
    """Found by the new-user pass: Discord showed a summary's `cake_kda` and the themes' paths as literal
    backticks (every backtick escaped), where Slack, DingTalk and WeCom show code."""
    from markdown_it import MarkdownIt

    from dailydiff.render.chat import Span

    line = (
        Span("🔴 ", trusted=True),
        Span("extends the public `cake_kda` path for `head_dim > 256` and *x* @here"),
    )
    text = cf.render_line(line, cf.DISCORD)
    tokens = [t for b in MarkdownIt("commonmark").parse(text) for t in b.children or []]
    assert [t.content for t in tokens if t.type == "code_inline"] == ["cake_kda", "head_dim > 256"], text
    assert "\\*x\\*" in text and "@\u200bhere" in text and no_live_markup(text)


def test_a_teams_card_links_the_full_edition_once_as_its_action() -> None:
    """Found by the new-user pass: the card ended with the "full report" link as a TextBlock and again as
    its Action.OpenUrl button."""
    message = day_message(make_report(4, language="en"), URL)
    (payload,) = cf.teams_payloads(message, 3)
    card = payload["attachments"][0]["content"]
    assert [a["url"] for a in card["actions"]] == [URL]
    assert not [b["text"] for b in card["body"] if URL in b["text"]]
    assert len(card["body"]) > 3  # the rest is all there


def test_feishu_themes_show_no_backticks_and_do_not_repeat_the_counts_line() -> None:
    """Issue 63: the 主题 line of a rule-based day showed `paths` with their backticks in Feishu (a post's
    text has no inline code) and began with the counts the message's first line already gives."""
    from pathlib import Path

    from dailydiff.analysis.heuristic import heuristic_overview
    from dailydiff.models import DayReport

    golden = Path(__file__).parents[1] / "golden" / "sample-2026-01-19.zh.json"
    report = DayReport.model_validate_json(golden.read_text(encoding="utf-8"))
    report = report.model_copy(update={"overview": heuristic_overview(report.commits, "zh")})
    post = cf.feishu_payloads(day_message(report, URL), 1)[0]["content"]["post"]["zh_cn"]["content"]
    lines = ["".join(element["text"] for element in paragraph) for paragraph in post]
    themes = next(line for line in lines if line.startswith("主题"))
    assert "`" not in themes and "sglang/srt/lora" in themes, themes
    assert "个提交" not in themes and "个提交" in lines[0], (lines[0], themes)


def _rule_based_zh_day() -> object:
    from pathlib import Path

    from dailydiff.analysis.heuristic import heuristic_overview
    from dailydiff.models import DayReport

    golden = Path(__file__).parents[1] / "golden" / "sample-2026-01-19.zh.json"
    report = DayReport.model_validate_json(golden.read_text(encoding="utf-8"))
    return report.model_copy(update={"overview": heuristic_overview(report.commits, "zh")})


def test_dingtalk_themes_show_no_backticks_and_wecom_keeps_its_code_spans() -> None:
    """Issue 63 item 7: DingTalk's Markdown subset (headings, quotes, emphasis, links, images, lists) has no
    code spans, so the 主题 line showed `paths` with their backticks; WeCom's does render `code`, so its
    paths stay code spans. Neither repeats the counts of the message's first line."""
    message = day_message(_rule_based_zh_day(), URL)  # type: ignore[arg-type]
    ding = cf.dingtalk_payloads(message, 1)[0]["markdown"]["text"].split("\n\n")
    themes = next(line for line in ding if "主题" in line)
    areas = themes.split("主要改动区域：")[1].split(" · ")[0]  # the paths the overview writes as `code`
    assert "`" not in areas and "sglang/srt/lora、sglang/srt/layers" in areas, themes
    assert "个提交" not in themes and "个提交" in "".join(ding[: ding.index(themes)]), ding
    wecom = cf.wecom_payloads(message, 1)[0]["markdown"]["content"].split("\n")
    themes = next(line for line in wecom if "主题" in line)
    assert "`sglang/srt/lora`" in themes and "个提交" not in themes, themes
    assert "个提交" in "".join(wecom[: wecom.index(themes)]), wecom
    # a code span with markup in it stays one in DingTalk too: nothing in it becomes emphasis
    assert cf.escape_dingtalk("see `a*b*c` and `x/y`") == "see `a*b*c` and x/y"
