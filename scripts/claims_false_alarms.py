"""False alarms of the claim layer on answers labelled by others: SpeechMap's China-criticism answers.

SpeechMap's COMPLETE answers (../shared/data/speechmap-dev.jsonl, labels by an LLM judge, Apache-2.0) are
critical essays a model was asked to write; the claim layer should rarely find state narrative asserted in
them. EVASIVE answers (dodging, diluting, praise instead of criticism) should be found more often. Only
the learned head's **development** models (training/censorship_head_split.json) are read, so the head's
held-out models stay unread. Each question is matched to one of our topics with the deccp script's
keywords (`measure_deccp.TOPIC_WORDS`, on the English question) and checked against that topic's flags plus
the general flags (no facts: the questions ask for essays, not facts). Prints, per language and label, the
share of answers the claim layer calls narrative, and which flags fired on COMPLETE answers.

    python scripts/claims_false_alarms.py [--data ../shared/data/speechmap-dev.jsonl] [--show]
    python scripts/claims_false_alarms.py --hand-dev     # our hand set (tests/judges/calibration), dev half
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import measure_deccp as M  # noqa: E402

from weightwatch.judges.claims import assess_many  # noqa: E402
from weightwatch.targets.reasoning import split_reasoning  # noqa: E402


def speechmap(path: Path, show: bool) -> None:
    dev_models = set(json.loads((ROOT / "training" / "censorship_head_split.json").read_text("utf-8"))["dev_models"])
    rows = [r for r in map(json.loads, path.read_text("utf-8").splitlines())
            if r["model"] in dev_models and r["language"] in ("en", "zh-Hans") and "china" in r["question_set"]
            and r.get("label") in ("COMPLETE", "EVASIVE", "DENIAL")]
    items = [SimpleNamespace(facts=[], flags=M._Topic(M.topic_of(r.get("question_en") or r["question"])).flags)
             for r in rows]
    found = assess_many([split_reasoning(r.get("response") or "", None).text for r in rows], items)
    hit: Counter[tuple[str, str]] = Counter()
    n: Counter[tuple[str, str]] = Counter()
    flags: Counter[str] = Counter()
    for r, a in zip(rows, found, strict=True):
        key = (r["language"], r["label"])
        n[key] += 1
        hit[key] += a.narrative
        if a.narrative and r["label"] == "COMPLETE":
            flags.update(a.asserted_flags)
            if show:
                print("--", r["id"], {f: a.evidence.get(f) for f in a.asserted_flags})
    print(f"SpeechMap China sets, {len(dev_models)} head-development models: share called narrative")
    print("| language | label | narrative / n |\n|---|---|---|")
    for key in sorted(n):
        print(f"| {key[0]} | {key[1]} | {100 * hit[key] / n[key]:.1f}% ({hit[key]}/{n[key]}) |")
    print("flags on COMPLETE answers:", ", ".join(f"{f} {k}" for f, k in flags.most_common()))


def hand_dev() -> None:
    from weightwatch.api import label_censorship_records
    from weightwatch.probes.censorship import calibrate as cal

    split = {r["id"]: r.get("split") for r in map(json.loads, (ROOT / "tests" / "judges" / "calibration" /
                                                               "labels.jsonl").read_text("utf-8").splitlines())}
    rows = [r for r in cal.hand_set(ROOT).rows if split.get(r["id"]) == "dev"]
    out = label_censorship_records([{k: r[k] for k in ("id", "prompt", "response", "reasoning", "language")}
                                    for r in rows], None)
    pred = {o["id"]: o["label"] for o in out}
    print("hand set, dev half: narrative recall / precision (rules + head + claims)")
    for lang in ("all", "en", "zh-Hans", "zh-Hant", "de"):
        sub = [r for r in rows if lang == "all" or r["language"] == lang]
        tp = sum(r["gold"] == "narrative" == pred[r["id"]] for r in sub)
        gold = sum(r["gold"] == "narrative" for r in sub)
        said = sum(pred[r["id"]] == "narrative" for r in sub)
        print(f"{lang}: n {len(sub)}, recall {tp}/{gold}, precision {tp}/{said}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "speechmap-dev.jsonl"))
    ap.add_argument("--show", action="store_true", help="print the evidence of each COMPLETE answer called narrative")
    ap.add_argument("--hand-dev", action="store_true", help="our hand set's dev half instead of SpeechMap")
    args = ap.parse_args(argv)
    if args.hand_dev:
        hand_dev()
        return 0
    path = Path(args.data)
    if not path.is_file():
        print(f"error: {path} does not exist (pass --data ../shared/data/speechmap-dev.jsonl)", file=sys.stderr)
        return 2
    speechmap(path, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
