"""Our words in each language, as data: one file per language (``common/locale/zh.toml``, ``en.toml``),
read once. Sections: ``report``, ``change_types``, ``weekly``, ``week_highlights``, ``site``, ``chat`` and
``weekdays``, ``digest``. An unknown language falls back to English."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from dailydiff.common.packaged import toml

LANGUAGES = ("zh", "en")
FALLBACK = "en"


@cache
def locale(language: str) -> dict[str, Any]:
    """The whole locale file of ``language`` (or English), parsed once per process."""
    name = language if language in LANGUAGES else FALLBACK
    return toml(f"common/locale/{name}.toml")


def words(section: str, language: str) -> dict[str, Any]:
    """One section of the locale file, e.g. ``words("report", "zh")["title"]``, and ``list_sep`` (what
    goes between a list's items in running text, for templates: ``join(L.list_sep)``). A phrase of a
    language with a ``[singular]`` table says "1 commit", not "1 commits", once formatted."""
    return dict(_section(section, language))


@cache
def _section(section: str, language: str) -> dict[str, Any]:
    whole = locale(language)
    found = {**whole[section], "list_sep": whole["list_sep"]}
    singular = whole.get("singular")
    if not singular:
        return found
    counted = re.compile(rf"(?<![\d.,])\b1 ({'|'.join(map(re.escape, singular))})\b")
    return {
        k: _Phrase(v, counted, singular) if isinstance(v, str) and "{" in v else v for k, v in found.items()
    }


class _Phrase(str):
    """A phrase whose ``format`` says one of a thing in the singular ("1 repository")."""

    _counted: re.Pattern[str]
    _singular: dict[str, str]

    def __new__(cls, text: str, counted: re.Pattern[str], singular: dict[str, str]) -> _Phrase:
        phrase = super().__new__(cls, text)
        phrase._counted, phrase._singular = counted, singular
        return phrase

    def format(self, *args: Any, **kwargs: Any) -> str:
        return self._counted.sub(lambda m: f"1 {self._singular[m[1]]}", str.format(self, *args, **kwargs))


def join_list(items: Iterable[str], language: str) -> str:
    """Items of a list in running text: "a, b" in English, "a、b" in Chinese."""
    return str(locale(language)["list_sep"]).join(items)


def weekdays(language: str) -> list[str]:
    """Weekday names, Monday first."""
    return list(locale(language)["weekdays"])


def change_type_labels(language: str) -> dict[str, str]:
    """The change-type vocabulary as readers see it (``feature`` → "功能增强" / "Feature")."""
    return words("change_types", language)


class _Vocabulary(Mapping[str, dict[str, str]]):
    """The change-type labels by language, each language's file read when its labels are first asked for
    (a command in English never parses the Chinese file)."""

    def __init__(self) -> None:
        self._read: dict[str, dict[str, str]] = {}

    def __getitem__(self, language: str) -> dict[str, str]:
        if language not in LANGUAGES:
            raise KeyError(language)
        if language not in self._read:
            self._read[language] = change_type_labels(language)
        return self._read[language]

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


# The vocabulary in every language, for code that maps labels back to types (answer parsing) or looks
# them up often (the heuristic analyser, the LLM prompts).
CHANGE_TYPE_LABELS: Mapping[str, dict[str, str]] = _Vocabulary()
