"""Turn a file, bytes or an array into page images, one page at a time.

Formats are recognised by content, never by file name.  Page images are BGR
``uint8`` arrays (OpenCV's convention, as PP-OCR models were trained).  Pages
are yielded lazily so a 500-page PDF never holds more than one page image.
"""

from __future__ import annotations

import functools
import io
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np

from ..errors import (
    DocumentTooLarge,
    EncryptedDocument,
    PageOutOfRange,
    UnreadableDocument,
    UnsupportedFormat,
)
from ..options import LoaderOptions

log = logging.getLogger(__name__)

Source = str | PathLike | bytes | np.ndarray
Format = Literal["pdf", "png", "jpeg", "tiff", "bmp", "webp", "gif", "heif", "avif", "jpeg2000", "array"]


class NamedBytes(bytes):
    """The bytes of a file that has no path of its own (standard input, an upload), with the name
    messages and documents give it: ``NamedBytes(sys.stdin.buffer.read(), "<stdin>")``.  Plain
    ``bytes`` are named ``<bytes>``."""

    name: str

    def __new__(cls, data: bytes, name: str) -> NamedBytes:
        obj = super().__new__(cls, data)
        obj.name = name
        return obj

    def __reduce__(self):  # to a worker process, name and all
        return (NamedBytes, (bytes(self), self.name))


_MAGIC: tuple[tuple[bytes, int, Format], ...] = (
    (b"%PDF-", 0, "pdf"),
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
    (b"\xff\xd8\xff", 0, "jpeg"),
    (b"II*\x00", 0, "tiff"),
    (b"MM\x00*", 0, "tiff"),
    (b"BM", 0, "bmp"),
    (b"WEBP", 8, "webp"),
    (b"GIF87a", 0, "gif"),
    (b"GIF89a", 0, "gif"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", 0, "jpeg2000"),  # a JP2 file
    (b"\xff\x4f\xff\x51", 0, "jpeg2000"),  # a bare JPEG 2000 codestream (.j2k)
)
_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF", "bmp": "BMP", "webp": "WEBP", "gif": "GIF",
                "heif": "HEIF", "avif": "AVIF", "jpeg2000": "JPEG2000"}
# ISO base media files (HEIF, AVIF) name their kind in the brands of their first box, 'ftyp'
_AVIF_BRANDS = {b"avif", b"avis"}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
FORMAT_NAMES = "PNG, JPEG, TIFF, BMP, WebP, GIF, HEIC, AVIF, JPEG 2000"


@dataclass(frozen=True, slots=True)
class PageImage:
    """One page as an image, and how its pixels map to output coordinates."""

    page: int  # 1-based
    image: np.ndarray  # H x W x 3, BGR, uint8
    width: float  # page size in output units
    height: float
    unit: Literal["px", "pt"]
    scale: float  # output units per image pixel (72/dpi for PDFs, 1 for images)


def detect_format(head: bytes) -> Format | None:
    """The format of a file from its first bytes, or None."""
    # A PDF may have junk before its header (the spec allows 1024 bytes).
    if b"%PDF-" in head[:1024]:
        return "pdf"
    for magic, offset, fmt in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            if fmt == "webp" and head[:4] != b"RIFF":
                continue
            return fmt
    return _isobmff_format(head)


def _isobmff_format(head: bytes) -> Format | None:
    """"heif" or "avif" for an ISO base media file of still images (a phone photo), else None."""
    if head[4:8] != b"ftyp":
        return None
    size = int.from_bytes(head[:4], "big")
    if not 16 <= size <= len(head):
        return None
    brands = {head[8:12]} | {head[i : i + 4] for i in range(16, size - 3, 4)}  # major, then compatible
    if brands & _AVIF_BRANDS:
        return "avif"
    if brands & _HEIF_BRANDS:
        return "heif"
    return None


def _read_bytes(source: Source) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, getattr(source, "name", "<bytes>")
    path = Path(source)  # type: ignore[arg-type]
    name = str(source)
    if not path.exists():
        raise UnreadableDocument(name, "file not found")
    if path.is_dir():
        raise UnreadableDocument(name, "is a directory, not a file")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UnreadableDocument(name, f"cannot read file ({e.strerror or e})") from e
    return data, name


def _describe(head: bytes) -> str:
    if not head:
        return "nothing"
    if head[:4] == b"PK\x03\x04":
        return "a ZIP archive"
    return repr(head[:8])


