"""The ``document_qa`` LangChain tool: arguments, JSON with evidence, errors as observations, an agent loop."""

from __future__ import annotations

import json

import pytest
from chatocr.retrievers import ChatOCRTool
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from chatocr.agent import ChatOCR


class ScriptedChatModel(FakeMessagesListChatModel):
    """LangChain's fake chat model, answering from a script, that accepts ``bind_tools`` like a real one."""

    bound: list = []

    def bind_tools(self, tools, **kwargs):
        self.bound = list(tools)
        return self


@pytest.fixture(scope="module")
def invoice(tmp_path_factory):
    from docgen import invoice_pdf

    data, truth = invoice_pdf(31)
    path = tmp_path_factory.mktemp("tool") / "invoice.pdf"
    path.write_bytes(data)
    return path, truth


@pytest.fixture
def tool(tmp_path) -> ChatOCRTool:
    return ChatOCRTool(agent=ChatOCR(cache_dir=str(tmp_path / "cache")))


def test_tool_schema(tool):
    assert tool.name == "document_qa"
    assert tool.description.startswith("document key-information extraction and question answering")
    assert set(tool.args) == {"document", "keys", "question"}
    assert "file path" in tool.description and "evidence" in tool.description


def test_question_and_keys_come_back_with_evidence(tool, invoice):
    path, truth = invoice
    out = json.loads(tool.invoke({"document": str(path), "question": "What is the total?", "keys": ["Invoice No"]}))
    assert out["document"]["name"] == "invoice.pdf" and out["document"]["pages"] == 1
    assert out["answer"] == truth.pairs["Total"]
    assert out["evidence"][0]["page"] == 1 and truth.pairs["Total"] in out["evidence"][0]["text"]
    field = out["fields"]["Invoice No"]
    assert field["value"] == truth.pairs["Invoice No"] and len(field["bbox"]) == 4


def test_a_document_id_from_an_earlier_call(tool, invoice, tmp_path):
    path, truth = invoice
    doc_id = json.loads(tool.invoke({"document": str(path)}))["document"]["id"]
    out = json.loads(tool.invoke({"document": doc_id, "keys": ["Total"]}))
    assert out["fields"]["Total"]["value"] == truth.pairs["Total"]
    fresh = ChatOCRTool(agent=ChatOCR(cache_dir=str(tmp_path / "cache")))  # same cache, new tool: found on disk
    assert json.loads(fresh.invoke({"document": doc_id, "question": "What is the total?"}))["answer"]


@pytest.mark.parametrize("document, words", [
    ("0000000000000000", "no document with this id"),
    ("/no/such/file.pdf", "file not found"),
    ("", "give 'document'"),
])
def test_errors_are_observations_not_crashes(tool, document, words):
    out = tool.invoke({"document": document, "question": "What is the total?"})
    assert isinstance(out, str) and words in out


def test_a_zip_renamed_pdf_is_an_observation(tool, tmp_path):
    from chatocr_testkit import zip_bytes

    fake = tmp_path / "report.pdf"
    fake.write_bytes(zip_bytes())
    assert "ZIP" in tool.invoke({"document": str(fake), "keys": ["Total"]})


def test_agent_loop_with_a_scripted_chat_model(tool, invoice):
    """bind tools → the model calls document_qa → the ToolMessage goes back → the model answers from it."""
    path, truth = invoice
    call = {"name": "document_qa", "args": {"document": str(path), "question": "What is the total?"}, "id": "call-1"}
    model = ScriptedChatModel(responses=[AIMessage(content="", tool_calls=[call]),
                                         AIMessage(content=f"The total is {truth.pairs['Total']} (page 1).")])
    llm = model.bind_tools([tool])
    assert model.bound == [tool]
    messages = [HumanMessage("What is the total of this invoice? " + str(path))]
    for _ in range(4):  # bounded loop
        ai = llm.invoke(messages)
        messages.append(ai)
        if not ai.tool_calls:
            break
        for tc in ai.tool_calls:
            messages.append(tool.invoke(tc))
    observations = [m for m in messages if isinstance(m, ToolMessage)]
    assert len(observations) == 1 and observations[0].tool_call_id == "call-1"
    result = json.loads(observations[0].content)
    assert result["answer"] == truth.pairs["Total"] and result["evidence"][0]["page"] == 1
    assert messages[-1].content == f"The total is {truth.pairs['Total']} (page 1)."


def test_an_error_goes_back_to_the_model_as_a_tool_message(tool):
    call = {"name": "document_qa", "args": {"document": "/nowhere/x.pdf", "question": "total?"}, "id": "call-2",
            "type": "tool_call"}
    msg = tool.invoke(call)
    assert isinstance(msg, ToolMessage) and msg.tool_call_id == "call-2" and "file not found" in msg.content


def test_bad_arguments_from_a_model_are_an_observation(tool):
    call = {"name": "document_qa", "args": {"file": "x.pdf", "keys": "Total"}, "id": "call-3", "type": "tool_call"}
    msg = tool.invoke(call)
    assert isinstance(msg, ToolMessage) and "invalid arguments for document_qa" in msg.content
    assert "document" in msg.content
