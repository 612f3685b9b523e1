"""One spec string selects a backend everywhere (CLI, agent, config files).

==========================================  ===================================================
spec                                        backend
==========================================  ===================================================
``builtin``                                 no model: the built-in engine (``create_llm`` → None)
``openai:gpt-4o-mini``                      OpenAI (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``)
``ernie:ernie-4.5-turbo-128k``              ERNIE on Baidu Qianfan (``QIANFAN_API_KEY``)
``deepseek:deepseek-chat``                  DeepSeek (``DEEPSEEK_API_KEY``)
``ollama:qwen2.5``                          Ollama on http://localhost:11434/v1, no key
``vllm:Qwen2.5-7B-Instruct``                vLLM on http://localhost:8000/v1, no key
``openai:qwen2.5@http://host:8000/v1``      any OpenAI-compatible server: ``model@base_url``
``vlm:gpt-4o``                              a vision model (page images sent as image parts)
``vlm:qwen2.5-vl@http://host:8000/v1``      a vision model on any OpenAI-compatible server
``vlm:ollama:qwen2.5vl``                    a vision model through a provider preset
``transformers:/path/to/model``             a local Hugging Face model directory on the CPU
==========================================  ===================================================
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import LLMSpecError
from .client import LLMClient

__all__ = ["LLMSpec", "Provider", "PRESETS", "Preset", "SPEC_FORMS", "parse_llm_spec", "create_llm"]

Provider = Literal["builtin", "openai", "ernie", "deepseek", "ollama", "vllm", "transformers"]


@dataclass(frozen=True, slots=True)
class Preset:
    """Defaults of an OpenAI-compatible provider."""

    base_url: str
    key_env: str | None  # None: the server needs no key
    base_url_env: str | None = None
    context_window: int = 32_768


PRESETS: dict[str, Preset] = {
    "openai": Preset("https://api.openai.com/v1", "OPENAI_API_KEY", "OPENAI_BASE_URL", 128_000),
    "ernie": Preset("https://qianfan.baidubce.com/v2", "QIANFAN_API_KEY", None, 32_768),
    "deepseek": Preset("https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", None, 64_000),
    # Ollama cuts prompts at its num_ctx (4096 by default) from the *start*, instructions first:
    # keep the prompt under it so the document context is what gets cut.
    "ollama": Preset("http://localhost:11434/v1", None, None, 4_096),
    "vllm": Preset("http://localhost:8000/v1", None, None, 32_768),
}
ALIASES = {"qianfan": "ernie"}

SPEC_FORMS = (
    "builtin | openai:MODEL | ernie:MODEL | deepseek:MODEL | ollama:MODEL | vllm:MODEL | "
    "PROVIDER:MODEL@http(s)://BASE_URL | vlm:MODEL[@BASE_URL] | vlm:PROVIDER:MODEL | transformers:/path/to/model"
)


class LLMSpec(BaseModel):
    """A parsed backend spec.  ``str(spec)`` gives the canonical spec string back."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: Provider
    model: str = Field("", description="Model name, or the model directory for transformers")
    base_url: str | None = Field(None, description="Server URL given in the spec (model@base_url)")
    vision: bool = Field(False, description="A vision-language model: prompts may carry page images")

    @property
    def is_builtin(self) -> bool:
        return self.provider == "builtin"

    def __str__(self) -> str:
        if self.provider in ("builtin",):
            return "builtin"
        if self.provider == "transformers":
            return f"transformers:{self.model}"
        at = f"@{self.base_url}" if self.base_url else ""
        if self.vision:
            prefix = "vlm:" if self.provider == "openai" else f"vlm:{self.provider}:"
            return f"{prefix}{self.model}{at}"
        return f"{self.provider}:{self.model}{at}"


_URL_TAIL = re.compile(r"^(.*?)@(https?://\S+)$")


def _bad(spec: object, why: str) -> LLMSpecError:
    return LLMSpecError(f"bad LLM spec {spec!r}: {why}; accepted forms: {SPEC_FORMS}")


def parse_llm_spec(spec: str | LLMSpec) -> LLMSpec:
    """Parse a backend spec string (see the module docstring for the forms)."""
    if isinstance(spec, LLMSpec):
        return spec
    if not isinstance(spec, str):
        raise _bad(spec, f"expected a string, got {type(spec).__name__}")
    s = spec.strip()
    if not s:
        raise _bad(spec, "empty")
    if s.lower() == "builtin":
        return LLMSpec(provider="builtin")
    if ":" not in s:
        raise _bad(spec, "no provider (write it as PROVIDER:MODEL)")
    head, rest = s.split(":", 1)
    head = ALIASES.get(head.strip().lower(), head.strip().lower())
    rest = rest.strip()
    if head == "transformers":
        if not rest:
            raise _bad(spec, "no model directory after 'transformers:'")
        return LLMSpec(provider="transformers", model=rest)
    vision = False
    provider = head
    if head == "vlm":
        vision = True
        provider = "openai"
        inner, _, after = rest.partition(":")
        inner = ALIASES.get(inner.strip().lower(), inner.strip().lower())
        if after and inner in PRESETS and not rest.lower().startswith(("http:", "https:")):
            provider, rest = inner, after.strip()
    if provider not in PRESETS:
        raise _bad(spec, f"unknown provider {head!r}")
    base_url = None
    m = _URL_TAIL.match(rest)
    if m:
        rest, base_url = m.group(1).strip(), m.group(2).rstrip("/")
    elif "@" in rest and rest.rsplit("@", 1)[1].strip() and "://" not in rest.rsplit("@", 1)[1]:
        raise _bad(spec, "the part after '@' must be an http:// or https:// base URL")
    if not rest:
        raise _bad(spec, f"no model name after '{head}:'")
    return LLMSpec(provider=provider, model=rest, base_url=base_url, vision=vision)


def create_llm(spec: str | LLMSpec, **options) -> LLMClient | None:
    """The client a spec names, or None for ``builtin`` (the caller uses its built-in engine).

    ``options`` go to the backend's options model (e.g. ``api_key=``, ``base_url=``, ``timeout=``,
    ``max_retries=``, ``context_window=`` for OpenAI-compatible servers; ``allow_download=``,
    ``max_new_tokens=`` for transformers).  An unknown option is an :class:`LLMSpecError`.
    """
    parsed = parse_llm_spec(spec)
    if parsed.is_builtin:
        if options:
            raise LLMSpecError(f"builtin: takes no options (got {', '.join(sorted(options))})")
        return None
    if parsed.provider == "transformers":
        from .local import TransformersClient

        return TransformersClient(parsed, **options)
    if importlib.util.find_spec("openai") is None:
        from ..errors import LLMNotInstalled

        raise LLMNotInstalled(f"{parsed}: the openai package is not installed; pip install openai")
    if parsed.vision:
        from .vlm import VLMClient

        return VLMClient(parsed, **options)
    from .openai_compat import OpenAIClient

    return OpenAIClient(parsed, **options)
