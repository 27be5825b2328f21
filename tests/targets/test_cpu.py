"""The CPU rules of in-process models: threads from free cores, batch width by size, repacking by CPU."""

from __future__ import annotations

import pytest

from weightwatch.errors import UserError
from weightwatch.targets import cpu


def test_free_cores_subtract_the_load() -> None:
    assert cpu.free_cores(2, 0.1) == 2
    assert cpu.free_cores(2, 0.6) == 1
    assert cpu.free_cores(2, 7.9) == 1  # never below one
    assert cpu.free_cores(8, 2.4) == 6
    assert cpu.free_cores(4, -1.0) == 4  # never above the cores


def test_threads_follow_the_environment_then_the_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_THREADS", "3")
    assert cpu.llama_threads() == 3 and cpu.threads_rule() == "WEIGHTWATCH_THREADS"
    monkeypatch.delenv("WEIGHTWATCH_THREADS")
    monkeypatch.setattr(cpu.os, "getloadavg", lambda: (1.2, 0.0, 0.0))
    monkeypatch.setattr(cpu, "usable_cores", lambda: 4)
    assert cpu.llama_threads() == 3
    assert "load average" in cpu.threads_rule()


def test_parallel_slots_by_size_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEIGHTWATCH_PARALLEL", raising=False)
    assert [cpu.parallel_slots(p) for p in (135_000_000, 494_000_000, 1_540_000_000, 7_000_000_000, 0)] == [
        8, 4, 2, 1, 1]
    monkeypatch.setenv("WEIGHTWATCH_PARALLEL", "2")
    assert cpu.parallel_slots(135_000_000) == 2 and cpu.parallel_rule() == "WEIGHTWATCH_PARALLEL"
    monkeypatch.setenv("WEIGHTWATCH_PARALLEL", "many")
    with pytest.raises(UserError, match="WEIGHTWATCH_PARALLEL"):
        cpu.parallel_slots(1)


def test_extra_buffer_types_off_on_amx_on_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEIGHTWATCH_LLAMA_EXTRA_BUFTS", raising=False)
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "avx512f", "amx_int8", "amx_tile"}))
    assert not cpu.extra_buffer_types_enabled() and "AMX" in cpu.extra_buffer_types_rule()
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "avx512f"}))
    assert cpu.extra_buffer_types_enabled() and cpu.extra_buffer_types_rule().startswith("on")
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset())
    assert not cpu.extra_buffer_types_enabled()
    monkeypatch.setenv("WEIGHTWATCH_LLAMA_EXTRA_BUFTS", "1")
    assert cpu.extra_buffer_types_enabled() and cpu.extra_buffer_types_rule() == "WEIGHTWATCH_LLAMA_EXTRA_BUFTS"


def test_cpu_flags_read_this_machine() -> None:
    flags = cpu.cpu_flags()
    assert isinstance(flags, frozenset)
    if flags:  # Linux: the flags line is there, and the usual ones are in it
        assert any(f.startswith(("sse", "fp", "asimd")) for f in flags)
