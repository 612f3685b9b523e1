"""The ``chatocr`` command, run as a subprocess: exit codes, one-line errors, the JSON contract.

Every command of this module is run from one fixture, two at a time, since
each process pays for starting Python, ONNX Runtime and the models.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from chatocr_testkit import (
    BAD_INPUTS,
    DATA_DIR,
    ENCRYPTED_PASSWORD,
    REPO,
    SROIE_DIR,
    encode,
    make_pdf,
    render_line,
    render_page,
)

from chatocr.geometry import iou


def _models_installed() -> bool:
    from chatocr.errors import ModelNotFound
    from chatocr.models import resolve
    from chatocr.options import DEFAULT_MODEL

    try:
        resolve(DEFAULT_MODEL)
    except ModelNotFound:
        return False
    return True


# the tests that read text need the packaged weights; the error paths do not
needs_models = pytest.mark.skipif(not _models_installed(), reason="default OCR model not installed")

IMAGE_ITEMS = [(40, 30, "Receipt 10452"), (40, 110, "TOTAL:"), (420, 110, "12.50")]
IMAGE_SIZE = (736, 736)  # the detector scales the short side to 736: no upscaling
# small enough that the 300-dpi render stays near the detector's own scale
PDF_SIZE = (200.0, 180.0)
PDF_ITEMS = [(15, 40, "Invoice 2024-001"), (15, 100, "TOTAL:"), (130, 100, "99.95")]
PDF_FONTSIZE = 13


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CHATOCR_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _run(
    args: tuple[str, ...], cwd: Path, env: dict[str, str], module: str = "chatocr.cli", stdin: Path | int | None = None
) -> Run:
    """``stdin``: a file piped in, or a descriptor (a terminal's); otherwise nothing (``/dev/null``)."""
    with open(stdin, "rb") if isinstance(stdin, Path) else nullcontext(subprocess.DEVNULL if stdin is None else stdin) as f:
        proc = subprocess.run(
            [sys.executable, "-m", module, *args], cwd=cwd, env=env, stdin=f, capture_output=True, text=True,
            timeout=300,
        )
    return Run(args, proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, bad_files) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli")
    image, _ = render_page(IMAGE_ITEMS, size=IMAGE_SIZE, font_size=28)
    paths = dict(bad_files)
    paths["image"] = root / "receipt.png"
    paths["image"].write_bytes(encode(image, "PNG"))
    paths["turned"] = root / "turned.png"
    paths["turned"].write_bytes(encode(np.ascontiguousarray(np.rot90(image, -1)), "PNG"))  # 90 clockwise
    # text lines cut out tight, for --no-det (detected, the first comes apart at its word spaces)
    crops = paths["crops"] = root / "crops"
    crops.mkdir()
    for name, text in (("a.png", "Total GST: 12.50"), ("b.png", "Thank you")):
        (crops / name).write_bytes(encode(render_line(text, size=30, pad=0), "PNG"))
    paths["blank"] = root / "blank.png"
    paths["blank"].write_bytes(encode(np.full((736, 736, 3), 255, np.uint8), "PNG"))
    paths["pdf"] = root / "invoice.pdf"
    paths["pdf"].write_bytes(make_pdf([PDF_ITEMS], size=PDF_SIZE, fontsize=PDF_FONTSIZE))
    paths["pdf3"] = root / "three.pdf"
    paths["pdf3"].write_bytes(make_pdf([[(15, 60, f"Page {n} of three")] for n in (1, 2, 3)], size=PDF_SIZE))
    # a scan of three pages (no text layer), for --workers on one file
    from PIL import Image

    frames = [Image.fromarray(render_page([(30, 30, f"Scan page {n}"), (30, 90, f"Total {n}.50")], size=(420, 160),
                                          font_size=26)[0][:, :, ::-1]) for n in (1, 2, 3)]
    paths["tiff3"] = root / "scan3.tiff"
    frames[0].save(paths["tiff3"], save_all=True, append_images=frames[1:], compression="tiff_lzw", dpi=(200, 200))
    # a folder for batch mode: documents in two levels, one broken file, one that is no document
    batch = paths["batch"] = root / "batch"
    (batch / "sub").mkdir(parents=True)
    for name, src in (("receipt.png", "image"), ("three.pdf", "pdf3"), ("sub/invoice.pdf", "pdf"),
                      ("sub/invoice.png", "blank")):
        (batch / name).write_bytes(paths[src].read_bytes())
    (batch / "broken.pdf").write_bytes(paths["pdf-truncated"].read_bytes())
    (batch / "notes.txt").write_text("not a document\n")
    (root / "empty").mkdir()
    paths["empty"] = root / "empty"
    return paths


@pytest.fixture(scope="module")
def runs(inputs, tmp_path_factory) -> dict[str, Run]:
    cwd = tmp_path_factory.mktemp("cwd")
    env = _env()
    jobs: dict[str, tuple] = {f"bad:{case}": (("ocr", str(inputs[case])), env) for case in BAD_INPUTS}
    one = ("--threads", "1")  # two processes run side by side on two cores
    jobs.update(
        {
            "wrong-password": (("ocr", str(inputs["pdf-encrypted"]), "--password", "not-it"), env),
            "right-password": (("ocr", str(inputs["pdf-encrypted"]), "--password", ENCRYPTED_PASSWORD, *one), env),
            "unknown-model": (("ocr", str(inputs["image"]), "--model", "no-such-model"), env),
            "debug": (("ocr", str(inputs["missing"])), _env(CHATOCR_DEBUG="1")),
            "json": (("ocr", str(inputs["image"]), "--json"), env),
            "text": (("ocr", str(inputs["image"]), *one), env),
            "turned": (("ocr", str(inputs["turned"]), *one), env),
            "heic": (("ocr", str(DATA_DIR / "slip-turned.heic"), "--json", *one), env),
            "cjk-unknown": (("ocr", str(inputs["image"]), "--cjk", "chinese"), env),
            "blank-json": (("ocr", str(inputs["blank"]), "--json", *one), env),
            "no-det": (("ocr", str(inputs["crops"] / "a.png"), "--no-det", "--json", *one), env),
            "no-rec": (("ocr", str(inputs["image"]), "--no-rec", *one), env),
            # a real scan, whose lines read with confidence from 0.7 up
            "receipt": (("ocr", str(SROIE_DIR / "img" / "002.jpg"), "--json", *one), env),
            "min-score": (("ocr", str(SROIE_DIR / "img" / "002.jpg"), "--json", "--min-score", "0.95", *one), env),
            "no-det-no-rec": (("ocr", str(inputs["image"]), "--no-rec", "--no-det"), env),
            # --set: any option by its dotted name, validated as the options are
            # --workers on one file: its pages side by side, the output as read in one process
            "tiff3-seq": (("ocr", str(inputs["tiff3"]), "--json", *one), env),
            "tiff3-par": (("ocr", str(inputs["tiff3"]), "--json", "--workers", "2", *one), env),
            "tiff3-seq-pdf": (("ocr", str(inputs["tiff3"]), "--pdf", str(cwd / "seq" / "scan3.pdf"), *one), env),
            "tiff3-par-pdf": (("ocr", str(inputs["tiff3"]), "--workers", "2", "--visualize", "--pages", "2-3",
                               "--pdf", str(cwd / "par" / "scan3.pdf"), *one), env),
            "pdf3-par-pages": (("ocr", str(inputs["pdf3"]), "--json", "--pages", "3,1", "--workers", "2", *one), env),
            "set-min-score": (("ocr", str(SROIE_DIR / "img" / "002.jpg"), "--json", "--set", "rec.drop_score=0.95",
                               *one), env),
            "set-bad-value": (("ocr", str(inputs["image"]), "--set", "det.box_thresh=2"), env),
            "set-unknown": (("ocr", str(inputs["image"]), "--set", "det.box_threshold=0.6"), env),
            "set-not-key-value": (("ocr", str(inputs["image"]), "--set", "det.box_thresh"), env),
            "set-no-rec-pdf": (("ocr", str(inputs["image"]), "--set", "rec.enabled=false", "--pdf",
                                str(cwd / "never.pdf")), env),
            "parse-set": (("parse", str(inputs["pdf3"]), "--pages", "2", "--format", "json", "--no-cache",
                           "--set", "use_text_layer=false", "--set", "ocr.rec.cjk=never"), env),
            "options-ocr": (("options",), env),
            "options-parse": (("options", "parse"), env),
            "no-det-batch": (("ocr", str(inputs["crops"]), "--no-det", "--out", str(cwd / "crops.jsonl"), *one), env),
            "pdf-100": (("ocr", str(inputs["pdf"]), "--json", "--dpi", "100", *one), env),
            "pdf-300": (("ocr", str(inputs["pdf"]), "--json", "--dpi", "300", *one), env),
            "pages": (("ocr", str(inputs["pdf3"]), "--json", "--pages", "3,1", *one), env),
            "visualize": (("ocr", str(inputs["pdf3"]), "--visualize", "--pages", "2", "--dpi", "100", *one), env),
            "searchable": (("ocr", str(inputs["image"]), "--pdf", str(cwd / "pdf" / "image.pdf"), *one), env),
            "searchable-digital": (("ocr", str(inputs["pdf3"]), "--pages", "2", "--pdf", str(cwd / "three.pdf"), *one),
                                   env),
            "searchable-batch": (("ocr", str(inputs["batch"] / "sub"), "--pdf", str(cwd / "pdfs"), *one), env),
            "searchable-folder": (("ocr", str(inputs["image"]), "--pdf", str(inputs["batch"])), env),
            "pages-missing": (("ocr", str(inputs["pdf3"]), "--pages", "2,9"), env),
            "pages-bad": (("ocr", str(inputs["pdf3"]), "--pages", "2-x"), env),
            "parse-pages": (("parse", str(inputs["pdf3"]), "--pages", "2", "--format", "json", "--no-cache"), env),
            "parse-pages-missing": (("parse", str(inputs["pdf3"]), "--pages", "4"), env),
            "parse-searchable": (("parse", str(inputs["turned"]), "--format", "json", "--no-cache", "--words",
                                  "--pdf", str(cwd / "parsed" / "turned.pdf")), env),
            "parse-searchable-folder": (("parse", str(inputs["image"]), "--pdf", str(inputs["batch"])), env),
            "parse-searchable-batch": (("parse", str(inputs["batch"] / "sub"), "--out", str(cwd / "md-sub"),
                                        "--no-cache", "--pdf", str(cwd / "parsed-pdfs")), env),
            "extract-pages-missing": (("extract", str(inputs["pdf3"]), "-k", "total", "--pages", "5"), env),
            "ask-pages-missing": (("ask", str(inputs["pdf3"]), "What page?", "--pages", "5"), env),
            "extract-locked": (("extract", str(inputs["pdf-encrypted"]), "-k", "title"), env),
            "extract-unlocked": (
                ("extract", str(inputs["pdf-encrypted"]), "-k", "title", "--json", "--password", ENCRYPTED_PASSWORD),
                _env(CHATOCR_CACHE_DIR=str(cwd / "cache")),
            ),
            "batch-json": (("ocr", str(inputs["batch"]), "--json", *one), env),
            "batch-text": (("ocr", str(inputs["batch"] / "sub"), *one), env),
            "batch-folder": (("ocr", str(inputs["batch"] / "**" / "*.p*"), "--out", str(cwd / "texts"),
                              "--workers", "2"), env),
            "batch-jsonl": (("ocr", str(inputs["batch"] / "sub"), "--out", str(cwd / "sub.jsonl"), "--words",
                             *one), env),
            "batch-empty": (("ocr", str(inputs["empty"])), env),
            "parse-batch": (("parse", str(inputs["batch"]), "--out", str(cwd / "md"), "--no-cache"), env),
            "parse-batch-json": (("parse", str(inputs["batch"] / "sub" / "*.pdf"), "--format", "json",
                                  "--out", str(cwd / "docs"), "--workers", "2"),
                                 _env(CHATOCR_CACHE_DIR=str(cwd / "batch-cache"))),
            "parse-batch-no-out": (("parse", str(inputs["batch"])), env),
            "batch-pages": (("ocr", str(inputs["batch"]), "--pages", "1"), env),
            "ask-unlocked": (
                ("ask", str(inputs["pdf-encrypted"]), "Is it confidential?", "--password", ENCRYPTED_PASSWORD),
                _env(CHATOCR_CACHE_DIR=str(cwd / "cache")),
            ),
        }
    )
    # '-': the file piped to standard input
    piped = {
        "stdin-text": (("ocr", "-", *one), inputs["image"]),
        "stdin-parse": (("parse", "-", "--format", "json", "--no-cache", "--out", str(cwd / "piped"), "--visualize"),
                        inputs["pdf"]),
        "stdin-ask": (("ask", "-", "What is the total?"), inputs["pdf"]),
        "stdin-empty": (("ocr", "-"), None),
        "stdin-not-a-document": (("extract", "-", "-k", "total"), inputs["batch"] / "notes.txt"),
        "stdin-batch-options": (("ocr", "-", "--out", str(cwd / "nowhere")), inputs["image"]),
        "stdin-chat": (("chat", "-"), inputs["image"]),
        "stdin-workers": (("ocr", "-", "--workers", "2"), inputs["image"]),
    }
    terminal, tty = pty.openpty()
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {name: pool.submit(_run, args, cwd, e) for name, (args, e) in jobs.items()}
            futures["python-m-chatocr"] = pool.submit(_run, ("ocr", str(inputs["missing"])), cwd, env, "chatocr")
            futures.update({name: pool.submit(_run, args, cwd, env, stdin=src) for name, (args, src) in piped.items()})
            futures["stdin-terminal"] = pool.submit(_run, ("ocr", "-"), cwd, env, stdin=tty)
            return {name: f.result() for name, f in futures.items()}
    finally:
        os.close(terminal)
        os.close(tty)


def assert_one_line_error(run: Run, name: str) -> None:
    assert run.returncode == 2, run
    assert run.stdout == "", run
    assert "Traceback" not in run.stderr, run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: "), run.stderr
    assert name in lines[0], run.stderr


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_exits_2_with_one_line(runs, inputs, case):
    assert_one_line_error(runs[f"bad:{case}"], inputs[case].name)


def test_wrong_password(runs, inputs):
    assert_one_line_error(runs["wrong-password"], inputs["pdf-encrypted"].name)
    assert "wrong" in runs["wrong-password"].stderr


@pytest.mark.models
@needs_models
def test_right_password(runs):
    run = runs["right-password"]
    assert run.returncode == 0, run
    assert "Confidential" in run.stdout


def test_unknown_model(runs):
    assert_one_line_error(runs["unknown-model"], "no-such-model")


def test_debug_shows_the_traceback(runs):
    run = runs["debug"]
    assert run.returncode != 0
    assert "Traceback" in run.stderr and "UnreadableDocument" in run.stderr


def test_python_m_chatocr(runs, inputs):
    assert_one_line_error(runs["python-m-chatocr"], inputs["missing"].name)


# -- output ---------------------------------------------------------------------------


def _check_contract(doc: dict) -> None:
    """The exact shape of ``--json``: no missing and no extra keys, the right types."""
    assert set(doc) == {"pages"} and isinstance(doc["pages"], list)
    for page in doc["pages"]:
        assert set(page) == {"page", "width", "height", "lines"}
        assert isinstance(page["page"], int) and page["page"] >= 1
        assert all(isinstance(page[k], (int, float)) for k in ("width", "height"))
        for line in page["lines"]:
            assert set(line) == {"text", "score", "bbox", "polygon"}
            assert isinstance(line["text"], str) and line["text"].strip()
            assert isinstance(line["score"], float) and 0.0 <= line["score"] <= 1.0
            bbox, poly = line["bbox"], line["polygon"]
            assert len(bbox) == 4 and all(isinstance(v, (int, float)) for v in bbox)
            assert len(poly) == 4 and all(len(p) == 2 and all(isinstance(v, (int, float)) for v in p) for p in poly)
            xs, ys = [p[0] for p in poly], [p[1] for p in poly]
            assert bbox == pytest.approx([min(xs), min(ys), max(xs), max(ys)], abs=0.011)
            assert 0 <= bbox[0] < bbox[2] <= page["width"] and 0 <= bbox[1] < bbox[3] <= page["height"]


@pytest.mark.models
@needs_models
def test_json_output_matches_the_contract(runs):
    run = runs["json"]
    assert run.returncode == 0, run
    assert run.stderr == ""
    doc = json.loads(run.stdout)
    _check_contract(doc)
    (page,) = doc["pages"]
    assert (page["page"], page["width"], page["height"]) == (1, *IMAGE_SIZE)
    assert [ln["text"] for ln in page["lines"]] == [t for _, _, t in IMAGE_ITEMS]


@pytest.mark.models
@needs_models
def test_json_boxes_are_where_the_text_is(runs):
    _, truth = render_page(IMAGE_ITEMS, size=IMAGE_SIZE, font_size=28)
    lines = json.loads(runs["json"].stdout)["pages"][0]["lines"]
    for line, t in zip(lines, truth, strict=True):
        assert iou(line["bbox"], t) > 0.5, (line, t)


@pytest.mark.models
@needs_models
def test_text_output(runs):
    run = runs["text"]
    assert run.returncode == 0, run
    assert run.stdout.splitlines() == ["Receipt 10452", "TOTAL: 12.50"]


@pytest.mark.models
@needs_models
def test_a_page_on_its_side_reads_like_the_upright_one(runs):
    assert runs["turned"].returncode == 0, runs["turned"]
    assert runs["turned"].stdout == runs["text"].stdout


@pytest.mark.models
@needs_models
def test_a_phone_photo_in_heic_is_read(runs):
    """HEIC, as phones save photos; this one is stored on its side with the transform that stands
    it up: the page is 600 x 200, as shown."""
    assert runs["heic"].returncode == 0, runs["heic"]
    (page,) = json.loads(runs["heic"].stdout)["pages"]
    assert (page["width"], page["height"]) == (600.0, 200.0)
    assert [ln["text"] for ln in page["lines"]] == ["TOTAL RM 12.50", "Thank you"]


def test_cjk_choice_reaches_the_ocr(sroie, tmp_path):
    """Receipt 000 has a Chinese footer: kept by default, gone with --cjk never."""
    from chatocr.ocr.rec import has_cjk

    image = str(sroie / "img" / "000.jpg")
    default = _run(("ocr", image), tmp_path, _env())
    never = _run(("ocr", image, "--cjk", "never"), tmp_path, _env())
    assert default.returncode == 0 and never.returncode == 0, (default, never)
    assert "谢谢" in default.stdout and not has_cjk(never.stdout)
    assert len(never.stdout.splitlines()) == len(default.stdout.splitlines())


def test_unknown_cjk_choice_is_a_usage_error(runs):
    run = runs["cjk-unknown"]
    assert run.returncode == 2 and run.stdout == "" and "Traceback" not in run.stderr
    assert "--cjk" in run.stderr


@pytest.mark.models
@needs_models
def test_blank_page_gives_no_lines(runs):
    run = runs["blank-json"]
    assert run.returncode == 0, run
    doc = json.loads(run.stdout)
    _check_contract(doc)
    assert doc == {"pages": [{"page": 1, "width": 736, "height": 736, "lines": []}]}


@pytest.mark.models
@needs_models
def test_pages_reads_only_the_pages_asked_for(runs):
    run = runs["pages"]
    assert run.returncode == 0, run
    doc = json.loads(run.stdout)
    _check_contract(doc)
    assert [p["page"] for p in doc["pages"]] == [1, 3]
    assert [[ln["text"] for ln in p["lines"]] for p in doc["pages"]] == [["Page 1 of three"], ["Page 3 of three"]]


@pytest.mark.models
@needs_models
def test_visualize_writes_a_picture_of_each_page_read(runs):
    from PIL import Image

    run = runs["visualize"]
    assert run.returncode == 0, run
    assert "Page 2 of three" in run.stdout
    (path,) = [Path(p) for p in run.stderr.splitlines()]
    assert path.name == "three-page-2.png" and path.is_file()
    with Image.open(path) as im:  # the page as read, at 100 dpi
        assert im.size == (round(PDF_SIZE[0] * 100 / 72), round(PDF_SIZE[1] * 100 / 72))


def test_searchable_pdf_holds_the_text_printed(runs):
    import pymupdf

    run = runs["searchable"]
    assert run.returncode == 0, run
    (path,) = [Path(p) for p in run.stderr.splitlines()]
    assert path.name == "image.pdf"
    with pymupdf.open(path) as doc:
        assert doc.page_count == 1 and len(doc[0].get_images()) == 1
        assert doc[0].get_text().split() == run.stdout.split()


def test_searchable_pdf_leaves_pages_with_text_alone(runs, inputs):
    import pymupdf

    run = runs["searchable-digital"]
    assert run.returncode == 0, run
    assert "Page 2 of three" in run.stdout
    assert "pages 2 had text and were left as they were" in run.stderr
    path = Path(run.stderr.split(" (")[0])
    with pymupdf.open(path) as doc, pymupdf.open(inputs["pdf3"]) as before:
        assert [p.get_text() for p in doc] == [p.get_text() for p in before]
    assert_one_line_error(runs["searchable-folder"], "batch")  # --pdf names a folder: one file needs a file


def test_searchable_pdfs_for_a_folder(runs, inputs):
    import pymupdf

    run = runs["searchable-batch"]
    assert run.returncode == 0, run
    out = Path(run.stderr.split(" → ")[1].split()[0].rstrip("/"))
    assert sorted(p.name for p in out.iterdir()) == ["invoice.pdf.pdf", "invoice.png.pdf"]  # no collision
    with pymupdf.open(out / "invoice.png.pdf") as blank, pymupdf.open(out / "invoice.pdf.pdf") as digital:
        assert blank.page_count == 1 and blank[0].get_text() == "" and len(blank[0].get_images()) == 1
        with pymupdf.open(inputs["pdf"]) as before:
            assert digital[0].get_text() == before[0].get_text()  # it had text: left alone


def test_parse_writes_a_searchable_pdf_from_the_parse(runs, inputs):
    """A page on its side, parsed: the PDF shows it as given, with the parse's words laid over it,
    running down the page as its text does."""
    import pymupdf

    run = runs["parse-searchable"]
    assert run.returncode == 0, run
    doc = json.loads(run.stdout)
    assert doc["pages"][0]["orientation"] == 90
    parsed = [w["text"] for b in doc["pages"][0]["blocks"] for ln in b["lines"] for w in ln["words"]]
    (path,) = [Path(p) for p in run.stderr.splitlines()]
    assert path.name == "turned.pdf"
    with pymupdf.open(path) as pdf:
        assert pdf.page_count == 1 and pdf[0].get_images()[0][2:4] == (IMAGE_SIZE[1], IMAGE_SIZE[0])
        assert sorted(w[4] for w in pdf[0].get_text("words")) == sorted(parsed)
        runs_ = [ln["dir"] for b in pdf[0].get_text("dict")["blocks"] for ln in b.get("lines", ())]
    assert {"10452", "12.50"} <= set(parsed)
    assert runs_ and all(abs(dx) < 0.01 and dy > 0.99 for dx, dy in runs_), runs_


def test_parse_pdf_naming_a_folder_fails_before_parsing(runs):
    assert_one_line_error(runs["parse-searchable-folder"], "batch")


def test_parse_writes_searchable_pdfs_for_a_folder(runs, inputs):
    import pymupdf

    run = runs["parse-searchable-batch"]
    assert run.returncode == 0, run
    out = Path(run.args[run.args.index("--pdf") + 1])
    assert sorted(p.name for p in out.iterdir()) == ["invoice.pdf.pdf", "invoice.png.pdf"]
    with pymupdf.open(out / "invoice.png.pdf") as blank, pymupdf.open(out / "invoice.pdf.pdf") as digital:
        assert blank.page_count == 1 and blank[0].get_text() == "" and len(blank[0].get_images()) == 1
        with pymupdf.open(inputs["pdf"]) as before:
            assert digital[0].get_text() == before[0].get_text()  # it had text: left alone


def test_parse_pages(runs):
    run = runs["parse-pages"]
    assert run.returncode == 0, run
    doc = json.loads(run.stdout)
    assert [p["page"] for p in doc["pages"]] == [2]
    assert "Page 2 of three" in json.dumps(doc) and "Page 1" not in json.dumps(doc)


@pytest.mark.parametrize("command", ["pages-missing", "parse-pages-missing", "extract-pages-missing", "ask-pages-missing"])
def test_a_page_the_file_does_not_have_exits_2_with_one_line(runs, inputs, command):
    run = runs[command]
    assert_one_line_error(run, inputs["pdf3"].name)
    assert "asked for, but the PDF has 3 pages" in run.stderr


def test_extract_and_ask_take_the_password_of_an_encrypted_pdf(runs, inputs):
    assert_one_line_error(runs["extract-locked"], inputs["pdf-encrypted"].name)
    assert "encrypted" in runs["extract-locked"].stderr
    unlocked = runs["extract-unlocked"]
    assert unlocked.returncode == 0, unlocked
    assert set(json.loads(unlocked.stdout)["fields"]) == {"title"}
    assert runs["ask-unlocked"].returncode == 0, runs["ask-unlocked"]


def test_pages_that_are_not_pages_are_a_usage_error(runs):
    run = runs["pages-bad"]
    assert run.returncode == 2 and run.stdout == "" and "Traceback" not in run.stderr
    assert "--pages" in run.stderr and "2-x" in run.stderr


# -- '-': standard input ------------------------------------------------------------------


@pytest.mark.models
@needs_models
def test_a_file_piped_to_standard_input_reads_like_the_file(runs):
    run = runs["stdin-text"]
    assert run.returncode == 0, run
    assert run.stdout == runs["text"].stdout


@pytest.mark.models
@needs_models
def test_parse_and_ask_read_standard_input_and_name_what_they_write_stdin(runs):
    run = runs["stdin-parse"]
    assert run.returncode == 0, run
    out = Path(run.args[run.args.index("--out") + 1])
    assert sorted(p.name for p in out.iterdir()) == ["stdin-page-1.png", "stdin.json"]
    doc = json.loads((out / "stdin.json").read_text())
    assert doc["name"] == ""  # no file name to give
    assert "Invoice 2024-001" in json.dumps(doc)
    run = runs["stdin-ask"]
    assert run.returncode == 0, run
    assert run.stdout.strip() == "99.95"


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("stdin-empty", "file is empty (0 bytes)"),
        ("stdin-not-a-document", "not a PDF or an image"),
        ("stdin-terminal", "nothing is piped in"),
    ],
)
def test_nothing_or_no_document_on_standard_input_exits_2_with_one_line(runs, case, reason):
    assert_one_line_error(runs[case], "<stdin>")
    assert reason in runs[case].stderr


