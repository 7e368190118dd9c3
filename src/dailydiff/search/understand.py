"""What a question says beyond its words: the time it is about ("between March and May", "8 月份",
"since April", "上个月"), the kind of change ("fixes", "CI or packaging", "回滚"), the hardware ("SM90",
"Hopper"), and its words as ideas in both languages (glossary.toml: 注意力 ↔ attention …).

A question becomes a list of concepts, each a set of index terms any of which counts (a group of the
glossary, a word's translations), and a time window. Pure: no I/O beyond reading the packaged glossary once.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources

from dailydiff.common.searchterms import is_stop_word, plain_width, singular_acronyms, terms

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
KIND_WEIGHT = 1.5  # a kind of change asked for ("fixes", "回滚") is common, so rare by idf alone it is not


@dataclass(frozen=True)
class Concept:
    """One idea of a question: any of ``terms`` counts for it (they are alternatives)."""

    terms: tuple[str, ...]
    weight: float = 1.0
    source: str = ""  # the question's words it came from
    own: tuple[str, ...] = ()  # the alternatives the question wrote itself (the rest are other names)
    optional: bool = False  # a model's extra search word: it adds to a score, no commit is asked to hold it
    kind: bool = False  # a kind of change ("fixes", "回滚"), not what the change is about
    # A kind asked in a clause of its own after the subject ("… and was any of it rolled back?"): a side
    # question, which counts for less than the subject it asks about.
    aside: bool = False
    # A kind the question asks not to see ("new features, not bugfixes", "不要 bugfix"), or a subject ("not MoE
    # routing"): the commits of that kind, or titled with that subject, come after the others.
    excluded: bool = False


@dataclass(frozen=True)
class Understood:
    concepts: list[Concept]
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    time_words: list[str] = field(default_factory=list)  # the question's words read as a time window
    kinds: list[str] = field(default_factory=list)  # the kinds of change asked for (their first word)
    phrases: list[str] = field(default_factory=list)  # runs of the question's words, as written, in order

    @property
    def terms(self) -> list[str]:
        seen: dict[str, None] = {}
        for concept in self.concepts:
            for term in () if concept.excluded else concept.terms:
                seen.setdefault(term, None)
        return list(seen)


@dataclass(frozen=True)
class _Glossary:
    groups: list[tuple[str, ...]]  # each group's index terms
    names: list[str]  # each group's first word
    kinds: frozenset[int]  # which groups are kinds of change
    by_term: dict[str, int]  # an index term → its group
    phrases: list[tuple[str, int]]  # multi-word and Chinese words (lower case), longest first
    stop_zh: list[str]
    narrower: dict[str, tuple[str, ...]]  # a word's index terms → the index terms of the kinds of it


@functools.cache
def glossary() -> _Glossary:
    from dailydiff.common.i18n import LANGUAGES, words

    data = tomllib.loads(resources.files("dailydiff").joinpath("search/glossary.toml").read_text("utf-8"))
    raw: list[tuple[str, list[str]]] = [("kind", g) for g in data["kinds"]]
    raw += [("term", g) for g in (*data["hardware"], *data["terms"])]
    # The reports' own change-type labels ("回滚" is what a zh report calls a revert, "重构" a refactor):
    # joined to the kind group that already names the type, or a kind of their own.
    labels = {lang: words("change_types", lang) for lang in LANGUAGES}
    for change_type in labels["en"]:
        if change_type in ("other", "chore"):
            continue  # "other" names nothing a question asks for
        names = [change_type.replace("_", " ")]
        names += [part for lang in LANGUAGES for part in labels[lang][change_type].split("/")]
        home = next((g for _, g in raw if any(n.lower() in g for n in names)), None)
        if home is not None:
            home.extend(n for n in names if n not in home)
        else:
            raw.append(("kind", names))
    groups: list[tuple[str, ...]] = []
    by_term: dict[str, int] = {}
    phrases: list[tuple[str, int]] = []
    kinds: set[int] = set()
    for index, (what, words_) in enumerate(raw):
        if what == "kind":
            kinds.add(index)
        found: dict[str, None] = {}
        for word in words_:
            single = terms(word)
            if single:
                found.setdefault(" ".join(single), None)
            chinese = re.search(f"[{_CJK}]", word)
            if len(single) == 1 and not chinese:
                by_term.setdefault(single[0], index)
            if chinese or re.search(r"[\s\-_/]", word.strip()):
                phrases.append((word.lower(), index))
        groups.append(tuple(found))
    phrases.sort(key=lambda p: -len(p[0]))
    narrower = {" ".join(terms(word)): tuple(dict.fromkeys(" ".join(terms(n)) for n in names))
                for word, names in data["narrower"].items()}  # fmt: skip
    return _Glossary(groups, [g[1][0] for g in raw], frozenset(kinds), by_term, phrases,
                     sorted(data["stop_zh"], key=len, reverse=True), narrower)  # fmt: skip


@functools.cache
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A glossary phrase as it stands in a question (an English one as whole words). Compiled when a question
    holds its text: a process asks one question, and compiling every phrase would cost more than the search."""
    if re.search(f"[{_CJK}]", phrase):
        return re.compile(re.escape(phrase))
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])")


# ---- time -------------------------------------------------------------------------------------------

_MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name and name != "May"})
_MONTHS["sept"] = 9
_M = r"(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
_Y = r"(?:,?\s+(\d{4}))?"
_ZH_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
           "十一": 11, "十二": 12}  # fmt: skip
_ZM = r"(?:(\d{4})\s*年\s*)?(1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月(?:份)?"
_D = r"\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b"  # a day after a month's name, and a year
_ZD = r"(?:(\d{4})\s*年\s*)?(1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月\s*(\d{1,2})\s*[日号]"
_FULL_M = r"(january|february|march|april|may|june|july|august|september|october|november|december)"
_N = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|(?:a\s+)?couple(?:\s+of)?|(?:a\s+)?few)"
_ZN = r"(\d+|[一二两三四五六七八九十]+)"
_WORD_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
             "ten": 10, "eleven": 11, "twelve": 12, "couple": 2, "few": 3, "两": 2}  # fmt: skip
_ZM_BARE = r"(?<![A-Za-z0-9._])(1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*(?:月份?)?"


def _month_start(month: int, year: int | None, today: dt.date) -> dt.date:
    """A month named without a year is the latest such month that has begun by ``today``."""
    if year is None:
        year = today.year if month <= today.month else today.year - 1
    return dt.date(year, month, 1)


def _month_end(start: dt.date) -> dt.date:
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def _zh_month(text: str) -> int:
    return int(text) if text.isdigit() else _ZH_NUM[text]


def _count(text: str) -> int:
    """A number as a question writes it: 3, "three", "a couple of", 三, 两."""
    text = re.sub(r"^a\s+|\s+of$", "", text.lower())
    if text.isdigit():
        return int(text)
    return _WORD_NUM.get(text) or _ZH_NUM[text]


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


Window = tuple[dt.date | None, dt.date | None]


