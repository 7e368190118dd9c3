"""`dailydiff report SOURCE`: the daily report(s) of one repository — a run of one ad-hoc repository. Run by
typer's command (cli/report.py) or, for a command line it reads, without typer (cli/direct.py)."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dailydiff.cli.base import (
    EXIT_INTERRUPTED,
    nothing_to_tear_down,
    open_store,
    say,
    stderr,
    stderr_is_terminal,
)
from dailydiff.cli.flags import Shared, config_dir
from dailydiff.common.secrets import scrub
from dailydiff.engine.printer import (
    SUMMARY_VERSION,
    day_figures,
    delivery_lines,
    envelope,
    exit_code,
    failure_ratio,
)
from dailydiff.engine.printer import figures as totals  # the same words as `run`'s
from dailydiff.errors import DailyDiffError, GateError, PublishError, UsageError

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
            result = _days(run(planned))
        _flush(outputs)
        summary = _summarise(result, request.targets.publish, shared.summary_json)
        if not shared.quiet:
            print_summary(result, [Path(p) for p in summary["written"]], output_dir, say)
        status = "ok"
        _raise_for(result, settings)
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


@dataclass
class _Days:
    """The plan's one repository as its day outcomes say it: what `report` prints and summarises."""

    repo: str | None
    days: list[Any]
    fetched: int = 0
    requests: dict[str, Any] = field(default_factory=dict)


def _days(outcomes: list[Any]) -> _Days:
    """The plan's one repository as its day outcomes say it."""
    first = outcomes[0].figures if outcomes else {}
    repo = next((o.repo for o in outcomes if o.repo), None)
    return _Days(repo, outcomes, int(first.get("fetched", 0)), dict(first.get("requests", {})))


def _summarise(result: Any, publish: bool, path: Path | None) -> dict[str, Any]:
    summary = {**envelope("report", result.days, exit_code(result.days)), **summary_dict(result)}
    summary["written"] = [p for d in result.days for p in d.written]
    if publish:
        summary["publish"] = [
            {"repo": result.repo, "date": d.date.isoformat(), **p.as_dict()} for d in result.days for p in d.publish
        ]  # fmt: skip
    if path is not None:
        from dailydiff.publish.files import write_file

        write_file(path, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    return summary


def _raise_for(result: Any, settings: Any) -> None:
    """A gated day exits 6; failed deliveries 7/8/74 (the same rule as every command)."""
    from dailydiff.engine.printer import failure_error

    gated = [d for d in result.days if d.status in {"gated", "kept-previous"}]
    if gated:
        raise gate_error(gated, settings.analysis.max_failure_ratio)
    error = failure_error([p for d in result.days for p in d.publish])
    if error is not None:
        raise error


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


def write_interrupted_summary(
    path: Path, command: str, tally: Any, error: DailyDiffError | None = None
) -> None:
    """--summary-json of a run stopped by Ctrl-C (or SIGTERM), or by ``error``: how far it got and what
    failed; what it analysed is stored. Written whatever else failed (the summary's path is on a disk of its
    own): a summary that cannot be written is one warning, never in place of the error that stopped the run."""
    import time

    from dailydiff.publish.files import write_file

    summary = {
        "summary_version": SUMMARY_VERSION, "command": command, "status": "interrupted" if error is None else "failed",
        "exit_code": EXIT_INTERRUPTED if error is None else error.exit_code,
        "duration_seconds": round(time.monotonic() - tally.started, 3),
        "progress": {"days_done": tally.units_done, "days_total": tally.units_total,
                     "commits_analysed": tally.commits_done, "commits_total": tally.commits_total},
        "resume": "run the same command again: everything analysed so far is stored", "units": [],
    }  # fmt: skip
    if error is not None:
        summary["error"] = {"message": scrub(error.message), "hint": scrub(error.hint)}
    try:
        write_file(path, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    except PublishError as exc:
        if error is None:
            raise
        log.warning("%s", exc.message)


def summary_dict(result: Any) -> dict[str, Any]:
    reports = []
    for day in result.days:
        r = day.report
        if r is None:
            continue
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
                **({"cached_tokens": r.run.cached_tokens} if r.run.cached_tokens is not None else {}),
                **day_figures(r),
                "max_requests_per_commit": r.run.max_requests_per_commit,
                "token_estimate_error_pct": r.run.estimate_error,
                "gated": day.status in {"gated", "kept-previous"},
                "kept_previous": day.status == "kept-previous",
            }
        )
    return {
        "fetched": result.fetched,
        "reports": reports,
        "totals": totals(reports),
        # days the GitHub request budget left to the next run, and what the repository's fetch asked GitHub
        "deferred": [d.date.isoformat() for d in result.days if d.status == "deferred"],
        **result.requests,
    }


# How the offline prompt-token estimate (what budgets and context checks use) compared with the endpoint's count.
_OVER_UNDER = {True: "over", False: "under"}


