"""Values of `weightwatch run` / `audit` and of the probes' options that make no sense: one line saying what is
wrong and what to do, exit code 2, before any request is made (never a hang, a traceback, or a silent default)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli_errors import assert_one_line_error, ww


def test_absurd_samples_is_refused_at_once(tmp_path: Path) -> None:
    # it used to plan 10**20 requests per item: the command never started and ate memory
    proc = ww("run", "sanity", "-t", "mock:echo", "--samples", str(10**20), home=tmp_path)
    assert_one_line_error(proc, "--samples", "at most --samples 1000")
    assert "progress" not in proc.stderr


@pytest.mark.parametrize("seed", ["-1", "-2", str(2**32 - 1), str(10**22)])
def test_seed_out_of_range(tmp_path: Path, seed: str) -> None:
    # -1 (and 0xFFFFFFFF, what -1 becomes in llama.cpp's uint32) means "random" to llama.cpp: a run with it
    # would not repeat, silently
    proc = ww("run", "sanity", "-t", "mock:echo", "--seed", seed, home=tmp_path)
    assert_one_line_error(proc, "--seed must be between 0 and 2147483647", "random")
    assert "progress" not in proc.stderr


def test_seed_and_samples_at_their_limits_run(tmp_path: Path) -> None:
    proc = ww("run", "sanity", "-t", "mock:echo", "--seed", str(2**31 - 1), "--samples", "1", home=tmp_path)
    assert proc.returncode == 0, proc.stderr

