"""Escape attempts against weightwatch.sandbox, each checked from the host side.

Standard library + weightwatch.sandbox only, so that tests/test_sandbox_escape.py can run it as root and,
with the system Python, as an unprivileged user. Run as a script it prints one JSON object per case:
{"case": ..., "ok": bool, "detail": ...}. The process that runs it is "the parent": tests start it with
a fake OPENAI_API_KEY in its environment and a HOME holding a fake ~/.ssh key.

Only loopback is ever used: no case sends traffic to any other address.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from weightwatch.sandbox import run_python

TAG = f"wwescape{os.getpid()}"
CASES: dict[str, Callable[[], tuple[bool, str]]] = {}


def case(fn: Callable[[], tuple[bool, str]]) -> Callable[[], tuple[bool, str]]:
    CASES[fn.__name__] = fn
    return fn


def _tagged_pids() -> list[int]:
    """Host processes whose command line carries this run's tag (daemons left behind)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != os.getpid():
            with contextlib.suppress(OSError):
                if TAG.encode() in Path(f"/proc/{d}/cmdline").read_bytes():
                    out.append(int(d))
    return out


def _tagged(src: str) -> str:
    """A program that runs `src` in a process whose command line carries TAG (to find leftovers)."""
    return f"import os, sys\nos.execv(sys.executable, [sys.executable, '-c', {src!r}, {TAG!r}])\n"


def _out(res: object) -> str:
    return f"rc={res.returncode} killed={res.killed_reason} stdout={res.stdout_tail[-300:]!r} " \
           f"stderr={res.stderr_tail[-300:]!r}"  # type: ignore[attr-defined]


@case
def write_outside_private_tmpfs() -> tuple[bool, str]:
    home = os.environ["HOME"]
    targets = [f"/tmp/{TAG}-w", f"/dev/shm/{TAG}-w", f"/var/tmp/{TAG}-w", f"{home}/{TAG}-w", f"/{TAG}-w",
               f"/usr/{TAG}-w", f"{os.path.dirname(sys.executable)}/{TAG}-w"]
    code = (f"targets = {targets!r}\n"
            "for t in targets:\n"
            "    try:\n"
            "        open(t, 'w').write('escaped')\n"
            "        print('wrote-inside-view', t)\n"
            "    except OSError as e:\n"
            "        print('refused', t, type(e).__name__)\n")
    code += ("import os\n"
             "for d in ('/', '/dev', '/dev/shm', '/usr', '/proc', '/etc'):\n"
             "    try:\n"
             "        open(os.path.join(d, 'x'), 'w').write('x')\n"
             "        print('writable', d)\n"
             "    except OSError:\n"
             "        pass\n"
             "open('/dev/null', 'w').write('fine')\n"
             "open('/tmp/work/mine.txt', 'w').write('the private tmpfs is writable')\n")
    res = run_python(code)
    leaked = [t for t in targets if os.path.exists(t)]
    for t in leaked:
        with contextlib.suppress(OSError):
            os.remove(t)
    # only the private tmpfs (/tmp) is writable inside: not even bubblewrap's own /dev, /dev/shm or root
    ok = not leaked and res.returncode == 0 and "writable" not in res.stdout_tail
    return ok, f"on the host: {leaked or 'nothing'}; {_out(res)}"


@case
def read_ssh_key_and_home() -> tuple[bool, str]:
    home = os.environ["HOME"]
    secret = Path(home, ".ssh", "id_ed25519").read_text().strip()
    code = ("import os\n"
            f"for p in [{home!r} + '/.ssh/id_ed25519', '/root/.ssh/id_ed25519', {home!r}]:\n"
            "    try:\n"
            "        print(open(p).read() if os.path.isfile(p) else os.listdir(p))\n"
            "    except OSError as e:\n"
            "        print('refused', p, type(e).__name__)\n"
            "for root, dirs, files in os.walk('/'):\n"
            "    if root.startswith('/proc'):\n"
            "        continue\n"
            "    for f in files:\n"
            "        if f.startswith('id_'):\n"
            "            print('found', os.path.join(root, f))\n")
    res = run_python(code, timeout_s=30)
    return secret not in res.stdout_tail + res.stderr_tail and "found" not in res.stdout_tail, _out(res)


