"""Labelled values: candidates for one key from key–value pairs, tables and label lines.

How documents are made decides where a labelled value sits: after the label on
the same line (``Total: 9.00``), in a separate box on the same row (receipts
print ``TOTAL`` and ``9.00`` at the two margins), or under the label (forms and
header bands put ``Invoice No`` above its value).  Every candidate carries the
label's strength, a position factor for where it was found, and the value
type's plausibility; the best one wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...document import Block, Cell, Document
from ...types import BBox
from ..grounding import cell_line, value_box
from . import validators as V
from .labels import ROLE_IN_BRACKETS, LabelHit, LabelMatcher, any_label_score, correct_tokens, split_label
from .layout import View, VLine, union
from .synonyms import KeySpec, label_tokens

__all__ = ["Candidate", "labelled_candidates", "value_spans", "continuation"]

# where the value was found, relative to its label
POS_SAME = 1.0
POS_RIGHT = 0.97
POS_BELOW = 0.86
POS_TABLE_ROW = 0.97
POS_TABLE_COL = 0.9


@dataclass(slots=True)
class Candidate:
    value: str
    norm: str
    page: int
    bbox: BBox
    source: str
    score: float
    method: str
    lines: tuple[int, ...] = ()  # VLine indices of value (and label) lines
    label: str = ""
    extra: dict = field(default_factory=dict)


# what leads a value in: colons, dashes, bars; not a minus sign on a figure ("-1,952.60" overdrawn)
_LEAD = re.compile(r"^(?:[\s:：–—|=>]|-(?![\d$€£¥]))+")


def value_spans(spec: KeySpec, text: str) -> list[V.Span]:
    """Values of the key's type in ``text`` (leading colons and dashes dropped)."""
    t = _LEAD.sub("", text)
    off = len(text) - len(t)
    if not t.strip():
        return []
    if spec.vtype in ("org", "name", "address", "text"):
        t = _cut_at_next_label(t)
        if spec.vtype in ("org", "name"):
            named = _NAME_LABEL.match(t)  # "购买方 | 名称：X": the party's name under its own label
            if named:
                off += named.end()
                t = t[named.end():]
            t = name_only(t)
        if spec.vtype == "address":  # "地址、电话：X 010-88886666": the address without the phone after it
            phones = [p for p in V.find_phones(t) if p.score >= 0.8 and not t[p.end:].strip(" ,;，；")]
            if phones and t[: phones[-1].start].strip(" ,;，；"):
                t = t[: phones[-1].start].rstrip(" ,;，；")
        if spec.vtype == "text":  # "Payment terms: 30 days net. Please pay by …": the value is its sentence
            end = next((m for m in _SENTENCE_STOP.finditer(t) if not ABBREVIATION.search(t, 0, m.start())), None)
            t = t[: end.start()] if end is not None else t
        if not t.strip():
            return []
    spans = V.find(spec.vtype, t)
    if spec.family == "custom" and spec.vtype == "text":
        # a key of the user's own that says no type ("overdraft limit", "seats"): a figure after its
        # label is its value, where a family's free text ("payment terms") wants words
        spans = [V.Span(s.start, s.end, s.text, s.norm, 0.9) if s.score < 0.9 and re.search(r"\d", s.text) else s
                 for s in spans]
    elif spec.family == "custom" and spec.vtype == "id":
        # a code of the user's own ("sort code: 11-18-15"), whole after its label, even where it looks
        # like a date or a phone number to the id finder
        spans = [V.Span(s.start, s.end, s.text, s.norm, 0.8) if s.score < 0.8 and s.text == t.strip() else s
                 for s in spans]
    if spec.vtype in ("id", "taxid"):  # "No. 123": the id follows a leading "No."
        spans = [s for s in spans if not re.fullmatch(r"(?i)no|nr|#", s.text)]
    if spec.vtype == "count":  # "Item(s) : 4", "Total Qty 20": the count first after its label; zero
        # decimals for a quantity ("Item Qty: 5.00"), not for a number of items ("20.00" is an amount)
        quantity = re.search(r"\b(?:qty|quantity|quantities)\b", spec.key) is not None
        spans = [s for s in spans if not t[: s.start].strip() and (quantity or "." not in s.text)]
    if spec.vtype == "id" and not spans and (short := re.fullmatch(r"\s*(\d{1,2})\s*", t)):
        # "Invoice No: 77": a number too short to look like an id, yet the whole value after its label
        spans = [V.Span(short.start(1), short.end(1), short.group(1), short.group(1), 0.7)]
    return [V.Span(s.start + off, s.end + off, s.text, s.norm, s.score) for s in spans]


