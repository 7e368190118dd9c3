"""The static site: pages, escaping of hostile reports, no external assets, feeds, search index, links."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clirun import dailydiff
from dailydiff.models import DayReport
from dailydiff.render.feed import entry_id
from dailydiff.render.safe_html import SafeMarkdown
from dailydiff.site import MANIFEST, Site, build_site
from linkcheck import check_site
from sitefixtures import DAY1, DAY2, Fixture, hostile_report, real_reports, with_watch

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "link", "script", "body", "a", "header", "nav", "span", "form", "input",
    "button", "main", "footer", "p", "h1", "h2", "h3", "section", "ul", "ol", "li", "div", "table", "thead",
    "tbody", "tr", "th", "td", "article", "fieldset", "legend", "label", "dl", "dt", "dd", "code", "pre",
    "strong", "em", "details", "summary", "noscript", "blockquote", "br", "hr", "figure", "figcaption", "img",
}  # fmt: skip


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> tuple[Fixture, Fixture]:
    tmp = tmp_path_factory.mktemp("site")
    zh = real_reports(tmp / "zh", language="zh", name="demo/engine")
    en = real_reports(tmp / "en", language="en", name="demo/other")
    return zh, en


def all_reports(fixtures: tuple[Fixture, Fixture]) -> list[DayReport]:
    zh, en = fixtures
    return [*zh.reports, *en.reports, hostile_report()]


@pytest.fixture(scope="module")
def built(fixtures: tuple[Fixture, Fixture], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    build_site(Site.from_reports(all_reports(fixtures)), out)
    return out


def test_layout_one_page_per_repository_day(built: Path) -> None:
    pages = sorted(p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file())
    for repo in ("demo--engine", "demo--other"):
        for day in (DAY1, DAY2):
            assert f"repos/{repo}/{day}.html" in pages
            assert f"repos/{repo}/{day}.json" in pages
        assert f"repos/{repo}/index.html" in pages and f"repos/{repo}/feed.xml" in pages
    assert {
        "index.html",
        "search.html",
        "feed.xml",
        "assets/site.css",
        "assets/site.js",
        f"assets/search/{DAY2.isoformat()[:7]}.js",
    } <= set(pages)


def test_index_lists_repositories_and_latest_days_with_counts(
    built: Path, fixtures: tuple[Fixture, Fixture]
) -> None:
    index = (built / "index.html").read_text(encoding="utf-8")
    latest = fixtures[0].reports[-1]
    assert 'href="repos/demo--engine/index.html"' in index
    assert f'href="repos/demo--engine/{DAY2}.html"' in index
    assert (
        f"{latest.stats.total} commits: 🔴 high {latest.stats.high} · 🟡 medium {latest.stats.medium}"
        in index
    )  # en: 3 of 5
    repo_page = (built / "repos/demo--engine/index.html").read_text(encoding="utf-8")
    assert repo_page.index(f"{DAY2}.html") < repo_page.index(f"{DAY1}.html")  # newest first


def test_day_page_sections_and_labels_follow_the_report_language(
    built: Path, fixtures: tuple[Fixture, Fixture]
) -> None:
    zh_page = (built / f"repos/demo--engine/{DAY2}.html").read_text(encoding="utf-8")
    en_page = (built / f"repos/demo--other/{DAY2}.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in zh_page and f"每日更新报告（{DAY2}）" in zh_page
    for label in ("🧭 今日概览", "📜 提交列表", "📊 统计摘要", "📋 目录", "🔴 高重要度变更", "只看高"):
        assert label in zh_page
    assert '<html lang="en">' in en_page and f"Daily update report ({DAY2})" in en_page
    assert "High only" in en_page and "只看高" not in en_page
    report = fixtures[0].reports[-1]
    for rc in report.commits:
        anchor = f"c-{rc.sha[:7]}"
        assert f'<article class="commit level-{rc.level.value}" id="{anchor}"' in zh_page
        assert zh_page.count(f'href="#{anchor}"') == 3  # table, contents, permalink


def test_filters_and_search_form_are_hidden_until_script_reveals_them(built: Path) -> None:
    page = (built / f"repos/demo--engine/{DAY2}.html").read_text(encoding="utf-8")
    assert re.search(r'<form id="filters"[^>]* hidden data-enhance', page)
    assert re.search(r'<form class="search-form"[^>]* hidden data-enhance', page)


def test_no_external_assets(built: Path) -> None:
    for page in built.rglob("*.html"):
        for tag, attrs in tags_of(page.read_text(encoding="utf-8")):
            if tag in {"script", "img", "iframe", "link"}:
                url = attrs.get("src") or attrs.get("href") or ""
                assert not re.match(r"^([a-z]+:)?//", url, re.I), f"{page}: external {tag} {url}"
    css = (built / "assets/site.css").read_text(encoding="utf-8")
    assert "url(" not in css and "@import" not in css


def test_hostile_report_is_inert_markup(built: Path) -> None:
    page = (built / "repos/evil---repo/2026-01-27.html").read_text(encoding="utf-8")
    tags = tags_of(page)
    assert {tag for tag, _ in tags} <= ALLOWED_TAGS
    scripts = [attrs.get("src") for tag, attrs in tags if tag == "script"]
    assert scripts == ["../../assets/site.js"]
    for tag, attrs in tags:
        assert not any(name.startswith("on") or name == "style" for name in attrs), (tag, attrs)
        for name in ("href", "src", "action"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)
    # The text is all there, escaped; model headings and tables stay text.
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in page
    assert "<h2>Model heading" not in page and "## Model heading" in page
    assert 'href="https://example.org/0"' in page


def test_safe_markdown_links_only_http_and_in_page() -> None:
    md = SafeMarkdown(["c-abc1234"])
    html = str(
        md.block("[a](https://x.org) [b](#c-abc1234) [c](#elsewhere) [d](javascript:alert(1)) [e](page.html)")
    )
    assert 'href="https://x.org"' in html and 'href="#c-abc1234"' in html
    assert "#elsewhere" not in html and "javascript:alert(1)</" not in html
    assert 'href="page.html"' not in html and "href" not in html.split("#c-abc1234")[1]
    assert str(md.block("# Title\n\n<b>x</b>")) == "<p># Title</p>\n<p>&lt;b&gt;x&lt;/b&gt;</p>"
    assert str(md.inline("plain & simple")) == "plain &amp; simple"


def test_watch_topics_mark_commits(fixtures: tuple[Fixture, Fixture], tmp_path: Path) -> None:
    report = fixtures[0].reports[-1]
    marked = with_watch(report, report.commits[0].sha[:7], ["kernels"])
    build_site(Site.from_reports([marked]), tmp_path)
    page = (tmp_path / f"repos/demo--engine/{DAY2}.html").read_text(encoding="utf-8")
    assert page.count('data-watch="1"') == 3  # table row, contents item, commit block
    assert 'name="watch"' in page and "kernels" in page


def search_parts(root: Path) -> list[Path]:
    """The search index's scripts, in the order the search page loads them."""
    page = (root / "search.html").read_text(encoding="utf-8")
    return [root / src for src in re.findall(r'<script src="(assets/search/[^"]+)" defer>', page)]


