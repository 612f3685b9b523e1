"""The hybrid index with a fake embedder: search modes, fusion, filters, replace, persistence, errors, cache."""

from __future__ import annotations

import json

import numpy as np
import pytest
from indexkit import FakeEmbedder, kv_block, make_doc, table_block, text_block

from chatocr.document import Block, Document, Page
from chatocr.errors import (
    ChatOCRError,
    EmbeddingUnavailable,
    IndexCorrupt,
    IndexMismatch,
    IndexNotFound,
)
from chatocr.index import HybridIndex, IndexOptions, Retriever
from chatocr.index import hybrid as hybrid_mod


def invoice(doc_id: str, total: str, vendor: str) -> Document:
    return make_doc(doc_id, [[
        text_block(1, 0, f"{vendor} Trading Ltd", type="title"),
        kv_block(1, 1, [("Invoice No", f"INV-{doc_id}"), ("Date", "2024-03-01")], y=40),
        table_block(1, 2, [["Item", "Qty", "Price"], ["Paper", "10", "5.00"], ["Toner", "1", "80.00"]], y=120),
    ], [
        text_block(2, 0, "Payment terms: thirty days. Bank transfer to the account below.", y=40),
        kv_block(2, 1, [("Total amount due", total)], y=100),
    ]])


def report() -> Document:
    return make_doc("rep", [[
        text_block(1, 0, "增值税发票 说明", type="title"),
        text_block(1, 1, "本发票的合计金额为人民币一千元。\n开票日期为二零二四年三月一日。", y=40),
    ], [
        text_block(2, 0, "Quarterly revenue grew in every region while operating costs were stable.", y=40),
    ]])


@pytest.fixture
def index(fake_embedder) -> HybridIndex:
    idx = HybridIndex(embedder=fake_embedder)
    idx.add_documents([invoice("a", "120.50", "Alpha"), invoice("b", "999.00", "Beta"), report()])
    return idx


def test_is_a_retriever(index):
    assert isinstance(index, Retriever)


def test_hybrid_bm25_and_dense_find_the_answer(index):
    for mode in ("hybrid", "bm25", "dense"):
        hits = index.search("total amount due", k=3, mode=mode)
        assert hits and "Total amount due" in hits[0].chunk.text, mode
        assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_hybrid_hits_report_both_ranks(index):
    hits = index.search("total amount due", k=5)
    top = hits[0]
    assert top.bm25_rank == 1 and top.dense_rank is not None and top.dense_score is not None
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))


def test_cjk_query_finds_chinese_text(index):
    hits = index.search("合计金额", k=1, mode="bm25")
    assert hits[0].chunk.doc_id == "rep" and "合计金额" in hits[0].chunk.text


def test_filters_by_doc_and_page(index):
    hits = index.search("total amount due", k=5, doc_ids=["b"])
    assert hits and {h.chunk.doc_id for h in hits} == {"b"}
    hits = index.search("total amount due", k=5, pages=[1])
    assert hits and all(1 in h.chunk.pages for h in hits)
    assert index.search("total amount due", doc_ids=["nope"]) == []
    hits = index.search("invoice", k=10, doc_ids=["a"], pages=[2], mode="dense")
    assert hits and all(h.chunk.doc_id == "a" and 2 in h.chunk.pages for h in hits)


def test_bm25_returns_only_matching_chunks(index):
    assert index.search("zebra xylophone", mode="bm25") == []
    assert len(index.search("zebra xylophone", mode="dense", k=3)) == 3  # dense always ranks something


def test_adding_a_document_twice_replaces_it(index, fake_embedder):
    n = len(index)
    index.add_document(invoice("a", "777.77", "Alpha"))
    assert len(index) == n
    texts = [c.text for c in index.chunks if c.doc_id == "a"]
    assert any("777.77" in t for t in texts) and not any("120.50" in t for t in texts)
    assert index.doc_ids.count("a") == 1
    assert index.search("777.77", k=1, mode="bm25")[0].chunk.doc_id == "a"


