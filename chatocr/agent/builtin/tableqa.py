"""A table's cell asked for by its row and its column.

``answer_from_table``: an item table's ("How many drawing pens were ordered?", "What is the unit price of
the plotter paper?", "What is the delivery charge?", "打印纸的单价是多少？").  The page's rows are read as
the table is laid out, whether the parser made a table of it or not: a header row names the columns
(two or more of quantity, unit price, amount words), an item row below it holds every word the question
names the item by (by stem), and the answer is the item row's line under the asked column's header, of
the column's type.  The column comes from the question's words ("unit price", "qty", "单价"), else from
how it asks ("how many": the quantity; "how much", "cost", "charge": the amount, else the unit price).

``answer_from_columns``: any table's, by its headings ("What is the balance on 12 Mar?" on a bank
statement, "What is the hourly rate for basic pay?" on a payslip, "What is the platelet count?" on a
laboratory report); a day the question names is matched as a day ("5 Mar" is the row "05 Mar").

No header, no item row or no cell there → ``None``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...document import Document
from ...geometry import union
from ..grounding import value_box
from ..results import Answer, Evidence
from . import validators as V
from .labels import any_label_score
from .layout import VLine

if TYPE_CHECKING:
    from .engine import BuiltinEngine

__all__ = ["answer_from_table", "answer_from_columns", "column_of", "count_rows", "days_named"]

# a column's header words, by what the column holds
_COLUMNS: dict[str, tuple[str, ...]] = {
    "quantity": ("qty", "quantity", "qnty", "units", "pcs", "数量"),
    "unit price": ("unit price", "price", "unit cost", "rate", "price each", "单价"),
    "amount": ("amount", "line total", "total", "value", "cost", "金额"),
    "tax rate": ("tax rate", "vat rate", "tax", "vat", "税率"),
    "tax": ("tax amount", "vat amount", "税额"),
}
_VTYPE = {"quantity": "number", "unit price": "money", "amount": "money", "tax rate": "percent", "tax": "money"}
_HOW = [(re.compile(r"(?i)\bhow many\b|多少个|几个|几件|数量"), "quantity"),
        (re.compile(r"(?i)\bhow much\b|\bcost\b|\bcharged?\b|\bfee\b|多少钱|金额"), "amount")]
# words a question asks with that do not name the item
_ASKING = {"ordered", "order", "bought", "buy", "purchased", "purchase", "charged", "charge", "cost", "costs",
           "billed", "invoiced", "sold", "supplied", "delivered", "price", "unit", "units", "per", "each", "quantity",
           "qty", "amount", "total", "line", "number", "fee", "use", "used", "usage", "consumed"}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+|[\u4e00-\u9fff]", text.lower())


def column_of(text: str) -> str | None:
    t = " ".join(_words(text))
    cjk = "".join(re.findall(r"[\u4e00-\u9fff]", text))
    for col, words in _COLUMNS.items():
        if any(t == w or (cjk and cjk == w) for w in words):
            return col
    return None


def _asked_column(question: str) -> str | None:
    q = " ".join(_words(question))
    qz = "".join(re.findall(r"[\u4e00-\u9fff]", question))
    for col, words in (("tax rate", ("tax rate", "vat rate", "税率")), ("tax", ("tax amount", "vat amount", "税额")),
                       ("unit price", _COLUMNS["unit price"][:4] + ("单价",)), ("quantity", _COLUMNS["quantity"]),
                       ("amount", ("amount", "line total", "金额"))):
        if any(re.search(rf"\b{re.escape(w)}\b", q) if w.isascii() else w in qz for w in words):
            return col
    return next((col for rx, col in _HOW if rx.search(question)), None)


def answer_from_table(engine: BuiltinEngine, doc: Document, question: str) -> Answer | None:
    from .qa import _STOP, _stem_match

    col = _asked_column(question)
    if col is None:
        return None
    zh = bool(re.search(r"[\u4e00-\u9fff]", question))
    if zh:
        rest = re.sub(r"单价|数量|金额|税率|税额|多少钱|多少|是|的|几个|几件|有|一共|共|[？?，。\s]", " ", question)
        item = [r for r in re.findall(r"[\u4e00-\u9fff]+|[A-Za-z0-9]+", rest) if len(r) >= 2 or r.isascii()]
    else:
        item = [w for w in _words(question) if w not in _STOP and w not in _ASKING and len(w) > 1]
    if not item:
        return None
    view = engine._get_view(doc)
    for page in view.pages.values():
        for r, row in enumerate(page.rows):
            header = {v.idx: column_of(_heading_text(page.rows, r, v)) for v in row}
            if sum(c is not None for c in header.values()) < 2:
                continue
            heads = [v for v in row if header[v.idx] == col] or (
                [v for v in row if header[v.idx] == "unit price"] if col == "amount" else [])
            if not heads:
                continue
            head = heads[-1]
            hits: list[tuple[str, Evidence, int]] = []
            for below in page.rows[r + 1 : r + 41]:
                text = " ".join(v.text for v in below)
                if _LABELLED.match(text):
                    continue  # "Item(s) : 3  Qty(s) : 6" under the items: labels and their values, no item
                if zh:
                    if not all(w in text for w in item):
                        continue
                else:
                    said = set(_words(text))
                    if not all(_stem_match(w, said) for w in item):
                        continue
                cell = _under(below, head)
                if cell is None or sum(_overlap(cell, h) > 0 for h in row) >= 3:
                    continue  # a line across the columns (a sentence under the table) is no cell of it
                found = _typed(cell, _VTYPE[header[head.idx]])
                if found is None:
                    continue
                hit = value_box([cell.line], found) if cell.line is not None else None
                ev = Evidence(page=cell.page, bbox=hit[0] if hit else cell.bbox, text=text)
                hits.append((found, ev, sum(w in (text if zh else set(_words(text))) for w in item)))
            if hits:  # every item row that says the item's words, those that say them as they are first
                best = max(n for _, _, n in hits)
                hits = [h for h in hits if h[2] == best]
                return Answer(question=question, text="; ".join(f for f, _, _ in hits),
                              evidence=tuple(ev for _, ev, _ in hits), confidence=0.7, method="table")
    return None


def _heading_text(rows: list[list[VLine]], r: int, v: VLine) -> str:
    """The heading ``v`` of row ``r`` with its next lines, where it wraps ("Unit" over "price"): words
    right under it, closer than half a line's height."""
    text, bottom = v.text, v.bbox[3]
    for below in rows[r + 1 : r + 3]:
        under = [u for u in below if _overlap(u, v) > 0 and u.bbox[1] - bottom < 0.5 * v.h
                 and not re.search(r"\d", u.text)]
        if not under:
            break
        text += " " + " ".join(u.text for u in under)
        bottom = max(u.bbox[3] for u in under)
    return text


