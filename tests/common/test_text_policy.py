"""One text policy for every output (issue 12, acceptance 6). A real repository whose commits carry the
hostile texts of the other hostile tests, plus bidi overrides and isolates, C1 controls (0x9b), ESC and
BEL, and Markdown links, images and bare URLs in their titles, goes through `report --publish` (files,
GitHub contents and issue, every chat webhook, the generic webhook's summary and full report, email),
`site build` and `weekly --format html,md,json`:

- no control character in any payload or JSON (decoded: a JSON escape such as \\u001b counts too), nor in
  the Markdown, the email or what the GitHub publishers committed;
- no live link or image from commit text in any HTML page: every <a href> of every page is one of ours
  (a relative link or a fragment: a local repository has no web URL) and no page has an <img> but our
  own trend charts;
- (issue 24) with hostile author names and a hostile watch topic too: every SVG chart and Atom feed parses
  with an XML parser, every page with html5lib in strict mode, and Chromium draws every chart.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from PIL import Image

from clirun import dailydiff
from dailydiff.common.text import output_text, strip_controls
from fake_github_publish import FakeGitHubPublish
from gitrepo import CommitSpec, FileEdit, build_repo
from sitefixtures import HOSTILE as SITE_HOSTILE
from smtp_server import SmtpServer, email_publish_toml, make_certificate
from test_llm_hostile import HOSTILE as MODEL_HOSTILE
from webhook_receiver import WebhookReceiver

DATE = "2026-03-03"
DAY = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)  # 10:00 in Asia/Shanghai
# C0 but tab and newline, DEL, C1, bidi embeddings/overrides/isolates, direction marks, separators.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
TITLES = [
    "feat: bidi \u202egnp.exe\u202c and isolates \u2066x\u2069 \u2067y\u2069 \u200fmarks\u200e\u061c",
    "fix: ESC \x1b[31mred\x1b[0m BEL \x07 CSI \x9b2J NEL \x85 OSC \x1b]0;owned\x07 done",
    "docs: [click me](javascript:alert(1)) and [site](https://evil.example/phish)",
    "feat: image ![img](http://evil.example/pixel.png) <img src=http://evil.example/x.png>",
    "chore: bare https://evil.example/bare www.evil.example/w <https://evil.example/auto>",
    "feat: ref-style [x][1] and [y]\n\n[1]: https://evil.example/ref",
    *SITE_HOSTILE,
    MODEL_HOSTILE.replace("\x00", ""),  # git refuses NUL; the rest is kept
]

# Authors as hostile as their titles: a bidi override, and the screen-clearing escapes of issue 24 with C1
# controls (only the first control character used to leave the trend charts: the SVG was not well-formed).
AUTHORS = ["Ada Lovelace", "Eve \u202eliam\u202c", "\x1b[2J\x1b[HHacker\x9b31m\x85"]
TOPIC = "spyware | <b>watch</b>"  # a control or bidi character is refused in a topic name (test_run.py)


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command in-process (tests/clirun.py) with only ``env`` beside the environment's harmless part:
    every line it prints is checked, and a process of its own would add nothing but Python's start-up."""
    clean = {k: v for k, v in os.environ.items() if "TOKEN" not in k and not k.startswith("DAILYDIFF_")}
    return dailydiff(*args, env={**clean, **env}, cwd=cwd)


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)


def controls(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in CONTROL.findall(text)})


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href") is not None:
            self.hrefs.append(values["href"] or "")
        if tag in ("img", "image", "picture", "source", "svg", "iframe", "object", "embed"):
            # Our own trend charts are images the site builds (class "chart", a relative .svg in the site,
            # or inlined as data in a standalone file); anything else came from text and must not be there.
            src = values.get("src") or ""
            built = (ours(src) and src.endswith(".svg")) or src.startswith("data:image/svg+xml;base64,")
            if not (tag == "img" and values.get("class") == "chart" and built):
                self.images.append(f"<{tag} {values}>")


