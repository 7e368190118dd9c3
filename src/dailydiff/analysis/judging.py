"""`dailydiff eval --judge NAME`: a judge endpoint rules on the claims the tracer could not settle.

The tracer (analysis/claims.py) finds a claim in what the model was shown, or does not; a claim it does not
find may still be true in other words (a false flag) or made up. The judge is asked about each of them, up
to ``[eval] judge_claims``, taken in turn from every endpoint's analyses: the claim, the sentence it came
from, and the commit as the tracer read it (message, pull request, diff) — and answers supported /
unsupported / unsure with the lines it relied on. Its agreement with the tracer is the share of its rulings
(unsure aside) that say "unsupported" too.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from typing import Any

from dailydiff.analysis.claims import commit_evidence, sentences
from dailydiff.analysis.evaluation import RULES, Endpoint, Item, Outcome, analysis_text, words
from dailydiff.analysis.llm import LLMAnalyzer, UnusableAnswer
from dailydiff.analysis.schema import strict_object
from dailydiff.common.aio import run_sync
from dailydiff.errors import AnalysisError

JUDGE_SCHEMA = strict_object(
    {
        "ruling": {"type": "string", "enum": ["supported", "unsupported", "unsure"]},
        "lines": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
        "reason": {"type": "string"},
    }
)
JUDGE_TOKENS = 384
SHOWN_CHARS = 24_000  # the commit as shown to the judge, at most (about 8k tokens)


def unsettled(endpoints: Sequence[Endpoint], items: Sequence[Item], done: dict[str, dict[str, Outcome]],
              limit: int) -> list[tuple[str, Item, str, str]]:  # fmt: skip
    """Up to ``limit`` (endpoint, item, claim, sentence) the tracer did not find, one endpoint after another
    so each gets its share, in the sample's order."""
    queues = [_unsettled_of(e.name, items, done.get(e.name, {})) for e in endpoints if e.name != RULES]
    return [claim for turn in itertools.zip_longest(*queues) for claim in turn if claim is not None][:limit]


def _unsettled_of(
    name: str, items: Sequence[Item], done: dict[str, Outcome]
) -> list[tuple[str, Item, str, str]]:
    """The (endpoint, item, claim, sentence) the tracer did not find in one endpoint's analyses."""
    queue = []
    for item in items:
        outcome = done.get(item.key)
        grounding = outcome.analysis.grounding if outcome is not None else None
        if grounding is None:
            continue
        said = [s for s in (*grounding.removed, *sentences(analysis_text(outcome.analysis))) if s.strip()]  # type: ignore[union-attr]
        for claim in grounding.unverified:
            sentence = next((s for s in said if claim in s), claim)
            queue.append((name, item, claim, sentence.strip()))
    return queue


def judge_claims(judge: Endpoint, endpoints: Sequence[Endpoint], items: Sequence[Item],
                 done: dict[str, dict[str, Outcome]], limit: int, language: str,
                 store: Any) -> tuple[str, dict[str, Any]]:  # fmt: skip
    """The judge's rulings on the unsettled claims: one line for the table's notes and the JSON's part."""
    assert judge.settings is not None
    claims = unsettled(endpoints, items, done, limit)
    analyzer = LLMAnalyzer(judge.settings, judge.api_key, store, grounding="off")
    rulings: list[dict[str, Any]] = []

    async def main() -> None:
        import asyncio

        async with analyzer.session() as session:

            async def one(name: str, item: Item, claim: str, sentence: str) -> None:
                shown = commit_evidence(item.commit).text[:SHOWN_CHARS]
                system = analyzer.prompts._render("judge.system", language, mode="json_object",
                                                  schema_json=json.dumps(JUDGE_SCHEMA, ensure_ascii=False))  # fmt: skip
                user = analyzer.prompts._render(
                    "judge.user", language, claim=claim, summary=sentence, shown=shown
                )
                messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
                row: dict[str, Any] = {"endpoint": name, "sha": item.commit.sha, "claim": claim}
                try:
                    text, usage = await session._one_answer(language, JUDGE_TOKENS, JUDGE_SCHEMA, "claim_ruling",
                                                            "the ruling was cut off", lambda mode: messages)  # fmt: skip
                    answer = json.loads(text)
                    row |= {"ruling": answer["ruling"], "lines": list(answer.get("lines", []))[:5],
                            "reason": str(answer.get("reason", "")), "tokens_in": usage.prompt_tokens,
                            "tokens_out": usage.completion_tokens, "cost": usage.cost}  # fmt: skip
                except (ValueError, KeyError, TypeError, UnusableAnswer, AnalysisError) as exc:
                    row |= {"ruling": "failed", "error": str(exc)[:200]}
                except Exception as exc:  # an LLM call that failed: this claim is not ruled, the rest are
                    row |= {"ruling": "failed", "error": f"{type(exc).__name__}: {exc}"[:200]}
                rulings.append(row)

            await asyncio.gather(*(one(*claim) for claim in claims))

    if claims:
        run_sync(main())
    count = {
        k: sum(r["ruling"] == k for r in rulings) for k in ("unsupported", "supported", "unsure", "failed")
    }
    ruled = count["unsupported"] + count["supported"]
    part = {"name": judge.name, "model": judge.settings.model, "claims": len(rulings), **count,
            "agreement": round(count["unsupported"] / ruled, 3) if ruled else None,
            "rulings": sorted(rulings, key=lambda r: (r["endpoint"], r["sha"], r["claim"]))}  # fmt: skip
    line = words(language)["judge"].format(
        name=judge.name, n=len(rulings), agree=count["unsupported"], disagree=count["supported"],
        unsure=count["unsure"],
    )  # fmt: skip
    return line + (f" ({count['failed']} failed)" if count["failed"] else ""), part
