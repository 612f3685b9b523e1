"""Inference engines: one array-in, array-out seam per backend.

Each backend module is imported lazily, so ``onnxruntime`` or ``paddle`` is
loaded only when a session of that kind is created.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from ..options import EngineOptions

__all__ = ["InferSession", "create_session"]


@runtime_checkable
class InferSession(Protocol):
    """A loaded model: one float32 batch in, the first output out."""

    def __call__(self, x: np.ndarray) -> np.ndarray: ...


def create_session(path: Path, options: EngineOptions, *, fuse_hard_swish: bool = False) -> InferSession:
    """Load ``path`` with the backend its files call for.

    ``.onnx`` files go to ONNX Runtime; a folder or file in Paddle inference
    format (``inference.json``/``.pdmodel`` + ``.pdiparams``) goes to Paddle.
    ``fuse_hard_swish`` applies to ONNX models (``chatocr.engine.onnx.hard_swish_fused``).
    """
    from .paddle import is_paddle_model

    if is_paddle_model(path):
        from .paddle import PaddleSession

        return PaddleSession(path, options)
    from .onnx import OnnxSession

    return OnnxSession(path, options, fuse_hard_swish=fuse_hard_swish)
