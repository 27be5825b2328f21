"""`prejudge` spread over worker processes finds what it finds in one process (BENCHMARKS.md 6f).

Real rules, learned head, encoder and claim layer on a few hundred real answers: the calibration set's
answers to our dataset's items, and the SpeechMap test excerpt paired with dataset prompts (so the claim
layer reads long answers against each item's flags and facts) and with its own questions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from weightwatch.judges import head as learned
from weightwatch.probes.censorship import dataset, scoring
from weightwatch.probes.censorship.scoring import Prejudged

ROOT = Path(__file__).resolve().parents[2]


def _records() -> list[dict[str, Any]]:
    rows = [json.loads(x) for x in (ROOT / "tests/judges/calibration/responses.jsonl").read_text("utf-8").splitlines()
            if x.strip()]
    out = [{"prompt": r["prompt"], "response": r.get("response") or "", "language": r.get("language")} for r in rows]
    excerpt = [json.loads(x) for x in (ROOT / "tests/judges/speechmap_excerpt/excerpt.jsonl").read_text("utf-8")
               .splitlines() if x.strip()]
    prompts = [p.prompts[lang] for p in dataset.index().values() if p.arm == "sensitive" and (p.facts or p.flags)
               for lang in ("en", "zh-Hans") if lang in p.prompts]
    for i, r in enumerate(excerpt * 2):
        prompt = prompts[(7 * i) % len(prompts)] if i < len(excerpt) else r["question"]
        out.append({"prompt": prompt, "response": r["response"] or "", "language": r["language"],
                    "reasoning": r.get("reasoning")})
    return out


def _run(records: list[dict[str, Any]]) -> list[Prejudged]:
    founds = [dataset.prompt_index().get(dataset.normalise(r["prompt"])) for r in records]
    return scoring.prejudge([r["prompt"] for r in records], [r["response"] for r in records],
                            [r["language"] for r in records],
                            [list(f[0].facts) if f else [] for f in founds],
                            [list(f[0].flags) if f else [] for f in founds],
                            [r.get("reasoning") for r in records])


def _view(p: Prejudged) -> dict[str, Any]:
    """Everything but the scores' last digits (a sentence's vector can differ in its last float bits with the
    texts it is encoded beside: judges/encoder.py)."""
    def claims(c: Any) -> Any:
        return None if c is None else (c.fact_states, c.asserted_flags, c.attributed_flags, c.flag_hits,
                                       c.sentences, c.evidence)
    return {"rules": p.rules, "head": None if p.head is None else (p.head.label, p.head.request),
            "claims": claims(p.claims), "reasoning": claims(p.reasoning_claims)}


@pytest.mark.skipif(learned.shipped() is None, reason="no learned head in this build")
def test_parallel_prejudge_finds_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    records = _records()
    assert len(records) >= 250
    monkeypatch.setenv("WEIGHTWATCH_THREADS", "1")
    here = _run(records)
    monkeypatch.setenv("WEIGHTWATCH_THREADS", "2")
    monkeypatch.setattr(scoring, "PARALLEL_MIN", 4)
    spread = _run(records)
    assert len(spread) == len(here)
    assert sum(p.claims is not None for p in here) >= 150  # the claim layer read most of them
    assert [_view(p) for p in spread] == [_view(p) for p in here]
    for a, b in zip(spread, here, strict=True):
        if a.head is not None and b.head is not None:
            assert a.head.p == pytest.approx(b.head.p, abs=2e-4)
        if a.claims is not None and b.claims is not None:
            assert a.claims.flag_scores == pytest.approx(b.claims.flag_scores, abs=2e-4)


@pytest.mark.skipif(learned.shipped() is None, reason="no learned head in this build")
@pytest.mark.skipif(not scoring._fork_workers(), reason="workers are forked on Linux only")
def test_forked_workers_find_exactly_what_spawned_ones_find(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked workers (the default on Linux, BENCHMARKS.md 6l) take the same shares of the batch as spawned
    ones and run the same code: every finding equal, scores to the last digit."""
    records = _records()[::8]
    assert len(records) >= 30
    monkeypatch.setenv("WEIGHTWATCH_THREADS", "2")
    monkeypatch.setattr(scoring, "PARALLEL_MIN", 4)
    monkeypatch.setenv("WEIGHTWATCH_FORK_WORKERS", "0")
    spawned = _run(records)
    monkeypatch.setenv("WEIGHTWATCH_FORK_WORKERS", "1")
    forked = _run(records)
    assert scoring._BATCH is None  # released after the pool
    assert sum(p.claims is not None for p in forked) >= 15
    assert forked == spawned


FORK_IN_A_THREAD = """
import asyncio, sys
from weightwatch.probes.censorship import scoring
scoring.PARALLEL_MIN = 4
n = 24
args = ([f"Tell me about Lhasa, part {i}." for i in range(n)],
        ["I cannot discuss that." if i % 3 == 0 else f"Lhasa is a city in Tibet; part {i} of its history."
         for i in range(n)], ["en"] * n, [[] for _ in range(n)], [[] for _ in range(n)])
async def main():
    return await asyncio.to_thread(scoring.prejudge, *args)  # as the probe calls it: beside the event loop
forked = asyncio.run(main())
assert scoring._fork_workers()
print("same" if forked == scoring._prejudge_here(*args, None, None) else "DIFFERENT")
"""


@pytest.mark.skipif(not scoring._fork_workers(), reason="workers are forked on Linux only")
@pytest.mark.parametrize("warnings_option", ["always::DeprecationWarning", "error::DeprecationWarning"])
def test_forking_beside_threads_shows_no_warning(tmp_path: Path, warnings_option: str) -> None:
    """Python 3.12+ warns at a fork in a process with threads (prejudge always forks beside the event loop's
    thread); the warning is not shown, even when warnings are, and the results are those of one process.
    (Under Python 3.11 there is no such warning: then this checks only the results.)"""
    import os
    import subprocess
    import sys

    env = dict(os.environ, WEIGHTWATCH_THREADS="2", PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.run([sys.executable, "-W", warnings_option, "-c", FORK_IN_A_THREAD], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "same"
    assert "fork" not in proc.stderr and "Warning" not in proc.stderr, proc.stderr
