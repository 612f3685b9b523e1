"""Pages scanned askew: the slope of the rows, and rows read in order however the page lies."""

from __future__ import annotations

import random

import numpy as np
import pytest

from chatocr.geometry import (
    level_boxes,
    reading_order,
    skew_angle,
    turn_box,
    turn_points,
    unturn_box,
    upright_box,
    upright_points,
)
from chatocr.ocr.orientation import level

# -- geometry -------------------------------------------------------------------------------------


def _line_quad(x: float, y: float, length: float, height: float, angle: float) -> np.ndarray:
    """A line's quad (tl, tr, br, bl) starting at (x, y), sloping ``angle`` degrees down to the right."""
    a = np.radians(angle)
    along, down = np.array([np.cos(a), np.sin(a)]), np.array([-np.sin(a), np.cos(a)])
    tl = np.array([x, y])
    return np.stack([tl, tl + length * along, tl + length * along + height * down, tl + height * down])


@pytest.mark.parametrize("angle", [-32.0, -12.0, -4.0, -0.8, 0.8, 3.0, 9.5, 25.0])
def test_the_slope_of_the_rows_is_measured(angle):
    quads = [_line_quad(50, 40 + 30 * i, 200 + 13 * i, 18, angle + 0.2 * (-1) ** i) for i in range(9)]
    assert skew_angle(quads) == pytest.approx(angle, abs=0.25)


def test_level_rows_short_boxes_and_steep_lines_give_no_skew():
    assert skew_angle([_line_quad(0, 30 * i, 300, 20, 0.3) for i in range(6)]) == 0.0  # under half a degree
    assert skew_angle([_line_quad(0, 30 * i, 300, 20, 5) for i in range(2)]) == 0.0  # too few lines
    assert skew_angle([_line_quad(0, 30 * i, 40, 20, 5) for i in range(8)]) == 0.0  # no line long enough
    # lines standing on end (a page on its side), or nearer that than level, are no rows to level
    assert skew_angle([_line_quad(30 * i, 0, 300, 20, 85) for i in range(8)]) == 0.0
    assert skew_angle([_line_quad(30 * i, 0, 300, 20, 50) for i in range(8)]) == 0.0
    assert skew_angle(np.zeros((0, 4, 2))) == 0.0


def test_turning_back_and_forth():
    rng = random.Random(3)
    for _ in range(200):
        x0, y0 = rng.uniform(-500, 500), rng.uniform(-500, 500)
        box = (x0, y0, x0 + rng.uniform(1, 400), y0 + rng.uniform(1, 60))
        angle = rng.uniform(-25, 25)
        assert unturn_box(turn_box(box, angle), angle) == pytest.approx(box, abs=1e-6)
        # the box around a turned box holds the box's corners turned
        corners = turn_points([(box[0], box[1]), (box[2], box[3])], angle)
        t = turn_box(box, angle)
        assert all(t[0] - 1e-9 <= x <= t[2] + 1e-9 and t[1] - 1e-9 <= y <= t[3] + 1e-9 for x, y in corners)
    # a box too flat to be around any box turned 30 degrees comes back as the box around it turned back
    assert unturn_box((0, 0, 100, 2), 30) == pytest.approx(turn_box((0, 0, 100, 2), -30))
    assert unturn_box((0, 0, 100, 20), 45) == pytest.approx(turn_box((0, 0, 100, 20), -45))  # no inverse there


@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_upright_points_move_as_upright_boxes_do(angle):
    pts = upright_points([(10, 20), (30, 60)], angle, 100, 200)
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    assert (min(xs), min(ys), max(xs), max(ys)) == upright_box((10, 20, 30, 60), angle, 100, 200)


def test_rows_of_a_page_askew_are_read_row_by_row():
    # two columns, labels and values, the page turned 6 degrees: the boxes as read overlap the
    # rows above and below; levelled, each row holds its label and value
    angle = 6.0
    quads = []
    for i in range(8):
        label = _line_quad(40, 100 + 26 * i, 120, 16, angle)
        value = _line_quad(40 + 320 * np.cos(np.radians(angle)), 100 + 26 * i + 320 * np.sin(np.radians(angle)),
                           80, 16, angle)
        quads += [label, value]
    boxes = [tuple(np.r_[q.min(0), q.max(0)]) for q in quads]
    assert reading_order(boxes) != list(range(16))  # as read, rows mix
    assert reading_order(level_boxes(quads, skew_angle(quads))) == list(range(16))


# -- the OCR core ------------------------------------------------------------------------------------

@pytest.mark.models
@pytest.mark.parametrize("angle", [0.0, 4.0, -5.0])
def test_the_ocr_core_reads_a_page_askew_row_by_row(engine, ledger, angle):
    flat, rows = ledger
    from chatocr.io import PageImage

    image, _ = level(flat, angle)
    page = engine.read_page(PageImage(1, image, float(image.shape[1]), float(image.shape[0]), "px", 1.0))
    # turned counter-clockwise, rows rise to the right: they slope down by minus the angle (within a
    # degree, from boxes of single words)
    assert page.skew == pytest.approx(-angle, abs=1.0)
    assert page.text.splitlines() == [f"{a} {b}" for a, b in rows]  # before levelling, rows mixed at 4 degrees
    assert [ln.text for ln in page.lines] == [t for row in rows for t in row]
