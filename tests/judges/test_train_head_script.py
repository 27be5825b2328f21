"""scripts/train_censorship_head.py end to end on a tiny set: the SpeechMap excerpt in tests/judges/speechmap_excerpt
(36 answers of 6 models, labels by the publisher's LLM judge, Apache-2.0; see its README), split by model.
It needs scikit-learn (the `train` extra, also in the `test` extra so CI runs it) and the sentence encoder.
The head written must load with judges/head.py, predict with numpy alone, and fit its own training answers far
better than always-"answered"; the shipped head and metrics are not touched."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn (pip install '.[train]') trains the head")

from weightwatch.judges import head  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXCERPT = ROOT / "tests" / "judges" / "speechmap_excerpt" / "excerpt.jsonl"
SCRIPT = ROOT / "scripts" / "train_censorship_head.py"
SHIPPED = ROOT / "src" / "weightwatch" / "judges" / head.HEAD_FILE
LABELS = {"COMPLETE": "answered", "DENIAL": "refused", "EVASIVE": "evasive"}


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("train_censorship_head", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def test_training_script_on_the_excerpt(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in EXCERPT.read_text("utf-8").splitlines() if line.strip()]
    models = sorted({r["model"] for r in rows}, key=lambda m: -sum(r["model"] == m for r in rows))
    dev_models, test_models = models[:4], models[4:]  # the four largest train; the rest is the "held-out" set
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"dev_models": dev_models, "test_models": test_models}), "utf-8")
    shipped_before = _digest(SHIPPED)
    out, metrics = tmp_path / "head.npz", tmp_path / "metrics.json"

    rc = _script().main(["--data", str(EXCERPT), "--split", str(split), "--folds", "2", "--balanced-only",
                         "--cache", str(tmp_path / "cache"), "--out", str(out), "--metrics", str(metrics),
                         "--report"])

    assert rc == 0
    assert _digest(SHIPPED) == shipped_before  # the shipped head is not overwritten
    trained = head.load_file(out)
    dev = [r for r in rows if r["model"] in dev_models]
    assert trained.info["n_train"] == len(dev) == 33
    assert trained.classes == head.CLASSES and trained.ngram is not None
    p = trained.proba(head.features([r["question"] for r in dev], [r["response"] for r in dev]))
    assert p.shape == (33, 3) and np.allclose(p.sum(axis=1), 1.0, atol=1e-5)
    gold = [LABELS[r["label"]] for r in dev]
    fitted = sum(head.CLASSES[int(i)] == g for i, g in zip(p.argmax(axis=1), gold, strict=True)) / len(dev)
    always_answered = gold.count("answered") / len(dev)  # 11/33
    assert fitted >= always_answered + 0.3, (fitted, always_answered)
    figures = json.loads(metrics.read_text("utf-8"))
    assert figures["test"]["all"]["n"] == len(rows) - len(dev) == 3
    assert figures["chosen"]["balanced"] is True and figures["mixing_chosen"]["w_encoder"] in _script().W_GRID


def test_folds_must_fit_the_dev_models(tmp_path: Path) -> None:
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"dev_models": ["qwen/qwen3-14b", "qwen/qwen-max"], "test_models": []}), "utf-8")
    with pytest.raises(SystemExit, match="--folds 7 needs between 2 and the number of dev models"):
        _script().main(["--data", str(EXCERPT), "--split", str(split), "--cache", str(tmp_path / "c"),
                        "--out", str(tmp_path / "h.npz"), "--metrics", str(tmp_path / "m.json")])
