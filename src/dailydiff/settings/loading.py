"""Building the settings from their layers: the packaged ``defaults.toml`` < the user's TOML file <
``DAILYDIFF_*`` environment variables < command-line flags, and the secrets they name.

:class:`Settings` (settings/whole.py) is imported where it is built: a command that only reads the store
builds :class:`ReadSettings` and never loads the whole model's sections.
"""

import contextlib
import difflib
import functools
import os
import sys
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from dailydiff.common import packaged, secrets, storeurl
from dailydiff.errors import ConfigError

if TYPE_CHECKING:
    from dailydiff.settings.sections import ReadSettings
    from dailydiff.settings.whole import Settings

ENV_PREFIX = "DAILYDIFF_"
GITHUB_TOKEN_ENVS = (
    "DAILYDIFF_GITHUB_TOKEN",
    "GITHUB_TOKEN",
)  # read in this order unless token_env names one
GITLAB_TOKEN_ENVS = ("DAILYDIFF_GITLAB_TOKEN", "GITLAB_TOKEN")  # the same, for [gitlab]
DEFAULT_CONFIG_NAME = "dailydiff.toml"
# DAILYDIFF_* variables read outside the settings: CI mode of the tests (and of the release workflow's
# installed wheel), tracebacks for bug reports, the tests' Chromium, golden files and screenshots to look at.
OTHER_ENVS = frozenset(
    {
        "DAILYDIFF_CI",
        "DAILYDIFF_CI_INSTALLED",
        "DAILYDIFF_DEBUG",
        "DAILYDIFF_CHROMIUM",
        "DAILYDIFF_REGENERATE_GOLDEN",
        "DAILYDIFF_ARTIFACTS",
        *GITHUB_TOKEN_ENVS,
        *GITLAB_TOKEN_ENVS,
    }
)


L = TypeVar("L", "Settings", "ReadSettings")


def defaults_text() -> str:
    return resources.files("dailydiff").joinpath("settings/defaults.toml").read_text(encoding="utf-8")


@functools.cache
def _defaults() -> dict[str, Any]:
    """The packaged defaults, parsed once per process (a command reads them for its settings and again to
    check its ``DAILYDIFF_*`` variables). Never changed: the layers are merged into new dicts."""
    return packaged.toml("settings/defaults.toml")


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found", "check the --config path") from None
    except IsADirectoryError:
        raise ConfigError(
            f"config file {path} is a directory", "pass the settings file, e.g. dailydiff.toml"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"config file {path} is not text (not UTF-8)", "pass the TOML settings file, e.g. dailydiff.toml"
        ) from None
    except PermissionError:
        raise ConfigError(
            f"cannot read config file {path}: permission denied", "check its permissions"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file {path}: {exc.strerror or exc}", "check the --config path"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}", "fix the syntax") from None


# The settings that name a file or a directory: written relative in a config file, they are relative to that
# file (as a repository's ``source`` is), so one configuration is one store wherever it runs (cron runs from
# $HOME). A flag's or a variable's stay relative to the current directory.
PATH_KEYS: tuple[tuple[str, ...], ...] = (
    ("data_dir",), ("report", "templates_dir"), ("llm", "prompts_dir"), ("site", "output_dir"),
    ("site", "templates_dir"), ("run", "output_dir"), ("publish", "*", "directory"), ("publish", "*", "ca_file"),
)  # fmt: skip


def _anchored(layer: dict[str, Any], base: Path) -> dict[str, Any]:
    """``layer`` (a config file's) with each relative path of ``PATH_KEYS`` made absolute below ``base``."""

    def anchor(node: Any, key: tuple[str, ...]) -> Any:
        if not key:
            if not isinstance(node, str) or not node.strip():
                return node
            path = Path(node).expanduser()
            return node if path.is_absolute() else str((base / path).resolve())
        head, rest = key[0], key[1:]
        if head == "*":
            return [anchor(item, rest) for item in node] if isinstance(node, list) else node
        if isinstance(node, dict) and head in node:
            return {**node, head: anchor(node[head], rest)}
        return node

    entries = layer.get("publish")
    if isinstance(entries, list):  # a files target's directory, unwritten, is the config file's too
        entries = [
            {"directory": ".", **e} if isinstance(e, dict) and e.get("type") == "files" else e
            for e in entries
        ]
        layer = {**layer, "publish": entries}
    for key in PATH_KEYS:
        layer = anchor(layer, key)
    return layer


# One spelling per setting: the outbound policy's settings are spelt as in a [[publish]] entry (and as
# common/http.py's HttpPolicy) in every section. The spellings before it, by section: still read (users'
# configs and DAILYDIFF_* variables), each said once as deprecated.
_FORGE_SPELLINGS = {"request_deadline": "timeout", "max_retries": "retries", "retry_base_delay": "backoff",
                    "max_rate_limit_wait": "max_retry_after"}  # fmt: skip
