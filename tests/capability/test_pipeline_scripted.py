"""capability + speed + cost through weightwatch.api.run with a scripted (fast, in-memory) target.

The real targets (embedded llama.cpp, OpenAI-compatible HTTP) are exercised in test_end_to_end.py;
this test covers the path plan -> runner -> journal -> sandboxed scoring -> summary -> cost quickly.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

from weightwatch import api
from weightwatch.probes.capability.probe import load_tasks
from weightwatch.types import ChatRequest, Completion, Fingerprint


class CannedCoder:
    """Answers HumanEval prompts with the canonical solution for even task numbers, a wrong one for odd."""

    kind = "openai"
    in_process = False
    price: dict[str, float] = {}
    max_concurrency = 8
    price = {"input_per_mtok": 1.0, "output_per_mtok": 2.0}

    def __init__(self, label: str = "canned") -> None:
        self.label = label
        by_prompt = {}
        for t in load_tasks().values():
            by_prompt[t.prompt.strip("\n")] = t
        self.by_prompt = by_prompt

    async def start(self) -> Fingerprint:
        return Fingerprint(kind="openai", name="canned-coder", parameters=2_000_000_000,
                           base_url="http://127.0.0.1:1/v1")

    def defaults(self) -> dict[str, object]:
        return {"temperature": 0.7}

    async def aclose(self) -> None:
        return None

    async def complete(self, request: ChatRequest) -> Completion:
        text = request.messages[-1].content
        m = re.search(r"```python\n(.*)\n```\Z", text, re.DOTALL)
        t0 = time.monotonic()
        if m and m.group(1) in self.by_prompt:
            task = self.by_prompt[m.group(1)]
            num = int(task.task_id.split("/")[1])
            body = task.canonical_solution if num % 32 == 0 else "    return None\n"
            answer = f"Here it is:\n```python\n{task.prompt}{body}```\n"
            return Completion(text=answer, finish_reason="stop", prompt_tokens=len(text) // 4,
                              completion_tokens=len(answer) // 4, total_s=0.01)
        # speed requests: stream a few fake tokens with real sleeps
        n = min(request.max_tokens, 5)
        times = []
        for _ in range(n):
            await asyncio.sleep(0.002)
            times.append(time.monotonic() - t0)
        return Completion(text="ok " * n, finish_reason="length", prompt_tokens=len(text) // 4 + 9,
                          completion_tokens=n, ttft_s=times[0], token_times_s=times,
                          total_s=time.monotonic() - t0)


def test_capability_speed_cost_through_the_api(tmp_path: Path, monkeypatch: object) -> None:
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))  # type: ignore[attr-defined]
    outcome = api.run(["capability", "speed"], [CannedCoder()], size="quick",
                      options={"speed_concurrency": "1,2"}, config={})
    s = outcome.summary
    probes = [r.probe for r in s.results]
    assert probes == ["capability", "speed", "cost"]
    cap = s.results[0]
    p1 = next(m for m in cap.metrics if m.name == "pass@1")
    # quick subset: every 16th task; the canned coder solves every 32nd -> 5 of 10
    assert (p1.n, p1.value) == (10, 0.5)
    assert any("quick: 10 of 164" in n for n in cap.notes)
    speed = {(m.name, tuple(sorted(m.dims.items()))): m for m in s.results[1].metrics}
    assert speed[("output_tokens_per_s", (("prompt", "short"),))].value is not None
    assert speed[("requests_per_s", (("concurrency", "2"),))].value is not None
    assert s.results[1].tables["sweep"]["canned"][1]["concurrency"] == 2
    cost = {m.name: m for m in s.results[2].metrics}
    assert cost["cost_per_correct_task"].value is not None and cost["cost_per_correct_task"].value > 0
    assert cost["pass1_per_billion_params"].value == 0.25
    assert len(load_tasks()) == 164


def test_cost_per_correct_task_counts_the_same_answers_as_correct(tmp_path: Path, monkeypatch: object) -> None:
    """With --samples the sampled answers' tokens must not be charged to the greedy pass@1's correct tasks:
    cost per correct task is the same with and without extra samples (the canned coder answers alike)."""
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))  # type: ignore[attr-defined]
    opts = {"humaneval_limit": 8, "humaneval_security": "off"}
    plain = api.run(["capability"], [CannedCoder()], size="quick", options=opts, config={}).summary
    sampled = api.run(["capability"], [CannedCoder()], size="quick", samples=2, options=opts, config={}).summary

    def cost(s: object, name: str) -> float:
        m = next(m for m in s.results[-1].metrics if m.name == name)  # type: ignore[attr-defined]
        assert m.value is not None
        return float(m.value)

    cap = {(m.name, tuple(sorted(m.dims.items()))): m for m in sampled.results[0].metrics}
    greedy_out = cap[("tokens_out", (("decoding", "greedy"),))].value
    all_out = cap[("tokens_out", ())].value
    assert greedy_out is not None and all_out is not None and all_out == 3 * greedy_out  # 1 greedy + 2 samples
    assert cap[("answers_passed", ())].n == 24 and cap[("answers_passed", ())].value == 12
    assert cost(sampled, "cost_per_correct_task") == cost(plain, "cost_per_correct_task")
    # every answer's cost over every passing answer: the same here, since every sample answers alike
    assert abs(cost(sampled, "cost_per_correct_answer") - cost(plain, "cost_per_correct_task")) < 1e-12
    assert not any(m.name == "cost_per_correct_answer" for m in plain.results[-1].metrics)
