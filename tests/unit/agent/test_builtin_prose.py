"""Values written in sentences (contracts): passages over wrapped lines, the families' phrases, evidence."""

from __future__ import annotations

import re

import pytest
from kiegen import agreement, document_from_lines, document_from_pdf

from chatocr.agent.builtin import BuiltinEngine
from chatocr.agent.builtin.layout import View
from chatocr.agent.builtin.prose import passages
from chatocr.agent.builtin.qa import question_key
from chatocr.agent.builtin.validators import parse_date
from chatocr.geometry import iou


@pytest.fixture(scope="module")
def builtin():
    return BuiltinEngine()


def _canon(kind: str, value: str | None):
    if value is None:
        return None
    if kind == "date":
        return parse_date(value)
    if kind == "parties":
        return frozenset(p.strip(" .").upper() for p in value.split(";"))
    return re.sub(r"\s+", " ", value).strip(" .,;:").upper()


def _assert_fields(builtin, doc, truth) -> None:
    """Every field of ``truth`` extracted as written (None where absent), boxed on its value."""
    got = builtin.extract(doc, list(truth.fields))
    for key, f in truth.fields.items():
        assert _canon(f.kind, got[key].value) == _canon(f.kind, f.value), key
        if f.value is not None:
            assert got[key].page == 1 and iou(got[key].bbox, f.bbox) >= 0.3, key


def _doc(rows: list[str], *, x: float = 60, line_h: float = 14, gap: float = 4, y: float = 80, char_w: float = 6):
    """One block per line, as OCR lines come: each row under the one before, left-aligned."""
    lines = []
    for text in rows:
        if text:
            lines.append((text, (x, y, x + char_w * len(text), y + line_h)))
            y += line_h + gap
        else:
            y += 3 * line_h  # a blank line: the next paragraph
    return document_from_lines([(t, b, 1.0) for t, b in lines], 600, 842)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("seed", range(6))
def test_generated_agreements(builtin, seed, lang):
    """Every field of a contract written in paragraphs (some clauses left out: those keys None),
    and every question answered with evidence on the value's words, or None when it does not say."""
    data, truth = agreement(seed, lang)
    doc = document_from_pdf(data)
    _assert_fields(builtin, doc, truth)
    for q, key in truth.questions:
        ans = builtin.answer(doc, q)
        if key is None:
            assert ans.text is None, q
            continue
        f = truth.fields[key]
        assert _canon(f.kind, ans.text) == _canon(f.kind, f.value), q
        assert ans.evidence and ans.evidence[0].page == 1 and iou(ans.evidence[0].bbox, f.bbox) >= 0.3, q


def test_sentence_over_wrapped_lines(builtin):
    """Parties, dates and terms whose sentences run over lines that were read as blocks of one line."""
    doc = _doc([
        'This Service Agreement (the "Agreement") is made on 3 March 2025 between',
        "Northwind Logistics Ltd., a company registered in England (the",
        '"Client"), and Bluefin Data Services GmbH, Berlin (the "Provider").',
        "",
        "1. Term. This Agreement starts on 1 April 2025 and shall remain in force un-",
        "til 31 March 2027, unless terminated earlier under clause 6.",
        "",
        "2. Payment. The Client shall pay each invoice within thirty (30) days",
        "after its receipt.",
        "",
        "3. This Agreement shall be governed by and construed in accordance with the",
        "laws of the State of New York, without regard to its conflict of laws rules.",
        "",
        "6. Either party may terminate this Agreement by giving not less than",
        "ninety (90) days' prior written notice.",
    ])
    answers = {q: builtin.answer(doc, q) for q in (
        "Who are the parties?", "When was the agreement signed?", "When does it start?", "When does it end?",
        "When is payment due?", "Which law governs the agreement?", "What is the notice period?",
        "How much notice is needed to terminate?")}
    assert answers["Who are the parties?"].text == "Northwind Logistics Ltd.; Bluefin Data Services GmbH"
    assert answers["When was the agreement signed?"].text == "3 March 2025"
    assert answers["When does it start?"].text == "1 April 2025"
    assert answers["When does it end?"].text == "31 March 2027"  # "un-" + "til": one word again
    assert answers["When is payment due?"].text == "within thirty (30) days after its receipt"
    assert answers["Which law governs the agreement?"].text == "State of New York"
    assert answers["What is the notice period?"].text == "ninety (90) days"
    assert answers["How much notice is needed to terminate?"].text == "ninety (90) days"
    # the parties' evidence runs from the first name on line 2 to the second on line 3
    (ev,) = answers["Who are the parties?"].evidence
    assert ev.bbox[1] == pytest.approx(98) and ev.bbox[3] == pytest.approx(130)
    # a value over a line break: the words of both lines
    (ev,) = answers["When is payment due?"].evidence
    first, second = (next(ln.bbox for ln in doc.pages[0].lines() if ln.text.startswith(s)) for s in ("2. Payment", "after"))
    assert ev.bbox[1] == first[1] and ev.bbox[3] == second[3]


