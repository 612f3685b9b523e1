"""``DocumentParser(workers=N)``: the pages of one document parsed by worker processes, put
together (running headers, order, progress, errors) exactly as one process puts them."""

from __future__ import annotations

import multiprocessing

import pytest
from docgen import report_pdf, scanned_pdf

import chatocr.errors as errors
from chatocr.options import EngineOptions, OCROptions, ParserOptions
from chatocr.structure import DocumentParser

pytestmark = pytest.mark.models

OPTIONS = ParserOptions(ocr=OCROptions(engine=EngineOptions(threads=1)))
FORK = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the workers must see the patch")


@pytest.fixture(scope="module")
def scan():
    return scanned_pdf(report_pdf(4, seed=3)[0], dpi=110)  # four scanned pages under one running header


@pytest.fixture(scope="module")
def alone(scan):
    return DocumentParser(OPTIONS).parse(scan)


def test_pages_side_by_side_give_the_document_one_process_gives(scan, alone):
    calls = []
    parser = DocumentParser(OPTIONS, workers=2)
    doc = parser.parse(scan, progress=lambda done, total: calls.append((done, total)))
    assert parser._ocr is None  # the workers read the pages
    assert doc == alone
    assert [p.page for p in doc.pages] == [1, 2, 3, 4]
    # the running header is marked across pages parsed by different processes
    assert all(any(b.type == "header" for b in p.blocks) for p in doc.pages)
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_the_pages_asked_for_and_born_digital_pages(scan, alone):
    options = OPTIONS.model_copy(update={"ocr": OPTIONS.ocr.model_copy(
        update={"loader": OPTIONS.ocr.loader.model_copy(update={"pages": (2, 4)})})})
    doc = DocumentParser(options, workers=2).parse(scan)
    assert [p.page for p in doc.pages] == [2, 4]
    assert [p.text for p in doc.pages] == [alone.pages[1].text, alone.pages[3].text]
    digital = report_pdf(3, seed=3)[0]
    assert DocumentParser(OPTIONS, workers=2).parse(digital) == DocumentParser(OPTIONS).parse(digital)


@FORK
def test_a_page_that_cannot_be_read_fails_the_parse_with_its_typed_error(scan, monkeypatch):
    import chatocr._pool as pool
    import chatocr.structure.parser as parser_module

    # workers forked from here (not the default) see the patch
    monkeypatch.setattr(pool, "start_method", lambda: multiprocessing.get_context("fork"))
    real = parser_module.render_pdf_page

    def broken(doc, index, name, options, clip=None):
        if index == 2:
            raise errors.UnreadableDocument(name, "page 3 is damaged")
        return real(doc, index, name, options, clip)

    monkeypatch.setattr(parser_module, "render_pdf_page", broken)
    with pytest.raises(errors.UnreadableDocument) as e:  # as in one process: the parse is not done
        DocumentParser(OPTIONS, workers=2).parse(scan)
    assert str(e.value) == "<bytes>: page 3 is damaged"
