"""A week's digest completed with what is computed from the stored days beyond the week itself (pure):
its figures against the weeks before, its risk signals, its cost, its audience, the rules' one-line summary
and, for stakeholders, the rules' themes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from dailydiff.models import DayReport, known_sum
from dailydiff.render.stakeholder import rule_themes
from dailydiff.render.week import WeekDigest, WeekUsage
from dailydiff.render.week_compare import compare
from dailydiff.render.week_words import week_one_line


def with_comparison(week: WeekDigest, reports: Mapping[dt.date, DayReport | None], *, audience: str = "engineer",
                    priced: bool = False) -> WeekDigest:  # fmt: skip
    """The week with its figures against the weeks before (``reports``: its days and the nine weeks' before
    them, None where not stored), its risk signals, its cost (``priced``: a price is set), its audience, its
    rules' one-line summary and, for stakeholders, its rules' themes."""
    figures, comparison, signals = compare(week.start, reports)
    own = [r for day in (week.start + dt.timedelta(days=i) for i in range(7)) if (r := reports.get(day))]
    usage = WeekUsage(prompt_tokens=sum(r.stats.prompt_tokens for r in own),
                      completion_tokens=sum(r.stats.completion_tokens for r in own),
                      cost=round(sum(r.stats.cost for r in own), 6), priced=priced,
                      cached_tokens=known_sum(*(r.stats.cached_tokens for r in own)))  # fmt: skip
    week = week.model_copy(update={"figures": figures, "comparison": comparison, "signals": signals,
                                   "audience": audience, "usage": usage})  # fmt: skip
    stakeholder = audience == "stakeholder"
    return week.model_copy(update={"themes": rule_themes(own, week.language) if stakeholder else [],
                                   "summary": week_one_line(week, stakeholder=stakeholder)})  # fmt: skip
