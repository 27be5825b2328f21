"""Cost: what a run cost on each target, and how much capability a dollar or a parameter buys.

Prices come from `weightwatch.toml` (carried in `TargetSummary.price`), either
- list prices in USD per million input and output tokens (`input_per_mtok`, `output_per_mtok`; the
  config's `price_input_per_mtok` / `price_output_per_mtok` spellings are read too), or
- a hardware price in USD per hour (`hour`, `per_hour` or `price_per_hour`), which the measured
  throughput turns into USD per million tokens: output tokens at the speed probe's peak throughput
  (the concurrency sweep for servers, single-stream tokens/s otherwise), input tokens at its measured
  prefill rate (prompt tokens / time to first token on the long prompt).

`cost_metrics(targets, results)` is called by the run summary after every probe has summarized; it
reads the capability and speed results of the same run and returns the "cost" ProbeResult.
"""

from __future__ import annotations

from typing import Any

from weightwatch.stats.proportions import wilson
from weightwatch.types import Headline, Metric, ProbeResult, TargetSummary

PROBE = "cost"
VERSION = "1"
BLEND_INPUT, BLEND_OUTPUT = 3, 1  # blended price 3:1 input:output, as Artificial Analysis does

HEADLINES: tuple[Headline, ...] = (
    Headline(
        key="cost_per_correct", label="Cost per correct task", names=("cost_per_correct_task",),
        higher_is_better=False, format="usd",
        meaning="HumanEval tokens x price per million tokens, divided by tasks solved.",
        test="Wilson interval on the number of tasks solved.",
    ),
    Headline(
        key="run_cost", label="Cost of this run", names=("run_cost",),
        higher_is_better=False, format="usd",
        meaning="All tokens of this run x the configured price (list price or hardware price per hour).",
        test="Measured token counts; no sampling interval.",
    ),
)

_INPUT_KEYS = ("input_per_mtok", "price_input_per_mtok")
_OUTPUT_KEYS = ("output_per_mtok", "price_output_per_mtok")
_HOUR_KEYS = ("hour", "per_hour", "price_per_hour")


def _first(price: dict[str, float], keys: tuple[str, ...]) -> float | None:
    for k in keys:
        v = price.get(k)
        if v is not None:
            return float(v)
    return None


def hourly_to_per_mtok(per_hour: float, tokens_per_s: float | None) -> float | None:
    """USD per million tokens for hardware costing `per_hour` USD/hour producing `tokens_per_s`."""
    if tokens_per_s is None or tokens_per_s <= 0:
        return None
    return per_hour / (tokens_per_s * 3600.0) * 1e6


def price_per_mtok(price: dict[str, float], throughput_tok_s: float | None,
                   prefill_tok_s: float | None = None) -> tuple[float | None, float | None]:
    """(input, output) USD per million tokens from list prices, or from a hardware price per hour and
    the measured output throughput (and prefill rate for input tokens). None where it cannot be known."""
    p_in, p_out = _first(price, _INPUT_KEYS), _first(price, _OUTPUT_KEYS)
    if p_in is not None or p_out is not None:
        return p_in, p_out
    hour = _first(price, _HOUR_KEYS)
    if hour is None:
        return None, None
    return hourly_to_per_mtok(hour, prefill_tok_s), hourly_to_per_mtok(hour, throughput_tok_s)


def run_cost(tokens_in: int, tokens_out: int, price_in: float | None, price_out: float | None) -> float | None:
    """USD for these token counts; an unknown input price counts as zero only if the output price is known."""
    if price_out is None and price_in is None:
        return None
    return (tokens_in * (price_in or 0.0) + tokens_out * (price_out or 0.0)) / 1e6


def blended(price_in: float | None, price_out: float | None) -> float | None:
    if price_in is None or price_out is None:
        return None
    return (BLEND_INPUT * price_in + BLEND_OUTPUT * price_out) / (BLEND_INPUT + BLEND_OUTPUT)


def _metric(results: list[ProbeResult], probe: str, name: str, target: str,
            dims: dict[str, str] | None = None) -> Metric | None:
    for r in results:
        if r.probe != probe:
            continue
        for m in r.metrics:
            if m.name == name and m.target == target and (dims is None or (m.dims == dims if not dims else all(
                    m.dims.get(k) == v for k, v in dims.items()))):
                return m
    return None