def test_passages_join_only_a_paragraph(builtin):
    doc = _doc(["This Agreement starts on 1 April 2025 and ends on", "31 March 2027.", "", "Signed: J. Porter"])
    texts = [p.text for p in passages(View(doc))]
    assert texts == ["This Agreement starts on 1 April 2025 and ends on 31 March 2027.", "Signed: J. Porter"]
    # a line further right is another column, not the next line of the paragraph
    lines = [("Total amount due on", (60, 80, 180, 94), 1.0), ("31 March 2027", (400, 98, 480, 112), 1.0)]
    assert [p.text for p in passages(View(document_from_lines(lines, 600, 842)))] == [
        "Total amount due on", "31 March 2027"]
    # Chinese lines join without a space
    doc = _doc(["本合同期限自2025年1月1日起至2026年", "12月31日止。"])
    assert [p.text for p in passages(View(doc))] == ["本合同期限自2025年1月1日起至2026年12月31日止。"]
    ans = builtin.answer(doc, "合同什么时候终止？")
    assert ans.text == "2026年12月31日" and ans.evidence[0].bbox[1] < 90 < 100 < ans.evidence[0].bbox[3]


def test_nothing_is_computed_or_guessed(builtin):
    """A start and a term give no end date; numbers that are not parties are not parties."""
    doc = _doc([
        "This Agreement becomes effective on 1 April 2025 and continues for a period of",
        "twenty-four (24) months.",
        "",
        "Deliveries are accepted between 9 and 5 on working days.",
    ])
    assert builtin.answer(doc, "When does it start?").text == "1 April 2025"
    assert builtin.answer(doc, "How long is the contract?").text == "twenty-four (24) months"
    assert builtin.answer(doc, "When does it end?").text is None
    assert builtin.answer(doc, "Who are the parties?").text is None
    assert builtin.answer(doc, "When is payment due?").text is None
    assert builtin.answer(doc, "What is the notice period?").text is None
    assert builtin.answer(doc, "Which law governs the agreement?").text is None


def test_chinese_clauses(builtin):
    doc = _doc([
        "本合同由华星科技有限公司（以下简称“甲方”）与远航物流有限公司（以下简称“乙方”）于2025年3月3日签订。",
        "",
        "一、本合同自2025年4月1日起生效，有效期为2年。",
        "",
        "二、甲方应在收到乙方发票后三十日内付款。",
        "",
        "三、本合同适用中华人民共和国法律。",
        "",
        "四、任何一方提前30日书面通知对方，可解除本合同。",
    ], char_w=11)
    assert builtin.answer(doc, "合同双方是谁？").text == "华星科技有限公司; 远航物流有限公司"
    assert builtin.answer(doc, "合同什么时候签订？").text == "2025年3月3日"
    assert builtin.answer(doc, "合同什么时候生效？").text == "2025年4月1日"
    assert builtin.answer(doc, "合同期限是多久？").text == "2年"
    assert builtin.answer(doc, "合同什么时候终止？").text is None
    assert builtin.answer(doc, "付款期限是什么时候？").text == "收到乙方发票后三十日内"
    assert builtin.answer(doc, "本合同适用哪国法律？").text == "中华人民共和国法律"
    assert builtin.answer(doc, "提前多久通知可以解除合同？").text == "30日"


