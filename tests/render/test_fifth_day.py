"""Issue 85, a fifth first day: what a new user met, each as a test that failed before its fix."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from alertkit import alerts_received, env_for, python
from dailyrepos import build_daily_repo
from fake_github_publish import FakeGitHubPublish
from gitrepo import CommitSpec, FileEdit, build_repo
from opsfixtures import cli_env
from webhook_receiver import WebhookReceiver

DAY = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
NOW = DAY.replace(hour=12) + dt.timedelta(days=1)


def _run(
    cwd: Path, env: dict[str, str], *args: str, now: dt.datetime = NOW
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python(), "-m", "dailydiff", *args], cwd=cwd, capture_output=True, text=True,
                          env={**env, "DAILYDIFF_RUN_NOW": now.isoformat()}, timeout=180)  # fmt: skip


def _stores(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.name.endswith((".db", ".sqlite", ".sqlite3")))


def test_one_config_is_one_store_wherever_it_runs(tmp_path: Path) -> None:
    """Item 1: `data_dir`, a files target's directory and `[run] output_dir` written relative in the config
    are relative to the config file: the same config run from another directory (cron runs from $HOME)
    opens the same store, and the day already delivered is not sent again."""
    project, home = tmp_path / "project", tmp_path / "home"
    home.mkdir()
    build_repo(project / "repo", [CommitSpec("feat: start", DAY.replace(hour=8), edits=[FileEdit("a.py", "x = 1\n")]),
                                  CommitSpec("fix: edge", DAY.replace(hour=9), edits=[FileEdit("a.py", "x = 2\n")])])  # fmt: skip
    (project / "dailydiff.toml").write_text(
        'data_dir = "state"\n[report]\ntimezone = "UTC"\nlanguage = "en"\n[analysis]\nanalyzer = "heuristic"\n'
        '[run]\noutput_dir = "out"\n[[repos]]\nsource = "repo"\nname = "acme/widgets"\n'
        '[[publish]]\ntype = "webhook"\nname = "hook"\nurl_env = "DD_TEST_HOOK_URL"\nretries = 0\n'
        '[[publish]]\ntype = "files"\nname = "archive"\ndirectory = "reports"\n',
        encoding="utf-8",
    )
    hooks = WebhookReceiver().start()
    try:
        env = env_for(hooks)
        first = _run(project, env, "run", "-c", "dailydiff.toml")
        second = _run(home, env, "run", "-c", str(project / "dailydiff.toml"))
        read_only = _run(home, env, "search", "edge", "-c", str(project / "dailydiff.toml"))
    finally:
        hooks.stop()
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert read_only.returncode == 0, read_only.stderr
    days = [p for p in hooks.received.get("generic", []) if p.get("kind") not in ("alert", "alerts")]
    keys = [(p.get("kind"), p.get("repo"), p.get("date")) for p in days]
    assert len(keys) == len(set(keys)) and keys, keys  # 0 duplicates
    assert not alerts_received(hooks)
    assert len(_stores(tmp_path)) == 1 and _stores(project / "state"), _stores(tmp_path)
    assert list(home.iterdir()) == []  # nothing made where the command ran
    assert list((project / "reports").rglob("*.md")) and list((project / "out").rglob("*.md"))


SECRET_VALUE = "hunter2-Zq8v41"


def test_an_alert_names_file_line_and_rule_and_masks_what_it_matched(tmp_path: Path) -> None:
    """Item 2: with the README's own `diff = ['(?i)password\\s*=']` the password never reaches the channel,
    nor `watch test`'s output: the alert names the file, the line and the rule."""
    body = f"import os\n\nDB_PASSWORD = '{SECRET_VALUE}'\n"
    shas = build_repo(tmp_path / "repo", [
        CommitSpec("chore: start", DAY.replace(hour=8), edits=[FileEdit("README.md", "hi\n")]),
        CommitSpec("feat: connect to the db", DAY.replace(hour=10), edits=[FileEdit("src/db.py", body)]),
    ])  # fmt: skip
    topics = '[[watch]]\nname = "secrets"\ndiff = [\'(?i)password\\s*=\']\nalert = ["hook"]\n'
    (tmp_path / "dailydiff.toml").write_text(
        'data_dir = "data"\n[report]\ntimezone = "UTC"\nlanguage = "en"\n[analysis]\nanalyzer = "heuristic"\n'
        f'[[repos]]\nsource = "repo"\nname = "acme/widgets"\n{topics}'
        '[[publish]]\ntype = "webhook"\nname = "hook"\nurl_env = "DD_TEST_HOOK_URL"\nretries = 0\n'
        '[[publish]]\ntype = "slack"\nname = "slack"\nurl_env = "DD_TEST_SLACK_URL"\nretries = 0\n',
        encoding="utf-8",
    )
    (tmp_path / "dailydiff.toml").write_text(
        (tmp_path / "dailydiff.toml").read_text().replace('alert = ["hook"]', 'alert = ["hook", "slack"]')
    )
    hooks = WebhookReceiver().start()
    try:
        env = env_for(hooks, DD_TEST_SLACK_URL=hooks.urls()["slack"])
        tried = _run(
            tmp_path,
            env,
            "watch",
            "test",
            "secrets",
            shas[1],
            "-c",
            "dailydiff.toml",
            now=DAY.replace(hour=11),
        )
        ran = _run(tmp_path, env, "run", "-c", "dailydiff.toml", now=DAY.replace(hour=11))
    finally:
        hooks.stop()
    assert tried.returncode == 0 and ran.returncode == 0, (tried.stderr, ran.stderr)
    alerts = alerts_received(hooks)
    assert [a["sha"] for a in alerts] == [shas[1]]
    sent = b"".join(b for bodies in hooks.raw.values() for b in bodies).decode()
    assert hooks.received.get("slack")
    for text in (sent, tried.stdout, tried.stderr, ran.stdout, ran.stderr):
        assert SECRET_VALUE not in text and SECRET_VALUE[:6] not in text
    why = " ".join(alerts[0]["why"])
    assert "src/db.py:3" in why and "'(?i)password\\s*='" in why, why
    assert "src/db.py:3" in tried.stdout and "masked" in tried.stdout, tried.stdout


