"""What the agent answers with: fields and answers that point back to page and box."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..types import BBox

__all__ = ["Evidence", "ExtractedField", "Extraction", "Answer"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    """A piece of the document: page, box and the text there."""

    page: Annotated[int, Field(ge=1)]
    bbox: BBox
    text: str

    def to_dict(self) -> dict:
        return {"page": self.page, "bbox": [round(float(v), 2) for v in self.bbox], "text": self.text}


class ExtractedField(_Frozen):
    """One requested key.  ``value`` is None when the document does not support a value."""

    key: str
    value: str | None = None
    page: int | None = None
    bbox: BBox | None = None
    confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    source: str | None = Field(None, description="The text of the line or cell the value was read from")
    method: str = Field("", description="How it was found: kv, table, label, pattern, llm, vlm, …")

    def to_dict(self) -> dict:
        return {
            "value": self.value,
            "page": self.page,
            "bbox": [round(float(v), 2) for v in self.bbox] if self.bbox else None,
            "confidence": round(self.confidence, 4),
            "source": self.source,
        }


class Extraction(_Frozen):
    """The fields of one ``extract`` call, in the order the keys were asked."""

    fields: dict[str, ExtractedField]

    def __getitem__(self, key: str) -> ExtractedField:
        return self.fields[key]

    def __iter__(self):
        return iter(self.fields)

    def values(self) -> dict[str, str | None]:
        return {k: f.value for k, f in self.fields.items()}

    def to_dict(self) -> dict:
        """The CLI's ``--json`` shape: ``{"fields": {KEY: {...}}}``."""
        return {"fields": {k: f.to_dict() for k, f in self.fields.items()}}


class Answer(_Frozen):
    """An answer to a question; ``text`` is None when the document does not say."""

    question: str
    text: str | None = None
    evidence: tuple[Evidence, ...] = ()
    confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    method: str = ""

    def to_dict(self) -> dict:
        """The CLI's ``--json`` shape: ``{"answer": ..., "evidence": [...]}``."""
        return {"answer": self.text, "evidence": [e.to_dict() for e in self.evidence]}
