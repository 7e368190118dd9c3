"""GitHub publishers against the fake Contents/Issues API: create, update, idempotence, big bodies."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import TypeAdapter

from dailydiff.models import DayReport
from dailydiff.publish.base import PublishResult, Secrets, Status
from dailydiff.publish.github import blob_sha, quiet_references
from dailydiff.publish.registry import attempt, build_publishers
from dailydiff.render import RENDERERS
from dailydiff.settings.publishers import PublishEntry
from fake_github_publish import BODY_LIMIT, FakeGitHubPublish
from publish_reports import edition, make_report

TOKEN = "ghp-canary-token-5e5e"
TARGET = "acme/reports"


@pytest.fixture
def github() -> Iterator[FakeGitHubPublish]:
    server = FakeGitHubPublish(token=TOKEN).start()
    yield server
    server.stop()


def publish(
    github: FakeGitHubPublish, report: DayReport, entry: dict[str, Any], token: str = TOKEN
) -> PublishResult:
    data = {"repository": TARGET, "api_url": github.url, "backoff": 0.01, **entry}
    secrets = Secrets({"GITHUB_TOKEN": token})
    publishers = build_publishers([TypeAdapter(PublishEntry).validate_python(data)], secrets)
    return attempt(publishers[0], edition(report), secrets)


def test_blob_sha_matches_git() -> None:
    assert blob_sha(b"Hello world") == "70c379b63ffa0795fdbfbc128e5a2818397b7ef8"  # git hash-object


def test_contents_one_commit_per_day_then_unchanged_then_update(github: FakeGitHubPublish) -> None:
    report = make_report(4)
    entry = {"type": "github-contents", "formats": ["md", "json"]}
    github.files[(TARGET, "main", "README.md")] = b"reports"  # the branch has history of its own
    first = publish(github, report, entry)
    assert first.status is Status.OK, first
    md_path, json_path = "reports/2026/sglang/2026-01-27.md", "reports/2026/sglang/2026-01-27.json"
    assert github.file_text(TARGET, md_path) == RENDERERS["md"](report)
    assert github.file_text(TARGET, json_path) == RENDERERS["json"](report)
    assert github.file_text(TARGET, "README.md") == "reports"  # built on the branch's tree
    # both formats in one commit, on top of the branch's head
    assert [(c["message"], c["paths"]) for c in github.commits] == [
        ("Report: sglang - 2026-01-27", [json_path, md_path])
    ]
    assert f"commit {github.commits[0]['sha'][:7]} on main: created" in first.detail

    again = publish(github, report, entry)
    assert again.status is Status.SKIPPED and "unchanged" in again.detail
    assert len(github.commits) == 1  # publishing the same day twice makes no second commit

    # A rebuild of the same day: only the generation line (Markdown) and generated_at/run (JSON) differ.
    rebuilt = report.model_copy(update={"generated_at": dt.datetime(2026, 2, 3, 4, 5, 6, tzinfo=dt.UTC)})
    assert RENDERERS["md"](rebuilt) != RENDERERS["md"](report)
    rebuild = publish(github, rebuilt, entry)
    assert rebuild.status is Status.SKIPPED and "unchanged" in rebuild.detail, rebuild
    assert len(github.commits) == 1 and github.file_text(TARGET, md_path) == RENDERERS["md"](report)

    changed = make_report(6)
    third = publish(github, changed, {"type": "github-contents"})
    assert third.status is Status.OK and "updated " + md_path in third.detail
    assert len(github.commits) == 2 and github.file_text(TARGET, md_path) == RENDERERS["md"](changed)
    assert github.commits[-1]["paths"] == [md_path]
    ref_moves = [t for m, t in github.requests if m == "PATCH" and "/git/refs/heads/" in t]
    assert len(ref_moves) == 2 and not [t for m, t in github.requests if m == "PUT"]


def test_contents_empty_repository_and_a_branch_that_moves_meanwhile(github: FakeGitHubPublish) -> None:
    first = publish(github, make_report(2), {"type": "github-contents"})  # no commit yet: 409 on the ref
    assert first.status is Status.OK, first
    assert [c["paths"] for c in github.commits] == [["reports/2026/sglang/2026-01-27.md"]]
    assert ("POST", "/repos/acme/reports/git/refs") in github.requests

    # Someone pushes between our read of the head and our ref update: the update is refused (not a
    # fast-forward), and the publisher builds again on the new head.
    original = github.handle

    def push_first(method: str, target: str, headers: dict[str, str], raw: bytes) -> Any:
        if method == "PATCH" and "/git/refs/" in target and not pushed:
            pushed.append(True)
            github.files[(TARGET, "main", "other.txt")] = b"pushed"
            del github.refs[(TARGET, "main")]  # the fake makes a new head from the files
        return original(method, target, headers, raw)

    pushed: list[bool] = []
    github.handle = push_first  # type: ignore[method-assign]
    second = publish(github, make_report(5), {"type": "github-contents"})
    assert second.status is Status.OK, second
    assert github.file_text(TARGET, "other.txt") == "pushed"
    assert "本日共 5 个提交" in (github.file_text(TARGET, "reports/2026/sglang/2026-01-27.md") or "")


def test_contents_branch_template_committer_and_enterprise_prefix(github: FakeGitHubPublish) -> None:
    github.files[(TARGET, "reports", "daily/sgl-project_sglang/2026-01-27.md")] = b"old"
    result = publish(github, make_report(3), {
        "type": "github-contents", "api_url": github.url + "/api/v3", "branch": "reports",
        "path_template": "daily/{repo_slug}/{date}.{ext}", "message_template": "docs: {repo} {date} ({total} commits)",
        "committer_name": "Report Bot", "committer_email": "bot@example.com",
    })  # fmt: skip
    assert result.status is Status.OK and "updated" in result.detail
    assert github.commits[-1]["branch"] == "reports"
    assert github.commits[-1]["message"] == "docs: sgl-project/sglang 2026-01-27 (3 commits)"
    assert github.commits[-1]["committer"] == {"name": "Report Bot", "email": "bot@example.com"}
    assert all(target.startswith("/api/v3/repos/acme/reports/") for _, target in github.requests)


def test_repo_in_a_path_template_is_refused_with_its_new_name() -> None:
    # {repo} used to mean owner_name in paths only; now it is owner/name everywhere, and a path template
    # that still uses it fails when the settings are read instead of moving the reports silently.
    data = {"type": "github-contents", "repository": TARGET, "path_template": "daily/{repo}/{date}.{ext}"}
    with pytest.raises(ValueError, match=r"use \{repo_slug\} for owner_name"):
        TypeAdapter(PublishEntry).validate_python(data)


def test_contents_bad_token_fails_without_leaking_it(github: FakeGitHubPublish) -> None:
    result = publish(github, make_report(2), {"type": "github-contents"}, token="ghp-wrong-canary-123")
    assert result.status is Status.FAILED
    assert "HTTP 401" in result.detail and "GITHUB_TOKEN" in result.detail
    assert "ghp-wrong-canary-123" not in result.detail


def test_contents_retries_a_5xx(github: FakeGitHubPublish) -> None:
    github.script = [(502, {}), (429, {"Retry-After": "0"})]
    result = publish(github, make_report(2), {"type": "github-contents"})
    assert result.status is Status.OK and len(github.commits) == 1


def test_githubs_spent_rate_limit_is_waited_by_the_github_publishers_only(github: FakeGitHubPublish) -> None:
    """GitHub's way of saying a limit is spent (a 403 with `Retry-After`: its secondary limit) is GitHub's rule,
    plugged into the GitHub publishers' client: waited out there; any other service's 403 is an answer."""
    import time

    from dailydiff.publish.http import Http

    github.script = [(403, {"Retry-After": "1"})]
    started = time.monotonic()
    result = publish(github, make_report(2), {"type": "github-contents"})
    assert result.status is Status.OK and len(github.commits) == 1
    assert time.monotonic() - started >= 0.98  # it waited what GitHub asked, not a 0.01 s back-off
    github.script = [(403, {"Retry-After": "1"})]
    hook = TypeAdapter(PublishEntry).validate_python({"type": "webhook", "url_env": "HOOK", "backoff": 0.01})
    with Http(hook) as http:  # a webhook's client: GitHub's rule is not its own
        assert http.request("POST", f"{github.url}/hook", json={}).status_code == 403
    assert [target for _, target in github.requests].count("/hook") == 1  # not asked again


def test_issue_created_once_then_updated_never_duplicated(github: FakeGitHubPublish) -> None:
    for i in range(130):  # other issues and a PR, so the day's issue must be found on a later page
        github.add_issue(TARGET, f"other {i}", "unrelated", pull_request=i == 5)
    report = make_report(4)
    entry = {"type": "github-issue", "labels": ["dailydiff", "sglang"]}
    first = publish(github, report, entry)
    assert first.status is Status.OK and "created issue #131" in first.detail
    issue = github.issues[TARGET][-1]
    assert issue["title"] == "Daily report: sgl-project/sglang - 2026-01-27"
    assert [label["name"] for label in issue["labels"]] == ["dailydiff", "sglang"]
    assert issue["body"].startswith("<!-- dailydiff:report repo=sgl-project/sglang date=2026-01-27 -->\n")
    assert quiet_references(RENDERERS["md"](report)) in issue["body"]

    for _ in range(130):  # the day's issue is now buried under newer ones
        github.add_issue(TARGET, "newer", "x")
    again = publish(github, report, entry)
    assert again.status is Status.SKIPPED and "#131 unchanged" in again.detail
    changed = publish(github, make_report(5), entry)
    assert changed.status is Status.OK and "updated issue #131" in changed.detail
    ours = [i for i in github.issues[TARGET] if "dailydiff:report" in (i["body"] or "")]
    assert len(ours) == 1 and "本日共 5 个提交" in ours[0]["body"]
    assert sum(1 for m, t in github.requests if m == "POST" and t.endswith("/issues")) == 1


def big_report() -> DayReport:
    report = make_report(400, high_every=1)
    assert len(RENDERERS["md"](report)) > 2 * BODY_LIMIT
    return report


def test_issue_over_the_limit_continues_in_comments_and_stays_single(github: FakeGitHubPublish) -> None:
    report = big_report()
    result = publish(github, report, {"type": "github-issue"})
    assert result.status is Status.OK and "comment(s)" in result.detail, result
    (issue,) = github.issues[TARGET]
    comments = github.comments[(TARGET, issue["number"])]
    assert len(comments) >= 2
    pieces = [issue["body"], *(c["body"] for c in comments)]
    assert all(len(p.encode("utf-16-le")) // 2 <= BODY_LIMIT for p in pieces)
    markdown = quiet_references(RENDERERS["md"](report))
    # every line of the report is in exactly the pieces, in order: nothing lost, repeated or reordered
    # (blank lines at a cut aside); what the pieces add is their markers
    marker = re.compile(
        r"<!-- dailydiff:(report .*|part \d+) -->|\*\(\d+/\d+( — continued in the comments)?\)\*"
    )
    lines = [line for piece in pieces for line in piece.splitlines() if line and not marker.fullmatch(line)]
    assert lines == [line for line in markdown.splitlines() if line]
    assert [p.splitlines()[0] for p in pieces[1:]] == [
        f"<!-- dailydiff:part {n} -->" for n in range(2, len(pieces) + 1)
    ]
    again = publish(github, report, {"type": "github-issue"})
    assert again.status is Status.SKIPPED
    assert len(github.issues[TARGET]) == 1 and len(github.comments[(TARGET, issue["number"])]) == len(
        comments
    )
    smaller = publish(github, make_report(3), {"type": "github-issue"})
    assert smaller.status is Status.OK
    assert github.comments[(TARGET, issue["number"])] == []  # stale continuation comments are removed


def test_issue_over_the_limit_trimmed_with_a_link(github: FakeGitHubPublish) -> None:
    result = publish(github, big_report(), {"type": "github-issue", "overflow": "trim",
                                            "report_url": "https://r.example.com/{date}.html"})  # fmt: skip
    assert result.status is Status.OK
    (issue,) = github.issues[TARGET]
    assert len(issue["body"].encode("utf-16-le")) // 2 <= BODY_LIMIT
    assert issue["body"].rstrip().endswith("[full report](https://r.example.com/2026-01-27.html)*")
    assert github.comments.get((TARGET, issue["number"]), []) == []


def test_issue_body_pings_no_one_and_references_no_issue(github: FakeGitHubPublish) -> None:
    report = make_report(4)  # titles hold "@everyone" and "(#17000)"; the summaries "`tick`"
    markdown = RENDERERS["md"](report)
    assert "@everyone" in markdown and "#17000" in markdown and "`tick`" in markdown
    publish(github, report, {"type": "github-issue"})
    body = github.issues[TARGET][-1]["body"]
    assert "@everyone" not in body and "@\u200beveryone" in body
    assert "#17000" not in body and "#\u200b17000" in body
    assert (
        "`tick`" in body and "](https://github.com/sgl-project/sglang/commit/" in body
    )  # code, links intact
    assert body.startswith("<!-- dailydiff:report repo=sgl-project/sglang date=2026-01-27 -->\n")


def test_an_issue_list_answered_with_something_else_is_one_line_not_an_internal_error(
    github: FakeGitHubPublish,
) -> None:
    """A 200 whose JSON is not GitHub's list of issues (a proxy, another server at api_url): the publish fails
    with what GitHub answered and where to look, nothing is created, and no internal error is raised."""
    github.script = [(200, {})]  # the fake's scripted answer: an object, where a list of issues belongs
    result = publish(github, make_report(2), {"type": "github-issue"})
    assert result.status is Status.FAILED, result
    assert "the list of issues with an object (scripted failure)" in result.detail, result.detail
    assert "api_url" in result.detail and github.issues.get(TARGET, []) == []


@pytest.mark.parametrize(("status", "kind"), [(404, "github-contents"), (403, "github-contents"),
                                              (404, "github-issue"), (422, "github-issue")])  # fmt: skip
def test_a_refusal_fails_at_once_with_the_repository_and_a_next_step(
    github: FakeGitHubPublish, status: int, kind: str
) -> None:
    # 404: no such repository or no access; 403: the token may not write; 422: GitHub refused the request.
    github.script = [(status, {})]
    result = publish(github, make_report(2), {"type": kind})
    assert result.status is Status.FAILED, result
    assert f"HTTP {status}" in result.detail and TARGET in result.detail, result.detail
    assert len(github.requests) == 1  # a refusal is not retried
    assert github.commits == [] and github.issues.get(TARGET, []) == []
    assert TOKEN not in result.detail


@pytest.mark.parametrize(
    ("ending", "status", "late"),
    [
        pytest.param("/issues", 502, 0.0, id="issue-acts-then-502"),
        pytest.param("/issues", 0, 2.5, id="issue-acts-then-answers-late"),
        pytest.param("/comments", 502, 0.0, id="comment-acts-then-502"),
        pytest.param("/comments", 0, 2.5, id="comment-acts-then-answers-late"),
    ],
)
def test_an_issue_or_comment_made_before_its_answer_failed_is_not_made_twice(
    github: FakeGitHubPublish, ending: str, status: int, late: float
) -> None:
    """Issue 86 failure 3: GitHub makes the issue (or a continuation comment), then answers the POST with a 5xx
    or after the publisher's timeout (1 s): the publisher looks before trying again and finds it — one issue,
    each comment once, in order."""
    github.acted.append(("POST", ending, status, late))
    result = publish(github, big_report(), {"type": "github-issue", "timeout": 1})
    assert result.status is Status.OK, result
    (issue,) = github.issues[TARGET]
    comments = [c["body"].splitlines()[0] for c in github.comments[(TARGET, issue["number"])]]
    assert comments == [f"<!-- dailydiff:part {n} -->" for n in range(2, len(comments) + 2)], comments
    posts = [t for m, t in github.requests if m == "POST" and t.split("?")[0].endswith(ending)]
    assert len(posts) == (1 if ending == "/issues" else len(comments))
