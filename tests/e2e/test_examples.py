"""The examples run as they stand."""

from __future__ import annotations

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
