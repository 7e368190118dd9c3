"""`dailydiff report SOURCE`: one report per day of a repository."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dailydiff.analysis import make_analyzer
from dailydiff.cli.app import app, build_settings, handle_errors, stderr
from dailydiff.common.timewindow import check_timezone
from dailydiff.engine.dates import resolve_dates
from dailydiff.engine.stages import RangeOutcome, build_reports, check_gate
from dailydiff.errors import UsageError
from dailydiff.publish.files import write_file, write_report_files
from dailydiff.render import renderers_for
from dailydiff.sources import SourceOptions, open_source
from dailydiff.store import open_store

FORMATS = ("md", "json")


def parse_formats(text: str | None) -> list[str] | None:
    if text is None:
        return None
    formats = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(
            f"unknown format {', '.join(unknown) or text!r}", f"choose from: {', '.join(FORMATS)}"
        )
    return formats


class _ProgressBar:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.progress: Progress | None = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> _ProgressBar:
        if self.enabled:
            self.progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=stderr, transient=True,
            )  # fmt: skip
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.progress is None:
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)


def summary_dict(outcome: RangeOutcome) -> dict[str, Any]:
    reports = []
    for day in outcome.days:
        r = day.report
        reports.append(
            {
                "repo": r.repo,
                "date": r.date.isoformat(),
                "commits": r.stats.total,
                "high": r.stats.high,
                "medium": r.stats.medium,
                "low": r.stats.low,
                "analysed": r.run.analysed,
                "cached": r.run.cached,
                "escalated": r.run.escalated,
                "fallback": r.run.fallback,
                "failed": r.run.failed,
                "failures": r.run.failures,
                "prompt_tokens": r.run.prompt_tokens,
                "completion_tokens": r.run.completion_tokens,
                "cost": r.run.cost,
                "gated": day.gated,
                "kept_previous": day.kept_previous,
            }
        )
    return {"fetched": outcome.fetched, "reports": reports}


@app.command("report")
@handle_errors
def report_command(
    source: str = typer.Argument(..., help="A local git repository path, a git URL, or a GitHub owner/name."),
    date: str | None = typer.Option(
        None, "--date", "-d", help="YYYY-MM-DD, 'today' or 'yesterday' (default)."
    ),
    first: str | None = typer.Option(None, "--from", help="First day of a range (one report per day)."),
    last: str | None = typer.Option(None, "--to", help="Last day of a range, inclusive."),
    tz: str | None = typer.Option(
        None, "--tz", help="IANA timezone that defines the day [default: Asia/Shanghai]."
    ),
    lang: str | None = typer.Option(None, "--lang", help="Report language: zh or en."),
    analyzer: str | None = typer.Option(None, "--analyzer", help="heuristic, llm or auto."),
    formats: str | None = typer.Option(
        None, "--format", help="Comma-separated formats for --output-dir: md,json."
    ),
    output_dir: Path | None = typer.Option(
        None,
        "--output-dir",
        "-o",
        help="Write DIR/YYYY/<repo>/YYYY-MM-DD.<ext>; without it the Markdown goes to stdout.",
    ),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Where the store lives [env: DAILYDIFF_DATA_DIR]."
    ),
    branch: str | None = typer.Option(
        None, "--branch", help="Branch to read (default: the repository's default)."
    ),
    all_branches: bool = typer.Option(
        False, "--all-branches", help="Read every branch; each commit reported once."
    ),
    name: str | None = typer.Option(
        None, "--name", help="The repository's name in reports (default: derived)."
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Settings file [default: ./dailydiff.toml]."
    ),
    summary_json: Path | None = typer.Option(
        None, "--summary-json", help="Write the run summary as JSON to FILE."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary on stderr."),
    publish: bool = typer.Option(
        False, "--publish", help="Send each report through the [[publish]] entries."
    ),
) -> None:
    """Build the daily report(s) of one repository."""
    if branch and all_branches:
        raise UsageError("--branch and --all-branches exclude each other", "pick one")
    if lang is not None and lang not in ("zh", "en"):
        raise UsageError(f"unknown language {lang!r}", "use --lang zh or --lang en")
    if tz is not None:
        check_timezone(tz)
    chosen_formats = parse_formats(formats)
    settings = build_settings(
        config,
        data_dir,
        {
            "report": {"timezone": tz, "language": lang, "formats": chosen_formats},
            "analysis": {"analyzer": analyzer},
        },
    )
    dates = resolve_dates(date, first, last, settings.report.timezone)
    if publish and not settings.publish:
        raise UsageError("--publish needs [[publish]] entries in the settings", "add some to dailydiff.toml")
    store = open_store(settings)
    run_id = store.start_run(" ".join(["report", *sys.argv[2:]]) if sys.argv[1:2] == ["report"] else "report")
    status = "failed"
    try:
        src = open_source(
            source, settings, SourceOptions(name=name, branch=branch or "", all_branches=all_branches), store
        )
        engine = make_analyzer(settings.analysis.analyzer, settings)
        with _ProgressBar(enabled=not quiet and stderr.is_terminal) as bar:
            outcome = build_reports(src, dates, settings, store, engine, progress=bar, watch=settings.watch)
        renderers = renderers_for(settings)
        written: list[Path] = []
        for day in outcome.days:
            if day.kept_previous:
                continue
            if output_dir is not None:
                written += write_report_files(
                    day.report, output_dir, settings.report.formats, renderers, settings.report.path_template
                )
            else:
                sys.stdout.write(renderers["md"](day.report))
                if len(outcome.days) > 1:
                    sys.stdout.write("\n")
        summary = summary_dict(outcome)
        summary["written"] = [str(p) for p in written]
        published: list[dict[str, Any]] = []
        if publish:
            from dailydiff.cli.publish import publish_reports

            gated = [(d.report, "not published: too many failed analyses") for d in outcome.days if d.gated]
            ready = [d.report for d in outcome.days if not d.gated]
            published = publish_reports(ready, settings, quiet=quiet, skipped=gated)
            summary["publish"] = published
        if summary_json is not None:
            write_file(summary_json, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
        if not quiet:
            _print_summary(outcome, written, output_dir)
        status = "ok"
        check_gate(outcome, settings)
        if publish:
            from dailydiff.cli.publish import raise_for_failures

            raise_for_failures(published)
    except BaseException:
        store.finish_run(run_id, status if status == "ok" else "failed", {})
        raise
    else:
        store.finish_run(run_id, status, summary)
    finally:
        store.close()


def _print_summary(outcome: RangeOutcome, written: list[Path], output_dir: Path | None) -> None:
    for day in outcome.days:
        r = day.report
        line = (
            f"{r.repo} {r.date}: {r.stats.total} commits (🔴{r.stats.high} 🟡{r.stats.medium} 🟢{r.stats.low}); "
            f"analysed {r.run.analysed}, cached {r.run.cached}, fallback {r.run.fallback}, failed {r.run.failed}"
        )
        if r.run.escalated:
            line += f", re-analysed deeper {r.run.escalated}"
        if r.run.prompt_tokens:
            line += f"; tokens {r.run.prompt_tokens}+{r.run.completion_tokens}"
            if r.run.cost > 0:
                line += f", ${r.run.cost:.4f}"
        stderr.print(line, markup=False)
        for reason, count in _reasons(r.run.failures)[:3]:
            stderr.print(f"  {count} × {reason}", markup=False)
    if written:
        stderr.print(f"wrote {len(written)} file(s) under {output_dir}", markup=False)


def _reasons(failures: list[str]) -> list[tuple[str, int]]:
    """Failure reasons ("<sha>: <reason>") grouped, most frequent first."""
    counts: dict[str, int] = {}
    for failure in failures:
        reason = failure.split(": ", 1)[-1]
        counts[reason] = counts.get(reason, 0) + 1
    return sorted(counts.items(), key=lambda item: -item[1])
