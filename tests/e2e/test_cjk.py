"""CJK characters on real receipts: misread symbols on a Latin page, kept text on a Chinese one.

The recogniser's dictionary holds Chinese, Japanese and Latin script.  On the
Latin receipts of sroie-dev it reads some asterisks, dashes and colons as CJK
characters ("米", "一", "：").  By default (``RecognizerOptions.cjk="auto"``) a
page without CJK text takes the reading without CJK characters; a page with
Chinese text keeps every character as read.
"""

from __future__ import annotations

import pytest

from chatocr.ocr.rec import has_cjk


@pytest.fixture(scope="module")
def engine_allow():
    from chatocr.ocr import OCREngine
    from chatocr.options import OCROptions, RecognizerOptions

    return OCREngine(OCROptions(rec=RecognizerOptions(cjk="allow")))


def _lines(engine, image):
    (page,) = engine(image).pages
    return [(line.bbox, line.text) for line in page.lines]


@pytest.mark.models
def test_a_latin_receipt_reads_its_symbols_without_cjk(engine, engine_allow, sroie):
    image = sroie / "img" / "083.jpg"
    plain = _lines(engine_allow, image)
    default = _lines(engine, image)
    misread = [text for _, text in plain if has_cjk(text)]
    assert "米" in misread and "Doc #：" in misread  # what the whole dictionary reads
    assert not any(has_cjk(text) for _, text in default)
    assert "*" in [text for _, text in default] and "Doc #:" in [text for _, text in default]
    # nothing else changes: the same boxes, and the same text on every line without CJK
    assert [bbox for bbox, _ in default] == [bbox for bbox, _ in plain]
    for (_, a), (_, b) in zip(plain, default, strict=True):
        if not has_cjk(a):
            assert a == b


@pytest.mark.models
def test_a_receipt_with_chinese_text_keeps_it(engine, engine_allow, sroie):
    image = sroie / "img" / "000.jpg"
    default = _lines(engine, image)
    assert any("谢谢" in text for _, text in default)  # its Chinese footer
    assert default == _lines(engine_allow, image)


@pytest.mark.models
def test_never_reads_cjk_even_on_a_chinese_page(engine_allow, sroie):
    from chatocr.ocr import OCREngine
    from chatocr.options import OCROptions, RecognizerOptions

    image = sroie / "img" / "000.jpg"
    never = _lines(OCREngine(OCROptions(rec=RecognizerOptions(cjk="never"))), image)
    plain = _lines(engine_allow, image)
    assert not any(has_cjk(text) for _, text in never)
    assert [bbox for bbox, _ in never] == [bbox for bbox, _ in plain]
    assert "*" in [text for _, text in never] and "米" in [text for _, text in plain]
