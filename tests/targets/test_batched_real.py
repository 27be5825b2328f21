"""The batched target on the real embedded models: greedy outputs equal llama-cpp-python's own
single-stream loop (`create_chat_completion`), requests join free slots as they come, JSON schemas and
stop strings hold, and a cancelled request leaves its slot to the others."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.targets.test_models_real import ask, needs_model
from weightwatch.targets.embedded import pull
from weightwatch.targets.llamacpp import new_llama
from weightwatch.targets.reasoning import split_reasoning
from weightwatch.targets.spec import parse_target

pytestmark = [pytest.mark.model, pytest.mark.slow]

PROMPTS = ["Write a Python function that reverses a string.", "What is the capital of France? Answer briefly.",
           "List three prime numbers.", "Explain recursion in one sentence.", "Write a haiku about rain."]
MAX_TOKENS = 48


def _reference(model: str, prompts: list[str]) -> list[str]:
    """llama-cpp-python's own loop, one request at a time, as weightwatch asked it before batching."""
    llm = new_llama(model_path=str(pull(model)), n_ctx=4096, n_threads=1, verbose=False, seed=0)
    llm.chat_format = "chat_template.default"
    try:
        out = []
        for p in prompts:
            r = llm.create_chat_completion(messages=[{"role": "user", "content": p}], temperature=0.0, top_p=1.0,
                                           top_k=0, min_p=0.0, repeat_penalty=1.0, max_tokens=MAX_TOKENS, seed=0)
            out.append(split_reasoning(r["choices"][0]["message"]["content"] or "").text)  # as the target does
        return out
    finally:
        llm.close()


@needs_model("qwen2.5-coder-0.5b")
async def test_greedy_batched_equals_single_stream_on_qwen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_PARALLEL", "4")
    expected = _reference("qwen2.5-coder-0.5b", PROMPTS)
    t = parse_target("embedded:qwen2.5-coder-0.5b")
    fp = await t.start()
    try:
        assert t.max_concurrency == 4 and fp.extra["parallel_sequences"] == 4
        # 5 requests on 4 slots: the fifth joins when the first slot frees (continuous batching)
        got = await asyncio.gather(*(t.complete(ask(p, max_tokens=MAX_TOKENS)) for p in PROMPTS))
        engine = t._engine
        assert engine is not None and engine.peak_active == 4
        assert [c.text for c in got] == expected
        for c in got:
            assert c.ok and c.prompt_tokens and c.completion_tokens and c.completion_tokens <= MAX_TOKENS
            assert c.ttft_s is not None and c.total_s is not None and 0 < c.ttft_s <= c.total_s
        # alone, through the same engine: the same text again
        alone = await t.complete(ask(PROMPTS[0], max_tokens=MAX_TOKENS, stream=True))
        assert alone.text == expected[0]
        assert alone.token_times_s is not None and len(alone.token_times_s) == alone.completion_tokens
    finally:
        await t.aclose()


@needs_model("smollm2-135m")
async def test_schema_stop_and_cancel_on_smollm2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_PARALLEL", "3")
    t = parse_target("embedded:smollm2-135m")
    await t.start()
    try:
        schema = {"type": "object", "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}},
                  "required": ["answer"]}
        slow = asyncio.ensure_future(t.complete(ask("Write a very long essay about the sea.", max_tokens=2000)))
        js, stopped = await asyncio.gather(
            t.complete(ask("Is water wet? Reply in JSON.", max_tokens=40, response_format=schema)),
            t.complete(ask("Count from 1 to 20 separated by commas.", max_tokens=80, stop=["7"])))
        assert json.loads(js.text)["answer"] in ("yes", "no")
        assert "7" not in stopped.text and stopped.finish_reason == "stop" and stopped.text
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        # the cancelled sequence left its slot: three more requests still run together
        again = await asyncio.gather(*(t.complete(ask(f"Say the number {i}.", max_tokens=8)) for i in range(3)))
        assert all(c.ok and c.completion_tokens for c in again)
    finally:
        await t.aclose()


@needs_model("smollm2-135m")
def test_a_gap_between_generating_slots_is_padded_and_changes_no_output() -> None:
    """Slot 1 finishes first while slots 0 and 2 go on: their steps get a throwaway row on sequence 1
    (kept in one piece, see BatchEngine._gaps), and every greedy output equals the same job run alone."""
    from weightwatch.targets.batched import BatchEngine, Job

    llm = new_llama(model_path=str(pull("smollm2-135m")), n_ctx=256, n_threads=1, verbose=False)
    engine = BatchEngine(llm._model.model, n_slots=3, n_ctx_seq=512, n_threads=1)
    try:
        def job(text: str, n: int) -> Job:
            prompt = f"<|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant\n"
            return Job(tokens=llm.tokenize(prompt.encode(), add_bos=False, special=True), max_tokens=n)

        specs = [("Write a long story about the sea.", 24), ("Say hi.", 2), ("Write a long poem about a cat.", 24)]
        alone = [engine.submit(job(t, n)).result() for t, n in specs]
        assert engine.padded == 0
        futures = [engine.submit(job(t, n)) for t, n in specs]
        together = [f.result() for f in futures]
        assert engine.peak_active == 3 and engine.padded > 0
        assert [r.text for r in together] == [r.text for r in alone]
        assert [r.completion_tokens for r in together] == [24, 2, 24]
    finally:
        engine.close()
        llm.close()
