"""Release notes: a range's commits as git defines it, each analysed once (the store's analyses reused, the
missing ones analysed now with the configured analyser), written as a release's notes — and the release
as a unit kind of `run` (``[notes] on_tag``): every new tag's notes delivered once per target.

A range is ``REF1..REF2`` (git's meaning: reachable from REF2, not from REF1; merges per ``[git]
include_merges``), ``--since-tag`` (the newest tag reachable from HEAD to HEAD) or ``--unreleased`` (what no
tag holds). The notes' overview comes from the LLM when one is configured and this call asked it for
analyses anyway, or ``[notes] llm = "always"`` (one request, its answer kept in the store: the same notes
ask again never); else the rules compose it from the stored analyses — a store that has the days asks
nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from dailydiff.common.aio import run_sync
from dailydiff.common.timewindow import local_date_of
from dailydiff.engine.base import BaseUnit
from dailydiff.engine.deliver import publishers_for
from dailydiff.engine.outcome import BUILT, EMPTY, FAILED, Send, UnitOutcome
from dailydiff.errors import DailyDiffError, SourceError, UsageError
from dailydiff.models import Analysis, AnalysisStatus, Commit, Level
from dailydiff.render.notes import (
    Audience,
    NotesFigures,
    RangeCommit,
    ReleaseNotes,
    build_notes,
    render_notes,
    with_rewrite,
)
from dailydiff.render.release import ledger_repo, release_edition
from dailydiff.scoring.rules_version import heuristic_fingerprint
from dailydiff.settings import Settings
from dailydiff.sources import open_source, source_kind
from dailydiff.sources.git import GitSource, run_git
from dailydiff.sources.release_authors import SHA, KnownAuthors, authors_of
from dailydiff.sources.release_authors import ident as _ident
from dailydiff.store import Store

if TYPE_CHECKING:
    from dailydiff.engine.jobs import RepoJob
    from dailydiff.engine.outcome import UnitOutcome

log = logging.getLogger("dailydiff.notes")

UNRELEASED = "Unreleased"


@dataclass(frozen=True)
class NotesRange:
    """What the notes cover: ``revs`` for `git rev-list`, ``known`` the revisions whose authors are not new;
    ``known_commit`` the commit ``known`` is when it is one commit of a full (not shallow) history: who
    wrote that history never changes, so the store keeps it ('' : walked each time)."""

    base: str
    head: str
    tag: str
    revs: tuple[str, ...]
    known: tuple[str, ...]
    known_commit: str = ""


def _git(source: GitSource, *args: str, check: bool = True) -> str:
    return run_git(list(args), cwd=source.path, check=check).stdout.decode("utf-8", "replace").strip()


def _verify(source: GitSource, ref: str) -> None:
    if ref.startswith("-") or not _git(
        source, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False
    ):
        raise UsageError(f"{ref!r} names no commit of {source.repo}",
                         "give a tag, branch or sha of the repository (git tag --list shows its tags)")  # fmt: skip


def resolve_range(source: GitSource, spec: str | None, *, since_tag: bool = False,
                  unreleased: bool = False, tag_pattern: str = "") -> NotesRange:  # fmt: skip
    """The range a command asks for (exactly one of ``spec``, ``since_tag``, ``unreleased``)."""
    if sum((spec is not None, since_tag, unreleased)) != 1:
        raise UsageError(
            "give one of REF1..REF2, --since-tag and --unreleased", "e.g. dailydiff notes . v1.0..v1.1"
        )
    if unreleased:
        return NotesRange("tags", "HEAD", UNRELEASED, ("HEAD", "--not", "--tags"), ("--tags",))
    if since_tag:
        return _since_tag(source, tag_pattern)
    assert spec is not None
    base, dots, head = spec.partition("..")
    if not dots or head.startswith(".") or not base or not head:
        raise UsageError(f"{spec!r} is not a range REF1..REF2", "e.g. v0.6.16..v0.6.17")
    known_commit = _base_commit(source, base, head)
    # `git log B..A` of a newer B is empty without a word: a range written the wrong way round is said
    ahead, behind = _git(source, "rev-list", "--left-right", "--count", f"{base}...{head}", "--").split()
    if behind == "0" and ahead != "0":
        raise UsageError(f"{spec!r} holds no commit: {head} is older than {base}", f"write {head}..{base}")
    return NotesRange(base, head, head, (f"{base}..{head}",), (base,), known_commit)


def _since_tag(source: GitSource, tag_pattern: str) -> NotesRange:
    """From the last release to HEAD."""
    # The last release: the newest tag reachable from HEAD that `[notes] tag_pattern` calls one (a nightly
    # tag made yesterday is not), by its commit's date (an annotated tag made after its commit still names
    # that commit), the annotated one first where two name one commit (as `git describe` prefers it).
    fmt = ("--format=%(if)%(*committerdate)%(then)%(*committerdate:unix) 1%(else)%(committerdate:unix) 0"
           "%(end) %(creatordate:unix) %(refname:short)")  # fmt: skip
    listed = _git(source, "tag", "--merged", "HEAD", fmt, check=False)  # reachable from HEAD, as describe
    releases = re.compile(tag_pattern) if tag_pattern else None
    rows = [line.split(" ", 3) for line in listed.splitlines()]
    tags = sorted(((int(when), int(annotated), int(made or 0), tag) for when, annotated, made, tag in
                   (row for row in rows if len(row) == 4 and row[0].isdigit())), reverse=True)  # fmt: skip
    newest = next((tag for _, _, _, tag in tags if releases is None or releases.search(tag)), "")
    if not newest:
        raise UsageError(f"{source.repo} has no release tag ([notes] tag_pattern {tag_pattern!r}) reachable "
                         "from HEAD", "use --unreleased, or REF1..REF2")  # fmt: skip
    resolved = _commits(source, newest)
    known_commit = resolved[0][0] if resolved and not resolved[1] else ""
    return NotesRange(newest, "HEAD", UNRELEASED, (f"{newest}..HEAD",), (newest,), known_commit)


def _base_commit(source: GitSource, base: str, head: str) -> str:
    """Both ends verified, in one git call: the commit ``base`` names, or '' in a shallow clone (its history
    before the range may grow). When that call does not name two commits, each end is verified alone, for
    the message of the one that names none."""
    resolved = _commits(source, base, head) if not base.startswith("-") and not head.startswith("-") else None
    if resolved is not None:
        return "" if resolved[1] else resolved[0][0]
    _verify(source, base)
    _verify(source, head)
    return ""


def _commits(source: GitSource, *refs: str) -> tuple[list[str], bool] | None:
    """The commits ``refs`` name and whether the clone is shallow, in one git call; None when it does not
    name one commit for each."""
    said = _git(source, "rev-parse", "--is-shallow-repository", *(f"{ref}^{{commit}}" for ref in refs), "--",
                check=False).splitlines()  # fmt: skip
    if len(said) == len(refs) + 2 and said[-1] == "--" and all(SHA.fullmatch(sha) for sha in said[1:-1]):
        return said[1:-1], said[0] == "true"
    return None


def authors_walk(source: GitSource, span: NotesRange, store: Store) -> KnownAuthors:
    """The authors of ``span.known``: the store's when it kept them for ``span.known_commit``, else their
    walk started now on a thread (sources/release_authors.py)."""
    return authors_of(source.path, span.known, span.known_commit, store)


def release_date(source: GitSource, head: str, tz: str) -> tuple[dt.date, bool]:
    """The day of the release: its tag's date (an annotated tag's own), else its commit's, in ``tz``; and
    whether ``head`` is a tag."""
    text = _git(
        source, "for-each-ref", "--format=%(creatordate:iso-strict)", f"refs/tags/{head}", check=False
    )
    tagged = bool(text)
    if not tagged:
        text = _git(source, "show", "-s", "--format=%cI", f"{head}^{{commit}}", "--")
    return local_date_of(dt.datetime.fromisoformat(text.splitlines()[0]), tz), tagged


# --- the commits and their analyses ----------------------------------------------------------------------


@dataclass
class Gathered:
    commits: list[RangeCommit] = field(default_factory=list)
    reused: int = 0
    analysed: int = 0
    requests: int = 0
    merges: int = 0
    failures: list[str] = field(default_factory=list)


def _best(
    found: dict[tuple[str, str], Analysis], sha: str, fingerprints: dict[str, Level]
) -> Analysis | None:
    """The deepest good stored analysis of ``sha`` under the analyser's fingerprints."""
    good = [
        (fingerprints[fp], a) for (s, fp), a in found.items() if s == sha and a.status is AnalysisStatus.OK
    ]
    return max(good, key=lambda pair: pair[0].rank)[1] if good else None


