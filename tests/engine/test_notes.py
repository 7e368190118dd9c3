"""Issue 59: `dailydiff notes SOURCE REF1..REF2` — every commit of the range once and none from outside it,
breaking changes first, a revert and its re-land one entry, first-time contributors named, links that
name the range's commits, a Keep a Changelog section markdownlint accepts; offline (rules) and with the fake
LLM (whose answers the store keeps: asked again, it is asked nothing); the user audience; a draft GitHub
release made once and updated in place."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from clirun import dailydiff
from dailydiff.render.notes import ReleaseNotes, notes_release_body
from fake_github import FakeGitHub
from fake_github_git import GitData
from fake_github_publish import FakeGitHubPublish
from fake_gitlab import FakeGitLab
from fake_llm import FakeLLM
from gitrepo import CommitSpec, FileEdit, commit, git, init_repo
from required import ROOT, markdownlint

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
ORIGIN = "https://github.com/acme/widget"


def _at(hours: int) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def build_tagged_repo(path: Path) -> Path:
    """v1.0, then eleven commits of every kind (a breaking one, a revert and its re-land, two newcomers),
    tagged v1.1, then one unreleased commit."""
    init_repo(path)
    git(path, "remote", "add", "origin", f"{ORIGIN}.git")

    def c(message: str, hours: int, who: str = "Ada Lovelace", email: str = "ada@example.com",
          files: dict[str, str] | None = None) -> str:  # fmt: skip
        edits = [FileEdit(p, text) for p, text in (files or {f"notes/{hours}.txt": message}).items()]
        return commit(path, CommitSpec(message, _at(hours), author=who, email=email, edits=edits))

    c("Initial import", 0, files={"src/widget/core.py": "def run():\n    return 1\n"})
    git(path, "tag", "v1.0")
    c(
        "feat: add a streaming API (#10)",
        1,
        "Bob Byte",
        "12+bobbyte@users.noreply.github.com",
        {"src/widget/stream.py": "def stream():\n    yield 1\n"},
    )
    c("fix(parser): handle empty input in `parse_line` (#11)", 2, files={"src/widget/parser.py": "x = 1\n"})
    c(
        "feat!: drop Python 3.8 support (#12)\n\nBREAKING CHANGE: Python 3.9 or later is required.",
        3,
        files={"pyproject.toml": "requires-python = '>=3.9'\n"},
    )
    c("docs: explain streaming in README.md (#13)", 4, files={"README.md": "# widget\n"})
    c("ci: run the tests on Python 3.13", 5, files={".github/workflows/ci.yml": "on: push\n"})
    c("refactor: split parse_line into a tokenizer", 6, files={"src/widget/tokenizer.py": "y = 2\n"})
    c(
        "perf: cache compiled regexes in src/widget/rules.py (#14)",
        7,
        files={"src/widget/rules.py": "z = 3\n"},
    )
    retry = c("Add retry on timeout (#15)", 8, "Cy Coder", "cy@example.org", {"src/widget/net.py": "r = 1\n"})
    c(
        f'Revert "Add retry on timeout (#15)"\n\nThis reverts commit {retry}.',
        9,
        files={"src/widget/net.py": "r = 0\n"},
    )
    c(
        "Reland: add retry on timeout (#16)",
        10,
        "Cy Coder",
        "cy@example.org",
        {"src/widget/net.py": "r = 2\n"},
    )
    c("Update the changelog for 1.1", 11, files={"CHANGELOG.md": "## 1.1\n"})
    git(path, "tag", "v1.1")
    c("feat: add a progress bar (#17)", 12, files={"src/widget/progress.py": "p = 1\n"})
    return path


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tagged_repo(tmp_path_factory.mktemp("notes") / "widget")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAILYDIFF_", "GITHUB_TOKEN"))}
    return {**env, "NO_COLOR": "1", **extra}


def notes(
    repo: Path, tmp: Path, *args: str, env: dict[str, str] | None = None, source: str = ""
) -> subprocess.CompletedProcess[str]:
    return dailydiff("notes", source or str(repo), "--lang", "en", *args, "--data-dir", str(tmp / "data"),
                     cwd=tmp, env=env or _env())  # fmt: skip


def range_shas(repo: Path, span: str) -> list[str]:
    return git(repo, "log", "--format=%H", span).split()


def linked_shas(text: str) -> list[str]:
    """Every commit the notes link, each time it is linked."""
    return re.findall(r"/commit/([0-9a-f]{40})\)", text)


def test_every_commit_of_the_range_once_breaking_first_reverts_folded_newcomers_named(
    repo: Path, tmp_path: Path
) -> None:
    done = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    wanted = range_shas(repo, "v1.0..v1.1")
    listed = [c["sha"] for e in data["entries"] for c in e["commits"]]
    assert sorted(listed) == sorted(wanted) and len(listed) == len(set(listed)) == 11
    assert data["schema_version"] == 1 and data["kind"] == "release" and data["tag"] == "v1.1"
    groups = [e["group"] for e in data["entries"]]
    assert groups[0] == "breaking" and groups.count("breaking") == 1
    assert data["entries"][0]["text"].startswith("Drop Python 3.8")
    order = ["breaking", "features", "performance", "fixes", "refactors", "other", "docs_ci"]
    assert groups == sorted(groups, key=order.index)
    retry = [e for e in data["entries"] if "retry" in e["text"].lower()]
    assert len(retry) == 1 and [c["role"] for c in retry[0]["commits"]] == ["reland", "change", "revert"]
    assert retry[0]["pr_number"] == 16  # told by its re-land
    assert {a["name"] for a in data["first_timers"]} == {"Bob Byte", "Cy Coder"}
    assert next(a for a in data["first_timers"] if a["name"] == "Bob Byte")["login"] == "bobbyte"
    assert "11 made now" in done.stderr and "0 analysis(es) reused" in done.stderr
    # The second time, every analysis comes from the store.
    again = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--format", "json")
    assert "11 analysis(es) reused from the store, 0 made now" in again.stderr


def test_the_changelog_section_links_each_commit_once_and_passes_markdownlint(
    repo: Path, tmp_path: Path
) -> None:
    done = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic")
    assert done.returncode == 0, done.stderr
    md = done.stdout
    assert md.startswith("## [v1.1] - 2026-03-03\n")  # the tag's day in [report] timezone (Asia/Shanghai)
    headings = re.findall(r"^### (.+)$", md, re.M)
    assert headings[0] == "Breaking changes" and headings[-1] == "New contributors"
    assert sorted(linked_shas(md)) == sorted(range_shas(repo, "v1.0..v1.1"))
    for number in re.findall(r"\[#(\d+)\]\(([^)]+)\)", md):
        assert number[1] == f"{ORIGIN}/pull/{number[0]}"
    for sha in linked_shas(md):  # every link names a commit of the repository, at its page
        assert git(repo, "cat-file", "-t", sha).strip() == "commit"
    target = tmp_path / "CHANGELOG.md"
    target.write_text(f"# Changelog\n\n{md}", encoding="utf-8")
    lint = subprocess.run([markdownlint(), "--config", str(ROOT / ".markdownlint.json"), str(target)],
                          capture_output=True, text=True)  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_since_tag_and_unreleased_take_what_follows_the_last_tag(repo: Path, tmp_path: Path) -> None:
    for flag in ("--since-tag", "--unreleased"):
        done = notes(repo, tmp_path, flag, "--analyzer", "heuristic", "--format", "json")
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        assert [c["sha"] for e in data["entries"] for c in e["commits"]] == range_shas(repo, "v1.1..HEAD")
        assert data["tag"] == "Unreleased"


def test_a_bad_range_is_one_line_and_exit_2(repo: Path, tmp_path: Path) -> None:
    """Each wrong range is a usage error, the README's exit 2 (an internal error, 70, was accepted as any
    non-zero exit), in one line with a next step."""
    for args in (
        ["v1.0..nope"],
        ["v1.0"],
        [],
        ["v1.0..v1.1", "--since-tag"],
        ["--since-tag", "--unreleased"],
    ):
        done = notes(repo, tmp_path, *args, "--analyzer", "heuristic")
        assert done.returncode == 2 and "Traceback" not in done.stderr, (args, done.stderr)
        assert len([line for line in done.stderr.splitlines() if line.strip()]) == 1, done.stderr


def _shas(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 0, done.stderr
    return sorted(c["sha"] for e in json.loads(done.stdout)["entries"] for c in e["commits"])


def test_notes_ranges_are_git_s_unreleased_since_tag_an_old_tag_two_tags_and_annotated_tags(
    tmp_path: Path,
) -> None:
    """Issue 86: each range against `git log` of the same range. `--unreleased` is what no tag holds, and
    differs from `--since-tag` when a tag on another branch holds a commit after the last tag of HEAD; an old
    tag reaches across a release; two tags on one commit are one commit (their range is empty); an annotated
    tag is the commit it tags."""
    repo = build_tagged_repo(tmp_path / "widget")
    after = git(repo, "rev-parse", "HEAD").strip()  # "feat: add a progress bar (#17)", after v1.1
    git(repo, "checkout", "-q", "-b", "release")
    commit(
        repo, CommitSpec("fix: a release-only fix", _at(13), edits=[FileEdit("src/widget/fix.py", "f = 1\n")])
    )
    git(repo, "tag", "-a", "v1.2", "-m", "Version 1.2")  # annotated, on the release branch: holds `after`
    git(repo, "checkout", "-q", "-")
    commit(
        repo,
        CommitSpec("feat: after the release branch", _at(14), edits=[FileEdit("src/widget/new.py", "n\n")]),
    )
    git(repo, "tag", "v1.1-final", "v1.1")  # a second tag on v1.1's commit

    def run(*args: str) -> list[str]:
        return _shas(notes(repo, tmp_path, *args, "--analyzer", "heuristic", "--format", "json"))

    unreleased, since_tag = run("--unreleased"), run("--since-tag")
    assert unreleased == sorted(git(repo, "log", "--format=%H", "HEAD", "--not", "--tags").split())
    assert since_tag == sorted(range_shas(repo, "v1.1..HEAD"))
    assert after in since_tag and after not in unreleased  # v1.2 holds it
    assert run("v1.0..HEAD") == sorted(range_shas(repo, "v1.0..HEAD"))  # an old tag, across v1.1
    assert len(run("v1.0..HEAD")) == len(range_shas(repo, "v1.0..v1.1")) + len(since_tag)
    assert run("v1.1..v1.1-final") == []  # two tags on one commit
    assert run("v1.1..v1.2") == sorted(range_shas(repo, "v1.1..v1.2")) and len(run("v1.1..v1.2")) == 2


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def _llm_env(fake: FakeLLM) -> dict[str, str]:
    return _env(DAILYDIFF_LLM_BASE_URL=fake.base_url, DAILYDIFF_LLM_MODEL=fake.model,
                DAILYDIFF_LLM_BACKOFF="0.01")  # fmt: skip


def _notes_requests(fake: FakeLLM) -> list[str]:
    return [r.prompt_text for r in fake.requests if "release_notes" in json.dumps(r.body.get("response_format"))
            or "release notes" in r.prompt_text]  # fmt: skip


def test_with_the_fake_llm_the_notes_are_told_once_and_asked_nothing_again(
    repo: Path, tmp_path: Path, fake: FakeLLM
) -> None:
    first = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "llm", env=_llm_env(fake))
    assert first.returncode == 0, first.stderr
    assert "11 made now" in first.stderr
    assert len(_notes_requests(fake)) == 1
    md = first.stdout
    assert "overview of" in md  # the model's overview paragraph
    assert sorted(linked_shas(md)) == sorted(range_shas(repo, "v1.0..v1.1"))
    fake.reset()
    again = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "llm", env=_llm_env(fake))
    assert again.returncode == 0 and fake.count == 0, again.stderr
    assert "11 analysis(es) reused from the store, 0 made now; 0 LLM request(s)" in again.stderr
    assert again.stdout == md


def test_a_commit_the_model_rates_above_its_depth_is_analysed_again_deeper_as_in_a_day(
    repo: Path, tmp_path: Path, fake: FakeLLM
) -> None:
    """The notes analyse a commit no day holds through the day's analysis stage: one the model rates above
    the depth it was scored at is analysed again, deeper, and a day built afterwards finds it stored."""
    title = "docs: explain streaming in README.md (#13)"
    fake.escalate = lambda asked: asked == title
    told = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "llm", env=_llm_env(fake))
    assert told.returncode == 0 and "11 made now" in told.stderr, told.stderr
    asked = [r.depth for r in fake.requests if f"<commit_message>\n{title}" in r.prompt_text]
    assert len(asked) == 2 and asked[0] != "high" and asked[1] == "high", asked
    fake.reset()
    days = dailydiff("report", str(repo), "--all-branches", "--from", "2026-03-02", "--to", "2026-03-03",
                     "--analyzer", "llm", "--lang", "en", "--data-dir", str(tmp_path / "data"), "--yes",
                     "--quiet", "-o", str(tmp_path / "out"), cwd=tmp_path, env=_llm_env(fake))  # fmt: skip
    assert days.returncode == 0 and fake.count > 0, days.stderr  # the commit past the tag, the overview
    assert not [r for r in fake.requests if title in r.prompt_text and not r.is_overview]


def test_on_a_store_that_has_the_days_the_notes_ask_the_llm_nothing_unless_told_to(
    repo: Path, tmp_path: Path, fake: FakeLLM
) -> None:
    """Acceptance 2: the days analysed by `report` first, `notes` makes 0 LLM requests (the rules compose
    the overview from the stored analyses); ``[notes] llm = "always"`` asks once, and its kept answer then
    serves the notes with no request."""
    days = dailydiff("report", str(repo), "--all-branches", "--from", "2026-03-02", "--to", "2026-03-03",
                     "--analyzer", "llm", "--lang", "en", "--data-dir", str(tmp_path / "data"), "--yes",
                     "--quiet", "-o", str(tmp_path / "out"), cwd=tmp_path, env=_llm_env(fake))  # fmt: skip
    assert days.returncode == 0 and fake.count > 0, days.stderr
    fake.reset()
    done = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "llm", env=_llm_env(fake))
    assert done.returncode == 0 and fake.count == 0, done.stderr
    assert "11 analysis(es) reused from the store, 0 made now; 0 LLM request(s)" in done.stderr
    assert done.stdout.splitlines()[2].startswith("v1.1 has 11 commits by 3 authors")  # the rules'
    assert sorted(linked_shas(done.stdout)) == sorted(range_shas(repo, "v1.0..v1.1"))
    always = _llm_env(fake) | {"DAILYDIFF_NOTES_LLM": "always"}
    told = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "llm", env=always)
    assert told.returncode == 0 and len(_notes_requests(fake)) == fake.count == 1, told.stderr
    assert "; 1 LLM request(s)" in told.stderr and told.stdout.splitlines()[2] != done.stdout.splitlines()[2]
    fake.reset()
    kept = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "llm", env=_llm_env(fake))
    assert kept.returncode == 0 and fake.count == 0 and kept.stdout == told.stdout, kept.stderr


def test_user_audience_with_rules_lists_user_visible_changes_without_paths_or_identifiers(
    repo: Path, tmp_path: Path
) -> None:
    done = notes(
        repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--audience", "user", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {e["group"] for e in data["entries"]} <= {"breaking", "features", "performance", "fixes"}
    assert data["figures"]["left_out"] > 0 and data["audience"] == "user"
    texts = [e["text"] for e in data["entries"]]
    assert any("empty input" in t for t in texts) and any("regexes" in t for t in texts)
    for text in texts:
        assert not re.search(r"/|\.py\b|\.md\b|parse_line|`", text), text


def test_user_audience_with_the_llm_asks_for_users_and_keeps_every_commit_link(
    repo: Path, tmp_path: Path, fake: FakeLLM
) -> None:
    done = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "llm", "--audience", "user", env=_llm_env(fake))
    assert done.returncode == 0, done.stderr
    asked = _notes_requests(fake)
    assert len(asked) == 1 and "users of the software" in asked[0] and "Audience: user" in asked[0]
    assert sorted(linked_shas(done.stdout)) == sorted(range_shas(repo, "v1.0..v1.1"))


@pytest.fixture
def github() -> Iterator[FakeGitHubPublish]:
    server = FakeGitHubPublish().start()
    try:
        yield server
    finally:
        server.stop()


def test_publish_makes_one_draft_release_and_updates_it_in_place(
    repo: Path, tmp_path: Path, github: FakeGitHubPublish
) -> None:
    env = _env(GITHUB_TOKEN=github.token, DAILYDIFF_GITHUB_API_URL=github.url)
    done = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--publish", env=env)
    assert done.returncode == 0, done.stderr
    [release] = github.releases["acme/widget"]
    assert release["draft"] is True and release["tag_name"] == "v1.1"
    assert (
        "@bobbyte" in release["body"]
        and "#16" in release["body"]
        and "## Breaking changes" in release["body"]
    )
    assert "created a draft release v1.1" in done.stderr
    # Unchanged: nothing sent; the user audience changes the body: the same release is updated.
    same = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--publish", env=env)
    assert "unchanged" in same.stderr and len(github.releases["acme/widget"]) == 1
    other = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--publish", "--audience", "user",
                  env=env)  # fmt: skip
    assert other.returncode == 0, other.stderr
    [release] = github.releases["acme/widget"]
    assert "updated a draft release" in other.stderr and release["draft"] is True
    assert "## Docs, tests and CI" not in release["body"]
    assert [m for m, _ in github.requests].count("POST") == 1
    # A person publishes it: a draft-making run leaves it alone; `[notes] draft = false` updates it.
    release["draft"], release["body"] = False, "edited by a person"
    kept = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--publish", "--force", env=env)
    assert "published already: left alone" in kept.stderr and release["body"] == "edited by a person"
    published = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--publish", "--force",
                      env={**env, "DAILYDIFF_NOTES_DRAFT": "false"})  # fmt: skip
    assert published.returncode == 0 and "updated the published release" in published.stderr, published.stderr
    assert release["draft"] is False and release["body"] != "edited by a person"
    assert len(github.releases["acme/widget"]) == 1


def test_a_gitlab_release_is_refused_as_a_draft_and_made_once_then_updated_without_drafts(
    tmp_path: Path,
) -> None:
    """GitLab has no draft releases: with ``[notes] draft`` (the default) `--publish` refuses in one line and
    sends nothing; with ``draft = false`` the tag's release is created on the fake GitLab, then updated in
    place (PUT of /projects/:id/releases/:tag_name), never made twice."""
    repo = build_tagged_repo(tmp_path / "widget")
    with FakeGitLab({"acme/widget": GitData(repo)}) as gitlab:
        git(repo, "remote", "set-url", "origin", "https://gitlab.example.com/acme/widget.git")  # links' host
        env = _env(DAILYDIFF_GITLAB_API_URL=gitlab.url, GITLAB_TOKEN="glpat-secret")
        refused = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--publish", env=env)
        assert refused.returncode == 2 and "GitLab has no draft releases" in refused.stderr
        assert "Traceback" not in refused.stderr and gitlab.count("releases") == 0
        public = {**env, "DAILYDIFF_NOTES_DRAFT": "false"}
        made = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--publish", env=public)
        assert made.returncode == 0, (made.stderr, _exchanges(gitlab))
        [release] = gitlab.releases["acme/widget"].values()
        assert (
            release["tag_name"] == "v1.1"
            and "https://gitlab.example.com/acme/widget/-/compare" in release["description"]
        )
        assert "## Breaking changes" in release["description"] and "created the release v1.1" in made.stderr
        assert "glpat-secret" not in made.stderr + made.stdout
        again = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--publish", "--audience", "user",
                      env=public)  # fmt: skip
        assert again.returncode == 0 and "updated the release v1.1" in again.stderr, (
            again.stderr,
            _exchanges(gitlab),
        )
        assert len(gitlab.releases["acme/widget"]) == 1
        assert "## Docs, tests and CI" not in gitlab.releases["acme/widget"]["v1.1"]["description"]
        methods = [r.method for r in gitlab.requests if r.kind == "releases"]
        assert methods.count("POST") == 1 and methods.count("PUT") == 1


def _exchanges(gitlab: FakeGitLab) -> list[tuple[str, str, int, float]]:
    """The fake GitLab's release requests as it answered them (method, path, status, arrival): what a
    failure of the test above shows (it once failed with a GET answered and the PUT after it refused)."""
    return [(r.method, r.path, r.status, r.at) for r in gitlab.requests if r.kind == "releases"]


def test_a_github_owner_name_is_read_from_its_clone_with_its_tags(repo: Path, tmp_path: Path) -> None:
    """`notes owner/name REF1..REF2`: the repository's blobless clone (clone mode's, in the data directory)
    with its tags fetched; the same commits as the local clone's notes, linked at the forge."""
    with FakeGitHub({"acme/widget": repo}) as github:
        env = _env(DAILYDIFF_GITHUB_API_URL=github.url)  # API mode configured: the notes clone all the same
        done = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--format", "json", env=env,
                     source="acme/widget")  # fmt: skip
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        assert data["repo"] == "acme/widget" and data["tag"] == "v1.1"
        listed = sorted(c["sha"] for e in data["entries"] for c in e["commits"])
        assert listed == sorted(range_shas(repo, "v1.0..v1.1"))
        assert all(c["url"].startswith(github.web_url) for e in data["entries"] for c in e["commits"])
        assert list((tmp_path / "data" / "repos").glob("*-blobless.git"))
        again = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", env=env, source="acme/widget")
        assert again.returncode == 0 and "11 analysis(es) reused from the store" in again.stderr, again.stderr


