"""The hybrid index: dense vectors (FAISS, inner product on L2-normalised vectors) + BM25 (bm25s), fused by RRF.

Many documents live in one index; a search can be limited to some documents
and pages.  Adding a document that is already there replaces it.  ``save`` /
``load`` keep everything in one directory the caller chooses::

    manifest.json      format version, embedding model (name, dimension, fingerprint), checksums
    chunks.jsonl       one Chunk per line
    vectors.npy        float32, one row per chunk (absent for a BM25-only index)
    bm25/              the bm25s index
    embeddings.sqlite  the embedding cache (model fingerprint + text hash → vector)

Loading checks the files against the manifest (``IndexCorrupt``) and the
embedding model against the one that built the index (``IndexMismatch``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..document import Document
from ..errors import EmbeddingError, EmbeddingUnavailable, IndexCorrupt, IndexMismatch, IndexNotFound
from .base import Hit
from .chunking import Chunk, Chunker, ChunkOptions
from .embedding import Embedder, EmbeddingCache, EmbeddingOptions, _QueryCache, embed_cached, load_embedder
from .tokenize import bm25_terms

__all__ = ["IndexOptions", "HybridIndex", "FORMAT_VERSION", "rrf_fuse"]

log = logging.getLogger(__name__)

FORMAT = "chatocr-index"
FORMAT_VERSION = 1
_CACHE_FILE = "embeddings.sqlite"


class IndexOptions(BaseModel):
    """How the hybrid index chunks, embeds and ranks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Literal["hybrid", "bm25", "dense"] = Field("hybrid", description="Default search mode")
    rrf_k: Annotated[float, Field(gt=0, description="Reciprocal-rank-fusion constant: score = Σ w / (rrf_k + rank)")] = 20.0
    bm25_weight: Annotated[float, Field(ge=0)] = 1.0
    dense_weight: Annotated[float, Field(ge=0, description="Tuned on the benchmark's tuning split (rrf_k 20)")] = 2.0
    candidates: Annotated[int, Field(ge=1, description="Results taken from each retriever before fusion")] = 50
    k1: Annotated[float, Field(gt=0, description="BM25 term-frequency saturation")] = 1.2
    b: Annotated[float, Field(ge=0, le=1, description="BM25 length normalisation")] = 0.75
    max_query_chars: Annotated[int, Field(ge=1, description="Longer queries are cut to this many characters")] = 4096
    allow_bm25_only: bool = Field(
        False,
        description="When the embedding model cannot run (no PyTorch), index and search with BM25 alone "
        "(a warning is logged) instead of raising EmbeddingUnavailable",
    )
    chunking: ChunkOptions = ChunkOptions()
    embedding: EmbeddingOptions = EmbeddingOptions()


