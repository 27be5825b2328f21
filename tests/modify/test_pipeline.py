"""The whole modify step on the tiny random GGUF (fast), through the API and the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.modify.tiny import build_tiny
from weightwatch.errors import UserError
from weightwatch.modify import prompts as P
from weightwatch.modify.gguf_io import check_adapter, read_header
from weightwatch.modify.pipeline import ModifyOptions, modify_refusal_direction

pytest.importorskip("llama_cpp")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_splits_are_by_topic_and_disjoint() -> None:
    splits = P.topic_splits()
    assert all(splits[s] for s in P.SPLITS)
    seen = [t for s in P.SPLITS for t in splits[s]]
    assert len(seen) == len(set(seen))
    train = {p.topic for p in P.pairs("train", ["en"])}
    test = {p.topic for p in P.pairs("test", ["en"])}
    assert train and test and not train & test
    both = P.pairs("select", ["en", "de"], max_items=1)
    assert {(p.arm, p.language) for p in both} == {(a, lg) for a in ("sensitive", "control") for lg in ("en", "de")}
    harmless = P.harmless(["en", "zh-Hans"], "train") + P.harmless(["en", "zh-Hans"], "select")
    assert len({p.id for p in harmless}) == len(harmless) // 2 and all(p.text for p in harmless)


def test_modify_on_tiny_model(tmp_path: Path) -> None:
    base = build_tiny(tmp_path / "tiny.gguf")
    before = _sha(base)
    out = tmp_path / "out" / "tiny.lora.gguf"
    opts = ModifyOptions(languages=["en"], max_items=2, budget=3, candidates=2, check_tokens=4, multi_token_kl=True)
    result = modify_refusal_direction(f"gguf:{base}", out, opts)
    assert _sha(base) == before
    assert result.output == out and out.is_file() and result.kind == "lora"
    head = check_adapter(out, base)
    meta = {k.removeprefix("weightwatch.modify."): v for k, v in head.fields.items()
            if k.startswith("weightwatch.modify.")}
    assert meta["base_sha256"] == before
    assert meta["direction_layer"] == result.layer and meta["lambda"] == pytest.approx(result.lam)
    assert meta["data_version"] == P.data_version() and meta["weightwatch_version"]
    report = json.loads(result.report_path.read_text("utf-8")) if result.report_path else {}
    assert len(report["trials"]) == 3 and any(t["pareto"] for t in report["trials"])
    assert report["chosen"]["layer"] == result.layer
    assert report["test"]["greedy_check"]["base"]["en"]["n"] == 2
    assert report["timings_s"]["total_s"] > 0
    assert result.target == f"gguf:{base}+lora:{out}"
    # the KL constraint also covers the train topics' controls the base model answers (their labels are kept)
    answered = [r for r in report["train_labels"]
                if r["arm"] == "control" and r["label"] not in ("refused", "deflected")]
    assert report["kl_train"] is True and report["n_kl_train_prompts"] == len(answered)
    strata = report["chosen"]["kl_strata"]
    assert "harmless" in strata and report["chosen"]["kl_upper"] == pytest.approx(
        max(d["upper"] for d in strata.values()), abs=1e-4)
    # the base side of the held-out check reuses the labelling answer (greedy: same tokens as a fresh answer)
    from weightwatch.modify.capture import Session

    sens = {(q.id, q.language): q.text for q in P.pairs("test", ["en"], 2) if q.arm == "sensitive"}
    with Session(base) as session:
        for row in report["test"]["greedy_check"]["rows_base"]:
            assert row["text"] == session.generate(sens[(row["id"], row["language"])], 4)[:300]
    multi = report["test"]["kl_multi_token"]  # KL along the base model's own answers (diagnostic)
    assert multi["n_prompts"] == len(multi["per_prompt"]) > 0
    assert all(1 <= r["n_tokens"] <= opts.label_tokens and r["kl"] >= 0 for r in multi["per_prompt"])
    by = report["test"]["kl_by_arm"]
    assert by["n_controls_all"] == 2 and by["controls_all"][1] <= by["controls_all"][0] <= by["controls_all"][2]


def test_merge_on_tiny_model(tmp_path: Path) -> None:
    base = build_tiny(tmp_path / "tiny.gguf")
    out = tmp_path / "tiny.merged.gguf"
    opts = ModifyOptions(languages=["en", "de"], max_items=1, budget=2, candidates=1, check_tokens=0, merge="Q8_0",
                         center_languages=True)
    result = modify_refusal_direction(f"gguf:{base}", out, opts)
    head = read_header(out)
    assert result.kind == "merged-Q8_0" and head.tensors[f"blk.{result.layer}.ffn_down.weight"][1] == "Q8_0"
    assert head.fields["weightwatch.modify.base_sha256"] == _sha(base)
    assert head.general_type != "adapter"


def test_bad_input(tmp_path: Path) -> None:
    base = build_tiny(tmp_path / "tiny.gguf")
    with pytest.raises(UserError, match="already has an adapter"):
        modify_refusal_direction(f"gguf:{base}+lora:{base}", tmp_path / "x.gguf")
    with pytest.raises(UserError, match="cannot modify"):
        modify_refusal_direction("openai:m@http://127.0.0.1:1/v1", tmp_path / "x.gguf")
    with pytest.raises(UserError, match="unknown language"):
        modify_refusal_direction(f"gguf:{base}", tmp_path / "x.gguf", ModifyOptions(languages=["xx"]))
    with pytest.raises(UserError, match="base model itself"):
        modify_refusal_direction(f"gguf:{base}", base, ModifyOptions(languages=["en"], max_items=1))
    with pytest.raises(UserError, match="not among the languages"):
        modify_refusal_direction(f"gguf:{base}", tmp_path / "x.gguf",
                                 ModifyOptions(languages=["en"], direction_languages=["de"]))
    with pytest.raises(UserError, match="unknown language"):
        modify_refusal_direction(f"gguf:{base}", tmp_path / "x.gguf",
                                 ModifyOptions(languages=["en"], direction_languages=["xx"]))


def test_cli(tmp_path: Path) -> None:
    base = build_tiny(tmp_path / "tiny.gguf")
    out = tmp_path / "a.gguf"
    env = {**os.environ, "WEIGHTWATCH_HOME": str(tmp_path / "home"), "WEIGHTWATCH_THREADS": "1", "COLUMNS": "200"}
    cmd = [sys.executable, "-m", "weightwatch", "modify", "refusal-direction", "-t", f"gguf:{base}", "-o", str(out),
           "--languages", "en", "--max-items", "1", "--trials", "2", "--check-tokens", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert out.is_file() and "search trials" in proc.stdout and f"+lora:{out}" in proc.stderr
    bad = subprocess.run([*cmd[:-8], "--merge", "Q4_K"], capture_output=True, text=True, env=env, timeout=600)
    lines = [ln for ln in bad.stderr.splitlines() if ln.strip()]
    assert bad.returncode == 2 and len(lines) == 1 and "merge type" in lines[0], bad.stderr


def test_refused_contrast_direction_and_kl_sets() -> None:
    """The 'refused' contrast is a plain difference of means between two groups of activations: a direction
    planted in the refused group is found exactly, orthogonalisation removes the harmless mean's component."""
    import numpy as np

    from weightwatch.modify.direction import directions

    rng = np.random.default_rng(0)
    v = np.zeros(16)
    v[3] = 1.0
    base = [{0: rng.normal(size=16) * 0.01} for _ in range(8)]
    refused = [{0: a[0] + 2 * v} for a in base]
    d = directions(refused, base)[0]
    assert abs(d @ v) > 0.999
    harmless = [{0: np.ones(16) + rng.normal(size=16) * 0.01} for _ in range(4)]
    mixed = [{0: a[0] + np.ones(16)} for a in refused]
    d2 = directions(mixed, base, harmless, orthogonal=True)[0]
    h = np.mean([a[0] for a in harmless], axis=0)
    assert abs(d2 @ (h / np.linalg.norm(h))) < 1e-9
    with pytest.raises(UserError, match="unknown KL set"):
        modify_refusal_direction("embedded:x", Path("x.gguf"), ModifyOptions(kl_on="some"))


