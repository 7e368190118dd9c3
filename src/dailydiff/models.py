"""The data model: the contract between sources, store, scoring, analysis, rendering and publishing.

Every stage takes and returns these records; nothing else crosses a stage boundary. All models are
frozen (use ``model_copy(update=...)`` to derive a changed one) and serialise to the JSON shape
described in REPORT_FORMAT.md.
"""

# Annotations are evaluated as Python evaluates them, not from text (no `from __future__ import annotations`):
# pydantic would compile each field's annotation at import, about 0.3 ms a model of every command's start.

import datetime as dt
import threading
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    computed_field,
    model_serializer,
)

from dailydiff.kinds import LEVELS_HIGH_FIRST as LEVELS_HIGH_FIRST
from dailydiff.kinds import AnalysisStatus, ChangeType, FileStatus, Level

SCHEMA_VERSION = 1


def _empty(value: Any) -> bool:
    """Left out of a record's JSON when empty: records keep the shape they had before the field came."""
    return not value


def _unsaid(value: Any) -> bool:
    """Left out of a record's JSON when nobody stated it (stored reports keep the shape they had)."""
    return value is None or value == ""


def _none(value: Any) -> bool:
    return value is None


# One deferred build at a time, whatever thread first uses a model. The data and render models are
# `defer_build`: a model's validator is built when it is first used, not at import (start-up time). pydantic's
# `model_rebuild` (which that first use calls, through the model's mock validator) takes no lock (2.13): two
# threads that first use a model at once (a run's digest-days, each built on a thread of its own) both rebuild
# it, and the one that starts later deletes the validator (and core schema) the other has just set. An instance
# made then is validated by its parent's validator, with none of its own fields ("'DayDigest' object has no
# attribute 'language'"), or a model whose schema embeds it finds its core schema gone. `OneRebuild` first among
# a model's bases makes its rebuilds take one lock, shared by every model that has it (a rebuild reads the
# schemas of the models it embeds) and reentrant (it builds them).
_REBUILD = threading.RLock()


class OneRebuild:
    """A pydantic model's ``model_rebuild`` under the one lock (a mixin, before ``BaseModel``)."""

    @classmethod
    def model_rebuild(
        cls,
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: Any = None,
    ) -> bool | None:
        depth = _parent_namespace_depth + 1 if _parent_namespace_depth > 0 else 0  # this frame skipped
        with _REBUILD:
            return super().model_rebuild(  # type: ignore[misc, no-any-return]
                force=force, raise_errors=raise_errors, _parent_namespace_depth=depth,
                _types_namespace=_types_namespace,
            )  # fmt: skip


class FrozenModel(OneRebuild, BaseModel):
    """The data and render models' base: immutable; defer_build: a model's validator is built when first used,
    not at import (start-up time), by one thread at a time (`OneRebuild`)."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class Person(FrozenModel):
    name: str
    email: str = ""
    login: str | None = None


class FileChange(FrozenModel):
    path: str
    previous_path: str | None = None
    status: FileStatus = FileStatus.MODIFIED
    additions: int = 0
    deletions: int = 0
    patch: str | None = None  # None when binary, too large or not provided by the source
    binary: bool = False
    generated: bool = False  # lockfiles, generated, vendored or minified files
    patch_truncated: bool = False
    # A text file whose patch the source could not provide (too large for the API and absent from the
    # commit's diff): analysers list it as unseen instead of treating it as reviewed.
    patch_missing: bool = False


class PullRequest(FrozenModel):
    number: int
    title: str = ""
    body: str = ""
    labels: list[str] = Field(default_factory=list)
    url: str | None = None

    @property
    def reference(self) -> str:
        """How its forge writes it: ``!12`` for a GitLab merge request (whose page, on any instance, is under
        ``/-/merge_requests/``), ``#12`` for a pull request."""
        merge_request = self.url is not None and "/-/merge_requests/" in self.url
        return f"{'!' if merge_request else '#'}{self.number}"


class Stats(FrozenModel):
    additions: int = 0
    deletions: int = 0
    files: int = 0


