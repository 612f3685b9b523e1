"""Address blocks under a label: the buyer's ("Bill To") and the delivery's ("Ship To"), as invoices and
delivery notes print them: the label, the name under it (or after it), then the address lines."""

from __future__ import annotations

import re

import numpy as np
import pytest
from kiegen import document_from_pdf

from chatocr.agent.builtin import BuiltinEngine
from chatocr.agent.builtin.heuristics import street_line
from chatocr.agent.builtin.qa import question_key
from chatocr.geometry import iou


@pytest.fixture(scope="module")
def builtin():
    return BuiltinEngine()


def _pdf(items) -> bytes:
    """A one-page PDF: ``(x, baseline y, text[, size])`` per line; returns the bytes and each line's box."""
    import pymupdf

    boxes = {}
    with pymupdf.open() as doc:
        page = doc.new_page(width=595, height=842)
        font = pymupdf.Font("helv")
        for x, y, text, *size in items:
            s = size[0] if size else 10
            page.insert_text((x, y), text, fontsize=s, fontname="helv")
            boxes[text] = (x, y - font.ascender * s, x + font.text_length(text, s), y - font.descender * s)
        return doc.tobytes(), boxes


def _union(boxes):
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _norm(s):
    return None if s is None else re.sub(r"\s+", " ", s).strip()


_SIDE_BY_SIDE = [
    (50, 60, "Bluebird Trading GmbH", 16), (50, 78, "Hauptstrasse 12, 10115 Berlin"),
    (400, 60, "INVOICE", 18), (400, 80, "Invoice #: 2026-0077"), (400, 94, "Invoice Date: 03/04/2026"),
    (50, 150, "BILL TO", 11), (50, 166, "Zenith Media Ltd"), (50, 180, "8 Queen Street"), (50, 194, "Edinburgh EH2 1JE"),
    (300, 150, "SHIP TO", 11), (300, 166, "Zenith Media Warehouse"), (300, 180, "Unit 5, Leith Docks"),
    (300, 194, "Edinburgh EH6 6QQ"),
    (50, 250, "Item"), (450, 250, "Amount"), (50, 270, "Printer paper"), (450, 270, "300.00"),
    (350, 320, "Total Due"), (450, 320, "EUR 300.00"),
]


def test_bill_to_and_ship_to_blocks_side_by_side(builtin):
    """The buyer's name and address under "BILL TO", the recipient and the delivery address under "SHIP TO"
    beside it; the "SHIP TO" label on the buyer's row is not the buyer's name; the letterhead stays the
    seller's address. Each value is boxed on its own lines."""
    data, boxes = _pdf(_SIDE_BY_SIDE)
    doc = document_from_pdf(data)
    want = {
        "buyer": ("Zenith Media Ltd", ["Zenith Media Ltd"]),
        "buyer address": ("8 Queen Street Edinburgh EH2 1JE", ["8 Queen Street", "Edinburgh EH2 1JE"]),
        "recipient": ("Zenith Media Warehouse", ["Zenith Media Warehouse"]),
        "shipping address": ("Unit 5, Leith Docks Edinburgh EH6 6QQ", ["Unit 5, Leith Docks", "Edinburgh EH6 6QQ"]),
        "address": ("Hauptstrasse 12, 10115 Berlin", ["Hauptstrasse 12, 10115 Berlin"]),
    }
    got = builtin.extract(doc, list(want))
    for key, (value, lines) in want.items():
        assert _norm(got[key].value) == value, key
        assert iou(got[key].bbox, _union([boxes[t] for t in lines])) >= 0.7, key
    questions = {
        "Who is the customer?": "Zenith Media Ltd",
        "What is the buyer's address?": "8 Queen Street Edinburgh EH2 1JE",
        "What is the billing address?": "8 Queen Street Edinburgh EH2 1JE",
        "Who are the goods shipped to?": "Zenith Media Warehouse",
        "Where should the goods be delivered?": "Unit 5, Leith Docks Edinburgh EH6 6QQ",
        "What is the delivery address?": "Unit 5, Leith Docks Edinburgh EH6 6QQ",
        "What is the seller's address?": "Hauptstrasse 12, 10115 Berlin",
        "When will the goods be delivered?": None,  # a date, which the invoice does not give
    }
    for q, value in questions.items():
        ans = builtin.answer(doc, q)
        assert _norm(ans.text) == value, q
        if value is not None:
            assert ans.evidence and ans.evidence[0].page == 1, q


