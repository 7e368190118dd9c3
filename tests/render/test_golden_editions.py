"""Golden files per unit kind × output: a repository's day, a digest-day and a repository's week, each as
Markdown, HTML, every chat service's payload and the mail (text and HTML), from the golden sample day.
Reviewed by eye when they change; regenerate on purpose only: `make golden` (DAILYDIFF_REGENERATE_GOLDEN=1)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from dailydiff.models import DayReport
from dailydiff.publish import chat_formats
from dailydiff.render.digest import build_day_digest
from dailydiff.render.edition import Edition, day_edition, digest_edition, week_edition
from dailydiff.render.week import IsoWeek
from dailydiff.render.week import build_digest as build_week
from dailydiff.render.week_build import with_comparison
from dailydiff.settings import load_settings

GOLDEN = Path(__file__).parents[1] / "golden"
EDITIONS = GOLDEN / "editions"
REGENERATE = os.environ.get("DAILYDIFF_REGENERATE_GOLDEN") == "1"
NOW = dt.datetime(2026, 1, 20, 2, 0, tzinfo=dt.UTC)
SERVICES = ("feishu", "dingtalk", "wecom", "slack", "discord", "teams")
# No charts: their pictures depend on the fonts and the imaging library; tests/test_site_charts.py checks them.
SETTINGS = load_settings(
    environ={},
    cwd=Path("/"),
    overrides={
        "site": {"charts": False, "base_url": "https://reports.example.org/"},
        "report": {"language": "en"},
    },
)


def _editions() -> dict[str, Edition]:
    report = DayReport.model_validate_json((GOLDEN / "sample-2026-01-19.en.json").read_text(encoding="utf-8"))
    other = report.model_copy(update={"repo": "acme/other", "commits": report.commits[:2]})
    digest = build_day_digest("team", report.date, [report.repo, other.repo, "acme/quiet"],
                              {report.repo: report, other.repo: other}, language="en", timezone="UTC", now=NOW)  # fmt: skip
    year, week, _ = report.date.isocalendar()
    weekly = build_week(report.repo, IsoWeek(year=year, week=week), {report.date: report}, timezone="UTC",
                        language="en", now=NOW)  # fmt: skip
    # The week before holds the same day a week earlier: the edition states its week over week.
    before = report.model_copy(
        update={"date": report.date - dt.timedelta(days=7), "commits": report.commits[:3]}
    )
    weekly = with_comparison(weekly, {report.date: report, before.date: before})
    return {
        "day": day_edition(report, SETTINGS),
        "digest": digest_edition(digest, SETTINGS),
        "week": week_edition(weekly, SETTINGS),
    }


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    rendered: dict[str, str] = {}
    for kind, edition in _editions().items():
        rendered[f"{kind}.md"] = edition.files["md"]
        rendered[f"{kind}.html"] = edition.files["html"]
        for service in SERVICES:
            payloads = getattr(chat_formats, f"{service}_payloads")(edition.message(), 10)
            rendered[f"{kind}.{service}.json"] = json.dumps(payloads, ensure_ascii=False, indent=1) + "\n"
        mail = edition.mail()
        rendered[f"{kind}.mail.txt"] = f"Subject: {mail.subject}\n\n{mail.text}"
        rendered[f"{kind}.mail.html"] = mail.html
    return rendered


NAMES = [
    f"{kind}.{output}"
    for kind in ("day", "digest", "week")
    for output in ("md", "html", *(f"{s}.json" for s in SERVICES), "mail.txt", "mail.html")
]


@pytest.mark.parametrize("name", NAMES)
def test_edition_matches_golden(outputs: dict[str, str], name: str) -> None:
    path = EDITIONS / name
    if REGENERATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(outputs[name], encoding="utf-8")
    assert path.exists(), f"{path} missing: run `make golden` to create it"
    assert outputs[name] == path.read_text(encoding="utf-8"), (
        f"{name} changed; if intended, run `make golden`"
    )


def test_a_files_target_writes_days_weeks_and_digests_under_one_root(tmp_path: Path) -> None:
    """Issue 63: a `files` publisher wrote days under out/reports/2026/<repo>/ and weeks under out/2026/<repo>/.
    Its weeks and digests now go under the root its day template starts with; a digest's links reach the days."""
    from dailydiff.publish.files import FilesPublisher
    from dailydiff.settings.publishers import FilesEntry

    files = FilesPublisher(FilesEntry(type="files", directory=str(tmp_path), formats=["md"]), "files")
    local = SETTINGS.model_copy(update={"site": SETTINGS.site.model_copy(update={"base_url": ""})})
    editions = _editions()
    report = DayReport.model_validate_json((GOLDEN / "sample-2026-01-19.en.json").read_text(encoding="utf-8"))
    digest = build_day_digest("team", report.date, [report.repo], {report.repo: report}, language="en",
                              timezone="UTC", now=NOW)  # fmt: skip
    editions["digest"] = digest_edition(digest, local)
    paths = {kind: files.paths(edition)[0][1].relative_to(tmp_path) for kind, edition in editions.items()}
    assert paths["day"].as_posix() == "reports/2026/sglang/2026-01-19.md"
    assert paths["week"].as_posix() == "reports/2026/sglang/weekly-2026-W04.md"
    assert paths["digest"].as_posix() == "reports/digests/2026/team/2026-01-19.md"
    for result in (files.send(editions["day"]), files.send(editions["digest"])):
        assert result.status.value == "ok", result
    text = (tmp_path / paths["digest"]).read_text(encoding="utf-8")
    link = next(part.split(")")[0] for part in text.split("](") if part.startswith("../"))
    assert link == "../../../2026/sglang/2026-01-19.md#c-e3e425f"
    link = link.split("#")[0]
    assert (tmp_path / paths["digest"]).parent.joinpath(link).resolve() == (tmp_path / paths["day"]).resolve()
