"""Unruled tables (chatocr.structure.unruled): columns kept apart by whitespace alone become table blocks.

Pages are drawn with PyMuPDF (born-digital) and rendered to images for the
scanned path; negative cases (paragraphs, key–value forms, addresses, totals)
must stay text.
"""

from __future__ import annotations

import pymupdf
import pytest
from docgen import draw_table, scanned_pdf

from chatocr.document import Line, Word
from chatocr.options import ParserOptions, TableOptions
from chatocr.structure import DocumentParser
from chatocr.structure.tables import cell_accuracy
from chatocr.structure.unruled import find_unruled_tables, split_chars, split_words

ITEMS = [
    ["Description", "Qty", "Unit price", "Amount"],
    ["Coffee beans", "5", "12.50", "62.50"],
    ["Paper cups", "200", "0.10", "20.00"],
    ["Cleaning service", "1", "45.00", "45.00"],
    ["Delivery", "2", "7.50", "15.00"],
]
PARAGRAPH = (
    "Payment is due within thirty days of the invoice date. Late payments accrue interest at the agreed "
    "rate, and services are delivered according to the schedule attached to this agreement."
)


def _invoice_page(*, table: bool = True) -> bytes:
    """An invoice without a single rule: seller address, key–value fields, an unruled item table, totals, terms."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((50, 70), "INVOICE", fontsize=22, fontname="hebo")
    for k, text in enumerate(("Northwind Traders Ltd", "12 Harbour Road", "Springfield 4410", "United Kingdom")):
        page.insert_text((50, 110 + 15 * k), text, fontsize=10, fontname="helv")
    for k, (key, value) in enumerate((("Invoice No:", "INV-2291"), ("Date:", "2024-01-01"), ("Due:", "2024-01-31"))):
        page.insert_text((360, 110 + 15 * k), key, fontsize=10, fontname="hebo")
        page.insert_text((440, 110 + 15 * k), value, fontsize=10, fontname="helv")
    if table:
        draw_table(page, 50, 220, ITEMS, [220, 60, 100, 100], ruled=False, fontsize=10, row_h=18)
    for k, (key, value) in enumerate((("Subtotal:", "142.50"), ("Tax:", "28.50"), ("Total:", "171.00"))):
        page.insert_text((380, 340 + 15 * k), key, fontsize=10, fontname="hebo")
        page.insert_text((470, 340 + 15 * k), value, fontsize=10, fontname="helv")
    page.insert_textbox(pymupdf.Rect(50, 420, 545, 480), PARAGRAPH, fontsize=10, fontname="helv")
    data = doc.tobytes()
    doc.close()
    return data


def _tables(doc):
    return [b for p in doc.pages for b in p.blocks if b.type == "table"]


@pytest.fixture(scope="module")
def digital_parser():
    return DocumentParser()


# -- born-digital -------------------------------------------------------------------------------


def test_unruled_table_on_a_digital_page_is_one_table_block(digital_parser):
    doc = digital_parser.parse(_invoice_page())
    assert digital_parser._ocr is None  # the text layer alone
    tables = _tables(doc)
    assert len(tables) == 1, [b.text for b in tables]
    t = tables[0].table
    assert (t.n_rows, t.n_cols, t.method) == (5, 4, "aligned")
    assert t.grid() == ITEMS
    assert t.header_rows == 1
    assert all(c.bbox is not None for c in t.cells)
    assert "| Coffee beans | 5 | 12.50 | 62.50 |" in t.to_markdown()
    # header → cell pairs, rows named by their first column
    pairs = {kv.key: kv.value for kv in tables[0].kv}
    assert pairs["Amount (Paper cups)"] == "20.00"
    assert pairs["Qty (Delivery)"] == "2"
    # the fields and totals around it stay key–value text
    kv = {kv.key.rstrip(":"): kv.value for p in doc.pages for b in p.blocks if b.type != "table" for kv in b.kv}
    assert kv.get("Date") == "2024-01-01" and kv.get("Total") == "171.00"


def test_a_row_written_as_one_spaced_line_is_cut_into_cells(digital_parser):
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=400)
    widths = (20, 6, 12, 10)
    for r, row in enumerate(ITEMS):
        text = "".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        page.insert_text((50, 80 + 16 * r), text, fontsize=10, fontname="cour")  # one line per row, monospace
    parsed = digital_parser.parse(doc.tobytes())
    tables = _tables(parsed)
    assert len(tables) == 1
    assert tables[0].table.grid() == ITEMS


def test_pages_without_tables_stay_text(digital_parser):
    doc = digital_parser.parse(_invoice_page(table=False))
    assert _tables(doc) == []
    # two-column prose and a key–value form with aligned values, three and more rows of each
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    for x0, x1 in ((50, 285), (310, 545)):
        page.insert_textbox(pymupdf.Rect(x0, 60, x1, 300), PARAGRAPH * 3, fontsize=10, fontname="helv")
    fields = [
        ("Name", "Jane Smith"),
        ("Date of birth", "1980-04-12"),
        ("Phone", "+44 20 7946 0018"),
        ("Account", "4410 2291 0007"),
        ("Amount", "1,250.00"),
    ]
    for k, (key, value) in enumerate(fields):
        page.insert_text((50, 360 + 16 * k), key + ":", fontsize=10, fontname="hebo")
        page.insert_text((170, 360 + 16 * k), value, fontsize=10, fontname="helv")
        page.insert_text((320, 360 + 16 * k), f"Ref {k + 1}:", fontsize=10, fontname="hebo")
        page.insert_text((400, 360 + 16 * k), f"A-{100 + k}", fontsize=10, fontname="helv")
    assert _tables(digital_parser.parse(doc.tobytes())) == []


def test_the_option_turns_it_off():
    off = DocumentParser(ParserOptions(table=TableOptions(detect_unruled=False)))
    assert _tables(off.parse(_invoice_page())) == []


WRAPPED = [
    ["Item", "Qty", "Unit price", "Amount"],
    ["A4 copier paper, 80gsm, box of five reams, recycled, delivered to the second floor", "2", "24.00", "48.00"],
    ["Stapler", "1", "9.50", "9.50"],
    ["Toner cartridge", "3", "40.00", "120.00"],
    ["Pens", "10", "1.00", "10.00"],
]


def _wrapped_page() -> bytes:
    """An unruled item table whose cells wrap: the heading "Unit price" and the first item's description
    each on two lines, set closer than the rows; a total under the table."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=500)
    page.insert_text((50, 60), "Acme Supplies", fontsize=16, fontname="hebo")
    below = draw_table(page, 46, 90, WRAPPED, [284, 60, 50, 80], ruled=False, row_h=20, wrap=True)
    page.insert_text((390, below + 20), "Total:  187.50", fontsize=10, fontname="hebo")
    data = doc.tobytes()
    doc.close()
    return data