def test_unchanged_chunks_are_not_embedded_again(index, fake_embedder):
    before = fake_embedder.texts
    index.add_document(invoice("a", "120.50", "Alpha"))  # same content
    assert fake_embedder.texts == before
    index.add_document(invoice("a", "5.00", "Alpha"))  # one chunk changed
    assert fake_embedder.texts == before + 1


def test_remove_document(index):
    assert index.remove_document("b") > 0
    assert "b" not in index.doc_ids and index.remove_document("b") == 0
    assert all(h.chunk.doc_id != "b" for h in index.search("invoice", k=20))


def test_empty_and_huge_queries(index):
    assert index.search("") == [] and index.search("   \n ") == []
    big = ("total amount due " * 7000)[:100_000]
    hits = index.search(big, k=2)
    assert len(hits) == 2
    with pytest.raises(ValueError):
        index.search("x", k=0)


def test_empty_index_and_empty_documents(fake_embedder, tmp_path):
    idx = HybridIndex(embedder=fake_embedder)
    assert idx.search("anything") == []
    figure = Block(id="p1-b0", type="figure", bbox=(0, 0, 10, 10))
    assert idx.add_document(Document(id="img", pages=(Page(page=1, width=10, height=10, blocks=(figure,)),))) == []
    assert idx.add_document(Document(id="empty")) == []
    assert len(idx) == 0 and idx.search("anything") == []
    idx.save(tmp_path / "i")
    again = HybridIndex.load(tmp_path / "i", embedder=fake_embedder)
    assert len(again) == 0 and again.search("anything") == []


def test_save_load_round_trip(index, fake_embedder, tmp_path):
    index.save(tmp_path / "idx")
    loaded = HybridIndex.load(tmp_path / "idx", embedder=FakeEmbedder())
    assert [c.id for c in loaded.chunks] == [c.id for c in index.chunks]
    for mode in ("hybrid", "bm25", "dense"):
        a = [(h.chunk.id, round(h.score, 5)) for h in index.search("toner price", k=4, mode=mode)]
        b = [(h.chunk.id, round(h.score, 5)) for h in loaded.search("toner price", k=4, mode=mode)]
        assert a == b, mode
    # the loaded index keeps working: add, search, save again
    loaded.add_document(invoice("c", "1.00", "Gamma"))
    assert loaded.search("Gamma Trading", k=1)[0].chunk.doc_id == "c"
    loaded.save(tmp_path / "idx")
    assert len(HybridIndex.load(tmp_path / "idx", embedder=FakeEmbedder())) == len(loaded)
    assert loaded.options == index.options


def test_saved_cache_makes_rebuilding_free(index, tmp_path):
    index.save(tmp_path / "idx")
    emb = FakeEmbedder()
    fresh = HybridIndex(embedder=emb, cache_dir=tmp_path / "idx")
    fresh.add_documents([invoice("a", "120.50", "Alpha"), invoice("b", "999.00", "Beta"), report()])
    assert emb.texts == 0  # every vector came from embeddings.sqlite
    fresh.add_document(invoice("a", "3.00", "Alpha"))
    assert emb.texts == 1


def test_load_missing_dir(tmp_path):
    with pytest.raises(IndexNotFound) as e:
        HybridIndex.load(tmp_path / "nothing", embedder=FakeEmbedder())
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, ChatOCRError)


@pytest.mark.parametrize(
    ("other", "what"),
    [(FakeEmbedder(name="other"), "name"), (FakeEmbedder(dim=32), "dim"), (FakeEmbedder(salt="v2"), "fingerprint")],
)
def test_load_with_another_model_is_a_mismatch(index, tmp_path, other, what):
    index.save(tmp_path / "idx")
    with pytest.raises(IndexMismatch, match="rebuild the index"):
        HybridIndex.load(tmp_path / "idx", embedder=other)


