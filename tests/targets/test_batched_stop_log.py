"""Ctrl-C aborts a decode in progress, and llama.cpp then logs an error line ("decode: removing memory module
entries for seq_id = 3, pos = [0, +inf)") under the one line weightwatch prints: stop() mutes llama.cpp's
log until close() has joined the loop, then gives the level back."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.modify.tiny import build_tiny

pytest.importorskip("llama_cpp")


def test_stop_mutes_llama_log_until_close(tmp_path: Path) -> None:
    from weightwatch.targets.batched import BatchEngine, Cancelled, Job
    from weightwatch.targets.llamacpp import new_llama

    llm = new_llama(model_path=str(build_tiny(tmp_path / "tiny.gguf")), n_ctx=64, n_threads=1, verbose=False)
    log = logging.getLogger("llama-cpp-python")
    before = log.level
    engine = BatchEngine(llm._model.model, n_slots=2, n_ctx_seq=64, n_threads=1)
    try:
        done = engine.submit(Job(tokens=llm.tokenize(b"hello world", add_bos=True), max_tokens=2)).result()
        assert done.completion_tokens >= 1 and log.level == before  # generating does not touch the level
        engine.stop()
        assert log.level == logging.CRITICAL
        with pytest.raises(Cancelled):
            engine.submit(Job(tokens=[1], max_tokens=1)).result()
        engine.stop()  # a second stop keeps the level to give back
    finally:
        engine.close()
        llm.close()
    assert log.level == before
