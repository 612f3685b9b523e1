"""The LLM layer: backends behind one spec string, the Jinja2 prompts, and the extraction/QA steps.

    from chatocr.llm import create_llm, llm_extract

    client = create_llm("openai:gpt-4o-mini")          # None for "builtin"
    values = llm_extract(client, ["Total", "Date"], text_context)

Backends are imported on first use (the ``openai`` SDK, PyTorch): importing this package is cheap.
"""

from __future__ import annotations

from .client import LLMClient, Message, estimate_message_tokens, estimate_tokens, fit_messages
from .fake import FakeLLM
from .jsonparse import parse_json_object
from .prompts import PROMPT_NAMES, Prompt, PromptSet, detect_language, escape_data, render_prompt, resolve_lang
from .spec import SPEC_FORMS, LLMSpec, create_llm, parse_llm_spec
from .steps import (
    aintegrate,
    allm_answer,
    allm_extract,
    avlm_extract,
    integrate,
    llm_answer,
    llm_extract,
    locate,
    normalize_text,
    supported,
    vlm_extract,
)

__all__ = [
    "FakeLLM",
    "LLMClient",
    "LLMSpec",
    "Message",
    "PROMPT_NAMES",
    "Prompt",
    "PromptSet",
    "SPEC_FORMS",
    "aintegrate",
    "allm_answer",
    "allm_extract",
    "avlm_extract",
    "create_llm",
    "detect_language",
    "escape_data",
    "estimate_message_tokens",
    "estimate_tokens",
    "fit_messages",
    "integrate",
    "llm_answer",
    "llm_extract",
    "locate",
    "normalize_text",
    "parse_json_object",
    "parse_llm_spec",
    "render_prompt",
    "resolve_lang",
    "supported",
    "vlm_extract",
]
