"""``OCREngine.with_options``: other settings on the models already loaded (PaddleOCR's and RapidOCR's
per-call settings), reading exactly what an engine made with those options reads."""

from __future__ import annotations

import numpy as np
import pytest

from chatocr.models import resolve
from chatocr.ocr import OCREngine
from chatocr.options import DetectorOptions, EngineOptions, OCROptions, RecognizerOptions

pytestmark = pytest.mark.models

ITEMS = [(40, 30, "Receipt 10452"), (40, 110, "Date: 2024-03-05"), (40, 190, "TOTAL:"), (420, 190, "12.50")]


@pytest.fixture(scope="module")
def page(render):
    image, _ = render.page(ITEMS, size=(736, 300), font_size=28)
    return image


@pytest.mark.parametrize("update", [
    {"rec": RecognizerOptions(enabled=False)},
    {"det": DetectorOptions(enabled=False)},
    {"rec": RecognizerOptions(drop_score=0.99)},
    {"det": DetectorOptions(box_thresh=0.7, unclip_ratio=2.0)},
    {"rec": RecognizerOptions(weak_space=1.0)},
])
def test_a_view_reads_what_an_engine_with_those_options_reads_and_loads_nothing(engine, page, loads, update):
    options = engine.options.model_copy(update=update)
    view = engine.with_options(options)
    assert loads == []
    own = OCREngine(options)
    assert view(page) == own(page)
    assert view.options is options and view.model_name == engine.model_name
    assert view.detector.session is engine.detector.session
    assert view.recognizer.session is engine.recognizer.session
    assert view.classifier is not None and view.classifier.session is engine.classifier.session


def test_thresholds_of_a_view_change_its_reading_not_the_engines(engine, page):
    before = engine(page)
    scores = [ln.score for ln in before.pages[0].lines]
    strict = engine.with_options(engine.options.model_copy(update={"rec": RecognizerOptions(
        drop_score=float(np.median(scores)) + 1e-4)}))
    kept = strict(page).pages[0].lines
    assert 0 < len(kept) < len(scores)
    assert engine(page) == before


def test_a_stage_the_engine_has_off_is_loaded_once_into_it(engine, page, loads):
    boxes_only = OCREngine(engine.options.model_copy(update={"rec": RecognizerOptions(enabled=False)}))
    files = resolve(engine.options.model)
    assert files.rec not in loads
    full = boxes_only.with_options(engine.options)
    assert [ln.text for ln in full(page).pages[0].lines] == [t for _, _, t in ITEMS]
    again = boxes_only.with_options(engine.options)
    again(page)
    assert loads.count(files.rec) == 1
    assert again.recognizer.session is full.recognizer.session is boxes_only.recognizer.session


def test_another_model_or_engine_settings_need_an_engine_of_their_own(engine):
    with pytest.raises(ValueError, match="another OCREngine"):
        engine.with_options(engine.options.model_copy(update={"model": "pp-ocrv5-mobile"}))
    with pytest.raises(ValueError, match="another OCREngine"):
        engine.with_options(engine.options.model_copy(update={"engine": EngineOptions(threads=engine.options.engine.threads + 1)}))
    assert OCROptions().model == engine.options.model
