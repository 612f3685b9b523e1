"""Recognition without detection: images that are one line of text each (``OCREngine.recognize``,
``DetectorOptions(enabled=False)``), as PP-OCR's text recognition module reads crops."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from chatocr.errors import UnreadableDocument
from chatocr.ocr import OCREngine
from chatocr.options import DetectorOptions, OCROptions, RecognizerOptions

pytestmark = pytest.mark.models

TEXTS = ["TOTAL 12.50", "Invoice No: INV-0042", "2024-03-05 18:40", "Thank you"]


@pytest.fixture(scope="module")
def whole(engine):
    """An engine that does not detect: every page is one line."""
    return OCREngine(engine.options.model_copy(update={"det": DetectorOptions(enabled=False)}))


def test_each_crop_is_read_whole_in_order_with_its_box_and_words(engine, render):
    crops = [render.line(t, size=30) for t in TEXTS]
    lines = engine.recognize(crops)
    assert [ln.text for ln in lines] == TEXTS
    for ln, crop in zip(lines, crops, strict=True):
        h, w = crop.shape[:2]
        assert ln.bbox == (0.0, 0.0, float(w), float(h)) and ln.score > 0.9
        assert [wd.text for wd in ln.words] == ln.text.split()
        assert all(0 <= wd.bbox[0] < wd.bbox[2] <= w for wd in ln.words)
        # the words in order, left to right
        assert [wd.bbox[0] for wd in ln.words] == sorted(wd.bbox[0] for wd in ln.words)


def test_a_crop_the_pipeline_reads_in_pieces_is_read_as_one_line(engine, render):
    """A crop cut tight around a field: the detector's view of it, margins gone, is not the
    recogniser's business."""
    crop = render.line("Total GST: 12.50", size=30, pad=0)
    assert len(engine(crop).pages[0].lines) > 1  # detected, it comes apart at the word spaces
    assert [ln.text for ln in engine.recognize(crop)] == ["Total GST: 12.50"]


def test_a_line_upside_down_or_standing_on_end_is_read_upright(engine, render):
    crop = render.line("Invoice No: INV-0042", size=30)
    turned_over = np.ascontiguousarray(crop[::-1, ::-1])
    on_end = np.ascontiguousarray(np.rot90(crop, -1))  # turned a quarter clockwise: read top to bottom
    over, end = engine.recognize([turned_over, on_end])
    assert over.text == "Invoice No: INV-0042" and end.text == "Invoice No: INV-0042"
    # the words of the line read turned over lie where they are in the crop: the first word on the right
    h, w = turned_over.shape[:2]
    assert over.words[0].text == "Invoice" and over.words[0].bbox[0] > w / 2
    assert end.bbox == (0.0, 0.0, float(h), float(w))


@pytest.mark.parametrize("glyph", [":", ";", "!"])
def test_a_lone_narrow_glyph_in_a_tall_crop_is_read_unturned(engine, render, glyph):
    crop = render.line(glyph, size=40, pad=4)
    h, w = crop.shape[:2]
    grow = max(0, 2 * w - h)  # twice as tall as wide: the crop the pipeline turns as vertical text
    crop = cv2.copyMakeBorder(crop, grow // 2, grow - grow // 2, 0, 0, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    assert engine.recognizer([np.ascontiguousarray(np.rot90(crop))]).texts[0] != glyph  # read turned
    assert [ln.text for ln in engine.recognize(crop)] == [glyph]


def test_a_blank_crop_keeps_its_place_with_empty_text(engine, render):
    crops = [render.line("TOTAL 12.50"), np.full((40, 200, 3), 255, np.uint8), render.line("Thank you")]
    lines = engine.recognize(crops)
    assert [(ln.text, ln.score) for ln in lines][1] == ("", 0.0)
    assert lines[1].bbox == (0.0, 0.0, 200.0, 40.0) and lines[1].words == ()
    assert [ln.text for ln in lines[::2]] == ["TOTAL 12.50", "Thank you"]


def test_files_grayscale_arrays_and_the_pages_of_a_pdf_are_lines(engine, render, write):
    png = write("line.png", render.encode(render.line("Receipt 10452", size=30)))
    gray = cv2.cvtColor(render.line("Thank you", size=30), cv2.COLOR_BGR2GRAY)
    pdf = render.pdf([[(10, 30, "Page one")], [(10, 30, "Page two")]], size=(120, 45), fontsize=18)
    lines = engine.recognize([png, gray, pdf])
    assert [ln.text for ln in lines] == ["Receipt 10452", "Thank you", "Page one", "Page two"]
    assert lines[2].bbox == pytest.approx((0.0, 0.0, 120.0, 45.0), abs=0.5)  # a PDF page's box in points


def test_bad_input_fails_as_in_the_pipeline(engine, write):
    with pytest.raises(UnreadableDocument, match="empty.png"):
        engine.recognize([np.zeros((20, 20, 3), np.uint8), write("empty.png", b"")])


def test_with_detection_off_every_page_is_one_line(whole, engine, render):
    crop = render.line("Invoice No: INV-0042", size=30)
    (page,) = whole(crop).pages
    assert [ln.text for ln in page.lines] == ["Invoice No: INV-0042"]
    assert page.text == "Invoice No: INV-0042"
    blank = whole(np.full((40, 200, 3), 255, np.uint8)).pages[0]
    assert blank.lines == ()  # a page: nothing read is no line, as on a blank page
    # the same reading as recognize gives
    assert page.lines[0] == engine.recognize(crop)[0]


def test_with_detection_off_a_threshold_asked_for_drops_the_line(engine, render):
    """By default a page's one line stays whatever its score (the page was given as text); a
    ``drop_score`` set explicitly (``chatocr ocr --no-det --min-score``) applies to it."""
    crop = render.line("Invoice No: INV-0042", size=30)
    (line,) = engine.recognize(crop)
    assert line.score < 1.0
    options = engine.options.model_copy(update={"det": DetectorOptions(enabled=False)})
    strict = OCREngine(options.model_copy(update={"rec": RecognizerOptions(drop_score=1.0)}))
    assert strict(crop).pages[0].lines == ()
    lenient = OCREngine(options.model_copy(update={"rec": RecognizerOptions(drop_score=round(line.score, 3) - 0.01)}))
    assert [ln.text for ln in lenient(crop).pages[0].lines] == ["Invoice No: INV-0042"]


def test_with_detection_off_a_page_of_many_lines_is_not_split(whole, render):
    """The user said the page is one line: it is read as one, however badly (what the option is
    for is crops; this pins that nothing is detected behind its back)."""
    image, _ = render.page([(20, 20, "First line"), (20, 80, "Second line")], size=(300, 130))
    (page,) = whole(image).pages
    assert len(page.lines) <= 1
    assert OCROptions(det=DetectorOptions(enabled=False)).det.enabled is False


def test_with_detection_off_the_detector_is_loaded_only_if_asked_for(engine, render, loads):
    from chatocr.models import resolve

    files = resolve(engine.options.model)
    lazy = OCREngine(engine.options.model_copy(update={"det": DetectorOptions(enabled=False)}))
    crop = render.line("Invoice No: INV-0042", size=30)
    assert [ln.text for ln in lazy(crop).pages[0].lines] == ["Invoice No: INV-0042"]
    assert files.det not in loads and files.rec in loads
    assert len(lazy.detector(crop).boxes) >= 1  # asked for after all: loaded then, once
    assert loads.count(files.det) == 1
