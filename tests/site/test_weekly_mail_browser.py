"""The weekly e-mail in real Chromium at 600 px, light and dark: no horizontal scroll, the 8-week chart
drawn, the one-line summary on top. Mail clients show ``cid:`` images from the message's own parts; the
browser is given the same PNGs as data: URIs."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

from browser import ARTIFACTS, chromium
from dailydiff.engine.weekly import build_week, edition_of
from dailydiff.render.week import parse_week
from dailydiff.settings import load_settings
from dailydiff.store import Store
from test_week_compare import weeks  # noqa: F401  (the fixture: three weeks of a test repository)

NOTES = Path("/work/notes")


def _mail(weeks: dict[str, Any], audience: str) -> Any:  # noqa: F811
    settings = load_settings(
        environ={}, cwd=Path("/"), overrides={"report": {"timezone": "UTC", "language": "en"}}
    )
    iso = parse_week("2026-W29", parse_week("this", __import__("datetime").date(2026, 7, 20)).monday)
    with Store.open(weeks["data"]) as store:
        week = build_week(store, "example/proj", iso, settings, audience=audience)
        assert week is not None
        return edition_of(store, week, settings).mail()


def _page(mail: Any) -> str:
    page = mail.html
    for image in mail.images:
        page = page.replace(
            f"cid:{image.cid}", "data:image/png;base64," + base64.b64encode(image.png).decode()
        )
    return page


def test_the_weekly_mail_fits_600_px_with_its_chart_and_summary_in_light_and_dark(
    weeks: dict[str, Any],  # noqa: F811
) -> None:
    for audience in ("engineer", "stakeholder"):
        mail = _mail(weeks, audience)
        assert "<style" not in mail.html.split("</head>")[1]  # the body: inline styles only
        assert "<div" in mail.html and "<table" in mail.html and 'class="dd-card"' in mail.html
        assert mail.subject.startswith("[dailydiff] proj 2026-W29: 11 commits (↑9 vs last week)")
        names = [image.filename for image in mail.images]
        all_three = ["weeks-8.png", "weekdays.png", "type-mix.png"]
        assert names == (all_three if audience == "engineer" else all_three[:1])
        page = _page(mail)
        with chromium() as browser:
            for scheme in ("light", "dark"):
                context = browser.new_context(viewport={"width": 600, "height": 900}, color_scheme=scheme)
                tab = context.new_page()
                tab.set_content(page)
                sizes = tab.evaluate(
                    "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
                )
                assert sizes[0] <= sizes[1], (audience, scheme, sizes)
                for index, chart in enumerate(tab.locator("img").all()):
                    assert (
                        chart.is_visible()
                        and tab.evaluate(f"() => document.images[{index}].naturalWidth") > 0
                    )
                    box = chart.bounding_box()
                    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 600
                summary = tab.get_by_text("proj 2026-W29: 11 commits", exact=False).first
                assert summary.is_visible() and summary.bounding_box()["y"] < 200  # type: ignore[index]
                card = tab.evaluate(
                    "() => getComputedStyle(document.querySelector('.dd-card')).backgroundColor"
                )
                assert card == ("rgb(22, 27, 34)" if scheme == "dark" else "rgb(255, 255, 255)")
                ARTIFACTS.mkdir(exist_ok=True)
                shot = ARTIFACTS / f"week-mail-{audience}-{scheme}.png"
                tab.screenshot(path=str(shot), full_page=True)
                if NOTES.is_dir():
                    shutil.copy(shot, NOTES / shot.name)
                context.close()
