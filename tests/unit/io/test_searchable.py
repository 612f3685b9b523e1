"""Searchable PDFs: the text read laid over the pages, invisible, each word on its ink."""

from __future__ import annotations

import numpy as np
import pymupdf
import pytest
from chatocr_testkit import ENCRYPTED_PASSWORD, encrypted_pdf

from chatocr.errors import InputError
from chatocr.io import PageImage, iter_pages
from chatocr.io.searchable import SearchablePDF
from chatocr.options import LoaderOptions
from chatocr.types import OCRPage, TextLine, Word


def _quad(x0, y0, x1, y1, turn: int = 0):
    """The corners of a box, clockwise from the top-left of its text read ``turn`` degrees
    clockwise (180: the text upside down, its top-left at the box's bottom right)."""
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    k = turn // 90
    return tuple(corners[k:] + corners[:k])


def _line(words: list[tuple[str, tuple]]) -> TextLine:
    pts = np.array([p for _, q in words for p in q])
    box = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))
    return TextLine(text=" ".join(t for t, _ in words), score=0.9, bbox=box, polygon=words[0][1],
                    words=tuple(Word(text=t, bbox=(min(x for x, _ in q), min(y for _, y in q),
                                                   max(x for x, _ in q), max(y for _, y in q)), polygon=q)
                                for t, q in words))


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _words(path) -> list[tuple[str, tuple[float, float, float, float]]]:
    with pymupdf.open(path) as doc:
        return [(w[4], tuple(w[:4])) for w in doc[0].get_text("words")]


