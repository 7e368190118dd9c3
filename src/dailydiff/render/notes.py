"""Release notes (pure): a range's commits, each with its stored analysis, grouped into the notes of a
release, and written as a Keep a Changelog section, a forge's release body (GitHub or GitLab mention and
pull-request syntax), JSON (versioned, like a day's) and HTML.

What goes where is data: ``GROUPS`` (a change type to its group, in the order readers meet them),
``USER_GROUPS`` (what a user of the library notices), ``BREAKING_SIGNS`` (what marks a breaking change),
render/plainwords.py (what a user-audience line leaves out: words that name code) and the locale files' ``[notes]`` (our phrases in each
language). Every commit of the range is in exactly one entry: a revert and the change it undid (and its
re-land) are one entry that links all of them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from dailydiff.common.lazyre import lazy_compile
from dailydiff.common.text import clean, md_inline, safe_url
from dailydiff.models import Analysis, AnalysisStatus, ChangeType, Commit, FrozenModel
from dailydiff.render.plainwords import plain
from dailydiff.scoring.rules import commit_types, find_reverted, parse_title, revert_target

NOTES_SCHEMA_VERSION = 1
Audience = Literal["engineer", "user"]

# change type -> group; a commit's group is that of its first type found here (the analysis's, else the
# rules'). Groups are listed in this order, breaking changes first (a breaking change is in that group only).
GROUPS: dict[str, tuple[ChangeType, ...]] = {
    "breaking": (),
    "features": (ChangeType.FEATURE,),
    "performance": (ChangeType.PERFORMANCE,),
    "fixes": (ChangeType.BUGFIX, ChangeType.SECURITY),
    "refactors": (ChangeType.REFACTOR,),
    "other": (
        ChangeType.DEPENDENCY,
        ChangeType.CONFIG,
        ChangeType.RELEASE,
        ChangeType.REVERT,
        ChangeType.OTHER,
    ),
    "docs_ci": (ChangeType.DOCS, ChangeType.TEST, ChangeType.CI_BUILD),
}
# What someone who uses the library notices (`--audience user` without an LLM lists only these).
USER_GROUPS = ("breaking", "features", "performance", "fixes")

# What marks a commit as a breaking change: in its message, Conventional Commits' footer; in its title, a
# tag or words saying so (a title's `type!:` is read by the rules' title parser); in its analysis, a risk
# that says so. (A pull request template's "breaking change" checkbox in a body is not a sign.)
BREAKING_SIGNS: dict[str, re.Pattern[str]] = {
    "message": re.compile(r"(?m)^BREAKING[ -]CHANGE:"),
    "title": re.compile(
        r"(?i)\[(?:breaking|break|api[ -]?break)\]|\bbreaking\b|\bbackwards?[ -]incompatible\b"
    ),
    "risk": re.compile(r"(?i)\bbreaking change|\bbackwards?[ -]incompatible\b|不兼容|破坏性变更"),
}


# What a line for users leaves out: code spans, paths, calls and identifiers (snake_case, CamelCase
# with an inner capital, dotted names).
def words(language: str) -> dict[str, str]:
    """Our phrases for release notes in ``language`` (the locale files' ``[notes]``)."""
    from dailydiff.common.i18n import words as locale_words

    return dict(
        locale_words("notes", language if language in ("zh", "en") else "en")
    )  # "1 commit", formatted


class NoteCommit(FrozenModel):
    """A commit an entry stands for: ``role`` is ``change``, ``revert`` (undid the change) or ``reland``."""

    sha: str
    url: str | None = None
    title: str
    role: Literal["change", "revert", "reland"] = "change"


class NoteAuthor(FrozenModel):
    name: str
    login: str | None = None


class NoteEntry(FrozenModel):
    """One line of the notes: its text, the commits it stands for (the first is the one shown), its pull
    request and its author."""

    group: str
    text: str
    commits: list[NoteCommit]
    author: NoteAuthor
    pr_number: int | None = None
    pr_url: str | None = None
    pr_reference: str = ""  # as its forge writes it: #12, !12
    types: list[str] = Field(default_factory=list)
    level: str = "low"


class NotesFigures(FrozenModel):
    commits: int = 0  # commits of the range
    entries: int = 0
    listed: int = 0  # commits the notes link (all of them, unless the user audience left internals out)
    left_out: int = 0  # commits of internal changes the user audience does not list
    merges: int = 0
    reused: int = 0  # analyses found in the store
    analysed: int = 0  # analyses made by this command
    llm_requests: int = 0


class ReleaseNotes(FrozenModel):
    """A release's notes: what `notes --format json` prints (versioned, like a day's JSON)."""

    schema_version: int = NOTES_SCHEMA_VERSION
    kind: Literal["release"] = "release"
    repo: str
    repo_url: str | None = None
    forge: str = "github"
    base: str  # REF1 (or what --since-tag / --unreleased took)
    head: str  # REF2
    tag: str  # the release's name: REF2 when it is a tag, else "Unreleased"
    date: dt.date
    language: str = "en"
    audience: Audience = "engineer"
    overview: str = ""
    overview_producer: str = "heuristic"
    entries: list[NoteEntry] = Field(default_factory=list)
    first_timers: list[NoteAuthor] = Field(default_factory=list)
    figures: NotesFigures = Field(default_factory=NotesFigures)
    analyzer: str = "heuristic"
    generated_at: dt.datetime | None = None

    def grouped(self) -> list[tuple[str, list[NoteEntry]]]:
        return [(g, found) for g in GROUPS if (found := [e for e in self.entries if e.group == g])]

    @property
    def shas(self) -> list[str]:
        return [c.sha for e in self.entries for c in e.commits]


@dataclass(frozen=True)
class RangeCommit:
    """A commit of the range with its analysis (None for a merge) and whether its author is new."""

    commit: Commit
    analysis: Analysis | None
    first_time: bool = False


# --- building the notes ---------------------------------------------------------------------------------

_NOREPLY = re.compile(r"^(?:\d+\+)?([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)@users\.noreply\.github\.com$")


def author_of(commit: Commit) -> NoteAuthor:
    """Who wrote a commit, with the forge login when the source knows it or the e-mail is GitHub's no-reply."""
    login = commit.author.login
    if not login:
        match = _NOREPLY.match(commit.author.email or "")
        login = match.group(1) if match else None
    return NoteAuthor(name=clean(commit.author.name) or "?", login=login)


# A title's reading (the rules' many patterns) is asked for several times per commit: read once.
_title = functools.lru_cache(maxsize=4096)(parse_title)


def is_breaking(commit: Commit, analysis: Analysis | None) -> bool:
    if _title(commit.title).breaking or BREAKING_SIGNS["title"].search(commit.title):
        return True
    if "BREAKING" in commit.message and BREAKING_SIGNS["message"].search(commit.message):
        return True
    return analysis is not None and any(BREAKING_SIGNS["risk"].search(risk) for risk in analysis.risks)


def _types(rc: RangeCommit) -> list[ChangeType]:
    a = rc.analysis
    if a is not None and a.status is AnalysisStatus.OK and a.change_types:
        return list(a.change_types)
    return commit_types(rc.commit, _title(rc.commit.title))


def group_of(rc: RangeCommit) -> str:
    if is_breaking(rc.commit, rc.analysis):
        return "breaking"
    for change_type in _types(rc):
        for group, members in GROUPS.items():
            if change_type in members:
                return group
    return "other"


def _line(commit: Commit, audience: Audience, language: str) -> str:
    info = _title(commit.title)
    subject = clean(info.subject or commit.title).strip()
    if audience == "user":  # the words that name code (paths, identifiers) left out whole
        subject = plain(subject)
    if "revert" in info.types:  # a revert whose change is not in the range says what it takes back
        return words(language)["revert"].format(title=subject or commit.short_sha)
    return subject[:1].upper() + subject[1:] if subject else commit.short_sha


def _same_subject(a: str, b: str) -> bool:
    def key(title: str) -> set[str]:
        return set(re.findall(r"\w+", (_title(title).subject or title).lower())) - {"reland", "reapply"}

    left, right = key(a), key(b)
    return bool(left) and len(left & right) >= 0.75 * max(len(left), len(right))


def _pairs(commits: Sequence[RangeCommit]) -> dict[str, list[tuple[RangeCommit, str]]]:
    """The reverts of the range folded into the entry of the change they undid: change sha -> the commits
    that join its entry (the revert, then the re-land when a later commit says the same again)."""
    plain = [rc.commit for rc in commits]
    joined: dict[str, list[tuple[RangeCommit, str]]] = {}
    taken: set[str] = set()
    order = {rc.commit.sha: i for i, rc in enumerate(commits)}  # newest first, as git lists them
    for rc in commits:
        if revert_target(rc.commit) is None:
            continue
        undone = find_reverted(rc.commit, plain)
        if undone is None or undone.sha in taken:
            continue
        taken |= {undone.sha, rc.commit.sha}
        joined.setdefault(undone.sha, []).append((rc, "revert"))
        relands = [
            other for other in commits
            if order[other.commit.sha] < order[rc.commit.sha] and other.commit.sha not in taken
            and revert_target(other.commit) is None and _same_subject(undone.title, other.commit.title)
        ]  # fmt: skip
        if relands:
            reland = relands[-1]  # the first one after the revert
            taken.add(reland.commit.sha)
            joined[undone.sha].append((reland, "reland"))
    return joined


def _entry(
    rc: RangeCommit, joined: Sequence[tuple[RangeCommit, str]], audience: Audience, language: str
) -> NoteEntry:
    """One entry: a change (with its revert and re-land when the range has them)."""
    reland = next((r for r, role in joined if role == "reland"), None)
    shown = reland or rc  # a re-landed change is told by its re-land
    commit = shown.commit
    commits = [NoteCommit(sha=rc.commit.sha, url=safe_url(rc.commit.url), title=clean(rc.commit.title))]
    commits += [NoteCommit(sha=r.commit.sha, url=safe_url(r.commit.url), title=clean(r.commit.title), role=role)  # type: ignore[arg-type]
                for r, role in joined]  # fmt: skip
    if reland is not None:  # the re-land first: it is what the release ships
        commits = [commits[-1], *commits[:-1]]
    pr = commit.pr
    analysis = shown.analysis
    return NoteEntry(
        group=group_of(shown) if not joined or reland else "other",
        text=_line(commit, audience, language),
        commits=commits,
        author=author_of(commit),
        pr_number=pr.number if pr else None,
        pr_url=safe_url(pr.url) if pr else None,
        pr_reference=pr.reference if pr else "",
        types=[t.value for t in _types(shown)],
        level=(analysis.importance.value if analysis is not None and analysis.importance else "low"),
    )


def build_notes(
    commits: Sequence[RangeCommit],
    *,
    repo: str,
    repo_url: str | None,
    forge: str,
    base: str,
    head: str,
    tag: str,
    date: dt.date,
    language: str,
    audience: Audience,
    figures: NotesFigures,
    analyzer: str,
    generated_at: dt.datetime | None = None,
) -> ReleaseNotes:
    """The notes of ``commits`` (newest first, as git lists the range), with the rules' overview."""
    joined = _pairs(commits)
    folded = {rc.commit.sha for parts in joined.values() for rc, _ in parts}
    entries = [_entry(rc, joined.get(rc.commit.sha, ()), audience, language) for rc in commits
               if rc.commit.sha not in folded]  # fmt: skip
    rank = {g: i for i, g in enumerate(GROUPS)}
    entries.sort(key=lambda e: rank[e.group])  # stable: newest first within a group
    left_out = 0
    if audience == "user":
        kept = [e for e in entries if e.group in USER_GROUPS]
        left_out = sum(len(e.commits) for e in entries) - sum(len(e.commits) for e in kept)
        entries = kept
    listed = sum(len(e.commits) for e in entries)
    figures = figures.model_copy(update={"commits": len(commits), "entries": len(entries), "listed": listed,
                                         "left_out": left_out})  # fmt: skip
    notes = ReleaseNotes(repo=repo, repo_url=safe_url(repo_url), forge=forge, base=base, head=head, tag=tag,
                         date=date, language=language, audience=audience, entries=entries,
                         first_timers=_first_timers(commits), figures=figures, analyzer=analyzer,
                         generated_at=generated_at)  # fmt: skip
    return notes.model_copy(update={"overview": rules_overview(notes, commits)})


def _first_timers(commits: Sequence[RangeCommit]) -> list[NoteAuthor]:
    """The authors of a first contribution, once each, oldest first: the order they arrived in."""
    firsts: dict[str, NoteAuthor] = {}
    for who in (author_of(rc.commit) for rc in reversed(commits) if rc.first_time):
        firsts.setdefault(who.login or who.name, who)
    return list(firsts.values())


def rules_overview(notes: ReleaseNotes, commits: Sequence[RangeCommit]) -> str:
    """The overview paragraph from the figures (no LLM): what the release has, its breaking changes, and
    its most important changes."""
    w = words(notes.language)
    counts = w["list_sep"].join(w["count"].format(n=len(found), group=w[g][:1].lower() + w[g][1:])
                                for g, found in notes.grouped()) or "0"  # fmt: skip
    authors = {author_of(rc.commit).login or author_of(rc.commit).name for rc in commits}
    new = w["new"].format(n=len(notes.first_timers)) if notes.first_timers else ""
    tag = w["unreleased"] if notes.tag == "Unreleased" else notes.tag
    text = w["summary"].format(tag=tag, commits=len(commits), authors=len(authors), new=new, counts=counts)
    breaking = [e.text for e in notes.entries if e.group == "breaking"]
    if breaking:
        text += w["breaking_note"].format(n=len(breaking), titles=w["item_sep"].join(breaking[:3]))
    rank = {"high": 0, "medium": 1, "low": 2}
    top = sorted((e for e in notes.entries if e.group not in ("breaking", "docs_ci")),
                 key=lambda e: rank.get(e.level, 3))[:3]  # fmt: skip
    if top:
        text += w["highlights"].format(titles=w["item_sep"].join(e.text for e in top))
    return text


def with_rewrite(notes: ReleaseNotes, overview: str, texts: Mapping[int, str], producer: str) -> ReleaseNotes:
    """The notes with the LLM's overview and entry lines (1-based ids; an entry it left out keeps ours).
    The commits, links and authors are always ours."""
    entries = [
        e.model_copy(update={"text": clean(texts[i]).replace("\n", " ").strip()})
        if clean(texts.get(i, "")).strip() else e
        for i, e in enumerate(notes.entries, 1)
    ]  # fmt: skip
    return notes.model_copy(update={"entries": entries, "overview": clean(overview).strip() or notes.overview,
                                    "overview_producer": producer})  # fmt: skip


# --- writing them ---------------------------------------------------------------------------------------


# A forge turns these into mentions and references wherever they stand: in commit text (untrusted) they
# are kept from pinging anyone or linking anything (a zero-width space after the sign).
_PINGS = lazy_compile(r"([@#!])(?=[\w-])")


def _quiet(text: str) -> str:
    return _PINGS.sub("\\1\u200b", text)


def _who_md(author: NoteAuthor, forge: str) -> str:
    if author.login:
        return f"@{author.login}" if forge in ("github", "gitlab") else md_inline(author.login)
    return md_inline(author.name)


def _commit_link(c: NoteCommit) -> str:
    return f"[`{c.sha[:7]}`]({c.url})" if c.url else f"`{c.sha[:7]}`"


def _entry_md(entry: NoteEntry, w: Mapping[str, str]) -> str:
    first, rest = entry.commits[0], entry.commits[1:]
    links = [f"[{entry.pr_reference}]({entry.pr_url})"] if entry.pr_url else []
    links.append(_commit_link(first))
    line = f"- {md_inline(entry.text)} ({', '.join(links)})"
    extra = [f"{w['reverted' if c.role == 'revert' else 'relanded']} {_commit_link(c)}" if c.role != "change"
             else _commit_link(c) for c in rest]  # fmt: skip
    if extra:
        line += f"; {'; '.join(extra)}"
    author = f"@{entry.author.login}" if entry.author.login else entry.author.name
    return f"{line} {w['by']} {md_inline(author)}"


def notes_markdown(notes: ReleaseNotes) -> str:
    """A Keep a Changelog section, to prepend to CHANGELOG.md: ``## [tag] - date``, the overview, then a
    ``###`` list per group."""
    w = words(notes.language)
    # Keep a Changelog's (and git-cliff's): what no release holds yet has no date until it is released
    heading = (
        f"## [{w['unreleased']}]"
        if notes.tag == "Unreleased"
        else f"## [{md_inline(notes.tag)}] - {notes.date}"
    )
    lines = [heading, ""]
    if notes.overview:
        lines += [md_inline(notes.overview), ""]
    for group, found in notes.grouped():
        lines += [f"### {w[group]}", "", *(_entry_md(e, w) for e in found), ""]
    if notes.figures.left_out:
        lines += [w["internal"].format(n=notes.figures.left_out), ""]
    if notes.first_timers:
        lines += [f"### {w['first_timers']}", ""]
        lines += [f"- {md_inline('@' + a.login if a.login else a.name)}" for a in notes.first_timers]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def notes_release_body(notes: ReleaseNotes) -> str:
    """The forge's release body: its own syntax — ``@login`` mentions, ``#12`` (GitHub) or ``!12`` (GitLab)
    references and shas (12 digits, as git abbreviates them in a large repository), which the forge links
    itself — and a compare link."""
    w = words(notes.language)
    lines: list[str] = []
    if notes.overview:
        lines += [_quiet(md_inline(notes.overview)), ""]
    for group, found in notes.grouped():
        lines += [f"## {w[group]}", ""]
        for e in found:
            where = [e.pr_reference] if e.pr_reference else []
            where += [c.sha[:12] for c in e.commits]  # the forge links a short sha as it links a full one
            lines.append(f"- {_quiet(md_inline(e.text))} {w['by']} {_who_md(e.author, notes.forge)} {w['in']} "
                         f"{', '.join(where)}")  # fmt: skip
        lines.append("")
    if notes.figures.left_out:
        lines += [w["internal"].format(n=notes.figures.left_out), ""]
    if notes.first_timers:
        lines += [f"## {w['first_timers']}", "", *_firsts_made(notes, w), ""]
    if notes.repo_url and notes.tag != "Unreleased":
        compare = f"{notes.repo_url}/compare/{notes.base}...{notes.head}"
        if notes.forge == "gitlab":
            compare = f"{notes.repo_url}/-/compare/{notes.base}...{notes.head}"
        lines.append(f"**{w['full']}**: {safe_url(compare) or ''}")
    return "\n".join(lines).rstrip("\n") + "\n"


def _firsts_made(notes: ReleaseNotes, w: dict[str, str]) -> list[str]:
    """A line a first-time contributor, naming their first change (its oldest entry)."""
    firsts = {
        e.author.login or e.author.name: e.pr_reference or e.commits[0].sha[:12]
        for e in reversed(notes.entries)
    }
    return ["- " + w["first_made"].format(who=_who_md(a, notes.forge), where=firsts.get(a.login or a.name, ""))
            for a in notes.first_timers]  # fmt: skip


def notes_json(notes: ReleaseNotes) -> str:
    return notes.model_dump_json(indent=2) + "\n"


def _entry_html(entry: NoteEntry, w: dict[str, str]) -> str:
    import html  # (the HTML formats only: the Markdown of `notes` loads no entity table)

    from dailydiff.render.chat import one_line

    def a(url: str | None, text: str) -> str:
        url = safe_url(url)
        return f'<a href="{html.escape(url)}">{html.escape(text)}</a>' if url else html.escape(text)

    links = [a(entry.pr_url, entry.pr_reference)] if entry.pr_reference else []
    for c in entry.commits:
        label = (
            c.sha[:7]
            if c.role == "change"
            else f"{w['reverted' if c.role == 'revert' else 'relanded']} {c.sha[:7]}"
        )
        links.append(a(c.url, label))
    who = f"@{entry.author.login}" if entry.author.login else entry.author.name
    return (f"<li>{html.escape(one_line(entry.text))} <span class=\"refs\">({', '.join(links)})</span> "
            f"{html.escape(w['by'])} {html.escape(who)}</li>")  # fmt: skip


def notes_title(notes: ReleaseNotes) -> str:
    w = words(notes.language)
    return w["title"].format(repo=notes.repo, tag=w["unreleased"] if notes.tag == "Unreleased" else notes.tag)


def notes_body(notes: ReleaseNotes) -> str:
    """The notes as HTML, every text escaped and every link a safe one: a page's body (``notes_html``, the
    site's release page) or a feed entry's content."""
    import html

    w = words(notes.language)
    body = [
        f'<p class="meta">{html.escape(notes.base)}..{html.escape(notes.head)} · '
        f"{w['unreleased'] if notes.tag == 'Unreleased' else notes.date}</p>"
    ]
    if notes.overview:
        body.append(f"<p>{html.escape(notes.overview)}</p>")
    for group, found in notes.grouped():
        body.append(f"<h2>{html.escape(w[group])}</h2>")
        body.append("<ul>" + "".join(_entry_html(e, w) for e in found) + "</ul>")
    if notes.figures.left_out:
        body.append(f"<p>{html.escape(w['internal'].format(n=notes.figures.left_out))}</p>")
    if notes.first_timers:
        names = "".join(
            f"<li>{html.escape('@' + a.login if a.login else a.name)}</li>" for a in notes.first_timers
        )
        body.append(f"<h2>{html.escape(w['first_timers'])}</h2><ul>{names}</ul>")
    return "\n".join(body)


def notes_html(notes: ReleaseNotes) -> str:
    """One self-contained page (the site's stylesheet inlined, no script)."""
    import html

    from dailydiff.render.html import standalone_css

    css, digest = standalone_css()
    title = html.escape(notes_title(notes))
    lang = "zh-CN" if notes.language == "zh" else "en"
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'sha256-{digest}\'">\n'
            f"<title>{title}</title>\n<style>{css}</style>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n"
            + notes_body(notes) + "\n</main>\n</body>\n</html>\n")  # fmt: skip


NOTES_FORMATS = ("md", "json", "html", "release")


def render_notes(notes: ReleaseNotes, fmt: str) -> str:
    """The notes in one format: ``md``, ``json``, ``html`` or ``release`` (the forge's release body)."""
    writers = {"md": notes_markdown, "json": notes_json, "html": notes_html, "release": notes_release_body}
    return writers[fmt](notes)


__all__ = [
    "GROUPS",
    "NOTES_FORMATS",
    "USER_GROUPS",
    "NoteEntry",
    "NotesFigures",
    "RangeCommit",
    "ReleaseNotes",
    "build_notes",
    "notes_json",
    "notes_markdown",
    "notes_release_body",
    "render_notes",
    "with_rewrite",
]
