"""Benchmark: every claim checked, on a real day, as a user runs it.

1. Inventions: a model behind a real HTTP endpoint (tests/inventing_llm.py) that invents a file, a function,
   a percentage and a pull request in half of the day's commits, and never repairs (or, with ``repairs``,
   repairs when asked). `dailydiff report … --publish` writes Markdown, HTML and JSON and sends the day to a
   Slack webhook and an e-mail inbox (both real local servers). Printed: the inventions found in any
   published form (must be 0), those missing from their analysis's ``grounding.unverified`` (0), and the
   share of the real claims lost (an honest answer's claims the published analysis no longer carries).
2. Cost: the whole `report` of the day, new store, grounding "repair" against "off", side by side in
   rounds (the order turned each round), wall and CPU time (the machine's load average printed beside them):
   with the rules, and with a faithful model (it invents nothing) at latency L.
3. With ``--real python|native``, instead: real prose — a real model server (llama-cpp-python's, or
   llama.cpp's own `llama-server`) with SmolLM2-135M, `report` of the day with the defaults, then every
   claim the tracer did not find with the sentence it stood in, for a hand check (``--out FILE``: as TSV).

    python3 bench/claims_day.py REPO --date 2026-04-24 [--tz Asia/Shanghai] [--latency 1.0] [--rounds 5]
    python3 bench/claims_day.py REPO --date 2026-04-24 [--to D2] --real python [--lang en] [--out flags.tsv]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from dailydiff.analysis.claims import claims_in, commit_evidence, trace  # noqa: E402
from dailydiff.store import Store  # noqa: E402
from fake_llm import FakeLLM  # noqa: E402
from inventing_llm import REPAIR_WORDS, InventingModel  # noqa: E402
from smtp_server import SmtpServer, email_publish_toml, make_certificate  # noqa: E402
from webhook_receiver import WebhookReceiver  # noqa: E402

CPU: list[float] = []  # each run's CPU seconds (user + system), the wall time's companion under load


def run(repo: str, args: argparse.Namespace, work: Path, *, env: dict[str, str], extra: list[str],
        config: str = "", day: str = "", data: str = "data") -> float:  # fmt: skip
    cfg = work / "dailydiff.toml"
    cfg.write_text(config)
    cmd = [sys.executable, "-m", "dailydiff", "report", repo, "--date", day or args.date, "--tz", args.tz,
           "--data-dir", str(work / data), "--config", str(cfg), "--quiet", *extra]  # fmt: skip
    started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    # Modules read from their bytecode once it is written, as an installed package's are (a shell that sets
    # PYTHONDONTWRITEBYTECODE would have every run compile them all again: ~0.4 s of CPU, not what a user waits for).
    kept = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(cmd, env={**kept, "PYTHONPATH": str(ROOT / "src"), **env},
                          capture_output=True, text=True, check=False)  # fmt: skip
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"report failed ({done.returncode}): {done.stderr[-2000:]}")
    return took


def inventions(repo: str, args: argparse.Namespace, language: str, repairs: bool) -> dict[str, Any]:
    model = InventingModel(repairs=repairs, language=language)
    with tempfile.TemporaryDirectory() as tmp, FakeLLM(canned=model) as fake:
        work = Path(tmp)
        cert, key = make_certificate(work)
        smtp = SmtpServer(cert, key, password="pw").start()
        hooks = WebhookReceiver().start()
        try:
            config = ('[[publish]]\ntype = "slack"\nurl_env = "BENCH_SLACK_URL"\n'
                      + email_publish_toml(smtp, "BENCH_SMTP_PASSWORD"))  # fmt: skip
            env = {"DAILYDIFF_LLM_MODEL": fake.model, "DAILYDIFF_LLM_BASE_URL": fake.base_url,
                   "BENCH_SLACK_URL": hooks.urls()["slack"], "BENCH_SMTP_PASSWORD": "pw"}  # fmt: skip
            out = work / "out"
            run(repo, args, work, env=env, config=config,
                extra=["--lang", language, "--analyzer", "llm", "--output-dir", str(out), "--format", "md,json,html",
                       "--publish"])  # fmt: skip
            published: dict[str, str] = {}
            for path in out.rglob("*"):
                if path.is_file():
                    text = path.read_text("utf-8")
                    if path.suffix == ".json":
                        data = json.loads(text)
                        for c in data["commits"]:
                            if c.get("analysis"):
                                c["analysis"].pop("grounding", None)
                        text = json.dumps(data, ensure_ascii=False)
                    published[path.suffix] = text
            published["chat"] = json.dumps(hooks.received.get("slack", []), ensure_ascii=False)
            mails = [e.message for e in smtp.received]
            published["mail"] = "\n".join(_mail_text(m) for m in mails)
            report = json.loads((next(out.rglob("*.json"))).read_text("utf-8"))
            analyses = {c["sha"]: c["analysis"] for c in report["commits"] if c.get("analysis")}
            leaked = unlisted = invented = 0
            for sha, made in model.invented.items():
                for claim in made.values():
                    invented += 1
                    bare = claim.rstrip("()").lstrip("#").rstrip("%")
                    leaked += sum(bare in text for text in published.values())
                    listed = (analyses.get(sha, {}).get("grounding") or {}).get("unverified", [])
                    unlisted += not any(bare in u for u in listed)
            real = lost = 0
            for sha, honest in model.honest.items():
                shown = json.dumps({k: v for k, v in analyses.get(sha, {}).items() if k != "grounding"},
                                   ensure_ascii=False)  # fmt: skip
                for text in _texts(honest):
                    for claim in _claims(text, repo_commit(work, report["repo"], sha)):
                        real += 1
                        lost += claim not in shown
            return {"language": language, "repairs": repairs, "commits": len(analyses),
                    "inventing": len(model.invented), "invented": invented, "leaked": leaked,
                    "unlisted": unlisted, "real": real, "lost": lost, "chat": len(hooks.received.get("slack", [])),
                    "mails": len(mails), "stats": report["stats"].get("grounding")}  # fmt: skip
        finally:
            hooks.stop()
            smtp.stop()


def repo_commit(work: Path, repo: str, sha: str) -> Any:
    with Store.open(work / "data") as store:
        return store.find_commits(repo, sha)[0]


def _claims(text: str, commit: Any) -> list[str]:
    return [c.text for c in trace(text, commit_evidence(commit))]


def _texts(answer: dict[str, Any]) -> list[str]:
    texts = [answer["summary"], answer["importance_reason"], *answer.get("impact", []),
             *answer.get("risks", []), *answer.get("recommendations", [])]  # fmt: skip
    return texts + [v for v in answer.get("insights", {}).values() if v]


def _mail_text(message: EmailMessage) -> str:
    return "\n".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")


def cost(repo: str, args: argparse.Namespace) -> None:
    """Whole `report` runs of the day, grounding repair vs off, alternating in rounds, medians: on a new store,
    and on a store where the night before (the previous day) was reported first (not timed)."""
    night_before = (date.fromisoformat(args.date) - timedelta(days=1)).isoformat()
    with tempfile.TemporaryDirectory() as tmp:  # writes the modules' bytecode: no round pays for it
        run(repo, args, Path(tmp), env={}, extra=["--analyzer", "heuristic"])
    sides = (("rules", None), (f"faithful model, L = {args.latency:g} s", args.latency))
    for label, latency in [side for side in sides if args.cost_of in ("both", side[0].split(",")[0])]:
        times: dict[tuple[str, str], list[float]] = {}
        cpu: dict[tuple[str, str], list[float]] = {}
        load = os.getloadavg()[0]
        for n in range(args.rounds):
            for mode in ("off", "repair") if n % 2 == 0 else ("repair", "off"):  # neither always goes first
                with (
                    tempfile.TemporaryDirectory() as tmp,
                    FakeLLM(latency=latency or 0, canned=InventingModel(language="en", invent=False)) as fake,
                ):
                    config = f'[analysis]\ngrounding = "{mode}"\n'
                    env = {"DAILYDIFF_LLM_MODEL": fake.model, "DAILYDIFF_LLM_BASE_URL": fake.base_url}
                    extra = ["--analyzer", "heuristic" if latency is None else "llm", "--lang", "en"]
                    work = Path(tmp)
                    times.setdefault((mode, "new"), []).append(run(repo, args, work, env=env, config=config,
                                                                   extra=extra))  # fmt: skip
                    cpu.setdefault((mode, "new"), []).append(CPU[-1])
                    run(repo, args, work, env=env, config=config, extra=extra, day=night_before, data="kept")
                    times.setdefault((mode, "night before"), []).append(
                        run(repo, args, work, env=env, config=config, extra=extra, data="kept")
                    )
                    cpu.setdefault((mode, "night before"), []).append(CPU[-1])
        for store in ("new", "night before"):
            off, on = statistics.median(times["off", store]), statistics.median(times["repair", store])
            c_off, c_on = statistics.median(cpu["off", store]), statistics.median(cpu["repair", store])
            # each round's two runs side by side: a change of the machine's load between rounds cancels out
            ratios = [b / a for a, b in zip(times["off", store], times["repair", store], strict=True)]
            paired = statistics.median(ratios)
            print(f"cost, {label}, {store} store: grounding off {off:.3f} s, repair {on:.3f} s "
                  f"(medians of {args.rounds}, whole command): {on / off:.3f}×, rounds' ratios' median "
                  f"{paired:.3f}×; CPU {c_off:.3f} s vs {c_on:.3f} s: {c_on / c_off:.3f}×; load average "
                  f"{load:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
    model = InventingModel(language="en")
    asked: list[int] = []

    def counting(body: dict[str, Any]) -> str | None:
        messages = body.get("messages") or [{}]
        asked.append(any(word in str(messages[-1].get("content", "")) for word in REPAIR_WORDS))
        return model(body)

    with tempfile.TemporaryDirectory() as tmp, FakeLLM(canned=counting) as fake:
        env = {"DAILYDIFF_LLM_MODEL": fake.model, "DAILYDIFF_LLM_BASE_URL": fake.base_url}
        extra = ["--analyzer", "llm", "--lang", "en"]
        run(repo, args, Path(tmp), env=env, extra=extra)
        first = sum(asked)
        asked.clear()
        run(repo, args, Path(tmp), env=env, extra=extra)
        print(
            f"re-run: the first run asked {first} repair(s) of a model that invents in half the commits; "
            f"the same report again asked {sum(asked)} repair(s) and {len(asked)} request(s) in all"
        )


class _Recorder(ThreadingHTTPServer):
    """A buffering proxy in front of the model server that keeps every request body: the prompts as sent,
    for the hand check of each flag against what the model was really shown."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.bodies: list[dict[str, Any]] = []
        super().__init__(("127.0.0.1", 0), _Forward)