def test_a_table_whose_cells_wrap_is_one_table(digital_parser):
    """A heading or a description on two lines is one cell; before, the run of rows broke at the wrapped
    line, and the header and the first item were left out of the table as text."""
    tables = _tables(digital_parser.parse(_wrapped_page()))
    assert len(tables) == 1, [b.text for b in tables]
    t = tables[0].table
    assert t.grid() == WRAPPED and t.header_rows == 1


def test_a_table_whose_cells_wrap_on_a_scanned_page(ocr_parser):
    tables = _tables(ocr_parser.parse(scanned_pdf(_wrapped_page(), dpi=150)))
    assert len(tables) == 1, [b.text for b in tables]
    assert tables[0].table.n_rows == 5 and cell_accuracy(tables[0].table, WRAPPED) >= 0.9, tables[0].table.grid()


def test_descriptions_with_label_words_under_a_header_are_items():
    """"Room charge" reads as a label ("charge"), but under a header of headings the column is a table's:
    a hotel folio is a table; the same words without a header stay a key–value list."""
    rows = [["Date", "Description", "Amount"], ["03/03/2026", "Room charge", "145.00"],
            ["04/03/2026", "Room charge", "145.00"], ["04/03/2026", "Restaurant", "62.50"],
            ["05/03/2026", "Room charge", "145.00"]]
    found = find_unruled_tables(_grid_lines(rows, [50, 150, 300]))
    assert len(found) == 1 and found[0][1].grid() == rows
    totals = [["Room charge", "435.00"], ["Service charge", "43.50"], ["Total", "478.50"]]
    assert find_unruled_tables(_grid_lines(totals, [50, 300])) == []


_STATEMENT_ROWS = [["Date", "Description", "Paid out", "Paid in", "Balance"],
                   ["01 Mar", "Opening balance", "", "", "1,204.56"],
                   ["03 Mar", "Tesco Stores", "54.20", "", "1,150.36"],
                   ["05 Mar", "Transfer from Ardent Analytics", "", "2,450.00", "3,600.36"],
                   ["12 Mar", "Rent", "950.00", "", "2,650.36"],
                   ["31 Mar", "Closing balance", "", "", "2,650.36"]]


