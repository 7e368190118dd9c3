"""Issue 16, end to end: [[digest]] entries built by `run` and `dailydiff digest` from the stored days, files,
the site, chat services' limits, the delivery ledger, and the cross-repository overview (fake LLM)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import posixpath
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from dailydiff.models import Level
from dailydiff.render.digest import DayDigest, load_digest
from dailydiff.store import Store
from fake_llm import FakeLLM
from opsfixtures import FIRST_DAY, build_workspace, dailydiff
from webhook_receiver import WebhookReceiver

DAY0, DAY2 = FIRST_DAY, FIRST_DAY + dt.timedelta(days=2)
DAYS3 = [FIRST_DAY + dt.timedelta(days=i) for i in range(3)]
BASE = "https://digests.example/team/"

DIGESTS_TOML = f"""
[site]
base_url = "{BASE}"

[[digest]]
name = "all"

[[digest]]
name = "first-three"
repos = ["proj[012]"]

[[publish]]
type = "files"
name = "archive"
directory = "archive"
formats = ["md", "json", "html"]
"""


def _no_llm_env(**extra: str) -> dict[str, str]:
    return {**{k: "" for k in os.environ if k.startswith("DAILYDIFF_LLM")}, **extra}


def _links(markdown: str) -> list[str]:
    hrefs = []
    for token in MarkdownIt().parse(markdown):
        for child in token.children or []:
            if child.type == "link_open":
                hrefs.append(str(child.attrs["href"]))
    return hrefs


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


def test_six_repositories_two_digests_three_days_files_counts_links_and_site(tmp_path: Path) -> None:
    build_workspace(tmp_path, repos=6, per_day=3, extra_toml=DIGESTS_TOML)
    dailydiff("run", "--from", DAY0.isoformat(), "--to", DAY2.isoformat(), cwd=tmp_path, env=_no_llm_env())
    dailydiff("site", "build", "--output-dir", "site", cwd=tmp_path, env=_no_llm_env())
    site = tmp_path / "site"
    index = (site / "index.html").read_text(encoding="utf-8")
    feed = (site / "digests.xml").read_text(encoding="utf-8")
    assert feed.count("<entry>") == 6
    store = Store.open(tmp_path / "data")
    checked_links = 0
    try:
        for name, members in (
            ("all", [f"proj{i}" for i in range(6)]),
            ("first-three", ["proj0", "proj1", "proj2"]),
        ):
            for day in DAYS3:
                # under the target's root, beside its days (archive/reports/…)
                base = tmp_path / "archive" / "reports" / "digests" / f"{day.year}" / name / day.isoformat()
                md, js, html = (
                    base.with_suffix(f".{ext}").read_text(encoding="utf-8") for ext in ("md", "json", "html")
                )
                digest = load_digest(js)
                assert sorted(r.repo for r in digest.repos) == members
                reports = {r: store.get_report(r, day, "zh") for r in members}
                for line in digest.repos:
                    report = reports[line.repo]
                    assert report is not None and line.stored
                    assert (line.total, line.high, line.medium, line.low) == (
                        report.stats.total, report.stats.high, report.stats.medium, report.stats.low)  # fmt: skip
                assert digest.total == sum(r.stats.total for r in reports.values() if r)
                high = {
                    (r.repo, c.sha) for r in reports.values() if r for c in r.commits if c.level is Level.HIGH
                }
                assert {(c.repo, c.sha) for c in digest.high} == high
                ranks = [(not c.watch, -c.score) for c in digest.high]
                assert ranks == sorted(ranks)
                assert "<script" not in html and "<style" in html  # self-contained
                # Every repository's report link and every high commit's anchor resolve in the built site.
                hrefs = [h for h in _links(md) if h.startswith(BASE)]
                assert len(hrefs) >= len(digest.high) + len(digest.repos)
                for href in hrefs:
                    path, _, anchor = href.removeprefix(BASE).partition("#")
                    page = (site / path).read_text(encoding="utf-8")
                    assert not anchor or anchor in _ids(page), href
                    checked_links += 1
                for c in digest.high:
                    assert f"{BASE}repos/{c.repo}/{day.isoformat()}.html#c-{c.sha[:7]}" in hrefs
                # The site page: its relative links resolve too, and the index links it.
                page_path = f"digests/{name}/{day.isoformat()}.html"
                page = (site / page_path).read_text(encoding="utf-8")
                assert f'href="{page_path}"' in index
                for href in re.findall(r'href="([^"#:]+\.html)(?:#([^"]*))?"', page):
                    target = posixpath.normpath(posixpath.join(posixpath.dirname(page_path), href[0]))
                    text = (site / target).read_text(encoding="utf-8")
                    assert not href[1] or href[1] in _ids(text), href
                    checked_links += 1
    finally:
        store.close()
    assert checked_links > 100
    high_total = sum(len(load_digest(p.read_text(encoding="utf-8")).high)
                     for p in (tmp_path / "archive" / "reports" / "digests").rglob("*.json"))  # fmt: skip
    assert high_total > 0  # the check above ranked something


CHAT_TOML = """
[[digest]]
name = "everything"
{publish}
"""

SERVICES = ["feishu", "dingtalk", "wecom", "slack", "discord"]


def _texts(service: str, payload: dict[str, Any]) -> str:
    if service == "feishu":
        post = next(iter(payload["content"]["post"].values()))
        return post["title"] + "\n" + "\n".join("".join(e["text"] for e in p) for p in post["content"])
    if service == "dingtalk":
        return str(payload["markdown"]["text"])
    if service == "wecom":
        return str(payload["markdown"]["content"])
    if service == "slack":
        return "\n".join(b["text"]["text"] for b in payload["blocks"])
    return str(payload["content"])


def _unpublished(root: Path) -> None:
    """Repositories publish nowhere: the chat receivers see only the digests."""
    config = root / "dailydiff.toml"
    text = re.sub(r'(name = "proj\d+"\n)', r"\1publishers = []\n", config.read_text(encoding="utf-8"))
    config.write_text(text, encoding="utf-8")


def test_forty_repositories_fit_each_chat_service_every_repository_named_nothing_cut_silently(
    tmp_path: Path,
) -> None:
    publish = "".join(f'\n[[publish]]\ntype = "{s}"\nurl_env = "HOOK_{s.upper()}"\nretries = 0\nmax_messages = 3\n'
                      for s in SERVICES)  # fmt: skip
    build_workspace(tmp_path, repos=40, per_day=8, extra_toml=CHAT_TOML.format(publish=publish))
    _unpublished(tmp_path)
    hooks = WebhookReceiver().start()
    try:
        env = _no_llm_env(**{f"HOOK_{s.upper()}": hooks.urls()[s] for s in SERVICES})
        dailydiff("run", "--date", DAY0.isoformat(), cwd=tmp_path, env=env)
    finally:
        hooks.stop()
    assert hooks.violations == []
    with Store.open(tmp_path / "data") as store:
        row = store.get_digest("everything", DAY0, "zh")
    assert row is not None
    digest: DayDigest = load_digest(row[1])
    assert len(digest.repos) == 40 and all(r.stored for r in digest.repos)
    listed_total = len(digest.high) + len(digest.watch)
    assert listed_total > 40  # more than fits some services: they must say what they left out
    for service in SERVICES:
        messages = hooks.received[service]
        assert 1 <= len(messages) <= 3, (service, len(messages))
        text = "\n".join(_texts(service, m) for m in messages)
        for i in range(40):
            assert re.search(rf"proj{i}\b", text), (service, i)
        if len(messages) > 1:  # a later message says which part it is
            assert re.search(rf"everything · [^\n]*[（(]{len(messages)}/{len(messages)}[）)]", text), service
        listed = len(re.findall(r"[🔴🟡🟢] \*{0,2}proj\d+", text))
        left_out = sum(int(n) for n in re.findall(r"另有 (\d+) 条", text))
        assert listed + left_out == listed_total, (service, listed, left_out, listed_total)


DELIVERY_TOML = """
[[digest]]
name = "team"

