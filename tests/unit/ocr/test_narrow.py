"""Lone narrow glyphs (a quantity's ``1``, a colon, ``%``) in boxes a little taller than wide.

PP-OCR turns every crop 1.5 times as tall as wide before reading it, as vertical text; a lone
narrow glyph's box is that tall, and read turned it comes out wrong or not at all.  The pipeline
reads such boxes both ways (``OCREngine._narrow_glyphs``).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from chatocr.ocr.crop import crop_quad, is_vertical, short_and_tall, widened
from chatocr.ocr.det import DetResult


def _tall_box_around_ink(image: np.ndarray, aspect: float = 1.7) -> np.ndarray:
    ink = np.argwhere(image[:, :, 0] < 128)
    (y0, x0), (y1, x1) = ink.min(axis=0), ink.max(axis=0)
    h = float(y1 - y0 + 8)
    cx, w = (x0 + x1) / 2, h / aspect
    return np.float32([[cx - w / 2, y0 - 4], [cx + w / 2, y0 - 4], [cx + w / 2, y1 + 4], [cx - w / 2, y1 + 4]])


def _detected(quad: np.ndarray, image: np.ndarray) -> DetResult:
    return DetResult(quad[None], np.ones(1, np.float32), image.shape[:2])


@pytest.mark.parametrize("glyph", [":", "%"])
def test_a_lone_glyph_in_a_tall_box_is_read_unturned(engine, render, glyph):
    image, _ = render.page([(100, 40, glyph)], size=(240, 120), font_size=28)
    quad = _tall_box_around_ink(image)
    assert short_and_tall(quad)
    turned = engine.recognizer([crop_quad(image, quad)])
    assert turned.texts[0] != glyph  # what reading it turned gives: the case this is about
    lines = engine._read_lines(image, _detected(quad, image), 0.0)
    assert lines.texts == [glyph]
    # its box is the tall one widened about its middle, so that it is read as it was
    (box,) = lines.quads
    assert not is_vertical(box)
    assert np.allclose(box.mean(axis=0), quad.mean(axis=0), atol=0.5)
    assert box[:, 1].min() == pytest.approx(quad[:, 1].min()) and box[:, 1].max() == pytest.approx(quad[:, 1].max())


def test_a_short_vertical_word_is_still_read_turned(engine, render):
    line = render.line("OK", size=28)
    word = np.ascontiguousarray(np.rot90(line, -1))  # read from top to bottom
    h, w = word.shape[:2]
    page = np.full((h + 40, w + 40, 3), 255, np.uint8)
    page[20 : 20 + h, 20 : 20 + w] = word
    quad = np.float32([[20, 20], [20 + w, 20], [20 + w, 20 + h], [20, 20 + h]])
    assert short_and_tall(quad)
    lines = engine._read_lines(page, _detected(quad, page), 0.0)
    assert lines.texts == ["OK"]
    assert np.array_equal(lines.quads[0], quad)


def test_widened_is_read_unturned_and_keeps_its_middle_and_height():
    from chatocr.ocr.det import order_quad

    for w, h, angle in [(7.83, 11.9, 0.0), (14.0, 23.0, 0.0), (10.0, 29.0, 8.0), (12.0, 30.0, -6.0)]:
        rect = cv2.boxPoints(((100.0, 80.0), (w, h), angle))
        quad = order_quad(rect)
        assert is_vertical(quad)
        wide = widened(quad)
        assert not is_vertical(wide)
        assert np.allclose(wide.mean(axis=0), quad.mean(axis=0), atol=1e-3)
        height = lambda q: np.linalg.norm(q[3] - q[0])  # noqa: E731
        assert height(wide) == pytest.approx(height(quad), abs=1e-3)


def test_short_and_tall_bounds():
    box = lambda w, h: np.float32([[0, 0], [w, 0], [w, h], [0, h]])  # noqa: E731
    assert not short_and_tall(box(20, 20))  # read unturned anyway
    assert short_and_tall(box(20, 30)) and short_and_tall(box(20, 59))
    assert not short_and_tall(box(20, 60))  # a line of vertical text: turned, and read so alone


def test_quantities_on_a_receipt_are_read(engine, sroie):
    # receipt 345's quantity column: lone digits whose boxes stand 1.5-1.7 times as tall as wide
    image = cv2.imread(str(sroie / "img" / "345.jpg"))
    lines = engine.read_image(image)
    boxes = [(q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max()) for q in lines.quads]

    def read_at(x0, y0, x1, y1):
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        return [t for t, (a, b, c, d) in zip(lines.texts, boxes, strict=True) if a <= cx <= c and b <= cy <= d]

    assert read_at(293, 527, 304, 546) == ["1"]
    assert read_at(244, 574, 259, 592) == ["3"]
    assert read_at(385, 572, 401, 592) == ["3"]
    assert read_at(244, 598, 258, 617) == ["3"]
