"""Alert rules, pure: diff regexes, levels, types, quiet hours — and the config's refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from dailydiff.models import Commit, FileChange, Level, Person
from dailydiff.scoring.alerting import last_quiet_window, quiet_window, verdict
from dailydiff.scoring.watch import matching_topics
from dailydiff.settings import WatchTopic

NOW = dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC)


def _commit(message: str = "chore: tidy", path: str = "a.py", patch: str = "") -> Commit:
    person = Person(name="Ada", email="ada@x.org")
    return Commit(repo="o/r", sha="a" * 40, author=person, committer=person, authored_at=NOW, committed_at=NOW,
                  message=message, files=[FileChange(path=path, patch=patch or None)])  # fmt: skip


def test_a_diff_regex_matches_added_and_removed_lines_never_the_headers() -> None:
    topic = WatchTopic(name="keys", diff=[r"API_KEY\s*="])
    added = _commit(patch="--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n+API_KEY = 'k'\n")
    removed = _commit(patch="@@ -1 +0,0 @@\n-API_KEY = 'k'\n")
    context = _commit(patch="@@ -1,2 +1,2 @@\n API_KEY = 'k'\n-y = 1\n+y = 2\n")
    header = _commit(patch="--- a/API_KEY = x\n+++ b/API_KEY = x\n")
    assert [matching_topics(c, [topic]) for c in (added, removed, context, header)] == [
        ["keys"],
        ["keys"],
        [],
        [],
    ]
    judged = verdict(added, topic, Level.LOW, [])
    assert judged.fires and judged.reasons == ["added line a.py:1 matches 'API_KEY\\s*=': ••• (masked)"]
    later = _commit(patch="@@ -10,3 +10,3 @@\n a\n-b\n+db.API_KEY = 'k'\n c\n")
    assert verdict(later, topic, Level.LOW, []).reasons == [
        "added line a.py:11 matches 'API_KEY\\s*=': db. ••• (masked)"
    ]


def test_min_level_and_types_filter_what_matched() -> None:
    topic = WatchTopic(name="api", paths=["api/**"], min_level="high", types=["perf", "breaking"])
    commit = _commit("feat(api)!: drop v1", path="api/v1.py")
    assert verdict(commit, topic, Level.HIGH, []).reasons == ["path api/v1.py matches 'api/**'", "type breaking",
                                                              "level high"]  # fmt: skip
    low = verdict(commit, topic, Level.MEDIUM, [])
    assert not low.fires and low.reasons[-1] == "level medium is below min_level high"
    plain = verdict(_commit("fix(api): typo", path="api/v1.py"), topic, Level.HIGH, ["bugfix"])
    assert not plain.fires and plain.reasons[-1] == "type bugfix is not one of performance, breaking"
    assert verdict(_commit(path="src/x.py"), topic, Level.HIGH, ["performance"]).reasons == [
        "no keyword, path, author or diff line matches"
    ]
    every_perf = WatchTopic(
        name="perf", types=["perf"], alert=["chat"]
    )  # no criteria: every commit of the type
    assert verdict(_commit(), every_perf, Level.LOW, ["performance"]).fires


def test_quiet_hours_run_past_midnight_in_the_given_timezone() -> None:
    at = dt.datetime(2026, 1, 5, 23, 30, tzinfo=dt.UTC)
    assert quiet_window("22:00-07:00", at, "UTC") == (
        dt.datetime(2026, 1, 5, 22, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 6, 7, tzinfo=dt.UTC),
    )
    assert quiet_window("22:00-07:00", at.replace(hour=6), "UTC") is not None
    assert quiet_window("22:00-07:00", at.replace(hour=7), "UTC") is None
    assert quiet_window("22:00-07:00", at.replace(hour=15), "Asia/Shanghai") is not None  # 23:30 there
    start, end = last_quiet_window("22:00-07:00", at.replace(hour=9), "UTC")  # type: ignore[misc]
    assert (start.day, start.hour, end.day, end.hour) == (4, 22, 5, 7)
    assert quiet_window("12:00-13:00", at.replace(hour=12, minute=5), "UTC") is not None
    assert quiet_window("", at, "UTC") is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"diff": ["("]}, "is not a regular expression"),
        ({"types": ["speed"], "alert": ["x"]}, "unknown type 'speed'"),
        ({"paths": ["a"], "quiet": "22-07"}, "write the hours as HH:MM-HH:MM"),
        ({"paths": ["a"], "quiet": "07:00-07:00"}, "two different times of day"),
        ({"paths": ["a"], "min_level": "urgent"}, "min_level"),
        ({"paths": ["a"], "max_per_hour": 0}, "max_per_hour"),
        ({"alert": ["x"]}, "at least one of keywords, paths, authors, diff or types"),
    ],
)
def test_bad_alert_settings_are_refused_naming_the_key(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WatchTopic(name="t", **fields)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_types_take_their_short_names() -> None:
    assert WatchTopic(name="t", types=["perf", "fix", "deps", "Security"]).types == [
        "performance", "bugfix", "dependency", "security"
    ]  # fmt: skip


def test_a_push_is_matched_to_its_repository_by_id_whatever_the_source(tmp_path: object) -> None:
    from pathlib import Path

    from dailydiff.engine.watching import alerting_jobs, job_of_push
    from dailydiff.settings import load_settings

    watch = [{"name": "t", "paths": ["a"], "alert": ["x"]}]
    repos = [{"source": "Acme/Widgets"}, {"source": str(tmp_path), "name": "team/tool"},
             {"source": "https://github.com/octo/cat.git", "name": "cat"}]  # fmt: skip
    publish = [{"type": "webhook", "name": "x", "url_env": "X_URL"}]  # an alert names a [[publish]] entry
    settings = load_settings(
        environ={}, cwd=Path("/"), overrides={"repos": repos, "watch": watch, "publish": publish}
    )
    jobs = alerting_jobs(settings)
    names = ("acme/widgets", "team/tool", "cat", "octo/cat", "someone/else")
    found = {name: (job.repo_id if (job := job_of_push(jobs, name)) else None) for name in names}
    assert found == {"acme/widgets": "Acme/Widgets", "team/tool": "team/tool", "cat": "cat", "octo/cat": "cat",
                     "someone/else": None}  # fmt: skip