[[publish]]
type = "webhook"
url_env = "HOOK_GENERIC"
retries = 0

[[publish]]
type = "discord"
url_env = "HOOK_DISCORD"
retries = 0
"""


def test_delivered_once_across_run_and_digest_publish_force_delivers_again(tmp_path: Path) -> None:
    build_workspace(tmp_path, repos=2, per_day=3, extra_toml=DELIVERY_TOML)
    _unpublished(tmp_path)
    hooks = WebhookReceiver().start()
    try:
        env = _no_llm_env(HOOK_GENERIC=hooks.urls()["webhook"], HOOK_DISCORD=hooks.urls()["discord"])
        day = ["--date", DAY0.isoformat()]
        dailydiff("run", *day, cwd=tmp_path, env=env)
        after_run = {s: len(hooks.received.get(s, [])) for s in ("generic", "discord")}
        again = dailydiff("digest", *day, "--publish", cwd=tmp_path, env=env)
        dailydiff("run", *day, cwd=tmp_path, env=env)
        after_repeat = {s: len(hooks.received.get(s, [])) for s in ("generic", "discord")}
        forced = dailydiff("digest", *day, "--publish", "--force", cwd=tmp_path, env=env)
        after_force = {s: len(hooks.received.get(s, [])) for s in ("generic", "discord")}
    finally:
        hooks.stop()
    assert hooks.violations == []
    assert after_run["generic"] == 1 and after_run["discord"] >= 1
    assert after_repeat == after_run
    assert "already delivered" in again.stderr
    assert after_force == {"generic": 2, "discord": 2 * after_run["discord"]}
    assert "✓ publish webhook digest team" in forced.stderr
    body = hooks.received["generic"][0]
    assert body["name"] == "team" and body["date"] == DAY0.isoformat() and len(body["repos"]) == 2


def test_a_repositorys_target_failing_for_days_is_named_in_the_digest(tmp_path: Path) -> None:
    from dailydiff.publish.base import Secrets
    from dailydiff.publish.registry import build_publishers
    from dailydiff.settings import load_settings
    from dailydiff.store import Store

    slack = '\n[[publish]]\ntype = "slack"\nurl_env = "HOOK_SLACK"\nretries = 0\n'
    build_workspace(tmp_path, repos=2, per_day=3, extra_toml=DELIVERY_TOML + slack)
    _unpublished(tmp_path)
    config = tmp_path / "dailydiff.toml"  # proj1's days go to Slack (a target of its own), and only there
    config.write_text(
        config.read_text().replace(
            'name = "proj1"\npublishers = []', 'name = "proj1"\npublishers = ["slack"]'
        )
    )
    hooks = WebhookReceiver().start()
    try:
        env = _no_llm_env(HOOK_GENERIC=hooks.urls()["webhook"], HOOK_DISCORD=hooks.urls()["discord"],
                          HOOK_SLACK=hooks.urls()["slack"])  # fmt: skip
        day = ["--date", DAY0.isoformat()]
        hooks.script["slack"] = [503] * 2  # Slack fails on the day (proj1's and the digest's)
        assert dailydiff("run", *day, cwd=tmp_path, env=env, check=False).returncode == 8
        hooks.script.clear()
        sent = len(hooks.received["discord"])
        assert "推送告警" not in json.dumps(hooks.received["discord"], ensure_ascii=False)
        settings = load_settings(tmp_path / "dailydiff.toml", environ=env, cwd=tmp_path)
        [target] = [p.target for p in build_publishers(settings.publish, Secrets(env)) if p.type == "slack"]
        with Store.open(tmp_path / "data") as store:
            old, repo = sorted({r for r, _, _ in store.list_reports()})
            assert (old, repo) == ("proj0", "proj1")
            # proj1's Slack failed on the three days before; so did proj0's, which no longer publishes there.
            for back, name in itertools.product((3, 2, 1), (old, repo)):
                date = DAY0 - dt.timedelta(days=back)
                assert store.claim_delivery(name, date, "zh", target, publisher="slack", content_hash="h",
                                            owner="me", seen=None)  # fmt: skip
                store.finish_delivery(name, date, "zh", target, owner="me", state="failed", content_hash="h",
                                      detail="HTTP 404")  # fmt: skip
        dailydiff("digest", *day, "--publish", "--force", cwd=tmp_path, env=env)
    finally:
        hooks.stop()
    assert hooks.violations == []
    since = DAY0 - dt.timedelta(days=3)
    alert = f"slack 推送 {repo} 已连续 4 天失败（{since} 至 {DAY0}）；请运行 dailydiff doctor 查看"
    discord = json.dumps(hooks.received["discord"][sent:], ensure_ascii=False)
    assert "⚠️ 推送告警" in discord and alert in discord, discord[:1500]
    assert "proj0 已连续" not in discord  # a target the repository no longer has is not named


def test_a_digest_target_failing_for_days_is_told_to_the_digests_other_targets_never_to_itself(
    tmp_path: Path,
) -> None:
    from dailydiff.publish.base import Secrets
    from dailydiff.publish.registry import build_publishers
    from dailydiff.settings import load_settings

    slack = '\n[[publish]]\ntype = "slack"\nurl_env = "HOOK_SLACK"\nretries = 0\n'
    build_workspace(tmp_path, repos=2, per_day=3, extra_toml=DELIVERY_TOML + slack)
    _unpublished(tmp_path)
    hooks = WebhookReceiver().start()
    try:
        env = _no_llm_env(HOOK_GENERIC=hooks.urls()["webhook"], HOOK_DISCORD=hooks.urls()["discord"],
                          HOOK_SLACK=hooks.urls()["slack"])  # fmt: skip
        day = ["--date", DAY0.isoformat()]
        hooks.script["discord"] = [503]  # the digest's own Discord fails on the day
        assert dailydiff("run", *day, cwd=tmp_path, env=env, check=False).returncode == 8
        settings = load_settings(tmp_path / "dailydiff.toml", environ=env, cwd=tmp_path)
        [discord] = [
            p.target for p in build_publishers(settings.publish, Secrets(env)) if p.type == "discord"
        ]
        with Store.open(tmp_path / "data") as store:
            for back in (3, 2, 1):  # and on the three days before
                date = DAY0 - dt.timedelta(days=back)
                assert store.claim_delivery("digest:team", date, "zh", discord, publisher="discord",
                                            content_hash="h", owner="me", seen=None)  # fmt: skip
                store.finish_delivery("digest:team", date, "zh", discord, owner="me", state="failed",
                                      content_hash="h", detail="HTTP 404")  # fmt: skip
        sent = {s: len(hooks.arrived[s]) for s in ("discord", "slack")}
        hooks.script["discord"] = [503]  # and fails again when the digest is sent again
        again = dailydiff("digest", *day, "--publish", "--force", cwd=tmp_path, env=env, check=False)
    finally:
        hooks.stop()
    assert again.returncode == 8, again.stderr
    assert hooks.violations == []
    since = DAY0 - dt.timedelta(days=3)
    alert = f"discord 推送 digest team 已连续 4 天失败（{since} 至 {DAY0}）；请运行 dailydiff doctor 查看"
    told = json.dumps(hooks.received["slack"][-1], ensure_ascii=False)
    assert "⚠️ 推送告警" in told and alert in told, told[:1500]
    tried = [raw.decode() for raw in hooks.arrived["discord"][sent["discord"] :]]
    assert len(tried) == 1 and "推送告警" not in tried[0] and "已连续" not in tried[0], tried[0][:1500]


def test_overview_one_llm_request_per_digest_day_cached_on_rerun_and_rules_offline(tmp_path: Path) -> None:
    build_workspace(
        tmp_path,
        repos=3,
        per_day=3,
        extra_toml='\n[analysis]\nanalyzer = "llm"\n\n[[digest]]\nname = "team"\n',
    )
    args = ["run", "--from", DAY0.isoformat(), "--to", (DAY0 + dt.timedelta(days=1)).isoformat()]
    with FakeLLM() as fake:
        env = {"DAILYDIFF_LLM_BASE_URL": fake.base_url, "DAILYDIFF_LLM_MODEL": fake.model,
               "DAILYDIFF_LLM_RETRIES": "0", "DAILYDIFF_LLM_BACKOFF": "0",
               "DAILYDIFF_LLM_RESPONSE_MODE": "json_schema"}  # fmt: skip
        first = dailydiff(*args, "--summary-json", "s.json", cwd=tmp_path, env=env)
        digest_overviews = [r for r in fake.requests if r.is_overview and "[proj" in r.prompt_text]
        summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
        fake.reset()
        dailydiff(*args, "--summary-json", "s2.json", cwd=tmp_path, env=env)
        rerun_requests = fake.count
        again = dailydiff("digest", "--date", DAY0.isoformat(), cwd=tmp_path, env=env)
        digest_requests = fake.count
    assert first.returncode == 0
    assert len(digest_overviews) == 2  # one per digest-day
    assert [d["overview"] for d in summary["digests"]] == ["llm", "llm"]
    assert rerun_requests == 0 and digest_requests == 0
    rerun = json.loads((tmp_path / "s2.json").read_text(encoding="utf-8"))
    assert [d["overview"] for d in rerun["digests"]] == ["cached", "cached"]
    with Store.open(tmp_path / "data") as store:
        row = store.get_digest("team", DAY0, "zh")
    assert row is not None and load_digest(row[1]).overview.producer == f"llm:{fake.model}"
    highlight = load_digest(row[1]).overview.highlights[0]
    assert highlight.replace("[", "\\[").replace("]", "\\]") in again.stdout  # Markdown-escaped
    # Offline: the rules' overview, no endpoint asked.
    offline = dailydiff("digest", "--date", DAY0.isoformat(), "--format", "json", cwd=tmp_path,
                        env=_no_llm_env(DAILYDIFF_ANALYSIS_ANALYZER="heuristic"))  # fmt: skip
    assert load_digest(offline.stdout).overview.producer == "heuristic"
    assert "0 overview(s) asked of the LLM" in offline.stderr


def test_digest_by_email_text_and_html(tmp_path: Path) -> None:
    from smtp_server import SmtpServer, make_certificate

    (tmp_path / "tls").mkdir()
    cert, key = make_certificate(tmp_path / "tls")
    server = SmtpServer(cert, key, password="pw-canary-7").start()
    try:
        toml = f"""
