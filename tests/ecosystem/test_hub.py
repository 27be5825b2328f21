"""The real huggingface_hub client against the loopback recorded-response Hub: pagination, 429, resume,
unreachable Hub, missing fields."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from tests.ecosystem.hubserver import FakeHub
from weightwatch.ecosystem.hub import EXPAND, _model_from_item, fetch_model, take_snapshot
from weightwatch.ecosystem.store import SnapshotStore
from weightwatch.errors import UserError


def test_the_fake_hub_paginates_like_the_hub_for_the_real_list_models(hub: FakeHub) -> None:
    # The unmodified public client follows our Link headers: 10 models over pages 1, 2, 3.
    infos = list(HfApi(endpoint=hub.endpoint, token=False).list_models(sort="downloads", expand=EXPAND))  # type: ignore[arg-type]
    assert len(infos) == 10
    assert hub.pages_requested() == [1, 2, 3]
    assert infos[0].id == "Qwen/Qwen2.5-7B-Instruct"  # sort=downloads, most first
    by_id = {i.id: i for i in infos}
    assert by_id["unsloth/Qwen2.5-7B-Instruct-GGUF"].base_models == {
        "relation": "quantized", "models": [{"id": "Qwen/Qwen2.5-7B-Instruct"}]}


def test_snapshot_reads_three_pages_and_stores_every_model(hub: FakeHub, home: Path) -> None:
    with SnapshotStore() as store:
        res = take_snapshot(store, page_size=4, token=False)
        assert (res.pages_fetched, res.models_total, res.status, res.resumed) == (3, 10, "finished", False)
        assert hub.pages_requested() == [1, 2, 3]
        assert store.path == home / "journal.sqlite"
        models = {m.model_id: m for m in store.models(res.snapshot_id)}
    q = models["Qwen/Qwen2.5-7B-Instruct"]
    assert (q.author, q.downloads_30d, q.downloads_all_time, q.likes, q.license, q.params) == (
        "Qwen", 1000, 5000, 700, "apache-2.0", 7615616512)
    assert q.created_at is not None and q.created_at.isoformat().startswith("2025-09-20T08:00")
    assert q.base_models == ["Qwen/Qwen2.5-7B"] and q.base_model_relation == "finetune"
    u = models["unsloth/Qwen2.5-7B-Instruct-GGUF"]
    assert u.base_models == ["Qwen/Qwen2.5-7B-Instruct"] and u.base_model_relation == "quantized"
    assert u.params == 7615616512  # from gguf.total
    b = models["bartowski/Llama-3.1-8B-Instruct-GGUF"]   # lineage only in a tag
    assert b.base_models == ["meta-llama/Llama-3.1-8B-Instruct"] and b.base_model_relation == "quantized"
    g = models["google/gemma-2-2b-it"]                   # no `downloads` field in the answer
    assert g.downloads_30d is None and g.downloads_all_time == 3000
    assert models["cycle-b/model-b"].created_at is None


def test_429_with_retry_after_is_waited_out_and_the_page_retried(hub: FakeHub) -> None:
    # A non-zero Retry-After and a tiny own backoff: only a client that honours the header waits 2 s.
    hub.rate_limit = {2: 1}
    hub.retry_after = 2
    with SnapshotStore() as store:
        res = take_snapshot(store, page_size=4, token=False, base_wait=0.01)
    assert (res.status, res.models_total) == ("finished", 10)
    statuses = [(p, s) for path, p, s in hub.requests if path == "/api/models"]
    assert statuses == [(1, 200), (2, 429), (2, 200), (3, 200)]
    waited = hub.times[2] - hub.times[1]        # from the 429 to the retried request
    assert waited >= 2.0, waited


def test_endpoint_with_a_path_prefix_follows_next_links_without_doubling_it(home: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.ecosystem.hubserver import load_items

    with FakeHub(load_items("hand_models.json"), page_size=4, prefix="/mirror/hf") as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        assert server.endpoint.endswith("/mirror/hf")
        with SnapshotStore() as store:
            res = take_snapshot(store, page_size=4, token=False)
        assert (res.status, res.models_total, res.pages_fetched) == ("finished", 10, 3)
        assert server.pages_requested() == [1, 2, 3]
        assert all(path in ("/api/models",) for path, _, _ in server.requests), server.requests


def test_persistent_429_stops_with_one_line_and_a_resumable_snapshot(hub: FakeHub) -> None:
    hub.rate_limit = {2: 10}
    with SnapshotStore() as store:
        with pytest.raises(UserError) as exc:
            take_snapshot(store, page_size=4, token=False, max_retries=1)
        assert "HTTP 429" in exc.value.message and "resumes" in (exc.value.hint or "")
        assert "\n" not in exc.value.one_line()
        row = store.snapshots()[0]
        assert (row.status, row.models, row.pages) == ("interrupted", 4, 1)
        hub.rate_limit = {}
        res = take_snapshot(store, page_size=4, token=False, max_retries=1)
    assert (res.resumed, res.pages_fetched, res.models_total) == (True, 2, 10)
    assert [p for p in hub.pages_requested()].count(1) == 1


def test_resume_after_the_connection_drops_skips_finished_pages(hub: FakeHub) -> None:
    hub.drop_pages = {3}
    with SnapshotStore() as store:
        with pytest.raises(UserError) as exc:
            take_snapshot(store, page_size=4, token=False, max_retries=1, base_wait=0.01)
        assert "re-run the same command to resume" in (exc.value.hint or "")
        row = store.snapshots()[0]
        assert (row.status, row.models, row.pages) == ("interrupted", 8, 2)
        assert row.cursor is not None and "cursor=" in row.cursor["next"]
        hub.drop_pages = set()
        res = take_snapshot(store, page_size=4, token=False)
        assert (res.snapshot_id, res.resumed, res.pages_fetched, res.models_added, res.models_total) == (
            row.id, True, 1, 2, 10)
        assert store.snapshots()[0].status == "finished"
    pages = hub.pages_requested()
    assert pages.count(1) == 1 and pages.count(2) == 1          # never fetched again
    assert pages == [1, 2, 3, 3, 3]                            # two dropped tries, then the good one


def test_a_new_snapshot_with_other_options_does_not_resume_an_interrupted_one(hub: FakeHub) -> None:
    hub.drop_pages = {2}
    with SnapshotStore() as store:
        with pytest.raises(UserError):
            take_snapshot(store, page_size=4, token=False, max_retries=0)
        hub.drop_pages = set()
        res = take_snapshot(store, page_size=4, limit=5, token=False)
        assert not res.resumed and res.models_total == 5
        res2 = take_snapshot(store, page_size=4, token=False, fresh=True)
        assert not res2.resumed and res2.models_total == 10


def test_limit_and_author(hub: FakeHub) -> None:
    with SnapshotStore() as store:
        res = take_snapshot(store, page_size=4, limit=3, token=False)
        assert res.models_total == 3 and res.pages_fetched == 1
        top = sorted(m.downloads_30d or 0 for m in store.models(res.snapshot_id))
        assert top == [600, 800, 1000]
        res = take_snapshot(store, page_size=4, authors=["Qwen", "cycle-a"], token=False)
        assert sorted(m.model_id for m in store.models(res.snapshot_id)) == ["Qwen/Qwen2.5-7B-Instruct",
                                                                           "cycle-a/model-a"]


def test_since_keeps_recent_models_and_models_without_a_date(hub: FakeHub) -> None:
    with SnapshotStore() as store:
        res = take_snapshot(store, page_size=4, since="2025-06-01", token=False)
        ids = sorted(m.model_id for m in store.models(res.snapshot_id))
    assert ids == ["Qwen/Qwen2.5-7B-Instruct", "cycle-a/model-a", "cycle-b/model-b", "some-user/mystery-merge",
                   "unsloth/Qwen2.5-7B-Instruct-GGUF"]


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def test_unreachable_hub_is_one_clear_line(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    with SnapshotStore() as store, pytest.raises(UserError) as exc:
        take_snapshot(store, token=False)
    line = exc.value.one_line()
    assert line.startswith(f"cannot reach the Hugging Face Hub at {endpoint}: a live snapshot needs access to the Hub")
    assert "HF_ENDPOINT" in line and "\n" not in line
    with pytest.raises(UserError) as exc2:
        fetch_model("Qwen/Qwen2.5-7B-Instruct", token=False)
    assert exc2.value.message.startswith(f"cannot reach the Hugging Face Hub at {endpoint}")


def test_missing_fields_are_kept_as_unknown() -> None:
    bare = _model_from_item({"id": "lonely/model"})
    assert bare is not None
    assert (bare.author, bare.downloads_30d, bare.created_at, bare.license, bare.params, bare.base_models) == (
        None, None, None, None, None, [])
    # A shape ModelInfo rejects (safetensors without `total`) loses that field, not the model.
    odd = _model_from_item({"id": "x/y", "downloads": 5, "safetensors": {"parameters": {"F16": 3}}})
    assert odd is not None and odd.downloads_30d == 5 and odd.params is None
    assert _model_from_item({"downloads": 5}) is None          # no id: nothing to attach it to


def test_sparse_page_is_stored_whole(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    items = [{"id": "lonely/model"}, {"id": "Qwen/Qwen3-0.6B", "author": "Qwen", "downloads": 7},
             {"id": "gpt2", "author": "openai-community", "downloads": 3, "cardData": None, "tags": None}]
    with FakeHub(items, page_size=2) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        with SnapshotStore() as store:
            res = take_snapshot(store, page_size=2, token=False)
            models = {m.model_id: m for m in store.models(res.snapshot_id)}
    assert set(models) == {"lonely/model", "Qwen/Qwen3-0.6B", "gpt2"}
    assert models["lonely/model"].downloads_30d is None and models["gpt2"].author == "openai-community"


def test_fetch_model_uses_model_info_and_the_readme(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    item = {"_id": "1", "id": "allenai/OLMo-2-1124-7B", "author": "allenai", "downloads": 10,
            "tags": ["transformers", "dataset:allenai/olmo-mix-1124", "license:apache-2.0"],
            "cardData": {"license": "apache-2.0", "datasets": ["allenai/olmo-mix-1124"]}}
    readme = "---\nlicense: apache-2.0\n---\n# OLMo 2\nTraining code: https://github.com/allenai/OLMo.\n"
    with FakeHub([item], readmes={"allenai/OLMo-2-1124-7B": readme}) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        m = fetch_model("allenai/OLMo-2-1124-7B", token=False)
        assert m.card_text is not None and "github.com/allenai/OLMo" in m.card_text
        assert m.card["datasets"] == ["allenai/olmo-mix-1124"]
        with pytest.raises(UserError) as exc:
            fetch_model("nobody/nothing", token=False)
        assert "no public model 'nobody/nothing'" in exc.value.message