# Item 3: what each filter gets (real titles of flashinfer's history and of the rules' theme titles) and
# what a reader must read: whole words, never a word with a hole in it.
USER_LINES = [
    ("Fused MoE via CuTe for SM120 groupwise GEMM", "Fused MoE via CuTe for SM120 groupwise GEMM"),
    ("Add W4A16 support to the MoE kernels", "Add W4A16 support to the MoE kernels"),
    ("Log git commit hash on import (`flashinfer.__version__` >= 1)", "Log git commit hash on import"),
    ("Fix crash in `top_k_sampling` for empty input", "Fix crash in for empty input"),
    ("Move flashinfer/jit/core.py helpers into utils.py", "Move helpers into"),
    ("Speed up BatchDecodeWithPagedKVCacheWrapper.plan() on Hopper", "Speed up on Hopper"),
    ("Support FlashInfer on cuDNN and PyTorch nightly", "Support FlashInfer on cuDNN and PyTorch nightly"),
]


def test_the_user_audience_drops_whole_words_never_holes_in_them() -> None:
    from dailydiff.render.plainwords import plain  # notes --audience user and every stakeholder edition

    for line, expected in USER_LINES:
        assert plain(line) == expected, line
    for label in ("CI/Build in .github", "CI/Build", "Bug fixes in the MoE kernels"):
        assert plain(label).startswith(label.split(" in ")[0]), plain(label)


def test_a_stakeholder_chat_theme_keeps_its_label() -> None:
    from dailydiff.render.stakeholder_chat import stakeholder_message
    from dailydiff.render.week import Theme, WeekDigest

    theme = Theme(
        title="CI/Build in continuous integration", meaning="Builds stay green.", count=2, commits=[]
    )
    week = WeekDigest.model_construct(language="en", summary="", themes=[theme], signals=[], figures=None,
                                      comparison=None, repo="acme/widgets", week="2026-W10",
                                      start="2026-03-02", end="2026-03-08")  # fmt: skip
    text = "".join(
        span.text for section in stakeholder_message(week).sections for line in section.lines for span in line
    )
    assert "CI/Build in continuous integration (2)" in text and "Cuild" not in text, text


