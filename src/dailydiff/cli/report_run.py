"""`dailydiff report SOURCE`: the daily report(s) of one repository — a run of one ad-hoc repository. Run by
typer's command (cli/report.py) or, for a command line it reads, without typer (cli/direct.py)."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from dailydiff.cli.base import nothing_to_tear_down, open_store, say, stderr, stderr_is_terminal
from dailydiff.cli.flags import Shared, config_dir
from dailydiff.engine.printer import (
    gate_error,
    publish_error,
    report_lines,
    report_summary,
    write_interrupted_summary,
    write_summary,
)
from dailydiff.errors import DailyDiffError, UsageError

log = logging.getLogger("dailydiff.report")


def report(source: str, date: str | None = None, first: str | None = None, last: str | None = None,
           analyzer: str | None = None, lang: str | None = None, tz: str | None = None,
           formats: str | None = None, force: bool = False, quiet: bool = False, verbose: bool = False,
           log_format: str = "text", summary_json: Path | None = None, config: Path | None = None,
           data_dir: Path | None = None, yes: bool = False, output_dir: Path | None = None,
           branch: str | None = None, all_branches: bool = False, name: str | None = None,
           publish: bool = False, explain: str | None = None, reanalyze: str | None = None,
           claims: str | None = None) -> None:  # fmt: skip
    """Build the daily report(s) of one repository."""
    if claims is not None:  # --claims SHA reads one commit as --explain SHA does
        if explain is not None:
            raise UsageError(
                "--claims and --explain exclude each other", "ask for one commit's claims or its rules"
            )
        explain, command = claims, "claims"
    else:
        command = "explain"
    shared = Shared(date, first, last, analyzer, lang, tz, formats, force, quiet, verbose, log_format, summary_json,
                    config, data_dir, yes)  # fmt: skip
    json_logs = log_format == "json"  # then everything said on stderr is a JSON log line, errors too
    shared.logging("INFO" if json_logs else "WARNING")
    dates = shared.check()
    _check_flags(branch, all_branches, explain, reanalyze, output_dir, publish, formats, force, first or last,
                 f"--{command}")  # fmt: skip
    settings = shared.settings()
    now = shared.days(dates, settings)
    if publish and not settings.publish:
        raise UsageError("--publish needs [[publish]] entries in the settings", "add some to dailydiff.toml")
    say = say_on_stderr(json_logs)
    from dailydiff.engine import Given, ReportRequest, Request, Targets, plan
    from dailydiff.sources.git import fetch_once

    store = open_store(settings)
    # One run: the repository's identity (planned) and its days (run) ask git each question once.
    with fetch_once(), contextlib.closing(store):
        request = Request("report", settings, store, dates, shared.flags(), Targets(publish=publish),
                          Given(source, name, branch=branch or "", all_branches=all_branches),
                          ReportRequest(explain, reanalyze), now=now, config_dir=config_dir(config), force=force,
                          say=None if quiet else say, open_store=lambda: open_store(settings))  # fmt: skip
        if (
            explain is not None
        ):  # the rules for one commit: found in the store or the repository, nothing built
            sys.stdout.write(plan(replace(request, command=command)).text)
            return
        planned = plan(request)
        _say_notes(shared, planned, say)
        _build(shared, planned, output_dir, say)
    nothing_to_tear_down()  # the days are written and stored, the store closed: only the output is left


def _say_notes(shared: Shared, planned: Any, say: Callable[[str], None]) -> None:
    """What the plan said (a --reanalyze), then the first run's note on the defaults."""
    store, settings = planned.request.store, planned.request.settings
    note = shared.defaults_note(settings, first_run=lambda: stderr_is_terminal() and not store.runs())
    for line in [*planned.notes, *([note] if note else [])]:
        say(line)


def _check_flags(branch: str | None, all_branches: bool, explain: str | None, reanalyze: str | None,
                 output_dir: Path | None, publish: bool, formats: str | None, force: bool, ranged: Any,
                 flag: str = "--explain") -> None:  # fmt: skip
    if branch and all_branches:
        raise UsageError("--branch and --all-branches exclude each other", "pick one")
    if explain is not None and reanalyze is not None:
        raise UsageError(f"{flag} and --reanalyze exclude each other", "read first, then re-analyse")
    if explain is not None and (output_dir is not None or publish or formats is not None or force):
        raise UsageError(f"{flag} prints what it finds for one commit and builds nothing",
                         "drop --output-dir, --publish, --format and --force (or use --reanalyze SHA)")  # fmt: skip
    if (explain or reanalyze) and ranged:
        raise UsageError(f"{flag if explain else '--reanalyze'} takes one commit, not a range",
                         "drop --from/--to (its day is found), or give --date")  # fmt: skip


