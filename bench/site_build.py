"""Benchmark: build the static site from stored reports, without and with its trend charts.

    python3 bench/site_build.py [--repos 3] [--days 90] [--commits 40] [--rounds 1]

The reports are made the way the pipeline makes them (rule scores, heuristic analyses, day overview) from
synthetic commits with realistic titles and files (tests/sitefixtures.py), saved to a store, then read
back and built, as `dailydiff site build` does — once with `[site] charts = false` and once with charts,
side by side in one run (with --rounds N, alternately, keeping each one's best). Prints the time of each
step, the charts' cost against the limit (at most 50% more than the build without them), the total
against the 10 s budget of 3 repositories × 30 days, and the time and files written of a rebuild with
nothing changed and of one after adding a day (incremental: only the pages a change touches are rendered).
Exits non-zero when the charts cost more than the limit.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from dailydiff.engine.site import Site, build_site  # noqa: E402
from dailydiff.store import Store  # noqa: E402
from sitefixtures import many_reports  # noqa: E402

BUDGET_SECONDS = 10.0  # 3 repositories × 30 days, charts included
BUDGET_REPORTS = 90
CHARTS_LIMIT = 1.5  # the build with charts takes at most 1.5× the build without


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=3)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--commits", type=int, default=40, help="average commits per day")
    parser.add_argument("--rounds", type=int, default=1, help="builds of each kind, alternately (best kept)")
    args = parser.parse_args()
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
        began = time.perf_counter()
        again = build_site(Site.from_reports(loaded), Path(tmp) / "site-True-0")
        rebuild_seconds = time.perf_counter() - began
        # One more day of one repository: only the pages it changes are rendered and written.
        newest = max(r.date for r in loaded)
        without = [r for r in loaded if not (r.date == newest and r.repo == loaded[0].repo)]
        build_site(Site.from_reports(without), Path(tmp) / "site-add")
        began = time.perf_counter()
        added = build_site(Site.from_reports(loaded), Path(tmp) / "site-add")
        add_seconds = time.perf_counter() - began
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
    print(f"rebuild with nothing changed: {rebuild_seconds:.2f} s ({again.written} files written); "
          f"{rebuild_seconds / best[True]:.2f}× the first build")  # fmt: skip
    print(f"rebuild after adding one day: {add_seconds:.2f} s ({added.written} of {added.pages} files written); "
          f"{add_seconds / best[True]:.2f}× the first build")  # fmt: skip
    return 0 if ratio <= CHARTS_LIMIT else 1


if __name__ == "__main__":
    raise SystemExit(main())
