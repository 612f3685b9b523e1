"""Key–value pairs on a page (forms, invoices, receipts): text rules and geometry, no models.

:func:`find_key_values` reads a page's lines (OCR boxes or a PDF text layer, in page
coordinates) and returns the pairs it is sure of, each with the box of its key and of its
value.  It looks, in this order, for (a line takes part in one pair at most, except a
line holding several ``Key: Value`` parts):

1. ``Key: Value`` inside one line (also ``Key：Value``; several per line:
   ``RECEIPT #: 123 DATE: 01/02/2019``).  A key and value sharing a line split its box by
   character position (``char_edges``: boundaries or centres), else by the line's words, or
   without either in proportion to character width.
2. A value that starts with the colon (``DATE`` | ``: 01-03-18``), or a lone ``:`` box
   between key and value (``CASH`` | ``:`` | ``21.20``).
3. ``Key:`` closing a line: the value is the next box to its right on the row, else the
   line right under it.
4. Without a colon, only where the key holds a typical label word (``TOTAL``, ``DATE``,
   ``INVOICE NO``, ``合计`` …): a row of exactly two boxes, label then value
   (``TOTAL`` … ``12.30``; a currency box in between joins the value) or of strictly
   alternating labels and values (``Doc No`` | ``CS0067`` | ``Date`` | ``14/03/2018``), a label followed by
   an amount or a date in one line (``GRAND TOTAL RM51.30``), and a label alone on its
   row with its value alone under it (form fields).

Other rows of three or more boxes without a colon are table rows, not pairs.  Keys are short
(at most five words and 40 characters), do not start like prose (``the contract: is``)
and hold no verb; colons between digits (``12:30``) and in URLs are not key colons.

:func:`table_key_values` reads pairs from a recognised table: two-column key/value
tables, and header → cell for tables with a header row.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from ..document import Cell, KeyValue, Line, Table
from ..geometry import group_rows, reading_order, union
from ..types import BBox

__all__ = ["find_key_values", "table_key_values", "is_key_text", "is_label"]

_Kind = Literal["colon", "same_row", "below", "table"]

_COLONS = ":：∶"
_CURRENCY = frozenset(
    "rm myr $ us$ usd eur € £ gbp ¥ jpy rmb cny sgd s$ hkd hk$ inr ₹ rs aud a$ cad c$ chf idr rp thb ฿ "
    "php ₱ vnd ₫ krw ₩".split()
)
_CUR_RE = r"(?:RM|MYR|US\$|USD|EUR|GBP|JPY|RMB|CNY|SGD|S\$|HKD|HK\$|INR|RS\.?|AUD|CAD|CHF|IDR|RP|THB|PHP|VND|KRW|[$€£¥₹฿₱₫₩])"
_NUMBER_RE = r"[-+]?(?:\d{1,3}(?:[,' ]\d{3})+|\d+)(?:[.,]\d{1,4})?"
_AMOUNT = re.compile(
    rf"^\(?[-+]?\s*(?:{_CUR_RE}\s*)?(?P<num>{_NUMBER_RE})\s*(?:{_CUR_RE})?\)?(?:\s*[A-Z]{{1,2}})?$", re.IGNORECASE
)
_MONTHS = r"(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|SEPT|OCT|NOV|DEC)[A-Z]*"
_DATE = re.compile(
    rf"\b(?:\d{{1,4}}[/.\-]\d{{1,2}}[/.\-]\d{{2,4}}|\d{{1,2}}[\s/.\-]*{_MONTHS}[\s/.\-,]*\d{{2,4}}"
    rf"|{_MONTHS}\s+\d{{1,2}},?\s+\d{{2,4}})\b|\d{{2,4}}\s*年\s*\d{{1,2}}\s*月(?:\s*\d{{1,2}}\s*日)?",
    re.IGNORECASE,
)

# Words that start prose rather than a label ("the contract: is ...", "as follows: ...").
_FUNCTION = frozenset(
    "the a an this that these those it its we our you your they their he she his her which who whom "
    "following as and or but if then when while because although however therefore thus also".split()
)
_PRONOUNS = frozenset("i me we us you".split())  # "Follow us on Facebook: ...", not "Your ref:"
_DANGLING = frozenset("of the a an and or with".split())  # a key does not end on these
_VERBS = frozenset(  # not "do": "DO NO." (delivery order number) is a label
    "is are was were be been being will shall would should can could may might must has have had does did "
    "said says means include includes including".split()
)
# Label words: a key without a colon must hold one of these (as a word).
_LABEL_WORDS = frozenset(
    """total subtotal sub amount amt due balance payable sum grand nett net gross final rounding rounded round adj
    adjustment date time dated invoice inv receipt bill no nos number num ref reference order account acct
    customer client name address addr tel telephone phone mobile hp fax email web website cashier
    tax gst vat sst cash change paid payment tender tendered discount disc qty quantity price rate fee fees
    charge charges service deposit credit debit card visa mastercard master amex expiry exp valid period
    id code doc document pos trans transaction txn approval auth batch terminal tid mid counter table
    staff server salesperson operator attn contact company vendor supplier seller buyer subject remarks note
    notes description serial model policy member points bal po so do dn cn gr account iban bic swift bank
    branch issued issue birth dob sex gender nationality passport license licence plate vehicle mode method
    currency status weight pax guests cover hours""".split()
)
_LABEL_CJK = (
    "合计", "总计", "小计", "金额", "价税", "税额", "税率", "单价", "数量", "日期", "时间", "发票", "号码", "编号",
    "姓名", "名称", "地址", "电话", "备注", "收款", "开票", "付款", "实收", "找零", "应付", "应收", "账号", "开户",
    "合計", "総計", "小計", "金額", "税込", "日付", "番号", "氏名", "住所", "電話",
)
# Keys whose value may be words (no digit) when there is no colon to say so.
_TEXT_KEYS = frozenset(
    """name cashier customer client company vendor supplier seller buyer staff server salesperson operator attn
    contact payment mode method status currency country city email address subject title description
    remarks note notes bank branch gender sex nationality terminal bill ship sold deliver attention recipient
    sender issuer payee payer beneficiary holder owner waiter""".split()
)
# Keys whose value holds digits (a phone number, an amount, a date).
_NUMBER_KEYS = frozenset(
    """fax tel telephone phone mobile hp no nos number num date time total subtotal amount amt qty quantity price
    balance due paid cash change tax gst vat sst discount rounding sum fee charge deposit points""".split()
)
_LONG_VALUE_KEYS = frozenset("address addr description remarks note notes comment comments subject title".split())
_GENERIC_VALUE_HEADERS = frozenset("value values details detail information info data description content".split())

_S_INLINE, _S_COLON_BOX, _S_RIGHT, _S_BELOW_COLON = 0.9, 0.9, 0.85, 0.75
_S_SAME_ROW, _S_INLINE_PLAIN, _S_BELOW = 0.8, 0.75, 0.6


# ---------------------------------------------------------------------------------------------
# Text rules
# ---------------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return [w.strip("()[]{}.,:;#*'\"").casefold() for w in re.split(r"[\s\-/_@]+", text) if w.strip()]


def _has_label_word(text: str) -> bool:
    return any(w in _LABEL_WORDS for w in _words(text)) or any(c in text for c in _LABEL_CJK)


def _is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F") and ch.isalpha()


def is_key_text(text: str) -> bool:
    """Whether ``text`` can be a key: short, mostly letters, not the start of a sentence.

    At most five words holding letters and 40 characters (12 for CJK without spaces), no
    more digits than letters, no ``;!?``, no URL or e-mail, no verb (``is``, ``are`` …) and,
    for several words, no prose opener (``the``, ``this``, ``as`` …).
    """
    k = text.strip().lstrip("*•·-–").strip()
    if not k or len(k) > 40 or re.search(r"[;!?。！？]|https?|www\.|@\S+\.", k, re.IGNORECASE):
        return False
    words = k.split()
    letter_words = [w for w in words if any(ch.isalpha() for ch in w)]
    if not letter_words or len(letter_words) > 5:
        return False
    if len(words) == 1 and sum(map(_is_cjk, k)) > 12:
        return False
    letters = sum(ch.isalpha() for ch in k)
    digits = sum(ch.isdigit() for ch in k)
    if digits > letters:
        return False
    lw = [w.strip("()[]{}.,'\"").casefold() for w in words]
    if len(lw) > 1 and (lw[0] in _FUNCTION or lw[-1] in _DANGLING):
        return False
    return not any(w in _VERBS or w in _PRONOUNS for w in lw)


def is_label(text: str) -> bool:
    """A key without a colon: key text, a label word, and not itself an amount or a date."""
    t = text.strip()
    if not is_key_text(t) or _AMOUNT.match(t) or _DATE.search(t):
        return False
    alnum = sum(ch.isalnum() for ch in t)
    return sum(ch.isdigit() for ch in t) <= 0.3 * alnum and _has_label_word(t)


def _is_currency(text: str, *, loose: bool = False) -> bool:
    """A currency code or sign alone; ``loose``: also a short box with one OCR slip (``RM1``, ``RM.``)."""
    t = text.strip().casefold()
    if t in _CURRENCY:
        return True
    core = re.sub(r"[^a-z$€£¥₹฿₱₫₩]", "", t)
    return loose and len(t) <= 4 and len(t) - len(core) <= 1 and core in _CURRENCY


def _is_money(text: str) -> bool:
    m = _AMOUNT.match(text.strip())
    if not m:
        return False
    has_cur = re.search(_CUR_RE, text, re.IGNORECASE) is not None
    return has_cur or re.search(r"[.,]\d{2}$", m.group("num")) is not None


def _value_ok(value: str, key: str) -> bool:
    v = value.strip()
    if not v or v[-1] in _COLONS:
        return False
    limit = 40 if any(w in _LONG_VALUE_KEYS for w in _words(key)) else 12
    return len(v.split()) <= limit


def _is_key_colon(text: str, c: int) -> bool:
    before = text[:c].rstrip()
    after = text[c + 1:]
    if not before:
        return False
    if c > 0 and text[c - 1].isdigit() and after[:1].isdigit():
        return False  # 12:30, 5:23:26, 1:2
    if after.startswith(("//", "\\")) or re.search(r"(?:https?|ftp|file|mailto|www)$", before, re.IGNORECASE):
        return False
    return True


@dataclass(frozen=True, slots=True)
class _Seg:
    """A key and its value as character spans of one line's text (value may be empty)."""

    key: tuple[int, int]
    value: tuple[int, int]


