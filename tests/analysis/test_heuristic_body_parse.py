"""The rules read a body one top-level block at a time and stop once they hold enough for the longest gist
asked: the tokens are markdown-it's own parse of the body, as far as read, and the gists are the ones a
whole read gives (tests/data/pr_bodies.json: real flashinfer messages and other projects' templates)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dailydiff.analysis.heuristic import body
from dailydiff.analysis.heuristic.body import _blocks, _parser, _prepare, _top_blocks, body_gist

BODIES = json.loads((Path(__file__).parents[1] / "data" / "pr_bodies.json").read_text(encoding="utf-8"))[
    "bodies"
]
# What a block-at-a-time read must get right besides the templates: a list after its paragraph, a fence
# holding a heading, a comment holding one, a link reference defined below its use, an empty body.
EDGES = [
    "Adds the kernel:\n\n- one\n- two\n\n## Tests\n\n- [x] ran",
    "Text\n```\n## not a heading\n```\nmore text\n\n" + "word " * 300,
    "<!--\n## Checklist\n-->\nThe change reads [the docs][d] twice.\n\n"
    + "word " * 300
    + "\n\n[d]: https://x.y/z",
    "",
    "\r\nWindows\r\nlines\r\n\r\n- item\r\n",
    # a list longer than any gist, its items with code spans and sentence ends where a cut may fall
    "Changes:\n\n"
    + "".join(f"- Item {n} moves `fused_moe_{n}.cu` to the new path. Done\n" for n in range(60)),
    "Intro paragraph that says a little.\n\n" + "".join(f"* `k{n}` tuned, e.g. tiles\n" for n in range(120)),
    # template sections, then what is read again: a setext heading, a heading in a comment, a bot's summary
    "## Checklist\n\n- [x] ran\n\nMore words\n----------\n\nThe real content.",
    "Adds it.\n\n## Tests\n\n<!--\n## Motivation\n-->\n\nran\n\n## Summary by CodeRabbit\n\n* a bot",
    "## Tests\n\nran\n\n## Summary by CodeRabbit\n\n* what a bot says\n\n<!-- release notes -->\n---",
]


def _texts() -> list[str]:
    return [row["body"] for row in BODIES] + EDGES


@pytest.mark.parametrize("text", _texts(), ids=range(len(_texts())))
def test_the_block_at_a_time_parse_is_markdown_its_own(text: str) -> None:
    prepared = _prepare(text)
    whole = _parser().parse(prepared, {})
    tokens: list = []  # type: ignore[type-arg]
    env: dict = {}  # type: ignore[type-arg]
    seen = []
    for _ in _top_blocks(prepared, env, tokens):
        seen.append(len(tokens))
    assert [t.as_dict() for t in tokens] == [t.as_dict() for t in whole]
    assert seen == sorted(seen) and len(seen) >= len({t.map[0] for t in whole if t.level == 0 and t.map})


@pytest.mark.parametrize("text", _texts(), ids=range(len(_texts())))
def test_a_gist_read_in_part_is_the_whole_reads(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    title = "Add the kernel"
    short = [body_gist(text, limit, title=title) for limit in (1000, 400, 200, 60)]
    _blocks.cache_clear()
    monkeypatch.setattr(body, "_GIST_READ", 10**9)  # every block read
    monkeypatch.setattr(body, "_section_lines", lambda text: [(10**9, False)])  # a section read at the end
    assert [body_gist(text, limit, title=title) for limit in (1000, 400, 200, 60)] == short
    _blocks.cache_clear()


def test_a_body_is_not_parsed_where_only_template_sections_follow(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[int] = []
    whole = body._top_blocks

    def counted(text: str, env: dict, tokens: list) -> Iterator[int]:  # type: ignore[type-arg]
        for line in whole(text, env, tokens):
            parsed.append(len(tokens))
            yield line

    monkeypatch.setattr(body, "_top_blocks", counted)
    checklist = "- [x] I have run the hooks\n" * 40
    text = f"## Description\n\nAdds the kernel.\n\n## Checklist\n\n{checklist}\n## Summary by CodeRabbit\n\n* New kernel"
    _blocks.cache_clear()
    assert body_gist(text, 400) == "Adds the kernel."
    assert max(parsed) < 10  # the checklist, and a bot's summary the author's words outrank: not parsed
    _blocks.cache_clear()
    parsed.clear()
    assert body_gist(text.replace("Adds the kernel.", "<!-- nothing -->"), 400) == "New kernel."
    assert max(parsed) > 200  # without the author's words, the bot's summary is read


def test_a_long_body_is_read_only_as_far_as_the_gist_needs() -> None:
    text = "\n\n".join(f"Paragraph {n} says something about the change. " * 2 for n in range(40))
    _blocks.cache_clear()
    read = _blocks(text, "", 1000)
    assert 3 <= len(read) < 40
    assert sum(len(b.text.text) for b in read[:-1]) <= 1000 < sum(len(b.text.text) for b in read)
    assert len(_blocks(text, "", None)) == 40
