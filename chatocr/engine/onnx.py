"""ONNX Runtime sessions.  The only module that imports onnxruntime."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import InferenceError, ModelNotFound
from ..options import EngineOptions

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _register_shared_arena() -> bool:
    """Register one CPU arena with ONNX Runtime's environment, once per process."""
    import onnxruntime as ort

    try:
        info = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
        # no cap, blocks grown by powers of two (ONNX Runtime's defaults)
        ort.create_and_register_allocator(info, ort.OrtArenaCfg(0, 0, -1, -1))
    except Exception as e:  # an older or custom build without shared allocators: per-session arenas
        log.debug("shared ONNX Runtime arena unavailable (%s); using one per session", e)
        return False
    return True


class OnnxSession:
    """One ``InferenceSession``, created once and reused for every call."""

    def __init__(self, path: Path, options: EngineOptions) -> None:
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            raise ModelNotFound(f"{path}: ONNX model file not found")
        so = ort.SessionOptions()
        so.intra_op_num_threads = options.threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Without an arena every tensor is a fresh malloc: the large ones are
        # mmapped and their pages faulted in again on every page of a document
        # (0.3 s of kernel time per receipt). A per-session arena keeps each
        # model's peak; the shared one keeps only the largest.
        so.enable_cpu_mem_arena = options.memory_arena != "off"
        if options.memory_arena == "shared" and _register_shared_arena():
            so.add_session_config_entry("session.use_env_allocators", "1")
        so.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(path), sess_options=so, providers=list(options.providers)
            )
        except Exception as e:  # onnxruntime raises its own untyped errors
            raise ModelNotFound(f"{path}: cannot load ONNX model ({e})") from e
        self.path = path
        self._input = self._session.get_inputs()[0].name
        self.metadata: dict[str, str] = dict(
            self._session.get_modelmeta().custom_metadata_map
        )
        log.debug("loaded %s with %d threads", path, options.threads)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.run_all(x)[0]

    @property
    def output_names(self) -> list[str]:
        """Names of the model's outputs, in the order ``run_all`` returns them."""
        return [o.name for o in self._session.get_outputs()]

    @property
    def input_names(self) -> list[str]:
        return [i.name for i in self._session.get_inputs()]

    def run_feeds(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Every output, for a model with several named inputs (e.g. a text encoder's ids and mask)."""
        try:
            return self._session.run(None, feeds)
        except Exception as e:
            shapes = {k: v.shape for k, v in feeds.items()}
            raise InferenceError(f"{self.path.name}: inference failed on inputs {shapes} ({e})") from e

    def run_all(self, x: np.ndarray) -> list[np.ndarray]:
        """Every output of the model, in the model's output order (for multi-head models)."""
        try:
            return self._session.run(None, {self._input: x})
        except Exception as e:
            raise InferenceError(f"{self.path.name}: inference failed on input {x.shape} ({e})") from e
