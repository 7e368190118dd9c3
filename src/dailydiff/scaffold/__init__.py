"""`dailydiff init`: the files a new set-up starts from — a commented dailydiff.toml (the packaged defaults
plus [[repos]] / [[watch]] entries) and a GitHub Actions workflow that runs dailydiff every day.
The texts are data files next to this module; this module only fills them in."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

import jinja2
import tomli_w

from dailydiff.settings import defaults_text

CONFIG_NAME = "dailydiff.toml"
WORKFLOW_PATH = ".github/workflows/dailydiff.yml"
OUTPUT_DIR = "reports"
# The command the workflow runs (documented in the README; the tests run it as written).
RUN_COMMAND = (
    'dailydiff run --config dailydiff.toml --date "${DATE:-yesterday}" '
    "--output-dir reports --summary-json summary.json"
)
DEFAULT_INSTALL = "python -m pip install dailydiff"
EXAMPLE_REPOS = ("sgl-project/sglang",)
ALWAYS_SECRETS = ("GITHUB_TOKEN",)  # the GitHub source reads it; Actions provides it to every workflow


def _data(name: str) -> str:
    return resources.files("dailydiff.scaffold").joinpath(name).read_text(encoding="utf-8")


def config_text(repos: Sequence[str] = ()) -> str:
    entries = "\n".join(
        "[[repos]]\n" + tomli_w.dumps({"source": source}) for source in (repos or EXAMPLE_REPOS)
    )
    return (
        _data("header.toml")
        + defaults_text().rstrip("\n")
        + "\n"
        + _data("examples.toml")
        + entries
        + _data("watch.toml")
    )


def secret_env_names(data: Any) -> list[str]:
    """Environment variables the settings read secrets from: every ``*_env`` key's value (e.g.
    ``api_key_env = "DEEPSEEK_API_KEY"``), plus GITHUB_TOKEN."""
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

    for name in walk(data):
        if name not in names and name.replace("_", "").isalnum():
            names.append(name)
    return names


def workflow_text(config: str, install: str = DEFAULT_INSTALL, settings: dict[str, Any] | None = None) -> str:
    """The workflow for this config text; ``settings`` (the loaded settings, defaults included) names the
    secrets when given, else the config text itself does."""
    data = settings if settings is not None else tomllib.loads(config)
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
    template = env.from_string(_data("workflow.yml.j2"))
    return template.render(
        secrets=secret_env_names(data),
        install=install,
        command=RUN_COMMAND,
        output_dir=OUTPUT_DIR,
        timezone=data.get("report", {}).get("timezone", "Asia/Shanghai"),
    )