def ours(href: str) -> bool:
    """A link we made: relative inside the site, or a fragment; never a scheme or a protocol-relative URL."""
    return not re.match(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", href, re.I)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("policy")
    repo = tmp / "repo"
    specs = [
        CommitSpec(f"{title}\n\nbody: {title}", DAY + dt.timedelta(minutes=i),
                   author=AUTHORS[i % len(AUTHORS)],
                   edits=[FileEdit(f"src/core/mod_{i}.py", f"def f_{i}():\n    return {i}\n" * (20 + i))])
        for i, title in enumerate(TITLES)
    ]  # fmt: skip
    build_repo(repo, specs)
    cert, key = make_certificate(tmp)
    hooks = WebhookReceiver().start()
    github = FakeGitHubPublish(token="policy-token-0001").start()
    smtp = SmtpServer(cert, key, password="policy-pw-0002").start()
    try:
        chat = "".join(f'[[publish]]\ntype = "{s}"\nurl_env = "{s.upper()}_URL"\nbackoff = 0.01\n'
                       for s in ("feishu", "dingtalk", "wecom", "slack", "discord"))  # fmt: skip
        config = tmp / "dailydiff.toml"
        config.write_text(f"""
[report]
formats = ["md", "json"]

[[watch]]
name = "everything"
paths = ["**"]

[[watch]]
name = "{TOPIC}"
keywords = ["bidi", "ESC"]

[[publish]]
type = "files"
directory = "{tmp / "files"}"
formats = ["md", "json"]

[[publish]]
type = "github-contents"
repository = "acme/reports"
api_url = "{github.url}"
token_env = "GH_PUB"
formats = ["md", "json"]

[[publish]]
type = "github-issue"
repository = "acme/reports"
api_url = "{github.url}"
token_env = "GH_PUB"

{chat}
[[publish]]
name = "summary"
type = "webhook"
url_env = "WEBHOOK_URL"

[[publish]]
name = "full"
type = "webhook"
url_env = "WEBHOOK_URL"
payload = "report"

{email_publish_toml(smtp, "SMTP_PW")}""")
        env = {f"{s.upper()}_URL": url for s, url in hooks.urls("policyhook").items()}
        env |= {"GH_PUB": "policy-token-0001", "SMTP_PW": "policy-pw-0002"}
        data = tmp / "data"
        common = ["--config", str(config), "--data-dir", str(data)]
        report = run(["report", str(repo), "--date", DATE, "--name", "evil/repo", "--publish", "--format", "md,json",
                      *common], env, tmp)  # fmt: skip
        assert report.returncode == 0, report.stderr
        site = run(["site", "build", "--output-dir", str(tmp / "site"), "--quiet", *common], env, tmp)
        assert site.returncode == 0, site.stderr
        weekly = run(["weekly", str(repo), "--name", "evil/repo", "--week", "2026-W10", "--format", "md,json,html",
                      "--output-dir", str(tmp / "weekly"), *common], env, tmp)  # fmt: skip
        assert weekly.returncode == 0, weekly.stderr
        return {
            "tmp": tmp,
            "stdout": report.stdout,
            "hooks": {service: [r.decode("utf-8") for r in raws] for service, raws in hooks.raw.items()},
            "github": {"/".join(k): v.decode("utf-8") for k, v in github.files.items()},
            "issues": github.issues,
            "email": [bytes(e.message) for e in smtp.received],
        }
    finally:
        smtp.stop()
        github.stop()
        hooks.stop()


def test_every_payload_reached_its_receiver(outputs: dict[str, Any]) -> None:
    hooks = outputs["hooks"]
    assert sorted(hooks) == ["dingtalk", "discord", "feishu", "generic", "slack", "wecom"]
    assert len(hooks["generic"]) == 2  # the summary and the full report
    assert len(outputs["email"]) == 1 and outputs["github"] and outputs["issues"]["acme/reports"]
    # The hostile titles are in the payloads (as text), so the checks below look at them.
    report = next(json.loads(raw) for raw in hooks["generic"] if '"commits"' in raw and '"stats"' in raw)
    assert len(report["commits"]) == len(TITLES)
    assert any("gnp.exe" in title for title in strings(report))


def test_no_control_character_in_any_payload_or_json(outputs: dict[str, Any]) -> None:
    found: dict[str, list[str]] = {}
    for service, raws in outputs["hooks"].items():
        for i, raw in enumerate(raws):
            found[f"{service}[{i}] raw"] = controls(raw)
            found[f"{service}[{i}] decoded"] = controls("\n".join(strings(json.loads(raw))))
    for path, text in outputs["github"].items():
        found[f"github {path}"] = controls(text)
        if path.endswith(".json"):
            found[f"github {path} decoded"] = controls("\n".join(strings(json.loads(text))))
    for issue in outputs["issues"]["acme/reports"]:
        found["github issue"] = controls(json.dumps(issue, ensure_ascii=False) + "\n".join(strings(issue)))
    for raw in outputs["email"]:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        found["email subject"] = controls(str(message["Subject"]))
        for part in message.walk():
            if part.get_content_maintype() == "text":
                found[f"email {part.get_content_type()}"] = controls(part.get_content())
    tmp: Path = outputs["tmp"]
    site = [*tmp.glob("site/**/*.json"), *tmp.glob("site/**/*.xml"), *tmp.glob("site/**/*.html"),
            *tmp.glob("site/**/*.svg")]  # fmt: skip
    for path in [*tmp.glob("files/**/*.*"), *tmp.glob("weekly/**/*.*"), *site]:
        text = path.read_text(encoding="utf-8")
        found[str(path.relative_to(tmp))] = controls(text)
        if path.suffix == ".json":
            found[f"{path.relative_to(tmp)} decoded"] = controls("\n".join(strings(json.loads(text))))
    found["stdout"] = controls(outputs["stdout"])
    assert {where: chars for where, chars in found.items() if chars} == {}
    assert len(found) > 40


def test_every_svg_feed_and_page_parses_strictly(outputs: dict[str, Any]) -> None:
    """SVG and Atom with an XML parser (a control character is not well-formed XML), HTML with html5lib in
    strict mode (a control character in the input stream is a parse error there)."""
    import html5lib

    tmp: Path = outputs["tmp"]
    svgs, feeds = sorted(tmp.glob("site/**/*.svg")), sorted(tmp.glob("site/**/*.xml"))
    pages = sorted([*tmp.glob("site/**/*.html"), *tmp.glob("weekly/**/*.html")])
    authors = [p for p in svgs if p.name.startswith("authors-")]
    assert authors and len(feeds) >= 2 and len(pages) >= 5, (svgs, feeds, pages)
    for path in [*svgs, *feeds]:
        root = ET.fromstring(path.read_bytes())  # raises on anything that is not well-formed
        assert root.tag.endswith(("svg", "feed")), path
    drawn = " ".join(ET.fromstring(authors[0].read_bytes()).itertext())
    assert "Hacker" in drawn and "Eve liam" in drawn  # the names are drawn, their controls are not
    feed_text = " ".join(t for p in feeds for t in ET.fromstring(p.read_bytes()).itertext())
    assert "gnp.exe" in feed_text  # the hostile titles are in the feeds that were parsed
    parser = html5lib.HTMLParser(strict=True)
    for page in pages:
        parser.parse(page.read_bytes())  # raises html5lib.html5parser.ParseError
    assert any("spyware" in p.read_text(encoding="utf-8").replace(" ", "") for p in pages)  # the topic


def test_the_hostile_charts_are_drawn_in_chromium(outputs: dict[str, Any]) -> None:
    """Every trend chart of the site's pages loads as a picture in Chromium (an SVG that is not well-formed
    shows as a broken image); screenshots in tests/artifacts/hostile-*.png."""
    from browser import ARTIFACTS, PageWatch, chromium

    site: Path = outputs["tmp"] / "site"
    pages = [site / "index.html", *sorted(site.glob("repos/*/index.html"))]
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1000, "height": 900})
        try:
            page = context.new_page()
            watch = PageWatch(page)
            charts = 0
            for number, path in enumerate(pages):
                page.goto(path.as_uri())
                page.wait_for_load_state("load")
                state = page.evaluate(
                    """() => Array.from(document.querySelectorAll('img.chart')).map(i =>
                        ({src: i.getAttribute('src'), drawn: i.complete && i.naturalWidth > 0}))"""
                )
                assert state and all(c["drawn"] for c in state), (path, state)
                charts += len(state)
                page.screenshot(path=str(ARTIFACTS / f"hostile-{number}.png"), full_page=True)
            # The authors' chart on its own: its picture has ink (bars and names), not an error icon.
            authors = next(site.glob("repos/*/charts/authors-*.svg"))
            page.goto(authors.as_uri())
            shot = Image.open(
                io.BytesIO(page.screenshot(path=str(ARTIFACTS / "hostile-authors.png")))
            ).convert("L")
            assert page.evaluate("document.documentElement.tagName") == "svg"
            dark = sum(shot.histogram()[:128])
            assert dark > 500, dark
            assert charts >= 4 and watch.errors == [], watch.errors
        finally:
            context.close()


