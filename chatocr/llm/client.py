"""The ``LLMClient`` Protocol and what every backend shares: token estimates and context truncation.

A client takes OpenAI-format chat messages and returns the reply text::

    [{"role": "system", "content": "..."},
     {"role": "user", "content": [{"type": "text", "text": "..."},
                                  {"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}]}]

Prompts put document text between data tags (``<document>`` … ``</document>``, see
:mod:`chatocr.llm.prompts`).  When a prompt is over a backend's token budget, :func:`fit_messages`
shortens the text inside those tags, from the end, and never touches the instructions around them.
"""

from __future__ import annotations

import math
import re
from typing import Any, Protocol, runtime_checkable

from ..errors import LLMRequestError

__all__ = [
    "LLMClient",
    "Message",
    "TRUNCATABLE_TAGS",
    "TRUNCATION_MARK",
    "estimate_tokens",
    "estimate_message_tokens",
    "fit_messages",
]

Message = dict[str, Any]

#: Data sections that may be shortened to fit a token budget, in the order they are cut.
TRUNCATABLE_TAGS = ("document", "tables")
TRUNCATION_MARK = "\n[… truncated to fit the model's context …]\n"

#: Tokens counted for one image part (a high-detail page crop costs about this on most VLM APIs).
IMAGE_TOKENS = 1000
_PER_MESSAGE = 4


@runtime_checkable
class LLMClient(Protocol):
    """Anything that completes OpenAI-format chat messages.

    ``json_mode`` asks the backend for a JSON object where it can enforce one (callers still parse
    defensively); ``max_tokens`` caps the reply.  Errors are :class:`chatocr.errors.LLMError`.
    """

    def complete(self, messages: list[Message], *, json_mode: bool = False, max_tokens: int | None = None) -> str: ...

    async def acomplete(
        self, messages: list[Message], *, json_mode: bool = False, max_tokens: int | None = None
    ) -> str: ...


# -- token estimates -------------------------------------------------------------------------
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """A cheap, deliberately high token count: one per CJK character, one per 3 other characters."""
    if not text:
        return 0
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 3)


def estimate_message_tokens(messages: list[Message]) -> int:
    total = 0
    for m in messages:
        total += _PER_MESSAGE
        content = m.get("content")
        if isinstance(content, str):
            total += estimate_tokens(content)
        elif isinstance(content, list):
            for part in content:
                if part.get("type") == "text":
                    total += estimate_tokens(part.get("text", ""))
                else:
                    total += IMAGE_TOKENS
    return total


# -- truncation --------------------------------------------------------------------------------
def _sections(text: str) -> list[tuple[int, int]]:
    """(start, end) of the inner text of every truncatable data section in ``text``."""
    spans = []
    for tag in TRUNCATABLE_TAGS:
        for m in re.finditer(rf"<{tag}>\n?(.*?)\n?</{tag}>", text, flags=re.S):
            spans.append((m.start(1), m.end(1)))
    return sorted(spans)


def _cut(inner: str, keep_tokens: int) -> str:
    """The head of ``inner`` worth about ``keep_tokens`` tokens, cut at a line end where one is near."""
    if keep_tokens <= 0:
        return TRUNCATION_MARK.strip()
    lo, hi = 0, len(inner)
    while lo < hi:  # longest prefix within the budget
        mid = (lo + hi + 1) // 2
        if estimate_tokens(inner[:mid]) <= keep_tokens:
            lo = mid
        else:
            hi = mid - 1
    head = inner[:lo]
    nl = head.rfind("\n")
    if nl > len(head) * 0.8:
        head = head[:nl]
    return head + TRUNCATION_MARK.rstrip("\n")


def fit_messages(messages: list[Message], budget: int, *, name: str = "model") -> list[Message]:
    """``messages`` shortened to at most ``budget`` estimated tokens by cutting data sections.

    Only the text inside ``<document>``/``<tables>`` sections of user messages is cut (largest section first, keeping
    its beginning: retrieved context comes best first).  Raises :class:`LLMRequestError` when the
    instructions alone do not fit.
    """
    total = estimate_message_tokens(messages)
    if total <= budget:
        return messages
    excess = total - budget
    # every section, as (message index, part index or None, start, end, tokens)
    found = []
    for i, m in enumerate(messages):
        if m.get("role") != "user":  # system prompts are instructions (their examples are never cut)
            continue
        content = m.get("content")
        parts = (
            [(None, content)]
            if isinstance(content, str)
            else [(j, p.get("text", "")) for j, p in enumerate(content or []) if p.get("type") == "text"]
        )
        for j, text in parts:
            for s, e in _sections(text):
                found.append((i, j, s, e, estimate_tokens(text[s:e])))
    cuts: dict[tuple[int, int | None, int, int], int] = {}
    mark = estimate_tokens(TRUNCATION_MARK)
    for i, j, s, e, tok in sorted(found, key=lambda f: -f[4]):
        if excess <= 0:
            break
        if tok <= mark:
            continue
        take = min(tok, excess + mark)
        cuts[(i, j, s, e)] = tok - take
        excess -= take - mark
    if excess > 0:
        raise LLMRequestError(
            f"{name}: the prompt needs about {total} tokens but the budget is {budget} and the instructions "
            "alone do not fit; raise context_window= or lower max_tokens="
        )
    out: list[Message] = []
    for i, m in enumerate(messages):
        mine = sorted(((k, v) for k, v in cuts.items() if k[0] == i), key=lambda kv: -kv[0][2])
        if not mine:
            out.append(m)
            continue
        content = m["content"]
        if isinstance(content, str):
            for (_, _, s, e), keep in mine:
                content = content[:s] + _cut(content[s:e], keep) + content[e:]
            out.append({**m, "content": content})
        else:
            parts = [dict(p) for p in content]
            for (_, j, s, e), keep in mine:
                t = parts[j]["text"]
                parts[j]["text"] = t[:s] + _cut(t[s:e], keep) + t[e:]
            out.append({**m, "content": parts})
    return out
