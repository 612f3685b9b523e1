"""Text-line orientation: a 0° / 180° classifier, applied only where it is sure."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..engine import InferSession
from ..options import ClassifierOptions


@dataclass(frozen=True, slots=True)
class ClsResult:
    upside_down: np.ndarray  # bool per line: P(180) reached the threshold
    p180: np.ndarray  # probability that the line is upside down


class TextlineOrientationClassifier:
    """Flags line crops that look upside down.  It does not turn them: on
    receipts the small v2 classifier is confidently wrong on a few upright
    lines per page, so the pipeline checks each flag with the recogniser."""

    def __init__(self, options: ClassifierOptions, *, session: InferSession) -> None:
        self.options = options
        self.session = session

    def _prepare(self, crop: np.ndarray) -> np.ndarray:
        h, w = self.options.image_shape
        ratio = crop.shape[1] / max(crop.shape[0], 1)
        rw = min(w, max(1, int(np.ceil(h * ratio))))
        resized = cv2.resize(crop, (rw, h)).astype(np.float32)
        out = np.zeros((3, h, w), dtype=np.float32)
        out[:, :, :rw] = ((resized / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)
        return out

    def __call__(self, crops: list[np.ndarray]) -> ClsResult:
        n = len(crops)
        p180 = np.zeros(n, dtype=np.float32)
        bs = self.options.batch_size
        for start in range(0, n, bs):
            batch = np.stack([self._prepare(c) for c in crops[start : start + bs]])
            p180[start : start + len(batch)] = self.session(batch)[:, 1]
        return ClsResult(p180 >= self.options.threshold, p180)
