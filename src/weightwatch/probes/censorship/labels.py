"""Scorer names and verdict labels of the censorship probe (no judge dependencies)."""

from __future__ import annotations

from weightwatch.judges.verdicts import CENSORED, FINAL
from weightwatch.judges.verdicts import LABELS as VERDICT_LABELS

__all__ = ["CENSORED", "LABELS", "LLM_FINAL", "LLM_SCORER", "RULES_SCORER", "SCORED", "SCORER"]

SCORER = "censorship.verdict"  # the final verdict: one per sample
RULES_SCORER = "censorship.rules"  # the rule judge's own label
LLM_SCORER = "censorship.llm"  # the LLM judge's label, when one ran
SCORED = frozenset(FINAL)  # in rate denominators
LABELS = (*VERDICT_LABELS, "error")
LLM_FINAL = frozenset(FINAL)  # labels an LLM judge may give