@pytest.mark.parametrize(
    ("question", "family", "vtype"),
    [
        ("Which law governs the agreement?", "governing law", "text"),
        ("What is the governing law?", "governing law", "text"),
        ("What is the notice period?", "notice period", "duration"),
        ("How much notice is needed to terminate?", "notice period", "duration"),
        ("When was the agreement signed?", "date", "date"),
        ("合同什么时候签订？", "date", "date"),
    ],
)
def test_contract_questions_to_keys(question, family, vtype):
    spec, _ = question_key(question)
    assert spec is not None and spec.family == family and spec.vtype == vtype


@pytest.mark.models
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_scanned_agreement(builtin, lang):
    """A contract printed, scanned at 150 dpi and parsed (OCR, layout regions, words)."""
    from docgen import scanned_pdf

    from chatocr.structure import DocumentParser

    data, truth = agreement(1, lang)
    _assert_fields(builtin, DocumentParser().parse(scanned_pdf(data, dpi=150)), truth)


def test_a_party_by_the_term_the_contract_calls_it(builtin):
    """'Who is the Provider?': the party defined as '(the "Provider")'; the quoted term at the start of
    a line is not a label whose value is the line below."""
    doc = _doc([
        "This Service Agreement is made between Northwind Logistics Ltd., a company",
        'registered in England (the "Client"), and Bluefin Data Services GmbH (the',
        '"Provider"). 1. Term. This Agreement starts on 1 April 2025 and ends on',
        "31 March 2027, unless terminated earlier.",
    ])
    assert builtin.answer(doc, "Who is the provider?").text == "Bluefin Data Services GmbH"
    assert builtin.answer(doc, "Who is the supplier?").text == "Bluefin Data Services GmbH"
    assert builtin.answer(doc, "Who is the client?").text == "Northwind Logistics Ltd."
    assert builtin.answer(doc, "Who is the customer?").text == "Northwind Logistics Ltd."
    assert builtin.answer(doc, "Who is the landlord?").text is None
    got = builtin.extract(doc, ["provider"])["provider"]
    assert got.bbox[1] == 98 and got.bbox[0] > 60 + 6 * len("registered in England")
    # a label whose value carries a defined term is still a label
    form = _doc(['Seller: ACME Trading Ltd (the "Company")', "Total: 12.00"])
    assert builtin.extract(form, ["seller"])["seller"].value.startswith("ACME Trading Ltd")
    zh = _doc(["本合同由华星科技有限公司（以下简称“甲方”）与远航物流有限公司（以下简称“乙方”）于2025年3月3日签订。"], char_w=11)
    assert builtin.answer(zh, "甲方是谁？").text == "华星科技有限公司"
    assert builtin.answer(zh, "乙方是谁？").text == "远航物流有限公司"


