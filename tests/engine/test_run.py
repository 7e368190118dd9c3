"""`dailydiff run`: many repositories from config, watch markers, publishers, shards, exit codes."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dailydiff.common.dates import DateSpec
from dailydiff.engine.deliver import publishers_for
from dailydiff.engine.jobs import parse_shard, plan_jobs, shard_of
from dailydiff.engine.runoptions import RunOptions
from dailydiff.errors import ConfigError, UsageError
from dailydiff.models import DayReport
from dailydiff.publish.base import PublishResult, Status
from dailydiff.publish.files import output_dir_publisher
from dailydiff.render.edition import Edition
from dailydiff.settings import load_settings
from dailydiff.store import Store
from fake_github import FakeGitHub
from fake_llm import FakeLLM
from opsfixtures import DAYS, FIRST_DAY, build_workspace, dailydiff, run_args
from webhook_receiver import WebhookReceiver

LAST_DAY = FIRST_DAY + dt.timedelta(days=DAYS - 1)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("run")
    expected = build_workspace(root)
    return root, expected


PUBLISH_TOML = """
[[publish]]
type = "files"
name = "archive"
directory = "archive"
formats = ["json"]

[[publish]]
type = "webhook"
url_env = "DAILYDIFF_TEST_HOOK"
retries = 0
"""


def test_three_repos_seven_days_give_21_reports_with_exact_watch_markers(
    workspace: tuple[Path, dict],
) -> None:
    root, expected = workspace
    config = root / "with-publishers.toml"
    config.write_text((root / "dailydiff.toml").read_text(encoding="utf-8") + PUBLISH_TOML, encoding="utf-8")
    hooks = WebhookReceiver().start()
    try:
        hook_env = {"DAILYDIFF_TEST_HOOK": hooks.urls()["webhook"]}
        args = [*run_args("out1"), "--config", config]
        dailydiff(*args, "--summary-json", "summary1.json", cwd=root, env=hook_env)
        again = dailydiff(*args, cwd=root, env=hook_env)  # delivered days are not sent again
    finally:
        hooks.stop()
    # What each day's webhook delivery said, first: a count that differs then names the day and its outcome
    # (sent, nothing sent for an empty day, failed) instead of only the number.
    summary = json.loads((root / "summary1.json").read_text(encoding="utf-8"))
    told = {(r["repo"], d["date"]): (d.get("commits"), [(p["publisher"], p["status"], p["detail"]) for p in d["publish"]])
            for r in summary["repos"] for d in r["days"]}  # fmt: skip
    received = Counter((m["repo"], m["date"]) for m in hooks.received.get("generic", []))
    assert "21 up to date" in again.stderr
    assert hooks.violations == [] and len(hooks.received["generic"]) == 21, (
        {key: told[key] for key in told if received[key] != 1},
        len(hooks.arrived.get("generic", [])),
        again.stderr,
    )
    for message in hooks.received["generic"]:  # chat messages list the watched commits first
        flags = [bool(c["watch"]) for c in message["commits"]]
        assert flags == sorted(flags, reverse=True)
        expected_watch = {c.sha: c.topics for c in expected[message["repo"]]}
        assert all(c["watch"] == expected_watch[c["sha"]] for c in message["commits"])
    assert len(list((root / "archive").rglob("*.json"))) == 21
    md = sorted((root / "out1").rglob("*.md"))
    js = sorted((root / "out1").rglob("*.json"))
    assert len(md) == 21 and len(js) == 21
    by_sha = {c.sha: c for commits in expected.values() for c in commits}
    seen: Counter[str] = Counter()
    watched_titles_md: set[str] = set()
    for path in js:
        report = DayReport.model_validate_json(path.read_text(encoding="utf-8"))
        for rc in report.commits:
            seen[rc.sha] += 1
            assert rc.watch == by_sha[rc.sha].topics, (rc.title, rc.watch, by_sha[rc.sha].topics)
            assert report.date == by_sha[rc.sha].date
    assert seen == Counter(dict.fromkeys(by_sha, 1))  # every commit in exactly one report
    for path in md:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("| 2026-") and line.endswith(" 👀 |"):
                watched_titles_md.add(line.split("[", 1)[1].split("](", 1)[0].replace("\\_", "_"))
    assert watched_titles_md == {c.title for c in by_sha.values() if c.topics}
    assert 0 < len(watched_titles_md) < len(by_sha)
    # The overview lists each topic's commits first.
    sample = next(p for p in md if "👀" in p.read_text(encoding="utf-8"))
    text = sample.read_text(encoding="utf-8")
    assert text.index("**👀 关注**") < text.index("### 📜 提交列表")

    assert summary["status"] == "ok" and summary["exit_code"] == 0
    assert summary["totals"]["days_built"] == 21 and summary["totals"]["commits"] == len(by_sha)
    for repo in summary["repos"]:
        assert repo["status"] == "ok" and len(repo["days"]) == DAYS
        for day in repo["days"]:
            assert [(p["publisher"], p["status"]) for p in day["publish"]] == [
                ("files", "ok"), ("archive", "ok"), ("webhook", "ok")
            ]  # fmt: skip
            assert len(day["publish"][0]["paths"]) == 2


def test_a_rerun_is_up_to_date_and_force_rebuilds(workspace: tuple[Path, dict]) -> None:
    root, _ = workspace
    dailydiff(*run_args("out2"), cwd=root)
    before = {p: p.read_bytes() for p in (root / "out2").rglob("*.*")}
    again = dailydiff(*run_args("out2"), "--summary-json", "summary2.json", cwd=root)
    assert {p: p.read_bytes() for p in (root / "out2").rglob("*.*")} == before  # not even re-rendered
    summary = json.loads((root / "summary2.json").read_text(encoding="utf-8"))
    assert summary["totals"]["days_up_to_date"] == 21 and summary["totals"]["days_built"] == 0
    assert "21 up to date" in again.stderr
    dailydiff(*run_args("out2"), "--force", "--summary-json", "summary3.json", cwd=root)
    forced = json.loads((root / "summary3.json").read_text(encoding="utf-8"))
    assert forced["totals"]["days_built"] == 21
    assert forced["totals"]["analysed"] == 0 and forced["totals"]["cached"] > 0  # nothing analysed again


def test_shards_cover_every_repository_exactly_once(workspace: tuple[Path, dict]) -> None:
    root, expected = workspace
    names: list[str] = []
    for index in (1, 2, 3):
        dailydiff(
            *run_args("out3"), "--shard", f"{index}/3", "--summary-json", f"shard{index}.json", cwd=root
        )
        summary = json.loads((root / f"shard{index}.json").read_text(encoding="utf-8"))
        assert summary["shard"] == f"{index}/3"
        names += [r["name"] for r in summary["repos"]]
    assert sorted(names) == sorted(expected)
    assert len(list((root / "out3").rglob("*.md"))) == 21


def test_shard_assignment_is_a_stable_partition(tmp_path: Path) -> None:
    config = tmp_path / "dailydiff.toml"
    config.write_text("".join(f'[[repos]]\nsource = "org/repo-{i}"\n' for i in range(60)), encoding="utf-8")
    settings = load_settings(config, environ={})
    for count in (1, 2, 3, 7):
        shards = [plan_jobs(settings, parse_shard(f"{i}/{count}")) for i in range(1, count + 1)]
        keys = [job.key for shard in shards for job in shard]
        assert sorted(keys) == sorted(f"org/repo-{i}" for i in range(60))  # each repository exactly once
        if count > 1:
            assert all(shards), "every shard gets some of 60 repositories"
    # Stable across runs, machines and Python versions (not hash(), which is salted per process): the
    # assignment of these keys is pinned, so a change of hashing shows up here before it moves repositories.
    assert [shard_of(f"org/repo-{i}", 7) for i in range(10)] == [5, 2, 3, 1, 7, 4, 1, 5, 6, 3]
    assert [shard_of(f"r{i}", 5) for i in range(5)] == [5, 2, 4, 5, 3]
    assert [job.key for job in plan_jobs(settings, parse_shard("2/3"))][:3] == [
        key for key in (f"org/repo-{i}" for i in range(60)) if shard_of(key, 3) == 2
    ][:3]
    for bad in ("0/3", "4/3", "1/0", "a/b", "3"):
        with pytest.raises(UsageError):
            parse_shard(bad)


def test_config_errors_are_one_line_naming_the_key_and_exit_2(tmp_path: Path) -> None:
    cases = {
        '[[repos]]\nsource = "a/b"\n[[repos]]\nsource = ""\n': "'repos[2].source'",
        '[[repos]]\nsource = "a/b"\nwatch = ["nope"]\n': "repos[1].watch: unknown watch topic 'nope'",
        '[[repos]]\nsource = "a/b"\nbranch = "x"\nall_branches = true\n': "repos[1].branch",
        '[[watch]]\nname = "t"\n': "'watch[1]'",
        '[[watch]]\nname = "t"\nkeywords = ["x"]\nfoo = 1\n': "'watch[1].foo'",
        '[[repos]]\nsource = "a/b"\npublishers = ["chat"]\n': "'repos[1].publishers': unknown publisher",
        "[run]\nconcurrency = -1\n": "'run.concurrency'",
        # What every output strips is refused where the user writes it: a bidi override, a C1 control.
        '[[watch]]\nname = "a\u202eb"\nkeywords = ["x"]\n': "printable, non-empty name (got 'a\\u202eb')",
        '[[watch]]\nname = "t"\nkeywords = ["x\u009by"]\n': "'watch[1].keywords'",
        '[[repos]]\nsource = "a/b\u2066"\n': "contains a control or bidi character",
        "": "no repositories configured",
    }
    for body, needle in cases.items():
        config = tmp_path / "dailydiff.toml"
        config.write_text(body, encoding="utf-8")
        with pytest.raises(ConfigError) as caught:  # in-process: the same code path as the command
            settings = load_settings(config, environ={})
            for job in plan_jobs(settings):
                publishers_for(job.entry, job.index, [])
        assert needle in str(caught.value), (body, str(caught.value))
        assert caught.value.exit_code == 2
    for body in [*list(cases)[:2], list(cases)[-1]]:  # and as the command prints it: one line, exit 2
        (tmp_path / "dailydiff.toml").write_text(body, encoding="utf-8")
        result = dailydiff(
            "run", "--data-dir", tmp_path / "data", "--date", "2026-01-05", cwd=tmp_path, check=False
        )
        assert result.returncode == 2, (body, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("dailydiff: error: ") and cases[body] in lines[0], (
            lines
        )
        assert "Traceback" not in result.stderr


def test_a_bad_repository_fails_alone_with_exit_1(tmp_path: Path) -> None:
    build_workspace(tmp_path, repos=2, per_day=1, extra_toml='\n[[repos]]\nsource = "./repos/missing"\n')
    result = dailydiff(
        *run_args(), "--summary-json", "s.json", "--log-format", "json", cwd=tmp_path, check=False
    )
    assert result.returncode == 1
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    status = {r["name"]: (r["status"], r["error"]) for r in summary["repos"]}
    assert status["proj0"] == ("ok", None) and status["proj1"] == ("ok", None)
    assert status["missing"][0] == "failed" and "neither an existing path" in status["missing"][1]
    assert len(list((tmp_path / "out").rglob("*.md"))) == 2 * DAYS
    logs = [json.loads(line) for line in result.stderr.splitlines()]  # every stderr line is a JSON log
    assert any(entry["level"] == "error" and entry.get("repo") == "missing" for entry in logs)


class Recorder:
    """A publisher that keeps what it was given (stands in for the webhook/e-mail publishers)."""

    type = "recorder"
    parts = ("files",)
    formats = ("md",)
    updates_in_place = False
    one_writer = ""
    skip_empty = False

    def __init__(self, name: str, fail: bool = False) -> None:
        self.name = name
        self.target = f"recorder:{name}"
        self.fail = fail
        self.received: list[tuple[str, dt.date, list[str]]] = []

    def send(self, edition: Edition) -> PublishResult:
        if self.fail:
            raise ConnectionError("receiver down")
        assert edition.files["md"].startswith("# ") and edition.report is not None
        report = edition.report
        self.received.append((report.repo, report.date, [c.sha for c in report.commits if c.watch]))
        return PublishResult(self.name, self.type, Status.OK, "sent")


def _through_the_runner(settings: Any, base: Path, options: RunOptions, available: list[Any]) -> list[Any]:
    """Every configured repository's days, as a plan of units run by the one runner (no digests or weeks)."""
    from dailydiff.engine.runner import Span, plan_run, run_plan

    jobs = plan_jobs(settings, base_dir=base)
    span = Span(options.dates, dt.datetime.now(dt.UTC), digests=False, weeks=False)
    with Store.open(Path(settings.data_dir)) as store:
        plan = plan_run(settings, jobs, span, store, base, available)
        return run_plan(plan, options, available, store, settings)


