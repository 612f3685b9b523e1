"""Words in the document model: every line keeps its words' boxes, so a value inside a line has its own box."""

from __future__ import annotations

import json

import numpy as np
import pymupdf
import pytest

from chatocr.document import Block, Document, Line, Page, Word
from chatocr.geometry import iou
from chatocr.structure import DocumentParser

# -- Line.span_box ------------------------------------------------------------------------------


def _line(text: str, words: list[tuple[str, tuple[float, float, float, float]]], bbox=(0, 0, 200, 20)) -> Line:
    return Line(text=text, bbox=bbox, words=tuple(Word(text=t, bbox=b) for t, b in words))


ROW = _line("Total: 12.30", [("Total:", (0, 0, 70, 20)), ("12.30", (150, 0, 200, 20))])


def test_a_span_takes_the_boxes_of_its_words():
    assert ROW.span_box(7, 12) == (150, 0, 200, 20)  # "12.30": the word, not its place by character count
    assert ROW.span_box(0, 12) == ROW.bbox  # the whole line: the line's own box
    assert ROW.span_box(0, 5) == pytest.approx((0, 0, 70 * 5 / 6, 20))  # "Total" cut out of "Total:"
    assert ROW.span_box(3, 9) == pytest.approx((35, 0, 170, 20))  # across words, cut at both ends


def test_without_words_a_span_is_cut_by_character_count():
    bare = Line(text="Total: 12.30", bbox=(0, 0, 240, 20))
    assert bare.span_box(7, 12) == pytest.approx((140, 0, 240, 20))
    # words that do not follow the text (edited text) are not trusted
    odd = _line("Total: 12.30", [("Sum", (0, 0, 70, 20))], bbox=(0, 0, 240, 20))
    assert odd.span_box(7, 12) == pytest.approx((140, 0, 240, 20))


def test_a_line_running_backwards_or_down_is_cut_its_way():
    # a line of a page stored upside down: its first word is on the right
    turned = _line("ab cdef", [("ab", (150, 0, 200, 20)), ("cdef", (0, 0, 100, 20))])
    assert turned.span_box(3, 5) == pytest.approx((50, 0, 100, 20))  # "cd": the right half of "cdef"
    down = _line("ab cdef", [("ab", (0, 0, 20, 50)), ("cdef", (0, 100, 20, 200))], bbox=(0, 0, 20, 200))
    assert down.span_box(5, 7) == pytest.approx((0, 150, 20, 200))  # "ef": the lower half of "cdef"


def test_words_are_kept_in_json_and_left_out_on_request():
    doc = Document(id="x", pages=(Page(page=1, width=200, height=40, blocks=(
        Block(id="p1-b0", type="text", bbox=ROW.bbox, text=ROW.text, lines=(ROW,)),)),))
    assert Document.from_json(doc.to_json()) == doc
    lean = json.loads(doc.to_json(words=False))
    assert "words" not in lean["pages"][0]["blocks"][0]["lines"][0]
    assert Document.from_dict(lean).pages[0].blocks[0].lines[0].words == ()
    assert "words" not in doc.to_dict(words=False)["pages"][0]["blocks"][0]["lines"][0]


# -- through the parser -------------------------------------------------------------------------


def _pdf() -> bytes:
    pdf = pymupdf.open()
    page = pdf.new_page(width=400, height=300)
    page.insert_text((40, 60), "Invoice no: INV-2024-0042", fontsize=14, fontname="helv")
    # narrow letters before the amount: cut by character count, its box would start in "total:"
    page.insert_text((40, 100), "Illicit fill-in total: 1,234.50 EUR", fontsize=14, fontname="helv")
    data = pdf.tobytes()
    pdf.close()
    return data


def _truth(data: bytes) -> dict[str, tuple[float, float, float, float]]:
    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        return {w[4]: tuple(w[:4]) for w in pdf[0].get_text("words")}


def test_text_layer_lines_carry_pymupdf_words():
    data = _pdf()
    doc = DocumentParser().parse(data)
    truth = _truth(data)
    words = [w for ln in doc.pages[0].lines() for w in ln.words]
    assert [w.text for w in words] == list(truth)
    for w in words:
        assert w.bbox == pytest.approx(truth[w.text])


