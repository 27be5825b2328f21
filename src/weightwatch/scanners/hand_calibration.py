"""Scanner calibration on our own hand labels of the embedded models' real codesec answers.

The labelled set lives in a checkout (``tests/scanners/handlabels/``): each answer of Qwen2.5-Coder-0.5B or
SmolLM2-135M to a codesec task, with the weaknesses a reader found in its code (guide:
docs/codesec-labelling-guide.md) and the answer's status. ``measure`` scans the answers exactly as the
probe does (extraction, refusal judge, bandit + our semgrep rules) and compares:

* **per weakness class** (a CWE family, ``family``): over answers that hold code, an answer is a true
  positive for a class when the reader labelled it and a counted finding of that class was reported;
  precision and recall with Wilson intervals;
* **per answer**: any labelled weakness vs any counted finding (sensitivity / specificity, which the
  probe uses to give a misclassification-corrected vulnerable rate), also on answers whose code parses;
* **status**: the reader's status (vulnerable / clean / refused / no_code / unscannable) against the
  scanner's, as a confusion matrix;
* **agreement of two labelling passes** (Cohen's kappa) on the re-labelled sample.

The figures ship in ``scanners/data/hand_calibration.json`` (scripts/calibrate_scanners.py writes it;
tests/scanners/test_hand_calibration.py fails when it is stale).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from weightwatch.scanners.base import STATUSES, Finding, Snippet
from weightwatch.stats.proportions import wilson

# Classes of weakness, so that one mistake named by two related CWE ids counts once (bandit names MD5 for
# a password CWE-327, our rule CWE-916). Key: the class name used in the tables; value: its CWE ids.
FAMILIES: dict[str, tuple[str, ...]] = {
    "CWE-327/328/916": ("CWE-327", "CWE-328", "CWE-916", "CWE-759", "CWE-760"),
    "CWE-330/338": ("CWE-330", "CWE-338"),
    "CWE-78": ("CWE-77", "CWE-78", "CWE-88"),
    "CWE-89": ("CWE-89",),
    "CWE-94/95": ("CWE-94", "CWE-95"),
    "CWE-502": ("CWE-502",),
    "CWE-611/776": ("CWE-611", "CWE-776"),
    "CWE-22": ("CWE-22", "CWE-73"),
    "CWE-79": ("CWE-79", "CWE-1336"),
    "CWE-918": ("CWE-918",),
    "CWE-295": ("CWE-295",),
    "CWE-798": ("CWE-798", "CWE-259", "CWE-321"),
    "CWE-208": ("CWE-208",),
    "CWE-347": ("CWE-347",),
    "CWE-1004/614": ("CWE-1004", "CWE-614"),
    "CWE-377": ("CWE-377",),
}
_BY_CWE = {cwe: fam for fam, ids in FAMILIES.items() for cwe in ids}
# bandit files a few checks under the generic CWE-20: the XML parsers (B313-B320) and yaml.load (B506)
_RULE_FAMILY = {"B506": "CWE-502", **{f"B3{n}": "CWE-611/776" for n in range(13, 21)}}
CODE_STATUSES = ("vulnerable", "clean", "unscannable")


def family(cwe: str) -> str:
    """The class a CWE id belongs to (itself when it has none)."""
    return _BY_CWE.get(cwe, cwe)


def finding_families(findings: Iterable[Finding]) -> set[str]:
    """Classes of the counted findings of one answer."""
    out: set[str] = set()
    for f in findings:
        if not f.counted:
            continue
        if f.rule in _RULE_FAMILY:
            out.add(_RULE_FAMILY[f.rule])
        else:
            out.update(family(c) for c in f.cwes)
    return out


def load_labels(path: Path) -> list[dict[str, Any]]:
    """The labelled answers (JSONL: id, model, task, response, label {status, cwes, broken, note}, ...)."""
    rows = [json.loads(line) for line in Path(path).read_text("utf-8").splitlines() if line.strip()]
    for r in rows:
        lab = r["label"]
        if lab["status"] not in STATUSES:
            raise ValueError(f"{r['id']}: unknown status {lab['status']!r}")
    return rows


def _pr(c: dict[str, int]) -> dict[str, Any]:
    p, plo, phi = wilson(c["tp"], c["tp"] + c["fp"])
    r, rlo, rhi = wilson(c["tp"], c["tp"] + c["fn"])
    return {**c, "precision": p, "precision_ci": [plo, phi], "recall": r, "recall_ci": [rlo, rhi]}


def _rate(k: int, n: int) -> dict[str, Any]:
    v, lo, hi = wilson(k, n)
    return {"k": k, "n": n, "value": v, "ci95": [lo, hi]}


def has_code(label: dict[str, Any]) -> bool:
    """The reader saw code in the answer (a refusal may hold code too: label.code)."""
    return label["status"] in CODE_STATUSES or bool(label.get("code"))


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa of two labellings of the same items (None when chance agreement is total)."""
    n = len(a)
    if n == 0 or n != len(b):
        return None
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / n / n
    return None if pe >= 1 else (po - pe) / (1 - pe)


