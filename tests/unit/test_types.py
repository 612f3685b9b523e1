"""chatocr.types: the result objects and their ``to_dict`` (the CLI's JSON contract)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from chatocr.types import OCRPage, OCRResult, TextLine


def line(text: str, x0: float, y0: float, x1: float, y1: float, score: float = 0.9) -> TextLine:
    return TextLine(text=text, score=score, bbox=(x0, y0, x1, y1), polygon=((x0, y0), (x1, y0), (x1, y1), (x0, y1)))


def test_to_dict_contract():
    page = OCRPage(page=1, width=200.456, height=100, lines=(line("Hi", 1.234, 2.345, 50.678, 20.001, 0.912345),))
    d = OCRResult(pages=(page,)).to_dict()
    assert d == {
        "pages": [
            {
                "page": 1,
                "width": 200.46,
                "height": 100.0,
                "lines": [
                    {
                        "text": "Hi",
                        "score": 0.9123,
                        "bbox": [1.23, 2.35, 50.68, 20.0],
                        "polygon": [[1.23, 2.35], [50.68, 2.35], [50.68, 20.0], [1.23, 20.0]],
                    }
                ],
            }
        ]
    }
    assert json.loads(json.dumps(d)) == d


def test_page_text_joins_rows():
    lines = (
        line("TOTAL:", 0, 50, 60, 70),
        line("Shop", 0, 0, 50, 20),
        line("12.50", 200, 51, 250, 71),
        line("Ltd", 60, 1, 90, 21),
    )
    page = OCRPage(page=1, width=300, height=100, lines=lines)
    assert page.text == "Shop Ltd\nTOTAL: 12.50"
    result = OCRResult(pages=(page, OCRPage(page=2, width=1, height=1)))
    assert result.text == "Shop Ltd\nTOTAL: 12.50\n\n"


def test_page_text_of_a_turned_page_follows_its_rows_upright():
    # content turned 90 degrees clockwise on a 100 x 300 page: its top is the right-hand edge
    lines = (
        line("12.50", 60, 200, 80, 250),
        line("Shop", 80, 10, 100, 60),
        line("TOTAL:", 60, 10, 80, 70),
    )
    page = OCRPage(page=1, width=100, height=300, orientation=90, lines=lines)
    assert page.text == "Shop\nTOTAL: 12.50"
    assert OCRPage(page=1, width=100, height=300, lines=lines).text != page.text
    assert "orientation" not in page.to_dict()  # the JSON contract is the same for every page


def test_results_are_validated_and_frozen():
    with pytest.raises(ValidationError):
        line("x", 0, 0, 1, 1, score=1.5)
    with pytest.raises(ValidationError):
        OCRPage(page=0, width=1, height=1)
    page = OCRPage(page=1, width=1, height=1)
    with pytest.raises(ValidationError):
        page.page = 2  # type: ignore[misc]
