"""Reading documents: bytes, paths or arrays in, page images out."""

from .loader import PageImage, Source, detect_format, iter_pages, page_count

__all__ = ["PageImage", "Source", "detect_format", "iter_pages", "page_count"]