def test_text_layer_cjk_characters_are_words_of_their_own():
    """Chinese is written without spaces: each character is a word (as OCR gives them), and the
    numbers and Latin runs between them are words, so a date inside a sentence has its own box."""
    doc = pymupdf.open()
    page = doc.new_page()
    font = pymupdf.Font("china-s")
    tw = pymupdf.TextWriter(page.rect)
    tw.append((50, 100), "本合同自2025年4月1日起生效 ABC Ltd", font=font, fontsize=12)
    tw.write_text(page)
    date_rect = page.search_for("2025年4月1日")[0]
    data = doc.tobytes()
    (line,) = list(DocumentParser().parse(data).pages[0].lines())
    assert [w.text for w in line.words] == [*"本合同自", "2025", "年", "4", "月", "1", "日", *"起生效", "ABC", "Ltd"]
    box = line.span_box(line.text.index("2025"), line.text.index("日起") + 1)
    assert box[0] == pytest.approx(date_rect.x0, abs=0.5) and box[2] == pytest.approx(date_rect.x1, abs=0.5)


@pytest.mark.models
@pytest.mark.parametrize("turn", [0, 1, 2])
def test_scanned_lines_carry_words_on_the_page_as_stored(engine, turn):
    data = _pdf()
    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        pix = pdf[0].get_pixmap(dpi=144)
    image = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)[:, :, :3][:, :, ::-1]
    h, w = image.shape[:2]
    s = 144 / 72
    truth = {t: (b[0] * s, b[1] * s, b[2] * s, b[3] * s) for t, b in _truth(data).items()}
    if turn == 1:  # content turned 90 degrees clockwise: (x, y) -> (h - y, x)
        truth = {t: (h - b[3], b[0], h - b[1], b[2]) for t, b in truth.items()}
    elif turn == 2:  # upside down
        truth = {t: (w - b[2], h - b[3], w - b[0], h - b[1]) for t, b in truth.items()}
    image = np.ascontiguousarray(np.rot90(image, k=-turn))
    doc = DocumentParser(ocr=engine).parse(image)
    words = {wd.text: wd.bbox for ln in doc.pages[0].lines() for wd in ln.words}
    assert set(truth) <= set(words), sorted(words)
    for t, box in truth.items():
        assert iou(words[t], box) >= 0.5, (t, words[t], box)


@pytest.mark.models
def test_a_value_inside_a_line_gets_its_own_box(engine):
    from chatocr.agent import locate

    data = _pdf()
    truth = _truth(data)
    digital = DocumentParser().parse(data)
    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        pix = pdf[0].get_pixmap(dpi=150)
    image = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)[:, :, :3][:, :, ::-1]
    scanned = DocumentParser(ocr=engine).parse(np.ascontiguousarray(image))
    # OCR boxes are padded around the ink: a looser bound for the scan (by character count: 0.51)
    for doc, scale, bound in ((digital, 1.0, 0.95), (scanned, 150 / 72, 0.6)):
        for value in ("INV-2024-0042", "1,234.50", "1234.50"):
            page, box, text, _ = locate(doc, value)
            want = tuple(v * scale for v in truth["1,234.50" if "234" in value else value])
            assert page == 1 and iou(box, want) >= bound, (value, box, want, text)


@pytest.mark.models
def test_a_value_in_a_table_cell_gets_its_own_box(engine):
    """A cell's value is boxed by the words of the lines the cell was read from, not by the cell."""
    from docgen import scanned_pdf
    from kiegen import invoice

    from chatocr.agent import locate

    data, truth = invoice(12)
    assert truth.layout["totals"] == "table"
    total = truth.fields["total"]
    want = total.value_bbox or total.bbox
    # before cells had words, the value was cut from the cell's box by character count: IoU 0.46 / 0.39
    for doc, bound in ((DocumentParser().parse(data), 0.95), (DocumentParser(ocr=engine).parse(scanned_pdf(data)), 0.8)):
        cells = [c for _, b in doc.tables() for c in b.table.cells if total.value in c.text]
        assert cells, "the total is read into a table cell"
        page, box, _, _ = locate(doc, total.value)
        assert page == 1 and iou(box, want) >= bound, (box, want)
