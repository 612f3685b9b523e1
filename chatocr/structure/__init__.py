"""Document structure: layout regions, tables, reading order and the document parser."""

from .cache import DocumentCache, default_cache_dir
from .parser import DocumentParser, parse, source_digest

__all__ = ["DocumentCache", "DocumentParser", "default_cache_dir", "parse", "source_digest"]
