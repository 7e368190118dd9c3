"""The site in headless Chromium: navigation, contents links, filters, search, no-JS reading, file://,
screenshots (zh), and a hostile report that must stay inert."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import ARTIFACTS, PageWatch, chromium, static_server
from dailydiff.models import Overview
from dailydiff.settings import load_settings
from dailydiff.site import Site, build_site
from dailydiff.store import Store
from dailydiff.web import SiteCache, create_app
from sitefixtures import DAY2, Fixture, hostile_report, real_reports, with_watch
from webserver import serving

DAY_PAGE = f"repos/demo--engine/{DAY2}.html"
EVIL_PAGE = "repos/evil---repo/2026-01-27.html"


pytestmark = pytest.mark.slow  # a real Chromium


@pytest.fixture(scope="module")
def zh_fixture(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    """The Chinese repository run through the pipeline once for the file; its store is copied, never
    written, by the tests that need one."""
    return real_reports(tmp_path_factory.mktemp("browser-zh"), language="zh", name="demo/engine")


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory, zh_fixture: Fixture) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    zh = zh_fixture
    en = real_reports(tmp / "en", language="en", name="demo/other")
    latest = zh.reports[-1]
    watched = next(rc for rc in latest.commits if rc.level.value == "low")
    reports = [zh.reports[0], with_watch(latest, watched.sha[:7], ["tests"]), *en.reports, hostile_report()]
    out = tmp / "site"
    build_site(Site.from_reports(reports, language="zh", title="dailydiff 日报"), out)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def base_url(site_dir: Path) -> Iterator[str]:
    with static_server(site_dir) as url:
        yield url


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, PageWatch]]:
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    p = context.new_page()
    watch = PageWatch(p)
    yield p, watch
    context.close()
    assert watch.external == []


def visible_shas(p: Any) -> set[str]:
    return set(
        p.eval_on_selector_all(
            "article.commit", "els => els.filter(e => e.offsetParent !== null).map(e => e.dataset.sha)"
        )
    )


def test_from_the_index_to_a_day_page(page: tuple[Any, PageWatch], base_url: str) -> None:
    p, watch = page
    p.goto(base_url + "index.html")
    assert p.title() == "dailydiff 日报"
    p.locator("#repositories tr", has_text="demo/engine").get_by_role("link", name=str(DAY2)).click()
    p.wait_for_url(base_url + DAY_PAGE)
    assert p.locator("h1").inner_text() == f"每日更新报告（{DAY2}）"
    assert p.locator("article.commit").count() == 4
    p.get_by_role("link", name="demo/engine").first.click()
    p.wait_for_url(base_url + "repos/demo--engine/index.html")
    assert watch.errors == [] and watch.dialogs == []


def test_every_contents_link_scrolls_to_its_commit(page: tuple[Any, PageWatch], base_url: str) -> None:
    p, watch = page
    p.goto(base_url + DAY_PAGE)
    links = p.locator("#toc a[href^='#c-']")
    count = links.count()
    assert count == 4
    for i in range(count):
        p.evaluate("window.scrollTo(0, 0)")
        link = links.nth(i)
        anchor = link.get_attribute("href")[1:]
        link.click()
        p.wait_for_function("id => location.hash === '#' + id", arg=anchor)
        state = p.evaluate(
            """id => { const r = document.getElementById(id).getBoundingClientRect();
                       return {top: r.top, h: innerHeight, y: scrollY,
                               bottom: scrollY + innerHeight >= document.documentElement.scrollHeight - 2,
                               target: document.querySelector(':target').id}; }""",
            anchor,
        )
        assert state["target"] == anchor
        assert state["y"] > 0  # it scrolled
        assert 0 <= state["top"] < state["h"] / 2 or (state["bottom"] and 0 <= state["top"] < state["h"]), (
            state
        )
    assert watch.errors == []


def test_high_only_filter_hides_medium_and_low(page: tuple[Any, PageWatch], base_url: str) -> None:
    p, watch = page
    p.goto(base_url + DAY_PAGE)
    levels = dict(
        p.eval_on_selector_all("article.commit", "els => els.map(e => [e.dataset.sha, e.dataset.level])")
    )
    assert set(levels.values()) == {"high", "medium", "low"}
    p.get_by_role("button", name="只看高").click()
    shown = visible_shas(p)
    assert shown == {sha for sha, level in levels.items() if level == "high"}
    rows = p.eval_on_selector_all(
        "table.commits tr[data-sha]", "els => els.filter(e => !e.hidden).map(e => e.dataset.level)"
    )
    assert rows == ["high"]
    assert p.locator("section#level-medium").is_hidden() and p.locator("section#level-low").is_hidden()
    assert p.locator("#toc li[data-group=low]").is_hidden()
    assert p.locator(".showing").inner_text() == "显示 1 / 4 个提交"
    p.get_by_role("button", name="全部显示").click()
    assert visible_shas(p) == set(levels)
    # Change types: unticking every type but one leaves that type's commits.
    boxes = p.locator("input[name=type]")
    for i in range(boxes.count()):
        if boxes.nth(i).get_attribute("value") != "test":
            boxes.nth(i).uncheck()
    types = dict(
        p.eval_on_selector_all("article.commit", "els => els.map(e => [e.dataset.sha, e.dataset.types])")
    )
    assert visible_shas(p) == {sha for sha, t in types.items() if "test" in t.split()}
    p.get_by_role("button", name="全部显示").click()
    # Watch topics: only the watched commit.
    p.get_by_label("只看关注主题").check()
    watched = p.eval_on_selector_all("article.commit[data-watch='1']", "els => els.map(e => e.dataset.sha)")
    assert len(watched) == 1 and visible_shas(p) == set(watched)
    assert watch.errors == []


def test_search_finds_a_commit_by_a_word_of_its_summary_and_opens_it(
    page: tuple[Any, PageWatch], base_url: str
) -> None:
    p, watch = page
    p.goto(base_url + DAY_PAGE)
    article = p.locator("article.commit.level-high")
    summary = article.locator("dd").nth(2).inner_text()
    word = re.search(r"attn_\d+", summary).group(0)  # the heuristic summary names the new symbols
    # The header search form (revealed by the script) leads to the search page with the query.
    p.locator("form.search-form input[name=q]").fill(word)
    p.locator("form.search-form button").click()
    p.wait_for_url("**/search.html?q=*")
    results = p.locator("#search-results li")
    results.first.wait_for()
    assert results.count() == 2  # the same commit exists in both fixture repositories
    hit = p.locator("#search-results li", has_text="demo/engine")
    assert "perf: vectorise the attention kernel" in hit.inner_text()
    # The summary's `attn_N` shows as code, as on the day's page, not between raw backticks.
    assert hit.locator("p.summary code", has_text=word).count() == 1 and "`" not in hit.inner_text()
    hit.get_by_role("link").click()
    anchor = article.get_attribute("id")
    p.wait_for_url(f"{base_url}{DAY_PAGE}#{anchor}")
    top = p.evaluate("id => document.getElementById(id).getBoundingClientRect().top", anchor)
    assert 0 <= top < 100
    # Typing narrows as you go; an unknown word says so.
    p.goto(base_url + "search.html")
    p.locator("#search-input").fill("zzzz-no-such-word")
    assert p.locator("#search-status").inner_text() == "没有找到匹配的提交。"
    p.locator("#search-input").fill("Grace")
    assert p.locator("#search-results li").count() >= 1
    assert watch.errors == []


def test_pages_read_without_javascript(browser: Any, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        p = context.new_page()
        p.goto(base_url + DAY_PAGE)
        assert p.locator("article.commit").count() == 4
        assert all(p.locator("article.commit").nth(i).is_visible() for i in range(4))
        assert p.locator("article.commit.level-high dd").nth(2).inner_text().strip() != ""
        assert p.locator("#filters").is_hidden() and p.locator("form.search-form").is_hidden()
        assert p.locator("#toc a").count() == 4 + 3
        p.goto(base_url + "search.html")
        assert p.locator("#search").is_hidden()
        assert "搜索需要启用 JavaScript" in p.locator("main").inner_text()
        p.goto(base_url + "index.html")
        assert p.locator("#repositories tbody tr").count() == 3
    finally:
        context.close()


def _fonts_of(p: Any, selector: str) -> dict[str, int]:
    """The platform fonts Chromium used to draw a node's text (CDP), with their glyph counts."""
    cdp = p.context.new_cdp_session(p)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        return {f["familyName"]: f["glyphCount"] for f in fonts}
    finally:
        cdp.detach()


