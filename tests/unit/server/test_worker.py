"""chatocr.server.worker: a parse worker takes the server's share of the cores and keeps the rest of the options."""

from __future__ import annotations

from chatocr.options import EngineOptions, OCROptions, ParserOptions
from chatocr.server import worker


def test_worker_threads_keep_the_other_engine_settings(monkeypatch):
    monkeypatch.setattr(worker, "_PARSER", None)
    engine = EngineOptions(threads=4, memory_arena="off", spin=False)
    options = ParserOptions(ocr=OCROptions(model="pp-ocrv5-mobile", engine=engine), kv=False)
    worker.init_worker(options.model_dump_json(), threads=1)
    got = worker._PARSER.options
    assert got.ocr.engine == EngineOptions(threads=1, memory_arena="off", spin=False)
    assert got.ocr.model == "pp-ocrv5-mobile" and got.kv is False
    worker.init_worker(options.model_dump_json())
    assert worker._PARSER.options.ocr.engine == engine
