"""Issue 41: every unit kind is first-class — digest-days and weeks built from what their days left, every
configured repository named in every digest, empty and unfinished units kept from chat, the nights a cron
job missed caught up, and every delivery of every kind on stderr and in the summary."""

from __future__ import annotations

import datetime as dt
import json
import os
import posixpath
import re
import shutil
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from opsfixtures import FIRST_DAY, SHANGHAI, _git, build_fixture_repo, dailydiff
from webhook_receiver import WebhookReceiver

DAYS14 = [FIRST_DAY + dt.timedelta(days=i) for i in range(14)]  # commits on the first 7 only


def _env(hooks: WebhookReceiver, now: dt.datetime | None = None) -> dict[str, str]:
    env = {k: "" for k in os.environ if k.startswith("DAILYDIFF_LLM")}
    env["HOOK_SLACK"] = hooks.urls()["slack"]
    if now is not None:
        env["DAILYDIFF_RUN_NOW"] = now.isoformat()
    return env


def _workspace(root: Path, extra: str = "", *, repo_publishers: str = "[]") -> None:
    """Three repositories: a clone given by path without `name` (its origin says acme/proj0), a named one,
    and a named one whose days are in America/Los_Angeles."""
    for index in range(3):
        build_fixture_repo(root / "repos" / f"proj{index}", index, per_day=2)
    _git(root / "repos" / "proj0", "remote", "add", "origin", "https://github.com/acme/proj0.git")
    (root / "dailydiff.toml").write_text(
        f"""data_dir = "data"

[report]
formats = ["md", "json", "html"]

[[repos]]
source = "repos/proj0"
publishers = {repo_publishers}

[[repos]]
source = "repos/proj1"
name = "proj1"
publishers = {repo_publishers}

[[repos]]
source = "repos/proj2"
name = "proj2"
timezone = "America/Los_Angeles"
publishers = {repo_publishers}

[[publish]]
type = "files"
name = "archive"
directory = "archive"
path_template = "reports/{{year}}/{{repo_name}}/{{date}}.{{ext}}"
formats = ["md", "json", "html"]

[[publish]]
type = "slack"
name = "chat"
url_env = "HOOK_SLACK"
retries = 0
{extra}""",
        encoding="utf-8",
    )


def _relative_links(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        hrefs = [str(c.attrs["href"]) for t in MarkdownIt().parse(text) for c in t.children or []
                 if c.type == "link_open"]  # fmt: skip
    else:
        hrefs = re.findall(r'\bhref="([^"]+)"', text)
    return [h.split("#", 1)[0] for h in hrefs if "://" not in h and not h.startswith(("#", "mailto:")) and h]


def _commit_at(repo: Path, moment: dt.datetime, title: str) -> None:
    """One more commit, authored and committed at ``moment``."""
    stamp = f"{int(moment.timestamp())} +0800"
    (repo / f"{moment:%H%M}.txt").write_text(title + "\n", encoding="utf-8")
    _git(repo, "add", ".")
    env = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": "Late",
           "GIT_AUTHOR_EMAIL": "l@example.com", "GIT_COMMITTER_NAME": "Late", "GIT_COMMITTER_EMAIL": "l@example.com"}  # fmt: skip
    os.environ.update(env)
    try:
        _git(repo, "commit", "-q", "-m", title)
    finally:
        for key in env:
            os.environ.pop(key, None)


def _texts(payloads: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(p, ensure_ascii=False) for p in payloads]


