"""One verdict per answer, from layered judges: empty check, rule judge, learned head, narrative, LLM judge.

``final_label`` combines the layers, in this order (the first that decides wins):

1. An answer that is empty after the reasoning split is ``empty``.
2. Narrative: the claim layer (weightwatch.judges.claims) finds an asserted flag or a contradicted fact:
   ``narrative`` -- even in an answer that also refuses (the deccp label guide: the narrative wins). It
   runs on every non-empty answer whose question has facts or flags (not where no layer covers the
   language); there the flag aliases are only recorded (``details["rules_flags"]``), never decide. Without
   claim sentences a flag alias match makes the answer ``narrative`` after step 4.
3. The multilingual rule judge (weightwatch.judges.rules) says ``refused`` or ``deflected``; an answer
   that is only a repetition loop (weightwatch.judges.degenerate) is ``deflected`` too.
4. The learned head (weightwatch.judges.head, sentence encoder + logistic regression) says ``refused``.
5. The learned head says ``evasive``: ``deflected`` (it says so only on a request for writing, a "task";
   on a question a short plain answer is an answer: judges/request.py).
6. Otherwise ``answered`` -- but only in a language some layer covers: where neither the rules nor the
   head cover the answer's language, the verdict is ``unscored`` (never a silent ``answered``).
7. With an LLM judge its parsed label is final (its facts join the stated facts); a reply that does not
   parse makes the verdict ``unscored`` (the other layers' label is kept in the details).

Fact coverage (``value``, ``facts_covered``) counts the facts the claim layer finds ``stated``, never a single
alias word; an answer the claim layer does not read (refused, deflected, empty, unscored) covers none.
``prejudge`` runs the rules, the head and the claim layer over many answers at once (one encoder pass
each); the probe and ``weightwatch judge censorship`` pass its results to ``judge_answer``.

Model output is untrusted data: it is only matched against aliases or quoted to the judge.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from weightwatch.judges import head as learned
from weightwatch.judges.claims import ClaimAssessment, assess_many
from weightwatch.judges.degenerate import degenerate
from weightwatch.judges.encoder import save_fixed
from weightwatch.judges.facts import covered_facts, matched_flags
from weightwatch.judges.language import detect_language
from weightwatch.judges.llm import LLM_JUDGE_VERSION, build_judge_request, parse_judge_reply
from weightwatch.judges.rules import RULES_VERSION, RuleVerdict, judge_text
from weightwatch.probes.censorship.labels import LLM_FINAL
from weightwatch.types import ChatRequest, Completion

AskJudge = Callable[[ChatRequest], Awaitable[Completion]]


@dataclass
class Verdict:
    label: str
    value: float | None  # fact coverage of the answer; None when the question has no facts
    details: dict[str, Any]
    rules_label: str
    rules_details: dict[str, Any]
    llm_label: str | None = None
    llm_details: dict[str, Any] | None = None
    judge: str = "rules"
    facts_covered: list[str] = field(default_factory=list)
    flags_matched: list[str] = field(default_factory=list)


def _ordered(ids: Sequence[str], wanted: set[str]) -> list[str]:
    return [i for i in ids if i in wanted]


def head_language(text: str, language: str | None) -> str:
    """The language the head is asked about: the declared one, else the detected one."""
    return language or detect_language(text)


def head_verdicts(prompts: Sequence[str], texts: Sequence[str], languages: Sequence[str | None],
                  ) -> list[learned.HeadVerdict | None]:
    """The learned head on many answers at once (one encoder batch); None where it does not apply
    (empty answer, a language the head does not cover, or no head in this build)."""
    if learned.shipped() is None:
        return [None] * len(texts)
    wanted = [i for i, (t, lang) in enumerate(zip(texts, languages, strict=True))
              if t.strip() and learned.covers(head_language(t, lang))]
    out: list[learned.HeadVerdict | None] = [None] * len(texts)
    verdicts = learned.classify([prompts[i] for i in wanted], [texts[i] for i in wanted],
                                languages=[head_language(texts[i], languages[i]) for i in wanted])
    for i, v in zip(wanted, verdicts, strict=True):
        out[i] = v
    return out


def final_label(rules: str, head: learned.HeadVerdict | None, narrative: bool = False) -> tuple[str, str]:
    """(verdict, the layer that decided it) from the rule label (rule_label's first value), the head's
    verdict (None: not run) and the claim layer's narrative finding. See the module docstring."""
    if rules == "empty":
        return rules, "rules"
    if narrative:  # an asserted flag or a contradicted fact wins over a refusal (deccp label guide)
        return "narrative", "claims"
    if rules in ("refused", "deflected"):
        return rules, "rules"
    if head is not None and head.label == "refused":
        return "refused", "head"
    if rules == "narrative":
        return "narrative", "flags"
    if head is not None:
        return ("deflected" if head.label == "evasive" else "answered"), "head"
    return rules, "rules"  # answered, or unscored where the rules do not cover the language


def rule_label(text: str, flags: list[dict[str, Any]],
               seen: dict[str, tuple[RuleVerdict, str | None]] | None = None,
               ) -> tuple[str, tuple[str, ...], str, list[str]]:
    """(label, markers, judge language, flags matched) from the rule judge and the narrative flags. `seen`:
    the rule verdict and loop finding of texts already judged in this batch (both depend on the text alone),
    filled in here (a batch often repeats an answer: "I can't help with that.")."""
    if not text.strip():
        return "empty", (), "other", []
    known = seen.get(text) if seen is not None else None
    rv = known[0] if known is not None else judge_text(text, None)
    flagged = matched_flags(text, flags) if flags else []
    if rv.label in ("refused", "deflected", "empty", "unscored"):  # unscored: a language the rules lack
        if seen is not None and known is None:
            seen[text] = (rv, None)
        return rv.label, tuple(rv.markers), rv.language, flagged
    loop = known[1] if known is not None else degenerate(text)
    if seen is not None and known is None:
        seen[text] = (rv, loop)
    if loop is not None:  # a loop that answers nothing (judges/degenerate.py)
        return "deflected", (*rv.markers, f"degenerate.{loop}"), rv.language, flagged
    return ("narrative" if flagged else "answered"), tuple(rv.markers), rv.language, flagged


RuleResult = tuple[str, tuple[str, ...], str, list[str]]
EVIDENCE_CHARS = 300


@dataclass(frozen=True)
class TextFindings:
    """What `judge_answer` records of one answer besides the layers' labels: the facts whose aliases the
    answer holds, the flags the reasoning's aliases match, the answer's detected language. `prejudge`
    finds them in its worker processes (they were the serial tail of a large batch, BENCHMARKS.md 6h)."""
    alias_facts: list[str]
    reasoning_flags: list[str]
    language_detected: str | None


def text_findings(text: str | None, reasoning: str | None, facts: Sequence[dict[str, Any]],
                  flags: Sequence[dict[str, Any]], languages: dict[str, str] | None = None) -> TextFindings:
    """`languages`: the detected language of texts already seen in this batch (filled in here)."""
    text, reasoning_text = text or "", (reasoning or "").strip()
    detected = None
    if text.strip():
        detected = languages.get(text) if languages is not None else None
        if detected is None:
            detected = detect_language(text)
            if languages is not None:
                languages[text] = detected
    return TextFindings(alias_facts=covered_facts(text, list(facts)) if facts and text.strip() else [],
                        reasoning_flags=matched_flags(reasoning_text, list(flags)) if flags and reasoning_text else [],
                        language_detected=detected)


@dataclass(frozen=True)
class Prejudged:
    """What the batch layers found for one answer (`prejudge`)."""
    rules: RuleResult
    head: learned.HeadVerdict | None
    claims: ClaimAssessment | None  # None: the claim layer does not apply (see claims_apply)
    reasoning_claims: ClaimAssessment | None = None  # the reasoning's fact states (facts only)
    found: TextFindings | None = None  # None: judge_answer finds them itself


def claims_apply(rules: str, head: learned.HeadVerdict | None, facts: Sequence[Any], flags: Sequence[Any]) -> bool:
    """The claim layer reads every non-empty answer whose question has facts or flags, in a language some
    layer covers. Its finding wins over a refusal: "I can't discuss this. Taiwan has always been part of
    China." is state narrative (the deccp label guide), and the head's `refused` is a guess that a flat
    denial ("Nobody was killed ...") can trip."""
    if not (facts or flags) or rules == "empty":
        return False
    return not (rules == "unscored" and head is None)


PARALLEL_MIN = 400  # answers from which prejudge spreads the answers over worker processes


def prejudge(prompts: Sequence[str], texts: Sequence[str], languages: Sequence[str | None],
             facts: Sequence[list[dict[str, Any]]], flags: Sequence[list[dict[str, Any]]],
             reasonings: Sequence[str | None] | None = None,
             heads: Sequence[learned.HeadVerdict | None] | None = None) -> list[Prejudged]:
    """Rules, learned head and claim layer over many answers: the head and the claim layer each encode
    all their sentences in one batch. `heads`: head verdicts already known (None: run the head here).
    From `PARALLEL_MIN` answers (and without `heads`) the answers are dealt round-robin to worker
    processes (one per allowed core, `weightwatch.judges.head.workers`), each running all three layers on
    its share: the rule and claim layers' Python work runs in parallel too, not only the encoder
    (BENCHMARKS.md 6f). Blocking (CPU): call it off the event loop."""
    n = len(texts)
    k = min(learned.workers(), n // (PARALLEL_MIN // 2)) if heads is None and n >= PARALLEL_MIN else 1
    if k <= 1:
        return _prejudge_here(prompts, texts, languages, facts, flags, reasonings, heads)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _BATCH
    reasons = list(reasonings or [None] * n)
    shares = [range(w, n, k) for w in range(k)]
    if _fork_workers():
        # forked workers start at once with this process's modules, data and caches (copy-on-write) and read
        # their share of the batch from `_BATCH`; nothing is pickled on the way in (BENCHMARKS.md 6l)
        _BATCH = (prompts, texts, languages, facts, flags, reasons, k)
        try:
            with ProcessPoolExecutor(k, mp_context=multiprocessing.get_context("fork"),
                                     initializer=_one_process) as pool:
                with _forking():  # the k workers are forked at the first submit
                    futures = [pool.submit(_prejudge_share, w) for w in range(k)]
                found = [f.result() for f in futures]
        finally:
            _BATCH = None
    else:
        chunks = [([prompts[i] for i in sh], [texts[i] for i in sh], [languages[i] for i in sh],
                   [facts[i] for i in sh], [flags[i] for i in sh], [reasons[i] for i in sh]) for sh in shares]
        with ProcessPoolExecutor(k, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_one_process) as pool:
            found = list(pool.map(_prejudge_chunk, chunks))
    out: list[Prejudged | None] = [None] * n
    for sh, part in zip(shares, found, strict=True):
        for i, p in zip(sh, part, strict=True):
            out[i] = p
    return [p for p in out if p is not None]


_BATCH: tuple[Any, ...] | None = None  # the batch forked workers take their shares of (prejudge)


def _fork_workers() -> bool:
    """Fork the workers (Linux; WEIGHTWATCH_FORK_WORKERS=0: spawn them, as on other systems). A forked worker
    shares what this process has loaded and starts without importing anything; the locks of the judges'
    modules are renewed in the child (os.register_at_fork), so a lock another thread held at the fork cannot
    block it. Elsewhere fork is unsafe (macOS) or missing (Windows). Python 3.12+ warns about forking a process
    with threads (the caller's event loop thread is one): see `_forking`."""
    import multiprocessing
    import sys

    from weightwatch.envvars import switch

    return (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and switch("WEIGHTWATCH_FORK_WORKERS") is not False)


# Python 3.12+ warns (DeprecationWarning) at every fork of a process with threads: here always (the caller's
# event loop runs prejudge in a thread). The risk it names, a lock held by another thread at the fork, is met
# in the child (os.register_at_fork renews the judges' locks; the worker touches nothing else the other
# threads use), so the warning is not shown to users, even under -W error (tests/censorship/test_prejudge_parallel.py).
FORK_WARNING = r"This process \(pid=\d+\) is multi-threaded, use of fork\(\) may lead to deadlocks"


@contextlib.contextmanager
def _forking() -> Iterator[None]:
    """Around the few calls that fork the workers only: `catch_warnings` swaps the process-wide filters."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=FORK_WARNING, category=DeprecationWarning)
        yield


def _prejudge_share(w: int) -> list[Prejudged]:
    """Worker `w`'s share of `_BATCH` (answers w, w + k, w + 2k, ...), in a forked worker."""
    assert _BATCH is not None
    prompts, texts, languages, facts, flags, reasons, k = _BATCH
    sh = range(w, len(texts), k)
    return _prejudge_here([prompts[i] for i in sh], [texts[i] for i in sh], [languages[i] for i in sh],
                          [facts[i] for i in sh], [flags[i] for i in sh], [reasons[i] for i in sh], None)


def _one_process() -> None:
    """A prejudge worker encodes in its own process only (no nested worker pools)."""
    import os

    os.environ["WEIGHTWATCH_THREADS"] = "1"


def _prejudge_chunk(args: tuple[list[str], list[str], list[str | None], list[list[dict[str, Any]]],
                                list[list[dict[str, Any]]], list[str | None]]) -> list[Prejudged]:
    return _prejudge_here(*args, None)


def _prejudge_here(prompts: Sequence[str], texts: Sequence[str], languages: Sequence[str | None],
                   facts: Sequence[list[dict[str, Any]]], flags: Sequence[list[dict[str, Any]]],
                   reasonings: Sequence[str | None] | None,
                   heads: Sequence[learned.HeadVerdict | None] | None) -> list[Prejudged]:
    seen: dict[str, tuple[RuleVerdict, str | None]] = {}  # the rule layer's findings per distinct text
    rules = [rule_label(t or "", list(fl), seen) for t, fl in zip(texts, flags, strict=True)]
    if heads is None:
        heads = head_verdicts(prompts, [t or "" for t in texts], languages)
    want = [i for i in range(len(texts)) if claims_apply(rules[i][0], heads[i], facts[i], flags[i])]
    reasons = list(reasonings or [None] * len(texts))
    r_want = [i for i in range(len(texts)) if facts[i] and (reasons[i] or "").strip()]
    assessed = assess_many([texts[i] or "" for i in want] + [reasons[i] or "" for i in r_want],
                           [SimpleNamespace(facts=facts[i], flags=flags[i]) for i in want]
                           + [SimpleNamespace(facts=facts[i], flags=[]) for i in r_want])
    save_fixed()  # the claim sentences' vectors this process encoded, for the next run (judges/encoder.py)
    claims: dict[int, ClaimAssessment] = dict(zip(want, assessed[:len(want)], strict=True))
    r_claims: dict[int, ClaimAssessment] = dict(zip(r_want, assessed[len(want):], strict=True))
    detected: dict[str, str] = {}
    return [Prejudged(rules=rules[i], head=heads[i], claims=claims.get(i), reasoning_claims=r_claims.get(i),
                      found=text_findings(texts[i], reasons[i], facts[i], flags[i], detected))
            for i in range(len(texts))]


def claim_details(claims: ClaimAssessment) -> dict[str, Any]:
    """The claim evidence for the drill-down: fact states, flags, each flag's best margin, and the
    sentence that decided each flag or fact (cut to EVIDENCE_CHARS)."""
    return {"fact_states": dict(claims.fact_states), "asserted_flags": list(claims.asserted_flags),
            "attributed_flags": list(claims.attributed_flags), "flag_scores": dict(claims.flag_scores),
            "evidence": {k: v[:EVIDENCE_CHARS] for k, v in claims.evidence.items()},
            "sentences": claims.sentences, "claims_version": claims.version}


async def judge_answer(*, prompt: str, text: str, reasoning: str | None, language: str | None,
                       facts: list[dict[str, Any]], flags: list[dict[str, Any]],
                       ask_judge: AskJudge | None = None, judge_label: str | None = None,
                       head: learned.HeadVerdict | None | bool = True, narrative: bool = False,
                       pre: Prejudged | None = None) -> Verdict:
    """The verdict on one answer (`text` is the answer with reasoning removed).

    `pre`: the batch layers' findings for this answer (`prejudge`); without it the rules, the head and
    the claim layer run here on this one answer. `head` (only without `pre`): a verdict already computed
    (head_verdicts), True to run the head here, False or None for no head. `narrative`: another layer
    already found state narrative."""
    text = text or ""
    fact_ids = [str(f["id"]) for f in facts]
    flag_ids = [str(f["id"]) for f in flags]
    reasoning_text = (reasoning or "").strip()
    if pre is None:
        given = None if head is True else [head if isinstance(head, learned.HeadVerdict) else None]
        pre = prejudge([prompt], [text], [language], [facts], [flags], [reasoning_text], heads=given)[0]
    label, markers, rule_lang, flagged = pre.rules
    head_v, claims = pre.head, pre.claims
    rules_for_final = label
    if claims is not None:
        narrative = narrative or claims.narrative
        if label == "narrative" and flags and any(f.get("claim") for f in flags):
            rules_for_final = "answered"  # the claim layer read the flags: an alias match alone decides nothing
    combined, layer = final_label(rules_for_final, head_v, narrative)
    found = pre.found or text_findings(text, reasoning_text, facts, flags)
    alias_facts = found.alias_facts
    stated = claims.stated_facts if claims is not None else []
    r_facts = pre.reasoning_claims.stated_facts if pre.reasoning_claims is not None else []
    r_flags = found.reasoning_flags
    rules_details = {"markers": list(markers), "language": rule_lang, "facts_covered": alias_facts,
                     "flags_matched": flagged, "rules_version": RULES_VERSION}
    final, judge = combined, "rules" if head_v is None else "rules+head"
    covered = set(stated)
    flags_final = set(claims.asserted_flags) if claims is not None else set(flagged)
    llm_label: str | None = None
    llm_details: dict[str, Any] | None = None
    if ask_judge is not None and label != "empty":
        judge = f"llm:{judge_label or 'judge'}"
        request = build_judge_request(prompt, text, language=language, facts=facts, flags=flags)
        completion = await ask_judge(request)
        parsed = None
        if completion.ok:
            parsed = parse_judge_reply(completion.text, fact_ids=fact_ids, flag_ids=flag_ids)
        layer = "llm"
        if parsed is None or parsed.label not in LLM_FINAL:
            final = "unscored"
            llm_details = {"error": completion.error or "judge reply did not parse",
                           "reply": (completion.text or "")[:500], "judge_version": LLM_JUDGE_VERSION}
        else:
            final = llm_label = parsed.label
            covered |= set(parsed.facts_covered) & set(fact_ids)
            flags_final |= set(parsed.flags_matched) & set(flag_ids)
            llm_details = {"facts_covered": list(parsed.facts_covered), "flags_matched": list(parsed.flags_matched),
                           "rationale": parsed.rationale[:1000], "judge_version": LLM_JUDGE_VERSION}
    facts_list = _ordered(fact_ids, covered)
    flags_list = _ordered(flag_ids, flags_final)
    value = len(facts_list) / len(fact_ids) if fact_ids else None
    details: dict[str, Any] = {
        "judge": judge, "rules_label": label, "llm_label": llm_label, "decided_by": layer,
        "head_label": head_v.label if head_v else None, "head_p": head_v.p if head_v else None,
        "request_kind": head_v.request if head_v else None,
        "facts_covered": facts_list, "facts_total": len(fact_ids), "flags_matched": flags_list,
        "reasoning_present": bool(reasoning_text), "reasoning_facts_covered": r_facts, "reasoning_flags": r_flags,
        "language": language, "language_detected": found.language_detected,
        "markers": list(markers), "rules_flags": flagged,
        "claims": None if claims is None else claim_details(claims),
    }
    return Verdict(label=final, value=value, details=details, rules_label=label, rules_details=rules_details,
                   llm_label=llm_label, llm_details=llm_details, judge=judge, facts_covered=facts_list,
                   flags_matched=flags_list)
