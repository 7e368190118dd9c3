"""The heuristic analyser: the full Analysis record from rules, offline and instant, in zh and en.

Every sentence names something of this commit (its subject, files, modules, symbols, counts), so the
fields read as notes on the commit rather than boilerplate repeated on every block.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from dailydiff.analysis.base import AnalysisRequest
from dailydiff.analysis.heuristic import zh
from dailydiff.analysis.heuristic.body import body_gist
from dailydiff.analysis.heuristic.body import code_span as _code
from dailydiff.analysis.heuristic.phrases import T
from dailydiff.analysis.heuristic.symbols import changed_definitions
from dailydiff.common.i18n import CHANGE_TYPE_LABELS
from dailydiff.common.lazyre import lazy_compile
from dailydiff.models import (
    Analysis,
    AnalysisStatus,
    ChangeType,
    Commit,
    FileStatus,
    Insights,
    Level,
    Overview,
    ReportCommit,
    Score,
)
from dailydiff.scoring.paths import PathKind, classify, module_of
from dailydiff.scoring.rules import (
    PERF_WORDS,
    PathProfile,
    TitleInfo,
    bot_name,
    commit_types,
    find_reverted,
    parse_title,
    profile_paths,
    release_version,
    security_words,
)
from dailydiff.scoring.rules_version import heuristic_fingerprint

_KERNEL_RE = lazy_compile(r"\.(cu|cuh|hip|triton|metal|mlir)$|(^|/)(csrc|kernels?|ops)/|_kernel\.py$", re.I)
_VERSION_FILE_RE = lazy_compile(r"(^|/)(version(\.txt)?|_?version\.py|VERSION)$", re.I)
_GENERIC_PERF_WORDS = {"kernel", "cache", "memory", "batch", "fused", "fuse", "fusion", "overlap"}
_SECURITYISH_PATH = lazy_compile(
    r"(auth|crypto|secret|token|permission|sandbox|security|ssl|tls|password|login)", re.I
)

TYPE_LABELS = CHANGE_TYPE_LABELS


def _file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _common_dir(paths: Sequence[str]) -> str:
    """The deepest directory every path is under ("" when they share none)."""
    parts = [p.split("/")[:-1] for p in paths]
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return "/".join(common)


def _says_something(sentence: str) -> bool:
    """An insight is words about the change, not a list of paths and names: at least as many characters of
    prose (letters; a CJK character, twice as wide, counts twice) as of code spans."""
    prose = sum(1 + bool(_CJK.match(ch)) for ch in _CODE_SPAN.sub("", sentence) if ch.isalpha())
    code = sum(len(m.group(0)) - 2 for m in _CODE_SPAN.finditer(sentence))
    return prose >= code


def _ends(sentence: str, lang: str) -> str:
    """The end a sentence takes: its language's, so a Chinese summary ends an English sentence (a commit's
    title or body) with "." and a Chinese one with "。", never "gemm。Add"."""
    if lang == "zh" and not _CJK.search(_CODE_SPAN.sub("", sentence)):
        return "."
    return str(T[lang]["end"])


_CJK = lazy_compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_CODE_SPAN = lazy_compile(r"`[^`]*`")


def _spaced(sentence: str, lang: str) -> str:
    """A Chinese sentence without the space a phrase puts after a list ("{files} 相关…") when the list ends in
    Chinese ("等 7 项 了解" → "等 7 项了解"); beside a code span the space stays."""
    return re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", sentence) if lang == "zh" else sentence


def _capitalised(subject: str) -> str:
    """ "replace power-of-2 buckets" starts a sentence; "mm_fp4: …" or "topk.py …" stay as written."""
    if re.match(r"[a-z]+\b(?![_./(:])", subject):
        return subject[0].upper() + subject[1:]
    return subject


def _join(items: Sequence[str], lang: str, limit: int = 3) -> str:
    shown = list(items[:limit])
    more = len(items) - len(shown)
    text = T[lang]["list_sep"].join(shown)
    if more > 0:
        text += f" 等 {len(items)} 项" if lang == "zh" else f" and {more} more"
    return text


_PLAIN_BUMP = lazy_compile(r"(?i)(bump|update|set)\s+(the\s+)?version\s+(to\s+)?v?[\w.+-]+")


def _zh_sentences(sentences: Sequence[str]) -> str:
    """Chinese sentences joined: a space after an English sentence, a full one or one cut with "…", as
    after an English full stop; none after a Chinese one."""
    text = sentences[0]
    for previous, sentence in zip(sentences, sentences[1:], strict=False):
        english = text[-1:].isascii() or not _CJK.search(_CODE_SPAN.sub("", previous))
        text += (" " if english else "") + sentence
    return text


_SQUASH_PR = re.compile(r"\(#(\d+)\)\s*$")


@dataclass(frozen=True)
class _Facts:
    """What the rules know about one commit, computed once."""

    commit: Commit
    info: TitleInfo
    profile: PathProfile
    types: list[ChangeType]
    modules: list[tuple[str, int, int, int]]  # (module, files, additions, deletions), most changed first
    added_symbols: list[str]
    removed_symbols: list[str]
    public_symbols: list[tuple[str, str]]  # (symbol, path): new public functions/classes outside tests
    changed_signatures: list[tuple[str, str]]  # (symbol, path): public definitions whose line changed
    release: str | None
    bot: str | None
    content: str  # what the body (or the pull request's) says, template left out

    def body(self, limit: int, paragraphs: int = 0) -> str:
        commit = self.commit
        gist = body_gist(commit.body, limit, title=commit.title, paragraphs=paragraphs)
        if not gist and commit.pr is not None:  # a squash commit without a body: the PR says why
            gist = body_gist(commit.pr.body, limit, title=commit.title, paragraphs=paragraphs)
        return gist

    @property
    def pr_number(self) -> int | None:
        """The pull request the commit came from: its own, else the "(#N)" a squash merge's title ends with."""
        if self.commit.pr is not None:
            return self.commit.pr.number
        found = _SQUASH_PR.search(self.commit.title)
        return int(found[1]) if found else None

    @classmethod
    def of(cls, commit: Commit) -> _Facts:
        info = parse_title(commit.title)
        profile = profile_paths(commit)
        per_module: dict[str, list[int]] = {}
        for change in commit.files:
            if change.generated:
                continue
            entry = per_module.setdefault(module_of(change.path), [0, 0, 0])
            entry[0] += 1
            entry[1] += change.additions
            entry[2] += change.deletions
        modules: list[tuple[str, int, int, int]] = sorted(
            ((m, v[0], v[1], v[2]) for m, v in per_module.items()),
            key=lambda row: (-(row[2] + row[3]), row[0]),
        )
        added, removed, public, resigned = changed_definitions(commit.files)
        moved = set(added) & set(removed)
        facts = cls(
            commit=commit,
            info=info,
            profile=profile,
            types=commit_types(commit, info, profile),
            modules=modules,
            added_symbols=[s for s in dict.fromkeys(added) if s not in moved],
            removed_symbols=[s for s in dict.fromkeys(removed) if s not in moved],
            public_symbols=[(s, p) for s, p in dict.fromkeys(public) if s not in moved],
            changed_signatures=list(dict.fromkeys(resigned)),
            release=release_version(commit),
            bot=bot_name(commit),
            content="",
        )
        return replace(facts, content=facts.body(1000))

    def files_of(self, *kinds: PathKind, status: FileStatus | None = None) -> list[str]:
        wanted = {k.value for k in kinds}
        return [
            f.path
            for f in self.commit.files
            if classify(f.path).value in wanted and (status is None or f.status == status) and not f.generated
        ]

    def top_modules(self, limit: int = 2) -> list[str]:
        return [_code(m) for m, *_ in self.modules[:limit]]


