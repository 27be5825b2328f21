"""The refusal-direction edit as a LoRA adapter GGUF (rank 1, or rank k for k directions), or merged into a
new GGUF file.

For every matrix W that writes into the residual stream (``blk.N.attn_output.weight`` and
``blk.N.ffn_down.weight``; numpy shape (n_embd, n_in)) the edit is W' = W - lambda * v (v^T W) with v the
unit refusal direction. As a LoRA adapter llama.cpp computes W x + scale * B (A x), so

    lora_a = v^T W        numpy (1, n_in)    ggml ne [n_in, 1]     (must match ne[0] of W)
    lora_b = -v           numpy (n_embd, 1)  ggml ne [1, n_embd]   (must match ne[1] of W)

with ``adapter.lora.alpha = 1`` (scale = alpha / rank = 1) and lambda stored in B (lora_b = -lambda v), so the
adapter applies exactly the chosen edit at the default scale 1. ``W`` is the base file's own (dequantized)
tensor, so the projection is exact for the weights llama.cpp really uses; the base file is never written.
``--merge`` writes W' into a copy of the model instead (edited tensors F16 or Q8_0, everything else copied
byte for byte); re-quantizing to Q8_0 puts back a small part of the removed component (measured in
docs/modify.md).

**Rank k** (several directions, ``--directions clusters|pca``, or each layer its own direction,
``--directions per-layer``): with V the (n_embd, k) matrix of orthonormal directions the edit is
W' = W - lambda V (V^T W), i.e. ``lora_a = V^T W`` (numpy (k, n_in), ggml ne [n_in, k]) and
``lora_b = -lambda V`` (numpy (n_embd, k), ggml ne [k, n_embd]). llama.cpp scales B A by alpha / rank with
rank = ne[0] of B, so ``adapter.lora.alpha`` is the adapter's rank k; every pair is written with the same k
(a layer with fewer directions gets zero rows in A and zero columns in B, which change nothing).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from weightwatch import __version__
from weightwatch.errors import UserError
from weightwatch.modify.direction import orthonormal
from weightwatch.modify.gguf_io import RESIDUAL_WRITERS, GGUFHeader, tensor_f32

META = "weightwatch.modify."


@dataclass(frozen=True)
class Edit:
    """Which direction(s), how strongly, on which layers' residual writes."""

    direction: np.ndarray  # unit vector (n_embd,), or (n_embd, k): k directions (made orthonormal here)
    lam: float
    layers: tuple[int, ...]
    source_layer: int  # layer the direction was measured at (per_layer: the window's centre)
    window: str  # "all" or "+-N"
    # layer -> that layer's own direction(s) ((n_embd,) or (n_embd, k)), used instead of `direction` for it
    per_layer: Mapping[int, np.ndarray] | None = None
    # --edit affine: layer -> the constant added to the layer's output at lambda 1 (modify/affine.py); None:
    # directional ablation
    constants: Mapping[int, np.ndarray] | None = None

    def targets(self, header: GGUFHeader) -> list[str]:
        names = [f"blk.{i}.{w}.weight" for i in self.layers for w in RESIDUAL_WRITERS]
        return [n for n in names if n in header.tensors]

    def basis(self, layer: int) -> np.ndarray:
        """(n_embd, k) orthonormal columns: the directions projected out of `layer`'s writes."""
        v = self.direction if self.per_layer is None or layer not in self.per_layer else self.per_layer[layer]
        return orthonormal(v)

    @property
    def rank(self) -> int:
        return max(self.basis(i).shape[1] for i in self.layers) if self.layers else 1


def unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    norm = float(np.linalg.norm(v))
    if not np.isfinite(norm) or norm == 0:
        raise ValueError("the direction has no length")
    return v / norm


