"""chatocr: talk to documents.  OCR, parsing, retrieval and key-information extraction."""

from __future__ import annotations

import logging

from .errors import (
    ChatOCRError,
    DocumentTooLarge,
    EncryptedDocument,
    InferenceError,
    InputError,
    ModelError,
    ModelNotFound,
    PageOutOfRange,
    UnreadableDocument,
    UnsupportedFormat,
)
from .options import OCROptions
from .types import OCRPage, OCRResult, TextLine, Word

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str):
    # The OCR engine pulls in OpenCV and ONNX Runtime: import it on first use.
    if name == "OCREngine":
        from .ocr import OCREngine

        return OCREngine
    if name in ("ChatOCR", "AgentOptions"):
        from . import agent

        return getattr(agent, name)
    if name in ("DocumentParser", "Document"):
        from .document import Document
        from .structure import DocumentParser

        return {"DocumentParser": DocumentParser, "Document": Document}[name]
    raise AttributeError(f"module 'chatocr' has no attribute {name!r}")


__all__ = [
    "AgentOptions",
    "ChatOCR",
    "ChatOCRError",
    "Document",
    "DocumentParser",
    "DocumentTooLarge",
    "EncryptedDocument",
    "InferenceError",
    "InputError",
    "ModelError",
    "ModelNotFound",
    "OCREngine",
    "OCROptions",
    "OCRPage",
    "OCRResult",
    "PageOutOfRange",
    "TextLine",
    "UnreadableDocument",
    "UnsupportedFormat",
    "Word",
]
