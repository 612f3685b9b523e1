"""chatocr.ocr.det: DB detection on synthetic pages, its post-processing, and the gap split."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from chatocr_testkit import render_page

from chatocr.geometry import iou
from chatocr.ocr.det import TextDetector, order_quad, split_at_gaps, strip_spans, text_region
from chatocr.options import DetectorOptions

PAGE_ITEMS = [
    (40, 40, "Receipt No. 10452"),
    (560, 40, "2019-03-14"),
    (40, 140, "Coffee latte"),
    (640, 140, "RM 12.50"),
    (40, 240, "Subtotal 3 items"),
    (40, 340, "Thank you, come again!"),
    (560, 340, "Table 78"),
    (300, 470, "www.example.com"),
]


def bbox(quad: np.ndarray) -> tuple[float, float, float, float]:
    return float(quad[:, 0].min()), float(quad[:, 1].min()), float(quad[:, 0].max()), float(quad[:, 1].max())


@pytest.fixture(scope="module")
def page():
    # an odd size, not a multiple of 32, so that the rescale back is exercised
    return render_page(PAGE_ITEMS, size=(901, 583), font_size=28)


@pytest.fixture(scope="module")
def detected(engine, page):
    image, _ = page
    return engine.detector(image)


class _NoSession:
    def __call__(self, x):  # pragma: no cover - never run
        raise AssertionError("the model must not be called")


# -- on a rendered page --------------------------------------------------------------


def test_every_text_is_found(detected, page):
    _, truth = page
    boxes = [bbox(q) for q in detected.boxes]
    for t, (_, _, text) in zip(truth, PAGE_ITEMS, strict=True):
        best = max((iou(t, b) for b in boxes), default=0.0)
        assert best > 0.5, f"{text!r} at {t}: best IoU {best:.2f}"


def test_nothing_else_is_found(detected, page):
    _, truth = page
    assert len(detected.boxes) == len(truth)
    for b in map(bbox, detected.boxes):
        assert max(iou(t, b) for t in truth) > 0.5, f"spurious box {b}"


def test_result_shapes(detected, page):
    image, _ = page
    h, w = image.shape[:2]
    n = len(detected.boxes)
    assert detected.boxes.shape == (n, 4, 2) and detected.boxes.dtype == np.float32
    assert detected.scores.shape == (n,)
    assert ((detected.scores >= 0.45) & (detected.scores <= 1)).all()
    assert (detected.boxes[..., 0] >= 0).all() and (detected.boxes[..., 0] <= w - 1).all()
    assert (detected.boxes[..., 1] >= 0).all() and (detected.boxes[..., 1] <= h - 1).all()
    ih, iw = detected.input_size
    assert ih % 32 == 0 and iw % 32 == 0


def test_quads_are_clockwise_from_top_left(detected):
    for q in detected.boxes:
        tl, tr, br, bl = q
        assert tl[0] < tr[0] and bl[0] < br[0]
        assert tl[1] < bl[1] and tr[1] < br[1]


def test_blank_page_has_no_boxes(engine):
    det = engine.detector(np.full((736, 800, 3), 255, np.uint8))
    assert det.boxes.shape == (0, 4, 2)
    assert det.scores.shape == (0,)


# rows of key/value text: (y, [(x, text), ...], how many boxes the row must give)
ROWS = [
    (60, [(30, "TOTAL:"), (420, "12.50")], 2),  # far apart: two lines
    (200, [(30, "DOCUMENT NO : TD01")], 1),  # normal spaces: one line
    (340, [(30, "DATE : 12/01/2019 10:42")], 1),
    (480, [(30, "CASH"), (200, "RM 50.00")], 2),
]


@pytest.fixture(scope="module")
def rows_page(engine):
    items = [(x, y, text) for y, parts, _ in ROWS for x, text in parts]
    image, truth = render_page(items, size=(760, 736), font_size=24)
    return engine.detector(image), truth


@pytest.mark.parametrize("row", range(len(ROWS)), ids=[" | ".join(t for _, t in r[1]) for r in ROWS])
def test_key_value_rows(rows_page, row):
    det, truth = rows_page
    y, parts, expected = ROWS[row]
    first = sum(len(r[1]) for r in ROWS[:row])
    row_truth = truth[first : first + len(parts)]
    top, bottom = min(t[1] for t in row_truth), max(t[3] for t in row_truth)
    boxes = [b for b in map(bbox, det.boxes) if top <= (b[1] + b[3]) / 2 <= bottom]
    assert len(boxes) == expected, boxes
    if expected == len(parts):  # one box per part, each over its text
        for t in row_truth:
            assert max(iou(t, b) for b in boxes) > 0.5, (t, boxes)
    else:  # one box over the whole row
        whole = (row_truth[0][0], top, row_truth[-1][2], bottom)
        assert iou(whole, boxes[0]) > 0.5


# -- the gap split on a box that spans a whole row -------------------------------------


def _row_quad(truth, margin_x: float = 5, margin_y: float = 6) -> np.ndarray:
    x0 = min(t[0] for t in truth) - margin_x
    x1 = max(t[2] for t in truth) + margin_x
    y0 = min(t[1] for t in truth) - margin_y
    y1 = max(t[3] for t in truth) + margin_y
    return np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], np.float32)


def test_split_at_a_wide_gap():
    image, truth = render_page([(30, 40, "TOTAL:"), (400, 40, "12.50")], size=(640, 120), font_size=24)
    boxes, scores = split_at_gaps(image, _row_quad(truth), np.array([0.8], np.float32), gap=1.2)
    assert len(boxes) == 2
    assert scores.tolist() == pytest.approx([0.8, 0.8])
    (a, b) = sorted(map(bbox, boxes))
    # each piece holds its word whole and none of the other
    assert a[0] <= truth[0][0] and a[2] >= truth[0][2] and a[2] < truth[1][0]
    assert b[0] <= truth[1][0] and b[2] >= truth[1][2] and b[0] > truth[0][2]
    assert iou(truth[0], a) > 0.5 and iou(truth[1], b) > 0.5


def test_split_works_on_light_text_on_dark():
    image, truth = render_page([(30, 40, "TOTAL:"), (400, 40, "12.50")], size=(640, 120), font_size=24)
    boxes, _ = split_at_gaps(255 - image, _row_quad(truth), np.array([0.8], np.float32), gap=1.2)
    assert len(boxes) == 2


@pytest.mark.parametrize("text", ["DOCUMENT NO : TD01", "DATE : 12/01/2019  10:42", "Thank you, come again!"])
def test_no_split_at_word_spaces(text):
    image, truth = render_page([(30, 40, text)], size=(640, 120), font_size=24)
    quad = _row_quad(truth)
    boxes, _ = split_at_gaps(image, quad, np.array([0.8], np.float32), gap=1.2)
    assert len(boxes) == 1
    assert np.array_equal(boxes[0], quad[0])


def test_slanted_boxes_are_not_split():
    image, truth = render_page([(30, 40, "TOTAL:"), (400, 40, "12.50")], size=(640, 160), font_size=24)
    quad = _row_quad(truth)
    quad[0, 1, 1] += 40  # right end 40 px lower over ~450 px: about 5 degrees
    quad[0, 2, 1] += 40
    boxes, _ = split_at_gaps(image, quad, np.array([0.8], np.float32), gap=1.2)
    assert len(boxes) == 1


# -- pure post-processing, no model ------------------------------------------------------


def test_postprocess_maps_probability_blobs_to_image_boxes():
    det = TextDetector(DetectorOptions(), session=_NoSession())
    prob = np.zeros((100, 200), np.float32)
    prob[40:50, 20:120] = 0.9  # one shrunk text kernel
    prob[80:84, 150:152] = 0.9  # too small: dropped by min_size
    boxes, scores = det.postprocess(prob, (200, 400))  # the image is twice the map's size
    assert boxes.shape == (1, 4, 2)
    assert scores[0] == pytest.approx(0.9, abs=0.01)
    x0, y0, x1, y1 = bbox(boxes[0])
    # the kernel 40..50 x 20..120 grown by the unclip margin, then scaled by 2
    assert x0 < 40 < 240 < x1 and y0 < 80 < 100 < y1
    assert x1 - x0 < 2 * 100 + 2 * 20 and y1 - y0 < 2 * 10 + 2 * 20


def test_specks_beyond_the_candidate_cap_do_not_crowd_out_text():
    # a photographed receipt on a textured table: at a fine scale, the texture gives more specks
    # than the cap on contours, and contours come bottom-up, so the text at the top came last
    det = TextDetector(DetectorOptions(max_candidates=50), session=_NoSession())
    prob = np.zeros((300, 200), np.float32)
    prob[20:30, 20:120] = 0.9  # the text
    prob[100:300:4, 0:200:4] = 0.9  # 1,250 specks under it
    boxes, _ = det.postprocess(prob, (300, 200))
    assert len(boxes) == 1 and bbox(boxes[0])[1] < 20 < 30 < bbox(boxes[0])[3]


def test_postprocess_drops_low_scores():
    det = TextDetector(DetectorOptions(thresh=0.2, box_thresh=0.6), session=_NoSession())
    prob = np.zeros((100, 200), np.float32)
    prob[40:50, 20:120] = 0.5  # above thresh, below box_thresh
    boxes, scores = det.postprocess(prob, (100, 200))
    assert boxes.shape == (0, 4, 2) and scores.shape == (0,)


@pytest.mark.parametrize(
    "opts, hw, expected",
    [
        (dict(limit_type="min", limit_side_len=736), (400, 900), (736, 1664)),
        (dict(limit_type="min", limit_side_len=736), (1000, 1200), (992, 1216)),
        (dict(limit_type="max", limit_side_len=960), (2000, 1000), (960, 480)),
        (dict(limit_type="max", limit_side_len=960), (100, 50), (96, 64)),
        (dict(limit_type="min", limit_side_len=736, max_side_len=2400), (500, 5000), (256, 2400)),
        (dict(limit_type="min", limit_side_len=736, max_side_len=4000), (5, 3000), (32, 4000)),
        # the area cap bounds memory on big scans
        (dict(limit_type="min", limit_side_len=736, max_pixels=2_000_000), (2000, 3000), (1152, 1728)),
        # the default cap: a receipt scan's detector input stays near a megapixel
        (dict(max_pixels=DetectorOptions.model_fields["max_pixels"].default), (1610, 792), (1440, 704)),
    ],
)
def test_target_size(opts, hw, expected):
    # the limit policy, with an area cap above these sizes unless the case sets one
    det = TextDetector(DetectorOptions(**{"max_pixels": 4_000_000, **opts}), session=_NoSession())
    rh, rw = det.target_size(*hw)
    assert (rh, rw) == expected
    assert rh % 32 == 0 and rw % 32 == 0
    assert max(rh, rw) <= det.options.max_side_len


def test_order_quad():
    pts = np.array([[10, 20], [0, 0], [0, 20], [10, 0]], np.float32)
    assert order_quad(pts).tolist() == [[0, 0], [10, 0], [10, 20], [0, 20]]


# -- strips ---------------------------------------------------------------------------


@pytest.mark.parametrize("h", [512, 1120, 1600, 2144, 2688, 4000 // 32 * 32])
@pytest.mark.parametrize("w, tile_pixels, overlap", [(736, 750_000, 128), (736, 500_000, 128), (1216, 750_000, 64)])
def test_strip_spans_cover_the_input_within_the_bound(h, w, tile_pixels, overlap):
    spans = strip_spans(h, w, tile_pixels, overlap)
    if h * w <= tile_pixels:
        assert spans == [(0, h)]
        return
    assert spans[0][0] == 0 and spans[-1][1] == h
    heights = {y1 - y0 for y0, y1 in spans}
    assert len(heights) == 1  # one strip height: the overlap is the only repeated work
    strip = heights.pop()
    assert strip % 32 == 0 and all(y0 % 32 == 0 for y0, _ in spans)
    assert strip * w <= max(tile_pixels, 4 * overlap * w)
    for (a0, a1), (b0, _) in itertools.pairwise(spans):
        assert a0 < b0 and a1 - b0 >= overlap  # neighbours share at least the overlap
    # as few strips as the bound allows
    most = (tile_pixels // w) // 32 * 32
    assert len(spans) == -(-(h - overlap) // (most - overlap))
    # and no taller than they must be to cover the input with that overlap
    n = len(spans)
    assert n * strip < h + (n - 1) * overlap + 32 * n


def test_strips_find_what_one_pass_finds(engine):
    """A tall page run in strips gives the boxes of a single pass."""
    items = [(40, 30 + 90 * i, f"Line {i:02d} item {7 * i + 3} RM {i}.50") for i in range(14)]
    image, _ = render_page(items, size=(640, 1300), font_size=26)
    # at the page's full scale (736 x 1504), no area cap
    full = {"max_pixels": 2_000_000}
    one = TextDetector(engine.detector.options.model_copy(update={"tile_pixels": 10_000_000, **full}),
                       session=engine.detector.session)(image)
    tiled = TextDetector(engine.detector.options.model_copy(update={"tile_pixels": 300_000, **full}),
                         session=engine.detector.session)
    x = tiled.preprocess(image)
    assert len(strip_spans(x.shape[2], x.shape[3], 300_000, tiled.options.tile_overlap)) >= 3
    strips = tiled(image)
    assert len(strips.boxes) == len(one.boxes) == len(items)
    for quad in strips.boxes:
        assert max(iou(bbox(quad), bbox(q)) for q in one.boxes) > 0.9


def test_small_print_on_a_full_page_survives_the_area_cap(engine):
    """An A4 page of 6 pt text rendered at 200 dpi (3.9 megapixels) is still read word for word:
    the area cap must not lose fine print (at the capped size alone, 3% of the words are lost)."""
    import random

    import pymupdf

    rng = random.Random(3)
    vocab = "invoice total amount payable account balance customer street order quantity price tax".split()
    doc = pymupdf.open()
    p = doc.new_page(width=595, height=842)
    words: list[str] = []
    for k in range(60):
        line = " ".join(f"{rng.choice(vocab)}{rng.randint(1, 99)}" for _ in range(14))
        p.insert_text((40, 40 + 9 * k), line, fontsize=6, fontname="helv")
        words += line.split()
    res = engine(doc.tobytes())
    det_h, det_w = engine.detector.target_size(round(842 * 200 / 72), round(595 * 200 / 72))
    assert det_h * det_w <= 1.05 * engine.options.det.max_pixels  # the cap applies to this page
    read = " ".join(ln.text for ln in res.pages[0].lines).split()
    assert len(set(words) & set(read)) >= 0.99 * len(set(words))


def _boxes(height: float, n: int = 20) -> np.ndarray:
    """``n`` rows of 390 px boxes ``height`` high, 2 heights apart, from (10, 10)."""
    return np.array([[[10, 10 + 3 * height * i], [400, 10 + 3 * height * i], [400, 10 + 3 * height * i + height],
                      [10, 10 + 3 * height * i + height]] for i in range(n)], np.float32)


def _rows(height: float, n: int = 20, width: float = 1600) -> np.ndarray:
    """``n`` rows of boxes ``width`` px wide and ``height`` high, 2 heights apart, from (10, 10): text
    that fills the width of a page."""
    return _boxes(height, n) * np.float32([width / 390, 1]) + np.float32([10 - 10 * width / 390, 0])


def test_a_second_pass_only_for_small_text_on_a_capped_page_or_text_on_part_of_it():
    det = TextDetector(DetectorOptions(max_pixels=1_000_000, fine_max_pixels=4_000_000), session=_NoSession())
    hw = (2339, 1654)  # A4 at 200 dpi
    capped = det.target_size(*hw)
    assert capped[0] * capped[1] <= 1.1e6
    # rows of text over the whole page: 40 px lines are 26 px at the capped size, 16 px lines are 10 px
    full = _rows(40, 19)
    assert det.second_pass(hw, capped, full) is None
    region, size = det.second_pass(hw, capped, _rows(16, 48))
    assert region == (0, 0, 1654, 2339) and size[0] > capped[0] and size[0] * size[1] <= 4.1e6
    assert abs(size[0] - hw[0]) <= 16  # never above the uncapped scale (the scan's own)
    assert det.second_pass(hw, capped, full[:0]) is None  # nothing found: a blank page runs once
    # a page that was not capped has no finer scale to run
    small = (1000, 700)
    assert det.second_pass(small, det.target_size(*small), _rows(8, 20, 600)) is None
    # switched off
    off = TextDetector(DetectorOptions(max_pixels=1_000_000, fine_text_height=0), session=_NoSession())
    assert off.second_pass(hw, capped, _rows(16, 48)) is None


def test_small_print_in_boxes_that_cannot_shrink_is_measured_in_the_image():
    """A two-metre receipt strip at a megapixel: 192 px wide to the detector, its 15 px print 3 px
    tall, and the boxes around it no smaller than 17 px (the map's smallest kernel, unclipped)."""
    det = TextDetector(DetectorOptions(), session=_NoSession())
    hw = (22460, 945)
    size = det.target_size(*hw)
    assert size[1] <= 200
    tops = 20 + 112 * np.arange(200, dtype=np.float32)  # 78 px tall, 112 apart
    boxes = np.stack([np.stack([[30, t], [420, t], [420, t + 78], [30, t + 78]]) for t in tops]).astype(np.float32)
    assert np.median(boxes[:, 2, 1] - boxes[:, 0, 1]) * size[0] / hw[0] > 16

    def page(ink: int) -> np.ndarray:
        image = np.full((*hw, 3), 255, np.uint8)
        for top in boxes[:, 0, 1].astype(int):
            image[top + 39 - ink // 2 : top + 39 + ink - ink // 2, 60:380] = 0
        return image

    assert det.second_pass(hw, size, boxes) is None  # the boxes alone say the print is large enough
    region, finer = det.second_pass(hw, size, boxes, page(15))
    assert region == (0, 0, 945, 22460) and finer[0] > 2 * size[0]
    assert det.second_pass(hw, size, boxes, page(60)) is None  # print as tall as the boxes say


def test_text_on_part_of_a_page_is_detected_again_there():
    """A receipt on an A4 scan: a mostly blank page weakens the detector's response to the text, so the
    part that holds it is detected again alone, within the same area cap (so finer)."""
    det = TextDetector(DetectorOptions(max_pixels=1_000_000), session=_NoSession())
    hw = (2339, 1654)
    capped = det.target_size(*hw)
    boxes = _boxes(40, 12) + np.float32([600, 400])  # 390 x 1360 px of large text in the middle
    (x0, y0, x1, y1), size = det.second_pass(hw, capped, boxes)
    assert x0 < 610 and y0 < 410 and x1 > 1000 and y1 > 1770  # all the text, with a margin
    assert (x1 - x0) * (y1 - y0) < 0.5 * hw[0] * hw[1]
    assert 0.8e6 < size[0] * size[1] <= 1.1e6  # the area cap, on that part
    assert size[0] / (y1 - y0) > 1.5 * capped[0] / hw[0]
    # region_share: 0 switches it off; the large text needs no finer pass
    off = TextDetector(DetectorOptions(max_pixels=1_000_000, region_share=0), session=_NoSession())
    assert off.second_pass(hw, capped, boxes) is None


def test_small_text_on_part_of_a_large_frame_runs_finer_there():
    det = TextDetector(DetectorOptions(max_pixels=1_000_000, fine_max_pixels=4_000_000), session=_NoSession())
    hw = (4000, 3000)  # a phone photo: a receipt in the middle of a table
    boxes = _boxes(40, 10) + np.float32([1200, 1300])  # 390 x 1240 px of text at (1210, 1310)
    (x0, y0, x1, y1), size = det.second_pass(hw, det.target_size(*hw), boxes)
    assert x0 < 1210 and y0 < 1310 and x1 > 1600 and y1 > 2550  # all the text, with a margin
    assert (x1 - x0) * (y1 - y0) < 0.1 * hw[0] * hw[1]
    # the area cap on that part gives a finer scale than making the text 18 px
    assert size[0] / (y1 - y0) > 18 / 40 and size[0] * size[1] <= 1.1e6
    # text over most of the page: the whole page, finer
    spread = np.concatenate([_rows(16, 48), _rows(16, 48) + np.float32([0, 50])])
    assert det.second_pass((2339, 1654), det.target_size(2339, 1654), spread)[0] == (0, 0, 1654, 2339)


def test_text_region_margin():
    boxes = np.float32([[[100, 100], [300, 100], [300, 120], [100, 120]]])
    # the margin: 4 text heights (80 px), more than a tenth of the extent (20 px of 200)
    assert text_region((2000, 2000), boxes, 20.0) == (20, 20, 381, 201)
    # clipped to the image
    assert text_region((2000, 2000), boxes - 90, 20.0)[:2] == (0, 0)
    # over half the image (or the share given): all of it
    assert text_region((300, 400), boxes, 20.0) == (0, 0, 400, 300)
    assert text_region((2000, 2000), boxes, 20.0, share=0.0) == (0, 0, 2000, 2000)


@pytest.mark.models
def test_a_small_page_in_a_large_grainy_frame_is_detected_again_where_its_text_is(engine, ledger):
    """A phone photo of a slip on a table: the page is detected again around its text alone, and every
    row is read."""
    from chatocr.io import PageImage

    page, rows = ledger
    grain = np.random.default_rng(7).normal(90, 12, (4000, 3000, 1)) + np.array([30, 10, 0])
    frame = grain.clip(0, 255).astype(np.uint8)
    frame[1800 : 1800 + page.shape[0], 1100 : 1100 + page.shape[1]] = page
    found = engine.detector(frame)
    ih, iw = found.input_size
    assert ih < iw  # the second pass ran on a wide part of the tall frame
    read = engine.read_page(PageImage(1, frame, 3000.0, 4000.0, "px", 1.0))
    assert read.text.splitlines() == [f"{a} {b}" for a, b in rows]
    assert all(1100 <= ln.bbox[0] and ln.bbox[2] <= 1100 + page.shape[1] for ln in read.lines)