def figures_line(figures: dict[str, Any]) -> str:
    """One line of figures for stderr, worded as in the reports' statistics line and the JSON: what *this
    run* did and spent, then (when given) the tokens and cost *of the day(s)* the reports show."""
    line = (
        f"this run: analysed {figures['analysed']}, cached {figures['cached']}, fallback {figures['fallback']}, "
        f"failed {figures['failed']}"
    )
    if figures.get("merges"):  # what the four do not count: the day's merges, never analysed
        line += f", merges {figures['merges']} (not analysed)"
    if figures.get("escalated"):
        line += f", re-analysed deeper {figures['escalated']}"
    if figures["prompt_tokens"] or figures["completion_tokens"]:
        line += f"; tokens {figures['prompt_tokens']}+{figures['completion_tokens']}"
        if (
            figures.get("cached_tokens") is not None and figures["prompt_tokens"]
        ):  # (None: the endpoint never said)
            line += f", cached {100 * figures['cached_tokens'] / figures['prompt_tokens']:.0f}%"
        if figures["cost"] > 0:
            line += f", ${figures['cost']:.4f}"
        if figures.get("estimate_error") is not None:
            error = figures["estimate_error"]
            line += f" (the offline token estimate was {abs(error):.0f}% {_OVER_UNDER[error >= 0]} the endpoint's count)"
    line += claims_clause(figures)
    if figures.get("max_requests_per_commit"):
        line += f"; at most {figures['max_requests_per_commit']} LLM request(s) per commit"
    if figures.get("day_prompt_tokens") or figures.get("day_completion_tokens"):
        line += f"; of the day: tokens {figures['day_prompt_tokens']}+{figures['day_completion_tokens']}"
        if figures.get("day_replaced_prompt_tokens") or figures.get("day_replaced_completion_tokens"):
            line += (f" (of them {figures['day_replaced_prompt_tokens']}+{figures['day_replaced_completion_tokens']}"
                     " spent on replaced analyses)")  # fmt: skip
        if figures.get("day_cost", 0) > 0:
            line += f", ${figures['day_cost']:.4f}"
    return line


def claims_clause(figures: dict[str, Any]) -> str:
    """ "; claims 412 checked, 9 unsupported: 6 repaired, 3 removed" (nothing when nothing was traced)."""
    checked = figures.get("claims_checked") or 0
    if not checked:
        return ""
    fixed = {word: figures.get(f"claims_{word}") or 0 for word in ("repaired", "removed", "marked")}
    if not any(fixed.values()):
        return f"; claims {checked} checked, all found"
    told = ", ".join(f"{n} {word}" for word, n in fixed.items() if n)
    return f"; claims {checked} checked, {sum(fixed.values())} unsupported: {told}"


def say_on_stderr(json_logs: bool) -> Callable[[str], None]:
    """How a command tells the user something on stderr: a log record with --log-format json, else a line."""
    if json_logs:
        return lambda line: log.info("%s", line)
    return say  # plain text is written as it is, without starting rich's console


def print_summary(
    result: Any, written: list[Path], output_dir: Path | None, say: Callable[[str], None]
) -> None:
    summary = summary_dict(result)
    built = [d.report for d in result.days if d.report is not None]
    for r, row in zip(built, summary["reports"], strict=True):
        figures = {**row, "estimate_error": r.run.estimate_error, "merges": r.stats.merges}
        say(f"{r.repo} {r.date}: {r.stats.total} commits (🔴{r.stats.high} 🟡{r.stats.medium} 🟢{r.stats.low}); "
            + figures_line(figures))  # fmt: skip
        for reason, count in _reasons(r.run.failures)[:3]:
            say(f"  {count} × {reason}")
    for line in delivery_lines(result.days):
        say(line)
    if len(built) > 1:  # a range ends with one total line (the same words as each day's)
        figures = summary["totals"]
        say(f"total: {len(built)} days, {figures['commits']} commits; " + figures_line(figures))
    if written:
        say(f"wrote {len(written)} file(s) under {output_dir}")
    unchanged = sum(d.status == "up-to-date" for d in result.days)
    if unchanged:  # decided from the listing of commit ids: neither fetched, rendered nor written
        say(
            f"{unchanged} day(s) up to date: nothing changed, the files are as they were (--force builds them again)"
        )


def gate_error(gated: list[Any], max_failure_ratio: float) -> GateError:
    worst = max(gated, key=lambda d: failure_ratio(d.report))
    kept = sum(d.status == "kept-previous" for d in gated)
    stats = worst.report.stats
    return GateError(
        f"{len(gated)} report(s) have more than {max_failure_ratio:.0%} of their analyses fallen back to the "
        f"rules or failed (worst: {worst.report.repo} {worst.date}, {failure_ratio(worst.report):.0%}: "
        f"fallback {stats.fallback}, failed {stats.failed})"
        + (f"; kept {kept} better earlier report(s)" if kept else ""),
        "check the LLM endpoint and run again; analyses that succeeded are stored and will not be redone",
    )


def _reasons(failures: list[str]) -> list[tuple[str, int]]:
    """Failure reasons ("<sha>: <reason>") grouped, most frequent first."""
    counts: dict[str, int] = {}
    for failure in failures:
        reason = failure.split(": ", 1)[-1]
        counts[reason] = counts.get(reason, 0) + 1
    return sorted(counts.items(), key=lambda item: -item[1])
