"""The OCR core: PP-OCR text detection, line orientation and recognition."""

from .pipeline import OCREngine, PageLines

__all__ = ["OCREngine", "PageLines"]
