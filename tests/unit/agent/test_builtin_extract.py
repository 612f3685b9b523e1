"""Key extraction of the built-in engine on Documents built directly."""

from __future__ import annotations

import numpy as np
import pytest
from kiegen import contract, document_from_pdf, invoice

from chatocr.agent.builtin import BuiltinEngine, BuiltinOptions, resolve_key
from chatocr.agent.results import ExtractedField
from chatocr.document import Block, Cell, Document, KeyValue, Line, Page, Table, Word


@pytest.fixture(scope="module")
def engine():
    return BuiltinEngine()


def test_receipt_fields(engine, receipt):
    f = engine.extract(receipt, ["company", "date", "address", "total"])
    assert list(f) == ["company", "date", "address", "total"]
    assert f["company"].value == "KEDAI RUNCIT MAJU JAYA SDN BHD"
    assert f["date"].value == "25/12/2018"
    assert f["address"].value == "NO. 12, JALAN MERANTI 3, TAMAN SRI MERANTI, 43000 KAJANG, SELANGOR."
    assert f["total"].value == "22.40"  # "TOTAI" (OCR) is still the total label; SUB TOTAL is not
    for k in f:
        assert isinstance(f[k], ExtractedField)
        assert f[k].page == 1 and f[k].bbox is not None and f[k].source and 0 < f[k].confidence <= 1
    assert f["total"].bbox == (475.0, 440.0, 540.0, 462.0)  # the value's own box
    # multi-line value: the union of its lines
    assert f["address"].bbox == (170.0, 112.0, 430.0, 170.0)


def test_absent_keys_are_none(engine, receipt):
    f = engine.extract(receipt, ["iban", "due date", "buyer", "email", "PO number", "warranty period"])
    for k, v in f.items():
        assert v.value is None and v.confidence == 0.0 and v.bbox is None, k


def test_synonyms_resolve_to_one_family():
    for key in ("Total", "grand total", "Amount due", "Total (RM)", "合计", "价税合计"):
        assert resolve_key(key).family == "total", key
    for key in ("Invoice No", "invoice #", "发票号码", "Bill No"):
        assert resolve_key(key).family == "invoice number", key
    for key in ("vendor", "Seller", "company", "销售方"):
        assert resolve_key(key).family == "seller", key
    assert resolve_key("Project code").family == "custom"


def test_same_row_below_and_colon(engine, lines_doc):
    doc = lines_doc([
        ("Invoice Date", (50, 100, 150, 115)),  # key above value
        ("Due Date", (250, 100, 330, 115)),
        ("2024-03-05", (50, 118, 130, 133)),
        ("2024-04-04", (250, 118, 330, 133)),
        ("Invoice No.", (50, 160, 130, 175)),  # key and value on one row, no colon
        ("INV-2024-0012", (300, 160, 400, 175)),
        ("Tax ID: DE123456789", (50, 190, 250, 205)),
    ])
    f = engine.extract(doc, ["invoice date", "due date", "invoice number", "VAT number"])
    assert f["invoice date"].value == "2024-03-05"
    assert f["due date"].value == "2024-04-04"
    assert f["invoice number"].value == "INV-2024-0012"
    assert f["VAT number"].value == "DE123456789"


def test_validator_decides(engine, lines_doc):
    doc = lines_doc([
        ("Date: see attached schedule", (50, 100, 300, 115)),
        ("Invoice date: 5 March 2024", (50, 130, 300, 145)),
        ("Total: to be confirmed", (50, 160, 300, 175)),
    ])
    f = engine.extract(doc, ["date", "total"])
    assert f["date"].value == "5 March 2024"  # the labelled line that fails the date check loses
    assert f["total"].value is None  # never invented


