"""Rule-based scoring: every commit gets a score, a level and the reasons, before any analysis.

Pure functions. The title is read the way busy projects write it: conventional commits
(``fix(quantization): …``), bracket tags (``[Bugfix]``, ``[Doc]``, ``[CI]``, ``[NPU]``), ``Revert "…"``
and plain imperative titles (``Support …``, ``Fix …``). Weights live in ``[scoring]``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from dailydiff.common.lazyre import lazy_compile
from dailydiff.models import ChangeType, Commit, Level, Score
from dailydiff.scoring.paths import PathKind, classify

if TYPE_CHECKING:  # (the rules' worker process reads no settings: it is handed the score)
    from dailydiff.settings import ScoringSettings

_CONVENTIONAL_RE = lazy_compile(r"^\s*(?P<type>[A-Za-z]+)(?:\s?\((?P<scope>[^)]*)\))?(?P<bang>!)?\s*:\s*")
_BRACKET_RE = lazy_compile(r"^\s*\[(?P<tag>[^\]\n]{1,40})\]\s*:?\s*")
_SERIES_STEP_RE = lazy_compile(r"^\s*\d+\s*/\s*(?:\d+|n)\s+(?=\w)", re.I)
# git's `Revert "…"`; a Conventional Commits `revert(scope):` is a prefix like any other (parse_title)
_REVERT_RE = lazy_compile(r'^\s*revert\b(?!\s*(?:\([^)]*\))?!?\s*:)\s*"?', re.I)
_PR_RE = lazy_compile(r"\(#(\d+)\)\s*$")

CONVENTIONAL_TYPES: dict[str, str] = {
    "feat": "feature", "feature": "feature", "add": "feature", "new": "feature",
    "fix": "bugfix", "bugfix": "bugfix", "hotfix": "bugfix", "bug": "bugfix",
    "perf": "performance", "performance": "performance", "opt": "performance", "optim": "performance",
    "refactor": "refactor", "refact": "refactor", "cleanup": "refactor", "clean": "refactor", "style": "chore",
    "docs": "docs", "doc": "docs", "documentation": "docs",
    "test": "test", "tests": "test", "testing": "test",
    "ci": "ci_build", "build": "ci_build", "release": "ci_build",
    "chore": "chore", "misc": "chore",
    "deps": "dependency", "dep": "dependency", "dependencies": "dependency",
    "revert": "revert", "security": "security", "sec": "security", "config": "config", "conf": "config",
}  # fmt: skip
_TAG_TYPES: dict[str, str] = {
    "bugfix": "bugfix", "fix": "bugfix", "bug": "bugfix", "hotfix": "bugfix", "bug fix": "bugfix",
    "doc": "docs", "docs": "docs", "documentation": "docs", "readme": "docs",
    "ci": "ci_build", "ci/cd": "ci_build", "build": "ci_build", "ci_build": "ci_build", "release": "ci_build",
    "docker": "ci_build", "ci fix": "ci_build", "nightly": "ci_build",
    "feature": "feature", "feat": "feature", "new model": "feature", "model": "feature", "new": "feature",
    "perf": "performance", "performance": "performance", "optimization": "performance", "opt": "performance",
    "speedup": "performance",
    "refactor": "refactor", "refactoring": "refactor", "cleanup": "refactor", "code cleanup": "refactor",
    "minor": "chore", "chore": "chore", "misc": "chore", "style": "chore", "lint": "chore", "typo": "chore",
    "test": "test", "tests": "test", "testing": "test", "unittest": "test",
    "security": "security", "revert": "revert", "deps": "dependency", "dependency": "dependency",
    "dependencies": "dependency", "config": "config", "auto sync": "chore",
}  # fmt: skip
# Words anywhere in a title, by the kind of change they announce. "Strong" words decide a title's primary
# type; "weak" ones only add a secondary type: on the sglang dev set a model calls "Use X for Y",
# "Migrate …", "Fuse …" or "[CI] …" a feature far more often than a refactor, performance or CI change.
_KEYWORDS: list[tuple[str, bool, re.Pattern[str]]] = [
    (kind, strong, lazy_compile(pattern, re.I))
    for kind, strong, pattern in [
        ("revert", True, r"\b(revert(s|ed)?|roll ?back)\b"),
        (
            "bugfix",
            True,
            r"\b(fix(es|ed|ing)?|bug(s|fix)?|hotfix|correct(s|ed|ly|ness)?|resolve[sd]?|repair\w*|mismatch\w*|"
            r"nan|crash\w*|wrong|broken|regression|incorrect|overflow\w*|underflow\w*|race condition|leak\w*|"
            r"oom|deadlock\w*|hang\w*|segfault|typo)\b",
        ),
        (
            "performance",
            True,
            r"\b(optimi[sz]\w*|speed\s?up\w*|faster|accelerat\w*|perf|performance|boost\w*)\b",
        ),
        (
            "refactor",
            True,
            r"\b(refactor\w*|clean\w*|dead code|duplicat\w*|deduplicat\w*|move[sd]?|renam\w*|extract\w*|"
            r"reorgani[sz]\w*|restructur\w*|rework|tidy|remove[sd]?|delete[sd]?)\b",
        ),
        (
            "feature",
            True,
            r"\b(add(s|ed|ing)?|support(s|ed|ing)?|implement\w*|introduc\w*|enabl\w*|allow\w*|new|"
            r"enhanc\w*|apply|adapt|inclusion|evict\w*|expose[sd]?|endpoint|initial|feature|integrat\w*)\b",
        ),
        ("docs", True, r"\b(docs?|documentation|readme|docstrings?)\b"),
        (
            "dependency",
            False,
            r"\b(bump(s|ed)?|upgrade[sd]?|pin(ned|ning)?|crates?|requirements?|dependenc(y|ies)|deps)\b",
        ),
        (
            "refactor",
            False,
            r"\b(drop(s|ped)?|migrat\w*|split|unif\w*|simplif\w*|replace[sd]?|instead|redundant|useless|"
            r"mixin|abstraction|use|make)\b",
        ),
        (
            "performance",
            False,
            r"\b(overhead|latency|throughput|fuse[sd]?|fusion|overlap\w*|cuda ?graph)\b",
        ),
        (
            "bugfix",
            False,
            r"\b(avoid|prevent|restore[sd]?|preserve[sd]?|respect|guard)\b",
        ),
        (
            "config",
            False,
            r"\b(config\w*|timeouts?|trigger\w*|permissions?|codeowners|defaults?|partitions?|"
            r"disable[sd]?|turn (on|off)|settings?|env(ironment)? var\w*|flags?|pyproject)\b",
        ),
        ("test", False, r"\b(tests?|unit ?tests?|ut|e2e|test suites?|testcases?|flaky)\b"),
        ("ci_build", False, r"\b(ci|nightly|build|wheels?|release|docker\w*|workflows?|github actions?)\b"),
        ("docs", False, r"\b(typos?|comments?)\b"),
    ]
]
_SOFT_PREFIX_RE = lazy_compile(r"^(tiny|minor|small|quick|trivial|wip|misc)\b[\s:,-]*", re.I)


def _keyword_hits(subject: str) -> list[tuple[int, bool, str]]:
    text = _SOFT_PREFIX_RE.sub("", subject)
    found: dict[str, tuple[int, bool, str]] = {}
    for kind, strong, pattern in _KEYWORDS:
        match = pattern.search(text)
        if match:
            hit = (match.start(), strong, kind)
            old = found.get(kind)
            if old is None or (strong and not old[1]) or (strong == old[1] and hit[0] < old[0]):
                found[kind] = hit
    return sorted(found.values())


def keyword_types(subject: str) -> list[str]:
    """Kinds of change announced by words in a title: the first strong one first, then the rest in the
    order they appear ("Fix flaky test" is a bug fix first and a test change second)."""
    hits = _keyword_hits(subject)
    strong = [kind for _, is_strong, kind in hits if is_strong]
    rest = [kind for _, _, kind in hits if kind not in strong[:1]]
    return strong[:1] + rest


def has_strong_keyword(subject: str) -> bool:
    return any(strong for _, strong, _ in _keyword_hits(subject))


PERF_WORDS = lazy_compile(
    r"\b(perf|performance|optimi[sz]\w*|speed\s?up|faster|latency|throughput|fused?|fusion|kernel|cuda graph|"
    r"overlap|cache|memory|tflops|batch)\b",
    re.I,
)
# Security, not correctness: "overflow"/"underflow" are numeric bugs and stay out of this list. An
# injection is one of an attacker's (SQL, a command, a prompt…), not a fault, cache or dependency
# injection; sanitizing is of what an attacker sends (input, HTML, paths…), not a sanitizer's run.
# (The look-ahead names every first letter of the words below — a word with another one must add it: re
# then skips the other positions at once instead of trying each word there; twice as fast on long
# pull-request bodies, the same matches.)
SECURITY_WORDS = lazy_compile(
    r"(?=[cgvsxrenphltoiuad])"
    r"\b(cve-\d{4}-\d{4,}|cve-\d+|ghsa-[\w-]+|vulnerab\w*|security|xss|csrf|ssrf|rce|exploit\w*|"
    r"(?:sql|nosql|command|code|shell|prompt|script|html|header|ldap|xml|xpath|template|crlf|log|os) injection|"
    r"(?:input|html|url|path|user[\w-]*) sanitiz\w*|"
    r"sanitiz\w* (?:of )?(?:the )?(?:user[\w-]*|untrusted|external|input|html|urls?|paths?|file ?names?|"
    r"headers?|quer(?:y|ies))|"
    r"escap(e|ing) (html|sql)|auth(entication|orization)? bypass|privilege escalation|secrets? leak\w*|"
    r"credentials? leak\w*|token leak\w*|dos attack|denial of service|path traversal)\b",
    re.I,
)
# Memory and undefined-behaviour checkers are debugging tools, not security news: NVIDIA's
# compute-sanitizer, Clang's AddressSanitizer/UBSan/TSan… are taken out of the text before looking.
_SANITIZER_TOOLS = lazy_compile(
    r"\b[\w-]*-sanitizers?\b|\b(address|thread|memory|leak|undefined[ -]?behaviou?r|kernel|hwaddress|ub|compute|"
    r"numerical|type)[ -]?sanitizers?\b|\b\w+sanitizers?\b|\b(k|hwa|a|ub|t|m|l)san\b|-fsanitize=[\w,-]+",
    re.I,
)


def _count(number: int, noun: str) -> str:
    """ "1 file", "2 files": a rule's detail as `report --explain` prints it."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


