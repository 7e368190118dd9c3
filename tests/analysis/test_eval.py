"""`dailydiff eval`: endpoints side by side — fake endpoints of known behaviour (faithful, inventing, slow and
costly) on real HTTP, a labelled set over a real git repository, the table's figures against the fakes' own
counters, the cache, the dry run, bad input."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clirun import dailydiff
from dailydiff.analysis import evaluation as ev
from dailydiff.analysis.base import AnalysisRequest
from dailydiff.analysis.client import ChatClient
from dailydiff.analysis.prompting import PromptBook
from fake_llm import FakeLLM
from gitrepo import CommitSpec, FileEdit, commit, init_repo

# Streamed (the default), two in flight at a time: per-request latency with few streams parsed at once.
STREAM = "true\nconcurrency = 2"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
# Titles whose names a faithful answer repeats (the fake writes "summary of “TITLE”"): claims it can prove.
TITLES = [
    "fix: guard `close_pool()` in pool/core.py against a missing handle",
    "perf: fused_topk kernel 2.5x faster on SM120 (#41)",
    "feat: add `SlidingWindow` mask to attention/prefill.py",
    "docs: document MAX_JOBS in README.md",
    "fix: race in `flush_cache()` of cache/store.py",
    "refactor: move `parse_header()` into util/headers.py",
    "test: cover `merge_states()` with 3 heads",
    "ci: build wheels for cu130 in release.yml",
    "feat: `load_checkpoint()` reads v2 checkpoints",
    "fix: overflow in `pack_indices()` above 65536 tokens",
]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    repo = init_repo(tmp_path_factory.mktemp("eval") / "proj")
    shas = []
    for n, title in enumerate(TITLES):
        body = "\n".join(f"def step_{n}_{i}(x):\n    return x + {i}\n" for i in range(3 + 5 * n))
        edits = [FileEdit(f"pkg/module_{n}.py", body), FileEdit("README.md", f"release note {n}\n")]
        shas.append(commit(repo, CommitSpec(title, START + dt.timedelta(hours=n), edits=edits)))
    return repo, shas


def _set_file(path: Path, shas: list[str]) -> Path:
    levels = ["high", "medium", "low"]
    path.write_text("".join(json.dumps({"repo": "proj", "sha": sha, "change_types": ["feature", "bugfix"],
                                        "level": levels[n % 3], "facts": [f"module_{n} | 模块 {n}"]}) + "\n"
                            for n, sha in enumerate(shas)))  # fmt: skip
    return path


@pytest.fixture
def fakes() -> Iterator[dict[str, FakeLLM]]:
    faithful, inventing = FakeLLM(model="faithful-7b"), FakeLLM(model="inventing-7b", invent=0.3)
    costly = FakeLLM(model="costly-70b", latency=0.3)
    judge = FakeLLM(model="judge-1")
    with faithful, inventing, costly, judge:
        yield {"faithful": faithful, "inventing": inventing, "costly": costly, "judge": judge}


def _config(tmp_path: Path, repo: Path, fakes: dict[str, FakeLLM], head: str = "") -> Path:
    entries = "".join(
        f'[[eval.endpoints]]\nname = "{name}"\nbase_url = "{fake.base_url}"\nmodel = "{fake.model}"\n'
        f'response_mode = "json_schema"\nstream = {STREAM}\n' + ('input_price = 3.0\noutput_price = 15.0\n' if name == "costly" else "")
        for name, fake in fakes.items()
    )  # fmt: skip
    config = tmp_path / "dailydiff.toml"
    config.write_text(f'{head}\n[[repos]]\nsource = "{repo}"\nname = "proj"\n\n{entries}')
    return config


def _eval(config: Path, tmp_path: Path, *args: str) -> dict:
    result = dailydiff("eval", "-c", config, "--data-dir", tmp_path / "data", "--format", "json", "--lang", "en",
                       *args)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_table_s_tokens_cost_and_latency_are_the_fakes_own_counters(
    tmp_path: Path, history: tuple[Path, list[str]], fakes: dict[str, FakeLLM]
) -> None:
    repo, shas = history
    config = _config(tmp_path, repo, fakes)
    labelled = _set_file(tmp_path / "set.jsonl", shas)
    out = _eval(
        config,
        tmp_path,
        "--set",
        str(labelled),
        *(f"--endpoint={n}" for n in ("faithful", "inventing", "costly")),
    )
    rows = {r["name"]: r for r in out["endpoints"]}
    assert out["endpoints"][0]["name"] == "rules"
    assert set(rows) == {"rules", "faithful", "inventing", "costly"}
    for name in ("faithful", "inventing", "costly"):
        fake, row = fakes[name], rows[name]
        assert row["commits"] == len(shas) and row["valid"] == len(shas), row
        assert (row["tokens_in"], row["tokens_out"]) == (fake.tokens_in, fake.tokens_out) != (0, 0)
        assert row["requests"] == fake.not_probes
        seconds = fake.seconds()
        # Each request's seconds at the client: the server's own time, plus the loopback's and the parsing of
        # a stream of a token an event beside the other endpoints' — in this process, which serves the fakes
        # too, on a machine others share (measured: 0 to 0.3 s more than the server's own count). The server's
        # clock stops after its last write and its lock, which the client may have read past already: on a busy
        # machine it can end some hundredths of a second later than the client's (a CI run: 0.020 s at p95).
        assert -0.1 < row["latency_p50"] - ev.percentile(seconds, 0.5) < 0.5
        assert -0.1 < row["latency_p95"] - ev.percentile(seconds, 0.95) < 0.5
    assert (
        rows["costly"]["cost"]
        == round((fakes["costly"].tokens_in * 3.0 + fakes["costly"].tokens_out * 15.0) / 1e6, 6)
        > 0
    )
    assert rows["faithful"]["cost"] == rows["inventing"]["cost"] == 0
    assert (
        rows["costly"]["latency_p50"] >= 0.3
        and rows["faithful"]["latency_p50"] < rows["costly"]["latency_p50"]
    )
    assert fakes["judge"].not_probes == 0  # not an endpoint of this table
    assert rows["rules"]["agreement"] is not None and set(rows["rules"]["agreement"]) == {
        "types",
        "level",
        "facts",
    }


def test_the_table_ranks_the_fakes_as_they_are_by_the_tracer_s_figures_before_repair(
    tmp_path: Path, history: tuple[Path, list[str]], fakes: dict[str, FakeLLM]
) -> None:
    repo, shas = history
    # `mark`: every claim traced, nothing repaired or removed: the supported share of the first answers.
    config = _config(tmp_path, repo, fakes, head='[analysis]\ngrounding = "mark"\n')
    labelled = str(_set_file(tmp_path / "set.jsonl", shas))
    out = _eval(
        config, tmp_path, "--set", labelled, *(f"--endpoint={n}" for n in ("inventing", "costly", "faithful"))
    )
    order = [r["name"] for r in out["endpoints"]]
    assert order == ["rules", "faithful", "costly", "inventing"], order
    rows = {r["name"]: r for r in out["endpoints"]}
    share = {name: r["supported"] / r["checked"] for name, r in rows.items()}
    assert share["faithful"] >= 0.98 and share["costly"] >= 0.98 and share["rules"] == 1.0, share
    assert share["inventing"] <= 0.75, share
    invented = {c for r in fakes["inventing"].requests for c in r.invented}
    assert len([r for r in fakes["inventing"].requests if r.invented]) == 3  # 30% of its 10 answers
    assert rows["inventing"]["checked"] - rows["inventing"]["supported"] >= len(invented) > 0
    assert all(r["removed"] == 0 for r in rows.values())  # marked, not removed


def test_with_repair_what_the_model_does_not_fix_is_counted_removed(
    tmp_path: Path, history: tuple[Path, list[str]], fakes: dict[str, FakeLLM]
) -> None:
    repo, shas = history
    fakes["inventing"].invent = 1.0  # every answer invents, the repair's too: nothing is saved
    config = _config(tmp_path, repo, fakes)  # [analysis] grounding = "repair", the default
    out = _eval(
        config, tmp_path, "--set", str(_set_file(tmp_path / "set.jsonl", shas)), "--endpoint", "inventing"
    )
    row = next(r for r in out["endpoints"] if r["name"] == "inventing")
    assert row["removed"] >= len(shas) and row["requests"] == fakes["inventing"].not_probes == 2 * len(shas)


def test_a_second_run_with_one_more_endpoint_asks_only_that_endpoint(
    tmp_path: Path, history: tuple[Path, list[str]], fakes: dict[str, FakeLLM]
) -> None:
    repo, shas = history
    config = _config(tmp_path, repo, fakes)
    labelled = str(_set_file(tmp_path / "set.jsonl", shas))
    first = _eval(config, tmp_path, "--set", labelled, "--endpoint", "faithful")
    asked = fakes["faithful"].not_probes
    assert asked >= len(shas) and fakes["costly"].not_probes == 0
    second = _eval(config, tmp_path, "--set", labelled, "--endpoint", "faithful", "--endpoint", "costly")
    assert fakes["faithful"].not_probes == asked  # its answers came from the cache
    assert fakes["costly"].not_probes == len(shas)
    assert [r for r in second["endpoints"] if r["name"] == "faithful"] == [
        r for r in first["endpoints"] if r["name"] == "faithful"
    ]


def test_a_commit_s_prompt_is_built_once_for_every_endpoint_and_the_rules_row_waits_for_their_requests(
    tmp_path: Path,
    history: tuple[Path, list[str]],
    fakes: dict[str, FakeLLM],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The per-commit work of a prompt (its diff selection, text, evidence) is the same for every endpoint with
    # the same templates: done once. The rules' row takes the processor only once every endpoint's first
    # request is out (it held the loop before the first request went).
    repo, shas = history
    config = _config(tmp_path, repo, fakes)
    labelled = _set_file(tmp_path / "set.jsonl", shas)
    built: list[str] = []
    build = PromptBook.analysis_prompt

    def counted(self: PromptBook, request: AnalysisRequest, *args: Any) -> Any:
        built.append(request.commit.sha)
        return build(self, request, *args)

    ruled: list[float] = []
    evidence = ev.commit_evidence  # what the rules' row traces each of its analyses against

    def timed(commit: Any) -> Any:
        ruled.append(time.monotonic())
        return evidence(commit)

    # When each endpoint's client sent a request (not when the fake noted it).
    sent: dict[str, list[float]] = {}
    complete = ChatClient.complete

    def noted(self: ChatClient, *args: Any, **kwargs: Any) -> Any:
        sent.setdefault(self._settings.base_url, []).append(time.monotonic())
        return complete(self, *args, **kwargs)

    monkeypatch.setattr(PromptBook, "analysis_prompt", counted)
    monkeypatch.setattr(ev, "commit_evidence", timed)
    monkeypatch.setattr(ChatClient, "complete", noted)
    out = _eval(config, tmp_path, "--set", str(labelled), "--endpoint", "faithful", "--endpoint", "costly")
    assert sorted(built) == sorted(shas)
    asked = {name: {fakes[name].title_of(r): r.messages for r in fakes[name].analysis_requests()} for name in
             ("faithful", "costly")}  # fmt: skip
    assert len(asked["faithful"]) == len(shas) and asked["faithful"] == asked["costly"]
    assert [r["valid"] for r in out["endpoints"]] == [len(shas)] * 3
    # Before, every rule answer came before the first request; now they follow every endpoint's first send.
    assert len(sent) == 2 and len(ruled) == len(shas)
    assert sorted(ruled)[len(ruled) // 2] > max(min(times) for times in sent.values())


def test_dry_run_prints_the_requests_and_their_cost_and_sends_nothing(
    tmp_path: Path, history: tuple[Path, list[str]], fakes: dict[str, FakeLLM]
) -> None:
    repo, shas = history
    config = _config(tmp_path, repo, fakes)
    labelled = str(_set_file(tmp_path / "set.jsonl", shas))
    result = dailydiff("eval", "-c", config, "--data-dir", tmp_path / "data", "--set", labelled, "--dry-run",
                       "--endpoint", "costly", "--lang", "en")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"costly: {len(shas)} requests to send (0 of {len(shas)} commits cached)" in result.stdout
    assert "$0.0000" not in result.stdout and "$" in result.stdout
    assert fakes["costly"].not_probes == 0 and not fakes["costly"].gets


def test_the_stored_reports_and_analyses_are_never_touched(
    tmp_path: Path, history: tuple[Path, list[str]], fakes: dict[str, FakeLLM]
) -> None:
    from dailydiff.settings import load_settings
    from dailydiff.store import open_store

    repo, shas = history
    config = _config(tmp_path, repo, fakes)
    _eval(config, tmp_path, "--set", str(_set_file(tmp_path / "set.jsonl", shas)), "--endpoint", "faithful")
    settings = load_settings(config, overrides={"data_dir": str(tmp_path / "data")})
    with open_store(settings) as store:
        assert store.count_analyses() == 0 and store.list_reports() == []


def test_markdown_in_both_languages(
    tmp_path: Path, history: tuple[Path, list[str]], fakes: dict[str, FakeLLM]
) -> None:
    repo, shas = history
    config = _config(tmp_path, repo, fakes)
    labelled = str(_set_file(tmp_path / "set.jsonl", shas))
    for lang, header in (
        ("en", "| endpoint | model | commits | valid JSON |"),
        ("zh", "| 端点 | 模型 | 提交 | 有效 JSON |"),
    ):
        out = tmp_path / f"table.{lang}.md"
        result = dailydiff("eval", "-c", config, "--data-dir", tmp_path / "data", "--set", labelled, "--endpoint",
                           "faithful", "--lang", lang, "-o", out)  # fmt: skip
        assert result.returncode == 0 and result.stdout == "", result.stderr
        text = out.read_text()
        assert (
            header in text
            and text.count("\n| rules | heuristic |") == 1
            and "| faithful | faithful-7b |" in text
        )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--format", "xml"), "unknown --format 'xml'"),
        (("--endpoint", "nope"), "no [[eval.endpoints]] entry named 'nope'"),
        (("--set", "no-such-set"), "no labelled set 'no-such-set'"),
        (("--from", "yesterday-ish"), "--from 'yesterday-ish' is not a date"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(
    tmp_path: Path,
    history: tuple[Path, list[str]],
    fakes: dict[str, FakeLLM],
    args: tuple[str, ...],
    said: str,
) -> None:
    repo, _ = history
    result = dailydiff("eval", "-c", _config(tmp_path, repo, fakes), "--data-dir", tmp_path / "data", *args)
    assert result.returncode == 2, result.stderr
    assert said in result.stderr and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_damaged_set_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"repo": "a/b", "sha": "abcdef1", "change_types": ["feature"], "level": "high", "facts": []}\n'
                   '{"repo": "a/b", "sha": "abcdef2", "change_types": ["shiny"], "level": "high", "facts": []}\n')  # fmt: skip
    with pytest.raises(Exception, match=r"bad.jsonl:2: shiny"):
        ev.read_set(str(bad))


def test_the_shipped_set_has_at_least_60_hand_labelled_commits_with_its_rules_beside_it() -> None:
    rows = ev.read_set("flashinfer")
    assert len(rows) >= 60 and len({r.sha for r in rows}) == len(rows)
    assert all(len(r.sha) == 40 and 1 <= len(r.facts) <= 3 and r.change_types for r in rows)
    assert {r.level for r in rows} == {"high", "medium", "low"}
    readme = Path(ev.__file__).parent / "evalsets" / "README.md"
    assert "How each commit was labelled" in readme.read_text()


def _item(n: int, size: int, level: str) -> ev.Item:
    from dailydiff.models import Commit, Level, Person, Score, Stats

    person = Person(name="a")
    when = START + dt.timedelta(minutes=n)
    commit_ = Commit(repo="r", sha=f"{n:040x}", author=person, committer=person, authored_at=when,
                     committed_at=when, message=f"c{n}", stats=Stats(additions=size))  # fmt: skip
    return ev.Item(commit_, Score(level=Level(level), score=0.0))


def test_a_sample_keeps_the_levels_and_sizes_of_the_history_and_its_largest_commit() -> None:
    # 200 commits: 60% low, 30% medium, 10% high; sizes spread over four orders of magnitude.
    levels = ["low"] * 6 + ["medium"] * 3 + ["high"]
    items = [_item(n, (n * 7919) % 10_000 + 1, levels[n % 10]) for n in range(200)]
    chosen = ev.sample(items, 20)
    assert len(chosen) == 20 and len({i.key for i in chosen}) == 20
    counts = {lv: sum(i.score.level.value == lv for i in chosen) for lv in ("low", "medium", "high")}
    assert counts == {"low": 12, "medium": 6, "high": 2}
    assert max(items, key=lambda i: i.size) in chosen
    sizes = sorted(i.size for i in items)
    quartiles = [sum(sizes[len(sizes) * q // 4] <= i.size < (sizes[len(sizes) * (q + 1) // 4] if q < 3 else 1e9)
                     for i in chosen) for q in range(4)]  # fmt: skip
    assert all(4 <= q <= 6 for q in quartiles), quartiles
    assert ev.sample(items, 20) == chosen  # deterministic: the cache answers the same sample


def test_facts_are_matched_where_words_start_in_either_language() -> None:
    assert ev.fact_stated("hang | 挂起", "修复了 allreduce 的挂起问题")
    assert ev.fact_stated("quantiz | 量化", "New NVFP4 quantization path")
    assert not ev.fact_stated("lock", "a larger block size")
    assert not ev.fact_stated("256", "head_dim 1256")
    assert ev.fact_stated("SM120", "runs on sm120 GPUs")


def test_a_judge_rules_on_the_claims_the_tracer_did_not_find_and_its_agreement_is_counted(
    tmp_path: Path, history: tuple[Path, list[str]], fakes: dict[str, FakeLLM]
) -> None:
    import re

    def ruling(body: dict) -> str:
        claim = re.search(r"<claim>(.*?)</claim>", body["messages"][-1]["content"], re.S)
        assert claim is not None  # the judge is asked about one claim, with the commit as shown
        assert "<shown>" in body["messages"][-1]["content"] and "diff --git" not in claim.group(1)
        invented = [c for r in fakes["inventing"].requests for c in r.invented]
        made_up = any(claim.group(1) in c for c in invented)  # what the fake made up, as the tracer cut it
        return json.dumps({"ruling": "unsupported" if made_up else "supported", "lines": [], "reason": "r"})

    fakes["judge"].canned = ruling
    repo, shas = history
    config = _config(tmp_path, repo, fakes, head='[analysis]\ngrounding = "mark"\n[eval]\njudge_claims = 6\n')
    out = _eval(config, tmp_path, "--set", str(_set_file(tmp_path / "set.jsonl", shas)), "--endpoint", "inventing",
                "--judge", "judge")  # fmt: skip
    judged = out["judge"]
    assert judged["claims"] == fakes["judge"].not_probes == 6  # [eval] judge_claims bounds it
    invented = [c for r in fakes["inventing"].requests for c in r.invented]
    assert all(any(r["claim"] in c for c in invented) for r in judged["rulings"]), judged["rulings"]
    assert judged["unsupported"] == 6 and judged["agreement"] == 1.0
    assert any("judge judge: 6 claims" in note for note in out["notes"])


def test_the_stored_history_is_sampled_and_left_as_it_was(
    tmp_path: Path, history: tuple[Path, list[str]], fakes: dict[str, FakeLLM]
) -> None:
    from dailydiff.settings import load_settings
    from dailydiff.store import open_store

    repo, _ = history
    config = _config(tmp_path, repo, fakes)
    built = dailydiff("report", repo, "--from", "2026-03-02", "--to", "2026-03-03", "--analyzer", "heuristic",
                      "-c", config, "--data-dir", tmp_path / "data", "--tz", "UTC", "-q")  # fmt: skip
    assert built.returncode == 0, built.stderr
    settings = load_settings(config, overrides={"data_dir": str(tmp_path / "data")})
    with open_store(settings) as store:
        before = (store.count_analyses(), store.report_rows())
    out = _eval(
        config,
        tmp_path,
        "--sample",
        "4",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-05",
        "--endpoint",
        "faithful",
    )
    rows = {r["name"]: r for r in out["endpoints"]}
    assert out["sample"]["commits"] == rows["faithful"]["commits"] == rows["rules"]["commits"] == 4
    assert fakes["faithful"].not_probes == 4 and "agreement" not in rows["faithful"]
    with open_store(settings) as store:
        assert (store.count_analyses(), store.report_rows()) == before
    nothing = dailydiff(
        "eval", "-c", config, "--data-dir", tmp_path / "data", "--from", "2027-01-01", "--lang", "en"
    )
    assert nothing.returncode == 1 and "no stored report has commits in that range" in nothing.stderr


def test_ctrl_c_keeps_what_finished_and_prints_the_partial_table(
    tmp_path: Path, history: tuple[Path, list[str]], fakes: dict[str, FakeLLM]
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    repo, shas = history
    fakes["costly"].latency = 2.0  # the answers after the third leave 14 s for a loaded machine's Ctrl-C
    config = _config(tmp_path, repo, fakes)
    config.write_text(config.read_text().replace("concurrency = 2", "concurrency = 1"))
    labelled = str(_set_file(tmp_path / "set.jsonl", shas))
    args = [sys.executable, "-m", "dailydiff", "eval", "-c", str(config), "--data-dir", str(tmp_path / "data"),
            "--set", labelled, "--endpoint", "costly", "--lang", "en", "--format", "json"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path(ev.__file__).parents[2])}
    # Ctrl-C as a terminal sends it, whether or not this suite was started in the background (where SIGINT is
    # ignored, and a child would inherit that).
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    deadline = time.monotonic() + 300  # the command's start, on a loaded machine
    while fakes["costly"].not_probes < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fakes["costly"].not_probes >= 3, "eval asked fewer than 3 times in 300 s"
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    out = json.loads(stdout)
    finished = next(r for r in out["endpoints"] if r["name"] == "costly")["commits"]
    assert 2 <= finished < len(shas) and "interrupted" in out["notes"][0]
    asked = fakes["costly"].not_probes
    again = _eval(config, tmp_path, "--set", labelled, "--endpoint", "costly")
    assert next(r for r in again["endpoints"] if r["name"] == "costly")["commits"] == len(shas)
    assert fakes["costly"].not_probes - asked == len(shas) - finished  # only what had not finished is asked


def test_failures_are_counted_by_kind(
    tmp_path: Path, history: tuple[Path, list[str]], fakes: dict[str, FakeLLM]
) -> None:
    repo, shas = history
    fakes["faithful"].malformed = "always"  # broken JSON, and again when re-asked with the error
    config = _config(tmp_path, repo, fakes)
    out = _eval(
        config, tmp_path, "--set", str(_set_file(tmp_path / "set.jsonl", shas)), "--endpoint", "faithful"
    )
    row = next(r for r in out["endpoints"] if r["name"] == "faithful")
    assert row["valid"] == 0 and row["failures"] == {"unparsed": len(shas)}
    assert row["agreement"] == {
        "types": 0.0,
        "level": 0.0,
        "facts": 0.0,
    }  # a failed answer agrees with nothing


def test_an_endpoint_that_refuses_the_key_is_a_row_of_failures_asked_again_next_time(
    tmp_path: Path,
    history: tuple[Path, list[str]],
    fakes: dict[str, FakeLLM],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo, shas = history
    fakes["costly"].api_key = "the-right-key"
    monkeypatch.setenv("COSTLY_KEY", "a-wrong-key-4711")
    config = _config(tmp_path, repo, fakes)
    config.write_text(
        config.read_text().replace(
            'model = "costly-70b"\n', 'model = "costly-70b"\napi_key_env = "COSTLY_KEY"\n'
        )
    )
    labelled = str(_set_file(tmp_path / "set.jsonl", shas))
    result = dailydiff("eval", "-c", config, "--data-dir", tmp_path / "data", "--set", labelled, "--format", "json",
                       "--endpoint", "faithful", "--endpoint", "costly")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "a-wrong-key-4711" not in result.stdout + result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)["endpoints"]}
    assert rows["costly"]["valid"] == 0 and rows["costly"]["failures"] == {"refused": len(shas)}
    assert rows["faithful"]["valid"] == len(shas)
    asked = fakes["costly"].not_probes
    monkeypatch.setenv("COSTLY_KEY", "the-right-key")
    again = _eval(config, tmp_path, "--set", labelled, "--endpoint", "costly")
    assert next(r for r in again["endpoints"] if r["name"] == "costly")["valid"] == len(shas)
    assert fakes["costly"].not_probes > asked  # the refusals were not cached as answers


def test_every_cell_of_the_table_is_a_figure_or_says_why_it_is_none(
    tmp_path: Path, history: tuple[Path, list[str]], fakes: dict[str, FakeLLM]
) -> None:
    """An endpoint that streams no usage and states no cached tokens, with no price (llama-cpp-python's server
    on a laptop), beside one that states them, priced: no blank, no 0 that means "unknown"."""
    repo, shas = history
    fakes["faithful"].stream_usage = False
    fakes["costly"].cache_field = "openai"
    config = _config(tmp_path, repo, fakes)
    labelled = str(_set_file(tmp_path / "set.jsonl", shas))
    for lang, unreported, no_price in (("en", "not reported by the endpoint", "no price set"),
                                       ("zh", "端点未报告", "未设价格")):  # fmt: skip
        out = tmp_path / f"table.{lang}.md"
        costly_in, billed = fakes["costly"].tokens_in, len(fakes["costly"].billed)  # (each language: its own)
        result = dailydiff("eval", "-c", config, "--data-dir", tmp_path / "data", "--set", labelled, "--endpoint",
                           "faithful", "--endpoint", "costly", "--lang", lang, "-o", out)  # fmt: skip
        assert result.returncode == 0, result.stderr
        rows = {line.split(" | ")[0].strip("| "): line.strip("|").split(" | ")
                for line in out.read_text().splitlines() if line.startswith("| ")}  # fmt: skip
        faithful, costly = rows["faithful"], rows["costly"]
        assert faithful[6].startswith(f"{unreported} / ") and faithful[6].endswith(f"({unreported})")
        assert faithful[7:9] == [no_price, no_price]
        tokens_in, _, rest = costly[6].partition(" / ")
        assert int(tokens_in.replace(",", "")) == fakes["costly"].tokens_in - costly_in > 0
        cached = int(rest.rsplit("(", 1)[1].rstrip(")").replace(",", ""))
        assert cached == sum(b["cached"] for b in fakes["costly"].billed[billed:]) > 0
        assert all(c.startswith("$") for c in costly[7:9])
        assert all(cell.strip() not in ("", "–") for row in rows.values() for cell in row), rows
    data = _eval(config, tmp_path, "--set", labelled, "--endpoint", "faithful")
    row = next(r for r in data["endpoints"] if r["name"] == "faithful")
    assert (row["tokens_in"], row["tokens_in_unreported"], row["cached_tokens"], row["priced"]) == (
        0, len(shas), None, False,
    )  # fmt: skip


def test_an_endpoint_whose_streams_count_no_tokens_is_counted_through_its_provider_profile(
    tmp_path: Path, history: tuple[Path, list[str]], fakes: dict[str, FakeLLM]
) -> None:
    """llama-cpp-python's server streams no usage (the fake as the real one is:
    test_llm_usage_real.py): with `provider = "llama-cpp-python"` its requests go unstreamed, and the table's
    tokens are its own counters, none unreported."""
    repo, shas = history
    fakes["faithful"].stream_usage = False
    config = _config(tmp_path, repo, fakes)
    config.write_text(
        config.read_text().replace(
            'name = "faithful"\n', 'name = "faithful"\nprovider = "llama-cpp-python"\n'
        )
    )
    labelled = str(_set_file(tmp_path / "set.jsonl", shas))
    data = _eval(config, tmp_path, "--set", labelled, "--endpoint", "faithful")
    row = next(r for r in data["endpoints"] if r["name"] == "faithful")
    fake = fakes["faithful"]
    assert row["valid"] == len(shas) and row["tokens_in_unreported"] == 0
    assert (row["tokens_in"], row["tokens_out"]) == (fake.tokens_in, fake.tokens_out) and fake.tokens_in > 0
    assert not fake.streamed  # asked whole


def test_a_price_set_after_the_answers_were_cached_prices_them_without_asking_again(
    tmp_path: Path, history: tuple[Path, list[str]], fakes: dict[str, FakeLLM]
) -> None:
    """The cache keeps tokens, not what they cost: a price set (or changed) after the answers were cached is
    what the table's cost is worked out at, from the cached tokens, and no commit is asked again."""
    repo, shas = history
    fake = fakes["faithful"]
    fake.cache_field = "openai"  # (some prompt tokens served from the endpoint's cache: their own price)
    config = _config(tmp_path, repo, fakes)
    labelled = str(_set_file(tmp_path / "set.jsonl", shas))
    unpriced = config.read_text()

    def row(prices: str) -> dict[str, Any]:
        config.write_text(unpriced.replace('model = "faithful-7b"\n', f'model = "faithful-7b"\n{prices}'))
        out = _eval(config, tmp_path, "--set", labelled, "--endpoint", "faithful")
        return next(r for r in out["endpoints"] if r["name"] == "faithful")

    def billed(input_price: float, output_price: float, cached_price: float) -> float:
        answers = [b for b in fake.billed if not b["probe"]]
        assert len(answers) == len(shas) and sum(b["cached"] for b in answers) > 0
        return round(sum((b["prompt"] - b["cached"]) * input_price + b["cached"] * cached_price
                         + b["completion"] * output_price for b in answers) / 1e6, 6)  # fmt: skip

    first = row("")
    asked = fake.not_probes
    assert (first["cost"], first["priced"], asked) == (0, False, len(shas))
    priced = row("input_price = 2.0\noutput_price = 8.0\n")
    changed = row(
        'input_price = 1.0\noutput_price = 4.0\nmodels = { "faithful-7b" = { cached_input_price = 0.25 } }\n'
    )
    assert fake.not_probes == asked  # every answer from the cache
    assert priced["priced"] and priced["cost"] == billed(2.0, 8.0, 2.0) > 0
    assert changed["cost"] == billed(1.0, 4.0, 0.25) < priced["cost"]
    assert changed["cost_per_commit"] == round(changed["cost"] / len(shas), 6)
    costs = {"cost", "priced", "cost_per_commit", "cost_per_night"}
    assert {k: first[k] for k in first.keys() - costs} == {k: changed[k] for k in changed.keys() - costs}
