"""Text detection: DB (differentiable binarization) with PP-OCR's post-processing.

probability map → binarize → contours → box score → unclip (pyclipper) →
minimum-area quadrilaterals, plus, when ``split_lines`` is on (it is off by
default), a split of boxes that span a wide blank gap (a key and its value, a
date and a time) into one box per line.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np
import pyclipper

from ..engine import InferSession
from ..options import DetectorOptions
from .tensor import planar

log = logging.getLogger(__name__)

# Boxes measure 10-17 detector pixels at least, however small the print (the map's smallest
# kernel, grown by the unclip): under this, with a margin, the print's height is measured in the image
_SATURATED = 24.0
# a line box's short side per height of its print, where the print is large enough to measure
# (21 px boxes around 15 px of 20 px sans-serif)
_BOX_PER_INK = 1.4

# ImageNet statistics applied to BGR/255 input, as PP-OCR's detectors were trained.
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32) * 255.0
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32) * 255.0


@dataclass(frozen=True, slots=True)
class DetResult:
    """Quadrilaterals (N x 4 x 2, clockwise from top-left, input pixels) and their scores."""

    boxes: np.ndarray
    scores: np.ndarray
    input_size: tuple[int, int]  # (h, w) fed to the model


class TextDetector:
    """DB text detector.  ``TextDetector(options, session=session)(image)``."""

    def __init__(self, options: DetectorOptions, *, session: InferSession) -> None:
        self.options = options
        self.session = session

    # -- pre-processing ---------------------------------------------------------
    def target_size(self, h: int, w: int, max_pixels: float | None = None) -> tuple[int, int]:
        """Model input size for an ``h`` x ``w`` image: limit policy, area cap (``max_pixels`` unless
        given), side cap, multiples of 32."""
        o = self.options
        cap = o.max_pixels if max_pixels is None else max_pixels
        if o.limit_type == "min":
            ratio = o.limit_side_len / min(h, w) if min(h, w) < o.limit_side_len else 1.0
        else:
            ratio = o.limit_side_len / max(h, w) if max(h, w) > o.limit_side_len else 1.0
        if h * w * ratio * ratio > cap:
            ratio = (cap / (h * w)) ** 0.5
        if max(h, w) * ratio > o.max_side_len:
            ratio = o.max_side_len / max(h, w)
        rh = max(32, int(round(h * ratio / 32)) * 32)
        rw = max(32, int(round(w * ratio / 32)) * 32)
        return rh, rw

    def preprocess(self, image: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
        h, w = image.shape[:2]
        rh, rw = size or self.target_size(h, w)
        interp = cv2.INTER_AREA if rh * rw < h * w else cv2.INTER_LINEAR
        resized = cv2.resize(image, (rw, rh), interpolation=interp) if (rh, rw) != (h, w) else image
        return planar(resized, _MEAN, _STD)

    # -- inference ----------------------------------------------------------------
    def __call__(self, image: np.ndarray) -> DetResult:
        h, w = image.shape[:2]
        size = self.target_size(h, w)
        boxes, scores = self.postprocess(self.probability_map(self.preprocess(image, size)), (h, w))
        again = self.second_pass((h, w), size, boxes, image)
        if again is not None:
            (x0, y0, x1, y1), size = again
            log.debug("detecting %d,%d-%d,%d again at %dx%d", x0, y0, x1, y1, size[1], size[0])
            part = image[y0:y1, x0:x1]
            boxes, scores = self.postprocess(self.probability_map(self.preprocess(part, size)), (y1 - y0, x1 - x0))
            boxes += np.array([x0, y0], np.float32)
        if self.options.split_lines and len(boxes):
            boxes, scores = split_at_gaps(image, boxes, scores, self.options.split_gap)
        return DetResult(boxes, scores, size)

    def second_pass(
        self,
        image_size: tuple[int, int],
        input_size: tuple[int, int],
        boxes: np.ndarray,
        image: np.ndarray | None = None,
    ) -> tuple[tuple[int, int, int, int], tuple[int, int]] | None:
        """Where and at what input size to detect a page again: ``((x0, y0, x1, y1), (h, w))``, else
        None.

        The first pass sees the whole page within ``max_pixels``.  Two things make it miss text that a
        second pass over the part of the page holding the text (``text_region``) finds:

        - Margins.  The detector's squeeze-excitation blocks pool over the whole input, so a page that
          is mostly blank (a receipt on an A4 scan) or mostly table (a phone photo) weakens its response
          to the text, and faint or blurred print falls under the thresholds.  A page whose text lies
          within ``region_share`` of its area is detected again over that part alone, with the area cap
          applied to that part: at a finer scale, never above the uncapped one.
        - Fine print.  6 pt lines on an A4 page are 10 pixels high at a megapixel, where neighbouring
          lines start to merge.  When the median box's short side is below ``fine_text_height``, the
          text's part (the whole page, when the text fills it) runs again at the scale that makes it
          half as tall again, within ``fine_max_pixels``.  Boxes do not shrink with the print below
          10-17 detector pixels (the probability map's smallest kernel, grown by the unclip): where
          they measure under ``_SATURATED`` and ``image`` is given, the print's own height is measured
          in ``image``, inside the boxes (a long receipt strip, capped to a sliver).
        """
        o = self.options
        if len(boxes) == 0:
            return None
        h, w = image_size
        rh, rw = input_size
        sides = np.minimum(
            np.linalg.norm(boxes[:, 1] - boxes[:, 0], axis=1), np.linalg.norm(boxes[:, 3] - boxes[:, 0], axis=1)
        )
        median = float(np.median(sides))  # image pixels
        text_h = median * rh / h  # detector pixels
        if o.fine_text_height and text_h < _SATURATED and image is not None:
            ink = _ink_height(image, boxes, sides)
            if ink is not None:
                text_h = min(text_h, _BOX_PER_INK * ink * rh / h)
        small = bool(o.fine_text_height) and text_h < o.fine_text_height
        x0, y0, x1, y1 = text_region(image_size, boxes, median, o.region_share)
        ch, cw = y1 - y0, x1 - x0
        cropped = ch * cw < h * w
        if not (small or cropped):
            return None
        base = (rh * rw / (h * w)) ** 0.5
        uncapped = self.target_size(h, w, max_pixels=float("inf"))[0] / h
        ratio = min(uncapped, (o.max_pixels / (ch * cw)) ** 0.5)  # the area cap, on the text's part
        if small:
            finer = base * 1.5 * o.fine_text_height / max(text_h, 1.0)  # the text half as tall again
            ratio = max(ratio, min(finer, uncapped, (max(o.fine_max_pixels, o.max_pixels) / (ch * cw)) ** 0.5))
        if not cropped and ratio <= 1.1 * base:
            return None  # the whole page, hardly finer: nothing to gain
        size = (max(32, int(round(ch * ratio / 32)) * 32), max(32, int(round(cw * ratio / 32)) * 32))
        return (x0, y0, x1, y1), size

    def probability_map(self, x: np.ndarray) -> np.ndarray:
        """The DB probability map of a preprocessed 1 x 3 x H x W input.

        Inputs larger than ``tile_pixels`` run as horizontal strips that overlap
        by ``tile_overlap`` rows; each strip keeps only its middle, so every row
        of the map comes from a strip that saw context above and below it.
        Peak memory is that of one strip.  The map is close to a single pass but
        not equal to it: the detector's squeeze-excitation blocks pool over the
        whole strip, so scores shift slightly with the strip layout.
        """
        _, _, h, w = x.shape
        spans = strip_spans(h, w, self.options.tile_pixels, self.options.tile_overlap)
        if len(spans) == 1:
            return self.session(x)[0, 0]
        prob = np.empty((h, w), dtype=np.float32)
        half = self.options.tile_overlap // 2
        for y0, y1 in spans:
            part = self.session(np.ascontiguousarray(x[:, :, y0:y1]))[0, 0]
            keep0 = 0 if y0 == 0 else y0 + half
            keep1 = h if y1 == h else y1 - half
            prob[keep0:keep1] = part[keep0 - y0 : keep1 - y0]
        return prob

    # -- post-processing ------------------------------------------------------------
    def postprocess(self, prob: np.ndarray, orig: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        o = self.options
        ph, pw = prob.shape
        oh, ow = orig
        sx, sy = ow / pw, oh / ph
        bitmap = (prob > o.thresh).astype(np.uint8)
        contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        if len(contours) > o.max_candidates:
            # specks (a textured table under a photographed receipt) can outnumber the cap, and
            # contours come bottom-up, not by size: keep the largest, in the order found
            areas = np.array([cv2.contourArea(c) for c in contours])
            keep = np.sort(np.argsort(-areas, kind="stable")[: o.max_candidates])
            contours = [contours[i] for i in keep]
        boxes, scores = [], []
        for contour in contours:
            quad, side = _min_area_quad(contour)
            if side < max(o.min_size, 1.0):
                continue
            score = _box_score(prob, quad)
            if score < o.box_thresh:
                continue
            grown = _unclip(quad, o.unclip_ratio)
            if grown is None:
                continue
            quad, side = _min_area_quad(grown)
            if side < o.min_size + 2:
                continue
            quad[:, 0] = np.clip(quad[:, 0] * sx, 0, ow - 1)
            quad[:, 1] = np.clip(quad[:, 1] * sy, 0, oh - 1)
            boxes.append(quad)
            scores.append(score)
        if not boxes:
            return np.zeros((0, 4, 2), np.float32), np.zeros((0,), np.float32)
        return np.stack(boxes).astype(np.float32), np.asarray(scores, np.float32)


def text_region(
    image_size: tuple[int, int], boxes: np.ndarray, text_h: float, share: float = 0.5
) -> tuple[int, int, int, int]:
    """The part of an ``h`` x ``w`` image that holds ``boxes``: ``(x0, y0, x1, y1)`` around them with a
    margin of a tenth of their extent, and at least 4 text heights (``text_h``), for print a coarse
    pass missed beside them.  The whole image when that part would be over ``share`` of it."""
    h, w = image_size
    lo, hi = boxes.reshape(-1, 2).min(axis=0), boxes.reshape(-1, 2).max(axis=0)
    pad = max(0.1 * float((hi - lo).max()), 4.0 * text_h)
    x0, y0 = (max(0, int(v - pad)) for v in lo)
    x1, y1 = min(w, int(math.ceil(hi[0] + pad)) + 1), min(h, int(math.ceil(hi[1] + pad)) + 1)
    if (x1 - x0) * (y1 - y0) > share * h * w:
        return 0, 0, w, h
    return x0, y0, x1, y1


def strip_spans(h: int, w: int, tile_pixels: int, overlap: int) -> list[tuple[int, int]]:
    """Row spans ``(y0, y1)`` that cover ``h`` rows of a ``w``-wide input in strips of at most
    ``tile_pixels`` (one span when it fits), neighbours sharing ``overlap`` rows.

    The strips are as few as the bound allows and of one height, so the
    overlap is all the work done twice; heights and offsets are multiples of
    32, the detector's stride, so every strip sees the grid of a single pass.
    """
    if h * w <= tile_pixels:
        return [(0, h)]
    most = max(4 * overlap, (tile_pixels // max(w, 1)) // 32 * 32)
    if most >= h:
        return [(0, h)]
    n = math.ceil((h - overlap) / (most - overlap))
    strip = min(most, math.ceil((h + (n - 1) * overlap) / n / 32) * 32)
    step = strip - overlap
    spans = [(i * step, i * step + strip) for i in range(n - 1)]
    last0 = max(0, h - strip)
    return [*spans, (last0, h)]


def order_quad(pts: np.ndarray) -> np.ndarray:
    """Four points ordered top-left, top-right, bottom-right, bottom-left."""
    pts = pts[np.argsort(pts[:, 0], kind="stable")]
    left, right = pts[:2], pts[2:]
    tl, bl = left[np.argsort(left[:, 1], kind="stable")]
    tr, br = right[np.argsort(right[:, 1], kind="stable")]
    return np.array([tl, tr, br, bl], dtype=np.float32)


def _min_area_quad(points: np.ndarray) -> tuple[np.ndarray, float]:
    rect = cv2.minAreaRect(points.reshape(-1, 2).astype(np.float32))
    quad = order_quad(cv2.boxPoints(rect))
    return quad, float(min(rect[1]))


def _box_score(prob: np.ndarray, quad: np.ndarray) -> float:
    """Mean probability inside ``quad`` (PP-OCR's 'fast' score)."""
    h, w = prob.shape
    x0 = int(np.clip(np.floor(quad[:, 0].min()), 0, w - 1))
    x1 = int(np.clip(np.ceil(quad[:, 0].max()), 0, w - 1))
    y0 = int(np.clip(np.floor(quad[:, 1].min()), 0, h - 1))
    y1 = int(np.clip(np.ceil(quad[:, 1].max()), 0, h - 1))
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), dtype=np.uint8)
    pts = (quad - np.array([x0, y0], dtype=np.float32)).round().astype(np.int32)
    cv2.fillPoly(mask, [pts], 1)
    return float(cv2.mean(prob[y0 : y1 + 1, x0 : x1 + 1], mask)[0])


