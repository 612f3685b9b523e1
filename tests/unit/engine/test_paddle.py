"""Paddle Inference sessions on tiny models that this module builds and saves.

Every model is a handful of paddle ops with hand-set or random weights, saved
with ``paddle.jit.save`` (PIR: ``inference.json`` + ``inference.pdiparams``)
once per module.  The OCR models are scripted: the detector marks dark pixels,
the recogniser emits a fixed CTC sequence chosen by the line's colour, the
classifier always says "upright".
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

paddle = pytest.importorskip(
    "paddle", reason="paddlepaddle is not installed (pip install chatocr[paddle]); Paddle engine tests skipped"
)
import paddle.nn.functional as F  # noqa: E402
from paddle import nn  # noqa: E402
from paddle.static import InputSpec  # noqa: E402

from chatocr.engine import create_session  # noqa: E402
from chatocr.engine.paddle import PaddleSession, is_paddle_model, model_files  # noqa: E402
from chatocr.errors import InferenceError, ModelNotFound  # noqa: E402
from chatocr.options import EngineOptions, OCROptions  # noqa: E402

pytestmark = pytest.mark.paddle

DICT = list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
BLANK, SPACE = 0, len(DICT) + 1
NUM_CLASSES = len(DICT) + 2
TEXT_DARK, TEXT_BLUE = "HELLO", "WORLD 42"
# (x0, y0, x1, y1) of each line's rectangle on a white 240 x 480 page, and its BGR colour
RECT_DARK, RECT_BLUE = (40, 40, 240, 70), (40, 140, 300, 170)
BLACK, BLUE = (0, 0, 0), (200, 0, 0)
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


# -- tiny models -------------------------------------------------------------------------
class Probe(nn.Layer):
    """Conv, batch norm, pooling and an upsample (the op Paddle 3.3's oneDNN path cannot run)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2D(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2D(4)

    def forward(self, x):
        y = F.relu(self.bn(self.conv(x)))
        y = F.interpolate(F.avg_pool2d(y, 2), scale_factor=2, mode="nearest")
        return F.softmax(y, axis=1)


class Det(nn.Layer):
    """DB-style probability map: sigmoid(k * (darkness - 0.5)) of the un-normalised pixels.

    ``darkness = 1 - mean_c(x_c * std_c + mean_c)``, the page's ImageNet
    normalisation undone by a 1x1 convolution, so dark text on white is ~1.
    """

    def __init__(self, k: float = 20.0) -> None:
        super().__init__()
        self.logit = nn.Conv2D(3, 1, 1)
        self.logit.weight.set_value((-k * IMAGENET_STD / 3).reshape(1, 3, 1, 1))
        self.logit.bias.set_value(np.array([k * (0.5 - IMAGENET_MEAN.sum() / 3)], np.float32))

    def forward(self, x):
        y = self.logit(x)
        # a neck at 1/4 resolution and back up, like a real detector
        y = F.interpolate(F.avg_pool2d(y, 4), scale_factor=4, mode="nearest")
        return F.sigmoid(y)


def _ctc_table(text: str, steps: int = 256, scale: float = 12.0) -> np.ndarray:
    """Logits (steps x classes) that greedy CTC decodes to ``text``: one step per char, blanks between."""
    table = np.zeros((steps, NUM_CLASSES), np.float32)
    table[:, BLANK] = scale
    for i, ch in enumerate(text):
        t = 2 * i + 1
        table[t, BLANK] = 0.0
        table[t, SPACE if ch == " " else DICT.index(ch) + 1] = scale
    return table


class Rec(nn.Layer):
    """N x 3 x 48 x W (BGR in [-1, 1]) -> N x W/8 x C softmax: ``TEXT_BLUE`` for blue lines, else ``TEXT_DARK``."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("dark", paddle.to_tensor(_ctc_table(TEXT_DARK)))
        self.register_buffer("blue", paddle.to_tensor(_ctc_table(TEXT_BLUE)))

    def forward(self, x):
        cols = F.avg_pool2d(x, kernel_size=[48, 8], stride=[48, 8])  # N x 3 x 1 x T
        steps = paddle.shape(cols)[3]
        zeros = paddle.unsqueeze(cols[:, 0, 0, :], -1) * 0.0  # N x T x 1
        blueness = paddle.mean(x[:, 0] - x[:, 2], axis=[1, 2])  # B - R over the line
        w = paddle.reshape(F.sigmoid(50.0 * (blueness - 0.1)), [-1, 1, 1])
        dark = paddle.slice(self.dark, axes=[0], starts=[0], ends=[steps])
        blue = paddle.slice(self.blue, axes=[0], starts=[0], ends=[steps])
        return F.softmax(zeros + w * blue + (1.0 - w) * dark, axis=-1)


class Cls(nn.Layer):
    """N x 3 x 48 x 192 -> N x 2: always P(0 degrees) = 0.95."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("logits", paddle.to_tensor(np.array([[np.log(0.95), np.log(0.05)]], np.float32)))

    def forward(self, x):
        zeros = paddle.unsqueeze(paddle.mean(x, axis=[1, 2, 3]), -1) * 0.0  # N x 1
        return F.softmax(zeros + self.logits, axis=-1)


def _save(layer: nn.Layer, folder: Path, spec: list[int | None]) -> Path:
    layer.eval()
    paddle.jit.save(layer, str(folder / "inference"), input_spec=[InputSpec(spec, "float32", "x")])
    return folder


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict:
    """Every model, saved once: the layers (for eager reference outputs) and their folders."""
    paddle.seed(7)
    root = tmp_path_factory.mktemp("paddle_models")
    probe = Probe()
    # non-trivial batch-norm statistics, so that inference mode differs from training mode
    probe.bn._mean.set_value(paddle.to_tensor(np.linspace(-0.2, 0.2, 4).astype(np.float32)))
    probe.bn._variance.set_value(paddle.to_tensor(np.linspace(0.5, 2.0, 4).astype(np.float32)))
    ocr = root / "ocr"
    layers = {"probe": probe, "det": Det(), "rec": Rec(), "cls": Cls()}
    dirs = {
        "probe": _save(probe, root / "probe", [None, 3, None, None]),
        "det": _save(layers["det"], ocr / "det", [None, 3, None, None]),
        "rec": _save(layers["rec"], ocr / "rec", [None, 3, 48, None]),
        "cls": _save(layers["cls"], ocr / "cls", [None, 3, 48, 192]),
    }
    (ocr / "dict.txt").write_text("\n".join(DICT) + "\n", encoding="utf-8")
    return {"layers": layers, "dirs": dirs, "ocr": ocr, "root": root}


@pytest.fixture(scope="module")
def probe_session(models) -> PaddleSession:
    return PaddleSession(models["dirs"]["probe"], EngineOptions(threads=2))


def _eager(layer: nn.Layer, x: np.ndarray) -> np.ndarray:
    with paddle.no_grad():
        return layer(paddle.to_tensor(x)).numpy()


# -- (a) the session equals the layer ------------------------------------------------------------
def test_jit_save_writes_pir_files(models):
    names = sorted(p.name for p in models["dirs"]["probe"].iterdir())
    assert "inference.json" in names and "inference.pdiparams" in names
    assert not any(n.endswith(".pdmodel") for n in names)


def test_session_matches_eager_output_on_varying_shapes(models, probe_session):
    rng = np.random.default_rng(0)
    layer = models["layers"]["probe"]
    # dynamic batch and spatial sizes, and back to a size seen before (memory is reused across runs)
    for shape in [(1, 3, 32, 32), (2, 3, 64, 96), (3, 3, 16, 40), (1, 3, 32, 32)]:
        x = rng.normal(size=shape).astype(np.float32)
        out = probe_session(x)
        assert out.dtype == np.float32 and out.shape == (shape[0], 4, shape[2], shape[3])
        np.testing.assert_allclose(out, _eager(layer, x), rtol=1e-5, atol=1e-5)


def test_session_casts_and_copies_input(models, probe_session):
    x = np.random.default_rng(1).normal(size=(1, 3, 64, 64))  # float64, and a non-contiguous view below
    out = probe_session(x[:, :, ::2, ::2])
    np.testing.assert_allclose(out, _eager(models["layers"]["probe"], x[:, :, ::2, ::2].astype(np.float32)), atol=1e-5)


def test_rec_session_matches_eager_output(models):
    session = create_session(models["dirs"]["rec"], EngineOptions(threads=1))
    assert isinstance(session, PaddleSession) and session.threads == 1
    x = np.random.default_rng(2).uniform(-1, 1, size=(2, 3, 48, 320)).astype(np.float32)
    x[1, 0] = 0.9  # a blue line
    out = session(x)
    assert out.shape == (2, 40, NUM_CLASSES)
    np.testing.assert_allclose(out, _eager(models["layers"]["rec"], x), rtol=1e-5, atol=1e-6)


def test_session_is_safe_to_share_between_threads(models, probe_session):
    rng = np.random.default_rng(3)
    xs = [rng.normal(size=(1, 3, 16 * (1 + i % 3), 32)).astype(np.float32) for i in range(8)]
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(probe_session, xs))
    for x, out in zip(xs, outs, strict=True):
        np.testing.assert_allclose(out, _eager(models["layers"]["probe"], x), rtol=1e-5, atol=1e-5)


