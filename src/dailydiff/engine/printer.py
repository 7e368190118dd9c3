"""The one printer of unit outcomes, whatever their kinds and whatever the command: the ✓/–/✗ line of every
delivery, each day's figures line, the summary line, the JSON summary (and the one a stopped run leaves) and
the exit code."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dailydiff.common.secrets import scrub
from dailydiff.errors import (
    EXIT_INTERRUPTED,
    DailyDiffError,
    GateError,
    OutputFullError,
    PartialPublishError,
    PublishError,
)


@dataclass
class Tally:
    """Where the run stands, for the progress bar and the plain progress lines."""

    units_total: int = 0
    units_done: int = 0
    commits_total: int = 0  # analysable commits listed so far
    commits_done: int = 0
    commits_stored: int = 0  # of those done, the ones whose analysis was already in the store
    started: float = field(default_factory=time.monotonic)
    in_flight: Callable[[], int] = lambda: 0
    on_change: Callable[[Tally], None] = lambda tally: None

    def changed(self) -> None:
        self.on_change(self)


EXIT_OK, EXIT_SOME_FAILED, EXIT_GATED = 0, 1, 6
MARKS = {"ok": "✓", "skipped": "–", "waiting": "…", "failed": "✗"}
GATED = ("gated", "kept-previous")


def delivery_lines(outcomes: Sequence[Any], *, quiet: bool = False, fold: bool = True) -> list[str]:
    """The deliveries of every unit: a failed one (even when ``quiet``) and a recovered claim one line each;
    with ``fold`` the others one line per target and status when it had several (2 repositories × 7 days
    to Slack: one ``✓ publish slack: 14 delivered (…; 2026-07-06..07-12)``), else one line each."""
    lines: list[str] = []
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for outcome in outcomes:
        for p in outcome.publish:
            if p.recovered and not quiet:
                lines.append(f"! {outcome.label}: {p.recovered}")
            if quiet and p.status != "failed":
                continue
            line = (
                f"{MARKS.get(p.status, '?')} publish {p.publisher} {outcome.label}: {p.status} — {p.detail}"
            )
            if fold and p.status in FOLDED:
                groups.setdefault((p.publisher, p.status), []).append((outcome.label, line))
            else:
                lines.append(line)
    for (publisher, status), rows in groups.items():
        lines.append(
            rows[0][1] if len(rows) == 1 else _folded(publisher, status, [label for label, _ in rows])
        )
    return lines


# The deliveries said as one line per target when there are several, and that line's verb.
FOLDED = {"ok": "delivered", "skipped": "skipped"}


def _folded(publisher: str, status: str, labels: list[str]) -> str:
    """One line for a target's deliveries of the same status: how many, of what and over which days."""
    units = list(dict.fromkeys(label.rsplit(" ", 1)[0] for label in labels))
    whens = sorted({label.rsplit(" ", 1)[-1] for label in labels})
    first, last = whens[0], whens[-1]
    span = first if first == last else f"{first}..{last[5:] if last[:5] == first[:5] else last}"
    return f"{MARKS[status]} publish {publisher}: {len(labels)} {FOLDED[status]} ({', '.join(units)}; {span})"


def exit_code(outcomes: Sequence[Any]) -> int:
    """1 when a unit failed; else the publishers' exit (7 every delivery failed, 8 some did, 74 a full disk);
    else 6 when a day was gated; else 0. The same rule for every kind of unit and every command."""
    if any(o.status == "failed" for o in outcomes):
        return EXIT_SOME_FAILED
    error = publish_error(outcomes)
    if error is not None:
        return error.exit_code
    return EXIT_GATED if any(o.status in GATED for o in outcomes) else EXIT_OK


def publish_error(outcomes: Sequence[Any]) -> PublishError | None:
    """The error that names the failed deliveries (for its one line and hint), or None."""
    return failure_error([p for o in outcomes if o.status not in GATED for p in o.publish])


def failure_error(results: Sequence[Any]) -> PublishError | None:
    """The one exit for publisher failures, whatever the command: 74 (OutputFullError) when an output
    could not be written (its disk full, no permission), 8 (PartialPublishError) when some deliveries failed and others did not, 7
    (PublishError) when every one failed."""
    statuses = [str(r.status) for r in results]  # a publisher's Status is a str
    failed = sorted({r.publisher for r, s in zip(results, statuses, strict=True) if s == "failed"})
    count = statuses.count("failed")
    if not count:
        return None
    full = sorted({r.publisher for r, s in zip(results, statuses, strict=True) if s == "failed" and r.full})
    if full:
        return OutputFullError(
            f"{count} of {len(results)} publish step(s) failed; {', '.join(full)} could not be written",
            "free some space or fix the permissions (the summary says which), then run the same command "
            "again (what was delivered is not sent twice)",
        )
    error_class = PartialPublishError if count < len(results) else PublishError
    return error_class(
        f"{count} of {len(results)} publish step(s) failed ({', '.join(failed)})",
        "see the summary for each reason; fix it and run the same command again (what was delivered is not sent twice)",
    )