def test_language_centring_removes_a_language_confound() -> None:
    """Refused prompts all in one language, answered ones in another: the plain difference of means mixes the
    language offset into the direction; centring each language first recovers the planted refusal axis."""
    import numpy as np

    from weightwatch.modify.direction import center_by_group, directions

    rng = np.random.default_rng(1)
    refusal, language = np.eye(16)[2], np.eye(16)[7]
    acts, langs, refused = [], [], []
    for lang in ("en", "zh"):
        for k in range(8):
            r = lang == "en" and k < 6 or lang == "zh" and k < 1  # en mostly refused, zh mostly answered
            acts.append({0: rng.normal(size=16) * 0.01 + (3 * language if lang == "zh" else 0) + (refusal if r else 0)})
            langs.append(lang)
            refused.append(r)
    plain = directions([a for a, r in zip(acts, refused, strict=True) if r],
                       [a for a, r in zip(acts, refused, strict=True) if not r])[0]
    assert abs(plain @ language) > 0.5  # confounded
    centred = center_by_group(acts, langs)
    d = directions([a for a, r in zip(centred, refused, strict=True) if r],
                   [a for a, r in zip(centred, refused, strict=True) if not r])[0]
    assert abs(d @ refusal) > 0.99 and abs(d @ language) < 0.05


