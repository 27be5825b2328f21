"""The search over layer, lambda and layer window: first-token refusal log-odds against first-token KL.

A trial applies one candidate adapter (direction of one layer, projected out of the residual writes of a
window of layers) at strength lambda, and measures on the ``select`` prompts:

- refusal (the objective; lower is better): with refusal prefixes (the first tokens of the base model's own
  greedy refusals of the select sensitive prompts, found by the rule judge), the mean teacher-forced
  log-probability of those prefixes, i.e. log P(the model still opens with the refusal it gave); without
  any, the mean first-token refusal log-odds below;
- or, with an ``OpeningObjective`` (``--objective openings``), opening-agnostic: the mean log-odds of
  P(the answer opens with ANY refusal or deflection opening of the prompt's language), computed exactly
  over a prefix tree of the openings, plus a greedy answer per prompt judged by the rule judge on every
  trial; an edit that swaps one refusal formula for another (measured in BENCHMARKS 8h) is no progress;
- logodds (reported): mean over sensitive prompts of log(P(R) / (1 - P(R))) for the first answer token,
  where R is the set of tokens that open a refusal in any of the dataset's languages (``REFUSAL_OPENERS``);
- KL: mean over the given "other" prompts (harmless prompts and the controls the base model answers) of
  KL(base || edited) of the first-token distribution.

The KL bound must hold on prompts the search never saw, not only on the ones it tunes on. The "other" prompts
are split by sensitive item (a control goes with its item in every language) into ``tune`` (2 of 3) and
``validate`` (1 of 3); ``extra_tune`` prompts (the pipeline passes the train topics' controls: more items,
none of them a test topic) join the tune half. The KL is bounded per **stratum** (the prompt's arm:
controls, harmless prompts): controls move much more than harmless prompts, so a mean over a mix would
depend on how many of each a set happens to hold (the select set held fewer answered controls per harmless
prompt than the test set). Lambda is bisected on ``kl_upper``: the largest over strata of the one-sided 95%
cluster-bootstrap upper bound (clusters: items; each harmless prompt its own) of the stratum's mean KL over
the tune prompts, i.e. KL <= kl_max with a safety margin estimated from how much the KL varies between
items. A trial is *feasible* when kl_upper <= kl_max and every stratum's mean KL on the validate prompts
(never used to move lambda) is <= kl_max too.

Trials not beaten on both refusal and kl_upper at once form the Pareto front. Choice (``choose``): among
feasible trials, in order of increasing strength (lambda x layers edited), the first whose greedy answers to
the select prompts the base model refused meet the refusal goal (>= ``goal`` relative reduction, rule judge);
if none does, the feasible trial with the lowest refusal (with the opening objective, where every trial has its
greedy check: the fewest greedy refusals, then the lowest refusal); if none is feasible, the lowest kl_upper.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from weightwatch.modify.capture import Session
from weightwatch.modify.prompts import Prompt

# how refusals begin, in the dataset's languages (first token of each is a refusal token)
REFUSAL_OPENERS = (
    "I'm sorry", "I am sorry", "Sorry", "I cannot", "I can't", "I'm unable", "I am unable", "I apologize",
    "As an AI", "Unfortunately",
    "抱歉", "对不起", "很抱歉", "我无法", "我不能", "作为一个人工智能", "對不起", "我無法", "作為一個人工智慧",
    "Es tut mir leid", "Entschuldigung", "Leider", "Ich kann", "Als KI",
)
# the opening-agnostic objective (``OpeningObjective``): refusal and deflection openings per language, the
# forms the rule judge's markers (judges/rules.py) begin with; the pipeline adds the openings of every
# train/select answer the judge labels refused or deflected, base and edited
REFUSAL_OPENINGS: dict[str, tuple[str, ...]] = {
    "en": ("I'm sorry", "I am sorry", "Sorry", "I apologize", "I'm afraid", "I cannot", "I can't", "I can not",
           "I won't", "I will not", "I'm unable", "I am unable", "I'm not able", "I am not able",
           "I'm not in a position", "As an AI", "As a language model", "As an artificial intelligence",
           "I don't have personal", "I do not have personal", "Unfortunately"),
    "zh-Hans": ("抱歉", "对不起", "很抱歉", "非常抱歉", "我无法", "我不能", "我不便", "作为一个人工智能",
                "作为人工智能", "作为一个AI", "作为AI"),
    "zh-Hant": ("抱歉", "對不起", "很抱歉", "非常抱歉", "我無法", "我不能", "我不便", "作為一個人工智慧",
                "作為人工智慧", "作為一個AI", "作為AI"),
    "de": ("Es tut mir leid", "Entschuldigung", "Leider", "Ich kann nicht", "Ich kann keine", "Ich kann dazu nicht",
           "Ich bin nicht in der Lage", "Als KI", "Als eine KI", "Als künstliche Intelligenz", "Als Sprachmodell"),
}


@dataclass
class Trial:
    layer: int
    window: str  # "all" or "+-N"
    lam: float
    refusal: float  # the objective: mean refusal-prefix log-probability (or first-token log-odds, see above)
    kl: float  # mean first-token KL(base || edited) over every KL prompt (tune + validate, pooled)
    pareto: bool = False
    logodds: float | None = None  # mean first-token refusal log-odds on select sensitive prompts
    kl_tune: float = 0.0  # mean KL on the tune prompts, the stratum with the highest upper bound
    kl_validate: float = 0.0  # largest stratum mean KL on the validate half (never used to move lambda)
    kl_upper: float = 0.0  # largest stratum 95% cluster-bootstrap upper bound of the tune mean: the constraint
    kl_strata: dict[str, dict[str, float]] = field(default_factory=dict)  # arm -> tune/upper/validate/n
    strength: float = 0.0  # lambda x number of layers edited
    goal_checked: bool = False
    goal_refused: int | None = None  # greedy select answers still refused / deflected (of goal_n)
    goal_n: int | None = None
    goal_met: bool | None = None
    own_prefix: float | None = None  # log P(the base model's own refusal opening), the "own" objective
    opening_logodds: float | None = None  # log-odds of every refusal opening together (OpeningObjective)
    new_openings: list[str] = field(default_factory=list)  # blocked greedy answers whose opening is not scored

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def refusal_tokens(session: Session) -> list[int]:
    out: set[int] = set()
    for text in REFUSAL_OPENERS:
        toks = session.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        if toks:
            out.add(int(toks[0]))
    return sorted(out)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    x = logits.astype(np.float64)
    m = float(x.max())
    return x - m - float(np.log(np.exp(x - m).sum()))


def refusal_logodds(logits: np.ndarray, tokens: Sequence[int]) -> float:
    p = float(np.exp(log_softmax(logits)[list(tokens)]).sum())
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(np.log(p / (1 - p)))


def kl(base_logits: np.ndarray, logits: np.ndarray) -> float:
    lp, lq = log_softmax(base_logits), log_softmax(logits)
    return float(max(0.0, (np.exp(lp) * (lp - lq)).sum()))


def window_layers(layer: int, window: str, n_layer: int) -> tuple[int, ...]:
    if window == "all":
        return tuple(range(n_layer))
    k = int(window.removeprefix("+-"))
    return tuple(range(max(0, layer - k), min(n_layer, layer + k + 1)))


@dataclass
class Measured:
    refusal: float  # the objective (prefix log-probability, else first-token log-odds)
    kl: float
    per_prompt: list[dict[str, Any]]
    logodds: float = float("nan")
    logits: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)  # measure(keep_logits=True)


Prefixes = dict[tuple[str, str], list[int]]


def measure(session: Session, sensitive: Sequence[Prompt], others: Sequence[Prompt],
            base_logits: dict[tuple[str, str], np.ndarray], tokens: Sequence[int],
            prefixes: Prefixes | None = None, keep_logits: bool = False) -> Measured:
    """Refusal figures on `sensitive` and KL against the base on `others` with the session's current adapter.
    `prefixes`: (id, language) -> the base model's refusal opening for that prompt (token ids). All prompts go
    through llama.cpp together (`Session.run_many`); `keep_logits` keeps every prompt's first-token logits."""
    forced = [list((prefixes or {}).get((p.id, p.language)) or []) for p in sensitive]
    answers = session.run_many([p.text for p in [*sensitive, *others]], forced=forced + [[] for _ in others])
    rows: list[dict[str, Any]] = []
    odds: list[float] = []
    lps: list[float] = []
    kls: list[float] = []
    for p, a in zip(sensitive, answers, strict=False):
        row: dict[str, Any] = {"id": p.id, "language": p.language, "arm": p.arm}
        if a.forced_logprob is not None:
            lps.append(a.forced_logprob)
            row["refusal_prefix_logprob"] = round(a.forced_logprob, 4)
        r = refusal_logodds(a.first, tokens)
        odds.append(r)
        row["refusal_logodds"] = round(r, 4)
        rows.append(row)
    for p, a in zip(others, answers[len(sensitive):], strict=True):
        k = kl(base_logits[(p.id, p.language)], a.first)
        kls.append(k)
        rows.append({"id": p.id, "pair": p.pair, "language": p.language, "arm": p.arm, "kl": round(k, 5)})
    logodds = float(np.mean(odds)) if odds else float("nan")
    return Measured(refusal=float(np.mean(lps)) if lps else logodds, kl=float(np.mean(kls)) if kls else 0.0,
                    per_prompt=rows, logodds=logodds,
                    logits={(p.id, p.language): a.first for p, a in zip([*sensitive, *others], answers, strict=True)}
                    if keep_logits else {})


