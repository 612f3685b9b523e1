"""``ChatOCR``: parsing with the cache, builtin and LLM extraction grounded to boxes, ask, chat, batch."""

from __future__ import annotations

import asyncio
import json

import pytest
from docgen import invoice_pdf, report_pdf

from chatocr import ChatOCR
from chatocr.agent import locate
from chatocr.errors import InputError
from chatocr.llm import FakeLLM


@pytest.fixture(scope="module")
def invoice(tmp_path_factory):
    pdf, truth = invoice_pdf(seed=11)
    path = tmp_path_factory.mktemp("inv") / "invoice.pdf"
    path.write_bytes(pdf)
    return path, truth


@pytest.fixture
def agent(tmp_path):
    return ChatOCR(cache_dir=str(tmp_path))


def _inside(inner, outer, tol=1.0):
    return (inner[0] >= outer[0] - tol and inner[1] >= outer[1] - tol and inner[2] <= outer[2] + tol
            and inner[3] <= outer[3] + tol)


def test_builtin_extract_with_evidence(agent, invoice):
    path, truth = invoice
    doc = agent.parse(path)
    res = agent.extract(doc, ["Invoice number", "Total", "Date", "Bank account"])
    assert res["Invoice number"].value == truth.pairs["Invoice No"]
    assert res["Total"].value == truth.pairs["Total"]
    assert res["Date"].value == truth.pairs["Date"]
    assert res["Bank account"].value is None, "a value the document does not hold must be None"
    f = res["Total"]
    assert f.page == 1 and f.confidence > 0.5 and truth.pairs["Total"] in f.source
    line = next(ln for p, b in doc.blocks() for ln in b.lines if truth.pairs["Total"] in ln.text)
    assert _inside(f.bbox, line.bbox)
    out = res.to_dict()
    assert set(out["fields"]["Total"]) == {"value", "page", "bbox", "confidence", "source"}
    assert json.loads(json.dumps(out)) == out


def test_parse_is_cached_by_content(agent, invoice, tmp_path):
    path, _ = invoice
    first = agent.parse(path)
    assert list(tmp_path.rglob("document-*.json"))
    again = ChatOCR(cache_dir=str(tmp_path))
    calls = []
    orig = again.parser.parse
    again.parser.parse = lambda *a, **k: calls.append(1) or orig(*a, **k)
    assert again.parse(path) == first and calls == []


def test_llm_values_are_grounded_and_invented_values_dropped(tmp_path, invoice):
    path, truth = invoice
    reply = json.dumps({"Total": truth.pairs["Total"], "Seller": "Northwind Traders Ltd", "IBAN": "DE89370400440532013000"})
    llm = FakeLLM(default=reply)
    agent = ChatOCR(llm, cache_dir=str(tmp_path))
    res = agent.extract(agent.parse(path), ["Total", "Seller", "IBAN"])
    prompt = llm.prompt_text(0)
    assert "Total" in prompt and "Northwind" in prompt  # keys and document text reached the model
    assert res["Total"].value == truth.pairs["Total"] and res["Total"].method == "llm"
    assert res["Seller"].value == "Northwind Traders Ltd" and res["Seller"].bbox is not None
    assert res["IBAN"].value is None  # not in the document: never passed through


def test_llm_answer_maps_the_quote_to_a_box(tmp_path, invoice):
    path, _ = invoice
    llm = FakeLLM(default=json.dumps({"answer": "within 30 days", "quote": "due within 30 days of the invoice date"}))
    agent = ChatOCR(llm, cache_dir=str(tmp_path))
    doc = agent.parse(path)
    ans = agent.ask(doc, "When is payment due?")
    assert ans.text == "within 30 days"
    ev = ans.evidence[0]
    assert ev.page == 1 and "30 days" in ev.text
    out = ans.to_dict()
    assert out["answer"] == "within 30 days" and out["evidence"][0]["page"] == 1


def test_llm_answer_not_in_document_is_none(tmp_path, invoice):
    path, _ = invoice
    llm = FakeLLM(default=json.dumps({"answer": "Alice Wonder", "quote": "signed by Alice Wonder"}))
    agent = ChatOCR(llm, cache_dir=str(tmp_path))
    assert agent.ask(agent.parse(path), "Who signed it?").text is None


def test_builtin_chat_follow_up(agent, invoice):
    path, truth = invoice
    chat = agent.chat(path)
    assert chat.ask("What is the total?").text == truth.pairs["Total"]
    follow = chat.ask("and the invoice date?")
    assert follow.text == truth.pairs["Date"] and follow.evidence
    assert len(chat.history) == 2