def test_total_is_what_settles_the_bill(engine, lines_doc):
    """When the total's own line is misread, the payment decides: a card charges the total
    exactly, and cash less change is the total; a labelled small amount (rounding) is not it."""
    card = lines_doc([
        ("FuelSave 95", (40, 100, 200, 118)),
        ("RM 88.17", (420, 100, 520, 118)),
        ("Total RM1 8817", (40, 130, 520, 148)),  # the decimal point lost by OCR
        ("Visa", (40, 160, 100, 178)),
        ("RM 88.17", (420, 160, 520, 178)),
    ])
    assert engine.extract(card, ["total"])["total"].value == "RM 88.17"  # the amount as printed
    cash = lines_doc([
        ("Total Sales (Excluding GST)", (40, 100, 300, 118)),
        ("565.50", (460, 100, 520, 118)),
        ("otal GST", (40, 130, 140, 148)),  # "Total GST" with its T lost
        ("33.93", (460, 130, 520, 148)),
        ("Rounding", (40, 160, 140, 178)),
        ("0.02", (470, 160, 520, 178)),
        ("599.45", (460, 190, 520, 208)),
        ("CASH :", (40, 220, 120, 238)),
        ("599.45", (460, 220, 520, 238)),
        ("Change :", (40, 250, 120, 268)),
        ("0.00", (470, 250, 520, 268)),
    ])
    total = engine.extract(cash, ["total"])["total"]
    assert total.value == "599.45" and total.bbox == (460.0, 190.0, 520.0, 208.0)


def test_chinese_labels(engine, lines_doc):
    doc = lines_doc([
        ("华星科技有限公司", (50, 40, 250, 65)),
        ("发票号码：12345678", (50, 80, 250, 95)),
        ("开票日期：2024年3月5日", (50, 100, 250, 115)),
        ("小计：1,000.00", (300, 300, 500, 315)),
        ("价税合计（小写）¥1,130.00", (300, 320, 500, 335)),
    ])
    f = engine.extract(doc, ["发票号码", "date", "total", "seller"])
    assert f["发票号码"].value == "12345678"
    assert f["date"].value == "2024年3月5日"
    assert f["total"].value == "¥1,130.00"
    assert f["seller"].value == "华星科技有限公司"


def test_parser_kv_and_table(engine):
    kv = KeyValue(key="Amount Due", value="USD 512.00", key_bbox=(50, 50, 120, 60), value_bbox=(200, 50, 260, 60),
                  kind="same_row")
    cells = [Cell(row=0, col=0, text="Invoice No", header=True, bbox=(50, 100, 150, 115)),
             Cell(row=0, col=1, text="Date", header=True, bbox=(150, 100, 250, 115)),
             Cell(row=1, col=0, text="A-778", bbox=(50, 115, 150, 130)),
             Cell(row=1, col=1, text="01/02/2024", bbox=(150, 115, 250, 130))]
    blocks = (
        Block(id="p1-b0", type="text", bbox=(50, 50, 260, 60), text="", kv=(kv,)),
        Block(id="p1-b1", type="table", bbox=(50, 100, 250, 130), text="",
              table=Table(n_rows=2, n_cols=2, cells=tuple(cells))),
    )
    doc = Document(id="t", pages=(Page(page=1, width=600, height=800, blocks=blocks),))
    f = engine.extract(doc, ["total", "invoice number", "date"])
    assert (f["total"].value, f["total"].method, f["total"].bbox) == ("USD 512.00", "kv", (200, 50, 260, 60))
    assert (f["invoice number"].value, f["invoice number"].method) == ("A-778", "table")
    assert f["date"].value == "01/02/2024" and f["date"].bbox == (150, 115, 250, 130)


def test_a_table_value_is_boxed_by_its_words(engine):
    words = (Word(text="Mon", bbox=(155, 117, 175, 128)), Word(text="01/02/2024", bbox=(180, 117, 240, 128)))
    lines = (Line(text="Date", bbox=(155, 102, 180, 113)),
             Line(text="Mon 01/02/2024", bbox=(155, 117, 240, 128), words=words))
    cells = (Cell(row=0, col=0, text="Date", header=True, bbox=(150, 100, 250, 115)),
             Cell(row=1, col=0, text="Mon 01/02/2024", bbox=(150, 115, 250, 130)))
    block = Block(id="p1-b0", type="table", bbox=(150, 100, 250, 130), text="", lines=lines,
                  table=Table(n_rows=2, n_cols=1, cells=cells))
    doc = Document(id="w", pages=(Page(page=1, width=600, height=800, blocks=(block,)),))
    f = engine.extract(doc, ["date"])["date"]
    assert (f.value, f.method, f.bbox) == ("01/02/2024", "table", (180, 117, 240, 128))


