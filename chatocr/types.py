"""Typed results shared by the layers.

Coordinates: origin top-left; pixels for images, PDF points for PDFs (so a box
found on a render at any DPI lands on the same spot of the PDF page).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["BBox", "Point", "Polygon", "TextLine", "OCRPage", "OCRResult", "Unit"]

Point = tuple[float, float]
Polygon = tuple[Point, Point, Point, Point]
BBox = tuple[float, float, float, float]
Unit = Literal["px", "pt"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TextLine(_Frozen):
    """One recognised line of text."""

    text: str
    score: Annotated[float, Field(ge=0.0, le=1.0, description="Recognition confidence")]
    bbox: Annotated[BBox, Field(description="x0, y0, x1, y1 of the polygon")]
    polygon: Annotated[Polygon, Field(description="Corners clockwise from top-left")]


class OCRPage(_Frozen):
    """The lines of one page, in reading order."""

    page: Annotated[int, Field(ge=1, description="1-based page number")]
    width: float
    height: float
    unit: Unit = "px"
    lines: tuple[TextLine, ...] = ()

    @property
    def text(self) -> str:
        """The page as plain text: one row per line, the lines of a row joined by spaces."""
        from .geometry import rows_text

        return rows_text([ln.text for ln in self.lines], [ln.bbox for ln in self.lines])

    def to_dict(self) -> dict:
        return {
            "page": self.page,
            "width": _r(self.width),
            "height": _r(self.height),
            "lines": [
                {
                    "text": ln.text,
                    "score": round(ln.score, 4),
                    "bbox": [_r(v) for v in ln.bbox],
                    "polygon": [[_r(x), _r(y)] for x, y in ln.polygon],
                }
                for ln in self.lines
            ],
        }


class OCRResult(_Frozen):
    """A whole document: the CLI's ``--json`` output is ``to_dict()``."""

    pages: tuple[OCRPage, ...] = ()

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)

    def to_dict(self) -> dict:
        return {"pages": [p.to_dict() for p in self.pages]}


def _r(v: float) -> float:
    return round(float(v), 2)
