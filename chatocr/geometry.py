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
    fewer than three such lines lie within 40 degrees of level, or the slope is under half a
    degree.  Where the rows bow (:func:`row_bow`), their slope at the text's middle column (the
    parser turns such a page by it before it lays the rows straight: its layout model reads a
    turned page better than one sheared as far).
    """
    import numpy as np

    q = np.asarray(quads, np.float64).reshape(-1, 4, 2)
    if len(q) < _SKEW_LINES:
        return 0.0
    bow = row_bow(q)
    if bow is not None:  # rows that bow slope every way: their slope at the text's middle column
        angle = float(np.degrees(np.arctan(bow[0][0])))
        return angle if abs(angle) >= SKEW_MIN else 0.0
    _, _, slope, keep = _measured_lines(q)
    if keep.sum() < _SKEW_LINES:
        return 0.0
    angle = float(np.median(slope[keep]))
    return angle if abs(angle) >= SKEW_MIN else 0.0


def _measured_lines(q, aspect: float = _SKEW_ASPECT):
    """Of line quads (N x 4 x 2), the middles of their left and right ends, their slopes in
    degrees, and which are measured: at least ``aspect`` times as long as high, within 40 degrees of level."""
    import numpy as np

    left, right = (q[:, 0] + q[:, 3]) / 2, (q[:, 1] + q[:, 2]) / 2
    along = right - left
    length = np.hypot(along[:, 0], along[:, 1])
    across = (np.hypot(*(q[:, 3] - q[:, 0]).T) + np.hypot(*(q[:, 2] - q[:, 1]).T)) / 2
    slope = np.degrees(np.arctan2(along[:, 1], along[:, 0]))
    return left, right, slope, (length >= aspect * across) & (np.abs(slope) <= _SKEW_MAX)


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


def level_boxes(quads, angle: float, warp=None) -> list[tuple[float, float, float, float]]:
    """The x0, y0, x1, y1 boxes of quadrilaterals (N x 4 x 2) turned so that rows sloping ``angle``
    degrees lie level (:func:`turn_points`), or moved by ``warp`` where rows converge
    (:func:`row_warp`): what rows are grouped by on a page scanned askew or photographed from one
    side, where the boxes as read are each as tall as their line's slope and overlap the rows around them."""
    import numpy as np

    q = np.asarray(quads, np.float64).reshape(-1, 4, 2)
    q = warp_points(q, warp) if warp is not None else turn_points(q, angle)
    if not len(q):
        return []
    bow = row_bow(q)
    if bow is not None:
        q = straightened(q, bow)
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


# -- rows that bow (paper curled across the rows) ---------------------------------------------

BOW_MIN = 5.0  # degrees: rows whose slope changes less than this from the text's left to its right are straight
_BOW_LINES = 8  # lines long enough to measure, at least
_BOW_CHANGING = 0.7  # a bow that changes down the page must leave at most this share of the slopes' spread
_BOW_ASPECT = 2.0  # a line measured is at least this many times as long as it is high (short amounts count)


