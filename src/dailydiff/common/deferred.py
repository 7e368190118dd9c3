"""One deferred pydantic build at a time, whatever thread first uses a model.

The data and render models are ``defer_build``: a model's validator is built when it is first used, not at
import (start-up time). pydantic's ``model_rebuild`` (which that first use calls, through the model's mock
validator) takes no lock (2.13): two threads that first use a model at once — a run's digest-days, each
built on a thread of its own — both rebuild it, and the one that starts later deletes the validator (and
core schema) the other has just set. An instance made then is validated by its parent's validator, with none
of its own fields ("'DayDigest' object has no attribute 'language'"), or a model whose schema embeds it
finds its core schema gone ("type object 'Overview' has no attribute '__pydantic_core_schema__'").
``OneRebuild`` first among a model's bases makes its rebuilds take one lock, shared by every model that has
it (a rebuild reads the schemas of the models it embeds) and reentrant (it builds them)."""

from __future__ import annotations

import threading
from typing import Any

_REBUILD = threading.RLock()


class OneRebuild:
    """A pydantic model's ``model_rebuild`` under the one lock (a mixin, before ``BaseModel``)."""

    @classmethod
    def model_rebuild(
        cls,
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: Any = None,
    ) -> bool | None:
        depth = _parent_namespace_depth + 1 if _parent_namespace_depth > 0 else 0  # this frame skipped
        with _REBUILD:
            return super().model_rebuild(  # type: ignore[misc, no-any-return]
                force=force, raise_errors=raise_errors, _parent_namespace_depth=depth,
                _types_namespace=_types_namespace,
            )  # fmt: skip