_SAN = lazy_compile("san", re.I)  # in every sanitizer tool's name: a text without it has none to take out
# The security words looked for in the lower-cased text, case-sensitively: the same matches, twice as fast
# (a case-blind alternative is tried whole at every word start; a case-sensitive one is left at its first
# letter). It holds unless the text has a character that lower-cases to more than one, or that a case-blind
# match takes for an ASCII letter (the Kelvin sign, the long s, the dotted and dotless i): then the
# case-blind pattern reads the text itself (tests/test_scoring_security_words.py).
_SECURITY_WORDS_LOWER = lazy_compile(SECURITY_WORDS.pattern)
_FOLDS = lazy_compile("[\u0130\u0131\u017f\u212a]")


def security_words(text: str) -> list[str]:
    """The security words of a commit's text (lower case, sorted), sanitizer tool names left out."""
    if _SAN.search(text):  # (the tools' pattern tries a word at every word start: milliseconds a commit)
        text = _SANITIZER_TOOLS.sub(" ", text)
    if _FOLDS.search(text):
        return sorted({m.group(0).lower() for m in SECURITY_WORDS.finditer(text)})
    return sorted({m.group(0) for m in _SECURITY_WORDS_LOWER.finditer(text.lower())})


_BREAKING_FOOTER_RE = lazy_compile(r"^BREAKING[ -]CHANGE:", re.M)
_PUBLIC_API_RE = lazy_compile(
    r"(^|/)(__init__\.py|api/|apis/|public/|include/|cli\.py|cli/|entrypoints?/|server_args\.py|openai_api|"
    r"protocol\.py|config\.py|configs?/|schema)|\.proto$|\.pyi$|\.h$|\.hpp$",
    re.I,
)
HARDWARE_TAGS = {
    "npu", "amd", "rocm", "cpu", "tpu", "xpu", "hpu", "gpu", "cuda", "intel", "nvidia", "ascend", "mlu",
    "musa", "hip", "metal", "mps", "gaudi", "b200", "h100", "h200", "blackwell", "hopper", "sm100", "sm90",
}  # fmt: skip
_VERSION = r"v?(?P<version>\d+(?:\.\d+){1,3}(?:[-.+]?(?:post|rc|dev|alpha|beta|a|b)\d*)?(?:\.post\d+)?)"
_RELEASE_RES = [
    lazy_compile(p, re.I)
    for p in [
        rf"^(?:chore(?:\([\w-]*\))?:\s*)?(?:bump|update|set|increase|upgrade)\s+(?:the\s+)?(?:package\s+|project\s+)?"
        rf"version(?:\s+number)?\s*(?:to|=|->|→)?\s*{_VERSION}\b",
        rf"^(?:chore(?:\([\w-]*\))?:\s*)?(?:release|releasing|prepare(?: for)? release|prep release|cut release|"
        rf"version)\s*:?\s*{_VERSION}\b",
        rf"^(?:bump\s+(?:to\s+)?){_VERSION}$",
        rf"^{_VERSION}$",
    ]
]
# "bump sgl-kernel version to 0.3.21": a named package's version — the project's own when the name is
# the repository's (or starts with it), a dependency otherwise.
_NAMED_VERSION_RE = lazy_compile(
    rf"^(?:chore(?:\([\w-]*\))?:\s*)?(?:bump|update|upgrade|set)\s+(?P<name>[\w.-]+)\s+(?:version\s+)?"
    rf"(?:to|=|->|→)\s*{_VERSION}\b",
    re.I,
)
_DEPENDENCY_UPDATE_RE = lazy_compile(
    r"^(?:chore|build|fix)?(?:\((?:deps|deps-dev|dependencies)\))?:?\s*(?:bump|update|upgrade)\s+(?:dependency\s+)?"
    r"[@\w./-]+\s+(?:version\s+)?(?:from\s+\S+\s+)?to\s+v?\d|^\[pre-commit\.ci\]|pre-commit autoupdate|"
    r"^update dependency\b|^lock file maintenance",
    re.I,
)
_BOT_RE = lazy_compile(
    r"\[bot\]$|^(dependabot|renovate|pre-commit-ci|github-actions|mergify|copybara|allcontributors)(-bot)?$",
    re.I,
)
_REVERTS_SHA_RE = lazy_compile(r"This reverts commit ([0-9a-f]{7,40})", re.I)
_REVERTS_PR_RE = lazy_compile(
    r"(?:^|\s)Reverts? (?:[\w.-]+/[\w.-]+)?#(\d+)|^Revert (?:PR|pull request) #?(\d+)", re.I
)


