"""chatocr.ocr.columns: a recognised line cut where its text leaves a column gap."""

from __future__ import annotations

import numpy as np
import pytest
from chatocr_testkit import get_font, render_page

from chatocr.ocr.columns import split_columns
from chatocr.ocr.det import DetResult

QUAD = np.array([[100, 50], [300, 50], [300, 70], [100, 70]], np.float32)


def even(text: str) -> np.ndarray:
    """Centres of a fixed-pitch line's characters, as fractions of its width."""
    return (np.arange(len(text), dtype=np.float32) + 0.5) / len(text)


def bbox(quad: np.ndarray) -> tuple[float, float, float, float]:
    return float(quad[:, 0].min()), float(quad[:, 1].min()), float(quad[:, 0].max()), float(quad[:, 1].max())


# -- the split itself -------------------------------------------------------------------


def test_two_spaces_split_a_line_in_two():
    text = "0.40  ZRL"
    pieces = split_columns(QUAD, text, even(text), gap=2.75)
    assert [t for _, t, _ in pieces] == ["0.40", "ZRL"]
    (qa, _, ca), (qb, _, cb) = pieces
    pitch = 200 / len(text)
    # the outer ends stay the line's; the inner ones sit half a pitch beyond the last / first character
    assert bbox(qa) == pytest.approx((100, 50, 100 + 4 * pitch, 70))
    assert bbox(qb) == pytest.approx((100 + 6 * pitch, 50, 300, 70))
    # the characters' centres, as fractions of each piece
    assert ca == pytest.approx((np.arange(4) + 0.5) / 4)
    assert cb == pytest.approx((np.arange(3) + 0.5) / 3)


def test_three_columns_and_words_kept_together():
    text = "1 X 19.00   19.00"
    pieces = split_columns(QUAD, text, even(text), gap=2.75)
    assert [t for _, t, _ in pieces] == ["1 X 19.00", "19.00"]


@pytest.mark.parametrize("text", ["TOTAL TAX 6.00", "Thank you, come again!", "A B", "ZRL"])
def test_single_spaces_keep_the_line_whole(text):
    pieces = split_columns(QUAD, text, even(text), gap=2.75)
    assert len(pieces) == 1
    quad, piece, centres = pieces[0]
    assert piece == text and quad is QUAD and centres is not None


def test_the_gap_is_measured_in_character_pitches():
    # one space drawn two pitches wide (proportional print, a CTC that emits one space for two)
    text = "CASH 50.00"
    pos = even(text)
    pos[5:] += 1.2 / len(text)
    pos /= pos[-1] + 0.5 / len(text)
    assert len(split_columns(QUAD, text, pos, gap=2.75)) == 2
    assert len(split_columns(QUAD, text, pos, gap=4.0)) == 1


def test_the_pitch_is_not_widened_by_the_gaps_it_measures():
    # "1    10.00  0.00" in fixed pitch, each blank read as one space: over the whole span the
    # pitch would seem 16/11 of the real one, and the two-space gap 2.06 pitches wide
    layout = "1    10.00  0.00"
    centres = even(layout)
    text = "1 10.00 0.00"
    pos = np.array([centres[0], centres[4], *centres[5:10], centres[10], *centres[12:]], np.float32)
    assert len(pos) == len(text)
    assert [t for _, t, _ in split_columns(QUAD, text, pos, gap=2.75)] == ["1", "10.00", "0.00"]


def test_a_blank_read_as_no_space_splits_too():
    pos = np.array([0.05, 0.15, 0.25, 0.35, 0.75, 0.85, 0.95], np.float32)  # "0.40", 3 blank pitches, "ZRL"
    assert [t for _, t, _ in split_columns(QUAD, "0.40ZRL", pos, gap=2.75)] == ["0.40", "ZRL"]


def test_outer_spaces_are_not_counted():
    from chatocr.ocr.pipeline import _stripped

    text, pos = _stripped(" 0.40  ZRL ", even(" 0.40  ZRL "), flipped=False)
    assert text == "0.40  ZRL" and len(pos) == len(text)
    assert pos[0] == pytest.approx(1.5 / 11)