def _time_rules(today: dt.date) -> list[tuple[str, object]]:
    def month(m: str, y: str | None) -> dt.date:
        return _month_start(_MONTHS[m.lower()], int(y) if y else None, today)

    def day(m: str, d: str, y: str | None) -> dt.date:
        return month(m, y).replace(day=int(d))

    def zh_day(y: str | None, m: str, d: str) -> dt.date:
        return _month_start(_zh_month(m), int(y) if y else None, today).replace(day=int(d))

    def span(a: dt.date, b: dt.date) -> Window:
        end = b if b >= a else b.replace(year=b.year + 1)
        return a, _month_end(end)

    this_month = today.replace(day=1)
    last_month = _add_months(this_month, -1)
    quarter = (today.month - 1) // 3
    rules: list[tuple[str, object]] = [
        # English
        (rf"\b(?:between|from)\s+{_M}{_D}\s*(?:and|to|through|until|till|\u2013|-)\s*{_M}{_D}",
         lambda g: (day(g[0], g[1], g[2]), day(g[3], g[4], g[5] or g[2]))),
        (rf"\b(?:since|after|from)\s+{_M}{_D}", lambda g: (day(g[0], g[1], g[2]), None)),
        (rf"\b(?:before)\s+{_M}{_D}", lambda g: (None, day(g[0], g[1], g[2]) - dt.timedelta(days=1))),
        (rf"\b(?:until|till|up\s+to)\s+{_M}{_D}", lambda g: (None, day(g[0], g[1], g[2]))),
        (rf"\b(?:on)\s+{_M}{_D}", lambda g: (day(g[0], g[1], g[2]), day(g[0], g[1], g[2]))),
        (rf"\b(?:between|from)\s+{_M}{_Y}\s+(?:and|to|through|until|till|-)\s+{_M}{_Y}",
         lambda g: span(month(g[0], g[1]), month(g[2], g[3] or g[1]))),
        (rf"\b(?:in|during|over|for|of)?\s*{_FULL_M}{_Y}\s*(?:and|or|to|through|until|till|\u2013|\u2014|-)\s*{_FULL_M}{_Y}\b",
         lambda g: span(month(g[0], g[1] or g[3]), month(g[2], g[3] or g[1]))),
        (rf"\b{_M}{_Y}\s*(?:to|through|until|till|\u2013|\u2014|-|/)\s*{_M}{_Y}\b",
         lambda g: span(month(g[0], g[1] or g[3]), month(g[2], g[3] or g[1]))),
        (r"\b(?:between|from)\s+(\d{4}-\d{2}-\d{2})\s+(?:and|to|through|until|-)\s+(\d{4}-\d{2}-\d{2})\b",
         lambda g: (dt.date.fromisoformat(g[0]), dt.date.fromisoformat(g[1]))),
        (rf"\b(?:since|after|from)\s+the\s+(?:start|beginning)\s+of\s+{_M}{_Y}", lambda g: (month(g[0], g[1]), None)),
        (rf"\b(?:since|after)\s+the\s+end\s+of\s+{_M}{_Y}",
         lambda g: (_add_months(month(g[0], g[1]), 1), None)),
        (rf"\b(?:since|after|from)\s+(?:early\s+|mid-?\s*|late\s+)?{_M}{_Y}", lambda g: (month(g[0], g[1]), None)),
        (rf"\b(?:before|until|till|up to)\s+{_M}{_Y}", lambda g: (None, month(g[0], g[1]) - dt.timedelta(days=1))),
        (rf"\b(?:in|during|of|for)\s+the\s+(first|second)\s+half\s+of\s+{_M}{_Y}",
         lambda g: (month(g[1], g[2]), month(g[1], g[2]).replace(day=15)) if g[0] == "first"
         else (month(g[1], g[2]).replace(day=16), _month_end(month(g[1], g[2])))),
        (rf"\bby\s+the\s+end\s+of\s+{_M}{_Y}\b", lambda g: (None, _month_end(month(g[0], g[1])))),
        (rf"\bby\s+{_FULL_M}{_Y}\b", lambda g: (None, _month_end(month(g[0], g[1])))),
        (rf"\b(?:(?:in|during|of|for|over|on)\s+)?(?:(?:the\s+)?(?:end|start|beginning|middle)\s+of\s+|early\s+|mid-?\s*|late\s+)"
         rf"{_M}{_Y}\b", lambda g: (month(g[0], g[1]), _month_end(month(g[0], g[1])))),
        (rf"\b(?:in|during|of|for|over|on)\s+{_M}{_Y}\b",
         lambda g: (month(g[0], g[1]), _month_end(month(g[0], g[1])))),
        (r"\b(?:since|after)\s+(?:the\s+)?(?:last|previous)\s+month\b", lambda g: (last_month, None)),
        (r"\b(?:since|after)\s+(?:the\s+)?(?:last|previous)\s+year\b", lambda g: (dt.date(today.year - 1, 1, 1), None)),
        (r"\b(?:since|from)\s+the\s+(?:start|beginning)\s+of\s+(?:the|this)\s+year\b",
         lambda g: (dt.date(today.year, 1, 1), None)),
        (r"\byear\s+to\s+date\b|\bytd\b", lambda g: (dt.date(today.year, 1, 1), None)),
        (r"\b(?:this|the|over\s+the|during\s+the|in(?:\s+the)?)\s+(spring|summer|autumn|winter)\b",
         lambda g: _season(g[0], today)),
        (r"\b(?:last|previous|past)\s+month\b", lambda g: (last_month, _month_end(last_month))),
        (r"\bthis\s+month\b", lambda g: (this_month, today)),
        (rf"\b(?:last|past|previous)\s+{_N}\s+days?\b", lambda g: (today - dt.timedelta(days=_count(g[0])), today)),
        (rf"\b(?:last|past|previous)\s+{_N}\s+weeks?\b", lambda g: (today - dt.timedelta(weeks=_count(g[0])), today)),
        (rf"\b(?:last|past|previous)\s+{_N}\s+months?\b", lambda g: (_add_months(this_month, -_count(g[0])), today)),
        (r"\b(?:last|past|previous)\s+week\b", lambda g: (today - dt.timedelta(days=7), today)),
        (r"\bthis\s+year\b", lambda g: (dt.date(today.year, 1, 1), today)),
        (r"\blast\s+year\b", lambda g: (dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31))),
        (r"\bq([1-4])(?:\s+(\d{4}))?\s*(以来|起|之后|以后|开始)", lambda g: _since(_quarter(int(g[0]), g[1], today), g[2])),
        (r"\b(?:since|after|from)\s+q([1-4])(?:\s+(\d{4}))?\b", lambda g: (_quarter(int(g[0]), g[1], today)[0], None)),
        (r"\b(?:in\s+)?q([1-4])(?:\s+(\d{4}))?\b", lambda g: _quarter(int(g[0]), g[1], today)),
        (r"\bthis\s+quarter\b", lambda g: (dt.date(today.year, quarter * 3 + 1, 1), today)),
        (r"\b(?:in\s+)?h([12])(?:\s+(\d{4}))?\b", lambda g: _half(int(g[0]), g[1], today)),
        (r"\b(first|second)\s+half\s+of\s+(?:the\s+year|this\s+year|(\d{4}))\b",
         lambda g: _half(1 if g[0] == "first" else 2, g[1], today)),
        (r"\blast\s+quarter\b", lambda g: _quarter(quarter or 4, None if quarter else str(today.year - 1), today)),
        (r"\bsince\s+(\d{4}-\d{2}-\d{2})\b", lambda g: (dt.date.fromisoformat(g[0]), None)),
        (r"\bbefore\s+(\d{4}-\d{2}-\d{2})\b", lambda g: (None, dt.date.fromisoformat(g[0]) - dt.timedelta(days=1))),
        (r"\bin\s+(20\d{2})\b", lambda g: (dt.date(int(g[0]), 1, 1), dt.date(int(g[0]), 12, 31))),
        (rf"\b{_FULL_M}{_Y}\b", lambda g: (month(g[0], g[1]), _month_end(month(g[0], g[1])))),
        # Chinese
        (rf"{_ZD}\s*(?:到|至|-|—|~|～)\s*{_ZD}",
         lambda g: (zh_day(g[0], g[1], g[2]), zh_day(g[3] or g[0], g[4], g[5]))),
        (rf"{_ZD}\s*(?:到|至|-|—|~|～)\s*(\d{{1,2}})\s*[日号]",
         lambda g: (zh_day(g[0], g[1], g[2]), zh_day(g[0], g[1], g[3]))),
        (rf"(?:自|从)?\s*{_ZD}\s*(?:以来|起|之后|以后|开始)", lambda g: (zh_day(g[0], g[1], g[2]), None)),
        (rf"{_ZD}\s*(?:之前|以前)", lambda g: (None, zh_day(g[0], g[1], g[2]) - dt.timedelta(days=1))),
        (rf"{_ZD}", lambda g: (zh_day(g[0], g[1], g[2]), zh_day(g[0], g[1], g[2]))),
        (rf"{_ZM}\s*(?:到|至|-|—|~|～)\s*{_ZM}(?:之间|期间)?",
         lambda g: span(_month_start(_zh_month(g[1]), int(g[0]) if g[0] else None, today),
                        _month_start(_zh_month(g[3]), int(g[2] or g[0]) if (g[2] or g[0]) else None, today))),
        # "六七月份", "三四月": two months in a row, written as one word
        (r"(?<![一二三四五六七八九十])(一二|二三|三四|四五|五六|六七|七八|八九|九十)\s*月(?:份)?",
         lambda g: span(_month_start(_ZH_NUM[g[0][0]], None, today), _month_start(_ZH_NUM[g[0][1]], None, today))),
        (rf"{_ZM_BARE}\s*(?:、|和|与|及|到|至|-|—|~|～)\s*{_ZM}",
         lambda g: span(_month_start(_zh_month(g[0]), int(g[1]) if g[1] else None, today),
                        _month_start(_zh_month(g[2]), int(g[1]) if g[1] else None, today))),
        (rf"{_ZM}\s*(?:之前|以前)", lambda g: (
            None, _month_start(_zh_month(g[1]), int(g[0]) if g[0] else None, today) - dt.timedelta(days=1))),
        (rf"(?:自|从)?\s*{_ZM}\s*(?:以来|起|之后|以后|开始)",
         lambda g: (_month_start(_zh_month(g[1]), int(g[0]) if g[0] else None, today), None)),
        (rf"{_ZM}\s*(上|下)半月",
         lambda g: (lambda s: (s, s.replace(day=15)) if g[2] == "上" else (s.replace(day=16), _month_end(s)))(
             _month_start(_zh_month(g[1]), int(g[0]) if g[0] else None, today))),
        (rf"{_ZM}\s*(上|中|下)旬",
         lambda g: _ten_days("上中下".index(g[2]), _month_start(_zh_month(g[1]), int(g[0]) if g[0] else None, today))),
        (rf"{_ZM}", lambda g: (lambda s: (s, _month_end(s)))(
            _month_start(_zh_month(g[1]), int(g[0]) if g[0] else None, today))),
        (r"上个?月\s*(?:以来|起|开始)", lambda g: (last_month, None)),
        (r"去年\s*(?:以来|起|开始)", lambda g: (dt.date(today.year - 1, 1, 1), None)),
        (r"(春季|春天|夏季|夏天|秋季|秋天|冬季|冬天)", lambda g: _season(g[0], today)),
        (r"上个?月", lambda g: (last_month, _month_end(last_month))),
        (r"(?:这个|本)月", lambda g: (this_month, today)),
        (rf"(?:最近|过去|近)\s*{_ZN}\s*天", lambda g: (today - dt.timedelta(days=_count(g[0])), today)),
        (rf"(?:最近|过去|近)\s*{_ZN}\s*(?:个)?(?:星期|周|礼拜)", lambda g: (today - dt.timedelta(weeks=_count(g[0])), today)),
        (rf"(?:最近|过去|近)\s*{_ZN}\s*(?:个)?月", lambda g: (_add_months(this_month, -_count(g[0])), today)),
        (r"(?:最近|过去|近)\s*半年", lambda g: (_add_months(this_month, -6), today)),
        (r"上(?:一)?个?季度", lambda g: _quarter(quarter or 4, None if quarter else str(today.year - 1), today)),
        (r"(?:上周|上个星期|最近一周)", lambda g: (today - dt.timedelta(days=7), today)),
        (r"(今年|去年)?\s*(上|下)半年",
         lambda g: (lambda y: (dt.date(y, 1, 1), dt.date(y, 6, 30)) if g[1] == "上"
                    else (dt.date(y, 7, 1), dt.date(y, 12, 31)))(today.year - (g[0] == "去年"))),
        (r"今年\s*(?:以来|起|开始)", lambda g: (dt.date(today.year, 1, 1), None)),
        (r"今年", lambda g: (dt.date(today.year, 1, 1), today)),
        (r"去年", lambda g: (dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31))),
        (r"(?:(\d{4})\s*年\s*)?(?:第)?([一二三四1-4])\s*季度\s*(以来|起|之后|以后|开始)?",
         lambda g: _since(_quarter(_zh_month(g[1]), g[0], today), g[2])),
        (r"本季度", lambda g: (dt.date(today.year, quarter * 3 + 1, 1), today)),
    ]  # fmt: skip
    return rules


