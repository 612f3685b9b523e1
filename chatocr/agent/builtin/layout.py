"""A flat, geometric view of a Document for key finding: lines, rows, neighbours.

Every line of every block (text, titles, table blocks alike) becomes a ``VLine``
with its page, box, normalised tokens and row.  Rows group lines whose vertical
extents overlap, so a receipt's ``TOTAL`` and ``9.00`` — separate boxes on one
row — are neighbours even when the parser put them in different blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median

from ...document import Block, Document, Line
from ...geometry import group_rows
from ...types import BBox
from .synonyms import label_tokens, norm_text

__all__ = ["VLine", "VPage", "View", "union"]


@dataclass(slots=True)
class VLine:
    idx: int  # index in View.lines
    page: int
    text: str
    bbox: BBox
    block: str
    btype: str
    score: float
    norm: str = ""
    ltoks: list[str] = field(default_factory=list)  # label tokens
    row: int = -1  # row index within its page
    order: int = -1  # position in the page's reading order (rows top to bottom, left to right)
    line: Line | None = None  # the document's line (a table cell's or bare block's text as one)

    @property
    def h(self) -> float:
        return max(1.0, self.bbox[3] - self.bbox[1])

    @property
    def cy(self) -> float:
        return (self.bbox[1] + self.bbox[3]) / 2


@dataclass(slots=True)
class VPage:
    page: int
    width: float
    height: float
    lines: list[VLine]  # reading order
    rows: list[list[VLine]]
    line_h: float  # median line height


def union(boxes: Sequence[BBox]) -> BBox:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


class View:
    """Lines of a document (or of some of its blocks' pages), with rows and neighbourhoods."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.cache: dict = {}  # per-document results shared by the keys of one extract call
        self.lines: list[VLine] = []
        self.pages: dict[int, VPage] = {}
        for page in doc.pages:
            raw: list[VLine] = []
            for block in page.blocks:
                for ln in _block_lines(block):
                    if not ln.text.strip():
                        continue
                    raw.append(VLine(-1, page.page, ln.text.strip(), ln.bbox, block.id, block.type, ln.score, line=ln))
            rows_idx = group_rows([v.bbox for v in raw]) if raw else []
            rows = [[raw[i] for i in r] for r in rows_idx]
            ordered: list[VLine] = []
            for r_i, row in enumerate(rows):
                for v in row:
                    v.row = r_i
                    v.order = len(ordered)
                    v.idx = len(self.lines)
                    v.norm = norm_text(v.text)
                    v.ltoks = label_tokens(v.text)
                    ordered.append(v)
                    self.lines.append(v)
            lh = median([v.h for v in ordered]) if ordered else 10.0
            self.pages[page.page] = VPage(page.page, page.width, page.height, ordered, rows, lh)

    # -- neighbourhoods --------------------------------------------------------------------
    def right_of(self, ln: VLine) -> list[VLine]:
        """Lines on the same row to the right of ``ln``, nearest first."""
        page = self.pages[ln.page]
        out = [v for v in page.rows[ln.row] if v.bbox[0] >= ln.bbox[2] - 0.5 * ln.h and v is not ln]
        # a row that is slightly skewed: also lines whose vertical centre lies within ln's extent
        for r in (ln.row - 1, ln.row + 1):
            if 0 <= r < len(page.rows):
                for v in page.rows[r]:
                    if v.bbox[0] >= ln.bbox[2] - 0.5 * ln.h and ln.bbox[1] < v.cy < ln.bbox[3] and v not in out:
                        out.append(v)
        out.sort(key=lambda v: v.bbox[0])
        return out

    def below(self, ln: VLine, *, max_gap: float = 2.5) -> list[VLine]:
        """Lines under ``ln`` that overlap it horizontally (or start near its left edge), nearest first."""
        page = self.pages[ln.page]
        out = []
        lim = ln.bbox[3] + max_gap * ln.h
        for v in page.lines[ln.order + 1:]:
            if v.bbox[1] > lim:
                break
            if v.row == ln.row or v.cy <= ln.bbox[3]:
                continue
            ov = min(v.bbox[2], ln.bbox[2]) - max(v.bbox[0], ln.bbox[0])
            if ov > 0.3 * min(v.bbox[2] - v.bbox[0], ln.bbox[2] - ln.bbox[0]) or abs(v.bbox[0] - ln.bbox[0]) < 1.5 * ln.h:
                out.append(v)
        out.sort(key=lambda v: (v.bbox[1], v.bbox[0]))
        return out

    def next_rows(self, ln: VLine, n: int = 1) -> list[list[VLine]]:
        page = self.pages[ln.page]
        return page.rows[ln.row + 1:ln.row + 1 + n]

    def page_of(self, ln: VLine) -> VPage:
        return self.pages[ln.page]


def _block_lines(block: Block) -> list[Line]:
    """A block's lines; a table without lines gives its cells; a bare block its text."""
    if block.lines:
        return list(block.lines)
    if block.table is not None:
        return [Line(text=c.text, bbox=c.bbox) for c in block.table.cells if c.text and c.bbox is not None]
    if block.text:
        return [Line(text=block.text.replace("\n", " "), bbox=block.bbox, score=block.score)]
    return []
