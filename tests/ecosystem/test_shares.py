"""Shares from the hand-computed fixture (tests/ecosystem/fixtures/hand_models.json), read through the
real client from the loopback Hub, must equal the hand computation exactly, in both crediting views.

The fixture: 30-day / all-time downloads, created; lineage; root country | uploader country ("?" = unknown)
  1 Qwen/Qwen2.5-7B-Instruct            1000 / 5000, 2025-09-20; base Qwen/Qwen2.5-7B (not listed); CN | CN
  2 unsloth/Qwen2.5-7B-Instruct-GGUF     600 /  900, 2025-10-01; base #1 -> Qwen/Qwen2.5-7B;       CN | US
  3 meta-llama/Llama-3.1-8B-Instruct     800 / 9000, 2024-07-18; base meta-llama/Llama-3.1-8B;    US | US
  4 bartowski/Llama-3.1-8B-Instruct-GGUF 200 /  700, 2024-07-25; tag base #3 -> ...Llama-3.1-8B;  US | INTL
  5 deepseek-ai/DeepSeek-R1-Distill-Qwen-7B 400 / 2000, 2025-01-20; base Qwen/Qwen2.5-Math-7B;  CN | CN
  6 mistralai/Mistral-7B-Instruct-v0.3   300 / 4000, 2024-05-22; no base (own root);           FR | FR
  7 some-user/mystery-merge              100 /  100, 2025-11-01; first base #6 (merge);        FR | ?
  8 cycle-a/model-a                       50 /   50, 2025-08-01; base #9 -> #8: a cycle;        ?  | ?
  9 cycle-b/model-b                       50 /   50, no date;    base #8 -> #9: a cycle;        ?  | ?
 10 google/gemma-2-2b-it           (missing) / 3000, 2024-07-31; no base (own root);           US | US

30-day downloads, total 1000+600+800+200+400+300+100+50+50+0 = 3500
  uploader: CN 1000+400 = 1400 -> 2/5; US 600+800+0 = 1400 -> 2/5; FR 300 -> 3/35; INTL 200 -> 2/35;
            unknown 100+50+50 = 200 -> 2/35
  root:     CN 1000+600+400 = 2000 -> 4/7; US 800+200+0 = 1000 -> 2/7; FR 300+100 = 400 -> 4/35;
            unknown 50+50 = 100 -> 1/35
All-time downloads, total 5000+900+9000+700+2000+4000+100+50+50+3000 = 24800
  uploader: CN 7000 -> 35/124; US 900+9000+3000 = 12900 -> 129/248; FR 4000 -> 5/31; INTL 700 -> 7/248;
            unknown 200 -> 1/124
  root:     CN 5000+900+2000 = 7900 -> 79/248; US 9000+700+3000 = 12700 -> 127/248; FR 4100 -> 41/248;
            unknown 100 -> 1/248
Created in the 12 months before 2025-12-01 (from 2024-12-01): #1, #2, #5, #7, #8; #9 has no date (counted
apart); all-time downloads, total 5000+900+2000+100+50 = 8050
  uploader: CN 7000 -> 20/23; US 900 -> 18/161; unknown 150 -> 3/161
  root:     CN 7900 -> 158/161; FR 100 -> 2/161; unknown 50 -> 1/161
HHI (0-10,000), unknown excluded:
  countries, uploader, 30 days: known total 3300; (1400^2+1400^2+300^2+200^2)/3300^2*10^4 = 4,050,000/1,089
  organisations, uploader, 30 days (10 organisations, none unknown):
    (1000^2+600^2+800^2+200^2+400^2+300^2+100^2+50^2+50^2+0^2)/3500^2*10^4 = 2,305,000*10^4/12,250,000 = 92,200/49
"""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction as F

from tests.ecosystem.hubserver import FakeHub
from weightwatch.ecosystem.hub import take_snapshot
from weightwatch.ecosystem.lineage import resolve
from weightwatch.ecosystem.models import HubModel
from weightwatch.ecosystem.origins import load_origins
from weightwatch.ecosystem.shares import ShareTable, all_tables
from weightwatch.ecosystem.store import SnapshotStore

REF = datetime(2025, 12, 1, tzinfo=UTC)


def _tables(hub: FakeHub) -> dict[tuple[str, str, str], ShareTable]:
    with SnapshotStore() as store:
        res = take_snapshot(store, page_size=4, token=False)
        models = store.models(res.snapshot_id)
    assert len(models) == 10
    return {(t.view, t.metric, t.by): t for t in all_tables(models, load_origins(), REF)}


def _shares(t: ShareTable) -> dict[str, F]:
    return {r.key: t.fraction(r.key) for r in t.rows}


