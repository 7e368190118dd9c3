"""`site build` as a plan: one unit that lays out and writes the static site, from the store or from a
directory of report JSON files. The command parses its flags into a ``Request``; ``plan_site`` checks what
it asks (the target, ``--jobs``, the JSON reports) before any work and chooses what to build from; the
runner builds the unit; the printer says what it wrote (``printer.site_line``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from dailydiff.engine.base import BaseUnit
from dailydiff.engine.outcome import BUILT, UnitOutcome
from dailydiff.engine.request import Request
from dailydiff.engine.runner import Plan
from dailydiff.errors import PublishError, UsageError
from dailydiff.models import DayReport
from dailydiff.render.json import load_report
from dailydiff.site import build_from_store, build_site, default_jobs, make_site


@dataclass(frozen=True)
class SiteUnit(BaseUnit):
    """The static site written into ``target`` by ``jobs`` processes: from the store (``reports`` None:
    only what changed since the last build) or from the reports read from JSON files."""

    kind: ClassVar[str] = "site"
    target: Path
    jobs: int
    date: dt.date
    reports: tuple[DayReport, ...] | None = None
    needs: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"site:{self.target}"

    @property
    def label(self) -> str:
        return f"site {self.target}"

    @classmethod
    async def build(cls, context: Any, units: Sequence[SiteUnit]) -> tuple[list[UnitOutcome], str]:
        # On the loop's own thread: a build with --jobs above 1 forks its writers (no other thread runs).
        return [unit.build_one(context) for unit in units], ""

    def build_one(self, context: Any) -> UnitOutcome:
        settings = context.settings
        if self.reports is not None:
            result = build_site(make_site(settings, list(self.reports)), self.target, self.jobs)
        else:
            with context.own_store() as store:
                result = build_from_store(store, settings, self.target, jobs=self.jobs)
        figures = {"reports": result.reports, "pages": result.pages, "written": result.written,
                   "removed": result.removed, "output_dir": str(result.output_dir)}  # fmt: skip
        return UnitOutcome(self.kind, self.label, BUILT, self.date, figures=figures, key=self.key)


def plan_site(request: Request) -> Plan:
    """The site's one unit: its target (``-o``, else ``[site] output_dir``) checked, ``--jobs`` checked
    (default: one per core, at most 8), and what it is built from: ``--from-json DIR``'s reports (read and
    checked now), else the store (opened by the unit: ``request.open_store``)."""
    settings = request.settings
    target = request.targets.output_dir or Path(settings.site.output_dir)
    if target.exists() and not target.is_dir():
        raise PublishError(f"{target} exists and is not a directory", "choose another --output-dir")
    jobs = default_jobs() if request.of.jobs is None else request.of.jobs
    if jobs < 1:
        raise UsageError("--jobs must be at least 1", "e.g. --jobs 2")
    reports = tuple(reports_from_json(request.of.from_json)) if request.of.from_json is not None else None
    planned = Plan(now=request.now)
    planned.add(SiteUnit(target, jobs, dt.date.today(), reports))
    return planned


def reports_from_json(directory: Path) -> Iterator[DayReport]:
    """Every report JSON file under ``directory`` (hidden ones left out); one that is not a report is the
    user's mistake, said in one line."""
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a directory", "pass the directory holding report .json files")
    for path in sorted(directory.rglob("*.json")):
        if any(part.startswith(".") for part in path.relative_to(directory).parts):
            continue
        try:
            yield load_report(path.read_bytes())
        except ValueError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UsageError(
                f"{path} is not a dailydiff report: {first}", "pass a directory of `--format json` reports"
            ) from None