def test_the_notes_speak_chinese_and_each_forge_s_syntax(repo: Path, tmp_path: Path) -> None:
    done = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--lang", "zh")
    assert done.returncode == 0, done.stderr
    assert "### 不兼容变更" in done.stdout and "### 新贡献者" in done.stdout
    body = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--format", "release").stdout
    assert "@bobbyte" in body and " #16, " in body and f"{ORIGIN}/compare/v1.0...v1.1" in body
    # A GitLab project's merge requests are !N, its compare page under /-/.
    data = json.loads(
        notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--format", "json").stdout
    )
    gitlab = ReleaseNotes.model_validate(data).model_copy(
        update={"forge": "gitlab", "repo_url": "https://gitlab.com/acme/widget"}
    )
    gitlab = gitlab.model_copy(update={"entries": [e.model_copy(update={"pr_reference": f"!{e.pr_number}"})
                                                   if e.pr_number else e for e in gitlab.entries]})  # fmt: skip
    text = notes_release_body(gitlab)
    assert " !16, " in text and "https://gitlab.com/acme/widget/-/compare/v1.0...v1.1" in text


def test_commit_text_stays_inert_in_every_format(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "hostile")
    git(repo, "remote", "add", "origin", f"{ORIGIN}.git")
    commit(repo, CommitSpec("Initial import", _at(0), edits=[FileEdit("a.txt", "a\n")]))
    git(repo, "tag", "v0.1")
    title = "feat: <script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror=alert(2)> @everyone #99"
    commit(repo, CommitSpec(title, _at(1), edits=[FileEdit("b.txt", "b\n")]))
    git(repo, "tag", "v0.2")
    out = {fmt: notes(repo, tmp_path, "v0.1..v0.2", "--analyzer", "heuristic", "--format", fmt).stdout
           for fmt in ("md", "html", "release", "json")}  # fmt: skip
    for fmt in ("md", "release"):  # as a Markdown reader shows them: text, no tag or link of theirs
        shown = MarkdownIt("commonmark").render(out[fmt])
        assert "<script" not in shown and "<img" not in shown and 'href="javascript' not in shown, shown
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert (
        "<script" not in out["html"] and "<img" not in out["html"] and 'href="javascript' not in out["html"]
    )
    assert "@\u200beveryone" in out["release"] and "#\u200b99" in out["release"]
    assert json.loads(out["json"])["entries"][0]["commits"][0]["title"] == title  # the data keeps the text