@functools.cache
def _time_pattern(rule: str) -> re.Pattern[str]:
    return re.compile(rule, re.I)


def _since(window: Window, since: str | None) -> Window:
    """A window, or from its first day on when the question says "以来" after it."""
    return (window[0], None) if since else window


_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "winter": 12, "春": 3, "夏": 6, "秋": 9, "冬": 12}


def _season(name: str, today: dt.date) -> Window:
    """Spring is March to May, summer June to August, autumn September to November, winter December to
    February: the latest that has begun by ``today``."""
    first = _month_start(_SEASONS[name.lower()[:1] if not name.isascii() else name.lower()], None, today)
    if first > today:
        first = first.replace(year=first.year - 1)
    return first, _month_end(_add_months(first, 2))


def _ten_days(third: int, month: dt.date) -> Window:
    """上旬, 中旬, 下旬: a month's days 1–10, 11–20, 21 to its end."""
    last = month.replace(day=10 * third + 10) if third < 2 else _month_end(month)
    return month.replace(day=10 * third + 1), last


def _half(h: int, year: str | None, today: dt.date) -> Window:
    first = dt.date(int(year) if year else today.year, 6 * h - 5, 1)
    if not year and first > today:
        first = first.replace(year=first.year - 1)
    return first, _month_end(_add_months(first, 5))


