"""GGUF files read with the ``gguf`` package, never with llama.cpp: headers, tensors, adapter checks.

A LoRA adapter given to a target (``gguf:BASE.gguf+lora:ADAPTER.gguf``) is checked here before llama.cpp
sees it, so a corrupt file, a non-adapter or an adapter made for another model is one clear line
(``UserError``) instead of a C-level abort.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from weightwatch.errors import MissingDependency, UserError
from weightwatch.targets._files import check_gguf

# matrices that write into the residual stream (ggml shape [n_in, n_embd]); name per layer
RESIDUAL_WRITERS = ("attn_output", "ffn_down")


def require_gguf() -> None:
    if importlib.util.find_spec("gguf") is None:
        raise MissingDependency("gguf", "embedded")


@dataclass
class GGUFHeader:
    path: Path
    fields: dict[str, Any]
    tensors: dict[str, tuple[tuple[int, ...], str]]  # name -> (ggml ne, type name)
    reader: Any = field(default=None, repr=False)

    @property
    def architecture(self) -> str | None:
        v = self.fields.get("general.architecture")
        return str(v) if v is not None else None

    @property
    def general_type(self) -> str:
        return str(self.fields.get("general.type") or "model")

    def arch_int(self, key: str) -> int | None:
        v = self.fields.get(f"{self.architecture}.{key}")
        return int(v) if isinstance(v, int | np.integer) else None

    @property
    def n_embd(self) -> int | None:
        return self.arch_int("embedding_length")

    @property
    def n_layer(self) -> int | None:
        return self.arch_int("block_count")


def _value(f: Any) -> Any:
    try:
        v = f.contents()
    except Exception:  # an odd field type: keep the header readable
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def read_header(path: Path, *, what: str = "model") -> GGUFHeader:
    """Header (metadata and tensor table) of a GGUF file; UserError when it cannot be parsed."""
    require_gguf()
    import gguf

    check_gguf(path)
    try:
        reader = gguf.GGUFReader(str(path), "r")
    except Exception as exc:  # truncated tensor data, bad offsets, garbage after the magic
        raise UserError(f"the {what} file '{path}' is not a readable GGUF ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else 'parse error'})",
                        "the file is corrupt or truncated: write or download it again") from exc
    fields: dict[str, Any] = {}
    for name, f in reader.fields.items():
        if name.startswith("tokenizer.ggml.") and name != "tokenizer.ggml.model":
            continue  # big vocab arrays: not needed here
        fields[name] = _value(f)
    tensors = {t.name: (tuple(int(x) for x in t.shape), t.tensor_type.name) for t in reader.tensors}
    return GGUFHeader(path=path, fields=fields, tensors=tensors, reader=reader)


def tensor_f32(header: GGUFHeader, name: str) -> np.ndarray:
    """A tensor dequantized to float32, in numpy order (ggml ne reversed: rows = ne[1])."""
    import gguf

    t = next((t for t in header.reader.tensors if t.name == name), None)
    if t is None:
        raise UserError(f"'{header.path}' has no tensor {name}", "is this the right base model?")
    data = gguf.quants.dequantize(t.data, t.tensor_type)
    shape = tuple(int(x) for x in reversed([int(s) for s in t.shape]))
    return np.asarray(data, dtype=np.float32).reshape(shape)


def tensor_rows(header: GGUFHeader, name: str, rows: list[int]) -> np.ndarray:
    """Some rows (ggml ne[1] index, e.g. tokens of token_embd) of a tensor, dequantized to float32, without
    dequantizing the rest."""
    import gguf

    t = next((t for t in header.reader.tensors if t.name == name), None)
    if t is None:
        raise UserError(f"'{header.path}' has no tensor {name}", "is this the right base model?")
    n_cols = int(t.shape[0])
    data = gguf.quants.dequantize(np.asarray(t.data)[rows], t.tensor_type)
    return np.asarray(data, dtype=np.float32).reshape(len(rows), n_cols)


def check_adapter(adapter: Path, base: Path | GGUFHeader) -> GGUFHeader:
    """Raise UserError unless `adapter` is a readable LoRA adapter GGUF made for `base`'s architecture and
    sizes. Returns the adapter's header."""
    head = read_header(adapter, what="adapter")
    hint = "give the adapter written for this base model (weightwatch modify ... -o ADAPTER.gguf)"
    if head.general_type != "adapter" or str(head.fields.get("adapter.type") or "") != "lora":
        raise UserError(f"'{adapter}' is not a LoRA adapter (general.type={head.general_type!r}, "
                        f"adapter.type={head.fields.get('adapter.type')!r})",
                        "after +lora: give a LoRA adapter GGUF; a merged model is a target of its own (gguf:PATH)")
    base_head = base if isinstance(base, GGUFHeader) else read_header(base)
    if head.architecture != base_head.architecture:
        raise UserError(f"the adapter '{adapter.name}' is for architecture {head.architecture!r}, the base model "
                        f"'{base_head.path.name}' is {base_head.architecture!r}", hint)
    pairs = sorted({n.rsplit(".", 1)[0] for n in head.tensors if n.endswith((".lora_a", ".lora_b"))})
    if not pairs:
        raise UserError(f"the adapter '{adapter.name}' holds no lora_a/lora_b tensors", hint)
    for stem in pairs:
        a, b = head.tensors.get(stem + ".lora_a"), head.tensors.get(stem + ".lora_b")
        if a is None or b is None:
            raise UserError(f"the adapter '{adapter.name}' has only one of {stem}.lora_a / .lora_b", hint)
        w = base_head.tensors.get(stem)
        if w is None:
            raise UserError(f"the adapter '{adapter.name}' changes {stem}, which the base model "
                            f"'{base_head.path.name}' does not have", hint)
        if a[0][0] != w[0][0] or b[0][1] != w[0][1] or a[0][1] != b[0][0]:
            made_for = head.fields.get("weightwatch.modify.n_embd")  # only in adapters weightwatch wrote
            sizes = (f"n_embd {made_for} vs {base_head.n_embd}" if made_for is not None
                     else f"the base model's n_embd is {base_head.n_embd}")
            raise UserError(f"the adapter '{adapter.name}' does not fit the base model '{base_head.path.name}': "
                            f"{stem} is {w[0][:2]}, the adapter's A/B are {a[0][:2]} / {b[0][:2]} ({sizes})",
                            hint)
    from weightwatch.modify.affine import read_constants

    n_embd, n_layer = base_head.n_embd, base_head.n_layer
    if n_embd and n_layer:
        read_constants(head.fields, n_embd, n_layer, adapter.name)  # affine constants: malformed -> one line
    return head
