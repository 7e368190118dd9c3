"""Reverts across days: a revert points to the commit it undoes wherever that landed (this day, a stored
day, or only the forge), and the undone commit's stored report learns "reverted by" once the revert is
built. The links are data on the report (``ReportCommit.reverts`` / ``reverted_by``), so every output
renders them from the report alone."""

from __future__ import annotations

import datetime as dt
import re

from dailydiff.common.timewindow import local_date_of
from dailydiff.models import Commit, CommitRef, DayReport, ReportCommit
from dailydiff.scoring.rules import RevertTarget, find_reverted, revert_target
from dailydiff.store import Store

LOOKBACK_DAYS = 30  # a revert that names only a title or a pull request is looked for this far back
# A stored report that may hold a revert (a commit's title, stripped, starts with it; a pull request's or a
# link's title may too): only those are read whole when a day looks for reverts of its commits in later days.
_REVERT_TITLE = re.compile(r'"title"\s*:\s*"revert', re.I)


def _ref(rc: Commit, date: dt.date | None) -> CommitRef:
    return CommitRef(sha=rc.sha, title=rc.title, date=date, url=rc.url)


def _with_reverted_by(rc: ReportCommit, by: CommitRef) -> ReportCommit:
    if any(r.sha == by.sha for r in rc.reverted_by):
        return rc
    return rc.model_copy(update={"reverted_by": [*rc.reverted_by, by]})


def link_reverts(report: DayReport, store: Store, saved: list[DayReport] | None = None) -> DayReport:
    """The day's report with its revert links, and the stored reports of the days whose commits its
    reverts undo updated with "reverted by" (saved here, and appended to ``saved``: a run that already
    wrote those days' files writes them again)."""
    repo, language = report.repo, report.language
    commits = list(report.commits)
    index = {rc.sha: i for i, rc in enumerate(commits)}
    previous = store.get_report(repo, report.date, language)
    if previous is not None:  # a rebuild keeps what later days taught the earlier build
        for old in previous.commits:
            if old.sha in index:
                for by in old.reverted_by:
                    commits[index[old.sha]] = _with_reverted_by(commits[index[old.sha]], by)
    changed: dict[dt.date, DayReport] = {}
    for rc in report.commits:
        target = revert_target(rc)
        if target is None:
            continue
        me = _ref(rc, report.date)
        ref: CommitRef | None
        same = find_reverted(rc, report.commits)
        if same is not None:
            ref = _ref(same, report.date)
            commits[index[same.sha]] = _with_reverted_by(commits[index[same.sha]], me)
        else:
            ref = _elsewhere(rc, target, report, store, changed, me)
        if ref is not None:
            commits[index[rc.sha]] = commits[index[rc.sha]].model_copy(update={"reverts": ref})
    _later_reverts(report, store, commits, index, changed)
    for updated_report in changed.values():
        store.save_report(updated_report)
    if saved is not None:
        saved.extend(changed.values())
    return report.model_copy(update={"commits": commits})


def _later_reverts(report: DayReport, store: Store, commits: list[ReportCommit], index: dict[str, int],
                   changed: dict[dt.date, DayReport]) -> None:  # fmt: skip
    """Days built out of order (a range runs its days at once, an old day is rebuilt): reverts in stored
    later days that undo this day's commits, linked both ways (in ``commits`` and in ``changed``)."""
    first, last = report.date + dt.timedelta(days=1), report.date + dt.timedelta(days=LOOKBACK_DAYS)
    for stored in store.reports_between(report.repo, report.language, first, last, text=_REVERT_TITLE,
                                        word="revert"):  # fmt: skip
        day = stored.date
        other = changed.get(day) or stored
        updated = list(other.commits)
        for k, revert in enumerate(other.commits):
            undone = find_reverted(revert, commits) if revert_target(revert) is not None else None
            if undone is None:
                continue
            commits[index[undone.sha]] = _with_reverted_by(commits[index[undone.sha]], _ref(revert, day))
            updated[k] = revert.model_copy(update={"reverts": _ref(undone, report.date)})
        if updated != other.commits:
            changed[day] = other.model_copy(update={"commits": updated})


def _found_by_sha(sha: str, report: DayReport, store: Store, changed: dict[dt.date, DayReport]
                  ) -> tuple[Commit | None, dt.date | None, CommitRef | None]:  # fmt: skip
    """The stored commit ``sha`` names: its report's commit and day, or (stored, fetched, but in no report)
    a reference made from it."""
    stored = store.find_commits(report.repo, sha.lower())
    if len(stored) != 1:
        return None, None, None
    day = local_date_of(stored[0].committed_at, report.timezone)
    other = changed.get(day) or store.get_report(report.repo, day, report.language)
    found = next((c for c in other.commits if c.sha == stored[0].sha), None) if other else None
    if found is None:  # stored (fetched) but in no report
        return None, day, CommitRef(sha=stored[0].sha, title=stored[0].title, url=stored[0].url)
    return found, day, None


def _found_before(rc: ReportCommit, report: DayReport, store: Store, changed: dict[dt.date, DayReport]
                  ) -> tuple[Commit | None, dt.date | None]:  # fmt: skip
    """The commit ``rc`` reverts in the stored days before its own, and its day."""
    for back in range(1, LOOKBACK_DAYS + 1):
        date = report.date - dt.timedelta(days=back)
        other = changed.get(date) or store.get_report(report.repo, date, report.language)
        found = find_reverted(rc, other.commits) if other else None
        if found is not None and other is not None:
            return found, other.date
    return None, None


def _elsewhere(rc: ReportCommit, target: RevertTarget, report: DayReport, store: Store,
               changed: dict[dt.date, DayReport], me: CommitRef) -> CommitRef | None:  # fmt: skip
    """The undone commit outside this day: a stored report's commit (that report learns "reverted by"),
    a stored commit never reported, or — known by its sha only — its page on the forge."""
    repo, language = report.repo, report.language
    found: Commit | None
    if target.sha:
        found, day, unreported = _found_by_sha(target.sha, report, store, changed)
        if unreported is not None:
            return unreported
    else:  # a pull request number or a title: the stored days before this one
        found, day = _found_before(rc, report, store, changed)
    if found is not None and day is not None:
        other = changed.get(day) or store.get_report(repo, day, language)
        if other is not None:
            commits = [_with_reverted_by(c, me) if c.sha == found.sha else c for c in other.commits]
            changed[day] = other.model_copy(update={"commits": commits})
        return _ref(found, day)
    if target.sha:
        # Never fetched: the forge's page of that sha, made from this commit's own (any forge's pattern).
        url = rc.url.replace(rc.sha, target.sha) if rc.url and rc.sha in rc.url else None
        return CommitRef(sha=target.sha, title=target.title or "", url=url)
    return None
