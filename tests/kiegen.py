"""Documents for key-information extraction: builders and generated invoices/contracts with known truth.

- ``document_from_lines``: a ``Document`` from OCR-style lines (one text block per line),
  for tests and for benchmarks before/without the parser.
- ``document_from_pdf``: a ``Document`` from a PDF's text layer (one block per PyMuPDF line).
- ``invoice`` / ``contract``: born-digital PDFs (English or Chinese) drawn with PyMuPDF
  in varied layouts from a seed, with the truth: field values, the box of each value,
  and questions (answerable and not).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from chatocr.document import Block, Document, Line, Page, Word

BBox = tuple[float, float, float, float]


def document_from_lines(lines: Sequence[tuple[str, BBox, float]], width: float, height: float, *,
                        name: str = "", unit: str = "px") -> Document:
    """One ``text`` block per line, in the given order."""
    blocks = []
    for k, (text, bbox, score) in enumerate(lines):
        bbox = tuple(float(v) for v in bbox)
        ln = Line(text=text, bbox=bbox, score=min(1.0, max(0.0, float(score))))
        blocks.append(Block(id=f"p1-b{k}", type="text", bbox=bbox, text=text, lines=(ln,)))
    digest = hashlib.sha256(("\n".join(t for t, _, _ in lines) + name).encode()).hexdigest()
    page = Page(page=1, width=float(width), height=float(height), unit=unit, blocks=tuple(blocks),
                source="ocr" if blocks else "empty")
    return Document(id=digest[:16], name=name, sha256=digest, pages=(page,))


def document_from_pdf(data: bytes, *, name: str = "doc.pdf") -> Document:
    """The text layer of every page, one ``text`` block per line (PDF points)."""
    import pymupdf

    from chatocr.io.textlayer import read_text_layer

    pages = []
    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        for i, pg in enumerate(pdf):
            layer = read_text_layer(pg)
            blocks = []
            for k, ln in enumerate(layer.lines):
                line = Line(text=ln.text, bbox=ln.bbox, source="text_layer",
                            words=tuple(Word(text=t, bbox=b) for t, b in ln.words))
                blocks.append(Block(id=f"p{i + 1}-b{k}", type="text", bbox=ln.bbox, text=ln.text, lines=(line,)))
            pages.append(Page(page=i + 1, width=pg.rect.width, height=pg.rect.height, unit="pt",
                              source="text_layer" if blocks else "empty", blocks=tuple(blocks)))
    digest = hashlib.sha256(data).hexdigest()
    return Document(id=digest[:16], name=name, sha256=digest, pages=tuple(pages))


# -- generated invoices and contracts ------------------------------------------------------------

import random  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402


@dataclass
class Field:
    value: str | None  # None: the document does not hold it
    page: int = 1
    bbox: BBox | None = None
    kind: str = "text"  # money | date | id | text | address | org | parties | phone | iban | taxid | email
    value_bbox: BBox | None = None  # the value alone, when its printed line also holds the label


@dataclass
class KieTruth:
    kind: str  # invoice | contract
    lang: str  # en | zh
    fields: dict[str, Field] = field(default_factory=dict)  # requested key → truth
    questions: list[tuple[str, str | None]] = field(default_factory=list)  # (question, key or None = absent)
    layout: dict[str, str] = field(default_factory=dict)


_EN_NAME1 = ["Northwind", "Bluecrest", "Silverline", "Ardent", "Kestrel", "Meridian", "Oakfield", "Brightway",
             "Copperleaf", "Summit", "Pioneer", "Harborview", "Evergreen", "Granite", "Lumen", "Vertex"]
_EN_NAME2 = ["Trading", "Logistics", "Systems", "Supplies", "Consulting", "Foods", "Electronics", "Design",
             "Hardware", "Services", "Analytics", "Printing"]
_EN_SUFFIX = ["Ltd", "Inc.", "LLC", "GmbH", "Sdn Bhd", "Pte Ltd", "Corp.", "Limited", ""]
_EN_STREET = ["Harbour Road", "Maple Street", "Station Avenue", "Jalan Kenari", "Hill Lane", "Park Road",
              "King Street", "Orchard Drive"]
_EN_CITY = [("Riverton", "40210"), ("Lakeside", "81100"), ("Fairview", "10115"), ("Westbrook", "56000"),
            ("Kingsport", "30301"), ("Ashford", "62704")]
_ZH_NAME1 = ["华星", "远航", "博达", "明创", "恒信", "鼎盛", "新源", "瑞丰", "天宇", "汇通"]
_ZH_NAME2 = ["科技", "贸易", "物流", "电子", "咨询", "建材", "食品", "印务"]
_ZH_CITY = [("北京市", "朝阳区"), ("上海市", "浦东新区"), ("深圳市", "南山区"), ("杭州市", "西湖区"), ("成都市", "高新区")]
_ZH_ROAD = ["建设路", "人民路", "科技园路", "解放大道", "中山路"]
_ITEMS_EN = ["Consulting hours", "Printer paper", "Network cable", "Software licence", "Cleaning service",
             "Office chairs", "Delivery", "Maintenance"]
_ITEMS_ZH = ["咨询服务", "打印纸", "网线", "软件授权", "保洁服务", "办公椅", "运输费", "维护费"]
_FILLER = ("Payment by bank transfer. Please quote the invoice number with your payment. Goods remain our "
           "property until paid in full. Thank you for your business.").split(". ")


def _money(rng: random.Random, v: float) -> str:
    s = f"{v:,.2f}"
    if rng.random() < 0.15:  # 1.234,56 €
        return s.replace(",", "_").replace(".", ",").replace("_", ".") + " €"
    return rng.choice(["", "", "$", "USD ", "EUR "]) + s


def _date(rng: random.Random, y: int, m: int, d: int, lang: str) -> str:
    import calendar

    if lang == "zh":
        return rng.choice([f"{y}年{m}月{d}日", f"{y}-{m:02d}-{d:02d}"])
    mon = calendar.month_name[m]
    return rng.choice([f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}", f"{mon} {d}, {y}", f"{d} {mon[:3]} {y}",
                       f"{d:02d}.{m:02d}.{y}"])


def _iban(rng: random.Random) -> str:
    country = rng.choice(["DE", "GB", "NL", "FR"])
    bban = "".join(rng.choice("0123456789") for _ in range(18))
    num = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    check = 98 - int(num) % 97
    raw = f"{country}{check:02d}{bban}"
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))


class _Writer:
    """Draws text and remembers each piece's box (the font's own ascender/descender and advance widths)."""

    def __init__(self, page, lang: str) -> None:
        import pymupdf

        self.page = page
        self.font = "china-s" if lang == "zh" else "helv"
        self.bold = "china-s" if lang == "zh" else "hebo"
        self._fonts = {n: pymupdf.Font(n) for n in {self.font, self.bold}}

    def length(self, s: str, size: float = 10, *, bold: bool = False) -> float:
        return self._fonts[self.bold if bold else self.font].text_length(s, size)

    def text(self, x: float, y: float, s: str, size: float = 10, *, bold: bool = False, right: bool = False) -> BBox:
        import pymupdf

        f = self._fonts[self.bold if bold else self.font]
        wd = f.text_length(s, size)
        if right:
            x -= wd
        tw = pymupdf.TextWriter(self.page.rect)
        tw.append((x, y), s, font=f, fontsize=size)
        tw.write_text(self.page)
        return (x, y - f.ascender * size, x + wd, y - f.descender * size)


def _line(label: BBox, value: BBox) -> tuple[BBox, BBox]:
    """(the printed line: label and value, the value alone)."""
    return _union([label, value]), value


def _union(boxes: list[BBox]) -> BBox:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


_EN_LABELS = {
    "invoice number": ["Invoice No.", "Invoice #", "Invoice Number", "Bill No", "Invoice No", "Inv. No.", "Invoice Ref",
                       "INVOICE NUMBER"],
    "date": ["Date", "Invoice Date", "Date of issue", "Issue Date", "Date of Invoice", "Dated", "DATE"],
    "due date": ["Due Date", "Payment Due", "Pay by", "Due", "Payment due by", "Due on", "Payment Deadline"],
    "total": ["Total", "Grand Total", "Amount Due", "Total Due", "Balance Due", "TOTAL", "Total Amount",
              "Amount Payable", "Invoice Total", "TOTAL DUE", "Total (incl. VAT)"],
    "tax id": ["VAT No", "Tax ID", "GST Reg No", "VAT Number", "VAT Reg. No.", "Tax Registration Number", "TIN"],
    "phone": ["Tel", "Phone", "Telephone", "Tel.", "Phone No."],
    "seller": ["Seller", "Vendor", "From", "Supplier"],
    "buyer": ["Bill To", "Customer", "Billed To", "Client"],
    "address": ["Address"],
}
_ZH_LABELS = {
    "invoice number": ["发票号码", "发票号"],
    "date": ["开票日期", "日期"],
    "due date": ["付款期限", "到期日"],
    "total": ["价税合计", "合计", "总计", "应付金额"],
    "tax id": ["纳税人识别号", "税号"],
    "phone": ["电话", "联系电话"],
    "seller": ["销售方", "销售方名称"],
    "buyer": ["购买方", "购买方名称"],
    "address": ["地址"],
}
_EN_Q = {
    "total": ["What is the total?", "How much is due?", "What is the total amount?"],
    "date": ["What is the invoice date?", "When was the invoice issued?"],
    "due date": ["When is payment due?", "What is the due date?"],
    "invoice number": ["What is the invoice number?"],
    "seller": ["Who is the seller?", "Which company issued the invoice?"],
    "buyer": ["Who is the customer?", "Who is the buyer?"],
    "tax id": ["What is the tax ID?", "What is the VAT number?"],
    "phone": ["What is the phone number?"],
    "iban": ["What is the IBAN?"],
    "address": ["What is the seller's address?"],
    "delivery date": ["What is the delivery date?", "When is the delivery?"],
    "buyer address": ["What is the buyer's address?", "What is the customer's address?", "What is the billing address?"],
    "shipping address": ["What is the shipping address?", "Where are the goods delivered?"],
    "recipient": ["Who are the goods shipped to?"],
}
_ZH_Q = {
    "total": ["价税合计是多少？", "合计金额是多少？"],
    "date": ["开票日期是哪天？"],
    "due date": ["付款期限是什么时候？"],
    "invoice number": ["发票号码是多少？"],
    "seller": ["销售方是谁？"],
    "buyer": ["购买方是谁？"],
    "tax id": ["纳税人识别号是多少？"],
    "phone": ["电话是多少？"],
    "address": ["地址是什么？"],
    "delivery date": ["交货日期是哪天？"],
    "buyer address": ["购买方地址是什么？"],
}
_ABSENT_EN = ["What is the PO number?", "What is the delivery date?", "Who is the cashier?", "What is the fax number?",
              "What is the discount?", "What is the warranty period?", "What is the shipping cost?",
              "What is the order number?", "What is the email address?", "What is the IBAN?"]
_ABSENT_ZH = ["订单号是多少？", "传真号码是多少？", "收银员是谁？", "折扣是多少？", "邮箱是什么？", "交货日期是哪天？"]


def invoice(seed: int = 0, lang: str = "en") -> tuple[bytes, KieTruth]:
    """A one-page invoice in one of several layouts; the truth holds every field's value and box."""
    import pymupdf

    rng = random.Random(seed * 7919 + (1 if lang == "zh" else 0))
    zh = lang == "zh"
    labels = _ZH_LABELS if zh else _EN_LABELS
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    w = _Writer(page, lang)
    t = KieTruth("invoice", lang)
    colon = rng.choice(["：", ":"]) if zh else rng.choice([":", ":", ""])
    lay = t.layout
    lay["header"] = rng.choice(["prominent", "labelled", "right"])
    lay["meta"] = rng.choice(["colon", "columns", "band"])
    lay["totals"] = rng.choice(["lines", "table", "box"])

    def lab(key: str) -> str:
        if key == "delivery date":
            return "交货日期" if zh else rng.choice(["Delivery Date", "Delivered on", "Ship Date"])
        return rng.choice(labels[key])

    # seller
    if zh:
        seller = rng.choice(_ZH_NAME1) + rng.choice(_ZH_NAME2) + "有限公司"
        city, dist = rng.choice(_ZH_CITY)
        addr = [f"{city}{dist}{rng.choice(_ZH_ROAD)}{rng.randint(1, 300)}号"]
        buyer = rng.choice(_ZH_NAME1) + rng.choice(_ZH_NAME2) + "有限公司"
        while buyer == seller:
            buyer = rng.choice(_ZH_NAME1) + rng.choice(_ZH_NAME2) + "有限公司"
        tax_id = "91" + "".join(rng.choice("0123456789") for _ in range(14)) + rng.choice("ABCDXY") + "1"
        phone = f"0{rng.randint(10, 99)}-{rng.randint(10000000, 99999999)}"
    else:
        suffix = rng.choice(_EN_SUFFIX)
        seller = f"{rng.choice(_EN_NAME1)} {rng.choice(_EN_NAME2)}" + (f" {suffix}" if suffix else "")
        city, zipc = rng.choice(_EN_CITY)
        addr = [f"{rng.randint(1, 250)} {rng.choice(_EN_STREET)}", f"{zipc} {city}" if rng.random() < 0.5
                else f"{city}, {zipc}"]
        buyer = f"{rng.choice(_EN_NAME1)} {rng.choice(_EN_NAME2)} {rng.choice(['Ltd', 'Inc.', 'LLC'])}"
        while buyer.split()[0] == seller.split()[0]:
            buyer = f"{rng.choice(_EN_NAME1)} {rng.choice(_EN_NAME2)} {rng.choice(['Ltd', 'Inc.', 'LLC'])}"
        tax_id = rng.choice(["DE", "GB", "MY", ""]) + "".join(rng.choice("0123456789") for _ in range(9))
        phone = rng.choice([f"+1 {rng.randint(200, 999)} {rng.randint(200, 999)} {rng.randint(1000, 9999)}",
                            f"0{rng.randint(3, 9)}-{rng.randint(1000000, 9999999)}",
                            f"({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}"])
    y = 60.0
    if lay["header"] == "right":  # title at the left, the issuer's name and address right-aligned
        w.text(50, y, "发票" if zh else rng.choice(["INVOICE", "Invoice"]), 22, bold=True)
        b = w.text(545, y, seller, 14, bold=True, right=True)
        t.fields["seller"] = Field(seller, 1, b, "org")
        y += 18
        boxes = []
        for a in addr:
            boxes.append(w.text(545, y, a, 10, right=True))
            y += 13
        t.fields["address"] = Field(" ".join(addr), 1, _union(boxes), "address")
    elif lay["header"] == "prominent":
        b = w.text(50, y, seller, 18, bold=True)
        t.fields["seller"] = Field(seller, 1, b, "org")
        w.text(545, y, "发票" if zh else rng.choice(["INVOICE", "TAX INVOICE"]), 16, bold=True, right=True)
        y += 20
        boxes = []
        for a in addr:
            boxes.append(w.text(50, y, a, 10))
            y += 13
        t.fields["address"] = Field(" ".join(addr), 1, _union(boxes), "address")
    else:
        w.text(50, y, "发票" if zh else "INVOICE", 20, bold=True)
        y += 28
        sl = lab("seller")
        w.text(50, y, f"{sl}{colon or ':'}", 10, bold=True)
        b = w.text(140, y, seller, 10)
        t.fields["seller"] = Field(seller, 1, b, "org")
        y += 14
        w.text(50, y, f"{lab('address')}{colon or ':'}", 10, bold=True)
        boxes = []
        for a in addr:
            boxes.append(w.text(140, y, a, 10))
            y += 13
        t.fields["address"] = Field(" ".join(addr), 1, _union(boxes), "address")
    # a label and its value printed together are one line: the truth box is that line's
    b = w.text(50, y, f"{lab('phone')}{colon or ':'} ", 9)
    line, val = _line(b, w.text(b[2] + 2, y, phone, 9))
    t.fields["phone"] = Field(phone, 1, line, "phone", val)
    y += 12
    b = w.text(50, y, f"{lab('tax id')}{colon or ':'} ", 9)
    line, val = _line(b, w.text(b[2] + 2, y, tax_id, 9))
    t.fields["tax id"] = Field(tax_id, 1, line, "taxid", val)
    y += 26
    # meta: number, dates
    yy, mm, dd = rng.randint(2019, 2026), rng.randint(1, 12), rng.randint(1, 28)
    date = _date(rng, yy, mm, dd, lang)
    due = _date(rng, yy + (mm == 12), mm % 12 + 1, dd, lang) if rng.random() < 0.75 else None
    number = rng.choice([f"INV-{yy}-{rng.randint(1, 9999):04d}", f"{rng.randint(100000, 999999)}",
                         f"A{rng.randint(1000, 9999)}/{yy % 100:02d}"])
    if zh:
        number = f"{rng.randint(10000000, 99999999)}"
    meta = [("invoice number", number, "id"), ("date", date, "date")] + ([("due date", due, "date")] if due else [])
    # another date the key "date" must not take, and a field only a custom key asks for
    delivery = _date(rng, yy, mm, min(28, dd + 2), lang) if rng.random() < 0.4 else None
    if delivery:
        meta.append(("delivery date", delivery, "date"))
    rng.shuffle(meta)
    if lay["meta"] == "band":
        xs = [50 + (495 // len(meta)) * i for i in range(len(meta))]
        for x, (k, v, kind) in zip(xs, meta, strict=True):
            w.text(x, y, lab(k), 9, bold=True)
            t.fields[k] = Field(v, 1, w.text(x, y + 14, v, 10), kind)
        y += 34
    else:
        for k, v, kind in meta:
            lb = lab(k)
            if lay["meta"] == "colon":
                b = w.text(330, y, f"{lb}{colon or ':'} ", 10, bold=rng.random() < 0.5)
                line, val = _line(b, w.text(b[2] + 3, y, v, 10))
                t.fields[k] = Field(v, 1, line, kind, val)
            else:
                w.text(330, y, lb + colon, 10, bold=True)
                t.fields[k] = Field(v, 1, w.text(440, y, v, 10), kind)
            y += 15
        y += 10
    # buyer: label, name below, on some invoices the buyer's address under the name and a "Ship To" block
    # beside it (drawn from a stream of their own, so the rest of an invoice stays as its seed made it)
    xr = random.Random(seed * 104729 + 17 + (1 if zh else 0))
    w.text(50, y, lab("buyer") + (colon or ":"), 10, bold=True)
    t.fields["buyer"] = Field(buyer, 1, w.text(50, y + 14, buyer, 10), "org")
    block_y = y + 28
    if xr.random() < 0.5:
        if zh:
            city, dist = xr.choice(_ZH_CITY)
            lines = [f"{city}{dist}{xr.choice(_ZH_ROAD)}{xr.randint(1, 300)}号"]
        else:
            city, zipc = xr.choice(_EN_CITY)
            lines = [f"{xr.randint(1, 250)} {xr.choice(_EN_STREET)}", f"{city} {zipc}"]
        boxes = [w.text(50, block_y + 13 * i, a, 10) for i, a in enumerate(lines)]
        t.fields["buyer address"] = Field(" ".join(lines), 1, _union(boxes), "address")
    else:
        t.fields["buyer address"] = Field(None)
    if not zh:
        if xr.random() < 0.4:
            w.text(300, y, xr.choice(["Ship To", "Deliver To", "Ship to"]) + (colon or ":"), 10, bold=True)
            site = f"{buyer.rsplit(' ', 1)[0]} {xr.choice(['Warehouse', 'Depot', 'Store'])}"
            t.fields["recipient"] = Field(site, 1, w.text(300, y + 14, site, 10), "org")
            city, zipc = xr.choice(_EN_CITY)
            lines = [f"{xr.choice(['Unit', 'Dock'])} {xr.randint(1, 40)}, {xr.choice(_EN_STREET)}", f"{city} {zipc}"]
            boxes = [w.text(300, block_y + 13 * i, a, 10) for i, a in enumerate(lines)]
            t.fields["shipping address"] = Field(" ".join(lines), 1, _union(boxes), "address")
        else:
            t.fields["recipient"] = Field(None)
            t.fields["shipping address"] = Field(None)
    y += 44 + (26 if any(t.fields.get(k) and t.fields[k].value for k in ("buyer address", "shipping address")) else 0)
    # items
    rows = [["项目", "数量", "单价", "金额"] if zh else ["Description", "Qty", "Unit Price", "Amount"]]
    sub = 0.0
    for _ in range(rng.randint(2, 5)):
        q, u = rng.randint(1, 9), rng.randint(5, 400) + rng.choice([0.0, 0.5, 0.25, 0.99])
        sub += q * u
        rows.append([rng.choice(_ITEMS_ZH if zh else _ITEMS_EN), str(q), f"{u:,.2f}", f"{q * u:,.2f}"])
    rate = rng.choice([0.06, 0.1, 0.13, 0.2])
    tax = round(sub * rate, 2)
    total = round(sub + tax, 2)
    total_s = (("¥" if rng.random() < 0.5 else "") + f"{total:,.2f}") if zh else _money(rng, total)
    widths = [230, 60, 100, 105]
    ruled = rng.random() < 0.6
    boxes = _table(w, 50, y, rows, widths, ruled=ruled)
    # "How many items are on the invoice?": the item rows, the first of them the evidence
    t.fields["q:items"] = Field(str(len(rows) - 1), 1, boxes[1], "text")
    y += 18 * len(rows)
    tl = lab("total")
    sub_l, tax_l = ("小计", "税额") if zh else (rng.choice(["Subtotal", "Sub Total"]), f"Tax ({int(rate * 100)}%)")
    if lay["totals"] == "table":
        extra = [[sub_l, "", "", f"{sub:,.2f}"], [tax_l, "", "", f"{tax:,.2f}"], [tl, "", "", total_s]]
        _table(w, 50, y, extra, widths, ruled=ruled, header=False)
        row_y = y + 18 * 2
        f = w._fonts[w.font]
        tw = f.text_length(total_s, 10)
        x = 50 + sum(widths[:3]) + 4
        t.fields["total"] = Field(total_s, 1, (x, row_y + 13 - f.ascender * 10, x + tw, row_y + 13 - f.descender * 10),
                                  "money")
        y += 18 * 3 + 24
    elif lay["totals"] == "box":  # the total in a box under its label, at the right
        y += 24
        for lb, val in ((sub_l, f"{sub:,.2f}"), (tax_l, f"{tax:,.2f}")):
            w.text(350, y, lb + colon, 10)
            w.text(545, y, val, 10, right=True)
            y += 15
        y += 10
        w.text(400, y, tl, 9, bold=True)
        t.fields["total"] = Field(total_s, 1, w.text(400, y + 18, total_s, 14, bold=True), "money")
        shape = page.new_shape()
        shape.draw_rect(pymupdf.Rect(392, y - 12, 545, y + 26))
        shape.finish(color=(0, 0, 0), width=0.8)
        shape.commit()
        y += 44
    else:
        y += 20
        for lb, val, key in ((sub_l, f"{sub:,.2f}", None), (tax_l, f"{tax:,.2f}", None), (tl, total_s, "total")):
            w.text(350, y, lb + colon, 10, bold=key is not None)
            b = w.text(545, y, val, 10, bold=key is not None, right=True)
            if key:
                t.fields["total"] = Field(val, 1, b, "money")
            y += 15
        y += 16
    # footer: payment details
    iban = _iban(rng) if (not zh and rng.random() < 0.6) else None
    if iban:
        b = w.text(50, y, "IBAN: ", 9)
        line, val = _line(b, w.text(b[2] + 2, y, iban, 9))
        t.fields["iban"] = Field(iban, 1, line, "iban", val)
        y += 13
    if not zh:
        for s in rng.sample(_FILLER, 2):
            w.text(50, y, s.strip().rstrip(".") + ".", 9)
            y += 12
    # absent keys: asked, not printed
    for k in ("po number", "fax", "email") + (() if iban else ("iban",)) + (() if due else ("due date",)) + (
            () if delivery else ("delivery date",)):
        t.fields[k] = Field(None)
    q = _ZH_Q if zh else _EN_Q
    for k, f in t.fields.items():
        if f.value is not None and k in q:
            t.questions.append((rng.choice(q[k]), k))
    absent = [a for a in (_ABSENT_ZH if zh else _ABSENT_EN) if not (iban and "IBAN" in a)
              and not (delivery and ("delivery" in a or "交货" in a))]
    if not due:
        absent.append("付款期限是什么时候？" if zh else "When is payment due?")
    if t.fields["buyer address"].value is None:
        absent.append("购买方地址是什么？" if zh else "What is the customer's address?")
    if not zh and t.fields["shipping address"].value is None:
        absent.append("What is the shipping address?")
    for a in rng.sample(absent, 4):
        t.questions.append((a, None))
    t.questions.append(("发票上有几项商品？" if zh else "How many items are on the invoice?", "q:items"))
    data = doc.tobytes()
    doc.close()
    return data, t


def _table(w: _Writer, x: float, y: float, rows: list[list[str]], widths: list[float], *, ruled: bool,
           header: bool = True, row_h: float = 18) -> list[BBox]:
    """Draws the table; the box of each row's texts."""
    import pymupdf

    xs = [x]
    for wd in widths:
        xs.append(xs[-1] + wd)
    boxes = []
    for r, row in enumerate(rows):
        texts = [w.text(xs[c] + 4, y + r * row_h + 13, text, 10, bold=header and r == 0)
                 for c, text in enumerate(row) if text]
        boxes.append(_union(texts))
    if ruled:
        shape = w.page.new_shape()
        for r in range(len(rows) + 1):
            shape.draw_line(pymupdf.Point(x, y + r * row_h), pymupdf.Point(xs[-1], y + r * row_h))
        for cx in xs:
            shape.draw_line(pymupdf.Point(cx, y), pymupdf.Point(cx, y + len(rows) * row_h))
        shape.finish(color=(0, 0, 0), width=0.6)
        shape.commit()
    return boxes


_CONTRACT_EN_TITLES = ["SERVICE AGREEMENT", "CONSULTING AGREEMENT", "SUPPLY CONTRACT", "MAINTENANCE AGREEMENT"]
_CONTRACT_ZH_TITLES = ["服务合同", "技术咨询合同", "采购合同", "维护服务协议"]
_CLAUSES_EN = [
    "The Contractor shall perform the services described in Schedule A with due care and skill.",
    "Either party may terminate this Agreement with thirty days written notice to the other party.",
    "All information exchanged under this Agreement shall be kept confidential by both parties.",
    "The Client shall pay each invoice within the period stated in the payment terms below.",
    "This Agreement is governed by the laws of the jurisdiction where the Client is registered.",
    "Neither party is liable for delays caused by events beyond its reasonable control.",
]
_CLAUSES_ZH = [
    "乙方应按照本合同附件所列内容提供服务，并保证服务质量。",
    "任何一方提前三十日书面通知对方，可解除本合同。",
    "双方对履行本合同过程中知悉的商业秘密负有保密义务。",
    "甲方应按照本合同约定的付款方式支付合同价款。",
    "因不可抗力导致合同不能履行的，双方均不承担违约责任。",
]
_CONTRACT_Q_EN = {
    "parties": ["Who are the parties?", "Who are the parties to the agreement?"],
    "party a": ["Who is Party A?"],
    "party b": ["Who is Party B?"],
    "party a address": ["What is Party A's address?"],
    "party b address": ["What is Party B's address?", "What is the second party's address?"],
    "party a phone": ["What is Party A's phone number?"],
    "party b phone": ["What is Party B's phone?"],
    "start date": ["When does the agreement start?", "What is the effective date?"],
    "end date": ["When does the contract end?", "What is the end date?"],
    "term": ["What is the term of the agreement?", "How long is the contract?"],
    "total": ["What is the contract amount?", "How much is the contract value?"],
    "due date": ["When is payment due?"],
}
_CONTRACT_Q_ZH = {
    "parties": ["合同双方是谁？"],
    "party a": ["甲方是谁？"],
    "party b": ["乙方是谁？"],
    "party a address": ["甲方地址是什么？"],
    "party b address": ["乙方的地址是什么？"],
    "party a phone": ["甲方电话是多少？"],
    "party b phone": ["乙方联系电话是多少？"],
    "start date": ["合同什么时候生效？"],
    "end date": ["合同什么时候终止？", "终止日期是哪天？"],
    "term": ["合同期限是多久？"],
    "total": ["合同金额是多少？"],
}
_CONTRACT_ABSENT_EN = ["What is the IBAN?", "What is the penalty for late delivery?", "Who is the witness?",
                       "What is the invoice number?", "What is the delivery date?", "What is the tax ID?",
                       "What is the warranty period?", "What is the fax number?"]
_CONTRACT_ABSENT_ZH = ["发票号码是多少？", "违约金是多少？", "传真号码是多少？", "交货日期是哪天？", "纳税人识别号是多少？"]


def contract(seed: int = 0, lang: str = "en") -> tuple[bytes, KieTruth]:
    """A one-page contract: parties (labelled or in a 'between X and Y' sentence), dates, term, amount."""
    import pymupdf

    rng = random.Random(seed * 104729 + (1 if lang == "zh" else 0))
    zh = lang == "zh"
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    w = _Writer(page, lang)
    t = KieTruth("contract", lang)
    lay = t.layout
    lay["parties"] = "labelled" if zh else rng.choice(["labelled", "sentence"])
    lay["dates"] = rng.choice(["colon", "columns"])
    colon = "：" if zh else ":"
    if zh:
        a = rng.choice(_ZH_NAME1) + rng.choice(_ZH_NAME2) + "有限公司"
        b = rng.choice(_ZH_NAME1) + rng.choice(_ZH_NAME2) + "有限公司"
        while b[:2] == a[:2]:
            b = rng.choice(_ZH_NAME1) + rng.choice(_ZH_NAME2) + "有限公司"
    else:
        a = f"{rng.choice(_EN_NAME1)} {rng.choice(_EN_NAME2)} {rng.choice(['Ltd', 'Inc.', 'LLC', 'GmbH'])}"
        b = f"{rng.choice(_EN_NAME1)} {rng.choice(_EN_NAME2)} {rng.choice(['Ltd', 'Inc.', 'LLC', 'GmbH'])}"
        while b.split()[0] == a.split()[0]:
            b = f"{rng.choice(_EN_NAME1)} {rng.choice(_EN_NAME2)} {rng.choice(['Ltd', 'Inc.', 'LLC', 'GmbH'])}"
    y = 70.0
    title = rng.choice(_CONTRACT_ZH_TITLES if zh else _CONTRACT_EN_TITLES)
    w.text(297 - w._fonts[w.bold].text_length(title, 18) / 2, y, title, 18, bold=True)
    y += 40
    # on some contracts each party's line heads its own address and phone under the same labels, the
    # party's role in brackets after its label (a stream of their own: the rest stays as the seed made it)
    xr = random.Random(seed * 7907 + 3 + (1 if zh else 0))
    blocks = lay["parties"] == "labelled" and xr.random() < 0.5
    if lay["parties"] == "labelled":
        la, lb = ("甲方", "乙方") if zh else rng.choice([("Party A", "Party B"), ("First Party", "Second Party")])
        roles = xr.choice([("委托方", "受托方"), ("买方", "卖方"), ("出租方", "承租方")] if zh else
                          [("Client", "Contractor"), ("Buyer", "Seller"), ("Licensor", "Licensee")])
        boxes = {}
        for key, label, name, role in (("party a", la, a, roles[0]), ("party b", lb, b, roles[1])):
            head = f"{label}（{role}）" if blocks and zh else f"{label} ({role})" if blocks else label
            b1 = w.text(50, y, head + colon, 11, bold=True)
            bn = w.text(b1[2] + 8, y, name, 11)
            t.fields[key] = Field(name, 1, _union([b1, bn]), "org", bn)
            boxes[key] = bn
            y += 18
            if blocks:
                if zh:
                    city, dist = xr.choice(_ZH_CITY)
                    addr = f"{city}{dist}{xr.choice(_ZH_ROAD)}{xr.randint(1, 300)}号"
                    phone = f"0{xr.randint(10, 99)}-{xr.randint(10000000, 99999999)}"
                else:
                    city, zipc = xr.choice(_EN_CITY)
                    addr = f"{xr.randint(1, 250)} {xr.choice(_EN_STREET)}, {city} {zipc}"
                    phone = f"+1 {xr.randint(200, 999)} {xr.randint(200, 999)} {xr.randint(1000, 9999)}"
                for field, lab, value, kind in ((f"{key} address", "地址" if zh else "Address", addr, "address"),
                                                (f"{key} phone", "联系电话" if zh else "Tel", phone, "phone")):
                    lbx = w.text(62, y, lab + colon, 10)
                    line, val = _line(lbx, w.text(lbx[2] + 4, y, value, 10))
                    t.fields[field] = Field(value, 1, line, kind, val)
                    y += 15
                y += 4
        y += 10
        ba, bb = boxes["party a"], boxes["party b"]
        b1, b2 = (t.fields["party a"].bbox, t.fields["party b"].bbox)
        t.fields["parties"] = Field(f"{a}; {b}", 1, _union([b1, ba, b2, bb]), "parties", _union([ba, bb]))
    else:
        sent = f"This Agreement is made between {a} and {b}."
        bx = w.text(50, y, sent, 10)
        # the value alone: from the first party's name to the end of the second's
        start, end = sent.index(a), sent.rindex(b) + len(b)
        val = (50 + w.length(sent[:start]), bx[1], 50 + w.length(sent[:end]), bx[3])
        t.fields["parties"] = Field(f"{a}; {b}", 1, bx, "parties", val)
        y += 28
    yy, mm, dd = rng.randint(2020, 2026), rng.randint(1, 12), rng.randint(1, 28)
    years = rng.choice([1, 2, 3])
    start = _date(rng, yy, mm, dd, lang)
    end = _date(rng, yy + years, mm, dd, lang)
    term = (f"{years}年" if rng.random() < 0.5 else f"{12 * years}个月") if zh else \
        rng.choice([f"{years} year{'s' if years > 1 else ''}", f"{12 * years} months"])
    amount = rng.randint(5, 900) * 100 + rng.choice([0, 50])
    amount_s = (f"¥{amount:,.2f}" if zh else rng.choice([f"USD {amount:,.2f}", f"${amount:,.2f}", f"{amount:,.2f} EUR"]))
    labels = ({"start date": ["生效日期", "起始日期"], "end date": ["终止日期", "结束日期"], "term": ["合同期限", "期限"],
               "total": ["合同金额", "合同总价"]} if zh else
              {"start date": ["Effective Date", "Start Date", "Commencement Date"],
               "end date": ["End Date", "Termination Date", "Expiry Date"], "term": ["Term", "Duration"],
               "total": ["Contract Value", "Total Amount", "Contract Amount"]})
    items = [("start date", start, "date"), ("end date", end, "date"), ("term", term, "text"),
             ("total", amount_s, "money")]
    due = None
    if not zh and rng.random() < 0.5:
        due = _date(rng, yy, mm % 12 + 1, dd, lang)
        labels["due date"] = ["Payment Due", "Due Date"]
        items.append(("due date", due, "date"))
    for k, v, kind in items:
        lb = rng.choice(labels[k])
        if lay["dates"] == "colon":
            b1 = w.text(50, y, f"{lb}{colon} ", 10, bold=True)
            line, val = _line(b1, w.text(b1[2] + 3, y, v, 10))
            t.fields[k] = Field(v, 1, line, kind, val)
        else:
            w.text(50, y, lb, 10, bold=True)
            t.fields[k] = Field(v, 1, w.text(200, y, v, 10), kind)
        y += 16
    y += 14
    clauses = _CLAUSES_ZH if zh else _CLAUSES_EN
    for i, c in enumerate(rng.sample(clauses, min(4, len(clauses)))):
        w.text(50, y, f"{i + 1}. {c}", 9)
        y += 14
    y += 30
    if zh:
        w.text(50, y, "甲方（盖章）：", 10)
        w.text(320, y, "乙方（盖章）：", 10)
    else:
        w.text(50, y, "Signed for Party A: ____________", 10)
        w.text(320, y, "Signed for Party B: ____________", 10)
    for k in ("iban", "po number", "tax id", "invoice number") + (() if due or zh else ("due date",)) + (
            () if blocks else ("party a address", "party b address", "party a phone", "party b phone")):
        t.fields[k] = Field(None)
    qs = _CONTRACT_Q_ZH if zh else _CONTRACT_Q_EN
    for k, f in t.fields.items():
        if f.value is not None and k in qs:
            t.questions.append((rng.choice(qs[k]), k))
    absent = list(_CONTRACT_ABSENT_ZH if zh else _CONTRACT_ABSENT_EN)
    if not zh and not due:
        absent.append("When is payment due?")
    if not blocks:
        absent.append("乙方的地址是什么？" if zh else "What is Party B's address?")
    for q in rng.sample(absent, 4):
        t.questions.append((q, None))
    data = doc.tobytes()
    doc.close()
    return data, t


# -- agreements written in sentences ----------------------------------------------------------------

_AGREEMENT_TITLES_EN = ["SERVICE AGREEMENT", "CONSULTING AGREEMENT", "SUPPLY AGREEMENT", "MAINTENANCE AGREEMENT"]
_AGREEMENT_TITLES_ZH = ["服务合同", "技术咨询合同", "采购合同", "维护服务协议"]
_ROLES_EN = [("Client", "Provider"), ("Customer", "Supplier"), ("Company", "Consultant")]
_COUNTRIES_EN = ["England", "Germany", "Singapore", "Malaysia", "Ireland"]
_STREETS_EN = ["14 Canal Street, Manchester M1 3HE", "200 Aldersgate Street, London EC1A 4HD", "8 Marina View, Singapore 018960",
               "Friedrichstrasse 68, 10117 Berlin", "25 Jalan Sultan Ismail, 50250 Kuala Lumpur"]
_LAWS_EN = ["England and Wales", "Singapore", "Germany", "Malaysia", "State of New York"]
_NUM_WORDS = {14: "fourteen", 30: "thirty", 60: "sixty", 90: "ninety"}
_FILLER_EN = [
    "Confidentiality. Each party shall keep confidential all information it receives from the other party "
    "under this Agreement and shall use it only for the purposes of this Agreement.",
    "Force majeure. Neither party is liable for any failure or delay in performing its obligations where that "
    "failure or delay results from events beyond its reasonable control.",
    "Assignment. Neither party may assign or transfer any of its rights under this Agreement without the prior "
    "written consent of the other party.",
    "Entire agreement. This Agreement constitutes the entire agreement between the parties and supersedes all "
    "previous arrangements, understandings and agreements between them.",
]
_FILLER_ZH = ["双方对履行本合同过程中知悉的商业秘密负有保密义务，未经对方书面同意不得向任何第三方披露。",
              "因不可抗力导致合同不能履行的，双方均不承担违约责任，但应及时通知对方并提供证明。",
              "本合同一式两份，甲乙双方各执一份，具有同等法律效力。"]
_AGREEMENT_Q_EN = {
    "parties": ["Who are the parties?", "Who are the parties to the agreement?"],
    "date": ["When was the agreement signed?", "When was the agreement signed?"],
    "start date": ["When does the agreement start?", "When does it start?", "What is the commencement date?"],
    "end date": ["When does it end?", "When does the contract end?"],
    "term": ["How long is the contract?", "What is the term of the agreement?"],
    "due date": ["When is payment due?"],
    "governing law": ["Which law governs the agreement?", "What is the governing law?"],
    "notice period": ["What is the notice period?", "How much notice is needed to terminate?"],
    "jurisdiction": ["Which courts have jurisdiction?", "What is the jurisdiction?"],
    "late payment interest": ["What is the interest on late payments?", "What is the late payment interest?"],
    "renewal term": ["What is the renewal period?", "For how long does the agreement renew?"],
    "liability cap": ["What is the liability cap?", "What is the limit of liability?"],
}
_AGREEMENT_Q_ZH = {
    "parties": ["合同双方是谁？"],
    "date": ["合同什么时候签订？"],
    "start date": ["合同什么时候生效？"],
    "end date": ["合同什么时候终止？"],
    "term": ["合同期限是多久？"],
    "due date": ["付款期限是什么时候？"],
    "governing law": ["本合同适用哪国法律？"],
    "notice period": ["提前多久通知可以解除合同？"],
    "jurisdiction": ["合同争议由哪个法院管辖？"],
    "late payment interest": ["逾期付款的违约金是多少？"],
    "renewal term": ["合同自动续期多久？"],
    "liability cap": ["赔偿上限是多少？"],
}
_AGREEMENT_ABSENT_EN = ["What is the IBAN?", "Who is the witness?", "What is the invoice number?",
                        "What is the delivery date?", "What is the tax ID?", "What is the warranty period?"]
_AGREEMENT_ABSENT_ZH = ["发票号码是多少？", "传真号码是多少？", "交货日期是哪天？", "纳税人识别号是多少？"]


def agreement(seed: int = 0, lang: str = "en") -> tuple[bytes, KieTruth]:
    """A contract written in paragraphs that wrap over lines, as most contracts are: the parties in the
    opening sentence, the term, payment, governing law and notice in numbered clauses, worded in
    varied ways; some clauses left out (their keys are then asked for and must be None)."""
    import pymupdf

    rng = random.Random(seed * 7919 + (1 if lang == "zh" else 0))
    zh = lang == "zh"
    t = KieTruth("agreement", lang)
    if zh:
        a = rng.choice(_ZH_NAME1) + rng.choice(_ZH_NAME2) + "有限公司"
        b = rng.choice([n for n in _ZH_NAME1 if n != a[:2]]) + rng.choice(_ZH_NAME2) + "有限公司"
    else:
        a = f"{rng.choice(_EN_NAME1)} {rng.choice(_EN_NAME2)} {rng.choice(['Ltd', 'Inc.', 'LLC', 'GmbH', 'Pte Ltd'])}"
        b = f"{rng.choice([n for n in _EN_NAME1 if n != a.split()[0]])} {rng.choice(_EN_NAME2)} " \
            f"{rng.choice(['Ltd', 'Inc.', 'LLC', 'GmbH', 'Sdn Bhd'])}"
    yy, mm, dd = rng.randint(2020, 2026), rng.randint(1, 12), rng.randint(1, 28)
    years = rng.choice([1, 2, 3])
    sign = _date(rng, yy, mm, dd, lang)
    start = _date(rng, yy, mm % 12 + 1, 1, lang)
    end = _date(rng, yy + years, mm % 12 + 1, 1, lang)
    days = rng.choice([14, 30, 60, 90])
    notice = rng.choice([30, 60, 90])
    paras: list[str] = []
    values: dict[str, tuple[str, str, int]] = {}  # key → (value, kind, the paragraph that states it)
    if zh:
        term = rng.choice([f"{years}年", f"{12 * years}个月"])
        paras.append(f"本合同由{a}（以下简称“甲方”）与{b}（以下简称“乙方”）于{sign}签订。双方经友好协商，就乙方向甲方"
                     "提供相关服务事宜达成如下协议，以资共同遵守。")
        values["parties"] = (f"{a}; {b}", "parties", len(paras) - 1)
        values["date"] = (sign, "date", len(paras) - 1)
        if rng.random() < 0.5:
            paras.append(f"一、合同期限。本合同期限自{start}起至{end}止，期满前双方可协商续签。")
            values["start date"], values["end date"] = (start, "date", len(paras) - 1), (end, "date", len(paras) - 1)
            values["term"] = (f"{start}起至{end}", "text", len(paras) - 1)  # 期限 is that period
        else:
            paras.append(f"一、合同期限。本合同自{start}起生效，有效期为{term}，期满前双方可协商续签。")
            values["start date"], values["term"] = (start, "date", len(paras) - 1), (term, "text", len(paras) - 1)
        paras.append(f"二、付款方式。甲方应在收到乙方发票后{days}日内付款，付款方式为银行转账。")
        values["due date"] = (f"收到乙方发票后{days}日内", "text", len(paras) - 1)
        if rng.random() < 0.8:
            paras.append("三、法律适用。本合同适用中华人民共和国法律。因本合同引起的争议，双方应协商解决。")
            values["governing law"] = ("中华人民共和国法律", "text", len(paras) - 1)
        if rng.random() < 0.8:
            paras.append(f"四、合同解除。任何一方提前{notice}日书面通知对方，可解除本合同。")
            values["notice period"] = (f"{notice}日", "text", len(paras) - 1)
        if rng.random() < 0.6:
            court = rng.choice(["甲方所在地", "乙方所在地", "北京市朝阳区", "上海市浦东新区"]) + "人民法院"
            paras.append(f"五、争议解决。因本合同引起的争议，提交{court}诉讼解决。")
            values["jurisdiction"] = (court, "text", len(paras) - 1)
        if rng.random() < 0.5:
            rate = rng.choice(["0.05%", "0.03%", "0.1%"])
            paras.append(f"六、违约责任。逾期付款的，甲方应按每日{rate}向乙方支付违约金。")
            values["late payment interest"] = (rate, "text", len(paras) - 1)
        if rng.random() < 0.5:
            n = rng.choice([1, 2])
            paras.append(f"七、续期。本合同期满前任何一方未提出异议的，合同期满后自动续期{n}年。")
            values["renewal term"] = (f"{n}年", "text", len(paras) - 1)
        if rng.random() < 0.5:
            cap = f"合同总金额的{rng.choice([50, 100, 150])}%"
            paras.append(f"八、责任限制。任何一方在本合同项下的赔偿责任总额不超过{cap}。")
            values["liability cap"] = (cap, "text", len(paras) - 1)
        paras += rng.sample(_FILLER_ZH, 2)
        title = rng.choice(_AGREEMENT_TITLES_ZH)
    else:
        ra, rb = rng.choice(_ROLES_EN)
        title = rng.choice(_AGREEMENT_TITLES_EN)
        opening = rng.choice([
            f'This {title.title()} (the "Agreement") is made on {sign} between {a}, a company registered in '
            f'{rng.choice(_COUNTRIES_EN)} (the "{ra}"), and {b} (the "{rb}").',
            f'This {title.title()} is entered into as of {sign} by and between {a} ("{ra}") and {b} ("{rb}").',
            f"THIS AGREEMENT is dated {sign} and is made between {a} and {b}".rstrip(".") + ".",
            # the date defined as a term, and descriptions that say "and" before the second party
            f'This {title.title()} (the "Agreement") is entered into as of {sign} (the "Effective Date") by and between '
            f'{a}, a company incorporated in {rng.choice(_COUNTRIES_EN + ["England and Wales"])} with registered number '
            f'{rng.randint(10**7, 10**8 - 1)}, whose registered office is at {rng.choice(_STREETS_EN)} (the "{ra}"), '
            f'and {b}, whose registered office is at {rng.choice(_STREETS_EN)} (the "{rb}").',
        ])
        effective = "Effective Date" in opening
        paras.append(opening)
        values["parties"] = (f"{a}; {b}", "parties", len(paras) - 1)
        values["date"] = (sign, "date", len(paras) - 1)
        term = rng.choice([f"{years} year{'s' if years > 1 else ''}", f"{12 * years} months"])
        # a contract that defines its Effective Date starts on it (asked for as "effective date", the
        # start is that date)
        style = 5 if effective else rng.randrange(5)
        if style == 0:
            s = f"This Agreement starts on {start} and ends on {end}, unless terminated earlier under clause 5."
        elif style == 1:
            s = f"This Agreement shall commence on {start} and shall remain in force until {end}."
        elif style == 2:
            s = f"The term of this Agreement runs from {start} to {end}, and may be extended by written agreement."
        elif style == 3:
            s = f"This Agreement becomes effective on {start} and continues for a period of {term}."
        elif style == 4:
            s = f"This Agreement shall commence on {start} for an initial term of {term}."
        else:  # by the term the opening defined: the start is the date defined there
            s = f'This Agreement shall commence on the Effective Date and shall continue for an initial term of {term} ' \
                '(the "Initial Term").'
        paras.append("1. Term. " + s)
        values["start date"] = (start, "date", len(paras) - 1) if style < 5 else (sign, "date", 0)
        if style < 3:
            values["end date"] = (end, "date", len(paras) - 1)
        if style == 2:  # "The term … runs from A to B": the term is that period
            values["term"] = (f"{start} to {end}", "text", len(paras) - 1)
        elif style >= 3:
            values["term"] = (term, "text", len(paras) - 1)
        amount = f"{rng.choice(['EUR', 'USD', 'GBP'])} {rng.randint(20, 900) * 50:,.2f}"
        paras.append(f"2. Fees. The {ra} shall pay the {rb} a monthly fee of {amount}, invoiced on the first business "
                     "day of each month for the services performed in the previous month.")
        pay = rng.randrange(4)
        due_date = _date(rng, yy, mm % 12 + 1, 15, lang)
        if pay == 0:
            paras.append(f"3. Payment. Payment is due within {days} days of the invoice date.")
            values["due date"] = (f"within {days} days of the invoice date", "text", len(paras) - 1)
        elif pay == 1:
            paras.append(f"3. Payment. Each invoice is payable within {days} days after receipt by the {ra}.")
            values["due date"] = (f"within {days} days after receipt by the {ra}", "text", len(paras) - 1)
        elif pay == 2:
            paras.append(f"3. Payment. The first payment is due on {due_date}; later payments follow monthly.")
            values["due date"] = (due_date, "date", len(paras) - 1)
        if rng.random() < 0.8:
            law = rng.choice(_LAWS_EN)
            paras.append(rng.choice([
                f"4. Governing law. This Agreement is governed by the laws of {'the ' if law[0] == 'S' else ''}{law}.",
                f"4. Governing law. This Agreement shall be governed by and construed in accordance with the laws "
                f"of {'the ' if law[0] == 'S' else ''}{law}, without regard to its conflict of laws rules.",
            ]))
            values["governing law"] = (law, "text", len(paras) - 1)
        if rng.random() < 0.8:
            n = f"{_NUM_WORDS[notice]} ({notice}) days" if rng.random() < 0.5 else f"{notice} days"
            paras.append(rng.choice([
                f"5. Termination. Either party may terminate this Agreement with {n}' written notice to the other party.",
                f"5. Termination. Either party may terminate this Agreement by giving not less than {n}' prior "
                "written notice.",
                f"5. Termination. This Agreement may be terminated by either party on {n}' notice.",
            ]))
            values["notice period"] = (n, "text", len(paras) - 1)
        if rng.random() < 0.6:
            place = rng.choice(["England and Wales", "Singapore", "Frankfurt am Main", "the State of New York"])
            paras.append(rng.choice([
                f"6. Disputes. The parties submit to the exclusive jurisdiction of the courts of {place}.",
                f"6. Disputes. The courts of {place} shall have exclusive jurisdiction over any dispute arising "
                "out of this Agreement.",
            ]))
            values["jurisdiction"] = (f"courts of {place}", "text", len(paras) - 1)
        if rng.random() < 0.5:
            rate = rng.choice(["4%", "8%", "1.5%", "2%"])
            paras.append(rng.choice([
                f"7. Late payment. Late payments accrue interest at {rate} a year from the due date.",
                f"7. Late payment. Interest of {rate} per month is charged on overdue amounts.",
                f"7. Late payment. If the {ra} fails to pay any amount when due, interest shall accrue on the overdue "
                f"amount at the rate of {rate} per annum.",
            ]))
            values["late payment interest"] = (rate, "text", len(paras) - 1)
        if rng.random() < 0.5:
            n = rng.choice([1, 2, 3])
            renewal = rng.choice([f"{_NUM_WORDS.get(12 * n, str(12 * n))} ({12 * n}) months", f"{n} year{'s' if n > 1 else ''}"])
            paras.append(rng.choice([
                f"8. Renewal. This Agreement shall automatically renew for successive periods of {renewal} unless "
                "either party gives written notice of non-renewal before the end of the then-current term.",
                f"8. Renewal. Unless terminated, this Agreement renews automatically for further terms of {renewal}.",
            ]))
            values["renewal term"] = (renewal, "text", len(paras) - 1)
        if rng.random() < 0.5:
            cap = rng.choice([f"{rng.choice([100, 125, 150])}% of the fees paid in the twelve (12) months preceding the claim",
                              "the total fees paid under this Agreement", f"{rng.choice(['EUR', 'USD', 'GBP'])} 1,000,000.00"])
            paras.append(rng.choice([
                f"9. Liability. Each party's total aggregate liability under this Agreement shall not exceed {cap}.",
                f"9. Liability. The liability of either party arising out of this Agreement is limited to {cap}.",
            ]))
            values["liability cap"] = (cap, "text", len(paras) - 1)
        paras += rng.sample(_FILLER_EN, 2)
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    font = pymupdf.Font("china-s" if zh else "helv")
    size = rng.choice([10, 10.5, 11])
    y = 60.0
    tw = pymupdf.TextWriter(page.rect)
    tw.append((297 - font.text_length(title, 16) / 2, y), title, font=font, fontsize=16)
    y += 18
    width = rng.choice([440, 480])
    areas = []
    for para in paras:
        # wrapped at the box's width as a word processor does: Latin text at spaces; Chinese between
        # any two characters, but not inside a number or a Latin word (a date stays on one line)
        if zh:
            line, yy = "", y + size
            for tok in re.findall(r"[0-9A-Za-z.%:/-]+|.", para):
                if line and font.text_length(line + tok, size) > width:
                    tw.append((60, yy), line, font=font, fontsize=size)
                    line, yy = "", yy + 1.35 * size
                line += tok
            tw.append((60, yy), line, font=font, fontsize=size)
        else:
            tw.fill_textbox(pymupdf.Rect(60, y, 60 + width, 800), para, font=font, fontsize=size)
        bottom = tw.last_point.y + 0.3 * size
        areas.append((para, pymupdf.Rect(50, y, 70 + width, bottom)))
        y = bottom + size * 0.9  # a blank line's worth between paragraphs
    tw.write_text(page)
    for k, (v, kind, where) in values.items():
        # in the paragraph that states it (a name or a number may also stand in another one)
        boxes = [_chars_box(page, areas[where][1], part) for part in (v.split("; ") if kind == "parties" else [v])]
        t.fields[k] = Field(v, 1, _union(boxes), kind)
    absent_keys = [k for k in ("end date", "term", "due date", "governing law", "notice period", "jurisdiction",
                               "late payment interest", "renewal term", "liability cap") if k not in values]
    for k in absent_keys + ["iban", "invoice number"]:
        t.fields[k] = Field(None)
    qs = _AGREEMENT_Q_ZH if zh else _AGREEMENT_Q_EN
    for k, f in t.fields.items():
        if k in qs:
            t.questions.append((rng.choice(qs[k]), k if f.value is not None else None))
    for q in rng.sample(_AGREEMENT_ABSENT_ZH if zh else _AGREEMENT_ABSENT_EN, 3):
        t.questions.append((q, None))
    data = doc.tobytes()
    doc.close()
    return data, t


def _chars_box(page, area, value: str) -> BBox:
    """The box of the first ``value`` in ``area``, over the line breaks it may be wrapped at (its characters' boxes)."""
    chars = [(c["c"], c["bbox"]) for b in page.get_text("rawdict", clip=area)["blocks"] for ln in b.get("lines", ())
             for sp in ln["spans"] for c in sp["chars"] if not c["c"].isspace()]
    text = "".join(c for c, _ in chars)
    start = text.index(value.replace(" ", ""))
    return _union([tuple(b) for _, b in chars[start:start + len(value.replace(" ", ""))]])


# -- generated bank statements -------------------------------------------------------------------

_BANKS_EN = ["Northfield Bank plc", "Harbour Savings Bank", "Crestline Bank", "Unity Mutual Bank", "Ridgeway Bank"]
_PAYEES_EN = ["Tesco Stores", "Octopus Energy", "Thames Water", "Vodafone", "Council Tax", "Amazon Marketplace",
              "Shell Garage", "Netflix", "Pure Gym", "Boots Pharmacy", "British Gas", "Sainsbury's"]
_PAYERS_EN = ["Salary", "Refund", "Transfer from", "Interest", "Dividend"]
_HOLDERS_EN = ["Mr Daniel Okafor", "Ms Priya Raman", "Mrs Helen Cho", "Mr Tomasz Nowak", "Ms Laura Bennett"]


def statement(seed: int = 0, lang: str = "en") -> tuple[bytes, KieTruth]:
    """A one-page bank statement: the account's labelled details and a table of transactions (date,
    description, paid out, paid in, running balance), some columns empty on each row.  Besides fields,
    the truth asks the table by its columns ("What is the balance on 12 Mar?", "When was Octopus Energy
    paid?", "How much was paid to Vodafone?"); keys starting "q:" are asked as questions only.  English
    only."""
    import calendar

    import pymupdf

    if lang != "en":
        raise ValueError("statements are generated in English only")
    rng = random.Random(seed * 7919 + 5)
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    w = _Writer(page, lang)
    t = KieTruth("statement", lang)
    bank = rng.choice(_BANKS_EN)
    w.text(50, 60, bank, 16, bold=True)
    city, zipc = rng.choice(_EN_CITY)
    w.text(50, 78, f"PO Box {rng.randint(10, 999)}, {city} {zipc}", 9)
    w.text(50, 92, f"Customer service: 0{rng.randint(300, 399)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}", 9)
    w.text(50, 125, rng.choice(["Statement of Account", "Current Account Statement", "Account Statement"]), 13,
           bold=True)
    yy, mm = rng.choice([2025, 2026]), rng.randint(1, 12)
    mon, last = calendar.month_abbr[mm], calendar.monthrange(yy, mm)[1]
    full = calendar.month_name[mm]
    period = rng.choice([f"1 {full} {yy} to {last} {full} {yy}", f"01/{mm:02d}/{yy} - {last:02d}/{mm:02d}/{yy}"])
    holder = rng.choice(_HOLDERS_EN)
    details = [("account holder", "Account holder:", holder, "name"),
               ("account number", rng.choice(["Account number:", "Account No:"]), str(rng.randint(10**7, 10**8 - 1)), "id"),
               ("sort code", "Sort code:", f"{rng.randint(10, 99)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}", "id"),
               ("statement period", "Statement period:", period, "text")]
    y = 150
    for key, label, value, kind in details:
        lb = w.text(50, y, label, 10)
        vb = w.text(170, y, value, 10)
        line, alone = _line(lb, vb)
        t.fields[key] = Field(value, 1, line, kind, alone)
        y += 16
    # the transactions: a day each, each paid out or in, the balance running
    n = rng.randint(4, 8)
    days = sorted(rng.sample(range(2, last), n))
    payees = rng.sample(_PAYEES_EN, n)
    dated = rng.random() < 0.5  # "05 Mar", or "05/03/2026"

    def day(d: int) -> str:
        return f"{d:02d}/{mm:02d}/{yy}" if dated else f"{d:02d} {mon}"

    balance = rng.randint(20000, 400000) / 100
    rows = [(day(1), "Opening balance", None, None, balance)]
    said: set[str] = set()
    for d, payee in zip(days, payees, strict=True):
        if rng.random() < 0.3:
            what = rng.choice(_PAYERS_EN)
            desc = f"{what} {rng.choice(_EN_NAME1)} {rng.choice(_EN_NAME2)}" if what != "Interest" else "Interest"
            if desc in said:  # each row its own description: a question names one row
                desc = f"Transfer from {rng.choice(_EN_NAME1)} {rng.choice(_EN_NAME2)} {d}"
            said.add(desc)
            amount = rng.randint(1000, 300000) / 100
            balance += amount
            rows.append((day(d), desc, None, amount, balance))
        else:
            amount = rng.randint(300, 120000) / 100
            balance -= amount
            rows.append((day(d), payee, amount, None, balance))
    rows.append((day(last), "Closing balance", None, None, balance))
    x_date, x_desc, x_out, x_in, x_bal = 50, 125, 380, 460, 545
    y0 = y + 20
    for text, x, right in (("Date", x_date, False), ("Description", x_desc, False), ("Paid out", x_out, True),
                           ("Paid in", x_in, True), ("Balance", x_bal, True)):
        w.text(x, y0, text, 10, bold=True, right=right)
    cells: list[dict[str, tuple[str, BBox]]] = []
    for r, (dt, desc, out, inn, bal) in enumerate(rows):
        yr = y0 + 18 * (r + 1)
        row = {"date": (dt, w.text(x_date, yr, dt, 10)), "desc": (desc, w.text(x_desc, yr, desc, 10))}
        for key, v, x in (("out", out, x_out), ("in", inn, x_in), ("balance", bal, x_bal)):
            if v is not None:
                s = f"{v:,.2f}"
                row[key] = (s, w.text(x, yr, s, 10, right=True))
        cells.append(row)
    t.fields["opening balance"] = Field(cells[0]["balance"][0], 1, _union([cells[0]["desc"][1], cells[0]["balance"][1]]),
                                        "money", cells[0]["balance"][1])
    t.fields["closing balance"] = Field(cells[-1]["balance"][0], 1, _union([cells[-1]["desc"][1],
                                                                           cells[-1]["balance"][1]]),
                                        "money", cells[-1]["balance"][1])
    y = y0 + 18 * (len(rows) + 2)
    total_out = sum(r[2] for r in rows if r[2] is not None)
    total_in = sum(r[3] for r in rows if r[3] is not None)
    lb = w.text(50, y, "Total paid out:", 10)
    vb = w.text(50 + w.length("Total paid out: ", 10), y, f"{total_out:,.2f}", 10)
    t.fields["total paid out"] = Field(f"{total_out:,.2f}", 1, _union([lb, vb]), "money", vb)
    w.text(300, y, f"Total paid in: {total_in:,.2f}", 10)
    overdraft = rng.random() < 0.5
    if overdraft:
        limit = f"{rng.choice([250, 500, 1000, 1500]):,.2f}"
        lb = w.text(50, y + 18, "Overdraft limit:", 10)
        vb = w.text(50 + w.length("Overdraft limit: ", 10), y + 18, limit, 10)
        t.fields["overdraft limit"] = Field(limit, 1, _union([lb, vb]), "money", vb)
    else:
        t.fields["overdraft limit"] = Field(None)
    t.fields["iban"] = Field(None)
    # questions: the details, then the table by its columns
    for key, qs in (("account number", ["What is the account number?"]), ("account holder", ["Who is the account holder?"]),
                    ("sort code", ["What is the sort code?"]), ("statement period", ["What is the statement period?"]),
                    ("opening balance", ["What is the opening balance?"]),
                    ("closing balance", ["What is the closing balance?"]),
                    ("total paid out", ["What is the total paid out?", "How much was paid out in total?"]),
                    ("overdraft limit", ["What is the overdraft limit?"])):
        t.questions.append((rng.choice(qs), key if t.fields[key].value is not None else None))

    def short(d: str) -> str:  # as one asks it: "5 Mar" for "05 Mar"
        return d.lstrip("0") if not dated else d

    moves = list(range(1, len(rows) - 1))
    for r in rng.sample(moves, min(3, len(moves))):
        row = cells[r]
        key = f"q:balance {r}"
        t.fields[key] = Field(row["balance"][0], 1, row["balance"][1], "money")
        t.questions.append((f"What is the balance on {short(row['date'][0])}?", key))
        desc = row["desc"][0]
        if "out" in row:
            key = f"q:paid {r}"
            t.fields[key] = Field(row["out"][0], 1, row["out"][1], "money")
            t.questions.append((f"How much was paid to {desc}?", key))
            key = f"q:date {r}"
            t.fields[key] = Field(row["date"][0], 1, row["date"][1], "text")
            t.questions.append((f"When was {desc} paid?", key))
        else:
            key = f"q:received {r}"
            t.fields[key] = Field(row["in"][0], 1, row["in"][1], "money")
            t.questions.append((f"How much was received from {desc}?" if desc != "Interest"
                                else "How much interest was received?", key))
    # what the statement does not say: a day without a row, a payee not on it
    free = [d for d in range(2, last) if d not in days]
    absent = [f"What is the balance on {short(day(rng.choice(free)))}?",
              f"How much was paid to {rng.choice([p for p in _PAYEES_EN if p not in payees])}?",
              f"When was {rng.choice([p for p in _PAYEES_EN if p not in payees])} paid?", "What is the IBAN?"]
    for a in absent:
        t.questions.append((a, None))
    # the transactions counted (not the opening and closing balances), the first of them the evidence
    first = cells[1]
    t.fields["q:transactions"] = Field(str(len(rows) - 2), 1, _union([b for _, b in first.values()]), "text")
    t.questions.append(("How many transactions are there?", "q:transactions"))
    data = doc.tobytes()
    doc.close()
    return data, t
