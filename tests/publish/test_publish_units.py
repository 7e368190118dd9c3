"""Small pure pieces of publishing: Retry-After, Markdown splitting, secret redaction, templates."""

from __future__ import annotations

import email.utils
from pathlib import Path

import httpx2
import pytest

from dailydiff.errors import PublishError
from dailydiff.publish.base import Secrets, describe_url, fill
from dailydiff.publish.http import wait_asked
from dailydiff.publish.mdsplit import split_markdown
from publish_reports import edition, make_report


def response(status: int, headers: dict[str, str]) -> httpx2.Response:
    return httpx2.Response(status, headers=headers)


def test_retry_after_seconds_date_and_github_reset() -> None:
    assert wait_asked(response(429, {"Retry-After": "7"})) == 7.0
    when = email.utils.formatdate(1_000_030, usegmt=True)
    assert wait_asked(response(503, {"Retry-After": when}), now=1_000_000) == pytest.approx(30)
    reset = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000050"}
    assert wait_asked(response(403, reset), now=1_000_000, limited=True) == 50
    assert wait_asked(response(403, reset), now=1_000_000) is None  # a 403 that is no spent limit
    assert wait_asked(response(500, {})) is None
    assert wait_asked(response(429, {"Retry-After": "soon"})) is None


def test_split_markdown_keeps_everything_and_prefers_section_starts() -> None:
    sections = [f"## Section {i}\n\n" + "".join(f"- item {i}.{j} 中文 🚀\n" for j in range(20)) + "\n---\n\n"
                for i in range(30)]  # fmt: skip
    text = "# Title\n\n" + "".join(sections) + "```\ncode line\n" * 1 + "```\n"
    parts = split_markdown(text, 1500)
    assert "".join(parts) == text
    assert len(parts) > 5
    for part in parts:
        assert len(part.encode("utf-16-le")) // 2 <= 1500
        last_block = part.rstrip("\n").rsplit("\n\n", 1)[-1]
        assert not last_block.startswith("## ")  # no part ends on a heading


def test_split_markdown_does_not_split_a_fence_that_fits() -> None:
    fence = "```text\n" + "x = 1\n\n" * 50 + "```\n"
    text = "para\n\n" * 100 + fence + "tail\n"
    parts = split_markdown(text, len(fence) + 10)
    assert "".join(parts) == text
    assert any(fence in part for part in parts)


def test_secrets_are_redacted_from_messages() -> None:
    secrets = Secrets(
        {"HOOK": "https://hooks.example.com/services/T0AB/B0CD/tok3nSECRET", "PW": "hunter2-pass"}
    )
    secrets.get("HOOK", "webhook URL")
    secrets.get("PW", "password")
    text = "failed https://hooks.example.com/services/T0AB/B0CD/tok3nSECRET and tok3nSECRET and hunter2-pass"
    assert secrets.redact(text) == "failed *** and *** and ***"
    assert secrets.redact("the services answered") == "the services answered"
    assert (
        describe_url("https://oapi.dingtalk.com/robot/send?access_token=abc") == "https://oapi.dingtalk.com"
    )
    with pytest.raises(PublishError, match="MISSING_VAR"):
        secrets.get("MISSING_VAR", "token")


def test_templates_fill_and_bad_placeholders_are_clear() -> None:
    report = make_report(3)
    assert (
        fill("Report: {repo_name} - {date} ({total})", edition(report), "message")
        == "Report: sglang - 2026-01-27 (3)"
    )
    with pytest.raises(PublishError, match="bad title template"):
        fill("{nope}", edition(report), "title")


def test_one_set_of_placeholders_for_every_template() -> None:
    from dailydiff.common import placeholders

    report = make_report(3)  # sgl-project/sglang, 2026-01-27
    values = placeholders.day_values(report, "json")
    assert placeholders.fill("{repo} {repo_slug} {repo_name} {owner} {date} {total}", values) == (
        "sgl-project/sglang sgl-project_sglang sglang sgl-project 2026-01-27 3"
    )
    path = placeholders.fill_path(
        "{year}/{repo_slug}/{date}.{ext}", values, placeholders.DAY_PATH_PLACEHOLDERS
    )
    assert path.as_posix() == "2026/sgl-project_sglang/2026-01-27.json"
    with pytest.raises(placeholders.TemplateError, match=r"now means owner/name.*use \{repo_slug\}"):
        placeholders.fill_path("{repo}/{date}.md", values, placeholders.DAY_PATH_PLACEHOLDERS)
    with pytest.raises(placeholders.TemplateError, match=r"unknown placeholder \{total\}") as refused:
        placeholders.fill_path("{total}/{date}.md", values, placeholders.DAY_PATH_PLACEHOLDERS)
    assert "{repo_slug}" in str(refused.value) and "{repo}," not in str(refused.value)
    with pytest.raises(placeholders.TemplateError, match="malformed"):
        placeholders.check("{date", placeholders.DAY_PLACEHOLDERS)


