"""Render the sample receipt used in the README (examples/receipt.jpg).

    python examples/make_receipt.py
"""

from pathlib import Path

import pymupdf

LINES = [
    ("GREEN LEAF CAFE SDN BHD", "center"),
    ("(1234567-X)", "center"),
    ("NO 12, JALAN MERANTI 3,", "center"),
    ("47100 PUCHONG, SELANGOR", "center"),
    ("TEL: 03-8070 1234", "center"),
    ("", None),
    ("TAX INVOICE", "center"),
    ("Invoice No:       INV-000482", "left"),
    ("Date: 14/03/2024             18:42", "left"),
    ("Cashier:          AMIRA", "left"),
    ("", None),
    ("Flat White              2    13.00", "left"),
    ("Nasi Lemak Special      1    15.90", "left"),
    ("Iced Lemon Tea          1     6.50", "left"),
    ("", None),
    ("Subtotal                     35.40", "left"),
    ("SST 6%                        2.12", "left"),
    ("Rounding                     -0.02", "left"),
    ("TOTAL (RM)                   37.50", "left"),
    ("Cash                         50.00", "left"),
    ("Change                       12.50", "left"),
    ("", None),
    ("THANK YOU, PLEASE COME AGAIN", "center"),
]


def make(path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=260, height=440)
    y = 30.0
    for text, align in LINES:
        if text:
            width = pymupdf.get_text_length(text, fontname="cour", fontsize=8.5)
            x = (260 - width) / 2 if align == "center" else 18
            page.insert_text((x, y), text, fontname="cour", fontsize=8.5)
        y += 16
    pix = page.get_pixmap(dpi=220, colorspace=pymupdf.csGRAY)
    path.write_bytes(pix.tobytes("jpeg", jpg_quality=80))


if __name__ == "__main__":
    make(Path(__file__).with_name("receipt.jpg"))