def test_no_live_link_or_image_from_commit_text_in_any_html_page(outputs: dict[str, Any]) -> None:
    tmp: Path = outputs["tmp"]
    pages = [*tmp.glob("site/**/*.html"), *tmp.glob("weekly/**/*.html")]
    assert len(pages) >= 5
    checked = 0
    for page in pages:
        links = Links()
        links.feed(page.read_text(encoding="utf-8"))
        assert links.images == [], page
        foreign = [href for href in links.hrefs if not ours(href)]
        assert foreign == [], (page, foreign)
        checked += len(links.hrefs)
    assert checked > 50
    for raw in outputs["email"]:  # the email's HTML part too
        message = BytesParser(policy=policy.default).parsebytes(raw)
        html = next(p.get_content() for p in message.walk() if p.get_content_type() == "text/html")
        links = Links()
        links.feed(html)
        # Our own chart (the day against the median) is a PNG part of the message, shown by cid:.
        parts = {
            f"cid:{p['Content-ID'].strip('<>')}"
            for p in message.walk()
            if p.get_content_type() == "image/png"
        }
        images = [i for i in links.images if not any(f"'src': '{cid}'" in i for cid in parts)]
        assert len(links.images) - len(images) == len(parts)
        assert images == [] and [h for h in links.hrefs if not ours(h)] == []


