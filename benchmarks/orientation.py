"""Turned pages through the OCR core: sroie-dev receipts turned 0 / 90 / 180 / 270 degrees
clockwise, read by chatocr (page orientation on, the default), by chatocr with it off, and by
RapidOCR 3.10.0 (same PP-OCRv6 small weights, text-line classifier on, no page orientation).

    python benchmarks/orientation.py                  # 25 receipts x 4 angles (about 8 minutes)
    python benchmarks/orientation.py --receipts 100

Per pipeline and angle: the share of pages read at the right orientation (chatocr's
``OCRPage.orientation``), page CER against the upright truth (whitespace removed, uppercased,
rows grouped by vertical centre, as in benchmarks/ocr.py; a pipeline's boxes are taken upright
by the orientation it found, none for the others), and median seconds per page.  Two ONNX
Runtime threads.  Writes benchmarks/results/orientation.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ocr import DEFAULT_DATA, THREADS, load_truth, page_cer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ANGLES = (0, 90, 180, 270)
_TURN = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--receipts", type=int, default=25)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args(argv)

    from rapidocr import RapidOCR

    from chatocr.geometry import upright_box
    from chatocr.io import PageImage
    from chatocr.ocr import OCREngine
    from chatocr.options import EngineOptions, OCROptions

    engine = OCREngine(OCROptions(engine=EngineOptions(threads=THREADS)))
    flat = OCREngine(OCROptions(engine=EngineOptions(threads=THREADS), page_orientation=False))
    rapid = RapidOCR(params={"Global.log_level": "error", "EngineConfig.onnxruntime.intra_op_num_threads": THREADS})

    def chatocr_run(eng):
        def run(image):
            h, w = image.shape[:2]
            page = eng.read_page(PageImage(1, image, float(w), float(h), "px", 1.0))
            lines = [(ln.text, list(upright_box(ln.bbox, page.orientation, w, h))) for ln in page.lines]
            return lines, page.orientation

        return run

    def rapid_run(image):
        out = rapid(image)
        boxes = [] if out.boxes is None else out.boxes
        lines = [(t, [float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 0].max()), float(b[:, 1].max())])
                 for b, t in zip(boxes, out.txts or (), strict=False)]
        return lines, None

    runners = {"chatocr": chatocr_run(engine), "chatocr, page orientation off": chatocr_run(flat),
               "rapidocr 3.10.0": rapid_run}
    stats = {(name, a): {"right": 0, "cer": [], "seconds": []} for name in runners for a in ANGLES}
    ids = sorted(p.stem for p in (args.data / "img").glob("*.jpg"))[: args.receipts]
    warm = cv2.imread(str(args.data / "img" / f"{ids[0]}.jpg"))
    for run in runners.values():
        run(warm)
    for rid in ids:
        image = cv2.imread(str(args.data / "img" / f"{rid}.jpg"))
        truth = load_truth(args.data, rid)
        for a in ANGLES:
            turned = cv2.rotate(image, _TURN[a]) if a else image
            for name, run in runners.items():
                t0 = time.perf_counter()
                lines, found = run(turned)
                st = stats[name, a]
                st["seconds"].append(time.perf_counter() - t0)
                st["right"] += int(found == a) if found is not None else 0
                d, n = page_cer(truth, lines)
                st["cer"].append(d / max(n, 1))
        print(f"  {rid} done", file=sys.stderr)

    print(f"{len(ids)} receipts, each turned 0 / 90 / 180 / 270 degrees clockwise\n")
    print("| pipeline | turned | right orientation | page CER | median s/page |")
    print("|---|---|---|---|---|")
    results = []
    for (name, a), st in stats.items():
        right = f"{st['right']}/{len(ids)}" if name != "rapidocr 3.10.0" else "–"
        cer = 100 * statistics.fmean(st["cer"])
        med = statistics.median(st["seconds"])
        print(f"| {name} | {a} | {right} | {cer:.2f}% | {med:.2f} |")
        results.append({"pipeline": name, "angle": a, "right": st["right"], "pages": len(ids),
                        "cer": round(cer, 3), "median_s": round(med, 3)})
    out = ROOT / "benchmarks" / "results" / "orientation.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