class HeuristicAnalyzer:
    name = "heuristic"

    def fingerprint(self, depth: Level, language: str) -> str:
        return heuristic_fingerprint(depth, language)

    escalates = False  # its importance is the score's level: never above the depth it was given
    is_model = False

    @asynccontextmanager
    async def session(self) -> AsyncIterator[HeuristicSession]:
        yield HeuristicSession(self)

    def analyse(self, commit: Commit, score: Score, depth: Level, language: str) -> Analysis:
        lang = language if language in T else "en"
        facts = _Facts.of(commit)
        fingerprint = self.fingerprint(depth, lang)
        if commit.is_merge:
            return Analysis(
                analyzer=self.name,
                fingerprint=fingerprint,
                depth=Level.LOW,
                change_types=[ChangeType.OTHER],
                importance=Level.LOW,
                importance_reason=T[lang]["merge"].format(n=len(commit.parents)),
                summary=T[lang]["merge"].format(n=len(commit.parents)),
            )
        analysis = Analysis(
            analyzer=self.name,
            fingerprint=fingerprint,
            depth=depth,
            change_types=facts.types,
            importance=score.level,
            importance_reason=self._reason(score, facts, lang),
            summary=self._summary(facts, lang, short=depth is Level.LOW),
            unseen_files=[f.path for f in commit.files if f.patch_missing],
        )
        impact = [
            T[lang]["impact_line"].format(mod=_code(m), n=n, a=a, d=d) for m, n, a, d in facts.modules[:4]
        ]
        if depth is Level.LOW:  # a low commit still says where it lands
            return analysis.model_copy(update={"impact": impact[:2]})
        # Medium commits carry the insights and the risks the evidence supports (a new public API, a
        # kernel change without tests…); high ones every field, with more risks.
        risks = self._risks(facts, lang)
        return analysis.model_copy(
            update={
                "impact": impact,
                "recommendations": self._recommendations(facts, lang),
                # a revert's words and code belong to the change it undoes: no insight drawn from them
                "insights": Insights()
                if ChangeType.REVERT in facts.types
                else insights(facts, lang, generic=depth is Level.HIGH),
                "risks": risks if depth is Level.HIGH else risks[:2],
            }
        )

    # fields ------------------------------------------------------------------------------------

    def _reason(self, score: Score, facts: _Facts, lang: str) -> str:
        t = T[lang]
        phrases: list[str] = []
        ranked = sorted(score.signals.items(), key=lambda kv: -abs(kv[1]))
        for key, _value in ranked[:3]:
            if key.startswith("type:"):
                phrases.append(t["sig"]["type"].format(label=TYPE_LABELS[lang].get(key[5:], key[5:])))
            elif key in t["sig"]:
                phrases.append(
                    t["sig"][key].format(
                        lines=facts.profile.meaningful_lines, files=sum(facts.profile.files.values())
                    )
                )
        return t["reason_level"].format(
            score=score.score, level=t["level"][score.level.value], why=t["list_sep"].join(phrases)
        )

    def _summary(self, facts: _Facts, lang: str, *, short: bool) -> str:
        t = T[lang]
        commit = facts.commit
        subject = self._subject(facts, lang)
        body = facts.body(200 if short else 400)
        if lang == "zh":
            subject, body = _zh_said(facts, subject, body, 200 if short else 400)
        sentences = [subject + _ends(subject, lang)] if subject.strip() else []  # an empty message: no "."
        if facts.bot:
            sentences.append(t["bot"].format(bot=facts.bot))
        if body:
            # A body cut short or written without a full stop still ends as a sentence of its language.
            sentences.append(body if body[-1] in ".!?。！？…" else body + _ends(body, lang))
        if commit.stats.files:
            sentences.append(_figures(facts, lang, short))
        return " ".join(sentences) if lang == "en" else _zh_sentences(sentences)

    def _subject(self, facts: _Facts, lang: str) -> str:
        """The title as the summary's first sentence: a revert's or a release's phrase, in Chinese the
        title's action and what it names, in English the title capitalised."""
        t = T[lang]
        subject = facts.info.subject.rstrip(".。")
        if ChangeType.REVERT in facts.types:
            return str(t["revert"].format(subject=subject))
        if facts.release:
            plain_bump = _PLAIN_BUMP.fullmatch(subject)
            return str(
                t["release_only" if plain_bump else "release"].format(version=facts.release, subject=subject)
            )
        if lang == "zh":
            # Said in Chinese: the title's action and what it names; the English title quoted as a name.
            return zh.lead(zh.whole_title(subject, facts.commit.body), self._type_label(facts, lang))
        return _capitalised(subject)

    @staticmethod
    def _type_label(facts: _Facts, lang: str) -> str:
        """The label of the commit's first change type other than "other" ("" when it has none)."""
        kinds = [ct.value for ct in facts.types if ct is not ChangeType.OTHER]
        return TYPE_LABELS[lang].get(kinds[0], "") if kinds else ""

    def _risks(self, facts: _Facts, lang: str) -> list[str]:
        return [_spaced(risk, lang) for risk, _ in risk_items(facts, lang) if risk][:4]

    def _recommendations(self, facts: _Facts, lang: str) -> list[str]:
        recs = [rec for _, rec in risk_items(facts, lang) if rec]
        for kind, key, name, shown in _RECOMMENDED:
            if kind in facts.types and (said := shown(facts, lang)):
                recs.append(T[lang][key].format(**{name: said}))
        return list(dict.fromkeys(_spaced(rec, lang) for rec in recs))[:4]

    # overview ----------------------------------------------------------------------------------

    def overview(self, commits: Sequence[ReportCommit], language: str) -> Overview:
        return heuristic_overview(commits, language)


