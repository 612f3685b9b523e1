"""``chatocr mcp``: chatocr's tools for MCP clients (Claude Desktop, IDE agents, …) over stdio.

Tools: ``parse_document``, ``extract_fields``, ``ask_document``.  Each takes a
file path on this machine and returns JSON whose values point back to page and
box.  A bad file is a tool error with chatocr's one-line message, not a crash.
Logs go to stderr: stdout carries the protocol.

Client configuration (``mcpServers`` in most clients)::

    {"chatocr": {"command": "chatocr", "args": ["mcp"]}}
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Annotated

from pydantic import Field

log = logging.getLogger(__name__)

__all__ = ["build_mcp", "run_mcp"]

_INSTALL = 'chatocr mcp needs the MCP SDK: pip install "chatocr[server]"'

Path_ = Annotated[str, Field(description="Path of a PDF or image (PNG, JPEG, TIFF, BMP, WebP, HEIC, AVIF, JPEG 2000) on this machine")]


def _sdk():
    try:
        from mcp.server.mcpserver import MCPServer as Server
        from mcp.server.mcpserver.exceptions import ToolError
    except ImportError:
        try:  # the 1.x SDK
            from mcp.server.fastmcp import FastMCP as Server
            from mcp.server.fastmcp.exceptions import ToolError
        except ImportError as e:
            raise ImportError(f"{_INSTALL} ({e})") from e
    return Server, ToolError


def build_mcp(agent=None, *, llm: str | None = None):
    """The MCP server object (not running): three tools over one ``ChatOCR``."""
    import anyio

    from ..errors import ChatOCRError

    Server, ToolError = _sdk()
    if agent is None:
        from ..agent import ChatOCR

        agent = ChatOCR(llm or "builtin")
    lock = threading.Lock()  # one agent call at a time (its engines keep per-document state)

    async def call(fn, *args):
        def run():
            with lock:
                return fn(*args)

        try:
            out = await anyio.to_thread.run_sync(run)
        except ChatOCRError as e:
            raise ToolError(str(e)) from e
        return json.dumps(out, ensure_ascii=False)  # compact: fewer tokens for the model than the SDK's indent

    server = Server(
        "chatocr",
        instructions=(
            "Read documents (PDF, scans, photos of receipts): parse_document gives the text by region; "
            "extract_fields gives the value of each key; ask_document answers a question. Every value "
            "comes with its page and box (x0, y0, x1, y1 in PDF points or image pixels)."
        ),
    )

    def _parse(path: str, max_chars: int, pages: str | None = None) -> dict:
        doc = agent.parse(path)
        shown = list(doc.pages)
        if pages:
            from ..errors import InputError, PageOutOfRange
            from ..options import parse_pages

            try:
                wanted = set(parse_pages(pages))
            except ValueError as e:
                raise InputError(path, str(e)) from None
            missing = sorted(wanted - {p.page for p in doc.pages})
            if missing:
                has = f"{len(doc.pages)} page" + ("s" if len(doc.pages) != 1 else "")
                raise PageOutOfRange(path, f"page {missing[0]} asked for, but the document has {has}")
            shown = [p for p in doc.pages if p.page in wanted]
        md = "\n\n".join(p.to_markdown() for p in shown) + "\n"
        return {
            "id": doc.id,
            "name": doc.name,
            "pages": len(doc.pages),
            "shown_pages": [p.page for p in shown],
            "markdown": md[:max_chars],
            "truncated": len(md) > max_chars,
            "blocks": [
                {"page": p.page, "id": b.id, "type": b.type, "bbox": [round(float(v), 2) for v in b.bbox],
                 "text": b.text}
                for p in shown
                for b in p.blocks
            ][:500],
        }

    @server.tool(name="parse_document", description=(
        "Parse a document into regions (title, text, table, …) in reading order, with the Markdown text and "
        "each region's page and box. For a long document, ask for some pages at a time."))
    async def parse_document(
        path: Path_,
        max_chars: Annotated[int, Field(ge=100, le=1_000_000, description="Longest Markdown returned")] = 20_000,
        pages: Annotated[str | None, Field(max_length=200, description=(
            "Only these pages, e.g. '1-3,5' (default: every page)"))] = None,
    ) -> str:
        return await call(_parse, path, max_chars, pages)

    @server.tool(name="extract_fields", description=(
        "Extract the values of keys (e.g. 'Invoice No', 'Date', 'Total') from a document; each value comes with "
        "its page, box, confidence and source line, or null where the document does not say."))
    async def extract_fields(path: Path_, keys: Annotated[list[str], Field(min_length=1, max_length=50, description=(
            "Keys to extract"))]) -> str:
        return await call(lambda: agent.extract(agent.parse(path), keys).to_dict())

    @server.tool(name="ask_document", description=(
        "Answer a question from a document; the answer comes with its evidence (page, box, text), or is null when "
        "the document does not say."))
    async def ask_document(path: Path_, question: Annotated[str, Field(min_length=1, max_length=2000, description=(
            "The question"))]) -> str:
        return await call(lambda: agent.ask(agent.parse(path), question).to_dict())

    return server


def run_mcp(*, llm: str | None = None) -> None:
    """Serve the tools over stdio until the client closes the connection."""
    server = build_mcp(llm=llm)
    server.run("stdio")