def _quarter(q: int, year: str | None, today: dt.date) -> Window:
    first = dt.date(int(year) if year else today.year, 3 * q - 2, 1)
    if not year and first > today:
        first = first.replace(year=first.year - 1)
    return first, _month_end(_add_months(first, 2))


# A rule holding the first text is compiled only for a question holding one of the words after it.
_GATES = (
    ("half", ("half",)),
    ("quarter", ("quarter",)),
    ("(spring|summer", ("spring", "summer", "autumn", "winter")),
    ("(春季|", ("春", "夏", "秋", "冬")),
    (r"year\s+to", ("year", "ytd")),
    ("h([12])", ("h1", "h2")),
    ("(?:start|beginning)", ("start", "beginning")),
    (r"the\s+end", ("end",)),
    ("(?:last|past|previous)", ("last", "past", "previous")),
    (r"\d{4}-\d{2}-\d{2}", ("-",)),
    (r"\bthis\s+", ("this",)),
    (r"\blast\s+", ("last",)),
    ("q([1-4])", ("q1", "q2", "q3", "q4")),
    ("[日号]", ("日", "号")),
    ("(?:之前|以前)", ("之前", "以前")),
    ("旬", ("旬",)),
    ("半月", ("半月",)),
    ("(?:、|和|与|及|到|至|-|—|~|～)", ("、", "和", "与", "及", "到", "至", "-", "—", "~", "～")),
    (r"\bin\s+(20", ("20",)),
)


def _not_a_month(found: re.Match[str], group: int) -> bool:
    """Whether a month's name read is a word instead ("may have", "mar"): lower case, no year after it, and
    not a month by its place ("… in may?", "fixes during may and june": after "in" and before the end)."""
    word = found.group(group)
    after = found.string[found.end(group) :]
    placed = re.search(r"\b(?:in|during|of|since|until|till|before|after|through|from)\s+$",
                       found.string[: found.start(group)].lower()) and re.match(r"\s*(?:$|[?.!,;:)]|(?:and|or|to)\b)", after)  # fmt: skip
    return bool(
        word
        and word.lower() in ("may", "mar")
        and not word[0].isupper()
        and not re.match(r",?\s+\d{4}", after)
        and not placed
    )


def read_time(question: str, today: dt.date) -> tuple[Window, list[str], str]:
    """The time window a question names (the first that reads as one), the words read, and the question
    without them."""
    lowered = question.lower()
    words = re.findall(r"[a-z]+|\d+", lowered)
    months = sum(1 for word in words if word in _MONTHS)
    month_day = any(
        w in _MONTHS and n.isdigit() and len(n) <= 2 for w, n in zip(words, words[1:], strict=False)
    )
    ascii_only = question.isascii()
    for rule, make in _time_rules(today):
        # A rule is compiled only when the question could hold it (a month's name, 月, the rule's own
        # words): most questions name no time, and compiling every rule would cost more than the search.
        named = rule.count(_M) + rule.count(_FULL_M) + rule.count(_ZM) + rule.count(_ZM_BARE)
        if (
            ((_M in rule or _FULL_M in rule) and months < min(named, 2))
            or (_ZM in rule and "月" not in question)
            or (_D in rule and not month_day)
            or (ascii_only and not rule.isascii())
            or any(mark in rule and not any(w in lowered for w in words) for mark, words in _GATES)
        ):
            continue
        found = _time_pattern(rule).search(question)
        if not found:
            continue
        if (rule.startswith(r"\b(?:in|during") or _FULL_M in rule or rule.startswith(rf"\b{_M}")) and any(
            _not_a_month(found, n) for n in range(1, (found.re.groups or 0) + 1)
        ):
            continue  # "in may", "may have" is not a month
        try:
            window = make(found.groups())  # type: ignore[operator]
        except (ValueError, KeyError):
            continue
        rest = question[: found.start()] + " " + question[found.end() :]
        return window, [found.group(0).strip()], rest
    return (None, None), [], question


# ---- words ------------------------------------------------------------------------------------------


def _phrase(word: str) -> str:
    """A word as one alternative of a concept: its index terms, space-separated (a phrase when several:
    the fields keep terms in order, so "context parallel" or "上下文并行" match only where they are written)."""
    return " ".join(terms(word))


def _segment_concepts(
    text: str, groups: dict[int, str], singles: dict[str, str], joins: dict[str, str]
) -> None:
    g = glossary()
    lowered = text.lower()

    def take(found: re.Match[str], index: int) -> str:
        groups.setdefault(index, found.group(0))
        return " "

    # A name written in camel case ("MiniMax", "DeepSeek") is indexed as its parts where commits write it
    # so and as one word where they write it "Minimax": the question's word stands for both.
    camel: dict[str, str] = {}
    for word in re.findall(r"[A-Za-z][A-Za-z0-9]*", text):
        parts, whole = terms(word), terms(word.lower())
        if len(parts) > 1 and len(whole) == 1:
            camel.setdefault(whole[0], " ".join(parts))
    for phrase, index in g.phrases:
        if phrase in lowered:
            lowered = _phrase_pattern(phrase).sub(lambda m, i=index: take(m, i), lowered)  # type: ignore[misc]
    for stop in g.stop_zh:
        lowered = lowered.replace(stop, " ")
    for token in _hyphens_apart(re.findall(rf"[{_CJK}]+|[a-z0-9]+(?:[._\-][a-z0-9]+)*", lowered)):
        if re.match(f"[{_CJK}]", token):
            if len(token) > 1:
                for term in terms(token):
                    singles.setdefault(term, token)
            continue
        if is_stop_word(token):
            continue
        if re.search(r"[._\-]", token):  # an identifier, a version, "top-k": its terms in order, or joined
            joined = "".join(re.split(r"[._\-]", token))
            group = g.by_term.get(_phrase(joined))
            if group is not None:
                groups.setdefault(group, token)
            else:
                singles.setdefault(_phrase(token), token)
                if "-" in token and joined.isalnum():
                    joins.setdefault(_phrase(token), _phrase(joined))
            continue
        for term in terms(token):
            if is_stop_word(term) and not token.endswith("ly"):  # "weekly" tests are not "a week"
                continue
            group = g.by_term.get(term)
            if group is not None:
                groups.setdefault(group, token)
                if term in camel:  # "RMSNorm" is its group's "rmsnorm" and the titles' "rms norm"
                    joins.setdefault(term, camel[term])
            else:
                singles.setdefault(term, token)
                if term in camel:
                    joins.setdefault(term, camel[term])
                elif _PLURAL_NAME_RE.fullmatch(term):  # "gpus": the stemmer keeps it, titles say "GPUs" (gpu)
                    joins.setdefault(term, term[:-1])


