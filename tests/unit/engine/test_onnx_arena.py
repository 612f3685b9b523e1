"""chatocr.engine.onnx: the memory arena settings read the same text, and the option keeps its first spelling."""

from __future__ import annotations

import pytest
from chatocr_testkit import render_page

from chatocr.options import EngineOptions, OCROptions


def test_arena_option_values():
    assert EngineOptions().memory_arena == "shared"
    # the option was a flag first: True meant one arena per session, False none
    assert EngineOptions(memory_arena=True).memory_arena == "session"
    assert EngineOptions(memory_arena=False).memory_arena == "off"
    with pytest.raises(ValueError):
        EngineOptions(memory_arena="pooled")


def test_every_arena_mode_reads_the_same(engine):
    from chatocr.ocr import OCREngine

    items = [(40, 40, "INVOICE 2041"), (40, 120, "Total due: 1,234.50"), (420, 120, "EUR"), (40, 200, "12/03/2024")]
    image, _ = render_page(items, size=(700, 300))
    # a second page of another size: the arena serves different shapes one after another
    other, _ = render_page([(30, 30, "Thank you")], size=(400, 120))
    expected = [engine.read_image(im) for im in (image, other)]
    for mode in ("shared", "session", "off"):
        reader = OCREngine(OCROptions(engine=EngineOptions(threads=1, memory_arena=mode)))
        for im, want in zip((image, other), expected, strict=True):
            got = reader.read_image(im)
            assert got.texts == want.texts, mode
            assert got.quads.shape == want.quads.shape
            assert abs(got.quads - want.quads).max() < 1.0, mode
    assert expected[0].texts == ["INVOICE 2041", "Total due: 1,234.50", "EUR", "12/03/2024"]


@pytest.mark.parametrize("spin", [False, True])
def test_threads_spin_only_when_asked(spin):
    from chatocr.engine.onnx import OnnxSession
    from chatocr.models import resolve

    det = resolve("pp-ocrv6-small").det
    session = OnnxSession(det, EngineOptions(threads=2, spin=spin))
    entry = session._session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning")
    assert entry == ("1" if spin else "0")
