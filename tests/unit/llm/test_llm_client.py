"""JSON parsing of replies, token estimates, context truncation and the FakeLLM."""

from __future__ import annotations

import pytest

from chatocr.errors import LLMRequestError, LLMResponseError
from chatocr.llm import FakeLLM, LLMClient, estimate_message_tokens, estimate_tokens, fit_messages, parse_json_object
from chatocr.llm.client import TRUNCATION_MARK


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"a": "1"}', {"a": "1"}),
        ('```json\n{"a": "1"}\n```', {"a": "1"}),
        ('```\n{"a": "1"}\n```\nDone.', {"a": "1"}),
        ('Here you go: {"a": "1", "b": null} Anything else?', {"a": "1", "b": None}),
        ('{"a": "1",}', {"a": "1"}),
        ("{'a': '1'}", {"a": "1"}),
        ('{"a": "1", "b": "x', {"a": "1", "b": "x"}),
        ('{"a": {"b": 1}} {"c": 2}', {"a": {"b": 1}}),
        ('<think>maybe {"a": "wrong"}</think>\n{"a": "right"}', {"a": "right"}),
        ('{"发票号码": "２４４"}', {"发票号码": "２４４"}),
    ],
)
def test_parse_json_object(reply, expected):
    assert parse_json_object(reply) == expected


@pytest.mark.parametrize("reply", ["", "no json here", "[1, 2, 3]", '<think>{"a": 1}</think>', "<think>unclosed {"])
def test_parse_json_object_without_an_object(reply):
    with pytest.raises(LLMResponseError, match="no JSON object"):
        parse_json_object(reply, name="m")


def test_estimate_tokens_is_cheap_and_high():
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcdef") == 2
    assert estimate_tokens("发票号码") == 4
    msgs = [{"role": "user", "content": [{"type": "text", "text": "abc"}, {"type": "image_url", "image_url": {}}]}]
    assert estimate_message_tokens(msgs) == 4 + 1 + 1000


def _msgs(doc: str, tables: str = "") -> list[dict]:
    user = f'<keys>["A"]</keys>\n<document>\n{doc}\n</document>\n'
    if tables:
        user += f"<tables>\n{tables}\n</tables>\n"
    user += "Return the JSON object."
    return [{"role": "system", "content": "RULES <document>example</document> " * 5}, {"role": "user", "content": user}]


def test_fit_messages_under_budget_is_untouched():
    msgs = _msgs("short")
    assert fit_messages(msgs, 10_000) is msgs


def test_fit_messages_cuts_the_document_tail_only():
    doc = "\n".join(f"line {i:04d} with some words" for i in range(500))
    msgs = _msgs(doc)
    out = fit_messages(msgs, 600)
    assert estimate_message_tokens(out) <= 600
    user = out[1]["content"]
    assert user.startswith('<keys>["A"]</keys>\n<document>\nline 0000') and user.endswith("Return the JSON object.")
    assert TRUNCATION_MARK.strip() in user and "line 0499" not in user
    assert out[0] == msgs[0]  # the system prompt (and its example document) is never cut
    assert msgs[1]["content"].count("line") == 500  # the input is not modified


def test_fit_messages_cuts_the_largest_section_first():
    msgs = _msgs("d" * 300, "t" * 6000)
    out = fit_messages(msgs, estimate_message_tokens(msgs) - 1000)
    user = out[1]["content"]
    assert "d" * 300 in user and TRUNCATION_MARK.strip() in user.split("<tables>")[1]


def test_fit_messages_text_parts():
    msgs = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "<document>\n" + "x" * 9000 + "\n</document>"},
                {"type": "image_url", "image_url": {"url": "data:,"}},
            ],
        }
    ]
    out = fit_messages(msgs, 2000)
    assert estimate_message_tokens(out) <= 2000 and out[0]["content"][1] == msgs[0]["content"][1]


def test_fit_messages_instructions_alone_too_long():
    msgs = [{"role": "system", "content": "rule " * 2000}, {"role": "user", "content": "<document>\nx\n</document>"}]
    with pytest.raises(LLMRequestError, match="instructions alone"):
        fit_messages(msgs, 100, name="openai:m")


def test_fake_llm_queue_and_records():
    fake = FakeLLM("one", lambda messages: f"{len(messages)} messages", default="later")
    assert isinstance(fake, LLMClient)
    msgs = [{"role": "user", "content": "hi"}]
    assert fake.complete(msgs, json_mode=True) == "one"
    assert fake.complete(msgs) == "1 messages"
    assert fake.complete(msgs) == "later"
    assert fake.calls[0]["json_mode"] is True and fake.last_messages == msgs
    with pytest.raises(LLMResponseError, match="no reply queued"):
        FakeLLM().complete(msgs)
    with pytest.raises(LLMRequestError):
        FakeLLM(LLMRequestError("boom")).complete(msgs)


def test_importing_the_layer_loads_no_backend():
    import subprocess
    import sys

    code = "import sys, chatocr.llm; print(sorted(m for m in ('openai', 'torch', 'transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