def test_a_digest_names_every_repository_every_day_sends_nothing_empty_and_every_link_resolves(
    tmp_path: Path,
) -> None:
    _workspace(tmp_path, '\n[[digest]]\nname = "team"\npublishers = ["archive", "chat"]\n'
                         '\n[weekly]\npublishers = ["archive", "chat"]\nformats = ["md", "html"]\n',
               repo_publishers='["archive"]')  # fmt: skip
    hooks = WebhookReceiver().start()
    away = tmp_path / "repos" / "proj2.away"
    try:
        env = _env(hooks)
        day = lambda n: DAYS14[n].isoformat()  # noqa: E731
        dailydiff("run", "--from", day(0), "--to", day(1), cwd=tmp_path, env=env)
        (tmp_path / "repos" / "proj2").rename(away)  # one night a repository cannot be read
        failed = dailydiff(
            "run", "--date", day(2), "--summary-json", "s.json", cwd=tmp_path, env=env, check=False
        )
        away.rename(tmp_path / "repos" / "proj2")
        dailydiff("run", "--from", day(3), "--to", day(13), cwd=tmp_path, env=env)
    finally:
        hooks.stop()
    assert failed.returncode == 1, failed.stderr
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    [digest] = summary["digests"]
    assert digest["status"] == "built" and digest["missing"] == ["proj2"]
    assert hooks.violations == []
    # One digest per day (the Los Angeles repository's days do not make a second one), every repository
    # named every day, by its identity (the clone by what its origin says).
    files = sorted((tmp_path / "archive" / "reports" / "digests").rglob("*.md"))
    assert [f.stem for f in files] == [d.isoformat() for d in DAYS14]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert all(repo in text for repo in ("acme/proj0", "proj1", "proj2")), path
    third = (tmp_path / "archive" / "reports" / "digests" / "2026" / "team" / f"{DAYS14[2]}.md").read_text(
        encoding="utf-8"
    )
    assert "dailydiff run --date 2026-01-07" in third  # the missing day, with the command that fills it
    # Chat: one digest per day with commits (7), none for the 7 empty days; the weeks: W02 of the two
    # complete repositories (proj2's W02 lacks a day: held back, its files marked), none for the empty W03.
    slack = _texts(hooks.received.get("slack", []))
    digests = [t for t in slack if "team" in t]
    assert len(digests) == 7, len(digests)
    weeks = [t for t in slack if "W02" in t or "W03" in t]
    assert len(weeks) == 2 and all("W02" in t for t in weeks) and not any("proj2" in t for t in weeks)
    assert len(slack) == 9
    # Every relative link of every digest and week file resolves.
    checked = 0
    for path in [
        *files,
        *(tmp_path / "archive").rglob("weekly-*.md"),
        *(tmp_path / "archive" / "reports" / "digests").rglob("*.html"),
    ]:
        for href in _relative_links(path):
            target = Path(posixpath.normpath(str(path.parent / href)))
            assert target.is_file(), f"{path.relative_to(tmp_path)} links {href}, which does not exist"
            checked += 1
    assert checked >= 14 * 2


def test_a_digest_links_only_the_day_files_its_own_target_writes(tmp_path: Path) -> None:
    # proj1's days go to chat only: the archive has no file of them, so the archive's digest names proj1
    # (its line, its commits) without a link to a file that is not there; the others' links resolve.
    _workspace(tmp_path, '\n[[digest]]\nname = "team"\npublishers = ["archive"]\n',
               repo_publishers='["archive"]')  # fmt: skip
    config = tmp_path / "dailydiff.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('name = "proj1"\npublishers = ["archive"]', 'name = "proj1"\npublishers = ["chat"]'),
                      encoding="utf-8")  # fmt: skip
    hooks = WebhookReceiver().start()
    try:
        dailydiff("run", "--date", DAYS14[0].isoformat(), cwd=tmp_path, env=_env(hooks))
    finally:
        hooks.stop()
    assert not list((tmp_path / "archive" / "reports").rglob("proj1"))  # no day file of proj1 here
    checked = []
    for ext in ("md", "html"):
        path = tmp_path / "archive" / "reports" / "digests" / "2026" / "team" / f"{DAYS14[0]}.{ext}"
        assert "proj1" in path.read_text(encoding="utf-8")
        links = _relative_links(path)
        assert links and not any("proj1" in href for href in links), links
        for href in links:
            assert Path(posixpath.normpath(str(path.parent / href))).is_file(), f"{path.name} links {href}"
        checked += links
    assert any("proj0" in href for href in checked) and any("proj2" in href for href in checked)


