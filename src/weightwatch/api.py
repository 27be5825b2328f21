"""The Python API. Everything the CLI does is one of these calls first.

    import weightwatch
    outcome = weightwatch.audit(targets=["embedded:qwen2.5-coder-0.5b", "embedded:smollm2-135m"])
    print(outcome.run_id, outcome.summary.metrics("censorship"))
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import tempfile
import threading
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from weightwatch import __version__, cost, envvars, sandbox
from weightwatch.config import journal_path, load_config
from weightwatch.cost import cost_metrics
from weightwatch.engine.concurrency import AdaptiveLimiter
from weightwatch.engine.journal import Journal
from weightwatch.engine.runner import ProgressFn, Runner, RunnerOptions, TargetRunStats
from weightwatch.errors import UserError
from weightwatch.probes import registry
from weightwatch.probes.base import PlanContext, Probe, ScoreContext, Size, SummaryContext, TargetInfo
from weightwatch.probes.censorship import files as censorship_files
from weightwatch.probes.guard import score_guarded, summarize_guarded
from weightwatch.probes.options import options_identity, resolve_options
from weightwatch.scanners.scan import require_scanners
from weightwatch.targets.base import Target
from weightwatch.types import (
    ChatRequest,
    Completion,
    Headline,
    PlannedRequest,
    ProbeResult,
    RunSummary,
    Sample,
    SampleKey,
    Score,
    ScoredSample,
    TargetSummary,
)

T = TypeVar("T")

DEFAULT_AUDIT_TARGETS = ["embedded:qwen2.5-coder-0.5b", "embedded:smollm2-135m"]
SIZES = ("quick", "standard", "full")


@dataclass
class RunOutcome:
    run_id: str
    summary: RunSummary
    journal_path: Path
    stats: list[TargetRunStats] = field(default_factory=list)
    resumed: bool = False
    reused_samples: int = 0


def _new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def make_target(spec: str | Target, config: dict[str, Any]) -> Target:
    """A target from its string, or a ready Target object (the plug-in point for new backends)."""
    if not isinstance(spec, str):
        return spec
    from weightwatch.targets.spec import parse_target

    return parse_target(spec, config)


def target_info(target: Target, fingerprint: Any) -> TargetInfo:
    return TargetInfo(label=target.label, kind=target.kind, fingerprint=fingerprint, defaults=dict(target.defaults()),
                      price=dict(target.price))


def plan_keys(probe: Probe, info: TargetInfo, target_id: str, ctx: PlanContext,
              ) -> list[tuple[SampleKey, PlannedRequest]]:
    out: list[tuple[SampleKey, PlannedRequest]] = []
    seen: set[str] = set()
    for planned in probe.plan(info, ctx):
        key = SampleKey(target_id=target_id, probe=probe.name, item_id=planned.item_id, variant=planned.variant,
                        sample_index=planned.sample_index,
                        params_hash=planned.request.request_hash(planned.phase))
        digest = key.digest()
        if digest in seen:
            raise RuntimeError(f"probe {probe.name} planned the same sample twice: {key}")
        seen.add(digest)
        out.append((key, planned))
    return out


class _JudgeClient:
    """Runs an LLM judge target for probes, through the runner and journal (cached, retried).

    Every answer is journaled as it lands, keyed by the judge's fingerprint and the request hash, so the
    same request to the same judge is asked once: again in a resumed run, and across `weightwatch judge`
    commands (`run_id` None: the answer belongs to no run). `fresh`: ask again, ignoring stored answers.
    Within one call, identical requests (the same prompt, answer and claim in two records) in flight at once
    share one: the later ones wait for the first one's answer (`shared` counts them), so the judge is asked
    each question once; with `fresh`, once per command."""

    def __init__(self, runner: Runner, journal: Journal, run_id: str | None, target: Target, target_id: str,
                 fresh: bool = False) -> None:
        self.runner = runner
        self.journal = journal
        self.run_id = run_id
        self.target = target
        self.target_id = target_id
        self.fresh = fresh
        self.limiter = AdaptiveLimiter.for_target(target.max_concurrency, in_process=target.in_process)
        self.asked = 0  # requests sent to the judge (each with its retries)
        self.reused = 0  # answers found in the journal
        self.shared = 0  # identical requests of this call that waited for the first one's answer
        self.replies = 0  # answers without error (reused or new), whether or not they parse
        self._asking: dict[str, asyncio.Future[Completion]] = {}  # digest -> the answer being fetched
        self._answered: dict[str, Completion] = {}  # digest -> answered in this call (fresh: not read back)

    async def __call__(self, request: ChatRequest) -> Completion:
        h = request.request_hash()
        key = SampleKey(target_id=self.target_id, probe="judge", item_id=h, variant="", sample_index=0,
                        params_hash=h)
        digest = key.digest()
        pending = self._asking.get(digest)
        done = self._answered.get(digest)
        if pending is not None or done is not None:  # the same question in this call: asked once
            completion = done if done is not None else await asyncio.shield(pending)  # type: ignore[arg-type]
            self.shared += 1
            self.replies += completion.ok
            return completion
        cached = None if self.fresh else self.journal.completion(digest)
        if cached is not None:
            self.reused += 1
            self.replies += 1
            return cached
        future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        self._asking[digest] = future
        self.asked += 1
        try:
            completion = await self.runner.call(self.target, request, self.limiter)
            self.journal.put_sample(self.run_id, key, self.target.label,
                                    PlannedRequest(item_id=h, request=request), completion)
        except BaseException:  # cancelled or stopped: the copies waiting for it are cancelled, nothing is kept
            future.cancel()
            raise
        finally:
            del self._asking[digest]
        if completion.ok:
            self._answered[digest] = completion
        future.set_result(completion)
        self.replies += completion.ok
        return completion


@dataclass
class JudgeTally:
    """What an LLM judge did for `weightwatch judge censorship / calibrate` (filled in as records are labelled).

    `records`: records labelled; `judged`: records whose answer went to the judge (empty answers do not);
    `labelled`: of those, the ones the judge gave a label (its reply parsed); `asked`: requests sent;
    `reused`: answers found in the journal from an earlier (or interrupted) command; `shared`: questions
    asked twice or more in this command (identical records) and sent once; `replies`: answers
    without error, parsed or not (journaled: a reply that did not parse is reused unless --fresh)."""

    records: int = 0
    judged: int = 0
    labelled: int = 0
    asked: int = 0
    reused: int = 0
    shared: int = 0
    replies: int = 0

    @property
    def nothing_labelled(self) -> bool:
        """The judge was asked and labelled nothing: a wrong URL / model, a server in error, garbage replies."""
        return self.judged > 0 and self.labelled == 0


MAX_SAMPLES = 1000  # extra samples per item (--samples)
MAX_SEED = 2**31 - 1  # seed + sample index stays below llama.cpp's "random" seed 0xFFFFFFFF and fits every server


async def run_async(
    probes: Sequence[str],
    targets: Sequence[str | Target],
    *,
    size: Size = "quick",
    samples: int = 0,
    seed: int = 0,
    options: dict[str, Any] | None = None,
    judge: str | None = None,
    fresh: bool = False,
    max_concurrency: int | None = None,
    timeout_s: float = 600.0,
    command: str = "",
    progress: Callable[[dict[str, int]], ProgressFn] | None = None,
    journal_file: Path | None = None,
    config: dict[str, Any] | None = None,
    allow_unsandboxed_code: bool = False,
    on_wait: Callable[[str | None], None] | None = None,
) -> RunOutcome:
    """`allow_unsandboxed_code`: where no sandbox is possible (no bubblewrap / user namespaces), run
    model-written code anyway, without isolation; otherwise such a run refuses to start.

    One process at a time runs a given run plan (engine/runlock.py): when another process is running the
    same parameters on the same journal, this call waits for it (`on_wait(its pid or None)` is called once
    when the wait begins), then goes on, reusing every answer the other process journaled."""
    envvars.check_environment()  # a bad WEIGHTWATCH_* value stops here, not after generation
    size = size.strip().lower() if isinstance(size, str) else size  # type: ignore[assignment]  # --size QUICK
    if size not in SIZES:
        raise UserError(f"unknown size '{size}'", "use quick, standard or full")
    if samples < 0:
        raise UserError("--samples must be 0 or more", "0 means one greedy pass only")
    if samples > MAX_SAMPLES:  # every item's requests are planned before any is sent: 10**20 never started
        raise UserError(f"--samples {samples} is more than {MAX_SAMPLES:,} extra samples per item",
                        f"give at most --samples {MAX_SAMPLES} (pass@k and intervals need far fewer)")
    if not 0 <= seed <= MAX_SEED:  # llama.cpp reads seed 0xFFFFFFFF (-1) as "random"; servers take 32-bit seeds
        why = ("a negative seed means 'random' to llama.cpp and its server: the run would not repeat" if seed < 0
               else "servers take signed 32-bit seeds, and llama.cpp reads 0xFFFFFFFF as 'random'")
        raise UserError(f"--seed must be between 0 and {MAX_SEED}, not {seed}",
                        f"give a seed from 0 to {MAX_SEED}, e.g. --seed 42 ({why})")
    if max_concurrency is not None and max_concurrency < 1:
        raise UserError(f"--max-concurrency must be at least 1, not {max_concurrency}",
                        "omit it to let weightwatch adapt the number of requests in flight")
    _check_timeout(timeout_s)
    if not targets:
        raise UserError("no target given", "add -t TARGET, e.g. -t embedded:qwen2.5-coder-0.5b")
    names = [t if isinstance(t, str) else t.label for t in targets]
    if len(set(names)) != len(names):
        raise UserError("the same target is given twice", "list each target once")
    twice = sorted({p for p in probes if list(probes).count(p) > 1})
    if twice:  # each would be summarised twice, its results listed twice
        raise UserError(f"the probe {', '.join(twice)} is given twice", "list each probe once")
    probe_objs = [registry.get(p) for p in probes]
    options = dict(options or {})
    probe_opts = resolve_options(probe_objs, options)  # a misspelled option stops here, with the valid ones
    runs_code = any(p.runs_model_code for p in probe_objs)
    # the judge is opened only when a probe of this run has one: `run capability --judge X` never contacts
    # X (nor loads it); its string is still checked, the run says it was not used, and it does not join
    # the run's parameters (the same run resumes with or without it)
    needs_judge = any(p.uses_judge for p in probe_objs)
    if runs_code:  # refuse before any request is made, not after an hour of generation
        sandbox.require_isolation(allow_unsandboxed_code)
    if any(getattr(p, "needs_scanners", False) for p in probe_objs):  # bandit / semgrep missing: say so now
        require_scanners()
    cfg = config if config is not None else load_config()
    jpath = journal_file or journal_path()
    journal = Journal(jpath)
    params = {"probes": list(probes), "targets": names, "size": size, "samples": samples, "seed": seed,
              "options": options_identity(probe_opts, options), "judge": judge if needs_judge else None,
              "version": __version__}
    run_id: str | None = None
    resumed = False
    started: list[Target] = []
    unused_judge_note: str | None = None
    lock = journal.run_lock(params)
    try:
        # before any target starts (an embedded model is loaded once, not by both processes)
        await lock.acquire(on_wait)
        # targets and plans first: a typo or an unreachable server must not leave a run behind
        made = [make_target(spec, cfg) for spec in targets]
        _check_distinct_labels(made, names)
        judge_target = None
        if judge and not needs_judge:
            make_target(judge, cfg)  # a malformed judge string is still an error; nothing is loaded
            unused_judge_note = (f"--judge {judge} was not used: none of the probes run here "
                                 f"({', '.join(p.name for p in probe_objs)}) has an LLM judge")
        if judge and needs_judge:
            if judge in names and not options.get("judge_self"):
                raise UserError(f"the judge '{judge}' is also an audited target",
                                "choose another judge target, or pass --judge-self to insist")
            judge_target = make_target(judge, cfg)
        judge_fp = None
        if judge_target is not None and not judge_target.in_process:
            # a judge server is asked before any generation: unreachable, it fails now, not after the run
            # (an in-process judge model is loaded after generation, never beside the audited one)
            judge_fp = await judge_target.start()
            started.append(judge_target)
        infos: list[TargetInfo] = []
        for t in made:
            fp = await t.start()
            started.append(t)
            fp.weightwatch_version = __version__
            infos.append(target_info(t, fp))
        plan_ctx = PlanContext(size=size, samples=samples, seed=seed)
        planned_by: dict[str, list[tuple[SampleKey, PlannedRequest]]] = {}
        for t, info in zip(made, infos, strict=True):
            planned_by[t.label] = [
                kp for probe in probe_objs
                for kp in plan_keys(probe, info, info.fingerprint.id(),
                                    plan_ctx.model_copy(update={"options": probe_opts[probe.name]}))]

        run_id = None if fresh else journal.find_resumable(params)
        resumed = run_id is not None
        if run_id is None:
            run_id = _new_run_id()
            journal.start_run(run_id, command, params)
        else:
            journal.reopen_run(run_id)
        for info in infos:
            journal.put_target(run_id, info.label, info.fingerprint, info.model_dump_json())

        work: dict[str, list[tuple[SampleKey, PlannedRequest]]] = {}
        reused = 0
        all_digests: list[str] = []
        for t in made:
            planned = planned_by[t.label]
            digests = [k.digest() for k, _ in planned]
            all_digests.extend(digests)
            done = set() if fresh else journal.finished_digests(digests)
            reused += len(done)
            work[t.label] = [(k, p) for k, p in planned if k.digest() not in done]
        journal.link_samples(run_id, all_digests if not fresh else [])

        runner = Runner(journal, run_id, RunnerOptions(max_concurrency=max_concurrency, timeout_s=timeout_s),
                        progress=progress({t.label: len(work[t.label]) for t in made}) if progress else None)
        stats = await asyncio.gather(*(runner.run_target(t, work[t.label]) for t in made))

        judge_fn = None
        judge_label = None
        judge_id: str | None = None
        if judge_target is not None:
            jfp = judge_fp
            if jfp is None:
                jfp = await judge_target.start()
                started.append(judge_target)
            jid = journal.put_target(run_id, f"judge:{judge_target.label}", jfp,
                                     target_info(judge_target, jfp).model_dump_json())
            judge_fn = _JudgeClient(runner, journal, run_id, judge_target, jid)
            judge_label = judge_target.label
            judge_id = jid

        with sandbox.allow_unsandboxed_code(allow_unsandboxed_code):
            summary = await _score_and_summarize(journal, run_id, probe_objs, infos, plan_ctx, probe_opts,
                                                 judge_fn, judge_label, command, list(stats), judge_id)
        if runs_code:
            _record_isolation(summary)
        if unused_judge_note:
            summary.warnings.append(unused_judge_note)
        journal.finish_run(run_id, summary)
        return RunOutcome(run_id=run_id, summary=summary, journal_path=jpath, stats=list(stats), resumed=resumed,
                          reused_samples=reused)
    except BaseException:
        if run_id is not None:
            journal.finish_run(run_id, None, status="interrupted")
        raise
    finally:
        for t in started:
            with contextlib.suppress(Exception):  # closing must never mask the real outcome
                await t.aclose()
        lock.release()  # after the run's status is written: a waiting process then sees it
        journal.close()


def _record_isolation(summary: RunSummary) -> None:
    """The run says how model-written code was isolated, and warns loudly when it was not."""
    iso = sandbox.isolation()
    summary.isolation = sandbox.isolation_summary(allow_unsandboxed=True)
    summary.unsandboxed_code = not iso.available
    if not iso.available:
        summary.warnings.insert(0, "model-written code ran WITHOUT a sandbox (--allow-unsandboxed-code): it could "
                                   "read and change files of this machine; " + iso.detail)


def scoring_version(probe: Probe, judge_id: str | None) -> str:
    """What a journaled verdict was computed with: the probe's version, and for probes that use an LLM
    judge (``uses_judge = True``) also which judge, so another ``--judge`` (or none) re-scores."""
    if judge_id and probe.uses_judge:
        return f"{probe.version}+judge:{judge_id}"
    return probe.version


def drill_columns(probe: Probe, row: ScoredSample) -> dict[str, Any]:
    """The probe's drill-down columns for one scored sample; an odd sample never breaks the run."""
    try:
        return dict(probe.drilldown(row) or {})
    except Exception as exc:
        return {"drilldown_error": f"{type(exc).__name__}: {exc}"}


