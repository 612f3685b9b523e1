"""chatocr.structure.reading_order: region order, headers/footers, paragraphs, lines into regions."""

from __future__ import annotations

import random

import pytest

from chatocr.document import Line
from chatocr.structure.reading_order import (
    RunningHeaderDetector,
    assign_lines_to_regions,
    block_text,
    cluster_orphans,
    group_paragraphs,
    is_page_number,
    join_lines,
    margin_role,
    mark_headers_footers,
    xy_cut_order,
)

W, H = 600.0, 800.0


def order(named: dict[str, tuple[float, float, float, float]], w: float = W, h: float = H) -> list[str]:
    names = list(named)
    return [names[i] for i in xy_cut_order([named[n] for n in names], page_width=w, page_height=h)]


# -- xy_cut_order ---------------------------------------------------------------------------------


def test_empty_and_single():
    assert xy_cut_order([], page_width=W, page_height=H) == []
    assert xy_cut_order([(0, 0, 10, 10)], page_width=W, page_height=H) == [0]


def test_bad_page_size():
    with pytest.raises(ValueError, match="page size"):
        xy_cut_order([(0, 0, 1, 1)], page_width=0, page_height=H)


def test_two_columns_read_column_by_column():
    page = {
        "R2": (310, 300, 550, 500), "L1": (50, 100, 290, 280), "R1": (310, 100, 550, 280),
        "L2": (50, 300, 290, 500), "L3": (50, 520, 290, 700),
    }
    # the columns' gaps line up at y=290: still left column first
    assert order(page) == ["L1", "L2", "L3", "R1", "R2"]


def test_title_two_columns_footer_and_header():
    page = {
        "footer": (280, 760, 320, 775),
        "R1": (310, 100, 550, 400), "L1": (50, 100, 290, 250), "L2": (50, 260, 290, 400),
        "title": (50, 40, 550, 80),
        "head_right": (500, 10, 550, 25), "head_left": (50, 10, 200, 25),
        "foot_left": (50, 760, 200, 775),
    }
    assert order(page) == ["head_left", "head_right", "title", "L1", "L2", "R1", "foot_left", "footer"]


def test_header_band_not_merged_into_columns():
    # a header left and a page number right leave the gutter free; they still come first, not at
    # the tops of the two columns
    page = {"L": (50, 100, 290, 700), "R": (310, 100, 550, 700), "hl": (50, 20, 250, 35), "hr": (520, 20, 550, 35)}
    assert order(page) == ["hl", "hr", "L", "R"]


def two_columns_of_lines(rows: int = 40) -> list[tuple[float, float, float, float]]:
    """Left column lines 0..rows-1, then the right column's; the last rows reach the bottom 10 %."""
    widths = [150 + (37 * k) % 110 for k in range(rows)]
    return [(50.0 + 300 * c, 90.0 + 17 * r, 50.0 + 300 * c + widths[r], 102.0 + 17 * r)
            for c in range(2) for r in range(rows)]


def test_body_lines_near_the_page_edge_stay_in_their_column():
    boxes = two_columns_of_lines()
    assert xy_cut_order(boxes, page_width=650, page_height=800) == list(range(80))


def test_header_and_footer_lines_close_to_two_columns():
    boxes = [*two_columns_of_lines(), (50, 10, 250, 22), (500, 10, 550, 22), (50, 775, 200, 788), (500, 775, 550, 788)]
    assert xy_cut_order(boxes, page_width=650, page_height=800) == [80, 81, *range(80), 82, 83]


def test_full_width_table_between_two_column_sections():
    page = {
        "L1": (50, 100, 290, 200), "L2": (50, 210, 290, 300), "R1": (310, 100, 550, 300),
        "table": (50, 320, 550, 450),
        "L3": (50, 470, 290, 700), "R3": (310, 470, 550, 600), "R4": (310, 610, 550, 700),
    }
    assert order(page) == ["L1", "L2", "R1", "table", "L3", "R3", "R4"]


def test_sidebar_then_main_text():
    page = {"title": (150, 50, 580, 90), "c2": (370, 100, 580, 700), "side": (20, 50, 120, 750),
            "c1": (150, 100, 360, 700)}
    assert order(page) == ["side", "title", "c1", "c2"]


