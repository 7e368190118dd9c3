"""Building prompts from the templates in ``prompts/`` (pure apart from reading the template files).

Every prompt is checked against the model's context: prompt estimate + answer allowance never exceeds
the configured context window (the diff is shrunk until it fits, the list of omitted files is shortened,
and a prompt that still cannot fit is an error, not a request).

Prompts are sized by depth, not by the context: on a laptop's server the prompt's evaluation is the cost
(a 7.5k-token prompt is about a minute on two cores). A low-importance commit gets its title, PR text,
file list and its most relevant hunks within ``DEPTH_COMMIT_TOKENS`` (the instructions come on top: about
450 tokens, more in json_object mode where they carry the schema); a high one up to 16k tokens (about
40k characters of its most relevant hunks: more is what the tool dailydiff replaces sent, whole patches,
for no better answer). On flashinfer's 18-commit 2026-04-24 that is under half the prompt characters of
that tool (bench/warm_start.py --tool).
What the model did not see is listed in the analysis (``unseen_files``) either way.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dailydiff.analysis.base import AnalysisRequest
from dailydiff.analysis.budget import (
    DiffSelection,
    Omitted,
    clip_text,
    estimate_messages,
    estimate_tokens,
    select_diff,
)
from dailydiff.analysis.claims import Evidence, Section, figures
from dailydiff.analysis.schema import (
    ASK_SCHEMA,
    OVERVIEW_SCHEMA,
    REWRITE_SCHEMA,
    SCHEMA_VERSION,
    answer_schema,
)
from dailydiff.common.templates import environment
from dailydiff.models import ChangeType, Commit, Level, ReportCommit

TEMPLATE_NAMES = ("analyse.system", "analyse.user", "repair", "overview.system", "overview.user")
OMITTED_LISTED = 30  # omitted files named in the prompt (all of them go to unseen_files)
PATH_CHARS = 160


_OUR_TAGS = re.compile(r"<(/?)(commit_message|pull_request|diff)\b", re.I)


def inert(text: object) -> str:
    """Untrusted text with our own delimiter tags defused, so a commit cannot close its data block."""
    return _OUR_TAGS.sub(lambda m: f"‹{m.group(1)}{m.group(2)}", str(text))


class PromptTooLarge(ValueError):
    pass


@dataclass(frozen=True)
class Prompt:
    messages: list[dict[str, str]]
    max_tokens: int  # the answer allowance
    tokens: int  # estimated prompt tokens
    selection: DiffSelection
    evidence: Evidence | None = None  # what the model is shown, for the claims tracer


# The commit's part of the prompt (message, PR, diff, file list) in tokens at most, per depth (None: as much
# as the context holds; a smaller context holds less); the instructions come on top.
DEPTH_COMMIT_TOKENS: dict[Level, int | None] = {Level.LOW: 500, Level.MEDIUM: 2000, Level.HIGH: 16000}


def safety_margin(context_window: int) -> int:
    return max(64, context_window // 50)


def _short(path: str) -> str:
    return path if len(path) <= PATH_CHARS else "…" + path[-(PATH_CHARS - 1) :]


class PromptBook:
    def __init__(self, prompts_dir: str = "") -> None:
        self.env = environment("prompt", "analysis/prompts", prompts_dir, filters={"inert": inert})
        self._hashes: dict[str, str] = {}

    def _render(self, name: str, language: str, **context: Any) -> str:
        lang = language if language in ("zh", "en") else "en"
        return self.env.get_template(f"{name}.{lang}.j2").render(**context).strip()

    def template_hash(self, language: str) -> str:
        """Changes whenever any template of this language (or the schema version) changes."""
        if language not in self._hashes:
            digest = hashlib.sha256(f"schema:{SCHEMA_VERSION}".encode())
            for name in TEMPLATE_NAMES:
                lang = language if language in ("zh", "en") else "en"
                source, _, _ = self.env.loader.get_source(self.env, f"{name}.{lang}.j2")  # type: ignore[union-attr]
                digest.update(name.encode() + b"\0" + source.encode())
            self._hashes[language] = digest.hexdigest()[:12]
        return self._hashes[language]

    # commit analysis ---------------------------------------------------------------------------

    def analysis_prompt(
        self,
        request: AnalysisRequest,
        depth: Level,
        language: str,
        mode: str,
        context_window: int,
        max_tokens: int,
    ) -> Prompt:
        commit = request.commit
        available = context_window - max_tokens - safety_margin(context_window)
        if available <= 0:
            raise PromptTooLarge(
                f"an answer allowance of {max_tokens} tokens leaves no room in {context_window}"
            )
        schema = answer_schema(depth)
        system = self._render(
            "analyse.system", language, repo=commit.repo, depth=depth.value, mode=mode,
            change_types=[ct.value for ct in ChangeType], schema_json=json.dumps(schema, ensure_ascii=False),
        )  # fmt: skip
        budget = DEPTH_COMMIT_TOKENS[depth]
        if budget is not None:
            available = min(available, estimate_messages([{"content": system}]) + budget)
        pr: dict[str, Any] | None = None
        if commit.pr is not None:
            pr = {
                "number": commit.pr.number,
                "title": clip_text(commit.pr.title, 200),
                "labels": [label[:60] for label in commit.pr.labels[:10]],
                "body": clip_text(commit.pr.body, available // 10),
            }
        fixed: dict[str, Any] = {
            "repo": commit.repo,
            "repo_context": clip_text(request.repo_context, 200),
            "sha": commit.sha,
            "author": commit.author.name[:100],
            "committed_at": commit.committed_at.isoformat(),
            "files_total": commit.stats.files or len(commit.files),
            "additions": commit.stats.additions,
            "deletions": commit.stats.deletions,
            "score": f"{request.score.score:g}",
            "level": request.score.level.value,
            "reasons": [clip_text(r, 60) for r in request.score.reasons[:8]],
            "message": clip_text(commit.message.strip(), available // 8),
            "pr": pr,
        }
        diff_budget = (
            available - estimate_tokens(system) - estimate_tokens(json.dumps(fixed, ensure_ascii=False))
        )
        listed = OMITTED_LISTED
        # Shrink until it fits: the diff first, then the list of omitted files, then the message and PR text.
        for _ in range(24):
            selection = select_diff(commit.files, diff_budget)
            user = self._render("analyse.user", language, **fixed, **_diff_context(selection, listed))
            messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
            tokens = estimate_messages(messages)
            if tokens <= available:
                evidence = _evidence(commit, fixed, selection, listed, user.rpartition("</diff>")[2])
                return Prompt(messages, max_tokens, tokens, selection, evidence)
            over = tokens - available + 32
            if diff_budget > 0:
                diff_budget = max(0, diff_budget - over)
            elif listed > 5:
                listed = 5
            elif estimate_tokens(fixed["message"]) > 40 or (pr and estimate_tokens(pr["body"]) > 0):
                fixed["message"] = clip_text(
                    fixed["message"], max(40, estimate_tokens(fixed["message"]) - over)
                )
                if pr:
                    pr["body"] = clip_text(pr["body"], estimate_tokens(pr["body"]) // 2)
                    pr["title"] = clip_text(pr["title"], 40)
            elif listed > 0:
                listed = 0  # the count of files not seen stays in the prompt
            else:
                break
        raise PromptTooLarge(f"the commit's text alone needs more than {available} prompt tokens")

    def repair_messages(
        self, prompt: Prompt, reply_text: str, error: str, language: str, mode: str, context_window: int
    ) -> list[dict[str, str]]:
        """The prompt, the failed answer and the validation error; the answer is clipped to fit."""
        note = self._render("repair", language, error=error[:300], mode=mode)
        return _follow_up(prompt, reply_text, note, context_window)

    def claims_messages(self, prompt: Prompt, reply_text: str, claims: Sequence[str], language: str, mode: str,
                        context_window: int, *, cite: bool = False) -> list[dict[str, str]]:  # fmt: skip
        """The prompt, the answer, and the claims in it that nothing the model was shown supports: to be
        rewritten (a repair), or with ``cite`` only shown by the lines that show them (``mark``)."""
        note = self._render("cite" if cite else "claims", language, claims=[inert(c)[:120] for c in claims[:20]],
                            mode=mode)  # fmt: skip
        return _follow_up(prompt, reply_text, note, context_window)

    # day overview ------------------------------------------------------------------------------

    def ask_messages(
        self, question: str, commit_lines: Sequence[str], language: str, mode: str
    ) -> list[dict[str, str]]:
        """`dailydiff ask`: the question and the retrieved commits (already cut to the budget)."""
        system = self._render(
            "ask.system", language, mode=mode, schema_json=json.dumps(ASK_SCHEMA, ensure_ascii=False)
        )
        user = self._render("ask.user", language, question=question, commits=list(commit_lines))
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def week_messages(self, name: str, week: str, figures: Sequence[str], signals: Sequence[str],
                      commits: Sequence[str], language: str, mode: str) -> list[dict[str, str]]:  # fmt: skip
        """A week's one-line summary and stakeholder themes (analysis/week.py): its figures, its signals and its
        commits, numbered."""
        from dailydiff.analysis.week import WEEK_SCHEMA

        system = self._render(
            "week.system", language, mode=mode, schema_json=json.dumps(WEEK_SCHEMA, ensure_ascii=False)
        )
        user = self._render("week.user", language, project=name, week=week, figures=list(figures),
                            signals=list(signals), commits=list(commits))  # fmt: skip
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def rewrite_messages(self, question: str, language: str, mode: str) -> list[dict[str, str]]:
        """`dailydiff ask`: the question as search words in English and in Chinese (one request, cached)."""
        system = self._render(
            "rewrite.system", language, mode=mode, schema_json=json.dumps(REWRITE_SCHEMA, ensure_ascii=False)
        )
        user = self._render("rewrite.user", language, question=question)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def notes_messages(self, entries: Sequence[Mapping[str, Any]], audience: str, language: str, mode: str,
                       repo: str, tag: str) -> list[dict[str, str]]:  # fmt: skip
        """`dailydiff notes`: a release's entries (id, group, title, summary) to be told to ``audience``."""
        from dailydiff.analysis.schema import NOTES_SCHEMA

        system = self._render("notes.system", language, repo=repo, tag=tag, audience=audience, mode=mode,
                              schema_json=json.dumps(NOTES_SCHEMA, ensure_ascii=False))  # fmt: skip
        user = self._render("notes.user", language, audience=audience, entries=list(entries))
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def overview_messages(
        self,
        commits: Sequence[ReportCommit],
        language: str,
        mode: str,
        context_window: int,
        max_tokens: int,
        type_labels: dict[str, str],
    ) -> list[dict[str, str]]:
        analysed = [rc for rc in commits if rc.analysis is not None and not rc.is_merge]
        ranked = sorted(analysed, key=lambda rc: (-rc.level.rank, -rc.score.score))
        repo = commits[0].repo if commits else ""
        system = self._render(
            "overview.system", language, repo=repo, mode=mode,
            schema_json=json.dumps(OVERVIEW_SCHEMA, ensure_ascii=False),
        )  # fmt: skip
        available = context_window - max_tokens - safety_margin(context_window)
        rows: list[dict[str, str]] = []
        for rc in ranked:
            assert rc.analysis is not None
            rows.append(
                {
                    "level": rc.level.value,
                    "types": "/".join(type_labels.get(ct.value, ct.value) for ct in rc.analysis.change_types),
                    "title": clip_text(rc.title, 80, "…"),
                    "summary": clip_text(" ".join(rc.analysis.summary.split()), 120, "…"),
                }
            )
        while True:
            user = self._render(
                "overview.user", language, total=len(analysed), commits=rows,
                left_out=len(analysed) - len(rows),
            )  # fmt: skip
            messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
            if estimate_messages(messages) <= available or not rows:
                break
            rows = rows[: max(0, len(rows) * 3 // 4)]
        if estimate_messages(messages) > available:
            raise PromptTooLarge("the overview prompt does not fit the context window")
        return messages


def _follow_up(prompt: Prompt, reply_text: str, note: str, context_window: int) -> list[dict[str, str]]:
    """The prompt, the model's answer (clipped to what the context leaves) and ``note`` on it."""
    room = context_window - prompt.max_tokens - safety_margin(context_window) - prompt.tokens
    room -= estimate_tokens(note) + 2 * 8
    return [
        *prompt.messages,
        {"role": "assistant", "content": clip_text(reply_text, max(0, room)) or "(empty)"},
        {"role": "user", "content": note},
    ]


def _evidence(
    commit: Commit, fixed: Mapping[str, Any], selection: DiffSelection, listed: int, unseen_text: str
) -> Evidence:
    """Exactly what a commit's prompt shows the model, in the sections a claim is said to be found in;
    ``unseen_text``: the prompt's own list of the files it leaves out, its heading's words with it (a model
    repeats "lockfiles/generated/vendored/minified/binary")."""
    header = (f"{fixed['repo']} {fixed['repo_context']}\n{fixed['sha']} {fixed['author']} {fixed['committed_at']}\n"
              f"{fixed['files_total']} files, +{fixed['additions']}/-{fixed['deletions']}, score {fixed['score']} "
              f"({fixed['level']}) {'; '.join(fixed['reasons'])}")  # fmt: skip
    sections = [Section("header", header), Section("message", fixed["message"])]
    pr = fixed["pr"]
    if pr:
        sections.append(
            Section("pull request", f"#{pr['number']} {pr['title']}\n{', '.join(pr['labels'])}\n{pr['body']}")
        )
    sections += [  # a clipped block's header says how many of its hunks are shown, as the prompt does
        Section(
            "diff",
            f"{b.header}{f' [{b.hunks_shown}/{b.hunks_total} hunks]' * b.clipped}\n{b.patch}",
            path=b.path,
        )
        for b in selection.blocks
    ]
    unseen = [f"{o.path} ({o.reason})" for o in selection.omitted[:listed]]  # as listed: each with its reason
    if selection.omitted:  # a tight prompt lists none, its heading and count stay
        more = len(selection.omitted) - len(unseen)
        counts = f"{len(selection.omitted)} files" + (f", {more} more" if more else "")
        sections.append(Section("unseen files", "\n".join([counts, *unseen, unseen_text.strip()])))
    shown = [b.path for b in selection.blocks]
    return Evidence(sections, lambda: figures(commit, shown))  # added up only for a count to look up


def _diff_context(selection: DiffSelection, listed: int) -> dict[str, Any]:
    omitted = [Omitted(_short(o.path), o.reason) for o in selection.omitted]
    return {
        "blocks": selection.blocks,
        "omitted": omitted[:listed],
        "omitted_total": len(omitted),
        "omitted_more": max(0, len(omitted) - listed),
    }
