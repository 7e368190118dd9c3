"""Audit every chat message dailydiff sends over a long run of real history (issue 25, acceptance 2).

    python3 scripts/chat_audit.py                       # the three mirrors, the last 91 days with commits
    python3 scripts/chat_audit.py --lang zh --days 14   # the same in Chinese
    python3 scripts/chat_audit.py --repo PATH[=owner/name] ... --end 2026-08-22 --days 91

What a user would do: each repository is cloned into a scratch directory under /tmp (its origin pointed at
GitHub, so commits link there), and `dailydiff run --from … --to …` builds every day with the rule-based
analyser and the SQLite store, delivering each repository's day, a `[[digest]]` across the repositories
and each repository's week (`[weekly] publishers`) to Feishu, DingTalk, WeCom, Slack, Discord and Teams
webhooks — the local receivers of tests/webhook_receiver.py on 127.0.0.1, which check each service's
payload shape, size limit and signature. Every payload is captured, and then checked:

(a) look-alikes: no character of U+FF00–U+FFEF in an English payload; in any language, none that the
    message's own text (its title, counts, headings and lines before rendering) does not have;
(b) split messages: the parts of a message (and Slack's section blocks, each rendered on its own) come in
    order, and their lines concatenated are the message's lines rendered whole (a line may only be
    shortened, keeping its code spans and links; only the last part's "N more" line may replace the
    lines that did not fit, counting them); each part parsed with markdown-it leaves no backtick run open
    and no code span across lines (so no cut between lines can break one);
(c) links: no link's text is a URL, and no URL of ours (report links, commit links) stands as plain text;
(d) sizes: every part within its service's limit (the receiver's LIMITS), and the receiver accepted it.

Prints the totals per service and exits 1 on any violation (0 when clean). The scratch directory is
removed unless --keep.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from dailydiff.common import i18n  # noqa: E402
from dailydiff.publish import chat_formats as cf  # noqa: E402
from dailydiff.render.chat import Line, Message, Span, link_line  # noqa: E402
from webhook_receiver import LIMITS, WebhookReceiver  # noqa: E402

MIRRORS = [
    "/work/.mirror/flashinfer-ai+flashinfer/repo",
    "/work/.mirror/pytorch+ao/repo",
    "/work/.mirror/vllm-project+llm-compressor/repo",
]
SERVICES = ("feishu", "dingtalk", "wecom", "slack", "discord", "teams")
REPORT_BASE = "https://reports.example.com/"
SECRETS = {"feishu": "feishu-s3cret", "dingtalk": "SECdingtalk-s3cret"}
# What the user follows besides the high-importance commits: watched commits are listed first.
WATCH = ["fp8", "fp4", "kernel", "quantization", "attention", "security", "CUDA"]
WIDE = re.compile("[\uff00-\uffef]")
URL = re.compile(r"\b(?:https?|ftp)://[^\s<>()\[\]`]+|\bwww\.[\w-]+\.\w[^\s<>()\[\]`]*")


# --- the run ---------------------------------------------------------------------------------------


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def clone(source: str, into: Path) -> tuple[Path, str]:
    """A clone under ``into`` whose origin is the repository's GitHub URL (so commits link there), and its
    owner/name: from ``PATH=owner/name``, a mirror directory ``owner+name/repo``, or the origin."""
    path, _, name = source.partition("=")
    mirror = Path(path)
    if not name and mirror.name == "repo" and "+" in mirror.parent.name:
        name = mirror.parent.name.replace("+", "/", 1)
    if not name:
        origin = git("config", "--get", "remote.origin.url", cwd=mirror).strip()
        name = "/".join(origin.removesuffix(".git").split("/")[-2:])
    target = into / name.replace("/", "+")
    git("clone", "--quiet", str(mirror), str(target))
    git("remote", "set-url", "origin", f"https://github.com/{name}.git", cwd=target)
    return target, name


def newest_day(repo: Path) -> dt.date:
    stamp = git("log", "-1", "--format=%cI", "HEAD", cwd=repo).strip()
    return dt.datetime.fromisoformat(stamp).astimezone(dt.UTC).date()


def write_config(work: Path, repos: list[tuple[Path, str]], language: str, watch: list[str],
                 watch_paths: list[str]) -> Path:  # fmt: skip
    lines = [f'data_dir = "{work / "data"}"', "[report]", 'timezone = "UTC"', f'language = "{language}"',
             "[analysis]", 'analyzer = "heuristic"', "[weekly]", f"publishers = {json.dumps(list(SERVICES))}",
             'weekday = "sunday"']  # fmt: skip
    for path, name in repos:
        lines += ["[[repos]]", f'source = "{path}"', f'name = "{name}"']
    lines += [
        "[[watch]]",
        'name = "audit"',
        f"keywords = {json.dumps(watch)}",
        f"paths = {json.dumps(watch_paths)}",
    ]
    for service in SERVICES:
        lines += ["[[publish]]", f'type = "{service}"', f'name = "{service}"', f'url_env = "AUDIT_{service.upper()}_URL"',
                  f'report_url = "{REPORT_BASE}{{year}}/{{repo_name}}/{{date}}.html"', "retries = 0"]  # fmt: skip
        if service in SECRETS:
            lines.append(f'secret_env = "AUDIT_{service.upper()}_SECRET"')
    lines += ["[[digest]]", 'name = "audit"', 'repos = ["*"]']
    config = work / "dailydiff.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def run_dailydiff(config: Path, first: dt.date, last: dt.date, receiver: WebhookReceiver) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DAILYDIFF_CI": ""}
    for service, url in receiver.urls().items():
        env[f"AUDIT_{service.upper()}_URL"] = url
    for service, secret in SECRETS.items():
        env[f"AUDIT_{service.upper()}_SECRET"] = secret
    command = [sys.executable, "-m", "dailydiff", "run", "--config", str(config), "--from", first.isoformat(),
               "--to", last.isoformat(), "--yes", "--quiet"]  # fmt: skip
    result = subprocess.run(command, env=env, cwd=config.parent, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"dailydiff run exited {result.returncode}:\n{result.stderr[-3000:]}", file=sys.stderr)
    return result.returncode


# --- the messages, rendered whole (the reference) ---------------------------------------------------


@dataclass
class RefLine:
    text: str
    items: int  # what an "N more" line counts for it (as render/chat.py's packer does)


def reference_messages(config: Path, language: str) -> dict[str, tuple[Message, str]]:
    """Every stored unit's message as each chat entry builds it, by title: (message, kind)."""
    from dailydiff.engine.weekly import build_week, edition_of, iso_week
    from dailydiff.publish.base import link
    from dailydiff.render.digest import load_digest
    from dailydiff.render.edition import day_edition, digest_edition
    from dailydiff.settings import load_settings
    from dailydiff.store import Store

    settings = load_settings(config, environ={}, cwd=config.parent)
    entry = settings.publish[0]
    messages: dict[str, tuple[Message, str]] = {}
    with Store.open(Path(settings.data_dir)) as store:
        editions = []
        weeks = set()
        for repo, date, lang in store.list_reports():
            report = store.get_report(repo, date, lang)
            if report is None or lang != language:
                continue
            editions.append((day_edition(report, settings), "day"))
            weeks.add((repo, iso_week(date)))
        for name, date, lang in store.list_digests():
            stored = store.get_digest(name, date, lang)
            if stored is not None and lang == language:
                editions.append((digest_edition(load_digest(stored[1]), settings), "digest"))
        for repo, iso in weeks:
            week = build_week(store, repo, iso, settings)
            if week is not None:
                editions.append((edition_of(store, week, settings), "week"))
        for edition, kind in editions:
            message = edition.message(link(entry.report_url, edition), entry.max_commits)  # type: ignore[union-attr]
            messages[message.title] = (message, kind)
    return messages