def row_bow(quads):
    """How rows of text bow, as on curled paper: the coefficients ``(a, b, c, e)`` of the rows'
    slope (dy/dx) at a point ``(x, y)`` of the text, ``a + b*u + c*u*v + e*v`` with ``u, v`` the
    point's offsets from the text's middle, from line quadrilaterals (N x 4 x 2) as read or as laid
    level by a turn or a homography (:func:`level_boxes`); with the text's middle, ``(coef, (xc, yc))``.
    ``None`` where the rows are straight: fewer than eight lines measured (at least twice as long as
    they are high, so that short amounts count, and within 40 degrees of level), their middles
    spread over less than half the text's width, or the slope changes by less than 5 degrees from
    the text's left to its right, at its top and at its bottom.  Measured on the quads as read, it
    also stands in for :func:`skew_angle`'s median slope and :func:`row_warp`'s homography, which
    rows that bow would mislead.

    A line's chord slope is the rows' slope at its middle (exactly so where the slope changes
    linearly along the row); the fit is weighted by length and run again without the lines
    furthest off (a stamp, a signature).  Short lines' boxes slope less than their rows, so the
    fit is made again from the rows it finds: from the chords between the middles of the lines of
    one row (an amount and its label, far apart, give their row's slope exactly), with the lines at
    least three times as long as high.  The terms of a bow that changes down the page (``c``,
    ``e``) are kept only where they leave at most 0.7 of the spread of the slopes that a bow the
    same all down the page leaves (else they bend the rows to fit the short lines' bias).
    """
    import numpy as np

    q = np.asarray(quads, np.float64).reshape(-1, 4, 2)
    if len(q) < _BOW_LINES:
        return None
    left, right, slope, keep = _measured_lines(q, _BOW_ASPECT)
    if keep.sum() < _BOW_LINES:
        return None
    pts = q[keep].reshape(-1, 2)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre = (lo + hi) / 2
    width, height = float(hi[0] - lo[0]), float(hi[1] - lo[1])
    if width <= 0 or height <= 0:
        return None
    mid = (left[keep] + right[keep]) / 2
    if np.ptp(mid[:, 0]) < width / 2:
        return None  # every line in one column: the slope's change across the rows is not seen
    coef = _bow_fit(mid - centre, np.tan(np.radians(slope[keep])), np.hypot(*(right[keep] - left[keep]).T))
    if coef is None or _bow_change(coef, width, height) < BOW_MIN:
        return None
    bow = (tuple(float(f) for f in coef), (float(centre[0]), float(centre[1])))
    chords = _row_chords(q, bow)
    if chords is not None:
        long = _measured_lines(q)[3]
        cm, ct, cw = chords
        refit = _bow_fit(np.concatenate([(left[long] + right[long]) / 2 - centre, cm - centre]),
                         np.concatenate([np.tan(np.radians(slope[long])), ct]),
                         np.concatenate([np.hypot(*(right[long] - left[long]).T), cw]))
        if refit is not None:
            if _bow_change(refit, width, height) < BOW_MIN:
                return None
            bow = (tuple(float(f) for f in refit), bow[1])
    return bow


def _bow_fit(uv, t, w):
    """The coefficients ``a, b, c, e`` of slopes ``t`` at offsets ``uv`` from the text's middle,
    weighted by ``w`` (see :func:`row_bow`); ``None`` where too few samples stay in the fit."""
    import numpy as np

    u, v = uv[:, 0], uv[:, 1]
    x = np.stack([np.ones_like(u), u, u * v, v], axis=1)
    use = np.ones(len(t), bool)
    for _ in range(3):  # fit, drop the samples furthest off, fit again
        if use.sum() < _BOW_LINES:
            return None
        sw = np.sqrt(w[use])
        coef, *_ = np.linalg.lstsq(x[use] * sw[:, None], t[use] * sw, rcond=None)
        off = np.abs(x @ coef - t)
        cut = max(np.tan(np.radians(0.75)), 3 * float(np.median(off[use])))
        if np.array_equal(use, off <= cut):
            break
        use = off <= cut
    # the bow changing down the page (c, e) only where it explains the slopes far better
    sw = np.sqrt(w[use])
    simple, *_ = np.linalg.lstsq(x[use][:, :2] * sw[:, None], t[use] * sw, rcond=None)
    spread = [float(np.sqrt(np.average((x[use][:, :k] @ f - t[use]) ** 2, weights=w[use])))
              for k, f in ((2, simple), (4, coef))]
    if spread[1] > _BOW_CHANGING * spread[0]:
        coef = np.array([simple[0], simple[1], 0.0, 0.0])
    return coef


def _bow_change(coef, width: float, height: float) -> float:
    """Degrees the rows' slope changes from the text's left edge to its right, along its top row or
    its bottom one, whichever changes more."""
    import numpy as np

    a, b, c, e = coef
    return max(float(np.degrees(abs(np.arctan(a + b * width / 2 + (c * width / 2 + e) * vv)
                                    - np.arctan(a - b * width / 2 + (-c * width / 2 + e) * vv))))
               for vv in (-height / 2, height / 2))


