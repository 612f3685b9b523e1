"""Extractive question answering over a Document with the built-in engine.

1. The question becomes a key: its words are matched against every key
   family's labels and question cues ("When is payment due?" → due date,
   "who are the parties?" → parties); a modifier the family does not know
   ("delivery date") makes a key of its own, so a generic family never answers
   for a more specific question.  The key goes through ``extract``.
2. Otherwise the lines that best match the question (IDF-weighted word overlap
   with synonyms, plus embeddings when an embedder is given) are searched for a
   span of the type the question asks for (when → date, how much → amount,
   who → name).  Nothing above the threshold → ``Answer(text=None)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from ...document import Block, Document
from ...geometry import union
from ..grounding import value_box
from ..results import Answer, Evidence
from . import validators as V
from .extract import value_spans
from .labels import correct_tokens
from .prose import defined_place
from .synonyms import _TYPE_WORDS, FAMILIES, KeySpec, _join, custom_labels, label_tokens, resolve_key
from .tableqa import answer_from_columns, answer_from_table, count_rows, days_named
from .yesno import answer_yes_no, is_yes_no

if TYPE_CHECKING:
    from .engine import BuiltinEngine

__all__ = ["answer_question", "question_key"]

_STOP = {
    "what", "whats", "which", "who", "whom", "whose", "when", "where", "how", "why", "is", "are", "was", "were",
    "be", "been", "the", "a", "an", "of", "on", "in", "for", "to", "this", "that", "these", "those", "it", "its",
    "do", "does", "did", "document", "invoice's", "please", "tell", "me", "give", "show", "find", "there", "any",
    "and", "or", "by", "with", "at", "from", "as", "much", "many", "long", "s", "listed", "stated", "mentioned",
    "written", "shown", "printed", "specified", "according", "can", "you", "i", "we", "our", "my", "your",
    "will", "would", "should", "must", "has", "have", "had", "named", "called", "value", "exact", "here",
    "什么", "是", "多少", "哪", "谁", "的", "吗", "呢", "请问", "哪些", "何时", "什么时候", "几", "在", "本", "该",
    "份", "中", "上", "为", "了", "有",
    # what is sent: "Where are the goods delivered?" asks for the shipping address
    "goods", "parcel", "package", "shipment", "consignment",
}
# Words before a matched label that only say whose field it is: they do not change the key.
_OWNER = {"seller", "sellers", "vendor", "vendors", "company", "companys", "supplier", "buyer", "buyers",
          "customer", "customers", "client", "clients", "merchant", "store", "shop", "hotel", "restaurant",
          "receipt", "invoice",
          "bill", "contract", "agreement", "document", "final", "overall", "full", "whole", "main",
          "lease", "tenancy", "rental", "offer", "quote", "quotation", "loan", "policy", "subscription",
          "licence", "license", "membership", "employment", "engagement", "order", "bank", "statement",
          "cover", "coverage", "insurance",
          # the terms contracts call their parties by
          "provider", "consultant", "contractor", "landlord", "tenant", "lessor", "lessee", "licensor", "licensee",
          "employer", "employee", "purchaser", "distributor", "guarantor", "borrower", "lender"}

_OWNER_ZH = ("销售方", "购买方", "卖方", "买方", "甲方", "乙方", "客户", "供应商", "出租方", "承租方")

_WH_TYPES = [
    (re.compile(r"(?i)\bhow much (?:notice|time)\b|\bhow many (?:days|weeks|months|years)\b"), "duration"),
    (re.compile(r"(?i)\bhow much\b|\bwhat (?:is|was) the (?:price|cost)\b|多少钱|金额是多少"), "money"),
    (re.compile(r"(?i)\bhow long\b|多久|多长时间"), "duration"),
    (re.compile(r"(?i)\bwhat time\b|\bat what time\b|几点"), "time"),
    (re.compile(r"(?i)\bwhen\b|\bwhat (?:day|date)\b|\bby when\b|何时|什么时候|哪天|哪一天|日期是"), "date"),
    (re.compile(r"(?i)\bwhere\b|在哪|地址是"), "address"),
    (re.compile(r"(?i)\bwho\b|\bwhom\b|\bwhich (?:company|party|firm|vendor|shop|store|bank|insurer|supplier|"
                r"organi[sz]ation)\b|是谁|哪家|哪个公司"), "org"),
    (re.compile(r"(?i)\bwhat (?:percentage|percent|rate)\b|百分之|税率"), "percent"),
]
_COMPAT = {"org": {"org", "name", "text"}, "date": {"date"}, "time": {"time"}, "money": {"money"}, "address": {"address", "text"},
           "duration": {"duration", "date", "text"}, "percent": {"percent"}}


def _qtype(question: str) -> str | None:
    for rx, t in _WH_TYPES:
        if rx.search(question):
            return t
    return None


def _phrases(fam_name: str, fam: dict) -> list[tuple[list[str], float, bool]]:
    """(tokens, weight, is_cue): labels can not be all stop words, cues ("how much") can."""
    out = [(label_tokens(fam_name), 1.0, False)]
    out += [(label_tokens(lab), w, False) for lab, w in fam["labels"].items()]
    out += [(label_tokens(c), 0.6 if c in _TYPE_CUES else 1.0, True) for c in fam["cues"]]
    return [(p, w, c) for p, w, c in out if p]


# cues that ask for a type of value more than for a field ("how long": any duration): a field's own
# word in the same question wins ("For how long does it renew?": the renewal term, not the term)
_TYPE_CUES = {"how long", "多久", "多长时间", "how much", "多少", "when", "where", "who"}


_PHRASES = {name: _phrases(name, fam) for name, fam in FAMILIES.items()}
# every word of a family's name, labels and cues
_VOCAB = {name: {t for p, _, _ in phrases for t in p} for name, phrases in _PHRASES.items()}


def _find(hay: list[str], needle: list[str]) -> int:
    n = len(needle)
    for i in range(len(hay) - n + 1):
        if hay[i:i + n] == needle:
            return i
    return -1


# question words, and whose document it is ("合同" contract): neither names the field
_ZH_STOP = re.compile("什么时候|什么|多少钱|多少|是谁|哪一天|哪天|哪家|哪个|哪些|请问|是否|吗|呢|是|的|本|该|这份|此|合同|协议")


def _question_tokens(question: str) -> list[str]:
    question = _CHECK.sub(r"check\1", question)  # "check in": one word ("in" is no stop word here)
    return correct_tokens(label_tokens(_ZH_STOP.sub(" ", question)))


_CHECK = re.compile(r"(?i)\bcheck[\s-]+(in|out)\b")


# "What is the bank's name?", "What is the name of the employer?", "Which bank issued the statement?"
_NAME_OF = re.compile(r"(?i)^\s*(?:what(?:'s|\s+is)\s+(?:the\s+(?P<who>[a-z]+)['’]s\s+name|the\s+name\s+of\s+the\s+"
                      r"(?P<of>[a-z]+(?:\s+[a-z]+)?))|which\s+(?P<which>bank|insurer|employer)\s+"
                      r"(?:issued|sent|wrote|holds|provides|provided)\b.*)\s*\??\s*$")
# "When was the order placed?", "When was this invoice issued?": the document's own date
_DOC_DATED = re.compile(r"(?i)^\s*when\s+(?:was|were|is)\s+(?:the\s+|this\s+)?(?P<doc>\w+)\s+"
                        r"(?:placed|issued|raised|made|created|dated|written|sent|generated|prepared)\s*\??\s*$")


def question_key(question: str) -> tuple[KeySpec | None, str | None]:
    """The key a question asks for (or None) and the value type it wants (or None)."""
    named = _NAME_OF.match(question)
    if named is not None:  # "What is the bank's name?" asks who the bank is
        return question_key(f"Who is the {named['who'] or named['of'] or named['which']}?")
    dated = _DOC_DATED.match(question)
    if dated is not None and dated["doc"].lower() in _OWNER:
        return resolve_key("date"), "date"
    qt = _qtype(question)
    toks = _question_tokens(question)
    whose = _possessors(question)
    best: tuple[float, str, int, int] | None = None  # (chars matched, family, start, length)
    hits: list[tuple[float, str, int, int]] = []
    for name, phrases in _PHRASES.items():
        vt = FAMILIES[name]["vtype"]
        compatible = qt is None or vt in _COMPAT.get(qt, {vt})
        for p, w, cue in phrases:
            if not cue and all(t in _STOP for t in p):
                continue
            i = _find(toks, p)
            if i < 0:
                continue
            # longer and stronger phrases win (a generic label like "number" counts little); on a tie the
            # later one (the head noun: "seller's tax id")
            s = len(_join(p)) * w * w + (0.5 if compatible else -100) + 0.01 * (i + len(p))
            if toks[i + len(p) - 1] in whose and i + len(p) < len(toks) and not _is_owner(p):
                s -= 50  # "the policyholder's address": whose field, the field comes after (a party's
                # word, "the customer's …", goes by the owner's rules below)
            hits.append((s, name, i, len(p)))
            if best is None or s > best[0]:
                best = (s, name, i, len(p))
    if best is None or best[0] < 0:
        return _custom_key(toks, qt), qt
    _, name, i, n = best
    phrase = " ".join(toks[i:i + n])
    vocab = _VOCAB[name]
    rest = [t for t in toks if t not in _STOP and t not in _OWNER and t not in vocab]
    if FAMILIES[name]["vtype"] == "money" and any(t in _COUNTED for t in toks):
        # "What is the total quantity?": a count, not the amount to pay
        spec = _custom_key(toks, None)
        return (replace(spec, vtype="count") if spec is not None else None), qt
    if FAMILIES[name]["vtype"] == "org" and rest and _after_place_word(toks, i):
        # "What was charged at the restaurant?": where something was done, not who did it
        return _custom_key(toks[:i] + toks[i + n:], qt), qt
    if phrase in _TYPE_CUES and rest:
        # "How long does confidentiality last?": a type asked of a field no family knows
        return _custom_key(toks[:i] + toks[i + n:], qt), qt
    weight = max((w for p, w, _ in _PHRASES[name] if p == toks[i:i + n]), default=1.0)
    after = [t for t in toks[i + n:] if t not in _STOP and t not in _OWNER and t not in vocab]
    if weight < 0.8 and after:
        # a generic word of a family with what it is of after it ("the amount for the office chairs"):
        # not the family's field
        return _custom_key(toks, qt), qt
    # "the supplier's address": a party's word before another field's is whose field it is; the key
    # says whose ("supplier address"), and a label that says it too ("Supplier address:") is its own
    owner = ""
    if _is_owner(toks[i:i + n]):
        # the field's phrase before or after it ("signed for the supplier"), not another party word
        others = [h for h in hits if (h[2] >= i + n or h[2] + h[3] <= i) and h[0] >= 0
                  and not _is_owner(toks[h[2]:h[2] + h[3]])]
        asked = [t for t in toks[i + n:] if t not in _STOP and t not in _OWNER and t not in vocab]
        if not others and asked and _is_party(toks[i:i + n]):
            # "乙方法定代表人是谁？", "Who is the supplier's contact person?": a field no family knows, of
            # that party
            custom = _custom_key(asked, qt)
            if custom is not None:
                owner = "".join(toks[i:i + n]) if not toks[i].isascii() else " ".join(toks[i:i + n])
                spec = replace(custom, key=f"{owner} {custom.key}",
                               labels=(*custom.labels, (_join([*toks[i:i + n], *asked]), 1.0)), owner=owner)
                return spec, qt
        if others:
            owner = " ".join(toks[i:i + n]) if toks[i].isascii() else "".join(toks[i:i + n])
            # the head noun: the phrase that ends last ("customer's company number": the number)
            _, name, i, n = max(others, key=lambda h: (h[2] + h[3], h[0]))
    else:  # "the buyer's address", where the field's phrase matched best (or "seller address" is one)
        j, k = i, i
        while j > 0 and toks[j - 1] in _OWNER:
            j -= 1
        while k < i + n - 1 and toks[k] in _OWNER:
            k += 1
        owner = " ".join(toks[j:k])
        before = "".join(toks[:i])  # Chinese comes as one token a character: "销售方地址"
        owner = owner or next((w for w in _OWNER_ZH if before.endswith(w)), "")
        # a party by its name as a document labels it ("Party B address", "first party's phone")
        owner = owner or next((" ".join(toks[j:i]) for j in range(max(0, i - 3), i) if _is_party(toks[j:i])), "")
        if not owner:  # "signed for the supplier", "signed on behalf of the customer"
            after = [t for t in toks[i + n:] if t not in _STOP]
            if after and (name == "signatory" or all(t in _OWNER for t in after)):
                owner = " ".join(after)  # "signed for Vantage Foods plc": the party by its name
    buyers = bool(owner) and resolve_key(owner).family == "buyer"
    if buyers and name == "address":
        spec = resolve_key("buyer address")  # the address family is the issuer's: the buyer's is a field of its own
    else:
        spec = _field_key(toks, name, i, n, whose)
    if owner and not spec.key.startswith(owner):
        base = spec.key if spec.family == "custom" else spec.family  # "customer signatory", not "… signed on behalf"
        base = base.removeprefix("buyer ") if spec.family == "buyer address" else base
        labels = (*spec.labels, (f"{owner} {spec.labels[0][0]}", 1.0))
        owner_only = False
        if buyers and spec.family in _ISSUERS:
            # the issuer's field by default (a letterhead's phone, tax id): the buyer's only where a label
            # or the contract says whose it is ("Buyer tax ID:", "购买方税号", "to the Customer at …"), or
            # in the buyer's block of lines ("Customer: …" over "Tel: …")
            labels = (*spec.labels, *((f"{owner} {lab}", w) for lab, w in spec.labels))
            spec = replace(spec, fallback=None)
            owner_only = True
        spec = replace(spec, key=f"{owner} {base}", labels=labels,
                       owner=owner if _is_party(owner.split()) else "", owner_only=owner_only)
    elif i > 0 and toks[i - 1] in whose and spec.fallback in ("company", "address"):
        # "the policyholder's address": someone's the document names, not the letterhead's
        spec = replace(spec, key=f"{toks[i - 1]} {spec.key}", fallback=None,
                       labels=(*spec.labels, (f"{toks[i - 1]} {spec.labels[0][0]}", 1.0)))
    return spec, qt


# words that ask how many of a thing, never an amount of money
_COUNTED = {"quantity", "quantities", "qty", "count", "items", "pieces", "pcs", "units"}


def _after_place_word(toks: list[str], i: int) -> bool:
    """Whether ``toks[i]`` follows "at" or "in" ("at the restaurant"): a place named, not a party asked for."""
    j = i - 1 if i and toks[i - 1] != "the" else i - 2
    return j >= 0 and toks[j] in ("at", "in")


# fields a document gives for its issuer unless a label says whose ("Tel.", "Tax ID" in a letterhead)
_ISSUERS = {"tax id", "phone", "fax", "email", "iban", "account number"}


def _is_party(toks: list[str]) -> bool:
    """Whether ``toks`` name a party of the document (not "invoice" or "contract")."""
    from .extract import PARTY_FAMILIES

    return bool(toks) and resolve_key(" ".join(toks)).family in PARTY_FAMILIES


def _is_owner(toks: list[str]) -> bool:
    """Whether ``toks`` only say whose field it is ("supplier", "销售方", "party B")."""
    return bool(toks) and (all(t in _OWNER for t in toks) or "".join(toks) in _OWNER_ZH or _is_party(toks))


# "Who approved the invoice?", "Who prepared this report?": a form's "Approved by:", "Prepared by:"
_DONE_BY = re.compile(r"(?i)^\s*who\s+(?:has\s+|had\s+)?(?P<verb>[a-z]{3,}(?:ed|en|ied))\b")


# the times of day a modifier names ("arrival time"); other times are lengths ("lead time")
_CLOCK_TIMES = {"arrival", "departure", "pickup", "collection", "opening", "closing", "start", "end", "check",
                "checkin", "checkout", "boarding", "printing", "transaction", "sale", "order", "payment"}


def _possessors(question: str) -> set[str]:
    """Words the question writes with a possessive "'s" ("the patient's date of birth"): whose field, not
    which field."""
    return {w.lower() for w in re.findall(r"(\w+)['’]s\b", question)}


def _field_key(toks: list[str], name: str, i: int, n: int, whose: set[str] = frozenset()) -> KeySpec:
    """The key of family ``name`` matched at ``toks[i:i + n]``, or of its own where a modifier the
    family does not know comes before ("delivery date"; not a possessor, "the patient's date")."""
    # "销售方" before "地址", "party B" before "address"
    zh_owner = any("".join(toks[:i]).endswith(w) for w in _OWNER_ZH) or any(
        _is_party(toks[j:i]) for j in range(max(0, i - 3), i))
    # a modifier the family does not know ("delivery date") makes a key of its own
    if (i > 0 and not zh_owner and toks[i - 1] not in _STOP and toks[i - 1] not in _OWNER and toks[i - 1] not in whose
            and not toks[i - 1].isdigit()):
        vocab = _VOCAB[name]
        if toks[i - 1] not in vocab:
            j = i - 1
            while j > 0 and toks[j - 1] not in _STOP and toks[j - 1] not in _OWNER:
                j -= 1
            phrase = " ".join(toks[j:i + n])
            spec = resolve_key(phrase)
            if spec.family == "custom":
                vtype = FAMILIES[name]["vtype"]
                if vtype == "time" and toks[i - 1] not in _CLOCK_TIMES:
                    vtype = "text"  # "lead time", "delivery time": a length of time, not a time of day
                return KeySpec(key=phrase, family="custom", vtype=vtype, labels=custom_labels(_join(toks[j:i + n])))
            return spec
    # the family's key by the words the question used for it ("effective date", "commencement date")
    said = resolve_key(" ".join(toks[i:i + n]))
    return said if said.family == name else resolve_key(name)


def _custom_key(toks: list[str], qt: str | None) -> KeySpec | None:
    content = [t for t in toks if t not in _STOP]
    # at most four words (two Chinese characters to a word: "法定代表人")
    if not content or sum(1.0 if t.isascii() else 0.5 for t in content) > 4:
        return None
    phrase = _join(content)
    vtype = qt or "text"
    if qt is None:
        for t, words in _TYPE_WORDS:
            if any(w in content for w in words):
                vtype = t
                break
    labels = custom_labels(phrase)
    if len(content) == 2:  # "received in payments": "Payments received:"
        labels += custom_labels(_join(content[::-1]))
    return KeySpec(key=phrase, family="custom", vtype=vtype if vtype in V.VALUE_TYPES else "text", labels=labels)


def answer_question(engine: BuiltinEngine, doc: Document, question: str, *,
                    blocks: Sequence[tuple[int, Block]] | None = None) -> Answer:
    if is_yes_no(question):  # a yes or a no with its evidence; never a value, never "no" by default
        return answer_yes_no(engine, doc, question, blocks=blocks) or Answer(question=question, text=None,
                                                                             method="none")
    spec, qt = question_key(question)
    done_by = _DONE_BY.match(question)
    if done_by is not None and spec is not None and spec.family == "custom":
        spec = _done_by(done_by["verb"])  # "Who authorised the order?": "Authorised by:"
    counting = _HOW_MANY.search(question) is not None and qt is None
    if counting:
        # "How many items were bought?": a count of what it names ("Item(s): 3"), never an amount, nor
        # a field of the document it names ("… on the invoice?": no invoice number)
        noun = _HOW_MANY_OF.search(question)
        named = _custom_key(_question_tokens(noun.group(1)), None) if noun else None
        if named is not None or (spec is not None and spec.family == "custom"):
            spec = replace(named or spec, vtype="count")
        # "How many room charges are there?": the rows that say so, where several do, before any label
        rows = count_rows(engine, doc, question, named=2)
        if rows is not None:
            return rows
    found = _answer(engine, doc, question, spec, qt, blocks)
    if found.text is not None or found.method == "table":  # answered, or the table's cell is empty
        return found
    if done_by is not None and spec is not None and spec.family != "custom":
        # "Who signed the quote?": no parties to a contract, a quote's "Signed:"
        again = _answer(engine, doc, question, _done_by(done_by["verb"]), qt, blocks)
        if again.text is not None:
            return again
    if qt == "duration" and spec is not None and spec.family == "custom":
        # "How long is the quote valid?": "Valid until: 1 April 2026"
        until = _until(engine, doc, question, spec, blocks)
        if until is not None:
            return until
    if counting:  # "How many items are on the order?": the rows of its table
        return count_rows(engine, doc, question) or found
    return found


_HOW_MANY = re.compile(r"(?i)\bhow many\b|几[种个项笔件行条次]|多少[种个项笔件行条次]")
# what "how many" counts: the words after it, up to a verb or a preposition
_HOW_MANY_OF = re.compile(r"(?i)\bhow many\s+(.+?)\s*(?:\b(?:are|is|were|was|did|do|does|have|has|had|will|can|on|in|"
                          r"at|of|to|for|from|by|there|per|with)\b|[?.]|$)")


def _until(engine: BuiltinEngine, doc: Document, question: str, spec: KeySpec,
           blocks: Sequence[tuple[int, Block]] | None) -> Answer | None:
    """For "how long is X valid?": the date a label says it lasts until ("Valid until: 1 April 2026"), as
    "until 1 April 2026"; None where no such label gives a date."""
    from .engine import _field, _subset

    last = spec.key.split()[-1]
    labels = [lab for base in dict.fromkeys((spec.key, last)) for word in ("until", "till", "through")
              for lab in custom_labels(f"{base} {word}")]
    key = KeySpec(key=f"{spec.key} until", family="custom", vtype="date", labels=tuple(dict.fromkeys(labels)))
    view = engine._get_view(doc)
    cand = engine._best(doc, view, key, _subset(blocks), {})
    if cand is None or cand.score < engine.options.answer_threshold:
        return None
    f = _field(key.key, cand, view)
    if f.value is None:
        return None
    found = _field_answer(question, f, "extract:custom:until")
    return found.model_copy(update={"text": f"until {f.value}"})


def _done_by(verb: str) -> KeySpec:
    """The key of the name after "<verb> by:" (or "<verb>:", "Signed: …")."""
    label = f"{verb.lower()} by"
    return KeySpec(key=label, family="custom", vtype="name", labels=(*custom_labels(label), (verb.lower(), 0.9)))


def _answer(engine: BuiltinEngine, doc: Document, question: str, spec: KeySpec | None, qt: str | None,
            blocks: Sequence[tuple[int, Block]] | None) -> Answer:
    o = engine.options
    from .engine import _field, _subset

    # a label that says every word of the question ("Total paid out:") answers it before anything else
    narrow = _narrower(engine, doc, engine._get_view(doc), question, spec, blocks) if spec is not None else None
    if narrow is not None:
        return _field_answer(question, _field(spec.key, narrow, engine._get_view(doc)), f"extract:custom:{narrow.method}")
    # a question no family's field answers may name a table's row ("the hourly rate for basic pay"):
    # its cell comes first, before a label's first figure in that row
    tables_first = spec is None or spec.family == "custom" or _names_more(question, spec)
    if tables_first:
        cell = _table_answer(engine, doc, question, qt or (spec.vtype if spec is not None else None))
        if cell is not None:
            return cell
    if spec is not None:
        view = engine._get_view(doc)
        cand = engine._best(doc, view, spec, _subset(blocks), {})
        if cand is None or cand.score < o.answer_threshold or not _says_all(question, cand.label):
            # nothing found, or found under a label that does not say what was asked ("Total charges:"
            # for "What is the balance due?"): a label that says it all, if there is one
            cand = _narrower(engine, doc, view, question, spec, blocks, family_label=True) or cand
        f = _field(spec.key, cand, view)
        if f.value is not None and f.confidence >= o.answer_threshold:
            return _field_answer(question, f, f"extract:{spec.family}:{f.method}")
    found = _retrieve(engine, doc, question, qt, spec, blocks)
    if found.text is None and spec is not None and spec.vtype == "address":
        # "the address of the Property", "Where is the Property?": where the contract defines the Property
        m = re.search(r"\bof\s+(?:the\s+)?([\w ]{2,40}?)\s*\??\s*$", question, re.I) or re.match(
            r"(?i)^\s*where\s+is\s+(?:the\s+)?([\w ]{2,40}?)(?:\s+(?:located|situated))?\s*\??\s*$", question)
        place = defined_place(engine._get_view(doc), m.group(1)) if m else None
        if place is not None:
            from .engine import _field

            return _field_answer(question, _field(spec.key, place, engine._get_view(doc)), "defined")
    if found.text is None and not tables_first:
        cell = _table_answer(engine, doc, question, qt or (spec.vtype if spec is not None else None))
        if cell is not None:
            return cell
    if found.text is None and spec is not None and spec.family == "custom" and spec.vtype in _SENTENCE_TYPES:
        return _from_sentences(engine, doc, question, spec, blocks) or found
    return found


_IMPLIED = {"number", "no", "name", "type", "kind"}
_LABELS = {name: {" ".join(p) for p, _, cue in phrases if not cue} for name, phrases in _PHRASES.items()}


def _narrower(engine: BuiltinEngine, doc: Document, view, question: str, spec: KeySpec,
              blocks: Sequence[tuple[int, Block]] | None, *, family_label: bool = False):
    """A labelled value whose label says every content word of the question, where the question adds
    words to its family's ("What is the total paid out?" on a statement with "Total paid out:" and
    "Closing balance"), before the family's own rules; with ``family_label``, also where its words are
    a label of the family whose rules found nothing ("Registration: KX21 ABC" is no tax ID, yet what
    "What is the registration number?" asks).  None where no label says them all."""
    toks = _question_tokens(question)
    if spec.family == "custom" or any(t in _OWNER for t in toks):
        return None  # whose field it is ("the customer's address") goes by the owner's rules
    whose = _possessors(question)
    at = [k for k, t in enumerate(toks) if t not in _STOP and t not in whose]
    words = [toks[k] for k in at]
    if not 2 <= len(words) <= 5 or not all(t.isascii() for t in words) or (
            " ".join(words) in _LABELS[spec.family] and not family_label):
        return None
    from .engine import _subset

    # the question's words from the first to the last that says something ("year to date gross"); the
    # value after such a label of the family's type, else whatever it is ("Tax code: 1257L")
    said = _join(toks[at[0]:at[-1] + 1])
    # and the family's words first, as labels put them ("paid out in total": "Total paid out")
    vocab = _VOCAB[spec.family]
    front = _join([t for t in words if t in vocab] + [t for t in words if t not in vocab])
    labels = custom_labels(said) + custom_labels(front)
    if len(words) == 2:  # "received in payments": "Payments received:"
        labels += custom_labels(_join(words[::-1]))
    labels = tuple(dict.fromkeys(labels))
    for vtype in dict.fromkeys((spec.vtype, "text")):
        narrow = KeySpec(key=said, family="custom", vtype=vtype, labels=labels)
        cand = engine._best(doc, view, narrow, _subset(blocks), {})
        if cand is None or cand.score < engine.options.answer_threshold or not cand.label:
            continue
        labelled = set(correct_tokens(label_tokens(cand.label)))
        # every word, but those a label may leave out ("Registration:" for the registration number;
        # not "Tax: 4.66" for the tax number, an amount)
        left_out = {t for t in words if t in _IMPLIED and not _stem_match(t, labelled)}
        if all(_stem_match(t, labelled) for t in words if t not in left_out) and not (
                left_out & {"number", "no"} and re.fullmatch(r"[^\d]{0,4}[\d,]*\.\d{2}", cand.value.strip())):
            return cand
    return None


def _names_more(question: str, spec: KeySpec) -> bool:
    """Whether the question says words its family's field does not ("the cost of electricity used": a
    table's row, not the bill's total)."""
    from .tableqa import _ASKING_WORDS, _DONE

    vocab = _VOCAB[spec.family]
    return any(t not in vocab and t not in _STOP and t not in _OWNER and t not in _DONE and t not in _ASKING_WORDS
               and not t.isdigit() for t in _question_tokens(question))


def _says_all(question: str, label: str) -> bool:
    """Whether ``label`` says every content word of the question (a question with one such word: any
    label does)."""
    words = [t for t in _question_tokens(question) if t not in _STOP and t not in _OWNER and t not in _IMPLIED]
    if len(words) < 2 or not label:
        return True
    labelled = set(correct_tokens(label_tokens(label)))
    return all(_stem_match(t, labelled) for t in words)


def _table_answer(engine: BuiltinEngine, doc: Document, question: str, vtype: str | None) -> Answer | None:
    """A table's cell by its row and column: an item table's ("the unit price of the paper"), else any
    table's by its headings ("the balance on 12 Mar")."""
    return answer_from_table(engine, doc, question) or answer_from_columns(engine, doc, question, vtype)