def test_screenshots_show_chinese_text(page: tuple[Any, PageWatch], base_url: str) -> None:
    p, _watch = page
    ARTIFACTS.mkdir(exist_ok=True)
    p.goto(base_url + "index.html")
    p.screenshot(path=str(ARTIFACTS / "site-index.png"), full_page=True)
    p.goto(base_url + DAY_PAGE)
    p.screenshot(path=str(ARTIFACTS / "site-day-zh.png"), full_page=True)
    p.set_viewport_size({"width": 390, "height": 844})
    p.screenshot(path=str(ARTIFACTS / "site-day-zh-phone.png"))
    assert (ARTIFACTS / "site-day-zh.png").stat().st_size > 20_000
    # Every Chinese glyph of the title comes from a real CJK font, not a fallback box.
    fonts = _fonts_of(p, "h1")
    cjk = {name: n for name, n in fonts.items() if "WenQuanYi" in name or "CJK" in name or "Hei" in name}
    assert sum(cjk.values()) >= len("每日更新报告"), fonts
    assert p.evaluate("document.documentElement.scrollWidth <= innerWidth")  # readable on a phone


@pytest.mark.parametrize("width", [390, 1280])
def test_hostile_report_runs_no_script_and_keeps_its_layout(browser: Any, base_url: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        p = context.new_page()
        watch = PageWatch(p)
        p.goto(base_url + EVIL_PAGE)
        p.wait_for_load_state("load")
        _assert_inert(p)
        # The filters and the permalinks keep working on it.
        p.get_by_role("button", name="High only").click()
        assert len(visible_shas(p)) == 3
        p.get_by_role("button", name="Show all").click()
        for link in p.locator("#toc a[href^='#c-']").all()[:3]:
            link.click()
        # Search over hostile text renders it as text.
        p.goto(base_url + "search.html?q=alert")
        p.locator("#search-results li").first.wait_for()
        assert p.locator("#search-results li").count() == 7  # every hostile commit but the 3000 x one
        assert p.locator("#search-results img, #search-results svg, #search-results iframe").count() == 0
        p.locator("#search-results li a").first.click()
        p.wait_for_load_state("load")
        _assert_inert(p)
        assert watch.dialogs == []
        assert [e for e in watch.errors if "Content Security Policy" not in e] == []
    finally:
        context.close()


def _assert_inert(p: Any) -> None:
    found = p.evaluate(
        """() => ({
            injected: document.querySelectorAll('img:not(figure.chart > img.chart), svg, iframe, object, embed, style, base, meta[http-equiv=refresh], textarea').length,
            scripts: Array.from(document.scripts).map(s => s.getAttribute('src')),
            handlers: Array.from(document.querySelectorAll('*')).filter(e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length,
            badLinks: Array.from(document.querySelectorAll('a[href]')).filter(a => !['http:', 'https:', 'file:'].includes(a.protocol)).map(a => a.href),
            overflow: document.documentElement.scrollWidth - innerWidth,
            wide: Array.from(document.querySelectorAll('article.commit, table, pre')).filter(e => e.getBoundingClientRect().right > innerWidth + 1).length,
            bodyShown: getComputedStyle(document.body).display !== 'none',
        })"""
    )
    assert found["injected"] == 0, found
    assert found["scripts"] == ["../../assets/site.js"], found
    assert found["handlers"] == 0 and found["badLinks"] == [], found
    assert found["overflow"] <= 0 and found["wide"] == 0, found
    assert found["bodyShown"]


def test_the_site_works_from_file_urls(browser: Any, site_dir: Path) -> None:
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    try:
        p = context.new_page()
        watch = PageWatch(p)
        p.goto((site_dir / "index.html").as_uri())
        p.locator("#repositories tr", has_text="demo/engine").get_by_role("link", name=str(DAY2)).click()
        p.wait_for_url("**/" + DAY_PAGE)
        assert p.locator("#filters").is_visible()  # the script loaded and ran from file://
        p.get_by_role("button", name="只看高").click()
        assert len(visible_shas(p)) == 1
        # The header search form submits to the search page from file:// too.
        p.locator("form.search-form input[name=q]").fill("tokenizer")
        p.locator("form.search-form button").click()
        p.wait_for_url("**/search.html?q=tokenizer")
        p.locator("#search-results li").first.wait_for()
        assert p.locator("#search-results li").count() == 2
        p.locator("#search-results li", has_text="demo/engine").get_by_role("link").click()
        p.wait_for_url("**/" + DAY_PAGE + "#c-*")
        p.goto((site_dir / EVIL_PAGE).as_uri())
        _assert_inert(p)
        assert watch.dialogs == [] and watch.errors == [] and watch.external == []
    finally:
        context.close()


@pytest.mark.parametrize(
    ("scheme", "background"), [("light", "rgb(255, 255, 255)"), ("dark", "rgb(13, 17, 23)")]
)
def test_light_and_dark_themes_follow_the_system(
    browser: Any, base_url: str, scheme: str, background: str
) -> None:
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1000, "height": 800})
    try:
        p = context.new_page()
        p.goto(base_url + DAY_PAGE)
        assert p.evaluate("getComputedStyle(document.body).backgroundColor") == background
        if scheme == "dark":
            ARTIFACTS.mkdir(exist_ok=True)
            p.screenshot(path=str(ARTIFACTS / "site-day-zh-dark.png"))
    finally:
        context.close()


