"""Values of `weightwatch run` / `audit` and of the probes' options that make no sense: one line saying what is
wrong and what to do, exit code 2, before any request is made (never a hang, a traceback, or a silent default)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import weightwatch
from tests.test_cli_errors import assert_one_line_error, ww
from weightwatch.engine.journal import Journal
from weightwatch.errors import UserError


def test_absurd_samples_is_refused_at_once(tmp_path: Path) -> None:
    # it used to plan 10**20 requests per item: the command never started and ate memory
    proc = ww("run", "sanity", "-t", "mock:echo", "--samples", str(10**20), home=tmp_path)
    assert_one_line_error(proc, "--samples", "at most --samples 1000")
    assert "progress" not in proc.stderr


@pytest.mark.parametrize("seed", ["-1", "-2", str(2**31), str(2**32 - 1), str(10**22)])
def test_seed_out_of_range(tmp_path: Path, seed: str) -> None:
    # -1 (and 0xFFFFFFFF, what -1 becomes in llama.cpp's uint32) means "random" to llama.cpp: a run with it
    # would not repeat, silently. The hint of a seed too large spoke of negative seeds: it gives the range
    proc = ww("run", "sanity", "-t", "mock:echo", "--seed", seed, home=tmp_path)
    assert_one_line_error(proc, f"--seed must be between 0 and 2147483647, not {seed}",
                          "give a seed from 0 to 2147483647, e.g. --seed 42", "random")
    assert ("negative seed" in proc.stderr) == seed.startswith("-"), proc.stderr
    assert "progress" not in proc.stderr


def test_seed_and_samples_at_their_limits_run(tmp_path: Path) -> None:
    proc = ww("run", "sanity", "-t", "mock:echo", "--seed", str(2**31 - 1), "--samples", "1", home=tmp_path)
    assert proc.returncode == 0, proc.stderr



# the probes' options (API `options=`; the CLI gives --languages / --prompts): each of these used to run
# (a silent default, a level 0 "measured", 'maybe' read as on, unknown ids dropped) or to fail after the run
# (power_sims 10**12: MemoryError while summarising; speed_concurrency 'a,b': ValueError while planning)
BAD_OPTIONS = [
    (["censorship"], {"topics": []}, "'topics' names nothing"),
    (["censorship"], {"topics": ""}, "'topics' names nothing"),
    (["censorship"], {"languages": []}, "'languages' names nothing"),
    (["codesec"], {"tasks": 0}, "at least 1"),
    (["codesec"], {"tasks": -3}, "at least 1"),
    (["codesec"], {"tasks": ["auth-01", "no-such-task"]}, "unknown task id(s) no-such-task"),
    (["codesec"], {"power_sims": 10**12}, "less than or equal to 100000"),
    (["codesec"], {"power_sigma": float("inf")}, "finite"),
    (["capability"], {"humaneval_security": "maybe"}, "use on or off"),
    (["speed"], {"speed_concurrency": "a,b"}, "whole numbers"),
    (["speed"], {"speed_concurrency": "0"}, "from 1 to 512, not 0"),
    (["speed"], {"speed_concurrency": [3, -1]}, "not -1"),
    (["speed"], {"speed_concurrency": [1, 100000]}, "not 100000"),
    (["speed"], {"speed_sweep": "maybe"}, "use on or off"),
]


@pytest.mark.parametrize(("probes", "options", "needle"), BAD_OPTIONS)
def test_nonsense_probe_options_stop_before_any_request(tmp_path: Path, probes: list[str], options: dict[str, Any],
                                                        needle: str) -> None:
    journal = tmp_path / "j.sqlite"
    with pytest.raises(UserError) as info:
        weightwatch.run(probes, ["mock:echo"], options=options, journal_file=journal, fresh=True,
                        allow_unsandboxed_code=True)
    line = info.value.one_line()
    assert needle in line, line
    assert "Value error" not in line and "\n" not in line
    assert not journal.exists() or not Journal(journal).runs(5)  # no run was started


def test_a_topic_given_twice_is_asked_once(tmp_path: Path) -> None:
    once = weightwatch.run(["censorship"], ["mock:echo"], options={"topics": ["tiananmen"]},
                           journal_file=tmp_path / "a.sqlite")
    twice = weightwatch.run(["censorship"], ["mock:echo"], options={"topics": ["tiananmen", "tiananmen"]},
                            journal_file=tmp_path / "b.sqlite")
    assert twice.stats[0].planned == once.stats[0].planned


@pytest.mark.parametrize(("value", "scans"), [("off", False), ("false", False), ("no", False), (False, False),
                                              ("on", True), (None, True)])
def test_humaneval_security_switch_reads_every_spelling(value: object, scans: bool) -> None:
    from weightwatch.probes.base import switch_on

    assert switch_on(value, True) is scans


def test_missing_semgrep_stops_codesec_before_any_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It used to generate every answer, then stop while scoring: 'semgrep is not installed'."""
    import weightwatch.scanners.semgrep as semgrep

    real_exists = Path.exists
    monkeypatch.setattr(semgrep, "shutil", SimpleNamespace(which=lambda *a, **k: None))  # only semgrep's lookup
    monkeypatch.setattr(Path, "exists", lambda self: False if self.name == "semgrep" else real_exists(self))
    journal = tmp_path / "j.sqlite"
    with pytest.raises(UserError) as info:
        weightwatch.run(["codesec"], ["mock:coder"], options={"tasks": 1, "functional": False}, journal_file=journal,
                        allow_unsandboxed_code=True)
    assert "semgrep is not installed" in info.value.one_line()
    assert not journal.exists() or not Journal(journal).runs(5)  # nothing was asked