@dataclass(frozen=True)
class TitleInfo:
    """What a title says: its kinds of change, the area tags and the title without its prefixes."""

    types: list[str] = field(default_factory=list)  # from prefixes and tags: ChangeType values or "chore"
    tags: list[str] = field(default_factory=list)  # area / hardware tags such as NPU, Diffusion
    scope: str = ""
    breaking: bool = False
    subject: str = ""
    pr_number: int | None = None

    @cached_property
    def keywords(self) -> list[str]:
        """From words in the subject, first-mentioned first: read when asked (the notes, which read a title's
        subject and breaking mark, never compile the keyword patterns)."""
        return keyword_types(self.subject)


def title_pr(title: str) -> int | None:
    """The pull request a title names at its end ("… (#123)"): ``parse_title``'s, without reading the rest
    (and compiling the patterns that takes)."""
    found = _PR_RE.search(title.strip())
    return int(found.group(1)) if found else None


def _read_tag(bracketed: str, types: list[str], tags: list[str]) -> None:
    """A bracket's kinds into ``types``, its other tags into ``tags``. A step of a series ("[1/N Refactor]",
    "[2/3 Feature]") says its kind after the count."""
    for raw in re.split(r"[,/|+&]", _SERIES_STEP_RE.sub("", bracketed)):
        tag = raw.strip()
        kind = _TAG_TYPES.get(tag.lower())
        if kind and kind not in types:
            types.append(kind)
        elif not kind and tag:
            tags.append(tag)


