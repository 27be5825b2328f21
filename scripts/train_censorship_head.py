"""Train the censorship judge's learned head (judges/head.py) on a model-disjoint split of SpeechMap.

    pip install '.[train]'        # scikit-learn, for training only (the shipped head predicts with numpy)
    python scripts/train_censorship_head.py                 # tune on dev models, train, write the head
    python scripts/train_censorship_head.py --report        # + the held-out test figures (model card)

Data: ../shared/data/speechmap-dev.jsonl (xlr8harder/speechmap-data @ 0c084c2c62a6, Apache-2.0) or --data.
Labels: COMPLETE -> answered, DENIAL -> refused, EVASIVE -> evasive; ERROR_* rows are dropped.
Split: training/censorship_head_split.json (by model, seeded, frozen before any test figure was read).
Tuning (regularisation, class weights) uses grouped cross-validation over the dev models only; the
test models are scored once, by --report, for the model card. The baseline (char 1-4-gram TF-IDF +
logistic regression) and always-"answered" are trained and scored the same way.
Reasoning is removed before scoring (targets/reasoning.py): the head sees the answer only.
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

from weightwatch.judges import encoder, head  # noqa: E402
from weightwatch.judges.request import request_kind  # noqa: E402
from weightwatch.probes.censorship.calibrate import default_data_dir  # noqa: E402
from weightwatch.stats.proportions import wilson  # noqa: E402
from weightwatch.targets.reasoning import split_reasoning  # noqa: E402

LABELS = {"COMPLETE": "answered", "DENIAL": "refused", "EVASIVE": "evasive"}
CLASSES = head.CLASSES
SPLIT_FILE = ROOT / "training" / "censorship_head_split.json"
OUT = ROOT / "src" / "weightwatch" / "judges" / head.HEAD_FILE
METRICS = ROOT / "training" / "censorship_head_metrics.json"
HEAD_VERSION = "2"  # 2: evasive only on tasks (judges/request.py); same weights as 1
DEFAULT_DATA = default_data_dir(ROOT) / "speechmap-dev.jsonl"  # ../shared/data beside the repository


def load_rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise SystemExit(f"error: {path} not found; pass --data PATH to speechmap-dev.jsonl")
    rows = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        if r.get("label") not in LABELS:
            continue
        reasoning = r.get("reasoning")
        reasoning = reasoning if isinstance(reasoning, str) and reasoning not in ("", "None") else None
        answer = split_reasoning(r.get("response") or "", reasoning).text
        rows.append({"id": r["id"], "model": r["model"], "language": r["language"], "prompt": r["question"],
                     "answer": answer, "label": LABELS[r["label"]]})
    return rows


def cached_features(rows: list[dict[str, Any]], cache_dir: Path) -> np.ndarray:
    key = hashlib.sha256(json.dumps([encoder.ENCODER_ID, head.OPEN_UNITS, head.CLOSE_UNITS,
                                     [(r["id"], r["prompt"], r["answer"]) for r in rows]]).encode()).hexdigest()[:16]
    path = cache_dir / f"head-features-{key}.npy"
    if path.is_file():
        return np.load(path)
    x = head.features([r["prompt"] for r in rows], [r["answer"] for r in rows])
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, x)
    return x


def fit_lr(x: np.ndarray, y: np.ndarray, c: float, balanced: bool) -> Any:
    from sklearn.linear_model import LogisticRegression
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced" if balanced else None)
    return model.fit(x, y)


def standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    return mean.astype(np.float32), scale.astype(np.float32)


def figures(gold: list[str], pred: list[str], langs: list[str]) -> dict[str, Any]:
    """Per language and overall: censored-vs-answered accuracy, 3-class accuracy, recalls, precisions, confusion."""
    out: dict[str, Any] = {}
    for lang in ["all", *sorted(set(langs))]:
        idx = [i for i, la in enumerate(langs) if lang in ("all", la)]
        g = [gold[i] for i in idx]
        p = [pred[i] for i in idx]

        def rate(k: int, n: int) -> dict[str, Any]:
            v, lo, hi = wilson(k, n)
            return {"k": k, "n": n, "value": v, "ci95": [lo, hi]}

        binary = sum((a == "answered") == (b == "answered") for a, b in zip(g, p, strict=True))
        cell: dict[str, Any] = {
            "n": len(idx),
            "censored_vs_answered": rate(binary, len(idx)),
            "always_answered": rate(sum(a == "answered" for a in g), len(idx)),
            "accuracy": rate(sum(a == b for a, b in zip(g, p, strict=True)), len(idx)),
            "recall": {c: rate(sum(a == b == c for a, b in zip(g, p, strict=True)), sum(a == c for a in g))
                       for c in CLASSES},
            "precision": {c: rate(sum(a == b == c for a, b in zip(g, p, strict=True)), sum(b == c for b in p))
                          for c in CLASSES},
            "censored_recall": rate(sum(a != "answered" and b != "answered" for a, b in zip(g, p, strict=True)),
                                    sum(a != "answered" for a in g)),
            "confusion": {c: dict(Counter(b for a, b in zip(g, p, strict=True) if a == c)) for c in CLASSES},
        }
        out[lang] = cell
    return out


def score(cell: dict[str, Any]) -> float:
    """Tuning objective on dev folds: the issue's four targets, equally weighted."""
    r = cell["recall"]
    return float(np.mean([cell["censored_vs_answered"]["value"] or 0, r["refused"]["value"] or 0,
                          r["evasive"]["value"] or 0, cell["accuracy"]["value"] or 0]))


