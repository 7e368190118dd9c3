"""Writing a site out: only the pages whose inputs changed, in processes of their own when there are many, the
stale pages removed, the filesystem flushed once."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dailydiff.errors import OutputError
from dailydiff.publish.files import atomic_write, sync_filesystem
from dailydiff.site.model import (
    MANIFEST,
    REPOS,
    Renderer,
    json_text,
    read_json,
)
from dailydiff.site.pages import Site

# writing -----------------------------------------------------------------------------------------


@dataclass
class BuildResult:
    output_dir: Path
    pages: int
    written: int
    removed: int
    reports: int


def build_site(
    site: Site, output_dir: Path, jobs: int = 1, meanwhile: Callable[[], object] | None = None
) -> BuildResult:
    """Write every page (atomically) whose inputs changed since the last build (the manifest keeps each
    page's fingerprint: ``Site.shared_inputs``, ``Site.section_inputs``) and whose content differs, and
    remove the pages a previous build wrote that no longer exist. A build with nothing changed renders and writes nothing. The
    site-wide pages are made first; then each repository's pages are laid out, fingerprinted and written
    — with ``jobs`` above 1, by that many processes (forked: each inherits the laid-out site and reads
    reports through a connection of its own). ``meanwhile``: more work of this process, done while the
    writers work."""
    previous = _manifest(output_dir)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        shared = site.shared_pages()
        # The files present: here those of the site-wide pages, each writer those of its repositories.
        present = _files(output_dir, skip=REPOS) | {
            path for path in shared if path.startswith(f"{REPOS}/") and (output_dir / path).is_file()
        }
        inputs = site.shared_inputs(shared)
        todo = _changed(shared, inputs, previous, present)

        def here() -> int:  # the site-wide pages, and the caller's work
            count = _write_pages(shared, todo, output_dir)
            if meanwhile is not None:
                meanwhile()
            return count

        everyone = list(range(len(site.repos)))
        if jobs > 1 and len(everyone) > 1 and _can_fork():
            done, written = _sections_in_processes(site, everyone, previous, output_dir, jobs, here)
        else:
            written = here()
            done = [_write_sections(site, everyone, previous, output_dir)]
        for made, count in done:
            inputs.update(made)
            written += count
        removed = _remove_stale(output_dir, previous.keys() - inputs.keys())
        if written:
            # Once for every page (an fsync each would cost more than rendering them), before the manifest.
            sync_filesystem(output_dir)
        if previous != inputs:
            atomic_write(
                output_dir / MANIFEST,
                json_text({"pages": inputs}, sort_keys=True),
            )
    except OSError as exc:
        raise cannot_write(output_dir, exc) from None
    return BuildResult(output_dir, len(inputs), written, removed, len(site.days))


def _changed(pages: Mapping[str, Renderer], inputs: Mapping[str, str], previous: Mapping[str, str],
             present: set[str]) -> list[str]:  # fmt: skip
    """The pages whose inputs changed since the last build, or whose file is gone."""
    return [path for path in pages if previous.get(path) != inputs[path] or path not in present]


Written = tuple[dict[str, str], int]  # the inputs of the pages laid out, how many were written


def _write_sections(site: Site, sections: Iterable[int], previous: Mapping[str, str],
                    output_dir: Path) -> Written:  # fmt: skip
    """Lay out, fingerprint and write the changed pages of the repositories at ``sections`` (indexes of
    ``site.repos``): (their pages' inputs, the count written)."""
    inputs: dict[str, str] = {}
    written = 0
    for index in sections:
        section = site.repos[index]
        folder = f"{REPOS}/{section.slug}"
        present = {f"{folder}/{name}" for name in _files(output_dir / folder)}
        pages = site.section_pages(section)
        mine = site.section_inputs(section)
        written += _write_pages(pages, _changed(pages, mine, previous, present), output_dir)
        inputs.update((path, mine[path]) for path in pages)
    return inputs, written


def _write_pages(pages: Mapping[str, Renderer], paths: Iterable[str], output_dir: Path) -> int:
    """Render ``paths`` and write each whose content differs from the file's; returns how many."""
    written = 0
    for path in paths:
        target = output_dir / path
        text = pages[path]()
        try:
            if target.read_text(encoding="utf-8") == text:
                continue
        except (FileNotFoundError, UnicodeDecodeError):
            pass
        atomic_write(target, text, durable=False)
        written += 1
    return written


def default_jobs() -> int:
    """`site build`'s writer processes by default: one per core this process may use, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


# What forked writers work on (``_write_share``): the site, the last build's manifest and the output folder.
_FORKED: tuple[Site, Mapping[str, str], Path] | None = None


def _write_share(sections: list[int]) -> Written | str:
    """A forked writer's share: ``_write_sections``'s result, or the error's text (an OSError does not
    cross)."""
    assert _FORKED is not None
    try:
        return _write_sections(_FORKED[0], sections, *_FORKED[1:])
    except OSError as exc:
        return str(exc.strerror or exc)


def _sections_in_processes(site: Site, sections: list[int], previous: Mapping[str, str], output_dir: Path,
                           jobs: int, meanwhile: Callable[[], int]) -> tuple[list[Written], int]:  # fmt: skip
    """``_write_sections`` by ``jobs`` forked processes, a few neighbouring repositories at a time, while
    this one runs ``meanwhile``: (the processes' results, ``meanwhile``'s)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _FORKED
    size = max(1, len(sections) // (jobs * 8))
    shares = [sections[i : i + size] for i in range(0, len(sections), size)]
    _FORKED = (site, previous, output_dir)
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_write_share, share) for share in shares]  # forked on submitting
            mine = meanwhile()
            done = [future.result() for future in futures]
    finally:
        _FORKED = None
    failed = [d for d in done if isinstance(d, str)]
    if failed:
        raise OSError(failed[0])
    return [d for d in done if not isinstance(d, str)], mine


def _files(root: Path, skip: str = "") -> set[str]:
    """Every file under ``root``, relative (one listing: cheaper than asking about each page), but those
    in its folder ``skip``."""
    found: set[str] = set()
    for folder, dirs, names in os.walk(root):
        prefix = os.path.relpath(folder, root).replace(os.sep, "/")
        if prefix == ".":
            prefix = ""
            if skip in dirs:
                dirs.remove(skip)
        else:
            prefix += "/"
        found.update(prefix + name for name in names)
    return found


def cannot_write(output_dir: Path, exc: OSError) -> OutputError:
    """The site's directory cannot be written: the README's 74, as for any output."""
    return OutputError(
        f"cannot write the site to {output_dir}: {exc.strerror or exc}",
        "check --output-dir and its permissions",
    )


def _manifest(output_dir: Path) -> dict[str, str]:
    """The pages the last build wrote, with their fingerprints ("" from a manifest that had none)."""
    data = read_json(output_dir / MANIFEST)
    if data is None:
        return {}
    if isinstance(data, list):  # a manifest of an earlier version: the pages only
        return {str(p): "" for p in data}
    pages = data.get("pages") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in pages.items()} if isinstance(pages, dict) else {}


def _remove_stale(output_dir: Path, stale: Iterable[str]) -> int:
    """Remove the pages of ``stale`` (a previous build's that this one does not have)."""
    removed = 0
    for path in sorted(stale):
        if not isinstance(path, str) or ".." in Path(path).parts or Path(path).is_absolute():
            continue
        target = output_dir / path
        target.unlink(missing_ok=True)
        removed += 1
        for parent in target.parents:
            if parent == output_dir or output_dir not in parent.parents:
                break
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break
    return removed
