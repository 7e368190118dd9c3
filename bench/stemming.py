"""Benchmark: the search index's English stemmer in C (PyStemmer, which snowballstemmer uses when it is
installed) against snowballstemmer's pure-Python one, side by side in one run.

    python3 bench/stemming.py [--runs 5]

Two figures, each with both stemmers: the CPU a fresh process spends importing the index's term splitter
(``dailydiff.common.searchterms``) and stemming its first word, which every command that indexes or
searches pays; and the time to stem every distinct word of a real text (this checkout's sources, README and
CHANGELOG), as a first index build of a long history does. The pure-Python stemmer is the one
snowballstemmer falls back to with the C module hidden. Exits 1 when the two stem any word differently.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A fresh process: the term splitter imported and one word stemmed, its CPU seconds printed.
PROBE = """
import sys, time
if {hide}:
    sys.modules["Stemmer"] = None  # snowballstemmer falls back to its pure-Python stemmers
began = time.process_time()
from dailydiff.common.searchterms import terms
terms("running benchmarks")
print(time.process_time() - began)
"""


def first_word_cpu(hide: bool, runs: int) -> float:
    """Median CPU seconds of PROBE over ``runs`` processes (after one untimed warm-up)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    seconds = []
    for _ in range(runs + 1):
        out = subprocess.run([sys.executable, "-c", PROBE.format(hide=hide)], env=env, check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
        seconds.append(float(out))
    return statistics.median(seconds[1:])


def words() -> list[str]:
    found: set[str] = set()
    for path in [*sorted((ROOT / "src").rglob("*.py")), ROOT / "README.md", ROOT / "CHANGELOG.md"]:
        found.update(w.lower() for w in re.findall(r"[A-Za-z]{4,}", path.read_text(encoding="utf-8")))
    return sorted(found)


def stem_all(stem: Callable[[str], str], vocabulary: list[str]) -> tuple[float, list[str]]:
    began = time.perf_counter()
    stems = [stem(w) for w in vocabulary]
    return time.perf_counter() - began, stems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="processes per stemmer for the start-up figure")
    args = parser.parse_args()
    try:
        import Stemmer
    except ImportError:
        print("PyStemmer is not installed: pip install PyStemmer", file=sys.stderr)
        return 1
    from snowballstemmer.english_stemmer import EnglishStemmer

    c_start, py_start = first_word_cpu(False, args.runs), first_word_cpu(True, args.runs)
    vocabulary = words()
    c_took, c_stems = stem_all(Stemmer.Stemmer("english").stemWord, vocabulary)
    py_took, py_stems = stem_all(EnglishStemmer().stemWord, vocabulary)
    differ = [(w, a, b) for w, a, b in zip(vocabulary, c_stems, py_stems, strict=True) if a != b]
    print(f"{'':28} {'C (PyStemmer)':>14} {'pure Python':>12}")
    print(f"{'import + first word, CPU ms':28} {c_start * 1000:>14.1f} {py_start * 1000:>12.1f}")
    print(f"{f'{len(vocabulary):,} distinct words, ms':28} {c_took * 1000:>14.1f} {py_took * 1000:>12.1f}")
    print(f"pure Python / C: start-up {py_start / c_start:.2f}×, stemming {py_took / c_took:.1f}×; "
          f"{len(differ)} word(s) stemmed differently")  # fmt: skip
    for word, c_stem, py_stem in differ[:10]:
        print(f"  {word}: C {c_stem!r}, pure Python {py_stem!r}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