@pytest.mark.parametrize(
    ("rows", "question", "answer"),
    [
        (["Please pay the amount of EUR 1,250.00 by 15 May 2025 to the account below."], "When is payment due?",
         "15 May 2025"),
        (["Please pay the amount of EUR 1,250.00 by 15 May 2025 to the account below."], "How much is due?",
         "EUR 1,250.00"),
        (["The Client shall pay the Provider a monthly fee of EUR 900.00."], "What is the total?", None),
        (["The lease commences on 1 June 2024 and expires on 31 May 2026."], "When does the lease end?", "31 May 2026"),
        (["The lease commences on 1 June 2024 and expires on 31 May 2026."], "When does the lease start?",
         "1 June 2024"),
        (["This offer is valid until 30 September 2025."], "When does the offer expire?", "30 September 2025"),
        (["Invoices are payable within fourteen (14) days of receipt."], "What are the payment terms?",
         "within fourteen (14) days of receipt"),
        (["This Agreement will continue until terminated by either party."], "When does it end?", None),
        (["Orders placed between Monday and Friday ship the same day."], "Who are the parties?", None),
        (["The parties submit to the exclusive jurisdiction of the courts of England and Wales."],
         "Which courts have jurisdiction?", "courts of England and Wales"),
        (["The courts of Singapore shall have exclusive jurisdiction over any dispute."], "What is the jurisdiction?",
         "courts of Singapore"),
        (["因本合同引起的争议，提交甲方所在地人民法院诉讼解决。"], "合同争议由哪个法院管辖？", "甲方所在地人民法院"),
        (["The Client pays each invoice within 30 days. Late payments accrue interest at 4% a year."],
         "What is the interest on late payments?", "4%"),
        (["The Client pays each invoice within 30 days. Late payments accrue interest at 4% a year."],
         "When is payment due?", "within 30 days"),
        (["Interest of 1.5% per month is charged on overdue invoices."], "What is the late payment interest?", "1.5%"),
        (["A discount of 2% applies to orders over 100 units."], "What is the interest on late payments?", None),
        (["The Client shall pay the amount of EUR 1,250.00 within 14 days of receipt."], "When is payment due?",
         "within 14 days of receipt"),
        (["Total: 12.00", "Thank you for shopping with us"], "Which courts have jurisdiction?", None),
    ],
)
def test_letters_leases_and_offers(builtin, rows, question, answer):
    assert builtin.answer(_doc(rows), question).text == answer


def _two_pages(first: list[str], second: list[str], *, zh: bool = False) -> bytes:
    """A two-page PDF: each page's paragraphs (lines as given, one under the other), and a page
    number at its foot."""
    import pymupdf

    doc = pymupdf.open()
    font = "china-s" if zh else "helv"
    for k, rows in enumerate((first, second)):
        page = doc.new_page(width=595, height=842)
        y = 70.0
        for text in rows:
            if text:
                page.insert_text((60, y), text, fontname=font, fontsize=11)
            y += 15 if text else 22
        page.insert_text((280, 810), f"Page {k + 1} of 2" if not zh else f"第 {k + 1} 页", fontname=font, fontsize=9)
    data = doc.tobytes()
    doc.close()
    return data


_FIRST = [
    'This Consulting Agreement is made on 3 March 2025 between Northwind Trading Ltd, a company',
    'registered in England (the "Company"), and Blue Harbour Consulting LLP (the "Consultant").',
    "",
    "1. Term. This Agreement commences on 1 April 2025 and continues for an initial term of",
    "twelve (12) months.",
    "",
    "2. Law. This Agreement and any dispute arising out of it shall be governed by and construed",
    "in accordance with the laws",
]
_SECOND = [
    "of England and Wales, and the parties submit to the exclusive jurisdiction of the courts of",
    "London.",
    "",
    "3. Notices. Either party may terminate this Agreement by giving the other party not less than",
]


