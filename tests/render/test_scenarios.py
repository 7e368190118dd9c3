"""Golden scenarios, one directory each under tests/golden/scenarios/ (as git-cliff keeps its fixtures):
``repo.sh`` makes the repository with fixed dates, ``dailydiff.toml`` is the config, ``scenario.toml`` the
commands in order (each with its ``now``, an optional ``script`` run before it, its exit code and a stdout
file to keep), and ``expected/`` the editions they make: the files written under ``out/``, what the webhook
received (one JSON file a message) and the stdout asked for. Regenerate on purpose: `make golden`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from clirun import dailydiff
from webhook_receiver import WebhookReceiver

SCENARIOS = Path(__file__).parents[1] / "golden" / "scenarios"
REGENERATE = os.environ.get("DAILYDIFF_REGENERATE_GOLDEN") == "1"
NAMES = sorted(p.name for p in SCENARIOS.iterdir() if (p / "scenario.toml").is_file())


def _script(path: Path, cwd: Path) -> None:
    subprocess.run(["bash", str(path)], cwd=cwd, check=True, capture_output=True, timeout=60)


def _editions(work: Path, hooks: WebhookReceiver, kept: dict[str, str]) -> dict[str, str]:
    """What the scenario made, by name: files under out/, webhook messages, stdouts kept."""
    made = dict(kept)
    out = work / "out"
    for path in sorted(out.rglob("*.md")) if out.is_dir() else []:
        made[f"out/{path.relative_to(out)}"] = path.read_text(encoding="utf-8")
    for n, payload in enumerate(hooks.received.get("generic", []), 1):
        payload = {k: v for k, v in payload.items() if k != "generated_at"}  # the machine's clock
        made[f"webhook/{n:02d}.json"] = (
            json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        )
    return made


@pytest.mark.parametrize("name", NAMES)
def test_scenario_makes_its_expected_editions(name: str, tmp_path: Path) -> None:
    source = SCENARIOS / name
    work = tmp_path / name
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("expected"))
    shutil.copy(SCENARIOS / "lib.sh", tmp_path / "lib.sh")
    _script(work / "repo.sh", work)
    steps = tomllib.loads((source / "scenario.toml").read_text(encoding="utf-8"))["step"]
    hooks = WebhookReceiver().start()
    kept: dict[str, str] = {}
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
        env |= {"HOOK_URL": hooks.urls()["webhook"], "NO_COLOR": "1"}
        for step in steps:
            if "script" in step:
                _script(work / step["script"], work)
            done = dailydiff(*step["args"], cwd=work, env={**env, "DAILYDIFF_RUN_NOW": step["now"]})
            assert done.returncode == step.get("exit", 0), (step["args"], done.stderr)
            if "stdout" in step:
                kept[step["stdout"]] = done.stdout
        made = _editions(work, hooks, kept)
        assert hooks.violations == []
    finally:
        hooks.stop()
    expected = source / "expected"
    if REGENERATE:
        shutil.rmtree(expected, ignore_errors=True)
        for rel, text in made.items():
            (expected / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected / rel).write_text(text, encoding="utf-8")
    assert expected.is_dir(), f"{expected} missing: run `make golden` to create it"
    want = {
        str(p.relative_to(expected)): p.read_text(encoding="utf-8")
        for p in expected.rglob("*")
        if p.is_file()
    }
    assert sorted(made) == sorted(want), "the scenario made other editions; if intended, run `make golden`"
    for rel in want:
        assert made[rel] == want[rel], f"{name}/{rel} changed; if intended, run `make golden`"