@pytest.mark.parametrize("layout", ["label above", "name after the label", "attn line"])
def test_buyer_address_under_the_name(builtin, layout):
    head = [(50, 60, "Greenleaf Design Studio", 16), (50, 78, "77 Market Street, Manchester M1 1AA"),
            (400, 80, "Invoice No: GD-311"), (400, 94, "Issue date: 2 May 2026")]
    if layout == "label above":
        block = [(50, 150, "Invoice To:"), (50, 164, "Harper & Sons Ltd"), (50, 178, "15 Mill Lane"),
                 (50, 192, "Bristol BS1 5TR")]
    elif layout == "name after the label":
        block = [(50, 164, "Billed to: Harper & Sons Ltd"), (50, 178, "15 Mill Lane"), (50, 192, "Bristol BS1 5TR")]
    else:
        block = [(50, 150, "Bill To:"), (50, 164, "Harper & Sons Ltd"), (50, 178, "Attn: Accounts Payable"),
                 (50, 192, "15 Mill Lane"), (50, 206, "Bristol BS1 5TR")]
    data, boxes = _pdf(head + block + [(50, 260, "Website redesign"), (450, 260, "2,500.00"), (350, 300, "Total"),
                                       (450, 300, "2,500.00")])
    doc = document_from_pdf(data)
    got = builtin.extract(doc, ["buyer", "buyer address", "address", "shipping address"])
    assert got["buyer"].value == "Harper & Sons Ltd"
    assert _norm(got["buyer address"].value) == "15 Mill Lane Bristol BS1 5TR"
    assert iou(got["buyer address"].bbox, _union([boxes["15 Mill Lane"], boxes["Bristol BS1 5TR"]])) >= 0.7
    assert got["address"].value == "77 Market Street, Manchester M1 1AA"
    assert got["shipping address"].value is None  # not printed: not the buyer's, not the seller's


def test_ship_to_with_the_address_alone(builtin):
    """"Ship To:" over an address and no name: the address is the shipping address, and no street line
    passes for the recipient's name; the buyer's block without an address gives no buyer address."""
    data, _ = _pdf([
        (50, 60, "Polar Freight Ltd", 16), (50, 78, "1 Quay Street, Hull HU1 1AA"),
        (50, 130, "Delivery note DN-551"), (50, 144, "Date: 5 May 2026"),
        (50, 180, "Ship To:"), (50, 194, "Unit 12, Riverside Park"), (50, 208, "Goole DN14 5TG"),
        (300, 180, "Bill To:"), (300, 194, "Nordic Foods AB"), (300, 208, "Tel: 0046 8 123 456"),
        (50, 260, "Pallets"), (450, 260, "12"),
    ])
    doc = document_from_pdf(data)
    got = builtin.extract(doc, ["shipping address", "recipient", "buyer", "buyer address"])
    assert _norm(got["shipping address"].value) == "Unit 12, Riverside Park Goole DN14 5TG"
    assert got["recipient"].value is None
    assert got["buyer"].value == "Nordic Foods AB"
    assert got["buyer address"].value is None  # a phone under the name is no address


@pytest.mark.parametrize("rows", [
    # a receipt: the customer line, then the items
    [(150, 60, "KEDAI MAJU SDN BHD", 14), (150, 78, "NO 5, JALAN BESAR, 43000 KAJANG"), (150, 92, "TEL: 03-8736 1234"),
     (50, 130, "Customer: CASH"), (50, 144, "Cashier: AMY"), (50, 170, "MILO 1KG"), (450, 170, "16.50"),
     (50, 210, "TOTAL"), (450, 210, "16.50")],
    # an address far below the buyer's name, after a blank line, is not in the buyer's block
    [(50, 60, "Orchid Printing Co.", 16), (50, 78, "9 Canal Walk, Birmingham B1 2JD"),
     (50, 150, "Bill To:"), (50, 164, "Fairway Golf Club"),
     (50, 260, "Brochures"), (450, 260, "640.00"), (50, 400, "Return address: 9 Canal Walk, Birmingham B1 2JD")],
])
def test_no_buyer_address_without_one_in_the_block(builtin, rows):
    data, _ = _pdf(rows)
    doc = document_from_pdf(data)
    assert builtin.extract(doc, ["buyer address"])["buyer address"].value is None
    assert builtin.answer(doc, "What is the customer's address?").text is None