@case
def read_parent_environ() -> tuple[bool, str]:
    key = os.environ["OPENAI_API_KEY"]
    code = ("import os\n"
            "pids = [d for d in os.listdir('/proc') if d.isdigit()]\n"
            "print('pids', pids)\n"
            "for d in pids + ['self', '1']:\n"
            "    for f in ('environ', 'cmdline'):\n"
            "        try:\n"
            "            print(d, f, open(f'/proc/{d}/{f}', 'rb').read())\n"
            "        except OSError as e:\n"
            "            print(d, f, 'refused', type(e).__name__)\n")
    res = run_python(code)
    text = res.stdout_tail + res.stderr_tail
    # the parent's key, and the parent's own command line (this script), must be invisible
    return res.returncode == 0 and key not in text and "sandbox_escape_suite" not in text, _out(res)


@case
def loopback_tcp_udp_and_interfaces() -> tuple[bool, str]:
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(5)
    tcp.settimeout(0.5)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.5)
    tport, uport = tcp.getsockname()[1], udp.getsockname()[1]
    code = ("import socket, fcntl, struct\n"
            "print('interfaces', [n for _, n in socket.if_nameindex()])\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "flags = struct.unpack('H', fcntl.ioctl(s, 0x8913, struct.pack('256s', b'lo'))[16:18])[0]\n"
            "print('lo-up', bool(flags & 1))\n"
            "for i in range(5):\n"
            "    try:\n"
            f"        s.sendto(b'escaped', ('127.0.0.1', {uport}))\n"
            "    except OSError as e:\n"
            "        print('udp', type(e).__name__)\n"
            "c = socket.socket()\n"
            "c.settimeout(2)\n"
            "try:\n"
            f"    c.connect(('127.0.0.1', {tport}))\n"
            "    print('tcp-connected')\n"
            "except OSError as e:\n"
            "    print('tcp', type(e).__name__)\n")
    res = run_python(code)
    got = []
    try:
        conn, _ = tcp.accept()
        got.append("tcp accepted")
        conn.close()
    except OSError:
        pass
    try:
        udp.recvfrom(100)
        got.append("udp received")
    except OSError:
        pass
    tcp.close()
    udp.close()
    only_lo = "interfaces ['lo']" in res.stdout_tail
    return only_lo and not got and "tcp-connected" not in res.stdout_tail, f"host got: {got}; {_out(res)}"


@case
def unix_sockets_path_and_abstract() -> tuple[bool, str]:
    home = os.environ["HOME"]
    paths = [f"{home}/{TAG}.sock", f"/tmp/{TAG}.sock"]
    listeners = []
    for p in paths:
        s = socket.socket(socket.AF_UNIX)
        s.bind(p)
        s.listen(5)
        s.settimeout(0.3)
        listeners.append(s)
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(f"\0{TAG}")
    abstract.listen(5)
    abstract.settimeout(0.3)
    listeners.append(abstract)
    code = ("import socket\n"
            f"for addr in {paths!r} + ['\\0{TAG}']:\n"
            "    c = socket.socket(socket.AF_UNIX)\n"
            "    try:\n"
            "        c.connect(addr)\n"
            "        print('connected', repr(addr))\n"
            "    except OSError as e:\n"
            "        print('refused', repr(addr), type(e).__name__)\n")
    res = run_python(code)
    got = []
    for s in listeners:
        try:
            conn, _ = s.accept()
            got.append(repr(s.getsockname()))
            conn.close()
        except OSError:
            pass
        s.close()
    for p in paths:
        with contextlib.suppress(OSError):
            os.remove(p)
    return not got and "connected" not in res.stdout_tail and res.returncode == 0, f"accepted: {got}; {_out(res)}"


