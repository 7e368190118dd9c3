"""Issue 85, a fifth first day — what the first pass left: each as a test that failed before its fix."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from alertkit import add_three, alerts_received, config_text, env_for, make_repo, python
from gitrepo import CommitSpec, FileEdit, build_repo
from netports import free_port
from opsfixtures import cli_env
from webhook_receiver import WebhookReceiver


def _dailydiff(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python(), "-m", "dailydiff", *args], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=180)  # fmt: skip


def test_watch_once_whose_every_alert_failed_exits_7_in_one_line(tmp_path: Path) -> None:
    """`watch --once` from cron: every alert of the look failed (the chat is down) — exit 7 (every delivery
    failed), one line saying so; the next look sends them (the ledger owes them)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    shas = add_three(make_repo(tmp_path, now), now)
    (tmp_path / "dailydiff.toml").write_text(config_text(tmp_path / "repo"), encoding="utf-8")
    hooks = WebhookReceiver().start()
    try:
        down = env_for(hooks, DD_TEST_HOOK_URL=f"http://127.0.0.1:{free_port()}/hook")
        failed = _dailydiff(tmp_path, down, "watch", "--once", "-c", "dailydiff.toml", "--data-dir", "data")
        again = _dailydiff(
            tmp_path, env_for(hooks), "watch", "--once", "-c", "dailydiff.toml", "--data-dir", "data"
        )
    finally:
        hooks.stop()
    assert failed.returncode == 7, (failed.returncode, failed.stderr)
    errors = [line for line in failed.stderr.splitlines() if "publish step" in line]
    assert len(errors) == 1 and "2 of 2 publish step(s) failed (hook)" in errors[0], failed.stderr
    assert "Traceback" not in failed.stderr and "retried next time; hook: " in failed.stderr
    assert again.returncode == 0, again.stderr
    assert sorted(a["sha"] for a in alerts_received(hooks)) == sorted(shas[:2])


DAY = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def test_a_files_target_in_a_directory_named_reports_writes_reports_year_not_reports_reports(
    tmp_path: Path,
) -> None:
    """`directory = "reports"` is the reports' root: reports/2026/widgets/2026-03-02.md, as `-o reports`
    writes it — not reports/reports/2026/…; a path_template written out is taken as it is."""
    build_repo(
        tmp_path / "repo", [CommitSpec("feat: start", DAY.replace(hour=8), edits=[FileEdit("a.py", "x\n")])]
    )
    (tmp_path / "dailydiff.toml").write_text(
        'data_dir = "data"\n[report]\ntimezone = "UTC"\n[analysis]\nanalyzer = "heuristic"\n'
        '[[repos]]\nsource = "repo"\nname = "acme/widgets"\n'
        '[[publish]]\ntype = "files"\nname = "archive"\ndirectory = "reports"\n'
        '[[publish]]\ntype = "files"\nname = "mine"\ndirectory = "site/reports"\n'
        'path_template = "reports/{date}.{ext}"\n',
        encoding="utf-8",
    )
    env = {**cli_env(), "DAILYDIFF_RUN_NOW": (DAY + dt.timedelta(days=1, hours=9)).isoformat()}
    done = _dailydiff(tmp_path, env, "run", "-c", "dailydiff.toml")
    assert done.returncode == 0, done.stderr
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.md") if "repo" not in p.parts)
    assert written == ["reports/2026/widgets/2026-03-02.md", "site/reports/reports/2026-03-02.md"], written


def test_the_unreleased_section_of_release_notes_carries_no_date(tmp_path: Path) -> None:
    """Keep a Changelog's `## [Unreleased]` (git-cliff's `## [unreleased]`): what no release holds has no
    date until it is released — not today's date, as if released today; a tag's section keeps its date."""
    from gitrepo import git

    shas = build_repo(tmp_path / "repo", [
        CommitSpec(f"feat: step {n}", DAY.replace(hour=n + 1), edits=[FileEdit("a.py", f"x = {n}\n")]) for n in range(3)
    ])  # fmt: skip
    git(tmp_path / "repo", "tag", "v1.0", shas[0])
    env = cli_env(DAILYDIFF_DATA_DIR=str(tmp_path / "data"))
    said = {lang: _dailydiff(tmp_path, env, "notes", "repo", "--unreleased", "--analyzer", "heuristic", "--lang", lang)
            for lang in ("en", "zh")}  # fmt: skip
    tagged = _dailydiff(
        tmp_path, env, "notes", "repo", "v1.0..HEAD", "--analyzer", "heuristic", "--lang", "en"
    )
    page = _dailydiff(
        tmp_path, env, "notes", "repo", "--unreleased", "--analyzer", "heuristic", "--format", "html"
    )
    assert [said["en"].stdout.splitlines()[0], said["zh"].stdout.splitlines()[0]] == [
        "## [Unreleased]",
        "## [未发布]",
    ]
    assert tagged.stdout.startswith("## [HEAD] - 2026-03-02\n"), tagged.stdout
    assert f"{dt.date.today()}" not in page.stdout and "..HEAD · 未发布</p>" in page.stdout, page.stdout
    assert "<h1>发布说明：repo 未发布</h1>" in page.stdout, page.stdout


