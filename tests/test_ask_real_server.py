"""`dailydiff ask` against the real llama-cpp-python server (SmolLM2-135M): whatever the small model writes,
every citation printed is a retrieved commit, the answer comes back in the question's language (the model's,
or the retrieved commits listed in that language when the model's is not), and asking again sends nothing.
Marked ``llm_server``; without the server it fails."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from dailydiff.common.searchterms import is_chinese
from gitrepo import CommitSpec, FileEdit, build_repo
from llama_server import MODEL
from opsfixtures import dailydiff

pytestmark = pytest.mark.llm_server

POST = re.compile(r'"POST /v1/chat/completions HTTP/1\.1" (\d{3})')
CITATION = re.compile(r"\[([0-9a-f]{7})\]")
DAY = dt.date(2026, 3, 2)


def _history(tmp_path: Path) -> tuple[Path, list[str]]:
    at = [dt.datetime(2026, 3, 2, h, tzinfo=dt.UTC) for h in (8, 10, 12, 14)]
    specs = [
        CommitSpec("feat(attention): paged KV cache for the decode kernel", at[0],
                   edits=[FileEdit("kernels/attention/decode.py", "def decode():\n    return 1\n")]),
        CommitSpec("perf(gemm): faster FP8 GEMM on SM120", at[1],
                   edits=[FileEdit("kernels/gemm/fp8.py", "def gemm():\n    return 2\n")]),
        CommitSpec("fix(attention): out-of-bounds read in the prefill kernel", at[2],
                   edits=[FileEdit("kernels/attention/prefill.py", "def prefill():\n    return 3\n")]),
        CommitSpec("docs: how to tune the sampling kernels", at[3],
                   edits=[FileEdit("docs/sampling.md", "# Sampling\n")]),
    ]  # fmt: skip
    repo = tmp_path / "kernels"
    shas = build_repo(repo, specs)
    data = tmp_path / "data"
    for lang in ("en", "zh"):
        dailydiff("report", str(repo), "--date", DAY.isoformat(), "--tz", "UTC", "--lang", lang,
                  "--analyzer", "heuristic", "--data-dir", str(data), "--quiet", cwd=tmp_path)  # fmt: skip
    return data, shas


def test_answers_cite_only_retrieved_commits_in_the_question_language_and_are_asked_once(
    real_server: tuple[str, Path], tmp_path: Path
) -> None:
    base_url, log = real_server
    data, shas = _history(tmp_path)
    env = {"DAILYDIFF_LLM_BASE_URL": base_url, "DAILYDIFF_LLM_MODEL": MODEL}
    for question in ("What changed in the attention kernels?", "注意力 attention 内核有哪些变化？"):
        before = len(POST.findall(log.read_text(errors="replace")))
        result = dailydiff("ask", question, "--data-dir", str(data), cwd=tmp_path, env=env)
        asked = len(POST.findall(log.read_text(errors="replace")))
        assert asked > before  # the model was asked (negotiation included)
        out = result.stdout
        retrieved = {s[:7] for s in shas}
        assert set(CITATION.findall(out)) <= retrieved, out
        first_line = out.strip().splitlines()[0]
        assert is_chinese(first_line) == is_chinese(question), out
        again = dailydiff("ask", question, "--data-dir", str(data), cwd=tmp_path, env=env)
        assert len(POST.findall(log.read_text(errors="replace"))) == asked  # no request the second time
        assert again.stdout == out
