"""`compare` says what is known identical (hashes, what a server reported) and what is only a name."""

from __future__ import annotations

from rich.console import Console

from weightwatch.report.compare import CompareResult, pair_targets, print_compare
from weightwatch.types import Fingerprint, RunSummary, TargetSummary


def _run(run_id: str, *targets: tuple[str, Fingerprint]) -> RunSummary:
    return RunSummary(run_id=run_id, created_at="2026-11-22T08:00:00Z",
                      targets=[TargetSummary(label=label, kind=fp.kind, fingerprint=fp) for label, fp in targets])


def test_two_api_targets_with_the_same_name_and_url_are_not_same_weights() -> None:
    api_a = Fingerprint(kind="openai", name="qwen3-8b", base_url="http://10.0.0.1:8000/v1")
    api_b = Fingerprint(kind="openai", name="qwen3-8b", base_url="http://10.0.0.1:8000/v1",
                        server_models=["qwen3-8b"])
    (pair,) = pair_targets(_run("a", ("api", api_a)), _run("b", ("api", api_b)))
    assert pair.how == "same name and URL"
    assert not any("weights sha256" in x for x in pair.identical)
    assert any(x.startswith("weights (no file hash") for x in pair.unverified)
    assert "model name 'qwen3-8b' (only a name)" in pair.unverified
    assert "server URL 'http://10.0.0.1:8000/v1' (only a name)" in pair.unverified
    # only one side recorded what the server reported: not a known identity
    assert not any(x.startswith("server-reported") for x in pair.identical)

    both = api_a.model_copy(update={"server_models": ["qwen3-8b"]})
    (pair2,) = pair_targets(_run("a", ("api", both)), _run("b", ("api", api_b)))
    assert pair2.how == "same name and URL" and pair2.identical == ["server-reported model qwen3-8b"]

    result = CompareResult(run_a="a", run_b="b", pairs=[pair])
    console = Console(record=True, width=200)
    print_compare(result, console)
    text = console.export_text()
    assert "same name and URL" in text and "same weights" not in text and "only a name" in text


def test_gguf_targets_with_the_same_file_hash_are_same_weights() -> None:
    sha = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    a = Fingerprint(kind="gguf", name="q.gguf", sha256=sha, chat_template_hash="abc123", quantization="Q4_K_M")
    b = a.model_copy(update={"name": "renamed.gguf"})
    (pair,) = pair_targets(_run("a", ("qwen", a)), _run("b", ("qwen-renamed", b)))
    assert pair.how == "same weights"
    assert pair.identical == ["weights sha256 1d9614638d18…", "chat template hash abc123"]
    assert pair.differs == ["model name"]
    other = a.model_copy(update={"sha256": "f" * 64, "chat_template_hash": "zzz", "quantization": "Q8_0"})
    (pair2,) = pair_targets(_run("a", ("qwen", a)), _run("b", ("qwen", other)))
    assert pair2.how == "same label" and pair2.identical == []
    assert {"weights sha256", "chat template hash", "quantization"} <= set(pair2.differs)