def reference_lines(message: Message, render: Callable[[Line], str], heading: Callable[[str], str],
                    counts: str) -> list[RefLine]:  # fmt: skip
    """The message's lines rendered whole, in order, each with the count an "N more" line gives it."""
    # the counts line, unless it only says the title again (an addendum's)
    lines = [RefLine(counts, 0)] if message.counts and message.counts != message.title else []
    for section in message.sections:
        lines.append(RefLine(heading(section.title), 0))
        for i, line in enumerate(section.lines, 1):
            items = section.omitted if section.omitted and i == len(section.lines) else 1
            lines.append(RefLine(render(line), items))
    link = link_line(message)
    if link is not None:
        lines.append(RefLine(render(link), 0))
    return lines


# --- what each service received ---------------------------------------------------------------------


@dataclass
class Part:
    service: str
    title: str  # the message's title as shown (the part marker removed)
    index: int
    total: int
    lines: list[str]  # its body lines (Feishu: each paragraph's text)
    blocks: list[str]  # the pieces a client renders separately (Markdown services: the whole text)
    size: int
    limit: int
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, url) of structured links


def _marker(language: str) -> re.Pattern[str]:
    part = (
        re.escape(i18n.words("chat", language)["part"])
        .replace(r"\{i\}", r"(\d+)")
        .replace(r"\{n\}", r"(\d+)")
    )
    return re.compile(part + "$")


