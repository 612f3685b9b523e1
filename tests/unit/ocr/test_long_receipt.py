"""A long receipt strip (80 mm wide, a metre long at 300 dpi) is read at its full width: the
reduction of large images (``LoaderOptions.max_side``) stops at ``min_side``."""

from __future__ import annotations

import random

import pytest
from PIL import Image, ImageDraw

from chatocr.ocr import OCREngine
from chatocr.options import LoaderOptions, OCROptions

WORDS = ["MILK", "BREAD", "EGGS", "RICE", "SUGAR", "TEA", "COFFEE", "APPLE", "SOAP", "SALT", "FLOUR", "BUTTER"]


@pytest.fixture(scope="module")
def strip(render) -> tuple[bytes, list[str]]:
    rng = random.Random(7)
    font = render.font(20)  # print 1.7 mm tall
    width, step, n = 945, 112, 100  # 80 mm at 300 dpi; a line every 9.5 mm
    im = Image.new("L", (width, 60 + n * step), 255)
    draw = ImageDraw.Draw(im)
    texts = []
    for i in range(n):
        name = f"{' '.join(rng.sample(WORDS, 2))} {rng.randint(1, 999)}G"
        price = f"{rng.randint(1, 99)}.{rng.randint(0, 99):02d}"
        y = 60 + i * step
        draw.text((40, y), name, font=font, fill=0)
        draw.text((width - 40 - draw.textlength(price, font=font), y), price, font=font, fill=0)
        texts += [name, price]
    return render.encode(im), texts


def exact(engine: OCREngine, data: bytes, truth: list[str]) -> float:
    (page,) = engine(data).pages
    return sum(line.text in truth for line in page.lines) / len(truth)


def test_a_long_receipt_strip_reads_at_full_width(engine, strip):
    data, truth = strip
    assert exact(engine, data, truth) >= 0.97


def test_shrunk_to_max_side_its_print_reads_worse(engine, strip):
    data, truth = strip
    shrunk = OCREngine(OCROptions(loader=LoaderOptions(min_side=None)))
    assert exact(shrunk, data, truth) < exact(engine, data, truth) - 0.1  # 1.0 against 0.71 when written
