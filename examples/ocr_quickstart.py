"""Read a document with the built-in OCR core and print each line with its box.

    python examples/ocr_quickstart.py [FILE]
"""

import sys
from pathlib import Path

from chatocr import OCREngine, OCROptions

path = sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("receipt.jpg")
engine = OCREngine(OCROptions(model="pp-ocrv6-small"))  # weights come from an installed package, offline
for page in engine.iter_pages(path):  # lazy: one page image in memory at a time
    print(f"page {page.page}: {page.width:.0f} x {page.height:.0f} {page.unit}")
    for line in page.lines:
        x0, y0, x1, y1 = line.bbox
        print(f"  {line.score:.2f}  [{x0:6.1f} {y0:6.1f} {x1:6.1f} {y1:6.1f}]  {line.text}")
