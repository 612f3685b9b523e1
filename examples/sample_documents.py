"""Generated sample documents for the examples: an invoice and a service contract, as PDFs.

Drawn with PyMuPDF's built-in Helvetica (a chatocr dependency), so they look the
same everywhere and the examples run with no files of their own.

    python examples/sample_documents.py OUT_DIR     # write invoice-*.pdf and contract.pdf there
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

__all__ = ["write_invoice", "write_contract"]


def write_invoice(path: str | Path, seed: int = 0) -> dict[str, str]:
    """An invoice PDF at ``path``; returns its true field values."""
    import pymupdf

    rng = random.Random(seed)
    number = f"INV-{rng.randint(1000, 9999)}"
    date = f"2024-{rng.randint(1, 12):02d}-{rng.randint(10, 28)}"
    customer = ("Blue Sky Hotels", "Harbour Cafe", "Green Valley School", "Atlas Logistics")[seed % 4]
    items = [(name, rng.randint(1, 9), rng.randint(2, 90) + 0.5)
             for name in rng.sample(["Coffee beans", "Paper cups", "Cleaning service", "Printer paper", "Tea"], 3)]
    total = sum(q * u for _, q, u in items)

    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((50, 70), "INVOICE", fontsize=24, fontname="hebo")
    page.insert_text((50, 100), "Northwind Traders Ltd", fontsize=11)
    page.insert_text((50, 114), "12 Harbour Road, Springfield", fontsize=11)
    for i, (k, v) in enumerate([("Invoice No:", number), ("Date:", date), ("Customer:", customer)]):
        page.insert_text((360, 100 + 16 * i), k, fontsize=10, fontname="hebo")
        page.insert_text((440, 100 + 16 * i), v, fontsize=10)
    y = 200
    xs = [50, 270, 330, 430, 530]
    rows = [("Item", "Qty", "Unit price", "Amount")] + [(n, str(q), f"{u:.2f}", f"{q * u:.2f}") for n, q, u in items]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            page.insert_text((xs[c] + 4, y + 18 * r + 13), text, fontsize=10, fontname="hebo" if r == 0 else "helv")
    shape = page.new_shape()
    for r in range(len(rows) + 1):
        shape.draw_line((xs[0], y + 18 * r), (xs[-1], y + 18 * r))
    for x in xs:
        shape.draw_line((x, y), (x, y + 18 * len(rows)))
    shape.finish(color=(0, 0, 0), width=0.8)
    shape.commit()
    page.insert_text((360, 300), "Total:", fontsize=11, fontname="hebo")
    page.insert_text((440, 300), f"{total:.2f}", fontsize=11)
    page.insert_text((50, 360), "Payment is due within 30 days of the invoice date.", fontsize=10)
    Path(path).write_bytes(doc.tobytes())
    doc.close()
    return {"Invoice No": number, "Date": date, "Customer": customer, "Total": f"{total:.2f}"}


CONTRACT_TERMS = {
    "Effective date": "1 March 2024",
    "Term": "24 months",
    "Monthly fee": "EUR 4,500.00",
    "Payment terms": "30 days from invoice",
    "Notice period": "90 days",
    "Governing law": "England and Wales",
}


def write_contract(path: str | Path) -> dict[str, str]:
    """A two-page service agreement at ``path``; returns its key terms."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((50, 70), "SERVICE AGREEMENT", fontsize=20, fontname="hebo")
    intro = ("This Service Agreement is made between Northwind Traders Ltd (the Supplier) and Blue Sky Hotels "
             "(the Client). The Supplier provides cleaning and catering supplies to the Client's hotels.")
    page.insert_textbox(pymupdf.Rect(50, 90, 545, 150), intro, fontsize=11)
    page.insert_text((50, 175), "Key terms", fontsize=14, fontname="hebo")
    for i, (k, v) in enumerate(CONTRACT_TERMS.items()):
        page.insert_text((50, 200 + 18 * i), k + ":", fontsize=11, fontname="hebo")
        page.insert_text((200, 200 + 18 * i), v, fontsize=11)
    clauses = [
        ("1. Services", "The Supplier delivers the goods listed in Schedule A every week to each site of the Client."),
        ("2. Payment", "The Client pays each invoice within 30 days. Late payments accrue interest at 4% a year."),
        ("3. Termination", "Either party may terminate this Agreement by giving 90 days written notice."),
    ]
    y = 330
    for title, text in clauses:
        page.insert_text((50, y), title, fontsize=12, fontname="hebo")
        page.insert_textbox(pymupdf.Rect(50, y + 6, 545, y + 60), text, fontsize=11)
        y += 70
    page2 = doc.new_page(width=595, height=842)
    page2.insert_text((50, 70), "4. Signatures", fontsize=12, fontname="hebo")
    page2.insert_text((50, 100), "Signed for the Supplier: Jane Smith, Director", fontsize=11)
    page2.insert_text((50, 120), "Signed for the Client: Omar Haddad, Procurement Manager", fontsize=11)
    Path(path).write_bytes(doc.tobytes())
    doc.close()
    return dict(CONTRACT_TERMS)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "sample-documents")
    out.mkdir(parents=True, exist_ok=True)
    for seed in range(3):
        write_invoice(out / f"invoice-{seed + 1}.pdf", seed)
    write_contract(out / "contract.pdf")
    print(out)
