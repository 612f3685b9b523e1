"""Scans made askew: sroie-dev receipts turned a few degrees, read by the OCR core and by RapidOCR
3.10.0 (same PP-OCRv6 small weights), and parsed and asked for their fields by chatocr.

    python benchmarks/skew.py                      # 10 receipts x 4 angles (about 4 minutes)
    python benchmarks/skew.py --receipts 25 --angles 0 3 -3 6 -6 90 -93   # the README's table (15 minutes)
    PYTHONPATH=/path/to/older/checkout python benchmarks/skew.py --no-refs  # the same, for older code
    python benchmarks/skew.py --converging ...     # photographed from one side rather than turned
    python benchmarks/skew.py --on-table ...       # then photographed on a table (a large, grainy frame)
    python benchmarks/skew.py --curled --angles 0 2 4 6 8   # on curled paper: rows sag 2-8% of the width

Each receipt is turned counter-clockwise by the angle (negative: clockwise) on a white canvas that
holds all of it.  Per angle:
- page CER in the order the pipeline gives its lines (what ``chatocr ocr`` prints; whitespace
  removed, uppercased) against the upright truth grouped into rows (as in benchmarks/ocr.py): a
  pipeline that mixes the rows of a sloping page pays for it here;
- line F1 (as in benchmarks/ocr.py; order plays no part);
- the skew chatocr measured (median over pages);
- fields: the built-in engine's company / date / address / total on the parsed receipt, exact
  match as in benchmarks/kie.py;
- median seconds per page of the OCR core and of RapidOCR.
Two ONNX Runtime threads.  Writes benchmarks/results/skew.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ocr import DEFAULT_DATA, THREADS, line_matches, load_truth, page_cer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ("company", "date", "address", "total")


def turned(image: np.ndarray, angle: float) -> np.ndarray:
    """``image`` turned ``angle`` degrees counter-clockwise on a white canvas that holds it all (as
    ``chatocr.ocr.orientation.level`` does; kept here so that older code can be measured too)."""
    if not angle:
        return image
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    c, s = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(round(h * s + w * c)), int(round(h * c + w * s))
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(image, m, (nw, nh), borderValue=(255, 255, 255))


def converging(image: np.ndarray, angle: float) -> np.ndarray:
    """``image`` as photographed from one side: its right edge shrunk so that the top row slopes
    down by ``angle`` degrees, the bottom row up by as much, and the rows between less and less
    (a photo taken at an angle; negative: the left edge shrunk)."""
    if not angle:
        return image
    h, w = image.shape[:2]
    k = np.tan(np.radians(abs(angle))) * w
    src = np.float32([(0, 0), (w, 0), (w, h), (0, h)])
    dst = np.float32([(0, 0), (w, k), (w, h - k), (0, h)] if angle > 0 else [(0, k), (w, 0), (w, h), (0, h - k)])
    return cv2.warpPerspective(image, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=(255, 255, 255))


def curled(image: np.ndarray, sag: float) -> np.ndarray:
    """``image`` as on paper curled across its rows: each row sinks toward the middle of the page
    by ``sag`` percent of the page's width (negative: rises), on a white page taller by the sag."""
    if not sag:
        return image
    h, w = image.shape[:2]
    s = sag / 100 * w
    pad = int(np.ceil(abs(s))) + 2
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h + 2 * pad, dtype=np.float32))
    src = (ys - pad - s * (1 - (2 * xs / w - 1) ** 2)).astype(np.float32)
    return cv2.remap(image, xs, src, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))