def iter_pages(source: Source, options: LoaderOptions | None = None) -> Iterator[PageImage]:
    """Yield the pages of ``source`` in order.

    ``source`` is a path, the bytes of a file, or an image array (BGR or
    grayscale, as ``cv2.imread`` gives).  Raises an ``InputError`` subclass for
    input that cannot be read; a blank page is not an error.
    """
    options = options or LoaderOptions()
    if isinstance(source, np.ndarray):
        selected_pages(1, options, f"<array {source.shape} {source.dtype}>", "array")
        yield _from_array(source, options)
        return
    data, name, fmt = read_source(source)
    if fmt == "pdf":
        yield from _pdf_pages(data, name, options)
    else:
        yield from image_pages(data, name, fmt, options)


def read_source(source: str | PathLike | bytes) -> tuple[bytes, str, Format]:
    """The bytes of ``source``, a name for messages, and its format (checked by content)."""
    data, name = _read_bytes(source)
    if not data:
        raise UnreadableDocument(name, "file is empty (0 bytes)")
    fmt = detect_format(data[:1024])
    if fmt is None:
        raise UnsupportedFormat(
            name,
            f"not a PDF or an image ({FORMAT_NAMES}): content starts with {_describe(data[:8])}",
        )
    return data, name, fmt


def page_count(source: Source, options: LoaderOptions | None = None) -> int:
    """Number of pages without rendering them; a document of more pages to read than
    ``options.max_pages`` is refused, as reading it is."""
    options = options or LoaderOptions()
    if isinstance(source, np.ndarray):
        return 1
    data, name = _read_bytes(source)
    fmt = detect_format(data[:1024]) if data else None
    if fmt == "pdf":
        with open_pdf(data, name, options) as doc:
            return doc.page_count
    if fmt is None:
        return sum(1 for _ in iter_pages(data if isinstance(source, bytes) else source, options))
    with _open_image(data, name, fmt, options) as im:
        n = getattr(im, "n_frames", 1)
    _check_frames(n, options, name)  # as opening a PDF checks its pages
    return n


# -- arrays -------------------------------------------------------------------

def _from_array(arr: np.ndarray, options: LoaderOptions) -> PageImage:
    name = f"<array {arr.shape} {arr.dtype}>"
    if arr.size == 0:
        raise UnreadableDocument(name, "image array is empty")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise UnsupportedFormat(name, "expected an H x W, H x W x 3 (BGR) or H x W x 4 (BGRA) array")
    if arr.shape[0] * arr.shape[1] > options.max_pixels:
        raise DocumentTooLarge(name, f"image has {arr.shape[0] * arr.shape[1]:,} pixels, over the limit of {options.max_pixels:,}")
    if arr.dtype != np.uint8:
        if np.issubdtype(arr.dtype, np.floating) and arr.max(initial=0) <= 1.0:
            arr = arr * 255.0
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    import cv2

    if arr.ndim == 2:
        img = cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR)
    elif arr.shape[2] == 4:
        img = _composite_on_white(arr[:, :, :3], arr[:, :, 3])
    else:
        img = np.ascontiguousarray(arr)
    h, w = img.shape[:2]
    img = _limit_side(img, options)
    return PageImage(1, img, float(w), float(h), "px", w / img.shape[1])


