"""LangChain adapters: a ``BaseRetriever`` over any chatocr ``Retriever``, and a ``BaseLoader`` for parsed documents.

The only module of chatocr that imports ``langchain_core``.  Every LangChain
``Document`` carries where its text came from: ``doc_id``, ``page``, boxes and
block types, so an answer can point back to page and box.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from chatocr.document import Block, Document, Page
from chatocr.index import Chunk, Chunker, ChunkOptions, Hit, Retriever

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.document_loaders import BaseLoader
    from langchain_core.documents import Document as LCDocument
    from langchain_core.retrievers import BaseRetriever
except ImportError as e:  # pragma: no cover - langchain-core is a dependency
    raise ImportError("the LangChain adapters need langchain-core: run `pip install langchain-core`") from e

from pydantic import ConfigDict, Field

__all__ = ["ChatOCRRetriever", "ChatOCRLoader", "hits_to_documents", "chunk_metadata"]

Parser = Callable[[Path], Document]


def chunk_metadata(chunk: Chunk) -> dict:
    """LangChain metadata for a chunk: ids, pages, block types and line boxes ``[page, x0, y0, x1, y1]``."""
    return {
        "doc_id": chunk.doc_id,
        "chunk_id": chunk.id,
        "page": chunk.page,
        "pages": list(chunk.pages),
        "block_ids": list(chunk.block_ids),
        "block_types": list(chunk.block_types),
        "bboxes": [[b.page, *b.bbox] for b in chunk.boxes],
        "heading": chunk.heading,
        "kind": chunk.kind,
    }


def hits_to_documents(hits: list[Hit]) -> list[LCDocument]:
    """Hits as LangChain documents (``page_content``: the chunk text with its heading), scores in metadata."""
    out = []
    for h in hits:
        meta = chunk_metadata(h.chunk)
        meta.update(score=h.score, rank=h.rank, bm25_rank=h.bm25_rank, dense_rank=h.dense_rank)
        out.append(LCDocument(page_content=h.chunk.index_text, metadata=meta, id=h.chunk.id))
    return out


class ChatOCRRetriever(BaseRetriever):
    """A LangChain retriever over a chatocr ``Retriever`` (``HybridIndex`` or one from ``chatocr.retrievers``)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    k: int = Field(4, ge=1, description="Documents returned per query")
    doc_ids: list[str] | None = Field(None, description="Search only these documents")
    pages: list[int] | None = Field(None, description="Search only these pages")

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        return hits_to_documents(self.retriever.retrieve(query, k=self.k, doc_ids=self.doc_ids, pages=self.pages))


def _default_parser() -> Parser:
    for module, attr in (("chatocr.structure", "parse"), ("chatocr.structure.parser", "parse")):
        try:
            fn = getattr(importlib.import_module(module), attr, None)
        except ImportError:
            fn = None
        if callable(fn):
            return fn
    raise ImportError("no document parser available (chatocr.structure.parse): pass parser=... to ChatOCRLoader")


class ChatOCRLoader(BaseLoader):
    """Yields LangChain documents from a chatocr ``Document`` (or a file, parsed on first use).

    ``mode``: ``"block"`` (one per block with text; tables as Markdown), ``"page"``
    (one per page) or ``"chunk"`` (chatocr's layout-aware chunks, ``chunk_options``).
    ``parser`` turns a path into a ``Document`` (default: ``chatocr.structure.parse``).
    """

    def __init__(
        self,
        source: Document | str | os.PathLike,
        *,
        mode: Literal["block", "page", "chunk"] = "block",
        parser: Parser | None = None,
        chunk_options: ChunkOptions | None = None,
    ) -> None:
        if mode not in ("block", "page", "chunk"):
            raise ValueError(f"mode must be 'block', 'page' or 'chunk', got {mode!r}")
        self.source = source
        self.mode = mode
        self.parser = parser
        self.chunk_options = chunk_options

    def _document(self) -> tuple[Document, str]:
        if isinstance(self.source, Document):
            return self.source, self.source.name or self.source.id
        path = Path(self.source)
        parser = self.parser or _default_parser()
        return parser(path), str(path)

    def lazy_load(self) -> Iterator[LCDocument]:
        doc, source = self._document()
        if self.mode == "chunk":
            for c in Chunker(self.chunk_options).iter_chunks(doc):
                yield LCDocument(page_content=c.index_text, metadata={"source": source, **chunk_metadata(c)}, id=c.id)
            return
        for page in doc.pages:
            if self.mode == "page":
                text = page.text
                if text.strip():
                    yield LCDocument(page_content=text, metadata=_page_meta(doc, page, source), id=f"{doc.id}:p{page.page}")
                continue
            for block in page.blocks:
                text = _block_text(block)
                if not text.strip():
                    continue
                meta = _page_meta(doc, page, source)
                meta.update(
                    block_id=block.id,
                    block_type=block.type,
                    bbox=list(block.bbox),
                    line_bboxes=[list(ln.bbox) for ln in block.lines],
                )
                yield LCDocument(page_content=text, metadata=meta, id=f"{doc.id}:{block.id}")


def _block_text(block: Block) -> str:
    if block.table is not None and block.table.n_rows:
        return block.table.to_markdown()
    return block.text


def _page_meta(doc: Document, page: Page, source: str) -> dict:
    return {
        "source": source,
        "doc_id": doc.id,
        "page": page.page,
        "page_width": page.width,
        "page_height": page.height,
        "unit": page.unit,
        "bboxes": [[page.page, *b.bbox] for b in page.blocks if b.text],
    }
