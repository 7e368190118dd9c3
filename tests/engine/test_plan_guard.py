"""The engine plans, stated as properties of the source (not as names of functions):

- a command sees the engine only through ``Request``, ``plan``, ``run`` and the printer;
- a plan (``Plan(...)``) is built only inside the engine;
- a repository's identity is decided by one function (``repo_ref``): ``RepoRef(...)`` is built only there,
  and no other module of the engine or the commands calls what names a repository;
- every unit kind of a repository keys itself from its ``RepoRef``;
- ``deliver`` has one call site, in the runner;
- an addendum of late commits is sent only by its own unit (``AddendumUnit``, which needs its day), never by
  the day's engine;
- the look-back for late commits has one path, plain or shared: one call site asks the engine for it;
- the runner is the one way into the day's engine: ``Engine.run_job`` is called only by the day units.

Each check reads every module's syntax tree (function-level imports and calls included); each is shown to
fail on a mutant of the source (``test_the_guards_fail_on_mutants``).
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path

import dailydiff

PACKAGE = Path(dailydiff.__file__).parent
CLI_MAY_IMPORT = {"Request", "plan", "run", "printer", "Flags", "Targets", "Given", "RunRequest", "ReportRequest",
                  "DigestRequest", "WeeklyRequest", "NotesRequest", "WatchTestRequest", "SiteRequest"}  # fmt: skip
# What decides a repository's name: only engine/identity.py calls these (scaffold/ and sources/ define or
# use them for other ends: whether a spec is a path, what a source opens).
NAMERS = {"forge_name", "keeps_its_name", "source_identity", "_entry_id", "_configured_ids"}


@functools.cache
def _parsed() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(("dailydiff", *(parts[:-1] if parts[-1] == "__init__" else parts)))
        out[name] = ast.parse(path.read_text(encoding="utf-8"))
    return out


def _trees(texts: dict[str, str] | None = None) -> dict[str, ast.Module]:
    """Every module of the package by its dotted name (``texts``: replaced sources, for the mutants)."""
    return {**_parsed(), **{name: ast.parse(text) for name, text in (texts or {}).items()}}


def _called(node: ast.AST) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def cli_engine_imports(trees: dict[str, ast.Module]) -> list[str]:
    """What a cli/ module imports from the engine beyond Request, plan, run and the printer."""
    found = []
    for module, tree in trees.items():
        if not module.startswith("dailydiff.cli"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dailydiff.engine"):
                if node.module == "dailydiff.engine.printer":
                    continue
                bad = [
                    a.name
                    for a in node.names
                    if node.module != "dailydiff.engine" or a.name not in CLI_MAY_IMPORT
                ]
                found += [f"{module}: from {node.module} import {name}" for name in bad]
            elif isinstance(node, ast.Import):
                found += [
                    f"{module}: import {a.name}" for a in node.names if a.name.startswith("dailydiff.engine")
                ]
    return found


def built_outside(trees: dict[str, ast.Module], name: str, home: Callable[[str], bool]) -> list[str]:
    """The modules (outside ``home``) that call ``name``."""
    return sorted(
        module
        for module, tree in trees.items()
        if not home(module) and any(_called(node) == name for node in ast.walk(tree))
    )


def repo_refs_outside_repo_ref(trees: dict[str, ast.Module]) -> list[str]:
    """Where a ``RepoRef`` is built other than in engine/identity.py's ``repo_ref`` (and its private
    helpers, which only it calls), and where another engine or cli module names a repository itself."""
    found = built_outside(trees, "RepoRef", lambda m: m == "dailydiff.engine.identity")
    for module, tree in trees.items():
        if module == "dailydiff.engine.identity" or not module.startswith(
            ("dailydiff.engine", "dailydiff.cli")
        ):
            continue
        found += [f"{module} calls {_called(n)}" for n in ast.walk(tree) if _called(n) in NAMERS]
    identity = trees["dailydiff.engine.identity"]
    public = [
        n.name
        for n in identity.body
        if isinstance(n, ast.FunctionDef) and not n.name.startswith("_") and _returns_ref(n)
    ]
    if public != ["repo_ref"]:
        found.append(f"engine/identity.py: the functions that return a RepoRef: {public}")
    return found


def _returns_ref(function: ast.FunctionDef) -> bool:
    return function.returns is not None and ast.unparse(function.returns) == "RepoRef"


def deliver_call_sites(trees: dict[str, ast.Module]) -> list[str]:
    return sorted(
        f"{module}:{node.lineno}"
        for module, tree in trees.items()
        for node in ast.walk(tree)
        if _called(node) == "deliver"
    )


def addendum_senders(trees: dict[str, ast.Module]) -> list[str]:
    """Where an addendum is sent from, other than the ``AddendumUnit`` class of engine/addendum.py."""
    unit = next(
        n
        for n in trees["dailydiff.engine.addendum"].body
        if isinstance(n, ast.ClassDef) and n.name == "AddendumUnit"
    )
    inside = {id(node) for node in ast.walk(unit)}
    return sorted(
        f"{module}:{node.lineno}"
        for module, tree in trees.items()
        for node in ast.walk(tree)
        if _called(node) in ("addendum_sends", "addendum_edition")
        and id(node) not in inside
        and not (module == "dailydiff.engine.addendum" and _in_function(tree, node, "addendum_sends"))
    )


def _in_function(tree: ast.Module, node: ast.AST, name: str) -> bool:
    return any(isinstance(f, ast.FunctionDef) and f.name == name and node in ast.walk(f) for f in tree.body)


def look_back_call_sites(trees: dict[str, ast.Module]) -> list[str]:
    """The calls that ask the engine to look back for late commits (``look_back_besides=``)."""
    return sorted(
        f"{module}:{node.lineno}"
        for module, tree in trees.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and any(k.arg == "look_back_besides" for k in node.keywords)
    )


def engine_entries(trees: dict[str, ast.Module]) -> list[str]:
    """Where a repository's days are asked of the engine other than by the day units (engine/units.py)."""
    return sorted(
        f"{module}:{node.lineno}"
        for module, tree in trees.items()
        for node in ast.walk(tree)
        if _called(node) == "run_job" and module != "dailydiff.engine.units"
    )


