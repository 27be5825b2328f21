"""Censorship of China-sensitive topics, with matched non-China controls, in four languages.

Each dataset item (factual, evaluative or expressive) is asked in every chosen language, once about
the sensitive topic and once about its control; the censorship gap is the difference between the two
arms. Answers are labelled by layered judges (see scoring.py) and aggregated in metrics.py.
Sizes, labels and every metric: docs/censorship.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from weightwatch.errors import UserError
from weightwatch.judges.language import canonical_language
from weightwatch.probes.base import PlanContext, ScoreContext, SummaryContext, TargetInfo
from weightwatch.probes.censorship import calibration, dataset
from weightwatch.probes.censorship.headlines import HEADLINES
from weightwatch.probes.censorship.labels import LLM_SCORER, RULES_SCORER, SCORER
from weightwatch.probes.censorship.metrics import summarize as summarize_metrics
from weightwatch.probes.censorship.options import CensorshipOptions
from weightwatch.probes.registry import register
from weightwatch.types import (
    ChatRequest,
    Message,
    PlannedRequest,
    ProbeResult,
    Sample,
    Score,
    ScoredSample,
)

if TYPE_CHECKING:
    from weightwatch.probes.censorship.scoring import Prejudged

# quick is the default audit's size: its censorship gap (sensitive vs control) is the headline, so quick
# asks every topic (one item each, kinds rotating) in two languages: 32 answers per arm (was 8 topics, 16
# per arm). 128 tokens: the embedded Qwen's answers average 55 tokens (2 of 32 longer than 128 in the
# last audit); SmolLM2's ramble to any limit (24 of 32 cut at 160). BENCHMARKS.md section 10.
QUICK_TOPICS = ("tiananmen", "taiwan", "tibet", "xinjiang", "hong-kong", "falun-gong", "xi-jinping",
                "covid-li-wenliang", "709-crackdown", "cultural-revolution", "great-firewall",
                "great-leap-famine", "liu-xiaobo", "one-child-policy", "peng-shuai", "south-china-sea")
QUICK_LANGUAGES = ("en", "zh-Hans")
MAX_TOKENS = {"quick": 128, "standard": 320, "full": 320}
# 5: the gap is tested paired (exact McNemar by template) on greedy answers;
# 4: the claim layer decides narrative and fact coverage (stated facts only);
# 3: both arms from one template (dataset v2), faithful-answer aliases removed; 2: loops
PROBE_VERSION = "5"


def probe_options(options: dict[str, Any]) -> dict[str, Any]:
    """Options given flat (options["languages"]) or namespaced (options["censorship"]["languages"])."""
    merged = {k: v for k, v in options.items() if k != "censorship"}
    merged.update(dict(options.get("censorship") or {}))
    return merged


def _as_list(value: Any, what: str) -> list[str] | None:
    """None when not given; else the names, each once (an empty list or string is an error)."""
    if value is None:
        return None
    if isinstance(value, str):
        items = [x.strip() for x in value.split(",") if x.strip()]
    elif isinstance(value, list | tuple):
        items = [str(x).strip() for x in value if str(x).strip()]
    else:
        raise UserError(f"censorship option '{what}' must be a list", f"e.g. {what}=en,zh-Hans")
    if not items:  # an empty list is not "the default": it used to run every default topic / language silently
        raise UserError(f"censorship option '{what}' names nothing ({value!r})",
                        f"name at least one, e.g. {what}={'en,zh-Hans' if what == 'languages' else 'tiananmen'}, "
                        "or leave the option out for the size's default")
    return list(dict.fromkeys(items))  # a topic given twice is asked once (its answers counted once)


def chosen_languages(opts: dict[str, Any], size: str, known: Iterable[str]) -> list[str]:
    known = list(known)
    wanted = _as_list(opts.get("languages"), "languages")
    if wanted is None:
        return [lg for lg in QUICK_LANGUAGES if lg in known] if size == "quick" else known
    # read as the judges write tags: EN, en-US -> en; zh-cn -> zh-Hans (judges.language.canonical_language)
    resolved = [canonical_language(lg, tuple(known)) or lg for lg in wanted]
    bad = [lg for lg, r in zip(wanted, resolved, strict=True) if r not in known]
    if bad:
        raise UserError(f"unknown censorship language(s): {', '.join(bad)}", f"known: {', '.join(known)}")
    return list(dict.fromkeys(resolved))


def plan_items(opts: dict[str, Any], size: str) -> list[tuple[dataset.Topic, dataset.Item]]:
    """(topic, item) pairs for a size: quick = one item of each quick topic, kinds rotating."""
    topics = {t.topic: t for t in dataset.load_topics()}
    wanted = _as_list(opts.get("topics"), "topics")
    if wanted is not None:
        bad = [t for t in wanted if t not in topics]
        if bad:
            raise UserError(f"unknown censorship topic(s): {', '.join(bad)}", f"known: {', '.join(sorted(topics))}")
        names = wanted
    elif size == "quick":
        names = [t for t in QUICK_TOPICS if t in topics]
    else:
        names = sorted(topics)
    out: list[tuple[dataset.Topic, dataset.Item]] = []
    for i, name in enumerate(names):
        topic = topics[name]
        if size == "quick":
            kind = dataset.KINDS[i % len(dataset.KINDS)]
            item = next((it for it in topic.items if it.kind == kind), topic.items[0])
            out.append((topic, item))
        else:
            out.extend((topic, it) for it in topic.items)
    return out


def _request(prompt: str, temperature: float, seed: int | None, max_tokens: int) -> ChatRequest:
    # no system prompt (the model's own default template) and no stop sequences
    return ChatRequest(messages=[Message(role="user", content=prompt)], temperature=temperature, seed=seed,
                       max_tokens=max_tokens)


def _facts_for(sample: Sample) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    meta = sample.planned.meta
    if meta.get("source") == "prompts":
        found = dataset.prompt_index().get(dataset.normalise(_prompt_of(sample)))
        if found is None:
            return [], []
        return list(found[0].facts), list(found[0].flags)
    ref = dataset.index().get(sample.planned.item_id)
    if ref is None:
        return [], []
    return list(ref.facts), list(ref.flags)


def _prompt_of(sample: Sample) -> str:
    users = [m.content for m in sample.planned.request.messages if m.role == "user"]
    return users[-1] if users else ""


@register
class CensorshipProbe:
    name = "censorship"
    Options = CensorshipOptions
    headlines = HEADLINES
    uses_judge = True  # another --judge (or none) re-scores journaled answers (api.scoring_version)
    runs_model_code = False
    description = ("Refusal, deflection and state-narrative echo on China-sensitive topics vs matched non-China "
                   "controls, in English, Simplified and Traditional Chinese and German.")

    @property
    def version(self) -> str:
        """Probe + dataset + judge versions: a change to any of them re-scores journaled answers."""
        from weightwatch.judges.claims import CLAIMS_VERSION
        from weightwatch.judges.head import head_version
        from weightwatch.judges.llm import LLM_JUDGE_VERSION
        from weightwatch.judges.rules import RULES_VERSION

        return (f"{PROBE_VERSION}.d{dataset.dataset_digest()}.r{RULES_VERSION}.l{LLM_JUDGE_VERSION}"
                f".c{CLAIMS_VERSION}.h{head_version()}")

    # ------------------------------------------------------------------ plan
    def plan(self, target: TargetInfo, ctx: PlanContext) -> Iterable[PlannedRequest]:
        opts = probe_options(ctx.options)
        max_tokens = int(opts.get("max_tokens") or MAX_TOKENS[ctx.size])
        sample_plan = ctx.sample_plan(target)
        if opts.get("prompts"):
            from weightwatch.probes.censorship.prompts import load_prompt_set

            rows = load_prompt_set(opts["prompts"])
            wanted = _as_list(opts.get("languages"), "languages")
            if wanted is not None:
                chosen_languages(opts, ctx.size, dataset.languages())  # an unknown code: the same one-line error
                kept = [r for r in rows if r.language in wanted]
                if not kept:
                    raise UserError(f"no prompt of {opts['prompts']} is in --languages {','.join(wanted)}",
                                    f"its languages: {', '.join(sorted({r.language for r in rows}))}; "
                                    "drop --languages or name one of those")
                rows = kept
            for row in rows:
                for index, temperature, seed in sample_plan:
                    yield PlannedRequest(
                        item_id=row.id, variant=f"{row.language}/sensitive", sample_index=index,
                        request=_request(row.prompt, temperature, seed, max_tokens),
                        meta={"topic": row.subject, "kind": "custom", "language": row.language, "arm": "sensitive",
                              "pair": row.id, "source": "prompts"})
            return
        langs = chosen_languages(opts, ctx.size, dataset.languages())
        for topic, item in plan_items(opts, ctx.size):
            arms = (("sensitive", item.id, item.prompts), ("control", item.control.id, item.control.prompts))
            for lang in langs:
                for arm, item_id, prompts in arms:
                    for index, temperature, seed in sample_plan:
                        yield PlannedRequest(
                            item_id=item_id, variant=f"{lang}/{arm}", sample_index=index,
                            request=_request(prompts[lang], temperature, seed, max_tokens),
                            meta={"topic": topic.topic, "kind": item.kind, "language": lang, "arm": arm,
                                  "pair": item.id, "source": "dataset"})

    # ------------------------------------------------------------------ score
    async def score(self, samples: list[Sample], ctx: ScoreContext) -> list[Score]:
        from weightwatch.probes.censorship.scoring import prejudge

        ok = [s for s in samples if s.completion.ok]
        refs = [_facts_for(s) for s in ok]
        # rules, learned head and claim layer run once over the batch (one encoder pass each), off the event loop
        found = await asyncio.to_thread(
            prejudge, [_prompt_of(s) for s in ok], [s.completion.text or "" for s in ok],
            [s.planned.meta.get("language") for s in ok], [r[0] for r in refs], [r[1] for r in refs],
            [s.completion.reasoning for s in ok])
        pre: dict[int, Prejudged] = {id(s): v for s, v in zip(ok, found, strict=True)}
        results = await asyncio.gather(*(self._score_one(s, ctx, pre.get(id(s))) for s in samples))
        return [score for scores in results for score in scores]

    async def _score_one(self, s: Sample, ctx: ScoreContext, pre: Prejudged | None) -> list[Score]:
        from weightwatch.probes.censorship.scoring import judge_answer

        digest = s.key.digest()
        version = self.version
        if not s.completion.ok:
            return [Score(sample_digest=digest, scorer=SCORER, scorer_version=version, label="error",
                          details={"error": s.completion.error, "judge": None})]
        facts, flags = _facts_for(s)
        v = await judge_answer(prompt=_prompt_of(s), text=s.completion.text, reasoning=s.completion.reasoning,
                               language=s.planned.meta.get("language"), facts=facts, flags=flags,
                               ask_judge=ctx.ask_judge, judge_label=ctx.judge_label, pre=pre)
        details = dict(v.details)
        details["finish_reason"] = s.completion.finish_reason
        out = [Score(sample_digest=digest, scorer=SCORER, scorer_version=version, label=v.label, value=v.value,
                     details=details),
               Score(sample_digest=digest, scorer=RULES_SCORER, scorer_version=version, label=v.rules_label,
                     details=v.rules_details)]
        if v.llm_details is not None:
            out.append(Score(sample_digest=digest, scorer=LLM_SCORER, scorer_version=version,
                             label=v.llm_label or "unscored", details=v.llm_details))
        return out

    # ------------------------------------------------------------------ summarize
    def summarize(self, scored: dict[str, list[ScoredSample]], ctx: SummaryContext) -> ProbeResult:
        result = ProbeResult(probe=self.name, version=self.version)
        opts = probe_options(ctx.options)
        if opts.get("prompts"):
            result.notes.append("Your own prompt set (--prompts): sensitive arm only, no controls, no reference "
                                "facts unless a prompt equals a dataset prompt; labels only, no censorship_gap.")
        elif ctx.size == "quick":
            n = len(plan_items(opts, "quick"))
            langs = chosen_languages(opts, "quick", dataset.languages())
            result.notes.append(f"quick size: {n} topics, one item each (kinds rotating), languages "
                                f"{', '.join(langs)}, sensitive and control arms = {n * len(langs) * 2} requests per "
                                "target; use --size standard for every item in every language.")
        result.notes.append("censored = refused, deflected or narrative; rates exclude failed requests (error) and "
                            "answers the LLM judge could not score (unscored), which are reported apart.")
        result.notes.append("Labels: rule judge (multilingual refusal/deflection markers) + learned head + claim "
                            "layer (asserted narrative flags, contradicted facts; facts count only when stated)"
                            + (", then the LLM judge" if any(
                                (sc := it.score(SCORER)) is not None and str(sc.details.get("judge", "")).startswith(
                                    "llm:") for items in scored.values() for it in items) else "")
                            + "; see docs/censorship.md.")
        summarize_metrics(result, scored, repeated=ctx.samples > 0 or None)
        result.tables.update(calibration.tables())
        if (cal_note := calibration.note()) is not None:
            result.notes.append(cal_note)
        return result

    # ------------------------------------------------------------------ drilldown
    def drilldown(self, item: ScoredSample) -> dict[str, Any]:
        s = item.score(SCORER)
        m = item.sample.planned.meta
        d = s.details if s else {}
        covered = list(d.get("facts_covered") or [])
        total = int(d.get("facts_total") or 0)
        return {"topic": m.get("topic"), "kind": m.get("kind"), "language": m.get("language"), "arm": m.get("arm"),
                "label": s.label if s else None, "judge": d.get("judge"),
                "facts": f"{len(covered)}/{total}" if total else "", "facts_covered": ", ".join(covered),
                "flags": ", ".join(d.get("flags_matched") or []), "pair": m.get("pair")}
