"""``chatocr mcp`` as an MCP client sees it: a subprocess over stdio, called with the official SDK's client."""

from __future__ import annotations

import json
import os
import sys

import anyio
import pytest

mcp = pytest.importorskip("mcp", reason='the MCP SDK is not installed (pip install "chatocr[server]")')


async def _session_calls(env: dict, calls: list[tuple[str, dict]]) -> tuple[list[str], list]:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=["-m", "chatocr", "mcp"], env=env)
    with anyio.fail_after(120):
        return await _talk(stdio_client(params), ClientSession, calls)


async def _talk(transport, ClientSession, calls):  # noqa: N803 - the SDK's class
    async with transport as streams, ClientSession(streams[0], streams[1]) as session:
        await session.initialize()
        tools = [t.name for t in (await session.list_tools()).tools]
        results = [await session.call_tool(name, args) for name, args in calls]
    return tools, results


def _text(result) -> str:
    return "".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def _is_error(result) -> bool:
    return bool(getattr(result, "is_error", None) or getattr(result, "isError", None))


def test_mcp_server_tools_over_stdio(tmp_path):
    from chatocr_testkit import zip_bytes
    from docgen import invoice_pdf, report_pdf

    data, truth = invoice_pdf(21)
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(data)
    report = tmp_path / "report.pdf"
    report.write_bytes(report_pdf(3, seed=1)[0])
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(zip_bytes())
    env = {**os.environ, "CHATOCR_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("CHATOCR_LLM", None)
    calls = [
        ("parse_document", {"path": str(pdf)}),
        ("extract_fields", {"path": str(pdf), "keys": ["Invoice No", "Total"]}),
        ("ask_document", {"path": str(pdf), "question": "What is the total?"}),
        ("ask_document", {"path": str(fake), "question": "What is the total?"}),
        ("extract_fields", {"path": str(tmp_path / "missing.pdf"), "keys": ["Total"]}),
        ("parse_document", {"path": str(pdf), "pages": "1"}),
        ("parse_document", {"path": str(pdf), "pages": "2-3"}),
        ("parse_document", {"path": str(pdf), "pages": "one"}),
        ("parse_document", {"path": str(report), "pages": "2"}),
    ]
    tools, (parsed, extracted, asked, refused, missing, page_one, no_page, bad_pages, page_two) = anyio.run(
        _session_calls, env, calls
    )
    assert tools == ["parse_document", "extract_fields", "ask_document"]

    doc = json.loads(_text(parsed))
    assert doc["pages"] == 1 and doc["name"] == "invoice.pdf" and "INVOICE" in doc["markdown"]
    assert json.loads(_text(page_one)) == doc  # every page of a one-page document
    assert _is_error(no_page) and "page 2 asked for, but the document has 1 page" in _text(no_page)
    assert _is_error(bad_pages) and "one" in _text(bad_pages)
    second = json.loads(_text(page_two))
    assert second["pages"] == 3 and second["shown_pages"] == [2]
    assert second["markdown"].startswith("<!-- page 2 -->") and "<!-- page 1 -->" not in second["markdown"]
    assert second["blocks"] and {b["page"] for b in second["blocks"]} == {2}
    assert any(b["type"] == "table" and b["page"] == 1 and len(b["bbox"]) == 4 for b in doc["blocks"])

    fields = json.loads(_text(extracted))["fields"]
    assert fields["Total"]["value"] == truth.pairs["Total"] and fields["Invoice No"]["value"] == truth.pairs["Invoice No"]
    assert fields["Total"]["page"] == 1 and len(fields["Total"]["bbox"]) == 4

    answer = json.loads(_text(asked))
    assert answer["answer"] == truth.pairs["Total"] and answer["evidence"][0]["page"] == 1

    assert _is_error(refused) and "ZIP" in _text(refused) and "fake.pdf" in _text(refused)
    assert _is_error(missing) and "not found" in _text(missing)
