"""Word boxes: chatocr's against RapidOCR's (``return_word_box=True``, the same PP-OCRv6 small
weights) and against splitting chatocr's own line box by character count, in one run.

    python benchmarks/words.py                      # 20 generated pages + all 100 receipts
    python benchmarks/words.py --pages 5 --receipts 20

Truth:
- generated pages: lines of words in Helvetica (a proportional font) at 9-16 pt, rendered at
  150 dpi with PyMuPDF; each word's box is PyMuPDF's own (``page.get_text("words")``).
- sroie-dev receipts (fixed-pitch print): the ground-truth lines of one word, which the
  annotation draws around many columns of a row ("1", "X", "19.00").
A predicted word counts where its text equals a truth word's (uppercased on receipts) and the
two overlap; a word is placed well when its box and the truth's overlap by 0.8 or more along
the line (x-IoU: the line's height is the line box's in every method).  Reported: words
matched, median x-IoU, share with x-IoU >= 0.8, share whose box holds 95% of the truth's width,
and the time the word boxes add per page.  Two ONNX Runtime threads.  Writes
benchmarks/results/words.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "sroie-dev"
THREADS = 2
VOCAB = (
    "Invoice Total Subtotal Amount Quantity Price Payment terms due within thirty days of receipt "
    "Customer Account number 2019/0042 INV-7731 12.30 1,250.00 RM 8.00 Tax GST 6% Date 24/07/2017 "
    "Willow Mill Street illicit WWW.SHOP.COM minimum (A) 50KG Thank you for your business"
).split()


# -- truth ------------------------------------------------------------------------------------

def generated_pages(n: int, seed: int = 7):
    """(BGR image, [(word, (x0, x1) in pixels)]) per page."""
    import pymupdf

    rng = random.Random(seed)
    dpi = 150
    for _ in range(n):
        doc = pymupdf.open()
        page = doc.new_page(width=595, height=842)
        size = rng.choice([9, 11, 13, 16])
        y = 60.0
        while y < 800:
            text = " ".join(rng.sample(VOCAB, rng.randint(2, 7)))
            page.insert_text((rng.uniform(40, 160), y), text, fontname="helv", fontsize=size)
            y += size * 2.4
        words = [(w[4], (w[0] * dpi / 72, w[2] * dpi / 72)) for w in page.get_text("words")]
        pix = page.get_pixmap(dpi=dpi)
        img = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)[:, :, 2::-1]
        yield np.ascontiguousarray(img), words


def receipts(data: Path, limit: int):
    import cv2

    for csv in sorted((data / "box").glob("*.csv"))[:limit]:
        words = []
        for row in csv.read_text(encoding="utf-8").splitlines():
            parts = row.split(",", 8)
            if len(parts) < 9 or not parts[8].strip() or " " in parts[8].strip():
                continue
            xs = [float(v) for v in parts[0:8:2]]
            words.append((parts[8].strip().upper(), (min(xs), max(xs))))
        yield cv2.imread(str(data / "img" / (csv.stem + ".jpg"))), words


# -- methods ----------------------------------------------------------------------------------

def _x_extent(poly) -> tuple[float, float]:
    xs = [p[0] for p in poly]
    return min(xs), max(xs)


def chatocr_words(engine, image):
    """Words of chatocr's lines that hold more than one (from the character positions), the same
    lines split by character count, and the seconds the word boxes add to the page (``read_page``
    on the same detections, with and without them, best of 5)."""
    import chatocr.ocr.pipeline as pipeline
    from chatocr.io import PageImage

    raw = engine.read_image(image)
    page_image = PageImage(page=1, image=image, width=image.shape[1], height=image.shape[0], unit="px", scale=1.0)
    read, real = engine.read_image, pipeline.word_quads
    engine.read_image = lambda _img: raw
    best = {}
    try:
        for name, fn in (("with", real), ("without", lambda *_: [])):
            pipeline.word_quads = fn
            for _ in range(5):
                t = time.perf_counter()
                page = engine.read_page(page_image)
                best[name] = min(best.get(name, 1e9), time.perf_counter() - t)
            if name == "with":
                lines = page.lines
    finally:
        engine.read_image, pipeline.word_quads = read, real
    ours, split = [], []
    for ln in lines:
        if " " not in ln.text:
            continue
        ours += [(w.text, _x_extent(w.polygon)) for w in ln.words]
        (x0, _), (x1, _) = ln.polygon[0], ln.polygon[1]
        n = len(ln.text)
        for m in re.finditer(r"\S+", ln.text):
            split.append((m.group(), (x0 + (x1 - x0) * m.start() / n, x0 + (x1 - x0) * m.end() / n)))
    return ours, split, best["with"] - best["without"]


def rapidocr_words(engine, image):
    out = engine(image, return_word_box=True)
    words = []
    for line, text in zip(out.word_results or (), out.txts or (), strict=False):
        if " " in text.strip():
            words += [(w, _x_extent(box)) for w, _score, box in line]
    return words


# -- scoring ----------------------------------------------------------------------------------

def score(pred, truth, upper: bool):
    """x-IoU and width coverage of each predicted word against the truth word it overlaps most."""
    ious, covers = [], []
    for text, (a0, a1) in pred:
        key = text.upper() if upper else text
        best = None
        for t, (b0, b1) in truth:
            if t != key:
                continue
            inter = max(0.0, min(a1, b1) - max(a0, b0))
            if inter > 0 and (best is None or inter > best[0]):
                best = (inter, max(a1, b1) - min(a0, b0), b1 - b0)
        if best is not None:
            ious.append(best[0] / best[1])
            covers.append(best[0] / max(best[2], 1e-6))
    return ious, covers


def summary(ious, covers) -> dict:
    if not ious:
        return {"words": 0}
    return {
        "words": len(ious),
        "median_x_iou": round(statistics.median(ious), 3),
        "x_iou_0.8": round(sum(v >= 0.8 for v in ious) / len(ious), 3),
        "covers_95": round(sum(v >= 0.95 for v in covers) / len(covers), 3),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=20, help="generated pages")
    ap.add_argument("--receipts", type=int, default=100, help="sroie-dev receipts")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args(argv)

    from rapidocr import RapidOCR

    from chatocr.ocr import OCREngine
    from chatocr.options import EngineOptions, OCROptions

    engine = OCREngine(OCROptions(engine=EngineOptions(threads=THREADS)))
    rapid = RapidOCR(params={"Global.log_level": "error", "EngineConfig.onnxruntime.intra_op_num_threads": THREADS})
    sets = [("generated pages (Helvetica)", generated_pages(args.pages), False)]
    if args.receipts and args.data.is_dir():
        sets.append(("sroie-dev receipts", receipts(args.data, args.receipts), True))
    results: dict = {}
    for name, pages, upper in sets:
        acc = {"chatocr": ([], []), "rapidocr 3.10.0": ([], []), "line box split by character count": ([], [])}
        extra: list[float] = []
        for image, truth in pages:
            ours, split, seconds = chatocr_words(engine, image)
            theirs = rapidocr_words(rapid, image)
            extra.append(seconds)
            for key, pred in zip(acc, (ours, theirs, split), strict=True):
                i, c = score(pred, truth, upper)
                acc[key][0].extend(i)
                acc[key][1].extend(c)
        results[name] = {k: summary(*v) for k, v in acc.items()}
        results[name]["chatocr"]["ms_per_page"] = round(1000 * statistics.median(extra), 1)
        print(f"{name}: done", file=sys.stderr)

    print("| set | method | words matched | median x-IoU | x-IoU >= 0.8 | holds 95% of the width |")
    print("|---|---|---|---|---|---|")
    for name, res in results.items():
        for method, r in res.items():
            if r["words"]:
                print(f"| {name} | {method} | {r['words']} | {r['median_x_iou']:.3f} | {100 * r['x_iou_0.8']:.1f}% "
                      f"| {100 * r['covers_95']:.1f}% |")
    for name, res in results.items():
        print(f"{name}: chatocr's word boxes add {res['chatocr']['ms_per_page']} ms per page (median)")
    out = ROOT / "benchmarks" / "results" / "words.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
