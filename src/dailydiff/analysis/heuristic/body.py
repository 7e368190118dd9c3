"""What a commit or pull-request body says, without its template.

Bodies are Markdown written into a template (sglang's Motivation / Modifications / Checklist, FlashInfer's
📌 Description / 🔍 Related Issues / 🚀 Pull Request Checklist, vLLM's Purpose / Test Plan, Kubernetes'
"What this PR does / why we need it", PyTorch's ghstack and Phabricator trailers) and often hard-wrapped
by a squash merge. The body is parsed with markdown-it; HTML comments, checklists, ``<details>`` blocks,
code blocks, tables, headings and the sections that hold no "what or why" (tests, checklists, related
issues, release notes, reviewer notes) are dropped, and the first paragraphs and lists that remain are
kept as plain sentences within a length budget. Cuts fall between words, never inside a code span or a
link's text; links keep their text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from dailydiff.common.lazyre import lazy_compile

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_TRAILER_RE = lazy_compile(
    r"^\s*(co-authored-by|signed-off-by|reviewed-by|acked-by|tested-by|reported-by|suggested-by|"
    r"helped-by|change-id|ghstack-source-id|pull request resolved|differential revision|approved by|"
    r"reviewed by|cc)\s*:?\s.*$|^\s*cc\s+@.*$",
    re.I | re.M,
)
# Section names whose content is not "what and why" (compared after lower-casing and stripping emoji and
# punctuation). Anything else — Description, Motivation, Modifications, Purpose, Summary, What this PR
# does / why we need it — is content.
_SKIP_SECTION_RE = lazy_compile(
    r"checklist|pre-?commit|^tests?\b|^testing\b|test plan|test results?|tests? (done|performed)|"
    r"^accuracy|benchmark|profiling|^reviewer|notes? for (the )?reviewers?|special notes|related (issues?|prs?|"
    r"pull requests?)|^issues?$|which issues?|user-facing change|release[- ]notes?|additional documentation|"
    r"type of (change|pr)|what type of pr|screenshots?|how (has|was) this( been)? tested|"
    r"^reviewed by|^differential revision|^pull request resolved|^approved by|^before submitting|^cc$|"
    r"^documentation$|^verification$|^validation",
)
# A line that names a section ("Motivation:", "**Test Plan**: …", "Summary:"), turned into a heading so
# the Markdown parser sees the structure the author meant.
# A bot's summary (CodeRabbit's "Summary by CodeRabbit") stands in only when the author wrote nothing.
_FALLBACK_SECTION_RE = lazy_compile(r"coderabbit|copilot|summary by")
_LABEL_LINE_RE = lazy_compile(
    r"^\s*(?:\*\*|__)?(?P<label>summary|description|motivation|modifications?|purpose|background|context|"
    r"changes|what|why|test plan|test results?|testing|tests|benchmark(?:s| results)?|checklist|"
    r"release notes?|related issues?|reviewer notes|what this pr does / why we need it|"
    r"which issues? this pr (?:fixes|is related to)|special notes for your reviewer)\s*(?:\*\*|__)?"
    r"(?:\s*[*_]?\(.*\)[*_]?)?\s*:"
    r"\s*(?:\*\*|__)?\s*(?P<rest>.*)$",
    re.I,
)
# Paragraphs and list items that are template or chatter, not content.
_BOILERPLATE_RE = lazy_compile(
    r"thanks? (you )?for (your |the )?(contribut|sending|submitting|the pull request|the pr\b)|"
    r"^please\b|^if you(')?d? (want|like),? i can\b|before (submitting|we review)|if you are unsure|fill in the pr description|link existing issues|"
    r"anything written below this line|^(none|n/?a|tbd|todo|-+|wip)\.?$|generated with \S*\s*claude|"
    r"^stack from ghstack|^\s*/(kind|area|sig|priority|assign|cc|lgtm|approve|release-note)\b|"
    r"^(fix(es|ed)?|close[sd]?|resolve[sd]?|related( to)?|part of|follow[- ]?up( to| of)?|see|ref(s|erence)?)"
    r"\s*:?\s*((#\d+|#xxxx|#issue_number|https?://\S+|[\w.-]+/[\w.-]+#\d+)[\s,.;]*(and\s+)?)+$|"
    r"^(#\d+[\s,]*)+$|^https?://\S+$|^(@[\w-]+[\s,]*)+[.!]?$",
    re.I,
)
# A squash merge lists the PR's own commits as bullets; these carry no meaning on their own.
_NOISE_ITEM_RE = lazy_compile(
    r"^(merge (branch|remote-tracking branch|pull request)\b.*|update [\w./-]+|fix(es)? (lint|format\w*|typo|"
    r"ci|test|tests|conflicts?|style|pre-?commit)|lint|format\w*|style|wip|typo|update|updates|fix|fixes|"
    r"address (review )?(comments?|feedback)|apply suggestions? from code review|cleanup|clean up|minor|"
    r"nit|nits|tmp|temp|revert|rebase|upd|[.\w-]+\.(py|md|cu|cc|h|yml|yaml)|(->\s*)?#\d+)\.?$",
    re.I,
)
_GITHUB_REF_RE = lazy_compile(
    r"https?://github\.com/([\w.-]+/[\w.-]+)/(?:pull|issues)/(\d+)(?:[/#?]\S*)?", re.I
)
_BARE_URL_RE = lazy_compile(r"https?://\S+")
_EMOJI_RE = lazy_compile(r"[^\w\s/&'-]+", re.U)
_SENTENCE_END = ".!?。！？…:"
_READ_CHARS = 6000
# The longest gist the analyser asks for: its shorter ones share the blocks read for it.
_GIST_READ = 1000


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # lazy: the CLI starts without it

    # tables need no rule of their own: their rows read as paragraphs full of "|", which are dropped.
    # Inline content is parsed on use (``_inline``): most of a body is template sections, dropped unread.
    return MarkdownIt("commonmark").disable(["inline", "text_join"])


def _inline(token: Token, env: dict[str, Any]) -> list[Token]:
    """An inline token's children, parsed on first use as markdown-it's own inline and text-join rules
    would have (``env``: the block parse's, with the body's link references)."""
    if not token.children and token.content:
        from markdown_it.rules_core import StateCore, inline, text_join

        state = StateCore("", _parser(), env, [token])
        inline(state)
        text_join(state)
    return token.children or []


@dataclass
class _Text:
    """Plain text with the spans a cut must not enter (code spans, link texts)."""

    text: str = ""
    atoms: list[tuple[int, int]] = field(default_factory=list)

    def add(self, piece: str, *, atomic: bool = False) -> None:
        if not piece:
            return
        if atomic:
            self.atoms.append((len(self.text), len(self.text) + len(piece)))
        self.text += piece

    def extend(self, other: _Text) -> None:
        offset = len(self.text)
        self.text += other.text
        self.atoms.extend((a + offset, b + offset) for a, b in other.atoms)

    def stripped(self) -> _Text:
        lead = len(self.text) - len(self.text.lstrip())
        body = self.text.strip()
        return _Text(
            body, [(a - lead, b - lead) for a, b in self.atoms if a >= lead and b - lead <= len(body)]
        )

    def inside_atom(self, position: int) -> bool:
        return any(a < position < b for a, b in self.atoms)


def code_span(content: str) -> str:
    """Text as one inline code span, even when it holds newlines, tabs or backticks (all legal in git)."""
    content = " ".join(content.split())
    if "`" not in content:  # (most names): one backtick each side
        return f"`{content}`"
    fence = "`" * (max(len(run) for run in re.findall(r"`+", content)) + 1)
    pad = " " if content.startswith("`") or content.endswith("`") else ""
    return f"{fence}{pad}{content}{pad}{fence}"


def _plain(children: list[Token]) -> _Text:
    """An inline token's children as plain text: markers dropped, code spans kept, links as their text."""
    out = _Text()
    link: list[str] | None = None
    link_href = ""
    for child in children:
        if link is not None:
            if child.type == "link_close":
                text = " ".join("".join(link).split())
                if text == link_href or _BARE_URL_RE.fullmatch(text):
                    text = _url_text(text)
                out.add(text, atomic=True)
                link = None
            elif child.type == "code_inline":
                link.append(child.content)
            elif child.type in ("text", "softbreak", "hardbreak"):
                link.append(child.content if child.type == "text" else " ")
            continue
        if child.type == "text":
            # "[owner/repo#12]" written as a link that has no target stays text: keep it, not its brackets
            text = re.sub(r"\[([^\[\]]{2,})\]", r"\1", child.content.replace("`", "'"))
            out.add(_text_urls(text))
        elif child.type == "code_inline":
            out.add(code_span(child.content), atomic=True)
        elif child.type in ("softbreak", "hardbreak"):
            out.add(" ")
        elif child.type == "link_open":
            link = []
            link_href = str(child.attrs.get("href", ""))
        # images, inline HTML (comments, <br>, <sub>) and emphasis markers carry no words of their own
    return _squeeze(out)