@pytest.mark.parametrize("parsed", [False, True], ids=["text layer", "parsed"])
def test_a_sentence_over_a_page_break(builtin, parsed):
    """A clause cut by a page break (a page number at the foot between its halves) is one sentence
    again: its value is found, with the page and box of its words on the page that shows them."""
    from chatocr.structure import DocumentParser

    data = _two_pages(_FIRST, _SECOND + ["sixty (60) days' written notice."])
    doc = DocumentParser().parse(data) if parsed else document_from_pdf(data)
    got = builtin.extract(doc, ["governing law", "jurisdiction", "notice period", "parties"])
    assert got["governing law"].value == "England and Wales"
    assert got["jurisdiction"].value == "courts of London"
    assert got["notice period"].value == "sixty (60) days"
    for key in ("governing law", "jurisdiction", "notice period"):
        f = got[key]
        assert f.page == 2, key
        words = [w for b in doc.pages[1].blocks for ln in b.lines for w in ln.words]
        first = next(w for w in words if w.text == f.value.split()[0].strip("()"))
        x0, y0, x1, y1 = first.bbox  # the value's box holds its first word, on the value's one or two rows
        assert f.bbox[0] <= x0 + 1 and abs(f.bbox[1] - y0) < 1 and f.bbox[2] >= x1 - 1 and f.bbox[3] - y1 < 20, key
    ans = builtin.answer(doc, "Which law governs the agreement?")
    assert ans.text == "England and Wales" and ans.evidence[0].page == 2


def test_a_page_break_between_sentences_joins_nothing(builtin):
    """A page that ends a sentence, or a next page that starts a numbered clause or a title, is not
    run on: 'governed by the laws of' with nothing after it on its page stays without a value."""
    first = _FIRST[:-1] + ["in accordance with the laws of the place where the services are performed."]
    for second in (["of England and Wales apply to the services."], ["4. England and Wales. The parties agree."]):
        doc = document_from_pdf(_two_pages(first[:-1] + ["in accordance with the laws of"], second))
        assert len([p for p in passages(View(doc)) if "England" in p.text and "laws of" in p.text]) == (
            1 if second[0].startswith("of") else 0)
    doc = document_from_pdf(_two_pages(first, ["of England and Wales apply to the services."]))
    assert not [p for p in passages(View(doc)) if "England" in p.text and "laws" in p.text]


def test_a_chinese_clause_over_a_page_break(builtin):
    """Chinese runs on over a page break as over a line break (no space), a numbered clause does not."""
    first = ["本合同由北京星辰科技有限公司（以下简称“甲方”）与上海远航贸易有限公司",
             "（以下简称“乙方”）于2025年3月1日签订。", "", "二、付款方式。甲方应在收到乙方发票后"]
    data = _two_pages(first, ["30日内付款，付款方式为银行转账。", "", "三、法律适用。本合同适用中华人民共和国法律。"], zh=True)
    doc = document_from_pdf(data)
    got = builtin.extract(doc, ["due date", "governing law"])
    assert got["due date"].value == "收到乙方发票后30日内" and got["due date"].page == 1
    assert got["governing law"].value == "中华人民共和国法律" and got["governing law"].page == 2
    texts = [p.text for p in passages(View(doc))]
    assert any("发票后30日内付款" in t for t in texts)
    assert not any("转账。三、" in t for t in texts)


def test_a_party_after_its_label_without_what_is_said_of_it(builtin):
    """'Buyer: Zenith Foods GmbH ("Buyer")': the label is a label although its term is quoted after the
    name; the value is the name alone, boxed on it, without its defined term or its description
    (a parenthesis that is part of a name stays)."""
    doc = _doc([
        'Seller: ACME Trading Ltd (the "Company")',
        'Buyer: Zenith Foods GmbH ("Buyer")',
        'Landlord: Mr John Smith (hereinafter the "Landlord")',
        "Tenant: Jane Doe, residing at 4 High Street, Leeds",
        "Agent: KEDAI MAJU (M) SDN BHD, a company incorporated in Malaysia",
        "Guarantor: Blue Harbour LLP",
    ])
    want = {"seller": "ACME Trading Ltd", "buyer": "Zenith Foods GmbH", "landlord": "Mr John Smith",
            "tenant": "Jane Doe", "agent": "KEDAI MAJU (M) SDN BHD", "guarantor": "Blue Harbour LLP"}
    got = builtin.extract(doc, list(want))
    for row, (key, value) in enumerate(want.items()):
        assert got[key].value == value, key
        x0 = 60 + 6 * len(key) + 12  # "Key: " then the value, 6 units a character
        assert got[key].bbox == (x0, 80 + 18 * row, x0 + 6 * len(value), 94 + 18 * row), key
    assert builtin.answer(doc, "Who is the tenant?").text == "Jane Doe"
    assert builtin.answer(doc, "Who is the landlord?").text == "Mr John Smith"


