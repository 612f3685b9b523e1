"""chatocr.agent.grounding: a value back to the words that hold it."""

from __future__ import annotations

from chatocr.agent.grounding import cell_line, cell_lines, squash, value_box
from chatocr.document import Cell, Line, Word


def _line(y: float, *words: tuple[str, float, float]) -> Line:
    ws = tuple(Word(text=t, bbox=(a, y, b, y + 20)) for t, a, b in words)
    return Line(text=" ".join(t for t, _, _ in words), bbox=(ws[0].bbox[0], y, ws[-1].bbox[2], y + 20), words=ws)


ADDRESS = [
    _line(0, ("NO.", 0, 30), ("12,", 36, 60), ("JALAN", 70, 130), ("MERANTI", 136, 220), ("3,", 226, 240)),
    _line(25, ("TAMAN", 0, 60), ("SRI", 66, 96), ("MERANTI,", 102, 190)),
    _line(50, ("43000", 0, 50), ("KAJANG", 56, 120)),
]


def test_squash_ignores_case_spaces_commas_and_width():
    assert squash("Ｔｏｔａｌ 1,234.50") == "total1234.50"
    # plain ASCII takes a shortcut that must fold as every character alone does
    import random
    import string

    from chatocr.agent.grounding import _fold

    rng = random.Random(0)
    for _ in range(2000):
        text = "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 30)))
        assert squash(text) == "".join(_fold(c) for c in text), repr(text)


def test_a_value_over_lines_takes_its_part_of_each():
    box, used = value_box(ADDRESS, "jalan meranti 3 taman sri meranti")
    assert used == ADDRESS[:2]
    assert box == (0, 0, 240, 45)  # from "JALAN" to the first row's end, and the second row from its start
    box, used = value_box(ADDRESS, "12, JALAN")
    assert box == (36, 0, 130, 20) and used == ADDRESS[:1]
    box, _ = value_box(ADDRESS, "RANTI")  # inside a word: cut by character count
    assert box == (136 + 84 * 2 / 7, 0, 220, 20)


def test_no_match_is_none():
    assert value_box(ADDRESS, "SELANGOR") is None
    assert value_box(ADDRESS, " , ") is None
    assert value_box([], "12") is None


def test_a_cell_takes_the_words_of_the_lines_it_was_read_from():
    # a wrapped cell: two lines inside a wide cell box, and a line of the next cell beside it
    lines = [
        _line(100, ("Total", 10, 60), ("due", 66, 96)),
        _line(122, ("USD", 10, 50), ("1,234.50", 56, 140)),
        _line(100, ("Paid", 310, 350)),
    ]
    cell = Cell(row=2, col=0, text="Total due USD 1,234.50", bbox=(0, 95, 300, 145))
    cl = cell_line(cell, lines)
    assert cl.text == cell.text and cl.bbox == (10, 100, 140, 142)
    assert [w.text for w in cl.words] == ["Total", "due", "USD", "1,234.50"]
    box, _ = value_box([cl], "1234.50")
    assert box == (56, 122, 140, 142)  # the amount, not the cell


def test_a_cell_its_lines_do_not_spell_keeps_its_own_box():
    lines = [_line(100, ("Total", 10, 60))]
    cell = Cell(row=0, col=0, text="Grand total", bbox=(0, 95, 300, 125))
    assert cell_line(cell, lines) == Line(text="Grand total", bbox=(0, 95, 300, 125))
    assert cell_line(cell, []) == Line(text="Grand total", bbox=(0, 95, 300, 125))
    # a line without words counts as one word
    bare = Line(text="Grand total", bbox=(10, 100, 110, 120))
    assert cell_line(cell, [bare]).words == (Word(text="Grand total", bbox=bare.bbox),)
    assert cell_line(Cell(row=0, col=1, text=" ", bbox=(0, 0, 1, 1)), lines) is None
    assert cell_line(Cell(row=0, col=1, text="x"), lines) is None


