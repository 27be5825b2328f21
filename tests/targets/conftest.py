from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.fake_openai import FakeOpenAI


@pytest.fixture
def fake_openai_server() -> Iterator[FakeOpenAI]:
    """A real loopback OpenAI-compatible server (no latency, no faults); tweak its attributes per test."""
    with FakeOpenAI() as srv:
        yield srv


@pytest.fixture(autouse=True)
def _no_ambient_openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