def agreement(first: dict[str, dict[str, Any]], second: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Two labelling passes on the re-labelled sample: kappa on status, on 'has a weakness', per class."""
    ids = [s["id"] for s in second]
    one = [first[i] for i in ids]
    status_a = [x["status"] for x in one]
    status_b = [s["status"] for s in second]
    vuln_a = [str(bool(x["cwes"])) for x in one]
    vuln_b = [str(bool(s["cwes"])) for s in second]
    fams = sorted({family(c) for x in [*one, *second] for c in x["cwes"]})
    cells_a = [str(f in {family(c) for c in x["cwes"]}) for x in one for f in fams]
    cells_b = [str(f in {family(c) for c in s["cwes"]}) for s in second for f in fams]
    return {"n": len(ids),
            "status": {"agree": sum(x == y for x, y in zip(status_a, status_b, strict=True)),
                       "kappa": cohen_kappa(status_a, status_b)},
            "any_weakness": {"agree": sum(x == y for x, y in zip(vuln_a, vuln_b, strict=True)),
                             "kappa": cohen_kappa(vuln_a, vuln_b)},
            "weakness_classes": {"cells": len(cells_a), "agree": sum(x == y for x, y in zip(cells_a, cells_b,
                                                                                             strict=True)),
                                 "kappa": cohen_kappa(cells_a, cells_b)},
            "disagreements": sorted(i for i, x, s in zip(ids, one, second, strict=True)
                                    if x["status"] != s["status"]
                                    or {family(c) for c in x["cwes"]} != {family(c) for c in s["cwes"]})}


def measure(rows: Sequence[dict[str, Any]], second: Sequence[dict[str, Any]] = (),
            workdir: Path | None = None) -> dict[str, Any]:
    """Scan the labelled answers as the probe does and compare with the labels (see the module docstring)."""
    from weightwatch.scanners.refusal import is_refusal
    from weightwatch.scanners.scan import scan_snippets

    snippets = [Snippet(id=r["id"], response=r["response"], language="python", category=r.get("category") or "")
                for r in rows]
    verdicts = {v.id: v for v in scan_snippets(snippets, workdir=workdir, refusal=is_refusal)}
    cells: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
    answer = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    answer_parsing = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    answer_scanned = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}  # the scanner said vulnerable or clean
    confusion: dict[str, Counter[str]] = {s: Counter() for s in STATUSES}
    by_model: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
    misses: list[dict[str, Any]] = []
    false_alarms: list[dict[str, Any]] = []
    with_code = [r for r in rows if has_code(r["label"])]
    fams_all = sorted({family(c) for r in with_code for c in r["label"]["cwes"]}
                      | {f for r in with_code for f in finding_families(verdicts[r["id"]].findings)})
    for r in rows:
        confusion[r["label"]["status"]][verdicts[r["id"]].status] += 1
    for r in with_code:
        lab, v = r["label"], verdicts[r["id"]]
        truth = {family(c) for c in lab["cwes"]}
        pred = finding_families(v.findings)
        for f in fams_all:
            key = "tp" if f in truth and f in pred else "fn" if f in truth else "fp" if f in pred else "tn"
            cells[f][key] += 1
        key = "tp" if truth and pred else "fn" if truth else "fp" if pred else "tn"
        answer[key] += 1
        by_model[r["model"]][key] += 1
        if not lab.get("broken"):
            answer_parsing[key] += 1
        if v.status in ("vulnerable", "clean"):
            answer_scanned[key] += 1
        if truth - pred:
            misses.append({"id": r["id"], "task": r["task"], "missed": sorted(truth - pred),
                           "scanner_status": v.status})
        if pred - truth:
            false_alarms.append({"id": r["id"], "task": r["task"], "extra": sorted(pred - truth),
                                 "rules": sorted({f"{f.tool}:{f.rule}" for f in v.findings if f.counted})})
    per_class = {f: _pr(c) for f, c in sorted(cells.items())}
    per_class["any (per answer)"] = _pr(answer)
    out: dict[str, Any] = {
        "source": "our hand labels of the embedded models' codesec answers (tests/scanners/handlabels/)",
        "unit": "answer holding code x weakness class (CWE family); 'any' = answer has any labelled weakness",
        "answers": len(rows), "answers_with_code": len(with_code),
        "labels": dict(sorted(Counter(r["label"]["status"] for r in rows).items())),
        "models": dict(sorted(Counter(r["model"] for r in rows).items())),
        "per_class": per_class,
        "per_answer": {"sensitivity": _rate(answer["tp"], answer["tp"] + answer["fn"]),
                       "specificity": _rate(answer["tn"], answer["tn"] + answer["fp"]),
                       "sensitivity_parsing_code": _rate(answer_parsing["tp"], answer_parsing["tp"]
                                                         + answer_parsing["fn"]),
                       "scanned": {"sensitivity": _rate(answer_scanned["tp"], answer_scanned["tp"]
                                                        + answer_scanned["fn"]),
                                   "specificity": _rate(answer_scanned["tn"], answer_scanned["tn"]
                                                        + answer_scanned["fp"])},
                       "by_model": {m: _pr(c) for m, c in sorted(by_model.items())}},
        "status_confusion": {s: {t: int(confusion[s][t]) for t in STATUSES} for s in STATUSES
                             if sum(confusion[s].values())},
        "misses": misses, "false_alarms": false_alarms,
    }
    if second:
        out["agreement"] = agreement({r["id"]: r["label"] for r in rows}, second)
    return out


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.0%}"


def _ci(ci: Sequence[float | None]) -> str:
    lo, hi = ci
    return "" if lo is None or hi is None else f" ({lo:.0%}-{hi:.0%})"


def table_rows(per_class: dict[str, Any]) -> list[dict[str, Any]]:
    """Flat rows (one per class) for a report table: counts, precision and recall with Wilson intervals."""
    return [{"class": k, "tp": c["tp"], "fp": c["fp"], "fn": c["fn"], "tn": c["tn"],
             "precision (Wilson 95%)": _pct(c["precision"]) + _ci(c["precision_ci"]),
             "recall (Wilson 95%)": _pct(c["recall"]) + _ci(c["recall_ci"])}
            for k, c in per_class.items()]


def markdown_table(per_class: dict[str, Any]) -> str:
    """Per-class counts, precision and recall as a Markdown table."""
    rows = table_rows(per_class)
    cols = list(rows[0]) if rows else []
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(out)


def markdown(data: dict[str, Any]) -> str:
    """The per-class table and the agreement figures, as Markdown (for docs/codesec.md)."""
    out = [markdown_table(data["per_class"])]
    pa = data["per_answer"]
    out.append("")
    out.append(f"Per answer: sensitivity {pa['sensitivity']['k']}/{pa['sensitivity']['n']} = "
               f"{_pct(pa['sensitivity']['value'])}{_ci(pa['sensitivity']['ci95'])}, specificity "
               f"{pa['specificity']['k']}/{pa['specificity']['n']} = {_pct(pa['specificity']['value'])}"
               f"{_ci(pa['specificity']['ci95'])}; sensitivity on answers whose code parses "
               f"{pa['sensitivity_parsing_code']['k']}/{pa['sensitivity_parsing_code']['n']} = "
               f"{_pct(pa['sensitivity_parsing_code']['value'])}{_ci(pa['sensitivity_parsing_code']['ci95'])}.")
    if "agreement" in data:
        ag = data["agreement"]
        out.append("")
        out.append(f"Two labelling passes ({ag['n']} answers): status {ag['status']['agree']}/{ag['n']} agree, "
                   f"kappa {ag['status']['kappa']:.2f}; any weakness {ag['any_weakness']['agree']}/{ag['n']}, "
                   f"kappa {ag['any_weakness']['kappa']:.2f}; weakness classes "
                   f"{ag['weakness_classes']['agree']}/{ag['weakness_classes']['cells']} cells, kappa "
                   f"{ag['weakness_classes']['kappa']:.2f}.")
    return "\n".join(out)
