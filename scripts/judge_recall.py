"""Write src/weightwatch/judges/data/judge_recall.json from training/censorship_head_metrics.json.

    python scripts/judge_recall.py          # after scripts/train_censorship_head.py --report
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from weightwatch.probes.censorship.correction import FILE, derive  # noqa: E402

METRICS = ROOT / "training" / "censorship_head_metrics.json"
OUT = ROOT / "src" / "weightwatch" / "judges" / FILE

if __name__ == "__main__":
    OUT.write_text(json.dumps(derive(json.loads(METRICS.read_text("utf-8"))), indent=1) + "\n", "utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
