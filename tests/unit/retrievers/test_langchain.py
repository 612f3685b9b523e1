"""LangChain adapters: BaseRetriever.invoke over the hybrid index, and the document loader's metadata."""

from __future__ import annotations

import pytest
from chatocr.retrievers import (
    BM25Retriever,
    ChatOCRLoader,
    ChatOCRRetriever,
    HybridRetriever,
    VectorRetriever,
    hits_to_documents,
)
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever


def test_retriever_invoke_returns_documents_with_provenance(index):
    r = ChatOCRRetriever(retriever=index, k=2)
    assert isinstance(r, BaseRetriever)
    docs = r.invoke("total amount")
    assert 1 <= len(docs) <= 2 and all(isinstance(d, LCDocument) for d in docs)
    top = docs[0]
    assert "Total: 432.10" in top.page_content
    m = top.metadata
    assert m["doc_id"] == "inv1" and m["page"] == 1 and m["pages"] == [1]
    assert m["block_types"][0] == "title" and m["block_ids"][0] == "p1-b0"
    assert all(len(b) == 5 and b[0] == 1 for b in m["bboxes"])  # [page, x0, y0, x1, y1] per line
    assert m["rank"] == 1 and m["score"] > 0 and top.id == m["chunk_id"]


def test_retriever_filters_and_batch(index):
    r = ChatOCRRetriever(retriever=index, k=5, doc_ids=["inv1"], pages=[2])
    docs = r.invoke("warehouse delivery")
    assert docs and all(d.metadata["doc_id"] == "inv1" and 2 in d.metadata["pages"] for d in docs)
    batch = ChatOCRRetriever(retriever=index, k=1).batch(["chairs", "warehouse"])
    assert [len(b) for b in batch] == [1, 1]


def test_retriever_empty_query(index):
    assert ChatOCRRetriever(retriever=index).invoke("") == []


@pytest.mark.parametrize(("cls", "mode"), [(BM25Retriever, "bm25"), (VectorRetriever, "dense"), (HybridRetriever, "hybrid")])
def test_mode_retrievers(index, cls, mode):
    r = cls(index, k=2)
    hits = r.retrieve("chairs quantity")
    assert len(hits) <= 2 and hits and "Chairs" in hits[0].chunk.text
    if mode == "bm25":
        assert hits[0].dense_rank is None and hits[0].bm25_rank == 1
    if mode == "dense":
        assert hits[0].bm25_rank is None and hits[0].dense_rank == 1
    assert r.retrieve("chairs", doc_ids=["other"]) == [] or all(h.chunk.doc_id == "other" for h in r.retrieve("chairs", doc_ids=["other"]))
    # a chatocr retriever plugs into the LangChain one
    assert ChatOCRRetriever(retriever=r, k=1).invoke("chairs")[0].metadata["doc_id"] == "inv1"
    with pytest.raises(ValueError):
        cls(index, k=0)


def test_hits_to_documents_empty():
    assert hits_to_documents([]) == []


def test_loader_blocks(doc):
    docs = ChatOCRLoader(doc).load()
    assert [d.metadata["block_id"] for d in docs] == ["p1-b0", "p1-b1", "p1-b2", "p2-b0"]  # the empty figure is skipped
    first = docs[0].metadata
    assert first["source"] == "invoice.pdf" and first["doc_id"] == "inv1" and first["page"] == 1
    assert first["block_type"] == "title" and len(first["bbox"]) == 4 and first["unit"] == "pt"
    assert first["page_width"] == 800 and first["line_bboxes"] == [list(doc.pages[0].blocks[0].lines[0].bbox)]
    table = docs[2]
    assert table.metadata["block_type"] == "table" and table.page_content.startswith("| Item | Qty |")
    assert docs[3].id == "inv1:p2-b0"


def test_loader_is_lazy_and_has_page_and_chunk_modes(doc):
    it = ChatOCRLoader(doc).lazy_load()
    assert next(it).metadata["block_id"] == "p1-b0"
    pages = ChatOCRLoader(doc, mode="page").load()
    assert [d.metadata["page"] for d in pages] == [1, 2] and "432.10" in pages[0].page_content
    chunks = ChatOCRLoader(doc, mode="chunk").load()
    assert chunks and all(d.metadata["doc_id"] == "inv1" and d.metadata["bboxes"] for d in chunks)
    assert chunks[0].metadata["source"] == "invoice.pdf"
    with pytest.raises(ValueError):
        ChatOCRLoader(doc, mode="words")


def test_loader_from_path_with_injected_parser(doc, tmp_path):
    seen = []

    def parser(path):
        seen.append(path)
        return doc

    path = tmp_path / "scan.pdf"
    loader = ChatOCRLoader(path, parser=parser)
    assert seen == []  # nothing parsed until loading
    docs = loader.load()
    assert seen == [path] and docs[0].metadata["source"] == str(path)
