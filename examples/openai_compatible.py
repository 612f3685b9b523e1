#!/usr/bin/env python
"""chatocr with an OpenAI-compatible LLM: OpenAI, ERNIE on Baidu Qianfan, DeepSeek, or a local vLLM / Ollama.

One backend spec string picks the model everywhere: ``ChatOCR(llm=SPEC)``, ``chatocr extract … --llm SPEC``,
``chatocr serve --llm SPEC``, or the ``CHATOCR_LLM`` environment variable.

==================  =====================================================  ============================================
backend             set up                                                 spec
==================  =====================================================  ============================================
OpenAI              ``export OPENAI_API_KEY=sk-…``                         ``openai:gpt-4o-mini``
ERNIE (Qianfan)     ``export QIANFAN_API_KEY=…`` (Qianfan console key)     ``ernie:ernie-4.5-turbo-128k``
DeepSeek            ``export DEEPSEEK_API_KEY=…``                          ``deepseek:deepseek-chat``
vLLM, local         ``vllm serve Qwen/Qwen2.5-7B-Instruct --port 8000``    ``vllm:Qwen/Qwen2.5-7B-Instruct``
Ollama, local       ``ollama pull qwen2.5`` (serves on port 11434)         ``ollama:qwen2.5``
any other server    an OpenAI-compatible ``/v1`` endpoint                  ``openai:MODEL@http://HOST:PORT/v1``
==================  =====================================================  ============================================

Keys are read from the environment only; chatocr never prints, logs or returns them.  The LLM reads the
document's text (retrieved chunks for long documents); every value it gives is mapped back to the line and
box it came from, and a value the document does not support becomes null.

    CHATOCR_LLM=ollama:qwen2.5 python examples/openai_compatible.py            # a generated invoice
    CHATOCR_LLM=ernie:ernie-4.5-turbo-128k python examples/openai_compatible.py invoice.pdf
    python examples/openai_compatible.py --llm openai:gpt-4o-mini invoice.pdf

Without a spec it runs the built-in engine (offline) and says how to switch.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from chatocr import ChatOCR, ChatOCRError


def main(path: Path, llm: str) -> int:
    try:
        agent = ChatOCR(llm)
        doc = agent.parse(path)
        fields = agent.extract(doc, ["Invoice No", "Date", "Total"])
        answer = agent.ask(doc, "What is the total amount due?")
    except ChatOCRError as e:  # no key, server not running, bad spec: one line that says what to do
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"backend: {llm}")
    for key, f in fields.fields.items():
        print(f"  {key}: {f.value}" + (f"  (page {f.page}, box {[round(v) for v in f.bbox]})" if f.bbox else ""))
    print(f"Q: What is the total amount due?\nA: {answer.text}")
    for e in answer.evidence:
        print(f"   evidence: page {e.page}: {e.text!r}")
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path, help="a PDF or image (default: a generated invoice)")
    ap.add_argument("--llm", default=os.environ.get("CHATOCR_LLM", ""), help="backend spec (default $CHATOCR_LLM)")
    args = ap.parse_args()
    if not args.llm:
        print("no LLM configured: using the built-in engine; set CHATOCR_LLM or pass --llm (see this file's "
              "docstring)", file=sys.stderr)
    llm = args.llm or "builtin"
    if args.file:
        sys.exit(main(args.file, llm))
    from sample_documents import write_invoice

    with tempfile.TemporaryDirectory() as tmp:
        invoice = Path(tmp) / "invoice.pdf"
        write_invoice(invoice, seed=4)
        sys.exit(main(invoice, llm))