def test_serve_pages_and_json_api_follow_the_same_policy(outputs: dict[str, Any]) -> None:
    from dailydiff.settings import load_settings
    from dailydiff.store import Store
    from dailydiff.web import SiteCache, create_app
    from webserver import serving

    with Store.open(outputs["tmp"] / "data") as store:
        cache = SiteCache(store, load_settings(environ={}, cwd=Path("/")))
        with serving(create_app(cache)) as url:

            def get(path: str) -> str:
                with urllib.request.urlopen(url + path, timeout=30) as response:
                    return str(response.read().decode("utf-8"))

            report = get(f"/api/reports/evil/repo/{DATE}")
            commits = get("/api/commits?limit=100")
            sha = json.loads(report)["commits"][0]["sha"]
            one = get(f"/api/commits/evil/repo/{sha}")
            page = get(f"/repos/evil--repo/{DATE}.html")
            authors = get("/repos/evil--repo/charts/authors-90d.svg")
    assert len(json.loads(report)["commits"]) == len(TITLES) and len(json.loads(commits)["commits"]) == len(
        TITLES
    )
    for text in (report, commits, one):
        assert controls(text) == [] and controls("\n".join(strings(json.loads(text)))) == []
    assert controls(authors) == [] and "Hacker" in " ".join(ET.fromstring(authors).itertext())
    links = Links()
    links.feed(page)
    assert links.images == [] and [h for h in links.hrefs if not ours(h)] == [] and len(links.hrefs) > 20


def test_the_output_policy_in_one_function() -> None:
    assert strip_controls("a\x1b[1mb\x07\x9b\u202ec\u2066d\r\ne\tf\u200d") == "a[1mbcd\ne\tf\u200d"
    assert output_text("Authorization: Bearer x1y2z3\x1b") == "Authorization: Bearer ***"


def test_every_text_of_a_chart_follows_the_policy() -> None:
    """Each control character of every author's name is gone from the picture, its table and its alt (the
    bug: only the first one was), a name of control characters only is drawn as "?"."""
    from dailydiff.render import chartdata, charts
    from sitefixtures import many_reports

    report = many_reports(1, 1, 4, seed=3)[0]
    names = ["\x1b[2J\x1b[HHacker\x9b31m\x85", "\u202e\u2066\x07", "Ada\u200fLovelace"]
    commits = [rc.model_copy(update={"author": rc.author.model_copy(update={"name": names[i % 3]})})
               for i, rc in enumerate(report.commits)]  # fmt: skip
    day = report.model_copy(update={"commits": commits})
    chart = chartdata.top_authors([day], day.date, 90, "en")
    svg = charts.render_svg(chart)
    texts = [*chart.labels, chart.alt, chart.text_table(), svg]
    assert all(controls(text) == [] for text in texts), [controls(t) for t in texts]
    assert set(chart.labels) == {"[2J[HHacker31m", "?", "AdaLovelace"}
    ET.fromstring(svg)
