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


# Each unit looked at, with the span its copies must cover; units are looked at in order up to the first
# whose span the text does not hold (``_REACH``: the longest span up to each unit).
_SPANS = [unit * max(REPEATS, -(-MIN_SPAN // unit)) for unit in range(MIN_UNIT, MAX_UNIT + 1)]
_REACH = [max(_SPANS[: i + 1]) for i in range(len(_SPANS))]
PROBE = 8  # a unit repeats only where the text's last characters appear that unit earlier too


def repeated_tail(text: str) -> int:
    """The length of the repeated unit at the end of ``text`` (0: none): the shortest unit whose last copies
    are equal and cover what they must. Only the units at which the last ``PROBE`` characters appear again
    (``str.find``) are compared: a few for ordinary text, not each of ``MAX_UNIT`` every time."""
    size = len(text)
    if size < _REACH[0]:
        return 0
    key, end = text[size - PROBE :], size - 1
    units: list[int] = []  # found from the farthest: the longest unit first
    at = text.find(key, max(0, size - PROBE - MAX_UNIT), end)
    while at >= 0:
        units.append(size - PROBE - at)
        at = text.find(key, at + 1, end)
    for unit in reversed(units):
        index = unit - MIN_UNIT
        if _REACH[index] > size:
            break
        span = _SPANS[index]
        if text[size - span + unit :] == text[size - span : size - unit]:  # its copies, all equal
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