_LABELLED = re.compile(r"\s*[^\d:：]{2,30}[:：]")


def _overlap(v, head) -> float:
    """How far two lines or cells overlap along x (negative: the gap between them)."""
    return min(v.bbox[2], head.bbox[2]) - max(v.bbox[0], head.bbox[0])


def _under(row: list[VLine], head: VLine) -> VLine | None:
    """The line of ``row`` in the column ``head`` heads: the most overlap along x, else the nearest
    centre within the header's width."""
    best = max(row, key=lambda v: _overlap(v, head))
    if _overlap(best, head) > 0:
        return best
    cx = (head.bbox[0] + head.bbox[2]) / 2
    near = min(row, key=lambda v: abs((v.bbox[0] + v.bbox[2]) / 2 - cx))
    return near if abs((near.bbox[0] + near.bbox[2]) / 2 - cx) < max(head.bbox[2] - head.bbox[0], 3 * head.h) else None


def _typed(cell: VLine, vtype: str) -> str | None:
    if vtype == "percent":
        m = re.search(r"\d+(?:[.,]\d+)?\s*%", cell.text)
        return m.group() if m else None
    if vtype == "number":
        m = re.search(r"\d+(?:[.,]\d+)?", cell.text)
        return m.group() if m else None
    # an amount, or a bare figure that is the whole cell ("450" in the Amount column)
    spans = [sp for sp in V.find_money(cell.text) if sp.score >= 0.8 or sp.text == cell.text.strip()]
    return spans[0].text if spans else None


