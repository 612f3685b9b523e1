"""Parse a PDF or image into a ``Document``: PP-StructureV3's stages, page by page.

Born-digital PDF pages are read from their text layer (fast and exact); image
regions on them are OCR'd.  Scanned pages and pages whose text layer is broken
go through page orientation → OCR → layout regions → tables → paragraphs.
Every page then gets reading order across columns and key–value pairs.

Pages stream: at most one page image is in memory, so a 500-page PDF parses in
the memory of one page.  Models load on first use, so a born-digital PDF never
loads the OCR models at all.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import __version__
from .._memory import release_memory
from ..document import Block, BlockType, Document, KeyValue, Line, Page, Table, Word
from ..errors import ChatOCRError, UnreadableDocument
from ..geometry import box_edges, points_box, rows_text, scaled_warp, warp_points
from ..io import image_pages, open_pdf, page_count, read_source, render_pdf_page, selected_pages
from ..io.loader import PageImage, _from_array
from ..io.textlayer import TextLayer, read_text_layer
from ..options import ParserOptions
from ..types import BBox

if TYPE_CHECKING:
    from ..ocr.pipeline import PageLines

log = logging.getLogger(__name__)

__all__ = ["DocumentParser", "parse", "source_digest"]

Progress = Callable[[int, int], None]  # (pages done, pages total)

_MARGIN_TYPES: frozenset[str] = frozenset({"header", "footer"})


def source_digest(source: str | PathLike | bytes | np.ndarray) -> tuple[str, bytes | None, str, str | None]:
    """(sha256, bytes, name, format) of a source; arrays hash their pixels."""
    if isinstance(source, np.ndarray):
        h = hashlib.sha256()
        h.update(str(source.shape).encode() + str(source.dtype).encode())
        h.update(np.ascontiguousarray(source).tobytes())
        return h.hexdigest(), None, "<array>", "array"
    data, name, fmt = read_source(source)
    return hashlib.sha256(data).hexdigest(), data, name, fmt


@dataclass(slots=True)
class _Region:
    """A region being built, in working coordinates (upright image pixels or PDF points)."""

    type: str
    bbox: BBox
    score: float = 1.0
    lines: list[Line] | None = None
    table: Table | None = None
    rows: bool = False  # lines kept in row order (merged label/value regions), not split into paragraphs
    source_lines: list[Line] | None = None  # an unruled table's lines before cutting them into cells


def _union(boxes: Sequence[BBox]) -> BBox:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _inside(inner: BBox, outer: BBox, frac: float = 0.5) -> bool:
    """At least ``frac`` of ``inner``'s area lies in ``outer``."""
    ix = max(0.0, min(inner[2], outer[2]) - max(inner[0], outer[0]))
    iy = max(0.0, min(inner[3], outer[3]) - max(inner[1], outer[1]))
    area = max(1e-6, (inner[2] - inner[0]) * (inner[3] - inner[1]))
    return ix * iy / area >= frac


