"""`dailydiff watch`: alert new commits as they land, for servers without cron — every ``--every`` it
builds today's day of each repository with an alerting ``[[watch]]`` topic (stored, its report sent
nowhere; conditional requests make an unchanged branch cost one 304) and sends what fires
(engine/alerts.py). `dailydiff watch test TOPIC SHA…` says, for real commits, whether a topic fires and
why, without sending anything."""

from __future__ import annotations

import re
import time

import typer

from dailydiff.cli import options
from dailydiff.cli.app import (
    app,
    build_settings,
    handle_errors,
    open_store,
    stderr,
    stop_like_ctrl_c,
    stop_taken,
    stopped,
)
from dailydiff.common.logs import setup_logging
from dailydiff.engine.printer import failed_unit, publish_error, watch_line
from dailydiff.errors import UsageError

watch_app = typer.Typer(
    help="Alert new commits as they land ([[watch]] alert), every --every; `watch test` tries a topic first.",
    invoke_without_command=True,
)
app.add_typer(watch_app, name="watch")

_EVERY_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h)?$")
_UNITS = {"s": 1, "m": 60, "h": 3600, None: 1}


def parse_every(text: str) -> float:
    """``30s``, ``5m``, ``1h`` or seconds, as seconds (at least one)."""
    found = _EVERY_RE.match(text.strip().lower())
    if not found or float(found.group(1)) * _UNITS[found.group(2)] < 1:
        raise UsageError(f"--every {text!r} is not an interval", "give one such as 30s, 5m or 1h")
    return float(found.group(1)) * _UNITS[found.group(2)]


@watch_app.callback()
@handle_errors
def watch_command(
    ctx: typer.Context,
    every: str = typer.Option("5m", "--every", metavar="INTERVAL", help="How often to look (30s, 5m, 1h)."),
    once: bool = typer.Option(False, "--once", help="Look once and exit (for cron)."),
    config: options.Config = None,
    data_dir: options.DataDir = None,
    quiet: options.Quiet = False,
) -> None:
    """Alert new commits as they land ([[watch]] alert), every --every; `watch test` tries a topic first."""
    if ctx.invoked_subcommand is not None:
        return
    from dailydiff.engine import Request, plan, run

    seconds = parse_every(every)
    if not quiet:  # warnings on stderr, as they come: a SIGTERM taken is said when it lands
        setup_logging().setLevel("WARNING")
    settings = build_settings(config, data_dir, {})
    store = open_store(settings)
    try:
        request = Request("watch", settings, store, config_dir=options.config_dir(config),
                          open_store=lambda: open_store(settings))  # fmt: skip
        planned = plan(request)  # no topic that alerts: said before the first look
        stop_like_ctrl_c()
        while True:
            started = time.monotonic()
            outcomes = run(planned)
            if not quiet:
                stderr.print(watch_line(outcomes, None if once else seconds), markup=False)
            if once:  # for cron: a look whose unit or every alert failed is said in one line, non-zero
                error = failed_unit(outcomes) or publish_error(outcomes)
                if error is not None:
                    raise error
                return
            if stop_taken():  # a SIGTERM taken during the look, its cancellation lost: no next look
                raise KeyboardInterrupt
            time.sleep(max(0.0, seconds - (time.monotonic() - started)))
            planned = plan(request)  # today by the clock of this look
    except KeyboardInterrupt:
        raise stopped("what was found and not yet sent is sent by the next start") from None
    finally:
        store.close()


@watch_app.command("test", cls=options.Command)
@handle_errors
def test_command(
    topic: str = typer.Argument(..., metavar="TOPIC", help="The [[watch]] topic (its name)."),
    shas: list[str] = typer.Argument(
        ..., metavar="SHA", help="Commits of the configured repositories (one or more)."
    ),
    config: options.Config = None,
    data_dir: options.DataDir = None,
) -> None:
    """Whether TOPIC fires for each commit, and why — judged as an alert would be; nothing is sent."""
    from dailydiff.engine import Request, WatchTestRequest, plan, run

    settings = build_settings(config, data_dir, {})
    store = open_store(settings)
    try:
        planned = plan(Request("watch-test", settings, store, of=WatchTestRequest(topic, shas),
                               config_dir=options.config_dir(config), open_store=lambda: open_store(settings)))  # fmt: skip
        outcomes = run(planned)
    finally:
        store.close()
    for line in (line for o in outcomes if o.kind == "watch-test" for line in o.figures["lines"]):
        typer.echo(line)
    if planned.missing:
        raise UsageError(f"not found in any configured repository: {', '.join(planned.missing)}",
                         "give a commit of a [[repos]] entry (a full sha or a prefix of it)")  # fmt: skip
