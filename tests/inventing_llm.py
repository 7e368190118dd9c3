"""A model that makes things up: the answers of a FakeLLM (``canned``) that name the commit's real files and
functions — read from the prompt it was sent — and, for half the commits, one invented sentence per field
naming a file, a function, a percentage and a pull request found nowhere in that prompt. With
``repairs=True`` it answers a claims repair request without its inventions (a model that listens);
otherwise it sends the same answer again (one that does not).

Used by tests/test_claims_day.py and bench/claims_day.py (a real flashinfer day)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from fake_llm import _schema_of

_BLOCK = re.compile(r"^=== (\S+) \(", re.M)
_DEF = re.compile(r"^\+\s*(?:def|class|void|struct|inline)\s+([A-Za-z_]\w{3,})", re.M)
REPAIR_WORDS = ("names things that are not in", "提到了你看到的")


def inventions(key: str) -> dict[str, str]:
    """The invented claims of one commit (``key``: its sha), each unlike anything a prompt holds."""
    n = int(hashlib.sha256(key.encode()).hexdigest()[:6], 16) % 900 + 100
    return {
        "path": f"csrc/invented_kernel_{n}.cu",
        "function": f"fused_invented_op_{n}()",
        "percent": f"{n // 10}.{n % 10}7%",
        "pr": f"#9{n}1",
    }


@dataclass
class InventingModel:
    """``canned`` for a FakeLLM. ``invents(sha)`` says which commits get inventions (half of them by
    default: those whose sha's first hex digit is even)."""

    repairs: bool = False
    language: str = "en"
    invent: bool = True  # False: a faithful model (its answers name only what the prompt shows)
    invented: dict[str, dict[str, str]] = field(default_factory=dict)  # sha -> its inventions, as sent
    honest: dict[str, dict[str, Any]] = field(default_factory=dict)  # sha -> the answer without them

    @staticmethod
    def invents(sha: str) -> bool:
        return int(sha[0], 16) % 2 == 0

    def __call__(self, body: dict[str, Any]) -> str | None:
        schema = _schema_of(body, True) or {}
        props = schema.get("properties", {})
        if "summary" not in props:
            return None  # the probe, the overview: the fake's own answers
        messages = body.get("messages", [])
        prompt = next((m["content"] for m in messages if m.get("role") == "user"), "")
        sha = re.search(r"\b([0-9a-f]{40})\b", prompt) or re.search(r"\b([0-9a-f]{7,40})\b", prompt)
        key = sha.group(1) if sha else prompt[:200]
        last = messages[-1]["content"] if messages else ""
        repair = any(word in last for word in REPAIR_WORDS)
        paths = _BLOCK.findall(prompt) or re.findall(r"^- (\S+) \(", prompt, re.M) or ["."]
        names = _DEF.findall(prompt)
        answer = self._answer(props, paths, names)
        self.honest[key] = answer
        if self.invent and self.invents(key) and not (repair and self.repairs):
            answer, self.invented[key] = self._invent(answer, inventions(key))
        return json.dumps(answer, ensure_ascii=False)

    def _answer(self, props: dict[str, Any], paths: list[str], names: list[str]) -> dict[str, Any]:
        zh = self.language == "zh"
        path = paths[0]
        name = names[0] if names else ""
        said_name = (f"新增 `{name}`。" if zh else f" It adds `{name}`.") if name else ""
        answer: dict[str, Any] = {
            "change_types": ["feature"],
            "importance": "medium",
            "importance_reason": f"改动了 {path}。" if zh else f"It changes {path}.",
            "summary": (f"修改 `{path}`。{said_name}" if zh else f"Changes `{path}`.{said_name}"),
        }
        if "impact" in props:
            answer["impact"] = [path.rsplit("/", 1)[0] + "/" if "/" in path else path]
        if "insights" in props:
            answer["insights"] = {
                "architecture": f"结构集中在 {path}。" if zh else f"The structure stays in {path}.",
                "performance": "",
                "security": "",
            }
        if "risks" in props:
            answer["risks"] = (
                [f"`{name}` 的调用方需要检查。" if zh else f"Callers of `{name}` need a look."]
                if name
                else []
            )
        if "recommendations" in props:
            answer["recommendations"] = [f"审阅 {paths[-1]}。" if zh else f"Review {paths[-1]}."]
        return answer

    def _invent(self, answer: dict[str, Any], made: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
        """The answer with the inventions its depth has fields for, and those inventions."""
        zh = self.language == "zh"
        out = json.loads(json.dumps(answer))
        placed = {"path": made["path"], "percent": made["percent"]}
        if zh:
            out["summary"] += f"同时重写了 {made['path']}。"
            out["importance_reason"] += f"解码快了 {made['percent']}。"
        else:
            out["summary"] += f" It also rewrites {made['path']}."
            out["importance_reason"] += f" Decoding gets {made['percent']} faster."
        if "risks" in out:
            placed["function"] = made["function"]
            out["risks"].append(
                f"`{made['function']}` 可能出错。" if zh else f"Calls to `{made['function']}` may break."
            )
        if "recommendations" in out:
            placed["pr"] = made["pr"]
            out["recommendations"].append(f"参见 PR {made['pr']}。" if zh else f"See PR {made['pr']} first.")
        if "insights" in out:
            out["insights"]["performance"] = (
                f"{made['function']} 让吞吐提升 {made['percent']}。" if zh
                else f"{made['function']} lifts throughput by {made['percent']}."
            )  # fmt: skip
        return out, placed
