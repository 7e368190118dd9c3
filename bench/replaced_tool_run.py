"""Runs the replaced tool's entry point, its file unmodified, against the benchmark's fakes.

    VENV/bin/python bench/replaced_tool_run.py TOOL/src/monitor.py [its arguments…]

The tool hard-codes its hosts: PyGithub's default ``https://api.github.com`` and DeepSeek's
``https://api.deepseek.com``. This runner points them at the fakes from outside the tool's files, and does
nothing else to it: ``github.Github`` is built with ``base_url`` = $BENCH_GITHUB_URL (PyGithub's own
setting, its pauses and retry policy left at their defaults), and a ``requests`` call to DeepSeek's host
goes to $BENCH_LLM_URL instead (the rest of the URL kept). Then the script runs as ``python SCRIPT`` runs it:
its directory first on ``sys.path``, ``__name__ == "__main__"``, its exit status the process's. It runs in the
tool's own virtualenv (bench/replaced_tool.py makes it) and imports nothing of dailydiff.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path
from typing import Any

DEEPSEEK = "https://api.deepseek.com"


def redirect(github_url: str, llm_url: str) -> None:
    import github
    import requests

    built = github.Github.__init__

    def at_fake_github(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs["base_url"] = github_url
        built(self, *args, **kwargs)

    sent = requests.Session.request

    def at_fake_llm(self: Any, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(url, str) and url.startswith(DEEPSEEK):
            url = llm_url + url[len(DEEPSEEK) :]
        return sent(self, method, url, *args, **kwargs)

    github.Github.__init__ = at_fake_github  # type: ignore[method-assign]
    requests.Session.request = at_fake_llm  # type: ignore[method-assign]


def main() -> None:
    script = Path(sys.argv[1]).resolve()
    sys.path[0] = str(script.parent)  # in place of this runner's directory, as `python SCRIPT` has it
    redirect(os.environ["BENCH_GITHUB_URL"], os.environ["BENCH_LLM_URL"])
    sys.argv = [str(script), *sys.argv[2:]]
    runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main()