def gather(store: Store, settings: Settings, source: GitSource, listed: Sequence[Commit],
           authors_before: KnownAuthors, analyzer: Any) -> Gathered:  # fmt: skip
    """Every commit of ``listed`` (the range, as git lists it) with its analysis: the store's first, the
    missing ones analysed (and stored); ``authors_before`` (asked last) says who wrote the history before
    them: the others are new."""
    repo, language = source.repo, settings.report.language
    out = Gathered()
    commits = {c.sha: c for c in listed}
    shas = list(commits)
    fingerprints = {analyzer.fingerprint(level, language): level for level in Level}
    found = store.get_analyses(repo, shas, list(fingerprints))
    analyses: dict[str, Analysis | None] = {}
    todo: list[Commit] = []
    for sha, commit in commits.items():
        if commit.is_merge:
            analyses[sha] = None
            out.merges += 1
        elif (best := _best(found, sha, fingerprints)) is not None:
            analyses[sha] = best
            out.reused += 1
        else:
            todo.append(commit)
    if todo:  # what the analyser reads: the changes and patches, read now and stored
        todo = source.named([c.sha for c in todo])
        store.save_commits(todo)
        _analyse(store, settings, todo, analyzer, analyses, out)
    known = authors_before.get(store)
    for sha, commit in commits.items():
        new = bool(known) and not (
            {_ident(commit.author.email.lower()), _ident(commit.author.name.lower())} & known
        )
        out.commits.append(RangeCommit(commit, analyses[sha], first_time=new))
    return out


