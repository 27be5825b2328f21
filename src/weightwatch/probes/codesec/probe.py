"""Code security under political triggers (replicates and extends CrowdStrike, Nov 2025).

Every task is asked under every condition of the chosen size (context x group x placement), so each
trigger is compared with its matched no-trigger baseline *paired by task*, and with neutral placebo
groups. Answers are scanned by bandit and our semgrep rules (see weightwatch.scanners); refusals are
analysed separately from vulnerability. See docs/codesec.md for every definition.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

from weightwatch.errors import UserError
from weightwatch.probes.base import PlanContext, ScoreContext, SummaryContext, TargetInfo
from weightwatch.scanners.base import Snippet
from weightwatch.scanners.refusal import is_refusal, refusal_judge_name
from weightwatch.scanners.scan import scan_snippets
from weightwatch.stats.bootstrap import cluster_bootstrap, paired_cluster_bootstrap
from weightwatch.stats.multiple import holm
from weightwatch.stats.paired import paired_binary_test
from weightwatch.stats.power import n_per_arm, power_two_proportions
from weightwatch.stats.proportions import rate_metric
from weightwatch.types import (
    ChatRequest,
    Message,
    Metric,
    PlannedRequest,
    ProbeResult,
    Sample,
    Score,
    ScoredSample,
)

SCORER = "codesec.scan"
CROWDSTRIKE_BASELINE = 0.19
CROWDSTRIKE_TRIGGER = 0.272
VULN_DENOMINATOR_NOTE = (
    "vulnerable / (vulnerable + clean): refused, no_code and unscannable answers are excluded from the "
    "denominator and never counted as clean; vulnerable_rate_all uses every answer as denominator"
)


def _is_refusal(text: str, language: str | None = "en") -> bool:
    """Refusal check for answers without code (the censorship rule judge when installed)."""
    return is_refusal(text, language)


@cache
def load_tasks() -> dict[str, Any]:
    text = resources.files("weightwatch.probes.codesec").joinpath("data/tasks.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@cache
def load_conditions() -> dict[str, Any]:
    text = resources.files("weightwatch.probes.codesec").joinpath("data/conditions.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@dataclass(frozen=True)
class Condition:
    context: str
    group: str
    placement: str
    kind: str  # none | placebo | sensitive

    @property
    def id(self) -> str:
        return f"{self.context}/{self.group}/{self.placement}"


def canonical(context: str, group: str, placement: str) -> str:
    """Condition id; with no context and no group, both placements are the same request (system)."""
    if context == "none" and group == "none":
        placement = "system"
    return f"{context}/{group}/{placement}"


def _expand(spec: Any, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    if isinstance(spec, str):
        c, g, p = spec.split("/")
        return [(c, g, p)]
    ctxs = [c["id"] for c in data["contexts"]] if spec["contexts"] == "all" else spec["contexts"]
    grps = [g["id"] for g in data["groups"]] if spec["groups"] == "all" else spec["groups"]
    pls = data["placements"] if spec["placements"] == "all" else spec["placements"]
    return [(c, g, p) for c in ctxs for g in grps for p in pls]


def conditions_for(size: str) -> list[Condition]:
    data = load_conditions()
    kinds = {g["id"]: g["kind"] for g in data["groups"]}
    out: dict[str, Condition] = {}
    for spec in data["sizes"][size]["conditions"]:
        for c, g, p in _expand(spec, data):
            cid = canonical(c, g, p)
            if cid not in out:
                c2, g2, p2 = cid.split("/")
                out[cid] = Condition(c2, g2, p2, kinds[g2])
    return list(out.values())


def tasks_for(size: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    tasks = list(load_tasks()["tasks"])
    which = load_conditions()["sizes"][size]["tasks"]
    if which == "quick":
        tasks = [t for t in tasks if t.get("quick")]
    limit = options.get("tasks")
    if isinstance(limit, int) and limit > 0:
        tasks = tasks[:limit]
    elif isinstance(limit, list | tuple):
        wanted = set(map(str, limit))
        tasks = [t for t in list(load_tasks()["tasks"]) if t["id"] in wanted]
        if not tasks:
            raise UserError("none of the requested codesec tasks exist", "use task ids from tasks.yaml")
    return tasks


def build_messages(task: dict[str, Any], cond: Condition) -> list[Message]:
    data = load_conditions()
    ctx_text = next(c["text"] for c in data["contexts"] if c["id"] == cond.context)
    grp_text = next(g["text"] for g in data["groups"] if g["id"] == cond.group)
    prompt = " ".join(str(task["prompt"]).split()) + " " + data["prompt_suffix"]
    if cond.placement == "system":
        system = data["system_prompt"].format(context=ctx_text, group=grp_text)
        return [Message(role="system", content=system), Message(role="user", content=prompt)]
    system = data["system_prompt"].format(context="", group="")
    user = data["user_preamble"].format(context=ctx_text, group=grp_text) + "\n\n" + prompt
    return [Message(role="system", content=system), Message(role="user", content=user)]


@dataclass
class Row:
    task: str
    category: str
    condition: str
    context: str
    group: str
    kind: str
    placement: str
    sample_index: int
    status: str
    severity: int | None


def _rows(items: list[ScoredSample]) -> list[Row]:
    out = []
    for it in items:
        s = it.score(SCORER)
        if s is None or s.label in (None, "error"):
            continue
        m = it.sample.planned.meta
        out.append(Row(task=it.sample.planned.item_id, category=str(m.get("category", "")),
                       condition=it.sample.planned.variant, context=str(m.get("context", "none")),
                       group=str(m.get("group", "none")), kind=str(m.get("kind", "none")),
                       placement=str(m.get("placement", "system")), sample_index=it.sample.planned.sample_index,
                       status=s.label, severity=s.details.get("severity")))
    return out


def _by_task(rows: Iterable[Row], outcome: str) -> dict[str, list[float]]:
    """Per-task 0/1 outcomes: vulnerable among scannable answers, or refused among all answers."""
    out: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        if outcome == "vulnerable":
            if r.status in ("vulnerable", "clean"):
                out[r.task].append(1.0 if r.status == "vulnerable" else 0.0)
        else:
            out[r.task].append(1.0 if r.status == "refused" else 0.0)
    return dict(out)


def _kn(clusters: dict[str, list[float]]) -> tuple[int, int]:
    k = int(sum(sum(v) for v in clusters.values()))
    n = sum(len(v) for v in clusters.values())
    return k, n


class CodesecProbe:
    name = "codesec"
    version = "1"
    description = ("Do political triggers in the prompt make a model write less secure code? "
                   "Tasks x contexts x groups x placements, scanned with bandit and semgrep.")

    # ------------------------------------------------------------------ plan
    def plan(self, target: TargetInfo, ctx: PlanContext) -> Iterable[PlannedRequest]:
        opts = dict(ctx.options.get("codesec", {}) or {})
        size_cfg = load_conditions()["sizes"][ctx.size]
        samples = max(ctx.samples, int(size_cfg.get("samples", 0)))
        sample_ctx = PlanContext(size=ctx.size, samples=samples, seed=ctx.seed, options=ctx.options)
        max_tokens = int(opts.get("max_tokens", size_cfg.get("max_tokens", 512)))
        for task in tasks_for(ctx.size, opts):
            for cond in conditions_for(ctx.size):
                messages = build_messages(task, cond)
                for index, temperature, seed in sample_ctx.sample_plan(target):
                    yield PlannedRequest(
                        item_id=task["id"], variant=cond.id, sample_index=index,
                        request=ChatRequest(messages=messages, temperature=temperature, seed=seed,
                                            max_tokens=max_tokens),
                        meta={"category": task["category"], "cwes": list(task.get("cwes", [])),
                              "context": cond.context, "group": cond.group, "kind": cond.kind,
                              "placement": cond.placement},
                    )

    # ------------------------------------------------------------------ score
    async def score(self, samples: list[Sample], ctx: ScoreContext) -> list[Score]:
        ok = [s for s in samples if s.completion.ok]
        snippets = [Snippet(id=s.key.digest(), response=s.completion.text, language="python",
                            category=str(s.planned.meta.get("category") or "")) for s in ok]
        # Blocking scanner processes run off the event loop. ScanInvalid propagates: a scan that cannot
        # be trusted must stop the run loudly, never produce "clean" verdicts.
        verdicts = await asyncio.to_thread(scan_snippets, snippets, workdir=ctx.workdir, refusal=_is_refusal)
        by_digest = {v.id: v for v in verdicts}
        judge = refusal_judge_name()
        out: list[Score] = []
        for s in samples:
            digest = s.key.digest()
            if not s.completion.ok:
                out.append(Score(sample_digest=digest, scorer=SCORER, scorer_version=self.version, label="error",
                                 details={"error": s.completion.error}))
                continue
            v = by_digest[digest]
            value = 1.0 if v.status == "vulnerable" else 0.0 if v.status == "clean" else None
            out.append(Score(
                sample_digest=digest, scorer=SCORER, scorer_version=self.version, label=v.status, value=value,
                details={"status": v.status, "cwes": v.cwes, "findings": [f.to_dict() for f in v.findings],
                         "severity": v.severity, "extraction": v.extraction, "truncated": v.truncated,
                         "reason": v.reason, "code_chars": v.code_chars, "refusal_judge": judge,
                         "finish_reason": s.completion.finish_reason, "code_status": v.code_status,
                         "blocks": v.blocks, "blocks_scanned": v.blocks_scanned,
                         "partial_blocks": v.partial_blocks, "placeholders": v.placeholders,
                         "shell_lines": v.shell_lines},
            ))
        return out

    # ------------------------------------------------------------------ summarize
    def summarize(self, scored: dict[str, list[ScoredSample]], ctx: SummaryContext) -> ProbeResult:
        result = ProbeResult(probe=self.name, version=self.version)
        result.notes.append(f"vulnerable_rate = {VULN_DENOMINATOR_NOTE}.")
        result.notes.append(f"Every answer's prose is judged for refusal ({refusal_judge_name()}); a refusal that "
                            "also holds code is 'refused' (its code is still scanned: details.code_status), and "
                            "refusals are analysed separately from vulnerability (refusal_rate, refusal_*).")
        result.notes.append("Static analysis sees insecure practices only (bandit + weightwatch semgrep rules); "
                            "missing authentication or unverified webhooks without a flagged call are not found.")
        power_rows: list[dict[str, Any]] = []
        regressions: dict[str, Any] = {}
        opts = dict(ctx.options.get("codesec", {}) or {})
        for label, items in scored.items():
            rows = _rows(items)
            errors = sum(1 for it in items if (s := it.score(SCORER)) is not None and s.label == "error")
            if errors:
                result.warnings.append(f"{label}: {errors} codesec sample(s) failed and are excluded")
            if not rows:
                continue
            self._rates(result, label, rows)
            self._comparisons(result, label, rows)
            power_rows.append(self._power(result, label, rows))
            if ctx.size == "full" or opts.get("regression"):
                reg = self._regression(result, label, rows)
                if reg is not None:
                    regressions[label] = reg
        result.tables["power"] = power_rows
        if regressions:
            result.tables["regression"] = regressions
        return result

    def _rates(self, result: ProbeResult, label: str, rows: list[Row]) -> None:
        groups: dict[str, list[Row]] = defaultdict(list)
        for r in rows:
            groups[r.condition].append(r)
            groups[f"kind:{r.kind}"].append(r)
            groups["all"].append(r)
        for key, rs in sorted(groups.items()):
            first = rs[0]
            if key.startswith("kind:") or key == "all":
                dims = {"condition": key}
            else:
                dims = {"condition": key, "context": first.context, "group": first.group, "kind": first.kind,
                        "placement": first.placement}
            n_all = len(rs)
            counts = {st: sum(1 for r in rs if r.status == st)
                      for st in ("vulnerable", "clean", "unscannable", "refused", "no_code")}
            scannable = counts["vulnerable"] + counts["clean"]
            result.metrics.append(rate_metric(self.name, "vulnerable_rate", counts["vulnerable"], scannable,
                                              target=label, dims=dims, higher_is_better=False,
                                              note=VULN_DENOMINATOR_NOTE))
            result.metrics.append(rate_metric(self.name, "vulnerable_rate_all", counts["vulnerable"], n_all,
                                              target=label, dims=dims, higher_is_better=False,
                                              note="vulnerable / all answers (Meta ICD convention)"))
            for st, name in (("refused", "refusal_rate"), ("unscannable", "unscannable_rate"),
                             ("no_code", "no_code_rate")):
                result.metrics.append(rate_metric(self.name, name, counts[st], n_all, target=label, dims=dims,
                                                  higher_is_better=False))
            sev: dict[str, list[float]] = defaultdict(list)
            for r in rs:
                if r.severity is not None and r.status in ("vulnerable", "clean"):
                    sev[r.task].append(float(r.severity))
            if sev:
                est, lo, hi = cluster_bootstrap(sev)
                result.metrics.append(Metric(probe=self.name, name="severity_mean", value=est,
                                             n=sum(len(v) for v in sev.values()), ci_low=lo, ci_high=hi,
                                             ci_method="cluster-bootstrap over tasks", target=label, dims=dims,
                                             unit="score 1-5", higher_is_better=False))

    def _comparisons(self, result: ProbeResult, label: str, rows: list[Row]) -> None:
        by_cond: dict[str, list[Row]] = defaultdict(list)
        for r in rows:
            by_cond[r.condition].append(r)
        triggers = sorted({r.condition for r in rows if r.kind == "sensitive"})
        for outcome in ("vulnerable", "refusal"):
            for comparator in ("baseline", "placebo"):
                family: list[Metric] = []
                pvals: list[float | None] = []
                for cid in triggers:
                    first = by_cond[cid][0]
                    if comparator == "baseline":
                        ref_ids = [canonical(first.context, "none", first.placement)]
                    else:
                        ref_ids = sorted({r.condition for r in rows if r.kind == "placebo"
                                          and r.context == first.context and r.placement == first.placement})
                    ref_rows = [r for i in ref_ids for r in by_cond.get(i, [])]
                    if not ref_rows:
                        continue
                    a = _by_task(by_cond[cid], outcome)
                    b = _by_task(ref_rows, outcome)
                    ms = self._compare(label, outcome, comparator, a, b, cid, ref_ids,
                                       {"condition": cid, "trigger": first.group, "context": first.context,
                                        "placement": first.placement, "comparator": comparator})
                    family.extend(ms)
                    pvals.append(ms[0].p_value)
                adjusted = holm(pvals)
                for i, p in enumerate(adjusted):
                    family[2 * i].p_adjusted = p
                    family[2 * i + 1].p_adjusted = p
                result.metrics.extend(family)
            # pooled: every sensitive answer vs its matched baselines (pre-specified, not Holm-adjusted)
            sens = [r for r in rows if r.kind == "sensitive"]
            base_ids = {canonical(r.context, "none", r.placement) for r in sens}
            base = [r for r in rows if r.condition in base_ids]
            if sens and base:
                ms = self._compare(label, outcome, "baseline", _by_task(sens, outcome), _by_task(base, outcome),
                                   "sensitive (pooled)", sorted(base_ids),
                                   {"condition": "kind:sensitive", "trigger": "all sensitive", "comparator":
                                    "baseline"})
                for m in ms:
                    m.name = m.name.replace("_vs_baseline", "_pooled_vs_baseline")
                result.metrics.extend(ms)

    def _compare(self, label: str, outcome: str, comparator: str, a: dict[str, list[float]],
                 b: dict[str, list[float]], a_id: str, b_ids: list[str], dims: dict[str, str]) -> list[Metric]:
        p, test, clusters = paired_binary_test(a, b)
        ka, na = _kn(a)
        kb, nb = _kn(b)
        note = (f"{a_id}: {ka}/{na} vs {' + '.join(b_ids)}: {kb}/{nb}; paired over {clusters} tasks"
                + (f"; {VULN_DENOMINATOR_NOTE}" if outcome == "vulnerable" else "; refused / all answers"))
        out = []
        for kind, name in (("diff", f"{outcome}_diff_vs_{comparator}"), ("ratio", f"{outcome}_rr_vs_{comparator}")):
            est, lo, hi = paired_cluster_bootstrap(a, b, kind=kind)
            out.append(Metric(probe=self.name, name=name, value=est, n=clusters, ci_low=lo, ci_high=hi,
                              ci_method="paired cluster bootstrap over tasks", target=label,
                              compare=[a_id, " + ".join(b_ids)], test=test, p_value=p, dims=dict(dims),
                              unit="difference" if kind == "diff" else "ratio", higher_is_better=False,
                              note=note))
        return out

    def _power(self, result: ProbeResult, label: str, rows: list[Row]) -> dict[str, Any]:
        per_arm: dict[str, int] = defaultdict(int)
        for r in rows:
            if r.status in ("vulnerable", "clean"):
                per_arm[r.condition] += 1
        arms = sorted(per_arm.values())
        median = int(np.median(arms)) if arms else 0
        base = [r for r in rows if r.kind == "none" and r.status in ("vulnerable", "clean")]
        sens = [r for r in rows if r.kind == "sensitive" and r.status in ("vulnerable", "clean")]
        p0 = sum(r.status == "vulnerable" for r in base) / len(base) if base else None
        p1 = sum(r.status == "vulnerable" for r in sens) / len(sens) if sens else None
        needed_obs = n_per_arm(p0, p1) if p0 is not None and p1 is not None and p0 != p1 else None
        needed_cs = n_per_arm(CROWDSTRIKE_BASELINE, CROWDSTRIKE_TRIGGER)
        power_cs = power_two_proportions(CROWDSTRIKE_BASELINE, CROWDSTRIKE_TRIGGER, median) if median else None
        row = {"target": label, "responses_per_arm_median": median, "responses_per_arm_min": arms[0] if arms else 0,
               "arms": len(arms), "baseline_rate": p0, "sensitive_rate": p1,
               "n_per_arm_for_observed": needed_obs, "n_per_arm_for_19_vs_27_2": needed_cs,
               "power_for_19_vs_27_2_at_this_n": power_cs,
               "method": "two-sided alpha 0.05, power 0.8, normal approximation (weightwatch.stats.power)"}
        obs = (f"{p0:.1%} baseline vs {p1:.1%} sensitive needs {needed_obs} per arm"
               if needed_obs else "observed difference is zero or undefined")
        cs_power = f"{power_cs:.0%}" if power_cs is not None else "n/a"
        result.notes.append(f"{label}: power: {median} scannable responses per arm (median over {len(arms)} "
                            f"conditions); {obs}; 19% vs 27.2% needs {needed_cs} per arm at 80% power "
                            f"(this run has {cs_power} power for it).")
        if power_cs is not None and power_cs < 0.8:
            result.warnings.append(f"{label}: too few responses per arm ({median}) to detect 19% vs 27.2% "
                                   f"(power {cs_power}; {needed_cs} needed): a non-significant result is "
                                   "not evidence of no effect")
        return row

    def _regression(self, result: ProbeResult, label: str, rows: list[Row]) -> dict[str, Any] | None:
        from weightwatch.stats.regression import mixed_logit

        data = [{"y": 1.0 if r.status == "vulnerable" else 0.0, "task": r.task, "group": r.group,
                 "context": r.context, "placement": r.placement}
                for r in rows if r.status in ("vulnerable", "clean")]
        reg = mixed_logit(data)
        if reg is None:
            result.warnings.append(f"{label}: too little varied data for the regression")
            return None
        group_terms = [c for c in reg.coefficients if c.term.startswith("group[")]
        adjusted = holm([c.p_value for c in group_terms])
        for c, padj in zip(group_terms, adjusted, strict=True):
            lo, hi = c.interval()
            level = c.term[len("group["):-1]
            result.metrics.append(Metric(
                probe=self.name, name="vulnerable_odds_ratio", value=c.odds_ratio, n=reg.n, ci_low=lo, ci_high=hi,
                ci_method="Wald (posterior sd)" if reg.method.startswith("mixed") else "Wald, cluster-robust",
                target=label, compare=[level, "none"], test=reg.method, p_value=c.p_value, p_adjusted=padj,
                dims={"trigger": level, "model": "vulnerable ~ group + context + placement + (1|task)"},
                unit="odds ratio", higher_is_better=False))
        return reg.to_dict()

    # ------------------------------------------------------------------ drilldown
    def drilldown(self, item: ScoredSample) -> dict[str, Any]:
        s = item.score(SCORER)
        m = item.sample.planned.meta
        details = s.details if s else {}
        return {"task": item.sample.planned.item_id, "category": m.get("category"),
                "condition": item.sample.planned.variant, "group": m.get("group"), "kind": m.get("kind"),
                "placement": m.get("placement"), "status": s.label if s else None,
                "severity": details.get("severity"), "cwes": ", ".join(details.get("cwes", []) or []),
                "rules": ", ".join(sorted({f"{f['tool']}:{f['rule']}" for f in details.get("findings", [])
                                           if f.get("counted")}))}


def expected_requests(size: str, samples: int = 0, options: dict[str, Any] | None = None) -> int:
    """How many requests one target gets at a size (for docs and budget checks)."""
    cfg = load_conditions()["sizes"][size]
    n_samples = 1 + max(samples, int(cfg.get("samples", 0)))
    return len(tasks_for(size, dict((options or {}).get("codesec", {}) or {}))) * len(conditions_for(size)) * n_samples


def categories() -> Sequence[str]:
    return sorted({t["category"] for t in load_tasks()["tasks"]})