def _field_answer(question: str, f, method: str) -> Answer:
    """An extracted field as the answer, its evidence the field's page, box and source line."""
    ev = (Evidence(page=f.page, bbox=f.bbox, text=f.source or f.value),) if f.page and f.bbox else ()
    return Answer(question=question, text=f.value, evidence=ev, confidence=f.confidence, method=method)


_SENTENCE_TYPES = ("date", "duration", "money", "percent")
# verbs a question asks with that a contract's sentence need not say ("how long does it last")
_LIGHT_VERBS = {"last", "lasts", "take", "takes", "run", "runs", "apply", "applies", "need", "needed", "get", "go",
                "come", "happen", "mean", "say", "says", "cost", "costs", "continue", "survive", "survives"}


def _stem_match(word: str, words: set[str]) -> bool:
    """``word`` or a word of its stem in ``words`` ("confidentiality" and "confidential")."""
    if word in words:
        return True
    stem = _stem(word)
    return any(_stem(w) == stem or (len(word) >= 6 and len(w) >= 6 and word[:6] == w[:6]
                                    and abs(len(word) - len(w)) <= 4) for w in words)


_SUFFIX = re.compile(r"(?:ing|ed|es|s|ly|able)$")
# verbs whose past forms no suffix gives ("Is the rent paid in advance?": "payable in advance")
_IRREGULAR = {"paid": "pay", "sold": "sell", "bought": "buy", "made": "make", "held": "hold", "kept": "keep",
              "given": "give", "gave": "give", "sent": "send", "spent": "spend", "taken": "take", "took": "take",
              "built": "build", "written": "write", "wrote": "write", "chosen": "choose", "brought": "bring"}


