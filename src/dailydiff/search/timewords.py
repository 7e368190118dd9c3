"""The time a question names ("between March and May", "8 月份", "since April", "上个月", "Q2", "上半年"):
a table of rules, each a pattern and the window it reads, tried in order (search/understand.py reads a
question's words). Pure."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Callable

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

    def zh_month(y: str | None, m: str) -> dt.date:
        return _month_start(_zh_month(m), int(y) if y else None, today)

    def zh_day(y: str | None, m: str, d: str) -> dt.date:
        return zh_month(y, m).replace(day=int(d))

    def span(a: dt.date, b: dt.date) -> Window:
        end = b if b >= a else b.replace(year=b.year + 1)
        return a, _month_end(end)

    this_month = today.replace(day=1)
    last_month = _add_months(this_month, -1)
    quarter = (today.month - 1) // 3
    previous_quarter = _quarter(quarter or 4, None if quarter else str(today.year - 1), today)
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
        (r"\blast\s+quarter\b", lambda g: previous_quarter),
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
         lambda g: span(zh_month(g[0], g[1]),
                        zh_month(g[2] or g[0], g[3]))),
        # "六七月份", "三四月": two months in a row, written as one word
        (r"(?<![一二三四五六七八九十])(一二|二三|三四|四五|五六|六七|七八|八九|九十)\s*月(?:份)?",
         lambda g: span(_month_start(_ZH_NUM[g[0][0]], None, today), _month_start(_ZH_NUM[g[0][1]], None, today))),
        (rf"{_ZM_BARE}\s*(?:、|和|与|及|到|至|-|—|~|～)\s*{_ZM}",
         lambda g: span(zh_month(g[1], g[0]),
                        zh_month(g[1], g[2]))),
        (rf"{_ZM}\s*(?:之前|以前)", lambda g: (
            None, zh_month(g[0], g[1]) - dt.timedelta(days=1))),
        (rf"(?:自|从)?\s*{_ZM}\s*(?:以来|起|之后|以后|开始)",
         lambda g: (zh_month(g[0], g[1]), None)),
        (rf"{_ZM}\s*(上|下)半月",
         lambda g: (lambda s: (s, s.replace(day=15)) if g[2] == "上" else (s.replace(day=16), _month_end(s)))(
             zh_month(g[0], g[1]))),
        (rf"{_ZM}\s*(上|中|下)旬",
         lambda g: _ten_days("上中下".index(g[2]), zh_month(g[0], g[1]))),
        (rf"{_ZM}", lambda g: (lambda s: (s, _month_end(s)))(
            zh_month(g[0], g[1]))),
        (r"上个?月\s*(?:以来|起|开始)", lambda g: (last_month, None)),
        (r"去年\s*(?:以来|起|开始)", lambda g: (dt.date(today.year - 1, 1, 1), None)),
        (r"(春季|春天|夏季|夏天|秋季|秋天|冬季|冬天)", lambda g: _season(g[0], today)),
        (r"上个?月", lambda g: (last_month, _month_end(last_month))),
        (r"(?:这个|本)月", lambda g: (this_month, today)),
        (rf"(?:最近|过去|近)\s*{_ZN}\s*天", lambda g: (today - dt.timedelta(days=_count(g[0])), today)),
        (rf"(?:最近|过去|近)\s*{_ZN}\s*(?:个)?(?:星期|周|礼拜)", lambda g: (today - dt.timedelta(weeks=_count(g[0])), today)),
        (rf"(?:最近|过去|近)\s*{_ZN}\s*(?:个)?月", lambda g: (_add_months(this_month, -_count(g[0])), today)),
        (r"(?:最近|过去|近)\s*半年", lambda g: (_add_months(this_month, -6), today)),
        (r"上(?:一)?个?季度", lambda g: previous_quarter),
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


def _could_hold(question: str) -> Callable[[str], bool]:
    """Whether ``question`` could hold a time rule: the month's names, 月, a day after a month, the rule's
    own words it needs are there."""
    lowered = question.lower()
    words = re.findall(r"[a-z]+|\d+", lowered)
    months = sum(1 for word in words if word in _MONTHS)
    month_day = any(
        w in _MONTHS and n.isdigit() and len(n) <= 2 for w, n in zip(words, words[1:], strict=False)
    )
    ascii_only = question.isascii()

    def could(rule: str) -> bool:
        named = rule.count(_M) + rule.count(_FULL_M) + rule.count(_ZM) + rule.count(_ZM_BARE)
        return not (
            ((_M in rule or _FULL_M in rule) and months < min(named, 2))
            or (_ZM in rule and "月" not in question)
            or (_D in rule and not month_day)
            or (ascii_only and not rule.isascii())
            or any(mark in rule and not any(w in lowered for w in words) for mark, words in _GATES)
        )

    return could


def read_time(question: str, today: dt.date) -> tuple[Window, list[str], str]:
    """The time window a question names (the first that reads as one), the words read, and the question
    without them."""
    could_hold = _could_hold(question)
    for rule, make in _time_rules(today):
        # A rule is compiled only when the question could hold it (a month's name, 月, the rule's own
        # words): most questions name no time, and compiling every rule would cost more than the search.
        if not could_hold(rule):
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
