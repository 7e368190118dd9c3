"""What a command imports before its work starts: `report` reaches its first git call without the
renderers, the publishers or the unit kinds it does not plan; `notes` never loads the template engine.
Real `python -m dailydiff` processes on real repositories (bench/startup.py times the same moment)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clirun import dailydiff
from gitrepo import CommitSpec, FileEdit, build_repo
from test_notes import build_tagged_repo
from test_startup import imported_by, loaded

ROOT = Path(__file__).resolve().parents[2]
# Needed to render or send a day, or to plan what only `run` plans: never before the first git call.
NOT_BEFORE_GIT = ["jinja2", "dailydiff.common.templates", "dailydiff.render.edition", "dailydiff.render.chat",
                  "dailydiff.render.markdown", "dailydiff.publish.base", "dailydiff.publish.registry",
                  "dailydiff.engine.addendum", "dailydiff.engine.alerts", "dailydiff.engine.release",
                  "dailydiff.engine.stream",
                  # typer's pydantic adapters (cli/direct.py reads the command line), rich's console (nothing printed
                  # yet), the search index's word lists (what a day indexes, after it is built)
                  "typer._adapters", "rich", "dailydiff.common.searchterms"]  # fmt: skip

# The modules loaded when the command first starts git (subprocess.Popen of a `git` command), and at exit.
_FIRST_GIT = """
import atexit, json, runpy, subprocess, sys
out, sys.argv = sys.argv[1], ["dailydiff", *sys.argv[2:]]
seen = {}
started = subprocess.Popen.__init__

def noted(self, args, *rest, **kwargs):
    program = args[0] if isinstance(args, (list, tuple)) else args
    if "first git" not in seen and str(program).rsplit("/", 1)[-1] == "git":
        seen["first git"] = sorted(sys.modules)
    return started(self, args, *rest, **kwargs)