def test_left_column_longer_than_right():
    page = {"L1": (50, 100, 290, 300), "R1": (310, 100, 550, 300), "L2": (50, 320, 290, 500)}
    assert order(page) == ["L1", "L2", "R1"]


def test_single_column_top_to_bottom_and_small_overlaps():
    page = {"p3": (50, 398, 550, 500), "p1": (50, 100, 550, 202), "p2": (52, 200, 548, 400)}
    assert order(page) == ["p1", "p2", "p3"]


def test_date_top_right_stays_before_letter_body():
    page = {"dear": (50, 150, 200, 170), "date": (400, 100, 550, 120), "body": (50, 180, 550, 400)}
    assert order(page) == ["date", "dear", "body"]


def test_overlapping_regions_fall_back_to_rows():
    page = {"b": (100, 100, 300, 200), "a": (0, 90, 200, 190), "c": (50, 150, 250, 260)}
    assert sorted(order(page)) == ["a", "b", "c"]  # no cut exists: a defined order, every box once


# -- page numbers, headers, footers ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["3", "- 3 -", "Page 3", "page 3 of 10", "3 / 10", "3 of 10", "iv", "第3页",
                                  "第 3 页 共 10 页", "[12]", "p. 7", "— 12 —"])
def test_page_numbers(text):
    assert is_page_number(text)


@pytest.mark.parametrize("text", ["", "Chapter 3", "MIX", "I", "2019 Annual Report", "3.5 million", "Total 3"])
def test_not_page_numbers(text):
    assert not is_page_number(text)


def test_margin_role_single_page():
    assert margin_role((290, 770, 310, 785), "3", page_height=H) == "footer"
    assert margin_role((290, 10, 310, 25), "- 3 -", page_height=H) == "header"
    assert margin_role((290, 400, 310, 415), "3", page_height=H) is None  # a "3" in the body
    assert margin_role((50, 770, 300, 785), "Thank you", page_height=H) is None


def test_running_headers_across_three_pages():
    pages = [
        [((50, 10, 300, 25), "Annual Report 2019 – Chapter 1"), ((50, 100, 550, 700), "Body one"),
         ((280, 770, 320, 785), "1"), ((400, 770, 550, 785), "ACME Corp. confidential")],
        [((50, 11, 300, 26), "Annual Report 2019 – Chapter 2"), ((50, 100, 550, 700), "Body two"),
         ((280, 770, 320, 785), "Page 2"), ((400, 771, 550, 786), "ACME Corp. confidential")],
        [((50, 10, 300, 25), "Annual Report 2019 – Chapter 3"), ((50, 100, 550, 700), "Body one"),
         ((400, 770, 550, 785), "ACME Corp. confidential")],
    ]
    marks = mark_headers_footers(pages, [(W, H)] * 3)
    assert marks == [
        ["header", None, "footer", "footer"],
        ["header", None, "footer", "footer"],
        ["header", None, "footer"],
    ]


def test_detector_streams_and_backfills():
    det = RunningHeaderDetector()
    first = det.observe([((50, 10, 300, 25), "Journal of Things"), ((50, 100, 550, 700), "body")], W, H)
    assert first == [None, None]  # nothing to compare with yet
    second = det.observe([((50, 10, 300, 25), "Journal of Things"), ((50, 100, 550, 700), "other")], W, H)
    assert second == ["header", None]
    assert det.backfill() == [(0, 0, "header")]  # the first page's copy, for a caller that still holds it
    third = det.observe([((50, 10, 300, 25), "Journal of Things")], W, H)
    assert third == ["header"] and det.backfill() == []
    assert det.pages_seen == 3


def test_mirrored_headers_on_even_and_odd_pages():
    left, right = (40, 10, 240, 25), (360, 10, 560, 25)
    pages = [[(left, "Smith et al.")], [(right, "Smith et al.")], [(left, "Smith et al.")]]
    assert mark_headers_footers(pages, [(W, H)] * 3) == [["header"], ["header"], ["header"]]


def test_repeated_body_text_and_moved_text_are_not_headers():
    pages = [[((50, 300, 550, 320), "Summary")], [((50, 300, 550, 320), "Summary")]]
    assert mark_headers_footers(pages, [(W, H)] * 2) == [[None], [None]]
    moved = [[((50, 10, 300, 25), "Draft")], [((50, 50, 300, 65), "Draft")]]
    assert mark_headers_footers(moved, [(W, H)] * 2) == [[None], [None]]


