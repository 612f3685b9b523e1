"""``chatocr serve`` as a real process: concurrent load, SIGKILL mid-parse and restart, malformed uploads on the wire.

Bounded: every loop has a fixed count and a deadline, and all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from serverkit import ServerProcess, wait_ready

pytest.importorskip("fastapi", reason='the server extra is not installed (pip install "chatocr[server]")')
psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.slow

N_DOCS, N_QUESTIONS, WORKERS = 20, 200, 8


def _upload(client, data: bytes, name: str) -> dict:
    r = client.post("/v1/documents", files={"file": (name, data, "application/pdf")})
    assert r.status_code in (200, 202), r.text
    return r.json()


def test_concurrent_load_loses_nothing_and_memory_stays_bounded(tmp_path):
    from docgen import invoice_pdf

    docs = [invoice_pdf(100 + i) for i in range(N_DOCS)]
    with ServerProcess(tmp_path / "data") as srv, ThreadPoolExecutor(WORKERS) as pool:
        clients = [srv.client() for _ in range(WORKERS)]
        try:
            uploaded = list(pool.map(lambda i: _upload(clients[i % WORKERS], docs[i][0], f"inv-{i}.pdf"),
                                     range(N_DOCS)))
            ids = [u["id"] for u in uploaded]
            assert len(set(ids)) == N_DOCS
            states = list(pool.map(lambda i: wait_ready(clients[i % WORKERS], ids[i]), range(N_DOCS)))
            assert [s["status"] for s in states] == ["ready"] * N_DOCS, [s for s in states if s["status"] != "ready"]
            server = psutil.Process(srv.proc.pid)

            def question(k: int) -> tuple[int, str | None, str]:
                i, c = k % N_DOCS, clients[k % WORKERS]
                url = f"/v1/documents/{ids[i]}"
                kind = ("ask", "extract", "chat")[k % 3]
                if kind == "ask":
                    r = c.post(f"{url}/ask", json={"question": "What is the total?"})
                    value = r.json().get("answer")
                elif kind == "extract":
                    r = c.post(f"{url}/extract", json={"keys": ["Total", "Invoice No"]})
                    value = r.json()["fields"]["Total"]["value"] if r.status_code == 200 else None
                else:
                    r = c.post(f"{url}/chat", json={"message": "What is the total?"})
                    value = r.json().get("answer")
                assert r.status_code == 200, r.text
                return i, value, kind

            list(pool.map(question, range(N_DOCS * 2)))  # warm: every document loaded once
            rss_before = server.memory_info().rss
            t0 = time.monotonic()
            results = list(pool.map(question, range(N_QUESTIONS)))
            elapsed = time.monotonic() - t0
            rss_after = server.memory_info().rss
            wrong = [(i, v, kind) for i, v, kind in results if v != docs[i][1].pairs["Total"]]
            assert not wrong, wrong  # every answer from its own document: no mix-ups under concurrency
            listed = clients[0].get("/v1/documents").json()["documents"]
            assert sorted(d["id"] for d in listed) == sorted(ids) and {d["status"] for d in listed} == {"ready"}
            pages = list(pool.map(lambda i: clients[i % WORKERS].get(f"/v1/documents/{ids[i]}/pages/1.png"),
                                  range(N_DOCS)))
            assert {p.status_code for p in pages} == {200}
        finally:
            for c in clients:
                c.close()
    growth = (rss_after - rss_before) / 2**20
    assert growth < 100, f"server RSS grew {growth:.0f} MB over {N_QUESTIONS} questions"
    print(f"{N_QUESTIONS} questions from {WORKERS} workers in {elapsed:.1f}s; RSS growth {growth:.1f} MB")


def test_sigkill_mid_parse_then_restart_reparses_and_nothing_is_corrupt(tmp_path):
    from docgen import report_pdf

    data, _ = report_pdf(12, seed=7)
    data_dir = tmp_path / "data"
    srv = ServerProcess(data_dir).start()
    try:
        with srv.client() as c:
            doc_id = _upload(c, data, "report.pdf")["id"]
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                st = c.get(f"/v1/documents/{doc_id}", params={"content": "false"}).json()
                if st["status"] == "parsing" and st["progress"]["done"] >= 1:
                    break
                assert st["status"] in ("queued", "parsing"), st
                time.sleep(0.02)
            assert st["status"] == "parsing" and st["progress"]["done"] < st["pages"], st
        srv.kill()  # mid-parse, no chance to clean up
    finally:
        srv.stop()  # and the orphaned worker, by the server's process group

    db = sqlite3.connect(data_dir / "chatocr.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT status FROM documents WHERE id=?", (doc_id,)).fetchone()[0] == "parsing"
    db.close()

    with ServerProcess(data_dir) as again, again.client() as c:
        st = wait_ready(c, doc_id)
        assert st["status"] == "ready" and st["pages"] == 12 and st["progress"]["done"] == 12, st
        doc = c.get(f"/v1/documents/{doc_id}").json()["document"]
        assert len(doc["pages"]) == 12 and doc["name"] == "report.pdf"
        assert c.get(f"/v1/documents/{doc_id}/pages/12.png").status_code == 200
        same = _upload(c, data, "report-again.pdf")
        assert same["id"] == doc_id and same["status"] == "ready"
    assert not list((data_dir / "tmp").iterdir())


def test_malformed_uploads_over_the_wire(tmp_path):
    from chatocr_testkit import make_pdf, zip_bytes

    with ServerProcess(tmp_path / "data", "--max-upload-mb", "0.25") as srv, srv.client() as c:
        cases = {
            "truncated.pdf": (make_pdf([[(40, 80, "Hi")]])[:200], 400, "truncated"),
            "empty.pdf": (b"", 400, "empty"),
            "archive.pdf": (zip_bytes(), 415, "ZIP"),
            "huge.pdf": (b"%PDF-1.4\n" + b"0" * 1_000_000, 413, "limit of 0.25 MB"),
        }
        for name, (content, status, words) in cases.items():
            r = c.post("/v1/documents", files={"file": (name, content, "application/pdf")})
            assert r.status_code == status, (name, r.text)
            err = r.json()["error"]
            assert words in err["message"] and err["message"].startswith(name) and "\n" not in err["message"]
        assert c.get("/v1/documents").json()["documents"] == []
        assert c.get("/v1/health").status_code == 200
    assert not list((tmp_path / "data" / "tmp").iterdir())