def test_the_served_site_works_in_the_browser(browser: Any, zh_fixture: Fixture, tmp_path: Path) -> None:
    """`dailydiff serve` sends a Content-Security-Policy header: the script still runs, the hostile page
    stays inert, and a report saved meanwhile shows up on reload."""
    data_dir = tmp_path / "data"  # this test's own copy of the store: it saves reports into it
    shutil.copytree(zh_fixture.data_dir, data_dir)
    fixture = dataclasses.replace(zh_fixture, data_dir=data_dir)
    with Store.open(fixture.data_dir) as store:
        store.save_report(hostile_report())
        cache = SiteCache(
            store, load_settings(environ={}, cwd=Path("/"), overrides={"site": {"language": "zh"}})
        )
        with serving(create_app(cache)) as url:
            context = browser.new_context(viewport={"width": 1000, "height": 700})
            try:
                p = context.new_page()
                watch = PageWatch(p)
                p.goto(f"{url}/{DAY_PAGE}")
                p.get_by_role("button", name="只看高").click()
                assert len(visible_shas(p)) == 1
                p.goto(f"{url}/{EVIL_PAGE}")
                _assert_inert(p)
                report = fixture.reports[-1]
                with Store.open(fixture.data_dir) as writer:
                    writer.save_report(
                        report.model_copy(update={"overview": Overview(highlights=["刚刚更新"])})
                    )
                p.goto(f"{url}/{DAY_PAGE}")
                assert "刚刚更新" in p.locator("#overview").inner_text()
                assert watch.dialogs == [] and watch.errors == [] and watch.external == []
            finally:
                context.close()


