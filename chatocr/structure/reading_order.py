"""Reading order and text grouping on a page: pure geometry over boxes and lines, no models.

- :func:`xy_cut_order` orders layout regions across columns (recursive XY-cut that keeps
  a two-column section together even when its columns have aligned gaps).
- :func:`margin_role`, :class:`RunningHeaderDetector` and :func:`mark_headers_footers`
  find page numbers and running headers/footers; the detector sees one page at a time.
- :func:`group_paragraphs`, :func:`join_lines` and :func:`block_text` turn the lines of one
  text region into paragraphs of running text (rows set apart keep lines of their own).
- :func:`assign_lines_to_regions` and :func:`cluster_orphans` put OCR lines into layout
  regions and group the lines no region took.

Boxes are ``x0, y0, x1, y1`` with the origin top-left (see :mod:`chatocr.types`).
"""

from __future__ import annotations

import difflib
import re
import statistics
import unicodedata
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np

from ..document import Line
from ..geometry import group_rows, reading_order, union
from ..types import BBox

__all__ = [
    "Role",
    "xy_cut_order",
    "is_page_number",
    "margin_role",
    "RunningHeaderDetector",
    "mark_headers_footers",
    "group_paragraphs",
    "join_lines",
    "block_text",
    "assign_lines_to_regions",
    "cluster_orphans",
]

Role = Literal["header", "footer"]

# ---------------------------------------------------------------------------------------------
# XY-cut
# ---------------------------------------------------------------------------------------------

_TOL_X = 0.004  # boxes may overlap by this fraction of the page and still leave a cut between them
_TOL_Y = 0.002
_MARGIN = 0.1  # top and bottom bands (fraction of the page height) that hold headers and footers
_MARGIN_GAP = 0.02  # gap between a header/footer and the body, as a fraction of the page height


def xy_cut_order(bboxes: Sequence[BBox], *, page_width: float, page_height: float) -> list[int]:
    """Indices of ``bboxes`` (layout regions) in reading order.

    Recursive XY-cut.  At each step the regions are split into horizontal bands at the
    vertical gaps between them; consecutive bands that share a column gutter are merged
    back (so a two-column section whose paragraphs happen to end at the same height is
    still read column by column), and bands are read top to bottom.  A set of regions
    that forms one band is split into columns at the horizontal gaps and read left to
    right.  A full-width title, table or figure blocks the gutter and so separates the
    sections above and below it; a band in the top or bottom 10 % of the page that a clear
    gap separates from the body (2 % of the page height, or well over the usual gap
    between bands) is a header, footer or page number and is never merged into the body.  Regions that overlap
    so that no cut exists fall back to rows top to bottom, left to right.

    Boxes may overlap a little (0.4 % of the page width, 0.2 % of its height) and still be
    cut apart.
    """
    if page_width <= 0 or page_height <= 0:
        raise ValueError(f"page size must be positive, got {page_width} x {page_height}")
    if len(bboxes) == 0:
        return []
    b = np.asarray([tuple(bb)[:4] for bb in bboxes], dtype=np.float64).reshape(-1, 4)
    b = np.stack([np.minimum(b[:, 0], b[:, 2]), np.minimum(b[:, 1], b[:, 3]),
                  np.maximum(b[:, 0], b[:, 2]), np.maximum(b[:, 1], b[:, 3])], axis=1)
    cut = _Cutter(b, float(page_width), float(page_height))
    return cut.order(list(range(len(b))))