def test_bad_input_raises_inference_error(probe_session):
    with pytest.raises(InferenceError, match=r"inference\.json: inference failed on input \(1, 5, 32, 32\)"):
        probe_session(np.zeros((1, 5, 32, 32), np.float32))
    # the session still works afterwards
    assert probe_session(np.zeros((1, 3, 32, 32), np.float32)).shape == (1, 4, 32, 32)


def test_corrupt_model_raises_model_not_found(tmp_path):
    (tmp_path / "inference.json").write_text("{not a program", encoding="utf-8")
    (tmp_path / "inference.pdiparams").write_bytes(b"\0" * 16)
    with pytest.raises(ModelNotFound, match="cannot load Paddle model with paddlepaddle"):
        PaddleSession(tmp_path, EngineOptions(threads=1))


# A fresh process (paddle is already imported in this one) that imports paddle the way
# chatocr does, reports the root logger, then saves a model with PIR off, which makes
# Paddle 3's jit.save write the legacy .pdmodel format.
_CHILD = textwrap.dedent(
    """
    import logging
    import sys

    from chatocr.engine.paddle import _import_inference

    _import_inference()
    root = logging.getLogger()
    print("root logger:", len(root.handlers), logging.getLevelName(root.level), flush=True)

    import numpy as np
    import paddle
    import paddle.nn.functional as F
    from paddle import nn
    from paddle.static import InputSpec

    class Legacy(nn.Layer):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2D(3, 2, 3, padding=1)

        def forward(self, x):
            y = F.interpolate(F.relu(self.conv(x)), scale_factor=2, mode="nearest")
            return F.softmax(y, axis=1)

    paddle.seed(3)
    layer = Legacy()
    layer.eval()
    paddle.jit.save(layer, sys.argv[1] + "/inference", input_spec=[InputSpec([None, 3, None, None], "float32", "x")])
    x = np.random.default_rng(4).normal(size=(2, 3, 12, 20)).astype(np.float32)
    np.save(sys.argv[1] + "/x.npy", x)
    np.save(sys.argv[1] + "/y.npy", layer(paddle.to_tensor(x)).numpy())
    """
)