def _zh_said(facts: _Facts, subject: str, body: str, limit: int) -> tuple[str, str]:
    """The Chinese summary's subject, with what the title names (the description is quoted below: a topic it
    names in passing is not one), and its body: an English description carries the facts the English summary
    has, its first paragraph quoted as the pull request's (or the commit message's) own words."""
    t = T["zh"]
    named = zh.topics(facts.info.scope, facts.info.subject)
    if named:
        shown = t["list_sep"].join(named)
        subject += t["topics"].format(topics=(" " if shown[0].isascii() else "") + shown)
    if body and not zh.mostly_chinese(body):
        first = facts.body(limit, paragraphs=1)  # a first line alone ("Follow-up to #3980.") says little
        body = zh.described(facts.pr_number, first if len(first) >= 80 else facts.body(limit, paragraphs=2))
    return subject, body


def _figures(facts: _Facts, lang: str, short: bool) -> str:
    """The summary's sentence of figures: files and lines, where, and what the parts say."""
    t, stats = T[lang], facts.commit.stats
    parts = [t["files"].format(n=stats.files, a=stats.additions, d=stats.deletions)]
    if facts.modules:
        parts[0] += t["in"].format(mods=_join(facts.top_modules(3 if not short else 2), lang))
    parts += [said for part in (SHORT_PARTS if short else PARTS) if (said := part(facts, lang)) is not None]
    return t["sep"].join(parts) + t["end"]


