"""The layout shows the pipeline: packages named after the stages, imports pointing one way, no cycles.

Every import counts, a function-level one included: hiding a cycle inside a function is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import dailydiff
from sourcetree import parsed

PACKAGE = Path(dailydiff.__file__).parent
# kinds: the data model's enums, importable without pydantic (the settings' checks, the search filters).
ROOT_MODULES = {"__init__", "__main__", "models", "kinds", "errors"}
# Lowest first. A module may import its own package and anything in a lower layer, never a higher one.
LAYERS = [
    "common",
    "settings",
    "store",
    "forges",
    "scoring",
    "sources",
    "analysis",
    "render",
    "search",
    "publish",
    "site",
    "engine",
    "scaffold",
    "doctor",
    "web",
    "cli",
]


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(("dailydiff", *parts))] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names]
            submodules = [n for n in names if n in MODULES]  # `from pkg import submodule`
            out.update(submodules)
            if len(submodules) < len(names):
                out.add(target)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {name for name in out if name == "dailydiff" or name.startswith("dailydiff.")}


MODULES = _modules()
GRAPH = {m: {i for i in _imports(m, p) if i in MODULES and i != m} for m, p in MODULES.items()}


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ROOT_MODULES:
        return -1
    return LAYERS.index(parts[1])


def test_only_the_data_model_errors_and_entry_point_sit_at_the_root() -> None:
    root = {p.stem for p in PACKAGE.glob("*.py")}
    assert root <= ROOT_MODULES, f"modules at the package root: {sorted(root - ROOT_MODULES)}"
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages <= set(LAYERS), f"packages outside the layer list: {sorted(packages - set(LAYERS))}"


def test_imports_point_down() -> None:
    upward = []
    for module, targets in GRAPH.items():
        if module == "dailydiff.__main__":
            continue
        for target in targets:
            if target == "dailydiff" and module != "dailydiff":
                continue  # `from dailydiff import __version__`
            if _layer(target) > _layer(module):
                upward.append(f"{module} -> {target}")
    assert not upward, "upward imports:\n" + "\n".join(sorted(upward))


def test_publishers_reach_a_forge_through_its_client_never_through_a_source() -> None:
    """DESIGN: one client per forge in a forge-neutral home (forges/) that publish/ may import; a publisher
    never imports the sources stage (its GitHub client once came from sources.github_http)."""
    assert any(m.startswith("dailydiff.forges.") for m in GRAPH), "no forges package"
    crossing = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if module.startswith("dailydiff.publish")
        for target in targets
        if target == "dailydiff.sources" or target.startswith("dailydiff.sources.")
    )
    assert not crossing, "publish imports sources:\n" + "\n".join(crossing)


def test_no_import_cycles() -> None:
    # Tarjan's strongly connected components over every import, lazy ones included.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in GRAPH[node]:
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    # A package __init__ that re-exports its own submodules is not a cycle of concepts unless a submodule
    # imports the package back; both directions are counted, so such a pair still shows up here.
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_graph_is_read() -> None:
    # Guards the guard: the checks above must see the real imports, not an empty graph.
    assert "dailydiff.models" in GRAPH["dailydiff.engine.stages"]
    assert len(MODULES) > 50


# Stages talk through the data model and each other's public names: a name with a leading underscore is a
# module's own.
def test_no_stage_imports_another_stages_private_names() -> None:
    found = []
    for module, path in MODULES.items():
        stage = module.split(".")[1] if "." in module else ""
        for node in ast.walk(parsed(path)):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("dailydiff."):
                continue
            target_stage = (node.module or "").split(".")[1]
            for alias in node.names:
                private = alias.name.startswith("_")
                if private and target_stage != stage:
                    found.append(f"{module} imports {node.module}.{alias.name}")
    assert not found, "private names imported across stages:\n" + "\n".join(found)


def _calls(path: Path, attribute: str) -> int:
    tree = parsed(path)
    return sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == attribute)
            or (isinstance(node.func, ast.Name) and node.func.id == attribute)
        )
    )


def test_every_unit_kind_reaches_every_target_through_one_deliver() -> None:
    # One path from an edition to a target: the registry's `attempt` (the only caller of a publisher's
    # `send(edition)`) is called by engine/deliver.py alone, and no engine or command module renders a
    # unit's files, chat or mail itself: they build editions (render/edition.py) and call `deliver`.
    attempt_callers = sorted(
        m for m, p in MODULES.items() if m != "dailydiff.publish.registry" and _calls(p, "attempt")
    )
    assert attempt_callers == ["dailydiff.engine.deliver"], attempt_callers
    outside = [
        m
        for m, p in MODULES.items()
        if m.startswith(("dailydiff.engine.", "dailydiff.cli."))
        and GRAPH[m] & {"dailydiff.render.chat", "dailydiff.render.mail", "dailydiff.publish.chat_formats"}
    ]
    assert outside == [], f"rendering a unit outside its edition: {outside}"


def _calls(path: Path, name: str) -> bool:
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Name) and func.id == name) or (
                isinstance(func, ast.Attribute) and func.attr == name
            ):
                return True
    return False


def test_every_unit_kind_reaches_its_targets_through_the_unit_runner_only() -> None:
    """DESIGN: one deliver for every unit kind, called by the runner alone (``send_outcomes``, which sends the
    editions every unit's build returns): no command sends anything itself."""
    callers = {module for module, path in MODULES.items() if _calls(path, "deliver")}
    assert callers == {"dailydiff.engine.runner"}, callers
    commands = {m for m in callers if m.startswith("dailydiff.cli")}
    assert not commands


def test_commands_that_run_units_plan_them_and_hand_them_to_the_one_runner() -> None:
    """`report`, `run`, `digest`, `weekly`, `publish` and `site build` never build a unit themselves: each
    asks the engine for a plan (``plan(request)``) and runs it (``run(plan)``, the one runner);
    tests/test_plan_guard.py states what else a command may see of the engine."""
    for name in ("report", "run", "digest", "weekly", "publish", "site"):
        # `report`'s command, run by typer's or without it (cli/direct.py), is its own module.
        path = MODULES.get(f"dailydiff.cli.{name}_run") or MODULES[f"dailydiff.cli.{name}"]
        assert _calls(path, "plan") or _calls(path, "engine_plan"), name
        assert _calls(path, "run") or _calls(path, "engine_run"), name
        assert not _calls(path, "build_digest_day") and not _calls(path, "build_week"), name
    # `site build` lays out no site itself: the engine's site unit does (engine/site.py).
    site = MODULES["dailydiff.cli.site"]
    assert not any(_calls(site, name) for name in ("build_site", "build_from_store", "make_site"))
