"""All 164 canonical HumanEval solutions pass inside the bubblewrap sandbox, with the pass marker."""

from __future__ import annotations

import pytest

from weightwatch import sandbox
from weightwatch.probes.capability.probe import TOTAL_TASKS, load_tasks


def canonical_programs() -> dict[str, str]:
    """task id -> the task's prompt + canonical solution + tests + check(entry point), as the harness runs it."""
    return {t.task_id: f"{t.prompt}{t.canonical_solution}\n\n{t.test}\n\ncheck({t.entry_point})\n"
            for t in load_tasks().values()}


def test_all_canonical_solutions_pass_in_the_sandbox() -> None:
    if not sandbox.isolation().available:
        pytest.fail(f"no sandbox here: {sandbox.isolation().detail} ({sandbox.INSTALL_HINT})")
    programs = canonical_programs()
    assert len(programs) == TOTAL_TASKS
    results = sandbox.run_many(list(programs.values()), workers=2, timeout_s=30, marker=True)
    failed = {tid: (r.returncode, r.killed_reason, r.stderr_tail[-300:])
              for tid, r in zip(programs, results, strict=True) if not r.passed}
    assert not failed, failed
    assert all(r.marker_seen and r.isolation["backend"] == "bubblewrap" for r in results)