def test_blocks_subset_is_searched_first(engine):
    def block(i, text, y):
        ln = Line(text=text, bbox=(50, y, 250, y + 15))
        return Block(id=f"p1-b{i}", type="text", bbox=ln.bbox, text=text, lines=(ln,))

    blocks = (block(0, "Total: 100.00", 100), block(1, "Total: 250.00", 400))
    doc = Document(id="s", pages=(Page(page=1, width=600, height=800, blocks=blocks),))
    assert engine.extract(doc, ["total"], blocks=[(1, blocks[0])])["total"].value == "100.00"
    assert engine.extract(doc, ["total"], blocks=[(1, blocks[1])])["total"].value == "250.00"


def test_embedder_matches_unlisted_wording(lines_doc):
    doc = lines_doc([("Job reference: PRJ-5521", (50, 100, 300, 115)), ("Other: 12", (50, 130, 300, 145))])
    vocab = {"project code": [1.0, 0.0], "job reference": [0.95, 0.31], "other": [0.0, 1.0]}

    def embed(texts):
        return np.array([vocab.get(t.lower(), [0.0, 1.0]) for t in texts], dtype=np.float32)

    assert BuiltinEngine().extract(doc, ["project code"])["project code"].value is None
    got = BuiltinEngine(embedder=embed).extract(doc, ["project code"])["project code"]
    assert got.value == "PRJ-5521"


def test_options_threshold(lines_doc):
    doc = lines_doc([("Sum: 12.00", (50, 100, 300, 115))])  # a weak total label
    assert BuiltinEngine().extract(doc, ["total"])["total"].value == "12.00"
    strict = BuiltinEngine(BuiltinOptions(min_label=0.9))
    assert strict.extract(doc, ["total"])["total"].value is None


@pytest.mark.parametrize("maker", [invoice, contract])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_generated_documents(engine, maker, lang):
    from chatocr.agent.builtin.validators import parse_date, parse_money

    for seed in (500, 501, 502):
        data, truth = maker(seed, lang)
        doc = document_from_pdf(data)
        keys = [k for k in truth.fields if not k.startswith("q:")]  # "q:" keys are asked, not extracted
        got = engine.extract(doc, keys)
        for k in keys:
            f = truth.fields[k]
            v = got[k].value
            if f.value is None:
                assert v is None, (seed, k, v)
            elif f.kind == "money":
                assert parse_money(v) == parse_money(f.value), (seed, k, v)
            elif f.kind == "date":
                assert parse_date(v) == parse_date(f.value), (seed, k, v)
            elif f.kind == "parties":
                assert {p.strip() for p in v.split(";")} == {p.strip() for p in f.value.split(";")}
            else:
                assert v is not None and v.replace(" ", "") == f.value.replace(" ", ""), (seed, k, v)


def test_a_document_is_looked_at_once(engine, receipt):
    """The view of a document (its rows, columns, passages) is built once for all its keys and questions
    (its time is measured by `python benchmarks/kie.py --only latency`)."""
    engine.extract(receipt, ["company", "date"])
    view = engine._get_view(receipt)
    engine.extract(receipt, ["address", "total"])
    engine.answer(receipt, "What is the total?")
    assert engine._get_view(receipt) is view
    assert engine._get_view(receipt.model_copy()) is not view  # another document: its own view


def test_index_embedder_object(lines_doc):
    """An embedder with ``embed_documents`` (chatocr.index.Embedder) works like a plain callable."""
    doc = lines_doc([("Job reference: PRJ-5521", (50, 100, 300, 115))])
    vocab = {"project code": [1.0, 0.0], "job reference": [0.95, 0.31]}

    class Emb:
        def embed_documents(self, texts):
            return np.array([vocab.get(t.lower(), [0.0, 1.0]) for t in texts], dtype=np.float32)

        def embed_query(self, text):
            return self.embed_documents([text])[0]

    assert BuiltinEngine(embedder=Emb()).extract(doc, ["project code"])["project code"].value == "PRJ-5521"


