"""Fixtures of the server tests: the app on a temporary data directory, driven in-process (TestClient)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason='the server extra is not installed (pip install "chatocr[server]")')
pytest.importorskip("python_multipart", reason='the server extra is not installed (pip install "chatocr[server]")')

from fastapi.testclient import TestClient  # noqa: E402

from chatocr.server import ServerOptions, create_app  # noqa: E402

LIMIT = 300_000  # bytes: a small upload limit, so "too big" is cheap to test


@contextmanager
def running(data_dir: Path, **options) -> Iterator[TestClient]:
    """The app on ``data_dir`` (lifespan run: worker pool, recovery), as a TestClient."""
    app = create_app(ServerOptions(data_dir=data_dir, **options))
    with TestClient(app) as client:
        yield client


def wait_ready(client: TestClient, doc_id: str, timeout: float = 90.0, headers: dict | None = None) -> dict:
    """Poll GET /v1/documents/{id} until parsing ends; the last status (without the document)."""
    deadline = time.monotonic() + timeout
    while True:
        st = client.get(f"/v1/documents/{doc_id}", params={"content": "false"}, headers=headers).json()
        if st.get("status") in ("ready", "failed") or time.monotonic() > deadline:
            return st
        time.sleep(0.1)


@pytest.fixture(scope="module")
def invoice() -> tuple[bytes, object]:
    from docgen import invoice_pdf

    return invoice_pdf(0)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("server-data")


@pytest.fixture(scope="module")
def client(data_dir) -> Iterator[TestClient]:
    with running(data_dir, max_upload_bytes=LIMIT) as c:
        yield c


@pytest.fixture(scope="module")
def ready_invoice(client, invoice) -> dict:
    """The generated invoice, uploaded and parsed: its status."""
    data, _ = invoice
    r = client.post("/v1/documents", files={"file": ("invoice.pdf", data, "application/pdf")})
    assert r.status_code in (200, 202), r.text
    st = wait_ready(client, r.json()["id"])
    assert st["status"] == "ready", st
    return st