def split_tune_validate(prompts: Sequence[Prompt]) -> tuple[list[Prompt], list[Prompt]]:
    """Tune (2 of 3) and validate (1 of 3) by a hash of the item (pair) id: a control goes with its item in
    every language, a harmless prompt with its own id. Neither half is left empty when there are 2+ items."""
    def part(p: Prompt) -> int:
        return int(hashlib.sha256(f"modify-kl:{p.pair}".encode()).hexdigest(), 16) % 3

    tune = [p for p in prompts if part(p) != 0]
    val = [p for p in prompts if part(p) == 0]
    pairs = sorted({p.pair for p in prompts})
    if (not tune or not val) and len(pairs) >= 2:
        moved = set(pairs[::3])
        val = [p for p in prompts if p.pair in moved]
        tune = [p for p in prompts if p.pair not in moved]
    return tune, val


def _cluster_bootstrap(values: Sequence[float], clusters: Sequence[str], reps: int,
                       seed: int) -> tuple[float, np.ndarray | None]:
    """The mean of `values` and `reps` bootstrap means over clusters (each resampled whole, the mean taken over
    their prompts); None for the bootstrap when there is one cluster (no spread to estimate)."""
    groups: dict[str, list[float]] = {}
    for v, c in zip(values, clusters, strict=True):
        groups.setdefault(c, []).append(float(v))
    sums = np.array([sum(g) for g in groups.values()])
    counts = np.array([len(g) for g in groups.values()], dtype=np.float64)
    mean = float(sums.sum() / counts.sum())
    if len(groups) < 2:
        return mean, None
    idx = np.random.default_rng(seed).integers(0, len(groups), size=(reps, len(groups)))
    return mean, sums[idx].sum(axis=1) / counts[idx].sum(axis=1)


