"""The text layer of a born-digital PDF page: lines with boxes and fonts.

Reading the text layer is a hundred times faster than OCR and exact, when it is
sound.  It is not sound when fonts lack a Unicode mapping (PyMuPDF then returns
U+FFFD or private-use code points), when the producer wrote control characters,
or when an invisible OCR layer is garbage.  ``TextLayer.reliable`` says whether
to trust it; the parser falls back to OCR when it is not.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

BBox = tuple[float, float, float, float]

__all__ = ["CJK_WORD_CHARS", "TextLayerLine", "TextLayer", "read_text_layer", "text_quality"]

# PyMuPDF flags: keep ligatures and whitespace as written, drop nothing; no images.
_FLAGS = 0


@dataclass(frozen=True, slots=True)
class TextLayerLine:
    text: str
    bbox: BBox  # PDF points, top-left origin
    size: float  # font size (points) of the line's largest span
    bold: bool
    block: int  # PyMuPDF block number (a paragraph-like group)
    horizontal: bool = True
    words: tuple[tuple[str, BBox], ...] = ()  # the line's words (text between spaces) and their boxes


@dataclass(frozen=True, slots=True)
class TextLayer:
    lines: list[TextLayerLine]
    images: list[BBox]  # where images sit on the page (PDF points)
    quality: float  # share of sound characters, 1.0 for an empty layer
    chars: int  # non-space characters read
    reason: str = ""  # why the layer is not reliable, if it is not
    body_size: float = 0.0  # the most common font size, weighted by characters
    extra: dict = field(default_factory=dict)

    @property
    def reliable(self) -> bool:
        return not self.reason


def _bad_char(ch: str) -> bool:
    if ch == "\ufffd":
        return True
    cat = unicodedata.category(ch)
    return cat in ("Co", "Cn", "Cs") or (cat == "Cc" and ch not in "\t\n\r")


def text_quality(text: str) -> tuple[float, int]:
    """(share of sound characters, number of non-space characters) of ``text``."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 1.0, 0
    bad = sum(1 for c in chars if _bad_char(c))
    return 1.0 - bad / len(chars), len(chars)


def _alnum_share(lines: list[TextLayerLine]) -> float:
    """Share of letters and digits among the non-space characters (text is mostly alphanumeric)."""
    chars = [c for ln in lines for c in ln.text if not c.isspace()]
    return sum(1 for c in chars if c.isalnum()) / max(1, len(chars))


def _word_shape_quality(lines: list[TextLayerLine]) -> float:
    """Share of Latin words that look like words (have a vowel, or are short / numbers / all caps).

    A font whose glyphs map to wrong letters gives Unicode that is all sound
    characters but unpronounceable words; this catches most of those.
    """
    words = [w for ln in lines for w in ln.text.split() if w.isascii() and w.isalpha() and len(w) >= 4]
    if len(words) < 20:
        return 1.0
    ok = sum(1 for w in words if any(c in "aeiouyAEIOUY" for c in w))
    return ok / len(words)


# Chinese and Japanese script and CJK punctuation, written without spaces: a word per character, here
# and in OCR's words (``chatocr.ocr.columns.word_quads``), so that a value inside a run has its own box
CJK_WORD_CHARS = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe6f\uff00-\uffef\U00020000-\U0003ffff"
_CJK = re.compile(f"[{CJK_WORD_CHARS}]")


def _cjk_words(page, lines: set[tuple[int, int]]) -> dict[tuple[int, int], list[tuple[str, BBox]]]:
    """The words of ``lines`` (block, line) from their characters' boxes: runs of characters between
    spaces, with each CJK character a word of its own."""
    out: dict[tuple[int, int], list[tuple[str, BBox]]] = {}
    raw = page.get_text("rawdict", flags=_FLAGS, sort=False)
    for bno, block in enumerate(raw.get("blocks", ())):
        for lno, line in enumerate(block.get("lines", ())):
            if (bno, lno) not in lines:
                continue
            found: list[tuple[str, BBox]] = []
            run: list[tuple[str, BBox]] = []
            for ch in (c for sp in line.get("spans", ()) for c in sp.get("chars", ())):
                c, box = ch["c"], tuple(float(v) for v in ch["bbox"])
                if c.isspace() or _CJK.match(c):
                    if run:
                        found.append(_joined(run))
                        run = []
                    if not c.isspace():
                        found.append((c, box))
                else:
                    run.append((c, box))
            if run:
                found.append(_joined(run))
            out[(bno, lno)] = found
    return out


