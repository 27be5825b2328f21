"""Affine (mean-preserving) ablation (``--edit affine``): the constant part of the edit, its storage in the
adapter GGUF, and how llama.cpp applies it (a control vector).

Directional ablation (Arditi et al.) edits every residual write W of the edited layers to W - lambda V V^T W:
the writes lose their component along the directions, on every prompt, so prompts that sit near the
refusal region without being refused (matched political controls) move as much as refused ones. Affine
concept editing (Marshall et al. 2024, "Refusal in LLMs: an affine function") sets the component to a
reference value instead: x' = x - V V^T (x - mu), mu the mean activation of prompts the model answers.
For the weight edit that means: every edited layer's writes keep the *mean* of their component along V over
the reference prompts and lose only the deviation from it,

    W' x = W x - lambda V V^T (W x - E_ref[W x])      so      W' x = (W - lambda V V^T W) x + lambda c_L
    c_L = V V^T (mu_L - mu_{L-1})

with mu_L the reference prompts' mean residual stream after layer L (the sum of a layer's two writes is
x_L - x_{L-1}) and mu_{-1} their mean token embedding at the last prompt token. The LoRA pair is the one of
the ablation; c_L is a per-layer constant that llama.cpp adds to the layer's output as a **control vector**
(``llama_set_adapter_cvec``; the graph adds it before ``l_out-<layer>``). With every layer edited at lambda
1 the residual stream's component along V after layer L is then mu_L's exactly, at the last prompt token,
when that token is the same for every prompt (the chat template's generation prompt: its embedding's
component is a constant): the affine edit. With a window of layers a..b the component entering the window
is not removed (a constant cannot cancel a prompt-dependent part), so the window's layers keep the mean of
their writes: mean-preserving ablation. At lambda < 1 both the removal and the constant scale with lambda.

llama.cpp has no control vector for layer 0 (its buffer starts at layer 1), so layer 0's constant is added at
layer 1 instead (the residual after layer 0 keeps the embedding's component, from layer 1 on it is exact);
an edit of layer 0 must therefore also edit layer 1.

Storage: the constants at lambda as written (the adapter's B holds -lambda V, so they scale together) go into
the adapter GGUF's metadata, ``weightwatch.modify.offsets.layers`` (int32 array) and
``weightwatch.modify.offsets.data`` (float32 array, one n_embd row per layer): llama.cpp's LoRA loader
ignores metadata it does not know (it rejects unknown tensors), and the adapter's sha256 covers them.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from weightwatch.errors import UserError

KEY_LAYERS = "weightwatch.modify.offsets.layers"
KEY_DATA = "weightwatch.modify.offsets.data"
EDITS = ("ablation", "affine")


def write_constants(means: Mapping[int, np.ndarray], embd_mean: np.ndarray,
                    basis: Callable[[int], np.ndarray], layers: Sequence[int]) -> dict[int, np.ndarray]:
    """Per edited layer, at lambda 1, the constant c_L = V_L V_L^T (mu_L - mu_{L-1}) (see the module
    docstring); mu_{-1} = `embd_mean`. Layer 0's constant is added to layer 1's (ValueError when layer 0 is
    edited and layer 1 is not). `basis(L)`: the (n_embd, k) orthonormal directions of layer L's edit."""
    out: dict[int, np.ndarray] = {}
    for layer in sorted(set(layers)):
        prev = means[layer - 1] if layer > 0 else embd_mean
        p = basis(layer)
        out[layer] = p @ (p.T @ (np.asarray(means[layer], dtype=np.float64) - np.asarray(prev, dtype=np.float64)))
    if 0 in out:
        if 1 not in out:
            raise ValueError("an affine edit of layer 0 must edit layer 1 too (llama.cpp has no control vector "
                             "for layer 0)")
        out[1] = out[1] + out.pop(0)
    return out


def meta_fields(constants: Mapping[int, np.ndarray], lam: float) -> dict[str, list[Any]]:
    """The metadata arrays of an adapter: the constants at strength `lam` (the adapter's own)."""
    layers = sorted(constants)
    data = np.concatenate([np.asarray(constants[i], dtype=np.float64) * float(lam) for i in layers]) \
        if layers else np.zeros(0)
    return {KEY_LAYERS: [int(i) for i in layers], KEY_DATA: [float(x) for x in data.astype(np.float32)]}