_NAME_LABEL = re.compile(r"^\s*(?:名\s*称|公司名称|单位名称|(?:company\s+|full\s+)?name)\s*[:：]\s*", re.I)
# where a free-text value's sentence ends and another begins ("… net. Please pay …"), not after "No."
_SENTENCE_STOP = re.compile(r"(?<=\w\w)[.。]\s*(?=[A-Z\u4e00-\u9fff])")
# a word a full stop ends without ending the sentence ("ACME Ltd.", "No. 5", "e.g.")
ABBREVIATION = re.compile(r"\b(?:no|nr|co|ltd|inc|corp|st|mr|ms|mrs|dr|bhd|pty|plc|llc|e\.g|i\.e|etc|approx)$", re.I)
# '(the "Company")', '("Buyer")': the term a contract defines for a party, after its name
_QUOTED_TERM = re.compile(r"[\"“”'‘’]([^\"“”'‘’()]{2,30})[\"“”'‘’]\s*\)")
# where a party's name ends and what is said of it starts: its defined term, or ", a company
# registered in …", ", residing at …" (not any parenthesis: "(M) SDN BHD" is part of a name)
_NAME_TAIL = re.compile(
    r"\s*\((?:the\s+|hereinafter(?:\s+called|\s+referred\s+to\s+as)?\s+(?:the\s+)?|以下简称)?[\"“'‘][^\"“”'‘’()]{2,30}"
    r"[\"”'’]\s*\)"
    r"|（以下简称[^）]{1,20}）"
    r"|,\s*(?:an?\s+(?:company|corporation|limited|private|public|partnership|firm|body|entity|individual)|"
    r"(?:duly\s+)?(?:registered|incorporated|organi[sz]ed|established)\s+(?:in|under)|"
    r"(?:whose|with\s+its|having\s+its)\s+(?:registered\s+)?(?:office|address|principal)|"
    r"residing\s+at|resident\s+at|of\s+(?=\d))\b"
    r"|\s+of\s+(?=\d{1,5}[A-Za-z]?\s+[A-Z])"  # "Margaret Ellis of 14 Orchard Close": her address follows
    r"|,\s*(?=\d{1,5}[A-Za-z]?,?\s+(?-i:[A-Z][a-z]))"  # "Harper & Cole Architects, 9 Dean Street": the same
    # "James Porter, Front Office Manager": the person's role after the name, to the end
    r"|,\s*(?=(?:[A-Za-z&.-]+\s+){0,4}(?:manager|director|officer|president|chair(?:man|woman|person)?|secretary|"
    r"treasurer|partner|supervisor|clerk|accountant|assistant|engineer|consultant|controller|administrator|"
    r"coordinator|executive|representative|owner|founder|inspector|auditor|analyst|head|ceo|cfo|coo|cto|md|"
    r"scientist|technician|technologist|pathologist|physician|doctor|nurse|pharmacist|surveyor|solicitor|lawyer)"
    r"(?:\s+(?:of|for)\s+[A-Za-z& ]{1,30})?\s*$)",
    re.IGNORECASE,
)


def name_only(text: str) -> str:
    """A party's name without what a contract says of it after the name:
    ``ACME Ltd (the "Company")`` → ``ACME Ltd``; ``Jane Doe, residing at 4 High St`` → ``Jane Doe``."""
    m = _NAME_TAIL.search(text)
    return text[: m.start()] if m and text[: m.start()].strip() else text


