"""A scripted OpenAI-compatible chat server on loopback, for the real ``openai`` client to talk to (fixtures: conftest.py)."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "sk-test-SECRET-0123456789abcdef"


@dataclass
class Reply:
    """One scripted answer: a chat completion with ``content``, or a raw ``status``/``body``."""

    content: str | None = None
    status: int = 200
    body: object = None  # a dict is sent as JSON; str as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (for timeouts)
    choices: list | None = None  # override the choices list (e.g. [] for "no choices")


def completion(content: str | None, choices: list | None = None) -> dict:
    if choices is None:
        choices = [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "test-model",
        "choices": choices,
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class ChatServer:
    """Answers POST …/chat/completions from a queue of :class:`Reply` and records every request."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[dict] = []
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = None
                server.requests.append(
                    {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "json": payload}
                )
                reply = server.replies.popleft() if server.replies else Reply(status=500, body={"error": "no reply"})
                if reply.delay and server._stop.wait(reply.delay):
                    return
                if reply.status == 200 and reply.body is None:
                    body = json.dumps(completion(reply.content, reply.choices)).encode()
                elif isinstance(reply.body, (dict, list)):
                    body = json.dumps(reply.body).encode()
                else:
                    body = str(reply.body or "").encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def enqueue(self, *replies: Reply | str) -> ChatServer:
        self.replies.extend(Reply(content=r) if isinstance(r, str) else r for r in replies)
        return self

    def prompt_text(self, index: int = -1) -> str:
        """All text the client sent in request ``index`` (every message, text parts only)."""
        out = []
        for m in self.requests[index]["json"]["messages"]:
            c = m["content"]
            out.extend([c] if isinstance(c, str) else [p.get("text", "") for p in c if p.get("type") == "text"])
        return "\n".join(out)

    def __enter__(self) -> ChatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=2)