def _analysed(title: str, body: str, language: str, *, in_pr: bool = False, patch: str = "") -> str:
    from dailydiff.analysis.heuristic import HeuristicAnalyzer
    from dailydiff.models import Commit, FileChange, Level, Person, PullRequest, Score, Stats

    person = Person(name="Ada", email="ada@x.org")
    files = [FileChange(path="flashinfer/fused_moe/core.py", additions=12, deletions=3, patch=patch or None)]
    commit = Commit(repo="flashinfer-ai/flashinfer", sha="b" * 40, author=person, committer=person,
                    authored_at=DAY, committed_at=DAY, message=title if in_pr else f"{title}\n\n{body}", files=files,
                    stats=Stats(additions=12, deletions=3, files=1),
                    pr=PullRequest(number=4025, title=title, body=body) if in_pr else None)  # fmt: skip
    return (
        HeuristicAnalyzer()
        .analyse(commit, Score(level=Level.MEDIUM, score=6.0), Level.MEDIUM, language)
        .summary
    )


PR_BODY = (
    "PR #3738 moved the interleave helpers from `flashinfer.fused_moe.core` to `flashinfer.fused_moe.prepare`. "
    "That breaks downstream users that still import them from the old module.\n\nSecond paragraph, not needed."
)


@pytest.mark.parametrize("in_pr", [False, True])
def test_a_chinese_summary_quotes_what_the_english_one_quotes_as_the_pull_requests_words(in_pr: bool) -> None:
    """Item 4: the description's first paragraph, quoted and marked as the pull request's, beside the
    Chinese sentence; no topic taken from the description alone."""
    title = "fix(moe): restore legacy fused_moe.core imports for interleave helpers (#4025)"
    en = _analysed(title, PR_BODY, "en", in_pr=in_pr)
    zh = _analysed(title, PR_BODY, "zh", in_pr=in_pr)
    assert "PR #3738 moved the interleave helpers" in en
    assert zh.startswith("恢复「legacy fused_moe.core imports for interleave helpers」"), zh
    assert "拉取请求的描述原文：「PR #3738 moved the interleave helpers from" in zh, zh
    assert "old module.」" in zh and "Second paragraph" not in zh, zh
    doc = _analysed("docs: fix MSA and GDN doc-check findings (#4058)",
                    "Fix regressions reported in the v0.6.15 nightly doc check.", "zh")  # fmt: skip
    assert "夜间" not in doc.split("描述原文")[0], doc


@pytest.mark.parametrize(
    ("title", "lead"),
    [
        ("Close the gaps in the FP8 GEMM coverage", "弥合「the gaps in the FP8 GEMM coverage」"),
        ("Close the gap between the two backends", "弥合「the gap between the two backends」"),
        ("Close the socket on exit", "关闭「the socket on exit」"),
        ("Cover the MoE routing paths in tests", "覆盖「the MoE routing paths in tests」"),
        ("Make checkpoint worker importable", "使「checkpoint worker importable」"),
        (
            "close the nixl_ep transport gaps blocking the adapters",
            "弥合「the nixl_ep transport gaps blocking the adapters」",
        ),
        (
            "keep HEAD_DIM 256 prefill within 64 KiB smem on SM75",
            "控制「HEAD_DIM 256 prefill within 64 KiB smem on SM75」",
        ),
        ("Keep the old entry point", "保留「the old entry point」"),
        ("Add missing nvfp4 sizing branch", "补上「missing nvfp4 sizing branch」"),
    ],
)
def test_a_verb_is_chosen_by_its_sense(title: str, lead: str) -> None:
    """Item 4: a verb's sense is a row of the verb table (an action with its object), not a branch."""
    assert _analysed(title, "", "zh").startswith(lead), _analysed(title, "", "zh")


def test_the_new_names_put_the_api_before_helpers_and_tests() -> None:
    patch = "".join(f"+def {name}(x):\n+    return x\n" for name in
                    ("_gmean", "test_quantize", "_global_scale", "get_cc", "silu_and_mul_nvfp4_quantize"))  # fmt: skip
    summary = _analysed("feat: fused SwiGLU NVFP4 quantization", "", "en", patch=patch)
    assert "adds `get_cc`, `silu_and_mul_nvfp4_quantize`, `_gmean`" in summary, summary


