"""Files in and out of the censorship probe.

- ``read_records`` / ``label_records`` / ``write_labelled``: ``weightwatch judge censorship`` (run by
  ``weightwatch.api.judge_censorship_file``, which brings the LLM judge target): label any tool's answers with
  the probe's judges.
  Input records ``{"id", "prompt", "response", "language"?, "reasoning"?}``; each is written back with
  ``label``, ``judge``, ``rules_label`` and, when the prompt is one of the dataset's prompts (any
  language, white space normalised), ``dataset_item``, ``facts_covered``, ``facts_total``, ``flags_matched``.
- ``load_prompt_set``: ``weightwatch run censorship --prompts FILE``: a CSV with ``subject,prompt``
  columns (optional ``language``, ``id``) or JSONL with the same keys; each row is one sensitive-arm
  request with no control.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from weightwatch.datafiles import check_fields, read_jsonl, written_whole
from weightwatch.judges.verdicts import LABELS as VERDICT_LABELS
from weightwatch.probes.censorship import dataset
from weightwatch.probes.censorship.prompts import detect, load_prompt_set
from weightwatch.probes.censorship.scoring import AskJudge, judge_answer, prejudge

__all__ = ["label_records", "load_prompt_set", "read_records", "write_labelled"]

OUTPUT_LABELS = VERDICT_LABELS
JSONL_HINT = 'each line must be one JSON object like {"id": "a1", "prompt": "...", "response": "..."}'


# ------------------------------------------------------------------------------------ judge files
def read_records(path: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for lineno, rec in read_jsonl(path, JSONL_HINT):
        check_fields(rec, f"{path} line {lineno}", JSONL_HINT, required=("id", "prompt", "response"),
                     strings=("prompt", "response"), optional_strings=("language", "reasoning"))
        records.append(rec)
    return records


def stated_language(tag: str | None) -> str | None:
    """A record's own language tag as the judges write it (EN, en-US -> en; zh-TW -> zh-Hant); a tag the
    judges do not know is kept as given (the rules still read the answer; the learned head does not)."""
    from weightwatch.judges.language import KNOWN, canonical_language

    return canonical_language(tag, KNOWN) or tag or None


def unknown_language_tags(records: list[dict[str, Any]]) -> dict[str, int]:
    """Records per stated language tag that names no language the judges cover (for one warning line)."""
    from weightwatch.judges.language import KNOWN, canonical_language

    out: dict[str, int] = {}
    for rec in records:
        tag = rec.get("language")
        if isinstance(tag, str) and tag.strip() and canonical_language(tag, KNOWN) is None:
            out[tag] = out.get(tag, 0) + 1
    return out


async def label_records(records: list[dict[str, Any]], ask: AskJudge | None, judge_label: str | None,
                        on_labelled: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Every record labelled (in order); `on_labelled(record)` hears each one as its label is known."""
    from weightwatch.targets.reasoning import split_reasoning

    splits = [split_reasoning(rec["response"], rec.get("reasoning")) for rec in records]
    founds = [dataset.prompt_index().get(dataset.normalise(rec["prompt"])) for rec in records]
    languages = [stated_language(rec.get("language")) or (found[1] if found else None) or detect(rec["prompt"])
                 for rec, found in zip(records, founds, strict=True)]
    facts = [list(found[0].facts) if found else [] for found in founds]
    flags = [list(found[0].flags) if found else [] for found in founds]
    # rules, learned head and claim layer run once over all answers (one encoder pass each), off the event loop
    pre = await asyncio.to_thread(prejudge, [rec["prompt"] for rec in records], [sp.text for sp in splits],
                                  languages, facts, flags, [sp.reasoning for sp in splits])

    async def one(i: int, rec: dict[str, Any]) -> dict[str, Any]:
        split, found, language = splits[i], founds[i], languages[i]
        v = await judge_answer(prompt=rec["prompt"], text=split.text, reasoning=split.reasoning, language=language,
                               facts=facts[i], flags=flags[i], ask_judge=ask, judge_label=judge_label, pre=pre[i])
        out = dict(rec)
        out.update(label=v.label, judge=v.judge, rules_label=v.rules_label, head_label=v.details.get("head_label"))
        if v.llm_label is not None or v.llm_details is not None:
            out["llm_label"] = v.llm_label
        if found:
            out.update(dataset_item=found[0].id, dataset_arm=found[0].arm, facts_covered=v.facts_covered,
                       facts_total=len(facts[i]), flags_matched=v.flags_matched)
        if on_labelled is not None:
            on_labelled(out)
        return out

    return list(await asyncio.gather(*(one(i, r) for i, r in enumerate(records))))


def write_labelled(output: Path, labelled: list[dict[str, Any]]) -> dict[str, int]:
    """Write labelled records as JSONL; return the counts per label."""
    counts: Counter[str] = Counter({lab: 0 for lab in OUTPUT_LABELS})
    out_path = Path(output)
    with written_whole(out_path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        for row in labelled:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            counts[row["label"]] += 1
    return dict(counts)
