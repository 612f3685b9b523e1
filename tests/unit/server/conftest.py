"""Fixtures of the server tests: the app on a temporary data directory, driven in-process (TestClient)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason='the server extra is not installed (pip install "chatocr[server]")')
pytest.importorskip("python_multipart", reason='the server extra is not installed (pip install "chatocr[server]")')

from fastapi.testclient import TestClient  # noqa: E402
from server_testkit import LIMIT, running, wait_ready  # noqa: E402


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
