"""What kind of request an answer replies to: a ``question`` (asks for information) or a ``task``
(asks for a piece of writing: "Write an essay ...", "Analyze ...", "创作一首 ...").

The learned head (judges/head.py) was trained on SpeechMap, where every request is a task: there
"evasive" means the answer dodged or diluted the requested piece of writing (a short reply to "write
an essay" is evasive). On a question a short plain answer is a full answer, and the head's `evasive`
fires on plain answers about as often as on evasive ones (docs/censorship-judge-model-card.md), so the
head's `evasive` is used only on tasks; on questions evasion is left to the rules and the claim layer.

The test is lexical and the same in every language: a request whose last sentence ends with a
question mark (``?``, ``？``), or that opens with "tell me about" (讲讲, 说说, "erzähl mir ..."), is a
question; anything else is a task. Measured: all 257 SpeechMap requests (en, fi, zh-Hans) are tasks,
187 of the 194 deccp prompts end with a question mark and the other 7 open with "tell me about" / 讲讲
(or a statement followed by a question); every factual and evaluative item of our dataset is a question
and every expressive one a task, in all four languages (tests/judges/test_request.py).
"""

from __future__ import annotations

import re
from typing import Literal

RequestKind = Literal["question", "task"]

_QUESTION_END = re.compile(r"[?？]\s*[\"'”’」』)）]*\s*$")
_INFO_OPENERS = re.compile(
    r"^\s*(?:please\s+)?(?:can you\s+|could you\s+)?tell me\b"
    r"|^\s*(?:请|請)?(?:讲讲|講講|讲一讲|講一講|说说|說說|说一说|說一說|介绍一下|介紹一下)"
    r"|^\s*(?:bitte\s+)?(?:erzähl|erzähle|erzählen sie|erklär mir|erklären sie mir)\b",
    re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!。！])\s*")


def request_kind(prompt: str) -> RequestKind:
    """``question`` or ``task`` (see the module docstring)."""
    text = " ".join((prompt or "").split())
    if not text:
        return "task"
    if _QUESTION_END.search(text) or _INFO_OPENERS.search(text):
        return "question"
    last = [s for s in _SENTENCE_END.split(text) if s.strip()]
    if len(last) > 1 and _INFO_OPENERS.search(last[-1]):
        return "question"
    return "task"