def test_a_conventional_revert_with_a_scope_is_read_whole_and_folded_with_what_it_undid(
    tmp_path: Path,
) -> None:
    """Item 10: `revert(attn): add sliding window` undoes the range's `feat(attn): add sliding window`: one
    entry, the revert folded in; `revert(moe): …` of a change released before says it takes it back
    (never "(moe): add fused MoE kernel", nor a bare "Add fused MoE kernel" that reads as an addition)."""
    import json

    from gitrepo import git

    titles = ["feat(moe): add fused MoE kernel", "feat(attn): add sliding window",
              "revert(attn): add sliding window", "revert(moe)!: add fused MoE kernel"]  # fmt: skip
    shas = build_repo(tmp_path / "repo", [
        CommitSpec(title, DAY.replace(hour=n + 1), edits=[FileEdit("a.py", f"x = {n}\n")]) for n, title in enumerate(titles)
    ])  # fmt: skip
    git(tmp_path / "repo", "tag", "v1.0", shas[0])
    env = cli_env(DAILYDIFF_DATA_DIR=str(tmp_path / "data"))
    done = _dailydiff(
        tmp_path,
        env,
        "notes",
        "repo",
        "--since-tag",
        "--analyzer",
        "heuristic",
        "--format",
        "json",
        "--lang",
        "en",
    )
    assert done.returncode == 0, done.stderr
    entries = {
        e["text"]: [(c["sha"], c["role"]) for c in e["commits"]] for e in json.loads(done.stdout)["entries"]
    }
    assert entries == {"Add sliding window": [(shas[1], "change"), (shas[2], "revert")],
                       'Revert "add fused MoE kernel"': [(shas[3], "change")]}, entries  # fmt: skip


def test_the_notes_overview_is_punctuated_and_counted_in_its_language(tmp_path: Path) -> None:
    """Item 16: the zh overview's lists take 「；」 and 「项」, the en one says "1 author", "1 fix"."""
    titles = ["feat: add the planner", "fix: the planner's edge", "feat: add the scheduler", "docs: a guide"]
    build_repo(tmp_path / "repo", [
        CommitSpec(title, DAY.replace(hour=n + 1), edits=[FileEdit("a.py", f"x = {n}\n")]) for n, title in enumerate(titles)
    ])  # fmt: skip
    env = cli_env(DAILYDIFF_DATA_DIR=str(tmp_path / "data"))
    said = {lang: _dailydiff(tmp_path, env, "notes", "repo", "--unreleased", "--analyzer", "heuristic", "--lang", lang)
            .stdout.splitlines()[2] for lang in ("en", "zh")}  # fmt: skip
    assert said["en"].startswith(
        "Unreleased has 4 commits by 1 author: 2 features, 1 fix, 1 docs, tests and CI."
    ), said
    assert said["zh"].startswith(
        "未发布 包含 1 位作者的 4 个提交：2 项新功能、1 项修复、1 项文档、测试与 CI。"
    ), said
    assert "；" in said["zh"] and "; " not in said["zh"], said