@pytest.mark.models
def test_a_scan_becomes_a_pdf_whose_words_sit_on_their_ink(engine, render, tmp_path):
    items = [(40, 40, "Invoice 2291"), (40, 110, "Total due 35.86"), (420, 110, "Paid by card")]
    image, inked = render.page(items, size=(700, 200), font_size=30)
    scan = tmp_path / "scan.png"
    scan.write_bytes(render.encode(image, dpi=(300, 300)))
    pdf = SearchablePDF(scan)
    pages = [(im, engine.read_page(im)) for im in iter_pages(scan)]
    for im, page in pages:
        pdf.add(im, page)
    out = pdf.save(tmp_path / "out" / "scan.pdf")
    with pymupdf.open(out) as doc:
        assert doc.page_count == 1
        assert doc[0].rect.width == pytest.approx(700 * 72 / 300, abs=0.01)
        assert doc[0].rect.height == pytest.approx(200 * 72 / 300, abs=0.01)
        assert doc[0].get_images()[0][2:4] == (700, 200)  # the scan itself, as its own PNG
        assert doc[0].get_text().split() == " ".join(t for _, _, t in items).split()
        assert doc[0].search_for("35.86")
    # every word on its ink: inside the box its text was drawn in (in pixels)
    words = _words(out)
    for text, (x0, y0, x1, y1) in words:
        box = [v * 300 / 72 for v in (x0, y0, x1, y1)]
        ink = next(b for (_, _, t), b in zip(items, inked, strict=True) if text in t.split())
        assert box[0] >= ink[0] - 8 and box[2] <= ink[2] + 8, text
        assert _iou((ink[0], box[1], ink[2], box[3]), (ink[0], ink[1], ink[2], ink[3])) > 0.5, text
    assert not (tmp_path / "out" / "scan.pdf.part").exists()


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_words_are_laid_along_their_boxes_however_the_text_is_turned(tmp_path, turn):
    boxes = {"north": (100, 50, 260, 90), "south": (300, 50, 460, 90)} if turn in (0, 180) else \
        {"north": (100, 50, 140, 210), "south": (100, 250, 140, 410)}
    line = _line([(t, _quad(*b, turn)) for t, b in boxes.items()])
    blank = PageImage(1, np.full((500, 600, 3), 255, np.uint8), 600.0, 500.0, "px", 1.0)
    pdf = SearchablePDF(blank.image)  # 200 dpi: 72/200 points a pixel
    pdf.add(blank, OCRPage(page=1, width=600, height=500, lines=(line,)))
    words = _words(pdf.save(tmp_path / "turned.pdf"))
    assert [t for t, _ in words] == ["north", "south"]
    for text, got in words:
        want = [v * 72 / 200 for v in boxes[text]]
        assert _iou(got, want) > 0.6, (text, got, want)


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_a_parsed_page_is_written_with_each_word_on_its_stretch_of_the_line(tmp_path, turn):
    """A parsed page keeps word boxes only (upright on the page): each word goes on the part of its
    line's polygon that the box covers, turned with the line; a text layer's line is not written again."""
    from chatocr.document import Block, Line, Page
    from chatocr.document import Word as DocWord

    boxes = {"north": (100, 50, 260, 90), "south": (300, 50, 460, 90)} if turn in (0, 180) else \
        {"north": (100, 50, 140, 210), "south": (100, 250, 140, 410)}
    order = list(boxes) if turn in (0, 90) else list(boxes)[::-1]  # the text's own order
    x0, y0 = min(b[0] for b in boxes.values()), min(b[1] for b in boxes.values())
    x1, y1 = max(b[2] for b in boxes.values()), max(b[3] for b in boxes.values())
    line = Line(text=" ".join(order), bbox=(x0, y0, x1, y1), polygon=_quad(x0, y0, x1, y1, turn), score=0.9,
                words=tuple(DocWord(text=t, bbox=boxes[t]) for t in order))
    layer = Line(text="printed", bbox=(300, 400, 400, 430), source="text_layer")
    page = Page(page=1, width=600, height=500, orientation=turn,
                blocks=(Block(id="p1-b0", type="text", bbox=(x0, y0, x1, y1), lines=(line, layer)),))
    blank = PageImage(1, np.full((500, 600, 3), 255, np.uint8), 600.0, 500.0, "px", 1.0)
    pdf = SearchablePDF(blank.image)
    pdf.add(blank, page)
    out = pdf.save(tmp_path / "parsed.pdf")
    words = _words(out)
    assert sorted(t for t, _ in words) == ["north", "south"]
    for text, got in words:
        want = [v * 72 / 200 for v in boxes[text]]
        assert _iou(got, want) > 0.6, (text, got, want)
    # written along the line, the way its text runs on the page
    with pymupdf.open(out) as doc:
        runs = [ln["dir"] for b in doc[0].get_text("dict")["blocks"] for ln in b.get("lines", ())]
    way = {0: (1, 0), 90: (0, 1), 180: (-1, 0), 270: (0, -1)}[turn]
    assert runs and all(np.allclose(d, way, atol=1e-3) for d in runs), runs


def test_text_beyond_latin_is_written_in_a_font_that_holds_it(tmp_path):
    blank = PageImage(1, np.full((200, 400, 3), 255, np.uint8), 400.0, 200.0, "px", 1.0)
    line = _line([("发票", _quad(10, 10, 90, 40)), ("Счёт", _quad(100, 10, 190, 40)), ("café", _quad(200, 10, 290, 40))])
    pdf = SearchablePDF(blank.image)
    pdf.add(blank, OCRPage(page=1, width=400, height=200, lines=(line,)))
    assert [t for t, _ in _words(pdf.save(tmp_path / "scripts.pdf"))] == ["发票", "Счёт", "café"]


def test_every_character_of_an_invoice_in_europe_comes_back(tmp_path):
    """The euro, typographic quotes and dashes (Windows-1252 but not Latin-1) and the letters of Polish,
    Czech or Turkish come back as written, each word on its box; the font for them is embedded once."""
    words = ["€12,50", "“Płatność”", "2024–03–01", "—", "Straße", "Dvořák", "Kılıç", "Ωμέγα", "…"]
    pages = [PageImage(k, np.full((200, 1000, 3), 255, np.uint8), 1000.0, 200.0, "px", 1.0) for k in (1, 2)]
    pdf = SearchablePDF(pages[0].image)
    for page in pages:
        line = _line([(w, _quad(10 + 110 * k, 60, 110 + 110 * k, 90)) for k, w in enumerate(words)])
        pdf.add(page, OCRPage(page=page.page, width=1000, height=200, lines=(line,)))
    out = pdf.save(tmp_path / "europe.pdf")
    with pymupdf.open(out) as doc:
        for page in doc:
            got = [(w[4], w[:4]) for w in page.get_text("words")]
            assert [t for t, _ in got] == words
            for k, (_, box) in enumerate(got):
                assert _iou(box, [v * 72 / 200 for v in (10 + 110 * k, 60, 110 + 110 * k, 90)]) > 0.5, got[k]
        fonts = {f[0] for page in doc for f in page.get_fonts() if f[2] == "Type0"}
    assert len(fonts) == 1  # one embedded font, shared by the pages


