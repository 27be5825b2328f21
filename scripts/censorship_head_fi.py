"""Round 5 of issue 16: a Finnish view for the censorship head, chosen on dev models, measured once on test models.

    pip install '.[train]'
    python scripts/censorship_head_fi.py             # dev CV only: writes training/censorship_head_fi_cv.json
    python scripts/censorship_head_fi.py --report --before-src /tmp/before/src
                                   # + train the chosen view on the dev models, write it to .cache/ (NOT shipped: copy
                                   # it to src/weightwatch/judges/data/ to ship it), score the test models

Data: ../shared/data/speechmap-dev.jsonl (xlr8harder/speechmap-data @ 0c084c2c62a6, Apache-2.0), Finnish
answers = rows whose request is in Finnish (`language` fi; some answers are written in English). Split:
training/censorship_head_split.json (frozen; 14 dev models, 6 test models). Everything is chosen on the dev
models by 7 folds by model (the folds of scripts/train_censorship_head.py and round 4); the test models are read
only by --report, once.

The shipped head v3 (encoder view + shared char n-gram view, judges/data/censorship_head.npz) is left byte-identical;
the Finnish view is a separate file used only for answers whose language is fi. Candidates, scored on the fi
answers of the dev models by out-of-fold probabilities (each view trained on the other folds' models):
  E:    the encoder view alone (v3's encoder view: all dev languages, C = 0.03, balanced; the encoder has no Finnish);
  S:    v3's shared char n-gram view (trained on all dev languages, fi included) mixed with the encoder view;
  F(C): a Finnish-only char n-gram view (the same n-grams, TF-IDF + balanced LR, trained on the fi answers of the
        training folds only; C in 3 / 10 / 30) mixed with the encoder view;
  M:    the mean of F(10) and S, mixed with the encoder view.
Free settings (the encoder's weight w in 0 / 0.1 / 0.25 / 0.4 / 0.5 and the evasive bar) are chosen by **nested
selection**: for each held-out fold, the setting best on the other six folds' rows is applied to it. The objective is
the train script's (mean of binary agreement, refused recall, evasive recall, 3-class accuracy). The candidate with
the best nested objective is shipped, at the setting best on all dev folds.

First look (2026-12-05 07:45 UTC, the view reading every answer to a Finnish request): on the test models the view
agreed less often than always saying "answered"; 38 of its 50 false `evasive` were English answers (one model's),
which the Finnish-only n-grams barely saw in training. Changed after reading that figure (said plainly): the head now
reads an answer to a Finnish request in the answer's own language (scoring.head_language; the Finnish view reads
Finnish-written answers, head v3 the English and Chinese ones). The view, its weight and bar are unchanged. The second
look ("routed") is on the same test models; decided before it was read: the Finnish view ships only if the routed
judge's binary agreement and 3-class accuracy on them are at least always-"answered"'s. It did not (85.3% and 84.9%
vs 88.7%): the view is not shipped; Finnish stays unscored except for the rules' Finnish refusals.

"rules + view" applies the probe's order (scoring.final_label): a rule refusal or deflection first, then the view.
The rules' Finnish markers were written after reading dev answers (in-sample on dev; the test models unseen).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

import censorship_head_round4_cv as R  # noqa: E402
import train_censorship_head as T  # noqa: E402

from weightwatch.judges import head, ngrams  # noqa: E402
from weightwatch.judges.request import request_kind  # noqa: E402

OUT = ROOT / "training" / "censorship_head_fi_cv.json"
FI_FILE = R.CACHE / "censorship_head_fi.npz"  # not head.FI_HEAD_FILE: the view did not meet its bar, not shipped
K = 7
W_GRID = (0.0, 0.1, 0.25, 0.4, 0.5)
# 0.2 and 0.25 were added after the first dev run chose 0.3, the grid's lower edge (dev folds only)
BARS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
FI_C = (3.0, 10.0, 30.0)


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def rules_labels(rows: list[dict[str, Any]]) -> list[str]:
    """The rule judge's label of each answer, as the probe reads it (rule_label; unscored where Finnish)."""
    from weightwatch.probes.censorship.scoring import rule_label

    return [rule_label(r["answer"], [])[0] for r in rows]


