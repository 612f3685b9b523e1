"""Draw what the OCR read: each line's polygon, coloured by confidence, with its reading-order number."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from ..types import OCRPage

__all__ = ["draw_lines", "label_font", "CONFIDENCE_COLORS"]

# (lowest score, colour): green for confident lines, orange for doubtful, red for poor
CONFIDENCE_COLORS: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (0.9, (44, 160, 44)),
    (0.7, (255, 127, 14)),
    (0.0, (214, 39, 40)),
)
_WORD_COLOR = (31, 119, 180)


def label_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's own font at ``size`` pixels for labels on a drawn page (fixed size before Pillow 10.1)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _color(score: float) -> tuple[int, int, int]:
    return next(c for low, c in CONFIDENCE_COLORS if score >= low)


def draw_lines(page: OCRPage, image: Image.Image, *, words: bool = False) -> Image.Image:
    """``image`` (the page at any resolution) with ``page``'s lines drawn on it: polygon outlines
    coloured by confidence (``CONFIDENCE_COLORS``) and numbered in reading order; with ``words``,
    each word's box too."""
    img = image.convert("RGB")
    sx, sy = img.width / page.width, img.height / page.height
    d = ImageDraw.Draw(img)
    size = max(10, int(min(img.size) / 80))
    font = label_font(size)
    width = max(2, size // 6)
    for k, ln in enumerate(page.lines, 1):
        color = _color(ln.score)
        if words:  # under the line's outline
            for w in ln.words:
                d.polygon([(x * sx, y * sy) for x, y in w.polygon], outline=_WORD_COLOR, width=1)
        d.polygon([(x * sx, y * sy) for x, y in ln.polygon], outline=color, width=width)
        x0, y0 = ln.bbox[0] * sx, ln.bbox[1] * sy
        label = str(k)
        box = d.textbbox((0, 0), label, font=font)
        tw, th = box[2] - box[0], box[3] - box[1]
        lx, ly = max(0.0, x0 - tw - 4), max(0.0, y0)
        d.rectangle((lx, ly, lx + tw + 3, ly + th + 3), fill=color)
        d.text((lx + 1, ly + 1 - box[1]), label, fill=(255, 255, 255), font=font)
    return img
