"""Typed results shared by the layers.

Coordinates: origin top-left; pixels for images, PDF points for PDFs (so a box
found on a render at any DPI lands on the same spot of the PDF page).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["BBox", "Point", "Polygon", "Word", "TextLine", "OCRPage", "OCRResult", "Unit"]

Point = tuple[float, float]
Polygon = tuple[Point, Point, Point, Point]
BBox = tuple[float, float, float, float]
Unit = Literal["px", "pt"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Word(_Frozen):
    """A word of a line (its text between spaces, or one character of Chinese or Japanese script,
    which is written without them) and where it is, placed by the recogniser's character positions."""

    text: str
    bbox: Annotated[BBox, Field(description="x0, y0, x1, y1 of the polygon")]
    polygon: Annotated[Polygon, Field(description="The part of the line's polygon the word covers, same corners")]


class TextLine(_Frozen):
    """One recognised line of text."""

    text: str
    score: Annotated[
        float, Field(ge=0.0, le=1.0, description="Recognition confidence (the detector's, for lines found but not read)")
    ]
    bbox: Annotated[BBox, Field(description="x0, y0, x1, y1 of the polygon")]
    polygon: Annotated[Polygon, Field(description="Corners clockwise from top-left")]
    words: tuple[Word, ...] = Field((), description="The line's words, each with its box, in reading order")


class OCRPage(_Frozen):
    """The lines of one page, in reading order."""

    page: Annotated[int, Field(ge=1, description="1-based page number")]
    width: float
    height: float
    unit: Unit = "px"
    orientation: Literal[0, 90, 180, 270] = Field(
        0, description="Clockwise degrees the page's text was turned in the file; it was read upright"
    )
    skew: float = Field(
        0.0,
        description="Degrees the rows of text slope down to the right on the upright page (a scan made askew); "
        "rows are ordered level",
    )
    lines: tuple[TextLine, ...] = ()

    @property
    def text(self) -> str:
        """The page as plain text: one row per line, the lines of a row joined by spaces (rows of
        the page as read, upright)."""
        from .geometry import level_boxes, row_warp, rows_text, upright_points

        if not self.lines:
            return ""
        # rows grouped level, as the OCR core ordered them (the warp is found again from the lines)
        quads = upright_points([ln.polygon for ln in self.lines], self.orientation, self.width, self.height)
        return rows_text([ln.text for ln in self.lines], level_boxes(quads, self.skew, row_warp(quads)))

    @property
    def boxes_text(self) -> str:
        """Each line's corners, one line each in reading order: ``x1,y1,x2,y2,x3,y3,x4,y4``
        clockwise from top-left, in whole units (as ICDAR and SROIE write boxes; ``chatocr ocr
        --no-rec`` prints this)."""
        return "\n".join(",".join(str(round(v)) for xy in ln.polygon for v in xy) for ln in self.lines)

    def to_dict(self, *, words: bool = False) -> dict:
        """The CLI's JSON for this page; ``words`` adds each line's words with their boxes."""
        lines = []
        for ln in self.lines:
            d = {"text": ln.text, "score": round(ln.score, 4), **_geometry(ln)}
            if words:
                d["words"] = [{"text": w.text, **_geometry(w)} for w in ln.words]
            lines.append(d)
        return {"page": self.page, "width": _r(self.width), "height": _r(self.height), "lines": lines}


class OCRResult(_Frozen):
    """A whole document: the CLI's ``--json`` output is ``to_dict()``."""

    pages: tuple[OCRPage, ...] = ()

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)

    def to_dict(self, *, words: bool = False) -> dict:
        return {"pages": [p.to_dict(words=words) for p in self.pages]}


def _geometry(item: TextLine | Word) -> dict:
    return {"bbox": [_r(v) for v in item.bbox], "polygon": [[_r(x), _r(y)] for x, y in item.polygon]}


def _r(v: float) -> float:
    return round(float(v), 2)
