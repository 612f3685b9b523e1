"""Detection without recognition (``RecognizerOptions(enabled=False)``, ``chatocr ocr --no-rec``):
the lines found, in reading order, scored by the detector, nothing read."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from chatocr.geometry import iou
from chatocr.ocr import OCREngine
from chatocr.options import DetectorOptions, OCROptions, RecognizerOptions

pytestmark = pytest.mark.models

ITEMS = [(40, 30, "Receipt 10452"), (40, 110, "Date: 2024-03-05"), (40, 190, "TOTAL:"), (420, 190, "12.50")]


@pytest.fixture(scope="module")
def boxes_only(engine):
    return OCREngine(engine.options.model_copy(update={"rec": RecognizerOptions(enabled=False)}))


@pytest.fixture(scope="module")
def page(render):
    return render.page(ITEMS, size=(736, 300), font_size=28)


def test_the_lines_are_found_in_reading_order_and_not_read(boxes_only, page):
    image, ink = page
    (found,) = boxes_only(image).pages
    assert len(found.lines) == len(ITEMS)
    for line, box in zip(found.lines, ink, strict=True):
        assert line.text == "" and line.words == ()
        assert 0.45 <= line.score <= 1.0  # the detector's: at least its box threshold
        assert iou(line.bbox, box) > 0.5
    assert found.text.strip() == ""


def test_the_boxes_are_those_the_full_pipeline_reads(boxes_only, engine, page):
    image, _ = page
    full = engine(image).pages[0]
    assert [ln.polygon for ln in boxes_only(image).pages[0].lines] == [ln.polygon for ln in full.lines]


def test_a_page_on_its_side_is_detected_upright_and_its_boxes_brought_back(boxes_only, engine, page):
    image, _ = page
    turned = np.ascontiguousarray(np.rot90(image, -1))  # a quarter clockwise
    (found,) = boxes_only(turned).pages
    full = engine(turned).pages[0]
    assert found.orientation == full.orientation == 90
    assert [ln.polygon for ln in found.lines] == [ln.polygon for ln in full.lines]


def test_boxes_text_is_the_icdar_box_format(boxes_only, page):
    image, ink = page
    rows = boxes_only(image).pages[0].boxes_text.splitlines()
    assert len(rows) == len(ITEMS)
    for row, (x0, y0, x1, y1) in zip(rows, ink, strict=True):
        xs, ys = [int(v) for v in row.split(",")[0::2]], [int(v) for v in row.split(",")[1::2]]
        assert len(xs) == len(ys) == 4
        assert iou((min(xs), min(ys), max(xs), max(ys)), (x0, y0, x1, y1)) > 0.5


def test_a_blank_page_has_no_boxes(boxes_only):
    (found,) = boxes_only(np.full((300, 400, 3), 255, np.uint8)).pages
    assert found.lines == () and found.boxes_text == ""


def test_turning_off_both_detection_and_recognition_is_refused():
    with pytest.raises(ValidationError, match="nothing to do"):
        OCROptions(det=DetectorOptions(enabled=False), rec=RecognizerOptions(enabled=False))


def test_the_recogniser_is_loaded_only_if_asked_for(engine, page, loads):
    """With recognition off, its model (and dictionary) stay unloaded until something reads after all."""
    from chatocr.models import resolve

    files = resolve(engine.options.model)
    lazy = OCREngine(engine.options.model_copy(update={"rec": RecognizerOptions(enabled=False)}))
    image, _ = page
    assert len(lazy(image).pages[0].lines) == len(ITEMS)
    assert files.rec not in loads and files.det in loads
    assert [ln.text for ln in lazy.recognize(render_crop(image, page[1][0]))] == [ITEMS[0][2]]
    assert loads.count(files.rec) == 1


def render_crop(image: np.ndarray, box) -> np.ndarray:
    x0, y0, x1, y1 = (int(v) for v in box)
    return image[max(0, y0 - 6) : y1 + 6, max(0, x0 - 6) : x1 + 6]