def _row_chords(q, bow):
    """Slopes of the rows that ``bow`` finds, from the chords between the middles of neighbouring
    lines of one row at least two line heights apart: their middles, slopes and lengths, or
    ``None`` where there are fewer than eight such chords.  A line's middle is its box's, moved by
    half the rise of its arc toward the side the arc bulges to (see :func:`straightened`)."""
    import numpy as np

    flat = straightened(q, bow)
    boxes = [points_box(f) for f in flat]
    centre = (q.min(axis=1) + q.max(axis=1)) / 2
    bend, rise = _arc_rise(q, bow)
    centre[:, 1] -= np.sign(bend) * rise / 2
    mids, slopes, lengths = [], [], []
    for row in group_rows(boxes):
        tall = float(np.median([boxes[i][3] - boxes[i][1] for i in row]))
        for i, j in zip(row, row[1:], strict=False):
            dx = centre[j, 0] - centre[i, 0]
            if dx >= 2 * tall:
                mids.append((centre[i] + centre[j]) / 2)
                slopes.append((centre[j, 1] - centre[i, 1]) / dx)
                lengths.append(dx)
    if len(mids) < _BOW_LINES:
        return None
    return np.array(mids), np.array(slopes), np.array(lengths)


def unbowed(points, bow=None):
    """``points`` (any shape ending in 2; a page's line quadrilaterals when ``bow`` is not given,
    which :func:`row_bow` then measures) moved up or down so that the rows that bow run straight:
    each point by the rise of its row from the text's middle column to the point's, the slope
    ``a + b*u + c*u*v + e*v`` summed along ``u``.  The points as given where the rows are straight."""
    import numpy as np

    p = np.asarray(points, np.float64)
    bow = row_bow(p) if bow is None else bow
    if bow is None:
        return p
    (a, b, c, e), (xc, yc) = bow
    u, v = p[..., 0] - xc, p[..., 1] - yc
    rise = (a + e * v) * u + (b + c * v) * u * u / 2
    return np.stack([p[..., 0], p[..., 1] - rise], axis=-1)


def bowed(points, bow):
    """The inverse of :func:`unbowed` with ``bow``: points on the rows laid straight moved back onto
    the rows as they bow (found by a few steps of fixed-point iteration, the rise changing slowly
    down the page)."""
    import numpy as np

    p = np.asarray(points, np.float64)
    (a, b, c, e), (xc, yc) = bow
    u = p[..., 0] - xc
    y = p[..., 1].copy()
    for _ in range(4):
        v = y - yc
        y = p[..., 1] + (a + e * v) * u + (b + c * v) * u * u / 2
    return np.stack([p[..., 0], y], axis=-1)


def box_edges(box: BoxLike, n: int = 9):
    """Points along the four edges of an x0, y0, x1, y1 box, ``n`` to an edge."""
    import numpy as np

    x0, y0, x1, y1 = (float(v) for v in box[:4])
    t = np.linspace(0.0, 1.0, n)
    xs, ys = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
    return np.concatenate([np.stack([xs, np.full(n, y0)], 1), np.stack([xs, np.full(n, y1)], 1),
                           np.stack([np.full(n, x0), ys], 1), np.stack([np.full(n, x1), ys], 1)])


def bow_box(box: BoxLike, bow) -> tuple[float, float, float, float]:
    """The box around ``box`` (on rows laid straight) moved back onto the rows as they bow
    (:func:`bowed`): around its edges, not only its corners, since straight edges come back curved."""
    return points_box(bowed(box_edges(box), bow))


def unbow_box(box: BoxLike, bow) -> tuple[float, float, float, float]:
    """The inverse of :func:`bow_box`: the box on the rows laid straight that :func:`bow_box` takes
    to ``box``.  Its top is ``box``'s top less the least rise along it, its bottom ``box``'s bottom
    less the most; where that leaves no height, ``box`` moved by the rise at its middle."""
    import numpy as np

    x0, y0, x1, y1 = (float(v) for v in box[:4])
    xs = np.linspace(x0, x1, 9)
    top = unbowed(np.stack([xs, np.full(9, y0)], 1), bow)[:, 1]
    bottom = unbowed(np.stack([xs, np.full(9, y1)], 1), bow)[:, 1]
    t, b = float(top.max()), float(bottom.min())
    if b <= t:
        ((_, my),) = unbowed([((x0 + x1) / 2, (y0 + y1) / 2)], bow).tolist()
        return x0, my - (y1 - y0) / 2, x1, my + (y1 - y0) / 2
    return x0, t, x1, b


