"""``DocumentService``: uploads, background parsing, page images, questions and chat sessions, plain OCR.

Everything the HTTP layer needs, without HTTP: the FastAPI app (``app.py``)
only translates requests and errors.  Parsing runs in worker processes
(``worker.py``); questions run on one shared ``ChatOCR`` in the caller's
thread: one at a time with the built-in engine (it keeps per-document state),
per document with an LLM.  PyMuPDF (page images) never runs on two threads.
"""

from __future__ import annotations

import builtins
import functools
import hashlib
import logging
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
from collections import OrderedDict, deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import (
    ChatOCRError,
    DocumentTooLarge,
    EncryptedDocument,
    InputError,
    PageOutOfRange,
    UnreadableDocument,
    UnsupportedFormat,
)
from .settings import ServerOptions
from .store import DocumentRecord, MetadataStore, valid_id

if TYPE_CHECKING:
    from ..agent import ChatSession

log = logging.getLogger(__name__)

__all__ = [
    "DocumentService",
    "ServiceError",
    "DocumentNotFound",
    "DocumentNotReady",
    "PageNotFound",
    "SessionNotFound",
    "ServiceBusy",
    "BadRequest",
    "OCRFailed",
    "Upload",
]


# -- errors of the service (the HTTP layer maps each to a status) ------------------------------

class ServiceError(ChatOCRError):
    """A request the service cannot serve; ``status`` is the HTTP status it maps to."""

    status = 500


class BadRequest(ServiceError, ValueError):
    status = 400


class DocumentNotFound(ServiceError, LookupError):
    status = 404

    def __init__(self, doc_id: str) -> None:
        super().__init__(f"no document with id {doc_id!r}" if valid_id(doc_id) else
                         f"{doc_id[:40]!r} is not a document id (16 hexadecimal digits)")


class PageNotFound(ServiceError, LookupError):
    status = 404


class SessionNotFound(ServiceError, LookupError):
    status = 404


class DocumentNotReady(ServiceError):
    status = 409


class ServiceBusy(ServiceError):
    status = 503


class OCRFailed(ServiceError):
    """The OCR of an upload failed for a reason other than the file (a model, the process)."""

    status = 500


# -- uploads -------------------------------------------------------------------------------------

_NAME_JUNK = re.compile(r"[\x00-\x1f\x7f]")


def clean_name(name: str | None) -> str:
    """A client's file name for display and messages only (never a path): last component, no control chars."""
    name = _NAME_JUNK.sub("", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:200] or "upload"


def _describe(head: bytes) -> str:
    if head[:4] == b"PK\x03\x04":
        return "a ZIP archive"
    if head[:5].lower() in (b"<!doc", b"<html"):
        return "HTML"
    return repr(head[:8])


class Upload:
    """An upload being received: streamed into a temporary file and hashed; refused past the size limit."""

    def __init__(self, tmp_dir: Path, limit: int, name: str) -> None:
        self.name = clean_name(name)
        self.limit = limit
        self.max_bytes = limit
        self.size = 0
        self.head = b""
        self._sha = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(prefix="upload-", dir=tmp_dir)
        self.path = Path(tmp)
        self._file = os.fdopen(fd, "wb")

    def rename(self, name: str | None) -> None:
        self.name = clean_name(name)

    def refuse(self) -> None:
        """The request declared a body over the limit: refuse at the first byte of file data (its name known)."""
        self.limit = -1

    def write(self, data: bytes) -> None:
        if self.size + len(data) > self.limit:
            if self.limit < 0:
                self.discard()
                raise DocumentTooLarge(self.name, f"upload is over the limit of {_mb(self.max_bytes)}")
            self.discard()
            raise DocumentTooLarge(self.name, f"upload is over the limit of {_mb(self.limit)}")
        if len(self.head) < 1024:
            self.head += data[: 1024 - len(self.head)]
        self._sha.update(data)
        self._file.write(data)
        self.size += len(data)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


# the input errors an OCR job reports by name, raised again in the server with the client's file name
_INPUT_ERRORS: dict[str, type[InputError]] = {
    c.__name__: c for c in (InputError, UnreadableDocument, UnsupportedFormat, EncryptedDocument, DocumentTooLarge,
                            PageOutOfRange)
}


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.3g} MB" if n >= 10 * 1024 else f"{n} bytes"