def test_publisher_hook_every_result_in_the_summary_and_no_resend(tmp_path: Path) -> None:
    build_workspace(tmp_path, repos=2, per_day=2)
    settings = load_settings(tmp_path / "dailydiff.toml", environ={})
    settings = settings.model_copy(update={"data_dir": str(tmp_path / "data")})
    files = output_dir_publisher(tmp_path / "out", settings.report.path_template, ["md"])
    chat, down = Recorder("chat"), Recorder("mail", fail=True)
    options = RunOptions(
        dates=DateSpec(first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()), concurrency=2
    )
    results = _through_the_runner(settings, tmp_path, options, [files, chat, down])
    assert len(results) == 2 * DAYS and {d.repo for d in results} == {"proj0", "proj1"}
    # one publisher down: the others delivered (every repository's days undelivered, none failed)
    assert {d.status for d in results} == {"built"} and not any(d.delivered_ok for d in results)
    for day in results:
        assert [(p.publisher, p.status) for p in day.publish] == [
            ("files", "ok"),
            ("chat", "ok"),
            ("mail", "failed"),
        ]
        assert "receiver down" in day.publish[2].detail
    assert len(chat.received) == 2 * DAYS
    # A re-run sends nothing twice: only the failed publisher is tried again.
    down.fail = False
    again = _through_the_runner(settings, tmp_path, options, [files, chat, down])
    assert len(chat.received) == 2 * DAYS and len(down.received) == 2 * DAYS
    assert {(p.publisher, p.status) for d in again for p in d.publish} == {
        ("files", "skipped"), ("chat", "skipped"), ("mail", "ok")
    }  # fmt: skip
    third = _through_the_runner(settings, tmp_path, options, [files, chat, down])
    assert len(third) == 2 * DAYS and {d.status for d in third} == {"up-to-date"}
    with Store.open(tmp_path / "data") as store:
        rows = store.deliveries("proj0", FIRST_DAY, "zh")
    assert {(row.publisher, row.state, row.attempts) for row in rows.values()} == {
        ("files", "delivered", 1), ("chat", "delivered", 1), ("mail", "delivered", 2)
    }  # fmt: skip


