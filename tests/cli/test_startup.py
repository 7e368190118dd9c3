"""The command line starts fast: what a real `python -m dailydiff` imports for the version, the help and a
heuristic report of a quiet day, and the lazy command table it lists from."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer

import dailydiff.cli
from dailydiff.cli.app import COMMANDS, app
from gitrepo import CommitSpec, FileEdit, build_repo

ROOT = Path(__file__).resolve().parents[2]
# Never needed to start, to print the help or to report a local repository with the heuristic analyser.
HEAVY = ["openai", "httpx2", "starlette", "uvicorn", "rich.progress", "markdown_it", "nh3", "dailydiff.doctor",
         "dailydiff.web", "dailydiff.publish.github", "dailydiff.publish.webhooks", "dailydiff.publish.email",
         "dailydiff.analysis.llm", "dailydiff.sources.github", "dailydiff.render.mail"]  # fmt: skip
# (The registry itself is light: it imports a publisher's module only when an entry uses it, so
# `report -o` loads the files publisher and nothing else.)
# Not even the data model: the version and the help come before any of it.
NOT_FOR_HELP = [
    *HEAVY,
    "dailydiff.engine",
    "pydantic",
    "jinja2",
    "rich.console",
    "dailydiff.settings",
    "dailydiff.models",
]

_PROBE = """
import atexit, json, runpy, sys
out, sys.argv = sys.argv[1], ["dailydiff", *sys.argv[2:]]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
runpy.run_module("dailydiff", run_name="__main__", alter_sys=True)
"""


def imported_by(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `python -m dailydiff ARGS` in a fresh interpreter; what it printed and every module it imported."""
    out = tmp_path / "modules.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", _PROBE, str(out), *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=60, check=False)  # fmt: skip
    return done, set(json.loads(out.read_text()))


def loaded(modules: set[str], names: list[str]) -> list[str]:
    return [name for name in names if name in modules or any(m.startswith(name + ".") for m in modules)]


@pytest.mark.parametrize("args", [["--version"], ["--help"], []])
def test_the_version_and_the_help_import_no_command(tmp_path: Path, args: list[str]) -> None:
    done, modules = imported_by(tmp_path, *args)
    assert done.returncode == (2 if not args else 0), done.stderr
    assert (
        ("dailydiff 0.1.0" in done.stdout)
        if args == ["--version"]
        else ("report" in done.stdout + done.stderr)
    )
    assert loaded(modules, NOT_FOR_HELP) == []
    # No command's module: the group only.
    assert not [
        m
        for m in modules
        if m.startswith("dailydiff.cli.") and m not in ("dailydiff.cli.app", "dailydiff.cli.base")
    ]


def test_the_version_imports_neither_the_command_line_nor_the_metadata_reader(tmp_path: Path) -> None:
    # `dailydiff --version` is measured (bench/startup.py, target 0.1 s): the parser, the commands and
    # importlib.metadata (and the e-mail parser it loads) stay out; the version is the installed one's.
    from importlib import metadata

    done, modules = imported_by(tmp_path, "--version")
    assert done.returncode == 0 and done.stdout == f"dailydiff {metadata.version('dailydiff')}\n", done.stderr
    assert loaded(modules, ["typer", "dailydiff.cli", "email.parser"]) == []