def test_locate_boxes_several_values_together():
    from chatocr.agent import locate
    from chatocr.document import Block, Document, Page

    rows = [
        _line(100, ("This", 0, 40), ("Agreement", 46, 130), ("is", 136, 150), ("made", 156, 200),
              ("between", 206, 270), ("Northwind", 276, 360), ("Trading", 366, 430), ("Ltd", 436, 466)),
        _line(125, ("and", 0, 30), ("Kestrel", 36, 100), ("Foods", 106, 160), ("GmbH", 166, 210), ("on", 216, 236)),
    ]
    block = Block(id="p1-b0", type="text", bbox=(0, 100, 466, 145), text="", lines=tuple(rows))
    doc = Document(id="c", pages=(Page(page=1, width=600, height=800, blocks=(block,)),))
    for value in ("Northwind Trading Ltd; Kestrel Foods GmbH", "northwind trading ltd；KESTREL FOODS GMBH"):
        page, box, source, score = locate(doc, value)
        assert (page, box, score) == (1, (36, 100, 466, 145), 1.0)  # the two names, not the sentence
        assert source == rows[0].text + "\n" + rows[1].text
    assert locate(doc, "Northwind Trading Ltd; Globex Corp") is None
    page, box, _, _ = locate(doc, "Kestrel Foods GmbH; ")  # one value and an empty piece
    assert box == (36, 125, 210, 145)


def test_locate_follows_a_value_into_the_next_block():
    from chatocr.agent import locate
    from chatocr.document import Block, Document, Page

    # an address the layout cut in two: its first row a block of its own
    street, town, phone = ADDRESS[0], ADDRESS[1], _line(75, ("Tel:", 0, 40), ("03-8912", 46, 120))
    blocks = (Block(id="p1-b0", type="text", bbox=street.bbox, text=street.text, lines=(street,)),
              Block(id="p1-b1", type="text", bbox=(0, 25, 190, 95), text="", lines=(town, phone)))
    doc = Document(id="a", pages=(Page(page=1, width=600, height=800, blocks=blocks),))
    page, box, source, score = locate(doc, "NO. 12, JALAN MERANTI 3, TAMAN SRI MERANTI,")
    assert (page, box, score) == (1, (0, 0, 240, 45), 0.95)  # both rows, not the first alone
    assert source == street.text + "\n" + town.text


def test_a_value_standing_whole_comes_before_one_inside_a_number():
    line = _line(0, ("Total", 0, 50), ("112.50", 60, 120), ("12.50", 130, 180))
    assert value_box([line], "12.50")[0] == (130, 0, 180, 20)
    inside = _line(0, ("112.50", 60, 120))
    assert value_box([inside], "12.50", whole=True) is None
    assert value_box([inside], "12.50")[0] == (70, 0, 120, 20)  # nowhere whole: where it is
    assert value_box([_line(0, ("1,234.50", 0, 80))], "234.50", whole=True) is None  # a comma does not part
    # the end of one line and the start of the next are not one number
    rows = [_line(0, ("Qty", 0, 30), ("12", 40, 60)), _line(25, ("34", 0, 20), ("pcs", 26, 56))]
    assert value_box(rows, "34", whole=True)[0] == (0, 25, 20, 45)


def test_locate_skips_a_value_inside_a_number():
    from chatocr.agent import locate
    from chatocr.document import Block, Document, Page

    lines = (Line(text="生效日期：2022年12月19日", bbox=(0, 0, 200, 20)), Line(text="期限：2年", bbox=(0, 30, 80, 50)))
    block = Block(id="p1-b0", type="text", bbox=(0, 0, 200, 50), text="", lines=lines)
    doc = Document(id="z", pages=(Page(page=1, width=600, height=800, blocks=(block,)),))
    page, box, source, _ = locate(doc, "2年")
    assert source == "期限：2年" and box == (48, 30, 80, 50)
    assert locate(doc, "22年")[2] == lines[0].text  # found inside a number only: there


