"""A bank statement, a payslip, a utility bill, a laboratory report, a purchase order and an insurance
policy schedule: labelled figures, a period from one date to another, and tables
asked by their columns ("What is the balance on 12 Mar?", "When was the rent paid?", "What is the hourly
rate for basic pay?") — laid out with PyMuPDF's Story as HTML pages, read from their text layer by the
parser and from 150 dpi scans by the OCR core."""

from __future__ import annotations

import numpy as np
import pytest

from chatocr.agent.builtin import BuiltinEngine
from chatocr.agent.builtin.qa import question_key
from chatocr.agent.builtin.synonyms import label_similarity
from chatocr.agent.builtin.validators import find_durations
from chatocr.geometry import iou

_STATEMENT = """
<h2>Northfield Bank plc</h2>
<p>PO Box 118, Leeds LS1 4AP<br/>Customer service: 0345 600 1122</p>
<p><b>Statement of Account</b></p>
<table>
<tr><td>Account holder:</td><td>Mr Daniel Okafor</td></tr>
<tr><td>Account number:</td><td>41829377</td></tr>
<tr><td>Statement period:</td><td>1 March 2026 to 31 March 2026</td></tr>
<tr><td>Statement date:</td><td>2 April 2026</td></tr>
</table>
<p></p>
<table>
<tr><th>Date</th><th>Description</th><th>Paid out</th><th>Paid in</th><th>Balance</th></tr>
<tr><td>01 Mar</td><td>Opening balance</td><td></td><td></td><td>1,204.56</td></tr>
<tr><td>03 Mar</td><td>Tesco Stores 2291</td><td>54.20</td><td></td><td>1,150.36</td></tr>
<tr><td>05 Mar</td><td>Salary ACME LTD</td><td></td><td>2,450.00</td><td>3,600.36</td></tr>
<tr><td>12 Mar</td><td>Rent - Standing order</td><td>950.00</td><td></td><td>2,650.36</td></tr>
<tr><td>20 Mar</td><td>Octopus Energy DD</td><td>88.14</td><td></td><td>2,562.22</td></tr>
<tr><td>31 Mar</td><td>Closing balance</td><td></td><td></td><td>2,562.22</td></tr>
</table>
<p>Total paid out: 1,092.34 &nbsp; Total paid in: 2,450.00</p>
<p>Overdraft limit: 500.00</p>
"""


_PAYSLIP = """
<h2>Brightwater Logistics Ltd</h2>
<p>Unit 4, Harbour Road, Bristol BS1 6XN</p>
<h3>Payslip</h3>
<table>
<tr><td>Employee:</td><td>Sarah Whitfield</td><td>Employee No:</td><td>E-20417</td></tr>
<tr><td>Pay date:</td><td>28/02/2026</td><td>Tax code:</td><td>1257L</td></tr>
<tr><td>Pay period:</td><td>01/02/2026 - 28/02/2026</td></tr>
</table>
<p></p>
<table>
<tr><th>Payments</th><th>Hours</th><th>Rate</th><th>Amount</th></tr>
<tr><td>Basic pay</td><td>150.00</td><td>18.50</td><td>2,775.00</td></tr>
<tr><td>Overtime</td><td>12.00</td><td>27.75</td><td>333.00</td></tr>
<tr><td>Bonus</td><td></td><td></td><td>250.00</td></tr>
</table>
<p></p>
<table>
<tr><th>Deductions</th><th>Amount</th></tr>
<tr><td>Income tax</td><td>412.20</td></tr>
<tr><td>National Insurance</td><td>188.64</td></tr>
<tr><td>Pension</td><td>167.90</td></tr>
</table>
<p>Gross pay: 3,358.00</p>
<p>Total deductions: 768.74</p>
<p><b>Net pay: 2,589.26</b></p>
<p>Year to date gross: 6,716.00</p>
"""


_BILL = """
<h2>Greenline Energy</h2>
<p>Greenline Energy Ltd, 20 Canal Street, Manchester M1 3HE<br/>Call us: 0161 555 0199</p>
<h3>Your electricity bill</h3>
<table>
<tr><td>Customer:</td><td>Priya Raman</td></tr><tr><td>Account number:</td><td>GL-5582014</td></tr>
<tr><td>Supply address:</td><td>7 Elm Grove, Salford M6 8PL</td></tr><tr><td>Bill date:</td><td>05/03/2026</td></tr>
<tr><td>Billing period:</td><td>01/02/2026 to 28/02/2026</td></tr>
</table>
<p></p>
<table>
<tr><th>Charge</th><th>Units</th><th>Unit rate</th><th>Cost</th></tr>
<tr><td>Electricity used</td><td>312 kWh</td><td>24.50p</td><td>76.44</td></tr>
<tr><td>Standing charge</td><td>28 days</td><td>60.10p</td><td>16.83</td></tr>
</table>
<p>Subtotal: 93.27<br/>VAT at 5%: 4.66<br/><b>Total amount due: 97.93</b></p>
<p>Payment due by 20 March 2026.</p>
<p>Payments received: 88.10</p>
"""


_LAB = """
<h2>Riverside Diagnostics</h2>
<h3>Laboratory Report</h3>
<table>
<tr><td>Patient:</td><td>Thomas Reid</td></tr><tr><td>Date of birth:</td><td>14/09/1978</td></tr>
<tr><td>Sample collected:</td><td>10/03/2026</td></tr><tr><td>Requested by:</td><td>Dr. Helen Cho</td></tr>
</table>
<p></p>
<table>
<tr><th>Test</th><th>Result</th><th>Units</th><th>Reference range</th></tr>
<tr><td>Haemoglobin</td><td>13.2</td><td>g/dL</td><td>13.0 - 17.0</td></tr>
<tr><td>White cell count</td><td>11.8</td><td>10^9/L</td><td>4.0 - 11.0</td></tr>
<tr><td>Platelets</td><td>245</td><td>10^9/L</td><td>150 - 400</td></tr>
</table>
"""


