"""`dailydiff store copy SRC DST`: move a store between SQLite and PostgreSQL (either way), resumable.
`dailydiff store check`: what is damaged, the store or what is derived from it (the search index, cached
answers); `dailydiff store reindex`: rebuild what is derived from the stored reports."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, build_settings, handle_errors, open_store, say_store_upgrade, stderr
from dailydiff.common import storeurl
from dailydiff.common.embedder import embedder_from
from dailydiff.common.storeurl import is_postgres
from dailydiff.errors import StoreError, UsageError
from dailydiff.search.hybrid import sync
from dailydiff.store import DB_NAME, Store, store_location

store_app = typer.Typer(
    help="Look after the store: check it, rebuild its search index, copy it between SQLite and PostgreSQL.",
    no_args_is_help=True,
)
app.add_typer(store_app, name="store")

LOCATION_HELP = (
    "a SQLite file or a data directory, a postgresql:// URL or a keyword DSN ('host=… dbname=…'), env:NAME (the URL in environment variable NAME, "
    "so no password is on the command line), or 'configured' (the store of --config / DAILYDIFF_* settings)"
)


def resolve_location(text: str, config: Path | None) -> str | Path:
    if text == "configured":
        return store_location(build_settings(config, None, {}))
    where = "the argument"
    if text.startswith("env:"):
        name = text.removeprefix("env:")
        where = f"the environment variable {name}"
        text = os.environ.get(name, "")
        if not text:
            raise UsageError(f"{where} is not set", f"export {name}=postgresql://…")
        if not is_postgres(text):
            return text
    if is_postgres(text):
        try:
            storeurl.parse(text)
        except storeurl.StoreURLError as exc:
            raise UsageError(f"{where}: {exc}", "correct the store URL") from None
        return text
    scheme = text.split("://", 1)[0] if "://" in text else ""
    if scheme:  # a URL of a store dailydiff has no driver for is not a directory named "mysql:"
        raise UsageError(f"{where}: unknown store scheme {scheme + '://'!r}",
                         "a store is a SQLite file or data directory, or postgresql://…")  # fmt: skip
    path = Path(text).expanduser()
    return path / DB_NAME if path.is_dir() or not path.suffix else path


def _existing_store(settings: Any) -> Any:
    """The store `check` and `reindex` work on: refused when the settings name a SQLite store that is not
    there (a check of nothing is not "sound", and leaves no empty store behind)."""
    location = store_location(settings)
    if isinstance(location, Path) and not location.is_file():
        raise StoreError(f"no store at {location}",
                         "check --data-dir / data_dir (or [store] url): `dailydiff run` makes the store")  # fmt: skip
    return open_store(settings)


@store_app.command("copy", cls=options.Command)
@handle_errors
def copy_command(
    source: str = typer.Argument(..., metavar="SRC", help=f"The store to read: {LOCATION_HELP}."),
    target: str = typer.Argument(
        ..., metavar="DST", help="The store to write (created when missing); same forms."
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", metavar="FILE", help="Settings file (for 'configured')."
    ),
    batch: int = typer.Option(500, "--batch", metavar="ROWS", help="Rows per transaction.", min=1),
) -> None:
    """Copy every row of SRC into DST (SQLite → PostgreSQL or back). Rows DST already has are kept, so an
    interrupted copy resumes when run again; nothing is deleted from either store."""
    src_location, dst_location = _locations(source, target, config)
    with (
        Store.connect(src_location, on_slow=say_store_upgrade) as src,
        Store.connect(dst_location, on_slow=say_store_upgrade) as dst,
    ):
        stderr.print(f"copying {src.location} → {dst.location}", markup=False, highlight=False)

        def progress(table: str, rows: int) -> None:
            stderr.print(f"  {table}: {rows} row(s)", markup=False, highlight=False)

        conflicts: list[str] = []
        before = dst.table_counts()
        counts = src.copy_to(dst, batch=batch, progress=progress, conflicts=conflicts)
        after = dst.table_counts()
        for line in conflicts:
            stderr.print(f"  conflict: {line}", markup=False, highlight=False, soft_wrap=True)
        short = {table: n for table, n in dst.table_counts().items() if n < counts.get(table, 0)}
        if short:
            raise StoreError(
                f"{dst.location} has fewer rows than {src.location} in {', '.join(sorted(short))}",
                "run the same command again",
            )
    resolved = f"; {len(conflicts)} conflicting row(s) resolved as listed" if conflicts else ""
    typer.echo(f"{_copied(counts, before, after)}; {dst.location} has every row of {src.location}" + resolved)


def _locations(source: str, target: str, config: Path | None) -> tuple[Any, Any]:
    src_location, dst_location = resolve_location(source, config), resolve_location(target, config)
    if str(src_location) == str(dst_location):
        raise UsageError("SRC and DST are the same store", "name two different stores")
    if isinstance(src_location, Path) and not src_location.is_file():
        raise StoreError(
            f"no store at {src_location}", "check SRC: a dailydiff.sqlite3 file or its data directory"
        )
    return src_location, dst_location


def _copied(counts: dict[str, int], before: dict[str, int], after: dict[str, int]) -> str:
    """Rows read from SRC, and rows DST did not have before (the ones it had are kept, not copied again)."""
    read = sum(counts.values())
    added = {table: max(0, after.get(table, 0) - before.get(table, 0)) for table in counts}
    details = ", ".join(f"{table} {n}" for table, n in added.items() if n)
    if not read:
        return "nothing to copy (empty store)"
    if not sum(added.values()):
        return f"nothing new to copy ({read} row(s) read, every one already there)"
    return f"copied {sum(added.values())} new row(s) of {read} read ({details})"


def _say(line: str) -> None:
    stderr.print(line, markup=False, highlight=False, soft_wrap=True)


@store_app.command("check", cls=options.Command)
@handle_errors
def check_command(config: options.Config = None, data_dir: options.DataDir = None) -> None:
    """Check the store: its integrity, reports this version cannot read, and what is derived from the
    reports (the search index against a fresh one, cached answers). Exits 4 when anything is damaged."""
    with _existing_store(build_settings(config, data_dir, {})) as store:
        found = store.check()
        counts = store.table_counts()
        location = store.location
    if found:
        for problem in found:
            _say(f"  damaged: {problem}")
        raise StoreError(
            f"{len(found)} problem(s) in the store at {location}",
            "dailydiff store reindex rebuilds the search index and drops unreadable cached answers; "
            "a damaged store file is restored from a backup",
        )
    typer.echo(f"the store at {location} is sound: {counts.get('reports', 0)} report(s), its search index "
               "matches them")  # fmt: skip


@store_app.command("reindex", cls=options.Command)
@handle_errors
def reindex_command(config: options.Config = None, data_dir: options.DataDir = None) -> None:
    """Rebuild what is derived from the stored reports: the search index (whatever state it is in) and the
    cached answers that cannot be read. Searches then find what a fresh index finds."""
    settings = build_settings(config, data_dir, {})
    with _existing_store(settings) as store:
        rows = store.reindex_search()
        reports = store.table_counts().get("reports", 0)
        location = store.location
        embedder = embedder_from(settings)
        synced = sync(store, embedder, settings.search.embedding_batch) if embedder else None
    typer.echo(
        f"rebuilt the search index of the store at {location}: {rows} commit(s) from {reports} report(s)"
    )
    if synced is not None:
        typer.echo(f"vectors: {synced.rows} row(s), {synced.embedded} text(s) embedded, {synced.reused} reused "
                   f"({synced.seconds:.1f} s)")  # fmt: skip
