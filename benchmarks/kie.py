"""Key-information extraction and QA with the built-in engine (no model, no key).

    python benchmarks/kie.py                     # everything through DocumentParser (reads are cached)
    python benchmarks/kie.py --only sroie -v     # one part (sroie | generated | latency); -v lists failures
    python benchmarks/kie.py --source ocr        # receipts as OCREngine lines, one block per line
    python benchmarks/kie.py --source box        # receipts from the dataset's transcripts (the engine alone)

Parts:
- SROIE (../shared/data/sroie-dev, 100 receipts): each image is read ONCE (``DocumentParser``,
  or ``OCREngine`` lines) and cached under benchmarks/results/tmp/ (keyed by a hash of the
  reading code, so a change to OCR or parsing reads again); the built-in engine then
  extracts company / date / address / total.  Field exact match: case-folded and
  whitespace-insensitive (``exact``; the ``spaces`` variant keeps single spaces), totals
  compared as numbers, dates as written.  Precision = correct / predicted, recall = correct /
  labelled.  Reported for receipts 0-49 (the rules were tuned there; -v lists only their
  failures), 50-99 (held out) and all 100, with the ceiling of the reading (share of labelled
  values that occur in the read text at all) and QA on the receipts (answers, and None for
  questions no receipt answers).
- generated: invoices, form-like contracts and contracts written in paragraphs (English and Chinese)
  and bank statements (English; their tables asked by column and row: "What is the balance on 12 Mar?")
  from tests/kiegen.py, seeds 1000+
  (the rules were written against seeds 0-39), born-digital and rendered at 150 dpi and read
  by OCR: field accuracy (correct values, None for absent keys), answer accuracy, share of
  correct answers whose evidence box overlaps the truth (IoU >= 0.5), share of unanswerable
  questions answered None, and value boxes: correct fields whose box covers the value alone
  along its line (x-IoU >= 0.8), placed by the line's words and, on the same documents without
  word boxes, by character count (also for the receipts' dates and totals the transcripts box
  alone); and the same for every present value placed by ``locate``, as an LLM backend's
  answers are (values in table cells among them; on the receipts, the labelled company and
  address against the transcript lines that hold them).
- latency: median ``extract`` time for 4 keys on already parsed receipts (wall and CPU).

Writes benchmarks/results/kie.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
DATA = REPO.parent / "shared" / "data" / "sroie-dev"
TMP = HERE / "results" / "tmp"
FIELDS = ("company", "date", "address", "total")


# -- documents -------------------------------------------------------------------------------


def box_documents(ids: list[str]) -> dict:
    """id → Document from the dataset's own transcripts (box/*.csv): the engine without OCR errors."""
    from kiegen import document_from_lines
    from PIL import Image

    out = {}
    for i in ids:
        lines = []
        for row in (DATA / "box" / f"{i}.csv").read_text(encoding="utf-8").splitlines():
            parts = row.split(",", 8)
            if len(parts) < 9 or not parts[8].strip():
                continue
            xs, ys = [float(v) for v in parts[0:8:2]], [float(v) for v in parts[1:8:2]]
            lines.append((parts[8].strip(), (min(xs), min(ys), max(xs), max(ys)), 1.0))
        with Image.open(DATA / "img" / f"{i}.jpg") as im:
            w, h = im.size
        order = sorted(range(len(lines)), key=lambda k: (lines[k][1][1], lines[k][1][0]))
        out[i] = document_from_lines([lines[k] for k in order], w, h, name=f"{i}.jpg")
    return out


def ceiling(ids: list[str], docs: dict) -> dict:
    """Share of labelled values that occur in the read text at all (whitespace-insensitive): the best any
    extractor can score on exact match with this reading."""
    out = {}
    for f in FIELDS:
        hit = n = 0
        for i in ids:
            truth = json.loads((DATA / "key" / f"{i}.json").read_text()).get(f)
            if not truth:
                continue
            n += 1
            text = re.sub(r"\s+", "", docs[i].text).upper()
            want = re.sub(r"\s+", "", truth).upper()
            if f == "total":
                want = re.sub(r"[^\d.]", "", want)
            hit += want in text
        out[f] = round(hit / n, 4) if n else 0.0
    return out


