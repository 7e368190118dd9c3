"""`report` of a range again: a day that nothing changed is decided from one listing of commit ids against
the store (neither fetched, analysed, rendered nor written), and the files of the first run already say
what the store says (a revert built before the day of the commit it undoes links both ways)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import clirun
from dailydiff.store import Store
from fixtures import at
from gitrepo import CommitSpec, FileEdit, build_repo, commit

SRC = Path(__file__).resolve().parents[2] / "src"

NOW = "2026-02-01T00:00:00+00:00"


def _repo(path: Path) -> list[str]:
    shas = build_repo(path, [
        CommitSpec("Initial import", at(10, 10), edits=[FileEdit("pkg/a.py", "x = 1\n")]),
        CommitSpec("[Perf] fuse q, k norm (#17241)", at(11, 10), edits=[FileEdit("pkg/a.py", "x = 2\n")]),
        CommitSpec("docs: note", at(12, 10), edits=[FileEdit("README.md", "hello\n")]),
    ])  # fmt: skip
    body = f'Revert "[Perf] fuse q, k norm (#17241)"\n\nThis reverts commit {shas[1]}.'
    shas.append(commit(path, CommitSpec(body, at(13, 9), edits=[FileEdit("pkg/a.py", "x = 1\n")])))
    return shas


def _report(tmp_path: Path, repo: Path, *more: str, store: str = "") -> tuple[list[str], str]:
    """The days whose files the command wrote, and what it said (``store``: a PostgreSQL store's URL)."""
    summary = tmp_path / "summary.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")} | {"DAILYDIFF_RUN_NOW": NOW}
    env |= {"DAILYDIFF_STORE_URL": store} if store else {}
    done = clirun.dailydiff("report", repo, "--from", "2026-01-10", "--to", "2026-01-13", "--analyzer",
                            "heuristic", "--lang", "en", "-o", tmp_path / "out", "--data-dir", tmp_path / "data",
                            "--summary-json", summary, *more, cwd=tmp_path, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    days = json.loads(summary.read_text())["reports"]
    return [d["date"] for d in days], done.stderr


def _files(out: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(out)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(out.rglob("*.md"))
    }


def test_a_rerun_of_unchanged_days_writes_nothing_and_a_late_commit_rebuilds_its_day(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shas = _repo(repo)
    first, _ = _report(tmp_path, repo)
    assert first == ["2026-01-10", "2026-01-11", "2026-01-12", "2026-01-13"]
    written = _files(tmp_path / "out")
    assert len(written) == 4
    # The first run's files say both ends of the revert, whichever day was built first.
    day11 = next(text for name, (text, _) in written.items() if name.endswith("2026-01-11.md")).decode()
    day13 = next(text for name, (text, _) in written.items() if name.endswith("2026-01-13.md")).decode()
    assert f"Reverted by [`{shas[3][:7]}`](2026-01-13.md#c-{shas[3][:7]})" in day11
    assert f"Reverts [`{shas[1][:7]}`](2026-01-11.md#c-{shas[1][:7]})" in day13

    again, said = _report(tmp_path, repo)
    assert again == [] and "4 day(s) up to date: nothing changed" in said
    assert _files(tmp_path / "out") == written  # byte for byte, and not even rewritten (same mtime)

    # A commit that landed late on the 12th: that day is built again, the others stay as they are.
    commit(repo, CommitSpec("fix: late", at(12, 20), edits=[FileEdit("pkg/b.py", "y = 1\n")]))
    late, said = _report(tmp_path, repo)
    assert late == ["2026-01-12"] and "3 day(s) up to date" in said
    now = _files(tmp_path / "out")
    changed = {name for name in now if now[name] != written[name]}
    assert [name.rsplit("/", 1)[-1] for name in changed] == ["2026-01-12.md"]
    assert b"fix: late" in next(iter(now[name][0] for name in changed))

    # A day whose analyses this run would make otherwise (here: dropped, as another rules version leaves
    # them unfound) is built again.
    with Store.open(tmp_path / "data") as store:
        name = store.list_reports()[0][0]
        assert store.forget_analyses(name, shas[2]) > 0
    reanalysed, _ = _report(tmp_path, repo)
    assert reanalysed == ["2026-01-12"]

    # `--publish` of days already built: the ledger decides, and the publisher gets them all.
    (tmp_path / "dailydiff.toml").write_text('[[publish]]\ntype = "files"\ndirectory = "published"\n')
    published, _ = _report(tmp_path, repo, "--publish")
    assert len(published) == 4 and len(list((tmp_path / "published").rglob("*.md"))) == 4
    (tmp_path / "dailydiff.toml").unlink()

    # A deleted file is written again; --force builds every day.
    removed = next(p for p in (tmp_path / "out").rglob("2026-01-10.md"))
    removed.unlink()
    rebuilt, _ = _report(tmp_path, repo)
    assert rebuilt == ["2026-01-10"]
    assert removed.read_bytes() == written[str(removed.relative_to(tmp_path / "out"))][0]
    forced, _ = _report(tmp_path, repo, "--force")
    assert len(forced) == 4


def test_a_new_stores_commits_are_analysed_without_a_look_in_the_store_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing asks the store once which of its commits have a good analysis: on a new store none, so
    no commit is looked up again as it arrives; a day built again (--force) takes each stored analysis,
    and a commit whose analysis is gone (here: a failed one stored) is analysed again."""
    from dailydiff.analysis.heuristic import HeuristicAnalyzer
    from dailydiff.kinds import AnalysisStatus, Level
    from dailydiff.store.reports import ReportStore

    repo = tmp_path / "repo"
    shas = _repo(repo)
    looked: list[list[str]] = []
    get_analyses = ReportStore.get_analyses

    def counted(self: ReportStore, name: str, asked: list[str], fingerprints: set[str]) -> dict[Any, Any]:
        looked.append(list(asked))
        return get_analyses(self, name, asked, fingerprints)

    monkeypatch.setattr(ReportStore, "get_analyses", counted)
    replacing: list[str] = []  # the commits whose saved analysis looked for one it replaces
    look_for_replaced = ReportStore._replaced

    def noted(self: ReportStore, name: str, rows: Any) -> Any:
        replacing.extend(row[1] for row in rows)
        return look_for_replaced(self, name, rows)

    monkeypatch.setattr(ReportStore, "_replaced", noted)
    summary = tmp_path / "summary.json"
    _report(tmp_path, repo)
    first = json.loads(summary.read_text())["totals"]
    assert (first["analysed"], first["cached"]) == (4, 0)
    assert [asked for asked in looked if len(asked) == 1] == []  # none asked about alone
    assert replacing == []  # and none saved looks for a stored one to replace: the listing said none is

    with Store.open(tmp_path / "data") as store:
        name = store.list_reports()[0][0]
        stored = store.get_analyses(
            name, [shas[2]], {HeuristicAnalyzer().fingerprint(lv, "en") for lv in Level}
        )
    looked.clear()
    _report(tmp_path, repo, "--force")
    again = json.loads(summary.read_text())["totals"]
    assert (again["analysed"], again["cached"]) == (0, 4)  # each one looked up, and taken
    assert sorted(asked[0] for asked in looked if len(asked) == 1) == sorted(shas)

    with Store.open(tmp_path / "data") as store:  # shas[2]'s analysis stored as failed: not a good one
        for (sha, _), analysis in stored.items():
            store.save_analysis(name, sha, analysis.model_copy(update={"status": AnalysisStatus.FAILED}))
    replacing.clear()
    _report(tmp_path, repo, "--force")
    last = json.loads(summary.read_text())["totals"]
    assert (last["analysed"], last["cached"]) == (1, 3)
    assert replacing == [shas[2]]  # its new analysis replaces the failed one (what that cost stays spent)
    with Store.open(tmp_path / "data") as store:
        [(_, replaced)] = store.get_analyses(name, [shas[2]], {key[1] for key in stored}).items()
        assert replaced.status is AnalysisStatus.OK


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_changed_setting_or_template_rebuilds_the_days_and_the_same_ones_write_nothing(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Each day keeps the digest of the settings and templates its files were written with: a setting that
    shapes them (a watch topic) or a template's content, changed, builds the days again without --force;
    the same ones again write nothing."""
    store = request.getfixturevalue("pg_url") if backend == "postgresql" else ""
    repo, out, config = tmp_path / "repo", tmp_path / "out", tmp_path / "dailydiff.toml"
    _repo(repo)
    assert len(_report(tmp_path, repo, store=store)[0]) == 4

    config.write_text('[[watch]]\nname = "norms"\nkeywords = ["norm"]\n', encoding="utf-8")
    watched, _ = _report(tmp_path, repo, store=store)
    assert len(watched) == 4
    written = _files(out)
    watching = sorted(name.rsplit("/", 1)[-1] for name, (text, _) in written.items() if b"norms" in text)
    assert watching == ["2026-01-11.md", "2026-01-13.md"]  # the fused norm, and its revert
    same, said = _report(tmp_path, repo, store=store)
    assert same == [] and "4 day(s) up to date" in said and _files(out) == written

    templates = tmp_path / "templates"
    templates.mkdir()
    builtin = (SRC / "dailydiff" / "render" / "templates" / "report.md.j2").read_text(encoding="utf-8")
    (templates / "report.md.j2").write_text(builtin + "\n<!-- ours, first -->\n", encoding="utf-8")
    config.write_text(config.read_text() + f'\n[report]\ntemplates_dir = "{templates}"\n', encoding="utf-8")
    ours, _ = _report(tmp_path, repo, store=store)
    assert len(ours) == 4 and all(b"ours, first" in text for text, _ in _files(out).values())
    assert _report(tmp_path, repo, store=store)[0] == []
    (templates / "report.md.j2").write_text(builtin + "\n<!-- ours, second -->\n", encoding="utf-8")
    edited, _ = _report(tmp_path, repo, store=store)  # the same settings, another template
    assert len(edited) == 4 and all(b"ours, second" in text for text, _ in _files(out).values())