def _modules_said(facts: _Facts, lang: str) -> str:
    return _join(facts.top_modules(2), lang) if facts.modules else ""


def _added_said(facts: _Facts, lang: str) -> str:
    added = [_code(f.path) for f in facts.commit.files if f.status is FileStatus.ADDED and not f.generated]
    return _join(added, lang, 2) if added else ""


def _docs_said(facts: _Facts, lang: str) -> str:
    docs = facts.files_of(PathKind.DOCS)
    return _join([_code(p) for p in docs], lang, 2) if docs else ""


def _removed_said(facts: _Facts, lang: str) -> str:
    return _join([_code(s) for s in facts.removed_symbols], lang, 3) if facts.removed_symbols else ""


# A recommendation per kind of change: its words, the name they fill and what fills it (none: not made).
_RECOMMENDED: tuple[tuple[ChangeType, str, str, Callable[[_Facts, str], str]], ...] = (
    (ChangeType.PERFORMANCE, "rec_perf", "mods", _modules_said),
    (ChangeType.FEATURE, "rec_feature", "files", _added_said),
    (ChangeType.BUGFIX, "rec_bugfix", "mods", _modules_said),
    (ChangeType.DOCS, "rec_docs", "files", _docs_said),
    (ChangeType.REFACTOR, "rec_refactor", "syms", _removed_said),
)


class HeuristicSession:
    """The rules need no client and make no request: a session is the analyser itself, awaited."""

    in_flight = 0
    capacity: int | None = None

    def __init__(self, analyzer: HeuristicAnalyzer) -> None:
        self.analyzer = analyzer

    async def analyse(self, request: AnalysisRequest, language: str) -> Analysis:
        return self.analyzer.analyse(request.commit, request.score, request.depth, language)

    async def overview(self, commits: Sequence[ReportCommit], language: str) -> Overview:
        return heuristic_overview(commits, language)

    def expect(self, language: str) -> None:
        return None


