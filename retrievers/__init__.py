"""Retrievers over chatocr's hybrid index, and LangChain adapters.

Installed as ``chatocr.retrievers``.  ``chatocr`` itself never imports this
package; the LangChain adapters (``ChatOCRRetriever``, ``ChatOCRLoader``) and the
agent tool (``ChatOCRTool``, ``document_qa``) import ``langchain_core`` on first use.
"""

from __future__ import annotations

from .hybrid import BM25Retriever, HybridRetriever, IndexRetriever, VectorRetriever

__all__ = [
    "BM25Retriever",
    "ChatOCRLoader",
    "ChatOCRRetriever",
    "ChatOCRTool",
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
    if name == "ChatOCRTool":
        from .tool import ChatOCRTool

        return ChatOCRTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
