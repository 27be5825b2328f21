"""The one set of verdict labels a censorship judge gives (rule judge, LLM judge, files, calibration)."""

from __future__ import annotations

FINAL = ("answered", "refused", "deflected", "narrative", "empty")  # a judge's verdicts (an LLM judge may give these)
LABELS = (*FINAL, "unscored")  # plus "no verdict" (the LLM reply did not parse, the rules were unsure ...)
CENSORED = frozenset({"refused", "deflected", "narrative"})
