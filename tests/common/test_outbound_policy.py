"""One outbound HTTP policy for every kind of request (DESIGN "Outbound HTTP"): the forges' client (GitHub,
GitLab), the LLM endpoint's and a publisher's are each handed the same ``HttpPolicy`` object and, against real
local servers (the fakes), show the same request timeout, the same retry count and back-off, and the same
``Retry-After`` rule. Timing bounds are generous above (a loaded machine) and firm below (a jittered wait is
never less than half the back-off)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import pytest
from pydantic import TypeAdapter

from dailydiff.analysis.llm import LLMAnalyzer
from dailydiff.common.http import CircuitBreaker, HttpPolicy, Retry
from dailydiff.errors import AnalysisError, DailyDiffError, PublishError, SourceError
from dailydiff.forges.base import ForgeHttp
from dailydiff.forges.github import GitHubHttp
from dailydiff.forges.gitlab import GitLabHttp
from dailydiff.publish.http import Http
from dailydiff.settings import load_settings
from dailydiff.settings.publishers import PublishEntry
from fake_github import FakeGitHub
from fake_github_git import GitData
from fake_gitlab import FakeGitLab
from fake_llm import FakeLLM
from gitrepo import CommitSpec, build_repo
from llm_fixtures import settings_for
from webhook_receiver import WebhookReceiver

# The one policy under test: every kind gets this very object.
POLICY = HttpPolicy(timeout=5.0, connect_timeout=2.0, read_timeout=5.0, retries=2, backoff=0.4,
                    max_retry_after=3.0, breaker_threshold=50)  # fmt: skip
LOADED = 1.0  # seconds a loaded machine may add to a wait or a cut-off
DRIP = 1.0  # a dripping server sends a byte a second: no single read waits `read_timeout`


class Kind(Protocol):
    error: type[DailyDiffError]

    def fail(self, count: int, retry_after: float | None = None) -> None: ...

    def drip(self) -> None: ...

    def call(self, policy: HttpPolicy) -> None: ...

    def arrivals(self) -> list[float]: ...


class GitHubKind:
    error = SourceError

    def __init__(self, fake: FakeGitHub, tmp: Path) -> None:
        self.fake = fake
        self.settings = load_settings(environ={"DAILYDIFF_GITHUB_API_URL": fake.url}, cwd=tmp).github

    def fail(self, count: int, retry_after: float | None = None) -> None:
        self.fake.fail_next(count, 503, retry_after)

    def drip(self) -> None:
        self.fake.drip = DRIP

    def call(self, policy: HttpPolicy) -> None:
        run_forge(GitHubHttp(self.settings, "acme/demo", policy=policy), f"{self.fake.url}/repos/acme/demo")

    def arrivals(self) -> list[float]:
        return [r.at for r in self.fake.of()]


class GitLabKind:
    error = SourceError

    def __init__(self, fake: FakeGitLab, tmp: Path) -> None:
        self.fake = fake
        self.settings = load_settings(environ={"DAILYDIFF_GITLAB_API_URL": fake.url}, cwd=tmp).gitlab

    def fail(self, count: int, retry_after: float | None = None) -> None:
        self.fake.fail_next(count, 503, retry_after)

    def drip(self) -> None:
        self.fake.drip = DRIP

    def call(self, policy: HttpPolicy) -> None:
        url = f"{self.fake.url}/projects/{quote('acme/sub/demo', safe='')}"
        run_forge(GitLabHttp(self.settings, "acme/sub/demo", policy=policy), url)

    def arrivals(self) -> list[float]:
        return [r.at for r in self.fake.requests]


class LLMKind:
    error = AnalysisError

    def __init__(self, fake: FakeLLM, tmp: Path) -> None:
        self.fake = fake
        self.settings = settings_for(fake, tmp).llm
        fake.fail_status = 503

    def fail(self, count: int, retry_after: float | None = None) -> None:
        self.fake.fail_first = count
        self.fake.fail_retry_after = None if retry_after is None else f"{retry_after:g}"

    def drip(self) -> None:
        self.fake.drip = DRIP
        self.fake.faults_on_gets = False  # the request under test is the answer's, not GET /models

    def call(self, policy: HttpPolicy) -> None:
        LLMAnalyzer(self.settings, policy=policy).ask("what changed?", ["abc1234 fix: a crash"], "en")

    def arrivals(self) -> list[float]:
        return [r.started for r in self.fake.requests]


class WebhookKind:
    error = PublishError

    def __init__(self, receiver: WebhookReceiver) -> None:
        self.receiver = receiver
        self.entry = TypeAdapter(PublishEntry).validate_python({"type": "webhook", "url_env": "HOOK"})

    def fail(self, count: int, retry_after: float | None = None) -> None:
        self.receiver.script["generic"] = [503] * count
        if retry_after is not None:
            self.receiver.retry_after_statuses = (503,)
            self.receiver.retry_after = f"{retry_after:g}"

    def drip(self) -> None:
        self.receiver.drip = DRIP

    def call(self, policy: HttpPolicy) -> None:
        with Http(self.entry, policy=policy) as http:
            http.request("POST", self.receiver.urls()["webhook"], json={"text": "a day"})

    def arrivals(self) -> list[float]:
        return list(self.receiver.hits.get("generic", []))


def run_forge(http: ForgeHttp, url: str) -> None:
    async def get() -> None:
        try:
            await http.get(url)
        finally:
            await http.aclose()

    asyncio.run(get())


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("outbound") / "repo"
    build_repo(path, [CommitSpec("feat: a start", dt.datetime(2026, 1, 19, 9, tzinfo=dt.UTC))])
    return path


@pytest.fixture(params=["github", "gitlab", "llm", "webhook"])
def kind(request: pytest.FixtureRequest, repo: Path, tmp_path: Path) -> Iterator[Kind]:
    if request.param == "github":
        with FakeGitHub({"acme/demo": repo}) as github:
            yield GitHubKind(github, tmp_path)
    elif request.param == "gitlab":
        with FakeGitLab({"acme/sub/demo": GitData(repo)}) as gitlab:
            yield GitLabKind(gitlab, tmp_path)
    elif request.param == "llm":
        with FakeLLM() as llm:
            yield LLMKind(llm, tmp_path)
    else:
        receiver = WebhookReceiver().start()
        try:
            yield WebhookKind(receiver)
        finally:
            receiver.stop()


@dataclass(frozen=True)
class OwnRule(HttpPolicy):
    """A policy whose retry decision is not the settings': it lets a failed attempt go again after
    ``steady`` seconds exactly, ``allowed`` times whatever ``retries`` says, and records every decision."""

    allowed: int = 0
    steady: float = 0.0
    asked: list[int] = field(default_factory=list, compare=False)

    def after(self, attempt: int, **context: object) -> Retry:
        self.asked.append(attempt)
        return Retry(attempt, self.steady, "" if attempt <= self.allowed else "attempts")


def test_every_kind_retries_only_as_the_policy_decides(kind: Kind) -> None:
    """The retry loops (the forges', the LLM's, the publishers') keep only their I/O: whether and when a
    failed request goes again is ``HttpPolicy.after``'s. A policy with ``retries = 0`` whose decision
    allows two retries 0.6 s apart gets three requests 0.6 s apart from every kind, each retry asked for."""
    policy = OwnRule(**{**vars(POLICY.but(retries=0, backoff=30.0))}, allowed=2, steady=0.6)
    kind.fail(100)
    with pytest.raises(kind.error):
        kind.call(policy)
    arrivals = kind.arrivals()
    assert len(arrivals) == 3, arrivals
    for gap in (b - a for a, b in zip(arrivals, arrivals[1:], strict=False)):
        assert 0.6 - 0.02 <= gap <= 0.6 + LOADED, gap
    assert policy.asked == [1, 2, 3], policy.asked


def test_the_policy_gives_up_for_one_reason_in_one_order_whoever_asks() -> None:
    """``HttpPolicy.after`` is the one give-up rule: an open breaker first, then the retries spent, then a
    ``Retry-After`` over ``max_retry_after``, then a wait past the deadline; else the wait (``Retry-After``
    where the server said, else the back-off; ``step`` is the back-off's, ``retries`` a kind's own count)."""
    policy = POLICY  # retries 2, back-off 0.4 s, max_retry_after 3 s
    opened = CircuitBreaker("an endpoint", 1)
    opened.trip("down")
    assert policy.after(3, asked=30, left=0, breaker=opened).give_up == "breaker"
    assert policy.after(3, asked=30, left=0).give_up == "attempts"
    assert policy.after(3, retries=3).give_up == ""
    assert policy.after(2, asked=30, left=0).give_up == "retry_after"
    assert policy.after(2, asked=2.0, left=1.0).give_up == "deadline"
    assert policy.after(2, asked=2.0, left=2.5) == Retry(2, 2.0, "", 2.0)
    assert 0.4 <= policy.after(2).wait <= 0.8  # the back-off's second step, jittered
    assert 0.8 <= policy.after(1, step=3).wait <= 1.6


def test_a_server_that_keeps_failing_gets_the_policys_retries_after_its_jittered_back_off(kind: Kind) -> None:
    kind.fail(100)  # 503 without Retry-After, every time
    with pytest.raises(kind.error):
        kind.call(POLICY)
    arrivals = kind.arrivals()
    assert len(arrivals) == POLICY.retries + 1, arrivals
    for retry, gap in enumerate((b - a for a, b in zip(arrivals, arrivals[1:], strict=False)), 1):
        ceiling = POLICY.backoff * 2 ** (retry - 1)  # 0.4 s, then 0.8 s; jittered between half and all
        assert ceiling / 2 - 0.02 <= gap <= ceiling + LOADED, (retry, gap)


def test_a_server_that_asks_to_wait_is_retried_after_its_retry_after(kind: Kind) -> None:
    kind.fail(1, retry_after=1.5)  # far longer than the policy's own first back-off (at most 0.4 s)
    kind.call(POLICY)
    first, second = kind.arrivals()
    assert 1.5 - 0.02 <= second - first <= 1.5 + LOADED, second - first


def test_a_retry_after_longer_than_the_policy_allows_is_not_waited_for(kind: Kind) -> None:
    kind.fail(1, retry_after=30)  # over max_retry_after (3 s): fail now, do not wait 30 s
    started = time.monotonic()
    with pytest.raises(kind.error):
        kind.call(POLICY)
    assert time.monotonic() - started < POLICY.max_retry_after, time.monotonic() - started
    assert len(kind.arrivals()) == 1


def test_timeout_5_ends_a_request_to_a_dripping_server_within_6_seconds(kind: Kind) -> None:
    """The policy's ``timeout`` bounds one request in all (connect, send and every read), whatever reads
    each byte in time: against a server that drips a byte a second, the request ends at 5 s."""
    kind.drip()
    started = time.monotonic()
    with pytest.raises(kind.error):
        kind.call(POLICY.but(retries=0))
    took = time.monotonic() - started
    assert POLICY.timeout - 0.1 <= took < POLICY.timeout + LOADED, took
    assert len(kind.arrivals()) == 1


def test_the_llm_endpoint_like_the_forges_and_publishers_refuses_a_retry_after_over_its_setting(
    tmp_path: Path,
) -> None:
    """``[llm] max_retry_after`` is the LLM's side of the policy's Retry-After rule (``[github]
    max_retry_after``, a publisher's ``max_retry_after``): a 503 asking for 30 s is not waited for."""
    with FakeLLM() as fake:
        settings = settings_for(fake, tmp_path, max_retry_after=3.0).llm
        assert settings.policy().max_retry_after == 3.0
        fake.fail_status, fake.fail_first, fake.fail_retry_after = 503, 1, "30"
        started = time.monotonic()
        with pytest.raises(AnalysisError):
            LLMAnalyzer(settings).ask("what changed?", ["abc1234 fix: a crash"], "en")
        assert time.monotonic() - started < 3.0
        assert len(fake.requests) == 1


def test_every_outbound_transport_is_built_by_the_one_policy(tmp_path: Path) -> None:
    """No module builds an HTTP client of its own (its own timeouts, TLS settings): the forges' clients, the
    LLM endpoint's and the publishers' are built from their settings' ``HttpPolicy`` — each one's transport
    has the timeouts its own section sets (all different here, so a client built from another policy, or
    from a default, shows). E-mail's exchanges go through ``HttpPolicy.send`` (tests/test_one_send_loop.py)."""
    import ast

    from pydantic import TypeAdapter

    import dailydiff
    from dailydiff.analysis.client import ChatClient
    from dailydiff.forges.github import GitHubHttp
    from dailydiff.forges.gitlab import GitLabHttp
    from dailydiff.publish.http import Http
    from dailydiff.settings import load_settings
    from dailydiff.settings.publishers import PublishEntry
    from sourcetree import parsed

    package = Path(dailydiff.__file__).parent
    builders = sorted(
        f"{path.relative_to(package)}:{node.lineno}"
        for path in package.rglob("*.py")
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("Client", "AsyncClient")
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in ("httpx", "httpx2")
    )
    assert builders and all(b.startswith("common/http.py:") for b in builders), builders
    sections = {
        "github": {"connect_timeout": 1.25, "read_timeout": 7.5},
        "gitlab": {"connect_timeout": 1.5, "read_timeout": 8.5},
        "llm": {"connect_timeout": 1.75, "read_timeout": 9.5},
    }
    settings = load_settings(environ={}, overrides={"data_dir": str(tmp_path), **sections}, cwd=tmp_path)
    entry = TypeAdapter(PublishEntry).validate_python({"type": "slack", "url_env": "HOOK", "timeout": 4.25})
    llm = ChatClient(settings.llm, "key")
    llm._build()
    built = {
        "github": (GitHubHttp(settings.github, "o/r")._client, settings.github.policy()),
        "gitlab": (GitLabHttp(settings.gitlab, "g/p")._client, settings.gitlab.policy()),
        "llm": (llm._http_client, settings.llm.policy()),
        "publish": (Http(entry).client, entry.policy()),
    }
    seen = {kind: client.timeout for kind, (client, _) in built.items()}  # type: ignore[union-attr]
    assert seen == {kind: policy.timeouts() for kind, (_, policy) in built.items()}, seen
    assert len({(t.connect, t.read) for t in seen.values()}) == len(seen), (
        seen
    )  # four policies, four transports