def _arc_rise(q, bow):
    """For line quads (N x 4 x 2) on rows that ``bow``: the rows' curvature (d2y/dx2) at each line,
    and how far its arc rises over its length (at most half its box's height)."""
    import numpy as np

    (_, b, c, _), (_, yc) = bow
    lo, hi = q.min(axis=1), q.max(axis=1)
    bend = b + c * ((lo[:, 1] + hi[:, 1]) / 2 - yc)
    return bend, np.minimum(np.abs(bend) * (hi[:, 0] - lo[:, 0]) ** 2 / 8, (hi[:, 1] - lo[:, 1]) / 2)


def straightened(quads, bow):
    """Line quadrilaterals (N x 4 x 2, corners clockwise from top-left) on rows that bow, laid
    straight (:func:`unbowed`) and as tall as their text: the detector's box holds a line's whole
    arc, as tall as the line and the arc's rise over its length, and laid straight, that rise is
    left over on the side the arc bulged to; it is cut off there."""
    import numpy as np

    q = unbowed(quads, bow).reshape(-1, 4, 2).copy()
    if not len(q):
        return q
    bend, rise = _arc_rise(q, bow)
    # curving down (bend < 0: the middle of a row lower than its ends) the rise is left below
    q[:, 2:, 1] -= np.where(bend < 0, rise, 0.0)[:, None]
    q[:, :2, 1] += np.where(bend > 0, rise, 0.0)[:, None]
    return q


# -- rows that converge (a page photographed from one side) -----------------------------------

WARP_MIN = 1.5  # degrees: rows whose slope changes less than this over the page are taken as parallel
_WARP_LINES = 8  # lines long enough to measure, at least
_WARP_NEAR = 1.5  # rows meeting nearer the page's middle than this many page sizes are no perspective


def row_warp(quads):
    """The 3 x 3 homography that lays level rows of text that converge, as on a page photographed
    from one side (the rows slope down at the top and up at the bottom, or the other way), from
    line quadrilaterals as the detector gives them (see :func:`skew_angle`); ``None`` where the
    rows are parallel (:func:`skew_angle` then levels them).

    The rows are taken as lines through one vanishing point: the point nearest (in least squares,
    weighted by length, the lines furthest off dropped) the lines at least three times as long as
    they are high.  The homography sends that point to infinity, keeping the middle of the text
    where it is and as large, then turns the rows, now parallel, level.  ``None`` where fewer than
    eight lines are measured, the rows' slope changes by less than 1.5 degrees over the text, or
    they meet nearer than one and a half times the text's size; ``None`` too where the rows bow
    (:func:`row_bow`).
    """
    import numpy as np

    q = np.asarray(quads, np.float64).reshape(-1, 4, 2)
    if len(q) < _WARP_LINES or row_bow(q) is not None:  # rows that bow are laid straight by level_boxes
        return None
    left, right, _, keep = _measured_lines(q)
    if keep.sum() < _WARP_LINES:
        return None
    pts = q[keep].reshape(-1, 2)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre, size = (lo + hi) / 2, float(max(hi - lo))
    if size <= 0:
        return None
    a, b = (left[keep] - centre) / size, (right[keep] - centre) / size  # the text within a unit square
    mid, d = (a + b) / 2, b - a
    length = np.hypot(d[:, 0], d[:, 1])
    w = length / length.max()
    one = np.ones((len(a), 1))
    lines = np.cross(np.hstack([a, one]), np.hstack([b, one]))
    lines /= np.hypot(lines[:, 0], lines[:, 1])[:, None]  # a point's distance from a line: line . (x, y, 1)

    use = np.ones(len(a), bool)
    for _ in range(3):  # fit, drop the lines furthest off, fit again
        if use.sum() < _WARP_LINES:
            return None
        _, _, vt = np.linalg.svd(lines[use] * np.sqrt(w[use])[:, None])
        v = vt[-1]
        # how far each line's slope is off the rows through v at its middle, in degrees
        toward = v[None, :2] - v[2] * mid
        cross = d[:, 0] * toward[:, 1] - d[:, 1] * toward[:, 0]
        off = np.degrees(np.abs(np.arctan2(cross, np.einsum("ij,ij->i", d, toward))))
        off = np.minimum(off, 180 - off)
        cut = max(0.75, 3 * float(np.median(off[use])))
        if np.array_equal(use, off <= cut):
            break
        use = off <= cut
    vx, vy, vw = v
    r2 = vx * vx + vy * vy
    if r2 <= 0 or abs(vw) < 1e-12:
        return None  # parallel rows
    if np.sqrt(r2) / abs(vw) < _WARP_NEAR:
        return None
    # the rows' slope at the top and bottom of the text (along the rows through v, across them)
    ends = np.array([[0.0, -0.5], [0.0, 0.5]])
    dirs = v[None, :2] - vw * ends
    ang = np.degrees(np.arctan2(dirs[:, 1], dirs[:, 0]))
    ang = (ang + 90) % 180 - 90
    spread = abs(ang[0] - ang[1])
    if min(spread, 180 - spread) < WARP_MIN:
        return None
    g = -vw * np.array([vx, vy]) / r2  # the line through v, square to where it lies, goes to infinity
    proj = np.array([[1.0, 0, 0], [0, 1.0, 0], [g[0], g[1], 1.0]])
    phi = np.arctan2(vy, vx)
    phi = (phi + np.pi / 2) % np.pi - np.pi / 2  # the rows' direction once parallel, within 90 degrees of level
    c, s = np.cos(phi), np.sin(phi)
    turn = np.array([[c, s, 0], [-s, c, 0], [0, 0, 1.0]])
    norm = np.array([[1 / size, 0, -centre[0] / size], [0, 1 / size, -centre[1] / size], [0, 0, 1.0]])
    h = np.linalg.inv(norm) @ turn @ proj @ norm
    return h / h[2, 2]


