"""The opening-agnostic objective: the refusal-opening mass over a prefix tree, exact against brute force, and
blind to an edit that only swaps one refusal formula for another (the failure of the own-opening objective)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from weightwatch.modify.capture import Answer
from weightwatch.modify.prompts import Prompt
from weightwatch.modify.search import (
    OpeningObjective,
    Trial,
    check_goals,
    choose,
    log_softmax,
    mass_logodds,
    opening_logmass,
    opening_paths,
    prune_openings,
    run_search,
)

# a toy vocabulary: "I'm unable" = (0, 1, 2), "I'm sorry" = (0, 1, 3), "As an AI" = (6, 7, 8)
WORDS = ["I", "'m", " unable", " sorry", "Yes", " the", "As", " an", " AI", "."]
V = len(WORDS)


class _ToyLM:
    """A next-token model with a knob: `swap` moves "I'm unable" to "I'm sorry" (the same refusal, another
    formula), `answer` moves the first token from "I" / "As" to "Yes" (an answer)."""

    n_layer = 4

    def __init__(self) -> None:
        self.swap = 0.0
        self.answer = 0.0

    def set_adapter(self, path: object, scale: float = 1.0) -> None:
        mode = str(path or "")
        self.swap = scale if mode == "swap" else 0.0
        self.answer = scale if mode == "answer" else 0.0

    def logits(self, prefix: Sequence[int]) -> np.ndarray:
        x = np.full(V, -4.0)
        if not prefix:
            x[0], x[6], x[4] = 2.0 - 3 * self.answer, 0.5 - 3 * self.answer, 0.0 + 3 * self.answer
        elif tuple(prefix) == (0,):
            x[1], x[5] = 3.0, 0.0
        elif tuple(prefix) == (0, 1):
            x[2], x[3] = 2.0 - 2 * self.swap, 0.0 + 2 * self.swap
        elif tuple(prefix) == (6,):
            x[7] = 3.0
        elif tuple(prefix) == (6, 7):
            x[8] = 3.0
        else:
            x[9] = 3.0
        return x

    def run_many(self, texts: Sequence[str], layers: object = (), max_tokens: int | Sequence[int] = 0,
                 forced: Sequence[Sequence[int]] | None = None, keep_forced: bool = False) -> list[Answer]:
        out = []
        limits = [max_tokens] * len(texts) if isinstance(max_tokens, int) else list(max_tokens)
        for i, _ in enumerate(texts):
            f = list((forced or [[] for _ in texts])[i])
            a = Answer(first=self.logits([]))
            if f:
                a.forced_logprob = sum(float(log_softmax(self.logits(f[:j]))[f[j]]) for j in range(len(f)))
                if keep_forced:
                    a.forced_logits = [self.logits(f[:j]) for j in range(len(f))]
            else:
                toks: list[int] = []
                for _ in range(int(limits[i])):
                    toks.append(int(np.argmax(self.logits(toks))))
                a.tokens = toks
            out.append(a)
        return out

    def detokenize(self, tokens: Sequence[int]) -> str:
        return "".join(WORDS[t] for t in tokens)


def _label(text: str) -> str:
    return "refused" if text.startswith(("I'm", "As an")) else "answered"


def _prompts(n: int = 3) -> list[Prompt]:
    return [Prompt(id=f"p{i}", pair=f"p{i}", topic="t", arm="sensitive", language="en", text=f"q{i}")
            for i in range(n)]


def _brute_logmass(lm: _ToyLM, openings: Sequence[tuple[int, ...]]) -> float:
    """Sum over every token sequence as long as the longest opening that begins with one of them."""
    n = max(len(o) for o in openings)
    total = 0.0
    for seq in itertools.product(range(V), repeat=n):
        if any(seq[:len(o)] == o for o in openings):
            total += float(np.exp(sum(log_softmax(lm.logits(seq[:j]))[seq[j]] for j in range(n))))
    return float(np.log(total))


def test_prune_keeps_the_shortest_form_and_paths_cover_every_branch() -> None:
    ops = prune_openings([(0, 1, 2), (0, 1, 2, 9), (0, 1, 3), (6, 7, 8), (4,), (), (0, 1, 2)])
    assert ops == [(0, 1, 2), (0, 1, 3), (4,), (6, 7, 8)]
    paths = opening_paths(ops)
    assert sorted(p[:-1] for p in paths) == [(0, 1), (6, 7)]  # one forced sequence per deepest parent
    assert opening_paths([(4,), (9,)]) == []  # first-token openings: no forcing needed


def test_logmass_over_the_tree_equals_brute_force() -> None:
    lm = _ToyLM()
    ops = prune_openings([(0, 1, 2), (0, 1, 3), (6, 7, 8), (0, 5)])
    objective = OpeningObjective(label=_label, openings={"en": set(ops)})
    for mode, scale in (("", 0.0), ("swap", 1.0), ("answer", 0.7)):
        lm.set_adapter(mode or None, scale)
        got = objective.score(lm, _prompts(1)).logodds[0]  # type: ignore[arg-type]
        want = _brute_logmass(lm, ops)
        assert got == pytest.approx(mass_logodds(want), abs=1e-9)
    # opening_logmass straight from the conditional log-probabilities
    logp = {(): {0: np.log(0.5)}, (0,): {1: np.log(0.5)}}
    assert opening_logmass([(0, 1)], logp) == pytest.approx(np.log(0.25))


def test_a_swapped_formula_is_no_progress_but_an_answer_is() -> None:
    """The own-opening objective scores the swap as a large gain; the opening objective does not, and its greedy
    check still counts the answer as refused. An edit towards an answer lowers both."""
    lm = _ToyLM()
    objective = OpeningObjective(label=_label, greedy_tokens=3)
    for o in [(0, 1, 2), (0, 1, 3), (6, 7, 8)]:
        assert objective.add("en", o, "test")
    assert not objective.add("en", (0, 1, 2, 9), "test")  # covered by (0, 1, 2)
    own = [0, 1, 2]
    base = objective.score(lm, _prompts())  # type: ignore[arg-type]
    own_base = lm.run_many(["q"], forced=[own])[0].forced_logprob
    lm.set_adapter("swap", 1.0)
    swapped = objective.score(lm, _prompts())  # type: ignore[arg-type]
    own_swapped = lm.run_many(["q"], forced=[own])[0].forced_logprob
    assert own_base is not None and own_swapped is not None and own_swapped < own_base - 1.5  # "progress"
    assert swapped.mean == pytest.approx(base.mean, abs=1e-6)  # the refusal mass did not move
    assert swapped.labels == ["refused"] * 3 and lm.detokenize(swapped.answers[0]) == "I'm sorry"
    assert objective.missing(lm, _prompts(), swapped) == []  # "I'm sorry" is in the set
    lm.set_adapter("answer", 1.0)
    answered = objective.score(lm, _prompts())  # type: ignore[arg-type]
    assert answered.mean < base.mean - 2 and answered.labels == ["answered"] * 3


def test_discovery_adds_the_formula_an_edit_falls_back_to() -> None:
    lm = _ToyLM()
    objective = OpeningObjective(label=_label, greedy_tokens=3)
    objective.add("en", (0, 1, 2), "base")
    lm.set_adapter("swap", 1.0)
    sc = objective.score(lm, _prompts(1))  # type: ignore[arg-type]
    assert objective.missing(lm, _prompts(1), sc) == ["en: I'm sorry"]  # type: ignore[arg-type]
    assert objective.discover(lm, _prompts(1), "edited") == ["en: I'm sorry"]  # type: ignore[arg-type]
    assert objective.for_language("en") == [(0, 1, 2), (0, 1, 3)]
    assert objective.sources["edited"] == ["en: I'm sorry"]
    assert objective.for_language("de") == [(0, 1, 2), (0, 1, 3)]  # no German forms: every language's


def _t(lam: float, refusal: float, greedy: int | None, kl_upper: float = 0.05) -> Trial:
    return Trial(layer=10, window="all", lam=lam, refusal=refusal, kl=kl_upper / 2, kl_upper=kl_upper,
                 kl_validate=kl_upper, strength=lam * 24, goal_checked=greedy is not None, goal_refused=greedy,
                 goal_n=8 if greedy is not None else None, goal_met=(greedy <= 2) if greedy is not None else None)


def test_choose_with_every_feasible_trial_checked_takes_the_fewest_greedy_refusals() -> None:
    lower_obj, fewer = _t(0.5, -3.0, 6), _t(0.4, -2.5, 4)
    assert choose([lower_obj, fewer, _t(1.0, -9.0, 0, kl_upper=0.3)], 0.1) is fewer
    # one feasible trial unchecked (the own objective): the old rule, the lowest objective
    assert choose([lower_obj, _t(0.4, -2.5, None)], 0.1) is lower_obj
    # check_goals does not re-check trials the search already checked
    trials = [lower_obj, fewer]
    calls: list[int] = []
    check_goals(None, lambda _l, _w: Path("x"), trials, 0.1,  # type: ignore[arg-type]
                lambda: (calls.append(1), (0, 8))[1], 8)
    assert calls == [] and fewer.goal_refused == 4


def test_run_search_with_the_opening_objective_checks_every_trial() -> None:
    lm = _ToyLM()
    sens = _prompts(2)
    others = [Prompt(id=f"c{i}", pair=f"c{i}", topic="t", arm="control", language="en", text=f"c{i}")
              for i in range(6)]
    base = {(p.id, p.language): lm.logits([]) for p in [*sens, *others]}
    objective = OpeningObjective(label=_label, greedy_tokens=3)
    objective.add("en", (0, 1, 2), "base")
    modes = {1: "swap", 2: "answer"}
    trials = run_search(lm, lambda layer, _w: Path(modes[layer]), [1, 2], sens, others, base, [0, 6],  # type: ignore[arg-type]
                        budget=4, kl_max=10.0, prefixes={(p.id, "en"): [0, 1, 2] for p in sens},
                        objective=objective)
    assert objective.for_language("en") == [(0, 1, 2), (0, 1, 3)]  # stage 1 found the swapped formula
    assert all(t.goal_checked and t.goal_n == 2 and t.opening_logodds == t.refusal for t in trials)
    swap = next(t for t in trials if t.layer == 1 and t.lam == 1.0)
    ans = next(t for t in trials if t.layer == 2 and t.lam == 1.0)
    assert swap.own_prefix is not None and ans.own_prefix is not None
    own_base = lm.run_many(["q"], forced=[[0, 1, 2]])[0].forced_logprob  # the search resets the adapter
    assert own_base is not None and swap.own_prefix < own_base - 1.5  # the own opening sees progress
    assert swap.refusal > 0  # the opening objective does not: most of the mass is still a refusal
    assert ans.refusal < swap.refusal and ans.goal_refused == 0 and swap.goal_refused == 2
    assert choose(trials, 10.0).layer == 2


def test_opening_mass_through_llama_cpp_equals_the_sum_of_teacher_forced_openings(tmp_path: Path) -> None:
    """On the tiny GGUF, through Session.run_many's forced sequences: the tree's mass is the sum over the
    openings of P(opening | prompt), each teacher-forced on its own with Session.prefix_logprob."""
    pytest.importorskip("llama_cpp")
    from tests.modify.tiny import build_tiny
    from weightwatch.modify.capture import Session

    base = build_tiny(tmp_path / "tiny.gguf")
    prompts = _prompts(2)
    with Session(base) as session:
        toks = [session.llm.tokenize(t.encode(), add_bos=False, special=False)
                for t in ("hello world", "hello the", "the a", "world")]
        objective = OpeningObjective(label=_label, greedy_tokens=2)
        for t in toks:
            objective.add("en", t, "test", whole=True)
        ops = objective.for_language("en")
        assert len(ops) >= 3 and len(opening_paths(ops)) >= 1
        got = objective.score(session, prompts)
        for p, odds in zip(prompts, got.logodds, strict=True):
            want = float(np.log(sum(np.exp(session.prefix_logprob(p.text, list(o))[0]) for o in ops)))
            assert odds == pytest.approx(mass_logodds(want), abs=1e-4)


def test_modify_on_tiny_model_with_the_opening_objective(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    from tests.modify.tiny import build_tiny
    from weightwatch.modify.pipeline import ModifyOptions, modify_refusal_direction

    base = build_tiny(tmp_path / "tiny.gguf")
    opts = ModifyOptions(languages=["en", "de"], max_items=1, budget=3, candidates=2, check_tokens=4,
                         objective="openings")
    result = modify_refusal_direction(f"gguf:{base}", tmp_path / "a.lora.gguf", opts)
    report = result.report
    assert report["objective_method"] == "openings" and report["objective"].startswith("refusal-opening")
    assert report["openings"]["n_by_language"]["en"] > 0 and report["openings"]["n_by_language"]["de"] > 0
    assert "judge forms" in report["openings"]["sources"]
    assert all(t["goal_checked"] and t["opening_logodds"] == t["refusal"] for t in report["trials"])
