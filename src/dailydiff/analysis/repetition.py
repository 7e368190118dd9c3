"""Seeing a model repeat itself while it streams, pure.

Small models at low temperature fall into loops (a line, a list item, whitespace inside a JSON string)
and go on to the output limit: minutes of generation for an answer that is thrown away. A loop is the
end of the text being one unit repeated: the last ``REPEATS`` copies of a unit of ``MIN_UNIT`` to
``MAX_UNIT`` characters are equal, and they cover at least ``MIN_SPAN`` characters. Checked every
``CHECK_EVERY`` new characters, so a loop is seen at most about ``REPEATS · MAX_UNIT + CHECK_EVERY``
characters after it starts (with ~3 characters a token, well within 512 tokens).
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_UNIT = 1
MAX_UNIT = 300
REPEATS = 4
MIN_SPAN = 160
CHECK_EVERY = 48


def repeated_tail(text: str) -> int:
    """The length of the repeated unit at the end of ``text`` (0: none)."""
    size = len(text)
    for unit in range(MIN_UNIT, MAX_UNIT + 1):
        repeats = max(REPEATS, -(-MIN_SPAN // unit))
        span = unit * repeats
        if span > size:
            break
        tail = text[size - unit :]
        if text[size - span :] == tail * repeats:
            return unit
    return 0


@dataclass
class LoopWatch:
    """Fed the answer as it streams; ``seen`` tells whether the answer has fallen into a loop."""

    checked_at: int = 0
    unit: int = 0

    def seen(self, text: str) -> bool:
        if len(text) - self.checked_at < CHECK_EVERY:
            return False
        self.checked_at = len(text)
        self.unit = repeated_tail(text)
        return self.unit > 0