def test_a_heuristic_report_of_a_quiet_day_imports_no_llm_web_or_publisher(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    day = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
    build_repo(repo, [CommitSpec("feat: one", day, edits=[FileEdit("a.py", "x = 1\n")])])
    done, modules = imported_by(tmp_path, "report", str(repo), "--date", "2026-02-01", "--tz", "UTC",
                                "--analyzer", "heuristic", "--data-dir", str(tmp_path / "data"),
                                "-o", str(tmp_path / "out"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "0 commits" in done.stderr and list((tmp_path / "out").rglob("2026-02-01.md"))
    assert loaded(modules, HEAVY) == []
    assert "dailydiff.cli.report_run" in modules  # the probe saw the command run


def test_a_quiet_report_starts_no_console(tmp_path: Path) -> None:
    # With --quiet (and --tz: no note about the default day) nothing is said on stderr: rich's console,
    # which only the first-run note, the progress bar and the summary need, is never started.
    repo = tmp_path / "repo"
    day = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
    build_repo(repo, [CommitSpec("feat: one", day, edits=[FileEdit("a.py", "x = 1\n")])])
    done, modules = imported_by(tmp_path, "report", str(repo), "--date", "2026-01-05", "--tz", "UTC",
                                "--analyzer", "heuristic", "--data-dir", str(tmp_path / "data"), "--quiet")  # fmt: skip
    assert done.returncode == 0 and done.stdout.startswith("# ") and done.stderr == "", done.stderr
    assert loaded(modules, [*HEAVY, "rich.console"]) == []


def test_every_guarded_module_exists() -> None:
    # A guard on a module that was renamed or removed passes whatever the command imports.
    assert [name for name in NOT_FOR_HELP if importlib.util.find_spec(name) is None] == []


def test_the_code_under_test_is_this_checkouts() -> None:
    # In-process tests import `dailydiff` from this checkout's src, not another checkout's editable install
    # (pyproject's pytest `pythonpath`); subprocesses are handed the same path (imported_by above).
    assert Path(dailydiff.cli.__file__).resolve().is_relative_to(ROOT / "src" / "dailydiff")
    done = subprocess.run([sys.executable, "-c", "import dailydiff; print(dailydiff.__file__)"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
                          check=True, timeout=60)  # fmt: skip
    assert Path(done.stdout.strip()).resolve().is_relative_to(ROOT / "src" / "dailydiff")


def test_the_llm_analyser_is_imported_when_an_llm_is_used() -> None:
    # The guard above would pass if the LLM analyser were gone: it must still be one name away.
    from dailydiff.analysis import ANALYZERS, LLMAnalyzer
    from dailydiff.analysis.llm import LLMAnalyzer as Direct

    assert LLMAnalyzer is Direct and "llm" in ANALYZERS


_PRELOAD = """
import sys
from dailydiff.analysis import preload_llm
from dailydiff.settings import load_settings
heuristic = load_settings(None, environ={}, overrides={"analysis": {"analyzer": "heuristic"}})
auto_without_model = load_settings(None, environ={}, overrides={"analysis": {"analyzer": "auto"}})
assert preload_llm([heuristic, auto_without_model]) is None and "openai" not in sys.modules
streamed = load_settings(None, environ={}, overrides={"analysis": {"analyzer": "auto"},
                         "llm": {"model": "m", "base_url": "http://127.0.0.1:9/v1"}})
assert preload_llm([heuristic, streamed]) is None and "openai" not in sys.modules
llm = load_settings(None, environ={}, overrides={"analysis": {"analyzer": "auto"},
                    "llm": {"model": "m", "base_url": "http://127.0.0.1:9/v1", "stream": False}})
thread = preload_llm([heuristic, llm])
assert thread is not None and thread.name == "dailydiff-preload", thread
thread.join(60)
assert "openai" in sys.modules and "dailydiff.analysis.llm" not in sys.modules
print("ok")
"""


def test_a_run_that_will_ask_an_llm_imports_the_sdk_on_a_thread_of_its_own() -> None:
    # Only the SDK (nothing of ours: the two threads never wait on each other's module locks), and only when
    # an analyser of the run is the LLM (`auto` with a model and an endpoint) answering unstreamed: a
    # streamed answer (the default) needs no SDK, so none is loaded.
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", _PRELOAD], capture_output=True, text=True, env=env, timeout=120,
                          check=False)  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_every_command_module_is_listed_with_its_own_one_line_help() -> None:
    package = Path(dailydiff.cli.__file__).parent
    for info in pkgutil.iter_modules([str(package)]):
        importlib.import_module(f"dailydiff.cli.{info.name}")
    # Where each command is registered: the table must name that module, or the command never loads.
    where = {c.name: c.callback.__module__ for c in app.registered_commands if c.callback}
    for g in app.registered_groups:
        assert g.typer_instance is not None
        where[g.name] = next(
            c.callback.__module__ for c in g.typer_instance.registered_commands if c.callback
        )
    assert where == {name: lazy.module for name, lazy in COMMANDS.items()}
    group = typer.main.get_command(app)
    ctx = typer.Context(group)
    for name, lazy in COMMANDS.items():
        command = group.get_command(ctx, name)  # type: ignore[attr-defined]
        assert command is not None and command.get_short_help_str(limit=10_000) == lazy.short_help, name


def test_a_command_missing_from_the_table_still_runs() -> None:
    # A module registering a new command without a line in the table: the command works (all command
    # modules are imported to find it), and the test above names the missing line.
    from clirun import dailydiff as run

    @app.command("unlisted-probe")
    def probe() -> None:
        print("probe ran")

    try:
        done = run("unlisted-probe")
        assert done.returncode == 0 and done.stdout == "probe ran\n", done.stderr
        assert run("unlisted-prob").returncode == 2  # still no such command
    finally:
        app.registered_commands[:] = [c for c in app.registered_commands if c.name != "unlisted-probe"]


_COLLECTIONS = """
import atexit, gc, runpy, sys
full = []
gc.callbacks.append(lambda phase, info: full.append(1) if phase == "start" and info["generation"] == 2 else None)
out, sys.argv = sys.argv[1], ["dailydiff", *sys.argv[2:]]
atexit.register(lambda: open(out, "w").write(str(len(full))))
runpy.run_module("dailydiff", run_name="__main__", alter_sys=True)
"""


def test_a_search_on_postgresql_makes_no_full_collection(tmp_path: Path, pg_url: str) -> None:
    """What a command imports to start lives as long as it does: the collector never walks it again. On
    PostgreSQL, psycopg's and pydantic's objects made `search` spend about 20 ms in full collections."""
    out = tmp_path / "full.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DAILYDIFF_STORE_URL": pg_url}
    done = subprocess.run([sys.executable, "-c", _COLLECTIONS, str(out), "search", "fused moe kernel"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 1, done.stderr  # the README: `search` exits 1 when nothing matched
    assert "no reported commits" in done.stdout + done.stderr  # it searched the (empty) store
    assert out.read_text() == "0"


def test_the_settings_load_no_pydantic_plugin(tmp_path: Path) -> None:
    """A pydantic plugin installed beside dailydiff (an observability tool's) is not looked for or loaded
    while the settings are read, as typer builds its options' adapters: the look scans every installed
    package's entry points (about 10 ms of each start)."""
    site = tmp_path / "site"
    (site / "fakeplugin-1.0.dist-info").mkdir(parents=True)
    (site / "fakeplugin-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fakeplugin\nVersion: 1.0\n"
    )
    (site / "fakeplugin-1.0.dist-info" / "entry_points.txt").write_text(
        "[pydantic]\nfake = fakeplugin:plugin\n"
    )
    marker = tmp_path / "loaded"
    (site / "fakeplugin.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "class Plugin:\n"
        "    def new_schema_validator(self, *args, **kwargs):\n"
        "        return None, None, None\n"
        "plugin = Plugin()\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{site}",
        "DAILYDIFF_DATA_DIR": str(tmp_path),
    }
    probe = "from importlib.metadata import entry_points; print(len(entry_points(group='pydantic')))"
    installed = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert installed.stdout.strip() == "1"  # the plugin is there to be found
    done = subprocess.run([sys.executable, "-m", "dailydiff", "search", "attention"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 1, done.stderr  # the README: `search` exits 1 when nothing matched
    assert "no reported commits" in done.stdout + done.stderr
    assert not marker.exists()
