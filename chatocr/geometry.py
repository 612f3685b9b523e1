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


def upright_points(points, angle: int, width: float, height: float):
    """Points (any shape ending in 2) as :func:`upright_box` moves boxes: where they lie once the
    content of a ``width`` x ``height`` page turned ``angle`` degrees clockwise stands upright."""
    import numpy as np

    p = np.asarray(points, np.float64)
    x, y = p[..., 0], p[..., 1]
    moved = {0: (x, y), 90: (y, width - x), 180: (width - x, height - y), 270: (height - y, x)}[angle]
    return np.stack(moved, axis=-1)


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


# -- skew --------------------------------------------------------------------------------------

SKEW_MIN = 0.5  # degrees: below this, rows are taken as level (boxes of upright scans stay as read)
_SKEW_MAX = 40.0  # a line sloping more is no row of a page merely scanned askew
_SKEW_LINES = 3  # lines long enough to measure, at least
_SKEW_ASPECT = 3.0  # a line measured is at least this many times as long as it is high


def skew_angle(quads) -> float:
    """How many degrees the rows of text slope down to the right (clockwise on the image, y down),
    from line quadrilaterals (N x 4 x 2, corners clockwise from top-left) as the detector gives
    them: the median slope of the lines at least three times as long as they are high.  0 where
    fewer than three such lines lie within 40 degrees of level, or the slope is under half a degree.
    """
    import numpy as np

    q = np.asarray(quads, np.float64).reshape(-1, 4, 2)
    if len(q) < _SKEW_LINES:
        return 0.0
    along = (q[:, 1] - q[:, 0]) + (q[:, 2] - q[:, 3])  # top and bottom edges, left to right
    length = np.hypot(along[:, 0], along[:, 1]) / 2
    across = (np.hypot(*(q[:, 3] - q[:, 0]).T) + np.hypot(*(q[:, 2] - q[:, 1]).T)) / 2
    slope = np.degrees(np.arctan2(along[:, 1], along[:, 0]))
    keep = (length >= _SKEW_ASPECT * across) & (np.abs(slope) <= _SKEW_MAX)
    if keep.sum() < _SKEW_LINES:
        return 0.0
    angle = float(np.median(slope[keep]))
    return angle if abs(angle) >= SKEW_MIN else 0.0


def turn_points(points, angle: float, about: tuple[float, float] = (0.0, 0.0)):
    """``points`` (any shape ending in 2) turned ``angle`` degrees counter-clockwise on the image
    (y down) about the point ``about``: rows that slope down by ``angle`` (see :func:`skew_angle`)
    come out level, and ``-angle`` turns them back."""
    import numpy as np

    p = np.asarray(points, np.float64)
    if not angle:
        return p
    a = np.radians(angle)
    c, s = np.cos(a), np.sin(a)
    x, y = p[..., 0] - about[0], p[..., 1] - about[1]
    return np.stack([x * c + y * s + about[0], y * c - x * s + about[1]], axis=-1)


def level_boxes(quads, angle: float) -> list[tuple[float, float, float, float]]:
    """The x0, y0, x1, y1 boxes of quadrilaterals (N x 4 x 2) turned so that rows sloping ``angle``
    degrees lie level (:func:`turn_points`): what rows are grouped by on a page scanned askew,
    where the boxes as read are each as tall as their line's slope and overlap the rows around them."""
    import numpy as np

    q = turn_points(np.asarray(quads, np.float64).reshape(-1, 4, 2), angle)
    if not len(q):
        return []
    lo, hi = q.min(axis=1), q.max(axis=1)
    return [(float(a), float(b), float(c), float(d)) for (a, b), (c, d) in zip(lo, hi, strict=True)]


def turn_box(box: BoxLike, angle: float, about: tuple[float, float] = (0.0, 0.0)) -> tuple[float, float, float, float]:
    """The box around ``box`` turned ``angle`` degrees about ``about`` (:func:`turn_points`)."""
    if not angle:
        return tuple(float(v) for v in box[:4])  # type: ignore[return-value]
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    return points_box(turn_points([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], angle, about))


def unturn_box(box: BoxLike, angle: float, about: tuple[float, float] = (0.0, 0.0)) -> tuple[float, float, float, float]:
    """The inverse of :func:`turn_box`: the box that, turned ``angle`` degrees about ``about``, has
    ``box`` around it (its centre turned back, the width and height whose turn spans ``box``'s).
    Exact for a box :func:`turn_box` made; the smaller box it gives back is what the larger
    ``turn_box(box, -angle, about)`` would blur."""
    import math

    x0, y0, x1, y1 = (float(v) for v in box[:4])
    if not angle:
        return x0, y0, x1, y1
    a = math.radians(abs(angle))
    c, s = math.cos(a), math.sin(a)
    big_w, big_h, d = x1 - x0, y1 - y0, c * c - s * s
    if d <= 1e-9:  # at 45 degrees or more no box is told from another by the box around it
        return turn_box(box, -angle, about)
    w, h = (big_w * c - big_h * s) / d, (big_h * c - big_w * s) / d
    if w <= 0 or h <= 0:  # no turned box has this one around it: the box around it turned back
        return turn_box(box, -angle, about)
    ((cx, cy),) = turn_points([((x0 + x1) / 2, (y0 + y1) / 2)], -angle, about).tolist()
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
