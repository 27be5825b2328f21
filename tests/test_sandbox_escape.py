"""The escape suite (tests/sandbox_escape_suite.py) as root, as an unprivileged user, and the refusal path.

Each case runs a hostile program in the sandbox and checks from the host side that it was blocked. The
suite runs in a child process whose environment holds a fake OPENAI_API_KEY and whose HOME holds a fake
~/.ssh key: that child is "the parent" the programs try to rob, signal and outlive.

- as the current user (root in CI): the sandbox then runs bubblewrap as `nobody`;
- as an unprivileged user: with the system Python and a copy of weightwatch's sandbox module, as user
  `wwsandbox` (.ci/run creates it; as root this test creates it when missing), or as ourselves when we
  are not root;
- with user namespaces really disabled (`bwrap --disable-userns` around the suite, so the kernel refuses
  the sandbox's own namespaces), and simulated (WEIGHTWATCH_SANDBOX_SIMULATE=none): the sandbox refuses
  to run model code with one line saying what to install, and `--allow-unsandboxed-code` overrides it.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import weightwatch.sandbox as sandbox

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tests" / "sandbox_escape_suite.py"
TEST_USER = "wwsandbox"
CASES = ["write_outside_private_tmpfs", "read_ssh_key_and_home", "read_parent_environ",
         "loopback_tcp_udp_and_interfaces", "unix_sockets_path_and_abstract", "signal_parent_and_siblings",
         "daemon_does_not_outlive_the_program", "fork_bomb", "aggregate_memory", "early_exit_before_the_tests",
         "sleeping_forever"]

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="namespaces are Linux")


def _need_isolation() -> None:
    iso = sandbox.isolation()
    if not iso.available:
        pytest.fail(f"no sandbox on this machine: {iso.detail} ({sandbox.INSTALL_HINT})")


def _home(base: Path, owner: int | None = None) -> dict[str, str]:
    home = base / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text(f"FAKE-PRIVATE-KEY-{os.getpid()}-{base.name}\n")
    if owner is not None:
        for p in (home, home / ".ssh", home / ".ssh" / "id_ed25519"):
            os.chown(p, owner, owner)
    return {"HOME": str(home), "OPENAI_API_KEY": f"sk-fake-{os.getpid()}-do-not-leak", "LANG": "C.UTF-8",
            "PATH": "/usr/bin:/bin"}


def _results(proc: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    out = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            out[str(d["case"])] = d
    assert out, f"the suite printed nothing: {proc.stderr[-2000:]}"
    return out


@pytest.fixture(scope="module")
def as_current_user(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    _need_isolation()
    env = _home(tmp_path_factory.mktemp("escape-self")) | {"PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, str(SUITE)], env=env, capture_output=True, text=True, timeout=900)
    return _results(proc)


@linux_only
@pytest.mark.parametrize("case", CASES)
def test_escape_blocked_as_current_user(as_current_user: dict[str, dict[str, object]], case: str) -> None:
    r = as_current_user[case]
    assert r["ok"], r["detail"]


def _unprivileged_user() -> tuple[int, int] | None:
    """(uid, gid) to run the unprivileged suite as; None when we are not root (then we are that user)."""
    if os.geteuid() != 0:
        return None
    try:
        pw = pwd.getpwnam(TEST_USER)
    except KeyError:
        if shutil.which("useradd") is None:
            pytest.skip(f"running as root, no user '{TEST_USER}' and no useradd to create it")
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER],
                       check=True)
        pw = pwd.getpwnam(TEST_USER)
    return pw.pw_uid, pw.pw_gid


def _standalone_copy(dest: Path) -> Path:
    """weightwatch's sandbox, errors, envvars and __init__ (standard library only) plus the suite, readable by
    anyone."""
    pkg = dest / "weightwatch"
    pkg.mkdir(parents=True)
    for name in ("__init__.py", "errors.py", "envvars.py", "sandbox.py"):
        shutil.copy(ROOT / "src" / "weightwatch" / name, pkg / name)
    shutil.copy(SUITE, dest / SUITE.name)
    for p in [dest, pkg, *dest.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dest


@pytest.fixture(scope="module")
def as_unprivileged_user() -> Iterator[dict[str, dict[str, object]]]:
    _need_isolation()
    system_python = shutil.which("python3", path="/usr/bin:/usr/local/bin")
    if system_python is None:
        pytest.skip("no system python3 for the unprivileged user")
    ids = _unprivileged_user()
    base = Path(tempfile.mkdtemp(prefix="ww-escape-user-"))  # not under pytest's 0700 directory
    try:
        base.chmod(0o755)
        code = _standalone_copy(base / "code")
        env = _home(base, owner=ids[0] if ids else None) | {"PYTHONPATH": str(code)}
        kw: dict[str, object] = {"user": ids[0], "group": ids[1], "extra_groups": []} if ids else {}
        proc = subprocess.run([system_python, str(code / SUITE.name)], env=env, capture_output=True, text=True,
                              timeout=900, cwd=str(base), **kw)  # type: ignore[call-overload]
        results = _results(proc)
        assert all(r["uid"] != 0 for r in results.values())
        yield results
    finally:
        shutil.rmtree(base, ignore_errors=True)


@linux_only
@pytest.mark.parametrize("case", CASES)
def test_escape_blocked_as_unprivileged_user(as_unprivileged_user: dict[str, dict[str, object]], case: str) -> None:
    r = as_unprivileged_user[case]
    assert r["ok"], r["detail"]


# ------------------------------------------------------------------------------------------ refusal

_REFUSAL_PROBE = (
    "import json, sys\n"
    "from weightwatch import sandbox\n"
    "iso = sandbox.isolation()\n"
    "out = {'available': iso.available, 'detail': iso.detail}\n"
    "try:\n"
    "    sandbox.run_python('print(1)')\n"
    "    out['refused'] = None\n"
    "except sandbox.SandboxUnavailable as exc:\n"
    "    out['refused'] = exc.one_line()\n"
    "res = sandbox.run_python('print(6 * 7)', allow_unsandboxed=True)\n"
    "out['allowed'] = [res.passed, res.stdout_tail.strip(), res.isolation.get('backend')]\n"
    "print(json.dumps(out))\n"
)


def _refusal(env_extra: dict[str, str], wrap: list[str]) -> dict[str, object]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT / "src"), "LANG": "C.UTF-8",
           "HOME": "/nonexistent"} | env_extra
    proc = subprocess.run([*wrap, sys.executable, "-c", _REFUSAL_PROBE], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _assert_refused(out: dict[str, object]) -> None:
    assert out["available"] is False
    line = str(out["refused"])
    assert line.startswith("refusing to run model-written code without isolation")
    assert "apt-get install bubblewrap" in line and "--allow-unsandboxed-code" in line
    assert "\n" not in line
    assert out["allowed"] == [True, "42", "none"]  # the explicit override runs it, marked as unsandboxed


@linux_only
def test_refusal_when_user_namespaces_are_really_disabled() -> None:
    """Real: the suite's process lives in a user namespace where the kernel refuses new user namespaces
    (bwrap --disable-userns sets its max_user_namespaces to 0), so bubblewrap cannot create its own."""
    _need_isolation()
    bwrap = shutil.which("bwrap")
    assert bwrap is not None
    wrap = [bwrap, "--unshare-user", "--disable-userns", "--dev-bind", "/", "/", "--"]
    out = _refusal({}, wrap)
    _assert_refused(out)
    assert "cannot create its namespaces" in str(out["detail"])


def test_refusal_when_isolation_is_simulated_absent() -> None:
    """Simulated: WEIGHTWATCH_SANDBOX_SIMULATE=none makes detection report no isolation."""
    out = _refusal({sandbox.SIMULATE_ENV: "none"}, [])
    _assert_refused(out)
    assert "simulated" in str(out["detail"])


def test_refusal_when_bubblewrap_is_missing() -> None:
    """Simulated: bwrap is not found (WEIGHTWATCH_BWRAP names a program that does not exist)."""
    out = _refusal({sandbox.BWRAP_ENV: "/nonexistent/bwrap"}, [])
    _assert_refused(out)
    assert "not installed" in str(out["detail"])


def test_cli_refuses_a_code_running_probe_before_any_request(tmp_path: Path) -> None:
    """`weightwatch run capability` stops with one line (exit 2) before contacting the target."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT / "src"), "LANG": "C.UTF-8",
           "HOME": "/nonexistent", sandbox.SIMULATE_ENV: "none",
           "WEIGHTWATCH_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "weightwatch", "run", "capability", "-t",
                           "openai:m@http://127.0.0.1:9/v1"], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    err = " ".join(proc.stderr.split())
    assert "refusing to run model-written code without isolation" in err
    assert "apt-get install bubblewrap" in err
    assert "Traceback" not in proc.stderr


def test_refusal_when_bwrap_names_another_program() -> None:
    """WEIGHTWATCH_BWRAP pointing at a program that is not bubblewrap: the refusal quoted its whole
    `--version` text (coreutils' licence); now its first line and its path."""
    false = shutil.which("false")
    assert false is not None
    out = _refusal({sandbox.BWRAP_ENV: false}, [])
    _assert_refused(out)
    detail = str(out["detail"])
    assert f"({false}) cannot create its namespaces" in detail and "WARRANTY" not in detail, detail