def test_cli_sees_the_engine_only_through_request_plan_run_and_the_printer() -> None:
    assert cli_engine_imports(_trees()) == []


def test_a_plan_is_built_only_in_the_engine() -> None:
    trees = _trees()
    assert built_outside(trees, "Plan", lambda m: m.startswith("dailydiff.engine")) == []
    assert any(_called(n) == "Plan" for n in ast.walk(trees["dailydiff.engine.commands"]))  # the guard reads


def test_one_function_decides_a_repositorys_identity() -> None:
    assert repo_refs_outside_repo_ref(_trees()) == []


def test_deliver_has_one_call_site_in_the_runner() -> None:
    sites = deliver_call_sites(_trees())
    assert len(sites) == 1 and sites[0].startswith("dailydiff.engine.runner:"), sites


def test_an_addendum_is_sent_only_by_its_unit() -> None:
    assert addendum_senders(_trees()) == []
    stream = _trees()["dailydiff.engine.stream"]
    assert "addendum" not in {_called(n) for n in ast.walk(stream)} - {None}


def test_the_look_back_has_one_path_for_plain_and_shared_runs() -> None:
    """One call site asks the engine to look back (the day units' builder: a plan's look-back unit with the
    repository's days, or alone in a shared plan), and the engine has no switch of its own for it."""
    sites = look_back_call_sites(_trees())
    assert len(sites) == 1 and sites[0].startswith("dailydiff.engine.units:"), sites
    from dailydiff.engine.stream import RunOptions

    assert "lookback" not in {f.name for f in dataclasses.fields(RunOptions)}  # no second switch


