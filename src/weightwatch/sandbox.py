"""Run untrusted Python (model-written code) in a separate, limited process. Never in this process.

Every call of `run_python`:
- writes the program into a fresh temporary directory, which is the child's working directory;
- starts `sys.executable -I -S` (isolated mode, no site-packages: the child cannot import weightwatch
  or anything installed beside it, only the standard library) through a small launcher that, before
  it replaces itself with the program,
  - moves into a new network namespace (no interface but a down loopback, so every connect fails)
    when the platform allows it: as root directly, otherwise inside a new user namespace;
  - sets resource limits: address space (RLIMIT_AS), CPU seconds (RLIMIT_CPU), size of any file
    written (RLIMIT_FSIZE), open files, no core dumps, and a process count (RLIMIT_NPROC);
  - drops root to the `nobody` user when it runs as root (so RLIMIT_NPROC binds and the program
    cannot touch files it does not own);
- runs in its own session (process group); on timeout the whole group is killed;
- gets an environment with nothing but PATH, LANG and HOME (the temporary directory);
- has stdin closed and stdout/stderr written to files outside its working directory (so a child
  that keeps a pipe open cannot hang the caller), of which the last few KB are kept.

What actually applied (network namespace or not, privileges dropped or not) is recorded in
`SandboxResult.isolation` for every run, and `sandbox_facts()` reports it for this machine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

TAIL_BYTES = 4000
NOBODY = 65534

# The launcher runs in the child before the untrusted program. It uses only the standard library.
# argv: status_file program_file memory_bytes cpu_s fsize_bytes nproc interpreter drop(0|1)
_LAUNCHER = r"""
import ctypes, os, resource, sys
status_path, program, mem, cpu, fsize, nproc, interpreter, drop = sys.argv[1:9]
status = open(status_path, "w")  # opened before privileges are dropped
notes = []
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
net = "none"
try:
    libc = ctypes.CDLL(None, use_errno=True)
    if os.geteuid() == 0 and libc.unshare(CLONE_NEWNET) == 0:
        net = "netns"
    elif libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0:
        net = "userns+netns"
    else:
        notes.append("unshare failed: errno %d" % ctypes.get_errno())
except Exception as exc:
    notes.append("unshare unavailable: %r" % (exc,))
def lim(which, value):
    try:
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError) as exc:
        notes.append("setrlimit %d: %r" % (which, exc))
lim(resource.RLIMIT_AS, int(mem))
lim(resource.RLIMIT_CPU, int(cpu))
lim(resource.RLIMIT_FSIZE, int(fsize))
lim(resource.RLIMIT_CORE, 0)
lim(resource.RLIMIT_NOFILE, 256)
user = "same"
if os.geteuid() == 0 and drop == "1":
    try:
        os.setgroups([])
        os.setgid(%(nobody)d)
        os.setuid(%(nobody)d)
        user = "nobody"
    except OSError as exc:
        notes.append("cannot drop root: %r" % (exc,))
lim(resource.RLIMIT_NPROC, int(nproc))
status.write("net=%s\nuser=%s\n" % (net, user))
for n in notes:
    status.write("note=%s\n" % n)