[[digest]]
name = "mail"

[[publish]]
type = "email"
host = "127.0.0.1"
port = {server.port}
ca_file = "{cert}"
username = "reports"
password_env = "SMTP_PASSWORD"
sender = "dailydiff <bot@example.com>"
recipients = ["team@example.com"]
"""
        build_workspace(tmp_path, repos=2, per_day=3, extra_toml=toml)
        _unpublished(tmp_path)
        env = _no_llm_env(SMTP_PASSWORD="pw-canary-7")
        dailydiff("run", "--date", DAY0.isoformat(), cwd=tmp_path, env=env)
        dailydiff("digest", "--date", DAY0.isoformat(), "--publish", cwd=tmp_path, env=env)  # not again
    finally:
        server.stop()
    (envelope,) = server.received
    message = envelope.message
    assert message["Subject"].startswith(f"[dailydiff] mail {DAY0.isoformat()}：6 个提交")
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "proj0" in plain and "proj1" in plain and "proj0" in html and "<script" not in html
    assert "pw-canary-7" not in plain + html


def test_a_digest_publisher_that_fails_in_run_is_named_with_its_reason_and_exits_8(tmp_path: Path) -> None:
    publish = "".join(f'\n[[publish]]\ntype = "{s}"\nurl_env = "HOOK_{s.upper()}"\nretries = 0\n'
                      for s in ("slack", "discord"))  # fmt: skip
    build_workspace(tmp_path, repos=2, per_day=2, extra_toml=CHAT_TOML.format(publish=publish))
    _unpublished(tmp_path)
    hooks = WebhookReceiver(script={"discord": [503]}).start()
    try:
        env = _no_llm_env(HOOK_SLACK=hooks.urls()["slack"], HOOK_DISCORD=hooks.urls()["discord"])
        result = dailydiff("run", "--date", DAY0.isoformat(), cwd=tmp_path, env=env, check=False)
    finally:
        hooks.stop()
    assert result.returncode == 8, result.stderr
    assert len(hooks.received["slack"]) == 1 and "discord" not in hooks.received
    lines = [line for line in result.stderr.splitlines() if ": failed — " in line]
    assert len(lines) == 1, result.stderr
    assert f"✗ publish discord digest everything {DAY0}: failed — " in lines[0], lines
    assert "answered HTTP 503" in lines[0] and "tok3n" not in result.stderr, lines
    assert "1 of 2 publish step(s) failed" in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[[digest]]\nname = "a b"\n', "digest[1].name"),
        ('[[digest]]\nname = "x"\nrepos = []\n', "digest[1].repos"),
        ('[[digest]]\nname = "x"\n\n[[digest]]\nname = "x"\n', "duplicate digest 'x'"),
        ('[[digest]]\nname = "x"\ncolour = "red"\n', "colour"),
        ('[[digest]]\nname = "x"\npublishers = ["nowhere"]\n', "unknown publisher 'nowhere'"),
    ],
)
def test_digest_settings_errors_are_one_line_and_exit_2(tmp_path: Path, toml: str, expected: str) -> None:
    build_workspace(tmp_path, repos=1, per_day=1, extra_toml="\n" + toml)
    result = dailydiff("run", "--date", DAY0.isoformat(), cwd=tmp_path, env=_no_llm_env(), check=False)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2, result.stderr


def test_digest_of_a_day_without_stored_reports_is_one_line(tmp_path: Path) -> None:
    build_workspace(tmp_path, repos=1, per_day=1, extra_toml='\n[[digest]]\nname = "x"\n')
    result = dailydiff("digest", "--date", "2025-12-01", cwd=tmp_path, env=_no_llm_env(), check=False)
    assert result.returncode == 1 and "no stored reports of 2025-12-01" in result.stderr
    assert "dailydiff run --date 2025-12-01" in result.stderr and "Traceback" not in result.stderr
    unknown = dailydiff(
        "digest", "--date", "2025-12-01", "--name", "y", cwd=tmp_path, env=_no_llm_env(), check=False
    )
    assert (
        unknown.returncode == 2
        and "no digest named 'y'" in unknown.stderr
        and "configured digests: x" in unknown.stderr
    )


def test_digest_output_dir_writes_each_format_and_a_shard_leaves_digests_alone(tmp_path: Path) -> None:
    build_workspace(tmp_path, repos=2, per_day=2, extra_toml='\n[[digest]]\nname = "pair"\n')
    shard = dailydiff("run", "--date", DAY0.isoformat(), "--shard", "1/2", cwd=tmp_path, env=_no_llm_env())
    assert "digests are not built by a shard" in shard.stderr
    with Store.open(tmp_path / "data") as store:
        assert store.list_digests() == []
    dailydiff("run", "--date", DAY0.isoformat(), "--shard", "2/2", cwd=tmp_path, env=_no_llm_env())
    out = dailydiff("digest", "--date", DAY0.isoformat(), "-o", "out", "--format", "md,json,html", cwd=tmp_path,
                    env=_no_llm_env())  # fmt: skip
    base = tmp_path / "out" / "digests" / f"{DAY0.year}" / "pair" / DAY0.isoformat()
    digest = load_digest(base.with_suffix(".json").read_text(encoding="utf-8"))
    assert sorted(r.repo for r in digest.repos) == ["proj0", "proj1"] and digest.total == 4
    assert "| [proj0]" in base.with_suffix(".md").read_text(encoding="utf-8")
    assert base.with_suffix(".html").read_text(encoding="utf-8").startswith("<!doctype html>")
    assert out.stderr.count("wrote ") == 3


def test_a_clone_reported_ad_hoc_before_it_was_configured_is_in_the_digest_once(tmp_path: Path) -> None:
    # `report ./clone` stored it under its origin's id; the config then names it: the store holds both ids of
    # one clone, and the digest of the configured repositories names the configured one only.
    build_workspace(tmp_path, repos=2, per_day=2, extra_toml='\n[[digest]]\nname = "team"\n')
    clone = tmp_path / "repos" / "proj0"
    subprocess.run(["git", "-C", str(clone), "remote", "add", "origin", "https://github.com/octo/proj0.git"],
                   check=True)  # fmt: skip
    elsewhere = tmp_path / "elsewhere"  # no dailydiff.toml here: an ad-hoc identity
    elsewhere.mkdir()
    dailydiff("report", clone, "--date", DAY0.isoformat(), "--data-dir", tmp_path / "data", "-o", "out",
              cwd=elsewhere, env=_no_llm_env())  # fmt: skip
    dailydiff("run", "--date", DAY0.isoformat(), cwd=tmp_path, env=_no_llm_env())
    with Store.open(tmp_path / "data") as store:
        assert {"octo/proj0", "proj0", "proj1"} <= {repo for repo, _day, _lang in store.list_reports()}
    dailydiff("digest", "--date", DAY0.isoformat(), "-o", "out", "--format", "json", cwd=tmp_path,
              env=_no_llm_env())  # fmt: skip
    path = tmp_path / "out" / "digests" / f"{DAY0.year}" / "team" / f"{DAY0.isoformat()}.json"
    digest = load_digest(path.read_text(encoding="utf-8"))
    assert [r.repo for r in digest.repos] == ["proj0", "proj1"], [r.repo for r in digest.repos]
    assert digest.total == 4  # each commit counted once


def test_a_repository_in_a_later_timezone_reaches_the_digest_once_its_day_arrives(tmp_path: Path) -> None:
    """Issue 63 item 2: with one `timezone = "UTC"` repository among Asia/Shanghai ones, the nightly run at
    07:30 in Shanghai (23:30 UTC the day before) builds digest-day D before that repository's day D exists.
    The next night its day D arrives: a need that became ready. The digest-day D is built again (its file
    lists it) and each chat target that had D gets one addendum naming it — once, never on a re-run."""
    build_workspace(tmp_path, repos=2, per_day=2, extra_toml='\n[[digest]]\nname = "team"\n\n[[publish]]\n'
                    'type = "webhook"\nurl_env = "HOOK_GENERIC"\nretries = 0\n\n[[publish]]\ntype = "files"\n'
                    'name = "archive"\ndirectory = "archive"\nformats = ["json"]\n')  # fmt: skip
    _unpublished(tmp_path)
    config = tmp_path / "dailydiff.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('name = "proj1"\n', 'name = "proj1"\ntimezone = "UTC"\n')
    )
    day = FIRST_DAY + dt.timedelta(days=1)  # D
    night = [
        dt.datetime.combine(day + dt.timedelta(days=n), dt.time(7, 30)).isoformat() + "+08:00" for n in (1, 2)
    ]
    hooks = WebhookReceiver().start()
    try:
        env = _no_llm_env(HOOK_GENERIC=hooks.urls()["webhook"])
        dailydiff("run", cwd=tmp_path, env={**env, "DAILYDIFF_RUN_NOW": night[0]})
        first = [(b["name"], b["date"], sorted(r["repo"] for r in b["repos"] if r.get("stored", True)))
                 for b in hooks.received["generic"]]  # fmt: skip
        dailydiff("run", cwd=tmp_path, env={**env, "DAILYDIFF_RUN_NOW": night[1]})
        dailydiff("run", cwd=tmp_path, env={**env, "DAILYDIFF_RUN_NOW": night[1]})  # the same night again
    finally:
        hooks.stop()
    assert hooks.violations == []
    assert first == [("team", day.isoformat(), ["proj0"])]  # proj1's day D did not exist yet
    bodies = hooks.received["generic"]
    of_d = [b for b in bodies if b["date"] == day.isoformat()]
    assert len(of_d) == 2, [(b["date"], [r["repo"] for r in b["repos"]]) for b in bodies]
    assert [r["repo"] for r in of_d[1]["repos"]] == ["proj1"] and of_d[1]["total"] == 2  # the addendum, once
    stored = json.loads(
        (tmp_path / "archive" / "reports" / "digests" / "2026" / "team" / f"{day}.json").read_text()
    )  # under the target's one root, beside its days (archive/reports/…)
    assert {r["repo"]: r["stored"] for r in stored["repos"]} == {"proj0": True, "proj1": True}
