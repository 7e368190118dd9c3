"""`dailydiff publish SOURCE --date D`: send stored reports through the configured `[[publish]]` entries,
and the publishing step that `dailydiff report --publish` shares."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from dailydiff.cli.app import app, build_settings, handle_errors, stderr
from dailydiff.common.timewindow import check_timezone
from dailydiff.engine.dates import resolve_dates
from dailydiff.engine.deliver import DeliveryResult, failure_error
from dailydiff.engine.stream import deliver_stored
from dailydiff.errors import PublishError, UsageError
from dailydiff.models import DayReport
from dailydiff.publish.base import Previews, Rendered, Secrets
from dailydiff.publish.files import write_file
from dailydiff.publish.registry import build_publishers, select
from dailydiff.render import renderers_for
from dailydiff.settings import Settings
from dailydiff.sources import SourceOptions, open_source, source_kind
from dailydiff.store import Store, open_store


def publish_reports(
    reports: Sequence[DayReport],
    settings: Settings,
    store: Store,
    *,
    dry_run: bool = False,
    force: bool = False,
    only: Sequence[str] = (),
    quiet: bool = False,
    skipped: Sequence[tuple[DayReport, str]] = (),
) -> list[dict[str, Any]]:
    """Deliver each report to every configured publisher (engine.deliver: claimed in the ledger, never
    twice unless ``force``); returns the summary rows. ``skipped`` reports (e.g. gated ones) get a
    ``skipped`` row per publisher with the reason."""
    if not settings.publish:
        raise PublishError(
            "no [[publish]] entries are configured", "add some to dailydiff.toml (see the README)"
        )
    secrets = Secrets(os.environ)
    publishers = select(build_publishers(settings.publish, secrets), only)
    renderers = renderers_for(settings)
    rows: list[dict[str, Any]] = []

    def record(report: DayReport, results: Sequence[DeliveryResult]) -> None:
        for result in results:
            rows.append({"repo": report.repo, "date": report.date.isoformat(), **result.as_dict()})
            if quiet:
                continue
            if result.recovered:
                stderr.print(f"! {report.repo} {report.date}: {result.recovered}", markup=False)
            mark = {"ok": "✓", "skipped": "–", "failed": "✗"}[result.status]
            stderr.print(f"{mark} publish {result.publisher} {report.repo} {report.date}: {result.status}"
                         f" — {result.detail}", markup=False)  # fmt: skip

    for report, reason in skipped:
        record(report, [DeliveryResult(p.name, p.type, p.target, "skipped", reason) for p in publishers])
    for report in reports:
        rendered = Rendered(report, renderers)
        if dry_run:
            for publisher in publishers:
                text = publisher.preview(report, rendered) if isinstance(publisher, Previews) else ""
                sys.stdout.write(f"== {publisher.name} ({publisher.type}) ==\n{secrets.redact(text)}\n")
            record(
                report, [DeliveryResult(p.name, p.type, p.target, "skipped", "dry run") for p in publishers]
            )
            continue
        record(report, deliver_stored(report, rendered, publishers, store, force=force, secrets=secrets,
                                      claim_timeout=settings.run.claim_timeout))  # fmt: skip
    return rows


def raise_for_failures(rows: Sequence[dict[str, Any]]) -> None:
    results = [DeliveryResult(r["publisher"], r["type"], "", r["status"], r["detail"]) for r in rows]
    error = failure_error(results)
    if error is not None:
        raise error


def resolve_repo(source: str, repo: str | None, name: str | None, settings: Settings) -> str:
    if repo:
        return repo
    if name:
        return name
    if source_kind(source) == "github":
        return source.removeprefix("github:")
    return open_source(source, settings, SourceOptions()).repo


@app.command("publish")
@handle_errors
def publish_command(
    source: str = typer.Argument(..., help="The report's source, as given to `dailydiff report`."),
    date: str | None = typer.Option(
        None, "--date", "-d", help="YYYY-MM-DD, 'today' or 'yesterday' (default)."
    ),
    first: str | None = typer.Option(None, "--from", help="First day of a range."),
    last: str | None = typer.Option(None, "--to", help="Last day of a range, inclusive."),
    repo: str | None = typer.Option(
        None, "--repo", help="The report's repository id (default: from SOURCE)."
    ),
    name: str | None = typer.Option(
        None, "--name", help="The repository's name in reports, as given to report."
    ),
    tz: str | None = typer.Option(None, "--tz", help="IANA timezone that defines the day."),
    lang: str | None = typer.Option(None, "--lang", help="Report language: zh or en."),
    only: list[str] = typer.Option([], "--only", help="Only this publisher (by name; repeatable)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be sent; send nothing."),
    force: bool = typer.Option(
        False, "--force", help="Send again what was already delivered (a second chat message or e-mail)."
    ),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Where the store lives [env: DAILYDIFF_DATA_DIR]."
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Settings file [default: ./dailydiff.toml]."
    ),
    summary_json: Path | None = typer.Option(
        None, "--summary-json", help="Write the run summary as JSON to FILE."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary on stderr."),
) -> None:
    """Send stored report(s) through the configured publishers ([[publish]] in dailydiff.toml)."""
    if lang is not None and lang not in ("zh", "en"):
        raise UsageError(f"unknown language {lang!r}", "use --lang zh or --lang en")
    if tz is not None:
        check_timezone(tz)
    settings = build_settings(config, data_dir, {"report": {"timezone": tz, "language": lang}})
    dates = resolve_dates(date, first, last, settings.report.timezone)
    repo_id = resolve_repo(source, repo, name, settings)
    with open_store(settings) as store:
        reports = [store.get_report(repo_id, d, settings.report.language) for d in dates]
        found = [r for r in reports if r is not None]
        missing = [d.isoformat() for d, r in zip(dates, reports, strict=True) if r is None]
        if not found:
            raise PublishError(
                f"no stored {settings.report.language} report of {repo_id} for {', '.join(missing)}",
                f"build it first: dailydiff report {source} --date {missing[0]}",
            )
        rows = publish_reports(found, settings, store, dry_run=dry_run, force=force, only=only, quiet=quiet)
    summary = {"repo": repo_id, "dry_run": dry_run, "missing": missing, "publish": rows}
    if summary_json is not None:
        write_file(summary_json, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    if missing and not quiet:
        stderr.print(f"no stored report for {', '.join(missing)}", markup=False)
    raise_for_failures(rows)
