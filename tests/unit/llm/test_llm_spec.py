"""One spec string selects a backend: parsing (table-driven), options, keys and presets."""

from __future__ import annotations

import pytest

from chatocr.errors import LLMError, LLMModelNotFound, LLMSpecError, NeedsKey
from chatocr.llm import LLMClient, LLMSpec, create_llm, parse_llm_spec

GOOD = [
    # spec, provider, model, base_url, vision, canonical
    ("builtin", "builtin", "", None, False, "builtin"),
    ("  BUILTIN ", "builtin", "", None, False, "builtin"),
    ("openai:gpt-4o-mini", "openai", "gpt-4o-mini", None, False, "openai:gpt-4o-mini"),
    ("ernie:ernie-4.5-turbo-128k", "ernie", "ernie-4.5-turbo-128k", None, False, "ernie:ernie-4.5-turbo-128k"),
    ("qianfan:ernie-4.5-turbo-128k", "ernie", "ernie-4.5-turbo-128k", None, False, "ernie:ernie-4.5-turbo-128k"),
    ("deepseek:deepseek-chat", "deepseek", "deepseek-chat", None, False, "deepseek:deepseek-chat"),
    ("ollama:qwen2.5", "ollama", "qwen2.5", None, False, "ollama:qwen2.5"),
    ("ollama:qwen2.5:7b", "ollama", "qwen2.5:7b", None, False, "ollama:qwen2.5:7b"),
    ("vllm:Qwen2.5-7B-Instruct", "vllm", "Qwen2.5-7B-Instruct", None, False, "vllm:Qwen2.5-7B-Instruct"),
    (
        "openai:qwen2.5@http://localhost:8000/v1",
        "openai",
        "qwen2.5",
        "http://localhost:8000/v1",
        False,
        "openai:qwen2.5@http://localhost:8000/v1",
    ),
    ("OpenAI:m@https://h.example/v1/", "openai", "m", "https://h.example/v1", False, "openai:m@https://h.example/v1"),
    ("vlm:gpt-4o", "openai", "gpt-4o", None, True, "vlm:gpt-4o"),
    (
        "vlm:qwen2.5-vl@http://10.0.0.5:8000/v1",
        "openai",
        "qwen2.5-vl",
        "http://10.0.0.5:8000/v1",
        True,
        "vlm:qwen2.5-vl@http://10.0.0.5:8000/v1",
    ),
    ("vlm:ollama:qwen2.5vl", "ollama", "qwen2.5vl", None, True, "vlm:ollama:qwen2.5vl"),
    ("vlm:ernie:ernie-4.5-vl", "ernie", "ernie-4.5-vl", None, True, "vlm:ernie:ernie-4.5-vl"),
    ("transformers:/path/to/model", "transformers", "/path/to/model", None, False, "transformers:/path/to/model"),
    ("transformers:C:/models/q@v2", "transformers", "C:/models/q@v2", None, False, "transformers:C:/models/q@v2"),
]


@pytest.mark.parametrize(("spec", "provider", "model", "base_url", "vision", "canonical"), GOOD)
def test_parse_good_specs(spec, provider, model, base_url, vision, canonical):
    parsed = parse_llm_spec(spec)
    assert (parsed.provider, parsed.model, parsed.base_url, parsed.vision) == (provider, model, base_url, vision)
    assert str(parsed) == canonical
    assert parse_llm_spec(str(parsed)) == parsed  # round trip
    assert parse_llm_spec(parsed) is parsed


BAD = [
    ("", "empty"),
    ("gpt-4o", "no provider"),
    ("foo:bar", "unknown provider 'foo'"),
    ("openai:", "no model name"),
    ("openai:  ", "no model name"),
    ("transformers:", "no model directory"),
    ("openai:m@localhost:8000", "http:// or https://"),
    ("openai:@http://localhost:8000/v1", "no model name"),
    ("vlm:", "no model name"),
]


