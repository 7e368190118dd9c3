"""Benchmark: build the static site from stored reports — the cost of its trend charts, and the
incremental build of a large store.

    python3 bench/site_build.py [--repos 3] [--days 90] [--commits 40] [--rounds 1]
                                [--store-repos 500] [--store-days 365] [--verify] [--skip-charts-part]
                                [--jobs N] [--add-jobs N] [--keep DIR] [--store-only] [--add-only]

Part 1 (charts): reports made the way the pipeline makes them (rule scores, heuristic analyses, day
overview) from synthetic commits with realistic titles and files (tests/sitefixtures.py) are built once
with `[site] charts = false` and once with charts, side by side (with --rounds N, alternately, keeping each
one's best). Prints the charts' cost against the limit (at most 50% more than the build without them) and
the total against the 10 s budget of 3 repositories × 30 days.

Part 2 (incremental, `dailydiff site build` over a store): a store of --store-repos repositories ×
--store-days days, each day a clone of a pipeline-made template day of realistic size (0–60 commits, a long
tail, a quarter of the days empty), saved through the store API; the full build, then one more day for
every repository and a build (the target: under 30 s at 500 × 365), then a build with nothing changed
(the target: no file written, under 5 s). --verify also builds the final store from scratch into another
directory and compares every file byte for byte with the incremental one.

--jobs N builds the full builds in N processes, --add-jobs N the build after one more day (both by default
`site build`'s default, one per core). --keep DIR builds in DIR and leaves the store (DIR/data)
and the site (DIR/site) there; --add-only --keep DIR then adds one more day to that store and times the
build and a build with nothing changed again, without a full build (the lead re-measures on merged code).
--store-only makes the store (below) and stops.

The store is kept in the temporary directory (dailydiff-bench-site-<repos>x<days>-…) and copied by the
next run with the same sizes and the same code making it: saving 182,500 reports one by one takes most of
an hour.

Measured on a shared 2-core machine (load average 6–9), about 4.7 commits a day. Before the build kept
summaries: 500 × 7 — full 634 s, one more day 150.5 s; 10 × 365 — full 256 s, one more day 25.6 s (parsing
every stored report, pygal's 8 charts per repository, feeds and search index rebuilt from every report).
Now: 500 × 7 — full 56.4 s, one more day 18.4 s (17.0 s of CPU, load average 2.9; 66.6 s at load 7),
6,370 of 18,507 files, nothing changed 0.04 s, identical to a full build (19,007 files); 10 × 365 — full 122.3 s, one more day 2.12 s (129 of 12,647
files), nothing changed 0.02 s, identical (12,777 files); 50 × 365 — full 497 s (27.3 ms a report), one
more day 9.4 s (4.8 s of CPU; 652 of 63,207 files), nothing changed 0.11 s. One more day now costs about
13 files per repository (the day's page, JSON and chart, the day before's page, the week's page and
charts, the repository's page, feed and charts) plus the site-wide pages from the kept summaries; what
still grows with every stored report is reading the kept summaries, laying the pages out and
fingerprinting them (about 0.3 ms a report at 10 × 365), and the feeds and search index written whole.
Since the search index is a script per month, feeds keep the newest 100 entries and the kept summaries'
texts are read only where shown (50 × 365, load average 8.4–9.8 from other work: a new day writes a 2.1 MB
search part, not the 25 MB index; a 100 KB feed.xml, not 12.7 MB; reads 13 MB of the 54 MB kept): 50 × 365
— full 549.9 s with --jobs 2 (30.1 ms a report), one more day 13.7–25.4 s wall for 5.6–5.9 s of CPU
(643–653 of ~63,300 files), 18.2–22.8 s with --add-jobs 2, nothing changed 0.11–0.26 s, identical to a
full build (64,519 files). Profiled there, one more day spends its time on the repository pages (365 rows
each, ~20 ms a repository), laying out and fingerprinting every page (pages(), chart_pages(),
page_inputs(): ~30% of the profile; rendering ~40%), reading the kept summaries (~9%), and ~1.7 ms a renamed file on this disk.
Since each repository's pages are laid out, fingerprinted and written by the writer processes (the site-wide
pages and the kept summaries' records meanwhile by the first), the records, manifest and watermark go through
orjson, the collector pauses while the site is laid out, templates read a dict's keys without Jinja's failed
attribute lookup, and a repository's page lists its last 90 days (the older in their weeks): 500 × 365 —
full build 2,635 s at load 2–6 (14.4 ms a report, 630,518 files, the lead's earlier code), one more day
23.7–25.2 s with 2 processes on the quiet 2-core machine (9.2–9.4 s of CPU in the first; 6,295–7,072 of
~650,000 files; a Monday adds each repository's new week) and 42.5 s with 1 (58.9 s before these changes),
nothing changed 0.45–0.51 s; 12 × 200 with --verify: identical to a full build (8,545 files).

Exits 1 when a result is wrong (a build with nothing changed wrote a file, an incremental site differs from
a full one), 3 when a time target was missed (bench/verdict.py).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import filecmp
import hashlib
import inspect
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from dailydiff import __version__  # noqa: E402
from dailydiff.common.timewindow import day_window  # noqa: E402
from dailydiff.models import DayReport  # noqa: E402
from dailydiff.settings import Settings, load_settings  # noqa: E402
from dailydiff.site import BuildResult, Site, build_from_store, build_site, default_jobs  # noqa: E402
from dailydiff.store import Store  # noqa: E402
from sitefixtures import many_reports  # noqa: E402
from verdict import verdict  # noqa: E402

BUDGET_SECONDS = 10.0  # 3 repositories × 30 days, charts included
BUDGET_REPORTS = 90
CHARTS_LIMIT = 1.5  # the build with charts takes at most 1.5× the build without
ADD_DAY_SECONDS = 30.0  # one more day for each of 500 repositories × 365 days
UNCHANGED_SECONDS = 5.0
TEMPLATES = 40  # template days per language


def charts_part(args: argparse.Namespace) -> bool:
    reports = many_reports(args.repos, args.days, args.commits)
    commits = sum(r.stats.total for r in reports)
    best = {False: float("inf"), True: float("inf")}
    pages = {False: 0, True: 0}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        with Store.open(data) as store:
            for report in reports:
                store.save_report(report)
        began = time.perf_counter()
        with Store.open(data) as store:
            loaded = list(store.iter_reports())
        load_seconds = time.perf_counter() - began
        # Warm-up without charts (templates compiled, code loaded) so that neither kind pays it; the
        # charting library's import stays in the charts' cost.
        build_site(Site.from_reports(loaded[:2], charts=False), Path(tmp) / "warm-up")
        for round_ in range(args.rounds):
            for charts in (False, True):
                out = Path(tmp) / f"site-{charts}-{round_}"
                began = time.perf_counter()
                result = build_site(Site.from_reports(loaded, charts=charts), out)
                best[charts] = min(best[charts], time.perf_counter() - began)
                pages[charts] = result.pages
    ratio = best[True] / best[False]
    budget = BUDGET_SECONDS * len(reports) / BUDGET_REPORTS
    total = load_seconds + best[True]
    print(f"reports: {len(reports)} ({args.repos} repositories × {args.days} days), commits: {commits}")
    print(f"load from store: {load_seconds:.2f} s")
    print(f"build without charts: {best[False]:.2f} s ({pages[False]} files)")
    print(f"build with charts: {best[True]:.2f} s ({pages[True]} files, {pages[True] - pages[False]} charts)")
    print(f"charts: {ratio:.2f}× the build without them ({(ratio - 1) * 100:+.0f}%; limit "
          f"+{(CHARTS_LIMIT - 1) * 100:.0f}%: {'OK' if ratio <= CHARTS_LIMIT else 'TOO SLOW'})")  # fmt: skip
    print(f"total with charts: {total:.2f} s — {total / budget:.2f}× the {budget:.1f} s budget "
          f"({BUDGET_SECONDS:.0f} s per {BUDGET_REPORTS} reports; {'OK' if total < budget else 'over'})")  # fmt: skip
    return ratio <= CHARTS_LIMIT


def commits_of_a_day(rng: random.Random) -> int:
    """0–60 commits with a long tail: a quarter of the days empty, most days a few, some dozens."""
    if rng.random() < 0.25:
        return 0
    return min(60, 1 + int(rng.expovariate(1 / 6)))


def templates(rng: random.Random) -> dict[str, list[DayReport]]:
    """Pipeline-made days of realistic sizes, per language (made once; every stored day is a copy)."""
    out: dict[str, list[DayReport]] = {"zh": [], "en": []}
    for i in range(TEMPLATES):
        n = commits_of_a_day(rng)
        zh, en = many_reports(2, 1, max(n, 0), seed=i)  # repository 0 writes Chinese, 1 English
        out["zh"].append(zh)
        out["en"].append(en)
    return out


def day_of(template: DayReport, repo: str, date: dt.date) -> DayReport:
    """``template`` as ``repo``'s report of ``date`` (its commits moved to that day)."""
    shift = dt.timedelta(days=(date - template.date).days)
    commits = [
        rc.model_copy(update={"repo": repo, "url": f"https://github.com/{repo}/commit/{rc.sha}",
                              "committed_at": rc.committed_at + shift, "authored_at": rc.authored_at + shift})
        for rc in template.commits
    ]  # fmt: skip
    return template.model_copy(update={
        "repo": repo, "repo_url": f"https://github.com/{repo}", "date": date,
        "window": day_window(date, template.timezone), "commits": commits,
    })  # fmt: skip


