"""The one row per Hub model that a snapshot keeps, and how it is read from `huggingface_hub.ModelInfo`.

Every field may be missing in a Hub answer (an `expand` list only returns what it names, old repos
have no card, private fields are withheld): a missing value stays `None` and is reported as unknown
downstream, never dropped and never guessed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

# Relations the Hub documents for `base_model_relation` (and in `base_model:<relation>:<id>` tags).
RELATIONS = ("adapter", "merge", "quantized", "finetune")
_TAG_RE = re.compile(r"^base_model:(?:(adapter|merge|quantized|finetune):)?(.+)$")


class HubModel(BaseModel):
    model_id: str
    author: str | None = None
    downloads_30d: int | None = None
    downloads_all_time: int | None = None
    likes: int | None = None
    created_at: datetime | None = None
    library: str | None = None
    pipeline_tag: str | None = None
    tags: list[str] = Field(default_factory=list)
    base_models: list[str] = Field(default_factory=list)   # declared parents, in declaration order
    base_model_relation: str | None = None
    license: str | None = None                               # Hub licence id (card or `license:` tag)
    params: int | None = None                                # parameter count (safetensors or gguf total)
    card: dict[str, Any] = Field(default_factory=dict)       # card metadata (YAML header) as a dict
    card_text: str | None = None                             # README body, only when it was fetched


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list | tuple):
        out: list[str] = []
        for v in value:
            if isinstance(v, str) and v.strip():
                out.append(v.strip())
            elif isinstance(v, dict) and isinstance(v.get("id"), str):
                out.append(v["id"])
        return out
    return []


def _dedup(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i in items:
        if i not in seen:
            seen.add(i)
            out.append(i)
    return out


def _card_dict(card: Any) -> dict[str, Any]:
    if card is None:
        return {}
    if isinstance(card, dict):
        return dict(card)
    to_dict = getattr(card, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        return dict(data) if isinstance(data, dict) else {}
    return {}


def base_models_of(info_base_models: Any, card: dict[str, Any], tags: list[str]) -> tuple[list[str], str | None]:
    """Declared parents and the relation, from the three places the Hub records them.

    - `baseModels` (expand): the Hub answers `{"relation": "quantized", "models": [{"id": "..."}]}`
      (huggingface_hub documents `base_models` as a list of strings; both shapes are accepted);
    - the card's `base_model` (string or list) and `base_model_relation`;
    - tags `base_model:<id>` and `base_model:<relation>:<id>`.
    """
    bases: list[str] = []
    relation: str | None = None
    if isinstance(info_base_models, dict):
        bases += _as_list(info_base_models.get("models"))
        rel = info_base_models.get("relation")
        relation = rel if isinstance(rel, str) else None
    else:
        bases += _as_list(info_base_models)
    bases += _as_list(card.get("base_model"))
    rel = card.get("base_model_relation")
    if relation is None and isinstance(rel, str):
        relation = rel
    for tag in tags:
        m = _TAG_RE.match(tag)
        if m:
            bases.append(m.group(2))
            if relation is None and m.group(1):
                relation = m.group(1)
    return _dedup(bases), relation


def license_of(card: dict[str, Any], tags: list[str]) -> str | None:
    lic = card.get("license")
    if isinstance(lic, list):
        lic = lic[0] if lic else None
    if isinstance(lic, str) and lic.strip():
        return lic.strip().lower()
    for tag in tags:
        if tag.startswith("license:"):
            return tag.split(":", 1)[1].strip().lower() or None
    return None


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def params_of(safetensors: Any, gguf: Any) -> int | None:
    for source in (safetensors, gguf):
        total = None
        if isinstance(source, dict):
            total = source.get("total")
        elif source is not None:
            total = getattr(source, "total", None)
        n = _int_or_none(total)
        if n is not None:
            return n
    return None


def from_model_info(info: Any) -> HubModel:
    """Read the fields we keep from a `huggingface_hub.ModelInfo` (or anything with the same attributes)."""
    tags = [t for t in (getattr(info, "tags", None) or []) if isinstance(t, str)]
    card = _card_dict(getattr(info, "card_data", None))
    bases, relation = base_models_of(getattr(info, "base_models", None), card, tags)
    created = getattr(info, "created_at", None)
    if isinstance(created, datetime) and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    model_id = str(info.id)
    author = getattr(info, "author", None)
    return HubModel(
        model_id=model_id,
        author=author if isinstance(author, str) and author else None,
        downloads_30d=_int_or_none(getattr(info, "downloads", None)),
        downloads_all_time=_int_or_none(getattr(info, "downloads_all_time", None)),
        likes=_int_or_none(getattr(info, "likes", None)),
        created_at=created if isinstance(created, datetime) else None,
        library=getattr(info, "library_name", None),
        pipeline_tag=getattr(info, "pipeline_tag", None),
        tags=tags,
        base_models=bases,
        base_model_relation=relation,
        license=license_of(card, tags),
        params=params_of(getattr(info, "safetensors", None), getattr(info, "gguf", None)),
        card=card,
    )
