"""Options and failure paths no other test reached: merges left out, truncated patches, an empty
repository, a user's own report template, `run --jobs`, `publish --from/--to/--repo`, duplicate publisher
names. Each test makes the option change what comes out, so a flag that stopped working fails here."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from clirun import dailydiff as run
from dailydiff.common.timewindow import day_window
from dailydiff.sources.git import GitSource
from gitrepo import CommitSpec, FileEdit, commit, git, init_repo
from opsfixtures import FIRST_DAY, build_workspace
from webhook_receiver import WebhookReceiver

UTC = dt.UTC
DAY = dt.date(2026, 1, 19)


def at(hour: int) -> dt.datetime:
    return dt.datetime(2026, 1, 19, hour, tzinfo=UTC)


def report(repo: Path, tmp: Path, *extra: str, env: dict[str, str] | None = None):
    return run("report", str(repo), "--date", DAY.isoformat(), "--tz", "UTC", "--lang", "en", "--analyzer",
               "heuristic", "--data-dir", str(tmp / "data"), "--format", "json", *extra, cwd=tmp, env=env)  # fmt: skip


@pytest.fixture
def merged(tmp_path: Path) -> Path:
    """main: base, a commit, then a merge of `side` (one commit) — all on 19 January (UTC)."""
    repo = init_repo(tmp_path / "merged")
    commit(repo, CommitSpec("feat: base", at(1), edits=[FileEdit("a.py", "a = 1\n")]))
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, CommitSpec("feat: side work", at(2), edits=[FileEdit("b.py", "b = 2\n")]))
    git(repo, "checkout", "-q", "main")
    commit(repo, CommitSpec("fix: main work", at(3), edits=[FileEdit("a.py", "a = 3\n")]))
    stamp = at(4).strftime("%Y-%m-%dT%H:%M:%S%z")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side",
        env={"GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_DATE": stamp})  # fmt: skip
    return repo


def titles(result, out: Path) -> list[str]:
    assert result.returncode == 0, result.stderr
    (written,) = out.rglob("*.json")
    return sorted(c["title"] for c in json.loads(written.read_text(encoding="utf-8"))["commits"])


def test_include_merges_false_leaves_merge_commits_out_and_keeps_the_rest(
    merged: Path, tmp_path: Path
) -> None:
    everything = titles(report(merged, tmp_path, "-o", str(tmp_path / "all")), tmp_path / "all")
    assert everything == ["Merge branch 'side'", "feat: base", "feat: side work", "fix: main work"]
    (tmp_path / "no-merges.toml").write_text("[git]\ninclude_merges = false\n")
    without = titles(
        report(
            merged,
            tmp_path,
            "--config",
            str(tmp_path / "no-merges.toml"),
            "--force",
            "-o",
            str(tmp_path / "no"),
        ),
        tmp_path / "no",
    )
    assert without == ["feat: base", "feat: side work", "fix: main work"]


def test_the_late_commit_check_lists_what_the_day_lists_with_merges_left_out(merged: Path) -> None:
    window = day_window(DAY, "UTC")
    for include_merges in (False, True):
        source = GitSource(path=merged, repo="merged", include_merges=include_merges)
        day = {c.sha for c in source.commits(window)}
        assert {sha for sha, _ in source.shas_in(window)} == day and len(day) == 3 + include_merges


def test_a_patch_over_max_patch_bytes_is_cut_at_a_line_and_marked_truncated(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "big")
    body = "".join(f"line {n:04d} of a long file\n" for n in range(400))  # 25 bytes a line
    commit(
        repo,
        CommitSpec("feat: big file", at(5), edits=[FileEdit("big.txt", body), FileEdit("s.py", "x = 1\n")]),
    )
    (found,) = GitSource(path=repo, repo="big", max_patch_bytes=1000).commits(day_window(DAY, "UTC"))
    files = {f.path: f for f in found.files}
    big, small = files["big.txt"], files["s.py"]
    assert big.patch_truncated and not small.patch_truncated
    assert big.patch is not None and len(big.patch.encode()) <= 1000 and big.patch.endswith("\n")
    assert "+line 0000 of a long file\n" in big.patch and "line 0399" not in big.patch
    assert big.additions == 400  # the counts are the whole change's, not the cut patch's
    assert small.patch is not None and "+x = 1" in small.patch


def test_an_empty_repository_is_one_line_with_a_next_step(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "empty")  # `git init` and nothing else: no branch, no HEAD commit
    result = report(repo, tmp_path, "-o", str(tmp_path / "out"))
    assert result.returncode == 3, result.stderr
    assert (
        result.stderr
        == "dailydiff: error: empty has no commits yet — commit something first, or pick another repository\n"
    )
    assert not (tmp_path / "out").exists()


PROGRESS = re.compile(r"dailydiff: days \d+/\d+ · commits ")


def test_a_users_report_template_replaces_the_built_in_one(merged: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "report.md.j2").write_text(
        "OUR OWN REPORT {{ report.repo }} {{ report.date }}\n{% for c in report.commits %}- {{ c.sha[:7] }}\n{% endfor %}",
        encoding="utf-8",
    )
    (tmp_path / "own.toml").write_text(f'[report]\ntemplates_dir = "{templates}"\n')
    result = report(merged, tmp_path, "--config", str(tmp_path / "own.toml"), "--format", "md")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "OUR OWN REPORT merged 2026-01-19" and len(lines) == 5, result.stdout
    # A template that names what the report does not have fails with the template's name, not a traceback.
    (templates / "report.md.j2").write_text("{{ report.no_such_field.x }}", encoding="utf-8")
    broken = report(merged, tmp_path, "--config", str(tmp_path / "own.toml"), "--format", "md", "--force")
    assert broken.returncode == 2 and "your template" in broken.stderr and "report.md.j2" in broken.stderr
    # one line of error (the day was built before its files were rendered: its progress line comes first)
    said = [line for line in broken.stderr.strip().splitlines() if not PROGRESS.match(line)]
    assert "no_such_field" in broken.stderr and len(said) == 1, broken.stderr
    (templates / "report.md.j2").write_text("{% for %}", encoding="utf-8")  # not even a template
    syntax = report(merged, tmp_path, "--config", str(tmp_path / "own.toml"), "--format", "md", "--force")
    assert syntax.returncode == 2 and "your template" in syntax.stderr and "report.md.j2" in syntax.stderr


def test_run_jobs_one_takes_repositories_in_turn_and_more_take_them_at_once(tmp_path: Path) -> None:
    build_workspace(tmp_path, repos=3, per_day=1)
    day = ["--date", FIRST_DAY.isoformat(), "--analyzer", "heuristic"]

    def events(jobs: str, out: str) -> list[tuple[str, str]]:
        result = run("run", *day, "--jobs", jobs, "-o", out, cwd=tmp_path, env={"NO_COLOR": "1"})
        assert result.returncode == 0, result.stderr
        found = []
        for line in result.stderr.splitlines():
            for kind in ("start", "done"):
                if line.startswith("dailydiff: [proj") and line.split("] ", 1)[1].startswith(kind):
                    found.append((kind, line.split("[", 1)[1].split("]", 1)[0]))
        return found

    one = events("1", "one")
    assert one == [(k, f"proj{i}") for i in range(3) for k in ("start", "done")], one  # each before the next
    three = events("3", "three")
    assert [k for k, _ in three[:3]] == ["start"] * 3, three  # all three under way before any is done
    assert sorted(p.name for p in (tmp_path / "one").rglob("*.md")) == sorted(
        p.name for p in (tmp_path / "three").rglob("*.md")
    )


def test_publish_from_to_and_repo_send_exactly_the_days_asked_for(tmp_path: Path) -> None:
    build_workspace(tmp_path, repos=1, per_day=1)
    days = [FIRST_DAY + dt.timedelta(days=i) for i in range(3)]
    built = run("run", "--from", days[0].isoformat(), "--to", days[2].isoformat(), "--analyzer", "heuristic",
                cwd=tmp_path)  # fmt: skip
    assert built.returncode == 0, built.stderr
    receiver = WebhookReceiver().start()
    try:
        config = tmp_path / "hook.toml"
        config.write_text((tmp_path / "dailydiff.toml").read_text() + '\n[[publish]]\ntype = "webhook"\n'
                          'url_env = "HOOK_URL"\n')  # fmt: skip
        env = {"HOOK_URL": receiver.urls()["webhook"]}
        sent = run("publish", "elsewhere/ignored", "--repo", "proj0", "--from", days[1].isoformat(), "--to",
                   days[2].isoformat(), "--config", str(config), cwd=tmp_path, env=env)  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        assert sorted(m["date"] for m in receiver.received["generic"]) == [d.isoformat() for d in days[1:]]
        assert {m["repo"] for m in receiver.received["generic"]} == {"proj0"}
        unknown = run("publish", "x", "--repo", "proj9", "--date", days[0].isoformat(), "--config", str(config),
                      cwd=tmp_path, env=env)  # fmt: skip
        assert unknown.returncode == 7 and "proj9" in unknown.stderr and "Traceback" not in unknown.stderr
        assert len(receiver.received["generic"]) == 2
    finally:
        receiver.stop()


def test_two_publishers_of_one_name_are_refused_in_one_line(tmp_path: Path) -> None:
    build_workspace(tmp_path, repos=1, per_day=1,
                    extra_toml='\n[[publish]]\ntype = "slack"\nname = "team"\nurl_env = "A"\n'
                               '\n[[publish]]\ntype = "discord"\nname = "team"\nurl_env = "B"\n')  # fmt: skip
    result = run("run", "--date", FIRST_DAY.isoformat(), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "duplicate publisher name 'team' (also publish[1])" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_store_copy_batch_writes_that_many_rows_a_transaction_and_loses_none(
    merged: Path, tmp_path: Path
) -> None:
    assert report(merged, tmp_path, "-o", str(tmp_path / "out")).returncode == 0  # 4 commits stored
    src, dst = tmp_path / "data" / "dailydiff.sqlite3", tmp_path / "copy" / "dailydiff.sqlite3"
    copied = run("store", "copy", str(src), str(dst), "--batch", "3", cwd=tmp_path)
    assert copied.returncode == 0, copied.stderr
    progress = [line.strip() for line in copied.stderr.splitlines() if line.startswith("  commits:")]
    assert progress == ["commits: 3 row(s)", "commits: 4 row(s)"], copied.stderr  # one line a batch
    from dailydiff.store import Store

    with Store.connect(src) as a, Store.connect(dst) as b:
        assert a.table_counts() == b.table_counts() and b.table_counts()["commits"] == 4
    refused = run("store", "copy", str(src), str(tmp_path / "other.sqlite3"), "--batch", "0", cwd=tmp_path)
    assert refused.returncode == 2 and "--batch" in refused.stderr
