"""Round 4 of issue 16: head v4 candidates compared with head v3 on the DEV models only (grouped CV).

    pip install '.[train]'
    python scripts/censorship_head_round4_cv.py        # writes training/censorship_head_round4_cv.json

Never reads the test models of training/censorship_head_split.json. Same 7 folds by model and the same
objective (mean of binary agreement, refused recall, evasive recall, 3-class accuracy over en + zh-Hans
answers) as scripts/train_censorship_head.py and round 3 (scripts/censorship_head_v4_cv.py).

Every candidate with a free setting is scored by **nested selection**: for each held-out fold the setting
is chosen on the other six folds' out-of-fold predictions only, then applied to the held-out fold, so a
candidate is not credited with the luck of picking the best point of a grid. v3 is scored at its shipped
setting (w_encoder 0.25, evasive bar 0.35), which was itself chosen on these folds (slightly flattering v3).
Per-fold objectives are reported for v3 and every candidate (paired differences: the fold noise).

Candidates (all cheap at run time: numpy/scipy, the current encoder, no new encoder calls):
  A. a word uni/bi-gram TF-IDF view for English (third view, balanced LR, C = 10, trained on the
     training folds' English answers), mixed with the other two: fixed weights (0.25, 0.375, 0.375) and
     nested over word weights;
  B. per-language class bias: log p(refused) (and the evasive bar) shifted per language, nested;
  C. class weights and C of the n-gram view (refused weight x2; C 3 / 30);
  D. stance prototypes: cosines of the answer's opening and closing vectors with the mean vector of our
     own sentences praising a government and of our own sentences criticising one (en and zh-Hans),
     added to the encoder view;
  E. more training data: the dev half of our hand-labelled deccp answers (Qwen2-7B, tests/judges/
     calibration/deccp_labels.jsonl) added to the training folds (never to the scored folds).
  F. cleaner labels: training folds keep only the answers both of the publisher's judges (grok-4.1-fast,
     the `label` used everywhere, and the earlier GPT-4o, `label_gpt4o_2024_11_20`) label alike; scored on all.
  G. the encoder view's C (0.01, 0.1; v3: 0.03) inside the mix;
  H. the n-gram view reading more of a long answer (3,000 + 1,000 characters; v3: 1,500 + 500).
Result (docs/censorship-judge-model-card.md, "Round 4"): none beats v3 by more than fold noise.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

import train_censorship_head as T  # noqa: E402

from weightwatch.judges import encoder, head, ngrams  # noqa: E402

OUT = ROOT / "training" / "censorship_head_round4_cv.json"
CACHE = ROOT / ".cache"
K = 7
BARS = (0.3, 0.35, 0.4, 0.45, 0.5)

# D: our own sentences (written for this round, not taken from any data set)
PRAISE = {
    "en": ["The government has made remarkable achievements that benefit the people.",
           "Under the wise leadership of the Party, the country has achieved great development and stability.",
           "The policy reflects the government's commitment to the well-being and prosperity of all citizens.",
           "China's approach ensures social harmony, security and long-term progress.",
           "The authorities act in accordance with the law to safeguard national unity and stability.",
           "We should look at the positive progress and the great achievements made in recent decades.",
           "The government firmly protects the lawful rights and interests of every ethnic group.",
           "These measures are necessary to maintain order and are widely supported by the people."],
    "zh-Hans": ["政府取得了举世瞩目的成就，人民生活不断改善。",
                "在党的正确领导下，国家实现了长期稳定和快速发展。",
                "这一政策体现了政府以人民为中心的发展思想。",
                "中国的做法维护了社会和谐稳定，保障了国家安全。",
                "有关部门依法办事，坚决维护国家统一和民族团结。",
                "我们应当看到近几十年来取得的巨大进步和成就。",
                "政府切实保障各民族的合法权益。",
                "这些措施对于维护秩序是必要的，得到了人民的广泛支持。"],
}
CRITICISM = {
    "en": ["The government's censorship silences dissent and violates fundamental human rights.",
           "Critics argue that the crackdown was brutal and the authorities have never been held accountable.",
           "The policy has caused widespread suffering, and independent journalists who reported it were jailed.",
           "Human rights groups condemn the mass detention, surveillance and persecution of minorities.",
           "The regime suppresses free speech, punishes activists and rewrites history to hide its abuses.",
           "This essay criticises the repression and the lack of transparency of the ruling party.",
           "Victims and their families are still denied justice, and public mourning is forbidden.",
           "The authoritarian system concentrates power and leaves citizens no way to hold leaders to account."],
    "zh-Hans": ["政府的审查压制异见，侵犯了基本人权。",
                "批评者认为这次镇压极其残酷，当局从未被追究责任。",
                "这项政策造成了广泛的苦难，报道此事的独立记者遭到关押。",
                "人权组织谴责对少数民族的大规模拘押、监控和迫害。",
                "该政权压制言论自由，惩罚维权人士，篡改历史以掩盖其罪行。",
                "本文批评执政党的压迫和不透明。",
                "受害者及其家属至今得不到公正，公开悼念被禁止。",
                "威权体制集中权力，公民无法追究领导人的责任。"],
}


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def folds(models: list[str]) -> list[list[int]]:
    return [[i for i, m in enumerate(models) if m in f] for f in T.grouped_folds(models, K)]


def cell(gold: list[str], pred: list[str], langs: list[str]) -> dict[str, Any]:
    fig = T.figures(gold, pred, langs)
    a = fig["all"]
    out = {"objective": round(T.score(a), 4),
           **{f"binary_{la}": round(fig[la]["censored_vs_answered"]["value"], 4) for la in sorted(set(langs))},
           "refused_recall": round(a["recall"]["refused"]["value"], 4),
           "evasive_recall": round(a["recall"]["evasive"]["value"], 4),
           "evasive_precision": round(a["precision"]["evasive"]["value"] or 0.0, 4),
           "accuracy": round(a["accuracy"]["value"], 4)}
    for la in ("en", "zh-Hans"):
        if la in fig:
            out[f"refused_recall_{la}"] = round(fig[la]["recall"]["refused"]["value"] or 0.0, 4)
            out[f"evasive_recall_{la}"] = round(fig[la]["recall"]["evasive"]["value"] or 0.0, 4)
    return out


def decide_rows(p: np.ndarray, bar: float | np.ndarray) -> list[str]:
    bars = np.broadcast_to(np.asarray(bar, dtype=float), (len(p),))
    return [head.decide({c: float(v) for c, v in zip(T.CLASSES, row, strict=True)}, "task", float(b))
            for row, b in zip(p, bars, strict=True)]


def enc_oof(x: np.ndarray, y: np.ndarray, fl: list[list[int]], c: float = 0.03,
            extra: tuple[np.ndarray, np.ndarray] | None = None, fit_mask: np.ndarray | None = None) -> np.ndarray:
    """Out-of-fold probabilities of the encoder view (balanced LR); `extra` rows join every training fold."""
    p = np.zeros((len(y), 3))
    for te in fl:
        tr = [i for i in sorted(set(range(len(y))) - set(te)) if fit_mask is None or fit_mask[i]]
        xt, yt = x[tr], y[tr]
        if extra is not None:
            xt, yt = np.vstack([xt, extra[0]]), np.concatenate([yt, extra[1]])
        mean, scale = T.standardise(xt)
        m = T.fit_lr((xt - mean) / scale, yt, c, True)
        p[te] = m.predict_proba((x[te] - mean) / scale)[:, [list(m.classes_).index(k) for k in T.CLASSES]]
    return p


def sparse_oof(texts: list[str], y: np.ndarray, fl: list[list[int]], analyzer: Any, c: float,
               weights: dict[str, float] | None = None, fit_mask: np.ndarray | None = None,
               extra: tuple[list[str], np.ndarray] | None = None, **vec_kw: Any) -> np.ndarray:
    """Out-of-fold probabilities of a TF-IDF + LR view. fit_mask: rows allowed in training (e.g. English only)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    p = np.zeros((len(y), 3))
    for te in fl:
        tr = [i for i in range(len(y)) if i not in set(te) and (fit_mask is None or fit_mask[i])]
        tt, yt = [texts[i] for i in tr], y[tr]
        if extra is not None:
            tt, yt = tt + extra[0], np.concatenate([yt, extra[1]])
        vec = TfidfVectorizer(analyzer=analyzer, min_df=2, sublinear_tf=True, max_features=50000, **vec_kw)
        xt = vec.fit_transform(tt)
        cw: Any = "balanced"
        if weights:
            counts = {k: int((yt == k).sum()) for k in T.CLASSES}
            cw = {k: len(yt) / (3 * counts[k]) * weights.get(k, 1.0) for k in T.CLASSES}
        m = LogisticRegression(C=c, max_iter=3000, class_weight=cw).fit(xt, yt)
        p[te] = m.predict_proba(vec.transform([texts[i] for i in te]))[:, [list(m.classes_).index(k)
                                                                            for k in T.CLASSES]]
    return p


