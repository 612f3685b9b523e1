"""A cell of an item table asked for by its row and its column: "How many drawing pens were ordered?",
"What is the unit price of the plotter paper?", "What is the delivery charge?", "打印纸的单价是多少？".

The page's rows are read as the table is laid out, whether the parser made a table of it or not: a
header row names the columns (two or more of quantity, unit price, amount words), an item row below
it holds every word the question names the item by (by stem), and the answer is the item row's line
under the asked column's header, of the column's type.  The column comes from the question's words
("unit price", "qty", "单价"), else from how it asks ("how many": the quantity; "how much", "cost",
"charge": the amount, else the unit price).  No header, no item row or no cell there → ``None``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ...document import Document
from ..grounding import value_box
from ..results import Answer, Evidence
from . import validators as V
from .layout import VLine

if TYPE_CHECKING:
    from .engine import BuiltinEngine

__all__ = ["answer_from_table", "column_of"]

# a column's header words, by what the column holds
_COLUMNS: dict[str, tuple[str, ...]] = {
    "quantity": ("qty", "quantity", "qnty", "units", "pcs", "数量"),
    "unit price": ("unit price", "price", "unit cost", "rate", "price each", "单价"),
    "amount": ("amount", "line total", "total", "value", "金额"),
    "tax rate": ("tax rate", "vat rate", "tax", "vat", "税率"),
    "tax": ("tax amount", "vat amount", "税额"),
}
_VTYPE = {"quantity": "number", "unit price": "money", "amount": "money", "tax rate": "percent", "tax": "money"}
_HOW = [(re.compile(r"(?i)\bhow many\b|多少个|几个|几件|数量"), "quantity"),
        (re.compile(r"(?i)\bhow much\b|\bcost\b|\bcharged?\b|\bfee\b|多少钱|金额"), "amount")]
# words a question asks with that do not name the item
_ASKING = {"ordered", "order", "bought", "buy", "purchased", "purchase", "charged", "charge", "cost", "costs",
           "billed", "invoiced", "sold", "supplied", "delivered", "price", "unit", "per", "each", "quantity", "qty",
           "amount", "total", "line", "number", "fee"}


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
        rest = re.sub(r"单价|数量|金额|税率|税额|多少钱|多少|是|的|几个|几件|[？?，。\s]", " ", question)
        item = [r for r in re.findall(r"[\u4e00-\u9fff]+|[A-Za-z0-9]+", rest) if len(r) >= 2 or r.isascii()]
    else:
        item = [w for w in _words(question) if w not in _STOP and w not in _ASKING and len(w) > 1]
    if not item:
        return None
    view = engine._get_view(doc)
    for page in view.pages.values():
        for r, row in enumerate(page.rows):
            header = {v.idx: column_of(v.text) for v in row}
            if sum(c is not None for c in header.values()) < 2:
                continue
            heads = [v for v in row if header[v.idx] == col] or (
                [v for v in row if header[v.idx] == "unit price"] if col == "amount" else [])
            if not heads:
                continue
            head = heads[-1]
            for below in page.rows[r + 1 : r + 41]:
                text = " ".join(v.text for v in below)
                if zh:
                    if not all(w in text for w in item):
                        continue
                else:
                    said = set(_words(text))
                    if not all(_stem_match(w, said) for w in item):
                        continue
                cell = _under(below, head)
                if cell is None:
                    continue
                found = _typed(cell, _VTYPE[header[head.idx]])
                if found is None:
                    continue
                hit = value_box([cell.line], found) if cell.line is not None else None
                ev = Evidence(page=cell.page, bbox=hit[0] if hit else cell.bbox, text=text)
                return Answer(question=question, text=found, evidence=(ev,), confidence=0.7, method="table")
    return None


def _under(row: list[VLine], head: VLine) -> VLine | None:
    """The line of ``row`` in the column ``head`` heads: the most overlap along x, else the nearest
    centre within the header's width."""
    def overlap(v: VLine) -> float:
        return min(v.bbox[2], head.bbox[2]) - max(v.bbox[0], head.bbox[0])

    best = max(row, key=overlap)
    if overlap(best) > 0:
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
    spans = V.find_money(cell.text)
    return spans[0].text if spans else None