# asking words that do not name a row: how money moved or a thing was done ("When was the rent paid?")
_DONE = {"paid", "pay", "payment", "received", "receive", "made", "done", "performed", "carried", "spent",
         "transferred", "sent", "debited",
         "credited", "taken", "booked", "recorded", "entered", "listed", "logged", "scheduled", "held", "due",
         "worked", "used", "deducted", "withheld", "earned", "owed", "billed", "charged", "ordered", "bought"}
# a header that names a column of dates, and of times
_DATE_HEADS = ("date", "day", "when", "日期", "时间")
_HEADING = re.compile(r"[^\W\d_][\w&/.'’() -]{0,40}")
# words that ask without naming a row or a column
_ASKING_WORDS = {"much", "many", "amount", "value", "figure", "entry", "row", "line", "listed", "shown", "count",
                 "level", "levels", "reading"}
# headings of the column a row's value stands in, when the question names none ("What is the platelet
# count?" on a table of tests: its Result)
_VALUE_HEADS = {"result", "results", "value", "values", "reading", "score", "level"}
# a question's word for a heading's ("the normal range": Reference range)
_HEADING_SAID = {"normal": ("reference",), "ref": ("reference",)}
# headings of a column that runs through the rows rather than saying what a row's item cost
_RUNNING = {"balance", "running", "cumulative", "brought", "carried"}
# headings of the column that says what a row's item came to
_AMOUNT = {"amount", "total", "value", "sum", "net", "subtotal"}
# a cell that is an amount ("1,204.56", "-43.78", "£12.00 CR"): its figures name no row
_AMOUNT_CELL = re.compile(r"[-+(]?[^\w\s]{0,3}\s?\d{1,3}(?:[,.\s]\d{3})*[.,]\d{2}\)?(?:\s?[A-Z]{3}|\s?(?:CR|DR))?")
# "12 Mar", "March 12, 2026"
_DAY_MONTH = re.compile(r"(?i)\b(\d{1,2})\s+([a-z]{3,9})\.?(?:\s+(\d{4}))?\b|\b([a-z]{3,9})\.?\s+(\d{1,2})\b(?:,?\s+(\d{4}))?")
_DAY_MONTH_ZH = re.compile(r"(?<![\d年])(\d{1,2})月(\d{1,2})[日号]")
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_name) if m}


def _heading(text: str) -> bool:
    """A column's heading: a few words of letters, no figures ("Paid out", "Description", "日期")."""
    t = text.strip()
    return bool(_HEADING.fullmatch(t)) and len(t.split()) <= 4  # not "Account holder:" (a label)


