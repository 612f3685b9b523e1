"""Test helpers: synthetic documents and the bad inputs every layer must refuse.

Imported by ``conftest.py`` (fixtures) and by tests that parametrize over
``BAD_INPUTS``.  Every input is generated (Pillow, PyMuPDF, numpy, zlib);
nothing is downloaded.  Text is rendered with a TrueType font found on the
machine (DejaVu Sans, Liberation Sans, Arial), else the FreeType font Pillow
embeds (``ImageFont.load_default(size)``, Pillow >= 10.1).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[1]
SROIE_DIR = REPO.parent / "shared" / "data" / "sroie-dev"
DATA_DIR = REPO / "tests" / "data"  # the few inputs no library here can write (HEIC; see make_heic.py)

_FONT_NAMES = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf")
_FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
    Path("/System/Library/Fonts"),
    Path("C:/Windows/Fonts"),
    Path.home() / ".fonts",
)


@lru_cache(maxsize=1)
def _font_path() -> str | None:
    for name in _FONT_NAMES:
        try:  # Pillow finds a bare name in the platform's font folders on its own
            ImageFont.truetype(name, 12)
            return name
        except OSError:
            pass
        for root in _FONT_DIRS:
            if root.is_dir():
                hit = next(root.rglob(name), None)
                if hit is not None:
                    return str(hit)
    return None


@lru_cache(maxsize=16)
def get_font(size: int) -> ImageFont.FreeTypeFont:
    """A scalable sans-serif font of ``size`` pixels."""
    path = _font_path()
    if path is not None:
        return ImageFont.truetype(path, size)
    font = ImageFont.load_default(size)  # Pillow >= 10.1 with FreeType: an embedded TTF
    if not isinstance(font, ImageFont.FreeTypeFont):
        pytest.skip("no TrueType font on this machine and Pillow has no FreeType support")
    return font


def to_bgr(im: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(im.convert("RGB"))[:, :, ::-1])


def render_line(text: str, size: int = 32, pad: int = 8) -> np.ndarray:
    """One line of black text on white, cropped to the text plus ``pad`` pixels (BGR)."""
    font = get_font(size)
    x0, y0, x1, y1 = font.getbbox(text)
    im = Image.new("RGB", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), "white")
    ImageDraw.Draw(im).text((pad - x0, pad - y0), text, font=font, fill="black")
    return to_bgr(im)


def render_page(
    items: Sequence[tuple[float, float, str]], size: tuple[int, int] = (900, 600), font_size: int = 28
) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Texts drawn at (x, y) on a white ``size`` (w, h) page: the BGR image and each text's ink box."""
    font = get_font(font_size)
    im = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(im)
    boxes = []
    for x, y, text in items:
        draw.text((x, y), text, font=font, fill="black")
        boxes.append(tuple(int(v) for v in draw.textbbox((x, y), text, font=font)))
    return to_bgr(im), boxes


def encode(image: np.ndarray | Image.Image, fmt: str = "PNG", **save_args) -> bytes:
    """An image (BGR array or PIL image) as the bytes of a ``fmt`` file."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(np.ascontiguousarray(image[:, :, ::-1]) if image.ndim == 3 else image)
    buf = io.BytesIO()
    image.save(buf, fmt, **save_args)
    return buf.getvalue()


def make_pdf(
    pages: Sequence[Sequence[tuple[float, float, str]]] = ((),),
    size: tuple[float, float] = (400, 300),
    fontsize: float = 18,
    fontname: str = "helv",
    **save_args,
) -> bytes:
    """A PDF whose pages hold texts at (x, baseline y) in points, in one of PyMuPDF's built-in fonts
    (Helvetica; ``"china-s"`` for Chinese)."""
    import pymupdf

    doc = pymupdf.open()
    for items in pages:
        page = doc.new_page(width=size[0], height=size[1])
        for x, y, text in items:
            page.insert_text((x, y), text, fontsize=fontsize, fontname=fontname)
    data = doc.tobytes(**save_args)
    doc.close()
    return data


class Render:
    """The rendering helpers, handed to tests by the ``render`` fixture."""

    font = staticmethod(get_font)
    line = staticmethod(render_line)
    page = staticmethod(render_page)
    encode = staticmethod(encode)
    pdf = staticmethod(make_pdf)
    to_bgr = staticmethod(to_bgr)


# -- bad inputs ----------------------------------------------------------------------


def png_bomb(width: int = 40_000, height: int = 40_000) -> bytes:
    """A valid 1-bit PNG of ``width`` x ``height`` white pixels, a few hundred KB
    on disk (a decompression bomb), written without ever holding the image."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter byte 0, then the packed bits
    rows_per_block = 1000
    block = row * rows_per_block
    z = zlib.compressobj(9)
    # After a full flush the compressor starts afresh, so every identical block
    # compresses to the same bytes: compress one and repeat it.
    header_and_first = z.compress(block) + z.flush(zlib.Z_FULL_FLUSH)
    n_blocks = height // rows_per_block
    body = header_and_first + header_and_first[2:] * (n_blocks - 1)
    tail = row * (height % rows_per_block)
    checksum = 1
    for _ in range(n_blocks):
        checksum = zlib.adler32(block, checksum)
    checksum = zlib.adler32(tail, checksum)
    # the rest as a raw deflate stream, then the zlib trailer of the whole data
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    body += raw.compress(tail) + raw.flush() + struct.pack(">I", checksum)
    idat = [body]
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(idat)) + chunk(b"IEND", b"")