class Commit(FrozenModel):
    repo: str
    sha: str
    parents: list[str] = Field(default_factory=list)
    author: Person
    committer: Person
    authored_at: dt.datetime
    committed_at: dt.datetime
    message: str
    url: str | None = None
    branches: list[str] = Field(default_factory=list)
    stats: Stats = Field(default_factory=Stats)
    files: list[FileChange] = Field(default_factory=list)
    pr: PullRequest | None = None
    # Its pull request could not be looked up this time (GitHub failed to say): not "no pull request" — the
    # day is incomplete and built again by the next run. Left out of the JSON when False (commits keep the
    # shape they always had).
    pr_unknown: bool = Field(default=False, exclude_if=_empty)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def title(self) -> str:
        return self.message.split("\n", 1)[0].strip()

    @property
    def body(self) -> str:
        parts = self.message.split("\n", 1)
        return parts[1].strip() if len(parts) > 1 else ""

    @property
    def short_sha(self) -> str:
        return self.sha[:7]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


class Score(FrozenModel):
    level: Level
    score: float
    signals: dict[str, float] = Field(default_factory=dict)
    reasons: list[str] = Field(default_factory=list)


class Usage(FrozenModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    requests: int = 0  # HTTP requests made (retries included)
    # The offline estimate of the prompts whose tokens the endpoint reported (compare with prompt_tokens).
    estimated_prompt_tokens: int = 0
    # Prompt tokens the endpoint served from its cache (billed cheaper); None: it did not say (not 0).
    cached_tokens: int | None = Field(default=None, exclude_if=_unsaid)
    model_version: str = Field(default="", exclude_if=_unsaid)  # the model id the endpoint answered with
    # the prompt templates' hash (the analyser's fingerprint has it too)
    prompt_hash: str = Field(default="", exclude_if=_unsaid)
    # the provider profile the requests went out with (analysis/providers.py)
    provider: str = Field(default="", exclude_if=_unsaid)

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost=round(self.cost + other.cost, 6),
            requests=self.requests + other.requests,
            estimated_prompt_tokens=self.estimated_prompt_tokens + other.estimated_prompt_tokens,
            cached_tokens=known_sum(self.cached_tokens, other.cached_tokens),
            model_version=other.model_version or self.model_version,
            prompt_hash=other.prompt_hash or self.prompt_hash,
            provider=other.provider or self.provider,
        )


def known_sum(*figures: int | None) -> int | None:
    """The sum of the figures an endpoint stated; None when none was (unknown is not 0)."""
    known = [f for f in figures if f is not None]
    return sum(known) if known else None


class Insights(FrozenModel):
    architecture: str = ""
    performance: str = ""
    security: str = ""


class TracedClaim(FrozenModel):
    """A claim of a model's text (analysis/claims.py) and where what the model was shown has it (None: not
    found)."""

    text: str
    kind: str
    where: str | None = None


class Grounding(FrozenModel):
    """What the claims tracer found in a model's text (analysis/claims.py): ``checked`` claims, ``supported``
    by what the model was shown, ``unverified`` (the claims not found: removed or marked), ``action``
    (``none`` | ``repaired`` | ``removed`` | ``marked``), ``repaired`` (claims a repair request fixed). The
    sentences removed or marked and every claim with where it was found are kept in the store only
    (``report --claims SHA``), never published."""

    checked: int = 0
    supported: int = 0
    # plain defaults, not factories: pydantic copies them per instance, and `model_construct` (the tracer's,
    # with no validation) resolves a factory by inspecting its signature, ~1 ms a call
    unverified: list[str] = []
    action: str = "none"
    repaired: int = 0
    removed: list[str] = Field(default=[], exclude_if=_empty)
    claims: list[TracedClaim] = Field(default=[], exclude_if=_empty)

    def published(self) -> "Grounding":
        """What a report carries: the figures, without the sentences and the trace kept for ``--claims``."""
        return self.model_copy(update={"removed": [], "claims": []}) if self.removed or self.claims else self


class GroundingStats(FrozenModel):
    """A day's claims (``stats.grounding``): checked, supported, and the unsupported ones repaired, removed
    or marked."""

    checked: int = 0
    supported: int = 0
    repaired: int = 0
    removed: int = 0
    marked: int = 0


