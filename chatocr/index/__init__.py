"""Retrieval: layout-aware chunking, offline embeddings, and a FAISS + BM25 hybrid index that persists.

The heavy parts (PyTorch, transformers, FAISS, bm25s) are imported on first use.
"""

from __future__ import annotations

from .base import Hit, Retriever
from .chunking import DEFAULT_MIN_CHARACTERS, Chunk, Chunker, ChunkOptions, LineBox, chunk_document, should_retrieve
from .embedding import (
    DEFAULT_EMBEDDING_MODEL,
    EMBEDDING_MODELS,
    TORCH_INSTALL,
    Embedder,
    EmbeddingCache,
    EmbeddingOptions,
    OpenAIEmbedder,
    TransformersEmbedder,
    load_embedder,
)
from .hybrid import HybridIndex, IndexOptions
from .tokenize import bm25_terms, count_tokens

__all__ = [
    "Chunk",
    "ChunkOptions",
    "Chunker",
    "DEFAULT_EMBEDDING_MODEL",
    "DEFAULT_MIN_CHARACTERS",
    "EMBEDDING_MODELS",
    "Embedder",
    "EmbeddingCache",
    "EmbeddingOptions",
    "Hit",
    "HybridIndex",
    "IndexOptions",
    "LineBox",
    "OpenAIEmbedder",
    "Retriever",
    "TORCH_INSTALL",
    "TransformersEmbedder",
    "bm25_terms",
    "chunk_document",
    "count_tokens",
    "load_embedder",
    "should_retrieve",
]