def _strip_span(text: str, a: int, b: int, chars: str = "") -> tuple[int, int]:
    while a < b and (text[a].isspace() or text[a] in chars):
        a += 1
    while b > a and (text[b - 1].isspace() or text[b - 1] in chars):
        b -= 1
    return a, b


def _key_start(text: str, lo: int, c: int) -> int:
    """Where the key before the colon at ``c`` starts, in ``text[lo:c]`` after a value."""
    region = text[lo:c]
    wide = list(re.finditer(r"\s{2,}|\t", region.rstrip()))
    if wide:
        return lo + wide[-1].end()
    toks = list(re.finditer(r"\S+", region))
    if len(toks) <= 1:
        return lo + (toks[0].start() if toks else len(region))
    k = len(toks)
    while k > 0 and not any(ch.isdigit() for ch in toks[k - 1].group()):
        k -= 1
    run = len(toks) - k
    if k == 0 or run == 0 or run > 3:  # the value is words too, or the key holds a digit: the last word
        return lo + toks[-1].start()
    return lo + toks[k].start()


def _segments(text: str) -> list[_Seg]:
    """``Key: Value`` parts of a line, or [] when its first colon is not after a key."""
    colons = [c for c, ch in enumerate(text) if ch in _COLONS and _is_key_colon(text, c)]
    segs: list[_Seg] = []
    for n, c in enumerate(colons):
        if n == 0:
            ka = 0
        else:
            prev = segs[-1]
            ka = _key_start(text, prev.value[0], c)
            segs[-1] = _Seg(prev.key, _strip_span(text, prev.value[0], ka))
        ka, kb = _strip_span(text, ka, c, "*•·")
        va, vb = _strip_span(text, c + 1, len(text), _COLONS)
        if not is_key_text(text[ka:kb]):
            if n == 0:
                return []  # prose or a value holding a colon, not a key
            segs[-1] = _Seg(segs[-1].key, _strip_span(text, segs[-1].value[0], len(text)))
            break
        segs.append(_Seg((ka, kb), (va, vb)))
    return segs


