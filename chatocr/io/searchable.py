"""Searchable PDFs: the pages of a scan with the text read on them laid over, invisible.

``chatocr ocr scan.jpg --pdf scan.pdf`` writes a PDF that looks like the scan and whose text
can be searched, selected and copied, as OCRmyPDF does: each word (or each line, where the
recogniser gave no word boxes) is written in invisible ink (PDF text render mode 3) over its
box, its font size from the box's height, stretched to the box's length and turned with it
(a page scanned askew, on its side or upside down keeps its words on their ink).

A parsed document (``chatocr.document.Page``) is written the same way: each line on its
polygon, each word on the part of the line its box covers.

A PDF keeps its own pages (and its encryption): text goes onto the pages that were read and
have no text yet; a page with a text layer is left as it is.  An image becomes one page per
frame, as large as the image at its resolution (200 dpi where the file gives none, or an
implausible one), the image itself inside: a JPEG or PNG as its own bytes where the loader
did not turn it, otherwise the page as decoded, PNG for a lossless source and JPEG for a photo.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from ..document import Page
from ..errors import InputError
from ..options import LoaderOptions
from ..types import OCRPage, Polygon, TextLine
from ..types import Word as OCRWord
from .loader import PageImage, Source, open_pdf, read_source

__all__ = ["SearchablePDF", "ocr_page"]

_DEFAULT_DPI = 200.0  # an image's resolution where its file gives none (or one outside 50-1200)
_DESCENT = 0.2  # share of a box's height below the baseline (Helvetica's descender is 0.207 em)
_LOSSLESS = {"png", "tiff", "bmp", "gif"}
_SANS = "ChatocrSans"  # the resource name of the embedded Helvetica


class SearchablePDF:
    """Collects read pages (:meth:`add`, one page image in memory at a time) and writes the PDF
    (:meth:`save`).

    >>> pdf = SearchablePDF("scan.jpg")
    >>> for image in iter_pages("scan.jpg"):
    ...     pdf.add(image, engine.read_page(image))
    >>> pdf.save("scan.pdf")
    """

    def __init__(self, source: Source, options: LoaderOptions | None = None) -> None:
        import pymupdf

        self.options = options = options or LoaderOptions()
        if isinstance(source, np.ndarray):
            data, self.name, self.format = b"", "<array>", "array"
        else:
            data, self.name, self.format = read_source(source)
        self._data = data
        self._doc = open_pdf(data, self.name, options) if self.format == "pdf" else pymupdf.open()
        self._encrypted = bool(self._doc.metadata and self._doc.metadata.get("encryption"))
        self.kept: list[int] = []  # pages of a PDF left as they were: they had text already
        self._sans_on: set[int] = set()  # pages whose resources name the embedded Helvetica

    @classmethod
    def of_document(cls, source: Source, pages: Sequence[Page], options: LoaderOptions | None = None) -> SearchablePDF:
        """The searchable PDF of ``source`` from its parsed ``pages`` (a ``Document``'s), without
        reading them again; ``options``: the loader's, as the document was parsed with (an image's
        pages are loaded again to be shown).  Call :meth:`save` on it."""
        pdf = cls(source, options)
        if pdf.format == "pdf":
            for page in pages:
                pdf.add(None, page)
            return pdf
        from .loader import iter_pages

        parsed = {p.page: p for p in pages}
        for image in iter_pages(source, pdf.options):  # a page the parse left out stays, without text
            pdf.add(image, parsed.get(image.page) or Page(page=image.page, width=image.width, height=image.height,
                                                         unit=image.unit))
        return pdf

    def add(self, image: PageImage | None, page: OCRPage | Page) -> None:
        """Lay ``page``'s text over its page: the PDF's page ``page.page``, or a new page holding
        ``image`` (an image's page as the loader gave it; not used for a PDF).  ``page`` is a page
        as read (``OCRPage``) or as parsed (``Page``, see :func:`ocr_page`)."""
        if isinstance(page, Page):
            page = ocr_page(page)
        if self.format == "pdf":
            target = self._doc[page.page - 1]
            if target.get_text("text").strip():
                self.kept.append(page.page)
                return
            scale = 1.0  # the OCR core's coordinates are PDF points already
        else:
            if image is None:
                raise ValueError(f"{self.name}: a page of an image is written from its PageImage")
            target, scale = self._image_page(image)
        derotate = target.derotation_matrix
        for line in page.lines:
            parts = [(w.polygon, w.text.strip()) for w in line.words if w.text.strip()]
            for k, (quad, text) in enumerate(parts or [(line.polygon, line.text.strip())]):
                if text:
                    self._write(target, [(x * scale, y * scale) for x, y in quad], text, derotate,
                                space=k < len(parts) - 1)

    def save(self, out: str | Path) -> Path:
        """Write the PDF to ``out`` (under a temporary name, renamed when complete)."""
        import pymupdf

        out = Path(out)
        if out.is_dir():
            raise InputError(str(out), "is a folder: give the PDF's file name")
        if self._doc.page_count == 0:
            raise InputError(self.name, "no page was read: nothing to write")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        # an encrypted PDF stays encrypted, with its own passwords
        encryption = pymupdf.PDF_ENCRYPT_KEEP if self._encrypted else pymupdf.PDF_ENCRYPT_NONE
        try:
            self._doc.save(tmp, garbage=1, deflate=True, encryption=encryption)
        except Exception:
            tmp.unlink(missing_ok=True)
            raise
        tmp.replace(out)
        self._doc.close()
        return out

    # -- pages of an image --------------------------------------------------------------
    def _image_page(self, image: PageImage):
        """A new page for ``image`` and the points per output unit (pixel) on it."""
        scale = 72.0 / self._dpi
        target = self._doc.new_page(width=image.width * scale, height=image.height * scale)
        own = self._own_bytes
        target.insert_image(target.rect, stream=own if own is not None else
                            _encode(image.image, lossless=self.format in _LOSSLESS))
        return target, scale

    @cached_property
    def _dpi(self) -> float:
        """The image file's resolution (read once for all its pages)."""
        if not self._data:
            return _DEFAULT_DPI
        from PIL import Image

        try:
            with Image.open(io.BytesIO(self._data)) as im:
                dpi = im.info.get("dpi")
        except Exception:  # the loader read it; a format Pillow cannot open here has no resolution to give
            return _DEFAULT_DPI
        x = float(dpi[0]) if dpi else 0.0
        return x if 50.0 <= x <= 1200.0 else _DEFAULT_DPI

    @cached_property
    def _own_bytes(self) -> bytes | None:
        """The file's own bytes, where they are one JPEG or PNG image that the loader did not turn."""
        if self.format not in ("jpeg", "png"):
            return None
        from PIL import Image

        with Image.open(io.BytesIO(self._data)) as im:
            if im.getexif().get(0x0112, 1) != 1 or getattr(im, "n_frames", 1) != 1:
                return None
            if im.mode not in ("L", "RGB", "CMYK", "P", "RGBA", "LA", "1"):
                return None
        return self._data

    # -- text -----------------------------------------------------------------------------
    @cached_property
    def _sans(self):
        """Helvetica as a font file (MuPDF's Nimbus Sans: Latin with its accents, Greek, Cyrillic,
        typographic quotes and dashes, the euro), embedded once where a word needs more than the
        standard Helvetica's Latin-1."""
        import pymupdf

        return pymupdf.Font("helv")

    def _font(self, target, text: str) -> tuple[str, float]:
        """The font to write ``text`` in on ``target`` and the text's length at size 1.  The standard
        Helvetica (which PDF viewers supply, nothing embedded) where Latin-1 holds every character;
        else Helvetica embedded (``_sans``), with Unicode kept; else (Chinese, Japanese, Korean) the
        standard Simplified Chinese font ``china-s``, which viewers supply too."""
        import pymupdf

        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            pass
        else:
            return "helv", pymupdf.get_text_length(text, fontname="helv", fontsize=1.0)
        sans = self._sans
        if all(sans.has_glyph(ord(c)) for c in text if not c.isspace()):
            if target.number not in self._sans_on:
                target.insert_font(fontname=_SANS, fontbuffer=sans.buffer)
                self._sans_on.add(target.number)
            return _SANS, sans.text_length(text, fontsize=1.0)
        return "china-s", pymupdf.get_text_length(text, fontname="china-s", fontsize=1.0)

    def _write(self, target, quad, text: str, derotate, *, space: bool) -> None:
        """``text`` in invisible ink over ``quad`` (tl, tr, br, bl in the page's visible
        coordinates), and a space after it where ``space`` (so that the words of a line are
        extracted apart)."""
        import pymupdf

        tl, tr, br, bl = (pymupdf.Point(x, y) * derotate for x, y in quad)
        along = (tr - tl + br - bl) * 0.5
        up = (tl - bl + tr - br) * 0.5
        length, height = abs(along), abs(up)
        if length < 0.5 or height < 0.5:
            return
        fontname, unit = self._font(target, text)
        size = height * (1.0 - _DESCENT)
        natural = unit * size
        if natural <= 0:
            return
        origin = bl + up * _DESCENT  # the baseline, a descender's depth above the box's bottom
        angle = math.degrees(math.atan2(along.y, along.x))
        # stretched to the box's length, then turned with the box, about the baseline's start
        morph = (origin, pymupdf.Matrix(length / natural, 0, 0, 1, 0, 0) * pymupdf.Matrix(-angle))
        target.insert_text(origin, text + (" " if space else ""), fontsize=size, fontname=fontname, render_mode=3,
                           morph=morph)


def ocr_page(page: Page) -> OCRPage:
    """A parsed page's lines as the OCR core gives them: each line on its polygon (its box where it
    has none), each word on the stretch of that polygon its box covers along the line, so that a
    line on a page turned or askew keeps its words on their ink.  Lines from a PDF's text layer are
    left out: they are searchable already."""
    lines = []
    for line in page.lines():
        if line.source != "ocr" or not line.text.strip():
            continue
        quad = np.array(line.polygon or _rect(line.bbox), dtype=np.float64)
        words = tuple(
            OCRWord.model_construct(text=w.text, bbox=w.bbox, polygon=_stretch(quad, w.bbox)) for w in line.words
        )
        lines.append(TextLine.model_construct(text=line.text, score=line.score, bbox=line.bbox,
                                              polygon=_points(quad), words=words))
    return OCRPage.model_construct(page=page.page, width=page.width, height=page.height, unit=page.unit,
                                   orientation=page.orientation, skew=page.skew, lines=tuple(lines))


def _rect(box) -> Polygon:
    x0, y0, x1, y1 = box
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def _points(quad: np.ndarray) -> Polygon:
    return tuple((float(x), float(y)) for x, y in quad)  # type: ignore[return-value]


def _stretch(quad: np.ndarray, box) -> Polygon:
    """The part of ``quad`` (tl, tr, br, bl along its text) between where ``box``'s corners fall
    along the line."""
    tl, tr, br, bl = quad
    along = (tr - tl + br - bl) / 2
    length = float(along @ along)
    if length <= 0:
        return _points(quad)
    corners = np.array(_rect(box), dtype=np.float64)
    t = (corners - tl) @ along / length
    a, b = float(np.clip(t.min(), 0.0, 1.0)), float(np.clip(t.max(), 0.0, 1.0))
    return _points(np.array([tl + a * (tr - tl), tl + b * (tr - tl), bl + b * (br - bl), bl + a * (br - bl)]))


def _encode(image: np.ndarray, *, lossless: bool) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png" if lossless else ".jpg", image,
                           [] if lossless else [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:  # pragma: no cover - OpenCV encodes any 8-bit BGR image
        raise ValueError("could not encode the page image")
    return buf.tobytes()
