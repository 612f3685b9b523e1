"""The LLM steps of key-information extraction and Q&A, as PP-ChatOCRv4 runs them: pure functions.

- :func:`llm_extract`: the text prompt over the (retrieved) document text, then the table prompt
  for the keys still missing when there are tables.  A value must appear in the context it was
  read from (after normalising spaces, case and full-width characters) or it becomes None: the
  model may find values, never invent them.  Values come back as the document writes them.
- :func:`vlm_extract`: one vision prompt over page images.
- :func:`integrate`: PP-ChatOCRv4's merge of the two: the agreed value, the only value, or the
  ensemble prompt's choice when they disagree.
- :func:`llm_answer`: a free question (with chat history for follow-ups) → (answer, quote), the
  quote being an exact span of the context that the agent maps back to a box.

Each has an ``a``-prefixed async twin.  All take any :class:`~chatocr.llm.client.LLMClient`.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import LLMResponseError
from .client import LLMClient, Message
from .jsonparse import parse_json_object, strip_reply
from .prompts import PromptSet, render_prompt, resolve_lang

__all__ = [
    "IntegrationMode",
    "llm_extract",
    "allm_extract",
    "vlm_extract",
    "avlm_extract",
    "integrate",
    "aintegrate",
    "llm_answer",
    "allm_answer",
    "normalize_text",
    "locate",
    "supported",
]

log = logging.getLogger(__name__)

IntegrationMode = Literal["integration", "llm_only", "vlm_only"]

#: Replies that mean "no value" (PP-ChatOCRv4's failure strings among them).
_NO_VALUE = {
    "",
    "null",
    "none",
    "nil",
    "n/a",
    "na",
    "unknown",
    "not found",
    "not available",
    "not applicable",
    "not mentioned",
    "not provided",
    "not specified",
    "-",
    "--",
    "—",
    "未知",
    "未找到",
    "未找到关键信息",
    "无",
    "没有",
    "不详",
    "未提及",
    "大模型调用失败",
}
_NO_ANSWER = re.compile(
    r"(not (mentioned|found|stated|given|provided|specified|available)|does ?n[o']t (say|mention|contain|state)|"
    r"no (information|answer|mention)|cannot be (found|determined|answered)|not in the (document|text)|"
    r"文档中?(没有|未|并未|无)|未(提及|提到|说明|找到)|无法(回答|确定|找到)|没有(提及|提到|相关))",
    re.IGNORECASE,
)
_MAX_HISTORY = 8


# -- text checks -----------------------------------------------------------------------------
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad"}


def _norm_char(ch: str) -> str:
    if ch.isspace() or ch in _INVISIBLE:
        return ""
    return unicodedata.normalize("NFKC", ch).casefold().replace(" ", "")


def normalize_text(text: str) -> str:
    """``text`` for comparison: HTML entities and Markdown ``\\|`` undone, NFKC (full-width → ASCII), casefolded, no spaces."""
    text = html.unescape(text).replace("\\|", "|")
    return "".join(_norm_char(c) for c in text)


def supported(value: str, context: str) -> bool:
    """Whether ``value`` appears in ``context`` once spaces, case and full-width forms are ignored."""
    v = normalize_text(value)
    return bool(v) and v in normalize_text(context)


def locate(value: str, context: str) -> str | None:
    """The span of ``context`` that ``value`` matches (ignoring spaces, case, width), whitespace runs collapsed."""
    target = "".join(_norm_char(c) for c in value)
    if not target:
        return None
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(context):
        for c in _norm_char(ch):
            chars.append(c)
            where.append(i)
    pos = "".join(chars).find(target)
    if pos < 0:
        return None
    span = context[where[pos] : where[pos + len(target) - 1] + 1]
    return re.sub(r"\s+", " ", span).strip()


def _grounded(value: str, context: str) -> str | None:
    """``value`` as ``context`` writes it, or None when it is not there; several values ("A; B", "A；B")
    each as written, when the whole is not found as one."""
    span = locate(value, context)
    if span is None and supported(value, context):  # matched through entities or Markdown escapes
        span = value
    parts = [p for p in re.split("[;；]", value) if p.strip()]
    if span is None and parts and parts != [value]:
        found = [g for g in (_grounded(p, context) for p in parts) if g]
        span = "; ".join(found) if len(found) == len(parts) else None
    return span


def _value(raw: Any) -> str | None:
    """A reply value as text, or None for null, failure strings and non-scalars.  A list of
    values (a contract's parties) is kept as one value, its items joined by "; "."""
    if isinstance(raw, (list, tuple)):
        items = [v for v in (_value(x) for x in raw if not isinstance(x, (list, tuple))) if v is not None]
        return "; ".join(items) if items else None
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        raw = str(raw)
    if not isinstance(raw, str):
        return None
    text = raw.strip().strip('"“”').strip()
    if text.casefold().rstrip(".。") in _NO_VALUE:
        return None
    return text


def _norm_key(key: str) -> str:
    return re.sub(r"[\s:：_\-]+", "", unicodedata.normalize("NFKC", key).casefold())


def _pick(keys: Sequence[str], reply: dict) -> dict[str, Any]:
    """Reply values by requested key: exact names first, then names equal after normalising."""
    out = {k: reply[k] for k in keys if k in reply}
    loose = {_norm_key(str(k)): v for k, v in reply.items()}
    for k in keys:
        if k not in out and _norm_key(k) in loose:
            out[k] = loose[_norm_key(k)]
    return out


def _keys(keys: Sequence[str] | str) -> list[str]:
    if isinstance(keys, str):
        keys = [keys]
    out: list[str] = []
    for k in keys:
        k = str(k).replace("\xa0", " ").strip()
        if k and k not in out:
            out.append(k)
    return out


def _name(client: Any) -> str:
    return str(getattr(client, "name", None) or type(client).__name__)


# -- driving a step with a sync or an async client ------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Call:
    messages: list[Message]
    json_mode: bool = True
    max_tokens: int | None = None


_Step = Generator[_Call, str, Any]


def _run(step: _Step, client: LLMClient) -> Any:
    try:
        call = next(step)
        while True:
            call = step.send(client.complete(call.messages, json_mode=call.json_mode, max_tokens=call.max_tokens))
    except StopIteration as stop:
        return stop.value


async def _arun(step: _Step, client: LLMClient) -> Any:
    try:
        call = next(step)
        while True:
            reply = await client.acomplete(call.messages, json_mode=call.json_mode, max_tokens=call.max_tokens)
            call = step.send(reply)
    except StopIteration as stop:
        return stop.value


# -- extraction ----------------------------------------------------------------------------------
def _checked(keys: list[str], reply: dict, context: str, out: dict[str, str | None], what: str) -> None:
    for key, raw in _pick(keys, reply).items():
        value = _value(raw)
        if value is None or out.get(key) is not None:
            continue
        span = _grounded(value, context)
        if span is None:
            log.debug("%s: value for %r not in the context: dropped", what, key)
            continue
        out[key] = span


def _extract_step(
    client: Any,
    keys: Sequence[str],
    text_context: str,
    table_context: str | None,
    lang: str,
    prompts: PromptSet | None,
    max_tokens: int | None,
) -> _Step:
    keys = _keys(keys)
    out: dict[str, str | None] = dict.fromkeys(keys)
    if not keys:
        return out
    lang = resolve_lang(lang, text_context or "", table_context or "", " ".join(keys))
    name = _name(client)
    if text_context and text_context.strip():
        prompt = render_prompt("kie_text", lang, prompts=prompts, keys=keys, text=text_context)
        reply = yield _Call(prompt.messages(), True, max_tokens)
        _checked(keys, parse_json_object(reply, name=name), text_context, out, f"{name} (text)")
    missing = [k for k in keys if out[k] is None]
    if missing and table_context and table_context.strip():
        prompt = render_prompt("kie_table", lang, prompts=prompts, keys=missing, tables=table_context)
        reply = yield _Call(prompt.messages(), True, max_tokens)
        _checked(missing, parse_json_object(reply, name=name), table_context, out, f"{name} (tables)")
    log.debug("%s: %d/%d keys found", name, sum(v is not None for v in out.values()), len(keys))
    return out


def llm_extract(
    client: LLMClient,
    keys: Sequence[str],
    text_context: str,
    table_context: str | None = None,
    lang: str = "auto",
    *,
    prompts: PromptSet | None = None,
    max_tokens: int | None = None,
) -> dict[str, str | None]:
    """Values for ``keys`` from the text, then from the tables for keys still missing (PP-ChatOCRv4).

    Returns every key, in order; None where the model found nothing or gave a value that is not
    in the context it read.  ``lang``: ``en``, ``zh`` or ``auto`` (from the context's CJK share).
    Raises :class:`~chatocr.errors.LLMError` (e.g. ``LLMResponseError`` for a reply with no JSON).
    """
    return _run(_extract_step(client, keys, text_context, table_context, lang, prompts, max_tokens), client)


async def allm_extract(
    client: LLMClient,
    keys: Sequence[str],
    text_context: str,
    table_context: str | None = None,
    lang: str = "auto",
    *,
    prompts: PromptSet | None = None,
    max_tokens: int | None = None,
) -> dict[str, str | None]:
    """Async :func:`llm_extract`."""
    return await _arun(_extract_step(client, keys, text_context, table_context, lang, prompts, max_tokens), client)


def _image_parts(client: Any, images: Sequence[Any]) -> list[dict]:
    make = getattr(client, "image_part", None)
    if make is None:
        from .vlm import image_part as make
    return [img if isinstance(img, dict) else make(img) for img in images]


def _vlm_step(
    client: Any,
    keys: Sequence[str],
    images: Sequence[Any],
    lang: str,
    prompts: PromptSet | None,
    max_tokens: int | None,
) -> _Step:
    keys = _keys(keys)
    out: dict[str, str | None] = dict.fromkeys(keys)
    if not keys or not images:
        return out
    lang = resolve_lang(lang, " ".join(keys))
    parts = _image_parts(client, images)
    prompt = render_prompt("kie_vlm", lang, prompts=prompts, keys=keys, n_images=len(parts))
    reply = yield _Call(prompt.messages(images=parts), True, max_tokens)
    for key, raw in _pick(keys, parse_json_object(reply, name=_name(client))).items():
        out[key] = _value(raw)
    return out


def vlm_extract(
    client: LLMClient,
    keys: Sequence[str],
    images: Sequence[bytes | Any],
    lang: str = "auto",
    *,
    prompts: PromptSet | None = None,
    max_tokens: int | None = None,
) -> dict[str, str | None]:
    """Values for ``keys`` read by a vision model from ``images`` (encoded bytes, PIL images, arrays or parts).

    One call for all keys and images.  There is no text to check values against: the caller
    (the agent) checks them against the OCR text when it places them on the page.
    """
    return _run(_vlm_step(client, keys, images, lang, prompts, max_tokens), client)


async def avlm_extract(
    client: LLMClient,
    keys: Sequence[str],
    images: Sequence[bytes | Any],
    lang: str = "auto",
    *,
    prompts: PromptSet | None = None,
    max_tokens: int | None = None,
) -> dict[str, str | None]:
    """Async :func:`vlm_extract`."""
    return await _arun(_vlm_step(client, keys, images, lang, prompts, max_tokens), client)


# -- integration ---------------------------------------------------------------------------------
def _integrate_step(
    text_vals: dict[str, str | None],
    vlm_vals: dict[str, str | None],
    mode: str,
    client: Any,
    lang: str,
    context: str | None,
    prompts: PromptSet | None,
) -> _Step:
    mode = {"mllm_only": "vlm_only"}.get(mode, mode)
    if mode not in ("integration", "llm_only", "vlm_only"):
        raise ValueError(f"integrate: unknown mode {mode!r}; use 'integration', 'llm_only' or 'vlm_only'")
    keys = list(dict.fromkeys([*text_vals, *vlm_vals]))
    if mode == "llm_only":
        return {k: text_vals.get(k) for k in keys}
    if mode == "vlm_only":
        return {k: vlm_vals.get(k) for k in keys}
    out: dict[str, str | None] = {}
    disputed: list[dict] = []
    for k in keys:
        a, b = _value(text_vals.get(k)), _value(vlm_vals.get(k))
        out[k] = a if a is not None else b
        if a is not None and b is not None and normalize_text(a) != normalize_text(b):
            disputed.append({"key": k, "a": a, "b": b})
    if not disputed:
        return out
    if client is None:
        log.debug("integrate: %d disputed keys and no client: keeping the text values", len(disputed))
        return out
    lang = resolve_lang(lang, context or "", " ".join(d["key"] for d in disputed))
    ctx = {"text": context} if context else {}
    prompt = render_prompt("ensemble", lang, prompts=prompts, candidates=disputed, **ctx)
    reply = yield _Call(prompt.messages(), True, None)
    try:
        choice = parse_json_object(reply, name=_name(client))
    except LLMResponseError as e:
        log.warning("integrate: %s; keeping the text values", e)
        return out
    picked = _pick([d["key"] for d in disputed], choice)
    for d in disputed:
        verdict = str(picked.get(d["key"], "A")).strip().upper()
        # PP-ChatOCRv4 reads any answer holding "B" as method B ("B", "方法B", "Method B")
        out[d["key"]] = d["b"] if "B" in verdict else d["a"]
    return out


def integrate(
    text_vals: dict[str, str | None],
    vlm_vals: dict[str, str | None],
    mode: IntegrationMode = "integration",
    client: LLMClient | None = None,
    *,
    lang: str = "auto",
    context: str | None = None,
    prompts: PromptSet | None = None,
) -> dict[str, str | None]:
    """Merge text-LLM and VLM values (PP-ChatOCRv4's ``mllm_integration_strategy``).

    ``llm_only``/``vlm_only`` take one side.  ``integration`` keeps a value both agree on (after
    normalising) or the only one given; where they disagree it asks ``client`` with the ensemble
    prompt (one call for all disputed keys; ``context``, the OCR text, helps it judge) and keeps
    the text value when there is no client.  Keys: those of ``text_vals``, then any new in ``vlm_vals``.
    """
    step = _integrate_step(text_vals, vlm_vals, mode, client, lang, context, prompts)
    return _run(step, client) if client is not None else _run_no_client(step)


async def aintegrate(
    text_vals: dict[str, str | None],
    vlm_vals: dict[str, str | None],
    mode: IntegrationMode = "integration",
    client: LLMClient | None = None,
    *,
    lang: str = "auto",
    context: str | None = None,
    prompts: PromptSet | None = None,
) -> dict[str, str | None]:
    """Async :func:`integrate`."""
    step = _integrate_step(text_vals, vlm_vals, mode, client, lang, context, prompts)
    return await _arun(step, client) if client is not None else _run_no_client(step)


def _run_no_client(step: _Step) -> Any:
    try:
        next(step)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("integrate asked for a model without a client")  # pragma: no cover


# -- questions -----------------------------------------------------------------------------------
def _no_answer(text: str) -> bool:
    return len(text) <= 120 and bool(_NO_ANSWER.search(text))


def _answer_step(
    client: Any,
    question: str,
    context: str,
    history: Sequence[tuple[str, str | None]],
    lang: str,
    prompts: PromptSet | None,
    max_tokens: int | None,
) -> _Step:
    lang = resolve_lang(lang, question, context)
    turns = [(str(q), a if a is None else str(a)) for q, a in list(history)[-_MAX_HISTORY:]]
    if turns:
        prompt = render_prompt("chat", lang, prompts=prompts, question=question, context=context, history=turns)
    else:
        prompt = render_prompt("qa", lang, prompts=prompts, question=question, context=context)
    reply = yield _Call(prompt.messages(), True, max_tokens)
    try:
        obj = parse_json_object(reply, name=_name(client))
        answer, quote = _value(obj.get("answer")), _value(obj.get("quote"))
    except LLMResponseError:
        # a model that ignored the JSON contract: its whole reply is the answer, with no quote
        log.warning("%s: the answer was not JSON; using the reply text", _name(client))
        answer, quote = _value(strip_reply(reply)[:2000]), None
    if answer is None:
        return None, None
    located = locate(quote, context) if quote else None
    if located is None:
        located = locate(answer, context)  # a short answer is often its own quote
    if located is None and _no_answer(answer):  # "The document does not say." in words instead of null
        return None, None
    return answer, located


def llm_answer(
    client: LLMClient,
    question: str,
    context: str,
    history: Sequence[tuple[str, str | None]] = (),
    lang: str = "auto",
    *,
    prompts: PromptSet | None = None,
    max_tokens: int | None = None,
) -> tuple[str | None, str | None]:
    """``(answer, quote)`` for ``question`` over ``context``; ``(None, None)`` when the document does not say.

    ``history``: earlier ``(question, answer)`` turns, oldest first (the last 8 are sent).  The
    quote is the span of ``context`` that the model quoted (or the answer itself when it appears
    there), as the context writes it; None when neither can be found in the context.
    """
    return _run(_answer_step(client, question, context, history, lang, prompts, max_tokens), client)


async def allm_answer(
    client: LLMClient,
    question: str,
    context: str,
    history: Sequence[tuple[str, str | None]] = (),
    lang: str = "auto",
    *,
    prompts: PromptSet | None = None,
    max_tokens: int | None = None,
) -> tuple[str | None, str | None]:
    """Async :func:`llm_answer`."""
    return await _arun(_answer_step(client, question, context, history, lang, prompts, max_tokens), client)
