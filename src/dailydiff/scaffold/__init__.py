"""`dailydiff init`: the files a new set-up starts from — a commented dailydiff.toml (the packaged defaults
plus [[repos]] / [[watch]] entries), a GitHub Actions workflow that runs dailydiff every day (one job, or a
matrix of workers sharing one plan in PostgreSQL) and, on request, a Kubernetes CronJob of an Indexed Job.
The texts are data files next to this module; this module only fills them in."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import tomli_w

from dailydiff import __version__
from dailydiff.settings.whole import window_minutes
from dailydiff.sources import forge_name
from dailydiff.sources.git import is_git_url

CONFIG_NAME = "dailydiff.toml"
WORKFLOW_PATH = ".github/workflows/dailydiff.yml"
OUTPUT_DIR = "reports"
# The command the workflow runs (documented in the README; the tests run it as written).
RUN_COMMAND = (
    'dailydiff run --config dailydiff.toml --date "${DATE:-yesterday}" '
    "--output-dir reports --summary-json summary.json"
)
KUBERNETES_PATH = "kubernetes/dailydiff.yaml"
KUBERNETES_IMAGE = "python:3.11-slim"
STORE_SECRET = "DAILYDIFF_STORE_URL"
# A worker of the Actions matrix: one plan per workflow run (and attempt), no files (the last job writes them).
WORKER_COMMAND = (
    'dailydiff run --config dailydiff.toml --date "${DATE:-yesterday}" '
    '--plan "github-${{ github.run_id }}-${{ github.run_attempt }}" --summary-json "summary-${{ matrix.worker }}.json"'
)
POD_COMMAND = (
    'python -m dailydiff run --config /etc/dailydiff/dailydiff.toml --date yesterday --plan "$JOB_NAME"'
)
EXAMPLE_REPOS = ("sgl-project/sglang",)
ALWAYS_SECRETS = ("GITHUB_TOKEN",)  # the GitHub source reads it; Actions provides it to every workflow


def _data(name: str) -> str:
    return resources.files("dailydiff.scaffold").joinpath(name).read_text(encoding="utf-8")


def pinned_install(extras: str = "", user: bool = False) -> str:
    """The pip command that installs exactly the dailydiff that runs now: a workflow written by one
    version keeps running that version until someone changes the line (or runs `init` again)."""
    requirement = f"dailydiff{extras}=={__version__}"
    return f"python -m pip install {'--quiet --user ' if user else ''}'{requirement}'"


def config_text(repos: Sequence[str] = ()) -> str:
    """A short dailydiff.toml: what a user decides, commented where a default will do, the repositories
    last. The full reference is `dailydiff init --defaults`; nothing of it is frozen into the file."""
    if repos:
        entries = "\n".join("[[repos]]\n" + tomli_w.dumps({"source": source}) for source in repos)
    else:
        entries = "".join(
            "# [[repos]]\n" + "".join(f"# {line}\n" for line in tomli_w.dumps({"source": s}).splitlines())
            for s in EXAMPLE_REPOS
        )
    return (
        _data("header.toml").replace("{version}", __version__)
        + _data("examples.toml")
        + entries
        + _data("watch.toml")
    )


def local_sources(repos: Sequence[str], base: Path) -> list[tuple[str, str]]:
    """The ``repos[N].source`` keys (as in the file, counted from 1) that name a local path (relative to
    ``base``, where the config lives): a workflow that runs on a fresh runner cannot read them."""

    def local(spec: str) -> bool:
        if is_git_url(spec):
            return False
        return (base / spec).expanduser().exists() or forge_name(spec) is None

    return [(f"repos[{n}].source", spec) for n, spec in enumerate(repos, 1) if local(spec)]


def secret_env_names(data: Any) -> list[str]:
    """Environment variables the settings read secrets from: every ``*_env`` key's value (e.g.
    ``api_key_env = "DEEPSEEK_API_KEY"``), plus GITHUB_TOKEN; not [serve]'s."""
    names: list[str] = list(ALWAYS_SECRETS)

    def walk(node: Any) -> Iterable[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith("_env") and isinstance(value, str) and value:
                    yield value
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    # [serve]'s secrets (its push hooks', its /mcp token) are the web server's, not a worker's
    workers = {k: v for k, v in data.items() if k != "serve"} if isinstance(data, dict) else data
    for name in walk(workers):
        if name not in names and name.replace("_", "").isalnum():
            names.append(name)
    return names


_PLAIN_SCALAR = re.compile(r"[A-Za-z0-9._/][^:#\n]*[^\s:]")


def yaml_scalar(value: str) -> str:
    """``value`` as one YAML scalar: as it is when YAML reads it back unchanged, else double-quoted (a JSON
    string is a YAML one) — a `#` would start a comment, `: ` a mapping."""
    return value if _PLAIN_SCALAR.fullmatch(value) else json.dumps(value, ensure_ascii=False)


def _template(name: str) -> jinja2.Template:
    env = jinja2.Environment(
        variable_start_string="[[",
        variable_end_string="]]",
        block_start_string="[%",
        block_end_string="%]",
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["yaml"] = yaml_scalar
    return env.from_string(_data(name))


def nightly_schedule(data: dict[str, Any]) -> dict[str, str]:
    """When the workflow runs: 02:00 Asia/Shanghai (18:00 UTC), or, when the config gives the model price
    windows (``[[llm.models."…".windows]]``, UTC), the start of its cheapest (off-peak hours)."""
    llm = data.get("llm", {})
    model = llm.get("models", {}).get(llm.get("model", ""), {})
    default = {
        "cron": "0 18 * * *",
        "cron_note": "02:00 Asia/Shanghai",
        "when": "02:00 Asia/Shanghai (18:00 UTC)",
    }
    windows = [w for w in model.get("windows", []) if window_minutes(str(w.get("hours", ""))) is not None]

    def prices(window: dict[str, Any]) -> tuple[float, float]:
        own = (window.get("input_price"), window.get("output_price"))
        return (float(own[0] if own[0] is not None else model.get("input_price") or 0.0),
                float(own[1] if own[1] is not None else model.get("output_price") or 0.0))  # fmt: skip

    cheapest = min(windows, key=prices, default=None)
    if cheapest is None or prices(cheapest) >= prices(
        {}
    ):  # no window, or none cheaper than the rest of the day
        return default
    start = (window_minutes(cheapest["hours"]) or (0, 0))[0]
    hour, minute = divmod(start, 60)
    note = f"{hour:02d}:{minute:02d} UTC, the start of {llm['model']}'s cheapest price window ({cheapest['hours']} UTC)"
    return {"cron": f"{minute} {hour} * * *", "cron_note": note, "when": note}


def workflow_text(
    config: str, install: str | None = None, settings: dict[str, Any] | None = None, workers: int = 1
) -> str:
    """The workflow for this config text; ``settings`` (the loaded settings, defaults included) names the
    secrets when given, else the config text itself does. ``workers`` > 1: a matrix of workers sharing one
    plan in a PostgreSQL store (DAILYDIFF_STORE_URL), then one job that writes and commits the files."""
    data = settings if settings is not None else tomllib.loads(config)
    timezone = data.get("report", {}).get("timezone", "Asia/Shanghai")
    if workers > 1:
        return _template("workers.yml.j2").render(
            secrets=[name for name in secret_env_names(data) if name != STORE_SECRET],
            install=install or pinned_install("[postgres]"),
            workers=workers,
            worker_list="[" + ", ".join(str(i) for i in range(1, workers + 1)) + "]",
            worker_command=WORKER_COMMAND,
            command=RUN_COMMAND,
            output_dir=OUTPUT_DIR,
            timezone=timezone,
            **nightly_schedule(data),
        )
    return _template("workflow.yml.j2").render(
        secrets=secret_env_names(data),
        install=install or pinned_install(),
        command=RUN_COMMAND,
        output_dir=OUTPUT_DIR,
        timezone=timezone,
        **nightly_schedule(data),
    )


def kubernetes_text(
    config: str, workers: int, settings: dict[str, Any] | None = None, install: str | None = None
) -> str:
    """A CronJob running an Indexed Job of ``workers`` pods that share one plan in a PostgreSQL store."""
    data = settings if settings is not None else tomllib.loads(config)
    names = [STORE_SECRET, *(name for name in secret_env_names(data) if name != STORE_SECRET)]
    return _template("kubernetes.yml.j2").render(
        all_secrets=names,
        workers=workers,
        image=KUBERNETES_IMAGE,
        install=install or pinned_install("[postgres]", user=True),
        command=POD_COMMAND,
        path=KUBERNETES_PATH,
    )
