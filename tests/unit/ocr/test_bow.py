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


NOTES = ["Thank you for shopping with us today", "Goods sold are not returnable",
         "Please keep this receipt for warranty"]


@pytest.mark.models
@pytest.mark.parametrize(("sag", "turned"), [(45.0, False), (75.0, False), (45.0, True)])
def test_lines_bent_across_a_curled_page_are_read_on_the_page_laid_straight(engine, render, sag, turned):
    from chatocr.io import PageImage

    items = [(x, 40 + 52 * i, t) for i, row in enumerate(ITEMS) for x, t in zip((30, 330, 560), row, strict=True)]
    items += [(30, 40 + 52 * (len(ITEMS) + j), t) for j, t in enumerate(NOTES)]
    size = (700, 40 + 52 * (len(ITEMS) + len(NOTES)) + 30)
    flat, inked = render.page(items, size=size, font_size=28)
    image = bowed(flat, sag, 0.3)  # 6 and 11% of the width; cropped straight, the notes were misread or lost
    if turned:
        image = np.ascontiguousarray(image[::-1, ::-1])
    page = engine.read_page(PageImage(1, image, float(image.shape[1]), float(image.shape[0]), "px", 1.0))
    assert page.text.splitlines() == [" ".join(r) for r in ITEMS] + NOTES
    assert page.orientation == (180 if turned else 0)
    if turned:
        return
    # each note's box on the page as given holds its whole arc
    pad = int(np.ceil(sag * 1.3)) + 2  # warps.bowed's margin
    for line, (x0, y0, x1, y1) in zip(page.lines[-len(NOTES):], inked[-len(NOTES):], strict=True):
        t = np.linspace(0.0, 1.0, 9)
        ink = bow(np.concatenate([np.stack([x0 + (x1 - x0) * t, np.full(9, y)], 1) for y in (y0, y1)]),
                  *size, sag, 0.3) + (0.0, pad)
        bx0, by0, bx1, by1 = line.bbox
        assert line.text in NOTES
        assert (ink[:, 0] >= bx0 - 4).all() and (ink[:, 0] <= bx1 + 4).all()
        assert (ink[:, 1] >= by0 - 4).all() and (ink[:, 1] <= by1 + 4).all()


def test_boxes_found_on_the_page_laid_straight_go_back_around_their_arcs():
    from chatocr.ocr.orientation import level_bowed, quads_to_bowed

    quads = _detected(_page_lines(), 40.0, 0.5)
    bow = row_bow(quads)
    image = np.full((PAGE[1] + 120, PAGE[0], 3), 255, np.uint8)
    _, down = level_bowed(image, bow)
    flat = geometry.straightened(quads, bow) + (0.0, down)
    back = quads_to_bowed(flat, bow, down)
    assert back.shape == flat.shape and back.dtype == np.float32
    for q, f in zip(back, flat, strict=True):
        # the edges of the straight box, moved back, lie inside the box given for them
        t = np.linspace(0.0, 1.0, 9)[:, None]
        arc = geometry.bowed(np.concatenate([f[k] + (f[(k + 1) % 4] - f[k]) * t for k in range(4)]) - (0.0, down), bow)
        assert min(cv2.pointPolygonTest(q.reshape(-1, 1, 2), (float(x), float(y)), True) for x, y in arc) >= -0.5
        assert q[0, 0] < q[1, 0] and q[0, 1] < q[3, 1]  # clockwise from the top-left
    # and each is about the box the detector gave for the line on the curled page (within half a
    # line's height: the bow is fitted)
    assert np.abs(np.array([points_box(q) for q in back]) - [points_box(q) for q in quads]).max() < 11
    assert quads_to_bowed(np.zeros((0, 4, 2)), bow, down).shape == (0, 4, 2)