def _squeeze(text: _Text) -> _Text:
    """Collapse runs of spaces outside atoms, keeping atom offsets right."""
    result = _Text()
    last = 0
    for a, b in sorted(text.atoms):
        result.add(re.sub(r"\s+", " ", text.text[last:a]))
        result.add(text.text[a:b], atomic=True)
        last = b
    result.add(re.sub(r"\s+", " ", text.text[last:]))
    return result.stripped()


def _url_text(url: str) -> str:
    github = _GITHUB_REF_RE.fullmatch(url)
    return f"{github.group(1)}#{github.group(2)}" if github else url


def _text_urls(text: str) -> str:
    return _GITHUB_REF_RE.sub(lambda m: f"{m.group(1)}#{m.group(2)}", text)


def _normalise_label(text: str) -> str:
    return " ".join(_EMOJI_RE.sub(" ", text).split()).strip(" :?-").lower()


def _skip_section(name: str) -> bool:
    return bool(name) and bool(_SKIP_SECTION_RE.search(name))


_FENCE_RE = lazy_compile(r"^(`{3,}|~{3,})")
_CHECKBOX_LINE_RE = lazy_compile(r"^\s*\[[ xX]\]\s")
_BELOW_RE = lazy_compile(r"anything written below this line will be removed", re.I)
# Whether any line of a body may be a trailer or a "Label:" line (a line's match is one in the whole text,
# where ``^`` is a line start): a body with none needs no look at each line for them.
_TRAILER_ANY_RE = lazy_compile(_TRAILER_RE.pattern, re.I | re.M)
_LABEL_ANY_RE = lazy_compile(_LABEL_LINE_RE.pattern, re.I | re.M)