@dataclass(frozen=True, slots=True)
class _Cutter:
    boxes: np.ndarray
    width: float
    height: float

    def _shrunk(self, ids: list[int], axis: int) -> tuple[np.ndarray, np.ndarray]:
        lo = self.boxes[ids, axis]
        hi = self.boxes[ids, axis + 2]
        tol = (_TOL_X * self.width) if axis == 0 else (_TOL_Y * self.height)
        shrink = np.minimum(tol, 0.25 * (hi - lo))
        return lo + shrink, hi - shrink

    def split(self, ids: list[int], axis: int) -> list[list[int]]:
        """``ids`` in groups separated by gaps along ``axis`` (0: x, columns; 1: y, bands)."""
        lo, hi = self._shrunk(ids, axis)
        groups: list[list[int]] = []
        reach = -np.inf
        for k in np.argsort(lo, kind="stable"):
            if groups and lo[k] <= reach:
                groups[-1].append(ids[k])
            else:
                groups.append([ids[k]])
            reach = max(reach, hi[k])
        return groups

    def spans(self, ids: list[int]) -> list[tuple[float, float]]:
        """The x extents of ``ids`` merged where they touch: one per column."""
        lo, hi = self._shrunk(ids, 0)
        return _merge_spans(sorted(zip(lo.tolist(), hi.tolist(), strict=True)))

    def marginal(self, bands: list[list[int]]) -> list[bool]:
        """Which bands are headers or footers: in the top/bottom margin zone, and cut off from
        the body by a clear gap (2 % of the page, or 1.8 times the usual gap between bands but
        at least 0.8 % of the page), so body lines near the edge stay body."""
        y0 = [float(self.boxes[b, 1].min()) for b in bands]
        y1 = [float(self.boxes[b, 3].max()) for b in bands]
        usual = statistics.median(y0[k + 1] - y1[k] for k in range(len(bands) - 1))
        gap = min(_MARGIN_GAP * self.height, max(1.8 * usual, 0.4 * _MARGIN_GAP * self.height))
        top = [v <= _MARGIN * self.height for v in y1]
        bottom = [v >= (1 - _MARGIN) * self.height for v in y0]
        out = [False] * len(bands)
        for k in range(len(bands)):
            if top[k]:
                m = next((j for j in range(k + 1, len(bands)) if not top[j]), None)
                out[k] = m is not None and max(y0[j + 1] - y1[j] for j in range(k, m)) >= gap
            elif bottom[k]:
                m = next((j for j in range(k - 1, -1, -1) if not bottom[j]), None)
                out[k] = m is not None and max(y0[j + 1] - y1[j] for j in range(m, k)) >= gap
        return out

    def order(self, ids: list[int]) -> list[int]:
        if len(ids) <= 1:
            return ids
        bands = self.split(ids, 1)
        if len(bands) > 1:
            # Merge consecutive bands that share a gutter: together they still split into
            # columns, and one of them lies across the gap (it is a multi-column band).
            edge = self.marginal(bands)
            groups: list[list[int]] = [bands[0]]
            spans = [self.spans(bands[0])]
            for k in range(1, len(bands)):
                band, own = bands[k], self.spans(bands[k])
                both = _merge_spans(sorted(spans[-1] + own))
                if (len(both) > 1 and not edge[k - 1] and not edge[k]
                        and (_columns_hit(spans[-1], both) > 1 or _columns_hit(own, both) > 1)):
                    groups[-1] = groups[-1] + band
                    spans[-1] = both
                else:
                    groups.append(band)
                    spans.append(own)
            if len(groups) > 1:
                return [i for g in groups for i in self.order(g)]
        cols = self.split(ids, 0)
        if len(cols) > 1:
            return [i for c in cols for i in self.order(c)]
        sub = reading_order([self.boxes[i] for i in ids])
        return [ids[k] for k in sub]


