"""A local Hugging Face causal LM on the CPU: ``transformers:/path/to/model``.

PyTorch and transformers are optional and imported on first use; install them yourself, PyTorch
as the CPU build (``pip install torch==2.13.0 transformers``).  The model is read from the
directory with ``local_files_only=True``: nothing is downloaded unless ``allow_download=True``
(then the spec may name a Hub model id instead of a directory).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import LLMModelNotFound, LLMNotInstalled, LLMRequestError, LLMResponseError, LLMUnavailable
from .client import Message, estimate_message_tokens, fit_messages
from .openai_compat import _options
from .spec import LLMSpec, parse_llm_spec

__all__ = ["TransformersOptions", "TransformersClient", "INSTALL_HINT"]

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install torch==2.13.0 transformers  (PyTorch as the CPU build; chatocr does not install it)"


class TransformersOptions(BaseModel):
    """Options of the local transformers backend (``create_llm("transformers:/path", **options)``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allow_download: bool = Field(False, description="Let transformers fetch missing files from the Hugging Face Hub")
    max_tokens: int = Field(512, ge=1, description="New tokens per reply when the caller gives none")
    context_window: int | None = Field(
        None, ge=128, description="Prompt + reply tokens; default: the model's max_position_embeddings"
    )
    temperature: float = Field(0.0, ge=0, le=2, description="0: greedy decoding")
    dtype: str | None = Field(None, description="torch dtype name (float32, bfloat16); default: the model's")
    threads: int | None = Field(None, ge=1, description="torch.set_num_threads before generating")
    trust_remote_code: bool = Field(False, description="Run model code shipped in the directory (off: safer)")


class TransformersClient:
    """An :class:`~chatocr.llm.client.LLMClient` over a local causal LM, text only, loaded on first use."""

    vision = False

    def __init__(self, spec: LLMSpec | str, **options) -> None:
        self.spec = parse_llm_spec(spec)
        if self.spec.provider != "transformers":
            raise LLMRequestError(f"{self.spec}: not a transformers spec")
        self.options: TransformersOptions = _options(self.spec, TransformersOptions, options)  # type: ignore[assignment]
        self.path = Path(self.spec.model).expanduser()
        if not self.options.allow_download:
            if not self.path.is_dir():
                raise LLMModelNotFound(
                    f"{self.spec}: no model directory at {self.path}; give the folder of a saved model "
                    f"(config.json, tokenizer and weights), or pass allow_download=True to fetch "
                    f"{self.spec.model!r} from the Hugging Face Hub"
                )
            if not (self.path / "config.json").is_file():
                raise LLMModelNotFound(
                    f"{self.spec}: {self.path} holds no config.json; is it a saved transformers model?"
                )
        missing = [m for m in ("torch", "transformers") if importlib.util.find_spec(m) is None]
        if missing:
            raise LLMNotInstalled(f"{self.spec}: {' and '.join(missing)} not installed; {INSTALL_HINT}")
        self._lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None
        self.context_window: int | None = self.options.context_window

    @property
    def name(self) -> str:
        return str(self.spec)

    def __repr__(self) -> str:
        state = "loaded" if self._model is not None else "not loaded"
        return f"TransformersClient({str(self.spec)!r}, {state})"

    # -- loading -----------------------------------------------------------------------------
    def _source(self) -> str:
        return str(self.path) if self.path.is_dir() else self.spec.model

    def load(self) -> None:
        """Load the tokenizer and the model now (otherwise the first call does)."""
        with self._lock:
            if self._model is not None:
                return
            try:
                import torch
                import transformers
            except ImportError as e:
                raise LLMNotInstalled(f"{self.spec}: {e}; {INSTALL_HINT}") from e
            local_only = not self.options.allow_download
            kwargs: dict[str, Any] = {
                "local_files_only": local_only,
                "trust_remote_code": self.options.trust_remote_code,
            }
            src = self._source()
            try:
                tokenizer = transformers.AutoTokenizer.from_pretrained(src, **kwargs)
                model_kwargs = dict(kwargs)
                if self.options.dtype:
                    model_kwargs["dtype"] = getattr(torch, self.options.dtype)
                model = transformers.AutoModelForCausalLM.from_pretrained(src, **model_kwargs)
            except (OSError, ValueError, AttributeError) as e:
                hint = " (files are read locally only; pass allow_download=True to fetch them)" if local_only else ""
                raise LLMModelNotFound(f"{self.spec}: cannot load the model from {src}{hint}: {e}") from e
            model.eval()
            if self.context_window is None:
                n = getattr(model.config, "max_position_embeddings", None) or getattr(model.config, "n_positions", None)
                self.context_window = int(n) if n else 2048
            self._tokenizer, self._model = tokenizer, model
            log.info("%s: loaded (%s parameters)", self.name, f"{sum(p.numel() for p in model.parameters()):,}")

    # -- generation --------------------------------------------------------------------------
    def _prompt(self, messages: list[Message]) -> str:
        tok = self._tokenizer
        if getattr(tok, "chat_template", None):
            return tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        # a base model without a chat template: a plain transcript
        lines = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
        return "\n\n".join(lines) + "\n\nAssistant:"

    def complete(self, messages: list[Message], *, json_mode: bool = False, max_tokens: int | None = None) -> str:
        for m in messages:
            if not isinstance(m.get("content"), str):
                raise LLMRequestError(f"{self.name}: text-only backend; image parts need a vlm: spec")
        self.load()
        import torch

        new_tokens = max_tokens or self.options.max_tokens
        budget = max(64, (self.context_window or 2048) - new_tokens)
        fitted = fit_messages(messages, budget, name=self.name)
        prompt = self._prompt(fitted)
        ids = self._tokenizer(prompt, return_tensors="pt")
        n_prompt = ids["input_ids"].shape[-1]
        # the estimate can be off for a small vocabulary: cut further against the real count
        for _ in range(4):
            if n_prompt <= budget:
                break
            target = max(1, int(estimate_message_tokens(fitted) * budget / n_prompt * 0.9))
            fitted = fit_messages(fitted, target, name=self.name)
            prompt = self._prompt(fitted)
            ids = self._tokenizer(prompt, return_tensors="pt")
            n_prompt = ids["input_ids"].shape[-1]
        if n_prompt > budget:
            raise LLMRequestError(f"{self.name}: the prompt is {n_prompt} tokens, over the {budget} available")
        if self.options.threads:
            torch.set_num_threads(self.options.threads)
        tok = self._tokenizer
        gen: dict[str, Any] = {"max_new_tokens": new_tokens, "do_sample": self.options.temperature > 0}
        if self.options.temperature > 0:
            gen["temperature"] = self.options.temperature
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        if pad is not None:
            gen["pad_token_id"] = pad
        try:
            with torch.inference_mode():
                out = self._model.generate(**ids, **gen)
        except RuntimeError as e:
            raise LLMUnavailable(f"{self.name}: generation failed: {e}") from e
        text = tok.decode(out[0, n_prompt:], skip_special_tokens=True)
        if not text.strip():
            raise LLMResponseError(f"{self.name}: the model generated no text")
        return text

    async def acomplete(
        self, messages: list[Message], *, json_mode: bool = False, max_tokens: int | None = None
    ) -> str:
        return await asyncio.to_thread(self.complete, messages, json_mode=json_mode, max_tokens=max_tokens)
