"""Train the claim layer's per-sentence stance score (judges/stance.py) and write judges/data/stance.npz.

    python scripts/train_stance.py            # grouped cross-validation report, then train on all and write
    python scripts/train_stance.py --cv-only  # the report only

Data: training/stance_sentences.yaml (written by us: `official` vs `other`, en / zh-Hans / de; zh-Hant derived
by OpenCC s2t) and the censorship dataset's claims.yaml (claims: official; counter-claims and neutral
sentences: other). Model: L2-regularised logistic regression on the sentence encoder's 512-d vectors, classes
weighted to balance, fitted with numpy (Newton steps; no scikit-learn needed). The regularisation is chosen by
5-fold cross-validation where a sentence and its translations stay in one fold (folds by position in each
language's list, which keeps most parallel sentences together).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from weightwatch.judges import encoder  # noqa: E402
from weightwatch.judges.language import to_traditional  # noqa: E402
from weightwatch.probes.censorship import dataset  # noqa: E402

TRAIN = ROOT / "training" / "stance_sentences.yaml"
OUT = ROOT / "src" / "weightwatch" / "judges" / "data" / "stance.npz"
LAMBDAS = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def examples() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, labels (1 = official) and fold ids."""
    texts: list[str] = []
    labels: list[int] = []
    folds: list[int] = []

    def add(items: list[str], label: int, lang: str) -> None:
        for i, t in enumerate(items):
            texts.append(t)
            labels.append(label)
            folds.append(i % 5)
            if lang == "zh-Hans":
                texts.append(to_traditional(t))
                labels.append(label)
                folds.append(i % 5)

    raw = yaml.safe_load(TRAIN.read_text("utf-8"))
    for key, label in (("official", 1), ("other", 0)):
        for lang, items in raw[key].items():
            add([str(x) for x in items], label, lang)
    k = 0
    flags = [e for t in dataset.claims().values() for e in t.values()] + list(dataset.general_flags())
    for entry in flags:
        for field, label in (("claim", 1), ("counter", 0)):
            for _lang, items in entry[field].items():
                for t in items:  # zh-Hant is already derived by the dataset
                    texts.append(t)
                    labels.append(label)
                    folds.append(k % 5)
        k += 1
    for t in dataset.neutral_sentences(None):
        texts.append(t)
        labels.append(0)
        folds.append(k % 5)
        k += 1
    for topic in dataset.topic_ids():
        for t in sorted(set(dataset.neutral_sentences(topic)) - set(dataset.neutral_sentences(None))):
            texts.append(t)
            labels.append(0)
            folds.append(k % 5)
            k += 1
    return texts, np.array(labels, dtype=np.float64), np.array(folds)


def fit(x: np.ndarray, y: np.ndarray, lam: float) -> tuple[np.ndarray, float]:
    """Weighted L2 logistic regression by Newton steps (bias not penalised)."""
    n, d = x.shape
    pos = y.sum()
    sw = np.where(y == 1, n / (2 * pos), n / (2 * (n - pos)))
    xa = np.hstack([x, np.ones((n, 1))])
    theta = np.zeros(d + 1)
    reg = np.full(d + 1, lam)
    reg[-1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-(xa @ theta)))
        grad = xa.T @ (sw * (p - y)) + reg * theta
        h = (xa * (sw * p * (1 - p))[:, None]).T @ xa + np.diag(reg + 1e-9)
        step = np.linalg.solve(h, grad)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return theta[:-1], float(theta[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cv-only", action="store_true")
    args = ap.parse_args(argv)
    texts, y, folds = examples()
    x = encoder.encode(texts).astype(np.float64)
    print(f"{len(texts)} sentences, {int(y.sum())} official, {int(len(y) - y.sum())} other")
    best = (-1.0, LAMBDAS[0])
    for lam in LAMBDAS:
        right = 0
        for f in range(5):
            tr, te = folds != f, folds == f
            w, b = fit(x[tr], y[tr], lam)
            right += int((((x[te] @ w + b) > 0) == (y[te] == 1)).sum())
        acc = right / len(y)
        print(f"lambda {lam}: 5-fold accuracy {100 * acc:.1f}% ({right}/{len(y)})")
        best = max(best, (acc, lam))
    if args.cv_only:
        return 0
    lam = best[1]
    w, b = fit(x, y, lam)
    sha = hashlib.sha256(TRAIN.read_bytes() + json.dumps(texts, ensure_ascii=False).encode()).hexdigest()
    np.savez(OUT, w=w.astype(np.float32), b=np.float32(b), encoder=encoder.ENCODER_ID, train_sha256=sha,
             lam=np.float32(lam))
    print(f"wrote {OUT.relative_to(ROOT)} (lambda {lam}, train sha256 {sha[:12]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
