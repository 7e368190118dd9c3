"""DayReport → JSON (the documented, versioned shape) and back."""

from __future__ import annotations

from dailydiff.common.text import output_tree
from dailydiff.models import DayReport


def render_json(report: DayReport) -> str:
    """The report as JSON, every string under the output policy (no control character, no secret)."""
    clean = DayReport.model_validate(output_tree(report.model_dump()))
    return clean.model_dump_json(indent=2) + "\n"


def load_report(text: str | bytes) -> DayReport:
    return DayReport.model_validate_json(text)
