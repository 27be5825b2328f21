"""Train the censorship judge's learned head (judges/head.py) on a model-disjoint split of SpeechMap.

    pip install '.[train]'        # scikit-learn, for training only (the shipped head predicts with numpy)
    python scripts/train_censorship_head.py                 # tune on dev models, train, write the head
    python scripts/train_censorship_head.py --report        # + the held-out test figures (model card)

--out / --metrics / --split / --folds let a test train on a tiny set without touching the shipped head
(tests/judges/test_train_head_script.py, run in CI: scikit-learn is also in the `test` extra).

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

from weightwatch.judges import encoder, head, ngrams  # noqa: E402
from weightwatch.judges.request import request_kind  # noqa: E402
from weightwatch.probes.censorship.calibrate import default_data_dir  # noqa: E402
from weightwatch.stats.proportions import wilson  # noqa: E402
from weightwatch.targets.reasoning import split_reasoning  # noqa: E402

LABELS = {"COMPLETE": "answered", "DENIAL": "refused", "EVASIVE": "evasive"}
CLASSES = head.CLASSES
SPLIT_FILE = ROOT / "training" / "censorship_head_split.json"
OUT = ROOT / "src" / "weightwatch" / "judges" / head.HEAD_FILE
METRICS = ROOT / "training" / "censorship_head_metrics.json"
# 2: evasive only on tasks (judges/request.py), v1's weights; 3: + the character n-gram view, mixed
HEAD_VERSION = "3"
NGRAM_CHARS = 1500  # characters of an answer the n-grams read (+ a third of that from its end)
NGRAM_FEATURES = 50000
W_GRID = (0.0, 0.25, 0.4, 0.5, 0.6, 0.75, 1.0)
EVASIVE_GRID = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
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


FOLDS = 7  # grouped (by model) cross-validation folds over the dev models


def cv(rows: list[dict[str, Any]], x: np.ndarray, c: float, balanced: bool, k: int = FOLDS) -> dict[str, Any]:
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


def ngram_texts(rows: list[dict[str, Any]], max_chars: int) -> list[str]:
    return [ngrams.text_for_ngrams(r["answer"], max_chars) for r in rows]


def ngram_fit(rows: list[dict[str, Any]], c: float, max_chars: int, max_features: int) -> ngrams.NgramModel:
    """TF-IDF over character 1-4-grams (ngrams.analyze, as at run time) + balanced logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    vec = TfidfVectorizer(analyzer=ngrams.analyze, min_df=2, sublinear_tf=True, max_features=max_features)
    x = vec.fit_transform(ngram_texts(rows, max_chars))
    model = fit_lr(x, np.array([r["label"] for r in rows]), c, balanced=True)
    order = [list(model.classes_).index(k) for k in CLASSES]
    vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    return ngrams.NgramModel(vocab=tuple(vocab), idf=vec.idf_.astype(np.float64),
                             coef=model.coef_.T[:, order].astype(np.float32),
                             intercept=model.intercept_[order].astype(np.float64), max_chars=max_chars)