def _story_pdf(html: str) -> bytes:
    """A PDF laid out from HTML as a word processor would (paragraphs, headings, page breaks)."""
    import io

    import pymupdf

    buf = io.BytesIO()
    story = pymupdf.Story(html=html)
    writer = pymupdf.DocumentWriter(buf)
    more = 1
    while more:
        dev = writer.begin_page(pymupdf.paper_rect("a4"))
        more, _ = story.place(pymupdf.paper_rect("a4") + (72, 72, -72, -72))
        story.draw(dev)
        writer.end_page()
    writer.close()
    return buf.getvalue()


_LEASE = """
<h2>COMMERCIAL LEASE</h2>
<p>This Lease is made on 2 May 2024 (the "Signing Date") by and between Harbourside Estates Limited, a company
organised under the laws of Scotland and Northern Ireland, having its registered office at 5 Quay Road, Belfast
(hereinafter referred to as the "Landlord"), and Maple &amp; Finch Bakery Ltd, with its principal office at
9 Mill Lane, Derry (hereinafter referred to as the "Tenant").</p>
<h3>1. Premises</h3>
<p>1.1 The Landlord lets to the Tenant the ground floor of 12 High Street, Belfast (the "Premises").</p>
<h3>2. Term</h3>
<p>2.1 The lease term begins on 1 June 2024 (the "Commencement Date") and runs for a fixed term of five (5) years.</p>
<p>2.2 The Tenant shall pay the first instalment of rent on the Commencement Date.</p>
<h3>3. Rent</h3>
<p>3.1 Rent is payable by the Tenant quarterly in advance. The Tenant is responsible for business rates.</p>
<p>3.2 Tenant shall pay the Landlord interest on any rent that is overdue at the rate of 6% per annum.</p>
"""


def test_paragraphs_of_a_laid_out_contract(builtin):
    """A contract laid out in paragraphs and headings and parsed: each paragraph is a passage of its
    own; the parties whose descriptions say "and" ("Scotland and Northern Ireland"); dates given by a
    defined term ("on the Commencement Date"); and sentences that begin with a party's term are not
    labels ("Tenant shall pay …")."""
    from chatocr.structure import DocumentParser

    doc = DocumentParser().parse(_story_pdf(_LEASE))
    texts = [p.text for p in passages(View(doc))]
    assert "2.1 The lease term begins on 1 June 2024" in texts[texts.index("2. Term") + 1]
    assert not any("Premises\") . 2." in t or "years. 2.2" in t for t in texts)
    got = builtin.extract(doc, ["parties", "landlord", "tenant", "start date", "term", "commencement date",
                                "late payment interest", "due date"])
    assert got["parties"].value == "Harbourside Estates Limited; Maple & Finch Bakery Ltd"
    assert got["landlord"].value == "Harbourside Estates Limited"
    assert got["tenant"].value == "Maple & Finch Bakery Ltd"
    assert got["start date"].value == got["commencement date"].value == "1 June 2024"
    assert got["term"].value == "five (5) years"
    assert got["late payment interest"].value == "6%"
    # "pay … on the Commencement Date": the date the term stands for, with its definition's evidence
    assert got["due date"].value == "1 June 2024"
    words = [w for b in doc.pages[0].blocks for ln in b.lines for w in ln.words]
    june = [w for w in words if w.text == "June"]
    assert len(june) == 1 and iou(got["due date"].bbox, june[0].bbox) > 0.2
    assert builtin.answer(doc, "Who is the tenant?").text == "Maple & Finch Bakery Ltd"
    assert builtin.answer(doc, "When does the lease start?").text == "1 June 2024"


