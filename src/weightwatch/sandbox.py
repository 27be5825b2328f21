"""Run untrusted Python (model-written code) in an isolated, limited process. Never in this process.

Every program runs under bubblewrap (`bwrap`, Debian package `bubblewrap`) in new user, PID, mount,
IPC, UTS and network namespaces (`--die-with-parent`, `--new-session`). Inside it sees:
- read-only: the interpreter, its standard library (site-packages hidden by an empty tmpfs) and the
  shared libraries they load (found with `ldd`), plus `/etc/ld.so.cache`; nothing else of the host;
- a fresh `/proc` of its own PID namespace, a minimal `/dev`, a network namespace with only a down
  loopback, no `$HOME` of the host;
- one writable place: a private tmpfs at /tmp (size = `file_mb`), its working directory /tmp/work.
Limits: RLIMIT_AS (memory per process), RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE, no core files and
RLIMIT_NPROC, set inside the sandbox before the program starts; as root, bwrap itself runs as user
`nobody` so that the process limit binds (the kernel never applies it to the real root user). While the
program runs, this process adds up the resident memory and counts the processes of the sandbox's PID
namespace every few milliseconds and kills the whole namespace when either exceeds its limit (no
writable cgroup v2 memory controller is used; see docs/sandbox.md). When the program ends, or on
timeout, the namespace's init dies and the kernel kills every process left in it.

What the host allows is detected once (`isolation()`); `isolation().summary` is the one line that runs
record. Where no isolation is possible, `run_python` refuses (`SandboxUnavailable`, saying what to
install) unless unsandboxed execution was allowed explicitly (`allow_unsandboxed=True`, or
`allow_unsandboxed_code(True)` for the whole process, the CLI's `--allow-unsandboxed-code`): then the
program runs as before bubblewrap (rlimits, a network namespace when possible, `nobody` as root).

`run_python(code, marker=True)` makes a pass need more than exit status 0: a random marker, read from
stdin before the program starts and printed after it finished, must appear on stdout, so an early
`sys.exit(0)` or `os._exit(0)` fails.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from weightwatch import envvars
from weightwatch.errors import UserError

TAIL_BYTES = 4000
NOBODY = 65534
WATCH_INTERVAL_S = 0.01
# Set to "none" to make detection believe no isolation is possible (tests of the refusal path).
SIMULATE_ENV = "WEIGHTWATCH_SANDBOX_SIMULATE"
BWRAP_ENV = "WEIGHTWATCH_BWRAP"  # the bwrap executable (default: `bwrap` on PATH)
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and allow unprivileged user "
                "namespaces, or pass --allow-unsandboxed-code to run model-written code without isolation")

# Runs inside the sandbox before the untrusted program; standard library only. It sets the limits, then
# runs the program in this same interpreter (no second start-up) as `__main__`, its own names removed.
# With a marker, the marker is read from stdin first (then stdin is /dev/null) and written after the
# program finished; it lives only in this function's frame.
# argv: program memory_bytes cpu_s fsize_bytes nproc marker(0|1)
_LAUNCHER = r"""
def _launch():
    import os, resource, sys
    program, mem, cpu, fsize, nproc, marker = sys.argv[1:7]
    def lim(which, value):
        soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))
    lim(resource.RLIMIT_AS, int(mem))
    lim(resource.RLIMIT_CPU, int(cpu))
    lim(resource.RLIMIT_FSIZE, int(fsize))
    lim(resource.RLIMIT_CORE, 0)
    lim(resource.RLIMIT_NOFILE, 256)
    lim(resource.RLIMIT_NPROC, int(nproc))
    token = os.read(0, 200).decode("ascii").strip() if marker == "1" else ""
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    with open(program, "rb") as fh:
        code = compile(fh.read(), program, "exec")
    sys.argv = [program]
    main = sys.modules["__main__"].__dict__
    for name in [n for n in main if n not in ("__name__", "__builtins__", "__doc__", "__spec__", "__loader__",
                                              "__package__")]:
        del main[name]
    main["__file__"] = program
    exec(code, main)
    if token:
        sys.stdout.flush()
        os.write(1, ("\n" + token + "\n").encode("ascii"))
_launch()
"""

# The pre-bubblewrap launcher, used only when unsandboxed execution is allowed explicitly.
# argv: status_file program_file memory_bytes cpu_s fsize_bytes nproc interpreter drop(0|1)
_LEGACY_LAUNCHER = r"""
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


