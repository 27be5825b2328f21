"""Small file helpers shared by the GGUF targets: the GGUF magic check and a cached sha256.

Hashing a 0.5-1.5 GB file takes a second or more, so a verified hash is remembered in
`<models dir>/verified.json`, keyed by the file's absolute path, size and modification time: a file
that changes (other size or mtime) is hashed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
import tempfile
import threading
from pathlib import Path
from typing import Any

from weightwatch.config import models_dir
from weightwatch.errors import UserError

GGUF_MAGIC = b"GGUF"
_CHUNK = 4 * 1024 * 1024
_lock = threading.Lock()


def check_gguf(path: Path) -> None:
    """Raise UserError unless `path` is a readable file starting with the GGUF magic bytes.

    Done before llama.cpp sees the file, so a wrong file gives one clear line instead of C-level noise."""
    if not path.exists():
        raise UserError(f"model file '{path}' does not exist", "check the path after 'gguf:'")
    if not path.is_file():
        raise UserError(f"'{path}' is not a file", "give the path of a .gguf file after 'gguf:'")
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise UserError(f"cannot read '{path}': {exc.strerror}", "check the file's permissions") from exc
    if len(head) < 8 or head[:4] != GGUF_MAGIC:
        raise UserError(f"'{path}' is not a GGUF model file (it does not start with 'GGUF')",
                        "give a llama.cpp .gguf file; convert other formats with llama.cpp's convert scripts")
    version = struct.unpack("<I", head[4:8])[0]
    if version not in (1, 2, 3):
        raise UserError(f"'{path}' has an unknown GGUF version {version}; the file may be corrupt",
                        "download or assemble the file again")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _cache_file() -> Path:
    return models_dir() / "verified.json"


def _load_cache() -> dict[str, Any]:
    try:
        data = json.loads(_cache_file().read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _stat_key(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def cached_sha256(path: Path) -> str | None:
    """The remembered sha256 of `path`, if its size and mtime have not changed since it was hashed."""
    entry = _load_cache().get(str(path.resolve()))
    if not isinstance(entry, dict):
        return None
    try:
        now = _stat_key(path)
    except OSError:
        return None
    if entry.get("size") == now["size"] and entry.get("mtime_ns") == now["mtime_ns"]:
        sha = entry.get("sha256")
        return sha if isinstance(sha, str) else None
    return None


def remember_sha256(path: Path, sha256: str) -> None:
    """Record `sha256` for the file as it is now (atomic write of the cache file)."""
    with _lock:
        cache = _load_cache()
        cache[str(path.resolve())] = {**_stat_key(path), "sha256": sha256}
        target = _cache_file()
        fd, tmp = tempfile.mkstemp(prefix=".verified-", suffix=".json", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(cache, fh, indent=1, sort_keys=True)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def file_sha256(path: Path) -> str:
    """sha256 of the file, from the cache when the file is unchanged, else computed and remembered."""
    sha = cached_sha256(path)
    if sha is None:
        sha = sha256_file(path)
        with contextlib.suppress(OSError):
            remember_sha256(path, sha)
    return sha
