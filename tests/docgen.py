"""Generated documents with known content: reports, invoices and forms as PDFs.

Used by the structure tests and by ``benchmarks/parse.py`` (which puts this
folder on ``sys.path``).  Everything is drawn with PyMuPDF's built-in Helvetica,
so the output is the same on every machine.  Each generator returns the PDF
bytes and the truth the tests check against.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

WORDS = (
    "the contract between parties shall remain in force until terminated by either party with notice "
    "payment is due within thirty days of the invoice date and late payments accrue interest at the "
    "agreed rate services are delivered according to the schedule attached to this agreement and any "
    "changes require written consent quarterly revenue grew in all regions while operating costs were "
    "stable the board approved the budget for the next fiscal year including new investments in research"
).split()


@dataclass
class Truth:
    title: str = ""
    paragraphs: list[str] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    pairs: dict[str, str] = field(default_factory=dict)
    header: str = ""
    footer: str = ""


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def _wrapped(text: str, font: str, fontsize: float, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` points (a word wider than that on a line of its own)."""
    import pymupdf

    lines = [""]
    for word in text.split():
        if lines[-1] and pymupdf.get_text_length(f"{lines[-1]} {word}", font, fontsize) > width:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    return lines


def draw_table(page, x: float, y: float, rows: list[list[str]], widths: list[float], *, ruled: bool = True,
               row_h: float = 18, fontsize: float = 10, header_span: tuple[int, int] | None = None,
               wrap: bool = False) -> float:
    """Draw ``rows`` at (x, y) (top-left, points); returns the y below the table.

    ``header_span=(col, n)`` merges ``n`` header cells from ``col`` into one.  ``wrap``: a cell's text
    wider than its column goes on as many lines as it takes (1.2 font sizes apart), its row as much taller.
    """
    import pymupdf

    total_w = sum(widths)
    xs = [x]
    for w in widths:
        xs.append(xs[-1] + w)
    tops = []
    top = y
    for r, row in enumerate(rows):
        font = "hebo" if r == 0 else "helv"
        cells = [_wrapped(t, font, fontsize, w - 8) if wrap else [t] for t, w in zip(row, widths, strict=False)]
        tops.append(top)
        for c, lines in enumerate(cells):
            if r == 0 and header_span and header_span[0] < c < header_span[0] + header_span[1]:
                continue
            for k, text in enumerate(lines):
                page.insert_text((xs[c] + 4, top + row_h - 5 + 1.2 * fontsize * k), text, fontsize=fontsize,
                                 fontname=font)
        top += row_h + 1.2 * fontsize * (max(map(len, cells)) - 1)
    tops.append(top)
    if ruled:
        shape = page.new_shape()
        for t in tops:
            shape.draw_line(pymupdf.Point(x, t), pymupdf.Point(x + total_w, t))
        for c, cx in enumerate(xs):
            if header_span and header_span[0] < c < header_span[0] + header_span[1]:
                shape.draw_line(pymupdf.Point(cx, tops[1]), pymupdf.Point(cx, top))
            else:
                shape.draw_line(pymupdf.Point(cx, y), pymupdf.Point(cx, top))
        shape.finish(color=(0, 0, 0), width=0.8)
        shape.commit()
    return top


def report_pdf(n_pages: int = 3, seed: int = 0, *, two_columns: bool = True) -> tuple[bytes, list[Truth]]:
    """A multi-page report: running header, title, two-column text, a ruled table, page-number footer."""
    import pymupdf

    rng = random.Random(seed)
    doc = pymupdf.open()
    truths = []
    for p in range(n_pages):
        page = doc.new_page(width=595, height=842)
        t = Truth(header="ACME Corporation Annual Report", footer=f"Page {p + 1} of {n_pages}")
        page.insert_text((50, 40), t.header, fontsize=8, fontname="helv")
        page.insert_text((270, 815), t.footer, fontsize=8, fontname="helv")
        t.title = f"Section {p + 1}: Results and Outlook"
        page.insert_text((50, 90), t.title, fontsize=18, fontname="hebo")
        y = 120.0
        cols = [(50, 285), (310, 545)] if two_columns else [(50, 545)]
        for x0, x1 in cols:
            yy = y
            for _ in range(2):
                para = " ".join(_sentence(rng, rng.randint(8, 14)) for _ in range(3))
                rect = pymupdf.Rect(x0, yy, x1, yy + 140)
                left = page.insert_textbox(rect, para, fontsize=10, fontname="helv")
                used = 140 - left if left >= 0 else 140
                yy += used + 14
                t.paragraphs.append(para)
        rows = [["Region", "Q1", "Q2", "Q3"]] + [
            [name, *(f"{rng.randint(100, 999)}.{rng.randint(0, 99):02d}" for _ in range(3))]
            for name in ("North", "South", "East", "West")
        ]
        draw_table(page, 50, 520, rows, [150, 100, 100, 100])
        t.tables.append(rows)
        page.insert_text((50, 650), "Prepared by: Jane Smith", fontsize=10, fontname="helv")
        page.insert_text((50, 666), "Date: 2024-03-15", fontsize=10, fontname="helv")
        t.pairs = {"Prepared by": "Jane Smith", "Date": "2024-03-15"}
        truths.append(t)
    data = doc.tobytes()
    doc.close()
    return data, truths


