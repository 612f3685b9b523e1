"""BM25 terms: CJK bigrams, lowercased Latin words, numbers kept whole."""

from __future__ import annotations

from chatocr.index import bm25_terms, count_tokens


def test_cjk_runs_become_character_bigrams():
    assert bm25_terms("增值税发票") == ["增值", "值税", "税发", "发票"]
    assert bm25_terms("税") == ["税"]


def test_latin_words_are_lowercased_and_stopwords_dropped():
    assert bm25_terms("What is the TOTAL Amount?") == ["total", "amount"]


def test_mixed_text_and_numbers():
    assert bm25_terms("发票号码 INV-2024 合计 RM 1,234.56 on 25/12/2018") == [
        "发票", "票号", "号码", "inv", "2024", "合计", "rm", "1,234.56", "25/12/2018",
    ]


def test_japanese_and_korean_runs():
    assert bm25_terms("請求書") == ["請求", "求書"]
    assert bm25_terms("합계") == ["합계"]


def test_empty_and_symbol_only():
    assert bm25_terms("") == [] and bm25_terms("  --- ** ") == []


def test_count_tokens():
    assert count_tokens("增值税 Total: 1,234.56") == 6
    assert count_tokens("") == 0