def _outputs(shared: Shared, settings: Any, dates: Any, output_dir: Path | None, publish: bool,
             now: Any) -> list[Any]:  # fmt: skip
    """The command's own targets: the files under -o (flushed to disk together at the end: ``_build``), else
    stdout."""
    from dailydiff.publish.files import output_dir_publisher

    if output_dir is not None:
        return [output_dir_publisher(output_dir, settings.report.path_template, settings.report.formats,
                                     durable=False)]  # fmt: skip
    return [stdout_output(shared, dates, settings.report.timezone, publish, now)]


def _build(shared: Shared, planned: Any, output_dir: Path | None, say: Callable[[str], None]) -> None:
    """The plan's days through the one runner, then the summary (stderr, --summary-json) and the exit."""
    from dailydiff.cli.progress import ProgressBar
    from dailydiff.engine import run

    request = planned.request
    store, settings = request.store, request.settings
    outputs = _outputs(shared, settings, request.dates, output_dir, request.targets.publish, planned.now)
    run_id = store.start_run(" ".join(["report", *sys.argv[2:]]) if sys.argv[1:2] == ["report"] else "report")
    status = "failed"
    summary: dict[str, Any] | None = None
    json_logs = shared.log_format == "json"
    bar = not shared.quiet and stderr_is_terminal() and not json_logs
    progress = ProgressBar(stderr, enabled=bar, lines=not shared.quiet, say=say if json_logs else None)
    try:
        with progress as tally:
            planned.request = replace(request, targets=replace(request.targets, outputs=outputs), tally=tally)
            outcomes = run(planned)
        _flush(outputs)
        done = report_summary(outcomes, request.targets.publish)
        if shared.summary_json is not None:
            write_summary(shared.summary_json, done)
        summary = done
        for line in [] if shared.quiet else report_lines(outcomes, summary, output_dir):
            say(line)
        status = "ok"
        error = gate_error(outcomes, settings.analysis.max_failure_ratio) or publish_error(outcomes)
        if error is not None:  # a gated day exits 6; failed deliveries 7/8/74 (as every command)
            raise error
    except BaseException as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        stopped_by = exc if isinstance(exc, DailyDiffError) else None
        if shared.summary_json is not None and (interrupted or (stopped_by is not None and summary is None)):
            write_interrupted_summary(shared.summary_json, "report", progress.tally, stopped_by)
        store.finish_run(run_id, "interrupted" if interrupted else status, {})
        raise
    store.finish_run(run_id, status, summary)


def _flush(outputs: list[Any]) -> None:
    """The files the outputs wrote, on disk before the command says they are written."""
    from dailydiff.publish.files import FilesPublisher

    for output in outputs:
        if isinstance(output, FilesPublisher):
            output.sync()


def stdout_output(shared: Shared, dates: Any, timezone: str, publish: bool, now: Any = None) -> Any:
    """Without -o the report goes to stdout in the one format asked for (Markdown by default): JSON days
    one document after the other (a JSON stream, as `jq` reads it), HTML one day only. With --publish,
    several formats are the published files' and stdout shows the Markdown."""
    from dailydiff.publish.files import StdoutPublisher

    chosen = shared.format_list() or ["md"]
    if len(chosen) > 1 and publish:
        chosen = ["md"]
    if len(chosen) > 1:
        raise UsageError(f"--format {','.join(chosen)} without --output-dir: stdout takes one format",
                         "pass one format, or -o DIR to write a file per format")  # fmt: skip
    days = dates.resolve(timezone, now)
    if chosen == ["html"] and len(days) > 1:
        raise UsageError("--format html without --output-dir prints one day, not a range",
                         "pass -o DIR to write a page per day, or one --date")  # fmt: skip
    return StdoutPublisher(days, fmt=chosen[0])


def say_on_stderr(json_logs: bool) -> Callable[[str], None]:
    """How a command tells the user something on stderr: a log record with --log-format json, else a line."""
    if json_logs:
        return lambda line: log.info("%s", line)
    return say  # plain text is written as it is, without starting rich's console