def test_files_publisher_writes_atomically_and_skips_unchanged(tmp_path: Path) -> None:
    from pydantic import TypeAdapter

    from dailydiff.publish.base import Status
    from dailydiff.publish.registry import attempt, build_publishers
    from dailydiff.render import RENDERERS
    from dailydiff.settings.publishers import PublishEntry

    report = make_report(3)
    entry = TypeAdapter(PublishEntry).validate_python(
        {"type": "files", "directory": str(tmp_path), "formats": ["md", "json"]}
    )
    secrets = Secrets({})
    publishers = build_publishers([entry], secrets)
    first = attempt(publishers[0], edition(report), secrets)
    assert first.status is Status.OK
    md = tmp_path / "reports" / "2026" / "sglang" / "2026-01-27.md"
    assert md.read_text(encoding="utf-8") == RENDERERS["md"](report)
    assert (md.with_suffix(".json")).read_text(encoding="utf-8") == RENDERERS["json"](report)
    assert sorted(p.name for p in md.parent.iterdir()) == [
        "2026-01-27.json",
        "2026-01-27.md",
    ]  # no temp files
    second = attempt(publishers[0], edition(report), secrets)
    assert second.status is Status.SKIPPED and "unchanged" in second.detail
    # A template that leaves the directory is refused when the settings are read, before any work.
    with pytest.raises(ValueError, match="leaves its directory"):
        TypeAdapter(PublishEntry).validate_python(
            {"type": "files", "directory": str(tmp_path), "path_template": "../{date}.{ext}"}
        )


def test_empty_day_still_gets_a_short_message() -> None:
    from dailydiff.publish import chat_formats as cf
    from dailydiff.render.chat import day_message

    report = make_report(0, language="en")
    (payload,) = cf.discord_payloads(day_message(report, None), 10)
    assert "0 commits" in payload["content"] and "No high-importance commits today." in payload["content"]


def test_missing_environment_lists_unset_variables() -> None:
    from pydantic import TypeAdapter

    from dailydiff.publish.registry import missing_environment
    from dailydiff.settings.publishers import PublishEntry

    adapter = TypeAdapter(PublishEntry)
    entries = [
        adapter.validate_python({"type": "slack", "url_env": "SLACK_URL"}),
        adapter.validate_python({"type": "slack", "url_env": "SLACK2_URL", "secret_env": ""}),
        adapter.validate_python({"type": "github-issue", "repository": "a/b"}),
    ]
    assert missing_environment(entries, {"SLACK_URL": "https://x"}) == [
        "publisher slack-2: environment variable SLACK2_URL (url_env) is not set",
        "publisher github-issue: environment variable GITHUB_TOKEN (token_env) is not set",
    ]


def test_readme_publishing_example_is_valid_config(tmp_path: Path) -> None:
    from dailydiff.settings import load_settings

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Publishing", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    config = tmp_path / "dailydiff.toml"
    config.write_text(example, encoding="utf-8")
    settings = load_settings(config, environ={})
    assert [p.type for p in settings.publish] == ["github-contents", "feishu", "email"]


def test_email_html_turns_report_anchors_into_heading_ids() -> None:
    import re
    from pathlib import Path

    from dailydiff.render.mail import markdown_to_html

    markdown = (Path(__file__).parents[1] / "golden" / "sample-2026-01-19.zh.md").read_text(encoding="utf-8")
    html = markdown_to_html(markdown)
    assert "&lt;a id=" not in html  # no tag shown as text
    ids = set(re.findall(r'id="([^"]+)"', html))
    links = set(re.findall(r'href="#([^"]+)"', html))
    assert links and links <= ids  # every contents link lands on a heading
    assert "<script" not in html
