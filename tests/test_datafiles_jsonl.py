"""Reading JSONL: lone UTF-16 surrogates are replaced (errors.no_lone_surrogates) on exactly the lines that can
hold one, and every other record is parsed as it was (the screen of BENCHMARKS.md 6m)."""

from __future__ import annotations

import json

from weightwatch.datafiles import parse_jsonl_lines
from weightwatch.errors import no_lone_surrogates


def test_surrogates_replaced_and_other_lines_unchanged() -> None:
    lines = ['{"id": "a", "response": "cut \\ud83d here"}',  # an escape: replaced
             '{"id": "b", "response": "fine \\u00e9 and \\ud83d\\ude00 a pair"}',  # a valid pair stays one emoji
             '{"id": "c", "response": "raw \ud800 in the line"}',  # a raw surrogate in a str line: replaced
             '{"id": "d", "response": "plain ASCII", "nested": {"k": ["x", "ÿ 台湾"]}}',
             '{"id": "e", "response": "escaped backslash \\\\ud800 is text"}', "", "  "]
    got = [rec for _n, rec in parse_jsonl_lines(lines, "t.jsonl", "hint")]
    want = [no_lone_surrogates(json.loads(line)) for line in lines if line.strip()]
    assert got == want
    assert [r["response"] for r in got[:3]] == ["cut \ufffd here", "fine é and 😀 a pair", "raw \ufffd in the line"]
    assert got[4]["response"] == "escaped backslash \\ud800 is text"