def on_table(image: np.ndarray, paper: np.ndarray, seed: int) -> np.ndarray:
    """``image`` as a phone photo of a receipt on a table: enlarged 1.5 times, in the middle of a
    3000 x 4000 frame (larger if need be) of grey-blue grain (a table), which shows wherever ``paper`` (a
    mask of the receipt in ``image``) is False; the grain is drawn from ``seed``, so that every
    run sees the same photo."""
    big = cv2.resize(image, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC)
    paper = cv2.resize(paper.astype(np.uint8), (big.shape[1], big.shape[0]), interpolation=cv2.INTER_NEAREST) > 0
    h, w = big.shape[:2]
    fh, fw = max(4000, h + 200), max(3000, w + 200)
    grain = np.random.default_rng(seed).normal(90, 12, (fh, fw, 1)) + np.array([30, 10, 0])  # B, G, R
    frame = grain.clip(0, 255).astype(np.uint8)
    y, x = (fh - h) // 2, (fw - w) // 2
    frame[y : y + h, x : x + w][paper] = big[paper]
    return frame


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--receipts", type=int, default=10)
    ap.add_argument("--angles", type=float, nargs="+", default=[0.0, 3.0, -3.0, 6.0])
    ap.add_argument("--converging", action="store_true",
                    help="photographed from one side rather than turned: the angle is the slope of the top row")
    ap.add_argument("--curled", action="store_true",
                    help="on curled paper rather than turned: the angle is the rows' sag, in percent of the width")
    ap.add_argument("--on-table", action="store_true",
                    help="each receipt then photographed on a table (see on_table)")
    ap.add_argument("--no-refs", action="store_true", help="only chatocr (no RapidOCR columns)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "skew.json")
    args = ap.parse_args(argv)

    from kie import _same
    from rapidocr import RapidOCR

    from chatocr.agent.builtin import BuiltinEngine
    from chatocr.io import PageImage
    from chatocr.ocr import OCREngine
    from chatocr.options import EngineOptions, OCROptions, ParserOptions
    from chatocr.structure import DocumentParser

    engine = OCREngine(OCROptions(engine=EngineOptions(threads=THREADS)))
    parser = DocumentParser(ParserOptions(ocr=OCROptions(engine=EngineOptions(threads=THREADS))), ocr=engine)
    builtin = BuiltinEngine()
    rapid = RapidOCR(params={"Global.log_level": "error", "EngineConfig.onnxruntime.intra_op_num_threads": THREADS})

    def ours(image):
        h, w = image.shape[:2]
        t0 = time.perf_counter()
        page = engine.read_page(PageImage(1, image, float(w), float(h), "px", 1.0))
        return [(ln.text, list(ln.bbox)) for ln in page.lines], time.perf_counter() - t0, getattr(page, "skew", 0.0)

    def theirs(image):
        t0 = time.perf_counter()
        out = rapid(image)
        lines = [] if out.boxes is None else [
            (t, [float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 0].max()), float(b[:, 1].max())])
            for b, t in zip(np.asarray(out.boxes), out.txts, strict=True)
        ]
        return lines, time.perf_counter() - t0, None

    ids = sorted(p.stem for p in (args.data / "img").glob("*.jpg"))[: args.receipts]
    stats = {a: {"chatocr": [], "rapidocr": [], "skew": [], "fields": [0, 0]} for a in args.angles}
    ours(cv2.imread(str(args.data / "img" / f"{ids[0]}.jpg")))  # warm-up, not timed
    if not args.no_refs:
        theirs(cv2.imread(str(args.data / "img" / f"{ids[0]}.jpg")))
    for n, rid in enumerate(ids):
        image = cv2.imread(str(args.data / "img" / f"{rid}.jpg"))
        truth = load_truth(args.data, rid)
        keys = json.loads((args.data / "key" / f"{rid}.json").read_text(encoding="utf-8"))
        for a in args.angles:
            move = ((lambda im, a=a: converging(im, a)) if args.converging else
                    (lambda im, a=a: curled(im, a)) if args.curled else (lambda im, a=a: turned(im, a)))
            im = move(image)
            if args.on_table:  # the receipt is where a black page, moved alike, stays dark
                im = on_table(im, move(np.zeros_like(image)).max(axis=2) < 128, n)
            for name, run in (("chatocr", ours), ("rapidocr", theirs))[: 1 if args.no_refs else 2]:
                lines, secs, skew = run(im)
                d, total = page_cer(truth, lines, keep_order=True)
                stats[a][name].append((d / max(total, 1), line_matches(truth, lines), len(truth), len(lines), secs))
                if skew is not None:
                    stats[a]["skew"].append(skew)
            got = builtin.extract(parser.parse(im), list(FIELDS))  # BGR, as read by OpenCV
            for f in FIELDS:
                if keys.get(f):
                    stats[a]["fields"][0] += _same(f, got[f].value, keys[f])
                    stats[a]["fields"][1] += 1
        print(f"\r{n + 1}/{len(ids)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)

    rows = []
    for a in args.angles:
        st = stats[a]
        row = {"angle": a, "skew_median": statistics.median(st["skew"]),
               "fields": st["fields"][0] / max(st["fields"][1], 1)}
        for name in ("chatocr", "rapidocr"):
            r = st[name]
            if not r:
                row[name] = {"cer_own_order": float("nan"), "line_f1": float("nan"), "median_s": float("nan")}
                continue
            tp, nt, npred = sum(x[1] for x in r), sum(x[2] for x in r), sum(x[3] for x in r)
            p, rc = tp / max(npred, 1), tp / max(nt, 1)
            row[name] = {"cer_own_order": statistics.mean(x[0] for x in r),
                         "line_f1": 2 * p * rc / max(p + rc, 1e-9), "median_s": statistics.median(x[4] for x in r)}
        rows.append(row)
    print(f"\n{len(ids)} receipts from {args.data.name}, {THREADS} threads\n")
    print("| turned | skew measured | chatocr CER (own order) | RapidOCR CER (own order) | chatocr line F1 "
          "| RapidOCR line F1 | fields exact (parse + built-in) | chatocr s/page | RapidOCR s/page |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        c, t = r["chatocr"], r["rapidocr"]
        print(f"| {r['angle']:+.0f}{'%' if args.curled else '°'} | {r['skew_median']:+.1f}° | {c['cer_own_order']:.2%} | {t['cer_own_order']:.2%} "
              f"| {c['line_f1']:.3f} | {t['line_f1']:.3f} | {r['fields']:.3f} | {c['median_s']:.2f} "
              f"| {t['median_s']:.2f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"receipts": len(ids), "threads": THREADS, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
