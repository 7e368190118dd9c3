"""What every doctor check shares: its result line and the context it reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dailydiff.common.aio import run_sync
from dailydiff.errors import DailyDiffError
from dailydiff.settings import ForgeSettings, RepoEntry, Settings, load_settings

if TYPE_CHECKING:
    from dailydiff.forges.base import ApiResponse, ForgeHttp

# Each check has this long, whatever the settings allow a run (an LLM may be given 180 s an answer):
# doctor is what a user runs to find out what is wrong, and a hung endpoint is one of those things.
CHECK_DEADLINE = 10.0


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    label: str
    detail: str
    fix: str = ""
    warning: bool = False  # works, but something a user would want to change: "!" and not a failure

    def line(self) -> str:
        mark = "!" if self.ok and self.warning else "✓" if self.ok else "✗"
        text = f"{mark} {self.label}: {self.detail}"
        return text + (f" — fix: {self.fix}" if (not self.ok or self.warning) and self.fix else "")


@dataclass
class DoctorContext:
    config_path: Path | None
    base_dir: Path
    settings: Settings | None = None
    config_error: str | None = None
    config_hint: str = ""
    deadline: float = CHECK_DEADLINE  # per check: `doctor --deadline` (a slow local model server needs more)
    on_slow: Callable[[str], None] | None = None  # told before a slow upgrade of the store a check opens

    @classmethod
    def load(
        cls,
        config_path: Path | None,
        data_dir: Path | None = None,
        deadline: float = CHECK_DEADLINE,
        on_slow: Callable[[str], None] | None = None,
    ) -> DoctorContext:
        base_dir = (config_path.parent if config_path else Path.cwd()).resolve()
        context = cls(config_path=config_path, base_dir=base_dir, deadline=deadline, on_slow=on_slow)
        try:
            overrides = {"data_dir": str(data_dir)} if data_dir else None
            context.settings = load_settings(config_path, overrides=overrides)
        except DailyDiffError as exc:
            context.config_error, context.config_hint = exc.message, exc.hint
        return context


Check = Callable[[DoctorContext], list[CheckResult]]
RepoProbe = Callable[[str, RepoEntry, Settings, float], CheckResult]  # the last: the check's deadline


def quick_get(
    client: type[ForgeHttp], section: ForgeSettings, path: str, token: str | None, deadline: float
) -> ApiResponse:
    """One GET through a forge's client (its timeouts, bounded by doctor's deadline per check), any status
    returned as it came: a check reports what the server said, it does not wait for a limit or retry."""
    bounded = {key: min(getattr(section, key), deadline)
               for key in ("read_timeout", "connect_timeout", "timeout")}  # fmt: skip
    quick = section.model_copy(update={"max_retry_after": 0.0, "retries": 1, **bounded})

    async def get() -> ApiResponse:
        http = client(quick, repo="", token=token)
        try:
            return await http.get(
                f"{section.api_url}{path}", allow=(401, 403, 404, 409, 410, 422, 429, 500, 502, 503, 504)
            )
        finally:
            await http.aclose()

    return run_sync(get())
