"""The head's character n-gram view (judges/ngrams.py): the analyzer, the sparse TF-IDF, the shipped model."""

from __future__ import annotations

from collections import Counter

import numpy as np

from weightwatch.judges import head, ngrams


def test_analyze_is_char_wb_1_4() -> None:
    assert ngrams.analyze("ab") == [" ", "a", "b", " ", " a", "ab", "b ", " ab", "ab ", " ab "]
    assert ngrams.analyze("x") == [" ", "x", " ", " x", "x ", " x "]  # a short word counts once per size
    assert ngrams.analyze("a  b") == ngrams.analyze("a b")


def test_text_for_ngrams_folds_cuts_and_lowers() -> None:
    assert ngrams.text_for_ngrams("I  Can't\nHELP", 0) == "i can't help"
    assert ngrams.text_for_ngrams("我無法回答", 0) == "我无法回答"  # Traditional folded to Simplified
    long = "a" * 100 + "b" * 100
    cut = ngrams.text_for_ngrams(long, 30)
    assert cut == "a" * 30 + " " + "b" * 10


def test_tfidf_rows_are_unit_and_match_a_hand_computation() -> None:
    model = ngrams.NgramModel(vocab=("ba", "a", "b", "ab"), idf=np.array([1.0, 2.0, 3.0, 4.0]),
                              coef=np.zeros((4, 3), np.float32), intercept=np.zeros(3), max_chars=0)
    m = model.matrix(["ab ab", "zzz"]).toarray()
    # "ab ab": 'a' x2, 'b' x2, 'ab' x2, 'ba' never (n-grams stay inside words)
    raw = np.array([0.0, (1 + np.log(2)) * 2, (1 + np.log(2)) * 3, (1 + np.log(2)) * 4])
    assert np.allclose(m[0], raw / np.linalg.norm(raw))
    assert not m[1].any()  # no known n-gram: an empty row
    p = model.proba(["ab ab", "zzz"])
    assert np.allclose(p, 1 / 3)


def test_shipped_ngram_view() -> None:
    h = head.shipped()
    assert h is not None and h.ngram is not None
    assert 0.0 <= h.w_encoder <= 1.0 and 0.0 < h.evasive_min < 1.0
    assert len(h.ngram.vocab) == h.ngram.coef.shape[0] == h.ngram.idf.shape[0] > 1000
    p = h.ngram.proba(["I'm sorry, but I can't help with that request.", "抱歉，我无法回答这个问题。"])
    assert np.allclose(p.sum(axis=1), 1)
    assert (p.argmax(axis=1) == head.CLASSES.index("refused")).all(), p
    assert head.uses_ngrams(h, "en") and head.uses_ngrams(h, "zh-Hant") and not head.uses_ngrams(h, "de")


def test_fast_counts_agree_with_the_analyzer_on_its_vocabulary() -> None:
    texts = ["I can't help with that.", "我无法 回答 这个问题。 a", "x  y z", "Ein kurzer Satz, ja!", " ", "ab"]
    for text in texts:
        exact = Counter(ngrams.analyze(text))
        fast = ngrams.gram_counts(text)
        assert {g: fast[g] for g in exact} == dict(exact)
        assert all("  " in g for g in fast if g not in exact)  # the extra n-grams span two words
