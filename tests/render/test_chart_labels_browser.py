"""Issue 25, charts: every chart kind, in English and Chinese, light and dark, in pages 1280 and 390 px
wide, has no text that overlaps other text or a legend swatch, and none cut at the picture's edge.

Each picture is drawn in Chromium at the size its page shows it (an SVG in an <img> keeps its insides
from the page's scripts, so it is opened on its own at that size) and the bounding boxes of its text
are compared. With DAILYDIFF_ARTIFACTS=1 each figure, as its page shows it, is saved to tests/artifacts/
(chart-labels-*.png) to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import ARTIFACTS, EVERY_PICTURE, chromium, write_chart_pages
from dailydiff.render.chartdata import weekly_charts
from dailydiff.render.charts import render_svg
from dailydiff.render.week import IsoWeek, build_digest
from dailydiff.site import Site
from sitefixtures import many_reports

# The text of a picture as boxes in the viewport: axis labels, legend names and legend swatches.
BOXES = """() => {
  const shown = e => { const s = getComputedStyle(e);
    return s.display !== 'none' && s.visibility !== 'hidden' && !e.closest('.tooltip'); };
  const box = (e, kind) => { const r = e.getBoundingClientRect();
    return {kind, text: e.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const texts = [...document.querySelectorAll('text')].filter(t => t.textContent.trim() && shown(t));
  const swatches = [...document.querySelectorAll('.legend rect')].filter(shown);
  const root = document.documentElement.getBoundingClientRect();
  return {width: root.width, height: root.height,
          boxes: [...texts.map(t => box(t, 'text')), ...swatches.map(r => box(r, 'swatch'))]};
}"""


def layout_faults(state: dict[str, Any]) -> list[str]:
    """Text outside the picture, and pairs of boxes (text/text, text/swatch) that overlap."""
    faults = []
    boxes = state["boxes"]
    for box in boxes:
        if box["kind"] == "text" and (box["left"] < -0.5 or box["top"] < -0.5 or box["right"] > state["width"] + 0.5
                                      or box["bottom"] > state["height"] + 0.5):  # fmt: skip
            faults.append(f"clipped {box['text']!r}")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if a["kind"] == b["kind"] == "swatch":
                continue
            across = min(a["right"], b["right"]) - max(a["left"], b["left"])
            down = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if across > 0.5 and down > 0.5:
                faults.append(f"{a['text']!r} overlaps {b['text']!r}")
    return faults


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """95 days of two repositories (one Chinese, one English): 14 weeks, every change type, long
    legend names ("Dependencies", "Median (30 days with a report)"). Of the day pages only the newest
    are written: the test opens no other."""
    out = tmp_path_factory.mktemp("chart-labels") / "site"
    reports = many_reports(2, 95, 10, seed=5, missing=frozenset({12, 13}))
    write_chart_pages(Site.from_reports(reports, language="en", title="trends"), out)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def chart_pages(site: Path) -> dict[str, Path]:
    pages = {"index": site / "index.html"}
    for repo in ("org0--project0", "org1--project1"):
        root = site / "repos" / repo
        pages[f"{repo}-repo"] = root / "index.html"
        pages[f"{repo}-day"] = sorted(root.glob("2026-*.html"))[-1]
        pages[f"{repo}-week"] = sorted((root / "weeks").glob("*.html"))[-2]
    return pages


def test_chart_kinds_are_all_covered(site: Path) -> None:
    stems = {p.stem for p in site.rglob("charts/*.svg")}
    kinds = {s.split("-", 2)[-1] if "-W" in s else "day-vs-median" if s[:4] == "2026" else s for s in stems}
    assert {"commits-90d", "types-90d", "areas-90d", "authors-90d", "last-30d", "day-vs-median", "weekdays",
            "type-mix"} <= kinds, kinds  # fmt: skip


def frames_page(shown: list[dict[str, Any]], target: Path) -> None:
    """A page of one frame per picture, each the picture's size: each SVG opened on its own at the size
    its page shows it, all in one navigation."""
    frames = "".join(
        f'<iframe src="{img["src"]}" style="display:block;border:0;margin:0;padding:0;'
        f'width:{img["frame"][0]}px;height:{img["frame"][1]}px"></iframe>'
        for img in shown
    )
    target.write_text(f"<!doctype html><html><body style='margin:0'>{frames}</body></html>", encoding="utf-8")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_chart_labels_never_overlap_and_are_not_clipped(
    browser: Any, site: Path, scheme: str, width: int, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    try:
        page, picture = context.new_page(), context.new_page()
        ARTIFACTS.mkdir(exist_ok=True)
        pictures: list[dict[str, Any]] = []
        for name, path in chart_pages(site).items():
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            shown = page.evaluate(
                """() => [...document.querySelectorAll('figure.chart img.chart')].map(i =>
                    ({src: i.src, width: i.getBoundingClientRect().width, height: i.getBoundingClientRect().height}))"""
            )
            assert shown, name
            # Headless Chromium draws a background tab only now and then: an element screenshot of a page
            # behind another waits for a frame (~2 s each), so `page` is in front while it is shot.
            page.bring_to_front()
            for i, img in enumerate(shown):
                if EVERY_PICTURE:
                    page.locator("figure.chart").nth(i).screenshot(
                        path=str(ARTIFACTS / f"chart-labels-{name}-{i}-{scheme}-{width}.png")
                    )
                assert img["width"] <= width
                img["name"] = name
                img["frame"] = (max(1, round(img["width"])), max(1, round(img["height"])))
                pictures.append(img)
        frames_page(pictures, tmp_path / "pictures.html")
        picture.bring_to_front()
        picture.set_viewport_size({"width": max(img["frame"][0] for img in pictures), "height": 900})
        picture.goto((tmp_path / "pictures.html").as_uri())  # waits for every frame's load
        frames = [f.content_frame() for f in picture.query_selector_all("iframe")]
        assert len(frames) == len(pictures)
        checked, faults = 0, {}
        for img, frame in zip(pictures, frames, strict=True):
            assert frame is not None and frame.url == img["src"], (img["name"], img["src"])
            state = frame.evaluate(BOXES)
            assert (state["width"], state["height"]) == img["frame"], (img["name"], img["src"], state)
            assert len(state["boxes"]) >= 4, (img["name"], img["src"])
            found = layout_faults(state)
            if found:
                faults[img["src"].rsplit("/", 2)[-1]] = found[:4]
            checked += 1
        assert faults == {}
        assert checked >= 4 + 2 * 6
    finally:
        context.close()


def test_mail_and_standalone_week_charts_keep_their_labels_apart(
    browser: Any, site: Path, tmp_path: Path
) -> None:
    """The PNG pictures (640 px, title drawn in) come from the same layout: drawn as SVG, checked alike."""
    from dailydiff.render.charts import PNG_WIDTH, _pygal_chart, picture_height

    reports = many_reports(2, 21, 10, seed=9)
    charts = []
    for language, repo in (("zh", "org0/project0"), ("en", "org1/project1")):
        days = {r.date: r for r in reports if r.repo == repo}
        week = IsoWeek(year=2026, week=2)
        digest = build_digest(repo, week, {d: days.get(d) for d in week.days}, timezone="Asia/Shanghai",
                              language=language)  # fmt: skip
        charts += weekly_charts(digest, {"feature": 3, "dependency": 2})
    context = browser.new_context(color_scheme="light")
    try:
        page = context.new_page()
        for chart in charts:
            for svg, width in ((render_svg(chart), 480),
                               (_pygal_chart(chart, width=PNG_WIDTH, height=260).render(is_unicode=True),
                                PNG_WIDTH)):  # fmt: skip
                target = tmp_path / f"{chart.key}-{chart.language}-{width}.svg"
                target.write_text(svg, encoding="utf-8")
                page.set_viewport_size({"width": width, "height": picture_height(chart, width=width)})
                page.goto(target.as_uri())
                assert layout_faults(page.evaluate(BOXES)) == [], target.name
    finally:
        context.close()
