"""chatocr.engine.onnx.hard_swish_fused: the four-node hard-swish becomes x * HardSigmoid(x), nothing else
changes; the fused model is kept in the cache folder, so later sessions load it without the ``onnx`` package."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import chatocr.engine.onnx as onnx_engine
from chatocr.engine.onnx import OnnxSession, hard_swish_fused
from chatocr.options import EngineOptions


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """A cache folder of the test's own."""
    root = tmp_path / "cache"
    monkeypatch.setenv("CHATOCR_CACHE_DIR", str(root))
    return root


def _const(name: str, value: float):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.array(value, np.float32), name))


def _model(path, *, hi: float = 6.0, leak: bool = False, opset: int = 13):
    """y = hswish(conv(x)) spelled out as Paddle exports it; ``hi`` != 6 or a leaked intermediate
    (the clip also feeds an output) must leave the graph alone."""
    w = numpy_helper.from_array(np.random.default_rng(0).normal(size=(4, 3, 3, 3)).astype(np.float32), "w")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
        _const("three", 3.0), _const("zero", 0.0), _const("hi", hi), _const("six", 6.0),
        helper.make_node("Add", ["c", "three"], ["a"]),
        helper.make_node("Clip", ["a", "zero", "hi"], ["k"]),
        helper.make_node("Mul", ["c", "k"], ["m"]),
        helper.make_node("Div", ["m", "six"], ["y"]),
    ]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    if leak:
        outputs.append(helper.make_tensor_value_info("k", TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              outputs, initializer=[w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(model, path)
    return path


def test_fused_model_computes_the_same(tmp_path):
    path = _model(tmp_path / "m.onnx")
    data, n = hard_swish_fused(path)
    assert n == 1
    fused = onnx.load_from_string(data)
    ops = [nd.op_type for nd in fused.graph.node if nd.op_type != "Constant"]
    assert ops == ["Conv", "HardSigmoid", "Mul"]
    assert fused.opset_import[0].version == 13  # no opset change
    x = np.random.default_rng(1).normal(scale=3, size=(1, 3, 8, 8)).astype(np.float32)
    plain = OnnxSession(path, EngineOptions(threads=1))
    fast = OnnxSession(path, EngineOptions(threads=1), fuse_hard_swish=True)
    np.testing.assert_allclose(fast(x), plain(x), rtol=1e-5, atol=1e-5)
    y = plain(x)
    assert (y == 0).any() and (y < 0).any() and (y > 3).any()  # every piece of the clip is exercised


@pytest.mark.parametrize("kwargs", [{"hi": 5.0}, {"leak": True}])
def test_other_graphs_are_left_alone(tmp_path, kwargs):
    path = _model(tmp_path / "m.onnx", **kwargs)
    data, n = hard_swish_fused(path)
    assert (data, n) == (None, 0)
    # the session loads the file as it is, and computes what the plain one does
    x = np.random.default_rng(2).normal(scale=3, size=(1, 3, 8, 8)).astype(np.float32)
    plain = OnnxSession(path, EngineOptions(threads=1))
    asked = OnnxSession(path, EngineOptions(threads=1), fuse_hard_swish=True)
    np.testing.assert_array_equal(asked(x), plain(x))


def test_the_layout_model_is_fused():
    from chatocr.structure.layout import layout_model_path

    _, n = hard_swish_fused(layout_model_path())
    assert n >= 90  # PicoDet-LCNet: one per convolution block


def _x(seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(scale=3, size=(1, 3, 8, 8)).astype(np.float32)


def _not_again(monkeypatch) -> None:
    def refuse(path):
        raise AssertionError(f"{path} fused again")

    monkeypatch.setattr(onnx_engine, "hard_swish_fused", refuse)


def test_the_fused_model_is_kept_and_loaded_from_the_cache(tmp_path, cache, monkeypatch):
    path = _model(tmp_path / "m.onnx")
    want = OnnxSession(path, EngineOptions(threads=1))(_x())
    first = OnnxSession(path, EngineOptions(threads=1), fuse_hard_swish=True)
    kept = list((cache / "models").iterdir())
    assert [p.suffix for p in kept] == [".onnx"] and kept[0].name.startswith("m-")
    assert [n.op_type for n in onnx.load(str(kept[0])).graph.node if n.op_type != "Constant"] == [
        "Conv", "HardSigmoid", "Mul"]
    _not_again(monkeypatch)
    second = OnnxSession(path, EngineOptions(threads=1), fuse_hard_swish=True)
    np.testing.assert_allclose(second(_x()), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(second(_x()), first(_x()))


def test_a_model_with_nothing_to_fuse_is_marked_so(tmp_path, cache, monkeypatch):
    path = _model(tmp_path / "m.onnx", hi=5.0)
    OnnxSession(path, EngineOptions(threads=1), fuse_hard_swish=True)
    assert [p.suffix for p in (cache / "models").iterdir()] == [".none"]
    _not_again(monkeypatch)
    again = OnnxSession(path, EngineOptions(threads=1), fuse_hard_swish=True)
    np.testing.assert_array_equal(again(_x()), OnnxSession(path, EngineOptions(threads=1))(_x()))


def test_a_changed_model_is_fused_anew(tmp_path, cache):
    path = _model(tmp_path / "m.onnx")
    OnnxSession(path, EngineOptions(threads=1), fuse_hard_swish=True)
    _model(path, hi=5.0)  # same file name, other content: the kept fused file is not this model
    changed = OnnxSession(path, EngineOptions(threads=1), fuse_hard_swish=True)
    np.testing.assert_array_equal(changed(_x()), OnnxSession(path, EngineOptions(threads=1))(_x()))
    assert sorted(p.suffix for p in (cache / "models").iterdir()) == [".none", ".onnx"]


def test_a_cache_that_cannot_be_written_only_costs_time(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_bytes(b"")
    monkeypatch.setenv("CHATOCR_CACHE_DIR", str(blocked))
    path = _model(tmp_path / "m.onnx")
    fused = OnnxSession(path, EngineOptions(threads=1), fuse_hard_swish=True)
    np.testing.assert_allclose(fused(_x()), OnnxSession(path, EngineOptions(threads=1))(_x()), rtol=1e-5, atol=1e-5)
    assert blocked.is_file() and blocked.read_bytes() == b""


def test_a_damaged_fused_file_is_fused_again(tmp_path, cache, caplog):
    path = _model(tmp_path / "m.onnx")
    OnnxSession(path, EngineOptions(threads=1), fuse_hard_swish=True)
    (kept,) = (cache / "models").iterdir()
    kept.write_bytes(kept.read_bytes()[:100])  # cut short
    with caplog.at_level(logging.WARNING, logger="chatocr.engine.onnx"):
        fused = OnnxSession(path, EngineOptions(threads=1), fuse_hard_swish=True)
    assert "does not load; fusing it again" in caplog.text
    np.testing.assert_allclose(fused(_x()), OnnxSession(path, EngineOptions(threads=1))(_x()), rtol=1e-5, atol=1e-5)
    assert kept.read_bytes() == hard_swish_fused(path)[0]  # repaired


def test_the_ocr_engine_loads_without_onnx_once_its_classifier_is_kept(cache):
    """The ``onnx`` package takes longer to import than the whole OCR pipeline takes to load:
    the first engine fuses the line classifier, the next ones load the kept file."""
    script = ("import sys; from chatocr.ocr import OCREngine; e = OCREngine(); "
              "print(e.classifier is not None, 'onnx' in sys.modules)")
    env = {**os.environ, "CHATOCR_CACHE_DIR": str(cache)}
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
            for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr[-2000:] + runs[1].stderr[-2000:]
    assert [r.stdout.split() for r in runs] == [["True", "True"], ["True", "False"]]
