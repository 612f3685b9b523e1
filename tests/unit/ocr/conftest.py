"""Pages the OCR-core tests share."""

from __future__ import annotations

import pytest

LEDGER_ROWS = [("Subtotal", "1,180.00"), ("Discount", "30.00"), ("Service charge", "57.50"), ("Tax 6%", "72.45"),
               ("Rounding", "0.05"), ("Cash", "1,300.00"), ("Change", "20.00"), ("Total due", "1,280.00")]


@pytest.fixture(scope="package")
def ledger(render):
    """A page of labels and amounts in two columns, row by row (``LEDGER_ROWS``): its image and rows."""
    items = [(x, 50 + 46 * i, t) for i, (a, b) in enumerate(LEDGER_ROWS) for x, t in ((40, a), (560, b))]
    image, _ = render.page(items, size=(760, 50 + 46 * len(LEDGER_ROWS) + 30), font_size=28)
    return image, LEDGER_ROWS


@pytest.fixture
def loads(monkeypatch) -> list:
    """The model files the OCR pipeline creates sessions for from now on, in order."""
    import chatocr.ocr.pipeline as pipeline

    seen: list = []
    real = pipeline.create_session

    def create(path, *args, **kwargs):
        seen.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "create_session", create)
    return seen
