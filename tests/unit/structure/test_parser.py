"""The document parser end to end on generated documents: born-digital, scanned, broken, mixed."""

from __future__ import annotations

import re

import numpy as np
import pymupdf
import pytest
from chatocr_testkit import BAD_INPUTS
from docgen import garbage_layer_pdf, invoice_pdf, report_pdf, scanned_pdf

import chatocr.errors as errors
from chatocr.document import Document
from chatocr.structure import DocumentCache, DocumentParser
from chatocr.structure.tables import cell_accuracy


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().lower()


@pytest.fixture(scope="module")
def parser(engine):
    return DocumentParser(ocr=engine)


@pytest.fixture(scope="module")
def report():
    return report_pdf(3, seed=1)


@pytest.fixture(scope="module")
def parsed_report(report):
    # A fresh parser: a born-digital PDF must not load the OCR models at all.
    p = DocumentParser()
    doc = p.parse(report[0])
    assert p._ocr is None, "OCR models were loaded for a born-digital PDF"
    return doc


# -- born-digital ---------------------------------------------------------------------


def test_digital_pages_come_from_the_text_layer(parsed_report, report):
    _, truths = report
    assert [p.source for p in parsed_report.pages] == ["text_layer"] * 3
    assert [p.unit for p in parsed_report.pages] == ["pt"] * 3
    for page, truth in zip(parsed_report.pages, truths, strict=True):
        titles = [b for b in page.blocks if b.type == "title"]
        assert any(_norm(b.text) == _norm(truth.title) for b in titles), [b.text for b in titles]
        text = _norm(page.text)
        for para in truth.paragraphs:
            assert _norm(para) in text


def test_digital_tables_are_real_tables(parsed_report, report):
    _, truths = report
    for page, truth in zip(parsed_report.pages, truths, strict=True):
        tables = [b.table for b in page.blocks if b.table is not None]
        assert len(tables) == 1
        assert cell_accuracy(tables[0], truth.tables[0]) == 1.0


def test_running_headers_and_page_number_footers(parsed_report):
    for page in parsed_report.pages:
        assert page.blocks[0].type == "header" and "ACME" in page.blocks[0].text
        assert page.blocks[-1].type == "footer" and f"Page {page.page}" in page.blocks[-1].text


def test_two_columns_read_left_column_first(parsed_report, report):
    _, truths = report
    page, truth = parsed_report.pages[0], truths[0]
    text = _norm(page.text)
    starts = [text.index(_norm(p)) for p in truth.paragraphs]
    assert starts == sorted(starts), "paragraphs out of reading order"
    # the table comes after both columns, the signature after the table
    assert text.index("region | q1") > starts[-1]
    assert text.index("prepared by") > text.index("region | q1")


def test_key_values_keep_both_boxes(parsed_report):
    page = parsed_report.pages[0]
    pairs = {kv.key.rstrip(":").strip(): kv for b in page.blocks for kv in b.kv}
    assert pairs["Prepared by"].value == "Jane Smith"
    assert pairs["Date"].value == "2024-03-15"
    kv = pairs["Date"]
    assert kv.key_bbox[2] <= kv.value_bbox[2] and abs(kv.key_bbox[1] - kv.value_bbox[1]) < 5
    for box in (kv.key_bbox, kv.value_bbox):
        assert 0 <= box[0] < box[2] <= page.width and 0 <= box[1] < box[3] <= page.height


def test_block_ids_are_stable_and_unique(parsed_report, report):
    ids = [b.id for _, b in parsed_report.blocks()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"p\d+-b\d+", i) for i in ids)
    again = DocumentParser().parse(report[0])
    assert again == parsed_report


def test_json_round_trip_and_markdown(parsed_report):
    assert Document.from_json(parsed_report.to_json()) == parsed_report
    md = parsed_report.to_markdown()
    marks = [int(m) for m in re.findall(r"<!-- page (\d+) -->", md)]
    assert marks == [1, 2, 3]
    assert "| Region | Q1 | Q2 | Q3 |" in md
    assert "## Section 1: Results and Outlook" in md


def test_some_pages_of_a_file(parsed_report, report):
    from chatocr.options import LoaderOptions, OCROptions, ParserOptions

    options = ParserOptions(ocr=OCROptions(loader=LoaderOptions(pages="2-3")))
    parser = DocumentParser(options)
    doc = parser.parse(report[0])
    assert [p.page for p in doc.pages] == [2, 3]
    assert doc.page(3) == parsed_report.page(3) == parsed_report.pages[2]  # the same page, parsed alike
    with pytest.raises(KeyError):
        doc.page(1)
    assert parser.options_digest() != DocumentParser().options_digest()  # cached apart from the whole file
    with pytest.raises(errors.PageOutOfRange, match="page 4 asked for, but the PDF has 3 pages"):
        DocumentParser(options.model_copy(update={"ocr": OCROptions(loader=LoaderOptions(pages=(4,)))})).parse(
            report[0]
        )


