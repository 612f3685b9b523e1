"""Rule-based table readers: ruled grids (from the image) and aligned columns (from the lines alone).

Public through ``chatocr.structure.tables`` as ``ruled_table`` and ``aligned_table``.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..document import Line, Table
from ..geometry import group_rows
from ._table_grid import Slot, cell_text, fill_slots, guess_header_rows, make_table

__all__ = ["ruled_table", "aligned_table"]

# A boundary counts as drawn when rule pixels cover this share of its length.
_DRAWN = 0.55
# Scores of the rule readers (before agreement with the lines): a complete ruled
# grid is nearly certain; columns inferred from alignment are less so.
_RULED_PRIOR = 0.97
_ALIGNED_PRIOR = 0.9


def _gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    if image.shape[2] == 1:
        return image[:, :, 0]
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _text_height(lines: Sequence[Line], fallback: float) -> float:
    hs = [ln.bbox[3] - ln.bbox[1] for ln in lines if ln.bbox[3] > ln.bbox[1]]
    return float(np.median(hs)) if hs else fallback


def _ink_without_text(gray: np.ndarray, lines: Sequence[Line]) -> np.ndarray:
    """Dark pixels, minus the glyphs: every ink blob lying wholly inside a text line's box is erased.

    A rule that runs through a line's box reaches beyond it, so it stays.
    """
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 10)
    if not lines:
        return ink
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return ink
    x0, y0 = stats[1:, cv2.CC_STAT_LEFT], stats[1:, cv2.CC_STAT_TOP]
    x1, y1 = x0 + stats[1:, cv2.CC_STAT_WIDTH], y0 + stats[1:, cv2.CC_STAT_HEIGHT]
    boxes = np.asarray([ln.bbox for ln in lines], dtype=np.float64)
    pad = 2.0
    inside = (
        (x0[:, None] >= boxes[None, :, 0] - pad)
        & (y0[:, None] >= boxes[None, :, 1] - pad)
        & (x1[:, None] <= boxes[None, :, 2] + pad)
        & (y1[:, None] <= boxes[None, :, 3] + pad)
    ).any(axis=1)
    drop = np.concatenate([[True], inside])  # label 0 is the background
    ink[drop[labels]] = 0
    return ink


def _rule_masks(ink: np.ndarray, unit: float) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical rule pixels (morphological opening with long, thin kernels)."""
    kh = max(8, int(round(1.2 * unit)))
    kv = max(8, int(round(0.8 * unit)))
    horiz = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (kh, 1)))
    vert = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, kv)))
    # close pinholes and the small breaks a scan leaves in a rule
    horiz = cv2.morphologyEx(horiz, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 1)))
    vert = cv2.morphologyEx(vert, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 5)))
    return horiz, vert


