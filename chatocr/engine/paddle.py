"""Paddle Inference sessions for models in Paddle's inference format.

A model is a folder (or a file inside one) holding a program and its weights:

* ``inference.json`` + ``inference.pdiparams``: PIR, what Paddle 3's
  ``paddle.jit.save`` writes and what PaddleOCR 3 ships (PP-OCRv5 det/rec);
* ``inference.pdmodel`` (or any ``*.pdmodel``) + ``.pdiparams``: the legacy
  program format of Paddle 2 (Paddle 3 still reads it, and writes it only with
  PIR off: ``FLAGS_enable_pir_api=0`` at start, or ``paddle.pir_utils.OldIrGuard``).

Needs ``pip install chatocr[paddle]``; ``paddle`` is imported only when a
session is created.

CPU settings are explicit: the thread count comes from ``EngineOptions``,
oneDNN runs the model with a bounded cache of kernels (line widths vary, and
each new input shape would otherwise add kernels for good), and memory is
reused across the ops of a run.  Paddle 3.3's oneDNN executor cannot run some
PIR programs (ops with float-list attributes, such as the ``interpolate`` of
every DB detector: "ConvertPirAttribute2RuntimeAttribute not support"); a
session that meets this error rebuilds its predictor on Paddle's own CPU
kernels once, logs a warning, and carries on.

Two side effects of paddle are contained: its import gives the root logger an
INFO handler (removed again), and its C++ prints debugging lines on stdout
while it builds kernels on a predictor's first run (sent to stderr instead).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InferenceError, ModelNotFound
from ..options import EngineOptions

__all__ = ["PaddleSession", "is_paddle_model", "model_files"]

log = logging.getLogger(__name__)

_PROGRAM_SUFFIXES = (".json", ".pdmodel")
_INSTALL_HINT = "install it with `pip install chatocr[paddle]`"
# oneDNN kernels kept per predictor; PaddleOCR's default (one set per input shape).
_ONEDNN_CACHE = 10


def model_files(path: Path | str) -> tuple[Path, Path] | None:
    """The (program, weights) pair of a Paddle inference model at ``path``, or None.

    ``path`` is a folder, a program file (``.json``/``.pdmodel``) or a weights
    file (``.pdiparams``).  In a folder, PIR ``inference.json`` is preferred,
    then ``inference.pdmodel``, then any other ``*.json``/``*.pdmodel`` that
    has weights beside it.
    """
    path = Path(path)
    if path.is_dir():
        candidates = [
            path / "inference.json",
            path / "inference.pdmodel",
            *sorted(path.glob("*.json")),
            *sorted(path.glob("*.pdmodel")),
        ]
    elif path.is_file() and path.suffix in _PROGRAM_SUFFIXES:
        candidates = [path]
    elif path.is_file() and path.suffix == ".pdiparams":
        candidates = [path.with_suffix(s) for s in _PROGRAM_SUFFIXES]
    else:
        return None
    for program in candidates:
        params = program.with_suffix(".pdiparams")
        if program.is_file() and params.is_file():
            return program, params
    return None


def is_paddle_model(path: Path | str) -> bool:
    """True when ``path`` is a Paddle inference model (folder or file); ``.onnx`` never is."""
    path = Path(path)
    if path.suffix == ".onnx":
        return False
    return model_files(path) is not None


def _import_inference() -> Any:
    """``paddle.inference``, or ModelNotFound with the install hint."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with warnings.catch_warnings():
            # paddle warns on import about build tools (ccache) it needs only for custom ops
            warnings.simplefilter("ignore")
            import paddle.inference as pi
    except ImportError as e:
        raise ModelNotFound(f"Paddle models need paddlepaddle, which is not installed; {_INSTALL_HINT}") from e
    except Exception as e:  # a broken install: missing shared libraries, an ABI mismatch
        raise ModelNotFound(
            f"paddlepaddle failed to import ({_brief(e)}); reinstall it with `pip install chatocr[paddle]`"
        ) from e
    finally:
        # importing paddle gives the root logger a stderr handler at INFO (paddle.distributed's
        # get_logger), which would print every library's INFO records: undo that
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    return pi


def _paddle_version() -> str:
    import paddle

    return str(getattr(paddle, "__version__", "?"))


def _brief(error: BaseException) -> str:
    """Paddle's messages run over many lines (hints, C++ traces): keep the first."""
    text = str(error)
    if "Error Message Summary:" in text:  # after a C++ traceback (FLAGS_call_stack_level=2)
        text = text.split("Error Message Summary:", 1)[1]
    lines = [line.strip() for line in text.splitlines() if line.strip().strip("-")]
    return lines[0] if lines else type(error).__name__