@lru_cache(maxsize=4096)
def parse_title(title: str) -> TitleInfo:
    """What ``title`` says. Remembered: a commit's title is read by the score, the analyser, the overview and
    the revert links; the answer is shared, read-only (a frozen record whose lists no caller changes)."""
    rest = title.strip()
    types: list[str] = []
    tags: list[str] = []
    scope = ""
    breaking = False
    pr_number = title_pr(rest)
    if _REVERT_RE.match(rest):
        types.append("revert")
        rest = _REVERT_RE.sub("", rest, count=1)
        rest = re.sub(r'"\s*(\(#\d+\))?\s*$', "", rest).strip()
    for _ in range(6):  # leading tags and prefixes, in any mix: "[Bugfix][NPU] fix(x): …"
        bracket = _BRACKET_RE.match(rest)
        if bracket:
            _read_tag(bracket.group("tag"), types, tags)
            rest = rest[bracket.end() :]
            continue
        conventional = _CONVENTIONAL_RE.match(rest)
        if conventional and conventional.group("type").lower() in CONVENTIONAL_TYPES:
            kind = CONVENTIONAL_TYPES[conventional.group("type").lower()]
            if (conventional.group("scope") or "").lower() in {"deps", "deps-dev", "dependencies", "dep"}:
                kind = "dependency"
            if kind not in types:
                types.append(kind)
            scope = conventional.group("scope") or scope
            breaking = breaking or bool(conventional.group("bang"))
            rest = rest[conventional.end() :]
            continue
        break
    subject = _PR_RE.sub("", rest).strip() or title.strip()
    return TitleInfo(
        types=types,
        tags=tags,
        scope=scope,
        breaking=breaking,
        subject=subject,
        pr_number=pr_number,
    )