def test_default_date_is_yesterday_in_each_repository_timezone(tmp_path: Path) -> None:
    build_workspace(tmp_path, repos=1, per_day=1)
    (tmp_path / "dailydiff.toml").write_text(
        # settle = 0: yesterday in Pago Pago ends at 11:00 UTC, and a day is rebuilt until it settles
        'data_dir = "data"\n[run]\nsettle = 0\n'
        '[[repos]]\nsource = "repos/proj0"\nname = "east"\ntimezone = "Pacific/Kiritimati"\n'
        '[[repos]]\nsource = "repos/proj0"\nname = "west"\ntimezone = "Pacific/Pago_Pago"\nlanguage = "en"\n',
        encoding="utf-8",
    )
    result = dailydiff("run", "--summary-json", "s.json", "--output-dir", "out", "--verbose", cwd=tmp_path)
    now = dt.datetime.now(dt.UTC)
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    dates = {r["name"]: r["days"][0]["date"] for r in summary["repos"]}
    for name, zone in (("east", "Pacific/Kiritimati"), ("west", "Pacific/Pago_Pago")):
        yesterday = (now.astimezone(ZoneInfo(zone)).date() - dt.timedelta(days=1)).isoformat()
        assert dates[name] == yesterday
    assert dates["east"] != dates["west"]
    west = (tmp_path / "out" / dates["west"][:4] / "west" / f"{dates['west']}.md").read_text(encoding="utf-8")
    assert west.startswith(f"# Daily update report ({dates['west']})") and "No commits on this day." in west
    assert (
        "dailydiff: debug: [east] source " in result.stderr and "timezone Pacific/Kiritimati" in result.stderr
    )
    quiet = dailydiff("run", "--output-dir", "out", cwd=tmp_path)
    assert "debug" not in quiet.stderr and "[west] every day is up to date" in quiet.stderr


