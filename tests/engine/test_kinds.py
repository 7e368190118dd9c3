"""The table of unit kinds (engine/kinds.py) names every unit class of the engine and loads each unit and
planner it names: a kind that is not on the table, or a row that names nothing, fails here."""

from __future__ import annotations

import importlib
import pkgutil

import dailydiff.engine
from dailydiff.engine.base import BaseUnit
from dailydiff.engine.kinds import KINDS, load


def test_every_unit_class_of_the_engine_is_a_row_of_the_table_of_kinds() -> None:
    for module in pkgutil.iter_modules(dailydiff.engine.__path__):
        importlib.import_module(f"dailydiff.engine.{module.name}")
    classes = {f"{c.__module__}:{c.__name__}" for c in _subclasses(BaseUnit)}
    assert classes == {kind.unit for kind in KINDS.values()}, classes ^ {kind.unit for kind in KINDS.values()}


def test_each_row_loads_its_unit_and_its_planner() -> None:
    for name, kind in KINDS.items():
        assert issubclass(load(kind.unit), BaseUnit), name
        assert not kind.planner or callable(load(kind.planner)), name


def _subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct, *_subclasses(direct)}}
