"""Values written in sentences, as contracts and letters give them.

A form prints ``End date: 31/03/2027``; a contract says "This Agreement starts on 1 April 2025
and ends on 31 March 2027", wrapped over lines as the page's width decides.  A *passage* is
the lines of one text block joined in reading order (a word broken by a hyphen at a line's
end joined again), with where each line's text sits in it, so that a value found across a
line break still gets its page and the boxes of its own words.

Each family below has phrases that introduce its value in running text ("ends on", "for a
period of", "governed by the laws of"); the value is the first one of the family's type
that starts right after the phrase, in the same clause.  Nothing is computed: a contract
that gives only a start and a term has no end date here (it does not write one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ...types import BBox
from . import validators as V
from .extract import ABBREVIATION, Candidate
from .layout import View, VLine, union
from .synonyms import FAMILIES, KeySpec

__all__ = ["Passage", "passages", "prose_candidates", "sentences", "PROSE_FAMILIES"]

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_SCORE = 0.8  # below a value printed after its own label, above the document-level guesses


@dataclass(slots=True)
class Passage:
    """One text block's lines joined in reading order."""

    page: int
    text: str
    pieces: list[tuple[int, int, VLine]]  # [start, end) of each line's text in ``text``
    # the terms the document defines ('15 January 2026 (the "Effective Date")'), shared by its
    # passages: term in lower case → the passage and where its definition's parenthesis opens
    defined: dict[str, tuple[Passage, int]] = field(default_factory=dict)

    def lines(self, start: int, end: int) -> list[VLine]:
        """The lines ``text[start:end]`` touches on the first page it does (a passage may run on
        over a page break; a value's evidence is on one page)."""
        lines = [ln for s, e, ln in self.pieces if s < end and start < e]
        return [ln for ln in lines if ln.page == lines[0].page]

    def box(self, start: int, end: int) -> BBox:
        """The box of ``text[start:end]``: in each line it touches (on its first page), the words
        of its part there."""
        boxes = []
        page = None
        for s, e, ln in self.pieces:
            if s < end and start < e and (page is None or ln.page == page):
                page = ln.page
                a, b = max(start, s) - s, min(end, e) - s
                doc_line = ln.line
                if doc_line is not None and doc_line.text.strip() == ln.text:  # the view strips the line's text
                    lead = len(doc_line.text) - len(doc_line.text.lstrip())
                    boxes.append(doc_line.span_box(a + lead, b + lead))
                else:
                    boxes.append(ln.bbox)
        return union(boxes)

    def candidate(self, start: int, end: int, value: str | None = None, *, score: float = _SCORE) -> Candidate:
        lines = self.lines(start, end)
        value = self.text[start:end] if value is None else value
        return Candidate(value, V.normalise(value), lines[0].page, self.box(start, end),
                         " ".join(ln.text for ln in lines), score, "prose", tuple(ln.idx for ln in lines))


def passages(view: View) -> list[Passage]:
    """The view's text as passages (cached on the view): each text block's lines, and a block that
    carries on the one before it (the next line of a paragraph that was read as blocks of one line
    each) joined to it."""
    cached = view.cache.get("passages")
    if cached is not None:
        return cached
    blocks: dict[tuple[int, str], list[VLine]] = {}
    for ln in view.lines:
        if ln.btype != "table":
            blocks.setdefault((ln.page, ln.block), []).append(ln)
    paragraphs: list[list[VLine]] = []
    for lines in blocks.values():  # in reading order of their first lines
        lines.sort(key=lambda v: v.order)
        for para in reversed(paragraphs[-8:]):
            # a block of one line (OCR's lines come so); a block of several is a paragraph of its own
            if len(lines) == 1 and _carries_on(para[-1], lines[0]):
                para.extend(lines)
                break
        else:
            paragraphs.append(lines)
    paragraphs = _over_page_breaks(paragraphs)
    out = []
    for lines in paragraphs:
        text = ""
        pieces = []
        for ln in lines:
            t = ln.text
            if pieces:
                s, e, above = pieces[-1]
                if re.search(r"[A-Za-z]-$", text) and t[:1].islower():
                    text = text[:-1]  # "Agree-" + "ment": one word broken at the line's end
                    pieces[-1] = (s, e - 1, above)
                elif not (_CJK.match(text[-1]) or _CJK.match(t[0]) or (_CJK.search(above.text) and _CJK.search(t))):
                    text += " "  # Chinese and Japanese break lines anywhere, and write no spaces
            pieces.append((len(text), len(text) + len(t), ln))
            text += t
        out.append(Passage(lines[0].page, text, pieces))
    defined: dict[str, tuple[Passage, int]] = {}
    for p in out:
        p.defined = defined
        for m in _ROLE.finditer(p.text):
            defined.setdefault(" ".join(m["role"].lower().split()), (p, m.start()))
    view.cache["passages"] = out
    return out