class _Forward(BaseHTTPRequestHandler):
    server: _Recorder

    def do_GET(self) -> None:
        self._forward(None)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.bodies.append(json.loads(body))
        self._forward(body)

    def _forward(self, body: bytes | None) -> None:
        """The answer passed on as it comes (a streamed one too): HTTP/1.0, the end of the body is the close."""
        ask = urllib.request.Request(self.server.upstream + self.path, data=body, method=self.command,
                                     headers={"Content-Type": "application/json"})  # fmt: skip
        try:
            answer = urllib.request.urlopen(ask, timeout=1800)
        except urllib.error.HTTPError as error:
            answer = error
        with answer:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.headers.get("Content-Type") or "application/json")
            self.end_headers()
            try:
                while chunk := answer.read1(65536):
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, http.client.IncompleteRead):
                pass  # the client stopped reading (a loop cut off), or the server ended the stream early

    def log_message(self, *args: object) -> None:
        pass


def real_prose(args: argparse.Namespace) -> None:
    """Section 3: a real model's claims, the flagged ones listed (see the module's docstring), each with
    what the prompt as sent holds of it (a hint for the hand check: ``exact``, ``any case``, or ``no``)."""
    from llama_server import llama_server, native_server

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        serving = llama_server(work) if args.real == "python" else native_server(work)
        with serving as base_url:
            parts = urllib.parse.urlsplit(base_url)
            recorder = _Recorder(f"{parts.scheme}://{parts.netloc}")
            threading.Thread(target=recorder.serve_forever, daemon=True).start()
            env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DAILYDIFF_LLM_MODEL": "smollm2",
                   "DAILYDIFF_LLM_BASE_URL": f"http://127.0.0.1:{recorder.server_port}{parts.path}",
                   "DAILYDIFF_LLM_TIMEOUT": "600"}  # fmt: skip
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "dailydiff", "report", args.repo, "--from", args.date, "--to",
                 args.to or args.date, "--tz", args.tz, "--lang", args.lang, "--analyzer", "llm", "--data-dir",
                 str(work / "data"), "--output-dir", str(work / "out"), "--format", "json"],
                env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            took = time.perf_counter() - started
            recorder.shutdown()
        print(f"{args.real} server, {args.date}..{args.to or args.date} ({args.lang}): exit {done.returncode} "
              f"in {took:.0f} s, {len(recorder.bodies)} requests")  # fmt: skip
        # the day's figures, and its most frequent failures ("  14 × …"): why analyses fell back to the rules
        print("\n".join(line for line in done.stderr.splitlines() if "claims" in line or "total" in line
                        or " × " in line))  # fmt: skip
        flagged(work, recorder.bodies, args, args.real)


# the line of an analysis prompt that asks for a depth, and the depth (`Level`)
_DEPTHS = (("Depth: full", "high"), ("Depth: medium", "medium"), ("Depth: short", "low"),
           ("深度：完整", "high"), ("深度：中等", "medium"), ("深度：简要", "low"))  # fmt: skip


def flagged(work: Path, bodies: list[dict[str, Any]], args: argparse.Namespace, label: str) -> None:
    """The day's figures and its flagged claims (each with the prompt's hint), printed or added to --out."""
    import sqlite3
    import zlib

    # sha -> the prompts that analyse it (its "Commit SHA" / "提交 SHA" line), by the depth they ask for; not a
    # repair (the same conversation, the first answer in it)
    asked: dict[str, dict[str, str]] = {}
    for body in bodies:
        messages = body.get("messages", [])
        text = "\n".join(str(m.get("content", "")) for m in messages)
        depth = next((level for line, level in _DEPTHS if line in text), "")
        # not a prompt that only names it (a revert's message names the commit it reverts)
        for sha in set(re.findall(r"^(?:Commit|提交) ([0-9a-f]{40})\b", text, re.MULTILINE)):
            if len(messages) <= 2:
                asked.setdefault(sha, {})[depth] = text
    prompts: dict[str, str] = {}  # sha -> the prompt of the analysis kept: of its depth
    db = sqlite3.connect(work / "data" / "dailydiff.sqlite3")
    # the analysis kept of each commit: the last one stored that did not fail (a re-analysis deeper supersedes the
    # first, whose flags were never published; a failed one leaves it)
    query = "SELECT sha, data FROM analyses WHERE analyzer LIKE 'llm:%' AND status = 'ok' ORDER BY created_at, rowid"
    rows = list(dict(db.execute(query)).items())
    stats = dict.fromkeys(("analyses", "checked", "supported", "repaired", "removed", "marked", "cited"), 0)
    flags: dict[tuple[str, str], str] = {}
    cites: dict[tuple[str, str], str] = {}  # the claims a repair answer kept by a line it cited -> where
    for sha, data in rows:
        analysis = json.loads(zlib.decompress(data) if isinstance(data, bytes) else data)
        if sha in asked:
            prompts[sha] = asked[sha].get(analysis.get("depth", ""), next(iter(asked[sha].values())))
        g = analysis.get("grounding")
        if not g:
            continue
        stats["analyses"] += 1
        for key in ("checked", "supported", "repaired"):
            stats[key] += g.get(key, 0)
        if g["action"] in ("removed", "marked"):
            stats[g["action"]] += len(g.get("unverified", []))
        prompt = prompts.get(sha, "")
        for claim in g.get("claims", []):
            if (claim["where"] or "").startswith("cited") and (sha, claim["text"]) not in cites:
                stats["cited"] += 1
                cites[sha, claim["text"]] = claim["where"]
            if claim["where"] is not None or (sha, claim["text"]) in flags:
                continue
            removed = g.get("removed", [])  # the sentence that holds it as a claim ("3" is no claim of "30")
            sentence = next((s for s in removed if any(c == claim["text"] for c, *_ in claims_in(s))), "")
            bare = claim["text"].strip("`()").lower()
            hint = "exact" if claim["text"] in prompt else "any case" if bare in prompt.lower() else "no"
            flags[sha, claim["text"]] = "\t".join(
                (
                    sha[:12],
                    claim["kind"],
                    claim["text"],
                    hint,
                    sentence.replace("\t", " ").replace("\n", " "),
                )
            )
    print(json.dumps(stats))
    print(f"{len(flags)} distinct flagged claims")
    if args.out:
        with open(args.out, "a", encoding="utf-8") as out:
            out.write("".join(f"{label}\t{args.lang}\t{line}\n" for line in flags.values()))
        with open(Path(args.out).with_suffix(".cited.tsv"), "a", encoding="utf-8") as out:
            out.write("".join(f"{label}\t{args.lang}\t{sha[:12]}\t{claim}\t{where}\n"
                              for (sha, claim), where in cites.items()))  # fmt: skip
        prompt_file = Path(args.out).with_suffix(".prompts.json")
        kept = json.loads(prompt_file.read_text("utf-8")) if prompt_file.exists() else {}
        kept.update({sha[:12]: text for sha, text in prompts.items()})
        prompt_file.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    else:
        print("\n".join(flags.values()))


def replayed(args: argparse.Namespace) -> None:
    """``--answers DIR``: a real model's answers to the prompts as sent. Without answers in DIR, the day's
    analysis prompts are written there (``SHA.prompt.txt``: the messages as dailydiff sends them) and the
    bench stops; a model (a person's, a hosted one) writes ``SHA.json`` for each, the answer as its
    schema asks. Run again: the day is analysed with those answers replayed by a local endpoint, traced as
    any run, flags listed. A repair request (its schema asks for ``shown``) gets ``SHA.repair.json`` where
    there is one; else its messages are written to ``SHA.repair.prompt.txt`` and it gets the first answer
    again (a model that does not listen: the flags listed are the first trace's), as with ``--first-trace``.
    With ``--grounding mark`` the request for the lines that show what was not found gets ``SHA.cite.json``
    (else ``SHA.cite.prompt.txt`` is written and it gets no line)."""
    folder = Path(args.answers)
    folder.mkdir(parents=True, exist_ok=True)
    answers = {p.name.removesuffix(".json"): p.read_text("utf-8") for p in folder.glob("*.json")}

    def answer(body: dict[str, Any]) -> str | None:
        text = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        sha = re.search(r"\b([0-9a-f]{40})\b", text)
        schema = (body.get("response_format") or {}).get("json_schema") or {}
        if sha is None or "summary" not in json.dumps(schema) + text[:4000]:
            return None  # the probe, the overview: the endpoint's own answers
        key = sha.group(1)[:12]
        asked = json.dumps(schema)  # a repair's schema has "shown"; `mark`'s request for lines has it alone
        then = "" if '"shown"' not in asked else ".repair" if '"summary"' in asked else ".cite"
        if (not answers or then) and key + then not in answers:
            shown = [f"[{m['role']}]\n{m['content']}" for m in body["messages"]]
            if schema:
                shown.append(f"[the answer's JSON schema]\n{json.dumps(schema.get('schema', schema))}")
            (folder / f"{key}{then}.prompt.txt").write_text("\n\n".join(shown), "utf-8")
        if then == ".cite":
            return answers.get(key + then, '{"shown": []}')  # none: a model that shows no line
        return answers.get(key + then * (not args.first_trace)) or answers.get(key)

    bodies: list[dict[str, Any]] = []

    def recording(body: dict[str, Any]) -> str | None:
        bodies.append(body)
        return answer(body)

    with tempfile.TemporaryDirectory() as tmp, FakeLLM(canned=recording) as fake:
        work = Path(tmp)
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DAILYDIFF_LLM_MODEL": fake.model,
               "DAILYDIFF_LLM_BASE_URL": fake.base_url, "DAILYDIFF_ANALYSIS_GROUNDING": args.grounding}  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-m", "dailydiff", "report", args.repo, "--from", args.date, "--to",
             args.to or args.date, "--tz", args.tz, "--lang", args.lang, "--analyzer", "llm", "--data-dir",
             str(work / "data"), "--output-dir", str(work / "out"), "--format", "json"],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        print(f"replayed answers ({len(answers)} in {folder}), {args.date}..{args.to or args.date} "
              f"({args.lang}): exit {done.returncode}, {len(bodies)} requests")  # fmt: skip
        if not answers:
            print(f"the prompts are in {folder}: write SHA.json beside each SHA.prompt.txt, then run again")
            return
        # the day's figures, and its most frequent failures ("  14 × …"): why analyses fell back to the rules
        print("\n".join(line for line in done.stderr.splitlines() if "claims" in line or "total" in line
                        or " × " in line))  # fmt: skip
        flagged(work, bodies, args, f"replay:{folder.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo")
    parser.add_argument("--date", default="2026-04-24")
    parser.add_argument("--to", default="", help="with --real: the last day of a range (default: --date)")
    parser.add_argument("--tz", default="Asia/Shanghai")
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-cost", action="store_true")
    parser.add_argument("--only-cost", action="store_true")
    parser.add_argument("--cost-of", choices=["both", "rules", "faithful model"], default="both")
    parser.add_argument("--real", choices=["python", "native"], default="")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--answers", default="", help="a folder of a real model's answers (see replayed)")
    parser.add_argument("--out", default="")
    parser.add_argument(
        "--first-trace", action="store_true", help="with --answers: the repair gets the first answer"
    )
    parser.add_argument("--grounding", choices=["repair", "mark"], default="repair", help="with --answers")
    args = parser.parse_args()
    if args.real:
        real_prose(args)
        return
    if args.answers:
        replayed(args)
        return
    if args.only_cost:
        cost(args.repo, args)
        return
    for language in ("en", "zh"):
        for repairs in (False, True):
            r = inventions(args.repo, args, language, repairs)
            told = "" if repairs else f"unlisted {r['unlisted']}; "
            print(
                f"inventions, {language}, {'repairs when asked' if repairs else 'never repairs'}: "
                f"{r['inventing']} of {r['commits']} analyses invent, {r['invented']} invented claims; published "
                f"{r['leaked']} (md, html, json text, {r['chat']} chat message(s), {r['mails']} mail(s)); {told}"
                f"real claims {r['real']}, lost {r['lost']} ({100 * r['lost'] / max(1, r['real']):.1f}%); "
                f"day: {r['stats']}"
            )
    if not args.skip_cost:
        cost(args.repo, args)


if __name__ == "__main__":
    main()