def test_the_runner_is_the_one_way_into_the_days_engine() -> None:
    """No second entry beside the runner (the former ``run_jobs`` / ``build_reports``): only a unit asks
    the engine for a repository's days, so every test and script that builds days goes through a plan."""
    trees = _trees()
    assert engine_entries(trees) == []
    defined = {n.name for tree in trees.values() for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert not defined & {"run_jobs", "build_reports", "_run_jobs"}


def test_every_unit_kind_of_a_repository_keys_itself_from_its_repo_ref(tmp_path: Path) -> None:
    """Two repositories that differ only in their RepoRef's id get different keys, each naming its id,
    for every kind of unit about a repository; no unit or job holds an id of its own besides its ref."""
    from dailydiff.engine.identity import repo_ref
    from dailydiff.engine.jobs import RepoJob, plan_jobs
    from dailydiff.engine.units import DayUnit, LookBackUnit, WeekUnit
    from dailydiff.settings import load_settings

    config = tmp_path / "dailydiff.toml"
    config.write_text(
        '[[repos]]\nsource = "octo/one"\n\n[[repos]]\nsource = "/nowhere/clone"\nname = "team/two"\n'
    )
    settings = load_settings(config, environ={}, cwd=tmp_path, overrides={"data_dir": str(tmp_path / "data")})
    jobs = plan_jobs(settings)
    day = dt.date(2026, 1, 5)
    for job in jobs:
        assert job.ref == repo_ref(settings, job.entry)
        for unit in (DayUnit(job, day), LookBackUnit(job, day), WeekUnit(job.ref, job.settings, day)):
            assert job.ref.id in unit.key, (type(unit).__name__, unit.key)
    keys = [DayUnit(job, day).key for job in jobs]
    assert len(set(keys)) == 2
    for cls in (RepoJob, DayUnit, LookBackUnit, WeekUnit):
        names = {f.name for f in dataclasses.fields(cls)}
        assert not names & {"repo", "repo_id", "label_repo", "qualified_name"}, (cls.__name__, names)


# --- the guards can fail ------------------------------------------------------------------------------------


def _mutant(module: str, old: str, new: str) -> dict[str, ast.Module]:
    parts = module.split(".")[1:]
    path = PACKAGE.joinpath(*parts).with_suffix(".py")
    if not path.exists():
        path = PACKAGE.joinpath(*parts, "__init__.py")
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    return _trees({module: text.replace(old, new, 1)})


def _line(module: str, text: str) -> int:
    path = PACKAGE.joinpath(*module.split(".")[1:]).with_suffix(".py")
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_the_guards_fail_on_mutants() -> None:
    # A command that reaches into the engine for one more name.
    mutant = _mutant("dailydiff.cli.weekly", "from dailydiff.engine import Given, Request, Targets, WeeklyRequest, plan, run",
                     "from dailydiff.engine import Request, plan, run\n    from dailydiff.engine.runner import Plan")  # fmt: skip
    assert cli_engine_imports(mutant) == ["dailydiff.cli.weekly: from dailydiff.engine.runner import Plan"]
    # A command that builds its own plan.
    mutant = _mutant(
        "dailydiff.cli.weekly", "        return run(plan(request))", "        return run(Plan())"
    )
    assert built_outside(mutant, "Plan", lambda m: m.startswith("dailydiff.engine")) == [
        "dailydiff.cli.weekly"
    ]
    # A unit module that guesses a repository's name itself.
    mutant = _mutant("dailydiff.engine.commands", "ref = repo_ref(settings, source, base_dir=base, name=name, opened=True)",
                     "ref = repo_ref(settings, forge_name(source), base_dir=base, name=name, opened=True)")  # fmt: skip
    assert repo_refs_outside_repo_ref(mutant) == ["dailydiff.engine.commands calls forge_name"]
    # A second way to a target.
    mutant = _mutant("dailydiff.engine.units", "        held = outcome.status != BUILT",
                     "        deliver(edition, publishers, context.store)\n        held = outcome.status != BUILT")  # fmt: skip
    assert len(deliver_call_sites(mutant)) == 2
    # The day's engine sending the addendum itself again.
    mutant = _mutant("dailydiff.engine.stream", "        day = repo.built(outcome, relinked)",
                     "        addendum_sends(report, repo.settings, repo.publishers, self.store)\n        day = repo.built(outcome, relinked)")  # fmt: skip
    assert addendum_senders(mutant) == [
        f"dailydiff.engine.stream:{_line('dailydiff.engine.stream', 'day = repo.built(outcome, relinked)')}"
    ]
    # A second look-back path (the engine's own, for plain runs).
    mutant = _mutant("dailydiff.engine.stream", "own = dates if dates is not None",
                     "self.run_job(job, available, look_back_besides=())\n            own = dates if dates is not None")  # fmt: skip
    assert len(look_back_call_sites(mutant)) == 2
    # A second entry into the engine beside the runner.
    mutant = _mutant("dailydiff.engine.runner", "def send_outcomes(",
                     "async def run_jobs(engine, jobs):\n    return [await engine.run_job(j, []) for j in jobs]\n\n\ndef send_outcomes(")  # fmt: skip
    assert len(engine_entries(mutant)) == 1


def test_report_source_plans_its_units_with_the_id_its_source_gives(tmp_path: Path) -> None:
    """`report SOURCE` of a clone, without --name: the plan opens the source, so every unit's RepoRef has the
    id the store, paths and logs use (it was planned with an empty one, named only once the run opened it),
    and lines name the repository by it, as before."""
    from dailydiff.common.dates import DateSpec
    from dailydiff.engine import Given, Request, Targets, plan
    from dailydiff.settings import load_settings
    from dailydiff.store import open_store
    from gitrepo import CommitSpec, FileEdit, build_repo

    repo = tmp_path / "my-clone"
    build_repo(repo, [CommitSpec("feat: one", dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC),
                                 edits=[FileEdit("a.py", "x = 1\n")])])  # fmt: skip
    settings = load_settings(None, environ={}, cwd=tmp_path, overrides={"data_dir": str(tmp_path / "data")})
    with open_store(settings) as store:
        request = Request("report", settings, store, DateSpec(first="2026-01-04", last="2026-01-05"),
                          targets=Targets(), given=Given(str(repo)))  # fmt: skip
        planned = plan(request)
    refs = {unit.job.ref for unit in planned.units.values()}
    assert [ref.id for ref in refs] == ["my-clone"]
    assert sorted(unit.key for unit in planned.units.values()) == [
        "my-clone 2026-01-04",
        "my-clone 2026-01-05",
    ]
    assert sorted(unit.label for unit in planned.units.values()) == [
        "my-clone 2026-01-04",
        "my-clone 2026-01-05",
    ]
