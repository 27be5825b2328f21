"""Targets with a LoRA adapter: gguf:BASE+lora:ADAPTER, fingerprinted with both hashes; bad adapters one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.modify.tiny import N_EMBD, build_tiny
from weightwatch.errors import UserError
from weightwatch.modify.adapter import Edit, write_adapter
from weightwatch.modify.gguf_io import read_header
from weightwatch.targets.spec import parse_target
from weightwatch.types import ChatRequest, Message

pytest.importorskip("llama_cpp")


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    base = build_tiny(tmp_path / "tiny.gguf")
    v = np.random.default_rng(3).standard_normal(N_EMBD)
    adapter = tmp_path / "ad.gguf"
    write_adapter(read_header(base), Edit(direction=v / np.linalg.norm(v), lam=1.0, layers=(0, 1, 2), source_layer=1,
                                          window="all"), adapter, {"base_sha256": "b", "lambda": 1.0})
    return base, adapter


async def test_lora_target_fingerprint_records_both_hashes(files: tuple[Path, Path]) -> None:
    base, adapter = files
    plain = parse_target(f"gguf:{base}")
    with_lora = parse_target(f"gguf:{base}+lora:{adapter}")
    try:
        fp0 = await plain.start()
        fp1 = await with_lora.start()
        assert fp1.sha256 == fp0.sha256  # the base file's hash
        assert fp1.adapter_sha256 and fp0.adapter_sha256 is None
        assert fp1.id() != fp0.id()
        assert fp1.extra["adapter"]["provenance"]["base_sha256"] == "b"
        req = ChatRequest(messages=[Message(role="user", content="hello")], max_tokens=4)
        c0, c1 = await plain.complete(req), await with_lora.complete(req)
        assert c0.ok and c1.ok
    finally:
        await plain.aclose()
        await with_lora.aclose()


def test_bad_adapter_in_target_string(files: tuple[Path, Path], tmp_path: Path) -> None:
    base, _ = files
    with pytest.raises(UserError, match="does not exist"):
        parse_target(f"gguf:{base}+lora:{tmp_path / 'nope.gguf'}")
    with pytest.raises(UserError, match="not a LoRA adapter"):
        parse_target(f"gguf:{base}+lora:{base}")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 40)
    with pytest.raises(UserError, match="not a readable GGUF"):
        parse_target(f"gguf:{base}+lora:{junk}")


def test_cli_bad_adapter_is_one_line(files: tuple[Path, Path], tmp_path: Path) -> None:
    base, _ = files
    narrow = build_tiny(tmp_path / "narrow.gguf", n_embd=32)
    wrong = tmp_path / "wrong.gguf"
    v = np.ones(32) / np.sqrt(32)
    write_adapter(read_header(narrow), Edit(direction=v, lam=1.0, layers=(0,), source_layer=0, window="all"), wrong, {})
    proc = subprocess.run([sys.executable, "-m", "weightwatch", "run", "sanity", "-t", f"gguf:{base}+lora:{wrong}"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "does not fit" in lines[0], proc.stderr
    assert "n_embd ?" not in lines[0], lines[0]  # an adapter without weightwatch's metadata said "n_embd ? vs 64"