def test_hand_computed_shares_both_views(hub: FakeHub) -> None:
    t = _tables(hub)
    up30, ro30 = t[("uploader", "downloads_30d", "country")], t[("root", "downloads_30d", "country")]
    assert up30.total == ro30.total == 3500
    assert _shares(up30) == {"CN": F(2, 5), "US": F(2, 5), "FR": F(3, 35), "INTL": F(2, 35), "unknown": F(2, 35)}
    assert _shares(ro30) == {"CN": F(4, 7), "US": F(2, 7), "FR": F(4, 35), "unknown": F(1, 35)}
    # The float shown to users is exactly the fraction rounded once.
    assert up30.row("CN") is not None and up30.row("CN").share == float(F(2, 5))  # type: ignore[union-attr]
    assert (up30.models_counted, up30.models_no_downloads) == (10, 1)
    assert up30.rows[-1].key == "unknown"                      # shown, last

    upall, roall = t[("uploader", "downloads_all_time", "country")], t[("root", "downloads_all_time", "country")]
    assert upall.total == roall.total == 24800
    assert _shares(upall) == {"CN": F(35, 124), "US": F(129, 248), "FR": F(5, 31), "INTL": F(7, 248),
                              "unknown": F(1, 124)}
    assert _shares(roall) == {"CN": F(79, 248), "US": F(127, 248), "FR": F(41, 248), "unknown": F(1, 248)}

    upnew, ronew = t[("uploader", "new_12m_all_time", "country")], t[("root", "new_12m_all_time", "country")]
    assert upnew.total == ronew.total == 8050
    assert _shares(upnew) == {"CN": F(20, 23), "US": F(18, 161), "unknown": F(3, 161)}
    assert _shares(ronew) == {"CN": F(158, 161), "FR": F(2, 161), "unknown": F(1, 161)}
    assert (upnew.models_counted, upnew.models_no_date) == (5, 1)

    assert up30.hhi == float(F(4_050_000, 1_089))
    org30 = t[("uploader", "downloads_30d", "org")]
    assert org30.hhi == float(F(92_200, 49))
    assert len(org30.rows) == 10 and "unknown" not in {r.key for r in org30.rows}
    assert org30.fraction("qwen") == F(1000, 3500)


def test_root_view_by_organisation_credits_the_root_owner(hub: FakeHub) -> None:
    t = _tables(hub)
    org = t[("root", "downloads_30d", "org")]
    # Qwen: #1, #2 (via #1) and #5 (declared base Qwen/Qwen2.5-Math-7B): 2000; meta-llama: 1000.
    assert org.fraction("qwen") == F(2000, 3500)
    assert org.fraction("meta-llama") == F(1000, 3500)
    assert org.fraction("mistralai") == F(400, 3500)
    assert org.fraction("unknown") == F(100, 3500)             # the cycle: no root to credit


def test_origins_from_config_change_the_answer(hub: FakeHub) -> None:
    with SnapshotStore() as store:
        res = take_snapshot(store, page_size=4, token=False)
        models = store.models(res.snapshot_id)
    origins = load_origins({"some-user": "DE", "cycle-a": {"country": "JP", "kind": "academic"}})
    t = {(x.view, x.metric, x.by): x for x in all_tables(models, origins, REF)}
    assert t[("uploader", "downloads_30d", "country")].fraction("DE") == F(100, 3500)
    assert t[("uploader", "downloads_30d", "country")].fraction("JP") == F(50, 3500)


def _m(mid: str, *bases: str, relation: str | None = None) -> HubModel:
    return HubModel(model_id=mid, base_models=list(bases), base_model_relation=relation)


def test_lineage_cycle_terminates_and_is_marked() -> None:
    lin = resolve([_m("a/A", "b/B"), _m("b/B", "a/A"), _m("c/C", "a/A"), _m("s/S", "s/S")])
    assert lin["a/A"].status == "cycle" and lin["a/A"].root_id is None and lin["a/A"].chain == ["a/A", "b/B", "a/A"]
    assert lin["b/B"].status == "cycle"
    assert lin["c/C"].status == "cycle" and lin["c/C"].chain == ["c/C", "a/A", "b/B", "a/A"]
    assert lin["s/S"].status == "cycle" and lin["s/S"].chain == ["s/S", "s/S"]


def test_lineage_roots_and_depth_cap() -> None:
    chain = [_m(f"o/m{i}", f"o/m{i + 1}") for i in range(10)] + [_m("o/m10")]
    lin = resolve(chain, max_depth=3)
    assert lin["o/m0"].status == "depth" and lin["o/m0"].root_id == "o/m3"
    assert lin["o/m8"].status == "in_snapshot" and lin["o/m8"].root_id == "o/m10"
    assert lin["o/m10"].status == "self" and lin["o/m10"].root_id == "o/m10"
    ext = resolve([_m("u/q", "Qwen/Qwen2.5-7B", relation="quantized")])["u/q"]
    assert (ext.status, ext.root_id, ext.relation, ext.n_bases) == ("external", "Qwen/Qwen2.5-7B", "quantized", 1)
    # Case differences in declared ids still link (cards often write lower-case owners).
    assert resolve([_m("u/q", "qwen/qwen2.5-7b"), _m("Qwen/Qwen2.5-7B")])["u/q"].root_id == "Qwen/Qwen2.5-7B"


def test_series_over_two_snapshots(hub: FakeHub) -> None:
    from weightwatch.ecosystem.report import build_report

    with SnapshotStore() as store:
        take_snapshot(store, page_size=4, token=False)
        for item in hub.items:                       # a month later, Qwen doubles its downloads
            if item["id"] == "Qwen/Qwen2.5-7B-Instruct":
                item["downloads"] = 2000
        take_snapshot(store, page_size=4, token=False, fresh=True)
        rep = build_report(store)
    ups = [p for p in rep.series if p.view == "uploader"]
    assert [p.total for p in ups] == [3500, 4500]
    assert ups[0].shares["CN"] == float(F(1400, 3500)) and ups[1].shares["CN"] == float(F(2400, 4500))