def store_days(
    store: Store, made: dict[str, list[DayReport]], repos: int, dates: list[dt.date], seed: int
) -> int:
    rng = random.Random(seed)
    saved = 0
    for r in range(repos):
        language = "zh" if r % 2 == 0 else "en"
        store.save_reports(day_of(rng.choice(made[language]), f"team{r}/service{r}", date) for date in dates)
        saved += len(dates)
    return saved


def cached_store(
    data: Path, made: dict[str, list[DayReport]], repos: int, dates: list[dt.date]
) -> tuple[int, Path, bool]:
    """The bench's store in ``data``: copied from a store kept in the temporary directory by an earlier run
    with the same sizes and the same code (saving 182,500 reports one by one takes most of an hour),
    else saved and kept there for the next run. Returns the reports stored, where the store is kept and
    whether it was copied from there (else saved now)."""
    made_by = [inspect.getsource(f) for f in (commits_of_a_day, templates, day_of, store_days)]
    files = (ROOT / "tests" / "sitefixtures.py", ROOT / "src" / "dailydiff" / "store" / "migrations.py")
    code = hashlib.sha256(repr((made_by, TEMPLATES, [f.read_text() for f in files])).encode()).hexdigest()[
        :12
    ]
    kept = Path(tempfile.gettempdir()) / f"dailydiff-bench-site-{repos}x{len(dates)}-{__version__}-{code}"
    if (kept / "done").is_file():
        shutil.copytree(kept / "data", data)
        return repos * len(dates), kept, True
    with Store.open(data) as store:
        saved = store_days(store, made, repos, dates, seed=1)
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(data, kept / "data")
    (kept / "done").write_text("", encoding="utf-8")
    return saved, kept, False


