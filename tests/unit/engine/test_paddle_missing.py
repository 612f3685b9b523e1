"""Without paddlepaddle, a Paddle model gives ModelNotFound with the install hint.

These tests need no paddle: the model files are placeholders (the error comes
before they are read) and ``paddle`` is hidden or broken through sys.modules.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from chatocr.engine import create_session
from chatocr.engine.paddle import PaddleSession, is_paddle_model
from chatocr.errors import ModelError, ModelNotFound
from chatocr.options import EngineOptions, OCROptions

HINT = "pip install chatocr[paddle]"


def _fake_paddle_model(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "inference.json").write_text("{}", encoding="utf-8")
    (folder / "inference.pdiparams").write_bytes(b"")
    return folder


@pytest.fixture
def no_paddle(monkeypatch):
    """``import paddle`` fails as it does when paddlepaddle is not installed."""
    for name in [m for m in sys.modules if m == "paddle" or m.startswith("paddle.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "paddle", None)
    monkeypatch.setitem(sys.modules, "paddle.inference", None)


def test_missing_paddle_gives_model_not_found_with_hint(tmp_path, no_paddle):
    model = _fake_paddle_model(tmp_path / "det")
    assert is_paddle_model(model)  # detection needs no paddle
    with pytest.raises(ModelNotFound, match=r"not installed; install it with `pip install chatocr\[paddle\]`") as info:
        create_session(model, EngineOptions(threads=1))
    assert isinstance(info.value, ModelError) and isinstance(info.value, FileNotFoundError)
    assert isinstance(info.value.__cause__, ImportError)


def test_missing_paddle_through_the_pipeline(tmp_path, no_paddle):
    from chatocr.ocr import OCREngine

    root = tmp_path / "models"
    _fake_paddle_model(root / "det")
    _fake_paddle_model(root / "rec")
    (root / "dict.txt").write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(ModelNotFound) as info:
        OCREngine(OCROptions(model=f"path:{root}"))
    assert HINT in str(info.value)


class _BrokenPaddle:
    """A meta-path finder whose ``paddle`` fails to load, like a wheel with a missing shared library."""

    def find_spec(self, name, path=None, target=None):
        if name == "paddle" or name.startswith("paddle."):
            raise OSError("libpaddle.so: cannot open shared object file")
        return None


def test_broken_paddle_gives_model_not_found_with_hint(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "paddle" or m.startswith("paddle.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_BrokenPaddle(), *sys.meta_path])
    with pytest.raises(
        ModelNotFound, match=r"paddlepaddle failed to import \(libpaddle\.so.*\); reinstall it with"
    ) as info:
        PaddleSession(_fake_paddle_model(tmp_path / "rec"), EngineOptions(threads=1))
    assert HINT in str(info.value)