WEEK_PAGE = "repos/demo--engine/weeks/2026-W05.html"


def test_the_weekly_page_of_a_zh_digest(page: tuple[Any, PageWatch], base_url: str) -> None:
    """Repository page → its week (Chinese headings, CJK glyphs) → a day → back to the week."""
    p, watch = page
    p.goto(base_url + "repos/demo--engine/index.html")
    p.locator("#weeks").get_by_role("link", name="2026-W05").click()
    p.wait_for_url(base_url + WEEK_PAGE)
    assert p.locator("h1").inner_text() == "每周摘要（2026-W05 · 2026-01-26 ~ 2026-02-01）"
    headings = p.locator("main h2").all_inner_texts()
    assert headings == ["🧭 本周要点", "👀 关注", "📅 每日统计", "📈 趋势", "⭐ 重要提交", "👥 贡献者"]
    assert all(p.locator("main h2").nth(i).is_visible() for i in range(len(headings)))
    fonts = _fonts_of(p, "h1")
    assert sum(n for name, n in fonts.items() if "WenQuanYi" in name or "CJK" in name) >= 4, fonts
    p.locator("#days").get_by_role("link", name=str(DAY2)).click()
    p.wait_for_url(base_url + DAY_PAGE)
    p.locator("a.week-link").click()
    p.wait_for_url(base_url + WEEK_PAGE)
    assert watch.errors == [] and watch.dialogs == []


