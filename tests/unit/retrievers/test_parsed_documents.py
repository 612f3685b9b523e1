"""The loader and the index on documents from the real parser (chatocr.structure), when it is installed."""

from __future__ import annotations

import pytest
from chatocr.retrievers import ChatOCRLoader
from unit.index.indexkit import FakeEmbedder

import chatocr.structure
from chatocr.index import HybridIndex


def test_loader_uses_chatocr_structure_parse_by_default(monkeypatch, doc, tmp_path):
    seen = []
    monkeypatch.setattr(chatocr.structure, "parse", lambda path: seen.append(path) or doc)
    docs = ChatOCRLoader(tmp_path / "x.pdf").load()
    assert seen == [tmp_path / "x.pdf"] and docs[0].metadata["doc_id"] == "inv1"


@pytest.mark.models
def test_generated_invoice_pdf_end_to_end(tmp_path):
    from docgen import invoice_pdf

    from chatocr.errors import ModelNotFound

    data, truth = invoice_pdf(seed=3)
    path = tmp_path / "invoice.pdf"
    path.write_bytes(data)
    try:
        parsed = chatocr.structure.parse(path)
    except ModelNotFound as e:
        pytest.skip(f"parser models not installed: {e}")
    blocks = ChatOCRLoader(path, parser=lambda _p: parsed).load()
    assert blocks and all(d.metadata["page"] == 1 and len(d.metadata["bbox"]) == 4 for d in blocks)
    idx = HybridIndex(embedder=FakeEmbedder())
    chunks = idx.add_document(parsed)
    assert chunks and all(c.boxes for c in chunks)
    hit = idx.search(truth.pairs["Invoice No"], k=1, mode="bm25")[0]
    assert truth.pairs["Invoice No"] in hit.chunk.text and hit.chunk.page == 1
    hit = idx.search("Coffee beans unit price", k=3, mode="bm25")
    assert any("Coffee beans" in h.chunk.text for h in hit)
