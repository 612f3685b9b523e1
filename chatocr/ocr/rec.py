"""Text recognition: CRNN/SVTR-style models with CTC greedy decoding."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from ..engine import InferSession
from ..options import RecognizerOptions


@dataclass(frozen=True, slots=True)
class RecResult:
    texts: list[str]
    scores: np.ndarray
    # per line: x position of each character's centre as a fraction of the crop width
    char_positions: list[np.ndarray]


class CTCDecoder:
    """Greedy CTC: class 0 is blank, then the dictionary, then a space."""

    def __init__(self, characters: list[str], *, add_space: bool = True) -> None:
        chars = ["\0"] + list(characters)
        if add_space:
            chars.append(" ")
        self.characters = np.array(chars, dtype=object)

    @property
    def num_classes(self) -> int:
        return len(self.characters)

    def __call__(self, probs: np.ndarray, widths: np.ndarray | None = None):
        """probs: N x T x C.  Returns texts, mean confidences, char centres (fraction of T or width)."""
        idx = probs.argmax(axis=2)
        conf = np.take_along_axis(probs, idx[..., None], axis=2)[..., 0]  # one pass over C, not two
        n, t = idx.shape
        keep = idx != 0
        keep[:, 1:] &= idx[:, 1:] != idx[:, :-1]
        texts, scores, positions = [], np.zeros(n, np.float32), []
        for i in range(n):
            k = np.flatnonzero(keep[i])
            if widths is not None:
                k = k[k < widths[i]]
            if len(k) == 0:
                texts.append("")
                positions.append(np.zeros(0, np.float32))
                continue
            texts.append("".join(self.characters[idx[i, k]]))
            scores[i] = float(conf[i, k].mean())
            span = float(widths[i]) if widths is not None else float(t)
            positions.append(((k + 0.5) / span).astype(np.float32))
        return texts, scores, positions


class TextRecognizer:
    """Recognises line crops in batches sorted by width, padded to the batch's widest."""

    def __init__(self, options: RecognizerOptions, *, session: InferSession, decoder: CTCDecoder) -> None:
        self.options = options
        self.session = session
        self.decoder = decoder

    def _resize(self, crop: np.ndarray, width: int) -> np.ndarray:
        h = self.options.image_height
        resized = cv2.resize(crop, (width, h), interpolation=cv2.INTER_LINEAR if crop.shape[0] < h else cv2.INTER_AREA)
        return ((resized.astype(np.float32) / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)

    def _batches(self, order: np.ndarray, widths: list[int]) -> Iterator[list[int]]:
        """Runs of ``order`` (narrowest first) of at most ``batch_size`` lines whose padded input,
        lines x widest, stays within ``batch_pixels`` columns: short lines go many at a time, a long
        line alone (the output, lines x steps x classes, is what bounds memory)."""
        o = self.options
        batch: list[int] = []
        for i in order:
            widest = max(o.min_width, widths[i])  # ascending order: the newcomer is the widest
            if batch and (len(batch) >= o.batch_size or (len(batch) + 1) * widest > o.batch_pixels):
                yield batch
                batch = []
            batch.append(int(i))
        if batch:
            yield batch

    def __call__(self, crops: list[np.ndarray]) -> RecResult:
        o = self.options
        n = len(crops)
        texts: list[str] = [""] * n
        scores = np.zeros(n, np.float32)
        positions: list[np.ndarray] = [np.zeros(0, np.float32)] * n
        if n == 0:
            return RecResult(texts, scores, positions)
        h = o.image_height
        widths = [
            min(o.max_width, max(8, int(math.ceil(h * c.shape[1] / max(c.shape[0], 1))))) for c in crops
        ]
        order = np.argsort(widths, kind="stable")
        for idx in self._batches(order, widths):
            batch_w = max(o.min_width, max(widths[i] for i in idx))
            batch = np.zeros((len(idx), 3, h, batch_w), dtype=np.float32)
            for j, i in enumerate(idx):
                batch[j, :, :, : widths[i]] = self._resize(crops[i], widths[i])
            probs = self.session(batch)
            # time steps that cover each image (the rest is padding)
            steps = probs.shape[1]
            valid = np.array([max(1, int(math.ceil(steps * widths[i] / batch_w))) for i in idx])
            t, s, p = self.decoder(probs, valid)
            for j, i in enumerate(idx):
                texts[i], scores[i], positions[i] = t[j], s[j], p[j]
        return RecResult(texts, scores, positions)