def _stem(word: str) -> str:
    """``renews``, ``renewed``, ``renewing`` → ``renew``, ``monthly`` → ``month``, ``tapes`` and ``tape`` →
    ``tap``, ``paid`` and ``payable`` → ``pay``: an inflection off a word of three letters or more, a final
    e, and the past forms of irregular verbs."""
    word = _IRREGULAR.get(word, word)
    m = _SUFFIX.search(word)
    stem = word[: m.start()] if m is not None and m.start() >= 3 and not word.endswith("ss") else word
    # "tape" and "tapes" ("tap"), "charge" and "charged" ("charg"): a final e is no part of the stem
    return stem[:-1] if stem.endswith("e") and len(stem) > 3 else stem


def _from_sentences(engine: BuiltinEngine, doc: Document, question: str, spec: KeySpec,
                    blocks: Sequence[tuple[int, Block]] | None = None) -> Answer | None:
    """A value asked of a field no family knows, from the contract's sentences: the first sentence that
    says every content word of the question ("How long does confidentiality last?" → "…keep … confidential
    … for a period of five (5) years …"), and the first value of the asked type in it; the sentences of
    ``blocks`` (the passages retrieved for the question) first."""
    from .engine import _field
    from .prose import sentences

    words = [t for t in _question_tokens(question) if t not in _STOP and t not in _LIGHT_VERBS and t not in _OWNER]
    if not words:
        return None
    view = engine._get_view(doc)
    for p in preferred_passages(view, blocks):
        for start, end in sentences(p):
            said = set(re.findall(r"\w+", p.text[start:end].lower()))
            if not all(_stem_match(w, said) for w in words):
                continue
            sp = next((sp for sp in V.find(spec.vtype, p.text[start:end]) if sp.score >= 0.8), None)
            if sp is None and spec.vtype == "money":  # "How much deposit is required?": "A 50% deposit …"
                sp = next((sp for sp in V.find_percents(p.text[start:end]) if sp.score >= 0.8), None)
            if sp is None:
                continue
            f = _field(spec.key, p.candidate(start + sp.start, start + sp.end, score=0.6), view)
            return _field_answer(question, f, "sentence")
    return None