def _merge_spans(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted intervals merged where they overlap (touching is not a gap)."""
    out: list[tuple[float, float]] = []
    for lo, hi in spans:
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _columns_hit(spans: list[tuple[float, float]], columns: list[tuple[float, float]]) -> int:
    """How many of ``columns`` hold one of ``spans`` (each span lies inside one column)."""
    return len({next(k for k, (a, b) in enumerate(columns) if a <= lo and hi <= b) for lo, hi in spans})


# ---------------------------------------------------------------------------------------------
# Headers, footers, page numbers
# ---------------------------------------------------------------------------------------------

_ROMAN = r"(?=[ivxlcdm])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
_PAGE_NO = re.compile(
    r"""^\s*[\[(]?\s*(?:
        [-–—~·•]?\s*\d{1,4}\s*[-–—~·•]?                                 # 3   - 3 -   · 3 ·
      | (?:page|pg\.?|p\.|seite|página|pagina|side|sida|стр\.?)\s*\d{1,4}
            (?:\s*(?:of|/|von|de|di|из|af)\s*\d{1,4})?                   # Page 3, Page 3 of 10
      | \d{1,4}\s*(?:/|of|von)\s*\d{1,4}                                # 3 / 10, 3 of 10
      | (?:page\s*)?""" + _ROMAN + r"""                                  # iv (front matter)
      | 第\s*\d{1,4}\s*[页頁](?:\s*[,，/]?\s*共\s*\d{1,4}\s*[页頁])?       # 第3页 共10页
      | \d{1,4}\s*[页頁]
    )\s*[\])]?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def is_page_number(text: str) -> bool:
    """Whether ``text`` is a page number: ``3``, ``- 3 -``, ``Page 3 of 10``, ``3/10``, ``iv``, ``第3页``."""
    t = text.strip()
    if not t:
        return False
    if re.fullmatch(r"[ivxlcdm]+", t, re.IGNORECASE) and not t.islower():
        return False  # upper-case roman numerals are more often words ("MIX", "I") than page numbers
    return _PAGE_NO.match(t) is not None


def _band(bbox: BBox, page_height: float, margin: float) -> Role | None:
    cy = (bbox[1] + bbox[3]) / 2
    if bbox[3] - bbox[1] > margin * page_height:
        return None
    if cy <= margin * page_height:
        return "header"
    if cy >= (1 - margin) * page_height:
        return "footer"
    return None


def margin_role(bbox: BBox, text: str, *, page_height: float, margin: float = _MARGIN) -> Role | None:
    """The single-page rule: a page number in the top or bottom ``margin`` band of the page.

    Returns ``"header"`` or ``"footer"`` by the band the box's centre lies in, else ``None``.
    """
    band = _band(bbox, page_height, margin)
    return band if band is not None and is_page_number(text) else None


def _signature(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).casefold()
    t = re.sub(r"\d+", "#", t)
    return re.sub(r"\s+", " ", t).strip()


@dataclass(frozen=True, slots=True)
class _Mark:
    item: int
    band: Role
    sig: str
    cx: float  # centre, as a fraction of the page
    cy: float


def _same(a: _Mark, b: _Mark, tol: float) -> bool:
    if a.band != b.band or abs(a.cy - b.cy) > tol:
        return False
    if abs(a.cx - b.cx) > 2 * tol and abs(a.cx - (1 - b.cx)) > 2 * tol:  # mirrored: even/odd pages
        return False
    if a.sig == b.sig:
        return True
    short = min(len(a.sig), len(b.sig))
    return short >= 6 and difflib.SequenceMatcher(None, a.sig, b.sig).ratio() >= 0.85


class RunningHeaderDetector:
    """Finds headers and footers page by page, for a parser that streams pages.

    Feed each page's items (block or line boxes with their text) to :meth:`observe`, in
    page order; it returns ``"header"``, ``"footer"`` or ``None`` per item of that page:

    - a page number in the top/bottom ``margin`` band is a header/footer on its own
      (:func:`margin_role`);
    - other text in the band is a running header/footer when the same text, ignoring
      digits and case (near-identical for longer text, so OCR slips still match), sits at
      the same height on one of the last ``window`` pages, at the same horizontal place or
      mirrored (left on even pages, right on odd ones).

    Only the margin items of the last ``window`` pages are kept, never the pages.  The
    first page of a run can only be recognised when a later page repeats it: after each
    :meth:`observe`, :meth:`backfill` lists such items of earlier pages, for a caller that
    still holds them.
    """

    def __init__(self, *, margin: float = _MARGIN, window: int = 4, position_tol: float = 0.02,
                 max_chars: int = 200) -> None:
        if not 0 < margin < 0.5:
            raise ValueError(f"margin is a fraction of the page height below 0.5, got {margin}")
        if window < 1:
            raise ValueError(f"window must be at least 1 page, got {window}")
        self.margin = margin
        self.window = window
        self.position_tol = position_tol
        self.max_chars = max_chars
        self._past: deque[tuple[int, list[_Mark], set[int]]] = deque(maxlen=window)
        self._pages = 0
        self._backfill: list[tuple[int, int, Role]] = []

    @property
    def pages_seen(self) -> int:
        return self._pages

    def observe(self, items: Sequence[tuple[BBox, str]], page_width: float, page_height: float) -> list[Role | None]:
        """Roles of the items of the next page (``(bbox, text)`` pairs in page coordinates)."""
        if page_width <= 0 or page_height <= 0:
            raise ValueError(f"page size must be positive, got {page_width} x {page_height}")
        roles: list[Role | None] = [None] * len(items)
        marks: list[_Mark] = []
        for k, (bbox, text) in enumerate(items):
            band = _band(bbox, page_height, self.margin)
            if band is None or not text.strip():
                continue
            if is_page_number(text):
                roles[k] = band
                continue
            sig = _signature(text)
            if len(text) > self.max_chars or not any(ch.isalnum() for ch in sig):
                continue
            cx = (bbox[0] + bbox[2]) / 2 / page_width
            cy = (bbox[1] + bbox[3]) / 2 / page_height
            marks.append(_Mark(k, band, sig, cx, cy))
        self._backfill = []
        for m in marks:
            for page, old_marks, flagged in self._past:
                hits = [o for o in old_marks if _same(m, o, self.position_tol)]
                if not hits:
                    continue
                roles[m.item] = m.band
                for o in hits:
                    if o.item not in flagged:
                        flagged.add(o.item)
                        self._backfill.append((page, o.item, o.band))
        flagged_now = {m.item for m in marks if roles[m.item] is not None}
        self._past.append((self._pages, marks, flagged_now))
        self._pages += 1
        return roles

    def backfill(self) -> list[tuple[int, int, Role]]:
        """Items of earlier pages first recognised by the last :meth:`observe`.

        ``(page, item, role)``: ``page`` counts observed pages from 0, ``item`` indexes the
        items passed for that page.  Each item is reported once.
        """
        return list(self._backfill)


def mark_headers_footers(
    pages: Sequence[Sequence[tuple[BBox, str]]],
    page_sizes: Sequence[tuple[float, float]],
    *,
    margin: float = _MARGIN,
    window: int = 4,
) -> list[list[Role | None]]:
    """Roles of every item of every page: :class:`RunningHeaderDetector` over a whole document,
    earlier pages included (``window`` pages either side)."""
    det = RunningHeaderDetector(margin=margin, window=window)
    out: list[list[Role | None]] = []
    for items, (w, h) in zip(pages, page_sizes, strict=True):
        out.append(det.observe(items, w, h))
        for page, item, role in det.backfill():
            out[page][item] = role
    return out


# ---------------------------------------------------------------------------------------------
# Paragraphs
# ---------------------------------------------------------------------------------------------

_BULLET = re.compile(
    r"""^\s*(?:
        [•·▪▫●○◦■□◆◇►▶➢➤✓✔※\-–—*+]\s+          # • item, - item
      | [•▪●■◆►▶➢➤✓✔]                          # •item
      | \(?(?:\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4})[.)]\s+  # 1. item, a) item, (iv) item
      | \(\d{1,3}\)\s*                          # (1) item
      | [①-⑳]                                   # ① item
      | [一二三四五六七八九十]+[、.．]             # 一、
      | \d{1,3}[、．]                            # 1、
    )""",
    re.VERBOSE,
)


def _is_bullet(text: str) -> bool:
    return _BULLET.match(text) is not None


def group_paragraphs(lines: Sequence[Line]) -> list[list[int]]:
    """Indices of ``lines`` (one text region) grouped into paragraphs, in reading order.

    Lines are first put in rows (several OCR boxes on one row are one visual line).  A new
    paragraph starts at a row that

    - begins with a bullet or an item number (``•``, ``-``, ``1.``, ``a)``, ``(iv)``, ``①``);
    - follows a gap clearly larger than the region's usual line spacing;
    - is indented (a first-line indent) under a row that starts at the left margin, outside
      a list item, whose continuation rows may be indented;
    - changes text height a lot (a heading inside the region);
    - follows a row that stopped short: the first word of the row would have fit at
      the end of the previous one, so the writer broke the line there (in left-aligned
      text only: centred lines are short by design).
    """
    if not lines:
        return []
    boxes = [ln.bbox for ln in lines]
    rows = group_rows(boxes)
    rb = [union([boxes[i] for i in row]) for row in rows]
    texts = [" ".join(lines[i].text.strip() for i in row).strip() for row in rows]
    heights = [b[3] - b[1] for b in rb]
    h = max(statistics.median(heights), 1e-6)
    gaps = [rb[k][1] - rb[k - 1][3] for k in range(1, len(rb))]
    base_gap = min(max(statistics.median(gaps), 0.0), 0.8 * h) if gaps else 0.0
    left = min(b[0] for b in rb)
    right = max(b[2] for b in rb)
    tol = 0.6 * h
    flush_left = sum(1 for b in rb if b[0] - left <= tol)
    has_margin = flush_left * 2 >= len(rb)

    paras: list[list[int]] = [list(rows[0])]
    in_list = _is_bullet(texts[0])
    for k in range(1, len(rows)):
        prev, cur = rb[k - 1], rb[k]
        text, prev_text = texts[k], texts[k - 1]
        bullet = _is_bullet(text)
        brk = bullet
        if not brk and gaps[k - 1] > base_gap + 0.5 * h:
            brk = True
        if not brk and len(text) >= 4 and len(prev_text) >= 4:
            ratio = max(heights[k], 1e-6) / max(heights[k - 1], 1e-6)
            brk = ratio > 1.5 or ratio < 1 / 1.5
        if not brk and has_margin and not in_list:
            brk = cur[0] - left > max(tol, 0.9 * h) and prev[0] - left <= tol
        if not brk and has_margin and prev_text and text:
            brk = _ended_early(prev, prev_text, text, right, h)
        if brk:
            paras.append(list(rows[k]))
            in_list = bullet
        else:
            paras[-1].extend(rows[k])
    return paras


def _ended_early(prev: BBox, prev_text: str, text: str, right: float, h: float) -> bool:
    """Whether the first word of ``text`` would have fit after ``prev_text`` on its row."""
    if prev_text.endswith(("-", "\u00ad", "\u2010")):
        return False
    char_w = (prev[2] - prev[0]) / max(_text_width(prev_text), 1)
    if _is_cjk(text[0]):
        need = _text_width(text[0])
    else:
        need = _text_width(text.split()[0]) + 1  # the word and the space before it
    room = right - prev[2]
    return room > need * char_w * 1.1 + 0.5 * h


def _text_width(text: str) -> int:
    """Width of ``text`` in half-width character units (CJK characters count two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x3000 <= o <= 0x30FF  # CJK punctuation, kana
        or 0x3400 <= o <= 0x4DBF
        or 0x4E00 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFFEF  # full-width forms
        or 0x20000 <= o <= 0x2FA1F
    )


# Prefixes written with a hyphen even when the line does not break there ("e-mail", "self-aware").
_KEEP_HYPHEN = frozenset({"self", "ex", "all", "well", "half", "cross", "quasi"})
_HYPHENS = ("-", "\u2010", "\u2011")


def join_lines(texts: Sequence[str]) -> str:
    """The lines of one paragraph as running text.

    - Lines are joined by a space; CJK lines (a CJK character on either side of the
      break) are joined without one.
    - A word split at the line end is rejoined: ``inter-`` + ``national`` →
      ``international``.  The hyphen stays when it is probably part of the word: the
      next line starts with a capital or a digit (``Anglo-``/``Saxon``, ``COVID-``/``19``),
      the part before it is one letter or a prefix always written with a hyphen
      (``e-``/``mail``, ``self-``/``aware``, ``well-``/``known``), or it already holds a
      hyphen (``state-of-the-``/``art``).  A soft hyphen (U+00AD) is always dropped.
    - A dash after a space (``word -``) is a dash: a space follows it; an em/en dash at the
      end joins without a space.
    """
    out = ""
    for raw in texts:
        t = raw.strip()
        if not t:
            continue
        if not out:
            out = t
            continue
        out = _join_pair(out, t)
    return out


def block_text(texts: Sequence[str], boxes: Sequence[BBox]) -> str:
    """The text of one block: its rows joined as running text (:func:`join_lines`), except a
    row whose pieces stand apart (a gap wider than the row is high: a label and its value,
    the columns of a receipt), which keeps a line of its own, its pieces joined by spaces."""
    out = ""
    apart_before = False
    for row in group_rows(boxes):
        kept = [i for i in row if texts[i].strip()]
        if not kept:
            continue
        parts = [texts[i].strip() for i in kept]
        h = statistics.median(boxes[i][3] - boxes[i][1] for i in kept)
        apart = any(boxes[b][0] - boxes[a][2] > h for a, b in pairwise(kept))
        text = " ".join(parts) if apart else join_lines(parts)
        if not out:
            out = text
        elif apart or apart_before:
            out += "\n" + text
        else:
            out = _join_pair(out, text)
        apart_before = apart
    return out


def _join_pair(prev: str, nxt: str) -> str:
    last, first = prev[-1], nxt[0]
    if last == "\u00ad":
        return prev[:-1] + nxt
    if last in _HYPHENS:
        if len(prev) >= 2 and prev[-2].isspace():
            return prev + " " + nxt
        m = re.search(r"[\w\-\u2010\u2011]+$", prev)
        word = m.group(0)[:-1] if m else ""
        stem = re.split(r"[-\u2010\u2011]", word)[-1]
        if not stem or not stem[-1].isalpha():
            return prev + nxt  # "12-" + "15", "B-" + "52"
        if first.islower() and not _is_cjk(first):
            keep = len(stem) == 1 or stem.casefold() in _KEEP_HYPHEN or any(h in word for h in _HYPHENS)
            return (prev if keep else prev[:-1]) + nxt
        return prev + nxt
    if last in "—–":
        return prev + nxt
    if _is_cjk(last) or _is_cjk(first):
        return prev + nxt
    return prev + " " + nxt


# ---------------------------------------------------------------------------------------------
# Lines into regions
# ---------------------------------------------------------------------------------------------


def _as_array(boxes: Sequence[BBox]) -> np.ndarray:
    return np.asarray([tuple(b)[:4] for b in boxes], dtype=np.float64).reshape(-1, 4)


def assign_lines_to_regions(
    line_bboxes: Sequence[BBox], region_bboxes: Sequence[BBox], *, min_overlap: float = 0.5
) -> list[int]:
    """For each line, the index of the region that holds it, or -1.

    A line goes to the region that covers most of its area, if that is at least
    ``min_overlap`` of the line (a line with no area: the region holding its centre).
    Equal cover (nested or overlapping regions): the region holding the line's centre,
    then the smaller region, then the first.
    """
    if not 0 < min_overlap <= 1:
        raise ValueError(f"min_overlap is a fraction in (0, 1], got {min_overlap}")
    n = len(line_bboxes)
    if n == 0:
        return []
    if len(region_bboxes) == 0:
        return [-1] * n
    L = _as_array(line_bboxes)[:, None, :]
    R = _as_array(region_bboxes)[None, :, :]
    iw = np.clip(np.minimum(L[..., 2], R[..., 2]) - np.maximum(L[..., 0], R[..., 0]), 0, None)
    ih = np.clip(np.minimum(L[..., 3], R[..., 3]) - np.maximum(L[..., 1], R[..., 1]), 0, None)
    inter = iw * ih
    area = ((L[..., 2] - L[..., 0]) * (L[..., 3] - L[..., 1]))[:, 0]
    cx = (L[..., 0] + L[..., 2]) / 2
    cy = (L[..., 1] + L[..., 3]) / 2
    centre = (R[..., 0] <= cx) & (cx <= R[..., 2]) & (R[..., 1] <= cy) & (cy <= R[..., 3])
    r_area = ((R[..., 2] - R[..., 0]) * (R[..., 3] - R[..., 1]))[0]
    out: list[int] = []
    for i in range(n):
        if area[i] <= 0:
            hits = np.flatnonzero(centre[i])
            out.append(int(min(hits, key=lambda j: (r_area[j], j))) if len(hits) else -1)
            continue
        cover = inter[i] / area[i]
        best = cover.max()
        if best < min_overlap:
            out.append(-1)
            continue
        cands = np.flatnonzero(cover >= best - 1e-6)
        out.append(int(min(cands, key=lambda j: (not centre[i, j], r_area[j], j))))
    return out


def cluster_orphans(line_bboxes: Sequence[BBox]) -> list[list[int]]:
    """Lines that no region took, grouped into text blocks by proximity.

    Two lines are in one block when they sit on one row with a gap under one line height,
    or one is under the other (gap under 0.8 line heights), they overlap horizontally
    or start at the same x, and their heights differ by less than 1.6x.  Blocks come
    top to bottom (then left to right); lines in a block in reading order.
    """
    n = len(line_bboxes)
    if n == 0:
        return []
    b = _as_array(line_bboxes)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    h = np.maximum(b[:, 3] - b[:, 1], 1e-6)
    by_top = np.argsort(b[:, 1], kind="stable")
    for k, i in enumerate(by_top):
        # a partner below starts within 0.8 x 1.6 of this line's height under it (see _near)
        for j in by_top[k + 1:]:
            if b[j, 1] - b[i, 3] > 1.28 * h[i]:
                break
            if _near(b[i], b[j], h[i], h[j]):
                ri, rj = find(int(i)), find(int(j))
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    blocks = []
    for members in groups.values():
        order = reading_order([b[i] for i in members])
        blocks.append([members[k] for k in order])
    blocks.sort(key=lambda g: (min(b[i, 1] for i in g), min(b[i, 0] for i in g)))
    return blocks


def _near(a: np.ndarray, c: np.ndarray, ha: float, hc: float) -> bool:
    small, big = min(ha, hc), max(ha, hc)
    if big > 1.6 * small:
        return False
    y_overlap = min(a[3], c[3]) - max(a[1], c[1])
    x_gap = max(a[0], c[0]) - min(a[2], c[2])
    if y_overlap >= 0.5 * small:  # same row
        return x_gap <= big
    y_gap = max(a[1], c[1]) - min(a[3], c[3])
    if y_gap > 0.8 * big:
        return False
    return x_gap < 0 or abs(a[0] - c[0]) <= big