def test_a_range_written_the_wrong_way_round_is_said_and_the_release_body_has_short_shas(
    tmp_path: Path,
) -> None:
    """Item 16: `notes v1.1..v1.0` (newer first) held no commit and exited 0 without a word: now exit 2 in
    one line naming the range to write; the release body names each commit by 12 digits, not 40."""
    import re

    from gitrepo import git

    shas = build_repo(tmp_path / "repo", [
        CommitSpec(f"feat: step {n}", DAY.replace(hour=n + 1), edits=[FileEdit("a.py", f"x = {n}\n")]) for n in range(3)
    ])  # fmt: skip
    git(tmp_path / "repo", "tag", "v1.0", shas[0])
    git(tmp_path / "repo", "tag", "v1.1", shas[2])
    env = cli_env(DAILYDIFF_DATA_DIR=str(tmp_path / "data"))
    wrong = _dailydiff(tmp_path, env, "notes", "repo", "v1.1..v1.0", "--analyzer", "heuristic")
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1, (wrong.returncode, wrong.stderr)
    assert "v1.0 is older than v1.1" in wrong.stderr and "write v1.0..v1.1" in wrong.stderr, wrong.stderr
    body = _dailydiff(
        tmp_path, env, "notes", "repo", "v1.0..v1.1", "--analyzer", "heuristic", "--format", "release"
    )
    assert body.returncode == 0, body.stderr
    assert not re.search(r"\b[0-9a-f]{40}\b", body.stdout) and f"{shas[2][:12]}" in body.stdout, body.stdout
    same = _dailydiff(tmp_path, env, "notes", "repo", "v1.0..v1.0", "--analyzer", "heuristic")
    assert same.returncode == 0, same.stderr  # an empty range written the right way is not refused


def test_a_run_over_days_before_yesterday_says_it_alerts_none_of_them(tmp_path: Path) -> None:
    """Item 6's other half: `run --from` over older days alerts nothing of them, and says so in one line (a
    night over yesterday says nothing of it)."""
    build_repo(tmp_path / "repo", [
        CommitSpec("fix(auth): check", DAY.replace(hour=h), edits=[FileEdit(f"src/auth/t{h}.py", "x\n")]) for h in (8, 9)
    ])  # fmt: skip
    topics = '[[watch]]\nname = "auth"\npaths = ["**/auth/**"]\nalert = ["hook"]\n'
    (tmp_path / "dailydiff.toml").write_text(config_text(tmp_path / "repo", topics=topics), encoding="utf-8")
    hooks = WebhookReceiver().start()
    try:
        env = {**env_for(hooks), "DAILYDIFF_RUN_NOW": (DAY + dt.timedelta(days=5, hours=9)).isoformat()}
        old = _dailydiff(tmp_path, env, "run", "-c", "dailydiff.toml", "--data-dir", "data", "--from",
                         str(DAY.date() - dt.timedelta(days=1)), "--to", str(DAY.date()))  # fmt: skip
        night = _dailydiff(
            tmp_path, env, "run", "-c", "dailydiff.toml", "--data-dir", "night"
        )  # no missed days
    finally:
        hooks.stop()
    assert old.returncode == 0 and night.returncode == 0, (old.stderr, night.stderr)
    assert not alerts_received(hooks)
    said = [line for line in old.stderr.splitlines() if "not alerted" in line]
    assert said == ["dailydiff: warning: alerts: the commits of 2 day(s) before yesterday (2026-03-01, 2026-03-02) "
                    "are not alerted; [[watch]] alert covers yesterday and today"], old.stderr  # fmt: skip
    assert "not alerted" not in night.stderr, night.stderr


def test_doctor_says_one_repository_and_one_topic(tmp_path: Path) -> None:
    """Item 16's "1 repositories", seen again in `doctor`'s first line."""
    build_repo(
        tmp_path / "repo", [CommitSpec("feat: start", DAY.replace(hour=8), edits=[FileEdit("a.py", "x\n")])]
    )
    (tmp_path / "dailydiff.toml").write_text(
        'data_dir = "data"\n[[repos]]\nsource = "repo"\n[[watch]]\nname = "auth"\npaths = ["**/auth/**"]\n',
        encoding="utf-8",
    )
    done = _dailydiff(tmp_path, cli_env(), "doctor", "-c", "dailydiff.toml")
    assert "is valid (1 repository, 1 watch topic)" in done.stdout + done.stderr, done.stdout + done.stderr