def parse_payload(service: str, payload: dict[str, Any], raw: bytes, marker: re.Pattern[str]) -> Part:
    title: str
    links: list[tuple[str, str]] = []  # Feishu's structured links (the others' are in their Markdown)
    if service in ("discord", "wecom", "dingtalk"):
        text = {"discord": lambda: payload["content"], "wecom": lambda: payload["markdown"]["content"],
                "dingtalk": lambda: payload["markdown"]["text"]}[service]()  # fmt: skip
        joiner = "\n\n" if service == "dingtalk" else "\n"
        title, *lines = text.split(joiner)
        size = cf.utf16_size(text) if service == "discord" else cf.utf8_size(text)
        limit = {"discord": LIMITS["discord_content_chars"], "wecom": LIMITS["wecom_content_bytes"],
                 "dingtalk": LIMITS["dingtalk_text_bytes"]}[service]  # fmt: skip
        blocks = [joiner.join(lines)]
    elif service == "slack":
        header, *sections = payload["blocks"]
        title = header["text"]["text"]
        blocks = [s["text"]["text"] for s in sections]
        lines = [line for block in blocks for line in block.split("\n")]
        size = max(len(b) for b in blocks)
        limit = LIMITS["slack_section_chars"]
    elif service == "teams":
        body = payload["attachments"][0]["content"]["body"]
        title, lines = body[0]["text"], [b["text"] for b in body[1:]]
        blocks, size, limit = list(lines), len(raw), LIMITS["teams_message_bytes"]
    else:  # feishu: structured rich text
        (post,) = payload["content"]["post"].values()
        title = post["title"]
        lines = ["".join(e["text"] for e in paragraph) for paragraph in post["content"]]
        links = [
            (e["text"], e["href"]) for paragraph in post["content"] for e in paragraph if e["tag"] == "a"
        ]
        blocks, size, limit = [], len(raw), LIMITS["feishu_body_bytes"]
    found = marker.search(title)
    index, total = (int(found.group(1)), int(found.group(2))) if found else (1, 1)
    if found:
        title = title[: found.start()]
    if service == "teams" and index == total:  # the card's button shows the message's last line, its link
        actions = payload["attachments"][0]["content"].get("actions", [])
        lines += [
            cf.render_line((Span(a["title"], url=a["url"], bold=True, trusted=True),), cf.TEAMS)
            for a in actions
        ]
    return Part(service, title, index, total, lines, blocks, size, limit, links)


def service_style(service: str) -> cf.Style | None:
    return {"discord": cf.DISCORD, "wecom": cf.WECOM, "dingtalk": cf.DINGTALK, "slack": cf.SLACK,
            "teams": cf.TEAMS}.get(service)  # fmt: skip


def shown_title(service: str, title: str) -> str:
    style = service_style(service)
    if style is None or service == "slack":
        return title
    return style.title(style.escape(title))


def reference_for(service: str, message: Message) -> list[RefLine]:
    style = service_style(service)
    if style is None:  # Feishu: a paragraph's text is its spans' text as a post shows it
        return reference_lines(
            message, lambda line: "".join(cf.feishu_text(s) for s in line), lambda t: t, message.counts
        )
    return reference_lines(message, lambda line: cf.render_line(line, style),
                           lambda t: style.heading(style.escape(t)), style.escape(message.counts))  # fmt: skip


