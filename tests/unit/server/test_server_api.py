"""The HTTP API in-process: uploads, background parsing, the CLI's JSON shapes, pages, chat, limits, auth, CORS."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from chatocr_testkit import DATA_DIR, encrypted_pdf, make_pdf, zip_bytes
from PIL import Image
from server_testkit import LIMIT, running, wait_ready

ID_CHARS = set("0123456789abcdef")


def _upload(client, data: bytes, name: str = "doc.pdf", headers: dict | None = None):
    return client.post("/v1/documents", files={"file": (name, data, "application/octet-stream")}, headers=headers)


def test_upload_is_parsed_in_the_background(client, invoice, ready_invoice):
    data, _ = invoice
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    st = ready_invoice
    assert st["id"] == sha[:16] and set(st["id"]) <= ID_CHARS and st["sha256"] == sha
    assert st["name"] == "invoice.pdf" and st["format"] == "pdf" and st["size"] == len(data)
    assert st["pages"] == 1 and st["progress"] == {"done": 1, "total": 1} and st["error"] is None
    full = client.get(f"/v1/documents/{st['id']}").json()
    doc = full["document"]
    assert doc["id"] == st["id"] and doc["name"] == "invoice.pdf" and len(doc["pages"]) == 1
    page = doc["pages"][0]
    assert (page["width"], page["height"], page["unit"]) == (595.0, 842.0, "pt")
    assert any("Total" in b["text"] for b in page["blocks"])
    lines = [ln for b in page["blocks"] for ln in b["lines"]]
    assert lines and all("words" not in ln for ln in lines)  # only when asked
    worded = client.get(f"/v1/documents/{st['id']}", params={"words": "true"}).json()["document"]
    lines = [ln for b in worded["pages"][0]["blocks"] for ln in b["lines"]]
    assert all([w["text"] for w in ln["words"]] == ln["text"].split() for ln in lines)
    listed = client.get("/v1/documents").json()["documents"]
    assert [d["id"] for d in listed].count(st["id"]) == 1


def test_the_same_file_twice_is_one_document(client, invoice, ready_invoice):
    r = _upload(client, invoice[0], "copy-of-invoice.pdf")
    assert r.status_code == 200  # not 202: nothing new to parse
    assert r.json()["id"] == ready_invoice["id"] and r.json()["status"] == "ready"
    assert r.json()["name"] == "invoice.pdf"


def test_raw_body_upload(client, invoice, ready_invoice):
    r = client.post("/v1/documents", params={"name": "raw.pdf"}, content=invoice[0],
                    headers={"content-type": "application/pdf"})
    assert r.status_code == 200 and r.json()["id"] == ready_invoice["id"]


def _cli_json(args: list[str], cache_dir, monkeypatch) -> dict:
    from click.testing import CliRunner

    from chatocr.cli import cli

    monkeypatch.setenv("CHATOCR_CACHE_DIR", str(cache_dir))
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_extract_answers_exactly_as_the_cli(client, invoice, ready_invoice, tmp_path, monkeypatch):
    data, truth = invoice
    keys = ["Invoice No", "Total", "Date", "Due date"]
    r = client.post(f"/v1/documents/{ready_invoice['id']}/extract", json={"keys": keys})
    assert r.status_code == 200, r.text
    got = r.json()
    assert list(got) == ["fields"] and list(got["fields"]) == keys
    assert got["fields"]["Total"]["value"] == truth.pairs["Total"]
    assert got["fields"]["Total"]["page"] == 1 and len(got["fields"]["Total"]["bbox"]) == 4
    path = tmp_path / "invoice.pdf"
    path.write_bytes(data)
    cli = _cli_json(["extract", str(path), *[a for k in keys for a in ("-k", k)], "--json"], tmp_path / "c", monkeypatch)
    assert got == cli


def test_ask_answers_exactly_as_the_cli(client, invoice, ready_invoice, tmp_path, monkeypatch):
    data, truth = invoice
    r = client.post(f"/v1/documents/{ready_invoice['id']}/ask", json={"question": "What is the total?"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["answer"] == truth.pairs["Total"]
    assert got["evidence"][0]["page"] == 1 and truth.pairs["Total"] in got["evidence"][0]["text"]
    path = tmp_path / "invoice.pdf"
    path.write_bytes(data)
    assert got == _cli_json(["ask", str(path), "What is the total?", "--json"], tmp_path / "c", monkeypatch)
    none = client.post(f"/v1/documents/{ready_invoice['id']}/ask", json={"question": "Who signed the lease?"}).json()
    assert none["answer"] is None and none["evidence"] == []


def test_chat_keeps_its_session(client, invoice, ready_invoice):
    _, truth = invoice
    url = f"/v1/documents/{ready_invoice['id']}/chat"
    first = client.post(url, json={"message": "What is the invoice number?"}).json()
    assert first["answer"] == truth.pairs["Invoice No"] and len(first["session"]) == 32
    second = client.post(url, json={"message": "and the date?", "session": first["session"]}).json()
    assert second["session"] == first["session"] and second["answer"] == truth.pairs["Date"]
    assert second["evidence"][0]["page"] == 1
    gone = client.post(url, json={"message": "and the total?", "session": "0" * 32})
    assert gone.status_code == 404 and "session" in gone.json()["error"]["message"]
    bad = client.post(url, json={"message": "x", "session": "../../etc"})
    assert bad.status_code == 404


def test_page_images_with_and_without_regions(client, ready_invoice):
    base = f"/v1/documents/{ready_invoice['id']}/pages"
    plain = client.get(f"{base}/1.png")
    assert plain.status_code == 200 and plain.headers["content-type"] == "image/png"
    im = Image.open(io.BytesIO(plain.content))
    assert abs(im.width / im.height - 595 / 842) < 0.01 and im.width > 500
    regions = client.get(f"{base}/1.png", params={"overlay": 1})
    assert regions.status_code == 200 and regions.content != plain.content
    assert Image.open(io.BytesIO(regions.content)).size == im.size
    missing = client.get(f"{base}/2.png")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "PageNotFound"
    assert client.get(f"{base}/0.png").status_code == 422


@pytest.mark.parametrize("path", [
    "/v1/documents/0123456789abcdef",
    "/v1/documents/0123456789ABCDEF",
    "/v1/documents/..%2F..%2Fetc%2Fpasswd",
    "/v1/documents/%2E%2E/pages/1.png",
    "/v1/documents/0123456789abcdef/pages/1.png",
    "/v1/documents/0123456789abcdef/searchable.pdf",
])
def test_unknown_or_invalid_ids_are_404(client, path):
    r = client.get(path)
    assert r.status_code == 404, r.text
    assert r.json()["error"]["message"] and "\n" not in r.json()["error"]["message"]


def test_unknown_id_for_every_verb(client):
    doc = "/v1/documents/0123456789abcdef"
    for r in (client.post(f"{doc}/extract", json={"keys": ["Total"]}), client.post(f"{doc}/ask", json={"question": "x"}),
              client.post(f"{doc}/chat", json={"message": "x"}), client.delete(doc)):
        assert r.status_code == 404 and r.json()["error"]["type"] == "DocumentNotFound"


def test_bad_request_bodies_are_422_with_one_line(client, ready_invoice):
    url = f"/v1/documents/{ready_invoice['id']}"
    for r in (client.post(f"{url}/extract", json={"keys": []}), client.post(f"{url}/extract", json={}),
              client.post(f"{url}/ask", json={"question": ""}), client.post(f"{url}/ask", json={"q": "x"}),
              client.post(f"{url}/chat", content=b"not json", headers={"content-type": "application/json"})):
        assert r.status_code == 422, r.text
        body = r.json()["error"]
        assert body["type"] == "InvalidRequest" and body["message"] and "\n" not in body["message"]


MALFORMED = {
    "empty": (b"", 400, "UnreadableDocument", "empty"),
    "zip-renamed-pdf": (zip_bytes(), 415, "UnsupportedFormat", "ZIP"),
    "truncated-pdf": (make_pdf([[(40, 80, "Hi")]])[:200], 400, "UnreadableDocument", "truncated"),
    "text-file": (b"Dear reader,\nthis is plain text.\n", 415, "UnsupportedFormat", "not a PDF or an image"),
    "encrypted-pdf": (encrypted_pdf(), 400, "EncryptedDocument", "encrypted"),
    "gif": (b"GIF89a" + b"\x00" * 64, 415, "UnsupportedFormat", "GIF"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_uploads_get_a_typed_4xx(client, data_dir, case):
    content, status, kind, words = MALFORMED[case]
    r = _upload(client, content, "report.pdf")
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["type"] == kind and words in err["message"] and "\n" not in err["message"]
    assert err["message"].startswith("report.pdf: ")  # names the client's file, never a server path
    assert str(data_dir) not in err["message"]
    assert not list((data_dir / "tmp").iterdir())  # nothing half-received is left


def test_multipart_without_a_file_is_400(client):
    r = client.post("/v1/documents", data={"note": "no file here"}, files={"other": (None, b"x")})
    assert r.status_code == 400 and "no file" in r.json()["error"]["message"]


def test_over_the_size_limit_is_413(client, data_dir):
    big = b"%PDF-1.4\n" + b"0" * (LIMIT + 200_000)
    r = _upload(client, big, "big.pdf")  # refused from Content-Length, before reading
    assert r.status_code == 413 and r.json()["error"]["type"] == "DocumentTooLarge"
    assert "limit" in r.json()["error"]["message"]

    def chunks(prefix: bytes = b"", suffix: bytes = b""):  # no Content-Length: refused while streaming
        yield prefix
        for i in range(0, len(big), 65536):
            yield big[i:i + 65536]
        yield suffix

    raw = client.post("/v1/documents", content=chunks(), headers={"content-type": "application/pdf"})
    assert raw.status_code == 413, raw.text
    head = b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n\r\n'
    multi = client.post("/v1/documents", content=chunks(head, b"\r\n--XyZ--\r\n"),
                        headers={"content-type": "multipart/form-data; boundary=XyZ"})
    assert multi.status_code == 413 and "big.pdf" in multi.json()["error"]["message"]
    assert not list((data_dir / "tmp").iterdir())


def test_not_ready_is_409(client):
    from chatocr.server.store import DocumentRecord

    service = client.app.state.service
    service.store.add(DocumentRecord(id="feedfacefeedface", sha256="feedface" * 8, name="later.pdf", format="pdf",
                                     size=10, status="queued", pages=1))
    try:
        r = client.post("/v1/documents/feedfacefeedface/ask", json={"question": "total?"})
        assert r.status_code == 409 and r.json()["error"]["type"] == "DocumentNotReady"
        assert "queued" in r.json()["error"]["message"]
        assert client.get("/v1/documents/feedfacefeedface").json()["document"] is None
        pdf = client.get("/v1/documents/feedfacefeedface/searchable.pdf")
        assert pdf.status_code == 409 and pdf.json()["error"]["type"] == "DocumentNotReady"
    finally:
        service.store.delete("feedfacefeedface")


def test_delete_removes_the_document_and_its_files(client, data_dir):
    from docgen import invoice_pdf

    data, _ = invoice_pdf(5)
    doc_id = _upload(client, data, "other.pdf").json()["id"]
    assert wait_ready(client, doc_id)["status"] == "ready"
    chat = client.post(f"/v1/documents/{doc_id}/chat", json={"message": "What is the total?"}).json()
    assert client.get(f"/v1/documents/{doc_id}/pages/1.png").status_code == 200
    sha = client.get(f"/v1/documents/{doc_id}").json()["sha256"]
    cached = data_dir / "documents" / sha[:2] / sha
    assert (data_dir / "uploads" / doc_id).is_dir() and cached.is_dir()
    r = client.delete(f"/v1/documents/{doc_id}")
    assert r.status_code == 200 and r.json() == {"id": doc_id, "deleted": True}
    assert client.get(f"/v1/documents/{doc_id}").status_code == 404
    assert not (data_dir / "uploads" / doc_id).exists() and not cached.exists()
    again = client.post(f"/v1/documents/{doc_id}/chat", json={"message": "and the date?", "session": chat["session"]})
    assert again.status_code == 404


def test_bearer_token(tmp_path, invoice):
    token = "tok-0123456789"
    with running(tmp_path, api_token=token) as c:
        assert c.get("/v1/health").status_code == 200
        assert c.get("/").status_code == 200 and c.get("/static/app.js").status_code == 200
        r = c.get("/v1/documents")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert "CHATOCR_API_TOKEN" in r.json()["error"]["message"] and token not in r.text
        assert c.get("/v1/documents", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert _upload(c, invoice[0]).status_code == 401
        ok = {"Authorization": f"Bearer {token}"}
        assert c.get("/v1/documents", headers=ok).status_code == 200
        assert c.get("/v1/info", headers=ok).status_code == 200
        assert token not in c.get("/openapi.json").text


def test_cors_is_off_unless_origins_are_given(client, tmp_path):
    pre = {"Origin": "http://elsewhere.test", "Access-Control-Request-Method": "POST"}
    r = client.options("/v1/documents", headers=pre)
    assert "access-control-allow-origin" not in r.headers
    assert "access-control-allow-origin" not in client.get("/v1/health", headers={"Origin": "http://elsewhere.test"}).headers
    with running(tmp_path, cors_origins=("http://app.test",)) as c:
        ok = c.options("/v1/documents", headers={**pre, "Origin": "http://app.test"})
        assert ok.headers.get("access-control-allow-origin") == "http://app.test"
        assert "access-control-allow-origin" not in c.options("/v1/documents", headers=pre).headers


def test_openapi_and_web_page(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for p in ("/v1/documents", "/v1/documents/{doc_id}", "/v1/documents/{doc_id}/pages/{page}.png",
              "/v1/documents/{doc_id}/extract", "/v1/documents/{doc_id}/ask", "/v1/documents/{doc_id}/chat"):
        assert p in paths, p
    assert "delete" in paths["/v1/documents/{doc_id}"]
    assert "ExtractResponse" in json.dumps(spec) and "ErrorResponse" in json.dumps(spec)
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"] and 'id="question"' in page.text
    assert client.get("/static/app.js").status_code == 200 and client.get("/static/style.css").status_code == 200
    assert client.get("/docs").status_code == 404  # Swagger UI would load scripts from a CDN


def test_info_never_shows_credentials(client):
    from chatocr.server.app import _public_spec

    info = client.get("/v1/info").json()
    assert info["llm"] == "builtin" and info["max_upload_bytes"] == LIMIT and "pdf" in info["formats"]
    assert _public_spec("openai:m@https://user:sk-secret@host/v1?key=sk-2") == "openai:m@https://host/v1"


def test_importing_chatocr_server_stays_light():
    code = ("import sys, chatocr, chatocr.server; "
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'uvicorn', 'mcp', 'starlette')]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_too_many_pages_is_413(tmp_path):
    from docgen import report_pdf

    with running(tmp_path, max_pages=2) as c:
        r = _upload(c, report_pdf(3)[0], "long.pdf")
        assert r.status_code == 413 and r.json()["error"]["type"] == "DocumentTooLarge"
        assert r.json()["error"]["message"] == "long.pdf: PDF has 3 pages, over the limit of 2"


def test_a_full_queue_is_503(tmp_path, invoice):
    from chatocr.server.store import DocumentRecord

    with running(tmp_path, max_queued=1) as c:
        c.app.state.service.store.add(DocumentRecord(id="abcdefabcdefabcd", sha256="abcdef" * 10 + "abcd",
                                                     name="waiting.pdf", format="pdf", size=1, status="queued"))
        r = _upload(c, invoice[0])
        assert r.status_code == 503 and r.headers["retry-after"] and "try again" in r.json()["error"]["message"]


@pytest.mark.models
def test_an_image_upload_is_read_with_ocr(client, render):
    page, _ = render.page([(20, 20, "Invoice No: A-1234"), (20, 70, "Total: 56.78")], size=(420, 130), font_size=26)
    r = _upload(client, render.encode(page, "PNG"), "scan.png")
    assert r.status_code == 202 and r.json()["format"] == "png" and r.json()["pages"] == 1
    st = wait_ready(client, r.json()["id"], timeout=180)
    assert st["status"] == "ready", st
    doc = client.get(f"/v1/documents/{st['id']}").json()["document"]
    assert (doc["pages"][0]["width"], doc["pages"][0]["height"], doc["pages"][0]["unit"]) == (420, 130, "px")
    ans = client.post(f"/v1/documents/{st['id']}/ask", json={"question": "What is the total?"}).json()
    assert ans["answer"] == "56.78" and ans["evidence"][0]["bbox"][1] > 50  # the second line's box, in pixels
    img = Image.open(io.BytesIO(client.get(f"/v1/documents/{st['id']}/pages/1.png", params={"overlay": 1}).content))
    assert img.size == (420, 130)


@pytest.mark.models
def test_a_scan_comes_back_as_a_searchable_pdf_with_words_on_their_ink(client, render):
    """A page scanned on its side: the PDF shows it as uploaded, each word written over its ink,
    running the way the text runs; made once, then served from disk."""
    import cv2
    import pymupdf

    items = [(30, 30 + 60 * k, t) for k, t in enumerate(
        ["Invoice No: A-1234", "Date: 12/03/2024", "Widget x2 20.00", "Service 36.78", "Total: 56.78"])]
    upright, inked = render.page(items, size=(460, 330), font_size=26)
    scan = cv2.rotate(upright, cv2.ROTATE_90_CLOCKWISE)  # 330 x 460, the text running down
    height = upright.shape[0]
    r = _upload(client, render.encode(scan, "PNG"), "side scan.png")
    st = wait_ready(client, r.json()["id"], timeout=180)
    assert st["status"] == "ready", st
    got = client.get(f"/v1/documents/{st['id']}/searchable.pdf")
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == "attachment; filename*=utf-8''side%20scan-searchable.pdf"
    to_pt = 72 / 200  # a PNG without a resolution is laid out at 200 dpi
    with pymupdf.open(stream=got.content, filetype="pdf") as doc:
        assert doc.page_count == 1 and doc[0].get_images()[0][2:4] == (330, 460)
        words = {w[4]: w[:4] for w in doc[0].get_text("words")}
        runs = [ln["dir"] for b in doc[0].get_text("dict")["blocks"] for ln in b.get("lines", ())]
    assert {"A-1234", "12/03/2024", "56.78"} <= set(words), sorted(words)
    assert runs and all(abs(dx) < 0.01 and dy > 0.99 for dx, dy in runs), runs  # downward, as the ink
    for (_, _, text), (x0, y0, x1, y1) in zip(items, inked, strict=True):
        turned = (height - y1, x0, height - y0, x1)  # the line's ink on the page as uploaded
        last = [v / to_pt for v in words[text.split()[-1]]]
        assert turned[0] - 6 <= last[0] and last[2] <= turned[2] + 6, (text, last, turned)
        assert turned[1] + (turned[3] - turned[1]) / 3 < (last[1] + last[3]) / 2 <= turned[3] + 6, (text, last, turned)
    path = client.app.state.service.folder(st["id"]) / "searchable.pdf"
    stamp = path.stat().st_mtime_ns
    assert client.get(f"/v1/documents/{st['id']}/searchable.pdf").content == got.content
    assert path.stat().st_mtime_ns == stamp


@pytest.mark.models
def test_a_scanned_pdf_gets_its_words_where_the_original_had_them(client):
    """A PDF of page images: the PDF comes back with the words read laid over them, in PDF points,
    each where the born-digital original (the truth) has it."""
    import pymupdf
    from docgen import invoice_pdf

    digital, _ = invoice_pdf(7)
    with pymupdf.open(stream=digital, filetype="pdf") as src, pymupdf.open() as scan:
        for sp in src:  # each page as a JPEG at 150 dpi: a scan, under the test server's upload limit
            scan.new_page(width=sp.rect.width, height=sp.rect.height).insert_image(
                sp.rect, stream=sp.get_pixmap(dpi=150).tobytes("jpg", jpg_quality=80))
        data = scan.tobytes()
    r = _upload(client, data, "scanned.pdf")
    st = wait_ready(client, r.json()["id"], timeout=180)
    assert st["status"] == "ready", st
    got = client.get(f"/v1/documents/{st['id']}/searchable.pdf")
    assert got.status_code == 200
    with pymupdf.open(stream=got.content, filetype="pdf") as new, pymupdf.open(stream=digital, filetype="pdf") as old:
        assert new.page_count == old.page_count == 1 and new[0].rect == old[0].rect
        truth = [(w[4], w[:4]) for w in old[0].get_text("words")]
        read = {}
        for w in new[0].get_text("words"):
            read.setdefault(w[4], []).append(w[:4])
    placed = [any(_overlap(box, b) > 0.5 for b in read.get(text, ())) for text, box in truth]
    assert sum(placed) >= 0.9 * len(truth), [t for (t, _), ok in zip(truth, placed, strict=True) if not ok]


def _overlap(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return ix * iy / max(1e-9, (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy)


def test_a_born_digital_pdf_comes_back_as_it_was(client, invoice, ready_invoice):
    import pymupdf

    got = client.get(f"/v1/documents/{ready_invoice['id']}/searchable.pdf")
    assert got.status_code == 200
    with pymupdf.open(stream=got.content, filetype="pdf") as new, pymupdf.open(stream=invoice[0], filetype="pdf") as old:
        assert [p.get_text() for p in new] == [p.get_text() for p in old]


@pytest.mark.models
def test_a_heic_photo_upload_is_read(client):
    """Phones upload photos as HEIC: accepted, parsed, asked, and its page shown as a PNG."""
    r = _upload(client, (DATA_DIR / "slip-turned.heic").read_bytes(), "IMG_0042.HEIC")
    assert r.status_code == 202 and r.json()["format"] == "heif" and r.json()["pages"] == 1, r.text
    st = wait_ready(client, r.json()["id"], timeout=180)
    assert st["status"] == "ready", st
    ans = client.post(f"/v1/documents/{st['id']}/ask", json={"question": "What is the total?"}).json()
    assert ans["answer"] in ("12.50", "RM 12.50") and ans["evidence"][0]["bbox"][1] < 100  # line 1, in pixels
    img = Image.open(io.BytesIO(client.get(f"/v1/documents/{st['id']}/pages/1.png").content))
    assert img.size == (600, 200)


def test_serve_fails_early_with_one_line_on_a_bad_llm_spec(tmp_path):
    from click.testing import CliRunner

    from chatocr.cli import cli

    res = CliRunner().invoke(cli, ["serve", "--data-dir", str(tmp_path), "--llm", "nonsense"])
    assert res.exit_code == 2 and res.output.startswith("error: bad LLM spec 'nonsense'")
    assert len(res.output.strip().splitlines()) == 1
