"""Shared table machinery: grid slots, lines → cells, header rows, agreement scores.

Every table reader (the SLANet-plus model, ruled grids, aligned columns, the
PDF finder) produces ``Slot``s — grid positions with a box — and hands them
here to collect their text and become a ``chatocr.document.Table``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..document import Cell, Line, Table
from ..geometry import group_rows

__all__ = ["Slot", "Fill", "assign_lines", "fill_slots", "cell_text", "guess_header_rows", "make_table", "empty_table"]

BBox = tuple[float, float, float, float]


@dataclass(slots=True)
class Slot:
    """One cell of a grid being built: top-left grid position, spans and its box."""

    row: int
    col: int
    rowspan: int
    colspan: int
    bbox: BBox
    header: bool = False


@dataclass(frozen=True, slots=True)
class Fill:
    """Text of every slot and how well the lines agree with the slots."""

    texts: list[str]
    fit: float  # mean share of a line's area inside the cell it went to (0 with no lines)
    empty_rows: int  # grid rows where no cell starting in the row holds text
    empty_cols: int  # grid columns without text
    row_agreement: float  # share of the visual rows (of 2+ lines) kept in one grid row, one line per cell

    @property
    def agreement(self) -> float:
        """How well a structure explains the text, 0..1.

        Each empty row or column halves it (real tables rarely have one; a
        model inventing a grid does), and a visual row split over grid rows or
        cells counts twice, since it shifts everything after it.
        """
        return self.fit * 0.5 ** (self.empty_rows + self.empty_cols) * self.row_agreement**2


def _boxes(items: Sequence[Sequence[float]]) -> np.ndarray:
    return np.asarray(items, dtype=np.float64).reshape(-1, 4)


def assign_lines(cells: np.ndarray, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every line box, the cell box it belongs to and the share of its area inside that cell.

    The cell holding most of the line wins (IoU breaks ties, so a line on the
    overlap of two padded boxes goes to the one that fits it); a line inside no
    cell goes to the nearest one (distance from its centre to the cell box), so
    no text is ever lost.
    """
    if len(lines) == 0 or len(cells) == 0:
        return np.zeros(len(lines), np.int64), np.zeros(len(lines))
    lx0, ly0, lx1, ly1 = (lines[:, i : i + 1] for i in range(4))
    cx0, cy0, cx1, cy1 = (cells[None, :, i] for i in range(4))
    iw = np.clip(np.minimum(lx1, cx1) - np.maximum(lx0, cx0), 0, None)
    ih = np.clip(np.minimum(ly1, cy1) - np.maximum(ly0, cy0), 0, None)
    inter = iw * ih
    l_area = np.maximum((lx1 - lx0) * (ly1 - ly0), 1e-9)
    c_area = np.maximum((cx1 - cx0) * (cy1 - cy0), 1e-9)
    coverage = inter / l_area
    iou = inter / (l_area + c_area - inter)
    owner = np.argmax(coverage + 1e-3 * iou, axis=1)
    cov = coverage[np.arange(len(lines)), owner]
    lost = cov <= 0
    if lost.any():
        mx, my = (lx0 + lx1) / 2, (ly0 + ly1) / 2
        dx = np.maximum(np.maximum(cx0 - mx, mx - cx1), 0)
        dy = np.maximum(np.maximum(cy0 - my, my - cy1), 0)
        nearest = np.argmin(np.hypot(dx, dy), axis=1)
        owner = np.where(lost, nearest, owner)
    return owner, np.clip(cov, 0.0, 1.0)


def cell_text(lines: Sequence[Line], row_separator: str = " ") -> str:
    """A cell's lines in reading order: a row's lines joined by spaces, rows by ``row_separator``."""
    if not lines:
        return ""
    rows = group_rows([ln.bbox for ln in lines])
    return row_separator.join(" ".join(lines[i].text.strip() for i in row) for row in rows).strip()