def test_an_unfinished_day_goes_to_no_chat_and_the_settled_day_once_without_a_late_addendum(
    tmp_path: Path,
) -> None:
    _workspace(tmp_path, repo_publishers='["archive", "chat"]')
    day = FIRST_DAY
    hooks = WebhookReceiver().start()
    try:
        evening = dt.datetime.combine(day, dt.time(20, 0), tzinfo=SHANGHAI)
        today = dailydiff("run", "--date", "today", cwd=tmp_path, env=_env(hooks, evening))
        assert hooks.received.get("slack", []) == [], "an unfinished day was posted"
        # Each repository's chat delivery is held, said so on its own line, and counted in the summary.
        held = re.findall(r"… publish chat (\S+) (\S+): waiting — the day has not settled yet; sent once it "
                          r"is final", today.stderr)  # fmt: skip
        assert sorted(held) == [(repo, str(day)) for repo in ("acme/proj0", "proj1", "proj2")], today.stderr
        assert "3 day(s) built, 0 up to date, 3 not settled yet" in today.stderr, today.stderr
        assert (tmp_path / "archive" / "reports" / "2026" / "proj1" / f"{day}.md").is_file()  # files show it
        # A commit lands later that evening, then the next night's run.
        late = dt.datetime.combine(day, dt.time(22, 30), tzinfo=SHANGHAI)
        _commit_at(tmp_path / "repos" / "proj1", late, "fix: the evening's last commit")
        morning = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(4, 0), tzinfo=SHANGHAI)
        dailydiff("run", cwd=tmp_path, env=_env(hooks, morning))
        dailydiff("run", cwd=tmp_path, env=_env(hooks, morning))
    finally:
        hooks.stop()
    slack = _texts(hooks.received.get("slack", []))
    assert len(slack) == 3, slack  # the settled day once per repository (the LA one's day included)
    assert sum("proj1" in t and "3 个提交" in t for t in slack) == 1, slack  # the evening's commit in it
    assert not any("late" in t.lower() and "commit(s) for" in t for t in slack)


def test_missed_nights_are_caught_up_and_an_older_gap_is_named_with_its_command(tmp_path: Path) -> None:
    _workspace(tmp_path)  # [run] catch_up_days: the default, 7
    hooks = WebhookReceiver().start()
    try:

        def night(n: int) -> dt.datetime:
            return dt.datetime.combine(FIRST_DAY + dt.timedelta(days=n), dt.time(3, 0), tzinfo=SHANGHAI)

        dailydiff("run", cwd=tmp_path, env=_env(hooks, night(1)))  # builds day 0
        caught = dailydiff(
            "run", "--summary-json", "s.json", cwd=tmp_path, env=_env(hooks, night(5))
        )  # 3 nights missed
        skipped = dailydiff(
            "run", "--summary-json", "t.json", cwd=tmp_path, env=_env(hooks, night(16))
        )  # 10 nights missed (days 5 … 14), more than catch_up_days
    finally:
        hooks.stop()
    lines = [line for line in caught.stderr.splitlines() if "catching up" in line]
    # One line for the run (the Los Angeles repository's nights are a day behind Shanghai's: 4 days in all).
    assert len(lines) == 1 and "missed day(s)" in lines[0] and "proj1" in lines[0], caught.stderr
    built = {d["date"] for r in json.loads((tmp_path / "s.json").read_text())["repos"] for d in r["days"]
             if r["name"] == "proj1"}  # fmt: skip
    assert built == {(FIRST_DAY + dt.timedelta(days=n)).isoformat() for n in range(1, 5)}
    gap = [line for line in skipped.stderr.splitlines() if "older missed day(s) not built" in line]
    first, last = FIRST_DAY + dt.timedelta(days=5), FIRST_DAY + dt.timedelta(days=7)
    assert gap and f"dailydiff run --from {first} --to {last}" in gap[0], skipped.stderr
    later = {d["date"] for r in json.loads((tmp_path / "t.json").read_text())["repos"] for d in r["days"]
             if r["name"] == "proj1"}  # fmt: skip
    # the latest 7 missed days (8 … 14) and yesterday (15); days 5 … 7 named above, with their command
    assert later == {(FIRST_DAY + dt.timedelta(days=n)).isoformat() for n in range(8, 16)}