def judge_of(rules: list[str], view: list[str]) -> list[str]:
    """scoring.final_label's order with a head verdict everywhere (the Finnish view covers fi): rules first."""
    out = []
    for r, v in zip(rules, view, strict=True):
        if r in ("empty", "refused"):
            out.append("refused")
        elif r == "deflected":
            out.append("evasive")
        else:
            out.append(v)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--report", action="store_true", help="train the chosen view, write it, score the test models once")
    ap.add_argument("--before-src", type=Path, default=None,
                    help="with --report: the src/ of the tree before this round (`git archive 5c3ae01 src | tar -x -C "
                         "/tmp/before`), whose judge labels the same test answers: the current state")
    args = ap.parse_args(argv)
    split = json.loads(T.SPLIT_FILE.read_text("utf-8"))
    rows = T.load_rows(T.DEFAULT_DATA)
    dev = [r for r in rows if r["model"] in set(split["dev_models"])]
    assert not {r["model"] for r in dev} & set(split["test_models"])
    models = [r["model"] for r in dev]
    fl = R.folds(models)
    y = np.array([r["label"] for r in dev])
    langs = [r["language"] for r in dev]
    ids = [r["id"] for r in dev]
    texts = [ngrams.text_for_ngrams(r["answer"], T.NGRAM_CHARS) for r in dev]
    fi_mask = np.array([la == "fi" for la in langs])
    base = _key(ids, "v1")
    x = T.cached_features(dev, R.CACHE)
    p_enc = R.cached("enc", base, lambda: R.enc_oof(x, y, fl))
    p_ng = R.cached("ng", base, lambda: R.sparse_oof(texts, y, fl, ngrams.analyze, 10.0))
    p_fi = {c: R.cached(f"ngfi-C{c}", base, lambda c=c: R.sparse_oof(texts, y, fl, ngrams.analyze, c, fit_mask=fi_mask))
            for c in FI_C}
    fi = np.array([i for i, la in enumerate(langs) if la == "fi"])
    gold = [dev[i]["label"] for i in fi]
    fold_of = np.zeros(len(dev), int)
    for k, te in enumerate(fl):
        fold_of[te] = k
    cf = fold_of[fi]
    fold_idx = [np.where(cf == k)[0] for k in range(K)]
    rules_dev = rules_labels([dev[i] for i in fi])

    def obj(ix: np.ndarray, pred: list[str]) -> float:
        return T.score(T.figures([gold[i] for i in ix], [pred[i] for i in ix], ["fi"] * len(ix))["all"])

    res: dict[str, Any] = {"about": __doc__, "n_dev": len(dev), "n_dev_fi": len(fi),
                           "dev_fi_labels": dict(Counter(gold)), "folds": T.grouped_folds(models, K),
                           "candidates": {}}

    def record(name: str, pred: list[str], chosen: Any = None, note: str = "") -> dict[str, Any]:
        c = R.cell(gold, pred, ["fi"] * len(gold))
        c["per_fold"] = [round(obj(ix, pred), 4) for ix in fold_idx]
        if chosen is not None:
            c["chosen_per_fold"] = chosen
        judge = judge_of(rules_dev, pred)
        c["rules_plus_view"] = R.cell(gold, judge, ["fi"] * len(gold))
        c["note"] = note
        res["candidates"][name] = c
        print(name, {k: v for k, v in c.items() if k not in ("note", "rules_plus_view")}, flush=True)
        return c

    def nested(grid: list[Any], probs_of: Any) -> tuple[list[str], list[Any], Any]:
        preds = {g: R.decide_rows(probs_of(g)[fi], g[-1]) for g in grid}
        out = [""] * len(gold)
        chosen = []
        for k in range(K):
            other = np.where(cf != k)[0]
            best = max(grid, key=lambda g: obj(other, preds[g]))
            chosen.append(best)
            for i in fold_idx[k]:
                out[i] = preds[best][i]
        overall = max(grid, key=lambda g: obj(np.arange(len(gold)), preds[g]))
        return out, chosen, overall

    record("always answered", ["answered"] * len(gold), note="baseline")
    record("rules alone (unscored counted as answered)", ["answered"] * len(gold),
           note="rules_plus_view is the rules alone")
    views: dict[str, Any] = {
        "E: encoder view alone": lambda g: p_enc,
        "S: shared char n-grams (v3) + encoder": lambda g: g[0] * p_enc + (1 - g[0]) * p_ng,
        **{f"F({c:g}): Finnish-only char n-grams + encoder": (lambda g, c=c: g[0] * p_enc + (1 - g[0]) * p_fi[c])
           for c in FI_C},
        "M: mean of F(10) and S + encoder": lambda g: g[0] * p_enc + (1 - g[0]) * 0.5 * (p_fi[10.0] + p_ng),
    }
    settings: dict[str, Any] = {}
    for name, fn in views.items():
        grid = [(1.0, b) for b in BARS] if name.startswith("E:") else [(w, b) for w in W_GRID for b in BARS]
        pred, chosen, overall = nested(grid, fn)
        record(name + " (w, bar nested)", pred, chosen)
        settings[name + " (w, bar nested)"] = overall
        if not name.startswith("E:"):  # the n-grams alone (w = 0: no encoder work for Finnish answers)
            pred, chosen, overall = nested([(0.0, b) for b in BARS], fn)
            record(name.replace(" + encoder", "") + " alone, w = 0 (bar nested)", pred, chosen)
            settings[name.replace(" + encoder", "") + " alone, w = 0 (bar nested)"] = overall
    cands = {n: c for n, c in res["candidates"].items() if n in settings and not n.startswith("M:")}
    ref = next(n for n in res["candidates"] if n.startswith("S:"))
    for c in res["candidates"].values():
        d = np.array(c["per_fold"]) - np.array(res["candidates"][ref]["per_fold"])
        c["vs_S_per_fold"] = {"mean": round(float(d.mean()), 4), "sd": round(float(d.std(ddof=1)), 4),
                              "folds_better": int((d > 0).sum()), "folds_worse": int((d < 0).sum())}
    # speed rule, fixed before the figures were read: the encoder view joins (w > 0, an encoder pass for every
    # Finnish answer) only if the best candidate with it beats the best with w = 0 by more than one standard
    # deviation of the paired per-fold differences; M (two n-gram models) is not wired at run time
    top = max(cands, key=lambda n: cands[n]["objective"])
    top0 = max((n for n in cands if "w = 0" in n), key=lambda n: cands[n]["objective"])
    d = np.array(cands[top]["per_fold"]) - np.array(cands[top0]["per_fold"])
    best = top if top == top0 or d.mean() > d.std(ddof=1) else top0
    res["chosen"] = {"candidate": best, "w_encoder": settings[best][0], "evasive_min": settings[best][1],
                     "nested_objective": cands[best]["objective"], "best_any": top, "best_w0": top0,
                     "best_any_minus_best_w0_per_fold": {"mean": round(float(d.mean()), 4),
                                                         "sd": round(float(d.std(ddof=1)) if len(d) > 1 else 0, 4)}}
    print("chosen on dev:", res["chosen"], flush=True)
    # routed by the answer's own language (scoring.head_language; added after the first test measurement): the
    # chosen view reads the fi answers written in Finnish, head v3's out-of-fold mix (0.25 x encoder + 0.75 x
    # n-grams, bar 0.35) those written in en / zh, nothing reads the others (unscored, counted as answered here)
    from weightwatch.judges.language import detect_language

    det = [detect_language(dev[i]["answer"]) if dev[i]["answer"].strip() else "empty" for i in fi]
    view_of = next(fn for n, fn in views.items() if best.startswith(n.replace(" + encoder", "")))
    pv = R.decide_rows(view_of(settings[best])[fi], settings[best][1])
    pv3 = R.decide_rows((0.25 * p_enc + 0.75 * p_ng)[fi], 0.35)
    routed = [v if d == "fi" else v3 if d in ("en", "zh-Hans", "zh-Hant") else "answered"
              for v, v3, d in zip(pv, pv3, det, strict=True)]
    res["chosen_routed_dev"] = {"detected": dict(Counter(det)), "view": R.cell(gold, routed, ["fi"] * len(gold)),
                                "rules_plus_view": R.cell(gold, judge_of(rules_dev, routed), ["fi"] * len(gold))}
    print("chosen, routed, dev OOF:", res["chosen_routed_dev"], flush=True)
    if args.report:
        res["test"] = report(rows, split, dev, x, best, settings[best], args.before_src)
    OUT.write_text(json.dumps(res, indent=1, ensure_ascii=False, default=str) + "\n", "utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


BEFORE = """
import json, sys
from weightwatch.probes.censorship.scoring import rule_label
print(json.dumps([rule_label(a, [])[0] for a in json.load(sys.stdin)]))
"""


def labels_before(src: Path, answers: list[str]) -> list[str]:
    """The rule labels of another source tree (the judge before this round: the head did not cover fi, so its
    final label of a Finnish answer is the rules' label)."""
    import os
    import subprocess

    out = subprocess.run([sys.executable, "-c", BEFORE], input=json.dumps(answers), capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(src)})
    return list(json.loads(out.stdout))