def answer_from_columns(engine: BuiltinEngine, doc: Document, question: str,
                        vtype: str | None = None) -> Answer | None:
    """A cell of any table by its column's heading and its row's words: "What is the balance on 12
    Mar?", "When was the rent paid?" on a statement's table of transactions, "What is the rate for
    Tier 2?" on a price list.

    A row's cells are its lines cut at gaps wider than a line's height (a text layer may give a table's
    row as one line).  The header is a row of two or more headings; the column is the heading every
    word of which the question says (the most words, then the most said as they are, when several do;
    else the date column for "when", the results column for a question of no type); the row is the
    first below the header that says every other content word of the question (by stem; its amounts'
    figures do not count) and the day the question names, if it names one.  Its cell under the heading
    is the answer: a date where "when", an amount where "how much", else the cell as written.  A heading
    over the row's own words ("Deductions" over "Pension") names no column: "how much" then takes the
    row's one amount outside a running balance (of several, the amount column's).  None where the
    question names no column or no row says its words; an answer with no text where that row's cell is
    empty (the table does not say)."""
    from .qa import _STOP, _qtype, _stem_match

    zh = bool(re.search(r"[\u4e00-\u9fff]", question))
    form = _qtype(question)  # how it asks ("when": a date)
    qt = form or vtype  # else the type its key's words say ("the basic pay")
    if zh and qt is None and re.search(r"多少", question):
        qt = "money"  # "电费支出多少？"
    qwords = _figured(question)
    # a day the question names ("12 Mar", "03/03/2025") is matched as a day, not as its words
    days, day_words = days_named(question)
    view = engine._get_view(doc)
    for page in view.pages.values():
        for r, row in enumerate(page.rows):
            cells = _cells(row)
            if len(cells) < 2 or not all(_heading(c.text) for c in cells):
                continue
            if zh:
                head, item = _named_column_zh(cells, question, qt, days)
            else:
                head = _named_column(cells, qwords, qt)
                heads = {w for c in cells for w in _words(c.text)}
                heads |= {w for w, says in _HEADING_SAID.items() if heads & set(says)}  # "normal": Reference
                item = [w for w in qwords if w not in _STOP and w not in _DONE and w not in _ASKING_WORDS
                        and not _stem_match(w, heads) and w not in day_words]
            if head is None and qt != "money":
                continue
            if not item and not days:
                continue
            hits: list[tuple[_Cell, str, list[VLine]]] = []
            empty = False  # a row the question names has nothing where it asks: the table does not say
            for below in page.rows[r + 1 : r + 81]:
                bcells = _cells(below)
                if any(sum(_overlap(c, h) > 0 for h in cells) >= (2 if len(bcells) == 1 else 3) for c in bcells):
                    continue  # a sentence across the columns, under the table: no row of it
                # the row's words, not the figures of its amounts ("2" of "2,202.82" is no day "2 Nov")
                words = " ".join(c.text for c in bcells if not _AMOUNT_CELL.fullmatch(c.text.strip()))
                said = set(_figured(words))
                if not all((w in words) if zh else _stem_match(w, said) for w in item) or (
                        days and not days & days_named(" | ".join(c.text for c in bcells))[0]):
                    continue
                cell = _within(bcells, head) if head is not None else None
                own = cell is not None and bool(item) and all(
                    (w in cell.text) if zh else _stem_match(w, set(_figured(cell.text))) for w in item)
                if head is not None and not own:
                    if cell is None:
                        empty = True
                        continue
                    # as the question asks for it ("when": a date), else the cell as written ("27.75" for a rate)
                    found = _cell_value(cell.text, form) or cell.text.strip()
                else:  # the heading of the row's own label ("Deductions" over "Pension"): no column
                    if qt != "money":
                        break
                    cell = _one_amount(bcells, cells)  # "How much was paid to Octopus Energy?": the row's one amount
                    found = _cell_value(cell.text, "money") if cell is not None else None
                    if found is None:
                        empty = True
                        continue
                hits.append((cell, found, below))
            if hits:  # every row the question names ("When was Tesco paid?": "03 Mar; 08 Mar"), those that
                # say its words as they are before those that say them in another form ("day": not "28 days")
                exact = [sum(w in set(_figured(" ".join(v.text for v in row))) for w in item) for _, _, row in hits]
                hits = [h for h, n in zip(hits, exact, strict=True) if n == max(exact)]
                return _cells_answer(question, page.page, hits)
            if empty:
                return Answer(question=question, text=None, method="table")
    return None


# nouns that count a table's rows whatever they hold ("How many items are on the order?")
_ROW_NOUNS = {"item", "items", "line", "lines", "row", "rows", "entry", "entries", "transaction", "transactions",
              "product", "products", "article", "articles", "position", "positions", "record", "records", "time",
              "times", "purchase", "purchases", "different", "separate", "distinct", "there"}
# verbs a question says what rows say with ("How many rows mention Tesco?"), and where they are
_SAYING = {"mention", "mentions", "say", "says", "show", "shows", "contain", "contains", "include", "includes",
           "refer", "refers", "name", "names",
           # and where the rows are, beside the documents that say whose a field is
           "folio", "page", "pages", "table", "list", "form", "report", "payslip", "schedule", "sheet"}
# how a Chinese question asks how many, and the words for any row ("有几种商品？")
_COUNT_ZH = re.compile(r"一共|总共|共|有|几[种个项笔件行条次]|多少[种个项笔件行条次]|是|的|了|吗|呢|发票|合同|协议|单据|对账单|"
                       r"收据|订单|报价单|这张|这份|本|该|上|中|里|[？?，。、\s]")
_ROW_NOUNS_ZH = {"商品", "货物", "产品", "项目", "服务", "交易", "记录", "明细", "条目", "货物或应税劳务"}
# a figure standing alone ("2", "14.90", "05 Mar"), not one inside a word ("600PCS", "A4")
_FIGURE = re.compile(r"(?<![\w.])\d+(?:[.,:/-]\d+)*(?![\w.])")
# the headings of a table of items, transactions, tests … (whose every row counts)
_ITEM_HEADS = {"item", "items", "description", "desc", "product", "products", "particulars", "details", "goods",
               "service", "services", "article", "transaction", "transactions", "test", "tests", "charge", "charges",
               "qty", "quantity", "payee", "narrative", "reference"}
