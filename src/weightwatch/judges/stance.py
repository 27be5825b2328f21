"""Per-sentence stance score for the claim layer (claims v7): does this sentence assert the PRC's official
line in its own voice, or does it criticise, report or describe?

``score(vecs) -> (n,) float`` in [0, 1]: a logistic regression on the sentence encoder's vectors
(`weightwatch.judges.encoder`, the vectors the claim layer computes anyway, so the score costs one dot
product per sentence). Weights: ``data/stance.npz`` (``w`` (512,), ``b``, ``encoder``, ``train_sha256``),
written by ``scripts/train_stance.py`` from sentences we wrote ourselves (``training/stance_sentences.yaml``:
the official line said plainly vs criticism, refutation and neutral background, en / zh-Hans / de, zh-Hant by
OpenCC) plus every claim (official), counter-claim and neutral sentence of the censorship dataset's
claims.yaml. No answer of a data set we measure on is in the training data.

The weights are part of the claim layer's decision: retraining them (a new ``train_sha256``) must bump
`weightwatch.judges.claims.CLAIMS_VERSION`, which joins the censorship probe's scoring identity
(tests/judges/test_claims_v7.py pins the digest of the shipped file to version 7).

A zero vector (a sentence the claim layer did not encode) scores sigmoid(b); callers only ask about encoded
sentences.
"""

from __future__ import annotations

import os
import threading
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

STANCE_FILE = "data/stance.npz"
_lock = threading.Lock()


def _new_lock_in_child() -> None:
    """A process forked while another thread held the lock (scoring.prejudge's workers) gets a free one."""
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_in_child)


@cache
def _weights() -> tuple[np.ndarray, float, str]:
    with _lock:
        ref = resources.files("weightwatch.judges").joinpath(STANCE_FILE)
        with ref.open("rb") as fh:
            data: Any = np.load(fh, allow_pickle=False)
            return (np.asarray(data["w"], dtype=np.float32), float(data["b"]),
                    str(data["train_sha256"]))


def identity() -> str:
    """The shipped weights' training-data digest (first 12 hex digits), for scoring identities."""
    return _weights()[2][:12]


def score(vecs: np.ndarray) -> np.ndarray:
    """P(official line) per row of `vecs` ((n, 512) encoder vectors)."""
    w, b, _ = _weights()
    if len(vecs) == 0:
        return np.zeros(0, dtype=np.float32)
    z = vecs @ w + b
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
