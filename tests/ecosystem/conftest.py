from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ecosystem.hubserver import FakeHub, load_items


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh WEIGHTWATCH_HOME (so a fresh journal) and no implicit Hub token."""
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("WEIGHTWATCH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "home"


@pytest.fixture()
def hub(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """The recorded-response Hub on loopback, serving the hand-computed fixture 4 models per page
    (10 models -> 3 pages), with HF_ENDPOINT pointing at it for the duration of the test."""
    with FakeHub(load_items("hand_models.json"), page_size=4) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)   # restored by monkeypatch after the test
        yield server