@pytest.mark.parametrize(("case", "message"), [("stdin-batch-options", "--out and --resume apply to a folder"),
                                               ("stdin-chat", "chat reads its questions from standard input"),
                                               ("stdin-workers", "give a file, not standard input")])
def test_options_that_cannot_take_standard_input_are_usage_errors(runs, case, message):
    run = runs[case]
    assert run.returncode == 2 and run.stdout == "" and "Traceback" not in run.stderr, run
    assert message in run.stderr


# -- batch: a folder or a glob ------------------------------------------------------------

BATCH_ORDER = ["broken.pdf", "receipt.png", "sub/invoice.pdf", "sub/invoice.png", "three.pdf"]


def _batch_failure_report(run: Run) -> None:
    """Exit 1, no traceback, the summary and the broken file named with its reason on stderr."""
    assert run.returncode == 1, run
    assert "Traceback" not in run.stderr, run.stderr
    assert "4 of 5 files done" in run.stderr, run.stderr
    (failed,) = [ln for ln in run.stderr.splitlines() if ln.startswith("failed: ")]
    assert "broken.pdf" in failed and "\n" not in failed


@pytest.mark.models
@needs_models
def test_a_folder_reads_every_document_in_order_and_reports_the_broken_one(runs, inputs):
    run = runs["batch-json"]
    _batch_failure_report(run)
    rows = [json.loads(ln) for ln in run.stdout.splitlines()]
    assert [Path(r["file"]).relative_to(inputs["batch"]).as_posix() for r in rows] == BATCH_ORDER  # no notes.txt
    broken, receipt, invoice, blank, three = rows
    assert broken["pages"] is None and "broken.pdf" in broken["error"]
    for row in rows[1:]:
        assert row["error"] is None
        _check_contract({"pages": row["pages"]})
    single = json.loads(runs["json"].stdout)["pages"]
    assert [ln["text"] for ln in receipt["pages"][0]["lines"]] == [ln["text"] for ln in single[0]["lines"]]
    for ours, theirs in zip(receipt["pages"][0]["lines"], single[0]["lines"], strict=True):
        assert ours["bbox"] == pytest.approx(theirs["bbox"], abs=1.0)
    assert [ln["text"] for ln in invoice["pages"][0]["lines"]] == [t for _, _, t in PDF_ITEMS]
    assert blank["pages"] == [{"page": 1, "width": 736, "height": 736, "lines": []}]
    assert [[ln["text"] for ln in p["lines"]] for p in three["pages"]] == [[f"Page {n} of three"] for n in (1, 2, 3)]