def _fence_after(stripped: str, fence: str) -> str | None:
    """The code fence open after a fence line (``fence``: the one open before it; "" when none); None when
    the line is not a fence line."""
    marker = _FENCE_RE.match(stripped) if stripped[:3] in ("```", "~~~") else None
    if marker is None:
        return None
    if not fence:
        return marker.group(1)
    return "" if stripped.startswith(fence) and not stripped[len(fence) :].strip() else fence


def _prepare(body: str) -> str:
    """Trailers out, "Label: text" lines turned into headings (outside code fences)."""
    body = body.replace("\r\n", "\n")
    # Each line is looked at only for what the whole body may hold (most lines are plain text).
    trailers = _TRAILER_ANY_RE.search(body) is not None
    labels = _LABEL_ANY_RE.search(body) is not None
    below = _BELOW_RE.search(body) is not None
    lines: list[str] = []
    fence = ""
    for line in body.split("\n"):
        after = _fence_after(line.strip(), fence)
        if after is not None or fence:
            fence = fence if after is None else after
            lines.append(line)
            continue
        if (trailers and _TRAILER_RE.match(line)) or ("[" in line and _CHECKBOX_LINE_RE.match(line)):
            continue  # trailers, and checkboxes written without a list marker (PyTorch's template)
        if below and _BELOW_RE.search(line):
            break  # vLLM's template: GitHub Actions removes the rest
        label = _LABEL_LINE_RE.match(line) if labels and ":" in line else None
        if label:
            lines += [
                "",
                f"## {label.group('label')}",
                "",
                *([label.group("rest")] if label.group("rest").strip() else []),
            ]
            continue
        lines.append(line)
    return "\n".join(lines)


@dataclass(frozen=True)
class _Block:
    text: _Text
    is_list: bool = False
    opens_list: bool = False  # a paragraph ending with ":" right before a list


def _echoes(text: str, title: str) -> bool:
    """A short paragraph that only repeats the title ("Bump version to 0.6.14 for release.")."""
    words = re.findall(r"\w+", text.lower())
    title_words = set(re.findall(r"\w+", title.lower()))
    return 0 < len(words) <= 12 and sum(w in title_words for w in words) >= 0.7 * len(words)


