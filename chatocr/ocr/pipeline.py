"""The PP-OCR system: detect → orient → recognise → reading order."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike

import numpy as np

from .._memory import release_memory
from ..engine import InferSession, create_session
from ..geometry import level_boxes, points_box, reading_order, row_bow, row_warp, skew_angle
from ..io import PageImage, Source, iter_pages
from ..models import ModelFiles, load_dictionary, resolve
from ..options import DetectorOptions, OCROptions, PageOrientationOptions
from ..types import OCRPage, OCRResult, TextLine, Word
from .cls import TextlineOrientationClassifier
from .columns import Quad, split_columns, word_quads
from .crop import crop_quad, is_vertical, short_and_tall, widened
from .det import TextDetector
from .orientation import (
    Orientation,
    PageOrientationClassifier,
    level_bowed,
    quad_to_original,
    quads_to_bowed,
    quads_to_upright,
    turn_from_lines,
    upright,
)
from .rec import CTCDecoder, RecResult, TextRecognizer, is_cjk

log = logging.getLogger(__name__)

# whether a page is upside down as a whole, from line boxes and the line classifier's flags on them
TurnedOver = Callable[[np.ndarray, np.ndarray], bool]
# lines of a page that may be turned over read before the others: the recogniser's batches in
# the middle of its order, with this many lines (``_middle_batches``).  Where most of them read
# with doubt, the line classifier looks at them before the rest is read.  On the sroie-dev
# receipts they are a quarter of the recogniser's input; turned over, 97 of 100 were found so
# (12 lines: 96, 5: 97); upright, 1 of 100 was looked at (and found upright)
_TURN_SAMPLE = 8

__all__ = ["OCREngine", "PageLines"]


@dataclass(frozen=True, slots=True)
class PageLines:
    """Raw per-line output of one image, in image pixels, in reading order."""

    quads: np.ndarray  # N x 4 x 2
    texts: list[str]
    scores: np.ndarray
    # per line, character centres as fractions of its width, left to right (a turned line's are
    # those of its text reversed)
    char_positions: list[np.ndarray]
    timings: dict[str, float] = field(default_factory=dict)
    # per line: read turned 180 degrees (the page may be upside down when most lines are)
    flipped: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # degrees the rows slope down to the right (see ``geometry.skew_angle``); they were ordered level
    skew: float = 0.0
    # where rows converge (see ``geometry.row_warp``): the 3 x 3 homography they were ordered level by
    warp: np.ndarray | None = None

    def words(self, k: int, scale: float = 1.0, offset: tuple[float, float] = (0.0, 0.0)) -> list[tuple[Quad, str]]:
        """Line ``k``'s words with their quads (see ``columns.word_quads``), in image pixels times
        ``scale`` plus ``offset``."""
        pos = self.char_positions[k]
        turned = k < len(self.flipped) and bool(self.flipped[k])
        quad = self.quads[k] * scale + np.asarray(offset, dtype=np.float32)
        return word_quads(quad, self.texts[k], pos[::-1] if turned else pos)


def _merge_defaults(user: DetectorOptions, defaults: dict) -> DetectorOptions:
    """The model's own constants, except where the user set a field explicitly."""
    update = {k: v for k, v in defaults.items() if k not in user.model_fields_set}
    return user.model_copy(update=update) if update else user


def _stripped(text: str, positions: np.ndarray, flipped: bool) -> tuple[str, np.ndarray]:
    """``text`` without outer spaces, and the centres of the characters it keeps (a turned
    line's centres run left to right on the page, so for its text reversed)."""
    lead = len(text) - len(text.lstrip())
    kept = text.strip()
    if len(positions) != len(text):
        return kept, positions
    if flipped:
        lead = len(text) - lead - len(kept)
    return kept, positions[lead : lead + len(kept)]


def _no_lines(timings: dict[str, float]) -> PageLines:
    """A page on which no line was read."""
    return PageLines(np.zeros((0, 4, 2), np.float32), [], np.zeros(0, np.float32), [], timings)


def _rect(image: np.ndarray) -> np.ndarray:
    """The whole of ``image`` as a quad (tl, tr, br, bl)."""
    h, w = image.shape[:2]
    return np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)


