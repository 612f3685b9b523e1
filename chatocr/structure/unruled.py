"""Unruled tables: runs of text rows whose pieces line up in columns, found among a page's lines.

Ruled tables are found from their rules (``pdf_tables``) and tables the layout
model sees from their region (``TableRecognizer``).  A table drawn without
rules on a page where the layout model sees none (an invoice's line items,
columns kept apart by whitespace alone) is found here, from the lines alone,
and read with ``aligned_table``.

Precision matters more than recall: a false table breaks the text it swallows.
A run of rows becomes a table only when

* it has at least ``min_rows`` consecutive rows (header included), each of
  two or more pieces at least half a text height apart, the rows no further
  apart than about a line height;
* every piece of every row falls in one column (the columns are the x-ranges
  the pieces cover, and stay separated by gutters no piece crosses), every
  column is filled on at least two rows, and most rows fill all columns but
  at most one;
* its cells are short (a few words each: lines of prose in page columns are
  not cells) and are not labels (``Date:`` … ``Total:`` is a key–value list);
* it has ``min_cols`` columns and a column of numbers (amounts, quantities,
  dates), or ``min_cols`` columns filled on every row under a first row of
  words, or two columns under a header row of words over a column of numbers.

Lines that hold several cells of one row (a text layer that keeps a row's
spaces, an OCR box spanning two columns) are cut at wide gaps first:
``split_words`` (word boxes) and ``split_chars`` (character centres).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..document import Line, Table
from ..geometry import group_rows
from ._table_grid import is_numeric
from ._table_rules import aligned_table
from .kv import is_label

__all__ = ["find_unruled_tables", "split_words", "split_chars"]

# Pieces of one row closer than this (text heights) are one cell; further apart, two.
_CELL_GAP = 0.5
# Rows further apart than this (text heights) do not continue a table.
_ROW_GAP = 1.2
# A line closer than this (text heights) under a row of a table is the next line of its cells.
_WRAP_GAP = 0.25
# A line is cut where its words or characters stand this far apart (text heights).
_SPLIT_GAP = 0.7
# Cells of a table are short: mean words per cell, and the share of long cells.
_MEAN_WORDS = 4.0
_LONG_WORDS = 8
_LONG_SHARE = 0.25
# Share of cells that may read as labels ("Date:", "Total: 12.00") before the run is a key–value list.
_LABEL_SHARE = 0.25

# A currency alone ("RM", "$") is the front of the amount beside it, not a column of its own.
_CURRENCY = re.compile(
    r"^(?:RM|MYR|USD|SGD|EUR|GBP|JPY|CNY|RMB|HKD|AUD|CAD|CHF|INR|IDR|RP|THB|PHP|VND|[$€£¥₹]|[A-Z]{1,2}\$)$",
    re.IGNORECASE,
)
_LABEL = re.compile(r"[:：]\s*$|^[^\d:：]{2,30}[:：]\s+\S")


@dataclass(slots=True)
class _Seg:
    x0: float
    x1: float
    members: list[int]  # line indices, left to right


@dataclass(slots=True)
class _Row:
    segs: list[_Seg]
    top: float
    bottom: float
    height: float


def _height(lines: Sequence[Line], ids: Sequence[int]) -> float:
    hs = [lines[i].bbox[3] - lines[i].bbox[1] for i in ids]
    return float(np.median(hs)) if hs else 0.0


def _rows(lines: Sequence[Line], ids: list[int]) -> list[_Row]:
    boxes = [lines[i].bbox for i in ids]
    out = []
    for grp in group_rows(boxes):
        members = [ids[g] for g in grp]
        h = _height(lines, members)
        segs: list[_Seg] = []
        for i in members:
            x0, _, x1, _ = lines[i].bbox
            after_currency = bool(segs) and _CURRENCY.match(" ".join(lines[m].text.strip() for m in segs[-1].members))
            if segs and (x0 - segs[-1].x1 < _CELL_GAP * h or after_currency):
                segs[-1].x1 = max(segs[-1].x1, x1)
                segs[-1].members.append(i)
            else:
                segs.append(_Seg(x0, x1, [i]))
        out.append(_Row(segs, min(lines[i].bbox[1] for i in members), max(lines[i].bbox[3] for i in members), h))
    return out


def _add_row(cols: list[list[float]], row: _Row, tol: float) -> list[list[float]] | None:
    """The columns with ``row``'s pieces added, or None when a piece crosses a gutter or two share a column."""
    cols = [list(c) for c in cols]
    used: set[int] = set()
    fresh: list[list[float]] = []
    for s in row.segs:
        hit = [k for k, (a, b) in enumerate(cols) if min(b, s.x1) - max(a, s.x0) > -tol]
        if len(hit) > 1 or (hit and hit[0] in used):
            return None
        if hit:
            k = hit[0]
            used.add(k)
            cols[k] = [min(cols[k][0], s.x0), max(cols[k][1], s.x1)]
        else:
            fresh.append([s.x0, s.x1])
    cols = sorted(cols + fresh)
    # a widened column may now touch its neighbour: the gutter is gone
    if any(cols[k + 1][0] - cols[k][1] <= tol for k in range(len(cols) - 1)):
        return None
    return cols