def cost_metrics(targets: list[TargetSummary], results: list[ProbeResult]) -> ProbeResult:
    """Per target: run tokens and cost, prices, cost per correct HumanEval task, correct tasks per
    dollar, pass@1 per billion parameters; plus the scatter points in `tables` (the report draws them)."""
    res = ProbeResult(probe=PROBE, version=VERSION, headlines=list(HEADLINES))
    res.notes.append("costs are token counts x USD per million tokens; hardware prices per hour are turned into "
                     "USD per million tokens by the measured throughput of this run")
    points: list[dict[str, Any]] = []
    for t in targets:
        label = t.label
        out: list[Metric] = []

        def add(name: str, value: float | None, n: int, unit: str, hib: bool | None = None, note: str | None = None,
                lo: float | None = None, hi: float | None = None, method: str | None = None,
                _out: list[Metric] = out, _label: str = label) -> None:
            _out.append(Metric(probe=PROBE, name=name, value=value, n=n, target=_label, unit=unit,
                               higher_is_better=hib, note=note, ci_low=lo, ci_high=hi, ci_method=method))

        add("tokens_in", float(t.prompt_tokens), t.samples, "tokens", note="all requests of this run")
        add("tokens_out", float(t.completion_tokens), t.samples, "tokens", note="all requests of this run")

        peak = _metric(results, "speed", "peak_throughput_tokens_per_s", label)
        single = _metric(results, "speed", "output_tokens_per_s", label, {"prompt": "short"})
        prefill = _metric(results, "speed", "prefill_tokens_per_s", label)
        tput = peak.value if peak and peak.value else (single.value if single else None)
        p_in, p_out = price_per_mtok(t.price, tput, prefill.value if prefill else None)
        hourly = _first(t.price, _HOUR_KEYS) is not None and _first(t.price, _OUTPUT_KEYS + _INPUT_KEYS) is None
        how = None
        if hourly:
            src = "peak sweep throughput" if peak and peak.value else "single-stream tokens/s"
            how = f"from {_first(t.price, _HOUR_KEYS):g} USD/hour and the measured {src}"
            if tput is None:
                res.warnings.append(f"{label}: a price per hour is set but this run measured no throughput; "
                                    "run the speed probe in the same run to price tokens")
            if p_in is None and p_out is not None:
                how += "; input tokens not priced (no prefill rate measured)"
        if not t.price:
            res.notes.append(f"{label}: no price configured (set price_input_per_mtok / price_output_per_mtok or "
                             "price_per_hour in weightwatch.toml)")
        if p_in is not None:
            add("price_input_per_mtok", p_in, 1, "USD", False, how)
        if p_out is not None:
            add("price_output_per_mtok", p_out, 1, "USD", False, how)
        blend = blended(p_in, p_out)
        if blend is not None:
            add("blended_price_per_mtok", blend, 1, "USD", False, "3:1 input:output")
        cost = run_cost(t.prompt_tokens, t.completion_tokens, p_in, p_out)
        if cost is not None:
            add("run_cost", cost, t.samples, "USD", False)

        p1 = _metric(results, "capability", "pass@1", label, {"decoding": "greedy"})
        # "correct" is counted on the greedy answers (pass@1), so the cost is too: with --samples the
        # sampled answers' tokens would otherwise inflate the cost per correct task ~(1 + samples) times
        he_in = _metric(results, "capability", "tokens_in", label, {"decoding": "greedy"})
        he_out = _metric(results, "capability", "tokens_out", label, {"decoding": "greedy"})
        if he_in is None and he_out is None:  # a summary from before the greedy token counts existed
            he_in = _metric(results, "capability", "tokens_in", label)
            he_out = _metric(results, "capability", "tokens_out", label)
        all_in = _metric(results, "capability", "tokens_in", label, {})
        all_out = _metric(results, "capability", "tokens_out", label, {})
        passed_all = _metric(results, "capability", "answers_passed", label)
        point: dict[str, Any] = {"target": label}
        if p1 is not None and p1.value is not None and p1.n:
            correct = round(p1.value * p1.n)
            point.update(pass_at_1=p1.value, pass_at_1_low=p1.ci_low, pass_at_1_high=p1.ci_high, tasks=p1.n,
                         correct=correct)
            he_cost = run_cost(int(he_in.value or 0) if he_in else 0, int(he_out.value or 0) if he_out else 0,
                               p_in, p_out)
            if he_cost is not None:
                add("humaneval_cost", he_cost, p1.n, "USD", False, f"{p1.n} HumanEval tasks, greedy")
                _, lo, hi = wilson(correct, p1.n)
                if correct > 0:
                    # the cost is fixed; the uncertainty is in how many tasks a run of this size solves
                    per = he_cost / correct
                    add("cost_per_correct_task", per, p1.n, "USD", False, f"{correct} tasks solved",
                        lo=he_cost / (p1.n * hi) if hi else None,
                        hi=he_cost / (p1.n * lo) if lo else None, method="wilson (on tasks solved)")
                    point["cost_per_correct_task"] = per
                    if he_cost > 0:
                        add("correct_tasks_per_usd", correct / he_cost, p1.n, "tasks/USD", True,
                            "HumanEval tasks solved per dollar",
                            lo=(lo or 0.0) * p1.n / he_cost, hi=(hi or 0.0) * p1.n / he_cost,
                            method="wilson (on tasks solved)")
                else:
                    add("cost_per_correct_task", None, p1.n, "USD", False, "no task solved")
            if passed_all is not None and passed_all.n > p1.n and passed_all.value:
                # with --samples: every answer's tokens over every passing answer (greedy and sampled)
                all_cost = run_cost(int(all_in.value or 0) if all_in else 0, int(all_out.value or 0) if all_out
                                    else 0, p_in, p_out)
                if all_cost is not None:
                    add("cost_per_correct_answer", all_cost / passed_all.value, passed_all.n, "USD", False,
                        f"{passed_all.n} HumanEval answers (greedy and sampled), {int(passed_all.value)} passed")
            if blend is not None:
                point["blended_price_per_mtok"] = blend
            params = t.fingerprint.parameters
            if params:
                b = params / 1e9
                point["params_b"] = b
                add("pass1_per_billion_params", p1.value / b, p1.n, "rate/B params", True,
                    f"pass@1 / {b:.3g} B parameters (from {t.fingerprint.kind} metadata)",
                    lo=(p1.ci_low or 0.0) / b if p1.ci_low is not None else None,
                    hi=(p1.ci_high or 0.0) / b if p1.ci_high is not None else None, method=p1.ci_method)
            else:
                res.notes.append(f"{label}: parameter count unknown, so no pass@1 per billion parameters")
        res.metrics.extend(out)
        points.append(point)
    res.tables["scatter"] = points  # the report draws pass@1 against cost and parameters from the metrics
    return res
