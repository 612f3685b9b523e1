"""The parsed document: one typed, serialisable model for every layer above OCR.

``Document`` → ``Page`` → ``Block`` (typed region, reading order, lines, and a
``Table`` or key–value pairs where it has them).  Every piece of text keeps the
box it came from, so an answer drawn from it can point back to page and box.

Coordinates follow the OCR core: origin top-left of the page *as stored in the
file*, pixels for images, PDF points for PDFs.  A page that was read rotated
(``Page.orientation``) still reports boxes on the page as the file shows it, so
a highlight drawn on the original lands on the text.
"""

from __future__ import annotations

import html as _html
import json
import re
from collections.abc import Callable, Iterator
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .geometry import union
from .types import BBox, Polygon, Unit

__all__ = [
    "SCHEMA_VERSION",
    "BlockType",
    "Word",
    "Line",
    "Cell",
    "Table",
    "KeyValue",
    "Block",
    "Page",
    "Document",
]

SCHEMA_VERSION = "1.3"

BlockType = Literal[
    "title",
    "text",
    "list",
    "table",
    "table_caption",
    "figure",
    "figure_caption",
    "header",
    "footer",
    "reference",
    "equation",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Word(_Frozen):
    """A word of a line (its text between spaces; one character of Chinese or Japanese script) and its box."""

    text: str
    bbox: BBox


class Line(_Frozen):
    """A line of text and where it is."""

    text: str
    bbox: BBox
    polygon: Polygon | None = Field(None, description="Corners clockwise from top-left, when not axis-aligned")
    score: Annotated[float, Field(ge=0.0, le=1.0, description="Recognition confidence (1 for a text layer)")] = 1.0
    source: Literal["ocr", "text_layer"] = "ocr"
    words: tuple[Word, ...] = Field(
        (), description="The line's words with their boxes, in the order of its text (empty when not known)"
    )

    def span_box(self, start: int, end: int) -> BBox:
        """The box of ``text[start:end]``: the words it covers, a word it cuts narrowed by character
        count; without words (or words that do not follow the text), the line's box cut by
        character count along the line.  The whole text (or an empty span) gives the line's box."""
        text = self.text
        start, end = max(0, start), min(len(text), end)
        if end <= start or not (text[:start].strip() or text[end:].strip()):
            return self.bbox
        way = _direction(self)
        placed = _word_offsets(text, self.words)
        if placed is None:
            return _cut(self.bbox, start / len(text), end / len(text), way)
        boxes = []
        for (a, b), w in zip(placed, self.words, strict=True):
            lo, hi = max(a, start), min(b, end)
            if lo < hi:
                boxes.append(w.bbox if (lo, hi) == (a, b) else _cut(w.bbox, (lo - a) / (b - a), (hi - a) / (b - a), way))
        return union(boxes) if boxes else self.bbox


def _word_offsets(text: str, words: tuple[Word, ...]) -> list[tuple[int, int]] | None:
    """Where each word sits in ``text`` (in order), or None without words or when one is not found."""
    if not words:
        return None
    out, at = [], 0
    for w in words:
        i = text.find(w.text, at) if w.text else -1
        if i < 0:
            return None
        out.append((i, i + len(w.text)))
        at = i + len(w.text)
    return out


def _direction(line: Line) -> tuple[bool, bool]:
    """How the line's text runs: (top to bottom, backwards), from its first and last words (a
    line on a page stored upside down runs right to left); from its box's shape without them."""
    if len(line.words) >= 2:
        a, b = line.words[0].bbox, line.words[-1].bbox
        dx, dy = (b[0] + b[2]) - (a[0] + a[2]), (b[1] + b[3]) - (a[1] + a[3])
        return (True, dy < 0) if abs(dy) > abs(dx) else (False, dx < 0)
    x0, y0, x1, y1 = line.bbox
    return (y1 - y0) > 1.5 * (x1 - x0) and len(line.text.strip()) > 1, False


def _cut(box: BBox, lo: float, hi: float, way: tuple[bool, bool]) -> BBox:
    """The part ``lo``..``hi`` (fractions along the text) of ``box``, along x, or y for a line
    running down; measured from the far side for a line running backwards."""
    down, backwards = way
    if backwards:
        lo, hi = 1.0 - hi, 1.0 - lo
    x0, y0, x1, y1 = box
    if down:
        return (x0, y0 + (y1 - y0) * lo, x1, y0 + (y1 - y0) * hi)
    return (x0 + (x1 - x0) * lo, y0, x0 + (x1 - x0) * hi, y1)


class Cell(_Frozen):
    """One table cell; ``row``/``col`` are 0-based grid positions of its top-left."""

    row: Annotated[int, Field(ge=0)]
    col: Annotated[int, Field(ge=0)]
    rowspan: Annotated[int, Field(ge=1)] = 1
    colspan: Annotated[int, Field(ge=1)] = 1
    bbox: BBox | None = None
    text: str = ""
    header: bool = Field(False, description="Part of the table's header rows")


class Table(_Frozen):
    """A table as a grid of cells (spans allowed)."""

    n_rows: Annotated[int, Field(ge=0)]
    n_cols: Annotated[int, Field(ge=0)]
    cells: tuple[Cell, ...] = ()
    method: Literal["model", "ruled", "aligned", "text_layer"] = Field(
        "model", description="How the structure was found"
    )
    score: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0

    @property
    def has_spans(self) -> bool:
        return any(c.rowspan > 1 or c.colspan > 1 for c in self.cells)

    @property
    def header_rows(self) -> int:
        rows = [c.row + c.rowspan for c in self.cells if c.header]
        return max(rows, default=0)

    def grid(self) -> list[list[str]]:
        """Text per grid position; a spanning cell's text sits at its top-left, covered positions are ''."""
        g = [["" for _ in range(self.n_cols)] for _ in range(self.n_rows)]
        for c in self.cells:
            if c.row < self.n_rows and c.col < self.n_cols:
                g[c.row][c.col] = c.text
        return g

    def cell_at(self, row: int, col: int) -> Cell | None:
        """The cell covering grid position (row, col)."""
        for c in self.cells:
            if c.row <= row < c.row + c.rowspan and c.col <= col < c.col + c.colspan:
                return c
        return None

    def to_html(self) -> str:
        rows: dict[int, list[Cell]] = {}
        for c in sorted(self.cells, key=lambda c: (c.row, c.col)):
            rows.setdefault(c.row, []).append(c)
        out = ["<table>"]
        for r in range(self.n_rows):
            out.append("<tr>")
            for c in rows.get(r, []):
                tag = "th" if c.header else "td"
                span = (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + (
                    f' colspan="{c.colspan}"' if c.colspan > 1 else ""
                )
                out.append(f"<{tag}{span}>{_html.escape(c.text)}</{tag}>")
            out.append("</tr>")
        out.append("</table>")
        return "".join(out)

    def to_markdown(self) -> str:
        """A Markdown table, or HTML when cells span (Markdown cannot say that)."""
        if self.has_spans:
            return self.to_html()
        if self.n_rows == 0 or self.n_cols == 0:
            return ""
        g = [[_md_cell(t) for t in row] for row in self.grid()]
        head = max(1, self.header_rows)
        lines = ["| " + " | ".join(g[0]) + " |", "|" + "---|" * self.n_cols]
        if head > 1:  # fold extra header rows into the first: Markdown has one
            lines[0] = "| " + " | ".join(" ".join(filter(None, col)) for col in zip(*g[:head], strict=True)) + " |"
        lines += ["| " + " | ".join(row) + " |" for row in g[head:]]
        return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


class KeyValue(_Frozen):
    """A key and its value (an invoice's ``Total: 12.30``), each with its box."""

    key: str
    value: str
    key_bbox: BBox
    value_bbox: BBox
    kind: Literal["colon", "same_row", "below", "table"] = Field(
        ..., description="How the pair was found: 'Key: Value', key and value on one row, value under key, table"
    )
    score: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0


class Block(_Frozen):
    """A typed region of a page."""

    id: str = Field(..., description="Stable id: 'p{page}-b{index}' in reading order")
    type: BlockType
    bbox: BBox
    text: str = ""
    lines: tuple[Line, ...] = ()
    table: Table | None = None
    kv: tuple[KeyValue, ...] = ()
    score: Annotated[float, Field(ge=0.0, le=1.0, description="Confidence of the region type")] = 1.0


class Page(_Frozen):
    """One page: its size, how it was read, and its blocks in reading order."""

    page: Annotated[int, Field(ge=1, description="1-based page number")]
    width: float
    height: float
    unit: Unit = "px"
    orientation: Literal[0, 90, 180, 270] = Field(
        0, description="Clockwise degrees the page content was turned in the file (0: upright)"
    )
    skew: float = Field(
        0.0,
        description="Degrees the rows of text slope down to the right once upright (a scan made askew); "
        "the page was analysed level and its boxes mapped back",
    )
    warp: tuple[float, ...] | None = Field(
        None,
        min_length=9,
        max_length=9,
        description="Where rows of text converge once upright (a page photographed from one side): the 3 x 3 "
        "homography, row by row, that lays them level; the page was analysed so (rather than by skew) "
        "and its boxes mapped back",
    )
    bow: tuple[float, ...] | None = Field(
        None,
        min_length=6,
        max_length=6,
        description="Where rows of text bow once upright and level (paper curled across its rows): "
        "(a, b, c, e, xc, yc), the rows' slope a + b*u + c*u*v + e*v at (xc + u, yc + v) in the level "
        "frame (geometry.row_bow); the page was analysed with its rows laid straight and its boxes mapped back",
    )
    source: Literal["ocr", "text_layer", "mixed", "empty"] = Field(
        "ocr", description="Where the text came from"
    )
    image: str | None = Field(None, description="Reference to a stored page image, when one was kept")
    blocks: tuple[Block, ...] = ()

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks if b.text)

    def lines(self) -> Iterator[Line]:
        for b in self.blocks:
            yield from b.lines

    def upright(self) -> Page:
        """This page in the frame its content was read in: turned upright (``orientation``) and its
        rows level (``skew``, or ``warp`` where they converge), so rows and columns run along x and
        y; ``self`` when it already is.  Where things sit relative to each other (a value right of
        its label) is found here; :meth:`box_on_page` takes a box found here back to the page as stored."""
        if not self.orientation and not self.skew and self.warp is None and self.bow is None:
            return self
        from .geometry import (
            turn_points,
            unbow_box,
            unbowed,
            unturn_box,
            unwarp_box,
            upright_box,
            upright_points,
            warp_points,
        )

        w, h, a, skew, warp = self.width, self.height, self.orientation, self.skew, self.warp
        bow = _bow(self.bow)
        uw, uh = (h, w) if a in (90, 270) else (w, h)
        centre = (uw / 2, uh / 2)

        def fbox(b: BBox) -> BBox:
            # the parser gave each box around its level box moved back: undo that
            if warp is not None:
                b = unwarp_box(upright_box(b, a, w, h), warp)
            else:
                b = unturn_box(upright_box(b, a, w, h), -skew, centre)
            return unbow_box(b, bow) if bow is not None else b

        def fpoly(points: Polygon) -> Polygon:
            up = upright_points(points, a, w, h)
            level = warp_points(up, warp) if warp is not None else turn_points(up, skew, centre)
            if bow is not None:
                level = unbowed(level, bow)
            return tuple((float(x), float(y)) for x, y in level.tolist())

        return self.map_boxes(fbox, fpoly).model_copy(
            update={"width": uw, "height": uh, "orientation": 0, "skew": 0.0, "warp": None, "bow": None}
        )

    def box_on_page(self, box: BBox) -> BBox:
        """A box on :meth:`upright` of this page, on the page as stored: the box around it there."""
        if not self.orientation and not self.skew and self.warp is None and self.bow is None:
            return box
        import numpy as np

        from .geometry import bow_box, turn_box, upright_box, warp_box

        a = self.orientation
        uw, uh = (self.height, self.width) if a in (90, 270) else (self.width, self.height)
        if self.bow is not None:
            box = bow_box(box, _bow(self.bow))
        if self.warp is not None:
            box = warp_box(box, np.linalg.inv(np.asarray(self.warp, np.float64).reshape(3, 3)))
        else:
            box = turn_box(box, -self.skew, (uw / 2, uh / 2))
        # upright_box turned the other way, on the upright page, undoes it
        return upright_box(box, (360 - a) % 360, uw, uh)

    def map_boxes(self, fbox: Callable[[BBox], BBox], fpoly: Callable[[Polygon], Polygon] | None = None) -> Page:
        """This page with every box of its blocks, lines, words, cells and key–value pairs moved by
        ``fbox`` and every line polygon by ``fpoly`` (dropped without it): a change of frame."""

        def mline(ln: Line) -> Line:
            return ln.model_copy(
                update={
                    "bbox": fbox(ln.bbox),
                    "polygon": fpoly(ln.polygon) if ln.polygon and fpoly else None,
                    "words": tuple(w.model_copy(update={"bbox": fbox(w.bbox)}) for w in ln.words),
                }
            )

        blocks = []
        for b in self.blocks:
            table = b.table
            if table is not None:
                cells = tuple(c.model_copy(update={"bbox": fbox(c.bbox) if c.bbox else None}) for c in table.cells)
                table = table.model_copy(update={"cells": cells})
            kv = tuple(
                k.model_copy(update={"key_bbox": fbox(k.key_bbox), "value_bbox": fbox(k.value_bbox)}) for k in b.kv
            )
            blocks.append(
                b.model_copy(
                    update={"bbox": fbox(b.bbox), "lines": tuple(mline(ln) for ln in b.lines), "table": table, "kv": kv}
                )
            )
        return self.model_copy(update={"blocks": tuple(blocks)})

    def to_markdown(self) -> str:
        out = [f"<!-- page {self.page} -->"]
        for b in self.blocks:
            md = _block_markdown(b)
            if md:
                out.append(md)
        return "\n\n".join(out)


def _block_markdown(b: Block) -> str:
    if b.type == "table" and b.table is not None:
        return b.table.to_markdown()
    if not b.text:
        return ""
    if b.type == "title":
        return "## " + b.text.replace("\n", " ")
    if b.type in ("header", "footer"):
        return f"<!-- {b.type}: {b.text.replace('--', '- -')} -->"
    if b.type == "equation":
        return "$$\n" + b.text + "\n$$"
    if b.type in ("figure_caption", "table_caption"):
        return "*" + b.text.replace("\n", " ") + "*"
    return _md_rows(b.text, lists=b.type == "list")


# A line that Markdown would read as structure rather than text: a heading, a quote, a fence, a
# rule, a setext underline or a table's delimiter row (-, =, _, * among |, :, +).
_MD_BLOCK_START = re.compile(r"#{1,6}(?:\s|$)|>|```|~~~|[-=_*:|+\s]*[-=_*][-=_*:|+\s]*$")
# List markers: "- ", "+ ", "* ", "1. ", "1) " (or alone on the line).
_MD_LIST_START = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?:\s|$)")
# A backslash that Markdown would take as an escape, and a "<" it would take for HTML or a link.
_MD_INLINE = re.compile(r"\\(?=[!-/:-@\[-`{-~])|<(?=[A-Za-z/!?])")


