"""The extraction, integration and Q&A steps over a queue-driven FakeLLM."""

from __future__ import annotations

import asyncio

import pytest

from chatocr.errors import LLMResponseError, LLMTimeout
from chatocr.llm import (
    FakeLLM,
    aintegrate,
    allm_answer,
    allm_extract,
    integrate,
    llm_answer,
    llm_extract,
    locate,
    normalize_text,
    supported,
)

TEXT = "ACME Trading Ltd\nInvoice No. INV-2024-0117\nDate: 03/01/2024\nTOTAL DUE USD 121.00"
TABLE = "| Item | Qty | Amount |\n|---|---|---|\n| Widget | 2 | 100.00 |\n| Tax | | 21.00 |"
ZH = "发票号码：２４４４２０００\n开票日期：2024年01月03日\n价税合计（小写）￥121.00"


# -- llm_extract -------------------------------------------------------------------------------
def test_extract_text_only_one_call():
    fake = FakeLLM('{"Invoice No": "INV-2024-0117", "Total": "USD 121.00"}')
    assert llm_extract(fake, ["Invoice No", "Total"], TEXT) == {"Invoice No": "INV-2024-0117", "Total": "USD 121.00"}
    assert len(fake.calls) == 1 and fake.calls[0]["json_mode"] is True


def test_extract_tables_second_call_only_for_missing_keys():
    fake = FakeLLM('{"Total": "USD 121.00", "Tax": null, "Widget qty": null}', '{"Tax": "21.00", "Widget qty": "2"}')
    values = llm_extract(fake, ["Total", "Tax", "Widget qty"], TEXT, TABLE, lang="en")
    assert values == {"Total": "USD 121.00", "Tax": "21.00", "Widget qty": "2"}
    assert len(fake.calls) == 2
    second = fake.prompt_text(1)
    assert "<tables>" in second and "| Widget | 2 | 100.00 |" in second
    assert '["Tax", "Widget qty"]' in second  # only the keys still missing


def test_extract_no_table_call_when_text_found_everything():
    fake = FakeLLM('{"Total": "USD 121.00"}')
    llm_extract(fake, ["Total"], TEXT, TABLE)
    assert len(fake.calls) == 1


def test_extract_values_not_in_the_context_are_none():
    fake = FakeLLM('{"Total": "USD 121.00", "Vendor": "Globex Corp", "Date": "2024-01-03"}')
    values = llm_extract(fake, ["Total", "Vendor", "Date"], TEXT)
    assert values == {"Total": "USD 121.00", "Vendor": None, "Date": None}  # reformatted date is not in the text


def test_extract_table_values_are_checked_against_the_tables():
    fake = FakeLLM('{"Tax": null}', '{"Tax": "ACME Trading Ltd"}')  # in the text, not in the tables it read
    assert llm_extract(fake, ["Tax"], TEXT, TABLE) == {"Tax": None}


def test_extract_missing_keys_failure_strings_and_loose_key_names():
    fake = FakeLLM('{"invoice  no": "INV-2024-0117", "Total": "未知", "Date": "N/A", "Extra": "ACME"}')
    values = llm_extract(fake, ["Invoice No", "Total", "Date", "Vendor"], TEXT)
    assert values == {"Invoice No": "INV-2024-0117", "Total": None, "Date": None, "Vendor": None}


def test_extract_returns_the_documents_own_text():
    # case, spacing and full-width differences are ignored, and the value comes back as the document writes it
    fake = FakeLLM('{"Total": "usd   121.00", "No": "invoice no.\\ninv-2024-0117"}')
    values = llm_extract(fake, ["Total", "No"], TEXT)
    assert values == {"Total": "USD 121.00", "No": "Invoice No. INV-2024-0117"}
    fake = FakeLLM('{"发票号码": "24442000", "价税合计": "¥121.00"}')
    assert llm_extract(fake, ["发票号码", "价税合计"], ZH) == {"发票号码": "２４４４２０００", "价税合计": "￥121.00"}


def test_extract_non_string_values():
    fake = FakeLLM('{"Qty": 2, "Flag": true, "Map": {"a": 1}, "Nested": [["Widget"]], "Empty": [null, "N/A"]}')
    keys = ["Qty", "Flag", "Map", "Nested", "Empty"]
    assert llm_extract(fake, keys, "", TABLE) == {"Qty": "2", "Flag": None, "Map": None, "Nested": None, "Empty": None}
    assert len(fake.calls) == 1  # empty text: straight to the tables