def test_the_standalone_weekly_file_is_styled_without_script_or_requests(
    browser: Any, zh_fixture: Fixture, tmp_path: Path
) -> None:
    """`weekly --format html` output from file://, JavaScript off: the inlined CSS passes the page's CSP."""
    from dailydiff.render.week import IsoWeek, build_digest
    from dailydiff.render.weekly import WEEKLY_RENDERERS

    digest = build_digest("demo/engine", IsoWeek(year=2026, week=5), {r.date: r for r in zh_fixture.reports},
                          timezone="Asia/Shanghai", language="zh")  # fmt: skip
    target = tmp_path / "weekly.html"
    target.write_text(WEEKLY_RENDERERS["html"](digest), encoding="utf-8")
    context = browser.new_context(java_script_enabled=False)
    try:
        p = context.new_page()
        watch = PageWatch(p)
        p.goto(target.as_uri())
        assert p.locator("h2").first.inner_text() == "🧭 本周要点"
        assert p.evaluate("getComputedStyle(document.body).maxWidth") == "992px"  # site.css applied
        assert p.evaluate("getComputedStyle(document.querySelector('th')).borderTopStyle") == "solid"
        assert watch.errors == [] and watch.external == []
    finally:
        context.close()


def test_dates_stay_on_one_line_at_1280_pixels(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        p = context.new_page()
        wrapped = []
        for page in ("index.html", "repos/demo--engine/index.html"):
            p.goto(base_url + page)
            p.wait_for_load_state("load")
            # A busy day's highlight (or a long repository name) takes what room the table has.
            p.evaluate(
                """() => Array.from(document.querySelectorAll('td.highlight, table.summary tbody td:first-child a'))
                    .filter(el => !/\\d{4}-/.test(el.textContent))
                    .forEach(el => { el.textContent = '调度器与内存池重构，'.repeat(30) + ' long'.repeat(40); })"""
            )
            wrapped += p.evaluate(
                """() => Array.from(document.querySelectorAll('table.summary tbody td:first-child a, td.date a'))
                    .filter(a => /\\d{4}-(\\d{2}-\\d{2}|W\\d{2})/.test(a.textContent))
                    .filter(a => a.getClientRects().length > 1).map(a => a.textContent)"""
            )
        p.goto(base_url + DAY_PAGE)
        wrapped += p.evaluate(
            "() => Array.from(document.querySelectorAll('table.commits td.time'))"
            ".filter(td => td.getClientRects()[0].height > 2 * parseFloat(getComputedStyle(td).lineHeight) + 12)"
            ".map(td => td.textContent)"
        )
        assert wrapped == []
    finally:
        context.close()


def test_on_a_phone_names_and_day_links_break_only_between_words(browser: Any, base_url: str) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2
    )
    try:
        p = context.new_page()
        p.goto(base_url + "index.html")
        p.wait_for_load_state("load")
        # The index's table keeps each repository's name whole (the table scrolls sideways instead).
        lines = p.evaluate(
            "() => Array.from(document.querySelectorAll('table.summary tbody td:first-child a'))"
            ".map(a => [a.textContent, a.getClientRects().length])"
        )
        assert lines and all(n <= 2 for _, n in lines), lines
        assert p.evaluate("document.documentElement.scrollWidth") <= 390
        p.goto(base_url + DAY_PAGE)
        # "← 前一天" / "后一天 →" and the week's link wrap as a whole, never inside.
        split = p.evaluate(
            "() => Array.from(document.querySelectorAll('p.repo-line a'))"
            ".filter(a => a.getClientRects().length > 1).map(a => a.textContent)"
        )
        assert split == []
    finally:
        context.close()
