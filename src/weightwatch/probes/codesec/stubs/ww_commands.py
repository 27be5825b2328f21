"""Fake OS commands for functional tests (standard library only): installed as ``ww_commands`` in the sandbox.

The sandbox holds no executables but Python, so ``install()`` replaces the ways Python code starts
programs: ``subprocess.run/call/check_call/check_output/getoutput/getstatusoutput/Popen``,
``os.system``, ``os.popen`` and ``shutil.which``. A command runs one of the fake programs below,
written in Python: harmless stand-ins (``ping``, ``du``, ``git``, ``convert``, ``nslookup`` ...) print
plausible output, and simple tools (``tar``, ``gzip``, ``sha256sum``, ``wc``, ``grep``, ``cat`` ...)
do their real job on the sandbox's files. ``shell=True``, ``os.system`` and ``os.popen`` go through a
tiny POSIX shell: quoting, ``;``, ``&&``, ``||``, ``|``, ``>``, ``>>``, ``<``, ``2>&1``, ``2>/dev/null``,
``cd`` (no variables, globs or substitutions). An unknown program is "not found" (exit 127, or
FileNotFoundError without a shell), as on a real system.

Every start is recorded in ``ww_commands.calls`` (a list of dicts: ``argv``, ``shell``
(the command line or None), ``cwd``) for the test to check what was run; ``ww_commands.programs`` maps
names to fake programs (``fn(argv, stdin_bytes, cwd) -> (status, stdout_bytes, stderr_bytes)``), and a
test may add its own.
"""

from __future__ import annotations

import fnmatch
import gzip
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from typing import Any

Result = tuple[int, bytes, bytes]
Program = Callable[[list[str], bytes, str], Result]

calls: list[dict[str, Any]] = []
programs: dict[str, Program] = {}


def program(*names: str) -> Callable[[Program], Program]:
    def deco(fn: Program) -> Program:
        for n in names:
            programs[n] = fn
        return fn
    return deco


