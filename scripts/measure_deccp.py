"""Measure the censorship judge against our hand labels of deccp's 190 Qwen2-7B answers.

Labels: tests/judges/calibration/deccp_labels.jsonl (ids, our label, a note, a split by prompt; made by
hand before any judge was run on these answers; guide: docs/censorship-calibration.md). The responses
themselves are not shipped: pass deccp's file (AUGMXNT/deccp @ 1fa6852b42d7, Apache-2.0), e.g. the copy
in the shared data folder:

    python scripts/measure_deccp.py --input ../shared/data/deccp-qwen2-responses.jsonl [--split test]

The judge is the probe's rule layer (`censorship.scoring.rule_label`). deccp's questions are not items of
our dataset, so no narrative flags or reference facts apply: the rule layer can only say refused /
deflected / answered here, and its `narrative` recall on this set is what it is (0 unless a flag fires).
Prints, per language: accuracy over the five labels, censored-vs-not accuracy, and recall/precision of
`refused` and `narrative`, each with a Wilson 95% interval.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from weightwatch.probes.censorship.scoring import rule_label
from weightwatch.stats.proportions import wilson
from weightwatch.targets.reasoning import split_reasoning

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "judges" / "calibration" / "deccp_labels.jsonl"
CENSORED = {"refused", "deflected", "narrative"}


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
    args = ap.parse_args(argv)
    path = Path(args.input)
    if not path.is_file():
        print(f"error: {path} does not exist (pass deccp's response file with --input)", file=sys.stderr)
        return 2
    responses = {r["id"]: r for r in map(json.loads, path.read_text("utf-8").splitlines()) if r.get("response")}
    rows = []
    for lab in map(json.loads, LABELS.read_text("utf-8").splitlines()):
        if args.split != "all" and lab["split"] != args.split:
            continue
        resp = responses.get(lab["id"])
        if resp is None:
            continue
        text = split_reasoning(resp["response"], None).text
        pred = rule_label(text, [])[0]
        rows.append({"gold": lab["label"], "pred": pred, "language": lab["language"]})
    print(f"deccp hand labels, split {args.split}: {len(rows)} answers")
    print("\n".join(measure(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