def code_key() -> str:
    """A hash of the package's reading code (OCR, parsing, loading, options): cached reads are
    keyed by it, so figures never come from reads made by older code."""
    import hashlib

    pkg = REPO / "chatocr"
    parts = [pkg / d for d in ("ocr", "structure", "engine", "io")]
    files = sorted([*(f for d in parts for f in d.rglob("*.py")),
                    *(pkg / n for n in ("options.py", "models.py", "geometry.py", "document.py", "types.py"))])
    h = hashlib.sha256()
    for f in files:
        if f.is_file():
            h.update(f.relative_to(pkg).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:10]


def ocr_documents(ids: list[str], source: str) -> dict:
    """id → Document, reading each receipt once and caching the result."""
    from kiegen import document_from_lines

    from chatocr.document import Document

    if source == "box":
        return box_documents(ids)
    cache = TMP / f"{'kie-ocr' if source == 'ocr' else 'kie-parse'}-{code_key()}"
    cache.mkdir(parents=True, exist_ok=True)
    out = {}
    engine = None
    for i in ids:
        f = cache / f"{i}.json"
        if not f.exists():
            img = DATA / "img" / f"{i}.jpg"
            t0 = time.perf_counter()
            if engine is None:
                engine = _reader(source)
            if source == "ocr":
                res = engine(str(img))
                f.write_text(json.dumps(res.to_dict()))
            else:
                f.write_text(engine.parse(str(img)).to_json())
            print(f"  read {i} in {time.perf_counter() - t0:.1f}s", file=sys.stderr, flush=True)
        data = json.loads(f.read_text())
        if source == "ocr":
            page = data["pages"][0]
            lines = [(ln["text"], tuple(ln["bbox"]), ln["score"]) for ln in page["lines"]]
            out[i] = document_from_lines(lines, page["width"], page["height"], name=f"{i}.jpg")
        else:
            out[i] = Document.from_dict(data)
    return out


def _reader(source: str):
    from chatocr.options import EngineOptions, OCROptions

    if source == "ocr":
        from chatocr.ocr import OCREngine

        return OCREngine(OCROptions(engine=EngineOptions(threads=2)))
    from chatocr.options import ParserOptions
    from chatocr.structure import DocumentParser

    return DocumentParser(ParserOptions(ocr=OCROptions(engine=EngineOptions(threads=2))))


# -- SROIE -----------------------------------------------------------------------------------


def _norm(s: str | None, spaces: bool) -> str | None:
    if s is None:
        return None
    s = s.upper().strip()
    return re.sub(r"\s+", " ", s) if spaces else re.sub(r"\s+", "", s)


def _same(field: str, pred: str | None, truth: str | None, spaces: bool = False) -> bool:
    from chatocr.agent.builtin.validators import parse_money

    if pred is None or truth is None:
        return False
    if field == "total":
        a, b = parse_money(pred), parse_money(truth)
        return a is not None and b is not None and abs(a - b) < 0.005
    return _norm(pred, spaces) == _norm(truth, spaces)


def _prf(rows: list[dict], field: str, spaces: bool = False) -> dict:
    pred = sum(1 for r in rows if r["pred"][field] is not None)
    gold = sum(1 for r in rows if r["truth"].get(field))
    ok = sum(1 for r in rows if _same(field, r["pred"][field], r["truth"].get(field), spaces))
    p = ok / pred if pred else 0.0
    rc = ok / gold if gold else 0.0
    f = 2 * p * rc / (p + rc) if p + rc else 0.0
    return {"precision": round(p, 4), "recall": round(rc, 4), "f1": round(f, 4), "correct": ok, "predicted": pred,
            "labelled": gold}


