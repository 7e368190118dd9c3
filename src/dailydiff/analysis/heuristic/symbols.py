"""The definitions a commit's patches add and remove (functions, classes, structs … in the languages a
kernel library is written in), read from the changed lines alone."""

from __future__ import annotations

from collections.abc import Sequence

from dailydiff.common.lazyre import lazy_compile
from dailydiff.models import FileChange
from dailydiff.scoring.paths import PathKind, classify

# A definition added or removed: searched in "\n" + the patch, a line start found as a literal newline (a
# "^" in multiline mode is tried at every character; a literal is skipped to by the regex engine). Every
# changed line of every patch is tried (a month of a busy repository: 15 MB), so no step gives back what it
# took: the blanks are possessive (what follows each is a letter) and a line whose first word cannot begin a
# definition fails at once (a third of the time of the lazy look-ahead for a keyword that this replaced).
_DEF_RE = lazy_compile(
    r"\n([+-])\s*+(?=[adcefips])(?:export\s++)?(?:pub(?:\(crate\))?\s++)?(?:async\s++)?"
    r"(?:def|class|fn|func|function|struct|interface|enum)\s++([A-Za-z_]\w*)",
)


def changed_definitions(
    files: Sequence[FileChange],
) -> tuple[list[str], list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    """The names defined on added lines, on removed lines, the public ones added in source files (with their
    path), and the public ones both removed and added in one source file (a signature changed: "-def f(a)"
    and "+def f(a, b)"); generated files and files without a patch are skipped."""
    added: list[str] = []
    removed: list[str] = []
    public: list[tuple[str, str]] = []
    resigned: list[tuple[str, str]] = []
    for change in files:
        if not change.patch or change.generated:
            continue
        source = classify(change.path) is PathKind.SOURCE
        signs: dict[str, set[str]] = {}
        for sign, name in _DEF_RE.findall("\n" + change.patch):
            (added if sign == "+" else removed).append(name)
            signs.setdefault(name, set()).add(sign)
            if sign == "+" and not name.startswith("_") and source:
                public.append((name, change.path))
        if source:
            resigned += [(n, change.path) for n, s in signs.items() if len(s) == 2 and not n.startswith("_")]
    return added, removed, public, resigned
