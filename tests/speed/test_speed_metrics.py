"""Speed metrics computed from constructed samples with known timings."""

from __future__ import annotations

import math

import pytest

from tests.capability.helpers import ctx, info, sample
from weightwatch.probes.base import PlanContext, ScoreContext, SummaryContext
from weightwatch.probes.speed.probe import SpeedProbe, itls, load_data, output_tps, tpot
from weightwatch.types import Completion, ScoredSample


def test_plan_shapes() -> None:
    probe = SpeedProbe()
    emb = list(probe.plan(info(kind="embedded"), ctx("quick")))
    assert sum(1 for p in emb if p.variant == "short") == 3
    assert sum(1 for p in emb if p.variant == "long") == 3
    assert all(p.request.stream for p in emb if p.meta["kind"] == "latency")
    assert not any(p.phase.startswith("sweep") for p in emb)  # no sweep for in-process models
    assert {p.phase for p in emb} == {"speed"}
    # every repetition differs at the start, so no prompt cache can serve it
    assert len({p.request.messages[0].content for p in emb if p.meta["kind"] == "latency"}) == 6
    http = list(probe.plan(info(kind="openai"), ctx("quick")))
    sweep = [p for p in http if p.phase.startswith("sweep")]
    assert [int(p.phase[7:]) for p in sweep if p.item_id.endswith("-000")] == [1, 2, 4, 8, 16, 32]
    assert all(p.concurrency == int(p.phase[7:]) for p in sweep)
    assert sum(1 for p in sweep if p.concurrency == 32) == 64
    few = list(probe.plan(info(kind="openai"), PlanContext(size="quick", options={"speed_concurrency": "1,4"})))
    assert {p.phase for p in few if p.phase.startswith("sweep")} == {"sweep-c1", "sweep-c4"}


def test_in_process_model_with_a_batch_sweeps_single_stream_and_its_batch() -> None:
    probe = SpeedProbe()
    t = info(kind="embedded")
    t.fingerprint.extra["parallel_sequences"] = 4
    plan = list(probe.plan(t, ctx("quick")))
    sweep = [p for p in plan if p.phase.startswith("sweep")]
    assert {p.phase for p in sweep} == {"sweep-c1", "sweep-c4"}
    assert all(p.concurrency == int(p.phase[7:]) for p in sweep)
    assert sum(1 for p in sweep if p.concurrency == 4) == 4  # quick, in-process: one full batch
    assert sum(1 for p in sweep if p.concurrency == 1) == 4
    assert sum(1 for p in plan if p.variant == "short") == 3  # the single-stream latency set is kept
    assert all(p.concurrency == 1 for p in plan if p.phase == "speed")
    off = list(probe.plan(t, PlanContext(size="quick", options={"speed_sweep": "off"})))
    assert not any(p.phase.startswith("sweep") for p in off)


def test_long_prompt_is_about_ten_times_the_short_one() -> None:
    prompts = {p["id"]: p["text"] for p in load_data()["prompts"]}
    assert 8 < len(prompts["long"]) / len(prompts["short"]) < 14
    assert set(load_data()["tokenizer"]["passages"]) == {"en", "zh-Hans", "de", "ja"}


def test_timing_formulas() -> None:
    c = Completion(text="x", ttft_s=0.5, total_s=2.5, completion_tokens=21,
                   token_times_s=[0.5, 0.6, 0.8, 0.9])
    assert tpot(c) == pytest.approx(0.1)
    assert output_tps(c) == pytest.approx(10.0)
    assert itls(c) == pytest.approx([0.1, 0.2, 0.1])
    plain = Completion(text="x", total_s=2.0, completion_tokens=10)
    assert tpot(plain) is None
    assert output_tps(plain) == pytest.approx(5.0)


async def _summarize(rows_by_target: dict[str, list[tuple[object, Completion]]], kinds: dict[str, str],
                     ) -> tuple[dict[tuple[str | None, str, str], object], object]:
    probe = SpeedProbe()
    scored: dict[str, list[ScoredSample]] = {}
    for label, pairs in rows_by_target.items():
        samples = [sample(p, c, label=label, probe="speed") for p, c in pairs]  # type: ignore[arg-type]
        scores = await probe.score(samples, ScoreContext())
        scored[label] = [ScoredSample(sample=s, scores=[sc]) for s, sc in zip(samples, scores, strict=True)]
    res = probe.summarize(scored, SummaryContext(targets={k: info(k, kind=v) for k, v in kinds.items()}))
    table = {(m.target, m.name, "/".join(f"{k}={v}" for k, v in sorted(m.dims.items()))): m for m in res.metrics}
    return table, res  # type: ignore[return-value]