def test_async_and_batch(agent, invoice, tmp_path):
    path, truth = invoice
    res = asyncio.run(agent.aextract(path, ["Total"]))
    assert res["Total"].value == truth.pairs["Total"]
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\n garbage")
    items = list(agent.extract_many([path, bad], ["Total"]))
    assert items[0].extraction is not None and items[0].error is None
    assert items[1].extraction is None and "broken.pdf" in items[1].error


def test_concurrent_async_parses_agree_with_sequential_ones(tmp_path):
    """aparse runs in worker threads; PyMuPDF is not thread-safe, so the agent serialises its use."""
    paths = []
    for seed in range(4):
        pdf, _ = invoice_pdf(seed=40 + seed)
        paths.append(tmp_path / f"inv{seed}.pdf")
        paths[-1].write_bytes(pdf)

    async def all_at_once(agent):
        return await asyncio.gather(*(agent.aparse(p) for p in paths))

    together = asyncio.run(all_at_once(ChatOCR(cache_dir=str(tmp_path / "a"))))
    one_by_one = [ChatOCR(cache_dir=str(tmp_path / "b")).parse(p) for p in paths]
    assert [d.to_json() for d in together] == [d.to_json() for d in one_by_one]


def test_long_documents_go_through_retrieval(tmp_path):
    pdf, _ = report_pdf(6, seed=3)
    seen = []

    class Retriever:
        def retrieve(self, query, *, k=5, doc_ids=None, pages=None):
            seen.append((query, tuple(doc_ids or ())))
            return []

    agent = ChatOCR(cache_dir=str(tmp_path), retriever=Retriever())
    doc = agent.parse(pdf)
    assert len(doc.text) > agent.options.min_characters
    agent.extract(doc, ["Prepared by", "Date"])
    assert [q for q, _ in seen] == ["Prepared by", "Date"]
    assert all(ids == (doc.id,) for _, ids in seen)


def test_locate_spans_lines_and_sub_boxes(agent, invoice):
    path, truth = invoice
    doc = agent.parse(path)
    page, bbox, text, score = locate(doc, truth.pairs["Invoice No"])
    assert page == 1 and score == 1.0 and truth.pairs["Invoice No"] in text
    assert locate(doc, "definitely not in this document 12345") is None


def test_the_vlm_sees_the_pages_of_a_locked_pdf_that_hold_the_answer(tmp_path):
    """Page images for a VLM come through the parser's loader: its password, its pages."""
    import pymupdf
    from chatocr_testkit import ENCRYPTED_PASSWORD, make_pdf

    from chatocr.agent import AgentOptions
    from chatocr.options import LoaderOptions, OCROptions, ParserOptions

    path = tmp_path / "locked.pdf"
    path.write_bytes(
        make_pdf(
            [[(20, 60, "Cover page")], [(20, 60, "Notes")], [(20, 60, "Invoice No: INV-0042")]],
            size=(300, 200),
            encryption=pymupdf.PDF_ENCRYPT_AES_256,
            user_pw=ENCRYPTED_PASSWORD,
            owner_pw="owner-" + ENCRYPTED_PASSWORD,
        )
    )
    loader = LoaderOptions(password=ENCRYPTED_PASSWORD, pages=(2, 3))
    options = AgentOptions(
        llm="builtin", vlm="vlm:fake", mode="vlm_only", vlm_dpi=72, cache_dir=str(tmp_path / "cache"),
        parser=ParserOptions(ocr=OCROptions(loader=loader)),
    )
    agent = ChatOCR(options=options)
    vlm = FakeLLM(json.dumps({"Invoice number": "INV-0042"}), vision=True)
    agent._vlm = vlm
    doc = agent.parse(path)
    assert [p.page for p in doc.pages] == [2, 3]
    res = agent.extract(doc, ["Invoice number"])
    assert res["Invoice number"].value == "INV-0042" and res["Invoice number"].page == 3
    images = [p for m in vlm.last_messages if isinstance(m.get("content"), list) for p in m["content"]
              if p.get("type") == "image_url"]
    # a short document: every page parsed goes to the VLM, rendered at vlm_dpi, and no other
    import base64

    import cv2
    import numpy as np

    sizes = []
    for part in images:
        png = base64.b64decode(part["image_url"]["url"].split(",", 1)[1])
        sizes.append(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR).shape[:2])
    assert sizes == [(200, 300), (200, 300)]


