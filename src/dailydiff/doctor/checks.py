"""`dailydiff doctor`: checks of a set-up, each giving ✓ or ✗ lines with the fix.

``CHECKS`` is a plain registry of checks run in order; features add theirs (the GitHub token and rate
limit live in doctor_github.py, the LLM endpoint's in doctor_llm.py). ``REPO_PROBES``
maps a source kind (see sources.source_kind) to a reachability probe for one [[repos]] entry.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import subprocess
import tempfile
import threading
import tomllib
from pathlib import Path
from typing import Any

from dailydiff import __version__
from dailydiff.common.private import exposure
from dailydiff.common.secrets import is_weak
from dailydiff.common.secrets import scrub as redact
from dailydiff.doctor.base import CHECK_DEADLINE, Check, CheckResult, DoctorContext, RepoProbe
from dailydiff.doctor.publishers import probe_targets
from dailydiff.engine.deliver import configured_streaks
from dailydiff.engine.identity import resolve_source
from dailydiff.engine.kinds import load
from dailydiff.errors import DailyDiffError
from dailydiff.publish.base import Secrets
from dailydiff.publish.files import output_dir_publisher
from dailydiff.publish.registry import build_publishers, entry_names, missing_environment
from dailydiff.settings import RepoEntry, Settings, named_secrets, unknown_environment
from dailydiff.settings.loading import env_names
from dailydiff.sources import SOURCES, GitSource, source_kind
from dailydiff.sources.git import is_git_url
from dailydiff.sources.gitrun import has_commit_graph, run_git
from dailydiff.store import DB_NAME, FailingTarget, open_store

MIN_GIT = (2, 37)  # `git log --since-as-filter`
# A day is read with a walk of the whole history (`--since-as-filter`): past this many commits, a repository
# without git's commit-graph spends a tenth of a second a walk parsing them from its packs (the clones in the
# data directory keep one: sources/gitclone.py).
LONG_HISTORY = 10_000


def check_config(ctx: DoctorContext) -> list[CheckResult]:
    if ctx.settings is None:
        return [CheckResult(False, "config", ctx.config_error or "invalid", ctx.config_hint or "correct it")]
    if ctx.config_path is not None:
        where = str(ctx.config_path)
    else:
        where = (
            "./dailydiff.toml"
            if (Path.cwd() / "dailydiff.toml").is_file()
            else "the defaults (no dailydiff.toml)"
        )
    s = ctx.settings
    repos, topics = len(s.repos), len(s.watch)
    detail = (f"{where} is valid ({repos} {'repository' if repos == 1 else 'repositories'}, "
              f"{topics} watch {'topic' if topics == 1 else 'topics'})")  # fmt: skip
    if not s.repos:
        return [
            CheckResult(
                False,
                "config",
                f"{where} has no [[repos]] entries",
                'add one: [[repos]] source = "OWNER/NAME" (a git URL or a local path)',
            )
        ]
    return [CheckResult(True, "config", detail)]


def check_secrets(ctx: DoctorContext) -> list[CheckResult]:
    """Secrets too short or too word-like to be masked wherever they appear: they are masked only where
    they stand as secrets (common/secrets.py), so a leak elsewhere would go unnoticed."""
    if ctx.settings is None:
        return []
    weak = [where for where, value in named_secrets(ctx.settings, os.environ).items() if is_weak(value)]
    return [
        CheckResult(True, "secrets", f"{where} is weak (under 8 characters or a word): it is masked only "
                    "where it stands as a secret (URLs, password=, headers)",
                    "use a long random value (e.g. `openssl rand -hex 20`)", warning=True)
        for where in weak
    ]  # fmt: skip


def check_environment(ctx: DoctorContext) -> list[CheckResult]:
    """``DAILYDIFF_*`` variables that nothing reads: a typo is otherwise silently ignored."""
    warning = unknown_environment(ctx.settings, os.environ) if ctx.settings is not None else None
    if not warning:
        return []
    problem, _, fix = warning.partition(" — ")
    return [CheckResult(True, "environment", problem, fix, warning=True)]


def check_git(ctx: DoctorContext) -> list[CheckResult]:
    try:
        result = subprocess.run(["git", "--version"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return [CheckResult(False, "git", "not found on PATH", "install git (2.37 or later)")]
    match = re.search(r"(\d+)\.(\d+)", result.stdout)
    version = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if version < MIN_GIT:
        return [CheckResult(False, "git", f"{result.stdout.strip()} is too old", "install git 2.37 or later")]
    return [CheckResult(True, "git", result.stdout.strip())]


def check_data_dir(ctx: DoctorContext) -> list[CheckResult]:
    if ctx.settings is None:
        return []
    path = ctx.settings.data_path
    shared = bool(ctx.settings.store.url)
    fix = "set data_dir (or DAILYDIFF_DATA_DIR / --data-dir) to a writable directory"
    if not path.exists():  # doctor looks, it does not create: the first run makes the directory and store
        parent = next((p for p in path.absolute().parents if p.exists()), None)
        if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            return [CheckResult(False, "data directory", f"{path} cannot be created (under {parent})", fix)]
        return [CheckResult(True, "data directory", f"{path} does not exist yet: the first run creates it"),
                *(_shared_store(ctx) if shared else [])]  # fmt: skip
    exposed = exposure(path)
    failed = _unwritable(ctx, path, shared)
    if failed is not None:
        return [CheckResult(False, "data directory", f"{path} is not writable ({failed})", fix)]
    if exposed:
        fix = f"chmod 700 {path} (dailydiff creates it 0700 and its files 0600)"
        results = [CheckResult(True, "data directory", exposed, fix, warning=True)]
    elif not shared:
        store = "the store opens" if _has_store(ctx.settings) else "the first run creates the store"
        return [CheckResult(True, "data directory", f"{path} is writable and {store}")]
    else:
        results = [CheckResult(True, "data directory", f"{path} is writable")]
    return results + (_shared_store(ctx) if shared else [])


def _unwritable(ctx: DoctorContext, path: Path, shared: bool) -> str | None:
    """Why a file cannot be written in the data directory or its store not opened (None when they can)."""
    assert ctx.settings is not None
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
            pass
        if not shared and _has_store(ctx.settings):
            open_store(ctx.settings, ctx.on_slow).close()
    except (OSError, DailyDiffError) as exc:
        return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return None


def _has_store(settings: Settings) -> bool:
    """Whether a store exists to be opened: a shared one always, a SQLite file when it was written."""
    return bool(settings.store.url) or (settings.data_path / DB_NAME).exists()


def _shared_store(ctx: DoctorContext) -> list[CheckResult]:
    assert ctx.settings is not None
    try:
        with open_store(ctx.settings, ctx.on_slow) as store:
            return [CheckResult(True, "store", f"{store.location} opens (PostgreSQL)")]
    except DailyDiffError as exc:
        return [CheckResult(False, "store", exc.message, exc.hint)]


def probe_git(
    spec: str, entry: RepoEntry, settings: Settings, deadline: float = CHECK_DEADLINE
) -> CheckResult:
    label = f"repository {entry.key}"
    if is_git_url(spec):
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}
        try:
            result = subprocess.run(
                ["git", "ls-remote", "--heads", "--", spec],
                capture_output=True,
                text=True,
                env=env,
                timeout=deadline,
            )
        except subprocess.TimeoutExpired:
            return CheckResult(False, label, f"{redact(spec)} did not answer within {deadline:g} s",
                               "check the URL and network")  # fmt: skip
        if result.returncode != 0:
            reason = (result.stderr.strip().splitlines() or ["unreachable"])[-1]
            return CheckResult(False, label, f"cannot reach {redact(spec)} ({redact(reason)})",
                               f"correct {entry.key}'s source URL or your access to it")  # fmt: skip
        branch = entry.branch or settings.git.branch
        if branch and f"refs/heads/{branch}" not in result.stdout:
            return CheckResult(False, label, f"{redact(spec)} has no branch {branch!r}", "correct the branch")
        return CheckResult(True, label, f"{redact(spec)} is reachable")
    try:
        source = GitSource.open(
            spec,
            settings.data_path,
            name=entry.name,
            branch=entry.branch if entry.branch is not None else settings.git.branch,
            all_branches=bool(
                entry.all_branches if entry.all_branches is not None else settings.git.all_branches
            ),
        )
    except DailyDiffError as exc:
        return CheckResult(False, label, exc.message, f"correct {entry.key}'s source, or {exc.hint}")
    unindexed = _unindexed_history(source.path)
    if unindexed:
        return CheckResult(True, label, f"{spec} is a git repository ({source.repo}); its {unindexed:,} commits "
                           "have no commit-graph, so each day read parses all of them",
                           f"git -C {shlex.quote(str(spec))} commit-graph write --reachable (git maintenance start keeps it up to "
                           "date)", warning=True)  # fmt: skip
    return CheckResult(True, label, f"{spec} is a git repository ({source.repo})")


def _unindexed_history(path: Path) -> int:
    """How many commits HEAD's history holds when it is long (``LONG_HISTORY``) and git keeps no commit-graph
    of it; else 0."""
    objects = run_git(["rev-parse", "--git-path", "objects"], cwd=path, check=False).stdout.decode().strip()
    if has_commit_graph(Path(path, objects or "objects")):
        return 0
    count = run_git(["rev-list", "--count", "HEAD"], cwd=path, check=False).stdout.decode().strip()
    return int(count) if count.isdigit() and int(count) >= LONG_HISTORY else 0


def _later(name: str) -> Any:
    """A check or probe of doctor/<module>.py, imported when it runs (`doctor`'s start-up)."""
    return lambda *args: load(f"dailydiff.doctor.{name}")(*args)


# source kind -> reachability probe of one [[repos]] entry.
REPO_PROBES: dict[str, RepoProbe] = {"git": probe_git, "github": _later("github:probe_github"),
                                     "gitlab": _later("gitlab:probe_gitlab")}  # fmt: skip


def check_repos(ctx: DoctorContext) -> list[CheckResult]:
    if ctx.settings is None:
        return []
    results = []
    for index, entry in enumerate(ctx.settings.repos, 1):
        spec = resolve_source(entry.source, ctx.base_dir)
        label = f"repository {entry.key}"
        try:
            kind = source_kind(spec)
        except DailyDiffError as exc:
            results.append(CheckResult(False, label, exc.message, f"correct repos[{index}].source"))
            continue
        if kind not in SOURCES:
            fix = f"use a local clone or a git URL in repos[{index}].source"
            results.append(
                CheckResult(False, label, f"the {kind} source is not available in this build", fix)
            )
            continue
        probe = REPO_PROBES.get(kind)
        if probe is None:
            results.append(CheckResult(True, label, f"{kind} source (reachability is not checked)"))
            continue
        results.append(probe(spec, entry, ctx.settings, ctx.deadline))
    return results


def check_publishers(ctx: DoctorContext) -> list[CheckResult]:
    if ctx.settings is None or not ctx.settings.publish:
        return []

    problems = missing_environment(ctx.settings.publish, os.environ)
    if problems:
        return [CheckResult(False, "publishers", problem, "export it (in CI: a secret passed as env)")
                for problem in problems]  # fmt: skip
    names = entry_names(ctx.settings.publish)
    found = [CheckResult(True, "publishers", f"{', '.join(names)}: every named environment variable is set")]
    # each target tried without sending, within the check's deadline shared among them
    each = ctx.deadline / (len(names) + 1)
    return found + probe_targets(list(ctx.settings.publish), names, each)


def check_alerts(ctx: DoctorContext) -> list[CheckResult]:
    """Which ``[[publish]]`` entries the ``[[watch]]`` topics alert (a name no entry has is a settings
    error: the config check says it, naming the key)."""
    topics = [t for t in ctx.settings.watch if t.alert] if ctx.settings is not None else []
    if not topics:
        return []
    told = sorted({target for t in topics for target in t.alert})
    return [CheckResult(True, "alerts", f"{len(topics)} watch topic(s) alert {', '.join(told)}")]


def check_deliveries(ctx: DoctorContext) -> list[CheckResult]:
    """A delivery target that has failed ``[run] alert_after`` days in a row is said here, where people
    look when something is off (the run's own lines scroll by in a CI log nobody opens)."""
    if ctx.settings is None or ctx.settings.run.alert_after <= 0:
        return []
    days = ctx.settings.run.alert_after
    if not _has_store(ctx.settings):
        return []  # nothing was ever delivered, and doctor does not create the store to find that out
    try:
        with open_store(ctx.settings, ctx.on_slow) as store:
            failing = _configured(ctx.settings, store.failing_targets(days))
    except DailyDiffError:
        return []  # the data directory's check says what is wrong with the store (or the config's)
    if not failing:
        return []
    results = []
    for f in failing:
        days_asked = f"--from {f.since} --to {f.last}"
        again = (
            f"dailydiff digest --name {f.repo.removeprefix('digest:')} {days_asked} --publish"
            if f.repo.startswith("digest:")
            else f"dailydiff publish {f.repo} {days_asked} --only {f.publisher}"
        )
        detail = " ".join(f.detail.split())[:160] or "no detail"
        results.append(CheckResult(
            False, "deliveries",
            f"{f.publisher} has failed for {f.repo} on {f.days} days in a row ({f.since} to {f.last}; last: {detail})",
            f"check the {f.publisher} target; once it works, `{again}` sends what it missed",
        ))  # fmt: skip
    return results


def _configured(settings: Settings, failing: list[FailingTarget]) -> list[FailingTarget]:
    """The streaks of the targets configured here (engine/deliver.py configured_streaks): a publisher whose
    URL variable is unset here is matched by its name (the publishers check names the variable)."""
    publishers = build_publishers(settings.publish, Secrets(os.environ))
    if settings.run.output_dir:  # the built-in files output of `run`
        report = settings.report
        publishers.append(
            output_dir_publisher(Path(settings.run.output_dir), report.path_template, report.formats)
        )
    urls = {
        name: env_names(entry).get("url_env", "")
        for name, entry in zip(entry_names(settings.publish), settings.publish, strict=True)
    }
    unknown = [name for name, variable in urls.items() if variable and not os.environ.get(variable)]
    return configured_streaks(failing, {f.repo: publishers for f in failing}, unknown)


def check_site(ctx: DoctorContext) -> list[CheckResult]:
    """Feeds read from a feed reader need absolute links: warn when a site is built without base_url."""
    if ctx.settings is None or ctx.settings.site.base_url:
        return []
    built = (ctx.base_dir / ctx.settings.site.output_dir / "feed.xml").is_file()
    configured = False
    if ctx.config_path is not None and ctx.config_path.is_file():
        configured = "site" in tomllib.loads(ctx.config_path.read_text(encoding="utf-8"))
    if not (built or configured):
        return []
    return [
        CheckResult(
            True, "site", "feeds are built with relative links (no [site] base_url): feed readers cannot follow them",
            "set [site] base_url to the address the site is served from, e.g. https://example.org/reports/",
            warning=True,
        )
    ]  # fmt: skip


_PIN = re.compile(r"""dailydiff(?:\[[^\]]*\])?\s*==\s*([^'"\s]+)""")
_UNPINNED = re.compile(r"""pip install[^\n]*?['"\s]dailydiff(?:\[[^\]]*\])?(?=['"\s]|$)""", re.MULTILINE)


def _workflow_file(ctx: DoctorContext) -> Path | None:
    """The workflow that runs this doctor (inside GitHub Actions: GITHUB_WORKFLOW_REF names it), else the
    one `dailydiff init` writes beside the config."""
    ref = os.environ.get("GITHUB_WORKFLOW_REF", "")
    if ref and "/.github/workflows/" in ref:
        relative = ".github/workflows/" + ref.split("/.github/workflows/", 1)[1].split("@", 1)[0]
        workspace = Path(os.environ.get("GITHUB_WORKSPACE") or ctx.base_dir)
        if (workspace / relative).is_file():
            return workspace / relative
    default = ctx.base_dir / ".github" / "workflows" / "dailydiff.yml"
    return default if default.is_file() else None


def check_version(ctx: DoctorContext) -> list[CheckResult]:
    """Which dailydiff is installed, and whether it is the version the workflow file pins."""
    workflow = _workflow_file(ctx)
    if workflow is None:
        return [CheckResult(True, "version", f"dailydiff {__version__}")]
    text = workflow.read_text(encoding="utf-8", errors="replace")
    pins = sorted(set(_PIN.findall(text)))
    name = workflow.name
    if not pins:
        if _UNPINNED.search(text):
            fix = f"pin it: `dailydiff init --workflow-only --force` writes dailydiff=={__version__}"
            detail = f"dailydiff {__version__} installed; {name} installs an unpinned dailydiff"
            return [CheckResult(True, "version", detail, fix, warning=True)]
        return [CheckResult(True, "version", f"dailydiff {__version__} ({name} installs it its own way)")]
    if pins == [__version__]:
        return [CheckResult(True, "version", f"dailydiff {__version__}, the version {name} pins")]
    inside = os.environ.get("GITHUB_ACTIONS") == "true"
    detail = f"dailydiff {__version__} installed, but {name} pins {', '.join(pins)}"
    fix = (
        f"install the pinned version, or pin this one: `dailydiff init --workflow-only --force` "
        f"(dailydiff=={__version__})"
    )
    return [CheckResult(not inside, "version", detail, fix, warning=not inside)]


CHECKS: dict[str, Check] = {
    "config": check_config,
    "secrets": check_secrets,
    "environment": check_environment,
    "git": check_git,
    "data_dir": check_data_dir,
    "github": _later(
        "github:check_github"
    ),  # the token and the remaining rate limit, when a repository is on GitHub
    "repos": check_repos,
    "llm": _later("llm:check_llm"),  # a tiny structured request, when an analyser uses the LLM
    "publishers": check_publishers,
    "alerts": check_alerts,  # every [[watch]] alert target is a [[publish]] entry
    "deliveries": check_deliveries,  # targets that failed [run] alert_after days in a row
    "site": check_site,
    "version": check_version,  # last: the installed version against the workflow's pin
}


# What to do when a check does not finish within its deadline.
SLOW_FIXES = {
    "github": "GitHub (or [github] api_url) does not answer: check the address and the network",
    "repos": "a repository does not answer: check its source URL and the network",
    "llm": "the endpoint accepts the connection but does not answer: check that the server at llm.base_url "
    "is running and not stuck or overloaded",
}


def run_checks(ctx: DoctorContext, checks: dict[str, Check] | None = None,
               deadline: float = CHECK_DEADLINE) -> list[CheckResult]:  # fmt: skip
    """Every check in order, each given ``deadline`` seconds: one that does not answer in time is a ✗
    line saying so, and doctor goes on (it is left running in a daemon thread, which exit does not wait for).
    A check that is upgrading the store (it said so through ``ctx.on_slow``) is waited for to the end: cut
    off, the upgrade would be rolled back and begun again by the next command."""
    results: list[CheckResult] = []
    upgrading = threading.Event()

    def told(message: str) -> None:
        upgrading.set()
        if ctx.on_slow is not None:
            ctx.on_slow(message)

    checked = dataclasses.replace(ctx, on_slow=told)
    for name, check in (checks or CHECKS).items():
        box: list[list[CheckResult] | BaseException] = []

        def call(check: Check = check, box: list[list[CheckResult] | BaseException] = box) -> None:
            try:
                box.append(check(checked))
            except BaseException as exc:  # handed to the caller's thread below
                box.append(exc)

        upgrading.clear()
        worker = threading.Thread(target=call, name=f"doctor-{name}", daemon=True)
        worker.start()
        worker.join(deadline)
        if not box and upgrading.is_set():
            worker.join()
        if not box:
            fix = SLOW_FIXES.get(name, "check it by hand: it may be waiting on the network")
            results.append(CheckResult(False, name, f"no answer within {deadline:g} s", fix))
            continue
        outcome = box[0]
        if isinstance(outcome, BaseException):
            raise outcome
        results.extend(outcome)
    return results