_ITEM_HEADS_ZH = ("项目", "商品", "名称", "货物", "摘要", "品名", "数量")
# the fields of a receipt's or a bill's money under its items: no items themselves
_MONEY_FIELDS = {"total", "subtotal", "tax", "discount", "cash", "change", "tax rate"}
# a row that sums up or carries over the others is not one of them
_SUMMARY = {"total", "subtotal", "opening", "closing", "brought", "carried", "rounding", "adjustment", "adjustmt", "adj"}


def count_rows(engine: BuiltinEngine, doc: Document, question: str, *, named: int = 0) -> Answer | None:
    """For "how many …?": the count of a table's rows that say every word the question names them by
    ("How many room charges are there?", "How many payments to Tesco?": by stem, the figures of amounts
    left out), or of the largest table's rows where it names them by a word for any row ("How many items
    are on the order?", "How many transactions are there?"; tables under one header, a table continued
    over pages, are one); the header and rows that sum up or carry
    over (Total, Opening balance) are not counted.  The rows counted are the evidence.  None where the
    document has no table, or no row says the question's words; with ``named``, also where the question
    names no row by its words or fewer than ``named`` rows say them."""
    from .qa import _OWNER, _STOP, _stem_match

    zh = bool(re.search(r"[\u4e00-\u9fff]", question))
    if zh:  # "有几种商品？" (every row), "有几笔房租？" (the rows that say 房租)
        rest = _COUNT_ZH.sub(" ", question)
        runs = re.findall(r"[\u4e00-\u9fff]{2,}|[A-Za-z0-9]{2,}", rest)
        item = [r for r in runs if r not in _ROW_NOUNS_ZH]
        # "一共有几项？": the measure word says what is counted, the rows
        asked = runs or (["项目"] if re.search(r"(?:几|多少)[项种笔行条]", question) else [])
    else:
        # "payments", "charges" as the question's verbs say them ("paid", "charged"): no row's words
        asked = [w for w in _figured(question) if w not in _STOP and not _stem_match(w, _DONE)]
        item = [w for w in asked
                if w not in _OWNER and w not in _ASKING_WORDS and w not in _ROW_NOUNS and w not in _SAYING]
    if not item and (named or not any(w in _ROW_NOUNS or w in _ROW_NOUNS_ZH for w in asked)):
        return None
    counts: dict[tuple[str, ...], list[Evidence]] = {}  # by the table's header: one table over pages
    every = False  # the question names the rows by a word for any row, or by a heading ("How many tests?")
    for page, key, heads, body in _tables_of(engine, doc):
        if item and any(set(_words(t)) & {"qty", "quantity", "qnty"} or "数量" in t for t in heads):
            continue  # "How many oak doors?" where a column says how many: its quantity, not a count
        headed = set() if zh else {w for h in heads for w in _words(h)}
        naming = [w for w in item if not _stem_match(w, headed)]
        if item and not naming and heads:
            every = True  # "How many tests were done?" under "Test | Result | …": every row
        elif not naming and not (headed & _ITEM_HEADS or any(h in t for t in heads for h in _ITEM_HEADS_ZH)):
            continue  # every row of a table of items, not of a summary ("GST Summary | Amount | Tax", "Payment Mode")
        found: list[Evidence] = []
        full = max(len(heads), *(len(cells) for cells in body))
        for cells in body:
            if len(cells) <= 2 < full and _has_amount(cells[-1][0], whole=True):
                continue  # a label and an amount under rows of more cells: "Tax (20%)  93.35", "应付金额 ¥1,026.85"
            words = " ".join(t for t, _ in cells if not _AMOUNT_CELL.fullmatch(t.strip()))
            said = set(_figured(words))
            if said & _SUMMARY - set(item) or re.search(r"合\s*计|总\s*计|小\s*计|税\s*额|期\s*[初末]", words):
                continue
            if any_label_score(cells[0][0])[1] in _MONEY_FIELDS:
                continue  # "CASH $8.20", "Change $0.00", "Rounding -0.02" under a receipt's items
            if len(cells) < 2 or not any(_FIGURE.search(t) for t, _ in cells):
                continue  # an item's name on a line of its own over its figures ('WALL SCRAPER 3"'): no row
            if not all((w in words) if zh else _stem_match(w, said) for w in naming):
                continue
            found.append(Evidence(page=page, bbox=union([b for _, b in cells]), text=" ".join(t for t, _ in cells)))
        if found and (naming or not item or every):
            counts.setdefault(tuple(heads) or key, []).extend(found)
    tables = list(counts.values())
    if item and not every:  # the rows that say the question's words, in every table
        rows_found = [e for rows in tables for e in rows]
    else:  # every row of the largest table
        rows_found = max(tables, key=len, default=[])
    if not rows_found or len(rows_found) < named:
        return None
    return Answer(question=question, text=str(len(rows_found)), evidence=tuple(rows_found), confidence=0.6,
                  method="count")


