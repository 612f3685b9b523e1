"""Where a value sits in the lines it was read from: character spans and their boxes.

A value is matched ignoring spaces, commas, case and full-width forms (``1,234.50`` in
``TOTAL 1234.50``), and its box is the part of the line's box that holds it: the words it
covers (``Line.words``), so that on a receipt row ``Total: 12.30`` the evidence for ``12.30``
is the amount, not the row.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np

from ..document import Cell, Line, Word
from ..geometry import group_rows, union
from ..types import BBox

__all__ = ["cell_line", "cell_lines", "squash", "value_box"]


def _fold(ch: str) -> str:
    """One character as compared: NFKC, casefolded; nothing for spaces and commas."""
    if ch.isspace() or ch == ",":
        return ""
    return "".join(c for c in unicodedata.normalize("NFKC", ch).casefold() if not c.isspace() and c != ",")


def squash(text: str) -> str:
    """``text`` as compared: NFKC, casefolded, without spaces and commas."""
    if text.isascii():  # NFKC leaves ASCII as it is, and casefold is lower
        return "".join(text.lower().replace(",", "").split())
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


def _cuts_a_word(texts: Sequence[str], folded: str, where: list[tuple[int, int]], pos: int, end: int) -> bool:
    """Whether ``folded[pos:end]`` starts or ends inside a number or a Latin word of one line
    ("2年" in "2022年", "12.50" in "112.50"; a space between parts them, a comma does not)."""
    def joined(i: int) -> bool:  # folded[i - 1] and folded[i] are one word
        (k0, c0), (k1, c1) = where[i - 1], where[i]
        if k0 != k1 or any(ch.isspace() for ch in texts[k1][c0 + 1 : c1]):
            return False
        a, b = folded[i - 1], folded[i]
        return (a.isdigit() and b.isdigit()) or (a.isascii() and b.isascii() and a.isalpha() and b.isalpha())

    return (pos > 0 and joined(pos)) or (end < len(folded) and joined(end))


def value_box(lines: Sequence[Line], value: str, *, whole: bool = False) -> tuple[BBox, list[Line]] | None:
    """The box of ``value`` in ``lines`` read one after another (an address over three rows), and
    the lines it takes; None when the lines do not hold it.  Each line gives the part of its box
    that holds its share of the value (a whole line gives its own box).  Where the value stands
    whole comes first, not inside a number or a word ("12.50", not the end of "112.50"); with
    ``whole``, nowhere else."""
    target = squash(value)
    if not target or not lines:
        return None
    texts = [ln.text for ln in lines]
    folded, where = _folded(texts)
    first = pos = folded.find(target)
    while pos >= 0 and _cuts_a_word(texts, folded, where, pos, pos + len(target)):
        pos = folded.find(target, pos + 1)
    if pos < 0 and not whole:
        pos = first
    if pos < 0:
        return None
    (k0, i0), (k1, i1) = where[pos], where[pos + len(target) - 1]
    boxes = []
    for k in range(k0, k1 + 1):
        text = lines[k].text
        boxes.append(lines[k].span_box(i0 if k == k0 else 0, i1 + 1 if k == k1 else len(text)))
    return union(boxes), list(lines[k0 : k1 + 1])


def _members(cells: Sequence[Cell], lines: Sequence[Line], chunk: int = 256) -> list[list[int]]:
    """For every cell, the indices of the ``lines`` with more than half their area inside it (in
    chunks of lines: a table of thousands of cells and lines in a few megabytes)."""
    out: list[list[int]] = [[] for _ in cells]
    if not cells or not lines:
        return out
    c = np.array([cell.bbox or (0.0, 0.0, 0.0, 0.0) for cell in cells], np.float64)
    boxes = np.array([ln.bbox for ln in lines], np.float64).reshape(-1, 4)
    for start in range(0, len(boxes), chunk):
        b = boxes[start : start + chunk, None, :]
        w = np.minimum(b[..., 2], c[:, 2]) - np.maximum(b[..., 0], c[:, 0])
        h = np.minimum(b[..., 3], c[:, 3]) - np.maximum(b[..., 1], c[:, 1])
        area = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
        inside = (area > 0) & (np.clip(w, 0, None) * np.clip(h, 0, None) > 0.5 * area)
        for i, j in zip(*np.nonzero(inside), strict=True):
            out[j].append(start + int(i))
    return out


def cell_lines(cells: Sequence[Cell], lines: Sequence[Line]) -> list[Line | None]:
    """Every cell of a table as one line to find values in: its text, boxed by the words of the
    ``lines`` it was read from (those mostly inside it, in reading order), so a value in a cell
    gets its own box, not the cell's.  When those lines do not spell the cell's text (a text
    layer's cell read apart from its lines), the cell's own box, cut by character count.  None
    for an empty cell."""
    lines = [ln for ln in lines if ln.text.strip()]
    return [_cell_line(cell, [lines[i] for i in idx]) for cell, idx in zip(cells, _members(cells, lines), strict=True)]


def cell_line(cell: Cell, lines: Sequence[Line]) -> Line | None:
    """``cell_lines`` for one cell."""
    return cell_lines([cell], lines)[0]


def _cell_line(cell: Cell, members: list[Line]) -> Line | None:
    if not cell.text.strip() or cell.bbox is None:
        return None
    in_rows = [members[i] for row in group_rows([ln.bbox for ln in members]) for i in row]
    for seq in (in_rows, members):
        if seq and squash("".join(ln.text for ln in seq)) == squash(cell.text):
            words = [w for ln in seq for w in (ln.words or (Word(text=ln.text.strip(), bbox=ln.bbox),))]
            return Line(text=cell.text, bbox=union([ln.bbox for ln in seq]), words=tuple(words))
    return Line(text=cell.text, bbox=cell.bbox)
