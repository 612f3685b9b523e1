"""Images to model inputs."""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import InputError


def bgr_image(image: np.ndarray, stage: str) -> np.ndarray:
    """``image`` as H x W x 3 BGR (grayscale and BGRA converted); anything else is an
    ``InputError`` naming ``stage``."""
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.shape[0] < 1 or image.shape[1] < 1:
        shape = getattr(image, "shape", None)
        raise InputError(None, f"{stage}: expected a non-empty H x W x 3 BGR image, got shape {shape}")
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.shape[2] != 3:
        raise InputError(None, f"{stage}: expected 1, 3 or 4 channels, got {image.shape[2]}")
    return image


def planar(image: np.ndarray, mean, std, *, rgb: bool = False) -> np.ndarray:
    """1 x 3 x H x W float32 ``(pixel - mean) / std`` of an H x W x 3 uint8 BGR image.

    ``mean`` and ``std`` are per channel in the order the model takes them
    (BGR, or RGB with ``rgb=True``), on the pixels' 0-255 scale.  Filled plane
    by plane into one buffer: a third of the memory traffic of normalising
    interleaved floats and transposing them afterwards.
    """
    h, w = image.shape[:2]
    planes = cv2.split(image)
    if rgb:
        planes = planes[::-1]
    x = np.empty((1, 3, h, w), dtype=np.float32)
    for c, plane in enumerate(planes):
        x[0, c] = plane
        x[0, c] -= np.float32(mean[c])
        x[0, c] *= np.float32(1.0 / std[c])
    return x
