"""The one request hash (ChatRequest.request_hash = SampleKey.params_hash) is pinned: a change to it would
change every sample key, and journals written before would silently stop resuming."""

from __future__ import annotations

from weightwatch.types import ChatRequest, Message, stable_hash


def _msgs() -> list[Message]:
    return [Message(role="user", content="hi")]


def test_request_hash_values_are_pinned() -> None:
    # the values the resume key has had since response_format joined ChatRequest (journals of that time resume)
    assert ChatRequest(messages=_msgs()).request_hash("") == "d36f93095fb53b4e"
    assert ChatRequest(messages=_msgs()).request_hash() == "332c4cea13b4a726"  # a judge request: no phase
    full = ChatRequest(messages=_msgs(), temperature=0.7, top_p=0.9, max_tokens=64, seed=3, stop=["x"], stream=True)
    assert full.request_hash("sweep-c4") == "226b6f261c96a8af"


def test_request_hash_is_the_hash_of_the_whole_request_and_phase() -> None:
    req = ChatRequest(messages=_msgs(), temperature=0.3)
    # top_logprobs (claim checks) joins the hash only when set, so hashes of older requests hold
    assert req.request_hash("p") == stable_hash([req.model_dump(mode="json", exclude={"top_logprobs"}), "p"])
    asks = ChatRequest(messages=_msgs(), temperature=0.3, top_logprobs=5)
    assert asks.request_hash("p") == stable_hash([asks.model_dump(mode="json"), "p"]) != req.request_hash("p")
    assert req.request_hash("p") != req.request_hash("q") != req.request_hash()
    assert req.request_hash("") != ChatRequest(messages=_msgs(), temperature=0.4).request_hash("")


def test_response_format_is_part_of_the_params_and_the_hash_when_set() -> None:
    schema = {"type": "object", "properties": {"label": {"type": "string"}}}
    req = ChatRequest(messages=_msgs(), response_format=schema)
    assert req.params()["response_format"] == schema
    assert "response_format" not in ChatRequest(messages=_msgs()).params()
    assert req.request_hash() != ChatRequest(messages=_msgs()).request_hash()
    other = ChatRequest(messages=_msgs(), response_format={"type": "object"})
    assert other.request_hash() != req.request_hash()
