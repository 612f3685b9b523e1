"""Test kit for the index and retrievers tests: documents built directly from text (no parser), a fake embedder."""

from __future__ import annotations

import hashlib

import numpy as np

from chatocr.document import Block, Cell, Document, KeyValue, Line, Page, Table
from chatocr.index.tokenize import bm25_terms

LINE_H = 20.0


def text_block(page: int, idx: int, text: str, *, type: str = "text", y: float = 0.0, kv=()) -> Block:
    """A block whose lines are the ``\\n``-separated parts of ``text``, stacked from ``y``."""
    lines = tuple(
        Line(text=t, bbox=(50.0, y + i * LINE_H, 50.0 + 7 * max(1, len(t)), y + (i + 1) * LINE_H - 4))
        for i, t in enumerate(text.split("\n"))
    )
    bbox = (50.0, y, max(ln.bbox[2] for ln in lines), y + len(lines) * LINE_H)
    return Block(id=f"p{page}-b{idx}", type=type, bbox=bbox, text=text, lines=lines, kv=tuple(kv))


def table_block(page: int, idx: int, rows: list[list[str]], *, y: float = 0.0, header_rows: int = 1) -> Block:
    cells = tuple(
        Cell(row=r, col=c, text=t, header=r < header_rows, bbox=(50.0 + 100 * c, y + r * LINE_H, 145.0 + 100 * c, y + (r + 1) * LINE_H))
        for r, row in enumerate(rows)
        for c, t in enumerate(row)
    )
    table = Table(n_rows=len(rows), n_cols=len(rows[0]), cells=cells)
    text = "\n".join(" ".join(r) for r in rows)
    return Block(
        id=f"p{page}-b{idx}", type="table", bbox=(50.0, y, 50.0 + 100 * len(rows[0]), y + len(rows) * LINE_H), text=text, table=table
    )


def kv_block(page: int, idx: int, pairs: list[tuple[str, str]], *, y: float = 0.0, below: bool = False) -> Block:
    """Key–value pairs: 'Key: Value' on one line each, or (``below``) the value on the line under its key."""
    lines, kvs = [], []
    row = 0
    for key, value in pairs:
        if below:
            kb = (50.0, y + row * LINE_H, 150.0, y + (row + 1) * LINE_H - 4)
            vb = (50.0, y + (row + 1) * LINE_H, 250.0, y + (row + 2) * LINE_H - 4)
            lines += [Line(text=key, bbox=kb), Line(text=value, bbox=vb)]
            kvs.append(KeyValue(key=key, value=value, key_bbox=kb, value_bbox=vb, kind="below"))
            row += 2
        else:
            bb = (50.0, y + row * LINE_H, 300.0, y + (row + 1) * LINE_H - 4)
            lines.append(Line(text=f"{key}: {value}", bbox=bb))
            kvs.append(KeyValue(key=key, value=value, key_bbox=(50.0, bb[1], 120.0, bb[3]), value_bbox=(130.0, bb[1], 300.0, bb[3]), kind="colon"))
            row += 1
    text = "\n".join(ln.text for ln in lines)
    bbox = (50.0, y, 300.0, y + row * LINE_H)
    return Block(id=f"p{page}-b{idx}", type="text", bbox=bbox, text=text, lines=tuple(lines), kv=tuple(kvs))


def make_doc(doc_id: str, pages: list[list[Block]], name: str = "") -> Document:
    return Document(
        id=doc_id,
        name=name,
        pages=tuple(Page(page=i + 1, width=800, height=1100, unit="pt", blocks=tuple(bl)) for i, bl in enumerate(pages)),
    )


class FakeEmbedder:
    """Deterministic bag-of-terms vectors (hashed BM25 terms): similar wording, similar vectors.  Counts calls."""

    def __init__(self, dim: int = 64, name: str = "fake", salt: str = "") -> None:
        self._dim, self._name, self.salt = dim, name, salt
        self.calls = 0
        self.texts = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self._name}{self._dim}{self.salt}".encode()).hexdigest()[:16]

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self._dim, dtype=np.float32)
        for t in bm25_terms(text) or ["<empty>"]:
            v[int(hashlib.md5((self.salt + t).encode()).hexdigest(), 16) % self._dim] += 1.0
        return v / np.linalg.norm(v)

    def embed_documents(self, texts):
        self.calls += 1
        self.texts += len(texts)
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self._dim), np.float32)

    def embed_query(self, text):
        return self._vec(text)