_ORDER = """
<h2>Halcyon Foods Ltd</h2>
<p>Unit 9, Meadow Business Park, Norwich NR6 5DP</p>
<h3>PURCHASE ORDER</h3>
<table>
<tr><td>PO Number:</td><td>PO-77412</td></tr><tr><td>Order date:</td><td>3 February 2026</td></tr>
<tr><td>Supplier:</td><td>Eastfield Packaging Co.</td></tr><tr><td>Delivery date:</td><td>17 February 2026</td></tr>
<tr><td>Deliver to:</td><td>Halcyon Foods Warehouse, Gate 2, Norwich NR6 5DP</td></tr>
</table>
<p></p>
<table>
<tr><th>Item code</th><th>Description</th><th>Qty</th><th>Unit price</th><th>Total</th></tr>
<tr><td>BX-120</td><td>Corrugated box 40x30x20</td><td>500</td><td>0.84</td><td>420.00</td></tr>
<tr><td>TP-48</td><td>Packing tape 48mm</td><td>60</td><td>1.95</td><td>117.00</td></tr>
<tr><td>LB-A4</td><td>Shipping labels A4</td><td>20</td><td>6.40</td><td>128.00</td></tr>
</table>
<p>Subtotal: 665.00<br/>VAT (20%): 133.00<br/><b>Order total: 798.00</b></p>
<p>Authorised by: James Porter</p>
"""


_POLICY = """
<h2>Sentinel Mutual Insurance</h2>
<p>1 Lombard Court, London EC3V 9AA</p>
<h3>Motor Insurance Policy Schedule</h3>
<table>
<tr><td>Policy number:</td><td>SMI-MT-0048823</td></tr>
<tr><td>Policyholder:</td><td>Ms Laura Bennett</td></tr>
<tr><td>Address:</td><td>22 Willow Crescent, Reading RG4 7TT</td></tr>
<tr><td>Period of insurance:</td><td>12/04/2026 to 11/04/2027</td></tr>
<tr><td>Registration:</td><td>KX21 ABC</td></tr>
<tr><td>Cover:</td><td>Comprehensive</td></tr>
<tr><td>Compulsory excess:</td><td>250.00</td></tr>
<tr><td>Tax:</td><td>73.49</td></tr>
</table>
"""


def _pdf(html: str = _STATEMENT) -> bytes:
    import io

    import pymupdf

    out = io.BytesIO()
    story = pymupdf.Story(html=html, user_css="td, th {padding: 2px 14px; text-align: left}")
    writer = pymupdf.DocumentWriter(out)
    rect = pymupdf.paper_rect("a4")
    more = True
    while more:
        device = writer.begin_page(rect)
        more, _ = story.place(rect + (40, 40, -40, -40))
        story.draw(device)
        writer.end_page()
    writer.close()
    return out.getvalue()


@pytest.fixture(scope="module")
def builtin():
    return BuiltinEngine()


def _read(html: str, how: str):
    import pymupdf

    from chatocr.structure import DocumentParser

    data = _pdf(html)
    if how == "text layer":
        return DocumentParser().parse(data)
    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        pix = pdf[0].get_pixmap(dpi=150)
    image = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)[:, :, :3].copy()
    return DocumentParser().parse(image)


@pytest.fixture(scope="module", params=["text layer", "scan"])
def statement(request):
    return _read(_STATEMENT, request.param)


@pytest.fixture(scope="module", params=["text layer", "scan"])
def payslip(request):
    return _read(_PAYSLIP, request.param)


@pytest.mark.parametrize("question, want", [
    # a cell by its column's heading and its row's words (a day without its leading zero too)
    ("What is the balance on 12 Mar?", "2,650.36"),
    ("When was the rent paid?", "12 Mar"),
    ("When was the salary received?", "05 Mar"),
    ("What is the description on 5 Mar?", "Salary ACME LTD"),
    # "how much" without a column: the row's one amount outside the running balance
    ("How much was paid to Octopus Energy?", "88.14"),
    ("How much was paid to Tesco?", "54.20"),
    # the label that says every word of the question, not the family's total
    ("What is the total paid out?", "1,092.34"),
    # a period from one date to another
    ("What is the statement period?", "1 March 2026 to 31 March 2026"),
    # a key no family knows whose value is a figure
    ("What is the overdraft limit?", "500.00"),
    # the bank's own phone, under "Customer service"
    ("What is the bank's phone number?", "0345 600 1122"),
    ("What is the account number?", "41829377"),
    # the bank is the letterhead of a statement; a name asked as "X's name" is who X is
    ("Who is the bank?", "Northfield Bank plc"),
    ("What is the bank's name?", "Northfield Bank plc"),
    ("Which bank issued the statement?", "Northfield Bank plc"),
    ("What is the name of the account holder?", "Mr Daniel Okafor"),
    # a bank's customer is the account holder
    ("Who is the customer?", "Mr Daniel Okafor"),
    # what the statement does not say
    ("What is the balance on 15 Mar?", None),
    ("When was the gym paid?", None),
    ("How much was paid on 31 Mar?", None),
])
def test_statement_questions(builtin, statement, question, want):
    got = builtin.answer(statement, question)
    assert got.text == want, question
    if want is not None:
        ev = got.evidence[0]
        assert ev.page == 1 and want.replace(" ", "") in ev.text.replace(" ", "")


