"""A regular expression compiled when it is first used, not when its module is imported.

The rules' tables (scoring, the heuristic analyser) hold many patterns; compiling them all at import costs
tens of milliseconds on every command, `notes` included, which reads stored analyses and uses few of them.
``lazy_compile`` has the ``re.compile`` signature and gives an object that acts as the compiled pattern: its
first use compiles it and puts the pattern's methods on it, so later uses cost what the pattern's own do.
``.pattern`` is there without compiling (tables build patterns from other patterns' text).
"""

from __future__ import annotations

import re
from typing import Any, cast

_METHODS = ("search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer", "scanner")


class _LazyPattern:
    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern
        self._flags = flags

    def __getattr__(self, name: str) -> Any:  # only for what is not on it yet: the first use
        if name.startswith("__"):
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self._flags)
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        self.flags, self.groups, self.groupindex = compiled.flags, compiled.groups, compiled.groupindex
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_compile({self.pattern!r}, {self._flags!r})"


def lazy_compile(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, done at the first use of what it returns."""
    return cast("re.Pattern[str]", _LazyPattern(pattern, int(flags)))
