"""The search over layer, lambda and layer window: first-token refusal log-odds against first-token KL.

A trial applies one candidate adapter (direction of one layer, projected out of the residual writes of a
window of layers) at strength lambda, and measures on the ``select`` prompts:

- refusal (the objective; lower is better): with refusal prefixes (the first tokens of the base model's own
  greedy refusals of the select sensitive prompts, found by the rule judge), the mean teacher-forced
  log-probability of those prefixes, i.e. log P(the model still opens with the refusal it gave); without
  any, the mean first-token refusal log-odds below;
- logodds (reported): mean over sensitive prompts of log(P(R) / (1 - P(R))) for the first answer token,
  where R is the set of tokens that open a refusal in any of the dataset's languages (``REFUSAL_OPENERS``);
- KL: mean over the given "other" prompts (harmless prompts and the controls the base model answers) of
  KL(base || edited) of the first-token distribution.

Trials not beaten on both at once form the Pareto front; the chosen trial has the lowest refusal with KL at
most ``kl_max`` (else the lowest KL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
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


@dataclass
class Trial:
    layer: int
    window: str  # "all" or "+-N"
    lam: float
    refusal: float  # the objective: mean refusal-prefix log-probability (or first-token log-odds, see above)
    kl: float  # mean first-token KL(base || edited) on the select "other" prompts
    pareto: bool = False
    logodds: float | None = None  # mean first-token refusal log-odds on select sensitive prompts

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


Prefixes = dict[tuple[str, str], list[int]]


def measure(session: Session, sensitive: Sequence[Prompt], others: Sequence[Prompt],
            base_logits: dict[tuple[str, str], np.ndarray], tokens: Sequence[int],
            prefixes: Prefixes | None = None) -> Measured:
    """Refusal figures on `sensitive` and KL against the base on `others` with the session's current adapter.
    `prefixes`: (id, language) -> the base model's refusal opening for that prompt (token ids)."""
    rows: list[dict[str, Any]] = []
    odds: list[float] = []
    lps: list[float] = []
    kls: list[float] = []
    for p in sensitive:
        prefix = (prefixes or {}).get((p.id, p.language))
        row: dict[str, Any] = {"id": p.id, "language": p.language, "arm": p.arm}
        if prefix:
            lp, logits = session.prefix_logprob(p.text, prefix)
            lps.append(lp)
            row["refusal_prefix_logprob"] = round(lp, 4)
        else:
            logits, _ = session.run(p.text)
        r = refusal_logodds(logits, tokens)
        odds.append(r)
        row["refusal_logodds"] = round(r, 4)
        rows.append(row)
    for p in others:
        logits, _ = session.run(p.text)
        k = kl(base_logits[(p.id, p.language)], logits)
        kls.append(k)
        rows.append({"id": p.id, "language": p.language, "arm": p.arm, "kl": round(k, 5)})
    logodds = float(np.mean(odds)) if odds else float("nan")
    return Measured(refusal=float(np.mean(lps)) if lps else logodds, kl=float(np.mean(kls)) if kls else 0.0,
                    per_prompt=rows, logodds=logodds)


def mark_pareto(trials: list[Trial]) -> None:
    for t in trials:
        t.pareto = not any((o.refusal <= t.refusal and o.kl <= t.kl) and (o.refusal < t.refusal or o.kl < t.kl)
                           for o in trials)


def choose(trials: Sequence[Trial], kl_max: float) -> Trial:
    ok = [t for t in trials if t.kl <= kl_max]
    return min(ok, key=lambda t: t.refusal) if ok else min(trials, key=lambda t: t.kl)


def run_search(session: Session, adapter_for: Callable[[int, str], Path], candidates: Sequence[int],
               sensitive: Sequence[Prompt], others: Sequence[Prompt], base_logits: dict[tuple[str, str], np.ndarray],
               tokens: Sequence[int], *, budget: int, kl_max: float, steps: int = 3,
               prefixes: Prefixes | None = None,
               windows: Iterable[str] = ("+-2",), log: Callable[[str], None] = lambda _m: None) -> list[Trial]:
    """Stage 1: every candidate layer at lambda 1 on every layer's writes. Stage 2, for the two layers with
    the lowest refusal log-odds: bisect lambda towards the largest strength whose KL stays within `kl_max`
    (`steps` halvings; above 1 when lambda 1 is already within it), then a narrow window at that strength;
    until `budget` trials."""
    trials: list[Trial] = []

    def trial(layer: int, window: str, lam: float) -> Trial | None:
        lam = round(lam, 4)
        done = next((t for t in trials if t.layer == layer and t.window == window and t.lam == lam), None)
        if done is not None or len(trials) >= budget:
            return done
        session.set_adapter(adapter_for(layer, window), lam)
        try:
            m = measure(session, sensitive, others, base_logits, tokens, prefixes)
        finally:
            session.set_adapter(None)
        t = Trial(layer=layer, window=window, lam=lam, refusal=m.refusal, kl=m.kl, logodds=m.logodds)
        trials.append(t)
        log(f"trial {len(trials)}: layer {layer} window {window} lambda {lam:g}: refusal {m.refusal:.3f} "
            f"(first-token log-odds {m.logodds:.3f}), KL {m.kl:.4f}")
        return t

    first = [t for layer in candidates if (t := trial(layer, "all", 1.0)) is not None]
    for best in sorted(first, key=lambda t: t.refusal)[:2]:
        lo, hi = (0.0, 1.0) if best.kl > kl_max else (1.0, 2.0)
        feasible = best if best.kl <= kl_max else None
        for _ in range(steps):
            t = trial(best.layer, "all", (lo + hi) / 2)
            if t is None:
                break
            if t.kl <= kl_max:
                lo, feasible = t.lam, t
            else:
                hi = t.lam
        if feasible is not None:
            for w in windows:
                trial(best.layer, w, feasible.lam)
    mark_pareto(trials)
    return trials
