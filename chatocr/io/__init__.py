"""Reading documents: bytes, paths or arrays in, page images out."""

from .loader import (
    NamedBytes,
    PageImage,
    Source,
    detect_format,
    image_pages,
    iter_pages,
    open_pdf,
    page_count,
    read_source,
    render_pdf_page,
    selected_pages,
)

__all__ = [
    "NamedBytes",
    "PageImage",
    "Source",
    "detect_format",
    "image_pages",
    "iter_pages",
    "open_pdf",
    "page_count",
    "read_source",
    "render_pdf_page",
    "selected_pages",
]