def _side_by_side(cell: list[Line]) -> list[Line]:
    """The lines of one cell with those that stand side by side on a row joined into one line (the
    OCR's boxes of one cell's words), its lines over one another (a wrapped cell) kept apart."""
    if len(cell) < 2:
        return cell
    out = []
    for row in group_rows([ln.bbox for ln in cell]):
        parts = sorted((cell[i] for i in row), key=lambda ln: ln.bbox[0])
        if len(parts) == 1:
            out.append(parts[0])
            continue
        box = (min(p.bbox[0] for p in parts), min(p.bbox[1] for p in parts), max(p.bbox[2] for p in parts),
               max(p.bbox[3] for p in parts))
        out.append(parts[0].model_copy(update={"text": " ".join(p.text.strip() for p in parts), "bbox": box,
                                               "polygon": None, "words": tuple(w for p in parts for w in p.words),
                                               "score": min(p.score for p in parts)}))
    return out


def _word_gaps_closed(cols: list[list[float]], row: _Row) -> _Row:
    """``row`` with a piece joined to the piece before it where they stand less than a text height apart
    and it falls in no column or in the same one: words of one cell the OCR boxed apart ("Transfer
    from" | "Ardent Analytics" in a statement's Description column)."""

    def hits(s: _Seg) -> set[int]:
        return {k for k, (a, b) in enumerate(cols) if min(b, s.x1) - max(a, s.x0) > 0}

    segs: list[_Seg] = []
    for s in row.segs:
        if segs and s.x0 - segs[-1].x1 < row.height and hits(s) <= hits(segs[-1]):
            segs[-1] = _Seg(segs[-1].x0, max(segs[-1].x1, s.x1), segs[-1].members + s.members)
        else:
            segs.append(s)
    return row if len(segs) == len(row.segs) else _Row(segs, row.top, row.bottom, row.height)


