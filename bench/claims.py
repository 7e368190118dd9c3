"""Benchmark: the time of one unit claim as a shared plan grows, on PostgreSQL and SQLite.

A night's plan as `run --plan` makes it: N repository-days, then one digest-day that waits for all of them.
One worker claims and completes every unit in order (the done part of the plan grows as in a night); the
claims are timed (the claim's transaction, from call to return) and their mean and 95th percentile printed
for each N, then how the mean grows from the smallest plan to the largest (1.00× would be a claim's cost
independent of the plan's size; 4.00× from 500 to 2,000 units, proportional to it).

    python3 bench/claims.py [--units 500,2000] [--stores postgresql,sqlite] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from dailydiff.store import Store  # noqa: E402
from pgserver import postgres_server  # noqa: E402
from store_workers import ExistingServer  # noqa: E402


def claim_times(store: Store, units: int) -> list[float]:
    """Each claim's seconds, planning ``units`` repository-days and a digest-day that needs them all."""
    days = [f"owner/repo{n}|2026-01-06" for n in range(units)]
    digest = "digest:all|2026-01-06"
    store.plan_units("night", [*days, digest], {digest: days})
    times = []
    while True:
        began = time.perf_counter()
        claim = store.claim_unit("night", "w0", lease=600)
        times.append(time.perf_counter() - began)
        if claim is None:
            return times
        store.complete_unit(claim)


def report(label: str, units: int, times: list[float]) -> float:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[int(len(ms) * 0.95)]
    mean = statistics.fmean(ms)
    print(f"{label:<10} {units:>6} units: {len(ms)} claims, mean {mean:.2f} ms, p95 {p95:.2f} ms")
    return mean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", default="500,2000")
    parser.add_argument("--stores", default="postgresql,sqlite")
    parser.add_argument("--pg-url", help="an existing PostgreSQL server's URL (default: start one here)")
    args = parser.parse_args()
    sizes = [int(n) for n in args.units.split(",")]
    stores = args.stores.split(",")
    means: dict[str, list[float]] = {}
    if "postgresql" in stores:
        server = (
            contextlib.nullcontext(ExistingServer(args.pg_url))
            if args.pg_url
            else postgres_server(stop_on_signals=True)
        )
        with server as pg:
            for units in sizes:
                with Store.connect(pg.create_database()) as store:
                    means.setdefault("postgresql", []).append(
                        report("postgresql", units, claim_times(store, units))
                    )
    if "sqlite" in stores:
        for units in sizes:
            with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp)) as store:
                means.setdefault("sqlite", []).append(report("sqlite", units, claim_times(store, units)))
    growth = ", ".join(f"{label} {m[-1] / m[0]:.2f}×" for label, m in means.items())
    print(f"mean claim at {sizes[-1]} units / at {sizes[0]}: {growth}")


if __name__ == "__main__":
    main()
