#!/usr/bin/env python
"""A folder of invoices to one CSV row each, with the ``chatocr extract`` batch mode.

    python examples/invoices_to_csv.py                    # three generated invoices
    python examples/invoices_to_csv.py invoices/ out.csv  # your folder (PDFs and images, found by content)

It runs exactly what you would type in a shell::

    chatocr extract invoices/ -k "Invoice No" -k Date -k Total --out results.csv --workers 2

Files that fail (a corrupt scan, a ZIP renamed .pdf) are listed in the ``error`` column; the rest still run.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from pathlib import Path

KEYS = ["Invoice No", "Date", "Customer", "Total"]


def main(folder: Path, out: Path) -> int:
    cmd = [sys.executable, "-m", "chatocr", "extract", str(folder), *[a for k in KEYS for a in ("-k", k)],
           "--out", str(out)]
    print("$ chatocr " + " ".join(f'"{a}"' if " " in a else a for a in cmd[3:]))
    code = subprocess.call(cmd)  # 0: every file done, 1: some failed (see the error column)
    with out.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            values = ", ".join(f"{k}={row[k]!r}" for k in KEYS)
            print(f"{Path(row['file']).name}: {values}" + (f"  ERROR {row['error']}" if row["error"] else ""))
    return code


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2] if len(sys.argv) > 2 else "results.csv")))
    from sample_documents import write_invoice

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "invoices"
        folder.mkdir()
        for seed in range(3):
            write_invoice(folder / f"invoice-{seed + 1}.pdf", seed)
        sys.exit(main(folder, Path(tmp) / "results.csv"))