def test_locate_matches_a_misread_value_over_its_rows():
    from chatocr.agent import locate
    from chatocr.document import Block, Document, Page

    # the OCR read "SRl" for "SRI": no exact match; the value spans two rows of the block
    rows = [ADDRESS[0], _line(25, ("TAMAN", 0, 60), ("SRl", 66, 96), ("MERANTI,", 102, 190)), ADDRESS[2]]
    block = Block(id="p1-b0", type="text", bbox=(0, 0, 240, 70), text="", lines=tuple(rows))
    doc = Document(id="m", pages=(Page(page=1, width=600, height=800, blocks=(block,)),))
    page, box, source, score = locate(doc, "NO. 12, JALAN MERANTI 3, TAMAN SRI MERANTI")
    # both rows, not the first alone (which holds only part of the value)
    assert (page, box) == (1, (0, 0, 240, 45)) and source == rows[0].text + "\n" + rows[1].text
    assert 0.9 <= score < 1.0
    assert locate(doc, "NO. 12, JALAN MERANTI 3, TAMAN SRI MERANTI, 43000 KAJANG, SELANGOR DARUL EHSAN") is None


def test_every_cell_of_a_grid_takes_its_own_lines():
    cells, lines = [], []
    for r in range(3):
        for c in range(2):
            x, y = 100 * c, 20 * r
            lines.append(_line(y + 2, (f"r{r}c{c}", x + 5, x + 40), (f"{r}{c}.50", x + 50, x + 90)))
            cells.append(Cell(row=r, col=c, text=f"r{r}c{c} {r}{c}.50", bbox=(x, y, x + 100, y + 20)))
    cells.append(Cell(row=3, col=0, text="", bbox=(0, 60, 100, 80)))  # empty
    got = cell_lines(cells, lines[::-1])  # any order of lines
    assert got[-1] is None
    for cell, line, cl in zip(cells, lines, got, strict=False):
        assert cl == cell_line(cell, lines) and cl.words == line.words and cl.bbox == line.bbox


def test_locate_a_misread_cell_value_boxes_its_text_not_the_cell():
    from chatocr.agent import locate
    from chatocr.document import Block, Document, Page, Table

    lines = (_line(100, ("Total", 10, 60), ("due", 66, 96)), _line(122, ("USD", 10, 50), ("1,234.50", 56, 140)))
    cell = Cell(row=0, col=0, text="Total due USD 1,234.50", bbox=(0, 95, 300, 145))
    block = Block(id="p1-b0", type="table", bbox=cell.bbox, text="", lines=lines,
                  table=Table(n_rows=1, n_cols=1, cells=(cell,)))
    doc = Document(id="t", pages=(Page(page=1, width=600, height=800, blocks=(block,)),))
    page, box, _, score = locate(doc, "Total due USD 1,284.50")  # as an LLM might "read" it
    assert box == (10, 100, 140, 142) and score < 1.0


def test_locate_follows_an_address_down_its_column():
    """Two address blocks side by side, read as OCR gives them (one block a line, rows interleaved): each
    address is found down its own column, boxed on its own lines."""
    from chatocr.agent import locate
    from chatocr.document import Block, Document, Page

    left = [_line(100, ("8", 50, 58), ("Queen", 64, 110), ("Street", 116, 160)),
            _line(124, ("Edinburgh", 50, 130), ("EH2", 136, 166), ("1JE", 172, 200))]
    right = [_line(100, ("Unit", 300, 330), ("5,", 336, 350), ("Leith", 356, 396), ("Docks", 402, 450)),
             _line(124, ("Edinburgh", 300, 380), ("EH6", 386, 416), ("6QQ", 422, 452))]
    order = [left[0], right[0], left[1], right[1]]  # reading order: row by row
    blocks = tuple(Block(id=f"p1-b{i}", type="text", bbox=ln.bbox, text=ln.text, lines=(ln,)) for i, ln in enumerate(order))
    doc = Document(id="s", pages=(Page(page=1, width=600, height=800, blocks=blocks),))
    page, box, source, _ = locate(doc, "8 Queen Street Edinburgh EH2 1JE")
    assert (page, box, source) == (1, (50, 100, 200, 144), "8 Queen Street\nEdinburgh EH2 1JE")
    page, box, source, _ = locate(doc, "Unit 5, Leith Docks, Edinburgh EH6 6QQ")
    assert (page, box) == (1, (300, 100, 452, 144))
