"""chatocr.geometry: rows and reading order of hand-made boxes."""

from __future__ import annotations

import random

import pytest

from chatocr.geometry import group_rows, iou, reading_order, union


def row_of(y: float, xs=(0, 60, 120), w: float = 50, h: float = 20, dy=(0, 0, 0)):
    return [(x, y + d, x + w, y + d + h) for x, d in zip(xs, dy, strict=True)]


def as_boxes(boxes, rows):
    return [[boxes[i] for i in row] for row in rows]


def test_empty():
    assert group_rows([]) == []
    assert reading_order([]) == []


def test_single_box():
    assert group_rows([(0, 0, 10, 10)]) == [[0]]


def test_rows_top_to_bottom_left_to_right():
    boxes = row_of(50) + row_of(0) + row_of(100)
    assert as_boxes(boxes, group_rows(boxes)) == [row_of(0), row_of(50), row_of(100)]


def test_one_pixel_jitter_stays_in_one_row_and_in_x_order():
    # the middle box is 1 px lower, the right one 1 px higher: still one row, left to right
    first = row_of(10, dy=(0, 1, -1))
    second = row_of(50, dy=(1, -1, 0))
    boxes = [first[2], first[0], first[1], second[1], second[2], second[0]]
    rows = group_rows(boxes)
    assert as_boxes(boxes, rows) == [first, second]
    assert [boxes[i] for i in reading_order(boxes)] == first + second


@pytest.mark.parametrize("seed", range(5))
def test_input_order_does_not_matter(seed):
    boxes = row_of(10, dy=(0, 1, -1)) + row_of(50, dy=(1, -1, 0)) + row_of(90)
    shuffled = list(boxes)
    random.Random(seed).shuffle(shuffled)
    assert [shuffled[i] for i in reading_order(shuffled)] == boxes


def test_slightly_skewed_row_stays_together():
    # a scan turned by ~3°: each word 3 px lower than the one before; the last
    # word no longer overlaps the first by half, but each overlaps its neighbour
    skewed = [(i * 60, i * 3, i * 60 + 50, i * 3 + 20) for i in range(8)]
    assert skewed[-1][1] - skewed[0][1] > 10  # first and last do not overlap by 50%
    next_row = [(i * 60, 60 + i * 3, i * 60 + 50, 80 + i * 3) for i in range(8)]
    boxes = next_row[::-1] + skewed[::-1]
    assert as_boxes(boxes, group_rows(boxes)) == [skewed, next_row]


def test_two_columns_read_row_by_row():
    left = [(0, y, 200, y + 20) for y in (0, 30, 60)]
    right = [(300, y, 500, y + 20) for y in (1, 29, 61)]
    boxes = right + left
    rows = as_boxes(boxes, group_rows(boxes))
    assert rows == [[left[0], right[0]], [left[1], right[1]], [left[2], right[2]]]
    assert [boxes[i] for i in reading_order(boxes)] == [left[0], right[0], left[1], right[1], left[2], right[2]]


def test_boxes_that_overlap_less_than_half_are_separate_rows():
    a = (0, 0, 50, 20)
    b = (60, 11, 110, 31)  # 9 px of 20 shared: below the 0.5 overlap
    assert group_rows([a, b]) == [[0], [1]]
    assert group_rows([a, b], overlap=0.4) == [[0, 1]]


def test_small_box_joins_the_row_it_sits_in():
    # a short box (a currency sign, a small font) inside a tall row
    boxes = [(0, 0, 100, 30), (110, 12, 120, 28), (130, 0, 200, 30), (0, 40, 100, 70)]
    assert group_rows(boxes) == [[0, 1, 2], [3]]


def test_degenerate_boxes_do_not_crash():
    boxes = [(0, 5, 10, 5), (20, 5, 30, 5), (0, 40, 10, 40), (5, 5, 5, 9)]
    assert sorted(reading_order(boxes)) == [0, 1, 2, 3]


def test_union_and_iou():
    assert union([(0, 0, 10, 10), (5, -2, 20, 8)]) == (0, -2, 20, 10)
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    assert iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0
