"""Documents built directly for the built-in engine's tests (no parser, no OCR)."""

from __future__ import annotations

import pytest
from kiegen import document_from_lines


@pytest.fixture
def lines_doc():
    """``lines_doc([(text, (x0, y0, x1, y1)), ...])``: a one-page Document, one block per line."""

    def make(lines, width=600.0, height=900.0):
        return document_from_lines([(t, b, 1.0) for t, b in lines], width, height)

    return make


@pytest.fixture
def receipt(lines_doc):
    """A typical scanned receipt: name, registration number, address, contacts, items, totals, payment."""
    rows = [
        ("A03018", (480, 10, 560, 40)),
        ("KEDAI RUNCIT MAJU JAYA SDN BHD", (120, 60, 480, 88)),
        ("(123456-X)", (250, 90, 350, 108)),
        ("NO. 12, JALAN MERANTI 3,", (170, 112, 430, 130)),
        ("TAMAN SRI MERANTI,", (200, 132, 400, 150)),
        ("43000 KAJANG, SELANGOR.", (180, 152, 420, 170)),
        ("TEL: 03-8736 1234", (210, 174, 390, 192)),
        ("GST ID: 001234567890", (200, 196, 400, 214)),
        ("TAX INVOICE", (240, 230, 360, 250)),
        ("DATE:", (40, 262, 100, 280)),
        ("25/12/2018 8:13:39 PM", (160, 262, 380, 280)),
        ("INVOICE NO : CS00012345", (40, 286, 330, 304)),
        ("MILO 1KG", (40, 330, 200, 348)),
        ("2", (300, 330, 315, 348)),
        ("16.50", (480, 330, 540, 348)),
        ("BREAD", (40, 352, 140, 370)),
        ("4.70", (485, 352, 540, 370)),
        ("SUB TOTAL", (40, 390, 160, 408)),
        ("21.20", (480, 390, 540, 408)),
        ("GST 6%", (40, 412, 130, 430)),
        ("1.20", (485, 412, 540, 430)),
        ("TOTAI", (40, 440, 120, 462)),
        ("RM", (300, 440, 330, 462)),
        ("22.40", (475, 440, 540, 462)),
        ("CASH", (40, 470, 110, 488)),
        ("50.00", (475, 470, 540, 488)),
        ("CHANGE", (40, 492, 130, 510)),
        ("27.60", (475, 492, 540, 510)),
        ("THANK YOU. PLEASE COME AGAIN", (120, 540, 480, 558)),
    ]
    return lines_doc(rows)