@pytest.mark.models
@needs_models
def test_a_folder_as_text_has_a_header_per_file(runs, inputs):
    run = runs["batch-text"]
    assert run.returncode == 0 and "2 of 2 files done" in run.stderr, run
    sub = inputs["batch"] / "sub"
    assert run.stdout == (f"==> {sub / 'invoice.pdf'} <==\nInvoice 2024-001\nTOTAL: 99.95\n"
                          f"\n==> {sub / 'invoice.png'} <==\n\n")


@pytest.mark.models
@needs_models
def test_a_glob_writes_one_text_file_per_document_in_the_folders_layout(runs, tmp_path_factory):
    run = runs["batch-folder"]
    _batch_failure_report(run)
    out = Path(run.args[run.args.index("--out") + 1])
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    # invoice.pdf and invoice.png would both be invoice.txt: each keeps its extension
    assert written == ["receipt.txt", "sub/invoice.pdf.txt", "sub/invoice.png.txt", "three.txt"]
    assert (out / "receipt.txt").read_text() == runs["text"].stdout
    assert (out / "three.txt").read_text() == "Page 1 of three\n\fPage 2 of three\n\fPage 3 of three\n"
    assert (out / "sub" / "invoice.png.txt").read_text() == "\n"


@pytest.mark.models
@needs_models
def test_a_folder_to_jsonl_with_words(runs, inputs):
    run = runs["batch-jsonl"]
    assert run.returncode == 0, run
    out = Path(run.args[run.args.index("--out") + 1])
    assert not out.with_name(out.name + ".part").exists()
    rows = [json.loads(ln) for ln in out.read_text().splitlines()]
    assert [Path(r["file"]).name for r in rows] == ["invoice.pdf", "invoice.png"]
    (page,) = rows[0]["pages"]
    assert [w["text"] for w in page["lines"][0]["words"]] == ["Invoice", "2024-001"]


