"""Text recognition: CRNN/SVTR-style models with CTC greedy decoding."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

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
    # line -> (text, char positions) read without CJK characters, for each line whose text has some
    without_cjk: dict[int, tuple[str, np.ndarray]] = field(default_factory=dict)


class CTCDecoder:
    """Greedy CTC: class 0 is blank, then the dictionary, then a space.

    ``weak_space``: between two characters that are not both letters (nor CJK), a space
    the recogniser gives at least this probability in the steps between them
    is kept even where the blank wins (``"201813:29:51"`` → ``"2018 13:29:51"``,
    ``"2X"`` → ``"2 X"``); 1.0 is plain greedy decoding.

    ``cjk=False`` (per call): where a CJK character wins a step, the best character
    that is not CJK (nor a space) stands instead (``"米"`` → ``"*"``, ``"："`` → ``":"``).
    The character count, positions and confidences are those of the plain reading: the
    recogniser was that sure of a glyph there.
    """

    def __init__(self, characters: list[str], *, add_space: bool = True, weak_space: float = 1.0) -> None:
        chars = ["\0"] + list(characters)
        if add_space:
            chars.append(" ")
        self.characters = np.array(chars, dtype=object)
        spaces = [i for i, c in enumerate(chars) if c == " "]
        self._space = spaces[-1] if spaces else None
        self.weak_space = weak_space
        self.is_cjk = np.array([is_cjk(c) for c in chars], dtype=bool)
        # the classes a CJK-free reading chooses from: a glyph (no blank, no space), not CJK
        others = ~self.is_cjk
        others[0] = False
        if self._space is not None:
            others[self._space] = False
        self._latin = np.flatnonzero(others)

    @property
    def num_classes(self) -> int:
        return len(self.characters)

    def __call__(self, probs: np.ndarray, widths: np.ndarray | None = None, *, cjk: bool = True):
        """probs: N x T x C.  Returns texts, mean confidences, char centres (fraction of T or width)."""
        idx = probs.argmax(axis=2)
        conf = np.take_along_axis(probs, idx[..., None], axis=2)[..., 0]  # one pass over C, not two
        n, t = idx.shape
        keep = idx != 0
        keep[:, 1:] &= idx[:, 1:] != idx[:, :-1]
        if not cjk and len(self._latin):
            rows, steps = np.nonzero(keep & self.is_cjk[idx])
            if len(rows):
                idx[rows, steps] = self._latin[probs[rows, steps][:, self._latin].argmax(axis=1)]
        texts, scores, positions = [], np.zeros(n, np.float32), []
        for i in range(n):
            k = np.flatnonzero(keep[i])
            if widths is not None:
                k = k[k < widths[i]]
            if len(k) == 0:
                texts.append("")
                positions.append(np.zeros(0, np.float32))
                continue
            scores[i] = float(conf[i, k].mean())
            chars = self.characters[idx[i, k]]
            steps = k.astype(np.float32)
            gaps = self._weak_spaces(probs[i], idx[i], k)
            if len(gaps):  # a space after character j, midway between it and the next
                chars = np.insert(chars, gaps + 1, " ")
                steps = np.insert(steps, gaps + 1, (k[gaps] + k[gaps + 1]) / 2)
            texts.append("".join(chars))
            span = float(widths[i]) if widths is not None else float(t)
            positions.append(((steps + 0.5) / span).astype(np.float32))
        return texts, scores, positions

    def _weak_spaces(self, probs: np.ndarray, idx: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Indices j of the emitted characters after which a weak space goes (see the class)."""
        sp = self._space
        if sp is None or self.weak_space >= 1.0 or len(k) < 2:
            return np.zeros(0, np.intp)
        a, b = k[:-1], k[1:]
        # the most likely space in the steps strictly between two emitted characters
        starts = np.stack([a + 1, b], axis=1).ravel()
        best = np.maximum.reduceat(probs[:, sp], starts)[::2]  # a + 1 <= b: every start is a step
        cand = np.flatnonzero((b - a >= 2) & (idx[a] != sp) & (idx[b] != sp) & (best >= self.weak_space))
        chars = self.characters
        return np.array([j for j in cand if not _joined(chars[idx[a[j]]], chars[idx[b[j]]])], np.intp)


# ideographs and radicals, CJK punctuation, kana, bopomofo, hangul, compatibility
# ideographs, CJK compatibility and small forms, fullwidth forms, ideograph extensions
_CJK = re.compile("[\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe6f\uff00-\uffef\U00020000-\U0003ffff]")


def is_cjk(char: str) -> bool:
    """A character of CJK script or typography (``"中"``, ``"ー"``, ``"："``)."""
    return _CJK.match(char) is not None


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def _joined(left: str, right: str) -> bool:
    """Two characters a weak space never separates: letters of one word, or CJK (written without spaces)."""
    return (left.isalpha() and right.isalpha()) or ord(left[0]) >= 0x2E80 or ord(right[0]) >= 0x2E80


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

    def _widths(self, crops: list[np.ndarray]) -> list[int]:
        o = self.options
        h = o.image_height
        return [min(o.max_width, max(8, int(math.ceil(h * c.shape[1] / max(c.shape[0], 1))))) for c in crops]

    def batches(self, crops: list[np.ndarray]) -> list[list[int]]:
        """The batches :meth:`__call__` reads ``crops`` in: line indices, narrowest first.  A line's
        reading depends on its batch (the padding to the batch's widest is part of the input), so
        reading some of these batches, then the others, gives what reading all at once does."""
        widths = self._widths(crops)
        return list(self._batches(np.argsort(widths, kind="stable"), widths))

    def __call__(self, crops: list[np.ndarray], batches: list[list[int]] | None = None) -> RecResult:
        """Read each crop (``batches``: only the lines of these batches of :meth:`batches`; the
        others come back empty, with score 0).  A line read with CJK characters is also decoded
        without them (see :class:`CTCDecoder`), from the same output."""
        o = self.options
        n = len(crops)
        texts: list[str] = [""] * n
        scores = np.zeros(n, np.float32)
        positions: list[np.ndarray] = [np.zeros(0, np.float32)] * n
        without_cjk: dict[int, tuple[str, np.ndarray]] = {}
        if n == 0:
            return RecResult(texts, scores, positions)
        h = o.image_height
        widths = self._widths(crops)
        if batches is None:
            batches = list(self._batches(np.argsort(widths, kind="stable"), widths))
        for idx in batches:
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
            rows = [j for j, text in enumerate(t) if has_cjk(text)]
            if rows:
                t, _, p = self.decoder(probs[rows], valid[rows], cjk=False)
                for j, text, pos in zip(rows, t, p, strict=True):
                    without_cjk[idx[j]] = (text, pos)
        return RecResult(texts, scores, positions, without_cjk)