@pytest.mark.parametrize(("spec", "why"), BAD)
def test_bad_specs_say_why_and_list_the_forms(spec, why):
    with pytest.raises(LLMSpecError) as info:
        parse_llm_spec(spec)
    msg = str(info.value)
    assert why in msg and "accepted forms" in msg and "transformers:/path/to/model" in msg
    assert isinstance(info.value, ValueError) and isinstance(info.value, LLMError)


def test_non_string_spec():
    with pytest.raises(LLMSpecError, match="expected a string"):
        parse_llm_spec(42)  # type: ignore[arg-type]


def test_spec_is_frozen():
    spec = parse_llm_spec("openai:gpt-4o-mini")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        spec.model = "other"  # type: ignore[misc]
    assert isinstance(spec, LLMSpec)


def test_builtin_creates_no_client():
    assert create_llm("builtin") is None
    assert create_llm(LLMSpec(provider="builtin")) is None
    with pytest.raises(LLMSpecError, match="takes no options"):
        create_llm("builtin", timeout=3)


@pytest.mark.parametrize(
    ("spec", "env"),
    [
        ("openai:gpt-4o-mini", "OPENAI_API_KEY"),
        ("ernie:ernie-4.5-turbo-128k", "QIANFAN_API_KEY"),
        ("deepseek:deepseek-chat", "DEEPSEEK_API_KEY"),
        ("vlm:gpt-4o", "OPENAI_API_KEY"),
    ],
)
def test_hosted_providers_need_a_key_and_say_which_variable(clean_env, spec, env):
    with pytest.raises(NeedsKey) as info:
        create_llm(spec)
    assert env in str(info.value) and info.value.env_var == env


def test_keys_and_urls_from_the_environment(clean_env):
    pytest.importorskip("openai")
    clean_env.setenv("QIANFAN_API_KEY", "bce-v3/ALTAK-secret-value")
    client = create_llm("ernie:ernie-4.5-turbo-128k")
    assert client.base_url == "https://qianfan.baidubce.com/v2"
    assert client.context_window == 128_000  # read from the model name
    assert "ALTAK" not in repr(client)
    clean_env.setenv("OPENAI_API_KEY", "sk-env-key-123456")
    clean_env.setenv("OPENAI_BASE_URL", "http://proxy.local:9000/v1")
    client = create_llm("openai:gpt-4o-mini")
    assert client.base_url == "http://proxy.local:9000/v1"
    # a URL in the spec wins over the environment and the option
    client = create_llm("openai:m@http://spec.local/v1", base_url="http://option.local/v1")
    assert client.base_url == "http://spec.local/v1"


@pytest.mark.parametrize(
    ("spec", "url", "window"),
    [
        ("ollama:qwen2.5", "http://localhost:11434/v1", 4096),
        ("vllm:Qwen2.5-7B-Instruct", "http://localhost:8000/v1", 32768),
        ("openai:qwen2.5@http://localhost:8000/v1", "http://localhost:8000/v1", 128_000),
    ],
)
def test_local_servers_need_no_key(clean_env, spec, url, window):
    pytest.importorskip("openai")
    client = create_llm(spec)
    assert client.base_url == url and client.context_window == window
    assert isinstance(client, LLMClient)


def test_unknown_and_bad_options_are_typed_errors(clean_env):
    pytest.importorskip("openai")
    with pytest.raises(LLMSpecError, match="unknown option 'temprature'.*accepted options"):
        create_llm("ollama:qwen2.5", temprature=0.2)
    with pytest.raises(LLMSpecError, match="timeout"):
        create_llm("ollama:qwen2.5", timeout=-1)


def test_bad_option_message_does_not_echo_the_value(clean_env):
    pytest.importorskip("openai")
    with pytest.raises(LLMSpecError) as info:
        create_llm("openai:gpt-4o-mini", api_key=["sk-in-a-list-oops-123456"])
    assert "sk-in-a-list" not in str(info.value)


def test_transformers_spec_checks_the_directory(tmp_path):
    with pytest.raises(LLMModelNotFound, match="allow_download=True"):
        create_llm(f"transformers:{tmp_path / 'missing'}")
    with pytest.raises(LLMModelNotFound, match="config.json"):
        create_llm(f"transformers:{tmp_path}")