@pytest.mark.models
@needs_models
def test_no_det_reads_each_file_as_one_line(runs, inputs):
    run = runs["no-det"]
    assert run.returncode == 0, run
    (page,) = json.loads(run.stdout)["pages"]
    (line,) = page["lines"]
    assert line["text"] == "Total GST: 12.50"
    assert line["bbox"] == [0, 0, page["width"], page["height"]]
    run = runs["no-det-batch"]
    assert run.returncode == 0, run
    out = Path(run.args[run.args.index("--out") + 1])
    rows = [json.loads(ln) for ln in out.read_text().splitlines()]
    assert [[ln["text"] for p in r["pages"] for ln in p["lines"]] for r in rows] == [["Total GST: 12.50"], ["Thank you"]]


@pytest.mark.models
@needs_models
@pytest.mark.skipif(not (SROIE_DIR / "img" / "002.jpg").is_file(), reason="sroie-dev data not found")
def test_min_score_drops_the_lines_read_with_less_confidence(runs):
    lines = {k: json.loads(runs[k].stdout)["pages"][0]["lines"] for k in ("receipt", "min-score")}
    assert min(ln["score"] for ln in lines["receipt"]) < 0.95  # the default keeps lines from 0.5
    assert lines["min-score"] == [ln for ln in lines["receipt"] if ln["score"] >= 0.95]