def oof_probabilities(rows: list[dict[str, Any]], x: np.ndarray, c_enc: float, balanced: bool, ng_c: float,
                      max_chars: int, max_features: int, k: int = FOLDS) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold class probabilities of the encoder head and of the n-gram model, folds by model."""
    models = [r["model"] for r in rows]
    p_enc = np.zeros((len(rows), len(CLASSES)))
    p_ng = np.zeros((len(rows), len(CLASSES)))
    for fold in grouped_folds(models, k):
        te = [i for i, m in enumerate(models) if m in fold]
        tr = [i for i, m in enumerate(models) if m not in fold]
        mean, scale = standardise(x[tr])
        model = fit_lr((x[tr] - mean) / scale, np.array([rows[i]["label"] for i in tr]), c_enc, balanced)
        order = [list(model.classes_).index(c) for c in CLASSES]
        p_enc[te] = model.predict_proba((x[te] - mean) / scale)[:, order]
        ngram = ngram_fit([rows[i] for i in tr], ng_c, max_chars, max_features)
        p_ng[te] = ngram.proba([rows[i]["answer"] for i in te])
        print(f"fold {fold}: done", flush=True)
    return p_enc, p_ng


def labels_of(p: np.ndarray, evasive_min: float) -> list[str]:
    return [head.decide({c: float(v) for c, v in zip(CLASSES, row, strict=True)}, "task", evasive_min) for row in p]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache")
    ap.add_argument("--report", action="store_true", help="score the held-out test models (for the model card)")
    ap.add_argument("--grid", default="0.03", help="regularisation strengths C of the encoder head to try on dev "
                                                 "folds (v1 tried 0.01,0.03,0.1,0.3 and chose 0.03)")
    ap.add_argument("--ngram-c", type=float, default=10.0, help="C of the n-gram model (the baseline's choice)")
    ap.add_argument("--ngram-chars", type=int, default=NGRAM_CHARS, help="characters of an answer the n-grams read")
    ap.add_argument("--ngram-features", type=int, default=NGRAM_FEATURES, help="n-gram vocabulary size")
    ap.add_argument("--balanced-only", action="store_true", help="try balanced class weights only (v1's choice)")
    ap.add_argument("--split", type=Path, default=SPLIT_FILE, help="the dev/test model split (JSON)")
    ap.add_argument("--folds", type=int, default=FOLDS, help="grouped cross-validation folds (at most the dev models)")
    ap.add_argument("--out", type=Path, default=OUT, help="where to write the head (default: the shipped one)")
    ap.add_argument("--metrics", type=Path, default=METRICS, help="where to write the training figures")
    args = ap.parse_args(argv)
    split = json.loads(args.split.read_text("utf-8"))
    rows = load_rows(args.data)
    dev_models, test_models = set(split["dev_models"]), set(split["test_models"])
    dev = [r for r in rows if r["model"] in dev_models]
    test = [r for r in rows if r["model"] in test_models]
    print(f"{len(rows)} rows: dev {len(dev)} ({len(dev_models)} models), test {len(test)} ({len(test_models)} models)")
    if not 2 <= args.folds <= len(dev_models & {r["model"] for r in dev}):
        raise SystemExit(f"error: --folds {args.folds} needs between 2 and the number of dev models with rows")
    x_dev = cached_features(dev, args.cache)
    tuning: list[dict[str, Any]] = []
    grid = [float(v) for v in args.grid.split(",")]
    if len(grid) == 1 and args.balanced_only:  # nothing to choose: v1's choice, kept
        tuning.append({"C": grid[0], "balanced": True, "objective": 0.0, "note": "fixed (v1's choice on dev CV)"})
        grid = []
    for c in grid:
        for balanced in ((True,) if args.balanced_only else (False, True)):
            cell = cv(dev, x_dev, c, balanced, args.folds)["all"]
            tuning.append({"C": c, "balanced": balanced, "objective": round(score(cell), 4),
                           "censored_vs_answered": cell["censored_vs_answered"]["value"],
                           "refused_recall": cell["recall"]["refused"]["value"],
                           "evasive_recall": cell["recall"]["evasive"]["value"]})
            print("dev CV", tuning[-1])
    best = max(tuning, key=lambda t: t["objective"])
    print("chosen on dev CV:", best)
    # v3: the encoder head's and the n-grams' out-of-fold probabilities on the dev models; the mixing weight
    # and the evasive bar chosen on them, over the languages the n-grams cover (en, zh-Hans)
    oof_key = hashlib.sha256(json.dumps([best["C"], best["balanced"], args.ngram_c, args.ngram_chars,
                                         args.ngram_features, args.folds,
                                         [r["id"] for r in dev]]).encode()).hexdigest()[:16]
    oof_path = args.cache / f"head-oof-{oof_key}.npz"
    if oof_path.is_file():
        with np.load(oof_path) as z:
            p_enc, p_ng = z["p_enc"], z["p_ng"]
    else:
        args.cache.mkdir(parents=True, exist_ok=True)
        p_enc, p_ng = oof_probabilities(dev, x_dev, best["C"], best["balanced"], args.ngram_c, args.ngram_chars,
                                        args.ngram_features, args.folds)
        np.savez(oof_path, p_enc=p_enc, p_ng=p_ng)
    covered = [i for i, r in enumerate(dev) if r["language"] in ngrams.LANGUAGES]
    gold_cov = [dev[i]["label"] for i in covered]
    langs_cov = [dev[i]["language"] for i in covered]
    mixing = []
    for w in W_GRID:
        p = w * p_enc[covered] + (1 - w) * p_ng[covered]
        for ev in EVASIVE_GRID:
            fig = figures(gold_cov, labels_of(p, ev), langs_cov)
            mixing.append({"w_encoder": w, "evasive_min": ev, "objective": round(score(fig["all"]), 4),
                           **{f"censored_vs_answered_{la}": fig[la]["censored_vs_answered"]["value"]
                              for la in ("en", "zh-Hans")},
                           "refused_recall": fig["all"]["recall"]["refused"]["value"],
                           "evasive_recall": fig["all"]["recall"]["evasive"]["value"],
                           "evasive_precision": fig["all"]["precision"]["evasive"]["value"]})
            print("dev OOF", mixing[-1], flush=True)
    mix = max(mixing, key=lambda t: t["objective"])
    print("mixing chosen on dev OOF:", mix)
    mean, scale = standardise(x_dev)
    model = fit_lr((x_dev - mean) / scale, np.array([r["label"] for r in dev]), best["C"], best["balanced"])
    order = [list(model.classes_).index(c) for c in CLASSES]
    ngram = ngram_fit(dev, args.ngram_c, args.ngram_chars, args.ngram_features)
    trained = head.Head(version=HEAD_VERSION, encoder_id=encoder.ENCODER_ID, mean=mean, scale=scale,
                        coef=model.coef_.T[:, order].astype(np.float32),
                        intercept=model.intercept_[order].astype(np.float32), classes=CLASSES,
                        info={"data": "xlr8harder/speechmap-data @ 0c084c2c62a6 (Apache-2.0), dev models of "
                                      "training/censorship_head_split.json", "n_train": len(dev),
                              "C": best["C"], "balanced": best["balanced"], "ngram_C": args.ngram_c,
                              "ngram_chars": args.ngram_chars, "ngram_features": len(ngram.vocab)},
                        ngram=ngram, w_encoder=mix["w_encoder"], evasive_min=mix["evasive_min"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    head.save(str(args.out), trained)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    metrics: dict[str, Any] = {"head_version": HEAD_VERSION, "encoder_id": encoder.ENCODER_ID, "tuning": tuning,
                               "chosen": best, "mixing": mixing, "mixing_chosen": mix,
                               "split": _shown(args.split)}
    if args.report:
        x_test = cached_features(test, args.cache)
        langs = [r["language"] for r in test]
        gold = [r["label"] for r in test]
        kinds = [request_kind(r["prompt"]) for r in test]
        p_test = trained.proba(x_test)
        ng_idx = [i for i, r in enumerate(test) if head.uses_ngrams(trained, r["language"])]
        p_test[ng_idx] = trained.w_encoder * p_test[ng_idx] + (1 - trained.w_encoder) * ngram.proba(
            [test[i]["answer"] for i in ng_idx])
        probs = [{c: float(v) for c, v in zip(CLASSES, row, strict=True)} for row in p_test]
        pred = [head.decide(p, k, trained.evasive_min) for p, k in zip(probs, kinds, strict=True)]
        metrics["test"] = figures(gold, pred, langs)
        # baseline: char 1-4-gram TF-IDF + logistic regression, C=10 with balanced class weights (the better of
        # C in {3, 10} x {plain, balanced} on the same dev folds)
        metrics["baseline_tfidf"] = {"C": 10.0, "balanced": True,
                                     "test": figures(gold, tfidf_fit_predict(dev, test, 10.0), langs)}
        metrics["rules_only"] = figures(gold, [_three(combined(r, None)) for r in test], langs)
        verdicts = [head.HeadVerdict(label=head.decide(p, k, trained.evasive_min), p=p, request=k)
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
    args.metrics.parent.mkdir(parents=True, exist_ok=True)
    args.metrics.write_text(json.dumps(metrics, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {args.metrics}")
    return 0


def _shown(path: Path) -> str:
    """A path relative to the repository when inside it (as the shipped metrics name the split)."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def combined(row: dict[str, Any], verdict: head.HeadVerdict | None) -> str:
    """The probe's final label (rules, then the head) for one answer, as scoring.final_label decides."""
    from weightwatch.probes.censorship.scoring import final_label, rule_label

    rules = rule_label(row["answer"], [])[0]
    return final_label(rules, verdict if head.covers(row["language"]) else None)[0]


def _three(label: str) -> str:
    return {"deflected": "evasive", "narrative": "evasive", "empty": "refused"}.get(label, label)


if __name__ == "__main__":
    sys.exit(main())