class DocumentParser:
    """PDF / image → ``Document``.  Stages are created on first use and reused.

    >>> parser = DocumentParser()
    >>> doc = parser.parse("invoice.pdf")
    >>> print(doc.to_markdown())
    """

    def __init__(
        self,
        options: ParserOptions | None = None,
        *,
        ocr=None,
        layout=None,
        tables=None,
        orientation=None,
        workers: int = 1,
    ) -> None:
        self.options = options or ParserOptions()
        # processes that parse the pages of one document side by side, each with models of its own
        # (stages passed in serve this process only) and ``options.ocr.engine.threads`` threads; a
        # file of one page is parsed here
        self.workers = workers
        self._ocr = ocr
        self._layout = layout
        self._tables = tables
        self._orientation = orientation

    # -- stages, loaded lazily --------------------------------------------------------------
    @property
    def ocr(self):
        if self._ocr is None:
            from ..ocr import OCREngine

            self._ocr = OCREngine(self.options.ocr)
        return self._ocr

    @property
    def layout(self):
        if self._layout is None:
            from .layout import LayoutAnalyzer

            self._layout = LayoutAnalyzer(self.options.layout, engine=self.options.ocr.engine)
        return self._layout

    @property
    def tables(self):
        if self._tables is None:
            from .tables import TableRecognizer

            self._tables = TableRecognizer(self.options.table, engine=self.options.ocr.engine)
        return self._tables

    @property
    def orientation(self):
        if self._orientation is None:
            from ..ocr.orientation import PageOrientationClassifier

            self._orientation = PageOrientationClassifier(
                self.options.orientation, engine=self.options.ocr.engine, ocr=self.ocr
            )
        return self._orientation

    # -- documents --------------------------------------------------------------------------
    def parse(self, source, *, progress: Progress | None = None) -> Document:
        """Parse every page of ``source`` (path, bytes or BGR array)."""
        return self.parse_read(source, source_digest(source), progress=progress)

    def parse_read(self, source, read: tuple[str, bytes | None, str, str | None], *,
                   progress: Progress | None = None) -> Document:
        """``parse`` of a source already read and hashed by ``source_digest`` (the cache reads a file once)."""
        sha, data, name, fmt = read
        pages = tuple(self._iter_pages(source, data, name, fmt, progress))
        return Document(
            id=sha[:16],
            name=Path(name).name if name and not name.startswith("<") else "",
            sha256=sha,
            pages=pages,
            meta={"parser": f"chatocr {__version__}", "options": self.options_digest()},
        )

    def iter_pages(self, source, *, progress: Progress | None = None) -> Iterator[Page]:
        """The pages of ``source`` one at a time (for streaming very long documents)."""
        _, data, name, fmt = source_digest(source)
        yield from self._iter_pages(source, data, name, fmt, progress)

    def options_digest(self) -> str:
        """A short hash of what changes the parse, for cache keys: the options and the release
        (a parse cached by an older chatocr is not reused after an upgrade)."""
        dump = __version__ + self.options.model_dump_json(exclude={"ocr": {"engine"}})
        return hashlib.sha256(dump.encode()).hexdigest()[:12]

    def _iter_pages(self, source, data, name, fmt, progress) -> Iterator[Page]:
        numbers = self._page_numbers(data, name, fmt) if self.workers > 1 and fmt != "array" else []
        if len(numbers) > 1:
            raw = self._pages_side_by_side(numbers, data, name, fmt, progress)
        else:
            raw = self._raw_pages(source, data, name, fmt, progress)
        yield from self._mark_running(raw)

    def _page_numbers(self, data: bytes, name: str, fmt: str) -> list[int]:
        loader = self.options.ocr.loader
        return [i + 1 for i in selected_pages(page_count(data, loader), loader, name, fmt)]

    def _pages_side_by_side(self, numbers: list[int], data: bytes, name: str, fmt: str,
                            progress: Progress | None) -> Iterator[Page]:
        """The pages ``numbers`` parsed by ``workers`` processes, in runs of a few pages each; they
        come in order, each as soon as it and those before it are parsed.  A page that cannot be
        parsed raises its error after the pages before it, as parsing in one process does."""
        from .._pool import in_order, page_runs

        pages = in_order(self.workers, _start_page_worker, (self.options, data, name, fmt), _parse_run,
                         page_runs(numbers, self.workers))
        for done, page in enumerate(pages, 1):
            if progress:
                progress(done, len(numbers))
            yield page

    def _raw_pages(self, source, data, name, fmt, progress) -> Iterator[Page]:
        if fmt == "array":
            selected_pages(1, self.options.ocr.loader, name, "array")
            img = _from_array(source, self.options.ocr.loader)
            yield self._scanned_page(img, name)
            if progress:
                progress(1, 1)
            return
        if fmt == "pdf":
            yield from self._pdf_pages(data, name, progress)
            return
        done = 0
        for img in image_pages(data, name, fmt, self.options.ocr.loader):
            page = self._scanned_page(img, name)
            del img
            release_memory()
            done += 1
            if progress:
                progress(done, 0)
            yield page

    def _pdf_pages(self, data, name, progress) -> Iterator[Page]:
        loader = self.options.ocr.loader
        with open_pdf(data, name, loader) as doc:
            indices = selected_pages(doc.page_count, loader, name)
            for done, i in enumerate(indices, 1):
                try:
                    pdf_page = doc.load_page(i)
                    layer = read_text_layer(pdf_page) if self.options.use_text_layer else None
                except Exception as e:  # PyMuPDF raises plain RuntimeErrors on broken pages
                    raise UnreadableDocument(name, f"cannot read PDF page {i + 1} ({e})") from e
                if layer is not None and layer.chars and not layer.reliable:
                    log.info("%s: page %d: text layer not used, OCR instead: %s", name, i + 1, layer.reason)
                if layer is not None and layer.reliable and layer.chars >= self.options.min_text_layer_chars:
                    page = self._digital_page(doc, i, pdf_page, layer, name)
                else:
                    img = render_pdf_page(doc, i, name, loader)
                    page = self._scanned_page(img, name)
                    del img
                del pdf_page
                release_memory()
                if progress:
                    progress(done, len(indices))
                yield page

    # -- born-digital pages -------------------------------------------------------------
    def _digital_page(self, doc, index: int, pdf_page, layer: TextLayer, name: str) -> Page:
        from .tables import pdf_tables

        o = self.options
        rect = pdf_page.rect
        width, height = float(rect.width), float(rect.height)
        lines = [
            Line(
                text=ln.text,
                bbox=_clip(ln.bbox, width, height),
                source="text_layer",
                words=tuple(Word(text=t, bbox=_clip(b, width, height)) for t, b in ln.words),
            )
            for ln in layer.lines
        ]
        meta = {id(line): tl for line, tl in zip(lines, layer.lines, strict=True)}
        source = "text_layer"
        # Images with text in them (a scanned insert, a screenshot): OCR them.
        ocr_lines: list[Line] = []
        if o.ocr_images:
            for box in layer.images:
                if (box[2] - box[0]) * (box[3] - box[1]) < o.min_image_area * width * height:
                    continue
                ocr_lines += self._ocr_clip(doc, index, box, name, lines)
        if ocr_lines:
            source = "mixed"
        regions: list[_Region] = []
        if o.tables:
            try:
                found = pdf_tables(pdf_page)
            except Exception as e:  # table finding is an aid; a failure leaves the text as text
                log.warning("%s: page %d: table detection failed (%s)", name, index + 1, e)
                found = []
            for bbox, table in found:
                regions.append(_Region("table", tuple(map(float, bbox)), 1.0, [], table))
        rest: list[Line] = []
        for ln in lines:
            home = next((r for r in regions if _inside(ln.bbox, r.bbox)), None)
            if home is not None:
                home.lines.append(ln)
            else:
                rest.append(ln)
        if o.tables and o.table.detect_unruled and len(rest) >= 3:
            words = _word_splitter(pdf_page, rest)
            found, rest = self._unruled_tables(rest, words)
            regions += found
        # Text-layer blocks are paragraphs; type them by font size, weight and position.
        by_block: dict[int, list[Line]] = {}
        for ln in rest:
            by_block.setdefault(meta[id(ln)].block, []).append(ln)
        body = layer.body_size or 10.0
        for blines in by_block.values():
            tls = [meta[id(ln)] for ln in blines]
            size = max(t.size for t in tls)
            text_len = sum(len(t.text) for t in tls)
            btype: BlockType = "text"
            if size >= body * o.title_size_ratio and text_len <= 200:
                btype = "title"
            elif all(t.bold for t in tls) and len(tls) <= 2 and text_len <= 120 and size >= body:
                btype = "title"
            for para in _split_paragraphs(blines):
                regions.append(_Region(btype, _union([ln.bbox for ln in para]), 1.0, para))
        regions += self._plain_regions(ocr_lines)
        return self._assemble(index + 1, width, height, "pt", 0, source, regions)

    def _ocr_clip(self, doc, index: int, box: BBox, name: str, existing: list[Line]) -> list[Line]:
        """OCR one image region of a PDF page; lines already in the text layer are skipped."""
        img = render_pdf_page(doc, index, name, self.options.ocr.loader, clip=box)
        raw = self.ocr.read_image(img.image)
        out = []
        for k, (quad, text, score) in enumerate(zip(raw.quads, raw.texts, raw.scores, strict=True)):
            where = (float(box[0]), float(box[1]))
            q = quad * img.scale + np.array(where, dtype=np.float32)
            ln = _ocr_line(q, text, score, raw.words(k, img.scale, where), polygon=False)
            if not any(_inside(ln.bbox, e.bbox, 0.6) for e in existing):
                out.append(ln)
        return out

    # -- scanned pages ------------------------------------------------------------------------
    def _scanned_page(self, img: PageImage, name: str) -> Page:
        from ..ocr.orientation import box_to_original, quad_to_original

        o = self.options
        image = img.image
        angle, turn_score = 0, 1.0
        if o.use_orientation:
            image, raw, turned = self.ocr.read_turned(
                image, classify=self.orientation, min_lines=o.orientation.min_lines
            )
            angle, turn_score = int(turned.angle), float(turned.score)
        else:
            raw = self.ocr.read_image(image)
        h, w = image.shape[:2]
        # a page scanned askew is analysed level (layout, rows, tables), its boxes mapped back after
        image, raw, unlevel, warp, bow = _levelled(image, raw)
        lines = [
            _ocr_line(q, text, score, raw.words(k))
            for k, (q, text, score) in enumerate(zip(raw.quads, raw.texts, raw.scores, strict=True))
        ]
        # where each character sits (the recogniser's CTC positions), for splitting "Key: Value" boxes;
        # not for a line read turned over, whose text runs right to left on the page
        centres = {
            (ln.text, ln.bbox): [ln.bbox[0] + float(f) * (ln.bbox[2] - ln.bbox[0]) for f in pos]
            for ln, pos, turned in zip(lines, raw.char_positions, raw.flipped, strict=True)
            if len(pos) == len(ln.text) and not turned
        }
        regions = (
            self._regions_from_image(image, lines, centres) if o.use_layout else self._plain_regions(lines, centres)
        )
        width, height = img.width, img.height
        page = self._assemble(
            img.page,
            width,
            height,
            img.unit,
            angle,
            "ocr" if lines else "empty",
            regions,
            working=(image.shape[1], image.shape[0]),
            char_centres=centres,
            skew=raw.skew,
        )
        # Back from the upright working image to the page as stored, in output units.
        s = img.scale

        def fbox(b: BBox) -> BBox:
            if unlevel is not None:  # the box's edges, not only its corners: rows laid straight bow back
                b = points_box(unlevel(box_edges(b)))
            x0, y0, x1, y1 = box_to_original(b, angle, (w, h)) if angle else b
            return _clip((x0 * s, y0 * s, x1 * s, y1 * s), width, height)

        def fpoly(p):
            if unlevel is not None:
                p = unlevel(p)
            pts = quad_to_original(p, angle, (w, h)) if angle else p
            return tuple((float(x) * s, float(y) * s) for x, y in pts)

        page = page.map_boxes(fbox, fpoly)
        if warp is not None:  # in the page's units, from the working image's pixels
            level = scaled_warp(warp, s)
            page = page.model_copy(update={"warp": tuple(float(f"{v:.10g}") for v in level.ravel())})
        if bow is not None:  # in the page's units too: u, v are s times as large
            (a, b, c, e), (xc, yc) = bow
            values = (a, b / s, c / (s * s), e / s, xc * s, yc * s)
            page = page.model_copy(update={"bow": tuple(float(f"{v:.10g}") for v in values)})
        log.debug("%s: page %d: %d lines, turned %d (%.2f)", name, img.page, len(lines), angle, turn_score)
        return page

    def _regions_from_image(self, image: np.ndarray, lines: list[Line], centres: dict | None = None) -> list[_Region]:
        from .reading_order import assign_lines_to_regions, cluster_orphans

        o = self.options
        found = self.layout(image)
        regions = [_Region(r.type, tuple(map(float, r.bbox)), float(r.score), []) for r in found]
        # Tables first: their lines belong to the table.
        table_regions = [r for r in regions if r.type == "table"]
        other = [r for r in regions if r.type != "table"]
        line_boxes = [ln.bbox for ln in lines]
        free = list(range(len(lines)))
        if table_regions:
            owner = assign_lines_to_regions(line_boxes, [r.bbox for r in table_regions])
            free = [i for i in free if owner[i] < 0]
            for k, r in enumerate(table_regions):
                r.lines = [lines[i] for i in range(len(lines)) if owner[i] == k]
                if o.tables and r.lines:
                    r.table = self._recognize_table(image, r)
        if o.tables and o.table.detect_unruled and len(free) >= 3:
            # Unruled tables the layout model missed, among the lines of text-flow regions or of none
            # (a chart's labels or a running header are no table).
            cand = free
            if other:
                owner = assign_lines_to_regions([line_boxes[i] for i in free], [r.bbox for r in other])
                cand = [i for j, i in enumerate(free) if owner[j] < 0 or other[owner[j]].type in _FLOW_TYPES]
            found, _ = self._unruled_tables([lines[i] for i in cand], _char_splitter(centres))
            taken = {id(ln) for r in found for ln in r.source_lines}
            free = [i for i in free if id(lines[i]) not in taken]
            table_regions += found
        if other and free:
            owner = assign_lines_to_regions([line_boxes[i] for i in free], [r.bbox for r in other])
            for j, i in enumerate(free):
                if owner[j] >= 0:
                    other[owner[j]].lines.append(lines[i])
            free = [i for j, i in enumerate(free) if owner[j] < 0]
        out: list[_Region] = list(table_regions)
        for r in other:
            if not r.lines:
                if r.type in ("figure", "table"):
                    out.append(r)
                continue
            if r.type in ("text", "reference", "list"):
                for para in _split_paragraphs(r.lines):
                    out.append(_Region(r.type, _union([ln.bbox for ln in para]), r.score, para))
            else:
                out.append(r)
        if free:
            for group in cluster_orphans([line_boxes[i] for i in free]):
                glines = [lines[free[g]] for g in group]
                for para in _split_paragraphs(glines):
                    out.append(_Region("text", _union([ln.bbox for ln in para]), 0.5, para))
        return _merge_interleaved(out, image.shape[1])

    def _plain_regions(self, lines: list[Line], centres: dict | None = None) -> list[_Region]:
        """Regions from lines alone (no layout model): unruled tables, then text blocks."""
        found: list[_Region] = []
        if self.options.tables and self.options.table.detect_unruled and len(lines) >= 3:
            found, lines = self._unruled_tables(lines, _char_splitter(centres))
        return found + _text_regions(lines)

    def _unruled_tables(
        self, lines: list[Line], split: Callable[[Line], list[Line]] | None
    ) -> tuple[list[_Region], list[Line]]:
        """Unruled tables among ``lines`` as table regions, and the lines left over (see ``chatocr.structure.unruled``).

        ``split`` cuts a line that holds several cells of a row into one line per cell.
        """
        from .unruled import find_unruled_tables

        o = self.options.table
        pieces: list[Line] = []
        parent: list[int] = []
        for i, ln in enumerate(lines):
            parts = split(ln) if split is not None else [ln]
            pieces += parts
            parent += [i] * len(parts)
        regions: list[_Region] = []
        used: set[int] = set()
        for ids, table in find_unruled_tables(pieces, row_separator=o.row_separator, header=o.detect_header):
            tl = [pieces[k] for k in ids]
            region = _Region("table", _union([ln.bbox for ln in tl]), table.score, tl, table)
            region.source_lines = [lines[parent[k]] for k in sorted({parent[k] for k in ids})]
            regions.append(region)
            used.update(parent[k] for k in ids)
        return regions, [ln for i, ln in enumerate(lines) if i not in used]

    def _recognize_table(self, image: np.ndarray, region: _Region) -> Table | None:
        h, w = image.shape[:2]
        pad = 4
        x0, y0 = max(0, int(region.bbox[0]) - pad), max(0, int(region.bbox[1]) - pad)
        x1, y1 = min(w, int(np.ceil(region.bbox[2])) + pad), min(h, int(np.ceil(region.bbox[3])) + pad)
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        crop = image[y0:y1, x0:x1]
        local = [ln.model_copy(update={"bbox": _shift(ln.bbox, -x0, -y0), "polygon": None}) for ln in region.lines]
        table = self.tables(crop, local)
        if table is None:
            return None
        return table.model_copy(
            update={
                "cells": tuple(
                    c.model_copy(update={"bbox": _shift(c.bbox, x0, y0) if c.bbox else None}) for c in table.cells
                )
            }
        )

    # -- every page ---------------------------------------------------------------------------
    def _assemble(
        self,
        number: int,
        width: float,
        height: float,
        unit: str,
        angle: int,
        source: str,
        regions: list[_Region],
        working: tuple[float, float] | None = None,
        char_centres: dict | None = None,
        skew: float = 0.0,
    ) -> Page:
        """Order regions, find key–value pairs, and build the page (working coordinates)."""
        from .kv import find_key_values, table_key_values
        from .reading_order import xy_cut_order

        ww, wh = working or (width, height)
        regions = [r for r in regions if r.lines or r.table is not None or r.type == "figure"]
        heads = [r for r in regions if r.type == "header"]
        feet = [r for r in regions if r.type == "footer"]
        body = [r for r in regions if r.type not in _MARGIN_TYPES]
        order = xy_cut_order([r.bbox for r in body], page_width=ww, page_height=wh) if body else []
        heads.sort(key=lambda r: (r.bbox[1], r.bbox[0]))
        feet.sort(key=lambda r: (r.bbox[1], r.bbox[0]))
        ordered = heads + [body[i] for i in order] + feet
        # Key–value pairs over the page's running text (a receipt's key and value often sit
        # in different layout regions), attached to the block that holds the key.
        all_lines = [ln for r in ordered if r.table is None for ln in (r.lines or ())]
        pairs: list[KeyValue] = []
        if self.options.kv and all_lines:
            edges = [char_centres.get((ln.text, ln.bbox)) for ln in all_lines] if char_centres else None
            pairs = find_key_values(all_lines, char_edges=edges)
        titles = [ln.bbox for r in ordered if r.type == "title" for ln in (r.lines or ())]
        pairs = [p for p in pairs if not any(_inside(p.key_bbox, t, 0.5) for t in titles)]
        blocks: list[Block] = []
        for k, r in enumerate(ordered):
            rl = tuple(r.lines or ())
            kv: list[KeyValue] = [p for p in pairs if any(_inside(p.key_bbox, ln.bbox, 0.5) for ln in rl)]
            if r.table is not None:
                text = _table_text(r.table)
                if self.options.kv:
                    kv += table_key_values(r.table)
            elif r.type == "figure" or r.rows:
                # a picture's words (a photographed receipt), or labels and values side by side:
                # rows, not running text
                text = rows_text([ln.text for ln in rl], [ln.bbox for ln in rl])
            else:
                text = _block_text(rl)
            blocks.append(
                Block(
                    id=f"p{number}-b{k}",
                    type=r.type,  # type: ignore[arg-type]
                    bbox=r.bbox,
                    text=text,
                    lines=rl,
                    table=r.table,
                    kv=tuple(kv),
                    score=min(1.0, max(0.0, r.score)),
                )
            )
        return Page(
            page=number,
            width=float(width),
            height=float(height),
            unit=unit,  # type: ignore[arg-type]
            orientation=angle,  # type: ignore[arg-type]
            skew=round(skew, 2),
            source=source if blocks else "empty",  # type: ignore[arg-type]
            blocks=tuple(blocks),
        )

    def _mark_running(self, pages: Iterator[Page]) -> Iterator[Page]:
        """Mark running headers/footers: text repeated in the margins of nearby pages.

        A page is held back until ``window`` later pages have been seen (pages
        are small; their images are long gone), so the first page of a run is
        marked too.
        """
        from collections import deque

        from .reading_order import RunningHeaderDetector

        window = 4
        det = RunningHeaderDetector(window=window)
        held: deque[tuple[int, Page, list]] = deque()
        for n, page in enumerate(pages):
            roles = det.observe([(b.bbox, b.text) for b in page.blocks], page.width, page.height)
            held.append((n, page, roles))
            for k, item, role in det.backfill():
                for m, _, r in held:
                    if m == k:
                        r[item] = role
            while len(held) > window:
                _, p, r = held.popleft()
                yield _relabel(p, r)
        while held:
            _, p, r = held.popleft()
            yield _relabel(p, r)