class Analysis(FrozenModel):
    analyzer: str  # "heuristic" or "llm:<model>"
    fingerprint: str = ""
    status: AnalysisStatus = AnalysisStatus.OK
    depth: Level = Level.LOW  # how deep the analysis went (which fields were asked for)
    change_types: list[ChangeType] = Field(default_factory=list)
    importance: Level | None = None
    importance_reason: str = ""
    summary: str = ""
    impact: list[str] = Field(default_factory=list)
    insights: Insights = Field(default_factory=Insights)
    risks: list[str] = Field(default_factory=list)
    recommendations: list[str] = Field(default_factory=list)
    unseen_files: list[str] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    raw: str | None = None  # unparsed model text, kept (sanitised) when it could not be validated
    error: str | None = None
    grounding: Grounding | None = None  # its claims traced (None: written before claims were traced)


class CommitRef(FrozenModel):
    """Another commit a report points to (what a revert undoes, the revert that undid a commit): its
    sha and title, the day of the stored report that lists it (None: not reported), its forge page."""

    sha: str
    title: str = ""
    date: dt.date | None = None
    url: str | None = None


class ReportCommit(Commit):
    """A commit as it stands in a report: the commit (without patches), its rule score, its analysis
    and its final level (the analyser's when it gave one, else the rules')."""

    score: Score
    analysis: Analysis | None
    level: Level
    watch: list[str] = Field(default_factory=list)
    # Each of the next three is left out of the JSON when unset: reports without them keep their shape.
    # A revert: the commit it undoes, when found (this day, the store, git).
    reverts: CommitRef | None = Field(default=None, exclude_if=_none)
    # The reverts of this commit known so far.
    reverted_by: list[CommitRef] = Field(default_factory=list, exclude_if=_empty)
    # When a [[watch]] alert first told someone of it (engine/alerts.py).
    alerted_at: dt.datetime | None = Field(default=None, exclude_if=_none)
    # The coding agent that wrote it (its trailers or committer name one: scoring/agents.toml), else None;
    # set where a report is rendered, so every stored report gets it.
    agent: str | None = None


class ReportStats(FrozenModel):
    total: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    merges: int = 0
    failed: int = 0
    fallback: int = 0
    heuristic: int = 0
    unparsed: int = 0
    # Tokens and cost of the day: its analyses and overview, and what analyses since replaced had cost
    # (spent stays spent: the figure never drops after a re-analysis); that part also apart, below.
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    additions: int = 0
    deletions: int = 0
    replaced_prompt_tokens: int = 0
    replaced_completion_tokens: int = 0
    replaced_cost: float = 0.0
    grounding: GroundingStats = Field(default_factory=GroundingStats)
    # prompt tokens served from the endpoint's cache; None: unknown
    cached_tokens: int | None = Field(default=None, exclude_if=_unsaid)

    @model_serializer(mode="wrap")
    def _without_nothing_replaced(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict) and not any(
            data.get(f"replaced_{k}") for k in ("prompt_tokens", "completion_tokens", "cost")
        ):
            for k in ("prompt_tokens", "completion_tokens", "cost"):  # reports without one keep their shape
                data.pop(f"replaced_{k}", None)
        return data


class Overview(FrozenModel):
    highlights: list[str] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)
    producer: str = "heuristic"
    usage: Usage = Field(default_factory=Usage)  # tokens and cost of the overview call, if any
    grounding: Grounding | None = None  # its claims traced against the analyses it summarised


class Window(FrozenModel):
    start: dt.datetime
    end: dt.datetime