def test_statement_fields(builtin, statement):
    got = builtin.extract(statement, ["statement period", "overdraft limit", "closing balance", "phone"])
    assert {k: f.value for k, f in got.items()} == {"statement period": "1 March 2026 to 31 March 2026", "overdraft limit": "500.00",
                            "closing balance": "2,562.22", "phone": "0345 600 1122"}


@pytest.mark.parametrize("question, want", [
    # a labelled figure whose label says more than its family's ("net pay" is no "total"; "tax code" no tax)
    ("What is the net pay?", "2,589.26"),
    ("What is the tax code?", "1257L"),
    ("What is the year to date gross?", "6,716.00"),
    ("What is the employee number?", "E-20417"),  # "Employee No:"
    # a named column in the row the question names; the row's own heading names no column
    ("What is the hourly rate for basic pay?", "18.50"),
    ("What is the overtime rate?", "27.75"),
    ("How many overtime hours were worked?", "12.00"),
    ("How much was the pension deduction?", "167.90"),
    # of several amounts in a row (hours, rate, amount), the amount column's
    ("What is the basic pay?", "2,775.00"),
    ("How much was paid for overtime?", "333.00"),
    ("How many hours of bonus were worked?", None),  # its row has no hours
    ("Who is the employer?", "Brightwater Logistics Ltd"),  # a payslip's letterhead
])
def test_payslip_questions(builtin, payslip, question, want):
    got = builtin.answer(payslip, question)
    assert got.text == want, question
    if want is not None:
        assert got.evidence[0].page == 1 and want in got.evidence[0].text


@pytest.mark.parametrize("how", ["text layer", "scan"])
def test_bill_questions(builtin, how):
    """A question that says more than its family's field ("the cost of electricity used": a row of the
    bill's table, not its total) takes the table's cell; the family's own question its field."""
    bill = _read(_BILL, how)
    want = {
        "What is the cost of electricity used?": "76.44", "What is the total amount due?": "97.93",
        "What is the unit rate for electricity?": "24.50p", "What is the standing charge?": "16.83",
        "What is the billing period?": "01/02/2026 to 28/02/2026", "What is the supply address?": "7 Elm Grove, Salford M6 8PL",
        "Who is the supplier?": "Greenline Energy", "What is the supplier's phone number?": "0161 555 0199",
        "When is payment due?": "20 March 2026", "How much is the VAT?": "4.66",
        "How much was received in payments?": "88.10",  # "Payments received:", the other word order
    }
    assert {q: builtin.answer(bill, q).text for q in want} == want


def test_lab_report_questions(builtin):
    """A row asked without its column is read in the results column; the patient's date of birth is the
    date of birth (not a key "patient date"), the report's date family does not answer it."""
    report = _read(_LAB, "text layer")
    want = {
        "What is the platelet count?": "245", "What is the haemoglobin?": "13.2", "What is the white cell count?": "11.8",
        "What is the reference range for platelets?": "150 - 400", "What are the units for haemoglobin?": "g/dL",
        "What is the patient's date of birth?": "14/09/1978", "What is the date of birth?": "14/09/1978",
        "What is the patient's name?": "Thomas Reid", "When was the sample collected?": "10/03/2026",
        "Who requested the test?": "Dr. Helen Cho", "What is the result for glucose?": None,
    }
    assert {q: builtin.answer(report, q).text for q in want} == want


@pytest.mark.parametrize("how", ["text layer", "scan"])
def test_purchase_order(builtin, how):
    """A purchase order's letterhead is its buyer's; the items' "Total" column heading is no label of
    the order's total; the delivery address follows its label in the cell beside it."""
    order = _read(_ORDER, how)
    got = builtin.extract(order, ["total", "buyer", "seller", "shipping address"])
    assert {k: f.value for k, f in got.items()} == {
        "total": "798.00", "buyer": "Halcyon Foods Ltd", "seller": "Eastfield Packaging Co.",
        "shipping address": "Halcyon Foods Warehouse, Gate 2, Norwich NR6 5DP"}
    want = {
        "When was the order placed?": "3 February 2026", "Who authorised the order?": "James Porter",
        "How many packing tapes were ordered?": "60", "What is the unit price of the shipping labels?": "6.40",
        "What is the total for corrugated boxes?": "420.00", "Where should the goods be delivered?":
        "Halcyon Foods Warehouse, Gate 2, Norwich NR6 5DP",
    }
    assert {q: builtin.answer(order, q).text for q in want} == want


@pytest.mark.parametrize("how", ["text layer", "scan"])
def test_policy_schedule(builtin, how):
    """A period's first and last day are the start and end where no label gives them; the insured is the
    policyholder and the insurer the letterhead (not the schedule's title); a label may leave out
    "number" ("Registration:"), never for an amount ("Tax: 73.49" is no tax number)."""
    policy = _read(_POLICY, how)
    want = {
        "When does the cover start?": "12/04/2026", "When does the policy end?": "11/04/2027",
        "Who is the insured?": "Ms Laura Bennett", "Who is the insurer?": "Sentinel Mutual Insurance",
        "What is the policyholder's address?": "22 Willow Crescent, Reading RG4 7TT",
        "What is the registration number?": "KX21 ABC", "What type of cover is it?": "Comprehensive",
        "What is the tax number?": None,
    }
    assert {q: builtin.answer(policy, q).text for q in want} == want
    got = builtin.extract(policy, ["start date", "end date"])
    assert (got["start date"].value, got["end date"].value) == ("12/04/2026", "11/04/2027")
    assert got["end date"].bbox[0] > got["start date"].bbox[2]  # each its own date's box


