"""Watch topics: which configured topics a commit matches. Pure functions, no I/O.

A commit matches a topic when any of its criteria matches:

- a **keyword** occurs in the commit title or message, or the pull request's title or labels — any case,
  as a whole word when the keyword starts/ends with a letter or digit (``npu`` matches ``[NPU]`` but not
  ``input``; CJK keywords match anywhere);
- a **path glob** matches a changed file (its new or previous path): ``*`` stays within a directory,
  ``**`` crosses directories, ``?`` is one character; a glob without ``/`` matches the file name in any
  directory; a glob ending in ``/`` matches everything below that directory;
- an **author** equals (any case, globs allowed) the author's name, email or login;
- a **diff** regex matches an added or removed line of the commit's patches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from dailydiff.models import Commit
from dailydiff.settings.ops import WatchTopic

_ASCII_WORD = re.compile(r"[A-Za-z0-9_]")


@lru_cache(maxsize=4096)
def keyword_pattern(keyword: str) -> re.Pattern[str]:
    body = re.escape(keyword)
    if _ASCII_WORD.match(keyword[0]):
        body = r"(?<![A-Za-z0-9_])" + body
    if _ASCII_WORD.match(keyword[-1]):
        body += r"(?![A-Za-z0-9_])"
    return re.compile(body, re.IGNORECASE)


@lru_cache(maxsize=4096)
def glob_pattern(glob: str) -> re.Pattern[str]:
    """A path glob as an anchored regular expression over '/'-separated paths."""
    if glob.endswith("/"):
        glob += "**"
    anywhere = "/" not in glob
    glob = glob.lstrip("/")
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(char))
            i += 1
    prefix = "(?:.*/)?" if anywhere else ""
    return re.compile(f"^{prefix}{''.join(out)}$")


@lru_cache(maxsize=4096)
def author_pattern(author: str) -> re.Pattern[str]:
    """``*`` and ``?`` are wildcards; everything else is literal (bot logins have brackets: ``x[bot]``)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in author)
    return re.compile(f"^{body}$", re.IGNORECASE)


def text_fields(commit: Commit) -> list[str]:
    fields = [commit.message]
    if commit.pr is not None:
        fields.append(commit.pr.title)
        fields.extend(commit.pr.labels)
    return fields


def _paths(commit: Commit) -> list[str]:
    paths: list[str] = []
    for change in commit.files:
        paths.append(change.path)
        if change.previous_path:
            paths.append(change.previous_path)
    return paths


def _identities(commit: Commit) -> list[str]:
    person = commit.author
    return [value for value in (person.name, person.email, person.login or "") if value]


_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)")


def diff_lines(commit: Commit) -> list[tuple[str, str]]:
    """(path, line) for every added or removed line of the commit's patches (the ``+++``/``---`` headers
    left out)."""
    return [(path, line) for path, _number, line in numbered_diff_lines(commit)]


def numbered_diff_lines(commit: Commit) -> list[tuple[str, int, str]]:
    """(path, line number, line) for every added or removed line: an added line's number in the new file,
    a removed one's in the old (0 when the patch has no hunk header)."""
    lines: list[tuple[str, int, str]] = []
    for change in commit.files:
        old = new = 0
        for line in (change.patch or "").splitlines():
            if hunk := _HUNK_RE.match(line):
                old, new = int(hunk[1]), int(hunk[2])
            elif line[:1] == "+" and not line.startswith("+++"):
                lines.append((change.path, new, line))
                new += 1
            elif line[:1] == "-" and not line.startswith("---"):
                lines.append((change.path, old, line))
                old += 1
            elif not line.startswith("\\"):
                old, new = old + 1, new + 1
    return lines


# What a topic names, what of a commit it is looked for in, and how one of its entries matches there.
_MATCHES: tuple[tuple[Callable[[WatchTopic], Sequence[str]], Callable[[Commit], Iterable[str]],
                      Callable[[str, str], object]], ...] = (
    (lambda t: t.keywords, text_fields, lambda k, text: keyword_pattern(k).search(text)),
    (lambda t: t.paths, _paths, lambda g, path: glob_pattern(g).match(path)),
    (lambda t: t.authors, _identities, lambda a, identity: author_pattern(a).match(identity)),
    (lambda t: t.diff, lambda c: [line for _path, line in diff_lines(c)], lambda p, line: re.search(p, line)),
)  # fmt: skip


def matches(commit: Commit, topic: WatchTopic) -> bool:
    for named, looked_in, found in _MATCHES:
        wanted = named(topic)
        if wanted:
            texts = list(looked_in(commit))
            if any(found(w, text) for w in wanted for text in texts):
                return True
    return False


def matching_topics(commit: Commit, topics: Iterable[WatchTopic]) -> list[str]:
    """The names of the topics the commit matches, in the order the topics are configured."""
    return [topic.name for topic in topics if matches(commit, topic)]


def topics_for(all_topics: Sequence[WatchTopic], names: Sequence[str] | None) -> list[WatchTopic]:
    """The topics a repository uses: all of them, or the named subset (names are validated in config)."""
    if names is None:
        return list(all_topics)
    wanted = set(names)
    return [topic for topic in all_topics if topic.name in wanted]