class RunSummary(FrozenModel):
    fetched: int = 0
    analysed: int = 0
    cached: int = 0
    escalated: int = 0
    fallback: int = 0
    failed: int = 0
    failures: list[str] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    duration_seconds: float = 0.0
    max_requests_per_commit: int = 0  # LLM requests of the costliest commit analysed this run
    estimated_prompt_tokens: int = 0  # the offline estimate of the prompts the endpoint counted
    # prompt tokens the endpoint's cache served this run; None: unknown
    cached_tokens: int | None = Field(default=None, exclude_if=_unsaid)
    # Commits of the day the source could not fetch (a bad answer that stayed bad): counted as failed, and
    # the day is incomplete, so the next run builds it again. Left out of the JSON when there are none
    # (reports of complete days keep the shape they always had).
    unfetched: list[str] = Field(default_factory=list, exclude_if=_empty)

    @property
    def estimate_error(self) -> float | None:
        """How far the offline token estimate was from the endpoint's count, in % (+: overestimated)."""
        if not self.prompt_tokens or not self.estimated_prompt_tokens:
            return None
        return round(100.0 * (self.estimated_prompt_tokens - self.prompt_tokens) / self.prompt_tokens, 1)


class LateCommit(FrozenModel):
    """A commit that landed in a day after a report of that day had been delivered without it."""

    sha: str
    first_seen: dt.datetime  # when a run first found it


class Gate(FrozenModel):
    """The failure gate of a day: computed once, with the day, and stored with it, so the report, the
    digest, the site, chat and the run summary all show the same verdict and figures."""

    failed: int  # analyses that failed or fell back to the rules, and commits the source could not fetch
    analysable: int  # commits that needed an analysis (merges do not), unfetched ones included
    limit: float  # [analysis] max_failure_ratio when the day was built

    @property
    def ratio(self) -> float:
        return self.failed / self.analysable if self.analysable > 0 else 0.0

    @property
    def gated(self) -> bool:
        return self.ratio > self.limit


class DayReport(FrozenModel):
    schema_version: int = SCHEMA_VERSION
    repo: str
    repo_url: str | None = None
    date: dt.date
    timezone: str
    language: str = "zh"
    window: Window
    commits: list[ReportCommit] = Field(default_factory=list)
    stats: ReportStats = Field(default_factory=ReportStats)
    overview: Overview = Field(default_factory=Overview)
    analyzer: str = "heuristic"
    generated_at: dt.datetime | None = None
    run: RunSummary = Field(default_factory=RunSummary)
    branch: str = ""  # the branch the report reads (the default one unless chosen); "" when unknown
    # Each of the next five is left out of the JSON when unset: reports of settled, ordinary days keep the
    # shape they always had.
    # None: stored by a version before the gate was stored (see failure_gate).
    gate: Gate | None = Field(default=None, exclude_if=_none)
    # The day's window has not closed plus [run] settle yet: commits may still land; never final.
    partial: bool = Field(default=False, exclude_if=_empty)
    # Commits found after a report of the day had been delivered without them (an addendum announced them).
    late: list[LateCommit] = Field(default_factory=list, exclude_if=_empty)
    # The repository's name in paths and messages when the short name is not enough: owner_name when
    # another followed repository has the same name (`upstream/flashinfer` and `fork/flashinfer`).
    qualified_name: str = Field(default="", exclude_if=_empty)
    # Commits the source saw in the day's window but could not read (e.g. a broken author line): sha and
    # reason, also said on stderr.
    skipped: list[str] = Field(default_factory=list, exclude_if=_empty)
    # Delivery targets of this repository that have failed [run] alert_after days in a row, one line each:
    # said in the messages this edition sends (every format and service), never stored with the day.
    alerts: list[str] = Field(default_factory=list, exclude=True)

    def failure_gate(self, limit: float) -> Gate:
        """The stored gate; for a report stored before it was, the same figures computed from the
        report against ``limit`` (the current [analysis] max_failure_ratio)."""
        if self.gate is not None:
            return self.gate
        unfetched = len(self.run.unfetched)
        return Gate(failed=self.stats.failed + self.stats.fallback + unfetched,
                    analysable=max(0, self.stats.total - self.stats.merges + unfetched), limit=limit)  # fmt: skip

    @property
    def repo_name(self) -> str:
        return self.qualified_name or self.repo.rsplit("/", 1)[-1]

    def branch_of(self, rc: Commit) -> str:
        """The branch a commit is on when that is not the report's own branch (``--all-branches``), else ""."""
        branch = rc.branches[0] if rc.branches else ""
        return branch if self.branch and branch and branch != self.branch else ""

    def by_level(self, level: Level) -> list[ReportCommit]:
        return [rc for rc in self.commits if rc.level == level]
