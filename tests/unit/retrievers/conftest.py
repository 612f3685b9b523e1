"""Fixtures: a small hybrid index over generated documents (fake embedder, no model needed)."""

from __future__ import annotations

import pytest
from unit.index.indexkit import FakeEmbedder, kv_block, make_doc, table_block, text_block

from chatocr.document import Document
from chatocr.index import HybridIndex


@pytest.fixture
def doc() -> Document:
    return make_doc("inv1", [[
        text_block(1, 0, "ACME Supplies Invoice", type="title"),
        kv_block(1, 1, [("Invoice No", "INV-77"), ("Total", "432.10")], y=40),
        table_block(1, 2, [["Item", "Qty"], ["Chairs", "4"]], y=120),
    ], [
        text_block(2, 0, "Delivery within five working days to the warehouse.", y=30),
        text_block(2, 1, "", type="figure", y=100),
    ]], name="invoice.pdf")


@pytest.fixture
def index(doc) -> HybridIndex:
    idx = HybridIndex(embedder=FakeEmbedder())
    idx.add_document(doc)
    idx.add_document(make_doc("other", [[text_block(1, 0, "Another document about warehouse deliveries and totals.")]]))
    return idx