def _rule_positions(mask: np.ndarray, axis: int, min_len: float, tol: float) -> list[float]:
    """Centres of the rules in ``mask`` across ``axis`` (0: horizontal rules → y; 1: vertical → x), merged within ``tol``."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    pos = []
    for i in range(1, n):
        x, y, w, h = stats[i, :4]
        length, thick, start = (w, h, y) if axis == 0 else (h, w, x)
        if length >= min_len and thick <= max(3 * tol, 6):
            pos.append(start + thick / 2.0)
    pos.sort()
    merged: list[list[float]] = []
    for p in pos:
        if merged and p - merged[-1][-1] <= tol:
            merged[-1].append(p)
        else:
            merged.append([p])
    return [float(np.mean(m)) for m in merged]


def _add_open_sides(edges: list[float], lo: float | None, hi: float | None, size: int, tol: float) -> list[float]:
    """Close a grid whose outer rules are not drawn: add an edge just beyond the text on that side."""
    if lo is not None and (not edges or lo < edges[0] - tol):
        edges = [max(0.0, lo - 2.0)] + edges
    if hi is not None and (not edges or hi > edges[-1] + tol):
        edges = edges + [min(float(size), hi + 2.0)]
    return edges


def _drawn(mask: np.ndarray, along: int, at: float, lo: float, hi: float, tol: float) -> bool:
    """Whether a rule runs at ``at`` from ``lo`` to ``hi`` (``along`` 0: horizontal rule, 1: vertical)."""
    span = hi - lo
    a, b = int(lo + 0.15 * span), int(np.ceil(hi - 0.15 * span))
    c0, c1 = max(0, int(at - tol)), int(np.ceil(at + tol)) + 1
    if along == 0:
        band = mask[c0:c1, a:b]
        hit = band.any(axis=0) if band.size else np.zeros(0, bool)
    else:
        band = mask[a:b, c0:c1]
        hit = band.any(axis=1) if band.size else np.zeros(0, bool)
    return bool(hit.size) and float(hit.mean()) >= _DRAWN


def ruled_table(
    image: np.ndarray, lines: Sequence[Line], *, row_separator: str = " ", header: bool = True
) -> Table | None:
    """A table from its drawn rules: rows and columns at the rules, merged cells where a rule is missing.

    ``image`` is the BGR (or gray) crop of one table; ``lines`` are its text
    lines in crop pixels.  Returns None when the crop has no grid (fewer than
    one horizontal and one vertical rule).  ``header``: mark a first row of
    words as the header.
    """
    if image is None or image.size == 0 or min(image.shape[:2]) < 8:
        return None
    lines = [ln for ln in lines if ln.text.strip()]
    gray = np.ascontiguousarray(_gray(image))
    h, w = gray.shape
    unit = _text_height(lines, fallback=max(8.0, min(h, w) / 20))
    tol = max(3.0, 0.35 * unit)
    horiz, vert = _rule_masks(_ink_without_text(gray, lines), unit)
    ys = _rule_positions(horiz, 0, max(8, 1.2 * unit), tol)
    xs = _rule_positions(vert, 1, max(8, 0.8 * unit), tol)
    if not ys or not xs:
        return None
    if lines:
        b = np.asarray([ln.bbox for ln in lines], dtype=np.float64)
        xs = _add_open_sides(xs, b[:, 0].min(), b[:, 2].max(), w, tol)
        ys = _add_open_sides(ys, b[:, 1].min(), b[:, 3].max(), h, tol)
    if len(xs) < 2 or len(ys) < 2:
        return None
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    # v[r][c]: a rule between columns c-1 and c on row r; hz[r][c]: between rows r-1 and r on column c
    v = [[c in (0, n_cols) or _drawn(vert, 1, xs[c], ys[r], ys[r + 1], tol) for c in range(n_cols + 1)]
         for r in range(n_rows)]
    hz = [[r in (0, n_rows) or _drawn(horiz, 0, ys[r], xs[c], xs[c + 1], tol) for c in range(n_cols)]
          for r in range(n_rows + 1)]
    slots = _grid_slots(xs, ys, v, hz)
    fill = fill_slots(slots, lines, n_rows, n_cols, row_separator)
    head = guess_header_rows(slots, fill.texts, n_rows) if header else 0
    agreement = fill.agreement if lines else 0.5  # an empty form: a grid, but nothing to confirm it
    return make_table(slots, fill.texts, n_rows, n_cols, "ruled", _RULED_PRIOR * agreement, head)


def _grid_slots(xs: list[float], ys: list[float], v: list[list[bool]], hz: list[list[bool]]) -> list[Slot]:
    """Cells of a grid, spanning wherever a rule is missing (greedy, left to right, top to bottom)."""
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    taken = np.zeros((n_rows, n_cols), bool)
    slots = []
    for r in range(n_rows):
        for c in range(n_cols):
            if taken[r, c]:
                continue
            cs = 1
            while c + cs < n_cols and not v[r][c + cs] and not taken[r, c + cs]:
                cs += 1
            rs = 1
            while (
                r + rs < n_rows
                and not any(hz[r + rs][k] for k in range(c, c + cs))
                and not any(v[r + rs][k] for k in range(c + 1, c + cs))
                and not taken[r + rs, c : c + cs].any()
            ):
                rs += 1
            taken[r : r + rs, c : c + cs] = True
            slots.append(Slot(r, c, rs, cs, (xs[c], ys[r], xs[c + cs], ys[r + rs])))
    return slots


def _column_runs(boxes: np.ndarray, lo: float, hi: float, min_gap: float) -> list[tuple[float, float]]:
    """Maximal x-ranges covered by ``boxes``, gaps narrower than ``min_gap`` bridged."""
    spans = sorted((float(b[0]), float(b[2])) for b in boxes)
    runs: list[list[float]] = []
    for a, b in spans:
        if runs and a - runs[-1][1] < min_gap:
            runs[-1][1] = max(runs[-1][1], b)
        else:
            runs.append([a, b])
    return [(max(lo, a), min(hi, b)) for a, b in runs]


def _x_groups(boxes: np.ndarray) -> int:
    """How many separate x-ranges (columns) the boxes fall into."""
    spans = sorted((float(b[0]), float(b[2])) for b in boxes)
    groups, end = 0, -np.inf
    for a, b in spans:
        if a >= end:
            groups += 1
        end = max(end, b)
    return groups


def _merge_wrapped_rows(rows: list[list[int]], boxes: np.ndarray) -> list[list[int]]:
    """Join the continuation lines of wrapped cells to their table row.

    A visual row continues the one above when the gap between them is under
    half the usual gap between two full rows (without two adjacent full rows:
    under a quarter of the text height, as between the lines of a paragraph),
    one of the two fills at most half the columns (a statement's rows, tightly
    set, leave a column or two empty and are rows of their own), and the two
    together still fit in the columns a full row has.
    """
    if len(rows) < 3:
        return rows
    full = max(len(r) for r in rows)
    tops = [float(boxes[r, 1].min()) for r in rows]
    bottoms = [float(boxes[r, 3].max()) for r in rows]
    gaps = [tops[k + 1] - bottoms[k] for k in range(len(rows) - 1)]
    between_full = [g for k, g in enumerate(gaps) if len(rows[k]) == full and len(rows[k + 1]) == full]
    heights = boxes[:, 3] - boxes[:, 1]
    near = 0.5 * float(np.median(between_full)) if between_full else 0.25 * float(np.median(heights))
    merged = [list(rows[0])]
    for k in range(1, len(rows)):
        row, prev = rows[k], merged[-1]
        if (
            gaps[k - 1] < near
            # a wrapped cell's other line fills few columns (a row beside it, centred on both lines,
            # may fill the rest); two rows that each fill most columns are two rows
            and min(len(row), len(prev)) <= max(1, full // 2)
            and _x_groups(boxes[prev + row]) <= full
        ):
            prev.extend(row)
        else:
            merged.append(list(row))
    return merged


def aligned_table(lines: Sequence[Line], *, row_separator: str = " ", header: bool = True) -> Table | None:
    """A table from text alignment alone: rows by vertical overlap, columns at gutters shared by the body rows.

    Body rows are those holding at least the median number of lines; a gutter
    is an x-range no body line crosses.  A line of another row (a title, a
    group heading) that crosses gutters becomes a cell spanning those columns.
    Returns None when there are no lines.
    """
    lines = [ln for ln in lines if ln.text.strip()]
    if not lines:
        return None
    boxes = np.asarray([ln.bbox for ln in lines], dtype=np.float64)
    unit = _text_height(lines, fallback=10.0)
    rows = _merge_wrapped_rows(group_rows(boxes.tolist()), boxes)
    counts = np.asarray([len(r) for r in rows])
    body = [i for r, n in zip(rows, counts, strict=True) if n >= np.median(counts) for i in r]
    lo, hi = float(boxes[:, 0].min()), float(boxes[:, 2].max())
    runs = _column_runs(boxes[body], lo, hi, min_gap=0.05 * unit)  # OCR boxes are padded: any gap counts
    n_rows, n_cols = len(rows), len(runs)
    # column edges: the middle of each gutter, and the table's outer extent
    edges = [lo] + [(runs[k][1] + runs[k + 1][0]) / 2 for k in range(n_cols - 1)] + [hi]
    row_top = [float(boxes[r, 1].min()) for r in rows]
    row_bottom = [float(boxes[r, 3].max()) for r in rows]
    row_edges = [row_top[0]] + [(row_bottom[k] + row_top[k + 1]) / 2 for k in range(n_rows - 1)] + [row_bottom[-1]]
    slots: list[Slot] = []
    texts: list[str] = []
    for r, row in enumerate(rows):
        pieces: list[tuple[int, int, list[int]]] = []
        for i in row:
            x0, x1 = boxes[i, 0], boxes[i, 2]
            hit = [k for k, (a, b) in enumerate(runs) if min(x1, b) - max(x0, a) > 0]
            if not hit:  # wholly inside a gutter: the nearest column
                mid = (x0 + x1) / 2
                hit = [int(np.argmin([min(abs(mid - a), abs(mid - b)) for a, b in runs]))]
            pieces.append((min(hit), max(hit), [i]))
        pieces.sort()
        merged: list[tuple[int, int, list[int]]] = []
        for c0, c1, members in pieces:
            if merged and c0 <= merged[-1][1]:
                p0, p1, pm = merged[-1]
                merged[-1] = (p0, max(p1, c1), pm + members)
            else:
                merged.append((c0, c1, members))
        filled = set()
        for c0, c1, members in merged:
            slots.append(Slot(r, c0, 1, c1 - c0 + 1, (edges[c0], row_edges[r], edges[c1 + 1], row_edges[r + 1])))
            texts.append(cell_text([lines[i] for i in members], row_separator))
            filled.update(range(c0, c1 + 1))
        for c in sorted(set(range(n_cols)) - filled):
            slots.append(Slot(r, c, 1, 1, (edges[c], row_edges[r], edges[c + 1], row_edges[r + 1])))
            texts.append("")
    fill = sum(s.colspan for s, t in zip(slots, texts, strict=True) if t) / float(n_rows * n_cols)
    score = _ALIGNED_PRIOR * fill**0.5 * (1.0 if n_cols > 1 else 0.5)
    head = guess_header_rows(slots, texts, n_rows) if header else 0
    return make_table(slots, texts, n_rows, n_cols, "aligned", score, head)
