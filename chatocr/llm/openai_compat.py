"""Any OpenAI-compatible chat API (OpenAI, ERNIE on Qianfan, DeepSeek, vLLM, Ollama, …) via the ``openai`` SDK.

Retries are ours, not the SDK's: a bounded number of attempts with exponential backoff on 429,
5xx, timeouts and refused connections, honouring ``Retry-After``; every failure ends as a typed
:class:`chatocr.errors.LLMError`.  The API key lives in one private attribute: it is never put in a
message, a log record or a repr (server error text is scrubbed of it too).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import random
import re
import time
from datetime import datetime, timezone
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from ..errors import (
    LLMAuthError,
    LLMError,
    LLMRateLimited,
    LLMRequestError,
    LLMResponseError,
    LLMSpecError,
    LLMTimeout,
    LLMUnavailable,
    NeedsKey,
)
from .client import Message, estimate_message_tokens, fit_messages
from .spec import PRESETS, LLMSpec, parse_llm_spec

__all__ = ["OpenAIOptions", "OpenAIClient"]

log = logging.getLogger(__name__)

#: Environment variables read for an optional key (servers that run without one by default).
_OPTIONAL_KEY_ENV = {"vllm": "VLLM_API_KEY"}
_NO_KEY = "EMPTY"  # what local servers get when they need no key (the SDK insists on one)
_REPLY_MARGIN = 64  # tokens kept free beyond the reply budget: estimates are estimates


class OpenAIOptions(BaseModel):
    """Options of an OpenAI-compatible backend (``create_llm(spec, **options)``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: SecretStr | None = Field(None, description="API key; default: the provider's environment variable")
    base_url: str | None = Field(None, description="Server URL; a URL in the spec (model@url) wins")
    timeout: float = Field(60.0, gt=0, description="Seconds per attempt")
    max_retries: int = Field(3, ge=0, le=10, description="Retries after the first attempt (429, 5xx, timeouts)")
    backoff: float = Field(1.0, ge=0, description="First wait between attempts, in seconds; doubles each retry")
    max_backoff: float = Field(
        30.0, ge=0, description="Longest wait between attempts; a longer Retry-After fails at once"
    )
    temperature: float | None = Field(0.0, ge=0, le=2, description="None: leave it to the server")
    max_tokens: int = Field(1024, ge=1, description="Reply budget when the caller gives none")
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = Field(
        "max_tokens", description="The request field that carries the reply budget (newer OpenAI models)"
    )
    context_window: int | None = Field(
        None, ge=256, description="Tokens the model reads; default: the provider preset's"
    )
    json_response_format: bool = Field(
        True, description="Send response_format=json_object in json_mode (turn off for servers that reject it)"
    )


def _options(spec: LLMSpec, cls: type[BaseModel], options: dict) -> BaseModel:
    try:
        return cls(**options)
    except ValidationError as e:
        problems = []
        for err in e.errors(include_input=False, include_url=False):
            where = ".".join(str(p) for p in err["loc"]) or "options"
            problems.append(
                f"unknown option {where!r}" if err["type"] == "extra_forbidden" else f"{where}: {err['msg']}"
            )
        accepted = ", ".join(cls.model_fields)
        raise LLMSpecError(f"{spec}: {'; '.join(problems)} (accepted options: {accepted})") from None


def safe_url(url: str) -> str:
    """``url`` without user info, query or fragment (where credentials hide)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<url>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


_KEYLIKE = re.compile(r"\b(sk|pk|bce|ak)-[A-Za-z0-9_\-]{6,}|Bearer\s+\S+", re.I)


class OpenAIClient:
    """An :class:`~chatocr.llm.client.LLMClient` for an OpenAI-compatible chat completions API."""

    vision = False

    def __init__(self, spec: LLMSpec | str, **options) -> None:
        self.spec = parse_llm_spec(spec)
        if self.spec.provider not in PRESETS:
            raise LLMSpecError(f"{self.spec}: not an OpenAI-compatible provider")
        self.options: OpenAIOptions = _options(self.spec, OpenAIOptions, options)  # type: ignore[assignment]
        preset = PRESETS[self.spec.provider]
        env_url = os.environ.get(preset.base_url_env) if preset.base_url_env else None
        self.base_url = (self.spec.base_url or self.options.base_url or env_url or preset.base_url).rstrip("/")
        key = self.options.api_key.get_secret_value() if self.options.api_key else None
        key_env = preset.key_env or _OPTIONAL_KEY_ENV.get(self.spec.provider)
        if not key and key_env:
            key = os.environ.get(key_env) or None
        if not key:
            if preset.key_env and self.base_url == preset.base_url.rstrip("/"):
                raise NeedsKey(str(self.spec), preset.key_env)
            key = _NO_KEY  # a self-hosted server; a 401 from it says which variable to set
        self._key = key
        self._key_env = key_env or "OPENAI_API_KEY"
        # a model named for its window (ernie-4.5-turbo-128k, moonshot-v1-8k) says how much it reads
        named = re.search(r"(\d+)k\b", self.spec.model.lower())
        self.context_window = (
            self.options.context_window or (int(named.group(1)) * 1000 if named else 0) or preset.context_window
        )
        self._client = None
        self._aclient = None
        self._aloop = None

    # -- public ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.spec)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.spec)!r}, base_url={safe_url(self.base_url)!r})"

    def complete(self, messages: list[Message], *, json_mode: bool = False, max_tokens: int | None = None) -> str:
        request = self._request(messages, json_mode, max_tokens)
        attempts = self.options.max_retries + 1
        for attempt in range(1, attempts + 1):
            log.debug("%s: request %d/%d", self.name, attempt, attempts)
            try:
                response = self._sync_client().chat.completions.create(**request)
            except Exception as e:  # noqa: BLE001 - sorted into typed errors or a retry by _retry_delay
                delay = self._retry_delay(e, attempt, attempts)
                time.sleep(delay)
                continue
            return self._reply_text(response)
        raise AssertionError("unreachable")  # pragma: no cover

    async def acomplete(
        self, messages: list[Message], *, json_mode: bool = False, max_tokens: int | None = None
    ) -> str:
        request = self._request(messages, json_mode, max_tokens)
        attempts = self.options.max_retries + 1
        for attempt in range(1, attempts + 1):
            log.debug("%s: request %d/%d (async)", self.name, attempt, attempts)
            try:
                response = await self._async_client().chat.completions.create(**request)
            except Exception as e:  # noqa: BLE001
                delay = self._retry_delay(e, attempt, attempts)
                await asyncio.sleep(delay)
                continue
            return self._reply_text(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- request -----------------------------------------------------------------------------
    def _request(self, messages: list[Message], json_mode: bool, max_tokens: int | None) -> dict:
        reply = max_tokens or self.options.max_tokens
        budget = max(256, self.context_window - reply - _REPLY_MARGIN)
        fitted = fit_messages(messages, budget, name=self.name)
        if fitted is not messages:
            log.warning(
                "%s: prompt shortened to fit the context window (~%d → ~%d tokens of %d)",
                self.name,
                estimate_message_tokens(messages),
                estimate_message_tokens(fitted),
                self.context_window,
            )
        request: dict = {"model": self.spec.model, "messages": fitted, self.options.max_tokens_field: reply}
        if self.options.temperature is not None:
            request["temperature"] = self.options.temperature
        if json_mode and self.options.json_response_format:
            request["response_format"] = {"type": "json_object"}
        return request

    def _sdk_args(self) -> dict:
        # retries are ours (typed errors, Retry-After caps); the SDK makes exactly one attempt
        return {"api_key": self._key, "base_url": self.base_url, "timeout": self.options.timeout, "max_retries": 0}

    def _sync_client(self):
        if self._client is None:
            import openai

            self._client = openai.OpenAI(**self._sdk_args())
        return self._client

    def _async_client(self):
        loop = asyncio.get_running_loop()
        if self._aclient is None or self._aloop is not loop:  # an httpx async client is bound to its loop
            import openai

            self._aclient = openai.AsyncOpenAI(**self._sdk_args())
            self._aloop = loop
        return self._aclient

    # -- replies and errors ------------------------------------------------------------------
    def _reply_text(self, response) -> str:
        choices = getattr(response, "choices", None)
        if not choices:
            raise LLMResponseError(f"{self.name}: the reply has no choices")
        choice = choices[0]
        message = getattr(choice, "message", None)
        text = getattr(message, "content", None)
        finish = getattr(choice, "finish_reason", None)
        if finish == "length":
            log.warning("%s: the reply was cut at the token limit; raise max_tokens=", self.name)
        if not isinstance(text, str) or not text.strip():
            why = "was filtered by the server" if finish == "content_filter" else "holds no text"
            raise LLMResponseError(f"{self.name}: the reply {why} (finish_reason={finish!r})")
        return text

    def _scrub(self, text: str) -> str:
        if self._key and self._key != _NO_KEY and len(self._key) >= 4:
            text = text.replace(self._key, "***")
        text = _KEYLIKE.sub("***", text)
        return text if len(text) <= 300 else text[:300] + "…"

    def _retry_delay(self, e: Exception, attempt: int, attempts: int) -> float:
        """Seconds to wait before the next attempt, or raise the typed error for ``e``."""
        import openai

        where = safe_url(self.base_url)
        if isinstance(e, LLMError):
            raise e
        if isinstance(e, openai.APITimeoutError):
            kind, status, wait = "timeout", None, None
        elif isinstance(e, openai.APIConnectionError):
            kind, status, wait = "connection", None, None
        elif isinstance(e, openai.APIStatusError):
            status = e.status_code
            detail = self._scrub(str(getattr(e, "message", "") or ""))
            if status in (401, 403):
                # from None: the SDK's exception may quote the key back from the server
                raise LLMAuthError(
                    f"{self.name}: the server at {where} rejected the API key (HTTP {status}); "
                    f"check {self._key_env} or api_key=",
                    status,
                ) from None
            if status == 429:
                kind, wait = "rate", _retry_after(e)
            elif status >= 500 or status == 408:
                kind, wait = "server", _retry_after(e)
            else:
                raise LLMRequestError(
                    f"{self.name}: the server at {where} refused the request (HTTP {status}): {detail}", status
                ) from None
        elif isinstance(e, openai.OpenAIError):
            raise LLMError(f"{self.name}: {type(e).__name__}: {self._scrub(str(e))}") from None
        else:
            raise e
        if wait is not None and wait > self.options.max_backoff:
            raise (LLMRateLimited if kind == "rate" else LLMUnavailable)(
                f"{self.name}: the server at {where} asks to wait {wait:g} s (Retry-After), more than "
                f"max_backoff={self.options.max_backoff:g}; try later or raise max_backoff="
            ) from None
        if attempt >= attempts:
            tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
            if kind == "timeout":
                raise LLMTimeout(
                    f"{self.name}: no reply from {where} within {self.options.timeout:g} s, {tries}; "
                    "raise timeout= or check the server"
                ) from e
            if kind == "rate":
                raise LLMRateLimited(
                    f"{self.name}: still rate-limited (HTTP 429) by {where} after {tries}; try later or raise max_retries="
                ) from None
            if kind == "connection":
                raise LLMUnavailable(f"{self.name}: cannot connect to {where} ({tries}); is the server running?") from e
            raise LLMUnavailable(f"{self.name}: server error HTTP {status} from {where} after {tries}") from None
        if wait is None:
            wait = min(self.options.max_backoff, self.options.backoff * 2 ** (attempt - 1))
            wait *= random.uniform(0.75, 1.0)
        log.info("%s: %s on attempt %d/%d; retrying in %.2f s", self.name, kind, attempt, attempts, wait)
        return wait


def _retry_after(e: Exception) -> float | None:
    """Seconds from the ``retry-after-ms`` / ``retry-after`` headers (number or HTTP date), if any."""
    headers = getattr(getattr(e, "response", None), "headers", None)
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
