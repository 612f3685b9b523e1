"""Shared fixtures: one OCR engine per session, synthetic documents, the SROIE dev set."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from chatocr_testkit import BAD_INPUTS, SROIE_DIR, Render


@pytest.fixture(scope="session")
def render() -> type[Render]:
    """Rendering helpers: ``render.line``, ``render.page``, ``render.pdf``, ``render.encode``."""
    return Render


@pytest.fixture(scope="session")
def engine():
    """The default-model OCR engine, created once for the whole session."""
    from chatocr.errors import ModelNotFound
    from chatocr.ocr import OCREngine

    try:
        return OCREngine()
    except ModelNotFound as e:
        pytest.skip(f"default OCR model not installed: {e}")


@pytest.fixture(scope="session")
def sroie() -> Path:
    """The SROIE dev set (img/NNN.jpg, box/NNN.csv): ../shared/data/sroie-dev from the repository."""
    if not (SROIE_DIR / "img").is_dir() or not (SROIE_DIR / "box").is_dir():
        pytest.skip(f"SROIE dev data not found at {SROIE_DIR} (expected img/ and box/ there)")
    return SROIE_DIR


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, bytes], Path]:
    """``write(name, data)``: a file ``name`` holding ``data`` in a fresh temporary folder."""

    def _write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return _write


@pytest.fixture(scope="session")
def bad_files(tmp_path_factory) -> dict[str, Path]:
    """Every case of ``BAD_INPUTS`` as a path (the missing one is not created)."""
    root = tmp_path_factory.mktemp("bad")
    paths = {}
    for case, (name, content, _) in BAD_INPUTS.items():
        path = root / name
        if case == "directory":
            path.mkdir()
        elif content is not None:
            path.write_bytes(content())
        paths[case] = path
    return paths