def test_ocr_slip_in_running_header_still_matches():
    pages = [[((50, 10, 400, 25), "Quarterly Financial Statement")], [((50, 10, 400, 25), "Quarterly Financia1 Statement")]]
    assert mark_headers_footers(pages, [(W, H)] * 2) == [["header"], ["header"]]


# -- paragraphs -----------------------------------------------------------------------------------


def lines_of(rows: list[tuple[float, float, str]], h: float = 20, pitch: float = 26) -> list[Line]:
    """One line per (x0, extra gap before, text), 9 px per character; y advances by ``pitch`` plus the gap."""
    out, y = [], 100.0
    for x0, gap, text in rows:
        y += gap
        out.append(Line(text=text, bbox=(x0, y, x0 + 9.0 * len(text), y + h)))
        y += pitch
    return out


FULL = "lorem ipsum dolor sit amet consectetur adipiscing"  # 50 characters: a full line, 450 px


def test_paragraphs_split_at_larger_spacing():
    ls = lines_of([(50, 0, FULL), (50, 0, FULL), (50, 0, FULL + " end."), (50, 18, FULL), (50, 0, FULL)])
    assert group_paragraphs(ls) == [[0, 1, 2], [3, 4]]


def test_paragraphs_split_at_first_line_indent():
    ind = FULL[:-4]  # indented by 36 px, ends at the same right edge
    ls = lines_of([(86, 0, ind), (50, 0, FULL), (50, 0, FULL), (86, 0, ind), (50, 0, FULL)])
    assert group_paragraphs(ls) == [[0, 1, 2], [3, 4]]


def test_paragraphs_split_after_short_last_line():
    ls = lines_of([(50, 0, FULL), (50, 0, "short end."), (50, 0, FULL), (50, 0, FULL)])
    assert group_paragraphs(ls) == [[0, 1], [2, 3]]


def test_ragged_right_text_stays_one_paragraph():
    # each line stops where the next line's first word would not have fitted: wrapping, not a paragraph end
    ls = lines_of([
        (50, 0, "lorem ipsum dolor sit amet consectetur"),  # 38 chars: 12 left, next word needs 13
        (50, 0, "adipiscing elit sed do eiusmod tempor"),  # 37 chars: 13 left, next word needs 14
        (50, 0, "incididunt ut labore et dolore magna"),  # 36 chars
        (50, 0, "exercitation ullamco laboris nisi ut aliquip ex"),
    ])
    assert group_paragraphs(ls) == [[0, 1, 2, 3]]


def test_bullets_start_list_items_with_indented_continuations():
    ls = lines_of([
        (50, 0, "Intro line that runs on for quite a while here:"),
        (50, 0, "• first item " + "x" * 40), (68, 0, "continues here " + "x" * 30),
        (50, 0, "- second item"), (50, 0, "1. third item " + "x" * 40), (68, 0, "and more " + "x" * 30),
        (50, 0, "2) fourth"),
    ])
    assert group_paragraphs(ls) == [[0], [1, 2], [3], [4, 5], [6]]


def test_heading_inside_region_is_its_own_paragraph():
    ls = lines_of([(50, 0, FULL), (50, 0, FULL)])
    big = Line(text="A Heading Line", bbox=(50, 160, 400, 196))
    assert group_paragraphs([*ls, big, Line(text=FULL, bbox=(50, 206, 500, 226))]) == [[0, 1], [2], [3]]


def test_centred_lines_are_not_split_by_indent():
    ls = lines_of([(120, 0, "a centred title line"), (80, 0, "that wraps onto a second longer"), (140, 0, "and a third")])
    assert group_paragraphs(ls) == [[0, 1, 2]]


def test_boxes_on_one_row_form_one_line_of_a_paragraph():
    ls = [Line(text="left half", bbox=(50, 100, 250, 120)), Line(text="right half", bbox=(260, 101, 500, 121)),
          Line(text=FULL, bbox=(50, 126, 500, 146))]
    assert group_paragraphs(ls) == [[0, 1, 2]]
    assert group_paragraphs([]) == []