_PAGE_WORKER: tuple[DocumentParser, bytes, str, str] | None = None  # in a page worker process


def _start_page_worker(options: ParserOptions, data: bytes, name: str, fmt: str) -> None:
    global _PAGE_WORKER
    _PAGE_WORKER = (DocumentParser(options), data, name, fmt)


def _parse_run(numbers: tuple[int, ...]) -> tuple[list[Page], ChatOCRError | None]:
    """In a page worker: the pages ``numbers`` of its file, and the error that stopped the run."""
    from .._pool import until_failure

    assert _PAGE_WORKER is not None
    parser, data, name, fmt = _PAGE_WORKER
    o = parser.options  # the stages, loaded once per worker, do not depend on the pages asked for
    loader = o.ocr.loader.model_copy(update={"pages": numbers})
    parser.options = o.model_copy(update={"ocr": o.ocr.model_copy(update={"loader": loader})})
    return until_failure(lambda: parser._raw_pages(None, data, name, fmt, None))


def _relabel(page: Page, roles: list) -> Page:
    """Blocks marked header/footer become so (titles stay titles) and move to the page's ends."""
    if not any(roles):
        return page
    blocks = [
        b.model_copy(update={"type": m}) if m and b.type not in _MARGIN_TYPES and b.type != "title" else b
        for b, m in zip(page.blocks, roles, strict=True)
    ]
    heads = [b for b in blocks if b.type == "header"]
    feet = [b for b in blocks if b.type == "footer"]
    body = [b for b in blocks if b.type not in _MARGIN_TYPES]
    ordered = heads + body + feet
    renum = tuple(b.model_copy(update={"id": f"p{page.page}-b{k}"}) for k, b in enumerate(ordered))
    return page.model_copy(update={"blocks": renum})


