"""The weekly digest as HTML: inert with hostile text, written by `dailydiff weekly --format html`, and one
page per repository and ISO week in the static site, with the Markdown digest's numbers and working links."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dailydiff.render.week import IsoWeek, build_digest
from dailydiff.render.weekly import WEEKLY_RENDERERS
from dailydiff.site import Site, build_site
from linkcheck import check_site
from opsfixtures import build_workspace, dailydiff, run_args
from sitefixtures import HOSTILE, hostile_report

WEEK = "2026-W02"  # the ops fixtures fill Monday 2026-01-05 .. Sunday 2026-01-11


class _Page(HTMLParser):
    """Tags with their attributes, the text of <style>, and the cells of the day-by-day table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.style = ""
        self.rows: dict[str, list[str]] = {}
        self._in_style = False
        self._row: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append((tag, values))
        self._in_style = tag == "style"
        if tag == "tr" and values.get("data-date"):
            self._row = values["data-date"]
            self.rows[self._row] = []
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        elif tag == "td" and self._row is not None and self._cell is not None:
            self.rows[self._row].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def assert_inert_chart(src: str, *, standalone: bool) -> None:
    prefix = "data:image/svg+xml;base64,"
    if standalone:
        assert src.startswith(prefix), src[:60]
        svg = base64.b64decode(src[len(prefix) :]).decode()
        assert svg.startswith("<svg") and "<script" not in svg and "<foreignObject" not in svg
        assert not re.search(r"\son\w+=", svg) and "href=" not in svg
    else:
        assert re.fullmatch(r"(\.\./)+charts/[\w.-]+\.svg", src), src


def assert_inert(html: str, *, standalone: bool) -> _Page:
    page = parse(html)
    for tag, attrs in page.tags:
        assert tag not in {"iframe", "svg", "object", "embed", "textarea", "b"}
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        if tag == "img":  # a chart: a picture of ours, a file beside the page or (standalone) a data: URI
            assert_inert_chart(attrs.get("src") or "", standalone=standalone)
            continue
        for name in ("href", "src", "action"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)
        if tag == "script":
            assert not standalone and attrs.get("src", "").endswith("assets/site.js")  # type: ignore[union-attr]
    heading_texts = re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", html, re.S)
    assert not any("Injected heading" in h or "Model heading" in h for h in heading_texts)
    return page