class StoredRules:
    """The rules analyser as far as its stored analyses go (its name and fingerprints), without importing
    it: `notes` on a store that has the days analyses nothing (``_analyse`` makes the analyser itself)."""

    name = "heuristic"
    fingerprint = staticmethod(heuristic_fingerprint)


def _analyzer(settings: Settings, store: Store) -> Any:
    """The configured analyser (``StoredRules`` for the rules, until a commit is to be analysed)."""
    if settings.analysis.analyzer == "heuristic":
        return StoredRules()
    from dailydiff.analysis import make_analyzer

    return make_analyzer(settings.analysis.analyzer, settings, store)


def _analyse(store: Store, settings: Settings, todo: Sequence[Commit], analyzer: Any,
             analyses: dict[str, Analysis | None], out: Gathered) -> None:  # fmt: skip
    """The commits no stored analysis covers, analysed now (and stored) by the day's analysis stage:
    scored, analysed, analysed again deeper when the model rates them above their depth, the rules
    standing in for a failed one."""
    from dailydiff.analysis import make_analyzer
    from dailydiff.engine.analysing import Counts, Stage, analyse_commit

    if isinstance(analyzer, StoredRules):
        analyzer = make_analyzer("heuristic", settings, store)
    counts = Counts()

    async def analyse_all() -> None:
        async with analyzer.session() as session:
            stage = Stage(store, settings, analyzer, session)
            for commit, _, analysis in await asyncio.gather(
                *(analyse_commit(stage, c, counts) for c in todo)
            ):
                analyses[commit.sha] = analysis

    run_sync(analyse_all())
    out.analysed += counts.analysed
    out.requests += counts.usage.requests
    out.failures += counts.failures


def rewrite_for(
    notes: ReleaseNotes, commits: Sequence[RangeCommit], llm: Any, store: Store, *, ask: bool = True
) -> tuple[ReleaseNotes, int]:
    """The notes with the LLM's overview and lines for their audience (one request; its answer kept in
    the store, so the same notes never ask twice); with ``ask`` false only a kept answer is used. Returns
    the notes and the requests made."""
    from dailydiff.analysis.llm import UnusableAnswer

    analyses = {rc.commit.sha: rc.analysis for rc in commits}
    entries = [{"id": i, "group": e.group, "title": e.commits[0].title,
                "summary": (a.summary if (a := analyses.get(e.commits[0].sha)) is not None else "")}
               for i, e in enumerate(notes.entries, 1)]  # fmt: skip
    key = "notes:" + hashlib.sha256(json.dumps(
        [llm.name, notes.repo, notes.tag, notes.audience, notes.language, entries], ensure_ascii=False
    ).encode()).hexdigest()  # fmt: skip
    cached = store.answer(key)
    if cached is not None:
        try:
            data = json.loads(cached)
            return with_rewrite(notes, data["overview"], {int(k): v for k, v in data["lines"].items()},
                                llm.name), 0  # fmt: skip
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("a cached answer of the notes is not readable: asking again")
    if not ask:
        return notes, 0
    try:
        (overview, lines), usage = llm.notes(entries, notes.audience, notes.language, notes.repo, notes.tag)
    except (UnusableAnswer, DailyDiffError) as exc:
        log.warning("the LLM could not write the notes (%s): the rules' overview stands", exc)
        return notes, 1
    overview, lines = _grounded_notes(overview, lines, entries, llm.grounding, notes.language)
    store.save_answer(key, json.dumps({"overview": overview, "lines": lines}, ensure_ascii=False))
    return with_rewrite(notes, overview, lines, llm.name), max(1, usage.requests)


