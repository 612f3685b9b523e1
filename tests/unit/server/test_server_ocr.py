"""``POST /v1/ocr``: a file's lines with their boxes at once, as ``chatocr ocr --json`` gives them, and nothing kept."""

from __future__ import annotations

import json

import pytest
from chatocr_testkit import encrypted_pdf, make_pdf, zip_bytes

pytestmark = pytest.mark.models

ITEMS = [(30, 30, "Invoice No: A-1234"), (30, 90, "Date: 2024-03-05"), (30, 150, "TOTAL:"), (330, 150, "56.78")]


@pytest.fixture(scope="module")
def scan(render) -> bytes:
    page, _ = render.page(ITEMS, size=(520, 210), font_size=26)
    return render.encode(page, "PNG")


def _ocr(client, data: bytes, name: str = "scan.png", **params):
    return client.post("/v1/ocr", params=params, files={"file": (name, data, "application/octet-stream")})


def _cli(args: list[str], tmp_path, monkeypatch) -> dict:
    from click.testing import CliRunner

    from chatocr.cli import cli

    monkeypatch.setenv("CHATOCR_CACHE_DIR", str(tmp_path / "cache"))
    res = CliRunner().invoke(cli, ["ocr", *args, "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _same_pages(got: list[dict], want: list[dict]) -> None:
    """The same lines: texts exactly, boxes and scores to rounding (the server's workers may run other thread counts)."""
    assert [(p["page"], p["width"], p["height"]) for p in got] == [(p["page"], p["width"], p["height"]) for p in want]
    for g, w in zip(got, want, strict=True):
        assert [ln["text"] for ln in g["lines"]] == [ln["text"] for ln in w["lines"]]
        for a, b in zip(g["lines"], w["lines"], strict=True):
            assert a["bbox"] == pytest.approx(b["bbox"], abs=1.0) and a["score"] == pytest.approx(b["score"], abs=0.01)
            assert set(a) == set(b)


def test_the_lines_come_back_as_the_cli_prints_them_and_nothing_is_kept(client, data_dir, scan, tmp_path,
                                                                       monkeypatch):
    before = client.get("/v1/documents").json()["documents"]
    r = _ocr(client, scan)
    assert r.status_code == 200, r.text
    got = r.json()
    assert set(got) == {"name", "model", "pages"} and got["name"] == "scan.png" and got["model"] == "pp-ocrv6-small"
    assert [ln["text"] for ln in got["pages"][0]["lines"]] == [t for _, _, t in ITEMS]
    path = tmp_path / "scan.png"
    path.write_bytes(scan)
    _same_pages(got["pages"], _cli([str(path)], tmp_path, monkeypatch)["pages"])
    assert client.get("/v1/documents").json()["documents"] == before  # not a document
    assert not list((data_dir / "tmp").iterdir())  # the upload is gone


def test_the_switches_are_the_clis(client, scan, render, tmp_path, monkeypatch):
    path = tmp_path / "scan.png"
    path.write_bytes(scan)
    boxes = _ocr(client, scan, rec="false").json()["pages"]
    assert [ln["text"] for ln in boxes[0]["lines"]] == [""] * len(ITEMS)
    _same_pages(boxes, _cli([str(path), "--no-rec"], tmp_path, monkeypatch)["pages"])

    crop = render.encode(render.line("Invoice No: A-1234", size=30), "PNG")
    whole = _ocr(client, crop, "crop.png", det="false").json()["pages"]
    assert [ln["text"] for ln in whole[0]["lines"]] == ["Invoice No: A-1234"]

    scores = sorted(ln["score"] for ln in _ocr(client, scan).json()["pages"][0]["lines"])
    strict = _ocr(client, scan, min_score=round(scores[1] + 1e-4, 4)).json()["pages"][0]["lines"]
    assert len(strict) == len(scores) - 2 and all(ln["score"] > scores[1] for ln in strict)

    worded = _ocr(client, scan, words="true").json()["pages"][0]["lines"]
    assert [[w["text"] for w in ln["words"]] for ln in worded] == [t.split() for _, _, t in ITEMS]
    assert all("words" not in ln for ln in _ocr(client, scan).json()["pages"][0]["lines"])


def test_pages_of_a_pdf_are_chosen_and_measured_in_points(client):
    pdf = make_pdf([[(40, 80, "First page 111")], [(40, 80, "Second page 222")], [(40, 80, "Third page 333")]])
    r = client.post("/v1/ocr", params={"pages": "3,2", "name": "three.pdf"}, content=pdf,
                    headers={"content-type": "application/pdf"})  # the raw body, named by the query
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["name"] == "three.pdf"
    # in page order, as the CLI gives them
    assert [(p["page"], p["width"], p["height"]) for p in got["pages"]] == [(2, 400, 300), (3, 400, 300)]
    assert [[ln["text"] for ln in p["lines"]] for p in got["pages"]] == [["Second page 222"], ["Third page 333"]]
    x0, y0, x1, y1 = got["pages"][0]["lines"][0]["bbox"]
    assert 30 < x0 < 50 and 55 < y0 < 80 and y1 < 90  # points, as inserted at (40, baseline 80)


BAD = {
    "empty": (b"", {}, 400, "UnreadableDocument", "empty"),
    "text": (b"Dear reader,\nplain text.\n", {}, 415, "UnsupportedFormat", "not a PDF or an image"),
    "zip": (zip_bytes(), {}, 415, "UnsupportedFormat", "ZIP"),
    "truncated-pdf": (make_pdf([[(40, 80, "Hi")]])[:200], {}, 400, "UnreadableDocument", "truncated"),
    "encrypted-pdf": (encrypted_pdf(), {}, 400, "EncryptedDocument", "encrypted"),
    "page-out-of-range": (make_pdf([[(40, 80, "Hi")]]), {"pages": "3"}, 400, "PageOutOfRange", "3"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_get_a_typed_4xx_naming_the_clients_file(client, data_dir, case):
    content, params, status, kind, words = BAD[case]
    r = _ocr(client, content, "report.pdf", **params)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["type"] == kind and words in err["message"] and "\n" not in err["message"]
    assert err["message"].startswith("report.pdf: ") and str(data_dir) not in err["message"]
    assert not list((data_dir / "tmp").iterdir())


def test_settings_reach_the_ocr_as_the_clis_set(client, scan, tmp_path, monkeypatch):
    path = tmp_path / "scan.png"
    path.write_bytes(scan)
    scores = sorted(ln["score"] for ln in _ocr(client, scan).json()["pages"][0]["lines"])
    cut = f"rec.drop_score={round(scores[1] + 1e-4, 4)}"
    cut_only = _ocr(client, scan, set=cut).json()["pages"]
    assert len(cut_only[0]["lines"]) == len(scores) - 2
    r = client.post("/v1/ocr", params=[("set", cut), ("set", "det.unclip_ratio=1.6")],
                    files={"file": ("scan.png", scan, "application/octet-stream")})
    assert r.status_code == 200, r.text
    assert r.json()["pages"] != cut_only  # the boxes grew
    _same_pages(r.json()["pages"], _cli([str(path), "--set", cut, "--set", "det.unclip_ratio=1.6"], tmp_path,
                                        monkeypatch)["pages"])


@pytest.mark.parametrize(("params", "words"), [
    ({"det": "false", "rec": "false"}, "nothing to do"),
    ({"pages": "two"}, "pages: not a page"),
    ({"set": "det.box_thresh=2"}, "set: det.box_thresh: Input should be less than 1"),
    ({"set": "det.nothing=1"}, "set: no option 'det.nothing'"),
    ({"set": "model=pp-ocrv5-mobile"}, "the model and the engine settings are the server's"),
    ({"set": "engine.threads=3"}, "the model and the engine settings are the server's"),
    ({"set": "rec.enabled=false", "det": "false"}, "nothing to do"),
])
def test_bad_settings_are_400_before_the_file_is_read(client, data_dir, scan, params, words):
    r = _ocr(client, scan, **params)
    assert r.status_code == 400 and r.json()["error"]["type"] == "BadRequest" and words in r.json()["error"]["message"]
    assert not list((data_dir / "tmp").iterdir())


def test_limits_are_those_of_uploads(client, data_dir):
    from server_testkit import LIMIT

    r = _ocr(client, b"%PDF-1.4\n" + b"0" * (LIMIT + 200_000), "big.pdf")
    assert r.status_code == 413 and r.json()["error"]["type"] == "DocumentTooLarge"
    bad = _ocr(client, b"\x89PNG", min_score="2")
    assert bad.status_code == 422 and "min_score" in bad.json()["error"]["message"]
    assert not list((data_dir / "tmp").iterdir())


def test_the_endpoint_is_in_the_openapi_document(client):
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/v1/ocr"]["post"]
    assert {p["name"] for p in op["parameters"]} >= {"det", "rec", "min_score", "pages", "cjk", "words", "name", "set"}
    assert "OCRResponse" in json.dumps(op["responses"]["200"])


def test_a_plain_ocr_request_goes_before_the_parses_waiting(client, scan, render):
    from server_testkit import wait_ready

    ids = []
    for n in range(5):  # one parser process: the first parses, the others wait
        items = [(40, 40 + 60 * k, f"Report {n} line {k}: value {n * 10 + k}") for k in range(10)]
        page, _ = render.page(items, size=(700, 680), font_size=24)
        r = client.post("/v1/documents", files={"file": (f"report-{n}.png", render.encode(page, "PNG"), "image/png")})
        assert r.status_code in (200, 202), r.text
        ids.append(r.json()["id"])
    r = _ocr(client, scan)
    assert r.status_code == 200, r.text
    # the request ran after the parse under way, before those waiting: the last has not started
    assert client.get(f"/v1/documents/{ids[-1]}").json()["status"] == "queued"
    for doc_id in ids:
        assert wait_ready(client, doc_id)["status"] == "ready"
        assert client.delete(f"/v1/documents/{doc_id}").status_code in (200, 204)