_MARKS = {"high": "🔴", "medium": "🟡", "low": "🟢"}


def heuristic_overview(commits: Sequence[ReportCommit], language: str) -> Overview:
    lang = language if language in T else "en"
    if not commits:
        return Overview(highlights=[], themes=[T[lang]["ov_empty"]], producer="heuristic")
    return Overview(
        highlights=_highlights(commits, lang), themes=_themes(commits, lang), producer="heuristic"
    )


def _revert_pairs(commits: Sequence[ReportCommit]) -> dict[str, Commit]:
    """Either sha of a change and its revert on the same day -> the commit that was reverted."""
    pairs: dict[str, Commit] = {}
    for rc in commits:
        reverted = find_reverted(rc, commits)
        if reverted is not None:
            pairs[rc.sha] = pairs[reverted.sha] = reverted
    return pairs


def _highlights(commits: Sequence[ReportCommit], lang: str) -> list[str]:
    """The day's most important commits (five at most, three when they are low); a change added and
    reverted the same day is one highlight (at the rank of its better half), not two."""
    ranked = sorted(
        (rc for rc in commits if not rc.is_merge),
        key=lambda rc: (-rc.level.rank, -rc.score.score, rc.committed_at),
    )
    highlights: list[str] = []
    pairs = _revert_pairs(commits)
    shown: set[str] = set()
    for rc in ranked:
        if len(highlights) >= 5 or (rc.level is Level.LOW and len(highlights) >= 3):
            # the commits as important as the last one shown, counted: a reader knows the five are not all
            more = sum(
                other.level is rc.level and other.sha not in pairs for other in ranked[ranked.index(rc) :]
            )
            if more and rc.level is not Level.LOW:
                highlights.append(f"{_MARKS[rc.level.value]} … {T[lang]['ov_more'].format(n=more)}")
            break
        undone = pairs.get(rc.sha)
        if undone is None:
            highlights.append(_highlight(rc, lang))
        elif undone.sha not in shown:
            shown.add(undone.sha)
            title = _capitalised(parse_title(undone.title).subject)
            highlights.append(f"{_MARKS[rc.level.value]} ↩️ {T[lang]['ov_reverted'].format(title=title)}")
    return highlights


def _highlight(rc: ReportCommit, lang: str) -> str:
    types = rc.analysis.change_types if rc.analysis else []
    label = "/".join(TYPE_LABELS[lang][ct.value] for ct in types[:2])
    return f"{_MARKS[rc.level.value]} {label + ' · ' if label else ''}{_capitalised(parse_title(rc.title).subject)}"


def _themes(commits: Sequence[ReportCommit], lang: str) -> list[str]:
    """The change types, areas, title tags and authors of the day, each counted. (The day's counts by
    importance are the statistics line every edition shows: not a theme again.)"""
    t = T[lang]
    type_counts: Counter[str] = Counter()
    module_lines: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    authors: Counter[str] = Counter(rc.author.name for rc in commits)
    for rc in commits:
        if rc.is_merge:
            continue
        type_counts.update(
            TYPE_LABELS[lang][ct.value] for ct in (rc.analysis.change_types if rc.analysis else [])
        )
        for change in rc.files:
            if not change.generated:
                module_lines[module_of(change.path)] += change.additions + change.deletions
        tags.update(parse_title(rc.title).tags)
    sep = t["list_sep"]
    shown = {
        "ov_types": sep.join(f"{k} ×{v}" for k, v in type_counts.most_common(5)),
        "ov_areas": sep.join(_code(m) for m, _ in module_lines.most_common(4)),
        "ov_tags": sep.join(f"[{k}] ×{v}" for k, v in tags.most_common(5)),
    }
    counted = (
        ("ov_types", "types", type_counts),
        ("ov_areas", "mods", module_lines),
        ("ov_tags", "tags", tags),
    )
    themes = [t[key].format(**{field: shown[key]}) for key, field, counts in counted if counts]
    names = sep.join(f"{name} ({n})" for name, n in authors.most_common(3))
    themes.append(t["ov_contributors"].format(n=len(authors), names=names))
    return themes


