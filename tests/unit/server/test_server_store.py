"""Metadata in SQLite, recovery of what a stopped server left, and LLM keys that never leave the server."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from server_testkit import running, wait_ready

from chatocr.server.store import DocumentRecord, MetadataStore, valid_id


def _rec(doc_id: str = "0123456789abcdef", **kw) -> DocumentRecord:
    base = dict(id=doc_id, sha256=doc_id * 4, name="a.pdf", format="pdf", size=3, status="queued", pages=2)
    return DocumentRecord(**(base | kw))


def test_store_add_get_update_delete(tmp_path):
    store = MetadataStore(tmp_path / "m.sqlite3")
    rec, created = store.add(_rec())
    assert created and rec.created > 0 and store.get(rec.id).status == "queued"
    again, created = store.add(_rec(name="b.pdf"))
    assert not created and again.name == "a.pdf"
    assert store.update(rec.id, only_if=("parsing",), status="ready") is None  # not parsing: untouched
    cur = store.update(rec.id, only_if=("queued",), status="parsing", attempts_plus=True)
    assert cur.status == "parsing" and cur.attempts == 1
    assert store.count("parsing") == 1 and [r.id for r in store.all("parsing")] == [rec.id]
    d = cur.to_dict()
    assert d["progress"] == {"done": 0, "total": 2} and d["created"].endswith("Z")
    with pytest.raises(ValueError):
        store.update(rec.id, nonsense=1)
    assert store.delete(rec.id) and store.get(rec.id) is None and not store.delete(rec.id)
    assert store.integrity_ok()
    assert sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_store_refuses_a_newer_schema(tmp_path):
    path = tmp_path / "m.sqlite3"
    sqlite3.connect(path).execute("PRAGMA user_version=99")
    with pytest.raises(RuntimeError, match="newer chatocr"):
        MetadataStore(path)


@pytest.mark.parametrize("value, ok", [("0123456789abcdef", True), ("0123456789ABCDEF", False), ("../etc/passwd", False),
                                       ("0123456789abcde", False), ("0123456789abcdef0", False), ("", False)])
def test_ids_are_validated(value, ok):
    assert valid_id(value) is ok


def _leave_unfinished(data_dir, data: bytes, status: str, attempts: int, *, with_file: bool = True) -> str:
    """What a killed server leaves: a row in ``status`` and (optionally) the upload."""
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    doc_id = sha[:16]
    if with_file:
        (data_dir / "uploads" / doc_id).mkdir(parents=True)
        (data_dir / "uploads" / doc_id / "upload.pdf").write_bytes(data)
    store = MetadataStore(data_dir / "chatocr.sqlite3")
    store.add(DocumentRecord(id=doc_id, sha256=sha, name=f"{status}.pdf", format="pdf", size=len(data),
                             status=status, pages=1))
    store.update(doc_id, attempts=attempts, done=1 if status == "parsing" else 0)
    store.close()
    return doc_id


def test_restart_requeues_or_fails_what_was_left_unfinished(tmp_path):
    from docgen import invoice_pdf

    interrupted = _leave_unfinished(tmp_path, invoice_pdf(11)[0], "parsing", 1)
    queued = _leave_unfinished(tmp_path, invoice_pdf(12)[0], "queued", 0)
    hopeless = _leave_unfinished(tmp_path, invoice_pdf(13)[0], "parsing", 3)
    lost = _leave_unfinished(tmp_path, invoice_pdf(14)[0], "queued", 0, with_file=False)
    (tmp_path / "tmp").mkdir()
    (tmp_path / "tmp" / "upload-half").write_bytes(b"%PDF-1.4 cut off")
    with running(tmp_path) as c:
        assert not (tmp_path / "tmp" / "upload-half").exists()
        for doc_id in (interrupted, queued):
            st = wait_ready(c, doc_id)
            assert st["status"] == "ready" and st["error"] is None, st
            assert c.post(f"/v1/documents/{doc_id}/ask", json={"question": "What is the total?"}).json()["answer"]
        st = c.get(f"/v1/documents/{hopeless}").json()
        assert st["status"] == "failed" and "interrupted 3 times" in st["error"] and "upload it again" in st["error"]
        st = c.get(f"/v1/documents/{lost}").json()
        assert st["status"] == "failed" and "missing" in st["error"]
        assert c.app.state.service.store.integrity_ok()


def test_a_failed_document_can_be_uploaded_again(tmp_path):
    from docgen import invoice_pdf

    data = invoice_pdf(15)[0]
    doc_id = _leave_unfinished(tmp_path, data, "parsing", 3)
    with running(tmp_path) as c:
        assert c.get(f"/v1/documents/{doc_id}").json()["status"] == "failed"
        r = c.post("/v1/documents", files={"file": ("retry.pdf", data, "application/pdf")})
        assert r.status_code == 202 and r.json()["status"] in ("queued", "parsing", "ready")
        assert wait_ready(c, doc_id)["status"] == "ready"


def test_llm_keys_are_never_returned_or_logged(tmp_path, monkeypatch, caplog):
    from docgen import invoice_pdf
    from unit.llm.llm_chat_server import SECRET, ChatServer, Reply

    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    caplog.set_level(logging.DEBUG)
    data, truth = invoice_pdf(16)
    total = truth.pairs["Total"]
    with ChatServer() as llm:
        llm.enqueue(f'{{"answer": "{total}", "quote": "Total: {total}"}}', Reply(status=401, body={"error": "bad key"}))
        with running(tmp_path, llm=f"openai:test-model@{llm.url}") as c:
            doc_id = c.post("/v1/documents", files={"file": ("inv.pdf", data, "application/pdf")}).json()["id"]
            assert wait_ready(c, doc_id)["status"] == "ready"
            ok = c.post(f"/v1/documents/{doc_id}/ask", json={"question": "What is the total?"})
            assert ok.status_code == 200 and ok.json()["answer"] == total, ok.text
            failed = c.post(f"/v1/documents/{doc_id}/ask", json={"question": "What is the date?"})
            assert failed.status_code in (502, 503) and failed.json()["error"]["type"].startswith("LLM")
            texts = [ok.text, failed.text, c.get("/v1/info").text, c.get("/openapi.json").text,
                     c.get(f"/v1/documents/{doc_id}").text]
        assert llm.requests[0]["headers"]["authorization"] == f"Bearer {SECRET}"  # the key was used …
    assert all(SECRET not in t for t in texts)  # … and never returned
    assert SECRET not in caplog.text  # nor logged