def _is_onednn_gap(error: BaseException) -> bool:
    """The oneDNN executor of Paddle 3.3 lacks an op attribute conversion this program needs."""
    text = str(error)
    return "ConvertPirAttribute2RuntimeAttribute" in text or "onednn_instruction" in text


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send file descriptor 1 to stderr for the block.

    Paddle's C++ prints debugging lines on stdout while it builds a program's
    kernels on the first run (3.2 and 3.3 print "ReduceMeanCheckIfOneDNNSupport"
    for a ``mean`` on oneDNN), which would corrupt what the process writes
    there, such as the CLI's JSON.
    """
    with contextlib.suppress(Exception):  # sys.stdout may be None or closed
        sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no stdout: nothing to protect
        yield
        return
    try:
        os.dup2(2, 1)
    except OSError:  # no stderr to send it to: leave stdout as it is
        os.close(saved)
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None).fflush(None)  # C stdio buffers, before fd 1 is given back
        os.dup2(saved, 1)
        os.close(saved)


class PaddleSession:
    """A Paddle Inference predictor on the CPU, created once and reused.

    Calls are serialised with a lock: one predictor is not safe to run from
    two threads at once.
    """

    def __init__(self, path: Path | str, options: EngineOptions) -> None:
        path = Path(path)
        files = model_files(path)
        if files is None:
            raise ModelNotFound(
                f"{path}: no Paddle inference model (inference.json or *.pdmodel with a .pdiparams beside it)"
            )
        self._pi = _import_inference()
        self.path, self.params = files
        self.pir = self.path.suffix == ".json"
        self.threads = options.threads
        self.onednn = True
        self.metadata: dict[str, str] = {}
        self._lock = threading.Lock()
        self._built = False  # kernels are built on a predictor's first run
        self._predictor, self._input, self._output = self._create()
        log.debug("loaded Paddle model %s (%s, %d threads)", self.path, "PIR" if self.pir else "legacy", self.threads)

    def _config(self) -> Any:
        config = self._pi.Config(str(self.path), str(self.params))
        config.disable_gpu()
        config.set_cpu_math_library_num_threads(self.threads)
        if self.onednn:
            config.enable_mkldnn()
            config.set_mkldnn_cache_capacity(_ONEDNN_CACHE)
        else:
            config.disable_mkldnn()
        # PIR programs need the new IR; a legacy program stays on the old one
        # (the new IR's oneDNN passes reject some legacy programs).
        config.enable_new_ir(self.pir)
        # memory_optim without the new executor fails on PIR programs
        # ("Not find predictor_id ... memory_optimize_pass").
        config.enable_new_executor()
        config.enable_memory_optim()
        config.switch_ir_optim(True)
        config.disable_glog_info()
        return config

    def _create(self) -> tuple[Any, Any, Any]:
        try:
            predictor = self._pi.create_predictor(self._config())
            inputs, outputs = predictor.get_input_names(), predictor.get_output_names()
        except Exception as e:
            raise ModelNotFound(
                f"{self.path}: cannot load Paddle model with paddlepaddle {_paddle_version()} ({_brief(e)})"
            ) from e
        if not inputs or not outputs:
            raise ModelNotFound(f"{self.path}: Paddle model has no inputs or no outputs")
        if len(inputs) > 1:
            log.warning("%s: model has %d inputs %s; feeding only %r", self.path, len(inputs), inputs, inputs[0])
        return predictor, predictor.get_input_handle(inputs[0]), predictor.get_output_handle(outputs[0])

    def _run(self, x: np.ndarray) -> np.ndarray:
        self._input.reshape(list(x.shape))
        self._input.copy_from_cpu(x)
        if self._built:
            self._predictor.run()
        else:
            with _stdout_to_stderr():
                self._predictor.run()
            self._built = True
        return self._output.copy_to_cpu()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        with self._lock:
            try:
                return self._run(x)
            except Exception as e:
                if not (self.onednn and _is_onednn_gap(e)):
                    raise InferenceError(f"{self.path}: inference failed on input {x.shape} ({_brief(e)})") from e
                log.warning(
                    "%s: paddlepaddle %s cannot run this model with oneDNN (%s); "
                    "using Paddle's native CPU kernels (slower; paddlepaddle 3.2.2 runs it with oneDNN)",
                    self.path,
                    _paddle_version(),
                    _brief(e),
                )
                self.onednn = False
                self._built = False
                try:
                    self._predictor, self._input, self._output = self._create()
                except ModelNotFound as e2:
                    raise InferenceError(f"{self.path}: inference failed on input {x.shape} ({_brief(e2)})") from e2
            try:
                return self._run(x)
            except Exception as e:
                raise InferenceError(f"{self.path}: inference failed on input {x.shape} ({_brief(e)})") from e
