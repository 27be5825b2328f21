"""Measure the censorship judges against the hand-labelled calibration set.

Reads tests/judges/calibration/responses.jsonl (real answers of the embedded models) and labels.jsonl
(hand labels, each with a fixed dev/test split), runs the rule judge exactly as the censorship probe
decides (weightwatch.probes.censorship.scoring.rule_label: empty -> empty; rules refused/deflected ->
that; a narrative flag of the question -> narrative; else answered) and writes the figures to
src/weightwatch/judges/data/calibration.json:

    python scripts/calibrate_censorship.py                      # rule judge (+ stored LLM replies)
    python scripts/calibrate_censorship.py --llm embedded:qwen2.5-coder-0.5b   # also ask the LLM judge
    python scripts/calibrate_censorship.py --check              # exit 1 if calibration.json is stale
    python scripts/calibrate_censorship.py --disagreements      # list rule-judge disagreements

The LLM judge's raw replies are stored in tests/judges/calibration/llm_replies.jsonl, so its figures
are recomputed from stored replies without a model (parse_judge_reply is deterministic).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from weightwatch.judges.rules import RULES_VERSION
from weightwatch.probes.censorship.dataset import index
from weightwatch.probes.censorship.probe import PROBE_VERSION
from weightwatch.probes.censorship.scoring import rule_label
from weightwatch.stats.proportions import wilson

ROOT = Path(__file__).resolve().parents[1]
CAL_DIR = ROOT / "tests" / "judges" / "calibration"
RESPONSES = CAL_DIR / "responses.jsonl"
LABELS = CAL_DIR / "labels.jsonl"
LLM_REPLIES = CAL_DIR / "llm_replies.jsonl"
OUT = ROOT / "src" / "weightwatch" / "judges" / "data" / "calibration.json"
FORMAT_VERSION = 1
GOLD_LABELS = ("answered", "refused", "deflected", "narrative", "empty")
PRED_LABELS = (*GOLD_LABELS, "unscored")
LANGUAGES = ("en", "zh-Hans", "zh-Hant", "de")
SPLITS = ("all", "dev", "test")
CENSORED = frozenset({"refused", "deflected", "narrative"})


def split_of(rid: str) -> str:
    """The fixed split of a response id: sha256 parity (about half each)."""
    return "dev" if int(hashlib.sha256(rid.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "test"


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def load_set(responses: Path = RESPONSES, labels: Path = LABELS) -> list[dict[str, Any]]:
    """Every response joined with its hand label (responses without a label are left out)."""
    by_id = {row["id"]: row for row in _jsonl(labels)}
    out = []
    for row in _jsonl(responses):
        lab = by_id.get(row["id"])
        if lab is None:
            continue
        out.append({**row, "gold": lab["label"], "note": lab.get("note", ""), "split": lab["split"]})
    return out


def _flags(item_id: str) -> list[dict[str, Any]]:
    prompted = index().get(item_id)
    return [dict(f) for f in prompted.flags] if prompted is not None else []


def rules_predict(row: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    """(label, markers, flags matched) of the probe's rule layer for one response."""
    label, markers, _lang, flagged = rule_label(row["response"] or "", _flags(row["item_id"]))
    return label, list(markers), list(flagged)


def _rate(k: int, n: int) -> dict[str, Any]:
    p, lo, hi = wilson(k, n)
    return {"k": k, "n": n, "value": None if p is None else round(p, 4),
            "ci95": None if lo is None or hi is None else [round(lo, 4), round(hi, 4)]}


