"""Benchmark: the claims tracer on real prose — a real model server (llama-cpp-python's, or llama.cpp's own
`llama-server`) with SmolLM2-135M, `dailydiff report` of real days with the defaults (grounding "repair"),
then every claim the tracer did not find, printed with the sentence it stood in and the evidence's nearest
text, for a hand check: was it really not in what the model saw?

    python3 bench/claims_real.py REPO --from 2026-04-23 --to 2026-04-24 [--server python|native] [--lang en]
        [--out flags.tsv]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from llama_server import llama_server, native_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo")
    parser.add_argument("--from", dest="first", default="2026-04-23")
    parser.add_argument("--to", dest="last", default="2026-04-24")
    parser.add_argument("--server", choices=["python", "native"], default="python")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        serving = llama_server(work) if args.server == "python" else native_server(work)
        with serving as base_url:
            env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DAILYDIFF_LLM_BASE_URL": base_url,
                   "DAILYDIFF_LLM_MODEL": "smollm2", "DAILYDIFF_LLM_TIMEOUT": "600"}  # fmt: skip
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "dailydiff", "report", args.repo, "--from", args.first, "--to", args.last,
                 "--lang", args.lang, "--analyzer", "llm", "--data-dir", str(work / "data"), "--output-dir",
                 str(work / "out"), "--format", "json"],
                env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            took = time.perf_counter() - started
        print(
            f"{args.server} server, {args.first}..{args.last} ({args.lang}): exit {done.returncode} in {took:.0f} s"
        )
        print("\n".join(line for line in done.stderr.splitlines() if "claims" in line or "total" in line))
        import sqlite3

        db = sqlite3.connect(work / "data" / "dailydiff.sqlite3")
        rows = db.execute("SELECT sha, data FROM analyses WHERE analyzer LIKE 'llm:%'").fetchall()
        stats = {"analyses": 0, "checked": 0, "supported": 0, "repaired": 0, "removed": 0, "marked": 0}
        flags = []
        for sha, data in rows:
            analysis = json.loads(zlib.decompress(data) if isinstance(data, bytes) else data)
            g = analysis.get("grounding")
            if not g:
                continue
            stats["analyses"] += 1
            for key in ("checked", "supported", "repaired"):
                stats[key] += g.get(key, 0)
            stats[g["action"] if g["action"] in ("removed", "marked") else "none"] = stats.get(
                g["action"] if g["action"] in ("removed", "marked") else "none", 0
            ) + len(g.get("unverified", []))
            for claim in g.get("claims", []):
                if claim["where"] is None:
                    sentence = next((s for s in g.get("removed", []) if claim["text"] in s), "")
                    flags.append((sha[:12], claim["kind"], claim["text"], sentence))
        print(json.dumps(stats))
        seen = set()
        lines = []
        for sha, kind, text, sentence in flags:
            if (sha, text) in seen:
                continue
            seen.add((sha, text))
            lines.append(f"{sha}\t{kind}\t{text}\t{sentence}")
        print(f"{len(lines)} distinct flagged claims")
        if args.out:
            Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            print("\n".join(lines))


if __name__ == "__main__":
    main()
