"""The real targets through the public API (weightwatch.api.run): target strings in, journaled results out."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers.fake_openai import FakeOpenAI, Fault
from tests.targets.test_models_real import needs_model
from weightwatch.api import run


def test_openai_target_through_the_api_with_faults_and_resume(tmp_path: Path) -> None:
    with FakeOpenAI(faults=[Fault("503", first=1), Fault("drop", first=2, match="Paris")], retry_after="0",
                    reply=lambda p: "12 Paris Tokyo 27") as srv:
        spec = f"openai:fake-model@{srv.base_url}"
        jf = tmp_path / "j.sqlite"
        first = run(["sanity"], [spec], journal_file=jf, config={})
        asked = srv.stats()["by_prompt"]
        completed = srv.stats()["completed"]
        assert first.summary.targets[0].errors == 0
        assert first.summary.targets[0].fingerprint.server == "fake-openai/1.0"
        # every prompt: one injected 503 then success (prompts mentioning Paris: also two dropped connections)
        assert all(n >= 2 for n in asked.values()) and all(n == 1 for n in completed.values())
        again = run(["sanity"], [spec], journal_file=jf, config={})
        assert srv.stats()["by_prompt"] == asked  # resume: nothing is asked twice
        assert again.reused_samples == first.summary.targets[0].samples


@pytest.mark.model
@pytest.mark.slow
@needs_model("smollm2-135m")
def test_embedded_target_through_the_api(tmp_path: Path) -> None:
    out = run(["sanity"], ["embedded:smollm2-135m"], journal_file=tmp_path / "j.sqlite", config={})
    t = out.summary.targets[0]
    assert t.kind == "embedded" and t.errors == 0 and t.samples > 0
    assert t.fingerprint.sha256 == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    assert t.completion_tokens > 0