def test_watch_lines_in_commit_blocks(workspace: tuple[Path, dict]) -> None:
    root, expected = workspace
    dailydiff(*run_args("out4"), cwd=root)
    by_sha = {c.sha: c for commits in expected.values() for c in commits}
    for path in (root / "out4").rglob("*.json"):
        report = DayReport.model_validate_json(path.read_text(encoding="utf-8"))
        md = path.with_suffix(".md").read_text(encoding="utf-8")
        watched = [rc for rc in report.commits if rc.watch]
        block_lines = [
            line for line in md.splitlines() if line.startswith("**👀 关注**：") and line != "**👀 关注**："
        ]
        assert len(block_lines) == len(watched)
        for rc in watched:
            assert f"**👀 关注**：{'、'.join(by_sha[rc.sha].topics)}" in block_lines


def test_github_and_local_repositories_in_one_run(tmp_path: Path) -> None:
    expected = build_workspace(tmp_path, repos=1, per_day=2)
    body = (tmp_path / "dailydiff.toml").read_text(encoding="utf-8")
    body += '\n[[repos]]\nsource = "octo/demo"\nname = "demo"\n'  # a GitHub entry keeps its owner/name
    (tmp_path / "dailydiff.toml").write_text(body, encoding="utf-8")
    with FakeGitHub({"octo/demo": tmp_path / "repos" / "proj0"}) as fake:
        env = {"DAILYDIFF_GITHUB_API_URL": fake.url, "GITHUB_TOKEN": "", "DAILYDIFF_GITHUB_TOKEN": ""}
        dailydiff(*run_args(), "--summary-json", "s.json", cwd=tmp_path, env=env)
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert {r["name"]: r["repo"] for r in summary["repos"]} == {"proj0": "proj0", "octo/demo": "octo/demo"}
    github_day = DayReport.model_validate_json(
        (tmp_path / "out" / "2026" / "demo" / f"{FIRST_DAY}.json").read_text(encoding="utf-8")
    )
    local_day = {c.sha: c.topics for c in expected["proj0"] if c.date == FIRST_DAY}
    assert {rc.sha: rc.watch for rc in github_day.commits} == local_day  # same commits, same watch topics


