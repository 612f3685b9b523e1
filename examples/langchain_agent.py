#!/usr/bin/env python
"""A LangChain agent that reads documents through chatocr's ``document_qa`` tool.

    python examples/langchain_agent.py                  # offline: a scripted chat model, a generated invoice
    python examples/langchain_agent.py invoice.pdf      # your document

The loop is the standard tool-calling one: bind the tool to a chat model, invoke, run each tool call, feed
the ``ToolMessage`` back, until the model answers.  By default the model is LangChain's fake chat model
following a script (it calls the tool exactly as a real model would), so this runs anywhere.  For a real
model: ``pip install langchain-openai``, set ``OPENAI_API_KEY`` (and ``OPENAI_BASE_URL`` for any
OpenAI-compatible server, e.g. a local vLLM), then ``CHATOCR_AGENT_MODEL=gpt-4o-mini``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from chatocr.retrievers import ChatOCRTool
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult


class ScriptedChatModel(FakeMessagesListChatModel):
    """LangChain's fake chat model following a script: a tool call, then an answer filled in from the tool's JSON."""

    def bind_tools(self, tools, **kwargs):
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        result = super()._generate(messages, stop, run_manager, **kwargs)
        reply = result.generations[0].message
        if isinstance(messages[-1], ToolMessage) and "{total}" in reply.content:
            found = json.loads(messages[-1].content)
            page = found["evidence"][0]["page"] if found.get("evidence") else "?"
            text = reply.content.format(number=found["fields"]["Invoice No"]["value"],
                                        date=found["fields"]["Date"]["value"], total=found["answer"], page=page)
            result = ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])
        return result


def scripted_model(path: Path) -> ScriptedChatModel:
    call = {"name": "document_qa", "id": "call-1",
            "args": {"document": str(path), "question": "What is the total?", "keys": ["Invoice No", "Date"]}}
    return ScriptedChatModel(responses=[
        AIMessage(content="", tool_calls=[call]),
        AIMessage(content="Invoice {number} of {date}: the total is {total} (page {page})."),
    ])


def run(model, tool: ChatOCRTool, question: str, max_steps: int = 5) -> list:
    """The tool-calling loop: model → tool calls → ToolMessages → model, until it answers (at most max_steps)."""
    llm = model.bind_tools([tool])
    messages = [SystemMessage("Answer questions about documents with the document_qa tool; cite the page."),
                HumanMessage(question)]
    for _ in range(max_steps):
        ai = llm.invoke(messages)
        messages.append(ai)
        if not ai.tool_calls:
            break
        for tc in ai.tool_calls:
            messages.append(tool.invoke(tc))  # a ToolMessage; errors come back as text, not exceptions
    return messages


def main(path: Path) -> None:
    name = os.environ.get("CHATOCR_AGENT_MODEL")
    if name:
        from langchain_openai import ChatOpenAI  # pip install langchain-openai

        model = ChatOpenAI(model=name, temperature=0)
    else:
        model = scripted_model(path)
    for m in run(model, ChatOCRTool(), f"What is the total of the invoice {path}?"):
        if m.type == "system":
            continue
        calls = getattr(m, "tool_calls", None)
        text = m.content if not calls else "calls " + ", ".join(f"{c['name']}({json.dumps(c['args'])})" for c in calls)
        print(f"[{m.type}] {text}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        from sample_documents import write_invoice

        with tempfile.TemporaryDirectory() as tmp:
            invoice = Path(tmp) / "invoice.pdf"
            write_invoice(invoice, seed=5)
            main(invoice)
