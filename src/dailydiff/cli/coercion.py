"""Command-line values that need no conversion, taken as typer would take them without building a pydantic
validator per parameter.

typer (0.29) converts every value through a pydantic ``TypeAdapter`` built for its parameter on first use:
importing its adapters and building one for each of a command's dozen or so text, path and flag parameters
costs about 60 ms of a command's start (bench/startup.py), to turn a ``str`` into the same ``str``, a
``str`` into a ``Path`` and a flag's ``bool`` into itself. A parameter typed ``str``, ``Path``, ``bool``,
``int`` or ``list[str]`` (no parser, no choices, no file) gets ``Plain`` below: a text value is returned as it
is, a path goes through typer's own path checks as its adapter does, a flag's ``True``/``False`` is kept, a
repeated text option's values become a list, a number written in plain digits within the option's bounds
is that ``int``; any other value (a flag spelt as text, ``+5``, ``1_000``, a number out of bounds) goes
through typer's adapter, built then, which says what is wrong as before. (The adapters' first use also
imports pydantic's plugin loader and ``importlib.metadata``: about 25 ms of `search`, whose ``--repo`` and
``--limit`` are a list and a number.)
Anything typer's internals no longer offer leaves its parameters as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

try:
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
    from typer._param_types import coerce_cli_path, lenient_issubclass
except ImportError:  # another typer: its own conversion, unchanged
    RuntimeParam = None  # type: ignore[assignment,misc]


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class Plain(RuntimeParam):
        """A ``str``, ``Path``, ``bool``, ``int`` or ``list[str]`` parameter's conversion: what typer's adapter
        returns, without the adapter."""

        descriptor: TypeDescriptor
        path_type: Any

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.annotation is bool and isinstance(value, bool):
                return value
            if self.annotation is int:
                number = _plain_int(value)
                if number is not None and self._within(number):
                    return number
                return build_runtime_param(self.descriptor)._coerce_value(value, param=param, ctx=ctx)
            if get_origin(self.annotation) is list:  # list[str]
                if isinstance(value, (list, tuple)) and all(type(item) is str for item in value):
                    return list(value)
                return build_runtime_param(self.descriptor)._coerce_value(value, param=param, ctx=ctx)
            if self.annotation is bool or not isinstance(value, str):
                return build_runtime_param(self.descriptor)._coerce_value(value, param=param, ctx=ctx)
            if self.path_type is None:
                return value
            path = value if self.path_type in (str, bytes) else self.path_type(value)
            return coerce_cli_path(path, self.parameter_info, path_type=self.path_type, param=param, ctx=ctx)

        def _within(self, number: int) -> bool:
            low, high = self.parameter_info.min, self.parameter_info.max
            return (low is None or number >= low) and (high is None or number <= high)


def _is_text_list(annotation: Any) -> bool:
    return get_origin(annotation) is list and get_args(annotation) == (str,)


def _plain_int(value: Any) -> int | None:
    """An ``int`` value, or one written in ASCII digits only; None for anything else (typer's adapter decides)."""
    if type(value) is int:
        return value
    if type(value) is str and value.isascii() and value.isdigit():
        return int(value)
    return None


def plain_values(params: list[Any]) -> None:
    """Give each of ``params`` (typer's parameters of one command, its help option among them; None is
    skipped) that is typed ``str``, ``Path``, ``bool``, ``int`` or ``list[str]`` the conversion above; the
    others keep typer's."""
    if RuntimeParam is None:
        return
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if getattr(param, "_runtime_param", True) is not None or not isinstance(descriptor, TypeDescriptor):
            continue
        info, annotation = descriptor.parameter_info, descriptor.annotation
        if (
            descriptor.file_annotation is not None
            or info.parser is not None
            or descriptor.choices is not None
        ):
            continue
        if annotation in (str, bool, int) or _is_text_list(annotation):
            path_type = None
        elif lenient_issubclass(annotation, Path):
            path_type = info.path_type if info.path_type is not None else annotation
        else:
            continue
        param._runtime_param = Plain(info, annotation, descriptor, path_type)
