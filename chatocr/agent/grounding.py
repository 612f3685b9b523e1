"""Where a value sits in the lines it was read from: character spans and their boxes.

A value is matched ignoring spaces, commas, case and full-width forms (``1,234.50`` in
``TOTAL 1234.50``), and its box is the part of the line's box that holds it: the words it
covers (``Line.words``), so that on a receipt row ``Total: 12.30`` the evidence for ``12.30``
is the amount, not the row.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from ..document import Line
from ..geometry import union
from ..types import BBox

__all__ = ["squash", "value_box"]


def _fold(ch: str) -> str:
    """One character as compared: NFKC, casefolded; nothing for spaces and commas."""
    if ch.isspace() or ch == ",":
        return ""
    return "".join(c for c in unicodedata.normalize("NFKC", ch).casefold() if not c.isspace() and c != ",")


def squash(text: str) -> str:
    """``text`` as compared: NFKC, casefolded, without spaces and commas."""
    return "".join(_fold(c) for c in text)


def _folded(texts: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """The texts squashed and joined, and for each character kept, (text index, character index)."""
    chars: list[str] = []
    where: list[tuple[int, int]] = []
    for k, text in enumerate(texts):
        for i, ch in enumerate(text):
            for c in _fold(ch):
                chars.append(c)
                where.append((k, i))
    return "".join(chars), where


def value_box(lines: Sequence[Line], value: str) -> tuple[BBox, list[Line]] | None:
    """The box of ``value`` in ``lines`` read one after another (an address over three rows), and
    the lines it takes; None when the lines do not hold it.  Each line gives the part of its box
    that holds its share of the value (a whole line gives its own box)."""
    target = squash(value)
    if not target or not lines:
        return None
    folded, where = _folded([ln.text for ln in lines])
    pos = folded.find(target)
    if pos < 0:
        return None
    (k0, i0), (k1, i1) = where[pos], where[pos + len(target) - 1]
    boxes = []
    for k in range(k0, k1 + 1):
        text = lines[k].text
        boxes.append(lines[k].span_box(i0 if k == k0 else 0, i1 + 1 if k == k1 else len(text)))
    return union(boxes), list(lines[k0 : k1 + 1])
