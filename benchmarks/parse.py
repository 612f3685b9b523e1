"""Document parsing: speed, memory and accuracy, each beside a reference measured in the same run.

    python benchmarks/parse.py                      # everything (about 10 minutes on 2 cores)
    python benchmarks/parse.py --receipts 20 --skip-memory
    python benchmarks/parse.py --only tables          # one part (digital, tables, scanned, memory)

Parts:
- born-digital pages/s: chatocr's parser (text layer, tables, reading order,
  key-value pairs) on generated reports and invoices, against PyMuPDF's raw
  ``page.get_text()`` on the same files (the floor).
- scanned pages: median seconds per page of the full parse (orientation, OCR,
  layout, tables, reading order, pairs) on sroie-dev receipts, against the OCR
  core alone on the same images; whole-page CER of both against the ground
  truth, each in its own reading order (truth lines in row order).
- memory: peak RSS of a subprocess parsing a generated 300-page PDF (born-digital
  pages with a scanned page every 20th).
- tables: cell accuracy on generated tables with known content (ruled, unruled,
  spanning header, unruled with cells wrapped on several lines), read from the text
  layer and from a 150 dpi scan; and how many of 10 generated bank statements
  (tests/kiegen.py), scanned at 150 dpi, give their transactions as one whole table.

Two ONNX Runtime threads.  Writes benchmarks/results/parse.json and prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))  # docgen: the generated documents the tests use
sys.path.insert(0, str(HERE))

DATA = REPO.parent / "shared" / "data" / "sroie-dev"
PARTS = ("digital", "tables", "scanned", "memory")


def _options():
    from chatocr.options import EngineOptions, OCROptions, ParserOptions

    return ParserOptions(ocr=OCROptions(engine=EngineOptions(threads=2)))


def digital_speed(n_docs: int) -> dict:
    import pymupdf
    from docgen import invoice_pdf, report_pdf

    from chatocr.structure import DocumentParser

    files = [report_pdf(8, seed=i)[0] for i in range(n_docs)] + [invoice_pdf(seed=i)[0] for i in range(n_docs)]
    pages = sum(pymupdf.open(stream=f, filetype="pdf").page_count for f in files)
    parser = DocumentParser(_options())
    parser.parse(files[0])  # warm-up (imports)
    t0 = time.perf_counter()
    for f in files:
        with pymupdf.open(stream=f, filetype="pdf") as doc:
            for page in doc:
                page.get_text()
    t_raw = time.perf_counter() - t0
    t0 = time.perf_counter()
    for f in files:
        parser.parse(f)
    t_parse = time.perf_counter() - t0
    return {"pages": pages, "chatocr_pages_s": pages / t_parse, "pymupdf_get_text_pages_s": pages / t_raw}


def scanned(n: int) -> dict:
    from ocr import load_truth, page_cer

    from chatocr.ocr import OCREngine
    from chatocr.structure import DocumentParser

    images = sorted((DATA / "img").glob("*.jpg"))[:n]
    opts = _options()
    engine = OCREngine(opts.ocr)
    parser = DocumentParser(opts, ocr=engine)
    parser.parse(images[0])  # warm-up: loads every model
    t_parse, t_ocr, cer_parse, cer_ocr, cer_ocr_rows = [], [], [0, 0], [0, 0], [0, 0]
    for img in images:
        truth = load_truth(DATA, img.stem)
        t0 = time.perf_counter()
        doc = parser.parse(img)
        t_parse.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        res = engine(img)
        t_ocr.append(time.perf_counter() - t0)
        # the parser's reading order: blocks in order, lines in order within a block
        plines = [(ln.text, ln.bbox) for b in doc.pages[0].blocks for ln in b.lines]
        olines = [(ln.text, ln.bbox) for ln in res.pages[0].lines]
        # the OCR core's own order (what it returns), and its lines regrouped into rows like the truth
        for acc, pred, ordered in ((cer_parse, plines, True), (cer_ocr, olines, True), (cer_ocr_rows, olines, False)):
            d, m = page_cer(truth, pred, keep_order=ordered)
            acc[0] += d
            acc[1] += m
    return {
        "pages": len(images),
        "parse_median_s": statistics.median(t_parse),
        "ocr_median_s": statistics.median(t_ocr),
        "parse_cer": cer_parse[0] / max(1, cer_parse[1]),
        "ocr_cer": cer_ocr[0] / max(1, cer_ocr[1]),
        "ocr_cer_rows": cer_ocr_rows[0] / max(1, cer_ocr_rows[1]),
    }


def memory_worker(path: str) -> None:
    from chatocr.structure import DocumentParser

    n = sum(1 for _ in DocumentParser(_options()).iter_pages(path))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"pages": n, "peak_rss_mb": peak}))


def memory(tmp: Path) -> dict:
    import pymupdf
    from docgen import invoice_pdf, report_pdf, scanned_pdf

    path = tmp / "long-300.pdf"
    if not path.exists():
        doc = pymupdf.open()
        digital = pymupdf.open(stream=report_pdf(20, seed=7)[0], filetype="pdf")
        scan = pymupdf.open(stream=scanned_pdf(invoice_pdf(seed=7)[0], dpi=200), filetype="pdf")
        for i in range(300):
            if i % 20 == 19:
                doc.insert_pdf(scan)
            else:
                doc.insert_pdf(digital, from_page=i % 20, to_page=i % 20)
        doc.save(path)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--memory-worker", str(path)], capture_output=True, text=True, check=True
    )
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["seconds"] = time.perf_counter() - t0
    return res


def tables() -> dict:
    import pymupdf
    from docgen import draw_table, scanned_pdf

    from chatocr.structure import DocumentParser
    from chatocr.structure.tables import cell_accuracy

    kinds = {
        "ruled": dict(ruled=True),
        "unruled": dict(ruled=False),
        "spanning header": dict(ruled=True, header_span=(1, 2)),
        # an item's name and a heading on two lines and more, the rows set further apart than a cell's lines
        "unruled, wrapped cells": dict(ruled=False, wrap=True),
    }
    out = {}
    parser = DocumentParser(_options())
    for kind, kw in kinds.items():
        rows = [
            ["Item", "Jan", "Feb", "Total"],
            ["Apples", "12", "15", "27"],
            ["Pears", "8", "9", "17"],
            ["Plums", "30", "21", "51"],
            ["All", "50", "45", "95"],
        ]
        if "header_span" in kw:
            rows[0] = ["Item", "Months", "", "Total"]
        if kw.get("wrap"):
            rows[0][3] = "Total to date"
            rows[2][0] = "Pears, Conference and Comice, from Upper Farm"
        doc = pymupdf.open()
        page = doc.new_page(width=400, height=300)
        draw_table(page, 40, 60, rows, [100, 70, 70, 70], fontsize=11, row_h=22, **kw)
        pdf = doc.tobytes()
        res = {}
        for src, data in (("text layer", pdf), ("scan 150 dpi", scanned_pdf(pdf, dpi=150))):
            parsed = parser.parse(data)
            found = [b.table for b in parsed.pages[0].blocks if b.table is not None]
            res[src] = max((cell_accuracy(t, rows) for t in found), default=0.0)
        out[kind] = res
    # generated bank statements (tests/kiegen.statement, seeds 1000-1009) scanned at 150 dpi: the share
    # whose transactions come out as one table, its header and every row
    from kiegen import statement

    whole = 0
    for seed in range(1000, 1010):
        data, truth = statement(seed)
        parsed = parser.parse(scanned_pdf(data, dpi=150))
        rows = int(truth.fields["q:transactions"].value) + 3  # the header, opening and closing rows
        whole += any(b.table is not None and b.table.n_rows == rows and b.table.grid()[0][0] == "Date"
                     for b in parsed.pages[0].blocks)
    out["statements"] = {"scanned": 10, "whole": whole}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--receipts", type=int, default=40, help="sroie-dev receipts for the scanned part")
    ap.add_argument("--docs", type=int, default=10, help="generated reports + invoices for the digital part")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument(
        "--only",
        choices=PARTS,
        action="append",
        default=None,
        help="run only this part (repeatable); results go to results/parse-<part>.json",
    )
    ap.add_argument("--memory-worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_worker:
        memory_worker(args.memory_worker)
        return
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    parts = set(args.only or PARTS)
    if args.skip_memory:
        parts.discard("memory")
    results: dict = {}
    if "digital" in parts:
        results["digital"] = digital_speed(args.docs)
        print("digital", results["digital"], file=sys.stderr)
    if "tables" in parts:
        results["tables"] = tables()
        print("tables", results["tables"], file=sys.stderr)
    if "scanned" in parts and (DATA / "img").is_dir():
        results["scanned"] = scanned(args.receipts)
        print("scanned", results["scanned"], file=sys.stderr)
    if "memory" in parts:
        tmp = HERE / "results" / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        results["memory"] = memory(tmp)
        print("memory", results["memory"], file=sys.stderr)
    (HERE / "results").mkdir(exist_ok=True)
    name = "parse.json" if args.only is None else f"parse-{'-'.join(sorted(parts))}.json"
    (HERE / "results" / name).write_text(json.dumps(results, indent=2))
    rows = [
        "| measure | chatocr | reference (same run) | ratio | target |",
        "|---|---|---|---|---|",
    ]
    if "digital" in results:
        d = results["digital"]
        rows.append(
            f"| born-digital pages/s ({d['pages']} pages) | {d['chatocr_pages_s']:.1f} | "
            f"PyMuPDF get_text {d['pymupdf_get_text_pages_s']:.1f} | "
            f"{d['chatocr_pages_s'] / d['pymupdf_get_text_pages_s']:.2f}× | ≥ 20 |"
        )
    if "scanned" in results:
        s = results["scanned"]
        rows += [
            f"| scanned page, median s ({s['pages']} receipts) | {s['parse_median_s']:.2f} | "
            f"OCR core alone {s['ocr_median_s']:.2f} | {s['parse_median_s'] / s['ocr_median_s']:.2f}× | ≤ 1.5 s |",
            f"| whole-page CER, reading order | {100 * s['parse_cer']:.2f}% | OCR core alone, its order "
            f"{100 * s['ocr_cer']:.2f}% (its lines regrouped into rows {100 * s['ocr_cer_rows']:.2f}%) | | "
            "not worse than OCR |",
        ]
    if "memory" in results:
        m = results["memory"]
        rows.append(f"| peak RSS, {m['pages']}-page PDF | {m['peak_rss_mb']:.0f} MB | | | ≤ 1.5 GB |")
    for kind, res in results.get("tables", {}).items():
        if kind == "statements":
            rows.append(f"| scanned statements whose transactions are one whole table | {res['whole']} of "
                        f"{res['scanned']} | | | |")
            continue
        rows.append(
            f"| table cell accuracy, {kind} | text layer {res['text layer']:.2f}, scan {res['scan 150 dpi']:.2f} "
            "| | | |"
        )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