@pytest.mark.models
@needs_models
def test_workers_read_the_pages_of_one_file_side_by_side_as_one_process_does(runs):
    for case in ("tiff3-seq", "tiff3-par", "pdf3-par-pages"):
        assert runs[case].returncode == 0, runs[case]
    seq = json.loads(runs["tiff3-seq"].stdout)
    assert [[ln["text"] for ln in p["lines"]] for p in seq["pages"]] == [
        [f"Scan page {n}", f"Total {n}.50"] for n in (1, 2, 3)]
    assert json.loads(runs["tiff3-par"].stdout) == seq
    assert json.loads(runs["pdf3-par-pages"].stdout) == json.loads(runs["pages"].stdout)


@pytest.mark.models
@needs_models
def test_workers_on_one_file_draw_the_pages_and_write_the_searchable_pdf(runs):
    import pymupdf

    seq, par = runs["tiff3-seq-pdf"], runs["tiff3-par-pdf"]
    assert seq.returncode == 0 and par.returncode == 0, (seq, par)
    assert par.stdout.split("\f") == seq.stdout.split("\f")[1:]  # pages 2 and 3
    written = [Path(p) for p in par.stderr.splitlines()]
    assert [p.name for p in written] == ["scan3-page-2.png", "scan3-page-3.png", "scan3.pdf"]
    with pymupdf.open(written[-1]) as got, pymupdf.open(Path(seq.stderr.strip())) as want:
        assert [p.get_text().split() for p in got] == [p.get_text().split() for p in want][1:]
        assert [len(p.get_images()) for p in got] == [1, 1]