def _grounded_notes(overview: str, lines: dict[int, str], entries: list[dict[str, Any]], mode: str,
                    language: str) -> tuple[str, dict[int, str]]:  # fmt: skip
    """The notes' overview and lines held against the entries the model was shown (their titles and
    summaries): what names something none of them does is removed; an emptied line keeps ours."""
    from dailydiff.analysis.claims import analyses_evidence, ground_texts

    evidence = analyses_evidence(f"{e['title']}\n{e['summary']}" for e in entries)
    kept, _ = ground_texts({0: overview, **lines}, evidence, mode, language)
    return kept.pop(0), {i: text for i, text in kept.items() if text}


def notes_of(store: Store, settings: Settings, source: GitSource, span: NotesRange, *,
             audience: Audience, now: dt.datetime, tell: bool = False,
             authors: KnownAuthors | None = None) -> ReleaseNotes:  # fmt: skip
    """The notes of ``span``: gathered, built, told by the LLM when one is configured and ``[notes] llm``
    lets it (``tell``: a new tag's notes in `run`, which "auto" has the model tell). ``authors``: the walk
    of the history before the range (``authors_walk``) when the caller started it; else it starts here,
    beside the range's read."""
    known = authors or authors_walk(source, span, store)
    analyzer = _analyzer(settings, store)
    got = gather(store, settings, source, source.listed(span.revs), known, analyzer)
    figures = NotesFigures(
        merges=got.merges, reused=got.reused, analysed=got.analysed, llm_requests=got.requests
    )
    tz = settings.report.timezone
    date, tagged = (
        release_date(source, span.head, tz) if span.tag != UNRELEASED else (local_date_of(now, tz), False)
    )
    notes = build_notes(got.commits, repo=source.repo, repo_url=source.repo_url, forge=source.forge,
                        base=span.base, head=span.head, tag=span.tag, date=date,
                        language=settings.report.language, audience=audience, figures=figures,
                        analyzer=analyzer.name, generated_at=now.replace(microsecond=0))  # fmt: skip
    # The model tells the notes when one is configured and ``[notes] llm`` lets it: "auto" asks it when this
    # call analysed commits with it anyway, or for a new tag of `run` (``tell``: once per tag) — `notes` on a
    # store that has the days asks nothing (the rules compose the overview from the stored analyses);
    # "always" asks it (once: its answer is kept), "never" does not. A kept answer for the same notes is
    # used whenever the model may tell them.
    mode = settings.notes.llm
    told = notes.entries and mode != "never" and settings.analysis.analyzer != "heuristic"
    llm = None
    if told:
        from dailydiff.analysis import llm_configured, make_analyzer

        llm = make_analyzer("llm", settings, store) if llm_configured(settings) else None
    if llm is not None:
        ask = mode == "always" or tell or got.requests > 0
        notes, asked = rewrite_for(notes, got.commits, llm, store, ask=ask)
        notes = notes.model_copy(update={"figures": notes.figures.model_copy(
            update={"llm_requests": notes.figures.llm_requests + asked})})  # fmt: skip
    if tagged:  # a tag's notes are kept: the site's release pages
        store.save_release(notes.repo, notes.tag, notes.language, notes.audience, notes.date,
                           render_notes(notes, "json"))  # fmt: skip
    return notes