def grouped_folds(models: list[str], k: int) -> list[list[str]]:
    ms = sorted(set(models))
    return [ms[i::k] for i in range(k)]


def tfidf_fit_predict(train: list[dict[str, Any]], test: list[dict[str, Any]], c: float) -> list[str]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), min_df=2, sublinear_tf=True, max_features=200000)
    xtr = vec.fit_transform([r["answer"] for r in train])
    model = fit_lr(xtr, np.array([r["label"] for r in train]), c, balanced=True)
    return list(model.predict(vec.transform([r["answer"] for r in test])))


def cv(rows: list[dict[str, Any]], x: np.ndarray, c: float, balanced: bool, k: int = 7) -> dict[str, Any]:
    models = [r["model"] for r in rows]
    gold: list[str] = []
    pred: list[str] = []
    langs: list[str] = []
    for fold in grouped_folds(models, k):
        te = [i for i, m in enumerate(models) if m in fold]
        tr = [i for i, m in enumerate(models) if m not in fold]
        mean, scale = standardise(x[tr])
        model = fit_lr((x[tr] - mean) / scale, np.array([rows[i]["label"] for i in tr]), c, balanced)
        pred += list(model.predict((x[te] - mean) / scale))
        gold += [rows[i]["label"] for i in te]
        langs += [rows[i]["language"] for i in te]
    return figures(gold, pred, langs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache")
    ap.add_argument("--report", action="store_true", help="score the held-out test models (for the model card)")
    ap.add_argument("--grid", default="0.01,0.03,0.1,0.3", help="regularisation strengths C to try on dev folds")
    args = ap.parse_args(argv)
    split = json.loads(SPLIT_FILE.read_text("utf-8"))
    rows = load_rows(args.data)
    dev_models, test_models = set(split["dev_models"]), set(split["test_models"])
    dev = [r for r in rows if r["model"] in dev_models]
    test = [r for r in rows if r["model"] in test_models]
    print(f"{len(rows)} rows: dev {len(dev)} ({len(dev_models)} models), test {len(test)} ({len(test_models)} models)")
    x_dev = cached_features(dev, args.cache)
    tuning = []
    for c in [float(v) for v in args.grid.split(",")]:
        for balanced in (False, True):
            cell = cv(dev, x_dev, c, balanced)["all"]
            tuning.append({"C": c, "balanced": balanced, "objective": round(score(cell), 4),
                           "censored_vs_answered": cell["censored_vs_answered"]["value"],
                           "refused_recall": cell["recall"]["refused"]["value"],
                           "evasive_recall": cell["recall"]["evasive"]["value"]})
            print("dev CV", tuning[-1])
    best = max(tuning, key=lambda t: t["objective"])
    print("chosen on dev CV:", best)
    mean, scale = standardise(x_dev)
    model = fit_lr((x_dev - mean) / scale, np.array([r["label"] for r in dev]), best["C"], best["balanced"])
    order = [list(model.classes_).index(c) for c in CLASSES]
    trained = head.Head(version=HEAD_VERSION, encoder_id=encoder.ENCODER_ID, mean=mean, scale=scale,
                        coef=model.coef_.T[:, order].astype(np.float32),
                        intercept=model.intercept_[order].astype(np.float32), classes=CLASSES,
                        info={"data": "xlr8harder/speechmap-data @ 0c084c2c62a6 (Apache-2.0), dev models of "
                                      "training/censorship_head_split.json", "n_train": len(dev),
                              "C": best["C"], "balanced": best["balanced"]})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    head.save(str(OUT), trained)
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes)")
    metrics: dict[str, Any] = {"head_version": HEAD_VERSION, "encoder_id": encoder.ENCODER_ID, "tuning": tuning,
                               "chosen": best, "split": str(SPLIT_FILE.relative_to(ROOT))}
    if args.report:
        x_test = cached_features(test, args.cache)
        langs = [r["language"] for r in test]
        gold = [r["label"] for r in test]
        kinds = [request_kind(r["prompt"]) for r in test]
        probs = [{c: float(v) for c, v in zip(CLASSES, row, strict=True)} for row in trained.proba(x_test)]
        pred = [head.decide(p, k) for p, k in zip(probs, kinds, strict=True)]
        metrics["test"] = figures(gold, pred, langs)
        # baseline: char 1-4-gram TF-IDF + logistic regression, C=10 with balanced class weights (the better of
        # C in {3, 10} x {plain, balanced} on the same dev folds)
        metrics["baseline_tfidf"] = {"C": 10.0, "balanced": True,
                                     "test": figures(gold, tfidf_fit_predict(dev, test, 10.0), langs)}
        metrics["rules_only"] = figures(gold, [_three(combined(r, None)) for r in test], langs)
        verdicts = [head.HeadVerdict(label=head.decide(p, k), p=p, request=k)
                    for p, k in zip(probs, kinds, strict=True)]
        metrics["judge"] = figures(gold, [_three(combined(r, v)) for r, v in zip(test, verdicts, strict=True)], langs)
        metrics["baseline_always_answered"] = figures(gold, ["answered"] * len(test), langs)
        for name, fig in (("head", metrics["test"]), ("rules+head", metrics["judge"]),
                          ("rules only", metrics["rules_only"]), ("tfidf", metrics["baseline_tfidf"]["test"]),
                          ("always answered", metrics["baseline_always_answered"])):
            for lang, cell in fig.items():
                print(f"test {name:16s} {lang:8s} n={cell['n']:4d} censored-vs-answered "
                      f"{cell['censored_vs_answered']['value']:.3f} acc {cell['accuracy']['value']:.3f} "
                      f"refused-recall {cell['recall']['refused']['value'] or 0:.3f} "
                      f"evasive-recall {cell['recall']['evasive']['value'] or 0:.3f}")
    METRICS.write_text(json.dumps(metrics, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {METRICS.relative_to(ROOT)}")
    return 0


def combined(row: dict[str, Any], verdict: head.HeadVerdict | None) -> str:
    """The probe's final label (rules, then the head) for one answer, as scoring.final_label decides."""
    from weightwatch.probes.censorship.scoring import final_label, rule_label

    rules = rule_label(row["answer"], [])[0]
    return final_label(rules, verdict if head.covers(row["language"]) else None)[0]


def _three(label: str) -> str:
    return {"deflected": "evasive", "narrative": "evasive", "empty": "refused"}.get(label, label)


if __name__ == "__main__":
    sys.exit(main())
