"""One commit of one repository, found by (a prefix of) its sha: for `report --explain SHA`, which prints
the scoring rules that fired and builds nothing, and `report --reanalyze SHA`, which builds the commit's
day again with that commit analysed afresh.

The commit's day is found without asking: the store's copy of the commit says when it landed, else the
git repository does; only a GitHub repository whose commit was never stored needs ``--date``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dailydiff.analysis.claims import commit_evidence, traced
from dailydiff.common.dates import DateSpec
from dailydiff.common.text import terminal_text
from dailydiff.common.timewindow import day_window, local_date_of
from dailydiff.engine.jobs import RepoJob
from dailydiff.errors import UsageError
from dailydiff.models import Analysis, Commit, Level
from dailydiff.scoring.rules import explain
from dailydiff.sources import CommitSource, open_source
from dailydiff.store import Store


@dataclass(frozen=True)
class Located:
    commit: Commit
    day: dt.date  # the day it landed, in the repository's report timezone
    level: Level | None  # its level in the stored report of that day, when there is one
    analysis: Analysis | None = None  # its analysis in that report


def locate_commit(job: RepoJob, store: Store, sha: str, dates: DateSpec, flag: str) -> Located:
    """The commit ``sha`` names in ``job``'s repository (store first, then git, then the day of --date)."""
    wanted = sha.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{4,40}", wanted):
        raise UsageError(f"{flag} {sha}: not a commit sha", "give at least 4 hex digits of the sha")
    settings = job.settings
    tz = settings.report.timezone
    source, repo = open_source(job.source, settings, job.source_options, store), job.repo_id
    stored = store.find_commits(repo, wanted)
    if len(stored) > 1:
        raise UsageError(f"{flag} {sha}: several commits of {repo} start with it", "give more of the sha")
    if stored:
        commit = stored[0]
        day = local_date_of(commit.committed_at, tz)
    else:
        commit, day = _fetched(source, repo, wanted, sha, dates, tz, flag)
    report = store.get_report(repo, day, settings.report.language)
    entry = next((rc for rc in report.commits if rc.sha == commit.sha), None) if report else None
    return Located(commit, day, entry.level if entry else None, entry.analysis if entry else None)


def _fetched(source: CommitSource, repo: str, wanted: str, sha: str, dates: DateSpec, tz: str, flag: str
             ) -> tuple[Commit, dt.date]:  # fmt: skip
    """The commit ``wanted`` names that the store does not hold, fetched from its day, and that day."""
    # A local history knows where its commits landed; a forge's are fetched by day.
    found = source.landed(wanted) if source.knows_history else None
    if found is not None:
        day = local_date_of(found[1], tz)
    elif source.knows_history:
        raise UsageError(f"{flag} {sha}: no commit of {repo} starts with it",
                         "check the sha (a prefix of at least 4 hex digits, unique in the repository)")  # fmt: skip
    elif dates.date or dates.first:
        day = dates.resolve(tz)[0]
    else:
        raise UsageError(
            f"{flag} {sha}: {repo} has no stored commit starting with it",
            f"pass --date DAY (the day it landed, in {tz}) to fetch that day",
        )
    matches = [
        c for c in source.commits(day_window(day, tz)) if c.sha.startswith(found[0] if found else wanted)
    ]
    if len(matches) != 1:
        what = "several commits start with it" if matches else f"it did not land on {day} ({tz})"
        hint = (
            "give more of the sha"
            if matches
            else "check the sha, the branch (--branch/--all-branches) or --date"
        )
        raise UsageError(f"{flag} {sha}: {what}", hint)
    return matches[0], day


def claims_of_commit(located: Located, job: RepoJob, store: Store) -> str:
    """`--claims`: the analysis the day's report shows for the commit, each of its claims with its kind and
    where what the model was shown has it, and the sentences removed or marked for a claim found nowhere."""
    settings = job.settings
    repo, sha = job.repo_id, located.commit.sha
    report = store.get_report(repo, located.day, settings.report.language)
    shown = next((rc.analysis for rc in report.commits if rc.sha == sha), None) if report else None
    if shown is None:
        raise UsageError(f"--claims {sha[:12]}: {repo} has no analysis of it stored in {settings.report.language}",
                         f"build its day first: dailydiff report … --date {located.day}")  # fmt: skip
    analysis = store.get_analyses(repo, [sha], {shown.fingerprint}).get((sha, shown.fingerprint), shown)
    g = analysis.grounding
    head = f"{repo} {sha[:12]} ({located.day}): {analysis.analyzer}"
    if g is None:
        return head + "\nits claims were not traced (analysed before claims were, or with grounding off)\n"
    lines = [
        f"{head}; claims {g.checked} checked, {g.supported} supported, {g.repaired} repaired, action {g.action}"
    ]
    # The rules' trace is not stored (what they read is the commit itself): traced again, with places.
    claims = g.claims or (traced(analysis, commit_evidence(located.commit)) if g.checked else [])
    width = max((len(c.text) for c in claims), default=0)
    for claim in dict.fromkeys(claims):  # each once, in the order the text says them
        where = "not found" if claim.where is None else claim.where
        lines.append(
            f"  {'✓' if claim.where else '✗'} {claim.kind:<10} {terminal_text(claim.text):<{min(width, 60)}}  {where}"
        )
    if g.removed:
        lines.append("marked:" if g.action == "marked" else "removed:")
        lines += [f"  - {terminal_text(sentence)}" for sentence in g.removed]
    return "\n".join(lines) + "\n"


def explain_commit(located: Located, job: RepoJob) -> str:
    """`--explain`: the day it landed, then the rule table's rows that fire for it."""
    tz = job.settings.report.timezone
    head = f"{job.repo_id}: landed on {located.day} ({tz})\n"
    return head + explain(located.commit, job.settings.scoring, located.level) + provenance(located.analysis)


def provenance(analysis: Analysis | None) -> str:
    """Who wrote the stored analysis: the analyser, the model id the endpoint answered with, the prompt
    templates' hash, and what it cost (its cached prompt tokens apart)."""
    if analysis is None:
        return ""
    usage = analysis.usage
    line = f"\nanalysed by {analysis.analyzer} ({analysis.status.value}, depth {analysis.depth.value})"
    if usage.model_version:
        line += f"; model version {usage.model_version}"
    if usage.prompt_hash:
        line += f"; prompt {usage.prompt_hash}"
    if usage.provider:
        line += f"; provider {usage.provider}"
    if usage.prompt_tokens or usage.completion_tokens:
        line += f"; tokens {usage.prompt_tokens}+{usage.completion_tokens}"
        if usage.cached_tokens is not None:
            line += f", cached {usage.cached_tokens}"
        line += f", ${usage.cost:.6f}"
    return line + "\n"
