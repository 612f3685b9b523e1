"""retrievers/ ships as chatocr.retrievers; chatocr core never imports it; pyproject lists every package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_importable_as_chatocr_retrievers():
    import chatocr.retrievers as r

    assert Path(r.__file__).resolve().parent == (ROOT / "retrievers").resolve() or "site-packages" in r.__file__


def test_core_never_imports_retrievers_or_langchain():
    code = (
        "import sys, chatocr, chatocr.index, chatocr.document;"
        "bad = [m for m in sys.modules if m.startswith(('chatocr.retrievers', 'langchain', 'torch', 'transformers', 'faiss'))];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    for py in (ROOT / "chatocr").rglob("*.py"):
        text = py.read_text(encoding="utf-8")
        assert "chatocr.retrievers" not in text and "from retrievers" not in text, py


def test_pyproject_lists_every_package():
    """setuptools cannot combine packages.find with the retrievers/ mapping, so packages are listed by hand."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    missing = sorted(_packages_with_code() - listed)
    assert not missing, f"add {missing} to [tool.setuptools] packages in pyproject.toml (else a wheel leaves them out)"
    assert config["package-dir"] == {"chatocr.retrievers": "retrievers", "chatocr.prompts": "prompts"}


def _packages_with_code() -> set[str]:
    """Folders under chatocr/ holding .py files: committed ones (work in progress elsewhere is not counted)."""
    try:
        out = subprocess.run(["git", "ls-files", "chatocr"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
        files = [ROOT / f for f in out.stdout.splitlines() if f.endswith(".py")]
    except (OSError, subprocess.SubprocessError):
        files = list((ROOT / "chatocr").rglob("*.py"))
    if not files:
        files = list((ROOT / "chatocr").rglob("*.py"))
    return {".".join(f.parent.relative_to(ROOT).parts) for f in files}
