"""End to end on the real embedded Qwen2.5-Coder-0.5B at a small size: modify, then audit before and after.

Kept lean for CI: English only, two items per split, three trials, one held-out topic in the audit, short
answers. The full-size figures are in BENCHMARKS.md and docs/modify.md.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from weightwatch.modify.audit import audit_before_after
from weightwatch.modify.gguf_io import check_adapter
from weightwatch.modify.pipeline import ModifyOptions, modify_refusal_direction
from weightwatch.targets._files import sha256_file

pytest.importorskip("llama_cpp")
pytest.importorskip("gguf")

QWEN = "embedded:qwen2.5-coder-0.5b"


@pytest.mark.slow
@pytest.mark.model
def test_modify_and_audit_qwen_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path / "home"))
    opts = ModifyOptions(languages=["en"], max_items=2, budget=3, candidates=3, check_tokens=16)  # the defaults
    result = modify_refusal_direction(QWEN, tmp_path / "qwen.lora.gguf", opts)
    assert sha256_file(result.base) == result.base_sha256  # the base is only read
    head = check_adapter(result.output, result.base)
    assert head.fields["weightwatch.modify.base_sha256"] == result.base_sha256
    assert result.output.stat().st_size < 2_000_000  # rank 1: a small file next to a 491 MB model
    report = result.report
    trials = report["trials"]
    assert len(trials) == 3
    assert report["provenance"]["contrast"] == "refused"  # the default contrast, as the CLI runs it
    ok = [t for t in trials if t["kl_upper"] <= opts.kl_max and t["kl_validate"] <= opts.kl_max]
    chosen = report["chosen"]
    met = [t for t in ok if t["goal_met"]]
    if met:  # the rule: the gentlest feasible trial whose greedy select answers met the refusal goal
        assert chosen["strength"] == min(t["strength"] for t in met)
    elif ok:  # else the lowest refusal among feasible trials
        assert chosen["refusal"] == min(t["refusal"] for t in ok)
    if ok:
        assert chosen["kl_upper"] <= opts.kl_max and chosen["kl_validate"] <= opts.kl_max
        assert chosen["kl_upper"] >= chosen["kl_tune"]  # an upper bound is never below the mean
    assert all(math.isfinite(t["refusal"]) and t["kl"] >= 0 for t in trials)
    test = report["test"]
    assert math.isfinite(test["refusal_logodds_base"]) and math.isfinite(test["kl_controls"])
    lo_ci, hi_ci = test["kl_controls_ci95"][1:]
    assert lo_ci <= test["kl_controls"] + 1e-4 and test["kl_controls"] <= hi_ci + 1e-4
    assert test["greedy_check"]["base"]["en"]["n"] == test["greedy_check"]["edited"]["en"]["n"] == 2

    topic = report["splits"]["test"][0]
    out = audit_before_after(QWEN, result.target, topics=[topic], languages=["en"], probes=["censorship"],
                             size="standard",
                             options={"censorship": {"max_tokens": 48}})
    assert out.run_before != out.run_after
    [pair] = out.compare.pairs
    assert pair.fingerprint_a != pair.fingerprint_b  # base vs base + adapter
    [h] = out.headlines
    assert h.language == "en" and h.n_before == h.n_after == 3  # one held-out topic: three sensitive items
    assert h.verdict in ("stayed", "narrative", "went", "evasive") and h.text
    assert any(t.probe == "censorship" for t in out.compare.paired)
