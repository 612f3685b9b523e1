"""Cutting text lines out of a page image."""

from __future__ import annotations

import math

import cv2
import numpy as np

# a crop this many times as tall as wide is turned (PP-OCR's rule)
_TALL = 1.5
# below this many times, a tall crop may as well be one narrow glyph lying: read both ways
SHORT_TALL = 3.0


def crop_quad(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Perspective-correct crop of ``quad`` (tl, tr, br, bl) as an upright rectangle.

    A crop much taller than wide is vertical text and is turned 90° so that
    the recogniser reads it left to right.
    """
    tl, tr, br, bl = quad.astype(np.float32)
    w, h = _size(*np.asarray(quad, np.float64).ravel().tolist())
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(np.stack([tl, tr, br, bl]), dst)
    out = cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    if is_vertical(quad):
        out = np.rot90(out)  # the quad's top edge becomes the crop's left
    return np.ascontiguousarray(out)


def short_and_tall(quad: np.ndarray, most: float = SHORT_TALL) -> bool:
    """Whether :func:`crop_quad` turns this quad's crop although it is less than ``most`` times as
    tall as wide: room for a glyph or two standing, or for a narrow glyph lying (``1``, ``:``).
    Such a box is ambiguous; the pipeline reads it both ways."""
    w, h = _size(*np.asarray(quad, np.float64).ravel().tolist())
    return _TALL * w <= h < most * w


def widened(quad: np.ndarray) -> np.ndarray:
    """``quad`` (tl, tr, br, bl) widened about its middle along its top edge, just enough that
    :func:`crop_quad` reads it unturned: a lone narrow glyph with a little of the page beside it."""
    q = np.asarray(quad, np.float64)
    tl, tr, br, bl = q
    w, h = _size(*q.ravel().tolist())
    grow = max(0.0, (h / (_TALL - 0.1) + 1.0 - w) / 2)  # + 1: _size rounds
    top = tr - tl
    u = top / max(float(np.hypot(*top)), 1e-6)
    return np.stack([tl - grow * u, tr + grow * u, br + grow * u, bl - grow * u]).astype(np.float32)


def is_vertical(quad: np.ndarray) -> bool:
    """Whether :func:`crop_quad` turns this quad's crop: read from its top edge to its bottom."""
    return _vertical(*np.asarray(quad, np.float64).ravel().tolist())


def _vertical(x0: float, y0: float, x1: float, y1: float, x2: float, y2: float, x3: float, y3: float) -> bool:
    w, h = _size(x0, y0, x1, y1, x2, y2, x3, y3)
    return h >= _TALL * w


def _size(x0: float, y0: float, x1: float, y1: float, x2: float, y2: float, x3: float, y3: float) -> tuple[int, int]:
    """Width and height in whole pixels of the quad (tl, tr, br, bl), its longer opposite edges."""
    w = int(round(max(math.hypot(x1 - x0, y1 - y0), math.hypot(x2 - x3, y2 - y3))))
    h = int(round(max(math.hypot(x3 - x0, y3 - y0), math.hypot(x2 - x1, y2 - y1))))
    return max(w, 1), max(h, 1)