def test_document_id_is_content_hash(parsed_report, report):
    import hashlib

    assert parsed_report.sha256 == hashlib.sha256(report[0]).hexdigest()
    assert parsed_report.id == parsed_report.sha256[:16]


# -- scanned and broken pages ----------------------------------------------------------


@pytest.mark.models
def test_garbage_text_layer_falls_back_to_ocr(parser):
    doc = parser.parse(garbage_layer_pdf(["Hello world invoice", "Total 12.30"]))
    page = doc.pages[0]
    assert page.source == "ocr"
    assert "hello world invoice" in _norm(page.text)
    assert "12.30" in page.text


@pytest.mark.models
def test_scanned_invoice(parser):
    pdf, truth = invoice_pdf(seed=3)
    doc = parser.parse(scanned_pdf(pdf, dpi=150))
    page = doc.pages[0]
    assert page.source == "ocr" and page.unit == "pt"
    tables = [b.table for b in page.blocks if b.table is not None]
    assert tables, [b.type for b in page.blocks]
    assert cell_accuracy(tables[0], truth.tables[0]) >= 0.8
    pairs = {_norm(kv.key).rstrip(":"): kv.value for _, kv in doc.kv_pairs()}
    assert pairs.get("total") == truth.pairs["Total"], pairs
    assert pairs.get("invoice no") == truth.pairs["Invoice No"], pairs
    # boxes are PDF points on the page
    for b in page.blocks:
        assert 0 <= b.bbox[0] <= b.bbox[2] <= page.width + 0.01
        assert 0 <= b.bbox[1] <= b.bbox[3] <= page.height + 0.01


@pytest.mark.models
def test_a_receipt_read_as_a_figure_keeps_its_rows(parser, sroie):
    """The layout model calls a photographed receipt a figure; its text keeps one row per line
    (key and value side by side), not one paragraph of 160 lines."""
    import json

    from chatocr.geometry import group_rows

    doc = parser.parse(sroie / "img" / "106.jpg")
    figures = [b for b in doc.pages[0].blocks if b.type == "figure" and b.lines]
    assert figures, [b.type for b in doc.pages[0].blocks]
    fig = max(figures, key=lambda b: len(b.lines))
    rows = fig.text.split("\n")
    # top to bottom, the lines of one row left to right
    assert rows == [" ".join(fig.lines[i].text.strip() for i in row) for row in group_rows([ln.bbox for ln in fig.lines])]
    assert len(rows) > 20
    truth = json.loads((sroie / "key" / "106.json").read_text(encoding="utf-8"))
    assert truth["company"] in rows
    assert any(r.startswith("Total Sales") and r.endswith("565.50") for r in rows), rows
    assert "\n" + truth["company"] + "  \n" in doc.to_markdown()  # a hard line break per row


@pytest.mark.models
def test_labels_and_values_of_a_text_block_keep_their_rows(parser, sroie):
    """Receipt 306: the layout model gives the totals one text region, label on the left and
    value on the right; its text is one row per pair, not one run-on sentence."""
    doc = parser.parse(sroie / "img" / "306.jpg")
    block = next(b for b in doc.pages[0].blocks if "Sub Total" in b.text)
    rows = block.text.split("\n")
    assert rows[:2] == ["Sub Total: 18.90", "Less Discount: 0.00"], rows
    assert "Change: 31.10" in rows


@pytest.mark.models
def test_lines_no_region_took_are_split_into_paragraphs(parser, sroie):
    """Receipt 433: the layout model leaves most lines in no region; they used to make one
    paragraph of 57 lines, from the shop's name to the totals."""
    doc = parser.parse(sroie / "img" / "433.jpg")
    blocks = doc.pages[0].blocks
    name = next(b for b in blocks if "TOAST" in b.text)
    totals = next(b for b in blocks if "Sub Total" in b.text)
    assert name is not totals and len(name.lines) < 10
    assert "\nSub Total: 31.00\n" in totals.text


@pytest.mark.models
def test_rotated_scan_reads_upright_and_boxes_land_on_the_original(parser, render):
    img, boxes = render.page([(40, 40, "INVOICE 2024"), (40, 120, "Total amount 88.50"), (40, 200, "Thank you")],
                             size=(700, 300), font_size=30)
    turned = np.ascontiguousarray(np.rot90(img, k=-1))  # content turned 90 degrees clockwise
    doc = parser.parse(turned)
    page = doc.pages[0]
    assert page.orientation in (90, 270)
    assert "total amount 88.50" in _norm(page.text)
    line = next(ln for ln in page.lines() if "88.50" in ln.text)
    # "Total amount 88.50" was drawn at rows 120..150 of the upright image; turned clockwise,
    # those rows become columns counted from the right edge of the turned image.
    h = img.shape[0]
    x0, y0, x1, y1 = line.bbox
    assert page.width == turned.shape[1] and page.height == turned.shape[0]
    assert y1 - y0 > x1 - x0, "box is not in the rotated page's coordinates"
    ink = boxes[1]
    assert abs((h - ink[3]) - x0) < 15 and abs((h - ink[1]) - x1) < 15