_NEXT_LABEL = re.compile(r"\s{2,}|\s(?=[^\s:：]{1,20}(?:\s[^\s:：]{1,20}){0,2}\s?[:：])|,\s+(?=[A-Za-z])")
# "…, Sort code 20-45-77": after a comma, a label's words and a figure
_LABEL_FIGURE = re.compile(r"([A-Za-z][A-Za-z ]{1,30}?)\s+[^\s,]*\d")


def _cut_at_next_label(t: str) -> str:
    """``ACME Ltd   Date: 2024-01-02`` → ``ACME Ltd``: free text stops where another label starts."""
    for m in _NEXT_LABEL.finditer(t):
        tail = t[m.end():]
        if m.group().startswith(","):  # "Barclays, Sort code 20-45-77": another field, no colon
            f = _LABEL_FIGURE.match(tail)
            if f and any_label_score(f.group(1))[0] >= 0.85:
                return t[:m.start()]
            continue
        c = re.match(r"([^:：]{1,40})[:：]", tail)
        if m.group().startswith("  ") and not c:
            # wide gap: cut only if a typed value or label follows
            s, _ = any_label_score(tail.split("  ")[0])
            if s >= 0.85:
                return t[:m.start()]
            continue
        if c:
            s, _ = any_label_score(c.group(1))
            if s >= 0.85:
                return t[:m.start()]
    return t


def _type_ok(spec: KeySpec, sp: V.Span) -> float:
    if spec.vtype in ("org", "name"):
        # a value that is itself a label of some other field is not a name
        s, fam = any_label_score(sp.text)
        if s >= 0.9:
            return 0.1
        from .heuristics import street_line

        if street_line(sp.text):
            return 0.1  # "Ship To:" over an address: no name given
    return sp.score


def continuation(view: View, first: VLine, spec: KeySpec, *, max_lines: int = 4) -> list[VLine]:
    """Lines that continue a multi-line value starting at ``first`` (an address over several lines)."""
    from .heuristics import address_score, is_stop_line

    out: list[VLine] = []
    cur = first
    page = view.page_of(first)
    for _ in range(max_lines):
        nxt = None
        for v in page.lines[cur.order + 1:]:
            if v.bbox[1] > cur.bbox[3] + 1.2 * cur.h:
                break
            if v.row == cur.row:
                continue
            aligned = abs(v.bbox[0] - first.bbox[0]) < 2.0 * first.h or (
                min(v.bbox[2], first.bbox[2]) - max(v.bbox[0], first.bbox[0]) > 0.5 * (v.bbox[2] - v.bbox[0]))
            if aligned:
                nxt = v
                break
        if nxt is None:
            break
        if is_stop_line(nxt.text):
            break
        s, _ = any_label_score(nxt.text.split(":")[0]) if ":" in nxt.text[:30] else (0.0, "")
        if s >= 0.8:
            break
        if spec.vtype == "address" and address_score(nxt.text) < 0.2 and not cur.text.rstrip().endswith(","):
            break
        out.append(nxt)
        cur = nxt
    return out


def _emit(out: list[Candidate], spec: KeySpec, view: View, label_ln: VLine, hit: LabelHit | None, value_ln: VLine,
          text: str, offset: int, ls: float, pos: float, method: str, *, first_only: bool,
          joined: tuple[VLine, ...] = ()) -> int:
    """Candidates from ``text`` (``value_ln``'s, and the ``joined`` pieces of its phrase after it)."""
    if joined:
        text = " ".join([text, *(v.text for v in joined)])
    spans = value_spans(spec, text)
    n = 0
    for i, sp in enumerate(spans):
        ts = _type_ok(spec, sp)
        if ts <= 0:
            continue
        lines = [value_ln, *(v for v in joined if text.find(v.text) < sp.end)]
        value = sp.text
        if spec.multiline and i == 0:
            more = continuation(view, value_ln, spec)
            if more:
                lines += more
                value = " ".join([sp.text] + [m.text for m in more])
        bbox = union([ln.bbox for ln in lines])
        src = " ".join(ln.text for ln in ([label_ln] if label_ln is not value_ln else []) + lines)
        order_pen = 1.0 if i == 0 else 0.98
        out.append(Candidate(value, sp.norm, value_ln.page, bbox, src, ls * pos * ts * order_pen, method,
                             tuple({label_ln.idx, *(ln.idx for ln in lines)}), hit.label if hit else ""))
        n += 1
        if first_only:
            break
    return n


