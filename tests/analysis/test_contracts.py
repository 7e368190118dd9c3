"""The JSON report keeps the documented names; the heuristic analyser fills fields by depth."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from dailydiff.analysis import HeuristicAnalyzer
from dailydiff.models import Commit, DayReport, FileChange, FileStatus, Level, Person, Stats
from dailydiff.render import load_report, render_json
from dailydiff.scoring.rules import score_commit
from dailydiff.settings import load_settings
from fixtures import build_day_reports, build_sample_repo

NOW = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> DayReport:
    base = tmp_path_factory.mktemp("contract")
    build_sample_repo(base / "repo")
    return build_day_reports(base / "repo", base / "data", [dt.date(2026, 1, 19)], "zh", NOW)[0]


def test_json_keeps_the_documented_names(report: DayReport) -> None:
    data = json.loads(render_json(report))
    assert data["schema_version"] == 1
    assert {"repo", "date", "timezone", "window", "commits", "stats", "overview"} <= data.keys()
    assert data["window"] == {"start": "2026-01-19T00:00:00+08:00", "end": "2026-01-20T00:00:00+08:00"}
    commit = data["commits"][0]
    assert {"sha", "title", "message", "url", "author", "committer", "authored_at", "committed_at", "stats",
            "files", "pr", "score", "level", "analysis"} <= commit.keys()  # fmt: skip
    assert {"name", "email", "login"} <= commit["author"].keys()
    assert {"path", "status", "additions", "deletions"} <= commit["files"][0].keys()
    assert {"level", "score", "reasons"} <= commit["score"].keys()
    assert {"analyzer", "status", "change_types", "importance", "importance_reason", "summary", "impact",
            "insights", "risks", "recommendations", "unseen_files", "usage", "error"} <= commit["analysis"].keys()  # fmt: skip
    assert set(commit["analysis"]["insights"]) == {"architecture", "performance", "security"}
    assert {"total", "high", "medium", "low", "failed", "heuristic", "prompt_tokens", "completion_tokens",
            "cost"} <= data["stats"].keys()  # fmt: skip
    assert {"highlights", "themes"} <= data["overview"].keys()
    times = [c["committed_at"] for c in data["commits"]]
    assert times == sorted(times, reverse=True)  # newest first, like the table
    assert all(f["patch"] is None for c in data["commits"] for f in c["files"])  # no diffs in reports
    assert load_report(render_json(report)) == report  # the JSON round-trips to the same report


def _commit(files: list[FileChange], message: str) -> Commit:
    person = Person(name="Ada", email="ada@example.com")
    stats = Stats(
        additions=sum(f.additions for f in files), deletions=sum(f.deletions for f in files), files=len(files)
    )
    return Commit(repo="o/r", sha="1" * 40, author=person, committer=person, authored_at=NOW, committed_at=NOW,
                  message=message, stats=stats, files=files)  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_heuristic_fields_follow_depth(lang: str) -> None:
    settings = load_settings(environ={}, cwd=Path("/"))
    patch = "@@ -1,3 +1,9 @@\n+def load_weights(path):\n+    return path\n-def old_loader(x):\n-    pass\n"
    commit = _commit(
        [
            FileChange(path="python/pkg/engine/loader.py", status=FileStatus.MODIFIED, additions=180, deletions=250,
                       patch=patch),
            FileChange(path="pyproject.toml", additions=1, deletions=1, patch="@@ -1 +1 @@\n-a\n+b\n"),
            FileChange(path="python/pkg/engine/old.py", status=FileStatus.REMOVED, deletions=40, patch=""),
        ],
        "feat(engine)!: new weight loader\n\nLoads weights lazily.\nSigned-off-by: Ada <ada@example.com>",
    )  # fmt: skip
    score = score_commit(commit, settings.scoring)
    analyzer = HeuristicAnalyzer()
    high = analyzer.analyse(commit, score, Level.HIGH, lang)
    low = analyzer.analyse(commit, score, Level.LOW, lang)
    medium = analyzer.analyse(commit, score, Level.MEDIUM, lang)
    assert high.change_types[0].value == "feature"
    assert high.risks and high.recommendations and high.impact and high.insights.architecture
    assert "load_weights" in high.summary and "Signed-off-by" not in high.summary
    assert any("pyproject.toml" in r for r in high.risks)  # the dependency manifest is named
    # medium: the risks and insights the diff shows (a breaking change, a new public API), fewer than high
    assert medium.impact and medium.recommendations and medium.risks and len(medium.risks) <= 2
    assert "load_weights" in medium.insights.architecture and len(medium.risks) < len(high.risks)
    # low: a short summary and where the change lands, nothing more
    assert low.summary and low.impact and not low.risks and not low.recommendations
    assert len(low.summary) < len(high.summary)
    assert (
        high.fingerprint != low.fingerprint != analyzer.fingerprint(Level.LOW, "en" if lang == "zh" else "zh")
    )


def test_pull_request_labels_and_body_inform_the_rules() -> None:
    from dailydiff.models import PullRequest

    settings = load_settings(environ={}, cwd=Path("/"))
    files = [FileChange(path="src/pkg/sched.py", additions=12, deletions=3, patch="@@ -1 +1 @@\n-a\n+b\n")]
    plain = _commit(files, "Scheduler tweaks (#42)")
    pr = PullRequest(number=42, title="Scheduler tweaks", labels=["kind/bug", "needs-ci"],
                     body="<!-- template -->\nRequests starved when the queue was full; now they are admitted in order.")  # fmt: skip
    with_pr = plain.model_copy(update={"pr": pr})
    assert commit_types_of(plain) != commit_types_of(with_pr)
    assert commit_types_of(with_pr)[0].value == "bugfix"
    analysis = HeuristicAnalyzer().analyse(
        with_pr, score_commit(with_pr, settings.scoring), Level.MEDIUM, "en"
    )
    assert "starved" in analysis.summary  # the PR body stands in for the empty commit body
    bare = HeuristicAnalyzer().analyse(plain, score_commit(plain, settings.scoring), Level.MEDIUM, "en")
    assert "starved" not in bare.summary


def commit_types_of(commit: Commit) -> list:  # type: ignore[type-arg]
    from dailydiff.scoring.rules import commit_types

    return commit_types(commit)
