"""cli/app.py's `say`: a line on stderr is what the stderr console prints (scrubbed, escape sequences dropped,
rich's emoji codes and control characters handled as rich handles them), whether or not rich is started."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from dailydiff.cli.app import say
from dailydiff.common.secrets import MASK, scrub
from dailydiff.common.text import terminal_text

LINES = [
    "flashinfer-ai/flashinfer v0.6.16..v0.6.17: 64 commit(s) in 64 entr(ies); 0 LLM request(s)",
    "dailydiff: error: unknown --format 'x' — choose from: md, json, html, release",
    "修复：注意力内核 [#42] · 中文",
    "a :thumbs_up: emoji code and :not_an_emoji: text",
    "a tab\there, a bell \x07 and a \x1b[31mcolour\x1b[0m escape",
    "token ghp_0123456789abcdefghij0123 in a line",
]


def _console(line: str) -> str:
    out = io.StringIO()
    Console(file=out, highlight=False, soft_wrap=True, width=80).print(
        terminal_text(scrub(line)), markup=False, highlight=False
    )
    return out.getvalue()


@pytest.mark.parametrize("line", LINES)
def test_a_line_is_what_the_console_prints(line: str, capsys: pytest.CaptureFixture[str]) -> None:
    say(line)
    assert capsys.readouterr().err == _console(line)


def test_a_secret_never_reaches_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    say("token ghp_0123456789abcdefghij0123 in a line")
    err = capsys.readouterr().err
    assert "ghp_" not in err and MASK in err
