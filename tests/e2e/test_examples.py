"""The examples run as they stand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.models
def test_ocr_quickstart_reads_the_sample_receipt():
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "ocr_quickstart.py")], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "TOTAL (RM)" in out.stdout and "37.50" in out.stdout
    assert out.stdout.startswith("page 1:")


def test_sample_receipt_is_reproducible(tmp_path):
    sys.path.insert(0, str(EXAMPLES))
    try:
        import make_receipt
    finally:
        sys.path.remove(str(EXAMPLES))
    target = tmp_path / "receipt.jpg"
    make_receipt.make(target)
    assert target.read_bytes()[:3] == b"\xff\xd8\xff"
    assert abs(target.stat().st_size - (EXAMPLES / "receipt.jpg").stat().st_size) < 20_000


# -- the examples of chatocr's interfaces (generated documents; each runs in a few seconds) -------------------

def _run_example(name: str, tmp_path: Path, *args: str, env: dict | None = None, timeout: int = 180, code: int = 0):
    import os

    clean = {k: v for k, v in os.environ.items()
             if k not in ("CHATOCR_LLM", "CHATOCR_AGENT_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "HTTP_PROXY",
                          "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")}
    clean.update(CHATOCR_CACHE_DIR=str(tmp_path / "cache"), NO_PROXY="127.0.0.1,localhost", **(env or {}))
    out = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                         timeout=timeout, env=clean, cwd=tmp_path)
    assert out.returncode == code, out.stdout + out.stderr
    return out


def _sample(tmp_path: Path, kind: str = "invoice", seed: int = 0) -> dict[str, str]:
    sys.path.insert(0, str(EXAMPLES))
    try:
        import sample_documents
    finally:
        sys.path.remove(str(EXAMPLES))
    if kind == "contract":
        return sample_documents.write_contract(tmp_path / "contract.pdf")
    return sample_documents.write_invoice(tmp_path / f"invoice-{seed}.pdf", seed)


def test_quickstart_extracts_and_answers_with_boxes(tmp_path):
    truth = _sample(tmp_path, seed=3)  # the invoice the example generates
    out = _run_example("quickstart.py", tmp_path).stdout
    for key in ("Invoice No", "Date", "Customer", "Total"):
        assert f"  {key}: {truth[key]}  (page 1, box [" in out, out
    assert f"A: {truth['Total']}" in out and "evidence: page 1, box [" in out


def test_invoices_to_csv_runs_the_batch_cli(tmp_path):
    truths = [_sample(tmp_path, seed=s) for s in range(3)]
    out = _run_example("invoices_to_csv.py", tmp_path).stdout
    assert '$ chatocr extract ' in out and '-k "Invoice No"' in out and "--out " in out
    for i, truth in enumerate(truths, 1):
        line = next(ln for ln in out.splitlines() if ln.startswith(f"invoice-{i}.pdf:"))
        assert f"Invoice No={truth['Invoice No']!r}" in line and f"Total={truth['Total']!r}" in line, line
        assert "ERROR" not in line


def test_invoices_to_csv_on_a_folder_with_a_bad_file(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    truth = _sample(folder, seed=7)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n" + b"\x00" * 50)
    out = _run_example("invoices_to_csv.py", tmp_path, str(folder), str(tmp_path / "r.csv"), code=1)
    assert f"Total={truth['Total']!r}" in out.stdout and "broken.pdf" in out.stdout and "ERROR" in out.stdout


def test_contract_chat_answers_follow_ups_with_evidence(tmp_path):
    terms = _sample(tmp_path, "contract")
    out = _run_example("contract_chat.py", tmp_path).stdout
    assert out.startswith("contract.pdf: 2 page(s)")
    for q, key in (("When does the agreement start?", "Effective date"), ("What is the monthly fee?", "Monthly fee"),
                   ("and the notice period?", "Notice period"), ("What is the governing law?", "Governing law")):
        assert f"Q: {q}\nA: {terms[key]}\n   [page 1, box [" in out, (q, out)


def test_langchain_agent_calls_the_tool_and_answers(tmp_path):
    truth = _sample(tmp_path, seed=5)
    out = _run_example("langchain_agent.py", tmp_path).stdout
    lines = out.strip().splitlines()
    assert lines[1].startswith("[ai] calls document_qa(")
    assert lines[2].startswith("[tool] {") and f'"answer": "{truth["Total"]}"' in lines[2]
    assert lines[-1] == f"[ai] Invoice {truth['Invoice No']} of {truth['Date']}: the total is {truth['Total']} (page 1)."


def test_openai_compatible_example_against_a_loopback_server(tmp_path):
    from unit.llm.llm_chat_server import ChatServer

    truth = _sample(tmp_path, seed=4)
    reply = json.dumps({"Invoice No": truth["Invoice No"], "Date": truth["Date"], "Total": truth["Total"],
                        "answer": truth["Total"], "quote": f"Total: {truth['Total']}"})
    with ChatServer() as llm:
        llm.enqueue(*[reply] * 8)
        spec = f"openai:loopback-model@{llm.url}"
        out = _run_example("openai_compatible.py", tmp_path, env={"CHATOCR_LLM": spec, "OPENAI_API_KEY": "sk-loop"})
    assert f"backend: {spec}" in out.stdout
    for key in ("Invoice No", "Date", "Total"):
        assert f"  {key}: {truth[key]}  (page 1, box [" in out.stdout, out.stdout
    assert f"A: {truth['Total']}" in out.stdout and "sk-loop" not in out.stdout + out.stderr
    assert llm.requests and all(r["json"]["model"] == "loopback-model" for r in llm.requests)
    assert truth["Invoice No"] in llm.prompt_text(0)  # the document's text reached the model


def test_openai_compatible_example_without_a_backend_uses_the_builtin_engine(tmp_path):
    truth = _sample(tmp_path, seed=4)
    out = _run_example("openai_compatible.py", tmp_path)
    assert "backend: builtin" in out.stdout and f"A: {truth['Total']}" in out.stdout
    assert "CHATOCR_LLM" in out.stderr
