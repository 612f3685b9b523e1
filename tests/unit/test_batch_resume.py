"""Batch runs resumed: the results an earlier or interrupted run left in --out are kept."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatocr import batch
from chatocr.errors import UnreadableDocument
from chatocr.types import OCRPage, TextLine


@pytest.fixture
def scans(tmp_path, render) -> Path:
    folder = tmp_path / "scans"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.png").write_bytes(render.encode(render.line(f"Receipt {name}")))
    return folder


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The files the OCR batch reads (a stand-in reader: a page whose one line names the file;
    a file named in ``failing`` fails)."""
    seen: list[str] = []

    def reader(options, pdf_targets=None):
        def read(path: str):
            seen.append(Path(path).name)
            if Path(path).name in reads_failing:
                raise UnreadableDocument(path, "broken")
            if pdf_targets:
                pdf_targets[path].parent.mkdir(parents=True, exist_ok=True)
                pdf_targets[path].write_bytes(b"%PDF-1.7 stand-in")
            line = TextLine(text=f"text of {Path(path).stem}", score=0.9, bbox=(0, 0, 5, 5),
                            polygon=((0, 0), (5, 0), (5, 5), (0, 5)))
            return [OCRPage(page=1, width=10, height=10, lines=(line,))]
        return read
    monkeypatch.setattr(batch, "_reader", reader)
    return seen


reads_failing: set[str] = set()


@pytest.fixture(autouse=True)
def _nothing_fails():
    reads_failing.clear()
    yield
    reads_failing.clear()


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_jsonl_run_resumed_reads_only_the_files_that_failed(scans, reads, tmp_path):
    out = tmp_path / "out.jsonl"
    reads_failing.add("b.png")
    assert batch.run_ocr_batch(str(scans), out, None) == 1
    first = out.read_text(encoding="utf-8").splitlines()
    assert [r["error"] is None for r in _rows(out)] == [True, False, True]
    reads_failing.clear()
    reads.clear()
    assert batch.run_ocr_batch(str(scans), out, None, resume=True) == 0
    assert reads == ["b.png"]
    again = out.read_text(encoding="utf-8").splitlines()
    assert [Path(r["file"]).name for r in _rows(out)] == ["a.png", "b.png", "c.png"]  # the input's order
    assert again[0] == first[0] and again[2] == first[2]  # kept as they were
    assert _rows(out)[1]["pages"][0]["lines"][0]["text"] == "text of b"
    assert not out.with_name("out.jsonl.part").exists()


def test_an_interrupted_jsonl_run_is_resumed_from_its_part_file(scans, reads, tmp_path):
    out = tmp_path / "out.jsonl"
    assert batch.run_ocr_batch(str(scans), out, None) == 0
    a = out.read_text(encoding="utf-8").splitlines(keepends=True)[0]
    out.unlink()
    # cut short: the first row written, the second half written
    out.with_name("out.jsonl.part").write_text(a + '{"file": "' + str(scans / "b.png"), encoding="utf-8")
    reads.clear()
    assert batch.run_ocr_batch(str(scans), out, None, resume=True) == 0
    assert reads == ["b.png", "c.png"]
    assert [Path(r["file"]).name for r in _rows(out)] == ["a.png", "b.png", "c.png"]
    assert all(r["error"] is None for r in _rows(out))
    # without --resume, everything is read again
    reads.clear()
    assert batch.run_ocr_batch(str(scans), out, None) == 0
    assert reads == ["a.png", "b.png", "c.png"]


def test_a_folder_run_resumed_reads_the_files_changed_since_or_without_output(scans, reads, tmp_path):
    out = tmp_path / "texts"
    reads_failing.add("c.png")
    assert batch.run_ocr_batch(str(scans), out, None) == 1
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "b.txt"]
    reads_failing.clear()
    later = (out / "a.txt").stat().st_mtime + 10
    os.utime(scans / "a.png", (later, later))  # a.png changed after it was read
    reads.clear()
    assert batch.run_ocr_batch(str(scans), out, None, resume=True) == 0
    assert reads == ["a.png", "c.png"]
    assert (out / "c.txt").read_text(encoding="utf-8") == "text of c\n"


def test_a_run_resumed_reads_again_the_files_whose_pdf_is_missing(scans, reads, tmp_path):
    out, pdfs = tmp_path / "out.jsonl", tmp_path / "pdfs"
    assert batch.run_ocr_batch(str(scans), out, None, pdf=pdfs) == 0
    assert sorted(p.name for p in pdfs.iterdir()) == ["a.pdf", "b.pdf", "c.pdf"]
    (pdfs / "b.pdf").unlink()
    reads.clear()
    assert batch.run_ocr_batch(str(scans), out, None, pdf=pdfs, resume=True) == 0
    assert reads == ["b.png"] and (pdfs / "b.pdf").exists()
    reads.clear()
    assert batch.run_ocr_batch(str(scans), None, None, pdf=pdfs, resume=True) == 0  # PDFs only
    assert reads == []


def test_an_extract_run_resumed_keeps_its_rows_for_the_same_keys(scans, tmp_path, monkeypatch):
    seen: list[str] = []

    def extractor(llm, keys, threads):
        def run(path: str) -> dict:
            seen.append(Path(path).name)
            stem = Path(path).stem  # b's values run over two lines
            return {k: {"value": f"{k} of {stem}" + ("\nsecond line" if stem == "b" else ""), "page": 1} for k in keys}
        return run
    monkeypatch.setattr(batch, "_extractor", extractor)
    for suffix in (".csv", ".jsonl"):
        out = tmp_path / f"fields{suffix}"
        assert batch.run_batch(str(scans), ["total"], out) == 0
        before = out.read_bytes()
        seen.clear()
        assert batch.run_batch(str(scans), ["total"], out, resume=True) == 0
        assert seen == [] and out.read_bytes() == before
        assert batch.run_batch(str(scans), ["total", "date"], out, resume=True) == 0  # other keys: read again
        assert seen == ["a.png", "b.png", "c.png"]
    with (tmp_path / "fields.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["file", "total", "date", "total page", "date page", "error"]
    assert rows[2][1:3] == ["total of b\nsecond line", "date of b\nsecond line"]


def test_resume_needs_a_batch_with_out(scans):
    from chatocr.cli import cli

    for args in (["ocr", str(scans), "--resume"], ["parse", str(scans / "a.png"), "--resume"],
                 ["extract", str(scans / "a.png"), "-k", "total", "--resume"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, args
        assert "--resume" in result.output
