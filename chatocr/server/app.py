"""The FastAPI app: routes that translate HTTP to ``DocumentService`` calls, and errors to typed JSON.

Every error is ``{"error": {"type": ..., "message": ...}}`` with a one-line
message.  CPU work (checking uploads, page images, questions) runs in worker
threads, parsing in worker processes: the event loop only moves bytes.
"""

from __future__ import annotations

import functools
import hmac
import logging
import re
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import (
    ChatOCRError,
    DocumentTooLarge,
    EncryptedDocument,
    InputError,
    LLMError,
    LLMTimeout,
    LLMUnavailable,
    UnsupportedFormat,
)
from ..options import parse_pages
from .schemas import (
    AskRequest,
    AskResponse,
    ChatRequest,
    ChatResponse,
    DocumentList,
    DocumentStatus,
    ErrorResponse,
    ExtractRequest,
    ExtractResponse,
    OCRResponse,
)
from .service import BadRequest, DocumentService, ServiceError, Upload
from .settings import ServerOptions

log = logging.getLogger(__name__)

__all__ = ["create_app", "status_of"]

STATIC = Path(__file__).with_name("static")
DocId = PathParam(..., description="The document id (16 hex digits)", min_length=1, max_length=64)


_BEARER = HTTPBearer(auto_error=False, description="Needed when the server has CHATOCR_API_TOKEN set")


class Unauthorized(ServiceError):
    status = 401


def status_of(e: BaseException) -> int:
    """The HTTP status of an exception."""
    if isinstance(e, ServiceError):
        return e.status
    if isinstance(e, DocumentTooLarge):
        return 413
    if isinstance(e, UnsupportedFormat):
        return 415
    if isinstance(e, (InputError, EncryptedDocument)):
        return 400
    if isinstance(e, LLMTimeout):
        return 504
    if isinstance(e, LLMUnavailable):
        return 503
    if isinstance(e, LLMError):
        return 502
    return 500


def _error(status: int, kind: str, message: str, headers: dict | None = None) -> JSONResponse:
    line = " ".join(str(message).split())[:1000]
    return JSONResponse({"error": {"type": kind, "message": line}}, status_code=status, headers=headers)


_ERRORS = {code: {"model": ErrorResponse} for code in (400, 401, 404, 409, 413, 415, 422, 503)}


def _public_spec(spec: str) -> str:
    """A backend spec without URL credentials or query (``MODEL@https://user:key@host/v1?k=…``)."""
    return re.sub(r"\?\S*$", "", re.sub(r"//[^/@\s]*@", "//", spec))


