"""capability + speed end to end on real targets: the embedded llama.cpp model, and the loopback
OpenAI-compatible server (streaming, concurrency sweep)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from weightwatch import api

needs_targets = pytest.mark.skipif(importlib.util.find_spec("weightwatch.targets.spec") is None,
                                   reason="the target implementations are not part of this build")


def _by(metrics: list, name: str, **dims: str) -> object:
    for m in metrics:
        if m.name == name and all(m.dims.get(k) == v for k, v in dims.items()):
            return m
    raise AssertionError(f"no metric {name} {dims}")


@needs_targets
@pytest.mark.model
@pytest.mark.slow
def test_embedded_smollm_capability_and_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("llama_cpp")
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    outcome = api.run(["capability", "speed"], ["embedded:smollm2-135m"], size="quick", config={})
    s = outcome.summary
    cap = next(r for r in s.results if r.probe == "capability")
    p1 = _by(cap.metrics, "pass@1", decoding="greedy")
    assert p1.n == 20  # type: ignore[attr-defined]
    assert p1.value is not None and 0.0 <= p1.value <= 1.0  # type: ignore[attr-defined]
    assert any("quick: 20 of 164" in n for n in cap.notes)
    assert any("sandboxed process" in n for n in cap.notes)
    assert sum(cap.tables["extraction"][s.targets[0].label].values()) == 20
    speed = next(r for r in s.results if r.probe == "speed")
    for prompt in ("short", "long"):
        tps = _by(speed.metrics, "output_tokens_per_s", prompt=prompt)
        assert tps.value is not None and tps.value > 1.0  # type: ignore[attr-defined]
        ttft = _by(speed.metrics, "ttft_s_p50", prompt=prompt)
        assert ttft.value is not None and ttft.value > 0  # type: ignore[attr-defined]
    short_pt = _by(speed.metrics, "prompt_tokens", prompt="short").value  # type: ignore[attr-defined]
    long_pt = _by(speed.metrics, "prompt_tokens", prompt="long").value  # type: ignore[attr-defined]
    assert 60 < short_pt < 200 and 700 < long_pt < 1400
    langs = {m.dims["language"]: m.value for m in speed.metrics if m.name == "tokens_per_1k_chars"}
    assert set(langs) == {"en", "zh-Hans", "de", "ja"}
    assert langs["ja"] > langs["en"]  # SmolLM2's English-centred vocabulary spends more tokens on Japanese
    assert not any(m.name.startswith("requests_per_s") for m in speed.metrics)  # no sweep in-process
    cost = next(r for r in s.results if r.probe == "cost")
    assert _by(cost.metrics, "tokens_out").value > 0  # type: ignore[attr-defined]