def _store_columns(journal: Journal, probe: Probe, version: str, rows: list[ScoredSample]) -> None:
    """Compute and journal the drill-down columns of scored samples that have none yet (newly scored, or
    scored before the journal stored them), so a report of this run later needs only the journal."""
    missing = {row.sample.key.digest(): drill_columns(probe, row) for row in rows if row.columns is None}
    if not missing:
        return
    journal.put_columns(probe.name, version, missing)
    for row in rows:
        if row.columns is None:
            row.columns = missing[row.sample.key.digest()]


async def _score_and_summarize(journal: Journal, run_id: str, probes: list[Probe], infos: list[TargetInfo],
                               plan_ctx: PlanContext, probe_opts: dict[str, dict[str, Any]], judge_fn: Any,
                               judge_label: str | None, command: str, stats: list[TargetRunStats],
                               judge_id: str | None = None) -> RunSummary:
    results: list[ProbeResult] = []
    # what a target's start found wrong (e.g. a model name the server does not list) reaches the user
    warnings = [f"{i.label}: {i.fingerprint.extra['warning']}" for i in infos
                if isinstance(i.fingerprint.extra.get("warning"), str)]
    scoring_errors: dict[str, int] = {}  # target label -> answered samples whose scoring raised
    with tempfile.TemporaryDirectory(prefix="weightwatch-score-") as tmp:
        for probe in probes:
            samples = journal.samples(run_id, probe=probe.name)
            version = scoring_version(probe, judge_id)
            todo = journal.unscored(samples, probe.name, version)
            see = f"`weightwatch export {run_id}` lists them; the same command scores them again"
            if todo:
                sctx = ScoreContext(options=probe_opts[probe.name], workdir=Path(tmp), ask_judge=judge_fn,
                                    judge_label=judge_label)

                def keep(scores: list[Score], part: list[Sample], _probe: Probe = probe, _v: str = version) -> None:
                    journal.put_scores(scores, _probe.name, _v, (s.key.digest() for s in part))

                scored = await score_guarded(probe, todo, sctx, keep)
                if scored.failed:  # shown in this run's summary, unmarked: the next scoring pass tries again
                    journal.put_scores(scored.error_scores, probe.name, version, (),
                                       unmarked=(s.key.digest() for s, _ in scored.failed))
                    warnings.append(scored.warning(probe.name, see) or "")
            rows = list(journal.scored_samples(run_id, probe=probe.name))
            _store_columns(journal, probe, version, rows)
            by_target: dict[str, list[ScoredSample]] = {i.label: [] for i in infos}
            for row in rows:
                by_target.setdefault(row.sample.target_label, []).append(row)
                if row.scoring_error and not row.sample.completion.error:
                    scoring_errors[row.sample.target_label] = scoring_errors.get(row.sample.target_label, 0) + 1
            sum_ctx = SummaryContext(targets={i.label: i for i in infos}, size=plan_ctx.size,
                                     samples=plan_ctx.samples, options=probe_opts[probe.name])
            result = summarize_guarded(probe, by_target, sum_ctx, see.split(";")[0])  # error: no metrics
            if not result.headlines:  # the rows the probe declares travel with its result
                result.headlines = list(probe.headlines)
            results.append(result)

    target_summaries = []
    for info in infos:
        n, errors, tokens_in, tokens_out = journal.target_totals(run_id, info.label)
        target_summaries.append(TargetSummary(label=info.label, kind=info.kind, fingerprint=info.fingerprint,
                                              defaults=info.defaults, price=info.price, samples=n, errors=errors,
                                              scoring_errors=scoring_errors.get(info.label, 0),
                                              prompt_tokens=tokens_in, completion_tokens=tokens_out))
    for st in stats:
        if st.errors:
            reasons = ", ".join(f"{k} x{v}" for k, v in sorted(st.error_reasons.items()))
            warnings.append(f"{st.label}: {st.errors} sample(s) failed after retries ({reasons}); "
                            "re-run the same command to retry them")
    results.append(cost_metrics(target_summaries, results))
    created = journal.run_created_at(run_id)
    return RunSummary(run_id=run_id, created_at=created, finished_at=datetime.now(UTC).isoformat(),
                      command=command, weightwatch_version=__version__, size=plan_ctx.size,
                      samples=plan_ctx.samples, seed=plan_ctx.seed, probes=[p.name for p in probes],
                      targets=target_summaries, results=results, warnings=warnings)


