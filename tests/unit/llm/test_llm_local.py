"""The transformers backend on a tiny randomly initialised GPT-2 and a word-level tokenizer built offline."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

from chatocr.errors import LLMModelNotFound, LLMNotInstalled, LLMRequestError
from chatocr.llm import create_llm, llm_extract
from chatocr.llm.local import TransformersClient

HAVE_TORCH = all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers", "tokenizers"))
_skip = pytest.mark.skipif(
    not HAVE_TORCH, reason="needs torch and transformers (pip install torch==2.13.0 transformers)"
)


def needs_torch(test):
    """Skipped without PyTorch; slow with it (importing torch and transformers takes seconds)."""
    return pytest.mark.slow(_skip(test))


WORDS = (
    "system user assistant total date invoice the a is of json return object for these keys document "
    'acme 12.30 null { } : , " [ ] < > / rules key value'
).split()
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    if not HAVE_TORCH:
        pytest.skip("needs torch and transformers")
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    path = tmp_path_factory.mktemp("tiny-gpt2")
    specials = ["<unk>", "<pad>", "<eos>", "<|system|>", "<|user|>", "<|assistant|>"]
    vocab = {w: i for i, w in enumerate(specials + WORDS)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>")
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(path)
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(vocab),
        n_positions=2048,
        n_embd=32,
        n_layer=1,
        n_head=2,
        bos_token_id=vocab["<eos>"],
        eos_token_id=vocab["<eos>"],
        pad_token_id=vocab["<pad>"],
    )
    model = GPT2LMHeadModel(config)
    with torch.no_grad():  # never end early: make <eos>/<pad>/<unk> unlikely so a reply always has text
        for name in ("<eos>", "<pad>", "<unk>"):
            model.lm_head.weight[vocab[name]] = 0.0
        model.lm_head.weight[vocab["total"]] += 1.0
    model.save_pretrained(path)
    return path


@needs_torch
def test_generates_text_from_a_local_directory(tiny_model):
    client = create_llm(f"transformers:{tiny_model}", max_tokens=6)
    assert isinstance(client, TransformersClient)
    assert "not loaded" in repr(client)
    reply = client.complete(
        [{"role": "system", "content": "rules"}, {"role": "user", "content": "total of the invoice"}]
    )
    assert isinstance(reply, str) and reply.strip()
    assert "loaded" in repr(client) and client.context_window == 2048
    assert asyncio.run(client.acomplete([{"role": "user", "content": "date"}], max_tokens=3)).strip()


@needs_torch
def test_long_prompts_are_cut_to_the_model_window(tiny_model):
    client = create_llm(f"transformers:{tiny_model}", max_tokens=4)
    doc = " ".join(["acme 12.30 total"] * 1000)  # ~3000 tokens for a 2048-token model
    reply = client.complete([{"role": "user", "content": f"<document>\n{doc}\n</document>\nreturn json"}])
    assert reply.strip()


@needs_torch
def test_a_random_model_gives_no_json_and_steps_say_so(tiny_model):
    from chatocr.errors import LLMResponseError

    client = create_llm(f"transformers:{tiny_model}", max_tokens=4)
    with pytest.raises(LLMResponseError):
        llm_extract(client, ["total"], "acme total 12.30", lang="en")


@needs_torch
def test_text_only(tiny_model):
    client = create_llm(f"transformers:{tiny_model}")
    image = {"role": "user", "content": [{"type": "text", "text": "x"}, {"type": "image_url", "image_url": {}}]}
    with pytest.raises(LLMRequestError, match="text-only"):
        client.complete([image])


@needs_torch
def test_local_files_only_without_allow_download(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "gpt2"}')  # a directory with no tokenizer or weights
    client = create_llm(f"transformers:{tmp_path}")
    with pytest.raises(LLMModelNotFound, match="read locally only"):
        client.complete([{"role": "user", "content": "hi"}])


@needs_torch
def test_hub_ids_need_allow_download(tmp_path, monkeypatch):
    with pytest.raises(LLMModelNotFound, match="allow_download=True"):
        create_llm("transformers:Qwen/Qwen2.5-0.5B-Instruct")
    # with allow_download the client is created; loading is lazy, so nothing is fetched here
    client = create_llm("transformers:Qwen/Qwen2.5-0.5B-Instruct", allow_download=True)
    assert "not loaded" in repr(client)


def test_missing_torch_gives_the_install_hint(tmp_path, monkeypatch):
    (tmp_path / "config.json").write_text("{}")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(LLMNotInstalled, match=r"pip install torch==2\.13\.0"):
        create_llm(f"transformers:{tmp_path}")


def test_unknown_option(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    from chatocr.errors import LLMSpecError

    with pytest.raises(LLMSpecError, match="unknown option 'allow_downloads'"):
        create_llm(f"transformers:{tmp_path}", allow_downloads=True)