RESPELT: dict[str, dict[str, str]] = {
    "github": _FORGE_SPELLINGS,
    "gitlab": _FORGE_SPELLINGS,
    "llm": {"request_deadline": "timeout", "max_retries": "retries", "retry_backoff": "backoff"},
}
_said_respelt: set[str] = set()


def _respelt(layer: Mapping[str, Any], where: str, said: list[str]) -> dict[str, Any]:
    """``layer`` (a config file's, the flags') with the old spellings of ``RESPELT`` under today's (the new
    one wins where both are given); each old one found is added to ``said``."""
    out = dict(layer)
    for section, names in RESPELT.items():
        values = layer.get(section)
        if not isinstance(values, Mapping) or not names.keys() & values.keys():
            continue
        values = dict(values)
        for old, new in names.items():
            if old in values:
                values.setdefault(new, values.pop(old))
                said.append(f"[{section}] {old} (in {where}) is deprecated: spell it {new}")
        out[section] = values
    return out


def _respelt_env(layer: dict[str, Any], defaults: Mapping[str, Any], environ: Mapping[str, str],
                 said: list[str]) -> dict[str, Any]:  # fmt: skip
    """The environment layer with the old spellings' variables (DAILYDIFF_GITHUB_MAX_RETRIES) read too."""
    for section, names in RESPELT.items():
        for old, new in names.items():
            env = f"{ENV_PREFIX}{section}_{old}".upper()
            if env in environ:
                values = layer.setdefault(section, {})
                values.setdefault(new, _parse_env_value(environ[env], defaults[section][new]))
                said.append(f"{env} is deprecated: spell it {ENV_PREFIX}{section.upper()}_{new.upper()}")
    return layer


def _say_respelt(said: list[str]) -> None:
    """Each deprecated spelling in one line on stderr, once per process."""
    for line in said:
        if line not in _said_respelt:
            _said_respelt.add(line)
            sys.stderr.write(f"dailydiff: warning: {line}\n")