def block(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Figures for (gold, predicted) pairs: accuracy, refused-vs-not, censored-vs-not, confusion."""
    n = len(pairs)
    exact = sum(g == p for g, p in pairs)
    ref_agree = sum((g == "refused") == (p == "refused") for g, p in pairs)
    cen_agree = sum((g in CENSORED) == (p in CENSORED) for g, p in pairs)
    tp = sum(g == "refused" and p == "refused" for g, p in pairs)
    gold_ref = sum(g == "refused" for g, _ in pairs)
    pred_ref = sum(p == "refused" for _, p in pairs)
    confusion = {g: {p: sum(1 for gg, pp in pairs if gg == g and pp == p) for p in PRED_LABELS}
                 for g in GOLD_LABELS}
    return {
        "n": n,
        "accuracy": _rate(exact, n),
        "refused_agreement": _rate(ref_agree, n),
        "censored_agreement": _rate(cen_agree, n),
        "refused_baseline": _rate(n - gold_ref, n),  # agreement of a judge that never says refused
        "refused_precision": _rate(tp, pred_ref),
        "refused_recall": _rate(tp, gold_ref),
        "gold_counts": dict(Counter(g for g, _ in pairs)),
        "predicted_counts": dict(Counter(p for _, p in pairs)),
        "confusion": confusion,
    }


def figures(rows: list[dict[str, Any]], preds: dict[str, str]) -> dict[str, Any]:
    """Per split (all/dev/test): overall, per language and per model figures."""
    out: dict[str, Any] = {}
    for split in SPLITS:
        sel = [r for r in rows if r["id"] in preds and (split == "all" or r["split"] == split)]
        pairs = [(r["gold"], preds[r["id"]]) for r in sel]
        out[split] = {
            "overall": block(pairs),
            "by_language": {lang: block([(r["gold"], preds[r["id"]]) for r in sel if r["language"] == lang])
                            for lang in LANGUAGES},
            "by_model": {m: block([(r["gold"], preds[r["id"]]) for r in sel if r["model"] == m])
                         for m in sorted({r["model"] for r in rows})},
        }
    return out


def rule_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    preds = {r["id"]: rules_predict(r)[0] for r in rows}
    return {"judge": "rules+loops+flags (censorship.scoring.rule_label)", "rules_version": RULES_VERSION,
            "splits": figures(rows, preds)}


def llm_predictions(rows: list[dict[str, Any]], replies: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Per judge model: id -> label parsed from the stored reply ('unscored' when it does not parse).

    As in the probe, an answer the rules call empty is never sent to the judge: it stays 'empty'."""
    from weightwatch.judges.llm import parse_judge_reply

    by_id = {r["id"]: r for r in rows}
    out: dict[str, dict[str, str]] = {}
    for rep in replies:
        row = by_id.get(rep["id"])
        if row is None:
            continue
        p = index().get(row["item_id"])
        fact_ids = [str(f["id"]) for f in p.facts] if p else []
        flag_ids = [str(f["id"]) for f in p.flags] if p else []
        if rep.get("skipped") == "empty":
            label = "empty"
        else:
            parsed = parse_judge_reply(rep.get("reply") or "", fact_ids=fact_ids, flag_ids=flag_ids)
            label = parsed.label if parsed is not None and parsed.label in GOLD_LABELS else "unscored"
        out.setdefault(rep["judge_model"], {})[rep["id"]] = label
    return out


def llm_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    from weightwatch.judges.llm import LLM_JUDGE_VERSION

    out = {}
    for model, preds in llm_predictions(rows, _jsonl(LLM_REPLIES)).items():
        out[f"llm:{model}"] = {"judge": f"LLM judge ({model}, greedy)", "judge_version": LLM_JUDGE_VERSION,
                               "answers_judged": len(preds), "splits": figures(rows, preds)}
    return out


def compute(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Everything calibration.json holds except its date."""
    judges: dict[str, Any] = {"rules": rule_figures(rows)}
    if LLM_REPLIES.exists():
        judges.update(llm_figures(rows))
    return {
        "format_version": FORMAT_VERSION,
        "rules_version": RULES_VERSION,
        "probe_version": PROBE_VERSION,
        "set_size": len(rows),
        "by_language": dict(Counter(r["language"] for r in rows)),
        "by_model": dict(Counter(r["model"] for r in rows)),
        "by_split": dict(Counter(r["split"] for r in rows)),
        "gold_counts": dict(Counter(r["gold"] for r in rows)),
        "topics": sorted({r["topic"] for r in rows}),
        "labels": list(GOLD_LABELS),
        "source": "tests/judges/calibration (hand labels); scripts/calibrate_censorship.py",
        "judges": judges,
    }


def limit_threads(n: int) -> None:
    """Load llama.cpp with n threads (speed only; see scripts/calibration_generate.py)."""
    import weightwatch.targets.llamacpp as llamacpp

    original = llamacpp.new_llama

    def new_llama(**kwargs: Any) -> Any:
        return original(**{**kwargs, "n_threads": n, "n_threads_batch": n})

    llamacpp.new_llama = new_llama


async def ask_llm(rows: list[dict[str, Any]], model: str, limit: int = 0) -> None:
    """Ask the LLM judge about every response not yet in llm_replies.jsonl (greedy, probe's request)."""
    from weightwatch.api import make_target
    from weightwatch.judges.llm import build_judge_request

    have = {(r["judge_model"], r["id"]) for r in _jsonl(LLM_REPLIES)}
    # in sha256 order of the id, so the answers judged so far are a random sample of the set
    todo = sorted((r for r in rows if (model, r["id"]) not in have),
                  key=lambda r: hashlib.sha256(("llm:" + r["id"]).encode("utf-8")).hexdigest())
    if limit:
        todo = todo[:limit]
    if not todo:
        return
    target = make_target(model, {})
    await target.start()
    try:
        with LLM_REPLIES.open("a", encoding="utf-8") as fh:
            for i, row in enumerate(todo, 1):
                rec: dict[str, Any] = {"id": row["id"], "judge_model": model}
                if rule_label(row["response"] or "", [])[0] == "empty":
                    rec["skipped"] = "empty"
                else:
                    p = index().get(row["item_id"])
                    req = build_judge_request(row["prompt"], row["response"], language=row["language"],
                                              facts=[dict(f) for f in p.facts] if p else [],
                                              flags=[dict(f) for f in p.flags] if p else [])
                    req = req.model_copy(update={"temperature": 0.0, "seed": 0})
                    t0 = time.monotonic()
                    completion = await target.complete(req)
                    rec["reply"] = completion.text
                    rec["seconds"] = round(time.monotonic() - t0, 1)
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                fh.flush()
                print(f"[{i}/{len(todo)}] {row['id']}", flush=True)
    finally:
        await target.aclose()


def disagreements(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        label, markers, flagged = rules_predict(r)
        if label != r["gold"]:
            out.append({"id": r["id"], "split": r["split"], "gold": r["gold"], "rules": label,
                        "markers": markers, "flags": flagged, "note": r["note"]})
    return out


def _pct(rate: dict[str, Any]) -> str:
    if rate["value"] is None:
        return "-"
    lo, hi = rate["ci95"]
    return f"{100 * rate['value']:.1f}% ({rate['k']}/{rate['n']}; {100 * lo:.0f}-{100 * hi:.0f})"


def markdown(fresh: dict[str, Any]) -> str:
    """The tables of docs/censorship-calibration.md."""
    lines: list[str] = []
    for name, judge in fresh["judges"].items():
        lines.append(f"### {judge['judge']}\n")
        lines.append("| split | language | n | refused vs not | (never-refused baseline) | all five labels "
                     "| censored vs not | refusal precision | refusal recall |")
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for split in SPLITS:
            s = judge["splits"][split]
            for lang, b in [("all", s["overall"]), *s["by_language"].items()]:
                lines.append(f"| {split} | {lang} | {b['n']} | {_pct(b['refused_agreement'])} "
                             f"| {_pct(b['refused_baseline'])} | {_pct(b['accuracy'])} "
                             f"| {_pct(b['censored_agreement'])} | {_pct(b['refused_precision'])} "
                             f"| {_pct(b['refused_recall'])} |")
        lines.append("")
        for scope, b in [("all languages", judge["splits"]["all"]["overall"]),
                         *judge["splits"]["all"]["by_language"].items()]:
            lines.append(f"Confusion matrix, {scope} (rows: hand label, columns: {name}):\n")
            used = any(r.get("unscored") for r in b["confusion"].values())
            cols = [c for c in PRED_LABELS if c != "unscored" or used]
            lines.append("| hand \\ judge | " + " | ".join(cols) + " | total |")
            lines.append("|---" * (len(cols) + 2) + "|")
            for g in GOLD_LABELS:
                row = b["confusion"][g]
                lines.append(f"| {g} | " + " | ".join(str(row[c]) for c in cols) + f" | {sum(row.values())} |")
            lines.append("")
    return "\n".join(lines)


def markdown_disagreements(rows: list[dict[str, Any]]) -> str:
    dis = disagreements(rows)
    incoherent = [d for d in dis if d["gold"] == "deflected" and d["rules"] == "answered" and "incoherent" in d["note"]]
    other = [d for d in dis if d not in incoherent]
    lines = [f"{len(dis)} of {len(rows)} answers: {len(incoherent)} incoherent answers (hand: deflected) the rules "
             f"call answered, and {len(other)} others.\n",
             "| id | split | hand | rules | markers / flags | hand note |", "|---|---|---|---|---|---|"]
    for d in other:
        mk = ", ".join(d["markers"] + d["flags"]) or "-"
        lines.append(f"| `{d['id']}` | {d['split']} | {d['gold']} | {d['rules']} | {mk} | {d['note']} |")
    lines.append("\nIncoherent answers (hand: deflected, rules: answered): "
                 + ", ".join(f"`{d['id']}`" for d in incoherent) + ".")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llm", metavar="TARGET", help="also ask this target as the LLM judge (stored replies)")
    ap.add_argument("--limit", type=int, default=0, help="with --llm: ask about at most this many answers")
    ap.add_argument("--threads", type=int, default=0, help="with --llm: llama.cpp threads")
    ap.add_argument("--check", action="store_true", help="exit 1 if calibration.json differs from a fresh run")
    ap.add_argument("--disagreements", action="store_true", help="print the rule judge's disagreements")
    ap.add_argument("--markdown", action="store_true", help="print the tables for docs/censorship-calibration.md")
    args = ap.parse_args()
    rows = load_set()
    if args.llm:
        if args.threads:
            limit_threads(args.threads)
        asyncio.run(ask_llm(rows, args.llm, args.limit))
    if args.disagreements:
        for d in disagreements(rows):
            print(json.dumps(d, ensure_ascii=False))
        return 0
    fresh = compute(rows)
    if args.markdown:
        print(markdown(fresh))
        print(markdown_disagreements(rows))
        return 0
    if args.check:
        shipped = json.loads(OUT.read_text("utf-8"))
        shipped.pop("date", None)
        if shipped != fresh:
            print("calibration.json is stale: run scripts/calibrate_censorship.py", file=sys.stderr)
            return 1
        print("calibration.json is up to date")
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"date": dt.date.today().isoformat(), **fresh}, ensure_ascii=False, indent=1) + "\n",
                   "utf-8")
    for name, judge in fresh["judges"].items():
        for split in SPLITS:
            s = judge["splits"][split]
            per = ", ".join(f"{lang} {s['by_language'][lang]['refused_agreement']['value']}"
                            f"/{s['by_language'][lang]['accuracy']['value']}" for lang in LANGUAGES)
            print(f"{name:32s} {split:4s} n={s['overall']['n']:3d} refused-vs-not "
                  f"{s['overall']['refused_agreement']['value']} accuracy {s['overall']['accuracy']['value']} "
                  f"(refused/accuracy per language: {per})")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