def test_latin_1_text_embeds_no_font(tmp_path):
    blank = PageImage(1, np.full((200, 400, 3), 255, np.uint8), 400.0, 200.0, "px", 1.0)
    pdf = SearchablePDF(blank.image)
    pdf.add(blank, OCRPage(page=1, width=400, height=200, lines=(_line([("Total:", _quad(10, 10, 90, 40)),
                                                                         ("12,50", _quad(100, 10, 190, 40))]),)))
    with pymupdf.open(pdf.save(tmp_path / "latin.pdf")) as doc:
        assert [f[2] for f in doc[0].get_fonts()] == ["Type1"]


def test_a_pdf_keeps_its_pages_and_gets_text_where_it_had_none(tmp_path, render):
    # page 1: a scan on a page turned a quarter (shown 300 x 200); page 2: born digital
    doc = pymupdf.open()
    scan = doc.new_page(width=200, height=300)
    scan.insert_image(scan.rect, stream=render.encode(np.full((300, 200, 3), 230, np.uint8)))
    scan.set_rotation(90)
    digital = doc.new_page(width=300, height=200)
    digital.insert_text((30, 60), "Already text", fontsize=14)
    source = tmp_path / "mixed.pdf"
    doc.save(source)
    doc.close()
    seen = (40.0, 60.0, 140.0, 80.0)  # where the word is on the page as shown, in points
    pdf = SearchablePDF(source)
    pdf.add(None, OCRPage(page=1, width=300, height=200, unit="pt", lines=(_line([("Stamped", _quad(*seen))]),)))
    pdf.add(None, OCRPage(page=2, width=300, height=200, unit="pt", lines=(_line([("Again", _quad(*seen))]),)))
    assert pdf.kept == [2]
    out = pdf.save(tmp_path / "searchable.pdf")
    with pymupdf.open(out) as got:
        assert got.page_count == 2 and got[0].rotation == 90 and len(got[0].get_images()) == 1
        (word,) = got[0].get_text("words")
        assert word[4] == "Stamped"
        shown = pymupdf.Rect(word[:4]) * got[0].rotation_matrix  # extraction gives unrotated coordinates
        assert _iou(tuple(shown), seen) > 0.6
        assert got[1].get_text().split() == ["Already", "text"]  # left as it was: no second layer


def test_an_encrypted_pdf_stays_encrypted(tmp_path):
    source = tmp_path / "secret.pdf"
    source.write_bytes(encrypted_pdf())
    pdf = SearchablePDF(source, LoaderOptions(password=ENCRYPTED_PASSWORD))
    pdf.add(None, OCRPage(page=1, width=200, height=180, unit="pt"))
    with pymupdf.open(pdf.save(tmp_path / "out.pdf")) as got:
        assert got.needs_pass and got.authenticate(ENCRYPTED_PASSWORD)
        assert "Confidential" in got[0].get_text()


def test_bad_targets_get_one_line_errors(tmp_path):
    pdf = SearchablePDF(np.full((50, 50, 3), 255, np.uint8))
    with pytest.raises(InputError, match="no page was read"):
        pdf.save(tmp_path / "empty.pdf")
    blank = PageImage(1, np.full((50, 50, 3), 255, np.uint8), 50.0, 50.0, "px", 1.0)
    pdf.add(blank, OCRPage(page=1, width=50, height=50))
    with pytest.raises(InputError, match="is a folder"):
        pdf.save(tmp_path)
