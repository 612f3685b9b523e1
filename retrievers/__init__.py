"""Retrievers over chatocr's hybrid index, and LangChain adapters.

Installed as ``chatocr.retrievers``.  ``chatocr`` itself never imports this
package; the LangChain adapters (``ChatOCRRetriever``, ``ChatOCRLoader``) import
``langchain_core`` on first use.
"""

from __future__ import annotations

from .hybrid import BM25Retriever, HybridRetriever, IndexRetriever, VectorRetriever

__all__ = [
    "BM25Retriever",
    "ChatOCRLoader",
    "ChatOCRRetriever",
    "HybridRetriever",
    "IndexRetriever",
    "VectorRetriever",
    "hits_to_documents",
]

_LANGCHAIN = ("ChatOCRLoader", "ChatOCRRetriever", "hits_to_documents")


def __getattr__(name: str):
    if name in _LANGCHAIN:
        from . import langchain

        return getattr(langchain, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