@pytest.mark.parametrize("seed", range(6))
def test_generated_statements(builtin, seed):
    """Generated statements (tests/kiegen.py): every field, and every question to their table by its
    columns answered with the cell's box as evidence, or None where the statement does not say."""
    from kiegen import document_from_pdf, statement

    from chatocr.structure import DocumentParser

    data, truth = statement(seed)
    for doc in (document_from_pdf(data), DocumentParser().parse(data)):
        keys = [k for k in truth.fields if not k.startswith("q:")]
        got = builtin.extract(doc, keys)
        assert {k: got[k].value for k in keys} == {k: truth.fields[k].value for k in keys}
        for q, key in truth.questions:
            ans = builtin.answer(doc, q)
            want = truth.fields[key] if key is not None else None
            assert ans.text == (want.value if want else None), q
            if want is not None:
                assert iou(ans.evidence[0].bbox, want.value_bbox or want.bbox) >= 0.5, q


def test_chinese_statement(builtin):
    """银行对账单: the column a Chinese question says (余额, 收入), the date column for 哪天, the row by its
    day (3月12日, 2026-03-18) or its words (房租); a row the statement does not hold is None."""
    from chatocr_testkit import make_pdf

    from chatocr.structure import DocumentParser

    items = [(50, 60, "华夏银行 个人账户对账单"), (50, 90, "户名：张伟"), (50, 106, "对账期间：2026年3月1日至2026年3月31日")]
    cols = [50, 130, 290, 380, 470]
    items += [(x, 160, h) for x, h in zip(cols, ["日期", "摘要", "支出", "收入", "余额"], strict=True)]
    rows = [("2026-03-01", "期初余额", "", "", "12,045.60"), ("2026-03-05", "工资", "", "8,500.00", "20,545.60"),
            ("2026-03-12", "房租", "3,200.00", "", "17,345.60"), ("2026-03-18", "电费", "186.40", "", "17,159.20"),
            ("2026-03-31", "期末余额", "", "", "17,159.20")]
    items += [(x, 180 + 18 * r, v) for r, row in enumerate(rows) for x, v in zip(cols, row, strict=True) if v]
    doc = DocumentParser().parse(make_pdf([items], size=(595, 842), fontsize=10, fontname="china-s"))
    want = {"3月12日的余额是多少？": "17,345.60", "房租是哪天支付的？": "2026-03-12", "电费支出多少？": "186.40",
            "工资收入是多少？": "8,500.00", "2026-03-18的余额是多少？": "17,159.20", "水费是多少？": None,
            "3月20日的余额是多少？": None, "户名是什么？": "张伟", "客户是谁？": "张伟", "有几笔房租？": "1", "一共有几笔交易？": "3", "对账期间是什么？": "2026年3月1日至2026年3月31日"}
    assert {q: builtin.answer(doc, q).text for q in want} == want


_FOLIO = """
<h2>The Grand Meridian Hotel</h2>
<p>88 Queen's Road, Edinburgh EH2 4NH</p>
<h3>Guest Folio</h3>
<table>
<tr><td>Guest:</td><td>Mr Kenji Watanabe</td></tr><tr><td>Arrival:</td><td>14/05/2026</td></tr>
<tr><td>Departure:</td><td>16/05/2026</td></tr>
</table>
<p></p>
<table>
<tr><th>Date</th><th>Description</th><th>Charges</th><th>Credits</th></tr>
<tr><td>14/05/2026</td><td>Room charge</td><td>189.00</td><td></td></tr>
<tr><td>15/05/2026</td><td>Room charge</td><td>189.00</td><td></td></tr>
<tr><td>15/05/2026</td><td>Minibar</td><td>12.80</td><td></td></tr>
<tr><td>16/05/2026</td><td>Visa payment</td><td></td><td>390.80</td></tr>
</table>
<p>Total charges: 390.80<br/>Balance due: 0.00</p>
<p>Approved by: Anna Kowalska, Front Office Manager</p>
"""


def test_hotel_folio(builtin):
    """"When" takes the date column even where the question says another heading's word ("charged"); a
    label that says the question's words ("Balance due:") beats its family's other labels ("Total
    charges:"); "arrival date" is also "Arrival:"."""
    folio = _read(_FOLIO, "text layer")
    want = {"When was the minibar charged?": "15/05/2026", "How much was the minibar?": "12.80",
            "What is the balance due?": "0.00", "What are the total charges?": "390.80",
            "When is the arrival date?": "14/05/2026", "Which hotel is it?": "The Grand Meridian Hotel",
            "How much was paid by Visa?": "390.80"}
    assert {q: builtin.answer(folio, q).text for q in want} == want


def test_follow_up_questions_in_a_chat(tmp_path):
    """A chat's follow-ups read on the previous question: another day, "it", another row of the same
    table, another field on the same frame."""
    from chatocr import ChatOCR

    path = tmp_path / "statement.pdf"
    path.write_bytes(_pdf())
    chat = ChatOCR(cache_dir=str(tmp_path / "cache")).chat(path)
    turns = [("What is the balance on 12 Mar?", "2,650.36"), ("And on 20 Mar?", "2,562.22"),
             ("and on 25 Mar?", None), ("When was the rent paid?", "12 Mar"), ("How much was it?", "950.00"),
             ("What about Tesco?", "54.20"), ("What is the total paid out?", "1,092.34"),
             ("And the overdraft limit?", "500.00"), ("How much was paid to Octopus Energy?", "88.14"),
             ("And the account number?", "41829377")]
    assert [(q, chat.ask(q).text) for q, _ in turns] == turns
    assert chat.history[1][0] == "What is the balance on 20 Mar?"  # what a follow-up asked, written out


