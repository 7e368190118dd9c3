"""The answer the model must give, per depth: its JSON Schema, and parsing with small repairs.

Pure. ``parse_answer`` strips ``<think>…</think>`` and code fences, repairs small damage (trailing
commas, Python literals, raw newlines in strings, labels instead of identifiers) and validates; it never
completes a cut-off answer (unbalanced braces stay an error).
"""

from __future__ import annotations

import json
import re
from typing import Any

from dailydiff.common.i18n import CHANGE_TYPE_LABELS
from dailydiff.common.jsonsafe import without_surrogates
from dailydiff.models import ChangeType, Level

SCHEMA_VERSION = 1
MAX_ITEMS = 6
MAX_TEXT = 4000

_TEXT = {"type": "string"}
SUMMARY_MIN = 20  # characters of a summary, held by a grammar where the server has one (answer_schema)
_LIST = {"type": "array", "items": {"type": "string"}}


def strict_object(properties: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of an object with every one of ``properties`` and nothing else."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


FIELDS_BY_DEPTH: dict[Level, tuple[str, ...]] = {
    Level.LOW: ("change_types", "importance", "importance_reason", "summary"),
    Level.MEDIUM: ("change_types", "importance", "importance_reason", "summary", "impact", "recommendations"),
    Level.HIGH: (
        "change_types", "importance", "importance_reason", "summary", "impact", "insights", "risks",
        "recommendations",
    ),
}  # fmt: skip

_PROPERTIES: dict[str, dict[str, Any]] = {
    "change_types": {
        "type": "array",
        "items": {"type": "string", "enum": [ct.value for ct in ChangeType]},
        "minItems": 1,  # a grammar-held answer (llama.cpp) would otherwise often be []
        "maxItems": 4,
        "description": "One to four change types from the fixed vocabulary, most fitting first.",
    },
    "importance": {
        "type": "string",
        "enum": [lv.value for lv in Level],
        "description": "How much this commit matters to the project's users and developers.",
    },
    "importance_reason": {**_TEXT, "description": "One sentence: why this importance."},
    "summary": {**_TEXT, "description": "What the commit changes and why, from the diff and message."},
    "impact": {**_LIST, "description": "Modules, areas or users affected (up to 6 short items)."},
    "insights": {
        "type": "object",
        "additionalProperties": False,
        "required": ["architecture", "performance", "security"],
        "properties": {
            "architecture": {**_TEXT, "description": "Architecture impact; empty string if none."},
            "performance": {**_TEXT, "description": "Performance impact; empty string if none."},
            "security": {**_TEXT, "description": "Security considerations; empty string if none."},
        },
    },
    "risks": {**_LIST, "description": "Concrete risks visible in the diff (up to 6)."},
    "recommendations": {**_LIST, "description": "What a reader should check or do (up to 6)."},
}

OVERVIEW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["highlights", "themes"],
    "properties": {
        "highlights": {**_LIST, "description": "3 to 6 highlights of the day, most important first."},
        "themes": {**_LIST, "description": "1 to 5 themes that run through the day's commits."},
    },
}


SHOWN: dict[str, Any] = {
    "type": "array",
    "maxItems": 20,
    "description": "The named things you keep because the material shows them in another form: each with "
    "the line that shows it, copied exactly. Empty when none.",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["claim", "line"],
        "properties": {"claim": {"type": "string"}, "line": {"type": "string"}},
    },
}


# `[analysis] grounding = "mark"`: the claims not found put to the model once, for the lines that show them.
CITE_SCHEMA = strict_object({"shown": SHOWN})


def answer_schema(depth: Level, *, held_summary: bool = False, shown: bool = False) -> dict[str, Any]:
    """The JSON Schema of an answer at ``depth``. ``held_summary``: the summary has at least
    ``SUMMARY_MIN`` characters in the schema itself, for a server that holds answers to the schema with a
    grammar (llama.cpp's ``json_schema``, llama-cpp-python's: both turn ``minLength`` into the grammar),
    where a small model otherwise may close the string at once (SmolLM2-135M answered ``"summary": ""``).
    OpenAI's strict structured outputs do not list ``minLength``: a remote endpoint is not sent it.
    ``shown``: the answer to a repair of its claims, with the lines that show what it keeps (``SHOWN``)."""
    fields = [*FIELDS_BY_DEPTH[depth], *(["shown"] if shown else [])]
    properties = {name: _PROPERTIES.get(name, SHOWN) for name in fields}
    if held_summary:
        properties["summary"] = {**properties["summary"], "minLength": SUMMARY_MIN}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": fields,
        "properties": properties,
    }


