"""Pages photographed from one side: rows that converge are laid level by a homography."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest
from warps import photographed

from chatocr.geometry import (
    level_boxes,
    reading_order,
    row_warp,
    skew_angle,
    turn_box,
    unturn_box,
    unwarp_box,
    warp_box,
    warp_points,
)
from chatocr.ocr.orientation import level_warped


def _page_lines(rows: int = 24, columns=((40, 300), (340, 560)), pitch: float = 40, height: float = 20):
    """Quads of lines on a level page, row by row, each row left to right."""
    return np.array(
        [[(x0, y), (x1, y), (x1, y + height), (x0, y + height)]
         for y in (40 + pitch * r for r in range(rows)) for x0, x1 in columns],
        float,
    )


def _slopes(quads) -> np.ndarray:
    q = np.asarray(quads)
    along = (q[:, 1] + q[:, 2]) / 2 - (q[:, 0] + q[:, 3]) / 2
    return np.degrees(np.arctan2(along[:, 1], along[:, 0]))


@pytest.mark.parametrize(("slope", "turn"), [(3.0, 0.0), (6.0, 0.0), (-6.0, 0.0), (4.0, 5.0), (-5.0, -8.0)])
def test_rows_that_converge_are_laid_level(slope, turn):
    quads = warp_points(_page_lines(), photographed(600, 1000, slope, turn))
    assert np.ptp(_slopes(quads)) > 2 * abs(slope) - 1  # from the top row to the bottom one
    warp = row_warp(quads)
    assert warp is not None
    assert np.abs(_slopes(warp_points(quads, warp))).max() < 0.05
    # the middle of the text stays about where it was
    centre = quads.reshape(-1, 2).mean(axis=0)
    assert warp_points([centre], warp)[0] == pytest.approx(centre, abs=25)


def test_rows_that_converge_are_read_row_by_row():
    quads = warp_points(_page_lines(), photographed(600, 1000, 6.0))
    # one slope for the page levels its middle: the rows at the top and bottom still mix
    assert reading_order(level_boxes(quads, skew_angle(quads))) != list(range(len(quads)))
    assert reading_order(level_boxes(quads, 0.0, row_warp(quads))) == list(range(len(quads)))


def test_parallel_rows_few_lines_and_rows_meeting_on_the_page_give_no_warp():
    rng = np.random.default_rng(5)
    level = _page_lines()
    assert row_warp(level) is None
    for turn in (4.0, -9.0):  # parallel rows are turned level (skew_angle), not warped
        m = np.vstack([cv2.getRotationMatrix2D((300, 500), turn, 1.0), (0, 0, 1)])
        assert row_warp(warp_points(level, m)) is None
    # a pixel of noise on every corner is no perspective
    assert row_warp(level + rng.normal(0, 0.7, level.shape)) is None
    # too few lines to tell
    assert row_warp(warp_points(_page_lines(rows=3), photographed(600, 1000, 6.0))) is None
    # rows that slope less than 1.5 degrees apart from top to bottom are left to skew_angle
    assert row_warp(warp_points(_page_lines(), photographed(600, 1000, 0.5))) is None
    # lines that fan out from a point on the page (a chart, not a photographed page)
    fan = [np.array([(0, 0), (300, 0), (300, 8), (0, 8)]) @ np.array(
        [[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]]) + (300, 300) for a in np.radians(np.arange(-30, 31, 5))]
    assert row_warp(fan) is None
    assert row_warp(np.zeros((0, 4, 2))) is None


def test_a_line_off_the_rows_does_not_move_the_warp():
    quads = warp_points(_page_lines(), photographed(600, 1000, 5.0))
    stamp = np.array([[(100, 400), (400, 480), (396, 500), (96, 420)]], float)  # a stamp at 15 degrees
    warp = row_warp(np.concatenate([quads, stamp]))
    assert np.abs(_slopes(warp_points(quads, warp))).max() < 0.05


def test_boxes_warped_and_back():
    rng = random.Random(4)
    warp = row_warp(warp_points(_page_lines(), photographed(600, 1000, 6.0)))
    inv = np.linalg.inv(warp)
    for _ in range(200):
        x0, y0 = rng.uniform(0, 500), rng.uniform(0, 950)
        box = (x0, y0, x0 + rng.uniform(5, 300), y0 + rng.uniform(5, 40))
        # the box around a level box on the page, and back: its size within a few per cent
        back = unwarp_box(warp_box(box, inv), warp)
        assert back == pytest.approx(box, abs=0.03 * (box[2] - box[0]) + 1.5)
    # a turn is a homography too, and there unwarp_box is unturn_box
    a = np.radians(7.0)
    turn = np.array([[np.cos(a), np.sin(a), 0], [-np.sin(a), np.cos(a), 0], [0, 0, 1]])
    assert unwarp_box(turn_box((10, 20, 210, 50), -7.0), turn) == pytest.approx(unturn_box(turn_box((10, 20, 210, 50), -7.0), -7.0))


def test_an_image_is_levelled_onto_a_canvas_that_holds_it():
    image = np.full((1000, 600, 3), 255, np.uint8)
    cv2.rectangle(image, (40, 40), (300, 60), (0, 0, 0), -1)
    warp = photographed(600, 1000, 6.0)
    out, m = level_warped(image, np.linalg.inv(warp))
    corners = warp_points([(0, 0), (600, 0), (600, 1000), (0, 1000)], m)
    assert corners.min() >= -1 and corners[:, 0].max() <= out.shape[1] + 1 and corners[:, 1].max() <= out.shape[0] + 1
    # where the bar lands
    (x, y), = warp_points([(170, 50)], m).tolist()
    assert out[int(y), int(x)].tolist() == [0, 0, 0]
    huge = np.array([[1.0, 0, 0], [0, 1.0, 0], [-0.0015, 0, 1.0]])  # sends the far side of the page far off
    assert level_warped(image, huge) is None
    assert level_warped(image, np.array([[1.0, 0, 0], [0, 1.0, 0], [-0.002, 0, 1.0]])) is None  # past infinity


# -- the OCR core ------------------------------------------------------------------------------------

@pytest.mark.models
@pytest.mark.parametrize("slope", [5.0, -6.0])
def test_the_ocr_core_reads_a_page_photographed_from_one_side_row_by_row(engine, ledger, slope):
    flat, rows = ledger
    from chatocr.io import PageImage

    h, w = flat.shape[:2]
    image = cv2.warpPerspective(flat, photographed(w, h, slope), (w, h), borderValue=(255, 255, 255))
    page = engine.read_page(PageImage(1, image, float(w), float(h), "px", 1.0))
    assert page.text.splitlines() == [f"{a} {b}" for a, b in rows]  # with one slope for the page, rows mixed
    assert [ln.text for ln in page.lines] == [t for row in rows for t in row]