# -- join_lines -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "text"),
    [
        (["inter-", "national"], "international"),
        (["an e-", "mail"], "an e-mail"),
        (["self-", "aware"], "self-aware"),
        (["Anglo-", "Saxon"], "Anglo-Saxon"),
        (["COVID-", "19"], "COVID-19"),
        (["state-of-the-", "art"], "state-of-the-art"),
        (["pages 12-", "15"], "pages 12-15"),
        (["soft\u00ad", "ware"], "software"),
        (["it is -", "a dash"], "it is - a dash"),
        (["word—", "word"], "word—word"),
        (["two  ", "  lines", ""], "two lines"),
        (["识别文字", "的模型"], "识别文字的模型"),
        (["模型", "OCR"], "模型OCR"),
        ([], ""),
    ],
)
def test_join_lines(lines, text):
    assert join_lines(lines) == text


def test_block_text_runs_wrapped_rows_together_and_keeps_rows_set_apart():
    boxes = [
        (50, 100, 500, 120), (50, 126, 500, 146),  # a wrapped sentence: one run of text
        (50, 152, 150, 172), (400, 152, 500, 172),  # a label and its value, far apart
        (50, 178, 150, 198), (400, 178, 500, 198),
        (50, 204, 300, 224), (305, 204, 500, 224),  # two boxes a space apart: one line of text
        (50, 230, 500, 250),
    ]
    texts = ["The parties agree that the inter-", "national terms apply.", "Sub Total:", "18.90",
             "Change:", "31.10", "Paid in cash", "at the counter and", "thank you."]
    assert block_text(texts, boxes) == (
        "The parties agree that the international terms apply.\nSub Total: 18.90\nChange: 31.10\n"
        "Paid in cash at the counter and thank you."
    )
    # the order of the boxes given does not matter: rows top to bottom, left to right
    order = [8, 3, 0, 5, 1, 7, 2, 6, 4]
    assert block_text([texts[i] for i in order], [boxes[i] for i in order]) == block_text(texts, boxes)
    assert block_text(["识别文字", "的模型"], [(50, 100, 130, 120), (50, 126, 110, 146)]) == "识别文字的模型"
    assert block_text([], []) == "" and block_text(["  "], [(0, 0, 10, 10)]) == ""


# -- lines into regions ---------------------------------------------------------------------------


def test_assign_lines_by_largest_overlap():
    regions = [(0, 0, 300, 200), (300, 0, 600, 200)]
    lines = [
        (10, 10, 200, 30),  # inside 0
        (250, 50, 400, 70),  # 1/3 in 0, 2/3 in 1
        (10, 300, 200, 320),  # outside
        (280, 100, 320, 120),  # half and half: region holding the centre (x=300 is on both edges) → first
        (100, 190, 200, 230),  # only a quarter inside: below min_overlap
    ]
    assert assign_lines_to_regions(lines, regions) == [0, 1, -1, 0, -1]
    assert assign_lines_to_regions(lines[4:], regions, min_overlap=0.2) == [0]


def test_assign_nested_regions_prefers_the_smaller():
    figure, caption = (0, 0, 500, 500), (50, 400, 450, 480)
    assert assign_lines_to_regions([(60, 410, 300, 430)], [figure, caption]) == [1]
    assert assign_lines_to_regions([(60, 410, 300, 430)], []) == [-1]
    assert assign_lines_to_regions([], [figure]) == []
    assert assign_lines_to_regions([(60, 410, 60, 430)], [figure, caption]) == [1]  # no area: by centre


def test_cluster_orphans_by_proximity():
    boxes = [
        (50, 100, 300, 120), (50, 125, 280, 145), (310, 100, 400, 120),  # a block with a split row
        (50, 400, 300, 420),  # far below: its own block
        (450, 100, 580, 120),  # far to the right on the same row: its own block
        (50, 150, 300, 190),  # under the block but twice as tall: a title, separate
    ]
    groups = cluster_orphans(boxes)
    assert sorted(map(sorted, groups)) == [[0, 1, 2], [3], [4], [5]]
    assert groups[0] == [0, 2, 1]  # reading order inside the block
    assert groups[-1] == [3]  # blocks top to bottom
    assert cluster_orphans([]) == []