def test_merges_are_in_the_range_as_git_include_merges_says(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "merged")
    commit(repo, CommitSpec("Initial import", _at(0), edits=[FileEdit("a.txt", "a\n")]))
    git(repo, "tag", "v1")
    git(repo, "checkout", "-q", "-b", "topic")
    commit(repo, CommitSpec("feat: a topic change", _at(1), edits=[FileEdit("b.txt", "b\n")]))
    git(repo, "checkout", "-q", "main")
    commit(repo, CommitSpec("fix: a main change", _at(2), edits=[FileEdit("c.txt", "c\n")]))
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge branch 'topic'", "topic",
        env={"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com", "GIT_COMMITTER_NAME": "Ada",
             "GIT_COMMITTER_EMAIL": "ada@example.com", "GIT_AUTHOR_DATE": _at(3).isoformat(),
             "GIT_COMMITTER_DATE": _at(3).isoformat()})  # fmt: skip
    git(repo, "tag", "v2")
    for merges, expected in (("true", 3), ("false", 2)):
        env = _env(DAILYDIFF_GIT_INCLUDE_MERGES=merges)
        done = notes(repo, tmp_path, "v1..v2", "--analyzer", "heuristic", "--format", "json", env=env)
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        listed = [c["sha"] for e in data["entries"] for c in e["commits"]]
        wanted = git(
            repo, "log", "--format=%H", *([] if merges == "true" else ["--no-merges"]), "v1..v2"
        ).split()
        assert sorted(listed) == sorted(wanted) and len(listed) == expected
        assert data["figures"]["merges"] == (1 if merges == "true" else 0)