def test_the_vlm_sees_the_pages_of_a_document_parsed_from_bytes(tmp_path):
    """Bytes (a file piped in, an upload) are kept like a path, for the VLM's page images."""
    from chatocr_testkit import make_pdf

    from chatocr.agent import AgentOptions
    from chatocr.io import NamedBytes

    data = NamedBytes(make_pdf([[(20, 60, "Invoice No: INV-0042")]], size=(300, 200)), "<stdin>")
    agent = ChatOCR(options=AgentOptions(llm="builtin", vlm="vlm:fake", mode="vlm_only", vlm_dpi=72,
                                         cache_dir=str(tmp_path / "cache")))
    vlm = FakeLLM(json.dumps({"Invoice number": "INV-0042"}), vision=True)
    agent._vlm = vlm
    doc = agent.parse(data)
    assert agent.extract(doc, ["Invoice number"])["Invoice number"].value == "INV-0042"
    images = [p for m in vlm.last_messages if isinstance(m.get("content"), list) for p in m["content"]
              if p.get("type") == "image_url"]
    assert len(images) == 1
    agent.forget(doc.id)
    with pytest.raises(InputError, match="the VLM needs the page images"):
        agent.extract(doc, ["Invoice number"])


@pytest.mark.models
def test_the_vlm_sees_a_page_on_its_side_upright(tmp_path, render):
    import base64

    import cv2
    import numpy as np

    from chatocr.agent import AgentOptions

    image, _ = render.page([(40, 60 + 70 * i, t) for i, t in enumerate(
        ["Invoice No: INV-0042", "Date: 2024-03-05", "Total due: 1,250.00", "Thank you for your order"])],
        size=(700, 400), font_size=30)
    path = tmp_path / "turned.png"
    cv2.imwrite(str(path), np.ascontiguousarray(np.rot90(image)))  # scanned on its side: 400 x 700
    agent = ChatOCR(options=AgentOptions(llm="builtin", vlm="vlm:fake", mode="vlm_only",
                                         cache_dir=str(tmp_path / "cache")))
    vlm = FakeLLM(json.dumps({"Invoice number": "INV-0042"}), vision=True)
    agent._vlm = vlm
    doc = agent.parse(path)
    assert doc.pages[0].orientation in (90, 270)
    assert agent.extract(doc, ["Invoice number"])["Invoice number"].value == "INV-0042"
    parts = [p for m in vlm.last_messages if isinstance(m.get("content"), list) for p in m["content"]
             if p.get("type") == "image_url"]
    png = base64.b64decode(parts[0]["image_url"]["url"].split(",", 1)[1])
    shown = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert shown.shape[:2] == (400, 700)  # the page as read, not as stored (700 x 400)
    assert np.abs(shown.astype(int) - image.astype(int)).mean() < 1.0  # the same pixels, upright


@pytest.mark.models
def test_the_vlm_sees_a_page_photographed_from_one_side_level(tmp_path, render, engine):
    import base64

    import cv2
    import numpy as np
    from warps import photographed

    from chatocr.agent import AgentOptions

    rows = [f"Item {i + 1:02d} delivered to the warehouse  {12.5 * (i + 1):.2f}" for i in range(10)]
    image, _ = render.page([(40, 40 + 44 * i, t) for i, t in enumerate(rows)], size=(900, 500), font_size=26)
    seen = cv2.warpPerspective(image, photographed(900, 500, 6.0), (900, 500), borderValue=(255, 255, 255))
    path = tmp_path / "photo.png"
    cv2.imwrite(str(path), seen)
    agent = ChatOCR(options=AgentOptions(llm="builtin", vlm="vlm:fake", mode="vlm_only",
                                         cache_dir=str(tmp_path / "cache")))
    vlm = FakeLLM(json.dumps({"Total": "125.00"}), vision=True)
    agent._vlm = vlm
    doc = agent.parse(path)
    assert doc.pages[0].warp is not None
    agent.extract(doc, ["Total"])
    parts = [p for m in vlm.last_messages if isinstance(m.get("content"), list) for p in m["content"]
             if p.get("type") == "image_url"]
    shown = cv2.imdecode(np.frombuffer(base64.b64decode(parts[0]["image_url"]["url"].split(",", 1)[1]), np.uint8),
                         cv2.IMREAD_COLOR)

    def slopes(img):
        q = engine.read_image(img).quads.astype(float)
        along = (q[:, 1] + q[:, 2]) / 2 - (q[:, 0] + q[:, 3]) / 2
        keep = np.hypot(along[:, 0], along[:, 1]) > 300
        return np.degrees(np.arctan2(along[keep, 1], along[keep, 0]))

    assert np.ptp(slopes(seen)) > 8  # as stored: the top row slopes down 6 degrees, the bottom one up
    assert np.abs(slopes(shown)).max() < 1.0  # as shown: every row level
