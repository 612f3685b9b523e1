"""Where a recognised line's characters sit: column cuts and word boxes.

Receipts and forms are printed in fixed-pitch columns, and the detector often
joins two columns of one row into one box ("0.40   ZRL", "QTY   U.PRICE").
The recogniser's CTC positions say where each character of such a box sits
(whether it read the blank as spaces or not).  A blank that spans at least
``gap`` character pitches (the centres of the characters on either side of
one space are 2 pitches apart, of two spaces 3; the pitch is the mean step
between neighbouring characters inside words) separates two columns: the
line is cut there, text and box, without reading anything again.  The same
positions give each word of a line its own box.
"""

from __future__ import annotations

import re

import numpy as np

from ..io.textlayer import CJK_WORD_CHARS as _CJK_CHAR  # a word per character
from .crop import is_vertical

__all__ = ["LinePiece", "split_columns", "word_quads"]

_MIN_STEPS = 3  # steps between neighbouring characters inside words needed to take the pitch from them

LinePiece = tuple[np.ndarray, str, np.ndarray]  # quad (tl, tr, br, bl), text, char centres (fractions)
Quad = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


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
    # the pitch from neighbours inside words, leaving out steps of `gap` times their median or more (a
    # blank read as no space): the span's average would count the blanks it is measuring, so that a
    # line with a wide column gap would seem to have a wider pitch, and its other gaps narrower ones
    steps = np.array([positions[b] - positions[a] for a, b in zip(ink, ink[1:], strict=False) if b == a + 1])
    steps = steps[steps < gap * np.median(steps)] if len(steps) >= _MIN_STEPS else steps[:0]
    pitch = float(steps.mean()) if len(steps) >= _MIN_STEPS else span / (ink[-1] - ink[0])
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
        centres = ((positions[a : b + 1] - f0) / max(f1 - f0, 1e-6)).astype(np.float32)
        pieces.append((_part(quad, f0, f1), text[a : b + 1], centres))
    return pieces


_WORD_MARGIN = 0.7  # character pitches beyond a word's outer character centres
_WORD = re.compile(f"[{_CJK_CHAR}]|[^\\s{_CJK_CHAR}]+")


def word_quads(quad: np.ndarray, text: str, positions: np.ndarray) -> list[tuple[Quad, str]]:
    """Each word of a line (a run of characters between spaces; a character of Chinese or
    Japanese script, which is written without them) with its part of ``quad``.

    ``positions`` are the centres of ``text``'s characters as fractions of the line's length in
    the direction it was read (left to right along the quad; top to bottom for a vertical quad),
    in the text's order (falling where the line was read turned over).  A word spans its outer
    characters' centres and 0.7 of a character pitch beyond each, the margin that placed words
    best (``benchmarks/words.py``).  A one-character line is one word with the whole quad; a line
    whose positions do not match its text has no words.  Corners come in the quad's order.
    """
    spans = [m.span() for m in _WORD.finditer(text)]
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = corners = [tuple(p) for p in np.asarray(quad, np.float64).tolist()]
    if len(spans) == 1 and spans[0][1] - spans[0][0] == 1:
        return [(tuple(corners), text.strip())]  # type: ignore[list-item]
    if not spans or len(positions) != len(text):
        return []
    pos = np.asarray(positions, np.float64).tolist()
    i, j = spans[0][0], spans[-1][1] - 1
    margin = _WORD_MARGIN * abs(pos[j] - pos[i]) / (j - i)
    vertical = is_vertical(quad)
    if vertical:  # read from the top edge down: cut the left and right edges, corners turned
        (x1, y1), (x3, y3) = (x3, y3), (x1, y1)
    out: list[tuple[Quad, str]] = []
    for start, end in spans:
        a, b = pos[start], pos[end - 1]
        lo, hi = max(0.0, min(a, b) - margin), min(1.0, max(a, b) + margin)
        # the cut along the edge the reading starts from (tl-tr) and the one it ends on (bl-br)
        t0, t1 = (x0 + (x1 - x0) * lo, y0 + (y1 - y0) * lo), (x0 + (x1 - x0) * hi, y0 + (y1 - y0) * hi)
        b0, b1 = (x3 + (x2 - x3) * lo, y3 + (y2 - y3) * lo), (x3 + (x2 - x3) * hi, y3 + (y2 - y3) * hi)
        out.append(((t0, b0, b1, t1) if vertical else (t0, t1, b1, b0), text[start:end]))
    return out


def _part(quad: np.ndarray, f0: float, f1: float) -> np.ndarray:
    """The part of ``quad`` (tl, tr, br, bl) between fractions ``f0`` and ``f1`` of its width."""
    tl, tr, br, bl = quad.astype(np.float32)
    return np.stack([tl + (tr - tl) * f0, tl + (tr - tl) * f1, bl + (br - bl) * f1, bl + (br - bl) * f0]).astype(
        np.float32
    )
