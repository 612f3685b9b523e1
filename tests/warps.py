"""Pages as a camera sees them, for the tests: the homography of a page photographed from one side,
and paper curled across its rows."""

from __future__ import annotations

import cv2
import numpy as np


def photographed(width: float, height: float, slope: float, turn: float = 0.0) -> np.ndarray:
    """The homography of a ``width`` x ``height`` page seen from its left (``slope`` > 0) or right:
    the far edge shrunk so that the top row slopes down by ``slope`` degrees and the bottom row up
    by as much; then turned ``turn`` degrees counter-clockwise about the middle."""
    k = np.tan(np.radians(abs(slope))) * width
    w, h = width, height
    src = np.float32([(0, 0), (w, 0), (w, h), (0, h)])
    dst = np.float32([(0, 0), (w, k), (w, h - k), (0, h)] if slope > 0 else [(0, k), (w, 0), (w, h), (0, h - k)])
    m = cv2.getPerspectiveTransform(src, dst)
    return np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), turn, 1.0), (0, 0, 1)]) @ m


def bow(points, width: float, height: float, sag: float, tilt: float = 0.0) -> np.ndarray:
    """``points`` on a ``width`` x ``height`` page whose paper is curled across the rows: each row
    sinks toward the middle of the page by up to ``sag`` pixels (``tilt`` > 0: more toward the
    bottom, ``1 + tilt`` times as much there, ``1 - tilt`` times at the top)."""
    p = np.asarray(points, np.float64)
    u = 2 * p[..., 0] / width - 1
    k = 1 + tilt * (2 * p[..., 1] / height - 1)
    return np.stack([p[..., 0], p[..., 1] + sag * k * (1 - u**2)], axis=-1)


def bowed(image: np.ndarray, sag: float, tilt: float = 0.0) -> np.ndarray:
    """``image`` as on curled paper (:func:`bow`), on a white page taller by the sag."""
    h, w = image.shape[:2]
    pad = int(np.ceil(abs(sag) * (1 + abs(tilt)))) + 2
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h + 2 * pad, dtype=np.float32))
    u = 2 * xs / w - 1
    k = 1 + tilt * (2 * (ys - pad) / h - 1)
    src = (ys - pad - sag * k * (1 - u**2)).astype(np.float32)
    return cv2.remap(image, xs, src, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))
