"""The censorship head's second view of an answer: character n-grams (TF-IDF + logistic regression).

The sentence encoder (judges/encoder.py) sees what an answer means; character n-grams see how it is
worded: the set phrases of refusals and of state framing in each language. scripts/train_censorship_head.py
trains both on the same dev models and the head (judges/head.py) averages their probabilities where the
n-grams were trained (``LANGUAGES``). Training and run time share ``analyze`` (the same text
normalisation and n-grams as scikit-learn's ``char_wb`` 1-4), so the shipped vocabulary, idf and weights
reproduce the trained model exactly; at run time it is a sparse dot product (scipy), no scikit-learn.

Only a bounded part of a long answer is read (``MAX_CHARS`` from the start and a third of it from the
end), which keeps the cost per answer bounded; training reads the same part.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain, repeat
from operator import add
from typing import Any

import numpy as np

from weightwatch.judges.language import fold_chinese

NGRAM_MIN, NGRAM_MAX = 1, 4
# the n-grams were trained on en and zh-Hans (SpeechMap); zh-Hant is folded to Simplified first.
# German has no training data: there the head uses the encoder alone.
LANGUAGES = frozenset({"en", "zh-Hans", "zh-Hant"})


def text_for_ngrams(text: str, max_chars: int) -> str:
    """Lower-cased, whitespace-collapsed, Traditional folded to Simplified; a long answer cut to its first
    `max_chars` characters and its last `max_chars // 3` (0: the whole answer)."""
    t = fold_chinese(" ".join(text.split())).lower()
    if max_chars and len(t) > max_chars + max_chars // 3:
        t = t[:max_chars] + " " + t[-(max_chars // 3):]
    return t


def analyze(text: str) -> list[str]:
    """Character 1-4-grams inside word boundaries, padded with a space (scikit-learn's ``char_wb``)."""
    out: list[str] = []
    for word in text.split():
        w = f" {word} "
        size = len(w)
        for n in range(NGRAM_MIN, NGRAM_MAX + 1):
            if size < n:
                break
            out.extend(w[i:i + n] for i in range(size - n + 1))
    return out


def gram_counts(text: str) -> Counter[str]:
    """Counts of ``analyze(text)``'s n-grams, plus n-grams that span two words (they hold two spaces in a
    row, which no ``analyze`` n-gram does, so a vocabulary built by ``analyze`` never holds them): the
    whole text at once, much faster than word by word."""
    words = text.split()
    counts: Counter[str] = Counter()
    if not words:
        return counts
    s = " " + "  ".join(words) + " "
    # the n-grams of each length in text order, 1 to 4, each (n+1)-gram an n-gram plus the next character:
    # the same strings in the same order as slicing s[i:i + n] (so the same counts and the same insertion
    # order, which fixes the order of a row's entries), built in C loops (BENCHMARKS.md 6l)
    assert (NGRAM_MIN, NGRAM_MAX) == (1, 4)
    g1 = list(s)
    g2 = list(map(add, g1, g1[1:]))
    g3 = list(map(add, g2, g1[2:]))
    counts.update(chain(g1, g2, g3, map(add, g3, g1[3:])))
    return counts


@dataclass(frozen=True)
class NgramModel:
    vocab: tuple[str, ...]
    idf: np.ndarray  # (V,)
    coef: np.ndarray  # (V, n_classes)
    intercept: np.ndarray  # (n_classes,)
    max_chars: int

    @cached_property
    def index(self) -> dict[str, int]:
        return {g: i for i, g in enumerate(self.vocab)}

    def matrix(self, texts: Sequence[str]) -> Any:
        """The (n, V) sparse TF-IDF matrix: sublinear tf, idf, rows L2-normalised (TfidfVectorizer's defaults)."""
        from scipy.sparse import csr_matrix

        index = self.index
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for text in texts:
            counts = gram_counts(text_for_ngrams(text, self.max_chars))
            # vocabulary columns in the counts' order (-1: not in the vocabulary), looked up in a C loop
            found = np.fromiter(map(index.get, counts, repeat(-1)), dtype=np.int64, count=len(counts))
            known = found >= 0
            cols = found[known]
            if len(cols):
                vals = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))[known])) \
                    * self.idf[cols]
                vals /= np.linalg.norm(vals)
                indices.extend(cols.tolist())
                data.extend(vals.tolist())
            indptr.append(len(indices))
        return csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64),
                           np.asarray(indptr, dtype=np.int64)), shape=(len(texts), len(self.vocab)))

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, n_classes) class probabilities (softmax of the multinomial logistic regression). A text that
        recurs in `texts` is counted once: each row depends on its text alone (the sparse product, the
        intercept and the softmax work row by row), so its probabilities are copied to the repeats."""
        if not texts:
            return np.zeros((0, len(self.intercept)), dtype=np.float64)
        distinct = list(dict.fromkeys(texts))
        if len(distinct) < len(texts):
            row = {t: i for i, t in enumerate(distinct)}
            return self.proba(distinct)[[row[t] for t in texts]]
        z = np.asarray(self.matrix(texts) @ self.coef.astype(np.float64)) + self.intercept
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        return np.asarray(p, dtype=np.float64)