def failed_unit(outcomes: Sequence[Any]) -> Any:
    """The error of the first unit that failed (its one line, exit 1), or None: a command whose unit
    failed never ends silently."""
    failed = next((o for o in outcomes if o.status == "failed"), None)
    if failed is None:
        return None
    return DailyDiffError(
        f"{failed.label}: {failed.detail or 'failed'}", "fix what it says and run the command again"
    )


def digest_line(outcomes: Sequence[Any]) -> str:
    """The digests' one line: how many, where their overviews came from, what was delivered."""
    sent = sum(p.status == "ok" for o in outcomes for p in o.publish)
    failed = sum(p.status == "failed" for o in outcomes for p in o.publish)
    sources = [o.figures.get("overview") for o in outcomes]
    return (f"{len(outcomes)} digest(s) built ({sources.count('llm')} overview(s) asked of the LLM, "
            f"{sources.count('cached')} cached); {sent} delivered, {failed} failed")  # fmt: skip


def watch_line(outcomes: Sequence[Any], every: float | None) -> str:
    """A look of `watch`: the messages its alerts sent, the deliveries and units that failed, the next look."""
    alerts = [o for o in outcomes if o.kind == "alert"]
    figures = Counter[str]()
    for outcome in alerts:
        figures.update(outcome.figures)
    reasons = [f"{p.publisher}: {p.detail}" for o in alerts for p in o.publish if p.status == "failed"]
    failed = [o.label for o in outcomes if o.status == "failed"]
    line = (f"{dt.datetime.now():%H:%M:%S} watch: {figures['messages']} message(s) sent ({figures['single']} "
            f"alert(s), {figures['folded']} folded, {figures['held']} held)")  # fmt: skip
    if reasons:
        line += f"; {len(reasons)} delivery(ies) failed (retried next time; {reasons[0]})"
    if failed:
        line += f"; failed: {', '.join(failed)}"
    return line if every is None else f"{line}; next look in {every:g}s"


def site_line(outcomes: Sequence[Any]) -> str:
    """`site build`'s one line: what its unit laid out and wrote, and where to open it."""
    f = next(o.figures for o in outcomes if o.kind == "site")
    out = Path(f["output_dir"])
    return (f"site: {f['reports']} report(s), {f['pages']} file(s) in {out} ({f['written']} written, "
            f"{f['removed']} removed); open {out / 'index.html'}")  # fmt: skip


