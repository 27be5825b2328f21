"""The `openai:` target against a real OpenAI-compatible server: llama-cpp-python's own server
(`llama-cpp-python[server]`) serving the embedded SmolLM2 GGUF on loopback, streaming and not."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.targets.test_models_real import ask, needs_model
from weightwatch.targets.embedded import pull
from weightwatch.targets.spec import parse_target

pytestmark = [pytest.mark.model, pytest.mark.slow,
              pytest.mark.skipif(importlib.util.find_spec("fastapi") is None,
                                 reason="llama-cpp-python[server] is not installed (pip install '.[test]')")]

ALIAS = "smollm2-135m"
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's server on a free loopback port; yields its base URL once /v1/models answers."""
    port = _free_port()
    cmd = [sys.executable, str(ROOT / "tests/servers/llama_server.py"), "--model", str(pull("smollm2-135m")),
           "--model_alias", ALIAS, "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "1"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    log = tmp_path_factory.mktemp("llama-server") / "server.log"  # a file: the server logs a lot
    log_fh = log.open("w")
    proc = subprocess.Popen(cmd, env=env, stdout=log_fh, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/models", timeout=2) as resp:
                    if ALIAS in json.dumps(json.load(resp)):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("llama_cpp.server did not become ready")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log_fh.close()


@needs_model("smollm2-135m")
async def test_openai_target_on_llama_cpp_server(llama_server: str) -> None:
    t = parse_target(f"openai:{ALIAS}@{llama_server}")
    fp = await t.start()
    try:
        assert fp.kind == "openai" and fp.server_models and ALIAS in fp.server_models
        plain = await t.complete(ask("What is the capital of France? Answer in one word.", max_tokens=16))
        assert plain.ok and plain.text and plain.finish_reason in ("stop", "length")
        assert plain.prompt_tokens and plain.completion_tokens and plain.total_s
        streamed = await t.complete(ask("Count from 1 to 5.", max_tokens=24, stream=True))
        assert streamed.ok and streamed.text and streamed.ttft_s is not None
        assert streamed.total_s is not None and 0 < streamed.ttft_s <= streamed.total_s
        assert streamed.token_times_s and len(streamed.token_times_s) >= 2
        # llama-cpp-python's server ignores stream_options.include_usage: no token counts in a stream
        assert streamed.raw and streamed.raw.get("chunks", 0) >= 2
        # greedy is greedy: the same question gives the same answer streamed or not
        again = await t.complete(ask("What is the capital of France? Answer in one word.", max_tokens=16,
                                     stream=True))
        assert again.text == plain.text
    finally:
        await t.aclose()