def test_stderr_and_the_summary_list_every_delivery_of_every_kind(tmp_path: Path) -> None:
    _workspace(tmp_path, '\n[[digest]]\nname = "team"\npublishers = ["archive"]\n\n[weekly]\npublishers = ["archive"]\n',
               repo_publishers='["archive"]')  # fmt: skip
    sunday = FIRST_DAY + dt.timedelta(days=6)
    # --verbose: a line per delivery (without it a target's deliveries are one folded line, issue 63 item 8)
    result = dailydiff("run", "--date", sunday.isoformat(), "--summary-json", "s.json", "--verbose", cwd=tmp_path,
                       env={k: "" for k in os.environ if k.startswith("DAILYDIFF_LLM")})  # fmt: skip
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    kinds = {d["kind"] for d in summary["deliveries"]}
    assert kinds == {"day", "digest", "week"}
    for delivery in summary["deliveries"]:
        assert f"publish {delivery['publisher']} {delivery['unit']}:" in result.stderr
    assert "[repos/proj0]" not in result.stderr and "acme/proj0" in result.stderr
    shutil.rmtree(tmp_path / "archive")


def test_a_failed_addendum_is_a_ledger_row_the_next_run_sends_once(tmp_path: Path) -> None:
    """An addendum whose target is down is owed, not lost: the next run sends it once, the one after nothing
    (issue 43's first case; the day itself was delivered before, so it is not sent again)."""
    _workspace(tmp_path, repo_publishers='["archive", "chat"]')
    day = FIRST_DAY
    hooks = WebhookReceiver().start()
    try:
        # Two nights later: the day is settled in Shanghai and in Los Angeles alike.
        night = dt.datetime.combine(day + dt.timedelta(days=2), dt.time(3, 0), tzinfo=SHANGHAI)
        dailydiff("run", "--date", day.isoformat(), cwd=tmp_path, env=_env(hooks, night))
        before = len(hooks.received.get("slack", []))
        moment = dt.datetime.combine(day, dt.time(23, 50), tzinfo=SHANGHAI)
        _commit_at(tmp_path / "repos" / "proj1", moment, "fix: made at 23:50, pushed at 02:30")
        hooks.script["slack"] = [500]  # the addendum's only attempt fails
        later = night + dt.timedelta(days=1)
        down = dailydiff("run", "--date", day.isoformat(), cwd=tmp_path, env=_env(hooks, later), check=False)
        assert down.returncode == 8, down.stderr
        assert len(hooks.received.get("slack", [])) == before, down.stderr
        dailydiff("run", "--date", day.isoformat(), cwd=tmp_path, env=_env(hooks, later))
        dailydiff("run", "--date", day.isoformat(), cwd=tmp_path, env=_env(hooks, later))
    finally:
        hooks.stop()
    sent = _texts(hooks.received.get("slack", []))[before:]
    assert len(sent) == 1 and "made at 23:50" in sent[0], sent  # the addendum, once


def test_a_range_ends_with_one_total_line_and_digest_writes_its_summary(tmp_path: Path) -> None:
    """Issue 46 items 7 and 8: `report` over a range ends with one total line; `digest` takes --summary-json
    (and --verbose) like the other commands that run units."""
    _workspace(tmp_path, '\n[[digest]]\nname = "team"\npublishers = ["archive"]\n')
    env = {k: "" for k in os.environ if k.startswith("DAILYDIFF_LLM")}
    first, last = DAYS14[0].isoformat(), DAYS14[2].isoformat()
    ranged = dailydiff(
        "report", "repos/proj1", "--from", first, "--to", last, "-o", "out", cwd=tmp_path, env=env
    )
    totals = [line for line in ranged.stderr.splitlines() if line.startswith("total:")]
    assert totals == [totals[0]] and totals[0].startswith("total: 3 days, 6 commits; this run: analysed 6"), (
        totals
    )
    dailydiff("run", "--from", first, "--to", last, cwd=tmp_path, env=env)
    dailydiff("digest", "--from", first, "--to", last, "--publish", "--force", "--summary-json", "d.json", "-v",
              cwd=tmp_path, env=env)  # fmt: skip
    summary = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    assert summary["command"] == "digest" and len(summary["digests"]) == 3
    assert {d["kind"] for d in summary["deliveries"]} == {"digest"} and len(summary["deliveries"]) == 3
