"""capability + speed end to end on real targets: the embedded llama.cpp model, and the loopback
OpenAI-compatible server (streaming, concurrency sweep)."""

from __future__ import annotations

from pathlib import Path

import pytest

from weightwatch import api


def _by(metrics: list, name: str, **dims: str) -> object:
    for m in metrics:
        if m.name == name and all(m.dims.get(k) == v for k, v in dims.items()):
            return m
    raise AssertionError(f"no metric {name} {dims}")


@pytest.mark.model
@pytest.mark.slow
def test_embedded_smollm_capability_and_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("llama_cpp")
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    outcome = api.run(["capability", "speed"], ["embedded:smollm2-135m"], size="quick", config={})
    s = outcome.summary
    cap = next(r for r in s.results if r.probe == "capability")
    p1 = _by(cap.metrics, "pass@1", decoding="greedy")
    assert p1.n == 10  # type: ignore[attr-defined]
    assert p1.value is not None and 0.0 <= p1.value <= 1.0  # type: ignore[attr-defined]
    assert any("quick: 10 of 164" in n for n in cap.notes)
    assert any("sandboxed process" in n for n in cap.notes)
    assert sum(cap.tables["extraction"][s.targets[0].label].values()) == 10
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
    # an in-process model decodes several sequences at once: single-stream against its whole batch
    width = s.targets[0].fingerprint.extra["parallel_sequences"]
    levels = {m.dims["concurrency"] for m in speed.metrics if m.name == "requests_per_s"}
    assert width > 1 and levels == {"1", str(width)}
    cost = next(r for r in s.results if r.probe == "cost")
    assert _by(cost.metrics, "tokens_out").value > 0  # type: ignore[attr-defined]


def _fake_server_module() -> object:
    from tests.servers import fake_openai

    return fake_openai


@pytest.mark.slow
def test_openai_server_capability_speed_and_sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over real loopback HTTP with streaming: HumanEval answers run in the sandbox, and the sweep runs
    every concurrency level. The server answers canonical solutions for every 32nd task."""
    fake = _fake_server_module()
    from weightwatch.probes.capability.probe import load_tasks

    tasks = {t.prompt.strip("\n"): t for t in load_tasks().values()}

    def reply(prompt: str) -> str:
        for p, t in tasks.items():
            if p in prompt:
                body = t.canonical_solution if int(t.task_id.split("/")[1]) % 32 == 0 else "    return None\n"
                return f"```python\n{t.prompt}{body}```"
        return "word " * 200

    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    with fake.FakeOpenAI(latency=0.05, token_delay=0.002, reply=reply) as srv:  # type: ignore[attr-defined]
        target = f"openai:fake-model@{srv.base_url}"
        outcome = api.run(["capability", "speed"], [target], size="quick", config={},
                          options={"speed_concurrency": "1,2,4,8,16,32", "humaneval_max_tokens": 2000})
        peak = srv.stats().get("peak_in_flight")
    s = outcome.summary
    cap = next(r for r in s.results if r.probe == "capability")
    p1 = _by(cap.metrics, "pass@1", decoding="greedy")
    assert (p1.n, p1.value) == (10, 0.5)  # type: ignore[attr-defined]
    speed = next(r for r in s.results if r.probe == "speed")
    levels = [row["concurrency"] for row in speed.tables["sweep"][s.targets[0].label]]
    assert levels == [1, 2, 4, 8, 16, 32]
    rps = {int(m.dims["concurrency"]): m.value for m in speed.metrics if m.name == "requests_per_s"}
    assert set(rps) == {1, 2, 4, 8, 16, 32}
    assert rps[8] > 2 * rps[1]  # the server answers concurrent requests in parallel
    assert peak is not None and peak >= 16
    ttft = _by(speed.metrics, "ttft_s_p50", prompt="short")
    assert ttft.value is not None and ttft.value >= 0.04  # type: ignore[attr-defined]  # the server's latency
    assert any(m.name == "latency_knee_concurrency" for m in speed.metrics)
    assert next(r for r in s.results if r.probe == "cost").probe == "cost"
