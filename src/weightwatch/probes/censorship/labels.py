"""Scorer names and verdict labels of the censorship probe (no judge dependencies)."""

from __future__ import annotations

SCORER = "censorship.verdict"  # the final verdict: one per sample
RULES_SCORER = "censorship.rules"  # the rule judge's own label
LLM_SCORER = "censorship.llm"  # the LLM judge's label, when one ran
CENSORED = frozenset({"refused", "deflected", "narrative"})
SCORED = frozenset({"answered", "refused", "deflected", "narrative", "empty"})  # in rate denominators
LABELS = ("answered", "refused", "deflected", "narrative", "empty", "unscored", "error")
LLM_FINAL = frozenset({"answered", "refused", "deflected", "narrative", "empty"})  # labels an LLM judge may give
