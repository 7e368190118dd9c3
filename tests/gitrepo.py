"""Build real git repositories with fixed dates for the tests (and the fake GitHub server)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class FileEdit:
    path: str
    content: str | bytes | None  # None deletes the file
    rename_from: str | None = None


@dataclass
class CommitSpec:
    message: str
    committed_at: dt.datetime
    authored_at: dt.datetime | None = None
    author: str = "Ada Lovelace"
    email: str = "ada@example.com"
    committer: str | None = None
    edits: list[FileEdit] = field(default_factory=list)


def git(repo: Path, *args: str, env: dict[str, str] | None = None, input: bytes | None = None) -> str:
    full_env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "LC_ALL": "C",
        **(env or {}),
    }
    result = subprocess.run(
        ["git", *args], cwd=repo, env=full_env, input=input, capture_output=True, check=True
    )
    return result.stdout.decode()


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S%z")


def init_repo(path: Path, branch: str = "main") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    git(path, "config", "user.name", "Fixture")
    git(path, "config", "user.email", "fixture@example.com")
    git(path, "config", "commit.gpgsign", "false")
    return path


def commit(repo: Path, spec: CommitSpec) -> str:
    for edit in spec.edits:
        target = repo / edit.path
        if edit.rename_from:
            target.parent.mkdir(parents=True, exist_ok=True)
            git(repo, "mv", edit.rename_from, edit.path)
        if edit.content is None:
            if target.exists():
                git(repo, "rm", "-q", edit.path)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(edit.content, bytes):
            target.write_bytes(edit.content)
        else:
            target.write_text(edit.content, encoding="utf-8")
        git(repo, "add", "--", edit.path)
    env = {
        "GIT_AUTHOR_NAME": spec.author,
        "GIT_AUTHOR_EMAIL": spec.email,
        "GIT_AUTHOR_DATE": _stamp(spec.authored_at or spec.committed_at),
        "GIT_COMMITTER_NAME": spec.committer or spec.author,
        "GIT_COMMITTER_EMAIL": spec.email,
        "GIT_COMMITTER_DATE": _stamp(spec.committed_at),
    }
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "--allow-empty-message", "--no-verify", "-F", "-"],
        cwd=repo,
        input=spec.message.encode(),
        env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", **env},
        capture_output=True,
        check=True,
    )
    return git(repo, "rev-parse", "HEAD").strip()


def build_repo(path: Path, specs: list[CommitSpec], branch: str = "main") -> list[str]:
    """A new repository holding ``specs`` as commits, checked out; the commits' shas in order.

    The commits go in through one ``git fast-import`` (hundreds of commits in a second, where one
    ``git commit`` each takes minutes); they are byte for byte those ``commit`` makes (tests/test_gitrepo.py).
    """
    init_repo(path, branch)
    if not specs:
        return []
    if any(_naive(spec) for spec in specs):  # git reads a date without offset as local time: let it
        return [commit(path, spec) for spec in specs]
    marks = path / ".git" / "build-marks"
    git(path, "fast-import", "--quiet", "--done", f"--export-marks={marks}", input=_stream(specs, branch))
    shas = dict(line.split() for line in marks.read_text().splitlines())
    marks.unlink()
    git(path, "reset", "-q", "--hard")  # the index and the work tree, as after the last `git commit`
    return [shas[f":{number}"] for number in range(1, len(specs) + 1)]


def _naive(spec: CommitSpec) -> bool:
    return any(m is not None and m.utcoffset() is None for m in (spec.committed_at, spec.authored_at))


# What git leaves out at either end of a name or an e-mail (ident.c, `crud`).
_CRUD = set(".,:;<>\"\\'") | {chr(c) for c in range(33)}


def _without_crud(text: str) -> str:
    """git's strbuf_addstr_without_crud: crud off both ends, and no delimiter of an ident line inside."""
    start, end = 0, len(text)
    while start < end and text[start] in _CRUD:
        start += 1
    while end > start and text[end - 1] in _CRUD:
        end -= 1
    return "".join(c for c in text[start:end] if c not in "\n<>")


def _stripspace(message: str) -> str:
    """`git commit -F`'s clean-up of a message: trailing blanks of each line dropped, runs of empty lines
    made one, none at either end, a newline after every line (git's strbuf_stripspace, no comments)."""
    out: list[str] = []
    empties = 0
    for line in message.split("\n"):
        line = line.rstrip(" \t\r")
        if not line:
            empties += 1
            continue
        if empties and out:
            out.append("")
        empties = 0
        out.append(line)
    return "".join(f"{line}\n" for line in out)


def _ident(name: str, email: str, moment: dt.datetime) -> bytes:
    offset = moment.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    zone = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    return f"{_without_crud(name)} <{_without_crud(email)}> {int(moment.timestamp())} {zone}".encode()


def _quote(path: str) -> bytes:
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'.encode()


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def _stream(specs: list[CommitSpec], branch: str) -> bytes:
    stream = bytearray()
    for number, spec in enumerate(specs, 1):
        stream += f"commit refs/heads/{branch}\nmark :{number}\n".encode()
        stream += b"author " + _ident(spec.author, spec.email, spec.authored_at or spec.committed_at) + b"\n"
        stream += b"committer " + _ident(spec.committer or spec.author, spec.email, spec.committed_at) + b"\n"
        stream += _data(_stripspace(spec.message).encode())
        for edit in spec.edits:  # in order, as `commit` applies them to the work tree
            if edit.rename_from:
                stream += b"R " + _quote(edit.rename_from) + b" " + _quote(edit.path) + b"\n"
            if edit.content is None:
                stream += b"D " + _quote(edit.path) + b"\n"
                continue
            content = edit.content if isinstance(edit.content, bytes) else edit.content.encode("utf-8")
            stream += b"M 100644 inline " + _quote(edit.path) + b"\n" + _data(content)
    stream += b"done\n"
    return bytes(stream)


def commit_graph_count(clone: Path) -> int:
    """How many commits the clone's commit-graph holds, over every layer of its chain (or its one file): each
    file's count is the last entry of its OID fanout chunk, as git's format documents it (a header of 8
    bytes, the chunk table's entries of a 4-byte id and an 8-byte offset, the fanout's 256 counts)."""
    info = clone / "objects" / "info"
    chain = info / "commit-graphs" / "commit-graph-chain"
    files = (
        [info / "commit-graphs" / f"graph-{h}.graph" for h in chain.read_text().split()]
        if chain.is_file()
        else []
    )
    files += [info / "commit-graph"] if (info / "commit-graph").is_file() else []
    total = 0
    for path in files:
        data = path.read_bytes()
        assert data[:4] == b"CGPH", path
        for n in range(data[6]):
            entry = data[8 + 12 * n : 20 + 12 * n]
            if entry[:4] == b"OIDF":
                offset = int.from_bytes(entry[4:], "big")
                total += int.from_bytes(data[offset + 4 * 255 : offset + 4 * 256], "big")
    return total
