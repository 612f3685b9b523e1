"""Layout-aware chunking: ``Document`` → ``Chunk`` s that point back to page and box.

Rules (PP-ChatOCRv4 style, on the parsed layout rather than on flat text):

* A line is never split.  Lines of one block stay together when the block fits.
* A table stays whole; a table larger than the chunk size is split by rows, and
  every part repeats the header rows.  A table caption goes with its table.
* A key–value pair is never separated from its key (its key and value lines are
  glued into one unit).
* A title starts a new chunk and is attached to the content it heads; every
  chunk also carries the section title in force (``heading``).
* Chunks stay on one page, except that a title closing a page heads the first
  chunk of the next one.
* A running header or footer (same text on several pages, page numbers aside)
  is indexed once per document.
* Each chunk lists its doc id, pages, block ids and types, and the box of every
  line (table row) it holds.

``should_retrieve`` applies PP-ChatOCRv4's rule: a document shorter than
``min_characters`` (3,500) goes to the LLM whole, without retrieval.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..document import Block, BlockType, Document, KeyValue, Line, Table
from ..types import BBox
from .tokenize import count_tokens

__all__ = ["ChunkOptions", "LineBox", "Chunk", "Chunker", "chunk_document", "should_retrieve", "DEFAULT_MIN_CHARACTERS"]

log = logging.getLogger(__name__)

DEFAULT_MIN_CHARACTERS = 3500


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChunkOptions(_Frozen):
    """How documents are cut into chunks."""

    size: Annotated[
        int, Field(ge=16, description="Target chunk size in ``unit`` s (PP-ChatOCRv4: 300 characters); a single line may exceed it")
    ] = 300
    overlap: Annotated[
        int, Field(ge=0, description="Trailing lines of a split block repeated at the next chunk's start, up to this size")
    ] = 50
    unit: Literal["chars", "tokens"] = Field("chars", description="Measure sizes in characters or approximate tokens")
    table_size: Annotated[
        int | None, Field(ge=16, description="Largest table kept whole (default: twice ``size``); larger ones split by rows")
    ] = None
    skip_types: tuple[BlockType, ...] = Field((), description="Block types left out of chunks (e.g. 'header', 'footer')")
    min_characters: Annotated[
        int, Field(ge=0, description="Below this many characters a document skips retrieval (see should_retrieve)")
    ] = DEFAULT_MIN_CHARACTERS


class LineBox(_Frozen):
    """Where one line (or table row, or key–value pair) of a chunk sits."""

    page: int
    block_id: str
    bbox: BBox


class Chunk(_Frozen):
    """A retrievable piece of a document, with provenance for every line."""

    id: str = Field(..., description="'{doc_id}:{first block id}:{n}' (n counts chunks starting in that block)")
    doc_id: str
    text: str
    heading: str = Field("", description="Title of the section the chunk belongs to")
    pages: tuple[int, ...]
    block_ids: tuple[str, ...]
    block_types: tuple[BlockType, ...]
    boxes: tuple[LineBox, ...]
    kind: Literal["text", "table"] = "text"

    @property
    def page(self) -> int:
        return self.pages[0]

    @cached_property
    def index_text(self) -> str:
        """What is embedded and BM25-indexed: the text, preceded by its section heading when not already in it."""
        if self.heading and not self.text.startswith(self.heading):
            return f"{self.heading}\n{self.text}"
        return self.text

    @cached_property
    def digest(self) -> str:
        """SHA-256 of ``index_text`` (the embedding cache key, with the model's fingerprint)."""
        return hashlib.sha256(self.index_text.encode("utf-8")).hexdigest()


def should_retrieve(document: Document, min_characters: int = DEFAULT_MIN_CHARACTERS) -> bool:
    """PP-ChatOCRv4's rule: retrieve only when the document's text is at least ``min_characters`` long.

    A shorter document is given to the LLM whole (``document.text``).
    """
    return len(document.text) >= min_characters


# -- units: the atoms a chunk is built from -----------------------------------------------
@dataclass(frozen=True, slots=True)
class _Unit:
    text: str
    boxes: tuple[LineBox, ...]
    page: int
    block: Block


def _line_units(page: int, block: Block) -> list[_Unit]:
    """A block's lines as units; lines of one key–value pair are glued together."""
    lines: Sequence[Line] = block.lines
    if not lines:
        parts = [t for t in block.text.split("\n") if t.strip()]
        if block.kv and not parts:
            parts = [f"{kv.key}: {kv.value}" for kv in block.kv]
        return [_Unit(t, (LineBox(page=page, block_id=block.id, bbox=block.bbox),), page, block) for t in _glue_kv_text(parts, block.kv)]
    # lines i..j that hold one pair's key and value may not be separated
    joined = [False] * len(lines)  # joined[i]: line i continues the unit of line i-1
    for kv in block.kv:
        ki, vi = _line_of(lines, kv.key_bbox, kv.key), _line_of(lines, kv.value_bbox, kv.value)
        if ki is None or vi is None:
            continue
        for i in range(min(ki, vi) + 1, max(ki, vi) + 1):
            joined[i] = True
    units: list[list[Line]] = []
    for i, ln in enumerate(lines):
        if not ln.text.strip():
            continue
        if joined[i] and units:
            units[-1].append(ln)
        else:
            units.append([ln])
    return [
        _Unit(
            "\n".join(ln.text for ln in group),
            tuple(LineBox(page=page, block_id=block.id, bbox=ln.bbox) for ln in group),
            page,
            block,
        )
        for group in units
    ]


def _glue_kv_text(parts: list[str], kvs: Sequence[KeyValue]) -> list[str]:
    """Join a text line holding only a key with the next line (its value) when the block says they pair."""
    keys = {kv.key.strip() for kv in kvs if kv.kind == "below"}
    out: list[str] = []
    i = 0
    while i < len(parts):
        if parts[i].strip() in keys and i + 1 < len(parts):
            out.append(parts[i] + "\n" + parts[i + 1])
            i += 2
        else:
            out.append(parts[i])
            i += 1
    return out


def _line_of(lines: Sequence[Line], box: BBox, text: str) -> int | None:
    """Index of the line holding ``box`` (most overlap), preferring one that contains ``text``."""
    best, best_area = None, 0.0
    for i, ln in enumerate(lines):
        x0, y0 = max(ln.bbox[0], box[0]), max(ln.bbox[1], box[1])
        x1, y1 = min(ln.bbox[2], box[2]), min(ln.bbox[3], box[3])
        area = max(0.0, x1 - x0) * max(0.0, y1 - y0)
        if area > best_area or (area == best_area and area > 0 and text and text in ln.text):
            best, best_area = i, area
    if best is None and text:
        for i, ln in enumerate(lines):
            if text in ln.text:
                return i
    return best


def _table_rows(page: int, block: Block, table: Table) -> tuple[list[_Unit], int]:
    """Each table row as a unit ``| a | b |``; returns the units and the number of header rows."""
    grid = table.grid()
    units = []
    for r, row in enumerate(grid):
        cells = [c for c in table.cells if c.row == r and c.bbox is not None]
        if cells:
            box = (
                min(c.bbox[0] for c in cells),
                min(c.bbox[1] for c in cells),
                max(c.bbox[2] for c in cells),
                max(c.bbox[3] for c in cells),
            )
        else:
            box = block.bbox
        text = "| " + " | ".join(t.replace("\n", " ").replace("|", "/") for t in row) + " |"
        units.append(_Unit(text, (LineBox(page=page, block_id=block.id, bbox=box),), page, block))
    head = min(table.header_rows, len(units))
    if head == 0 and len(units) > 1:
        head = 1  # without header flags, the first row usually names the columns
    return units, head


# -- the chunker ---------------------------------------------------------------------------
class Chunker:
    """Cuts documents into chunks by ``ChunkOptions``."""

    def __init__(self, options: ChunkOptions | None = None) -> None:
        self.options = options or ChunkOptions()

    def size_of(self, text: str) -> int:
        return count_tokens(text) if self.options.unit == "tokens" else len(text)

    def __call__(self, document: Document) -> list[Chunk]:
        return list(self.iter_chunks(document))

    def iter_chunks(self, document: Document) -> Iterator[Chunk]:
        opts = self.options
        b = _Builder(self, document.id)
        heading = ""
        running: set[tuple[str, str]] = set()  # header/footer texts seen (digits folded: "Page 2 of 9")
        for page in document.pages:
            blocks = []
            for bl in page.blocks:
                if bl.type in opts.skip_types:
                    continue
                if bl.type in ("header", "footer"):
                    key = (bl.type, re.sub(r"\d+", "#", " ".join(bl.text.split())))
                    if key in running:
                        continue  # a running header or footer is indexed once per document
                    running.add(key)
                blocks.append(bl)
            i = 0
            while i < len(blocks):
                block = blocks[i]
                if block.type == "title":
                    yield from b.flush()
                    units = _line_units(page.page, block)
                    if units:
                        heading = " ".join(u.text.replace("\n", " ") for u in units)
                        b.heading = heading
                        b.pending_title.extend(units)
                    i += 1
                    continue
                if block.table is not None and block.table.n_rows > 0:
                    caption_before = b.take_caption()
                    caption_after = []
                    if i + 1 < len(blocks) and blocks[i + 1].type == "table_caption" and not caption_before:
                        caption_after = _line_units(page.page, blocks[i + 1])
                        i += 1
                    yield from b.flush()
                    yield from b.table(page.page, block, block.table, caption_before + caption_after)
                    i += 1
                    continue
                units = _line_units(page.page, block)
                if block.type == "table_caption" and i + 1 < len(blocks) and blocks[i + 1].table is not None:
                    b.caption = units  # goes with the table that follows
                    i += 1
                    continue
                if units:
                    yield from b.block(units)
                i += 1
            yield from b.flush(page_end=True)
        yield from b.flush(final=True)


class _Builder:
    """Accumulates units into chunks."""

    def __init__(self, chunker: Chunker, doc_id: str) -> None:
        self.c = chunker
        self.opts = chunker.options
        self.doc_id = doc_id
        self.units: list[_Unit] = []
        self.pending_title: list[_Unit] = []
        self.caption: list[_Unit] = []
        self.heading = ""
        self.counts: dict[str, int] = {}

    # sizes
    def _size(self, units: Sequence[_Unit]) -> int:
        return self.c.size_of("\n".join(u.text for u in units))

    def take_caption(self) -> list[_Unit]:
        cap, self.caption = self.caption, []
        return cap

    def block(self, units: list[_Unit]) -> Iterator[Chunk]:
        size = self.opts.size
        cur = self.pending_title + self.units
        if self._size(cur + units) <= size:
            self.units.extend(units)
            return
        if self.units and self._size(self.pending_title + units) <= size:
            yield from self.flush()  # the block fits a chunk of its own: don't cut it
            self.units = list(units)
            return
        # the block is larger than a chunk: fill line by line, with overlap
        for u in units:
            if self.units and self._size(self.pending_title + self.units + [u]) > size:
                tail = self._overlap_tail(u)
                yield from self.flush()
                self.units = tail
            self.units.append(u)

    def _overlap_tail(self, nxt: _Unit) -> list[_Unit]:
        """Trailing units of the current chunk (same block as ``nxt``) repeated in the next one."""
        if self.opts.overlap <= 0:
            return []
        tail: list[_Unit] = []
        for u in reversed(self.units):
            if u.block.id != nxt.block.id or u.page != nxt.page:
                break
            if self._size([u, *tail, nxt]) > self.opts.overlap + self.c.size_of(nxt.text) + 1:
                break
            tail.insert(0, u)
        if len(tail) == len(self.units):
            tail = tail[1:]  # always move forward
        return tail

    def table(self, page: int, block: Block, table: Table, caption: list[_Unit]) -> Iterator[Chunk]:
        rows, head = _table_rows(page, block, table)
        prefix = self.pending_title + caption
        limit = self.opts.table_size or 2 * self.opts.size
        if self._size(prefix + rows) <= limit or len(rows) <= head + 1:
            yield self._make(prefix + rows, kind="table")
            self.pending_title = []
            return
        header = rows[:head]
        part: list[_Unit] = []
        first = True
        for r in rows[head:]:
            lead = (prefix if first else []) + header
            if part and self._size(lead + part + [r]) > limit:
                yield self._make(lead + part, kind="table")
                first = False
                part = []
            part.append(r)
        if part:
            yield self._make((prefix if first else []) + header + part, kind="table")
        self.pending_title = []

    def flush(self, *, page_end: bool = False, final: bool = False) -> Iterator[Chunk]:
        if self.caption:  # a caption whose table never came: plain text
            self.units.extend(self.take_caption())
        if self.units:
            yield self._make(self.pending_title + self.units)
            self.pending_title = []
            self.units = []
        elif final and self.pending_title:  # a title heading nothing
            yield self._make(self.pending_title)
            self.pending_title = []
        # page_end: a pending title carries over to the next page's first chunk

    def _make(self, units: list[_Unit], kind: Literal["text", "table"] = "text") -> Chunk:
        block_ids: list[str] = []
        block_types: list[BlockType] = []
        pages: list[int] = []
        for u in units:
            if u.block.id not in block_ids:
                block_ids.append(u.block.id)
                block_types.append(u.block.type)
            if u.page not in pages:
                pages.append(u.page)
        first = block_ids[0]
        n = self.counts.get(first, 0)
        self.counts[first] = n + 1
        return Chunk(
            id=f"{self.doc_id}:{first}:{n}",
            doc_id=self.doc_id,
            text="\n".join(u.text for u in units),
            heading=self.heading,
            pages=tuple(pages),
            block_ids=tuple(block_ids),
            block_types=tuple(block_types),
            boxes=tuple(b for u in units for b in u.boxes),
            kind=kind,
        )


def chunk_document(document: Document, options: ChunkOptions | None = None) -> list[Chunk]:
    """The chunks of ``document`` (an empty list when it has no text)."""
    return Chunker(options)(document)
