"""Reading a JSON object out of a model's reply, however it was wrapped or broken.

Models wrap JSON in ```json fences, put reasoning in ``<think>`` blocks before it, add a sentence
after it, or leave a trailing comma or an unclosed brace.  :func:`parse_json_object` strips the
wrappers, takes the first JSON object and, when it does not parse, repairs it with ``json-repair``.
"""

from __future__ import annotations

import json
import logging
import re

from ..errors import LLMResponseError

__all__ = ["parse_json_object", "strip_reply"]

log = logging.getLogger(__name__)

_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*[ \t]*\n?(.*?)```", re.S)


def strip_reply(text: str) -> str:
    """The reply without reasoning blocks (``<think>…</think>``) and surrounding whitespace."""
    text = _THINK.sub("", text)
    if "<think>" in text.lower():  # an unclosed reasoning block: everything after it is reasoning
        text = text[: text.lower().index("<think>")]
    return text.strip()


def parse_json_object(text: str, *, name: str = "model") -> dict:
    """The first JSON object in ``text``, repaired when malformed.

    Raises :class:`LLMResponseError` when the reply holds no object at all (``name`` goes in the
    message; the reply itself does not, it may be long or sensitive).
    """
    text = strip_reply(text)
    fenced = _FENCE.search(text)
    candidates = [fenced.group(1).strip()] if fenced else []
    candidates.append(text)
    for cand in candidates:
        start = cand.find("{")
        if start < 0:
            continue
        try:
            obj, _ = json.JSONDecoder().raw_decode(cand[start:])
        except json.JSONDecodeError:
            obj = _repair(cand[start:])
        if isinstance(obj, dict):
            return obj
    raise LLMResponseError(f"{name}: the reply holds no JSON object ({len(text)} characters)")


def _repair(text: str) -> object:
    try:
        from json_repair import repair_json
    except ImportError:  # pragma: no cover - a declared dependency
        log.warning("json-repair is not installed: malformed JSON cannot be repaired (pip install json-repair)")
        return None
    obj = None
    end = text.rfind("}")
    # the whole tail first (an unclosed object keeps its last value), then up to the last brace
    for body in (text, text[: end + 1] if end > 0 else None):
        if body is None:
            continue
        try:
            obj = repair_json(body, return_objects=True)
        except Exception:  # noqa: BLE001 - json-repair raises assorted errors on garbage
            obj = None
        if isinstance(obj, list):  # "{...} {...}" comes back as a list: keep the first object
            obj = next((o for o in obj if isinstance(o, dict)), None)
        if isinstance(obj, dict):
            break
    if isinstance(obj, dict):
        log.debug("repaired a malformed JSON reply")
    return obj
