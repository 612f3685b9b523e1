#!/usr/bin/env python
"""chatocr in Python: parse an invoice, extract fields, ask a question; every answer with its page and box.

    python examples/quickstart.py                  # a generated sample invoice
    python examples/quickstart.py my-invoice.pdf   # your own PDF or image

Offline: the built-in engine needs no model download and no API key.  For an
LLM, pass a backend spec: ``ChatOCR("openai:gpt-4o-mini")`` (see openai_compatible.py).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from chatocr import ChatOCR


def main(path: Path) -> None:
    agent = ChatOCR()
    doc = agent.parse(path)  # cached by content hash: a second run is instant
    print(f"{path.name}: {len(doc.pages)} page(s), {sum(1 for _ in doc.blocks())} regions")

    fields = agent.extract(doc, ["Invoice No", "Date", "Customer", "Total"])
    for key, f in fields.fields.items():
        where = f"page {f.page}, box {[round(v) for v in f.bbox]}" if f.bbox else "not in the document"
        print(f"  {key}: {f.value}  ({where}, confidence {f.confidence:.2f})")

    answer = agent.ask(doc, "What is the total?")
    print(f"Q: What is the total?\nA: {answer.text}")
    for e in answer.evidence:
        print(f"   evidence: page {e.page}, box {[round(v) for v in e.bbox]}: {e.text!r}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        from sample_documents import write_invoice

        with tempfile.TemporaryDirectory() as tmp:
            invoice = Path(tmp) / "invoice.pdf"
            write_invoice(invoice, seed=3)
            main(invoice)
