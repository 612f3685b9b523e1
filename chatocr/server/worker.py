"""Parsing and OCR in worker processes: the OCR models live there, the server's event loop and GIL stay free.

A job marks its document ``parsing`` (counting the attempt), reports page
progress straight into SQLite, and leaves the parsed document in the
``DocumentCache`` (written atomically).  It returns a plain dict, never raises:
an error goes into the document's row by type and reason, the upload's path
replaced by the name the client gave the file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = ["init_worker", "ocr_job", "parse_job"]

_PARSER = None
_STORES: dict[str, object] = {}


def init_worker(parser_options_json: str, threads: int | None = None) -> None:
    """Process initializer: one ``DocumentParser`` per worker, models loaded on its first page."""
    global _PARSER
    from ..options import ParserOptions
    from ..structure import DocumentParser

    options = ParserOptions.model_validate_json(parser_options_json)
    if threads:  # the server's share of the cores; the other engine settings stay the user's
        engine = options.ocr.engine.model_copy(update={"threads": threads})
        options = options.model_copy(update={"ocr": options.ocr.model_copy(update={"engine": engine})})
    _PARSER = DocumentParser(options)


def _store(db: str):
    from .store import MetadataStore

    store = _STORES.get(db)
    if store is None:
        store = _STORES[db] = MetadataStore(Path(db))
    return store


def parse_job(db: str, cache_root: str, doc_id: str, upload: str) -> dict:
    """Parse one queued document.  ``{"pages": n}``, ``{"skipped": reason}`` or ``{"error": …, "reason": …}``."""
    from ..errors import ChatOCRError, InputError
    from ..structure import DocumentCache

    store = _store(db)
    rec = store.update(doc_id, only_if=("queued",), status="parsing", done=0, error=None, attempts_plus=True)
    if rec is None:
        return {"skipped": "not queued (deleted meanwhile?)"}
    attempt = rec.attempts

    def progress(done: int, total: int) -> None:
        # Only this attempt's row: a job orphaned by a killed server must not touch its re-queued successor.
        cur = store.get(doc_id)
        if cur is not None and cur.status == "parsing" and cur.attempts == attempt:
            store.update(doc_id, only_if=("parsing",), done=done)

    try:
        if _PARSER is None:  # pragma: no cover - the pool always runs init_worker
            raise RuntimeError("worker not initialised")
        doc = DocumentCache(Path(cache_root)).parse(_PARSER, upload, progress=progress)
        return {"pages": len(doc.pages), "attempt": attempt}
    except InputError as e:
        return {"error": type(e).__name__, "reason": e.reason, "attempt": attempt}
    except ChatOCRError as e:
        return {"error": type(e).__name__, "reason": str(e).replace(upload, os.path.basename(upload)),
                "attempt": attempt}
    except Exception as e:  # reported as the document's error; the traceback goes to the server's log
        log.exception("parsing %s failed", doc_id)
        return {"error": "InternalError", "reason": f"the parser failed ({type(e).__name__})", "attempt": attempt}


def ocr_job(upload: str, name: str, settings: list[str], words: bool = False) -> dict:
    """Read one uploaded file (``POST /v1/ocr``) with the parser's OCR models and the OCR options'
    ``KEY=VALUE`` ``settings`` (``chatocr ocr --set``; checked by the server before).
    ``{"model": …, "pages": [...]}``, the pages as ``chatocr ocr --json`` prints them, or
    ``{"error": …, "reason": …}`` (never raises, as ``parse_job``)."""
    from ..errors import ChatOCRError, InputError
    from ..options import with_settings

    try:
        if _PARSER is None:  # pragma: no cover - the pool always runs init_worker
            raise RuntimeError("worker not initialised")
        base = _PARSER.ocr
        try:
            engine = base.with_options(with_settings(base.options, settings)) if settings else base
        except ValueError as e:  # settings the worker's options refuse (the server checked them on its own)
            return {"error": "BadRequest", "reason": str(e)}
        pages = [page.to_dict(words=words) for page in engine.iter_pages(upload)]
        return {"model": engine.model_name, "pages": pages}
    except InputError as e:
        return {"error": type(e).__name__, "reason": e.reason}
    except ChatOCRError as e:
        return {"error": type(e).__name__, "reason": str(e).replace(upload, name)}
    except Exception as e:
        log.exception("reading %s failed", name)
        return {"error": "InternalError", "reason": f"the OCR failed ({type(e).__name__})"}