def _corrupt(path, how):
    if how == "manifest-garbage":
        (path / "manifest.json").write_bytes(b"\x00\xff not json")
    elif how == "manifest-other":
        (path / "manifest.json").write_text(json.dumps({"hello": 1}))
    elif how == "chunks-truncated":
        data = (path / "chunks.jsonl").read_bytes()
        (path / "chunks.jsonl").write_bytes(data[: len(data) // 2])
    elif how == "chunks-missing":
        (path / "chunks.jsonl").unlink()
    elif how == "vectors-flipped":
        data = bytearray((path / "vectors.npy").read_bytes())
        data[-5] ^= 0xFF
        (path / "vectors.npy").write_bytes(bytes(data))
    elif how == "bm25-missing":
        for f in (path / "bm25").iterdir():
            f.unlink()
        (path / "bm25").rmdir()
    elif how == "cache-garbage":
        (path / "embeddings.sqlite").write_bytes(b"not a database" * 200)
    elif how == "bm25-garbage":
        for f in (path / "bm25").iterdir():
            f.write_bytes(b"garbage")


@pytest.mark.parametrize(
    "how",
    ["manifest-garbage", "manifest-other", "chunks-truncated", "chunks-missing", "vectors-flipped", "bm25-missing", "bm25-garbage",
     "cache-garbage"],
)
def test_corrupted_index_dir(index, tmp_path, how):
    index.save(tmp_path / "idx")
    _corrupt(tmp_path / "idx", how)
    with pytest.raises(IndexCorrupt, match="rebuild the index"):
        HybridIndex.load(tmp_path / "idx", embedder=FakeEmbedder())


def test_corruption_without_verify_is_still_caught_by_shape(index, tmp_path):
    index.save(tmp_path / "idx")
    np.save(tmp_path / "idx" / "vectors.npy", np.zeros((3, 64), np.float32))
    with pytest.raises(IndexCorrupt):
        HybridIndex.load(tmp_path / "idx", embedder=FakeEmbedder(), verify=False)


def test_future_format_version_is_a_mismatch(index, tmp_path):
    index.save(tmp_path / "idx")
    m = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    m["version"] = 99
    (tmp_path / "idx" / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(IndexMismatch):
        HybridIndex.load(tmp_path / "idx", embedder=FakeEmbedder())


def _no_torch(monkeypatch):
    def fail(_options=None):
        raise EmbeddingUnavailable("PyTorch is not installed: run `pip install torch==2.13.0`")

    monkeypatch.setattr(hybrid_mod, "load_embedder", fail)


def test_missing_torch_raises_unless_bm25_only_is_asked_for(monkeypatch, tmp_path, caplog):
    _no_torch(monkeypatch)
    with pytest.raises(EmbeddingUnavailable, match="pip install torch==2.13.0"):
        HybridIndex().add_document(report())
    idx = HybridIndex(IndexOptions(allow_bm25_only=True))
    with caplog.at_level("WARNING"):
        idx.add_document(report())
    assert "BM25 only" in caplog.text
    assert not idx.dense_available
    hits = idx.search("合计金额", k=1)  # hybrid falls back to BM25, loudly (logged above)
    assert hits and hits[0].dense_rank is None
    with pytest.raises(EmbeddingUnavailable):
        idx.search("合计金额", mode="dense")
    idx.save(tmp_path / "bm25only")
    again = HybridIndex.load(tmp_path / "bm25only")
    assert not again.dense_available and again.search("合计金额", k=1)[0].chunk.id == hits[0].chunk.id


def test_dense_index_cannot_load_without_torch(index, monkeypatch, tmp_path):
    index.save(tmp_path / "idx")
    _no_torch(monkeypatch)
    with pytest.raises(EmbeddingUnavailable):
        HybridIndex.load(tmp_path / "idx")


def test_fusion_weights(fake_embedder):
    idx = HybridIndex(IndexOptions(dense_weight=0.0), embedder=fake_embedder)
    idx.add_documents([invoice("a", "120.50", "Alpha"), report()])
    bm = [h.chunk.id for h in idx.search("payment terms bank", k=3, mode="bm25")]
    assert [h.chunk.id for h in idx.search("payment terms bank", k=len(bm))] == bm


def test_chunks_must_belong_to_the_document(fake_embedder, index):
    with pytest.raises(ValueError):
        HybridIndex(embedder=fake_embedder).add_chunks("other", index.chunks[:1])