def _env_layer(defaults: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """DAILYDIFF_<SECTION>_<KEY> for keys of the defaults' sections, DAILYDIFF_<KEY> for top-level keys.
    Values are parsed as TOML literals when they parse (numbers, booleans, lists), else taken as text."""
    layer: dict[str, Any] = {}
    for name, value in defaults.items():
        if isinstance(value, dict):
            for key in value:
                env = f"{ENV_PREFIX}{name}_{key}".upper()
                if env in environ:
                    layer.setdefault(name, {})[key] = _parse_env_value(environ[env], value[key])
        else:
            env = f"{ENV_PREFIX}{name}".upper()
            if env in environ:
                layer[name] = _parse_env_value(environ[env], value)
    return layer


def _env_names(defaults: Mapping[str, Any]) -> list[str]:
    """Every variable :func:`_env_layer` reads."""
    return [
        f"{ENV_PREFIX}{name}_{key}".upper() if isinstance(value, dict) else f"{ENV_PREFIX}{name}".upper()
        for name, value in defaults.items()
        for key in (value if isinstance(value, dict) else [name])
    ]


def unknown_environment(settings: "Settings | ReadSettings", environ: Mapping[str, str]) -> str | None:
    """One warning naming every ``DAILYDIFF_*`` variable that nothing reads (a typo is otherwise silently
    ignored, where the same typo in the file is an error), with the closest known name."""
    if not any(n.upper().startswith(ENV_PREFIX) for n in environ):
        return None  # (most commands: nothing to look up)
    known = {*_env_names(_defaults()), *OTHER_ENVS}
    known |= {f"{ENV_PREFIX}{section}_{old}".upper() for section, names in RESPELT.items() for old in names}
    known |= set(_secret_envs(settings))  # what the *_env keys name, DAILYDIFF_ or not
    unknown = sorted(n for n in environ if n.upper().startswith(ENV_PREFIX) and n not in known)
    if not unknown:
        return None
    named = []
    for name in unknown:
        tails = {k[len(ENV_PREFIX) :]: k for k in known if k.startswith(ENV_PREFIX)}
        close = difflib.get_close_matches(name.upper()[len(ENV_PREFIX) :], sorted(tails), n=1, cutoff=0.75)
        named.append(f"{name} (did you mean {tails[close[0]]}?)" if close else name)
    return (
        f"unknown environment variable{'s' if len(named) > 1 else ''} {', '.join(named)} ignored — "
        f"settings are {ENV_PREFIX}<SECTION>_<KEY> (`dailydiff init` lists every setting)"
    )


def _parse_env_value(raw: str, default: Any) -> Any:
    if isinstance(default, str):
        return raw
    import tomllib

    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        if isinstance(default, list):
            return [part.strip() for part in raw.split(",") if part.strip()]
        return raw


def _has(layer: Mapping[str, Any], loc: tuple[str, ...]) -> bool:
    node: Any = layer
    for part in loc:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


@contextlib.contextmanager
def no_pydantic_plugins() -> Iterator[None]:
    """The settings' validator is built (``defer_build``) without looking for pydantic plugins, as typer
    builds its options' adapters: the look is a scan of every installed package's entry points (about 10 ms
    of each command's start) for plugins dailydiff has no use for."""
    previous = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PYDANTIC_DISABLE_PLUGINS", None)
        else:
            os.environ["PYDANTIC_DISABLE_PLUGINS"] = previous


def load_settings(
    config_path: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    cwd: Path | None = None,
) -> "Settings":
    """Build the settings. ``overrides`` is a nested dict from flags (None values are ignored)."""
    from dailydiff.settings.whole import Settings

    return load_model(Settings, config_path, environ=environ, overrides=overrides, cwd=cwd)


def load_model(
    model: type[L],
    config_path: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    cwd: Path | None = None,
) -> L:
    """``model`` (:class:`Settings`, or :class:`ReadSettings` for a command that only reads the store)
    validated from the layers: the defaults, the user's file, the environment, the flags."""
    environ = os.environ if environ is None else environ
    defaults = _defaults()
    data = defaults
    source = "the defaults"
    if config_path is None:
        candidate = (cwd or Path.cwd()) / DEFAULT_CONFIG_NAME
        config_path = candidate if candidate.is_file() else None
    said: list[str] = []
    if config_path is not None:
        layer = _anchored(_read_toml(config_path), config_path.parent)
        data = _merge(data, _respelt(layer, str(config_path), said))
        source = str(config_path)
    env_layer = _respelt_env(_env_layer(defaults, environ), defaults, environ, said)
    data = _merge(data, env_layer)
    flags = _respelt(_drop_none(overrides or {}), "the command-line flags", said)
    if flags:
        data = _merge(data, flags)
    _say_respelt(said)

    def where(loc: tuple[str, ...]) -> str:
        if loc and _has(flags, loc):
            return "the command-line flags"
        if _has(env_layer, loc[:2]):
            return f"the environment variable {ENV_PREFIX}{'_'.join(loc[:2]).upper()}"
        return source

    from pydantic import ValidationError

    try:
        with no_pydantic_plugins():
            settings = model.model_validate(data)
    except ValidationError as exc:
        from dailydiff.settings.described import describe
        from dailydiff.settings.whole import Settings

        raise ConfigError(
            describe(exc, where, Settings, defaults_text),
            "fix it; `dailydiff init --defaults` lists every setting with its comment",
        ) from None
    register_secrets(settings, environ)
    return settings


def env_names(entry: Any) -> dict[str, str]:
    """The environment variables a `[[publish]]` entry names, by key (``url_env`` → ``HOOK_URL``), the keys
    it leaves empty or does not have left out."""
    values = vars(entry)
    return {
        key: values[key] for key in ("url_env", "secret_env", "token_env", "password_env") if values.get(key)
    }


def _secret_envs(settings: "Settings | ReadSettings") -> dict[str, str]:
    """The variables the ``*_env`` keys name, with the key that names each."""
    names = {settings.github.token_env: "github.token_env", settings.gitlab.token_env: "gitlab.token_env",
             settings.llm.api_key_env: "llm.api_key_env", settings.serve.mcp_token_env: "serve.mcp_token_env"}  # fmt: skip
    for i, entry in enumerate(settings.publish, 1):
        for field, variable in env_names(entry).items():
            names[variable] = f"publish[{i}].{field}"
    evaluation = getattr(settings, "eval", None)  # (a command that only reads the store has no [eval])
    for i, endpoint in enumerate(evaluation.endpoints if evaluation is not None else [], 1):
        names[endpoint.api_key_env or ""] = f"eval.endpoints[{i}].api_key_env"
    return {name: key for name, key in names.items() if name}


def named_secrets(settings: "Settings | ReadSettings", environ: Mapping[str, str]) -> dict[str, str]:
    """Every secret these settings name, by where it comes from: the GitHub token, the LLM key, each
    publisher's webhook URL, signing secret, token and SMTP password (environment variables named by the
    ``*_env`` keys), and the password of a store URL or a repository URL."""
    names = {name: "" for name in (*GITHUB_TOKEN_ENVS, *GITLAB_TOKEN_ENVS)} | _secret_envs(settings)
    found = {
        f"{name} ({key})" if key else name: environ[name]
        for name, key in sorted(names.items())
        if name and environ.get(name, "").strip()
    }
    sources = [r.source for r in settings.repos]
    urls = {"store.url": settings.store.url} | {f"repos[{i}].source": s for i, s in enumerate(sources, 1)}
    for where, url in urls.items():
        password = storeurl.written_password(url)
        if password:
            found[f"the password in {where}"] = password
    return found


def register_secrets(settings: "Settings | ReadSettings", environ: Mapping[str, str]) -> None:
    """Every secret these settings name (:func:`named_secrets`), registered for the one scrub
    (common/secrets.py)."""
    secrets.register(*named_secrets(settings, environ).values())
    for repo in settings.repos:
        secrets.register_url_password(repo.source)  # a bare token as a URL's user


def _drop_none(mapping: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        if isinstance(value, Mapping):
            nested = _drop_none(value)
            if nested:
                out[key] = nested
        elif value is not None:
            out[key] = value
    return out