def fallback_analysis(
    heuristic: HeuristicAnalyzer, commit: Commit, score: Score, depth: Level, language: str, error: str
) -> Analysis:
    """The heuristic analysis standing in for a failed one, marked as a fallback with the error kept."""
    analysis = heuristic.analyse(commit, score, depth, language)
    return analysis.model_copy(update={"status": AnalysisStatus.FALLBACK, "error": error})


# ---- the summary's parts after the file counts: a table of rules, read in order ----------------------------

Part = Callable[["_Facts", str], "str | None"]


def _api_first(name: str) -> int:
    """A name's place in a list of new names: the API a change adds first, then its helpers, then tests."""
    return 2 if name.lower().startswith("test") or name.startswith("__") else 1 if name.startswith("_") else 0


def _symbols_part(key: str, field: str, limit: int) -> Part:
    """Definitions added or removed (``field`` of the facts), at most ``limit`` named."""

    def part(facts: _Facts, lang: str) -> str | None:
        symbols: list[str] = sorted(getattr(facts, field), key=_api_first)
        return (
            str(T[lang][key].format(syms=_join([_code(s) for s in symbols], lang, limit)))
            if symbols
            else None
        )

    return part


def _part_new_files(facts: _Facts, lang: str) -> str | None:
    """New files, when no definition was named (the definitions say more)."""
    new_files = [f.path for f in facts.commit.files if f.status is FileStatus.ADDED and not f.generated]
    if not new_files or facts.added_symbols:
        return None
    return str(T[lang]["new_files"].format(files=_join([_code(p) for p in new_files], lang)))


def _part_removed_files(facts: _Facts, lang: str) -> str | None:
    removed = [f.path for f in facts.commit.files if f.status is FileStatus.REMOVED]
    return (
        str(T[lang]["removed_files"].format(files=_join([_code(p) for p in removed], lang)))
        if removed
        else None
    )


def _part_renamed(facts: _Facts, lang: str) -> str | None:
    renamed = sum(1 for f in facts.commit.files if f.status is FileStatus.RENAMED)
    return str(T[lang]["renamed"].format(n=renamed)) if renamed >= 2 else None


def _part_binary(facts: _Facts, lang: str) -> str | None:
    binary = sum(1 for f in facts.commit.files if f.binary)
    return str(T[lang]["binary"].format(n=binary)) if binary else None


# A medium or high commit's summary names what it added, removed, renamed; a low one its new definitions.
PARTS: tuple[Part, ...] = (
    _symbols_part("added_syms", "added_symbols", 4),
    _symbols_part("removed_syms", "removed_symbols", 4),
    _part_new_files,
    _part_removed_files,
    _part_renamed,
    _part_binary,
)
SHORT_PARTS: tuple[Part, ...] = (_symbols_part("added_syms", "added_symbols", 2),)


# ---- insights and risks: each a table of rules, read in order --------------------------------------------
# A rule reads the commit's facts and says one sentence (an insight) or one (risk, recommendation) pair, or
# None. A new finding is a row: a rule function and its place in the table.

Rule = Callable[["_Facts", str], "str | None"]


def _arch_named(field: str, key: str, limit: int) -> Rule:
    """Definitions (``field`` of the facts: (symbol, path) pairs), ``limit`` of them named, and their files."""

    def rule(facts: _Facts, lang: str) -> str | None:
        named: list[tuple[str, str]] = getattr(facts, field)
        if not named:
            return None
        paths = list(dict.fromkeys(p for _, p in named))
        return T[lang][key].format(
            n=len(named),
            syms=_join([_code(s) for s, _ in named], lang, limit),
            files=_join([_code(_file_name(p)) for p in paths], lang, 2),
        )

    return rule


def _arch_new(facts: _Facts, lang: str) -> str | None:
    """New modules the public API has not named already, by their file names: where they sit is said once
    (a list of full paths is no insight)."""
    named = {p for _, p in facts.public_symbols}
    new_sources = [p for p in facts.profile.added_modules if p not in named]
    if not new_sources:
        return None
    where = _common_dir(new_sources)
    return T[lang]["arch_new"].format(
        n=len(new_sources),
        files=_join([_code(_file_name(p)) for p in new_sources], lang, 2),
        mod=_code(where) if where else facts.top_modules(1)[0],
    )


