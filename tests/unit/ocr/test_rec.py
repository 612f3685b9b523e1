"""chatocr.ocr.rec: CTC decoding on hand-made probabilities, recognition of clean rendered lines."""

from __future__ import annotations

import numpy as np
import pytest
from chatocr_testkit import render_line

from chatocr.ocr.rec import CTCDecoder, TextRecognizer

# -- CTC decoding ----------------------------------------------------------------------

CHARS = ["a", "b", "c"]  # classes: 0 blank, 1 a, 2 b, 3 c, 4 space
BLANK, A, B, C, SPACE = range(5)


def probs_for(*sequences: list[int], conf: list[list[float]] | None = None, classes: int = 5) -> np.ndarray:
    """N x T x C probabilities whose argmax at each step is the given class."""
    t = max(len(s) for s in sequences)
    out = np.zeros((len(sequences), t, classes), np.float32)
    for i, seq in enumerate(sequences):
        padded = list(seq) + [BLANK] * (t - len(seq))
        for j, k in enumerate(padded):
            p = conf[i][j] if conf is not None and j < len(conf[i]) else 0.9
            out[i, j, :] = (1 - p) / (classes - 1)
            out[i, j, k] = p
    return out


def test_decoder_classes():
    dec = CTCDecoder(CHARS)
    assert dec.num_classes == 5
    assert dec.characters[0] == "\0" and dec.characters[-1] == " "
    assert CTCDecoder(CHARS, add_space=False).num_classes == 4


def test_repeats_collapse_and_blanks_are_removed():
    dec = CTCDecoder(CHARS)
    texts, _, _ = dec(probs_for([A, A, A, BLANK, B, B, BLANK, BLANK, C]))
    assert texts == ["abc"]


def test_a_blank_between_repeats_keeps_both():
    dec = CTCDecoder(CHARS)
    texts, _, _ = dec(probs_for([A, BLANK, A, A, B, BLANK, B]))
    assert texts == ["aabb"]


def test_space_class():
    dec = CTCDecoder(CHARS)
    texts, _, _ = dec(probs_for([A, SPACE, SPACE, B]))
    assert texts == ["a b"]


def test_score_is_the_mean_confidence_of_the_emitted_characters():
    dec = CTCDecoder(CHARS)
    # a at 0.9 then repeated at 0.5 (not emitted), blank at 0.99 (not emitted), b at 0.7
    probs = probs_for([A, A, BLANK, B], conf=[[0.9, 0.5, 0.99, 0.7]])
    texts, scores, _ = dec(probs)
    assert texts == ["ab"]
    assert scores[0] == pytest.approx((0.9 + 0.7) / 2, abs=1e-6)


def test_all_blank_gives_empty_text_and_zero_score():
    dec = CTCDecoder(CHARS)
    texts, scores, positions = dec(probs_for([BLANK, BLANK, BLANK]))
    assert texts == [""] and scores[0] == 0.0 and positions[0].size == 0


def test_batch_and_widths():
    dec = CTCDecoder(CHARS)
    probs = probs_for([A, B, C, C, A], [C, BLANK, A, B, B])
    texts, _, _ = dec(probs)
    assert texts == ["abca", "cab"]
    # only the first steps of each line are the image; the rest is padding
    texts, _, positions = dec(probs, np.array([2, 3]))
    assert texts == ["ab", "ca"]
    assert positions[0].tolist() == pytest.approx([0.25, 0.75])
    assert positions[1].tolist() == pytest.approx([0.5 / 3, 2.5 / 3])


def test_positions_are_character_centres():
    dec = CTCDecoder(CHARS)
    _, _, positions = dec(probs_for([BLANK, A, A, BLANK, B, BLANK, BLANK, C]))
    assert positions[0].tolist() == pytest.approx([1.5 / 8, 4.5 / 8, 7.5 / 8])


def _weak(space_p: float, left: int, right: int, chars=("1", "2", "x", "中")) -> np.ndarray:
    """left, blank (with a space at ``space_p``), blank, right: classes 0 blank, 1-4 chars, 5 space."""
    probs = probs_for([left, BLANK, BLANK, right], classes=6)
    probs[0, 1, :] = (1 - 0.5 - space_p) / 4
    probs[0, 1, 0], probs[0, 1, 5] = 0.5, space_p  # the blank still wins that step
    return probs


@pytest.mark.parametrize(
    ("left", "right", "space_p", "expected"),
    [
        (1, 2, 0.3, "1 2"),  # digits: the weak space is kept
        (1, 3, 0.3, "1 x"),  # a digit and a letter ("2X" -> "2 X")
        (1, 2, 0.1, "12"),  # below the threshold
        (3, 3, 0.3, "xx"),  # two letters: never inside a word
        (4, 1, 0.3, "中1"),  # CJK: written without spaces
    ],
)
def test_weak_spaces(left, right, space_p, expected):
    dec = CTCDecoder(["1", "2", "x", "中"], weak_space=0.15)
    texts, scores, positions = dec(_weak(space_p, left, right))
    assert texts == [expected]
    assert scores[0] == pytest.approx(0.9)  # the inserted space does not count
    assert len(positions[0]) == len(expected)
    if expected == "1 2":
        assert positions[0].tolist() == pytest.approx([0.5 / 4, 2.0 / 4, 3.5 / 4])
    # plain greedy decoding by default
    assert CTCDecoder(["1", "2", "x", "中"])(_weak(space_p, left, right))[0] == [expected.replace(" ", "")]