def _md_rows(text: str, *, lists: bool = False) -> str:
    """A block's text as Markdown that renders the way the page reads.

    Inside a block, a line break is a row of the page (wrapped prose is already joined), so each
    one becomes a hard break instead of the space Markdown would show. Lines that Markdown would
    take for structure ("# 12", "-----", "- 0.50", "1. 2000-0240") are escaped, so a receipt's rule
    does not turn the line above it into a heading and a discount keeps its minus sign; a list
    block keeps its list markers.
    """
    paragraphs = []
    for para in re.split(r"\n\s*\n", text):
        rows = []
        for row in para.split("\n"):
            row = _MD_INLINE.sub(lambda m: "\\" + m[0], row.strip())
            if row and (_MD_BLOCK_START.match(row) or (not lists and _MD_LIST_START.match(row))):
                digits = len(row) - len(row.lstrip("0123456789"))
                row = row[:digits] + "\\" + row[digits:]
            if row:
                rows.append(row)
        if rows:
            paragraphs.append("  \n".join(rows))
    return "\n\n".join(paragraphs)


_NO_WORDS = {"pages": {"__all__": {"blocks": {"__all__": {"lines": {"__all__": {"words"}}}}}}}


class Document(_Frozen):
    """A parsed document."""

    schema_version: str = SCHEMA_VERSION
    id: str = Field(..., description="Content hash of the input (first 16 hex digits of its SHA-256)")
    name: str = Field("", description="File name the document was parsed from, if any")
    sha256: str = Field("", description="Full SHA-256 of the input bytes")
    pages: tuple[Page, ...] = ()
    meta: dict[str, str] = Field(default_factory=dict, description="Parser version, options digest, …")

    # -- access ----------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)

    def blocks(self) -> Iterator[tuple[Page, Block]]:
        for p in self.pages:
            for b in p.blocks:
                yield p, b

    def page(self, number: int) -> Page:
        """The page numbered ``number`` (1-based, as in the file; a document parsed from some of
        a file's pages holds only those)."""
        for p in self.pages:
            if p.page == number:
                return p
        raise KeyError(number)

    def block(self, block_id: str) -> Block:
        for _, b in self.blocks():
            if b.id == block_id:
                return b
        raise KeyError(block_id)

    def kv_pairs(self) -> Iterator[tuple[int, KeyValue]]:
        for p, b in self.blocks():
            for kv in b.kv:
                yield p.page, kv

    def tables(self) -> Iterator[tuple[int, Block]]:
        for p, b in self.blocks():
            if b.table is not None:
                yield p.page, b

    # -- serialisation ---------------------------------------------------------------------
    def to_dict(self, *, words: bool = True) -> dict:
        """The document as JSON data; ``words=False`` leaves out each line's words (a third of a
        scanned page's JSON)."""
        return self.model_dump(mode="json", exclude=None if words else _NO_WORDS)

    def to_json(self, indent: int | None = None, *, words: bool = True) -> str:
        return self.model_dump_json(indent=indent, exclude=None if words else _NO_WORDS)

    @classmethod
    def from_json(cls, data: str | bytes) -> Document:
        return cls.model_validate_json(data)

    @classmethod
    def from_dict(cls, data: dict) -> Document:
        return cls.model_validate(data)

    def to_markdown(self) -> str:
        return "\n\n".join(p.to_markdown() for p in self.pages) + "\n"

    def __str__(self) -> str:  # pragma: no cover - convenience
        return json.dumps({"id": self.id, "name": self.name, "pages": len(self.pages)})


def _bow(values: tuple[float, ...] | None):
    """``Page.bow`` as ``geometry.row_bow`` gives it: ``((a, b, c, e), (xc, yc))``."""
    if values is None:
        return None
    a, b, c, e, xc, yc = values
    return (a, b, c, e), (xc, yc)