def test_the_authors_before_a_range_are_kept_by_its_base_commit_and_used_again(
    repo: Path, tmp_path: Path
) -> None:
    """The walk of the history before the range (who is a newcomer) is made once per base commit: the store
    keeps its answer, and the next call reads it instead of asking git (an answer changed in the store
    changes who is new); a shallow clone, whose history may still grow, keeps none."""
    from dailydiff.sources.release_authors import AUTHORS_KEY
    from dailydiff.sources.release_authors import ident as _ident
    from dailydiff.store import Store

    def newcomers(where: Path, source: Path) -> set[str]:
        done = notes(source, where, "v1.0..v1.1", "--analyzer", "heuristic", "--format", "json")
        assert done.returncode == 0, done.stderr
        return {a["name"] for a in json.loads(done.stdout)["first_timers"]}

    assert newcomers(tmp_path, repo) == {"Bob Byte", "Cy Coder"}
    key = AUTHORS_KEY + git(repo, "rev-parse", "v1.0^{commit}").strip()
    with Store.open(tmp_path / "data") as store:
        kept = json.loads(store.answer(key) or "{}")
        assert kept == {"seen": sorted({_ident("ada lovelace"), _ident("ada@example.com")})}
        store.save_answer(key, json.dumps({"seen": [*kept["seen"], _ident("bob byte")]}))
    assert newcomers(tmp_path, repo) == {"Cy Coder"}  # the store's answer, not git's
    since = notes(repo, tmp_path, "--since-tag", "--analyzer", "heuristic", "--format", "json")  # from v1.1
    assert since.returncode == 0 and json.loads(since.stdout)["first_timers"] == []
    with Store.open(tmp_path / "data") as store:
        assert store.answer(AUTHORS_KEY + git(repo, "rev-parse", "v1.1^{commit}").strip()) is not None
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "3", "--no-single-branch", repo.as_uri(), str(shallow))
    git(shallow, "fetch", "-q", "--depth", "3", "origin", "tag", "v1.0", "tag", "v1.1")
    (tmp_path / "s").mkdir()
    newcomers(tmp_path / "s", shallow)
    with Store.open(tmp_path / "s" / "data") as store:
        assert store.answer(key) is None


