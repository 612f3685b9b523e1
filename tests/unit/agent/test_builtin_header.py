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


_LETTERHEAD = ["Acme Widgets Ltd", "12 Harbour Road, Bristol BS1 4QA · Tel: 0117 496 0123 · VAT No: GB 123 4567 89",
               "sales@acme.co.uk   www.acme.co.uk", "INVOICE", "Invoice No: 4471   Date: 12/03/2026", "Total: 1,250.00"]


def _rows(lines_doc, rows):
    return lines_doc([(t, (50, 50 + 20 * i, 50 + 6 * len(t), 64 + 20 * i)) for i, t in enumerate(rows)])


def test_fields_side_by_side_on_a_letterhead_line(engine, lines_doc):
    """A line of several fields ("… 4QA · Tel: … · VAT No: …", "Invoice No: 4471   Date: …"): each label
    after its separator is a label, and the address ends where they begin."""
    doc = _rows(lines_doc, _LETTERHEAD)
    got = engine.extract(doc, ["address", "phone", "tax id", "date", "invoice number"])
    assert {k: f.value for k, f in got.items()} == {
        "address": "12 Harbour Road, Bristol BS1 4QA", "phone": "0117 496 0123", "tax id": "GB 123 4567 89",
        "date": "12/03/2026", "invoice number": "4471"}


def test_the_issuers_email_and_website_without_labels(engine, lines_doc):
    doc = _rows(lines_doc, _LETTERHEAD)
    assert engine.answer(doc, "What is the email address?").text == "sales@acme.co.uk"
    assert engine.answer(doc, "What is the website?").text == "www.acme.co.uk"
    assert engine.answer(doc, "What is the web address?").text == "www.acme.co.uk"
    assert engine.answer(doc, "What is the customer's email?").text is None  # the letterhead's is the issuer's
    # two addresses low on the page, none in the letterhead: whose is not known
    doc = lines_doc([("Acme Widgets Ltd", (50, 50, 146, 64)), ("INVOICE", (50, 90, 92, 104)),
                     ("Contact a@one.example", (50, 600, 176, 614)), ("Contact b@two.example", (50, 620, 176, 634))])
    assert engine.extract(doc, ["email"])["email"].value is None
    doc = lines_doc([("Acme Widgets Ltd", (50, 50, 146, 64)), ("Contact a@one.example", (50, 600, 176, 614))])
    assert engine.extract(doc, ["email"])["email"].value == "a@one.example"  # the only one
