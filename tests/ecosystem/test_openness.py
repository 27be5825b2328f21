from __future__ import annotations

import pytest

from weightwatch.ecosystem.models import HubModel
from weightwatch.ecosystem.openness import assess, licence_class


@pytest.mark.parametrize(("lid", "name", "expected"), [
    ("apache-2.0", None, "osi"),
    ("MIT", None, "osi"),
    ("bsd-3-clause", None, "osi"),
    ("gpl-3.0", None, "osi"),
    ("cc-by-4.0", None, "open-data"),
    ("cc0-1.0", None, "open-data"),
    ("gfdl", None, "open-data"),          # the GNU FDL is a free licence: no use restriction
    ("llama3.1", None, "restricted"),
    ("llama4", None, "restricted"),
    ("gemma", None, "restricted"),
    ("cc-by-nc-4.0", None, "restricted"),
    ("bigscience-openrail-m", None, "restricted"),
    ("other", "qwen", "restricted"),
    ("other", "Tongyi-Qianwen", "restricted"),
    ("other", "deepseek", "restricted"),
    ("other", "modified-mit", "restricted"),
    ("other", "my custom terms", "unknown"),
    ("other", None, "unknown"),
    (None, None, "unknown"),
    ("some-new-licence", None, "unknown"),
])
def test_licence_classes(lid: str | None, name: str | None, expected: str) -> None:
    assert licence_class(lid, name)[0] == expected


def _m(**kw: object) -> HubModel:
    return HubModel(model_id="o/m", **kw)  # type: ignore[arg-type]


def test_levels_follow_the_documented_rule() -> None:
    # OSI licence + data named + code linked -> open-source
    olmo = _m(license="apache-2.0", tags=["dataset:allenai/olmo-mix-1124"],
              card={"license": "apache-2.0"}, card_text="Code: https://github.com/allenai/OLMo")
    o = assess(olmo)
    assert (o.level, o.data_disclosed, o.code_linked) == ("open-source", True, True)
    assert o.code_links == ["https://github.com/allenai/OLMo"] and o.datasets == ["allenai/olmo-mix-1124"]
    # OSI licence, no data -> open-weight permissive
    assert assess(_m(license="mit", card={"license": "mit"})).level == "open-weight permissive"
    # data in the card's `datasets:`, README read, no code link -> still permissive
    o2 = assess(_m(license="apache-2.0", card={"license": "apache-2.0", "datasets": ["HuggingFaceTB/smollm-corpus"]},
                   card_text="# SmolLM\nTrained on the corpus above."))
    assert o2.level == "open-weight permissive" and o2.data_disclosed and o2.code_linked is False
    # the same without the README: whether code is linked is unknown, never "no"; so is the level
    o3 = assess(_m(license="apache-2.0", card={"license": "apache-2.0", "datasets": ["HuggingFaceTB/smollm-corpus"]}))
    assert o3.code_linked is None and o3.level == "unknown" and o3.reasons[2].startswith("training code unknown")
    # restricted licence, even with data and code -> open-weight restricted
    llama = _m(license="llama3.1", tags=["dataset:x/y"], card_text="https://github.com/meta-llama/llama-models")
    assert assess(llama).level == "open-weight restricted"
    # `other` + licence name
    assert assess(_m(license="other", card={"license": "other", "license_name": "qwen"})).level == \
        "open-weight restricted"
    # nothing declared -> unknown
    u = assess(_m())
    assert u.level == "unknown" and u.license == "none declared"
    assert "README body not fetched" in u.reasons[2]


def test_code_link_in_card_metadata_counts() -> None:
    m = _m(license="apache-2.0", card={"license": "apache-2.0", "datasets": "a/b",
                                      "model-index": [{"name": "x", "results": [],
                                                       "source": "https://gitlab.com/lab/train-code"}]})
    o = assess(m)
    assert o.level == "open-source" and o.code_links == ["https://gitlab.com/lab/train-code"]
    # A link to a Space or a paper is not training code.
    assert not assess(_m(license="mit", card_text="see https://huggingface.co/spaces/a/b and arxiv.org/abs/1")
                      ).code_linked
