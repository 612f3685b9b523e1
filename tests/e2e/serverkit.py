"""Run ``chatocr serve`` as a real subprocess on a free loopback port, for the end-to-end tests.

The server gets its own process group, so ``stop()`` ends it and its parse
workers together (by that group's id, which this helper created).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``chatocr serve --data-dir DIR`` on 127.0.0.1; ``url``, ``client()``, ``kill()``, ``stop()``."""

    def __init__(self, data_dir: Path, *args: str, env: dict | None = None, log: Path | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.args = args
        self.env = {**os.environ, **(env or {})}
        for var in ("CHATOCR_API_TOKEN", "CHATOCR_LLM", "CHATOCR_DATA_DIR", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                    "http_proxy", "https_proxy", "all_proxy"):
            if var not in (env or {}):
                self.env.pop(var, None)
        self.log = log or self.data_dir.with_name(self.data_dir.name + "-server.log")
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=kw.pop("timeout", 60.0), trust_env=False, **kw)

    def start(self, timeout: float = 90.0) -> ServerProcess:
        self.port = free_port()
        cmd = [sys.executable, "-m", "chatocr", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
               *self.args]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        with self.client(timeout=2.0) as c:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"chatocr serve exited with {self.proc.returncode}: {self.tail()}")
                try:
                    if c.get("/v1/health").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chatocr serve did not answer within {timeout:.0f}s: {self.tail()}")

    def tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL the server process alone (its parse worker is orphaned, as after a crash)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL, to the server's process group (server and workers)."""
        if self.proc is None:
            return
        pgid = self.proc.pid  # start_new_session: the group is the server's own
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
            if sig == signal.SIGTERM:
                time.sleep(0.2)
                try:  # workers still there after the server left
                    os.killpg(pgid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            break

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_ready(client: httpx.Client, doc_id: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        st = client.get(f"/v1/documents/{doc_id}", params={"content": "false"}).json()
        if st.get("status") in ("ready", "failed") or time.monotonic() > deadline:
            return st
        time.sleep(0.1)
