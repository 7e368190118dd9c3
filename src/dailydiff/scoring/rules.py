"""Rule-based scoring: every commit gets a score, a level and the reasons, before any analysis.

Pure functions. The title is read the way busy projects write it: conventional commits
(``fix(quantization): …``), bracket tags (``[Bugfix]``, ``[Doc]``, ``[CI]``, ``[NPU]``), ``Revert "…"``
and plain imperative titles (``Support …``, ``Fix …``). Weights live in ``[scoring]``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from dailydiff.models import ChangeType, Commit, Level, Score
from dailydiff.scoring.paths import PathKind, classify
from dailydiff.settings import ScoringSettings

_CONVENTIONAL_RE = re.compile(r"^\s*(?P<type>[A-Za-z]+)(?:\((?P<scope>[^)]*)\))?(?P<bang>!)?\s*:\s*")
_BRACKET_RE = re.compile(r"^\s*\[(?P<tag>[^\]\n]{1,40})\]\s*:?\s*")
_REVERT_RE = re.compile(r'^\s*revert\b\s*"?', re.I)
_PR_RE = re.compile(r"\(#(\d+)\)\s*$")

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
# Words anywhere in a title, by the kind of change they announce. A title's keyword types are ordered by
# where their first word stands, so "Fix flaky test" is a bug fix first and a test change second.
_KEYWORDS: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(pattern, re.I))
    for kind, pattern in [
        ("revert", r"\b(revert(s|ed)?|roll ?back)\b"),
        (
            "bugfix",
            r"\b(fix(es|ed|ing)?|bug(s|fix)?|hotfix|correct(s|ed|ly)?|resolve[sd]?|repair\w*|mismatch\w*|nan|"
            r"crash\w*|wrong|broken|regression|incorrect|avoid|prevent|restore[sd]?|preserve[sd]?|respect)\b",
        ),
        (
            "performance",
            r"\b(optimi[sz]\w*|opt|speed\s?up\w*|faster|accelerat\w*|perf|performance|overhead|latency|"
            r"throughput|fuse[sd]?|fusion|overlap\w*|cuda ?graph)\b",
        ),
        (
            "refactor",
            r"\b(refactor\w*|remove[sd]?|delete[sd]?|drop(s|ped)?|clean\w*|dead code|duplicat\w*|migrat\w*|"
            r"move[sd]?|renam\w*|split|extract\w*|unif\w*|simplif\w*|reorgani[sz]\w*|replace[sd]?|instead|"
            r"redundant|useless|mixin|abstraction|restructur\w*|rework|tidy|use|make)\b",
        ),
        (
            "feature",
            r"\b(add(s|ed|ing)?|support(s|ed|ing)?|implement\w*|introduc\w*|enabl\w*|allow\w*|new|"
            r"enhanc\w*|apply|adapt|inclusion|evict\w*|expose[sd]?|endpoint|initial|feature)\b",
        ),
        (
            "dependency",
            r"\b(bump(s|ed)?|upgrade[sd]?|pin(ned|ning)?|crates?|requirements?|dependenc(y|ies)|deps)\b",
        ),
        (
            "config",
            r"\b(config\w*|timeouts?|trigger\w*|permissions?|codeowners|defaults?|partitions?|"
            r"disable[sd]?|turn (on|off)|settings?|env(ironment)? var\w*|flags?|pyproject)\b",
        ),
        ("test", r"\b(tests?|unit ?tests?|ut|e2e|test suites?|testcases?|flaky)\b"),
        ("ci_build", r"\b(ci|nightly|build|wheels?|release|docker\w*|workflows?|github actions?)\b"),
        ("docs", r"\b(docs?|documentation|readme|typos?|docstrings?|comments?)\b"),
    ]
]
_SOFT_PREFIX_RE = re.compile(r"^(tiny|minor|small|quick|trivial|wip|misc)\b[\s:,-]*", re.I)


def keyword_types(subject: str) -> list[str]:
    """Kinds of change announced by words in a title, ordered by where they first appear."""
    text = _SOFT_PREFIX_RE.sub("", subject)
    found: list[tuple[int, int, str]] = []
    for rank, (kind, pattern) in enumerate(_KEYWORDS):
        match = pattern.search(text)
        if match:
            found.append((match.start(), rank, kind))
    return [kind for _, _, kind in sorted(found)]


_PERF_WORDS = re.compile(
    r"\b(perf|performance|optimi[sz]\w*|speed\s?up|faster|latency|throughput|fused?|fusion|kernel|cuda graph|"
    r"overlap|cache|memory|tflops|batch)\b",
    re.I,
)
_SECURITY_WORDS = re.compile(
    r"\b(cve-\d+|vulnerab\w*|security|injection|xss|csrf|ssrf|rce|exploit|sanitiz\w*|escap(e|ing) (html|sql)|"
    r"auth(entication|orization)? bypass|privilege|secret|credential|token leak|overflow|dos attack)\b",
    re.I,
)
_BREAKING_RE = re.compile(r"BREAKING[ -]CHANGE|\bbreaking\b", re.I)
_PUBLIC_API_RE = re.compile(
    r"(^|/)(__init__\.py|api/|apis/|public/|include/|cli\.py|cli/|entrypoints?/|server_args\.py|openai_api|"
    r"protocol\.py|config\.py|configs?/|schema)|\.proto$|\.pyi$|\.h$|\.hpp$",
    re.I,
)
HARDWARE_TAGS = {
    "npu", "amd", "rocm", "cpu", "tpu", "xpu", "hpu", "gpu", "cuda", "intel", "nvidia", "ascend", "mlu",
    "musa", "hip", "metal", "mps", "gaudi", "b200", "h100", "h200", "blackwell", "hopper", "sm100", "sm90",
}  # fmt: skip


@dataclass(frozen=True)
class TitleInfo:
    """What a title says: its kinds of change, the area tags and the title without its prefixes."""

    types: list[str] = field(default_factory=list)  # from prefixes and tags: ChangeType values or "chore"
    keywords: list[str] = field(default_factory=list)  # from words in the subject, first-mentioned first
    tags: list[str] = field(default_factory=list)  # area / hardware tags such as NPU, Diffusion
    scope: str = ""
    breaking: bool = False
    subject: str = ""
    pr_number: int | None = None


def parse_title(title: str) -> TitleInfo:
    rest = title.strip()
    types: list[str] = []
    tags: list[str] = []
    scope = ""
    breaking = False
    pr_match = _PR_RE.search(rest)
    pr_number = int(pr_match.group(1)) if pr_match else None
    if _REVERT_RE.match(rest):
        types.append("revert")
        rest = _REVERT_RE.sub("", rest, count=1)
        rest = re.sub(r'"\s*(\(#\d+\))?\s*$', "", rest).strip()
    for _ in range(6):  # leading tags and prefixes, in any mix: "[Bugfix][NPU] fix(x): …"
        bracket = _BRACKET_RE.match(rest)
        if bracket:
            for raw in re.split(r"[,/|+&]", bracket.group("tag")):
                tag = raw.strip()
                kind = _TAG_TYPES.get(tag.lower())
                if kind and kind not in types:
                    types.append(kind)
                elif not kind and tag:
                    tags.append(tag)
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
        keywords=keyword_types(subject),
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


_LABEL_PREFIX_RE = re.compile(r"^(kind|type|category|area|topic)\s*[:/]\s*", re.I)
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


def commit_types(
    commit: Commit, info: TitleInfo | None = None, profile: PathProfile | None = None
) -> list[ChangeType]:
    """The change types of a commit from its title and its paths (several may apply, most telling first)."""
    info = info or parse_title(commit.title)
    profile = profile or profile_paths(commit)
    found: list[ChangeType] = []

    def add(kind: str) -> None:
        value = ChangeType.REFACTOR if kind == "chore" else ChangeType(kind)
        if value not in found:
            found.append(value)

    for kind in info.types:
        add(kind)
    for kind in label_types(commit):
        add(kind)
    explicit = len(found)
    for kind in info.keywords:
        if len(found) >= max(2, explicit + 1):
            break
        add(kind)
    kinds = profile.kinds
    if kinds and kinds <= {"docs", "asset"}:
        add("docs")
    if kinds and kinds <= {"test"}:
        add("test")
    if kinds and kinds <= {"ci", "build"}:
        add("ci_build")
    if "dependency" in kinds and (not found or kinds <= {"dependency", "generated"}):
        add("dependency")
    if kinds and kinds <= {"config"}:
        add("config")
    text = f"{commit.title}\n{commit.body}"
    if (
        _SECURITY_WORDS.search(text)
        and "security" not in info.types
        and re.search(r"cve-\d+|vulnerab", text, re.I)
    ):
        add("security")
    if not found:
        add("other")
    return found


def score_commit(commit: Commit, weights: ScoringSettings) -> Score:
    info = parse_title(commit.title)
    profile = profile_paths(commit)
    signals: dict[str, float] = {}
    reasons: list[str] = []

    if commit.is_merge:
        return Score(
            level=Level.LOW, score=0.0, signals={"merge": 0.0}, reasons=["merge commit (not analysed)"]
        )

    type_weights = {
        "feature": weights.feature, "bugfix": weights.bugfix, "performance": weights.performance,
        "refactor": weights.refactor, "security": weights.security, "revert": weights.revert,
        "docs": weights.docs, "test": weights.test, "ci_build": weights.ci_build,
        "dependency": weights.dependency, "config": weights.config, "chore": weights.chore,
    }  # fmt: skip
    declared = info.types or label_types(commit) or info.keywords[:1]
    if declared:
        primary = (
            max(declared, key=lambda kind: type_weights.get(kind, 0.0))
            if "revert" not in declared
            else "revert"
        )
        signals[f"type:{primary}"] = type_weights.get(primary, 0.0)
        reasons.append(f"title marks it as {primary} ({type_weights.get(primary, 0.0):+g})")
    for tag in info.tags:
        if tag.lower() in HARDWARE_TAGS:
            reasons.append(f"hardware/area tag [{tag}]")
    if info.breaking or _BREAKING_RE.search(commit.body):
        signals["breaking"] = weights.breaking
        reasons.append(f"breaking change announced ({weights.breaking:+g})")

    lines = profile.meaningful_lines
    size = min(weights.size_cap, weights.size_weight * math.log2(1 + lines))
    signals["size"] = round(size, 2)
    generated = profile.lines.get(PathKind.GENERATED.value, 0)
    note = f", {generated} in lockfiles/generated/vendored files left out" if generated else ""
    reasons.append(f"{lines} changed lines in {commit.stats.files} files{note} ({size:+.1f})")

    total_files = sum(profile.files.values())
    kinds = profile.kinds - {"generated"}
    source_share = profile.lines.get("source", 0) / lines if lines else 0.0
    if profile.files.get("source"):
        signals["core_source"] = round(weights.core_source * max(source_share, 0.25), 2)
        reasons.append(f"changes core source ({profile.files['source']} files, {source_share:.0%} of lines)")
    if profile.added_modules:
        signals["new_module"] = weights.new_module
        reasons.append(f"adds {len(profile.added_modules)} new source module(s) ({weights.new_module:+g})")
    if profile.public_api:
        signals["public_api"] = weights.public_api
        reasons.append(
            f"touches public API / config surface: {profile.public_api[0]} ({weights.public_api:+g})"
        )
    if kinds and kinds <= {"test"}:
        signals["only_tests"] = weights.only_tests
        reasons.append(f"only tests change ({weights.only_tests:+g})")
    elif kinds and kinds <= {"docs", "asset"}:
        signals["only_docs"] = weights.only_docs
        reasons.append(f"only documentation changes ({weights.only_docs:+g})")
    elif kinds and kinds <= {"ci", "build"}:
        signals["only_ci"] = weights.only_ci
        reasons.append(f"only CI/build files change ({weights.only_ci:+g})")
    if profile.files.get("dependency"):
        signals["dependency_files"] = weights.dependency_files
        reasons.append(f"dependency manifests change ({weights.dependency_files:+g})")
    if total_files > 20:
        signals["many_files"] = weights.many_files
        reasons.append(f"wide change across {total_files} files ({weights.many_files:+g})")
    if _SECURITY_WORDS.search(f"{commit.title}\n{commit.body}"):
        signals["security_words"] = weights.security_words
        reasons.append(f"security-related words in the message ({weights.security_words:+g})")

    score = round(sum(signals.values()), 2)
    if score >= weights.high_threshold:
        level = Level.HIGH
    elif score >= weights.medium_threshold:
        level = Level.MEDIUM
    else:
        level = Level.LOW
    return Score(level=level, score=score, signals=signals, reasons=reasons)
