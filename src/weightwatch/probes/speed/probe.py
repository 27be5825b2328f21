"""Speed: latency and throughput of a target, and how many tokens its tokenizer spends per language.

- Latency (phase `speed`, one request at a time, streamed): a short (~100 tokens) and a long
  (~1,000 tokens) prompt, repeated. Time to first token (TTFT), time per output token
  (TPOT = (e2e - TTFT) / (output tokens - 1)), inter-token latency (ITL, gaps between streamed chunks),
  output tokens/s excluding TTFT (as Artificial Analysis reports it), end-to-end latency; p50/p90/p99,
  with a bootstrap interval for the medians. Each repetition starts with its own tag so a prompt
  cache cannot serve a repeat from memory; one warm-up request is not counted.
- Throughput sweep: phases `sweep-c1` ... `sweep-c32` for HTTP targets; for an in-process model that
  decodes N sequences together (its fingerprint's `parallel_sequences`), `sweep-c1` and `sweep-cN`:
  single-stream against the batched aggregate. Each phase runs at exactly that concurrency.
  Requests/s and output tokens/s from the first start to the last finish of the phase, p50 latency
  per level, and the knee: the first level whose p50 latency exceeds 1.5x that at concurrency 1.
- Tokenizer efficiency: the same passage in English, Simplified Chinese, German and Japanese is sent
  with max_tokens=1; the prompt token count minus the chat template's overhead (measured with a
  one-character message) gives tokens per 1,000 characters.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import numpy as np
from scipy import stats as sps

from weightwatch.datafiles import package_yaml
from weightwatch.probes.base import PlanContext, ScoreContext, SummaryContext, TargetInfo, switch_on
from weightwatch.probes.registry import register
from weightwatch.probes.speed.headlines import HEADLINES
from weightwatch.probes.speed.options import SpeedOptions
from weightwatch.stats.multiple import holm
from weightwatch.types import (
    ChatRequest,
    Completion,
    Message,
    Metric,
    PlannedRequest,
    ProbeResult,
    Sample,
    Score,
    ScoredSample,
)

SCORER = "speed.timing"
REPS = {"quick": 3, "standard": 10, "full": 20}
MAX_TOKENS = {"quick": 64, "standard": 128, "full": 128}
SWEEP_LEVELS = (1, 2, 4, 8, 16, 32)
KNEE_FACTOR = 1.5
LANGUAGES = ("en", "zh-Hans", "de", "ja")


@cache
def load_data() -> dict[str, Any]:
    data: dict[str, Any] = package_yaml("weightwatch.probes.speed", "data/speed.yaml")
    return data


def prompt_text(prompt_id: str) -> str:
    for p in load_data()["prompts"]:
        if p["id"] == prompt_id:
            return str(p["text"])
    raise KeyError(prompt_id)


def batch_width(target: TargetInfo) -> int:
    """How many sequences an in-process model decodes together (its fingerprint says; 1 if unknown)."""
    raw = target.fingerprint.extra.get("parallel_sequences")
    return int(raw) if isinstance(raw, int) and raw > 0 else 1


def tagged(tag: str, text: str) -> str:
    return f"[{tag}]\n{text}"


def sweep_levels(options: dict[str, Any]) -> list[int]:
    raw = options.get("speed_concurrency")
    if raw is None:
        return list(SWEEP_LEVELS)
    if isinstance(raw, str):
        return [int(x) for x in raw.replace(" ", "").split(",") if x]
    if isinstance(raw, int):
        return [raw]
    return [int(x) for x in raw]


# ---------------------------------------------------------------------------------------------- timing math
def tpot(c: Completion) -> float | None:
    """Time per output token after the first: (e2e - TTFT) / (output tokens - 1)."""
    if c.ttft_s is None or c.total_s is None or not c.completion_tokens or c.completion_tokens < 2:
        return None
    return max(c.total_s - c.ttft_s, 0.0) / (c.completion_tokens - 1)


def output_tps(c: Completion) -> float | None:
    """Output tokens per second, excluding TTFT when the response was streamed."""
    if c.total_s is None or not c.completion_tokens:
        return None
    if c.ttft_s is not None:
        if c.completion_tokens < 2:
            return None
        gen = c.total_s - c.ttft_s
        return (c.completion_tokens - 1) / gen if gen > 0 else None
    return c.completion_tokens / c.total_s if c.total_s > 0 else None


def itls(c: Completion) -> list[float]:
    """Gaps between consecutive streamed chunks."""
    t = c.token_times_s or []
    return [b - a for a, b in itertools.pairwise(t) if b >= a]


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else None


def median_ci(values: Sequence[float], *, n_boot: int = 2000, seed: int = 0,
              ) -> tuple[float | None, float | None, float | None]:
    """Median with a percentile-bootstrap 95% interval (None when fewer than 3 values)."""
    if not values:
        return None, None, None
    arr = np.asarray(values, dtype=float)
    med = float(np.median(arr))
    if len(arr) < 3:
        return med, None, None
    rng = np.random.default_rng(seed)
    reps = np.median(arr[rng.integers(0, len(arr), size=(n_boot, len(arr)))], axis=1)
    return med, float(np.quantile(reps, 0.025)), float(np.quantile(reps, 0.975))


@register
class SpeedProbe:
    name = "speed"
    version = "1"
    Options = SpeedOptions
    headlines = HEADLINES
    uses_judge = False
    runs_model_code = False
    description = ("Time to first token, time per output token, inter-token latency, tokens/s and latency "
                   "percentiles; a concurrency sweep for servers; tokens per 1,000 characters by language.")

    # ------------------------------------------------------------------ plan
    def plan(self, target: TargetInfo, ctx: PlanContext) -> Iterable[PlannedRequest]:
        reps = int(ctx.options.get("speed_reps", REPS[ctx.size]))
        max_tokens = int(ctx.options.get("speed_max_tokens", MAX_TOKENS[ctx.size]))

        def req(content: str, n: int, stream: bool = True) -> ChatRequest:
            return ChatRequest(messages=[Message(role="user", content=content)], temperature=0.0,
                               seed=ctx.seed, max_tokens=n, stream=stream)

        yield PlannedRequest(item_id="warmup", variant="warmup", request=req(tagged("warm-up", prompt_text("short")),
                             16), phase="speed", concurrency=1, meta={"kind": "warmup"})
        for variant in ("short", "long"):
            for r in range(reps):
                yield PlannedRequest(item_id=f"{variant}-{r:02d}", variant=variant,
                                     request=req(tagged(f"{variant} {r + 1}", prompt_text(variant)), max_tokens),
                                     phase="speed", concurrency=1, meta={"kind": "latency"})
        tok = load_data()["tokenizer"]
        yield PlannedRequest(item_id="tokenizer-overhead", variant="overhead",
                             request=req(str(tok["overhead_probe"]), 1, stream=False), phase="speed",
                             concurrency=1, meta={"kind": "tokenizer"})
        for lang in LANGUAGES:
            yield PlannedRequest(item_id=f"tokenizer-{lang}", variant=lang,
                                 request=req(str(tok["passages"][lang]), 1, stream=False), phase="speed",
                                 concurrency=1, meta={"kind": "tokenizer", "language": lang})
        sweep = ctx.options.get("speed_sweep")
        width = batch_width(target)
        default_sweep = target.kind == "openai" or width > 1
        do_sweep = switch_on(sweep, default_sweep)
        if not do_sweep:
            return
        levels = sweep_levels(ctx.options)
        if ctx.options.get("speed_concurrency") is None and target.kind != "openai":
            levels = sorted({1, width})  # an in-process model: single-stream vs its whole batch
        per = 4 if ctx.size == "quick" else 8
        # quick, in-process: one full batch per level (all sequences start together and decode the same
        # number of tokens, so a second batch adds little): it is the default audit's size, sized to 15
        # minutes (BENCHMARKS.md section 10)
        rounds = 1 if ctx.size == "quick" and target.kind != "openai" else 2 if ctx.size == "quick" else 4
        for c in levels:
            n = max(per, rounds * c)
            for i in range(n):
                yield PlannedRequest(item_id=f"sweep-c{c}-{i:03d}", variant="sweep",
                                     request=req(tagged(f"c{c} {i + 1}", prompt_text("short")), max_tokens),
                                     phase=f"sweep-c{c}", concurrency=c, meta={"kind": "sweep", "concurrency": c})

    # ------------------------------------------------------------------ score
    async def score(self, samples: list[Sample], ctx: ScoreContext) -> list[Score]:
        out = []
        for s in samples:
            c = s.completion
            if c.error:
                out.append(Score(sample_digest=s.key.digest(), scorer=SCORER, scorer_version=self.version,
                                 label="error", details={"error": c.error}))
                continue
            out.append(Score(sample_digest=s.key.digest(), scorer=SCORER, scorer_version=self.version, label="ok",
                             value=output_tps(c),
                             details={"ttft_s": c.ttft_s, "tpot_s": tpot(c), "e2e_s": c.total_s,
                                      "prompt_tokens": c.prompt_tokens, "completion_tokens": c.completion_tokens,
                                      "streamed": c.ttft_s is not None}))
        return out

    # ------------------------------------------------------------------ summarize
    def summarize(self, scored: dict[str, list[ScoredSample]], ctx: SummaryContext) -> ProbeResult:
        result = ProbeResult(probe=self.name, version=self.version)
        result.notes.append("latency requests run one at a time, streamed; output tokens/s excludes the time "
                            "to first token; medians with a bootstrap 95% interval")
        tps_by_target: dict[str, list[float]] = {}
        for label, rows in scored.items():
            ok = [r for r in rows if r.sample.completion.ok]
            failed = len(rows) - len(ok)
            if failed:
                result.warnings.append(f"{label}: {failed} speed request(s) failed and are excluded")
            unscored = [r for r in ok if r.scoring_error]  # probes/guard.py: no measurement, like a failure
            if unscored:
                ok = [r for r in ok if not r.scoring_error]
                result.warnings.append(f"{label}: {len(unscored)} speed sample(s) could not be scored and are "
                                       "excluded from the timings")
            by_kind: dict[str, list[ScoredSample]] = defaultdict(list)
            for r in ok:
                by_kind[str(r.sample.planned.meta.get("kind", ""))].append(r)
            lat = by_kind.get("latency", [])
            for variant in ("short", "long"):
                comps = [r.sample.completion for r in lat if r.sample.planned.variant == variant]
                if comps:
                    result.metrics.extend(self._latency_metrics(label, variant, comps, result))
                    if variant == "short":
                        tps_by_target[label] = [v for v in map(output_tps, comps) if v is not None]
            result.metrics.extend(self._tokenizer_metrics(label, by_kind.get("tokenizer", []), result))
            sweep = by_kind.get("sweep", [])
            if sweep:
                result.metrics.extend(self._sweep_metrics(label, sweep, result))
        result.metrics.extend(self._comparisons(tps_by_target))
        return result

    def _latency_metrics(self, label: str, variant: str, comps: list[Completion],
                         result: ProbeResult) -> list[Metric]:
        dims = {"prompt": variant}
        out: list[Metric] = []
        n = len(comps)
        streamed = [c for c in comps if c.ttft_s is not None]
        small = f"n={n}: p90/p99 are close to the maximum" if n < 10 else None

        def add(name: str, values: list[float], unit: str, hib: bool, pcts: bool = True,
                note: str | None = None) -> None:
            if not values:
                return
            med, lo, hi = median_ci(values)
            out.append(Metric(probe=self.name, name=f"{name}_p50" if pcts else name, value=med, n=len(values),
                              ci_low=lo, ci_high=hi, ci_method="bootstrap (median)" if lo is not None else None,
                              target=label, dims=dict(dims), unit=unit, higher_is_better=hib, note=note))
            if pcts:
                for q in (90, 99):
                    out.append(Metric(probe=self.name, name=f"{name}_p{q}", value=percentile(values, q),
                                      n=len(values), target=label, dims=dict(dims), unit=unit,
                                      higher_is_better=hib, note=small))

        add("ttft_s", [c.ttft_s for c in streamed if c.ttft_s is not None], "s", False)
        add("tpot_s", [v for v in map(tpot, streamed) if v is not None], "s", False, pcts=False)
        add("itl_s", [g for c in streamed for g in itls(c)], "s", False)
        tps = [v for v in map(output_tps, comps) if v is not None]
        add("output_tokens_per_s", tps, "tokens/s", True, pcts=False,
            note=None if len(streamed) == n else "not streamed: includes the time to first token")
        add("e2e_latency_s", [c.total_s for c in comps if c.total_s is not None], "s", False)
        pts = [float(c.prompt_tokens) for c in comps if c.prompt_tokens]
        if pts:
            out.append(Metric(probe=self.name, name="prompt_tokens", value=float(np.median(pts)), n=len(pts),
                              target=label, dims=dict(dims), unit="tokens"))
            prefill = [c.prompt_tokens / c.ttft_s for c in streamed if c.prompt_tokens and c.ttft_s]
            if prefill and variant == "long":
                med, lo, hi = median_ci(prefill)
                out.append(Metric(probe=self.name, name="prefill_tokens_per_s", value=med, n=len(prefill),
                                  ci_low=lo, ci_high=hi, ci_method="bootstrap (median)" if lo is not None else None,
                                  target=label, dims=dict(dims), unit="tokens/s", higher_is_better=True,
                                  note="prompt tokens / time to first token"))
        if not streamed:
            result.warnings.append(f"{label}: responses were not streamed, so TTFT, TPOT and ITL are missing")
        answered = [c for c in comps if not c.error]
        no_usage = (f"{label}: the target reported no output token counts (no 'usage' in its answers), so "
                    "output tokens/s and TPOT are not measured")
        if answered and not any(c.completion_tokens for c in answered) and no_usage not in result.warnings:
            result.warnings.append(no_usage)  # they were simply missing from the table, without a word
        return out

    def _tokenizer_metrics(self, label: str, rows: list[ScoredSample], result: ProbeResult) -> list[Metric]:
        counts = {str(r.sample.planned.variant): r.sample.completion.prompt_tokens for r in rows}
        if not rows:
            return []
        overhead = counts.get("overhead")
        if overhead is None or any(counts.get(lang) is None for lang in LANGUAGES):
            result.warnings.append(f"{label}: the target reported no prompt token counts, so tokenizer "
                                   "efficiency is not measured")
            return []
        passages = load_data()["tokenizer"]["passages"]
        probe_len = len(str(load_data()["tokenizer"]["overhead_probe"]))
        template = overhead - probe_len  # the one-character message is one token
        out = []
        for lang in LANGUAGES:
            tokens = (counts[lang] or 0) - template
            chars = len(passages[lang])
            out.append(Metric(probe=self.name, name="tokens_per_1k_chars", value=1000.0 * tokens / chars, n=chars,
                              target=label, dims={"language": lang}, unit="tokens", higher_is_better=False,
                              note=f"{tokens} tokens for {chars} characters (chat template overhead of "
                                   f"{template} tokens subtracted)"))
        return out

    def _sweep_metrics(self, label: str, rows: list[ScoredSample], result: ProbeResult) -> list[Metric]:
        by_c: dict[int, list[Completion]] = defaultdict(list)
        for r in rows:
            by_c[int(r.sample.planned.concurrency or r.sample.planned.meta.get("concurrency", 0))].append(
                r.sample.completion)
        out: list[Metric] = []
        table = []
        base_p50: float | None = None
        knee: int | None = None
        for c in sorted(by_c):
            comps = by_c[c]
            starts = [float(x.raw["started_at"]) for x in comps if x.raw and "started_at" in x.raw]
            ends = [float(x.raw["finished_at"]) for x in comps if x.raw and "finished_at" in x.raw]
            dims = {"concurrency": str(c)}
            e2e = [x.total_s for x in comps if x.total_s is not None]
            p50 = percentile(e2e, 50)
            row: dict[str, Any] = {"concurrency": c, "requests": len(comps), "e2e_p50_s": p50}
            if starts and ends:
                span = max(ends) - min(starts)
                busy = sum(e2e)
                if span > busy + 1.0:
                    result.warnings.append(f"{label}: sweep level {c} mixes requests from different runs "
                                           "(span longer than all requests together); use --fresh to re-measure")
                toks = sum(x.completion_tokens or 0 for x in comps)
                if span > 0:
                    rps, otps = len(comps) / span, toks / span
                    row.update(requests_per_s=rps, output_tokens_per_s=otps, span_s=span)
                    out.append(Metric(probe=self.name, name="requests_per_s", value=rps, n=len(comps),
                                      target=label, dims=dict(dims), unit="requests/s", higher_is_better=True))
                    out.append(Metric(probe=self.name, name="throughput_tokens_per_s", value=otps, n=len(comps),
                                      target=label, dims=dict(dims), unit="tokens/s", higher_is_better=True,
                                      note="output tokens of all requests / (last finish - first start)"))
            if p50 is not None:
                out.append(Metric(probe=self.name, name="sweep_e2e_latency_s_p50", value=p50, n=len(e2e),
                                  target=label, dims=dict(dims), unit="s", higher_is_better=False))
                if base_p50 is None:
                    base_p50 = p50 if c == min(by_c) else None
                elif knee is None and p50 > KNEE_FACTOR * base_p50:
                    knee = c
            table.append(row)
        result.tables.setdefault("sweep", {})[label] = table
        peak = max((r.get("output_tokens_per_s", 0.0) for r in table), default=0.0)
        if peak:
            best = max(table, key=lambda r: r.get("output_tokens_per_s", 0.0))
            out.append(Metric(probe=self.name, name="peak_throughput_tokens_per_s", value=peak, n=best["requests"],
                              target=label, dims={"concurrency": str(best["concurrency"])}, unit="tokens/s",
                              higher_is_better=True))
        levels = sorted(by_c)
        out.append(Metric(probe=self.name, name="latency_knee_concurrency", value=float(knee) if knee else None,
                          n=len(levels), target=label, unit="concurrency",
                          note=(f"first level whose p50 latency exceeds {KNEE_FACTOR}x the latency at "
                                f"concurrency {levels[0]}" if knee else
                                f"p50 latency stayed within {KNEE_FACTOR}x up to concurrency {levels[-1]}")))
        return out

    def _comparisons(self, tps: dict[str, list[float]]) -> list[Metric]:
        out: list[Metric] = []
        for a, b in itertools.combinations(sorted(tps), 2):
            xa, xb = tps[a], tps[b]
            if len(xa) < 2 or len(xb) < 2:
                continue
            p = float(sps.mannwhitneyu(xa, xb, alternative="two-sided").pvalue)
            ma, mb = float(np.median(xa)), float(np.median(xb))
            out.append(Metric(probe=self.name, name="output_tokens_per_s ratio", value=ma / mb if mb else None,
                              n=len(xa) + len(xb), compare=[a, b], test="mann-whitney-u", p_value=p,
                              dims={"prompt": "short"}, unit="ratio",
                              note=f"median {ma:.1f} vs {mb:.1f} tokens/s"))
        for m, adj in zip(out, holm([m.p_value for m in out]), strict=True):
            m.p_adjusted = adj
        return out

    def drilldown(self, item: ScoredSample) -> dict[str, Any]:
        c = item.sample.completion
        return {"request": item.sample.planned.item_id, "phase": item.sample.planned.phase,
                "ttft_s": c.ttft_s, "e2e_s": c.total_s, "output_tokens": c.completion_tokens,
                "tokens_per_s": output_tps(c)}
