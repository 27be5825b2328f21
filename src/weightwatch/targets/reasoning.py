"""Separate a reasoning model's thinking from its answer.

Shapes handled (all seen in the wild):
- `<think>R</think>A`                 DeepSeek-R1, Qwen3, QwQ: reasoning R, answer A
- `R</think>A`                        R1 chat templates that put `<think>` into the prompt, so the
                                      output starts inside the block
- `<think>R` (never closed)           the model ran out of tokens while thinking: all of it is
                                      reasoning and the answer is empty (`truncated=True`)
- `<think>\\n\\n</think>A`             Qwen3 with thinking off: empty reasoning (None)
- several blocks                      reasoning joined with blank lines, the answers joined
- a server field `reasoning_content` (vLLM, SGLang, DeepSeek API) or `reasoning` (Ollama,
  OpenRouter, LM Studio): merged in front of any `<think>` text found in the content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPEN = re.compile(r"<think>", re.IGNORECASE)
_CLOSE = re.compile(r"</think>", re.IGNORECASE)


@dataclass(frozen=True)
class ReasoningSplit:
    text: str  # the answer, reasoning removed, outer whitespace stripped
    reasoning: str | None  # None when there was no (non-empty) reasoning
    truncated: bool = False  # a <think> block was still open at the end of the output


def _join(parts: list[str]) -> str | None:
    kept = [p.strip() for p in parts if p and p.strip()]
    return "\n\n".join(kept) if kept else None


def split_reasoning(content: str | None, server_reasoning: str | None = None) -> ReasoningSplit:
    """Split `content` into answer and reasoning; merge the server's separate reasoning field."""
    text = content or ""
    reasoning_parts: list[str] = [server_reasoning] if server_reasoning else []
    answer_parts: list[str] = []
    truncated = False

    first_open = _OPEN.search(text)
    first_close = _CLOSE.search(text)
    # Output that starts inside a think block: a closing tag before any opening tag.
    if first_close is not None and (first_open is None or first_close.start() < first_open.start()):
        reasoning_parts.append(text[: first_close.start()])
        text = text[first_close.end():]

    pos = 0
    while True:
        m_open = _OPEN.search(text, pos)
        if m_open is None:
            answer_parts.append(text[pos:])
            break
        answer_parts.append(text[pos: m_open.start()])
        m_close = _CLOSE.search(text, m_open.end())
        if m_close is None:
            reasoning_parts.append(text[m_open.end():])
            truncated = True
            break
        reasoning_parts.append(text[m_open.end(): m_close.start()])
        pos = m_close.end()

    answer = "".join(answer_parts)
    # a stray closing tag left in the answer (unbalanced output) is not part of the answer
    answer = _CLOSE.sub("", answer).strip()
    return ReasoningSplit(text=answer, reasoning=_join(reasoning_parts), truncated=truncated)


def reasoning_field(message: dict[str, object]) -> str | None:
    """The separate reasoning text a server put beside the content (`reasoning_content` / `reasoning`)."""
    parts: list[str] = []
    for key in ("reasoning_content", "reasoning"):
        value = message.get(key)
        if isinstance(value, str) and value.strip():
            parts.append(value)
    if len(parts) == 2 and parts[0].strip() == parts[1].strip():  # some servers send both, identical
        parts = parts[:1]
    return "\n\n".join(p.strip() for p in parts) if parts else None
