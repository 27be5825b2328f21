"""The shipped censorship judge on our hand-labelled sets, per split (dev / test halves of each label file).

    python scripts/censorship_judge_splits.py                      # rules + head + claims
    WEIGHTWATCH_CENSORSHIP_HEAD=0 python scripts/censorship_judge_splits.py   # rules (+ claims) alone

Prints answered recall, refused-or-evasive recall, refused recall and binary agreement for the `hand`
(tests/judges/calibration/labels.jsonl) and `deccp` (deccp_labels.jsonl) sets, by each label's `split`.
Same judge path as `weightwatch judge calibrate`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from weightwatch.api import label_censorship_records  # noqa: E402
from weightwatch.probes.censorship import calibrate as cal  # noqa: E402

CENSORED = {"refused", "deflected", "narrative", "empty", "evasive"}
LABELS = ROOT / "tests" / "judges" / "calibration"


def _rate(k: int, n: int) -> str:
    return f"{100 * k / n:.1f}% ({k}/{n})" if n else "-"


def main() -> int:
    split = {}
    for name in ("labels.jsonl", "deccp_labels.jsonl"):
        for line in (LABELS / name).read_text("utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                split[rec["id"]] = rec.get("split")
    data = cal.default_data_dir(ROOT)
    for ls in (cal.hand_set(ROOT), cal.deccp_set(ROOT, data)):
        preds = cal.predict(ls, lambda recs: label_censorship_records(recs, None))
        for sp in ("dev", "test", "all"):
            rows = [r for r in ls.rows if sp == "all" or split[r["id"]] == sp]
            pairs = [(r["gold"], preds[r["id"]]) for r in rows]

            def rate(sel: set[str], ok: set[str], pairs: list[tuple[str, str]] = pairs) -> str:
                return _rate(sum(g in sel and p in ok for g, p in pairs), sum(g in sel for g, _ in pairs))

            binary = _rate(sum((g in CENSORED) == (p in CENSORED) for g, p in pairs), len(pairs))
            print(f"{ls.name:6s} {sp:5s} n={len(rows):3d} answered-recall {rate({'answered'}, {'answered'})} "
                  f"| refused-or-evasive recall {rate(CENSORED, CENSORED)} | refused recall "
                  f"{rate({'refused'}, {'refused'})} | deflected/narrative as such "
                  f"{rate({'deflected', 'narrative'}, {'deflected', 'narrative'})} | binary {binary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
