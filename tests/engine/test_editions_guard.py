"""DESIGN "Units return editions; the runner sends", as behaviour: one plan with a unit of every kind that sends
— a repository's day (rebuilt by its late commit), its addendum, a digest-day, the week, the alerts, a tag's
release notes, and a stored day (`publish`'s) — run against a recording ``deliver``. No publisher is called while
any unit builds; every edition a unit returns reaches the recording ``deliver``; every publisher call is made
inside it."""

from __future__ import annotations

import contextvars
import datetime as dt
import importlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dailydiff.common.dates import DateSpec
from dailydiff.engine import Request, RunRequest, plan, run
from dailydiff.publish.registry import PUBLISHERS
from dailydiff.settings import load_settings
from dailydiff.store import open_store
from gitrepo import CommitSpec, FileEdit, commit, git, init_repo
from opsfixtures import dailydiff
from webhook_receiver import WebhookReceiver

BUILDING: contextvars.ContextVar[str | None] = contextvars.ContextVar("building", default=None)
SUNDAY = dt.date(2026, 4, 19)
THURSDAY = SUNDAY - dt.timedelta(days=3)
NOW = "2026-04-20T03:00:00+00:00"
CONFIG = """data_dir = "data"
[report]
timezone = "UTC"
language = "en"
formats = ["md", "json"]
[analysis]
analyzer = "heuristic"
[notes]
on_tag = true
lookback_days = 30
[weekly]
publishers = ["hook", "archive"]
[[digest]]
name = "team"
publishers = ["hook", "archive"]
[[repos]]
source = "proj"
publishers = ["hook", "archive"]
[[watch]]
name = "everything"
paths = ["**"]
alert = ["hook"]
[[publish]]
type = "slack"
name = "hook"
url_env = "HOOK_URL"
retries = 0
[[publish]]
type = "files"
name = "archive"
directory = "archive"
formats = ["md"]
"""


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


class Recorder:
    """The publishers' ``send``, and the runner's ``deliver``, watched: which publisher was called, and whether
    from inside ``deliver``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.inside = threading.local()
        self.calls: list[tuple[str, str, bool]] = []  # (edition kind, publisher, inside deliver)
        self.delivered: list[Any] = []  # every edition handed to deliver
        self.built: dict[str, list[Any]] = {}  # unit class -> the editions its builds returned
        self.while_building: list[tuple[str, str]] = []  # (unit class, edition kind) delivered inside a build
        classes = {
            getattr(importlib.import_module(m), n)
            for m, _, n in (w.partition(":") for w in PUBLISHERS.values())
        }
        from dailydiff.publish.files import StdoutPublisher

        for cls in {*classes, StdoutPublisher}:
            monkeypatch.setattr(cls, "send", self._watched(cls.send))
        import dailydiff.engine.runner as runner

        real = runner.deliver

        def recording(edition: Any, targets: Any, store: Any, **kwargs: Any) -> Any:
            self.delivered.append(edition)
            if BUILDING.get() is not None:
                self.while_building.append((BUILDING.get(), edition.kind))
            self.inside.on = True
            try:
                return real(edition, targets, store, **kwargs)
            finally:
                self.inside.on = False

        monkeypatch.setattr(runner, "deliver", recording)

    def _watched(self, send: Any) -> Any:
        def watched(publisher: Any, edition: Any) -> Any:
            self.calls.append((edition.kind, publisher.name, getattr(self.inside, "on", False)))
            return send(publisher, edition)

        return watched

    def watch_builds(self, monkeypatch: pytest.MonkeyPatch, kinds: set[type]) -> None:
        for kind in kinds:
            monkeypatch.setattr(kind, "build", classmethod(self._build(kind, kind.build)))

    def _build(self, kind: type, build: Any) -> Any:
        async def watched(cls: type, context: Any, units: Any) -> Any:
            building = BUILDING.set(
                kind.__name__
            )  # seen by whatever the build calls, on any thread it starts
            try:
                outcomes, why = await build(context, units)
            finally:
                BUILDING.reset(building)
            # (getattr: a version whose units send themselves has no ``sends``; this test then says so below)
            editions = [send.edition for outcome in outcomes for send in getattr(outcome, "sends", [])]
            self.built.setdefault(kind.__name__, []).extend(editions)
            return outcomes, why

        return watched


def _world(root: Path) -> Path:
    repo = init_repo(root / "proj")
    at = dt.datetime.combine(SUNDAY, dt.time(20, 0), tzinfo=dt.UTC)
    commit(
        repo,
        CommitSpec("feat: add the parser", at - dt.timedelta(days=3), edits=[FileEdit("src/a.py", "a\n")]),
    )
    git(repo, "tag", "v1.0")
    commit(repo, CommitSpec("fix: the parser's empty line", at, edits=[FileEdit("src/parser.py", "x = 1\n")]))
    git(repo, "tag", "v1.1")
    (root / "dailydiff.toml").write_text(CONFIG, encoding="utf-8")
    return repo


def test_every_unit_kind_s_editions_reach_the_runner_s_deliver_and_no_publisher_is_called_otherwise(
    tmp_path: Path, hooks: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _world(tmp_path)
    env = {"HOOK_URL": hooks.urls()["slack"], "DAILYDIFF_RUN_NOW": NOW}
    dailydiff("run", "--from", THURSDAY.isoformat(), "--to", SUNDAY.isoformat(), cwd=tmp_path, env=env)
    # A commit that lands after its day was delivered: the day is built again and owes the chat an addendum.
    late = dt.datetime.combine(SUNDAY, dt.time(23, 50), tzinfo=dt.UTC)
    commit(repo, CommitSpec("fix: a late one", late, edits=[FileEdit("src/late.py", "y = 2\n")]))

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    settings = load_settings(tmp_path / "dailydiff.toml", environ=dict(os.environ), cwd=tmp_path)
    recorder = Recorder(monkeypatch)
    with open_store(settings) as store:
        request = Request("run", settings, store, DateSpec(date=SUNDAY.isoformat()), of=RunRequest(), config_dir=tmp_path,
                          open_store=lambda: open_store(settings))  # fmt: skip
        planned = plan(request)
        day = store.get_report("proj", THURSDAY, "en")
        assert day is not None
        from dailydiff.engine.units import StoredDayUnit  # `publish`'s unit, in the same plan

        planned.add(StoredDayUnit(day, tuple(p for p in planned.available if p.name == "archive")))
        kinds = {type(unit) for unit in planned.units.values()}
        recorder.watch_builds(monkeypatch, kinds)
        outcomes = run(planned)

    assert recorder.while_building == []  # no unit sends while it builds: the runner sends what it returns
    built = {name for name, editions in recorder.built.items() if editions}
    assert built >= {"DayUnit", "AddendumUnit", "DigestUnit", "WeekUnit", "AlertUnit", "ReleaseUnit",
                     "StoredDayUnit"}, (built, [(o.kind, o.status, o.detail) for o in outcomes])  # fmt: skip
    returned = [edition for editions in recorder.built.values() for edition in editions]
    assert all(any(edition is sent for sent in recorder.delivered) for edition in returned)
    assert recorder.calls and all(inside for _, _, inside in recorder.calls), recorder.calls
    kinds_sent = {kind for kind, _, _ in recorder.calls}
    assert kinds_sent >= {"day", "addendum", "alert"}, kinds_sent  # sent for real, through deliver
