"""Text-line orientation: a 0° / 180° classifier, applied only where it is sure."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..engine import InferSession
from ..options import ClassifierOptions


@dataclass(frozen=True, slots=True)
class ClsResult:
    flipped: np.ndarray  # bool per line: the line was upside down and has been turned
    scores: np.ndarray  # probability of the chosen orientation


class TextlineOrientationClassifier:
    """Turns upside-down line crops right way up (in place of the list given)."""

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
        flipped = np.zeros(n, dtype=bool)
        scores = np.ones(n, dtype=np.float32)
        bs = self.options.batch_size
        for start in range(0, n, bs):
            idx = range(start, min(n, start + bs))
            batch = np.stack([self._prepare(crops[i]) for i in idx])
            prob = self.session(batch)
            for j, i in enumerate(idx):
                p180 = float(prob[j, 1])
                if p180 >= self.options.threshold:
                    crops[i] = np.ascontiguousarray(cv2.rotate(crops[i], cv2.ROTATE_180))
                    flipped[i] = True
                    scores[i] = p180
                else:
                    scores[i] = float(prob[j, 0])
        return ClsResult(flipped, scores)