@pytest.mark.models
@needs_models
@pytest.mark.skipif(not (SROIE_DIR / "img" / "002.jpg").is_file(), reason="sroie-dev data not found")
def test_set_reaches_the_options_as_the_flags_do(runs):
    """``--set rec.drop_score=0.95`` is ``--min-score 0.95``: the same lines, fewer than by default."""
    assert runs["set-min-score"].returncode == 0, runs["set-min-score"]
    assert json.loads(runs["set-min-score"].stdout) == json.loads(runs["min-score"].stdout)
    assert runs["set-min-score"].stdout != runs["receipt"].stdout


@pytest.mark.parametrize(("case", "message"), [
    ("set-bad-value", "det.box_thresh: Input should be less than 1"),
    ("set-unknown", "no option 'det.box_threshold' (det has no 'box_threshold')"),
    ("set-not-key-value", "not KEY=VALUE"),
    ("set-no-rec-pdf", "--pdf cannot go with --no-rec"),
])
def test_a_bad_setting_is_a_usage_error_before_anything_is_read(runs, case, message):
    run = runs[case]
    assert run.returncode == 2 and run.stdout == "" and message in run.stderr, run
    assert "Traceback" not in run.stderr


@pytest.mark.models
@needs_models
def test_parse_takes_settings_too(runs):
    run = runs["parse-set"]
    assert run.returncode == 0, run
    (page,) = json.loads(run.stdout)["pages"]
    assert page["page"] == 2 and page["source"] == "ocr"  # use_text_layer=false: the text layer is not read


