"""A regular expression compiled when it is first used, not when its module is imported.

The rules' tables (scoring, the heuristic analyser) hold many patterns; compiling them all at import costs
tens of milliseconds on every command, `notes` included, which reads stored analyses and uses few of them.
``lazy_compile`` has the ``re.compile`` signature and gives an object that acts as the compiled pattern: its
first use compiles it and puts the pattern's methods on it, so later uses cost what the pattern's own do.
``.pattern`` is there without compiling (tables build patterns from other patterns' text).

``two_scripts`` is for a pattern that names CJK ranges: Python's compiler walks every code point of a class's
ranges, so ``[一-鿿]`` alone costs some 3 ms to compile and a search's few such patterns ~25 ms of its start.
Text of ASCII characters alone (``str.isascii``, a flag lookup) is matched by the same pattern written
without those ranges, which compiles in a fraction of that: an English question never compiles the others.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, cast

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


class _TwoScripts:
    made: ClassVar[list[_TwoScripts]] = []  # every one, for the test that holds each pair alike on ASCII text

    def __init__(self, pattern: str, ascii_pattern: str, flags: int) -> None:
        self.pattern, self.ascii_pattern = pattern, ascii_pattern
        self.whole, self.ascii = _LazyPattern(pattern, flags), _LazyPattern(ascii_pattern, flags)
        _TwoScripts.made.append(self)

    def _for(self, text: str) -> Any:
        return self.ascii if text.isascii() else self.whole

    def search(self, string: str, *args: int) -> Any:
        return self._for(string).search(string, *args)

    def match(self, string: str, *args: int) -> Any:
        return self._for(string).match(string, *args)

    def fullmatch(self, string: str, *args: int) -> Any:
        return self._for(string).fullmatch(string, *args)

    def findall(self, string: str, *args: int) -> Any:
        return self._for(string).findall(string, *args)

    def finditer(self, string: str, *args: int) -> Any:
        return self._for(string).finditer(string, *args)

    def split(self, string: str, maxsplit: int = 0) -> Any:
        return self._for(string).split(string, maxsplit)

    def sub(self, repl: Any, string: str, count: int = 0) -> Any:
        return self._for(string).sub(repl, string, count)

    def __repr__(self) -> str:
        return f"two_scripts({self.pattern!r}, {self.ascii_pattern!r})"


def two_scripts(pattern: str, ascii_pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """``pattern`` (which names CJK ranges), matched as ``ascii_pattern`` on text of ASCII characters alone;
    each compiled at its first use. ``ascii_pattern`` must match ASCII text exactly as ``pattern`` does
    (tests/test_lazyre.py holds every pair to it): ``pattern`` without its non-ASCII ranges, ``(?!)`` for a
    class of them alone."""
    return cast("re.Pattern[str]", _TwoScripts(pattern, ascii_pattern, int(flags)))
