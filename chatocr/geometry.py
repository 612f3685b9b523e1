"""Small geometric helpers on ``x0, y0, x1, y1`` boxes."""

from __future__ import annotations

from collections.abc import Sequence

BoxLike = Sequence[float]


def group_rows(boxes: Sequence[BoxLike], overlap: float = 0.5) -> list[list[int]]:
    """Indices of ``boxes`` grouped into rows, rows top to bottom, each row left to right.

    Boxes are taken by vertical centre; a box joins the row being built when it
    overlaps the row's nearest box vertically by at least ``overlap`` of the
    smaller height.  Comparing with the nearest box rather than the row's first
    keeps a slightly skewed row together, and one pixel of jitter never
    reorders a row.
    """
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i][1] + boxes[i][3]) / 2)
    rows: list[list[int]] = []
    for i in order:
        x0, y0, x1, y1 = boxes[i][:4]
        h = max(y1 - y0, 1e-6)
        placed = False
        # look at the last couple of rows: a short box may belong just above
        for row in reversed(rows[-2:]):
            near = min(row, key=lambda j: abs((boxes[j][0] + boxes[j][2]) / 2 - (x0 + x1) / 2))
            _, b0, _, b1 = boxes[near][:4]
            inter = min(y1, b1) - max(y0, b0)
            if inter >= overlap * min(h, max(b1 - b0, 1e-6)):
                row.append(i)
                placed = True
                break
        if not placed:
            rows.append([i])
    for row in rows:
        row.sort(key=lambda j: boxes[j][0])
    rows.sort(key=lambda r: min((boxes[j][1] + boxes[j][3]) / 2 for j in r))
    return rows


def rows_text(texts: Sequence[str], boxes: Sequence[BoxLike]) -> str:
    """Text laid out by rows: one row per line, the texts of a row joined by spaces, left to right."""
    stripped = [t.strip() for t in texts]
    rows = (" ".join(stripped[i] for i in row if stripped[i]) for row in group_rows(boxes))
    return "\n".join(r for r in rows if r)


def reading_order(boxes: Sequence[BoxLike]) -> list[int]:
    """Indices of ``boxes`` top to bottom, left to right, rows kept together."""
    return [i for row in group_rows(boxes) for i in row]


def upright_box(box: BoxLike, angle: int, width: float, height: float) -> tuple[float, float, float, float]:
    """``box`` on a ``width`` x ``height`` page whose content is turned ``angle`` degrees clockwise
    (0, 90, 180, 270), in the frame where that content stands upright."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    if angle == 90:
        return y0, width - x1, y1, width - x0
    if angle == 180:
        return width - x1, height - y1, width - x0, height - y0
    if angle == 270:
        return height - y1, x0, height - y0, x1
    return x0, y0, x1, y1


def points_box(points) -> tuple[float, float, float, float]:
    """x0, y0, x1, y1 around ``points`` ((x, y) pairs: a polygon, an N x 2 array)."""
    xs, ys = [float(p[0]) for p in points], [float(p[1]) for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def union(boxes: Sequence[BoxLike]) -> tuple[float, float, float, float]:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def iou(a: BoxLike, b: BoxLike) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0