# --- the checks --------------------------------------------------------------------------------------


def markdown_tokens(text: str, service: str = "") -> list[Any]:
    """CommonMark's reading of ``text``; Teams' TextBlocks know no code spans (only bold, italic, lists and
    links), so for Teams a backtick is a character."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark")
    if service == "teams":
        parser.disable("backticks")
    return [t for block in parser.parse(text) for t in (block.children or [block])]


def code_spans(text: str) -> list[str]:
    return [t.content for t in markdown_tokens(text) if t.type == "code_inline"]


def open_backticks(text: str, escapes: bool) -> int:
    """Backticks markdown-it leaves as text: an unmatched run (where the dialect has a backslash escape, an
    escaped backtick is meant as text and not counted)."""
    literal = sum(t.content.count("`") for t in markdown_tokens(text) if t.type == "text")
    if escapes:
        literal -= len(re.findall(r"(?<!\\)\\`", text))
    return max(0, literal)


def markdown_links(text: str, service: str) -> Iterator[tuple[str, str]]:
    if service == "slack":  # <url|text>
        for match in re.finditer(r"<([^<>|]+)(?:\|([^<>]*))?>", text):
            yield (match.group(2) or "", match.group(1))
        return
    tokens = markdown_tokens(text, service)
    for i, token in enumerate(tokens):
        if token.type == "link_open":
            inner = []
            for t in tokens[i + 1 :]:
                if t.type == "link_close":
                    break
                inner.append(t.content)
            yield ("".join(inner), str(token.attrGet("href")))


def plain_text(text: str, service: str) -> str:
    """The text outside links (what a reader sees as words)."""
    if service == "slack":
        return re.sub(r"<[^<>]*>", " ", text)
    if service == "feishu":
        return text
    out, depth = [], 0
    for token in markdown_tokens(text, service):
        depth += {"link_open": 1, "link_close": -1}.get(token.type, 0)
        if depth == 0 and token.type in ("text", "code_inline"):
            out.append(token.content)
    return " ".join(out)


def same_but_shorter(shown: str, whole: str, service: str) -> bool:
    """A line shortened to fit: "…" added and its links kept (its code spans are checked with the part's)."""
    if "…" not in shown or len(shown) >= len(whole):
        return False
    return service == "feishu" or [u for _t, u in markdown_links(shown, service)] == [
        u for _t, u in markdown_links(whole, service)
    ]


@dataclass
class Totals:
    payloads: int = 0
    parts: int = 0
    blocks: int = 0
    messages: int = 0
    split: int = 0
    summarised: int = 0  # split messages whose tail was counted in an "N more" line
    shortened: int = 0
    largest: float = 0.0  # the largest part's share of its limit
    kinds: collections.Counter[str] = field(default_factory=collections.Counter)
    violations: list[str] = field(default_factory=list)
    wide: collections.Counter[str] = field(default_factory=collections.Counter)  # language-native, zh only
    commit_urls: int = 0  # URLs written in commit text, shown as text (never live links)


def check_message(service: str, parts: list[Part], message: Message, kind: str, language: str, totals: Totals,
                  our_urls: Callable[[str], bool]) -> None:  # fmt: skip
    name = f"{service} {kind} {message.title!r}"
    bad = totals.violations
    totals.messages += 1
    totals.kinds[kind] += 1
    totals.parts += len(parts)
    if len(parts) > 1:
        totals.split += 1
    indexes = [p.index for p in parts]
    if indexes != list(range(1, len(parts) + 1)) or any(p.total != len(parts) for p in parts):
        bad.append(f"{name}: parts {indexes} of {[p.total for p in parts]}")
    # (d) sizes
    for p in parts:
        totals.largest = max(totals.largest, p.size / p.limit)
        if p.size > p.limit:
            bad.append(f"{name}: part {p.index} is {p.size} over the limit {p.limit}")
    # (b) the parts' lines, concatenated, against the message rendered whole
    whole = reference_for(service, message)
    shown = [line for p in parts for line in p.lines]
    more = re.escape(message.words()["more" if message.report_url else "more_no_link"]).replace(
        r"\{n\}", r"(\d+)"
    )
    dropped_from = len(shown)
    last = shown[-1] if shown else ""
    summary = re.search(more, last)
    if len(shown) < len(whole) and summary:
        dropped_from = len(shown) - 1
        totals.summarised += 1
    for i, line in enumerate(shown[:dropped_from]):
        if i >= len(whole):
            bad.append(f"{name}: extra line {line[:80]!r}")
            break
        if line != whole[i].text:
            if same_but_shorter(line, whole[i].text, service):
                totals.shortened += 1
            else:
                bad.append(f"{name}: line {i} is {line[:100]!r}, rendered whole {whole[i].text[:100]!r}")
                break
    if dropped_from < len(shown):
        counted = int(summary.group(1))  # type: ignore[union-attr]
        expected = sum(r.items for r in whole[dropped_from:])
        if counted != expected:
            bad.append(f"{name}: 'N more' says {counted}, {expected} left out")
    elif len(shown) != len(whole):
        bad.append(f"{name}: {len(shown)} lines shown, {len(whole)} in the message")
    # (b) code spans: none left open, none across lines (a cut between lines cannot break one)
    if service in ("discord", "wecom", "dingtalk", "slack"):
        escapes = service == "discord"
        for p in parts:
            for block in p.blocks:
                totals.blocks += 1
                opened = open_backticks(block, escapes)
                if opened:
                    bad.append(
                        f"{name}: part {p.index}: {opened} backtick run(s) left open in {block[:200]!r}"
                    )
                joiner = "\n\n" if service == "dingtalk" else "\n"
                local = [c for line in block.split(joiner) for c in code_spans(line)]
                if code_spans(block) != local:
                    bad.append(f"{name}: part {p.index}: a code span across lines")
    # (c) links: text, never a URL; no URL of ours as plain text
    for p in parts:
        links = p.links if service == "feishu" else [x for b in p.blocks for x in markdown_links(b, service)]
        for text, url in links:
            if not text.strip() or URL.fullmatch(text.strip().strip("*_`")):
                bad.append(f"{name}: a link to {url} whose text is {text!r}")
        for block in p.blocks if service != "feishu" else p.lines:
            for url in URL.findall(plain_text(block, service)):
                if our_urls(url):
                    bad.append(f"{name}: {url} as text, not a link")
                else:
                    totals.commit_urls += 1
    # (a) look-alikes
    words = {message.title, message.counts, *(s.title for s in message.sections)}
    words |= {s.text for sec in message.sections for line in sec.lines for s in line}
    words.add(i18n.words("chat", language)["part"])
    words |= {str(v) for v in message.words().values()}
    own = set("".join(words))
    for p in parts:
        text = "\n".join([p.title, *p.lines])
        for ch in set(WIDE.findall(text)):
            label = f"U+{ord(ch):04X} {unicodedata.name(ch, '?')}"
            where = "the message's own text" if ch in own else "added by the service's rendering"
            if language == "en":
                bad.append(f"{name}: {label} in an English message ({where}): {_around(text, ch)!r}")
            elif ch not in own:
                bad.append(f"{name}: {label} {where}: {_around(text, ch)!r}")
            else:
                totals.wide[label] += text.count(ch)


def _around(text: str, ch: str) -> str:
    at = text.index(ch)
    return text[max(0, at - 40) : at + 40]


def audit(received: dict[str, list[Any]], raw: dict[str, list[bytes]], messages: dict[str, tuple[Message, str]],
          language: str) -> dict[str, Totals]:  # fmt: skip
    marker = _marker(language)

    def our_urls(url: str) -> bool:
        return url.startswith(REPORT_BASE) or ("/commit/" in url and url.startswith("https://github.com/"))

    report: dict[str, Totals] = {}
    for service in SERVICES:
        totals = report.setdefault(service, Totals())
        groups: dict[str, list[Part]] = {}
        for payload, body in zip(received.get(service, []), raw.get(service, []), strict=True):
            totals.payloads += 1
            part = parse_payload(service, payload, body, marker)
            groups.setdefault(part.title, []).append(part)
        by_shown = {shown_title(service, title): pair for title, pair in messages.items()}
        for title, parts in groups.items():
            pair = by_shown.get(title) or next(
                (p for t, p in by_shown.items() if title.endswith("…") and t.startswith(title[:-1])), None
            )
            if pair is None:
                totals.violations.append(f"{service}: a message titled {title!r} that no stored unit has")
                continue
            # one unit, one delivery: a second run of parts would be a duplicate
            if sum(1 for p in parts if p.index == 1) != 1:
                totals.violations.append(
                    f"{service}: {title!r} delivered {sum(p.index == 1 for p in parts)} times"
                )
                continue
            check_message(service, parts, pair[0], pair[1], language, totals, our_urls)
    return report


# --- main --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repo", action="append", help="a repository (PATH or PATH=owner/name); default: the three mirrors"
    )
    parser.add_argument("--days", type=int, default=91)
    parser.add_argument("--end", help="the last day (default: the newest commit's day, UTC)")
    parser.add_argument("--lang", default="en", choices=["en", "zh"])
    parser.add_argument("--watch", default=",".join(WATCH), help="watch-topic keywords, comma-separated")
    parser.add_argument("--watch-path", action="append", default=[], help="watch-topic path globs")
    parser.add_argument("--workdir", help="scratch directory (default: a new one under /tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("--show", type=int, default=20, help="violations printed per service")
    args = parser.parse_args(argv)

    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="chat-audit-", dir="/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    receiver = WebhookReceiver(feishu_secret=SECRETS["feishu"], dingtalk_secret=SECRETS["dingtalk"]).start()
    try:
        repos = [clone(source, work / "repos") for source in (args.repo or MIRRORS)]
        last = dt.date.fromisoformat(args.end) if args.end else max(newest_day(path) for path, _ in repos)
        first = last - dt.timedelta(days=args.days - 1)
        watch = [w for w in args.watch.split(",") if w]
        config = write_config(work, repos, args.lang, watch, args.watch_path)
        print(f"{len(repos)} repositories ({', '.join(n for _, n in repos)}), {first} … {last} "
              f"({args.days} days), language {args.lang}, in {work}", flush=True)  # fmt: skip
        exit_code = run_dailydiff(config, first, last, receiver)
        messages = reference_messages(config, args.lang)
        report = audit(receiver.received, receiver.raw, messages, args.lang)
    finally:
        receiver.stop()
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)

    kinds = collections.Counter(kind for _m, kind in messages.values())
    print(
        f"stored units: {kinds['day']} repository-days, {kinds['digest']} digest-days, {kinds['week']} weeks"
    )
    print(f"{'service':<9} {'payloads':>8} {'messages':>8} {'split':>6} {'parts':>6} {'blocks':>6} "
          f"{'summarised':>10} {'shortened':>9} {'largest':>8} {'violations':>10}")  # fmt: skip
    failed = exit_code != 0 or bool(receiver.violations)
    for service, t in report.items():
        print(f"{service:<9} {t.payloads:>8} {t.messages:>8} {t.split:>6} {t.parts:>6} {t.blocks:>6} "
              f"{t.summarised:>10} {t.shortened:>9} {t.largest:>7.0%} {len(t.violations):>10}")  # fmt: skip
        failed |= bool(t.violations) or t.payloads == 0
    total = sum(len(t.violations) for t in report.values())
    for service, t in report.items():
        for problem in t.violations[: args.show]:
            print(f"  ✗ {problem}")
        if len(t.violations) > args.show:
            print(f"  … {len(t.violations) - args.show} more {service} violations")
    for problem in receiver.violations[: args.show]:
        print(f"  ✗ receiver: {problem}")
    urls = sum(t.commit_urls for t in report.values())
    print(f"URLs written in commit text, shown as text (never live links): {urls}")
    wide = sum((t.wide for t in report.values()), collections.Counter())
    if wide:
        print("full-width characters of the message's own text (Chinese punctuation):")
        for label, count in wide.most_common():
            print(f"  {label}: {count}")
    print(f"violations: {total + len(receiver.violations)}; dailydiff run exit code {exit_code}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
