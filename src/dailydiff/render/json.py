"""DayReport → JSON (the documented, versioned shape) and back."""

from __future__ import annotations

from dailydiff.models import DayReport


def render_json(report: DayReport) -> str:
    return report.model_dump_json(indent=2) + "\n"


def load_report(text: str | bytes) -> DayReport:
    return DayReport.model_validate_json(text)