def invoice_pdf(seed: int = 0) -> tuple[bytes, Truth]:
    """A one-page invoice: seller block, key–value fields, an item table, totals."""
    import pymupdf

    rng = random.Random(seed)
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    t = Truth(title="INVOICE")
    page.insert_text((50, 70), "INVOICE", fontsize=24, fontname="hebo")
    page.insert_text((50, 100), "Northwind Traders Ltd", fontsize=11, fontname="helv")
    page.insert_text((50, 114), "12 Harbour Road, Springfield", fontsize=11, fontname="helv")
    number = f"INV-{rng.randint(1000, 9999)}"
    date = f"2024-0{rng.randint(1, 9)}-{rng.randint(10, 28)}"
    fields = [("Invoice No:", number), ("Date:", date), ("Customer:", "Blue Sky Hotels")]
    for i, (k, v) in enumerate(fields):
        page.insert_text((360, 100 + 16 * i), k, fontsize=10, fontname="hebo")
        page.insert_text((440, 100 + 16 * i), v, fontsize=10, fontname="helv")
        t.pairs[k.rstrip(":")] = v
    rows = [["Item", "Qty", "Unit price", "Amount"]]
    total = 0.0
    for item in ("Coffee beans", "Paper cups", "Cleaning service"):
        q, u = rng.randint(1, 9), rng.randint(2, 90) + 0.5
        total += q * u
        rows.append([item, str(q), f"{u:.2f}", f"{q * u:.2f}"])
    draw_table(page, 50, 200, rows, [220, 60, 100, 100])
    t.tables.append(rows)
    page.insert_text((360, 300), "Total:", fontsize=11, fontname="hebo")
    page.insert_text((440, 300), f"{total:.2f}", fontsize=11, fontname="helv")
    t.pairs["Total"] = f"{total:.2f}"
    page.insert_text((50, 360), "Payment is due within 30 days of the invoice date.", fontsize=10, fontname="helv")
    data = doc.tobytes()
    doc.close()
    return data, t


def garbage_layer_pdf(text_lines: list[str]) -> bytes:
    """A page that shows ``text_lines`` as an image, under an invisible text layer of junk glyphs.

    This is what a PDF with a broken font mapping or a bad OCR layer looks like
    to a text extractor: characters with no meaning.
    """
    import pymupdf

    src = pymupdf.open()
    sp = src.new_page(width=400, height=60 + 30 * len(text_lines))
    for i, line in enumerate(text_lines):
        sp.insert_text((30, 40 + 30 * i), line, fontsize=16, fontname="helv")
    pix = sp.get_pixmap(dpi=200)
    doc = pymupdf.open()
    page = doc.new_page(width=sp.rect.width, height=sp.rect.height)
    page.insert_image(page.rect, stream=pix.tobytes("png"))
    for i, line in enumerate(text_lines):
        junk = "".join(chr(0xA4 + (ord(c) % 27)) if not c.isspace() else " " for c in line)  # ¤ § ¶ …
        page.insert_text((30, 40 + 30 * i), junk, fontsize=16, fontname="helv", render_mode=3)
    data = doc.tobytes()
    doc.close()
    src.close()
    return data


def scanned_pdf(pdf: bytes, dpi: int = 150) -> bytes:
    """``pdf`` with every page replaced by an image of it (a scan without a text layer)."""
    import pymupdf

    src = pymupdf.open(stream=pdf, filetype="pdf")
    out = pymupdf.open()
    for sp in src:
        pix = sp.get_pixmap(dpi=dpi)
        page = out.new_page(width=sp.rect.width, height=sp.rect.height)
        page.insert_image(page.rect, stream=pix.tobytes("png"))
    data = out.tobytes()
    out.close()
    src.close()
    return data