@lru_cache(maxsize=256)
def _blocks(body: str, title: str, enough: int | None = None) -> tuple[_Block, ...]:
    """The paragraphs and lists that say something, in order; a bot's summary only when nothing else.
    With ``enough``, only the first blocks, once they hold more than ``enough`` characters: a gist of at
    most that many is made of them, and the rest of the body is not parsed. Cached: the analyser reads the
    same body for the summary and for its evidence."""
    # The what and why come first; a long body's tail (logs, tables, benchmark dumps) is not read.
    env: dict[str, Any] = {}
    text = _prepare(body[:_READ_CHARS])
    if "]:" in text:  # a link reference defined further down changes how the text above it reads
        enough = None
    walk = _Walk([], env, title, enough=enough, headings=_section_lines(text))
    walk.more = _top_blocks(text, env, walk.tokens)
    return walk.read()


# A line that may be a heading at the top level (ATX "## Tests", or a setext underline "---" / "===").
_HEADING_LINE_RE = lazy_compile(r"^ {0,3}(?:(?P<atx>#{1,6})(?:[ \t].*)?|(?:=+|-+)[ \t]*)$", re.M)


def _section_lines(text: str) -> list[tuple[int, bool]]:
    """The lines (numbered as markdown-it numbers them) where a heading may open a section whose blocks are
    kept, each with whether that section is a bot's summary: every line that may be a heading, but those
    whose section is dropped. An ATX heading's label is its line's; a setext heading's ends with the line
    above its underline, whose words, if they drop or demote the section, do so whatever comes before."""
    if "\r" in text:
        text = re.sub(r"\r\n?", "\n", text)  # markdown-it's line breaks (normalize)
    found: list[tuple[int, bool]] = []
    line, at = 0, 0
    for match in _HEADING_LINE_RE.finditer(text):
        line += text.count("\n", at, match.start())
        at = match.start()
        if match.group("atx"):
            label = _normalise_label(match.group())
        elif line and (above := text[text.rfind("\n", 0, at - 1) + 1 : at - 1]).strip():
            label = "\0" + _normalise_label(above)  # (no "^" of a section name matches after "\0")
        else:
            continue  # an underline with no paragraph above: a rule
        if not _skip_section(label):
            found.append((line, bool(_FALLBACK_SECTION_RE.search(label))))
    return found


def _top_blocks(text: str, env: dict[str, Any], tokens: list[Token]) -> Iterator[int]:
    """markdown-it's block parse of ``text`` (its core rules: normalize, then the block tokenizer), one
    top-level block at a time: each step appends one block's tokens to ``tokens`` and gives the line the
    next one starts from. The loop is ``ParserBlock.tokenize``'s at the top level, so the tokens are the ones
    ``parse`` gives, as far as read (tests/test_heuristic_body_parse.py compares them)."""
    from markdown_it.rules_block import StateBlock
    from markdown_it.rules_core import StateCore
    from markdown_it.rules_core.normalize import normalize

    md = _parser()
    core = StateCore(text, md, env, tokens)
    normalize(core)
    if not core.src:
        return
    state = StateBlock(core.src, md, env, tokens)
    rules = md.block.ruler.getRules("")
    line, end = state.line, state.lineMax
    has_empty_lines = False
    while line < end:
        state.line = line = state.skipEmptyLines(line)
        if line >= end:
            break
        if not any(rule(state, line, end, False) for rule in rules):
            raise RuntimeError("none of the block rules matched")
        state.tight = not has_empty_lines
        line = state.line
        if (line - 1) < end and state.isEmpty(line - 1):
            has_empty_lines = True
        if line < end and state.isEmpty(line):
            has_empty_lines = True
            line += 1
            state.line = line
        yield line


_LIST_OPEN = ("bullet_list_open", "ordered_list_open")


