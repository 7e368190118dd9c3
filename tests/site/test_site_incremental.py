"""`site build` over a store, incrementally: a build with nothing stored since the last one reads no report
and writes nothing; one after new, changed or removed days gives the same files, byte for byte, as a full
build of the same store into an empty directory."""

from __future__ import annotations

import datetime as dt
import filecmp
import sqlite3
from pathlib import Path

import pytest

from dailydiff.models import DayReport
from dailydiff.publish.files import sync_filesystem
from dailydiff.settings import Settings, load_settings
from dailydiff.site import DAYS, MANIFEST, SOURCE, build_from_store
from dailydiff.store import DB_NAME, Store
from linkcheck import check_site
from sitefixtures import many_reports


@pytest.fixture(scope="module")
def reports() -> list[DayReport]:
    # 3 repositories × 10 days across two ISO weeks, about 3 commits a day; day 4 missing (a gap).
    return many_reports(3, 10, 3, start=dt.date(2026, 3, 5), missing=frozenset({4}))


def settings_for(tmp_path: Path, **site: object) -> Settings:
    lines = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in site.items())
    (tmp_path / "dailydiff.toml").write_text(f"[site]\n{lines}", encoding="utf-8")
    return load_settings(environ={}, cwd=tmp_path)


def files(root: Path) -> dict[str, int]:
    """Every file of a built site (the build's own records included) and its modification time."""
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def assert_same_as_a_full_build(store: Store, settings: Settings, site: Path, fresh: Path) -> None:
    build_from_store(store, settings, fresh)
    names = sorted(files(site))
    assert names == sorted(files(fresh))
    _same, differ, errors = filecmp.cmpfiles(site, fresh, names, shallow=False)
    assert (differ, errors) == ([], [])
    assert check_site(site)[1] == []


def save_days(store: Store, reports: list[DayReport], newest: bool) -> None:
    """Save the reports of every day but the newest (``newest``: of the newest day only)."""
    last = max(r.date for r in reports)
    store.save_reports(r for r in reports if (r.date == last) == newest)


