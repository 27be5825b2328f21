"""Reproducing the adoption study's framing: the developer view, windowed downloads from two snapshots,
coverage against a census, --census / --cards / --weekly, and every view labelled with its definition.
All against the loopback fake Hub (no real Hub is contacted)."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime, timedelta
from fractions import Fraction as F
from pathlib import Path

from typer.testing import CliRunner

from tests.ecosystem.hubserver import FakeHub
from tests.ecosystem.test_cli_report import _app
from weightwatch.ecosystem.hub import fetch_cards, take_snapshot
from weightwatch.ecosystem.origins import load_origins
from weightwatch.ecosystem.report import adoption_html_section, build_report
from weightwatch.ecosystem.shares import all_tables
from weightwatch.ecosystem.store import SnapshotStore

REF = datetime(2025, 12, 1, tzinfo=UTC)


def _shares(t) -> dict[str, F]:  # type: ignore[no-untyped-def]
    return {r.key: t.fraction(r.key) for r in t.rows}


def test_developer_view_puts_reuploads_in_the_unaffiliated_community_bucket(hub: FakeHub) -> None:
    # 30-day downloads: #2 unsloth quantization 600 and #4 bartowski quantization 200 -> community 800;
    # CN 1000 + 400, US 800 + 0 (gemma has no 30-day count), FR 300, unknown 100 + 50 + 50; total 3500
    with SnapshotStore() as store:
        res = take_snapshot(store, page_size=4, token=False)
        models = store.models(res.snapshot_id)
    t = {(x.view, x.metric, x.by): x for x in all_tables(models, load_origins(), REF)}
    dev = t[("developer", "downloads_30d", "country")]
    assert dev.total == 3500
    assert _shares(dev) == {"CN": F(1400, 3500), "US": F(800, 3500), "FR": F(300, 3500),
                            "community": F(800, 3500), "unknown": F(200, 3500)}
    assert dev.row("community").label.startswith("Unaffiliated community")  # type: ignore[union-attr]
    # unsloth is US in the uploader view: the developer view does not credit its re-uploads to the US
    assert t[("uploader", "downloads_30d", "country")].fraction("US") == F(1400, 3500)
    # an account the user marks as a re-uploader in weightwatch.toml joins the bucket
    mine = load_origins({"some-user": {"country": "DE", "reuploader": True}})
    t2 = {(x.view, x.metric, x.by): x for x in all_tables(models, mine, REF)}
    assert t2[("developer", "downloads_30d", "country")].fraction("community") == F(900, 3500)


def test_windowed_downloads_from_two_snapshots(hub: FakeHub) -> None:
    with SnapshotStore() as store:
        first = take_snapshot(store, page_size=4, token=False)
        bump = {"Qwen/Qwen2.5-7B-Instruct": 500, "unsloth/Qwen2.5-7B-Instruct-GGUF": 100,
                "meta-llama/Llama-3.1-8B-Instruct": 200}
        for item in hub.items:
            item["downloadsAllTime"] = item["downloadsAllTime"] + bump.get(item["id"], 0)
        hub.items[:] = [i for i in hub.items if i["id"] != "google/gemma-2-2b-it"]          # gone
        created = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
        hub.items.append({"_id": "n", "id": "Qwen/Qwen3-0.6B", "author": "Qwen", "downloads": 40,
                          "downloadsAllTime": 40, "createdAt": created, "tags": ["license:apache-2.0"]})
        second = take_snapshot(store, page_size=4, token=False, fresh=True)
        rep = build_report(store, second.snapshot_id)
        none = build_report(store, second.snapshot_id, window_from=None)
        explicit = build_report(store, second.snapshot_id, window_from=first.snapshot_id)
    assert none.window is None and explicit.window is not None
    w = rep.window
    assert w is not None and (w.start_snapshot, w.end_snapshot) == (first.snapshot_id, second.snapshot_id)
    assert (w.stats.matched, w.stats.new, w.stats.gone, w.stats.no_baseline) == (9, 1, 1, 0)
    tabs = {t.view: t for t in w.tables}
    assert tabs["uploader"].total == 840
    assert _shares(tabs["uploader"]) == {"CN": F(540, 840), "US": F(300, 840), "FR": 0, "INTL": 0, "unknown": 0}
    assert {k: v for k, v in _shares(tabs["root"]).items() if v} == {"CN": F(640, 840), "US": F(200, 840)}
    assert {k: v for k, v in _shares(tabs["developer"]).items() if v} == {
        "CN": F(540, 840), "US": F(200, 840), "community": F(100, 840)}
    # only the model created within the window: the study's "new models" framing
    assert {t.view: t.total for t in w.new_tables} == {"uploader": 40, "root": 40, "developer": 40}
    assert _shares(w.new_tables[0]) == {"CN": 1}
    html = adoption_html_section(rep)
    assert "downloads between two snapshots" in html and "The closest to the study" in html


def test_coverage_against_a_census_and_the_census_preset(hub: FakeHub) -> None:
    runner = CliRunner()
    app = _app()
    r = runner.invoke(app, ["adoption", "snapshot", "--limit", "3", "--page-size", "4", "--pace", "0"])
    assert r.exit_code == 0, r.output
    with SnapshotStore() as store:
        no_census = build_report(store)
    assert no_census.coverage is not None and no_census.coverage.share_30d is None
    assert "unknown: no census snapshot" in no_census.coverage.text
    hub.drop_pages = {3}                                    # the census stops on its last page ...
    r = runner.invoke(app, ["adoption", "snapshot", "--census", "--pace", "0", "--retries", "0"])
    assert r.exit_code != 0
    hub.drop_pages = set()                                  # ... and the same command resumes it
    r = runner.invoke(app, ["adoption", "snapshot", "--census", "--pace", "0"])
    assert r.exit_code == 0, r.output
    assert "resumed" in r.output
    assert hub.pages_requested().count(1) == 2            # page 1 once per snapshot: the census did not refetch it
    with SnapshotStore() as store:
        snaps = store.snapshots("finished")
        census = snaps[-1]
        assert census.params["limit"] is None and census.params["page_size"] == 1000 and census.models == 10
        top3 = build_report(store, snaps[0].id)
        full = build_report(store, census.id)
    cov = top3.coverage
    assert cov is not None and cov.census_id == census.id
    assert cov.share_30d == 2400 / 3500 and "68.6% of all 30-day Hub downloads" in cov.text
    assert full.coverage is not None and full.coverage.share_30d == 1.0 and "census" in full.coverage.text
    r = runner.invoke(app, ["adoption", "report", str(snaps[0].id)], env={"COLUMNS": "200"})
    assert "Coverage:" in r.stdout and "68.6%" in r.stdout


def test_cards_read_readmes_so_openness_knows_the_code_link(home: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.ecosystem.hubserver import load_items

    readmes = {"Qwen/Qwen2.5-7B-Instruct": "# Qwen\nTraining code: https://github.com/QwenLM/Qwen2.5\n",
               "unsloth/Qwen2.5-7B-Instruct-GGUF": "# GGUF\nQuantized with llama.cpp.\n"}
    items = load_items("hand_models.json")
    for i in items:                       # name the training data, so the code link decides the level
        if i["id"] in readmes:
            i["cardData"] = {**(i.get("cardData") or {}), "datasets": ["some/corpus"]}
    with FakeHub(items, page_size=4, readmes=readmes) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        r = CliRunner().invoke(_app(), ["adoption", "snapshot", "--cards", "--cards-top", "3", "--pace", "0"])
        assert r.exit_code == 0, r.output
        asked = [p for p, _, _ in server.requests if p.endswith("/README.md")]
        assert len(asked) == 3                                          # the three most downloaded
        with SnapshotStore() as store:
            sid = store.snapshots()[-1].id
            assert fetch_cards(store, sid, top=3, token=False) == 0     # resumable: nothing fetched again
            rep = build_report(store)
    rows = {o.model_id: o for o in rep.openness}
    assert rows["Qwen/Qwen2.5-7B-Instruct"].code_linked is True
    assert rows["Qwen/Qwen2.5-7B-Instruct"].level == "open-source"
    assert rows["unsloth/Qwen2.5-7B-Instruct-GGUF"].code_linked is False                  # README read: no link
    assert rows["meta-llama/Llama-3.1-8B-Instruct"].code_linked is False                  # no README at all
    assert rows["deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"].code_linked is None            # not read: unknown
    assert rep.cards_fetched == 3


def test_weekly_prints_a_cron_schedule_and_takes_no_snapshot(hub: FakeHub, home: Path) -> None:
    r = CliRunner().invoke(_app(), ["adoption", "snapshot", "--weekly", "--limit", "2000", "--author", "Qwen"])
    assert r.exit_code == 0, r.output
    assert hub.requests == []                                           # no network
    line = next(x for x in r.stdout.splitlines() if x.startswith("0 6 * * 1 "))
    words = shlex.split(line[len("0 6 * * 1 "):].split(" >> ")[0])
    assert words[0] == f"WEIGHTWATCH_HOME={home}" and words[1] == f"HF_ENDPOINT={hub.endpoint}"
    i = words.index("adoption")
    assert words[i:i + 2] == ["adoption", "snapshot"]
    assert {"--limit=2000", "--author=Qwen", "--fresh"} <= set(words) and "--weekly" not in words
    assert "crontab -" in r.stdout and "weightwatch adoption report" in r.stdout


def test_every_view_and_metric_is_labelled_with_its_definition(hub: FakeHub) -> None:
    runner = CliRunner()
    app = _app()
    assert runner.invoke(app, ["adoption", "snapshot", "--page-size", "4", "--pace", "0"]).exit_code == 0
    rep = json.loads(runner.invoke(app, ["adoption", "report", "--format", "json"]).stdout)
    defs = rep["definitions"]
    for key in ("view:uploader", "view:root", "view:developer", "metric:downloads_30d", "metric:new_12m_all_time",
                "metric:window"):
        assert defs[key]["definition"] and defs[key]["differs_from_study"], key
    assert "different metric, not the study's number" in defs["metric:new_12m_all_time"]["differs_from_study"]
    assert "arXiv 2512.03073" in defs["study"]["reference"]
    with SnapshotStore() as store:
        html = adoption_html_section(build_report(store))
    assert html.count("Differs from the study") >= 3 + 3            # three views, three country tables
    text = runner.invoke(app, ["adoption", "report"], env={"COLUMNS": "200"}).stdout
    assert "View 'developer'" in text and "developer: share" in text and "Differs from the study" in text