@pytest.mark.models
def test_upside_down_scan_is_read_upright(parser, render):
    img, _ = render.page([(40, 40, "INVOICE 2024"), (40, 120, "Total amount 88.50"), (40, 200, "Thank you for coming")],
                         size=(700, 300), font_size=30)
    doc = parser.parse(np.ascontiguousarray(img[::-1, ::-1]))
    page = doc.pages[0]
    assert page.orientation == 180
    texts = [_norm(ln.text) for ln in page.lines()]
    assert texts.index("invoice 2024") < texts.index("total amount 88.50") < texts.index("thank you for coming")
    line = next(ln for ln in page.lines() if "88.50" in ln.text)
    # drawn at rows 120..150 of the upright image: turned 180, near the bottom half's top
    assert 300 - 160 < line.bbox[1] < line.bbox[3] < 300 - 110


@pytest.mark.models
def test_mixed_document_works_page_by_page(parser):
    digital, _ = report_pdf(1, seed=2)
    scan = scanned_pdf(invoice_pdf(seed=4)[0], dpi=120)
    doc = pymupdf.open()
    doc.insert_pdf(pymupdf.open(stream=digital, filetype="pdf"))
    doc.insert_pdf(pymupdf.open(stream=scan, filetype="pdf"))
    blank = doc.new_page(width=300, height=200)  # a blank page of another size
    assert blank is not None
    parsed = parser.parse(doc.tobytes())
    assert [p.source for p in parsed.pages] == ["text_layer", "ocr", "empty"]
    assert parsed.pages[2].width == 300 and parsed.pages[2].blocks == ()


@pytest.mark.models
def test_digital_page_with_a_scanned_image_ocrs_the_image(parser):
    scan = pymupdf.open(stream=scanned_pdf(invoice_pdf(seed=5)[0], dpi=130), filetype="pdf")
    pix = scan[0].get_pixmap(dpi=130)
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((50, 40), "Attachment 1: the scanned invoice", fontsize=12, fontname="helv")
    page.insert_image(pymupdf.Rect(40, 60, 555, 820), stream=pix.tobytes("png"))
    parsed = parser.parse(doc.tobytes()).pages[0]
    assert parsed.source == "mixed"
    assert "attachment 1" in _norm(parsed.text)
    assert "northwind traders" in _norm(parsed.text)


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_refused_like_the_ocr_core(case, bad_files):
    path = bad_files[case]
    with pytest.raises(getattr(errors, BAD_INPUTS[case][2])) as info:
        DocumentParser().parse(path)
    assert info.value.source == str(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_long_digital_pdf_streams(tmp_path):
    doc = pymupdf.open()
    for i in range(500):
        page = doc.new_page(width=300, height=200)
        page.insert_text((20, 40), f"Line on page {i + 1}", fontsize=12, fontname="helv")
    pages = list(DocumentParser().iter_pages(doc.tobytes()))
    assert len(pages) == 500 and pages[-1].page == 500
    assert "page 500" in pages[-1].text


# -- cache ----------------------------------------------------------------------------


def test_cache_reuses_a_parse_and_survives_corruption(tmp_path, report):
    cache = DocumentCache(tmp_path)
    calls = []

    class Counting(DocumentParser):
        def parse_read(self, source, read, *, progress=None):  # the cache hands over the bytes it read
            calls.append(1)
            return super().parse_read(source, read, progress=progress)

    p = Counting()
    first = cache.parse(p, report[0])
    second = cache.parse(p, report[0])
    assert first == second and len(calls) == 1
    path = cache.path(first.sha256, p.options_digest())
    path.write_text(path.read_text()[:100])  # truncated by a crash or by hand
    third = cache.parse(p, report[0])
    assert third == first and len(calls) == 2


def test_cache_key_follows_options_and_release(monkeypatch):
    import chatocr.structure.parser as parser_module
    from chatocr.options import ParserOptions

    base = DocumentParser().options_digest()
    assert DocumentParser().options_digest() == base  # stable
    assert DocumentParser(ParserOptions(use_text_layer=False)).options_digest() != base
    monkeypatch.setattr(parser_module, "__version__", "999.0")  # an upgrade parses again
    assert DocumentParser().options_digest() != base
