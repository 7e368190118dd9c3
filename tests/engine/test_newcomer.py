"""Issue 14: what a newcomer trips on. Each test is named after the item it covers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from tests.fixtures import build_day_reports, build_sample_repo
from tests.gitrepo import git

from dailydiff.common.timewindow import day_window
from dailydiff.render.json import load_report, render_json
from dailydiff.sources.git import GitSource, web_base_from_remote

TZ = "Asia/Shanghai"


def test_item01_report_format_html_is_one_self_contained_file(tmp_path: Path) -> None:
    from html.parser import HTMLParser

    from browser import PageWatch, chromium
    from opsfixtures import dailydiff

    repo = tmp_path / "repo"
    build_sample_repo(repo)
    out = tmp_path / "out"
    dailydiff("report", repo, "--date", "2026-01-19", "--tz", TZ, "--lang", "en", "--format", "md,html",
              "-o", out, "--quiet", cwd=tmp_path)  # fmt: skip
    [page] = list(out.rglob("*.html"))
    [md] = list(out.rglob("*.md"))
    assert page.with_suffix(".md") == md
    text = page.read_text(encoding="utf-8")

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[tuple[str, dict[str, str | None]]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append((tag, dict(attrs)))

    tags = Tags()
    tags.feed(text)
    names = [t for t, _ in tags.tags]
    assert "script" not in names and "link" not in names and "style" in names
    assert all(not (a.get("src") or "").strip() for _, a in tags.tags)  # nothing to fetch
    assert "Content-Security-Policy" in text and "script-src" not in text
    # Every commit of the day is in it, with its own block.
    assert text.count('<article class="commit') == md.read_text(encoding="utf-8").count("\n### ")
    with chromium() as browser:
        page_ = browser.new_page()
        watch = PageWatch(page_)
        page_.goto(page.as_uri())
        assert watch.errors == [] and watch.external == []
        # The inlined stylesheet applies (the CSP allows it by its hash).
        assert page_.evaluate("getComputedStyle(document.body).maxWidth") != "none"


def test_item02_a_cloned_repository_is_named_after_its_url(tmp_path: Path) -> None:
    repo = tmp_path / "upstream" / "flashinfer"
    build_sample_repo(repo)
    source = GitSource.open(f"file://{repo}", tmp_path / "data")
    assert source.repo == "flashinfer"  # not the mirror's directory name (`_…_flashinfer-<hash>`)
    bare = tmp_path / "upstream" / "kernels.git"
    git(tmp_path, "clone", "--bare", "-q", str(repo), str(bare))
    assert GitSource.open(f"file://{bare}", tmp_path / "data").repo == "kernels"
    # A URL of a forge keeps owner/name.
    assert web_base_from_remote("https://github.com/flashinfer-ai/flashinfer.git") == (
        "flashinfer-ai/flashinfer",
        "https://github.com/flashinfer-ai/flashinfer",
    )


@pytest.mark.parametrize(
    ("remote", "web", "commit_url"),
    [
        ("https://github.com/o/n.git", "https://github.com/o/n", "https://github.com/o/n/commit/{sha}"),
        (
            "git@gitlab.com:group/sub/n.git",
            "https://gitlab.com/group/sub/n",
            "https://gitlab.com/group/sub/n/-/commit/{sha}",
        ),
        ("https://codeberg.org/o/n", "https://codeberg.org/o/n", "https://codeberg.org/o/n/commit/{sha}"),
        (
            "ssh://git@gitea.example.org:2222/o/n.git",
            "https://gitea.example.org/o/n",
            "https://gitea.example.org/o/n/commit/{sha}",
        ),
        (
            "http://forgejo.lan:3000/o/n.git",
            "http://forgejo.lan:3000/o/n",
            "http://forgejo.lan:3000/o/n/commit/{sha}",
        ),
        (
            "git@bitbucket.org:team/n.git",
            "https://bitbucket.org/team/n",
            "https://bitbucket.org/team/n/commits/{sha}",
        ),
    ],
)
def test_item11_links_for_every_forge(tmp_path: Path, remote: str, web: str, commit_url: str) -> None:
    repo = tmp_path / "clone"
    build_sample_repo(repo)
    git(repo, "config", "remote.origin.url", remote)
    source = GitSource.open(str(repo), tmp_path / "data")
    assert source.repo_url == web
    commits = source.commits(day_window(dt.date(2026, 1, 19), TZ))
    assert commits, "the sample repository has commits that day"
    for commit in commits:
        assert commit.url == commit_url.format(sha=commit.sha)


def test_item11_a_self_hosted_forge_is_named_in_config(tmp_path: Path) -> None:
    repo = tmp_path / "clone"
    build_sample_repo(repo)
    git(repo, "config", "remote.origin.url", "git@git.corp.example:team/n.git")
    source = GitSource.open(str(repo), tmp_path / "data", forge="gitlab")
    commit = source.commits(day_window(dt.date(2026, 1, 19), TZ))[0]
    assert commit.url == f"https://git.corp.example/team/n/-/commit/{commit.sha}"


def test_item13_one_offset_per_report_in_json(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    build_sample_repo(repo)
    # A commit whose author and committer clocks were in two other zones.
    git(repo, "commit", "-q", "--allow-empty", "-m", "fix: late fix",
        env={"GIT_AUTHOR_DATE": "2026-01-19T09:00:00+02:00", "GIT_COMMITTER_DATE": "2026-01-19T10:30:00-04:00"})  # fmt: skip
    now = dt.datetime(2026, 1, 20, 2, 0, tzinfo=dt.UTC)
    (report,) = build_day_reports(repo, tmp_path / "data", [dt.date(2026, 1, 19)], "en", now)
    text = render_json(report)
    data = json.loads(text)
    moments = [data["generated_at"], data["window"]["start"], data["window"]["end"]]
    for rc in data["commits"]:
        moments += [rc["authored_at"], rc["committed_at"]]
    assert len(moments) > 5
    assert {m[-6:] for m in moments} == {"+08:00"}, moments
    # The instants are unchanged.
    again = load_report(text)
    assert [c.committed_at for c in again.commits] == [c.committed_at for c in report.commits]
    assert again.generated_at == report.generated_at


@pytest.mark.parametrize(
    ("toml", "suggestion"),
    [
        ("[scoring]\nbugfx = 3\n", "did you mean 'bugfix'?"),
        ("[report]\nlanguag = 'en'\n", "did you mean 'language'?"),
        ("[llm]\nmodle = 'x'\n", "did you mean 'model'?"),
        ("[[repos]]\nsource = 'a/b'\nbrnach = 'main'\n", "did you mean 'branch'?"),
        ("[[publish]]\ntype = 'files'\ndirectroy = 'x'\n", "did you mean 'directory'?"),
        # The misspelt key is named, not the required one it left missing (found by the new-user pass).
        (
            "[[repos]]\nsourc = 'a/b'\n",
            "unknown setting; did you mean 'source'?",
        ),
    ],
)
def test_item08_a_misspelt_key_gets_a_suggestion(tmp_path: Path, toml: str, suggestion: str) -> None:
    from dailydiff.errors import ConfigError
    from dailydiff.settings import load_settings

    path = tmp_path / "dailydiff.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert suggestion in caught.value.message


def test_item08_doctor_says_each_fix_once(tmp_path: Path) -> None:
    from dailydiff.doctor.base import DoctorContext
    from dailydiff.doctor.checks import check_config

    bad = tmp_path / "bad.toml"
    bad.write_text("[report]\nlanguag = 'en'\n", encoding="utf-8")
    (line,) = [r.line() for r in check_config(DoctorContext.load(bad))]
    said = line.replace(str(bad), "<config>")  # the path may hold the word (a --basetemp named "fix")
    assert said.count("fix") == 2 and "correct the setting named above" not in said  # "— fix: fix it; …"
    (missing,) = [r.line() for r in check_config(DoctorContext.load(tmp_path / "nope.toml"))]
    assert "not found" in missing and "correct the setting named above" not in missing
    assert missing.count(" — ") == 1


def test_item06_feeds_skip_empty_days_link_absolutely_and_doctor_warns(tmp_path: Path) -> None:
    import feedparser

    from dailydiff.doctor.base import DoctorContext
    from dailydiff.doctor.checks import check_site
    from dailydiff.render.feed import FeedEntry, render_atom

    repo = tmp_path / "repo"
    build_sample_repo(repo)
    now = dt.datetime(2026, 1, 26, 2, 0, tzinfo=dt.UTC)
    days = [dt.date(2026, 1, 19), dt.date(2026, 1, 24), dt.date(2026, 1, 25)]
    reports = build_day_reports(repo, tmp_path / "data", days, "en", now)
    assert [r.stats.total > 0 for r in reports] == [True, False, False]
    entries = [FeedEntry(r, f"repos/x/{r.date}.html") for r in reports]
    feed = render_atom(entries, title="t", key="all", self_href="feed.xml", home_href="index.html",
                       language="en", base_url="https://example.org/reports/", limit=1)  # fmt: skip
    parsed = feedparser.parse(feed)
    assert [e.link for e in parsed.entries] == ["https://example.org/reports/repos/x/2026-01-19.html"]
    assert all(link.href.startswith("https://example.org/reports/") for link in parsed.feed.links)

    config = tmp_path / "dailydiff.toml"
    config.write_text("[site]\ntitle = 'ours'\n", encoding="utf-8")
    (warning,) = check_site(DoctorContext.load(config))
    assert (
        warning.ok
        and warning.warning
        and warning.line().startswith("! site:")
        and "base_url" in warning.line()
    )
    config.write_text("[site]\nbase_url = 'https://example.org/r/'\n", encoding="utf-8")
    assert check_site(DoctorContext.load(config)) == []


def test_item14_all_branches_attributes_default_branch_first_then_nearest_tip(tmp_path: Path) -> None:
    from tests.gitrepo import CommitSpec, build_repo, commit

    moment = dt.datetime(2026, 1, 19, 1, tzinfo=dt.UTC)
    hour = dt.timedelta(hours=1)
    path = tmp_path / "repo"
    main = build_repo(path, [CommitSpec("base", moment), CommitSpec("on main", moment + hour)])
    # Branches named to sort before `main` and created from it: `git log --source` reaches the shared
    # commits through one of them.
    for name in ["aaa-release", "abc-feature"]:
        git(path, "branch", name)
    git(path, "checkout", "-q", "abc-feature")
    feature = commit(path, CommitSpec("feature work", moment + 2 * hour))
    git(path, "checkout", "-q", "-b", "aab-topic")
    topic = commit(path, CommitSpec("topic work", moment + 3 * hour))
    git(path, "checkout", "-q", "main")
    source = GitSource.open(str(path), tmp_path / "data", all_branches=True)
    found = {c.sha: c.branches for c in source.commits(day_window(dt.date(2026, 1, 19), "UTC"))}
    assert found[main[0]] == ["main"] and found[main[1]] == ["main"]
    assert found[feature] == ["abc-feature"]  # also on aab-topic, one step further from its tip
    assert found[topic] == ["aab-topic"]


def test_item05_email_subject_in_the_reports_language() -> None:
    from pydantic import TypeAdapter

    from dailydiff.publish.base import Secrets
    from dailydiff.publish.email import EmailPublisher
    from dailydiff.settings.publishers import PublishEntry
    from publish_reports import edition, make_report

    def subject(language: str, **extra: str) -> str:
        entry = TypeAdapter(PublishEntry).validate_python(
            {"type": "email", "host": "127.0.0.1", "sender": "a@example.com", "recipients": ["b@example.com"]}
            | extra
        )
        report = make_report(3, high_every=2, language=language)
        return str(EmailPublisher(entry, "email", Secrets({})).message(edition(report))["Subject"])  # type: ignore[arg-type]

    assert subject("zh") == "[dailydiff] sgl-project/sglang 2026-01-27：3 个提交，高重要度 2 个"
    assert subject("en") == "[dailydiff] sgl-project/sglang 2026-01-27: 3 commits, 2 high"
    # A user's template still wins, whatever the language.
    assert subject("zh", subject_template="Daily {repo} {date}") == "Daily sgl-project/sglang 2026-01-27"


def _report_with_pr(language: str = "en"):  # type: ignore[no-untyped-def]
    from dailydiff.models import PullRequest
    from publish_reports import make_report

    report = make_report(2, high_every=1, language=language)
    first = report.commits[0]
    pr = PullRequest(number=4242, title="Speed up <b>fp8</b> *attention* kernels",
                     labels=["perf", "area/`kernels`_x"], url="https://github.com/sgl-project/sglang/pull/4242")  # fmt: skip
    # The second commit's PR has the commit's own title: only its number and labels are shown.
    second = report.commits[1]
    same = PullRequest(number=17001, title=second.title.rsplit(" (#", 1)[0], labels=[],
                       url="https://github.com/sgl-project/sglang/pull/17001")  # fmt: skip
    commits = [first.model_copy(update={"pr": pr}), second.model_copy(update={"pr": same})]
    return report.model_copy(update={"commits": commits})


def test_item10_pr_title_number_and_labels_in_markdown_html_and_chat() -> None:
    from dailydiff.publish.chat_formats import slack_payloads
    from dailydiff.render import RENDERERS
    from dailydiff.render.chat import day_message

    report = _report_with_pr()
    md = RENDERERS["md"](report)
    link = "[#4242](https://github.com/sgl-project/sglang/pull/4242)"
    assert f"**🔀 PR** {link}: Speed up <b>fp8</b> *attention* kernels" not in md  # raw text is escaped
    pr_lines = [line for line in md.splitlines() if line.startswith("**🔀 PR**")]
    assert len(pr_lines) == 1 and pr_lines[0].startswith(f"**🔀 PR** {link}: Speed up"), pr_lines
    assert md.count(link) == 1 and md.count("PR [#17001](") == 1  # no context: the link in the meta line
    assert "\\*attention\\*" in pr_lines[0] and "🏷️ perf, " in pr_lines[0] and "<b>" not in pr_lines[0]
    html = RENDERERS["html"](report)
    assert (
        '<p class="pr"><strong>🔀 PR</strong> <a href="https://github.com/sgl-project/sglang/pull/4242" rel="noopener noreferrer">#4242</a>: <span class="pr-title">Speed up &lt;b&gt;fp8'
        in html
    )
    assert '<span class="tag pr-label">perf</span>' in html and html.count('<p class="pr">') == 1
    digest = day_message(report)
    text = json.dumps(slack_payloads(digest, 5), ensure_ascii=False)
    assert "PR #4242" in text and "Speed up &lt;b&gt;fp8" in text and "perf" in text


def test_item12_english_reports_use_ascii_colons(tmp_path: Path) -> None:
    from dailydiff.render import RENDERERS

    repo = tmp_path / "repo"
    build_sample_repo(repo)
    now = dt.datetime(2026, 1, 20, 2, 0, tzinfo=dt.UTC)
    (en,) = build_day_reports(repo, tmp_path / "en", [dt.date(2026, 1, 19)], "en", now)
    (zh,) = build_day_reports(repo, tmp_path / "zh", [dt.date(2026, 1, 19)], "zh", now)
    # The fixture's commit texts have no full-width colon: every one in a report would be ours.
    for fmt in ("md", "html"):
        assert "：" not in RENDERERS[fmt](en), fmt
        assert "**🎯 Change type**: " in RENDERERS["md"](en) and "**📋 Summary**:\n" in RENDERERS["md"](en)
        assert "：" in RENDERERS[fmt](zh), fmt  # Chinese keeps its own punctuation


def test_item12_dingtalk_and_wecom_keep_underscores_hashes_stars_and_backticks() -> None:
    from dailydiff.publish.chat_formats import dingtalk_payloads, wecom_payloads
    from dailydiff.render.chat import day_message
    from publish_reports import make_report

    report = make_report(1, high_every=1, language="en")
    rc = report.commits[0]
    rc = rc.model_copy(update={"message": "Bump jax_tvm_ffi for *fp8* with `--tp 2` (#3082)\n\nbody"})
    digest = day_message(report.model_copy(update={"commits": [rc]}))
    dingtalk = dingtalk_payloads(digest, 5)[0]["markdown"]["text"]
    wecom = wecom_payloads(digest, 5)[0]["markdown"]["content"]
    # DingTalk renders no code span: a span without markup characters is shown as its words (issue 63).
    for text, plain_span in ((dingtalk, "--tp 2"), (wecom, "`--tp 2`")):
        assert not set("＿＃＊｀") & set(text), text
        # Words with markup characters are put in code; the rest is as written (an underscore inside a word
        # opens no emphasis: `jax_tvm_ffi` stays a plain word, issue 46).
        assert " jax_tvm_ffi " in text and "`*fp8*`" in text and plain_span in text and "(#3082)" in text, (
            text
        )
    assert "`--tp 2`" not in dingtalk


def test_item04_a_gated_day_is_written_by_neither_report_nor_run(tmp_path: Path) -> None:
    from fake_llm import FakeLLM
    from opsfixtures import build_workspace, dailydiff

    build_workspace(tmp_path, repos=1, per_day=2, extra_toml='\n[analysis]\nanalyzer = "llm"\n')
    source = next(p for p in (tmp_path / "repos").iterdir() if p.is_dir())
    with FakeLLM(fail_always=True) as fake:
        env = {"DAILYDIFF_LLM_BASE_URL": fake.base_url, "DAILYDIFF_LLM_MODEL": fake.model,
               "DAILYDIFF_LLM_RETRIES": "0", "DAILYDIFF_LLM_BACKOFF": "0"}  # fmt: skip
        day = ["--date", "2026-01-05"]
        ran = dailydiff("run", *day, "-o", "run-out", cwd=tmp_path, env=env, check=False)
        made = dailydiff("report", source, *day, "-o", "report-out", "--format", "md,json,html",
                         cwd=tmp_path, env=env, check=False)  # fmt: skip
        shown = dailydiff("report", source, *day, cwd=tmp_path, env=env, check=False)
    assert (ran.returncode, made.returncode, shown.returncode) == (6, 6, 6), (ran.stderr, made.stderr)
    assert list((tmp_path / "run-out").rglob("*.*")) == []
    assert list((tmp_path / "report-out").rglob("*.*")) == []  # was: the 100%-fallback report
    # stdout still shows the day, under a warning that says it is no report (the day's stored gate).
    assert "\n> ⚠️ " in shown.stdout.split("### ")[0] and "(2/2)" in shown.stdout
    assert "failed analyses" in shown.stderr


def test_item03_weekly_source_finds_what_run_stored_under_the_configs_name(tmp_path: Path) -> None:
    from opsfixtures import build_workspace, dailydiff

    build_workspace(tmp_path, repos=2, per_day=2)
    toml = tmp_path / "dailydiff.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('name = "proj0"', 'name = "team/core"'), "utf-8")
    dailydiff("run", "--from", "2026-01-05", "--to", "2026-01-06", "--quiet", cwd=tmp_path)
    # By path, relative or absolute, without --name: the days `run` stored as team/core.
    for source in ("repos/proj0", str(tmp_path / "repos" / "proj0")):
        done = dailydiff("weekly", source, "--week", "2026-W02", cwd=tmp_path)
        assert "team/core" in done.stdout, done.stderr
    # `report SOURCE` stores under the same name; `publish SOURCE` finds it there too.
    dailydiff("report", "repos/proj0", "--date", "2026-01-07", "--quiet", cwd=tmp_path)
    with __import__("sqlite3").connect(next((tmp_path / "data").glob("*.sqlite*"))) as db:
        repos = {row[0] for row in db.execute("SELECT DISTINCT repo FROM reports")}
    assert repos == {"team/core", "proj1"}
    # A repository outside the config: the hint names the command that builds the days, and it works.
    outside = tmp_path / "elsewhere"
    build_sample_repo(outside)
    missing = dailydiff("weekly", outside, "--week", "2026-W04", cwd=tmp_path, check=False)
    assert missing.returncode == 1
    hint = missing.stderr.split("build them first: ", 1)[1].split("\n")[0].strip()
    assert hint.startswith("dailydiff report "), missing.stderr
    dailydiff(*__import__("shlex").split(hint)[1:], "--quiet", cwd=tmp_path)
    assert "sglang" in dailydiff("weekly", outside, "--week", "2026-W04", cwd=tmp_path).stdout


def _on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """``python -m dailydiff ARGS`` with its stdout and stderr on a pseudo-terminal, as a user runs it."""
    import os
    import pty
    import subprocess
    import sys

    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "80", "TERM": "xterm"}
    env = {k: v for k, v in env.items() if not k.startswith("DAILYDIFF_") and k not in ("NO_COLOR", "CI")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2] / "src")  # this checkout's code
    process = subprocess.Popen([sys.executable, "-m", "dailydiff", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                               stdout=child, stderr=child)  # fmt: skip
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return process.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def test_item09_a_first_run_on_a_terminal_says_what_it_assumes(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    repo = tmp_path / "repo"
    build_sample_repo(repo)
    first = ["report", str(repo), "--data-dir", str(tmp_path / "a"), "-o", str(tmp_path / "out")]
    code, text = _on_a_terminal(first, tmp_path)
    notes = [line for line in text.splitlines() if "note:" in line]
    assert code == 0 and len(notes) == 1, text
    assert "yesterday in Asia/Shanghai" in notes[0] and "Chinese" in notes[0] and "--tz" in notes[0], notes
    # Once only: the second run has a store with a run in it.
    assert "note:" not in _on_a_terminal(first, tmp_path)[1]
    # Not when they are given, and not off a terminal.
    given = ["report", str(repo), "--tz", "UTC", "--lang", "en", "--data-dir", str(tmp_path / "b"), "-o", str(tmp_path / "out")]  # fmt: skip
    assert "note:" not in _on_a_terminal(given, tmp_path)[1]
    piped = subprocess.run([sys.executable, "-m", "dailydiff", *first[:2], "--data-dir", str(tmp_path / "c"), "-o",
                            str(tmp_path / "out")], cwd=tmp_path, capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")})  # fmt: skip
    assert piped.returncode == 0 and "note:" not in piped.stderr, piped.stderr


def test_item09_the_readme_quickstart_shows_tz_and_lang() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    first_command = readme.split("```bash\n", 1)[1].split("```", 1)[0]
    assert "--tz Asia/Shanghai" in first_command and "--lang zh" in first_command


def test_email_charts_the_daily_email_carries_the_day_against_the_median_png(tmp_path: Path) -> None:
    import re

    from opsfixtures import build_workspace, dailydiff
    from smtp_server import SmtpServer, make_certificate

    cert, key = make_certificate(tmp_path)
    server = SmtpServer(cert, key, password="smtp-pass").start()
    try:
        entry = (f'\n[[publish]]\ntype = "email"\nhost = "127.0.0.1"\nport = {server.port}\nca_file = "{cert}"\n'
                 'username = "reports"\npassword_env = "SMTP_PASSWORD"\nsender = "bot@example.com"\n'
                 'recipients = ["a@example.com"]\n')  # fmt: skip
        build_workspace(tmp_path, repos=1, per_day=2, extra_toml=entry)
        env = {"SMTP_PASSWORD": "smtp-pass"}
        for day in ("2026-01-05", "2026-01-06", "2026-01-07"):  # one at a time: each has the days before
            dailydiff("run", "--date", day, "--lang", "en", "--quiet", cwd=tmp_path, env=env)
        messages = [e.message for e in server.received]
    finally:
        server.stop()
    assert len(messages) == 3
    for n, message in enumerate(messages):
        html = message.get_body(("html",)).get_content()
        cids = re.findall(r'src="cid:([^"]+)"', html)
        parts = {
            p["Content-ID"].strip("<>"): p for p in message.walk() if p.get_content_type() == "image/png"
        }
        assert len(cids) == 1 and set(cids) == set(parts), (cids, list(parts))
        png = parts[cids[0]].get_content()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
        plain = message.get_body(("plain",)).get_content()
        assert "The day against the median of the 30 days before" in plain
        assert f"Median ({n} day{'s' if n != 1 else ''} with a report)" in plain, plain[-600:]
