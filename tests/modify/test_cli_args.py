"""`weightwatch modify refusal-direction` argument errors through the real CLI, on the tiny random GGUF: one line,
exit code 2, and before the search (which on a real model takes many minutes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.modify.tiny import build_tiny

pytest.importorskip("llama_cpp")


def _ww(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, WEIGHTWATCH_HOME=str(home), NO_COLOR="1", COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "weightwatch", "modify", "refusal-direction", *args],
                          capture_output=True, text=True, env=env, timeout=600, cwd=cwd)


def _one_line(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1, (proc.returncode, proc.stderr)
    assert lines[0].startswith("error: ") and "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "models with spaces é"
    folder.mkdir()
    return build_tiny(folder / "tiny é.gguf")


def test_output_in_a_folder_that_cannot_be_written(tiny: Path, tmp_path: Path) -> None:
    # /proc passes os.access for root; the search ran, then the adapter could not be written ('.x.gguf.N.tmp')
    proc = _ww("-t", f"gguf:{tiny}", "-o", "/proc/edited.gguf", "--max-items", "1", "--trials", "1",
               cwd=tmp_path, home=tmp_path)
    _one_line(proc, "--output '/proc/edited.gguf'", "not writable", "choose a path")


def test_default_output_in_a_folder_that_cannot_be_written(tiny: Path, tmp_path: Path) -> None:
    # without -o the adapter goes to the current folder: that is checked before the search too
    proc = _ww("-t", f"gguf:{tiny}", "--max-items", "1", "--trials", "1", cwd=Path("/proc"), home=tmp_path)
    _one_line(proc, "--output (default)", "not writable")


def test_rank_without_a_rank_k_method(tiny: Path, tmp_path: Path) -> None:
    # --rank 3 (or 0) with the default --directions single was silently ignored
    for rank in ("3", "0"):
        proc = _ww("-t", f"gguf:{tiny}", "--rank", rank, "-o", str(tmp_path / "o.gguf"), cwd=tmp_path, home=tmp_path)
        _one_line(proc, "--rank goes with --directions clusters or pca")


def test_paths_with_spaces_and_unicode_work(tiny: Path, tmp_path: Path) -> None:
    out = tiny.parent / "edited é.lora.gguf"
    proc = _ww("-t", f"gguf:{tiny}", "-o", str(out), "--max-items", "1", "--trials", "1", "--check-tokens", "0",
               "--languages", "en", cwd=tmp_path, home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert out.is_file() and f"+lora:{out}" in proc.stderr


def test_affine_edit_cannot_be_merged_and_unknown_edits(tiny: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "o.gguf")
    _one_line(_ww("-t", f"gguf:{tiny}", "--edit", "affine", "--merge", "F16", "-o", out, cwd=tmp_path, home=tmp_path),
              "--merge cannot hold the affine edit", "drop --merge")
    _one_line(_ww("-t", f"gguf:{tiny}", "--edit", "shift", "-o", out, cwd=tmp_path, home=tmp_path),
              "unknown edit 'shift'")
    _one_line(_ww("-t", f"gguf:{tiny}", "--reference", "harmless", "-o", out, cwd=tmp_path, home=tmp_path),
              "unknown reference 'harmless'")


def test_affine_edit_writes_its_constants(tiny: Path, tmp_path: Path) -> None:
    from weightwatch.modify.affine import KEY_DATA, KEY_LAYERS
    from weightwatch.modify.gguf_io import check_adapter

    out = tmp_path / "affine.lora.gguf"
    proc = _ww("-t", f"gguf:{tiny}", "-o", str(out), "--max-items", "1", "--trials", "2", "--check-tokens", "0",
               "--languages", "en", "--edit", "affine", "--orthogonal-languages", "--orthogonal-harmless",
               cwd=tmp_path, home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    head = check_adapter(out, tiny)
    assert head.fields["weightwatch.modify.edit"] == "affine"
    assert head.fields["weightwatch.modify.orthogonal_languages"] is True
    assert head.fields["weightwatch.modify.orthogonal_harmless"] is True
    layers = head.fields[KEY_LAYERS]
    assert layers and 0 not in layers and len(head.fields[KEY_DATA]) == 64 * len(layers)