# A lower-case plural the stemmer leaves whole ("gpus", "llms", "npus"): an upper-case name's plural, which
# the index holds as the name ("GPUs" is "gpu").
_PLURAL_NAME_RE = re.compile(r"[a-z]{2,}[a-rt-z]s")


def _hyphens_apart(tokens: list[str]) -> list[str]:
    """A hyphenated word made of the glossary's words and question words ("Hopper-specific", "MoE-related")
    is those words; any other ("top-k", "all-reduce") stays one name."""
    g = glossary()
    out: list[str] = []
    for token in tokens:
        parts = token.split("-")
        if (
            len(parts) > 1
            and not re.search(r"[._]", token)
            and g.by_term.get(_phrase("".join(parts))) is None
            and all(is_stop_word(p) or g.by_term.get(_phrase(p)) is not None for p in parts)
            and not all(is_stop_word(p) for p in parts)
        ):
            out.extend(parts)
        else:
            out.append(token)
    return out


def _with_narrower(concept: Concept, narrower: dict[str, tuple[str, ...]]) -> Concept:
    more = [n for t in concept.terms for n in narrower.get(t, ()) if n not in concept.terms]
    return replace(concept, terms=(*concept.terms, *dict.fromkeys(more))) if more else concept


def _own(source: str, joins: dict[str, str]) -> tuple[str, ...]:
    """The names a question wrote for a glossary idea: its words, and their camel-case parts as titles write
    them ("RMSNorm": "rmsnorm" and "rms norm")."""
    word = _phrase(source)
    return (word, joins[word]) if word in joins else (word,)


def _segment(text: str) -> list[Concept]:
    g = glossary()
    groups: dict[int, str] = {}
    singles: dict[str, str] = {}
    joins: dict[str, str] = {}  # "top k" → "topk": a hyphenated word is written both ways
    _segment_concepts(text, groups, singles, joins)
    # A kind of change is one idea whatever word names it ("rolled back" asks for commits that say "Revert").
    concepts = [Concept(g.groups[i], KIND_WEIGHT if i in g.kinds else 1.0, source,
                        g.groups[i] if i in g.kinds else _own(source, joins), kind=i in g.kinds)
                for i, source in groups.items()]  # fmt: skip
    covered = {t for c in concepts for t in c.terms}
    for term, source in singles.items():
        if term not in covered:
            both = (term, joins[term]) if term in joins else (term,)
            concepts.append(Concept(both, 1.0, source, both))
    # In the question's order: what parentheses name belongs to the word just before them.
    lowered = text.lower()
    return sorted(concepts, key=lambda c: lowered.find(c.source) % (len(lowered) + 1))


_CONNECTOR_RE = r"[,，、]|\b(?:or|and)\b|或者|以及|或|和|与|及"


def _listed(gap: str, before: Concept, after: Concept) -> bool:
    """Whether the text between two ideas joins them in a list: a comma, "or", "and", 、, 或, 和 and nothing
    else but other words for either ("测试、发布或打包": 发布 and 打包 are one idea)."""
    if not re.search(_CONNECTOR_RE, gap):
        return False
    for piece in re.split(_CONNECTOR_RE, gap):
        for stop in glossary().stop_zh if not piece.isascii() else ():
            piece = piece.replace(stop, " ")
        words = _phrase(piece)
        if words and words not in before.terms and words not in after.terms:
            return False
    return True


# Words that name a version change of whatever they follow: "dependency bumps" are dependency changes.
_BUMPS = frozenset({"bump", "bumps", "update", "updates", "upgrade", "upgrades"})


def _bumps(gap: str, before: Concept, after: Concept) -> bool:
    """Two kinds one after the other, the second a version change of the first ("dependency bumps", "CI
    upgrades"): one kind."""
    return before.kind and after.kind and not gap.strip() and after.source.lower() in _BUMPS


def _lists(text: str, concepts: list[Concept]) -> list[Concept]:
    """Ideas the question lists ("CI, test, release or packaging", "CANN and torch_npu", "测试、发布或打包")
    are alternatives: a commit holding any of them is asked for, not one holding all."""
    lowered = text.lower()
    placed = sorted(
        ((lowered.find(c.source), n, c) for n, c in enumerate(concepts) if c.source and c.source in lowered),
        key=lambda p: p[:2],
    )
    if len(placed) < 2:
        return concepts
    runs: list[list[Concept]] = [[placed[0][2]]]
    for (start, _, before), (next_start, _, after) in zip(placed, placed[1:], strict=False):
        gap = lowered[start + len(before.source) : next_start]
        if before.kind == after.kind and (_listed(gap, before, after) or _bumps(gap, before, after)):
            runs[-1].append(after)
        else:
            runs.append([after])
    if all(len(run) == 1 for run in runs):
        return concepts
    out = [run[0] if len(run) == 1 else _union(run) for run in runs]
    return out + [c for c in concepts if not any(c is p for _, _, p in placed)]


def _union(concepts: list[Concept]) -> Concept:
    merged = _merge(concepts)
    return replace(merged, weight=max(c.weight for c in concepts), kind=all(c.kind for c in concepts))


def _merge(concepts: list[Concept]) -> Concept:
    alternatives: dict[str, None] = {}
    for concept in concepts:
        alternatives.update(dict.fromkeys(concept.terms))
    own = tuple(dict.fromkeys(t for c in concepts for t in c.own))
    return Concept(tuple(alternatives), 1.0, " / ".join(c.source for c in concepts), own)


_PAREN_RE = re.compile(r"[(（]([^()（）]*)[)）]")
_SLASH_RE = re.compile(r"[\w\-.*㐀-鿿]+(?:\s*/\s*[\w\-.*㐀-鿿]+)+")


def _variants(text: str) -> list[Concept]:
    """What parentheses name: each item (split at commas, slashes, "or") one more name of the thing before
    them — a one-word item with its glossary names, several words as a phrase ("Kimi delta attention")."""
    found: list[Concept] = []
    for item in re.split(r"[,，、/;；]|\bor\b|或", text):
        for stop in (
            glossary().stop_zh if not item.isascii() else ()
        ):  # "dependabot 那些 bump": "那些" says nothing
            item = item.replace(stop, " ")
        item = " ".join(item.split())
        words = terms(item)
        if not words:
            continue
        single = _segment(item)
        if len(single) == 1 and (len(words) == 1 or len(single[0].terms) > 1):
            found.append(single[0])  # one word, or a glossary phrase ("DGX Spark", "专家负载均衡" is not)
        else:
            found.append(Concept((" ".join(words),), 1.0, item, ()))
    return found


