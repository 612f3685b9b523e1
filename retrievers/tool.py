"""``ChatOCRTool``: chatocr as a LangChain tool (``document_qa``) for agents.

Give it a file path (or the id of a document it parsed before) and keys to
extract or a question; it answers with JSON whose values point back to page
and box.  A bad file or id comes back to the agent as an observation (a
``ToolException`` message), not as a crash.

>>> tool = ChatOCRTool()                                     # built-in engine, offline
>>> tool.invoke({"document": "invoice.pdf", "question": "What is the total?"})
'{"document": {"id": "…", "name": "invoice.pdf", "pages": 1}, "answer": "1083.00", "evidence": [...]}'
>>> model.bind_tools([tool])                                 # any tool-calling chat model
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from chatocr.agent import ChatOCR
from chatocr.document import Document
from chatocr.errors import ChatOCRError

try:
    from langchain_core.callbacks import CallbackManagerForToolRun
    from langchain_core.tools import BaseTool, ToolException
except ImportError as e:  # pragma: no cover - langchain-core is a dependency
    raise ImportError("the LangChain tool needs langchain-core: run `pip install langchain-core`") from e

__all__ = ["ChatOCRTool", "DocumentQAInput"]

_ID = re.compile(r"^[0-9a-f]{16}$")


def _explain(e: ValidationError) -> str:
    """The observation for arguments that do not fit ``DocumentQAInput``."""
    parts = [f"{'.'.join(map(str, err['loc'])) or 'arguments'}: {err['msg']}" for err in e.errors()[:3]]
    return "invalid arguments for document_qa (" + "; ".join(parts) + "); give 'document' and 'keys' or 'question'"


class DocumentQAInput(BaseModel):
    """Arguments of ``document_qa``."""

    model_config = ConfigDict(extra="forbid")

    document: str = Field(..., description=(
        "Path of a PDF or image (PNG, JPEG, TIFF, BMP, WebP, HEIC, AVIF, JPEG 2000), or the id of a document returned by an earlier call"))
    keys: list[str] | None = Field(None, description=(
        "Keys to extract, e.g. ['Invoice No', 'Date', 'Total']; each value comes with page and box"))
    question: str | None = Field(None, description="A question about the document, answered with its evidence")


class ChatOCRTool(BaseTool):
    """``document_qa``: key-information extraction and question answering over a document, with evidence."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "document_qa"
    description: str = (
        "document key-information extraction and question answering. Input: a file path (or a document id from "
        "an earlier call) and keys to extract and/or a question. Output: JSON with each value or the answer and "
        "its evidence (page, bbox, text); null where the document does not say."
    )
    args_schema: type[BaseModel] = DocumentQAInput
    handle_tool_error: bool = True
    handle_validation_error: bool | str | Callable[[ValidationError], str] = Field(
        default_factory=lambda: _explain, description="Bad arguments from a model become an observation saying why")
    agent: ChatOCR | None = Field(None, exclude=True, description="The agent to use; default ChatOCR() (built-in)")

    _docs: dict[str, Document] = PrivateAttr(default_factory=dict)

    @property
    def chatocr(self) -> ChatOCR:
        if self.agent is None:
            self.agent = ChatOCR()
        return self.agent

    def _run(self, document: str, keys: list[str] | None = None, question: str | None = None,
             run_manager: CallbackManagerForToolRun | None = None) -> str:
        try:
            doc = self._resolve(document)
            out: dict = {"document": {"id": doc.id, "name": doc.name, "pages": len(doc.pages)}}
            if keys:
                out.update(self.chatocr.extract(doc, keys).to_dict())
            if question and question.strip():
                out.update(self.chatocr.ask(doc, question).to_dict())
        except ChatOCRError as e:
            raise ToolException(str(e)) from e
        return json.dumps(out, ensure_ascii=False)

    def _resolve(self, document: str) -> Document:
        ref = (document or "").strip()
        if _ID.match(ref) and not Path(ref).exists():
            doc = self._docs.get(ref) or self._from_cache(ref)
            if doc is None:
                raise ToolException(f"{ref}: no document with this id was parsed here; give the file path instead")
            return doc
        if not ref:
            raise ToolException("give 'document': the path of a PDF or image, or a document id")
        doc = self.chatocr.parse(ref)
        self._docs[doc.id] = doc
        return doc

    def _from_cache(self, doc_id: str) -> Document | None:
        """A document parsed earlier by any chatocr using the same on-disk cache."""
        agent = self.chatocr
        if not agent.options.cache:
            return None
        from chatocr.structure import DocumentCache

        cache = DocumentCache(Path(agent.options.cache_dir) / "documents" if agent.options.cache_dir else None)
        digest = agent.parser.options_digest()
        for folder in sorted((cache.root / doc_id[:2]).glob(doc_id + "*")):
            doc = cache.get(folder.name, digest)
            if doc is not None:
                self._docs[doc.id] = doc
                return doc
        return None