def test_street_lines_are_not_names():
    assert street_line("221 Baker Street") and street_line("Unit 12, Riverside Park") and street_line("NO 5, JALAN BESAR")
    for name in ("99 SPEEDMART S/B", "7-Eleven Malaysia", "3M Company", "Riverside Park Hotel", "Fairway Lane"):
        assert not street_line(name), name


def test_shipping_questions_find_their_keys():
    assert question_key("Where are the goods delivered?")[0].family == "shipping address"
    assert question_key("Who are the goods shipped to?")[0].family == "recipient"
    assert question_key("When will the goods be delivered?")[0].family == "delivery date"
    assert question_key("收货地址是什么？")[0].family == "shipping address"
    assert question_key("What is the shipping cost?")[0].family != "shipping address"


def test_blocks_on_a_scan(builtin):
    """The same invoice scanned at 150 dpi and read by the OCR core."""
    import pymupdf

    from chatocr.structure import DocumentParser

    data, _ = _pdf(_SIDE_BY_SIDE)
    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        pix = pdf[0].get_pixmap(dpi=150)
    image = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)[:, :, :3].copy()
    doc = DocumentParser().parse(image)
    got = builtin.extract(doc, ["buyer", "buyer address", "recipient", "shipping address"])
    assert got["buyer"].value == "Zenith Media Ltd"
    assert _norm(got["buyer address"].value) == "8 Queen Street Edinburgh EH2 1JE"
    assert got["recipient"].value == "Zenith Media Warehouse"
    assert _norm(got["shipping address"].value) == "Unit 5, Leith Docks Edinburgh EH6 6QQ"


def _rows(lines_doc, rows, char_w=7.0):
    return lines_doc([(t, (60, 60 + 24 * i, 60 + char_w * len(t), 78 + 24 * i)) for i, t in enumerate(rows)])


_CONTRACT_HEAD = [
    "技术服务合同", "甲方（委托方）：北京华星科技有限公司", "地址：北京市朝阳区建设路100号", "法定代表人：张三",
    "联系电话：010-88886666", "乙方（受托方）：上海远航贸易有限公司", "地址：上海市浦东新区人民路8号", "法定代表人：李四",
    "联系电话：021-66668888", "第一条 服务内容。乙方为甲方提供技术咨询服务。", "第二条 费用。合同总价为人民币100,000元。",
    "甲方（盖章）：北京华星科技有限公司", "授权代表（签字）：王五", "乙方（盖章）：上海远航贸易有限公司", "授权代表（签字）：赵六",
]


@pytest.mark.parametrize("how", ["lines", "parser"])
def test_each_partys_block_of_labelled_lines(builtin, lines_doc, how):
    """A Chinese contract's head: each party's line with its role in brackets, then its own address, legal
    representative and phone under the same labels; a question that names the party takes that party's.
    Read as OCR lines, and by the parser from a PDF (which also pairs each label with its value)."""
    if how == "lines":
        doc = _rows(lines_doc, _CONTRACT_HEAD, char_w=14)
    else:
        import pymupdf

        from chatocr.structure import DocumentParser

        with pymupdf.open() as pdf:
            page = pdf.new_page(width=595, height=842)
            for i, t in enumerate(_CONTRACT_HEAD):
                page.insert_text((60, 80 + 26 * i), t, fontsize=12, fontname="china-s")
            doc = DocumentParser().parse(pdf.tobytes())
        assert any(kv.key == "地址" for _, kv in doc.kv_pairs())
    want = {
        "甲方是谁？": "北京华星科技有限公司", "乙方是谁？": "上海远航贸易有限公司",
        "甲方地址是什么？": "北京市朝阳区建设路100号", "乙方的地址是什么？": "上海市浦东新区人民路8号",
        "乙方法定代表人是谁？": "李四", "甲方的法定代表人是谁？": "张三",
        "甲方电话是多少？": "010-88886666", "乙方联系电话是多少？": "021-66668888",
        "谁代表乙方签字？": "赵六", "甲方签字人是谁？": "王五", "合同总价是多少？": "人民币100,000元",
        "地址是什么？": "北京市朝阳区建设路100号",  # no party named: the first
    }
    for q, value in want.items():
        assert builtin.answer(doc, q).text == value, q