def test_a_repository_whose_day_has_not_ended_is_pending_and_its_addendum_says_so(tmp_path: Path) -> None:
    """Item 5: at 01:00 UTC the day of a repository in Los Angeles has 7 hours to go: the night's digest
    says it is pending (and when its day ends), never "no report"; the next night's addendum is titled as
    one and carries only that repository."""
    for name, hour in (("east", 10), ("west", 20)):
        build_repo(tmp_path / name, [CommitSpec(f"feat: {name} work", DAY.replace(hour=hour), edits=[FileEdit("a.py", "x\n")])])  # fmt: skip
    (tmp_path / "dailydiff.toml").write_text(
        'data_dir = "data"\n[report]\ntimezone = "UTC"\nlanguage = "en"\n[analysis]\nanalyzer = "heuristic"\n'
        "[run]\nsettle = 0\n"
        '[[repos]]\nsource = "east"\nname = "acme/east"\n'
        '[[repos]]\nsource = "west"\nname = "acme/west"\ntimezone = "America/Los_Angeles"\n'
        '[[digest]]\nname = "team"\nrepos = ["*"]\npublishers = ["out", "hook"]\n'
        '[[publish]]\ntype = "files"\nname = "out"\ndirectory = "out"\nformats = ["md"]\n'
        '[[publish]]\ntype = "webhook"\nname = "hook"\nurl_env = "DD_TEST_HOOK_URL"\nretries = 0\n',
        encoding="utf-8",
    )
    hooks = WebhookReceiver().start()
    try:
        env = env_for(hooks)
        night = _run(tmp_path, env, "run", "-c", "dailydiff.toml", now=DAY + dt.timedelta(days=1, hours=1))
        digest = next((tmp_path / "out").rglob("digests/**/*.md")).read_text(encoding="utf-8")
        after = _run(tmp_path, env, "run", "-c", "dailydiff.toml", now=DAY + dt.timedelta(days=2, hours=1))
    finally:
        hooks.stop()
    assert night.returncode == 0 and after.returncode == 0, (night.stderr, after.stderr)
    digests = [p for p in hooks.received.get("generic", []) if "name" in p]
    assert [d["late"] for d in digests] == [False, True], digests
    night_digest, addendum = digests
    assert [r["repo"] for r in addendum["repos"]] == ["acme/west"] and addendum["total"] == 1
    assert not any("no report" in h.lower() for h in night_digest["overview"]["highlights"])
    assert [r["pending_until"] for r in night_digest["repos"] if r["repo"] == "acme/west"] == [
        "2026-03-03T08:00:00Z"
    ]
    assert "no report" not in digest.lower(), digest
    assert "pending" in digest and "2026-03-03 08:00" in digest, digest


WEEK = dt.date(2026, 3, 2)


def _contents_config(root: Path, github_url: str, branch: str, store: str) -> Path:
    build_daily_repo(root / "widgets", WEEK, 7, per_day=2)
    config = root / "dailydiff.toml"
    config.write_text(
        f'{store}[report]\ntimezone = "UTC"\nlanguage = "en"\n[analysis]\nanalyzer = "heuristic"\n'
        '[run]\nconcurrency = 4\n[[repos]]\nsource = "widgets"\nname = "acme/widgets"\n'
        f'[[publish]]\ntype = "github-contents"\nname = "archive"\nrepository = "acme/reports"\n'
        f'api_url = "{github_url}"\nbranch = "{branch}"\ntoken_env = "DD_TEST_GH_TOKEN"\nbackoff = 0.01\n'
        'formats = ["md", "json"]\n',
        encoding="utf-8",
    )
    return config


def _week_on(github: FakeGitHubPublish, branch: str) -> tuple[set[str], int]:
    """The days whose report files are on ``branch``, and the ref updates GitHub refused."""
    days = {path.rsplit("/", 1)[-1].split(".")[0] for (repo, b, path) in github.files if b == branch}
    refused = sum(1 for (_method, target) in github.refused if target.endswith(f"/heads/{branch}"))
    return days, refused


