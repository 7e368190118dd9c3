"""The rules worker's own process (worker.py starts it as ``python -c``): each request (an id and
``HeuristicAnalyzer.analyse``'s arguments) answered in order, until its input ends. A module of its own, so
the worker's side (which the analyser imports) never imports the analyser back, and this side imports
neither the worker's side nor its event loop."""

from __future__ import annotations

import os
import pickle
import sys
from typing import TYPE_CHECKING, Any

from dailydiff.analysis.heuristic.analyser import HeuristicAnalyzer
from dailydiff.analysis.heuristic.frames import write_message
from dailydiff.common.searchterms import commit_index_texts, indexed_words

if TYPE_CHECKING:
    from dailydiff.models import Analysis, Commit

# A commit as a busy repository writes them (a template's sections, a list, a link, code spans, a trailer;
# Python, CUDA and test files): analysing it once loads and compiles what the rules use on most commits.
_SAMPLE_BODY = """## 📌 Description

Adds a fused `top_k` kernel for [MoE](https://github.com/o/r/pull/12) routing: the scores are sorted on the GPU.

- new `fused_topk` op
- **faster** decode for small batches

## 🔍 Related Issues

Fixes #123

## 🚀 Pull Request Checklist

- [x] I have installed pre-commit

Co-authored-by: Dev <dev@example.com>
"""
_SAMPLE_FILES = (
    (
        "flashinfer/fused_moe/core.py",
        "@@ -1,3 +1,5 @@\n-def old_name(a):\n+def new_name(a, b):\n+class Tiles:\n     pass\n",
    ),
    (
        "csrc/topk.cu",
        "@@ -1 +1,2 @@\n+__global__ void topk_kernel(float* x) {}\n+template <typename T> struct Plan {};\n",
    ),
    ("tests/test_topk.py", "@@ -0,0 +1 @@\n+def test_topk(): pass\n"),
)


def warm(analyser: HeuristicAnalyzer) -> None:
    """The rules applied once to a sample commit, in each language, while the worker waits for its first
    request: their lazy imports and patterns (50 ms) are then not in front of the first commit's answer."""
    import datetime as dt

    from dailydiff.models import Commit, FileChange, Level, Person, Score, Stats

    person, moment = Person(name="Dev", email="dev@example.com"), dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    files = [FileChange(path=path, additions=2, deletions=1, patch=patch) for path, patch in _SAMPLE_FILES]
    commit = Commit(repo="o/r", sha="0" * 40, author=person, committer=person, authored_at=moment,
                    committed_at=moment, message=f"perf(moe): fused top-k routing (#1234)\n\n{_SAMPLE_BODY}",
                    files=files, stats=Stats(additions=6, deletions=3, files=3))  # fmt: skip
    for language in ("zh", "en"):
        answer(analyser, commit, Score(level=Level.MEDIUM, score=0.5), Level.MEDIUM, language)


def answer(analyser: HeuristicAnalyzer, commit: Commit, *args: Any) -> tuple[Analysis, dict[str, str]]:
    """The commit's analysis, and the index terms of the texts the store will index for it with that analysis
    (common/searchterms.py ``commit_index_texts``): worked out here, on the worker's core, they are not
    worked out again by the run's process as it stores the day (``seed_index_terms``)."""
    analysis = analyser.analyse(commit, *args)
    texts = commit_index_texts(commit.message, commit.pr, commit.files, analysis)
    return analysis, {text: indexed_words(text) for text in texts.values() if text}


def serve() -> None:
    analyser = HeuristicAnalyzer()
    warm(analyser)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while header := stdin.read(8):
        key, args = pickle.loads(stdin.read(int.from_bytes(header, "big")))
        write_message(stdout, (key, answer(analyser, *args)))
        stdout.flush()
    # Every answer is written and flushed: the process ends here, without the interpreter's teardown of
    # what the rules imported (20-30 ms that the run it serves would wait for at its end).
    os._exit(0)


if __name__ == "__main__":
    serve()
