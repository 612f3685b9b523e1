"""Line orientation: upside-down lines are read right way up; upright ones are left alone."""

from __future__ import annotations

import numpy as np
import pytest
from chatocr_testkit import render_line

LINES = ["Hello World", "TOTAL 12.50", "INV-2019/0042", "Thank you, come again!"]


def rot180(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image[::-1, ::-1])


def upside_down_flags(result) -> np.ndarray:
    # ``ClsResult.upside_down`` (``flipped`` in the first version of the classifier)
    flags = getattr(result, "upside_down", None)
    return np.asarray(flags if flags is not None else result.flipped, dtype=bool)


@pytest.fixture(scope="module")
def classifier(engine):
    if engine.classifier is None:
        pytest.skip("the default model has no line classifier")
    return engine.classifier


def test_classifier_flags_only_upside_down_lines(classifier):
    upright = [render_line(s) for s in LINES]
    crops = upright + [rot180(c) for c in upright]
    flags = upside_down_flags(classifier(list(crops)))
    assert flags.tolist() == [False] * len(LINES) + [True] * len(LINES)


def test_classifier_on_no_crops(classifier):
    assert upside_down_flags(classifier([])).shape == (0,)


@pytest.fixture(scope="module")
def page():
    """The lines one under the other on a page (short side 736: the detector's own scale)."""
    page = np.full((736, 760, 3), 255, np.uint8)
    for i, text in enumerate(LINES):
        line = render_line(text)
        y = 80 + 150 * i
        page[y : y + line.shape[0], 40 : 40 + line.shape[1]] = line
    return page


def test_upside_down_page_is_read_right_way_up(engine, page):
    # turned over, the last line is now on top
    assert engine.read_image(rot180(page)).texts == LINES[::-1]


def test_upright_page_is_not_turned(engine, page):
    assert engine.read_image(page).texts == LINES


class _Spy:
    """Stands in for the classifier: records how many crops it sees, flags as told."""

    def __init__(self, inner=None, flag_all: bool = False):
        from chatocr.options import ClassifierOptions

        self.inner, self.flag_all, self.seen = inner, flag_all, []
        self.options = inner.options if inner is not None else ClassifierOptions()

    def __call__(self, crops):
        from chatocr.ocr.cls import ClsResult

        self.seen.append(len(crops))
        if self.inner is not None:
            return self.inner(crops)
        n = len(crops)
        return ClsResult(np.full(n, self.flag_all), np.full(n, float(self.flag_all), np.float32))


def test_lines_read_with_confidence_are_not_classified(engine, page, monkeypatch):
    if engine.classifier is None:
        pytest.skip("the default model has no line classifier")
    spy = _Spy(engine.classifier)
    monkeypatch.setattr(engine, "classifier", spy)
    assert engine.read_image(page).texts == LINES
    assert sum(spy.seen) < len(LINES)  # clean upright print is read with confidence
    spy.seen.clear()
    assert engine.read_image(rot180(page)).texts == LINES[::-1]
    assert sum(spy.seen) >= len(LINES) - 1  # upside down, (nearly) every line is in doubt


def test_a_page_mostly_in_doubt_is_classified_whole(engine, monkeypatch):
    crops = [np.zeros((10, 40, 3), np.uint8)] * 8
    scores = np.array([0.5, 0.6, 0.7, 0.99, 0.99, 0.99, 0.99, 0.99], np.float32)
    spy = _Spy(flag_all=True)
    monkeypatch.setattr(engine, "classifier", spy)
    # three of three doubtful lines are upside down: the other five are classified too
    assert engine._upside_down(crops, scores).tolist() == list(range(8))
    assert spy.seen == [3, 5]
    spy.seen.clear()
    spy.flag_all = False
    assert engine._upside_down(crops, scores).tolist() == []
    assert spy.seen == [3]
