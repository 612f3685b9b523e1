"""Retrievers over a ``HybridIndex``: BM25 only, dense only, or both fused.

Each satisfies ``chatocr.index.Retriever``; the agent is handed one of them.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar, Literal

from chatocr.index import Hit, HybridIndex

__all__ = ["IndexRetriever", "BM25Retriever", "VectorRetriever", "HybridRetriever"]


class IndexRetriever:
    """Searches ``index`` in one fixed mode; ``k``, ``doc_ids`` and ``pages`` are defaults a call may override."""

    mode: ClassVar[Literal["hybrid", "bm25", "dense"]] = "hybrid"

    def __init__(
        self,
        index: HybridIndex,
        *,
        k: int = 5,
        doc_ids: Collection[str] | None = None,
        pages: Collection[int] | None = None,
    ) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        self.index = index
        self.k = k
        self.doc_ids = doc_ids
        self.pages = pages

    def retrieve(
        self,
        query: str,
        *,
        k: int | None = None,
        doc_ids: Collection[str] | None = None,
        pages: Collection[int] | None = None,
    ) -> list[Hit]:
        return self.index.search(
            query,
            k=k or self.k,
            doc_ids=doc_ids if doc_ids is not None else self.doc_ids,
            pages=pages if pages is not None else self.pages,
            mode=self.mode,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(chunks={len(self.index)}, k={self.k})"


class BM25Retriever(IndexRetriever):
    """Keyword search (BM25; CJK bigrams, lowercased Latin words)."""

    mode = "bm25"


class VectorRetriever(IndexRetriever):
    """Dense search: cosine similarity of embeddings (FAISS inner product on normalised vectors)."""

    mode = "dense"


class HybridRetriever(IndexRetriever):
    """BM25 and dense results fused by weighted reciprocal rank (``IndexOptions.rrf_k``, weights)."""

    mode = "hybrid"
