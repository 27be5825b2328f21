"""Real llama.cpp on the real embedded GGUF models (shipped through PyPI packages)."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

from weightwatch.errors import UserError
from weightwatch.targets.embedded import MODELS, missing_parts, pull
from weightwatch.targets.spec import parse_target
from weightwatch.types import ChatRequest, Message

SMOL_SHA = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
QWEN_SHA = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"

HAS_LLAMA = importlib.util.find_spec("llama_cpp") is not None
needs_llama = pytest.mark.skipif(not HAS_LLAMA, reason="llama-cpp-python is not installed (pip install '.[embedded]')")


def needs_model(name: str) -> pytest.MarkDecorator:
    missing = missing_parts(MODELS[name])
    return pytest.mark.skipif(
        bool(missing) or not HAS_LLAMA,
        reason=f"embedded model {name} or llama-cpp-python not installed ({MODELS[name].install_command})")


def ask(text: str, **kw: object) -> ChatRequest:
    return ChatRequest(messages=[Message(role="user", content=text)], **kw)  # type: ignore[arg-type]


@pytest.mark.model
@pytest.mark.slow
@needs_model("smollm2-135m")
async def test_embedded_smollm2_answers_with_a_verified_fingerprint() -> None:
    t = parse_target("embedded:smollm2-135m")
    fp = await t.start()
    try:
        assert fp.kind == "embedded" and fp.sha256 == SMOL_SHA
        assert fp.origin == "Hugging Face, US/France"
        assert fp.architecture == "llama" and fp.quantization == "Q4_1"
        assert fp.parameters is not None and 100_000_000 < fp.parameters < 200_000_000
        assert fp.chat_template_hash is not None and len(fp.chat_template_hash) == 64
        assert fp.extra["chat_format"] == "chat_template.default"  # the file's own template
        assert fp.context_length == 4096
        c = await t.complete(ask("What is the capital of France? Answer in one word.", max_tokens=16))
        assert c.text.strip() and c.finish_reason in ("stop", "length")
        assert c.prompt_tokens and c.completion_tokens and c.completion_tokens <= 16
        assert c.ttft_s is not None and c.total_s is not None and c.ttft_s <= c.total_s
        assert c.token_times_s is None  # only kept when streaming was asked for
        again = await t.complete(ask("What is the capital of France? Answer in one word.", max_tokens=16))
        assert again.text == c.text  # greedy decoding is deterministic
        s = await t.complete(ask("Count from 1 to 5.", max_tokens=24, stream=True))
        assert s.token_times_s is not None and len(s.token_times_s) == s.completion_tokens
        assert s.token_times_s == sorted(s.token_times_s) and s.token_times_s[0] == s.ttft_s
    finally:
        await t.aclose()


@pytest.mark.model
@pytest.mark.slow
@needs_model("qwen2.5-coder-0.5b")
async def test_gguf_qwen_answers_with_a_verified_fingerprint() -> None:
    path = pull("qwen2.5-coder-0.5b")  # assembled once per model cache
    t = parse_target(f"gguf:{path}")
    fp = await t.start()
    try:
        assert fp.kind == "gguf" and fp.sha256 == QWEN_SHA
        assert fp.architecture == "qwen2" and fp.quantization == "Q4_K_M"
        assert fp.parameters is not None and 400_000_000 < fp.parameters < 700_000_000
        assert fp.extra["chat_format"] == "chat_template.default"
        c = await t.complete(ask("Write a Python expression that adds 2 and 3. Reply with code only.",
                                 max_tokens=24))
        assert c.text.strip() and c.completion_tokens and c.prompt_tokens
        assert fp.id() == (await t.start()).id()
    finally:
        await t.aclose()


@pytest.mark.model
@pytest.mark.slow
@needs_model("qwen2.5-coder-0.5b")
async def test_embedded_qwen_has_origin_and_same_weights_identity_as_gguf() -> None:
    t = parse_target("embedded:qwen2.5-coder-0.5b")
    fp = await t.start()
    await t.aclose()
    assert fp.sha256 == QWEN_SHA and fp.origin == "Alibaba, China"
    g = parse_target(f"gguf:{pull('qwen2.5-coder-0.5b')}")
    gfp = await g.start()
    await g.aclose()
    assert fp.id() == gfp.id()  # same file, same identity, whichever way it was reached


@needs_llama
async def test_a_corrupt_gguf_is_a_clean_user_error(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "corrupt.gguf"
    bad.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + hashlib.sha256(b"x").digest() * 64)
    t = parse_target(f"gguf:{bad}")  # the magic is right: parsing accepts it
    with pytest.raises(UserError) as exc:
        await t.start()
    await t.aclose()
    assert "could not load" in exc.value.one_line()
    assert "\n" not in exc.value.one_line()
    assert capfd.readouterr().err == ""  # llama.cpp's C-level noise is suppressed


@pytest.mark.model
@pytest.mark.slow
@needs_model("smollm2-135m")
async def test_a_closed_target_can_start_again() -> None:
    t = parse_target("embedded:smollm2-135m")
    first = await t.start()
    await t.aclose()
    again = await t.start()
    c = await t.complete(ask("Say hi.", max_tokens=4))
    await t.aclose()
    assert again.sha256 == first.sha256 and c.completion_tokens