@dataclass
class _Walk:
    """One reading of a body's block tokens: the section it is in, how deep in ``<details>``, the blocks
    kept so far (and a bot's summary's, kept apart)."""

    tokens: list[Token]
    env: dict[str, Any]
    title: str
    blocks: list[_Block] = field(default_factory=list)
    fallback: list[_Block] = field(default_factory=list)
    section: str = ""
    details: int = 0
    drop_list: bool = False  # the list after a dropped "Stack from ghstack:" line belongs to it
    enough: int | None = None  # stop once the blocks kept hold more characters than this
    more: Iterator[int] = field(default_factory=lambda: iter(()))  # parses one more top-level block
    line: int = 0  # the line the parse reached
    headings: list[tuple[int, bool]] = field(default_factory=list)  # ``_section_lines``
    kept: int = 0  # characters in ``blocks``

    def read(self) -> tuple[_Block, ...]:
        handlers = {"html_block": self._html, "heading_open": self._heading}
        handlers |= dict.fromkeys(_LIST_OPEN, self._list)
        i = 0
        while not self._settled(i) and self._fill(i + 1):
            token = self.tokens[i]
            handler = handlers.get(token.type)
            if handler is not None:
                i = handler(i)
                continue
            self.drop_list = False
            if token.type == "paragraph_open" and token.level == 0:
                i = self._paragraph(i)
            elif token.nesting == 1:
                i = _closing(self.tokens, i) + 1  # blockquotes, tables: quoted logs and template notes
            else:
                i += 1  # fences, code blocks, rules
        return tuple(self.blocks or self.fallback)

    def _fill(self, count: int) -> bool:
        """Whether the body has ``count`` tokens (parsed as far as that)."""
        while len(self.tokens) < count:
            line = next(self.more, None)
            if line is None:
                return False
            self.line = line
        return True

    def _settled(self, i: int) -> bool:
        """Whether reading stops before token ``i``: the blocks kept hold enough, or the rest of the body,
        unparsed, can add nothing returned (its section keeps nothing — a template's, or a bot's summary
        once the author said something — and no line below may open one that does: most of a templated
        body is its checklists, left unparsed)."""
        if self.enough is not None and self.kept > self.enough:
            return True
        if i < len(self.tokens) or not (
            _skip_section(self.section) or (self.blocks and _FALLBACK_SECTION_RE.search(self.section))
        ):
            return False
        return all(summary and self.blocks for line, summary in self.headings if line >= self.line)

    def _keep(self, block: _Block) -> None:
        target = self._target
        target.append(block)
        if target is self.blocks:
            self.kept += len(block.text.text)

    @property
    def _target(self) -> list[_Block]:
        return self.fallback if _FALLBACK_SECTION_RE.search(self.section) else self.blocks

    @property
    def _skipping(self) -> bool:
        return bool(self.details) or _skip_section(self.section)

    def _html(self, i: int) -> int:
        content = self.tokens[i].content
        self.details += len(re.findall(r"<details\b", content, re.I))
        self.details -= len(re.findall(r"</details>", content, re.I))
        self.details = max(self.details, 0)
        return i + 1

    def _heading(self, i: int) -> int:
        self.section = _normalise_label(self.tokens[i + 1].content)
        return i + 3

    def _list(self, i: int) -> int:
        end = _closing(self.tokens, i)
        # (a bot's summary's list is not read once the author's blocks are there: it would never be shown)
        unread = self._target is self.fallback and bool(self.blocks)
        if not self._skipping and not self.drop_list and not unread:
            # Items past what the longest gist can hold are not read (the first of them shows it is cut).
            room = None if self.enough is None or self._target is not self.blocks else self.enough - self.kept
            items = _list_items(self.tokens[i:end], self.env, room)
            if items:
                self._keep(_Block(_join_items(items), is_list=True))
        self.drop_list = False
        return end + 1

    def _paragraph(self, i: int) -> int:
        inline = self.tokens[i + 1]
        i += 3
        if self._skipping:
            return i
        children = _inline(inline, self.env)
        label = _disguised_heading(inline.content, children)
        if label is not None:
            if _skip_section(label) or _FALLBACK_SECTION_RE.search(label):
                self.section = label
            return i
        text = _plain(children)
        if not text.text or _BOILERPLATE_RE.search(text.text) or text.text.count("|") >= 2:
            self.drop_list = text.text.endswith(":")
            return i
        if not self.blocks and _echoes(text.text, self.title):
            return i
        next_is_list = self._fill(i + 1) and self.tokens[i].type in _LIST_OPEN
        if text.text.endswith(":") and not next_is_list:
            return i  # "Reproducer output before this PR:" introduces a code block or table, dropped
        self._keep(_Block(text, opens_list=next_is_list and text.text.endswith(":")))
        return i


def _disguised_heading(content: str, children: list[Token]) -> str | None:
    """A bold line on its own ("**What this PR does**:") is a heading in disguise: its label, else None."""
    meaningful = [c for c in children if c.type != "softbreak" and (c.content.strip() or c.nesting)]
    if not meaningful or meaningful[0].type != "strong_open":
        return None
    closing = next((k for k, c in enumerate(meaningful) if c.type == "strong_close"), -1)
    tail = "".join(c.content for c in meaningful[closing + 1 :]).strip()
    if closing == len(meaningful) - 1 or (closing > 0 and re.fullmatch(r"[:：.]?", tail)):
        return _normalise_label(content)
    return None


