"""Two threads that first use a deferred model at once (a run's digest-days, each built on a thread of its
own: tests/engine/test_sigterm_kinds.py's third run failed with "'DayDigest' object has no attribute
'language'"). pydantic's ``model_rebuild`` takes no lock: the thread that starts rebuilding later deleted
the validator the other had just set, and the other's instance was validated by the parent's validator,
with none of its fields. The interleaving is forced here, at pydantic's own steps (its internals: the
validator is set, then the serializer is made); with the lock (models.py's `OneRebuild`) the later thread waits
for the first, and finds the model built."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from pydantic._internal import _model_construction

from dailydiff.render.week_compare import FrozenModel

WAIT = 1.0  # how long the first thread waits, at the serializer, for the second to delete its validator


def test_a_model_first_used_by_two_threads_at_once_keeps_its_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    class Fresh(FrozenModel):  # a model not built yet, as every render model is at a run's start
        language: str

    first_set = threading.Event()  # the first thread has set the validator, not yet the serializer
    second_deleting = threading.Event()  # the second thread has deleted it and builds its own
    first_done = threading.Event()
    serializer, validator = _model_construction.SchemaSerializer, _model_construction.create_schema_validator

    def slow_serializer(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is first and not first_set.is_set():
            first_set.set()
            second_deleting.wait(WAIT)  # (with the lock the second waits for this one: not set)
        return serializer(*args, **kwargs)

    def held_validator(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is second:
            second_deleting.set()
            first_done.wait(WAIT)
        return validator(*args, **kwargs)

    monkeypatch.setattr(_model_construction, "SchemaSerializer", slow_serializer)
    monkeypatch.setattr(_model_construction, "create_schema_validator", held_validator)
    mock = Fresh.__pydantic_validator__  # what the second thread met before the first set the real one
    made: list[Any] = []

    def use_first() -> None:
        try:
            made.append(Fresh(language="en").language)
        except AttributeError as exc:
            made.append(exc)
        finally:
            first_done.set()

    def use_second() -> None:
        first_set.wait(5)
        assert mock.validate_python({"language": "zh"}).language == "zh"  # its lookup rebuilds the model

    first, second = threading.Thread(target=use_first), threading.Thread(target=use_second)
    first.start()
    second.start()
    first.join(10)
    second.join(10)
    assert made == ["en"]
    assert Fresh(language="zh").language == "zh"