@pytest.mark.parametrize("workers", [1, 2])
def test_a_week_to_one_github_contents_branch_commits_every_day_in_that_run(
    tmp_path: Path, workers: int, request: pytest.FixtureRequest
) -> None:
    """Item 15: seven days to one github-contents branch, from one run and from two `--plan` workers on one
    shared store: every day committed by that run (the run's own commits no longer race each other)."""
    github = FakeGitHubPublish(token="ghp-fake-token", latency=0.03).start()  # two workers' sends overlap
    try:
        store = (
            f'[store]\nurl = "{request.getfixturevalue("pg_url")}"\n'
            if workers > 1
            else 'data_dir = "data"\n'
        )
        config = _contents_config(tmp_path, github.url, "main", store)
        env = cli_env(DD_TEST_GH_TOKEN="ghp-fake-token")
        args = [python(), "-m", "dailydiff", "run", "-c", str(config), "--from", str(WEEK), "--to",
                str(WEEK + dt.timedelta(days=6)), *(["--plan", "week"] if workers > 1 else [])]  # fmt: skip
        runs = [subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(workers)]  # fmt: skip
        done = [run.communicate(timeout=300) for run in runs]
    finally:
        github.stop()
    assert all(run.returncode == 0 for run in runs), done
    days, refused = _week_on(github, "main")
    assert days == {str(WEEK + dt.timedelta(days=n)) for n in range(7)}, (days, done)
    assert not any("keeps moving" in out + err for out, err in done), done
    # The sends to the branch take turns, in one process and across two workers (a hold in the store): no
    # ref update is refused and read again.
    assert refused == 0, github.refused


def test_an_alert_to_no_publish_entry_is_refused_before_anything_runs(tmp_path: Path) -> None:
    """Item 8: a topic alerting a name no [[publish]] entry has is exit 2 naming the key, nothing made."""
    build_repo(
        tmp_path / "repo", [CommitSpec("feat: start", DAY.replace(hour=8), edits=[FileEdit("a.py", "x\n")])]
    )
    (tmp_path / "dailydiff.toml").write_text(
        'data_dir = "data"\n[analysis]\nanalyzer = "heuristic"\n[[repos]]\nsource = "repo"\n'
        '[[watch]]\nname = "auth"\npaths = ["**/auth/**"]\nalert = ["security-chat"]\n'
        '[[publish]]\ntype = "webhook"\nname = "hook"\nurl_env = "DD_TEST_HOOK_URL"\n',
        encoding="utf-8",
    )
    for command in (["run"], ["watch", "--once"]):
        result = _run(tmp_path, cli_env(), *command, "-c", "dailydiff.toml")
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and "watch[1].alert" in result.stderr, result.stderr
        assert "'security-chat' is no [[publish]] entry's name (publishers: hook)" in result.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["store", "check", "--data-dir", "nothing-here"], 4, "no store at "),
        (["store", "reindex", "--data-dir", "nothing-here"], 4, "no store at "),
        (["store", "copy", "src", "mysql://u@db/x"], 2, "unknown store scheme 'mysql://'"),
        (["site", "build", "--output-dir", "/proc/dailydiff-site"], 74, "/proc/dailydiff-site"),
        (["report", "repo", "--date", "2026-03-02", "--analyzer", "llm"], 2, "llm.base_url"),
    ],
)
def test_exit_codes_and_stores_are_the_readmes(tmp_path: Path, args: list[str], code: int, said: str) -> None:
    """Item 12: each mistake exits with the README's code in one line, and leaves no store behind."""
    build_repo(
        tmp_path / "repo", [CommitSpec("feat: start", DAY.replace(hour=8), edits=[FileEdit("a.py", "x\n")])]
    )
    build_repo(
        tmp_path / "src", [CommitSpec("feat: start", DAY.replace(hour=8), edits=[FileEdit("a.py", "x\n")])]
    )
    (tmp_path / "src" / "dailydiff.sqlite3").write_bytes(b"")
    llm = {"DAILYDIFF_LLM_BASE_URL": "http//127.0.0.1:8080/v1"} if "llm" in args else {}
    env = cli_env(DAILYDIFF_DATA_DIR=str(tmp_path / "data"), **llm)
    if args[0] == "site":  # a store with a day to build the site of
        assert (
            _run(
                tmp_path, env, "report", "repo", "--date", "2026-03-02", "--analyzer", "heuristic"
            ).returncode
            == 0
        )
    result = _run(tmp_path, env, *args)
    assert result.returncode == code, (result.returncode, result.stderr)
    assert result.stderr.count("\n") == 1 and said in result.stderr and "Traceback" not in result.stderr, (
        result.stderr
    )
    assert not (tmp_path / "nothing-here").exists() and not (tmp_path / "mysql:").exists()