CONTRACT = "This Agreement is made between Northwind Trading Ltd\nand Kestrel Foods GmbH on 3 May 2024."


def test_extract_several_values_of_one_key():
    # a list, or one string with "; " (the prompt's convention): each value as the document writes it
    for reply in ('{"parties": ["northwind trading ltd", "Kestrel Foods GmbH"]}',
                  '{"parties": "Northwind  Trading Ltd; KESTREL FOODS GMBH"}',
                  '{"parties": "Northwind Trading Ltd；Kestrel Foods GmbH"}'):
        fake = FakeLLM(reply)
        got = llm_extract(fake, ["parties"], CONTRACT)
        assert got == {"parties": "Northwind Trading Ltd; Kestrel Foods GmbH"}, reply
        assert 'separated by "; "' in fake.prompt_text(0)
    # one of them not in the document: none is kept
    fake = FakeLLM('{"parties": ["Northwind Trading Ltd", "Globex Corp"]}')
    assert llm_extract(fake, ["parties"], CONTRACT) == {"parties": None}


def test_extract_language_auto_and_override():
    fake = FakeLLM('{"发票号码": null}', '{"发票号码": null}')
    llm_extract(fake, ["发票号码"], ZH)
    assert "你的任务是" in fake.prompt_text(0)
    llm_extract(fake, ["发票号码"], ZH, lang="en")
    assert "You extract" in fake.prompt_text(1)


def test_extract_edge_cases():
    fake = FakeLLM()
    assert llm_extract(fake, [], TEXT) == {}
    assert llm_extract(fake, ["A", " A ", ""], "", None) == {"A": None}  # no context: no call
    assert fake.calls == []
    assert llm_extract(FakeLLM('{"Total": "USD 121.00"}'), "Total", TEXT) == {"Total": "USD 121.00"}


def test_extract_errors_propagate_typed():
    with pytest.raises(LLMResponseError):
        llm_extract(FakeLLM("no json here"), ["Total"], TEXT)
    with pytest.raises(LLMTimeout):
        llm_extract(FakeLLM(LLMTimeout("fake: slow")), ["Total"], TEXT)


def test_extract_async():
    fake = FakeLLM('{"Total": null}', '{"Total": "21.00"}')
    assert asyncio.run(allm_extract(fake, ["Total"], TEXT, TABLE)) == {"Total": "21.00"}


# -- integrate -----------------------------------------------------------------------------------
TEXT_VALS = {"Total": "121.00", "Date": "03/01/2024", "No": None, "Vendor": "ACME"}
VLM_VALS = {"Total": "121.00", "Date": "03/07/2024", "No": "INV-7", "Vendor": None, "Extra": "x"}


def test_integrate_single_modes():
    assert integrate(TEXT_VALS, VLM_VALS, "llm_only") == {**TEXT_VALS, "Extra": None}
    assert integrate(TEXT_VALS, VLM_VALS, "vlm_only") == VLM_VALS
    assert integrate(TEXT_VALS, VLM_VALS, "mllm_only") == VLM_VALS  # PaddleX's name
    with pytest.raises(ValueError, match="unknown mode"):
        integrate(TEXT_VALS, VLM_VALS, "both")  # type: ignore[arg-type]


def test_integrate_asks_the_ensemble_prompt_only_about_disagreements():
    fake = FakeLLM('{"Date": "B"}')
    out = integrate(TEXT_VALS, VLM_VALS, "integration", fake, lang="en", context=TEXT)
    assert out == {"Total": "121.00", "Date": "03/07/2024", "No": "INV-7", "Vendor": "ACME", "Extra": "x"}
    assert len(fake.calls) == 1
    sent = fake.prompt_text()
    assert '"key": "Date", "A": "03/01/2024", "B": "03/07/2024"' in sent
    assert '"key": "Total"' not in sent and "<document>" in fake.calls[0]["messages"][-1]["content"]


def test_integrate_choice_a_and_pp_style_answers():
    fake = FakeLLM('{"Date": "方法A"}')
    assert integrate(TEXT_VALS, VLM_VALS, client=fake)["Date"] == "03/01/2024"
    fake = FakeLLM('{"Date": "Method B"}')
    assert integrate(TEXT_VALS, VLM_VALS, client=fake)["Date"] == "03/07/2024"