def test_finder_joins_words_of_one_cell_boxed_apart():
    """The OCR may box a cell's words apart ("Transfer from" | "Ardent Analytics"), the second within the
    same column: one cell, not a row that breaks the table off (before, the header and the first rows
    were left out)."""
    xs = [50, 120, 330, 410, 490]
    lines = _grid_lines(_STATEMENT_ROWS, xs)
    split = next(k for k, ln in enumerate(lines) if ln.text.startswith("Transfer"))
    ln = lines[split]
    lines[split:split + 1] = [Line(text="Transfer from", bbox=(ln.bbox[0], ln.bbox[1], ln.bbox[0] + 78, ln.bbox[3])),
                              Line(text="Ardent Analytics", bbox=(ln.bbox[0] + 86, ln.bbox[1], ln.bbox[0] + 182, ln.bbox[3]))]
    found = find_unruled_tables(lines)
    assert len(found) == 1 and found[0][1].grid() == _STATEMENT_ROWS


def test_finder_keeps_a_header_over_a_column_nothing_was_entered_in():
    """A month of payments only: "Paid in" heads an empty column; the header stays the table's."""
    rows = [r for r in _STATEMENT_ROWS if "Transfer" not in r[1]]
    rows[3:3] = [["14 Mar", "Octopus Energy", "88.14", "", "2,562.22"], ["20 Mar", "Netflix", "10.99", "", "2,551.23"]]
    found = find_unruled_tables(_grid_lines(rows, [50, 120, 330, 410, 490]))
    assert len(found) == 1 and found[0][1].grid()[0] == _STATEMENT_ROWS[0] and found[0][1].n_rows == len(rows)


# -- scanned (OCR) --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ocr_parser(engine):
    return DocumentParser(ocr=engine)


def test_unruled_table_on_a_scanned_page(ocr_parser):
    doc = ocr_parser.parse(scanned_pdf(_invoice_page(), dpi=150))
    assert doc.pages[0].source == "ocr"
    tables = _tables(doc)
    assert len(tables) == 1, [b.text for b in tables]
    assert cell_accuracy(tables[0].table, ITEMS) >= 0.9, tables[0].table.grid()
    text = " ".join(b.text for b in doc.pages[0].blocks if b.type != "table")
    assert "Springfield" in text and "Total" in text and "Coffee" not in text


def test_no_table_on_a_scanned_form_without_one(ocr_parser):
    doc = ocr_parser.parse(scanned_pdf(_invoice_page(table=False), dpi=150))
    assert _tables(doc) == []


# -- the finder on known lines --------------------------------------------------------------------


def _grid_lines(rows: list[list[str]], xs: list[float], *, y0: float = 100, row_h: float = 18) -> list[Line]:
    out = []
    for r, row in enumerate(rows):
        for text, x in zip(row, xs, strict=False):
            if text:
                out.append(Line(text=text, bbox=(x, y0 + r * row_h, x + 6 * len(text), y0 + r * row_h + 12)))
    return out


def test_finder_reads_a_table_and_leaves_the_lines_around_it():
    lines = _grid_lines([["Acme Ltd"], ["1 High Street"]], [50])
    lines += _grid_lines(ITEMS, [50, 200, 260, 340], y0=150)
    lines += _grid_lines([["Thank you for your business"]], [50], y0=260)
    found = find_unruled_tables(lines)
    assert len(found) == 1
    ids, table = found[0]
    assert ids == list(range(2, 2 + 20)) and table.grid() == ITEMS


def test_finder_keeps_a_last_row_of_three_cells_and_leaves_a_total_under_it():
    """A statement's closing row fills three of five columns: the table's; "Total  12.00" under it is not."""
    rows = [["Date", "Description", "Paid out", "Paid in", "Balance"],
            ["01 Mar", "Opening balance", "", "", "1,204.56"],
            ["03 Mar", "Tesco Stores", "54.20", "", "1,150.36"],
            ["05 Mar", "Salary", "", "2,450.00", "3,600.36"],
            ["12 Mar", "Rent", "950.00", "", "2,650.36"],
            ["31 Mar", "Closing balance", "", "", "2,650.36"]]
    xs = [50, 120, 260, 330, 400]
    lines = _grid_lines(rows, xs) + _grid_lines([["Total paid out", "", "1,004.20"]], xs, y0=100 + 6 * 18)
    found = find_unruled_tables(lines)
    assert len(found) == 1 and found[0][1].grid() == rows