def test_ask_with_the_model_down_lists_the_retrieved_commits_with_one_warning(tmp_path: Path) -> None:
    """Item 9: the model's server is not there: the retrieved commits, as --no-llm lists them, one warning,
    exit 0 (5 is the README's code for a refused key)."""
    from netports import free_port

    build_repo(tmp_path / "repo", [CommitSpec("fix: the scheduler drops empty batches", DAY.replace(hour=8),
                                              edits=[FileEdit("sched.py", "x\n")])])  # fmt: skip
    env = cli_env(DAILYDIFF_DATA_DIR=str(tmp_path / "data"))
    assert (
        _run(tmp_path, env, "report", "repo", "--date", "2026-03-02", "--analyzer", "heuristic").returncode
        == 0
    )
    offline = _run(tmp_path, env, "ask", "what about the scheduler?", "--no-llm")
    down = {"DAILYDIFF_LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "DAILYDIFF_LLM_MODEL": "m",
            "DAILYDIFF_LLM_RETRIES": "0"}  # fmt: skip
    asked = _run(
        tmp_path,
        cli_env(DAILYDIFF_DATA_DIR=str(tmp_path / "data"), **down),
        "ask",
        "what about the scheduler?",
    )
    assert offline.returncode == 0 and "scheduler" in offline.stdout, offline.stderr
    assert asked.returncode == 0, (asked.returncode, asked.stderr)
    assert asked.stdout == offline.stdout
    assert asked.stderr.count("the retrieved commits follow") == 1 and "error" not in asked.stderr, (
        asked.stderr
    )


def test_a_weekly_mails_subject_names_the_repository_and_the_week() -> None:
    """Item 7: the model's one line is not the whole subject: the repository and the week come first."""
    from dailydiff.render.edition import week_edition
    from dailydiff.render.week import IsoWeek
    from dailydiff.render.week import build_digest as build_week
    from publish_reports import SETTINGS, make_report

    report = make_report(6, high_every=2, language="en")
    iso = IsoWeek(year=2026, week=report.date.isocalendar()[1])
    week = build_week(report.repo, iso, {report.date: report}, timezone="UTC", language="en")
    said = week.model_copy(update={"summary": "Faster decoding landed."})
    subject = week_edition(said, SETTINGS).subject
    assert subject == f"[dailydiff] {week.repo_name} {week.week}: Faster decoding landed.", subject


def test_one_of_a_thing_is_said_in_the_singular() -> None:
    """Item 16: "1 commit", "1 repository" in every formatted English phrase; Chinese untouched; 11 stays."""
    from dailydiff.common.i18n import words

    digest = words("digest", "en")
    assert digest["overview_counts"].format(total=1, active=1, repos=2, high=0) == (
        "1 commit in 1 of 2 repositories; 0 high-importance"
    )
    assert (
        digest["overview_counts"]
        .format(total=11, active=2, repos=2, high=1)
        .startswith("11 commits in 2 of 2")
    )
    assert (
        words("week_highlights", "en")["busiest"].format(date="2026-03-02", n=1)
        == "Busiest day: 2026-03-02 (1 commit)"
    )