def _is_id_key(key: str) -> bool:
    """A key naming a number: ``INVOICE NO.``, ``RECEIPT #``, ``ORDER NUMBER``."""
    words = key.split()
    last = words[-1].casefold() if words else ""
    return last.endswith("#") or last.strip(".") in ("no", "nos", "number", "num", "nr", "ref", "id")


def _plain_split(text: str) -> tuple[int, int] | None:
    """``LABEL amount`` or ``LABEL date`` in one line without a colon: where the value starts."""
    toks = list(re.finditer(r"\S+", text))
    for k in range(1, len(toks)):
        a = toks[k].start()
        value = text[a:].strip()
        key = text[:a].strip()
        ident = _is_id_key(key) and len(value.split()) == 1 and sum(ch.isdigit() for ch in value) >= 3
        # the value's test first: it is the cheaper, and most prefixes fail it
        if (_is_money(value) or (_DATE.match(value) and len(value) <= 24) or ident) and is_label(key):
            return a, len(text.rstrip())
    return None


# ---------------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------------


class _Page:
    """The lines, their rows and which lines are taken (internal working state)."""

    def __init__(self, lines: Sequence[Line], char_edges: Sequence[Sequence[float] | None] | None) -> None:
        self.lines = lines
        self.edges = list(char_edges) if char_edges is not None else [None] * len(lines)
        if len(self.edges) != len(lines):
            raise ValueError(f"char_edges has {len(self.edges)} entries for {len(lines)} lines")
        self.rows = group_rows([ln.bbox for ln in lines])
        self.row_of = {i: r for r, row in enumerate(self.rows) for i in row}
        self.used = [False] * len(lines)
        self.h = [max(ln.bbox[3] - ln.bbox[1], 1e-6) for ln in lines]

    def text(self, i: int) -> str:
        return self.lines[i].text

    def span_bbox(self, i: int, a: int, b: int) -> BBox:
        """Box of characters ``a:b`` of line ``i``."""
        x0, y0, x1, y1 = self.lines[i].bbox
        text = self.lines[i].text
        edges = self.edges[i]
        if edges is not None and len(edges) == len(text) + 1:
            return (float(edges[a]), y0, float(edges[b]), y1)
        if edges is not None and len(edges) == len(text) and text:  # character centres: cut half-way
            xa = x0 if a == 0 else (float(edges[a - 1]) + float(edges[a])) / 2
            xb = x1 if b == len(text) else (float(edges[b - 1]) + float(edges[b])) / 2
            return (xa, y0, xb, y1)
        if self.lines[i].words:  # a text layer's words (or a line's words without positions)
            return self.lines[i].span_box(a, b)
        w = [2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text]
        total = max(sum(w), 1)
        xa = x0 + (x1 - x0) * sum(w[:a]) / total
        xb = x0 + (x1 - x0) * sum(w[:b]) / total
        return (xa, y0, xb, y1)

    def right_of(self, i: int) -> list[int]:
        """The boxes after line ``i`` on its row, left to right (those that start right of its middle)."""
        row = self.rows[self.row_of[i]]
        x0, _, x1, _ = self.lines[i].bbox
        mid = (x0 + x1) / 2
        return [j for j in row[row.index(i) + 1:] if self.lines[j].bbox[0] >= mid]

    def left_of(self, i: int) -> int | None:
        row = self.rows[self.row_of[i]]
        k = row.index(i)
        if k == 0:
            return None
        j = row[k - 1]
        return j if self.lines[j].bbox[2] <= (self.lines[i].bbox[0] + self.lines[i].bbox[2]) / 2 else None

    def alone(self, i: int) -> bool:
        return len(self.rows[self.row_of[i]]) == 1

    def below(self, i: int) -> int | None:
        """The line right under line ``i``: aligned with it, within about a line height."""
        x0, y0, x1, y1 = self.lines[i].bbox
        best: tuple[float, float, int] | None = None
        for j, ln in enumerate(self.lines):
            if j == i or self.row_of[j] == self.row_of[i]:
                continue
            a0, b0, a1, b1 = ln.bbox
            gap = b0 - y1
            hmax = max(self.h[i], self.h[j])
            if gap < -0.3 * hmax or gap > 1.0 * hmax or b0 <= (y0 + y1) / 2:
                continue
            overlap = min(x1, a1) - max(x0, a0)
            narrow = max(min(x1 - x0, a1 - a0), 1e-6)
            if overlap < 0.5 * narrow and abs(a0 - x0) > hmax:
                continue
            cand = (gap, abs(a0 - x0), j)
            if best is None or cand < best:
                best = cand
        return best[2] if best else None

    def is_keyish(self, j: int) -> bool:
        """Line ``j`` holds a key of its own (and so is not a value)."""
        t = self.text(j).strip()
        return bool(_segments(t)) or (t[-1:] in _COLONS and is_key_text(t[:-1]))

    def value_run(self, first: int, lst: list[int]) -> list[int]:
        """``first`` and the boxes after it in ``lst`` that continue it (a split phrase, or currency + amount)."""
        run = [first]
        pos = lst.index(first)
        for j in lst[pos + 1:]:
            last = run[-1]
            gap = self.lines[j].bbox[0] - self.lines[last].bbox[2]
            currency = _is_currency(self.text(last), loose=True) and _AMOUNT.match(self.text(j).strip()) is not None
            if self.used[j] or self.is_keyish(j) or not (currency or gap <= 0.6 * self.h[last]):
                break
            run.append(j)
        return run

    def row_ends(self, rights: list[int], run: list[int]) -> bool:
        """Whether nothing but another key follows the value ``run`` on its row (else: a table row)."""
        rest = rights[rights.index(run[-1]) + 1:]
        return not rest or self.is_keyish(rest[0]) or self.text(rest[0]).strip() in _COLONS

    def whole(self, ids: list[int]) -> tuple[str, BBox]:
        return " ".join(self.text(j).strip() for j in ids), union([self.lines[j].bbox for j in ids])


