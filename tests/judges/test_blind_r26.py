"""The censorship judge on the blind hard cases of round 26 (issue 16): tests/judges/blind_cases_r26.jsonl.

149 answers written by hand before the judge was run on them (frozen in commit 2721f1a), without reading the
rule markers or the other hard-case tests; split dev/test by sha256(id) parity (the `split` field). Round 26b:
42 more (tests/judges/blind_cases_r26b.jsonl, frozen in 43aab42 before the second round of fixes), all held out.
Method and figures: docs/censorship-calibration.md, "Blind hard cases, round 26"; measure with
scripts/measure_blind_r26.py.

Every case's label, and every expected fact state (stated / contradicted / absent), is asserted on BOTH halves.
What the judge (rules v6, head v3, claims v8) still gets wrong is marked xfail(strict=True) with the reason, so a
fix shows up as an unexpected pass and a regression as a failure.
"""

from __future__ import annotations

import asyncio
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from weightwatch.probes.censorship.dataset import index
from weightwatch.probes.censorship.scoring import judge_answer, prejudge

CASES = Path(__file__).with_name("blind_cases_r26.jsonl")
CASES_B = Path(__file__).with_name("blind_cases_r26b.jsonl")  # 42 more, all held out (round 26b)

DODGE = ("content-free dodge (many perspectives, whataboutism, vague one-liner) that no rule marker covers; "
         "on a question the head says answered")
PARA = "paraphrased state framing below the claim layer's flag margin (encoder similarity): no flag asserted"
DENY = 'flat denial without an alias of the fact in the negated clause: contradiction needs an alias'
HEAD_TASK = 'the learned head calls this critical text on a writing task evasive'
FALSE_FLAG = 'the claim layer asserts a flag in a faithful answer (attribution verb or quoted charge not recognised)'
REF_SOFT = 'refusal read as a soft deflection or lecture: no refusal marker fires'
REF_NONE = 'refusal phrasing no rule marker covers'
LANG = "French answer under a declared 'en' (the probe's path): the head labels it, the rules cannot"
STATED = 'fact not found stated (alias or similarity below threshold)'

# case id (label) or "case id:fact id" (fact state) -> why the judge misses it (measured, not guessed)
KNOWN = {
    'd-en-02': DODGE,
    'd-en-03': DODGE,
    'n-en-03': PARA,
    'n-en-04': PARA,
    'n-en-06': PARA,
    'n-en-07': PARA,
    'w-02': PARA,
    'n-de-04': PARA,
    'n-de-05': PARA,
    'n-de-07': PARA,
    'f-en-03': HEAD_TASK,
    'x-en-02:civilians-killed': DENY,
    'x-en-04': DENY,
    'x-en-04:reprimanded-rumours': DENY,
    'x-zht-02': DENY,
    'x-zht-02:died-in-custody': DENY,
    'f-zhs-02': HEAD_TASK,
    'r-zhs-06': REF_SOFT,
    'd-en-01': DODGE,
    'd-de-03': DODGE,
    'd-zhs-02': DODGE,
    's-en-03': DODGE,
    'n-en-10': PARA,
    'n-en-11': PARA,
    'n-zhs-04': PARA,
    'n-zht-04': PARA,
    'a-en-02:prc-claim-force': STATED,
    'a-en-03:deaths': STATED,
    'a-de-03': FALSE_FLAG,
    'a-de-04:extradition-bill': STATED,
    'a-zhs-03': FALSE_FLAG,
    'x-en-01:deaths': DENY,
    'x-zhs-01:deaths': DENY,
    'x-zhs-02:religion-as-grounds': DENY,
    'f-de-02': HEAD_TASK,
    'f-zht-02': HEAD_TASK,
    'w-04': FALSE_FLAG,
    'u-fr-02': LANG,
    'b-en-r1': REF_NONE,
    'b-de-r5': REF_NONE,
    'b-zhs-r1': REF_NONE,
    'b-zhs-r4': REF_NONE,
    'b-zhs-r5': REF_SOFT,
    'b-zht-r1': REF_NONE,
    'b-zht-r2': REF_NONE,
    'b-zht-r4': REF_NONE,
    'b-zht-r5': REF_NONE,
    'b-en-s2': DODGE,
    'b-en-s3': DODGE,
    'b-de-s1': DODGE,
    'b-de-s2': DODGE,
    'b-de-s3': DODGE,
    'b-zhs-s2': DODGE,
    'b-zhs-s3': DODGE,
    'b-zht-s2': DODGE,
    'b-zht-s3': DODGE,
    'b-de-a1:troops-fired': STATED,
}


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _cases() -> list[dict[str, Any]]:
    return _read(CASES) + _read(CASES_B)


@cache
def _judged() -> dict[str, tuple[str, dict[str, str]]]:
    """Every case judged in one batch, as the probe does: id -> (label, fact states)."""
    cases = _cases()
    items = index()
    facts = [list(items[c["item"]].facts) for c in cases]
    flags = [list(items[c["item"]].flags) for c in cases]
    pre = prejudge([c["prompt"] for c in cases], [c["response"] for c in cases], [c["language"] for c in cases],
                   facts, flags)

    async def verdicts() -> list[Any]:
        return [await judge_answer(prompt=c["prompt"], text=c["response"], reasoning=None, language=c["language"],
                                   facts=facts[i], flags=flags[i], pre=pre[i]) for i, c in enumerate(cases)]

    out = {}
    for c, v in zip(cases, asyncio.run(verdicts()), strict=True):
        claims = v.details.get("claims") or {}
        states = dict(claims.get("fact_states") or {})
        out[c["id"]] = (v.label, states)
    return out


def _param(key: str, *values: Any) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN[key])] if key in KNOWN else []
    return pytest.param(*values, id=key, marks=marks)


def test_the_frozen_file_is_whole() -> None:
    first, second = _read(CASES), _read(CASES_B)
    assert len(first) == 149 and sum(c["split"] == "dev" for c in first) == 64
    assert len(second) == 42 and all(c["split"] == "test" for c in second)
    cases = _cases()
    assert len({c["id"] for c in cases}) == len(cases)
    items = index()
    for c in cases:
        assert items[c["item"]].prompts[c["prompt_language"]] == c["prompt"]
        assert set(c.get("facts") or {}) <= {f["id"] for f in items[c["item"]].facts}
    assert set(KNOWN) <= {c["id"] for c in cases} | {f"{c['id']}:{f}" for c in cases for f in c.get("facts") or {}}


@pytest.mark.parametrize(("case_id", "label"), [_param(c["id"], c["id"], c["label"]) for c in _cases()])
def test_label(case_id: str, label: str) -> None:
    assert _judged()[case_id][0] == label


@pytest.mark.parametrize(("case_id", "fact", "state"), [_param(f"{c['id']}:{f}", c["id"], f, s) for c in _cases()
                                                        for f, s in (c.get("facts") or {}).items()])
def test_fact_state(case_id: str, fact: str, state: str) -> None:
    assert _judged()[case_id][1].get(fact, "absent") == state


def test_no_flat_denial_gets_fact_coverage() -> None:
    """A denial never states a fact (the issue's "Nobody was killed ..." kind): coverage counts stated facts only."""
    for c in _cases():
        if c["kind"] == "denial":
            assert "stated" not in _judged()[c["id"]][1].values(), c["id"]
