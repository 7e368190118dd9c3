"""What a commit does, said in Chinese by the rules: the title's action and the domain words it names.

A Chinese summary quotes English only as a named title (「…」): its first word, when it is an action the table
knows ("Fix", "Add", "Optimize"), becomes the Chinese verb before the quote; the domain words the title (and
the body's content) name are said in Chinese ("涉及混合专家、自动调优") from search/glossary.toml's groups and
zh_words.toml's [terms]. A body written in English is not carried into a Chinese summary (it is in the English
one); a body written in Chinese is. Words and phrasings are data (zh_words.toml); this module only reads them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from dailydiff.common.lazyre import lazy_compile
from dailydiff.common.packaged import toml

_CJK = lazy_compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = lazy_compile(r"[A-Za-z]")
_CODE_SPAN = lazy_compile(r"(`+)(?:(?!\1).)+?\1", re.S)
# "@name" pings a person wherever the summary is posted; a summary names them without the at-sign.
_MENTION = lazy_compile(r"(?<![\w.`/])@(?=[A-Za-z0-9][\w-]*)")
# A template's section label left at a title's end ("… routed_moe  Description:").
_TRAILING_LABEL = lazy_compile(r"\s+(description|motivation|summary|modifications?|purpose)\s*:?\s*$", re.I)
# Words a title cut short may end on; the cut drops them with the cut word.
_DANGLING = lazy_compile(
    r"(?:[\s,;:/+&(-]+|\s+(?:and|or|with|for|to|of|in|on|the|a|an|by|from|via|as))+$", re.I
)


@dataclass(frozen=True)
class _Words:
    actions: dict[str, str]  # a title's first word(s), lower case → a Chinese verb
    action_re: re.Pattern[str]
    terms: dict[str, str]  # an English domain word or phrase, lower case → its Chinese name
    term_re: re.Pattern[str]
    senses: dict[str, str]  # an action with the words that fix its sense, lower case → the verb of that sense
    sense_re: re.Pattern[str]  # one named group a row, in the table's order (s0, s1, …)


def _alternation(keys: Iterable[str]) -> str:
    """Keys as one regex alternation, longest first ("speed up" before "speed")."""
    return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))


def _sense_pattern(key: str) -> str:
    """A [senses] key as a regex: its words in order, "…" standing for up to four words between them."""
    return r"\s+(?:\S+\s+){0,4}?".join(re.escape(part.strip()) for part in key.split("…"))


@functools.cache
def _words() -> _Words:
    own = toml("analysis/heuristic/zh_words.toml")  # parsed once (common/packaged.py): never changed here
    glossary = toml("search/glossary.toml")
    ignored = {str(w).lower() for w in own["ignore"]["words"]}
    terms: dict[str, str] = {}
    for group in glossary["terms"]:
        chinese = next((str(w) for w in group if _CJK.search(str(w))), None)
        if chinese is None:
            continue
        for word in group:
            key = str(word).lower()
            if not _CJK.search(key) and key not in ignored:
                terms.setdefault(key, chinese)
    terms.update({str(k).lower(): str(v) for k, v in own["terms"].items()})
    actions = {str(k).lower(): str(v) for k, v in own["actions"].items()}
    senses = {str(k).lower(): str(v) for k, v in own["senses"].items()}
    return _Words(
        actions=actions,
        # an action is a word of its own ("bench(moe): …" is a prefix, not the verb "bench")
        action_re=re.compile(rf"^({_alternation(actions)})\s+", re.I),
        terms=terms,
        term_re=re.compile(rf"(?<![\w-])({_alternation(terms)})(?![\w-])", re.I),
        senses=senses,
        sense_re=re.compile(
            "|".join(f"^(?P<s{i}>{_sense_pattern(k)})(?![\\w-])" for i, k in enumerate(senses)), re.I
        ),
    )


def mostly_chinese(text: str) -> bool:
    """More CJK characters than Latin letters, code spans left out."""
    plain = _CODE_SPAN.sub(" ", text)
    return len(_CJK.findall(plain)) >= len(_LATIN.findall(plain))


def unmentioned(text: str) -> str:
    """Text whose "@name" mentions no longer ping anyone."""
    return _MENTION.sub("", text)


def quoted(title: str) -> str:
    """A title as a name in a Chinese sentence: 「…」, its own corner brackets made plain."""
    return "「" + unmentioned(title).replace("「", "“").replace("」", "”").strip() + "」"


def whole_title(subject: str, body: str) -> str:
    """A title GitHub cut with "…" made whole again from the body it continued in ("…rest of the title"),
    else cut before its cut word: a summary never shows half a word."""
    subject = _TRAILING_LABEL.sub("", subject.strip())
    if not subject.endswith(("…", "...")):
        return subject
    head = subject.rstrip(".…")
    first = body.lstrip().split("\n", 1)[0].strip()
    if first.startswith(("…", "...")):
        return head + re.sub(r"\s*\(#\d+\)$", "", first.lstrip(".…"))
    return _DANGLING.sub("", head.rsplit(" ", 1)[0] if " " in head else head)


def lead(subject: str, label: str) -> str:
    """The sentence that says what a commit does, from its title's subject: 修复「…」 when the title starts
    with an action the table knows, else 「label」：「…」; a Chinese title is its own sentence."""
    subject = unmentioned(subject).strip()
    if mostly_chinese(subject):
        return subject
    words = _words()
    action = words.action_re.match(subject)
    if action:
        rest = subject[action.end() :].strip()
        sense = words.sense_re.match(subject)
        verb = list(words.senses.values())[int(sense.lastgroup[1:])] if sense and sense.lastgroup else ""
        if rest:
            return (verb or words.actions[action.group(1).lower()]) + quoted(rest)
    return f"{label}：{quoted(subject)}" if label else quoted(subject)


def topics(*texts: str, limit: int = 4) -> list[str]:
    """The Chinese names of the domain words the texts name, in the order first named, each once."""
    words = _words()
    found: dict[str, None] = {}
    for text in texts:
        for match in words.term_re.finditer(_CODE_SPAN.sub(" ", text)):
            found.setdefault(words.terms[match.group(1).lower()], None)
    return list(found)[:limit]


_SENTENCE_END = lazy_compile(r"(?<=[.!?。！？])\s")
# What a quoted description leaves out: the end of a title GitHub cut (the title says it whole), a template's
# section label before the first words, a "cc:" line naming people.
_CONTINUED = lazy_compile(r"^(?:…|\.\.\.)[^.!?。]*[.!?。]?\s*")
_LEAD_LABEL = lazy_compile(r"^\W*(?:description|motivation|summary|purpose|overview)\s*:\s*", re.I)
_CC_LINE = lazy_compile(r"\s*\bcc\s*:[^.!?。]*[.!?。]?", re.I)


def described(pr: int | None, gist: str) -> str:
    """An English description beside a Chinese summary: quoted as the pull request's own words ("拉取请求的描述
    原文：「…」"), or the commit message's; a gist that was cut ends at its last full sentence."""
    gist = _CC_LINE.sub("", _LEAD_LABEL.sub("", _CONTINUED.sub("", unmentioned(gist).strip()))).strip()
    if gist.endswith(("…", "...")):
        ends = [m.start() for m in _SENTENCE_END.finditer(gist) if m.start() >= len(gist) // 2]
        if ends:  # at its last full sentence, unless that leaves out most of it (then the quote says "…")
            gist = gist[: ends[-1]]
    # (No number: a GitLab merge request is !N, not #N; the report links the request beside the summary.)
    who = "拉取请求的描述原文" if pr is not None else "提交说明原文"
    return f"{who}：{quoted(gist)}。" if gist else ""