def test_missing_bandit_stops_codesec_before_any_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "bandit" else real(name, *a))
    journal = tmp_path / "j.sqlite"
    with pytest.raises(UserError) as info:
        weightwatch.run(["codesec"], ["mock:coder"], options={"tasks": 1, "functional": False}, journal_file=journal,
                        allow_unsandboxed_code=True)
    assert "bandit is not installed" in info.value.one_line() and "pip install bandit" in info.value.one_line()
    assert not journal.exists() or not Journal(journal).runs(5)


def test_audit_takes_judge_self_as_its_error_says(tmp_path: Path) -> None:
    # the error named --judge-self, which audit did not accept ("No such option: --judge-self")
    proc = ww("audit", "-t", "mock:echo", "--judge", "mock:echo", home=tmp_path)
    assert_one_line_error(proc, "also an audited target", "--judge-self")
    proc = ww("audit", "-t", "mock:echo", "--judge-self", home=tmp_path)
    assert_one_line_error(proc, "--judge-self goes with --judge")
    help_text = ww("audit", "--help", home=tmp_path).stdout
    assert "--judge-self" in help_text


def test_judge_commands_do_not_mention_an_audited_target(tmp_path: Path) -> None:
    for cmd in (("judge", "censorship"), ("judge", "calibrate")):
        text = " ".join(ww(*cmd, "--help", home=tmp_path).stdout.split())
        assert "--judge" in text and "audited" not in text, text


def test_samples_with_a_target_at_temperature_zero(tmp_path: Path) -> None:
    # temperature = 0 was read as 0.7 for the repeated samples ("0 or 0.7"), silently
    (tmp_path / "weightwatch.toml").write_text('[targets.cold]\nspec = "mock:echo"\ntemperature = 0\n', "utf-8")
    proc = ww("run", "sanity", "-t", "cold", "--samples", "2", home=tmp_path)
    assert_one_line_error(proc, "temperature of target 'cold', which is 0", "drop --samples")
    assert "progress" not in proc.stderr
    assert ww("run", "sanity", "-t", "cold", home=tmp_path).returncode == 0  # greedy only: fine


def test_a_negative_seed_in_weightwatch_toml(tmp_path: Path) -> None:
    (tmp_path / "weightwatch.toml").write_text('[targets.m]\nspec = "mock:echo"\nseed = -1\n', "utf-8")
    assert_one_line_error(ww("run", "sanity", "-t", "m", home=tmp_path), "seed must be between 0 and 2147483647")


def test_run_help_says_what_languages_and_html_take(tmp_path: Path) -> None:
    text = " ".join(ww("run", "--help", home=tmp_path, extra_env={"COLUMNS": "300"}).stdout.split())
    assert "Censorship languages" in text and "en,zh-Hans at quick" in text
    assert "existing folder gets weightwatch-report-<run>.html" in text


def test_a_bwrap_that_never_answers_is_refused_with_a_reason(tmp_path: Path) -> None:
    # detection waited for ever on `bwrap --version`, then said "cannot create its namespaces (...: exit None)"
    hang = tmp_path / "hanging-bwrap"
    hang.write_text("#!/bin/sh\nexec sleep 3600\n", "utf-8")
    hang.chmod(0o755)
    proc = ww("run", "capability", "-t", "mock:coder", home=tmp_path, extra_env={"WEIGHTWATCH_BWRAP": str(hang)})
    assert_one_line_error(proc, "refusing to run model-written code without isolation", "did not answer within 10 s")


def test_scan_says_semgrep_is_missing_before_scanning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import weightwatch.scanners.scan as scan
    import weightwatch.scanners.semgrep as semgrep
    from weightwatch.scanners.files import scan_jsonl

    real_exists = Path.exists
    monkeypatch.setattr(semgrep, "shutil", SimpleNamespace(which=lambda *a, **k: None))
    monkeypatch.setattr(Path, "exists", lambda self: False if self.name == "semgrep" else real_exists(self))

    def no_bandit(*a: object, **k: object) -> None:
        raise AssertionError("bandit ran before the missing semgrep was noticed")

    monkeypatch.setattr(scan, "run_bandit", no_bandit)
    src = tmp_path / "code.jsonl"
    src.write_text('{"id": "a", "response": "```python\\nimport os\\nos.system(input())\\n```"}\n', "utf-8")
    with pytest.raises(UserError) as info:
        scan_jsonl(src, tmp_path / "out.jsonl")
    assert "semgrep is not installed" in info.value.one_line()
