"""Issue 59: the site has a page per release (the stored notes of a tag, as `notes` and `run` with
``[notes] on_tag`` keep them), linked from its repository's page and in the Atom feeds; a build after new
notes were stored makes their page (the site's watermark sees them); every link resolves."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from clirun import dailydiff
from linkcheck import check_site
from test_notes import _env, build_tagged_repo, linked_shas, range_shas

ATOM = "{http://www.w3.org/2005/Atom}"


def _cli(tmp: Path, *args: str) -> str:
    done = dailydiff(*args, "--data-dir", str(tmp / "data"), cwd=tmp, env=_env())
    assert done.returncode == 0, done.stderr
    return done.stdout


def _feed_links(path: Path) -> dict[str, str]:
    """Each entry's title and link."""
    root = ET.parse(path).getroot()
    return {e.findtext(f"{ATOM}title") or "": e.find(f"{ATOM}link").get("href", "")  # type: ignore[union-attr]
            for e in root.iter(f"{ATOM}entry")}  # fmt: skip


def test_a_release_page_per_tag_linked_from_the_repository_and_in_the_feeds(tmp_path: Path) -> None:
    repo = build_tagged_repo(tmp_path / "widget")
    _cli(tmp_path, "report", str(repo), "--from", "2026-03-02", "--to", "2026-03-03", "--analyzer", "heuristic",
         "--lang", "en", "--yes", "--quiet", "-o", str(tmp_path / "out"))  # fmt: skip
    site = tmp_path / "site"
    _cli(tmp_path, "site", "build", "-o", str(site), "--quiet")
    section = site / "repos" / "acme--widget"
    assert section.is_dir() and not (section / "releases").exists()
    assert "Releases" not in (section / "index.html").read_text(encoding="utf-8")

    # Notes of a tag are kept; the next build (nothing else changed) makes their page.
    _cli(tmp_path, "notes", str(repo), "v1.0..v1.1", "--analyzer", "heuristic", "--lang", "en")
    # Notes of no tag (--unreleased) make no page.
    _cli(tmp_path, "notes", str(repo), "--unreleased", "--analyzer", "heuristic", "--lang", "en")
    _cli(tmp_path, "site", "build", "-o", str(site), "--quiet")
    assert sorted(p.name for p in (section / "releases").iterdir()) == ["v1.1.html"]
    page = (section / "releases" / "v1.1.html").read_text(encoding="utf-8")
    assert "Release notes: acme/widget v1.1" in page and "Breaking changes" in page
    assert sorted(set(linked_shas(page.replace('">', ")")))) == sorted(range_shas(repo, "v1.0..v1.1"))
    assert 'href="../index.html"' in page  # back to the repository
    assert re.search(r'<a href="releases/v1\.1\.html">v1\.1</a>', (section / "index.html").read_text("utf-8"))
    for feed, href in ((site / "feed.xml", "repos/acme--widget/releases/v1.1.html"),
                       (section / "feed.xml", "releases/v1.1.html")):  # fmt: skip
        assert _feed_links(feed)["Release notes: acme/widget v1.1"] == href
    checked, problems = check_site(site)
    assert checked > 0 and problems == []
