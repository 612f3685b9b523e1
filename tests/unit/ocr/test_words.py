"""Word boxes: each word of a recognised line gets the part of the line's box its characters cover."""

from __future__ import annotations

import json

import numpy as np
import pytest
from chatocr_testkit import encode, get_font, to_bgr
from PIL import Image, ImageDraw

from chatocr.io import PageImage
from chatocr.ocr.columns import word_quads
from chatocr.ocr.crop import crop_quad

QUAD = np.array([[100, 50], [300, 50], [300, 70], [100, 70]], np.float32)


def even(text: str) -> np.ndarray:
    return (np.arange(len(text), dtype=np.float32) + 0.5) / len(text)


def bbox(quad) -> tuple[float, float, float, float]:
    q = np.asarray(quad, np.float32)
    return float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max())


# -- from character positions ---------------------------------------------------------------


def test_words_span_their_characters_and_a_margin():
    text = "Total 12.30"
    words = word_quads(QUAD, text, even(text))
    assert [t for _, t in words] == ["Total", "12.30"]
    pitch = 200 / len(text)
    (qa, _), (qb, _) = words
    # outer character centres, 0.7 of a pitch beyond each, clipped to the line
    assert bbox(qa) == pytest.approx((100, 50, 100 + (4.5 + 0.7) * pitch, 70))
    assert bbox(qb) == pytest.approx((100 + (6.5 - 0.7) * pitch, 50, 300, 70))


def test_each_chinese_character_is_a_word():
    text = "合计:12.30 元"
    words = word_quads(QUAD, text, even(text))
    assert [t for _, t in words] == ["合", "计", ":12.30", "元"]
    centres = [(bbox(q)[0] + bbox(q)[2]) / 2 for q, _ in words]
    assert all(a < b for a, b in zip(centres, centres[1:], strict=False))
    # one character's box: its centre and 0.7 of a pitch either side
    assert bbox(words[1][0])[2] - bbox(words[1][0])[0] == pytest.approx(1.4 * 200 / len(text))


@pytest.mark.models
def test_words_of_a_receipt_s_chinese_footer(engine, sroie):
    import cv2

    from chatocr.ocr.rec import has_cjk

    image = cv2.imread(str(sroie / "img" / "000.jpg"))
    page = engine.read_page(PageImage(1, image, float(image.shape[1]), float(image.shape[0]), "px", 1.0))
    chinese = [ln for ln in page.lines if has_cjk(ln.text) and len(ln.text) >= 6]
    assert chinese
    for ln in chinese:
        assert "".join(w.text for w in ln.words) == ln.text.replace(" ", "")
        assert all(len(w.text) == 1 for w in ln.words if has_cjk(w.text))
        starts = [w.bbox[0] for w in ln.words]
        assert starts == sorted(starts)


def test_a_line_read_turned_over_places_its_first_word_on_the_right():
    # read in a crop turned 180 degrees: the text's first character is the quad's rightmost
    text = "ab cd"
    words = word_quads(QUAD, text, even(text)[::-1].copy())
    (qa, ta), (qb, tb) = words
    assert (ta, tb) == ("ab", "cd")
    assert bbox(qa)[0] > bbox(qb)[2] - 1e-3
    assert bbox(qa)[2] == pytest.approx(300) and bbox(qb)[0] == pytest.approx(100)


def test_a_vertical_line_is_divided_from_top_to_bottom():
    quad = np.array([[10, 0], [30, 0], [30, 200], [10, 200]], np.float32)
    text = "AB CD"
    (qa, _), (qb, _) = word_quads(quad, text, even(text))
    assert bbox(qa)[1] == pytest.approx(0) and bbox(qa)[3] < bbox(qb)[1]
    assert bbox(qa)[0] == pytest.approx(10) and bbox(qa)[2] == pytest.approx(30)
    assert bbox(qb)[3] == pytest.approx(200)


@pytest.mark.parametrize(("w", "h"), [(200, 20), (20, 29), (20, 31), (20, 200)])
def test_words_divide_the_direction_the_crop_is_read(w, h):
    quad = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    read_along_x = crop_quad(np.zeros((300, 300, 3), np.uint8), quad).shape[1] == w  # else turned
    (qa, _), _ = word_quads(quad, "AB CD", even("AB CD"))
    x0, y0, x1, y1 = bbox(qa)
    assert (x1 - x0 < w, y1 - y0 < h) == (read_along_x, not read_along_x)


def test_lines_that_cannot_be_measured():
    assert word_quads(QUAD, "7", np.array([0.5], np.float32)) == [(pytest.approx(QUAD), "7")]
    assert word_quads(QUAD, "ab cd", np.zeros(0, np.float32)) == []  # no positions: no words
    assert word_quads(QUAD, "", np.zeros(0, np.float32)) == []


# -- through the engine -----------------------------------------------------------------------

LINES = ["Total due 12.30", "Cash RM 50.00", "INV-2019/0042 paid", "Thank you come again"]


