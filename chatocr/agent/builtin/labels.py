"""Label matching: does a piece of a line name the requested key, and how strongly?

A ``LabelMatcher`` scores label text against one ``KeySpec``: exact, fuzzy
(OCR errors such as ``TOTAI``) or by containment (``Invoice Date`` contains
``Date``), weighted by the synonym's strength, and rejects labels that contain
a disqualifying phrase (``Sub Total``).  ``split_label`` finds where a line's
label ends and its value begins: at a colon, or after the prefix of words that
matches best.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from .synonyms import FAMILIES, KeySpec, _contains, _join, figures, label_tokens

__all__ = ["LabelMatcher", "LabelHit", "split_label", "correct_tokens", "any_label_score", "ROLE_IN_BRACKETS"]

_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\s\u3400-\u9fff\uf900-\ufaff]+")
_COLON = re.compile(r"[:：]")


def _build_vocab() -> tuple[str, ...]:
    words: set[str] = set()
    for name, fam in FAMILIES.items():
        for lab in [name, *fam["labels"], *fam["excludes"]]:
            words.update(t for t in label_tokens(lab) if len(t) >= 3 and t.isalpha() and t.isascii())
    return tuple(sorted(words))


_VOCAB = _build_vocab()
_VOCAB_SET = frozenset(_VOCAB)
_WORDS = frozenset(t for name, fam in FAMILIES.items() for lab in [name, *fam["labels"], *fam["excludes"]]
                   for t in label_tokens(lab)) | {"no", "of", "and", "the", "to", "for", "by", "on", "in", "at"}


_DIGIT_AS_LETTER = str.maketrans({"1": "l", "0": "o", "5": "s", "8": "b", "3": "e", "6": "g"})


@lru_cache(maxsize=8192)
def _correct(tok: str) -> tuple[str, ...]:
    if tok in _VOCAB_SET or not tok.isascii():
        return (tok,)
    letters = sum(ch.isalpha() for ch in tok)
    if letters >= 3 and letters < len(tok) and tok[0].isalpha():
        tok = tok.translate(_DIGIT_AS_LETTER)  # "tota1" → "total"
        if tok in _VOCAB_SET:
            return (tok,)
    if not tok.isalpha():
        return (tok,)
    if len(tok) >= 5:
        hit = process.extractOne(tok, _VOCAB, scorer=fuzz.ratio, score_cutoff=80)
        if hit and abs(len(hit[0]) - len(tok)) <= 1:
            return (hit[0],)
    if len(tok) >= 7:  # words run together by OCR: "totalexcl" → "total excl"
        for i in range(3, len(tok) - 1):
            a, b = tok[:i], tok[i:]
            if a in _VOCAB_SET and (b in _VOCAB_SET or b in _SHORT):
                return (a, b)
    return (tok,)


_SHORT = frozenset({"no", "tax", "gst", "vat", "due", "id", "rm", "qty", "adj", "sst", "excl", "incl", "net", "sub"})


def correct_tokens(toks: list[str]) -> list[str]:
    """Snap OCR-garbled label words to the label vocabulary (``totai`` → ``total``, ``tota1`` → ``total``)."""
    return [c for t in toks for c in _correct(t)]


@dataclass(slots=True)
class LabelHit:
    score: float
    label: str  # the label text as written
    rest: str  # what follows the label on the line
    rest_start: int  # offset of ``rest`` in the line text
    colon: bool


class LabelMatcher:
    """Scores label text against one key's synonyms (memoised)."""

    def __init__(self, spec: KeySpec) -> None:
        self.spec = spec
        # labels are stored joined (CJK without spaces); their tokens are words / CJK characters
        self.labels = [(lab, w, label_tokens(lab)) for lab, w in spec.labels]
        self.strings = [lab for lab, _, _ in self.labels]
        self.weights = [w for _, w, _ in self.labels]
        self.excludes = [label_tokens(e) for e in spec.excludes]
        self.exact = {}
        for lab, w, _ in self.labels:
            self.exact[lab] = max(w, self.exact.get(lab, 0.0))
        self._memo: dict[str, float] = {}
        self._by_first: dict[str, list[tuple[str, float, list[str]]]] = {}
        for lab in self.labels:
            if lab[2]:
                self._by_first.setdefault(lab[2][0], []).append(lab)

    def score(self, toks: list[str]) -> float:
        """0..1; -1 when the text contains a phrase that makes it another field's label."""
        if not toks:
            return 0.0
        j = _join(toks)
        if j in self._memo:
            return self._memo[j]
        s = self._score(toks, j)
        if len(self._memo) > 50_000:  # bounded across many documents
            self._memo.clear()
        self._memo[j] = s
        return s

    def _score(self, toks: list[str], j: str) -> float:
        best, best_toks = 0.0, None
        if j in self.exact:
            best, best_toks = self.exact[j], toks
        else:
            # fuzzy only for a label with a word the vocabulary does not know (an OCR slip): "tax no" is
            # a real label and must not pass for "fax no"
            garbled = any(t.isalpha() and t.isascii() and t not in _WORDS for t in toks)
            hit = process.extractOne(j, self.strings, scorer=fuzz.ratio, score_cutoff=80) if garbled else None
            if hit is not None and figures(toks) != figures(self.labels[hit[2]][2]):
                hit = None  # OCR's slips are in letters: "Balance (01 Mar)" is not "balance 15 mar"
            if hit is not None and min(len(j), len(hit[0])) >= 5 and abs(len(j) - len(hit[0])) <= 2:
                s = self.weights[hit[2]] * hit[1] / 100.0 * 0.97
                if s > best:
                    best, best_toks = s, self.labels[hit[2]][2]
            for lab, w, lt in (x for t in dict.fromkeys(toks[:3]) for x in self._by_first.get(t, ())):
                if _contains_head(toks, lt):
                    s = w * (0.75 + 0.2 * len(lab) / max(len(j), 1))
                    if s > best:
                        best, best_toks = s, lt
        if best <= 0.0:
            return 0.0
        for ex in self.excludes:
            if _contains(toks, ex) and not _contains(best_toks or [], ex):
                return -1.0  # names another field ("Sub Total", "Total Qty")
        return best


