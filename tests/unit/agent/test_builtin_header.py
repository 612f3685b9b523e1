"""The receipt header rules (company name, the issuer's address) on made-up receipts read with OCR slips."""

from __future__ import annotations

import pytest

from chatocr.agent.builtin import BuiltinEngine
from chatocr.agent.builtin.validators import company_evidence


@pytest.fixture(scope="module")
def engine():
    return BuiltinEngine()


def _extract(engine, lines_doc, rows):
    return engine.extract(lines_doc(rows), ["company", "address"])


def test_sb_is_a_legal_form():
    assert company_evidence("KEDAI MURAH S/B") == 1.0
    assert company_evidence("KEDAI MURAH S / B") == 1.0
    assert company_evidence("BUS/BAR") == 0.0


def test_name_with_misread_sb_and_registration_number(engine, lines_doc):
    # "S/B" read as "5/8": with the registration number the line looked like a phone number
    f = _extract(
        engine,
        lines_doc,
        [
            ("12 QUICK MART 5/8 (765432-K)", (130, 60, 560, 90)),
            ("LOT 7, JALAN MERPATI 2,", (150, 94, 560, 120)),
            ("TAMAN CEMPAKA", (240, 124, 460, 150)),
            ('"52100 KEPONG, KUALA LUMPUR', (190, 154, 520, 180)),
            ("GST ID: 001234567890", (170, 186, 550, 210)),
            ("INVOICE NO: 1234/56", (160, 214, 580, 240)),
        ],
    )
    assert f["company"].value == "12 QUICK MART S/B"
    assert f["address"].value == "LOT 7, JALAN MERPATI 2, TAMAN CEMPAKA 52100 KEPONG, KUALA LUMPUR"


def test_house_number_line_opens_the_address(engine, lines_doc):
    f = _extract(
        engine,
        lines_doc,
        [
            ("KEDAI BESI MAJU SDN BHD", (190, 60, 690, 100)),
            ("(123456-A)", (340, 104, 550, 140)),
            ("NO 7, 8&9,", (300, 144, 580, 180)),
            ("JALAN PERDAGANGAN 4,", (80, 184, 800, 220)),
            ("PUSAT PERDAGANGAN SRI,", (150, 224, 730, 260)),
            ("TEL: 03-1234 5678", (220, 266, 600, 300)),
        ],
    )
    assert f["address"].value == "NO 7, 8&9, JALAN PERDAGANGAN 4, PUSAT PERDAGANGAN SRI,"


def test_name_repeated_with_branch_is_not_the_address(engine, lines_doc):
    f = _extract(
        engine,
        lines_doc,
        [
            ("BLUE KETTLE TEA CO.", (200, 60, 440, 96)),
            ("BLUE KETTLE TEA CO. RIVERSIDE MALL", (80, 100, 540, 126)),
            ("G-12, Ground Floor, Riverside Mall,", (90, 128, 530, 154)),
            ("Jalan Sungai 3, 50450 Kuala Lumpur.", (90, 156, 540, 182)),
            ("GST No. 001234567890", (200, 196, 440, 220)),
            ("Tax Invoice", (240, 230, 380, 256)),
        ],
    )
    assert f["company"].value == "BLUE KETTLE TEA CO."
    assert f["address"].value == "G-12, Ground Floor, Riverside Mall, Jalan Sungai 3, 50450 Kuala Lumpur."


def test_specks_beside_an_address_line_are_dropped(engine, lines_doc):
    f = _extract(
        engine,
        lines_doc,
        [
            ("SINAR ROTI BAKERIES SDN BHD (123456 X)", (36, 68, 590, 98)),
            ("ty,", (133, 100, 170, 118)),
            ("Lot 3, Jalan Pelita 2/1,", (172, 100, 450, 121)),
            ("40300 Shah Alam, Selangor.", (163, 124, 461, 145)),
            ("Tel:03-5542 3228", (126, 148, 506, 170)),
        ],
    )
    assert f["address"].value == "Lot 3, Jalan Pelita 2/1, 40300 Shah Alam, Selangor."