def test_stale_temporary_files_of_a_killed_writer_are_removed(tmp_path: Path) -> None:
    from dailydiff.publish.files import remove_stale_temporaries

    target = tmp_path / "2026-01-05.md"
    target.write_text("report", encoding="utf-8")
    old = tmp_path / ".2026-01-05.md.abc123.tmp"
    young = tmp_path / ".2026-01-05.md.def456.tmp"
    other = tmp_path / ".2026-01-06.md.abc123.tmp"
    for path in (old, young, other):
        path.write_text("half", encoding="utf-8")
    two_hours_ago = old.stat().st_mtime - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    os.utime(other, (two_hours_ago, two_hours_ago))
    remove_stale_temporaries(target)
    assert not old.exists() and young.exists() and other.exists() and target.exists()


def test_a_day_with_failed_llm_analyses_is_not_published_and_is_retried(tmp_path: Path) -> None:
    build_workspace(tmp_path, repos=1, per_day=2, extra_toml='\n[analysis]\nanalyzer = "llm"\n')
    args = [
        "run",
        "--from",
        "2026-01-05",
        "--to",
        "2026-01-06",
        "--output-dir",
        "out",
        "--summary-json",
        "s.json",
    ]
    with FakeLLM(fail_always=True) as fake:
        env = {"DAILYDIFF_LLM_BASE_URL": fake.base_url, "DAILYDIFF_LLM_MODEL": fake.model,
               "DAILYDIFF_LLM_RETRIES": "0", "DAILYDIFF_LLM_BACKOFF": "0"}  # fmt: skip
        down = dailydiff(*args, cwd=tmp_path, env=env, check=False)
        summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
        published_while_down = list((tmp_path / "out").rglob("*.*"))
        fake.fail_always = False
        up = dailydiff(*args, cwd=tmp_path, env=env, check=False)
    assert down.returncode == 6, down.stderr  # gated: too many failed analyses
    assert [d["status"] for d in summary["repos"][0]["days"]] == ["gated", "gated"]
    assert {p["status"] for d in summary["repos"][0]["days"] for p in d["publish"]} == {"skipped"}
    assert published_while_down == []
    assert up.returncode == 0, up.stderr
    again = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert [d["status"] for d in again["repos"][0]["days"]] == ["built", "built"]
    assert again["totals"]["analysed"] == 4 and len(list((tmp_path / "out").rglob("*.md"))) == 2