def test_the_notes_from_a_directory_inside_the_repository_are_the_same_and_keep_the_authors(
    tmp_path: Path,
) -> None:
    """`notes` starts the walk of the authors before the range before its plan opens the repository, in the
    directory it was given: from a directory inside the clone, the plan resolves the ends again (the walk is
    the same, keyed by the base commit) — the notes are those of the clone's top, and the store keeps the
    authors for the next call."""
    from dailydiff.sources.release_authors import AUTHORS_KEY
    from dailydiff.store import Store

    widget = build_tagged_repo(tmp_path / "widget")
    inside = widget / "deep" / "er"
    inside.mkdir(parents=True)
    (tmp_path / "top").mkdir()
    (tmp_path / "in").mkdir()
    from_top = notes(widget, tmp_path / "top", "v1.0..v1.1", "--analyzer", "heuristic", "--format", "json")
    from_inside = notes(widget, tmp_path / "in", "v1.0..v1.1", "--analyzer", "heuristic", "--format", "json",
                        source=str(inside))  # fmt: skip
    assert from_top.returncode == 0 and from_inside.returncode == 0, from_inside.stderr
    top, within = json.loads(from_top.stdout), json.loads(from_inside.stdout)
    assert {a["name"] for a in within["first_timers"]} == {"Bob Byte", "Cy Coder"}
    assert [e["commits"] for e in within["entries"]] == [e["commits"] for e in top["entries"]]
    assert within["first_timers"] == top["first_timers"]
    key = AUTHORS_KEY + git(widget, "rev-parse", "v1.0^{commit}").strip()
    for where in ("top", "in"):
        with Store.open(tmp_path / where / "data") as store:
            assert store.answer(key) is not None


