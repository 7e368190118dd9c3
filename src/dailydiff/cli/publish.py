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

from dailydiff.cli import options
from dailydiff.cli.app import app, build_settings, handle_errors, stderr
from dailydiff.cli.options import config_dir
from dailydiff.common.timewindow import check_timezone
from dailydiff.engine.dates import resolve_dates
from dailydiff.engine.deliver import DeliveryResult, deliver, failure_error, stored_history
from dailydiff.engine.names import repo_name
from dailydiff.errors import PublishError, UsageError
from dailydiff.models import DayReport
from dailydiff.publish.base import Publisher, Secrets
from dailydiff.publish.files import write_file
from dailydiff.publish.registry import build_publishers, select
from dailydiff.render.edition import Edition, day_edition
from dailydiff.settings import Settings
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
) -> list[dict[str, Any]]:
    """Deliver each stored report's edition to every configured publisher; returns the summary rows."""
    if not settings.publish:
        raise PublishError(
            "no [[publish]] entries are configured", "add some to dailydiff.toml (see the README)"
        )
    secrets = Secrets(os.environ)
    history = stored_history(lambda: open_store(settings)) if settings.site.charts else None
    publishers = select(build_publishers(settings.publish, secrets), only)
    editions = [day_edition(report, settings, history) for report in reports]
    return publish_editions(editions, publishers, store, secrets, settings.run.claim_timeout, dry_run=dry_run,
                            force=force, quiet=quiet)  # fmt: skip


def publish_editions(
    editions: Sequence[Edition],
    publishers: Sequence[Publisher],
    store: Store,
    secrets: Secrets,
    claim_timeout: float,
    *,
    dry_run: bool = False,
    force: bool = False,
    quiet: bool = False,
) -> list[dict[str, Any]]:
    """Each edition (any unit kind) to every publisher through the one deliver (engine/deliver.py:
    claimed in the ledger, never twice unless ``force``), or its preview with ``dry_run``; one summary
    row per delivery, each printed as one line unless ``quiet``."""
    rows: list[dict[str, Any]] = []
    for edition in editions:
        if dry_run:
            for publisher in publishers:
                text = secrets.redact(publisher.preview(edition))
                sys.stdout.write(f"== {publisher.name} ({publisher.type}) ==\n{text}\n")
            results = [DeliveryResult(p.name, p.type, p.target, "skipped", "dry run") for p in publishers]
        else:
            results = deliver(
                edition, publishers, store, force=force, secrets=secrets, claim_timeout=claim_timeout
            )
        for result in results:
            rows.append({"repo": edition.key.repo, "date": edition.key.date.isoformat(), **result.as_dict()})
            if quiet:
                continue
            if result.recovered:
                stderr.print(f"! {edition.label}: {result.recovered}", markup=False)
            mark = {"ok": "✓", "skipped": "–", "failed": "✗"}[result.status]
            stderr.print(f"{mark} publish {result.publisher} {edition.label}: {result.status} — {result.detail}",
                         markup=False)  # fmt: skip
    return rows


def raise_for_failures(rows: Sequence[dict[str, Any]]) -> None:
    results = [DeliveryResult(r["publisher"], r["type"], "", r["status"], r["detail"]) for r in rows]
    error = failure_error(results)
    if error is not None:
        raise error


def resolve_repo(source: str, repo: str | None, name: str | None, settings: Settings,
                 config: Path | None = None) -> str:  # fmt: skip
    if repo:
        return repo
    return repo_name(source, settings, name=name, base_dir=config_dir(config))


@app.command("publish", cls=options.Command)
@handle_errors
def publish_command(
    source: str = typer.Argument(
        ..., metavar="SOURCE", help="The report's source, as given to `dailydiff report`."
    ),
    date: options.Date = None,
    first: options.First = None,
    last: options.Last = None,
    repo: str | None = typer.Option(
        None, "--repo", metavar="REPO", help="The report's repository id (default: from SOURCE)."
    ),
    name: str | None = typer.Option(
        None, "--name", metavar="NAME", help="The repository's name in reports, as given to report."
    ),
    tz: options.Tz = None,
    lang: options.Lang = None,
    only: list[str] = typer.Option(
        [], "--only", metavar="PUBLISHER", help="Only this publisher (by name; repeatable)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be sent; send nothing."),
    force: bool = typer.Option(
        False, "--force", help="Send again what was already delivered (a second chat message or e-mail)."
    ),
    data_dir: options.DataDir = None,
    config: options.Config = None,
    summary_json: options.SummaryJson = None,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary on stderr."),
) -> None:
    """Send stored report(s) through the configured publishers ([[publish]] in dailydiff.toml)."""
    if lang is not None and lang not in ("zh", "en"):
        raise UsageError(f"unknown language {lang!r}", "use --lang zh or --lang en")
    if tz is not None:
        check_timezone(tz)
    settings = build_settings(config, data_dir, {"report": {"timezone": tz, "language": lang}})
    dates = resolve_dates(date, first, last, settings.report.timezone)
    repo_id = resolve_repo(source, repo, name, settings, config)
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