@pytest.fixture(scope="module")
def page():
    """Lines on a page, and each word's ink box (measured from the font)."""
    font = get_font(30)
    im = Image.new("RGB", (800, 600), "white")
    draw = ImageDraw.Draw(im)
    truth = []
    for i, text in enumerate(LINES):
        x, y = 60 + 40 * i, 60 + 130 * i
        draw.text((x, y), text, font=font, fill="black")
        start = 0
        for word in text.split():
            start = text.index(word, start)
            truth.append((word, draw.textbbox((x + font.getlength(text[:start]), y), word, font=font)))
            start += len(word)
    return to_bgr(im), truth


def _check_words(lines, truth):
    words = [w for ln in lines for w in ln.words]
    assert [w.text for w in words] == [t for t, _ in truth]
    for w, (t, (x0, y0, x1, y1)) in zip(words, truth, strict=True):
        wx0, wy0, wx1, wy1 = w.bbox
        covered = max(0.0, min(wx1, x1) - max(wx0, x0)) / (x1 - x0)
        iou = max(0.0, min(wx1, x1) - max(wx0, x0)) / (max(wx1, x1) - min(wx0, x0))
        assert covered >= 0.9 and iou >= 0.7, (t, w.bbox, (x0, y0, x1, y1))
        assert wy0 <= (y0 + y1) / 2 <= wy1


def test_each_word_box_covers_its_ink(engine, page):
    image, truth = page
    result = engine.read_page(PageImage(page=1, image=image, width=800, height=600, unit="px", scale=1.0))
    assert [ln.text for ln in result.lines] == LINES
    _check_words(result.lines, truth)


def test_words_of_an_upside_down_page(engine, page):
    image, truth = page
    result = engine.read_page(PageImage(page=1, image=np.ascontiguousarray(image[::-1, ::-1]), width=800, height=600, unit="px", scale=1.0))
    lines = sorted(result.lines, key=lambda ln: -ln.bbox[1])  # turned over: the first line is at the bottom
    assert [ln.text for ln in lines] == LINES
    turned = [(t, (800 - x1, 600 - y1, 800 - x0, 600 - y0)) for t, (x0, y0, x1, y1) in truth]
    _check_words(lines, turned)


def test_cli_json_words_only_when_asked(page, tmp_path):
    from click.testing import CliRunner

    from chatocr.cli import cli

    image, truth = page
    path = tmp_path / "page.png"
    path.write_bytes(encode(image))
    plain = json.loads(CliRunner().invoke(cli, ["ocr", str(path), "--json"]).output)
    assert set(plain["pages"][0]["lines"][0]) == {"text", "score", "bbox", "polygon"}  # the contract
    out = CliRunner().invoke(cli, ["ocr", str(path), "--json", "--words"])
    assert out.exit_code == 0, out.output
    lines = json.loads(out.output)["pages"][0]["lines"]
    assert [ln["text"] for ln in lines] == [ln["text"] for ln in plain["pages"][0]["lines"]]
    words = [w for ln in lines for w in ln["words"]]
    assert [w["text"] for w in words] == [t for t, _ in truth]
    assert all(set(w) == {"text", "bbox", "polygon"} and len(w["polygon"]) == 4 for w in words)


# -- drawing ------------------------------------------------------------------------------------


def test_drawn_lines_are_coloured_by_confidence_and_words_drawn_when_asked():
    from chatocr.ocr.visualize import CONFIDENCE_COLORS, draw_lines
    from chatocr.types import OCRPage, TextLine, Word

    def rect(x0, y0, x1, y1):
        return (x0, y0, x1, y1), ((x0, y0), (x1, y0), (x1, y1), (x0, y1))

    bb, poly = rect(10, 10, 90, 30)
    wb, wpoly = rect(12, 12, 40, 28)
    sure = TextLine(text="ok ok", score=0.95, bbox=bb, polygon=poly, words=(Word(text="ok", bbox=wb, polygon=wpoly),))
    bb2, poly2 = rect(10, 50, 90, 70)
    poor = TextLine(text="??", score=0.5, bbox=bb2, polygon=poly2)
    page = OCRPage(page=1, width=100, height=100, unit="pt", lines=(sure, poor))
    image = Image.new("RGB", (200, 200), "white")  # twice the page's size: boxes scale

    def colours(img, x, y0, y1):
        return {img.getpixel((x, y)) for y in range(y0, y1)}

    green, red = CONFIDENCE_COLORS[0][1], CONFIDENCE_COLORS[-1][1]
    plain = draw_lines(page, image)
    assert green in colours(plain, 120, 16, 24)  # the top edge of the first line, at y = 20
    assert red in colours(plain, 120, 96, 104)  # the second line's, at y = 100
    assert image.getpixel((120, 20)) == (255, 255, 255)  # the input is left alone
    blue = (31, 119, 180)
    assert blue not in colours(plain, 50, 20, 60)
    assert blue in colours(draw_lines(page, image, words=True), 50, 20, 60)  # the word's edge, x 24..80
