"""Refusal directions: per-layer difference of means between sensitive prompts and their controls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def layer_means(acts: Sequence[Mapping[int, np.ndarray]]) -> dict[int, np.ndarray]:
    if not acts:
        raise ValueError("no activations")
    layers = sorted(acts[0])
    return {i: np.mean(np.stack([a[i] for a in acts]).astype(np.float64), axis=0) for i in layers}


def directions(sensitive: Sequence[Mapping[int, np.ndarray]], control: Sequence[Mapping[int, np.ndarray]],
               harmless: Sequence[Mapping[int, np.ndarray]] | None = None, orthogonal: bool = False,
               ) -> dict[int, np.ndarray]:
    """Unit vector per layer: mean(sensitive) - mean(control); with `orthogonal`, the part of it orthogonal to
    the harmless mean (so the edit does not shrink what every prompt has in common)."""
    ms, mc = layer_means(sensitive), layer_means(control)
    mh = layer_means(harmless) if orthogonal and harmless else None
    out: dict[int, np.ndarray] = {}
    for i in ms:
        r = ms[i] - mc[i]
        if mh is not None:
            h = mh[i] / (np.linalg.norm(mh[i]) or 1.0)
            r = r - (r @ h) * h
        norm = float(np.linalg.norm(r))
        if norm > 0 and np.isfinite(norm):
            out[i] = r / norm
    return out


def separation(sensitive: Sequence[Mapping[int, np.ndarray]], control: Sequence[Mapping[int, np.ndarray]],
               v: Mapping[int, np.ndarray]) -> dict[int, float]:
    """Per layer: distance of the two arms' mean projections on v, in pooled standard deviations."""
    out: dict[int, float] = {}
    for i, d in v.items():
        ps = np.array([a[i] @ d for a in sensitive])
        pc = np.array([a[i] @ d for a in control])
        sd = float(np.sqrt((ps.var() + pc.var()) / 2)) or 1.0
        out[i] = float((ps.mean() - pc.mean()) / sd)
    return out


def center_by_group(acts: Sequence[Mapping[int, np.ndarray]], groups: Sequence[str]) -> list[dict[int, np.ndarray]]:
    """Each activation minus the mean of its group's activations, per layer. With languages as groups, a
    difference of means between refused and answered prompts no longer carries the languages' own offsets
    when one language is refused far more often than another (Qwen2.5-Coder-0.5B refuses in English and
    answers in Chinese)."""
    if len(acts) != len(groups):
        raise ValueError("one group per activation")
    means = {g: layer_means([a for a, h in zip(acts, groups, strict=True) if h == g]) for g in set(groups)}
    return [{i: a[i].astype(np.float64) - means[g][i] for i in a} for a, g in zip(acts, groups, strict=True)]