def _has_amount(text: str, *, whole: bool = False) -> bool:
    """Whether ``text`` holds an amount that reads as one ("$8.20", "EUR 4,276.43"); ``whole``: the amount is
    most of it (a currency or a few characters beside it)."""
    t = text.strip()
    return any(sp.score >= 0.8 and (not whole or len(sp.text) >= len(t) - 4) for sp in V.find_money(t))


def _tables_of(engine: BuiltinEngine, doc: Document):
    """Each table of the document as (page, key, header cells' texts, body rows as [(text, box)]): the rows
    under a row of two or more headings on a page, while they stay in its columns a line's height apart
    or so (a wrapped cell's next line joins its row); then the parser's tables where those found none
    of their rows (the layout model may cut a scanned table in two, a text region and a table region)."""
    view = engine._get_view(doc)
    seen: list[tuple[int, tuple[float, float, float, float]]] = []
    for vpage in view.pages.values():
        rows = vpage.rows
        r = 0
        while r < len(rows):
            head = _cells(rows[r])
            if len(head) < 2 or not all(_heading(c.text) for c in head):
                r += 1
                continue
            body: list[list[tuple[str, tuple]]] = []
            bottom = max(v.bbox[3] for v in rows[r])
            k = r + 1
            while k < len(rows):
                cells = _joined_cells(_cells(rows[k]), vpage.line_h)
                top = min(v.bbox[1] for v in rows[k])
                if (body and len(cells) == 1 and top - bottom < 0.5 * vpage.line_h
                        and sum(_overlap(cells[0], h) > 0 for h in head) == 1):
                    text, box = body[-1][0]  # a wrapped cell's next line: its row goes on
                    body[-1][0] = (text, union([box, cells[0].bbox]))
                elif (len(cells) == 1 and top - bottom <= 1.5 * vpage.line_h and not _LABELLED.match(cells[0].text)
                      and (sum(_overlap(cells[0], h) > 0 for h in head) == 1
                           or not _has_amount(cells[0].text))):
                    # a receipt's item name on a line of its own, over or under its figures: the table goes on
                    body.append([(cells[0].text, cells[0].bbox)])
                elif (top - bottom > 1.5 * vpage.line_h or len(cells) < 2 or any(_LABELLED.match(c.text) for c in cells)
                        or any(sum(_overlap(c, h) > 0 for h in head) >= 3 for c in cells)
                        or not all(any(_overlap(c, h) > -vpage.line_h for h in head) for c in cells)):
                    break  # a gap, a line across the columns, labels ("Item(s) : 3"), or cells outside the
                    # columns: the table has ended
                else:
                    body.append([(c.text, c.bbox) for c in cells])
                bottom = max(v.bbox[3] for v in rows[k])
                k += 1
            figured = sum(any(_AMOUNT_CELL.fullmatch(t.strip()) or re.fullmatch(r"\d{1,4}", t.strip()) for t, _ in cells)
                          for cells in body)
            if body and 2 * figured >= len(body):  # items, transactions: rows of figures (not two blocks of lines)
                seen += [(vpage.page, box) for cells in body for _, box in cells]
                yield vpage.page, (f"p{vpage.page}-r{r}",), [c.text for c in head], body
            r = k
    for page in doc.pages:
        for block in page.blocks:
            table = block.table
            if table is None or table.n_rows < 2 or table.n_cols < 2:
                continue
            rows: dict[int, list] = {}
            for c in table.cells:
                rows.setdefault(c.row, []).append(c)
            first = [c.text for c in sorted(rows.get(0, []), key=lambda c: c.col) if c.text.strip()]
            header = table.header_rows or int(len(first) >= 2 and all(_heading(t) for t in first))
            body = []
            for r in range(header, table.n_rows):
                cells = [(c.text, c.bbox or block.bbox) for c in sorted(rows.get(r, []), key=lambda c: c.col)
                         if c.text.strip()]
                if cells:
                    body.append(cells)
            if any(p == page.page and _mostly_shared(box, b) for cells in body for _, b in cells for p, box in seen):
                continue  # its rows were found under their headings above
            yield page.page, (block.id,), first if header else [], body


