"""Typed values: find, check and normalise dates, amounts, ids, phones, IBANs, emails, percentages.

Every finder takes a piece of text and returns the ``Span``s of that type in it,
as written (``text``), with a normalised form (``norm``) for comparison and a
plausibility ``score`` in 0..1.  The engine reads a key's type from the key
(``synonyms.KeySpec.vtype``) and keeps only candidates that pass its finder; a
candidate that fails loses to one that passes.

The rules follow how such values are written, not any one document:
- a date has a day, a month and (usually) a year, in one of a few orders and
  separators, or a month name, or the CJK ``年月日`` form;
- an amount is digits with an optional thousands separator and two decimals,
  often with a currency sign or code; integers count only weakly;
- an IBAN passes the ISO 13616 mod-97 check; a phone has 7 to 15 digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "Span",
    "VALUE_TYPES",
    "find",
    "find_dates",
    "find_counts",
    "find_money",
    "find_urls",
    "find_ids",
    "find_phones",
    "find_times",
    "find_ibans",
    "find_emails",
    "find_percents",
    "find_durations",
    "parse_date",
    "parse_money",
    "iban_ok",
    "text_score",
    "normalise",
]


@dataclass(frozen=True, slots=True)
class Span:
    """A typed value inside a text: ``text[start:end]`` as written, its normal form, its plausibility."""

    start: int
    end: int
    text: str
    norm: str
    score: float


# -- dates ----------------------------------------------------------------------------------------

_MONTHS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
    # Malay / German / French / Spanish month names that differ from English
    "mac": 3,
    "mei": 5,
    "ogos": 8,
    "okt": 10,
    "dis": 12,
    "januar": 1,
    "februar": 2,
    "marz": 3,
    "mai": 5,
    "juni": 6,
    "juli": 7,
    "oktober": 10,
    "dezember": 12,
    "janv": 1,
    "fevr": 2,
    "mars": 3,
    "avr": 4,
    "juin": 6,
    "juil": 7,
    "aout": 8,
    "ene": 1,
    "abr": 4,
    "ago": 8,
    "dic": 12,
}
_MON = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_NUMERIC_DATE = re.compile(
    r"(?<![\d.,/-])(?P<a>\d{1,4})(?P<sep>[./]\s?|-|\s?[./]\s?)(?P<b>\d{1,2})(?P=sep)(?P<c>\d{4}|\d{2})"
)
# a time glued to the date by OCR ("05-03-201819:02:50"): the year may run straight into it
_TIME_AFTER = re.compile(r"\d{1,2}[:.]\d{2}")
# after a year spelled with its month: the end of the number, or a four-digit year with a time glued on
# ("14/Jun/201708:34:22")
_YEAR_END = r"(?:(?![\d])|(?<=\d{4})(?=\d{2}[:.]\d{2}))"
_DMY_NAME = re.compile(
    r"(?<![\w])(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s./-]*" + _MON + r"(?![a-z])[\s.,/-]*(?P<y>\d{4}|\d{2})" + _YEAR_END,
    re.I,
)
_MDY_NAME = re.compile(
    r"(?<![\w])" + _MON + r"(?![a-z])[a-z]*\.?\s*(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s*(?P<y>\d{4})" + _YEAR_END, re.I
)
_YMD_NAME = re.compile(r"(?<![\d])(?P<y>\d{4})[\s.,/-]*" + _MON + r"(?![a-z])[\s.,/-]*(?P<d>\d{1,2})(?![\d])", re.I)
_CJK_DATE = re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?")
_FULL_MONTH = re.compile(r"(?<![\w])" + r"(?P<mon>" + "|".join(k for k in _MONTHS if len(k) > 3) + r")(?![a-z])", re.I)


def _year(y: str) -> int:
    v = int(y)
    return v + (2000 if v < 70 else 1900) if len(y) == 2 else v


def _valid(y: int, m: int, d: int) -> bool:
    if not (1 <= m <= 12 and 1 <= d <= 31 and 1900 <= y <= 2100):
        return False
    if m in (4, 6, 9, 11) and d > 30:
        return False
    return not (m == 2 and d > 29)


def find_dates(text: str) -> list[Span]:
    """Dates in ``text``; ``norm`` is ISO ``YYYY-MM-DD`` (day first when both orders are valid)."""
    out: list[Span] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match, y: int, mo: int, d: int, score: float) -> None:
        s, e = m.span()
        if any(s < te and ts < e for ts, te in taken) or not _valid(y, mo, d):
            return
        taken.append((s, e))
        out.append(Span(s, e, text[s:e].strip(), f"{y:04d}-{mo:02d}-{d:02d}", score))

    for m in _CJK_DATE.finditer(text):
        add(m, int(m["y"]), int(m["m"]), int(m["d"]), 1.0)
    for rx in (_DMY_NAME, _MDY_NAME, _YMD_NAME):
        for m in rx.finditer(text):
            add(m, _year(m["y"]), _MONTHS[m["mon"].lower().rstrip(".")], int(m["d"]), 1.0)
    for m in _NUMERIC_DATE.finditer(text.replace("~", "-")):
        a, b, c = m["a"], m["b"], m["c"]
        after = text[m.end() :]
        glued = len(c) == 4 and _TIME_AFTER.match(c[2:] + after) is not None
        if glued and (len(a) == 4 or not 1900 <= int(c) <= 2100 or after[:1].isdigit()):
            c = c[:2]  # "21/02/1811:19", "2016/05/0114:11": a 2-digit year or day, then a time
        elif after[:1].isdigit() or after[:2] in ("/1", "/0", "-1", "-0") or re.match(r"[.,]\d", after):
            if not _TIME_AFTER.match(after):
                continue
        if len(a) == 3:
            continue
        if len(a) == 4:  # year first
            y, mo, d = int(a), int(b), int(c)
            if len(c) <= 2 and _valid(y, mo, d):
                _add_numeric(
                    out, taken, text, m.start(), m.start() + len(a) + 2 * len(m["sep"]) + len(b) + len(c), y, mo, d, 1.0
                )
            continue
        y = _year(c)
        short = len(a) < 2 or len(b) < 2
        score = 1.0 if len(c) == 4 else (0.9 if not short else 0.6)
        if m["sep"].strip() == "." and len(c) == 2:
            score = min(score, 0.7)  # "1.5.20" is more often a version or a quantity
        end = m.start() + len(a) + 2 * len(m["sep"]) + len(b) + len(c)
        if _valid(y, int(b), int(a)):
            _add_numeric(out, taken, text, m.start(), end, y, int(b), int(a), score)
        elif _valid(y, int(a), int(b)):
            _add_numeric(out, taken, text, m.start(), end, y, int(a), int(b), score)
    out.sort(key=lambda s: s.start)
    return out


def _add_numeric(
    out: list[Span], taken: list[tuple[int, int]], text: str, s: int, e: int, y: int, mo: int, d: int, score: float
) -> None:
    if any(s < te and ts < e for ts, te in taken):
        return
    taken.append((s, e))
    out.append(Span(s, e, text[s:e].replace("~", "-").strip(), f"{y:04d}-{mo:02d}-{d:02d}", score))


def parse_date(text: str) -> str | None:
    """ISO form of the first date in ``text``, or None."""
    spans = find_dates(text)
    return spans[0].norm if spans else None


# -- money ----------------------------------------------------------------------------------------

_CUR = r"(?:RM|MYR|USD|US\$|EUR|GBP|CNY|RMB|SGD|HKD|JPY|AUD|CAD|CHF|INR|S\$|HK\$|A\$|\$|€|£|¥|￥|₹|人民币|元)"
# thousands may be set off by a full-width comma in Chinese text ("86，500")
_NUM = r"(?:\d{1,3}(?:[,'\u2009 ，]\d{3})+(?:[.,]\d{1,2})?|\d{1,3}(?:\.\d{3})+,\d{2}|\d+(?:[.,]\d{1,2})?)"
_MONEY = re.compile(
    # not inside a word or a number; a Chinese character before it is no word it is inside ("为100元")
    r"(?<![^\W\u3400-\u9fff]|[.,/:-])(?P<neg>-\s?)?(?P<cur>" + _CUR + r")?\s?(?P<neg2>-)?\s?(?P<num>" + _NUM + r")(?P<minus>-)?"
    r"(?:\s?(?P<cur2>" + _CUR + r"|dollars?|euros?|ringgit))?(?![\w/:%]|[.,]\d|-\d)",
    re.I,
)


def parse_money(text: str) -> float | None:
    """The number of the first amount in ``text`` (``"RM 1,234.50"`` → 1234.5), or None."""
    spans = find_money(text)
    return float(spans[0].norm) if spans else None


def _num_value(num: str) -> float | None:
    s = num.replace("\u2009", "").replace("'", "").replace("，", ",")
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+,\d{2}", s):  # 1.234,56
        s = s.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d+,\d{1,2}", s):  # 12,50
        s = s.replace(",", ".")
    else:
        s = s.replace(",", "").replace(" ", "")
    try:
        return float(s)
    except ValueError:
        return None


def find_money(text: str) -> list[Span]:
    """Amounts in ``text``; ``norm`` is the number with two decimals.

    Score: 1.0 with decimals or a currency, 0.5 for a bare integer (a quantity
    looks the same), lower for long integers (ids, phone numbers).
    """
    out: list[Span] = []
    for m in _MONEY.finditer(text):
        num = m["num"]
        v = _num_value(num)
        if v is None:
            continue
        has_dec = bool(re.search(r"[.,]\d{1,2}$", num)) and not re.fullmatch(r"\d{1,3}(,\d{3})+", num)
        has_cur = bool(m["cur"] or m["cur2"])
        digits = sum(ch.isdigit() for ch in num)
        if digits > 12:
            continue
        if has_dec and re.search(r"[.,]\d$", num):  # one decimal: weaker (12.5)
            score = 0.8
        elif has_dec or has_cur:
            score = 1.0
        else:
            score = 0.5 if digits <= 6 else 0.15
        if has_dec and has_cur:
            score = 1.0
        neg = bool(m["neg"] or m["neg2"] or m["minus"])
        s, e = m.span()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        out.append(Span(s, e, text[s:e], f"{-v if neg else v:.2f}", score))
    return out


# -- ids, tax numbers, phones, IBANs, emails, percentages ------------------------------------------

_ID_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/#._]*[A-Za-z0-9]|[0-9]")
_LEADING_NO = re.compile(r"^\s*(?:no\.?|nr\.?|number|num\.?|#|:|：|-)\s*", re.I)


def find_ids(text: str, *, min_digits: int = 1) -> list[Span]:
    """Identifier-like runs: tokens with digits (``INV-2024-0012``, ``CR 1803/0064``, ``60000053668``).

    Neighbouring tokens join when both hold digits or one is a short code (``CR``).
    """
    out: list[Span] = []
    toks = [(m.start(), m.end(), m.group()) for m in _ID_TOKEN.finditer(text)]
    i = 0
    while i < len(toks):
        s, e, t = toks[i]
        if not any(ch.isdigit() for ch in t) and not (t.isupper() and len(t) <= 4 and i + 1 < len(toks)):
            i += 1
            continue
        j = i
        while j + 1 < len(toks):
            ns, ne, nt = toks[j + 1]
            gap = text[toks[j][1] : ns]
            if gap.strip() or ns - toks[j][1] > 2:
                break
            if not (any(ch.isdigit() for ch in nt) or (nt.isupper() and len(nt) <= 3)):
                break
            j += 1
        e = toks[j][1]
        val = text[s:e]
        digits = sum(ch.isdigit() for ch in val)
        letters = sum(ch.isalpha() for ch in val)
        if digits >= min_digits and len(val.replace(" ", "")) >= 3 and not (letters > 0 and val.isalpha()):
            lower_words = re.findall(r"[a-z]{4,}", val)
            score = 1.0 if digits >= 3 else 0.7
            if lower_words:
                score *= 0.5
            if find_dates(val) and len(find_dates(val)[0].text) >= len(val) - 1:
                score *= 0.3
            out.append(Span(s, e, val, re.sub(r"[\s]", "", val).upper(), score))
        i = j + 1
    return out


def find_tax_ids(text: str) -> list[Span]:
    """Tax / registration numbers: ids with at least 6 digits (``0010 9010 5344``, ``DE123456789``)."""
    out = []
    for sp in find_ids(text, min_digits=6):
        out.append(sp)
    return out


_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d\s().\-/]{5,20}\d(?![\w])")


def find_phones(text: str) -> list[Span]:
    """Phone numbers: 7 to 15 digits with spaces, dashes, dots or brackets."""
    out = []
    for m in _PHONE.finditer(text):
        val = m.group().strip()
        digits = sum(ch.isdigit() for ch in val)
        if not 7 <= digits <= 15:
            continue
        if find_dates(val) and len(find_dates(val)[0].text) >= len(val) - 2:
            continue
        if re.fullmatch(r"\d{1,3}(,\d{3})*\.\d{2}", val):
            continue
        score = 1.0 if re.search(r"[\s\-().+]", val) or val.startswith("0") else 0.7
        out.append(Span(m.start(), m.start() + len(val), val, re.sub(r"[^\d+]", "", val), score))
    return out


_IBAN = re.compile(r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?:\s?[A-Z0-9]){11,30}(?![A-Z0-9])", re.I)


def iban_ok(value: str) -> bool:
    """ISO 13616 check: country code, check digits, mod-97 == 1."""
    s = re.sub(r"\s", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    moved = s[4:] + s[:4]
    num = "".join(str(int(ch, 36)) for ch in moved)
    return int(num) % 97 == 1


def find_ibans(text: str) -> list[Span]:
    out = []
    for m in _IBAN.finditer(text):
        val = m.group().strip()
        # the match may run into a following word: shrink until the check passes
        cand = val
        while cand and not iban_ok(cand) and len(re.sub(r"\s", "", cand)) > 15:
            cand = cand[:-1].rstrip()
        if iban_ok(cand):
            out.append(Span(m.start(), m.start() + len(cand), cand, re.sub(r"\s", "", cand).upper(), 1.0))
    return out


_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def find_emails(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), m.group(), m.group().lower(), 1.0) for m in _EMAIL.finditer(text)]


_URL = re.compile(r"(?i)(?<![\w@.])(?:https?://|www\.)[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/[\w./%?=&#-]*)?(?<![.,])")


def find_urls(text: str) -> list[Span]:
    """Web addresses written with their scheme or ``www.`` ("www.acme.co.uk", "https://acme.com/pay")."""
    return [Span(m.start(), m.end(), m.group(), m.group().lower(), 1.0) for m in _URL.finditer(text)]


_PERCENT = re.compile(r"(?<![\w.])-?\d{1,3}(?:[.,]\d{1,3})?\s?%")
# a time of day: 15:17, 12:49:00, 3:45 PM, 15时17分 (not a ratio inside a longer number)
_TIME = re.compile(r"(?<![\d:.])(?:[01]?\d|2[0-3])(?::[0-5]\d){1,2}(?:\s?[AaPp]\.?[Mm]\.?)?(?![\d:])"
                   r"|(?<!\d)(?:[01]?\d|2[0-3])时[0-5]?\d分(?:[0-5]?\d秒)?")


def find_times(text: str) -> list[Span]:
    """Times of day; ``norm`` is HH:MM(:SS) on a 24-hour clock."""
    out = []
    for m in _TIME.finditer(text):
        t = m.group()
        nums = [int(n) for n in re.findall(r"\d+", t)]
        h = nums[0] % 12 + (12 if re.search(r"[Pp]", t) else 0) if re.search(r"[AaPp]\.?[Mm]", t) else nums[0]
        norm = ":".join(f"{n:02d}" for n in [h, *nums[1:]])
        out.append(Span(m.start(), m.end(), t, norm, 1.0))
    return out


def find_percents(text: str) -> list[Span]:
    out = []
    for m in _PERCENT.finditer(text):
        num = re.sub(r"[\s%]", "", m.group()).replace(",", ".")
        out.append(Span(m.start(), m.end(), m.group(), f"{float(num):g}%", 1.0))
    return out


# a whole number standing alone: not a part of an amount, a date, a time or a code ("3", "1,200"); a
# quantity's zero decimals may follow ("5.00")
_COUNT = re.compile(r"(?<![\w.,:/-])(\d{1,3}(?:,\d{3})*)(\.0{1,3})?(?![\w%]|[.,:/-]\d)")


def find_counts(text: str) -> list[Span]:
    """Counts: whole numbers standing alone ("Item(s) : 3", "Total items: 12", "Item Qty: 5.00")."""
    return [Span(m.start(), m.end(), m.group(), m.group(1).replace(",", ""), 0.8 if m.group(2) else 0.9)
            for m in _COUNT.finditer(text)]


_DURATION = re.compile(
    r"(?<![\w])(?:\d{1,3}|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:one|two|three|four|"
    r"five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|"
    r"fifteen|eighteen|[一二三四五六七八九十两]+)\s?(?:\(\d+\)\s?)?"
    r"(?:business days?|calendar days?|days?|weeks?|months?|years?|个月|个工作日|工作日|天|日|周|月|年)(?![a-z])",
    re.I,
)


# what joins the two dates of a period ("1 March 2026 to 31 March 2026", "01/03/2026 - 31/03/2026")
_RANGE_JOIN = re.compile(r"\s*(?:-|–|—|~|to|through|until|till|起?至|到)\s*", re.I)


def find_durations(text: str) -> list[Span]:
    """Lengths of time ("12 months", "三年"), and periods from one date to another (``norm`` the two
    ISO dates joined by ``/``), which say a statement's or a contract's period as well."""
    out = [Span(m.start(), m.end(), m.group(), m.group().lower(), 1.0) for m in _DURATION.finditer(text)]
    dates = find_dates(text)
    for a, b in zip(dates, dates[1:], strict=False):
        if _RANGE_JOIN.fullmatch(text[a.end:b.start]) and a.norm <= b.norm and not any(
                s.start < b.end and a.start < s.end for s in out):
            out.append(Span(a.start, b.end, text[a.start:b.end], f"{a.norm}/{b.norm}", 0.9))
    return sorted(out, key=lambda s: s.start)


# -- free text: names, organisations, addresses ---------------------------------------------------

_COMPANY_SUFFIX = re.compile(
    r"(?<![a-z])(?:sdn\.?\s*bhd|s\s?/\s?b|bhd|berhad|ltd|limited|inc|incorporated|llc|l\.l\.c|llp|plc|gmbh|ag|"
    r"s\.?a\.?r?\.?l?|b\.?v|n\.?v|oy|ab|pte|pty|corp|corporation|co|company|enterprises?|trading|"
    r"holdings?|group|industries|s\.?p\.?a|kk|k\.k)\.?(?![a-z])|有限公司|有限责任公司|股份有限公司|公司|集团|商行|企业",
    re.I,
)


def company_evidence(text: str) -> float:
    """How strongly ``text`` reads like a company name by its legal-form suffix (0..1)."""
    m = list(_COMPANY_SUFFIX.finditer(text))
    if not m:
        return 0.0
    last = m[-1]
    strong = re.search(
        r"sdn|bhd|berhad|s\s?/\s?b|ltd|limited|inc|llc|llp|plc|gmbh|corp|pte|pty|有限|公司", last.group(), re.I
    )
    tail = len(text) - last.end()
    score = 1.0 if strong else 0.6
    return score if tail <= 3 else score * 0.7


def text_score(text: str, kind: str = "text") -> float:
    """Plausibility of free text as a name / organisation / address / general value (0..1)."""
    t = text.strip()
    if not t:
        return 0.0
    letters = sum(ch.isalpha() for ch in t)
    digits = sum(ch.isdigit() for ch in t)
    if letters == 0:
        return 0.1 if kind == "text" else 0.0
    if kind in ("org", "name"):
        if digits > letters:
            return 0.1
        if kind == "name" and digits:
            return 0.3
        if len(t) < 2:
            return 0.1
        return 1.0 if digits == 0 or digits <= 0.2 * letters else 0.6
    if kind == "address":
        return 1.0 if letters >= 3 else 0.3
    return 1.0


_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")


def _repair_run(m: re.Match) -> str:
    run = m.group(0)
    digits = sum(c.isdigit() for c in run)
    letters = len(run) - digits
    if digits >= 2 and letters and set(c for c in run if not c.isdigit()) <= {"O", "o"}:
        return run.replace("O", "0").replace("o", "0")  # "29O" → "290"
    if letters >= 4 and digits == 1:
        i = next(k for k, c in enumerate(run) if c.isdigit())
        if run[i] in "01" and 0 < i < len(run) - 1 and run[i - 1].isalpha() and run[i + 1].isalpha():
            lower = run[i - 1].islower() and run[i + 1].islower()
            letter = {"0": "o" if lower else "O", "1": "l" if lower else "I"}[run[i]]
            return run[:i] + letter + run[i + 1 :]  # "GARDEN1A" → "GARDENIA"
    return run


def repair_confusions(text: str) -> str:
    """Undo the OCR confusions that cannot be meant in names and addresses: a lone 0 or 1
    inside a word of letters (``GARDEN1A``, ``C0MPANY``) and O read inside a number (``29O``).
    Codes that mix letters and digits on purpose (``U13/X``, ``S117``, ``TSJ2``) are left alone."""
    return _ALNUM_RUN.sub(_repair_run, text)


def normalise(text: str) -> str:
    """Upper case, one space between words: the comparison form of free text."""
    return re.sub(r"\s+", " ", text).strip().upper()


# -- registry -------------------------------------------------------------------------------------

Finder = Callable[[str], list[Span]]

VALUE_TYPES: dict[str, Finder | None] = {
    "date": find_dates,
    "money": find_money,
    "id": find_ids,
    "taxid": find_tax_ids,
    "phone": find_phones,
    "iban": find_ibans,
    "email": find_emails,
    "url": find_urls,
    "percent": find_percents,
    "count": find_counts,
    "duration": find_durations,
    "time": find_times,
    # free text: no finder, whole value scored by text_score
    "org": None,
    "name": None,
    "address": None,
    "text": None,
}


def find(vtype: str, text: str) -> list[Span]:
    """Spans of type ``vtype`` in ``text``.  For free-text types: the whole stripped text, scored."""
    finder = VALUE_TYPES.get(vtype)
    if finder is not None:
        return finder(text)
    t = text.strip().strip(":：-–—|").strip()
    if not t:
        return []
    s = text.find(t)
    return [Span(s, s + len(t), t, normalise(t), text_score(t, vtype))]
