"""Trend charts: every chart's numbers (its data table and the bars of its SVG) against counts made here,
from the store, for the same days; the pictures are static and safe; the email carries them as PNG
parts its HTML shows by cid:, with the numbers in text."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import smtplib
import ssl
import statistics
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterator
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from pydantic import TypeAdapter

from dailydiff.models import DayReport
from dailydiff.publish.base import Secrets
from dailydiff.publish.email import EmailPublisher
from dailydiff.render import RENDERERS
from dailydiff.render.chartdata import day_against_median, weekly_charts
from dailydiff.render.charts import PNG_WIDTH, picture_height, render_svg
from dailydiff.render.edition import week_edition
from dailydiff.render.mail import markdown_to_text
from dailydiff.render.week import IsoWeek, build_digest
from dailydiff.settings.publishers import PublishEntry
from dailydiff.site import Site, build_site
from dailydiff.store import Store
from publish_reports import SETTINGS, edition
from sitefixtures import hostile_report, many_reports
from smtp_server import SmtpServer, make_certificate

SVG = "{http://www.w3.org/2000/svg}"
START = dt.date(2026, 1, 1)
DAYS = 45
MISSING = frozenset({10, 11, 30})  # day numbers without a stored report: gaps, not zeros
LEVELS = ("high", "medium", "low")


# reading the site ------------------------------------------------------------------------------


class _Figures(HTMLParser):
    """Each <figure data-chart> of a page: its picture's src and alt, its table's header and rows."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict] = []  # type: ignore[type-arg]
        self._fig: dict | None = None  # type: ignore[type-arg]
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "figure" and a.get("data-chart"):
            self._fig = {"key": a["data-chart"], "id": a.get("id"), "header": [], "rows": [], "src": None}
            self.figures.append(self._fig)
        elif self._fig is not None:
            if tag == "img":
                self._fig["src"], self._fig["alt"] = a.get("src"), a.get("alt")
            elif tag == "tr":
                self._row = []
            elif tag in ("th", "td") and self._row is not None:
                self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if self._fig is None:
            return
        if tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if not self._fig["header"]:
                self._fig["header"] = self._row
            else:
                self._fig["rows"].append(self._row)
            self._row = None
        elif tag == "figure":
            self._fig = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def figures(page: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    parser = _Figures()
    parser.feed(page.read_text(encoding="utf-8"))
    return {f["id"]: f for f in parser.figures}


def table(figure: dict) -> dict[str, list[int | float | None]]:  # type: ignore[type-arg]
    """label -> the row's numbers ("—" is None)."""
    return {row[0]: [None if c == "—" else (float(c) if "." in c else int(c)) for c in row[1:]]
            for row in figure["rows"]}  # fmt: skip


def svg_bars(svg_path: Path) -> dict[int, list[float]]:
    """The values pygal wrote on the bars, per series index, in order (a stacked gap is drawn as 0, a
    plain bar of a gap is not drawn)."""
    root = ET.parse(svg_path).getroot()
    series: dict[int, list[float]] = {}
    for group in root.iter(f"{SVG}g"):
        classes = (group.get("class") or "").split()
        if "series" not in classes:
            continue
        index = int(next(c for c in classes if c.startswith("serie-")).split("-")[1])
        values = [
            float(desc.text or "nan")
            for bar in group.iter(f"{SVG}g")
            if "bar" in (bar.get("class") or "").split()
            for desc in bar.findall(f"{SVG}desc")
            if desc.get("class") == "value"
        ]
        if values:
            series.setdefault(index, values)
    return series


def assert_svg_matches_table(svg_path: Path, fig: dict, columns: int, *, reverse: bool = False) -> None:  # type: ignore[type-arg]
    rows = list(table(fig).values())
    bars = svg_bars(svg_path)
    assert set(bars) <= set(range(columns)) and len(fig["header"]) - 1 >= columns
    for index in range(columns):
        values = bars.get(index, [])
        values = list(reversed(values)) if reverse else values
        drawn_as_zero = [row[index] or 0 for row in rows]
        left_out = [row[index] for row in rows if row[index] is not None]
        assert values in (drawn_as_zero, left_out), (svg_path.name, index, values, drawn_as_zero)
    assert sum(len(v) for v in bars.values()) > 0 or all(v is None for row in rows for v in row)


# the store, counted here -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("charts")
    data = tmp / "data"
    with Store.open(data) as store:
        for report in many_reports(2, DAYS, 6, seed=11, start=START, missing=MISSING):
            store.save_report(report)
        loaded = list(store.iter_reports())
    build_site(Site.from_reports(loaded, title="dailydiff 图表"), tmp / "site")
    return data, tmp / "site"


def stored(data: Path) -> dict[str, dict[dt.date, DayReport]]:
    with Store.open(data) as store:
        out: dict[str, dict[dt.date, DayReport]] = defaultdict(dict)
        for repo, date, language in store.list_reports():
            report = store.get_report(repo, date, language)
            assert report is not None
            out[repo][date] = report
    return out


def by_level(report: DayReport) -> list[int]:
    counts = Counter(rc.level.value for rc in report.commits)
    return [counts[level] for level in LEVELS]


def test_index_charts_are_commits_per_day_by_level_over_the_last_30_days(built: tuple[Path, Path]) -> None:
    data, site = built
    repos = stored(data)
    newest = max(d for days in repos.values() for d in days)
    figs = figures(site / "index.html")
    assert len(figs) == 2
    for repo, days in repos.items():
        slug = repo.replace("/", "--")
        fig = figs[f"trend-{slug}"]
        dates = [newest - dt.timedelta(days=29 - i) for i in range(30)]
        expected = {d.isoformat(): ([*by_level(days[d]), len(days[d].commits)] if d in days else [None] * 4)
                    for d in dates}  # fmt: skip
        assert table(fig) == expected
        assert None in [row[0] for row in expected.values()]  # a missing day is in the window: a gap
        assert fig["src"] == f"repos/{slug}/charts/last-30d.svg"
        assert_svg_matches_table(site / fig["src"], fig, 3)


def test_repository_charts_match_the_store(built: tuple[Path, Path]) -> None:
    data, site = built
    for repo, days in stored(data).items():
        slug = repo.replace("/", "--")
        page = site / "repos" / slug / "index.html"
        figs = {f["key"]: f for f in figures(page).values()}
        assert list(figs) == ["commits-90d", "types-90d", "areas-90d", "authors-90d"]
        first, last = min(days), max(days)
        # Commits per day: every day from the first stored one (fewer than 90 here) to the newest.
        span = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        expected = {d.isoformat(): ([*by_level(days[d]), len(days[d].commits)] if d in days else [None] * 4)
                    for d in span}  # fmt: skip
        assert table(figs["commits-90d"]) == expected
        # Change types per ISO week (a commit of two types counts in both).
        weeks: dict[str, Counter[str]] = defaultdict(Counter)
        for d in span:
            year, week, _ = d.isocalendar()
            weeks[f"{year}-W{week:02d}"].update(
                t.value for rc in (days[d].commits if d in days else []) if rc.analysis
                for t in rc.analysis.change_types
            )  # fmt: skip
        types_table = table(figs["types-90d"])
        assert list(types_table) == list(weeks)
        header = figs["types-90d"]["header"][1:-1]  # type names, then the total
        assert len(header) == len({t for c in weeks.values() for t in c})
        for week, counts in weeks.items():
            assert sum(v or 0 for v in types_table[week][:-1]) == sum(counts.values()), week
            assert sorted(v for v in types_table[week][:-1] if v) == sorted(counts.values()), week
        # Most-changed areas (commits touching a directory, two levels deep) and most active authors.
        areas: Counter[str] = Counter()
        authors: Counter[str] = Counter()
        for report in days.values():
            for rc in report.commits:
                areas.update({"/".join(f.path.split("/")[:-1][:2]) or "ROOT" for f in rc.files})
                authors[rc.author.name] += 1
        got_areas = {k: v[0] for k, v in table(figs["areas-90d"]).items()}
        root_label = next(k for k in got_areas if "/" not in k and k.startswith(("(", "（")))
        assert got_areas == {root_label if k == "ROOT" else k: v for k, v in areas.most_common(10)}
        assert {k: v[0] for k, v in table(figs["authors-90d"]).items()} == dict(authors.most_common(10))
        assert "张伟" in table(figs["authors-90d"])  # CJK labels kept as they are
        for key, columns in (("commits-90d", 3), ("types-90d", len(header))):
            assert_svg_matches_table(page.parent / figs[key]["src"], figs[key], columns)
        for key in ("areas-90d", "authors-90d"):  # horizontal bars: pygal draws the first at the bottom
            assert_svg_matches_table(page.parent / figs[key]["src"], figs[key], 1, reverse=True)


def test_each_day_against_the_median_of_the_30_days_before(built: tuple[Path, Path]) -> None:
    data, site = built
    checked = 0
    for repo, days in stored(data).items():
        for date, report in days.items():
            page = site / "repos" / repo.replace("/", "--") / f"{date.isoformat()}.html"
            [fig] = figures(page).values()
            before = [r for d, r in days.items() if date - dt.timedelta(days=30) <= d < date]
            rows = list(table(fig).values())
            today = [len(report.commits), *by_level(report)]
            assert [row[0] for row in rows] == today
            if before:
                medians = [statistics.median([len(r.commits) for r in before]),
                           *(statistics.median([by_level(r)[i] for r in before]) for i in range(3))]  # fmt: skip
                assert [row[1] for row in rows] == medians
                assert (
                    f"（{len(before)} 天有报告）" in fig["header"][2]
                    or f"({len(before)} day{'s' if len(before) != 1 else ''} with" in fig["header"][2]
                )
            else:
                assert [row[1] for row in rows] == [None] * 4
            assert_svg_matches_table(page.parent / fig["src"], fig, 2)
            checked += 1
    assert checked == 2 * (DAYS - len(MISSING))


def test_week_pages_by_weekday_and_type_mix_against_the_week_before(built: tuple[Path, Path]) -> None:
    data, site = built
    checked = 0
    for repo, days in stored(data).items():
        weeks = sorted({d.isocalendar()[:2] for d in days})
        for year, week in weeks:
            iso = IsoWeek(year=year, week=week)
            page = site / "repos" / repo.replace("/", "--") / "weeks" / f"{iso.label}.html"
            figs = {f["key"]: f for f in figures(page).values()}
            weekday_rows = list(table(figs["weekdays"]).values())
            expected = [
                [*by_level(days[d]), len(days[d].commits)] if d in days else [None] * 4 for d in iso.days
            ]
            assert weekday_rows == expected
            this: Counter[str] = Counter()
            before: Counter[str] = Counter()
            for d in iso.days:
                for target, day in ((this, d), (before, d - dt.timedelta(days=7))):
                    if day in days:
                        target.update(
                            t.value
                            for rc in days[day].commits
                            if rc.analysis
                            for t in rc.analysis.change_types
                        )
            had_before = any(d - dt.timedelta(days=7) in days for d in iso.days)
            mix = list(table(figs["type-mix"]).values())
            assert sorted(row[0] for row in mix if row[0]) == sorted(this.values())
            if had_before:
                assert sorted(row[1] for row in mix if row[1]) == sorted(before.values())
            else:
                assert all(len(row) == 1 for row in mix)  # no week before: one series
            assert_svg_matches_table(page.parent / figs["weekdays"]["src"], figs["weekdays"], 3)
            series = 2 if had_before else 1  # horizontal bars: pygal draws the first at the bottom
            assert_svg_matches_table(
                page.parent / figs["type-mix"]["src"], figs["type-mix"], series, reverse=True
            )
            checked += 1
    assert checked >= 2 * 6


def test_pictures_are_static_svg_that_follow_the_colour_scheme(built: tuple[Path, Path]) -> None:
    _data, site = built
    pictures = sorted(site.glob("repos/*/charts/*.svg"))
    assert len(pictures) == 2 * (1 + 4 + (DAYS - len(MISSING))) + 2 * len(
        list(site.glob("repos/*/weeks/*.html"))
    )
    for path in pictures[:40]:
        svg = path.read_text(encoding="utf-8")
        assert svg.startswith("<svg") and "<script" not in svg and "<!--" not in svg
        assert not re.search(r"\s(on\w+|href|xlink:href)=", svg)
        assert re.search(r"@media ?\(prefers-color-scheme: ?dark\)", svg) and "WenQuanYi Micro Hei" in svg
    # The same numbers make the same picture: a rebuild writes nothing.
    again = build_site(Site.from_reports(list(_reports(built[0])), title="dailydiff 图表"), site)
    assert again.written == 0


def _reports(data: Path) -> Iterator[DayReport]:
    with Store.open(data) as store:
        yield from store.iter_reports()


def test_hostile_names_stay_text_in_the_pictures(tmp_path: Path) -> None:
    site = Site.from_reports([hostile_report()])
    pages = site.pages()
    authors = pages["repos/evil---repo/charts/authors-90d.svg"]()
    assert "<script" not in authors and "&lt;script&gt;" in authors
    ET.fromstring(authors)  # well-formed
    day = pages["repos/evil---repo/charts/2026-01-27.svg"]()
    assert "<script" not in day and "<img" not in day


def test_sites_without_charts_have_none(built: tuple[Path, Path], tmp_path: Path) -> None:
    site = Site.from_reports(list(_reports(built[0])), charts=False)
    assert not [p for p in site.pages() if "/charts/" in p]
    assert "<figure" not in site.render_index()


# email -----------------------------------------------------------------------------------------

PASSWORD = "smtp-charts-pass"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    server = SmtpServer(*certificate, password=PASSWORD).start()
    yield server
    server.stop()


def _send(server: SmtpServer, cert: Path, message: EmailMessage) -> EmailMessage:
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
        client.starttls(context=ssl.create_default_context(cafile=str(cert)))
        client.login("reports", PASSWORD)
        client.send_message(message)
    (envelope,) = server.received[-1:]
    return envelope.message  # type: ignore[no-any-return]


def _check_inline_pictures(message: EmailMessage, expected: dict[str, tuple[int, int]]) -> str:
    """Every expected chart is an image/png part related to the HTML, referenced there by its cid, and
    decodes to a picture of the expected size; returns the HTML."""
    assert message.get_content_type() == "multipart/alternative"
    html_part = message.get_body(("html",))
    assert html_part is not None
    related = next(p for p in message.walk() if p.get_content_type() == "multipart/related")
    html = html_part.get_content()
    images = [p for p in related.iter_parts() if p.get_content_maintype() == "image"]
    assert len(images) == len(expected)
    for part in images:
        assert part.get_content_type() == "image/png" and part.get_content_disposition() == "inline"
        cid = part["Content-ID"].strip("<>")
        assert f'src="cid:{cid}"' in html
        picture = Image.open(io.BytesIO(part.get_content()))
        picture.load()
        key = (part.get_filename() or "").removesuffix(".png")
        assert picture.format == "PNG" and picture.size == expected[key], (key, picture.size)
        assert len(picture.getcolors(1 << 16) or range(300)) > 8  # a drawing, not a blank card
    assert "<script" not in html and "<svg" not in html
    return str(html)


def _entry(server: SmtpServer) -> object:
    return TypeAdapter(PublishEntry).validate_python({
        "type": "email", "host": "127.0.0.1", "port": server.port, "sender": "dailydiff <bot@example.com>",
        "recipients": ["a@example.com"],
    })  # fmt: skip


def _table_in(table: str, plain: str) -> bool:
    """Every row of a chart's text table is a line of the mail's text part (indented there as a code block)."""
    lines = [line.strip() for line in plain.splitlines()]
    return all(row.strip() in lines for row in table.splitlines() if row.strip())


def test_daily_email_carries_the_day_chart_as_an_inline_png(
    built: tuple[Path, Path], smtp: SmtpServer, certificate: tuple[Path, Path]
) -> None:
    days = stored(built[0])["org0/project0"]
    report = days[max(days)]
    chart = day_against_median(report, days.values())
    message = EmailPublisher(_entry(smtp), "email", Secrets({})).message(edition(report, list(days.values())))  # type: ignore[arg-type]
    received = _send(smtp, certificate[0], message)
    html = _check_inline_pictures(
        received, {"day-vs-median": (PNG_WIDTH, picture_height(chart, width=PNG_WIDTH))}
    )
    assert chart.title in html and f'alt="{chart.alt}"' in html.replace("&quot;", '"')
    plain = received.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert _table_in(chart.text_table(), plain) and chart.alt in plain
    # the report comes first, as text (issue 63: the text part is no Markdown source)
    assert plain.startswith(markdown_to_text(RENDERERS["md"](report))[:200])


def test_weekly_email_carries_the_week_charts_as_inline_pngs(
    built: tuple[Path, Path], smtp: SmtpServer, certificate: tuple[Path, Path]
) -> None:
    days = stored(built[0])["org0/project0"]
    newest = max(days)
    year, week, _ = (newest - dt.timedelta(days=7)).isocalendar()
    iso = IsoWeek(year=year, week=week)
    digest = build_digest("org0/project0", iso, {d: days.get(d) for d in iso.days}, timezone="Asia/Shanghai",
                          language="zh")  # fmt: skip
    before = [days[d - dt.timedelta(days=7)] for d in iso.days if d - dt.timedelta(days=7) in days]
    from dailydiff.render.chartdata import type_counts

    charts = weekly_charts(digest, type_counts(before))
    week = week_edition(digest, SETTINGS, type_counts(before))
    message = EmailPublisher(_entry(smtp), "email", Secrets({})).message(week)  # type: ignore[arg-type]
    received = _send(smtp, certificate[0], message)
    html = _check_inline_pictures(
        received, {c.key: (PNG_WIDTH, picture_height(c, width=PNG_WIDTH)) for c in charts}
    )
    plain = received.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for chart in charts:
        assert _table_in(chart.text_table(), plain) and chart.title in html
    assert "本周" in plain and "上周" in plain  # both weeks' columns, in the report's language


def test_svg_of_a_chart_is_deterministic() -> None:
    """The same day draws the same bytes: from a report read back from its JSON (new objects), and in
    processes with other string hashing (a set's order), as a site rebuilt elsewhere would."""
    import subprocess
    import sys

    report = many_reports(1, 3, 4, seed=3)[-1]
    svg = render_svg(day_against_median(report, []))
    again = DayReport.model_validate_json(report.model_dump_json())
    assert render_svg(day_against_median(again, [])) == svg
    here = Path(__file__).resolve().parents[1]
    code = (
        "import sys; from sitefixtures import many_reports; "
        "from dailydiff.render.chartdata import day_against_median; from dailydiff.render.charts import render_svg; "
        "sys.stdout.write(render_svg(day_against_median(many_reports(1, 3, 4, seed=3)[-1], [])))"
    )
    env = {**os.environ, "PYTHONPATH": f"{here.parent / 'src'}{os.pathsep}{here}"}
    for seed in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", code], env={**env, "PYTHONHASHSEED": seed},
                              capture_output=True, text=True, check=True)  # fmt: skip
        assert done.stdout == svg, seed
    assert svg.startswith("<svg ") and '<desc class="value">' in svg


