"""The recogniser's batches side by side (``EngineOptions.parallel_batches``): one thread each, the same reading."""

from __future__ import annotations

import multiprocessing
import threading
import time

import numpy as np
import pytest
from chatocr_testkit import render_line

from chatocr.ocr import OCREngine
from chatocr.ocr.rec import TextRecognizer
from chatocr.options import EngineOptions, OCROptions

LINES = [" ".join(w for w in ("Item", f"{i:02d}", "x" * (i % 7), f"{i * 3}.{i % 10}0") if w) for i in range(30)]


class _Slow:
    """A session that takes its time and notes how many of its runs overlap (and on which threads)."""

    def __init__(self, classes: int) -> None:
        self.classes, self.running, self.most, self.threads = classes, 0, 0, set()
        self.lock = threading.Lock()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.threads.add(threading.get_ident())
        time.sleep(0.05)
        with self.lock:
            self.running -= 1
        out = np.zeros((x.shape[0], x.shape[3] // 8, self.classes), np.float32)
        out[..., 0] = 1.0  # blanks: nothing read
        return out


def test_batches_run_side_by_side_on_as_many_threads(engine):
    crops = [render_line(s, size=24) for s in LINES]
    slow = _Slow(engine.recognizer.decoder.num_classes)
    rec = TextRecognizer(engine.recognizer.options, session=slow, decoder=engine.recognizer.decoder, workers=2)
    assert len(rec.batches(crops)) >= 4
    out = rec(crops)
    assert slow.most == 2 and len(slow.threads) == 2 and out.texts == [""] * len(LINES)
    one = _Slow(engine.recognizer.decoder.num_classes)
    TextRecognizer(engine.recognizer.options, session=one, decoder=engine.recognizer.decoder)(crops)
    assert one.most == 1 and len(one.threads) == 1  # workers=1: in the caller's thread, one after another


@pytest.mark.models
def test_side_by_side_reads_what_one_after_another_reads(engine):
    crops = [render_line(s, size=24) for s in LINES]
    threads = max(2, engine.options.engine.threads)
    side = OCREngine(OCROptions(engine=EngineOptions(threads=threads)))
    seq = OCREngine(OCROptions(engine=EngineOptions(threads=threads, parallel_batches=False)))
    assert side.recognizer.workers == threads and seq.recognizer.workers == 1
    a, b = side.recognizer(crops), seq.recognizer(crops)
    assert a.texts == b.texts == LINES
    np.testing.assert_array_equal(a.scores, b.scores)
    assert all(np.array_equal(x, y) for x, y in zip(a.char_positions, b.char_positions, strict=True))
    view = side.with_options(side.options.model_copy(update={"page_orientation": False}))
    assert view.recognizer.workers == threads and view.recognizer.session is side.recognizer.session


def _read_in_child(rec: TextRecognizer, crops, out) -> None:
    out.put(rec(crops).texts)


@pytest.mark.models
@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform")
def test_a_forked_child_reads_with_threads_of_its_own(engine):
    """The parent's batch threads do not exist in a child made by fork: the child makes its own
    (reusing the parent's pool would wait forever)."""
    crops = [render_line(s, size=24) for s in LINES[:12]]
    rec = TextRecognizer(engine.recognizer.options.model_copy(update={"batch_size": 2}),
                         session=engine.recognizer.session, decoder=engine.recognizer.decoder, workers=2)
    assert rec(crops).texts == LINES[:12]  # the pool exists in this process now
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    child = ctx.Process(target=_read_in_child, args=(rec, crops, out))
    child.start()
    child.join(timeout=120)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive and child.exitcode == 0
    assert out.get(timeout=5) == LINES[:12]