status.close()
os.execv(interpreter, [interpreter, "-I", "-S", "-B", program])
""".replace("%(nobody)d", str(NOBODY))


@dataclass
class SandboxResult:
    """What happened to one program. `passed` is True only for a clean exit with status 0."""

    returncode: int | None
    timed_out: bool
    stdout_tail: str
    stderr_tail: str
    killed_reason: str | None = None  # timeout | memory | cpu | file-size | signal N | None
    duration_s: float = 0.0
    isolation: dict[str, str] = field(default_factory=dict)  # net=..., user=..., notes

    @property
    def passed(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - TAIL_BYTES))
            return fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _read_status(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        text = path.read_text("utf-8")
    except OSError:
        return {"net": "unknown", "user": "unknown"}
    notes = []
    for line in text.splitlines():
        k, _, v = line.partition("=")
        if k == "note":
            notes.append(v)
        elif k:
            out[k] = v
    if notes:
        out["notes"] = "; ".join(notes)
    return out


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


def _reason(returncode: int | None, timed_out: bool, stderr: str) -> str | None:
    if timed_out:
        return "timeout"
    if returncode is None or returncode == 0:
        return None
    if returncode < 0:
        sig = -returncode
        if sig == signal.SIGXCPU:
            return "cpu"
        if sig == signal.SIGXFSZ:
            return "file-size"
        if sig == signal.SIGKILL:
            return "killed"
        return f"signal {sig}"
    if "MemoryError" in stderr:
        return "memory"
    return None


def _run(code: str, *, timeout_s: float, memory_mb: int, cpu_s: int | None, file_mb: int, nproc: int,
         interpreter: str, drop: bool) -> SandboxResult:
    cpu = cpu_s if cpu_s is not None else int(timeout_s) + 1
    with tempfile.TemporaryDirectory(prefix="ww-sbx-") as outer:
        outer_p = Path(outer)
        work = outer_p / "work"  # the child's cwd and the only directory it owns
        work.mkdir()
        program = work / "program.py"
        program.write_text(code, encoding="utf-8")
        status = outer_p / "status"
        out_path, err_path = outer_p / "stdout", outer_p / "stderr"
        if drop:
            os.chown(work, NOBODY, NOBODY)
            os.chown(program, NOBODY, NOBODY)
            os.chmod(outer_p, 0o711)  # nobody may traverse to work/, not list or write outer/
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(work), "PYTHONHASHSEED": "0"}
        argv = [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(status), str(program),
                str(memory_mb * 1024 * 1024), str(cpu), str(file_mb * 1024 * 1024), str(nproc), interpreter,
                "1" if drop else "0"]
        t0 = time.monotonic()
        timed_out = False
        with out_path.open("wb") as out_fh, err_path.open("wb") as err_fh:
            proc = subprocess.Popen(argv, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=out_fh,
                                    stderr=err_fh, start_new_session=True, close_fds=True)
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                # the whole group goes, also children the program left behind
                _kill_group(proc)
                proc.wait()
        duration = time.monotonic() - t0
        stdout, stderr = _tail(out_path), _tail(err_path)
        rc = None if timed_out else proc.returncode
        isolation = _read_status(status)
        isolation["interpreter"] = interpreter
        return SandboxResult(returncode=rc, timed_out=timed_out, stdout_tail=stdout, stderr_tail=stderr,
                             killed_reason=_reason(rc, timed_out, stderr), duration_s=duration,
                             isolation=isolation)


_CHECK = "import json, math, re, hashlib, collections, itertools, functools, typing, string, heapq\nprint('ok')\n"


@cache
def _interpreter() -> tuple[str, bool, str]:
    """(interpreter, drop privileges, note): as root, the first Python that `nobody` can run.

    A Python installed under /root (pyenv) cannot be read by nobody; then a system python3 is used
    for the untrusted program (HumanEval needs only the standard library). If none works, the
    program runs as root in its namespace, with a note saying so."""
    own = os.path.realpath(sys.executable)
    if os.geteuid() != 0:
        return own, False, "not root: runs as the current user"
    candidates = [own]
    for c in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(c) and os.path.realpath(c) not in candidates:
            candidates.append(os.path.realpath(c))
    for c in candidates:
        res = _run(_CHECK, timeout_s=30, memory_mb=512, cpu_s=None, file_mb=16, nproc=64, interpreter=c,
                   drop=True)
        if res.passed and res.stdout_tail.strip() == "ok" and res.isolation.get("user") == "nobody":
            return c, True, ""
    return own, False, "no Python readable by user nobody: the program runs as root (in its own namespace)"


def run_python(code: str, *, timeout_s: float = 10.0, memory_mb: int = 512, cpu_s: int | None = None,
               file_mb: int = 16, nproc: int = 64) -> SandboxResult:
    """Run `code` as a Python program in a limited child process and report how it ended.

    The program counts as passed only when it exits with status 0 before `timeout_s` (wall clock).
    `cpu_s` defaults to the wall timeout rounded up plus one second."""
    interpreter, drop, note = _interpreter()
    res = _run(code, timeout_s=timeout_s, memory_mb=memory_mb, cpu_s=cpu_s, file_mb=file_mb, nproc=nproc,
               interpreter=interpreter, drop=drop)
    if note:
        res.isolation["notes"] = "; ".join(x for x in (res.isolation.get("notes", ""), note) if x)
    return res


def run_many(programs: Sequence[str], *, workers: int = 2, timeout_s: float = 10.0, memory_mb: int = 512,
             cpu_s: int | None = None) -> list[SandboxResult]:
    """Run many programs, `workers` at a time (each still in its own limited process), in order."""
    if not programs:
        return []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda c: run_python(c, timeout_s=timeout_s, memory_mb=memory_mb, cpu_s=cpu_s),
                             programs))


@cache
def sandbox_facts() -> dict[str, str]:
    """What isolation this machine gives (network namespace, user), from one trivial sandboxed run."""
    res = run_python("print('ok')", timeout_s=20)
    facts = dict(res.isolation)
    facts["works"] = "yes" if res.passed and res.stdout_tail.strip() == "ok" else f"no ({res.stderr_tail[-200:]})"
    return facts