def test_a_nightly_run_alerts_every_matching_commit_of_the_days_it_builds(tmp_path: Path) -> None:
    """Item 6: `run` at 09:00 alerts the matching commits of yesterday made before 09:00 too (older than
    24 h), not only the last 24 hours'."""
    shas = build_repo(tmp_path / "repo", [
        CommitSpec(f"fix(auth): check {n}", DAY.replace(hour=hour), edits=[FileEdit(f"src/auth/t{n}.py", f"x = {n}\n")])
        for n, hour in enumerate((1, 8, 20))
    ])  # fmt: skip
    (tmp_path / "dailydiff.toml").write_text(
        'data_dir = "data"\n[report]\ntimezone = "UTC"\nlanguage = "en"\n[analysis]\nanalyzer = "heuristic"\n'
        '[[repos]]\nsource = "repo"\nname = "acme/widgets"\n'
        '[[watch]]\nname = "auth"\npaths = ["**/auth/**"]\nalert = ["hook"]\n'
        '[[publish]]\ntype = "webhook"\nname = "hook"\nurl_env = "DD_TEST_HOOK_URL"\nretries = 0\n',
        encoding="utf-8",
    )
    hooks = WebhookReceiver().start()
    try:
        ran = _run(
            tmp_path, env_for(hooks), "run", "-c", "dailydiff.toml", now=DAY + dt.timedelta(days=1, hours=9)
        )
    finally:
        hooks.stop()
    assert ran.returncode == 0, ran.stderr
    assert sorted(a["sha"] for a in alerts_received(hooks)) == sorted(shas), ran.stderr


def test_the_readme_says_this_waves_features_as_the_product_does_them() -> None:
    """Item 14: the README's example of a masked alert reason is the one the product writes, and it names
    the features a new user could not find: stakeholder editions, week against week, risk signals, 🤖
    marks, `search --agent`, `watch`'s flags and which commits `run` alerts."""
    from dailydiff.models import Commit, FileChange, Level, Person
    from dailydiff.scoring.alerting import verdict
    from dailydiff.settings import WatchTopic

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    person = Person(name="Ada", email="ada@x.org")
    patch = "@@ -0,0 +1,3 @@\n+import os\n+\n+DB_PASSWORD = 'x'\n"
    commit = Commit(repo="o/r", sha="a" * 40, author=person, committer=person, authored_at=DAY, committed_at=DAY,
                    message="feat: db", files=[FileChange(path="src/db.py", patch=patch)])  # fmt: skip
    [reason] = verdict(commit, WatchTopic(name="s", diff=[r"(?i)password\s*="]), Level.LOW, []).reasons
    assert f"`{reason}`" in readme, reason
    for said in ("--audience stakeholder", "risk signals", "🤖", "search --agent", "--every 5m | --once",
                 "every commit of yesterday and today", "pending", "relative to that file"):  # fmt: skip
        assert said in readme, said


def test_the_run_summary_says_one_repository() -> None:
    """Item 16: "1 repository:" in the summary line of a run over one repository."""
    from dailydiff.engine.printer import summary_line

    totals = {"repos": 1, "ok": 1, "failed": 0, "undelivered": 0, "gated": 0, "days_built": 1, "days_up_to_date": 0,
              "days_partial": 0, "digests": 0, "weeks": 0, "days_deferred": 0, "failed_analyses": 0}  # fmt: skip
    assert summary_line(
        {
            "totals": {
                **totals,
                **dict.fromkeys(("analysed", "cached", "fallback", "prompt_tokens", "completion_tokens"), 0),
            }
        }
    ).startswith("1 repository: 1 ok"), totals


def test_notes_since_tag_start_at_the_last_release_not_a_nightly_tag(tmp_path: Path) -> None:
    """Item 10: `[notes] tag_pattern` says which tags are releases: --since-tag starts at the last of them."""
    from gitrepo import git

    shas = build_repo(tmp_path / "repo", [
        CommitSpec(f"feat: step {n}", DAY.replace(hour=n + 1), edits=[FileEdit("a.py", f"x = {n}\n")]) for n in range(5)
    ])  # fmt: skip
    git(tmp_path / "repo", "tag", "v1.0", shas[1])
    git(tmp_path / "repo", "tag", "nightly-20260302", shas[3])
    env = cli_env(DAILYDIFF_DATA_DIR=str(tmp_path / "data"))
    done = _run(tmp_path, env, "notes", "repo", "--since-tag", "--analyzer", "heuristic", "--format", "json")
    assert done.returncode == 0, done.stderr
    entries = json.loads(done.stdout)["entries"]
    assert len(entries) == 3 and shas[2] in str(entries), entries  # steps 2, 3 and 4: after v1.0
