"""Ctrl-C (SIGINT) in every command: one line on stderr saying it was interrupted and what is kept or how to
resume, exit 130, no traceback. typer turns a KeyboardInterrupt into a bare exit code 130 with no word;
`scan` and `modify` said nothing at all.

The real-signal tests run the real CLI in a subprocess and stop it where it waits: scan while a scanner
runs, judge and export while they open an output FIFO (no reader yet), modify in its search and in its
audit (a tiny random GGUF, seconds). The last test goes through every command of the CLI in-process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _env(home: Path) -> dict[str, str]:
    pythonpath = os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return dict(os.environ, WEIGHTWATCH_HOME=str(home), NO_COLOR="1", COLUMNS="200", PYTHONPATH=pythonpath,
                WEIGHTWATCH_THREADS="1")


def _interrupt_when(args: list[str], home: Path, ready: Callable[[int, str], bool],
                    signum: int = signal.SIGINT) -> tuple[int, str, str]:
    """Start `weightwatch ARGS`, wait until `ready(its pid, its stderr so far)`, send `signum`; (exit code,
    stdout, stderr)."""
    err_path = home / "stderr.txt"
    with err_path.open("w") as err_fh:
        proc = subprocess.Popen([sys.executable, "-m", "weightwatch", *args], env=_env(home), cwd=home,
                                stdout=subprocess.PIPE, stderr=err_fh, text=True)
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and proc.poll() is None and not ready(proc.pid, err_path.read_text()):
                time.sleep(0.01)
            assert proc.poll() is None, f"the command ended before it could be stopped: {err_path.read_text()}"
            proc.send_signal(signum)
            out, _ = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return proc.returncode, out, err_path.read_text()


def _last_line(stderr: str) -> str:
    """The last line weightwatch wrote (a model load that was under way goes on in its worker thread, and
    llama.cpp's own log lines, llama_context: ..., can follow)."""
    assert "Traceback" not in stderr, stderr
    ours = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith(("llama_", "ggml_"))]
    assert sum(ln.startswith("interrupted") for ln in ours) == 1, stderr
    return ours[-1]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(x) for x in task.read_text().split()]
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads child processes from /proc")
def test_ctrl_c_in_scan(tmp_path: Path) -> None:
    """Ctrl-C while bandit / semgrep run: exit 130 with one line (it was a silent 130); no output file, and an
    older file of that name is left as it was."""
    recs = [{"id": str(i), "response": f"```python\nimport os\nos.system(input())\nx = {i}\n```"} for i in range(300)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    (tmp_path / "out.jsonl").write_text("kept\n")
    pid: list[int] = []

    def scanning(_: str) -> bool:
        return bool(pid) and bool(_children(pid[0]))

    err_path = tmp_path / "stderr.txt"
    with err_path.open("w") as err_fh:
        proc = subprocess.Popen([sys.executable, "-m", "weightwatch", "scan", "-i", "in.jsonl", "-o", "out.jsonl"],
                                env=_env(tmp_path), cwd=tmp_path, stdout=subprocess.PIPE, stderr=err_fh, text=True)
        pid.append(proc.pid)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and proc.poll() is None and not scanning(""):
                time.sleep(0.01)
            assert proc.poll() is None, "the scan ended before it could be stopped"
            proc.send_signal(signal.SIGINT)
            out, _ = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    stderr = err_path.read_text()
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines() == ["interrupted: no output file was written; run the command again to "
                                           "start over"], stderr
    assert out == ""
    assert (tmp_path / "out.jsonl").read_text() == "kept\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.jsonl")] == []


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="sees a process wait for a FIFO in /proc")
def test_ctrl_c_in_judge_censorship(tmp_path: Path) -> None:
    """Stopped while it opens its output (a FIFO nobody reads yet): one line, exit 130."""
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "1", "prompt": "Q?", "response": "I cannot help."}) + "\n")
    out = _fifo(tmp_path / "out.fifo")
    code, _, stderr = _interrupt_when(["judge", "censorship", "-i", "in.jsonl", "-o", str(out)], tmp_path,
                                      _blocked_on_fifo)
    assert code == 130, stderr
    assert _last_line(stderr) == "interrupted: no output file was written; run the command again to start over"