def test_llm_requests_in_flight_are_shared_between_repositories(tmp_path: Path) -> None:
    extra = '\n[analysis]\nanalyzer = "llm"\n\n[llm]\nconcurrency = 3\n\n[run]\nconcurrency = 3\n'
    build_workspace(tmp_path, repos=3, per_day=4, extra_toml=extra)
    args = ["run", "--from", "2026-01-05", "--to", "2026-01-06", "--summary-json", "s.json"]
    # The first three requests are held until all three are in flight (no wall time): they overlap.
    with FakeLLM(latency=0.05, overlap=3) as fake:
        env = {"DAILYDIFF_LLM_BASE_URL": fake.base_url, "DAILYDIFF_LLM_MODEL": fake.model}
        dailydiff(*args, cwd=tmp_path, env=env)
        overlapped, peak = fake.overlapped, fake.peak_active
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["totals"]["analysed"] == 3 * 2 * 4
    assert overlapped and peak == 3  # requests at once, and never more than [llm] concurrency


FOLD_TOML = """
[[publish]]
type = "slack"
url_env = "FOLD_SLACK"

[[publish]]
type = "webhook"
url_env = "FOLD_HOOK"

[[publish]]
type = "webhook"
name = "down"
url_env = "FOLD_DOWN"
retries = 0
"""