@pytest.fixture(scope="module")
def child(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    root = tmp_path_factory.mktemp("paddle_child")
    script, folder = root / "child.py", root / "legacy"
    script.write_text(_CHILD, encoding="utf-8")
    folder.mkdir()
    env = {**os.environ, "FLAGS_enable_pir_api": "0"}
    done = subprocess.run(
        [sys.executable, str(script), str(folder)], env=env, capture_output=True, text=True, timeout=180
    )
    return done, folder


def test_importing_paddle_leaves_root_logger_alone(child):
    """paddle's import gives the root logger an INFO handler; the session's import takes it away."""
    done, _ = child
    assert "root logger: 0 WARNING" in done.stdout.splitlines(), (done.stdout, done.stderr[-2000:])


def test_legacy_pdmodel_format(child):
    """Paddle 3 writes ``.pdmodel`` only when started with PIR off; such models still load."""
    done, folder = child
    if done.returncode != 0 or not (folder / "inference.pdmodel").is_file():
        pytest.skip(f"this paddlepaddle cannot save the legacy format: {done.stderr.strip().splitlines()[-1:]}")
    assert model_files(folder) == (folder / "inference.pdmodel", folder / "inference.pdiparams")
    assert is_paddle_model(folder) and is_paddle_model(folder / "inference.pdmodel")
    session = create_session(folder, EngineOptions(threads=1))
    assert isinstance(session, PaddleSession) and not session.pir
    out = session(np.load(folder / "x.npy"))
    np.testing.assert_allclose(out, np.load(folder / "y.npy"), rtol=1e-5, atol=1e-6)


# -- (b) what counts as a Paddle model -------------------------------------------------------------
def test_is_paddle_model(models, tmp_path):
    probe = models["dirs"]["probe"]
    assert is_paddle_model(probe)
    assert is_paddle_model(str(probe))
    assert is_paddle_model(probe / "inference.json")
    assert is_paddle_model(probe / "inference.pdiparams")
    assert model_files(probe) == (probe / "inference.json", probe / "inference.pdiparams")
    assert model_files(probe / "inference.pdiparams") == model_files(probe)

    assert not is_paddle_model(tmp_path)  # empty folder
    assert not is_paddle_model(tmp_path / "missing")
    onnx = tmp_path / "det.onnx"
    onnx.write_bytes(b"onnx")
    assert not is_paddle_model(onnx)
    # a program without weights beside it is not a model
    half = tmp_path / "half"
    half.mkdir()
    (half / "inference.json").write_text("{}")
    assert not is_paddle_model(half) and not is_paddle_model(half / "inference.json")
    # another prefix, legacy format
    other = tmp_path / "other"
    other.mkdir()
    (other / "model.pdmodel").write_bytes(b"x")
    (other / "model.pdiparams").write_bytes(b"x")
    assert model_files(other) == (other / "model.pdmodel", other / "model.pdiparams")
    # a folder holding both formats: PIR first
    (other / "inference.json").write_text("{}")
    (other / "inference.pdiparams").write_bytes(b"x")
    assert model_files(other) == (other / "inference.json", other / "inference.pdiparams")
    # an .onnx named folder of Paddle files is still not a Paddle model (suffix wins)
    weird = tmp_path / "x.onnx"
    weird.mkdir()
    (weird / "inference.json").write_text("{}")
    (weird / "inference.pdiparams").write_bytes(b"x")
    assert not is_paddle_model(weird)


def test_missing_model_raises_model_not_found(tmp_path):
    with pytest.raises(ModelNotFound, match="no Paddle inference model"):
        PaddleSession(tmp_path, EngineOptions(threads=1))


# -- (c) the whole pipeline on path:DIR of Paddle models ------------------------------------------
def _page() -> np.ndarray:
    image = np.full((240, 480, 3), 255, np.uint8)
    for (x0, y0, x1, y1), colour in ((RECT_DARK, BLACK), (RECT_BLUE, BLUE)):
        image[y0:y1, x0:x1] = colour
    return image


def _check_box(bbox, rect) -> None:
    x0, y0, x1, y1 = rect
    grow = 2 + (y1 - y0)  # DB unclip grows a box by about area * 1.4 / perimeter
    assert bbox[0] <= x0 + 2 and bbox[1] <= y0 + 2 and bbox[2] >= x1 - 3 and bbox[3] >= y1 - 3, (bbox, rect)
    assert bbox[0] >= x0 - grow and bbox[1] >= y0 - grow and bbox[2] <= x1 + grow and bbox[3] <= y1 + grow, (bbox, rect)


def test_ocr_engine_on_paddle_models(models, tmp_path):
    from chatocr.models import resolve
    from chatocr.ocr import OCREngine

    ocr = models["ocr"]
    files = resolve(f"path:{ocr}")
    assert (files.det, files.rec, files.cls, files.dictionary) == (
        ocr / "det",
        ocr / "rec",
        ocr / "cls",
        ocr / "dict.txt",
    )

    engine = OCREngine(OCROptions(model=f"path:{ocr}", engine=EngineOptions(threads=2)))
    assert all(isinstance(s, PaddleSession) for s in (engine.detector.session, engine.recognizer.session))
    assert engine.classifier is not None and isinstance(engine.classifier.session, PaddleSession)

    raw = engine.read_image(_page())
    assert raw.texts == [TEXT_DARK, TEXT_BLUE]
    assert np.all(raw.scores > 0.9)
    for quad, rect in zip(raw.quads, (RECT_DARK, RECT_BLUE), strict=True):
        _check_box((quad[:, 0].min(), quad[:, 1].min(), quad[:, 0].max(), quad[:, 1].max()), rect)

    # the same through the document API, from a file
    import cv2

    path = tmp_path / "page.png"
    cv2.imwrite(str(path), _page())
    result = engine(path)
    (page,) = result.pages
    assert [line.text for line in page.lines] == [TEXT_DARK, TEXT_BLUE]
    for line, rect in zip(page.lines, (RECT_DARK, RECT_BLUE), strict=True):
        _check_box(line.bbox, rect)


def test_blank_page_gives_no_lines(models):
    from chatocr.ocr import OCREngine

    engine = OCREngine(OCROptions(model=f"path:{models['ocr']}", engine=EngineOptions(threads=1)))
    raw = engine.read_image(np.full((64, 128, 3), 255, np.uint8))
    assert raw.texts == [] and raw.quads.shape == (0, 4, 2)


def test_dictionary_from_inference_yml(models, tmp_path):
    """Without a dict.txt, the characters come from the rec model's inference.yml, as PaddleOCR exports it."""
    import shutil

    from chatocr.models import load_dictionary, resolve

    ocr = tmp_path / "ocr"
    shutil.copytree(models["ocr"], ocr)
    (ocr / "dict.txt").unlink()
    yml = "PostProcess:\n  name: CTCLabelDecode\n  character_dict:\n" + "".join(f"  - '{c}'\n" for c in DICT)
    (ocr / "rec" / "inference.yml").write_text(yml, encoding="utf-8")
    files = resolve(f"path:{ocr}")
    assert files.dictionary is None
    assert load_dictionary(files, {}) == DICT


def test_onednn_gap_falls_back_to_native_kernels_once(models, caplog, monkeypatch):
    """Paddle 3.3's oneDNN executor fails on float-list attributes: the session rebuilds without oneDNN."""
    session = PaddleSession(models["dirs"]["probe"], EngineOptions(threads=1))
    assert session.onednn
    real_run, calls = PaddleSession._run, []

    def run(self, x):
        calls.append(self.onednn)
        if self.onednn:
            raise NotImplementedError(
                "(Unimplemented) ConvertPirAttribute2RuntimeAttribute not support "
                "[pir::ArrayAttribute<pir::DoubleAttribute>]\n  (at onednn_instruction.cc:116)"
            )
        return real_run(self, x)

    monkeypatch.setattr(PaddleSession, "_run", run)
    x = np.random.default_rng(5).normal(size=(1, 3, 32, 32)).astype(np.float32)
    with caplog.at_level("WARNING", logger="chatocr.engine.paddle"):
        out = session(x)
        session(x)
    assert calls == [True, False, False] and not session.onednn
    np.testing.assert_allclose(out, _eager(models["layers"]["probe"], x), rtol=1e-5, atol=1e-5)
    (record,) = caplog.records
    assert "cannot run this model with oneDNN" in record.getMessage()
    assert "ConvertPirAttribute2RuntimeAttribute" in record.getMessage() and "\n" not in record.getMessage()


def test_other_errors_do_not_fall_back(models, monkeypatch):
    session = PaddleSession(models["dirs"]["probe"], EngineOptions(threads=1))
    onednn = session.onednn

    def run(self, x):
        raise RuntimeError("(InvalidArgument) something else\n  [Hint: ...]")

    monkeypatch.setattr(PaddleSession, "_run", run)
    with pytest.raises(InferenceError, match=r"\(\(InvalidArgument\) something else\)$"):
        session(np.zeros((1, 3, 8, 8), np.float32))
    assert session.onednn == onednn


def test_first_run_keeps_stdout_clean(models, capfd):
    """Paddle's C++ prints debugging text on stdout while building kernels; the session sends it to stderr."""
    session = PaddleSession(models["dirs"]["rec"], EngineOptions(threads=1))
    capfd.readouterr()
    print("before", flush=True)
    session(np.zeros((1, 3, 48, 64), np.float32))
    print("after", flush=True)
    out, _ = capfd.readouterr()
    assert out == "before\nafter\n"