def _joined_cells(cells: list[_Cell], line_h: float) -> list[_Cell]:
    """Neighbouring cells closer than most of a line's height joined: words of one cell the OCR boxed
    apart ("Transfer from" | "Ardent Analytics")."""
    out: list[_Cell] = []
    for c in cells:
        if out and c.bbox[0] - out[-1].bbox[2] < 0.8 * line_h:
            out[-1] = _Cell(f"{out[-1].text} {c.text}", union([out[-1].bbox, c.bbox]))
        else:
            out.append(c)
    return out


def _mostly_shared(a: tuple, b: tuple) -> bool:
    """Whether boxes ``a`` and ``b`` overlap by more than half of the smaller."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w > 0 and h > 0 and w * h > 0.5 * max(small, 1e-6)


def days_named(text: str) -> tuple[set[tuple[int, int]], set[str]]:
    """The days ``text`` names as (month, day), with or without a year ("12 Mar", "March 12", "03/03/2025"),
    and the words that name them."""
    out: set[tuple[int, int]] = set()
    words: set[str] = set()
    for sp in V.find_dates(text):
        y, m, d = (int(x) for x in sp.norm.split("-"))
        out.add((m, d))
        words.update(_figured(sp.text))
    for mt in _DAY_MONTH_ZH.finditer(text):  # "3月12日" without its year
        m, d = int(mt.group(1)), int(mt.group(2))
        if 1 <= m <= 12 and 1 <= d <= 31:
            out.add((m, d))
            words.update(_figured(mt.group(0)))
    for mt in _DAY_MONTH.finditer(text):
        day, month = (mt.group(1), mt.group(2)) if mt.group(1) else (mt.group(5), mt.group(4))
        mo = month.lower()
        m = _MONTHS.get(mo) or (_MONTHS.get(mo[:3]) if len(mo) <= 4 else None)  # "Sept", not "Marketplace"
        if m is not None and 1 <= int(day) <= 31:
            out.add((m, int(day)))
            words.update(_figured(mt.group(0)))
    return out, words


def _cells_answer(question: str, page: int, hits: list[tuple[_Cell, str, list[VLine]]]) -> Answer:
    """The cells found, each its row's evidence; several rows' values joined by "; "."""
    evs = tuple(Evidence(page=page, bbox=cell.bbox, text=" ".join(v.text for v in row)) for cell, _, row in hits)
    return Answer(question=question, text="; ".join(found for _, found, _ in hits), evidence=evs, confidence=0.65,
                  method="table")


def _figured(text: str) -> list[str]:
    """Words, a number without its leading zeros ("5 Mar" asks of the row "05 Mar")."""
    return [w.lstrip("0") or "0" if w.isdigit() else w for w in _words(text)]


@dataclass(frozen=True, slots=True)
class _Cell:
    text: str
    bbox: tuple[float, float, float, float]


def _cells(row: list[VLine]) -> list[_Cell]:
    """The row's lines, each cut where its words stand more than a line's height apart."""
    out: list[_Cell] = []
    for v in row:
        words = v.line.words if v.line is not None else ()
        if not words or " ".join(w.text for w in words).split() != v.text.split():
            out.append(_Cell(v.text, tuple(v.bbox)))
            continue
        group = [words[0]]
        for w in words[1:]:
            if w.bbox[0] - group[-1].bbox[2] > v.h:
                out.append(_cell_of(group))
                group = []
            group.append(w)
        out.append(_cell_of(group))
    return out


def _cell_of(words) -> _Cell:
    return _Cell(" ".join(w.text for w in words), union([w.bbox for w in words]))


def _named_column(cells: list[_Cell], qwords: list[str], qt: str | None) -> _Cell | None:
    """The date column for a question that asks when; else the heading the question names (all its
    words), the longest; else the column of results for one that asks no type."""
    from .qa import _stem_match

    if qt in ("date", "time"):  # "When was the minibar charged?": the date column, not Charges
        dated = [c for c in cells if any(w in _DATE_HEADS for w in _words(c.text))]
        if len(dated) == 1:
            return dated[0]
    said = set(qwords) | {h for w in qwords for h in _HEADING_SAID.get(w, ())}
    # the most words, then the most said as they are ("the hourly rate": Rate, not Hours)
    named = [((len(ws), sum(w in said for w in ws)), c) for c in cells
             if (ws := _words(c.text)) and all(_stem_match(w, said) for w in ws)]
    if named:
        return max(named, key=lambda x: x[0])[1]
    if qt in (None, "text", "number"):
        valued = [c for c in cells if set(_words(c.text)) & _VALUE_HEADS]
        return valued[0] if len(valued) == 1 else None
    return None


def _one_amount(cells: list[_Cell], header: list[_Cell]) -> _Cell | None:
    """The row's only amount outside a running balance's column; of several (hours, rate, amount), the
    one under an amount's heading; None for none, or several and no such heading."""
    def heading(c: _Cell) -> set[str]:
        return {w for h in header if _within([c], h) is c for w in _words(h.text)}

    money = [c for c in cells if _has_amount(c.text) and not heading(c) & _RUNNING]
    if len(money) > 1:
        money = [c for c in money if heading(c) & _AMOUNT]
    return money[0] if len(money) == 1 else None


