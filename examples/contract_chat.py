#!/usr/bin/env python
"""A conversation with a contract: follow-up questions keep the context, every answer shows its evidence.

    python examples/contract_chat.py                 # a generated service agreement, scripted questions
    python examples/contract_chat.py contract.pdf    # your contract; type questions (empty line ends)

The same as ``chatocr chat contract.pdf`` in a terminal, or ``POST /v1/documents/{id}/chat`` on ``chatocr serve``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from chatocr import ChatOCR

QUESTIONS = [
    "When does the agreement start?",
    "How long is the term?",
    "What is the monthly fee?",
    "and the notice period?",  # a follow-up: read as "what is the notice period?"
    "What is the governing law?",
]


def main(path: Path, questions: list[str] | None) -> None:
    agent = ChatOCR()
    chat = agent.chat(agent.parse(path))
    print(f"{path.name}: {len(chat.doc.pages)} page(s)")
    for q in questions if questions is not None else iter(lambda: input("? ").strip(), ""):
        ans = chat.ask(q)
        print(f"Q: {q}\nA: {ans.text if ans.text is not None else 'The document does not say.'}")
        for e in ans.evidence:
            print(f"   [page {e.page}, box {[round(v) for v in e.bbox]}] {e.text}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]), None)
    else:
        from sample_documents import write_contract

        with tempfile.TemporaryDirectory() as tmp:
            contract = Path(tmp) / "contract.pdf"
            write_contract(contract)
            main(contract, QUESTIONS)