class SandboxUnavailable(UserError):
    """No isolation is possible on this host and unsandboxed execution was not allowed."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"refusing to run model-written code without isolation: {reason}", INSTALL_HINT)


@dataclass
class SandboxResult:
    """What happened to one program. `passed` is True only for a clean exit with status 0 (and, when a
    marker was asked for, the marker on stdout)."""

    returncode: int | None
    timed_out: bool
    stdout_tail: str
    stderr_tail: str
    killed_reason: str | None = None  # timeout | memory | cpu | file-size | processes | signal N | None
    duration_s: float = 0.0
    isolation: dict[str, str] = field(default_factory=dict)  # backend, net, user, pid, notes
    marker_seen: bool | None = None  # None: no marker was asked for

    @property
    def passed(self) -> bool:
        return self.returncode == 0 and not self.timed_out and self.marker_seen is not False


@dataclass(frozen=True)
class Isolation:
    """What isolation this host gives model-written code (detected once per process)."""

    available: bool
    backend: str  # "bubblewrap" | "none"
    detail: str  # bwrap version and how it runs, or why there is no isolation
    namespaces: tuple[str, ...] = ()
    run_as: str = ""  # the host user bwrap runs as
    interpreter: str = ""
    memory: str = ""  # how memory is limited
    cgroup: str = ""  # what cgroup v2 offers here

    def summary(self, memory_mb: int = 512, nproc: int = 64) -> str:
        if not self.available:
            return f"isolation: NONE ({self.detail})"
        return (f"isolation: {self.backend}, {'+'.join(self.namespaces)} namespaces, run as {self.run_as}; "
                f"memory {memory_mb} MB per program ({self.memory}); at most {nproc} processes; "
                f"{self.cgroup}; interpreter {self.interpreter}")

    def as_dict(self) -> dict[str, str]:
        return {"available": "yes" if self.available else "no", "backend": self.backend, "detail": self.detail,
                "namespaces": "+".join(self.namespaces), "run_as": self.run_as, "interpreter": self.interpreter,
                "memory": self.memory, "cgroup": self.cgroup, "summary": self.summary()}


_allow_unsandboxed = False


def set_allow_unsandboxed_code(allow: bool) -> None:
    """Process-wide default for `run_python(allow_unsandboxed=None)` (the CLI's --allow-unsandboxed-code)."""
    global _allow_unsandboxed
    _allow_unsandboxed = bool(allow)


@contextlib.contextmanager
def allow_unsandboxed_code(allow: bool) -> Iterator[None]:
    """Within the block, `run_python` runs programs without isolation where none is possible."""
    before = _allow_unsandboxed
    set_allow_unsandboxed_code(allow)
    try:
        yield
    finally:
        set_allow_unsandboxed_code(before)


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


# ---------------------------------------------------------------------------------------------- bwrap


def _bwrap() -> str | None:
    return shutil.which(envvars.raw(BWRAP_ENV) or "bwrap")


@cache
def _ro_paths(interpreter: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(paths to bind read-only at the same place, directories to hide under an empty tmpfs) for
    `interpreter`: its binary, its standard library and the shared libraries both load."""
    paths: list[str] = [interpreter]
    # "stdlib" is the base interpreter's (a virtualenv's "platstdlib" would be the virtualenv's own lib/)
    stdlib = {os.path.realpath(sysconfig.get_path("stdlib"))}
    if interpreter != os.path.realpath(sys.executable):  # another Python: ask it where its stdlib is
        out = subprocess.run([interpreter, "-I", "-S", "-c",
                              "import sysconfig; print(sysconfig.get_path('stdlib'))"],
                             capture_output=True, text=True, timeout=30)
        stdlib = {os.path.realpath(out.stdout.strip())}
    paths += sorted(stdlib)
    hidden = [p for s in stdlib for p in (os.path.join(s, "site-packages"), os.path.join(s, "dist-packages"))
              if os.path.isdir(p)]
    objects = [interpreter]
    for s in stdlib:
        dyn = os.path.join(s, "lib-dynload")
        if os.path.isdir(dyn):
            objects += sorted(os.path.join(dyn, f) for f in os.listdir(dyn) if f.endswith(".so"))
    ldd = shutil.which("ldd")
    libs: set[str] = set()
    if ldd:
        out = subprocess.run([ldd, *objects], capture_output=True, text=True, timeout=60)
        for line in out.stdout.splitlines():
            m = re.search(r"=>\s+(/\S+)", line) or re.match(r"\s*(/\S+)\s+\(", line)
            if m:
                libs.add(m.group(1))
    if not libs:  # no ldd: the system library directories as a whole
        libs = {d for d in ("/lib", "/lib64", "/usr/lib", "/usr/lib64") if os.path.exists(d)}
    if os.path.exists("/etc/ld.so.cache"):
        libs.add("/etc/ld.so.cache")
    covered = tuple(s.rstrip("/") + "/" for s in stdlib)
    paths += sorted(p for p in libs if not p.startswith(covered))
    return tuple(paths), tuple(hidden)


def _run_as_nobody() -> bool:
    # The kernel never applies RLIMIT_NPROC to the real root user: as root, bwrap runs as nobody.
    return os.geteuid() == 0


def _bwrap_argv(bwrap: str, interpreter: str, program: Path, *, tmpfs_bytes: int) -> list[str]:
    binds, hidden = _ro_paths(interpreter)
    argv = [bwrap, "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox",
            "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8",
            "--setenv", "HOME", "/tmp/work", "--setenv", "PYTHONHASHSEED", "0"]
    for p in binds:
        argv += ["--ro-bind", p, p]
    for h in hidden:
        argv += ["--size", "4096", "--tmpfs", h, "--remount-ro", h]
    # /dev (and its /dev/shm) read-only too: a tmpfs there would be writable memory outside every limit
    argv += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev", "--size", str(tmpfs_bytes),
             "--tmpfs", "/tmp", "--dir", "/tmp/work", "--ro-bind", str(program), "/tmp/program.py",
             "--remount-ro", "/", "--chdir", "/tmp/work"]
    return argv


def _sandbox_pids(root: int) -> list[int]:
    """`root` and all its descendants (via /proc/PID/task/TID/children)."""
    out: list[int] = []
    todo = [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as fh:
                    todo.extend(int(x) for x in fh.read().split())
        except (OSError, ValueError):
            continue
    return out


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss(pids: Sequence[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            continue
    return total


def _pss(pids: Sequence[int]) -> int:
    """Proportional set size: shared pages (e.g. after fork) counted once overall."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError, IndexError):
            continue
    return total


@contextlib.contextmanager
def _exit_waiter(proc: subprocess.Popen[bytes]) -> Iterator[Callable[[float], bool]]:
    """fn(seconds) -> True once `proc` has exited; wakes the moment it exits (pidfd) where Linux has it."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        def by_polling(timeout: float) -> bool:
            try:
                proc.wait(timeout=timeout)
                return True
            except subprocess.TimeoutExpired:
                return False
        yield by_polling
        return
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    try:
        yield lambda timeout: bool(poller.poll(max(1, int(timeout * 1000))))
    finally:
        os.close(fd)


def _watch(proc: subprocess.Popen[bytes], timeout_s: float, memory_bytes: int, nproc: int) -> str | None:
    """Wait for `proc`; kill its whole tree on timeout, too much memory or too many processes.
    Returns "timeout" | "memory" | "processes" | None."""
    deadline = time.monotonic() + timeout_s
    bwrap_own = 2  # bwrap and its init in the namespace: not the program's doing
    with _exit_waiter(proc) as exited:
        return _watch_loop(proc, exited, deadline, memory_bytes, nproc + bwrap_own)


def _watch_loop(proc: subprocess.Popen[bytes], exited: Callable[[float], bool], deadline: float, memory_bytes: int,
                max_pids: int) -> str | None:
    next_pss = 0.0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "timeout"
        if exited(min(WATCH_INTERVAL_S, remaining)):
            proc.wait()
            return None
        pids = _sandbox_pids(proc.pid)
        if len(pids) > max_pids:
            return "processes"
        now = time.monotonic()
        # resident size over-counts pages shared after fork: confirm with PSS (slower, so not every round)
        if now >= next_pss and _rss(pids) > memory_bytes:
            if _pss(pids) > memory_bytes:
                return "memory"
            next_pss = now + 0.1


def _take_marker(stdout: str, token: str) -> tuple[bool, str]:
    """(the marker is the last line of stdout, stdout without it): the marker is ours, not program output."""
    lines = stdout.splitlines()
    if not lines or lines[-1] != token:
        return False, stdout
    return True, stdout[: stdout.rstrip("\n").rfind(token)].removesuffix("\n")


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Kill bwrap and everything under it, and return only when all of it is gone.

    Killing bwrap is enough (--die-with-parent kills the namespace's init, and the kernel then kills every
    process of the PID namespace); the processes seen are killed directly too, to be faster, and waited
    for, so that nothing of the program still runs when run_python returns."""
    pids = _sandbox_pids(proc.pid)
    _kill_group(proc)
    for pid in pids[1:]:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    for pid in pids[1:]:
        while time.monotonic() < deadline:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                break
            if state in ("Z", "X"):
                break
            time.sleep(0.005)


def _run_bwrap(code: str, *, bwrap: str, interpreter: str, timeout_s: float, memory_mb: int, cpu_s: int | None,
               file_mb: int, nproc: int, marker: bool) -> SandboxResult:
    cpu = cpu_s if cpu_s is not None else int(timeout_s) + 1
    token = "WW-PASS-" + secrets.token_hex(16) if marker else ""
    with tempfile.TemporaryDirectory(prefix="ww-sbx-") as outer:
        outer_p = Path(outer)
        program = outer_p / "program.py"
        program.write_text(code, encoding="utf-8")
        out_path, err_path = outer_p / "stdout", outer_p / "stderr"
        as_nobody = _run_as_nobody()
        if as_nobody:
            os.chmod(outer_p, 0o711)  # nobody (bwrap) may reach program.py, not list the directory
            os.chmod(program, 0o644)
        argv = _bwrap_argv(bwrap, interpreter, program, tmpfs_bytes=max(1, file_mb) * 1024 * 1024)
        argv += [interpreter, "-I", "-S", "-B", "-c", _LAUNCHER, "/tmp/program.py", str(memory_mb * 1024 * 1024),
                 str(cpu), str(file_mb * 1024 * 1024), str(nproc), "1" if marker else "0"]
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        ids: dict[str, object] = {"user": NOBODY, "group": NOBODY, "extra_groups": []} if as_nobody else {}
        t0 = time.monotonic()
        with out_path.open("wb") as out_fh, err_path.open("wb") as err_fh:
            proc = subprocess.Popen(argv, cwd="/", env=env, stdin=subprocess.PIPE if marker else subprocess.DEVNULL,
                                    stdout=out_fh, stderr=err_fh, start_new_session=True, close_fds=True,
                                    **ids)  # type: ignore[call-overload]
            if marker and proc.stdin is not None:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.write((token + "\n").encode("ascii"))
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.close()
            try:
                stopped = _watch(proc, timeout_s, memory_mb * 1024 * 1024, nproc)
            finally:
                _end(proc)
        duration = time.monotonic() - t0
        stdout, stderr = _tail(out_path), _tail(err_path)
    timed_out = stopped == "timeout"
    rc = None if timed_out else proc.returncode
    if rc is not None and 128 < rc < 128 + signal.NSIG:  # bwrap reports a child killed by signal N as 128 + N
        rc = 128 - rc
    seen: bool | None = None
    if marker:
        seen, stdout = _take_marker(stdout, token)
        seen = seen and not timed_out
    reason = stopped if stopped in ("memory", "processes") else _reason(rc, timed_out, stderr)
    if stopped in ("memory", "processes") and rc == 0:
        rc = -signal.SIGKILL
    info = {"backend": "bubblewrap", "net": "netns", "user": "userns", "pid": "pidns",
            "run_as": "nobody" if as_nobody else "same", "interpreter": interpreter}
    return SandboxResult(returncode=rc, timed_out=timed_out, stdout_tail=stdout, stderr_tail=stderr,
                         killed_reason=reason, duration_s=duration, isolation=info, marker_seen=seen)


_CHECK = ("import json, math, re, hashlib, collections, itertools, functools, typing, string, heapq, socket\n"
          "print('ok', [n for _, n in socket.if_nameindex()])\n")


def _interpreter_candidates() -> list[str]:
    own = os.path.realpath(sys.executable)
    out = [own]
    if _run_as_nobody():  # a Python under /root (pyenv) cannot be read by nobody: a system python3 can
        for c in ("/usr/bin/python3", "/usr/local/bin/python3"):
            if os.path.exists(c) and os.path.realpath(c) not in out:
                out.append(os.path.realpath(c))
    return out


def _cgroup_note() -> str:
    """What cgroup v2 offers this process (read only; weightwatch does not create cgroups)."""
    try:
        rel = next((ln.split("::", 1)[1].strip() for ln in Path("/proc/self/cgroup").read_text().splitlines()
                    if ln.startswith("0::")), None)
    except OSError:
        rel = None
    for base in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
        ctl = Path(base) / (rel or "/").lstrip("/") / "cgroup.controllers"
        if ctl.exists():
            controllers = ctl.read_text().split()
            if "memory" in controllers:
                return "cgroup v2 memory controller present but not used (aggregate memory watched instead)"
            return f"no cgroup v2 memory controller here (controllers: {' '.join(controllers) or 'none'})"
    return "no cgroup v2 here"


@cache
def isolation() -> Isolation:
    """Detect once what this host allows: runs a trivial program under bubblewrap with every namespace."""
    if envvars.choice(SIMULATE_ENV, ("none",)) == "none":  # another value: a one-line error
        return Isolation(False, "none", f"simulated: {SIMULATE_ENV}=none")
    if not sys.platform.startswith("linux"):
        return Isolation(False, "none", f"namespaces need Linux (this is {sys.platform})")
    bwrap = _bwrap()
    if bwrap is None:
        return Isolation(False, "none", "bubblewrap (bwrap) is not installed")
    # its first line ("bubblewrap 0.8.0"): a program that is not bwrap printed its whole licence into the error
    try:  # a program that never answers must not hold the run (it waited for ever, then 30 s per interpreter)
        shown = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout
    except subprocess.TimeoutExpired:
        return Isolation(False, "none", f"{bwrap} --version did not answer within 10 s: not a working bubblewrap")
    version = (shown.strip().splitlines() or ["bwrap"])[0][:80]
    errors = []
    for interp in _interpreter_candidates():
        try:
            res = _run_bwrap(_CHECK, bwrap=bwrap, interpreter=interp, timeout_s=30, memory_mb=512, cpu_s=None,
                             file_mb=16, nproc=64, marker=False)
        except (OSError, subprocess.SubprocessError) as exc:
            errors.append(f"{interp}: {exc}")
            continue
        if res.passed and res.stdout_tail.strip() == "ok ['lo']":
            run_as = "nobody (uid 65534)" if _run_as_nobody() else f"uid {os.geteuid()}"
            return Isolation(True, "bubblewrap", version, ("user", "pid", "net", "mount", "ipc", "uts"), run_as,
                             interp, "RLIMIT_AS per process + aggregate resident memory watched, namespace killed "
                             "above it", _cgroup_note())
        ended = "no answer within 30 s" if res.timed_out else f"exit {res.returncode}"  # not "exit None"
        last = (res.stderr_tail.strip().splitlines() or [res.stdout_tail.strip() or ended])[-1]
        errors.append(f"{interp}: {last}")
    return Isolation(False, "none", f"{version} ({bwrap}) cannot create its namespaces here "
                                    f"({'; '.join(errors)[:300]})")


def require_isolation(allow_unsandboxed: bool | None = None) -> Isolation:
    """The host's isolation; raises SandboxUnavailable when there is none and it was not allowed."""
    iso = isolation()
    allowed = _allow_unsandboxed if allow_unsandboxed is None else allow_unsandboxed
    if not iso.available and not allowed:
        raise SandboxUnavailable(iso.detail)
    return iso


def isolation_summary(memory_mb: int = 512, allow_unsandboxed: bool | None = None) -> str:
    """The one line a run records; says "NONE" loudly when programs would run unsandboxed."""
    iso = isolation()
    if iso.available:
        return iso.summary(memory_mb)
    allowed = _allow_unsandboxed if allow_unsandboxed is None else allow_unsandboxed
    how = "model-written code runs WITHOUT isolation (--allow-unsandboxed-code)" if allowed else "refused"
    return f"isolation: NONE ({iso.detail}); {how}"


# --------------------------------------------------------------------------------------- unsandboxed


def _run_legacy(code: str, *, timeout_s: float, memory_mb: int, cpu_s: int | None, file_mb: int, nproc: int,
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
            try:
                os.chown(work, NOBODY, NOBODY)
                os.chown(program, NOBODY, NOBODY)
                os.chmod(outer_p, 0o711)
            except OSError:  # e.g. nobody is not mapped in this user namespace: stay as we are
                drop = False
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(work), "PYTHONHASHSEED": "0"}
        argv = [sys.executable, "-I", "-S", "-c", _LEGACY_LAUNCHER, str(status), str(program),
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
                _kill_group(proc)
                proc.wait()
        duration = time.monotonic() - t0
        stdout, stderr = _tail(out_path), _tail(err_path)
        rc = None if timed_out else proc.returncode
        info = _read_status(status)
        info.update(backend="none", interpreter=interpreter)
        return SandboxResult(returncode=rc, timed_out=timed_out, stdout_tail=stdout, stderr_tail=stderr,
                             killed_reason=_reason(rc, timed_out, stderr), duration_s=duration, isolation=info)


@cache
def _legacy_interpreter() -> tuple[str, bool]:
    """(interpreter, drop root): as root, the first Python that `nobody` can run, else our own as root."""
    candidates = _interpreter_candidates()
    if os.geteuid() == 0:
        for c in candidates:
            res = _run_legacy(_CHECK, timeout_s=30, memory_mb=512, cpu_s=None, file_mb=16, nproc=64, interpreter=c,
                              drop=True)
            if res.passed and res.isolation.get("user") == "nobody":
                return c, True
    return candidates[0], False


def _run_unsandboxed(code: str, *, marker: bool, **kw: float | int | None) -> SandboxResult:
    own, drop = _legacy_interpreter()
    if marker:  # the marker travels in the program text: this path defends against nothing anyway
        token = "WW-PASS-" + secrets.token_hex(16)
        code = f"{code}\nprint({token!r})\n"
    res = _run_legacy(code, interpreter=own, drop=drop, **kw)  # type: ignore[arg-type]
    if marker:
        res.marker_seen, res.stdout_tail = _take_marker(res.stdout_tail, token)
    res.isolation["notes"] = "; ".join(x for x in (res.isolation.get("notes", ""),
                                                   "NO ISOLATION: --allow-unsandboxed-code") if x)
    return res


# -------------------------------------------------------------------------------------------- public


def run_python(code: str, *, timeout_s: float = 10.0, memory_mb: int = 512, cpu_s: int | None = None,
               file_mb: int = 16, nproc: int = 64, marker: bool = False,
               allow_unsandboxed: bool | None = None) -> SandboxResult:
    """Run `code` as a Python program in an isolated, limited child process and report how it ended.

    The program counts as passed only when it exits with status 0 before `timeout_s` (wall clock), and,
    with `marker=True`, when the random marker printed after it finished is on stdout. `cpu_s` defaults
    to the wall timeout rounded up plus one second. `memory_mb` and `nproc` bound the whole program
    (all its processes together); `file_mb` bounds each file and the private /tmp as a whole.
    Raises SandboxUnavailable where no isolation is possible, unless unsandboxed runs are allowed."""
    iso = require_isolation(allow_unsandboxed)
    if not iso.available:
        return _run_unsandboxed(code, marker=marker, timeout_s=timeout_s, memory_mb=memory_mb, cpu_s=cpu_s,
                                file_mb=file_mb, nproc=nproc)
    bwrap = _bwrap()
    assert bwrap is not None
    return _run_bwrap(code, bwrap=bwrap, interpreter=iso.interpreter, timeout_s=timeout_s, memory_mb=memory_mb,
                      cpu_s=cpu_s, file_mb=file_mb, nproc=nproc, marker=marker)


def run_many(programs: Sequence[str], *, workers: int = 2, timeout_s: float = 10.0, memory_mb: int = 512,
             cpu_s: int | None = None, marker: bool = False,
             allow_unsandboxed: bool | None = None) -> list[SandboxResult]:
    """Run many programs, `workers` at a time (each in its own sandbox), in order."""
    if not programs:
        return []
    require_isolation(allow_unsandboxed)  # refuse before the first program, not in a worker thread
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda c: run_python(c, timeout_s=timeout_s, memory_mb=memory_mb, cpu_s=cpu_s,
                                                  marker=marker, allow_unsandboxed=allow_unsandboxed),
                             programs))


@cache
def sandbox_facts() -> dict[str, str]:
    """What isolation this machine gives, from one trivial sandboxed run (never raises)."""
    iso = isolation()
    facts = iso.as_dict()
    if not iso.available:
        facts.update(net="none", user="same", works="no (no isolation)")
        return facts
    res = run_python("print('ok')", timeout_s=20)
    facts.update(res.isolation)
    facts["works"] = "yes" if res.passed and res.stdout_tail.strip() == "ok" else f"no ({res.stderr_tail[-200:]})"
    return facts