def _joined(chars: list[tuple[str, BBox]]) -> tuple[str, BBox]:
    boxes = [b for _, b in chars]
    return "".join(c for c, _ in chars), (boxes[0][0], min(b[1] for b in boxes), boxes[-1][2], max(b[3] for b in boxes))


def read_text_layer(
    page, *, min_quality: float = 0.97, min_word_quality: float = 0.6, min_alnum: float = 0.4
) -> TextLayer:
    """Lines of a PyMuPDF page's text layer, and whether the layer can be trusted."""
    d = page.get_text("dict", flags=_FLAGS, sort=False)
    # the same extraction cut at spaces: (x0, y0, x1, y1, text, block, line, word) in the dict's numbering
    words: dict[tuple[int, int], list[tuple[str, BBox]]] = {}
    for w in page.get_text("words", flags=_FLAGS, sort=False):
        words.setdefault((w[5], w[6]), []).append((w[4], (float(w[0]), float(w[1]), float(w[2]), float(w[3]))))
    cjk = {k for k, ws in words.items() if any(_CJK.search(w[0]) for w in ws)}
    if cjk:
        words.update(_cjk_words(page, cjk))
    lines: list[TextLayerLine] = []
    sizes: dict[float, int] = {}
    for bno, block in enumerate(d.get("blocks", ())):
        if block.get("type", 0) != 0:
            continue
        for lno, line in enumerate(block.get("lines", ())):
            spans = [s for s in line.get("spans", ()) if s.get("text", "").strip()]
            if not spans:
                continue
            text = "".join(s["text"] for s in line["spans"]).strip()
            if not text:
                continue
            x0 = min(s["bbox"][0] for s in spans)
            y0 = min(s["bbox"][1] for s in spans)
            x1 = max(s["bbox"][2] for s in spans)
            y1 = max(s["bbox"][3] for s in spans)
            size = max(float(s.get("size", 0.0)) for s in spans)
            bold = all((s.get("flags", 0) & 16) or "bold" in s.get("font", "").lower() for s in spans)
            dx, dy = line.get("dir", (1.0, 0.0))
            mine = tuple(words.get((bno, lno), ()))
            lines.append(TextLayerLine(text, (x0, y0, x1, y1), size, bool(bold), bno, abs(dx) >= abs(dy), mine))
            n = sum(len(s["text"].strip()) for s in spans)
            key = round(size, 1)
            sizes[key] = sizes.get(key, 0) + n
    images = []
    try:
        for info in page.get_image_info():
            x0, y0, x1, y1 = info["bbox"]
            if x1 > x0 and y1 > y0:
                images.append((float(x0), float(y0), float(x1), float(y1)))
    except Exception:  # a broken image dictionary must not stop the text layer
        pass
    quality, chars = text_quality("".join(ln.text for ln in lines))
    reason = ""
    if chars and quality < min_quality:
        reason = f"{100 * (1 - quality):.0f}% of its characters have no Unicode mapping"
    elif chars >= 20 and _alnum_share(lines) < min_alnum:
        reason = "its characters are mostly symbols (fonts without a usable Unicode mapping)"
    elif chars and _word_shape_quality(lines) < min_word_quality:
        reason = "its words are not words (fonts map glyphs to the wrong characters)"
    body = max(sizes, key=sizes.get) if sizes else 0.0
    return TextLayer(lines, images, quality, chars, reason, body)