# the families whose labels name a party: a line labelled so heads that party's block of lines
PARTY_FAMILIES = ("seller", "buyer", "party a", "party b", "recipient")


def party_blocks(view: View) -> dict[int, str]:
    """Line index → the party family whose block the line is in: the labelled lines ("地址：…",
    "Tel: …") right after a party's line ("乙方（受托方）：…", "Customer: …") in reading order, up to
    the first line that is not labelled or names another party (cached on the view)."""
    cached = view.cache.get("party_blocks")
    if cached is not None:
        return cached
    out: dict[int, str] = {}
    current = None  # (family, the header's line, the bottom of the block so far)
    for ln in view.lines:
        m = _OWN_LABEL.match(ln.text)
        head = _PARTY_HEAD.match(ln.text)
        # "乙方（受托方）：…", or a party's word alone heading its part of a form ("购买方", "Bill To:",
        # "First Party (Buyer):" with the name in a box of its own)
        label = ROLE_IN_BRACKETS.sub("", head.group(1) if head else ln.text.rstrip(" :："))
        score, fam = any_label_score(label) if label.strip() and len(label) <= 16 else (0.0, "")
        if score >= 0.9 and fam in PARTY_FAMILIES and (head or len(label_tokens(label)) <= 3):
            current = (fam, ln, ln.bbox[3])
        elif current is None or current[1].page != ln.page:
            current = None
            continue
        elif ln.row == current[1].row:
            pass  # the name beside its party's word
        elif m is None or ln.bbox[1] - current[2] > 1.5 * ln.h:
            current = None  # an unlabelled line, or a blank line, ends the block
            continue
        else:
            current = (current[0], current[1], max(current[2], ln.bbox[3]))
        out[ln.idx] = current[0]
    view.cache["party_blocks"] = out
    return out


# a party's line: its label, perhaps with its role in brackets ("Second Party (Contractor):"), and the name
_PARTY_HEAD = re.compile(r"^\s*([^:：\d]{1,32})[:：]\s*\S")


def says_whose(label: str, family: str) -> bool:
    """Whether ``label`` begins with a name of the party ``family`` ("乙方地址", "Customer Tel")."""
    toks = label_tokens(label)
    from .synonyms import resolve_key

    for k in range(1, min(3, len(toks)) + 1):
        words = toks[:k]
        if resolve_key(" ".join(words)).family == family:
            return True
    return False