# -- helpers --------------------------------------------------------------------------------


_FLOW_TYPES = frozenset({"text", "list", "reference", "title"})
_CAPTION_TYPES = frozenset({"figure_caption", "table_caption"})


def _char_splitter(centres: dict | None) -> Callable[[Line], list[Line]] | None:
    """Cuts an OCR line at wide gaps, from its characters' centres (keyed by ``(text, bbox)``)."""
    if not centres:
        return None
    from .unruled import split_chars

    return lambda ln: split_chars(ln, centres.get((ln.text, ln.bbox)))


def _word_splitter(pdf_page, lines: list[Line]) -> Callable[[Line], list[Line]] | None:
    """Cuts text-layer lines that look like several cells (runs of spaces, or far wider than their text) at wide
    gaps between their words; None when no line looks so (the page's words are then never read)."""

    def suspect(ln: Line) -> bool:
        t = ln.text.strip()
        h = ln.bbox[3] - ln.bbox[1]
        return " " in t and ("   " in t or (ln.bbox[2] - ln.bbox[0]) > 0.8 * h * len(t))

    if not any(suspect(ln) for ln in lines):
        return None
    from .unruled import split_words

    words = [(float(w[0]), float(w[1]), float(w[2]), float(w[3]), str(w[4])) for w in pdf_page.get_text("words")]

    def split(ln: Line) -> list[Line]:
        if not suspect(ln):
            return [ln]
        x0, y0, x1, y1 = ln.bbox
        mine = [
            (a, c, t) for a, b, c, d, t in words if x0 - 1 <= (a + c) / 2 <= x1 + 1 and y0 - 1 <= (b + d) / 2 <= y1 + 1
        ]
        return split_words(ln, mine)

    return split