def test_lines_that_cannot_be_measured_stay_whole():
    text = "0.40   ZRL"
    assert len(split_columns(QUAD, text, even(text), gap=0)) == 1  # switched off
    assert len(split_columns(QUAD, text, even(text)[:-1], gap=2.75)) == 1  # positions do not match
    assert len(split_columns(QUAD, text, np.zeros(len(text), np.float32), gap=2.75)) == 1
    vertical = np.array([[0, 0], [20, 0], [20, 200], [0, 200]], np.float32)
    assert len(split_columns(vertical, text, even(text), gap=2.75)) == 1


def test_a_slanted_line_is_cut_along_its_edges():
    slanted = np.array([[100, 50], [300, 70], [300, 90], [100, 70]], np.float32)
    text = "QTY   U.PRICE"
    (qa, ta, _), (qb, tb, _) = split_columns(slanted, text, even(text), gap=2.75)
    assert (ta, tb) == ("QTY", "U.PRICE")
    for quad in (qa, qb):  # every corner on the line's top or bottom edge
        for x, y in quad[:2]:
            assert y == pytest.approx(50 + (x - 100) * 0.1, abs=1e-3)
        for x, y in quad[2:]:
            assert y == pytest.approx(70 + (x - 100) * 0.1, abs=1e-3)
    assert qa[1, 0] < qb[0, 0]


# -- in the pipeline: one detected box over two columns ----------------------------------


class _RowDetector:
    """Stands in for the detector: one box over the whole row, as on a blurred receipt."""

    def __init__(self, quad: np.ndarray) -> None:
        self.quad = quad

    def __call__(self, image: np.ndarray) -> DetResult:
        return DetResult(self.quad[None], np.array([0.9], np.float32), image.shape[:2])


def _row(parts: list[str], gap_chars: float) -> tuple[np.ndarray, list, np.ndarray]:
    """``parts`` drawn on one row, ``gap_chars`` average character widths apart."""
    font = get_font(24)
    pitch = font.getlength("0123456789ABCDEFGHIJ") / 20
    items, x = [], 30.0
    for part in parts:
        items.append((x, 40, part))
        x += font.getlength(part) + gap_chars * pitch
    image, truth = render_page(items, size=(int(x) + 40, 110), font_size=24)
    x0 = min(t[0] for t in truth) - 5
    x1 = max(t[2] for t in truth) + 5
    y0 = min(t[1] for t in truth) - 6
    y1 = max(t[3] for t in truth) + 6
    return image, truth, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def test_a_box_over_two_columns_comes_out_as_two_lines(engine, monkeypatch):
    image, truth, quad = _row(["0.40", "ZRL", "19.00"], gap_chars=4)
    monkeypatch.setattr(engine, "detector", _RowDetector(quad))
    lines = engine.read_image(image)
    assert lines.texts == ["0.40", "ZRL", "19.00"]
    assert len(lines.quads) == len(lines.scores) == len(lines.char_positions) == len(lines.flipped) == 3
    boxes = [bbox(q) for q in lines.quads]
    for i, (t, box) in enumerate(zip(truth, boxes, strict=True)):
        assert box[0] <= t[0] + 2 and box[2] >= t[2] - 2, (t, box)  # each piece holds its word whole
        assert i == 0 or box[0] > truth[i - 1][2]  # and none of its neighbours
        assert i == len(truth) - 1 or box[2] < truth[i + 1][0]
    for pos in lines.char_positions:
        assert pos.min() > 0 and pos.max() < 1


def test_word_spaces_keep_the_box_whole(engine, monkeypatch):
    image, _, quad = _row(["TOTAL", "TAX", "6.00"], gap_chars=0.6)
    monkeypatch.setattr(engine, "detector", _RowDetector(quad))
    lines = engine.read_image(image)
    assert len(lines.texts) == 1
    assert lines.texts[0].replace(" ", "") == "TOTALTAX6.00"
    assert np.array_equal(lines.quads[0], quad)


def test_column_gap_zero_keeps_the_box_whole(engine, monkeypatch):
    image, _, quad = _row(["0.40", "ZRL"], gap_chars=4)
    monkeypatch.setattr(engine, "detector", _RowDetector(quad))
    options = engine.options.model_copy(update={"rec": engine.options.rec.model_copy(update={"column_gap": 0})})
    monkeypatch.setattr(engine, "options", options)
    lines = engine.read_image(image)
    assert len(lines.texts) == 1 and lines.texts[0].replace(" ", "") == "0.40ZRL"
