"""``chatocr parse`` as a subprocess: formats, --out, --visualize, cache, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from chatocr_testkit import REPO
from docgen import report_pdf
from PIL import Image


def run(*args: str, cwd=None, cache=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CHATOCR_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    if cache is not None:
        env["CHATOCR_CACHE_DIR"] = str(cache)
    return subprocess.run([sys.executable, "-m", "chatocr", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "report.pdf"
    path.write_bytes(report_pdf(2, seed=5)[0])
    return path


def test_markdown_to_stdout_pages_in_order(report_file, tmp_path):
    r = run("parse", str(report_file), cache=tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.index("<!-- page 1 -->") < out.index("<!-- page 2 -->")
    assert "| Region | Q1 | Q2 | Q3 |" in out
    assert "Traceback" not in r.stderr


def test_json_to_out_dir_with_visualization(report_file, tmp_path):
    out = tmp_path / "out"
    r = run("parse", str(report_file), "--format", "json", "--out", str(out), "--visualize", cache=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    doc = json.loads((out / "report.json").read_text())
    assert [p["page"] for p in doc["pages"]] == [1, 2]
    assert doc["pages"][0]["blocks"][0]["id"] == "p1-b0"
    pngs = sorted(out.glob("report-page-*.png"))
    assert [p.name for p in pngs] == ["report-page-1.png", "report-page-2.png"]
    im = Image.open(pngs[0]).convert("RGB")
    # region boxes are drawn: the image is no longer only black text on white
    colors = {c for _, c in im.getcolors(maxcolors=1 << 20)}
    assert any(abs(r - g) > 60 or abs(g - b) > 60 for r, g, b in colors)


def test_json_words_only_when_asked(report_file, tmp_path):
    def lines(*extra):
        r = run("parse", str(report_file), "--format", "json", *extra, cache=tmp_path)
        assert r.returncode == 0, r.stderr
        return [ln for p in json.loads(r.stdout)["pages"] for b in p["blocks"] for ln in b["lines"]]

    plain, full = lines(), lines("--words")  # the second run comes from the cache, words and all
    assert plain and all("words" not in ln for ln in plain)
    assert [ln["text"] for ln in full] == [ln["text"] for ln in plain]
    for ln in full:
        assert [w["text"] for w in ln["words"]] == ln["text"].split()
        assert all(set(w) == {"text", "bbox"} for w in ln["words"])


def test_cache_makes_the_second_run_reuse_the_parse(report_file, tmp_path):
    run("parse", str(report_file), "--format", "json", cache=tmp_path)
    files = list(tmp_path.rglob("document-*.json"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    r = run("parse", str(report_file), "--format", "json", cache=tmp_path)
    assert r.returncode == 0 and files[0].stat().st_mtime_ns == stamp


@pytest.mark.parametrize("case", ["missing", "directory", "empty", "zip-as-pdf", "pdf-truncated", "pdf-encrypted"])
def test_bad_input_exits_2_with_one_line(case, bad_files, tmp_path):
    r = run("parse", str(bad_files[case]), cache=tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad_files[case]) in lines[0] and "Traceback" not in r.stderr


@pytest.mark.models
def test_cjk_never_reaches_the_ocr(sroie, tmp_path):
    """Receipt 000 has a Chinese footer, which ``--cjk auto`` keeps (tests/e2e/test_cjk.py)."""
    from chatocr.ocr.rec import has_cjk

    r = run("parse", str(sroie / "img" / "000.jpg"), "--cjk", "never", "--no-cache", cache=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "TOTAL" in r.stdout.upper() and not has_cjk(r.stdout), r.stdout


def test_unknown_cjk_choice_exits_2(report_file, tmp_path):
    r = run("parse", str(report_file), "--cjk", "chinese", cache=tmp_path)
    assert r.returncode == 2 and "--cjk" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.models
def test_workers_parse_the_pages_of_one_file_side_by_side(tmp_path):
    from docgen import scanned_pdf

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scanned_pdf(report_pdf(3, seed=7)[0], dpi=100))
    one = run("parse", str(scan), "--format", "json", "--no-cache", cache=tmp_path)
    two = run("parse", str(scan), "--format", "json", "--workers", "2", "--no-cache", cache=tmp_path)
    assert one.returncode == two.returncode == 0, two.stderr
    assert json.loads(two.stdout) == json.loads(one.stdout)
    assert [p["page"] for p in json.loads(two.stdout)["pages"]] == [1, 2, 3]
    # piped in, with the cache on; then the same file again, from that cache
    piped = subprocess.run([sys.executable, "-m", "chatocr", "parse", "-", "--workers", "2", "--format", "json"],
                           input=scan.read_bytes(), capture_output=True, env={**os.environ, "CHATOCR_CACHE_DIR":
                           str(tmp_path / "c"), "PYTHONPATH": str(REPO)}, timeout=300)
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout)["pages"] == json.loads(one.stdout)["pages"]
    again = run("parse", str(scan), "--format", "json", cache=tmp_path / "c")
    assert json.loads(again.stdout)["pages"] == json.loads(one.stdout)["pages"]
