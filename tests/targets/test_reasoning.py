from __future__ import annotations

import pytest

from weightwatch.targets.reasoning import reasoning_field, split_reasoning


@pytest.mark.parametrize(
    ("content", "server", "text", "reasoning", "truncated"),
    [
        ("plain answer", None, "plain answer", None, False),
        ("<think>step 1</think>answer", None, "answer", "step 1", False),
        ("<think>\nstep 1\nstep 2\n</think>\n\nanswer", None, "answer", "step 1\nstep 2", False),
        # DeepSeek-R1 templates put <think> into the prompt: the output starts inside the block
        ("step 1</think>\n\nanswer", None, "answer", "step 1", False),
        # ran out of tokens while thinking
        ("<think>step 1 and then", None, "", "step 1 and then", True),
        ("intro <think>half", None, "intro", "half", True),
        # Qwen3 with thinking switched off: an empty block
        ("<think>\n\n</think>\n\nanswer", None, "answer", None, False),
        ("<think>a</think>one<think>b</think>two", None, "onetwo", "a\n\nb", False),
        ("<THINK>upper</THINK>answer", None, "answer", "upper", False),
        # server field only
        ("answer", "server thoughts", "answer", "server thoughts", False),
        # server field and a think block: both kept, server first
        ("<think>inline</think>answer", "server", "answer", "server\n\ninline", False),
        ("", "only thinking", "", "only thinking", False),
        (None, None, "", None, False),
        # a stray closing tag after the block does not leak into the answer
        ("<think>a</think>answer</think>", None, "answer", "a", False),
    ],
)
def test_split_shapes(content: str | None, server: str | None, text: str, reasoning: str | None,
                      truncated: bool) -> None:
    out = split_reasoning(content, server)
    assert out.text == text
    assert out.reasoning == reasoning
    assert out.truncated is truncated


def test_answer_keeps_inner_whitespace_and_code() -> None:
    content = "<think>plan</think>\n```python\ndef f():\n    return 1\n```\n"
    out = split_reasoning(content)
    assert out.text == "```python\ndef f():\n    return 1\n```"


def test_reasoning_fields() -> None:
    assert reasoning_field({"content": "x"}) is None
    assert reasoning_field({"reasoning_content": "r1"}) == "r1"
    assert reasoning_field({"reasoning": "r2"}) == "r2"
    assert reasoning_field({"reasoning_content": "same", "reasoning": "same"}) == "same"
    assert reasoning_field({"reasoning_content": "a", "reasoning": "b"}) == "a\n\nb"
    assert reasoning_field({"reasoning_content": "   ", "reasoning": None}) is None