def test_options_lists_every_setting_with_its_default(runs):
    from chatocr.options import OCROptions, ParserOptions, option_fields

    for case, cls in (("options-ocr", OCROptions), ("options-parse", ParserOptions)):
        run = runs[case]
        assert run.returncode == 0, run
        rows = run.stdout.splitlines()
        assert [r.split()[0] for r in rows] == [name for name, _, _ in option_fields(cls)]
    box = next(r for r in runs["options-ocr"].stdout.splitlines() if r.startswith("det.box_thresh "))
    assert box.split()[1] == "0.45" and "probability" in box
    assert any(r.startswith("ocr.det.box_thresh ") for r in runs["options-parse"].stdout.splitlines())


@pytest.mark.models
@needs_models
def test_no_rec_prints_the_corners_of_each_line_found(runs):
    run = runs["no-rec"]
    assert run.returncode == 0, run
    rows = run.stdout.splitlines()
    assert len(rows) == len(IMAGE_ITEMS)
    for row, (x, y, _) in zip(rows, IMAGE_ITEMS, strict=True):
        corners = [int(v) for v in row.split(",")]
        assert len(corners) == 8
        assert min(corners[0::2]) <= x + 10 and min(corners[1::2]) <= y + 10  # around the text drawn at x, y
    run = runs["no-det-no-rec"]
    assert run.returncode == 2 and run.stdout == "" and "nothing to do" in run.stderr, run


