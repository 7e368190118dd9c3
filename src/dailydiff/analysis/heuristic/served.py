"""The rules worker's own process (worker.py starts it as ``python -c``): each request (an id and
``HeuristicAnalyzer.analyse``'s arguments) answered in order, until its input ends. A module of its own, so
the worker's side (which the analyser imports) never imports the analyser back, and this side imports
neither the worker's side nor its event loop."""

from __future__ import annotations

import os
import pickle
import sys

from dailydiff.analysis.heuristic.analyser import HeuristicAnalyzer
from dailydiff.analysis.heuristic.frames import write_message


def serve() -> None:
    analyser = HeuristicAnalyzer()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while header := stdin.read(8):
        key, args = pickle.loads(stdin.read(int.from_bytes(header, "big")))
        write_message(stdout, (key, analyser.analyse(*args)))
        stdout.flush()
    # Every answer is written and flushed: the process ends here, without the interpreter's teardown of
    # what the rules imported (20-30 ms that the run it serves would wait for at its end).
    os._exit(0)


if __name__ == "__main__":
    serve()