def labelled_candidates(view: View, spec: KeySpec, matcher: LabelMatcher, *, min_label: float = 0.7,
                        hits: dict[int, LabelHit] | None = None) -> list[Candidate]:
    """Candidates from label lines: same line, right on the row, or below.

    ``hits`` (line index → label) replaces label matching (semantic labels found by an embedder).
    With ``spec.owner``, a label that does not say whose it is counts only where no other party's block
    holds it (``party_blocks``); with ``spec.owner_only``, only in the owner's block.
    """
    out: list[Candidate] = []
    free = spec.vtype in ("org", "name", "address", "text")
    whose = blocks = None
    if spec.owner:
        from .synonyms import resolve_key

        whose = resolve_key(spec.owner).family
        blocks = party_blocks(view)
    for ln in view.lines:
        hit = hits.get(ln.idx) if hits is not None else split_label(ln.text, matcher)
        if hits is None and (hit is None or hit.score < min_label):
            hit = _label_after_separator(ln.text, matcher, min_label)
        if hit is None or hit.score < min_label:
            continue
        if blocks is not None and not says_whose(hit.label, whose):
            held = blocks.get(ln.idx)
            if (held != whose) if spec.owner_only else (held is not None and held != whose):
                continue  # "地址：…" under 甲方 is not 乙方's address
        if free and not hit.colon and hit.score < 0.9:
            continue  # "ADVANCO COMPANY" is a name, not the label "Company"
        if not hit.colon and (_SENTENCE_GOES_ON.match(hit.rest) or ln.text[:1].islower() or (
                free and re.match(r"\s*[a-z]", hit.rest))):
            # "Customer shall pay …", and a line that carries a sentence on ("during the term of this
            # Agreement", "term." at a paragraph's end): a sentence, not a label
            continue
        if _defined_term(ln.text, hit):
            continue  # '"Provider").': a contract's term for a party, at the end of a sentence
        ls = hit.score
        found = 0
        rest = hit.rest
        if free and not hit.colon:
            rest = ""  # "Customer Acceptance of ...": free text runs on from a word, not from a label
        if rest.strip(" :：-|"):
            found += _emit(out, spec, view, ln, hit, ln, rest, hit.rest_start, ls, POS_SAME, "label",
                           first_only=free or spec.vtype in ("date", "id", "taxid"))
            if free and found:
                continue
        rights = view.right_of(ln)
        for i, r in enumerate(rights[:4]):
            if i > 0 and free:
                break
            # a right neighbour that is itself a label ends the search for free text
            if free and _looks_like_label(r.text):
                break
            found += _emit(out, spec, view, ln, hit, r, r.text, 0, ls, POS_RIGHT - 0.02 * i, "label",
                           first_only=free)
        if found and (free or spec.vtype != "money"):
            continue
        if (not rest.strip(" :：-|") or not found) and not (
                spec.vtype in ("money", "count") and _heads_a_column(view, ln, spec.vtype)):
            for b in view.below(ln)[:2]:
                if _looks_like_label(b.text) and (free or not value_spans(spec, b.text) or _colon_labelled(b.text)):
                    continue
                if spec.vtype in ("org", "name") and _OWN_LABEL.match(b.text):
                    continue  # "法定代表人：张三", "Attn: Accounts": a field of its own, not the name asked
                pos = POS_BELOW if not rights else POS_BELOW - 0.06
                if _emit(out, spec, view, ln, hit, b, b.text, 0, ls, pos, "label", first_only=True,
                         joined=_pieces_after(view, b) if free else ()):
                    break
    return out


# where a line holds fields side by side: a wide gap, a middle dot, a bar
_FIELD_SEP = re.compile(r"\s{3,}|\s+[·•|]\s+")


def _label_after_separator(text: str, matcher: LabelMatcher, min_label: float) -> LabelHit | None:
    """A colon label that starts a field further along a line of several ("12 Harbour Road · Tel: 0117
    496 0123 · VAT No: GB 123 4567 89", "Phone: …   Email: …"), its rest's offset in the whole line."""
    if "   " not in text and "·" not in text and "•" not in text and "|" not in text:
        return None  # most lines hold one field: no pattern search for them
    for m in _FIELD_SEP.finditer(text):
        h = split_label(text[m.end():], matcher)
        if h is not None and h.colon and h.score >= min_label:
            return LabelHit(h.score, h.label, h.rest, h.rest_start + m.end(), True)
    return None


def _heads_a_column(view: View, ln: VLine, vtype: str = "money") -> bool:
    """Whether ``ln`` heads a column of figures of ``vtype`` in a table's header row ("Total" over each
    item's total): the column's heading, not a label of the one figure under it; a count's label in a
    row of three headings or more ("QTY | RM | RM CODE") heads one whatever is under it."""
    row = view.pages[ln.page].rows[ln.row]
    if len(row) < 3:
        return False
    if vtype == "count" and all(re.fullmatch(r"[^\W\d_][^\d:：]{0,30}", v.text.strip()) for v in row):
        return True
    figures, cur = 0, ln
    for _ in range(2):
        under = [b for b in view.below(cur)[:1] if V.find(vtype, b.text)]
        if not under:
            break
        figures, cur = figures + 1, under[0]
    return figures >= 2