def test_parse_a_folder_into_one_markdown_file_each(runs, inputs):
    run = runs["parse-batch"]
    _batch_failure_report(run)
    out = Path(run.args[run.args.index("--out") + 1])
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == ["receipt.md", "sub/invoice.pdf.md", "sub/invoice.png.md", "three.md"]
    three = (out / "three.md").read_text()
    assert [n for n in (1, 2, 3) if f"Page {n} of three" in three] == [1, 2, 3]
    assert three.index("Page 1 of three") < three.index("Page 2 of three") < three.index("Page 3 of three")
    assert "TOTAL: 99.95" in (out / "sub" / "invoice.pdf.md").read_text()


def test_parse_a_glob_to_json_in_parallel_through_the_cache(runs):
    from chatocr.document import Document

    run = runs["parse-batch-json"]
    assert run.returncode == 0 and "1 of 1 files done" in run.stderr, run
    out = Path(run.args[run.args.index("--out") + 1])
    assert [p.name for p in out.iterdir()] == ["invoice.json"]
    doc = Document.from_json((out / "invoice.json").read_text())
    assert "Invoice 2024-001" in doc.to_markdown()
    assert any((out.parent / "batch-cache").rglob("*.json"))  # parsed once, kept for the next run


def test_parse_a_folder_needs_out(runs, inputs):
    assert_one_line_error(runs["parse-batch-no-out"], str(inputs["batch"]))
    assert "--out" in runs["parse-batch-no-out"].stderr


def test_a_folder_without_documents_exits_2_with_one_line(runs, inputs):
    assert_one_line_error(runs["batch-empty"], str(inputs["empty"]))
    assert "no PDF or image files" in runs["batch-empty"].stderr


def test_pages_do_not_apply_to_a_folder(runs):
    run = runs["batch-pages"]
    assert run.returncode == 2 and run.stdout == "" and "Traceback" not in run.stderr
    assert "--pages" in run.stderr and "batch" in run.stderr


def test_a_file_with_glob_characters_in_its_name_is_one_file(tmp_path):
    from chatocr.batch import find_files, is_batch

    odd = tmp_path / "scan[1].png"
    odd.write_bytes(encode(np.full((8, 8, 3), 255, np.uint8), "PNG"))
    (tmp_path / "notes.txt").write_text("no document")
    assert not is_batch(odd) and is_batch(tmp_path) and is_batch(tmp_path / "*.png")
    assert find_files(str(odd)) == [odd]
    assert find_files(str(tmp_path / "*")) == [odd]  # by content: the text file is left out
    assert find_files(str(tmp_path / "missing[0-9].png")) == []


def test_batch_output_names_keep_folders_and_never_collide(tmp_path):
    from chatocr.batch import _targets

    root = tmp_path / "in"
    files = [root / n for n in ("a.pdf", "a.png", "b.jpg", "x/a.pdf", "x/c.tiff")]
    got = _targets(files, root, tmp_path / "out", ".txt")
    assert {Path(k).relative_to(root).as_posix(): v.relative_to(tmp_path / "out").as_posix()
            for k, v in got.items()} == {
        "a.pdf": "a.pdf.txt", "a.png": "a.png.txt", "b.jpg": "b.txt", "x/a.pdf": "x/a.txt", "x/c.tiff": "x/c.txt"}


def _pdf_words_in_points(pdf: Path) -> dict[str, tuple[float, float, float, float]]:
    import pymupdf

    with pymupdf.open(pdf) as doc:
        page = doc[0]
        return {t: tuple(page.search_for(t)[0]) for _, _, t in PDF_ITEMS}


@pytest.mark.models
@needs_models
def test_pdf_boxes_are_in_points_at_any_dpi(runs, inputs):
    truth = _pdf_words_in_points(inputs["pdf"])
    pages = {}
    for dpi in (100, 300):
        run = runs[f"pdf-{dpi}"]
        assert run.returncode == 0, run
        doc = json.loads(run.stdout)
        _check_contract(doc)
        (page,) = doc["pages"]
        assert (page["width"], page["height"]) == PDF_SIZE
        assert [ln["text"] for ln in page["lines"]] == [t for _, _, t in PDF_ITEMS], dpi
        pages[dpi] = page
        for line in page["lines"]:
            assert iou(line["bbox"], truth[line["text"]]) > 0.5, (dpi, line, truth[line["text"]])
    for low, high in zip(pages[100]["lines"], pages[300]["lines"], strict=True):
        assert np.allclose(low["bbox"], high["bbox"], atol=3.0), (low, high)
