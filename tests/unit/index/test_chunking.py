"""Chunking follows the layout: lines whole, tables whole or split with the header repeated, pairs kept, titles attached."""

from __future__ import annotations

import pytest
from indexkit import kv_block, make_doc, table_block, text_block

from chatocr.document import Block, Document, KeyValue, Page
from chatocr.index import Chunk, Chunker, ChunkOptions, chunk_document, should_retrieve
from chatocr.index.tokenize import count_tokens

PARA = "\n".join(f"Line {i} of the delivery terms says goods ship within {i} days." for i in range(30))


def _all_lines(doc: Document) -> list[str]:
    return [ln.text for _, b in doc.blocks() for ln in b.lines]


def test_lines_are_never_split_and_sizes_hold():
    doc = make_doc("d", [[text_block(1, 0, PARA)]])
    chunks = chunk_document(doc, ChunkOptions(size=200, overlap=0))
    assert len(chunks) > 3
    lines = set(_all_lines(doc))
    for c in chunks:
        assert all(part in lines for part in c.text.split("\n"))  # whole lines only
        assert len(c.text) <= 200
        assert c.pages == (1,) and c.block_ids == ("p1-b0",) and c.block_types == ("text",)
    # every line lands in some chunk, in order
    assert "\n".join(c.text for c in chunks) == PARA


def test_overlap_repeats_trailing_lines_of_the_same_block():
    doc = make_doc("d", [[text_block(1, 0, PARA)]])
    chunks = chunk_document(doc, ChunkOptions(size=200, overlap=70))
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.text.split("\n")[0] == a.text.split("\n")[-1]
    assert len(chunks) > len(chunk_document(doc, ChunkOptions(size=200, overlap=0)))


def test_a_line_longer_than_the_chunk_size_stays_whole():
    long_line = "x" * 500
    doc = make_doc("d", [[text_block(1, 0, f"short\n{long_line}\nafter")]])
    chunks = chunk_document(doc, ChunkOptions(size=100, overlap=0))
    assert any(long_line in c.text.split("\n") for c in chunks)
    assert not any("x" * 50 in c.text and long_line not in c.text for c in chunks)


def test_small_blocks_share_a_chunk_and_a_block_that_fits_is_not_cut():
    blocks = [text_block(1, i, f"Paragraph {i} first line.\nParagraph {i} second line.", y=60 * i) for i in range(6)]
    chunks = chunk_document(make_doc("d", [blocks]), ChunkOptions(size=120, overlap=0))
    for c in chunks:
        for bid in c.block_ids:  # each block lies wholly in one chunk
            assert sum(bid in other.block_ids for other in chunks) == 1
    assert max(len(c.block_ids) for c in chunks) >= 2


def test_title_is_attached_to_the_chunk_it_heads_and_heading_is_carried():
    body = "\n".join(f"Revenue line {i} grew by {i} percent in the region." for i in range(12))
    doc = make_doc("d", [[text_block(1, 0, "Intro text before any title."), text_block(1, 1, "3. Results", type="title", y=40),
                          text_block(1, 2, body, y=80)]])
    chunks = chunk_document(doc, ChunkOptions(size=200, overlap=0))
    assert chunks[0].text == "Intro text before any title." and chunks[0].heading == ""
    headed = chunks[1]
    assert headed.text.startswith("3. Results\nRevenue line 0")
    assert headed.block_ids[:2] == ("p1-b1", "p1-b2") and headed.block_types[:2] == ("title", "text")
    for c in chunks[2:]:
        assert c.heading == "3. Results" and not c.text.startswith("3. Results")
        assert c.index_text.startswith("3. Results\n")  # the heading is indexed with every chunk of its section


def test_title_at_the_end_of_a_page_heads_the_next_pages_first_chunk():
    doc = make_doc("d", [[text_block(1, 0, "Page one text."), text_block(1, 1, "Appendix A", type="title", y=900)],
                         [text_block(2, 0, "Appendix text on page two.")]])
    chunks = chunk_document(doc)
    assert [c.text for c in chunks] == ["Page one text.", "Appendix A\nAppendix text on page two."]
    assert chunks[1].pages == (1, 2)
    assert [(b.page, b.block_id) for b in chunks[1].boxes] == [(1, "p1-b1"), (2, "p2-b0")]


def test_chunks_do_not_cross_pages():
    doc = make_doc("d", [[text_block(1, 0, "alpha")], [text_block(2, 0, "beta")]])
    assert [(c.text, c.pages) for c in chunk_document(doc)] == [("alpha", (1,)), ("beta", (2,))]


def test_small_table_stays_whole_with_its_caption():
    rows = [["Item", "Qty", "Price"], ["Pen", "2", "3.00"], ["Book", "1", "12.00"]]
    doc = make_doc("d", [[text_block(1, 0, "Table 1: Order lines", type="table_caption"), table_block(1, 1, rows, y=30),
                          text_block(1, 2, "Thank you.", y=200)]])
    chunks = chunk_document(doc)
    table = [c for c in chunks if c.kind == "table"]
    assert len(table) == 1
    assert table[0].text == "Table 1: Order lines\n| Item | Qty | Price |\n| Pen | 2 | 3.00 |\n| Book | 1 | 12.00 |"
    assert table[0].block_types == ("table_caption", "table")
    assert [c.text for c in chunks if c.kind == "text"] == ["Thank you."]


