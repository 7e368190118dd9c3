"""scripts/chat_audit.py (the 91-day, 3-repository, every-service audit of chat messages) keeps working: a
small configuration runs end to end on scripted repositories whose busy day splits messages in every
Markdown service, and the checker itself catches each kind of defect it is there for."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fixtures import build_sample_repo
from gitrepo import CommitSpec, FileEdit, build_repo, git
from publish_reports import make_report

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import chat_audit  # noqa: E402

UTC = dt.UTC
TITLES = [
    "[Fmha] fix `q|k` layout in <kernel> for fp8 (#{n})",
    "[perf] a lone ` backtick, *star* and _under_ ~tilde~ \\ back [x](javascript:alert(1)) (#{n})",
    "feat: add `BatchDecodeWithPagedKVCacheWrapper` plan() fast path https://github.com/o/r/pull/{n}",
    'Revert "[Bugfix] use `torch.float8_e4m3fn` everywhere | pipe" (#{n})',
]


def busy_repo(path: Path) -> None:
    """Eighty commits on 2026-01-19 (UTC) whose titles and paths are full of markup: every Markdown
    service splits the day, and Discord (2,000 characters, at most 10 messages) summarises its tail."""
    specs = []
    for n in range(80):
        moment = dt.datetime(2026, 1, 19, 0, 10, tzinfo=UTC) + dt.timedelta(minutes=15 * n)
        body = "\n".join(f"def kernel_{n}_{i}(x):\n    return x * {i}\n" for i in range(12))
        specs.append(CommitSpec(TITLES[n % len(TITLES)].format(n=4000 + n), moment, edits=[
            FileEdit(f"include/flashinfer/attention/kernel_{n % 7}.cuh", body),
            FileEdit(f"python/flashinfer/op_{n % 5}.py", body + f"\n# {n}\n"),
        ]))  # fmt: skip
    build_repo(path, specs)
    git(path, "remote", "add", "origin", "https://github.com/flashinfer-ai/flashinfer.git")


@pytest.mark.slow
def test_the_chat_audit_runs_clean_on_two_scripted_repositories(tmp_path: Path) -> None:
    busy_repo(tmp_path / "busy")
    build_sample_repo(tmp_path / "sample")
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'tests'}"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "chat_audit.py"), "--repo", str(tmp_path / "busy"),
         "--repo", f"{tmp_path / 'sample'}=sgl-project/sglang", "--end", "2026-01-20", "--days", "3",
         "--watch-path", "**", "--workdir", str(tmp_path / "work")],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0 and "Traceback" not in result.stderr, out + result.stderr[-3000:]
    assert "stored units: 6 repository-days, 3 digest-days, 4 weeks" in out, out
    rows = {m.group(1): [int(x) for x in m.group(2).split()[:6]]
            for m in re.finditer(r"^(\w+)\s+((?:\d+\s+){6})", out, re.M)}  # fmt: skip
    assert set(rows) == set(chat_audit.SERVICES), out
    # every service got the same 5 messages (the days with commits and the digest-days with commits), each
    # checked against the message rendered whole; the weeks of the Sunday 2026-01-18 are held back from
    # chat (six of their days were never built: issue 41), an empty digest-day is not sent (skip_empty)
    for service, (payloads, messages, split, parts, _blocks, _summarised) in rows.items():
        assert messages == 5 and payloads == parts > messages, (service, out)
        assert split >= 2, (service, out)  # the busy day and its digest
    assert rows["discord"][5] >= 1, out  # beyond 10 parts: the rest counted in an "N more" line
    assert "violations: 0; dailydiff run exit code 0" in out


# -- the checker catches what it is for ------------------------------------------------------------------


def _captured(service: str, edit: Any) -> tuple[dict[str, list[Any]], dict[str, list[bytes]], dict[str, Any]]:
    """One English day sent to ``service``, split into parts, each payload passed through ``edit``."""
    import json

    from dailydiff.publish import chat_formats as cf
    from dailydiff.render.chat import day_message

    report = make_report(60, high_every=1, language="en")
    commits = []
    for i, rc in enumerate(report.commits):  # English text full of markup, code spans and a URL
        summary = (
            f"Changes `q|k` in <kernel> [x](javascript:alert(1)) *fast* path {i}, see https://example.org/{i}"
        )
        analysis = rc.analysis.model_copy(update={"summary": summary * 2})  # type: ignore[union-attr]
        commits.append(
            rc.model_copy(update={"message": TITLES[i % len(TITLES)].format(n=i), "analysis": analysis})
        )
    overview = report.overview.model_copy(update={"highlights": ["a | b [c] <d>"], "themes": ["x ~ y"]})
    report = report.model_copy(update={"commits": commits, "overview": overview})
    message = day_message(report, "https://reports.example.com/2026/sglang/2026-01-27.html")
    payloads = [edit(p) for p in getattr(cf, f"{service}_payloads")(message, 10)]
    raws = [json.dumps(p, ensure_ascii=False).encode() for p in payloads]
    return {service: payloads}, {service: raws}, {message.title: (message, "day")}


def _violations(service: str, edit: Any) -> list[str]:
    received, raw, messages = _captured(service, edit)
    return chat_audit.audit(received, raw, messages, "en")[service].violations


def test_the_audit_finds_nothing_in_what_dailydiff_sends() -> None:
    for service in chat_audit.SERVICES:
        assert _violations(service, lambda p: p) == [], service


def test_the_audit_catches_a_full_width_separator() -> None:
    def wide(payload: dict[str, Any]) -> dict[str, Any]:
        payload["content"] = payload["content"].replace("\\|", "｜", 1)
        return payload

    assert any("U+FF5C" in v for v in _violations("discord", wide))


def test_the_audit_catches_a_code_span_cut_between_parts() -> None:
    first = True

    def cut_span(payload: dict[str, Any]) -> dict[str, Any]:
        nonlocal first
        if first:  # the first part ends inside a code span that the second part closes
            payload["markdown"]["content"] += "\n`open"
            first = False
        else:
            head, _, rest = payload["markdown"]["content"].partition("\n")
            payload["markdown"]["content"] = f"{head}\nclose`\n{rest}"
        return payload

    problems = _violations("wecom", cut_span)
    assert any("left open" in v for v in problems) and any(
        "rendered whole" in v or "extra" in v for v in problems
    )


def test_the_audit_catches_a_raw_url_as_link_text_and_a_lost_line() -> None:
    def raw_url(payload: dict[str, Any]) -> dict[str, Any]:
        text = payload["markdown"]["text"]
        payload["markdown"]["text"] = re.sub(r"\[📄 [^\]]*\]\(([^)]+)\)", r"[\1](\1)", text)
        return payload

    assert any("whose text is" in v for v in _violations("dingtalk", raw_url))

    def lose_a_line(payload: dict[str, Any]) -> dict[str, Any]:
        blocks = payload["blocks"]
        lines = blocks[1]["text"]["text"].split("\n")
        blocks[1]["text"]["text"] = "\n".join(lines[:2] + lines[3:])
        return payload

    assert any("rendered whole" in v or "lines shown" in v for v in _violations("slack", lose_a_line))


def test_the_audit_catches_an_oversized_part() -> None:
    def pad(payload: dict[str, Any]) -> dict[str, Any]:
        payload["content"] += "x" * 2000
        return payload

    assert any("over the limit" in v for v in _violations("discord", pad))