@pytest.mark.parametrize(
    "rows, xs",
    [
        # totals: label and amount, no header
        ([["Subtotal", "142.50"], ["Tax", "28.50"], ["Total", "171.00"], ["Cash", "200.00"]], [50, 300]),
        # labels with colons in three columns
        (
            [["Date:", "2024-01-01", "Ref:"], ["Due:", "2024-01-31", "PO:"], ["Terms:", "30 days", "Page:"]],
            [50, 150, 300],
        ),
        # a currency is the front of its amount, not a column: still label and amount
        ([["TOTAL", "RM", "86.00"], ["CASH", "RM", "100.00"], ["CHANGE", "RM", "14.00"]], [50, 250, 290]),
        # two columns of words: no header, no numbers
        ([["Alice Smith", "Bob Jones"], ["Carol White", "Dan Brown"], ["Eve Black", "Frank Green"]], [50, 300]),
        # an address
        ([["12 Harbour Road"], ["Springfield 4410"], ["United Kingdom"], ["Tel 020 7946 0018"]], [50]),
        # only two rows
        ([["Item", "Qty", "Amount"], ["Coffee", "2", "7.00"]], [50, 200, 300]),
    ],
)
def test_finder_leaves_what_is_not_a_table(rows, xs):
    assert find_unruled_tables(_grid_lines(rows, xs)) == []


def test_finder_rejects_prose_in_page_columns():
    words = PARAGRAPH.split()
    rows = [[" ".join(words[k : k + 7]), " ".join(words[k + 7 : k + 14]), str(k)] for k in range(0, 28, 7)]
    lines = []
    for r, row in enumerate(rows):
        for text, x in zip(row, (50, 320, 560), strict=True):
            lines.append(Line(text=text, bbox=(x, 100 + 14 * r, x + 240 if x < 560 else x + 10, 112 + 14 * r)))
    assert find_unruled_tables(lines) == []


def test_split_words_and_split_chars_cut_at_wide_gaps_only():
    line = Line(text="Coffee beans 5 12.50", bbox=(0, 0, 300, 12), source="text_layer")
    words = [(0, 30, "Coffee"), (33, 60, "beans"), (150, 156, "5"), (200, 225, "12.50")]
    assert [p.text for p in split_words(line, words)] == ["Coffee beans", "5", "12.50"]
    assert split_words(line, words[:2]) == [line]
    # OCR: one box over two cells; centres 8 px apart inside words, a 60 px gap before "5"
    text = "Paper cups  5"
    centres = [10 + 8 * k for k in range(10)] + [94, 102, 170]
    pieces = split_chars(Line(text=text, bbox=(6, 0, 176, 20)), centres)
    assert [p.text for p in pieces] == ["Paper cups", "5"]
    assert pieces[0].bbox[0] == 6 and pieces[1].bbox[2] == 176 and pieces[0].bbox[2] < pieces[1].bbox[0]
    assert split_chars(Line(text=text, bbox=(6, 0, 176, 20)), None)[0].text == text


def test_cut_lines_keep_their_own_words():
    words = [(0, 30, "Coffee"), (33, 60, "beans"), (150, 156, "5"), (200, 225, "12.50")]
    line = Line(text="Coffee beans 5 12.50", bbox=(0, 0, 300, 12), source="text_layer",
                words=tuple(Word(text=t, bbox=(a, 0, b, 12)) for a, b, t in words))
    pieces = split_words(line, words)
    assert [[w.text for w in p.words] for p in pieces] == [["Coffee", "beans"], ["5"], ["12.50"]]
    assert pieces[2].span_box(0, 5) == (200, 0, 225, 12)


def test_a_scanned_statement_is_one_table(ocr_parser):
    """A generated statement scanned at 150 dpi: its transactions one table with its header, a payee's
    words the OCR boxed apart one cell (before: the header and three rows were text, the rest a table)."""
    from kiegen import statement

    data, truth = statement(1008)
    doc = ocr_parser.parse(scanned_pdf(data, dpi=150))
    tables = _tables(doc)
    assert len(tables) == 1
    grid = tables[0].table.grid()
    assert grid[0] == ["Date", "Description", "Paid out", "Paid in", "Balance"]
    assert len(grid) == int(truth.fields["q:transactions"].value) + 3
    assert ["07/11/2025", "Transfer from Ardent Analytics", "", "705.76", "3,072.11"] in grid
