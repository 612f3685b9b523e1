"""``chatocr.batch.read_pages``: the pages of one file read by worker processes, in order, errors typed."""

from __future__ import annotations

import multiprocessing

import pytest
from chatocr_testkit import render_page
from PIL import Image

from chatocr.batch import read_pages
from chatocr.errors import UnreadableDocument
from chatocr.options import EngineOptions, OCROptions

pytestmark = pytest.mark.models

OPTIONS = OCROptions(engine=EngineOptions(threads=1))


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    frames = [Image.fromarray(render_page([(30, 30, f"Scan page {n}")], size=(360, 100), font_size=26)[0][:, :, ::-1])
              for n in range(1, 9)]
    path = tmp_path_factory.mktemp("pages") / "scan8.tiff"
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(200, 200))
    return path


def test_the_pages_come_in_order_as_one_engine_reads_them(scan):
    got = list(read_pages(scan, [1, 2, 4, 5], OPTIONS, workers=2))
    assert [p.page for p in got] == [1, 2, 4, 5]
    assert [p.lines[0].text for p in got] == [f"Scan page {n}" for n in (1, 2, 4, 5)]
    from chatocr.ocr import OCREngine

    one = OCREngine(OPTIONS)
    assert got == [p for p in one.iter_pages(scan) if p.page in (1, 2, 4, 5)]


FORK = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                          reason="the workers must see the patched loader")


def damaged(monkeypatch, at: int):
    """The loader, in this process and the workers forked from it, fails on page ``at`` (the workers are
    forked here, as they are not otherwise, so that they see the patch)."""
    import chatocr._pool as pool
    import chatocr.io as io

    monkeypatch.setattr(pool, "start_method", lambda: multiprocessing.get_context("fork"))

    real = io.iter_pages

    def broken(source, options):
        for image in real(source, options):
            if image.page == at:
                raise UnreadableDocument(str(source), f"page {at} is damaged")
            yield image

    monkeypatch.setattr(io, "iter_pages", broken)


@FORK
def test_a_page_that_cannot_be_read_raises_its_typed_error_after_the_pages_before(scan, monkeypatch):
    damaged(monkeypatch, at=4)
    pages = read_pages(scan, [1, 2, 3, 4, 5], OPTIONS, workers=2)
    assert [next(pages).page for _ in range(3)] == [1, 2, 3]
    with pytest.raises(UnreadableDocument) as e:
        next(pages)
    assert str(e.value) == f"{scan}: page 4 is damaged"


@FORK
def test_the_pages_of_a_run_before_its_failure_come_before_the_error(scan, monkeypatch):
    damaged(monkeypatch, at=4)
    got = []
    with pytest.raises(UnreadableDocument):
        for page in read_pages(scan, list(range(1, 9)), OPTIONS, workers=1):  # runs of two pages
            got.append(page.page)
    assert got == [1, 2, 3]  # page 3 shares its run with the failing page 4
