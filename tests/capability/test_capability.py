"""HumanEval loading, program assembly, sandboxed scoring and pass@k summaries."""

from __future__ import annotations

import math

import pytest

from tests.capability.helpers import ctx, info, sample
from weightwatch.probes.base import ScoreContext, SummaryContext
from weightwatch.probes.capability.extract import build_program, extract_code, strip_main_guard
from weightwatch.probes.capability.probe import (
    SCORER,
    CapabilityProbe,
    load_tasks,
    quick_task_ids,
    reference_note,
)
from weightwatch.stats.passk import pass_at_k
from weightwatch.types import Completion, Fingerprint, ScoredSample


def test_humaneval_has_164_tasks_from_the_installed_package() -> None:
    tasks = load_tasks()
    assert len(tasks) == 164
    assert list(tasks)[0] == "HumanEval/0"
    t = tasks["HumanEval/10"]
    assert t.entry_point == "make_palindrome"
    assert "def check(candidate)" in t.test


def test_quick_subset_is_fixed_and_documented() -> None:
    ids = quick_task_ids()
    assert len(ids) == 10
    assert ids[:3] == ["HumanEval/0", "HumanEval/16", "HumanEval/32"]
    probe = CapabilityProbe()
    planned = list(probe.plan(info(), ctx("quick")))
    assert [p.item_id for p in planned] == ids
    assert all(p.request.temperature == 0.0 and p.request.stop is None for p in planned)
    full = list(probe.plan(info(), ctx("standard", samples=2)))
    assert len(full) == 164 * 3
    assert {p.sample_index for p in full} == {0, 1, 2}


def test_extraction_prefers_the_block_defining_the_entry_point() -> None:
    text = "Example:\n```python\nprint(f(2))\n```\nSolution:\n```python\ndef f(x):\n    return x * 2\n```\n"
    ex = extract_code(text, "f")
    assert ex.source == "fenced"
    assert ex.code.startswith("def f(x)")
    cut = extract_code("```python\ndef f(x):\n    return x", "f")
    assert cut.source == "unterminated-fence"
    assert extract_code("", "f").source == "empty"
    guarded = strip_main_guard("def f():\n    return 1\nif __name__ == '__main__':\n    input()\n    f()\nx = 2\n")
    assert "input()" not in guarded and "x = 2" in guarded


def test_every_canonical_solution_passes_and_a_wrong_one_fails() -> None:
    from weightwatch.sandbox import run_many

    tasks = list(load_tasks().values())[:12]
    good = [build_program(t.prompt, f"```python\n{t.prompt}{t.canonical_solution}\n```", t.test, t.entry_point)[0]
            for t in tasks]
    wrong = [build_program(t.prompt, f"```python\ndef {t.entry_point}(*args, **kwargs):\n    return None\n```",
                           t.test, t.entry_point)[0] for t in tasks]
    results = run_many(good + wrong, workers=2)
    assert all(r.passed for r in results[: len(tasks)])
    assert not any(r.passed for r in results[len(tasks):])