def test_a_buyers_block_on_a_form(builtin, lines_doc):
    doc = _rows(lines_doc, [
        "PURCHASE ORDER", "Supplier: ACME Tools Ltd", "Address: 12 Dock Road, Leeds LS1 4AB", "Tel: 0113 496 0000",
        "Email: sales@acme.example", "Customer: Zenith Foods GmbH", "Address: Hafenstrasse 12, 20457 Hamburg",
        "Tel: +49 40 1234567", "Contact person: Anna Weber", "Order date: 3 March 2026", "Total: EUR 1,250.00",
    ])
    want = {
        "What is the customer's address?": "Hafenstrasse 12, 20457 Hamburg",
        "What is the supplier's address?": "12 Dock Road, Leeds LS1 4AB",
        "What is the customer's phone number?": "+49 40 1234567", "What is the supplier's phone?": "0113 496 0000",
        "What is the phone number?": "0113 496 0000", "Who is the customer's contact person?": "Anna Weber",
        "What is the customer's email?": None,  # the supplier's is not the customer's
    }
    for q, value in want.items():
        assert builtin.answer(doc, q).text == value, q


def test_an_address_that_reads_as_one_only_whole(builtin):
    """"Plot 9, Riverside Works" alone has no street word; with "Salford M5 3EZ" under it, it is the
    address. An "Address:" line in the block gives its value without the label."""
    data, boxes = _pdf([
        (50, 60, "Brightwater Supplies Ltd", 16), (50, 78, "Unit 4, Canal Side Business Park, Leeds LS11 5QR"),
        (50, 150, "Bill To:"), (50, 164, "Harlow & Finch Architects LLP"), (50, 178, "Address: 22 Mercer Street"),
        (50, 192, "Manchester M4 1DL"),
        (300, 150, "Ship To:"), (300, 164, "Harlow & Finch Site Office"), (300, 178, "Plot 9, Riverside Works"),
        (300, 192, "Salford M5 3EZ"),
        (50, 260, "Drawing pens"), (450, 260, "120.00"), (350, 300, "Total"), (450, 300, "120.00"),
    ])
    got = builtin.extract(document_from_pdf(data), ["buyer address", "shipping address", "recipient"])
    assert _norm(got["buyer address"].value) == "22 Mercer Street Manchester M4 1DL"
    assert _norm(got["shipping address"].value) == "Plot 9, Riverside Works Salford M5 3EZ"
    assert iou(got["shipping address"].bbox, _union([boxes["Plot 9, Riverside Works"], boxes["Salford M5 3EZ"]])) >= 0.7
    assert got["recipient"].value == "Harlow & Finch Site Office"


def test_a_name_read_in_two_pieces(builtin, lines_doc):
    """OCR may cut a name at "&" into two boxes a word's gap apart: the name is both."""
    doc = lines_doc([("Ship To", (300, 150, 350, 164)), ("Harlow", (300, 168, 345, 182)),
                     ("& Finch Site Office", (351, 168, 480, 182)), ("Plot 9, Riverside Works", (300, 186, 460, 200)),
                     ("Salford M5 3EZ", (300, 204, 400, 218))])
    f = builtin.extract(doc, ["recipient"])["recipient"]
    assert f.value == "Harlow & Finch Site Office" and f.bbox == (300, 168, 480, 182)


def test_a_partys_block_as_ocr_reads_it(builtin, lines_doc):
    """The party's label in a box of its own beside the name, its lines under it, then a blank line: the
    block ends there (the dates after it are nobody's)."""
    doc = lines_doc([
        ("SUPPLY CONTRACT", (208, 55, 385, 71)), ("First Party (Buyer):", (50, 100, 151, 113)),
        ("Oakfield Consulting Inc.", (160, 101, 273, 113)), ("Address: 125 King Street, Riverton 40210", (61, 119, 247, 130)),
        ("Tel: +1 424 703 2905", (61, 134, 158, 145)),
        ("Second Party (Seller): Copperleaf Trading Ltd", (49, 153, 285, 165)),
        ("Address: 129 Hill Lane, Lakeside 81100", (61, 171, 240, 182)), ("Tel: +1 836 918 1127", (61, 186, 158, 196)),
        ("Effective Date: 24/04/2020", (50, 215, 175, 226)),
    ])
    got = builtin.extract(doc, ["party a", "party b address", "party a phone", "party b phone"])
    assert {k: f.value for k, f in got.items()} == {
        "party a": "Oakfield Consulting Inc.", "party b address": "129 Hill Lane, Lakeside 81100",
        "party a phone": "+1 424 703 2905", "party b phone": "+1 836 918 1127"}
    from chatocr.agent.builtin.extract import party_blocks

    blocks = party_blocks(builtin._get_view(doc))
    assert [blocks.get(i) for i in range(9)] == [None] + ["party a"] * 4 + ["party b"] * 3 + [None]