def test_names_and_addresses_lose_ocr_confusions(engine, lines_doc):
    doc = lines_doc([
        ("GARDEN1A BAKERIES (KL) SDN BHD", (100, 40, 500, 60)),
        ("NO 29O, JALAN AIR PANAS,", (120, 64, 480, 82)),
        ("53200 KUALA LUMPUR.", (160, 86, 440, 104)),
        ("INVOICE NO: CS0O1O", (40, 130, 300, 148)),
    ])
    f = engine.extract(doc, ["company", "address", "invoice number"])
    assert f["company"].value == "GARDENIA BAKERIES (KL) SDN BHD"
    assert f["company"].source == "GARDEN1A BAKERIES (KL) SDN BHD"  # the line as read
    assert f["address"].value.startswith("NO 290, JALAN AIR PANAS")
    assert f["invoice number"].value == "CS0O1O"  # codes are not words: left as printed


def test_a_value_inside_a_line_is_boxed_by_its_words(engine):
    """Label and value printed as one line: the field's box is the value's words, not the row."""
    from chatocr.document import Word

    def line(text, words):
        boxes = [b for _, b in words]
        bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
        return Line(text=text, bbox=bbox, words=tuple(Word(text=t, bbox=b) for t, b in words))

    rows = [
        line("KEDAI MAJU SDN BHD", [("KEDAI", (100, 20, 160, 40)), ("MAJU", (166, 20, 216, 40)),
                                    ("SDN", (222, 20, 258, 40)), ("BHD", (264, 20, 300, 40))]),
        line("Invoice No: CS-00012", [("Invoice", (40, 60, 110, 80)), ("No:", (114, 60, 150, 80)),
                                      ("CS-00012", (300, 60, 390, 80))]),
        line("TOTAL (RM): 22.40", [("TOTAL", (40, 100, 100, 120)), ("(RM):", (104, 100, 160, 120)),
                                   ("22.40", (480, 100, 540, 120))]),
    ]
    doc = Document(id="x", pages=(Page(page=1, width=600, height=200, blocks=tuple(
        Block(id=f"p1-b{k}", type="text", bbox=ln.bbox, text=ln.text, lines=(ln,)) for k, ln in enumerate(rows))),))
    f = engine.extract(doc, ["total", "invoice number"])
    assert f["total"].value == "22.40" and f["total"].bbox == (480, 100, 540, 120)
    assert f["total"].source == "TOTAL (RM): 22.40"  # the line as read
    assert f["invoice number"].value == "CS-00012" and f["invoice number"].bbox == (300, 60, 390, 80)
    answer = engine.answer(doc, "What is the total amount?")
    assert answer.text == "22.40" and answer.evidence[0].bbox == (480, 100, 540, 120)


def test_a_free_text_value_is_its_sentence(engine, lines_doc):
    """"Payment terms: 30 days net. Please pay by …": the terms, not the instructions after them."""
    doc = lines_doc([("Payment terms: 30 days net. Please pay by bank transfer, quoting invoice No. 88.", (40, 100, 560, 118)),
                     ("Delivery terms: Ex works Leeds", (40, 130, 260, 148))])
    f = engine.extract(doc, ["payment terms"])["payment terms"]
    assert f.value == "30 days net"
    assert engine.extract(doc, ["delivery terms"])["delivery terms"].value == "Ex works Leeds"


@pytest.mark.parametrize(("line", "rate"), [
    ("VAT (20%): 71.40", "20%"), ("GST @ 6%: 3.60", "6%"), ("Tax (8.25%) 12.00", "8.25%"), ("SST 6% 1.20", "6%"),
    ("税额（13%）：130.00", "13%"), ("Tax rate: 13%", "13%"), ("Total incl. tax 100.00", None), ("TAX 12345", None),
])
def test_the_tax_rate_in_the_taxs_label(engine, lines_doc, line, rate):
    doc = lines_doc([("Subtotal: 357.00", (300, 80, 420, 96)), (line, (300, 100, 300 + 7 * len(line), 116))])
    f = engine.extract(doc, ["tax rate"])["tax rate"]
    assert f.value == rate
    if rate is not None:  # the box is the rate's own words, inside its line
        assert f.bbox[1] == 100 and 300 < f.bbox[0] and f.bbox[2] <= 300 + 7 * len(line)