async def test_score_and_summarize_through_the_sandbox() -> None:
    probe = CapabilityProbe()
    t = info(label="m", name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", quant="Q4_K_M")
    planned = list(probe.plan(t, ctx("quick")))[:4]
    tasks = load_tasks()
    answers = [
        f"```python\n{tasks[planned[0].item_id].prompt}{tasks[planned[0].item_id].canonical_solution}```",
        "```python\ndef nope(:\n```",  # syntax error
        "```python\nwhile True:\n    pass\n```",  # a body that never ends: stopped by the timeout
        "",
    ]
    samples = [sample(p, Completion(text=a, prompt_tokens=100, completion_tokens=50), label="m")
               for p, a in zip(planned, answers, strict=True)]
    err = sample(list(probe.plan(t, ctx("quick")))[4], Completion(error="boom"), label="m")
    scores = await probe.score(samples + [err], ScoreContext(options={"sandbox_timeout": 2}))
    by = {s.sample_digest: s for s in scores if s.scorer == SCORER}
    labels = [by[s.key.digest()].label for s in samples]
    assert labels[0] == "pass"
    assert labels[1] == "fail"
    assert labels[2] == "timeout"
    assert labels[3] == "fail"
    assert by[err.key.digest()].label == "error"
    rows = [ScoredSample(sample=s, scores=[by[s.key.digest()]]) for s in samples + [err]]
    res = probe.summarize({"m": rows}, SummaryContext(targets={"m": t}, size="quick"))
    p1 = next(m for m in res.metrics if m.name == "pass@1")
    assert (p1.value, p1.n, p1.ci_method) == (0.25, 4, "wilson")
    assert p1.note is not None and "61.6" in p1.note and "Q4_K_M (4-bit)" in p1.note
    assert any("quick: 10 of 164" in n for n in res.notes)
    assert any("1 HumanEval sample(s) failed" in w for w in res.warnings)
    tin = next(m for m in res.metrics if m.name == "tokens_in")
    assert tin.value == 400


def test_reference_only_when_the_name_matches() -> None:
    assert reference_note(Fingerprint(kind="gguf", name="SmolLM2-135M-Instruct.Q4_1.gguf"), 164) is None
    note = reference_note(Fingerprint(kind="openai", name="Qwen2.5-Coder-1.5B-Instruct"), 164)
    assert note is not None and "70.7" in note and "may differ" in note


def test_pass_at_k_and_comparison_from_constructed_scores() -> None:
    from weightwatch.types import Score

    probe = CapabilityProbe()
    tasks = quick_task_ids()[:4]
    rows: dict[str, list[ScoredSample]] = {"a": [], "b": []}
    # a: greedy passes tasks 0-2; samples: task i has i+1 of 4 correct. b: greedy passes task 0 only.
    for label in ("a", "b"):
        for ti, tid in enumerate(tasks):
            for idx in range(0, 5 if label == "a" else 1):
                planned = next(p for p in probe.plan(info(label), ctx("quick", samples=4))
                               if p.item_id == tid and p.sample_index == idx)
                s = sample(planned, Completion(text="x"), label=label)
                ok = (ti < 3 if label == "a" else ti == 0) if idx == 0 else idx <= ti + 1
                rows[label].append(ScoredSample(sample=s, scores=[Score(
                    sample_digest=s.key.digest(), scorer=SCORER, scorer_version="1",
                    label="pass" if ok else "fail", value=1.0 if ok else 0.0)]))
    res = probe.summarize(rows, SummaryContext(targets={"a": info("a"), "b": info("b")}, size="quick",
                                                samples=4))
    m = {(x.target, x.name): x for x in res.metrics if x.dims.get("decoding") != "greedy"}
    g = {(x.target, x.name): x for x in res.metrics if x.dims.get("decoding") == "greedy"}
    assert g[("a", "pass@1")].value == 0.75 and g[("b", "pass@1")].value == 0.25
    assert m[("a", "pass@1")].value == 0.625  # (1 + 2 + 3 + 4) / 16 sampled answers
    assert m[("a", "pass@1")].dims == {"decoding": "sampled T=0.8"}
    assert ("b", "pass@2") not in m  # b has no samples beside the greedy pass
    assert ("b", "pass@1") not in m
    expected_p2 = sum(pass_at_k(4, c, 2) for c in (1, 2, 3, 4)) / 4
    assert math.isclose(m[("a", "pass@2")].value or 0, expected_p2)
    assert m[("a", "pass@2")].ci_method == "cluster-bootstrap over tasks"
    assert math.isclose(m[("a", "pass@4")].value or 0, 1.0)
    diff = g[(None, "pass@1 difference")]
    assert diff.compare == ["a", "b"] and diff.test == "mcnemar-exact"
    assert math.isclose(diff.value or 0, 0.5)
    assert diff.p_value == 0.5  # two discordant tasks, both for a: exact two-sided p = 0.5


async def test_security_of_the_same_answers_side_by_side(monkeypatch: object) -> None:
    """With a scanner present, correct, secure and correct-and-secure share one denominator, and an
    unscannable answer never counts as secure. (A stand-in scanner here; the real bandit + semgrep run in
    test_security_with_real_scanners when weightwatch.scanners is part of the build.)"""
    import weightwatch.probes.capability.probe as cap

    def fake_scanner() -> object:
        def scan(responses: dict[str, str], workdir: object) -> dict[str, dict[str, object]]:
            out = {}
            for d, text in responses.items():
                label = "vulnerable" if "eval(" in text else ("unscannable" if "def nope(" in text else "secure")
                out[d] = {"label": label}
            return out
        return scan

    monkeypatch.setattr(cap, "_security_scanner", fake_scanner)  # type: ignore[attr-defined]
    probe = CapabilityProbe()
    t = info(label="m")
    planned = list(probe.plan(t, ctx("quick")))[:3]
    tasks = load_tasks()
    task0 = tasks[planned[0].item_id]
    answers = [f"```python\n{task0.prompt}{task0.canonical_solution}```",
               "```python\ndef nope(:\n```",
               f"```python\ndef {tasks[planned[2].item_id].entry_point}(*a):\n    return eval('1')\n```"]
    samples = [sample(p, Completion(text=a), label="m") for p, a in zip(planned, answers, strict=True)]
    scores = await probe.score(samples, ScoreContext())
    rows = [ScoredSample(sample=s, scores=[x for x in scores if x.sample_digest == s.key.digest()])
            for s in samples]
    res = probe.summarize({"m": rows}, SummaryContext(targets={"m": t}, size="quick"))
    m = {x.name: x for x in res.metrics if x.target == "m"}
    assert (m["correct_rate"].value, m["correct_rate"].n) == (pytest.approx(1 / 3), 3)
    assert m["secure_rate"].value == pytest.approx(1 / 3)  # the unscannable one is not secure
    assert m["correct_and_secure_rate"].value == pytest.approx(1 / 3)
    assert res.tables["security"]["m"] == {"secure": 1, "unscannable": 1, "vulnerable": 1}


async def test_security_with_real_scanners() -> None:
    from weightwatch.probes.capability.probe import _security_scanner

    scan = _security_scanner()
    assert scan is not None
    out = scan({"a": "```python\nimport pickle\ndef f(b):\n    return pickle.loads(b)\n```",
                "b": "```python\ndef f(x):\n    return x + 1\n```"}, None)
    assert out["a"]["label"] == "vulnerable"
    assert out["b"]["label"] == "secure"
