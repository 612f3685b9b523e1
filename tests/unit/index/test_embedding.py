"""Embedders: the packaged MiniLM (offline), a local model folder, an OpenAI-compatible endpoint on loopback, the cache."""

from __future__ import annotations

import builtins
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from indexkit import FakeEmbedder, make_doc, text_block

from chatocr.errors import EmbeddingError, EmbeddingUnavailable, ModelNotFound
from chatocr.index import (
    EmbeddingCache,
    EmbeddingOptions,
    HybridIndex,
    OpenAIEmbedder,
    TransformersEmbedder,
    load_embedder,
)
from chatocr.index.embedding import embed_cached

# -- the packaged model -----------------------------------------------------------------------


@pytest.mark.embeddings
def test_minilm_vectors_are_normalised_and_meaningful(minilm):
    assert minilm.name == "all-minilm-l6-v2" and minilm.dim == 384 and len(minilm.fingerprint) == 16
    docs = minilm.embed_documents(["The invoice total is 120 dollars.", "The cat sat on the mat.", ""])
    assert docs.shape == (3, 384) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    q = minilm.embed_query("How much must be paid?")
    assert q @ docs[0] > q @ docs[1]


@pytest.mark.embeddings
def test_minilm_batches_match_single_texts(minilm):
    texts = [f"line {i} " * (i + 1) for i in range(4)]
    batch = minilm.embed_documents(texts)
    one = np.stack([minilm.embed_documents([t])[0] for t in texts])
    assert np.min(np.sum(batch * one, axis=1)) > 0.999  # padding changes bfloat16 rounding a little


@pytest.mark.embeddings
def test_minilm_long_text_is_truncated_not_a_crash(minilm):
    assert minilm.embed_query("word " * 20_000).shape == (384,)


@pytest.mark.embeddings
def test_local_model_folder_loads_by_path_in_float32(minilm):
    local = TransformersEmbedder(EmbeddingOptions(model=str(minilm.path), dtype="float32"))
    assert local.name == "hf:model" and local.dim == 384 and local.dtype == "float32"
    texts = ["hello", "The invoice total is 120 dollars.", "增值税发票"]
    a, b = local.embed_documents(texts), minilm.embed_documents(texts)
    assert np.min(np.sum(a * b, axis=1)) > 0.999  # float32 and (auto) bfloat16 agree
    assert local.fingerprint == minilm.fingerprint  # same files, limit (sentence_bert_config.json) and prefixes
    assert local.fingerprint == TransformersEmbedder(EmbeddingOptions(model=str(minilm.path), dtype="float32")).fingerprint