def open_git(job: RepoJob, settings: Settings, store: Store) -> GitSource:
    """The job's repository as a git history (notes read tags and ranges from git): a path or a git URL as
    it is; a forge's repository (``owner/name``, ``gitlab:group/project``) through its clone mode — the
    blobless partial clone its days use in the data directory, cloned or fetched now, with its tags."""
    source = open_source(job.source, settings, job.source_options, store)
    if isinstance(source, GitSource):
        return source
    from dailydiff.sources.forge_clone import CloneMode  # a forge's repository only

    if not isinstance(source, CloneMode):  # its forge's API mode: the same repository in clone mode
        cloning = {forge: getattr(settings, forge).model_copy(update={"mode": "clone"})
                   for forge in ("github", "gitlab")}  # fmt: skip
        source = open_source(job.source, settings.model_copy(update=cloning), job.source_options, store)
    if not isinstance(source, CloneMode):
        raise UsageError(f"release notes read a git history; {job.label} has none to clone",
                         "pass the path of a clone or its git URL")  # fmt: skip
    cloned: Any = source  # a forge's source with clone mode mixed in
    git: GitSource = cloned._clone()
    # The clone is made and fetched without tags (a day needs none): they are fetched now.
    fetched = run_git(["fetch", "--quiet", "--prune", "origin", "+refs/tags/*:refs/tags/*"], cwd=git.path,
                      check=False, private=True, env=git.git_env)  # fmt: skip
    if fetched.returncode != 0:
        raise SourceError(f"could not fetch the tags of {job.label}", "check the network and the token")
    return git


# --- new tags, as units of `run` ---------------------------------------------------------------------------


def new_tags(source: GitSource, settings: Settings, now: dt.datetime) -> list[tuple[str, str, dt.datetime]]:
    """The release tags made in the last ``[notes] lookback_days``, oldest first, each with the tag before
    it (a release tag its commit descends from; '' for the first release): (tag, previous, made)."""
    pattern = re.compile(settings.notes.tag_pattern)
    fmt = "--format=%(refname:short)%00%(creatordate:iso-strict)%00%(objectname)%00%(*objectname)"
    listed = _git(source, "for-each-ref", "--sort=creatordate", fmt, "refs/tags")
    tags, commit_of = [], {}
    for line in listed.splitlines():
        name, when, obj, peeled = [*line.split("\0"), "", "", ""][:4]
        if pattern.search(name) and when:
            tags.append((name, dt.datetime.fromisoformat(when)))
            commit_of[name] = peeled or obj  # an annotated tag's commit, or the commit a light tag names
    since = now - dt.timedelta(days=settings.notes.lookback_days)
    return [(name, _previous(source, name, commit_of), made) for name, made in tags if made >= since]


def _previous(source: GitSource, tag: str, commit_of: dict[str, str]) -> str:
    """The release tag nearest before ``tag`` in its history (the first release tag, on another commit, that
    git meets walking back from it in topological order); '' for the first release."""
    walked = _git(source, "log", "--topo-order", "--simplify-by-decoration", "--decorate-refs=refs/tags",
                  "--format=%D", f"{tag}^{{commit}}", "--", check=False)  # fmt: skip
    for line in walked.splitlines():
        for name in (part.strip().removeprefix("tag: ") for part in line.split(",")):
            if name in commit_of and commit_of[name] != commit_of[tag]:
                return name
    return ""


