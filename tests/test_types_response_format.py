"""ChatRequest.response_format must not change the identity of requests that do not use it."""

from __future__ import annotations

from weightwatch.types import ChatRequest, Message


def _msgs() -> list[Message]:
    return [Message(role="user", content="hi")]


def test_params_hash_of_existing_requests_is_unchanged() -> None:
    # computed with weightwatch before response_format existed (commit aa7a391): journals written then resume
    assert ChatRequest(messages=_msgs()).params_hash() == "9a227d20a0bf8e3b"
    full = ChatRequest(messages=_msgs(), temperature=0.7, top_p=0.9, max_tokens=64, seed=3, stop=["x"], stream=True)
    assert full.params_hash() == "f01cb5acbc8d6daa"
    assert "response_format" not in ChatRequest(messages=_msgs()).params()


def test_response_format_is_part_of_the_params_when_set() -> None:
    schema = {"type": "object", "properties": {"label": {"type": "string"}}}
    req = ChatRequest(messages=_msgs(), response_format=schema)
    assert req.params()["response_format"] == schema
    assert req.params_hash() != ChatRequest(messages=_msgs()).params_hash()
    other = ChatRequest(messages=_msgs(), response_format={"type": "object"})
    assert other.params_hash() != req.params_hash()