def test_every_mcp_tool_names_its_filters_alike_and_a_wrong_name_is_one_line(tmp_path: Path) -> None:
    """Item 13: the tools took `repo`/`change_type` (search, ask, report) or `repository`/`type` (list_changes,
    get_commit), a wrong name was dropped without a word (a search for `repository` searched everything) or
    answered with pydantic's text, and `since: "yesterday"` was refused though `report --date` takes it."""
    import json

    from test_mcp import _session, _text

    build_repo(tmp_path / "repo", [
        CommitSpec("feat(attention): add a paged KV cache", DAY.replace(hour=9), edits=[FileEdit("attn.py", "x\n")]),
        CommitSpec("fix(sampling): guard top-p", DAY.replace(hour=11), edits=[FileEdit("sampling.py", "y\n")]),
    ])  # fmt: skip
    env = cli_env(DAILYDIFF_DATA_DIR=str(tmp_path / "data"))
    args = (
        "report",
        "repo",
        "--date",
        str(DAY.date()),
        "--tz",
        "UTC",
        "--lang",
        "en",
        "--name",
        "acme/widgets",
    )
    assert _dailydiff(tmp_path, env, *args, "--analyzer", "heuristic", "--quiet").returncode == 0
    seen: dict[str, object] = {}

    async def body(client: object) -> None:
        tools = {t.name: set(t.input_schema["properties"]) for t in (await client.list_tools()).tools}  # type: ignore[attr-defined]
        seen["tools"] = tools
        for key, (tool, arguments) in {
            "wrong": ("search", {"question": "cache", "repo": ["acme/widgets"]}),
            "kind": ("list_changes", {"limit": "many"}),
            "filtered": ("search", {"question": "cache", "repository": "acme/widgets", "type": "feature",
                                    "level": ["high", "medium", "low"], "since": "2026-03-01"}),
            "yesterday": ("list_changes", {"since": "yesterday"}),
            "report": ("report", {"repository": "acme/widgets", "date": "2026-03-02"}),
        }.items():  # fmt: skip
            result = await client.call_tool(tool, arguments)  # type: ignore[attr-defined]
            seen[key] = (result.is_error, _text(result))

    _session(tmp_path, {"DAILYDIFF_DATA_DIR": str(tmp_path / "data")}, body)
    tools = seen["tools"]
    assert isinstance(tools, dict)
    for name, takes in tools.items():
        assert not takes & {"repo", "change_type", "types", "repos"}, (name, takes)
    for name in ("search", "ask", "list_changes"):
        assert {"repository", "since", "until", "type", "level", "path"} <= tools[name], (name, tools[name])
    assert "repository" in tools["report"] and "repository" in tools["get_commit"]
    error, text = seen["wrong"]  # type: ignore[misc]
    assert error and text == ("search takes no argument 'repo'; its arguments: level, limit, path, question, "
                              "repository, since, topic, type, until"), text  # fmt: skip
    error, text = seen["kind"]  # type: ignore[misc]
    assert (
        error and "\n" not in text and "pydantic" not in text and text.startswith("list_changes: limit: ")
    ), text
    error, text = seen["filtered"]  # type: ignore[misc]
    found = json.loads(text)
    assert not error and [h["title"] for h in found["commits"]] == [
        "feat(attention): add a paged KV cache"
    ], text
    assert found["filters"]["repos"] == ["acme/widgets"] and found["filters"]["change_types"] == ["feature"]
    error, text = seen["yesterday"]  # type: ignore[misc]
    assert not error, text
    error, text = seen["report"]  # type: ignore[misc]
    assert not error and "acme/widgets" in text, text