def create_app(options: ServerOptions | None = None, *, service: DocumentService | None = None) -> FastAPI:
    """The chatocr web service.  ``service`` may be started already (the CLI starts it to fail early)."""
    service = service or DocumentService(options)
    opts = service.options

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not service.started:
            await run_in_threadpool(service.start)
        try:
            yield
        finally:
            await run_in_threadpool(service.close)

    app = FastAPI(
        title="chatocr",
        version=__version__,
        description="Talk to documents: upload a PDF or an image, extract keys or ask questions, "
                    "and get every answer with the page and box it came from.",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: the service stays offline
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.service = service
    if opts.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(opts.cors_origins), allow_methods=["*"],
                           allow_headers=["Authorization", "Content-Type"])

    # -- errors ------------------------------------------------------------------------------
    @app.exception_handler(ChatOCRError)
    async def _chatocr_error(request: Request, e: ChatOCRError):
        status = status_of(e)
        if status >= 500:
            log.warning("%s %s: %s", request.method, request.url.path, e)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if status == 503:
            headers = {"Retry-After": "5"}
        return _error(status, type(e).__name__, str(e), headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError):
        parts = []
        for err in e.errors()[:3]:
            where = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", "invalid"))
        return _error(422, "InvalidRequest", "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException):
        kind = {404: "NotFound", 405: "MethodNotAllowed"}.get(e.status_code, "HTTPError")
        return _error(e.status_code, kind, e.detail if isinstance(e.detail, str) else str(e.detail))

    @app.exception_handler(Exception)
    async def _crash(request: Request, e: Exception):
        log.error("%s %s failed", request.method, request.url.path, exc_info=e)
        return _error(500, "InternalError", f"internal error ({type(e).__name__}); see the server log")

    # -- auth ----------------------------------------------------------------------------------
    def authorized(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]) -> None:
        token = opts.api_token
        if not token:
            return
        given = creds.credentials if creds is not None else ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise Unauthorized("missing or wrong API token: send 'Authorization: Bearer <CHATOCR_API_TOKEN>'")

    api = APIRouter(prefix="/v1", dependencies=[Depends(authorized)], responses=_ERRORS)

    # -- routes ----------------------------------------------------------------------------------
    @app.get("/v1/health", tags=["service"])
    def health() -> dict:
        """Liveness (no token needed)."""
        return {"status": "ok"}

    @api.get("/info", tags=["service"])
    def info() -> dict:
        """Version, backend and limits."""
        return {
            "version": __version__,
            "llm": _public_spec(opts.llm),
            "max_upload_bytes": opts.max_upload_bytes,
            "max_pages": opts.max_pages,
            "formats": list(opts.formats),
        }

    @api.get("/documents", tags=["documents"], response_model=DocumentList)
    def list_documents() -> dict:
        """Every document, oldest first (no parsed content)."""
        return {"documents": [r.to_dict() for r in service.list()]}

    @api.post("/documents", tags=["documents"], status_code=202, response_model=DocumentStatus,
              responses={200: {"model": DocumentStatus, "description": "Uploaded before: the same document"}})
    async def upload(request: Request, name: str | None = Query(None, max_length=255, description=(
            "File name, for a raw (non-multipart) body"))) -> JSONResponse:
        """Upload a PDF or image as ``multipart/form-data`` (field ``file``) or as the raw request body.

        Parsing runs in the background: poll ``GET /v1/documents/{id}`` until ``status`` is ``ready``."""
        up: Upload = await run_in_threadpool(service.begin_upload, name)
        try:
            await _receive(request, up, keep_name=bool(name))
            rec, created = await run_in_threadpool(service.add, up)
        finally:
            up.discard()
        return JSONResponse(rec.to_dict() | {"document": None}, status_code=202 if created else 200)

    @api.post("/ocr", tags=["ocr"], response_model=OCRResponse)
    async def ocr(
        request: Request,
        name: str | None = Query(None, max_length=255, description="File name, for a raw (non-multipart) body"),
        det: bool = Query(True, description="false: the file is one line cut out already; each page is read whole"),
        rec: bool = Query(True, description="false: only find the lines (empty texts, scored by the detector)"),
        min_score: float | None = Query(None, ge=0, le=1, description=(
            "Drop lines read with less confidence (default 0.5; 0 keeps every line read)")),
        pages: str | None = Query(None, max_length=200, description="Pages to read, e.g. 1-3,5 (default: every page)"),
        cjk: Literal["auto", "allow", "never"] = Query("auto", description=(
            "CJK characters: 'auto' reads them only on pages with CJK text")),
        words: bool = Query(False, description="Each line's words with their boxes too"),
        set_: Annotated[list[str] | None, Query(alias="set", description=(
            "Any OCR option by its dotted name, KEY=VALUE, as `chatocr ocr --set` (repeatable): e.g. "
            "det.box_thresh=0.6; not the model or the engine"))] = None,
    ) -> JSONResponse:
        """Read the text of a PDF or image, sent as for ``POST /v1/documents``, and answer at once with every
        line's text, confidence and box, in reading order (``chatocr ocr FILE --json``).  Nothing is kept:
        use ``/v1/documents`` to parse a document (regions, tables, reading order) and question it."""
        if not det and not rec:
            raise BadRequest("det=false and rec=false: there would be nothing to do")
        numbers = None
        if pages is not None:
            try:
                numbers = list(parse_pages(pages))
            except ValueError as e:
                raise BadRequest(f"pages: {e}") from None
        if set_ and len(set_) > 50:
            raise BadRequest(f"set: {len(set_)} settings, more than 50")
        # the switches as the settings they stand for, then the client's own
        settings = [k for k, on in (("det.enabled=false", not det), ("rec.enabled=false", not rec),
                                    (f"rec.drop_score={min_score}", min_score is not None),
                                    (f"rec.cjk={cjk}", cjk != "auto"), (f"loader.pages={numbers}", numbers)) if on]
        settings += set_ or []
        if settings:
            await run_in_threadpool(service.check_ocr_settings, settings)
        up: Upload = await run_in_threadpool(service.begin_upload, name)
        try:
            await _receive(request, up, keep_name=bool(name))
            out = await run_in_threadpool(functools.partial(service.ocr, up, settings, words=words))
        finally:
            up.discard()
        return JSONResponse(out)

    @api.get("/documents/{doc_id}", tags=["documents"], response_model=DocumentStatus)
    def get_document(doc_id: str = DocId, content: bool = Query(True, description=(
            "Include the parsed document once ready")), words: bool = Query(False, description=(
            "Include each line's words with their boxes"))) -> JSONResponse:
        """Status, progress and, once ready, the parsed document (regions, lines, tables with boxes)."""
        rec = service.get(doc_id)
        out = rec.to_dict() | {"document": None}
        if rec.status == "ready" and content:
            out["document"] = service.document(doc_id).to_dict(words=words)
        return JSONResponse(out)

    @api.get("/documents/{doc_id}/pages/{page}.png", tags=["documents"], response_class=FileResponse,
             responses={200: {"content": {"image/png": {}}}})
    def page_image(doc_id: str = DocId, page: int = PathParam(..., ge=1, le=100_000),
                   overlay: bool = Query(False, description="Draw the parsed regions (needs status ready)")):
        """A page as PNG (PDF pages at the server's page DPI; ``overlay=1`` draws regions and reading order)."""
        path = service.page_png(doc_id, page, overlay=overlay)
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    @api.get("/documents/{doc_id}/searchable.pdf", tags=["documents"], response_class=FileResponse,
             responses={200: {"content": {"application/pdf": {}}}})
    def searchable_pdf(doc_id: str = DocId):
        """The document as a searchable PDF: its pages with the text read laid over them in invisible ink
        (``chatocr ocr FILE --pdf OUT``); pages of a PDF that had text already are left as they were."""
        path = service.searchable_pdf(doc_id)
        name = Path(service.get(doc_id).name).stem or doc_id
        return FileResponse(path, media_type="application/pdf", filename=f"{name}-searchable.pdf",
                            headers={"Cache-Control": "private, max-age=3600"})

    @api.post("/documents/{doc_id}/extract", tags=["questions"], responses={200: {"model": ExtractResponse}})
    def extract(body: ExtractRequest, doc_id: str = DocId) -> JSONResponse:
        """Values of the keys, each with page, box, confidence and source line (``chatocr extract --json``)."""
        return JSONResponse(service.extract(doc_id, list(body.keys)))

    @api.post("/documents/{doc_id}/ask", tags=["questions"], responses={200: {"model": AskResponse}})
    def ask(body: AskRequest, doc_id: str = DocId) -> JSONResponse:
        """An answer with its evidence (``chatocr ask --json``); ``answer`` is null when the document does not say."""
        return JSONResponse(service.ask(doc_id, body.question))

    @api.post("/documents/{doc_id}/chat", tags=["questions"], responses={200: {"model": ChatResponse}})
    def chat(body: ChatRequest, doc_id: str = DocId) -> JSONResponse:
        """One turn of a conversation about the document; send ``session`` back to continue it."""
        return JSONResponse(service.chat(doc_id, body.message, body.session))

    @api.delete("/documents/{doc_id}", tags=["documents"])
    def delete(doc_id: str = DocId) -> dict:
        """Remove the document, its files, parsed data and chat sessions."""
        service.delete(doc_id)
        return {"id": doc_id, "deleted": True}

    app.include_router(api)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