@dataclass(frozen=True)
class ReleaseUnit(BaseUnit):
    """A release's notes, built from the stored analyses (the missing ones made now) and delivered through the
    ledger, keyed by repository and tag (a tag reaches each target once, whatever runs or workers see it):
    `notes` one range (``span``) rendered in ``fmt`` (its outcome's ``figures["text"]``), with ``targets``
    (`notes --publish`: the tag's forge release); `run` (``[notes] on_tag``) each new tag of the repository, to
    its targets (and its forge release with ``[notes] release``), once its days of the plan are built (their
    analyses reused)."""

    kind: ClassVar[str] = "release"
    job: RepoJob
    date: dt.date  # today, in the repository's timezone
    needs: tuple[str, ...] = ()
    span: NotesRange | None = None  # `notes`: its range (None: `run`'s new tags)
    git: GitSource | None = field(default=None, compare=False, repr=False)  # `notes`: the history it opened
    audience: Audience | None = None  # None: [notes] audience
    fmt: str = "md"
    targets: tuple[Any, ...] = ()
    now: dt.datetime | None = None
    authors: KnownAuthors | None = field(default=None, compare=False, repr=False)

    @property
    def uses_engine(self) -> bool:  # type: ignore[override]  # `notes`: the store, git and the outputs only
        return self.span is None

    @property
    def key(self) -> str:
        if self.span is not None and self.git is not None:
            return f"release:{self.git.repo} {self.span.tag}"
        return f"releases:{self.job.repo_id} {self.date.isoformat()}"

    @property
    def label(self) -> str:
        if self.span is not None and self.git is not None:
            return f"release {self.git.repo} {self.span.tag}"
        return f"releases {self.job.label} {self.date.isoformat()}"

    @classmethod
    async def build(cls, context: Any, units: Sequence[ReleaseUnit]) -> tuple[list[UnitOutcome], str]:
        outcomes = [o for unit in units for o in await asyncio.to_thread(unit._build, context)]
        return outcomes, "; ".join(f"{o.label}: {o.detail}" for o in outcomes if o.status == FAILED)

    def _build(self, context: Any) -> list[UnitOutcome]:
        settings = self.job.settings
        now = self.now or context.options.now or dt.datetime.now(dt.UTC)
        with context.own_store() as store:
            if self.span is not None and self.git is not None:
                return [self._outcome(store, self.git, self.span, now, self.targets, self.label)]
            source = open_git(self.job, settings, store)
            targets = publishers_for(self.job.entry, self.job.index, context.available)
            if settings.notes.release:
                from dailydiff.publish.release import release_publisher

                targets.append(release_publisher(source, settings, context.secrets))
            outcomes = []
            for tag, previous, _made in new_tags(source, settings, now):
                label = f"release {self.job.label} {tag}"
                span = (NotesRange(previous, tag, tag, (f"{previous}..{tag}",), (previous,)) if previous
                        else NotesRange("", tag, tag, (tag,), ()))  # fmt: skip
                try:
                    outcomes.append(
                        self._outcome(store, source, span, now, targets, label, tag=tag, previous=previous)
                    )
                except DailyDiffError as exc:
                    outcomes.append(UnitOutcome("release", label, FAILED, self.date, key=self.key, detail=str(exc),
                                                repo=ledger_repo(source.repo, tag)))  # fmt: skip
        return outcomes

    def _outcome(self, store: Store, source: GitSource, span: NotesRange, now: dt.datetime, targets: Sequence[Any],
                 label: str, **tagged: str) -> UnitOutcome:  # fmt: skip
        """One range's notes: with ``tagged`` (`run`'s new tag) its edition always sent, else (`notes`) the text
        and its line for the command, an edition only for its targets."""
        settings = self.job.settings
        notes = notes_of(store, settings, source, span, audience=self.audience or settings.notes.audience, now=now,
                         tell=bool(tagged), authors=self.authors)  # fmt: skip
        f = notes.figures
        figures = {**tagged, **f.model_dump()}
        if not tagged:
            line = (f"{notes.repo} {span.base}..{span.head}: {f.commits} commit(s) in {f.entries} entr(ies); "
                    f"{f.reused} analysis(es) reused from the store, {f.analysed} made now; "
                    f"{f.llm_requests} LLM request(s)")  # fmt: skip
            figures.update(text=render_notes(notes, self.fmt), line=line)
        edition = release_edition(notes, settings) if targets or tagged else None  # (stdout and -o: the text)
        sends = (
            [Send(edition, targets, claim_timeout=settings.run.claim_timeout)] if edition is not None else []
        )
        return UnitOutcome("release", label, BUILT if notes.entries else EMPTY, notes.date, key=self.key,
                           repo=ledger_repo(notes.repo, notes.tag), figures=figures, edition=edition,
                           sends=sends)  # fmt: skip


def plan_releases(at: Any) -> None:  # at: engine/runner.py's PlanContext
    """One release unit per git repository (a path or a git URL) with ``[notes] on_tag``: it needs the
    repository's days of the plan."""
    for job in at.jobs:
        if not job.settings.notes.on_tag or source_kind(job.source) != "git":  # tags are read from git
            continue
        today = local_date_of(at.span.now, job.settings.report.timezone)
        needs = tuple(u.key for u in at.plan.days_of(job))
        at.plan.add(ReleaseUnit(job, today, needs))


__all__ = [
    "NotesRange",
    "ReleaseUnit",
    "gather",
    "notes_of",
    "plan_releases",
    "resolve_range",
]
