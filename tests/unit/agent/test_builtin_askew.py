"""Scans made askew or turned, photos taken from one side and curled paper: fields are found as on the
upright page, their boxes land on the page as stored."""

from __future__ import annotations

import numpy as np
import pytest

from chatocr.document import Block, Line, Page
from chatocr.geometry import box_edges, iou, points_box, upright_box, warp_points
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


def _moved(image: np.ndarray, how: str, angle: float):
    """``image`` turned ``angle`` degrees on a canvas that holds it, photographed from one side
    (top row sloping ``angle``, then turned 2 degrees), or on paper curled across its rows (each row
    sinking ``angle`` percent of the width toward the middle); and the function that moved its points."""
    import cv2
    from warps import bow, bowed, photographed

    h, w = image.shape[:2]
    if how == "curled":
        sag = angle / 100 * w
        pad = int(np.ceil(abs(sag))) + 2  # as warps.bowed grows the page
        return bowed(image, sag), lambda p: bow(p, w, h, sag) + (0.0, pad)
    if how == "turned":
        moved, m = level(image, angle)
        m = np.vstack([m, (0, 0, 1)])
    else:
        m = photographed(w, h, angle, turn=2.0)
        moved = cv2.warpPerspective(image, m, (w, h), borderValue=(255, 255, 255))
    return moved, lambda p: warp_points(p, m)


@pytest.mark.models
@pytest.mark.parametrize(("how", "angle"), [
    ("turned", 4.0),  # askew
    ("turned", 90.0),  # on its side
    ("turned", -93.0),  # on its side and askew
    ("photographed", 5.0),  # from one side: rows that converge
    ("curled", 4.0),  # rows that bow
])
def test_fields_of_a_page_scanned_askew_turned_or_photographed(engine, scanned_invoice, how, angle):
    from chatocr.agent.builtin import BuiltinEngine
    from chatocr.structure import DocumentParser

    image, truth = scanned_invoice
    moved, to_page = _moved(image, how, angle)
    doc = DocumentParser(ocr=engine).parse(moved)
    page = doc.pages[0]
    if how == "turned":
        assert (page.orientation, page.skew) != (0, 0.0)
    elif how == "curled":
        assert page.bow is not None and page.warp is None
    else:
        assert page.warp is not None
    keys = [k for k, f in truth.fields.items() if f.value and not k.startswith("q:")]
    got = BuiltinEngine().extract(doc, keys)
    # before the engine read such pages upright and level, it looked for the seller and the address in
    # the wrong rows of a page on its side; before the warp, it lost the total of the photographed one
    assert {k: got[k].value for k in keys} == {k: truth.fields[k].value for k in keys}
    for k in keys:
        f = truth.fields[k]
        where = points_box(to_page(box_edges([v * 150 / 72 for v in (f.value_bbox or f.bbox)])))
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


@pytest.mark.parametrize("orientation", [0, 90, 270])
def test_boxes_come_back_from_the_upright_view_of_a_page_in_perspective(orientation):
    from chatocr.geometry import warp_box

    # rows that converge to the right, laid level by this warp (a homography close to one)
    warp = np.array([[1.0, 0.05, 0.0], [-0.05, 1.0, 8.0], [-1.5e-4, 0.0, 1.0]])
    lines = [(20, 30 + 16 * i, 150, 42 + 16 * i) for i in range(4)]
    on_page = [warp_box(b, np.linalg.inv(warp)) for b in lines]  # as the parser maps them back
    w, h = 200, 120
    stored = [upright_box(b, (360 - orientation) % 360, *((h, w) if orientation in (90, 270) else (w, h)))
              for b in on_page]
    page = Page(page=1, width=w, height=h, orientation=orientation, warp=tuple(warp.ravel()), blocks=tuple(
        Block(id=f"b{i}", type="text", bbox=b, text="x", lines=(Line(text="x", bbox=b),)) for i, b in enumerate(stored)))
    up = page.upright()
    assert up.warp is None and up.orientation == 0
    for b, flat, as_stored in zip(up.blocks, lines, stored, strict=True):
        assert b.lines[0].bbox == pytest.approx(flat, abs=2.0)  # level again, its size kept
        assert page.box_on_page(b.lines[0].bbox) == pytest.approx(as_stored, abs=2.0)
    # the level rows do not overlap, as the boxes on the page do
    assert any(a[3] > b[1] for a, b in zip(on_page, on_page[1:], strict=False))
    boxes = [b.bbox for b in up.blocks]
    assert all(a[3] <= b[1] + 0.5 for a, b in zip(boxes, boxes[1:], strict=False))


@pytest.mark.parametrize("orientation", [0, 90, 270])
def test_boxes_come_back_from_the_upright_view_of_a_curled_page(orientation):
    from chatocr.geometry import bow_box

    # rows that sink toward x = 100 by 6.4 at the lines' ends, as the parser found them
    values = (0.0, -2e-3, 0.0, 0.0, 100.0, 60.0)
    bow = (values[:4], values[4:])
    lines = [(20, 30 + 16 * i, 180, 42 + 16 * i) for i in range(4)]
    on_page = [bow_box(b, bow) for b in lines]  # as the parser maps them back
    w, h = 200, 120
    stored = [upright_box(b, (360 - orientation) % 360, *((h, w) if orientation in (90, 270) else (w, h)))
              for b in on_page]
    page = Page(page=1, width=w, height=h, orientation=orientation, bow=values, blocks=tuple(
        Block(id=f"b{i}", type="text", bbox=b, text="x", lines=(Line(text="x", bbox=b),)) for i, b in enumerate(stored)))
    up = page.upright()
    assert up.bow is None and up.orientation == 0
    for b, flat, as_stored in zip(up.blocks, lines, stored, strict=True):
        assert b.lines[0].bbox == pytest.approx(flat, abs=0.5)  # straight again, its height kept
        assert page.box_on_page(b.lines[0].bbox) == pytest.approx(as_stored, abs=0.5)
    # on the page the rows' boxes overlap; upright they do not
    assert all(a[3] > b[1] for a, b in zip(on_page, on_page[1:], strict=False))
    boxes = [b.bbox for b in up.blocks]
    assert all(a[3] <= b[1] + 0.5 for a, b in zip(boxes, boxes[1:], strict=False))


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


def test_a_page_warp_survives_json_and_must_be_three_by_three():
    from pydantic import ValidationError

    from chatocr.document import Document

    warp = (1.0, 0.05, 0.0, -0.05, 1.0, 8.0, -1.5e-4, 0.0, 1.0)
    doc = Document(id="d", pages=(Page(page=1, width=200, height=120, warp=warp),))
    back = Document.from_json(doc.to_json())
    assert back == doc and back.pages[0].warp == warp
    with pytest.raises(ValidationError):
        Page(page=1, width=200, height=120, warp=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0))