def search_index(root: Path) -> list[list[str]]:
    entries = []
    prefix = "window.DAILYDIFF_SEARCH = (window.DAILYDIFF_SEARCH || []).concat("
    for part in search_parts(root):
        text = part.read_text(encoding="utf-8")
        assert text.startswith(prefix) and text.endswith(");\n")
        entries += json.loads(text[len(prefix) : -len(");\n")])
    return entries


def test_search_index_covers_every_commit_and_is_script_safe(
    built: Path, fixtures: tuple[Fixture, Fixture]
) -> None:
    entries = search_index(built)
    total = sum(r.stats.total for r in all_reports(fixtures))
    assert len(entries) == total
    for part in search_parts(built):
        text = part.read_text(encoding="utf-8")
        assert "<" not in text and ">" not in text
    first = next(e for e in entries if e[0] == "demo/engine" and e[1] == str(DAY2))
    _repo, _date, title, author, summary, level, href, short = first
    assert href.startswith(f"repos/demo--engine/{DAY2}.html#c-") and short in href
    assert title and author and summary and level in {"high", "medium", "low"}


def test_feeds_parse_and_have_the_required_atom_elements(
    built: Path, fixtures: tuple[Fixture, Fixture]
) -> None:
    reports = all_reports(fixtures)
    feeds = sorted(built.rglob("*.xml"))
    assert len(feeds) == 4  # everything + 3 repositories
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.version == "atom10"
        feed = parsed.feed
        assert feed.id.startswith("urn:uuid:") and feed.title and feed.updated_parsed and feed.author
        assert any(link.rel == "self" for link in feed.links)
        for entry in parsed.entries:
            assert entry.id.startswith("urn:uuid:") and entry.title and entry.updated_parsed
            assert entry.link and entry.summary and entry.content[0].value
        _assert_rfc4287(path)
    everything = feedparser.parse((built / "feed.xml").read_bytes())
    assert len(everything.entries) == len({(r.repo, r.date) for r in reports})  # one per repository-day
    assert len({e.id for e in everything.entries}) == len(everything.entries)
    one_repo = feedparser.parse((built / "repos/demo--engine/feed.xml").read_bytes())
    assert [e.id for e in one_repo.entries] == [entry_id("demo/engine", DAY2), entry_id("demo/engine", DAY1)]
    assert one_repo.entries[0].link == f"{DAY2}.html"
    hostile = feedparser.parse((built / "repos/evil---repo/feed.xml").read_bytes())
    assert "<script" not in hostile.entries[0].content[0].value.lower()