def zero_page_pdf() -> bytes:
    """A well-formed PDF whose page tree is empty (PyMuPDF refuses to save one)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for num, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (num, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def zip_bytes() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


ENCRYPTED_PASSWORD = "s3cret"


def encrypted_pdf() -> bytes:
    import pymupdf

    return make_pdf(
        [[(20, 60, "Confidential")]],
        size=(200, 180),
        encryption=pymupdf.PDF_ENCRYPT_AES_256,
        user_pw=ENCRYPTED_PASSWORD,
        owner_pw="owner-" + ENCRYPTED_PASSWORD,
    )


def _small_png() -> bytes:
    page, _ = render_page([(10, 10, "Hello 123")], size=(200, 60), font_size=20)
    return encode(page, "PNG")


def _small_jpeg() -> bytes:
    page, _ = render_page([(10, 10, "Hello 123")], size=(200, 60), font_size=20)
    return encode(page, "JPEG", quality=90)


def _heic() -> bytes:
    return (DATA_DIR / "slip.heic").read_bytes()


def _small_avif() -> bytes:
    page, _ = render_page([(10, 10, "Hello 123")], size=(200, 60), font_size=20)
    return encode(page, "AVIF", quality=80)


def _small_jp2() -> bytes:
    page, _ = render_page([(10, 10, "Hello 123")], size=(200, 60), font_size=20)
    return encode(page, "JPEG2000")


def _corrupt_png() -> bytes:
    data = bytearray(_small_png())
    start = data.index(b"IDAT") + 4
    data[start + 2 : start + 40] = bytes(range(38))  # garbage inside the zlib stream
    return bytes(data)


# case id -> (file name, content or None for "does not exist", expected exception name)
BAD_INPUTS: dict[str, tuple[str, Callable[[], bytes] | None, str]] = {
    "missing": ("no-such-file.png", None, "UnreadableDocument"),
    "directory": ("a-folder", None, "UnreadableDocument"),
    "empty": ("empty.png", lambda: b"", "UnreadableDocument"),
    "png-truncated": ("cut.png", lambda: _small_png()[: len(_small_png()) // 2], "UnreadableDocument"),
    "png-header-only": ("header.png", lambda: _small_png()[:40], "UnreadableDocument"),
    "png-corrupt": ("damaged.png", _corrupt_png, "UnreadableDocument"),
    "jpeg-truncated": ("cut.jpg", lambda: _small_jpeg()[: len(_small_jpeg()) // 2], "UnreadableDocument"),
    "jpeg-header-only": ("header.jpg", lambda: _small_jpeg()[:20], "UnreadableDocument"),
    "heic-truncated": ("cut.heic", lambda: _heic()[: len(_heic()) // 2], "UnreadableDocument"),
    "heic-header-only": ("header.heic", lambda: _heic()[:40], "UnreadableDocument"),
    "avif-truncated": ("cut.avif", lambda: _small_avif()[: len(_small_avif()) // 2], "UnreadableDocument"),
    "jp2-truncated": ("cut.jp2", lambda: _small_jp2()[: len(_small_jp2()) // 2], "UnreadableDocument"),
    "text-file": ("notes.txt", lambda: b"Dear reader,\nthis is plain text.\n", "UnsupportedFormat"),
    "zip-as-pdf": ("report.pdf", zip_bytes, "UnsupportedFormat"),
    "pdf-truncated": ("cut.pdf", lambda: make_pdf([[(40, 80, "Hi")]])[:200], "UnreadableDocument"),
    "pdf-encrypted": ("locked.pdf", encrypted_pdf, "EncryptedDocument"),
    "pdf-zero-pages": ("nopages.pdf", zero_page_pdf, "UnreadableDocument"),
    "png-bomb": ("bomb.png", png_bomb, "DocumentTooLarge"),
}
