"""Request and response bodies of the HTTP API (they make ``/openapi.json``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExtractRequest(_Request):
    keys: list[Key] = Field(..., min_length=1, max_length=50, description="Keys to extract, e.g. ['Invoice No', 'Total']")


class AskRequest(_Request):
    question: Text = Field(..., description="A question about the document")


class ChatRequest(_Request):
    message: Text = Field(..., description="The next question; follow-ups ('and the tax?') use the history")
    session: str | None = Field(None, description="The session id of an earlier turn; leave out to start one")


class Progress(BaseModel):
    done: int = Field(..., description="Pages parsed so far")
    total: int | None = Field(None, description="Pages in the document")


class DocumentStatus(BaseModel):
    id: str = Field(..., description="16 hex digits: the start of the upload's SHA-256 (same file, same id)")
    name: str = Field(..., description="The uploaded file's name")
    status: Literal["queued", "parsing", "ready", "failed"]
    format: str = Field(..., description="Detected from the content: pdf, png, jpeg, tiff, bmp, webp, heif, avif, jpeg2000")
    size: int = Field(..., description="Bytes")
    sha256: str
    pages: int | None
    progress: Progress
    error: str | None = Field(None, description="Why parsing failed")
    created: str
    updated: str
    document: dict | None = Field(None, description="The parsed document (chatocr.Document JSON) once ready")


class DocumentList(BaseModel):
    documents: list[DocumentStatus]


class FieldOut(BaseModel):
    value: str | None
    page: int | None
    bbox: list[float] | None = Field(None, description="x0, y0, x1, y1 in page units (PDF points or pixels)")
    confidence: float
    source: str | None


class ExtractResponse(BaseModel):
    """Exactly ``chatocr extract FILE -k KEY --json``."""

    fields: dict[str, FieldOut]


class EvidenceOut(BaseModel):
    page: int
    bbox: list[float]
    text: str


class AskResponse(BaseModel):
    """Exactly ``chatocr ask FILE QUESTION --json``."""

    answer: str | None
    evidence: list[EvidenceOut]


class ChatResponse(AskResponse):
    session: str = Field(..., description="Send it back with the next message")


class OCRWord(BaseModel):
    text: str
    bbox: list[float] = Field(..., description="x0, y0, x1, y1 in page units (PDF points or pixels), top-left origin")
    polygon: list[list[float]] = Field(..., description="The four corners, clockwise from top-left")


class OCRLine(OCRWord):
    score: float = Field(..., description="Recognition confidence (with rec=false: the detector's)")
    words: list[OCRWord] | None = Field(None, description="With words=true")


class OCRPageOut(BaseModel):
    page: int
    width: float
    height: float
    lines: list[OCRLine] = Field(..., description="In reading order")


class OCRResponse(BaseModel):
    """``chatocr ocr FILE --json``, with the file's name and the model that read it."""

    name: str
    model: str
    pages: list[OCRPageOut]


class ErrorBody(BaseModel):
    type: str = Field(..., description="UnsupportedFormat, DocumentTooLarge, DocumentNotFound, …")
    message: str = Field(..., description="One line: what is wrong and what to do")


class ErrorResponse(BaseModel):
    error: ErrorBody