def declared_headlines(probe: str) -> tuple[Headline, ...]:
    """The scorecard rows a probe (or the cost summary) declares; () for a probe not installed here."""
    if probe == cost.PROBE:
        return cost.HEADLINES
    if probe in registry.available():
        return registry.get(probe).headlines
    return ()


def load_summary(journal: Journal, run_ref: str) -> RunSummary:
    """A finished run's summary, for reports. Runs summarized before probes stored their headline rows
    with their results get the rows the installed probes declare (data only: no probe code runs)."""
    summary = journal.summary(journal.resolve_run(run_ref))
    for result in summary.results:
        if not result.headlines:
            result.headlines = list(declared_headlines(result.probe))
    return summary


def judge_censorship_file(input: Path, output: Path, judge: str | None = None,
                          timeout_s: float = 600.0, *, fresh: bool = False,
                          progress: Callable[[dict[str, int]], ProgressFn] | None = None,
                          tally: JudgeTally | None = None,
                          read: list[dict[str, Any]] | None = None) -> dict[str, int]:
    """`weightwatch judge censorship`: label every record of `input` with the censorship probe's rule judge
    (and, with `judge`, a target string, the LLM judge through the runner's retries, `timeout_s` per
    request), write them to `output` and return the counts per label.

    The judge's answers are kept in the journal as they land (see `_JudgeClient`): the same command after
    an interruption asks only what it has not got yet (`fresh`: ask everything again). `progress` as for
    `run_async` (one bar, records labelled); `tally` is filled in (see JudgeTally); `read`, when given, receives
    the records read from `input` (the CLI checks their language tags without reading the file again)."""
    _check_timeout(timeout_s)
    records = censorship_files.read_records(Path(input))
    if read is not None:
        read.extend(records)
    labelled = label_censorship_records(records, judge, timeout_s, fresh=fresh, progress=progress, tally=tally)
    return censorship_files.write_labelled(Path(output), labelled)


def label_censorship_records(records: list[dict[str, Any]], judge: str | None = None,
                             timeout_s: float = 600.0, *, fresh: bool = False,
                             progress: Callable[[dict[str, int]], ProgressFn] | None = None,
                             tally: JudgeTally | None = None) -> list[dict[str, Any]]:
    """The censorship judge's labels for records {id, prompt, response, language?, reasoning?}."""
    tally = tally if tally is not None else JudgeTally()
    if not judge:
        out = _run_stoppable(censorship_files.label_records(records, None, None))
        tally.records += len(out)
        return out
    return _run_stoppable(_judge_records(records, judge, timeout_s, fresh, progress, tally))


def _run_stoppable(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, except that in the main thread SIGTERM stops it as Ctrl-C does: the task is cancelled and
    the loop shut down cleanly, then `Interrupted` is raised. (A SIGTERM raised as an exception inside the
    running loop, as the CLI's process-wide handler does, could leave the judge's shared questions waiting
    and hang the shutdown.)"""
    if threading.current_thread() is not threading.main_thread():
        return asyncio.run(coro)
    from weightwatch.engine.interrupt import run_interruptible

    return run_interruptible(coro)


def _check_distinct_labels(made: Sequence[Target], given: Sequence[str]) -> None:
    """Two targets whose strings differ but which come out under one label (`mock:echo` and `mock:echo ` or
    `MOCK:echo`) ran twice under that one label: progress '8/4 samples', two report columns of one name."""
    seen: dict[str, str] = {}
    for t, spec in zip(made, given, strict=True):
        if t.label in seen:
            raise UserError(f"-t {seen[t.label]!r} and -t {spec!r} are the same target ({t.label})",
                            "list each target once")
        seen[t.label] = spec


def _check_timeout(timeout_s: float) -> None:
    if not timeout_s > 0:  # NaN too
        raise UserError(f"--timeout must be above 0 seconds, not {timeout_s:g}", "e.g. --timeout 600")


def calibrate_censorship_judge(sets: list[str] | None, input: Path | None, data_dir: Path | None,
                               judge: str | None = None,
                               skipped: Callable[[str], None] | None = None,
                               timeout_s: float = 600.0, *, fresh: bool = False,
                               progress: Callable[[dict[str, int]], ProgressFn] | None = None,
                               tally: JudgeTally | None = None) -> list[dict[str, Any]]:
    """`weightwatch judge calibrate`: the judge measured on labelled sets (probes/censorship/calibrate.py);
    with `sets` None, every set whose files are found (`skipped` hears which were not). With `judge`, its
    answers are journaled and reused as in `judge_censorship_file`; `tally` says what it labelled."""
    from weightwatch.probes.censorship.calibrate import calibrate

    _check_timeout(timeout_s)
    return calibrate(sets, input, data_dir, judge,
                     lambda records: label_censorship_records(records, judge, timeout_s, fresh=fresh,
                                                              progress=progress, tally=tally),
                     skipped)


async def _judge_records(records: list[dict[str, Any]], judge: str, timeout_s: float, fresh: bool,
                         progress: Callable[[dict[str, int]], ProgressFn] | None,
                         tally: JudgeTally) -> list[dict[str, Any]]:
    target = make_target(judge, load_config())
    journal = Journal(journal_path())  # the judge's answers are kept: an interrupted command resumes
    client: _JudgeClient | None = None
    try:
        fingerprint = await target.start()
        client = _JudgeClient(Runner(journal, "judge-file", RunnerOptions(timeout_s=timeout_s)), journal,
                              None, target, fingerprint.id(), fresh=fresh)
        bar = f"judge {target.label}"
        tick = progress({bar: len(records)}) if progress else None

        def labelled(record: dict[str, Any]) -> None:
            asked = record.get("judge", "").startswith("llm:")
            ok = record.get("llm_label") is not None
            tally.records += 1
            tally.judged += asked
            tally.labelled += asked and ok
            if tick is not None:
                tick(bar, 1, 1 if asked and not ok else 0, 0)

        return await censorship_files.label_records(records, client, target.label, on_labelled=labelled)
    finally:
        if client is not None:
            tally.asked += client.asked
            tally.reused += client.reused
            tally.shared += client.shared
            tally.replies += client.replies
        try:
            await target.aclose()
        finally:
            journal.close()


def run(probes: Sequence[str], targets: Sequence[str | Target], **kwargs: Any) -> RunOutcome:
    """Run probes on targets and return the run id and its summary (see run_async for options)."""
    return asyncio.run(run_async(probes, targets, **kwargs))


def audit(targets: Sequence[str | Target] | None = None, probes: Sequence[str] | None = None, size: Size = "quick",
          **kwargs: Any) -> RunOutcome:
    """Every probe on every target; by default the two embedded models side by side."""
    return run(list(probes or registry.audit_probes()), list(targets or DEFAULT_AUDIT_TARGETS), size=size,
               **kwargs)
