"""Trend charts in headless Chromium, from file:// URLs: the index, a repository, a day and a week page in
light and dark at 1280 and 390 px, every picture loaded with no policy error (screenshots saved to
tests/artifacts/: light at 1280 px, every one with DAILYDIFF_ARTIFACTS=1), dark pictures in dark mode, Chinese labels drawn with a CJK font, the numbers' tables
open without JavaScript, nothing wider than a phone."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageStat

from browser import ARTIFACTS, EVERY_PICTURE, PageWatch, chromium, write_chart_pages
from dailydiff.settings import load_settings
from dailydiff.site import Site
from dailydiff.store import Store
from dailydiff.web import SiteCache, create_app
from sitefixtures import many_reports
from webserver import serving

REPO = "repos/org0--project0"


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Of the day pages only the newest are written: the tests open no other."""
    out = tmp_path_factory.mktemp("charts-browser") / "site"
    reports = many_reports(3, 40, 8, seed=5, missing=frozenset({12, 13}))
    write_chart_pages(Site.from_reports(reports, language="zh", title="dailydiff 趋势"), out)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def pages(site_dir: Path) -> dict[str, Path]:
    days = sorted((site_dir / REPO).glob("2026-*.html"))
    weeks = sorted((site_dir / REPO / "weeks").glob("*.html"))
    return {"index": site_dir / "index.html", "repo": site_dir / REPO / "index.html", "day": days[-1],
            "week": weeks[-2]}  # fmt: skip


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_of_the_chart_pages(browser: Any, site_dir: Path, scheme: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    try:
        p = context.new_page()
        watch = PageWatch(p)
        ARTIFACTS.mkdir(exist_ok=True)
        for name, path in pages(site_dir).items():
            p.goto(path.as_uri())
            p.wait_for_load_state("load")
            state = p.evaluate(
                """() => ({
                    charts: Array.from(document.querySelectorAll('figure.chart img.chart')).map(i =>
                        ({src: i.getAttribute('src'), loaded: i.complete && i.naturalWidth > 0,
                          alt: i.alt, right: i.getBoundingClientRect().right})),
                    titles: Array.from(document.querySelectorAll('figure.chart figcaption')).map(e => e.innerText),
                    tables: document.querySelectorAll('figure.chart details table').length,
                    overflow: document.documentElement.scrollWidth - innerWidth,
                    bottom: Math.max(...Array.from(document.querySelectorAll('figure.chart')).map(
                        f => f.getBoundingClientRect().bottom + scrollY)),
                })"""
            )
            expected = {"index": 3, "repo": 4, "day": 1, "week": 2}[name]
            assert len(state["charts"]) == expected == state["tables"] == len(state["titles"]), (name, state)
            assert all(c["loaded"] and len(c["alt"]) > 10 for c in state["charts"]), (name, state["charts"])
            assert all(c["right"] <= width for c in state["charts"]), (name, state["charts"])
            assert state["overflow"] <= 0, (name, state)
            if not (EVERY_PICTURE or (width, scheme) == (1280, "light")):
                continue  # the checks above hold for every width and scheme; a picture of each is on demand
            height = int(min(state["bottom"] + 40, p.evaluate("document.documentElement.scrollHeight")))
            p.screenshot(path=str(ARTIFACTS / f"charts-{name}-{scheme}-{width}.png"), full_page=True,
                         clip={"x": 0, "y": 0, "width": width, "height": height})  # fmt: skip
        assert watch.errors == [] and watch.dialogs == [] and watch.external == []  # no CSP complaint
    finally:
        context.close()


def _picture(browser: Any, site_dir: Path, scheme: str) -> Image.Image:
    context = browser.new_context(viewport={"width": 1000, "height": 800}, color_scheme=scheme)
    try:
        p = context.new_page()
        p.goto(pages(site_dir)["repo"].as_uri())
        shot = p.locator("figure.chart img.chart").first.screenshot()
        return Image.open(io.BytesIO(shot)).convert("L")
    finally:
        context.close()


def test_pictures_follow_the_colour_scheme(browser: Any, site_dir: Path) -> None:
    light, dark = _picture(browser, site_dir, "light"), _picture(browser, site_dir, "dark")
    assert ImageStat.Stat(light).mean[0] > 180 and ImageStat.Stat(dark).mean[0] < 90
    # Text and axes are drawn light on dark: the brightest pixels of the dark picture are near white.
    assert dark.getextrema()[1] > 200


def test_chinese_labels_are_drawn_with_a_cjk_font(browser: Any, site_dir: Path) -> None:
    context = browser.new_context()
    try:
        p = context.new_page()
        p.goto((site_dir / REPO / "charts" / "authors-90d.svg").as_uri())
        cdp = p.context.new_cdp_session(p)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "text"})["nodeIds"]
        fonts: dict[str, int] = {}
        for node in nodes:
            html = cdp.send("DOM.getOuterHTML", {"nodeId": node})["outerHTML"]
            if "张伟" in html or "李娜" in html:
                for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
                    fonts[font["familyName"]] = fonts.get(font["familyName"], 0) + font["glyphCount"]
        cdp.detach()
        cjk = sum(n for name, n in fonts.items() if "WenQuanYi" in name or "CJK" in name or "Hei" in name)
        assert cjk >= 4, fonts  # 张伟, 李娜: every glyph from a CJK font, none a fallback box
    finally:
        context.close()


def test_chart_tables_open_without_javascript(browser: Any, site_dir: Path) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 800})
    try:
        p = context.new_page()
        p.goto(pages(site_dir)["week"].as_uri())
        figure = p.locator("figure.chart").first
        assert figure.locator("img.chart").evaluate("i => i.complete && i.naturalWidth > 0")
        assert figure.locator("table").is_hidden()
        figure.locator("summary").click()
        assert figure.locator("table").is_visible()
        assert figure.locator("tbody tr").count() == 7  # Monday to Sunday
        assert p.evaluate("document.documentElement.scrollWidth <= innerWidth")
    finally:
        context.close()


def _has_colour(picture: Image.Image, colour: tuple[int, int, int], tolerance: int = 30) -> bool:
    colours = picture.convert("RGB").getcolors(1 << 24) or []
    return any(
        all(abs(c - t) <= tolerance for c, t in zip(pixel, colour, strict=True)) for _, pixel in colours
    )


def test_served_pictures_keep_their_colours_under_the_servers_policy(browser: Any, tmp_path: Path) -> None:
    """`dailydiff serve` sends a Content-Security-Policy header with every file, the pictures too: their
    own stylesheet (level colours, dark mode) must still apply."""
    data = tmp_path / "data"
    with Store.open(data) as store:
        for report in many_reports(1, 10, 6, seed=2):
            store.save_report(report)
        cache = SiteCache(
            store, load_settings(environ={}, cwd=Path("/"), overrides={"site": {"language": "zh"}})
        )
        with serving(create_app(cache)) as url:
            for scheme, high in (("light", (207, 34, 46)), ("dark", (248, 81, 73))):
                context = browser.new_context(viewport={"width": 1000, "height": 800}, color_scheme=scheme)
                try:
                    p = context.new_page()
                    watch = PageWatch(p)
                    p.goto(f"{url}/{REPO}/index.html")
                    img = p.locator("figure.chart img.chart").first
                    assert img.evaluate("i => i.complete && i.naturalWidth > 0")
                    shot = Image.open(io.BytesIO(img.screenshot()))
                    assert _has_colour(shot, high), scheme  # the red of high-importance bars
                    assert watch.errors == [] and watch.external == []
                finally:
                    context.close()