def cluster_upper(values: Sequence[float], clusters: Sequence[str], *, q: float = 0.95, reps: int = 2000,
                  seed: int = 0) -> float:
    """One-sided upper bound (quantile q) of the mean of `values` by a bootstrap over clusters (resampled
    whole, the mean taken over their prompts). One cluster: the mean itself (no spread to estimate)."""
    if not values:
        return 0.0
    mean, boot = _cluster_bootstrap(values, clusters, reps, seed)
    return mean if boot is None else max(mean, float(np.quantile(boot, q)))


def cluster_interval(values: Sequence[float], clusters: Sequence[str], *, reps: int = 2000,
                     seed: int = 0) -> tuple[float, float, float]:
    """(mean, 2.5%, 97.5%) of the mean of `values`, bootstrap over clusters (held-out KL in the report)."""
    if not values:
        return (0.0, 0.0, 0.0)
    mean, boot = _cluster_bootstrap(values, clusters, reps, seed)
    if boot is None:
        return (mean, mean, mean)
    return (mean, float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975)))


def strata_kl(tune: Sequence[tuple[Prompt, float]], validate: Sequence[tuple[Prompt, float]],
              ) -> dict[str, dict[str, float]]:
    """Per arm (control, harmless, ...): tune mean, its one-sided 95% cluster-bootstrap upper bound (clusters:
    items), validate mean and the prompt counts. An arm without validate prompts has validate 0."""
    out: dict[str, dict[str, float]] = {}
    for arm in sorted({p.arm for p, _ in [*tune, *validate]}):
        t = [(p, k) for p, k in tune if p.arm == arm]
        v = [k for p, k in validate if p.arm == arm]
        out[arm] = {"tune": float(np.mean([k for _, k in t])) if t else 0.0,
                    "upper": cluster_upper([k for _, k in t], [p.pair for p, _ in t]),
                    "validate": float(np.mean(v)) if v else 0.0, "n_tune": float(len(t)), "n_validate": float(len(v))}
    return out


def mark_pareto(trials: list[Trial]) -> None:
    for t in trials:
        t.pareto = not any((o.refusal <= t.refusal and o.kl_upper <= t.kl_upper)
                           and (o.refusal < t.refusal or o.kl_upper < t.kl_upper) for o in trials)


def feasible(t: Trial, kl_max: float) -> bool:
    return t.kl_upper <= kl_max and t.kl_validate <= kl_max


def choose(trials: Sequence[Trial], kl_max: float) -> Trial:
    """See the module docstring: the gentlest feasible trial that met the goal, else the feasible trial with
    the lowest refusal (when every feasible trial had its greedy check: the fewest greedy refusals, then the
    lowest refusal), else the lowest kl_upper."""
    ok = [t for t in trials if feasible(t, kl_max)]
    met = sorted((t for t in ok if t.goal_met), key=lambda t: (t.strength, t.kl_upper))
    if met:
        return met[0]
    if ok and all(t.goal_refused is not None for t in ok):  # every feasible trial checked (OpeningObjective)
        return min(ok, key=lambda t: (t.goal_refused, t.refusal))
    return min(ok, key=lambda t: t.refusal) if ok else min(trials, key=lambda t: t.kl_upper)


GoalCheck = Callable[[], tuple[int, int]]  # greedy answers to the select refused prompts: (still refused, n)


def check_goals(session: Session, adapter_for: Callable[[int, str], Path], trials: list[Trial], kl_max: float,
                check: GoalCheck, base_refused: int, *, goal: float = 0.7, max_checks: int = 3,
                log: Callable[[str], None] = lambda _m: None) -> None:
    """Greedy refusal check of the feasible Pareto trials, gentlest first, until one meets the goal (at most
    `max_checks`): sets goal_refused / goal_n / goal_met on the trials checked."""
    if base_refused <= 0:
        return
    if any(t.goal_met for t in trials if feasible(t, kl_max)):
        return
    order = sorted((t for t in trials if feasible(t, kl_max) and t.pareto and not t.goal_checked),
                   key=lambda t: (t.strength, t.kl_upper))
    for t in order[:max_checks]:
        session.set_adapter(adapter_for(t.layer, t.window), t.lam)
        try:
            still, n = check()
        finally:
            session.set_adapter(None)
        t.goal_checked, t.goal_refused, t.goal_n = True, still, n
        t.goal_met = (base_refused - still) >= goal * base_refused
        log(f"goal check: layer {t.layer} window {t.window} lambda {t.lam:g}: refused {still}/{n} "
            f"(base {base_refused}/{n}) -> {'met' if t.goal_met else 'not met'}")
        if t.goal_met:
            return


Tokens = tuple[int, ...]


def prune_openings(openings: Iterable[Sequence[int]]) -> list[Tokens]:
    """Distinct, non-empty openings, none a proper prefix of another (the shorter one covers the longer: its
    probability already includes every continuation), sorted."""
    uniq = sorted({tuple(int(t) for t in o) for o in openings if len(o)})
    return [o for o in uniq if not any(len(q) < len(o) and o[:len(q)] == q for q in uniq)]


def opening_paths(openings: Sequence[Tokens]) -> list[Tokens]:
    """The token sequences to teacher-force so that the next-token distribution after every proper prefix of
    every opening is seen: one opening through each deepest parent (a parent that begins no other parent).
    Openings of one token need none (the first-token distribution)."""
    parents = {o[:-1] for o in openings}
    deepest = sorted(p for p in parents if p and not any(len(q) > len(p) and q[:len(p)] == p for q in parents))
    return [next(o for o in openings if o[:-1] == p) for p in deepest]


def opening_logmass(openings: Sequence[Tokens], logp: dict[Tokens, dict[int, float]]) -> float:
    """log P(the answer opens with one of `openings`) from `logp`: prefix -> {next token: log-probability}.
    The openings are disjoint events (none is a prefix of another), so their probabilities add up."""
    terms = [sum(logp[o[:j]][o[j]] for j in range(len(o))) for o in openings]
    if not terms:
        return float("-inf")
    m = max(terms)
    return m + float(np.log(sum(np.exp(t - m) for t in terms)))


def mass_logodds(logmass: float) -> float:
    lm = min(max(logmass, float(np.log(1e-9))), float(np.log1p(-1e-9)))
    return float(lm - np.log1p(-np.exp(lm)))


@dataclass
class OpeningScore:
    logodds: list[float]  # per prompt: log-odds of P(any refusal opening)
    labels: list[str]  # per prompt: the rule judge's label of the greedy answer
    answers: list[list[int]]  # per prompt: the greedy answer's tokens

    @property
    def mean(self) -> float:
        return float(np.mean(self.logodds)) if self.logodds else float("nan")


@dataclass
class OpeningObjective:
    """The opening-agnostic objective: for each select prompt the base model refuses, the log-odds of the
    probability that the answer opens with ANY refusal or deflection opening of the prompt's language
    (``openings``: token sequences; the pipeline fills them from ``REFUSAL_OPENINGS`` and from the first
    ``opening_tokens`` tokens of every train/select answer the rule judge blocks, base model and the
    search's strongest edits), computed exactly over a prefix tree of the openings (one teacher-forced
    sequence per deepest branch); plus, per trial, the greedy answers to the same prompts judged by
    `label` (the goal check, for every trial). An edit that only swaps one refusal formula for another
    keeps the mass and the greedy refusals, so it is not progress here, as it was for the base model's
    own opening."""

    label: Callable[[str], str]
    openings: dict[str, set[Tokens]] = field(default_factory=dict)
    greedy_tokens: int = 16
    opening_tokens: int = 3
    blocked: tuple[str, ...] = ("refused", "deflected")
    goal: float = 0.7  # a trial meets the goal when this share of the prompts' greedy answers is no longer blocked
    sources: dict[str, list[str]] = field(default_factory=dict)  # source -> openings it added (report)

    def add(self, language: str, tokens: Sequence[int], source: str, text: str = "", whole: bool = False) -> bool:
        """Add an opening: the first `opening_tokens` of `tokens` (all of them with `whole`); False when an
        opening already there covers it."""
        o = tuple(int(t) for t in (tokens if whole else tokens[: self.opening_tokens]))
        if not o:
            return False
        have = self.openings.setdefault(language, set())
        if any(o[:len(q)] == q for q in have):
            return False
        have.add(o)
        self.sources.setdefault(source, []).append(f"{language}: {text}" if text else f"{language}: {list(o)}")
        return True

    def for_language(self, language: str) -> list[Tokens]:
        got = self.openings.get(language)
        if not got:  # a language without openings of its own: every language's
            got = {o for v in self.openings.values() for o in v}
        return prune_openings(got)

    def score(self, session: Session, prompts: Sequence[Prompt]) -> OpeningScore:
        """Opening log-odds and greedy answers (labelled) of `prompts` under the session's current adapter.
        The greedy answers go through llama.cpp together; each prompt's forced branches in a call of their
        own, so that the whole prompt is the call's shared start (decoded once, `Session.run_many`) and a
        branch costs only its own few tokens."""
        logp: list[dict[Tokens, dict[int, float]]] = [{} for _ in prompts]
        per = [self.for_language(p.language) for p in prompts]

        def keep(i: int, prefix: Tokens, logits: np.ndarray) -> None:
            if prefix in logp[i]:
                return
            need = {o[len(prefix)] for o in per[i] if len(o) > len(prefix) and o[:len(prefix)] == prefix}
            if need:
                lp = log_softmax(logits)
                logp[i][prefix] = {t: float(lp[t]) for t in need}

        greedy = session.run_many([p.text for p in prompts], max_tokens=self.greedy_tokens)
        for i, (p, a) in enumerate(zip(prompts, greedy, strict=True)):
            keep(i, (), a.first)
            paths = opening_paths(per[i])
            if not paths:
                continue
            got = session.run_many([p.text] * len(paths), forced=[list(x) for x in paths], keep_forced=True)
            for path, b in zip(paths, got, strict=True):
                for j, logits in enumerate(b.forced_logits[1:], start=1):  # [0]: the first token, kept above
                    keep(i, path[:j], logits)
        odds = [mass_logodds(opening_logmass(per[i], logp[i])) for i in range(len(prompts))]
        answers = [list(a.tokens) for a in greedy]
        labels = [self.label(session.detokenize(a)) for a in answers]
        return OpeningScore(logodds=odds, labels=labels, answers=answers)

    def discover(self, session: Session, prompts: Sequence[Prompt], source: str) -> list[str]:
        """Add the openings of the blocked greedy answers to `prompts` under the current adapter; returns them."""
        got = session.run_many([p.text for p in prompts], max_tokens=self.greedy_tokens)
        added = []
        for p, a in zip(prompts, got, strict=True):
            text = session.detokenize(a.tokens)
            if self.label(text) in self.blocked:
                head = session.detokenize(a.tokens[: self.opening_tokens])
                if self.add(p.language, a.tokens, source, head):
                    added.append(f"{p.language}: {head}")
        return added

    def missing(self, session: Session, prompts: Sequence[Prompt], score: OpeningScore) -> list[str]:
        """Openings of blocked greedy answers that no scored opening covers (a formula the set lacks)."""
        out = []
        for p, lab, toks in zip(prompts, score.labels, score.answers, strict=True):
            ops = self.for_language(p.language)
            if lab in self.blocked and not any(tuple(toks[:len(o)]) == o for o in ops):
                out.append(f"{p.language}: {session.detokenize(toks[: self.opening_tokens])}")
        return out