@pytest.mark.embeddings
def test_cache_hits_skip_the_model(minilm, tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    texts = ["alpha beta", "gamma delta", "alpha beta"]
    calls = minilm.calls
    first = embed_cached(minilm, texts, cache)
    assert minilm.calls == calls + 1 and cache.misses == 2 and len(cache) == 2
    again = embed_cached(minilm, texts, EmbeddingCache(tmp_path / "c.sqlite"))
    assert minilm.calls == calls + 1  # nothing recomputed
    assert np.allclose(first, again)


@pytest.mark.embeddings
def test_hybrid_index_with_minilm(minilm, tmp_path):
    doc = make_doc("d", [[text_block(1, 0, "Payment is due within thirty days of the invoice date.")],
                         [text_block(2, 0, "The warranty covers parts and labour for two years.")]])
    idx = HybridIndex(embedder=minilm)
    idx.add_document(doc)
    hits = idx.search("When do I have to pay?", k=1, mode="dense")
    assert "Payment" in hits[0].chunk.text
    idx.save(tmp_path / "i")
    assert HybridIndex.load(tmp_path / "i", embedder=minilm).search("guarantee period", k=1)[0].chunk.text.startswith("The warranty")


# -- the ONNX Runtime encoder ----------------------------------------------------------------------

TEXTS = ["Héllo Wörld, TOTAL: RM 12.50", "增值税发票 合计 ¥1,234.00", "word " * 600, "", "naïve café — “quotes”"]


def test_tokenizer_json_matches_transformers_tokenizer(minilm):
    transformers = pytest.importorskip("transformers")
    from chatocr.index.embedding import _Tokenizer

    auto = transformers.AutoTokenizer.from_pretrained(str(minilm.path), local_files_only=True)
    want = auto(TEXTS, padding=True, truncation=True, max_length=256, return_tensors="np")
    got = _Tokenizer(minilm.path, 256)(TEXTS)
    assert got["input_ids"].shape == (len(TEXTS), 256)  # truncated at the model's limit, padded to the longest
    for key, value in got.items():
        assert np.array_equal(value, want[key]), key


@pytest.mark.embeddings
def test_onnx_encoder_matches_pytorch_and_keeps_the_fingerprint(minilm, tmp_path):
    onnx = TransformersEmbedder(EmbeddingOptions(onnx_dir=str(tmp_path)))
    torch_ = TransformersEmbedder(EmbeddingOptions(runtime="torch", dtype="float32"))
    assert onnx.runtime == "onnxruntime" and torch_.runtime == "torch"
    assert onnx.onnx_path.parent == tmp_path and onnx.onnx_path.is_file()
    assert onnx.fingerprint == torch_.fingerprint == minilm.fingerprint  # indexes move between runtimes
    a, b = onnx.embed_documents(TEXTS), torch_.embed_documents(TEXTS)
    assert np.min(np.sum(a * b, axis=1)) > 0.9999
    q = onnx.embed_query("How much must be paid?")
    assert q.shape == (384,) and q @ torch_.embed_query("How much must be paid?") > 0.9999


@pytest.mark.embeddings
def test_exported_encoder_loads_without_pytorch(minilm, tmp_path):
    first = TransformersEmbedder(EmbeddingOptions(onnx_dir=str(tmp_path)))
    want = first.embed_query("invoice total")
    code = (
        "import sys, json; from chatocr.index import EmbeddingOptions, TransformersEmbedder; "
        f"e = TransformersEmbedder(EmbeddingOptions(onnx_dir={str(tmp_path)!r})); v = e.embed_query('invoice total'); "
        "print(json.dumps([e.runtime, 'torch' in sys.modules, 'transformers' in sys.modules, v.tolist()]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    runtime, torch_loaded, transformers_loaded, vec = json.loads(out.stdout.strip().splitlines()[-1])
    assert runtime == "onnxruntime" and not torch_loaded and not transformers_loaded
    assert np.dot(np.asarray(vec, np.float32), want) > 0.99999


@pytest.mark.embeddings
def test_damaged_export_is_made_again(minilm, tmp_path):
    path = TransformersEmbedder(EmbeddingOptions(onnx_dir=str(tmp_path))).onnx_path
    path.write_bytes(b"not a model" * 100)
    again = TransformersEmbedder(EmbeddingOptions(onnx_dir=str(tmp_path)))
    assert again.runtime == "onnxruntime" and path.stat().st_size > 1_000_000
    assert again.embed_query("total") @ minilm.embed_query("total") > 0.9999


@pytest.mark.embeddings
def test_without_the_onnx_package_auto_stays_on_pytorch(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_onnx(name, *args, **kwargs):
        if name == "onnx":
            raise ImportError("No module named 'onnx'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    emb = TransformersEmbedder(EmbeddingOptions(onnx_dir=str(tmp_path)))
    assert emb.runtime == "torch" and not list(tmp_path.iterdir())
    assert emb.embed_query("total").shape == (384,)
    with pytest.raises(EmbeddingUnavailable, match="cannot export the encoder to ONNX"):
        TransformersEmbedder(EmbeddingOptions(runtime="onnxruntime", onnx_dir=str(tmp_path)))


# -- errors ---------------------------------------------------------------------------------------


def test_missing_torch_names_the_cpu_install(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(EmbeddingUnavailable, match=r"pip install torch==2\.13\.0"):
        load_embedder(EmbeddingOptions(onnx_dir=str(tmp_path)))  # nothing exported there yet: PyTorch must export
    with pytest.raises(EmbeddingUnavailable, match=r"pip install torch==2\.13\.0"):
        load_embedder(EmbeddingOptions(runtime="torch"))


def test_unknown_model_and_bad_folder(tmp_path):
    pytest.importorskip("torch", reason="PyTorch not installed: run `pip install torch==2.13.0` (CPU build)")
    with pytest.raises(ModelNotFound, match="unknown embedding model"):
        TransformersEmbedder(EmbeddingOptions(model="no-such-model"))
    with pytest.raises(ModelNotFound, match="config.json"):
        TransformersEmbedder(EmbeddingOptions(model=str(tmp_path)))


def test_corrupt_cache_file_is_a_clear_error(tmp_path):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(EmbeddingError, match="delete the file"):
        EmbeddingCache(path)


def test_cache_ignores_vectors_of_another_size(tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    cache.put_many({"k": np.ones(8, np.float32)})
    assert cache.get_many(["k"], 8)["k"].shape == (8,)
    assert cache.get_many(["k"], 16) == {}


def test_embed_cached_dedupes_and_uses_known_vectors():
    emb = FakeEmbedder()
    texts = ["a b", "c d", "a b"]
    known_vec = np.full(emb.dim, 0.5, np.float32)
    import hashlib

    out = embed_cached(emb, texts, None, known={hashlib.sha256(b"c d").hexdigest(): known_vec})
    assert emb.texts == 1 and np.allclose(out[1], known_vec) and np.allclose(out[0], out[2])


# -- OpenAI-compatible endpoint on loopback --------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    dim = 8
    requests: list = []

    def do_POST(self):  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append((self.path, self.headers.get("Authorization"), body))
        if body["model"] == "broken":
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "boom"}}')
            return
        data = []
        for i, text in enumerate(body["input"]):
            v = [float(len(text) % 7 + 1)] + [float((hash(text) >> s) % 5) for s in range(self.dim - 1)]
            data.append({"object": "embedding", "index": i, "embedding": v})
        data.reverse()  # servers may answer out of order: the SDK's index field says which is which
        payload = json.dumps({"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 1, "total_tokens": 1}})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    _Handler.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_endpoint_from_environment(endpoint, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", endpoint)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    emb = load_embedder(EmbeddingOptions(provider="openai", model="text-embedding-test", batch_size=2))
    assert isinstance(emb, OpenAIEmbedder) and emb.name == "openai:text-embedding-test"
    vecs = emb.embed_documents(["one", "three", "fives", "x"])
    assert vecs.shape == (4, 8) and np.allclose(np.linalg.norm(vecs, axis=1), 1.0)
    assert emb.dim == 8
    posts = [r for r in _Handler.requests if r[0] == "/v1/embeddings"]
    assert [len(r[2]["input"]) for r in posts] == [2, 2]  # batched
    assert posts[0][1] == "Bearer sk-test"
    assert np.allclose(emb.embed_query("three"), vecs[1])  # out-of-order answers put back in order


def test_openai_endpoint_in_an_index(endpoint, tmp_path):
    opts = EmbeddingOptions(provider="openai", model="m", base_url=endpoint, api_key="k")
    idx = HybridIndex(embedder=load_embedder(opts))
    idx.add_document(make_doc("d", [[text_block(1, 0, "hello world")]]))
    idx.save(tmp_path / "i")
    again = HybridIndex.load(tmp_path / "i", embedder=load_embedder(opts))
    assert again.search("hello", k=1)[0].chunk.doc_id == "d"
    assert "k" not in (tmp_path / "i" / "manifest.json").read_text().split('"api_key"')[-1][:10]


def test_openai_errors_are_typed(endpoint, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(EmbeddingError, match="OPENAI_API_KEY"):
        load_embedder(EmbeddingOptions(provider="openai", model="m", base_url=endpoint))
    emb = load_embedder(EmbeddingOptions(provider="openai", model="broken", base_url=endpoint, api_key="k", max_retries=0))
    with pytest.raises(EmbeddingError, match="failed"):
        emb.embed_query("x")
    dead = load_embedder(EmbeddingOptions(provider="openai", model="m", base_url="http://127.0.0.1:9/v1", api_key="k",
                                          max_retries=0, timeout=2))
    with pytest.raises(EmbeddingError, match="OPENAI_BASE_URL"):
        dead.embed_query("x")
