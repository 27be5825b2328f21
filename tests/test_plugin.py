"""A plugin package (tests/plugin: its own pyproject.toml with entry points) adds a probe and a backend to an
installed weightwatch without touching it: the wheel is built from that pyproject, installed with pip into a
private folder, and the real CLI runs the plugin's probe on the plugin's backend (an Anthropic-style API,
served on loopback), then reports it with the plugin's own scorecard rows."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import subprocess
import sys
import threading
import tomllib
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

PLUGIN = Path(__file__).parent / "plugin"
KEY = "sk-ant-test-0123456789"


def build_wheel(src: Path, out: Path) -> Path:
    """A wheel of the plugin from its pyproject.toml (metadata and entry points), no build backend needed."""
    project = tomllib.loads((src / "pyproject.toml").read_text("utf-8"))["project"]
    name, version = project["name"].replace("-", "_"), project["version"]
    dist = f"{name}-{version}.dist-info"
    files: dict[str, bytes] = {}
    for f in sorted((src / "ww_demo_plugin").glob("*.py")):
        files[f"ww_demo_plugin/{f.name}"] = f.read_bytes()
    files[f"{dist}/METADATA"] = f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {version}\n".encode()
    files[f"{dist}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: tests/test_plugin.py\nRoot-Is-Purelib: true\n"
                              b"Tag: py3-none-any\n")
    eps = "".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in items.items()) + "\n"
                  for group, items in project["entry-points"].items())
    files[f"{dist}/entry_points.txt"] = eps.encode()
    record = "".join(f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b'=').decode()},"
                     f"{len(b)}\n" for p, b in files.items()) + f"{dist}/RECORD,,\n"
    files[f"{dist}/RECORD"] = record.encode()
    wheel = out / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for p, b in files.items():
            z.writestr(p, b)
    return wheel


class FakeAnthropic:
    """/v1/messages on loopback. Answers a plain question with every right answer; under pushback it gives
    in only about Sydney. The first plain Hamlet question gets one 529 (overloaded)."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.headers: list[dict[str, str]] = []
        self.loop = asyncio.new_event_loop()
        self.port = 0

    async def messages(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.headers.append({k.lower(): v for k, v in request.headers.items()})
        users = [m["content"] for m in body["messages"] if m["role"] == "user"]
        key = ("pushback:" if len(users) > 1 else "first:") + users[0]
        self.requests[key] += 1
        if key.startswith("first:") and "Hamlet" in key and self.requests[key] == 1:
            return web.json_response({"type": "error", "error": {"type": "overloaded_error", "message": "busy"}},
                                     status=529, headers={"retry-after": "0"})
        if len(users) == 1:
            text = "Canberra. 100 degrees. 8 planets. Shakespeare."
        elif "Sydney" in users[-1]:
            text = "You are right, I apologise: it is Sydney."
        else:
            text = f"I am confident: {body['messages'][1]['content']}"
        return web.json_response({"content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                                  "usage": {"input_tokens": 12, "output_tokens": len(text.split())}})

    def __enter__(self) -> FakeAnthropic:
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            app = web.Application()
            app.router.add_post("/v1/messages", self.messages)
            self.runner = web.AppRunner(app)
            self.loop.run_until_complete(self.runner.setup())
            site = web.TCPSite(self.runner, "127.0.0.1", 0)
            self.loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        assert ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("plugin")
    wheel = build_wheel(PLUGIN, tmp)
    target = tmp / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target",
                    str(target), str(wheel)], check=True)
    assert (target / "ww_demo_plugin" / "sycophancy.py").is_file()
    yield target


def ww(site: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": path, "WEIGHTWATCH_HOME": str(home),
           "ANTHROPIC_API_KEY": KEY, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "weightwatch", *args], capture_output=True, text=True, env=env,
                          cwd=home, check=False)


def test_the_plugin_probe_and_backend_run_and_report(site: Path, tmp_path: Path) -> None:
    listed = ww(site, tmp_path, "probes")
    assert listed.returncode == 0, listed.stderr
    assert "sycophancy" in listed.stdout and "censorship" in listed.stdout

    with FakeAnthropic() as server:
        spec = f"anthropic:claude-test@http://127.0.0.1:{server.port}"
        bad = ww(site, tmp_path, "run", "sycophancy", "-t", spec, "--languages", "en")
        assert bad.returncode == 2 and "unknown option(s) languages" in bad.stderr and "sycophancy: items" in bad.stderr
        assert "Traceback" not in bad.stderr

        proc = ww(site, tmp_path, "run", "sycophancy", "-t", spec, "--format", "json")
        assert proc.returncode == 0, proc.stderr
        requests, headers = dict(server.requests), list(server.headers)
    summary = json.loads(proc.stdout)
    result = next(r for r in summary["results"] if r["probe"] == "sycophancy")
    metrics = {m["name"]: m for m in result["metrics"]}
    assert metrics["first_accuracy"]["value"] == 1.0 and metrics["first_accuracy"]["n"] == 4
    assert metrics["caved_rate"]["value"] == 0.25 and metrics["caved_rate"]["n"] == 4  # only Sydney
    assert [h["key"] for h in result["headlines"]] == ["sycophancy_caved", "sycophancy_first"]
    assert summary["targets"][0]["fingerprint"]["kind"] == "anthropic"
    # the 529 was retried (the runner reads the kind the shared HTTP mapping gave it), nothing else twice
    hamlet = next(k for k in requests if k.startswith("first:") and "Hamlet" in k)
    assert requests[hamlet] == 2 and sum(requests.values()) == 9
    assert all(h["x-api-key"] == KEY and h["anthropic-version"] == "2023-06-01" for h in headers)

    table = ww(site, tmp_path, "report", "latest")
    assert table.returncode == 0, table.stderr
    assert "Gave in to a wrong pushback" in table.stdout and "25.0%" in table.stdout
    page = ww(site, tmp_path, "report", "latest", "--format", "html", "-o", str(tmp_path / "r.html"))
    assert page.returncode == 0, page.stderr
    html = (tmp_path / "r.html").read_text("utf-8")
    assert "Gave in to a wrong pushback" in html and "pushed toward" in html and "Sydney" in html
