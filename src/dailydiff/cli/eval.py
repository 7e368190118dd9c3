"""`dailydiff eval`: which model to point dailydiff at, by measurement. Every configured endpoint
([[eval.endpoints]], else [llm]) and the rules analyser analyse one sample of commits — from the stored
history, or a labelled set (--set) whose diffs come from the user's clone — and one table puts them side by
side: valid answers, claims supported, agreement with the labels, tokens, cost, latency, failures. The stored
reports and analyses are never touched; answers are cached (data_dir/eval), so a second run asks only what is
new. The work is in analysis/evaluation.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import typer

from dailydiff.analysis import api_key, llm_configured
from dailydiff.analysis import evaluation as ev
from dailydiff.analysis.endpoint import DEFAULT_CONTEXT
from dailydiff.analysis.judging import judge_claims
from dailydiff.analysis.llm import LLMAnalyzer
from dailydiff.analysis.llm_call import price
from dailydiff.cli import options
from dailydiff.cli.app import (
    _stderr_console,
    app,
    fail,
    handle_errors,
    open_store,
    say,
    stopped,
)
from dailydiff.common.aio import run_sync
from dailydiff.errors import ConfigError
from dailydiff.models import Commit
from dailydiff.settings import Settings
from dailydiff.sources.git import GitSource
from dailydiff.sources.gitremote import is_git_url

FORMATS = ("md", "json")


@app.command("eval", cls=options.Command)
@handle_errors
@options.shared("lang", "quiet", "config", "data_dir")
def eval_command(
    sample_size: int | None = typer.Option(
        None,
        "--sample",
        metavar="N",
        min=1,
        help="Commits in the sample [default: [eval] sample; a set: all].",
    ),
    first: str | None = typer.Option(
        None, "--from", metavar="DATE", help="First day of the stored history to sample."
    ),
    last: str | None = typer.Option(
        None, "--to", metavar="DATE", help="Last day of the stored history, inclusive."
    ),
    labelled: str | None = typer.Option(
        None, "--set", metavar="FILE", help="A labelled set (JSONL), or a shipped one: flashinfer."
    ),
    endpoint_names: list[str] | None = typer.Option(
        None, "--endpoint", metavar="NAME", help="Only this [[eval.endpoints]] entry (repeatable)."
    ),
    judge: str | None = typer.Option(
        None,
        "--judge",
        metavar="NAME",
        help="An endpoint that rules on the claims the tracer could not settle.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the requests and their cost; send nothing."),
    fmt: str = typer.Option("md", "--format", metavar="FORMAT", help="md or json."),
    output: options.OutputFile = None,
    shared: options.Shared = options.Shared(),
) -> None:
    """Endpoints side by side over a sample of your history or a labelled set: quality, tokens, cost, speed."""
    options.check_choice("--format", fmt, FORMATS)
    shared.check()
    # (the stored history is the configured language's reports; --lang is the table's and the prompts')
    settings = dataclasses.replace(shared, lang=None).settings()
    language, quiet = shared.lang or settings.report.language, shared.quiet
    says = ev.words(language)
    endpoints = _endpoints(settings, endpoint_names)
    judged = _endpoints(settings, [judge])[-1] if judge else None
    with open_store(settings, quiet=quiet) as store:
        items, what = _sample(settings, store, labelled, first, last, sample_size, quiet, says)
        cache_dir = settings.data_path / "eval"
        caches = {e.name: ev.Cache(cache_dir, e.cache_name(language)) for e in endpoints}
        if dry_run:
            _dry_run(endpoints, items, caches, language)
            return
        done, interrupted = _run(endpoints, items, caches, language, store, quiet)
        notes: list[str] = []
        extra: dict[str, Any] = {}
        if judged is not None and not interrupted:
            try:
                line, extra["judge"] = judge_claims(judged, endpoints, items, done, settings.eval.judge_claims,
                                                    language, store)  # fmt: skip
                notes.append(line)
            except KeyboardInterrupt:  # the table stands without the judge's rulings
                interrupted = True
    rows = _rows(endpoints, items, done)
    if interrupted:
        total = len(items) * len(endpoints)
        finished = sum(i.key in done[e.name] for e in endpoints for i in items)
        notes.insert(0, says["partial"].format(done=finished, total=total))
    if fmt == "json":
        document = ev.document(rows, language, len(items), what, {"notes": notes, **extra})
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    else:
        text = ev.markdown(rows, language, len(items), what, notes)
    options.write_output(text, output)
    if interrupted:
        raise stopped()


def _sample(settings: Settings, store: Any, labelled: str | None, first: str | None, last: str | None,
            sample_size: int | None, quiet: bool, says: dict[str, str]) -> tuple[list[ev.Item], str]:  # fmt: skip
    """The sample of commits the endpoints answer (a set's commits found nowhere said), and what it is."""
    items, what, missing = _items(settings, store, labelled, first, last)
    if missing and not quiet:
        say(f"dailydiff: warning: {says['missing'].format(n=len(missing), shas=', '.join(missing[:5]))}")
    if not items:
        raise fail(says["nothing"], "run `dailydiff run` or `report` first, or give --set")
    return ev.sample(items, sample_size or (len(items) if labelled else settings.eval.sample)), what


def _rows(endpoints: list[ev.Endpoint], items: list[ev.Item], done: dict[str, Any]) -> list[Any]:
    """The table's rows: each endpoint's figures over the items it answered, ranked."""
    labels = {i.key: i.labels for i in items if i.labels is not None}
    return ev.ranked([
        ev.row_of(e.name, e.settings.model if e.settings else "heuristic",
                  [done[e.name][i.key] for i in items if i.key in done[e.name]], labels, priced=e.priced,
                  prices=e.settings.profile() if e.settings else None)
        for e in endpoints
    ])  # fmt: skip


def _endpoints(settings: Settings, names: list[str] | None) -> list[ev.Endpoint]:
    """The rules, then the chosen endpoints ([[eval.endpoints]], else [llm] when configured)."""
    grounding = settings.analysis.grounding
    entries = {e.name: e for e in settings.eval.endpoints}
    if not entries and llm_configured(settings):
        configured = ev.Endpoint(settings.llm.model or "llm", settings.llm, api_key(settings), grounding)
        chosen = [configured] if not names or names == [configured.name] else []
    else:
        chosen = []
        for name in names or list(entries):
            if name not in entries:
                known = ", ".join(entries) or "none: add [[eval.endpoints]] entries to the config"
                raise ConfigError(f"no [[eval.endpoints]] entry named {name!r}", f"known: {known}")
            llm = entries[name].llm(settings.llm)
            key = api_key(settings.model_copy(update={"llm": llm}))
            chosen.append(ev.Endpoint(name, llm, key, grounding))
    if names and not chosen:
        raise ConfigError(
            f"no endpoint named {', '.join(names)}", "add [[eval.endpoints]] entries to the config"
        )
    return [ev.Endpoint(ev.RULES, grounding=grounding), *chosen]


def _items(settings: Settings, store: Any, labelled: str | None, first: str | None,
           last: str | None) -> tuple[list[ev.Item], str, list[str]]:  # fmt: skip
    """The commits to choose from, what they are (for the title), and a set's commits found nowhere."""
    if labelled is None:
        return _stored_items(settings, store, first, last), f"{first or '…'} – {last or '…'}", []
    if first or last:
        raise ConfigError(
            "--from/--to choose stored history; a --set has its own commits", "give one of them"
        )
    items, missing = _set_items(settings, store, labelled)
    return items, Path(labelled).name.removesuffix(".jsonl"), missing


def _set_items(settings: Settings, store: Any, labelled: str) -> tuple[list[ev.Item], list[str]]:
    """A labelled set's commits found (stored, or fetched), and the shas of those found nowhere."""
    rows = ev.read_set(labelled)
    found: dict[str, Commit] = {}
    for repo in sorted({r.repo for r in rows}):
        found |= _set_commits(settings, store, repo, [r.sha for r in rows if r.repo == repo])
    # (a set may name a commit by a prefix of its sha)
    full = {r.sha: next((sha for sha in found if sha.startswith(r.sha)), None) for r in rows}
    missing = [r.sha[:12] for r in rows if full[r.sha] is None]
    return [ev.Item.of(found[sha], settings, r) for r in rows if (sha := full[r.sha]) is not None], missing


def _stored_items(settings: Settings, store: Any, first: str | None, last: str | None) -> list[ev.Item]:
    """The stored reports' commits from ``first`` to ``last`` (merges left out), each once."""
    since = _date(first, "--from") or dt.date.min
    until = _date(last, "--to") or dt.date.max
    seen: dict[str, ev.Item] = {}
    for repo, date, language in store.list_reports():
        if not since <= date <= until or language != settings.report.language:
            continue
        report = store.get_report(repo, date, language)
        for rc in report.commits if report is not None else []:
            if rc.is_merge or f"{rc.repo}@{rc.sha}" in seen:
                continue
            commit = store.get_commit(rc.repo, rc.sha)
            if commit is not None:
                seen[f"{rc.repo}@{rc.sha}"] = ev.Item(commit, rc.score)
    return list(seen.values())


def _set_commits(settings: Settings, store: Any, repo: str, shas: list[str]) -> dict[str, Commit]:
    """A set's commits of ``repo``, with their patches: from the clone of the [[repos]] entry that is that
    repository (a local path or a git URL), else from the store."""
    short = repo.rsplit("/", 1)[-1]
    for entry in settings.repos:
        local = is_git_url(entry.source) or Path(entry.source).expanduser().is_dir()
        named = entry.name in (repo, short) or entry.source.rstrip("/").removesuffix(".git").endswith(repo)
        if local and named:
            source = GitSource.open(entry.source, settings.data_path, name=repo)
            full = source.present(shas)
            return {c.sha: c.model_copy(update={"repo": repo}) for c in source.named(full)}
    return {sha: c for sha in shas if (c := store.get_commit(repo, sha)) is not None}


def _date(text: str | None, flag: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{flag} {text!r} is not a date", "write YYYY-MM-DD") from None


def _dry_run(endpoints: list[ev.Endpoint], items: list[ev.Item], caches: dict[str, ev.Cache],
             language: str) -> None:  # fmt: skip
    """Each endpoint's requests and their cost, estimated offline (the prompts as they would be built, the
    answers at their allowance: an upper bound), before anything is sent."""
    for endpoint in endpoints:
        if endpoint.settings is None:
            continue
        analyzer = LLMAnalyzer(endpoint.settings, "")
        todo = [i for i in items if i.key not in caches[endpoint.name].known]
        window = analyzer.context_window or DEFAULT_CONTEXT
        tokens = out = 0
        for item in todo:
            allowance = analyzer.allowance(item.score.level)
            prompt = analyzer.prompts.analysis_prompt(item.request, item.score.level, language, "json_object",
                                                      window, allowance)  # fmt: skip
            tokens, out = tokens + prompt.tokens, out + allowance
        cost = price(endpoint.settings.profile(), tokens, out).cost
        line = ev.words(language)["dry_run"].format(name=endpoint.name, requests=len(todo), cached=len(items) - len(todo),
                                            total=len(items), tokens=tokens, out=out, cost=f"${cost:.4f}")  # fmt: skip
        sys.stdout.write(line + "\n")


def _run(endpoints: list[ev.Endpoint], items: list[ev.Item], caches: dict[str, ev.Cache], language: str,
         store: Any, quiet: bool) -> tuple[dict[str, dict[str, ev.Outcome]], bool]:  # fmt: skip
    """Every endpoint over the items it has no cached answer for, all at once, with a progress bar; what
    finished (cached answers included) and whether Ctrl-C stopped it."""
    done = {e.name: {k: o for k, o in caches[e.name].known.items()} for e in endpoints}
    todo = {e.name: [i for i in items if i.key not in done[e.name]] for e in endpoints}
    total = sum(len(v) for v in todo.values())
    bar = _Bar(total, enabled=not quiet and total > 0 and sys.stderr.isatty())

    def landed(name: str, outcome: ev.Outcome) -> None:
        done[name][outcome.key] = outcome
        caches[name].add(outcome)
        bar.advance()

    with bar:
        try:
            run_sync(ev.run_all(endpoints, todo, language, store, landed))
        except KeyboardInterrupt:
            return done, True
    return done, False


class _Bar:
    """A progress bar with the time left on a terminal's stderr; nothing elsewhere."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.progress: Any = None
        if enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn("dailydiff eval"), BarColumn(), MofNCompleteColumn(),
                                     TimeRemainingColumn(), console=_stderr_console(), transient=True)  # fmt: skip
            self.task = self.progress.add_task("eval", total=total)

    def advance(self) -> None:
        if self.progress is not None:
            self.progress.advance(self.task)

    def __enter__(self) -> _Bar:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
