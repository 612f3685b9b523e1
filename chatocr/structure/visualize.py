"""Draw a parsed page: coloured region boxes, region types and reading-order numbers."""

from __future__ import annotations

from PIL import Image, ImageDraw

from ..document import Page
from ..ocr.visualize import label_font

__all__ = ["draw_page", "COLORS"]

COLORS: dict[str, tuple[int, int, int]] = {
    "title": (214, 39, 40),
    "text": (31, 119, 180),
    "list": (23, 190, 207),
    "table": (44, 160, 44),
    "table_caption": (152, 223, 138),
    "figure": (148, 103, 189),
    "figure_caption": (197, 176, 213),
    "header": (127, 127, 127),
    "footer": (127, 127, 127),
    "reference": (140, 86, 75),
    "equation": (255, 127, 14),
}


def draw_page(page: Page, image: Image.Image) -> Image.Image:
    """``image`` (the page as stored, any resolution) with ``page``'s regions drawn on it."""
    img = image.convert("RGB")
    sx, sy = img.width / page.width, img.height / page.height
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(overlay)
    size = max(12, int(min(img.size) / 60))
    font = label_font(size)
    for k, b in enumerate(page.blocks):
        color = COLORS.get(b.type, (0, 0, 0))
        x0, y0, x1, y1 = b.bbox[0] * sx, b.bbox[1] * sy, b.bbox[2] * sx, b.bbox[3] * sy
        d.rectangle((x0, y0, x1, y1), fill=(*color, 40), outline=(*color, 255), width=max(2, size // 6))
        if b.table is not None:
            for c in b.table.cells:
                if c.bbox:
                    d.rectangle((c.bbox[0] * sx, c.bbox[1] * sy, c.bbox[2] * sx, c.bbox[3] * sy),
                                outline=(*color, 160), width=1)
        label = f"{k + 1} {b.type}"
        tw = d.textlength(label, font=font)
        ly = max(0, y0 - size - 4)
        d.rectangle((x0, ly, x0 + tw + 6, ly + size + 4), fill=(*color, 230))
        d.text((x0 + 3, ly + 1), label, fill=(255, 255, 255, 255), font=font)
    return Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")