# Words that say what happened to a thing, not what it is: what parentheses name is never theirs.
_CHANGE_VERBS = frozenset({"add", "remov", "delet", "drop", "introduc", "land", "enabl", "disabl", "implement",
                           "got", "went"})  # fmt: skip


def _named_before(concepts: list[Concept], variants: list[Concept]) -> int:
    """The concept a parenthesis names variants of: the one that already knows some of them as its names
    ("Blackwell FMHA (SM100 / SM103)": Blackwell's), else the last one before it that is a thing, not a
    kind of change or what happened to it ("which GEMM variants got added in July (FP8 / FP4 / BF16)?")."""
    narrower = glossary().narrower

    def knows(concept: Concept, variant: Concept) -> bool:  # by a name of it, or of a kind of it
        names = set(_with_narrower(concept, narrower).terms)
        return any(t in names or any(word in names for word in t.split()) for t in variant.terms)

    best = max(range(len(concepts)), key=lambda at: (sum(knows(concepts[at], v) for v in variants), at))
    known = sum(knows(concepts[best], v) for v in variants)
    if not concepts[best].kind and known and 2 * known >= len(variants):
        return best
    things = [at for at, c in enumerate(concepts) if not c.kind and not set(c.terms) <= _CHANGE_VERBS]
    heads = [at for at in things if _GENERIC_HEADS & set(concepts[at].terms)]
    # what a generic word before them names ("MoE backends for SM120 (b12x, cutlass)": backends)
    return (heads or things or [len(concepts) - 1])[-1]


# Two words, a slash with spaces, two words: "config options / env vars".
_PAIRS_RE = re.compile(
    r"\b([A-Za-z][\w\-.]*\s+[A-Za-z][\w\-.]*)\s+/\s+([A-Za-z][\w\-.]*\s+[A-Za-z][\w\-.]*)\b"
)


def _is_phrase(words: str) -> bool:
    """Whether two words are one of the glossary's names ("env vars" is "environment variable")."""
    said = _phrase(words)
    return any(said == _phrase(phrase) for phrase, _ in glossary().phrases if " " in phrase)


def _generic(concept: Concept) -> bool:
    return bool(_GENERIC_HEADS & set(concept.terms))


def _named_mostly(concept: Concept, other: Concept) -> bool:
    """Whether ``other`` knows at least half the names the question wrote for ``concept``."""
    shared = len(set(concept.own) & set(other.terms))
    return bool(shared) and 2 * shared >= len(set(concept.own))


def _concepts(text: str) -> tuple[list[Concept], list[str]]:
    """The question's concepts. What a question names in parentheses or with slashes are other names of
    the same thing or its variants ("上下文并行（PCP/DCP）", "top-k (filtered, radix)"): alternatives of
    the concept before them, not more ideas every commit must hold."""
    concepts: list[Concept] = []
    position = 0
    pieces: list[tuple[str, bool, int]] = []  # a piece, whether parentheses hold it, where it starts
    for found in _PAREN_RE.finditer(text):
        pieces.append((text[position : found.start()], False, position))
        # "(no bugfixes pls)", "…？（算子、attention 之类）", "(e.g. routing)": no other names of the word before
        aside = (_NOT_FIRST_RE.match(found.group(1)) or _EXAMPLE_RE.search(found.group(1).lower())
                 or re.search(r"[?？]\s*$", text[: found.start()]) or re.search(r"(?:\betc\.?|之类|这种|这类|等)\s*$", found.group(1)))  # fmt: skip
        pieces.append((found.group(1), not aside, found.start(1)))
        position = found.end()
    pieces.append((text[position:], False, position))
    for piece, inside, start in pieces:
        if inside and concepts:
            variants = _variants(piece)
            if variants:
                at = _named_before(concepts, variants)
                before = concepts[at - 1] if at else None
                if (len(variants) >= 2 and before and not before.kind and not concepts[at].kind
                        and not _generic(concepts[at]) and not _generic(before)
                        and re.search(rf"{re.escape(before.source)}\s+{re.escape(concepts[at].source)}\s*[(（]$",
                                      text[:start], re.I)):  # fmt: skip
                    # "custom schedulers (recompute, balance)": the kinds named are what is asked, whatever
                    # word tells them apart from others
                    concepts[at - 1] = replace(before, weight=before.weight * EXAMPLE_WEIGHT, optional=True)
                concepts[at] = _merge([concepts[at], *variants])
            continue
        found_here: list[Concept] = []
        rest = piece
        for pair in _PAIRS_RE.finditer(piece):  # "config options / env vars": two-word names, either one
            sides = [pair.group(1), pair.group(2)]
            if any(_is_phrase(side) for side in sides):
                named = [c for side in sides for c in _segment(side)]
                # "speculative decoding / MTP support": what both are, said after the second, is no name
                heads = [c for c in named[1:] if _generic(c)]
                found_here.append(_merge([c for c in named if not any(c is h for h in heads)]))
                found_here.extend(heads)
                rest = rest.replace(pair.group(0), " ", 1)
        for run in _SLASH_RE.findall(rest):
            letters = [part.strip() for part in run.split("/")]
            if all(len(part) == 1 and part.isalpha() for part in letters):  # "P/D", "I/O": one name
                joined = "".join(letters).lower()
                found_here.append(
                    _merge([*_segment(joined), Concept((_phrase(run),), 1.0, run, (_phrase(run),))])
                )
            elif (run.count("/") >= 2 or "*" in run) and not re.search(r"\s/|/\s", run):
                # a path ("csrc/fused_moe/*.cu"): the directories its glob names, in order
                path = _phrase(run.split("*", 1)[0])
                found_here.append(Concept((path,), 1.0, run, (path,)))
            else:
                parts = [c for part in run.split("/") for c in _segment(part)]
                if parts:
                    found_here.append(_merge(parts))
            rest = rest.replace(run, " ", 1)
        found_here = _lists(rest, _segment(rest)) + found_here
        if inside and concepts and found_here:
            concepts[-1] = _merge([concepts[-1], *found_here])
        else:
            concepts.extend(found_here)
    unique: dict[tuple[str, ...], Concept] = {}
    for concept in concepts:
        # one idea named twice ("P/D 分离": "pd" and "分离" are one glossary group; "PCP/DCP context-parallel":
        # the question's own words for one group) is one concept
        same = next((k for k, c in unique.items() if not c.kind and not concept.kind
                     and _generic(c) == _generic(concept)  # "backends (b12x …)" are not "SM120"
                     and (set(k) <= set(concept.terms) or set(concept.terms) <= set(k)
                          or _named_mostly(c, concept) or _named_mostly(concept, c))), None)  # fmt: skip
        if same is None:
            unique.setdefault(concept.terms, concept)
        else:
            unique[same] = _merge([unique[same], concept])
    # A word's narrower names are more names of it (not the other way round): "norm" finds "RMSNorm". Added
    # once the parentheses have found their word ("attention backends (FA2 / XQA)" are backends' names) and
    # the ideas are told apart ("MLA attention" asks for both).
    g = glossary()
    unique = {k: _with_narrower(c, g.narrower) for k, c in unique.items()}
    kinds = [
        g.names[i]
        for i, group in enumerate(g.groups)
        if i in g.kinds and any(set(group) <= set(c.terms) for c in unique.values())
    ]
    return list(unique.values()), kinds


