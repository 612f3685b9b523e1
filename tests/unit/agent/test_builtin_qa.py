"""Extractive QA of the built-in engine: question → key → value with evidence, or None."""

from __future__ import annotations

import pytest
from kiegen import contract, document_from_pdf, invoice

from chatocr.agent.builtin import BuiltinEngine
from chatocr.agent.builtin.qa import question_key
from chatocr.agent.results import Answer
from chatocr.geometry import iou


@pytest.fixture(scope="module")
def engine():
    return BuiltinEngine()


@pytest.mark.parametrize(
    ("question", "family"),
    [
        ("When is payment due?", "due date"),
        ("what is the total?", "total"),
        ("How much is due?", "total"),
        ("who are the parties?", "parties"),
        ("What is the invoice number?", "invoice number"),
        ("When was the invoice issued?", "date"),
        ("When does the contract end?", "end date"),
        ("How long is the contract?", "term"),
        ("What is the seller's tax ID?", "tax id"),
        ("What is the phone number?", "phone"),
        ("Where is the company located?", "address"),
        ("付款期限是什么时候？", "due date"),
        ("合同金额是多少？", "total"),
        ("甲方是谁？", "party a"),
        ("合同什么时候终止？", "end date"),
    ],
)
def test_question_to_key(question, family):
    spec, _ = question_key(question)
    assert spec is not None and spec.family == family


def test_unknown_modifier_makes_its_own_key():
    spec, qt = question_key("What is the delivery date?")
    assert spec.family == "delivery date"
    spec, qt = question_key("What is the warranty period?")
    assert spec.family == "custom" and qt is None


def test_answers_with_evidence(engine, receipt):
    a = engine.answer(receipt, "What is the total?")
    assert isinstance(a, Answer)
    assert a.text == "22.40" and a.confidence > 0.5
    assert a.evidence and a.evidence[0].page == 1 and a.evidence[0].bbox == (475.0, 440.0, 540.0, 462.0)
    assert engine.answer(receipt, "When was this receipt issued?").text == "25/12/2018"


@pytest.mark.parametrize("question", ["What is the IBAN?", "When is payment due?", "Who is the buyer?",
                                      "What is the delivery date?", "What is the warranty period?",
                                      "What is the PO number?", "Who signed the contract?"])
def test_unanswerable_gives_none(engine, receipt, question):
    a = engine.answer(receipt, question)
    assert a.text is None and a.evidence == () and a.confidence == 0.0


def test_sentence_answers(engine, lines_doc):
    doc = lines_doc([
        ("This Agreement is made between Acme Widgets Ltd and Blue Ocean Inc.", (50, 100, 500, 115)),
        ("Payment is due on 5 March 2024.", (50, 130, 300, 145)),
        ("Warranty period: 24 months", (50, 160, 300, 175)),
    ])
    assert engine.answer(doc, "who are the parties?").text == "Acme Widgets Ltd; Blue Ocean Inc."
    assert engine.answer(doc, "When is payment due?").text == "5 March 2024"
    assert engine.answer(doc, "What is the warranty period?").text == "24 months"
    assert engine.answer(doc, "What is the notice period?").text is None


@pytest.mark.parametrize("maker", [invoice, contract])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_generated_questions(engine, maker, lang):
    from chatocr.agent.builtin.validators import parse_date, parse_money

    data, truth = maker(700, lang)
    doc = document_from_pdf(data)
    for q, key in truth.questions:
        a = engine.answer(doc, q)
        if key is None:
            assert a.text is None, (q, a.text)
            continue
        f = truth.fields[key]
        assert a.text is not None, q
        if f.kind == "money":
            assert parse_money(a.text) == parse_money(f.value), q
        elif f.kind == "date":
            assert parse_date(a.text) == parse_date(f.value), q
        # the evidence is the value itself, also where its printed line holds the label too
        assert iou(a.evidence[0].bbox, f.value_bbox or f.bbox) >= 0.8, (q, a.evidence[0], f)


def test_embedder_finds_a_differently_worded_line(lines_doc):
    """With an embedder, a line that says the same in other words answers a typed question."""
    import numpy as np

    doc = lines_doc([("Settle the balance by 30/06/2024", (50, 100, 400, 115)), ("Thank you", (50, 130, 200, 145))])
    q = "When must the invoice be paid?"

    def embed(texts):
        return np.array([[1.0, 0.0] if t in (q, "Settle the balance by 30/06/2024") else [0.0, 1.0] for t in texts],
                        dtype=np.float32)

    assert BuiltinEngine().answer(doc, q).text is None
    a = BuiltinEngine(embedder=embed).answer(doc, q)
    # the date's part of its line (a line without words: cut by character count, 22 to 32 of 32)
    assert a.text == "30/06/2024" and a.evidence[0].bbox == (50 + 350 * 22 / 32, 100.0, 400.0, 115.0)


@pytest.mark.parametrize(("lang", "question", "value"), [
    ("en", "How many office chairs were ordered?", "3"),
    ("en", "What is the unit price of the consulting hours?", "233.00"),
    ("en", "What is the amount for the cleaning service?", "780.00"),
    ("en", "How much did the office chairs cost?", "521.97"),
    ("en", "What is the amount for the network cable?", None),  # not on this invoice: not its total either
    ("en", "What is the unit price of the laptop?", None),
    # 网线 on two rows of this invoice: each row's cell (before, the first alone)
    ("zh", "网线的数量是多少？", "9; 2"),
    ("zh", "网线的单价是多少？", "343.99; 349.25"),
    ("zh", "打印纸的单价是多少？", None),
])
def test_a_cell_of_the_item_table(engine, lang, question, value):
    """The item row the question names, under the column it asks for (by its header's words, or "how
    many" for the quantity, "how much" / "cost" for the amount), boxed on the cell."""
    data, _ = invoice(3, lang)
    doc = document_from_pdf(data)
    ans = engine.answer(doc, question)
    assert ans.text == value
    if value is not None:
        assert ans.method == "table" and value.split("; ")[0] in ans.evidence[0].text
        assert len(ans.evidence) == len(value.split("; "))