_MARGINS = ("header", "footer")  # running heads, page numbers: not part of the text they interrupt
_RUNNING = ("text", "list")  # the blocks a sentence runs on in (not a title, a caption)
# a page number, where the parser did not mark it as a page's foot: "Page 2 of 5", "- 2 -", "2/5", "第 2 页"
_PAGE_NUMBER = re.compile(r"(?:page|p\.|seite|página|pagina)?\s*[-–—]?\s*\d{1,4}\s*(?:(?:of|/|von|de|di)\s*\d{1,4})?\s*[-–—]?"
                          r"|第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d{1,4}\s*页)?", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;。！？：；]['\"’”)）]*$")
# a word a sentence does not end on ("… governed by the laws of" | "England and Wales")
_OPEN_WORD = re.compile(r"(?:[,，、(（-]|\b(?:of|the|a|an|and|or|to|by|in|on|at|for|with|from|under|between|that|which|"
                        r"than|shall|will|may|is|are|be|its|their|this|any|each|such|per|not))$", re.IGNORECASE)
# a numbered clause or item: it starts a paragraph, whatever the page before ends on
# ("1.1 The", "12. Notices", "(2) The", "(a) the"; not "(90) days' notice", where a sentence wrapped)
_NUMBERED = re.compile(r"^\s*(?:\(?\d{1,3}(?:\.\d{1,3})+\.?\s+(?=[A-Z(“\"])|\(?\d{1,3}[.)]\s+(?=[A-Z(“\"])|\([a-z]{1,3}\)|"
                       r"[a-z][.)]\s|第[一二三四五六七八九十百\d]+[条章款]|[一二三四五六七八九十]+[、.．])")


def _over_page_breaks(paragraphs: list[list[VLine]]) -> list[list[VLine]]:
    """``paragraphs`` with a sentence that a page break cuts joined again: the last paragraph of
    a page's text and the first of the next page's, when the one does not end a sentence and the
    other carries it on (see :func:`_runs_over`).  Running heads and feet, and lines that are only
    a page number, are passed over."""
    first: dict[int, list[VLine]] = {}
    last: dict[int, list[VLine]] = {}
    for para in paragraphs:
        if para[0].btype in _MARGINS or (len(para) == 1 and _PAGE_NUMBER.fullmatch(para[0].text.strip())):
            continue
        first.setdefault(para[0].page, para)
        if para[-1].page not in last or para[-1].order > last[para[-1].page][-1].order:
            last[para[-1].page] = para
    joined: set[int] = set()
    for page in sorted(first):
        above, below = last.get(page - 1), first[page]
        if above is not None and above is not below and _runs_over(above[-1], below[0]):
            above.extend(below)
            joined.add(id(below))
            if last.get(page) is below:
                last[page] = above
    return [para for para in paragraphs if id(para) not in joined]


def _runs_over(above: VLine, below: VLine) -> bool:
    """Whether ``below``, the first line of a page's text, carries on the sentence of ``above``,
    the last line of the page before: ``above`` does not end a sentence, the two are as tall,
    and ``below`` does not start a numbered clause; in English, ``below`` starts with a small
    letter or ``above`` ends on a word no sentence ends on ("of", "the", a comma); in Chinese
    (written without spaces, so no word to tell by), ``above`` ends with a character of it and
    ``below`` starts with one or with a number ("…发票后" | "30日内付款")."""
    a, b = above.text.rstrip(), below.text.lstrip()
    if above.btype not in _RUNNING or below.btype not in _RUNNING or not (a and b):
        return False
    if _SENTENCE_END.search(a) or _NUMBERED.match(b) or not 0.7 < below.h / above.h < 1.4:
        return False
    if _CJK.match(a[-1]):
        return bool(_CJK.match(b[0]) or b[0].isalnum())
    return b[0].islower() or _OPEN_WORD.search(a) is not None


def _carries_on(above: VLine, below: VLine) -> bool:
    """Whether ``below`` is the next line of ``above``'s paragraph: on the next row, as tall,
    starting at the same left edge."""
    h = above.h
    if below.btype != above.btype or below.btype not in _RUNNING or _NUMBERED.match(below.text):
        return False  # a title, or a numbered clause, starts a paragraph of its own
    return (below.page == above.page and below.row == above.row + 1 and 0.7 < below.h / h < 1.4
            and -0.3 * h <= below.bbox[1] - above.bbox[3] <= 0.8 * h and abs(below.bbox[0] - above.bbox[0]) <= 1.5 * h)


# -- the families' phrases -----------------------------------------------------------------------

_I = re.IGNORECASE
_IN_CLAUSE = r"(?:(?![.;:](?:\s|$)).)"  # a character of the same clause (a decimal point does not end it)
_IN_SENTENCE = r"(?:(?![.;](?:\s|$)).)"  # a character of the same sentence
# the first value must start within this many characters after its phrase, in the same clause
_NEAR = 12
_CLAUSE_END = re.compile(r"[.;:](?:\s|$)|。|；")

_END = re.compile(
    r"\b(?:ends?|ending|ended|expires?|expiring|terminates?|terminating|(?:shall|will) (?:end|expire|terminate)|"
    r"(?:remains?|continues?|(?:shall|will) (?:remain|continue)) in (?:full )?(?:force|effect)|valid|"
    r"(?:shall|will) (?:remain|continue)|continues?|remains?)(?:\s+(?:on|until|till|through|upon|at midnight on))?\s*"
    r"|(?:至|到期日?为?|截止于?|终止于?)",
    _I,
)
_START = re.compile(
    r"\b(?:starts?|starting|started|commences?|commencing|commenced|begins?|beginning|"
    r"(?:shall|will) (?:start|commence|begin)|(?:comes?|came|shall come|will come) into (?:force|effect)|"
    r"(?:becomes?|became|shall become|will become|is|shall be) effective|effective|with effect)"
    r"(?:\s+(?:on|as of|from))?\s*"
    r"|(?:自|从|生效日期为|起始日期为)",
    _I,
)
_SIGNED = re.compile(
    r"\b(?:(?:made|entered into|signed|executed)(?:\s+and\s+entered\s+into)?\s+(?:on|as of|this)|dated)\s*"
    r"|(?:签订于|签署于|签订日期为|于(?=[^。；]{0,16}(?:签订|签署|订立)))",
    _I,
)
_TERM = re.compile(
    # "The term of this Agreement runs from A to B": the term is that period
    r"\b(?:term|period)(?:\s+of\s+(?:this|the)\s+\w+)?\s+(?:runs|shall run|will run|is|shall be|extends)\s+from\s*"
    r"|\b(?:(?:initial |fixed |contract |minimum )?(?:term|period|duration)\s+of|for\s+(?=\S+(?:\s\(\d+\))?\s+"
    r"(?:years?|months?|weeks?|days?)\s+(?:from|commencing|starting|beginning|after the (?:effective|commencement))))\s*"
    r"|(?:期限为|有效期为|期限|有效期)",
    _I,
)
_DUE_ON = re.compile(r"\b(?:(?:due|payable)\s+(?:on|by|no later than|not later than|on or before)|"
                     r"(?:pay|remit|settle|transfer)\b" + _IN_CLAUSE + r"{0,60}?\b(?:by|before|no later than|on or before|on))\s*"
                     r"|(?:应于|应在|须于|须在)(?=[^。；，]{6,14}(?:前|之前)(?:付款|支付|付清))", _I)
_DUE_WITHIN = re.compile(
    r"\b(?:(?:is|are|shall be|will be|become|becomes) (?:due|payable)|(?:(?:shall|will|must) )?(?:pay|pays|settle|settles)"
    + _IN_CLAUSE + r"{0,80}?|"  # a decimal point does not end the clause
    r"(?:paid|settled|payment is due|payment shall be made))\s+(?P<within>within)\s+",
    _I,
)
_DUE_ZH = re.compile(r"(?:应在|应于|须在|须于|应当在|应当于)(?P<v>[^，。；,;]{2,24}?(?:日|天|工作日)内)(?:付款|支付|付清|结清)")
_WITHIN_TAIL = re.compile(r"\s+(?:of|after|from|following)\s+(?:the\s+)?[^.;,()]{2,40}?(?=\s*(?:[.;,()]|$))", _I)
_LAW = re.compile(
    r"\bgoverned\s+by(?:,?\s+and\s+(?:shall\s+be\s+)?(?:construed|interpreted)\s+in\s+accordance\s+with,?)?\s+"
    r"(?:the\s+)?laws?\s+of\s+(?:the\s+)?"
    r"(?P<v>[^,.;()]{2,60}?)(?=\s*(?:[,.;(]|$|\s+(?:without|excluding|exclusive|and\s+(?:the|any|shall|each|both|"
    r"is|are|will|all)\b)))"
    r"|(?:适用|受)(?P<zh>[^，。；,;]{1,20}?法律)",
    _I,
)
_NOTICE = re.compile(
    r"(?:\b(?:with|by|on|upon|giving|give|gives|given|after|of|at least|not less than|no less than)\s+"
    r"(?:at\s+least\s+|not\s+less\s+than\s+|no\s+less\s+than\s+)?)(?P<v>\S+(?:\s\(\d+\))?\s+(?:calendar\s+|business\s+)?"
    r"(?:days?|weeks?|months?))(?:['’]s?|s['’])?\s+(?:prior\s+|advance\s+)?(?:written\s+)?notice"
    r"|\bnotice\s+(?:period\s+)?of\s+(?:at\s+least\s+)?(?P<v2>\S+(?:\s\(\d+\))?\s+(?:calendar\s+|business\s+)?"
    r"(?:days?|weeks?|months?))"
    r"|提前(?P<zh>[一二三四五六七八九十百\d]+(?:个)?(?:日|天|月|个月|工作日))(?:以)?书面通知",
    _I,
)
_BETWEEN = re.compile(r"\b(?:by\s+and\s+)?between\s+(?P<a>.+?),?\s+and\s+(?P<b>.+?)(?=\s*(?:[(;]|[.,](?:\s|$)|$))", _I)
# "X（以下简称“甲方”）与Y（以下简称“乙方”）": two names, each with the term that stands for it
_DEFINED_ZH = re.compile(r"(?P<a>[^，。；、（(\s]{2,40}?)[（(]以下(?:简称|称)[“\"]?(?P<ra>[^”\"）)]{1,8})[”\"]?[）)]"
                         r"\s*(?:与|和|及|同)\s*"
                         r"(?P<b>[^，。；、（(\s]{2,40}?)[（(]以下(?:简称|称)[“\"]?(?P<rb>[^”\"）)]{1,8})[”\"]?[）)]")
# a sentence that makes an agreement between parties ("This Lease is made between ...")
_MADE = re.compile(r"\b(?:agreement|contract|lease|deed|made|entered|concluded|signed|executed|by and)\b", _I)
# the term a party is called by afterwards: '(the "Client")', '("Provider")', '(hereinafter "Supplier")'
_ROLE = re.compile(r"\s*\((?:hereinafter\s+(?:referred\s+to\s+as\s+|called\s+)?)?(?:the\s+)?[\"“”'‘’]"
                   r"(?P<role>[^\"“”'‘’()]{2,30})[\"“”'‘’]\s*\)", _I)
# what follows a party's name in its definition: "ACME Ltd, a company registered in England (the "Client")"
_DESCRIPTOR = re.compile(
    r"\s*(?:\(|,\s*(?:a|an|the|whose|having|with|registered|incorporated|located|of|residing)\b|,\s*(?=\S+\s*\())"
    r"|\s+of\s+(?=\d{1,5}[A-Za-z]?\s+[A-Z])",  # "Margaret Ellis of 14 Orchard Close"
    _I,
)


def _typed_after(p: Passage, cue: re.Pattern, vtype: str) -> list[tuple[int, int]]:
    """Spans of type ``vtype`` that start right after a match of ``cue``, in the same clause."""
    out = []
    for m in cue.finditer(p.text):
        # the text from the cue on: a value glued to the cue ("有效期为1年") starts a word there
        after = p.text[m.end() : m.end() + _NEAR + 60]
        sp = next((s for s in V.find(vtype, after) if s.score >= 0.6), None)
        if sp is not None and sp.start <= _NEAR and not _CLAUSE_END.search(after[: sp.start]):
            out.append((m.end() + sp.start, m.end() + sp.end))
    return out


# a defined term referred to after a phrase: "shall commence on the Effective Date"
_REFERENCE = re.compile(r"\s*(?:the\s+)?[\"“]?(?P<term>[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3})")


def _defined_value(p: Passage, term: str, vtype: str, score: float = 0.85) -> Candidate | None:
    """The value of type ``vtype`` that a defined term stands for: the one right before its
    definition ('15 January 2026 (the "Effective Date")'), where the document defines it."""
    found = p.defined.get(" ".join(term.lower().split()))
    if found is None:
        return None
    q, at = found
    lo = max(0, at - 80)
    spans = [sp for sp in V.find(vtype, q.text[lo:at]) if sp.score >= 0.6 and not q.text[lo + sp.end : at].strip(" ,")]
    return q.candidate(lo + spans[-1].start, lo + spans[-1].end, score=score) if spans else None


_PLACE = re.compile(r"\b(?:(?:situated|located)\s+at|known\s+as|at)\s+", _I)


def defined_place(view: View, term: str) -> Candidate | None:
    """The address a defined term stands for: 'the flat at Flat 2, 58 Bootham Terrace, York YO30 7BZ
    (the "Property")' for the property, from its last "at" (or "known as") to the definition."""
    from .heuristics import address_score

    ps = passages(view)
    found = ps[0].defined.get(" ".join(term.lower().split())) if ps else None
    if found is None:
        return None
    q, at = found
    lo = max(0, at - 160)
    places = list(_PLACE.finditer(q.text, lo, at))
    if not places:
        return None
    start = places[-1].end()
    value = q.text[start:at].rstrip(" ,")
    if not value or address_score(value) < 0.3:
        return None
    return q.candidate(start, start + len(value), score=0.8)


def _referred(p: Passage, cue: re.Pattern, vtype: str) -> list[Candidate]:
    """Values that a phrase gives by a defined term: "commences on the Effective Date" is the date
    defined as the Effective Date, with the evidence of its definition."""
    out = []
    for m in cue.finditer(p.text):
        ref = _REFERENCE.match(p.text, m.end())
        if ref is None or ref.start("term") - m.end() > _NEAR:
            continue
        words = ref["term"].split()
        # the longest run of the capitalised words that the document defines ("Effective Date")
        for n in range(len(words), 0, -1):
            c = _defined_value(p, " ".join(words[:n]), vtype)
            if c is not None:
                out.append(c)
                break
    return out


def _defined(view: View, spec: KeySpec, names: set[str]) -> list[Candidate]:
    """The values the document defines by one of ``names`` ('15 January 2026 (the "Effective Date")'
    for the effective date), of the key's type."""
    ps = passages(view)
    if not ps or spec.vtype not in ("date", "duration", "money", "percent"):
        return []
    # the document's definitions are shared by its passages: any one of them looks them up.  The term
    # asked for by its own name wins over any phrase; one of its family's other names ("Effective Date"
    # for the start date) gives way to a phrase that says it ("starts on …")
    key = " ".join(spec.key.lower().split())
    return [c for name in names
            if (c := _defined_value(ps[0], name, spec.vtype, 0.85 if name == key else 0.75)) is not None]


def _ranges(p: Passage) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """``from D1 to D2``, ``D1 – D2``, ``自D1起至D2止``: the start and the end of a period."""
    dates = V.find_dates(p.text)
    out = []
    for a, b in zip(dates, dates[1:], strict=False):
        between = p.text[a.end : b.start]
        before = p.text[max(0, a.start - 30) : a.start]
        if re.fullmatch(r"\s*(?:to|until|till|through|and ending on|and expiring on|[-–—~]|起?至|到)\s*", between, _I) and (
            re.search(r"(?:\bfrom|\bperiod|\bterm|\bcommencing(?: on)?|\bstarting(?: on)?|\bbeginning(?: on)?|"
                      r"\bbetween|\bvalid|\beffective|自|从)\s*$", before, _I) or between.strip() in ("-", "–", "—")):
            out.append(((a.start, a.end), (b.start, b.end)))
    return out


def _dates_after(cue: re.Pattern, which: int) -> Callable[[Passage], list[Candidate]]:
    def rule(p: Passage) -> list[Candidate]:
        spans = [r[which] for r in _ranges(p)]
        spans += [s for s in _typed_after(p, cue, "date") if s not in spans]
        return [p.candidate(s, e) for s, e in spans] + _referred(p, cue, "date")
    return rule


def _term(p: Passage) -> list[Candidate]:
    return [p.candidate(s, e) for s, e in _typed_after(p, _TERM, "duration")] + _referred(p, _TERM, "duration")


def _due(p: Passage) -> list[Candidate]:
    out = [p.candidate(s, e) for s, e in _typed_after(p, _DUE_ON, "date")] + _referred(p, _DUE_ON, "date")
    durations = {sp.start: sp for sp in V.find_durations(p.text)}
    for m in _DUE_WITHIN.finditer(p.text):
        d = durations.get(m.end())
        if d is None:
            continue
        tail = _WITHIN_TAIL.match(p.text, d.end)
        out.append(p.candidate(m.start("within"), tail.end() if tail else d.end))
    out += [p.candidate(m.start("v"), m.end("v")) for m in _DUE_ZH.finditer(p.text)]
    return out


def _payment_terms(p: Passage) -> list[Candidate]:
    """'Invoices are payable within 14 days of receipt': the terms are the period."""
    return [c for c in _due(p) if not V.find_dates(c.value)]


# "Please pay the amount of EUR 1,250.00": what is to be paid, all of it (not "a monthly fee of")
_TO_PAY = re.compile(r"\b(?:pay|remit|transfer)\s+(?:us\s+)?(?:the\s+(?:total\s+|full\s+|outstanding\s+)?(?:amount|sum|balance)"
                     r"(?:\s+due)?\s+of|a\s+total\s+of|in\s+full)\s*", _I)


# "The total contract price is EUR 48,000", "合同总价为人民币100,000元": what the contract is worth
_CONTRACT_SUM = re.compile(
    r"\b(?:the\s+)?(?:total\s+contract\s+(?:price|sum|value|amount)|contract\s+(?:price|sum|value)|"
    r"total\s+(?:price|consideration))\s+(?:is|of|shall\s+be|amounts\s+to)\s*"
    r"|(?:合同总价款?|合同总金额|合同价款|合同金额|总价款)(?:为|是|共计|合计)", _I)


def _total(p: Passage) -> list[Candidate]:
    return [p.candidate(s, e, score=0.7) for rx in (_TO_PAY, _CONTRACT_SUM) for s, e in _typed_after(p, rx, "money")]


def _law(p: Passage) -> list[Candidate]:
    out = []
    for m in _LAW.finditer(p.text):
        g = "v" if m.group("v") else "zh"
        out.append(p.candidate(m.start(g), m.end(g)))
    return out


_COURTS = re.compile(
    r"\b(?:(?:exclusive|non-exclusive)\s+)?jurisdiction\s+of\s+(?:the\s+)?(?P<v>courts?\s+of\s+(?:the\s+)?[^,.;()]{2,50}?)"
    r"(?=\s*(?:[,.;(]|$|\s+(?:shall|will|to|for|over|with|in\s+(?:respect|relation|connection)|"
    r"and\s+(?:the|each|all|any|both|shall|will|waive))\b))"
    r"|\b(?:the\s+)?(?P<v2>courts?\s+of\s+(?:the\s+)?[^,.;()]{2,50}?)\s+(?:(?:shall|will)\s+have|have|has)\s+"
    r"(?:the\s+)?"
    r"(?:exclusive\s+|non-exclusive\s+)?jurisdiction"
    r"|(?:提交|由|向)(?P<zh>[^，。；,;]{2,20}?人民法院)",
    _I,
)
_LATE = re.compile(
    r"(?:\b(?:late|overdue|unpaid|outstanding)\s+(?:payments?|amounts?|sums?|invoices?)\b|\b(?:fails?|failure)\s+to\s+pay\b)"
    + _IN_CLAUSE + r"{0,60}?\binterest\s+(?:(?=[\d.,]+\s*%)|"  # "... interest 2% a month"
    + _IN_CLAUSE + r"{0,40}?\b(?:at\s+(?:the\s+rate\s+of\s+|a\s+rate\s+of\s+)?|of\s+))"
    # "interest shall accrue on the overdue amount at the rate of 4%"
    r"|\binterest\s+" + _IN_CLAUSE + r"{0,40}?\b(?:late|overdue|unpaid|outstanding)\b" + _IN_CLAUSE + r"{0,30}?"
    r"\bat\s+(?:the\s+rate\s+of\s+|a\s+rate\s+of\s+)?"
    r"|\b(?:interest|late payment interest)\s+(?:at\s+(?:the\s+rate\s+of\s+|a\s+rate\s+of\s+)?|of\s+)"
    r"(?=" + _IN_SENTENCE + r"{0,12}%" + _IN_SENTENCE + r"{0,60}\b(?:late|overdue|unpaid|outstanding)\b)"
    r"|(?:逾期付款的?|逾期的?)[^。；]{0,20}?(?:按|支付)(?:每日|每天|日)?",
    _I,
)


def _courts(p: Passage) -> list[Candidate]:
    return [p.candidate(m.start(g), m.end(g)) for m in _COURTS.finditer(p.text)
            for g in ("v", "v2", "zh") if m.group(g)][:1]


def _late(p: Passage) -> list[Candidate]:
    return [p.candidate(s, e) for s, e in _typed_after(p, _LATE, "percent")]


def _notice(p: Passage) -> list[Candidate]:
    out = []
    for m in _NOTICE.finditer(p.text):
        g = next(k for k in ("v", "v2", "zh") if m.group(k))
        if g != "zh" and not V.find_durations(m.group(g)):
            continue
        out.append(p.candidate(m.start(g), m.end(g)))
    return out


_RENEW = re.compile(
    r"\b(?:(?:automatically\s+)?(?:renews?|renewed|be\s+renewed|extends?|be\s+extended)(?:\s+automatically)?\s+for\s+"
    r"(?:(?:successive|further|additional|consecutive|subsequent)\s+)*(?:(?:periods?|terms?)\s+of\s+)?"
    r"|renewal\s+(?:term|period)s?\s+(?:of|shall\s+be|is|are)\s+)"
    r"|(?:自动续(?:期|约|签)|续期)",
    _I,
)
# "liability … shall not exceed 125% of the fees paid …": the limit, to the clause's end
_CAP = re.compile(
    r"\bliability\b" + _IN_SENTENCE + r"{0,160}?\b(?:shall\s+not\s+exceed|will\s+not\s+exceed|does\s+not\s+exceed|"
    r"(?:is|are|shall\s+be|will\s+be)\s+(?:limited|capped)\s+(?:to|at))\s+(?:(?:an\s+amount|a\s+sum)\s+equal\s+to\s+)?"
    r"(?P<v>" + _IN_SENTENCE + r"{2,160}?)(?=\s*(?:[.;](?:\s|$)|$|,\s+(?:except|save|provided|unless)\b))"
    r"|(?:赔偿|责任)[^。；]{0,30}?(?:不超过|不得超过|以)(?P<zh>[^。；，]{2,40}?)(?:为限|。|；|，|$)",
    _I,
)


_PERSON = r"(?:(?:Mr|Ms|Mrs|Dr|Prof)\.?\s+)?[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3}"
# "Signed for and on behalf of ACME Ltd by Jane Doe, Director"; "Signed by Jane Doe for ACME Ltd"
_SIGNED_BY = re.compile(
    rf"\b(?i:signed\s+(?:for\s+and\s+)?on\s+behalf\s+of)\s+(?P<org>[^,;:]{{2,80}}?)\s+by\s+(?P<v>{_PERSON})"
    rf"|\b(?i:signed\s+by)\s+(?P<v2>{_PERSON}),?\s+(?:[\w,]+\s+){{0,4}}?(?:for|on\s+behalf\s+of)\s+(?P<org2>[^,;:]{{2,80}}?)"
    rf"(?=\s*(?:[,;:.](?:\s|$)|$|\s+on\b))"
)


def _signatories(view: View, owner: set[str]) -> list[Candidate]:
    """Who signed for a party ('Signed for and on behalf of X by Jane Doe'); with ``owner``, only for
    the party the contract calls so (its name or its term, "Supplier")."""
    ps = passages(view)
    roles = {p.text[party.start:party.end].lower(): " ".join(party.role.lower().split())
             for p in ps for party in _named_parties(p)}
    signed = [(m.group(o), p.candidate(m.start(g), m.end(g))) for p in ps for m in _SIGNED_BY.finditer(p.text)
              for g, o in (("v", "org"), ("v2", "org2")) if m.group(g)]
    out = []
    for org, c in signed + _signature_blocks(view):
        org = " ".join(org.lower().split())
        role = roles.get(org, org.removeprefix("the "))
        if owner and not (any(w in org for w in owner) or role in owner or _same_party(role, owner)):
            continue
        out.append(c)
    return out


# a signature block: "For and on behalf of ACME Ltd" over "Name: Jane Doe" (or "By: Jane Doe")
_ON_BEHALF = re.compile(r"^\s*(?:signed\s+)?(?:for\s+and\s+)?(?:on\s+behalf\s+of|for)\s+(?P<org>[^:：]{2,80}?)\s*[:：]?\s*$", _I)
_SIGNER = re.compile(rf"^\s*(?i:name|by|signed\s+by|signatory)\s*[:：]\s*(?P<v>{_PERSON})\s*$")


def _signature_blocks(view: View) -> list[tuple[str, Candidate]]:
    """(the party, who signed for it) of each signature block."""
    out = []
    for ln in view.lines:
        m = _ON_BEHALF.match(ln.text)
        if m is None:
            continue
        page = view.pages[ln.page]
        for below in page.lines[ln.order + 1 : ln.order + 6]:
            if below.bbox[1] > ln.bbox[3] + 6 * ln.h or _ON_BEHALF.match(below.text):
                break
            sm = _SIGNER.match(below.text)
            if sm and abs(below.bbox[0] - ln.bbox[0]) < 3 * ln.h:
                box = Passage(below.page, below.text, [(0, len(below.text), below)]).box(sm.start("v"), sm.end("v"))
                out.append((m["org"].strip(), Candidate(sm["v"], V.normalise(sm["v"]), ln.page, box,
                                                        f"{ln.text} {below.text}", _SCORE, "prose", (ln.idx, below.idx))))
                break
    return out


def _renewal(p: Passage) -> list[Candidate]:
    return [p.candidate(s, e) for s, e in _typed_after(p, _RENEW, "duration")]


def _cap(p: Passage) -> list[Candidate]:
    return [p.candidate(m.start(g), m.end(g)) for m in _CAP.finditer(p.text) for g in ("v", "zh") if m.group(g)]


def _name_end(text: str, start: int, end: int) -> int:
    """Where the party's name at ``text[start:end]`` ends: at its descriptor or its defined term."""
    m = _DESCRIPTOR.search(text, start, end)
    return m.start() if m else end


@dataclass(frozen=True, slots=True)
class _Party:
    start: int  # the name's span in the passage
    end: int
    role: str  # the term it is called by afterwards ("Client", "甲方"), or ""


def _named_parties(p: Passage) -> list[_Party]:
    """The two parties of the passage's 'between X and Y' sentence (or its Chinese form), in order."""
    m = _DEFINED_ZH.search(p.text)
    if m:
        a0 = m.start("a") + m["a"].rfind("由") + 1  # "本合同由X（以下简称…）": the name after 由
        return [_Party(a0, m.end("a"), m["ra"]), _Party(m.start("b"), m.end("b"), m["rb"])]
    defined = _defined_parties(p)
    if defined:
        return defined
    for m in _BETWEEN.finditer(p.text):
        a0, b0 = m.start("a"), m.start("b")
        a1, b1 = _name_end(p.text, a0, m.end("a")), _name_end(p.text, b0, m.end("b"))
        a, b = p.text[a0:a1].strip(), p.text[b0:b1].strip()
        if p.text[b1 : b1 + 1] == "." and re.search(r"(?i)\b(?:inc|co|corp|ltd)$", b):
            b1 += 1  # "ACME Inc." — the abbreviation's dot, not the sentence's
        if not (a and b) or max(len(a.split()), len(b.split())) > 10:
            continue
        # each name's term: the first '(the "…")' after it, before the next name
        ra = _ROLE.search(p.text, a1, b0)
        rb = _ROLE.match(p.text, m.end("b")) or _ROLE.search(p.text, b1, min(len(p.text), b1 + 60))
        sentence = p.text[max(0, p.text.rfind(". ", 0, m.start()) + 1) : m.start()]
        if not (V.company_evidence(a) > 0 or V.company_evidence(b) > 0 or (ra and rb) or _MADE.search(sentence)):
            continue  # "between Monday and Friday", "between the hours of 9 and 5"
        a1 = a0 + len(a)  # the name without the spaces before its descriptor
        b1 = b0 + len(p.text[b0:b1].strip())
        return [_Party(a0, a1, ra["role"].strip() if ra else ""), _Party(b0, b1, rb["role"].strip() if rb else "")]
    return []


_FULL_STOP = re.compile(r"[.;!?](?=\s|$)|[。；！？]")


def _sentence_end(text: str, start: int) -> int:
    """Where the sentence that goes on at ``start`` ends: a full stop that does not close "Ltd."
    or "No.", a question or exclamation mark, or a semicolon (Chinese 。！？；), the text's end if none."""
    for m in _FULL_STOP.finditer(text, start):
        if m.group() == ";" or not ABBREVIATION.search(text, 0, m.start()):
            return m.start()
    return len(text)


def sentences(p: Passage) -> list[tuple[int, int]]:
    """The spans of ``p``'s sentences."""
    out, start = [], 0
    while start < len(p.text):
        end = _sentence_end(p.text, start)
        if p.text[start:end].strip():
            out.append((start, end))
        start = end + 1
    return out


_BETWEEN_WORD = re.compile(r"\b(?:by\s+and\s+)?between\s+", _I)
_AND = re.compile(r"\s*,?\s*(?:and\s+)?", _I)


def _defined_parties(p: Passage) -> list[_Party]:
    """'between X, a company … (the "Supplier"), and Y, whose … (the "Customer")': each name runs to its
    description or its term, and the second starts after the first's term; a description may say
    "and" ("incorporated in England and Wales") without starting the second party."""
    for m in _BETWEEN_WORD.finditer(p.text):
        roles = list(_ROLE.finditer(p.text, m.end(), _sentence_end(p.text, m.end())))
        if len(roles) < 2:
            continue
        a0 = m.end()
        b0 = _AND.match(p.text, roles[0].end()).end()  # type: ignore[union-attr]  (it matches the empty string)
        a1, b1 = _name_end(p.text, a0, roles[0].end()), _name_end(p.text, b0, roles[1].end())
        a, b = p.text[a0:a1].strip(" ,"), p.text[b0:b1].strip(" ,")
        if a and b and max(len(a.split()), len(b.split())) <= 10:
            return [_Party(a0, a0 + len(a), roles[0]["role"].strip()), _Party(b0, b0 + len(b), roles[1]["role"].strip())]
    return []


def _parties(p: Passage) -> list[Candidate]:
    named = _named_parties(p)
    if not named:
        return []
    a, b = named
    return [p.candidate(a.start, b.end, f"{p.text[a.start:a.end]}; {p.text[b.start:b.end]}")]


def _role_candidates(p: Passage, names: set[str]) -> list[Candidate]:
    """The party whose term is one of ``names`` ('Who is the Provider?')."""
    return [p.candidate(party.start, party.end) for party in _named_parties(p)
            if party.role and " ".join(party.role.lower().split()) in names]


# family → the rule that finds its values in a passage
PROSE_FAMILIES: dict[str, Callable[[Passage], list[Candidate]]] = {
    "end date": _dates_after(_END, 1),
    "start date": _dates_after(_START, 0),
    "date": lambda p: [p.candidate(s, e, score=0.7) for s, e in _typed_after(p, _SIGNED, "date")],
    "term": _term,
    "due date": _due,
    "payment terms": _payment_terms,
    "total": _total,
    "governing law": _law,
    "notice period": _notice,
    "jurisdiction": _courts,
    "late payment interest": _late,
    "parties": _parties,
    "renewal term": _renewal,
    "liability cap": _cap,
}


# where a party's description gives its address: "whose registered office is at …", "residing at …"
_SEAT = re.compile(r"\b(?:office|address|place\s+of\s+business|residing|resident|located|domiciled)\s+(?:is\s+)?(?:at|in)\s+", _I)
# right after the name: "Margaret Ellis of 14 Orchard Close, York (the "Landlord")"
_OF_SEAT = re.compile(r"\s*,?\s*of\s+(?=\d{1,5}[A-Za-z]?\s+[A-Z])", _I)


def _party_details(p: Passage, owner: set[str], vtype: str, field: str) -> list[Candidate]:
    """A value of type ``vtype`` of the party a contract calls by one of ``owner``: in its description
    ('X, whose registered office is at ADDRESS (the "Supplier")', '…with registered number 0881')
    or where the contract sends it something ('to the Customer at EMAIL')."""
    out = []
    for party in _named_parties(p):
        role = " ".join(party.role.lower().split())
        if not role or not (role in owner or _same_party(role, owner)):
            continue
        term = _ROLE.search(p.text, party.end)
        desc = (party.end, term.start() if term else party.end)
        if vtype == "address":
            seat = _SEAT.search(p.text, *desc) or _OF_SEAT.match(p.text, *desc)
            if seat:
                value = p.text[seat.end() : desc[1]].strip(" ,")
                if value:
                    out.append(p.candidate(seat.end(), seat.end() + len(value)))
        else:
            spans = [sp for sp in V.find(vtype, p.text[desc[0] : desc[1]]) if sp.score >= 0.6]
            if vtype in ("id", "taxid"):  # a number is the one its words name ("registered number 0881…")
                spans = [sp for sp in spans if re.search(rf"\b{field}\s*(?:is\s+)?[:.]?\s*$",
                                                         p.text[desc[0] : desc[0] + sp.start], _I)]
            out += [p.candidate(desc[0] + sp.start, desc[0] + sp.end) for sp in spans[:1]]
    for name in owner:
        for m in re.finditer(rf"\b(?:to|for)\s+the\s+{re.escape(name)}\s+(?:at|to|on)\s+", p.text, _I):
            sp = next((s for s in V.find(vtype, p.text[m.end() : m.end() + 80]) if s.score >= 0.6), None)
            if sp is not None and sp.start == 0 and vtype != "address":
                out.append(p.candidate(m.end(), m.end() + sp.end))
    return out


def _same_party(role: str, owner: set[str]) -> bool:
    """Whether a contract's term for a party and the word a question asks by name the same side
    ("Provider" and "supplier": both the seller's labels)."""
    return any(role in fam["labels"] and any(o in fam["labels"] for o in owner)
               for name, fam in FAMILIES.items() if name in ("seller", "buyer"))


def prose_candidates(view: View, spec: KeySpec) -> list[Candidate]:
    """Values of ``spec`` written in the document's sentences, in reading order: its family's
    phrases, and for a name, the party a contract calls by the key or one of its labels."""
    rule = PROSE_FAMILIES.get(spec.family)
    out = [c for p in passages(view) for c in rule(p)] if rule is not None else []
    names = {re.sub(r"^the ", "", n) for n in (spec.key.lower(), *(lb for lb, w in spec.labels if w >= 0.8))}
    if spec.vtype in ("org", "name") and spec.family != "parties":
        out += [c for p in passages(view) for c in _role_candidates(p, names)]
    if spec.family == "signatory":
        words = spec.key.lower().split()
        return out + _signatories(view, {" ".join(words[:-1])} if len(words) > 1 else set())
    # "the supplier's address": the key names whose field it is before the field
    whose = spec.key.lower().split()
    # the field's own words: its family's name and first label (a custom key's: its label)
    own = next(iter(FAMILIES[spec.family]["labels"])) if spec.family in FAMILIES else spec.labels[0][0]
    fam = set(spec.family.split()) | set(own.split())
    owner = {" ".join(whose[:k]) for k in range(1, len(whose)) if not set(whose[:k]) & fam}
    if spec.family == "buyer address" and not owner:
        owner = set(FAMILIES["buyer"]["labels"])  # whose it is, the family says: the buyer's, by any of its names
    if owner and spec.vtype not in ("org", "name", "date", "duration", "money", "percent"):
        field = r"\s+".join(re.escape(w) for w in whose[len(max(owner, key=len).split()):])
        out += [c for p in passages(view) for c in _party_details(p, owner, spec.vtype, field)]
    return out + _defined(view, spec, names)