def extra_concepts(words: list[str], understood: Understood, weight: float) -> list[Concept]:
    """Search words a model wrote for the question (``ask`` with an LLM): each one optional idea, its
    glossary names included; words the question already holds add nothing."""
    asked = set(understood.terms)
    out: dict[tuple[str, ...], Concept] = {}
    for word in words:
        found = _segment(word)
        if not found:
            continue
        merged = _with_narrower(_merge(found), glossary().narrower)
        fresh = tuple(t for t in merged.terms if t not in asked)
        if fresh and len(fresh) == len(merged.terms):
            out.setdefault(fresh, Concept(fresh, weight, word, merged.own, optional=True))
    return list(out.values())


def understand(question: str, today: dt.date) -> Understood:
    """The question's concepts and the time window it names."""
    question = singular_acronyms(plain_width(question))
    (first, last), time_words, rest = read_time(question, today)
    if time_words:  # a year left beside the time read ("2026 年第二季度") is part of it, no idea of its own
        rest = re.sub(r"(?<![\w.])(?:19|20)\d{2}(?:\s*年)?(?![\w.])", " ", rest)
    if "'" in rest or "’" in rest:  # "what's", "didn't": the word, not a word "s" every commit must hold
        rest = re.sub(r"(?<=[A-Za-z])['’](?:s|t|re|ve|ll|d)\b", "", rest)
    concepts, kinds = _concepts(rest)
    concepts = _excluded(
        rest,
        _examples(rest, _asides(rest, _described(rest, _generic_heads(_added(_of_a_kind(rest, concepts)))))),
    )
    kinds = [k for k in kinds if not any(c.excluded and k in c.terms for c in concepts)]
    return Understood(concepts, first, last, time_words, kinds, _phrases(rest))


# What a name is of ("the b12x backend", "GLM 模型", "sampling kernels", "MXFP8 GEMM 的支持"): beside a name
# of its own, such a word says what kind of thing the name is, and a commit about the name that does not
# repeat it ("feat(moe): add SM120 W4A16 b12x kernels") is as much about it. It adds to a commit's score,
# no commit is asked to hold it; alone ("which backends changed?") it is the subject.
_GENERIC_HEADS = frozenset({"kernel", "backend", "model", "support", "compat"})
GENERIC_WEIGHT = 0.7


def _generic_heads(concepts: list[Concept]) -> list[Concept]:
    def generic(c: Concept) -> bool:
        return not c.kind and not c.optional and bool(_GENERIC_HEADS & set(c.terms))

    if not any(generic(c) for c in concepts) or all(generic(c) or c.kind for c in concepts):
        return concepts
    g = glossary()
    heads = {t for head in _GENERIC_HEADS for t in g.groups[g.by_term[head]]}
    out: list[Concept] = []
    for c in concepts:
        named = tuple(t for t in c.terms if t not in heads)
        # "diffusion models (WAN / DiT)": the names are asked, the word is not; "the cudnn backend side (new
        # ops, paged prefill)" are examples of what it got, no names of it
        if generic(c) and named and all(" " not in t for t in named):
            out.append(replace(c, terms=named, own=tuple(t for t in c.own if t not in heads)))
        else:
            out.append(replace(c, weight=c.weight * GENERIC_WEIGHT, optional=True) if generic(c) else c)
    return out


# A description of what the question asks about, after it: "the top-k kernels used for sparse attention",
# "用于稀疏注意力的 top-k 内核" (before it, in Chinese). It ends where the clause or a parenthesis does.
_DESCRIBED_RE = re.compile(r"\b(?:that\s+(?:are|is|were|was)\s+)?used\s+(?:for|in|by)\b|用于|用在")
_DESCRIPTION_END_RE = re.compile(r"[,，;；?？()（）]|\s[-–—]\s")


def _described(text: str, concepts: list[Concept]) -> list[Concept]:
    """What a question says its subject is used for adds to a commit's score; no commit is asked to hold it
    (a commit to the top-k kernels seldom says what they serve). The word "used" is no idea of its own."""
    lowered = text.lower()
    marker = _DESCRIBED_RE.search(lowered)
    if not marker:
        return concepts
    chinese = not marker.group().isascii()
    if chinese:  # "用于稀疏注意力的 top-k 内核": from the marker to "的"
        start, end = marker.end(), lowered.find("的", marker.end())
    else:
        start = marker.end()
        found = _DESCRIPTION_END_RE.search(lowered, start)
        end = found.start() if found else len(lowered)
    if end <= start:
        return concepts

    def at(concept: Concept) -> int:
        return _where(lowered, concept)

    said = [at(c) for c in concepts if not c.kind and not c.optional and not marker.start() <= at(c) < end]
    if not any((p > end) if chinese else (0 <= p < marker.start()) for p in said):
        return concepts  # nothing is said beside the description: it is what is asked
    out: list[Concept] = []
    for c in concepts:
        if marker.start() <= at(c) < start:  # "used", "用于"
            continue
        if start <= at(c) < end and not c.kind and not c.optional:
            c = replace(c, weight=c.weight * EXAMPLE_WEIGHT, optional=True)
        out.append(c)
    return out


# What a kind of change is made of, said after it: "test infra", "CI infrastructure", "test suites".
_KIND_HEADS = frozenset({"infra", "infrastructur", "suit", "har"})  # "har": "harness"


def _of_a_kind(text: str, concepts: list[Concept]) -> list[Concept]:
    """ "CI or test infra changes": a commit of the kind is what is asked, whether or not it says "infra"."""
    lowered = text.lower()
    kinds = [c for c in concepts if c.kind]
    out: list[Concept] = []
    for c in concepts:
        if not c.kind and set(c.terms) <= _KIND_HEADS:
            where = _where(lowered, c)
            if any(re.search(rf"{re.escape(part.strip().lower())}\s*$", lowered[:where])
                   for k in kinds for part in k.source.split(" / ")):  # fmt: skip
                c = replace(c, weight=c.weight * GENERIC_WEIGHT, optional=True)
        out.append(c)
    return out


# Words that say a thing is new ("which activation functions were added?"): many a commit that adds one says
# "support X", "feat: X" or only its name.
_ADDED = frozenset({"add", "introduc", "implement"})


def _added(concepts: list[Concept]) -> list[Concept]:
    """That a thing was added adds to a commit's score; no commit is asked to say so, when the question
    names the thing."""
    if not any(not c.kind and not set(c.terms) <= _ADDED for c in concepts):
        return concepts
    return [replace(c, weight=c.weight * GENERIC_WEIGHT, optional=True) if not c.kind and set(c.terms) <= _ADDED
            else c for c in concepts]  # fmt: skip


