"""Every exception chatocr raises.

One small hierarchy: catch ``ChatOCRError`` for all of them, or a narrower
class.  Messages are one line, name the input, say what went wrong and, where
there is one, the fix.
"""

from __future__ import annotations

from os import PathLike

__all__ = [
    "ChatOCRError",
    "InputError",
    "UnreadableDocument",
    "UnsupportedFormat",
    "EncryptedDocument",
    "DocumentTooLarge",
    "PageOutOfRange",
    "ModelError",
    "ModelNotFound",
    "InferenceError",
    "IndexNotFound",
    "IndexMismatch",
    "IndexCorrupt",
    "EmbeddingError",
    "EmbeddingUnavailable",
]


def _name(source: object) -> str:
    if isinstance(source, (str, PathLike)):
        return str(source)
    if source is None:
        return "<input>"
    return f"<{type(source).__name__}>"


class ChatOCRError(Exception):
    """Base class of every error raised by chatocr."""


class InputError(ChatOCRError, ValueError):
    """The input document cannot be used.  ``source`` names it."""

    def __init__(self, source: object, reason: str) -> None:
        self.source = source
        self.reason = " ".join(reason.split())  # one line, whatever a decoder's message held
        super().__init__(f"{_name(source)}: {self.reason}")

    def __reduce__(self):  # pickled by its arguments (from worker processes); a source object by its name
        source = self.source if self.source is None or isinstance(self.source, (str, PathLike)) else _name(self.source)
        return type(self), (source, self.reason)


class UnreadableDocument(InputError):
    """Missing, empty, truncated or corrupt file."""


class UnsupportedFormat(InputError):
    """The content is not a format chatocr reads (checked by content, not name)."""


class EncryptedDocument(InputError):
    """A password-protected PDF opened without (the right) password."""


class DocumentTooLarge(InputError):
    """An image above the pixel limit (decompression bombs) or too many pages."""


class PageOutOfRange(InputError):
    """A page asked for (``LoaderOptions.pages``, ``--pages``) that the document does not have."""


class ModelError(ChatOCRError):
    """A model cannot be found, loaded or run."""


class ModelNotFound(ModelError, FileNotFoundError):
    """An unknown model name, or model files that are not installed."""


class InferenceError(ModelError, RuntimeError):
    """A model failed while running on valid input."""


class IndexNotFound(ChatOCRError, FileNotFoundError):
    """No saved retrieval index in the given directory."""


class IndexMismatch(ChatOCRError, ValueError):
    """A saved index was built with another embedding model (name, dimension or fingerprint) or format."""


class IndexCorrupt(ChatOCRError, ValueError):
    """A saved index whose files are missing, truncated or inconsistent with its manifest."""


class EmbeddingError(ChatOCRError, RuntimeError):
    """An embedding model or endpoint failed, or returned vectors of the wrong shape."""


class EmbeddingUnavailable(EmbeddingError, ImportError):
    """The embedding backend cannot run here (PyTorch or transformers not installed)."""


# -- LLM layer ------------------------------------------------------------------------------
# Messages name the backend by its spec string (``openai:gpt-4o-mini``) and never hold an API key.

__all__ += [
    "LLMError",
    "LLMSpecError",
    "NeedsKey",
    "LLMUnavailable",
    "LLMNotInstalled",
    "LLMModelNotFound",
    "LLMTimeout",
    "LLMRateLimited",
    "LLMRequestError",
    "LLMAuthError",
    "LLMResponseError",
    "PromptError",
]


class LLMError(ChatOCRError):
    """A language model cannot be configured, reached or understood."""


class LLMSpecError(LLMError, ValueError):
    """A backend spec string or an option that chatocr does not accept; the message lists the accepted forms."""


class NeedsKey(LLMError):
    """A hosted backend was asked for without an API key; ``env_var`` names the variable to set."""

    def __init__(self, spec: str, env_var: str) -> None:
        self.spec = spec
        self.env_var = env_var
        super().__init__(f"{spec}: no API key; set the {env_var} environment variable or pass api_key=...")

    def __reduce__(self):
        return type(self), (self.spec, self.env_var)


class LLMUnavailable(LLMError):
    """The model cannot be reached or loaded (connection refused, server errors after retries)."""


class LLMNotInstalled(LLMUnavailable, ImportError):
    """An optional dependency of the backend is missing; the message gives the install command."""


class LLMModelNotFound(LLMUnavailable, FileNotFoundError):
    """A local model directory that does not exist or holds no model."""


class LLMTimeout(LLMUnavailable, TimeoutError):
    """Every attempt timed out; the message gives the timeout and the attempt count."""


class LLMRateLimited(LLMUnavailable):
    """The server kept answering 429 (or asked to wait longer than allowed)."""


class LLMRequestError(LLMError):
    """The server refused the request (4xx other than 429): unknown model, bad parameters, prompt too long."""

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)

    def __reduce__(self):
        return type(self), (str(self), self.status)


class LLMAuthError(LLMRequestError, PermissionError):
    """The server rejected the API key (401/403)."""


class LLMResponseError(LLMError, ValueError):
    """The reply cannot be used: no choices, no text, or no JSON object where one was required."""


class PromptError(LLMError, ValueError):
    """A prompt template is missing, cannot be parsed, or uses a variable that was not given."""
