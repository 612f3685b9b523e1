"""chatocr.engine.onnx.hard_swish_fused: the four-node hard-swish becomes x * HardSigmoid(x), nothing else changes."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from chatocr.engine.onnx import OnnxSession, hard_swish_fused
from chatocr.options import EngineOptions


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
