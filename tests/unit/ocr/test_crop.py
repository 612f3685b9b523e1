"""chatocr.ocr.crop: cutting quadrilaterals out as upright rectangles."""

from __future__ import annotations

import cv2
import numpy as np

from chatocr.ocr.crop import crop_quad


def gradient(h: int = 120, w: int = 200) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return np.dstack([xx % 256, yy % 256, (xx + yy) % 256]).astype(np.uint8)


def test_axis_aligned_quad_is_a_plain_slice():
    img = gradient()
    quad = np.array([[20, 10], [120, 10], [120, 40], [20, 40]], np.float32)
    out = crop_quad(img, quad)
    assert out.shape == (30, 100, 3)
    assert np.abs(out.astype(int) - img[10:40, 20:120].astype(int)).max() <= 1


def test_rotated_quad_is_straightened():
    # a dark bar turned by 10 degrees comes out as a full upright rectangle
    img = np.full((200, 300, 3), 255, np.uint8)
    rect = ((150, 100), (160, 30), 10.0)
    corners = cv2.boxPoints(rect)
    cv2.fillPoly(img, [corners.round().astype(np.int32)], (0, 0, 0))
    from chatocr.ocr.det import order_quad

    out = crop_quad(img, order_quad(corners))
    assert abs(out.shape[1] - 160) <= 1 and abs(out.shape[0] - 30) <= 1
    inner = out[3:-3, 3:-3]
    assert inner.max() < 60


def test_tall_crop_is_turned_to_read_left_to_right():
    img = gradient(300, 100)
    quad = np.array([[10, 10], [40, 10], [40, 210], [10, 210]], np.float32)
    out = crop_quad(img, quad)
    assert out.shape == (30, 200, 3)
    assert out.flags["C_CONTIGUOUS"]


def test_degenerate_quad_gives_at_least_one_pixel():
    img = gradient()
    quad = np.array([[5, 5], [5, 5], [5, 5], [5, 5]], np.float32)
    out = crop_quad(img, quad)
    assert out.shape[0] >= 1 and out.shape[1] >= 1
