"""Text → terms for BM25 and a cheap token count for chunk sizes.

Latin script: lowercased words and numbers (``25/12/2018`` and ``1,234.56`` stay
one term).  CJK runs (Han, kana, Hangul) have no spaces, so they become
overlapping character bigrams (``增值税发票`` → ``增值 值税 税发 发票``); a single
CJK character stands alone.  A few English function words are dropped so that
questions ("what is the total") weigh on the words that matter.
"""

from __future__ import annotations

import re

__all__ = ["bm25_terms", "count_tokens", "ENGLISH_STOPWORDS"]

_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"([{_CJK}]+)|(\d+(?:[.,:/\-]\d+)*)|([^\W\d_{_CJK}]+)")
# Rough token count: one per CJK character, per word, per number, per other symbol.
_COUNT = re.compile(rf"[{_CJK}]|\d+(?:[.,]\d+)*|[^\W\d_{_CJK}]+|[^\s\w]")

ENGLISH_STOPWORDS = frozenset(
    """a an and are as at be by did do does for from has have how i in is it its me my of on or our
    that the their them there these this those to was we were what when where which who whom whose why
    will with you your""".split()
)


def bm25_terms(text: str, *, stopwords: frozenset[str] = ENGLISH_STOPWORDS) -> list[str]:
    """The BM25 terms of ``text``: CJK bigrams, lowercased Latin words and numbers."""
    out: list[str] = []
    for cjk, number, word in _TOKEN.findall(text):
        if cjk:
            if len(cjk) == 1:
                out.append(cjk)
            else:
                out.extend(cjk[i : i + 2] for i in range(len(cjk) - 1))
        elif number:
            out.append(number)
        else:
            w = word.lower()
            if w not in stopwords:
                out.append(w)
    return out


def count_tokens(text: str) -> int:
    """An approximate token count (words, numbers, symbols, one per CJK character)."""
    return len(_COUNT.findall(text))
