"""Cutting text lines out of a page image."""

from __future__ import annotations

import cv2
import numpy as np


def crop_quad(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Perspective-correct crop of ``quad`` (tl, tr, br, bl) as an upright rectangle.

    A crop much taller than wide is vertical text and is turned 90° so that
    the recogniser reads it left to right.
    """
    tl, tr, br, bl = quad.astype(np.float32)
    w = int(round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))))
    h = int(round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))))
    w, h = max(w, 1), max(h, 1)
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(np.stack([tl, tr, br, bl]), dst)
    out = cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    if h >= 1.5 * w:
        out = np.rot90(out)
    return np.ascontiguousarray(out)