def warp_points(points, matrix):
    """``points`` (any shape ending in 2) moved by a 3 x 3 homography ``matrix``."""
    import numpy as np

    p = np.asarray(points, np.float64)
    m = np.asarray(matrix, np.float64).reshape(3, 3)
    flat = p.reshape(-1, 2)
    out = flat @ m[:2, :2].T + m[:2, 2]
    w = flat @ m[2, :2] + m[2, 2]
    return (out / w[:, None]).reshape(p.shape)


def scaled_warp(matrix, k: float):
    """The homography ``matrix`` for coordinates ``k`` times as large (pixels to points, or back),
    normalised so that its corner is 1."""
    import numpy as np

    m = np.asarray(matrix, np.float64).reshape(3, 3)
    s = np.diag([k, k, 1.0])
    out = s @ m @ np.diag([1 / k, 1 / k, 1.0])
    return out / out[2, 2]


def warp_box(box: BoxLike, matrix) -> tuple[float, float, float, float]:
    """The box around ``box`` moved by the homography ``matrix`` (:func:`warp_points`)."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    return points_box(warp_points([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], matrix))


def unwarp_box(box: BoxLike, matrix) -> tuple[float, float, float, float]:
    """Roughly the inverse of :func:`warp_box` with ``matrix``'s inverse: the box that, moved by the
    inverse of ``matrix``, has ``box`` around it.  Its centre is ``box``'s moved by ``matrix``; its
    width and height are those that the inverse, taken as linear there, spreads over ``box``'s
    (as :func:`unturn_box` does for a turn; exact for a turn).  Where no box spreads so, the box
    around ``box`` moved by ``matrix``."""
    import numpy as np

    x0, y0, x1, y1 = (float(v) for v in box[:4])
    m = np.asarray(matrix, np.float64).reshape(3, 3)
    inv = np.linalg.inv(m)
    ((cx, cy),) = warp_points([((x0 + x1) / 2, (y0 + y1) / 2)], m).tolist()
    # the inverse's Jacobian at (cx, cy): (A - f g^T) / w for f = (A p + t) / w, w = g . p + 1
    wgt = inv[2, 0] * cx + inv[2, 1] * cy + inv[2, 2]
    f = (inv[:2, :2] @ (cx, cy) + inv[:2, 2]) / wgt
    jac = np.abs((inv[:2, :2] - np.outer(f, inv[2, :2])) / wgt)
    det = jac[0, 0] * jac[1, 1] - jac[0, 1] * jac[1, 0]
    if abs(det) > 1e-9:
        w, h = np.linalg.solve(jac, (x1 - x0, y1 - y0))
        if w > 0 and h > 0:
            return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
    return warp_box(box, m)
