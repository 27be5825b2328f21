"""The character-by-character quote scan that facts.py and rules.py used before BENCHMARKS.md 6g.

Kept as the reference the fast scans (facts._quoted_spans, rules.mask_quotes) are compared with, on
random texts from `random_quote_texts`.
"""

from __future__ import annotations

import random

PAIRS = {'"': '"', "“": "”", "„": "“”", "「": "」", "『": "』", "«": "»", "»": "«"}


def reference_quote_pairs(text: str) -> list[tuple[int, int]]:
    """(opening index, closing index) of each quote, scanning left to right, a closer within 1,000 chars."""
    pairs: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        closers = PAIRS.get(text[i])
        if closers is None:
            i += 1
            continue
        j = next((k for k in range(i + 1, min(n, i + 1001)) if text[k] in closers), -1)
        if j < 0:
            i += 1
            continue
        pairs.append((i, j))
        i = j + 1
    return pairs


def random_quote_texts(alphabet: str, seed: int = 16) -> list[str]:
    """3,000 short texts over `alphabet` and 200 long ones with far-apart marks (the 1,000-character reach)."""
    rng = random.Random(seed)
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(3000)]
    texts += ["".join(rng.choice(alphabet) if rng.random() < 0.004 else "w" for _ in range(rng.randint(500, 3000)))
              for _ in range(200)]
    return texts
