"""Fixtures of the LLM tests: the loopback chat server and a clean provider environment."""

from __future__ import annotations

import pytest
from llm_chat_server import ChatServer

PROVIDER_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "QIANFAN_API_KEY", "DEEPSEEK_API_KEY", "VLLM_API_KEY")


@pytest.fixture
def chat_server(monkeypatch):
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for var in PROVIDER_ENV:
        monkeypatch.delenv(var, raising=False)
    with ChatServer() as server:
        yield server


@pytest.fixture
def clean_env(monkeypatch):
    """No provider keys or base URLs from the developer's environment."""
    for var in PROVIDER_ENV:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch
