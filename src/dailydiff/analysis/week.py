"""A week's one-line summary and stakeholder themes written by the LLM: the answer's shape (a JSON Schema)
and its reading. One request per edition; what the model says is untrusted text, checked here."""

from __future__ import annotations

from dataclasses import dataclass, field

from dailydiff.analysis.schema import AnswerError, load_json, strict_object

WEEK_TOKENS = 1024
MAX_THEMES = 6

_THEME = strict_object(
    {
        "title": {"type": "string"},
        "meaning": {"type": "string"},
        "commits": {"type": "array", "items": {"type": "integer"}},
    }
)
WEEK_SCHEMA = strict_object({"summary": {"type": "string"}, "themes": {"type": "array", "items": _THEME}})


@dataclass(frozen=True)
class WeekTheme:
    title: str
    meaning: str
    commits: list[int] = field(default_factory=list)  # numbers of the prompt's commit list (1-based)


@dataclass(frozen=True)
class WeekAnswer:
    summary: str
    themes: list[WeekTheme]


def parse_week_answer(text: str, commits: int) -> WeekAnswer:
    """The reply to WEEK_SCHEMA: its summary, and its themes (at most six) with the commit numbers that
    exist in a list of ``commits``; a theme left with none is dropped. AnswerError when there is no summary."""
    data = load_json(text)
    if not isinstance(data, dict) or not isinstance(data.get("summary"), str) or not data["summary"].strip():
        raise AnswerError("the reply has no summary")
    themes = []
    for item in data.get("themes") or []:
        if not isinstance(item, dict) or not isinstance(item.get("title"), str):
            continue
        numbers = [n for n in item.get("commits") or [] if isinstance(n, int) and 1 <= n <= commits]
        if numbers and item["title"].strip():
            themes.append(
                WeekTheme(item["title"], str(item.get("meaning") or ""), list(dict.fromkeys(numbers)))
            )
    return WeekAnswer(" ".join(data["summary"].split()), themes[:MAX_THEMES])
