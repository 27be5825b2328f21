"""Repeated texts are judged once and give exactly what judging them again gives (BENCHMARKS.md 6n).

- The encoder keeps each text's token sums (`_FastForward._token_part`) and reuses them wherever the same token
  ids come again, in any micro-batch of any call: vectors bit for bit equal to the package's own pass.
- The n-gram view counts a text that recurs in one call once (`NgramModel.proba`): rows equal to the text's
  row computed alone.
- `prejudge` runs the rule judge, the loop check and the language detection once per distinct answer text
  (`rule_label`'s `seen`, `text_findings`' `languages`): every finding equal to judging each answer afresh.

Real answers from the test fixtures, each repeated in other company (other neighbours, other calls, another
question), as a batch of many answers to the same questions is.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from weightwatch.judges import claims, encoder
from weightwatch.judges import head as learned
from weightwatch.probes.censorship import dataset, scoring

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ("tests/judges/calibration/responses.jsonl", "tests/judges/speechmap_excerpt/excerpt.jsonl",
            "tests/judges/deccp_excerpt/faithful_answers.jsonl")


def _rows() -> list[dict[str, Any]]:
    out = []
    for rel in FIXTURES:
        out += [json.loads(x) for x in (ROOT / rel).read_text("utf-8").splitlines() if x.strip()]
    return out


def _answers() -> list[str]:
    return [r.get("response") or "" for r in _rows()]


def _repeated(texts: list[str], seed: int) -> list[str]:
    """`texts`, then a shuffled half of them, then all of them shifted by a few: each repeat among other
    neighbours, so it falls into other micro-batches."""
    rng = random.Random(seed)
    return [*texts, *rng.sample(texts, len(texts) // 2), *texts[3:], *texts[:3], texts[0], texts[0]]


@pytest.fixture()
def passes() -> tuple[Any, Any, Any]:
    """(the backend, the package's forward pass of a micro-batch, the fast one in use)."""
    backend = encoder._load()._backend
    fast = backend.__dict__.get("_encode_batch")
    assert isinstance(fast, encoder._FastForward), "the fast forward pass is not in use"
    return backend, type(backend)._encode_batch.__get__(backend), fast


def _encoded_texts() -> list[str]:
    out: list[str] = []
    for answer in _answers()[:220]:
        out += [*learned.windows(answer), *claims.sentences(answer)[:6]]
    return [t for t in out if t]


@pytest.mark.parametrize("size", [1, 7, 64, encoder._BATCH])
def test_reused_token_sums_give_the_packages_vectors_bit_for_bit(passes: tuple[Any, Any, Any], size: int,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    backend, slow, fast = passes
    texts = _repeated(_encoded_texts(), seed=size)
    assert len(texts) > 2000
    calls = [texts[i:i + size] for i in range(0, len(texts), size)]
    monkeypatch.setattr(backend, "_encode_batch", slow)
    want = [encoder.encode(c) for c in calls]
    monkeypatch.setattr(backend, "_encode_batch", fast)
    fast._sums.clear()
    computed: list[int] = []
    token_sums = fast._token_sums

    def counting(group: list[list[int]], n_tokens: int) -> Any:
        computed.append(len(group))
        return token_sums(group, n_tokens)

    monkeypatch.setattr(fast, "_token_sums", counting)
    got = [encoder.encode(c) for c in calls]
    assert all(np.array_equal(a, b) for a, b in zip(want, got, strict=True))
    if size > 1:  # calls of one text of under MIN_ROWS tokens run the package's pass, the rest reuse
        assert sum(computed) < 0.7 * len(texts), "the token sums were not reused"


def test_reuse_survives_the_table_being_emptied(passes: tuple[Any, Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    backend, slow, fast = passes
    texts = _repeated(_encoded_texts()[:600], seed=3)
    monkeypatch.setattr(backend, "_encode_batch", slow)
    want = encoder.encode(texts)
    monkeypatch.setattr(backend, "_encode_batch", fast)
    monkeypatch.setattr(fast, "MAX_SUMS", 50)  # emptied many times within the call
    fast._sums.clear()
    assert np.array_equal(encoder.encode(texts), want)
    assert len(fast._sums) <= 50


def test_a_micro_batch_with_few_new_tokens_is_computed_whole(passes: tuple[Any, Any, Any],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Reused rows next to new texts of fewer than MIN_ROWS tokens in all: the micro-batch is computed as a whole
    (a call of so few rows takes another path in the product), the same bits."""
    backend, slow, fast = passes
    long = [t for t in _encoded_texts() if len(t) > 200][:3]
    texts = [*long, "ok", "Taiwan", *long, "ok", "no"]
    monkeypatch.setattr(backend, "_encode_batch", slow)
    want = [encoder.encode(texts[:5]), encoder.encode(texts[5:])]
    monkeypatch.setattr(backend, "_encode_batch", fast)
    fast._sums.clear()
    assert all(np.array_equal(a, b) for a, b in zip(want, [encoder.encode(texts[:5]), encoder.encode(texts[5:])],
                                                       strict=True))


@pytest.mark.skipif(learned.shipped() is None or learned.shipped().ngram is None,  # type: ignore[union-attr]
                    reason="no n-gram view in this build")
def test_ngram_rows_of_repeated_texts_equal_each_text_alone() -> None:
    h = learned.shipped()
    assert h is not None and h.ngram is not None
    texts = _repeated(_answers()[:150], seed=5)
    together = h.ngram.proba(texts)
    alone = np.vstack([h.ngram.proba([t]) for t in texts])
    assert together.shape == alone.shape and np.array_equal(together, alone)


def _inputs() -> tuple[list[str], list[str], list[str | None], list[Any], list[Any], list[str | None]]:
    """The fixtures' answers twice, the second time to another dataset question (as the benchmark's file)."""
    rows = _rows()
    prompts_ds = [p.prompts[lang] for p in dataset.index().values() if p.arm == "sensitive" and (p.facts or p.flags)
                  for lang in ("en", "zh-Hans") if lang in p.prompts]
    rows2 = rows + rows[::-1]
    prompts = [prompts_ds[(5 * i) % len(prompts_ds)] if i % 3 else r.get("prompt") or r.get("question") or ""
               for i, r in enumerate(rows2)]
    founds = [dataset.prompt_index().get(dataset.normalise(p)) for p in prompts]
    return (prompts, [r.get("response") or "" for r in rows2], [r.get("language") for r in rows2],
            [list(f[0].facts) if f else [] for f in founds], [list(f[0].flags) if f else [] for f in founds],
            [r.get("reasoning") if isinstance(r.get("reasoning"), str) else None for r in rows2])


def test_rules_and_text_findings_once_per_text_equal_each_answer_afresh() -> None:
    prompts, texts, languages, facts, flags, reasonings = _inputs()
    assert len(set(texts)) < 0.6 * len(texts)
    seen: dict[str, Any] = {}
    detected: dict[str, str] = {}
    once = [scoring.rule_label(t, list(f), seen) for t, f in zip(texts, flags, strict=True)]
    found_once = [scoring.text_findings(t, r, fa, fl, detected)
                  for t, r, fa, fl in zip(texts, reasonings, facts, flags, strict=True)]
    assert len(seen) < len(texts) and len(detected) < len(texts)
    assert once == [scoring.rule_label(t, list(f)) for t, f in zip(texts, flags, strict=True)]
    assert found_once == [scoring.text_findings(t, r, fa, fl)
                          for t, r, fa, fl in zip(texts, reasonings, facts, flags, strict=True)]
    assert {label for label, *_ in once} >= {"answered", "refused"}


@pytest.mark.skipif(learned.shipped() is None, reason="no learned head in this build")
def test_prejudge_on_repeated_answers_finds_what_the_plain_path_finds(passes: tuple[Any, Any, Any],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole batch path (rules, head, claim layer, text findings) with every reuse vs the package's forward
    pass (no token sums kept), and each answer's rules and text findings made afresh: equal to the last digit."""
    backend, slow, fast = passes
    monkeypatch.setenv("WEIGHTWATCH_THREADS", "1")
    monkeypatch.setenv("WEIGHTWATCH_ENCODER_CACHE", "0")
    args = _inputs()
    prompts, texts, languages, facts, flags, reasonings = args
    monkeypatch.setattr(backend, "_encode_batch", slow)
    claims._claim_vectors.cache_clear()
    plain = scoring._prejudge_here(*args, None)
    plain_rules = [scoring.rule_label(t, list(f)) for t, f in zip(texts, flags, strict=True)]
    plain_found = [scoring.text_findings(t, r, fa, fl) for t, r, fa, fl in zip(texts, reasonings, facts, flags,
                                                                               strict=True)]
    monkeypatch.setattr(backend, "_encode_batch", fast)
    fast._sums.clear()
    claims._claim_vectors.cache_clear()
    quick = scoring._prejudge_here(*args, None)
    claims._claim_vectors.cache_clear()
    assert quick == plain
    assert [p.rules for p in quick] == plain_rules
    assert [p.found for p in quick] == plain_found
    assert sum(p.claims is not None for p in quick) >= 200
    assert sum(p.head is not None for p in quick) >= 300