def test_integrate_without_client_or_with_a_broken_reply_keeps_text():
    assert integrate(TEXT_VALS, VLM_VALS)["Date"] == "03/01/2024"
    fake = FakeLLM("I think both are fine")
    assert integrate(TEXT_VALS, VLM_VALS, client=fake)["Date"] == "03/01/2024"


def test_integrate_agreement_after_normalising_makes_no_call():
    fake = FakeLLM()
    out = integrate({"Total": "USD 121.00"}, {"Total": "usd 121.00"}, client=fake)
    assert out == {"Total": "USD 121.00"} and fake.calls == []


def test_integrate_async():
    fake = FakeLLM('{"Date": "B"}')
    assert asyncio.run(aintegrate(TEXT_VALS, VLM_VALS, client=fake))["Date"] == "03/07/2024"
    assert asyncio.run(aintegrate(TEXT_VALS, VLM_VALS))["Date"] == "03/01/2024"


# -- llm_answer ----------------------------------------------------------------------------------
def test_answer_with_quote_mapped_to_the_context():
    fake = FakeLLM('{"answer": "USD 121.00", "quote": "total due usd 121.00"}')
    assert llm_answer(fake, "What is the total?", TEXT) == ("USD 121.00", "TOTAL DUE USD 121.00")
    assert "<question>What is the total?</question>" in fake.prompt_text()


def test_answer_not_in_the_document():
    assert llm_answer(FakeLLM('{"answer": null, "quote": null}'), "Who signed?", TEXT) == (None, None)
    assert llm_answer(FakeLLM('{"answer": "Not mentioned in the document.", "quote": null}'), "Who?", TEXT) == (
        None,
        None,
    )
    assert llm_answer(FakeLLM('{"answer": "文档中没有提及", "quote": ""}'), "谁签的字？", ZH) == (None, None)


def test_answer_quote_not_in_context_falls_back_to_the_answer_or_none():
    fake = FakeLLM('{"answer": "INV-2024-0117", "quote": "Invoice number INV-2024-0117"}')
    assert llm_answer(fake, "Invoice number?", TEXT) == ("INV-2024-0117", "INV-2024-0117")
    fake = FakeLLM('{"answer": "It is from ACME, a trading company.", "quote": "made up"}')
    assert llm_answer(fake, "Who issued it?", TEXT) == ("It is from ACME, a trading company.", None)


def test_answer_plain_text_reply():
    fake = FakeLLM("<think>let me look</think>USD 121.00")
    assert llm_answer(fake, "Total?", TEXT) == ("USD 121.00", "USD 121.00")


def test_answer_follow_up_uses_the_chat_prompt_with_history():
    fake = FakeLLM('{"answer": "03/01/2024", "quote": "Date: 03/01/2024"}')
    history = [("What is the invoice number?", "INV-2024-0117"), ("Who sent it?", None)]
    assert llm_answer(fake, "And its date?", TEXT, history) == ("03/01/2024", "Date: 03/01/2024")
    sent = fake.calls[0]["messages"][-1]["content"]
    assert sent.index("</document>") < sent.index("User: What is the invoice number?\nAssistant: INV-2024-0117")
    assert sent.index("</history>") < sent.index("<question>And its date?</question>")
    assert "(not in the document)" in sent


def test_answer_history_is_bounded():
    fake = FakeLLM('{"answer": null, "quote": null}')
    llm_answer(fake, "q?", TEXT, [(f"question {i}", f"answer {i}") for i in range(20)])
    sent = fake.prompt_text()
    assert "question 19" in sent and "question 11" not in sent


def test_answer_async():
    fake = FakeLLM('{"answer": "ACME Trading Ltd", "quote": "ACME Trading Ltd"}')
    assert asyncio.run(allm_answer(fake, "Vendor?", TEXT)) == ("ACME Trading Ltd", "ACME Trading Ltd")


# -- text checks -----------------------------------------------------------------------------------
def test_normalize_supported_locate():
    assert normalize_text("ＡＢＣ １２３") == "abc123"
    assert normalize_text("A&amp;B \\| C") == "a&b|c"
    assert supported("a&b", "Company A&amp;B Ltd")
    assert not supported("", TEXT) and not supported("   ", TEXT)
    assert locate("inv-2024-0117", TEXT) == "INV-2024-0117"
    assert locate("Trading Ltd Invoice", TEXT) == "Trading Ltd\nInvoice".replace("\n", " ")
    assert locate("nothing like it", TEXT) is None
    assert locate("121", "１２１元") == "１２１"