def _unclip(quad: np.ndarray, ratio: float) -> np.ndarray | None:
    """Grow a shrunk text kernel by area * ratio / perimeter (the DB paper's offset)."""
    area = abs(cv2.contourArea(quad))
    length = cv2.arcLength(quad, True)
    if length == 0:
        return None
    distance = area * ratio / length
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(quad.round().astype(np.int64).tolist(), pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    grown = offset.Execute(distance)
    if len(grown) != 1:
        return None
    return np.asarray(grown[0], dtype=np.float32)


# -- line splitting ------------------------------------------------------------------

def _ink(image: np.ndarray, x0: int, x1: int, y0: int, y1: int) -> np.ndarray | None:
    """The ink (1) of an axis-aligned crop, by Otsu on its gray levels; None for a crop without
    contrast."""
    crop = image[y0:y1, x0:x1]
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    if gray.size == 0 or int(gray.max()) - int(gray.min()) < 24:
        return None
    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    # Dark text on light paper is the common case; flip when most of it is "ink".
    return 1 - ink if ink.mean() > 0.5 else ink


def _ink_profile(image: np.ndarray, x0: int, x1: int, y0: int, y1: int) -> np.ndarray:
    """Per-column 'has ink' flags of an axis-aligned crop (Otsu on its gray levels)."""
    ink = _ink(image, x0, x1, y0, y1)
    if ink is None:
        return np.zeros(image[y0:y1, x0:x1].shape[1], dtype=bool)
    counts = ink.sum(axis=0)
    return counts >= max(1, int(0.04 * ink.shape[0]))


def _ink_height(image: np.ndarray, boxes: np.ndarray, sides: np.ndarray, n: int = 9) -> float | None:
    """The median height (image pixels) of the print inside the ``n`` boxes whose short sides are
    nearest their median: the rows of each box's axis-aligned crop that hold ink, first to last."""
    h, w = image.shape[:2]
    heights = []
    for i in np.argsort(np.abs(sides - np.median(sides)), kind="stable")[:n]:
        (x0, y0), (x1, y1) = boxes[i].min(axis=0), boxes[i].max(axis=0)
        x0, y0, x1, y1 = max(0, int(x0)), max(0, int(y0)), min(w, int(math.ceil(x1))), min(h, int(math.ceil(y1)))
        ink = _ink(image, x0, x1, y0, y1)
        if ink is None:
            continue
        rows = np.flatnonzero(ink.sum(axis=1) >= max(1, int(0.02 * ink.shape[1])))
        if len(rows):
            heights.append(rows[-1] - rows[0] + 1)
    return float(np.median(heights)) if heights else None


def split_at_gaps(
    image: np.ndarray, boxes: np.ndarray, scores: np.ndarray, gap: float
) -> tuple[np.ndarray, np.ndarray]:
    """Split near-horizontal boxes at blank runs wider than ``gap`` x text height."""
    out_boxes, out_scores = [], []
    for quad, score in zip(boxes, scores, strict=True):
        parts = _split_one(image, quad, gap)
        out_boxes.extend(parts)
        out_scores.extend([score] * len(parts))
    return np.stack(out_boxes).astype(np.float32), np.asarray(out_scores, np.float32)


def _split_one(image: np.ndarray, quad: np.ndarray, gap: float) -> list[np.ndarray]:
    tl, tr, br, bl = quad
    width = float(np.linalg.norm(tr - tl))
    height = float(np.linalg.norm(bl - tl))
    if height < 4 or width < 3 * height * (1 + gap):
        return [quad]
    angle = math.degrees(math.atan2(tr[1] - tl[1], tr[0] - tl[0]))
    if abs(angle) > 3.0:  # only axis-aligned lines; slanted ones stay whole
        return [quad]
    x0 = int(max(0, math.floor(min(tl[0], bl[0]))))
    x1 = int(min(image.shape[1], math.ceil(max(tr[0], br[0]))))
    # The vertical span trimmed by a quarter of the unclip margin at each side.
    y0 = int(max(0, math.floor(min(tl[1], tr[1]) + 0.15 * height)))
    y1 = int(min(image.shape[0], math.ceil(max(bl[1], br[1]) - 0.15 * height)))
    if x1 - x0 < 8 or y1 - y0 < 3:
        return [quad]
    ink = _ink_profile(image, x0, x1, y0, y1)
    if not ink.any():
        return [quad]
    cols = np.flatnonzero(ink)
    first, last = cols[0], cols[-1]
    text_h = y1 - y0
    min_gap = gap * text_h
    # blank runs strictly inside the inked span
    blank = ~ink[first : last + 1]
    if not blank.any():
        return [quad]
    edges = np.diff(np.concatenate(([0], blank.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    cuts = [(s + first, e + first) for s, e in zip(starts, ends, strict=True) if e - s >= min_gap]
    if not cuts:
        return [quad]
    pieces: list[np.ndarray] = []
    margin = 0.5 * (height - text_h / 0.7) if height > text_h / 0.7 else 0.0
    pad = max(2.0, 0.25 * text_h, margin)
    left = float(x0)
    segments = []
    for s, e in cuts:
        segments.append((left, x0 + s + pad))
        left = x0 + e - pad
    segments.append((left, float(x1)))
    for a, b in segments:
        if b - a < 0.5 * text_h:
            continue
        pieces.append(_sub_quad(quad, a, b))
    return pieces or [quad]


def _sub_quad(quad: np.ndarray, xa: float, xb: float) -> np.ndarray:
    """The part of a near-horizontal quad between x = xa and x = xb."""
    tl, tr, br, bl = quad

    def at(p: np.ndarray, q: np.ndarray, x: float) -> np.ndarray:
        dx = q[0] - p[0]
        t = 0.0 if abs(dx) < 1e-6 else (x - p[0]) / dx
        t = min(max(t, 0.0), 1.0)
        return p + (q - p) * t

    xa = max(xa, float(min(tl[0], bl[0])))
    xb = min(xb, float(max(tr[0], br[0])))
    return np.array([at(tl, tr, xa), at(tl, tr, xb), at(bl, br, xb), at(bl, br, xa)], dtype=np.float32)