async def _receive(request: Request, up: Upload, *, keep_name: bool) -> None:
    """Stream the request's file into ``up``: the ``file`` field of a ``multipart/form-data`` body, or the
    body itself; a declared length over the limit is refused at the first byte of the file."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > up.limit + 64 * 1024:
        up.refuse()  # 413 at the first byte of the file, without reading the rest
    ctype = request.headers.get("content-type", "")
    if ctype.lower().startswith("multipart/form-data"):
        await _receive_multipart(request, ctype, up, keep_name=keep_name)
    elif ctype.split(";")[0].strip().lower() in ("", "application/octet-stream", "application/pdf") or \
            ctype.lower().startswith("image/"):
        async for chunk in request.stream():
            up.write(chunk)
    else:
        raise UnsupportedFormat(up.name, f"cannot read a {ctype.split(';')[0]} body: send multipart/form-data "
                                         "with a 'file' field, or the file itself as the body")


async def _receive_multipart(request: Request, ctype: str, up: Upload, *, keep_name: bool) -> None:
    """Stream the first file part of a multipart body into ``up`` (other parts are ignored)."""
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser, parse_options_header

    _, params = parse_options_header(ctype)
    boundary = params.get(b"boundary")
    if not boundary:
        raise BadRequest("multipart/form-data without a boundary")
    state = {"field": b"", "value": b"", "disposition": b"", "in_file": False, "got_file": False}

    def on_part_begin() -> None:
        state["disposition"] = b""

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        if state["field"].lower() == b"content-disposition":
            state["disposition"] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        _, disp = parse_options_header(state["disposition"])
        if b"filename" in disp and not state["got_file"]:
            state["in_file"] = True
            if not keep_name:
                up.rename(disp[b"filename"].decode("utf-8", "replace"))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["in_file"]:
            up.write(data[start:end])

    def on_part_end() -> None:
        if state["in_file"]:
            state["in_file"], state["got_file"] = False, True

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    })
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as e:
        raise BadRequest(f"{up.name}: malformed multipart body ({e})") from None
    if not state["got_file"]:
        raise BadRequest("no file in the upload: send multipart/form-data with a 'file' field")