class HybridIndex:
    """Chunks of many documents, searchable by BM25, dense vectors, or both fused.

    ``embedder`` defaults to ``load_embedder(options.embedding)``, loaded on first
    use.  ``cache_dir`` holds the on-disk embedding cache (``save``/``load`` set it
    to the index directory).
    """

    def __init__(
        self,
        options: IndexOptions | None = None,
        *,
        embedder: Embedder | None = None,
        cache_dir: str | os.PathLike | None = None,
    ) -> None:
        self.options = options or IndexOptions()
        self._embedder = embedder
        self._dense: bool | None = True if embedder is not None else None  # None: not decided yet
        self._chunks: list[Chunk] = []
        self._terms: list[list[str]] | None = []  # None: not computed yet (after load)
        self._vectors = np.zeros((0, 0), dtype=np.float32)
        self._bm25 = None
        self._faiss = None
        self._meta: tuple | None = None  # filter arrays, built on first filtered search
        self._lock = threading.RLock()
        self._cache: EmbeddingCache | None = EmbeddingCache(Path(cache_dir) / _CACHE_FILE) if cache_dir else None
        self._queries = _QueryCache()
        self._chunker = Chunker(self.options.chunking)

    # -- the embedder ------------------------------------------------------------------------
    @property
    def dense_available(self) -> bool:
        """Whether this index has dense vectors (False: BM25 only)."""
        self._ensure_embedder()
        return bool(self._dense)

    @property
    def embedder(self) -> Embedder | None:
        self._ensure_embedder()
        return self._embedder

    def _ensure_embedder(self) -> None:
        if self._dense is not None:
            return
        try:
            self._embedder = load_embedder(self.options.embedding)
            self._dense = True
        except EmbeddingUnavailable as e:
            if not self.options.allow_bm25_only:
                raise
            log.warning("dense retrieval disabled, searching with BM25 only: %s", e)
            self._dense = False

    # -- contents ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._chunks)

    @property
    def chunks(self) -> tuple[Chunk, ...]:
        return tuple(self._chunks)

    @property
    def doc_ids(self) -> list[str]:
        return list(dict.fromkeys(c.doc_id for c in self._chunks))

    def add_document(self, document: Document) -> list[Chunk]:
        """Chunk and index ``document``, replacing any earlier version with the same id.  Returns its chunks."""
        chunks = self._chunker(document)
        self.add_chunks(document.id, chunks)
        log.info("indexed document %s (%s): %d chunks", document.id, document.name or "-", len(chunks))
        return chunks

    def add_documents(self, documents: Iterable[Document]) -> int:
        return sum(len(self.add_document(d)) for d in documents)

    def add_chunks(self, doc_id: str, chunks: Sequence[Chunk]) -> None:
        """Index ``chunks`` as document ``doc_id`` (replacing it if present)."""
        for c in chunks:
            if c.doc_id != doc_id:
                raise ValueError(f"chunk {c.id} belongs to document {c.doc_id!r}, not {doc_id!r}")
        self._ensure_embedder()
        with self._lock:
            vecs = None
            if self._dense and chunks:
                known = {c.digest: self._vectors[i] for i, c in enumerate(self._chunks)} if len(self._vectors) else {}
                vecs = embed_cached(self._embedder, [c.index_text for c in chunks], self._cache, known)
            keep = [i for i, c in enumerate(self._chunks) if c.doc_id != doc_id]
            terms = self._all_terms()
            self._chunks = [self._chunks[i] for i in keep] + list(chunks)
            self._terms = [terms[i] for i in keep] + [bm25_terms(c.index_text) for c in chunks]
            if self._dense:
                dim = self._embedder.dim
                old = self._vectors[keep] if len(self._vectors) else np.zeros((0, dim), dtype=np.float32)
                new = vecs if vecs is not None else np.zeros((0, dim), dtype=np.float32)
                self._vectors = np.ascontiguousarray(np.concatenate([old, new]), dtype=np.float32)
            self._bm25 = None
            self._faiss = None
            self._meta = None

    def remove_document(self, doc_id: str) -> int:
        """Remove a document's chunks; returns how many there were."""
        with self._lock:
            keep = [i for i, c in enumerate(self._chunks) if c.doc_id != doc_id]
            removed = len(self._chunks) - len(keep)
            if removed:
                terms = self._all_terms()
                self._chunks = [self._chunks[i] for i in keep]
                self._terms = [terms[i] for i in keep]
                if len(self._vectors):
                    self._vectors = np.ascontiguousarray(self._vectors[keep])
                self._bm25 = None
                self._faiss = None
                self._meta = None
            return removed

    # -- search ------------------------------------------------------------------------------
    def retrieve(
        self,
        query: str,
        *,
        k: int = 5,
        doc_ids: Collection[str] | None = None,
        pages: Collection[int] | None = None,
    ) -> list[Hit]:
        """The ``Retriever`` protocol: ``search`` in the default mode."""
        return self.search(query, k=k, doc_ids=doc_ids, pages=pages)

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        doc_ids: Collection[str] | None = None,
        pages: Collection[int] | None = None,
        mode: Literal["hybrid", "bm25", "dense"] | None = None,
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query``; an empty query or index gives ``[]``."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        mode = mode or self.options.mode
        if mode in ("dense", "hybrid"):
            self._ensure_embedder()
            if not self._dense:
                if mode == "dense":
                    raise EmbeddingUnavailable("this index has no dense vectors (built BM25-only): search with mode='bm25'")
                mode = "bm25"
        query = (query or "")[: self.options.max_query_chars]
        if not query.strip():
            return []
        with self._lock:
            if not self._chunks:
                return []
            allowed = self._allowed(doc_ids, pages)
            if allowed is not None and not allowed.any():
                return []
            depth = max(k, self.options.candidates) if mode == "hybrid" else k
            bm25 = self._search_bm25(query, depth, allowed) if mode in ("bm25", "hybrid") else []
            dense = self._search_dense(query, depth, allowed) if mode in ("dense", "hybrid") else []
            chunks = self._chunks
        if mode == "bm25":
            return [Hit(chunk=chunks[i], score=s, rank=r + 1, bm25_rank=r + 1, bm25_score=s) for r, (i, s) in enumerate(bm25)]
        if mode == "dense":
            return [
                Hit(chunk=chunks[i], score=s, rank=r + 1, dense_rank=r + 1, dense_score=s) for r, (i, s) in enumerate(dense)
            ]
        return self._fuse(chunks, bm25, dense, k)

    def _allowed(self, doc_ids: Collection[str] | None, pages: Collection[int] | None) -> np.ndarray | None:
        if doc_ids is None and pages is None:
            return None
        if self._meta is None:  # per chunk: a document code; per (chunk, page) pair: chunk and page
            codes = {d: i for i, d in enumerate(dict.fromkeys(c.doc_id for c in self._chunks))}
            doc_of = np.fromiter((codes[c.doc_id] for c in self._chunks), dtype=np.int32, count=len(self._chunks))
            pairs = [(i, p) for i, c in enumerate(self._chunks) for p in c.pages]
            pair_chunk = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
            pair_page = np.fromiter((p for _, p in pairs), dtype=np.int64, count=len(pairs))
            self._meta = (codes, doc_of, pair_chunk, pair_page)
        codes, doc_of, pair_chunk, pair_page = self._meta
        mask = np.ones(len(self._chunks), dtype=bool)
        if doc_ids is not None:
            wanted = [codes[d] for d in set(doc_ids) if d in codes]
            mask &= np.isin(doc_of, np.asarray(wanted, dtype=np.int32))
        if pages is not None:
            on = np.zeros(len(self._chunks), dtype=bool)
            on[pair_chunk[np.isin(pair_page, np.asarray(list(set(pages)), dtype=np.int64))]] = True
            mask &= on
        return mask

    def _search_bm25(self, query: str, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        bm = self._bm25_model()
        ids = [bm.vocab_dict[t] for t in dict.fromkeys(bm25_terms(query)) if t in bm.vocab_dict]
        if not ids:
            return []
        scores = np.asarray(bm.get_scores_from_ids(ids), dtype=np.float32)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        return _top(scores, k, positive=True)

    def _search_dense(self, query: str, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        import faiss

        q = self._queries.get(query)
        if q is None:
            q = np.asarray(self._embedder.embed_query(query), dtype=np.float32)
            self._queries.put(query, q)
        index = self._faiss_index()
        params = None
        if allowed is not None:
            sel = faiss.IDSelectorBatch(np.flatnonzero(allowed).astype(np.int64))
            params = faiss.SearchParameters(sel=sel)
        n = min(k, len(self._chunks) if allowed is None else int(allowed.sum()))
        scores, idx = index.search(q.reshape(1, -1), n, params=params)
        return [(int(i), float(s)) for i, s in zip(idx[0], scores[0], strict=True) if i >= 0]

    def _fuse(self, chunks: list[Chunk], bm25: list[tuple[int, float]], dense: list[tuple[int, float]], k: int) -> list[Hit]:
        o = self.options
        fused = rrf_fuse([[i for i, _ in bm25], [i for i, _ in dense]], [o.bm25_weight, o.dense_weight], o.rrf_k)[:k]
        b_rank = {i: (r + 1, s) for r, (i, s) in enumerate(bm25)}
        d_rank = {i: (r + 1, s) for r, (i, s) in enumerate(dense)}
        return [
            Hit(
                chunk=chunks[i],
                score=score,
                rank=r + 1,
                bm25_rank=b_rank[i][0] if i in b_rank else None,
                bm25_score=b_rank[i][1] if i in b_rank else None,
                dense_rank=d_rank[i][0] if i in d_rank else None,
                dense_score=d_rank[i][1] if i in d_rank else None,
            )
            for r, (i, score) in enumerate(fused)
        ]

    def _all_terms(self) -> list[list[str]]:
        if self._terms is None:
            self._terms = [bm25_terms(c.index_text) for c in self._chunks]
        return self._terms

    def _bm25_model(self):
        if self._bm25 is None:
            self._bm25 = _build_bm25(self._all_terms(), self.options)
        return self._bm25

    def _faiss_index(self):
        if self._faiss is None:
            import faiss

            index = faiss.IndexFlatIP(self._vectors.shape[1])
            index.add(self._vectors)
            self._faiss = index
        return self._faiss

    def warm_up(self) -> None:
        """Build the search structures (and load the embedder) now rather than on the first query."""
        self._ensure_embedder()
        with self._lock:
            if self._chunks:
                self._bm25_model()
                if self._dense:
                    self._faiss_index()

    # -- persistence ---------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike) -> Path:
        """Write the index to ``directory`` (created; replaced files are swapped in at the end)."""
        self._ensure_embedder()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            tmp = Path(tempfile.mkdtemp(prefix=".tmp-index-", dir=directory))
            try:
                files: dict[str, str] = {}
                with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as f:
                    for c in self._chunks:
                        f.write(c.model_dump_json() + "\n")
                if self._dense:
                    np.save(tmp / "vectors.npy", self._vectors, allow_pickle=False)
                if self._chunks:
                    self._bm25_model().save(str(tmp / "bm25"), show_progress=False)
                for name in ("chunks.jsonl", "vectors.npy"):
                    if (tmp / name).exists():
                        files[name] = _sha256(tmp / name)
                manifest = {
                    "format": FORMAT,
                    "version": FORMAT_VERSION,
                    "n_chunks": len(self._chunks),
                    "doc_ids": self.doc_ids,
                    "embedding": _embedding_info(self._embedder) if self._dense else None,
                    "options": self.options.model_dump(mode="json", exclude={"embedding": {"api_key"}}),
                    "files": files,
                }
                (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
                # swap in: data first, manifest last
                for name in ("chunks.jsonl", "vectors.npy", "bm25"):
                    dst = directory / name
                    if dst.is_dir():
                        shutil.rmtree(dst)
                    elif dst.exists():
                        dst.unlink()
                    if (tmp / name).exists():
                        os.replace(tmp / name, dst)
                os.replace(tmp / "manifest.json", directory / "manifest.json")
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            if self._dense and self._chunks:
                if self._cache is None or self._cache.path.parent != directory:
                    self._cache = EmbeddingCache(directory / _CACHE_FILE)
                fp = self._embedder.fingerprint
                self._cache.put_many(
                    {EmbeddingCache.key(fp, c.index_text): self._vectors[i] for i, c in enumerate(self._chunks)}
                )
        log.info("saved index (%d chunks) to %s", len(self._chunks), directory)
        return directory

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike,
        *,
        embedder: Embedder | None = None,
        options: IndexOptions | None = None,
        verify: bool = True,
    ) -> HybridIndex:
        """Open an index saved by ``save``.

        ``options`` default to the saved ones.  The embedder (given, or loaded from
        the options) must be the model that built the index, else ``IndexMismatch``.
        ``verify`` checks file checksums (``IndexCorrupt`` on a difference).
        """
        directory = Path(directory)
        mpath = directory / "manifest.json"
        if not mpath.is_file():
            raise IndexNotFound(f"{directory}: no saved index here (manifest.json missing); build one with HybridIndex.save")
        try:
            manifest = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise IndexCorrupt(f"{mpath}: unreadable manifest ({e}); delete {directory} and rebuild the index") from e
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise IndexCorrupt(f"{mpath}: not a chatocr index manifest; delete {directory} and rebuild the index")
        if manifest.get("version") != FORMAT_VERSION:
            raise IndexMismatch(
                f"{directory}: index format version {manifest.get('version')}, this chatocr reads {FORMAT_VERSION}: rebuild the index"
            )
        if options is None:
            try:
                options = IndexOptions.model_validate(manifest.get("options") or {})
            except ValidationError as e:
                raise IndexCorrupt(f"{mpath}: invalid options ({e.error_count()} errors); rebuild the index") from e
        saved = manifest.get("embedding")
        if saved is None and embedder is None:
            options = options.model_copy(update={"allow_bm25_only": True})
        try:
            index = cls(options, embedder=embedder, cache_dir=directory)
        except EmbeddingError as e:  # the cache file is damaged
            raise IndexCorrupt(f"{directory / _CACHE_FILE}: {e}; rebuild the index") from e
        if saved is not None:
            index._ensure_embedder()
            if not index._dense:
                raise IndexMismatch(
                    f"{directory}: the index has dense vectors from {saved.get('name')}, but no embedding model can run here "
                    "(install PyTorch: `pip install torch==2.13.0`)"
                )
            current = _embedding_info(index._embedder)
            for key in ("name", "dim", "fingerprint"):
                if current[key] != saved.get(key):
                    raise IndexMismatch(
                        f"{directory}: built with embedding model {saved.get('name')} (dim {saved.get('dim')}, "
                        f"fingerprint {saved.get('fingerprint')}), but the current model is {current['name']} "
                        f"(dim {current['dim']}, fingerprint {current['fingerprint']}): load with the same model, "
                        "or delete the directory and rebuild the index"
                    )
        else:
            index._dense = False
        index._read(directory, manifest, verify)
        return index

    def _read(self, directory: Path, manifest: dict, verify: bool) -> None:
        files = manifest.get("files") or {}
        n = manifest.get("n_chunks")
        if not isinstance(n, int) or n < 0:
            raise IndexCorrupt(f"{directory}: manifest has no valid chunk count; rebuild the index")
        for name, digest in files.items():
            path = directory / name
            if not path.is_file():
                raise IndexCorrupt(f"{path}: missing (listed in the manifest); rebuild the index")
            if verify and _sha256(path) != digest:
                raise IndexCorrupt(f"{path}: checksum differs from the manifest (file changed or truncated); rebuild the index")
        try:
            with (directory / "chunks.jsonl").open(encoding="utf-8") as f:
                chunks = [Chunk.model_validate_json(line) for line in f if line.strip()]
        except (OSError, UnicodeDecodeError, ValidationError) as e:
            raise IndexCorrupt(f"{directory / 'chunks.jsonl'}: unreadable ({e.__class__.__name__}); rebuild the index") from e
        if len(chunks) != n:
            raise IndexCorrupt(f"{directory}: {len(chunks)} chunks on disk, manifest says {n}; rebuild the index")
        if self._dense:
            try:
                vecs = np.load(directory / "vectors.npy", allow_pickle=False)
            except (OSError, ValueError) as e:
                raise IndexCorrupt(f"{directory / 'vectors.npy'}: unreadable ({e}); rebuild the index") from e
            dim = manifest["embedding"]["dim"]
            if vecs.dtype != np.float32 or vecs.shape != (n, dim):
                raise IndexCorrupt(f"{directory / 'vectors.npy'}: shape {vecs.shape}, expected ({n}, {dim}); rebuild the index")
            self._vectors = np.ascontiguousarray(vecs)
        self._chunks = chunks
        self._terms = None
        if n:
            self._bm25 = _load_bm25(directory / "bm25", n)


def rrf_fuse(rankings: Sequence[Sequence[int]], weights: Sequence[float], k: float) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion: item → Σ weight / (k + rank), best first (ties: earlier list's rank)."""
    fused: dict[int, float] = {}
    first: dict[int, tuple[int, int]] = {}
    for li, (ranked, w) in enumerate(zip(rankings, weights, strict=True)):
        for r, item in enumerate(ranked):
            fused[item] = fused.get(item, 0.0) + w / (k + r + 1)
            first.setdefault(item, (li, r))
    return sorted(fused.items(), key=lambda kv: (-kv[1], first[kv[0]]))


def _top(scores: np.ndarray, k: int, *, positive: bool = False) -> list[tuple[int, float]]:
    if positive:
        cand = np.flatnonzero(scores > 0)
    else:
        cand = np.arange(len(scores))
    if len(cand) == 0:
        return []
    if len(cand) > k:
        part = np.argpartition(-scores[cand], k - 1)[:k]
        cand = cand[part]
    order = cand[np.lexsort((cand, -scores[cand]))]
    return [(int(i), float(scores[i])) for i in order]


def _build_bm25(terms: list[list[str]], options: IndexOptions):
    import bm25s

    model = bm25s.BM25(k1=options.k1, b=options.b)
    # an empty document would break bm25s' vocabulary: give it a term that no query has
    model.index([t or ["\x00"] for t in terms], show_progress=False)
    return model


def _load_bm25(path: Path, n: int):
    import bm25s

    if not path.is_dir():
        raise IndexCorrupt(f"{path}: missing BM25 index; rebuild the index")
    try:
        model = bm25s.BM25.load(str(path), load_corpus=False)
    except Exception as e:  # noqa: BLE001 - bm25s raises many kinds on damaged files
        raise IndexCorrupt(f"{path}: unreadable BM25 index ({e.__class__.__name__}: {e}); rebuild the index") from e
    if model.scores.get("num_docs") != n:
        raise IndexCorrupt(f"{path}: BM25 index holds {model.scores.get('num_docs')} chunks, expected {n}; rebuild the index")
    return model


def _embedding_info(embedder: Embedder) -> dict:
    return {"name": embedder.name, "dim": int(embedder.dim), "fingerprint": embedder.fingerprint}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