def test_what_the_notes_model_names_beyond_the_entries_it_was_shown_is_removed(
    repo: Path, tmp_path: Path, fake: FakeLLM
) -> None:
    """Every claim checked (issue 81): the release's overview and entry lines are traced to the entries the
    model was shown; a sentence naming a file, a function or a pull request none of them has is removed,
    a line left with nothing keeps the rules' own."""

    def inventing(body: dict[str, Any]) -> str | None:
        props = (
            (body.get("response_format") or {}).get("json_schema", {}).get("schema", {}).get("properties", {})
        )
        if "entries" not in props:
            return None
        return json.dumps({"overview": "This release adds streaming. It rewrites csrc/invented_notes_kernel.cu.",
                           "entries": [{"id": 1, "text": "Calls `invented_notes_fn()` now."},
                                       {"id": 2, "text": "Explains streaming; see #98765."}]})  # fmt: skip

    fake.canned = inventing
    told = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "llm", env=_llm_env(fake))
    assert told.returncode == 0, told.stderr
    assert len(_notes_requests(fake)) == 1
    assert "This release adds streaming." in told.stdout
    for invented in ("invented_notes_kernel", "invented_notes_fn", "98765"):
        assert invented not in told.stdout, invented


# A forge that makes the release, then answers 502, or answers after the publisher's timeout (1 s here).
ACTED = [pytest.param(502, 0.0, id="acts-then-502"), pytest.param(0, 2.5, id="acts-then-answers-late")]
QUICK = {"TIMEOUT": "1", "CONNECT_TIMEOUT": "1", "READ_TIMEOUT": "1", "BACKOFF": "0"}