async def test_latency_and_tokenizer_metrics_from_known_timings() -> None:
    probe = SpeedProbe()
    t = info("m", kind="embedded")
    pairs = []
    for p in probe.plan(t, ctx("quick")):
        kind = p.meta["kind"]
        if kind == "latency":
            i = int(p.item_id[-2:])  # 0, 1, 2
            ttft = 0.1 * (i + 1) if p.variant == "short" else 1.0 * (i + 1)
            gap = 0.02  # 50 tokens/s after the first token
            n = 11
            times = [ttft + gap * k for k in range(n)]
            comp = Completion(text="x", ttft_s=ttft, total_s=times[-1], completion_tokens=n, token_times_s=times,
                              prompt_tokens=100 if p.variant == "short" else 1000)
        elif kind == "tokenizer":
            pt = {"overhead": 11}.get(p.variant, 10 + {"en": 100, "zh-Hans": 104, "de": 141, "ja": 139}.get(
                p.variant, 0))
            comp = Completion(text="", prompt_tokens=pt, completion_tokens=1, total_s=0.1)
        else:
            comp = Completion(text="x", ttft_s=5.0, total_s=9.0, completion_tokens=3, token_times_s=[5.0, 9.0])
        pairs.append((p, comp))
    m, res = await _summarize({"m": pairs}, {"m": "embedded"})
    assert m[("m", "ttft_s_p50", "prompt=short")].value == pytest.approx(0.2)  # warm-up excluded
    assert m[("m", "ttft_s_p50", "prompt=long")].value == pytest.approx(2.0)
    assert m[("m", "ttft_s_p90", "prompt=long")].value == pytest.approx(2.8)
    assert m[("m", "tpot_s", "prompt=short")].value == pytest.approx(0.02)
    assert m[("m", "itl_s_p99", "prompt=short")].value == pytest.approx(0.02)
    assert m[("m", "output_tokens_per_s", "prompt=short")].value == pytest.approx(50.0)
    assert m[("m", "e2e_latency_s_p50", "prompt=short")].value == pytest.approx(0.4)
    assert m[("m", "prefill_tokens_per_s", "prompt=long")].value == pytest.approx(500.0)
    en = m[("m", "tokens_per_1k_chars", "language=en")]
    passages = load_data()["tokenizer"]["passages"]
    assert en.value == pytest.approx(1000 * 100 / len(passages["en"]))  # 10 template tokens subtracted
    ja = m[("m", "tokens_per_1k_chars", "language=ja")]
    assert ja.value == pytest.approx(1000 * 139 / len(passages["ja"]))


async def test_sweep_requests_per_second_and_knee() -> None:
    probe = SpeedProbe()
    t = info("srv", kind="openai")
    pairs = []
    plan = [p for p in probe.plan(t, PlanContext(size="quick", options={"speed_concurrency": "1,2,4,8"}))
            if p.phase.startswith("sweep")]
    # level c: every request takes 1 s up to c=2, then latency c/2 s; all requests of a level run in waves
    base = 1000.0
    for c in (1, 2, 4, 8):
        reqs = [p for p in plan if p.concurrency == c]
        lat = 1.0 if c <= 2 else c / 2
        for i, p in enumerate(reqs):
            wave = i // c
            start = base + wave * lat
            comp = Completion(text="x", ttft_s=0.1, total_s=lat, completion_tokens=10,
                              raw={"started_at": start, "finished_at": start + lat})
            pairs.append((p, comp))
        base += 100
    m, res = await _summarize({"srv": pairs}, {"srv": "openai"})
    # c=4: 8 requests in 2 waves of 2 s each -> 4 s span -> 2 requests/s, 20 output tokens/s
    assert m[("srv", "requests_per_s", "concurrency=4")].value == pytest.approx(2.0)
    assert m[("srv", "throughput_tokens_per_s", "concurrency=4")].value == pytest.approx(20.0)
    assert m[("srv", "requests_per_s", "concurrency=1")].value == pytest.approx(1.0)
    knee = m[("srv", "latency_knee_concurrency", "")]
    assert knee.value == 4  # p50 2 s > 1.5 x 1 s
    # 20 tokens/s from c=2 on: the first level that reaches the peak is reported
    assert math.isclose(m[("srv", "peak_throughput_tokens_per_s", "concurrency=2")].value, 20.0)
    assert res.tables["sweep"]["srv"][0]["concurrency"] == 1