def figures(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's figures: what it analysed and what it spent (the same words as every report), and the
    days' own tokens and cost (``day_*``)."""
    keys = ("commits", "analysed", "cached", "escalated", "fallback", "failed", "prompt_tokens",
            "completion_tokens", "day_prompt_tokens", "day_completion_tokens", "day_replaced_prompt_tokens",
            "day_replaced_completion_tokens", "claims_checked", "claims_supported", "claims_repaired",
            "claims_removed", "claims_marked")  # fmt: skip
    out: dict[str, Any] = {key: sum(int(r.get(key) or 0) for r in reports) for key in keys}
    out["cost"] = round(sum(float(r.get("cost") or 0) for r in reports), 6)
    out["day_cost"] = round(sum(float(r.get("day_cost") or 0) for r in reports), 6)
    out["max_requests_per_commit"] = max(
        (int(r.get("max_requests_per_commit") or 0) for r in reports), default=0
    )
    cached = [int(r["cached_tokens"]) for r in reports if r.get("cached_tokens") is not None]
    if cached:  # (only where an endpoint said: unknown is not 0)
        out["cached_tokens"] = sum(cached)
    return out


def repositories(outcomes: Sequence[Any], sources: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The day outcomes grouped by repository (plan order), each with one state: ok, failed,
    undelivered (a delivery failed) or gated."""
    grouped: dict[str, dict[str, Any]] = {}
    for o in (o for o in outcomes if o.kind == "day"):
        name = o.label.rsplit(" ", 1)[0]
        entry = grouped.setdefault(name, {"name": name, "source": (sources or {}).get(name, name), "repo": o.repo,
                                          "status": "ok", "error": None, "days": []})  # fmt: skip
        entry["days"].append(o.as_dict())
        for api, counts in o.figures.get("requests", {}).items():  # each API's requests, added up
            entry[api] = {k: entry.get(api, {}).get(k, 0) + v for k, v in counts.items()}
        state = ("failed" if o.status == "failed" else "undelivered" if not o.delivered_ok
                 else "gated" if o.status in GATED else "ok")  # fmt: skip
        if _RANK[state] > _RANK[entry["status"]]:
            entry["status"], entry["error"] = state, o.detail or None
    for entry in grouped.values():
        entry["days"].sort(key=lambda d: d.get("date", ""))
    return list(grouped.values())


_RANK = {"ok": 0, "gated": 1, "undelivered": 2, "failed": 3}


def summary(command: str, outcomes: Sequence[Any], *, code: int, duration: float,
            sources: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:  # fmt: skip
    """The JSON summary of any command that runs units: its repositories' days, digests and weeks, and
    every delivery of every unit."""
    repos = repositories(outcomes, sources)
    head = envelope(command, outcomes, code)
    units = head.pop("units")  # last, after the command's own keys
    return {
        **head,
        **extra,
        "duration_seconds": round(duration, 3),
        "totals": _totals(outcomes, repos),
        "repos": repos,
        "digests": [o.as_dict() for o in outcomes if o.kind == "digest"],
        "weeks": [o.as_dict() for o in outcomes if o.kind == "week"],
        "deliveries": [{"unit": o.label, "kind": o.kind, **p.as_dict()} for o in outcomes for p in o.publish],
        "units": units,
    }


def _totals(outcomes: Sequence[Any], repos: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary's totals: repositories by state, days by state, units and what they analysed and sent."""
    states = [r["status"] for r in repos]
    kinds = [o.kind for o in outcomes]
    days = [o for o in outcomes if o.kind == "day"]
    built = [o for o in days if o.report is not None]
    totals = figures([o.as_dict() for o in built])
    return {
        "repos": len(repos),
        **{state: states.count(state) for state in ("ok", "failed", "undelivered", "gated")},
        **_day_counts(days),
        "digests": kinds.count("digest"),
        "weeks": kinds.count("week"),
        "github_requests": sum(r.get("github", {}).get("spent", 0) for r in repos),
        **{k: v for k, v in totals.items() if k != "failed"},
        "failed_analyses": totals["failed"],
        "token_estimate_error_pct": _estimate_error([o.report for o in built]),
        "publish_failed": sum(p.status == "failed" for o in outcomes for p in o.publish),
    }


def _day_counts(days: Sequence[Any]) -> dict[str, int]:
    states = [o.status for o in days]
    return {
        "days_built": len(states) - sum(map(states.count, ("up-to-date", "deferred", "failed"))),
        "days_up_to_date": states.count("up-to-date"),
        "days_deferred": states.count("deferred"),
        "days_partial": sum(bool(o.report is not None and o.report.partial) for o in days),
    }


# The JSON summary's version: 2 adds ``summary_version`` and ``units`` (the keys below, the same for every
# kind of unit and every command) beside each command's own keys of version 1, kept as they were.
SUMMARY_VERSION = 2


def unit_rows(outcomes: Sequence[Any]) -> list[dict[str, Any]]:
    """Every unit of a command, one row each with the same keys whatever its kind."""
    return [
        {"kind": o.kind, "key": o.key, "unit": o.label, "repo": o.repo,
         "date": o.date.isoformat() if o.date else None, "status": o.status, "detail": o.detail or None,
         "deliveries": [p.as_dict() for p in o.publish]}
        for o in outcomes
    ]  # fmt: skip


def envelope(command: str, outcomes: Sequence[Any], code: int) -> dict[str, Any]:
    """What every command's JSON summary starts with: the command, its status and exit code, the version
    and its units (``unit_rows``)."""
    return {"summary_version": SUMMARY_VERSION, "command": command,
            "status": {EXIT_OK: "ok", EXIT_GATED: "gated"}.get(code, "failed"), "exit_code": code,
            "units": unit_rows(outcomes)}  # fmt: skip


def _estimate_error(reports: list[Any]) -> float | None:
    """How far the offline token estimate was from the endpoints' counts over the whole run, in %."""
    counted = sum(r.run.prompt_tokens for r in reports if r.run.estimated_prompt_tokens)
    estimated = sum(r.run.estimated_prompt_tokens for r in reports)
    return round(100.0 * (estimated - counted) / counted, 1) if counted and estimated else None


def summary_line(data: dict[str, Any]) -> str:
    t = data["totals"]
    return (
        f"{t['repos']} {'repository' if t['repos'] == 1 else 'repositories'}: {t['ok']} ok, {t['failed']} failed, {t['undelivered']} undelivered, "
        f"{t['gated']} gated; {t['days_built']} day(s) built, {t['days_up_to_date']} up to date"
        + (f", {t['days_partial']} not settled yet" if t["days_partial"] else "")
        + (f"; {t['digests']} digest(s), {t['weeks']} week(s)" if t["digests"] or t["weeks"] else "")
        + "; "
        + (
            f"{t['days_deferred']} left to the next run (GitHub request budget); "
            if t["days_deferred"]
            else ""
        )
        + figures_line({**t, "failed": t["failed_analyses"]})
    )


def write_summary(path: Path, data: dict[str, Any]) -> None:
    """--summary-json: the summary as one JSON document."""
    from dailydiff.publish.files import write_file

    write_file(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def write_interrupted_summary(
    path: Path, command: str, tally: Any, error: DailyDiffError | None = None
) -> None:
    """--summary-json of a run stopped by Ctrl-C (or SIGTERM), or by ``error``: how far it got and what
    failed; what it analysed is stored. Written whatever else failed (the summary's path is on a disk of its
    own): a summary that cannot be written is one warning, never in place of the error that stopped the run."""
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
        write_summary(path, summary)
    except PublishError as exc:
        if error is None:
            raise
        logging.getLogger("dailydiff.report").warning("%s", exc.message)


# --- `report`: its days, each one line of figures, then its own JSON summary (version 1 and the envelope) ---


def report_summary(outcomes: Sequence[Any], publish: bool) -> dict[str, Any]:
    """`report`'s JSON summary: the envelope, each built day's figures, the files written and, with
    --publish, the deliveries."""
    first = outcomes[0].figures if outcomes else {}
    reports = [_report_row(o) for o in outcomes if o.report is not None]
    repo = next((o.repo for o in outcomes if o.repo), None)
    return {
        **envelope("report", outcomes, exit_code(outcomes)),
        "fetched": int(first.get("fetched", 0)),
        "reports": reports,
        "totals": figures(reports),
        # days the GitHub request budget left to the next run, and what the repository's fetch asked GitHub
        "deferred": [o.date.isoformat() for o in outcomes if o.status == "deferred"],
        **dict(first.get("requests", {})),
        "written": [p for o in outcomes for p in o.written],
        **({"publish": [{"repo": repo, "date": o.date.isoformat(), **p.as_dict()}
                        for o in outcomes for p in o.publish]} if publish else {}),
    }  # fmt: skip


def _report_row(day: Any) -> dict[str, Any]:
    from dailydiff.engine.stages import day_figures, run_figures

    r = day.report
    return {
        "repo": r.repo, "date": r.date.isoformat(), "commits": r.stats.total, "high": r.stats.high,
        "medium": r.stats.medium, "low": r.stats.low, **run_figures(r),
        **({"cached_tokens": r.run.cached_tokens} if r.run.cached_tokens is not None else {}),
        **day_figures(r), "max_requests_per_commit": r.run.max_requests_per_commit,
        "token_estimate_error_pct": r.run.estimate_error, "gated": day.status in GATED,
        "kept_previous": day.status == "kept-previous",
    }  # fmt: skip


def report_lines(outcomes: Sequence[Any], summary: dict[str, Any], output_dir: Path | None) -> list[str]:
    """`report`'s lines on stderr: each day's figures and its most frequent failures, its deliveries, the
    range's total, the files written, the days up to date."""
    lines = []
    built = [o.report for o in outcomes if o.report is not None]
    for r, row in zip(built, summary["reports"], strict=True):
        said = {**row, "estimate_error": r.run.estimate_error, "merges": r.stats.merges}
        lines.append(f"{r.repo} {r.date}: {r.stats.total} commits (🔴{r.stats.high} 🟡{r.stats.medium} "
                     f"🟢{r.stats.low}); " + figures_line(said))  # fmt: skip
        lines += [f"  {count} × {reason}" for reason, count in _reasons(r.run.failures)[:3]]
    lines += delivery_lines(outcomes)
    if len(built) > 1:  # a range ends with one total line (the same words as each day's)
        t = summary["totals"]
        lines.append(f"total: {len(built)} days, {t['commits']} commits; " + figures_line(t))
    if summary["written"]:
        lines.append(f"wrote {len(summary['written'])} file(s) under {output_dir}")
    unchanged = sum(o.status == "up-to-date" for o in outcomes)
    if unchanged:  # decided from the listing of commit ids: neither fetched, rendered nor written
        lines.append(f"{unchanged} day(s) up to date: nothing changed, the files are as they were (--force "
                     "builds them again)")  # fmt: skip
    return lines


def _reasons(failures: list[str]) -> list[tuple[str, int]]:
    """Failure reasons ("<sha>: <reason>") grouped, most frequent first."""
    return Counter(failure.split(": ", 1)[-1] for failure in failures).most_common()


def gate_error(outcomes: Sequence[Any], max_failure_ratio: float) -> GateError | None:
    """`report`'s exit 6: the gated days, the worst named (None when none was gated)."""
    gated = [o for o in outcomes if o.status in GATED]
    if not gated:
        return None
    from dailydiff.engine.stages import failure_ratio

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
        # (None: the endpoint never said)
        if figures.get("cached_tokens") is not None and figures["prompt_tokens"]:
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