def test_weak_spaces_next_to_a_read_space_are_not_doubled():
    dec = CTCDecoder(CHARS, weak_space=0.15)
    probs = probs_for([A, BLANK, SPACE, BLANK, B])
    probs[0, 1, SPACE] = probs[0, 3, SPACE] = 0.3
    assert dec(probs)[0] == ["a b"]


def test_a_reading_without_cjk_takes_the_best_other_character():
    # classes: 0 blank, 1 "*", 2 "x", 3 "米", 4 "：", 5 ":", 6 space
    dec = CTCDecoder(["*", "x", "米", "：", ":"])
    probs = np.full((1, 5, 7), 0.01, np.float32)
    probs[0, 0, 3], probs[0, 0, 1] = 0.6, 0.05  # "米", "*" the best of the rest
    probs[0, 1, 0] = 0.9
    probs[0, 2, 4], probs[0, 2, 5], probs[0, 2, 6] = 0.5, 0.2, 0.25  # "：", then space, then ":"
    probs[0, 3, 0] = 0.9
    probs[0, 4, 2] = 0.9  # "x" stays
    texts, scores, positions = dec(probs)
    assert texts == ["米：x"]
    latin, latin_scores, latin_positions = dec(probs, cjk=False)
    assert latin == ["*:x"]  # a glyph stands for a glyph: never the space
    # the same steps, and the recogniser's confidence in a glyph there
    assert latin_scores[0] == pytest.approx(scores[0])
    assert latin_positions[0].tolist() == positions[0].tolist()


def test_a_line_read_with_cjk_comes_with_its_reading_without(engine):
    from chatocr.ocr.rec import has_cjk

    # a lone "=" cropped tight reads as "二" (two strokes) with this model
    out = engine.recognizer([render_line("TOTAL 12.50"), render_line("=")])
    assert out.texts[0] == "TOTAL 12.50" and has_cjk(out.texts[1])
    assert list(out.without_cjk) == [1]
    text, positions = out.without_cjk[1]
    assert text and not has_cjk(text) and len(positions) == len(text)


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["TOTAL 12.50", "CASH 20.00", "CHANGE 7.50", "米", "*一", "一本"], False),  # stray characters on a Latin page
        (["TOTAL 12.50", "谢谢光临"], True),  # 3 CJK letters in a row
        (["姓名: 张三", "ID 42"], True),  # a quarter of the letters or more
        (["Doc #：", "(RM）"], False),  # CJK punctuation is not writing
        ([], False),
    ],
)
def test_cjk_text_on_a_page(texts, expected):
    from chatocr.ocr.pipeline import has_cjk_text

    assert has_cjk_text(texts) is expected


def test_is_cjk():
    from chatocr.ocr.rec import has_cjk, is_cjk

    assert all(is_cjk(c) for c in "中ー：（한")
    assert not any(is_cjk(c) for c in "A*é-:Ωß🌀")
    assert has_cjk("Doc #：") and not has_cjk("Doc #:")


# -- recognition of rendered lines ------------------------------------------------------

CLEAN_LINES = [
    "Hello World",
    "TOTAL 12.50",
    "INV-2019/0042",
    "Tel: +60 3-1234 5678",
    "RM 1,234.56",
    "Qty x3 @ $4.99 (incl. GST)",
    "12/01/2019 10:42 PM",
]


@pytest.fixture(scope="module")
def recognised(engine):
    crops = [render_line(s) for s in CLEAN_LINES]
    return engine.recognizer(crops)


@pytest.mark.parametrize("i", range(len(CLEAN_LINES)), ids=CLEAN_LINES)
def test_clean_lines_are_read_exactly(recognised, i):
    assert recognised.texts[i] == CLEAN_LINES[i]
    assert recognised.scores[i] > 0.9


def test_char_positions_run_left_to_right(recognised):
    for text, pos in zip(recognised.texts, recognised.char_positions, strict=True):
        assert len(pos) == len(text)
        assert (np.diff(pos) > 0).all() and 0 < pos[0] and pos[-1] < 1


def test_batches_keep_the_input_order(engine, recognised):
    # batches are sorted by width inside; results must come back in input order
    crops = [render_line(s) for s in CLEAN_LINES]
    small = TextRecognizer(
        engine.recognizer.options.model_copy(update={"batch_size": 2}),
        session=engine.recognizer.session,
        decoder=engine.recognizer.decoder,
    )
    out = small(crops[::-1])
    assert out.texts == CLEAN_LINES[::-1]


def test_batches_are_bounded_by_lines_and_by_columns():
    from chatocr.options import RecognizerOptions

    rec = TextRecognizer(RecognizerOptions(batch_size=6, batch_pixels=1920, min_width=96), session=None, decoder=None)
    widths = [50, 2000, 300, 100, 640, 320, 90, 650, 700, 80, 1000, 60, 70]
    order = np.argsort(widths, kind="stable")
    batches = list(rec._batches(order, widths))
    assert [i for b in batches for i in b] == order.tolist()  # every line once, narrowest first
    for b in batches:
        widest = max(96, max(widths[i] for i in b))
        assert len(b) <= 6 and (len(b) == 1 or len(b) * widest <= 1920)
    assert [2000] in [[widths[i] for i in b] for b in batches]  # a very long line runs alone
    assert len(batches[0]) == 6  # short lines still go six at a time


def test_no_crops(engine):
    out = engine.recognizer([])
    assert out.texts == [] and out.scores.shape == (0,) and out.char_positions == []


def test_blank_crop_reads_nothing(engine):
    out = engine.recognizer([np.full((40, 200, 3), 255, np.uint8)])
    assert out.texts[0].strip() == ""
