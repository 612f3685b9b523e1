"""``FakeLLM``: a queue-driven stand-in for tests (no network, no model)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from ..errors import LLMResponseError
from .client import Message

__all__ = ["FakeLLM"]

Reply = str | BaseException | Callable[[list[Message]], str]


class FakeLLM:
    """An :class:`~chatocr.llm.client.LLMClient` that answers from a queue and records every call.

    A queued reply is a string, an exception (raised) or a callable ``messages -> str``.  When the
    queue is empty, ``default`` answers (a string or callable); without one, the call fails with
    :class:`LLMResponseError`.  ``vision=True`` makes it pose as a VLM client.
    """

    def __init__(self, *replies: Reply, default: Reply | None = None, name: str = "fake", vision: bool = False) -> None:
        self.queue: deque[Reply] = deque(replies)
        self.default = default
        self.name = name
        self.vision = vision
        self.calls: list[dict[str, Any]] = []

    def enqueue(self, *replies: Reply) -> FakeLLM:
        self.queue.extend(replies)
        return self

    def __repr__(self) -> str:
        return f"FakeLLM(name={self.name!r}, queued={len(self.queue)}, calls={len(self.calls)})"

    @property
    def last_messages(self) -> list[Message]:
        return self.calls[-1]["messages"] if self.calls else []

    def prompt_text(self, index: int = -1) -> str:
        """All text of call ``index`` (system and user, image parts left out)."""
        out = []
        for m in self.calls[index]["messages"]:
            c = m.get("content")
            out.extend([c] if isinstance(c, str) else [p.get("text", "") for p in c if p.get("type") == "text"])
        return "\n".join(out)

    def complete(self, messages: list[Message], *, json_mode: bool = False, max_tokens: int | None = None) -> str:
        self.calls.append({"messages": messages, "json_mode": json_mode, "max_tokens": max_tokens})
        reply = self.queue.popleft() if self.queue else self.default
        if reply is None:
            raise LLMResponseError(f"{self.name}: no reply queued (call {len(self.calls)})")
        if isinstance(reply, BaseException):
            raise reply
        return reply(messages) if callable(reply) else reply

    async def acomplete(
        self, messages: list[Message], *, json_mode: bool = False, max_tokens: int | None = None
    ) -> str:
        return self.complete(messages, json_mode=json_mode, max_tokens=max_tokens)