def test_kept_numbers_are_the_same_bytes_in_every_process() -> None:
    """A day's numbers (kept beside the site) come out in one order whatever the process's string hashing:
    a commit's areas are a set. Two processes with other hash seeds write the same text."""
    import subprocess
    import sys

    here = Path(__file__).resolve().parents[1]
    code = (
        "import json; from sitefixtures import many_reports; "
        "from dailydiff.render.chartdata import DayNumbers; "
        "print(json.dumps([DayNumbers.of(r).as_dict() for r in many_reports(2, 5, 8, seed=4)]))"
    )

    def start(seed: str) -> subprocess.Popen[str]:
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": f"{here.parent / 'src'}{os.pathsep}{here}"}
        return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)

    def output(process: subprocess.Popen[str]) -> str:
        stdout, _ = process.communicate()
        assert process.returncode == 0, process.args
        return stdout

    processes = [start(seed) for seed in ("1", "2", "3", "4")]  # side by side: each mostly imports
    texts = {output(process) for process in processes}
    assert len(texts) == 1 and '"areas": [[' in texts.pop()


def test_png_pictures_draw_chinese_glyphs_not_boxes() -> None:
    """Two pictures that differ only in their Chinese labels differ where the labels are drawn: with no
    CJK font, cairo would draw the same missing-glyph box for every character of both."""
    from dailydiff.render.chartdata import Chart, Series
    from dailydiff.render.charts import render_png

    def picture(names: tuple[str, str]) -> Image.Image:
        chart = Chart(key="authors", kind="hbars", title="作者", label_header="作者", labels=names,
                      series=(Series("current", "提交", (3, 2)),), language="zh")  # fmt: skip
        return Image.open(io.BytesIO(render_png(chart))).convert("L")

    first, second = picture(("张伟", "李娜")), picture(("王芳", "刘洋"))
    assert first.size == second.size
    differing = sum(ImageChops.difference(first, second).histogram()[1:])
    assert differing > 100