# Where a question's clauses part: a comma, a question mark, a dash between words, "and was/did/were …".
_CLAUSE_BREAK_RE = re.compile(
    r"[,，;；?？]|\s[-–—]\s|\band\s+(?=(?:was|were|did|is|are|has|have|any|anything)\b)"
)


# A question asked before (about the subject): "what went in", "when did it land", "是什么时候支持的？".
_ASKED_RE = re.compile(r"[?？]|\b(?:what|when|which|how|where)\b|什么|哪些|哪个|何时|几时")


def _where(lowered: str, concept: Concept, by_own: bool = False) -> int:
    """Where the question (lower case) first says a concept: by the words it came from (and ``by_own``, by
    the names the question wrote for it); -1 when nowhere."""
    names = [part.strip().lower() for part in concept.source.split(" / ")] + (
        list(concept.own) if by_own else []
    )
    return min((p for p in (lowered.find(n) for n in names if n) if p >= 0), default=-1)


def _asides(text: str, concepts: list[Concept]) -> list[Concept]:
    """The kinds of change asked in a clause after a question about the subject: "blackwell fmha - what went
    in and was any of it rolled back?", "SM120 上 nvfp4 MoE 是什么时候支持的？有没有回滚过？" (not "norm
    kernels - any fixes?": there the fixes are what is asked)."""
    lowered = text.lower()

    def at(concept: Concept) -> int:
        return _where(lowered, concept)

    subjects = [at(c) for c in concepts if not c.kind and not c.optional]
    first = min((p for p in subjects if p >= 0), default=-1)
    if first < 0:
        return concepts
    out: list[Concept] = []
    for concept in concepts:
        where = at(concept)
        if (concept.kind and where > first and _CLAUSE_BREAK_RE.search(lowered, first, where)
                and _ASKED_RE.search(lowered, 0, where)):  # fmt: skip
            concept = replace(concept, aside=True)
        out.append(concept)
    return out


# Words that ask not to see a kind of change, just before its name: "not bugfix", "no fixes", "不要 bugfix".
_NOT_WORDS = r"not|no|non|without|excluding|except|exclude|minus"
_NOT_ZH = r"不要|不含|不包括|除了|排除|别看|不看"
_NOT_RE = re.compile(rf"(?:\b(?:{_NOT_WORDS})\s+(?:the\s+|any\s+)?|(?:{_NOT_ZH})\s*)$")


# A subject asked not to see, after a break: "top-k kernels (not MoE routing)", "attention, but not MLA",
# "除了 MoE" ("why is sampling not deterministic?" asks about determinism).
_NOT_SUBJECT_RE = re.compile(
    rf"(?:(?:^|[(（,，;；:：—–]|\bbut)\s*(?:{_NOT_WORDS}|other than)\s+(?:the\s+|any\s+)?|(?:{_NOT_ZH})\s*)$"
)


_NOT_FIRST_RE = re.compile(rf"\s*(?:(?:{_NOT_WORDS})\b|{_NOT_ZH})", re.I)


def _excluded(text: str, concepts: list[Concept]) -> list[Concept]:
    """The kinds of change a question asks not to see ("only new features, no bugfix"), and the subjects:
    "top-k kernels (not MoE routing)" asks for no commit about MoE routing, whose ideas follow one another
    after the "not" with nothing but spaces between."""
    lowered = text.lower()
    out: list[Concept] = []
    end = -1  # where the last excluded subject's words end: a subject said right after it is excluded too
    for concept in concepts:
        for part in concept.source.split(" / "):
            where = lowered.find(part.strip().lower())
            if where <= 0:
                continue
            follows = not concept.kind and 0 <= end <= where and not lowered[end:where].strip()
            before = lowered[max(0, where - 24) : where]
            if follows or (_NOT_RE if concept.kind else _NOT_SUBJECT_RE).search(before):
                concept = replace(concept, excluded=True, optional=True)
                end = -1 if concept.kind else where + len(part.strip())
                break
        out.append(concept)
    if not any(c.excluded for c in out):
        return out
    return [c for c in out if c.kind or not _NOT_RE.fullmatch(c.source.lower() + " ")]


# Where a question's examples start: "e.g.", "such as", "比如", "包括"; or, after the question proper ("…?",
# "…:", "… - "), a list ("ci changes in august? workflows, runners, ci images, sccache etc").
_EXAMPLE_RE = re.compile(
    r"\b(?:e\.?g\.?|such as|for example|for instance|including|incl\.)(?!\w)|比如|例如|譬如|诸如|包括"
)
_HEAD_END_RE = re.compile(r"[?？:：]|\s[-–—]\s|[—–]")
_LISTED_RE = re.compile(r"[,，、/]|\betc\b|之类|这种|这类|等")
EXAMPLE_WEIGHT = 0.7


def _examples(text: str, concepts: list[Concept]) -> list[Concept]:
    """What a question gives as examples of what it asks ("moe refactors? e.g. routing, runner / config
    split", "deprecations? deprecation policy, deprecated params/apis"): each adds to a commit's score, none
    is asked of every commit, when the question proper names what it asks."""
    lowered = text.lower()
    start = -1
    marker = _EXAMPLE_RE.search(lowered)
    for end in _HEAD_END_RE.finditer(lowered):
        if _LISTED_RE.search(lowered, end.end()) and re.search(r"\w", lowered[end.end() :]):
            start = end.start()
            break
    if marker and (start < 0 or marker.start() < start):
        start = marker.start()
    if start <= 0:
        return concepts

    def at(concept: Concept) -> int:  # by any of its names: "refactor" may be said before "重构"
        return _where(lowered, concept, by_own=True)

    if not any(0 <= at(c) < start and not c.optional for c in concepts):
        return concepts  # "what changed? attention, moe, gemm": the list is what is asked
    return [
        replace(c, weight=c.weight * EXAMPLE_WEIGHT, optional=True)
        if at(c) >= start and not c.optional
        else c
        for c in concepts
    ]


def _phrases(text: str) -> list[str]:
    """The question's runs of two or more content words (a Chinese run as written, English words between
    question words): a commit that says them in this order says what was asked."""
    runs: list[str] = []
    for chunk in re.split(r"[^\w\s\-.㐀-鿿]+|\s{2,}", text):
        for cjk in re.findall(f"[{_CJK}]{{3,}}", chunk):
            for stop in glossary().stop_zh:
                cjk = cjk.replace(stop, " ")
            runs.extend(" ".join(terms(part)) for part in cjk.split() if len(part) >= 3)
        words: list[str] = []
        for token in [*re.findall(r"[A-Za-z0-9][\w.\-]*", chunk), ""]:
            if token and not is_stop_word(token) and terms(token):
                words.extend(terms(token))
                continue
            if len(words) >= 2:
                runs.append(" ".join(words))
            words = []
    return list(dict.fromkeys(runs))