def test_every_index_once_on_random_boxes():
    rng = random.Random(11)
    for _ in range(40):
        n = rng.randint(1, 40)
        boxes = []
        for _ in range(n):
            x, y = rng.uniform(0, 550), rng.uniform(0, 780)
            boxes.append((x, y, x + rng.uniform(0, 200), y + rng.uniform(0, 60)))
        assert sorted(xy_cut_order(boxes, page_width=W, page_height=H)) == list(range(n))
        assert sorted(i for g in cluster_orphans(boxes) for i in g) == list(range(n))
        lines = [Line(text=rng.choice(["• a", "b c d", "1. e", "f-", "g", "词语"]), bbox=b) for b in boxes]
        assert sorted(i for p in group_paragraphs(lines) for i in p) == list(range(n))
        owner = assign_lines_to_regions(boxes, boxes[: n // 2])
        assert len(owner) == n and all(-1 <= o < n // 2 for o in owner)


# -- regions the layout model cuts across rows ----------------------------------------------------


def _region(kind: str, lines: list[tuple[str, tuple[float, float, float, float]]]):
    from chatocr.structure.parser import _Region, _union

    ls = [Line(text=t, bbox=b, score=0.9) for t, b in lines]
    return _Region(kind, _union([ln.bbox for ln in ls]), 0.8, ls)


def test_overlapping_caption_regions_are_read_row_by_row():
    from chatocr.structure.parser import _merge_interleaved

    # one footer boxed twice: the left box holds two rows, the overlapping right box the end of the first row
    left = _region("figure_caption", [("12-01-19 21:13 SH01", (20, 770, 268, 793)), ("OPERATOR TRAINEE", (18, 791, 268, 814))])
    right = _region("figure_caption", [("T4 R000027830", (297, 773, 432, 793))])
    right.bbox = (90, 775, 419, 812)
    merged = _merge_interleaved([left, right], page_width=450)
    assert len(merged) == 1 and merged[0].type == "figure_caption"
    assert [ln.text for ln in merged[0].lines] == ["12-01-19 21:13 SH01", "T4 R000027830", "OPERATOR TRAINEE"]


def test_side_by_side_columns_and_captions_beside_text_stay_apart():
    from chatocr.structure.parser import _merge_interleaved

    col1 = _region("text", [(f"left {i}", (40, 100 + 30 * i, 280, 120 + 30 * i)) for i in range(5)])
    col2 = _region("text", [(f"right {i}", (320, 100 + 30 * i, 560, 120 + 30 * i)) for i in range(5)])
    caption = _region("figure_caption", [("Figure 1: a chart", (620, 110, 700, 130))])
    out = _merge_interleaved([col1, col2, caption], page_width=760)
    assert len(out) == 3  # similar widths, no overlap: real columns; a caption merges only when it overlaps


def test_regions_that_cross_on_a_few_rows_are_read_row_by_row():
    """Receipt 048: the layout model's header box ends with "Doc No. : CS00035863" / "Cashier : USER",
    and the box below starts with "Date: 13/03/2018" / "Time: 12:49:00" on those same rows, to their
    right.  The boxes share only those rows, but each row holds lines of both: one flow."""
    from chatocr.structure.parser import _merge_interleaved

    header = _region("text", [("YONG TAT HARDWARE", (380, 290, 680, 315)), ("TAX INVOICE", (460, 460, 600, 480)),
                              ("Doc No. : CS00035863", (352, 510, 560, 530)), ("Cashier : USER", (352, 535, 520, 555))])
    below = _region("text", [("Date: 13/03/2018", (560, 508, 740, 528)), ("Time: 12:49:00", (560, 533, 720, 553)),
                             *[(f"item {i} 1.00 50.00", (356, 600 + 30 * i, 740, 620 + 30 * i)) for i in range(8)]])
    merged = _merge_interleaved([header, below], page_width=1080)
    assert len(merged) == 1
    assert [ln.text for ln in merged[0].lines][:6] == [
        "YONG TAT HARDWARE", "TAX INVOICE", "Doc No. : CS00035863", "Date: 13/03/2018", "Cashier : USER", "Time: 12:49:00"]


def test_stacked_regions_touching_on_one_row_stay_apart():
    from chatocr.structure.parser import _merge_interleaved

    # a paragraph box whose edge reaches into the next one's first row: not rows shared
    first = _region("text", [(f"first {i}", (40, 100 + 30 * i, 560, 120 + 30 * i)) for i in range(6)])
    second = _region("text", [(f"second {i}", (40, 270 + 30 * i, 560, 290 + 30 * i)) for i in range(6)])
    first.bbox = (40, 100, 560, 285)
    assert len(_merge_interleaved([first, second], page_width=760)) == 2
