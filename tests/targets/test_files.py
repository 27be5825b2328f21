"""GGUF magic check and the sha256 cache (no llama.cpp needed)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from weightwatch.errors import UserError
from weightwatch.targets import _files


@pytest.fixture
def models_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "models"
    monkeypatch.setenv("WEIGHTWATCH_MODELS", str(d))
    return d


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_gguf_magic_accepts_gguf_header(tmp_path: Path) -> None:
    _files.check_gguf(_write(tmp_path / "ok.gguf", b"GGUF" + (3).to_bytes(4, "little") + b"\0" * 32))


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"PK\x03\x04 this is a zip", "not a GGUF"),
        (b"", "not a GGUF"),
        (b"GGU", "not a GGUF"),
        (b"GGUF" + (99).to_bytes(4, "little"), "unknown GGUF version"),
        (b"<html>not found</html>", "not a GGUF"),
    ],
)
def test_gguf_magic_rejects_other_files(tmp_path: Path, data: bytes, needle: str) -> None:
    path = _write(tmp_path / "bad.gguf", data)
    with pytest.raises(UserError) as exc:
        _files.check_gguf(path)
    assert needle in exc.value.message
    assert "\n" not in exc.value.one_line()


def test_gguf_missing_and_directory(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        _files.check_gguf(tmp_path / "nope.gguf")
    with pytest.raises(UserError, match="not a file"):
        _files.check_gguf(tmp_path)


def test_sha_cache_is_keyed_by_size_and_mtime(tmp_path: Path, models_tmp: Path) -> None:
    f = _write(tmp_path / "m.bin", b"hello world")
    expected = hashlib.sha256(b"hello world").hexdigest()
    assert _files.cached_sha256(f) is None
    assert _files.file_sha256(f) == expected
    assert _files.cached_sha256(f) == expected
    assert (models_tmp / "verified.json").is_file()
    # same size, new content, new mtime: the cache must not be trusted
    f.write_bytes(b"HELLO WORLD")
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert _files.cached_sha256(f) is None
    assert _files.file_sha256(f) == hashlib.sha256(b"HELLO WORLD").hexdigest()


def test_llama_threads_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from weightwatch.targets.cpu import llama_threads

    monkeypatch.setenv("WEIGHTWATCH_THREADS", "1")
    assert llama_threads() == 1
    monkeypatch.delenv("WEIGHTWATCH_THREADS")
    assert llama_threads() >= 1
    for bad in ("zero", "0"):
        monkeypatch.setenv("WEIGHTWATCH_THREADS", bad)
        with pytest.raises(UserError):
            llama_threads()
