"""Helpers of the server tests (a module of its own: test files never import conftest)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from chatocr.server import ServerOptions, create_app

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