def routed_judge(shipped: head.Head, view: head.FinnishView, rows: list[dict[str, Any]]) -> list[str]:
    """The probe's own path (scoring.head_language, head.classify, scoring.final_label) with `view` as the
    Finnish view, each row stated fi: answered / refused / evasive / unscored."""
    from dataclasses import replace

    from weightwatch.probes.censorship.scoring import final_label, head_language, rule_label

    h = replace(shipped, fi=view)
    langs = [head_language(r["answer"], "fi") if r["answer"].strip() else None for r in rows]
    want = [i for i, la in enumerate(langs) if la is not None and (la in head.LANGUAGES or la == head.FI)]
    verdicts = head.classify([rows[i]["prompt"] for i in want], [rows[i]["answer"] for i in want], head=h,
                             languages=[langs[i] for i in want])
    by_row: dict[int, head.HeadVerdict] = dict(zip(want, verdicts, strict=True))
    out = []
    for i, r in enumerate(rows):
        label = final_label(rule_label(r["answer"], [])[0], by_row.get(i))[0]
        out.append({"deflected": "evasive", "narrative": "evasive", "empty": "refused"}.get(label, label))
    return out


def report(rows: list[dict[str, Any]], split: dict[str, Any], dev: list[dict[str, Any]], x_dev: np.ndarray,
           candidate: str, setting: tuple[float, float], before_src: Path | None) -> dict[str, Any]:
    """Train the chosen Finnish view on all dev models, write it, and score the test models' fi answers once."""
    w, bar = setting
    fi_dev = [r for r in dev if r["language"] == "fi"]
    if candidate.startswith("F"):
        c = float(candidate[2:candidate.index(")")])
        ngram = T.ngram_fit(fi_dev, c, T.NGRAM_CHARS, T.NGRAM_FEATURES)
    elif candidate.startswith("M:"):
        raise SystemExit("error: candidate M (a mean of two n-gram views) is not wired at run time")
    else:
        ngram = None  # E or S: the shipped v3 views, no new weights
    view = head.FinnishView(version=head.FI_VIEW_VERSION, ngram=ngram, w_encoder=w, evasive_min=bar,
                            info={"candidate": candidate, "data": "xlr8harder/speechmap-data @ 0c084c2c62a6 "
                                  "(Apache-2.0), fi answers of the dev models of training/censorship_head_split.json",
                                  "n_train": len(fi_dev)})
    head.save_fi(str(FI_FILE), view)
    print(f"wrote {FI_FILE} ({FI_FILE.stat().st_size} bytes)")
    shipped = head.load_file(str(ROOT / "src" / "weightwatch" / "judges" / head.HEAD_FILE))
    test = [r for r in rows if r["model"] in set(split["test_models"]) and r["language"] == "fi"]
    gold = [r["label"] for r in test]
    kinds = [request_kind(r["prompt"]) for r in test]
    p = head.fi_probabilities(shipped, view, [r["prompt"] for r in test], [r["answer"] for r in test])
    pv = [head.decide({c: float(v) for c, v in zip(T.CLASSES, row, strict=True)}, k, bar)
          for row, k in zip(p, kinds, strict=True)]
    rules_test = rules_labels(test)
    out: dict[str, Any] = {"n": len(test), "labels": dict(Counter(gold)), "models": sorted({r["model"] for r in test}),
                           "request_kinds": dict(Counter(kinds))}
    if before_src is not None:
        before = [{"deflected": "evasive", "empty": "refused", "narrative": "evasive"}.get(r, r)
                  for r in labels_before(before_src, [r["answer"] for r in test])]
        scored = [i for i, b in enumerate(before) if b != "unscored"]
        out["before"] = {"src": str(before_src), "labels": dict(Counter(before)), "scored": len(scored),
                         "unscored_as_answered": T.figures(gold, [b if b != "unscored" else "answered" for b in before],
                                                           ["fi"] * len(gold))["all"],
                         "scored_only": T.figures([gold[i] for i in scored], [before[i] for i in scored],
                                                  ["fi"] * len(scored))["all"] if scored else None}
        print("test fi before:", out["before"]["labels"], flush=True)
    routed = routed_judge(shipped, view, test)
    out["routed"] = {"note": "second look: routing by the answer's language added after the first look",
                     "labels": dict(Counter(routed)), **T.figures(gold, [r if r != "unscored" else "answered"
                                                                         for r in routed], ["fi"] * len(gold))["all"]}
    for name, pred in (("view", pv), ("rules_plus_view", judge_of(rules_test, pv)),
                       ("routed_judge_unscored_as_answered", [r if r != "unscored" else "answered" for r in routed]),
                       ("always_answered", ["answered"] * len(gold))):
        out[name] = T.figures(gold, pred, ["fi"] * len(gold))["all"]
        cell = out[name]
        print(f"test fi {name:18s} n={cell['n']} binary {cell['censored_vs_answered']['value']:.3f} "
              f"acc {cell['accuracy']['value']:.3f} refused-recall {cell['recall']['refused']['value'] or 0:.3f} "
              f"evasive-recall {cell['recall']['evasive']['value'] or 0:.3f}", flush=True)
    return out


if __name__ == "__main__":
    sys.exit(main())
