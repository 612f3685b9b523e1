"""The built-in engine on real receipts: SROIE dev transcripts (box/*.csv, no OCR), receipts 0-9."""

from __future__ import annotations

import json
import re

import pytest
from chatocr_testkit import SROIE_DIR
from kiegen import document_from_lines

from chatocr.agent.builtin import BuiltinEngine
from chatocr.agent.builtin.validators import parse_money

FIELDS = ("company", "date", "address", "total")


def _doc(path):
    lines = []
    for row in path.read_text(encoding="utf-8").splitlines():
        parts = row.split(",", 8)
        if len(parts) == 9 and parts[8].strip():
            xs, ys = [float(v) for v in parts[0:8:2]], [float(v) for v in parts[1:8:2]]
            lines.append((parts[8].strip(), (min(xs), min(ys), max(xs), max(ys)), 1.0))
    lines.sort(key=lambda x: (x[1][1], x[1][0]))
    return document_from_lines(lines, max(b[2] for _, b, _ in lines), max(b[3] for _, b, _ in lines))


def _same(field, pred, truth):
    if pred is None:
        return False
    if field == "total":
        return parse_money(pred) == parse_money(truth)
    return re.sub(r"\s+", "", pred).upper() == re.sub(r"\s+", "", truth).upper()


@pytest.fixture(scope="module")
def receipts():
    if not (SROIE_DIR / "box").is_dir():
        pytest.skip(f"SROIE dev data not found at {SROIE_DIR}")
    ids = sorted(p.stem for p in (SROIE_DIR / "key").glob("*.json"))[:10]
    return [(i, _doc(SROIE_DIR / "box" / f"{i}.csv"), json.loads((SROIE_DIR / "key" / f"{i}.json").read_text()))
            for i in ids]


def test_receipt_fields_from_transcripts(receipts):
    engine = BuiltinEngine()
    ok = {f: 0 for f in FIELDS}
    for i, doc, truth in receipts:
        got = engine.extract(doc, list(FIELDS))
        for f in FIELDS:
            ok[f] += _same(f, got[f].value, truth[f])
            if got[f].value is not None:
                assert got[f].bbox is not None and got[f].page == 1 and got[f].source, (i, f)
    # one transcript misspells the name ("D.T.Y."; "SDN BND" is repaired as a legal form), one label
    # misspells an address ("PARINDUSTRIAN"), one counts a branch name after the postcode as address
    assert ok == {"company": 9, "date": 10, "address": 8, "total": 10}


def test_what_a_receipt_says_besides_its_total(receipt, lines_doc):
    """Cash handed over, change, subtotal, the tax rate, the time; a discount of 0.00 is no discount."""
    from chatocr.agent.builtin import BuiltinEngine

    engine = BuiltinEngine()
    want = {"How much cash was paid?": "50.00", "What is the change?": "27.60", "What is the subtotal?": "21.20",
            "What is the GST rate?": "6%", "What is the total?": "22.40", "What time was the receipt printed?": None}
    for q, value in want.items():
        assert engine.answer(receipt, q).text == value, q
    other = lines_doc([("TAX INVOICE", (200, 20, 330, 38)), ("DATE: 13/03/2018", (40, 50, 200, 68)),
                       ("TIME: 12:49:00", (300, 50, 440, 68)), ("6.00%", (40, 80, 100, 98)), ("GST", (120, 80, 160, 98)),
                       ("4.87", (300, 80, 340, 98)), ("DISCOUNT :", (40, 110, 140, 128)), ("0.00", (300, 110, 340, 128)),
                       ("TOTAL :", (40, 140, 120, 158)), ("86.00", (300, 140, 350, 158))])
    assert engine.answer(other, "What time was the receipt printed?").text == "12:49:00"
    assert engine.answer(other, "What is the GST rate?").text == "6.00%"
    assert engine.answer(other, "Was there a discount?").text == "No"
    assert engine.answer(receipt, "Was there a discount?").text is None  # not said at all


@pytest.mark.parametrize("rid, items", [("030", "2"), ("044", "3"), ("048", "2"), ("116", "3"), ("284", "1"), ("029", "1"),
                                        ("131", "3"), ("038", "3"), ("273", "1")])
def test_how_many_items_on_a_receipt(receipts, rid, items):
    """"How many items?" on real receipts (counted by hand from their transcripts): the item rows with
    figures under the items' header, an item's name on a line of its own no row of its own, nor the
    cash and change under "Payment Mode", the GST summary, the rounding."""
    doc = _doc(SROIE_DIR / "box" / f"{rid}.csv")
    got = BuiltinEngine().answer(doc, "How many items?")
    assert got.text == items and len(got.evidence) == int(items)