subprocess.Popen.__init__ = noted
atexit.register(lambda: open(out, "w").write(json.dumps({**seen, "exit": sorted(sys.modules)})))
runpy.run_module("dailydiff", run_name="__main__", alter_sys=True)
"""


def test_a_report_reaches_its_first_git_call_without_renderers_or_publishers(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    day = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
    build_repo(repo, [CommitSpec("feat: one", day, edits=[FileEdit("a.py", "x = 1\n")])])
    out = tmp_path / "modules.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", _FIRST_GIT, str(out), "report", str(repo), "--date", "2026-01-05",
                           "--tz", "UTC", "--analyzer", "heuristic", "--data-dir", str(tmp_path / "data"), "-o",
                           str(tmp_path / "out"), "--quiet"], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    modules = json.loads(out.read_text())
    assert loaded(set(modules["first git"]), NOT_BEFORE_GIT) == []
    # ... and then the day is built and rendered: the same modules, loaded where they are used.
    assert "feat: one" in next((tmp_path / "out").rglob("2026-01-05.md")).read_text()
    assert {"dailydiff.render.edition", "dailydiff.engine.stream", "jinja2"} <= set(modules["exit"])


# What only a week, an alert, a release's notes or a digest needs: a `run` whose settings plan none loads none.
UNIT_KINDS_NOT_PLANNED = ["dailydiff.engine.weekly", "dailydiff.engine.alerts", "dailydiff.engine.release",
                          "dailydiff.render.week", "dailydiff.render.charts", "dailydiff.render.notes",
                          "dailydiff.render.alert", "dailydiff.render.digest", "dailydiff.render.html"]  # fmt: skip


def test_a_run_loads_no_unit_kind_it_does_not_plan(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    day = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
    build_repo(repo, [CommitSpec("feat: one", day, edits=[FileEdit("a.py", "x = 1\n")])])
    config = tmp_path / "dailydiff.toml"
    config.write_text(f'[report]\ntimezone = "UTC"\n\n[analysis]\nanalyzer = "heuristic"\n\n[[repos]]\nsource = "{repo}"\n',
                      encoding="utf-8")  # fmt: skip
    args = [
        "run",
        "--config",
        str(config),
        "--date",
        "2026-01-05",
        "--data-dir",
        str(tmp_path / "data"),
        "-q",
    ]
    done, modules = imported_by(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert loaded(modules, UNIT_KINDS_NOT_PLANNED) == []
    # With a [weekly] weekday, [notes] on_tag and a topic that alerts, each kind's modules load as it is planned.
    config.write_text(config.read_text() + '\n[weekly]\nweekday = "monday"\npublishers = ["archive"]\n\n[notes]\non_tag = true\n\n'
                      '[[watch]]\nname = "kernels"\npaths = ["csrc/**"]\nalert = ["archive"]\n\n'
                      '[[publish]]\ntype = "files"\nname = "archive"\ndirectory = "archive"\n', encoding="utf-8")  # fmt: skip
    done, modules = imported_by(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert loaded(modules, ["dailydiff.engine.weekly", "dailydiff.engine.alerts", "dailydiff.engine.release"]) == [
        "dailydiff.engine.weekly", "dailydiff.engine.alerts", "dailydiff.engine.release"]  # fmt: skip


@pytest.mark.parametrize("quiet", [[], ["--quiet"]])
def test_a_report_to_a_pipe_says_its_progress_and_summary_without_starting_rich(
    tmp_path: Path, quiet: list[str]
) -> None:
    # stderr is a pipe here, as under cron or CI: whether it is a terminal is learnt without rich's console
    # (cli/base.py stderr_is_terminal), and plain lines are written as they are (cli/base.py say).
    repo = tmp_path / "repo"
    day = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
    build_repo(repo, [CommitSpec("feat: one", day, edits=[FileEdit("a.py", "x = 1\n")])])
    done, modules = imported_by(tmp_path, "report", str(repo), "--from", "2026-01-04", "--to", "2026-01-05", "--tz",
                                "UTC", "--analyzer", "heuristic", "--lang", "en", "--data-dir", str(tmp_path / "data"),
                                "-o", str(tmp_path / "out"), *quiet)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert loaded(modules, ["rich"]) == []
    said = done.stderr.splitlines()
    if quiet:
        assert said == []
    else:  # each day's progress, each day's line and the total, as before
        assert "dailydiff: days 2/2 · commits 1/1 done · requests in flight 0" in said, said
        assert any(line.startswith("repo 2026-01-05: 1 commits") for line in said), said
        assert any(line.startswith("total: 2 days, 1 commits") for line in said), said


def _report_args(repo: Path, data: Path, *more: str) -> list[str]:
    return ["report", str(repo), "--date", "2026-01-05", "--tz", "UTC", "--analyzer", "heuristic", "--lang", "en",
            "--data-dir", str(data), "--format", "json", *more]  # fmt: skip


def _first_git(
    tmp_path: Path, args: list[str]
) -> tuple[subprocess.CompletedProcess[str], dict[str, list[str]]]:
    out = tmp_path / "modules.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", _FIRST_GIT, str(out), *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120, check=False)  # fmt: skip
    return done, json.loads(out.read_text())


@pytest.mark.parametrize("make", ["plain directory", "file"])
def test_a_report_of_what_is_not_a_repository_fails_in_one_line_as_before(tmp_path: Path, make: str) -> None:
    source = tmp_path / "not-a-repo"
    source.mkdir() if make == "plain directory" else source.write_text("x\n")
    env = {k: v for k, v in os.environ.items() if k != "DAILYDIFF_DEBUG"}
    done = subprocess.run([sys.executable, "-m", "dailydiff", *_report_args(source, tmp_path / "data")],
                          capture_output=True, text=True, env={**env, "PYTHONPATH": str(ROOT / "src")},
                          cwd=tmp_path, timeout=120, check=False)  # fmt: skip
    typers = dailydiff(*_report_args(source, tmp_path / "data2"), cwd=tmp_path)
    assert done.returncode == typers.returncode == 3
    assert done.stderr.splitlines() == [line.replace("data2", "data") for line in typers.stderr.splitlines()]
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr


def test_release_notes_load_no_template_engine(tmp_path: Path) -> None:
    repo = build_tagged_repo(tmp_path / "widget")
    done, modules = imported_by(tmp_path, "notes", str(repo), "v1.0..v1.1", "--analyzer", "heuristic", "--lang",
                                "en", "--data-dir", str(tmp_path / "data"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "streaming API" in done.stdout
    assert loaded(modules, ["jinja2", "dailydiff.common.templates", "dailydiff.engine.alerts"]) == []
    # Its one unit builds from the store and git: the runner runs it without the engine of the days.
    assert loaded(modules, ["dailydiff.engine.stream", "dailydiff.engine.addendum"]) == []


def test_release_notes_start_without_rich(tmp_path: Path) -> None:
    # `notes` prints one summary line (written as it is, cli/app.py's `say`): rich's console stays out of the
    # process, and the line still says what the notes were made from.
    repo = build_tagged_repo(tmp_path / "widget")
    done, modules = imported_by(tmp_path, "notes", str(repo), "v1.0..v1.1", "--analyzer", "heuristic", "--lang",
                                "en", "--data-dir", str(tmp_path / "data"), "-o", str(tmp_path / "notes.md"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "streaming API" in (tmp_path / "notes.md").read_text()
    assert "analysis(es)" in done.stderr and done.stderr.endswith("\n")
    assert loaded(modules, ["rich"]) == []
    # Written to a file, the notes need no edition: no chat message, no edition, no day's Markdown.
    assert (
        loaded(modules, ["dailydiff.render.chat", "dailydiff.render.edition", "dailydiff.render.markdown"])
        == []
    )


def test_release_notes_ask_git_each_question_once(tmp_path: Path) -> None:
    # The plan opens the repository twice (its identity, then its history): git is asked once (sources'
    # fetch_once memo), and the notes are the same.
    repo = build_tagged_repo(tmp_path / "widget")
    shims, log = tmp_path / "bin", tmp_path / "git.log"
    shims.mkdir()
    real = subprocess.run(
        ["sh", "-c", "command -v git"], capture_output=True, text=True, check=True
    ).stdout.strip()
    (shims / "git").write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec {real} "$@"\n')
    (shims / "git").chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([sys.executable, "-m", "dailydiff", "notes", str(repo), "v1.0..v1.1", "--analyzer", "heuristic",
                           "--lang", "en", "--data-dir", str(tmp_path / "data")], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "streaming API" in done.stdout
    asked = log.read_text().splitlines()
    toplevel = [a for a in asked if a.startswith("rev-parse") and "--show-toplevel" in a]
    assert len(toplevel) == 1 and asked.count("config --get remote.origin.url") == 1, asked
    # The range's ends are asked once, and the history before it walked once, though the store has no
    # authors kept for it.
    ends = [a for a in asked if a.startswith("rev-parse --is-shallow-repository")]
    walks = [a for a in asked if a.startswith("log --format=%ae%x00%an")]
    assert ends == ["rev-parse --is-shallow-repository v1.0^{commit} v1.1^{commit} --"] and len(walks) == 1, (
        asked
    )
    log.write_text("")
    again = subprocess.run(
        done.args, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False
    )
    assert again.returncode == 0 and again.stdout == done.stdout, again.stderr
    assert not [a for a in log.read_text().splitlines() if a.startswith("log --format=%ae")]  # kept: no walk


def test_a_lazy_pattern_compiles_at_its_first_use_and_acts_as_the_compiled_one() -> None:
    import re

    from dailydiff.common.lazyre import lazy_compile

    lazy, real = (
        lazy_compile(r"(?P<kind>fix|feat)\((\w+)\)", re.I),
        re.compile(r"(?P<kind>fix|feat)\((\w+)\)", re.I),
    )
    assert lazy.pattern == real.pattern and "search" not in vars(lazy)  # the text only: nothing compiled yet
    found = lazy.search("a FEAT(api) here")
    assert found is not None and found.group("kind", 2) == ("FEAT", "api") and "search" in vars(lazy)
    assert (lazy.flags, lazy.groups, lazy.groupindex) == (real.flags, real.groups, real.groupindex)
    assert lazy.sub("x", "fix(a) feat(b)") == real.sub("x", "fix(a) feat(b)")
    assert [m.span() for m in lazy.finditer("fix(a) feat(b)")] == [
        m.span() for m in real.finditer("fix(a) feat(b)")
    ]
    assert lazy.match("nope") is None and lazy.fullmatch("fix(a)") is not None


# At exit: which of the rules' patterns were compiled (a lazy one has its methods once compiled).
_COMPILED = """
import atexit, json, runpy, sys
out, sys.argv = sys.argv[1], ["dailydiff", *sys.argv[2:]]