def _arch_removed(facts: _Facts, lang: str) -> str | None:
    removed = facts.files_of(PathKind.SOURCE, status=FileStatus.REMOVED)
    if not removed:
        return None
    return T[lang]["arch_removed"].format(
        n=len(removed), files=_join([_code(_file_name(p)) for p in removed], lang, 2)
    )


def _arch_renamed(facts: _Facts, lang: str) -> str | None:
    renamed = [f for f in facts.commit.files if f.status is FileStatus.RENAMED]
    if len(renamed) < 2:
        return None
    example = f"{_code(renamed[0].previous_path or '')} → {_code(renamed[0].path)}"
    return T[lang]["arch_renamed"].format(n=len(renamed), example=example)


# (Public interface or configuration files that change are a risk, said there with its advice: an insight
# that only listed them again would say nothing.)
ARCHITECTURE: tuple[Rule, ...] = (
    _arch_named("public_symbols", "arch_public", 2),
    _arch_new,
    _arch_removed,
    _arch_renamed,
    _arch_named("changed_signatures", "arch_signature", 3),
)


def _arch_refactor(facts: _Facts, lang: str) -> str | None:
    """A refactor that showed nothing above: the modules it moved (a generic insight)."""
    if ChangeType.REFACTOR not in facts.types or not facts.modules:
        return None
    return T[lang]["arch_refactor"].format(mods=_join(facts.top_modules(3), lang))


def _performance(facts: _Facts, lang: str) -> str | None:
    """Evidence is what the title and the body's content say, never the template around it; words such as
    "kernel" or "cache" only count for a change typed as performance."""
    commit = facts.commit
    words = sorted(
        {
            w.lower()
            for w in PERF_WORDS.findall(f"{commit.title}\n{facts.content}")
            for w in [w if isinstance(w, str) else w[0]]
        }
    )
    if ChangeType.PERFORMANCE not in facts.types:
        words = [w for w in words if w not in _GENERIC_PERF_WORDS]
    if not ((ChangeType.PERFORMANCE in facts.types or words) and facts.modules and not facts.release):
        return None
    shown = _join([_code(w) for w in words], lang, 4) if words else TYPE_LABELS[lang]["performance"]
    return T[lang]["perf"].format(words=shown, mods=_join(facts.top_modules(2), lang))


def _security(facts: _Facts, lang: str) -> str | None:
    commit = facts.commit
    matched = security_words(f"{commit.title}\n{facts.content}")
    if matched:
        return T[lang]["sec"].format(what=_join([_code(w) for w in matched], lang))
    sensitive = [f.path for f in commit.files if _SECURITYISH_PATH.search(f.path) and not f.generated]
    return T[lang]["sec_path"].format(files=_join([_code(p) for p in sensitive], lang)) if sensitive else None


def insights(facts: _Facts, lang: str, *, generic: bool = True) -> Insights:
    """What the diff shows about architecture, performance and security: the architecture rules' sentences
    (or, with ``generic``, a refactor's modules when none spoke), the performance and the security rule's;
    without ``generic`` only what names a concrete piece of evidence (a new public API, new modules, words in
    the message)."""
    arch = [said for rule in ARCHITECTURE if (said := rule(facts, lang)) is not None]
    if generic and not arch:
        refactor = _arch_refactor(facts, lang)
        arch += [refactor] if refactor is not None else []
    arch = [sentence for sentence in arch if _says_something(sentence)]
    return Insights(
        architecture=T[lang]["sep"].join(arch),
        performance=_performance(facts, lang) or "",
        security=_security(facts, lang) or "",
    )


RiskRule = Callable[["_Facts", str], "tuple[str, str] | None"]


def _files(paths: Sequence[str], lang: str) -> str:
    return _join([_code(p) for p in paths], lang, 2)


def _risk_release(facts: _Facts, lang: str) -> tuple[str, str] | None:
    return ("", T[lang]["rec_release"].format(version=facts.release)) if facts.release else None


def _risk_revert(facts: _Facts, lang: str) -> tuple[str, str] | None:
    return (T[lang]["risk_revert"], T[lang]["rec_revert"]) if ChangeType.REVERT in facts.types else None