def _composite_on_white(bgr: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha.astype(np.float32)[:, :, None] / 255.0
    return (bgr.astype(np.float32) * a + 255.0 * (1.0 - a)).astype(np.uint8)


# -- images -------------------------------------------------------------------

_pil_limit_lock = threading.Lock()
_pil_limit_users = 0
_pil_saved_limit: int | None = None


@contextmanager
def _pillow_limit_off():
    """Turn off Pillow's own decompression-bomb limit: ``options.max_pixels`` is
    the limit, checked on the header before any pixel is decoded.  Pillow's
    global is shared, so nested and concurrent users are counted and the first
    value is restored when the last one leaves."""
    global _pil_limit_users, _pil_saved_limit
    from PIL import Image

    with _pil_limit_lock:
        if _pil_limit_users == 0:
            _pil_saved_limit = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
        _pil_limit_users += 1
    try:
        yield
    finally:
        with _pil_limit_lock:
            _pil_limit_users -= 1
            if _pil_limit_users == 0:
                Image.MAX_IMAGE_PIXELS = _pil_saved_limit


@functools.cache
def _heif_opener() -> bool:
    """Register pi-heif's HEIF decoder with Pillow, once; False when pi-heif is not installed."""
    try:
        import pi_heif
    except ImportError:
        return False
    pi_heif.register_heif_opener()
    return True


def _decoder_for(fmt: str, name: str) -> None:
    """Make sure Pillow can decode ``fmt``: HEIF through pi-heif (registered on first use), AVIF and
    JPEG 2000 through Pillow's own plugins, which some builds of Pillow lack."""
    from PIL import features

    if fmt == "heif":
        if not _heif_opener():
            raise UnsupportedFormat(name, "HEIC/HEIF images need pi-heif (pip install pi-heif)")
    elif fmt == "avif" and not features.check("avif"):
        raise UnsupportedFormat(name, "AVIF images need a Pillow built with libavif (Pillow 11.3 or later)")
    elif fmt == "jpeg2000" and not features.check("jpg_2000"):
        raise UnsupportedFormat(name, "JPEG 2000 images need a Pillow built with OpenJPEG")


def _open_image(data: bytes, name: str, fmt: str, options: LoaderOptions):
    from PIL import Image, UnidentifiedImageError

    _decoder_for(fmt, name)
    try:
        # Image.open reads the header only; the size is checked just below.
        with _pillow_limit_off():
            im = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[fmt]])
    except UnidentifiedImageError as e:
        # Pillow's message names its BytesIO object; say what it means instead.
        raise UnreadableDocument(name, f"corrupt or truncated {fmt.upper()} image (cannot read its header)") from e
    except (OSError, SyntaxError, ValueError) as e:
        raise UnreadableDocument(name, f"corrupt or truncated {fmt.upper()} image ({str(e).strip()})") from e
    w, h = im.size
    if w * h > options.max_pixels:
        im.close()
        raise DocumentTooLarge(
            name, f"image is {w}x{h} = {w * h:,} pixels, over the limit of {options.max_pixels:,}"
        )
    return im


def image_pages(data: bytes, name: str, fmt: str, options: LoaderOptions) -> Iterator[PageImage]:
    from PIL import ImageOps

    # Our own pixel limit is checked on every frame; Pillow's is off (TIFF and
    # GIF check it again on seek and load) so that it does not refuse what the
    # options allow.
    im = _open_image(data, name, fmt, options)
    with im:
        n = getattr(im, "n_frames", 1)
        _check_frames(n, options, name)
        for i in selected_pages(n, options, name, fmt):
            try:
                with _pillow_limit_off():
                    im.seek(i)
                    w, h = im.size
                    if w * h > options.max_pixels:
                        raise DocumentTooLarge(
                            name, f"page {i + 1} is {w}x{h} = {w * h:,} pixels, over the limit of {options.max_pixels:,}"
                        )
                    drafted = False
                    k = _reduction(w, h, options)
                    if n == 1 and fmt == "jpeg" and k < 1.0:
                        # JPEG can decode straight to 1/2, 1/4, 1/8 scale: draft
                        # picks the smallest that is still at least the size asked.
                        im.draft(im.mode, (int(w * k) + 1, int(h * k) + 1))
                        drafted = im.size != (w, h)
                    frame = ImageOps.exif_transpose(im)
                    frame.load()
                    full = _oriented_size(im, w, h)
                arr = _pil_to_bgr(frame)
                if frame is not im:
                    frame.close()
                if not drafted:
                    arr = _limit_side(arr, options)
            except DocumentTooLarge:
                raise  # an InputError, hence a ValueError: not "corrupt"
            except (OSError, SyntaxError, ValueError, EOFError) as e:
                raise UnreadableDocument(name, f"corrupt or truncated {fmt.upper()} image, page {i + 1} ({str(e).strip()})") from e
            fw, fh = full
            yield PageImage(i + 1, arr, float(fw), float(fh), "px", fw / arr.shape[1])


def _oriented_size(im, w: int, h: int) -> tuple[int, int]:
    """Full-resolution ``w`` x ``h`` after the image's EXIF orientation is applied."""
    orientation = im.getexif().get(0x0112, 1)
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _reduction(w: int, h: int, options: LoaderOptions) -> float:
    """The scale an image of ``w`` x ``h`` pixels is read at (1.0: full size): its long side brought
    down to ``options.max_side``, but its short side kept at ``options.min_side`` at least, so that
    a long narrow receipt is not shrunk to a sliver of unreadable print."""
    if not options.max_side or max(w, h) <= options.max_side:
        return 1.0
    k = options.max_side / max(w, h)
    if options.min_side:
        k = max(k, options.min_side / min(w, h))
    return min(1.0, k)


def _limit_side(arr: np.ndarray, options: LoaderOptions) -> np.ndarray:
    import cv2

    h, w = arr.shape[:2]
    k = _reduction(w, h, options)
    if k >= 1.0:
        return arr
    return cv2.resize(arr, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA)