def compiled():
    found = {}
    for name in ("dailydiff.analysis.heuristic.body", "dailydiff.analysis.heuristic.analyser"):
        module = sys.modules.get(name)
        for attr, value in vars(module).items() if module else ():
            if type(value).__name__ == "_LazyPattern":
                found[f"{name}.{attr}"] = "search" in vars(value)
    return found

atexit.register(lambda: open(out, "w").write(json.dumps(compiled())))
runpy.run_module("dailydiff", run_name="__main__", alter_sys=True)
"""


def test_release_notes_from_stored_analyses_compile_none_of_the_analysers_patterns(tmp_path: Path) -> None:
    # The first call analyses the range (and stores it); the second reads the stored analyses: the rules
    # analyser's body reader and its own patterns are never compiled (the modules are not even imported), and
    # the notes are the same.
    repo = build_tagged_repo(tmp_path / "widget")
    args = ["notes", str(repo), "v1.0..v1.1", "--analyzer", "heuristic", "--lang", "en", "--data-dir",
            str(tmp_path / "data")]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    runs = []
    for out in (tmp_path / "first.json", tmp_path / "again.json"):
        done = subprocess.run([sys.executable, "-c", _COMPILED, str(out), *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        runs.append((done.stdout, json.loads(out.read_text())))
    (first, analysing), (again, reading) = runs
    assert first == again and "streaming API" in again
    assert any(analysing.values())  # analysing the range compiles some of them ...
    assert reading == {}  # ... reading stored analyses imports neither module, so compiles none


# What `search` never needs: the data model (the index holds what it shows), typer (cli/direct.py reads its
# command line) and so neither typer's pydantic adapters, jinja's templates, the engine, the renderers, the
# outbound policy (a search sends nothing).
NOT_FOR_SEARCH = ["dailydiff.models", "typer._adapters", "jinja2", "dailydiff.engine", "dailydiff.render",
                  "rich.progress", "dailydiff.common.http"]  # fmt: skip
# Nor the whole settings: `search` reads ReadSettings (settings/sections.py) from the layers (settings/loading.py);
# Settings, the sections only it reads, and the publishers', runs', watches' and notes' models are never loaded.
NOT_FOR_SEARCH_SETTINGS = ["dailydiff.settings.whole", "dailydiff.settings.publishers", "dailydiff.settings.ops",
                           "dailydiff.settings.notes", "dailydiff.settings.described"]  # fmt: skip


def test_a_search_loads_neither_the_data_model_nor_typers_adapters(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    day = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
    build_repo(repo, [CommitSpec("feat: fused moe kernel for the router", day,
                                 edits=[FileEdit("csrc/moe.cu", "int x = 1;\n")])])  # fmt: skip
    data = str(tmp_path / "data")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    built = subprocess.run([sys.executable, "-m", "dailydiff", "report", str(repo), "--date", "2026-01-05", "--tz",
                            "UTC", "--analyzer", "heuristic", "--data-dir", data, "-o", str(tmp_path / "out"),
                            "--quiet"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
                           check=False)  # fmt: skip
    assert built.returncode == 0, built.stderr
    done, modules = imported_by(tmp_path, "search", "fused moe kernel", "--type", "feature", "--limit", "5",
                                "--data-dir", data)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "fused moe kernel for the router" in done.stdout
    assert "dailydiff.settings.sections" in modules  # the probe sees
    assert loaded(modules, NOT_FOR_SEARCH_SETTINGS) == []
    assert loaded(modules, NOT_FOR_SEARCH) == []
    # A number out of bounds is still refused as typer refuses it (its adapter, built then).
    done, _ = imported_by(tmp_path, "search", "fused", "--limit", "500", "--data-dir", data)
    assert done.returncode == 2 and "--limit" in done.stderr, done.stderr


def test_a_command_that_makes_an_http_client_does_not_load_trio(tmp_path: Path) -> None:
    # httpx's transport imports trio wherever it is installed (0.15 to 0.2 s a process, each worker of a
    # shared plan): a stand-in trio on the path notes whether it was imported. A bare client imports it
    # (the stand-in works); `dailydiff doctor` asking a model endpoint (a closed local port) does not.
    stand_in = tmp_path / "path" / "trio"
    stand_in.mkdir(parents=True)
    (stand_in / "__init__.py").write_text(
        "import os\nopen(os.environ['TRIO_MARK'], 'a').write('imported\\n')\n"
        "raise ImportError('a stand-in trio')\n"
    )
    mark = tmp_path / "mark"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "path"), str(ROOT / "src")]),
           "TRIO_MARK": str(mark), "DAILYDIFF_ANALYZER": "llm", "DAILYDIFF_LLM_BASE_URL": "http://127.0.0.1:9/v1",
           "DAILYDIFF_LLM_MODEL": "m", "DAILYDIFF_DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    subprocess.run([sys.executable, "-c", "import httpx2; httpx2.AsyncClient()"], env=env, check=True)
    assert mark.read_text().startswith("imported")
    mark.unlink()
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run([sys.executable, "-m", "dailydiff", "doctor"], cwd=work, env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert "cannot reach the endpoint" in done.stdout + done.stderr, done.stdout + done.stderr
    assert not mark.exists()
