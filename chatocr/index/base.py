"""What a retriever returns, and the ``Retriever`` protocol the agent is given (by injection)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from .chunking import Chunk

__all__ = ["Hit", "Retriever"]


class Hit(BaseModel):
    """One retrieved chunk, its fused score and where each retriever ranked it (1-based, None: not found)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chunk: Chunk
    score: float = Field(..., description="Fused score (RRF), or the single retriever's score")
    rank: int = Field(..., ge=1)
    bm25_rank: int | None = None
    dense_rank: int | None = None
    bm25_score: float | None = None
    dense_score: float | None = Field(None, description="Cosine similarity")


@runtime_checkable
class Retriever(Protocol):
    """Finds the chunks that answer a query, optionally within some documents and pages."""

    def retrieve(
        self,
        query: str,
        *,
        k: int = 5,
        doc_ids: Collection[str] | None = None,
        pages: Collection[int] | None = None,
    ) -> list[Hit]: ...