def test_large_table_is_split_by_rows_with_the_header_repeated():
    rows = [["Date", "Description", "Amount"]] + [[f"2024-01-{i:02d}", f"Consulting services item {i}", f"{i * 10}.00"] for i in range(1, 41)]
    doc = make_doc("d", [[text_block(1, 0, "Ledger", type="title"), table_block(1, 1, rows, y=30)]])
    chunks = chunk_document(doc, ChunkOptions(size=300, table_size=300, overlap=0))
    assert len(chunks) > 3 and all(c.kind == "table" for c in chunks)
    default = chunk_document(doc, ChunkOptions(size=300))  # tables may grow to twice the chunk size by default
    assert 1 < len(default) < len(chunks) and all(len(c.text) <= 600 for c in default)
    header = "| Date | Description | Amount |"
    seen = []
    for i, c in enumerate(chunks):
        lines = c.text.split("\n")
        if i == 0:
            assert lines[:2] == ["Ledger", header]  # the title heads the first part
            body = lines[2:]
        else:
            assert lines[0] == header
            body = lines[1:]
        assert len(c.text) <= 300
        assert len(c.boxes) == len(lines)  # one box per row (and the title line)
        seen += body
    assert seen == ["| " + " | ".join(r) + " |" for r in rows[1:]]  # every data row once, in order


def test_table_rows_carry_row_boxes():
    rows = [["A", "B"], ["1", "2"]]
    chunks = chunk_document(make_doc("d", [[table_block(1, 0, rows, y=100)]]))
    assert [b.bbox for b in chunks[0].boxes] == [(50.0, 100.0, 245.0, 120.0), (50.0, 120.0, 245.0, 140.0)]


def test_key_value_pairs_stay_with_their_key():
    pairs = [(f"Field {i}", f"value number {i}") for i in range(20)]
    doc = make_doc("d", [[kv_block(1, 0, pairs, below=True)]])
    chunks = chunk_document(doc, ChunkOptions(size=80, overlap=0))
    assert len(chunks) > 3
    for c in chunks:
        lines = c.text.split("\n")
        assert len(lines) % 2 == 0
        for key, value in zip(lines[::2], lines[1::2], strict=True):
            assert key.startswith("Field ") and value == "value number " + key.split()[1]


def test_key_value_pairs_without_lines_use_the_pairs():
    kvs = (KeyValue(key="Total", value="12.30", key_bbox=(0, 0, 10, 10), value_bbox=(20, 0, 40, 10), kind="same_row"),)
    block = Block(id="p1-b0", type="text", bbox=(0, 0, 40, 10), kv=kvs)
    chunks = chunk_document(Document(id="d", pages=(Page(page=1, width=100, height=100, blocks=(block,)),)))
    assert [c.text for c in chunks] == ["Total: 12.30"]


def test_every_chunk_carries_its_line_boxes():
    doc = make_doc("doc1", [[text_block(1, 0, "one\ntwo\nthree", y=10)], [text_block(2, 0, "four", y=30)]])
    chunks = chunk_document(doc)
    assert chunks[0].doc_id == "doc1" and chunks[0].id == "doc1:p1-b0:0"
    assert [(b.page, b.block_id, b.bbox[1]) for b in chunks[0].boxes] == [(1, "p1-b0", 10.0), (1, "p1-b0", 30.0), (1, "p1-b0", 50.0)]
    assert chunks[1].boxes[0].page == 2 and chunks[1].page == 2
    assert isinstance(Chunk.model_validate_json(chunks[0].model_dump_json()), Chunk)


def test_empty_and_image_only_documents_give_no_chunks():
    assert chunk_document(Document(id="empty")) == []
    figure = Block(id="p1-b0", type="figure", bbox=(0, 0, 100, 100))
    doc = Document(id="img", pages=(Page(page=1, width=100, height=100, blocks=(figure,)), Page(page=2, width=1, height=1)))
    assert chunk_document(doc) == []


def test_skip_types():
    doc = make_doc("d", [[text_block(1, 0, "ACME Corp — page 1", type="header"), text_block(1, 1, "Body.", y=50)]])
    assert [c.text for c in chunk_document(doc, ChunkOptions(skip_types=("header", "footer")))] == ["Body."]


def test_running_headers_and_footers_are_indexed_once():
    pages = [[text_block(n, 0, "ACME Annual Report", type="header"), text_block(n, 1, f"Body of page {n}.", y=50),
              text_block(n, 2, f"Page {n} of 3", type="footer", y=900)] for n in (1, 2, 3)]
    texts = "\n".join(c.text for c in chunk_document(make_doc("d", pages)))
    assert texts.count("ACME Annual Report") == 1 and texts.count("of 3") == 1
    assert all(f"Body of page {n}." in texts for n in (1, 2, 3))


def test_token_sizes():
    text = "\n".join(f"增值税专用发票 第 {i} 行 金额 100.00 元" for i in range(40))
    doc = make_doc("d", [[text_block(1, 0, text)]])
    chunks = Chunker(ChunkOptions(size=60, unit="tokens", overlap=0))(doc)
    assert len(chunks) > 2 and all(count_tokens(c.text) <= 60 for c in chunks)


@pytest.mark.parametrize(("n", "expected"), [(100, False), (3499, False), (3500, True), (9000, True)])
def test_should_retrieve_follows_min_characters(n, expected):
    doc = make_doc("d", [[text_block(1, 0, "a" * n)]])
    assert should_retrieve(doc) is expected
    assert should_retrieve(doc, min_characters=50) is True