def _risk_breaking(facts: _Facts, lang: str) -> tuple[str, str] | None:
    if not facts.info.breaking:
        return None
    commit = facts.commit
    files = facts.profile.public_api or [commit.files[0].path] if commit.files else ["?"]
    return T[lang]["risk_breaking"], T[lang]["rec_api"].format(files=_files(files, lang))


def _risk_of_files(files_of: Callable[[_Facts], list[str]], risk: str, rec: str) -> RiskRule:
    """Files of a kind changed (dependencies, the public API, CI, configuration): the risk and the advice
    name them."""

    def rule(facts: _Facts, lang: str) -> tuple[str, str] | None:
        files = files_of(facts)
        if not files:
            return None
        return T[lang][risk].format(files=_files(files, lang)), T[lang][rec].format(files=_files(files, lang))

    return rule


def _risk_untested(facts: _Facts, lang: str) -> tuple[str, str] | None:
    """Kernels changed without a test (or, without kernels, more than 30 source lines)."""
    t = T[lang]
    if facts.profile.files.get("test"):
        return None
    kernels = [f.path for f in facts.commit.files if _KERNEL_RE.search(f.path) and not f.generated]
    kernels = [p for p in kernels if classify(p) is PathKind.SOURCE]
    if kernels:
        return t["risk_kernel_notest"].format(files=_files(kernels, lang)), t["rec_kernel"].format(
            files=_files(kernels, lang)
        )
    source_lines = facts.profile.lines.get("source", 0)
    if source_lines > 30:
        return t["risk_notest"].format(n=source_lines), t["rec_notest"].format(
            mods=_join(facts.top_modules(2), lang)
        )
    return None


def _risk_deleted(facts: _Facts, lang: str) -> tuple[str, str] | None:
    t = T[lang]
    commit = facts.commit
    removed_files = [f.path for f in commit.files if f.status is FileStatus.REMOVED and not f.generated]
    if not (commit.stats.deletions > 200 or removed_files):
        return None
    part = t["risk_delete_files"].format(n=len(removed_files)) if removed_files else ""
    rec = (
        t["rec_delete"].format(syms=_join([_code(s) for s in facts.removed_symbols], lang, 4))
        if facts.removed_symbols
        else t["rec_delete_generic"].format(
            files=_files(removed_files or [m for m, *_ in facts.modules[:2]], lang)
        )
    )
    return t["risk_delete"].format(d=commit.stats.deletions, files_part=part), rec


def _ci_files(facts: _Facts) -> list[str]:
    """CI and build files (a release's version file is the release, not a CI risk)."""
    ci_and_build = facts.files_of(PathKind.CI, PathKind.BUILD)
    return [p for p in ci_and_build if not (facts.release and _VERSION_FILE_RE.search(p))]


def _risk_binary(facts: _Facts, lang: str) -> tuple[str, str] | None:
    binary = sum(1 for f in facts.commit.files if f.binary)
    return (T[lang]["risk_binary"].format(n=binary), "") if binary else None


def _risk_truncated(facts: _Facts, lang: str) -> tuple[str, str] | None:
    truncated = [f.path for f in facts.commit.files if f.patch_truncated]
    return (T[lang]["risk_truncated"].format(files=_files(truncated, lang)), "") if truncated else None


# The risks, most important first (a release's advice leads).
RISKS: tuple[RiskRule, ...] = (
    _risk_release,
    _risk_revert,
    _risk_breaking,
    _risk_of_files(lambda facts: facts.files_of(PathKind.DEPENDENCY), "risk_deps", "rec_deps"),
    _risk_of_files(lambda facts: facts.profile.public_api, "risk_api", "rec_api"),
    _risk_untested,
    _risk_deleted,
    _risk_of_files(_ci_files, "risk_ci", "rec_ci"),
    _risk_of_files(lambda facts: facts.files_of(PathKind.CONFIG), "risk_config", "rec_api"),
    _risk_binary,
    _risk_truncated,
)


def risk_items(facts: _Facts, lang: str) -> list[tuple[str, str]]:
    """(risk, recommendation) pairs, most important first: every rule of ``RISKS`` that finds one."""
    return [found for rule in RISKS if (found := rule(facts, lang)) is not None]