def files_of(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")
    )


def one_more_day(store: Store, made: dict[str, list[DayReport]], repos: int, date: dt.date, settings: Settings,
                 out: Path, full_seconds: float, jobs: int) -> tuple[BuildResult, bool]:  # fmt: skip
    """A day more for each repository and a build (in ``jobs`` processes), then a build with nothing
    changed: (that build, fast)."""
    added = store_days(store, made, repos, [date], seed=2)
    began, cpu = time.perf_counter(), time.process_time()
    more = build_from_store(store, settings, out, jobs=jobs)
    add_seconds, add_cpu = time.perf_counter() - began, time.process_time() - cpu
    began = time.perf_counter()
    again = build_from_store(store, settings, out)
    same_seconds = time.perf_counter() - began
    add_ok = add_seconds < ADD_DAY_SECONDS
    same_ok = same_seconds < UNCHANGED_SECONDS
    ratio = f" — {add_seconds / full_seconds:.3f}× the full build" if full_seconds else ""
    print(f"one more day ({date}) for each repository ({added} reports, {jobs} process(es)): {add_seconds:.2f} s "
          f"({add_cpu:.1f} s of CPU in the first process, "
          f"load average {os.getloadavg()[0]:.1f}), {more.written} of {more.pages} files written, "
          f"{more.removed} removed{ratio}; target < {ADD_DAY_SECONDS:.0f} s: {'OK' if add_ok else 'TOO SLOW'}")  # fmt: skip
    print(f"no change: {same_seconds:.2f} s (load average {os.getloadavg()[0]:.1f}), {again.written} files "
          f"written; target 0 files, < {UNCHANGED_SECONDS:.0f} s: "
          f"{'OK' if same_ok and again.written == 0 else 'WRONG' if again.written else 'TOO SLOW'}", flush=True)  # fmt: skip
    return again, add_ok and same_ok