@dataclass(frozen=True)
class PathProfile:
    """Changed lines and files by kind of path, lockfiles/generated/vendored files counted apart."""

    lines: Counter[str]
    files: Counter[str]
    added_modules: list[str]
    public_api: list[str]
    meaningful_lines: int

    @property
    def kinds(self) -> set[str]:
        return {k for k, n in self.files.items() if n}


def profile_paths(commit: Commit) -> PathProfile:
    lines: Counter[str] = Counter()
    files: Counter[str] = Counter()
    added: list[str] = []
    public: list[str] = []
    for change in commit.files:
        kind = (
            PathKind.GENERATED
            if change.generated
            else PathKind.ASSET
            if change.binary
            else classify(change.path)
        )
        changed = change.additions + change.deletions
        lines[kind.value] += changed
        files[kind.value] += 1
        if (
            kind is PathKind.SOURCE
            and change.status.value == "added"
            and not change.path.endswith("__init__.py")
        ):
            added.append(change.path)
        if kind is PathKind.SOURCE and _PUBLIC_API_RE.search(change.path):
            public.append(change.path)
    meaningful = sum(n for k, n in lines.items() if k != PathKind.GENERATED.value)
    return PathProfile(
        lines=lines, files=files, added_modules=added, public_api=public, meaningful_lines=meaningful
    )


_LABEL_PREFIX_RE = lazy_compile(r"^(kind|type|category|area|topic)\s*[:/]\s*", re.I)
_LABEL_TYPES: dict[str, str] = {
    **_TAG_TYPES,
    "enhancement": "feature", "new feature": "feature", "documentation": "docs", "dependencies": "dependency",
    "breaking-change": "feature", "breaking change": "feature", "regression": "bugfix", "optimization": "performance",
    "ci/cd": "ci_build", "github_actions": "ci_build", "cleanup": "refactor", "tech-debt": "refactor",
}  # fmt: skip


def label_types(commit: Commit) -> list[str]:
    """Kinds of change named by the pull request's labels (``bug``, ``kind/feature``, ``documentation`` …)."""
    if commit.pr is None:
        return []
    found: list[str] = []
    for label in commit.pr.labels:
        kind = _LABEL_TYPES.get(_LABEL_PREFIX_RE.sub("", label.strip().lower()))
        if kind and kind not in found:
            found.append(kind)
    return found


def release_version(commit: Commit) -> str | None:
    """The version a release or version-bump commit announces (``bump version to 0.6.9`` → ``0.6.9``)."""
    info = parse_title(commit.title)
    subject = info.subject if "revert" not in info.types else ""
    for pattern in _RELEASE_RES:
        match = pattern.search(subject) or pattern.search(commit.title)
        if match:
            return match.group("version")
    named = _NAMED_VERSION_RE.search(subject) or _NAMED_VERSION_RE.search(commit.title)
    if named:
        own = commit.repo.rsplit("/", 1)[-1].lower()
        name = named.group("name").lower()
        # the project itself or one of its packages: "flashinfer-cubin", "sgl-kernel" for sglang
        if own and (name.startswith(own) or (len(own) >= 3 and name.startswith(own[:3]) and "-" in name)):
            return named.group("version")
    return None


def bot_name(commit: Commit) -> str | None:
    """The bot that wrote a commit (``dependabot[bot]``, ``renovate[bot]``…), or None for a person."""
    for who in (commit.author, commit.committer if commit.committer.login else None):
        if who is None:
            continue
        for value in (who.login or "", who.name):
            if value and _BOT_RE.search(value.strip()):
                return value.strip()
    return None


def is_dependency_update(commit: Commit) -> bool:
    """A dependency bump (``Bump torch from 2.8 to 2.9``, ``chore(deps): …``, a pre-commit autoupdate)."""
    info = parse_title(commit.title)
    return (
        bool(_DEPENDENCY_UPDATE_RE.search(commit.title))
        or "dependency" in info.types
        or (bot_name(commit) is not None and bool(re.match(r"(?i)(bump|update|upgrade)\b", info.subject)))
    )


@dataclass(frozen=True)
class RevertTarget:
    """What a revert names as the commit it undoes: a sha, a pull request number, a title."""

    sha: str | None = None
    pr_number: int | None = None
    title: str | None = None


