"""Our words are data: one locale file per language (common/locale/zh.toml, en.toml), with the same keys
and the same placeholders in both, and no zh/en table left in the Python modules they came from."""

from __future__ import annotations

import ast
import os
import string
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import dailydiff
from dailydiff.common.i18n import LANGUAGES, change_type_labels, locale, weekdays, words
from dailydiff.models import ChangeType
from sourcetree import parsed

PACKAGE = Path(dailydiff.__file__).parent
FILES = {lang: PACKAGE / "common" / "locale" / f"{lang}.toml" for lang in LANGUAGES}


def _shape(value: Any, path: str = "") -> dict[str, Any]:
    """Every leaf's path → what must agree across languages: its type, list length and placeholders."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out |= _shape(item, f"{path}.{key}" if path else key)
        return out
    if isinstance(value, list):
        return {path: ("list", len(value))}
    fields = sorted({name for _, name, _, _ in string.Formatter().parse(value) if name is not None})
    return {path: ("str", fields)}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    zh, en = (tomllib.loads(FILES[lang].read_text(encoding="utf-8")) for lang in ("zh", "en"))
    en.pop("singular")  # English grammar ("1 commit"), not a phrase: Chinese counts have no plural
    zh_shape, en_shape = _shape(zh), _shape(en)
    assert sorted(zh_shape) == sorted(en_shape)
    assert {k: v for k, v in zh_shape.items() if en_shape[k] != v} == {}
    assert len(zh_shape) > 130


def test_every_change_type_and_level_has_a_label_in_every_language() -> None:
    for lang in LANGUAGES:
        assert set(change_type_labels(lang)) >= {t.value for t in ChangeType}
        assert set(words("report", lang)["levels"]) == {"high", "medium", "low"}
        assert len(weekdays(lang)) == 7


def test_the_files_are_read_once_and_unknown_languages_read_english() -> None:
    assert locale("zh") is locale("zh")
    assert words("report", "fr") == words("report", "en")
    assert words("report", "zh")["title"].startswith("每日")


def test_no_zh_en_table_is_left_in_the_modules_the_words_came_from() -> None:
    tables = []
    for path in [
        PACKAGE / "models.py",
        *(PACKAGE / "render").rglob("*.py"),
        *(PACKAGE / "publish").rglob("*.py"),
    ]:
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if {"zh", "en"} <= keys:
                    tables.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert tables == []


def test_the_vocabulary_is_each_languages_labels_read_when_first_asked_for() -> None:
    from dailydiff.common.i18n import CHANGE_TYPE_LABELS

    assert dict(CHANGE_TYPE_LABELS) == {lang: change_type_labels(lang) for lang in LANGUAGES}
    with pytest.raises(KeyError):
        CHANGE_TYPE_LABELS["fr"]
    # Importing it (as the analysers do) reads no locale file; English labels read the English one only.
    probe = ("import dailydiff.common.i18n as i; before = i.locale.cache_info().currsize; "
             "i.CHANGE_TYPE_LABELS['en']; print(before, i.locale.cache_info().currsize)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(PACKAGE.parent)})  # fmt: skip
    assert done.stdout.split() == ["0", "1"]
