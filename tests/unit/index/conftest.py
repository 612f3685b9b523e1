"""Fixtures: a fake embedder, and the real packaged model loaded once per session."""

from __future__ import annotations

import pytest
from indexkit import FakeEmbedder


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def minilm():
    """The packaged all-MiniLM-L6-v2, loaded once; skips when PyTorch or the model is missing."""
    pytest.importorskip("torch", reason="PyTorch not installed: run `pip install torch==2.13.0` (CPU build)")
    from chatocr.errors import ModelNotFound
    from chatocr.index import TransformersEmbedder

    try:
        return TransformersEmbedder()
    except ModelNotFound as e:
        pytest.skip(f"embedding model not installed: {e}")
