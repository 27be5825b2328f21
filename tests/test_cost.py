"""Cost arithmetic, checked by hand."""

from __future__ import annotations

import pytest

from weightwatch.cost import blended, cost_metrics, hourly_to_per_mtok, price_per_mtok, run_cost
from weightwatch.report.figures import build_figures
from weightwatch.report.summary import scorecard
from weightwatch.stats.proportions import rate_metric, wilson
from weightwatch.types import Fingerprint, Metric, ProbeResult, RunSummary, TargetSummary


def test_list_prices_pass_through() -> None:
    assert price_per_mtok({"input_per_mtok": 0.27, "output_per_mtok": 1.10}, None) == (0.27, 1.10)
    assert price_per_mtok({"price_input_per_mtok": 0.6, "price_output_per_mtok": 3.0}, 50.0) == (0.6, 3.0)
    assert price_per_mtok({}, 50.0) == (None, None)


def test_hardware_price_from_throughput() -> None:
    # 6 USD/hour at 1,000 output tokens/s: 3.6 M tokens per hour -> 6 / 3.6 = 1.6667 USD per M tokens
    assert hourly_to_per_mtok(6.0, 1000.0) == pytest.approx(6.0 / 3.6)
    p_in, p_out = price_per_mtok({"price_per_hour": 6.0}, 1000.0, prefill_tok_s=10_000.0)
    assert p_out == pytest.approx(1.666667, rel=1e-5)
    assert p_in == pytest.approx(0.1666667, rel=1e-5)
    assert price_per_mtok({"hour": 6.0}, None) == (None, None)
    assert hourly_to_per_mtok(1.0, 0.0) is None


def test_run_cost_and_blend() -> None:
    # 2 M input at 0.27 + 0.5 M output at 1.10 = 0.54 + 0.55
    assert run_cost(2_000_000, 500_000, 0.27, 1.10) == pytest.approx(1.09)
    assert run_cost(10, 10, None, None) is None
    assert blended(0.27, 1.10) == pytest.approx((3 * 0.27 + 1.10) / 4)
    assert blended(None, 1.0) is None


def _capability(label: str, k: int, n: int, tin: int, tout: int) -> list[Metric]:
    return [rate_metric("capability", "pass@1", k, n, target=label, dims={"decoding": "greedy"}),
            Metric(probe="capability", name="tokens_in", value=float(tin), n=n, target=label),
            Metric(probe="capability", name="tokens_out", value=float(tout), n=n, target=label)]


def test_cost_metrics_per_target() -> None:
    api = TargetSummary(label="api", kind="openai", fingerprint=Fingerprint(kind="openai", name="m"),
                        price={"input_per_mtok": 1.0, "output_per_mtok": 4.0}, samples=200,
                        prompt_tokens=400_000, completion_tokens=100_000)
    hw = TargetSummary(label="hw", kind="embedded",
                       fingerprint=Fingerprint(kind="embedded", name="q.gguf", parameters=500_000_000),
                       price={"price_per_hour": 0.36}, samples=50, prompt_tokens=20_000, completion_tokens=10_000)
    free = TargetSummary(label="free", kind="embedded", fingerprint=Fingerprint(kind="embedded", name="s"))
    results = [
        ProbeResult(probe="capability", version="1",
                    metrics=_capability("api", 80, 100, 200_000, 50_000) + _capability("hw", 10, 20, 10_000, 4_000)
                    + _capability("free", 1, 20, 1, 1)),
        ProbeResult(probe="speed", version="1", metrics=[
            Metric(probe="speed", name="output_tokens_per_s", value=100.0, n=3, target="hw", dims={"prompt": "short"}),
            Metric(probe="speed", name="prefill_tokens_per_s", value=1000.0, n=3, target="hw",
                   dims={"prompt": "long"}),
        ]),
    ]
    res = cost_metrics([api, hw, free], results)
    assert res.probe == "cost"
    m = {(x.target, x.name): x for x in res.metrics}
    # api: run 0.4 + 0.4 = 0.8 USD; HumanEval 0.2 + 0.2 = 0.4 USD for 80 solved -> 0.005 USD per task
    assert m[("api", "run_cost")].value == pytest.approx(0.8)
    assert m[("api", "humaneval_cost")].value == pytest.approx(0.4)
    assert m[("api", "cost_per_correct_task")].value == pytest.approx(0.005)
    assert m[("api", "correct_tasks_per_usd")].value == pytest.approx(200.0)
    _, lo, hi = wilson(80, 100)
    assert m[("api", "cost_per_correct_task")].ci_low == pytest.approx(0.4 / (100 * hi))
    assert m[("api", "cost_per_correct_task")].ci_high == pytest.approx(0.4 / (100 * lo))
    # hw: 0.36 USD/hour at 100 tokens/s -> 0.36 / 0.36 M = 1 USD per M output tokens; prefill 1,000/s -> 0.1
    assert m[("hw", "price_output_per_mtok")].value == pytest.approx(1.0)
    assert m[("hw", "price_input_per_mtok")].value == pytest.approx(0.1)
    assert m[("hw", "run_cost")].value == pytest.approx(0.02 * 0.1 + 0.01 * 1.0)
    assert m[("hw", "humaneval_cost")].value == pytest.approx(0.01 * 0.1 + 0.004 * 1.0)
    assert m[("hw", "cost_per_correct_task")].value == pytest.approx(0.005 / 10)
    assert m[("hw", "pass1_per_billion_params")].value == pytest.approx(0.5 / 0.5)
    assert ("free", "run_cost") not in m
    assert m[("free", "tokens_in")].value == 0
    assert any("free: no price configured" in n for n in res.notes)
    scatter = {p["target"]: p for p in res.tables["scatter"]}
    assert scatter["hw"]["params_b"] == pytest.approx(0.5)
    assert "scatter_svg" not in res.tables  # no markup in the summary: the report draws the figures
    assert [h.key for h in res.headlines] == ["cost_per_correct", "run_cost"]


def test_scatter_escapes_target_labels() -> None:
    t = TargetSummary(label="<script>x</script>", kind="openai", fingerprint=Fingerprint(kind="openai", name="m"),
                      price={"input_per_mtok": 1.0, "output_per_mtok": 1.0}, prompt_tokens=10, completion_tokens=10)
    res = cost_metrics([t], [ProbeResult(probe="capability", version="1",
                                         metrics=_capability("<script>x</script>", 1, 2, 10, 10))])
    cap = ProbeResult(probe="capability", version="1", metrics=_capability("<script>x</script>", 1, 2, 10, 10))
    summary = RunSummary(run_id="r", created_at="2026-01-01T00:00:00Z", targets=[t], results=[cap, res])
    fig = next(f for f in build_figures(summary, scorecard(summary)) if f.key == "capability-cost")
    assert "<script>" not in fig.svg and "&lt;script&gt;" in fig.svg