# -- the service ---------------------------------------------------------------------------------

class DocumentService:
    """Documents on disk with their metadata, a parse queue, and one agent to question them."""

    def __init__(self, options: ServerOptions | None = None, *, agent=None) -> None:
        self.options = options or ServerOptions()
        root = Path(self.options.data_dir).expanduser()
        self.root = root
        self.uploads = root / "uploads"
        self.tmp = root / "tmp"
        self.cache_root = root / "documents"
        self._agent = agent
        self._store: MetadataStore | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._futures: dict[str, Future] = {}
        # parse jobs wait here, not in the pool, so that a plain OCR request goes before them:
        # at most parse_workers of them are in the pool at a time
        self._waiting: deque[tuple[DocumentRecord, Future]] = deque()
        self._in_pool = 0
        self._gate = threading.Lock()
        self._breaks: dict[str, int] = {}
        self._lock = threading.Lock()  # the built-in engine keeps per-document state: one call at a time
        self._doc_locks: dict[str, threading.Lock] = {}  # with an LLM: one call at a time per document
        self._pdf_lock = threading.Lock()  # PyMuPDF must not run on two threads at once
        self._docs: OrderedDict[str, object] = OrderedDict()
        self._docs_lock = threading.Lock()
        self._sessions: OrderedDict[str, tuple[str, ChatSession]] = OrderedDict()
        self._sessions_lock = threading.Lock()
        self._closed = False

    # -- life cycle --------------------------------------------------------------------------
    @property
    def agent(self):
        if self._agent is None:
            from ..agent import ChatOCR

            self._agent = ChatOCR(self.options.llm, cache_dir=str(self.root))
        return self._agent

    @property
    def started(self) -> bool:
        return self._store is not None

    @property
    def store(self) -> MetadataStore:
        if self._store is None:
            raise RuntimeError("DocumentService.start() was not called")
        return self._store

    def start(self) -> DocumentService:
        """Create the folders, check the LLM backend, and re-queue what a stopped server left unfinished."""
        for d in (self.uploads, self.tmp, self.cache_root):
            d.mkdir(parents=True, exist_ok=True)
        for stale in self.tmp.iterdir():  # uploads cut off by a stop
            stale.unlink(missing_ok=True) if stale.is_file() else shutil.rmtree(stale, ignore_errors=True)
        _ = self.agent.client  # a bad spec or a missing key fails here, at start-up, not on the first question
        self._store = MetadataStore(self.root / "chatocr.sqlite3")
        self._recover()
        return self

    def close(self) -> None:
        self._closed = True
        with self._gate:
            waiting, self._waiting = list(self._waiting), deque()
        for _, fut in waiting:
            fut.cancel()
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            procs = list(getattr(pool, "_processes", {}).values())  # running parses end with the server
            pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:
                p.terminate()
            for p in procs:
                p.join(timeout=5)
        if self._store is not None:
            self._store.close()

    def _recover(self) -> None:
        for rec in self.store.all():
            if rec.status not in ("queued", "parsing"):
                continue
            if not self.upload_path(rec).is_file():
                self.store.update(rec.id, status="failed", error=f"{rec.name}: the uploaded file is missing; "
                                                                  "delete the document and upload it again")
            elif rec.attempts >= self.options.max_interrupted:
                self.store.update(rec.id, status="failed", error=(
                    f"{rec.name}: parsing was interrupted {rec.attempts} times by a server stop; "
                    "delete the document and upload it again to retry"))
            else:
                log.info("re-queueing %s (%s), left %s by a stopped server", rec.id, rec.name, rec.status)
                queued = self.store.update(rec.id, status="queued", done=0)
                if queued is not None:
                    self._submit(queued)

    # -- files -------------------------------------------------------------------------------
    def folder(self, doc_id: str) -> Path:
        if not valid_id(doc_id):  # ids are the only client text that ever names a file
            raise DocumentNotFound(doc_id)
        return self.uploads / doc_id

    def upload_path(self, rec: DocumentRecord) -> Path:
        return self.folder(rec.id) / f"upload.{rec.format}"

    # -- documents ---------------------------------------------------------------------------
    def get(self, doc_id: str) -> DocumentRecord:
        rec = self.store.get(doc_id) if valid_id(doc_id) else None
        if rec is None:
            raise DocumentNotFound(doc_id)
        return rec

    def list(self) -> builtins.list[DocumentRecord]:
        return self.store.all()

    def begin_upload(self, name: str | None = None) -> Upload:
        if self.store.count("queued") >= self.options.max_queued:
            raise ServiceBusy(f"{self.options.max_queued} documents are waiting to be parsed; try again later")
        return Upload(self.tmp, self.options.max_upload_bytes, name or "upload")

    def add(self, upload: Upload) -> tuple[DocumentRecord, bool]:
        """Check a received upload and queue it; (record, True when new).  The same bytes twice: one document."""
        upload.close()
        try:
            return self._add(upload)
        finally:
            upload.discard()

    def _check(self, upload: Upload) -> str:
        """The format of a received upload; a typed error if it is empty or not accepted."""
        from ..io import detect_format

        name = upload.name
        if upload.size == 0:
            raise UnreadableDocument(name, "file is empty (0 bytes)")
        fmt = detect_format(upload.head)
        accepted = ", ".join(f.upper() for f in self.options.formats)
        if fmt is None:
            raise UnsupportedFormat(name, f"not a PDF or an image ({accepted}): content starts with "
                                          f"{_describe(upload.head)}")
        if fmt not in self.options.formats:
            raise UnsupportedFormat(name, f"{fmt.upper()} is not accepted here; send one of {accepted}")
        return fmt

    def _add(self, upload: Upload) -> tuple[DocumentRecord, bool]:
        name = upload.name
        fmt = self._check(upload)
        sha = upload.sha256
        doc_id = sha[:16]
        existing = self.store.get(doc_id)
        if existing is not None and existing.sha256 != sha:
            raise BadRequest(f"{name}: another document has the same id {doc_id}; rename nothing, report this")
        if existing is not None and existing.status != "failed":
            return existing, False
        pages = self._count_pages(upload.path, name)
        folder = self.folder(doc_id)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"upload.{fmt}"
        os.replace(upload.path, target)
        if existing is not None:  # failed before: try again
            rec = self.store.update(doc_id, status="queued", done=0, error=None, attempts=0, pages=pages)
            created = rec is not None
        else:
            rec, created = self.store.add(DocumentRecord(
                id=doc_id, sha256=sha, name=name, format=fmt, size=upload.size, status="queued", pages=pages))
        if rec is None:  # deleted in between
            raise DocumentNotFound(doc_id)
        if created:
            self._submit(rec)
        return rec, created

    def _count_pages(self, path: Path, name: str) -> int:
        from ..io import page_count
        from ..options import LoaderOptions

        try:
            with self._pdf_lock:
                return page_count(path, LoaderOptions(max_pages=self.options.max_pages))
        except InputError as e:  # the message names the client's file, never the server's path
            raise type(e)(name, e.reason) from None

    def delete(self, doc_id: str) -> None:
        rec = self.get(doc_id)
        self.store.delete(doc_id)
        fut = self._futures.pop(doc_id, None)
        if fut is not None:
            fut.cancel()
        with self._docs_lock:
            self._docs.pop(doc_id, None)
        if self._agent is not None:
            self._agent.forget(doc_id)
        with self._sessions_lock:
            for sid in [s for s, (d, _) in self._sessions.items() if d == doc_id]:
                del self._sessions[sid]
        self._remove_files(rec)

    def _remove_files(self, rec: DocumentRecord) -> None:
        from ..structure import DocumentCache

        shutil.rmtree(self.folder(rec.id), ignore_errors=True)
        shutil.rmtree(DocumentCache(self.cache_root).folder(rec.sha256), ignore_errors=True)

    # -- plain OCR ---------------------------------------------------------------------------
    def ocr(self, upload: Upload, settings: builtins.list[str] | None = None, *, words: bool = False) -> dict:
        """The text of a received upload with its boxes, read now and not kept (``POST /v1/ocr``):
        ``{"name", "model", "pages"}``, the pages as ``chatocr ocr --json`` prints them, with the OCR
        options' ``KEY=VALUE`` ``settings`` (``chatocr ocr --set``; see :meth:`check_ocr_settings`).
        It runs in a parser process as soon as one is free, before the parses waiting for one; the
        upload is removed."""
        upload.close()
        try:
            name = upload.name
            self._check(upload)
            self._count_pages(upload.path, name)
            if self._closed:
                raise ServiceBusy("the service is stopping")
            from .worker import ocr_job

            try:
                res = self._executor().submit(ocr_job, str(upload.path), name, list(settings or ()), words).result()
            except BrokenProcessPool:
                with self._pool_lock:
                    if self._pool is not None and getattr(self._pool, "_broken", False):
                        self._pool = None
                raise OCRFailed(f"{name}: the OCR process stopped unexpectedly or could not start (out of memory? a "
                                "script that starts the service needs the `if __name__ == '__main__':` guard); "
                                "see the server log") from None
        finally:
            upload.discard()
        if "error" in res:
            kind = _INPUT_ERRORS.get(res["error"])
            if kind is not None:
                raise kind(name, res["reason"])
            if res["error"] == "BadRequest":
                raise BadRequest(f"set: {res['reason']}")
            raise OCRFailed(f"{name}: {res['reason']}")
        return {"name": name, **res}

    def check_ocr_settings(self, settings: builtins.list[str]) -> None:
        """``BadRequest`` for ``POST /v1/ocr``'s ``set`` values the OCR options refuse, or that would
        change the model or the engine (the workers keep theirs loaded), before anything is read."""
        from ..options import with_settings

        base = self.agent.options.parser.ocr
        try:
            changed = with_settings(base, settings)
        except ValueError as e:
            raise BadRequest(f"set: {e}") from None
        if changed.model != base.model or changed.engine != base.engine:
            raise BadRequest("set: the model and the engine settings are the server's (chatocr serve); "
                             "set detection, recognition and loading options")

    # -- parsing -----------------------------------------------------------------------------
    def _executor(self) -> ProcessPoolExecutor:
        with self._pool_lock:
            if self._closed:  # no new pool for a job that raced the service's close
                raise ServiceBusy("the service is stopping")
            if self._pool is None:
                import multiprocessing

                from .worker import init_worker

                threads = max(1, (os.cpu_count() or 1) // self.options.parse_workers)
                extra = {"max_tasks_per_child": 200} if sys.version_info >= (3, 11) else {}  # bounds slow leaks
                self._pool = ProcessPoolExecutor(
                    max_workers=self.options.parse_workers,
                    mp_context=multiprocessing.get_context("spawn"),  # never fork a threaded server
                    initializer=init_worker,
                    initargs=(self.agent.options.parser.model_dump_json(), min(threads, 4)),
                    **extra,
                )
            return self._pool

    def _submit(self, rec: DocumentRecord) -> None:
        """Queue a parse job: its future now (``wait``, ``delete``), its place in the pool when one of
        ``parse_workers`` is free (``_dispatch``)."""
        if self._closed:
            return
        fut: Future = Future()
        self._futures[rec.id] = fut
        fut.add_done_callback(functools.partial(self._finished, rec))
        with self._gate:
            self._waiting.append((rec, fut))
        self._dispatch()

    def _dispatch(self) -> None:
        """Hand waiting parse jobs to the pool while fewer than ``parse_workers`` are in it."""
        from .worker import parse_job

        while True:
            with self._gate:
                if self._closed or self._in_pool >= self.options.parse_workers or not self._waiting:
                    return
                rec, fut = self._waiting.popleft()
                self._in_pool += 1
            if not fut.set_running_or_notify_cancel():  # deleted while it waited
                with self._gate:
                    self._in_pool -= 1
                continue
            try:
                job = self._executor().submit(parse_job, str(self.store.path), str(self.cache_root), rec.id,
                                              str(self.upload_path(rec)))
            except Exception as e:  # noqa: BLE001 - a broken or closed pool: the job's future says so
                with self._gate:
                    self._in_pool -= 1
                fut.set_exception(e)
                continue
            job.add_done_callback(functools.partial(self._relay, fut))

    def _relay(self, fut: Future, job: Future) -> None:
        """A parse job left the pool: its outcome to the job's future, and the next one in."""
        with self._gate:
            self._in_pool -= 1
        if job.cancelled():  # the pool shut down with the service
            fut.set_exception(RuntimeError("the service stopped"))
        elif job.exception() is not None:
            fut.set_exception(job.exception())
        else:
            fut.set_result(job.result())
        self._dispatch()

    def _finished(self, submitted: DocumentRecord, fut: Future) -> None:
        doc_id = submitted.id
        if self._futures.get(doc_id) is fut:
            del self._futures[doc_id]
        if fut.cancelled() or self._closed:
            return
        rec = self.store.get(doc_id)
        if rec is None:  # deleted while parsing: forget what the parse wrote
            self._remove_files(submitted)
            return
        exc = fut.exception()
        if exc is not None:
            if isinstance(exc, BrokenProcessPool):
                with self._pool_lock:
                    if self._pool is not None and getattr(self._pool, "_broken", False):
                        self._pool = None
                self._breaks[doc_id] = self._breaks.get(doc_id, 0) + 1
                if rec.status == "queued" and self._breaks[doc_id] < 3:  # was waiting behind the one that broke
                    self._submit(rec)
                    return
                self._breaks.pop(doc_id, None)
                if rec.status == "queued":
                    self.store.update(doc_id, status="failed", error=(
                        f"{rec.name}: the parser process could not start (a script that starts the service "
                        "needs the `if __name__ == '__main__':` guard); see the server log"))
                    return
                self.store.update(doc_id, status="failed", error=(
                    f"{rec.name}: the parser process stopped unexpectedly (out of memory?)"))
            else:
                log.error("parsing %s failed: %r", doc_id, exc)
                self.store.update(doc_id, status="failed", error=f"{rec.name}: the parser failed ({type(exc).__name__})")
            return
        res = fut.result()
        if "skipped" in res:
            return
        if "error" in res:
            self.store.update(doc_id, only_if=("parsing",), status="failed", error=f"{rec.name}: {res['reason']}")
        else:
            self.store.update(doc_id, only_if=("parsing",), status="ready", pages=res["pages"], done=res["pages"])
        if self.store.get(doc_id) is None:
            self._remove_files(rec)

    def wait(self, doc_id: str, timeout: float | None = None) -> DocumentRecord:
        """Block until the document's current parse job ends (for scripts and tests); its record."""
        fut = self._futures.get(doc_id)
        if fut is not None:
            try:
                fut.result(timeout=timeout)
            except Exception:  # noqa: BLE001 - the record says what happened
                pass
        return self.get(doc_id)

    # -- parsed documents --------------------------------------------------------------------
    def document(self, doc_id: str):
        """The parsed ``Document`` (named as uploaded); ``DocumentNotReady`` until parsing is done."""
        rec = self.get(doc_id)
        if rec.status != "ready":
            raise DocumentNotReady(_not_ready(rec))
        with self._docs_lock:
            doc = self._docs.get(doc_id)
            if doc is not None:
                self._docs.move_to_end(doc_id)
                return doc
        with self._pdf_lock:  # read from the cache the worker wrote (parsed again only if it was removed)
            doc = self.agent.parse(self.upload_path(rec))
        doc = doc.model_copy(update={"name": rec.name})
        with self._docs_lock:
            self._docs[doc_id] = doc
            while len(self._docs) > self.options.max_open_documents:
                self._docs.popitem(last=False)
        return doc

    def _agent_lock(self, doc_id: str) -> threading.Lock:
        """The built-in engine: one global lock (it caches a view of the last document).  An LLM backend
        waits on the network: calls on different documents run side by side, on one document in turn (its
        retrieval index is built once, its chat history grows in order)."""
        if self.agent.client is None:
            return self._lock
        with self._docs_lock:
            lock = self._doc_locks.get(doc_id)
            if lock is None:
                if len(self._doc_locks) > 4 * self.options.max_open_documents:
                    self._doc_locks = {k: v for k, v in self._doc_locks.items() if v.locked()}
                lock = self._doc_locks[doc_id] = threading.Lock()
            return lock

    def extract(self, doc_id: str, keys: builtins.list[str]) -> dict:
        doc = self.document(doc_id)
        with self._agent_lock(doc_id):
            return self.agent.extract(doc, keys).to_dict()

    def ask(self, doc_id: str, question: str) -> dict:
        doc = self.document(doc_id)
        with self._agent_lock(doc_id):
            return self.agent.ask(doc, question).to_dict()

    def chat(self, doc_id: str, message: str, session: str | None = None) -> dict:
        """One turn of a conversation; a new session when ``session`` is None.  ``{session, answer, evidence}``."""
        doc = self.document(doc_id)
        entry: tuple[str, ChatSession] | None
        with self._sessions_lock:
            if session is None:
                session = secrets.token_hex(16)
                entry = (doc_id, self.agent.chat(doc))
                self._sessions[session] = entry
                while len(self._sessions) > self.options.max_sessions:
                    self._sessions.popitem(last=False)
            else:
                entry = self._sessions.get(session) if re.fullmatch(r"[0-9a-f]{32}", session) else None
                if entry is None or entry[0] != doc_id:
                    raise SessionNotFound(f"no chat session {session[:40]!r} for document {doc_id}; "
                                          "leave 'session' out to start a new one")
                self._sessions.move_to_end(session)
        chat = entry[1]
        with self._agent_lock(doc_id):
            ans = chat.ask(message)
            del chat.history[:-50]  # a long conversation keeps its last 50 turns
        return {"session": session, **ans.to_dict()}

    # -- page images -------------------------------------------------------------------------
    def page_png(self, doc_id: str, page: int, *, overlay: bool = False) -> Path:
        """A PNG of page ``page`` (1-based), with the parsed regions drawn when ``overlay``; cached on disk."""
        rec = self.get(doc_id)
        if rec.pages is None or not 1 <= page <= rec.pages:
            raise PageNotFound(f"document {doc_id} has no page {page} (pages: 1 to {rec.pages or 0})")
        doc = self.document(doc_id) if overlay else None
        path = self.folder(doc_id) / (f"page-{page}-regions.png" if overlay else f"page-{page}.png")
        if path.is_file():
            return path
        with self._pdf_lock:
            image = self._render(rec, page)
        if doc is not None:
            from ..structure.visualize import draw_page

            image = draw_page(doc.page(page), image)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                image.save(f, format="PNG", optimize=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    # -- searchable PDF ----------------------------------------------------------------------
    def searchable_pdf(self, doc_id: str) -> Path:
        """The document as a searchable PDF (its pages with the text read laid over them, invisible;
        see ``chatocr.io.searchable``), made from the parsed document once and kept on disk."""
        doc = self.document(doc_id)
        rec = self.get(doc_id)
        path = self.folder(doc_id) / "searchable.pdf"
        if path.is_file():
            return path
        from ..io.searchable import SearchablePDF

        with self._pdf_lock:
            if not path.is_file():
                # the pages as they were parsed
                SearchablePDF.of_document(self.upload_path(rec), doc.pages, self.agent.options.parser.ocr.loader).save(path)
        return path

    def _render(self, rec: DocumentRecord, page: int):
        from PIL import Image

        from ..io import image_pages, open_pdf, render_pdf_page
        from ..options import LoaderOptions

        data = self.upload_path(rec).read_bytes()
        # a preview: shown at 2,000 pixels at most, so read no larger
        options = LoaderOptions(
            dpi=self.options.page_dpi, max_pages=self.options.max_pages, max_side=2000, min_side=None
        )
        try:
            if rec.format == "pdf":
                with open_pdf(data, rec.name, options) as pdf:
                    img = render_pdf_page(pdf, page - 1, rec.name, options)
            else:
                img = next(p for p in image_pages(data, rec.name, rec.format, options) if p.page == page)
        except StopIteration:
            raise PageNotFound(f"document {rec.id} has no page {page}") from None
        im = Image.fromarray(img.image[:, :, ::-1])
        if max(im.size) > 2000:
            im.thumbnail((2000, 2000))
        return im


def _not_ready(rec: DocumentRecord) -> str:
    if rec.status == "failed":
        return f"document {rec.id} could not be parsed: {rec.error}"
    return f"document {rec.id} is {rec.status} ({rec.done} of {rec.pages} pages done); poll GET /v1/documents/{rec.id}"
