"""Splitting a recognised line where its text leaves a column gap.

Receipts and forms are printed in fixed-pitch columns, and the detector often
joins two columns of one row into one box ("0.40   ZRL", "QTY   U.PRICE").
The recogniser's CTC positions say where each character of such a box sits
(whether it read the blank as spaces or not).  A blank that spans at least
``gap`` character pitches (the centres of the characters on either side of
one space are 2 pitches apart, of two spaces 3) separates two columns: the
line is cut there, text and box, without reading anything again.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LinePiece", "split_columns"]

LinePiece = tuple[np.ndarray, str, np.ndarray]  # quad (tl, tr, br, bl), text, char centres (fractions)


def split_columns(quad: np.ndarray, text: str, positions: np.ndarray, gap: float) -> list[LinePiece]:
    """The pieces of one line, split at blanks of at least ``gap`` character pitches.

    ``positions`` are the centres of ``text``'s characters as fractions of the
    line's width, left to right.  Each piece gets the part of ``quad`` between
    its first and last character (half a pitch beyond each; the outer pieces
    keep the line's own ends), and its characters' centres as fractions of
    that part.  A line that cannot be measured (vertical, too short, positions
    that do not match the text) comes back whole.
    """
    whole = [(quad, text, positions)]
    if gap <= 0 or len(positions) != len(text) or len(text.strip()) < 2:
        return whole
    tl, tr, br, bl = quad.astype(np.float32)
    if np.linalg.norm(bl - tl) >= 1.5 * np.linalg.norm(tr - tl):  # vertical text: read turned
        return whole
    ink = [i for i, ch in enumerate(text) if ch != " "]
    span = float(positions[ink[-1]] - positions[ink[0]])
    if span <= 0:
        return whole
    pitch = span / (ink[-1] - ink[0])
    # runs of characters (spaces inside) whose neighbours sit less than `gap` pitches apart; the
    # recogniser may read a wide blank as one space or as none
    groups = [[ink[0], ink[0]]]
    for a, b in zip(ink, ink[1:], strict=False):
        if positions[b] - positions[a] >= gap * pitch:
            groups.append([b, b])
        else:
            groups[-1][1] = b
    if len(groups) == 1:
        return whole
    pieces: list[LinePiece] = []
    for g, (a, b) in enumerate(groups):
        f0 = 0.0 if g == 0 else max(0.0, float(positions[a]) - 0.5 * pitch)
        f1 = 1.0 if g == len(groups) - 1 else min(1.0, float(positions[b]) + 0.5 * pitch)
        part = np.stack([tl + (tr - tl) * f0, tl + (tr - tl) * f1, bl + (br - bl) * f1, bl + (br - bl) * f0])
        centres = ((positions[a : b + 1] - f0) / max(f1 - f0, 1e-6)).astype(np.float32)
        pieces.append((part.astype(np.float32), text[a : b + 1], centres))
    return pieces