def revert_target(commit: Commit) -> RevertTarget | None:
    """The commit a revert undoes, as far as its message says; None when it is not a revert."""
    info = parse_title(commit.title)
    if "revert" not in info.types:
        return None
    sha_match = _REVERTS_SHA_RE.search(commit.body)
    pr_number: int | None = None
    pr_match = _REVERTS_PR_RE.search(commit.title) or _REVERTS_PR_RE.search(commit.body)
    if pr_match:
        pr_number = int(pr_match.group(1) or pr_match.group(2))
    quoted = re.match(r'^\s*revert\s*"(?P<title>.+)"', commit.title, re.I)
    # git's `Revert "<title>"`, or what follows a `revert(scope):` prefix (its subject)
    title = quoted.group("title") if quoted else (None if _REVERT_RE.match(commit.title) else info.subject)
    if title and pr_number is None:
        inner = _PR_RE.search(title)
        pr_number = int(inner.group(1)) if inner else None
    return RevertTarget(sha=sha_match.group(1) if sha_match else None, pr_number=pr_number, title=title)


def find_reverted(commit: Commit, candidates: Sequence[Commit]) -> Commit | None:
    """The commit among `candidates` (a day's report, the store's commits) that `commit` reverts: by the sha
    its message names, else its pull request, else its title, else the subject of its title (a
    `revert(scope): subject` names no more than that) — the surest sign first, whatever the order."""
    target = revert_target(commit)
    if target is None:
        return None
    others = [c for c in candidates if c.sha != commit.sha]
    plain = [c for c in others if "revert" not in parse_title(c.title).types]
    return next((c for only_plain, sign in _REVERT_SIGNS for c in (plain if only_plain else others)
                 if sign(target, c)), None)  # fmt: skip


# The signs of the commit a revert undoes, surest first: (among commits that are no revert only, the test).
_REVERT_SIGNS: tuple[tuple[bool, Callable[[RevertTarget, Commit], bool]], ...] = (
    (False, lambda t, c: bool(t.sha) and c.sha.startswith(t.sha or "")),
    (True, lambda t, c: t.pr_number is not None
     and ((c.pr is not None and c.pr.number == t.pr_number) or title_pr(c.title) == t.pr_number)),
    (False, lambda t, c: bool(t.title) and c.title.strip() == (t.title or "").strip()),
    (True, lambda t, c: bool(t.title) and parse_title(c.title).subject == parse_title(t.title or "").subject),
)  # fmt: skip


def commit_types(
    commit: Commit, info: TitleInfo | None = None, profile: PathProfile | None = None
) -> list[ChangeType]:
    """The change types of a commit from its title and its paths (several may apply, most telling first).

    A revert is a revert only, a release (a version bump) a release, a dependency update a dependency change.
    Otherwise: the types the title declares (prefix, tag, pull-request label) — a ``[CI]`` or ``chore``
    tag names where the change happens more than what it is, so the words of the title go first there —
    then the title's words, strong before weak, then what the paths say when only one kind of file
    changed. With no evidence at all a change is a feature, as a model reading it would call it.
    """
    info = info or parse_title(commit.title)
    profile = profile or profile_paths(commit)
    if "revert" in info.types:
        return [ChangeType.REVERT]
    if release_version(commit) is not None:
        return [ChangeType.RELEASE]
    if is_dependency_update(commit):
        return [ChangeType.DEPENDENCY]
    found = _said_types(commit, info, profile)
    if ChangeType.SECURITY not in found and re.search(
        r"cve-\d+|ghsa-|vulnerab", f"{commit.title}\n{commit.body}", re.I
    ):
        found.insert(0, ChangeType.SECURITY)
    return found[:3]


def _said_types(commit: Commit, info: TitleInfo, profile: PathProfile) -> list[ChangeType]:
    """What the title declares, its words and the paths say (``commit_types``), in that order."""
    found: list[ChangeType] = []

    def add(kind: str) -> None:
        value = ChangeType.REFACTOR if kind == "chore" else ChangeType(kind)
        if value not in found:
            found.append(value)

    declared = [*info.types, *(k for k in label_types(commit) if k not in info.types)]
    where = [k for k in declared if k in {"ci_build", "chore", "config"}]
    only = _only_kind(profile.kinds - {"generated"})
    for kind in declared:
        if kind not in where:
            add(kind)
    if not found and only in {"docs", "test", "ci_build"}:
        add(only)  # the paths say what it is better than the words: "Fix typo in README" is docs
    if not found:
        add(info.keywords[0] if has_strong_keyword(info.subject) else "feature")
    for kind in info.keywords:
        if len(found) >= 2:
            break
        add(kind)
    for kind in where:
        add(kind)
    if only:
        add(only)
    return found


_ONLY_KINDS = (
    ("docs", {"docs", "asset"}),
    ("test", {"test"}),
    ("ci_build", {"ci", "build"}),
    ("config", {"config"}),
)


def _only_kind(kinds: set[str]) -> str | None:
    """The change type the paths say alone, when only one kind of file changed."""
    return next((kind for kind, allowed in _ONLY_KINDS if kinds and kinds <= allowed), None)