def _box(b: Sequence[float]) -> BBox:
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def _kv(key: str, key_bbox: BBox, value: str, value_bbox: BBox, kind: _Kind, score: float) -> KeyValue:
    key = key.strip().rstrip(_COLONS).strip()
    value = re.sub(r"^(?:[:：∶]+|\.\s)\s*", "", value.strip()).strip()  # ": x", ". x" (an OCR'd colon)
    if key.startswith("(") and ")" not in key and value.endswith(")") and "(" not in value:
        key, value = key[1:].strip(), value[:-1].strip()  # (GST ID NO: 000306020352)
    return KeyValue(key=key, value=value, key_bbox=_box(key_bbox), value_bbox=_box(value_bbox), kind=kind,
                    score=score)


# ---------------------------------------------------------------------------------------------
# Finding pairs
# ---------------------------------------------------------------------------------------------


def find_key_values(
    lines: Sequence[Line], *, char_edges: Sequence[Sequence[float] | None] | None = None
) -> list[KeyValue]:
    """Key–value pairs among a page's ``lines`` (page coordinates), in reading order of their keys.

    ``char_edges``, if given, holds per line either ``None`` or page x positions of its
    characters, used to split a line holding both key and value: ``len(text) + 1``
    boundaries, or ``len(text)`` centres (as a CTC recogniser gives them; the cut falls
    half-way between neighbours).  Without them, or when the count does not match the
    text, the box is split by the line's words (``Line.span_box``), or without words in
    proportion to character widths (CJK characters count double).  See the module
    docstring for the patterns.
    """
    if not lines:
        return []
    pg = _Page(lines, char_edges)
    pairs: list[KeyValue] = []
    dangling: list[tuple[int, tuple[int, int]]] = []  # (line, key span) of "Key:" closing a line

    # 1. Key: Value inside a line.
    for i in range(len(lines)):
        text = pg.text(i)
        segs = _segments(text)
        if not segs:
            continue
        for n, s in enumerate(segs):
            key, value = text[s.key[0]:s.key[1]], text[s.value[0]:s.value[1]]
            if s.value[0] == s.value[1]:
                if n == len(segs) - 1:
                    dangling.append((i, s.key))
                continue
            vbox = pg.span_bbox(i, *s.value)
            if n == len(segs) - 1 and _is_currency(value):  # TOTAL:MYR | 13.10
                rights = pg.right_of(i)
                if rights and not pg.used[rights[0]] and _AMOUNT.match(pg.text(rights[0]).strip()):
                    pg.used[rights[0]] = True
                    value = f"{value} {pg.text(rights[0]).strip()}"
                    vbox = union([vbox, lines[rights[0]].bbox])
            if not _value_ok(value, key) or not _typed_value(value, key):
                continue
            pairs.append(_kv(key, pg.span_bbox(i, *s.key), value, vbox, "colon", _S_INLINE))
        pg.used[i] = True

    # 2. DATE | ": 01-03-18"  and  CASH | ":" | 21.20
    for i in range(len(lines)):
        t = pg.text(i).strip()
        if pg.used[i] or not t or t[0] not in _COLONS:
            continue
        k = pg.left_of(i)
        if k is None or pg.used[k] or not _key_without_colon(pg.text(k)):
            continue
        if t.strip(_COLONS + " "):
            a = len(pg.text(i)) - len(pg.text(i).lstrip())
            va, vb = _strip_span(pg.text(i), a, len(pg.text(i)), _COLONS)
            value, vbox = pg.text(i)[va:vb], pg.span_bbox(i, va, vb)
            if not _value_ok(value, pg.text(k)):
                continue
            pg.used[i] = pg.used[k] = True
            pairs.append(_kv(pg.text(k), lines[k].bbox, value, vbox, "colon", _S_COLON_BOX))
            continue
        rights = pg.right_of(i)
        if not rights or pg.used[rights[0]] or pg.is_keyish(rights[0]):
            continue
        run = pg.value_run(rights[0], rights)
        value, vbox = pg.whole(run)
        if not _value_ok(value, pg.text(k)) or not pg.row_ends(rights, run):
            continue
        for j in (i, k, *run):
            pg.used[j] = True
        pairs.append(_kv(pg.text(k), lines[k].bbox, value, vbox, "colon", _S_COLON_BOX))

    # 3. "Key:" closing a line (a whole line, or after other pairs in it): value right of it, else below.
    for i, (ka, kb) in dangling:
        key, kbox = pg.text(i)[ka:kb], pg.span_bbox(i, ka, kb)
        rights = pg.right_of(i)
        if rights:
            j = rights[0]
            if pg.used[j] or pg.is_keyish(j) or pg.text(j).strip() in _COLONS:
                continue
            run = pg.value_run(j, rights)
            value, vbox = pg.whole(run)
            if _value_ok(value, key) and _typed_value(value, key) and pg.row_ends(rights, run):
                for r in run:
                    pg.used[r] = True
                pairs.append(_kv(key, kbox, value, vbox, "colon", _S_RIGHT))
                continue
            if not is_label(pg.text(j)):
                continue  # something else follows the key: no pair; a label there: the value may be below
        below = pg.below(i)
        if below is None or pg.used[below] or pg.is_keyish(below) or not _value_ok(pg.text(below), key) \
                or not _typed_value(pg.text(below), key):
            continue
        j = below
        if not pg.alone(j) and lines[j].bbox[0] > lines[i].bbox[2]:
            continue
        pg.used[j] = True
        pairs.append(_kv(key, kbox, pg.text(j), lines[j].bbox, "below", _S_BELOW_COLON))

    # 4a. Two boxes on a row: TOTAL ... 12.30 (a currency box between them joins the value), or
    # label, value, label, value … strictly alternating (a form row whose colons OCR lost).
    for row in pg.rows:
        units = _units(pg, row)
        if len(units) % 2 or any(pg.used[j] for u in units for j in u):
            continue
        found = []
        for k in range(0, len(units), 2):
            label_unit, value_unit = units[k], units[k + 1]
            lab = label_unit[0]
            value, vbox = pg.whole(value_unit)
            if len(label_unit) != 1 or lines[value_unit[0]].bbox[0] < lines[lab].bbox[2] - 0.5 * pg.h[lab]:
                break
            if not is_label(pg.text(lab)) or not _plain_value(value, pg.text(lab)) or is_label(value):
                break
            found.append(_kv(pg.text(lab), lines[lab].bbox, value, vbox, "same_row", _S_SAME_ROW))
        else:
            for j in (j for u in units for j in u):
                pg.used[j] = True
            pairs.extend(found)

    # 4b. GRAND TOTAL RM51.30 in one line.
    for i in range(len(lines)):
        if pg.used[i]:
            continue
        split = _plain_split(pg.text(i))
        if split is None:
            continue
        va, vb = split
        ka, kb = _strip_span(pg.text(i), 0, va)
        pg.used[i] = True
        pairs.append(_kv(pg.text(i)[ka:kb], pg.span_bbox(i, ka, kb), pg.text(i)[va:vb],
                         pg.span_bbox(i, va, vb), "same_row", _S_INLINE_PLAIN))

    # 4c. A label alone on its row, its value alone right under it.
    for i in range(len(lines)):
        if pg.used[i] or not pg.alone(i) or not is_label(pg.text(i)) or any(ch.isdigit() for ch in pg.text(i)):
            continue
        last = _words(pg.text(i))[-1:]
        if not (last and (last[0] in _LABEL_WORDS or last[0] in ("to", "by"))) and not any(
                c in pg.text(i) for c in _LABEL_CJK):
            continue  # "SLF CASH & CARRY" is a name, not a label
        below = pg.below(i)
        if below is None or pg.used[below] or not pg.alone(below) or pg.is_keyish(below) \
                or is_label(pg.text(below)):
            continue
        j = below
        if not _plain_value(pg.text(j), pg.text(i)) or not _value_ok(pg.text(j), pg.text(i)):
            continue
        nxt = pg.below(j)
        if nxt is not None and any(ch.isdigit() for ch in pg.text(nxt)) and not is_label(pg.text(nxt)):
            continue  # a column of values under a header: a table
        pg.used[i] = pg.used[j] = True
        pairs.append(_kv(pg.text(i), lines[i].bbox, pg.text(j), lines[j].bbox, "below", _S_BELOW))

    order = reading_order([p.key_bbox for p in pairs])
    return [pairs[k] for k in order]