_QUOTE = """
<h2>Brightline Signs Ltd</h2>
<p>4 Mill Yard, Leeds LS2 7EW</p>
<h3>QUOTATION</h3>
<table>
<tr><td>Quote No:</td><td>Q-2026-0193</td></tr><tr><td>Valid until:</td><td>1 April 2026</td></tr>
<tr><td>Prepared for:</td><td>Riverside Dental Practice</td></tr>
</table>
<p></p>
<table>
<tr><th>Item</th><th>Qty</th><th>Unit price</th><th>Amount</th></tr>
<tr><td>Illuminated fascia sign</td><td>1</td><td>2,400.00</td><td>2,400.00</td></tr>
<tr><td>Installation</td><td>1</td><td>450.00</td><td>450.00</td></tr>
</table>
<p>Total: 2,850.00</p>
<p>Lead time: 3 weeks from approval. A 50% deposit is required.</p>
<p>Signed: Mark Ellis</p>
"""


def test_quotation(builtin):
    """A quotation's number and customer by their own labels; "lead time" is a length of time, not a time
    of day; a sentence under the items' table is no row of it ("3" of "3 weeks" is no deposit), and
    "how much" of it may be a percentage."""
    quote = _read(_QUOTE, "text layer")
    want = {"What is the quote number?": "Q-2026-0193", "Who is the quote for?": "Riverside Dental Practice",
            "What is the lead time?": "3 weeks from approval", "How much is the installation?": "450.00",
            "How much deposit is required?": "50%", "What is the total?": "2,850.00"}
    assert {q: builtin.answer(quote, q).text for q in want} == want


def test_a_column_answer_is_boxed_on_its_cell(builtin):
    from chatocr.structure import DocumentParser

    doc = DocumentParser().parse(_pdf())
    got = builtin.answer(doc, "What is the balance on 12 Mar?")
    x0, _, x1, _ = got.evidence[0].bbox
    cell = next(ln for b in doc.pages[0].blocks for ln in b.lines if ln.text == "2,650.36")
    # the balance's own cell, not its row
    assert iou(got.evidence[0].bbox, cell.bbox) > 0.8


def test_periods_are_durations():
    spans = find_durations("for 12 months from 1 Jan 2026 to 31 Dec 2026")
    assert [s.text for s in spans] == ["12 months", "1 Jan 2026 to 31 Dec 2026"]
    assert spans[1].norm == "2026-01-01/2026-12-31"
    assert find_durations("01/03/2026 - 31/03/2026")[0].norm == "2026-03-01/2026-03-31"
    assert find_durations("本合同期限自2024年3月1日起至2027年2月28日止")[0].text == "2024年3月1日起至2027年2月28日"
    # a later date first is no period; two dates side by side are not one either
    assert find_durations("31 Dec 2026 to 1 Jan 2026") == []
    assert find_durations("Date: 2026-01-01 2026-02-01") == []


def test_figures_in_labels_are_not_ocr_slips():
    """A label's number must be the key's: "Balance (01 Mar)" is not "balance 15 mar"."""
    assert label_similarity(["balance", "01", "mar"], ["balance", "15", "mar"]) == 0.0
    assert label_similarity(["balanse", "15", "mar"], ["balance", "15", "mar"]) > 0.8
    assert label_similarity(["balance", "1", "mar"], ["balance", "01", "mar"]) > 0.8


def test_question_words_that_say_whose():
    assert question_key("What is the bank's phone number?")[0].family == "phone"
    assert question_key("What is the statement date?")[0].family == "date"


def test_how_many_counts_a_tables_rows(builtin, statement):
    """"How many …?" counts the rows of a table that say the question's words (the figures of amounts
    left out), or every row where it names them by a word for any row; opening and closing balances are
    no transactions, the header no row; the rows are the evidence.  Before, "How many room charges are
    there?" answered a room charge's amount."""
    folio = _read(_FOLIO, "text layer")
    quote = _read(_QUOTE, "text layer")
    cases = [(statement, "How many transactions are there?", "4"),
             (statement, "How many payments to Tesco?", "1"),
             (statement, "How many rows mention Tesco?", "1"),
             (statement, "How many times was the gym paid?", None),
             (folio, "How many room charges are there?", "2"),
             (folio, "How many items are on the folio?", "4"),
             (folio, "How many nights did the guest stay?", None),
             (quote, "How many items are on the quote?", "2")]
    got = [(q, builtin.answer(doc, q)) for doc, q, _ in cases]
    assert [(q, a.text) for q, a in got] == [(q, want) for _, q, want in cases]
    rooms = got[4][1]
    assert rooms.method == "count" and [e.text for e in rooms.evidence] == [f"{d}/05/2026 Room charge 189.00" for d in (14, 15)]
    assert got[0][1].evidence[0].text.startswith("03 Mar Tesco Stores 2291")


