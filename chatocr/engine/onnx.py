"""ONNX Runtime sessions.  The only module that imports onnxruntime."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._cache import default_cache_dir
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


def hard_swish_fused(path: Path) -> tuple[bytes | None, int]:
    """The model at ``path`` with each hard-swish spelled out in four nodes, ``x * clip(x + 3, 0, 6) / 6``
    (as Paddle's exporter writes it), replaced by ``x * HardSigmoid(x)``, and how many were replaced;
    ``(None, 0)`` when there is none, so that the file is loaded as it is.

    ONNX Runtime does not fuse the four-node form: on the CDLA layout model its Add, Clip, Mul and
    Div, and the layout reorders around them, took a third of the run.  HardSigmoid (alpha 1/6,
    beta 1/2) is the same function and exists at every opset, so the model's opset stays.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    producer = {o: n for n in graph.node for o in n.output}
    consumers: dict[str, int] = {}
    for n in graph.node:
        for i in n.input:
            consumers[i] = consumers.get(i, 0) + 1
    for o in graph.output:
        consumers[o.name] = consumers.get(o.name, 0) + 1
    inits = {i.name: i for i in graph.initializer}

    def scalar(name: str) -> float | None:
        if name in inits:
            a = numpy_helper.to_array(inits[name])
        else:
            n = producer.get(name)
            if n is None or n.op_type != "Constant" or not n.attribute or n.attribute[0].name != "value":
                return None
            a = numpy_helper.to_array(n.attribute[0].t)
        return float(a.reshape(())) if a.size == 1 else None

    def node(name: str, op: str):
        n = producer.get(name)
        return n if n is not None and n.op_type == op else None

    replace: dict[int, list] = {}
    drop: set[int] = set()
    for div in graph.node:
        if div.op_type != "Div" or scalar(div.input[1]) != 6.0 or (mul := node(div.input[0], "Mul")) is None:
            continue
        for x, c in ((mul.input[0], mul.input[1]), (mul.input[1], mul.input[0])):
            clip = node(c, "Clip")
            add = node(clip.input[0], "Add") if clip is not None and len(clip.input) == 3 else None
            if (
                add is None
                or x not in add.input
                or scalar(add.input[1] if add.input[0] == x else add.input[0]) != 3.0
                or scalar(clip.input[1]) != 0.0
                or scalar(clip.input[2]) != 6.0
                or any(consumers.get(n.output[0], 0) != 1 for n in (add, clip, mul))
            ):
                continue
            gate = div.output[0] + "__hard_sigmoid"
            replace[id(div)] = [
                helper.make_node("HardSigmoid", [x], [gate], alpha=1.0 / 6.0, beta=0.5),
                helper.make_node("Mul", [x, gate], [div.output[0]]),
            ]
            drop.update((id(add), id(clip), id(mul)))
            break
    if not replace:
        return None, 0
    nodes = []
    for n in graph.node:
        if id(n) in replace:
            nodes += replace[id(n)]
        elif id(n) not in drop:
            nodes.append(n)
    del graph.node[:]
    graph.node.extend(nodes)
    return model.SerializeToString(), len(replace)


# the version of what ``hard_swish_fused`` writes: a change to it must not load files fused before
_FUSION = 1


def _fused_cache(path: Path) -> tuple[Path, Path]:
    """Where the fused form of the model at ``path`` is kept, and the mark that it has nothing to
    fuse: in the cache folder, named by the model's content, so an updated model is fused anew."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
    base = default_cache_dir() / "models" / f"{path.stem}-{digest}-hswish{_FUSION}"
    return base.parent / (base.name + ".onnx"), base.parent / (base.name + ".none")


def _keep(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically; a cache that cannot be written is only slower."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as e:
        log.debug("cannot keep %s (%s): the model is fused again next time", target, e)


def hard_swish_fused_source(path: Path, *, fresh: bool = False) -> str | bytes:
    """What to load for the model at ``path`` with its hard-swishes fused (``hard_swish_fused``):
    the file fused on an earlier run, kept in the cache folder (``$CHATOCR_CACHE_DIR/models``), else
    the model fused now, and kept for the next run; the file itself where there is nothing to fuse.
    Fusing needs the ``onnx`` package, whose import alone takes longer than loading every model
    of the OCR pipeline.  ``fresh``: fuse again, whatever the cache holds (it did not load)."""
    fused, nothing = _fused_cache(path)
    if not fresh:
        if fused.is_file():
            return str(fused)
        if nothing.is_file():
            return str(path)
    data, n = hard_swish_fused(path)
    log.debug("%s: %d hard-swish activations fused", path.name, n)
    if data is None:
        _keep(nothing, b"")
        return str(path)
    _keep(fused, data)
    return data


class OnnxSession:
    """One ``InferenceSession``, created once and reused for every call.

    ``fuse_hard_swish`` loads the model with its four-node hard-swishes fused (see
    ``hard_swish_fused``), from the cache folder after the first time (``hard_swish_fused_source``).
    """

    def __init__(self, path: Path, options: EngineOptions, *, fuse_hard_swish: bool = False) -> None:
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
        so.add_session_config_entry("session.intra_op.allow_spinning", "1" if options.spin else "0")
        so.log_severity_level = 3
        try:
            source = hard_swish_fused_source(path) if fuse_hard_swish else str(path)
            try:
                self._session = ort.InferenceSession(source, sess_options=so, providers=list(options.providers))
            except Exception:
                if not isinstance(source, str) or source == str(path):
                    raise
                # a fused file in the cache that does not load (cut short, altered): fuse again
                log.warning("%s: the fused model kept in %s does not load; fusing it again", path.name, source)
                source = hard_swish_fused_source(path, fresh=True)
                self._session = ort.InferenceSession(source, sess_options=so, providers=list(options.providers))
        except Exception as e:  # onnxruntime and onnx raise their own untyped errors
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