def run_search(session: Session, adapter_for: Callable[[int, str], Path], candidates: Sequence[int],
               sensitive: Sequence[Prompt], others: Sequence[Prompt], base_logits: dict[tuple[str, str], np.ndarray],
               tokens: Sequence[int], *, budget: int, kl_max: float, steps: int = 3,
               prefixes: Prefixes | None = None, n_layer: int | None = None,
               windows: Iterable[str] = ("+-2",), extra_tune: Sequence[Prompt] = (),
               first_window: str = "all", window_factors: Sequence[float] = (1.0, 2.0),
               noise_out: dict[str, float] | None = None, objective: OpeningObjective | None = None,
               log: Callable[[str], None] = lambda _m: None) -> list[Trial]:
    """Stage 1: every candidate layer at lambda 1 on the writes of `first_window` (every layer by default).
    Stage 2, for the two layers with the lowest refusal: bisect lambda towards the largest strength whose
    kl_upper stays within `kl_max` (`steps` halvings; above 1 when lambda 1 is already within it), then each of
    `windows` at that strength times each of `window_factors` (by default a narrow window at that strength and
    at twice it: a narrow window needs more lambda for the same effect); until `budget` trials.
    `extra_tune`: more KL prompts for the tune half only (never validate).
    `objective` (``OpeningObjective``; `sensitive` must then be prompts the base model refuses): first the
    openings of the greedy answers of each stage-1 edit are added to its set (the formulas an edit falls back
    to), then every trial's refusal is the opening log-odds and every trial gets the greedy goal check."""
    trials: list[Trial] = []
    tune, val = split_tune_validate(others)
    tune = [*tune, *extra_tune]
    n_layers = n_layer or session.n_layer
    # the base model's logits for the KL prompts from the very call every trial makes (same prompts, same
    # batches): llama.cpp's rounding depends on how prompts are batched, and this way lambda 0 gives KL 0
    # exactly. How far they are from `base_logits` (another batching) is reported as the numeric noise floor.
    session.set_adapter(None)
    m0 = measure(session, sensitive, [*tune, *val], base_logits, tokens, prefixes, keep_logits=True)
    noise = [r["kl"] for r in m0.per_prompt if "kl" in r]
    base_logits = {**base_logits, **m0.logits}
    if noise_out is not None:
        noise_out.update({"kl_mean": float(np.mean(noise)) if noise else 0.0,
                          "kl_max": float(max(noise, default=0.0)), "n": float(len(noise))})

    if objective is not None:
        for layer in candidates:
            session.set_adapter(adapter_for(layer, first_window), 1.0)
            try:
                added = objective.discover(session, sensitive, f"edited: layer {layer}, {first_window}, lambda 1")
            finally:
                session.set_adapter(None)
            log(f"openings from the greedy answers of layer {layer} ({first_window}, lambda 1): "
                f"{', '.join(added) if added else 'none new'}")

    def trial(layer: int, window: str, lam: float) -> Trial | None:
        lam = round(lam, 4)
        done = next((t for t in trials if t.layer == layer and t.window == window and t.lam == lam), None)
        if done is not None or len(trials) >= budget:
            return done
        session.set_adapter(adapter_for(layer, window), lam)
        try:
            m = measure(session, sensitive, [*tune, *val], base_logits, tokens, prefixes)
            sc = objective.score(session, sensitive) if objective is not None else None
        finally:
            session.set_adapter(None)
        kls = [r["kl"] for r in m.per_prompt if "kl" in r]
        strata = strata_kl(list(zip(tune, kls[: len(tune)], strict=True)),
                           list(zip(val, kls[len(tune):], strict=True)))
        worst = max(strata.values(), key=lambda d: d["upper"], default={"tune": 0.0, "upper": 0.0})
        t = Trial(layer=layer, window=window, lam=lam, refusal=m.refusal, kl=m.kl, logodds=m.logodds,
                  kl_tune=worst["tune"], kl_upper=worst["upper"],
                  kl_validate=max((d["validate"] for d in strata.values()), default=0.0),
                  kl_strata={a: {k: round(v, 5) for k, v in d.items()} for a, d in strata.items()},
                  strength=lam * len(window_layers(layer, window, n_layers)))
        if objective is not None and sc is not None:
            still = sum(lab in objective.blocked for lab in sc.labels)
            t.own_prefix, t.opening_logodds, t.refusal = m.refusal, sc.mean, sc.mean
            t.goal_checked, t.goal_refused, t.goal_n = True, still, len(sc.labels)
            t.goal_met = (len(sc.labels) - still) >= objective.goal * len(sc.labels)
            t.new_openings = objective.missing(session, sensitive, sc)
        trials.append(t)
        per = ", ".join(f"{a} {d['tune']:.4f} (upper {d['upper']:.4f}, validate {d['validate']:.4f})"
                        for a, d in strata.items())
        greedy = (f", greedy refused {t.goal_refused}/{t.goal_n} (own opening {m.refusal:.3f})"
                  if t.goal_n is not None else "")
        log(f"trial {len(trials)}: layer {layer} window {window} lambda {lam:g}: refusal {t.refusal:.3f} "
            f"(first-token log-odds {m.logodds:.3f}{greedy}), KL {per}")
        return t

    first = [t for layer in candidates if (t := trial(layer, first_window, 1.0)) is not None]
    for best in sorted(first, key=lambda t: t.refusal)[:2]:
        lo, hi = (0.0, 1.0) if best.kl_upper > kl_max else (1.0, 2.0)
        ok = best if best.kl_upper <= kl_max else None
        for _ in range(steps):
            t = trial(best.layer, first_window, (lo + hi) / 2)
            if t is None:
                break
            if t.kl_upper <= kl_max:
                lo, ok = t.lam, t
            else:
                hi = t.lam
        if ok is not None:
            for w in windows:
                for f in window_factors:
                    trial(best.layer, w, ok.lam * f)
    mark_pareto(trials)
    return trials
