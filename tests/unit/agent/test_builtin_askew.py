"""Scans made askew or turned: fields are found as on the upright page, their boxes land on the page as stored."""

from __future__ import annotations

import numpy as np
import pytest

from chatocr.document import Block, Line, Page
from chatocr.geometry import iou, points_box
from chatocr.ocr.orientation import level


@pytest.fixture(scope="module")
def scanned_invoice():
    import pymupdf
    from kiegen import invoice

    data, truth = invoice(0)
    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        pix = pdf[0].get_pixmap(dpi=150)
    image = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)[:, :, :3].copy()
    return image, truth


@pytest.mark.models
@pytest.mark.parametrize("angle", [4.0, 90.0, -93.0])  # askew; on its side; on its side and askew
def test_fields_of_a_page_scanned_askew_or_turned(engine, scanned_invoice, angle):
    from chatocr.agent.builtin import BuiltinEngine
    from chatocr.structure import DocumentParser

    image, truth = scanned_invoice
    turned, m = level(image, angle)
    doc = DocumentParser(ocr=engine).parse(turned)
    page = doc.pages[0]
    assert (page.orientation, page.skew) != (0, 0.0)
    keys = [k for k, f in truth.fields.items() if f.value]
    got = BuiltinEngine().extract(doc, keys)
    # before the engine read such pages upright and level, it looked for the seller and the address in
    # the wrong rows of a page on its side
    assert {k: got[k].value for k in keys} == {k: truth.fields[k].value for k in keys}
    for k in keys:
        f = truth.fields[k]
        x0, y0, x1, y1 = (v * 150 / 72 for v in (f.value_bbox or f.bbox))
        where = points_box(np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)]) @ m[:, :2].T + m[:, 2])
        assert iou(where, got[k].bbox) > 0.6, (k, where, got[k].bbox)  # on the page as stored
    ans = BuiltinEngine().answer(doc, "What is the invoice number?")
    assert ans.text == truth.fields["invoice number"].value
    assert iou(ans.evidence[0].bbox, got["invoice number"].bbox) > 0.6


def test_a_page_upright_and_level_is_its_own_upright_view():
    page = Page(page=1, width=100, height=50, blocks=(Block(id="b", type="text", bbox=(1, 2, 30, 12), text="x"),))
    assert page.upright() is page
    assert page.box_on_page((1, 2, 3, 4)) == (1, 2, 3, 4)


@pytest.mark.parametrize("orientation", [0, 90, 180, 270])
@pytest.mark.parametrize("skew", [0.0, 3.5, -7.0])
def test_boxes_come_back_from_the_upright_view_where_they_were(orientation, skew):
    line = Line(text="Total 9.00", bbox=(20, 30, 90, 42))
    page = Page(page=1, width=200, height=120, orientation=orientation, skew=skew,
                blocks=(Block(id="b", type="text", bbox=(10, 25, 95, 50), text="Total 9.00", lines=(line,)),))
    up = page.upright()
    assert (up.orientation, up.skew) == (0, 0.0)
    assert (up.width, up.height) == ((120, 200) if orientation in (90, 270) else (200, 120))
    assert page.box_on_page(up.blocks[0].lines[0].bbox) == pytest.approx(line.bbox, abs=1e-6)
    assert page.box_on_page(up.blocks[0].bbox) == pytest.approx(page.blocks[0].bbox, abs=1e-6)


def test_a_sloping_line_lies_level_in_the_upright_view():
    from chatocr.geometry import turn_points

    skew, (cx, cy) = 5.0, (100, 60)
    level = [(20, 30), (90, 30), (90, 42), (20, 42)]  # where the line lies once the page is level
    poly = tuple(map(tuple, turn_points(level, -skew, (cx, cy)).tolist()))
    line = Line(text="Total 9.00", bbox=points_box(poly), polygon=poly)
    page = Page(page=1, width=200, height=120, skew=skew,
                blocks=(Block(id="b", type="text", bbox=line.bbox, text="Total 9.00", lines=(line,)),))
    up = page.upright().blocks[0].lines[0]
    np.testing.assert_allclose(up.polygon, level, atol=1e-6)
    assert up.bbox == pytest.approx((20, 30, 90, 42), abs=1e-6)  # its box as read, unturned