@pytest.mark.parametrize("verbose", [False, True])
def test_a_targets_deliveries_are_one_line_and_each_failure_its_own(tmp_path: Path, verbose: bool) -> None:
    """Issue 63 item 8: 2 repositories × 7 days × 2 chat targets printed one `✓ publish` line per delivery
    (28 here, 49 with the report files); now each target's deliveries are one line, a failed delivery
    keeps its own line with its reason, and --verbose shows every delivery again."""
    build_workspace(tmp_path, repos=2, per_day=1, extra_toml=FOLD_TOML)
    hooks = WebhookReceiver().start()
    try:
        urls = hooks.urls()
        env = {
            "FOLD_SLACK": urls["slack"],
            "FOLD_HOOK": urls["webhook"],
            "FOLD_DOWN": "http://127.0.0.1:9/none",
        }
        extra = ["--verbose"] if verbose else []
        result = dailydiff(*run_args(), *extra, cwd=tmp_path, env=env, check=False)
    finally:
        hooks.stop()
    assert result.returncode == 8, result.stderr  # one target of three failed every delivery
    assert len(hooks.received["slack"]) == 2 * DAYS and len(hooks.received["generic"]) == 2 * DAYS
    lines = [line.removeprefix("dailydiff: ").removeprefix("error: ") for line in result.stderr.splitlines()]
    ok = [line for line in lines if line.startswith("✓ publish")]
    failed = [line for line in lines if line.startswith("✗ publish down")]
    assert len(failed) == 2 * DAYS and all(": failed — " in line for line in failed), failed
    if verbose:
        assert len(ok) == 3 * 2 * DAYS, ok  # the report files, Slack and the webhook: every delivery
        return
    span = f"{FIRST_DAY}..{LAST_DAY.isoformat()[5:]}"
    assert sorted(ok) == sorted(
        f"✓ publish {target}: {2 * DAYS} delivered (proj0, proj1; {span})"
        for target in ("files", "slack", "webhook")
    ), result.stderr
    print(f"stderr: {len(lines)} lines, {len(ok)} ✓ publish lines")


def test_a_fleets_plan_asks_the_store_twice_whatever_its_size(tmp_path: Path) -> None:
    """A nightly `run` of 400 repositories is planned with two questions to the store (every repository's
    last day before the night, every repository's days in the look-back window), not two a repository: on
    PostgreSQL each is a round trip, before the first unit starts. What is planned is what it was: the
    nights a repository missed, a note for a gap past `catch_up_days`, a look-back where a day in the window
    has a report."""
    from dailydiff.engine.runner import Span, plan_run

    sample = next(p for p in sorted((Path(__file__).parents[1] / "golden").rglob("*.json"))
                  if '"commits"' in p.read_text(encoding="utf-8"))  # fmt: skip
    report = DayReport.model_validate_json(sample.read_text(encoding="utf-8"))
    repos = [f"octo/r{n:03d}" for n in range(400)]
    settings = load_settings(
        environ={},
        overrides={"repos": [{"source": r} for r in repos], "data_dir": str(tmp_path / "data"),
                   "report": {"timezone": "UTC", "language": "en"}, "run": {"lookback_days": 2, "catch_up_days": 3}},
    )  # fmt: skip
    stored = {
        "octo/r000": dt.date(2026, 1, 5),
        "octo/r001": dt.date(2026, 1, 8),
        "octo/r002": dt.date(2025, 12, 1),
    }
    with Store.open(tmp_path / "data") as store:
        store.save_reports(
            report.model_copy(update={"repo": r, "date": d, "language": "en"}) for r, d in stored.items()
        )
        statements: list[str] = []
        execute = store._db.execute

        def counted(sql: str, *args: object) -> object:
            statements.append(sql)
            return execute(sql, *args)

        store._db.execute = counted  # type: ignore[method-assign]
        span = Span(DateSpec(), dt.datetime(2026, 1, 10, 6, tzinfo=dt.UTC), catch_up=True, look_back=True)
        plan = plan_run(settings, plan_jobs(settings), span, store)
        store._db.execute = execute  # type: ignore[method-assign]
    assert len([s for s in statements if "reports" in s]) == 2, statements
    days = Counter(u.job.repo_id for u in plan.days())
    assert days["octo/r000"] == 4 and days["octo/r001"] == 1 and days["octo/r399"] == 1  # 6, 7, 8 and 9
    assert (
        days["octo/r002"] == 4 and sum(days.values()) == 400 + 3 + 3
    )  # its last 3 missed nights, and a note
    assert [u.key for u in plan.units.values() if u.kind == "look-back"] == ["look-back:octo/r001 2026-01-10"]
    assert any("octo/r002" in note and "catch_up_days = 3" in note for note in plan.notes)