def fill_slots(slots: Sequence[Slot], lines: Sequence[Line], n_rows: int, n_cols: int, row_separator: str) -> Fill:
    """Put every line in its slot and measure the agreement."""
    if not slots:
        return Fill([], 0.0, 0, 0, 0.0)
    owner, cov = assign_lines(_boxes([s.bbox for s in slots]), _boxes([ln.bbox for ln in lines]))
    members: list[list[Line]] = [[] for _ in slots]
    for ln, k in zip(lines, owner, strict=True):
        members[int(k)].append(ln)
    texts = [cell_text(m, row_separator) for m in members]
    rows_with_text, cols_with_text = set(), set()
    for s, t in zip(slots, texts, strict=True):
        if t:
            rows_with_text.add(s.row)  # a row whose only text spans down from above is suspect
            cols_with_text.update(range(s.col, s.col + s.colspan))
    return Fill(
        texts,
        float(cov.mean()) if len(lines) else 0.0,  # no text: nothing confirms the grid
        n_rows - len(rows_with_text),
        n_cols - len(cols_with_text),
        _row_agreement(slots, lines, owner),
    )


def _row_agreement(slots: Sequence[Slot], lines: Sequence[Line], owner: np.ndarray) -> float:
    """Share of the visual rows of text that the grid keeps in one row, one line per cell.

    Lines side by side on the page belong to one table row, and to different
    cells: the detector splits a line only at a gap wider than the text is
    tall, which inside one cell is rare.  A structure that sends a visual row
    to several grid rows (a grid shifted against the text), or two of its
    lines to one cell (a missed column), is wrong however confident it is.
    """
    visual = [row for row in group_rows([ln.bbox for ln in lines]) if len(row) > 1]
    if not visual:
        return 1.0
    agree = 0
    for row in visual:
        cells = [int(owner[i]) for i in row]
        spans = [(slots[k].row, slots[k].row + slots[k].rowspan) for k in cells]
        agree += max(a for a, _ in spans) < min(b for _, b in spans) and len(set(cells)) == len(cells)
    return agree / len(visual)


def row_consistency(slots: Sequence[Slot], n_rows: int, n_cols: int) -> float:
    """Share of grid rows whose cells (spans included) cover every column exactly once."""
    if n_rows == 0 or n_cols == 0:
        return 0.0
    count = np.zeros((n_rows, n_cols), np.int32)
    for s in slots:
        count[s.row : s.row + s.rowspan, s.col : s.col + s.colspan] += 1
    return float((count == 1).all(axis=1).mean())


_NUMBER = re.compile(r"^[(\-+−–]?\s*[$€£¥₹%#]?\s*[(\-+−–]?\d[\d\s.,:/\-'’]*\s*[%)kKmMbB]?\)?\.?$")


def is_numeric(text: str) -> bool:
    """A number, amount, percentage, date or time rather than words."""
    t = text.strip()
    return bool(t) and bool(_NUMBER.match(t))


def guess_header_rows(slots: Sequence[Slot], texts: Sequence[str], n_rows: int) -> int:
    """Header rows of a table whose reader does not say: a first row of words over a body.

    Row 0 is a header when it holds text in at least half of its cells and
    none of it is numeric.  A header cell spanning rows takes those rows with
    it, and a spanning header (``colspan``) brings the row below when that row
    is words too (a two-level header).
    """
    if n_rows < 2:
        return 0

    def words_only(r: int) -> bool:
        row = [t for s, t in zip(slots, texts, strict=True) if s.row == r]
        filled = [t for t in row if t.strip()]
        return bool(filled) and 2 * len(filled) >= len(row) and not any(is_numeric(t) for t in filled)

    if not words_only(0):
        return 0
    first = [s for s in slots if s.row == 0]
    depth = max(s.rowspan for s in first)
    if depth == 1 and any(s.colspan > 1 for s in first) and n_rows > 2 and words_only(1):
        depth = 2
    return min(depth, n_rows - 1)


def make_table(
    slots: Sequence[Slot],
    texts: Sequence[str],
    n_rows: int,
    n_cols: int,
    method: str,
    score: float,
    header_rows: int = 0,
) -> Table:
    cells = tuple(
        Cell(
            row=s.row,
            col=s.col,
            rowspan=s.rowspan,
            colspan=s.colspan,
            bbox=tuple(round(float(v), 2) for v in s.bbox),  # type: ignore[arg-type]
            text=t,
            header=s.header or s.row < header_rows,
        )
        for s, t in sorted(zip(slots, texts, strict=True), key=lambda st: (st[0].row, st[0].col))
    )
    return Table(
        n_rows=n_rows, n_cols=n_cols, cells=cells, method=method, score=float(np.clip(score, 0.0, 1.0))  # type: ignore[arg-type]
    )


def empty_table(method: str) -> Table:
    return Table(n_rows=0, n_cols=0, cells=(), method=method, score=0.0)  # type: ignore[arg-type]