def _typed_value(value: str, key: str) -> bool:
    """Whether a value without digits suits the key: ``FAX:`` wants a number, and a label
    (``TAX INVOICE``) is a value only under a key that takes words (``NAME:``, ``PAYMENT MODE:``)."""
    if any(ch.isdigit() for ch in value):
        return True
    words = _words(key)
    if any(w in _NUMBER_KEYS for w in words):
        return False
    return not is_label(value) or any(w in _TEXT_KEYS for w in words)


def _key_without_colon(text: str) -> bool:
    t = text.strip()
    return bool(t) and not any(c in t for c in _COLONS) and is_key_text(t) and not _AMOUNT.match(t) \
        and not _DATE.search(t)


def _plain_value(value: str, key: str) -> bool:
    """A value without a colon to vouch for it: holds a digit, or a few words (not a sentence)
    under a key that takes words."""
    v = value.strip()
    if not v or _is_currency(v):
        return False
    if any(ch.isdigit() for ch in v):
        return True
    words = _words(v)
    prose = any(w in _VERBS or w in _PRONOUNS or w in _FUNCTION for w in words)
    return any(w in _TEXT_KEYS for w in _words(key)) and not _has_label_word(v) and len(words) <= 6 and not prose


def _units(pg: _Page, row: list[int]) -> list[list[int]]:
    """A row's boxes, a currency box joined to the amount after it."""
    units: list[list[int]] = []
    skip = False
    for n, j in enumerate(row):
        if skip:
            skip = False
            continue
        if _is_currency(pg.text(j), loose=True) and n + 1 < len(row) and _AMOUNT.match(pg.text(row[n + 1]).strip()):
            units.append([j, row[n + 1]])
            skip = True
        else:
            units.append([j])
    return units


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def table_key_values(table: Table, bbox_of_cell: Callable[[Cell], BBox | None] | None = None) -> list[KeyValue]:
    """Key–value pairs from a recognised table.

    - A two-column table without a header row (or whose header is generic: ``Field |
      Value``) whose left column holds labels (text, not numbers, in at least 60 % of
      rows) is a key/value table: each row gives ``left → right``.
    - A table with header rows (cells flagged ``header``) gives ``header → cell`` for every
      body cell.  When the first column labels the rows (text in at least 60 % of body
      rows) the key also names the row, ``"Amount (Item 2)"``, and the first column
      itself gives no pairs; otherwise the row is counted, ``"Amount (row 2)"`` (1-based
      among body rows).  Stacked header rows are joined (``"Price Unit"``).

    Key box: the header cell (or the left cell); value box: the cell.  Boxes come from
    ``bbox_of_cell`` (default: the cell's own ``bbox``); a pair whose key or value has no
    box is left out, as are empty cells and empty headers.
    """
    box = bbox_of_cell or (lambda c: c.bbox)
    head = table.header_rows
    score = 0.8 * table.score
    tops = {(c.row, c.col): c for c in table.cells}
    out: list[KeyValue] = []

    def emit(key: str, kcell: Cell | None, vcell: Cell) -> None:
        kb = box(kcell) if kcell is not None else None
        vb = box(vcell)
        if kb is None or vb is None or not key.strip() or not vcell.text.strip():
            return
        out.append(_kv(key, kb, vcell.text, vb, "table", score))

    if head == 0 and table.n_cols != 2:
        head = _guess_header(table, tops)
    body = range(head, table.n_rows)
    if table.n_cols == 2:
        lefts = [tops.get((r, 0)) for r in body]
        labels = [c for c in lefts if c is not None and _table_label(c.text)]
        right_head = table.cell_at(head - 1, 1) if head else None
        generic = right_head is None or right_head.text.strip().casefold() in _GENERIC_VALUE_HEADERS | {""}
        if generic and lefts and len(labels) >= 0.6 * len(lefts):
            for r in body:
                k, v = tops.get((r, 0)), tops.get((r, 1))
                if k is not None and v is not None and k.colspan == 1:
                    emit(k.text, k, v)
            return out
    if head == 0 or head >= table.n_rows:
        return out
    headers: list[tuple[str, Cell | None]] = []
    for c in range(table.n_cols):
        parts: list[str] = []
        last: Cell | None = None
        for r in range(head):
            cell = table.cell_at(r, c)
            if cell is not None and cell.text.strip() and (not parts or parts[-1] != cell.text.strip()):
                parts.append(cell.text.strip())
                last = cell
        headers.append((" ".join(parts), last))
    firsts = [table.cell_at(r, 0) for r in body]
    row_labels = sum(1 for c in firsts if c is not None and _table_label(c.text)) >= 0.6 * max(len(firsts), 1)
    for n, r in enumerate(body, start=1):
        label_cell = table.cell_at(r, 0)
        label = label_cell.text.strip() if row_labels and label_cell is not None else ""
        for c in range(table.n_cols):
            cell = tops.get((r, c))
            if cell is None or (row_labels and c == 0):
                continue
            name, hcell = headers[c]
            if not name:
                continue
            emit(f"{name} ({label})" if label else f"{name} (row {n})", hcell, cell)
    return out


def _guess_header(table: Table, tops: dict[tuple[int, int], Cell]) -> int:
    """1 when no row is flagged as header but the first row reads like one (labels over data), else 0."""
    first = [c for c in table.cells if c.row == 0 and c.text.strip()]
    if table.n_rows < 2 or len(first) < 2 or not all(_table_label(c.text) for c in first):
        return 0
    return int(any(any(ch.isdigit() for ch in c.text) for c in table.cells if c.row >= 1))


def _table_label(text: str) -> bool:
    t = text.strip()
    return bool(t) and is_key_text(t) and not _AMOUNT.match(t) and sum(ch.isalpha() for ch in t) >= 2