def _closing(tokens: list[Token], start: int) -> int:
    depth = 0
    for k in range(start, len(tokens)):
        depth += tokens[k].nesting
        if depth == 0:
            return k
    return len(tokens) - 1


def _list_items(tokens: list[Token], env: dict[str, Any], room: int | None = None) -> list[_Text]:
    """The top-level items of a list: each one's first paragraph, checkboxes and noise left out; with
    ``room``, only the first items, once they fill more than ``room`` characters joined (the text up to
    there is the whole list's, and it is cut there or before)."""
    items: list[_Text] = []
    joined = -2  # the items' length joined with "; "
    depth = 0
    taken = False
    for token in tokens:
        if token.type == "list_item_open":
            depth += 1
            taken = False
        elif token.type == "list_item_close":
            depth -= 1
        elif token.type == "inline" and depth == 1 and not taken:
            taken = True
            item = _list_item(token, env)
            if item is None:
                continue
            items.append(item)
            joined += len(item.text) + 2
            if room is not None and joined > room:
                break
    return items


def _list_item(token: Token, env: dict[str, Any]) -> _Text | None:
    """A list item's first paragraph as plain text; None for a checkbox, a heading or noise."""
    if re.match(r"^\s*\[[ xX]\]", token.content):
        return None  # a checklist item
    if _disguised_heading(token.content, _inline(token, env)) is not None:
        return None  # "* **New Features**" heads the items that follow
    text = _plain(_inline(token, env))
    plain = text.text.rstrip(".;,:")
    if not plain or _BOILERPLATE_RE.search(plain) or _NOISE_ITEM_RE.match(plain):
        return None
    return _Text(plain, [(a, b) for a, b in text.atoms if b <= len(plain)])


def _join_items(items: list[_Text]) -> _Text:
    out = _Text()
    for n, item in enumerate(items):
        if n:
            out.add("; ")
        out.extend(item)
    out.add(".")
    return out


def _end(text: _Text) -> _Text:
    if text.text and text.text[-1] not in _SENTENCE_END:
        return _Text(text.text + ".", list(text.atoms))
    return text


def _cut(text: _Text, room: int) -> str:
    """At most `room` characters of `text`: whole sentences if one fits, else whole words and atoms."""
    if len(text.text) <= room:
        return text.text
    # The last sentence end, then the last space, that fits and is in no atom: the text past the room is
    # not looked at (a list of many items runs long), nor the atoms of any but the last candidates.
    head = text.text[: room + 1]
    ends = [
        m.end() for m in re.finditer(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bcf)[.!?。！？](?=\s|$)", head)
    ]
    end = next((e for e in reversed(ends) if e <= room and not text.inside_atom(e - 1)), None)
    if end is not None and end >= room // 2:
        return text.text[:end]
    room -= 1  # for the ellipsis
    spaces = [m.start() for m in re.finditer(r"\s", head[: room + 1])]
    space = next((p for p in reversed(spaces) if not text.inside_atom(p)), None)
    if space is None:
        return ""
    return text.text[:space].rstrip(" ,;:-—(") + "…"


def _first_paragraphs(blocks: Sequence[_Block], paragraphs: int) -> Sequence[_Block]:
    """The blocks of the first ``paragraphs`` paragraphs (all with 0; a paragraph opening a list keeps it)."""
    ends = [i for i, b in enumerate(blocks) if not b.opens_list]
    return blocks[: ends[paragraphs - 1] + 1] if paragraphs and len(ends) >= paragraphs else blocks


def body_gist(body: str, limit: int, *, title: str = "", paragraphs: int = 0) -> str:
    """The first things a body says (what and why), as plain sentences of at most `limit` characters; with
    ``paragraphs``, of its first that many (a paragraph that opens a list goes with its list)."""
    if not body.strip():
        return ""
    out: list[str] = []
    used = 0
    for block in _first_paragraphs(_blocks(body, title, max(limit, _GIST_READ)), paragraphs):
        text = block.text if block.is_list or block.opens_list else _end(block.text)
        room = limit - used - (1 if out else 0)
        if len(text.text) <= room:
            out.append(text.text)
            used += len(text.text) + (1 if len(out) > 1 else 0)
            continue
        if room >= 40 or not out:
            cut = _cut(text, room)
            if cut:
                out.append(cut)
        break
    gist = " ".join(out).strip()
    if gist.endswith(":"):
        gist = gist[:-1].rstrip() + "."
    return gist
