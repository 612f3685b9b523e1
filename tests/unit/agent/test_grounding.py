"""chatocr.agent.grounding: a value back to the words that hold it."""

from __future__ import annotations

from chatocr.agent.grounding import squash, value_box
from chatocr.document import Line, Word


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