# what a Chinese question asks with, not the row it names
_ASKING_ZH = re.compile(r"是多少|多少钱|多少|是什么|什么时候|哪一天|哪天|何时|是谁|请问|支付|付款|支出|收入|发生|的|了|吗|呢|是|在|[？?，。、\s]")


def _named_column_zh(cells: list[_Cell], question: str, qt: str | None,
                     days: set[tuple[int, int]]) -> tuple[_Cell | None, list[str]]:
    """For a Chinese question: the heading it says ("3月12日的余额是多少？": 余额; the date column for
    "哪天"), and the runs of two characters or more it names the row by, the headings, the day and
    the asking words left out ("房租是哪天支付的？": 房租)."""
    texts = {c: re.sub(r"\s+", "", c.text) for c in cells}
    named = [c for c in cells if texts[c] and texts[c] in question]
    head = max(named, key=lambda c: len(texts[c])) if named else None
    if head is None and qt == "date":
        dated = [c for c in cells if any(w in texts[c] for w in _DATE_HEADS)]
        head = dated[0] if len(dated) == 1 else None
    rest = question
    for c in cells:
        if texts[c]:
            rest = rest.replace(texts[c], " ")
    rest = _DAY_MONTH_ZH.sub(" ", rest)
    for sp in V.find_dates(rest):
        rest = rest.replace(sp.text, " ")
    rest = _ASKING_ZH.sub(" ", rest)
    return head, [r for r in re.findall(r"[\u4e00-\u9fff]{2,}|[A-Za-z0-9]{2,}", rest)]


def _within(cells: list[_Cell], head: _Cell) -> _Cell | None:
    """The cell under ``head``: most of it inside the heading's span, or the heading inside it (a long
    description under a short heading)."""
    for c in cells:
        inner = _overlap(c, head)
        if inner > 0 and (inner >= 0.5 * (c.bbox[2] - c.bbox[0]) or inner >= 0.8 * (head.bbox[2] - head.bbox[0])):
            return c
    return None


def _cell_value(text: str, qt: str | None) -> str | None:
    """The value of type ``qt`` in a cell (None if it holds none); any other type: the cell as written."""
    if qt in ("date", "money", "time", "percent", "duration"):
        spans = [sp for sp in V.find(qt, text) if sp.score >= 0.5]
        if qt == "date" and not spans:  # "12 Mar": a day and a month, the year in the statement's heading
            m = re.fullmatch(r"\s*(\d{1,2}\s+[A-Za-z]{3,9}\.?|[A-Za-z]{3,9}\.?\s+\d{1,2})\s*", text)
            return m.group(1) if m else None
        return spans[0].text if spans else None
    return text.strip() or None