def test_how_many_takes_a_labelled_count_never_an_amount(builtin):
    """A count by its label ("Item(s) : 2"), a quantity as a quantity ("What is the total quantity?": not
    the total to pay), a whole number only."""
    receipt = _read("""<h2>KEDAI RUNCIT ABC</h2><p>No 5 Jalan Bunga, 43000 Kajang</p>
<p>Milo 1kg 2 x 15.90 &nbsp;&nbsp;&nbsp; 31.80<br/>Bread &nbsp;&nbsp;&nbsp; 3.50</p>
<p>Item(s) : 2 &nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; Qty(s) : 3</p><p>TOTAL: 35.30</p>""", "text layer")
    want = {"How many items?": "2", "How many items were bought?": "2", "What is the total quantity?": "3",
            "What is the total?": "35.30"}
    assert {q: builtin.answer(receipt, q).text for q in want} == want
    # "QTY" heads the items' column: the first item's "9 x 13 bags" is no count of the receipt's
    receipt = _read("""<h2>VIVO PACKAGING</h2><table><tr><th>QTY</th><th>PRICE RM</th><th>AMOUNT RM</th></tr>
<tr><td colspan="3">9 x 13 bags (10A)</td></tr><tr><td>1.00 PKT</td><td>0.75</td><td>0.75</td></tr>
<tr><td colspan="3">26 x 33 bags (85HT)</td></tr><tr><td>4.00 PKT</td><td>1.50</td><td>6.00</td></tr></table>
<p>Item Count: 2 &nbsp;&nbsp;&nbsp;&nbsp;&nbsp; Item Qty: 5.00</p><p>TOTAL: 6.75</p>""", "text layer")
    want = {"How many items?": "2", "What is the total quantity?": "5.00"}
    assert {q: builtin.answer(receipt, q).text for q in want} == want


def test_questions_in_other_words(builtin):
    """"at the restaurant" is where, not who ("What was charged at the minibar?" is a row); "check out" is
    a folio's "Departure:"; "Who signed the quote?" is the name after "Signed:" where no contract names
    parties; "How long is the quote valid?" is the date it is valid until; a person's name is asked, not
    the role after it."""
    folio = _read(_FOLIO, "text layer")
    quote = _read(_QUOTE, "text layer")
    want = {"When did the guest check out?": "16/05/2026", "When did the guest check in?": "14/05/2026",
            "What is the check-out date?": "16/05/2026", "What was charged at the minibar?": "12.80",
            "How much was charged at the hotel?": "390.80"}
    assert {q: builtin.answer(folio, q).text for q in want} == want
    assert builtin.answer(folio, "Who approved the folio?").text == "Anna Kowalska"  # not her role
    want = {"Who signed the quote?": "Mark Ellis", "How long is the quote valid?": "until 1 April 2026"}
    assert {q: builtin.answer(quote, q).text for q in want} == want
    assert question_key("What was charged at the restaurant?")[0].family == "custom"
    assert question_key("Which restaurant is it?")[0].family == "seller"


@pytest.mark.parametrize("text, want", [
    ("James Porter, Front Office Manager", "James Porter"), ("Alice Wong, CEO", "Alice Wong"),
    ("Jane Doe, Head of Finance", "Jane Doe"), ("Tom Reed, Purchasing Manager for Northway", "Tom Reed"),
    # no role after the comma: the name as written
    ("Smith, John", "Smith, John"), ("ACME LTD, 12 HIGH STREET", "ACME LTD, 12 HIGH STREET"),
    # a name, then its address
    ("Harper & Cole Architects, 9 Dean Street, Leeds", "Harper & Cole Architects"),
    ("Acme Trading Sdn Bhd", "Acme Trading Sdn Bhd"),
])
def test_a_name_without_its_role(text, want):
    from chatocr.agent.builtin.extract import name_only

    assert name_only(text) == want


_WRAPPED_INVOICE = """
<h2>Northwind Office Supply Ltd</h2><p>22 Canal Street, Manchester M1 3HE<br/>VAT No: GB 284 1182 09</p>
<h3>INVOICE</h3>
<table><tr><td>Invoice No:</td><td>INV-55821</td></tr><tr><td>Due date:</td><td>13 April 2026</td></tr>
<tr><td>Bill to:</td><td>Harper &amp; Cole Architects, 9 Dean Street, Leeds LS1 2AB</td></tr></table>
<p></p>
<table style="width:100%"><tr><th>Description</th><th>Qty</th><th>Unit price</th><th>VAT</th><th>Amount</th></tr>
<tr><td>Ergonomic office chair with adjustable lumbar support, black mesh</td><td>4</td><td>189.00</td><td>20%</td>
<td>756.00</td></tr>
<tr><td>Standing desk, electric, 140 x 70 cm oak top</td><td>2</td><td>420.00</td><td>20%</td><td>840.00</td></tr>
<tr><td>Monitor arm</td><td>4</td><td>45.50</td><td>20%</td><td>182.00</td></tr></table>
<p>Subtotal: 1,778.00<br/>VAT (20%): 355.60<br/><b>Total due: 2,133.60</b></p>
"""


@pytest.mark.parametrize("how", ["text layer", "scan"])
def test_an_invoice_whose_cells_wrap(builtin, how):
    """A heading on two lines ("Unit" over "price") still names its column, a wrapped description still
    names its row; "How many items are on the invoice?" counts the items (not the invoice's number); the
    customer's name and address on one line are each its own."""
    doc = _read(_WRAPPED_INVOICE, how)
    want = {"What is the unit price of the standing desk?": "420.00", "How many office chairs were ordered?": "4",
            "How many items are on the invoice?": "3", "Who is the customer?": "Harper & Cole Architects",
            "What is the customer's address?": "9 Dean Street, Leeds LS1 2AB", "What is the total?": "2,133.60"}
    assert {q: builtin.answer(doc, q).text for q in want} == want