def test_stakeholder_themes_name_capabilities_and_the_weeks_before_count_in_any_language(
    tmp_path: Path,
) -> None:
    """Item 11: a theme names what its most important commits do (not only a kind, areas and a fixed
    sentence); a CI theme over .github keeps its label in Chinese ("CI/构建", never an empty title); a week
    with no week stored before does not call every contributor new; an English edition over weeks built in
    Chinese compares with the week before (never "first week")."""
    from gitrepo import git

    w1, w2 = DAY, DAY + dt.timedelta(days=7)
    specs = [("feat(attention): add a paged KV cache for the decode kernels", w1, "src/attention/decode.py"),
             ("ci: pin the GPU runner image", w1, ".github/workflows/ci.yml"),
             ("feat(moe): support FP8 experts in the fused MoE path", w2, "src/moe/fused.py"),
             ("ci: cache the wheels between jobs", w2, ".github/labeler.yml")]  # fmt: skip
    build_repo(tmp_path / "repo", [CommitSpec(t, when.replace(hour=9 + n), edits=[FileEdit(p, f"x = {n}\n")])
                                   for n, (t, when, p) in enumerate(specs)])  # fmt: skip
    git(tmp_path / "repo", "remote", "add", "origin", "https://github.com/acme/widgets.git")
    env = cli_env(DAILYDIFF_DATA_DIR=str(tmp_path / "data"))
    common = ("--tz", "UTC", "--analyzer", "heuristic", "--quiet")
    for lang, first in (("zh", w1), ("en", w2)):
        built = _dailydiff(tmp_path, env, "report", "repo", "--from", str(first.date()), "--to",
                           str(w2.date() + dt.timedelta(days=6)), "--lang", lang, *common)  # fmt: skip
        assert built.returncode == 0, built.stderr
    weekly = ("weekly", "repo", "--tz", "UTC")
    zh = _dailydiff(tmp_path, env, *weekly, "--week", "2026-W11", "--lang", "zh", "--audience", "stakeholder")
    en = _dailydiff(tmp_path, env, *weekly, "--week", "2026-W11", "--lang", "en", "--audience", "stakeholder")
    first = _dailydiff(tmp_path, env, *weekly, "--week", "2026-W10", "--lang", "zh")
    assert zh.returncode == en.returncode == first.returncode == 0, (zh.stderr, en.stderr, first.stderr)
    assert "support FP8 experts in the fused MoE path" in en.stdout, en.stdout  # the capability, named
    assert "「support FP8 experts in the fused MoE path」" in zh.stdout, zh.stdout
    assert "- **CI/构建** (1)" in zh.stdout and "- **** " not in zh.stdout, zh.stdout
    assert "first week" not in en.stdout and "No week before" not in en.stdout, en.stdout
    assert "Commits: 2 (same)" in en.stdout or "Commits: 2" in en.stdout, en.stdout
    assert "贡献者：1（此前没有存储的周：无法判断谁是新贡献者）" in first.stdout, first.stdout
    assert "修复占比：0%（2 个中 0 个；占比持平）" in zh.stdout, zh.stdout  # not "持平 个百分点"


def test_an_empty_messages_summary_starts_with_what_it_changed_not_a_stop() -> None:
    """Item 16: a commit with an empty message (or a body alone) had a summary starting with ". "."""
    from dailydiff.analysis.heuristic import HeuristicAnalyzer
    from dailydiff.models import Commit, FileChange, Level, Person, Score, Stats

    person = Person(name="Ada", email="ada@x.org")
    for message, lang, start in (("", "en", "Changes 1 file"), ("", "zh", "改动 1 个文件"),
                                 ("\n\nbody only", "en", "body only. Changes 1 file")):  # fmt: skip
        commit = Commit(repo="o/r", sha="b" * 40, author=person, committer=person, authored_at=DAY, committed_at=DAY,
                        message=message, files=[FileChange(path="src/a.py", additions=3, deletions=1)],
                        stats=Stats(additions=3, deletions=1, files=1))  # fmt: skip
        summary = (
            HeuristicAnalyzer().analyse(commit, Score(level=Level.LOW, score=1.0), Level.LOW, lang).summary
        )
        assert summary.startswith(start), (message, lang, summary)


def test_a_review_bots_accepted_suggestion_is_not_a_coding_agents_commit() -> None:
    """Item 16: `Co-authored-by: gemini-code-assist[bot]` (9 of flashinfer's commits since June) is a review
    suggestion a person accepted, not a commit a coding agent wrote; a Claude trailer still is."""
    from dailydiff.models import Commit, Person
    from dailydiff.scoring.agents import agent_of

    person = Person(name="Ada", email="ada@x.org")

    def trailer(line: str) -> Commit:
        return Commit(repo="o/r", sha="c" * 40, author=person, committer=person, authored_at=DAY, committed_at=DAY,
                      message=f"fix: a guard\n\n{line}")  # fmt: skip

    review = (
        "Co-authored-by: gemini-code-assist[bot] <176961590+gemini-code-assist[bot]@users.noreply.github.com>"
    )
    rabbit = "Co-authored-by: coderabbitai[bot] <136622811+coderabbitai[bot]@users.noreply.github.com>"
    assert agent_of(trailer(review)) is None and agent_of(trailer(rabbit)) is None
    assert agent_of(trailer("Co-authored-by: Claude <noreply@anthropic.com>")) == "Claude"