def preferred_passages(view, blocks: Sequence[tuple[int, Block]] | None) -> list:
    """The view's passages, those that hold a line of ``blocks`` first (each group in reading order)."""
    from .engine import _subset
    from .prose import passages

    subset = _subset(blocks)
    ps = passages(view)
    if subset is None:
        return ps
    inside = [any((ln.page, ln.block) in subset for _, _, ln in p.pieces) for p in ps]
    return [p for p, i in zip(ps, inside, strict=True) if i] + [p for p, i in zip(ps, inside, strict=True) if not i]


def _retrieve(engine: BuiltinEngine, doc: Document, question: str, qt: str | None, spec: KeySpec | None,
              blocks) -> Answer:
    """The row that holds (nearly) every content word of the question, and the span in it of the asked type.

    Conservative on purpose: a row that shares only some words ("delivery date" vs a "Due Date" row) gives
    nothing, so questions the document does not answer come back None.
    """
    view = engine._get_view(doc)
    qtoks = list(dict.fromkeys(t for t in _question_tokens(question) if t not in _STOP))
    if not qtoks or not view.lines:
        return Answer(question=question, text=None, method="none")
    vtype = spec.vtype if spec is not None else (qt or "text")
    rows = [row for p in view.pages.values() for row in p.rows]
    row_toks = [[t for ln in row for t in correct_tokens(ln.ltoks)] for row in rows]
    n = len(rows)
    df = {t: sum(1 for rt in row_toks if t in rt) for t in qtoks}
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in qtoks}
    total = sum(idf.values()) or 1.0
    subset = {(int(p), b.id) for p, b in blocks} if blocks else None
    typed = vtype not in ("org", "name", "address", "text")
    sims = _similarities(engine, question, rows) if typed else None
    scored = []
    days = days_named(question)[0]
    for k, (row, rt) in enumerate(zip(rows, row_toks, strict=True)):
        if days and not days & days_named(" | ".join(ln.text for ln in row))[0]:
            continue  # "the balance on 11/11/2026": a row of that day, not one with its figures
        present = set(rt)
        cover = sum(idf[t] for t in qtoks if t in present) / total
        if cover < 0.8 and sims is not None and sims[k] >= 0.75:
            cover = 0.8  # worded differently but close in meaning (embedder), and still needs a typed span
        if cover < 0.8:
            continue
        if subset is not None and any((ln.page, ln.block) in subset for ln in row):
            cover += 0.05
        scored.append((cover, row))
    scored.sort(key=lambda x: -x[0])
    probe = KeySpec(key=question, family="qa", vtype=vtype, labels=())
    for cover, row in scored[:3]:
        text = " ".join(ln.text for ln in row)
        if vtype in ("org", "name", "address", "text"):
            m = re.search(r"^(.{1,40}?)[:：]\s*(.+)$", text)
            if not m:
                continue
            label = set(correct_tokens(label_tokens(m.group(1))))
            if sum(idf[t] for t in qtoks if t in label) / total < 0.8:
                continue
            spans = value_spans(probe, m.group(2))
        else:
            spans = value_spans(probe, text)
        spans = [sp for sp in spans if sp.score >= 0.8]
        if not spans:
            continue
        sp = spans[0]
        conf = min(0.9, 0.45 * min(1.0, cover) + 0.4 * sp.score)
        if conf < engine.options.answer_threshold:
            continue
        lines = [ln for ln in row if sp.text in ln.text] or row
        # the answer's own words where its line has them; else the lines that hold it
        hit = value_box([ln.line for ln in lines if ln.line is not None], sp.text)
        box = hit[0] if hit is not None else union([ln.bbox for ln in lines])
        ev = Evidence(page=row[0].page, bbox=box, text=" ".join(ln.text for ln in lines))
        return Answer(question=question, text=sp.text, evidence=(ev,), confidence=round(conf, 4), method="retrieve")
    return Answer(question=question, text=None, method="none")


def _similarities(engine: BuiltinEngine, question: str, rows) -> list[float] | None:
    """Cosine of the question with each row's text, when the engine has an embedder."""
    if engine.embedder is None or not rows:
        return None
    import numpy as np

    embed = getattr(engine.embedder, "embed_documents", engine.embedder)
    texts = [" ".join(ln.text for ln in row) for row in rows]
    vecs = np.asarray(embed([question, *texts]), dtype=np.float32)
    vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
    sims = [float(v) for v in vecs[1:] @ vecs[0]]
    # only a row clearly closer than every other row counts (see BuiltinEngine._semantic_hits)
    order = sorted(range(len(sims)), key=lambda k: -sims[k])
    top = order[0]
    if len(order) > 1 and sims[top] - sims[order[1]] < 0.05:
        return None
    return [sims[k] if k == top else 0.0 for k in range(len(sims))]
