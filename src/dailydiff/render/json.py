"""DayReport → JSON (the documented, versioned shape) and back.

One offset convention per report: every moment in the JSON (commit times, the window, the generation
time) is written in the report's timezone, e.g. ``2026-01-19T08:39:20+08:00`` for an Asia/Shanghai report,
whatever offset the author's or committer's clock had. The instants are unchanged.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dailydiff.common.text import output_tree
from dailydiff.models import DayReport
from dailydiff.scoring.agents import agent_of


def in_report_timezone(report: DayReport) -> DayReport:
    """The same report with every datetime expressed in the report's timezone."""
    zone = ZoneInfo(report.timezone)

    def local(moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(zone)

    commits = [
        rc.model_copy(update={"authored_at": local(rc.authored_at), "committed_at": local(rc.committed_at)})
        for rc in report.commits
    ]
    window = report.window.model_copy(
        update={"start": local(report.window.start), "end": local(report.window.end)}
    )
    generated = local(report.generated_at) if report.generated_at is not None else None
    late = [c.model_copy(update={"first_seen": local(c.first_seen)}) for c in report.late]
    return report.model_copy(
        update={"commits": commits, "window": window, "generated_at": generated, "late": late}
    )


def under_policy(report: DayReport) -> DayReport:
    """The report with every string under the output policy (no control character, no secret)."""
    return DayReport.model_validate(output_tree(report.model_dump()))


def with_agents(report: DayReport) -> DayReport:
    """The report with each commit's coding agent (``agent``: its name, or None) filled in."""
    commits = [rc.model_copy(update={"agent": agent_of(rc)}) for rc in report.commits]
    return report.model_copy(update={"commits": commits})


def render_json(report: DayReport) -> str:
    return under_policy(in_report_timezone(with_agents(report))).model_dump_json(indent=2) + "\n"


def load_report(text: str | bytes) -> DayReport:
    return DayReport.model_validate_json(text)