def test_added_changed_and_removed_days_give_the_files_of_a_full_build(
    reports: list[DayReport], tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    last = max(r.date for r in reports)
    site = tmp_path / "site"
    with Store.open(tmp_path / "data") as store:
        save_days(store, reports, newest=False)
        first = build_from_store(store, settings, site)
        assert first.written == first.pages
        # one more day for every repository (a new ISO week for none, the newest day's neighbours change)
        save_days(store, reports, newest=True)
        added = build_from_store(store, settings, site)
        assert 0 < added.written < added.pages
        assert_same_as_a_full_build(store, settings, site, tmp_path / "fresh1")
        # an old day analysed again: its page, its neighbours, its week, charts after it
        old = next(r for r in reports if r.date == last - dt.timedelta(days=6) and r.repo == "org1/project1")
        changed = old.model_copy(update={"commits": old.commits[:1], "overview": old.overview})
        store.save_report(changed)
        assert build_from_store(store, settings, site).written > 0
        assert_same_as_a_full_build(store, settings, site, tmp_path / "fresh2")
    # a day removed from the store (by hand): its pages go
    with sqlite3.connect(tmp_path / "data" / DB_NAME) as db:
        db.execute("DELETE FROM reports WHERE repo = 'org2/project2' AND date = ?", (last.isoformat(),))
    with Store.open(tmp_path / "data") as store:
        gone = build_from_store(store, settings, site)
        assert gone.removed >= 3 and not (site / f"repos/org2--project2/{last.isoformat()}.html").exists()
        assert_same_as_a_full_build(store, settings, site, tmp_path / "fresh3")


def test_nothing_stored_since_the_last_build_writes_nothing(reports: list[DayReport], tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    site = tmp_path / "site"
    with Store.open(tmp_path / "data") as store:
        for report in reports:
            store.save_report(report)
        build_from_store(store, settings, site)
        before = files(site)
        again = build_from_store(store, settings, site)
    records = [name for name in before if name in (MANIFEST, SOURCE) or name.startswith(f"{DAYS}/")]
    assert (again.written, again.removed, again.pages) == (0, 0, len(before) - len(records))
    assert files(site) == before and {MANIFEST, SOURCE} <= set(records)


def test_a_build_flushes_the_sites_filesystem_once_and_never_every_disk(
    reports: list[DayReport], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``os.sync`` waits for every disk of the machine (a busy CI host's image builds included): the build
    flushes the filesystem of its output directory (syncfs), once, and only when it wrote pages."""
    from dailydiff.site import write as site_module

    def whole_machine() -> None:
        raise AssertionError("os.sync: every disk of the machine flushed")

    flushed: list[Path] = []

    def scoped(directory: Path) -> None:
        flushed.append(directory)
        sync_filesystem(directory)

    monkeypatch.setattr("os.sync", whole_machine)
    monkeypatch.setattr(site_module, "sync_filesystem", scoped)
    settings, site = settings_for(tmp_path), tmp_path / "site"
    with Store.open(tmp_path / "data") as store:
        store.save_reports(reports)
        assert build_from_store(store, settings, site).written > 0
        assert build_from_store(store, settings, site).written == 0
    assert flushed == [site]


def test_a_report_rewritten_within_the_same_second_is_seen(reports: list[DayReport], tmp_path: Path) -> None:
    """The store's stamps have one-second resolution: a row stored again in the newest second a build saw
    keeps its stamp, and the build still notices it (it keeps that second's rows' hashes)."""
    settings = settings_for(tmp_path)
    site = tmp_path / "site"
    newest = max(reports, key=lambda r: (r.date, r.repo))
    with Store.open(tmp_path / "data") as store:
        for report in reports:
            store.save_report(report)
        build_from_store(store, settings, site)
    data = tmp_path / "data" / DB_NAME
    with sqlite3.connect(data) as db:
        stamp = "2030-01-01T00:00:00+00:00"  # the newest second, for this row alone
        db.execute("UPDATE reports SET updated_at = ? WHERE repo = ? AND date = ?",
                   (stamp, newest.repo, newest.date.isoformat()))  # fmt: skip
    with Store.open(tmp_path / "data") as store:
        build_from_store(store, settings, site)
        assert build_from_store(store, settings, site).written == 0
    retitled = newest.model_copy(update={"commits": newest.commits[:1]})
    with sqlite3.connect(data) as db:  # stored again in that same second
        db.execute("UPDATE reports SET data = ? WHERE repo = ? AND date = ?",
                   (retitled.model_dump_json(), newest.repo, newest.date.isoformat()))  # fmt: skip
    with Store.open(tmp_path / "data") as store:
        assert build_from_store(store, settings, site).written > 0
        assert_same_as_a_full_build(store, settings, site, tmp_path / "fresh")


def test_changed_settings_rebuild_the_pages(reports: list[DayReport], tmp_path: Path) -> None:
    site = tmp_path / "site"
    with Store.open(tmp_path / "data") as store:
        for report in reports[:4]:
            store.save_report(report)
        build_from_store(store, settings_for(tmp_path), site)
        retitled = build_from_store(store, settings_for(tmp_path, title="Our reports"), site)
    assert retitled.written > 0
    assert "<title>Our reports</title>" in (site / "index.html").read_text(encoding="utf-8")


def test_a_new_day_reads_no_unchanged_report(reports: list[DayReport], tmp_path: Path) -> None:
    """What a build needs of an unchanged day (index, repository page, charts, feeds, search) comes from the
    build's record: a day stored long ago is not read again when another repository gets a new day (its
    stored text, damaged behind the store's back, would show as an unreadable page if it were)."""
    settings = settings_for(tmp_path)
    last = max(r.date for r in reports)
    site = tmp_path / "site"
    data = tmp_path / "data" / DB_NAME
    with Store.open(tmp_path / "data") as store:
        for report in reports:
            if report.date != last:
                store.save_report(report)
    with sqlite3.connect(data) as db:  # stored long ago (not among the rows stamped in the last seconds)
        db.execute("UPDATE reports SET updated_at = '2020-01-01T00:00:00+00:00'")
    with Store.open(tmp_path / "data") as store:
        build_from_store(store, settings, site)
    old = min(reports, key=lambda r: (r.date, r.repo))
    page = site / f"repos/{old.repo.replace('/', '--')}/{old.date.isoformat()}.html"
    before = page.read_bytes()
    with sqlite3.connect(data) as db:
        db.execute("UPDATE reports SET data = '{\"schema_version\": 999}' WHERE repo = ? AND date = ?",
                   (old.repo, old.date.isoformat()))  # fmt: skip
    with Store.open(tmp_path / "data") as store:
        newest = next(r for r in reports if r.date == last and r.repo != old.repo)
        store.save_report(newest)
        added = build_from_store(store, settings, site)
    assert 0 < added.written < added.pages
    assert page.read_bytes() == before
    assert old.repo.split("/")[1] in (site / "index.html").read_text(encoding="utf-8")


def test_a_new_day_rewrites_only_its_months_part_of_the_search_index(tmp_path: Path) -> None:
    """The search index is one script per month: a new day rewrites its month's part, no other (and the
    search page, whose list of parts is the same)."""
    reports = many_reports(2, 30, 2, start=dt.date(2026, 2, 15))  # February and March
    settings = settings_for(tmp_path)
    site = tmp_path / "site"
    with Store.open(tmp_path / "data") as store:
        save_days(store, reports, newest=False)
        build_from_store(store, settings, site)
        parts = sorted(p.name for p in (site / "assets/search").iterdir())
        assert parts == ["2026-02.js", "2026-03.js"]
        before = files(site)
        save_days(store, reports, newest=True)
        build_from_store(store, settings, site)
        after = files(site)
        assert after["assets/search/2026-02.js"] == before["assets/search/2026-02.js"]
        assert after["search.html"] == before["search.html"]
        assert after["assets/search/2026-03.js"] != before["assets/search/2026-03.js"]
        assert_same_as_a_full_build(store, settings, site, tmp_path / "fresh")


def test_damaged_kept_texts_are_made_again_from_the_reports(tmp_path: Path) -> None:
    """A kept summary's texts (feed entry, search entries) live in a file of their own, read only when a
    page shows them: when that file is damaged, the texts are made from the report again and the file is
    written again."""
    reports = many_reports(2, 30, 2, start=dt.date(2026, 2, 15))
    settings = settings_for(tmp_path)
    site = tmp_path / "site"
    with Store.open(tmp_path / "data") as store:
        save_days(store, reports, newest=False)
        build_from_store(store, settings, site)
        texts = sorted((site / DAYS).glob("*/*.texts.json"))
        assert len(texts) == 4  # 2 repositories × 2 months
        for path in texts:
            path.write_text("{", encoding="utf-8")
        save_days(store, reports, newest=True)
        build_from_store(store, settings, site)
        assert all(path.read_text(encoding="utf-8").startswith('{"format"') for path in texts)
        assert_same_as_a_full_build(store, settings, site, tmp_path / "fresh")


def test_builds_in_processes_reading_reports_again_give_the_files_of_one_process(
    reports: list[DayReport], tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    site = tmp_path / "site"
    with Store.open(tmp_path / "data") as store:
        save_days(store, reports, newest=False)
        # Summaries kept instead of the reports (as for a large store), pages read them again, in 2 processes
        parallel = build_from_store(store, settings, site, jobs=2, keep_parsed=0)
        assert parallel.written == parallel.pages
        assert_same_as_a_full_build(store, settings, site, tmp_path / "fresh1")
        save_days(store, reports, newest=True)  # the days before and their weeks are read again
        added = build_from_store(store, settings, site, jobs=2)
        assert 0 < added.written < added.pages
        assert_same_as_a_full_build(store, settings, site, tmp_path / "fresh2")
