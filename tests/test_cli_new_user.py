"""A new user's mistakes, in the README's order (audit, run, targets, runs, report, export, compare, judge): each
is one line saying what is wrong and what to do, exit code 2, no traceback, through the real CLI."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.test_cli_errors import assert_one_line_error, ww

UNREACHABLE = "openai:qwen3-8b@http://127.0.0.1:9/v1"  # nothing listens on the discard port


def _setup(home: Path, what: str) -> None:
    if what == "files":
        (home / "a-folder.gguf").mkdir()
        (home / "not-a-model.gguf").write_text("hello", encoding="utf-8")
    elif what == "config":
        (home / "weightwatch.toml").write_text('[targets.deepseek]\nspec = "mock:echo"\n', encoding="utf-8")
    elif what == "two runs":
        assert ww("run", "sanity", "-t", "mock:echo", home=home).returncode == 0
        assert ww("run", "speed", "-t", "mock:echo", home=home).returncode == 0


def _run_ids(home: Path) -> list[str]:
    con = sqlite3.connect(home / "journal.sqlite")
    try:
        return [r[0] for r in con.execute("SELECT run_id FROM runs ORDER BY created_at")]
    finally:
        con.close()


CASES = [
    # targets
    ("", ["audit", "-t", "nonsense"], ["unknown target 'nonsense'", "no weightwatch.toml found", "openai:"]),
    ("", ["run", "sanity", "-t", "smollm2-135m"], ["did you mean -t embedded:smollm2-135m?"]),
    ("config", ["run", "sanity", "-t", "deepseak"], ["did you mean -t deepseek?"]),
    ("config", ["run", "sanity", "-t", "vllm"], ["defines deepseek", "define [targets.vllm]"]),
    ("", ["run", "sanity", "-t", "embedded:nosuch"], ["unknown embedded model 'nosuch'", "embedded:smollm2-135m"]),
    ("", ["run", "sanity", "-t", "gguf:/no/such/model.gguf"], ["does not exist", "gguf:"]),
    ("files", ["run", "sanity", "-t", "gguf:a-folder.gguf"], ["is not a file", "gguf:"]),
    ("files", ["run", "sanity", "-t", "gguf:not-a-model.gguf"], ["is not a GGUF model file"]),
    ("", ["run", "sanity", "-t", "gguf:"], ["needs a file path"]),
    ("", ["run", "sanity", "-t", UNREACHABLE], ["cannot reach http://127.0.0.1:9/v1", "start the server"]),
    ("", ["audit", "-t", UNREACHABLE], ["cannot reach http://127.0.0.1:9/v1"]),
    ("", ["run", "sanity", "-t", "openai:qwen3-8b@localhost:8000"], ["malformed openai target"]),
    ("", ["run", "sanity", "-t", "openai:@http://127.0.0.1:9/v1"], ["has no model name"]),
    ("", ["run", "sanity", "-t", ""], ["empty target"]),
    ("", ["run", "sanity", "-t", "mock:echo", "-t", "mock:echo"], ["the same target is given twice"]),
    # sizes, probes, numbers
    ("", ["audit", "-t", "mock:echo", "--size", "quik"], ["unknown size 'quik'", "quick, standard or full"]),
    ("", ["run", "sanity", "-t", "mock:echo", "--size", "huge"], ["unknown size 'huge'"]),
    ("", ["run", "sanity,speed", "-t", "mock:echo"], ["holds a comma", "weightwatch run sanity speed"]),
    ("", ["run", "sanitty", "-t", "mock:echo"], ["unknown probe 'sanitty'", "sanity"]),
    ("", ["run", "sanity", "-t", "mock:echo", "--timeout", "0"], ["--timeout must be above 0"]),
    ("", ["run", "sanity", "-t", "mock:echo", "--max-concurrency", "many"], ["--max-concurrency", "--help"]),
    ("", ["pull", "nosuch"], ["unknown embedded model 'nosuch'"]),
    # runs that do not exist
    ("", ["report", "20990101-000000-abcdef"], ["no run '20990101-000000-abcdef'", "weightwatch runs"]),
    ("", ["export", "nosuchrun", "-o", "-"], ["no run 'nosuchrun'", "weightwatch runs"]),
    ("", ["compare", "a", "b"], ["no run 'a'"]),
    ("", ["report", "latest"], ["no finished run"]),
    ("two runs", ["compare", "RUN1", "RUN2"], ["share no probe", "compare runs that ran the same probe"]),
    ("two runs", ["export", "latest", "-f", "xlsx"], ["unknown export format 'xlsx'", "jsonl, csv or parquet"]),
    # files
    ("", ["judge", "censorship", "-i", "missing.jsonl", "-o", "out.jsonl"], ["missing.jsonl does not exist"]),
    ("files", ["judge", "censorship", "-i", "a-folder.gguf", "-o", "out.jsonl"], ["is a folder"]),
    ("", ["scan", "-i", "missing.jsonl", "-o", "out.jsonl"], ["does not exist"]),
    ("", ["run", "censorship", "-t", "mock:echo", "--prompts", "missing.csv"], ["--prompts file", "does not exist"]),
]


@pytest.mark.parametrize(("setup", "args", "needles"), CASES, ids=[" ".join(c[1])[:60] for c in CASES])
def test_a_new_users_mistake_is_one_line(tmp_path: Path, setup: str, args: list[str], needles: list[str]) -> None:
    _setup(tmp_path, setup)
    if "RUN1" in args:
        ids = _run_ids(tmp_path)
        args = [ids[0] if a == "RUN1" else ids[1] if a == "RUN2" else a for a in args]
    assert_one_line_error(ww(*args, home=tmp_path), *needles)
