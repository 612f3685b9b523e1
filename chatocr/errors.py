"""Every exception chatocr raises.

One small hierarchy: catch ``ChatOCRError`` for all of them, or a narrower
class.  Messages are one line, name the input, say what went wrong and, where
there is one, the fix.
"""

from __future__ import annotations

from os import PathLike

__all__ = [
    "ChatOCRError",
    "InputError",
    "UnreadableDocument",
    "UnsupportedFormat",
    "EncryptedDocument",
    "DocumentTooLarge",
    "ModelError",
    "ModelNotFound",
    "InferenceError",
    "IndexNotFound",
    "IndexMismatch",
    "IndexCorrupt",
    "EmbeddingError",
    "EmbeddingUnavailable",
]


def _name(source: object) -> str:
    if isinstance(source, (str, PathLike)):
        return str(source)
    if source is None:
        return "<input>"
    return f"<{type(source).__name__}>"


class ChatOCRError(Exception):
    """Base class of every error raised by chatocr."""


class InputError(ChatOCRError, ValueError):
    """The input document cannot be used.  ``source`` names it."""

    def __init__(self, source: object, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{_name(source)}: {reason}")


class UnreadableDocument(InputError):
    """Missing, empty, truncated or corrupt file."""


class UnsupportedFormat(InputError):
    """The content is not a format chatocr reads (checked by content, not name)."""


class EncryptedDocument(InputError):
    """A password-protected PDF opened without (the right) password."""


class DocumentTooLarge(InputError):
    """An image above the pixel limit (decompression bombs) or too many pages."""


class ModelError(ChatOCRError):
    """A model cannot be found, loaded or run."""


class ModelNotFound(ModelError, FileNotFoundError):
    """An unknown model name, or model files that are not installed."""


class InferenceError(ModelError, RuntimeError):
    """A model failed while running on valid input."""


class IndexNotFound(ChatOCRError, FileNotFoundError):
    """No saved retrieval index in the given directory."""


class IndexMismatch(ChatOCRError, ValueError):
    """A saved index was built with another embedding model (name, dimension or fingerprint) or format."""


class IndexCorrupt(ChatOCRError, ValueError):
    """A saved index whose files are missing, truncated or inconsistent with its manifest."""


class EmbeddingError(ChatOCRError, RuntimeError):
    """An embedding model or endpoint failed, or returned vectors of the wrong shape."""


class EmbeddingUnavailable(EmbeddingError, ImportError):
    """The embedding backend cannot run here (PyTorch or transformers not installed)."""