def test_whose_field_a_question_asks_for(builtin):
    """'What is the customer's email?': the field of the party the contract calls so, from its
    description or from where the contract sends it something; a party it does not give one for
    has None."""
    doc = _doc([
        'This Supply Agreement is made between Kestrel Tools Ltd, with registered number 04417789, having',
        'its principal place of business at 3 Forge Lane, Sheffield S1 2AB (the "Seller"), and Juniper',
        'Hardware GmbH, whose registered office is at Hafenstrasse 12, 20457 Hamburg (the "Buyer").',
        "",
        "9. Notices. Notices to the Seller shall be sent to the Seller at orders@kestrel-tools.example and",
        "notices to the Buyer shall be sent to the Buyer at einkauf@juniper.example.",
    ])
    asked = {
        "What is the buyer's address?": "Hafenstrasse 12, 20457 Hamburg",
        "What is the seller's address?": "3 Forge Lane, Sheffield S1 2AB",
        "What is the buyer's email?": "einkauf@juniper.example",
        "What is the seller's email address?": "orders@kestrel-tools.example",
        "What is the seller's registered number?": "04417789",
        "What is the buyer's registered number?": None,
        "What is the supplier's address?": "3 Forge Lane, Sheffield S1 2AB",  # the seller, by another word
    }
    for q, want in asked.items():
        ans = builtin.answer(doc, q)
        assert ans.text == want, q
        if want is not None:
            assert ans.evidence and ans.evidence[0].page == 1, q
    assert question_key("What is the customer's email?")[0].family == "email"
    assert question_key("Who is the customer?")[0].family == "buyer"


def test_who_signed_for_a_party(builtin):
    """'Who signed for the customer?': the person who signed on behalf of the party the contract calls
    so, in a sentence or in a signature block; a contract that names no one has None."""
    doc = _doc([
        'This Services Agreement is made between Alder Robotics Ltd (the "Provider") and Vantage Foods plc',
        '(the "Customer").',
        "",
        "Signed by Priya Raman, Managing Director, for Alder Robotics Ltd on 4 June 2025.",
        "",
        "For and on behalf of Vantage Foods plc:",
        "Name: Tomas Lindqvist",
        "Title: Head of Procurement",
    ])
    assert builtin.answer(doc, "Who signed for the customer?").text == "Tomas Lindqvist"
    assert builtin.answer(doc, "Who signed on behalf of the provider?").text == "Priya Raman"
    assert builtin.answer(doc, "Who signed for the supplier?").text == "Priya Raman"  # the provider, by another word
    ans = builtin.answer(doc, "Who signed for Vantage Foods plc?")
    assert ans.text == "Tomas Lindqvist" and ans.evidence[0].bbox[0] == 60 + 6 * len("Name: ")
    unsigned = _doc(['This Services Agreement is made between Alder Robotics Ltd (the "Provider") and Vantage Foods plc',
                     '(the "Customer").'])
    assert builtin.answer(unsigned, "Who signed for the customer?").text is None


def test_a_field_no_family_knows_from_its_sentence(builtin):
    """'How long does confidentiality last?': the sentence that says the question's words (by their stem:
    'confidential') gives the value of the asked type; a question whose words no sentence says has None."""
    doc = _doc([
        "7. Confidentiality. The Recipient shall hold all Confidential Information in strict confidence for",
        "three (3) years after disclosure.",
        "",
        "8. Warranty. The Supplier warrants the goods against defects in materials for 18 months from delivery.",
    ])
    ans = builtin.answer(doc, "How long does confidentiality last?")
    assert ans.text == "three (3) years" and ans.evidence[0].bbox[1] == 98  # on the second line
    assert builtin.answer(doc, "How long is the warranty?").text == "18 months"
    assert builtin.answer(doc, "How long is the exclusivity period?").text is None
    assert builtin.answer(doc, "How long does the non-compete last?").text is None