def test_the_days_highlights_say_how_many_more_of_that_importance_there_are() -> None:
    """Item 16: flashinfer's 2026-08-20 had 9 high commits and the overview showed 5, saying nothing of the
    other 4; now its last line counts them. Five or fewer: no such line."""
    from dailydiff.analysis.heuristic.analyser import heuristic_overview
    from dailydiff.models import Level, Person, ReportCommit, Score

    person = Person(name="Ada", email="ada@x.org")

    def day(n: int) -> list[ReportCommit]:
        return [ReportCommit(repo="o/r", sha=f"{i:x}" * 40, author=person, committer=person, authored_at=DAY,
                             committed_at=DAY + dt.timedelta(minutes=i), message=f"feat: kernel number {i}",
                             score=Score(level=Level.HIGH, score=20.0 - i), analysis=None, level=Level.HIGH)
                for i in range(1, n + 1)]  # fmt: skip

    nine = heuristic_overview(day(9), "en").highlights
    assert len(nine) == 6 and nine[-1] == "🔴 … 4 more of the same importance", nine
    assert heuristic_overview(day(9), "zh").highlights[-1] == "🔴 … 另有 4 个同等重要的提交"
    assert len(heuristic_overview(day(5), "en").highlights) == 5


def test_the_days_line_adds_up_with_its_merges(tmp_path: Path) -> None:
    """Item 16: "3 commits …; this run: analysed 2, cached 0, fallback 0, failed 0" left the merge out of the
    run's sum: it is said (not analysed)."""
    from gitrepo import commit, git

    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: start", DAY.replace(hour=8), edits=[FileEdit("a.py", "x\n")])])
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, CommitSpec("fix: side work", DAY.replace(hour=9), edits=[FileEdit("b.py", "y\n")]))
    git(repo, "checkout", "-q", "-")
    stamp = DAY.replace(hour=10).isoformat()
    subprocess.run(["git", "merge", "--no-ff", "-q", "-m", "Merge branch side", "side"], cwd=repo, check=True,
                   env={**cli_env(), "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": "a",
                        "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b"})  # fmt: skip
    env = cli_env(DAILYDIFF_DATA_DIR=str(tmp_path / "data"))
    done = _dailydiff(tmp_path, env, "report", "repo", "--date", str(DAY.date()), "--tz", "UTC", "--analyzer",
                      "heuristic", "-o", "out")  # fmt: skip
    assert done.returncode == 0, done.stderr
    [line] = [x for x in done.stderr.splitlines() if " commits (" in x]
    assert "this run: analysed 2, cached 0, fallback 0, failed 0, merges 1 (not analysed)" in line, line


def test_doctor_tries_a_github_publishers_token_on_its_repository(tmp_path: Path) -> None:
    """Item 16: `doctor` said nothing of a github-contents target's token: now a token GitHub refuses, one
    that may only read, and one that may write are three different lines (nothing written)."""
    from fake_github_publish import FakeGitHubPublish

    build_repo(
        tmp_path / "repo", [CommitSpec("feat: start", DAY.replace(hour=8), edits=[FileEdit("a.py", "x\n")])]
    )
    github = FakeGitHubPublish(token="ghp-fake-token").start()
    said: dict[str, str] = {}
    try:
        (tmp_path / "dailydiff.toml").write_text(
            'data_dir = "data"\n[[repos]]\nsource = "repo"\n'
            '[[publish]]\ntype = "github-contents"\nname = "archive"\nrepository = "acme/reports"\n'
            f'api_url = "{github.url}"\ntoken_env = "DD_TEST_GH_TOKEN"\nretries = 0\n',
            encoding="utf-8",
        )
        for case, token in (
            ("refused", "ghp-wrong-token"),
            ("read", "ghp-fake-token"),
            ("write", "ghp-fake-token"),
        ):
            github.read_only = case == "read"
            done = _dailydiff(tmp_path, cli_env(DD_TEST_GH_TOKEN=token), "doctor", "-c", "dailydiff.toml")
            said[case] = next(
                (x for x in (done.stdout + done.stderr).splitlines() if "publisher archive" in x), ""
            )
    finally:
        github.stop()
    assert said["refused"].startswith("✗") and "rejected the token in $DD_TEST_GH_TOKEN" in said["refused"], (
        said
    )
    assert said["read"].startswith("✗") and "may read acme/reports" in said["read"], said
    assert said["write"].startswith("✓") and "may write to acme/reports" in said["write"], said
    assert not [c for c in github.requests if c[0] != "GET"] and "ghp-wrong" not in str(said)