def _wrapped(cols: list[list[float]], prev: _Row, row: _Row, tol: float) -> list[list[float]] | None:
    """The columns with ``row`` added as the next lines of cells of ``prev`` ("Unit" / "price", a long
    description wrapped), or None: such lines stand closer under their row than a quarter of a text
    height (rows are set further apart), fill at most half the columns, and fall each in one column."""
    if row.top - prev.bottom >= _WRAP_GAP * max(prev.height, row.height) or len(row.segs) > max(1, len(cols) // 2):
        return None
    cols = [list(c) for c in cols]
    for s in row.segs:
        hit = [k for k, (a, b) in enumerate(cols) if min(b, s.x1) - max(a, s.x0) > -tol]
        if len(hit) != 1:
            return None
        k = hit[0]
        cols[k] = [min(cols[k][0], s.x0), max(cols[k][1], s.x1)]
    if any(cols[k + 1][0] - cols[k][1] <= tol for k in range(len(cols) - 1)):
        return None
    return cols


def _joined(prev: _Row, row: _Row, cols: list[list[float]]) -> _Row:
    """``prev`` with ``row``'s lines added to the cells of their columns."""
    segs = {_col_of(cols, s): _Seg(s.x0, s.x1, list(s.members)) for s in prev.segs}
    for s in row.segs:
        k = _col_of(cols, s)
        if k in segs:
            segs[k] = _Seg(min(segs[k].x0, s.x0), max(segs[k].x1, s.x1), segs[k].members + s.members)
        else:
            segs[k] = _Seg(s.x0, s.x1, list(s.members))
    return _Row([segs[k] for k in sorted(segs)], prev.top, max(prev.bottom, row.bottom), prev.height)


def _full(n_cols: int) -> int:
    """Cells a row of an ``n_cols`` table fills at least to count as full: all of 2 or 3, all but one of more."""
    return n_cols if n_cols <= 3 else n_cols - 1


def _col_of(cols: list[list[float]], s: _Seg) -> int:
    return max(range(len(cols)), key=lambda k: min(cols[k][1], s.x1) - max(cols[k][0], s.x0))


def _seg_text(lines: Sequence[Line], s: _Seg) -> str:
    return " ".join(lines[i].text.strip() for i in s.members)


def _heading(text: str) -> bool:
    """A header cell: a few words, not a number, not a label with a colon, hardly any digits ("INV-2291" is none)."""
    t = text.strip()
    alnum = sum(ch.isalnum() for ch in t)
    digits = sum(ch.isdigit() for ch in t)
    return (
        (any(ch.isalpha() for ch in t) or t in ("%", "#"))
        and not is_numeric(t)
        and not _LABEL.search(t)
        and len(t.split()) <= 4
        and digits <= 0.3 * alnum
    )


def _accept(lines: Sequence[Line], rows: list[_Row], cols: list[list[float]], min_rows: int, min_cols: int) -> bool:
    n, nc = len(rows), len(cols)
    if n < min_rows or nc < 2:
        return False
    grid: list[dict[int, str]] = []
    for r in rows:
        grid.append({_col_of(cols, s): _seg_text(lines, s) for s in r.segs})
    # every column filled on two rows at least (a column its heading alone fills, in a header of headings,
    # is a column nothing was entered in: a statement's "Paid in" in a month of payments only); most
    # rows fill all columns but one
    header = len(grid[0]) >= 2 and all(_heading(t) for t in grid[0].values())
    if any(sum(1 for g in grid if c in g) < 2 and not (header and c in grid[0] and len(grid) > 2) for c in range(nc)):
        return False
    if len(grid[0]) < _full(nc):  # a table starts on a full row (its header, or its first item)
        return False
    near_full = sum(1 for g in grid if len(g) >= _full(nc))
    if near_full < max(min_rows, int(np.ceil(2 * n / 3))):
        return False
    cells = [t for g in grid for t in g.values()]
    words = [len(t.split()) for t in cells]
    if np.mean(words) > _MEAN_WORDS or sum(w > _LONG_WORDS for w in words) > _LONG_SHARE * len(words):
        return False
    if sum(1 for t in cells if _LABEL.search(t)) > _LABEL_SHARE * len(cells):
        return False
    body = grid[1:] if header else grid
    # a column of labels ("Date", "Total", "Cash") left of values is a key–value list, not a table; under a
    # header of headings, words a label may hold ("Room charge" under "Description") are items
    for c in range(nc - 1):
        keys = [g[c] for g in body if c in g and len(g) > 1]
        if keys and sum(1 for t in keys if _LABEL.search(t) or (not header and is_label(t))) >= 2 / 3 * len(keys):
            return False

    def numeric(c: int) -> bool:
        vals = [g[c] for g in body if c in g]
        return len(vals) >= 2 and sum(is_numeric(t) for t in vals) >= 2 / 3 * len(vals)

    numbers = [c for c in range(nc) if numeric(c)]
    if nc >= min_cols and numbers:
        return True
    if nc >= min_cols and header and all(len(g) == nc for g in grid):
        return True
    return nc == 2 and header and numbers == [1] and len(body) >= 2 and all(len(g) == 2 for g in grid)


def find_unruled_tables(
    lines: Sequence[Line],
    *,
    min_rows: int = 3,
    min_cols: int = 3,
    row_separator: str = " ",
    header: bool = True,
) -> list[tuple[list[int], Table]]:
    """Unruled tables among ``lines``: for each, the indices of its lines and the table ``aligned_table`` reads.

    ``lines`` are one page's lines outside any table found otherwise, one line
    per cell at most (cut lines that span cells with ``split_words`` or
    ``split_chars`` first).  Rows are taken top to bottom; see the module
    docstring for what makes a run of rows a table.
    """
    ids = [i for i, ln in enumerate(lines) if ln.text.strip() and ln.bbox[2] > ln.bbox[0] and ln.bbox[3] > ln.bbox[1]]
    if len(ids) < 2 * min_rows:
        return []
    rows = _rows(lines, ids)
    out: list[tuple[list[int], Table]] = []
    i = 0
    while i < len(rows):
        if len(rows[i].segs) < 2:
            i += 1
            continue
        tol = 0.1 * rows[i].height
        cols: list[list[float]] | None = [[s.x0, s.x1] for s in rows[i].segs]
        run = [rows[i]]  # rows of the table, a wrapped cell's next lines joined to their row
        ends = [i + 1]  # the index in ``rows`` after each
        j = i + 1
        while j < len(rows):
            prev, row = run[-1], rows[j]
            if row.top - prev.bottom > _ROW_GAP * max(prev.height, row.height):
                break
            grown = _wrapped(cols, prev, row, tol)
            if grown is not None:  # "price" under "Unit", a long description's next line
                run[-1] = _joined(prev, row, grown)
            elif len(row.segs) >= 2:
                row = _word_gaps_closed(cols, row)
                grown = _add_row(cols, row, tol)
                if grown is None:
                    break
                run.append(row)
            else:
                break
            cols = grown
            j += 1
            ends[len(run) - 1 :] = [j]
        # a table ends on its last full row (a "Total  12.00" under it is a key–value pair), or on a row
        # of three cells or more in its columns ("31 Mar | Closing balance | 2,562.22")
        while run and len(run[-1].segs) < min(3, _full(len(cols))):
            run.pop()
        j = ends[len(run) - 1] if run else i
        if len(run) >= min_rows and _accept(lines, run, cols, min_rows, min_cols):
            members = [m for r in run for s in r.segs for m in s.members]
            cells = [ln for r in run for s in r.segs for ln in _side_by_side([lines[m] for m in s.members])]
            table = aligned_table(cells, row_separator=row_separator, header=header)
            if table is not None and table.n_cols >= 2 and table.n_rows >= min_rows:
                out.append((sorted(members), table))
                i = j
                continue
        i += 1
    return out


def _pieces(line: Line, spans: list[tuple[float, float, str]]) -> list[Line]:
    """``line`` cut into ``spans`` (x0, x1, text), each a line of its own with the words centred in it."""
    y0, y1 = line.bbox[1], line.bbox[3]
    return [
        line.model_copy(
            update={
                "text": t,
                "bbox": (float(a), y0, float(b), y1),
                "polygon": None,
                "words": tuple(w for w in line.words if a <= (w.bbox[0] + w.bbox[2]) / 2 <= b),
            }
        )
        for a, b, t in spans
    ]


def split_words(line: Line, words: Sequence[tuple[float, float, str]]) -> list[Line]:
    """Cut a text-layer line at wide gaps between its words (``(x0, x1, text)``, the line's own words).

    Returns ``[line]`` when there is no gap wider than ``_SPLIT_GAP`` text heights.
    """
    words = sorted((w for w in words if w[2].strip()), key=lambda w: w[0])
    if len(words) < 2:
        return [line]
    gap = _SPLIT_GAP * (line.bbox[3] - line.bbox[1])
    spans: list[list] = []
    for x0, x1, t in words:
        if spans and x0 - spans[-1][1] < gap:
            spans[-1][1] = max(spans[-1][1], x1)
            spans[-1][2] += " " + t.strip()
        else:
            spans.append([x0, x1, t.strip()])
    if len(spans) < 2:
        return [line]
    return _pieces(line, [(a, b, t) for a, b, t in spans])


def split_chars(line: Line, centres: Sequence[float] | None) -> list[Line]:
    """Cut an OCR line at wide gaps, from the x centre of each of its characters (one per character of its text).

    A gap is the distance between the centres of the characters either side
    of a run of spaces, less what one space takes (two character pitches, the
    pitch being the median distance between neighbouring characters of a
    word).  Returns ``[line]`` when no gap is wider than ``_SPLIT_GAP`` text
    heights, or without usable centres.
    """
    text = line.text
    if centres is None or len(centres) != len(text) or " " not in text.strip():
        return [line]
    c = np.asarray(centres, dtype=np.float64)
    inner = [c[k + 1] - c[k] for k in range(len(text) - 1) if not text[k].isspace() and not text[k + 1].isspace()]
    if not inner:
        return [line]
    pitch = float(np.median(inner))
    # OCR boxes are padded: the text is about 3/4 of the box height
    gap = _SPLIT_GAP * 0.75 * (line.bbox[3] - line.bbox[1])
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    spans: list[list] = []
    for a, b in words:
        if spans and (c[a] - c[spans[-1][1] - 1]) - 2 * pitch < gap:
            spans[-1][1] = b
        else:
            spans.append([a, b])
    if len(spans) < 2:
        return [line]
    x0, x1 = line.bbox[0], line.bbox[2]
    out = []
    for k, (a, b) in enumerate(spans):
        left = x0 if k == 0 else max(x0, c[a] - pitch / 2)
        right = x1 if k == len(spans) - 1 else min(x1, c[b - 1] + pitch / 2)
        out.append((left, right, text[a:b]))
    return _pieces(line, out)