def _pieces_after(view: View, ln: VLine) -> tuple[VLine, ...]:
    """The lines that carry ``ln``'s phrase on along its row, a word's gap after it (OCR may cut a name
    in two at "&": "Harlow" | "& Finch Site Office")."""
    out: list[VLine] = []
    cur = ln
    for v in view.right_of(ln):
        if v.row != ln.row or v.bbox[0] - cur.bbox[2] > 0.8 * cur.h or _looks_like_label(v.text):
            break
        out.append(v)
        cur = v
    return tuple(out)


# the row that sums a table's columns
_SUM_ROW = re.compile(r"^\s*(?:合\s*计|总\s*计|total|totals|sum)\s*[:：]?\s*$", re.I)


def column_total_candidates(view: View, spec: KeySpec, matcher: LabelMatcher, *, min_label: float = 0.7
                            ) -> list[Candidate]:
    """An amount column's sum: where the key's label heads a column of an item table ("税额" among
    "数量", "单价", "金额"), the cell under it in the table's "合计" / "Total" row (the invoice's tax,
    not its first item's)."""
    from .tableqa import column_of

    out = []
    for ln in view.lines:
        hit = split_label(ln.text, matcher)
        if hit is None or hit.score < min_label or hit.rest.strip(" :："):
            continue
        page = view.page_of(ln)
        if sum(column_of(v.text) is not None for v in page.rows[ln.row] if v is not ln) < 2:
            continue  # not a table's header row
        for row in page.rows[ln.row + 1 : ln.row + 41]:
            if not _SUM_ROW.match(row[0].text):
                continue
            under = [v for v in row[1:] if min(v.bbox[2], ln.bbox[2]) - max(v.bbox[0], ln.bbox[0]) > 0]
            spans = value_spans(spec, under[0].text) if under else []
            if spans:
                sp = spans[0]
                out.append(Candidate(sp.text, sp.norm, under[0].page, under[0].bbox, f"{row[0].text} {under[0].text}",
                                     hit.score * 0.98, "table", (ln.idx, under[0].idx), hit.label))
            break
    return out


# a verb after a noun: what follows a label that is no label ("Date of issue" and "Total in EUR" are)
_SENTENCE_GOES_ON = re.compile(r"\s+(?:is|are|was|were|shall|will|may|must|can|has|have|hereby)\b")


def _defined_term(text: str, hit: LabelHit) -> bool:
    """Whether the label ``hit`` found at the start of ``text`` is a quoted term in parentheses: what
    a contract calls a party ('"Client").' where a sentence wrapped), not a label with its value
    ('Buyer: Zenith GmbH ("Buyer")' has its label before the term)."""
    label = re.sub(r"^the\s+", "", " ".join(re.sub(r"[^\w\s]", " ", hit.label).lower().split()))
    return bool(label) and any(m.start() < hit.rest_start and label in m.group(1).lower()
                               for m in _QUOTED_TERM.finditer(text))


# a short label, a colon and its value
_OWN_LABEL = re.compile(r"^\s*([^:：\d]{1,14})[:：]\s*\S")


def _colon_labelled(text: str) -> bool:
    """``Tel.: 03-7319245``: a line that carries its own label (another field's value)."""
    m = re.match(r"^\s*([^:：]{1,30})[:：]", text)
    return m is not None and any_label_score(m.group(1))[0] >= 0.85


def _looks_like_label(text: str) -> bool:
    t = text.strip()
    if t.endswith((":", "：")):
        return True
    if ":" in t[:30] or "：" in t[:30]:
        pre = re.split(r"[:：]", t, maxsplit=1)[0]
        s, _ = any_label_score(pre)
        return s >= 0.85
    s, _ = any_label_score(t)
    return s >= 0.95


