"""Measure the censorship judge on the blind hard cases of round 26 (issue 16).

Cases: tests/judges/blind_cases_r26.jsonl, written by hand before the judge was run on them and without
reading the rule markers or the existing hard-case tests (frozen in commit 2721f1a; method:
docs/censorship-calibration.md, "Blind hard cases, round 26"). Each case answers one of our dataset's
prompts, so the judge gets that item's reference facts and flags, exactly as the probe does; `language` is
the tag the caller declares (the probe declares the prompt's language; null: detected from the answer).
Split: sha256(id) even -> dev, odd -> test (the `split` field; fixed before any judge ran).

    python scripts/measure_blind_r26.py --split dev [--cases] [--json out.json]

The judge is the probe's own scoring path (`censorship.scoring.prejudge` + `judge_answer`: rules, learned
head, claim layer in one batch). Prints accuracy per kind and per answer language, the confusions, and the
expected fact states (stated / contradicted / absent) met; `--cases` lists every miss (use it on dev only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from weightwatch.probes.censorship.dataset import index
from weightwatch.probes.censorship.scoring import judge_answer, prejudge

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "judges" / "blind_cases_r26.jsonl"


def load_cases(path: Path = CASES, split: str = "all") -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


def judge_cases(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each case with the judge's `got` label, its fact states and the layer that decided."""
    items = index()
    facts = [list(items[c["item"]].facts) for c in cases]
    flags = [list(items[c["item"]].flags) for c in cases]
    pre = prejudge([c["prompt"] for c in cases], [c["response"] for c in cases], [c["language"] for c in cases],
                   facts, flags)

    async def all_verdicts() -> list[Any]:
        return [await judge_answer(prompt=c["prompt"], text=c["response"], reasoning=None, language=c["language"],
                                   facts=facts[i], flags=flags[i], pre=pre[i]) for i, c in enumerate(cases)]

    out = []
    for c, v in zip(cases, asyncio.run(all_verdicts()), strict=True):
        claims = v.details.get("claims") or {}
        states = dict(claims.get("fact_states") or {})
        for f in v.facts_covered:
            states.setdefault(f, "stated")
        out.append({**c, "got": v.label, "decided_by": v.details.get("decided_by"), "rules_label": v.rules_label,
                    "head_label": v.details.get("head_label"), "fact_states": states,
                    "facts_covered": list(v.facts_covered), "markers": v.details.get("markers"),
                    "asserted_flags": claims.get("asserted_flags", [])})
    return out


def fact_misses(r: dict[str, Any]) -> list[str]:
    """The expected fact states the judge did not give (a fact not read counts as absent)."""
    return [f"{f}:{want}->{r['fact_states'].get(f, 'absent')}" for f, want in (r.get("facts") or {}).items()
            if r["fact_states"].get(f, "absent") != want]


def _side(label: str) -> str:
    return "censored" if label in ("refused", "deflected", "narrative") else label


def answer_language(r: dict[str, Any]) -> str:
    return "other" if r["kind"] == "unsupported" else ("switch" if "switch" in (r.get("note") or "") else
                                                        r["prompt_language"])


def report(results: list[dict[str, Any]], show_cases: bool) -> dict[str, Any]:
    def acc(rows: list[dict[str, Any]]) -> str:
        ok = sum(r["got"] == r["label"] for r in rows)
        return f"{ok}/{len(rows)}"

    figures: dict[str, Any] = {"n": len(results), "correct": sum(r["got"] == r["label"] for r in results)}
    print(f"all: {acc(results)}")
    binary = sum(_side(r["got"]) == _side(r["label"]) for r in results)
    figures["binary"] = f"{binary}/{len(results)}"
    print(f"censored (refused/deflected/narrative) vs answered vs unscored: {binary}/{len(results)}")
    for name, key in (("kind", lambda r: r["kind"]), ("language", answer_language)):
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in results:
            groups[key(r)].append(r)
        figures[name] = {k: acc(v) for k, v in sorted(groups.items())}
        print(f"by {name}: " + ", ".join(f"{k} {v}" for k, v in figures[name].items()))
    conf = Counter((r["label"], r["got"]) for r in results if r["got"] != r["label"])
    figures["confusions"] = {f"{a}->{b}": n for (a, b), n in sorted(conf.items())}
    print("confusions (expected->got): " + ", ".join(f"{k} {n}" for k, n in figures["confusions"].items()))
    want = [(r, f) for r in results for f in (r.get("facts") or {})]
    met = sum(r["fact_states"].get(f, "absent") == r["facts"][f] for r, f in want)
    by_state: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r, f in want:
        by_state[r["facts"][f]][0] += r["fact_states"].get(f, "absent") == r["facts"][f]
        by_state[r["facts"][f]][1] += 1
    figures["fact_states"] = {"met": met, "total": len(want), **{k: f"{a}/{b}" for k, (a, b) in by_state.items()}}
    print(f"expected fact states met: {met}/{len(want)} (" +
          ", ".join(f"{k} {a}/{b}" for k, (a, b) in sorted(by_state.items())) + ")")
    denial_stated = sum(1 for r in results if r["kind"] == "denial" and r["facts_covered"])
    figures["denials_with_coverage"] = denial_stated
    print(f"denials given any fact coverage: {denial_stated}/{sum(r['kind'] == 'denial' for r in results)}")
    if show_cases:
        for r in results:
            misses = fact_misses(r)
            if r["got"] != r["label"] or misses:
                print(f"- {r['id']} [{r['kind']}] want {r['label']} got {r['got']} (by {r['decided_by']}; rules "
                      f"{r['rules_label']}, head {r['head_label']}; flags {r['asserted_flags']}) {' '.join(misses)}")
                print(f"    {r['response'][:160]}")
    return figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    ap.add_argument("--cases", action="store_true", help="list every miss (dev only: the test half stays unread)")
    ap.add_argument("--json", type=Path, help="write the figures and per-case results here")
    ap.add_argument("--file", type=Path, default=CASES,
                    help="the cases (default: round 26; tests/judges/blind_cases_r26b.jsonl is round 26b, all test)")
    args = ap.parse_args(argv)
    results = judge_cases(load_cases(args.file, split=args.split))
    figures = report(results, args.cases)
    if args.json:
        args.json.write_text(json.dumps({"split": args.split, "figures": figures, "results": results},
                                        ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
