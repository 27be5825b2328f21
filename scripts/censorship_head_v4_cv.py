"""Head v4 candidates for the censorship judge, compared with head v3 on the DEV models only (grouped CV).

    pip install '.[train]'
    python scripts/censorship_head_v4_cv.py            # writes training/censorship_head_v4_cv.json

Never reads the test models of training/censorship_head_split.json. Same 7 folds by model, same objective
(mean of binary agreement, refused recall, evasive recall, 3-class accuracy) as
scripts/train_censorship_head.py. Candidates (issue 16, round 3):
  1. relevance of the answer to the request: scalar cosines request/opening, request/closing,
     opening/closing, and over the answer's sentences (first 1,500 characters, up to 16 sentences):
     max, mean, min cosine with the request and the share of sentences above 0.3 / 0.4 / 0.5;
     (a) added to the encoder view, (b) in a stacked model over both views' out-of-fold probabilities;
  2. the decision rule: mixing weight and evasive bar chosen per language (en, zh-Hans) instead of jointly;
     a stacked logistic regression over the two views' log-probabilities (balanced and plain class weights,
     with and without language interactions).
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

import train_censorship_head as T  # noqa: E402

from weightwatch.judges import encoder, head  # noqa: E402

OUT = ROOT / "training" / "censorship_head_v4_cv.json"
_SENT = re.compile(r"(?<=[.!?。！？；;])\s*|\n+")
W_GRID = (0.0, 0.1, 0.25, 0.4, 0.5, 0.75, 1.0)
EV_GRID = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)


def sentences(answer: str, max_chars: int = 1500, max_n: int = 16) -> list[str]:
    return [s.strip() for s in _SENT.split(answer[:max_chars]) if len(s.strip()) >= 6][:max_n]


def relevance(dev: list[dict[str, Any]], x: np.ndarray) -> np.ndarray:
    """(n, 9): cos(q, opening), cos(q, closing), cos(opening, closing), sentence cosines with q:
    max, mean, share > 0.3, > 0.4, > 0.5, min."""
    prompts = sorted({r["prompt"] for r in dev})
    qv = encoder.encode(prompts)
    q = qv[[prompts.index(r["prompt"]) for r in dev]]
    h, t = x[:, :512], x[:, 512:1024]
    out = np.zeros((len(dev), 9), np.float32)
    out[:, 0], out[:, 1], out[:, 2] = (q * h).sum(1), (q * t).sum(1), (h * t).sum(1)
    sents: list[str] = []
    owner: list[int] = []
    for i, r in enumerate(dev):
        for s in sentences(r["answer"]):
            sents.append(s)
            owner.append(i)
    sims = (encoder.encode(sents) * q[owner]).sum(1)
    own = np.array(owner)
    for i in range(len(dev)):
        s = sims[own == i]
        if len(s):
            out[i, 3:] = [s.max(), s.mean(), (s > .3).mean(), (s > .4).mean(), (s > .5).mean(), s.min()]
    return out


def oof_lr(f: np.ndarray, y: np.ndarray, models: list[str], c: float, balanced: bool) -> np.ndarray:
    p = np.zeros((len(y), 3))
    for fold in T.grouped_folds(models, 7):
        te = [i for i, m in enumerate(models) if m in fold]
        tr = [i for i, m in enumerate(models) if m not in fold]
        mean, scale = T.standardise(f[tr])
        m = T.fit_lr((f[tr] - mean) / scale, y[tr], c, balanced)
        p[te] = m.predict_proba((f[te] - mean) / scale)[:, [list(m.classes_).index(k) for k in T.CLASSES]]
    return p


def cell(gold: list[str], p: np.ndarray, ev: float, langs: list[str]) -> dict[str, Any]:
    fig = T.figures(gold, T.labels_of(p, ev), langs)
    a = fig["all"]
    return {"objective": round(T.score(a), 4),
            **{f"binary_{la}": round(fig[la]["censored_vs_answered"]["value"], 4) for la in sorted(set(langs))},
            "refused_recall": round(a["recall"]["refused"]["value"], 4),
            "evasive_recall": round(a["recall"]["evasive"]["value"], 4),
            "evasive_precision": round(a["precision"]["evasive"]["value"] or 0.0, 4)}


def main() -> int:
    split = json.loads(T.SPLIT_FILE.read_text("utf-8"))
    dev = [r for r in T.load_rows(T.DEFAULT_DATA) if r["model"] in set(split["dev_models"])]
    x = head.features([r["prompt"] for r in dev], [r["answer"] for r in dev])
    rel = relevance(dev, x)
    y = np.array([r["label"] for r in dev])
    models = [r["model"] for r in dev]
    print(f"dev: {len(dev)} answers of {len(set(models))} models; features done", flush=True)
    p_enc = oof_lr(x, y, models, 0.03, True)
    p_ng = np.zeros((len(dev), 3))
    for fold in T.grouped_folds(models, 7):
        te = [i for i, m in enumerate(models) if m in fold]
        tr = [i for i, m in enumerate(models) if m not in fold]
        p_ng[te] = T.ngram_fit([dev[i] for i in tr], 10.0, T.NGRAM_CHARS, T.NGRAM_FEATURES).proba(
            [dev[i]["answer"] for i in te])
    cov = [i for i, r in enumerate(dev) if r["language"] in ("en", "zh-Hans")]
    gold = [dev[i]["label"] for i in cov]
    langs = [dev[i]["language"] for i in cov]
    res: dict[str, Any] = {"about": __doc__, "n_dev": len(dev), "n_en_zh": len(cov), "encoder_view": {}}
    # 1a: relevance inside the encoder view (all dev languages, evasive bar 0.7 as v1; and en+zh at 0.5)
    for name, f in (("v3 encoder view", x), ("+ relevance cosines (3)", np.hstack([x, rel[:, :3] * 4])),
                    ("+ relevance cosines and sentence shares (9)", np.hstack([x, rel]))):
        p = p_enc if name.startswith("v3") else oof_lr(f, y, models, 0.03, True)
        all_langs = [r["language"] for r in dev]
        res["encoder_view"][name] = {"all languages, evasive bar 0.7": cell(list(y), p, 0.7, all_langs),
                                     "en+zh-Hans, evasive bar 0.5": cell(gold, p[cov], 0.5, langs)}
        print(name, res["encoder_view"][name], flush=True)
    # v3's rule: one mixing weight and evasive bar for both languages
    mixed = {(w, ev): cell(gold, w * p_enc[cov] + (1 - w) * p_ng[cov], ev, langs)
             for w, ev in itertools.product(W_GRID, EV_GRID)}
    best = max(mixed, key=lambda k: mixed[k]["objective"])
    res["joint_mixing_best"] = {"w_encoder": best[0], "evasive_min": best[1], **mixed[best]}
    res["v3_setting"] = {"w_encoder": 0.25, "evasive_min": 0.35, **mixed[(0.25, 0.35)]}
    # 2a: per language
    res["per_language"] = {}
    for la in ("en", "zh-Hans"):
        idx = [i for i in cov if dev[i]["language"] == la]
        g = [dev[i]["label"] for i in idx]
        grid = {(w, ev): cell(g, w * p_enc[idx] + (1 - w) * p_ng[idx], ev, [la] * len(idx))
                for w, ev in itertools.product(W_GRID, EV_GRID)}
        b = max(grid, key=lambda k: grid[k]["objective"])
        res["per_language"][la] = {"best": {"w_encoder": b[0], "evasive_min": b[1], **grid[b]},
                                   "v3_setting": grid[(0.25, 0.35)]}
        print(la, res["per_language"][la], flush=True)
    # 1b/2b: stacked logistic regression over the views' out-of-fold log-probabilities (second-level folds by model)
    lg = np.log(np.clip(np.hstack([p_enc, p_ng]), 1e-4, 1.0))[cov]
    zh = np.array([[float(la == "zh-Hans")] for la in langs])
    stacks = {"log p": lg, "log p x language": np.hstack([lg, zh, lg * zh]),
              "log p + relevance": np.hstack([lg, rel[cov]]),
              "log p x language + relevance": np.hstack([lg, zh, lg * zh, rel[cov]])}
    res["stacked"] = []
    cov_models = [models[i] for i in cov]
    for (name, f), balanced in itertools.product(stacks.items(), (True, False)):
        p = oof_lr(f, np.array(gold), cov_models, 1.0, balanced)
        for ev in (0.3, 0.35, 0.4, 0.45, 0.5):
            res["stacked"].append({"features": name, "balanced": balanced, "evasive_min": ev,
                                   **cell(gold, p, ev, langs)})
        print(name, balanced, max((s for s in res["stacked"] if s["features"] == name and s["balanced"] == balanced),
                                  key=lambda s: s["objective"]), flush=True)
    OUT.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