def _blocked_on_fifo(pid: int, _: str) -> bool:
    """The process waits in open() for a reader of the FIFO."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text().strip() in ("wait_for_partner", "fifo_open")
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="sees a process wait for a FIFO in /proc")
def test_ctrl_c_in_export(tmp_path: Path) -> None:
    """`export` stopped half-way (here: opening a FIFO) says so in one line, exit 130; to a plain file, an
    export is written whole or not at all (tested below)."""
    done = subprocess.run([sys.executable, "-m", "weightwatch", "run", "sanity", "-t", "mock:echo"],
                          env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = _fifo(tmp_path / "out.fifo")
    code, _, stderr = _interrupt_when(["export", "latest", "-o", str(out)], tmp_path,
                                      _blocked_on_fifo)
    assert code == 130, stderr
    assert _last_line(stderr) == "interrupted: no output file was written; run the command again to start over"


def _tiny(tmp_path: Path) -> Path:
    from tests.modify.tiny import build_tiny

    return build_tiny(tmp_path / "tiny.gguf")


@pytest.mark.parametrize(("signum", "code", "head"), [(signal.SIGINT, 130, "interrupted"),
                                                     (signal.SIGTERM, 143, "interrupted (SIGTERM)")])
def test_ctrl_c_in_modify_search(tmp_path: Path, signum: int, code: int, head: str) -> None:
    """Ctrl-C in the search of `modify refusal-direction` (a tiny random model): exit 130 and one line saying
    nothing was written (it was a silent 130); SIGTERM the same with exit 143."""
    base = _tiny(tmp_path)
    got, _, stderr = _interrupt_when(["modify", "refusal-direction", "-t", f"gguf:{base}", "-o", "a.gguf",
                                      "--languages", "en", "--trials", "16", "--check-tokens", "2"], tmp_path,
                                     lambda _, e: "search:" in e or "captured" in e, signum)
    assert got == code, stderr
    assert _last_line(stderr) == (f"{head}: nothing is kept (no adapter or model was written); run the command "
                                  "again to start over")
    assert not (tmp_path / "a.gguf").exists()


def test_ctrl_c_in_modify_audit_says_the_adapter_is_kept(tmp_path: Path) -> None:
    """Ctrl-C once the adapter is written, in the --audit that follows: the line names the adapter kept."""
    base = _tiny(tmp_path)
    code, _, stderr = _interrupt_when(["modify", "refusal-direction", "-t", f"gguf:{base}", "-o", "a.gguf",
                                       "--languages", "en", "--max-items", "1", "--trials", "2", "--check-tokens",
                                       "2", "--audit", "--audit-probes", "censorship"], tmp_path,
                                      lambda _, e: "audit before:" in e)
    assert code == 130, stderr
    # the line was lost: the model load, in a worker thread that goes on, held fd 2 pointed at /dev/null
    assert _last_line(stderr) == (f"interrupted: the adapter is written: a.gguf (use it as -t gguf:{base}+lora:"
                                  "a.gguf); the audit's finished samples are in the journal (weightwatch runs)")
    assert (tmp_path / "a.gguf").is_file()


def _commands() -> list[list[str]]:
    """Every command of the CLI, by its words (subcommands of groups included)."""
    import typer

    from weightwatch.cli import app

    group = typer.main.get_command(app)
    found: list[list[str]] = []

    def walk(cmd: object, words: list[str]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs is None:
            found.append(words)
            return
        for name, sub in subs.items():
            walk(sub, [*words, name])

    walk(group, [])
    return found


def test_every_command_says_it_was_interrupted(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C in any command (raised here where every command starts: the environment check) is one line
    starting 'interrupted' and exit 130, never a bare 130 or a traceback."""
    import weightwatch.envvars
    from weightwatch.cli import main

    def ctrl_c() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(weightwatch.envvars, "check_environment", ctrl_c)
    commands = _commands()
    assert ["scan"] in commands and ["modify", "refusal-direction"] in commands and len(commands) >= 15
    for words in commands:
        monkeypatch.setattr(sys, "argv", ["weightwatch", *words])
        with pytest.raises(SystemExit) as exit_info:
            main()
        captured = capsys.readouterr()
        lines = [ln for ln in captured.err.splitlines() if ln.strip()]
        assert exit_info.value.code == 130, (words, captured.err)
        assert len(lines) == 1 and lines[0].startswith("interrupted: "), (words, captured.err)
        assert "run the command again" in lines[0] or "resume with" in lines[0], (words, lines[0])