def _text_lines(raw: PageLines, scale: float) -> list[TextLine]:
    """The lines of ``raw`` with their words, in its pixels times ``scale``."""
    lines = []
    for k, (quad, text, score) in enumerate(zip(raw.quads, raw.texts, raw.scores, strict=True)):
        # built from values made here, so not validated again (a receipt has hundreds)
        words = tuple(Word.model_construct(text=w, bbox=points_box(wq), polygon=wq) for wq, w in raw.words(k, scale))
        poly = tuple((x, y) for x, y in (quad * scale).tolist())
        lines.append(
            TextLine(text=text, score=min(1.0, max(0.0, float(score))), bbox=points_box(poly), polygon=poly, words=words)
        )
    return lines


def _mirrored(positions: np.ndarray) -> np.ndarray:
    """Character centres read along a turned crop, as fractions of the upright one."""
    return (1.0 - positions)[::-1]


def _middle_batches(plan: list[list[int]], lines: int) -> list[list[int]]:
    """The batches in the middle of ``plan`` (narrowest first) that hold at least ``lines`` lines
    between them (all, when the plan holds fewer): lines of middling length, neither lone glyphs
    nor the longest, which cost the most to read."""
    if sum(len(b) for b in plan) <= lines:
        return list(plan)
    lo = hi = len(plan) // 2
    count, wider = 0, True
    while count < lines:  # one batch wider, then one narrower, from the middle out
        if (wider and hi < len(plan)) or lo == 0:
            count += len(plan[hi])
            hi += 1
        else:
            lo -= 1
            count += len(plan[lo])
        wider = not wider
    return plan[lo:hi]


def _combined(lines: np.ndarray, read: RecResult, others: RecResult) -> RecResult:
    """The readings of ``read`` for ``lines`` and of ``others`` for the rest (each holds every line)."""
    texts, scores, positions = list(others.texts), others.scores.copy(), list(others.char_positions)
    first = set(lines.tolist())
    without_cjk = {i: v for i, v in others.without_cjk.items() if i not in first}
    for i in lines.tolist():
        texts[i], scores[i], positions[i] = read.texts[i], read.scores[i], read.char_positions[i]
        if i in read.without_cjk:
            without_cjk[i] = read.without_cjk[i]
    return RecResult(texts, scores, positions, without_cjk)


def _surer(rec: RecResult, lines: list[int], again: RecResult) -> tuple[RecResult, list[int]]:
    """``rec`` with line ``lines[j]`` read as ``again``'s ``j`` wherever that reading has text and the
    recogniser is surer of it; and those ``j``."""
    better = [j for j, i in enumerate(lines) if again.texts[j].strip() and again.scores[j] > rec.scores[i]]
    if not better:
        return rec, better
    texts, scores, positions = list(rec.texts), rec.scores.copy(), list(rec.char_positions)
    without_cjk = dict(rec.without_cjk)
    for j in better:
        i = lines[j]
        texts[i], scores[i], positions[i] = again.texts[j], again.scores[j], again.char_positions[j]
        without_cjk.pop(i, None)
        if j in again.without_cjk:
            without_cjk[i] = again.without_cjk[j]
    return RecResult(texts, scores, positions, without_cjk), better


def has_cjk_text(texts: list[str]) -> bool:
    """Whether lines hold CJK writing, not a stray character: a line with 3 CJK letters
    in a row, or CJK letters a quarter or more of all the letters."""
    cjk = letters = 0
    for text in texts:
        run = 0
        for c in text:
            if c.isalpha():
                letters += 1
                if is_cjk(c):
                    cjk += 1
                    run += 1
                    if run >= 3:
                        return True
                    continue
            run = 0
    return letters > 0 and 4 * cjk >= letters