def test_a_hostile_digest_renders_inertly_standalone_and_in_the_site() -> None:
    report = hostile_report()
    digest = build_digest(report.repo, IsoWeek(year=2026, week=5), {report.date: report}, timezone="UTC",
                          language="en")  # fmt: skip
    assert digest.watch and digest.top_commits and "<script>" in digest.highlights[-1]
    standalone = WEEKLY_RENDERERS["html"](digest)
    page = assert_inert(standalone, standalone=True)
    assert '<html lang="en">' in standalone and "<h2>🧭 Highlights</h2>" in standalone
    assert "<h1>Weekly digest (2026-W05 · 2026-01-26 to 2026-02-01)</h1>" in standalone
    # Nothing to fetch: no stylesheet link, no script, no src but the charts' data: URIs; the one inline
    # style is allowed by its hash, images by the data: scheme only.
    assert not [t for t, a in page.tags if t in {"script", "link"} or ("src" in a and t != "img")]
    assert len([t for t, _ in page.tags if t == "img"]) == 2
    csp = next(a["content"] or "" for t, a in page.tags if t == "meta" and a.get("http-equiv"))
    assert "img-src data:;" in csp
    digest_hash = base64.b64encode(hashlib.sha256(page.style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest_hash}'" in csp and "script-src" not in csp and len(page.style) > 1000
    links = [a["href"] or "" for t, a in page.tags if t == "a"]
    assert links[0] == "#main" and all(h.startswith("https://") for h in links[1:])  # commit URLs, [ok](…)
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in standalone  # shown, as text
    # The same digest as a site page: the commits link to their day page's anchors.
    site = Site.from_reports([report])
    path = "repos/evil---repo/weeks/2026-W05.html"
    in_site = site.pages()[path]()
    site_page = assert_inert(in_site, standalone=False)
    anchors = [
        a["href"] or "" for t, a in site_page.tags if t == "a" and "2026-01-27.html#c-" in (a["href"] or "")
    ]
    assert len(anchors) >= len(HOSTILE)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("weekly-html")
    expected = build_workspace(root, repos=2, per_day=3)
    dailydiff(*run_args(), cwd=root)
    return root, expected


def markdown_rows(md: str) -> dict[str, list[str]]:
    """The day-by-day table of a Markdown digest: date -> [commits, high, medium, low, types…]."""
    rows = {}
    for line in md.splitlines():
        match = re.match(r"^\| (\d{4}-\d\d-\d\d) \(.\) \|(.*)\|$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def html_rows(page: _Page) -> dict[str, list[str]]:
    return {date: cells[1:] for date, cells in page.rows.items()}


def test_the_command_writes_html_and_the_site_has_the_same_weekly_pages(
    workspace: tuple[Path, dict],
) -> None:
    root, expected = workspace
    dailydiff("weekly", "--week", WEEK, "--format", "md,html", "--output-dir", "weekly", cwd=root)
    dailydiff("site", "build", "--output-dir", "site", "--quiet", cwd=root)
    site = root / "site"
    for name, commits in expected.items():
        md = (root / "weekly" / "2026" / name / f"weekly-{WEEK}.md").read_text(encoding="utf-8")
        html = (root / "weekly" / "2026" / name / f"weekly-{WEEK}.html").read_text(encoding="utf-8")
        standalone = assert_inert(html, standalone=True)
        assert "<h1>每周摘要（2026-W02 · 2026-01-05 ~ 2026-01-11）</h1>" in html
        wanted = markdown_rows(md)
        assert len(wanted) == 7 and sum(int(r[0]) for r in wanted.values()) == len(commits)
        assert html_rows(standalone) == wanted

        week_page = site / "repos" / name / "weeks" / f"{WEEK}.html"
        in_site = parse(week_page.read_text(encoding="utf-8"))
        assert html_rows(in_site) == wanted
        hrefs = {a.get("href") for t, a in in_site.tags if t == "a"}
        for day in wanted:
            assert f"../{day}.html" in hrefs  # every day of the week, from the table
            day_html = (site / "repos" / name / f"{day}.html").read_text(encoding="utf-8")
            assert f'class="week-link" href="weeks/{WEEK}.html"' in day_html  # and back
        repo_page = (site / "repos" / name / "index.html").read_text(encoding="utf-8")
        assert f'href="weeks/{WEEK}.html"' in repo_page
        top_md = len(re.findall(r"^\d+\. [🔴🟡🟢] ", md, re.M))
        assert top_md == 10 and week_page.read_text(encoding="utf-8").count('<li class="level-') == top_md
    checked, problems = check_site(site)
    assert problems == [] and checked > 100


def test_weekly_pages_follow_the_days_across_weeks(workspace: tuple[Path, dict], tmp_path: Path) -> None:
    """Days in two ISO weeks: two weekly pages, linked to each other, and each day page to its own week."""
    root, _ = workspace
    from dailydiff.settings import load_settings
    from dailydiff.store import Store
    from dailydiff.web import SiteCache

    with Store.open(root / "data") as store:
        reports = [r for r in store.iter_reports() if r.repo == "proj0"]
        served = SiteCache(store, load_settings(environ={}, cwd=Path("/"))).page(
            f"repos/proj0/weeks/{WEEK}.html"
        )
    assert (
        served is not None and "<h1>每周摘要（2026-W02 · 2026-01-05 ~ 2026-01-11）</h1>" in served[0].decode()
    )
    assert len(reports) == 7
    moved = reports[0].model_copy(update={"date": dt.date(2026, 1, 12)})  # a Monday of 2026-W03
    site = Site.from_reports([*reports[1:], moved])
    build_site(site, tmp_path)
    weeks = sorted(p.name for p in (tmp_path / "repos/proj0/weeks").iterdir())
    assert weeks == ["2026-W02.html", "2026-W03.html"]
    later = (tmp_path / "repos/proj0/weeks/2026-W03.html").read_text(encoding="utf-8")
    assert 'rel="prev" href="2026-W02.html"' in later and "../2026-01-12.html" in later
    earlier = parse((tmp_path / "repos/proj0/weeks/2026-W02.html").read_text(encoding="utf-8"))
    assert html_rows(earlier)[reports[0].date.isoformat()] == ["未生成"]
    assert check_site(tmp_path)[1] == []
