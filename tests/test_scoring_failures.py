"""A scoring exception on one sample, or a summary exception in one probe, loses nothing else (probes/guard.py).

Real probes (sanity, censorship, and the plugin's sycophancy probe from tests/plugin) are patched to raise
on exactly one sample; every other sample must get the verdict an unpatched run gives it, be journaled, and
count in the summary; the one that raised is labelled "error" with the reason, counted in no rate, named in a
warning, and scored again by the next run of the same command."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from weightwatch import api
from weightwatch.engine.journal import Journal
from weightwatch.probes import registry
from weightwatch.probes.sanity import probe as sanity_probe
from weightwatch.types import ScoredSample

TARGETS = ["mock:echo", "mock:refuse"]
PLUGIN = Path(__file__).parent / "plugin"


def labels(out: api.RunOutcome, probe: str, scorer: str) -> dict[str, tuple[str | None, dict[str, Any]]]:
    """digest -> (label, details) of one scorer, read back from the journal."""
    rows = scored(out, probe)
    return {r.sample.key.digest(): ((s.label, s.details) if (s := r.score(scorer)) else (None, {})) for r in rows}


def scored(out: api.RunOutcome, probe: str) -> list[ScoredSample]:
    j = Journal(out.journal_path)
    try:
        return list(j.scored_samples(out.run_id, probe=probe))
    finally:
        j.close()


def metric(out: api.RunOutcome, probe: str, name: str, target: str, **dims: str) -> Any:
    [m] = [m for r in out.summary.results if r.probe == probe for m in r.metrics
           if m.name == name and m.target == target and m.dims == dims and not m.compare]
    return m


def raise_once_on(original: Callable[..., Any], bad: Callable[..., bool]) -> Callable[..., Any]:
    def patched(*args: Any, **kwargs: Any) -> Any:
        if bad(*args, **kwargs):
            raise ValueError("odd response\nsecond line not shown")
        return original(*args, **kwargs)
    return patched


def test_one_sample_raising_in_sanity_keeps_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = api.run(["sanity"], TARGETS, journal_file=tmp_path / "base.sqlite", config={})
    expected = labels(base, "sanity", "sanity.match")
    rows = scored(base, "sanity")
    victim = next(r for r in rows if r.sample.target_label == "mock:echo")
    bad_text = victim.sample.completion.text
    assert sum(r.sample.completion.text == bad_text for r in rows) == 1  # exactly one sample raises
    monkeypatch.setattr(sanity_probe, "is_correct",
                        raise_once_on(sanity_probe.is_correct, lambda text, accept: text == bad_text))

    jf = tmp_path / "j.sqlite"
    out = api.run(["sanity"], TARGETS, journal_file=jf, config={})
    got = labels(out, "sanity", "sanity.match")
    bad = victim.sample.key.digest()
    assert got[bad][0] == "error"
    assert got[bad][1]["scoring_error"] == "ValueError: odd response"
    assert {d: v[0] for d, v in got.items() if d != bad} == {d: v[0] for d, v in expected.items() if d != bad}
    # counted in no rate: one fewer sample in mock:echo's accuracy, mock:refuse's untouched
    before, after = metric(base, "sanity", "accuracy", "mock:echo"), metric(out, "sanity", "accuracy", "mock:echo")
    assert after.n == before.n - 1
    assert metric(out, "sanity", "accuracy", "mock:refuse") == metric(base, "sanity", "accuracy", "mock:refuse")
    [warning] = [w for w in out.summary.warnings if "could not be scored" in w]
    assert warning.startswith("sanity: 1 sample(s) could not be scored (ValueError: odd response)")
    assert f"weightwatch export {out.run_id}" in warning

    # the others' verdicts are journaled as final; the failed one is tried again by the next run
    j = Journal(jf)
    try:
        samples = j.samples(out.run_id, probe="sanity")
        assert [s.key.digest() for s in j.unscored(samples, "sanity", registry.get("sanity").version)] == [bad]
    finally:
        j.close()
    monkeypatch.undo()
    again = api.run(["sanity"], TARGETS, journal_file=jf, config={})
    assert {d: v[0] for d, v in labels(again, "sanity", "sanity.match").items()} == \
        {d: v[0] for d, v in expected.items()}
    assert not [w for w in again.summary.warnings if "could not be scored" in w]


def test_one_sample_raising_in_censorship_keeps_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from weightwatch.probes.censorship import scoring
    from weightwatch.probes.censorship.labels import RULES_SCORER, SCORER

    monkeypatch.setenv("WEIGHTWATCH_CENSORSHIP_HEAD", "0")  # rules and claims only: fast, and the same both runs
    opts = {"topics": ["tibet"], "languages": ["en"]}
    base = api.run(["censorship"], TARGETS, options=opts, journal_file=tmp_path / "base.sqlite", config={})
    expected = labels(base, "censorship", SCORER)
    rows = scored(base, "censorship")
    victim = next(r for r in rows if r.sample.target_label == "mock:echo")
    bad_text = victim.sample.completion.text
    assert sum(r.sample.completion.text == bad_text for r in rows) == 1
    original = scoring.judge_answer

    async def judge_answer(**kw: Any) -> Any:
        if kw["text"] == bad_text:
            raise KeyError("claim")
        return await original(**kw)

    monkeypatch.setattr(scoring, "judge_answer", judge_answer)
    out = api.run(["censorship"], TARGETS, options=opts, journal_file=tmp_path / "j.sqlite", config={})
    got = labels(out, "censorship", SCORER)
    bad = victim.sample.key.digest()
    assert got[bad][0] == "error" and got[bad][1]["scoring_error"] == "KeyError: 'claim'"
    assert {d: v[0] for d, v in got.items() if d != bad} == {d: v[0] for d, v in expected.items() if d != bad}
    assert all(v[0] is not None for d, v in labels(out, "censorship", RULES_SCORER).items() if d != bad)
    # the probe counts it as it counts failed requests: in error_rate, in no refusal / answer rate
    arm = victim.sample.planned.meta.get("arm", "sensitive")
    assert metric(out, "censorship", "error_rate", "mock:echo", arm=arm).value > 0
    assert metric(base, "censorship", "error_rate", "mock:echo", arm=arm).value == 0
    assert metric(out, "censorship", "refusal_rate", "mock:refuse", arm=arm) == \
        metric(base, "censorship", "refusal_rate", "mock:refuse", arm=arm)
    assert any(w.startswith("censorship: 1 sample(s) could not be scored (KeyError: 'claim')")
               for w in out.summary.warnings)


def _plugin(monkeypatch: pytest.MonkeyPatch) -> type:
    registry.available()  # the built-in probes first
    monkeypatch.syspath_prepend(str(PLUGIN))
    monkeypatch.setitem(registry._PROBES, "sycophancy", None)  # removed again after the test
    monkeypatch.delitem(sys.modules, "ww_demo_plugin.sycophancy", raising=False)
    from ww_demo_plugin.sycophancy import SycophancyProbe

    return SycophancyProbe


def test_plugin_probe_scoring_and_summary_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    probe_cls = _plugin(monkeypatch)
    original = probe_cls.score

    async def score(self: Any, samples: list[Any], ctx: Any) -> Any:
        if any(s.key.item_id == "planets" and s.key.variant == "pushback" and s.target_label == "mock:echo"
               and not s.completion.error for s in samples):
            raise RuntimeError("plugin bug")
        return await original(self, samples, ctx)

    monkeypatch.setattr(probe_cls, "score", score)
    out = api.run(["sycophancy", "sanity"], TARGETS, journal_file=tmp_path / "j.sqlite", config={})
    got = {(r.sample.target_label, r.sample.key.item_id, r.sample.key.variant): r.score("sycophancy.match")
           for r in scored(out, "sycophancy")}
    assert len(got) == 16 and all(s is not None for s in got.values())
    failed = {k: s for k, s in got.items() if s is not None and s.label == "error"}
    assert list(failed) == [("mock:echo", "planets", "pushback")]
    assert failed["mock:echo", "planets", "pushback"].details["scoring_error"] == "RuntimeError: plugin bug"
    assert metric(out, "sycophancy", "caved_rate", "mock:echo").n == 3  # of 4 pushbacks, 1 unscored
    assert metric(out, "sycophancy", "caved_rate", "mock:refuse").n == 4

    # a summary that raises loses only its own probe's results
    def broken(self: Any, scored: Any, ctx: Any) -> Any:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(probe_cls, "summarize", broken)
    out = api.run(["sycophancy", "sanity"], TARGETS, journal_file=tmp_path / "j.sqlite", config={})
    syc = next(r for r in out.summary.results if r.probe == "sycophancy")
    assert syc.error == "ZeroDivisionError: division by zero" and not syc.metrics
    assert syc.headlines == list(probe_cls.headlines)
    assert "could not be summarized (ZeroDivisionError: division by zero)" in syc.warnings[0]
    assert metric(out, "sanity", "accuracy", "mock:echo").n > 0  # the other probe is whole
    j = Journal(tmp_path / "j.sqlite")
    try:
        assert j.summary(out.run_id).results == out.summary.results  # the run finished and stored its summary
    finally:
        j.close()


def test_cli_exits_1_when_a_summary_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from weightwatch.cli import app

    def broken(self: Any, scored: Any, ctx: Any) -> Any:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(sanity_probe.SanityProbe, "summarize", broken)
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    res = CliRunner().invoke(app, ["run", "sanity", "speed", "-t", "mock:echo"])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert "error: no results for sanity (ZeroDivisionError: division by zero)" in res.output
    assert "speed" in res.output  # the other probe's results are shown


def _ww(*args: str, home: Path) -> Any:
    import os
    import subprocess

    src = str(Path(__file__).resolve().parents[1] / "src")
    env = dict(os.environ, WEIGHTWATCH_HOME=str(home), NO_COLOR="1", COLUMNS="200",
               PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    return subprocess.run([sys.executable, "-m", "weightwatch", *args], capture_output=True, text=True, env=env,
                          cwd=home, timeout=300)


def test_scoring_errors_in_export_report_and_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sample whose scoring raised was exported as `status: scored` (its error only inside `scores`), counted
    nowhere in the targets' summary, and timed by the speed probe. It is now `scoring_error` with its reason
    in `error` in every export format (the real CLI), counted in the target's `scoring_errors` (JSON and HTML
    reports), and left out of the speed timings with a warning saying how many."""
    import csv
    import json

    from weightwatch.probes.speed.probe import SpeedProbe

    home = tmp_path / "home"
    home.mkdir()
    base = api.run(["sanity", "speed"], ["mock:echo"], journal_file=tmp_path / "base.sqlite", config={})
    rows = scored(base, "sanity")
    victim = rows[0].sample
    monkeypatch.setattr(sanity_probe, "is_correct", raise_once_on(
        sanity_probe.is_correct, lambda text, accept: text == victim.completion.text))
    assert sum(r.sample.completion.text == victim.completion.text for r in rows) == 1
    [slow] = [r.sample for r in scored(base, "speed") if r.sample.planned.meta.get("kind") == "latency"
              and r.sample.planned.variant == "short" and r.sample.key.sample_index == 0
              and r.sample.key.item_id == min(x.sample.key.item_id for x in scored(base, "speed")
                                              if x.sample.planned.meta.get("kind") == "latency"
                                              and x.sample.planned.variant == "short")]
    original = SpeedProbe.score

    async def score(self: Any, samples: list[Any], ctx: Any) -> Any:
        if any(s.key.digest() == slow.key.digest() and not s.completion.error for s in samples):
            raise ZeroDivisionError("odd timings")
        return await original(self, samples, ctx)

    monkeypatch.setattr(SpeedProbe, "score", score)
    out = api.run(["sanity", "speed"], ["mock:echo"], journal_file=home / "journal.sqlite", config={})
    [target] = out.summary.targets
    assert (target.errors, target.scoring_errors) == (0, 2)
    short = {"prompt": "short"}
    before = metric(base, "speed", "e2e_latency_s_p50", "mock:echo", **short)
    after = metric(out, "speed", "e2e_latency_s_p50", "mock:echo", **short)
    assert after.n == before.n - 1
    [warning] = [w for r in out.summary.results if r.probe == "speed" for w in r.warnings if "excluded" in w]
    assert warning == "mock:echo: 1 speed sample(s) could not be scored and are excluded from the timings"

    failed = {victim.key.digest(): "scoring failed: ValueError: odd response",
              slow.key.digest(): "scoring failed: ZeroDivisionError: odd timings"}
    import importlib.util

    parquet = ("parquet",) if importlib.util.find_spec("pyarrow") else ()  # the optional extra
    for fmt in ("jsonl", "csv", *parquet):
        done = _ww("export", out.run_id, "-o", f"x.{fmt}", home=home)
        assert done.returncode == 0, done.stderr
        if fmt == "jsonl":
            recs = [json.loads(x) for x in (home / "x.jsonl").read_text().splitlines()]
        elif fmt == "csv":
            with (home / "x.csv").open(newline="") as fh:
                recs = list(csv.DictReader(fh))
        else:
            import pyarrow.parquet as pq

            recs = pq.read_table(home / "x.parquet").to_pylist()
        got = {r["digest"]: r["error"] for r in recs if r["status"] == "scoring_error"}
        assert got == failed, fmt
        assert {r["status"] for r in recs if r["digest"] not in failed} == {"scored"}, fmt
        assert all(not r["error"] for r in recs if r["digest"] not in failed), fmt
    report = _ww("report", out.run_id, "-f", "json", home=home)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["targets"][0]["scoring_errors"] == 2
    html = _ww("report", out.run_id, "-o", "r.html", home=home)
    assert html.returncode == 0, html.stderr
    assert "(2 could not be scored)" in (home / "r.html").read_text()
