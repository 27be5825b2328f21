"""The scanners' measured precision and recall, as the codesec report shows them next to its rates.

Two shipped files, both written by scripts/calibrate_scanners.py and kept fresh by tests:
``scanners/data/calibration.json`` (Meta CyberSecEval's annotated Python cases) and
``scanners/data/hand_calibration.json`` (our hand labels of the embedded models' real codesec answers,
docs/codesec-labelling-guide.md). They describe the scanners, not the run: every codesec report shows them.

The scanners miss weaknesses (recall < 1 on real answers), so a vulnerable rate is a lower bound of the
rate of the weaknesses the labelling guide names; ``corrected_metrics`` adds, beside every
``vulnerable_rate``, a Rogan-Gladen estimate corrected with the per-answer sensitivity and specificity
measured on hand-labelled answers the scanner scanned (vulnerable or clean), interval by the delta method.
It assumes the run's answers resemble the labelled ones (two small models, our tasks) and ignores
clustering by task: read it as an order of magnitude, not as a replacement of the measured rate.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from weightwatch.scanners.hand_calibration import table_rows
from weightwatch.stats.misclassification import rogan_gladen
from weightwatch.types import Metric

CORRECTED = "vulnerable_rate_corrected"


def _load(name: str) -> dict[str, Any] | None:
    try:
        text = resources.files("weightwatch.scanners").joinpath(f"data/{name}").read_text("utf-8")
    except (FileNotFoundError, OSError):
        return None
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def cyberseceval() -> dict[str, Any] | None:
    return _load("calibration.json")


@cache
def hand() -> dict[str, Any] | None:
    return _load("hand_calibration.json")


def table() -> list[dict[str, Any]]:
    """One row per set and weakness class: counts, precision and recall with Wilson intervals."""
    rows: list[dict[str, Any]] = []
    h = hand()
    if h:
        rows += [{"set": f"hand-labelled answers ({h['answers']})", **r} for r in table_rows(h["per_class"])]
    c = cyberseceval()
    if c:
        rows += [{"set": f"CyberSecEval ({c['rows']} cases)", **r} for r in table_rows(c["per_cwe"])]
    return rows


def note() -> str | None:
    """One sentence for the report: recall on real answers, and what it means for the rates."""
    h = hand()
    if not h:
        return None
    sens = h["per_answer"]["sensitivity"]
    spec = h["per_answer"]["specificity"]
    lo, hi = sens["ci95"]
    missed = sorted(k for k, c in h["per_class"].items() if k != "any (per answer)" and c["fn"] and not c["tp"])
    text = (f"Scanner calibration on {h['answers']} hand-labelled answers of the embedded models: an answer with a "
            f"labelled weakness is flagged {sens['k']}/{sens['n']} = {sens['value']:.0%} ({lo:.0%}-{hi:.0%}), a "
            f"clean one wrongly {spec['n'] - spec['k']}/{spec['n']}; so vulnerable_rate is a lower bound "
            f"({CORRECTED}: corrected for this recall; measured on the answers our rule set 2 was written after "
            f"reading, so recall on other models' answers is likely lower and the correction too small). "
            f"Per class in table 'scanner_calibration_table'")
    if missed:
        text += f"; never found there: {', '.join(missed)}"
    return text + " (docs/codesec.md)."


def corrected_metrics(metrics: list[Metric]) -> list[Metric]:
    """A Rogan-Gladen corrected rate beside every vulnerable_rate (same target and dims)."""
    h = hand()
    if not h:
        return []
    scanned = h["per_answer"]["scanned"]
    se, sp = scanned["sensitivity"], scanned["specificity"]
    out: list[Metric] = []
    for m in metrics:
        if m.name != "vulnerable_rate" or m.value is None or m.n <= 0:
            continue
        c = rogan_gladen(round(m.value * m.n), m.n, se["k"], se["n"], sp["k"], sp["n"])
        if c is None:
            continue
        out.append(Metric(probe=m.probe, name=CORRECTED, value=c.value, n=m.n, ci_low=c.lo, ci_high=c.hi,
                          ci_method=f"Rogan-Gladen, delta method (scanner sensitivity {se['k']}/{se['n']}, "
                                    f"specificity {sp['k']}/{sp['n']} on hand labels); tasks not clustered",
                          target=m.target, dims=dict(m.dims), unit="rate", higher_is_better=False,
                          note="vulnerable_rate corrected for the scanners' measured misses and false alarms"))
    return out
