"""The openai backend end to end: the real ``openai`` SDK against a scripted loopback server."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import traceback

import pytest
from llm_chat_server import SECRET, Reply

pytest.importorskip("openai")

from chatocr.errors import (  # noqa: E402
    LLMAuthError,
    LLMError,
    LLMRateLimited,
    LLMRequestError,
    LLMResponseError,
    LLMTimeout,
    LLMUnavailable,
)
from chatocr.llm import allm_extract, create_llm, llm_answer, llm_extract  # noqa: E402
from chatocr.llm.client import TRUNCATION_MARK  # noqa: E402

TEXT = "ACME Trading Ltd\nInvoice No. INV-2024-0117\nDate: 03/01/2024\nTOTAL DUE USD 121.00"


def client_for(server, **options):
    opts = {"api_key": SECRET, "timeout": 2.0, "max_retries": 2, "backoff": 0.01, "max_backoff": 1.0}
    opts.update(options)
    return create_llm(f"openai:test-model@{server.url}", **opts)


def test_good_json_and_the_prompt_holds_keys_and_context(chat_server):
    chat_server.enqueue('{"Invoice number": "INV-2024-0117", "Total": "USD 121.00", "Vendor": null}')
    values = llm_extract(client_for(chat_server), ["Invoice number", "Total", "Vendor"], TEXT, lang="en")
    assert values == {"Invoice number": "INV-2024-0117", "Total": "USD 121.00", "Vendor": None}
    req = chat_server.requests[0]
    assert req["path"].endswith("/chat/completions")
    assert req["json"]["model"] == "test-model"
    assert req["json"]["response_format"] == {"type": "json_object"}
    assert req["json"]["temperature"] == 0.0
    assert req["headers"]["authorization"] == f"Bearer {SECRET}"  # sent to the server, and only there
    sent = chat_server.prompt_text()
    assert "TOTAL DUE USD 121.00" in sent and '["Invoice number", "Total", "Vendor"]' in sent
    assert req["json"]["messages"][0]["role"] == "system"


def test_malformed_json_is_repaired(chat_server):
    chat_server.enqueue('Sure! ```json\n{"Total": "USD 121.00", "Date": \'03/01/2024\',}\n``` Hope this helps')
    values = llm_extract(client_for(chat_server), ["Total", "Date"], TEXT, lang="en")
    assert values == {"Total": "USD 121.00", "Date": "03/01/2024"}


def test_invented_values_become_none(chat_server):
    chat_server.enqueue('{"Total": "USD 999.00", "Date": "03/01/2024"}')
    values = llm_extract(client_for(chat_server), ["Total", "Date"], TEXT, lang="en")
    assert values == {"Total": None, "Date": "03/01/2024"}


def test_429_then_success_honours_retry_after(chat_server):
    chat_server.enqueue(
        Reply(status=429, body={"error": {"message": "slow down"}}, headers={"retry-after": "0.4"}),
        '{"answer": "USD 121.00", "quote": "TOTAL DUE USD 121.00"}',
    )
    start = time.monotonic()
    answer, quote = llm_answer(client_for(chat_server, backoff=0.0), "What is the total?", TEXT, lang="en")
    elapsed = time.monotonic() - start
    assert (answer, quote) == ("USD 121.00", "TOTAL DUE USD 121.00")
    assert len(chat_server.requests) == 2
    assert elapsed >= 0.38  # waited as the server asked, not the (zero) backoff


def test_retry_after_beyond_the_cap_fails_at_once(chat_server):
    chat_server.enqueue(Reply(status=429, body={"error": {"message": "quota"}}, headers={"retry-after": "120"}))
    with pytest.raises(LLMRateLimited, match="Retry-After"):
        client_for(chat_server, max_backoff=1.0).complete([{"role": "user", "content": "hi"}])
    assert len(chat_server.requests) == 1


def test_429_every_time_is_rate_limited_after_bounded_retries(chat_server):
    chat_server.enqueue(*[Reply(status=429, body={"error": {"message": "busy"}}) for _ in range(3)])
    with pytest.raises(LLMRateLimited, match="3 attempts"):
        client_for(chat_server, max_retries=2).complete([{"role": "user", "content": "hi"}])
    assert len(chat_server.requests) == 3


def test_server_error_is_retried(chat_server):
    chat_server.enqueue(Reply(status=503, body={"error": {"message": "overloaded"}}), "hello")
    assert client_for(chat_server).complete([{"role": "user", "content": "hi"}]) == "hello"
    assert len(chat_server.requests) == 2


def test_timeout_is_typed_after_bounded_retries(chat_server):
    chat_server.enqueue(*[Reply(content="late", delay=3.0) for _ in range(3)])
    client = client_for(chat_server, timeout=0.3, max_retries=1)
    start = time.monotonic()
    with pytest.raises(LLMTimeout, match="2 attempts") as info:
        client.complete([{"role": "user", "content": "hi"}])
    assert time.monotonic() - start < 3.0
    assert isinstance(info.value, TimeoutError) and isinstance(info.value, LLMUnavailable)
    assert len(chat_server.requests) == 2


def test_empty_choice_list_is_a_response_error(chat_server):
    chat_server.enqueue(Reply(choices=[]))
    with pytest.raises(LLMResponseError, match="no choices"):
        client_for(chat_server).complete([{"role": "user", "content": "hi"}])


def test_null_content_is_a_response_error(chat_server):
    chat_server.enqueue(Reply(content=None))
    with pytest.raises(LLMResponseError, match="no text"):
        client_for(chat_server).complete([{"role": "user", "content": "hi"}])


def test_reply_without_json_is_a_response_error(chat_server):
    chat_server.enqueue("I could not find anything, sorry.")
    with pytest.raises(LLMResponseError, match="no JSON object"):
        llm_extract(client_for(chat_server), ["Total"], TEXT, lang="en")


def test_bad_request_is_not_retried(chat_server):
    chat_server.enqueue(Reply(status=404, body={"error": {"message": "model 'test-model' not found"}}))
    with pytest.raises(LLMRequestError, match="HTTP 404") as info:
        client_for(chat_server).complete([{"role": "user", "content": "hi"}])
    assert info.value.status == 404
    assert len(chat_server.requests) == 1


def test_connection_refused_is_unavailable(clean_env):
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = create_llm(f"openai:m@http://127.0.0.1:{port}/v1", max_retries=1, backoff=0.01, timeout=1.0)
    with pytest.raises(LLMUnavailable, match="cannot connect"):
        client.complete([{"role": "user", "content": "hi"}])


def test_api_key_never_leaks(chat_server, caplog):
    caplog.set_level(logging.DEBUG)
    chat_server.enqueue(
        Reply(status=429, body={"error": {"message": f"rate limit for key {SECRET}"}}),
        Reply(status=401, body={"error": {"message": f"Incorrect API key provided: {SECRET}"}}),
    )
    client = client_for(chat_server)
    with pytest.raises(LLMAuthError) as info:
        client.complete([{"role": "user", "content": "hi"}])
    err = info.value
    assert err.status == 401 and "OPENAI_API_KEY" in str(err)
    shown = "".join(traceback.format_exception(err)) + str(err) + repr(err)
    shown += repr(client) + repr(client.options) + str(client.options) + caplog.text
    shown += "".join(str(r.args) for r in caplog.records)
    assert SECRET not in shown
    assert SECRET[8:20] not in shown  # nor a recognisable part of it


def test_server_error_text_is_scrubbed_of_the_key(chat_server):
    chat_server.enqueue(Reply(status=400, body={"error": {"message": f"bad header Bearer {SECRET} here"}}))
    with pytest.raises(LLMRequestError) as info:
        client_for(chat_server).complete([{"role": "user", "content": "hi"}])
    assert SECRET not in str(info.value) and "HTTP 400" in str(info.value)
    assert SECRET not in "".join(traceback.format_exception(info.value))


def test_context_is_truncated_to_the_budget_never_the_instructions(chat_server):
    chat_server.enqueue('{"Total": "USD 121.00"}')
    long_text = TEXT + "\n" + "\n".join(f"line {i} of filler text that goes on" for i in range(3000))
    client = client_for(chat_server, context_window=2000, max_tokens=200)
    values = llm_extract(client, ["Total"], long_text, lang="en")
    assert values == {"Total": "USD 121.00"}  # the head of the context survives
    sent = chat_server.prompt_text()
    assert TRUNCATION_MARK.strip() in sent
    assert "line 2999" not in sent
    assert "Return the JSON object for these keys." in sent  # instructions after the data are intact
    assert "Security rules" in sent and '<keys>["Total"]</keys>' in sent
    assert len(sent) < 2000 * 3


def test_async_path(chat_server):
    chat_server.enqueue('{"Total": "USD 121.00"}', '{"Date": "03/01/2024"}')
    client = client_for(chat_server)
    values = asyncio.run(allm_extract(client, ["Total"], TEXT, lang="en"))
    assert values == {"Total": "USD 121.00"}
    values = asyncio.run(allm_extract(client, ["Date"], TEXT, lang="en"))  # a new loop, a new async client
    assert values == {"Date": "03/01/2024"}


def test_async_retry_then_success(chat_server):
    chat_server.enqueue(Reply(status=500, body={"error": {"message": "boom"}}), "ok")
    assert asyncio.run(client_for(chat_server).acomplete([{"role": "user", "content": "hi"}])) == "ok"
    assert len(chat_server.requests) == 2


def test_errors_are_llm_errors(chat_server):
    chat_server.enqueue(Reply(choices=[]))
    with pytest.raises(LLMError):
        client_for(chat_server).complete([{"role": "user", "content": "hi"}])