def _p(cwd: str, path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(cwd, path)


def _ok(text: str | bytes = b"") -> Result:
    return 0, text.encode() if isinstance(text, str) else text, b""


def _err(status: int, text: str) -> Result:
    return status, b"", text.encode()


def _operands(argv: list[str], with_value: str = "") -> tuple[dict[str, str], list[str]]:
    """Options (short flags, `-x value` for flags in with_value, --long[=value]) and operands."""
    opts: dict[str, str] = {}
    ops: list[str] = []
    it = iter(argv[1:])
    for a in it:
        if a == "--":
            ops.extend(it)
            break
        if a.startswith("--") and len(a) > 2:
            k, _, v = a[2:].partition("=")
            opts[k] = v
        elif a.startswith("-") and len(a) > 1 and a[1:].isdigit():  # head -5
            opts["n"] = a[1:]
        elif a.startswith("-") and len(a) > 1:
            flag = a[1]
            if flag in with_value:
                opts[flag] = a[2:] if len(a) > 2 else next(it, "")
            else:
                for f in a[1:]:
                    opts[f] = ""
        else:
            ops.append(a)
    return opts, ops


@program("echo")
def _echo(argv: list[str], stdin: bytes, cwd: str) -> Result:
    args = argv[1:]
    newline = True
    if args and args[0] == "-n":
        newline, args = False, args[1:]
    return _ok(" ".join(args) + ("\n" if newline else ""))


@program("true")
def _true(argv: list[str], stdin: bytes, cwd: str) -> Result:
    return _ok()


@program("false")
def _false(argv: list[str], stdin: bytes, cwd: str) -> Result:
    return 1, b"", b""


@program("pwd")
def _pwd(argv: list[str], stdin: bytes, cwd: str) -> Result:
    return _ok(cwd + "\n")


@program("whoami", "id")
def _whoami(argv: list[str], stdin: bytes, cwd: str) -> Result:
    return _ok("sandbox\n" if argv[0] == "whoami" else "uid=1000(sandbox) gid=1000(sandbox) groups=1000(sandbox)\n")


@program("date")
def _date(argv: list[str], stdin: bytes, cwd: str) -> Result:
    return _ok("Thu Jan  1 12:00:00 UTC 2026\n")


@program("uptime")
def _uptime(argv: list[str], stdin: bytes, cwd: str) -> Result:
    return _ok(" 12:00:00 up 3 days,  2:01,  1 user,  load average: 0.10, 0.20, 0.30\n")


@program("cat")
def _cat(argv: list[str], stdin: bytes, cwd: str) -> Result:
    _, files = _operands(argv)
    if not files:
        return _ok(stdin)
    out = b""
    for f in files:
        try:
            with open(_p(cwd, f), "rb") as fh:
                out += fh.read()
        except OSError as exc:
            return 1, out, f"cat: {f}: {exc.strerror}\n".encode()
    return _ok(out)


class _Exit(Exception):  # noqa: N818 - a fake program ends early with this result
    def __init__(self, result: Result) -> None:
        super().__init__(result)
        self.result = result


def _read_inputs(files: list[str], stdin: bytes, cwd: str, status: int = 1) -> list[tuple[str, bytes]]:
    """(name, bytes) of each file operand, or stdin; a missing file ends the program with `status`."""
    if not files:
        return [("-", stdin)]
    out = []
    for f in files:
        try:
            with open(_p(cwd, f), "rb") as fh:
                out.append((f, fh.read()))
        except OSError as exc:
            raise _Exit(_err(status, f"{f}: {exc.strerror}\n")) from None
    return out


@program("head", "tail")
def _head(argv: list[str], stdin: bytes, cwd: str) -> Result:
    opts, files = _operands(argv, "n")
    n = int(opts.get("n", "10").lstrip("+-") or 10)
    data = _read_inputs(files, stdin, cwd)
    lines = b"".join(d for _, d in data).splitlines(keepends=True)
    return _ok(b"".join(lines[:n] if argv[0] == "head" else lines[-n:]))


@program("wc")
def _wc(argv: list[str], stdin: bytes, cwd: str) -> Result:
    opts, files = _operands(argv)
    data = _read_inputs(files, stdin, cwd)
    out = []
    for name, d in data:
        counts = {"l": d.count(b"\n"), "w": len(d.split()), "c": len(d)}
        keys = [k for k in "lwc" if k in opts] or ["l", "w", "c"]
        nums = " ".join(str(counts[k]) for k in keys)
        out.append(nums + (f" {name}" if name != "-" else ""))
    return _ok("\n".join(out) + "\n")


@program("grep")
def _grep(argv: list[str], stdin: bytes, cwd: str) -> Result:
    opts, ops = _operands(argv, "e")
    if "e" in opts:
        pattern, files = opts["e"], ops
    elif ops:
        pattern, files = ops[0], ops[1:]
    else:
        return _err(2, "usage: grep PATTERN [FILE...]\n")
    flags = re.IGNORECASE if "i" in opts else 0
    rx = re.compile(re.escape(pattern) if "F" in opts else pattern, flags)
    data = _read_inputs(files, stdin, cwd, status=2)
    hits = []
    for name, d in data:
        for i, line in enumerate(d.decode("utf-8", "replace").splitlines(), 1):
            if bool(rx.search(line)) != ("v" in opts):
                prefix = (f"{name}:" if len(files) > 1 else "") + (f"{i}:" if "n" in opts else "")
                hits.append(prefix + line)
    if "c" in opts:
        return (0 if hits else 1), f"{len(hits)}\n".encode(), b""
    return (0 if hits else 1), ("\n".join(hits) + "\n" if hits else "").encode(), b""


@program("sort")
def _sort(argv: list[str], stdin: bytes, cwd: str) -> Result:
    opts, files = _operands(argv)
    data = _read_inputs(files, stdin, cwd)
    lines = b"".join(d for _, d in data).decode().splitlines()
    lines.sort(reverse="r" in opts)
    return _ok("".join(line + "\n" for line in lines))


@program("ls")
def _ls(argv: list[str], stdin: bytes, cwd: str) -> Result:
    opts, ops = _operands(argv)
    target = _p(cwd, ops[0]) if ops else cwd
    if not os.path.exists(target):
        return _err(2, f"ls: cannot access '{ops[0] if ops else target}': No such file or directory\n")
    names = sorted(os.listdir(target)) if os.path.isdir(target) else [os.path.basename(target)]
    if "a" not in opts:
        names = [n for n in names if not n.startswith(".")]
    if "l" in opts:
        rows = [f"-rw-r--r-- 1 sandbox sandbox {os.path.getsize(os.path.join(target, n)) if os.path.isdir(target) else os.path.getsize(target)} Jan  1 12:00 {n}" for n in names]  # noqa: E501
        return _ok("".join(r + "\n" for r in rows))
    return _ok("".join(n + "\n" for n in names))


@program("mkdir")
def _mkdir(argv: list[str], stdin: bytes, cwd: str) -> Result:
    opts, ops = _operands(argv)
    for d in ops:
        os.makedirs(_p(cwd, d), exist_ok="p" in opts)
    return _ok()


@program("touch")
def _touch(argv: list[str], stdin: bytes, cwd: str) -> Result:
    for f in _operands(argv)[1]:
        with open(_p(cwd, f), "ab"):
            pass
    return _ok()


@program("rm")
def _rm(argv: list[str], stdin: bytes, cwd: str) -> Result:
    opts, ops = _operands(argv)
    for f in ops:
        path = _p(cwd, f)
        if os.path.isdir(path) and "r" in opts.keys() | {k.lower() for k in opts}:
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
        elif "f" not in opts:
            return _err(1, f"rm: cannot remove '{f}': No such file or directory\n")
    return _ok()


@program("cp", "mv")
def _cp(argv: list[str], stdin: bytes, cwd: str) -> Result:
    _, ops = _operands(argv)
    if len(ops) < 2:
        return _err(1, f"{argv[0]}: missing destination file operand\n")
    dst = _p(cwd, ops[-1])
    for src in ops[:-1]:
        fn = shutil.move if argv[0] == "mv" else (shutil.copytree if os.path.isdir(_p(cwd, src)) else shutil.copy2)
        fn(_p(cwd, src), dst)
    return _ok()


@program("ping")
def _ping(argv: list[str], stdin: bytes, cwd: str) -> Result:
    opts, ops = _operands(argv, "cniWwstI")
    if not ops:
        return _err(2, "ping: usage error: Destination address required\n")
    host = ops[-1]
    count = int(opts.get("c") or opts.get("n") or 4)
    lines = [f"PING {host} (192.0.2.10) 56(84) bytes of data."]
    lines += [f"64 bytes from {host} (192.0.2.10): icmp_seq={i} ttl=57 time=1{i}.0 ms" for i in range(1, count + 1)]
    lines += ["", f"--- {host} ping statistics ---",
              f"{count} packets transmitted, {count} received, 0% packet loss, time {count * 1000}ms",
              "rtt min/avg/max/mdev = 11.0/12.5/14.0/1.1 ms"]
    return _ok("\n".join(lines) + "\n")


@program("traceroute")
def _traceroute(argv: list[str], stdin: bytes, cwd: str) -> Result:
    ops = _operands(argv, "mqw")[1]
    host = ops[-1] if ops else "?"
    return _ok(f"traceroute to {host} (192.0.2.10), 30 hops max\n 1  192.0.2.1  1.0 ms\n 2  {host} (192.0.2.10)"
               "  12.0 ms\n")


@program("nslookup", "host", "dig")
def _nslookup(argv: list[str], stdin: bytes, cwd: str) -> Result:
    ops = [o for o in _operands(argv, "t")[1] if not o.startswith("+")]
    if not ops:
        return _err(1, f"{argv[0]}: missing host name\n")
    name = ops[0]
    if argv[0] == "host":
        return _ok(f"{name} has address 192.0.2.10\n")
    if argv[0] == "dig":
        return _ok(f";; ANSWER SECTION:\n{name}.\t300\tIN\tA\t192.0.2.10\n")
    return _ok(f"Server:\t\t192.0.2.53\nAddress:\t192.0.2.53#53\n\nNon-authoritative answer:\nName:\t{name}\n"
               "Address: 192.0.2.10\n")


@program("whois")
def _whois(argv: list[str], stdin: bytes, cwd: str) -> Result:
    ops = _operands(argv, "h")[1]
    name = ops[-1] if ops else "?"
    return _ok(f"Domain Name: {name.upper()}\nRegistrar: Example Registrar, Inc.\nCreation Date: 1995-08-14\n")


def _du_size(path: str) -> int:
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


@program("du")
def _du(argv: list[str], stdin: bytes, cwd: str) -> Result:
    opts, ops = _operands(argv, "d")
    out = []
    for p in ops or ["."]:
        path = _p(cwd, p)
        if not os.path.exists(path):
            return _err(1, f"du: cannot access '{p}': No such file or directory\n")
        size = _du_size(path)
        shown = f"{max(1, (size + 1023) // 1024)}K" if "h" in opts else str(max(1, (size + 1023) // 1024))
        out.append(f"{shown}\t{p}")
    return _ok("\n".join(out) + "\n")


@program("df")
def _df(argv: list[str], stdin: bytes, cwd: str) -> Result:
    ops = _operands(argv)[1]
    where = ops[0] if ops else "/"
    return _ok(f"Filesystem      Size  Used Avail Use% Mounted on\ntmpfs            64M  1.0M   63M   2% {where}\n")


def _sum(algo: str) -> Program:
    def run(argv: list[str], stdin: bytes, cwd: str) -> Result:
        data = _read_inputs(_operands(argv)[1], stdin, cwd)
        return _ok("".join(f"{hashlib.new(algo, d).hexdigest()}  {n}\n" for n, d in data))
    return run


for _algo in ("md5", "sha1", "sha256", "sha512"):
    programs[f"{_algo}sum"] = _sum(_algo)


@program("file")
def _file(argv: list[str], stdin: bytes, cwd: str) -> Result:
    out = []
    for f in _operands(argv)[1]:
        try:
            with open(_p(cwd, f), "rb") as fh:
                head = fh.read(8)
        except OSError:
            out.append(f"{f}: cannot open")
            continue
        kind = ("PNG image data" if head.startswith(b"\x89PNG") else "JPEG image data" if head[:2] == b"\xff\xd8"
                else "gzip compressed data" if head[:2] == b"\x1f\x8b" else "ASCII text")
        out.append(f"{f}: {kind}")
    return _ok("\n".join(out) + "\n")


@program("convert", "magick")
def _convert(argv: list[str], stdin: bytes, cwd: str) -> Result:
    """ImageMagick: writes the output file (the input's bytes plus a note of the operations)."""
    args = argv[1:]
    if argv[0] == "magick" and args and args[0] == "convert":
        args = args[1:]
    files = [a for i, a in enumerate(args) if not a.startswith("-") and not (i and args[i - 1].startswith("-")
                                                                              and args[i - 1] not in ("-strip",))]
    if len(files) < 2:
        return _err(1, "convert: no input or output file\n")
    src, dst = files[0], files[-1]
    try:
        with open(_p(cwd, src.split("[")[0]), "rb") as fh:
            data = fh.read()
    except OSError:
        return _err(1, f"convert: unable to open image `{src}': No such file or directory\n")
    ops = " ".join(a for a in args if a not in (src, dst))
    with open(_p(cwd, dst), "wb") as fh:
        fh.write(data + f"\n# converted: {ops}\n".encode())
    return _ok()


@program("ffprobe")
def _ffprobe(argv: list[str], stdin: bytes, cwd: str) -> Result:
    """Every media file lasts 12.5 s; JSON, bare-value (nokey=1, csv=p=0) or key=value output."""
    ops = [a for a in argv[1:] if not a.startswith("-") and os.path.isfile(_p(cwd, a))]
    if not ops:
        return _err(1, "No such file or directory\n")
    joined = " ".join(argv)
    if "json" in joined:
        info = {"format": {"filename": ops[-1], "duration": "12.500000", "format_name": "mp4"},
                "streams": [{"index": 0, "codec_type": "video", "duration": "12.500000"}]}
        return _ok(json.dumps(info) + "\n")
    if "nokey=1" in joined or "csv=p=0" in joined or "csv=print_section=0" in joined:
        return _ok("12.500000\n")
    return _ok("[FORMAT]\nduration=12.500000\n[/FORMAT]\n")


_REPOS: dict[str, str] = {}


@program("git")
def _git(argv: list[str], stdin: bytes, cwd: str) -> Result:
    """git clone URL [DIR] makes a directory with .git/WW_MESSAGE; log/show/rev-parse read it."""
    args = argv[1:]
    while args and args[0] in ("-C", "-c"):
        if args[0] == "-C":
            cwd = _p(cwd, args[1])
        args = args[2:]
    if not args:
        return _err(1, "usage: git <command>\n")
    cmd, rest = args[0], args[1:]
    if cmd == "clone":
        ops = [a for i, a in enumerate(rest) if not a.startswith("-")
               and not (i and rest[i - 1] in ("--depth", "-b", "--branch", "--origin", "-o"))]
        if not ops:
            return _err(128, "fatal: You must specify a repository to clone.\n")
        url = ops[0]
        dest = _p(cwd, ops[1] if len(ops) > 1 else re.sub(r"\.git$", "", url.rstrip("/").rsplit("/", 1)[-1]))
        if os.path.exists(dest) and os.listdir(dest):
            return _err(128, f"fatal: destination path '{dest}' already exists and is not an empty directory.\n")
        os.makedirs(os.path.join(dest, ".git"), exist_ok=True)
        message = _REPOS.get(url, f"Initial commit of {url.rstrip('/').rsplit('/', 1)[-1]}")
        with open(os.path.join(dest, ".git", "WW_MESSAGE"), "w") as fh:
            fh.write(message)
        with open(os.path.join(dest, "README.md"), "w") as fh:
            fh.write(f"# {url}\n")
        return 0, b"", f"Cloning into '{os.path.basename(dest)}'...\n".encode()
    root = cwd
    while not os.path.isdir(os.path.join(root, ".git")):
        if os.path.dirname(root) == root:
            return _err(128, "fatal: not a git repository (or any of the parent directories): .git\n")
        root = os.path.dirname(root)
    with open(os.path.join(root, ".git", "WW_MESSAGE")) as fh:
        message = fh.read()
    if cmd in ("log", "show"):
        fmt = next((a.split("=", 1)[1] for a in rest if a.startswith(("--pretty=", "--format="))), None)
        if fmt is not None:
            fmt = fmt.removeprefix("format:").removeprefix("tformat:")
            out = (fmt.replace("%B", message + "\n").replace("%s", message).replace("%H", "0" * 40)
                   .replace("%h", "0000000").replace("%an", "Ada").replace("%ae", "ada@example.org"))
            return _ok(out + ("" if out.endswith("\n") else "\n"))
        if "--oneline" in rest:
            return _ok(f"0000000 {message}\n")
        return _ok(f"commit {'0' * 40}\nAuthor: Ada <ada@example.org>\nDate:   Thu Jan 1 12:00:00 2026 +0000\n\n"
                   f"    {message}\n")
    if cmd == "rev-parse":
        return _ok("0" * 40 + "\n")
    if cmd in ("status", "fetch", "pull", "checkout", "config"):
        return _ok()
    return _err(1, f"git: '{cmd}' is not a git command (weightwatch fake)\n")


@program("tar")
def _tar(argv: list[str], stdin: bytes, cwd: str) -> Result:
    """tar -c/-x/-t with -z/-j, -f FILE, -C DIR: real archives through the tarfile module."""
    args = argv[1:]
    if args and not args[0].startswith("-"):
        args = ["-" + args[0], *args[1:]]
    flags, ops, archive, chdir = "", [], None, cwd
    it = iter(args)
    for a in it:
        if a.startswith("--"):
            k, _, v = a[2:].partition("=")
            if k == "file":
                archive = v or next(it, "")
            elif k == "directory":
                chdir = _p(cwd, v or next(it, ""))
            else:
                flags += {"create": "c", "extract": "x", "list": "t", "gzip": "z"}.get(k, "")
        elif a.startswith("-") and len(a) > 1:
            flags += a[1:]
            if "f" in a[1:]:
                archive = next(it, "")
        elif a == "-C":
            chdir = _p(cwd, next(it, ""))
        else:
            ops.append(a)
    if "C" in flags:
        flags = flags.replace("C", "")
        if ops:
            chdir = _p(cwd, ops.pop(0))
    if archive is None:
        return _err(2, "tar: Refusing to read archive contents from terminal\n")
    path = _p(cwd, archive)
    mode: Any = "gz" if "z" in flags else "bz2" if "j" in flags else ""
    try:
        if "c" in flags:
            wmode: Any = "w:" + mode
            with tarfile.open(path, wmode) as tf:
                for o in ops:
                    tf.add(_p(chdir, o), arcname=o)
            return _ok()
        rmode: Any = "r:" + (mode or "*")
        with tarfile.open(path, rmode) as tf:
            if "t" in flags:
                return _ok("".join(m.name + "\n" for m in tf.getmembers()))
            tf.extractall(chdir, filter="data")
            return _ok()
    except (OSError, tarfile.TarError) as exc:
        return _err(2, f"tar: {exc}\n")


@program("gzip", "gunzip")
def _gzip(argv: list[str], stdin: bytes, cwd: str) -> Result:
    opts, files = _operands(argv)
    decompress = argv[0] == "gunzip" or "d" in opts
    for f in files:
        path = _p(cwd, f)
        with open(path, "rb") as fh:
            data = fh.read()
        out = path[:-3] if decompress else path + ".gz"
        with open(out, "wb") as fh:
            fh.write(gzip.decompress(data) if decompress else gzip.compress(data))
        if "k" not in opts:
            os.remove(path)
    return _ok()


@program("zip")
def _zip(argv: list[str], stdin: bytes, cwd: str) -> Result:
    opts, ops = _operands(argv)
    if len(ops) < 2:
        return _err(12, "zip error: Nothing to do!\n")
    with zipfile.ZipFile(_p(cwd, ops[0]), "a" if os.path.exists(_p(cwd, ops[0])) else "w") as zf:
        for o in ops[1:]:
            full = _p(cwd, o)
            if os.path.isdir(full):
                for d, _, fs in os.walk(full):
                    for f in fs:
                        zf.write(os.path.join(d, f), os.path.relpath(os.path.join(d, f), cwd))
            else:
                zf.write(full, o)
    return _ok(f"  adding: {' '.join(ops[1:])}\n")


@program("find")
def _find(argv: list[str], stdin: bytes, cwd: str) -> Result:
    args = argv[1:]
    start = args[0] if args and not args[0].startswith("-") else "."
    name = args[args.index("-name") + 1] if "-name" in args else "*"
    want = args[args.index("-type") + 1] if "-type" in args else None
    out = []
    for d, dirs, fs in os.walk(_p(cwd, start)):
        rel = os.path.relpath(d, cwd) if not os.path.isabs(start) else d
        for n in (fs if want == "f" else dirs if want == "d" else dirs + fs):
            if fnmatch.fnmatch(n, name):
                out.append(os.path.join(rel if not rel.startswith("..") else d, n))
    return _ok("".join(o + "\n" for o in sorted(out)))


# ------------------------------------------------------------------------------------------ running


def _resolve(name: str) -> Program | None:
    return programs.get(os.path.basename(name))


def run_argv(argv: list[str], stdin: bytes, cwd: str, shell: str | None = None) -> Result:
    calls.append({"argv": list(argv), "shell": shell, "cwd": cwd})
    fn = _resolve(argv[0])
    if fn is None:
        return 127, b"", f"sh: 1: {argv[0]}: not found\n".encode()
    try:
        return fn(argv, stdin, cwd)
    except _Exit as end:
        return end.result
    except Exception as exc:  # noqa: BLE001 - a fake program's crash is the program failing, as with a real one
        return 1, b"", f"{argv[0]}: {exc}\n".encode()


def run_shell(line: str, stdin: bytes, cwd: str) -> Result:
    """A tiny sh -c: lists joined by ; && ||, pipelines, redirections and cd."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        tokens = list(lex)
    except ValueError as exc:
        return 2, b"", f"sh: 1: Syntax error: {exc}\n".encode()
    status, out_all, err_all = 0, b"", b""
    skip = False
    segment: list[str] = []
    joiners = {";", "&&", "||", "&", ";;"}
    for tok in [*tokens, ";"]:
        if tok not in joiners:
            segment.append(tok)
            continue
        if segment and not skip:
            status, out, err, cwd = _pipeline(segment, stdin, cwd, line)
            out_all, err_all = out_all + out, err_all + err
            stdin = b""
        segment = []
        skip = (tok == "&&" and status != 0) or (tok == "||" and status == 0)
    return status, out_all, err_all


def _pipeline(tokens: list[str], stdin: bytes, cwd: str, line: str) -> tuple[int, bytes, bytes, str]:
    stages: list[list[str]] = [[]]
    for t in tokens:
        if t == "|":
            stages.append([])
        else:
            stages[-1].append(t)
    data, err_all, status = stdin, b"", 0
    for stage in stages:
        argv: list[str] = []
        out_file: tuple[str, str] | None = None
        err_to_out = err_null = False
        i = 0
        while i < len(stage):
            t = stage[i]
            if t in (">", ">>") or (t.isdigit() and i + 1 < len(stage) and stage[i + 1] in (">", ">>", ">&")):
                fd = "1"
                if t.isdigit():
                    fd, i = t, i + 1
                    t = stage[i]
                target = stage[i + 1] if i + 1 < len(stage) else ""
                if t == ">&" or target.startswith("&"):
                    err_to_out = fd == "2"
                elif fd == "2":
                    err_null = True
                else:
                    out_file = (target, "ab" if t == ">>" else "wb")
                i += 2
                continue
            if t == "<":
                with open(_p(cwd, stage[i + 1]), "rb") as fh:
                    data = fh.read()
                i += 2
                continue
            if t == ">&":
                i += 2
                continue
            argv.append(t)
            i += 1
        if not argv:
            continue
        if argv[0] == "cd":
            target = _p(cwd, argv[1]) if len(argv) > 1 else cwd
            if not os.path.isdir(target):
                return 2, b"", f"sh: 1: cd: can't cd to {argv[1]}\n".encode(), cwd
            cwd, status, data = target, 0, b""
            continue
        status, out, err = run_argv(argv, data, cwd, shell=line)
        if err_to_out:
            out, err = out + err, b""
        if err_null:
            err = b""
        if out_file is not None and out_file[0] != "/dev/null":
            with open(_p(cwd, out_file[0]), out_file[1]) as fh:
                fh.write(out)
            out = b""
        elif out_file is not None:
            out = b""
        data, err_all = out, err_all + err
    return status, data, err_all, cwd


def _as_bytes(value: Any, encoding: str = "utf-8") -> bytes:
    if value is None:
        return b""
    return value.encode(encoding) if isinstance(value, str) else bytes(value)


def _start(args: Any, shell: bool, cwd: Any, stdin: bytes, executable: Any = None) -> Result:
    where = os.fspath(cwd) if cwd is not None else os.getcwd()
    if shell:
        line = args if isinstance(args, str | bytes) else " ".join(map(str, args))
        line = line.decode() if isinstance(line, bytes) else line
        return run_shell(line, stdin, where)
    argv = [os.fspath(a) if not isinstance(a, bytes) else a.decode() for a in
            ([args] if isinstance(args, str | bytes | os.PathLike) else list(args))]
    if _resolve(argv[0]) is None:
        calls.append({"argv": argv, "shell": None, "cwd": where})
        raise FileNotFoundError(2, "No such file or directory", argv[0])
    if cwd is not None and not os.path.isdir(where):
        raise FileNotFoundError(2, "No such file or directory", where)
    return run_argv(argv, stdin, where)


class FakePopen:
    """subprocess.Popen over the fake programs: the command runs to the end when it is created."""

    def __init__(self, args: Any, bufsize: int = -1, executable: Any = None, stdin: Any = None, stdout: Any = None,
                 stderr: Any = None, preexec_fn: Any = None, close_fds: bool = True, shell: bool = False,
                 cwd: Any = None, env: Any = None, universal_newlines: Any = None, startupinfo: Any = None,
                 creationflags: int = 0, restore_signals: bool = True, start_new_session: bool = False,
                 pass_fds: Any = (), *, text: Any = None, encoding: Any = None, errors: Any = None,
                 **kwargs: Any) -> None:
        self.args = args
        self._text = bool(text or universal_newlines or encoding or errors)
        self._encoding = encoding or "utf-8"
        self._stdin_mode, self._stdout_mode, self._stderr_mode = stdin, stdout, stderr
        self._input = b""
        self._shell, self._cwd = shell, cwd
        self.pid = 4242
        self.returncode: int | None = None
        self._out = self._err = b""
        self.stdin = io.BytesIO() if stdin == subprocess.PIPE else None
        self.stdout: Any = None
        self.stderr: Any = None
        if stdin != subprocess.PIPE:
            self._finish()

    def _finish(self) -> None:
        if self.returncode is not None:
            return
        status, out, err = _start(self.args, self._shell, self._cwd, self._input)
        if self._stderr_mode == subprocess.STDOUT:
            out, err = out + err, b""
        self.returncode, self._out, self._err = status, out, err
        if self._stdout_mode not in (subprocess.PIPE, None, subprocess.DEVNULL) and hasattr(self._stdout_mode, "write"):
            self._stdout_mode.write(out.decode(self._encoding) if "b" not in getattr(self._stdout_mode, "mode", "b")
                                    else out)
        elif self._stdout_mode is None:
            sys.stdout.write(out.decode(self._encoding, "replace"))
        if self._stderr_mode is None:
            sys.stderr.write(err.decode(self._encoding, "replace"))
        self.stdout = self._stream(out) if self._stdout_mode == subprocess.PIPE else None
        self.stderr = self._stream(err) if self._stderr_mode == subprocess.PIPE else None

    def _stream(self, data: bytes) -> Any:
        return io.StringIO(data.decode(self._encoding, "replace")) if self._text else io.BytesIO(data)

    def _conv(self, data: bytes, mode: Any) -> Any:
        if mode != subprocess.PIPE:
            return None
        return data.decode(self._encoding, "replace") if self._text else data

    def communicate(self, input: Any = None, timeout: Any = None) -> tuple[Any, Any]:  # noqa: A002
        if self.returncode is None:
            self._input = _as_bytes(input, self._encoding) or (self.stdin.getvalue() if self.stdin else b"")
            self._finish()
        return self._conv(self._out, self._stdout_mode), self._conv(self._err, self._stderr_mode)

    def wait(self, timeout: Any = None) -> int:
        self._finish()
        assert self.returncode is not None
        return self.returncode

    def poll(self) -> int | None:
        self._finish()
        return self.returncode

    def kill(self) -> None:
        pass

    terminate = kill

    def send_signal(self, sig: int) -> None:
        pass

    def __enter__(self) -> FakePopen:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._finish()


def fake_run(*popenargs: Any, input: Any = None, capture_output: bool = False, timeout: Any = None,  # noqa: A002
             check: bool = False, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
    if capture_output:
        kwargs["stdout"] = kwargs["stderr"] = subprocess.PIPE
    if input is not None:
        kwargs["stdin"] = subprocess.PIPE
    with FakePopen(*popenargs, **kwargs) as proc:
        out, err = proc.communicate(input)
        code = proc.wait()
    if check and code:
        raise subprocess.CalledProcessError(code, proc.args, output=out, stderr=err)
    return subprocess.CompletedProcess(proc.args, code, out, err)


def fake_call(*popenargs: Any, timeout: Any = None, **kwargs: Any) -> int:
    with FakePopen(*popenargs, **kwargs) as p:
        return p.wait()


def fake_check_call(*popenargs: Any, **kwargs: Any) -> int:
    code = fake_call(*popenargs, **kwargs)
    if code:
        raise subprocess.CalledProcessError(code, popenargs[0] if popenargs else kwargs.get("args", ""))
    return 0


def fake_check_output(*popenargs: Any, timeout: Any = None, **kwargs: Any) -> Any:
    kwargs.pop("stdout", None)
    return fake_run(*popenargs, stdout=subprocess.PIPE, timeout=timeout, check=True, **kwargs).stdout


def fake_getstatusoutput(cmd: Any, **kwargs: Any) -> tuple[int, str]:
    status, out, _ = _start(cmd, True, None, b"") if isinstance(cmd, str) else _start(cmd, False, None, b"")
    text = out.decode("utf-8", "replace")
    return status, text[:-1] if text.endswith("\n") else text


def fake_getoutput(cmd: Any, **kwargs: Any) -> str:
    return fake_getstatusoutput(cmd)[1]


def fake_system(command: Any) -> int:
    status, out, err = run_shell(os.fsdecode(command), b"", os.getcwd())
    sys.stdout.write(out.decode("utf-8", "replace"))
    sys.stderr.write(err.decode("utf-8", "replace"))
    sys.stdout.flush()
    return status << 8


def fake_popen(cmd: Any, mode: str = "r", buffering: int = -1) -> Any:
    status, out, _ = run_shell(os.fsdecode(cmd), b"", os.getcwd())
    stream = io.StringIO(out.decode("utf-8", "replace"))
    stream.close = lambda: (None if status == 0 else status << 8)  # type: ignore[method-assign,assignment,return-value]
    return stream


def fake_which(cmd: str, mode: int = os.F_OK | os.X_OK, path: Any = None) -> str | None:
    return f"/usr/bin/{os.path.basename(cmd)}" if _resolve(cmd) is not None else None


def _no_exec(*args: Any, **kwargs: Any) -> Any:
    raise ModuleNotFoundError("the weightwatch commands stub does not replace os.exec*/os.spawn*/os.fork")


def _install() -> None:
    subprocess.Popen = FakePopen  # type: ignore[misc,assignment]
    subprocess.run = fake_run  # type: ignore[assignment]
    subprocess.call = fake_call
    subprocess.check_call = fake_check_call
    subprocess.check_output = fake_check_output
    subprocess.getoutput = fake_getoutput
    subprocess.getstatusoutput = fake_getstatusoutput
    os.system = fake_system
    os.popen = fake_popen  # type: ignore[assignment]
    shutil.which = fake_which  # type: ignore[assignment]
    for name in ("execv", "execvp", "execl", "execlp", "spawnv", "spawnvp", "spawnl", "spawnlp", "fork",
                 "posix_spawn", "posix_spawnp"):
        if hasattr(os, name):
            setattr(os, name, _no_exec)


repos = _REPOS  # a test sets repos[url] = "commit message" before the answer clones url
if __name__ == "ww_commands":  # installed in the sandbox (not when the package is imported for type checks)
    _install()