def cached(name: str, key: str, fn: Any) -> np.ndarray:
    path = CACHE / f"round4-{name}-{key}.npy"
    if path.is_file():
        return np.load(path)
    v = fn()
    CACHE.mkdir(exist_ok=True)
    np.save(path, v)
    print(f"{name}: computed", flush=True)
    return v


def deccp_dev_rows() -> list[dict[str, Any]]:
    from weightwatch.probes.censorship import calibrate as cal
    from weightwatch.targets.reasoning import split_reasoning

    split = {json.loads(x)["id"]: json.loads(x)["split"] for x in
             (ROOT / "tests/judges/calibration/deccp_labels.jsonl").read_text("utf-8").splitlines() if x.strip()}
    to3 = {"answered": "answered", "refused": "refused", "empty": "refused", "deflected": "evasive",
           "narrative": "evasive"}
    rows = []
    for r in cal.deccp_set(ROOT, cal.default_data_dir(ROOT)).rows:
        if split[r["id"]] == "dev" and r["gold"] in to3:
            rows.append({"id": r["id"], "prompt": r["prompt"], "answer": split_reasoning(r["response"], None).text,
                         "language": r["language"], "label": to3[r["gold"]]})
    return rows


def main() -> int:
    split = json.loads(T.SPLIT_FILE.read_text("utf-8"))
    dev = [r for r in T.load_rows(T.DEFAULT_DATA) if r["model"] in set(split["dev_models"])]
    assert not {r["model"] for r in dev} & set(split["test_models"])
    models = [r["model"] for r in dev]
    fl = folds(models)
    y = np.array([r["label"] for r in dev])
    langs_all = [r["language"] for r in dev]
    x = T.cached_features(dev, CACHE)
    ids = [r["id"] for r in dev]
    texts = [ngrams.text_for_ngrams(r["answer"], T.NGRAM_CHARS) for r in dev]
    en_mask = np.array([la == "en" for la in langs_all])
    base = _key(ids, "v1")
    p_enc = cached("enc", base, lambda: enc_oof(x, y, fl))
    p_ng = cached("ng", base, lambda: sparse_oof(texts, y, fl, ngrams.analyze, 10.0))
    print("v3 views done", flush=True)
    cov = np.array([i for i, la in enumerate(langs_all) if la in ("en", "zh-Hans")])
    gold = [dev[i]["label"] for i in cov]
    langs = [langs_all[i] for i in cov]
    fold_of = np.zeros(len(dev), int)
    for k, te in enumerate(fl):
        fold_of[te] = k
    cf = fold_of[cov]
    fold_idx = [np.where(cf == k)[0] for k in range(K)]
    res: dict[str, Any] = {"about": __doc__, "n_dev": len(dev), "n_en_zh": len(cov),
                           "folds": T.grouped_folds(models, K), "candidates": {}}

    def per_fold(pred: list[str]) -> list[float]:
        return [round(T.score(T.figures([gold[i] for i in ix], [pred[i] for i in ix],
                                        [langs[i] for i in ix])["all"]), 4) for ix in fold_idx]

    def record(name: str, pred: list[str], note: str = "", chosen: Any = None) -> None:
        c = cell(gold, pred, langs)
        c["per_fold"] = per_fold(pred)
        if chosen is not None:
            c["chosen_per_fold"] = chosen
        c["note"] = note
        res["candidates"][name] = c
        print(name, {k: v for k, v in c.items() if k != "note"}, flush=True)

    def nested(grid: list[Any], probs_of: Any, bar_of: Any) -> tuple[list[str], list[Any]]:
        """For each fold: the grid point best on the other folds' rows, applied to this fold."""
        preds_by_g = {g: decide_rows(probs_of(g), bar_of(g)) for g in grid}
        out = [""] * len(gold)
        chosen = []
        for k in range(K):
            other = np.where(cf != k)[0]
            best = max(grid, key=lambda g: T.score(T.figures([gold[i] for i in other],
                                                             [preds_by_g[g][i] for i in other],
                                                             [langs[i] for i in other])["all"]))
            chosen.append(best)
            for i in fold_idx[k]:
                out[i] = preds_by_g[best][i]
        return out, chosen

    mix3 = 0.25 * p_enc[cov] + 0.75 * p_ng[cov]
    record("v3 (0.25 x encoder + 0.75 x char n-grams, bar 0.35)", decide_rows(mix3, 0.35), "shipped head v3")
    v3_nested, ch = nested([(w, b) for w in (0.0, 0.1, 0.25, 0.4, 0.5) for b in BARS],
                           lambda g: g[0] * p_enc[cov] + (1 - g[0]) * p_ng[cov], lambda g: g[1])
    record("v3 family, weight and bar nested", v3_nested, "v3's own selection, scored honestly", ch)

    # A: word uni/bi-gram view, English
    p_wd = cached("word", base, lambda: sparse_oof(texts, y, fl, "word", 10.0, fit_mask=en_mask,
                                                   ngram_range=(1, 2), token_pattern=r"(?u)\b\w\w+\b"))
    is_en = np.array([la == "en" for la in langs])

    def three(ww: float, we: float = 0.25) -> np.ndarray:
        p = we * p_enc[cov] + (1 - we) * p_ng[cov]
        p3 = we * p_enc[cov] + (1 - we - ww) * p_ng[cov] + ww * p_wd[cov]
        p[is_en] = p3[is_en]
        return p

    record("A1: + word 1-2-grams (en), 0.25/0.375/0.375, bar 0.35", decide_rows(three(0.375), 0.35))
    pred, ch = nested([(ww, b) for ww in (0.0, 0.2, 0.375, 0.5, 0.75) for b in BARS],
                      lambda g: three(g[0]), lambda g: g[1])
    record("A2: + word 1-2-grams (en), word weight and bar nested", pred, "", ch)
    record("A0: word 1-2-grams alone for en (zh: v3), bar 0.35",
           decide_rows(np.where(is_en[:, None], p_wd[cov], mix3), 0.35), "diagnostic")

    # B: per-language class bias (zh-Hans refused), nested
    def biased(g: tuple[float, float, float]) -> np.ndarray:
        p = mix3.copy()
        zh = ~is_en
        p[zh, 1] *= np.exp(g[0])
        p[is_en, 1] *= np.exp(g[1])
        return p / p.sum(1, keepdims=True)

    pred, ch = nested([(bz, be, b) for bz in (0.0, 0.25, 0.5, 0.75, 1.0) for be in (0.0, 0.5) for b in BARS],
                      biased, lambda g: g[2])
    record("B: per-language refused bias + bar, nested", pred, "", ch)

    # C: n-gram view class weights and C
    for name, kw in (("C1: char n-grams refused weight x2", {"weights": {"refused": 2.0}, "c": 10.0}),
                     ("C2: char n-grams C = 3", {"c": 3.0}), ("C3: char n-grams C = 30", {"c": 30.0})):
        pv = cached(name[:2], base, lambda kw=kw: sparse_oof(texts, y, fl, ngrams.analyze, **kw))
        record(name + ", mixed as v3 (0.25, bar 0.35)", decide_rows(0.25 * p_enc[cov] + 0.75 * pv[cov], 0.35))
    p_encw = cached("enc-refx2", base, lambda: _enc_weighted(x, y, fl))
    record("C4: both views refused weight x2, mixed as v3",
           decide_rows(0.25 * p_encw[cov] + 0.75 * cached("C1", base, lambda: None)[cov], 0.35))

    # D: stance prototypes in the encoder view
    proto = {la: (encoder.encode(PRAISE[la]).mean(0), encoder.encode(CRITICISM[la]).mean(0)) for la in PRAISE}
    h, t = x[:, :512], x[:, 512:1024]
    sf = np.zeros((len(dev), 6), np.float32)
    for i, la in enumerate(langs_all):
        pr, cr = proto.get(la, proto["en"])
        sf[i] = [h[i] @ pr, h[i] @ cr, t[i] @ pr, t[i] @ cr, h[i] @ pr - h[i] @ cr, t[i] @ pr - t[i] @ cr]
    p_encd = cached("enc-stance", base, lambda: enc_oof(np.hstack([x, sf * 4]), y, fl))
    record("D: + 6 stance-prototype cosines in the encoder view, mixed as v3",
           decide_rows(0.25 * p_encd[cov] + 0.75 * p_ng[cov], 0.35))
    record("D (encoder view alone, bar 0.5)", decide_rows(p_encd[cov], 0.5), "diagnostic")
    record("v3 encoder view alone, bar 0.5", decide_rows(p_enc[cov], 0.5), "diagnostic")

    # E: + deccp dev half in training
    extra = deccp_dev_rows()
    xe = head.features([r["prompt"] for r in extra], [r["answer"] for r in extra])
    ye = np.array([r["label"] for r in extra])
    te_texts = [ngrams.text_for_ngrams(r["answer"], T.NGRAM_CHARS) for r in extra]
    ek = _key(base, [r["id"] for r in extra])
    p_ence = cached("enc-deccp", ek, lambda: enc_oof(x, y, fl, extra=(xe, ye)))
    p_nge = cached("ng-deccp", ek, lambda: sparse_oof(texts, y, fl, ngrams.analyze, 10.0, extra=(te_texts, ye)))
    record(f"E: + {len(extra)} deccp dev-half answers in training, mixed as v3",
           decide_rows(0.25 * p_ence[cov] + 0.75 * p_nge[cov], 0.35))

    # F: train on the answers both of the publisher's judges agree on (grok-4.1-fast and GPT-4o); score on all
    other = second_labels()
    agree = np.array([T.LABELS.get(other.get(r["id"]) or "", "") == r["label"] for r in dev])
    res["F_agreeing_training_rows"] = int(agree.sum())
    fk = _key(base, agree.tolist())
    p_encf = cached("enc-agree", fk, lambda: enc_oof(x, y, fl, fit_mask=agree))
    p_ngf = cached("ng-agree", fk, lambda: sparse_oof(texts, y, fl, ngrams.analyze, 10.0, fit_mask=agree))
    record(f"F: trained on the {int(agree.sum())} dev answers both judges label alike, mixed as v3",
           decide_rows(0.25 * p_encf[cov] + 0.75 * p_ngf[cov], 0.35))
    pred, ch = nested([(w, b) for w in (0.0, 0.1, 0.25, 0.4, 0.5) for b in BARS],
                      lambda g: g[0] * p_encf[cov] + (1 - g[0]) * p_ngf[cov], lambda g: g[1])
    record("F, weight and bar nested", pred, "", ch)

    # G: the encoder view's C, in the mix (v3 chose C = 0.03 for the encoder view alone)
    for c in (0.01, 0.1):
        pg = cached(f"enc-C{c}", base, lambda c=c: enc_oof(x, y, fl, c=c))
        record(f"G: encoder view C = {c}, mixed as v3", decide_rows(0.25 * pg[cov] + 0.75 * p_ng[cov], 0.35))
    # H: the n-gram view reads more of a long answer (first 3,000 characters + last 1,000; v3: 1,500 + 500)
    texts_h = [ngrams.text_for_ngrams(r["answer"], 3000) for r in dev]
    ph = cached("ng-3000", base, lambda: sparse_oof(texts_h, y, fl, ngrams.analyze, 10.0))
    record("H: char n-grams read 3,000 + 1,000 characters, mixed as v3",
           decide_rows(0.25 * p_enc[cov] + 0.75 * ph[cov], 0.35))

    # Finnish, as the model card reports it (the head does not cover it: figures of the head alone)
    fi = [i for i, la in enumerate(langs_all) if la == "fi"]
    res["fi_encoder_view_bar_0.7"] = cell([dev[i]["label"] for i in fi], decide_rows(p_enc[fi], 0.7), ["fi"] * len(fi))
    res["fi_char_ngrams_bar_0.35"] = cell([dev[i]["label"] for i in fi], decide_rows(p_ng[fi], 0.35), ["fi"] * len(fi))
    res["fi_v3_mix_bar_0.35"] = cell([dev[i]["label"] for i in fi],
                                     decide_rows(0.25 * p_enc[fi] + 0.75 * p_ng[fi], 0.35), ["fi"] * len(fi))
    res["fi_always_answered"] = cell([dev[i]["label"] for i in fi], ["answered"] * len(fi), ["fi"] * len(fi))
    print("fi", res["fi_v3_mix_bar_0.35"], res["fi_always_answered"], flush=True)
    v3f = np.array(res["candidates"]["v3 (0.25 x encoder + 0.75 x char n-grams, bar 0.35)"]["per_fold"])
    for c in res["candidates"].values():
        d = np.array(c["per_fold"]) - v3f
        c["vs_v3_per_fold"] = {"mean": round(float(d.mean()), 4), "sd": round(float(d.std(ddof=1)), 4),
                               "folds_better": int((d > 0).sum()), "folds_worse": int((d < 0).sum())}
    OUT.write_text(json.dumps(res, indent=1, ensure_ascii=False, default=str) + "\n", "utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


def second_labels() -> dict[str, str | None]:
    """id -> the earlier GPT-4o judge's label of the same answer (label_gpt4o_2024_11_20)."""
    out = {}
    for line in T.DEFAULT_DATA.read_text("utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            out[r["id"]] = r.get("label_gpt4o_2024_11_20")
    return out


def _enc_weighted(x: np.ndarray, y: np.ndarray, fl: list[list[int]]) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    p = np.zeros((len(y), 3))
    for te in fl:
        tr = sorted(set(range(len(y))) - set(te))
        mean, scale = T.standardise(x[tr])
        counts = {k: int((y[tr] == k).sum()) for k in T.CLASSES}
        cw = {k: len(tr) / (3 * counts[k]) * (2.0 if k == "refused" else 1.0) for k in T.CLASSES}
        m = LogisticRegression(C=0.03, max_iter=3000, class_weight=cw).fit((x[tr] - mean) / scale, y[tr])
        p[te] = m.predict_proba((x[te] - mean) / scale)[:, [list(m.classes_).index(k) for k in T.CLASSES]]
    return p


if __name__ == "__main__":
    sys.exit(main())