def _merge_interleaved(regions: list[_Region], page_width: float) -> list[_Region]:
    """Merge text regions that share rows when one of them is narrow, or when they overlap.

    On receipts and forms the layout model cuts a row ("Total ... 8.20") into a
    label region and a narrow value region; read region by region, every value
    would come after every label.  Two regions of similar width side by side are
    real columns and stay apart.  Two text or caption regions whose boxes overlap
    on the same rows (the model boxing one footer line twice, say, or ending a box
    with rows the next box's first lines share) hold one flow of lines, read row
    by row.
    """
    mergeable = _FLOW_TYPES | _CAPTION_TYPES
    flow = [r for r in regions if r.type in mergeable and r.lines]
    if len(flow) < 2:
        return regions
    parent = list(range(len(flow)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def line_height(r: _Region) -> float:
        return float(np.median([ln.bbox[3] - ln.bbox[1] for ln in r.lines]))

    for i, a in enumerate(flow):
        for j in range(i + 1, len(flow)):
            b = flow[j]
            ov = min(a.bbox[3], b.bbox[3]) - max(a.bbox[1], b.bbox[1])
            shorter = min(a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1])
            if shorter <= 0 or ov <= 0:
                continue
            wa, wb = a.bbox[2] - a.bbox[0], b.bbox[2] - b.bbox[0]
            narrow, wide = min(wa, wb), max(wa, wb)
            x_ov = min(a.bbox[2], b.bbox[2]) - max(a.bbox[0], b.bbox[0])
            # the same rows in two overlapping boxes: one flow of lines (also where the boxes share
            # only a few rows, each holding lines of both: a receipt's "Cashier : USER  Time: 12:49")
            overlapping = x_ov > 0.3 * narrow and (
                ov >= 0.3 * shorter or ov >= 2 * max(line_height(a), line_height(b))
            )
            label_value = ov >= 0.3 * shorter and a.type in _FLOW_TYPES and b.type in _FLOW_TYPES and (
                narrow < 0.5 * wide or narrow < 0.3 * page_width
            )
            if overlapping or label_value:
                parent[find(i)] = find(j)
    groups: dict[int, list[_Region]] = {}
    for i, r in enumerate(flow):
        groups.setdefault(find(i), []).append(r)
    from ..geometry import reading_order

    out = [r for r in regions if not (r.type in mergeable and r.lines)]
    for members in groups.values():
        if len(members) == 1:
            out.append(members[0])
            continue
        lines = [ln for r in members for ln in r.lines]
        lines = [lines[i] for i in reading_order([ln.bbox for ln in lines])]
        kinds = {r.type for r in members}
        kind = kinds.pop() if len(kinds) == 1 else "text"
        score = min(r.score for r in members)
        out.append(_Region(kind, _union([r.bbox for r in members]), score, lines, rows=True))
    return out


def _levelled(
    image: np.ndarray, raw: PageLines
) -> tuple[np.ndarray, PageLines, Callable | None, np.ndarray | None, tuple | None]:
    """``image`` and its lines moved so that their rows lie level: turned where they slope
    ``raw.skew`` degrees (``orientation.level``), warped where they converge (``raw.warp``,
    ``orientation.level_warped``), and then laid straight where they bow, as on curled paper
    (``geometry.row_bow``, ``orientation.level_bowed``); the function that takes points on it
    (any shape ending in 2) back to ``image``; the warp that was used (``None`` where the rows
    were not warped); and how the rows bow (``geometry.row_bow``, ``None`` where they are straight),
    in the frame ``Page.upright`` lays the page level in (turned about the image's middle, or
    warped, without the canvas's shift).  As given, and ``None``, where the rows already lie level
    and straight."""
    from ..geometry import bowed, row_bow, straightened, turn_points
    from ..ocr.orientation import level, level_bowed, level_warped

    moved, warp = None, raw.warp
    if warp is not None:
        moved = level_warped(image, warp)
        if moved is None:
            warp = None
    if moved is None and raw.skew:
        levelled, turn = level(image, raw.skew)
        moved = levelled, np.vstack([turn, (0.0, 0.0, 1.0)])
    levelled, m = moved if moved is not None else (image, np.eye(3))
    quads = warp_points(raw.quads, m)
    inv = np.linalg.inv(m)
    bow = row_bow(quads)
    flat = level_bowed(levelled, bow) if bow is not None else None
    page_bow = None
    if flat is not None:
        levelled, down = flat
        quads = straightened(quads, bow) + (0.0, down)

        def back(points):
            p = np.asarray(points, np.float64)
            return warp_points(bowed(p - (0.0, down), bow), inv)

        # the level frame here is the page's level frame shifted (the canvas grown to hold the page)
        h, w = image.shape[:2]
        origin = np.zeros((1, 2))
        there = warp_points(origin, warp) if warp is not None else turn_points(origin, raw.skew, (w / 2, h / 2))
        (dx, dy), = (warp_points(origin, m) - there).tolist()
        coef, (xc, yc) = bow
        page_bow = coef, (xc - dx, yc - dy)
    elif moved is None:
        return image, raw, None, None, None
    else:
        def back(points):
            return warp_points(points, inv)
    return levelled, replace(raw, quads=quads.astype(np.float32)), back, warp, page_bow


def _ocr_line(q: np.ndarray, text: str, score: float, words=(), *, polygon: bool = True) -> Line:
    """A recognised line from its 4 x 2 quadrilateral, with its words (``(quad, text)``)."""
    return Line(
        text=text,
        bbox=points_box(q),
        polygon=tuple((float(x), float(y)) for x, y in q) if polygon else None,
        score=min(1.0, max(0.0, float(score))),
        words=tuple(Word.model_construct(text=t, bbox=points_box(wq)) for wq, t in words),
    )


def _text_regions(lines: list[Line]) -> list[_Region]:
    """Text blocks from lines alone (layout model off; OCR'd images on a digital page)."""
    from .reading_order import cluster_orphans

    out = []
    for group in cluster_orphans([ln.bbox for ln in lines]):
        glines = [lines[i] for i in group]
        for para in _split_paragraphs(glines):
            out.append(_Region("text", _union([ln.bbox for ln in para]), 1.0, para))
    return out


def _split_paragraphs(lines: list[Line]) -> list[list[Line]]:
    from .reading_order import group_paragraphs

    if len(lines) <= 1:
        return [lines]
    return [[lines[i] for i in para] for para in group_paragraphs(lines)]


def _block_text(lines: tuple[Line, ...]) -> str:
    from .reading_order import block_text

    return block_text([ln.text for ln in lines], [ln.bbox for ln in lines])


def _table_text(table: Table) -> str:
    return "\n".join(" | ".join(t for t in row) for row in table.grid())


def _shift(b: BBox, dx: float, dy: float) -> BBox:
    return (b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy)


def _clip(b: BBox, w: float, h: float) -> BBox:
    return (
        min(max(0.0, float(b[0])), w),
        min(max(0.0, float(b[1])), h),
        min(max(0.0, float(b[2])), w),
        min(max(0.0, float(b[3])), h),
    )


def parse(source, options: ParserOptions | None = None, **kwargs) -> Document:
    """Parse ``source`` with a one-off ``DocumentParser``."""
    return DocumentParser(options, **kwargs).parse(source)
