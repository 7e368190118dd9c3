"""Parsing the model's answer: repairs small damage, never completes a cut-off answer."""

from __future__ import annotations

import json

import pytest

from dailydiff.analysis.schema import (
    SUMMARY_MIN,
    AnswerError,
    answer_schema,
    parse_answer,
    parse_overview,
    response_format,
    sanitise_raw,
)
from dailydiff.models import ChangeType, Level

LOW = {
    "change_types": ["bugfix"],
    "importance": "low",
    "importance_reason": "small",
    "summary": "Fixes a typo.",
}
HIGH = {
    **LOW, "importance": "high", "impact": ["engine"], "insights": {"architecture": "a", "performance": "", "security": ""},
    "risks": ["r"], "recommendations": ["x"],
}  # fmt: skip


def test_schema_per_depth_asks_for_exactly_the_fields_of_that_depth() -> None:
    assert answer_schema(Level.LOW)["required"] == [
        "change_types",
        "importance",
        "importance_reason",
        "summary",
    ]
    assert set(answer_schema(Level.MEDIUM)["required"]) == {*LOW, "impact", "recommendations"}
    assert set(answer_schema(Level.HIGH)["required"]) == set(HIGH)
    fmt = response_format(answer_schema(Level.LOW), "x", "json_schema")
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert response_format(answer_schema(Level.LOW), "x", "json_object") == {"type": "json_object"}


def test_a_grammar_held_summary_cannot_be_empty_and_a_remote_endpoint_is_not_sent_minlength() -> None:
    # SmolLM2-135M through llama.cpp's json_schema grammar answered "summary": "" at times (flashinfer
    # 2026-03-03). llama-cpp-python's own converter (the native server's json-schema-to-grammar.cpp does
    # the same: build_repetition(char, min_length, …)) makes the summary at least SUMMARY_MIN characters.
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    held = json_schema_to_gbnf(json.dumps(answer_schema(Level.HIGH, held_summary=True)))
    rule = next(line for line in held.splitlines() if line.startswith("summary ::="))
    assert rule.count("char") == SUMMARY_MIN + 1, rule  # SUMMARY_MIN characters, then any more
    loose = json_schema_to_gbnf(json.dumps(answer_schema(Level.HIGH)))
    assert not any(line.startswith("summary ::=") for line in loose.splitlines())  # a plain string
    assert "minLength" not in json.dumps(answer_schema(Level.LOW))  # OpenAI's strict mode does not take it


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(LOW),
        '<think>the diff shows {"a": 1}</think>\n' + json.dumps(LOW),
        "Sure!\n```json\n" + json.dumps(LOW) + "\n```\nHope it helps.",
        json.dumps(LOW)[:-1] + ",}",  # trailing comma
        json.dumps({"analysis": LOW}),
        json.dumps({**LOW, "change_types": "Bug修复、测试", "importance": "低"}),
    ],
)
def test_repairable_answers_parse(text: str) -> None:
    fields = parse_answer(text, Level.LOW)
    assert fields["summary"] == "Fixes a typo."
    assert fields["importance"] is Level.LOW
    assert fields["change_types"][0] is ChangeType.BUGFIX


def test_an_answer_that_quotes_reasoning_tags_keeps_them() -> None:
    """Held out 55: a commit adds a prompt with `<think>…</think> <answer>…</answer>`; the reply's own tags were
    taken for the model's reasoning and cut out of its text (and of the line a request for lines copied)."""
    summary = "The prompt asks for `<think>reasoning process here</think> <answer>answer here</answer>`."
    fields = parse_answer(
        "<think>first, the diff</think>\n" + json.dumps({**LOW, "summary": summary}), Level.LOW
    )
    assert fields["summary"] == summary


def test_labels_with_remarks_map_to_the_fixed_vocabulary() -> None:
    fields = parse_answer(
        json.dumps({**LOW, "change_types": ["功能增强（新增硬件配置）", "weird"]}), Level.LOW
    )
    assert fields["change_types"] == [ChangeType.FEATURE, ChangeType.OTHER]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (json.dumps(HIGH)[: len(json.dumps(HIGH)) // 2], "cut off"),  # truncated: never completed
        ("<think>I will now", "no JSON object"),
        ("no json at all", "no JSON object"),
        (json.dumps({k: v for k, v in LOW.items() if k != "summary"}), "missing field(s): summary"),
        (json.dumps({**LOW, "importance": "urgent-ish"}), "importance"),
        (json.dumps({**LOW, "summary": ""}), "summary"),
        ('{"change_types": ["feature"], "summary": "x" "importance": }', "not valid JSON"),
    ],
)
def test_broken_answers_are_errors_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(AnswerError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_answer(text, Level.LOW)


def test_high_depth_needs_every_field_and_fills_insights() -> None:
    with pytest.raises(AnswerError, match="insights"):
        parse_answer(json.dumps({k: v for k, v in HIGH.items() if k != "insights"}), Level.HIGH)
    fields = parse_answer(json.dumps(HIGH), Level.HIGH)
    assert fields["insights"] == {"architecture": "a", "performance": "", "security": ""}


def test_control_characters_are_dropped_and_raw_text_is_bounded() -> None:
    fields = parse_answer(json.dumps({**LOW, "summary": "a\u0000b\u0007c"}), Level.LOW)
    assert fields["summary"] == "abc"
    raw = sanitise_raw("x\x00y" + "z" * 10_000, limit=100)
    assert "\x00" not in raw and raw.startswith("xyzz") and "more characters not kept" in raw


def test_overview_keeps_at_most_six_highlights() -> None:
    parsed = parse_overview(json.dumps({"highlights": [f"h{i}" for i in range(9)], "themes": ["t"]}))
    assert parsed == {"highlights": [f"h{i}" for i in range(6)], "themes": ["t"]}
    with pytest.raises(AnswerError):
        parse_overview(json.dumps({"highlights": [], "themes": []}))