def test_how_many_counts_a_table_continued_over_pages(builtin):
    """A statement's transactions over two pages, the header on each: one table to count."""
    import pymupdf
    from docgen import draw_table

    from chatocr.structure import DocumentParser

    head = ["Date", "Description", "Paid out", "Balance"]
    days = [[f"{d:02d} Mar", f"Card payment {d}", f"{d}.50", f"{1000 - d}.00"] for d in range(1, 13)]
    doc = pymupdf.open()
    for part in (days[:7], days[7:]):
        page = doc.new_page(width=595, height=400)
        page.insert_text((50, 50), "Northfield Bank plc", fontsize=14, fontname="hebo")
        draw_table(page, 46, 80, [head, *part], [80, 200, 80, 80], ruled=False)
    parsed = DocumentParser().parse(doc.tobytes())
    assert sum(b.table is not None for p in parsed.pages for b in p.blocks) == 2
    got = builtin.answer(parsed, "How many transactions are there?")
    assert got.text == "12" and {e.page for e in got.evidence} == {1, 2}


@pytest.mark.parametrize("how", ["text layer", "scan"])
def test_bank_details(builtin, how):
    """An invoice's bank details: the sort code and the SWIFT/BIC each by its own name, the account by
    "Account:" (not "Account name:", which is the account's name), a bank's name up to the next field
    after a comma, a short invoice number whole after its label."""
    doc = _read("""<h2>Acme Ltd</h2><p>Invoice No: 77</p><p>Total: 120.00</p>
<p>Bank details<br/>Bank: Barclays Bank plc<br/>Account name: Acme Ltd<br/>Account: 40018822<br/>
Sort code: 20-45-77<br/>SWIFT/BIC: BARCGB22<br/>IBAN: GB33BUKB20201555555555</p>
<p>Payment terms: 30 days. Pay to Lloyds, Sort code 30-99-50 if paying by cheque.</p>""", how)
    want = {"What is the sort code?": "20-45-77", "What is the SWIFT code?": "BARCGB22", "What is the BIC?": "BARCGB22",
            "What is the account number?": "40018822", "What is the account name?": "Acme Ltd",
            "What is the IBAN?": "GB33BUKB20201555555555", "What is the invoice number?": "77"}
    assert {q: builtin.answer(doc, q).text for q in want} == want


def test_free_text_stops_at_the_next_field_after_a_comma():
    from chatocr.agent.builtin.extract import _cut_at_next_label

    assert _cut_at_next_label("Barclays, Sort code 20-45-77, Account 40018822.") == "Barclays"
    assert _cut_at_next_label("James Porter, Tel 0161 555 0199") == "James Porter"
    assert _cut_at_next_label("Room 12, Floor 3") == "Room 12, Floor 3"  # no field's label after the comma


_FAPIAO = """<h2>增值税专用发票</h2>
<p>发票号码：12345678 &nbsp;&nbsp; 开票日期：2026年03月15日</p>
<p>购买方名称：深圳市星河科技有限公司</p>
<table><tr><th>货物或应税劳务名称</th><th>数量</th><th>单价</th><th>金额</th><th>税率</th><th>税额</th></tr>
<tr><td>办公椅</td><td>4</td><td>250.00</td><td>1000.00</td><td>13%</td><td>130.00</td></tr>
<tr><td>显示器支架</td><td>2</td><td>150.00</td><td>300.00</td><td>13%</td><td>39.00</td></tr></table>
<p>合计：¥1300.00 &nbsp;&nbsp; 税额合计：¥169.00</p>
<p>价税合计（大写）：壹仟肆佰陆拾玖圆整 &nbsp;&nbsp; （小写）¥1469.00</p>
<p>销售方名称：广州市明远办公用品有限公司</p>"""


@pytest.mark.parametrize("how", ["text layer", "scan"])
def test_a_fapiao_on_one_line_and_counted_in_chinese(builtin, how):
    """价税合计 with its amount in words and in figures on one line is the total (not 合计, the sum before
    tax); "有几种商品？" counts the rows, "办公椅有几个？" is the row's quantity."""
    doc = _read(_FAPIAO, how)
    want = {"价税合计是多少？": "¥1469.00", "有几种商品？": "2", "一共有几项？": "2", "办公椅有几个？": "4",
            "有几个办公椅？": "4"}
    assert {q: builtin.answer(doc, q).text for q in want} == want


@pytest.mark.parametrize("how", ["text layer", "scan"])
def test_every_row_a_question_names(builtin, how):
    """Where several rows say what the question names, each row's cell is the answer, joined by "; ",
    each row its evidence (before, the first row alone answered)."""
    folio = _read(_FOLIO, how)
    got = builtin.answer(folio, "When was the room charged?")
    assert got.text == "14/05/2026; 15/05/2026" and len(got.evidence) == 2
    assert builtin.answer(folio, "How much was the room charge?").text == "189.00; 189.00"
    assert builtin.answer(folio, "How much was the minibar?").text == "12.80"


def test_a_scanned_table_the_layout_model_cuts_in_two_is_counted_whole(builtin):
    """On this scan the layout model calls the statement's first rows text and the rest a table; the
    rows under the headings are counted all the same (the parser's table alone held 2 of 4)."""
    from docgen import scanned_pdf
    from kiegen import statement

    from chatocr.structure import DocumentParser

    data, truth = statement(1007)
    doc = DocumentParser().parse(scanned_pdf(data, dpi=150))
    got = builtin.answer(doc, "How many transactions are there?")
    assert got.text == truth.fields["q:transactions"].value == "4"
    assert iou(got.evidence[0].bbox, truth.fields["q:transactions"].bbox) >= 0.5


