"""Paddle Inference sessions for models in Paddle's inference format.

A model is a folder (or a path inside one) holding ``inference.json`` (PIR,
Paddle 3) or ``inference.pdmodel``/``*.pdmodel``, with ``*.pdiparams`` beside
it: what PaddleOCR users already have on disk (e.g. PP-OCRv5 server det/rec).
Needs ``pip install chatocr[paddle]``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..errors import InferenceError, ModelNotFound
from ..options import EngineOptions

log = logging.getLogger(__name__)


def _model_files(path: Path) -> tuple[Path, Path] | None:
    folder = path if path.is_dir() else path.parent
    if path.is_file() and path.suffix in (".json", ".pdmodel"):
        candidates = [path]
    else:
        candidates = [folder / "inference.json", folder / "inference.pdmodel", *sorted(folder.glob("*.pdmodel"))]
    for model in candidates:
        if model.is_file():
            params = model.with_suffix(".pdiparams")
            if params.is_file():
                return model, params
    return None


def is_paddle_model(path: Path) -> bool:
    path = Path(path)
    if path.suffix == ".onnx":
        return False
    return (path.is_dir() or path.suffix in (".json", ".pdmodel")) and _model_files(path) is not None


class PaddleSession:
    """A Paddle Inference predictor on the CPU, created once and reused."""

    def __init__(self, path: Path, options: EngineOptions) -> None:
        path = Path(path)
        files = _model_files(path)
        if files is None:
            raise ModelNotFound(f"{path}: no Paddle inference model (inference.json or .pdmodel with .pdiparams)")
        try:
            import paddle.inference as pi
        except ImportError as e:
            raise ModelNotFound(
                f"{path}: Paddle models need paddlepaddle; install it with `pip install chatocr[paddle]`"
            ) from e
        model, params = files
        config = pi.Config(str(model), str(params))
        config.disable_gpu()
        config.set_cpu_math_library_num_threads(options.threads)
        config.enable_memory_optim()
        config.disable_glog_info()
        try:
            self._predictor = pi.create_predictor(config)
        except Exception as e:
            raise ModelNotFound(f"{model}: cannot load Paddle model ({e})") from e
        self.path = model
        self._input = self._predictor.get_input_handle(self._predictor.get_input_names()[0])
        self._output = self._predictor.get_output_handle(self._predictor.get_output_names()[0])
        self.metadata: dict[str, str] = {}
        log.debug("loaded Paddle model %s", model)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        try:
            self._input.reshape(list(x.shape))
            self._input.copy_from_cpu(np.ascontiguousarray(x, dtype=np.float32))
            self._predictor.run()
            return self._output.copy_to_cpu()
        except Exception as e:
            raise InferenceError(f"{self.path.name}: inference failed on input {x.shape} ({e})") from e