def schema_name(depth: Level) -> str:
    return f"commit_analysis_{depth.value}_v{SCHEMA_VERSION}"


# The ways an endpoint can hold an answer to a schema, strongest first (see [llm] response_mode).
RESPONSE_MODES = ("json_schema", "json_object_schema", "json_object", "text")


# `dailydiff ask`: one answer whose sentences cite commit ids ([abc1234]); the ids are checked afterwards.
# (No maxLength: llama.cpp turns it into a vast grammar.)
ASK_SCHEMA = strict_object({"answer": {"type": "string"}})


def parse_ask(text: str) -> str:
    """The ``answer`` of a reply to ASK_SCHEMA; AnswerError when there is none."""
    data = load_json(text)
    answer = data.get("answer") if isinstance(data, dict) else None
    if not isinstance(answer, str) or not answer.strip():
        raise AnswerError("the reply has no answer")
    return answer


# `dailydiff notes`: a release's overview paragraph and its entries' lines, for the audience asked for.
NOTES_SCHEMA = strict_object(
    {
        "overview": {"type": "string"},
        "entries": {
            "type": "array",
            "items": strict_object({"id": {"type": "integer"}, "text": {"type": "string"}}),
        },
    }
)


def parse_notes(text: str) -> tuple[str, dict[int, str]]:
    """The overview and the entries' lines (by id) of a reply to NOTES_SCHEMA; AnswerError without them."""
    data = load_json(text)
    overview = data.get("overview") if isinstance(data, dict) else None
    if not isinstance(overview, str) or not overview.strip():
        raise AnswerError("the reply has no overview")
    lines: dict[int, str] = {}
    for item in data.get("entries") or []:
        if isinstance(item, dict) and isinstance(item.get("id"), int) and isinstance(item.get("text"), str):
            lines[item["id"]] = item["text"]
    return overview, lines


# `dailydiff ask`: the question as search words in both languages (the index holds English commit text
# and analyses in each report language).
REWRITE_SCHEMA = strict_object({"en": _LIST, "zh": _LIST})
REWRITE_WORDS = 12  # per language: more only dilutes the question


def parse_rewrite(text: str) -> list[str]:
    """The search words of a reply to REWRITE_SCHEMA, English first; AnswerError when there are none."""
    data = load_json(text)
    words: list[str] = []
    for language in ("en", "zh"):
        values = data.get(language) if isinstance(data, dict) else None
        if isinstance(values, list):
            words += [v.strip() for v in values[:REWRITE_WORDS] if isinstance(v, str) and v.strip()]
    if not words:
        raise AnswerError("the reply has no search words")
    return words


def response_format(schema: dict[str, Any], name: str, mode: str) -> dict[str, Any] | None:
    """The ``response_format`` of a request in ``mode`` (None: ask in the prompt only)."""
    if mode == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}
    if mode == "json_object_schema":  # llama-cpp-python turns the schema into a grammar
        return {"type": "json_object", "schema": schema}
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def prompt_mode(mode: str) -> str:
    """How the prompt templates see a mode: "json_schema" when the endpoint holds the answer to the schema
    (json_schema, or llama.cpp's grammar from the `schema` member: the prompt names the fields and
    need not spell out the schema), else "json_object" (the schema is written into the prompt)."""
    return "json_schema" if mode in ("json_schema", "json_object_schema") else "json_object"


class AnswerError(ValueError):
    """The reply is not a valid answer; the message says what is wrong (it is sent back to the model)."""