@pytest.mark.parametrize(("status", "late"), ACTED)
def test_a_github_release_made_before_its_answer_failed_is_not_made_twice(
    repo: Path, tmp_path: Path, github: FakeGitHubPublish, status: int, late: float
) -> None:
    """Issue 86 failure 3: GitHub creates the draft release, then answers the POST with a 5xx, or after the
    timeout: the publisher looks before trying again, finds it, and makes no second draft of the tag."""
    github.acted.append(("POST", "/releases", status, late))
    env = _env(GITHUB_TOKEN=github.token, DAILYDIFF_GITHUB_API_URL=github.url,
               **{f"DAILYDIFF_GITHUB_{k}": v for k, v in QUICK.items()})  # fmt: skip
    done = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--publish", env=env)
    assert done.returncode == 0, done.stderr
    assert [r["tag_name"] for r in github.releases["acme/widget"]] == ["v1.1"]
    assert [m for m, t in github.requests if t.split("?")[0].endswith("/releases")].count("POST") == 1


@pytest.mark.parametrize(("status", "late"), ACTED)
def test_a_gitlab_release_made_before_its_answer_failed_is_not_made_twice(
    tmp_path: Path, status: int, late: float
) -> None:
    """Issue 86 failure 3, on GitLab: the release is made, the POST answered with a 5xx or after the timeout:
    the publisher finds it (GET of the tag) and does not POST again; exit 0."""
    repo = build_tagged_repo(tmp_path / "widget")
    with FakeGitLab({"acme/widget": GitData(repo)}) as gitlab:
        git(repo, "remote", "set-url", "origin", "https://gitlab.example.com/acme/widget.git")
        gitlab.acted.append(("POST", "/releases", status, late))
        env = _env(DAILYDIFF_GITLAB_API_URL=gitlab.url, GITLAB_TOKEN="glpat-secret", DAILYDIFF_NOTES_DRAFT="false",
                   **{f"DAILYDIFF_GITLAB_{k}": v for k, v in QUICK.items()})  # fmt: skip
        made = notes(repo, tmp_path, "v1.0..v1.1", "--analyzer", "heuristic", "--publish", env=env)
        assert made.returncode == 0, (made.stderr, _exchanges(gitlab))
        assert list(gitlab.releases["acme/widget"]) == ["v1.1"]
        assert [r.method for r in gitlab.requests if r.kind == "releases"].count("POST") == 1
