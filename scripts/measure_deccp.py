"""Measure the censorship judge against our hand labels of deccp's 190 Qwen2-7B answers.

Labels: tests/judges/calibration/deccp_labels.jsonl (ids, our label, a note, a split by prompt; made by
hand before any judge was run on these answers; guide: docs/censorship-calibration.md). The responses
themselves are not shipped: pass deccp's file (AUGMXNT/deccp @ 1fa6852b42d7, Apache-2.0), e.g. the copy
in the shared data folder:

    python scripts/measure_deccp.py --input ../shared/data/deccp-qwen2-responses.jsonl [--split test]

The judge is the probe's own scoring path (`censorship.scoring.prejudge` + `judge_answer`: rules, learned
head, claim layer, in one batch; --no-head leaves the head out, --rules-only the claim layer): deccp's
questions are not items of our dataset, so each question is matched to one of our topics by keywords
(`TOPIC_WORDS`) and checked against that topic's flags and its factual item's facts; an asserted flag or a
contradicted fact makes the answer `narrative`.
Prints, per language: accuracy over the five labels, censored-vs-not accuracy, and recall/precision of
`refused` and `narrative`, each with a Wilson 95% interval.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from weightwatch.probes.censorship.dataset import general_flags, index, neutral_sentences
from weightwatch.probes.censorship.scoring import judge_answer, prejudge
from weightwatch.stats.proportions import wilson
from weightwatch.targets.reasoning import split_reasoning

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "judges" / "calibration" / "deccp_labels.jsonl"
CENSORED = {"refused", "deflected", "narrative"}
# deccp's questions are not our items: a question is matched to one of our topics by keywords, and the
# claim check uses the flags and facts of that topic's items (its factual item's facts).
TOPIC_WORDS = (
    ("tiananmen", ("tiananmen", "june 4", "1989", "64", "tank man", "天安门", "六四")),
    ("xinjiang", ("xinjiang", "uyghur", "新疆", "维吾尔")),
    ("taiwan", ("taiwan", "台湾")),
    ("tibet", ("tibet", "dalai", "西藏", "达赖")),
    ("hong-kong", ("hong kong", "香港")),
    ("falun-gong", ("falun", "法轮")),
    ("xi-jinping", ("xi jinping", "winnie", "习近平", "小熊维尼")),
    ("covid-li-wenliang", ("covid", "新冠", "疫情")),
    ("709-crackdown", ("709", "human rights lawyers", "维权律师")),
    ("cultural-revolution", ("cultural revolution", "文化大革命", "文革")),
    ("liu-xiaobo", ("political prisoner", "dissident", "政治犯", "异议")),
    ("great-firewall", ("firewall", "censor", "shadowsocks", "websites", "防火长城", "审查", "media", "媒体")),
)


class _Topic:
    """The flags and facts of one of our topics; no topic: only the general state-line flags."""

    def __init__(self, topic: str | None) -> None:
        items = [p for p in index().values() if p.topic == topic and p.arm == "sensitive"]
        self.flags = list({f["id"]: f for p in items for f in p.flags}.values())
        self.facts = [f for p in items if p.kind == "factual" for f in p.facts]
        if topic is None:
            self.flags = [{**g, "neutral": neutral_sentences(None)} for g in general_flags()]


def topic_of(prompt: str) -> str | None:
    low = prompt.lower()
    for topic, words in TOPIC_WORDS:
        if any(w in low for w in words):
            return topic
    return None


def _pct(k: int, n: int) -> str:
    p, lo, hi = wilson(k, n)
    if p is None or lo is None or hi is None:
        return "-"
    return f"{100 * p:.1f}% ({k}/{n}; {100 * lo:.0f}-{100 * hi:.0f})"


def measure(rows: list[dict[str, Any]]) -> list[str]:
    out = ["| language | n | five labels | censored vs not | refused recall | refused precision | "
           "narrative recall | narrative precision |", "|---|---|---|---|---|---|---|---|"]
    for lang in ("all", *sorted({r["language"] for r in rows})):
        sub = [r for r in rows if lang == "all" or r["language"] == lang]
        n = len(sub)
        right = sum(r["gold"] == r["pred"] for r in sub)
        cens = sum((r["gold"] in CENSORED) == (r["pred"] in CENSORED) for r in sub)
        cells = [lang, str(n), _pct(right, n), _pct(cens, n)]
        for lab in ("refused", "narrative"):
            tp = sum(r["gold"] == lab and r["pred"] == lab for r in sub)
            cells += [_pct(tp, sum(r["gold"] == lab for r in sub)), _pct(tp, sum(r["pred"] == lab for r in sub))]
        out.append("| " + " | ".join(cells) + " |")
    conf = Counter((r["gold"], r["pred"]) for r in rows)
    preds = sorted({r["pred"] for r in rows})
    out += ["", "| hand \\ judge | " + " | ".join(preds) + " |", "|---" * (len(preds) + 1) + "|"]
    for g in ("answered", "refused", "deflected", "narrative"):
        out.append(f"| {g} | " + " | ".join(str(conf[(g, p)]) for p in preds) + " |")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True, help="deccp-qwen2-responses.jsonl (AUGMXNT/deccp, Apache-2.0)")
    ap.add_argument("--split", choices=("all", "dev", "test"), default="all")
    ap.add_argument("--rules-only", action="store_true", help="leave out the claim check (judges/claims.py)")
    ap.add_argument("--no-head", action="store_true", help="leave out the learned head (judges/head.py)")
    args = ap.parse_args(argv)
    path = Path(args.input)
    if not path.is_file():
        print(f"error: {path} does not exist (pass deccp's response file with --input)", file=sys.stderr)
        return 2
    responses = {r["id"]: r for r in map(json.loads, path.read_text("utf-8").splitlines()) if r.get("response")}
    labs, jobs = [], []
    for lab in map(json.loads, LABELS.read_text("utf-8").splitlines()):
        if args.split != "all" and lab["split"] != args.split:
            continue
        resp = responses.get(lab["id"])
        if resp is None:
            continue
        topic = None if args.rules_only else topic_of(resp["prompt"])
        ref = None if args.rules_only else _Topic(topic)
        labs.append(lab)
        jobs.append((resp["prompt"], split_reasoning(resp["response"], None).text, lab["language"],
                     list(ref.facts) if ref else [], list(ref.flags) if ref else []))
    pre = prejudge([j[0] for j in jobs], [j[1] for j in jobs], [j[2] for j in jobs], [j[3] for j in jobs],
                   [j[4] for j in jobs], heads=[None] * len(jobs) if args.no_head else None)

    async def verdicts() -> list[str]:
        return [(await judge_answer(prompt=j[0], text=j[1], reasoning=None, language=j[2], facts=j[3], flags=j[4],
                                    pre=p)).label for j, p in zip(jobs, pre, strict=True)]

    preds = asyncio.run(verdicts())
    rows = [{"gold": lab["label"], "pred": pred, "language": lab["language"]} for lab, pred in zip(labs, preds,
                                                                                                   strict=True)]
    print(f"deccp hand labels, split {args.split}: {len(rows)} answers")
    print("\n".join(measure(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
