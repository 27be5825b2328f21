"""Is an answer without code a refusal? The censorship rule judge's answer, for the code-security scanners.

The multilingual rule judge (``weightwatch.judges.rules``) is the project's one refusal detector; this
module is the adapter the codesec probe calls, only for answers with no code: an answer that contains
code is scanned, whatever its prose says.
"""

from __future__ import annotations

from weightwatch.judges import rules

JUDGE_NAME = "judges.rules.is_refusal"


def is_refusal(text: str, language: str | None = "en") -> bool:
    return rules.is_refusal(text, language or "en")


def refusal_judge_name() -> str:
    return JUDGE_NAME
