"""Parsed documents cached on disk by the content hash of their input.

Layout: ``ROOT/<sha[:2]>/<sha>/document-<options digest>.json``.  The folder
per input is where the layers above keep what belongs to the document (its
retrieval index), so deleting the folder forgets the document entirely.

Writes are atomic (temporary file + rename): a crash never leaves a half-written
document, and a file that does not load (truncated by hand, older schema) is
treated as missing and parsed again.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from .._cache import default_cache_dir
from ..document import SCHEMA_VERSION, Document

log = logging.getLogger(__name__)

__all__ = ["DocumentCache", "default_cache_dir"]


class DocumentCache:
    """Parsed documents on disk, keyed by input SHA-256 and the parser's options and release."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir() / "documents"

    def folder(self, sha256: str) -> Path:
        """The folder that holds everything cached for one input."""
        if len(sha256) < 16 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def path(self, sha256: str, digest: str) -> Path:
        return self.folder(sha256) / f"document-{digest}-v{SCHEMA_VERSION}.json"

    def get(self, sha256: str, digest: str) -> Document | None:
        p = self.path(sha256, digest)
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            log.warning("cache: cannot read %s (%s); parsing again", p, e)
            return None
        try:
            return Document.from_json(data)
        except ValueError as e:
            log.warning("cache: %s does not load (%s); parsing again", p, str(e).splitlines()[0])
            return None

    def put(self, doc: Document, digest: str) -> Path:
        p = self.path(doc.sha256, digest)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=p.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(doc.to_json().encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return p

    def parse(self, parser, source, *, progress=None) -> Document:
        """``parser.parse(source)``, or the cached result of an earlier parse of the same bytes."""
        from .parser import source_digest

        read = source_digest(source)
        digest = parser.options_digest()
        doc = self.get(read[0], digest)
        if doc is not None:
            log.debug("cache hit for %s", read[0][:16])
            return doc
        parse_read = getattr(parser, "parse_read", None)  # the bytes already read, not read again
        doc = parse_read(source, read, progress=progress) if parse_read else parser.parse(source, progress=progress)
        self.put(doc, digest)
        return doc