def _pil_to_bgr(im) -> np.ndarray:
    import cv2

    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = np.asarray(im.convert("RGBA"))
        rgb = _composite_on_white(rgba[:, :, :3], rgba[:, :, 3])
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float32)
        hi = float(arr.max()) or 1.0
        gray = (arr * (255.0 / hi)).astype(np.uint8) if hi > 255 else arr.astype(np.uint8)
        return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    if im.mode in ("L", "1"):
        return cv2.cvtColor(np.asarray(im.convert("L")), cv2.COLOR_GRAY2BGR)
    rgb = im if im.mode == "RGB" else im.convert("RGB")
    return cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR)


# -- PDFs ---------------------------------------------------------------------

def open_pdf(data: bytes, name: str, options: LoaderOptions):
    import pymupdf

    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as e:  # PyMuPDF raises FileDataError and plain RuntimeErrors
        raise UnreadableDocument(name, f"corrupt or truncated PDF ({e})") from e
    if doc.needs_pass:
        if options.password is None:
            doc.close()
            raise EncryptedDocument(name, "PDF is encrypted: give its password (password= or --password)")
        if not doc.authenticate(options.password):
            doc.close()
            raise EncryptedDocument(name, "PDF is encrypted and the password given is wrong")
    if doc.page_count == 0:
        doc.close()
        raise UnreadableDocument(name, "PDF has no pages")
    if _pages_read(doc.page_count, options) > options.max_pages:
        n = _pages_read(doc.page_count, options)
        what = f"{n} pages asked for" if options.pages else f"PDF has {n} pages"
        doc.close()
        raise DocumentTooLarge(name, f"{what}, over the limit of {options.max_pages}")
    return doc


def _pdf_pages(data: bytes, name: str, options: LoaderOptions) -> Iterator[PageImage]:
    with open_pdf(data, name, options) as doc:
        for i in selected_pages(doc.page_count, options, name):
            yield render_pdf_page(doc, i, name, options)


def _check_frames(count: int, options: LoaderOptions, name: str) -> None:
    """An image file of ``count`` frames, of which ``options`` would read more than ``max_pages``, is refused."""
    if _pages_read(count, options) > options.max_pages:
        raise DocumentTooLarge(name, f"{_pages_read(count, options)} pages, over the limit of {options.max_pages}")


def _pages_read(count: int, options: LoaderOptions) -> int:
    """How many pages of a ``count``-page document ``options`` reads (what ``max_pages`` limits)."""
    return count if options.pages is None else min(count, len(options.pages))


def selected_pages(count: int, options: LoaderOptions, name: object, fmt: str = "pdf") -> list[int]:
    """The 0-based indices of the pages ``options.pages`` asks for (every page when None), checked
    against the document's ``count`` (of a ``fmt`` file) before any is read."""
    if options.pages is None:
        return list(range(count))
    missing = [p for p in options.pages if p > count]
    if missing:
        kind = "PDF" if fmt == "pdf" else "image" if fmt == "array" else f"{fmt.upper()} image"
        has = f"{count} page" + ("s" if count != 1 else "")
        asked = ", ".join(map(str, missing[:3])) + (", ..." if len(missing) > 3 else "")
        raise PageOutOfRange(name, f"page {asked} asked for, but the {kind} has {has}")
    return [p - 1 for p in options.pages]


def render_pdf_page(doc, index: int, name: str, options: LoaderOptions, clip=None) -> PageImage:
    """Render page ``index`` (0-based) of an open PyMuPDF document at ``options.dpi``.

    ``clip`` (a PDF-point rectangle) renders only that part; the returned
    ``scale`` still maps image pixels to PDF points, offset by the clip's origin
    being the caller's business.
    """
    import pymupdf

    try:
        page = doc.load_page(index)
        rect = page.rect
        area = pymupdf.Rect(clip) if clip is not None else rect
        zoom = options.dpi / 72.0
        pixels = area.width * zoom * area.height * zoom
        if pixels > options.max_pixels:
            # A huge page is rendered at the DPI that fits the limit.
            zoom = (options.max_pixels / (area.width * area.height)) ** 0.5
            log.warning("%s: page %d rendered at %.0f dpi to stay under max_pixels", name, index + 1, zoom * 72)
        pix = page.get_pixmap(
            matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csRGB, alpha=False, clip=clip
        )
    except Exception as e:
        raise UnreadableDocument(name, f"cannot render PDF page {index + 1} ({e})") from e
    rgb = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)
    bgr = np.ascontiguousarray(rgb[:, :, 2::-1])
    # Output units are PDF points, whatever the render DPI.
    return PageImage(index + 1, bgr, float(rect.width), float(rect.height), "pt", area.width / max(pix.width, 1))
