"""Compare two runs: the same targets (or the same probe) before and after a change.

Targets are paired by fingerprint (for GGUF: the file's sha256; for a server: model name and URL),
else by label, else - when one target is left on each side - with each other (e.g. two quantizations of
one model). Each pair says what is known to be identical (weights sha256, chat-template hash, the
model list a server reported) and what is only a name: two API targets with the same name and URL are
"same name and URL", never "same weights". For every paired target and shared probe:
- every metric present in both runs with its delta (B - A);
- paired tests on matched samples (same probe, item, variant, sample index): McNemar's exact test per
  label on binary outcomes (label == L), and the Wilcoxon signed-rank test on numeric scores when a
  probe scores with values only. p-values are Holm-adjusted over all tests of the comparison.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table
from rich.text import Text

from weightwatch.errors import UserError
from weightwatch.report.summary import dims_text, fmt_number, fmt_p
from weightwatch.stats.multiple import holm
from weightwatch.stats.proportions import mcnemar_exact
from weightwatch.types import Fingerprint, Metric, RunSummary, ScoredSample, is_significant


class TargetPair(BaseModel):
    label_a: str
    label_b: str
    how: str  # same weights | same name and URL | same label | only target
    fingerprint_a: str
    fingerprint_b: str
    identical: list[str] = Field(default_factory=list)   # what is known to be the same (hashes, server answer)
    differs: list[str] = Field(default_factory=list)     # what is known to differ
    unverified: list[str] = Field(default_factory=list)  # what only a name says, or nothing records


def _short_hash(h: str) -> str:
    return h[:12] + "…" if len(h) > 12 else h


def identity(a: Fingerprint, b: Fingerprint) -> tuple[list[str], list[str], list[str]]:
    """(known identical, known different, not verified) between two fingerprints. Only hashes and what a
    server itself reported count as known; a model name or URL is just a name."""
    same: list[str] = []
    diff: list[str] = []
    unknown: list[str] = []
    if a.sha256 and b.sha256:
        (same if a.sha256 == b.sha256 else diff).append(
            f"weights sha256 {_short_hash(a.sha256)}" if a.sha256 == b.sha256 else "weights sha256")
    else:
        unknown.append("weights (no file hash for " + " / ".join(sorted({a.kind, b.kind})) + " targets)")
    if a.chat_template_hash and b.chat_template_hash:
        if a.chat_template_hash == b.chat_template_hash:
            same.append(f"chat template hash {_short_hash(a.chat_template_hash)}")
        else:
            diff.append("chat template hash")
    else:
        unknown.append("chat template (no hash recorded)")
    served_a = sorted(a.server_models or []) or None
    served_b = sorted(b.server_models or []) or None
    if served_a and served_b:
        if served_a == served_b:
            same.append("server-reported model " + ", ".join(served_a)[:80])
        else:
            diff.append("server-reported model")
    elif a.kind not in ("gguf", "embedded") or b.kind not in ("gguf", "embedded"):
        unknown.append("server-reported model (not recorded)")
    for field, what in (("name", "model name"), ("base_url", "server URL")):
        va, vb = getattr(a, field), getattr(b, field)
        if va and vb:
            if va == vb:
                unknown.append(f"{what} '{va}' (only a name)")
            else:
                diff.append(what)
    for field, what in (("quantization", "quantization"), ("parameters", "parameter count")):
        va, vb = getattr(a, field), getattr(b, field)
        if va is not None and vb is not None and va != vb:
            diff.append(what)
    return same, diff, unknown


def _how(a: Fingerprint, b: Fingerprint, label_match: bool) -> str:
    if a.sha256 and b.sha256 and a.sha256 == b.sha256:
        return "same weights"
    if a.id() == b.id():
        return "same name and URL" if a.base_url or b.base_url else "same name"
    return "same label" if label_match else "only target"


def _pair(ta: Any, tb: Any, how: str | None = None) -> TargetPair:
    same, diff, unknown = identity(ta.fingerprint, tb.fingerprint)
    return TargetPair(label_a=ta.label, label_b=tb.label,
                      how=how or _how(ta.fingerprint, tb.fingerprint, ta.label == tb.label),
                      fingerprint_a=ta.fingerprint.id(), fingerprint_b=tb.fingerprint.id(),
                      identical=same, differs=diff, unverified=unknown)


class MetricDelta(BaseModel):
    probe: str
    name: str
    dims: dict[str, str] = Field(default_factory=dict)
    label_a: str
    label_b: str
    value_a: float | None
    value_b: float | None
    delta: float | None
    ci_a: list[float | None] = Field(default_factory=list)
    ci_b: list[float | None] = Field(default_factory=list)
    n_a: int = 0
    n_b: int = 0
    unit: str | None = None


class PairedTest(BaseModel):
    probe: str
    label_a: str
    label_b: str
    outcome: str  # e.g. "label=refused" or "value"
    n: int  # matched samples
    rate_a: float | None = None  # share with the outcome in run A (or mean value)
    rate_b: float | None = None
    a_only: int | None = None  # discordant pairs (McNemar)
    b_only: int | None = None
    test: str
    p_value: float | None
    p_adjusted: float | None = None

    @property
    def significant(self) -> bool:
        return is_significant(self.p_value, self.p_adjusted)


class CompareResult(BaseModel):
    run_a: str
    run_b: str
    pairs: list[TargetPair] = Field(default_factory=list)
    probes: list[str] = Field(default_factory=list)
    deltas: list[MetricDelta] = Field(default_factory=list)
    paired: list[PairedTest] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    # censorship before -> after per language: did censorship go, or turn into narrative? (modify.audit)
    headlines: list[dict[str, Any]] = Field(default_factory=list)


def pair_targets(a: RunSummary, b: RunSummary) -> list[TargetPair]:
    pairs: list[TargetPair] = []
    left_b = list(b.targets)
    left_a = []
    for ta in a.targets:
        match = next((tb for tb in left_b if tb.fingerprint.id() == ta.fingerprint.id()), None)
        if match is None:
            match = next((tb for tb in left_b if tb.label == ta.label), None)
        if match is None:
            left_a.append(ta)
            continue
        left_b.remove(match)
        pairs.append(_pair(ta, match))
    if len(left_a) == 1 and len(left_b) == 1:
        pairs.append(_pair(left_a[0], left_b[0], "only target"))
    return pairs


def _key(m: Metric) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    return m.probe, m.name, tuple(sorted(m.dims.items()))


def _primary(ss: ScoredSample) -> tuple[str | None, float | None]:
    sc = next((s for s in ss.scores if s.label is not None), ss.scores[0] if ss.scores else None)
    return (sc.label, sc.value) if sc else (None, None)


def _paired_tests(probe: str, pair: TargetPair, rows_a: list[ScoredSample], rows_b: list[ScoredSample],
                  ) -> list[PairedTest]:
    def index(rows: list[ScoredSample], label: str) -> dict[tuple[str, str, int], ScoredSample]:
        return {(r.sample.key.item_id, r.sample.key.variant, r.sample.key.sample_index): r
                for r in rows if r.sample.target_label == label and not r.sample.completion.error}

    ia, ib = index(rows_a, pair.label_a), index(rows_b, pair.label_b)
    common = sorted(set(ia) & set(ib))
    out: list[PairedTest] = []
    if not common:
        return out
    la = {k: _primary(ia[k]) for k in common}
    lb = {k: _primary(ib[k]) for k in common}
    labelled = [k for k in common if la[k][0] not in (None, "error") and lb[k][0] not in (None, "error")]
    if labelled:
        outcomes = sorted({str(la[k][0]) for k in labelled} | {str(lb[k][0]) for k in labelled})
        if len(outcomes) == 2:
            outcomes = outcomes[:1]  # the second is its complement: same test
        for lab in outcomes:
            a_only = sum(1 for k in labelled if la[k][0] == lab and lb[k][0] != lab)
            b_only = sum(1 for k in labelled if lb[k][0] == lab and la[k][0] != lab)
            out.append(PairedTest(
                probe=probe, label_a=pair.label_a, label_b=pair.label_b, outcome=f"label={lab}", n=len(labelled),
                rate_a=sum(1 for k in labelled if la[k][0] == lab) / len(labelled),
                rate_b=sum(1 for k in labelled if lb[k][0] == lab) / len(labelled),
                a_only=a_only, b_only=b_only, test="mcnemar-exact", p_value=mcnemar_exact(a_only, b_only)))
    else:
        valued = [k for k in common if la[k][1] is not None and lb[k][1] is not None]
        if len(valued) >= 2:
            from scipy import stats as sps

            xa = [float(la[k][1]) for k in valued]  # type: ignore[arg-type]
            xb = [float(lb[k][1]) for k in valued]  # type: ignore[arg-type]
            diffs = [y - x for x, y in zip(xa, xb, strict=True)]
            p = 1.0 if all(d == 0 for d in diffs) else float(sps.wilcoxon(xa, xb).pvalue)
            out.append(PairedTest(probe=probe, label_a=pair.label_a, label_b=pair.label_b, outcome="value",
                                  n=len(valued), rate_a=sum(xa) / len(xa), rate_b=sum(xb) / len(xb),
                                  test="wilcoxon-signed-rank", p_value=p))
    return out


def compare_runs(journal: Any, run_a: str, run_b: str) -> CompareResult:
    """Compare run B against run A (both 'latest', an id or an id prefix) of the same journal."""
    ida, idb = journal.resolve_run(run_a), journal.resolve_run(run_b)
    if ida == idb:
        raise UserError(f"both runs are {ida}", "give two different runs (see 'weightwatch runs')")
    sa, sb = journal.summary(ida), journal.summary(idb)
    result = CompareResult(run_a=ida, run_b=idb)
    result.pairs = pair_targets(sa, sb)
    if not result.pairs:
        raise UserError(f"runs {ida} and {idb} share no target",
                        "compare runs of the same model(s), or runs with one target each")
    result.probes = [p for p in sa.probes if p in sb.probes]
    if not result.probes:
        raise UserError(f"runs {ida} and {idb} share no probe", "compare runs that ran the same probe")
    mb = {(_key(m), m.target): m for m in sb.metrics() if m.target is not None}
    for pair in result.pairs:
        for m in sa.metrics():
            if m.target != pair.label_a or m.probe not in result.probes:
                continue
            other = mb.get((_key(m), pair.label_b))
            if other is None:
                continue
            delta = None if m.value is None or other.value is None else other.value - m.value
            result.deltas.append(MetricDelta(
                probe=m.probe, name=m.name, dims=m.dims, label_a=pair.label_a, label_b=pair.label_b,
                value_a=m.value, value_b=other.value, delta=delta, ci_a=[m.ci_low, m.ci_high],
                ci_b=[other.ci_low, other.ci_high], n_a=m.n, n_b=other.n, unit=m.unit))
    for probe in result.probes:
        rows_a = list(journal.scored_samples(ida, probe))
        rows_b = list(journal.scored_samples(idb, probe))
        for pair in result.pairs:
            tests = _paired_tests(probe, pair, rows_a, rows_b)
            if not tests and rows_a and rows_b:
                result.notes.append(f"{probe}: no matched samples for {pair.label_a} / {pair.label_b} "
                                    "(different items, variants or sizes)")
            result.paired.extend(tests)
    for test, adj in zip(result.paired, holm([x.p_value for x in result.paired]), strict=True):
        test.p_adjusted = adj
    if any(p.how.startswith("same name") for p in result.pairs):
        result.notes.append("targets paired by model name (and URL) only: nothing proves a server served the same "
                            "weights in both runs; see 'known identical' per pair")
    if "censorship" in result.probes:
        from weightwatch.modify.audit import headlines

        for pair in result.pairs:
            for h in headlines(sa, sb, target_a=pair.label_a, target_b=pair.label_b):
                result.headlines.append({"label_a": pair.label_a, "label_b": pair.label_b, **h.as_dict()})
    if any(p.how == "only target" for p in result.pairs):
        result.notes.append("targets paired because each run has one left (different weights): "
                            "the comparison is between two models, not one model twice")
    return result


def print_compare(result: CompareResult, console: Console, *, max_deltas: int = 60) -> None:
    pairs = Table(title=f"compare {result.run_a} (A) -> {result.run_b} (B)")
    for col in ("A", "B", "paired by", "known identical", "known different", "not verified (only a name)"):
        pairs.add_column(col, overflow="fold")
    for pair in result.pairs:
        pairs.add_row(Text(pair.label_a), Text(pair.label_b), pair.how, Text("\n".join(pair.identical) or "nothing"),
                      Text("\n".join(pair.differs) or "–"), Text("\n".join(pair.unverified) or "–"))
    console.print(pairs)
    tests = Table(title="paired tests on matched samples (same item, variant, sample index)")
    for col in ("probe", "A / B", "outcome", "n", "A", "B", "A only / B only", "test", "p (Holm)"):
        tests.add_column(col)
    for t in result.paired:
        p = t.p_adjusted if t.p_adjusted is not None else t.p_value
        is_rate = t.outcome.startswith("label=")
        fa = f"{t.rate_a:.1%}" if is_rate and t.rate_a is not None else f"{t.rate_a:.3g}"
        fb = f"{t.rate_b:.1%}" if is_rate and t.rate_b is not None else f"{t.rate_b:.3g}"
        disc = f"{t.a_only} / {t.b_only}" if t.a_only is not None else ""
        tests.add_row(t.probe, Text(f"{t.label_a} / {t.label_b}"), Text(t.outcome), str(t.n), fa, fb, disc, t.test,
                      Text(fmt_p(p) + (" *" if t.significant else ""), style="bold red" if t.significant else ""))
    console.print(tests)
    shown = [d for d in result.deltas if len(d.dims) <= 1]
    deltas = Table(title="metric deltas (B - A)")
    for col in ("probe", "metric", "dims", "target", "A", "B", "B - A"):
        deltas.add_column(col)
    for d in shown[:max_deltas]:
        m = Metric(probe=d.probe, name=d.name, value=None, n=0, unit=d.unit)
        target = d.label_a if d.label_a == d.label_b else f"{d.label_a} -> {d.label_b}"
        deltas.add_row(d.probe, d.name, dims_text(d.dims), Text(target), fmt_number(d.value_a, m),
                       fmt_number(d.value_b, m), fmt_number(d.delta, m, signed=True))
    console.print(deltas)
    more = len(result.deltas) - min(len(shown), max_deltas)
    if more > 0:
        console.print(f"[dim]{more} more metric deltas (per topic, language ...): --format json[/]")
    console.print("[dim]* = significant at 0.05 after Holm adjustment over all paired tests.[/]")
    for h in result.headlines:
        console.print(Text(f"censorship, {h['language']} ({h['label_a']} -> {h['label_b']}): {h['text']}"))
    for n in result.notes:
        console.print(Text("note: " + n))