@dataclass(frozen=True)
class Evidence:
    """What the scoring rules look at, computed once per commit."""

    commit: Commit
    info: TitleInfo
    profile: PathProfile
    declared: str | None  # the title's kind of change that carries points (prefix, tag, label, first word)
    release: str | None
    bot: str | None
    breaking: bool
    security: list[str]

    @classmethod
    def of(cls, commit: Commit) -> Evidence:
        info = parse_title(commit.title)
        release = release_version(commit)
        declared_kinds = info.types or label_types(commit) or info.keywords[:1]
        declared: str | None = None
        if "revert" in info.types:
            declared = "revert"
        elif is_dependency_update(commit):
            declared = "dependency"
        elif declared_kinds:
            declared = declared_kinds[0]
        text = f"{commit.title}\n{commit.body}"
        return cls(
            commit=commit,
            info=info,
            profile=profile_paths(commit),
            declared=declared,
            release=release,
            bot=bot_name(commit),
            breaking=release is None and (info.breaking or bool(_BREAKING_FOOTER_RE.search(commit.body))),
            security=security_words(text),
        )

    @property
    def kinds(self) -> set[str]:
        return self.profile.kinds - {"generated"}


_TYPE_WEIGHTS = (
    "feature", "bugfix", "performance", "refactor", "security", "revert", "docs", "test", "ci_build",
    "dependency", "config", "chore",
)  # fmt: skip


def _type_points(e: Evidence, w: ScoringSettings) -> float:
    kind = e.declared or ""
    return float(getattr(w, kind)) if kind in _TYPE_WEIGHTS else 0.0


def _size_points(e: Evidence, w: ScoringSettings) -> float:
    return round(min(w.size_cap, w.size_weight * math.log2(1 + e.profile.meaningful_lines)), 2)


def _source_points(e: Evidence, w: ScoringSettings) -> float:
    lines = e.profile.meaningful_lines
    share = e.profile.lines.get("source", 0) / lines if lines else 0.0
    return round(w.core_source * max(share, 0.25), 2)


@dataclass(frozen=True)
class Rule:
    """One row of the scoring table: when it fires, which ``[scoring]`` weight it adds, and why."""

    name: str
    predicate: str
    weight: str
    reason: str
    fires: Callable[[Evidence], bool]
    points: Callable[[Evidence, ScoringSettings], float] | None = None
    detail: Callable[[Evidence], str] = lambda e: ""

    def score(self, evidence: Evidence, weights: ScoringSettings) -> float:
        if self.points is not None:
            return self.points(evidence, weights)
        return float(getattr(weights, self.weight))


def _only(e: Evidence, allowed: set[str]) -> bool:
    return bool(e.kinds) and e.kinds <= allowed and e.release is None


RULES: tuple[Rule, ...] = (
    Rule("release", "the title announces a release or a version bump (`bump version to 0.6.9`, `release v1.2`)",
         "release", "a new version is news for every user, however few lines it changes",
         lambda e: e.release is not None, detail=lambda e: f"release {e.release}"),
    Rule("type", "the title declares a kind of change: conventional prefix, [Tag], PR label or its first word "
         "(not for a release)", "<kind>", "features, fixes and performance matter more than docs, tests or CI",
         lambda e: e.release is None and e.declared is not None, _type_points, lambda e: e.declared or ""),
    Rule("breaking", "`type!:` in the title or a `BREAKING CHANGE:` footer", "breaking",
         "users must act", lambda e: e.breaking),
    Rule("size", "log2 of the changed lines, lockfiles/generated/vendored files left out, capped "
         "(not for a release)", "size_weight", "bigger changes carry more risk and more news",
         lambda e: e.release is None, _size_points,
         lambda e: f"{_count(e.profile.meaningful_lines, 'line')} in "
                   f"{_count(e.commit.stats.files or len(e.commit.files), 'file')}"),
    Rule("core_source", "source files change (points scaled by their share of the lines, at least 25%)",
         "core_source", "behaviour changes live in source, not in docs or CI",
         lambda e: bool(e.profile.files.get("source")), _source_points,
         lambda e: _count(e.profile.files.get("source", 0), "source file")),
    Rule("new_module", "a new source file is added", "new_module", "new modules extend the project's surface",
         lambda e: bool(e.profile.added_modules), detail=lambda e: ", ".join(e.profile.added_modules[:3])),
    Rule("public_api", "a public API or configuration file changes (`__init__.py`, `api/`, `include/`, "
         "`*.proto`, `config.py`…)", "public_api", "users of the API or the config may need to adapt",
         lambda e: bool(e.profile.public_api), detail=lambda e: ", ".join(e.profile.public_api[:3])),
    Rule("only_tests", "only test files change", "only_tests", "no behaviour change for users",
         lambda e: _only(e, {"test"})),
    Rule("only_docs", "only documentation changes (not a release's version file)", "only_docs",
         "no behaviour change for users", lambda e: _only(e, {"docs", "asset"}) and not _only(e, {"test"})),
    Rule("only_ci", "only CI or build files change (not a release)", "only_ci",
         "no behaviour change for users", lambda e: _only(e, {"ci", "build"})),
    Rule("dependency_files", "a dependency manifest changes (`pyproject.toml`, `requirements*.txt`, "
         "`package.json`…)", "dependency_files", "installs and downstream compatibility may shift",
         lambda e: bool(e.profile.files.get("dependency"))),
    Rule("many_files", "more than 20 files change", "many_files", "wide changes are hard to review",
         lambda e: sum(e.profile.files.values()) > 20, detail=lambda e: f"{sum(e.profile.files.values())} files"),
    Rule("security_words", "CVE, vulnerability, SQL/command/prompt injection, XSS, unsanitised input, auth "
         "bypass… in the title or body "
         "(overflow/underflow are correctness, not security)", "security_words",
         "security changes need a careful read", lambda e: bool(e.security), detail=lambda e: ", ".join(e.security)),
    Rule("bot", "a bot wrote it (`dependabot[bot]`, `renovate[bot]`, `github-actions[bot]`…)", "bot",
         "automated updates are routine", lambda e: e.bot is not None, detail=lambda e: e.bot or ""),
)  # fmt: skip