def test_an_export_stopped_half_way_leaves_no_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An export to a file is written beside it and renamed when complete: stopped after some rows, the file
    of that name is as it was before (it was left half-written)."""
    from weightwatch.report import export

    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "weightwatch", "run", "sanity", "-t", "mock:echo"],
                          env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    from weightwatch.engine.journal import Journal

    target = tmp_path / "x.jsonl"
    target.write_text("before\n")
    real = export._write_jsonl

    def stop_half_way(records, fh):  # type: ignore[no-untyped-def]
        fh.write(json.dumps(next(records)) + "\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "_write_jsonl", stop_half_way)
    j = Journal(tmp_path / "journal.sqlite")
    try:
        with pytest.raises(KeyboardInterrupt):
            export.export_run(j, "latest", "jsonl", target)
        assert target.read_text() == "before\n"
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".x.jsonl")) == []
        monkeypatch.setattr(export, "_write_jsonl", real)
        n = export.export_run(j, "latest", "jsonl", target)
    finally:
        j.close()
    assert n > 1 and len(target.read_text().splitlines()) == n


def test_ctrl_c_inside_the_capture_callback_stops_the_command(tmp_path: Path,
                                                              capfd: pytest.CaptureFixture[str]) -> None:
    """A Ctrl-C that lands while llama.cpp runs the activation callback (Python, called through ctypes) was
    swallowed there: 'Exception ignored on calling ctypes callback function' with a traceback, and the
    command went on. It now waits for the end of that decode and stops the command."""
    import os as _os

    from weightwatch.modify.capture import Session

    base = _tiny(tmp_path)
    pressed: list[bool] = []

    class CtrlCInCallback(Session):
        def _on_tensor(self, tensor: int, ask: bool, _user: int) -> bool:
            if not pressed:
                pressed.append(True)
                _os.kill(_os.getpid(), signal.SIGINT)  # delivered while the callback runs
            return super()._on_tensor(tensor, ask, _user)

    with CtrlCInCallback(base, n_ctx=64, n_threads=1) as s:
        with pytest.raises(KeyboardInterrupt):
            s.run("hello world", layers=[1])
        assert pressed
        logits, acts = s.run("hello world", layers=[1])  # the session is still usable: nothing was cut short
    assert 1 in acts and logits.size
    captured = capfd.readouterr()
    assert "Exception ignored" not in captured.err and "Traceback" not in captured.err, captured.err


def test_whole_file_writes_leave_devices_links_and_modes_alone(tmp_path: Path) -> None:
    """Writing beside the file and renaming must not replace /dev/null (as root it could), a symbolic link
    (its target is written) or the mode of an existing private file."""
    done = subprocess.run([sys.executable, "-m", "weightwatch", "run", "sanity", "-t", "mock:echo"],
                          env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    null_before = os.stat("/dev/null")
    real = tmp_path / "real.jsonl"
    (tmp_path / "link.jsonl").symlink_to(real)
    private = tmp_path / "private.jsonl"
    private.write_text("old\n")
    private.chmod(0o600)
    for out in ("/dev/null", "link.jsonl", "private.jsonl"):
        r = subprocess.run([sys.executable, "-m", "weightwatch", "export", "latest", "-o", out], env=_env(tmp_path),
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
    null_after = os.stat("/dev/null")
    assert (null_after.st_ino, null_after.st_rdev) == (null_before.st_ino, null_before.st_rdev)
    assert (tmp_path / "link.jsonl").is_symlink() and len(real.read_text().splitlines()) > 1
    assert private.stat().st_mode & 0o777 == 0o600 and private.read_text() != "old\n"