def test_cluster_and_pca_bases_find_two_planted_refusal_modes() -> None:
    """Two kinds of refusal along two different axes: one difference of means points between them and leaves
    part of each; the cluster basis (pooled + per cluster, orthogonalised) and the top-2 principal directions
    of the per-prompt differences span both axes."""
    import numpy as np

    from weightwatch.modify.direction import cluster_bases, directions, pca_bases

    rng = np.random.default_rng(2)
    ax1, ax2 = np.eye(16)[4], np.eye(16)[9]
    answered = [{0: rng.normal(size=16) * 0.01, 1: rng.normal(size=16) * 0.01} for _ in range(10)]
    refused, keys = [], []
    for k in range(12):
        axis = ax1 if k < 8 else ax2  # "as an ai" refusals outnumber "i'm unable" ones
        noise = rng.normal(size=16) * 0.01
        refused.append({0: noise + 2 * axis, 1: noise + 3 * axis})
        keys.append("as an ai" if k < 8 else "i'm unable")
    single = directions(refused, answered)[0]
    assert abs(single @ ax2) < 0.6  # one direction leaves most of the rarer mode
    bases, sizes = cluster_bases(refused, keys, answered, k=2)
    assert sizes == {"as an ai": 8, "i'm unable": 4}
    for layer in (0, 1):
        b = bases[layer]
        assert b.shape == (16, 2) and np.allclose(b.T @ b, np.eye(2), atol=1e-9)
        assert abs(b[:, 0] @ directions(refused, answered)[layer]) > 0.999  # the pooled direction comes first
        for axis in (ax1, ax2):  # both modes inside the span
            assert np.linalg.norm(b.T @ axis) > 0.99
    assert cluster_bases(refused, keys, answered, k=1)[0][0].shape == (16, 1)
    # a cluster under min_size is not used
    _, small = cluster_bases(refused, [*keys[:-1], "odd one"], answered, k=3, min_size=2)
    assert "odd one" not in small
    pca = pca_bases(refused, answered, k=2)[0]
    assert pca.shape == (16, 2) and all(np.linalg.norm(pca.T @ axis) > 0.99 for axis in (ax1, ax2))
    assert pca[:, 0] @ single > 0.5  # signed along the difference of means


@pytest.mark.parametrize("method", ["clusters", "pca", "per-layer"])
def test_modify_on_tiny_model_with_more_directions(tmp_path: Path, method: str) -> None:
    """The pipeline with each direction method: the adapter it writes has the method's rank (alpha = rank,
    so llama.cpp's scale stays 1) and records the method; per-layer edits use the window's layers."""
    base = build_tiny(tmp_path / "tiny.gguf")
    out = tmp_path / f"{method}.lora.gguf"
    opts = ModifyOptions(languages=["en"], max_items=2, budget=3, candidates=2, check_tokens=0, directions=method,
                         rank=2, contrast="both")
    result = modify_refusal_direction(f"gguf:{base}", out, opts)
    head = check_adapter(out, base)
    report = result.report
    rank = report["directions"]["rank"]
    assert report["directions"]["method"] == method and head.fields["weightwatch.modify.directions"] == method
    assert head.fields["adapter.lora.alpha"] == pytest.approx(rank)
    assert head.fields["weightwatch.modify.rank"] == rank
    pairs = sorted(n for n in head.tensors if n.endswith(".lora_b"))
    assert pairs and all(head.tensors[n][0][0] == rank for n in pairs)
    if method == "pca":
        assert rank == 2
    if method == "clusters":  # contrast "both": nothing refused to cluster, the pooled direction alone
        assert rank == 1 and report["directions"]["clusters"] == {}
    if method == "per-layer":
        assert head.fields["weightwatch.modify.per_layer_directions"] is True
        assert report["trials"][0]["window"] == "+-3"
    with pytest.raises(UserError, match="unknown direction method"):
        modify_refusal_direction(f"gguf:{base}", out, ModifyOptions(languages=["en"], directions="nope"))