class OCREngine:
    """PP-OCR pipeline on ONNX Runtime (or Paddle).  Sessions are created once.

    >>> ocr = OCREngine()                     # default model, offline
    >>> result = ocr("receipt.jpg")           # OCRResult: pages → lines
    """

    def __init__(
        self,
        options: OCROptions | None = None,
        *,
        det_session: InferSession | None = None,
        rec_session: InferSession | None = None,
        cls_session: InferSession | None = None,
        characters: list[str] | None = None,
        _shared: OCREngine | None = None,
    ) -> None:
        self.options = options = options or OCROptions()
        injected = det_session is not None and rec_session is not None and characters is not None
        files: ModelFiles | None
        if _shared is not None:
            files = _shared._files
        else:
            files = None if injected else resolve(options.model)
        self._files, self._shared = files, _shared
        eng = options.engine
        det_opts = options.det if files is None else _merge_defaults(options.det, files.det_defaults)

        def detector() -> TextDetector:
            if _shared is not None:
                return TextDetector(det_opts, session=_shared.detector.session)
            return TextDetector(det_opts, session=det_session or create_session(files.det, eng))  # type: ignore[union-attr]

        def recognizer() -> TextRecognizer:
            if _shared is not None:
                base = _shared.recognizer
                decoder = base.decoder
                if decoder.weak_space != options.rec.weak_space:
                    decoder = CTCDecoder(_shared._characters, weak_space=options.rec.weak_space)
                self._characters = _shared._characters
                return TextRecognizer(options.rec, session=base.session, decoder=decoder)
            session = rec_session or create_session(files.rec, eng)  # type: ignore[union-attr]
            chars = characters
            if chars is None:
                chars = load_dictionary(files, getattr(session, "metadata", None))  # type: ignore[arg-type]
            self._characters = chars
            return TextRecognizer(
                options.rec, session=session, decoder=CTCDecoder(chars, weak_space=options.rec.weak_space)
            )

        # a stage the options turn off is loaded only if it is asked for after all (a page
        # orientation check reads lines; ``recognize`` reads without detecting)
        self._characters: list[str] = []
        self._make_detector, self._make_recognizer = detector, recognizer
        self._detector = detector() if options.det.enabled else None
        self._recognizer = recognizer() if options.rec.enabled else None
        if cls_session is None and options.cls.enabled:
            if _shared is not None and _shared.classifier is not None:
                cls_session = _shared.classifier.session
            elif files is not None and files.cls is not None:
                # PP-LCNet classifiers spell hard-swish out in four nodes: fused, a batch runs 20% faster
                cls_session = create_session(files.cls, eng, fuse_hard_swish=True)
        self.model_name = _shared.model_name if _shared is not None else files.name if files is not None else "custom"
        self.classifier = (
            TextlineOrientationClassifier(options.cls, session=cls_session)
            if cls_session is not None and options.cls.enabled
            else None
        )
        self._page_classifier: PageOrientationClassifier | None = None

    def with_options(self, options: OCROptions) -> OCREngine:
        """An engine with other options that shares this one's loaded models, as PaddleOCR's and
        RapidOCR's per-call settings do: detection or recognition off, thresholds, resize limits,
        the line classifier, CJK.  Nothing is loaded again: a stage this engine has not loaded
        yet is loaded into it on first use (but the line classifier, if this engine has it off,
        into the new one).  ``options`` must name this engine's model and engine settings: other
        weights or threads need an engine of their own.

        >>> boxes_only = ocr.with_options(ocr.options.model_copy(update={"rec": RecognizerOptions(enabled=False)}))
        """
        if options.model != self.options.model or options.engine != self.options.engine:
            raise ValueError(
                "with_options keeps the engine's model and engine settings "
                f"({self.options.model!r}, {self.options.engine!r}); load another OCREngine for others"
            )
        return OCREngine(options, _shared=self._shared or self)

    @property
    def detector(self) -> TextDetector:
        """The text detector (made on first use if ``DetectorOptions.enabled`` is off)."""
        if self._detector is None:
            self._detector = self._make_detector()
        return self._detector

    @detector.setter
    def detector(self, detector: TextDetector) -> None:
        self._detector = detector

    @property
    def recognizer(self) -> TextRecognizer:
        """The text recogniser (made on first use if ``RecognizerOptions.enabled`` is off)."""
        if self._recognizer is None:
            self._recognizer = self._make_recognizer()
        return self._recognizer

    @recognizer.setter
    def recognizer(self, recognizer: TextRecognizer) -> None:
        self._recognizer = recognizer

    # -- images -----------------------------------------------------------------------
    def read_image(self, image: np.ndarray) -> PageLines:
        """Detect, orient and recognise the lines of one BGR image."""
        t0 = time.perf_counter()
        det = self.detector(image)
        raw = self._read_detected(image, det, time.perf_counter() - t0)
        assert raw is not None  # without turned_over, always read
        return raw

    def _read_bowed(self, image: np.ndarray, boxes: np.ndarray, det_seconds: float) -> PageLines | None:
        """The lines of a page whose rows bow, as on curled paper (``geometry.row_bow`` of the boxes
        found on ``image``): detected and read again on the page laid straight
        (``orientation.level_bowed``), in reading order there, their quads moved back onto ``image``
        (each the smallest rectangle around its arc).  The recogniser reads a bent line cropped
        straight poorly, or not at all.  ``None`` where the rows are straight."""
        bow = row_bow(boxes)
        flat = level_bowed(image, bow) if bow is not None else None
        if flat is None:
            return None
        straight, down = flat
        t0 = time.perf_counter()
        det = self.detector(straight)
        raw = self._read_lines(straight, det, det_seconds + time.perf_counter() - t0)
        assert raw is not None  # without turned_over, always read
        quads = quads_to_bowed(raw.quads, bow, down)
        log.debug("rows bow (%s): %d lines read on the page laid straight", bow[0], len(quads))
        return replace(raw, quads=quads, skew=skew_angle(quads) if len(quads) else 0.0, warp=None)

    def _read_detected(
        self, image: np.ndarray, det, det_seconds: float, *, turned_over: TurnedOver | None = None
    ) -> PageLines | None:
        """The lines of ``det`` read on ``image`` (:meth:`_read_lines`), or, where its rows bow,
        read on the page laid straight (:meth:`_read_bowed`; ``turned_over`` is not asked then: a
        page upside down is found from its lines read turned)."""
        bowed = self._read_bowed(image, det.boxes, det_seconds)
        return bowed if bowed is not None else self._read_lines(image, det, det_seconds, turned_over=turned_over)

    def _read_lines(
        self, image: np.ndarray, det, det_seconds: float, *, turned_over: TurnedOver | None = None
    ) -> PageLines | None:
        """The lines of ``det`` read on ``image``.  ``turned_over`` (given line boxes and the line
        classifier's flags on them) says whether the page is upside down as a whole: then None
        comes back at once, since the page will be read upright.  It is asked first of a sample of
        the lines (``_TURN_SAMPLE``), read before the others, where most of them read with doubt;
        then of all the lines flagged, before the flagged ones are read again turned."""
        t1 = time.perf_counter()
        crops = [crop_quad(image, q) for q in det.boxes]
        known: dict[int, bool] = {}
        if turned_over is not None and self.classifier is not None and len(crops):
            plan = self.recognizer.batches(crops)
            middle = _middle_batches(plan, _TURN_SAMPLE)
            first = np.array(sorted(i for b in middle for i in b), dtype=np.intp)
            read_first = self.recognizer(crops, middle)
            doubt = first[read_first.scores[first] < self.classifier.options.check_below]
            if len(doubt) >= 3 and 2 * len(doubt) >= len(first):
                flagged = np.isin(first, doubt[self.classifier([crops[i] for i in doubt]).upside_down])
                if turned_over(det.boxes[first], flagged):
                    return None
                known = {int(i): bool(f) for i, f in zip(first, flagged, strict=True) if i in doubt}
            rest = self.recognizer(crops, [b for b in plan if b not in middle])
            rec = _combined(first, read_first, rest)
        else:
            rec = self.recognizer(crops)
        read = crops
        boxes, crops, rec = self._narrow_glyphs(image, det.boxes, crops, rec)
        known = {i: f for i, f in known.items() if crops[i] is read[i]}  # flags of the crops as read
        t2 = time.perf_counter()
        flipped = np.zeros(len(crops), dtype=bool)
        if self.classifier is not None and crops:
            suspects = self._upside_down(crops, rec.scores, known)
            if turned_over is not None and len(suspects) and turned_over(
                det.boxes, np.isin(np.arange(len(crops)), suspects)
            ):
                return None
            if len(suspects):
                rec, flipped = self._settle_orientation(crops, rec, suspects)
        if self.options.rec.cjk != "allow":
            rec = self._without_stray_cjk(rec)
        t3 = time.perf_counter()
        keep = [i for i, (t, s) in enumerate(zip(rec.texts, rec.scores, strict=True))
                if t.strip() and s >= self.options.rec.drop_score]
        quads, texts, scores, positions, turned = [], [], [], [], []
        for i in keep:
            text, pos = _stripped(rec.texts[i], rec.char_positions[i], flipped[i])
            # a turned line's positions are mirrored: it stays whole
            pieces = [(boxes[i], text, pos)] if flipped[i] else split_columns(
                boxes[i], text, pos, self.options.rec.column_gap
            )
            for quad, piece, centres in pieces:
                quads.append(quad)
                texts.append(piece)
                scores.append(rec.scores[i])
                positions.append(centres)
                turned.append(flipped[i])
        # rows are grouped level: on a page scanned askew, the boxes as read overlap the rows around them
        # (where rows converge, as on a photo taken from one side, laid level by a homography)
        skew = skew_angle(quads) if quads else 0.0
        warp = row_warp(quads) if quads else None
        order = reading_order(level_boxes(quads, skew, warp))
        timings = {"det": det_seconds, "rec": t2 - t1, "cls": t3 - t2}
        log.debug("%d boxes, %d lines kept; %s", len(det.boxes), len(order), timings)
        return PageLines(
            np.stack([quads[i] for i in order]).astype(np.float32) if order else np.zeros((0, 4, 2), np.float32),
            [texts[i] for i in order],
            np.array([scores[i] for i in order], dtype=np.float32),
            [positions[i] for i in order],
            timings,
            np.array([turned[i] for i in order], dtype=bool),
            skew,
            warp,
        )

    def _narrow_glyphs(
        self, image: np.ndarray, boxes: np.ndarray, crops: list[np.ndarray], rec: RecResult
    ) -> tuple[np.ndarray, list[np.ndarray], RecResult]:
        """Boxes, crops and readings, where a box a little taller than wide (``crop.short_and_tall``)
        is read better unturned.  Such a box is turned before it is read, as vertical text (PP-OCR's
        rule), but on most pages it holds one narrow glyph: a quantity's ``1`` or ``3``, a colon, a
        ``%``, which read turned come out as ``"m"``, ``"pe"`` or nothing.  Each is read again from
        the box widened until it is not turned (``crop.widened``); the reading the recogniser is
        surer of stays, with its box."""
        tall = [i for i, q in enumerate(boxes) if short_and_tall(q)]
        if not tall:
            return boxes, crops, rec
        wide = [widened(boxes[i]) for i in tall]
        wide_crops = [crop_quad(image, q) for q in wide]
        rec, better = _surer(rec, tall, self.recognizer(wide_crops))
        if not better:
            return boxes, crops, rec
        boxes, crops = boxes.copy(), list(crops)
        for j in better:
            boxes[tall[j]], crops[tall[j]] = wide[j], wide_crops[j]
        log.debug("%d of %d tall boxes read unturned", len(better), len(tall))
        return boxes, crops, rec

    def _upside_down(self, crops: list[np.ndarray], scores: np.ndarray, known: dict[int, bool] | None = None) -> np.ndarray:
        """Indices of the lines the classifier flags as upside down (``known``: lines already
        classified, and their flags).

        Upside-down text reads as garbage with low confidence (on the sroie-dev
        receipts turned over, 97% of the lines score below 0.95), so only the
        lines read with less confidence than ``check_below`` are classified.
        When most of those are flagged, the page may be upside down as a whole,
        and its other lines are classified too.
        """
        assert self.classifier is not None
        limit = self.classifier.options.check_below
        doubt = np.arange(len(crops)) if limit >= 1.0 else np.flatnonzero(scores < limit)
        if not len(doubt):
            return doubt
        suspects = doubt[self._flags(crops, doubt, known or {})]
        if len(doubt) < len(crops) and len(suspects) >= 3 and 2 * len(suspects) >= len(doubt):
            rest = np.setdiff1d(np.arange(len(crops)), doubt)
            suspects = np.sort(np.concatenate([suspects, rest[self._flags(crops, rest, known or {})]]))
        return suspects

    def _flags(self, crops: list[np.ndarray], lines: np.ndarray, known: dict[int, bool]) -> np.ndarray:
        """The classifier's upside-down flags of ``lines``, those in ``known`` not classified again."""
        assert self.classifier is not None
        flags = np.array([known.get(int(i), False) for i in lines], dtype=bool)
        todo = [j for j, i in enumerate(lines.tolist()) if i not in known]
        if todo:
            flags[todo] = self.classifier([crops[lines[j]] for j in todo]).upside_down
        return flags

    def _settle_orientation(
        self, crops: list[np.ndarray], rec: RecResult, suspects: np.ndarray
    ) -> tuple[RecResult, np.ndarray]:
        """Read the lines the classifier flags as upside down once more, turned,
        and keep whichever reading the recogniser is surer of."""
        turned = [np.ascontiguousarray(crops[i][::-1, ::-1]) for i in suspects]
        alt = self.recognizer(turned)
        texts, scores, positions = list(rec.texts), rec.scores.copy(), list(rec.char_positions)
        without_cjk = dict(rec.without_cjk)
        flipped = np.zeros(len(crops), dtype=bool)
        for j, i in enumerate(suspects):
            if alt.scores[j] > scores[i] and alt.texts[j].strip():
                texts[i], scores[i] = alt.texts[j], alt.scores[j]
                flipped[i] = True
                positions[i] = _mirrored(alt.char_positions[j])
                without_cjk.pop(i, None)
                if j in alt.without_cjk:
                    text, pos = alt.without_cjk[j]
                    without_cjk[i] = (text, _mirrored(pos))
        return RecResult(texts, scores, positions, without_cjk), flipped

    def _without_stray_cjk(self, rec: RecResult) -> RecResult:
        """The lines that hold CJK characters, read without them, unless the page has CJK
        text (``RecognizerOptions.cjk``).  On a page in Latin script the recogniser's CJK
        characters are symbols misread: ``"*"`` as ``"米"``, ``"-"`` as ``"一"``, ``":"``
        as ``"："``."""
        if not rec.without_cjk:
            return rec
        if self.options.rec.cjk == "auto":
            confident = [t for t, s in zip(rec.texts, rec.scores, strict=True) if s >= self.options.rec.drop_score]
            if has_cjk_text(confident):
                return rec
        texts, positions = list(rec.texts), list(rec.char_positions)
        for i, (text, pos) in rec.without_cjk.items():
            texts[i], positions[i] = text, pos
        return RecResult(texts, rec.scores, positions)

    def read_whole(self, images: Sequence[np.ndarray]) -> list[PageLines]:
        """Each BGR image read as one line of text, cut out already (no detection): a
        :class:`PageLines` per image, with the line's quad the whole image, or no line where
        nothing was read.  As on a page, an image 1.5 times as tall as wide or more is vertical
        text and read turned (below 3 times, also unturned: it may be one narrow glyph lying;
        the surer reading stays), lines read with doubt are checked for being upside down, and
        CJK characters are dropped unless the images hold CJK text (``RecognizerOptions.cjk``;
        the images of one call count as one page).  No line is dropped for its score: the image
        was given as text."""
        if not images:
            return []
        t0 = time.perf_counter()
        rects = [_rect(im) for im in images]
        crops = [np.ascontiguousarray(np.rot90(im)) if is_vertical(r) else im for im, r in zip(images, rects, strict=True)]
        rec = self.recognizer(crops)
        tall = [i for i, r in enumerate(rects) if short_and_tall(r)]
        if tall:
            rec, better = _surer(rec, tall, self.recognizer([images[i] for i in tall]))
            for j in better:
                crops[tall[j]] = images[tall[j]]
        t1 = time.perf_counter()
        flipped = np.zeros(len(crops), dtype=bool)
        if self.classifier is not None:
            suspects = self._upside_down(crops, rec.scores)
            if len(suspects):
                rec, flipped = self._settle_orientation(crops, rec, suspects)
        if self.options.rec.cjk != "allow":
            rec = self._without_stray_cjk(rec)
        timings = {"det": 0.0, "rec": t1 - t0, "cls": time.perf_counter() - t1}
        out = []
        for i, rect in enumerate(rects):
            text, pos = _stripped(rec.texts[i], rec.char_positions[i], bool(flipped[i]))
            if not text:
                out.append(_no_lines(timings))
                continue
            out.append(
                PageLines(rect[None], [text], rec.scores[i : i + 1].copy(), [pos], timings, flipped[i : i + 1].copy())
            )
        return out

    def recognize(self, images: Source | Sequence[Source]) -> list[TextLine]:
        """Read each image as one line of text, cut out already: no detection (PP-OCR's text
        recognition module; RapidOCR's ``use_det=False``).  ``images``: one or a list of BGR
        or grayscale arrays, paths or file bytes (each page of a file is one line).  One
        :class:`TextLine` per image, in order, in its pixels (a PDF page's: points), its box the
        whole image, its words placed in it; where nothing could be read, the text is ``""``
        with score 0.  See :meth:`read_whole`.

        >>> [line.text for line in OCREngine().recognize([total_crop, date_crop])]
        ['TOTAL 12.50', '2024-03-05']
        """
        single = isinstance(images, (np.ndarray, str, bytes, PathLike))
        pages = [page for source in ([images] if single else images) for page in iter_pages(source, self.options.loader)]
        out = []
        for page, raw in zip(pages, self.read_whole([p.image for p in pages]), strict=True):
            lines = _text_lines(raw, page.scale)
            if lines:
                out.append(lines[0])
            else:
                poly = tuple((x * page.scale, y * page.scale) for x, y in _rect(page.image).tolist())
                out.append(TextLine(text="", score=0.0, bbox=points_box(poly), polygon=poly))
        release_memory()  # as between the pages of a document
        return out

    def read_boxes(self, image: np.ndarray) -> tuple[PageLines, int]:
        """The lines of ``image`` found by the detector, nothing read (``RecognizerOptions.enabled``
        off): their quads in reading order, scored by the detector, with empty texts; and how far
        the page was turned.  A page on its side (``OCROptions.page_orientation``) is detected again
        standing upright, as :meth:`read_upright` does, and its quads brought back onto ``image``;
        a page upside down cannot be told from its boxes and is ordered as it lies."""
        t0 = time.perf_counter()
        det = self.detector(image)
        angle, up = 0, image
        if self.options.page_orientation:
            min_lines = PageOrientationOptions().min_lines
            turned = turn_from_lines(det.boxes, np.zeros(0, bool), lambda: self.page_classifier(image),
                                     min_lines=min_lines)
            if turned.angle in (90, 270):
                angle, up = int(turned.angle), upright(image, turned.angle)
                det = self.detector(up)
        quads = list(det.boxes)
        skew = skew_angle(quads) if quads else 0.0
        warp = row_warp(quads) if quads else None
        order = reading_order(level_boxes(quads, skew, warp))
        found = np.array([quads[i] for i in order], np.float32).reshape(-1, 4, 2)
        if angle:
            size = (up.shape[1], up.shape[0])
            found = np.array([quad_to_original(q, angle, size) for q in found], np.float32).reshape(-1, 4, 2)
        n = len(order)
        timings = {"det": time.perf_counter() - t0, "rec": 0.0, "cls": 0.0}
        return PageLines(found, [""] * n, det.scores[order].astype(np.float32),
                         [np.zeros(0, np.float32)] * n, timings, np.zeros(n, bool), skew, warp), angle

    def read_upright(self, image: np.ndarray) -> tuple[PageLines, int]:
        """:meth:`read_image` for a page whose text may be turned, and how far it was turned
        (clockwise degrees; see :meth:`read_turned`): the lines come in the upright page's reading
        order, their quads on ``image`` as given."""
        if not self.options.page_orientation:
            return self.read_image(image), 0
        up, raw, turned = self.read_turned(image)
        if not turned.angle:
            return raw, 0
        size = (up.shape[1], up.shape[0])
        quads = np.array([quad_to_original(q, turned.angle, size) for q in raw.quads], np.float32).reshape(-1, 4, 2)
        return replace(raw, quads=quads), int(turned.angle)

    def read_turned(
        self,
        image: np.ndarray,
        *,
        classify: Callable[[np.ndarray], Orientation] | None = None,
        min_lines: int | None = None,
    ) -> tuple[np.ndarray, PageLines, Orientation]:
        """The page stood upright, its lines read there (in its pixels), and how far it was turned.

        A page whose text lies on its side or upside down (see
        :func:`~chatocr.ocr.orientation.turn_from_lines`) is read again standing upright (upside
        down, in the boxes found on it as it lies, turned with it).  Line boxes
        standing on end show a page on its side before anything is read, and ``classify``
        (default: :attr:`page_classifier`) tells 90 from 270; lines lying flat but mostly read
        turned over show a page upside down.  Upright pages are read once.
        """
        classify = classify or self.page_classifier
        min_lines = PageOrientationOptions().min_lines if min_lines is None else min_lines
        t0 = time.perf_counter()
        det = self.detector(image)
        turned = turn_from_lines(det.boxes, np.zeros(0, bool), lambda: classify(image), min_lines=min_lines)
        if not turned.angle:
            # the line classifier flags most of the page's flat lines: upside down, read it
            # upright now rather than read every flagged line again turned first
            flags: list[Orientation] = []

            def turned_over(quads: np.ndarray, flagged: np.ndarray) -> bool:
                flags.append(turn_from_lines(quads, flagged, lambda: Orientation(0, 0.0), min_lines=min_lines))
                return flags[-1].angle == 180

            raw = self._read_detected(image, det, time.perf_counter() - t0, turned_over=turned_over)
            if raw is None:
                up, again = self._read_turned_det(image, det, 180)
                if turn_from_lines(again.quads, again.flipped, lambda: Orientation(0, 0.0), min_lines=min_lines).angle:
                    # upright it reads turned over: the flags were wrong, the page stands as it is
                    raw = self._read_detected(image, det, time.perf_counter() - t0)
                    assert raw is not None
                    return image, raw, Orientation(0, 1.0 - flags[-1].score)
                log.debug("page turned 180 degrees (%.2f of its lines flagged): read upright", flags[-1].score)
                return up, again, flags[-1]
            turned = turn_from_lines(raw.quads, raw.flipped, lambda: classify(image), min_lines=min_lines)
            if not turned.angle:
                return image, raw, turned
        log.debug("page turned %d degrees (%.2f): read upright", turned.angle, turned.score)
        up, lines = self._read_turned_det(image, det, turned.angle)
        return up, lines, turned

    def _read_turned_det(self, image: np.ndarray, det, angle: int) -> tuple[np.ndarray, PageLines]:
        """``image`` stood upright and its lines read there.  Upside down, in the boxes found on it
        as it lies, turned with it; on its side, detected again upright: the detector boxes lines
        standing on end worse (page CER 5.6% against 3.8% on receipts when those boxes were turned)."""
        up = upright(image, angle)
        if angle != 180:
            return up, self.read_image(up)
        h, w = image.shape[:2]
        lines = self._read_detected(up, replace(det, boxes=quads_to_upright(det.boxes, angle, (w, h))), 0.0)
        assert lines is not None  # without turned_over, always read
        return up, lines

    @property
    def page_classifier(self) -> PageOrientationClassifier:
        """The page orientation classifier, made on first use (only a page on its side needs it)."""
        if self._shared is not None:
            return self._shared.page_classifier
        if self._page_classifier is None:
            self._page_classifier = PageOrientationClassifier(engine=self.options.engine, ocr=self)
        return self._page_classifier

    def read_page(self, page: PageImage) -> OCRPage:
        """OCR one loaded page, read upright (see :meth:`read_upright`); coordinates in the page's
        own units.  With detection off (``DetectorOptions.enabled``), the page is one line
        (:meth:`read_whole`); with recognition off, its lines are found, not read (:meth:`read_boxes`)."""
        if not self.options.rec.enabled:
            raw, angle = self.read_boxes(page.image)
        elif self.options.det.enabled:
            raw, angle = self.read_upright(page.image)
        else:
            raw, angle = self.read_whole([page.image])[0], 0
            rec = self.options.rec
            # the page was given as a line: kept whatever its score, unless a threshold was asked for
            if "drop_score" in rec.model_fields_set and len(raw.scores) and raw.scores[0] < rec.drop_score:
                raw = _no_lines(raw.timings)
        return OCRPage(
            page=page.page,
            width=page.width,
            height=page.height,
            unit=page.unit,
            orientation=angle,
            skew=round(raw.skew, 2),
            lines=tuple(_text_lines(raw, page.scale)),
        )

    # -- documents -----------------------------------------------------------------------
    def iter_pages(self, source: Source) -> Iterator[OCRPage]:
        """OCR ``source`` page by page (lazy: one page image in memory at a time)."""
        for page in iter_pages(source, self.options.loader):
            result = self.read_page(page)
            del page
            release_memory()
            yield result

    def __call__(self, source: Source) -> OCRResult:
        return OCRResult(pages=tuple(self.iter_pages(source)))