def _contains_head(toks: list[str], lab: list[str]) -> bool:
    """``lab`` inside ``toks``, after at most two words and no number (``Printed Date``, not ``40300 Shah Alamat``)."""
    n = len(lab)
    for i in range(min(3, len(toks) - n + 1)):
        if toks[i:i + n] == lab:
            return not any(t.isdigit() for t in toks[:i])
    return False


# a party's role in brackets after its label: "甲方（委托方）", "Party A (Client)"
ROLE_IN_BRACKETS = re.compile(r"\s*[(（][^()（）]{1,12}[)）]\s*$")


@lru_cache(maxsize=16384)
def _pieces(text: str, max_words: int = 7):
    """Where a label may end in ``text``: (colon piece or None, word prefixes), each with its label tokens.
    The same for every key, so computed once per line text."""
    colon = None
    m = _COLON.search(text)
    if m is not None and 0 < m.start() <= 60:
        # "甲方（委托方）：", "Party A (Client):": the role in brackets describes the party the label names
        bare = ROLE_IN_BRACKETS.sub("", text[:m.start()])
        colon = (m.start(), m.end(), correct_tokens(label_tokens(text[:m.start()])),
                 correct_tokens(label_tokens(bare)) if bare != text[:m.start()] and bare.strip() else None)
    words = list(_WORD.finditer(text))
    limit = min(len(words), max_words)
    if m is not None:  # no split beyond the colon: the colon already ends the label
        limit = min(limit, sum(1 for w in words if w.end() <= m.start()))
    prefixes = []
    digit = False
    for k in range(1, limit + 1):
        end = words[k - 1].end()
        digit = digit or any(ch.isdigit() for ch in words[k - 1].group())
        prefixes.append((end, digit, correct_tokens(label_tokens(text[:end]))))
    return colon, prefixes


def split_label(text: str, matcher: LabelMatcher, *, max_words: int = 7) -> LabelHit | None:
    """The best label at the start of ``text`` for ``matcher``'s key, and the rest of the line."""
    best: LabelHit | None = None
    colon, prefixes = _pieces(text, max_words)
    if colon is not None:
        start, stop, toks, bare = colon
        s = matcher.score(toks)
        if bare is not None and s >= 0:
            s = max(s, matcher.score(bare))
        if s < 0:
            return None
        if s > 0:
            best = LabelHit(s, text[:start].strip(), text[stop:], stop, True)
    for end, digit, toks in prefixes:
        s = matcher.score(toks)
        if s < 0:
            if not digit:
                return None  # the label goes on into another field's name ("Total Discount")
            break
        # a label that runs to a colon is the whole label ("地址、电话：", not "地址" and "、电话：…")
        # unless it barely names the key
        if s > 0 and (best is None or (s > best.score + 1e-9 and not (best.colon and best.score >= 0.75))):
            best = LabelHit(s, text[:end].strip(), text[end:], end, False)
    return best


_ALL_MATCHERS: list[LabelMatcher] | None = None


@lru_cache(maxsize=16384)
def any_label_score(text: str) -> tuple[float, str]:
    """How strongly ``text`` (a whole line or a colon prefix) is a label of any known family, and which."""
    global _ALL_MATCHERS
    if _ALL_MATCHERS is None:
        from .synonyms import resolve_key

        _ALL_MATCHERS = [LabelMatcher(resolve_key(name)) for name in FAMILIES]
    toks = correct_tokens(label_tokens(text))
    best, fam = 0.0, ""
    for mt in _ALL_MATCHERS:
        s = max(0.0, mt.score(toks))
        if s > best:
            best, fam = s, mt.spec.family
    return best, fam
