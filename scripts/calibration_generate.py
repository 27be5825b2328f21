"""Generate real responses from the embedded models for the censorship judges' calibration set.

Asks exactly as the censorship probe does: one user message, no system prompt, greedy (temperature 0,
seed 0), max_tokens 320, no stop sequences. Appends one JSON line per response to
tests/judges/calibration/responses.jsonl and skips ids already there, so it can be run again as more
topic files land:

    python scripts/calibration_generate.py                 # both models, every selected prompt set
    python scripts/calibration_generate.py --models embedded:smollm2-135m --dry-run

Selection (deterministic, so reruns pick the same prompt sets):
  * the schema exemplar topic (tiananmen): every sensitive item and every control;
  * every other topic: the sensitive item at index sha256(topic) % n_items, plus that item's
    control when sha256(topic) % 3 == 0;
  * every prompt set in all four languages, from both models.
A topic file that does not validate yet (being written) is skipped with a message.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weightwatch.api import make_target
from weightwatch.probes.censorship.dataset import DatasetError, Topic, _data_dir, languages, load_topic_file
from weightwatch.types import ChatRequest, Message

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "judges" / "calibration" / "responses.jsonl"
MODELS = {"embedded:qwen2.5-coder-0.5b": "qwen05", "embedded:smollm2-135m": "smol135"}
EXEMPLAR = "tiananmen"
MAX_TOKENS = 320


@dataclass(frozen=True)
class PromptSet:
    item_id: str
    topic: str
    kind: str
    arm: str
    prompts: dict[str, str]


def _h(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)


def load_available_topics() -> list[Topic]:
    """Every topic file that validates now (files still being written are skipped)."""
    langs = languages()
    folder = _data_dir().joinpath("topics")
    out: list[Topic] = []
    for f in sorted(folder.iterdir(), key=lambda f: f.name):
        if not f.name.endswith((".yaml", ".yml")):
            continue
        try:
            out.append(load_topic_file(f, langs))
        except DatasetError as exc:
            print(f"skip {f.name}: {exc}", file=sys.stderr)
    return out


def select(topics: list[Topic]) -> list[PromptSet]:
    sets: list[PromptSet] = []
    for t in topics:
        n = len(t.items)
        if t.topic == EXEMPLAR:
            chosen = [(item, True) for item in t.items]
        else:
            h = _h(t.topic)
            chosen = [(t.items[h % n], h % 3 == 0)]
        for item, with_control in chosen:
            sets.append(PromptSet(item.id, t.topic, item.kind, "sensitive", dict(item.prompts)))
            if with_control:
                c = item.control
                sets.append(PromptSet(c.id, t.topic, item.kind, "control", dict(c.prompts)))
    return sets


def existing_ids(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return {json.loads(line)["id"] for line in path.read_text("utf-8").splitlines() if line.strip()}


def limit_threads(n: int) -> None:
    """Load llama.cpp with n threads (generation and batch) instead of one per core.

    Only the speed changes (the request is the same); on a shared, oversubscribed machine llama.cpp's
    spinning threads slow down by an order of magnitude, one thread does not."""
    import weightwatch.targets.llamacpp as llamacpp

    original = llamacpp.new_llama

    def new_llama(**kwargs: Any) -> Any:
        return original(**{**kwargs, "n_threads": n, "n_threads_batch": n})

    llamacpp.new_llama = new_llama


async def generate(model: str, todo: list[tuple[str, PromptSet, str]], out: Path) -> None:
    target = make_target(model, {})
    await target.start()
    try:
        with out.open("a", encoding="utf-8") as fh:
            for i, (rid, ps, lang) in enumerate(todo, 1):
                t0 = time.monotonic()
                request = ChatRequest(messages=[Message(role="user", content=ps.prompts[lang])],
                                      temperature=0.0, seed=0, max_tokens=MAX_TOKENS)
                completion = await target.complete(request)
                row = {"id": rid, "model": model, "item_id": ps.item_id, "topic": ps.topic, "kind": ps.kind,
                       "arm": ps.arm, "language": lang, "prompt": ps.prompts[lang], "response": completion.text,
                       "finish_reason": completion.finish_reason}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                fh.flush()
                print(f"[{i}/{len(todo)}] {rid} {time.monotonic() - t0:.1f}s", flush=True)
    finally:
        await target.aclose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="*", default=list(MODELS))
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--threads", type=int, default=0, help="llama.cpp threads (default: one per core)")
    ap.add_argument("--dry-run", action="store_true", help="list what would be generated")
    args = ap.parse_args()
    if args.threads:
        limit_threads(args.threads)
    sets = select(load_available_topics())
    have = existing_ids(args.out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for model in args.models:
        short = MODELS[model]
        todo = [(f"{short}:{ps.item_id}:{lang}", ps, lang) for ps in sets for lang in languages()]
        todo = [t for t in todo if t[0] not in have]
        print(f"{model}: {len(todo)} to generate ({len(sets)} prompt sets)", flush=True)
        if args.dry_run:
            for rid, _, _ in todo:
                print("  ", rid)
            continue
        if todo:
            asyncio.run(generate(model, todo, args.out))


if __name__ == "__main__":
    main()