def _signal_key(rule: Rule, evidence: Evidence) -> str:
    return f"type:{evidence.declared}" if rule.name == "type" else rule.name


def fired_rules(commit: Commit, weights: ScoringSettings) -> list[tuple[Rule, float, str]]:
    """The rows of the table that fire for a commit, with their points and specifics."""
    evidence = Evidence.of(commit)
    return [
        (rule, round(rule.score(evidence, weights), 2), rule.detail(evidence))
        for rule in RULES
        if rule.fires(evidence)
    ]


def level_of(score: float, weights: ScoringSettings) -> Level:
    if score >= weights.high_threshold:
        return Level.HIGH
    if score >= weights.medium_threshold:
        return Level.MEDIUM
    return Level.LOW


def score_commit(commit: Commit, weights: ScoringSettings) -> Score:
    if commit.is_merge:
        return Score(
            level=Level.LOW, score=0.0, signals={"merge": 0.0}, reasons=["merge commit (not analysed)"]
        )
    evidence = Evidence.of(commit)
    signals: dict[str, float] = {}
    reasons: list[str] = []
    for rule in RULES:
        if not rule.fires(evidence):
            continue
        points = round(rule.score(evidence, weights), 2)
        signals[_signal_key(rule, evidence)] = points
        detail = rule.detail(evidence)
        reasons.append(f"{rule.name}{': ' + detail if detail else ''} ({points:+g})")
    for tag in evidence.info.tags:
        if tag.lower() in HARDWARE_TAGS:
            reasons.append(f"hardware/area tag [{tag}]")
    score = round(sum(signals.values()), 2)
    return Score(level=level_of(score, weights), score=score, signals=signals, reasons=reasons)


def explain(commit: Commit, weights: ScoringSettings, final_level: Level | None = None) -> str:
    """The rows of the rule table that fire for one commit, their points, and the score and level."""
    lines = [f"{commit.sha[:12]} {commit.title}"]
    if commit.is_merge:
        lines.append("  merge commit: not scored (its changes are in its parents)")
        return "\n".join(lines) + "\n"
    fired = fired_rules(commit, weights)
    name_width = max((len(rule.name) for rule, _, _ in fired), default=4)
    for rule, points, detail in fired:
        weight = f"{rule.weight if rule.weight != '<kind>' else detail}"
        lines.append(
            f"  {rule.name:<{name_width}}  {points:+6.2f}  [{weight}]  {rule.predicate}"
            + (f" — {detail}" if detail and rule.weight != "<kind>" else "")
        )
        lines.append(f"  {'':<{name_width}}          why: {rule.reason}")
    total = round(sum(points for _, points, _ in fired), 2)
    level = level_of(total, weights)
    lines.append(
        f"  score {total:g} → {level.value} (medium ≥ {weights.medium_threshold:g}, high ≥ {weights.high_threshold:g})"
    )
    info = parse_title(commit.title)
    lines.append(f"  change types: {', '.join(t.value for t in commit_types(commit, info))}")
    if final_level is not None and final_level is not level:
        lines.append(f"  level in the report: {final_level.value} (the analyser's own judgement)")
    return "\n".join(lines) + "\n"
