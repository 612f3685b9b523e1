"""Paper curled across its rows: rows that bow are read row by row."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from warps import bow, bowed, photographed

from chatocr import geometry
from chatocr.geometry import level_boxes, points_box, reading_order, row_bow, row_warp, skew_angle, unbowed, warp_points

COLUMNS = ((30, 250), (300, 420), (480, 700))  # label, quantity, amount
PAGE = (730, 600)


def _page_lines(rows: int = 12, pitch: float = 34, height: float = 22) -> np.ndarray:
    """Quads of lines on a flat page, row by row, each row left to right: three columns, and every
    third row one line across the page."""
    return np.array(
        [[(x0, y), (x1, y), (x1, y + height), (x0, y + height)]
         for y, cols in ((30 + pitch * r, [(30, 700)] if r % 3 == 2 else COLUMNS) for r in range(rows))
         for x0, x1 in cols],
        float,
    )


def _detected(quads, sag: float, tilt: float = 0.0) -> np.ndarray:
    """The lines of ``quads`` on curled paper (``warps.bow``) as the detector boxes them: the
    smallest rectangle around each line's arc, corners clockwise from top-left."""
    out = []
    for tl, tr, br, bl in np.asarray(quads, float):
        t = np.linspace(0, 1, 9)[:, None]
        arc = bow(np.concatenate([tl + (tr - tl) * t, bl + (br - bl) * t]), *PAGE, sag, tilt)
        box = cv2.boxPoints(cv2.minAreaRect(arc.astype(np.float32)))
        by_x = box[np.argsort(box[:, 0])]
        (a, d), (b, c) = (by_x[:2][np.argsort(by_x[:2, 1])], by_x[2:][np.argsort(by_x[2:, 1])])
        out.append([a, b, c, d])
    return np.array(out, float)


def _slopes(quads) -> np.ndarray:
    q = np.asarray(quads)
    along = (q[:, 1] + q[:, 2]) / 2 - (q[:, 0] + q[:, 3]) / 2
    return np.degrees(np.arctan2(along[:, 1], along[:, 0]))


def _order(quads) -> list[int]:
    q = np.asarray(quads)
    return reading_order(level_boxes(q, skew_angle(q), row_warp(q)))


@pytest.mark.parametrize(("sag", "tilt"), [(30.0, 0.0), (-30.0, 0.0), (40.0, 0.5), (60.0, 1.0), (-40.0, 0.5)])
def test_rows_that_bow_are_read_row_by_row(sag, tilt):
    quads = _detected(_page_lines(), sag, tilt)
    assert reading_order([points_box(q) for q in quads]) != list(range(len(quads)))  # as read, the rows mix
    assert _order(quads) == list(range(len(quads)))


def test_a_line_across_the_page_is_as_tall_as_its_text_once_laid_straight():
    quads = _detected(_page_lines(), 30.0)
    boxes = level_boxes(quads, 0.0)
    across = [i for i, q in enumerate(quads) if q[1, 0] - q[0, 0] > 600]
    assert all(np.ptp(quads[i][:, 1]) > 45 for i in across)  # as boxed: the line and its arc's rise
    assert all(boxes[i][3] - boxes[i][1] == pytest.approx(22, abs=3) for i in across)


def test_the_bow_is_measured_and_taken_out():
    quads = bow(_page_lines(), *PAGE, 40.0, 0.5)  # each line a chord of its arc
    assert np.ptp(_slopes(quads)) > 5
    flat = unbowed(quads)
    # the lines lie level again, each row of three at one height
    assert np.abs(_slopes(flat)).max() < 0.5
    row_of = _page_lines()[:, 0, 1]
    middles = flat.mean(axis=1)[:, 1]
    assert max(np.ptp(middles[row_of == y]) for y in set(row_of)) < 2.0


def test_straight_rows_are_not_bent():
    level = _page_lines()
    assert row_bow(level) is None
    assert np.array_equal(unbowed(level), level)
    rng = np.random.default_rng(2)
    assert row_bow(level + rng.normal(0, 0.7, level.shape)) is None  # a pixel of noise is no curl
    for turn in (4.0, -9.0):  # rows askew are straight: skew_angle levels them
        m = np.vstack([cv2.getRotationMatrix2D((360, 300), turn, 1.0), (0, 0, 1)])
        assert row_bow(warp_points(level, m)) is None
    # rows that converge, laid level by their homography, are straight too
    quads = warp_points(_page_lines(), photographed(*PAGE, 6.0))
    assert row_bow(warp_points(quads, row_warp(quads))) is None
    # too little curl, too few lines, or one column only: nothing to tell
    assert row_bow(bow(level, *PAGE, 2.0)) is None
    assert row_bow(bow(_page_lines(rows=2), *PAGE, 40.0)) is None
    assert row_bow(bow(level[level[:, 0, 0] == 480], *PAGE, 40.0)) is None
    assert row_bow(np.zeros((0, 4, 2))) is None


def test_a_stamp_across_the_rows_does_not_move_the_bow():
    quads = bow(_page_lines(), *PAGE, 40.0)
    stamp = np.array([[(200, 200), (520, 120), (530, 160), (210, 240)]], float)  # 14 degrees off
    with_stamp = np.concatenate([quads, stamp])
    (a, b, c, e), _ = row_bow(with_stamp)
    (a0, b0, c0, e0), _ = row_bow(quads)
    assert (a, c, e) == pytest.approx((a0, c0, e0), abs=5e-4)  # under 0.03 degrees
    assert b == pytest.approx(b0, rel=0.01)


# -- the OCR core ------------------------------------------------------------------------------------

ITEMS = [("Nasi lemak", "x2", "12.50"), ("Teh tarik", "x1", "2.80"), ("Roti canai", "x3", "4.50"),
         ("Mee goreng", "x1", "7.00"), ("Kopi O", "x2", "3.60"), ("Air sirap", "x1", "2.20"),
         ("Subtotal", "x10", "32.60"), ("Service", "x1", "3.26"), ("Total due", "RM", "35.86")]


@pytest.mark.models
def test_the_ocr_core_reads_a_curled_page_row_by_row(engine, render, monkeypatch):
    from chatocr.io import PageImage

    items = [(x, 40 + 52 * i, t) for i, row in enumerate(ITEMS) for x, t in zip((30, 330, 560), row, strict=True)]
    flat, _ = render.page(items, size=(700, 40 + 52 * len(ITEMS) + 30), font_size=28)
    image = bowed(flat, 45.0, 0.3)

    def read():
        page = engine.read_page(PageImage(1, image, float(image.shape[1]), float(image.shape[0]), "px", 1.0))
        return page.text.splitlines(), [ln.text for ln in page.lines]

    rows, lines = read()
    assert rows == [" ".join(r) for r in ITEMS]
    assert lines == [t for r in ITEMS for t in r]
    monkeypatch.setattr(geometry, "row_bow", lambda quads: None)  # rows taken as straight: they mix
    assert read()[0] != rows
