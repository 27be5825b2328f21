"""The shipped mock: target, and the two registries (probes by decorator, backends by kind)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from weightwatch.api import run
from weightwatch.errors import UserError
from weightwatch.probes import registry
from weightwatch.targets import spec as target_spec
from weightwatch.targets.mock import REFUSAL, MockTarget
from weightwatch.targets.spec import TargetSpec, backend, backends, parse_target
from weightwatch.types import ChatRequest, Message


def _req(text: str, **kw: object) -> ChatRequest:
    return ChatRequest(messages=[Message(role="user", content=text)], **kw)  # type: ignore[arg-type]


def test_mock_target_answers_deterministically_and_streams() -> None:
    t = parse_target("mock:echo")
    assert isinstance(t, MockTarget) and t.label == "mock:echo" and t.kind == "mock"
    fp = asyncio.run(t.start())
    assert fp.kind == "mock" and fp.name == "echo"
    c = asyncio.run(t.complete(_req("say this back")))
    assert c.text == "say this back" and c.finish_reason == "stop" and c.completion_tokens == 3
    s = asyncio.run(t.complete(_req("one two three four", stream=True, max_tokens=2)))
    assert s.text == "one two" and s.finish_reason == "length" and s.token_times_s and len(s.token_times_s) == 2
    assert asyncio.run(parse_target("mock:refuse").complete(_req("anything"))).text == REFUSAL


def test_named_mock_target_gets_its_table() -> None:
    t = parse_target("m", {"targets": {"m": {"spec": "mock:x", "temperature": 0.5, "price_per_hour": 1.0}}})
    assert t.label == "m" and t.defaults() == {"temperature": 0.5}
    assert getattr(t, "price", None) == {"hour": 1.0}


def test_a_run_on_the_mock_target(tmp_path: Path) -> None:
    out = run(["sanity"], ["mock:refuse"], journal_file=tmp_path / "j.sqlite", config={})
    acc = next(m for m in out.summary.metrics("sanity") if m.name == "accuracy")
    assert acc.value == 0.0 and acc.n == 4  # a refusal answers no trivial question


def test_unknown_kind_lists_the_kinds_here() -> None:
    with pytest.raises(UserError, match="unknown target kind 'nope'") as exc:
        parse_target("nope:x")
    assert "embedded, gguf, mock, openai" in exc.value.one_line()
    assert {"embedded", "gguf", "mock", "openai"} <= set(backends())


def test_a_registered_backend_is_used_by_kind() -> None:
    @backend("unit-test-kind")
    def make(t: TargetSpec) -> MockTarget:
        return MockTarget("echo", label=t.label or t.spec)

    try:
        made = parse_target("unit-test-kind:whatever")
        assert isinstance(made, MockTarget) and made.label == "unit-test-kind:whatever"
    finally:
        del target_spec._BACKENDS["unit-test-kind"]


def test_probe_registry() -> None:
    assert registry.available()[:5] == ["censorship", "codesec", "capability", "speed", "sanity"]
    assert registry.audit_probes() == registry.AUDIT_ORDER
    with pytest.raises(UserError, match="unknown probe 'nope'"):
        registry.get("nope")

    class Bad:
        name = "Has Space"

    with pytest.raises(TypeError, match="lower-case"):
        registry.register(Bad)

    class Half:
        name = "half"
        version = "1"

    with pytest.raises(TypeError, match="lacks description, Options, headlines, uses_judge, runs_model_code, plan"):
        registry.register(Half)

    from weightwatch.probes.sanity.probe import SanityProbe

    class Clash(SanityProbe):
        pass

    with pytest.raises(TypeError, match="two probes are named 'sanity'"):
        registry.register(Clash)

    class BadOptions(SanityProbe):
        name = "bad-options"
        Options = dict  # type: ignore[assignment]

    with pytest.raises(TypeError, match="ProbeOptions"):
        registry.register(BadOptions)
