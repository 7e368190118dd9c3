"""The type of an ``*_env`` setting: the name of the environment variable that holds a secret ("" for none).
Apart from the publishers' entries (settings/publishers.py) so that every section can use it without them."""

# Annotations are evaluated as Python evaluates them, not from text (no `from __future__ import annotations`).

from typing import Annotated

from pydantic import AfterValidator

from dailydiff.common import secrets
from dailydiff.common.lazyre import lazy_compile

_ENV_NAME = lazy_compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env_name(value: str) -> str:
    """An ``*_env`` setting names a variable. A value that cannot be a name (a webhook URL, a token) was
    put where its name belongs: refused, and kept a secret — the message names the key, never the value."""
    if value and (not _ENV_NAME.fullmatch(value) or secrets.looks_like_token(value)):
        secrets.register(value)
        raise ValueError(
            "must be the name of an environment variable (letters, digits, _), not its value: "
            "export the value as, e.g., MY_SECRET and write that name here"
        )
    return value


# The name of an environment variable that holds a secret ("" for none).
EnvName = Annotated[str, AfterValidator(_env_name)]