# reasoning before the answer; not a tag the answer quotes (a commit that adds `<think>…</think>` to a prompt)
_THINK = re.compile(r"\A(?:\s*<think(?:ing)?>.*?</think(?:ing)?>)+", re.S | re.I)
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.S)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_PY_LITERALS = re.compile(r"(?<=[:\[,\s])(True|False|None)(?=\s*[,}\]])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_wrapping(text: str) -> str:
    """The reply without reasoning blocks and code fences around the JSON."""
    text = _THINK.sub("", text)
    if re.match(r"\s*<think", text, re.I):  # an unterminated reasoning block: nothing after it is an answer
        return ""
    fenced = _FENCE.search(text)
    if fenced and "{" in fenced.group(1):
        text = fenced.group(1)
    return text.strip()


def load_json(text: str) -> Any:
    """The JSON value in a reply: reasoning and fences stripped, small damage repaired (AnswerError if none)."""
    body = strip_wrapping(text)
    start = body.find("{")
    end = body.rfind("}")
    if start < 0:
        raise AnswerError("the reply contains no JSON object")
    if end < start:
        raise AnswerError("the JSON object is not closed (the reply looks cut off)")
    body = body[start : end + 1]
    try:
        return without_surrogates(json.loads(body, strict=False))
    except json.JSONDecodeError:
        pass
    repaired = _PY_LITERALS.sub(
        lambda m: {"True": "true", "False": "false", "None": "null"}[m.group(1)], body
    )
    repaired = _TRAILING_COMMA.sub(r"\1", repaired)
    try:
        return without_surrogates(json.loads(repaired, strict=False))
    except json.JSONDecodeError as exc:
        raise AnswerError(
            f"the reply is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None


_TYPE_ALIASES: dict[str, ChangeType] = {
    "feat": ChangeType.FEATURE, "feature": ChangeType.FEATURE, "enhancement": ChangeType.FEATURE,
    "功能增强": ChangeType.FEATURE, "新功能": ChangeType.FEATURE, "功能": ChangeType.FEATURE,
    "fix": ChangeType.BUGFIX, "bug": ChangeType.BUGFIX, "bugfix": ChangeType.BUGFIX, "bug fix": ChangeType.BUGFIX,
    "bug修复": ChangeType.BUGFIX, "修复": ChangeType.BUGFIX,
    "perf": ChangeType.PERFORMANCE, "performance": ChangeType.PERFORMANCE, "性能优化": ChangeType.PERFORMANCE,
    "refactor": ChangeType.REFACTOR, "重构": ChangeType.REFACTOR,
    "doc": ChangeType.DOCS, "docs": ChangeType.DOCS, "documentation": ChangeType.DOCS, "文档": ChangeType.DOCS,
    "test": ChangeType.TEST, "tests": ChangeType.TEST, "测试": ChangeType.TEST,
    "ci": ChangeType.CI_BUILD, "build": ChangeType.CI_BUILD, "ci_build": ChangeType.CI_BUILD,
    "ci/build": ChangeType.CI_BUILD, "ci/构建": ChangeType.CI_BUILD, "构建": ChangeType.CI_BUILD,
    "deps": ChangeType.DEPENDENCY, "dependency": ChangeType.DEPENDENCY, "dependencies": ChangeType.DEPENDENCY,
    "依赖更新": ChangeType.DEPENDENCY, "config": ChangeType.CONFIG, "configuration": ChangeType.CONFIG,
    "配置": ChangeType.CONFIG, "security": ChangeType.SECURITY, "安全修复": ChangeType.SECURITY,
    "安全": ChangeType.SECURITY, "revert": ChangeType.REVERT, "回滚": ChangeType.REVERT,
    "release": ChangeType.RELEASE, "version bump": ChangeType.RELEASE, "发布": ChangeType.RELEASE,
    "other": ChangeType.OTHER, "chore": ChangeType.OTHER, "其他": ChangeType.OTHER, "style": ChangeType.OTHER,
}  # fmt: skip
for _labels in CHANGE_TYPE_LABELS.values():  # the report's own labels, in every language
    for _value, _label in _labels.items():
        if _value in ChangeType._value2member_map_:
            _TYPE_ALIASES.setdefault(_label.lower(), ChangeType(_value))
_LEVEL_ALIASES = {
    "high": Level.HIGH, "高": Level.HIGH, "critical": Level.HIGH, "major": Level.HIGH,
    "medium": Level.MEDIUM, "中": Level.MEDIUM, "moderate": Level.MEDIUM, "normal": Level.MEDIUM,
    "low": Level.LOW, "低": Level.LOW, "minor": Level.LOW, "trivial": Level.LOW,
}  # fmt: skip


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value if v is not None)
    if isinstance(value, dict):
        raise AnswerError(f"field {name!r} must be a string, got an object")
    text = _CONTROL.sub("", str(value)).strip()
    return text[:MAX_TEXT]


def _list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [line.strip().lstrip("-*•").strip() for line in value.splitlines()]
    if not isinstance(value, list):
        raise AnswerError(f"field {name!r} must be a list of strings")
    items = [_text(v, name) for v in value]
    return [item for item in items if item][:MAX_ITEMS]


def _change_types(value: Any) -> list[ChangeType]:
    if isinstance(value, str):
        value = re.split(r"[,/、，;]\s*", value) if value not in _TYPE_ALIASES else [value]
    if not isinstance(value, list):
        raise AnswerError("field 'change_types' must be a list of identifiers")
    found: list[ChangeType] = []
    for item in value:
        key = str(item).strip().lower()
        key = re.sub(r"[（(].*$", "", key).strip()  # "功能增强（新增硬件配置）" → "功能增强"
        found.append(_TYPE_ALIASES.get(key, ChangeType.OTHER))
    found = list(dict.fromkeys(found))[:4]
    if not found:
        raise AnswerError("field 'change_types' needs at least one identifier")
    return found


def _level(value: Any) -> Level:
    key = str(value or "").strip().lower()
    key = re.sub(r"[\s🔴🟡🟢]", "", key) or key
    level = _LEVEL_ALIASES.get(key)
    if level is None:
        raise AnswerError("field 'importance' must be one of: high, medium, low")
    return level


def parse_answer(text: str, depth: Level) -> dict[str, Any]:
    """The validated fields of an analysis answer at ``depth`` (missing deeper fields are empty)."""
    data = load_json(text)
    if not isinstance(data, dict):
        raise AnswerError("the reply must be one JSON object")
    if len(data) == 1 and isinstance(next(iter(data.values())), dict):
        data = next(iter(data.values()))  # {"analysis": {...}}
    missing = [name for name in FIELDS_BY_DEPTH[depth] if name not in data]
    if missing:
        raise AnswerError(f"missing field(s): {', '.join(missing)}")
    fields: dict[str, Any] = {
        "change_types": _change_types(data["change_types"]),
        "importance": _level(data["importance"]),
        "importance_reason": _text(data["importance_reason"], "importance_reason"),
        "summary": _text(data["summary"], "summary"),
    }
    if not fields["summary"]:
        raise AnswerError("field 'summary' is empty")
    for name in ("impact", "risks", "recommendations"):
        if name in FIELDS_BY_DEPTH[depth]:
            fields[name] = _list(data.get(name), name)
    if "insights" in FIELDS_BY_DEPTH[depth]:
        raw = data.get("insights") or {}
        if isinstance(raw, str):
            raw = {"architecture": raw}
        if not isinstance(raw, dict):
            raise AnswerError("field 'insights' must be an object with architecture, performance, security")
        fields["insights"] = {
            k: _text(raw.get(k), f"insights.{k}") for k in ("architecture", "performance", "security")
        }
    return fields


def parse_overview(text: str) -> dict[str, list[str]]:
    data = load_json(text)
    if not isinstance(data, dict):
        raise AnswerError("the reply must be one JSON object")
    highlights = _list(data.get("highlights"), "highlights")
    themes = _list(data.get("themes"), "themes")[:5]
    if not highlights:
        raise AnswerError("field 'highlights' is empty")
    return {"highlights": highlights[:6], "themes": themes}


def sanitise_raw(text: str, limit: int = 6000) -> str:
    """Model text kept for the reader when it could not be parsed: no control characters, bounded."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n")).strip()
    if len(text) > limit:
        text = text[:limit] + f"\n[… {len(text) - limit} more characters not kept]"
    return text
