"""Pages as a camera sees them, for the tests: the homography of a page photographed from one side."""

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
