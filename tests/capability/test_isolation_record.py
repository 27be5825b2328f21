"""A run that executes model code records its isolation, refuses without one, and warns loudly when the
user allowed unsandboxed code; an early exit of a HumanEval program is a failure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.capability.test_pipeline_scripted import CannedCoder
from weightwatch import api, sandbox
from weightwatch.engine.journal import Journal
from weightwatch.report.html import write_html
from weightwatch.types import ChatRequest, Completion


class EarlyExitCoder(CannedCoder):
    """Answers every task with the right function, preceded by an exit with status 0 before the tests run."""

    async def complete(self, request: ChatRequest) -> Completion:
        c = await super().complete(request)
        if "```python" in c.text:
            c.text = c.text.replace("```python\n", "```python\nimport os, sys\nsys.exit(0)\n", 1)
        return c


def _clear() -> None:
    for fn in (sandbox.isolation, sandbox.sandbox_facts, sandbox._legacy_interpreter):
        fn.cache_clear()


@pytest.fixture
def no_isolation(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(sandbox.SIMULATE_ENV, "none")
    _clear()
    yield
    monkeypatch.delenv(sandbox.SIMULATE_ENV)
    _clear()


OPTS = {"humaneval_limit": 2, "humaneval_security": "off"}


def test_isolation_is_recorded_and_early_exit_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    out = api.run(["capability"], [EarlyExitCoder()], size="quick", options=OPTS, config={})
    s = out.summary
    assert s.isolation.startswith("isolation: bubblewrap, user+pid+net+mount+ipc+uts namespaces")
    assert not s.unsandboxed_code
    cap = s.results[0]
    # HumanEval/0 and /16 under the quick subset: the canned coder solves /0, but it exits before the tests
    assert next(m for m in cap.metrics if m.name == "pass@1").value == 0.0
    assert cap.tables["failures"]["canned"].get("early-exit", 0) >= 1
    assert any(s.isolation in n for n in cap.notes)
    j = Journal(out.journal_path)
    try:
        html = write_html(j, out.run_id, tmp_path / "r.html").read_text()
    finally:
        j.close()
    assert "isolation: bubblewrap" in html and 'class="danger"' not in html


def test_refuses_before_any_request_without_isolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      no_isolation: None) -> None:
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    started = []

    class Watched(CannedCoder):
        async def start(self):  # type: ignore[no-untyped-def]
            started.append(1)
            return await super().start()

    with pytest.raises(sandbox.SandboxUnavailable) as exc:
        api.run(["capability"], [Watched()], size="quick", options=OPTS, config={})
    assert "apt-get install bubblewrap" in exc.value.one_line()
    assert not started  # refused before the target was even started
    # a run with no probe that executes model code is not affected
    api.run(["speed"], [CannedCoder()], size="quick", options={"speed_sweep": "off", "speed_reps": 1}, config={})


def test_allowed_unsandboxed_run_carries_a_red_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        no_isolation: None) -> None:
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    out = api.run(["capability"], [CannedCoder()], size="quick", options=OPTS, config={},
                  allow_unsandboxed_code=True)
    s = out.summary
    assert s.unsandboxed_code
    assert s.isolation.startswith("isolation: NONE")
    assert "WITHOUT a sandbox" in s.warnings[0]
    cap = s.results[0]
    assert next(m for m in cap.metrics if m.name == "pass@1").value == 0.5  # /0 solved, /16 not
    assert any("WITHOUT isolation" in w for w in cap.warnings)
    j = Journal(out.journal_path)
    try:
        html = write_html(j, out.run_id, tmp_path / "r.html").read_text()
    finally:
        j.close()
    assert 'class="danger" role="alert"' in html and "WITHOUT a sandbox" in html
