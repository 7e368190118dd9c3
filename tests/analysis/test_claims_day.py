"""Every claim checked, end to end: a model that invents a file, a function, a percentage and a pull request
in half of a day's commits (tests/inventing_llm.py) behind a real HTTP endpoint; nothing it invented reaches
the Markdown, the HTML, the JSON's text fields, the chat message or the e-mail; each invention is listed in
its analysis's ``grounding.unverified``; the real claims stay. A model that repairs when asked keeps every
real claim, and a re-run asks nothing again."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clirun import dailydiff
from dailydiff.analysis.claims import commit_evidence, trace
from dailydiff.models import DayReport
from dailydiff.render.edition import day_edition
from fake_llm import FakeLLM
from inventing_llm import InventingModel
from llm_fixtures import make_repo, run_day, settings_for


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("claims") / "repo")


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def _published(report: DayReport, settings: Any) -> dict[str, str]:
    """Every published form of the day: the files, the chat message, the e-mail (HTML and text)."""
    edition = day_edition(report, settings)
    out = dict(edition.files)
    data = json.loads(out.pop("json"))
    for commit in data["commits"]:  # the JSON's text fields: all but the list of what was not found
        if commit.get("analysis"):
            commit["analysis"].pop("grounding", None)
    out["json text fields"] = json.dumps(data, ensure_ascii=False)
    out["chat"] = repr(edition.message(None, 100))
    mail = edition.mail(None, "subject")
    out["mail"] = mail.html + "\n" + mail.text
    return out


@pytest.mark.parametrize("language", ["en", "zh"])
def test_nothing_invented_is_published_and_every_invention_is_listed(
    repo: Path, fake: FakeLLM, tmp_path: Path, language: str
) -> None:
    model = InventingModel(repairs=False, language=language)
    fake.canned = model
    settings = settings_for(fake, tmp_path, language=language, **{"overview": False})
    settings = settings.model_copy(
        update={"report": settings.report.model_copy(update={"formats": ["md", "html", "json"]})}
    )
    outcome, _ = run_day(repo, settings)
    report = outcome.reports[0]
    analysed = {rc.sha: rc for rc in report.commits if rc.analysis is not None and not rc.is_merge}
    assert model.invented and len(model.invented) < len(analysed)  # some commits invent, some do not
    published = _published(report, settings)
    for sha, made_up in model.invented.items():
        rc = analysed[sha]
        assert rc.analysis is not None and rc.analysis.grounding is not None
        listed = rc.analysis.grounding.unverified
        for kind, claim in made_up.items():
            bare = claim.rstrip("()").lstrip("#").rstrip("%")
            assert any(bare in u for u in listed), (kind, claim, listed)
            for form, text in published.items():
                assert bare not in text, (kind, claim, form)
        assert rc.analysis.grounding.action == "removed"
    # A repair was asked of each inventing analysis (once), and the model did not repair.
    repairs = [
        r
        for r in fake.requests
        if "names things" in r.messages[-1]["content"] or "提到了" in r.messages[-1]["content"]
    ]
    asked = {re.search(r"[0-9a-f]{40}", r.messages[1]["content"]).group(0) for r in repairs}  # type: ignore[union-attr]
    assert asked == set(model.invented) and len(repairs) <= 2 * len(
        asked
    )  # each once, a deeper answer once more
    # The real claims stay: the sentences with only real claims are all published.
    real = lost = 0
    for sha, honest in model.honest.items():
        evidence = commit_evidence(next(c for c in analysed.values() if c.sha == sha))
        rc = analysed[sha]
        assert rc.analysis is not None
        shown = json.dumps(rc.analysis.model_dump(exclude={"grounding"}), ensure_ascii=False)
        for text in _texts(honest):
            for claim in trace(text, evidence):
                real += 1
                lost += claim.text not in shown
    assert real >= 2 * len(analysed) and lost <= 0.02 * real, (real, lost)
    assert report.stats.grounding.removed == sum(len(m) for m in model.invented.values())
    assert report.stats.grounding.supported + report.stats.grounding.removed == report.stats.grounding.checked


def _texts(answer: dict[str, Any]) -> list[str]:
    texts = [answer["summary"], answer["importance_reason"], *answer.get("impact", []),
             *answer.get("risks", []), *answer.get("recommendations", [])]  # fmt: skip
    texts += [v for v in answer.get("insights", {}).values() if v]
    return texts


def test_a_model_that_repairs_keeps_every_real_claim_and_a_rerun_asks_nothing(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    model = InventingModel(repairs=True)
    fake.canned = model
    settings = settings_for(fake, tmp_path, **{"overview": False})
    outcome, md = run_day(repo, settings)
    report = outcome.reports[0]
    repaired = [rc for rc in report.commits if rc.sha in model.invented]
    assert repaired
    for rc in repaired:
        assert rc.analysis is not None and rc.analysis.grounding is not None
        g = rc.analysis.grounding
        assert (g.action, g.unverified, g.repaired) == ("repaired", [], len(model.invented[rc.sha])), g
        honest = model.honest[rc.sha]
        assert rc.analysis.summary == honest["summary"]
        assert rc.analysis.risks == honest.get("risks", [])
        for made_up in model.invented[rc.sha].values():
            assert made_up.rstrip("()%") not in md
    assert report.stats.grounding.repaired == sum(len(model.invented[rc.sha]) for rc in repaired)
    assert report.stats.grounding.removed == 0
    asked = fake.count
    outcome, _ = run_day(repo, settings)  # the same day again: every analysis comes from the store
    assert fake.count == asked
    assert outcome.reports[0].stats.grounding == report.stats.grounding


def test_claims_sha_shows_each_claim_where_it_was_found_and_what_was_removed(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    model = InventingModel(repairs=False)
    fake.canned = model
    env = {**os.environ, "DAILYDIFF_LLM_MODEL": fake.model, "DAILYDIFF_LLM_BASE_URL": fake.base_url}
    base = [
        str(repo),
        "--date",
        "2026-01-27",
        "--tz",
        "UTC",
        "--lang",
        "en",
        "--data-dir",
        str(tmp_path / "data"),
    ]
    built = dailydiff("report", *base, "--analyzer", "llm", "--name", "demo/engine", "--output-dir",
                      str(tmp_path / "out"), env=env)  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert "unsupported:" in built.stderr and "removed" in built.stderr  # the run's line says it
    sha, made = next(iter(model.invented.items()))
    shown = dailydiff("report", *base, "--name", "demo/engine", "--claims", sha[:10], env=env)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith(f"demo/engine {sha[:12]} (2026-01-27): llm:{fake.model}; claims ")
    for claim in made.values():
        row = next(
            line for line in lines if claim.lstrip("#").rstrip("%") in line and line.lstrip().startswith("✗")
        )
        assert row.rstrip().endswith("not found"), row
    found = [line for line in lines if line.lstrip().startswith("✓")]
    places = ("message", "header", "pull request", "unseen files")
    assert found and all(" diff " in line or line.rstrip().endswith(places) for line in found), found
    removed = lines[lines.index("removed:") + 1 :]
    assert any(made["path"] in line for line in removed)
    # a commit it never analysed: a one-line error and a next step
    missing = dailydiff("report", *base, "--name", "demo/engine", "--claims", "ffffffff", env=env)
    assert missing.returncode == 2 and "ffffffff" in missing.stderr and "Traceback" not in missing.stderr


def test_claims_sha_of_a_rules_analysis_traces_it_again_with_places(repo: Path, tmp_path: Path) -> None:
    """The rules' trace is not stored (they read the commit itself): `--claims` traces the text again and
    says where each claim stands, not only that it was found."""
    base = [str(repo), "--date", "2026-01-27", "--tz", "UTC", "--lang", "en", "--data-dir",
            str(tmp_path / "data"), "--name", "demo/engine"]  # fmt: skip
    built = dailydiff("report", *base, "--analyzer", "heuristic", "--output-dir", str(tmp_path / "out"))
    assert built.returncode == 0, built.stderr
    sha = subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%H"], capture_output=True, text=True,
                         check=True).stdout.strip()  # fmt: skip
    shown = dailydiff("report", *base, "--claims", sha[:10])
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    checked = int(re.search(r"claims (\d+) checked", lines[0]).group(1))  # type: ignore[union-attr]
    rows = [line for line in lines[1:] if line.lstrip().startswith(("✓", "✗"))]
    assert checked > 0 and len(rows) == checked, shown.stdout
    places = ("message", "header", "pull request")
    assert all(" diff " in row or row.rstrip().endswith(places) for row in rows), rows
    assert not any(row.rstrip().endswith(" found") for row in rows), rows


def test_a_claim_the_repair_shows_by_a_line_it_was_shown_stays_and_an_unbacked_one_goes(
    tmp_path: Path, fake: FakeLLM
) -> None:
    """The repair answer may keep a claim the tracer did not find by copying the line that shows it
    (``shown``): `max_pages` for `max_num_pages_per_seq` (a name shortened: no rule may accept that, it
    would accept inventions) stays, found where the line is; a made-up name cited with a real line that
    does not carry it, or with a line that was never shown, is still removed."""
    code = "max_num_pages_per_seq = 64\n\n\ndef cache_path(name):\n    return name + '.cubin'\n"
    repo = _pages_repo(tmp_path, code)
    first = {
        "change_types": ["feature"], "importance": "medium", "importance_reason": "It caps the KV cache.",
        "summary": "Caps `max_pages` at 64 in kv/pages.py. It adds `warp_steal_pool` for reuse. "
        "It also adds `fused_ring_buffer`.",
    }  # fmt: skip
    repairs: list[dict[str, Any]] = []

    def canned(body: dict[str, Any]) -> str | None:
        props = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema", {})
        if "summary" not in props.get("properties", {}):
            return None
        if "shown" not in props["properties"]:
            return json.dumps({**first, **{k: [] for k in ("impact", "risks", "recommendations")},
                               "insights": {"architecture": "", "performance": "", "security": ""}})  # fmt: skip
        repairs.append(body)
        return json.dumps({
            **first, **{k: [] for k in ("impact", "risks", "recommendations")},
            "insights": {"architecture": "", "performance": "", "security": ""},
            "shown": [
                {"claim": "max_pages", "line": "+max_num_pages_per_seq = 64"},
                {"claim": "warp_steal_pool", "line": "max_num_pages_per_seq = 64"},  # real, not carrying it
                {"claim": "fused_ring_buffer", "line": "fused_ring_buffer = RingBuffer()"},  # never shown
            ],
        })  # fmt: skip

    fake.canned = canned
    settings = settings_for(fake, tmp_path / "data", **{"overview": False})
    outcome, md = run_day(repo, settings)
    rc = next(c for c in outcome.reports[0].commits if c.message.startswith("feat"))
    assert rc.analysis is not None and rc.analysis.grounding is not None
    g = rc.analysis.grounding
    assert len(repairs) == 1 and "max_pages" in repairs[0]["messages"][-1]["content"]
    assert rc.analysis.summary == "Caps `max_pages` at 64 in kv/pages.py.", rc.analysis.summary
    assert (g.action, g.unverified) == ("removed", ["warp_steal_pool", "fused_ring_buffer"]), g
    where = _kept_places(settings, rc)  # the trace is kept in the store (`--claims` prints it)
    assert where["max_pages"] == "cited, diff kv/pages.py:1", where
    assert "max_pages" in md and "warp_steal_pool" not in md and "fused_ring_buffer" not in md


def test_mark_asks_only_for_the_lines_and_marks_what_no_line_shows(tmp_path: Path, fake: FakeLLM) -> None:
    """With ``grounding = "mark"`` the claims not found go to the model once, for the lines that show them
    (a schema of ``shown`` alone, nothing rewritten): `max_pages`, carried by the line it copies, is not
    marked; a made-up name cited with a real line that does not carry it, or with a line never shown, is
    marked. A re-run asks nothing."""
    repo = _pages_repo(tmp_path, "max_num_pages_per_seq = 64\n")
    summary = (
        "Caps `max_pages` at 64 in kv/pages.py. It adds `warp_steal_pool` for reuse. It adds `fused_ring`."
    )
    asked: list[dict[str, Any]] = []

    def canned(body: dict[str, Any]) -> str | None:
        props = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema", {})
        if list(props.get("properties", {})) == ["shown"]:
            asked.append(body)
            return json.dumps({"shown": [
                {"claim": "max_pages", "line": "+max_num_pages_per_seq = 64"},
                {"claim": "warp_steal_pool", "line": "max_num_pages_per_seq = 64"},  # real, not carrying it
                {"claim": "fused_ring", "line": "fused_ring = RingBuffer()"},  # never shown
            ]})  # fmt: skip
        if "summary" not in props.get("properties", {}):
            return None
        return json.dumps({"change_types": ["feature"], "importance": "medium", "importance_reason": "It caps it.",
                           "summary": summary, "impact": [], "risks": [], "recommendations": [],
                           "insights": {"architecture": "", "performance": "", "security": ""}})  # fmt: skip

    fake.canned = canned
    settings = settings_for(fake, tmp_path / "data", **{"overview": False})
    settings = settings.model_copy(
        update={"analysis": settings.analysis.model_copy(update={"grounding": "mark"})}
    )
    outcome, _ = run_day(repo, settings)
    rc = next(c for c in outcome.reports[0].commits if c.message.startswith("feat"))
    assert rc.analysis is not None and rc.analysis.grounding is not None
    g = rc.analysis.grounding
    assert len(asked) == 1 and "max_pages" in asked[0]["messages"][-1]["content"]
    assert (g.action, g.unverified) == ("marked", ["warp_steal_pool", "fused_ring"]), g
    assert rc.analysis.summary.startswith("Caps `max_pages` at 64 in kv/pages.py. It adds"), (
        rc.analysis.summary
    )
    assert "⚠️" not in rc.analysis.summary.split(". ")[0] and rc.analysis.summary.count("⚠️") == 2
    assert _kept_places(settings, rc)["max_pages"] == "cited, diff kv/pages.py:1"
    run_day(repo, settings)  # the same day again: the analysis is kept, nothing is asked
    assert len(asked) == 1


def _pages_repo(tmp_path: Path, code: str) -> Path:
    """A repository of two commits, the second adding ``kv/pages.py`` with ``code``."""
    import datetime as dt

    from gitrepo import CommitSpec, FileEdit, build_repo

    repo = tmp_path / "repo"
    build_repo(repo, [
        CommitSpec("init", dt.datetime(2026, 1, 20, 9, tzinfo=dt.UTC), edits=[FileEdit("README.md", "# x\n")]),
        CommitSpec("feat(cache): cap the pages per sequence", dt.datetime(2026, 1, 27, 9, tzinfo=dt.UTC),
                   edits=[FileEdit("kv/pages.py", code)]),
    ])  # fmt: skip
    return repo


def _kept_places(settings: Any, rc: Any) -> dict[str, str | None]:
    """Where each claim of a commit's analysis was found, as the store keeps its trace."""
    from dailydiff.store import Store

    with Store.open(settings.data_path) as store:
        kept = store.get_analyses("demo/engine", [rc.sha], {rc.analysis.fingerprint})
    grounding = kept[rc.sha, rc.analysis.fingerprint].grounding
    assert grounding is not None
    return {c.text: c.where for c in grounding.claims}
