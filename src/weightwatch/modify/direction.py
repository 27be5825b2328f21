"""Refusal directions: per-layer difference of means between two groups of prompts (refused vs answered, or
sensitive vs control); and k directions per layer (``cluster_bases``, ``pca_bases``) for a rank-k edit."""

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


def orthogonal_to(dirs: Mapping[int, np.ndarray], offsets: Mapping[int, Sequence[np.ndarray]],
                  ) -> dict[int, np.ndarray]:
    """Each layer's unit direction made orthogonal to the span of that layer's `offsets` (e.g. each language's
    mean activation minus the mean over languages), renormalised; a layer whose direction lies in the span
    is dropped. Along the result, the groups the offsets separate have the same mean projection."""
    out: dict[int, np.ndarray] = {}
    for i, d in dirs.items():
        offs = [np.asarray(o, dtype=np.float64) for o in offsets.get(i, []) if np.linalg.norm(o) > 0]
        r = np.asarray(d, dtype=np.float64)
        if offs:
            try:
                q = orthonormal(np.stack(offs, axis=1))
            except ValueError:
                q = np.zeros((len(r), 0))
            for _ in range(2):
                r = r - q @ (q.T @ r)
        norm = float(np.linalg.norm(r))
        if norm > 1e-8 and np.isfinite(norm):
            out[i] = r / norm
    return out


def orthonormal(v: np.ndarray, tol: float = 1e-8) -> np.ndarray:
    """(n, k') orthonormal columns spanning the columns of `v` ((n,) or (n, k)), in order (Gram-Schmidt, twice
    for accuracy); a column (nearly) inside the span of the earlier ones is dropped. ValueError if none is left."""
    m = np.asarray(v, dtype=np.float64)
    if m.ndim == 1:
        m = m.reshape(-1, 1)
    cols: list[np.ndarray] = []
    for j in range(m.shape[1]):
        c = m[:, j].copy()
        scale = float(np.linalg.norm(c))
        if not np.isfinite(scale) or scale == 0:
            continue
        for _ in range(2):
            for q in cols:
                c -= (q @ c) * q
        norm = float(np.linalg.norm(c))
        if norm > tol * scale:
            cols.append(c / norm)
    if not cols:
        raise ValueError("the direction has no length")
    return np.stack(cols, axis=1)


def cluster_bases(positive: Sequence[Mapping[int, np.ndarray]], clusters: Sequence[str],
                  negative: Sequence[Mapping[int, np.ndarray]], k: int, min_size: int = 2,
                  ) -> tuple[dict[int, np.ndarray], dict[str, int]]:
    """Per layer, up to k orthonormal directions: the pooled mean(positive) - mean(negative) first, then each
    cluster's mean(positive in the cluster) - mean(negative), largest cluster first, each made orthogonal to
    the ones before (so the rank-1 direction's span is always inside). `clusters`: one key per positive
    activation (e.g. the opening of the base model's refusal); clusters under `min_size` prompts are not
    used. Returns (layer -> (n_embd, k') basis, cluster -> size of the clusters used)."""
    if len(positive) != len(clusters):
        raise ValueError("one cluster key per positive activation")
    sizes: dict[str, int] = {}
    for c in clusters:
        sizes[c] = sizes.get(c, 0) + 1
    used = [c for c in sorted(sizes, key=lambda c: (-sizes[c], c)) if sizes[c] >= min_size][: max(0, k - 1) + 1]
    mp, mn = layer_means(positive), layer_means(negative)
    members = {c: [a for a, d in zip(positive, clusters, strict=True) if d == c] for c in used}
    means = {c: layer_means(members[c]) for c in used}
    out: dict[int, np.ndarray] = {}
    for i in mp:
        cols = [mp[i] - mn[i], *[means[c][i] - mn[i] for c in used]]
        try:
            out[i] = orthonormal(np.stack(cols, axis=1))[:, :k]
        except ValueError:
            continue
    return out, {c: sizes[c] for c in used}


def pca_bases(positive: Sequence[Mapping[int, np.ndarray]], negative: Sequence[Mapping[int, np.ndarray]],
              k: int) -> dict[int, np.ndarray]:
    """Per layer, the top-k right singular vectors of the per-prompt differences (each positive activation
    minus the negative mean; not centred, so the first one is close to the difference of means), as an
    (n_embd, k) orthonormal basis whose first column points along the difference of means."""
    mp, mn = layer_means(positive), layer_means(negative)
    out: dict[int, np.ndarray] = {}
    for i in mp:
        d = np.stack([a[i].astype(np.float64) - mn[i] for a in positive])
        if not np.isfinite(d).all() or not d.any():
            continue
        _, _, vt = np.linalg.svd(d, full_matrices=False)
        basis = vt[:k].T.copy()
        if basis[:, 0] @ (mp[i] - mn[i]) < 0:
            basis[:, 0] = -basis[:, 0]
        out[i] = orthonormal(basis)
    return out