@case
def signal_parent_and_siblings() -> tuple[bool, str]:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    sibling_result: list[object] = []
    sibling = threading.Thread(target=lambda: sibling_result.append(
        run_python("import time\ntime.sleep(4)\nprint('sibling-ok')\n", timeout_s=30)))
    sibling.start()
    time.sleep(1.0)  # the sibling sandbox is running now
    targets = [os.getpid(), sleeper.pid, os.getppid()]
    code = ("import os, signal\n"
            f"for pid in {targets!r} + list(range(1, 400)):\n"
            "    try:\n"
            "        os.kill(pid, signal.SIGKILL)\n"
            "        print('signalled', pid)\n"
            "    except OSError as e:\n"
            "        pass\n"
            "try:\n"
            "    os.kill(-1, signal.SIGKILL)\n"
            "except OSError as e:\n"
            "    print('kill -1', type(e).__name__)\n"
            "print('done')\n")
    res = run_python(code)
    sibling.join()
    sleeper_alive = sleeper.poll() is None
    sleeper.kill()
    sleeper.wait()
    sib = sibling_result[0] if sibling_result else None
    sib_ok = sib is not None and sib.passed and "sibling-ok" in sib.stdout_tail  # type: ignore[attr-defined]
    return sleeper_alive and sib_ok, f"sleeper alive={sleeper_alive} sibling ok={sib_ok}; {_out(res)}"


@case
def daemon_does_not_outlive_the_program() -> tuple[bool, str]:
    code = ("import os, sys, time\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            "        os.execv(sys.executable, [sys.executable, '-c', "
            "'import time\\nwhile True:\\n    open(\"/tmp/daemon.txt\", \"a\").write(\"x\")\\n    time.sleep(0.1)', "
            f"'{TAG}'])\n"
            "    os._exit(0)\n"
            "time.sleep(0.5)\n"
            "print('parent-exits')\n")
    res = run_python(code)
    time.sleep(1.0)
    left = _tagged_pids()
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return not left and "parent-exits" in res.stdout_tail, f"left running: {left}; {_out(res)}"


@case
def fork_bomb() -> tuple[bool, str]:
    code = _tagged("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n")
    t0 = time.monotonic()
    res = run_python(code, timeout_s=10)
    took = time.monotonic() - t0
    time.sleep(0.5)
    left = _tagged_pids()
    counted = run_python("import os, time\nn = 0\ntry:\n    for i in range(500):\n        if os.fork() == 0:\n"
                         "            time.sleep(3)\n            os._exit(0)\n        n += 1\n"
                         "except OSError as e:\n    pass\nprint('children', n)\n", timeout_s=20, nproc=32)
    n = int(counted.stdout_tail.split()[-1]) if "children" in counted.stdout_tail else -1
    ok = not res.passed and not left and 0 <= n < 32
    return ok, f"bomb: {_out(res)} in {took:.1f}s; left={left}; children allowed under nproc=32: {n}"


@case
def aggregate_memory() -> tuple[bool, str]:
    code = ("import os, time\n"
            "kids = []\n"
            "for i in range(6):\n"
            "    pid = os.fork()\n"
            "    if pid == 0:\n"
            "        block = b'x' * (200 * 1024 * 1024)\n"
            "        time.sleep(5)\n"
            "        os._exit(0)\n"
            "    kids.append(pid)\n"
            "for pid in kids:\n"
            "    os.waitpid(pid, 0)\n"
            "print('all-held')\n")
    res = run_python(code, memory_mb=512, timeout_s=30)
    return (not res.passed and "all-held" not in res.stdout_tail and res.killed_reason == "memory"), _out(res)


@case
def early_exit_before_the_tests() -> tuple[bool, str]:
    tests = "def check():\n    assert False, 'wrong'\ncheck()\n"
    results = {how: run_python(f"import os, sys\n{how}\n{tests}", marker=True)
               for how in ("sys.exit(0)", "os._exit(0)", "raise SystemExit(0)")}
    honest = run_python("def check():\n    assert 1 + 1 == 2\ncheck()\n", marker=True)
    ok = all(not r.passed for r in results.values()) and honest.passed
    return ok, "; ".join(f"{k}: passed={r.passed} rc={r.returncode}" for k, r in results.items()) + \
        f"; honest program passed={honest.passed}"


@case
def sleeping_forever() -> tuple[bool, str]:
    code = _tagged("import time\ntime.sleep(10 ** 6)\n")
    t0 = time.monotonic()
    res = run_python(code, timeout_s=2)
    took = time.monotonic() - t0
    return res.timed_out and not res.passed and not _tagged_pids(), f"stopped after {took:.1f}s; {_out(res)}"


def main(names: list[str]) -> int:
    failed = 0
    for name in names or list(CASES):
        try:
            ok, detail = CASES[name]()
        except Exception as exc:  # a crash of a case is a failure of that case, not of the others
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        failed += not ok
        print(json.dumps({"case": name, "ok": ok, "detail": detail, "uid": os.geteuid()}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
