"""Document-level reasoning for keys that documents do not label.

Receipts and invoices are made the same way everywhere, and these rules follow that:
- **company**: the issuer prints its name first, at the top, often larger than the
  body; a legal-form suffix (Sdn Bhd, Ltd, GmbH, 有限公司) is strong evidence.
  Above it may sit a logo code or a handwritten number; below it a registration
  number, then the address.  Document titles ("TAX INVOICE") are not names.
- **address**: the lines under the name that look like an address (house numbers,
  postcodes, street words, commas, region names), until the contact lines
  (phone, fax, e-mail, tax number) begin.  Joined in reading order.
- **total**: among amounts labelled total-like, the strongest label wins; the amount
  that payment lines settle (cash − change, card) confirms it.  With no total
  label: the largest amount near the bottom that is repeated or paid.
- **date**: the first date on the document that is not labelled as some other date.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from . import validators as V
from .extract import _FIELD_SEP, Candidate
from .labels import any_label_score
from .layout import View, VLine, union
from .prose import prose_candidates
from .synonyms import KeySpec, norm_text, resolve_key

__all__ = [
    "company_candidates",
    "address_candidates",
    "total_fallback",
    "rerank_totals",
    "first_date",
    "parties_candidates",
    "address_score",
    "is_stop_line",
]

_STREET = {
    "jalan",
    "jln",
    "lorong",
    "lrg",
    "taman",
    "tmn",
    "road",
    "rd",
    "street",
    "st",
    "avenue",
    "ave",
    "lane",
    "ln",
    "blvd",
    "boulevard",
    "drive",
    "dr",
    "lot",
    "unit",
    "suite",
    "ste",
    "floor",
    "flr",
    "fl",
    "level",
    "lvl",
    "blok",
    "block",
    "blk",
    "bangunan",
    "building",
    "bldg",
    "plaza",
    "kompleks",
    "complex",
    "pusat",
    "centre",
    "center",
    "bandar",
    "kampung",
    "kg",
    "persiaran",
    "lebuh",
    "lebuhraya",
    "batu",
    "km",
    "square",
    "mall",
    "park",
    "highway",
    "hwy",
    "way",
    "place",
    "pl",
    "court",
    "ct",
    "industrial",
    "perindustrian",
    "kawasan",
    "seksyen",
    "section",
    "sek",
    "jaya",
    "utama",
    "baru",
    "indah",
    "no",
    "house",
    "po",
    "box",
    "strasse",
    "straße",
    "str",
    "rue",
    "calle",
    "via",
    "platz",
    "weg",
    "city",
    "town",
    "district",
    "estate",
    "ground",
    "gf",
    "shop",
    "simpang",
    "off",
    "sq",
    "stn",
    "station",
}
# Region names as generic address cues (states, federal territories, a few countries).
_REGIONS = {
    "selangor",
    "johor",
    "kuala lumpur",
    "kl",
    "penang",
    "pulau pinang",
    "perak",
    "kedah",
    "kelantan",
    "terengganu",
    "pahang",
    "negeri sembilan",
    "melaka",
    "malacca",
    "sabah",
    "sarawak",
    "putrajaya",
    "labuan",
    "perlis",
    "wilayah persekutuan",
    "malaysia",
    "singapore",
    "china",
    "usa",
    "united states",
    "germany",
    "france",
    "uk",
    "united kingdom",
    "india",
    "japan",
    "canada",
    "australia",
    "hong kong",
    "taiwan",
    "ca",
    "ny",
    "tx",
    "il",
    "wa",
    "fl",
}
_CJK_ADDR = re.compile(r"[省市区县路街道号镇村巷弄楼室栋幢]")
_POSTCODE = re.compile(
    r"(?<![\d.,/:-])\d{5}(?![\d.,/:-])|(?<![\w-])\d{6}(?![\w-])|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b"
)
_TITLES = {
    "tax invoice",
    "invoice",
    "receipt",
    "official receipt",
    "cash bill",
    "cash receipt",
    "bill",
    "cash sale",
    "simplified tax invoice",
    "tax receipt",
    "sales receipt",
    "quotation",
    "delivery order",
    "credit note",
    "debit note",
    "statement",
    "purchase order",
    "payment receipt",
    "customer copy",
    "merchant copy",
    "duplicate",
    "copy",
    "welcome",
    "thank you",
    "retail invoice",
    "cash invoice",
    "sales invoice",
    "order",
    "contract",
    "agreement",
    "service agreement",
    "发票",
    "收据",
    "增值税专用发票",
    "增值税普通发票",
    "合同",
    "销售单",
    "收款收据",
    "tax invoice receipt",
    "full tax invoice",
    "invoice receipt",
    "cash",
}
_STOP = re.compile(
    r"(?i)\b(?:tel|tel\.|telp|phone|fax|hp|h/p|mobile|email|e-mail|website|www\.|http|gst|sst|vat|"
    r"reg\.?\s?no|co\.?\s?reg|company\s?(?:no|reg)|roc|business\s?reg|invoice|receipt|cashier|date|time|"
    r"table|counter|terminal|pos|order|bill|member|opening|open|hours|hrs|number|whatsapps?)\b|@|电话|传真|税号|"
    r"邮箱|网址|发票"
)
_REGNO = re.compile(
    r"^[\s(\[]*(?:(?:co\.?|company|roc|reg\.?|registration|business)[\w .]*?(?:no\.?|number)?[\s.:]*)?"
    r"[A-Z]{0,3}[\s-]?\d[\d\s]{3,}[-\s]?[A-Z]?[\s)\]]*$",
    re.I,
)
_TRAIL_REG = re.compile(
    r"\s*[(\[]\s*(?:co\.?\s*(?:reg\.?\s*)?no\.?\s*[:.]?\s*)?[A-Z]{0,3}\d[\d\s]{2,}[-\s]?[A-Z]?"
    r"\s*[)\]]?\s*$",
    re.I,
)


def address_score(text: str) -> float:
    """How much ``text`` reads like (part of) a postal address, 0..1."""
    t = text.strip()
    if not t:
        return 0.0
    low = norm_text(t)
    words = low.split()
    s = 0.0
    if _POSTCODE.search(t):
        s += 0.4
    street = sum(1 for w in words if w in _STREET)
    if street:
        s += 0.35 if any(w not in ("no", "st", "dr", "ct", "pl", "off") for w in words if w in _STREET) else 0.15
    padded = f" {low} "
    if any(f" {r} " in padded for r in _REGIONS):
        s += 0.35
    n_cjk = len(_CJK_ADDR.findall(t))
    if n_cjk:
        s += min(0.6, 0.2 * n_cjk)
    if "," in t:
        s += 0.1
    if re.search(r"\d", t) and re.search(r"[A-Za-z\u3400-\u9fff]", t):
        s += 0.1
    return min(1.0, s)


def street_line(text: str) -> bool:
    """``221 Baker Street``, ``Unit 12, Riverside Park``: a house number and a street word, a line of an
    address rather than a name."""
    t = text.strip()
    if not (_HOUSE_NO.match(t) or re.match(r"\d+[A-Za-z]?\b(?![-'’])", t)):
        return False
    return any(w in _STREET and w not in ("no", "st", "dr", "ct", "pl", "off", "unit", "lot") for w in norm_text(t).split())


def is_stop_line(text: str) -> bool:
    """Contact, tax-number, title or transaction lines: an address has ended."""
    t = text.strip()
    if _STOP.search(t):
        # a street called "... Order" is rare; numbers and region cues keep an address line going
        return address_score(t) < 0.5 or bool(re.search(r"(?i)\b(tel|fax|phone|gst|e-?mail)\b|@", t))
    if V.find_emails(t) or V.find_dates(t):
        return True
    if V.find_phones(t) and address_score(t) < 0.4:
        return True
    return _is_title(t)


def _is_title(text: str) -> bool:
    """A document title ("TAX INVOICE", "TAX INVOICE / ADJUSTMENT NOTE", "TAXINVOICE", OCR's "Tay Invoice")."""
    n = norm_text(text)
    if n in _TITLES or n.replace(" ", "") in _TITLES_NOSPACE:
        return True
    if 6 <= len(n) <= 30 and process.extractOne(n, _TITLES_LONG, scorer=fuzz.ratio, score_cutoff=85):
        return True
    words = n.split()
    for k in range(min(len(words), 4), 1, -1):
        if " ".join(words[:k]) in _TITLES and len(words) - k <= 3 and not any(ch.isdigit() for ch in n):
            return True
    # "Motor Insurance Policy Schedule", "Your electricity bill", "Laboratory Report": what the document
    # is, said last (not a company: no legal form)
    return (2 <= len(words) <= 5 and words[-1] in _KIND_NOUNS and not any(ch.isdigit() for ch in n)
            and V.company_evidence(text) == 0.0)


# the last word of a title that says what kind of document it is
_KIND_NOUNS = {"schedule", "statement", "report", "certificate", "payslip", "bill", "invoice", "receipt",
               "quotation", "estimate", "summary", "confirmation", "advice", "voucher"}


_TITLES_NOSPACE = {x.replace(" ", "") for x in _TITLES}
_TITLES_LONG = sorted(x for x in _TITLES if len(x) >= 6)
_SENTENCE = re.compile(
    r"(?i)\b(?:are|is|not|you|your|please|thank|thanks|welcome|will|must|should|we|our|have|"
    r"has|was|were|sold|returnable|refund|exchange|goods)\b"
)
# Words that name a kind of business: evidence of a name, weaker than a legal form.
_BUSINESS = re.compile(
    r"(?i)\b(?:syarikat|perniagaan|kedai|restoran|restaurant|enterprise|trading|hardware|store|"
    r"stores|mart|supermarket|minimarket|market|shop|cafe|café|bakery|bakeries|pharmacy|farmasi|"
    r"stationery|bookstore|book|electrical|motor|services?|industries|station|hotel|"
    r"trading|merchants?|supplies|supply|company|kopitiam|food|foods|seafood)\b|"
    r"商店|超市|餐厅|酒店|药房|书店|商行"
)
_REG_TOKEN = re.compile(
    r"(?i)\b(?:co\.?\s*reg|company\s*(?:no|reg)|roc|reg\.?\s*no|business\s*reg)\b|"
    r"(?<![\w])[A-Z]{0,3}\d{4,}-[A-Z](?![\w])"
)


def _is_regno(text: str) -> bool:
    """Registration-number lines: ``(867388-U)``, ``(CO.REG :860671-D)``, ``Company No: 734055-M``."""
    t = text.strip()
    if _REGNO.match(t):
        return True
    if _REG_TOKEN.search(t):
        rest = _REG_TOKEN.sub("", t)
        rest = re.sub(r"[\W\d_]|\b(?:no|number|co|reg|company)\b", "", rest, flags=re.I)
        return len(rest) <= 3
    return False


def _is_noise(text: str) -> bool:
    t = text.strip()
    letters = sum(ch.isalpha() for ch in t)
    digits = sum(ch.isdigit() for ch in t)
    if letters < 3 and not re.search(r"[\u3400-\u9fff]{2}", t):
        return True
    if digits > 0.4 * max(1, len(t.replace(" ", ""))):
        return True
    return bool(_REGNO.match(t))


def clean_company(text: str) -> str:
    """A name without a trailing registration number: ``AEON CO. (M) BHD (126926-H)`` → ``AEON CO. (M) BHD``."""
    t = _TRAIL_REG.sub("", text)
    t = re.sub(r"\s*[.,]?\s*\(\s*\d{0,3}\s*\)\s*$", "", t).strip(" ,:;-")  # "... BHD. .(4)": a stray mark
    t = repair_legal_form(t)
    return t if sum(ch.isalpha() for ch in t) >= 2 else text.strip()


# Two-word legal forms whose letters OCR confuses ("SON BHD", "SDN DHD", "SDNBHI", "5/B").
_LEGAL_PAIRS = (("SDN", "BHD"), ("PTE", "LTD"))
_LEGAL_SLASH = re.compile(r"(?<![\w/])[S5]\s?/\s?[B8](?![\w/])")


def repair_legal_form(name: str) -> str:
    """Undo OCR slips in the legal form at the end of a name; the rest of the name is left as read."""
    t = _LEGAL_SLASH.sub("S/B", name) if re.search(r"[A-Za-z]{2}", name) else name
    m = re.search(r"([A-Za-z0-9]{2,4})(\.?\s*)([A-Za-z0-9]{2,4})(\.?)\s*$", t)
    if m is not None:
        a, b = m.group(1), m.group(3)
        for x, y in _LEGAL_PAIRS:
            if (a.upper(), b.upper()) == (x, y):
                break
            if fuzz.ratio(a.upper() + b.upper(), x + y) >= 80 and (a.upper() == x or b.upper() == y):
                fix = (x, y) if a.isupper() or not a.isalpha() else (x.title(), y.title())
                return t[: m.start()] + fix[0] + m.group(2) + fix[1] + m.group(4)
    m = re.search(r"\b([A-Za-z0-9]{6})(\.?)\s*$", t)
    if m is not None:
        for x, y in _LEGAL_PAIRS:
            w = m.group(1).upper()
            if w != x + y and fuzz.ratio(w, x + y) >= 80 and (w.startswith(x) or w.endswith(y)):
                return t[: m.start()] + x + y + m.group(2)
    return t


def _incomplete(name: str) -> bool:
    """A name broken over lines: only a legal form left, an unclosed bracket, or a business word first."""
    core = V._COMPANY_SUFFIX.sub("", name)
    if sum(ch.isalpha() for ch in re.sub(r"\(.*?\)", "", core)) < 3:
        return True
    if name.count(")") > name.count("("):
        return True
    first = name.split()[0] if name.split() else ""
    return bool(_BUSINESS.fullmatch(re.sub(r"\W", "", first))) and not re.search(
        r"(?i)syarikat|perniagaan|kedai", first
    )


def _name_like(text: str) -> bool:
    t = text.strip()
    return not (
        _is_noise(t)
        or _is_title(t)
        or _is_regno(t)
        or V.find_phones(t)
        or V.find_dates(t)
        or ":" in t
        or address_score(t) >= 0.5
    )


def _segments(rows: list[list[VLine]], gap: float = 2.0) -> list[list[VLine]]:
    """Rows split where the gap between neighbouring lines is wide (a name at the left, a title at the right)."""
    out = []
    for row in rows:
        cur = [row[0]]
        for a, b in zip(row, row[1:], strict=False):
            if b.bbox[0] - a.bbox[2] > gap * max(a.h, b.h):
                out.append(cur)
                cur = []
            cur.append(b)
        out.append(cur)
    return out


def company_candidates(view: View) -> list[Candidate]:
    """The issuer's name: prominent, in the header (above the title and the transaction lines), near the top,
    with a legal-form suffix or a business word as evidence."""
    if not view.pages:
        return []
    page = view.pages[min(view.pages)]
    rows = _segments(page.rows)
    if not rows:
        return []
    out: list[Candidate] = []
    rank = 0
    top = rows[0][0].bbox[1]
    span = max(1.0, rows[-1][0].bbox[3] - top)
    for r, row in enumerate(rows[:16]):
        t = " ".join(v.text.strip() for v in row)
        y0 = min(v.bbox[1] for v in row)
        if (y0 - top) > 0.45 * span:
            break
        ev = max(V.company_evidence(clean_company(t)), V.company_evidence(t))
        header_over = (
            any(_is_title(v.text) for v in row)
            or V.find_dates(t)
            or re.search(
                r"(?i)\b(?:invoice|inv|receipt|bill|doc)\.?\s*(?:no|#)|\b(?:gst|sst|vat|tax)\s*(?:id|reg|no)|"
                r"\b(?:tel|phone|fax)\b",
                t,
            )
        )
        if header_over and out:
            break  # the header ends at the title / transaction lines: names below are customers
        if _is_noise(clean_company(t)) or _is_title(t) or (_is_regno(t) and ev == 0):
            continue
        if ":" in t or "：" in t:
            if ev == 0:
                continue
            pre, _, post = re.split(r"([:：])", t, maxsplit=1)
            if any_label_score(pre)[0] >= 0.7:  # "From: ACME Ltd": the label is not part of the name
                t = post.strip()
                row = [v for v in row if v.text.strip() not in (pre.strip() + ":", pre.strip() + "：")] or row
        ls, _ = any_label_score(t)
        if ls >= 0.9 and ev == 0:
            continue
        name = clean_company(t)  # without a trailing registration number ("(519537-X)" reads like a phone)
        if (V.find_dates(name) or V.find_phones(name) or V.find_emails(name)) and ev == 0:
            continue
        biz = 0.5 if _BUSINESS.search(t) else 0.0
        evidence = max(ev, biz)
        addr = address_score(t)
        h = max(v.h for v in row)
        size = min(1.0, max(0.0, h / page.line_h - 1.0))
        lower = t.lower() == t and bool(re.search(r"[a-z]", t))
        bracketed = t.strip().startswith("(") and t.strip().endswith(")")  # a subtitle or branch, not the name
        sentence = bool(_SENTENCE.search(t)) and ev == 0
        s = (
            0.42
            + 0.4 * evidence
            + 0.1 * size
            + 0.12 / (1 + rank)
            - 0.35 * max(0.0, addr - 0.3 * evidence)
            - (0.25 if lower else 0.0)
            - (0.3 if sentence else 0.0)
            - (0.25 if bracketed else 0.0)
        )
        lines = list(row)
        k = r
        while ev > 0 and _incomplete(name) and k > 0 and len(lines) < 6:
            above = rows[k - 1]
            at = " ".join(v.text.strip() for v in above)
            gap = min(v.bbox[1] for v in rows[k]) - max(v.bbox[3] for v in above)
            if not _name_like(at) or gap > 1.0 * page.line_h:
                break
            lines = list(above) + lines
            name = clean_company(at + " " + name)
            k -= 1
        box = union([x.bbox for x in lines])
        out.append(
            Candidate(
                name,
                V.normalise(name),
                row[0].page,
                box,
                " ".join(x.text for x in lines),
                min(0.95, s),
                "layout",
                tuple(x.idx for x in lines),
            )
        )
        rank += 1
    out.sort(key=lambda c: -c.score)
    return out


def _prose_row(text: str) -> bool:
    """A row of a paragraph, no line of an address: many words, or a contract's defined term in it
    ('York YO10 3JD (the "Landlord") and Daniel Okafor (the "Tenant").')."""
    return len(text.split()) > 12 or bool(re.search(r"\((?:the\s+)?[\"“'‘]", text))


def _column_rows(page, x0: float, x1: float) -> list[list[VLine]]:
    """The page's rows kept to the column ``x0``..``x1`` (with a margin of two line heights): each row's
    pieces that reach into it, in row order (empty where none does)."""
    m = 2 * page.line_h
    by_row: dict[int, list[VLine]] = {}
    for seg in _segments(page.rows):
        if min(v.bbox[0] for v in seg) <= x1 + m and max(v.bbox[2] for v in seg) >= x0 - m:
            by_row.setdefault(seg[0].row, []).extend(seg)
    return [by_row.get(r, []) for r in range(len(page.rows))]


def address_candidates(view: View, company: Candidate | None) -> list[Candidate]:
    """The address block under the company name: rows until the contact lines begin."""
    if not view.pages:
        return []
    page = view.pages[company.page if company is not None else min(view.pages)]
    rows = page.rows
    if company is not None and company.lines:
        start_row = max(view.lines[i].row for i in company.lines) + 1
        x0 = min(view.lines[i].bbox[0] for i in company.lines)
        x1 = max(view.lines[i].bbox[2] for i in company.lines)
        # keep to the company's column: a row may also hold a title or a date on the far side
        rows = _column_rows(page, x0, x1)
    else:
        start_row = 0
    picked: list[VLine] = []
    skipped = 0
    name = norm_text(company.value) if company is not None else ""
    for r in range(start_row, min(len(rows), start_row + 12)):
        row = _drop_specks(rows[r])
        if not row:
            continue
        text = before_fields(" ".join(v.text for v in row))
        score = address_score(text)
        if not picked:
            letters = sum(ch.isalpha() for ch in text) + 2 * len(_CJK_ADDR.findall(text))
            if (
                _is_regno(text)
                or (letters < 3 and not _HOUSE_NO.match(text))
                or _is_title(text)
                or (text.strip().startswith("(") and text.strip().endswith(")"))
            ):
                skipped += 1
            elif len(name) >= 4 and norm_text(text).startswith(name) and not re.search(r"\d", text):
                skipped += 1  # the name repeated with its branch ("ACME CO. THE GARDENS MALL"): not the address
            elif score >= 0.3 and not is_stop_line(text) and not _prose_row(text):
                picked.extend(row)
            else:
                skipped += 1
            if skipped > 4:
                break
            continue
        if is_stop_line(text) or _is_regno(text) or _colon_label(text) or _prose_row(text):
            break
        if _is_noise(text) and score < 0.4:
            break
        gap = min(v.bbox[1] for v in row) - max(v.bbox[3] for v in picked)
        if gap > 1.2 * max(page.line_h, max(v.h for v in picked)):
            break  # a blank line ends the block
        done = " ".join(v.text for v in picked)
        if (_POSTCODE.search(done) or _has_region(done)) and score < 0.2 and not re.search(r"\d", text):
            break  # an address ends with its postcode / city / region; a bare name after it is a branch
        picked.extend(row)
        if len(picked) >= 7:
            break
    if not picked:
        return []
    # "HQ ADD: LOT 11995, ..." — a short label before the first line is not part of the address
    first = _STRAY.sub("", before_fields(picked[0].text).strip())
    m = re.match(r"^\s*([^\d:：]{1,12})[:：]\s*(.+)$", first)
    value = " ".join(_STRAY.sub("", before_fields(v.text).strip()) for v in picked)
    if m is not None:
        value = value[len(first) - len(m.group(2)) :].strip() if value.startswith(first) else value
    total_cues = address_score(value)
    conf = 0.45 + 0.4 * total_cues
    return [
        Candidate(
            value,
            V.normalise(value),
            page.page,
            union([v.bbox for v in picked]),
            value,
            conf,
            "layout",
            tuple(v.idx for v in picked),
        )
    ]


def block_address(view: View, label: VLine, *, name_after: bool) -> list[Candidate]:
    """The address in the block a label heads (``Bill To``, ``Ship to``): the rows under it in its
    column, up to a blank line, another field's label or a contact line; without the name's row
    (the first, unless ``name_after``: the name is on the label's line) and "Attn:" lines. The rows
    left must read as an address together (a street line alone, "Plot 9, Riverside Works", may not).
    With nothing under it, the name and the address after the label, on its line or beside it."""
    page = view.pages[label.page]
    rows = [row for row in _column_rows(page, label.bbox[0], label.bbox[2])[label.row + 1 :] if row]
    block: list[list[VLine]] = []
    above = label.bbox[3]
    for row in rows:
        row = _drop_specks(row)
        if not row:
            continue
        text = " ".join(v.text for v in row)
        if min(v.bbox[1] for v in row) - above > 1.2 * max(page.line_h, label.h) or len(block) >= 6:
            break  # a blank line ends the block
        above = max(v.bbox[3] for v in row)
        if _ATTN.match(text):
            continue  # "Attn: Accounts Payable" between the name and the address
        if (_colon_label(text) and not _ADDRESS_LABEL.match(text)) or is_stop_line(text) or _is_regno(text):
            break
        if any(v.btype == "table" for v in row):
            break  # the items' table under a "Deliver to:" line
        block.append(row)
    if block and not name_after and address_score(" ".join(v.text for v in block[0])) < 0.3 and not _HOUSE_NO.match(
            block[0][0].text) and not re.match(r"\d", block[0][0].text):
        block = block[1:]  # the name's row
    picked = [v for row in block for v in row]
    if not picked:
        # "Deliver to: Halcyon Foods Warehouse, Gate 2, Norwich NR6 5DP": the name and the address after
        # the label, on its line or in the cell beside it, nothing under it
        beside = [v for v in view.right_of(label)[:1] if v.row == label.row]
        at = beside[0] if beside and not name_after else label
        rest = at.text if at is not label else re.split(r"[:：]", label.text, maxsplit=1)[-1].strip()
        named = _NAME_THEN_NUMBER.match(rest)
        rest = rest[named.end():] if named else rest  # the address after the name
        if address_score(rest) >= 0.5:
            return [Candidate(rest, V.normalise(rest), page.page, at.bbox, at.text, 0.45 + 0.4 * address_score(rest),
                              "layout", (at.idx,))]
    if not picked:
        return []
    value = _ADDRESS_LABEL.sub("", " ".join(_STRAY.sub("", v.text.strip()) for v in picked)).strip()
    cues = address_score(value)
    if cues < 0.3 or not value:
        return []
    return [Candidate(value, V.normalise(value), page.page, union([v.bbox for v in picked]), value, 0.45 + 0.4 * cues,
                      "layout", tuple(v.idx for v in picked))]


# "Harper & Cole Architects, 9 Dean Street, …": a name without figures, then a house number
_NAME_THEN_NUMBER = re.compile(r"[^\d,]{2,60},\s*(?=\d{1,5}[A-Za-z]?,?\s+[A-Z][a-z])")


# "VAT (20%): 71.40", "GST @ 6%", "增值税（13%）": the rate inside the tax's label
_RATE_IN_LABEL = re.compile(
    r"(?i)^\s*(?:total\s+)?(?:vat|gst|sst|(?:sales\s+|service\s+)?tax|增值税|税额|税金)\s*(?:[(（@]|at\b)?\s*"
    r"(?P<v>\d{1,2}(?:[.,]\d{1,2})?\s*%)"
    r"|^\s*(?P<w>\d{1,2}(?:[.,]\d{1,2})?\s*%)\s*(?:vat|gst|sst|tax)\b")  # "6.00% GST"


def rate_in_tax_label(view: View) -> list[Candidate]:
    """The tax rate where a tax amount's label gives it ("VAT (20%): 71.40")."""
    from ..grounding import value_box

    out = []
    for page in view.pages.values():
        for row in page.rows:  # a row: OCR may box "6.00%" and "GST" apart
            text = " ".join(v.text for v in row)
            m = _RATE_IN_LABEL.match(text)
            if m is None:
                continue
            g = "v" if m.group("v") else "w"
            value = m.group(g)
            ln = next((v for v in row if value in v.text), row[0])
            hit = value_box([ln.line], value) if ln.line is not None else None
            label = (text[: m.start(g)] if g == "v" else text[m.end(g):]).strip(" (（@")
            out.append(Candidate(value, V.normalise(value), ln.page, hit[0] if hit else ln.bbox, text, 0.85, "label",
                                 tuple(v.idx for v in row), label))
    return out


_ADDRESS_LABEL = re.compile(r"(?i)^\s*(?:address|addr|地址)\s*[:：]\s*")
# who a letter or parcel is for, inside an address block
_ATTN = re.compile(r"(?i)^\s*(?:attn|attention|c/o|fao|for the attention of|contact(?: person)?)\b\.?")
# "NO 24, 25&26," / "LOT 5,": a house or lot number opens an address even with hardly any letters
_HOUSE_NO = re.compile(r"(?i)^\s*(?:no|lot|plot|unit|blk|block|bldg)\.?\s*\d")
# quote marks and backticks at the ends of a line are specks, not part of an address
_STRAY = re.compile(r"^[\"'`~]+|[\"'`~]+$")


def _drop_specks(row: list[VLine]) -> list[VLine]:
    """A row without its specks: a piece of at most two letters and no digit beside the real text ("ty,")
    that is no address word."""

    def speck(v: VLine) -> bool:
        letters = sum(ch.isalpha() for ch in v.text)
        return (
            1 <= letters <= 2
            and not re.search(r"\d", v.text)
            and not _CJK_ADDR.search(v.text)
            and v.norm not in _STREET
            and v.norm not in _REGIONS
        )

    if len(row) < 2:
        return row
    keep = list(row)
    if speck(keep[0]):
        keep = keep[1:]
    if len(keep) >= 2 and speck(keep[-1]):
        keep = keep[:-1]
    return keep


def before_fields(text: str) -> str:
    """``text`` up to where other fields follow it on its line ("12 Harbour Road, Bristol BS1 4QA · Tel:
    0117 …", "… 4QA   VAT No: …"): a separator and a colon label."""
    for m in _FIELD_SEP.finditer(text):
        if _colon_label(text[m.end():]) and text[: m.start()].strip():
            return text[: m.start()]
    return text


def _colon_label(text: str) -> bool:
    """``Document No: TD01167104``: a labelled field, not an address line."""
    m = re.match(r"^\s*([^:：]{1,25})[:：]", text)
    if m is None:
        return False
    pre = m.group(1)
    return not re.search(r"\d", pre) and len(pre.split()) <= 3 and address_score(text) < 0.3


def _has_region(text: str) -> bool:
    padded = f" {norm_text(text)} "
    return any(f" {r} " in padded for r in _REGIONS)


# -- totals ---------------------------------------------------------------------------------------

# payments that carry no change (cards, wallets): what they charge is the total
_CARD_WORDS = r"visa|master|mastercard|card|credit|debit|amex|e-?wallet|boost|grab ?pay|touch ?n ?go|tng|nets|eftpos"
_CARD = re.compile(rf"(?i)\b({_CARD_WORDS})\b|刷卡|微信|支付宝")
_PAY = re.compile(
    rf"(?i)\b(cash|paid|tender(?:ed)?|payment|accepted|received|cheque|{_CARD_WORDS})\b|现金|支付|刷卡|微信|支付宝|实收"
)
_CHANGE = re.compile(r"(?i)\b(change|balance|bal)\b|找零|找赎")


def _row_amounts(view: View) -> list[tuple[VLine, list[VLine], float]]:
    """(line, its row, amount) for every amount with decimals."""
    if "row_amounts" in view.cache:
        return view.cache["row_amounts"]
    out = []
    for page in view.pages.values():
        for row in page.rows:
            for ln in row:
                for sp in V.find_money(ln.text):
                    if sp.score >= 0.8:
                        out.append((ln, row, float(sp.norm)))
    view.cache["row_amounts"] = out
    return out


def _payment_evidence(view: View) -> tuple[set[float], float | None, float | None]:
    """Amounts on payment rows, what settled the bill, and the change row's y.

    The bill is settled by what was paid less the change when both are printed, or with no
    change line by a card or wallet payment (those charge the total exactly)."""
    paid: set[float] = set()
    tendered = change = change_y = charged = None
    for ln, row, v in _row_amounts(view):
        row_text = " ".join(x.text for x in row)
        if _CHANGE.search(row_text):
            if change is None:
                change, change_y = v, ln.bbox[1]
        elif _PAY.search(row_text):
            paid.add(v)
            if tendered is None:
                tendered = v
            if charged is None and _CARD.search(row_text):
                charged = v
    if tendered is not None and change is not None:
        settled = round(tendered - change, 2) if tendered >= change else None
    else:
        settled = charged if change is None else None
    return paid, settled, change_y


def rerank_totals(view: View, cands: list[Candidate]) -> None:
    """Adjust labelled totals by how receipts are made: the total is what is paid (paid less change
    confirms it), comes after tax and rounding (later is better), and precedes the payment lines
    (a "Total" under the change line belongs to a tax summary)."""
    paid, settled, change_y = _payment_evidence(view)
    counts: dict[float, int] = {}
    for _, _, v in _row_amounts(view):
        counts[v] = counts.get(v, 0) + 1
    values = []
    for c in cands:
        try:
            values.append(float(c.norm))
        except ValueError:
            values.append(None)
    # the largest amount in play, the settled one included: a labelled amount far below it is a part
    top = max([v for v in values if v is not None] + [settled or 0.0])
    for c, v in zip(cands, values, strict=True):
        if v is None:
            continue
        bonus = 0.0
        if settled is not None and abs(v - settled) < 0.005:
            bonus += 0.3
        elif v in paid:
            bonus += 0.12
        if counts.get(v, 0) >= 2:
            bonus += 0.02
        if v <= 0:
            bonus -= 0.3
        elif top >= 5 * v:
            bonus -= 0.2  # a small amount beside a much larger total: tax, rounding, a quantity
        if change_y is not None and c.bbox[1] > change_y + 1 and c.page == min(view.pages):
            bonus -= 0.2
        page = view.pages.get(c.page)
        if page is not None and page.height > 0:
            bonus += 0.02 * (c.bbox[1] / page.height)
        c.score += bonus
    if settled is not None and settled > 0 and not any(v is not None and abs(v - settled) < 0.005 for v in values):
        # no total label by the paid amount (faded, misread): the amount itself, printed above the payment
        for ln, row, v in _row_amounts(view):
            if (
                abs(v - settled) < 0.005
                and (change_y is None or ln.bbox[1] < change_y)
                and not _PAY.search(" ".join(x.text for x in row))
            ):
                sp = next(x for x in V.find_money(ln.text) if abs(float(x.norm) - v) < 0.005)
                cands.append(Candidate(sp.text, sp.norm, ln.page, ln.bbox, ln.text, 0.8, "layout", (ln.idx,)))


def total_fallback(view: View) -> list[Candidate]:
    """No total label: the largest amount that is repeated, paid, or cash − change."""
    amounts = _row_amounts(view)
    if not amounts:
        return []
    paid, settled, _ = _payment_evidence(view)
    counts: dict[float, int] = {}
    for _, _, v in amounts:
        counts[v] = counts.get(v, 0) + 1
    out = []
    for ln, row, v in amounts:
        if v <= 0:
            continue
        page = view.pages[ln.page]
        rel = (ln.cy - page.lines[0].bbox[1]) / max(1.0, page.lines[-1].bbox[3] - page.lines[0].bbox[1])
        row_text = " ".join(x.text for x in row)
        if _CHANGE.search(row_text):
            continue
        is_cash = bool(re.search(r"(?i)cash|tender|现金|实收", row_text))
        s = 0.25
        if settled is not None and abs(v - settled) < 0.005:
            s = 0.6
        elif counts[v] >= 2 or (v in paid and not is_cash):
            s = 0.45
        if rel < 0.3:
            s -= 0.1
        sp = next((x for x in V.find_money(ln.text) if abs(float(x.norm) - v) < 0.005), None)
        if sp is None:
            continue
        out.append(
            Candidate(
                sp.text, sp.norm, ln.page, ln.bbox, ln.text, s + 0.0001 * min(v, 1e6) / 1e6 * 10, "layout", (ln.idx,)
            )
        )
    # the largest among the best-supported
    out.sort(key=lambda c: (-round(c.score, 2), -float(c.norm)))
    return out[:1]


def first_date(view: View, spec: KeySpec) -> list[Candidate]:
    """The document's date when no label names it: the first date that is not labelled as another kind of
    date (due, expiry, ...), preferring one printed with a time (the transaction's timestamp)."""
    from .labels import LabelMatcher, correct_tokens
    from .synonyms import label_tokens, resolve_key

    others = [LabelMatcher(resolve_key(k)) for k in ("due date", "start date", "end date")]
    best: Candidate | None = None
    for ln in view.lines:
        spans = V.find_dates(ln.text)
        if not spans:
            continue
        ctx = ln.text[: spans[0].start]
        left = [v for v in view.pages[ln.page].rows[ln.row] if v.bbox[2] <= ln.bbox[0] + 1]
        ctx = " ".join([v.text for v in left] + [ctx])
        toks = correct_tokens(label_tokens(ctx))
        if any(m.score(toks) >= 0.8 for m in others) or any(
            e in " ".join(toks) for e in ("due", "expir", "valid", "until", "到期", "截止", "终止")
        ):
            continue
        sp = spans[0]
        row_text = " ".join(v.text for v in view.pages[ln.page].rows[ln.row])
        timed = bool(re.search(r"\d{1,2}:\d{2}", row_text[0:] if sp.end else row_text))
        s = 0.6 * sp.score + (0.1 if timed else 0.0)
        if best is None or s > best.score + 1e-9:
            best = Candidate(sp.text, sp.norm, ln.page, ln.bbox, ln.text, s, "pattern", (ln.idx,))
    return [best] if best is not None else []


def parties_candidates(view: View, extract_one) -> list[Candidate]:
    """Contract parties: 'between X and Y' in the opening sentence (over as many lines as it is
    wrapped on), else the 'Party A' and 'Party B' values."""
    found = prose_candidates(view, resolve_key("parties"))
    if found:
        return found[:1]
    a = extract_one("party a")
    b = extract_one("party b")
    if a is not None and b is not None:
        box = union([a.bbox, b.bbox]) if a.page == b.page else a.bbox
        value = f"{a.value}; {b.value}"
        return [
            Candidate(
                value,
                V.normalise(value),
                a.page,
                box,
                f"{a.source} | {b.source}",
                min(a.score, b.score),
                "label",
                a.lines + b.lines,
            )
        ]
    return []


# the title of a document its buyer issues
_BUYERS_TITLE = re.compile(r"(?i)^\s*(?:purchase\s+order|order\s+form|采购订单|采购单|订购单|订货单)\b")


# who issues a document of each kind, by the kind its title says: the letterhead is theirs
_ISSUER_TITLES = {
    "employer": re.compile(r"(?i)\b(?:pay\s*slip|salary\s+slip|pay\s+(?:statement|advice)|earnings\s+statement)\b|工资单|工资条"),
    "bank": re.compile(r"(?i)\b(?:account\s+statement|statement\s+of\s+account|bank\s+statement|current\s+account)\b|对账单"),
    "insurer": re.compile(r"(?i)\b(?:insurance|policy\s+schedule|certificate\s+of\s+insurance)\b|保险单|保单"),
}


def issuer_by_title(view: View, role: str) -> bool:
    """Whether ``role`` ("employer", "bank", "insurer") is the issuer of this document by its title (a
    payslip's employer, a statement's bank)."""
    rx = _ISSUER_TITLES.get(role)
    return rx is not None and _titled(view, rx.search, 6)


def _titled(view: View, says, max_words: int) -> bool:
    """Whether a line of a few words in the top third of the first page (its title) ``says`` so."""
    page = view.pages.get(min(view.pages)) if view.pages else None
    return page is not None and any(
        v.bbox[1] < page.height / 3 and len(v.text.split()) <= max_words and says(v.text) for v in page.lines)


def issued_by_buyer(view: View) -> bool:
    """Whether the document is a purchase order (by its title): its letterhead is the buyer's, not the
    seller's."""
    return _titled(view, _BUYERS_TITLE.match, 4)


# the label of a period whose first and last days are its start and end ("Period of insurance:",
# "Validity:", "Contract term:", "保险期间：")
_PERIOD_LABEL = re.compile(
    r"(?i)\b(?:period|term|valid(?:ity)?|cover(?:age)?|insurance|contract|tenancy|lease|subscription|membership|"
    r"billing|statement)\b|期限|有效期|期间")


def period_bounds(view: View, *, end: bool) -> list[Candidate]:
    """The first (or, with ``end``, the last) day of a labelled period ("Period of insurance: 12/04/2026
    to 11/04/2027"): a policy's or a contract's start and end where no label gives them apart."""
    from ..grounding import value_box

    out = []
    for page in view.pages.values():
        for row in page.rows:
            text = " ".join(v.text for v in row)
            for sp in V.find_durations(text):
                if "/" not in sp.norm or not _PERIOD_LABEL.search(text[: sp.start]):
                    continue
                dates = V.find_dates(sp.text)
                if len(dates) < 2:
                    continue
                d = dates[-1] if end else dates[0]
                ln = next((v for v in row if d.text in v.text), None)
                if ln is None:
                    continue
                hit = value_box([ln.line], d.text) if ln.line is not None else None
                out.append(Candidate(d.text, d.norm, page.page, hit[0] if hit else ln.bbox, text, 0.75, "period",
                                     tuple(v.idx for v in row), text[: sp.start].strip(" :：")))
    return out


def issuers_contact(view: View, vtype: str) -> list[Candidate]:
    """An email address or a web address no label names ("sales@acme.co.uk" in a letterhead): the
    document's only one, else the first in the top third of its first page (the issuer's); none where
    several stand elsewhere."""
    from ..grounding import value_box

    found = [(ln, sp) for ln in view.lines for sp in V.find(vtype, ln.text) if sp.score >= 0.8]
    if not found:
        return []
    page = view.pages[min(view.pages)]
    if len({sp.norm for _, sp in found}) > 1:
        found = [(ln, sp) for ln, sp in found if ln.page == page.page and ln.bbox[3] < page.height / 3]
    if not found:
        return []
    ln, sp = found[0]
    hit = value_box([ln.line], sp.text) if ln.line is not None else None
    return [Candidate(sp.text, sp.norm, ln.page, hit[0] if hit else ln.bbox, ln.text, 0.6, "pattern", (ln.idx,))]
