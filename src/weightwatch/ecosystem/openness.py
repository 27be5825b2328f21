"""How open is an "open" model: licence class, training data disclosed, training code linked.

Licence class (data/licenses.yaml): `osi` (OSI-approved: Apache-2.0, MIT, BSD, GPL, ...), `open-data`
(permissive content licences: CC-BY, CC0, ODC-By, ...), `restricted` (downloadable weights under use
restrictions: Llama, Gemma, Qwen/Tongyi-Qianwen, DeepSeek model licence, OpenRAIL, non-commercial CC,
...), `unknown` (no licence, `other` without a recognised `license_name`, or anything unlisted).

Data disclosed: the card's `datasets:` list is not empty, or the model carries a `dataset:<id>` tag.
Code linked: a link to a code host (github.com, gitlab.com, codeberg.org, huggingface.co/spaces is not
code) appears in the card metadata, or in the README body when it was fetched. With no link in the
metadata and the README not fetched, it is `None` (unknown), never "no": snapshots hold only the card
metadata, and most models link their code in the README (`adoption snapshot --cards`, `openness --card`).

Openness level (the rule, in this order):
1. licence `unknown`                              -> `unknown`
2. licence `restricted`                           -> `open-weight restricted`
3. licence `osi`/`open-data`, data AND code       -> `open-source`
4. licence `osi`/`open-data`, data or code missing -> `open-weight permissive`
   (data named but code unknown because the README was not read -> `unknown`)
Nothing here judges whether the disclosed data is complete: "data disclosed" means the training data
is named, which is necessary for open source in the OSI's sense, not sufficient.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel

from weightwatch.datafiles import package_yaml
from weightwatch.ecosystem.models import HubModel

LicenceClass = Literal["osi", "open-data", "restricted", "unknown"]
Level = Literal["open-source", "open-weight permissive", "open-weight restricted", "unknown"]
LEVELS: tuple[Level, ...] = ("open-source", "open-weight permissive", "open-weight restricted", "unknown")
_CODE_RE = re.compile(r"https?://(?:www\.)?(?:github\.com|gitlab\.com|codeberg\.org|bitbucket\.org)/[\w.-]+/[\w.-]+",
                      re.IGNORECASE)


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, LicenceClass], dict[str, LicenceClass]]:
    raw = package_yaml("weightwatch.ecosystem", "data/licenses.yaml")
    ids: dict[str, LicenceClass] = {}
    for cls, names in raw["ids"].items():
        for n in names:
            ids[str(n).lower()] = cls
    others = {str(k).lower(): v for k, v in raw["other_names"].items()}
    return ids, others


def licence_class(license_id: str | None, license_name: str | None = None) -> tuple[LicenceClass, str]:
    """(class, the licence as we read it). `license_name` only matters when the id is `other`."""
    ids, others = _table()
    lid = (license_id or "").strip().lower()
    if lid in ("", "unknown"):
        return "unknown", "none declared"
    if lid == "other":
        name = (license_name or "").strip().lower()
        if name and name in others:
            return others[name], f"other: {name}"
        return "unknown", f"other: {name}" if name else "other (custom text)"
    return ids.get(lid, "unknown"), lid


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


class Openness(BaseModel):
    model_id: str
    license: str
    licence_class: LicenceClass
    data_disclosed: bool
    datasets: list[str]
    code_linked: bool | None  # None: no link in the metadata and the README was not fetched
    code_links: list[str]
    card_text_checked: bool
    level: Level
    reasons: list[str]


def level_of(cls: LicenceClass, data: bool, code: bool | None) -> Level:
    if cls == "unknown":
        return "unknown"
    if cls == "restricted":
        return "open-weight restricted"
    if data and code is None:
        return "unknown"  # open source or not depends on a README nobody read
    return "open-source" if data and code else "open-weight permissive"


def yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def assess(model: HubModel) -> Openness:
    card = model.card
    name = card.get("license_name")
    cls, lic = licence_class(model.license, name if isinstance(name, str) else None)
    datasets = [d for d in _strings(card.get("datasets")) if d.strip()]
    datasets += [t.split(":", 1)[1] for t in model.tags if t.startswith("dataset:")]
    datasets = list(dict.fromkeys(datasets))
    links = _CODE_RE.findall(" ".join(_strings(card)))
    if model.card_text:
        links += _CODE_RE.findall(model.card_text)
    links = list(dict.fromkeys(x.rstrip(".,)") for x in links))
    data = bool(datasets)
    code: bool | None = True if links else (False if model.card_text is not None else None)
    level = level_of(cls, data, code)
    data_note = ("named: " + ", ".join(datasets[:3])) if data else "not named (no datasets: in card, no dataset: tag)"
    if code:
        code_note = "linked: " + links[0]
    elif code is None:
        code_note = "unknown: not linked in card metadata (README body not fetched; use --cards / --card)"
    else:
        code_note = "not linked (card metadata and README read)"
    reasons = [f"licence {lic} -> {cls}", f"training data {data_note}", f"training code {code_note}"]
    return Openness(model_id=model.model_id, license=lic, licence_class=cls, data_disclosed=data, datasets=datasets,
                    code_linked=code, code_links=links, card_text_checked=model.card_text is not None, level=level,
                    reasons=reasons)