ATOM = "{http://www.w3.org/2005/Atom}"


def _assert_rfc4287(path: Path) -> None:
    """The cardinalities RFC 4287 requires, checked on the XML itself (feedparser is lenient)."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{ATOM}feed"

    def count(element: ET.Element, name: str) -> int:
        return len(element.findall(f"{ATOM}{name}"))

    assert count(root, "id") == count(root, "title") == count(root, "updated") == 1
    assert count(root, "author") >= 1 and root.find(f"{ATOM}author/{ATOM}name") is not None
    for entry in root.findall(f"{ATOM}entry"):
        assert count(entry, "id") == count(entry, "title") == count(entry, "updated") == 1
        assert count(entry, "content") == 1 and count(entry, "summary") == 1
        assert [link.get("rel") for link in entry.findall(f"{ATOM}link")] == ["alternate"]
        dt.datetime.fromisoformat(entry.findtext(f"{ATOM}updated", "").replace("Z", "+00:00"))


def test_feed_ids_are_stable_across_rebuilds(fixtures: tuple[Fixture, Fixture], tmp_path: Path) -> None:
    reports = all_reports(fixtures)
    build_site(Site.from_reports(reports), tmp_path / "a")
    later = [r.model_copy(update={"generated_at": dt.datetime(2026, 2, 1, tzinfo=dt.UTC)}) for r in reports]
    build_site(Site.from_reports(later), tmp_path / "b")
    first = feedparser.parse((tmp_path / "a/feed.xml").read_bytes())
    second = feedparser.parse((tmp_path / "b/feed.xml").read_bytes())
    assert [e.id for e in first.entries] == [e.id for e in second.entries]
    assert {e.updated for e in second.entries} == {"2026-02-01T00:00:00Z"}
    assert first.feed.id == second.feed.id
    # A new day adds exactly one entry and leaves the others' ids alone.
    extra = reports[0].model_copy(update={"date": dt.date(2026, 1, 28)})
    build_site(Site.from_reports([*reports, extra]), tmp_path / "c")
    third = feedparser.parse((tmp_path / "c/feed.xml").read_bytes())
    assert len(third.entries) == len(first.entries) + 1
    assert {e.id for e in first.entries} < {e.id for e in third.entries}


def test_every_internal_link_resolves(built: Path) -> None:
    checked, problems = check_site(built)
    assert problems == []
    assert checked > 150


def test_link_checker_catches_a_broken_fragment(built: Path, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        '<a href="#nowhere">x</a><a href="gone.html">y</a>', encoding="utf-8"
    )
    _checked, problems = check_site(tmp_path)
    assert len(problems) == 2


def test_rebuild_writes_only_changes_and_removes_stale_pages(
    fixtures: tuple[Fixture, Fixture], tmp_path: Path
) -> None:
    reports = all_reports(fixtures)
    first = build_site(Site.from_reports(reports), tmp_path)
    assert first.written == first.pages
    again = build_site(Site.from_reports(reports), tmp_path)
    assert again.written == 0 and again.removed == 0
    fewer = [r for r in reports if r.repo != "evil/<repo>"]
    third = build_site(Site.from_reports(fewer), tmp_path)
    # day page, its JSON, weekly page, repo page, feed; charts: the index's, the repository's four, the
    # day's and the week's two
    assert third.removed == 5 + 8 and not (tmp_path / "repos/evil---repo").exists()
    assert sorted(json.loads((tmp_path / MANIFEST).read_text())["pages"]) == sorted(
        Site.from_reports(fewer).pages()
    )
    assert check_site(tmp_path)[1] == []


def test_one_page_per_day_when_a_day_exists_in_two_languages(fixtures: tuple[Fixture, Fixture]) -> None:
    zh = fixtures[0].reports
    en = [r.model_copy(update={"language": "en"}) for r in zh]
    site = Site.from_reports([*zh, *en], language="en")
    assert len(site.days) == 2 and {d.report.language for d in site.days} == {"en"}
    assert Site.from_reports([*zh, *en]).language == "zh"
    preferred = Site.from_reports([*en, *zh], prefer_language="zh")
    assert preferred.language == "zh" and {d.report.language for d in preferred.days} == {"zh"}


def test_a_day_without_commits_says_so(fixtures: tuple[Fixture, Fixture], tmp_path: Path) -> None:
    empty = fixtures[0].reports[0].model_copy(
        update={"commits": [], "stats": fixtures[0].reports[0].stats.model_copy(update={"total": 0, "high": 0,
                "medium": 0, "low": 0}), "date": dt.date(2026, 1, 25)}
    )  # fmt: skip
    build_site(Site.from_reports([empty, *fixtures[0].reports]), tmp_path)
    page = (tmp_path / "repos/demo--engine/2026-01-25.html").read_text(encoding="utf-8")
    assert "本日没有提交。" in page and 'id="filters"' not in page and 'id="toc"' not in page
    assert check_site(tmp_path)[1] == []


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("DAILYDIFF_DATA_DIR", None)
    return dailydiff(*args, cwd=cwd, env=env)


def test_cli_builds_from_the_store_and_from_json(fixtures: tuple[Fixture, Fixture], tmp_path: Path) -> None:
    zh = fixtures[0]
    done = run_cli(
        "site", "build", "--data-dir", str(zh.data_dir), "--output-dir", str(tmp_path / "s"), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "2 report(s)" in done.stderr
    assert (tmp_path / f"s/repos/demo--engine/{DAY2}.html").is_file()
    jdir = tmp_path / "json"
    jdir.mkdir()
    for report in fixtures[1].reports:
        (jdir / f"{report.date}.json").write_text(report.model_dump_json(), encoding="utf-8")
    done = run_cli(
        "site", "build", "--from-json", str(jdir), "-o", str(tmp_path / "j"), "--title", "Ours", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "<title>Ours</title>" in (tmp_path / "j/index.html").read_text(encoding="utf-8")
    assert check_site(tmp_path / "j")[1] == []


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    done = run_cli(
        "site", "build", "--data-dir", str(tmp_path / "nothing"), "-o", str(tmp_path / "s"), cwd=tmp_path
    )
    assert done.returncode == 4
    assert (
        done.stderr.startswith("dailydiff: error: no store at ")
        and " — run `dailydiff report` first" in done.stderr
    )
    assert len(done.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.json").write_text('{"not": "a report"}', encoding="utf-8")
    done = run_cli("site", "build", "--from-json", str(bad), "-o", str(tmp_path / "s"), cwd=tmp_path)
    assert done.returncode == 2 and "is not a dailydiff report" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_base_url_makes_feed_links_absolute_and_limit_caps_entries(
    fixtures: tuple[Fixture, Fixture], tmp_path: Path
) -> None:
    site = Site.from_reports(all_reports(fixtures), base_url="https://example.org/daily/", feed_entries=2)
    build_site(site, tmp_path)
    everything = feedparser.parse((tmp_path / "feed.xml").read_bytes())
    assert len(everything.entries) == 2
    assert {link.href for link in everything.feed.links} == {"https://example.org/daily/feed.xml",
                                                              "https://example.org/daily/index.html"}  # fmt: skip
    repo = feedparser.parse((tmp_path / "repos/demo--engine/feed.xml").read_bytes())
    assert repo.entries[0].link == f"https://example.org/daily/repos/demo--engine/{DAY2}.html"
    assert repo.feed.links[0].href == "https://example.org/daily/repos/demo--engine/feed.xml"


def test_invalid_base_url_is_a_one_line_error(tmp_path: Path) -> None:
    done = run_cli("site", "build", "--from-json", str(tmp_path), "--base-url", "javascript:x", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith(
        "dailydiff: error: invalid setting 'site.base_url'"
    )


PIECES = [
    *"<>\"'`*_[]()#|!&;:=/\\ \nabcjsvg-1.",
    "javascript:",
    "<script>",
    "<img src=x onerror=alert(1)>",
    "](",
    "<svg onload=",
    "#c-abc1234",
    "#nope",
    "https://",
    "data:",
    "- ",
    "1. ",
    "> ",
]
MARKUP = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(MARKUP)
def test_safe_markdown_never_emits_active_markup(text: str) -> None:
    md = SafeMarkdown(["c-abc1234"])
    for html in (str(md.block(text)), str(md.inline(text))):
        for tag, attrs in tags_of(html):
            assert tag in {
                "p",
                "ul",
                "ol",
                "li",
                "code",
                "pre",
                "em",
                "strong",
                "a",
                "blockquote",
                "br",
                "hr",
            }, html
            for name, value in attrs.items():
                assert name in {"href", "rel", "start", "title"}, html
                if name == "href":
                    assert value is not None and re.match(r"^(https?://|#c-abc1234$)", value), html


def test_a_repository_page_lists_its_last_90_days_and_reaches_the_older_through_their_weeks(
    tmp_path: Path,
) -> None:
    """A year of days would make the repository's page a table rendered whole for each new day: it lists
    the reports of the last 90 days, says where the older ones are, and every day is a link away from one
    of its weeks, all of which it lists."""
    from sitefixtures import many_reports

    reports = many_reports(1, 120, 2, seed=7)
    out = tmp_path / "site"
    build_site(Site.from_reports(reports), out)
    section = Site.from_reports(reports).repos[0]
    page = (out / section.path).read_text(encoding="utf-8")
    newest = max(r.date for r in reports)
    listed = set(re.findall(r'<td(?: class="date")?><a href="(\d{4}-\d{2}-\d{2})\.html">', page))
    assert listed == {r.date.isoformat() for r in reports if (newest - r.date).days < 90}
    assert len(listed) < len(reports) and '<p class="note">' in page
    reached: set[str] = set()
    for week in set(re.findall(r'href="(weeks/[^"#]+\.html)"', page)):
        text = (out / "repos" / section.slug / week).read_text(encoding="utf-8")
        reached |= set(re.findall(r'href="\.\./(\d{4}-\d{2}-\d{2})\.html', text))
    assert reached == {r.date.isoformat() for r in reports}


def test_the_index_names_each_repositorys_latest_day_with_commits(tmp_path: Path) -> None:
    from dailydiff.models import ReportStats
    from sitefixtures import many_reports

    reports = many_reports(1, 6, 4)  # 2026-01-01 … 2026-01-06
    last = max(reports, key=lambda r: r.date)
    busy = max((r for r in reports if r.commits), key=lambda r: r.date)
    sunday = last.model_copy(update={"date": dt.date(2026, 1, 11), "commits": [], "stats": ReportStats()})
    build_site(Site.from_reports([*reports, sunday]), tmp_path)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    row = re.search(
        r'<td(?: class="date")?><a href="([^"]+)">([\d-]+)</a></td>\s*<td class="n">(\d+)</td>', index
    )
    assert row, index
    assert row.group(2) == busy.date.isoformat() and row.group(1).endswith(f"{busy.date}.html"), row.groups()
    assert int(row.group(3)) == busy.stats.total > 0
    assert (tmp_path / row.group(1)).is_file()


def test_a_week_page_lists_every_watch_hit_past_the_first_ten(tmp_path: Path) -> None:
    from sitefixtures import many_reports

    reports = [with_watch(r, "", ["npu"]) for r in many_reports(1, 7, 4, start=dt.date(2026, 1, 5))]
    hits = sum(len(r.commits) for r in reports)
    assert hits > 10
    build_site(Site.from_reports(reports), tmp_path)
    (week,) = [p for p in tmp_path.rglob("weeks/2026-W02.html")]
    html = week.read_text(encoding="utf-8")
    watch = html.split('<section id="watch">', 1)[1].split("</section>", 1)[0]
    assert "JSON" not in watch
    listed = re.findall(r"\(<code>[0-9a-f]{7}</code>\)</li>", watch)
    assert len(listed) == hits  # every hit listed: ten, then the rest folded
    assert re.search(
        rf"<details><summary>……另有 {hits - 10} 个</summary>|<details><summary>… and {hits - 10} more</summary>",
        watch,
    ), watch[:2000]
