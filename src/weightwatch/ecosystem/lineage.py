"""Follow each model's declared base-model chain to its root.

Rule (see docs/ecosystem.md):
- a model with no declared base is its own root;
- otherwise follow its FIRST declared base (merges and multi-base adapters declare several; the first
  one is the one the card lists first), then that model's first base, and so on;
- when the chain leaves the snapshot (the base is not one of the snapshot's models), the root is that
  declared base id, and its origin is read from the id's owner prefix (`Qwen/Qwen2.5-7B` -> `Qwen`);
- a chain that comes back to a model already on it is a cycle: it stops, is marked `cycle`, and the
  model's root is unknown (there is no true root to credit);
- a chain longer than `max_depth` steps stops, is marked `depth`, and is credited to the last model
  reached.
Every model gets a `Lineage`: nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel

from weightwatch.ecosystem.models import HubModel

Status = Literal["self", "in_snapshot", "external", "cycle", "depth"]
MAX_DEPTH = 32


class Lineage(BaseModel):
    model_id: str
    root_id: str | None          # None only for cycles
    chain: list[str]             # model_id, its base, ..., root (for cycles: up to the repeated model)
    status: Status
    relation: str | None = None  # the model's own relation to its first base (quantized, finetune, ...)
    n_bases: int = 0             # how many bases the model declares (more than one: merge or multi-adapter)


def resolve(models: Iterable[HubModel], max_depth: int = MAX_DEPTH) -> dict[str, Lineage]:
    by_id = {m.model_id: m for m in models}
    by_lower = {k.lower(): k for k in by_id}
    out: dict[str, Lineage] = {}
    for mid, m in by_id.items():
        chain = [mid]
        seen = {mid.lower()}
        cur = m
        status: Status = "self"
        root: str | None = mid
        steps = 0
        while cur.base_models:
            base = cur.base_models[0]
            if base.lower() in seen:
                chain.append(base)
                status, root = "cycle", None
                break
            if steps >= max_depth:
                status, root = "depth", cur.model_id
                break
            steps += 1
            chain.append(base)
            seen.add(base.lower())
            known = by_lower.get(base.lower())
            if known is None:
                status, root = "external", base
                break
            cur = by_id[known]
            status, root = "in_snapshot", known
        out[mid] = Lineage(model_id=mid, root_id=root, chain=chain, status=status,
                           relation=m.base_model_relation if m.base_models else None, n_bases=len(m.base_models))
    return out