@pytest.mark.parametrize("how", ["text layer", "scan"])
def test_rows_by_their_own_words(builtin, how):
    """"How many units of electricity did I use at night?" is the night row's units ("use" names no
    row; before it answered the standing charge's "28" from a label); "the day rate" is the day row's
    (its word as it is), not also the standing charge's "28 days"."""
    bill = _read("""<h2>Greenline Energy</h2><h3>Your electricity bill</h3>
<table><tr><th>Charge</th><th>Units</th><th>Rate</th><th>Amount</th></tr>
<tr><td>Electricity used (day)</td><td>212 kWh</td><td>27.35p</td><td>57.98</td></tr>
<tr><td>Electricity used (night)</td><td>96 kWh</td><td>15.10p</td><td>14.50</td></tr>
<tr><td>Standing charge</td><td>28 days</td><td>53.35p</td><td>14.94</td></tr></table>
<p>Total to pay: 87.42</p>""", how)
    want = {"How many units of electricity did I use at night?": "96", "What is the day rate?": "27.35p",
            "What is the night rate?": "15.10p", "How many days is the standing charge for?": "28"}
    assert {q: builtin.answer(bill, q).text for q in want} == want


def test_a_laboratory_report_in_other_words(builtin):
    """"the normal range" is the Reference range column; "How many tests were done?" names the rows by
    the first column's heading ("Test"; the Units column is no quantity of items); the verifier's name
    without the role after it."""
    report = _read("""<h2>Riverside Diagnostics</h2><p>Laboratory report</p>
<table><tr><td>Patient:</td><td>Mr Alan Hughes</td></tr><tr><td>Requested by:</td><td>Dr S. Patel</td></tr></table>
<p></p>
<table><tr><th>Test</th><th>Result</th><th>Units</th><th>Reference range</th><th>Flag</th></tr>
<tr><td>Haemoglobin</td><td>128</td><td>g/L</td><td>130 - 170</td><td>L</td></tr>
<tr><td>Platelets</td><td>245</td><td>x10^9/L</td><td>150 - 400</td><td></td></tr>
<tr><td>Cholesterol</td><td>6.2</td><td>mmol/L</td><td>&lt; 5.0</td><td>H</td></tr></table>
<p>Verified by: J. Morgan, Biomedical Scientist</p>""", "text layer")
    want = {"What is the normal range for platelets?": "150 - 400", "How many tests were done?": "3",
            "Who verified the report?": "J. Morgan", "What are the units for cholesterol?": "mmol/L"}
    assert {q: builtin.answer(report, q).text for q in want} == want


def test_follow_ups_on_a_count(tmp_path):
    """A follow-up on a count counts another row's words ("And to Octopus Energy?" after "How many
    payments to Tesco?"), the preposition the previous question had not said twice."""
    from chatocr import ChatOCR

    path = tmp_path / "statement.pdf"
    path.write_bytes(_pdf())
    chat = ChatOCR(cache_dir=str(tmp_path / "cache")).chat(path)
    turns = [("How many payments to Tesco?", "1"), ("And to Octopus Energy?", "1"),
             ("How many transactions are there?", "4"), ("How much was paid to Tesco?", "54.20"),
             ("And to Octopus Energy?", "88.14")]
    assert [(q, chat.ask(q).text) for q, _ in turns] == turns
    assert chat.history[1][0] == "How many payments to Octopus Energy?"


def test_counting_a_receipts_items(builtin, lines_doc):
    """On a receipt, the items are the rows with figures under a header of items: not the rounding,
    the cash and change under "Payment Mode", nor a GST summary's rows; an item's name on a line of its
    own over its figures is one item.  (Measured on sroie-dev before these rules: "CASH $8.20 / Change
    $0.00" counted as 2 items on 7 of the first 40 receipts.)"""
    def row(y, *cells):
        return [(t, (x, y, x + 7 * len(t), y + 14)) for t, x in cells]

    lines = [*row(40, ("KEDAI MAKAN SRI", 40)), *row(80, ("QTY DESCRIPTION", 20), ("PRICE", 200), ("AMOUNT", 300))]
    for k, (price) in enumerate(("2.30", "1.40", "1.60")):
        lines += row(100 + 20 * k, ("MAKANAN", 20), (price, 200), (f"{price} S", 300))
    lines += row(160, ("Round Adjustmt", 20), ("RM", 200), ("0.00", 300))
    lines += row(220, ("Payment Mode", 20), ("Amount", 300)) + row(240, ("CASH", 20), ("$8.20", 300))
    lines += row(260, ("Change", 20), ("$0.00", 300))
    lines += row(320, ("GST Summary", 20), ("Amount", 200), ("Tax", 300)) + row(340, ("SR @ 6%", 20), ("5.57", 200),
                                                                             ("0.33", 300))
    got = builtin.answer(lines_doc(lines), "How many items?")
    assert got.text == "3" and [e.text for e in got.evidence][0] == "MAKANAN 2.30 2.30 S"
    lines = [*row(40, ("KEDAI KAIN", 40)), *row(80, ("ITEM/DESC", 20), ("QTY", 200), ("PRICE", 260), ("AMT", 330))]
    lines += row(100, ("KAIN BEBOLA (S) SHA BU", 20)) + row(120, ("0412638", 20), ("2", 200), ("14.90", 260),
                                                                  ("29.80", 330))
    lines += row(180, ("TOTAL QTY", 20), ("2", 200))
    assert builtin.answer(lines_doc(lines), "How many items are on the receipt?").text == "1"