def incremental_part(args: argparse.Namespace) -> tuple[bool, bool]:
    """(right, fast)"""
    settings = load_settings(environ={}, cwd=ROOT)
    start = dt.date(2025, 1, 1)
    dates = [start + dt.timedelta(days=d) for d in range(args.store_days)]
    began = time.perf_counter()
    made = templates(random.Random(11))
    template_seconds = time.perf_counter() - began
    right = True
    with contextlib.ExitStack() as stack:
        tmp = args.keep or stack.enter_context(tempfile.TemporaryDirectory())
        data, out = Path(tmp) / "data", Path(tmp) / "site"
        if args.add_only:  # the store and site an earlier run kept there: one more day, no full build
            with Store.open(data) as store:
                newest = max(date for _repo, date, _language, _at in store.report_stamps())
                repos = len({repo for repo, _date, _language, _at in store.report_stamps()})
                again, fast = one_more_day(
                    store, made, repos, newest + dt.timedelta(days=1), settings, out, 0.0, args.add_jobs
                )
            return again.written == 0 and again.removed == 0, fast
        if args.keep:
            shutil.rmtree(data, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(Path(tmp) / "fresh", ignore_errors=True)
        began = time.perf_counter()
        saved, kept, copied = cached_store(data, made, args.store_repos, dates)
        store_seconds = time.perf_counter() - began
        commits = sum(r.stats.total for rs in made.values() for r in rs) / (2 * TEMPLATES)
        if args.store_only:
            print(f"store: {saved} reports in {store_seconds:.1f} s, kept in {kept}")
            return True, True
        print(f"\nstore: {args.store_repos} repositories × {args.store_days} days = {saved} reports "
              f"(about {commits:.1f} commits a day) {f'copied from {kept}' if copied else f'saved (kept in {kept})'} in {store_seconds:.1f} s "
              f"({template_seconds:.1f} s for {2 * TEMPLATES} template days)")  # fmt: skip
        with Store.open(data) as store:
            began = time.perf_counter()
            full = build_from_store(store, settings, out, jobs=args.jobs)
            full_seconds = time.perf_counter() - began
            print(f"full build: {full_seconds:.1f} s, {full.pages} files "
                  f"({full_seconds / max(saved, 1) * 1000:.1f} ms per report, {args.jobs} process(es), "
                  f"load average {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
            again, fast = one_more_day(store, made, args.store_repos, dates[-1] + dt.timedelta(days=1), settings,
                                       out, full_seconds, args.add_jobs)  # fmt: skip
        right = again.written == 0 and again.removed == 0
        if args.verify:
            fresh = Path(tmp) / "fresh"
            with Store.open(data) as store:
                build_from_store(store, settings, fresh, jobs=args.jobs)
            names = files_of(out)
            same_files = names == files_of(fresh)
            _match, mismatch, errors = filecmp.cmpfiles(out, fresh, names, shallow=False)
            identical = same_files and not mismatch and not errors
            print(f"incremental site against a full build of the same store: {len(names)} files, "
                  f"{'identical' if identical else f'DIFFERENT ({len(mismatch) + len(errors)} files)'}")  # fmt: skip
            right = right and identical
    return right, fast


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=3)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--commits", type=int, default=40, help="average commits per day")
    parser.add_argument("--rounds", type=int, default=1, help="builds of each kind, alternately (best kept)")
    parser.add_argument("--store-repos", type=int, default=500, help="repositories of the incremental part")
    parser.add_argument("--store-days", type=int, default=365, help="days of the incremental part")
    parser.add_argument(
        "--verify", action="store_true", help="compare the incremental site with a full build"
    )
    parser.add_argument("--skip-charts-part", action="store_true")
    parser.add_argument("--store-only", action="store_true", help="only make (and keep) the store")
    parser.add_argument("--add-only", action="store_true",
                        help="with --keep DIR of an earlier run: one more day and a build with nothing changed")  # fmt: skip
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help="processes of the full builds (default: `site build`'s, one per core)")  # fmt: skip
    parser.add_argument("--add-jobs", type=int, default=default_jobs(),
                        help="processes of the build after one more day (default: one per core)")  # fmt: skip
    parser.add_argument(
        "--keep", type=Path, help="build in this folder and leave the store and the sites there"
    )
    args = parser.parse_args()
    if args.add_only and not args.keep:
        parser.error("--add-only needs --keep DIR (of an earlier run)")
    charts_ok = True if args.skip_charts_part else charts_part(args)
    right, fast = incremental_part(args)
    return verdict(right, charts_ok and fast)


if __name__ == "__main__":
    raise SystemExit(main())