def lora_pair(w: np.ndarray, v: np.ndarray, lam: float, rank: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(lora_a, lora_b) as float32 numpy arrays for the edit W' = W - lam V V^T W, V the orthonormalised
    direction(s) `v` ((n_embd,) or (n_embd, k)); `rank` pads A with zero rows and B with zero columns."""
    basis = orthonormal(v)
    if w.shape[0] != basis.shape[0]:
        raise ValueError(f"W has {w.shape[0]} output rows, the direction has {basis.shape[0]} entries")
    k = basis.shape[1]
    r = k if rank is None else int(rank)
    if r < k:
        raise ValueError(f"rank {r} is below the number of directions {k}")
    a = np.zeros((r, w.shape[1]))
    b = np.zeros((w.shape[0], r))
    a[:k] = basis.T @ w.astype(np.float64)
    b[:, :k] = -float(lam) * basis
    return a.astype(np.float32), b.astype(np.float32)


def provenance(edit: Edit, base: GGUFHeader, base_sha256: str, extra: Mapping[str, Any] | None = None,
               ) -> dict[str, Any]:
    out: dict[str, Any] = {
        "method": "refusal-direction",
        "base_sha256": base_sha256,
        "base_name": str(base.fields.get("general.name") or base.path.name),
        "direction_layer": int(edit.source_layer),
        "lambda": float(edit.lam),
        "window": edit.window,
        "layers": ",".join(str(i) for i in edit.layers),
        "n_embd": int(base.n_embd or len(edit.direction)),
        "rank": int(edit.rank),
        "per_layer_directions": edit.per_layer is not None,
        "edit": "affine" if edit.constants is not None else "ablation",
        "weightwatch_version": __version__,
    }
    out.update(dict(extra or {}))
    return out


def _add_meta(writer: Any, meta: Mapping[str, Any]) -> None:
    for key, value in meta.items():
        k = META + key
        if isinstance(value, bool):
            writer.add_bool(k, value)
        elif isinstance(value, int):
            writer.add_int64(k, value)
        elif isinstance(value, float):
            writer.add_float64(k, value)
        else:
            writer.add_string(k, str(value))


def _atomic_target(out: Path, base: Path) -> Path:
    if out.resolve() == base.resolve():
        raise UserError(f"the output '{out}' is the base model itself", "write the adapter or merged model elsewhere")
    out.parent.mkdir(parents=True, exist_ok=True)
    return out.with_name(f".{out.name}.{os.getpid()}.tmp")


def _finish(writer: Any, tmp: Path, out: Path) -> None:
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_adapter(base: GGUFHeader, edit: Edit, out: Path, meta: Mapping[str, Any]) -> list[str]:
    """Write the LoRA adapter GGUF (rank 1, or the edit's rank k) for `edit` on `base`; returns the edited
    tensor names."""
    import gguf

    arch = base.architecture
    if not arch:
        raise UserError(f"'{base.path}' has no general.architecture", "is it a llama.cpp model file?")
    names = edit.targets(base)
    if not names:
        raise UserError(f"'{base.path}' has no attn_output/ffn_down tensors in layers {edit.layers}",
                        "refusal-direction removal needs a transformer with those tensor names")
    tmp = _atomic_target(out, base.path)
    writer = gguf.GGUFWriter(str(tmp), arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    rank = edit.rank
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(rank))  # llama.cpp's scale alpha / rank = 1
    writer.add_name(f"{meta.get('base_name', base.path.stem)} refusal-direction adapter")
    _add_meta(writer, meta)
    if edit.constants is not None:
        from weightwatch.modify.affine import meta_fields

        for key, values in meta_fields(edit.constants, edit.lam).items():
            writer.add_array(key, values)
    for name in names:
        layer = int(name.split(".")[1])
        a, b = lora_pair(tensor_f32(base, name), edit.basis(layer), edit.lam, rank=rank)
        writer.add_tensor(name + ".lora_a", a)
        writer.add_tensor(name + ".lora_b", b)
    _finish(writer, tmp, out)
    return names


MERGE_TYPES = ("F16", "Q8_0")


def _copy_fields(writer: Any, reader: Any, skip: Iterable[str]) -> None:
    """Copy every key/value of `reader` into `writer` (as gguf's own new-metadata script does)."""
    import gguf

    skipped = set(skip)
    for field in reader.fields.values():
        if field.name in skipped or field.name.startswith("GGUF.") or field.name == gguf.Keys.General.ARCHITECTURE:
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), vtype, sub_type=sub)


def write_merged(base: GGUFHeader, edit: Edit, out: Path, meta: Mapping[str, Any], qtype: str = "F16") -> list[str]:
    """A copy of the base model with the edit merged into the residual writers (stored as `qtype`)."""
    import gguf

    if qtype not in MERGE_TYPES:
        raise UserError(f"unknown merge type '{qtype}'", f"use one of {', '.join(MERGE_TYPES)}")
    if edit.constants is not None:
        raise UserError("--merge cannot hold the affine edit's per-layer constants (the model has no bias on "
                        "its residual writes)", "write a LoRA adapter (drop --merge) or use --edit ablation")
    arch = base.architecture
    if not arch:
        raise UserError(f"'{base.path}' has no general.architecture", "is it a llama.cpp model file?")
    names = set(edit.targets(base))
    tmp = _atomic_target(out, base.path)
    writer = gguf.GGUFWriter(str(tmp), arch)
    _copy_fields(writer, base.reader, skip=[])
    _add_meta(writer, {**meta, "merged_type": qtype})
    qt = gguf.GGMLQuantizationType[qtype]
    for t in base.reader.tensors:
        if t.name not in names:
            writer.add_tensor(t.name, t.data, raw_shape=t.data.shape, raw_dtype=t.tensor_type)
            continue
        w = tensor_f32(base, t.name).astype(np.float64)
        basis = edit.basis(int(t.name.split(".")[1]))
        w2 = (w - float(edit.lam) * basis @ (basis.T @ w)).astype(np.float32)
        if qt == gguf.GGMLQuantizationType.F16:
            writer.add_tensor(t.name, w2.astype(np.float16))
        else:
            q = gguf.quants.quantize(w2, qt)
            writer.add_tensor(t.name, q, raw_shape=q.shape, raw_dtype=qt)
    _finish(writer, tmp, out)
    return sorted(names)