def read_constants(fields: Mapping[str, Any], n_embd: int, n_layer: int, name: str) -> dict[int, np.ndarray] | None:
    """The constants stored in an adapter's metadata (`fields`: key -> value, as ``read_header`` gives them);
    None when it has none. UserError (one line) when they are malformed or do not fit the model."""
    layers, data = fields.get(KEY_LAYERS), fields.get(KEY_DATA)
    if layers is None and data is None:
        return None
    hint = "write the adapter again with weightwatch modify refusal-direction --edit affine for this base model"
    if not isinstance(layers, list) or not isinstance(data, list):
        raise UserError(f"the adapter '{name}' has malformed affine constants ({KEY_LAYERS} / {KEY_DATA})", hint)
    try:
        ls = [int(x) for x in layers]
        arr = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise UserError(f"the adapter '{name}' has malformed affine constants ({exc})", hint) from exc
    if arr.size != len(ls) * n_embd:
        raise UserError(f"the adapter '{name}' has affine constants of {arr.size} values for {len(ls)} layer(s); "
                        f"the base model has n_embd {n_embd}", hint)
    bad = [i for i in ls if not 1 <= i < n_layer]
    if bad or len(set(ls)) != len(ls):
        raise UserError(f"the adapter '{name}' has affine constants for layer(s) {bad or ls} (the base model has "
                        f"{n_layer} layers; llama.cpp adds constants to layers 1..{n_layer - 1})", hint)
    if not np.isfinite(arr).all():
        raise UserError(f"the adapter '{name}' has non-finite affine constants", hint)
    rows = arr.reshape(len(ls), n_embd) if ls else arr.reshape(0, n_embd)
    return {i: rows[j] for j, i in enumerate(ls)}


def cvec_buffer(constants: Mapping[int, np.ndarray], n_embd: int, n_layer: int, scale: float) -> np.ndarray:
    """llama.cpp's control-vector buffer: n_embd x (n_layer - 1) float32, layer 1 first (layer 0 has none)."""
    buf = np.zeros((max(0, n_layer - 1), n_embd), dtype=np.float32)
    for i, c in constants.items():
        if not 1 <= i < n_layer:
            raise ValueError(f"no control vector for layer {i}")
        buf[i - 1] = (np.asarray(c, dtype=np.float64) * float(scale)).astype(np.float32)
    return buf.reshape(-1)


def apply_cvec(lc: Any, ctx: Any, constants: Mapping[int, np.ndarray] | None, n_embd: int, n_layer: int,
               scale: float = 1.0) -> Any:
    """Set (or, with None, clear) the control vector of a llama.cpp context. Returns the buffer (keep it
    alive as long as the context uses it: llama.cpp copies it, but holding it costs nothing)."""
    if not constants:
        lc.llama_set_adapter_cvec(ctx, None, 0, n_embd, -1, -1)
        return None
    buf = cvec_buffer(constants, n_embd, n_layer, scale)
    rc = lc.llama_set_adapter_cvec(ctx, buf.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), buf.size, n_embd,
                                   1, n_layer - 1)
    if rc != 0:
        raise UserError("llama.cpp could not apply the adapter's affine constants (control vector)",
                        "check that the adapter was written for this base model")
    return buf


def projection_stats(groups: Mapping[str, Sequence[Mapping[int, np.ndarray]]], v: np.ndarray,
                     layers: Sequence[int]) -> dict[str, dict[str, list[float]]]:
    """Diagnostic: per layer, per group of activations, [mean, sd, n] of the projection x . v."""
    out: dict[str, dict[str, list[float]]] = {}
    for layer in layers:
        row: dict[str, list[float]] = {}
        for g, acts in groups.items():
            if not acts:
                continue
            p = np.array([float(np.asarray(a[layer], dtype=np.float64) @ v) for a in acts])
            row[g] = [round(float(p.mean()), 3), round(float(p.std()), 3), float(len(p))]
        out[str(layer)] = row
    return out
