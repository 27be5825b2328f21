"""The CPU rules of in-process models: threads from free cores, batch width by size, repacking by CPU."""

from __future__ import annotations

import pytest

from weightwatch.errors import UserError
from weightwatch.targets import cpu


def _stat(*cores: tuple[int, int]) -> str:
    """A /proc/stat text with one `cpuN` line per (idle, busy) tick pair (busy split over user/system)."""
    lines = [f"cpu  {sum(b for _, b in cores)} 0 0 {sum(i for i, _ in cores)} 0 0 0 0 0 0"]
    for n, (idle, busy) in enumerate(cores):
        lines.append(f"cpu{n} {busy // 2} 0 {busy - busy // 2} {idle} 0 0 0 0 0 0")
    return "\n".join([*lines, "intr 1 2 3", "ctxt 99"]) + "\n"


def test_cpu_times_read_idle_and_iowait_per_core() -> None:
    times = cpu.read_cpu_times("cpu  9 9 9 9\ncpu0 10 0 5 100 7 0 0 0 0 0\ncpu1 1 2 3 4\nintr 5\n")
    assert times == {0: (107, 122), 1: (4, 10)}  # the aggregate `cpu` line and others are skipped


def test_idle_cores_sum_the_allowed_cores_between_readings() -> None:
    before = cpu.read_cpu_times(_stat((0, 0), (0, 0)))
    after = cpu.read_cpu_times(_stat((30, 0), (3, 27)))  # core 0 idle, core 1 busy 90%
    assert cpu.idle_cores(before, after) == pytest.approx(1.1)
    assert cpu.idle_cores(before, after, allowed={1}) == pytest.approx(0.1)
    assert cpu.idle_cores(before, before) == pytest.approx(2.0)  # no ticks passed: nothing seen busy


def test_free_cores_round_the_idle_sum() -> None:
    assert cpu.free_cores(2, 1.97) == 2
    assert cpu.free_cores(2, 1.8) == 2
    assert cpu.free_cores(2, 1.5) == 1  # half a core taken by another job: one thread
    assert cpu.free_cores(2, 0.1) == 1  # never below one
    assert cpu.free_cores(8, 5.8) == 6
    assert cpu.free_cores(4, 9.0) == 4  # never above the allowed cores


def test_threads_measure_the_cores_free_now_not_the_load_average(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CI case: a 1-minute load average of 1.9 left over from `pip install`, both cores idle now."""
    monkeypatch.delenv("WEIGHTWATCH_THREADS", raising=False)
    monkeypatch.setattr(cpu.os, "getloadavg", lambda: (1.9, 1.0, 0.5))
    monkeypatch.setattr(cpu, "usable_cores", lambda: 2)
    monkeypatch.setattr(cpu, "_allowed_cpus", lambda: {0, 1})
    waits: list[float] = []
    readings = iter([_stat((100, 100), (100, 100)), _stat((130, 100), (129, 101))])
    choice = cpu.choose_threads(read=lambda: next(readings), sleep=waits.append)
    assert choice.threads == 2 and waits == [cpu.IDLE_SAMPLE_S]
    assert "1.97 of 2 allowed cores idle" in choice.rule and choice.rule.endswith("-> 2")
    # one core busy with another job now
    readings = iter([_stat((100, 100), (100, 100)), _stat((130, 100), (101, 129))])
    assert cpu.choose_threads(read=lambda: next(readings), sleep=waits.append).threads == 1
    # no /proc/stat (not Linux): the load average is all there is
    fallback = cpu.choose_threads(read=lambda: None, sleep=waits.append)
    assert fallback.threads == 1 and "load average 1.90" in fallback.rule


def test_threads_follow_the_environment_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_THREADS", "3")
    choice = cpu.choose_threads(read=lambda: pytest.fail("no reading when the environment decides"))
    assert choice == cpu.ThreadChoice(3, "WEIGHTWATCH_THREADS") and cpu.llama_threads() == 3


def test_threads_read_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEIGHTWATCH_THREADS", raising=False)
    choice = cpu.choose_threads(interval=0.05)
    assert 1 <= choice.threads <= cpu.usable_cores()
    assert "/proc/stat" in choice.rule


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