def _summary(rows: list[dict]) -> dict:
    out = {}
    for spaces, name in ((False, "exact"), (True, "spaces")):
        per = {f: _prf(rows, f, spaces) for f in FIELDS}
        ok = sum(v["correct"] for v in per.values())
        pred = sum(v["predicted"] for v in per.values())
        gold = sum(v["labelled"] for v in per.values())
        p, r = ok / pred if pred else 0.0, ok / gold if gold else 0.0
        per["micro"] = {"precision": round(p, 4), "recall": round(r, 4),
                        "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4)}
        out[name] = per
    return out


def sroie(source: str, verbose: bool, show_heldout: bool = False, embedder=None) -> dict:
    from chatocr.agent.builtin import BuiltinEngine

    ids = sorted(p.stem for p in (DATA / "key").glob("*.json"))
    if not ids:
        raise SystemExit(f"{DATA}: no receipts (key/*.json); the SROIE part needs ../shared/data/sroie-dev "
                         "(or run --only generated)")
    docs = ocr_documents(ids, source)
    engine = BuiltinEngine(embedder=embedder)
    rows = []
    for i in ids:
        truth = json.loads((DATA / "key" / f"{i}.json").read_text())
        fields = engine.extract(docs[i], list(FIELDS))
        rows.append({"id": i, "truth": truth, "pred": {k: f.value for k, f in fields.items()},
                     "method": {k: f.method for k, f in fields.items()}})
    parts = {"0-49": rows[:50], "50-99": rows[50:], "all": rows}
    res = {name: _summary(rs) for name, rs in parts.items()}
    failures = []
    for r in rows:
        for f in FIELDS:
            if r["truth"].get(f) and not _same(f, r["pred"][f], r["truth"][f]):
                failures.append({"id": r["id"], "field": f, "truth": r["truth"][f], "pred": r["pred"][f],
                                 "method": r["method"][f]})
            elif not r["truth"].get(f) and r["pred"][f] is not None:
                failures.append({"id": r["id"], "field": f, "truth": None, "pred": r["pred"][f],
                                 "method": r["method"][f]})
    res["failures"] = failures
    res["source"] = source
    res["ceiling"] = ceiling(ids, docs)
    res["qa"] = sroie_qa(engine, ids, docs)
    res["value_boxes"] = sroie_value_boxes(engine, ids, docs)
    res["located"] = sroie_located(ids, docs)
    print(f"\n## SROIE ({source}; exact = case-folded, whitespace-insensitive; totals as numbers)\n")
    print("| receipts | field | P | R | F1 | F1 (spaces kept) |")
    print("|---|---|---|---|---|---|")
    for name in parts:
        for f in (*FIELDS, "micro"):
            e, s = res[name]["exact"][f], res[name]["spaces"][f]
            print(f"| {name} | {f} | {e['precision']:.3f} | {e['recall']:.3f} | {e['f1']:.3f} | {s['f1']:.3f} |")
    print("\nceiling (share of labelled values present in the read text): "
          + ", ".join(f"{k} {v:.2f}" for k, v in res["ceiling"].items()))
    tune = {r["id"] for r in rows[:50]}
    shown = failures if show_heldout else [x for x in failures if x["id"] in tune]
    print(f"\n{len(failures)} failures, {len(shown)} of them in the listed split"
          + (":" if verbose else " (--verbose lists them)"))
    if verbose:
        for x in shown:
            print(f"  {x['id']} {x['field']:8s} [{x['method']}] truth={x['truth']!r} pred={x['pred']!r}")
    return res


def sroie_value_boxes(engine, ids: list[str], docs: dict) -> dict:
    """Where the engine's correct dates and totals point, against the transcript's box of the
    value when the annotators boxed it alone (``25/12/2018``, not ``DATE: 25/12/2018``): overlap
    along the line (``_placed``) with the words of the line read (``Line.words``), and with the
    same documents without word boxes (the value's place in its line by character count)."""
    from chatocr.agent.grounding import squash
    from chatocr.document import Document

    got: dict[str, list[float]] = {"words": [], "characters": []}
    for i in ids:
        truth = json.loads((DATA / "key" / f"{i}.json").read_text())
        boxes: dict[str, list] = {}
        for row in (DATA / "box" / f"{i}.csv").read_text(encoding="utf-8").splitlines():
            parts = row.split(",", 8)
            if len(parts) == 9 and parts[8].strip():
                xs, ys = [float(v) for v in parts[0:8:2]], [float(v) for v in parts[1:8:2]]
                boxes.setdefault(squash(parts[8]), []).append((min(xs), min(ys), max(xs), max(ys)))
        bare = Document.from_dict(docs[i].to_dict(words=False))
        keys = [f for f in ("date", "total") if truth.get(f)]
        with_words, without = engine.extract(docs[i], keys), engine.extract(bare, keys)
        for f in keys:
            alone = boxes.get(squash(truth[f]))
            a, b = with_words[f], without[f]
            if not alone or a.value != b.value or not _same(f, a.value, truth[f]) or a.bbox is None:
                continue
            got["words"].append(max(_placed(a.bbox, t) for t in alone))
            got["characters"].append(max(_placed(b.bbox, t) for t in alone))
    res = {k: {"values": len(v), "x_iou_0.8": _share(v, 0.8),
               "mean_x_iou": round(statistics.fmean(v), 4) if v else 0.0} for k, v in got.items()}
    print(f"\nValue boxes on the receipts ({res['words']['values']} correct dates and totals boxed alone in the "
          "transcripts): x-IoU >= 0.8 with the value's box (see the generated table), placed by the words of "
          f"its line {res['words']['x_iou_0.8']:.3f} (mean x-IoU {res['words']['mean_x_iou']:.3f}), by character "
          f"count {res['characters']['x_iou_0.8']:.3f} (mean {res['characters']['mean_x_iou']:.3f})")
    return res


def sroie_located(ids: list[str], docs: dict) -> dict:
    """Where ``locate`` places the labelled company and address, as it places an LLM's answer
    (the label's spelling, not the OCR's: a misread letter, a comma more or less): the share
    whose box overlaps the transcript lines that make up the value by IoU >= 0.5 (lines of at
    least 5 characters that occur in the value, spaces aside), and the mean IoU."""
    from chatocr.agent.agent import locate
    from chatocr.geometry import iou, union

    def norm(t: str) -> str:
        return re.sub(r"\s+", "", t).upper()

    got: dict[str, list[float]] = {"company": [], "address": []}
    for i in ids:
        truth = json.loads((DATA / "key" / f"{i}.json").read_text())
        lines = []
        for row in (DATA / "box" / f"{i}.csv").read_text(encoding="utf-8").splitlines():
            parts = row.split(",", 8)
            if len(parts) == 9 and parts[8].strip():
                xs, ys = [float(v) for v in parts[0:8:2]], [float(v) for v in parts[1:8:2]]
                lines.append((norm(parts[8]), (min(xs), min(ys), max(xs), max(ys))))
        for f in got:
            value = truth.get(f)
            held = [b for t, b in lines if len(t) >= 5 and t in norm(value)] if value else []
            if held:
                hit = locate(docs[i], value)
                got[f].append(iou(hit[1], union(held)) if hit else 0.0)
    res = {f: {"values": len(v), "iou_0.5": _share(v, 0.5), "mean_iou": round(statistics.fmean(v), 4) if v else 0.0}
           for f, v in got.items()}
    print("\nLLM answers on the receipts (the labelled value placed by locate; box IoU >= 0.5 with the transcript "
          "lines of the value): " + ", ".join(f"{f} {r['iou_0.5']:.3f} of {r['values']} (mean IoU {r['mean_iou']:.3f})"
                                              for f, r in res.items()))
    return res


# Questions a receipt answers (field) and questions no receipt here answers.
SROIE_QUESTIONS = [("What is the total?", "total"), ("How much did I pay?", "total"),
                   ("When was this receipt issued?", "date"), ("Which company issued this receipt?", "company")]
SROIE_ABSENT = ["What is the IBAN?", "When is payment due?", "What is the delivery date?", "What is the contract term?",
                "Who is Party B?", "What is the PO number?", "What is the warranty period?", "Who is the buyer?"]


def sroie_qa(engine, ids: list[str], docs: dict) -> dict:
    """QA on the receipts: answers equal to the labelled field, and None for questions they do not answer."""
    ok = n = null = m = 0
    for i in ids:
        truth = json.loads((DATA / "key" / f"{i}.json").read_text())
        for q, f in SROIE_QUESTIONS:
            n += 1
            ok += _same(f, engine.answer(docs[i], q).text, truth.get(f))
        for q in SROIE_ABSENT:
            m += 1
            null += engine.answer(docs[i], q).text is None
    res = {"answer_accuracy": round(ok / n, 4), "questions": n, "null_rate": round(null / m, 4), "unanswerable": m}
    print(f"\nQA on the receipts: answer accuracy {res['answer_accuracy']:.3f} ({n} questions), "
          f"unanswerable → None {res['null_rate']:.3f} ({m} questions)")
    return res


# -- generated invoices and contracts ---------------------------------------------------------

# how a user might ask for each truth key (the engine must map every wording to the same field)
REQUEST = {
    "seller": ["seller", "vendor", "company", "销售方"], "buyer": ["buyer", "customer", "购买方"],
    "invoice number": ["invoice number", "Invoice No", "invoice #", "发票号码"],
    "total": ["total", "Total amount", "amount due", "合计"], "date": ["date", "invoice date", "开票日期"],
    "due date": ["due date", "payment due", "付款期限"], "tax id": ["tax id", "VAT number", "税号"],
    "phone": ["phone", "telephone", "电话"], "address": ["address", "地址"], "iban": ["iban"],
    "buyer address": ["buyer address", "billing address", "customer address", "购买方地址"],
    "shipping address": ["shipping address", "delivery address"], "recipient": ["ship to", "recipient"],
    "party a address": ["party a address", "甲方地址"], "party b address": ["party b address", "乙方地址"],
    "party a phone": ["party a phone", "甲方电话"], "party b phone": ["party b phone", "乙方联系电话"],
    "po number": ["PO number", "purchase order"], "fax": ["fax"], "email": ["email"],
    "parties": ["parties"], "party a": ["party a", "甲方"], "party b": ["party b", "乙方"],
    "start date": ["effective date", "start date"], "end date": ["end date", "termination date"],
    "term": ["term", "contract term"], "delivery date": ["delivery date", "交货日期"],
    "governing law": ["governing law", "applicable law", "适用法律"], "notice period": ["notice period", "通知期"],
    "jurisdiction": ["jurisdiction", "competent court", "管辖法院"],
    "late payment interest": ["late payment interest", "default interest", "逾期利息"],
    "account number": ["account number", "account no"], "account holder": ["account holder"],
    "sort code": ["sort code"], "statement period": ["statement period"], "opening balance": ["opening balance"],
    "closing balance": ["closing balance"], "total paid out": ["total paid out"],
    "overdraft limit": ["overdraft limit"],
    "renewal term": ["renewal term", "renewal period", "续期"], "liability cap": ["liability cap", "limitation of liability",
                                                                                  "责任限额"],
}


def _canon(kind: str, value: str | None):
    from chatocr.agent.builtin.validators import parse_date, parse_money

    if value is None:
        return None
    if kind == "money":
        return parse_money(value)
    if kind == "date":
        return parse_date(value)
    if kind == "parties":
        return frozenset(_canon("org", p) for p in value.split(";"))
    if kind in ("id", "taxid", "iban", "phone"):
        return re.sub(r"[^0-9A-Za-z]", "", value).upper()
    return re.sub(r"\s+", " ", value).strip(" .,;:").upper()


def _gen_documents(n_docs: int, scanned: int, source: str, offset: int = 0):
    """(name, Document, truth, is_scan) for generated invoices and contracts, born-digital and scanned.

    ``source`` "parser": both through ``DocumentParser`` (text layer; OCR for the 150 dpi scans);
    otherwise the text layer as one block per line, and the scans through ``OCREngine`` lines.
    """
    from docgen import scanned_pdf
    from kiegen import agreement, contract, document_from_lines, document_from_pdf, invoice, statement

    from chatocr.document import Document

    reader = None
    cache = TMP / f"{'kie-gen-parse' if source == 'parser' else 'kie-gen-ocr'}-{code_key()}"
    for maker in (invoice, contract, agreement, statement):
        for lang in ("en",) if maker is statement else ("en", "zh"):
            for seed in range(offset, offset + n_docs):
                data, truth = maker(seed, lang)
                name = f"{maker.__name__}-{lang}-{seed}"
                if source == "parser":
                    if reader is None:
                        reader = _reader("parser")
                    yield name, reader.parse(data), truth, False
                else:
                    yield name, document_from_pdf(data, name=name + ".pdf"), truth, False
                if seed >= offset + scanned:
                    continue
                f = cache / f"{name}-{hashlib.sha256(data).hexdigest()[:8]}.json"  # the document as generated now
                if not f.exists():
                    cache.mkdir(parents=True, exist_ok=True)
                    if reader is None:
                        reader = _reader(source if source == "parser" else "ocr")
                    t0 = time.perf_counter()
                    if source == "parser":
                        f.write_text(reader.parse(scanned_pdf(data, dpi=150)).to_json())
                    else:
                        f.write_text(json.dumps(reader(scanned_pdf(data, dpi=150)).to_dict()))
                    print(f"  read {name} (scan) in {time.perf_counter() - t0:.1f}s", file=sys.stderr, flush=True)
                if source == "parser":
                    yield name + "-scan", Document.from_json(f.read_text()), truth, True
                else:
                    page = json.loads(f.read_text())["pages"][0]
                    lines = [(ln["text"], tuple(ln["bbox"]), ln["score"]) for ln in page["lines"]]
                    yield name + "-scan", document_from_lines(lines, page["width"], page["height"]), truth, True


def generated(n_docs: int, scanned: int, verbose: bool, source: str = "ocr", offset: int = 0,
              embedder=None) -> dict:
    import random

    from chatocr.agent.agent import locate
    from chatocr.agent.builtin import BuiltinEngine
    from chatocr.document import Document
    from chatocr.geometry import iou

    engine = BuiltinEngine(embedder=embedder)
    rng = random.Random(0)
    stats: dict[str, dict] = {}
    failures = []
    for name, doc, truth, scan in _gen_documents(n_docs, scanned, source, offset):
        group = ("scanned" if scan else "digital") + f"/{truth.kind}/{truth.lang}"
        st = stats.setdefault(group, {"present": 0, "present_ok": 0, "absent": 0, "absent_none": 0,
                                      "questions": 0, "answered_ok": 0, "evidence_ok": 0, "evidence_line": 0,
                                      "unanswerable": 0, "null": 0, "value_words": [], "value_chars": [],
                                      "located_words": [], "located_chars": []})
        # keys "q:…" (a statement's table cells) are asked as questions only
        asked = {k: rng.choice([r for r in REQUEST[k] if truth.lang == "zh" or not re.search(r"[\u4e00-\u9fff]", r)])
                 for k in truth.fields if not k.startswith("q:")}
        got = engine.extract(doc, list(asked.values()))
        # the same document without word boxes: values placed by character count along their line
        bare_doc = Document.from_dict(doc.to_dict(words=False))
        bare = engine.extract(bare_doc, list(asked.values()))
        for k, f in truth.fields.items():
            if k not in asked:
                continue
            pred = got[asked[k]]
            if f.value is not None:
                # where an LLM's answer is placed (``locate``), given the value as printed
                for col, d in (("located_words", doc), ("located_chars", bare_doc)):
                    hit = locate(d, f.value)
                    st[col].append(_placed(hit[1], f.value_bbox or f.bbox) if hit and hit[0] == f.page else 0.0)
            if f.value is not None and pred.value is not None and pred.value == bare[asked[k]].value \
                    and _canon(f.kind, pred.value) == _canon(f.kind, f.value) and pred.page == f.page:
                # the value alone: its own box when its printed line holds the label too, else that line
                want = f.value_bbox or f.bbox
                st["value_words"].append(_placed(pred.bbox, want))
                st["value_chars"].append(_placed(bare[asked[k]].bbox, want))
            if f.value is None:
                st["absent"] += 1
                st["absent_none"] += pred.value is None
                if pred.value is not None:
                    failures.append((name, k, asked[k], None, pred.value))
            else:
                st["present"] += 1
                ok = pred.value is not None and _canon(f.kind, pred.value) == _canon(f.kind, f.value)
                st["present_ok"] += ok
                if not ok:
                    failures.append((name, k, asked[k], f.value, pred.value))
        for q, k in truth.questions:
            ans = engine.answer(doc, q)
            if k is None:
                st["unanswerable"] += 1
                st["null"] += ans.text is None
                if ans.text is not None:
                    failures.append((name, "Q", q, None, ans.text))
                continue
            f = truth.fields[k]
            st["questions"] += 1
            ok = ans.text is not None and _canon(f.kind, ans.text) == _canon(f.kind, f.value)
            st["answered_ok"] += ok
            if ok:
                ev = ans.evidence[0] if ans.evidence else None
                on_line = bool(ev and ev.page == f.page and iou(ev.bbox, f.bbox) >= 0.5)
                on_value = bool(ev and f.value_bbox and ev.page == f.page and iou(ev.bbox, f.value_bbox) >= 0.5)
                st["evidence_line"] += on_line
                st["evidence_ok"] += on_line or on_value
            else:
                failures.append((name, "Q", q, f.value, ans.text))
    res = {}
    print("\n## Generated invoices, contracts and statements (field accuracy = correct values + None for absent keys)\n")
    print("(evidence: IoU >= 0.5 with the value's printed line or the value alone; 'line only' counts the "
          "printed line — label and value — alone)\n")
    print("(value box: correct fields whose box covers the value alone along its line, x-IoU >= 0.8 (and half "
          "its height), placed by the words of its line / by character count along the line; mean x-IoU in "
          "brackets. LLM value box: the same for every present value placed by ``locate``, as an LLM backend's "
          "answer is)\n")
    print("| documents | fields | field accuracy | present | absent → None | questions | answer accuracy "
          "| evidence IoU≥0.5 | (line only) | unanswerable → None | value box: words | by characters "
          "| LLM value box: words | by characters |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    tot = {k: [] if isinstance(v, list) else 0 for k, v in next(iter(stats.values())).items()}
    for g, st in sorted(stats.items()):
        for k in tot:
            tot[k] += st[k]
        res[g] = _gen_row(g, st)
    res["all"] = _gen_row("all", tot)
    res["failures"] = [list(x) for x in failures]
    print(f"\n{len(failures)} failures" + (":" if verbose else ""))
    if verbose:
        for x in failures:
            print(f"  {x[0]} {x[1]} ({x[2]!r}): truth={x[3]!r} pred={x[4]!r}")
    return res


def _placed(box, want) -> float:
    """Overlap along the text (x-IoU), or 0 when the boxes share less than half their height:
    OCR boxes and font boxes differ in height, which a 2-D IoU would count against the place."""
    def overlap(a0, a1, b0, b1):
        return max(0.0, min(a1, b1) - max(a0, b0)) / max(1e-9, max(a1, b1) - min(a0, b0))

    return overlap(box[0], box[2], want[0], want[2]) if overlap(box[1], box[3], want[1], want[3]) >= 0.5 else 0.0


def _share(values: list[float], at: float) -> float:
    return round(sum(v >= at for v in values) / len(values), 4) if values else 0.0


def _gen_row(name: str, st: dict) -> dict:
    n = st["present"] + st["absent"]
    row = {
        "fields": n,
        "field_accuracy": round((st["present_ok"] + st["absent_none"]) / n, 4) if n else 0.0,
        "present_accuracy": round(st["present_ok"] / st["present"], 4) if st["present"] else 0.0,
        "absent_none_rate": round(st["absent_none"] / st["absent"], 4) if st["absent"] else 0.0,
        "questions": st["questions"],
        "answer_accuracy": round(st["answered_ok"] / st["questions"], 4) if st["questions"] else 0.0,
        "evidence_iou_rate": round(st["evidence_ok"] / st["answered_ok"], 4) if st["answered_ok"] else 0.0,
        "evidence_iou_line_rate": round(st["evidence_line"] / st["answered_ok"], 4) if st["answered_ok"] else 0.0,
        "unanswerable": st["unanswerable"],
        "null_rate": round(st["null"] / st["unanswerable"], 4) if st["unanswerable"] else 0.0,
        "value_boxes": len(st["value_words"]),
        "value_box_words": _share(st["value_words"], 0.8),
        "value_box_chars": _share(st["value_chars"], 0.8),
        "value_box_words_mean_x_iou": round(statistics.fmean(st["value_words"]), 4) if st["value_words"] else 0.0,
        "value_box_chars_mean_x_iou": round(statistics.fmean(st["value_chars"]), 4) if st["value_chars"] else 0.0,
        "located": len(st["located_words"]),
        "located_box_words": _share(st["located_words"], 0.8),
        "located_box_chars": _share(st["located_chars"], 0.8),
    }
    print(f"| {name} | {n} | {row['field_accuracy']:.3f} | {row['present_accuracy']:.3f} | "
          f"{row['absent_none_rate']:.3f} | {st['questions']} | {row['answer_accuracy']:.3f} | "
          f"{row['evidence_iou_rate']:.3f} | {row['evidence_iou_line_rate']:.3f} | {row['null_rate']:.3f} | "
          f"{row['value_box_words']:.3f} ({row['value_box_words_mean_x_iou']:.2f}) | "
          f"{row['value_box_chars']:.3f} ({row['value_box_chars_mean_x_iou']:.2f}) | "
          f"{row['located_box_words']:.3f} | {row['located_box_chars']:.3f} |")
    return row


# -- latency ---------------------------------------------------------------------------------


def latency(source: str) -> dict:
    """Median ``extract`` time for 4 keys on already-read receipts: a warm engine, and a fresh one per call."""
    from chatocr.agent.builtin import BuiltinEngine

    ids = sorted(p.stem for p in (DATA / "key").glob("*.json"))
    if not ids:
        raise SystemExit(f"{DATA}: no receipts (key/*.json); the SROIE part needs ../shared/data/sroie-dev "
                         "(or run --only generated)")
    docs = ocr_documents(ids, source)
    engine = BuiltinEngine()
    engine.extract(docs[ids[0]], list(FIELDS))
    warm, cold, cpu = [], [], []
    for i in ids:
        doc = docs[i].model_copy()  # a new object: no per-document view cached
        t0, c0 = time.perf_counter(), time.process_time()
        engine.extract(doc, list(FIELDS))
        warm.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        fresh = BuiltinEngine()
        t0 = time.perf_counter()
        fresh.extract(docs[i].model_copy(), list(FIELDS))
        cold.append(time.perf_counter() - t0)
    res = {"docs": len(ids), "median_ms": round(1000 * statistics.median(warm), 2),
           "p90_ms": round(1000 * sorted(warm)[int(0.9 * len(warm))], 2),
           "median_ms_fresh_engine": round(1000 * statistics.median(cold), 2),
           "median_cpu_ms": round(1000 * statistics.median(cpu), 2)}
    print(f"\n## extract latency (4 keys, {source} receipts)\n\nmedian {res['median_ms']} ms, p90 {res['p90_ms']} ms; "
          f"fresh engine per call: median {res['median_ms_fresh_engine']} ms; CPU time median {res['median_cpu_ms']} ms")
    return res


# -- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=("sroie", "generated", "latency"), action="append")
    ap.add_argument("--source", choices=("ocr", "parser", "box"), default="parser",
                    help="how receipts are read: OCREngine lines, DocumentParser, or the dataset's transcripts")
    ap.add_argument("--verbose", "-v", action="store_true", help="list failures (of receipts 0-49: the tuning split)")
    ap.add_argument("--show-heldout", action="store_true", help="also list failures of receipts 50-99")
    ap.add_argument("--embedder", action="store_true",
                    help="give the engine the index's default sentence embedder (semantic labels and lines)")
    ap.add_argument("--n-docs", type=int, default=40, help="generated documents per kind and language")
    ap.add_argument("--seed", type=int, default=1000,
                    help="first generator seed (the rules were written against seeds 0-39; 1000+ are held out)")
    ap.add_argument("--scanned", type=int, default=10,
                    help="of those, how many are also rendered at 150 dpi and read by OCR (cached)")
    args = ap.parse_args(argv)
    parts = args.only or ["sroie", "generated", "latency"]
    embedder = None
    if args.embedder:
        from chatocr.index.embedding import TransformersEmbedder

        embedder = TransformersEmbedder()
    results: dict = {"command": "python benchmarks/kie.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    if "sroie" in parts:
        results[f"sroie/{args.source}"] = sroie(args.source, args.verbose, args.show_heldout, embedder)
    if "generated" in parts:
        results[f"generated/{args.source}"] = generated(args.n_docs, args.scanned, args.verbose, args.source, args.seed, embedder)
    if "latency" in parts:
        results[f"latency/{args.source}"] = latency(args.source)
    out = HERE / "results" / "kie.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    prev = json.loads(out.read_text()) if out.exists() else {}
    prev.update(results)
    out.write_text(json.dumps(prev, indent=1, ensure_ascii=False))
    print(f"\nwrote {out.relative_to(REPO)}; reproduce: {results['command']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
