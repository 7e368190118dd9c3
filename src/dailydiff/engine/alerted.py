"""Which commits of a day were alerted, and when (engine/alerts.py sends them): read from the delivery
ledger's ``alert:<repo>@<sha>#<topic>`` rows when a day is built, so its report marks them (👀 and when)."""

from __future__ import annotations

from typing import Any

from dailydiff.models import DayReport
from dailydiff.store import Store

LANGUAGES = ("zh", "en")  # the languages an alert may be sent in ([[publish]] language)


def mark_alerted(report: DayReport, settings: Any, store: Store) -> DayReport:
    """The report with each commit's first alert's time (``alerted_at``, from the ledger: any target of any
    topic that alerts), so the day's report says which commits were alerted, and when."""
    topics = [t for t in settings.watch if t.alert]
    if not topics or not report.commits:
        return report
    criteria = {t.name for t in topics if t.keywords or t.paths or t.authors or t.diff}
    commits = []
    for rc in report.commits:
        names = [t.name for t in topics if t.name in rc.watch or t.name not in criteria]
        times = _alerted_times(store, report, rc.sha, names)
        commits.append(rc.model_copy(update={"alerted_at": min(times)}) if times else rc)
    return report.model_copy(update={"commits": commits})


def _alerted_times(store: Store, report: DayReport, sha: str, names: list[str]) -> list[Any]:
    """When the commit ``sha`` was alerted for the topics ``names``, to any target in any language (a target
    may have its own)."""
    return [row.updated_at for name in names for language in LANGUAGES
            for row in store.deliveries(f"alert:{report.repo}@{sha}#{name}", report.date, language).values()
            if row.state == "delivered"]  # fmt: skip
