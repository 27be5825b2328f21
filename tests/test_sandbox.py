"""The sandbox: untrusted code runs in another process, within limits, and failures are failures."""

from __future__ import annotations

import os
import sys

import pytest

import weightwatch.sandbox as sandbox
from weightwatch.sandbox import run_many, run_python, sandbox_facts

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="limits and namespaces are Linux")


def test_clean_program_passes_and_prints() -> None:
    res = run_python("print(sum(range(10)))")
    assert res.passed
    assert res.returncode == 0
    assert res.stdout_tail.strip() == "45"
    assert res.killed_reason is None


def test_failing_assert_is_a_failure() -> None:
    res = run_python("assert 1 == 2, 'nope'")
    assert not res.passed
    assert res.returncode == 1
    assert "AssertionError: nope" in res.stderr_tail


def test_infinite_loop_is_stopped_and_fails() -> None:
    res = run_python("while True:\n    pass\n", timeout_s=2)
    assert not res.passed
    assert res.timed_out
    assert res.killed_reason == "timeout"


def test_cpu_limit_stops_a_busy_loop_even_with_a_long_wall_timeout() -> None:
    # the wall timeout would allow 60 s; the CPU limit (1 s) stops it first
    res = run_python("while True:\n    pass\n", timeout_s=60, cpu_s=1)
    assert not res.passed
    assert not res.timed_out
    assert res.killed_reason in ("cpu", "killed")


@linux_only
def test_huge_allocation_is_refused_and_fails() -> None:
    res = run_python("x = bytearray(4 * 1024 ** 3)\nprint('allocated')\n", memory_mb=512)
    assert not res.passed
    assert "allocated" not in res.stdout_tail
    assert res.killed_reason == "memory"


def test_runs_in_another_process_and_cannot_touch_our_globals() -> None:
    src = os.path.dirname(os.path.dirname(sandbox.__file__))
    code = (
        "import os, sys\n"
        "print(os.getpid())\n"
        "try:\n"
        "    import weightwatch\n"
        "    print('importable')\n"
        "except ImportError:\n"
        "    print('not-importable')\n"
        f"sys.path.insert(0, {src!r})\n"
        "try:\n"
        "    import weightwatch.sandbox as s\n"
        "    s.TAIL_BYTES = 1\n"
        "    print('set', s.TAIL_BYTES)\n"
        "except Exception as exc:\n"
        "    print('cannot-import', type(exc).__name__)\n"
    )
    before = sandbox.TAIL_BYTES
    res = run_python(code)
    assert res.passed, res.stderr_tail
    lines = res.stdout_tail.splitlines()
    assert int(lines[0]) != os.getpid()
    assert lines[1] == "not-importable"  # isolated mode: the package is not on the child's path
    # even when the child imports our source explicitly, it changes only its own copy
    assert lines[2] in ("set 1", "cannot-import ModuleNotFoundError", "cannot-import PermissionError")
    assert before == sandbox.TAIL_BYTES == 4000


def test_os_exit_and_files_stay_in_the_temp_dir() -> None:
    code = (
        "import os\n"
        "open('written.txt', 'w').write('x')\n"
        "print(os.getcwd(), flush=True)\n"
        "os._exit(0)\n"
    )
    res = run_python(code)
    assert res.passed
    cwd = res.stdout_tail.strip()
    assert os.path.basename(cwd) == "work"
    assert cwd != os.getcwd()
    assert not os.path.exists(cwd)  # the temporary directory is gone afterwards
    assert not os.path.exists(os.path.join(os.getcwd(), "written.txt"))


def test_os_exit_nonzero_is_a_failure() -> None:
    res = run_python("import os\nos._exit(3)\n")
    assert not res.passed
    assert res.returncode == 3


def test_huge_output_file_is_cut_by_the_file_size_limit() -> None:
    res = run_python("open('big', 'wb').write(b'x' * (64 * 1024 * 1024))\n", file_mb=1)
    assert not res.passed
    assert res.killed_reason in ("file-size", "signal 25") or "File too large" in res.stderr_tail


def test_environment_is_stripped() -> None:
    os.environ["WW_SECRET_FOR_TEST"] = "hunter2"
    try:
        res = run_python("import os\nprint(sorted(os.environ))\n")
    finally:
        del os.environ["WW_SECRET_FOR_TEST"]
    assert res.passed
    assert "WW_SECRET_FOR_TEST" not in res.stdout_tail
    assert "hunter2" not in res.stdout_tail


@linux_only
def test_network_is_unreachable_when_a_network_namespace_is_available() -> None:
    facts = sandbox_facts()
    if facts.get("net") not in ("netns", "userns+netns"):
        pytest.skip(f"no network namespace on this machine: {facts}")
    import socket

    # a real listener in *our* namespace: the sandboxed program must not reach it
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    try:
        code = (
            "import socket\n"
            "s = socket.socket()\n"
            "s.settimeout(3)\n"
            f"s.connect(('127.0.0.1', {port}))\n"
            "print('connected')\n"
        )
        res = run_python(code)
    finally:
        srv.close()
    assert not res.passed
    assert "connected" not in res.stdout_tail
    # the sandbox's network namespace has only its own loopback: nothing listens there
    assert "ConnectionRefusedError" in res.stderr_tail or "unreachable" in res.stderr_tail.lower()


@linux_only
def test_fork_bomb_is_contained() -> None:
    res = run_python("import os\nwhile True:\n    os.fork()\n", timeout_s=5)
    assert not res.passed


def test_run_many_keeps_order_and_isolates_failures() -> None:
    progs = ["print(1)", "raise SystemExit(2)", "while True: pass", "print(4)"]
    results = run_many(progs, workers=2, timeout_s=2)
    assert [r.passed for r in results] == [True, False, False, True]
    assert results[0].stdout_tail.strip() == "1"
    assert results[3].stdout_tail.strip() == "4"
    assert results[2].timed_out


def test_facts_report_what_applies() -> None:
    facts = sandbox_facts()
    assert facts["works"] == "yes"
    assert facts["net"] in ("netns", "userns+netns", "none")


def test_marker_makes_an_early_exit_fail_and_is_not_in_the_output() -> None:
    ok = run_python("print('hello')", marker=True)
    assert ok.passed and ok.marker_seen is True
    assert ok.stdout_tail.strip() == "hello"  # the marker is removed from what the program printed
    early = run_python("import sys\nsys.exit(0)\nprint('never')", marker=True)
    assert early.returncode == 0 and early.marker_seen is False and not early.passed
    # without a marker, exit status 0 is a pass (the old meaning, for callers that do not ask for one)
    assert run_python("import sys\nsys.exit(0)").passed


def test_isolation_is_detected_and_summarized() -> None:
    iso = sandbox.isolation()
    assert iso.available, iso.detail
    line = iso.summary(512)
    assert line.startswith("isolation: bubblewrap, user+pid+net+mount+ipc+uts namespaces")
    assert "memory 512 MB" in line
    assert sandbox.isolation_summary() == line
    assert sandbox.sandbox_facts()["backend"] == "bubblewrap"