def test_a_field_word_that_ends_a_sentence_is_no_label(builtin):
    """'term.' at the end of a wrapped paragraph, or 'during the term of …' starting a line, is the
    sentence going on: the duration on the line below is not the term's value."""
    doc = _doc([
        "8. Renewal. This Agreement renews for successive periods of 2 years unless either party objects before the end of the",
        "term.",
        "9. Liability. Liability is limited to the fees paid in the twelve (12) months preceding the claim.",
        "10. Confidentiality. The parties keep information confidential",
        "during the term of this Agreement and 3 years after it.",
    ])
    assert builtin.extract(doc, ["term"])["term"].value is None
    assert builtin.extract(doc, ["renewal term"])["renewal term"].value == "2 years"


def test_the_buyers_field_is_not_the_issuers(builtin):
    """'What is the buyer's address?' on an invoice: the address a label gives for the buyer, never the
    letterhead's (the issuer's); a buyer's phone or tax ID that the invoice does not give is None."""
    rows = ["ACME Supplies Ltd", "12 Dock Road, Leeds LS1 4AB", "Tel: 0113 496 0000", "VAT No: GB123456789", "",
            "Bill to:", "Zenith Foods GmbH"]
    plain, addressed = _doc(rows), _doc(rows + ["Customer address: Hafenstrasse 12, 20457 Hamburg"])
    for doc in (plain, addressed):
        assert builtin.answer(doc, "What is the seller's address?").text == "12 Dock Road, Leeds LS1 4AB"
        assert builtin.answer(doc, "What is the phone number?").text == "0113 496 0000"
        assert builtin.answer(doc, "What is the buyer's phone number?").text is None
        assert builtin.answer(doc, "What is the customer's VAT number?").text is None
        assert builtin.answer(doc, "What is the seller's VAT number?").text == "GB123456789"
    assert builtin.answer(plain, "What is the buyer's address?").text is None
    assert builtin.answer(addressed, "What is the buyer's address?").text == "Hafenstrasse 12, 20457 Hamburg"
    assert builtin.answer(addressed, "What is the billing address?").text == "Hafenstrasse 12, 20457 Hamburg"


_TENANCY = """<h2>RESIDENTIAL TENANCY AGREEMENT</h2>
<p>This Tenancy Agreement is made on 1 September 2026 between Margaret Ellis of 14 Orchard Close, York YO10 3JD
(the "Landlord") and Daniel Okafor (the "Tenant").</p>
<p><b>1. Property.</b> The Landlord lets to the Tenant the flat at Flat 2, 58 Bootham Terrace, York YO30 7BZ
(the "Property").</p>
<p><b>2. Rent.</b> The rent is £950.00 per calendar month, payable in advance by standing order.</p>
<p><b>3. Pets.</b> The Tenant shall not keep any pets at the Property without the Landlord's written consent.</p>
<p><b>4. Utilities.</b> The Tenant is responsible for electricity, gas, water and council tax.</p>"""


def test_a_tenancy_between_people(builtin):
    """Parties who are people, one with her address after "of" and no comma; the property's address by
    its definition; no address read from the parties' sentence."""
    from chatocr.structure import DocumentParser

    doc = DocumentParser().parse(_story_pdf(_TENANCY))
    want = {
        "Who is the landlord?": "Margaret Ellis", "Who are the parties?": "Margaret Ellis; Daniel Okafor",
        "What is the landlord's address?": "14 Orchard Close, York YO10 3JD",
        "What is the address of the property?": "Flat 2, 58 Bootham Terrace, York YO30 7BZ",
        "Where is the property?": "Flat 2, 58 Bootham Terrace, York YO30 7BZ",
        "What is the tenant's address?": None, "What is the monthly rent?": "£950.00",
        "Can the tenant keep pets?": "No", "Is the tenant responsible for council tax?": "Yes",
    }
    for q, value in want.items():
        assert builtin.answer(doc, q).text == value, q