def kv_candidates(doc: Document, view: View, spec: KeySpec, matcher: LabelMatcher, *, min_label: float = 0.7
                  ) -> list[Candidate]:
    """Candidates from the parser's key–value pairs."""
    out = []
    for page, kv in doc.kv_pairs():
        s = matcher.score(correct_tokens(label_tokens(kv.key)))
        if s < min_label:
            continue
        for i, sp in enumerate(value_spans(spec, kv.value)):
            ts = _type_ok(spec, sp)
            if ts <= 0:
                continue
            lines = _lines_at(view, page, kv.value_bbox)
            box = union([ln.bbox for ln in lines]) if lines else kv.value_bbox
            src = " ".join(ln.text for ln in lines) if lines else f"{kv.key}: {kv.value}"
            out.append(Candidate(sp.text, sp.norm, page, box, src, s * ts * kv.score * (1.0 if i == 0 else 0.98),
                                 "kv", tuple(ln.idx for ln in lines), kv.key))
            if spec.vtype not in ("money",):
                break
    return out


def _lines_at(view: View, page: int, box: BBox) -> list[VLine]:
    """The lines a value box lies on: every field reports the box of its line (or lines)."""
    vp = view.pages.get(page)
    if vp is None:
        return []
    out = []
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    for ln in vp.lines:
        b = ln.bbox
        ix = min(b[2], box[2]) - max(b[0], box[0])
        iy = min(b[3], box[3]) - max(b[1], box[1])
        inside = b[0] <= cx <= b[2] and b[1] <= cy <= b[3]
        if inside or (ix > 0 and iy > 0.5 * (b[3] - b[1]) and ix > 0.5 * min(b[2] - b[0], box[2] - box[0])):
            out.append(ln)
    return out


def _cell_value_box(cell: Cell, block: Block, value: str) -> BBox:
    """The box of ``value`` in a table cell: its words, from the lines the cell was read from; the
    cell's (or the table's) box without them."""
    line = cell_line(cell, block.lines)
    hit = value_box([line], value) if line is not None and line.words else None
    return hit[0] if hit is not None else cell.bbox or block.bbox


def table_candidates(doc: Document, spec: KeySpec, matcher: LabelMatcher, *, min_label: float = 0.7
                     ) -> list[Candidate]:
    """Candidates from tables: a row label → a cell on its right; a header → the cell below it."""
    out = []
    for page, block in doc.tables():
        t = block.table
        if t is None:
            continue
        cells = {(c.row, c.col): c for c in t.cells}
        for c in t.cells:
            if not c.text.strip():
                continue
            s = matcher.score(correct_tokens(label_tokens(c.text.rstrip(":： "))))
            if s < min_label:
                continue
            # row label: cells to the right, last column first for amounts
            right = [cells[(c.row, j)] for j in range(c.col + c.colspan, t.n_cols)
                     if (c.row, j) in cells and cells[(c.row, j)].text.strip()]
            if spec.vtype == "money":
                right = right[::-1]
            for i, rc in enumerate(right):
                sps = value_spans(spec, rc.text)
                if sps:
                    ts = _type_ok(spec, sps[0])
                    out.append(Candidate(sps[0].text, sps[0].norm, page, _cell_value_box(rc, block, sps[0].text),
                                         rc.text, s * POS_TABLE_ROW * ts * (1.0 if i == 0 else 0.97), "table", (),
                                         c.text))
                    break
            # header: the column below
            below = [cells[(r, c.col)] for r in range(c.row + c.rowspan, t.n_rows)
                     if (r, c.col) in cells and cells[(r, c.col)].text.strip()]
            if below:
                bc = below[0]
                sps = value_spans(spec, bc.text)
                if sps:
                    pos = POS_TABLE_COL if len(below) == 1 else POS_TABLE_COL * 0.6
                    out.append(Candidate(sps[0].text, sps[0].norm, page, _cell_value_box(bc, block, sps[0].text),
                                         bc.text, s * pos * _type_ok(spec, sps[0]), "table", (), c.text))
    return out
